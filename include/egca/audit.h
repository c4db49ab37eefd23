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
 * Removal of the newest events (truncation of the tail) does not break
 * the chain. Signed checkpoints cover that: every N events or M minutes
 * `egca serve` signs the head (seq, hash, time) with the SM2 audit key
 * (DIR/keys/audit.key, public half in DIR/keys/audit.pub and table
 * audit_key) and stores it in audit_checkpoint; egca_audit_verify then
 * also requires every checkpoint to verify under the audit public key,
 * the event at its seq to have exactly its hash, and the log to reach
 * the newest checkpoint.
 *
 * What it does not detect: events removed together with every
 * checkpoint that covers them, and events written since the newest
 * checkpoint being removed. Keep copies of checkpoints (or the head
 * printed by `egca audit verify`) off the machine for that.
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
 * event commits with the change it records. When the event cannot be
 * written the error is EGCA_ERR_STORE ("audit record could not be
 * written"), so the transaction rolls back and nothing is done (the
 * HTTP layer answers 503); a serialization conflict stays
 * EGCA_ERR_CONFLICT so egca_store_tx retries.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_append(
    struct egca_store *st, const struct egca_audit_event *ev);

/*
 * Convenience for failures recorded in a transaction of their own (a
 * refused request changes nothing but is still audited).
 */
EGCA_MUST_CHECK enum egca_err egca_audit_record(
    struct egca_store *st, const struct egca_audit_event *ev);

/*
 * Details for an event: the JSON text (compact, keys sorted) of a
 * jansson pack format and its values. malloc'd; NULL when the format
 * fails or memory runs out.
 */
char *egca_audit_details(const char *fmt, ...);

struct egca_audit_report {
	int64_t events;    /* events checked */
	int64_t first_bad; /* position (1-based) of the first break; 0 = none */
	int64_t bad_seq;   /* seq stored at that position */
	char reason[200];  /* "hash mismatch", "sequence gap", ... */
	int64_t head_seq;  /* the last good seq */
	char head_hash[65]; /* hex SM3 of the last good event */
	/* Checkpoints (filled when the chain itself is intact). */
	int64_t checkpoints;     /* checkpoints checked and found good */
	int64_t bad_checkpoint;  /* seq of the first bad checkpoint; 0 = none */
	int64_t last_checkpoint; /* seq of the newest good checkpoint */
	int64_t last_checkpoint_at;
	int signatures_checked; /* 0: no audit public key was given */
	char key_id[65];        /* the given key's id (hex SM3 of its SPKI) */
	/*
	 * Non-empty when the audit_key table disagrees with the given key
	 * (not registered, or other keys registered): a warning, the
	 * signatures decide.
	 */
	char key_note[160];
};

/*
 * Verifies the whole chain, then every checkpoint: its signature under
 * the audit public key pub_spki (DER SubjectPublicKeyInfo; NULL: the
 * signatures are not checked, signatures_checked 0), the stored event at
 * its seq having exactly its head hash, and the log reaching its seq.
 * EGCA_OK when intact; EGCA_ERR_INTEGRITY otherwise, with first_bad set
 * for a broken chain, a checkpoint that disagrees with it (at the
 * checkpoint's seq) and a truncated tail (the first missing position),
 * and bad_checkpoint for a checkpoint that is wrong itself.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_verify(struct egca_store *st,
    const uint8_t *pub_spki, size_t pub_spki_len,
    struct egca_audit_report *report);

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

/*
 * Matching events in seq order, at most f->limit; free with
 * egca_audit_list_free. A bad filter (outcome other than success or
 * failure, a text over 256 bytes or with control characters, a negative
 * bound) is EGCA_ERR_INPUT naming the field.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_list(struct egca_store *st,
    const struct egca_audit_filter *f, struct egca_audit_rec **out, size_t *n);
void egca_audit_list_free(struct egca_audit_rec *l, size_t n);

enum egca_audit_format {
	EGCA_AUDIT_JSON, /* one JSON array of event objects */
	EGCA_AUDIT_CSV,  /* RFC 4180, header line, formula-safe cells */
};
/*
 * Every matching event (no limit; after_seq applies) appended to out,
 * which the caller initialised; EGCA_ERR_NOMEM when out's maximum is
 * reached. JSON: an array of objects with seq, ts, time, actor, action,
 * object, outcome, details (the stored text), prev_hash and hash. CSV:
 * RFC 4180 (CRLF, quotes doubled) with the header
 * seq,ts,time,actor,action,object,outcome,details,hash; a cell starting
 * with = + - @ TAB or CR gets a ' in front so spreadsheets do not run it
 * as a formula.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_export(struct egca_store *st,
    const struct egca_audit_filter *f, enum egca_audit_format fmt,
    struct egca_buf *out);

/* ---- The audit key and signed checkpoints of the chain head ---- */

#define EGCA_AUDIT_KEY_FILE "audit.key" /* in DIR/keys, encrypted PKCS#8 */
#define EGCA_AUDIT_PUB_FILE "audit.pub" /* in DIR/keys, PEM SPKI */

struct egca_signer;

/*
 * Creates the SM2 audit key: keys_dir/audit.key encrypted under pass
 * (egca_crypto_key_save, as CA keys), keys_dir/audit.pub, and its row in
 * audit_key with an "audit.key.create" event by actor, in one
 * transaction (the files are removed again when it fails). key_id (may
 * be NULL) receives the key's id. EGCA_ERR_EXISTS when audit.key exists.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_key_create(struct egca_store *st,
    const char *keys_dir, const char *actor, const char *pass, size_t pass_len,
    char key_id[65]);
/*
 * Opens keys_dir/audit.key as a signer for EGCA_SIGN_AUDIT. Caller frees
 * (egca_signer_free). EGCA_ERR_NOTFOUND when there is none,
 * EGCA_ERR_AUTH for a wrong passphrase.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_key_open(const char *keys_dir,
    const char *pass, size_t pass_len, struct egca_signer **out);
/* Reads a PEM (or DER) public key file as DER SPKI (free()). */
EGCA_MUST_CHECK enum egca_err egca_audit_pubkey_load(
    const char *path, uint8_t **spki, size_t *spki_len);
/* The id of a key: hex SM3 of its DER SPKI. */
EGCA_MUST_CHECK enum egca_err egca_audit_key_id(
    const uint8_t *spki, size_t spki_len, char out[65]);

/*
 * The signed message of a checkpoint, appended to out:
 *
 *   str("egca-audit-checkpoint") || u64(seq) || head(32) || u64(ts)
 *
 * str = 4-byte big-endian length and the bytes, u64 = 8 bytes big-endian,
 * head = the 32 bytes of the head hash. Signed SM2 with SM3 and the user
 * ID 1234567812345678.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_checkpoint_tbs(
    int64_t seq, const char *head_hash_hex, int64_t ts, struct egca_buf *out);

/*
 * Signs the current head (seq, hash, time) with key and stores it as
 * a checkpoint; *seq receives the head seq (0: empty log, nothing
 * done; a head that already has a checkpoint is not signed again).
 * The key must be registered in audit_key (EGCA_ERR_STATE otherwise).
 * Runs its own transaction.
 */
EGCA_MUST_CHECK enum egca_err egca_audit_checkpoint(
    struct egca_store *st, struct egca_signer *key, int64_t now, int64_t *seq);
/* Events after the newest checkpoint, and its time (0: none). */
EGCA_MUST_CHECK enum egca_err egca_audit_checkpoint_lag(
    struct egca_store *st, int64_t *events, int64_t *last_at);

/*
 * For `egca serve`: a checkpoint whenever every_events events have
 * been written since the newest one, or every_minutes have passed and
 * at least one event was written (and at once when the log has events
 * but no checkpoint). Uses a store connection of its own. Takes key.
 */
struct egca_audit_ticker;
EGCA_MUST_CHECK enum egca_err egca_audit_ticker_new(const char *store_uri,
    struct egca_signer *key, int every_events, int every_minutes,
    struct egca_audit_ticker **out);
/* Called about once a second from one thread; failures are logged. */
void egca_audit_ticker_tick(struct egca_audit_ticker *t, int64_t now);
void egca_audit_ticker_free(struct egca_audit_ticker *t);

/* Computes an event's hash (exposed for tests). */
EGCA_MUST_CHECK enum egca_err egca_audit_hash(const struct egca_audit_rec *r,
    const char *prev_hash_hex, char out_hex[65]);

#endif
