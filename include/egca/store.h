/*
 * store/: the only code that runs SQL. One interface, two backends:
 * SQLite (WAL, synchronous=FULL, BEGIN IMMEDIATE for every write
 * transaction) and PostgreSQL through libpq (SERIALIZABLE write
 * transactions, retried on 40001/40P01). Schema in
 * src/store/schema/NNN_name.sql, one dialect for both, applied at open.
 *
 * Records own their strings and byte arrays; free them with the
 * matching _free function (which accepts a zeroed record).
 *
 * A struct egca_store is one connection: use it from one thread at a
 * time (open one per thread). Inserts report a duplicate key as
 * EGCA_ERR_EXISTS without aborting the enclosing egca_store_tx, so a
 * transaction may go on (e.g. try another serial). Text values with
 * enumerated meanings (status, mode, kind, outcome, audience) are
 * checked by the schema: another value gives EGCA_ERR_INPUT.
 */
#ifndef EGCA_STORE_H
#define EGCA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "egca/err.h"

struct egca_store;

enum egca_store_driver {
	EGCA_STORE_SQLITE,
	EGCA_STORE_POSTGRES,
};

/*
 * Opens a store and applies pending migrations. uri is
 * "sqlite:/path/to/egca.db" or a libpq URI ("postgresql://...") or
 * "postgres:<conninfo>". create: for SQLite, whether a missing file may
 * be created.
 */
EGCA_MUST_CHECK enum egca_err egca_store_open(
    const char *uri, int create, struct egca_store **out);
void egca_store_close(struct egca_store *st);
enum egca_store_driver egca_store_driver(const struct egca_store *st);
/* The schema version after migrations. */
int egca_store_schema_version(const struct egca_store *st);

/*
 * Runs fn inside one write transaction; commits when fn returns EGCA_OK,
 * rolls back otherwise. Serialization failures and busy timeouts
 * (EGCA_ERR_CONFLICT) are retried with backoff up to 10 times; fn must
 * therefore be safe to run again. Returns fn's error or the store's.
 */
typedef enum egca_err (*egca_store_tx_fn)(struct egca_store *st, void *arg);
EGCA_MUST_CHECK enum egca_err egca_store_tx(
    struct egca_store *st, egca_store_tx_fn fn, void *arg);

/* ---- CAs ---- */

struct egca_ca_rec {
	char *name;     /* [a-z0-9-]{1,63}, primary key */
	char *status;   /* "pending" (subordinate awaiting import), "active" */
	char *mode;     /* "root" or "subordinate" */
	char *key_alg;  /* "sm2", "ecdsa-p256", "rsa-3072" */
	char *key_file; /* relative to the data dir */
	char *subject;  /* text */
	uint8_t *subject_der;
	size_t subject_der_len;
	uint8_t *cert_der; /* NULL while pending */
	size_t cert_der_len;
	uint8_t *csr_der; /* subordinate request; NULL for a root */
	size_t csr_der_len;
	char *chain_pem; /* issuer chain above the CA cert (PEM), may be "" */
	int64_t created_at;
	int64_t not_after; /* 0 while pending */
};

void egca_store_ca_rec_free(struct egca_ca_rec *r);
/* EGCA_ERR_EXISTS when the name is taken. */
EGCA_MUST_CHECK enum egca_err egca_store_ca_insert(
    struct egca_store *st, const struct egca_ca_rec *r);
/* Updates status, cert_der, chain_pem, not_after of r->name. */
EGCA_MUST_CHECK enum egca_err egca_store_ca_activate(
    struct egca_store *st, const struct egca_ca_rec *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_ca_get(
    struct egca_store *st, const char *name, struct egca_ca_rec *out);
EGCA_MUST_CHECK enum egca_err egca_store_ca_list(
    struct egca_store *st, struct egca_ca_rec **out, size_t *n);
void egca_store_ca_list_free(struct egca_ca_rec *list, size_t n);

/* ---- Trust anchors and cross-certificates ---- */

struct egca_anchor_rec {
	char *id;      /* SHA-256 of the DER, hex */
	char *kind;    /* "anchor" or "cross" */
	char *subject; /* text */
	uint8_t *cert_der;
	size_t cert_der_len;
	int64_t not_after;
	int64_t added_at;
};

void egca_store_anchor_rec_free(struct egca_anchor_rec *r);
EGCA_MUST_CHECK enum egca_err egca_store_anchor_insert(
    struct egca_store *st, const struct egca_anchor_rec *r);
EGCA_MUST_CHECK enum egca_err egca_store_anchor_list(
    struct egca_store *st, struct egca_anchor_rec **out, size_t *n);
void egca_store_anchor_list_free(struct egca_anchor_rec *list, size_t n);

/* ---- Serial reservations (UNIQUE per CA, written before signing) ---- */

/*
 * Reserves serial (hex, lower case) for ca with the SM3 digest (hex) of
 * the TBS to be signed. EGCA_ERR_EXISTS when the serial was ever used.
 */
EGCA_MUST_CHECK enum egca_err egca_store_serial_reserve(struct egca_store *st,
    const char *ca, const char *serial_hex, const char *tbs_sm3_hex,
    int64_t at);

/* ---- Certificates ---- */

struct egca_cert_rec {
	char *ca;
	char *serial; /* hex, lower case, no leading zero octet */
	char *profile;
	char *subject;           /* text */
	char *status;            /* "good", "revoked", "hold" */
	int reason;              /* RFC 5280 CRLReason; -1 when good */
	int64_t revoked_at;      /* 0 when good */
	int64_t invalidity_date; /* 0 when unknown */
	int64_t not_before;
	int64_t not_after;
	int64_t issued_at;
	char *audience; /* "public" or "government" */
	char *key_alg;
	char *tbs_sm3; /* hex digest of the TBS that was signed */
	uint8_t *der;
	size_t der_len;
};

void egca_store_cert_rec_free(struct egca_cert_rec *r);
/*
 * The serial must have been reserved first (egca_store_serial_reserve):
 * EGCA_ERR_NOTFOUND when the CA or the reservation is missing,
 * EGCA_ERR_EXISTS when the certificate is already stored.
 */
EGCA_MUST_CHECK enum egca_err egca_store_cert_insert(
    struct egca_store *st, const struct egca_cert_rec *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_cert_get(struct egca_store *st,
    const char *ca, const char *serial_hex, struct egca_cert_rec *out);
/*
 * Sets status ("good", "revoked", "hold"), reason, revoked_at and
 * invalidity_date of one certificate. EGCA_ERR_NOTFOUND when absent.
 */
EGCA_MUST_CHECK enum egca_err egca_store_cert_set_status(struct egca_store *st,
    const char *ca, const char *serial_hex, const char *status, int reason,
    int64_t revoked_at, int64_t invalidity_date);

struct egca_cert_filter {
	const char *ca;      /* NULL: all */
	const char *status;  /* NULL: all */
	const char *profile; /* NULL: all */
	/* substring of the subject text, or NULL; literal (% and _ match
	 * themselves), ASCII case-insensitive */
	const char *subject_like;
	int64_t expires_before; /* 0: no bound */
	int64_t expires_after;  /* 0: no bound */
	size_t offset;
	size_t limit; /* 0: 100; capped at 10000 */
};

/* Lists in (issued_at, serial) order; der is not loaded (NULL). */
EGCA_MUST_CHECK enum egca_err egca_store_cert_list(struct egca_store *st,
    const struct egca_cert_filter *f, struct egca_cert_rec **out, size_t *n,
    size_t *total);
void egca_store_cert_list_free(struct egca_cert_rec *list, size_t n);

/* ---- Audit events (hash chain computed by audit/) ---- */

struct egca_audit_rec {
	int64_t seq; /* 1, 2, 3, ... */
	int64_t ts;  /* Unix seconds, UTC */
	char *actor;
	char *action;
	char *object;
	char *outcome;   /* "success" or "failure" */
	char *details;   /* JSON text */
	char *prev_hash; /* hex SM3 */
	char *hash;      /* hex SM3 */
};

void egca_store_audit_rec_free(struct egca_audit_rec *r);
/* The last event's seq and hash; seq 0 and an empty hash when none. */
EGCA_MUST_CHECK enum egca_err egca_store_audit_last(
    struct egca_store *st, int64_t *seq, char hash[65]);
EGCA_MUST_CHECK enum egca_err egca_store_audit_insert(
    struct egca_store *st, const struct egca_audit_rec *r);
/*
 * Calls fn for every event in the physical order of seq ascending,
 * starting after seq from. fn returns non-zero to stop.
 */
typedef int (*egca_store_audit_fn)(const struct egca_audit_rec *r, void *arg);
EGCA_MUST_CHECK enum egca_err egca_store_audit_each(
    struct egca_store *st, int64_t from, egca_store_audit_fn fn, void *arg);

/* ---- Connection pool (egca serve: one connection per thread) ---- */

struct egca_store_pool;

/*
 * A pool of up to max connections to uri, opened on demand (the first
 * one at once, so a bad URI fails here). Thread-safe.
 */
EGCA_MUST_CHECK enum egca_err egca_store_pool_new(
    const char *uri, size_t max, struct egca_store_pool **out);
/* Borrows a connection, waiting while all are in use. */
EGCA_MUST_CHECK enum egca_err egca_store_pool_get(
    struct egca_store_pool *p, struct egca_store **st);
/* Returns a borrowed connection. */
void egca_store_pool_put(struct egca_store_pool *p, struct egca_store *st);
/* Closes every connection; none may be borrowed. Accepts NULL. */
void egca_store_pool_free(struct egca_store_pool *p);

/* ---- OCSP responses and delegated signers (schema 003) ---- */

struct egca_ocsp_rec {
	char *ca;
	char *serial;      /* hex, as in certificate */
	char *cert_status; /* "good", "revoked", "hold"; "stale" unsigned */
	uint8_t *der;      /* the OCSPResponse; NULL when never signed */
	size_t der_len;
	int64_t this_update, next_update, produced_at;
	int stale;    /* 1: must not be served */
	char *signer; /* "ca" or "ocsp:<serial>" */
	int64_t updated_at;
};

void egca_store_ocsp_rec_free(struct egca_ocsp_rec *r);
/*
 * Inserts or replaces the response of (r->ca, r->serial) with stale 0.
 * The certificate must exist (EGCA_ERR_NOTFOUND otherwise).
 */
EGCA_MUST_CHECK enum egca_err egca_store_ocsp_put(
    struct egca_store *st, const struct egca_ocsp_rec *r);
/*
 * Marks the response of one certificate stale (a row without der is
 * made when none was signed yet). Meant for the caller's transaction.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ocsp_mark_stale(
    struct egca_store *st, const char *ca, const char *serial_hex, int64_t now);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_ocsp_get(struct egca_store *st,
    const char *ca, const char *serial_hex, struct egca_ocsp_rec *out);

/* Called per row; der may be NULL (stale). Non-OK stops and is returned. */
typedef enum egca_err (*egca_store_ocsp_fn)(
    const struct egca_ocsp_rec *r, void *arg);
/*
 * Rows of CA ca (NULL: all) with updated_at > since, in updated_at
 * order, at most limit (0: no limit). Loading the cache and picking up
 * changes made by other processes.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ocsp_each_changed(
    struct egca_store *st, const char *ca, int64_t since, size_t limit,
    egca_store_ocsp_fn fn, void *arg);
/*
 * Rows that need signing at now: stale ones, and those past half their
 * validity (2 * now > this_update + next_update), oldest first; der is
 * not loaded.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ocsp_each_due(struct egca_store *st,
    const char *ca, int64_t now, size_t limit, egca_store_ocsp_fn fn,
    void *arg);

struct egca_ocsp_signer_rec {
	char *ca;
	char *serial;
	uint8_t *cert_der;
	size_t cert_der_len;
	char *key_file; /* relative to the data directory */
	int64_t not_before, not_after;
	int active;
	int64_t created_at;
};

void egca_store_ocsp_signer_rec_free(struct egca_ocsp_signer_rec *r);
/* Inserts r; when r->active, every other signer of the CA is retired. */
EGCA_MUST_CHECK enum egca_err egca_store_ocsp_signer_insert(
    struct egca_store *st, const struct egca_ocsp_signer_rec *r);
/* The active signer of ca; EGCA_ERR_NOTFOUND when none. */
EGCA_MUST_CHECK enum egca_err egca_store_ocsp_signer_active(
    struct egca_store *st, const char *ca, struct egca_ocsp_signer_rec *out);

/* ---- CRLs (table crl, crl_counter; store/crl.c) ---- */

struct egca_crl_rec {
	char *ca;
	int64_t number;      /* cRLNumber */
	int delta;           /* 0 full, 1 delta */
	int64_t base_number; /* delta: BaseCRLNumber; full: 0 */
	int64_t this_update;
	int64_t next_update;
	int64_t entries; /* revokedCertificates entries */
	uint8_t *der;    /* NULL when not loaded */
	size_t der_len;
	char *sm3; /* hex SM3 of der */
};

void egca_store_crl_rec_free(struct egca_crl_rec *r);
/*
 * Takes the next cRLNumber of ca (1, 2, ...) in a write transaction of
 * its own (or the caller's), so numbers never repeat or go back, also
 * with several connections or nodes. EGCA_ERR_NOTFOUND: no such CA.
 */
EGCA_MUST_CHECK enum egca_err egca_store_crl_next_number(
    struct egca_store *st, const char *ca, int64_t *number);
/* Stores a signed CRL. EGCA_ERR_EXISTS when (ca, number, delta) is. */
EGCA_MUST_CHECK enum egca_err egca_store_crl_insert(
    struct egca_store *st, const struct egca_crl_rec *r);
/*
 * The CRL of ca with the highest number, full (delta 0) or delta
 * (delta 1); with_der 0 leaves der NULL. EGCA_ERR_NOTFOUND when none.
 */
EGCA_MUST_CHECK enum egca_err egca_store_crl_latest(struct egca_store *st,
    const char *ca, int delta, int with_der, struct egca_crl_rec *out);
/* The newest status_changed_at among ca's certificates (0: none). */
EGCA_MUST_CHECK enum egca_err egca_store_crl_last_change(
    struct egca_store *st, const char *ca, int64_t *at);

/* One CRL entry; strings are borrowed for the duration of the call. */
struct egca_crl_entry {
	const char *serial; /* hex, as in egca_cert_rec */
	const char *status; /* "revoked", "hold", or "good" (unheld) */
	int reason;         /* stored CRLReason; -1 when good */
	int64_t revoked_at;
	int64_t invalidity_date; /* 0 when unknown */
	int64_t changed_at;      /* status_changed_at */
};

/* Non-OK stops the iteration and is returned. */
typedef enum egca_err (*egca_store_crl_fn)(
    const struct egca_crl_entry *e, void *arg);
/*
 * Calls fn for every revoked or held certificate of ca that has not
 * expired at valid_at (not_after >= valid_at), in serial order, in one
 * read snapshot. Rows are read in pages, so memory stays bounded
 * whatever the count; fn must not use st.
 */
EGCA_MUST_CHECK enum egca_err egca_store_crl_each_revoked(struct egca_store *st,
    const char *ca, int64_t valid_at, egca_store_crl_fn fn, void *arg);
/*
 * For delta CRLs: calls fn for every certificate of ca whose status
 * changed at or after since: revoked or held ones not expired at
 * valid_at, and good ones (released from hold: removeFromCRL), in
 * serial order, in one read snapshot, paged as above.
 */
EGCA_MUST_CHECK enum egca_err egca_store_crl_each_changed(struct egca_store *st,
    const char *ca, int64_t since, int64_t valid_at, egca_store_crl_fn fn,
    void *arg);

/* ---- Search and statistics (REST API; schema 004_search.sql) ---- */

/* The search fields of one certificate, written at issuance. */
struct egca_cert_index_rec {
	const char *ca;
	const char *serial;
	const char *organization;    /* subject O, or NULL */
	const char *identity_code;   /* uscc, org_code, id_card, ... or NULL */
	const char *region;          /* GB/T 2260 six digits, or NULL */
	const char *subscriber_type; /* the profile's, or NULL */
	int64_t issued_at;           /* gives issued_month (UTC) */
	const char *subscriber;      /* RA subscriber id, or NULL */
	const char *department;      /* its department, or NULL */
};

/* EGCA_ERR_EXISTS when the certificate already has a row. */
EGCA_MUST_CHECK enum egca_err egca_store_cert_index_insert(
    struct egca_store *st, const struct egca_cert_index_rec *r);

enum egca_cert_sort {
	EGCA_CERT_SORT_ISSUED_ASC, /* default */
	EGCA_CERT_SORT_ISSUED_DESC,
	EGCA_CERT_SORT_NOT_AFTER,
	EGCA_CERT_SORT_SERIAL,
};

/*
 * Search filters; NULL or 0 means "any". Text matches are exact except
 * subject_like and organization_like (literal substring, ASCII
 * case-insensitive) and region (a prefix of 2, 4 or 6 digits: province,
 * city, county). Time bounds are inclusive (from) and exclusive (to).
 */
struct egca_cert_query {
	const char *ca;
	const char *serial;
	const char *status;
	const char *profile;
	const char *subject_like;
	const char *organization_like;
	const char *identity_code;
	const char *region;
	const char *subscriber_type;
	const char *department; /* exact (department viewers' scope) */
	int64_t not_after_from, not_after_to;
	int64_t issued_from, issued_to;
	enum egca_cert_sort sort;
	size_t offset;
	size_t limit; /* 0: 100; capped at 10000 */
	int with_der; /* load der as well */
};

struct egca_cert_hit {
	struct egca_cert_rec cert; /* der only with with_der */
	char *organization;        /* NULL when unknown */
	char *identity_code;
	char *region;
	char *subscriber_type;
};

/*
 * One page of certificates matching q in q->sort order (ties by ca,
 * serial), and the number of all matches in *total, in one snapshot.
 * Free with egca_store_cert_hit_list_free.
 */
EGCA_MUST_CHECK enum egca_err egca_store_cert_search(struct egca_store *st,
    const struct egca_cert_query *q, struct egca_cert_hit **out, size_t *n,
    size_t *total);
void egca_store_cert_hit_list_free(struct egca_cert_hit *list, size_t n);

/*
 * The newest certificate with serial_hex under any CA (a serial is
 * random, so more than one is unlikely). EGCA_ERR_NOTFOUND when none.
 */
EGCA_MUST_CHECK enum egca_err egca_store_cert_find_serial(
    struct egca_store *st, const char *serial_hex, struct egca_cert_rec *out);

enum egca_stat_group {
	EGCA_STAT_MONTH, /* issued_month "YYYY-MM" */
	EGCA_STAT_PROFILE,
	EGCA_STAT_SUBSCRIBER_TYPE,
	EGCA_STAT_REGION,
};

struct egca_stat_row {
	char *key; /* "" for unknown */
	int64_t issued, revoked, held, expiring;
};

/*
 * Counts by group over certificates issued in [from, to) (0: open) of
 * ca (NULL: all) and department (NULL: all; a department viewer's
 * scope): issued, revoked now, on hold now, and "good" ones whose
 * not_after falls in [now, expiring_before). Rows in key order.
 * Free with egca_store_stat_rows_free.
 */
EGCA_MUST_CHECK enum egca_err egca_store_cert_stats(struct egca_store *st,
    enum egca_stat_group group, const char *ca, const char *department,
    int64_t from, int64_t to, int64_t now, int64_t expiring_before,
    struct egca_stat_row **out, size_t *n);
void egca_store_stat_rows_free(struct egca_stat_row *rows, size_t n);

/* ---- Operators, sessions, tokens (schema 5; store/auth.c) ---- */

/*
 * One operator row as stored (auth/ keeps the secrets here: the
 * Argon2id hash and the sealed TOTP seeds). roles are enum egca_role
 * bits; 0/1 flags are ints.
 */
struct egca_operator_row {
	char *name;
	char *display_name;
	int64_t roles;
	char *point;          /* NULL when none */
	char *department;     /* NULL when none */
	char *subscriber;     /* NULL when none */
	char *password_hash;  /* Argon2id encoded */
	uint8_t *totp_sealed; /* NULL: TOTP not enrolled */
	size_t totp_sealed_len;
	uint8_t *totp_pending; /* NULL: no enrolment under way */
	size_t totp_pending_len;
	int64_t totp_last_step; /* last accepted TOTP time step (replay) */
	char *cert_sha256;      /* NULL when none */
	int must_change;
	int disabled;
	int failures;
	int64_t locked_until; /* 0: not locked */
	int64_t created_at;
	int64_t last_login;
};

/* Frees the strings and blobs (the seeds are cleansed first). */
void egca_store_operator_row_free(struct egca_operator_row *r);
/* EGCA_ERR_EXISTS when the name (or the certificate) is taken. */
EGCA_MUST_CHECK enum egca_err egca_store_operator_insert(
    struct egca_store *st, const struct egca_operator_row *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_operator_get(
    struct egca_store *st, const char *name, struct egca_operator_row *out);
/* The operator whose certificate fingerprint is sha256_hex. */
EGCA_MUST_CHECK enum egca_err egca_store_operator_get_by_cert(
    struct egca_store *st, const char *sha256_hex,
    struct egca_operator_row *out);
/*
 * Writes every column of r->name except name and created_at.
 * EGCA_ERR_NOTFOUND when absent; EGCA_ERR_EXISTS when cert_sha256 is
 * another operator's (on PostgreSQL that ends the transaction: return
 * the error).
 */
EGCA_MUST_CHECK enum egca_err egca_store_operator_update(
    struct egca_store *st, const struct egca_operator_row *r);
/* Every operator in name order. */
EGCA_MUST_CHECK enum egca_err egca_store_operator_list(
    struct egca_store *st, struct egca_operator_row **out, size_t *n);
void egca_store_operator_list_free(struct egca_operator_row *l, size_t n);
/*
 * Number of operators holding any role of mask (0: all operators);
 * enabled_only leaves disabled ones out.
 */
EGCA_MUST_CHECK enum egca_err egca_store_operator_count(
    struct egca_store *st, int64_t mask, int enabled_only, int64_t *n);

struct egca_session_row {
	char *id_hash; /* SHA-256 hex of the cookie value */
	char *operator_name;
	char *csrf;
	int mfa;
	int64_t created_at;
	int64_t last_seen;
	int64_t expires_at;
};

void egca_store_session_row_free(struct egca_session_row *r);
EGCA_MUST_CHECK enum egca_err egca_store_session_insert(
    struct egca_store *st, const struct egca_session_row *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_session_get(
    struct egca_store *st, const char *id_hash, struct egca_session_row *out);
EGCA_MUST_CHECK enum egca_err egca_store_session_touch(
    struct egca_store *st, const char *id_hash, int64_t last_seen);
/* Deletes one session; *deleted (may be NULL) gets 0 or 1. */
EGCA_MUST_CHECK enum egca_err egca_store_session_delete(
    struct egca_store *st, const char *id_hash, int64_t *deleted);
/* Deletes every session of an operator. */
EGCA_MUST_CHECK enum egca_err egca_store_session_delete_operator(
    struct egca_store *st, const char *name);
/*
 * Deletes sessions past expires_at or idle since before
 * now - idle_seconds.
 */
EGCA_MUST_CHECK enum egca_err egca_store_session_purge(
    struct egca_store *st, int64_t now, int64_t idle_seconds);

struct egca_token_row {
	char *id;         /* 16 hex, public */
	char *token_hash; /* SHA-256 hex of the token text */
	char *owner;
	char *label;
	int64_t roles;
	int mfa;
	int64_t created_at;
	int64_t expires_at;
	int64_t revoked_at; /* 0: not revoked */
	int64_t last_used;
};

void egca_store_token_row_free(struct egca_token_row *r);
/* EGCA_ERR_EXISTS when the id or the hash is taken. */
EGCA_MUST_CHECK enum egca_err egca_store_token_insert(
    struct egca_store *st, const struct egca_token_row *r);
/* By id; EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_token_get(
    struct egca_store *st, const char *id, struct egca_token_row *out);
/* By SHA-256 hex of the token text; EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_token_get_by_hash(
    struct egca_store *st, const char *token_hash, struct egca_token_row *out);
/* Tokens of owner (NULL: all) by created_at, id. */
EGCA_MUST_CHECK enum egca_err egca_store_token_list(struct egca_store *st,
    const char *owner, struct egca_token_row **out, size_t *n);
void egca_store_token_list_free(struct egca_token_row *l, size_t n);
/*
 * Sets revoked_at of one token not yet revoked: EGCA_ERR_NOTFOUND when
 * absent, EGCA_ERR_STATE when already revoked.
 */
EGCA_MUST_CHECK enum egca_err egca_store_token_revoke(
    struct egca_store *st, const char *id, int64_t at);
/* Revokes every unrevoked token of owner. */
EGCA_MUST_CHECK enum egca_err egca_store_token_revoke_owner(
    struct egca_store *st, const char *owner, int64_t at);
EGCA_MUST_CHECK enum egca_err egca_store_token_touch(
    struct egca_store *st, const char *id, int64_t at);

/* ---- RA (schema 6; store/ra.c) ---- */

/*
 * The records are those of include/egca/ra.h: store/ra.c fills their
 * layout and owns how they are freed (the egca_ra_*_free functions of
 * ra/ call the _clear functions here). Ids are 32 hex characters made
 * by ra/.
 */
struct egca_point_rec;
struct egca_point_region_rec;
struct egca_subscriber_rec;
struct egca_app_rec;
struct egca_material_rec;
struct egca_loss_rec;

/* Free every member and zero the record (a zeroed record is fine). */
void egca_store_ra_point_clear(struct egca_point_rec *r);
void egca_store_ra_point_region_clear(struct egca_point_region_rec *r);
void egca_store_ra_subscriber_clear(struct egca_subscriber_rec *r);
void egca_store_ra_app_clear(struct egca_app_rec *r);
void egca_store_ra_material_clear(struct egca_material_rec *r);
void egca_store_ra_loss_clear(struct egca_loss_rec *r);

/* EGCA_ERR_EXISTS when the id is taken. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_point_insert(
    struct egca_store *st, const struct egca_point_rec *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_point_get(
    struct egca_store *st, const char *id, struct egca_point_rec *out);
/* Every point in id order (free each with _clear, then the array). */
EGCA_MUST_CHECK enum egca_err egca_store_ra_point_list(
    struct egca_store *st, struct egca_point_rec **out, size_t *n);
/*
 * Records that r->point serves r->region (added_at = now). A row that
 * exists without approval gets r->approval when one is given; any other
 * existing row is EGCA_ERR_EXISTS. EGCA_ERR_NOTFOUND: no such point.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_point_region_put(
    struct egca_store *st, const struct egca_point_region_rec *r, int64_t now);
/* The regions of point in region order. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_point_regions(struct egca_store *st,
    const char *point, struct egca_point_region_rec **out, size_t *n);

/*
 * What a caller may see, as an OR of the members given; none given:
 * nothing. point: subscribers whose region lies in a region the point
 * serves (approved or in its home province; province "xx0000" and
 * prefecture "xxxx00" rows contain their codes, as
 * egca_ra_region_within); subscriber: that one; department: its
 * subscribers; recover: every "recover" application (KM officers).
 */
struct egca_store_ra_scope {
	const char *point;
	const char *subscriber;
	const char *department;
	int recover;
};

EGCA_MUST_CHECK enum egca_err egca_store_ra_subscriber_insert(
    struct egca_store *st, const struct egca_subscriber_rec *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_subscriber_get(
    struct egca_store *st, const char *id, struct egca_subscriber_rec *out);
/*
 * Subscribers in scope, newest first; type exact, name a literal
 * substring (ASCII case-insensitive), region a code whose province or
 * prefecture zeros make it a prefix (as egca_ra_region_within); NULL:
 * any. limit 1..1000.
 */
struct egca_store_ra_subscriber_query {
	const struct egca_store_ra_scope *scope;
	const char *type;
	const char *name;
	const char *region;
	size_t limit;
	size_t offset;
};
EGCA_MUST_CHECK enum egca_err egca_store_ra_subscriber_list(
    struct egca_store *st, const struct egca_store_ra_subscriber_query *q,
    struct egca_subscriber_rec **out, size_t *n);

/* Inserts r (approvals, decided_by and the results are not written). */
EGCA_MUST_CHECK enum egca_err egca_store_ra_app_insert(
    struct egca_store *st, const struct egca_app_rec *r);
/*
 * The application with csr_der and approvals (those whose digest is the
 * current one). EGCA_ERR_NOTFOUND when absent.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_app_get(
    struct egca_store *st, const char *id, struct egca_app_rec *out);
/* Applications in scope, newest first, without csr_der. */
struct egca_store_ra_app_query {
	const struct egca_store_ra_scope *scope;
	const char *state;
	const char *kind;
	const char *subscriber;
	size_t limit;
	size_t offset;
};
EGCA_MUST_CHECK enum egca_err egca_store_ra_app_list(struct egca_store *st,
    const struct egca_store_ra_app_query *q, struct egca_app_rec **out,
    size_t *n);
/* Sets the digest (materials changed). */
EGCA_MUST_CHECK enum egca_err egca_store_ra_app_set_digest(
    struct egca_store *st, const char *id, const char *digest, int64_t now);
/*
 * submitted -> to ("approved" or "rejected") with decided_by and (for
 * rejected) reject_reason. EGCA_ERR_STATE when the application is not
 * submitted (nothing changed).
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_app_decide(struct egca_store *st,
    const char *id, const char *to, const char *by, const char *reason,
    int64_t now);
/*
 * Claims execution: approved or failed (or executing with updated_at
 * before stale_before, a crashed execution) -> executing, one row.
 * EGCA_ERR_STATE when no row changed: someone else holds it, or it is
 * in another state.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_app_claim(
    struct egca_store *st, const char *id, int64_t now, int64_t stale_before);
/*
 * executing -> state ("executing" keeps it, "executed", "failed");
 * result_serial (NULL: unchanged) and result_error (NULL clears it).
 * EGCA_ERR_STATE when the application is not executing.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_app_finish(struct egca_store *st,
    const char *id, const char *state, const char *result_serial,
    const char *result_error, int64_t now);

/*
 * Records reviewer's approval of app as of digest. A reviewer who
 * approved an earlier digest approves again (the row is rewritten);
 * one who approved this digest already: EGCA_ERR_EXISTS.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_approval_put(struct egca_store *st,
    const char *app, const char *reviewer, const char *digest, int64_t now);

/* Inserts a material's metadata r and its content. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_material_insert(
    struct egca_store *st, const struct egca_material_rec *r,
    const uint8_t *data, size_t len);
/* Materials of app in the order they were added (no content). */
EGCA_MUST_CHECK enum egca_err egca_store_ra_material_list(struct egca_store *st,
    const char *app, struct egca_material_rec **out, size_t *n);
/* One material and its content (free()). EGCA_ERR_NOTFOUND. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_material_get(struct egca_store *st,
    const char *app, const char *id, struct egca_material_rec *meta,
    uint8_t **data, size_t *len);

/* An idempotency key's first use. */
struct egca_store_idem {
	char *kind;
	char *request_digest;
	char *object_id;
};
void egca_store_ra_idem_clear(struct egca_store_idem *r);
/* EGCA_ERR_NOTFOUND when (key, actor) was never used. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_idem_get(struct egca_store *st,
    const char *key, const char *actor, struct egca_store_idem *out);
/* EGCA_ERR_EXISTS when (key, actor) is taken. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_idem_insert(struct egca_store *st,
    const char *key, const char *actor, const char *kind,
    const char *request_digest, const char *object_id, int64_t now);

/* Stores (or replaces) the SHA-256 hex of a certificate's revocation code. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_code_put(struct egca_store *st,
    const char *ca, const char *serial, const char *code_hash, int64_t now);
/* EGCA_ERR_NOTFOUND when the certificate has no code. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_code_get(struct egca_store *st,
    const char *ca, const char *serial, char code_hash[65]);

/*
 * The subscriber a certificate was issued for (cert_index.subscriber,
 * malloc'd). EGCA_ERR_NOTFOUND when there is no such certificate or it
 * was not issued for a subscriber.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_cert_subscriber(
    struct egca_store *st, const char *ca, const char *serial,
    char **subscriber);

EGCA_MUST_CHECK enum egca_err egca_store_ra_loss_insert(
    struct egca_store *st, const struct egca_loss_rec *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_loss_get(
    struct egca_store *st, const char *id, struct egca_loss_rec *out);
/* The id of the report of (ca, serial) still "held"; NOTFOUND if none. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_loss_open(
    struct egca_store *st, const char *ca, const char *serial, char id[33]);
/* held -> confirmed; EGCA_ERR_STATE when the report is not held. */
EGCA_MUST_CHECK enum egca_err egca_store_ra_loss_confirm(
    struct egca_store *st, const char *id, const char *by, int64_t at);
/*
 * Reports about certificates of subscribers in scope, newest first;
 * state NULL: any; limit 1..1000.
 */
EGCA_MUST_CHECK enum egca_err egca_store_ra_loss_list(struct egca_store *st,
    const struct egca_store_ra_scope *scope, const char *state, size_t limit,
    struct egca_loss_rec **out, size_t *n);

/* ---- Audit browsing, audit key, checkpoints (schema 7; store/audit.c) ---- */

/*
 * An event filter; NULL or 0 means "any". action and object are
 * prefixes, compared case-sensitively; from <= ts < to.
 */
struct egca_store_audit_query {
	const char *actor;   /* exact */
	const char *action;  /* prefix */
	const char *object;  /* prefix */
	const char *outcome; /* exact */
	int64_t from, to;
	int64_t after_seq; /* events with seq > after_seq */
	size_t limit;      /* 0: no limit */
};

/*
 * Calls fn for every event matching q in seq order, read in pages
 * (bounded memory; fn runs with no statement open). fn returns non-zero
 * to stop.
 */
EGCA_MUST_CHECK enum egca_err egca_store_audit_find(struct egca_store *st,
    const struct egca_store_audit_query *q, egca_store_audit_fn fn, void *arg);
/* The stored hash of event seq; EGCA_ERR_NOTFOUND (no detail) if none. */
EGCA_MUST_CHECK enum egca_err egca_store_audit_hash_at(
    struct egca_store *st, int64_t seq, char hash[65]);

/* The public half of an audit key (the private key is DIR/keys/audit.key). */
struct egca_audit_key_rec {
	char *id; /* hex SM3 of spki_der */
	uint8_t *spki_der;
	size_t spki_der_len;
	int64_t created_at;
};

void egca_store_audit_key_rec_free(struct egca_audit_key_rec *r);
void egca_store_audit_key_list_free(struct egca_audit_key_rec *l, size_t n);
/* EGCA_ERR_EXISTS when the id is already registered. */
EGCA_MUST_CHECK enum egca_err egca_store_audit_key_insert(
    struct egca_store *st, const struct egca_audit_key_rec *r);
/* EGCA_ERR_NOTFOUND when id is not registered. */
EGCA_MUST_CHECK enum egca_err egca_store_audit_key_get(
    struct egca_store *st, const char *id, struct egca_audit_key_rec *out);
/* Every registered key, oldest first. */
EGCA_MUST_CHECK enum egca_err egca_store_audit_key_list(
    struct egca_store *st, struct egca_audit_key_rec **out, size_t *n);

/* A signed checkpoint: at seq the chain's hash was head_hash. */
struct egca_audit_checkpoint_rec {
	int64_t seq;
	char *head_hash;    /* hex SM3 of event seq */
	int64_t ts;         /* when it was signed */
	char *key_id;       /* audit_key.id */
	uint8_t *signature; /* SM2 (DER) over the encoding in egca/audit.h */
	size_t signature_len;
};

void egca_store_audit_checkpoint_rec_free(struct egca_audit_checkpoint_rec *r);
/*
 * EGCA_ERR_EXISTS when seq already has a checkpoint, EGCA_ERR_NOTFOUND
 * (foreign key) when key_id is not registered.
 */
EGCA_MUST_CHECK enum egca_err egca_store_audit_checkpoint_insert(
    struct egca_store *st, const struct egca_audit_checkpoint_rec *r);
/* The newest checkpoint; EGCA_ERR_NOTFOUND (no detail) when none. */
EGCA_MUST_CHECK enum egca_err egca_store_audit_checkpoint_last(
    struct egca_store *st, struct egca_audit_checkpoint_rec *out);
/*
 * Calls fn for every checkpoint in seq order, paged like
 * egca_store_audit_each; fn returns non-zero to stop.
 */
typedef int (*egca_store_checkpoint_fn)(
    const struct egca_audit_checkpoint_rec *r, void *arg);
EGCA_MUST_CHECK enum egca_err egca_store_audit_checkpoint_each(
    struct egca_store *st, egca_store_checkpoint_fn fn, void *arg);

/* ---- KM (schema 8; store/km.c) ---- */

/*
 * The key management centre's tables, in the KM's own store (km.h).
 * Nothing secret: the master key is never stored (its check value is),
 * escrowed private keys only wrapped. Hex text is lower case.
 */
struct egca_km_master_rec {
	char *km_id; /* 32 hex */
	char *kcv;   /* 64 hex: key check value of the master key */
	int threshold;
	int custodians;
	int64_t created_at;
};

void egca_store_km_master_rec_free(struct egca_km_master_rec *r);
/* EGCA_ERR_EXISTS when the store already has a KM. */
EGCA_MUST_CHECK enum egca_err egca_store_km_master_insert(
    struct egca_store *st, const struct egca_km_master_rec *r);
/* EGCA_ERR_NOTFOUND when the store has no KM (not initialised). */
EGCA_MUST_CHECK enum egca_err egca_store_km_master_get(
    struct egca_store *st, struct egca_km_master_rec *out);

/* The check value of custodian share idx (1..16); EGCA_ERR_EXISTS. */
EGCA_MUST_CHECK enum egca_err egca_store_km_share_check_put(
    struct egca_store *st, int idx, const char *check_hex);
/* EGCA_ERR_NOTFOUND when idx has no share. */
EGCA_MUST_CHECK enum egca_err egca_store_km_share_check_get(
    struct egca_store *st, int idx, char check_hex[65]);

/* A CA certificate of the KM's trust list. */
struct egca_km_trust_rec {
	char *id;       /* SHA-256 hex of cert_der */
	char *subject;  /* text */
	char *serial;   /* hex */
	char *spki_sm3; /* SM3 hex of the subjectPublicKey bits (EntName) */
	uint8_t *cert_der;
	size_t cert_der_len;
	int64_t not_before, not_after;
	char *state; /* "active" or "revoked" */
	int64_t added_at;
	int64_t revoked_at; /* 0 when active */
};

void egca_store_km_trust_rec_free(struct egca_km_trust_rec *r);
void egca_store_km_trust_list_free(struct egca_km_trust_rec *l, size_t n);
/* EGCA_ERR_EXISTS when the certificate is already listed. */
EGCA_MUST_CHECK enum egca_err egca_store_km_trust_insert(
    struct egca_store *st, const struct egca_km_trust_rec *r);
/* Every entry (spki_sm3 NULL) or those of one public key, oldest first. */
EGCA_MUST_CHECK enum egca_err egca_store_km_trust_list(struct egca_store *st,
    const char *spki_sm3, struct egca_km_trust_rec **out, size_t *n);
/* active -> revoked; EGCA_ERR_NOTFOUND, EGCA_ERR_STATE (already). */
EGCA_MUST_CHECK enum egca_err egca_store_km_trust_revoke(
    struct egca_store *st, const char *id, int64_t at);

/* An escrowed encryption key pair (the private half wrapped). */
struct egca_km_key_rec {
	char *id;         /* 32 hex */
	char *ca;         /* SM3 hex of the requesting CA's DER name */
	char *ca_subject; /* text */
	char *cert_no;    /* userCertNO (encryption certificate serial), hex */
	uint8_t *public_key; /* DER SubjectPublicKeyInfo */
	size_t public_key_len;
	uint8_t *wrapped; /* NULL in lists */
	size_t wrapped_len;
	char *task;                 /* task number (hex) that made it */
	char *holder_sign_spki_sm3; /* current envelope target */
	uint8_t *user_name;         /* DER Name or NULL */
	size_t user_name_len;
	char *ds_code; /* or NULL */
	int64_t not_before, not_after;
	char *state; /* "active" or "revoked" */
	int64_t created_at;
	int64_t revoked_at; /* 0 when active */
	int64_t retain_until;
};

void egca_store_km_key_rec_free(struct egca_km_key_rec *r);
void egca_store_km_key_list_free(struct egca_km_key_rec *l, size_t n);
/* EGCA_ERR_EXISTS when the id or (ca, cert_no) is taken. */
EGCA_MUST_CHECK enum egca_err egca_store_km_key_insert(
    struct egca_store *st, const struct egca_km_key_rec *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_km_key_get(
    struct egca_store *st, const char *id, struct egca_km_key_rec *out);
EGCA_MUST_CHECK enum egca_err egca_store_km_key_get_by_cert(
    struct egca_store *st, const char *ca, const char *cert_no,
    struct egca_km_key_rec *out);
/*
 * active -> revoked at at, kept until retain_until. EGCA_ERR_NOTFOUND,
 * EGCA_ERR_STATE when not active.
 */
EGCA_MUST_CHECK enum egca_err egca_store_km_key_revoke(
    struct egca_store *st, const char *id, int64_t at, int64_t retain_until);
/* A restore re-enveloped the key to a new holder signing key. */
EGCA_MUST_CHECK enum egca_err egca_store_km_key_set_holder(
    struct egca_store *st, const char *id, const char *holder_sm3);
/* Keys (without wrapped) of ca (NULL: all), newest first, at most limit. */
EGCA_MUST_CHECK enum egca_err egca_store_km_key_list(struct egca_store *st,
    const char *ca, size_t limit, size_t offset, struct egca_km_key_rec **out,
    size_t *n);

/* Records a task number; EGCA_ERR_EXISTS when it was ever seen. */
EGCA_MUST_CHECK enum egca_err egca_store_km_task_insert(
    struct egca_store *st, const char *task, const char *ca, int64_t at);

/* A judicial recovery request with the approvals of its digest. */
struct egca_km_judicial_rec {
	char *id; /* 32 hex */
	char *case_ref;
	char *key_id;
	uint8_t *recipient_cert; /* DER */
	size_t recipient_cert_len;
	char *recipient_subject;
	char *requester; /* operator name */
	char *digest;    /* SM3 hex over the request's content */
	char *state;     /* "pending" or "released" */
	int64_t created_at;
	int64_t released_at;
	char *released_by;
	char **approvers; /* officers who approved this digest, by time */
	size_t n_approvers;
};

void egca_store_km_judicial_rec_free(struct egca_km_judicial_rec *r);
void egca_store_km_judicial_list_free(struct egca_km_judicial_rec *l, size_t n);
/* Inserts r (approvals and release are not written). */
EGCA_MUST_CHECK enum egca_err egca_store_km_judicial_insert(
    struct egca_store *st, const struct egca_km_judicial_rec *r);
/* With its approvers; EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_km_judicial_get(
    struct egca_store *st, const char *id, struct egca_km_judicial_rec *out);
/* Every request, newest first (without approvers or certificate). */
EGCA_MUST_CHECK enum egca_err egca_store_km_judicial_list(
    struct egca_store *st, struct egca_km_judicial_rec **out, size_t *n);
/* EGCA_ERR_EXISTS when officer already approved request. */
EGCA_MUST_CHECK enum egca_err egca_store_km_judicial_approve(
    struct egca_store *st, const char *request, const char *officer,
    const char *digest, int64_t at);
/* pending -> released; EGCA_ERR_STATE when not pending. */
EGCA_MUST_CHECK enum egca_err egca_store_km_judicial_release(
    struct egca_store *st, const char *id, const char *by, int64_t at);

/* ---- Dual certificates (schema 9; store/dual.c) ---- */

/* An application's KM material (table app_dual). */
struct egca_app_dual_rec {
	char *app;
	char *ca;
	char *enc_serial;  /* the encryption certificate (KM userCertNO) */
	char *sign_serial; /* the signing certificate, once issued */
	uint8_t *enc_spki; /* the KM's encryption public key */
	size_t enc_spki_len;
	uint8_t *envelope; /* DER SM2EnvelopedKey; NULL once expired */
	size_t envelope_len;
	int64_t created_at;
	int64_t expires_at; /* the envelope may be downloaded until */
};
void egca_store_dual_clear(struct egca_app_dual_rec *r);
/* EGCA_ERR_EXISTS when the application has a row already. */
EGCA_MUST_CHECK enum egca_err egca_store_dual_insert(
    struct egca_store *st, const struct egca_app_dual_rec *r);
/* EGCA_ERR_NOTFOUND when absent. */
EGCA_MUST_CHECK enum egca_err egca_store_dual_get(
    struct egca_store *st, const char *app, struct egca_app_dual_rec *out);
EGCA_MUST_CHECK enum egca_err egca_store_dual_set_sign(
    struct egca_store *st, const char *app, const char *sign_serial);
/* Drops the row (its encryption serial could not be used). */
EGCA_MUST_CHECK enum egca_err egca_store_dual_delete(
    struct egca_store *st, const char *app);
/* Forgets the envelopes whose time ran out at now; *n gets how many. */
EGCA_MUST_CHECK enum egca_err egca_store_dual_expire(
    struct egca_store *st, int64_t now, int64_t *n);

/* Links a signing and an encryption certificate (table cert_pair). */
EGCA_MUST_CHECK enum egca_err egca_store_pair_insert(struct egca_store *st,
    const char *ca, const char *sign_serial, const char *enc_serial,
    const char *app, int64_t at);
/* The encryption certificate of a signing one (free()); NOTFOUND. */
EGCA_MUST_CHECK enum egca_err egca_store_pair_enc_of(struct egca_store *st,
    const char *ca, const char *sign_serial, char **enc_serial);
/*
 * The newest signing certificate paired with enc_serial other than
 * except (may be NULL), free(); EGCA_ERR_NOTFOUND when there is none
 * (enc_serial is no encryption certificate of a pair).
 */
EGCA_MUST_CHECK enum egca_err egca_store_pair_sign_of(struct egca_store *st,
    const char *ca, const char *enc_serial, const char *except,
    char **sign_serial);
/* 1 in *reserved when the serial is reserved for ca (used or not). */
EGCA_MUST_CHECK enum egca_err egca_store_serial_is_reserved(
    struct egca_store *st, const char *ca, const char *serial_hex,
    int *reserved);

#endif
