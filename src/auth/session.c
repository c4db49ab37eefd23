/*
 * Web sessions. The cookie value is 32 random bytes in hex; the store
 * keeps only its SHA-256, so a copy of the database opens no session.
 * A session ends EGCA_AUTH_SESSION_IDLE seconds after its last request
 * and EGCA_AUTH_SESSION_MAX seconds after login, whichever is first.
 * State-changing requests carry the session's CSRF token in
 * X-CSRF-Token (compared in constant time).
 *
 * The operator row is read on every check, so role changes, disabling
 * and a changed one-time password take effect at the next request. A
 * lockout (password guessing) leaves running sessions alone; disabling
 * and a reset end them.
 * last_seen is written at most every TOUCH_SECONDS, not on every
 * request; the idle limit is therefore exact only to that many seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "egca/audit.h"
#include "auth/auth_int.h"

#define TOUCH_SECONDS 30
#define SESSION_GONE "session: unknown, expired or ended"

struct drop {
	const char *hash;
	const struct egca_ctx *ctx;
	const char *actor; /* NULL: no audit event (expiry) */
	const char *object;
	int64_t deleted;
};

static enum egca_err
drop_tx(struct egca_store *st, void *arg)
{
	struct drop *d = arg;
	enum egca_err err;

	if ((err = egca_store_session_delete(st, d->hash, &d->deleted)) !=
	        EGCA_OK ||
	    d->actor == NULL || d->deleted == 0)
		return err;
	return auth_audit(
	    st, d->actor, "auth.logout", d->object, "success", NULL);
}

struct touch {
	const char *hash;
	int64_t now;
};

static enum egca_err
touch_tx(struct egca_store *st, void *arg)
{
	struct touch *t = arg;

	return egca_store_session_touch(st, t->hash, t->now);
}

enum egca_err
egca_auth_session_check(const struct egca_ctx *ctx, const char *id,
    const char *csrf, int changes, int64_t now, struct egca_principal *p)
{
	struct egca_session_row s;
	struct egca_operator_row op;
	struct drop d;
	struct touch t;
	char hash[65];
	size_t n;
	enum egca_err err;

	egca_principal_anonymous(p);
	memset(&s, 0, sizeof(s));
	memset(&op, 0, sizeof(op));
	if (!auth_is_hex(id, 64))
		return egca_err_set(EGCA_ERR_AUTH, SESSION_GONE);
	if ((err = auth_sha256_hex(id, hash)) != EGCA_OK)
		return err;
	err = egca_store_session_get(ctx->st, hash, &s);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(EGCA_ERR_AUTH, SESSION_GONE);
	if (err != EGCA_OK)
		return err;
	if (s.expires_at <= now ||
	    s.last_seen <= now - EGCA_AUTH_SESSION_IDLE) {
		d = (struct drop){hash, ctx, NULL, NULL, 0};
		if ((err = egca_store_tx(ctx->st, drop_tx, &d)) == EGCA_OK)
			err = egca_err_set(EGCA_ERR_AUTH, SESSION_GONE);
		goto out;
	}
	err = egca_store_operator_get(ctx->st, s.operator_name, &op);
	if (err == EGCA_ERR_NOTFOUND || (err == EGCA_OK && op.disabled)) {
		err = egca_err_set(EGCA_ERR_AUTH, SESSION_GONE);
		goto out;
	}
	if (err != EGCA_OK)
		goto out;
	if (changes) {
		n = strlen(s.csrf);
		if (csrf == NULL || csrf[0] == '\0') {
			err = egca_err_set(EGCA_ERR_POLICY,
			    "csrf: X-CSRF-Token header missing");
			goto out;
		}
		if (strlen(csrf) != n || CRYPTO_memcmp(csrf, s.csrf, n) != 0) {
			err = egca_err_set(EGCA_ERR_POLICY,
			    "csrf: X-CSRF-Token does not match the session");
			goto out;
		}
	}
	if (now - s.last_seen >= TOUCH_SECONDS) {
		/* Best effort: a missed touch only ends the session sooner. */
		t = (struct touch){hash, now};
		if (egca_store_tx(ctx->st, touch_tx, &t) != EGCA_OK)
			egca_err_clear();
	}
	auth_principal_fill(p, &op, s.mfa, hash);
	err = EGCA_OK;
out:
	egca_store_session_row_free(&s);
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
egca_auth_logout(const struct egca_ctx *ctx, const char *id)
{
	struct egca_session_row s;
	struct drop d;
	char hash[65], actor[96], object[80];
	enum egca_err err;

	/* Ending a session that does not exist succeeds: nothing to end. */
	if (!auth_is_hex(id, 64))
		return EGCA_OK;
	if ((err = auth_sha256_hex(id, hash)) != EGCA_OK)
		return err;
	err = egca_store_session_get(ctx->st, hash, &s);
	if (err == EGCA_ERR_NOTFOUND) {
		egca_err_clear();
		return EGCA_OK;
	}
	if (err != EGCA_OK)
		return err;
	snprintf(actor, sizeof(actor), "operator:%s", s.operator_name);
	snprintf(object, sizeof(object), "operator/%s", s.operator_name);
	egca_store_session_row_free(&s);
	d = (struct drop){hash, ctx, actor, object, 0};
	return egca_store_tx(ctx->st, drop_tx, &d);
}
