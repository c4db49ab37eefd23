/*
 * GM/T 0014 messages: encode, sign, parse and verify CARequest and
 * KMRespond with every item kind; the parser's refusals (trailing data,
 * truncation, wrong tags, wrong algorithms with errNO "unsupported",
 * version, empty lists, bad INTEGERs); the EntName of a certificate.
 * With EGCA_KM_CORPUS=DIR set, the messages made here are written there
 * as the fuzz seed corpus (tests/fuzz/corpus/km_msg).
 */
#include "km_fixture.h"
#include "pki/der.h"

static struct fx_ca ca;
static EVP_PKEY *holder;
static uint8_t *holder_spki;
static size_t holder_spki_len;

static void
corpus(const char *name, const uint8_t *p, size_t len)
{
	const char *dir = getenv("EGCA_KM_CORPUS");
	char path[2048];

	if (dir == NULL || *dir == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(egca_file_write_atomic(path, p, len, 0644), EGCA_OK);
}

static int
setup(void **state)
{
	(void)state;
	fx_ca_new(&ca, "C=CN,O=Test,CN=Test SM2 CA");
	if (egca_crypto_key_generate(EGCA_KEY_SM2, 0, &holder) != EGCA_OK ||
	    egca_crypto_spki_encode(holder, &holder_spki, &holder_spki_len) !=
	        EGCA_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fx_ca_free(&ca);
	EVP_PKEY_free(holder);
	free(holder_spki);
	return 0;
}

static const uint8_t cert_no1[] = {0x0a, 0x1b, 0x2c};
static const uint8_t cert_no2[] = {0x80, 0x01}; /* needs a 0x00 in DER */
static const uint8_t task[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01};
static const uint8_t name_der[] = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06,
    0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 't', 'e', 's', 't'};

/* A request with one item of each kind. */
static void
request_make(struct egca_km_request *r)
{
	memset(r, 0, sizeof(*r));
	r->version = 1;
	assert_int_equal(
	    egca_km_entname_from_cert(ca.cert, ca.cert_len, &r->ca), EGCA_OK);
	r->items[0].kind = EGCA_KM_APPLY;
	r->items[0].cert_no = cert_no1;
	r->items[0].cert_no_len = sizeof(cert_no1);
	r->items[0].user_spki = holder_spki;
	r->items[0].user_spki_len = holder_spki_len;
	r->items[0].not_before = 1767225600; /* 2026-01-01 */
	r->items[0].not_after = 1798761600;
	r->items[0].user_name = name_der;
	r->items[0].user_name_len = sizeof(name_der);
	r->items[0].ds_code = (const uint8_t *)"330106";
	r->items[0].ds_code_len = 6;
	r->items[1].kind = EGCA_KM_RESTORE;
	r->items[1].cert_no = cert_no2;
	r->items[1].cert_no_len = sizeof(cert_no2);
	r->items[1].user_spki = holder_spki;
	r->items[1].user_spki_len = holder_spki_len;
	r->items[2].kind = EGCA_KM_REVOKE;
	r->items[2].cert_no = cert_no1;
	r->items[2].cert_no_len = sizeof(cert_no1);
	r->n_items = 3;
	r->request_time = 1779112960;
	r->task = task;
	r->task_len = sizeof(task);
}

static void
signed_request(struct egca_buf *b)
{
	struct egca_km_request *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	request_make(r);
	egca_buf_init(b, EGCA_KM_MSG_MAX);
	assert_int_equal(egca_km_request_sign(r, ca.signer, b), EGCA_OK);
	free(r);
}

static void
test_request_round_trip(void **state)
{
	struct egca_km_request *r = calloc(1, sizeof(*r));
	struct egca_km_entname en;
	struct egca_buf b;
	EVP_PKEY *pub = egca_signer_get0_pubkey(ca.signer);

	(void)state;
	assert_non_null(r);
	signed_request(&b);
	corpus("request-3-items.der", b.data, b.len);
	assert_int_equal(egca_km_request_parse(b.data, b.len, r), EGCA_OK);
	assert_int_equal(r->version, 1);
	assert_int_equal(r->n_items, 3);
	assert_int_equal(r->request_time, 1779112960);
	assert_int_equal(r->task_len, sizeof(task));
	assert_memory_equal(r->task, task, sizeof(task));
	assert_int_equal(
	    egca_km_entname_from_cert(ca.cert, ca.cert_len, &en), EGCA_OK);
	assert_int_equal(r->ca.name_len, en.name_len);
	assert_memory_equal(r->ca.name, en.name, en.name_len);
	assert_memory_equal(r->ca.key_hash, en.key_hash, 32);
	assert_int_equal(r->items[0].kind, EGCA_KM_APPLY);
	assert_int_equal(r->items[0].cert_no_len, sizeof(cert_no1));
	assert_memory_equal(r->items[0].cert_no, cert_no1, sizeof(cert_no1));
	assert_int_equal(r->items[0].user_spki_len, holder_spki_len);
	assert_memory_equal(
	    r->items[0].user_spki, holder_spki, holder_spki_len);
	assert_int_equal(r->items[0].not_after, 1798761600);
	assert_int_equal(r->items[0].user_name_len, sizeof(name_der));
	assert_int_equal(r->items[0].ds_code_len, 6);
	assert_null(r->items[0].extend_info);
	assert_int_equal(r->items[1].kind, EGCA_KM_RESTORE);
	assert_int_equal(r->items[1].cert_no_len, sizeof(cert_no2));
	assert_memory_equal(r->items[1].cert_no, cert_no2, sizeof(cert_no2));
	assert_int_equal(r->items[2].kind, EGCA_KM_REVOKE);
	/* The signature covers exactly the KSRequest DER. */
	assert_int_equal(egca_crypto_verify_tbs(pub, EGCA_SIG_SM2_SM3, r->tbs,
	                     r->tbs_len, r->sig, r->sig_len),
	    EGCA_OK);
	assert_ptr_equal(
	    r->tbs, b.data + (b.data[1] & 0x80 ? 2 + (b.data[1] & 0x7f) : 2));
	egca_buf_free(&b);
	free(r);
}

/* Parses b with octet i xor x: the parser's answer. */
static enum egca_err
parse_flipped(const struct egca_buf *b, size_t i, uint8_t x)
{
	struct egca_km_request *r = calloc(1, sizeof(*r));
	uint8_t *c = malloc(b->len);
	enum egca_err e;

	assert_non_null(r);
	assert_non_null(c);
	memcpy(c, b->data, b->len);
	c[i] ^= x;
	e = egca_km_request_parse(c, b->len, r);
	free(c);
	free(r);
	return e;
}

static void
test_request_refused(void **state)
{
	struct egca_km_request *r = calloc(1, sizeof(*r));
	struct egca_buf b;
	uint8_t *c;
	size_t n;

	(void)state;
	assert_non_null(r);
	signed_request(&b);
	/* Trailing data and every truncation. */
	c = malloc(b.len + 1);
	memcpy(c, b.data, b.len);
	c[b.len] = 0;
	assert_int_equal(
	    egca_km_request_parse(c, b.len + 1, r), EGCA_ERR_INPUT);
	corpus("bad-trailing.der", c, b.len + 1);
	for (n = 0; n < b.len; n++)
		assert_int_equal(
		    egca_km_request_parse(c, n, r), EGCA_ERR_INPUT);
	corpus("bad-truncated.der", c, b.len / 2);
	free(c);
	/* The outer tag, a tag inside. */
	assert_int_equal(parse_flipped(&b, 0, 0x01), EGCA_ERR_INPUT);
	assert_int_equal(parse_flipped(&b, 4, 0x20), EGCA_ERR_INPUT);
	/* Too long. */
	c = calloc(1, EGCA_KM_MSG_MAX + 1);
	assert_int_equal(
	    egca_km_request_parse(c, EGCA_KM_MSG_MAX + 1, r), EGCA_ERR_INPUT);
	free(c);
	egca_buf_free(&b);
	free(r);
}

/* A request whose TBS had old replaced by new (same length), signed. */
static void
patched(const uint8_t *old, const uint8_t *new, size_t n, struct egca_buf *out,
    int *km_errno, enum egca_err *e)
{
	struct egca_km_request *r = calloc(1, sizeof(*r));
	struct egca_der_r list;
	struct egca_buf b, tbs;
	struct egca_der_w w;
	uint8_t sig[128], *p;
	size_t sig_len = sizeof(sig), alg_len;
	const uint8_t *alg;

	assert_non_null(r);
	signed_request(&b);
	assert_int_equal(egca_km_request_parse(b.data, b.len, r), EGCA_OK);
	egca_buf_init(&tbs, EGCA_KM_MSG_MAX);
	assert_int_equal(egca_buf_append(&tbs, r->tbs, r->tbs_len), EGCA_OK);
	p = memmem(tbs.data, tbs.len, old, n);
	assert_non_null(p);
	memcpy(p, new, n);
	assert_int_equal(egca_signer_sign(ca.signer, EGCA_SIGN_CERT, tbs.data,
	                     tbs.len, sig, &sig_len),
	    EGCA_OK);
	alg = egca_crypto_sig_alg_der(EGCA_SIG_SM2_SM3, &alg_len);
	egca_buf_init(out, EGCA_KM_MSG_MAX);
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_raw(&w, tbs.data, tbs.len);
	egca_der_put_raw(&w, alg, alg_len);
	egca_der_put_octet(&w, sig, sig_len);
	egca_der_end(&w);
	assert_int_equal(egca_der_w_finish(&w), EGCA_OK);
	*km_errno = 0;
	*e = km_request_parse_shell(out->data, out->len, r, &list, km_errno);
	if (*e == EGCA_OK)
		*e = km_request_parse_items(&list, r, km_errno);
	egca_buf_free(&tbs);
	egca_buf_free(&b);
	free(r);
}

static void
test_request_values(void **state)
{
	/* appKeyLen 256 -> 255: a signed, well-formed but unsupported item. */
	static const uint8_t len256[] = {0x02, 0x02, 0x01, 0x00};
	static const uint8_t len255[] = {0x02, 0x02, 0x00, 0xff};
	/* SM4-ECB -> SM4-CBC (1.2.156.10197.1.104.2) */
	static const uint8_t ecb[] = {0x55, 0x01, 0x68, 0x01};
	static const uint8_t cbc[] = {0x55, 0x01, 0x68, 0x02};
	/* dsCode "330106" with a control character */
	static const uint8_t ds[] = {'3', '3', '0', '1', '0', '6'};
	static const uint8_t ds_bad[] = {'3', '3', '0', '1', '0', 0x07};
	/* userCertNO 0a1b2c made negative */
	static const uint8_t no[] = {0x02, 0x03, 0x0a, 0x1b, 0x2c};
	static const uint8_t no_neg[] = {0x02, 0x03, 0x8a, 0x1b, 0x2c};
	/* version 1 -> 2 (first element of KSRequest) */
	static const uint8_t v1[] = {0x02, 0x01, 0x01, 0x30};
	static const uint8_t v2[] = {0x02, 0x01, 0x02, 0x30};
	struct egca_km_request *r = calloc(1, sizeof(*r));
	struct egca_buf b;
	int n;
	enum egca_err e;

	(void)state;
	patched(len256, len255, sizeof(len256), &b, &n, &e);
	assert_int_equal(e, EGCA_ERR_INPUT);
	assert_int_equal(n, EGCA_KM_E_UNSUPPORTED);
	assert_non_null(strstr(egca_err_detail(), "appKeyLen"));
	corpus("bad-keylen.der", b.data, b.len);
	egca_buf_free(&b);
	patched(ecb, cbc, sizeof(ecb), &b, &n, &e);
	assert_int_equal(e, EGCA_ERR_INPUT);
	assert_int_equal(n, EGCA_KM_E_UNSUPPORTED);
	assert_non_null(strstr(egca_err_detail(), "retSymAlg"));
	egca_buf_free(&b);
	patched(ds, ds_bad, sizeof(ds), &b, &n, &e);
	assert_int_equal(e, EGCA_ERR_INPUT);
	assert_int_equal(n, EGCA_KM_E_BAD_REQUEST);
	assert_non_null(strstr(egca_err_detail(), "dsCode"));
	egca_buf_free(&b);
	patched(no, no_neg, sizeof(no), &b, &n, &e);
	assert_int_equal(e, EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "userCertNO"));
	corpus("bad-negative-certno.der", b.data, b.len);
	egca_buf_free(&b);
	/* Version 2 passes the shell (the KM answers "unsupported") but
	 * not the public parser. */
	patched(v1, v2, sizeof(v1), &b, &n, &e);
	assert_int_equal(e, EGCA_OK);
	assert_int_equal(
	    egca_km_request_parse(b.data, b.len, r), EGCA_ERR_INPUT);
	egca_buf_free(&b);
	free(r);
}

static void
test_response_round_trip(void **state)
{
	struct egca_km_response *a = calloc(1, sizeof(*a));
	struct egca_km_response *p = calloc(1, sizeof(*p));
	struct egca_buf b;
	EVP_PKEY *enc = NULL;
	uint8_t *env = NULL, *enc_spki = NULL;
	size_t env_len, enc_spki_len;
	static const char desc[] = "KM is sealed";

	(void)state;
	assert_non_null(a);
	assert_non_null(p);
	assert_int_equal(
	    egca_crypto_key_generate(EGCA_KEY_SM2, 0, &enc), EGCA_OK);
	assert_int_equal(
	    egca_crypto_spki_encode(enc, &enc_spki, &enc_spki_len), EGCA_OK);
	assert_int_equal(
	    egca_envelope_seal(holder, enc, &env, &env_len), EGCA_OK);
	a->version = 1;
	assert_int_equal(
	    egca_km_entname_from_cert(ca.cert, ca.cert_len, &a->km), EGCA_OK);
	a->items[0].kind = EGCA_KM_RESP_APPLY;
	a->items[0].cert_no = cert_no1;
	a->items[0].cert_no_len = sizeof(cert_no1);
	a->items[0].pub_spki = enc_spki;
	a->items[0].pub_spki_len = enc_spki_len;
	a->items[0].envelope = env;
	a->items[0].envelope_len = env_len;
	a->items[1] = a->items[0];
	a->items[1].kind = EGCA_KM_RESP_RESTORE;
	a->items[2].kind = EGCA_KM_RESP_REVOKE;
	a->items[2].cert_no = cert_no2;
	a->items[2].cert_no_len = sizeof(cert_no2);
	a->n_items = 3;
	a->respond_time = 1779112961;
	a->task = task;
	a->task_len = sizeof(task);
	egca_buf_init(&b, EGCA_KM_MSG_MAX);
	assert_int_equal(egca_km_response_sign(a, ca.signer, &b), EGCA_OK);
	corpus("response-3-items.der", b.data, b.len);
	assert_int_equal(egca_km_response_parse(b.data, b.len, p), EGCA_OK);
	assert_int_equal(p->n_items, 3);
	assert_int_equal(p->items[0].kind, EGCA_KM_RESP_APPLY);
	assert_int_equal(p->items[0].envelope_len, env_len);
	assert_memory_equal(p->items[0].envelope, env, env_len);
	assert_memory_equal(p->items[1].pub_spki, enc_spki, enc_spki_len);
	assert_int_equal(p->items[2].kind, EGCA_KM_RESP_REVOKE);
	assert_int_equal(p->respond_time, 1779112961);
	assert_int_equal(
	    egca_crypto_verify_tbs(egca_signer_get0_pubkey(ca.signer),
	        EGCA_SIG_SM2_SM3, p->tbs, p->tbs_len, p->sig, p->sig_len),
	    EGCA_OK);
	/* An error answer. */
	memset(a->items, 0, sizeof(a->items));
	a->items[0].kind = EGCA_KM_RESP_ERROR;
	a->items[0].err_no = EGCA_KM_E_SEALED;
	a->items[0].err_desc = (const uint8_t *)desc;
	a->items[0].err_desc_len = sizeof(desc) - 1;
	a->n_items = 1;
	egca_buf_reset(&b);
	assert_int_equal(egca_km_response_sign(a, ca.signer, &b), EGCA_OK);
	corpus("response-error.der", b.data, b.len);
	assert_int_equal(egca_km_response_parse(b.data, b.len, p), EGCA_OK);
	assert_int_equal(p->items[0].kind, EGCA_KM_RESP_ERROR);
	assert_int_equal(p->items[0].err_no, EGCA_KM_E_SEALED);
	assert_int_equal(p->items[0].err_desc_len, sizeof(desc) - 1);
	/* A response is not a request. */
	{
		struct egca_km_request *q = calloc(1, sizeof(*q));

		assert_non_null(q);
		assert_int_equal(
		    egca_km_request_parse(b.data, b.len, q), EGCA_ERR_INPUT);
		free(q);
	}
	egca_buf_free(&b);
	free(env);
	free(enc_spki);
	EVP_PKEY_free(enc);
	free(a);
	free(p);
}

static void
test_entname(void **state)
{
	struct egca_km_entname en;
	struct egca_cert_info info;
	uint8_t h[32];

	(void)state;
	memset(&info, 0, sizeof(info));
	assert_int_equal(
	    egca_km_entname_from_cert(ca.cert, ca.cert_len, &en), EGCA_OK);
	assert_int_equal(
	    egca_pki_cert_info(ca.cert, ca.cert_len, &info), EGCA_OK);
	assert_int_equal(en.name_len, info.subject_der_len);
	assert_memory_equal(en.name, info.subject_der, en.name_len);
	assert_int_equal(en.serial_len, info.serial_len);
	assert_int_equal(
	    km_spki_key_hash(info.spki_der, info.spki_der_len, h), EGCA_OK);
	assert_memory_equal(en.key_hash, h, 32);
	/* The bits hashed are 04||x||y (65 octets), as OCSP's key hash. */
	assert_int_equal(
	    egca_crypto_sm3(info.spki_der + info.spki_der_len - 65, 65, h),
	    EGCA_OK);
	assert_memory_equal(en.key_hash, h, 32);
	egca_pki_cert_info_free(&info);
	assert_int_equal(
	    egca_km_entname_from_cert(ca.cert, ca.cert_len - 1, &en),
	    EGCA_ERR_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_request_refused),
	    cmocka_unit_test(test_request_values),
	    cmocka_unit_test(test_response_round_trip),
	    cmocka_unit_test(test_entname),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
