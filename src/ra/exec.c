/*
 * Execution of approved applications through ca/ (status authoritative
 * at once: issuance pre-signs the OCSP answer; status changes re-sign
 * it with the open issuer, else mark it stale).
 *
 * Exactly one caller executes: it first claims the application with
 * UPDATE ... SET state = 'executing' WHERE state IN ('approved',
 * 'failed') in a transaction of its own and goes on only when that
 * changed one row. The change that finishes the work commits with the
 * application's new state: the issuance transaction of ca/ calls
 * issued() (revocation code hash, result_serial, state) and the status
 * transaction calls done(), so a certificate never exists without its
 * application saying so, and the reverse.
 *
 * Recovery rule: a crash leaves the application 'executing'. Nothing
 * of the step in progress was committed (the hook commits with it), so
 * after RA_EXEC_STALE seconds without progress egca_ra_app_execute may
 * claim it again and redo it. update and extend commit in two steps
 * (the new certificate, then the old one superseded): an application
 * with result_serial set already has its new certificate, and a retry
 * only supersedes the old one, with a fresh revocation code replacing
 * the one the crash lost. A failure ends in 'failed' with the reason
 * in result_error (and an audit event); execute may retry it.
 *
 * Per kind: new (sign certificate from the CSR; with enc_profile the
 * KM must make the encryption pair: refused while it is absent),
 * update (new key, then the old certificate superseded), extend (same
 * key, new validity, then superseded), recover (needs the KM), hold,
 * unhold, revoke (ca/ status change). The certificate acted on must
 * still belong to the application's subscriber.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/pki.h"
#include "ra/ra_int.h"

/* Seconds an 'executing' application may make no progress. */
#define RA_EXEC_STALE 600

/* Revocation codes: 20 base32 characters (100 bits), shown in 4s. */
#define CODE_CHARS 20

struct exec {
	const struct egca_ctx *ctx;
	const char *actor;
	const struct egca_app_rec *app;
	const char *final_state; /* issued(): "executed" or "executing" */
	char code_hash[65];      /* "" when no code is (re)placed */
	const char *code_serial; /* done(): the certificate of code_hash */
	char new_serial[41];     /* issued(): the certificate stored */
	int64_t now;
};

static enum egca_err
new_code(char text[32], char hash[65])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t r[CODE_CHARS], d[32];
	char raw[CODE_CHARS + 1];
	size_t i, j;
	enum egca_err e;

	if ((e = egca_crypto_rand(r, sizeof(r))) != EGCA_OK)
		return e;
	for (i = 0; i < CODE_CHARS; i++)
		raw[i] = b32[r[i] & 31];
	raw[CODE_CHARS] = '\0';
	for (i = 0, j = 0; i < CODE_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			text[j++] = '-';
		text[j++] = raw[i];
	}
	text[j] = '\0';
	e = egca_crypto_sha256(raw, CODE_CHARS, d);
	if (e == EGCA_OK)
		egca_hex_encode(d, sizeof(d), hash);
	OPENSSL_cleanse(r, sizeof(r));
	OPENSSL_cleanse(raw, sizeof(raw));
	return e;
}

static enum egca_err
audit_done(struct egca_store *st, struct exec *x, const char *serial)
{
	char object[64], *details;
	enum egca_err e;

	snprintf(object, sizeof(object), "app/%s", x->app->id);
	details = ra_details("{s:s, s:s*, s:s*}", "kind", x->app->kind,
	    "serial", x->app->serial, "result_serial", serial);
	e = ra_audit(st, x->actor, "app.execute", object, details);
	free(details);
	return e;
}

/* ca/ issuance hook: inside the transaction storing the certificate. */
static enum egca_err
issued(struct egca_store *st, void *arg, const char *serial)
{
	struct exec *x = arg;
	enum egca_err e;

	snprintf(x->new_serial, sizeof(x->new_serial), "%s", serial);
	if ((e = egca_store_ra_code_put(
	         st, x->app->ca, serial, x->code_hash, x->now)) != EGCA_OK ||
	    (e = egca_store_ra_app_finish(st, x->app->id, x->final_state,
	         serial, NULL, x->now)) != EGCA_OK)
		return e;
	if (strcmp(x->final_state, "executed") == 0)
		return audit_done(st, x, serial);
	return EGCA_OK;
}

/* ca/ status hook: the application is done with the status change. */
static enum egca_err
done(struct egca_store *st, void *arg, const char *serial)
{
	struct exec *x = arg;
	enum egca_err e;

	(void)serial;
	if (x->code_serial != NULL &&
	    (e = egca_store_ra_code_put(st, x->app->ca, x->code_serial,
	         x->code_hash, x->now)) != EGCA_OK)
		return e;
	if ((e = egca_store_ra_app_finish(
	         st, x->app->id, "executed", NULL, NULL, x->now)) != EGCA_OK)
		return e;
	return audit_done(st, x,
	    x->app->result_serial != NULL
	        ? x->app->result_serial
	        : (x->new_serial[0] != '\0' ? x->new_serial : NULL));
}

static enum egca_err
done_tx(struct egca_store *st, void *arg)
{
	return done(st, arg, NULL);
}

static enum egca_err
owner_check(struct exec *x)
{
	char *owner = NULL;
	enum egca_err e;

	e = egca_store_ra_cert_subscriber(
	    x->ctx->st, x->app->ca, x->app->serial, &owner);
	if (e == EGCA_OK && strcmp(owner, x->app->subscriber) != 0)
		e = EGCA_ERR_NOTFOUND;
	free(owner);
	if (e == EGCA_ERR_NOTFOUND)
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "serial: certificate %s no longer belongs to the "
		    "subscriber",
		    x->app->serial);
	return e;
}

static enum egca_err
issue(struct exec *x, struct egca_issuer *is,
    const struct egca_subscriber_rec *sub, struct egca_app_result *res)
{
	const struct egca_app_rec *a = x->app;
	struct egca_csr *csr = NULL;
	struct egca_cert_rec old;
	struct egca_cert_info info;
	struct egca_issue_req req;
	struct egca_issue_result ir;
	char code[32];
	int same;
	enum egca_err e;

	memset(&old, 0, sizeof(old));
	memset(&info, 0, sizeof(info));
	memset(&ir, 0, sizeof(ir));
	if ((e = egca_pki_csr_parse(a->csr_der, a->csr_len, &csr)) != EGCA_OK)
		goto out;
	if (a->serial != NULL) {
		/* update, extend: the key rule again, on today's record. */
		if ((e = owner_check(x)) != EGCA_OK ||
		    (e = egca_store_cert_get(
		         x->ctx->st, a->ca, a->serial, &old)) != EGCA_OK)
			goto out;
		if (strcmp(old.status, "good") != 0) {
			e = egca_err_set(EGCA_ERR_STATE,
			    "certificate %s is %s: only a good certificate "
			    "can be renewed",
			    a->serial, old.status);
			goto out;
		}
		if ((e = egca_pki_cert_info(old.der, old.der_len, &info)) !=
		    EGCA_OK)
			goto out;
		same = info.spki_der_len == csr->spki_len &&
		    memcmp(info.spki_der, csr->spki, csr->spki_len) == 0;
		if (!same) {
			EVP_PKEY *k = NULL;

			if (egca_crypto_spki_decode(info.spki_der,
			        info.spki_der_len, &k) == EGCA_OK)
				same = egca_crypto_key_public_equal(
				    k, csr->pubkey);
			EVP_PKEY_free(k);
		}
		if (strcmp(a->kind, "update") == 0 && same) {
			e = egca_err_set(
			    EGCA_ERR_POLICY, "csr: an update needs a new key");
			goto out;
		}
		if (strcmp(a->kind, "extend") == 0 && !same) {
			e = egca_err_set(EGCA_ERR_POLICY,
			    "csr: an extension keeps the certificate's key");
			goto out;
		}
	}
	if ((e = new_code(code, x->code_hash)) != EGCA_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.profile = a->profile;
	req.csr = csr;
	req.subject = a->subject;
	req.identity.uscc = sub->uscc;
	req.identity.org_code = sub->org_code;
	req.identity.id_card = sub->id_card;
	req.validity_days = a->validity_days;
	req.region = sub->region;
	req.subscriber = sub->id;
	req.department = sub->department;
	req.hook = issued;
	req.hook_arg = x;
	if ((e = egca_ca_issue(x->ctx, is, &req, &ir)) != EGCA_OK)
		goto out;
	snprintf(res->serial, sizeof(res->serial), "%s", ir.serial);
	res->der = ir.der;
	res->der_len = ir.der_len;
	ir.der = NULL;
	snprintf(
	    res->revocation_code, sizeof(res->revocation_code), "%s", code);
out:
	OPENSSL_cleanse(code, sizeof(code));
	free(ir.der);
	egca_pki_cert_info_free(&info);
	egca_store_cert_rec_free(&old);
	egca_pki_csr_free(csr);
	return e;
}

/* The old certificate of update / extend is superseded (reason 4). */
static enum egca_err
supersede(struct exec *x, struct egca_issuer *is)
{
	enum egca_err e;

	e = egca_ca_cert_set_status_hook(x->ctx, is, x->app->ca, x->app->serial,
	    EGCA_ACTION_REVOKE, 4, 0, done, x);
	/* Revoked meanwhile (a loss report, an operator): nothing to do. */
	if (e == EGCA_ERR_STATE)
		e = egca_store_tx(x->ctx->st, done_tx, x);
	return e;
}

/* update / extend after a crash or failure: the new one exists. */
static enum egca_err
resume(struct exec *x, struct egca_issuer *is, struct egca_app_result *res)
{
	struct egca_cert_rec cert;
	char code[32];
	enum egca_err e;

	memset(&cert, 0, sizeof(cert));
	if ((e = egca_store_cert_get(x->ctx->st, x->app->ca,
	         x->app->result_serial, &cert)) != EGCA_OK ||
	    (e = new_code(code, x->code_hash)) != EGCA_OK)
		goto out;
	x->code_serial = x->app->result_serial;
	if ((e = supersede(x, is)) != EGCA_OK)
		goto out;
	snprintf(res->serial, sizeof(res->serial), "%s", cert.serial);
	res->der = cert.der;
	res->der_len = cert.der_len;
	cert.der = NULL;
	snprintf(
	    res->revocation_code, sizeof(res->revocation_code), "%s", code);
out:
	OPENSSL_cleanse(code, sizeof(code));
	egca_store_cert_rec_free(&cert);
	return e;
}

static enum egca_err
run(struct exec *x, const struct egca_ra_env *env,
    const struct egca_subscriber_rec *sub, struct egca_app_result *res)
{
	const struct egca_app_rec *a = x->app;
	struct egca_issuer *is = NULL;
	int status_change = 0;
	enum egca_status_action act = EGCA_ACTION_REVOKE;
	int reason = 0;
	enum egca_err e;

	if (env != NULL && env->issuer != NULL)
		is = env->issuer(env->arg, a->ca);
	if (strcmp(a->kind, "recover") == 0)
		return egca_err_set(EGCA_ERR_STATE,
		    "key recovery needs the key management centre (KM)%s",
		    env != NULL && env->km != NULL
		        ? ", which this version cannot reach yet"
		        : ", which is not configured");
	if (strcmp(a->kind, "new") == 0 || strcmp(a->kind, "update") == 0 ||
	    strcmp(a->kind, "extend") == 0) {
		if (a->enc_profile != NULL)
			return egca_err_set(EGCA_ERR_STATE,
			    "dual certificates need the key management "
			    "centre (KM)%s",
			    env != NULL && env->km != NULL
			        ? ", which this version cannot reach yet"
			        : ", which is not configured");
	} else {
		status_change = 1;
		if (strcmp(a->kind, "hold") == 0)
			act = EGCA_ACTION_HOLD;
		else if (strcmp(a->kind, "unhold") == 0)
			act = EGCA_ACTION_UNHOLD;
		else if ((e = egca_ca_reason_parse(a->reason, &reason)) !=
		    EGCA_OK)
			return ra_prefix(EGCA_ERR_INPUT, "reason");
	}
	if (status_change) {
		if ((e = owner_check(x)) != EGCA_OK)
			return e;
		return egca_ca_cert_set_status_hook(
		    x->ctx, is, a->ca, a->serial, act, reason, 0, done, x);
	}
	if (is == NULL)
		return egca_err_set(EGCA_ERR_STATE,
		    "CA %s is not open for issuance here (its key is not "
		    "loaded)",
		    a->ca);
	if (a->serial == NULL) {
		x->final_state = "executed";
		return issue(x, is, sub, res);
	}
	if (a->result_serial != NULL)
		return resume(x, is, res);
	x->final_state = "executing";
	if ((e = issue(x, is, sub, res)) != EGCA_OK)
		return e;
	/* The new certificate is stored; now the old one gives way. */
	return supersede(x, is);
}

struct fail_tx {
	struct exec *x;
	const char *error;
};

static enum egca_err
fail_tx(struct egca_store *st, void *arg)
{
	struct fail_tx *f = arg;
	struct egca_audit_event ev;
	char object[64], *details;
	enum egca_err e;

	if ((e = egca_store_ra_app_finish(st, f->x->app->id, "failed", NULL,
	         f->error, f->x->now)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "app/%s", f->x->app->id);
	details = ra_details(
	    "{s:s, s:s}", "kind", f->x->app->kind, "error", f->error);
	ev = (struct egca_audit_event){
	    f->x->actor, "app.execute", object, "failure", details};
	e = egca_audit_append(st, &ev);
	free(details);
	return e;
}

struct claim_tx {
	const char *id;
	int64_t now;
};

static enum egca_err
claim_tx(struct egca_store *st, void *arg)
{
	struct claim_tx *c = arg;

	return egca_store_ra_app_claim(
	    st, c->id, c->now, c->now - RA_EXEC_STALE);
}

enum egca_err
ra_execute(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_ra_env *env, const char *id, struct egca_app_result *res)
{
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	struct exec x;
	struct claim_tx c = {id, (int64_t)time(NULL)};
	struct fail_tx f;
	char object[64], detail[512];
	enum egca_err e, fe;

	memset(res, 0, sizeof(*res));
	memset(&a, 0, sizeof(a));
	memset(&sub, 0, sizeof(sub));
	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	x.actor = ra_actor(ctx, p);
	x.app = &a;
	x.now = c.now;
	snprintf(object, sizeof(object), "app/%s", id);
	if ((e = egca_store_tx(ctx->st, claim_tx, &c)) != EGCA_OK) {
		if (e == EGCA_ERR_STATE &&
		    egca_store_ra_app_get(ctx->st, id, &a) == EGCA_OK)
			e = egca_err_set(EGCA_ERR_STATE,
			    "application %s is %s: only an approved or failed "
			    "application is executed",
			    id, a.state);
		egca_store_ra_app_clear(&a);
		return ra_refuse(ctx, p, "app.execute", object, e);
	}
	if ((e = egca_store_ra_app_get(ctx->st, id, &a)) != EGCA_OK ||
	    (e = egca_store_ra_subscriber_get(ctx->st, a.subscriber, &sub)) !=
	        EGCA_OK)
		goto fail;
	if ((e = run(&x, env, &sub, res)) == EGCA_OK)
		goto out;
fail:
	snprintf(detail, sizeof(detail), "%s", egca_err_detail());
	if (a.id != NULL) {
		f = (struct fail_tx){&x, detail};
		if ((fe = egca_store_tx(ctx->st, fail_tx, &f)) != EGCA_OK)
			e = fe;
		else
			e = egca_err_set(e, "%s", detail);
	}
out:
	egca_store_ra_app_clear(&a);
	egca_store_ra_subscriber_clear(&sub);
	return e;
}
