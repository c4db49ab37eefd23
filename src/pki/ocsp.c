/*
 * pki/ocsp.c: OCSP requests in, OCSP responses out (RFC 6960, RFC 5019,
 * RFC 8954), with egca's DER reader and writer (der.h).
 *
 * Requests are parsed without allocating: CertIDs land in the caller's
 * array and point into the request. Responses are written by the DER
 * writer and signed through the signer, SM2 with SM3 and the GM/T 0009
 * user ID (gm-standards.md 5.3).
 *
 * What this does not check: whether a CertID names a CA egca serves,
 * and the optional request signature (parsed as one TLV, then ignored:
 * RFC 6960 4.1.2 lets responders ignore it, egca does not authorise
 * requesters). Unknown non-critical extensions are ignored; unknown
 * critical ones make the request malformed.
 */
#include <string.h>
#include <time.h>

#include "egca/pki.h"
#include "pki/der.h"

/* 1.3.14.3.2.26, 2.16.840.1.101.3.4.2.1, 1.2.156.10197.1.401 */
EGCA_DER_OID(oid_sha1, 0x2b, 0x0e, 0x03, 0x02, 0x1a);
EGCA_DER_OID(oid_sha256, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01);
EGCA_DER_OID(oid_sm3, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11);
/* id-pkix-ocsp-basic 1.3.6.1.5.5.7.48.1.1, id-pkix-ocsp-nonce .48.1.2 */
EGCA_DER_OID(
    oid_ocsp_basic, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01);
EGCA_DER_OID(
    oid_ocsp_nonce, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02);

#define DER_ENUMERATED 0x0a

static size_t
hash_len(enum egca_ocsp_hash h)
{
	switch (h) {
	case EGCA_OCSP_HASH_SHA1:
		return 20;
	case EGCA_OCSP_HASH_SHA256:
	case EGCA_OCSP_HASH_SM3:
		return 32;
	case EGCA_OCSP_HASH_OTHER:
		break;
	}
	return 0;
}

static const struct egca_der_oid *
hash_oid(enum egca_ocsp_hash h)
{
	switch (h) {
	case EGCA_OCSP_HASH_SHA1:
		return &oid_sha1;
	case EGCA_OCSP_HASH_SHA256:
		return &oid_sha256;
	case EGCA_OCSP_HASH_SM3:
		return &oid_sm3;
	case EGCA_OCSP_HASH_OTHER:
		break;
	}
	return NULL;
}

enum egca_err
egca_pki_ocsp_hash(enum egca_ocsp_hash h, const uint8_t *data, size_t len,
    uint8_t *out, size_t *out_len)
{
	*out_len = hash_len(h);
	switch (h) {
	case EGCA_OCSP_HASH_SHA1:
		return egca_crypto_sha1(data, len, out);
	case EGCA_OCSP_HASH_SHA256:
		return egca_crypto_sha256(data, len, out);
	case EGCA_OCSP_HASH_SM3:
		return egca_crypto_sm3(data, len, out);
	case EGCA_OCSP_HASH_OTHER:
		break;
	}
	return egca_err_set(EGCA_ERR_INPUT, "OCSP: unsupported hash");
}

/* The subjectPublicKey BIT STRING value of a DER SPKI. */
static enum egca_err
spki_key(
    const uint8_t *spki, size_t spki_len, const uint8_t **key, size_t *key_len)
{
	struct egca_der_r r, s;
	struct egca_der_tlv alg, bits;
	unsigned unused;

	egca_der_r_init(&r, spki, spki_len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &s) ||
	    !egca_der_get(&s, DER_SEQUENCE, &alg) ||
	    !egca_der_get(&s, DER_BIT_STRING, &bits) || !egca_der_r_end(&s) ||
	    !egca_der_r_end(&r) ||
	    !egca_der_tlv_bits(&bits, &unused, key, key_len))
		return egca_err_set(EGCA_ERR_INPUT, "OCSP: malformed SPKI");
	return EGCA_OK;
}

enum egca_err
egca_pki_ocsp_issuer_hashes(enum egca_ocsp_hash h, const uint8_t *subject,
    size_t subject_len, const uint8_t *spki, size_t spki_len, uint8_t *name,
    uint8_t *key, size_t *len)
{
	const uint8_t *k;
	size_t k_len;
	enum egca_err e;

	if ((e = spki_key(spki, spki_len, &k, &k_len)) != EGCA_OK ||
	    (e = egca_pki_ocsp_hash(h, subject, subject_len, name, len)) !=
	        EGCA_OK)
		return e;
	return egca_pki_ocsp_hash(h, k, k_len, key, len);
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */

static enum egca_err
bad(const char *why)
{
	return egca_err_set(EGCA_ERR_INPUT, "OCSP request: %s", why);
}

/* AlgorithmIdentifier of the CertID; parameters absent or NULL. */
static int
parse_hash_alg(struct egca_der_r *r, enum egca_ocsp_hash *h)
{
	struct egca_der_r a;
	struct egca_der_tlv oid, par;

	if (!egca_der_enter(r, DER_SEQUENCE, &a) ||
	    !egca_der_get(&a, DER_OID, &oid))
		return 0;
	if (egca_der_peek(&a) >= 0) {
		/* Parameters: NULL for the known hashes; anything for
		 * others, which are answered "unknown". */
		if (!egca_der_get_any(&a, &par))
			return 0;
	} else {
		par.tag = DER_NULL;
		par.len = 0;
	}
	if (!egca_der_r_end(&a))
		return 0;
	*h = EGCA_OCSP_HASH_OTHER;
	if (par.tag != DER_NULL || par.len != 0)
		return 1;
	if (egca_der_oid_eq(&oid, &oid_sha1))
		*h = EGCA_OCSP_HASH_SHA1;
	else if (egca_der_oid_eq(&oid, &oid_sha256))
		*h = EGCA_OCSP_HASH_SHA256;
	else if (egca_der_oid_eq(&oid, &oid_sm3))
		*h = EGCA_OCSP_HASH_SM3;
	return 1;
}

static enum egca_err
parse_certid(struct egca_der_r *r, struct egca_ocsp_certid *id)
{
	struct egca_der_r c;
	struct egca_der_tlv whole, nh, kh, sn;
	int neg;

	memset(id, 0, sizeof(*id));
	if (egca_der_peek(r) != DER_SEQUENCE || !egca_der_get_any(r, &whole))
		return bad("RFC 6960 4.1.1: CertID is not a SEQUENCE");
	egca_der_r_init(&c, whole.val, whole.len);
	if (!parse_hash_alg(&c, &id->hash))
		return bad("RFC 6960 4.1.1: bad CertID hashAlgorithm");
	if (!egca_der_get(&c, DER_OCTET_STRING, &nh) ||
	    !egca_der_get(&c, DER_OCTET_STRING, &kh) ||
	    !egca_der_get(&c, DER_INTEGER, &sn) || !egca_der_r_end(&c))
		return bad("RFC 6960 4.1.1: malformed CertID");
	if (!egca_der_tlv_int_ok(&sn, &neg))
		return bad("RFC 6960 4.1.1: serialNumber is not a DER INTEGER");
	if (id->hash != EGCA_OCSP_HASH_OTHER &&
	    (nh.len != hash_len(id->hash) || kh.len != hash_len(id->hash)))
		return bad("RFC 6960 4.1.1: CertID hash of the wrong length");
	id->name_hash = nh.val;
	id->name_hash_len = nh.len;
	id->key_hash = kh.val;
	id->key_hash_len = kh.len;
	id->serial = sn.val;
	id->serial_len = sn.len;
	while (id->serial_len > 1 && id->serial[0] == 0) {
		id->serial++;
		id->serial_len--;
	}
	id->serial_negative = neg;
	id->raw = whole.raw;
	id->raw_len = whole.raw_len;
	return EGCA_OK;
}

/*
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension. Only the nonce is
 * understood; nonce may be NULL (per-request extensions: a nonce there
 * is not ours and is ignored unless critical).
 */
static enum egca_err
parse_exts(const struct egca_der_tlv *t, struct egca_ocsp_request *req)
{
	struct egca_der_r outer, seq, ext, inner;
	struct egca_der_tlv oid, crit, val, n;
	int critical, count = 0;

	egca_der_r_init(&outer, t->val, t->len);
	if (!egca_der_enter(&outer, DER_SEQUENCE, &seq) ||
	    !egca_der_r_end(&outer))
		return bad("RFC 5280 4.1: malformed Extensions");
	while (egca_der_peek(&seq) >= 0) {
		count++;
		critical = 0;
		if (!egca_der_enter(&seq, DER_SEQUENCE, &ext) ||
		    !egca_der_get(&ext, DER_OID, &oid))
			return bad("RFC 5280 4.1: malformed Extension");
		if (egca_der_get_opt(&ext, DER_BOOLEAN, &crit)) {
			if (!egca_der_tlv_bool(&crit, &critical) || !critical)
				return bad("X.690 11.5: DEFAULT FALSE encoded");
		}
		if (!egca_der_get(&ext, DER_OCTET_STRING, &val) ||
		    !egca_der_r_end(&ext))
			return bad("RFC 5280 4.1: malformed Extension");
		if (req != NULL && egca_der_oid_eq(&oid, &oid_ocsp_nonce)) {
			if (req->has_nonce)
				return bad("RFC 5280 4.2: two nonces");
			egca_der_r_init(&inner, val.val, val.len);
			if (!egca_der_get(&inner, DER_OCTET_STRING, &n) ||
			    !egca_der_r_end(&inner))
				return bad("RFC 8954 2.1: nonce is not an "
				           "OCTET STRING");
			if (n.len < 1 || n.len > EGCA_OCSP_MAX_NONCE)
				return bad("RFC 8954 2.1: nonce of 1 to 32 "
				           "octets");
			req->has_nonce = 1;
			req->nonce_ext = val.val;
			req->nonce_ext_len = val.len;
		} else if (critical) {
			return bad("RFC 6960 4.4: unknown critical extension");
		}
	}
	if (count == 0 || seq.err)
		return bad("RFC 5280 4.1: empty Extensions");
	return EGCA_OK;
}

enum egca_err
egca_pki_ocsp_request_parse(const uint8_t *der, size_t len,
    struct egca_ocsp_certid *ids, size_t max_ids, struct egca_ocsp_request *out)
{
	struct egca_der_r top, req, tbs, list, one;
	struct egca_der_tlv t, v;
	int64_t version;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	out->ids = ids;
	if (der == NULL || len == 0)
		return bad("empty");
	if (len > EGCA_OCSP_MAX_REQUEST)
		return bad("larger than 64 KiB");
	egca_der_r_init(&top, der, len);
	if (!egca_der_enter(&top, DER_SEQUENCE, &req) || !egca_der_r_end(&top))
		return bad("RFC 6960 4.1.1: not one DER SEQUENCE");
	if (!egca_der_enter(&req, DER_SEQUENCE, &tbs))
		return bad("RFC 6960 4.1.1: no TBSRequest");
	if (egca_der_get_opt(&req, DER_CTX_CONS(0), &t))
		out->is_signed = 1;
	if (!egca_der_r_end(&req))
		return bad("RFC 6960 4.1.1: trailing data in OCSPRequest");

	if (egca_der_get_opt(&tbs, DER_CTX_CONS(0), &t)) {
		struct egca_der_r vr;

		egca_der_r_init(&vr, t.val, t.len);
		if (!egca_der_get(&vr, DER_INTEGER, &v) ||
		    !egca_der_r_end(&vr) ||
		    !egca_der_tlv_small_int(&v, &version) || version != 0)
			return bad("RFC 6960 4.1.1: version must be v1");
	}
	/* requestorName [1]: a GeneralName, ignored. */
	(void)egca_der_get_opt(&tbs, DER_CTX_CONS(1), &t);
	if (!egca_der_enter(&tbs, DER_SEQUENCE, &list))
		return bad("RFC 6960 4.1.1: no requestList");
	while (egca_der_peek(&list) >= 0) {
		if (out->n_ids >= max_ids)
			return egca_err_set(EGCA_ERR_INPUT,
			    "OCSP request: more than %zu CertIDs", max_ids);
		if (!egca_der_enter(&list, DER_SEQUENCE, &one))
			return bad("RFC 6960 4.1.1: Request is not a SEQUENCE");
		if ((e = parse_certid(&one, &ids[out->n_ids])) != EGCA_OK)
			return e;
		if (egca_der_get_opt(&one, DER_CTX_CONS(0), &t) &&
		    (e = parse_exts(&t, NULL)) != EGCA_OK)
			return e;
		if (!egca_der_r_end(&one))
			return bad("RFC 6960 4.1.1: trailing data in Request");
		out->n_ids++;
	}
	if (list.err)
		return bad("RFC 6960 4.1.1: malformed requestList");
	if (out->n_ids == 0)
		return bad("RFC 6960 4.1.1: no CertID");
	if (egca_der_get_opt(&tbs, DER_CTX_CONS(2), &t) &&
	    (e = parse_exts(&t, out)) != EGCA_OK)
		return e;
	if (!egca_der_r_end(&tbs))
		return bad("RFC 6960 4.1.1: trailing data in TBSRequest");
	return EGCA_OK;
}

/* ------------------------------------------------------------------ */
/* Responses                                                            */

/*
 * GeneralizedTime YYYYMMDDHHMMSSZ (RFC 6960 4.2.2.1, RFC 5280 4.1.2.5.2),
 * by arithmetic (days to civil date, proleptic Gregorian) rather than
 * gmtime_r (glibc's time zone lock) and strftime, three times a response.
 */
static void
put_gentime(struct egca_der_w *w, int64_t t)
{
	int64_t days, secs, z, era, doe, yoe, doy, mp, y, m, d;
	unsigned v[6], i;
	char s[15];

	if (t < 0 || t > INT64_C(253402300799)) {
		egca_der_w_fail(w, EGCA_ERR_INPUT, "OCSP: time out of range");
		return;
	}
	days = t / 86400;
	secs = t % 86400;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	s[0] = (char)('0' + y / 1000);
	s[1] = (char)('0' + y / 100 % 10);
	v[0] = (unsigned)(y % 100);
	v[1] = (unsigned)m;
	v[2] = (unsigned)d;
	v[3] = (unsigned)(secs / 3600);
	v[4] = (unsigned)(secs / 60 % 60);
	v[5] = (unsigned)(secs % 60);
	for (i = 0; i < 6; i++) {
		s[2 + 2 * i] = (char)('0' + v[i] / 10);
		s[3 + 2 * i] = (char)('0' + v[i] % 10);
	}
	s[14] = 'Z';
	egca_der_put_tlv(w, DER_GENERALIZEDTIME, s, 15);
}

/*
 * The byKey ResponderID: SHA-1 of the responder key, remembered per
 * thread for the last key seen (compared by value, so a signer freed
 * and another at the same address is not mistaken for it).
 */
#define KH_CACHE_MAX 1024
static _Thread_local struct {
	size_t len;
	uint8_t key[KH_CACHE_MAX];
	uint8_t kh[20];
} kh_cache;

static enum egca_err
responder_key_hash(const uint8_t *key, size_t key_len, uint8_t kh[20])
{
	enum egca_err e;

	if (key_len != 0 && key_len == kh_cache.len &&
	    memcmp(key, kh_cache.key, key_len) == 0) {
		memcpy(kh, kh_cache.kh, 20);
		return EGCA_OK;
	}
	if ((e = egca_crypto_sha1(key, key_len, kh)) != EGCA_OK)
		return e;
	if (key_len != 0 && key_len <= KH_CACHE_MAX) {
		memcpy(kh_cache.key, key, key_len);
		memcpy(kh_cache.kh, kh, 20);
		kh_cache.len = key_len;
	}
	return EGCA_OK;
}

static void
put_certid(struct egca_der_w *w, const struct egca_ocsp_single *s)
{
	const struct egca_der_oid *oid;

	if (s->certid_raw != NULL) {
		egca_der_put_raw(w, s->certid_raw, s->certid_raw_len);
		return;
	}
	if ((oid = hash_oid(s->hash)) == NULL) {
		egca_der_w_fail(w, EGCA_ERR_INPUT, "OCSP: CertID hash");
		return;
	}
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_put_oid(w, oid);
	egca_der_put_null(w);
	egca_der_end(w);
	egca_der_put_octet(w, s->name_hash, s->name_hash_len);
	egca_der_put_octet(w, s->key_hash, s->key_hash_len);
	egca_der_put_uint(w, s->serial, s->serial_len);
	egca_der_end(w);
}

static void
put_single(struct egca_der_w *w, const struct egca_ocsp_single *s)
{
	uint8_t reason;

	egca_der_begin(w, DER_SEQUENCE);
	put_certid(w, s);
	switch (s->status) {
	case EGCA_OCSP_GOOD:
		egca_der_put_tlv(w, DER_CTX(0), NULL, 0);
		break;
	case EGCA_OCSP_REVOKED:
		egca_der_begin(w, DER_CTX_CONS(1));
		put_gentime(w, s->revocation_time);
		if (s->reason >= 0 && s->reason <= 10 && s->reason != 7) {
			reason = (uint8_t)s->reason;
			egca_der_begin(w, DER_CTX_CONS(0));
			egca_der_put_tlv(w, DER_ENUMERATED, &reason, 1);
			egca_der_end(w);
		}
		egca_der_end(w);
		break;
	case EGCA_OCSP_UNKNOWN:
		egca_der_put_tlv(w, DER_CTX(2), NULL, 0);
		break;
	}
	put_gentime(w, s->this_update);
	if (s->next_update != 0) {
		egca_der_begin(w, DER_CTX_CONS(0));
		put_gentime(w, s->next_update);
		egca_der_end(w);
	}
	egca_der_end(w);
}

static enum egca_err
build_tbs(const struct egca_ocsp_response_tmpl *t, struct egca_buf *out)
{
	struct egca_der_w w;
	const uint8_t *key;
	size_t key_len, i;
	uint8_t kh[20];
	enum egca_err e;

	/* byKey: SHA-1 of the subjectPublicKey BIT STRING value. */
	if ((e = spki_key(t->responder_spki, t->responder_spki_len, &key,
	         &key_len)) != EGCA_OK ||
	    (e = responder_key_hash(key, key_len, kh)) != EGCA_OK)
		return e;
	if (t->n_singles == 0)
		return egca_err_set(EGCA_ERR_INPUT, "OCSP: no response");
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_begin(&w, DER_CTX_CONS(2));
	egca_der_put_octet(&w, kh, sizeof(kh));
	egca_der_end(&w);
	put_gentime(&w, t->produced_at);
	egca_der_begin(&w, DER_SEQUENCE);
	for (i = 0; i < t->n_singles; i++)
		put_single(&w, &t->singles[i]);
	egca_der_end(&w);
	if (t->nonce_ext != NULL) {
		egca_der_begin(&w, DER_CTX_CONS(1));
		egca_der_begin(&w, DER_SEQUENCE);
		egca_der_begin(&w, DER_SEQUENCE);
		egca_der_put_oid(&w, &oid_ocsp_nonce);
		egca_der_put_octet(&w, t->nonce_ext, t->nonce_ext_len);
		egca_der_end(&w);
		egca_der_end(&w);
		egca_der_end(&w);
	}
	egca_der_end(&w);
	return egca_der_w_finish(&w);
}

enum egca_err
egca_pki_ocsp_response_sign(const struct egca_ocsp_response_tmpl *t,
    struct egca_signer *signer, struct egca_buf *out)
{
	struct egca_buf tbs;
	struct egca_der_w w;
	uint8_t sig[1024];
	size_t sig_len = sizeof(sig), alg_len, start = out->len;
	const uint8_t *alg;
	enum egca_err e;

	egca_buf_init(&tbs, 1 << 20);
	if ((e = build_tbs(t, &tbs)) != EGCA_OK)
		goto out;
	if (egca_signer_sig_max(signer) > sizeof(sig)) {
		e = egca_err_set(
		    EGCA_ERR_INTERNAL, "OCSP: signature too large");
		goto out;
	}
	if ((e = egca_signer_sign(signer, EGCA_SIGN_OCSP, tbs.data, tbs.len,
	         sig, &sig_len)) != EGCA_OK)
		goto out;
	if ((alg = egca_crypto_sig_alg_der(
	         egca_signer_sig_alg(signer), &alg_len)) == NULL) {
		e = egca_err_set(
		    EGCA_ERR_INTERNAL, "OCSP: signature algorithm");
		goto out;
	}
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE); /* OCSPResponse */
	egca_der_put_tlv(&w, DER_ENUMERATED, "\0", 1);
	egca_der_begin(&w, DER_CTX_CONS(0));
	egca_der_begin(&w, DER_SEQUENCE); /* ResponseBytes */
	egca_der_put_oid(&w, &oid_ocsp_basic);
	egca_der_begin(&w, DER_OCTET_STRING);
	egca_der_begin(&w, DER_SEQUENCE); /* BasicOCSPResponse */
	egca_der_put_raw(&w, tbs.data, tbs.len);
	egca_der_put_raw(&w, alg, alg_len);
	egca_der_put_bitstring(&w, 0, sig, sig_len);
	if (t->signer_cert != NULL) {
		egca_der_begin(&w, DER_CTX_CONS(0));
		egca_der_begin(&w, DER_SEQUENCE);
		egca_der_put_raw(&w, t->signer_cert, t->signer_cert_len);
		egca_der_end(&w);
		egca_der_end(&w);
	}
	egca_der_end(&w);
	egca_der_end(&w);
	egca_der_end(&w);
	egca_der_end(&w);
	egca_der_end(&w);
	if ((e = egca_der_w_finish(&w)) != EGCA_OK)
		out->len = start;
out:
	egca_buf_free(&tbs);
	return e;
}

enum egca_err
egca_pki_ocsp_response_error(int status, struct egca_buf *out)
{
	uint8_t v[] = {0x30, 0x03, DER_ENUMERATED, 0x01, (uint8_t)status};

	if (status < 1 || status > 6 || status == 4)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "OCSP: status %d is no error", status);
	return egca_buf_append(out, v, sizeof(v));
}

/* ------------------------------------------------------------------ */
/* Response decoding (tests, CLI)                                       */

static enum egca_err
rbad(const char *why)
{
	return egca_err_set(EGCA_ERR_INPUT, "OCSP response: %s", why);
}

static int
get_gentime(struct egca_der_r *r, int64_t *v)
{
	struct egca_der_tlv t;

	return egca_der_get(r, DER_GENERALIZEDTIME, &t) &&
	    egca_der_tlv_time(&t, v);
}

static enum egca_err
parse_single(struct egca_der_r *list, struct egca_ocsp_response_info *out)
{
	struct egca_der_r s, c, x;
	struct egca_der_tlv t, rt;
	struct egca_ocsp_certid id;
	size_t i = out->n_singles;
	int64_t v;
	enum egca_err e;

	if (i >= EGCA_OCSP_INFO_MAX_SINGLES)
		return rbad("too many SingleResponses");
	if (!egca_der_enter(list, DER_SEQUENCE, &s))
		return rbad("SingleResponse");
	if ((e = parse_certid(&s, &id)) != EGCA_OK)
		return e;
	out->singles[i].serial = id.serial;
	out->singles[i].serial_len = id.serial_len;
	out->singles[i].reason = -1;
	if (!egca_der_get_any(&s, &t))
		return rbad("certStatus");
	if (t.tag == DER_CTX(0) && t.len == 0) {
		out->singles[i].status = EGCA_OCSP_GOOD;
	} else if (t.tag == DER_CTX(2) && t.len == 0) {
		out->singles[i].status = EGCA_OCSP_UNKNOWN;
	} else if (t.tag == DER_CTX_CONS(1)) {
		out->singles[i].status = EGCA_OCSP_REVOKED;
		egca_der_r_init(&c, t.val, t.len);
		if (!get_gentime(&c, &out->singles[i].revocation_time))
			return rbad("revocationTime");
		if (egca_der_get_opt(&c, DER_CTX_CONS(0), &rt)) {
			egca_der_r_init(&x, rt.val, rt.len);
			if (!egca_der_get(&x, DER_ENUMERATED, &rt) ||
			    !egca_der_r_end(&x) || rt.len != 1)
				return rbad("revocationReason");
			out->singles[i].reason = rt.val[0];
		}
		if (!egca_der_r_end(&c))
			return rbad("RevokedInfo");
	} else {
		return rbad("certStatus");
	}
	if (!get_gentime(&s, &out->singles[i].this_update))
		return rbad("thisUpdate");
	if (egca_der_get_opt(&s, DER_CTX_CONS(0), &t)) {
		egca_der_r_init(&x, t.val, t.len);
		if (!get_gentime(&x, &v) || !egca_der_r_end(&x))
			return rbad("nextUpdate");
		out->singles[i].next_update = v;
	}
	(void)egca_der_get_opt(&s, DER_CTX_CONS(1), &t);
	if (!egca_der_r_end(&s))
		return rbad("trailing data in SingleResponse");
	out->n_singles++;
	return EGCA_OK;
}

static enum egca_err
parse_tbs(const uint8_t *p, size_t len, struct egca_ocsp_response_info *out)
{
	struct egca_der_r r, d, x, list;
	struct egca_der_tlv t, kh;
	struct egca_ocsp_request nreq;
	enum egca_err e;

	egca_der_r_init(&r, p, len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &d) || !egca_der_r_end(&r))
		return rbad("ResponseData");
	(void)egca_der_get_opt(&d, DER_CTX_CONS(0), &t);
	if (!egca_der_get_any(&d, &t))
		return rbad("responderID");
	if (t.tag == DER_CTX_CONS(2)) {
		egca_der_r_init(&x, t.val, t.len);
		if (!egca_der_get(&x, DER_OCTET_STRING, &kh) ||
		    !egca_der_r_end(&x))
			return rbad("responderID byKey");
		out->key_hash = kh.val;
		out->key_hash_len = kh.len;
	} else if (t.tag != DER_CTX_CONS(1)) {
		return rbad("responderID");
	}
	if (!get_gentime(&d, &out->produced_at))
		return rbad("producedAt");
	if (!egca_der_enter(&d, DER_SEQUENCE, &list))
		return rbad("responses");
	while (egca_der_peek(&list) >= 0)
		if ((e = parse_single(&list, out)) != EGCA_OK)
			return e;
	if (list.err || out->n_singles == 0)
		return rbad("responses");
	if (egca_der_get_opt(&d, DER_CTX_CONS(1), &t)) {
		memset(&nreq, 0, sizeof(nreq));
		if ((e = parse_exts(&t, &nreq)) != EGCA_OK)
			return e;
		out->nonce_ext = nreq.nonce_ext;
		out->nonce_ext_len = nreq.nonce_ext_len;
	}
	if (!egca_der_r_end(&d))
		return rbad("trailing data in ResponseData");
	return EGCA_OK;
}

enum egca_err
egca_pki_ocsp_response_parse(
    const uint8_t *der, size_t len, struct egca_ocsp_response_info *out)
{
	struct egca_der_r r, o, rb, bs, basic, certs, list;
	struct egca_der_tlv st, oid, tbs, alg, sig, c;
	unsigned unused;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	egca_der_r_init(&r, der, len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &o) || !egca_der_r_end(&r))
		return rbad("not one DER SEQUENCE");
	if (!egca_der_get(&o, DER_ENUMERATED, &st) || st.len != 1 ||
	    st.val[0] > 6)
		return rbad("responseStatus");
	out->status = st.val[0];
	if (out->status != 0)
		return egca_der_r_end(&o) ? EGCA_OK : rbad("trailing data");
	if (!egca_der_enter(&o, DER_CTX_CONS(0), &rb) || !egca_der_r_end(&o) ||
	    !egca_der_enter(&rb, DER_SEQUENCE, &bs) || !egca_der_r_end(&rb) ||
	    !egca_der_get(&bs, DER_OID, &oid) ||
	    !egca_der_oid_eq(&oid, &oid_ocsp_basic) ||
	    !egca_der_enter(&bs, DER_OCTET_STRING, &basic) ||
	    !egca_der_r_end(&bs))
		return rbad("responseBytes is not id-pkix-ocsp-basic");
	{
		struct egca_der_r b;

		if (!egca_der_enter(&basic, DER_SEQUENCE, &b) ||
		    !egca_der_r_end(&basic))
			return rbad("BasicOCSPResponse");
		if (!egca_der_get(&b, DER_SEQUENCE, &tbs) ||
		    !egca_der_get(&b, DER_SEQUENCE, &alg) ||
		    !egca_der_get(&b, DER_BIT_STRING, &sig))
			return rbad("BasicOCSPResponse");
		if (egca_der_peek(&b) == DER_CTX_CONS(0)) {
			if (!egca_der_enter(&b, DER_CTX_CONS(0), &certs) ||
			    !egca_der_enter(&certs, DER_SEQUENCE, &list) ||
			    !egca_der_r_end(&certs))
				return rbad("certs");
			if (egca_der_peek(&list) >= 0) {
				if (!egca_der_get(&list, DER_SEQUENCE, &c))
					return rbad("certs");
				out->cert = c.raw;
				out->cert_len = c.raw_len;
			}
		}
		if (!egca_der_r_end(&b))
			return rbad("trailing data in BasicOCSPResponse");
	}
	if ((e = egca_crypto_sig_alg_parse(
	         alg.raw, alg.raw_len, &out->sig_alg)) != EGCA_OK)
		return e;
	if (!egca_der_tlv_bits(&sig, &unused, &out->sig, &out->sig_len) ||
	    unused != 0)
		return rbad("signature");
	out->tbs = tbs.raw;
	out->tbs_len = tbs.raw_len;
	return parse_tbs(tbs.raw, tbs.raw_len, out);
}

enum egca_err
egca_pki_ocsp_response_verify(const uint8_t *der, size_t len, EVP_PKEY *pub)
{
	struct egca_ocsp_response_info info;
	enum egca_err e;

	if ((e = egca_pki_ocsp_response_parse(der, len, &info)) != EGCA_OK)
		return e;
	if (info.status != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "OCSP response: status %d carries no signature",
		    info.status);
	return egca_crypto_verify_tbs(
	    pub, info.sig_alg, info.tbs, info.tbs_len, info.sig, info.sig_len);
}
