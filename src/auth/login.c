/*
 * Login by password (and TOTP when enrolled), by TLS client
 * certificate, and the lockout.
 *
 * One answer for an unknown name, a wrong password and a wrong or
 * missing code (EGCA_ERR_AUTH, same text), and the same Argon2 work for
 * an unknown name (a dummy hash), so neither the answer nor its time
 * tells which operators exist. A locked account answers EGCA_ERR_STATE
 * without its password being checked; a disabled one only after the
 * right password. Lockout is per account and ends by time: other
 * accounts are not affected, and an attacker can keep one account
 * locked (the price of stopping guesses; a security administrator's
 * unlock ends it early).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/crypto.h"
#include "auth/auth_int.h"

#define LOGIN_FAILED "login: wrong name, password or code"
/*
 * The HTTP layer presents the certificate on every request: its use is
 * recorded (last_login and an "auth.login" event) at most this often
 * per operator, not one write transaction per request. Refusals are
 * recorded every time.
 */
#define CERT_RECORD_SECONDS 60

/* ---- lockout ---- */

struct fail {
	const struct egca_ctx *ctx;
	const char *actor;
	const char *name;
	const char *action;
	const char *reason;
	const char *source;
	int64_t now;
};

static enum egca_err
fail_tx(struct egca_store *st, void *arg)
{
	struct fail *f = arg;
	struct egca_operator_row op;
	char object[80], *details;
	enum egca_err err;

	if ((err = egca_store_operator_get(st, f->name, &op)) != EGCA_OK)
		return err;
	if (op.locked_until != 0 && op.locked_until <= f->now) {
		/* The lock ran out: counting starts again. */
		op.failures = 0;
		op.locked_until = 0;
	}
	if (op.failures < EGCA_AUTH_MAX_FAILURES)
		op.failures++;
	if (op.failures >= EGCA_AUTH_MAX_FAILURES && op.locked_until == 0)
		op.locked_until = f->now + EGCA_AUTH_LOCK_SECONDS;
	if ((err = egca_store_operator_update(st, &op)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "operator/%s", f->name);
	details = egca_audit_details("{s:s, s:s, s:i, s:I}", "reason",
	    f->reason, "source", f->source ? f->source : "", "failures",
	    op.failures, "locked_until", (json_int_t)op.locked_until);
	if (details == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "audit details");
		goto out;
	}
	err = auth_audit(st, f->actor, f->action, object, "failure", details);
	free(details);
out:
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
auth_login_failed(const struct egca_ctx *ctx, const char *actor,
    const char *name, const char *action, const char *reason,
    const char *source)
{
	struct fail f = {
	    ctx, actor ? actor : "anonymous", name, action, reason, source, 0};
	enum egca_err err;

	f.now = auth_now();
	if ((err = egca_store_tx(ctx->st, fail_tx, &f)) != EGCA_OK)
		return err;
	return egca_err_set(EGCA_ERR_AUTH, LOGIN_FAILED);
}

/* A failure that counts against no account (unknown name, locked). */
static enum egca_err refuse(const struct egca_ctx *ctx, const char *name,
    const char *reason, const char *source, enum egca_err err, const char *fmt,
    ...) EGCA_PRINTF(6, 7);

static enum egca_err
refuse(const struct egca_ctx *ctx, const char *name, const char *reason,
    const char *source, enum egca_err err, const char *fmt, ...)
{
	struct egca_audit_event ev;
	char object[80], msg[256], *details;
	va_list ap;
	enum egca_err e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(object, sizeof(object), "operator/%s", name);
	details = egca_audit_details(
	    "{s:s, s:s}", "reason", reason, "source", source ? source : "");
	ev = (struct egca_audit_event){
	    "anonymous", "auth.login", object, "failure", details};
	if (details == NULL)
		e = egca_err_set(EGCA_ERR_NOMEM, "audit details");
	else
		e = egca_audit_record(ctx->st, &ev);
	free(details);
	if (e != EGCA_OK)
		return e;
	return egca_err_set(err, "%s", msg);
}

/* ---- sessions ---- */

/* 32 random bytes as 64 hex digits. */
static enum egca_err
random_hex(char out[65])
{
	uint8_t r[32];
	enum egca_err err;

	if ((err = egca_crypto_rand(r, sizeof(r))) == EGCA_OK)
		egca_hex_encode(r, sizeof(r), out);
	OPENSSL_cleanse(r, sizeof(r));
	return err;
}

struct login {
	const struct egca_ctx *ctx;
	const struct egca_login *in;
	const char *name;
	struct egca_session_row s;
	const char *old_hash; /* NULL: none presented */
	int64_t step;         /* accepted TOTP step; 0: no TOTP */
	int64_t now;
	int replay; /* set when the step was taken meanwhile */
};

static enum egca_err
login_tx(struct egca_store *st, void *arg)
{
	struct login *l = arg;
	struct egca_operator_row op;
	char object[80], actor[96], *details = NULL;
	enum egca_err err;

	l->replay = 0;
	if ((err = egca_store_operator_get(st, l->name, &op)) != EGCA_OK)
		return err;
	if (op.disabled || op.locked_until > l->now) {
		err = egca_err_set(EGCA_ERR_STATE,
		    "login: account disabled or locked meanwhile");
		goto out;
	}
	if (l->step != 0) {
		if (l->step <= op.totp_last_step) {
			l->replay = 1;
			err = egca_err_set(EGCA_ERR_AUTH, LOGIN_FAILED);
			goto out;
		}
		op.totp_last_step = l->step;
	}
	op.failures = 0;
	op.locked_until = 0;
	op.last_login = l->now;
	if ((err = egca_store_operator_update(st, &op)) != EGCA_OK)
		goto out;
	/* A session id known before login is never carried over. */
	if (l->old_hash != NULL &&
	    (err = egca_store_session_delete(st, l->old_hash, NULL)) != EGCA_OK)
		goto out;
	if ((err = egca_store_session_purge(
	         st, l->now, EGCA_AUTH_SESSION_IDLE)) != EGCA_OK ||
	    (err = egca_store_session_insert(st, &l->s)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "operator/%s", l->name);
	details = egca_audit_details("{s:s, s:b, s:s}", "method",
	    l->step != 0 ? "password+totp" : "password", "mfa", l->s.mfa,
	    "source", l->in->source ? l->in->source : "");
	if (details == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "audit details");
		goto out;
	}
	snprintf(actor, sizeof(actor), "operator:%s", l->name);
	err = auth_audit(st, actor, "auth.login", object, "success", details);
out:
	free(details);
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
egca_auth_login(const struct egca_ctx *ctx, const struct egca_login *in,
    struct egca_session_out *out, struct egca_principal *p)
{
	struct egca_operator_row op;
	struct login l;
	uint8_t seed[64];
	size_t seed_len = 0;
	char id_hash[65], old_hash[65];
	const char *name = in->name, *password = in->password;
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	memset(&op, 0, sizeof(op));
	memset(&l, 0, sizeof(l));
	egca_principal_anonymous(p);
	if (password == NULL)
		password = "";
	l.now = auth_now();
	if (name == NULL || auth_name_check("name", name) != EGCA_OK) {
		/*
		 * Not a name at all: perhaps a password typed into the
		 * wrong field, so its text is not recorded.
		 */
		auth_password_dummy(password);
		return refuse(ctx, "?", "malformed name", in->source,
		    EGCA_ERR_AUTH, LOGIN_FAILED);
	}
	err = egca_store_operator_get(ctx->st, name, &op);
	if (err == EGCA_ERR_NOTFOUND) {
		auth_password_dummy(password);
		return refuse(ctx, name, "unknown operator", in->source,
		    EGCA_ERR_AUTH, LOGIN_FAILED);
	}
	if (err != EGCA_OK)
		return err;
	if (op.locked_until > l.now) {
		err = refuse(ctx, name, "locked", in->source, EGCA_ERR_STATE,
		    "login: account locked after %d failed attempts; try"
		    " again in %lld s or ask a security administrator",
		    EGCA_AUTH_MAX_FAILURES,
		    (long long)(op.locked_until - l.now));
		goto out;
	}
	if ((err = egca_auth_password_verify(op.password_hash, password)) !=
	    EGCA_OK) {
		if (err == EGCA_ERR_AUTH)
			err = auth_login_failed(ctx, NULL, name, "auth.login",
			    "wrong password", in->source);
		goto out;
	}
	if (op.disabled) {
		err = refuse(ctx, name, "disabled", in->source, EGCA_ERR_STATE,
		    "login: account disabled");
		goto out;
	}
	if (op.totp_sealed != NULL) {
		if (in->totp == NULL || in->totp[0] == '\0') {
			err = auth_login_failed(ctx, NULL, name, "auth.login",
			    "TOTP code missing", in->source);
			goto out;
		}
		if ((err = auth_unseal(ctx->cfg, op.totp_sealed,
		         op.totp_sealed_len, name, seed, sizeof(seed),
		         &seed_len)) != EGCA_OK) {
			err = refuse(ctx, name, "TOTP seed does not open",
			    in->source, err, "%s", egca_err_detail());
			goto out;
		}
		err = auth_totp_match(seed, seed_len, in->totp, l.now, &l.step);
		OPENSSL_cleanse(seed, sizeof(seed));
		if (err == EGCA_OK && l.step <= op.totp_last_step)
			err = EGCA_ERR_AUTH;
		if (err != EGCA_OK) {
			if (err == EGCA_ERR_AUTH)
				err = auth_login_failed(ctx, NULL, name,
				    "auth.login",
				    l.step != 0 ? "TOTP code replayed"
				                : "wrong TOTP code",
				    in->source);
			goto out;
		}
	}
	if ((err = random_hex(out->id)) != EGCA_OK ||
	    (err = random_hex(out->csrf)) != EGCA_OK ||
	    (err = auth_sha256_hex(out->id, id_hash)) != EGCA_OK)
		goto out;
	if (in->old_session != NULL && auth_is_hex(in->old_session, 64)) {
		if ((err = auth_sha256_hex(in->old_session, old_hash)) !=
		    EGCA_OK)
			goto out;
		l.old_hash = old_hash;
	}
	l.ctx = ctx;
	l.in = in;
	l.name = name;
	l.s.id_hash = id_hash;
	l.s.operator_name = UNCONST(name);
	l.s.csrf = out->csrf;
	l.s.mfa = op.totp_sealed != NULL;
	l.s.created_at = l.now;
	l.s.last_seen = l.now;
	l.s.expires_at = l.now + EGCA_AUTH_SESSION_MAX;
	if ((err = egca_store_tx(ctx->st, login_tx, &l)) != EGCA_OK) {
		if (l.replay)
			err = auth_login_failed(ctx, NULL, name, "auth.login",
			    "TOTP code replayed", in->source);
		goto out;
	}
	out->expires = l.s.expires_at;
	auth_principal_fill(p, &op, l.s.mfa, id_hash);
	err = EGCA_OK;
out:
	if (err != EGCA_OK) {
		OPENSSL_cleanse(out, sizeof(*out));
		egca_principal_anonymous(p);
	}
	OPENSSL_cleanse(seed, sizeof(seed));
	egca_store_operator_row_free(&op);
	return err;
}

/* ---- TLS client certificate ---- */

struct certlogin {
	const struct egca_ctx *ctx;
	const char *name;
	const char *sha;
	const char *source;
	int64_t now;
};

static enum egca_err
cert_tx(struct egca_store *st, void *arg)
{
	struct certlogin *c = arg;
	struct egca_operator_row op;
	char object[80], actor[96], *details = NULL;
	enum egca_err err;

	if ((err = egca_store_operator_get(st, c->name, &op)) != EGCA_OK)
		return err;
	op.last_login = c->now;
	if ((err = egca_store_operator_update(st, &op)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "operator/%s", c->name);
	snprintf(actor, sizeof(actor), "operator:%s", c->name);
	details = egca_audit_details("{s:s, s:s, s:b, s:s}", "method",
	    "certificate", "cert_sha256", c->sha, "mfa", 1, "source",
	    c->source ? c->source : "");
	if (details == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "audit details");
		goto out;
	}
	err = auth_audit(st, actor, "auth.login", object, "success", details);
out:
	free(details);
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
egca_auth_cert_login(const struct egca_ctx *ctx, const char *cert_sha256_hex,
    const char *source, struct egca_principal *p)
{
	struct egca_operator_row op;
	struct certlogin c;
	char sha[65];
	size_t i;
	enum egca_err err;

	egca_principal_anonymous(p);
	memset(&op, 0, sizeof(op));
	if (!auth_is_hex(cert_sha256_hex, 64))
		return refuse(ctx, "?", "malformed certificate fingerprint",
		    source, EGCA_ERR_INPUT,
		    "login: certificate fingerprint must be 64 hex digits");
	for (i = 0; i < 64; i++)
		sha[i] = (char)tolower((unsigned char)cert_sha256_hex[i]);
	sha[64] = '\0';
	err = egca_store_operator_get_by_cert(ctx->st, sha, &op);
	if (err == EGCA_ERR_NOTFOUND)
		return refuse(ctx, "?", "certificate not registered", source,
		    EGCA_ERR_AUTH, "login: certificate not registered");
	if (err != EGCA_OK)
		return err;
	c = (struct certlogin){ctx, op.name, sha, source, auth_now()};
	if (op.disabled)
		err = refuse(ctx, op.name, "disabled", source, EGCA_ERR_STATE,
		    "login: account disabled");
	else if (op.locked_until > c.now)
		err = refuse(ctx, op.name, "locked", source, EGCA_ERR_STATE,
		    "login: account locked after failed attempts");
	else if (op.last_login <= c.now &&
	    c.now - op.last_login < CERT_RECORD_SECONDS)
		err = EGCA_OK; /* recorded a moment ago */
	else
		err = egca_store_tx(ctx->st, cert_tx, &c);
	/* The certificate and its key are a second factor. */
	if (err == EGCA_OK)
		auth_principal_fill(p, &op, 1, NULL);
	egca_store_operator_row_free(&op);
	return err;
}
