/*
 * GM/T 0014 CA <-> KM messages: a strict DER reader and the writer
 * (docs/km.md has the ASN.1 and egca's deviations). Built on the pki/
 * DER cursor and writer (src/pki/der.h: single-octet tags, definite
 * minimal lengths, sticky errors, nothing read past the end).
 *
 * A request is read in two steps so the KM can answer a malformed
 * request of a trusted CA with a signed error: the shell (CARequest,
 * KSRequest with its EntName, requestTime, taskNO; requestList only as
 * a SEQUENCE) and then the items. egca_km_request_parse does both.
 *
 * What this does not check: signatures, trust, times against a clock,
 * whether a SubjectPublicKeyInfo is a usable SM2 key (the service
 * decodes it), or what a userCertNO means.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "egca/crypto.h"
#include "egca/pki.h"
#include "km/km_int.h"
#include "pki/der.h"

/* 1.2.156.10197.1.401 SM3 */
EGCA_DER_OID(oid_sm3, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11);
/* 1.2.156.10197.1.301 SM2 */
EGCA_DER_OID(oid_sm2, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d);
/* 1.2.156.10197.1.301.3 SM2 encryption */
EGCA_DER_OID(oid_sm2_enc, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03);
/* 1.2.156.10197.1.104.1 SM4-ECB; 1.2.156.10197.1.104 SM4 (accepted) */
EGCA_DER_OID(oid_sm4_ecb, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x68, 0x01);
EGCA_DER_OID(oid_sm4, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x68);

#define TAG_DIRNAME DER_CTX_CONS(4)
#define MAX_SIG 128
#define MAX_DS_CODE 64
#define MAX_EXTEND 4096
#define MAX_ERR_DESC 1024

/* ------------------------------------------------------------------ */
/* Reading                                                              */

/* A failure: the field and why, with the message name. */
struct perr {
	const char *msg;
	char field[96];
	int km_errno;
};

static enum egca_err
fail(struct perr *pe, int km_errno, const char *field, const char *why)
{
	pe->km_errno = km_errno;
	snprintf(pe->field, sizeof(pe->field), "%s", field);
	return egca_err_set(EGCA_ERR_INPUT, "%s: %s: %s", pe->msg, field, why);
}

/*
 * AlgorithmIdentifier with OID a (or b when not NULL) and absent or
 * NULL parameters. 1: matches; 0: well formed, other OID; -1: malformed.
 */
static int
alg_get(struct egca_der_r *r, const struct egca_der_oid *a,
    const struct egca_der_oid *b)
{
	struct egca_der_r s;
	struct egca_der_tlv oid, par;
	int ok;

	if (!egca_der_enter(r, DER_SEQUENCE, &s) ||
	    !egca_der_get(&s, DER_OID, &oid))
		return -1;
	if (egca_der_get_opt(&s, DER_NULL, &par) && par.len != 0)
		return -1;
	if (!egca_der_r_end(&s))
		return -1;
	ok =
	    egca_der_oid_eq(&oid, a) || (b != NULL && egca_der_oid_eq(&oid, b));
	return ok ? 1 : 0;
}

/* A positive INTEGER, magnitude 1..max octets (no zero). */
static int
uint_get(struct egca_der_r *r, const uint8_t **p, size_t *len, size_t max)
{
	struct egca_der_tlv t;
	int neg;
	size_t i;

	if (!egca_der_get(r, DER_INTEGER, &t) ||
	    !egca_der_tlv_int_ok(&t, &neg) || neg)
		return 0;
	*p = t.val;
	*len = t.len;
	if (*len > 1 && (*p)[0] == 0) {
		(*p)++;
		(*len)--;
	}
	if (*len == 0 || *len > max)
		return 0;
	for (i = 0; i < *len; i++)
		if ((*p)[i] != 0)
			return 1;
	return 0;
}

static int
gtime_get(struct egca_der_r *r, int64_t *t)
{
	struct egca_der_tlv v;

	return egca_der_get(r, DER_GENERALIZEDTIME, &v) &&
	    egca_der_tlv_time(&v, t);
}

/* EntName ::= SEQUENCE { hashAlgorithm, entName [4] Name,
 *                        entPubKeyHash OCTET STRING, serialNumber } */
static enum egca_err
entname_get(struct egca_der_r *r, struct egca_km_entname *e, struct perr *pe,
    const char *what)
{
	struct egca_der_r s, gn;
	struct egca_der_tlv name, h;
	char f[64];
	int a;

	memset(e, 0, sizeof(*e));
	snprintf(f, sizeof(f), "%s", what);
	if (!egca_der_enter(r, DER_SEQUENCE, &s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f, "not a SEQUENCE");
	if ((a = alg_get(&s, &oid_sm3, NULL)) != 1)
		return fail(pe,
		    a == 0 ? EGCA_KM_E_UNSUPPORTED : EGCA_KM_E_BAD_REQUEST, f,
		    "hashAlgorithm must be SM3 (1.2.156.10197.1.401)");
	if (!egca_der_enter(&s, TAG_DIRNAME, &gn) ||
	    !egca_der_get(&gn, DER_SEQUENCE, &name) || !egca_der_r_end(&gn))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f,
		    "entName must be a directoryName [4]");
	if (egca_pki_name_check(name.raw, name.raw_len) != EGCA_OK)
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f, "entName: bad Name");
	e->name = name.raw;
	e->name_len = name.raw_len;
	if (!egca_der_get(&s, DER_OCTET_STRING, &h) || h.len != 32)
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f,
		    "entPubKeyHash must be an OCTET STRING of 32 octets");
	memcpy(e->key_hash, h.val, 32);
	if (!uint_get(&s, &e->serial, &e->serial_len, 20))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f,
		    "serialNumber must be a positive INTEGER of 1 to 20 "
		    "octets");
	if (!egca_der_r_end(&s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f, "trailing data");
	return EGCA_OK;
}

/* The envelope algorithms of ApplyKeyReq and RestoreKeyReq. */
static enum egca_err
ret_algs_get(struct egca_der_r *s, struct perr *pe, const char *f)
{
	char g[96];
	int a;

	snprintf(g, sizeof(g), "%s.retAsymAlg", f);
	if ((a = alg_get(s, &oid_sm2_enc, NULL)) != 1)
		return fail(pe,
		    a == 0 ? EGCA_KM_E_UNSUPPORTED : EGCA_KM_E_BAD_REQUEST, g,
		    "must be SM2 encryption (1.2.156.10197.1.301.3)");
	snprintf(g, sizeof(g), "%s.retSymAlg", f);
	if ((a = alg_get(s, &oid_sm4_ecb, &oid_sm4)) != 1)
		return fail(pe,
		    a == 0 ? EGCA_KM_E_UNSUPPORTED : EGCA_KM_E_BAD_REQUEST, g,
		    "must be SM4-ECB (1.2.156.10197.1.104.1)");
	snprintf(g, sizeof(g), "%s.retHashAlg", f);
	if ((a = alg_get(s, &oid_sm3, NULL)) != 1)
		return fail(pe,
		    a == 0 ? EGCA_KM_E_UNSUPPORTED : EGCA_KM_E_BAD_REQUEST, g,
		    "must be SM3 (1.2.156.10197.1.401)");
	return EGCA_OK;
}

static int
printable_ascii(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

/* [n] EXPLICIT OCTET STRING, optional; 1 absent or good, 0 malformed. */
static int
opt_octets(struct egca_der_r *s, unsigned n, const uint8_t **p, size_t *len)
{
	struct egca_der_r x;
	struct egca_der_tlv o;

	if (egca_der_peek(s) != DER_CTX_CONS(n))
		return 1;
	if (!egca_der_enter(s, DER_CTX_CONS(n), &x) ||
	    !egca_der_get(&x, DER_OCTET_STRING, &o) || !egca_der_r_end(&x))
		return 0;
	*p = o.val;
	*len = o.len;
	return 1;
}

static enum egca_err
apply_get(struct egca_der_r *r, struct egca_km_req_item *it, struct perr *pe,
    const char *f)
{
	struct egca_der_r s, u;
	struct egca_der_tlv spki;
	int64_t len;
	char g[96];
	int a;

	it->kind = EGCA_KM_APPLY;
	if (!egca_der_enter(r, DER_CTX_CONS(0), &s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f, "malformed");
	snprintf(g, sizeof(g), "%s.appKeyType", f);
	if ((a = alg_get(&s, &oid_sm2, NULL)) != 1)
		return fail(pe,
		    a == 0 ? EGCA_KM_E_UNSUPPORTED : EGCA_KM_E_BAD_REQUEST, g,
		    "must be SM2 (1.2.156.10197.1.301)");
	snprintf(g, sizeof(g), "%s.appKeyLen", f);
	{
		struct egca_der_tlv t;

		if (!egca_der_get(&s, DER_INTEGER, &t) ||
		    !egca_der_tlv_small_int(&t, &len))
			return fail(
			    pe, EGCA_KM_E_BAD_REQUEST, g, "not an INTEGER");
		if (len != 256)
			return fail(
			    pe, EGCA_KM_E_UNSUPPORTED, g, "must be 256");
	}
	if (ret_algs_get(&s, pe, f) != EGCA_OK)
		return EGCA_ERR_INPUT;
	snprintf(g, sizeof(g), "%s.appUserInfo", f);
	if (!egca_der_enter(&s, DER_SEQUENCE, &u))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g, "not a SEQUENCE");
	if (!uint_get(&u, &it->cert_no, &it->cert_no_len, 20))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g,
		    "userCertNO must be a positive INTEGER of 1 to 20 octets");
	if (!egca_der_get(&u, DER_SEQUENCE, &spki))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g,
		    "userPubKey must be a SubjectPublicKeyInfo");
	it->user_spki = spki.raw;
	it->user_spki_len = spki.raw_len;
	if (!gtime_get(&u, &it->not_before) || !gtime_get(&u, &it->not_after))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g,
		    "notBefore and notAfter must be GeneralizedTime "
		    "(YYYYMMDDHHMMSSZ)");
	if (it->not_after <= it->not_before)
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g,
		    "notAfter must be after notBefore");
	if (!opt_octets(&u, 0, &it->user_name, &it->user_name_len) ||
	    (it->user_name != NULL &&
	        egca_pki_name_check(it->user_name, it->user_name_len) !=
	            EGCA_OK)) {
		egca_err_clear();
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g,
		    "userName must be [0] OCTET STRING holding a DER Name");
	}
	if (!opt_octets(&u, 1, &it->ds_code, &it->ds_code_len) ||
	    (it->ds_code != NULL &&
	        (it->ds_code_len == 0 || it->ds_code_len > MAX_DS_CODE ||
	            !printable_ascii(it->ds_code, it->ds_code_len))))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g,
		    "dsCode must be [1] OCTET STRING of 1 to 64 printable "
		    "ASCII characters");
	if (!opt_octets(&u, 2, &it->extend_info, &it->extend_info_len) ||
	    it->extend_info_len > MAX_EXTEND)
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g,
		    "extendInfo must be [2] OCTET STRING of at most 4096 "
		    "octets");
	if (!egca_der_r_end(&u))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, g, "trailing data");
	if (!egca_der_r_end(&s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f, "trailing data");
	return EGCA_OK;
}

static enum egca_err
restore_get(struct egca_der_r *r, struct egca_km_req_item *it, struct perr *pe,
    const char *f)
{
	struct egca_der_r s;
	struct egca_der_tlv spki;

	it->kind = EGCA_KM_RESTORE;
	if (!egca_der_enter(r, DER_CTX_CONS(1), &s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f, "malformed");
	if (ret_algs_get(&s, pe, f) != EGCA_OK)
		return EGCA_ERR_INPUT;
	if (!uint_get(&s, &it->cert_no, &it->cert_no_len, 20))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f,
		    "userCertNO must be a positive INTEGER of 1 to 20 octets");
	if (!egca_der_get(&s, DER_SEQUENCE, &spki))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f,
		    "userPubKey must be a SubjectPublicKeyInfo");
	it->user_spki = spki.raw;
	it->user_spki_len = spki.raw_len;
	if (!egca_der_r_end(&s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f, "trailing data");
	return EGCA_OK;
}

static enum egca_err
revoke_get(struct egca_der_r *r, struct egca_km_req_item *it, struct perr *pe,
    const char *f)
{
	struct egca_der_r s;

	it->kind = EGCA_KM_REVOKE;
	if (!egca_der_enter(r, DER_CTX_CONS(2), &s) ||
	    !uint_get(&s, &it->cert_no, &it->cert_no_len, 20) ||
	    !egca_der_r_end(&s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, f,
		    "must hold userCertNO, a positive INTEGER of 1 to 20 "
		    "octets");
	return EGCA_OK;
}

/* The outer signed shape shared by both messages. */
static enum egca_err
signed_get(const uint8_t *der, size_t len, struct egca_der_r *tbs,
    const uint8_t **tbs_raw, size_t *tbs_len, const uint8_t **sig,
    size_t *sig_len, struct perr *pe)
{
	struct egca_der_r r, s;
	struct egca_der_tlv t, sigv;
	enum egca_sig_alg alg;

	if (len > EGCA_KM_MSG_MAX)
		return fail(pe, EGCA_KM_E_BAD_REQUEST, "message",
		    "longer than 256 KiB");
	egca_der_r_init(&r, der, len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &s) || !egca_der_r_end(&r))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, "message",
		    "not one DER SEQUENCE");
	if (!egca_der_get(&s, DER_SEQUENCE, &t))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, "TBS", "not a SEQUENCE");
	*tbs_raw = t.raw;
	*tbs_len = t.raw_len;
	egca_der_r_init(tbs, t.val, t.len);
	if (!egca_der_get(&s, DER_SEQUENCE, &t) ||
	    egca_crypto_sig_alg_parse(t.raw, t.raw_len, &alg) != EGCA_OK ||
	    alg != EGCA_SIG_SM2_SM3) {
		egca_err_clear();
		return fail(pe, EGCA_KM_E_UNSUPPORTED, "signatureAlgorithm",
		    "must be sm2-with-SM3 (1.2.156.10197.1.501)");
	}
	if (!egca_der_get(&s, DER_OCTET_STRING, &sigv) || sigv.len == 0 ||
	    sigv.len > MAX_SIG)
		return fail(pe, EGCA_KM_E_BAD_REQUEST, "signatureValue",
		    "must be an OCTET STRING of 1 to 128 octets");
	*sig = sigv.val;
	*sig_len = sigv.len;
	if (!egca_der_r_end(&s))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, "message",
		    "trailing data after signatureValue");
	return EGCA_OK;
}

/* version, EntName, the list (raw contents), time, taskNO. */
static enum egca_err
tbs_get(struct egca_der_r *tbs, int64_t *version, struct egca_km_entname *e,
    const char *ename, const char *lname, struct egca_der_r *list, int64_t *t,
    const char *tname, const uint8_t **task, size_t *task_len, struct perr *pe)
{
	struct egca_der_tlv v;

	if (!egca_der_get(tbs, DER_INTEGER, &v) ||
	    !egca_der_tlv_small_int(&v, version))
		return fail(
		    pe, EGCA_KM_E_BAD_REQUEST, "version", "not an INTEGER");
	if (entname_get(tbs, e, pe, ename) != EGCA_OK)
		return EGCA_ERR_INPUT;
	if (!egca_der_enter(tbs, DER_SEQUENCE, list))
		return fail(
		    pe, EGCA_KM_E_BAD_REQUEST, lname, "not a SEQUENCE OF");
	if (!gtime_get(tbs, t))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, tname,
		    "must be GeneralizedTime (YYYYMMDDHHMMSSZ)");
	if (!uint_get(tbs, task, task_len, 20))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, "taskNO",
		    "must be a positive INTEGER of 1 to 20 octets");
	if (!egca_der_r_end(tbs))
		return fail(pe, EGCA_KM_E_BAD_REQUEST, "TBS",
		    "trailing data after taskNO");
	return EGCA_OK;
}

enum egca_err
km_request_parse_shell(const uint8_t *der, size_t len,
    struct egca_km_request *out, struct egca_der_r *list, int *km_errno)
{
	struct perr pe = {"CARequest", "", EGCA_KM_E_BAD_REQUEST};
	struct egca_der_r tbs;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if ((e = signed_get(der, len, &tbs, &out->tbs, &out->tbs_len, &out->sig,
	         &out->sig_len, &pe)) != EGCA_OK ||
	    (e = tbs_get(&tbs, &out->version, &out->ca, "caName", "requestList",
	         list, &out->request_time, "requestTime", &out->task,
	         &out->task_len, &pe)) != EGCA_OK)
		*km_errno = pe.km_errno;
	return e;
}

enum egca_err
km_request_parse_items(
    struct egca_der_r *list, struct egca_km_request *out, int *km_errno)
{
	struct perr pe = {"CARequest", "", EGCA_KM_E_BAD_REQUEST};
	struct egca_km_req_item *it;
	char f[64];
	enum egca_err e = EGCA_OK;
	int tag;

	out->n_items = 0;
	while ((tag = egca_der_peek(list)) != -1) {
		if (out->n_items == EGCA_KM_ITEMS_MAX) {
			e = fail(&pe, EGCA_KM_E_BAD_REQUEST, "requestList",
			    "more than 64 requests");
			break;
		}
		it = &out->items[out->n_items];
		memset(it, 0, sizeof(*it));
		snprintf(f, sizeof(f), "requestList[%zu]", out->n_items);
		if (tag == DER_CTX_CONS(0))
			e = apply_get(list, it, &pe, f);
		else if (tag == DER_CTX_CONS(1))
			e = restore_get(list, it, &pe, f);
		else if (tag == DER_CTX_CONS(2))
			e = revoke_get(list, it, &pe, f);
		else
			e = fail(&pe, EGCA_KM_E_BAD_REQUEST, f,
			    "not applyKeyReq [0], restoreKeyReq [1] or "
			    "revokeKeyReq [2]");
		if (e != EGCA_OK)
			break;
		out->n_items++;
	}
	if (e == EGCA_OK && list->err)
		e = fail(
		    &pe, EGCA_KM_E_BAD_REQUEST, "requestList", "malformed");
	if (e == EGCA_OK && out->n_items == 0)
		e = fail(&pe, EGCA_KM_E_BAD_REQUEST, "requestList", "empty");
	if (e != EGCA_OK)
		*km_errno = pe.km_errno;
	return e;
}

enum egca_err
egca_km_request_parse(
    const uint8_t *der, size_t len, struct egca_km_request *out)
{
	struct egca_der_r list;
	int km_errno = 0;
	enum egca_err e;

	if ((e = km_request_parse_shell(der, len, out, &list, &km_errno)) !=
	    EGCA_OK)
		return e;
	if (out->version != 1)
		return egca_err_set(
		    EGCA_ERR_INPUT, "CARequest: version must be 1");
	return km_request_parse_items(&list, out, &km_errno);
}

static enum egca_err
resp_item_get(struct egca_der_r *list, struct egca_km_resp_item *it,
    struct perr *pe, const char *f)
{
	struct egca_der_r s;
	struct egca_der_tlv t, spki, env;
	struct egca_envelope parsed;
	int tag = egca_der_peek(list);

	memset(it, 0, sizeof(*it));
	if (tag < DER_CTX_CONS(0) || tag > DER_CTX_CONS(3) ||
	    !egca_der_enter(list, (uint8_t)tag, &s))
		return fail(pe, 0, f, "not a Respond [0] to [3]");
	it->kind = (enum egca_km_resp_kind)(tag - DER_CTX_CONS(0));
	switch (it->kind) {
	case EGCA_KM_RESP_APPLY:
	case EGCA_KM_RESP_RESTORE:
		if (!uint_get(&s, &it->cert_no, &it->cert_no_len, 20))
			return fail(pe, 0, f, "userCertNO malformed");
		if (!egca_der_get(&s, DER_SEQUENCE, &spki))
			return fail(pe, 0, f, "retPubKey malformed");
		it->pub_spki = spki.raw;
		it->pub_spki_len = spki.raw_len;
		if (!egca_der_get(&s, DER_SEQUENCE, &env) ||
		    egca_envelope_parse(env.raw, env.raw_len, &parsed) !=
		        EGCA_OK) {
			egca_err_clear();
			return fail(pe, 0, f,
			    "retPriKey must be a GM/T 0009 SM2EnvelopedKey");
		}
		it->envelope = env.raw;
		it->envelope_len = env.raw_len;
		break;
	case EGCA_KM_RESP_REVOKE:
		if (!uint_get(&s, &it->cert_no, &it->cert_no_len, 20))
			return fail(pe, 0, f, "userCertNO malformed");
		break;
	case EGCA_KM_RESP_ERROR:
		if (!egca_der_get(&s, DER_INTEGER, &t) ||
		    !egca_der_tlv_small_int(&t, &it->err_no) || it->err_no < 0)
			return fail(pe, 0, f, "errNO malformed");
		if (egca_der_get_opt(&s, DER_OCTET_STRING, &t)) {
			if (t.len > MAX_ERR_DESC ||
			    !printable_ascii(t.val, t.len))
				return fail(pe, 0, f,
				    "errDesc must be printable ASCII, at "
				    "most 1024 octets");
			it->err_desc = t.val;
			it->err_desc_len = t.len;
		}
		break;
	}
	if (!egca_der_r_end(&s))
		return fail(pe, 0, f, "trailing data");
	return EGCA_OK;
}

enum egca_err
egca_km_response_parse(
    const uint8_t *der, size_t len, struct egca_km_response *out)
{
	struct perr pe = {"KMRespond", "", 0};
	struct egca_der_r tbs, list;
	char f[64];
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if ((e = signed_get(der, len, &tbs, &out->tbs, &out->tbs_len, &out->sig,
	         &out->sig_len, &pe)) != EGCA_OK ||
	    (e = tbs_get(&tbs, &out->version, &out->km, "kmName", "respondList",
	         &list, &out->respond_time, "respondTime", &out->task,
	         &out->task_len, &pe)) != EGCA_OK)
		return e;
	if (out->version != 1)
		return fail(&pe, 0, "version", "must be 1");
	while (egca_der_peek(&list) != -1) {
		if (out->n_items == EGCA_KM_ITEMS_MAX)
			return fail(&pe, 0, "respondList", "more than 64");
		snprintf(f, sizeof(f), "respondList[%zu]", out->n_items);
		if ((e = resp_item_get(
		         &list, &out->items[out->n_items], &pe, f)) != EGCA_OK)
			return e;
		out->n_items++;
	}
	if (list.err)
		return fail(&pe, 0, "respondList", "malformed");
	if (out->n_items == 0)
		return fail(&pe, 0, "respondList", "empty");
	return EGCA_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */

static void
alg_put(struct egca_der_w *w, const struct egca_der_oid *oid)
{
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_put_oid(w, oid);
	egca_der_end(w);
}

/* GeneralizedTime always (GM/T 0014), unlike X.509's UTCTime years. */
static void
gtime_put(struct egca_der_w *w, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[64];

	if (t < 0 || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999) {
		egca_der_w_fail(
		    w, EGCA_ERR_INPUT, "time %lld out of range", (long long)t);
		return;
	}
	snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	egca_der_put_tlv(w, DER_GENERALIZEDTIME, s, 15);
}

static void
uint_put(struct egca_der_w *w, const uint8_t *p, size_t len)
{
	if (p == NULL || len == 0 || len > 20) {
		egca_der_w_fail(w, EGCA_ERR_INPUT,
		    "an INTEGER of 1 to 20 octets is required");
		return;
	}
	egca_der_put_uint(w, p, len);
}

static void
entname_put(struct egca_der_w *w, const struct egca_km_entname *e)
{
	egca_der_begin(w, DER_SEQUENCE);
	alg_put(w, &oid_sm3);
	egca_der_begin(w, TAG_DIRNAME);
	egca_der_put_raw(w, e->name, e->name_len);
	egca_der_end(w);
	egca_der_put_octet(w, e->key_hash, 32);
	uint_put(w, e->serial, e->serial_len);
	egca_der_end(w);
}

static void
ret_algs_put(struct egca_der_w *w)
{
	alg_put(w, &oid_sm2_enc);
	alg_put(w, &oid_sm4_ecb);
	alg_put(w, &oid_sm3);
}

static void
opt_octets_put(struct egca_der_w *w, unsigned n, const uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	egca_der_begin(w, DER_CTX_CONS(n));
	egca_der_put_octet(w, p, len);
	egca_der_end(w);
}

static void
req_item_put(struct egca_der_w *w, const struct egca_km_req_item *it)
{
	switch (it->kind) {
	case EGCA_KM_APPLY:
		egca_der_begin(w, DER_CTX_CONS(0));
		alg_put(w, &oid_sm2);
		egca_der_put_small_int(w, 256);
		ret_algs_put(w);
		egca_der_begin(w, DER_SEQUENCE);
		uint_put(w, it->cert_no, it->cert_no_len);
		egca_der_put_raw(w, it->user_spki, it->user_spki_len);
		gtime_put(w, it->not_before);
		gtime_put(w, it->not_after);
		opt_octets_put(w, 0, it->user_name, it->user_name_len);
		opt_octets_put(w, 1, it->ds_code, it->ds_code_len);
		opt_octets_put(w, 2, it->extend_info, it->extend_info_len);
		egca_der_end(w);
		egca_der_end(w);
		break;
	case EGCA_KM_RESTORE:
		egca_der_begin(w, DER_CTX_CONS(1));
		ret_algs_put(w);
		uint_put(w, it->cert_no, it->cert_no_len);
		egca_der_put_raw(w, it->user_spki, it->user_spki_len);
		egca_der_end(w);
		break;
	case EGCA_KM_REVOKE:
		egca_der_begin(w, DER_CTX_CONS(2));
		uint_put(w, it->cert_no, it->cert_no_len);
		egca_der_end(w);
		break;
	default:
		egca_der_w_fail(w, EGCA_ERR_INTERNAL, "unknown request kind");
	}
}

static void
resp_item_put(struct egca_der_w *w, const struct egca_km_resp_item *it)
{
	switch (it->kind) {
	case EGCA_KM_RESP_APPLY:
	case EGCA_KM_RESP_RESTORE:
		egca_der_begin(w, DER_CTX_CONS((unsigned)it->kind));
		uint_put(w, it->cert_no, it->cert_no_len);
		egca_der_put_raw(w, it->pub_spki, it->pub_spki_len);
		egca_der_put_raw(w, it->envelope, it->envelope_len);
		egca_der_end(w);
		break;
	case EGCA_KM_RESP_REVOKE:
		egca_der_begin(w, DER_CTX_CONS(2));
		uint_put(w, it->cert_no, it->cert_no_len);
		egca_der_end(w);
		break;
	case EGCA_KM_RESP_ERROR:
		egca_der_begin(w, DER_CTX_CONS(3));
		egca_der_put_small_int(w, it->err_no);
		if (it->err_desc != NULL)
			egca_der_put_octet(w, it->err_desc,
			    it->err_desc_len > MAX_ERR_DESC ? MAX_ERR_DESC
			                                    : it->err_desc_len);
		egca_der_end(w);
		break;
	default:
		egca_der_w_fail(w, EGCA_ERR_INTERNAL, "unknown response kind");
	}
}

/* SEQUENCE { tbs, sm2-with-SM3, OCTET STRING sig } appended to out. */
static enum egca_err
sign_assemble(
    struct egca_buf *tbs, struct egca_signer *signer, struct egca_buf *out)
{
	struct egca_der_w w;
	uint8_t sig[MAX_SIG];
	size_t sig_len = sizeof(sig), alg_len;
	const uint8_t *alg;
	enum egca_err e;

	if (egca_signer_sig_alg(signer) != EGCA_SIG_SM2_SM3)
		return egca_err_set(
		    EGCA_ERR_POLICY, "GM/T 0014 messages are signed with SM2");
	if (egca_signer_sig_max(signer) > sizeof(sig))
		return egca_err_set(EGCA_ERR_INTERNAL, "signature too long");
	if ((e = egca_signer_sign(signer, EGCA_SIGN_CERT, tbs->data, tbs->len,
	         sig, &sig_len)) != EGCA_OK)
		return e;
	alg = egca_crypto_sig_alg_der(EGCA_SIG_SM2_SM3, &alg_len);
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_raw(&w, tbs->data, tbs->len);
	egca_der_put_raw(&w, alg, alg_len);
	egca_der_put_octet(&w, sig, sig_len);
	egca_der_end(&w);
	return egca_der_w_finish(&w);
}

enum egca_err
egca_km_request_sign(const struct egca_km_request *r,
    struct egca_signer *signer, struct egca_buf *out)
{
	struct egca_buf tbs;
	struct egca_der_w w;
	size_t i;
	enum egca_err e;

	if (r->n_items == 0 || r->n_items > EGCA_KM_ITEMS_MAX)
		return egca_err_set(
		    EGCA_ERR_INPUT, "CARequest: 1 to 64 requests");
	egca_buf_init(&tbs, EGCA_KM_MSG_MAX);
	egca_der_w_init(&w, &tbs);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_small_int(&w, r->version);
	entname_put(&w, &r->ca);
	egca_der_begin(&w, DER_SEQUENCE);
	for (i = 0; i < r->n_items; i++)
		req_item_put(&w, &r->items[i]);
	egca_der_end(&w);
	gtime_put(&w, r->request_time);
	uint_put(&w, r->task, r->task_len);
	egca_der_end(&w);
	if ((e = egca_der_w_finish(&w)) == EGCA_OK)
		e = sign_assemble(&tbs, signer, out);
	egca_buf_free(&tbs);
	return e;
}

enum egca_err
egca_km_response_sign(const struct egca_km_response *r,
    struct egca_signer *signer, struct egca_buf *out)
{
	struct egca_buf tbs;
	struct egca_der_w w;
	size_t i;
	enum egca_err e;

	if (r->n_items == 0 || r->n_items > EGCA_KM_ITEMS_MAX)
		return egca_err_set(
		    EGCA_ERR_INPUT, "KMRespond: 1 to 64 answers");
	egca_buf_init(&tbs, EGCA_KM_MSG_MAX);
	egca_der_w_init(&w, &tbs);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_small_int(&w, r->version);
	entname_put(&w, &r->km);
	egca_der_begin(&w, DER_SEQUENCE);
	for (i = 0; i < r->n_items; i++)
		resp_item_put(&w, &r->items[i]);
	egca_der_end(&w);
	gtime_put(&w, r->respond_time);
	uint_put(&w, r->task, r->task_len);
	egca_der_end(&w);
	if ((e = egca_der_w_finish(&w)) == EGCA_OK)
		e = sign_assemble(&tbs, signer, out);
	egca_buf_free(&tbs);
	return e;
}

/* ------------------------------------------------------------------ */
/* EntName of a certificate                                            */

enum egca_err
km_spki_key_hash(const uint8_t *spki, size_t spki_len, uint8_t out[32])
{
	struct egca_der_r r, s;
	struct egca_der_tlv alg, bits;
	const uint8_t *p;
	size_t n;
	unsigned unused;

	egca_der_r_init(&r, spki, spki_len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &s) || !egca_der_r_end(&r) ||
	    !egca_der_get(&s, DER_SEQUENCE, &alg) ||
	    !egca_der_get(&s, DER_BIT_STRING, &bits) || !egca_der_r_end(&s) ||
	    !egca_der_tlv_bits(&bits, &unused, &p, &n) || unused != 0 || n == 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "SubjectPublicKeyInfo: malformed");
	return egca_crypto_sm3(p, n, out);
}

enum egca_err
egca_km_entname_from_cert(
    const uint8_t *cert, size_t cert_len, struct egca_km_entname *out)
{
	struct egca_der_r r, c, tbs, v;
	struct egca_der_tlv t, subject, spki;

	memset(out, 0, sizeof(*out));
	egca_der_r_init(&r, cert, cert_len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &c) || !egca_der_r_end(&r) ||
	    !egca_der_enter(&c, DER_SEQUENCE, &tbs))
		goto bad;
	if (egca_der_peek(&tbs) == DER_CTX_CONS(0) &&
	    !egca_der_enter(&tbs, DER_CTX_CONS(0), &v))
		goto bad;
	if (!uint_get(&tbs, &out->serial, &out->serial_len, 20) ||
	    !egca_der_get(&tbs, DER_SEQUENCE, &t) || /* signature */
	    !egca_der_get(&tbs, DER_SEQUENCE, &t) || /* issuer */
	    !egca_der_get(&tbs, DER_SEQUENCE, &t) || /* validity */
	    !egca_der_get(&tbs, DER_SEQUENCE, &subject) ||
	    !egca_der_get(&tbs, DER_SEQUENCE, &spki))
		goto bad;
	out->name = subject.raw;
	out->name_len = subject.raw_len;
	return km_spki_key_hash(spki.raw, spki.raw_len, out->key_hash);
bad:
	return egca_err_set(EGCA_ERR_INPUT,
	    "certificate: cannot read its serial, subject and public key");
}
