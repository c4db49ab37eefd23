/*
 * Private to ra/: ids, the caller's scope, refusals audited in their
 * own transaction, text checks, idempotency keys and digests.
 */
#ifndef EGCA_RA_INT_H
#define EGCA_RA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "egca/buf.h"
#include "egca/ra.h"
#include "egca/store.h"

/* Roles that work at a registration point. */
#define RA_ROLE_POINT (EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER)

/* A new 128-bit random id as 32 lower-case hex characters. */
EGCA_MUST_CHECK enum egca_err ra_new_id(char id[33]);
/* 1 when id has the shape of one (anything else is "no such ..."). */
int ra_id_valid(const char *id);

/* The audit actor of a call: the principal's, else the context's. */
const char *ra_actor(
    const struct egca_ctx *ctx, const struct egca_principal *p);
/* EGCA_ERR_AUTH unless p is an authenticated caller. */
EGCA_MUST_CHECK enum egca_err ra_need_user(const struct egca_principal *p);
/* EGCA_ERR_POLICY unless p holds one of roles (their names in names). */
EGCA_MUST_CHECK enum egca_err ra_need_role(const struct egca_principal *p,
    unsigned roles, const char *action, const char *names);

/*
 * Audits a refused change (outcome "failure", details {"error": the
 * current detail}) in a transaction of its own and returns e with the
 * detail it had. A failure to write the audit record wins (fail
 * closed: the caller sees the store error).
 */
EGCA_MUST_CHECK enum egca_err ra_refuse(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *action, const char *object,
    enum egca_err e);

/*
 * 1 for the errors that refuse a request (input, policy, scope, state,
 * conflicts): those are audited; store and internal failures are not.
 */
int ra_refusal(enum egca_err e);

/* e with its detail prefixed by "field: " (the detail is copied first). */
EGCA_MUST_CHECK enum egca_err ra_prefix(enum egca_err e, const char *field);

/*
 * egca_store_tx retries EGCA_ERR_CONFLICT (serialization failures), so
 * a transaction function refusing with a conflict of its own (stale
 * digest, idempotency key reused) returns ra_conflict(...) and the
 * caller runs it with ra_tx, which gives back EGCA_ERR_CONFLICT.
 */
enum egca_err ra_conflict(const char *fmt, ...) EGCA_PRINTF(1, 2);
EGCA_MUST_CHECK enum egca_err ra_tx(
    struct egca_store *st, egca_store_tx_fn fn, void *arg);

/* JSON text (jansson pack format) for audit details; malloc'd or NULL. */
char *ra_details(const char *fmt, ...);
/* Appends a success event inside the caller's transaction. */
EGCA_MUST_CHECK enum egca_err ra_audit(struct egca_store *st, const char *actor,
    const char *action, const char *object, const char *details);

/*
 * Text fields: NULL or within min..max bytes of valid UTF-8 without
 * control characters (newline and tab allowed when multiline).
 * EGCA_ERR_INPUT "field: ...". required: NULL is refused too.
 */
EGCA_MUST_CHECK enum egca_err ra_text(const char *field, const char *s,
    size_t min, size_t max, int required, int multiline);

/*
 * Scope. ra_serves: EGCA_OK when the point serves region (approved or
 * in its home province, egca_ra_region_within), EGCA_ERR_POLICY
 * naming both otherwise. ra_sees: EGCA_OK when p may act on (write) or
 * read subscriber s, EGCA_ERR_NOTFOUND when not, another error when the
 * store failed.
 */
EGCA_MUST_CHECK enum egca_err ra_serves(
    struct egca_store *st, const char *point, const char *region);
EGCA_MUST_CHECK enum egca_err ra_sees(struct egca_store *st,
    const struct egca_principal *p, const struct egca_subscriber_rec *s,
    int write);
/* The store scope of p's lists. */
void ra_scope(const struct egca_principal *p, struct egca_store_ra_scope *sc);

/* Idempotency-Key: 1..128 printable ASCII (NULL: none). */
EGCA_MUST_CHECK enum egca_err ra_idem_key_check(const char *key);
/*
 * Inside the create transaction: when (key, actor) was used, EGCA_OK
 * with the first object's id in id and *replay 1 (same request digest)
 * or EGCA_ERR_CONFLICT (another request).
 */
EGCA_MUST_CHECK enum egca_err ra_idem_lookup(struct egca_store *st,
    const char *key, const char *actor, const char *kind, const char *digest,
    char id[33], int *replay);

/* Canonical encoding for digests: length-prefixed fields. */
void ra_enc_str(struct egca_buf *b, const char *s, enum egca_err *e);
void ra_enc_bytes(
    struct egca_buf *b, const uint8_t *p, size_t len, enum egca_err *e);
/* SM3 hex of b. */
EGCA_MUST_CHECK enum egca_err ra_sm3_hex(
    const uint8_t *p, size_t len, char out[65]);

/* The application's digest over its content and material digests. */
EGCA_MUST_CHECK enum egca_err ra_app_digest(const struct egca_app_rec *a,
    const struct egca_material_rec *m, size_t nm, char out[65]);

/*
 * Execution (exec.c): claims the application and executes it. The
 * caller has checked role and scope.
 */
EGCA_MUST_CHECK enum egca_err ra_execute(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_ra_env *env,
    const char *id, struct egca_app_result *res);

/* Loads an application and its subscriber if p may see (write) it. */
EGCA_MUST_CHECK enum egca_err ra_app_load(struct egca_store *st,
    const struct egca_principal *p, const char *id, int write,
    struct egca_app_rec *app, struct egca_subscriber_rec *sub);

#endif
