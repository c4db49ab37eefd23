/*
 * Loss reports (挂失, Art. 31). The holder reports, without an account,
 * proving possession with the revocation code handed out at issuance
 * (only its SHA-256 is stored; compared with CRYPTO_memcmp) or with a
 * signature by the certificate's key over
 * "egca-loss-report\n<ca>\n<serial>\n<time>\n" (SM2 with the ID
 * 1234567812345678, ECDSA or RSA as the key is; time within 300 s).
 * On success the certificate is held at once through ca/ in the same
 * transaction as the report and its audit event, its OCSP answer
 * re-signed with the open issuer (else marked stale); an RA operator or
 * reviewer of the subscriber's point then confirms, which revokes it
 * with keyCompromise and invalidityDate = the report's time.
 *
 * A wrong code or signature, an unknown certificate and a certificate
 * without a code all give the same EGCA_ERR_AUTH (no oracle on which
 * certificates exist), audited, nothing changed. Only after the proof
 * is a revoked certificate refused (EGCA_ERR_STATE). A second report
 * while the certificate is still held by an open one returns that
 * report's id and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "egca/pki.h"
#include "ra/ra_int.h"

#define LOSS_WINDOW 300
#define CODE_CHARS 20

static const char no_match[] =
    "loss report: the revocation code or signature does not prove "
    "possession of this certificate";

void
egca_ra_loss_list_free(struct egca_loss_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_ra_loss_clear(&l[i]);
	free(l);
}

/* SHA-256 hex of the code's 20 base32 characters (any case, - and ' '
 * ignored); 0 when it cannot be a code. */
static int
code_hash(const char *code, char hash[65])
{
	char raw[CODE_CHARS + 1];
	uint8_t d[32];
	size_t n = 0;
	int ok = 1;
	char ch;

	for (; *code != '\0' && ok; code++) {
		ch = *code;
		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7')) ||
		    n >= CODE_CHARS)
			ok = 0;
		else
			raw[n++] = ch;
	}
	raw[n] = '\0';
	if (n != CODE_CHARS)
		ok = 0;
	if (ok && egca_crypto_sha256(raw, n, d) == EGCA_OK)
		egca_hex_encode(d, sizeof(d), hash);
	else
		ok = 0;
	OPENSSL_cleanse(raw, sizeof(raw));
	return ok;
}

/* EGCA_OK when the report proves possession of cert. */
static enum egca_err
prove(struct egca_store *st, const struct egca_loss_report *in, const char *ca,
    const char *serial, const struct egca_cert_rec *cert)
{
	struct egca_cert_info info;
	EVP_PKEY *pub = NULL;
	char want[65], got[65], msg[256];
	int64_t now = (int64_t)time(NULL);
	int n, ok;
	enum egca_err e;

	memset(want, '0', 64);
	want[64] = '\0';
	if (in->code != NULL) {
		/* Compare even when nothing is stored (the same work). */
		if (cert == NULL ||
		    egca_store_ra_code_get(st, ca, serial, want) != EGCA_OK)
			memset(want, 'x', 64);
		ok = code_hash(in->code, got);
		if (!ok)
			memset(got, 'y', 64);
		got[64] = '\0';
		if (CRYPTO_memcmp(want, got, 64) != 0 || !ok || cert == NULL)
			return egca_err_set(EGCA_ERR_AUTH, "%s", no_match);
		return EGCA_OK;
	}
	if (in->time > now + LOSS_WINDOW || in->time < now - LOSS_WINDOW)
		return egca_err_set(EGCA_ERR_AUTH,
		    "loss report: the signed time is more than %d s from now",
		    LOSS_WINDOW);
	if (cert == NULL)
		return egca_err_set(EGCA_ERR_AUTH, "%s", no_match);
	n = snprintf(msg, sizeof(msg), "egca-loss-report\n%s\n%s\n%lld\n", ca,
	    serial, (long long)in->time);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return egca_err_set(EGCA_ERR_INPUT, "loss report: too long");
	memset(&info, 0, sizeof(info));
	if (egca_pki_cert_info(cert->der, cert->der_len, &info) != EGCA_OK ||
	    egca_crypto_spki_decode(info.spki_der, info.spki_der_len, &pub) !=
	        EGCA_OK)
		e = egca_err_set(EGCA_ERR_AUTH, "%s", no_match);
	else if (egca_crypto_verify_tbs(pub, egca_crypto_sig_alg_for_key(pub),
	             (const uint8_t *)msg, (size_t)n, in->sig,
	             in->sig_len) != EGCA_OK)
		e = egca_err_set(EGCA_ERR_AUTH, "%s", no_match);
	else
		e = EGCA_OK;
	EVP_PKEY_free(pub);
	egca_pki_cert_info_free(&info);
	return e;
}

struct report_tx {
	const struct egca_ctx *ctx;
	const struct egca_loss_rec *rec;
	int held; /* the certificate was held by this report */
};

/* Inside the hold's transaction (or one of its own): the report. */
static enum egca_err
report_hook(struct egca_store *st, void *arg, const char *serial)
{
	struct report_tx *c = arg;
	char object[128], *details;
	enum egca_err e;

	(void)serial;
	if ((e = egca_store_ra_loss_insert(st, c->rec)) != EGCA_OK)
		return e;
	snprintf(
	    object, sizeof(object), "cert/%s/%s", c->rec->ca, c->rec->serial);
	details =
	    ra_details("{s:s, s:s, s:s*, s:b}", "report", c->rec->id, "method",
	        c->rec->method, "source", c->rec->source, "held", c->held);
	e = ra_audit(st, c->ctx->actor, "loss.report", object, details);
	free(details);
	return e;
}

static enum egca_err
report_tx(struct egca_store *st, void *arg)
{
	return report_hook(st, arg, NULL);
}

enum egca_err
egca_ra_loss_report(const struct egca_ctx *ctx, const struct egca_ra_env *env,
    const struct egca_loss_report *in, char report[33])
{
	static const char action[] = "loss.report";
	struct egca_ca_rec ca;
	struct egca_cert_rec cert;
	struct egca_loss_rec rec;
	struct report_tx c;
	struct egca_issuer *is = NULL;
	char serial[41], object[128], id[33];
	int found, tries;
	enum egca_err e;

	report[0] = '\0';
	memset(&ca, 0, sizeof(ca));
	memset(&cert, 0, sizeof(cert));
	snprintf(object, sizeof(object), "cert/%.63s/%.40s",
	    in->ca ? in->ca : "", in->serial ? in->serial : "");
	if (in->serial == NULL ||
	    egca_ca_serial_parse(in->serial, serial) != EGCA_OK)
		e = egca_err_set(EGCA_ERR_INPUT,
		    "serial: the certificate's serial number in hex");
	else if ((in->code == NULL) == (in->sig == NULL))
		e = egca_err_set(EGCA_ERR_INPUT,
		    "give either the revocation code or a signature");
	else if (in->sig != NULL && (in->sig_len == 0 || in->sig_len > 1024))
		e = egca_err_set(EGCA_ERR_INPUT, "signature: 1 to 1024 bytes");
	else if ((e = ra_text("statement", in->statement, 0, 2000, 0, 1)) ==
	        EGCA_OK &&
	    (e = ra_text("source", in->source, 0, 200, 0, 0)) == EGCA_OK &&
	    (e = egca_ca_get(ctx, in->ca, &ca)) != EGCA_OK)
		e = ra_prefix(e, "ca");
	if (e != EGCA_OK)
		goto refuse;
	snprintf(object, sizeof(object), "cert/%s/%s", ca.name, serial);
	e = egca_store_cert_get(ctx->st, ca.name, serial, &cert);
	if (e != EGCA_OK && e != EGCA_ERR_NOTFOUND)
		goto out;
	found = e == EGCA_OK;
	if ((e = prove(ctx->st, in, ca.name, serial, found ? &cert : NULL)) !=
	    EGCA_OK)
		goto refuse;
	if (strcmp(cert.status, "revoked") == 0) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "certificate %s is already revoked", serial);
		goto refuse;
	}
	if (strcmp(cert.status, "hold") == 0 &&
	    egca_store_ra_loss_open(ctx->st, ca.name, serial, id) == EGCA_OK) {
		memcpy(report, id, 33);
		e = EGCA_OK;
		goto out;
	}
	if ((e = ra_new_id(id)) != EGCA_OK)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.id = id;
	rec.ca = ca.name;
	rec.serial = serial;
	rec.state = (char *)(uintptr_t) "held";
	rec.method =
	    (char *)(uintptr_t)(in->code != NULL ? "code" : "signature");
	rec.statement = (char *)(uintptr_t)in->statement;
	rec.source = (char *)(uintptr_t)in->source;
	rec.reported_at = (int64_t)time(NULL);
	if (env != NULL && env->issuer != NULL)
		is = env->issuer(env->arg, ca.name);
	for (tries = 0;; tries++) {
		c = (struct report_tx){ctx, &rec, 0};
		if (strcmp(cert.status, "good") == 0) {
			c.held = 1;
			e = egca_ca_cert_set_status_hook(ctx, is, ca.name,
			    serial, EGCA_ACTION_HOLD, 6, 0, report_hook, &c);
		} else
			e = egca_store_tx(ctx->st, report_tx, &c);
		/* The status changed between the read and the hold. */
		if (e != EGCA_ERR_STATE || tries > 0)
			break;
		egca_store_cert_rec_free(&cert);
		if ((e = egca_store_cert_get(
		         ctx->st, ca.name, serial, &cert)) != EGCA_OK)
			goto out;
		if (strcmp(cert.status, "revoked") == 0) {
			e = egca_err_set(EGCA_ERR_STATE,
			    "certificate %s is already revoked", serial);
			goto refuse;
		}
	}
	if (e != EGCA_OK)
		goto refuse;
	memcpy(report, id, 33);
	goto out;
refuse:
	e = ra_refuse(ctx, NULL, action, object, e);
out:
	egca_store_cert_rec_free(&cert);
	egca_store_ca_rec_free(&ca);
	return e;
}

struct confirm_tx {
	const struct egca_ctx *ctx;
	const struct egca_principal *p;
	const struct egca_loss_rec *rec;
	int64_t now;
};

static enum egca_err
confirm_hook(struct egca_store *st, void *arg, const char *serial)
{
	struct confirm_tx *c = arg;
	char object[128], *details;
	enum egca_err e;

	(void)serial;
	if ((e = egca_store_ra_loss_confirm(
	         st, c->rec->id, c->p->name, c->now)) != EGCA_OK)
		return e;
	snprintf(
	    object, sizeof(object), "cert/%s/%s", c->rec->ca, c->rec->serial);
	details = ra_details(
	    "{s:s, s:s}", "report", c->rec->id, "reason", "keyCompromise");
	e = ra_audit(
	    st, ra_actor(c->ctx, c->p), "loss.confirm", object, details);
	free(details);
	return e;
}

enum egca_err
egca_ra_loss_confirm(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_ra_env *env, const char *report)
{
	static const char action[] = "loss.confirm";
	struct egca_loss_rec rec;
	struct egca_subscriber_rec sub;
	struct confirm_tx c;
	struct egca_issuer *is = NULL;
	char *owner = NULL, object[64];
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	memset(&sub, 0, sizeof(sub));
	snprintf(object, sizeof(object), "loss/%.32s", report ? report : "");
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_need_role(p, RA_ROLE_POINT, action,
	         "ra-operator or ra-reviewer")) != EGCA_OK)
		goto refuse;
	if (!ra_id_valid(report))
		e = EGCA_ERR_NOTFOUND;
	else if ((e = egca_store_ra_loss_get(ctx->st, report, &rec)) ==
	        EGCA_OK &&
	    (e = egca_store_ra_cert_subscriber(
	         ctx->st, rec.ca, rec.serial, &owner)) == EGCA_OK &&
	    (e = egca_store_ra_subscriber_get(ctx->st, owner, &sub)) == EGCA_OK)
		e = ra_sees(ctx->st, p, &sub, 1);
	if (e == EGCA_ERR_NOTFOUND)
		e = egca_err_set(EGCA_ERR_NOTFOUND, "no such loss report");
	if (e != EGCA_OK)
		goto refuse;
	if (strcmp(rec.state, "held") != 0) {
		e = egca_err_set(EGCA_ERR_STATE, "loss report %s is %s already",
		    report, rec.state);
		goto refuse;
	}
	if (env != NULL && env->issuer != NULL)
		is = env->issuer(env->arg, rec.ca);
	c = (struct confirm_tx){ctx, p, &rec, (int64_t)time(NULL)};
	/* Compromised at the latest when the holder reported it. */
	if ((e = egca_ca_cert_set_status_hook(ctx, is, rec.ca, rec.serial,
	         EGCA_ACTION_REVOKE, 1, rec.reported_at, confirm_hook, &c)) !=
	    EGCA_OK)
		goto refuse;
	goto out;
refuse:
	e = ra_refuse(ctx, p, action, object, e);
out:
	free(owner);
	egca_store_ra_loss_clear(&rec);
	egca_store_ra_subscriber_clear(&sub);
	return e;
}

enum egca_err
egca_ra_loss_list(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *state, size_t limit, struct egca_loss_rec **out, size_t *n)
{
	struct egca_store_ra_scope sc;
	enum egca_err e;

	*out = NULL;
	*n = 0;
	if ((e = ra_need_user(p)) != EGCA_OK)
		return e;
	if (state != NULL && strcmp(state, "held") != 0 &&
	    strcmp(state, "confirmed") != 0)
		return egca_err_set(EGCA_ERR_INPUT, "state: held or confirmed");
	ra_scope(p, &sc);
	sc.recover = 0;
	return egca_store_ra_loss_list(ctx->st, &sc, state, limit, out, n);
}
