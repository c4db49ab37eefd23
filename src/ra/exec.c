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
#include "egca/km.h"
#include "egca/log.h"
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
	/* Dual certificates and recover (all optional): */
	const char *pair_enc;       /* issued(): pair the new one with this */
	char enc_serial[41];        /* audit: the encryption certificate */
	const uint8_t *subject_der; /* issue(): this subject, byte for byte */
	size_t subject_der_len;
	int64_t not_before, not_after; /* issue(): this validity */
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
	details = ra_details("{s:s, s:s*, s:s*, s:s*}", "kind", x->app->kind,
	    "serial", x->app->serial, "result_serial", serial, "enc_serial",
	    x->enc_serial[0] != '\0' ? x->enc_serial : NULL);
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
	/* recover: the new signing certificate joins the encryption one. */
	if (x->pair_enc != NULL &&
	    ((e = egca_store_pair_insert(st, x->app->ca, serial, x->pair_enc,
	          x->app->id, x->now)) != EGCA_OK ||
	        (e = egca_store_dual_set_sign(st, x->app->id, serial)) !=
	            EGCA_OK))
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
	struct egca_csr *csr = NULL, named;
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
	if (x->subject_der != NULL) {
		/* The pair's subject, copied, never re-encoded. */
		named = *csr;
		named.subject = x->subject_der;
		named.subject_len = x->subject_der_len;
		req.csr = &named;
		req.subject = NULL;
	}
	req.not_before = x->not_before;
	req.not_after = x->not_after;
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

/* ---- Dual certificates and user key recovery (the KM) ---- */

/* The CA as the KM's correspondent: its signer and certificate. */
static enum egca_err
km_sender(struct exec *x, struct egca_issuer *is, struct egca_ca_rec *ca,
    struct egca_km_sender *s)
{
	enum egca_err e;

	if ((e = egca_ca_get(x->ctx, x->app->ca, ca)) != EGCA_OK)
		return e;
	s->signer = egca_ca_issuer_get0_signer(is);
	s->cert_der = ca->cert_der;
	s->cert_der_len = ca->cert_der_len;
	return EGCA_OK;
}

struct dual_put {
	struct exec *x;
	const struct egca_app_dual_rec *d;
	const char *action; /* "apply", "restore" */
};

static enum egca_err
dual_put_tx(struct egca_store *st, void *arg)
{
	struct dual_put *c = arg;
	char object[64], *details;
	enum egca_err e;

	if ((e = egca_store_dual_insert(st, c->d)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "app/%s", c->x->app->id);
	details = ra_details("{s:s, s:s, s:s}", "kind", c->x->app->kind, "km",
	    c->action, "enc_serial", c->d->enc_serial);
	e = ra_audit(st, c->x->actor, "app.km", object, details);
	free(details);
	return e;
}

/*
 * The KM's answer for this application: from app_dual when an earlier
 * attempt got it already, else asked now (apply for "new", restore for
 * "recover") and kept in app_dual before any certificate is issued, so
 * a retry never asks the KM twice for one key.
 */
static enum egca_err
km_fetch(struct exec *x, const struct egca_ra_env *env, struct egca_issuer *is,
    const struct egca_csr *csr, const uint8_t *subject, size_t subject_len,
    const char *region, struct egca_app_dual_rec *d)
{
	const struct egca_app_rec *a = x->app;
	struct egca_ca_rec ca;
	struct egca_km_sender snd;
	struct egca_km_apply_item item;
	struct egca_km_key key;
	struct dual_put c;
	uint8_t serial[EGCA_SERIAL_LEN];
	char hex[41];
	int recover = strcmp(a->kind, "recover") == 0;
	enum egca_err e;

	memset(&ca, 0, sizeof(ca));
	memset(&key, 0, sizeof(key));
	e = egca_store_dual_get(x->ctx->st, a->id, d);
	if (e != EGCA_ERR_NOTFOUND)
		return e;
	if (env == NULL || env->km == NULL)
		return egca_err_set(EGCA_ERR_STATE,
		    "%s needs the key management centre (KM), which is not "
		    "configured here (egca.conf \"km\")",
		    recover ? "key recovery" : "a dual certificate");
	if ((e = km_sender(x, is, &ca, &snd)) != EGCA_OK)
		goto out;
	if (recover) {
		snprintf(hex, sizeof(hex), "%s", a->serial);
		e = egca_km_restore(
		    env->km, &snd, hex, csr->spki, csr->spki_len, &key);
	} else {
		/* The KM keys the pair by the encryption certificate's
		 * serial, so it is drawn before that certificate exists. */
		if ((e = egca_ca_new_serial(serial)) != EGCA_OK)
			goto out;
		egca_ca_serial_hex(serial, sizeof(serial), hex);
		memset(&item, 0, sizeof(item));
		item.holder_spki = csr->spki;
		item.holder_spki_len = csr->spki_len;
		item.cert_no = hex;
		item.subject = subject;
		item.subject_len = subject_len;
		item.not_before = x->not_before;
		item.not_after = x->not_after;
		item.ds_code = region;
		e = egca_km_apply(env->km, &snd, &item, 1, &key);
	}
	if (e != EGCA_OK) {
		e = egca_err_set(e, "KM %s (nothing issued): %s",
		    recover ? "restore" : "apply", egca_err_detail());
		goto out;
	}
	d->app = strdup(a->id);
	d->ca = strdup(a->ca);
	d->enc_serial = strdup(hex);
	if (d->app == NULL || d->ca == NULL || d->enc_serial == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	d->enc_spki = key.enc_spki;
	d->enc_spki_len = key.enc_spki_len;
	d->envelope = key.envelope;
	d->envelope_len = key.envelope_len;
	key.enc_spki = key.envelope = NULL;
	d->created_at = x->now;
	d->expires_at = x->now + (int64_t)EGCA_RA_ENVELOPE_DAYS * 86400;
	c = (struct dual_put){x, d, recover ? "restore" : "apply"};
	e = egca_store_tx(x->ctx->st, dual_put_tx, &c);
out:
	if (e != EGCA_OK)
		egca_store_dual_clear(d);
	egca_km_key_clear(&key);
	egca_store_ca_rec_free(&ca);
	return e;
}

/* The envelope of d into res, as DER and as the SKF blob. */
static enum egca_err
envelope_out(const struct egca_app_dual_rec *d, struct egca_app_result *res)
{
	struct egca_envelope env;
	enum egca_err e;

	snprintf(res->enc_serial, sizeof(res->enc_serial), "%s", d->enc_serial);
	if (d->envelope == NULL)
		return EGCA_OK;
	if ((e = egca_envelope_parse(d->envelope, d->envelope_len, &env)) !=
	        EGCA_OK ||
	    (e = egca_envelope_skf_encode(&env, &res->skf, &res->skf_len)) !=
	        EGCA_OK)
		return e;
	if ((res->envelope = malloc(d->envelope_len)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	memcpy(res->envelope, d->envelope, d->envelope_len);
	res->envelope_len = d->envelope_len;
	return EGCA_OK;
}

/* The encryption certificate is stored: the pair is complete. */
static enum egca_err
enc_issued(struct egca_store *st, void *arg, const char *serial)
{
	struct exec *x = arg;
	enum egca_err e;

	if ((e = egca_store_pair_insert(st, x->app->ca, x->new_serial, serial,
	         x->app->id, x->now)) != EGCA_OK ||
	    (e = egca_store_dual_set_sign(st, x->app->id, x->new_serial)) !=
	        EGCA_OK)
		return e;
	if (x->code_serial != NULL &&
	    (e = egca_store_ra_code_put(st, x->app->ca, x->code_serial,
	         x->code_hash, x->now)) != EGCA_OK)
		return e;
	if ((e = egca_store_ra_app_finish(st, x->app->id, "executed",
	         x->new_serial, NULL, x->now)) != EGCA_OK)
		return e;
	return audit_done(st, x, x->new_serial);
}

/* The signing certificate stored by an earlier attempt, into res. */
static enum egca_err
sign_reload(struct exec *x, struct egca_app_result *res)
{
	struct egca_cert_rec cert;
	char code[32];
	enum egca_err e;

	memset(&cert, 0, sizeof(cert));
	if ((e = egca_store_cert_get(x->ctx->st, x->app->ca,
	         x->app->result_serial, &cert)) != EGCA_OK ||
	    (e = new_code(code, x->code_hash)) != EGCA_OK)
		goto out;
	/* The code of the attempt that failed was never shown. */
	x->code_serial = x->app->result_serial;
	snprintf(x->new_serial, sizeof(x->new_serial), "%s", cert.serial);
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

/*
 * "new" with enc_profile: the KM first (nothing is issued when it
 * refuses or cannot be reached), then the signing certificate from the
 * CSR, then the encryption certificate for the KM's key under the serial
 * the KM knows, with the signing certificate's subject (DER, copied) and
 * validity. Recovery rule (docs/km.md): a failure after the KM answered
 * leaves its answer in app_dual and, maybe, the signing certificate
 * (result_serial); a retry issues only what is missing. If the
 * encryption serial was reserved by a failed attempt it cannot be used
 * again: the KM's key under it is revoked (archived) and a new one is
 * asked for.
 */
static enum egca_err
dual_new(struct exec *x, const struct egca_ra_env *env, struct egca_issuer *is,
    const struct egca_subscriber_rec *sub, struct egca_app_result *res)
{
	const struct egca_app_rec *a = x->app;
	struct egca_csr *csr = NULL, enc;
	struct egca_profile *prof = NULL;
	struct egca_app_dual_rec d;
	struct egca_cert_info info;
	struct egca_issue_req req;
	struct egca_issue_result ir;
	struct egca_ca_rec ca;
	struct egca_km_sender snd;
	uint8_t *subject = NULL, serial[20];
	size_t subject_len = 0, serial_len;
	EVP_PKEY *k = NULL;
	int days, reserved, tries;
	enum egca_err e;

	memset(&d, 0, sizeof(d));
	memset(&info, 0, sizeof(info));
	memset(&ir, 0, sizeof(ir));
	memset(&ca, 0, sizeof(ca));
	memset(&enc, 0, sizeof(enc));
	if ((e = egca_pki_csr_parse(a->csr_der, a->csr_len, &csr)) != EGCA_OK)
		goto out;
	if (a->subject != NULL) {
		if ((e = egca_pki_name_parse(
		         a->subject, &subject, &subject_len)) != EGCA_OK)
			goto out;
	} else {
		if ((subject = malloc(csr->subject_len)) == NULL) {
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(subject, csr->subject, csr->subject_len);
		subject_len = csr->subject_len;
	}
	if ((e = egca_pki_profile_load(
	         x->ctx->cfg->profiles_dir, a->profile, &prof)) != EGCA_OK)
		goto out;
	days =
	    a->validity_days ? a->validity_days : prof->default_validity_days;
	x->not_before = x->now;
	x->not_after = x->now + (int64_t)days * 86400;
	for (tries = 0;; tries++) {
		if ((e = km_fetch(x, env, is, csr, subject, subject_len,
		         sub->region, &d)) != EGCA_OK)
			goto out;
		if ((e = egca_store_serial_is_reserved(x->ctx->st, a->ca,
		         d.enc_serial, &reserved)) != EGCA_OK)
			goto out;
		if (!reserved)
			break;
		if (tries > 0) {
			e = egca_err_set(EGCA_ERR_INTERNAL,
			    "encryption serial %s is in use", d.enc_serial);
			goto out;
		}
		/* A failed attempt burnt the serial: archive that key at the
		 * KM (best effort) and ask for a new one. */
		if (env != NULL && env->km != NULL &&
		    km_sender(x, is, &ca, &snd) == EGCA_OK &&
		    egca_km_revoke(env->km, &snd, d.enc_serial) != EGCA_OK)
			egca_log_warn("app=%s enc_serial=%s: the KM key of a "
			              "burnt serial could not be revoked: %s",
			    a->id, d.enc_serial, egca_err_detail());
		egca_store_ca_rec_free(&ca);
		memset(&ca, 0, sizeof(ca));
		if ((e = egca_store_dual_delete(x->ctx->st, a->id)) != EGCA_OK)
			goto out;
		egca_store_dual_clear(&d);
	}
	snprintf(x->enc_serial, sizeof(x->enc_serial), "%s", d.enc_serial);
	if (a->result_serial == NULL) {
		x->final_state = "executing";
		x->subject_der = subject;
		x->subject_der_len = subject_len;
		if ((e = issue(x, is, sub, res)) != EGCA_OK)
			goto out;
	} else if ((e = sign_reload(x, res)) != EGCA_OK)
		goto out;
	/* The encryption certificate: the signing one's subject DER and
	 * validity, the KM's key, the serial the KM knows. */
	if ((e = egca_pki_cert_info(res->der, res->der_len, &info)) !=
	        EGCA_OK ||
	    (e = egca_crypto_spki_decode(d.enc_spki, d.enc_spki_len, &k)) !=
	        EGCA_OK ||
	    (e = egca_crypto_key_check(k, &enc.key_alg, &enc.key_bits)) !=
	        EGCA_OK ||
	    (e = egca_hex_decode(
	         d.enc_serial, serial, sizeof(serial), &serial_len)) != EGCA_OK)
		goto out;
	enc.subject = info.subject_der;
	enc.subject_len = info.subject_der_len;
	enc.spki = d.enc_spki;
	enc.spki_len = d.enc_spki_len;
	enc.pubkey = k;
	memset(&req, 0, sizeof(req));
	req.profile = a->enc_profile;
	req.csr = &enc;
	req.identity.uscc = sub->uscc;
	req.identity.org_code = sub->org_code;
	req.identity.id_card = sub->id_card;
	req.region = sub->region;
	req.subscriber = sub->id;
	req.department = sub->department;
	req.serial = serial;
	req.serial_len = serial_len;
	req.not_before = info.not_before;
	req.not_after = info.not_after;
	req.hook = enc_issued;
	req.hook_arg = x;
	if ((e = egca_ca_issue(x->ctx, is, &req, &ir)) != EGCA_OK)
		goto out;
	res->enc_der = ir.der;
	res->enc_der_len = ir.der_len;
	ir.der = NULL;
	e = envelope_out(&d, res);
out:
	free(ir.der);
	EVP_PKEY_free(k);
	free(subject);
	egca_pki_cert_info_free(&info);
	egca_pki_profile_free(prof);
	egca_store_dual_clear(&d);
	egca_store_ca_rec_free(&ca);
	egca_pki_csr_free(csr);
	return e;
}

/* Revokes serial as superseded (4) and finishes the application. */
static enum egca_err
supersede_serial(struct exec *x, struct egca_issuer *is, const char *serial)
{
	enum egca_err e;

	if (serial == NULL)
		return egca_store_tx(x->ctx->st, done_tx, x);
	e = egca_ca_cert_set_status_hook(
	    x->ctx, is, x->app->ca, serial, EGCA_ACTION_REVOKE, 4, 0, done, x);
	if (e == EGCA_ERR_STATE)
		e = egca_store_tx(x->ctx->st, done_tx, x);
	return e;
}

/*
 * recover: the application names the ENCRYPTION certificate (the KM
 * keys the escrowed pair by it, and it stays valid: same key). The KM
 * re-envelopes its key to the CSR's new signing key; the new signing
 * certificate gets the encryption certificate's subject (DER, copied);
 * then the signing certificate paired before is revoked as superseded.
 * Recovery rule as for update: the KM's answer is kept in app_dual, and
 * an application with result_serial only supersedes.
 */
static enum egca_err
recover(struct exec *x, const struct egca_ra_env *env, struct egca_issuer *is,
    const struct egca_subscriber_rec *sub, struct egca_app_result *res)
{
	const struct egca_app_rec *a = x->app;
	struct egca_csr *csr = NULL;
	struct egca_cert_rec encc;
	struct egca_cert_info info;
	struct egca_app_dual_rec d;
	char *old = NULL;
	enum egca_err e;

	memset(&encc, 0, sizeof(encc));
	memset(&info, 0, sizeof(info));
	memset(&d, 0, sizeof(d));
	if ((e = owner_check(x)) != EGCA_OK ||
	    (e = egca_store_cert_get(x->ctx->st, a->ca, a->serial, &encc)) !=
	        EGCA_OK ||
	    (e = egca_pki_cert_info(encc.der, encc.der_len, &info)) != EGCA_OK)
		goto out;
	if (strcmp(encc.status, "revoked") == 0) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "serial: encryption certificate %s is revoked: its key is "
		    "archived and not restored to the holder",
		    a->serial);
		goto out;
	}
	/* The signing certificate of the pair before this recovery. */
	e = egca_store_pair_sign_of(
	    x->ctx->st, a->ca, a->serial, a->result_serial, &old);
	if (e == EGCA_ERR_NOTFOUND && a->result_serial != NULL)
		e = EGCA_OK;
	else if (e == EGCA_ERR_NOTFOUND)
		e = egca_err_set(EGCA_ERR_NOTFOUND,
		    "serial: %s is not the encryption certificate of a dual "
		    "pair",
		    a->serial);
	if (e != EGCA_OK ||
	    (e = egca_pki_csr_parse(a->csr_der, a->csr_len, &csr)) != EGCA_OK ||
	    (e = km_fetch(x, env, is, csr, NULL, 0, sub->region, &d)) !=
	        EGCA_OK)
		goto out;
	if (d.enc_spki_len != info.spki_der_len ||
	    memcmp(d.enc_spki, info.spki_der, d.enc_spki_len) != 0) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "KM restore: the key returned is not the key of "
		    "encryption certificate %s",
		    a->serial);
		goto out;
	}
	snprintf(x->enc_serial, sizeof(x->enc_serial), "%s", a->serial);
	if (a->result_serial == NULL) {
		x->final_state = "executing";
		x->subject_der = info.subject_der;
		x->subject_der_len = info.subject_der_len;
		x->pair_enc = a->serial;
		if ((e = issue(x, is, sub, res)) != EGCA_OK)
			goto out;
	} else if ((e = sign_reload(x, res)) != EGCA_OK)
		goto out;
	if ((e = supersede_serial(x, is, old)) != EGCA_OK)
		goto out;
	if (old != NULL)
		snprintf(res->superseded, sizeof(res->superseded), "%s", old);
	e = envelope_out(&d, res);
out:
	free(old);
	egca_store_dual_clear(&d);
	egca_pki_cert_info_free(&info);
	egca_store_cert_rec_free(&encc);
	egca_pki_csr_free(csr);
	return e;
}

/*
 * revoke of an encryption certificate whose key the KM escrowed: the
 * certificate is revoked first (never held up by the KM), then its key
 * archived at the KM. Until the KM confirmed, the application is not
 * "executed": a KM failure leaves it "failed" with the reason, and a
 * retry finds the certificate revoked and asks the KM again. A key the
 * KM has archived already (errNO revoked, EGCA_ERR_POLICY) counts as
 * done.
 */
static enum egca_err
revoke_enc(struct exec *x, const struct egca_ra_env *env,
    struct egca_issuer *is, int reason)
{
	struct egca_ca_rec ca;
	struct egca_km_sender snd;
	enum egca_err e;

	memset(&ca, 0, sizeof(ca));
	snprintf(x->enc_serial, sizeof(x->enc_serial), "%s", x->app->serial);
	e = egca_ca_cert_set_status_hook(x->ctx, is, x->app->ca, x->app->serial,
	    EGCA_ACTION_REVOKE, reason, 0, NULL, NULL);
	if (e != EGCA_OK && e != EGCA_ERR_STATE)
		return e;
	if (env == NULL || env->km == NULL)
		return egca_err_set(EGCA_ERR_STATE,
		    "certificate %s is revoked; archiving its key needs the "
		    "key management centre (KM), not open here (egca.conf "
		    "\"km\"; egca app opens it with --passphrase-file): "
		    "execute the application again where it is",
		    x->app->serial);
	if (is == NULL)
		return egca_err_set(EGCA_ERR_STATE,
		    "certificate %s is revoked; archiving its key at the KM "
		    "needs CA %s open here (its key signs KM requests)",
		    x->app->serial, x->app->ca);
	if ((e = km_sender(x, is, &ca, &snd)) == EGCA_OK) {
		e = egca_km_revoke(env->km, &snd, x->app->serial);
		if (e == EGCA_ERR_POLICY)
			e = EGCA_OK; /* archived already */
		else if (e != EGCA_OK)
			e = egca_err_set(e,
			    "KM revoke (certificate %s is revoked, its key "
			    "not yet archived): %s",
			    x->app->serial, egca_err_detail());
	}
	egca_store_ca_rec_free(&ca);
	if (e != EGCA_OK)
		return e;
	return egca_store_tx(x->ctx->st, done_tx, x);
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
	if (strcmp(a->kind, "recover") == 0 ||
	    (a->enc_profile != NULL && strcmp(a->kind, "new") == 0)) {
		if (is == NULL)
			return egca_err_set(EGCA_ERR_STATE,
			    "CA %s is not open for issuance here (its key is "
			    "not loaded)",
			    a->ca);
		if (strcmp(a->kind, "recover") == 0)
			return recover(x, env, is, sub, res);
		x->final_state = "executing";
		return dual_new(x, env, is, sub, res);
	}
	if (strcmp(a->kind, "new") == 0 || strcmp(a->kind, "update") == 0 ||
	    strcmp(a->kind, "extend") == 0) {
		if (a->enc_profile != NULL)
			return egca_err_set(EGCA_ERR_STATE,
			    "enc_profile: a new encryption pair comes with a "
			    "\"new\" application; an update keeps its "
			    "encryption certificate (not done yet)");
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
		char *sign = NULL;

		if ((e = owner_check(x)) != EGCA_OK)
			return e;
		/* An encryption certificate of a pair: its KM key too. */
		if (act == EGCA_ACTION_REVOKE &&
		    (e = egca_store_pair_sign_of(x->ctx->st, a->ca, a->serial,
		         NULL, &sign)) != EGCA_ERR_NOTFOUND) {
			free(sign);
			if (e != EGCA_OK)
				return e;
			return revoke_enc(x, env, is, reason);
		}
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

struct envelope_tx {
	const struct egca_ctx *ctx;
	const struct egca_principal *p;
	const char *id;
	const char *format;
	const char *enc_serial;
};

static enum egca_err
envelope_tx(struct egca_store *st, void *arg)
{
	struct envelope_tx *c = arg;
	char object[64], *details;
	enum egca_err e;

	/* Envelopes past their days are dropped from the store here. */
	if ((e = egca_store_dual_expire(st, (int64_t)time(NULL), NULL)) !=
	    EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "app/%s", c->id);
	details = ra_details(
	    "{s:s, s:s}", "format", c->format, "enc_serial", c->enc_serial);
	e = ra_audit(
	    st, ra_actor(c->ctx, c->p), "app.envelope", object, details);
	free(details);
	return e;
}

enum egca_err
egca_ra_app_envelope(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *id, int skf, uint8_t **out, size_t *out_len,
    char enc_serial[41])
{
	static const char action[] = "app.envelope";
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	struct egca_app_dual_rec d;
	struct egca_envelope env;
	struct envelope_tx c;
	char object[64];
	int64_t now = (int64_t)time(NULL);
	enum egca_err e;

	*out = NULL;
	*out_len = 0;
	enc_serial[0] = '\0';
	memset(&a, 0, sizeof(a));
	memset(&sub, 0, sizeof(sub));
	memset(&d, 0, sizeof(d));
	snprintf(object, sizeof(object), "app/%.32s", id ? id : "");
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_app_load(ctx->st, p, id, 0, &a, &sub)) != EGCA_OK)
		goto refuse;
	e = egca_store_dual_get(ctx->st, a.id, &d);
	if (e == EGCA_ERR_NOTFOUND)
		e = egca_err_set(EGCA_ERR_NOTFOUND,
		    "application %s has no envelope (only a dual issuance or "
		    "a recovery makes one)",
		    a.id);
	else if (e == EGCA_OK && strcmp(a.state, "executed") != 0)
		e = egca_err_set(EGCA_ERR_STATE,
		    "application %s is %s: the envelope is given once it is "
		    "executed",
		    a.id, a.state);
	else if (e == EGCA_OK && (d.envelope == NULL || d.expires_at <= now))
		e = egca_err_set(EGCA_ERR_STATE,
		    "the envelope of application %s was kept %d days and is "
		    "gone: apply for a recovery",
		    a.id, EGCA_RA_ENVELOPE_DAYS);
	if (e != EGCA_OK)
		goto refuse;
	if (skf) {
		if ((e = egca_envelope_parse(
		         d.envelope, d.envelope_len, &env)) != EGCA_OK ||
		    (e = egca_envelope_skf_encode(&env, out, out_len)) !=
		        EGCA_OK)
			goto out;
	} else {
		*out = d.envelope;
		*out_len = d.envelope_len;
		d.envelope = NULL;
	}
	snprintf(enc_serial, 41, "%s", d.enc_serial);
	c = (struct envelope_tx){
	    ctx, p, a.id, skf ? "skf" : "der", d.enc_serial};
	if ((e = egca_store_tx(ctx->st, envelope_tx, &c)) != EGCA_OK) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	goto out;
refuse:
	e = ra_refuse(ctx, p, action, object, e);
out:
	egca_store_dual_clear(&d);
	egca_store_ra_app_clear(&a);
	egca_store_ra_subscriber_clear(&sub);
	return e;
}
