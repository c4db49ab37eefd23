/*
 * audit/: the tamper-evident audit log. Every state change writes one
 * event in the same store transaction as the change. Events carry a
 * sequence number and are chained with SM3:
 *
 *   hash(n) = SM3(prev_hash(n) || seq || ts || actor || action ||
 *                 object || outcome || details)
 *
 * with integers as 8-byte big-endian and strings length-prefixed (4-byte
 * big-endian), prev_hash(1) = 32 zero bytes. egca_audit_verify() walks
 * the chain and reports the first position where a changed byte, a
 * deleted, reordered or inserted event shows.
 *
 * What it does not detect on its own: removal of the newest events
 * (truncation of the tail). Signed checkpoints (audit_checkpoint) and
 * the head printed by `egca audit verify` held elsewhere cover that.
 */
#ifndef EGCA_AUDIT_H
#define EGCA_AUDIT_H

#include <stdint.h>

#include "egca/buf.h"
#include "egca/err.h"
#include "egca/store.h"

struct egca_audit_event {
	const char *actor;   /* "cli:root", "operator:alice" */
	const char *action;  /* "ca.create", "cert.issue", "cert.revoke" */
	const char *object;  /* "ca/sm2-root", "cert/ca/9f3a..." */
	const char *outcome; /* "success" or "failure" */
	const char *details; /* JSON object text, or NULL for "{}" */
};

/*
 * Appends ev as the next event. Must run inside egca_store_tx() so the
 * event commits with the change it records.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_append(
    struct egca_store *st, const struct egca_audit_event *ev);

/*
 * Convenience for failures recorded in a transaction of their own (a
 * refused request changes nothing but is still audited).
 */
EGCA_MUST_CHECK enum egca_err egca_audit_record(
    struct egca_store *st, const struct egca_audit_event *ev);

struct egca_audit_report {
	int64_t events;    /* events checked */
	int64_t first_bad; /* position (1-based) of the first break; 0 = none */
	int64_t bad_seq;   /* seq stored at that position */
	char reason[160];  /* "hash mismatch", "sequence gap", ... */
	int64_t head_seq;  /* the last good seq */
	char head_hash[65]; /* hex SM3 of the last good event */
};

/*
 * Verifies the whole chain. EGCA_OK when intact; EGCA_ERR_INTEGRITY
 * with report->first_bad set otherwise.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_verify(
    struct egca_store *st, struct egca_audit_report *report);

/* ---- Browsing and export (the auditor's view; read-only) ---- */

/* NULL or 0 means "any"; from inclusive, to exclusive. */
struct egca_audit_filter {
	const char *actor;   /* exact */
	const char *action;  /* prefix: "auth." matches "auth.login" */
	const char *object;  /* prefix */
	const char *outcome; /* "success" or "failure" */
	int64_t from, to;    /* ts bounds */
	int64_t after_seq;   /* paging: events with seq > after_seq */
	size_t limit;        /* 0: 100; at most 10000 (list only) */
};

/* Matching events in seq order. */
EGCA_MUST_CHECK enum egca_err egca_audit_list(struct egca_store *st,
    const struct egca_audit_filter *f, struct egca_audit_rec **out, size_t *n);
void egca_audit_list_free(struct egca_audit_rec *l, size_t n);

enum egca_audit_format {
	EGCA_AUDIT_JSON, /* one JSON array of event objects */
	EGCA_AUDIT_CSV,  /* RFC 4180, header line, formula-safe cells */
};
/* Every matching event (no limit) into out. */
EGCA_MUST_CHECK enum egca_err egca_audit_export(struct egca_store *st,
    const struct egca_audit_filter *f, enum egca_audit_format fmt,
    struct egca_buf *out);

/* ---- Signed checkpoints of the chain head (SM2 audit key) ---- */

struct egca_signer;
/*
 * Signs the current head (seq, hash, time) with key and stores it as
 * a checkpoint; *seq receives the head seq (0: empty log, nothing
 * done). Runs its own transaction.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_checkpoint(
    struct egca_store *st, struct egca_signer *key, int64_t now, int64_t *seq);
/* Events after the newest checkpoint, and its time (0: none). */
EGCA_MUST_CHECK enum egca_err egca_audit_checkpoint_lag(
    struct egca_store *st, int64_t *events, int64_t *last_at);

/* Computes an event's hash (exposed for tests). */
EGCA_MUST_CHECK enum egca_err egca_audit_hash(const struct egca_audit_rec *r,
    const char *prev_hash_hex, char out_hex[65]);

#endif
