/*
 * Issuance (include/egca/ca.h): policy checks, serial reservation
 * before signing, lint before signing, certificate and audit event in
 * one transaction.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "egca/audit.h"
#include "egca/ca.h"
#include "egca/file.h"
#include "egca/status.h"
#include "ca/ca_int.h"

enum egca_err
egca_ca_new_serial(uint8_t serial[EGCA_SERIAL_LEN])
{
	enum egca_err e;

	if ((e = egca_crypto_rand(serial, EGCA_SERIAL_LEN)) != EGCA_OK)
		return e;
	/*
	 * Positive (top bit clear) and minimal (first octet not zero): the
	 * serial is always a 16-octet DER INTEGER as drawn, also where it
	 * is chosen before the certificate exists (a KM's cert_no).
	 */
	serial[0] &= 0x7f;
	while (serial[0] == 0) {
		if ((e = egca_crypto_rand(serial, 1)) != EGCA_OK)
			return e;
		serial[0] &= 0x7f;
	}
	return EGCA_OK;
}

enum egca_err
egca_ca_serial_parse(const char *in, char out[41])
{
	char hex[128];
	size_t n = 0, i = 0;

	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n + 1 >= sizeof(hex))
			return egca_err_set(
			    EGCA_ERR_INPUT, "not a hex serial number");
		hex[n++] = (char)tolower((unsigned char)*in);
	}
	hex[n] = '\0';
	if (n % 2 != 0 || n == 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "serial numbers are an even number of hex digits");
	while (i + 2 < n && hex[i] == '0' && hex[i + 1] == '0')
		i += 2;
	if (n - i > 40)
		return egca_err_set(
		    EGCA_ERR_INPUT, "serial numbers have at most 20 octets");
	memcpy(out, hex + i, n - i + 1);
	return EGCA_OK;
}

void
egca_ca_serial_hex(const uint8_t *serial, size_t len, char *out)
{
	while (len > 1 && serial[0] == 0) {
		serial++;
		len--;
	}
	egca_hex_encode(serial, len, out);
}

void
egca_ca_issuer_free(struct egca_issuer *is)
{
	if (is == NULL)
		return;
	egca_signer_free(is->signer);
	free(is->name);
	free(is->subject);
	free(is->crl_url);
	free(is->delta_crl_url);
	free(is->ocsp_url);
	free(is->ca_issuers_url);
	free(is->profiles_dir);
	free(is);
}

const char *
egca_ca_issuer_name(const struct egca_issuer *is)
{
	return is->name;
}

struct egca_signer *
egca_ca_issuer_get0_signer(const struct egca_issuer *is)
{
	return is->signer;
}

const uint8_t *
egca_ca_issuer_get0_subject(const struct egca_issuer *is, size_t *len)
{
	*len = is->subject_len;
	return is->subject;
}

enum egca_err
egca_ca_issuer_new(const char *name, const uint8_t *cert_der, size_t cert_len,
    const char *base_url, struct egca_signer *signer, struct egca_issuer **out)
{
	struct egca_issuer *is;
	struct egca_cert_info info;
	const uint8_t *spki;
	size_t spki_len;
	enum egca_err e;

	*out = NULL;
	memset(&info, 0, sizeof(info));
	if ((is = calloc(1, sizeof(*is))) == NULL) {
		egca_signer_free(signer);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	is->signer = signer;
	is->sig_alg = egca_signer_sig_alg(signer);
	if ((e = egca_pki_cert_info(cert_der, cert_len, &info)) != EGCA_OK)
		goto out;
	spki = egca_signer_get0_spki(signer, &spki_len);
	if (spki_len != info.spki_der_len ||
	    memcmp(spki, info.spki_der, spki_len) != 0) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "CA '%s': the key file does not hold the key of the CA "
		    "certificate",
		    name);
		goto out;
	}
	if (info.ski_len > 0 && info.ski_len <= sizeof(is->ski)) {
		memcpy(is->ski, info.ski, info.ski_len);
		is->ski_len = info.ski_len;
	} else {
		if ((e = egca_pki_spki_key_id(spki, spki_len, is->ski)) !=
		    EGCA_OK)
			goto out;
		is->ski_len = 20;
	}
	is->subject = info.subject_der;
	is->subject_len = info.subject_der_len;
	info.subject_der = NULL;
	is->not_after = info.not_after;
	is->name = strdup(name);
	is->crl_url = egca_ca_url(base_url, "/crl/", name, ".crl");
	is->ocsp_url = egca_ca_url(base_url, "/ocsp", "", "");
	is->ca_issuers_url = egca_ca_url(base_url, "/ca/", name, ".crt");
	if (!is->name || !is->crl_url || !is->ocsp_url || !is->ca_issuers_url) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = is;
	is = NULL;
	e = EGCA_OK;
out:
	egca_pki_cert_info_free(&info);
	egca_ca_issuer_free(is);
	return e;
}

enum egca_err
egca_ca_issuer_open(const struct egca_ctx *ctx, const char *name,
    const char *pass, size_t pass_len, struct egca_issuer **out)
{
	struct egca_ca_rec rec;
	struct egca_signer *sg = NULL;
	char *path = NULL;
	enum egca_err e;

	*out = NULL;
	memset(&rec, 0, sizeof(rec));
	if ((e = egca_ca_get(ctx, name, &rec)) != EGCA_OK)
		goto out;
	if (strcmp(rec.status, "active") != 0 || rec.cert_der == NULL) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "CA '%s' is %s: import its certificate first "
		    "('egca ca import')",
		    rec.name, rec.status);
		goto out;
	}
	if ((path = egca_file_join(ctx->cfg->dir, rec.key_file)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_signer_open_file(path, pass, pass_len,
	         EGCA_SIGN_CERT | EGCA_SIGN_CRL | EGCA_SIGN_OCSP |
	             EGCA_SIGN_CSR,
	         &sg)) != EGCA_OK)
		goto out;
	if ((e = egca_ca_issuer_new(rec.name, rec.cert_der, rec.cert_der_len,
	         ctx->cfg->base_url, sg, out)) != EGCA_OK)
		goto out;
	/* Certificates point to the delta CRLs when they are published. */
	if (ctx->cfg->status.delta_crl != 0 &&
	    ((*out)->delta_crl_url = egca_ca_url(ctx->cfg->base_url, "/crl/",
	         rec.name, "-delta.crl")) == NULL) {
		egca_ca_issuer_free(*out);
		*out = NULL;
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (((*out)->profiles_dir = strdup(ctx->cfg->profiles_dir)) == NULL) {
		egca_ca_issuer_free(*out);
		*out = NULL;
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
out:
	free(path);
	egca_store_ca_rec_free(&rec);
	return e;
}

enum egca_err
egca_ca_prepare_tbs(const struct egca_issuer *is, struct egca_cert_template *t,
    struct egca_buf *tbs)
{
	struct egca_lint_result lint;
	enum egca_err e;

	t->sig_alg = is->sig_alg;
	t->issuer = is->subject;
	t->issuer_len = is->subject_len;
	t->issuer_ski = is->ski;
	t->issuer_ski_len = is->ski_len;
	if (t->profile->crl_dp && t->crl_url == NULL) {
		t->crl_url = is->crl_url;
		t->freshest_crl_url = is->delta_crl_url;
	}
	if (t->profile->aia && t->ocsp_url == NULL) {
		t->ocsp_url = is->ocsp_url;
		t->ca_issuers_url = is->ca_issuers_url;
	}
	if ((e = egca_pki_cert_build_tbs(t, tbs)) != EGCA_OK)
		return e;
	return egca_pki_lint_tbs(tbs->data, tbs->len, t->profile, &lint);
}

enum egca_err
egca_ca_sign_tbs(struct egca_issuer *is, const uint8_t *tbs, size_t tbs_len,
    struct egca_buf *cert)
{
	uint8_t sig[1024];
	size_t sig_len = sizeof(sig);
	enum egca_err e;

	if (egca_signer_sig_max(is->signer) > sizeof(sig))
		return egca_err_set(EGCA_ERR_INTERNAL,
		    "signature larger than %zu bytes", sizeof(sig));
	if ((e = egca_signer_sign(is->signer, EGCA_SIGN_CERT, tbs, tbs_len, sig,
	         &sig_len)) != EGCA_OK)
		return e;
	return egca_pki_signed_assemble(
	    tbs, tbs_len, is->sig_alg, sig, sig_len, cert);
}

static const char *
identity_field(const struct egca_identity *id, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
	    {"id_card", offsetof(struct egca_identity, id_card)},
	    {"passport", offsetof(struct egca_identity, passport)},
	    {"military", offsetof(struct egca_identity, military)},
	    {"insurance", offsetof(struct egca_identity, insurance)},
	    {"ic_registration",
	        offsetof(struct egca_identity, ic_registration)},
	    {"org_code", offsetof(struct egca_identity, org_code)},
	    {"tax_number", offsetof(struct egca_identity, tax_number)},
	    {"uscc", offsetof(struct egca_identity, uscc)},
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, name) == 0)
			return *(const char *const *)(const void
			        *)((const char *)id + fields[i].off);
	return NULL;
}

/* The search key of the subscriber: uscc, else org_code, else ... */
static const char *
identity_code(const struct egca_identity *id)
{
	const char *const v[] = {id->uscc, id->org_code, id->id_card,
	    id->passport, id->military, id->insurance, id->ic_registration,
	    id->tax_number};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] != NULL && v[i][0] != '\0')
			return v[i];
	return NULL;
}

/* GB/T 2260 administrative division code: six digits. */
static enum egca_err
check_region(const char *r)
{
	size_t i;

	if (r == NULL)
		return EGCA_OK;
	for (i = 0; r[i] != '\0'; i++)
		if (r[i] < '0' || r[i] > '9')
			break;
	if (i != 6 || r[i] != '\0')
		return egca_err_set(EGCA_ERR_INPUT,
		    "region '%.16s': a GB/T 2260 code is six digits", r);
	return EGCA_OK;
}

/* Checks that do not need the TBS: profile, key, subject, validity. */
static enum egca_err
check_request(const struct egca_issuer *is, const struct egca_profile *p,
    const struct egca_issue_req *req, const uint8_t *subject,
    size_t subject_len, int days)
{
	const struct egca_csr *csr = req->csr;
	const uint8_t *ca_spki;
	size_t ca_spki_len, i;
	char *val;
	const char *idv;
	enum egca_err e;

	if (p->kind == EGCA_PROFILE_ROOT)
		return egca_err_set(EGCA_ERR_POLICY,
		    "profile '%s' is for self-signed roots: use 'egca ca "
		    "create'",
		    p->name);
	if (!(p->allowed_keys & (1u << csr->key_alg)))
		return egca_err_set(EGCA_ERR_POLICY,
		    "profile '%s' does not allow %s keys", p->name,
		    egca_crypto_key_alg_name(csr->key_alg));
	if (csr->key_alg == EGCA_KEY_RSA && csr->key_bits < p->min_rsa_bits)
		return egca_err_set(EGCA_ERR_POLICY,
		    "profile '%s' needs RSA keys of at least %d bits, the "
		    "CSR has %d",
		    p->name, p->min_rsa_bits, csr->key_bits);
	ca_spki = egca_signer_get0_spki(is->signer, &ca_spki_len);
	if (ca_spki_len == csr->spki_len &&
	    memcmp(ca_spki, csr->spki, ca_spki_len) == 0)
		return egca_err_set(
		    EGCA_ERR_POLICY, "the CSR carries the CA's own public key");
	for (i = 0; i < p->n_required_subject; i++) {
		val = NULL;
		if ((e = egca_pki_name_get(subject, subject_len,
		         p->required_subject[i], &val)) != EGCA_OK)
			return e;
		free(val);
		if (val == NULL)
			return egca_err_set(EGCA_ERR_POLICY,
			    "subject: profile '%s' requires attribute %s",
			    p->name, p->required_subject[i]);
	}
	for (i = 0; i < p->n_required_identity; i++) {
		idv = identity_field(&req->identity, p->required_identity[i]);
		if (idv == NULL || idv[0] == '\0')
			return egca_err_set(EGCA_ERR_POLICY,
			    "profile '%s' requires the identity field --%s",
			    p->name, p->required_identity[i]);
	}
	if ((e = check_region(req->region)) != EGCA_OK)
		return e;
	if (days < 1 || days > p->max_validity_days)
		return egca_err_set(EGCA_ERR_POLICY,
		    "validity of %d days: profile '%s' allows 1 to %d", days,
		    p->name, p->max_validity_days);
	return EGCA_OK;
}

struct reserve_tx {
	const char *ca, *serial, *sm3;
	int64_t at;
};

static enum egca_err
reserve_tx(struct egca_store *st, void *arg)
{
	struct reserve_tx *r = arg;

	return egca_store_serial_reserve(st, r->ca, r->serial, r->sm3, r->at);
}

struct insert_tx {
	const struct egca_ctx *ctx;
	const struct egca_cert_rec *rec;
	const struct egca_cert_index_rec *idx;
	struct egca_issuer *is; /* signs the first OCSP response */
	egca_ca_tx_hook hook;   /* the caller's change, or NULL */
	void *hook_arg;
};

static enum egca_err
insert_tx(struct egca_store *st, void *arg)
{
	struct insert_tx *c = arg;
	struct egca_audit_event ev;
	char object[128], *details;
	enum egca_err e;

	if ((e = egca_store_cert_insert(st, c->rec)) != EGCA_OK)
		return e;
	/* Every certificate has a signed OCSP response once issued. */
	if ((e = egca_status_presign(
	         st, c->is, c->rec->serial, c->rec->issued_at)) != EGCA_OK)
		return e;
	if ((e = egca_store_cert_index_insert(st, c->idx)) != EGCA_OK)
		return e;
	snprintf(
	    object, sizeof(object), "cert/%s/%s", c->rec->ca, c->rec->serial);
	details = egca_audit_details("{s:s, s:s, s:s, s:I, s:s}", "profile",
	    c->rec->profile, "subject", c->rec->subject, "key_alg",
	    c->rec->key_alg, "not_after", (json_int_t)c->rec->not_after,
	    "tbs_sm3", c->rec->tbs_sm3);
	ev = (struct egca_audit_event){
	    c->ctx->actor, "cert.issue", object, "success", details};
	e = egca_audit_append(st, &ev);
	free(details);
	if (e == EGCA_OK && c->hook != NULL)
		e = c->hook(st, c->hook_arg, c->rec->serial);
	return e;
}

enum egca_err
egca_ca_issue(const struct egca_ctx *ctx, struct egca_issuer *is,
    const struct egca_issue_req *req, struct egca_issue_result *res)
{
	struct egca_profile *prof = NULL;
	struct egca_cert_template t;
	struct egca_cert_rec rec;
	struct egca_buf tbs, cert;
	struct reserve_tx rt;
	struct insert_tx it;
	struct egca_cert_index_rec idx;
	char *org = NULL;
	uint8_t serial[EGCA_SERIAL_LEN], digest[32];
	uint8_t *subject = NULL;
	size_t subject_len;
	char sm3_hex[65], *subject_text = NULL;
	int64_t now = (int64_t)time(NULL);
	int days, tries;
	enum egca_err e;

	memset(res, 0, sizeof(*res));
	egca_buf_init(&tbs, 1 << 20);
	egca_buf_init(&cert, 1 << 20);
	if ((e = egca_pki_profile_load(
	         is->profiles_dir ? is->profiles_dir : ctx->cfg->profiles_dir,
	         req->profile, &prof)) != EGCA_OK)
		goto out;
	if (req->subject != NULL) {
		if ((e = egca_pki_name_parse(
		         req->subject, &subject, &subject_len)) != EGCA_OK)
			goto out;
	} else {
		if ((subject = malloc(req->csr->subject_len)) == NULL) {
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(subject, req->csr->subject, req->csr->subject_len);
		subject_len = req->csr->subject_len;
	}
	days = req->validity_days ? req->validity_days
	                          : prof->default_validity_days;
	if (req->not_after != 0) {
		if (req->not_after <= req->not_before ||
		    req->not_after - req->not_before > INT32_MAX) {
			e = egca_err_set(EGCA_ERR_INPUT,
			    "validity: notAfter before notBefore");
			goto out;
		}
		days =
		    (int)((req->not_after - req->not_before + 86399) / 86400);
	}
	if (req->serial != NULL &&
	    (req->serial_len < 1 || req->serial_len > 20 ||
	        (req->serial[0] & 0x80) != 0 ||
	        (req->serial_len > 1 && req->serial[0] == 0))) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "serial: a positive minimal INTEGER of 1 to 20 octets");
		goto out;
	}
	if ((e = check_request(is, prof, req, subject, subject_len, days)) !=
	    EGCA_OK)
		goto out;
	if ((req->not_after != 0
	            ? req->not_after
	            : now + (int64_t)days * 86400) > is->not_after) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "validity of %d days would outlive CA '%s'", days,
		    is->name);
		goto out;
	}
	if ((e = egca_pki_name_to_text(subject, subject_len, &subject_text)) !=
	    EGCA_OK)
		goto out;

	memset(&t, 0, sizeof(t));
	t.profile = prof;
	t.subject = subject;
	t.subject_len = subject_len;
	t.spki = req->csr->spki;
	t.spki_len = req->csr->spki_len;
	t.not_before = req->not_after != 0 ? req->not_before : now;
	t.not_after =
	    req->not_after != 0 ? req->not_after : now + (int64_t)days * 86400;
	t.identity = &req->identity;
	t.san_dns = req->san_dns;
	t.n_san_dns = req->n_san_dns;
	t.san_email = req->san_email;
	t.n_san_email = req->n_san_email;
	t.san_ip = req->san_ip;
	t.n_san_ip = req->n_san_ip;
	/* A serial is never used twice: a collision draws a new one. */
	for (tries = 0;; tries++) {
		if (req->serial != NULL) {
			t.serial = req->serial;
			t.serial_len = req->serial_len;
		} else {
			if ((e = egca_ca_new_serial(serial)) != EGCA_OK)
				goto out;
			t.serial = serial;
			t.serial_len = sizeof(serial);
		}
		egca_buf_reset(&tbs);
		if ((e = egca_ca_prepare_tbs(is, &t, &tbs)) != EGCA_OK)
			goto out;
		if ((e = egca_crypto_sm3(tbs.data, tbs.len, digest)) != EGCA_OK)
			goto out;
		egca_hex_encode(digest, sizeof(digest), sm3_hex);
		egca_ca_serial_hex(t.serial, t.serial_len, res->serial);
		rt = (struct reserve_tx){is->name, res->serial, sm3_hex, now};
		e = egca_store_tx(ctx->st, reserve_tx, &rt);
		/* A chosen serial is that one or none. */
		if (e != EGCA_ERR_EXISTS || tries >= 3 || req->serial != NULL)
			break;
	}
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_ca_sign_tbs(is, tbs.data, tbs.len, &cert)) != EGCA_OK)
		goto out;

	memset(&rec, 0, sizeof(rec));
	rec.ca = is->name;
	rec.serial = res->serial;
	rec.profile = prof->name;
	rec.subject = subject_text;
	rec.status = UNCONST("good");
	rec.reason = -1;
	rec.not_before = t.not_before;
	rec.not_after = t.not_after;
	rec.issued_at = now;
	rec.audience =
	    UNCONST(prof->audience == EGCA_AUDIENCE_GOVERNMENT ? "government"
	                                                       : "public");
	rec.key_alg = UNCONST(egca_crypto_key_alg_name(req->csr->key_alg));
	rec.tbs_sm3 = sm3_hex;
	rec.der = cert.data;
	rec.der_len = cert.len;
	if ((e = egca_pki_name_get(subject, subject_len, "O", &org)) != EGCA_OK)
		goto out;
	idx = (struct egca_cert_index_rec){is->name, res->serial, org,
	    identity_code(&req->identity), req->region,
	    prof->subscriber_type[0] ? prof->subscriber_type : NULL, now,
	    req->subscriber, req->department};
	it = (struct insert_tx){ctx, &rec, &idx, is, req->hook, req->hook_arg};
	if ((e = egca_store_tx(ctx->st, insert_tx, &it)) != EGCA_OK)
		goto out;
	res->der = egca_buf_take(&cert, &res->der_len);
out:
	egca_buf_free(&tbs);
	egca_buf_free(&cert);
	egca_pki_profile_free(prof);
	free(subject);
	free(subject_text);
	free(org);
	return e;
}
