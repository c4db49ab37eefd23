/*
 * API tokens: "egca_" followed by 32 random bytes in base64url without
 * padding (43 characters). The store keeps the SHA-256 (hex) of the
 * whole text; the public id is 8 further random bytes in hex, unrelated
 * to the token, so listing ids reveals nothing about any token.
 *
 * A token acts with its scope (a subset of its owner's roles when it
 * was made, narrowed at every use to the roles the owner still holds)
 * and with the second-factor state of the session that made it. It
 * stops working when it expires, is revoked, or its owner is disabled,
 * locked or reset. Tokens are made from a session, not from another
 * token, so a leaked token cannot extend its own life.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/crypto.h"
#include "auth/auth_int.h"

#define PREFIX "egca_"
#define PREFIX_LEN 5
#define RAND_LEN 32
#define TEXT_LEN (PREFIX_LEN + 43)
#define TTL_MAX (366 * 86400)
#define LABEL_MAX 128
#define TOUCH_SECONDS 60

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of 32 bytes: 43 characters + NUL. */
static void
encode(const uint8_t in[RAND_LEN], char out[44])
{
	uint32_t v;
	size_t i, o = 0;

	for (i = 0; i + 3 <= RAND_LEN; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	/* 32 = 30 + 2: two bytes left, three characters. */
	v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
	out[o++] = b64url[(v >> 18) & 63];
	out[o++] = b64url[(v >> 12) & 63];
	out[o++] = b64url[(v >> 6) & 63];
	out[o] = '\0';
}

static int
well_formed(const char *t)
{
	size_t i;

	if (t == NULL || strlen(t) != TEXT_LEN ||
	    strncmp(t, PREFIX, PREFIX_LEN) != 0)
		return 0;
	for (i = PREFIX_LEN; i < TEXT_LEN; i++)
		if (strchr(b64url, t[i]) == NULL)
			return 0;
	return 1;
}

static int
label_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n > LABEL_MAX || !auth_utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* ---- create ---- */

struct create {
	const struct egca_ctx *ctx;
	const char *actor;
	struct egca_token_row t;
};

static enum egca_err
create_tx(struct egca_store *st, void *arg)
{
	struct create *c = arg;
	struct egca_operator_row op;
	char object[80], roles[128], *details = NULL;
	enum egca_err err;

	if ((err = egca_store_operator_get(st, c->t.owner, &op)) != EGCA_OK)
		return err;
	if (op.disabled) {
		err = egca_err_set(
		    EGCA_ERR_STATE, "token: owner %s is disabled", c->t.owner);
		goto out;
	}
	if (c->t.roles & ~op.roles) {
		err = egca_err_set(EGCA_ERR_POLICY,
		    "roles: not a subset of the owner's roles");
		goto out;
	}
	if ((err = egca_store_token_insert(st, &c->t)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "token/%s", c->t.id);
	egca_role_format((unsigned)c->t.roles, roles, sizeof(roles));
	details = egca_audit_details("{s:s, s:s, s:s, s:b, s:I}", "owner",
	    c->t.owner, "label", c->t.label, "roles", roles, "mfa", c->t.mfa,
	    "expires_at", (json_int_t)c->t.expires_at);
	if (details == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "audit details");
		goto out;
	}
	err = auth_audit(
	    st, c->actor, "token.create", object, "success", details);
out:
	free(details);
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
egca_auth_token_create(const struct egca_ctx *ctx,
    const struct egca_principal *owner, unsigned roles, int64_t ttl_seconds,
    const char *label, char *token, size_t token_len, char id[17])
{
	struct create c;
	uint8_t r[RAND_LEN], rid[8];
	char body[44], hash[65], object[80];
	const char *actor;
	enum egca_err err;

	if (token_len > 0)
		token[0] = '\0';
	id[0] = '\0';
	if (owner == NULL || owner->name[0] == '\0')
		return egca_err_set(
		    EGCA_ERR_AUTH, "token: authentication required");
	actor = owner->actor;
	snprintf(object, sizeof(object), "operator/%.60s", owner->name);
	if (token_len < TEXT_LEN + 1)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "token: output buffer too small");
	if (strncmp(owner->actor, "token:", 6) == 0)
		err = egca_err_set(EGCA_ERR_POLICY,
		    "token: made from a login session, not with a token");
	else if (roles == 0 || (roles & ~(unsigned)EGCA_ROLE_ALL))
		err = egca_err_set(
		    EGCA_ERR_INPUT, "roles: at least one known role");
	else if (roles & ~owner->roles)
		err = egca_err_set(EGCA_ERR_POLICY,
		    "roles: not a subset of the caller's roles");
	else if (ttl_seconds < 1 || ttl_seconds > TTL_MAX)
		err = egca_err_set(EGCA_ERR_INPUT, "ttl: 1 second to 366 days");
	else if (label != NULL && !label_ok(label))
		err = egca_err_set(EGCA_ERR_INPUT,
		    "label: at most %d bytes of UTF-8 text without control"
		    " characters",
		    LABEL_MAX);
	else
		err = EGCA_OK;
	if (err != EGCA_OK)
		return auth_audit_failure(
		    ctx, actor, "token.create", object, err, NULL);
	if ((err = egca_crypto_rand(r, sizeof(r))) != EGCA_OK ||
	    (err = egca_crypto_rand(rid, sizeof(rid))) != EGCA_OK)
		goto out;
	encode(r, body);
	snprintf(token, token_len, PREFIX "%s", body);
	egca_hex_encode(rid, sizeof(rid), id);
	if ((err = auth_sha256_hex(token, hash)) != EGCA_OK)
		goto out;
	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.actor = actor;
	c.t.id = id;
	c.t.token_hash = hash;
	c.t.owner = UNCONST(owner->name);
	c.t.label = UNCONST(label ? label : "");
	c.t.roles = roles;
	c.t.mfa = owner->mfa ? 1 : 0;
	c.t.created_at = auth_now();
	c.t.expires_at = c.t.created_at + ttl_seconds;
	if ((err = egca_store_tx(ctx->st, create_tx, &c)) != EGCA_OK) {
		if (err != EGCA_ERR_STORE && err != EGCA_ERR_NOMEM &&
		    err != EGCA_ERR_CONFLICT)
			err = auth_audit_failure(
			    ctx, actor, "token.create", object, err, NULL);
		goto out;
	}
	err = EGCA_OK;
out:
	OPENSSL_cleanse(r, sizeof(r));
	OPENSSL_cleanse(body, sizeof(body));
	if (err != EGCA_OK) {
		OPENSSL_cleanse(token, token_len);
		id[0] = '\0';
	}
	return err;
}

/* ---- check ---- */

static enum egca_err
touch_tx(struct egca_store *st, void *arg)
{
	const struct egca_token_row *t = arg;

	return egca_store_token_touch(st, t->id, t->last_used);
}

enum egca_err
egca_auth_token_check(const struct egca_ctx *ctx, const char *token,
    int64_t now, struct egca_principal *p)
{
	struct egca_token_row t;
	struct egca_operator_row op;
	char hash[65], object[80];
	const char *why = NULL;
	unsigned roles;
	enum egca_err err;

	egca_principal_anonymous(p);
	memset(&t, 0, sizeof(t));
	memset(&op, 0, sizeof(op));
	snprintf(object, sizeof(object), "token/?");
	if (!well_formed(token)) {
		why = "token: not an egca token";
		goto refused;
	}
	if ((err = auth_sha256_hex(token, hash)) != EGCA_OK)
		return err;
	err = egca_store_token_get_by_hash(ctx->st, hash, &t);
	if (err == EGCA_ERR_NOTFOUND) {
		why = "token: unknown";
		goto refused;
	}
	if (err != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "token/%s", t.id);
	if (t.revoked_at != 0) {
		why = "token: revoked";
		goto refused;
	}
	if (t.expires_at <= now) {
		why = "token: expired";
		goto refused;
	}
	err = egca_store_operator_get(ctx->st, t.owner, &op);
	if (err == EGCA_ERR_NOTFOUND) {
		why = "token: owner unknown";
		goto refused;
	}
	if (err != EGCA_OK)
		goto out;
	if (op.disabled) {
		why = "token: owner disabled";
		goto refused;
	}
	if (op.locked_until > now) {
		why = "token: owner locked";
		goto refused;
	}
	roles = (unsigned)(t.roles & op.roles) & EGCA_ROLE_ALL;
	if (roles == 0) {
		why = "token: the owner no longer holds its roles";
		goto refused;
	}
	if (now - t.last_used >= TOUCH_SECONDS) {
		/* Best effort: last_used is informational. */
		t.last_used = now;
		if (egca_store_tx(ctx->st, touch_tx, &t) != EGCA_OK)
			egca_err_clear();
	}
	auth_principal_fill(p, &op, t.mfa, NULL);
	p->roles = roles;
	snprintf(p->actor, sizeof(p->actor), "token:%s/%s", t.owner, t.id);
	/* Attributes follow the token's scope, not the owner's roles. */
	if (!(roles & (EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER)))
		p->point[0] = '\0';
	if (!(roles & EGCA_ROLE_DEPT_VIEWER))
		p->department[0] = '\0';
	if (!(roles & EGCA_ROLE_APPLICANT))
		p->subscriber[0] = '\0';
	err = EGCA_OK;
	goto out;
refused:
	egca_err_set(EGCA_ERR_AUTH, "%s", why);
	err = auth_audit_failure(
	    ctx, "anonymous", "auth.token", object, EGCA_ERR_AUTH, NULL);
out:
	egca_store_token_row_free(&t);
	egca_store_operator_row_free(&op);
	return err;
}

/* ---- revoke and list ---- */

struct revoke {
	const struct egca_ctx *ctx;
	const struct egca_principal *by;
	const char *id;
	int64_t now;
};

static enum egca_err
revoke_tx(struct egca_store *st, void *arg)
{
	struct revoke *rv = arg;
	struct egca_token_row t;
	char object[80], *details;
	enum egca_err err;

	if ((err = egca_store_token_get(st, rv->id, &t)) != EGCA_OK)
		return err;
	/* Someone else's token looks exactly like a missing one. */
	if (strcmp(t.owner, rv->by->name) != 0 &&
	    !(rv->by->roles & EGCA_ROLE_SECADMIN)) {
		egca_store_token_row_free(&t);
		return egca_err_set(EGCA_ERR_NOTFOUND, "no token %s", rv->id);
	}
	details = egca_audit_details("{s:s}", "owner", t.owner);
	egca_store_token_row_free(&t);
	if (details == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "audit details");
	if ((err = egca_store_token_revoke(st, rv->id, rv->now)) == EGCA_OK) {
		snprintf(object, sizeof(object), "token/%s", rv->id);
		err = auth_audit(st, rv->by->actor, "token.revoke", object,
		    "success", details);
	}
	free(details);
	return err;
}

enum egca_err
egca_auth_token_revoke(
    const struct egca_ctx *ctx, const struct egca_principal *by, const char *id)
{
	struct revoke rv = {ctx, by, id, auth_now()};
	char object[80];
	enum egca_err err;

	if (by == NULL || by->name[0] == '\0')
		return egca_err_set(
		    EGCA_ERR_AUTH, "token: authentication required");
	if (!auth_is_hex(id, 16)) {
		egca_err_set(EGCA_ERR_INPUT, "id: must be 16 hex digits");
		return auth_audit_failure(ctx, by->actor, "token.revoke",
		    "token/?", EGCA_ERR_INPUT, NULL);
	}
	if ((err = egca_store_tx(ctx->st, revoke_tx, &rv)) == EGCA_OK)
		return EGCA_OK;
	if (err == EGCA_ERR_STORE || err == EGCA_ERR_NOMEM ||
	    err == EGCA_ERR_CONFLICT)
		return err;
	snprintf(object, sizeof(object), "token/%s", id);
	return auth_audit_failure(
	    ctx, by->actor, "token.revoke", object, err, NULL);
}

void
egca_auth_token_list_free(struct egca_token_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(l[i].id);
		free(l[i].owner);
		free(l[i].label);
	}
	free(l);
}

enum egca_err
egca_auth_token_list(const struct egca_ctx *ctx, const char *owner,
    struct egca_token_rec **out, size_t *n)
{
	struct egca_token_row *rows = NULL;
	struct egca_token_rec *l = NULL;
	size_t i, nrows = 0;
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if (owner != NULL && (err = auth_name_check("owner", owner)) != EGCA_OK)
		return err;
	if ((err = egca_store_token_list(ctx->st, owner, &rows, &nrows)) !=
	    EGCA_OK)
		return err;
	if (nrows > 0 && (l = calloc(nrows, sizeof(*l))) == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "token list");
		goto out;
	}
	for (i = 0; i < nrows; i++) {
		/* The row's strings move into the record. */
		l[i].id = rows[i].id;
		l[i].owner = rows[i].owner;
		l[i].label = rows[i].label;
		rows[i].id = rows[i].owner = rows[i].label = NULL;
		l[i].roles = (unsigned)rows[i].roles & EGCA_ROLE_ALL;
		l[i].mfa = rows[i].mfa;
		l[i].created_at = rows[i].created_at;
		l[i].expires_at = rows[i].expires_at;
		l[i].revoked_at = rows[i].revoked_at;
		l[i].last_used = rows[i].last_used;
	}
	*out = l;
	*n = nrows;
	err = EGCA_OK;
out:
	egca_store_token_list_free(rows, nrows);
	return err;
}
