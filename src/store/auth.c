/*
 * Operators, web sessions and API tokens (schema 005_auth.sql; tables
 * operator, session, api_token). Plain rows: every rule (roles,
 * lockout, expiry, replay) lives in auth/, which calls these inside its
 * own transactions.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "egca/store.h"
#include "store/backend.h"

/* ---- operator ---- */

#define OP_COLS                                                                \
	"name, display_name, roles, point, department, subscriber,"            \
	" password_hash, totp_sealed, totp_pending, totp_last_step,"           \
	" cert_sha256, must_change, disabled, failures, locked_until,"         \
	" created_at, last_login"
#define OP_NCOL 17

static void
blob_free(uint8_t *b, size_t len)
{
	if (b != NULL)
		OPENSSL_cleanse(b, len);
	free(b);
}

void
egca_store_operator_row_free(struct egca_operator_row *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->display_name);
	free(r->point);
	free(r->department);
	free(r->subscriber);
	free(r->password_hash);
	blob_free(r->totp_sealed, r->totp_sealed_len);
	blob_free(r->totp_pending, r->totp_pending_len);
	free(r->cert_sha256);
	memset(r, 0, sizeof(*r));
}

static enum egca_err
col_flag(const struct store_val *v, int *out)
{
	int64_t i;
	enum egca_err err;

	if ((err = egca_store_col_int(v, &i)) != EGCA_OK)
		return err;
	if (i < 0 || i > 1000000)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: counter range");
	*out = (int)i;
	return EGCA_OK;
}

static enum egca_err
op_decode(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_operator_row *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != OP_NCOL)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: operator columns");
	if ((err = egca_store_col_text(&c[0], &r->name)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->display_name)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[2], &r->roles)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->point)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->department)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->subscriber)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[6], &r->password_hash)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[7], &r->totp_sealed, &r->totp_sealed_len)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[8], &r->totp_pending, &r->totp_pending_len)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[9], &r->totp_last_step)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[10], &r->cert_sha256)) != EGCA_OK ||
	    (err = col_flag(&c[11], &r->must_change)) != EGCA_OK ||
	    (err = col_flag(&c[12], &r->disabled)) != EGCA_OK ||
	    (err = col_flag(&c[13], &r->failures)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[14], &r->locked_until)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[15], &r->created_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[16], &r->last_login)) != EGCA_OK)
		goto out;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_operator_row_free(r);
	return err;
}

/* Parameters $1..$17 in OP_COLS order. */
static void
op_params(const struct egca_operator_row *r, struct store_val p[OP_NCOL])
{
	p[0] = egca_store_text(r->name);
	p[1] = egca_store_text(r->display_name);
	p[2] = egca_store_int(r->roles);
	p[3] = egca_store_text(r->point);
	p[4] = egca_store_text(r->department);
	p[5] = egca_store_text(r->subscriber);
	p[6] = egca_store_text(r->password_hash);
	p[7] = egca_store_blob(r->totp_sealed, r->totp_sealed_len);
	p[8] = egca_store_blob(r->totp_pending, r->totp_pending_len);
	p[9] = egca_store_int(r->totp_last_step);
	p[10] = egca_store_text(r->cert_sha256);
	p[11] = egca_store_int(r->must_change);
	p[12] = egca_store_int(r->disabled);
	p[13] = egca_store_int(r->failures);
	p[14] = egca_store_int(r->locked_until);
	p[15] = egca_store_int(r->created_at);
	p[16] = egca_store_int(r->last_login);
}

enum egca_err
egca_store_operator_insert(
    struct egca_store *st, const struct egca_operator_row *r)
{
	struct store_val p[OP_NCOL];
	enum egca_err err;
	int64_t n;

	op_params(r, p);
	/*
	 * ON CONFLICT DO NOTHING so that a taken name does not abort the
	 * caller's PostgreSQL transaction (bootstrap checks and inserts
	 * in one).
	 */
	if ((err = egca_store_exec(st,
	         "INSERT INTO operator (" OP_COLS ") VALUES ($1, $2, $3, $4,"
	         " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
	         " ON CONFLICT DO NOTHING",
	         p, OP_NCOL, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "operator %s already exists (name or certificate)",
		    r->name);
	return EGCA_OK;
}

static enum egca_err
op_get(struct egca_store *st, const char *sql, const char *key,
    struct egca_operator_row *out)
{
	struct store_val p[1];

	p[0] = egca_store_text(key);
	return egca_store_exec_one(st, sql, p, 1, op_decode, out);
}

enum egca_err
egca_store_operator_get(
    struct egca_store *st, const char *name, struct egca_operator_row *out)
{
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	err = op_get(
	    st, "SELECT " OP_COLS " FROM operator WHERE name = $1", name, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(
		    EGCA_ERR_NOTFOUND, "no operator named %s", name);
	return err;
}

enum egca_err
egca_store_operator_get_by_cert(struct egca_store *st, const char *sha256_hex,
    struct egca_operator_row *out)
{
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	err = op_get(st,
	    "SELECT " OP_COLS " FROM operator WHERE cert_sha256 = $1",
	    sha256_hex, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "no operator with certificate %s", sha256_hex);
	return err;
}

enum egca_err
egca_store_operator_update(
    struct egca_store *st, const struct egca_operator_row *r)
{
	struct store_val p[OP_NCOL];
	enum egca_err err;
	int64_t n;

	op_params(r, p);
	/* created_at ($16) never changes: last_login moves into its slot. */
	p[15] = p[16];
	if ((err = egca_store_exec(st,
	         "UPDATE operator SET display_name = $2, roles = $3,"
	         " point = $4, department = $5, subscriber = $6,"
	         " password_hash = $7, totp_sealed = $8, totp_pending = $9,"
	         " totp_last_step = $10, cert_sha256 = $11, must_change = $12,"
	         " disabled = $13, failures = $14, locked_until = $15,"
	         " last_login = $16 WHERE name = $1",
	         p, OP_NCOL - 1, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_NOTFOUND, "no operator named %s", r->name);
	return EGCA_OK;
}

enum egca_err
egca_store_operator_list(
    struct egca_store *st, struct egca_operator_row **out, size_t *n)
{
	struct store_list l = {0};
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if ((err = egca_store_exec_list(st,
	         "SELECT " OP_COLS " FROM operator ORDER BY name", NULL, 0,
	         op_decode, sizeof(struct egca_operator_row), &l)) != EGCA_OK) {
		egca_store_operator_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

void
egca_store_operator_list_free(struct egca_operator_row *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_operator_row_free(&l[i]);
	free(l);
}

enum egca_err
egca_store_operator_count(
    struct egca_store *st, int64_t mask, int enabled_only, int64_t *n)
{
	struct store_val p[2];

	*n = 0;
	p[0] = egca_store_int(mask);
	p[1] = egca_store_int(enabled_only ? 1 : 0);
	return egca_store_exec(st,
	    "SELECT count(*) FROM operator WHERE ($1 = 0 OR (roles & $1) <> 0)"
	    " AND ($2 = 0 OR disabled = 0)",
	    p, 2, egca_store_count_row, n, NULL);
}

/* ---- session ---- */

#define SESSION_COLS                                                           \
	"id_hash, operator, csrf, mfa, created_at, last_seen, expires_at"

void
egca_store_session_row_free(struct egca_session_row *r)
{
	if (r == NULL)
		return;
	free(r->id_hash);
	free(r->operator_name);
	if (r->csrf != NULL)
		OPENSSL_cleanse(r->csrf, strlen(r->csrf));
	free(r->csrf);
	memset(r, 0, sizeof(*r));
}

static enum egca_err
session_decode(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_session_row *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 7)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: session columns");
	if ((err = egca_store_col_text(&c[0], &r->id_hash)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->operator_name)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->csrf)) != EGCA_OK ||
	    (err = col_flag(&c[3], &r->mfa)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &r->created_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &r->last_seen)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &r->expires_at)) != EGCA_OK)
		goto out;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_session_row_free(r);
	return err;
}

enum egca_err
egca_store_session_insert(
    struct egca_store *st, const struct egca_session_row *r)
{
	struct store_val p[7];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id_hash);
	p[1] = egca_store_text(r->operator_name);
	p[2] = egca_store_text(r->csrf);
	p[3] = egca_store_int(r->mfa);
	p[4] = egca_store_int(r->created_at);
	p[5] = egca_store_int(r->last_seen);
	p[6] = egca_store_int(r->expires_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO session (" SESSION_COLS ") VALUES ($1, $2, $3,"
	         " $4, $5, $6, $7) ON CONFLICT DO NOTHING",
	         p, 7, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS, "session already exists");
	return EGCA_OK;
}

enum egca_err
egca_store_session_get(
    struct egca_store *st, const char *id_hash, struct egca_session_row *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id_hash);
	err = egca_store_exec_one(st,
	    "SELECT " SESSION_COLS " FROM session WHERE id_hash = $1", p, 1,
	    session_decode, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(EGCA_ERR_NOTFOUND, "no such session");
	return err;
}

enum egca_err
egca_store_session_touch(
    struct egca_store *st, const char *id_hash, int64_t last_seen)
{
	struct store_val p[2];

	p[0] = egca_store_text(id_hash);
	p[1] = egca_store_int(last_seen);
	return egca_store_exec(st,
	    "UPDATE session SET last_seen = $2 WHERE id_hash = $1", p, 2, NULL,
	    NULL, NULL);
}

enum egca_err
egca_store_session_delete(
    struct egca_store *st, const char *id_hash, int64_t *deleted)
{
	struct store_val p[1];

	p[0] = egca_store_text(id_hash);
	return egca_store_exec(st, "DELETE FROM session WHERE id_hash = $1", p,
	    1, NULL, NULL, deleted);
}

enum egca_err
egca_store_session_delete_operator(struct egca_store *st, const char *name)
{
	struct store_val p[1];

	p[0] = egca_store_text(name);
	return egca_store_exec(st, "DELETE FROM session WHERE operator = $1", p,
	    1, NULL, NULL, NULL);
}

enum egca_err
egca_store_session_purge(
    struct egca_store *st, int64_t now, int64_t idle_seconds)
{
	struct store_val p[2];

	p[0] = egca_store_int(now);
	p[1] = egca_store_int(now - idle_seconds);
	return egca_store_exec(st,
	    "DELETE FROM session WHERE expires_at <= $1 OR last_seen <= $2", p,
	    2, NULL, NULL, NULL);
}

/* ---- api_token ---- */

#define TOKEN_COLS                                                             \
	"id, token_hash, owner, label, roles, mfa, created_at, expires_at,"    \
	" revoked_at, last_used"
#define TOKEN_NCOL 10

void
egca_store_token_row_free(struct egca_token_row *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->token_hash);
	free(r->owner);
	free(r->label);
	memset(r, 0, sizeof(*r));
}

static enum egca_err
token_decode(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_token_row *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != TOKEN_NCOL)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: token columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->token_hash)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->owner)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->label)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &r->roles)) != EGCA_OK ||
	    (err = col_flag(&c[5], &r->mfa)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &r->created_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[7], &r->expires_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[8], &r->revoked_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[9], &r->last_used)) != EGCA_OK)
		goto out;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_token_row_free(r);
	return err;
}

enum egca_err
egca_store_token_insert(struct egca_store *st, const struct egca_token_row *r)
{
	struct store_val p[TOKEN_NCOL];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->token_hash);
	p[2] = egca_store_text(r->owner);
	p[3] = egca_store_text(r->label ? r->label : "");
	p[4] = egca_store_int(r->roles);
	p[5] = egca_store_int(r->mfa);
	p[6] = egca_store_int(r->created_at);
	p[7] = egca_store_int(r->expires_at);
	p[8] = egca_store_int(r->revoked_at);
	p[9] = egca_store_int(r->last_used);
	if ((err = egca_store_exec(st,
	         "INSERT INTO api_token (" TOKEN_COLS ") VALUES ($1, $2, $3,"
	         " $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
	         p, TOKEN_NCOL, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "token %s already exists", r->id);
	return EGCA_OK;
}

enum egca_err
egca_store_token_get(
    struct egca_store *st, const char *id, struct egca_token_row *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id);
	err = egca_store_exec_one(st,
	    "SELECT " TOKEN_COLS " FROM api_token WHERE id = $1", p, 1,
	    token_decode, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(EGCA_ERR_NOTFOUND, "no token %s", id);
	return err;
}

enum egca_err
egca_store_token_get_by_hash(
    struct egca_store *st, const char *token_hash, struct egca_token_row *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(token_hash);
	err = egca_store_exec_one(st,
	    "SELECT " TOKEN_COLS " FROM api_token WHERE token_hash = $1", p, 1,
	    token_decode, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(EGCA_ERR_NOTFOUND, "no such token");
	return err;
}

enum egca_err
egca_store_token_list(struct egca_store *st, const char *owner,
    struct egca_token_row **out, size_t *n)
{
	struct store_list l = {0};
	struct store_val p[1];
	enum egca_err err;

	*out = NULL;
	*n = 0;
	p[0] = egca_store_text(owner);
	if ((err = egca_store_exec_list(st,
	         owner != NULL ? "SELECT " TOKEN_COLS " FROM api_token"
	                         " WHERE owner = $1 ORDER BY created_at, id"
	                       : "SELECT " TOKEN_COLS " FROM api_token"
	                         " ORDER BY created_at, id",
	         p, owner != NULL ? 1 : 0, token_decode,
	         sizeof(struct egca_token_row), &l)) != EGCA_OK) {
		egca_store_token_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

void
egca_store_token_list_free(struct egca_token_row *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_token_row_free(&l[i]);
	free(l);
}

enum egca_err
egca_store_token_revoke(struct egca_store *st, const char *id, int64_t at)
{
	struct store_val p[2];
	struct egca_token_row r;
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(id);
	p[1] = egca_store_int(at);
	if ((err = egca_store_exec(st,
	         "UPDATE api_token SET revoked_at = $2"
	         " WHERE id = $1 AND revoked_at = 0",
	         p, 2, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n != 0)
		return EGCA_OK;
	if ((err = egca_store_token_get(st, id, &r)) != EGCA_OK)
		return err;
	egca_store_token_row_free(&r);
	return egca_err_set(EGCA_ERR_STATE, "token %s is already revoked", id);
}

enum egca_err
egca_store_token_revoke_owner(
    struct egca_store *st, const char *owner, int64_t at)
{
	struct store_val p[2];

	p[0] = egca_store_text(owner);
	p[1] = egca_store_int(at);
	return egca_store_exec(st,
	    "UPDATE api_token SET revoked_at = $2"
	    " WHERE owner = $1 AND revoked_at = 0",
	    p, 2, NULL, NULL, NULL);
}

enum egca_err
egca_store_token_touch(struct egca_store *st, const char *id, int64_t at)
{
	struct store_val p[2];

	p[0] = egca_store_text(id);
	p[1] = egca_store_int(at);
	return egca_store_exec(st,
	    "UPDATE api_token SET last_used = $2 WHERE id = $1", p, 2, NULL,
	    NULL, NULL);
}
