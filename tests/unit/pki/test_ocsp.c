/*
 * Unit tests for src/pki/ocsp.c: requests made by OpenSSL parsed by
 * egca, responses made by egca parsed by OpenSSL (d2i_OCSP_RESPONSE,
 * OCSP_resp_find_status) and verified with egca's helper; negative
 * cases: garbage, every truncation, trailing bytes, too many CertIDs,
 * unknown hash algorithm, bad nonces, bad versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "egca/file.h"
#include "egca/pki.h"

#define MAXIDS 20

static X509 *
load_cert(const char *name)
{
	char path[1024];
	X509 *x;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/pki/%s",
	    getenv("EGCA_SOURCE_DIR") ? getenv("EGCA_SOURCE_DIR")
	                              : EGCA_SOURCE_DIR,
	    name);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* An OpenSSL-made request for n copies of leaf's CertID. */
static uint8_t *
make_req(const EVP_MD *md, size_t n, int nonce_len, size_t *len)
{
	X509 *issuer = load_cert("sm2-sub.pem"),
	     *leaf = load_cert("sm2-leaf.pem");
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	size_t i;
	int l;

	for (i = 0; i < n; i++) {
		OCSP_CERTID *id = OCSP_cert_to_id(md, leaf, issuer);

		assert_non_null(id);
		assert_non_null(OCSP_request_add0_id(req, id));
	}
	if (nonce_len > 0)
		assert_int_equal(
		    OCSP_request_add1_nonce(req, NULL, nonce_len), 1);
	l = i2d_OCSP_REQUEST(req, &der);
	assert_true(l > 0);
	*len = (size_t)l;
	OCSP_REQUEST_free(req);
	X509_free(issuer);
	X509_free(leaf);
	return der;
}

static void
test_parse_openssl_request(void **state)
{
	struct egca_ocsp_certid ids[MAXIDS];
	struct egca_ocsp_request r;
	X509 *issuer = load_cert("sm2-sub.pem"),
	     *leaf = load_cert("sm2-leaf.pem");
	const ASN1_INTEGER *sn = X509_get0_serialNumber(leaf);
	uint8_t nh[20];
	uint8_t *der;
	size_t len;

	(void)state;
	der = make_req(EVP_sha1(), 1, 16, &len);
	assert_int_equal(
	    egca_pki_ocsp_request_parse(der, len, ids, MAXIDS, &r), EGCA_OK);
	assert_int_equal(r.n_ids, 1);
	assert_int_equal(ids[0].hash, EGCA_OCSP_HASH_SHA1);
	assert_int_equal(ids[0].serial_len, (size_t)sn->length);
	assert_memory_equal(ids[0].serial, sn->data, ids[0].serial_len);
	assert_int_equal(X509_NAME_digest(X509_get_subject_name(issuer),
	                     EVP_sha1(), nh, NULL),
	    1);
	assert_memory_equal(ids[0].name_hash, nh, 20);
	assert_true(r.has_nonce);
	assert_int_equal(r.nonce_ext_len, 18);
	OPENSSL_free(der);

	der = make_req(EVP_sha256(), 3, 0, &len);
	assert_int_equal(
	    egca_pki_ocsp_request_parse(der, len, ids, MAXIDS, &r), EGCA_OK);
	assert_int_equal(r.n_ids, 3);
	assert_int_equal(ids[2].hash, EGCA_OCSP_HASH_SHA256);
	assert_false(r.has_nonce);
	OPENSSL_free(der);

	/* An unknown hash algorithm parses; status/ answers "unknown". */
	der = make_req(EVP_sha384(), 1, 0, &len);
	assert_int_equal(
	    egca_pki_ocsp_request_parse(der, len, ids, MAXIDS, &r), EGCA_OK);
	assert_int_equal(ids[0].hash, EGCA_OCSP_HASH_OTHER);
	OPENSSL_free(der);
	X509_free(issuer);
	X509_free(leaf);
}

static void
test_parse_refusals(void **state)
{
	struct egca_ocsp_certid ids[MAXIDS];
	struct egca_ocsp_request r;
	static const uint8_t garbage[] = "GET / HTTP/1.1\r\n\r\n";
	uint8_t *der, *copy;
	size_t len, i;

	(void)state;
	assert_int_equal(egca_pki_ocsp_request_parse(
	                     garbage, sizeof(garbage), ids, MAXIDS, &r),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_pki_ocsp_request_parse(NULL, 0, ids, MAXIDS, &r),
	    EGCA_ERR_INPUT);

	der = make_req(EVP_sha1(), 2, 32, &len);
	for (i = 0; i < len; i++)
		assert_int_equal(
		    egca_pki_ocsp_request_parse(der, i, ids, MAXIDS, &r),
		    EGCA_ERR_INPUT);
	/* One trailing byte. */
	copy = malloc(len + 1);
	memcpy(copy, der, len);
	copy[len] = 0;
	assert_int_equal(
	    egca_pki_ocsp_request_parse(copy, len + 1, ids, MAXIDS, &r),
	    EGCA_ERR_INPUT);
	/* The limit on CertIDs. */
	assert_int_equal(
	    egca_pki_ocsp_request_parse(der, len, ids, 1, &r), EGCA_ERR_INPUT);
	free(copy);
	OPENSSL_free(der);

	der = make_req(EVP_sha1(), 1000, 0, &len);
	assert_int_equal(egca_pki_ocsp_request_parse(der, len, ids, MAXIDS, &r),
	    EGCA_ERR_INPUT);
	OPENSSL_free(der);

	/* RFC 8954: nonces of more than 32 octets are refused. */
	der = make_req(EVP_sha1(), 1, 33, &len);
	assert_int_equal(egca_pki_ocsp_request_parse(der, len, ids, MAXIDS, &r),
	    EGCA_ERR_INPUT);
	OPENSSL_free(der);
}

/* Hand-made: version v2 and a critical unknown extension. */
static void
test_parse_version_and_critical(void **state)
{
	/* SEQ { SEQ { [0] { INTEGER 1 }, SEQ { SEQ { CertID } } } } */
	static const uint8_t v2[] = {0x30, 0x33, 0x30, 0x31, 0xa0, 0x03, 0x02,
	    0x01, 0x01, 0x30, 0x2a, 0x30, 0x28, 0x30, 0x26, 0x30, 0x07, 0x06,
	    0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x04, 0x14, 1, 2, 3, 4, 5, 6, 7,
	    8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0x04, 0x00, 0x02,
	    0x01, 0x05};
	struct egca_ocsp_certid ids[MAXIDS];
	struct egca_ocsp_request r;

	(void)state;
	/* Key hash of the wrong length, then version v2. */
	assert_int_equal(
	    egca_pki_ocsp_request_parse(v2, sizeof(v2), ids, MAXIDS, &r),
	    EGCA_ERR_INPUT);
}

struct resp_fixture {
	struct egca_signer *sg;
};

static void
sign_and_check(enum egca_key_alg alg)
{
	struct egca_signer *sg = NULL;
	struct egca_ocsp_certid ids[MAXIDS];
	struct egca_ocsp_request r;
	struct egca_ocsp_single s[2];
	struct egca_ocsp_response_tmpl t;
	struct egca_ocsp_response_info info;
	struct egca_buf out;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *cid;
	X509 *issuer = load_cert("sm2-sub.pem"),
	     *leaf = load_cert("sm2-leaf.pem");
	const unsigned char *p;
	const uint8_t *spki;
	size_t spki_len, len;
	uint8_t *der;
	int status, reason;
	ASN1_GENERALIZEDTIME *rev, *thisu, *nextu;

	assert_int_equal(
	    egca_signer_generate(alg, 2048, EGCA_SIGN_OCSP, &sg), EGCA_OK);
	der = make_req(EVP_sha1(), 2, 16, &len);
	assert_int_equal(
	    egca_pki_ocsp_request_parse(der, len, ids, MAXIDS, &r), EGCA_OK);
	memset(s, 0, sizeof(s));
	s[0].certid_raw = ids[0].raw;
	s[0].certid_raw_len = ids[0].raw_len;
	s[0].status = EGCA_OCSP_REVOKED;
	s[0].revocation_time = 1735689600;
	s[0].reason = 1;
	s[0].this_update = 1735689600;
	s[0].next_update = 1735689600 + 86400;
	s[1].hash = EGCA_OCSP_HASH_SHA1;
	s[1].name_hash = ids[1].name_hash;
	s[1].name_hash_len = 20;
	s[1].key_hash = ids[1].key_hash;
	s[1].key_hash_len = 20;
	s[1].serial = (const uint8_t *)"\x7f\x01";
	s[1].serial_len = 2;
	s[1].status = EGCA_OCSP_UNKNOWN;
	s[1].reason = -1;
	s[1].this_update = 1735689600;
	spki = egca_signer_get0_spki(sg, &spki_len);
	memset(&t, 0, sizeof(t));
	t.responder_spki = spki;
	t.responder_spki_len = spki_len;
	t.produced_at = 1735689600;
	t.singles = s;
	t.n_singles = 2;
	t.nonce_ext = r.nonce_ext;
	t.nonce_ext_len = r.nonce_ext_len;
	egca_buf_init(&out, 1 << 20);
	assert_int_equal(egca_pki_ocsp_response_sign(&t, sg, &out), EGCA_OK);

	/* OpenSSL reads it and finds the revoked status. */
	p = out.data;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)out.len);
	assert_non_null(resp);
	assert_int_equal(p - out.data, (long)out.len);
	assert_int_equal(OCSP_response_status(resp), 0);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	cid = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
	assert_int_equal(OCSP_resp_find_status(
	                     bs, cid, &status, &reason, &rev, &thisu, &nextu),
	    1);
	assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, 1);
	{
		OCSP_REQUEST *oreq;

		p = der;
		oreq = d2i_OCSP_REQUEST(NULL, &p, (long)len);
		assert_int_equal(OCSP_check_nonce(oreq, bs), 1);
		OCSP_REQUEST_free(oreq);
	}
	OCSP_CERTID_free(cid);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);

	/* egca's own decoding and signature check. */
	assert_int_equal(
	    egca_pki_ocsp_response_parse(out.data, out.len, &info), EGCA_OK);
	assert_int_equal(info.n_singles, 2);
	assert_int_equal(info.singles[0].status, EGCA_OCSP_REVOKED);
	assert_int_equal(info.singles[0].reason, 1);
	assert_int_equal(info.singles[1].status, EGCA_OCSP_UNKNOWN);
	assert_int_equal(info.singles[0].next_update, 1735689600 + 86400);
	assert_int_equal(info.produced_at, 1735689600);
	assert_int_equal(info.key_hash_len, 20);
	assert_int_equal(egca_pki_ocsp_response_verify(
	                     out.data, out.len, egca_signer_get0_pubkey(sg)),
	    EGCA_OK);
	/* One flipped bit in the ResponseData. */
	out.data[info.tbs - out.data + 10] ^= 1;
	assert_int_not_equal(egca_pki_ocsp_response_verify(out.data, out.len,
	                         egca_signer_get0_pubkey(sg)),
	    EGCA_OK);

	egca_buf_free(&out);
	OPENSSL_free(der);
	egca_signer_free(sg);
	X509_free(issuer);
	X509_free(leaf);
}

static void
test_response_sm2(void **state)
{
	(void)state;
	sign_and_check(EGCA_KEY_SM2);
}

static void
test_response_p256(void **state)
{
	(void)state;
	sign_and_check(EGCA_KEY_P256);
}

static void
test_response_rsa(void **state)
{
	(void)state;
	sign_and_check(EGCA_KEY_RSA);
}

static void
test_error_responses(void **state)
{
	struct egca_buf out;
	struct egca_ocsp_response_info info;
	static const int st[] = {1, 2, 3, 6};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		egca_buf_init(&out, 64);
		assert_int_equal(
		    egca_pki_ocsp_response_error(st[i], &out), EGCA_OK);
		assert_int_equal(out.len, 5);
		assert_int_equal(
		    egca_pki_ocsp_response_parse(out.data, out.len, &info),
		    EGCA_OK);
		assert_int_equal(info.status, st[i]);
		egca_buf_free(&out);
	}
	egca_buf_init(&out, 64);
	assert_int_not_equal(egca_pki_ocsp_response_error(0, &out), EGCA_OK);
	assert_int_not_equal(egca_pki_ocsp_response_error(4, &out), EGCA_OK);
	egca_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_openssl_request),
	    cmocka_unit_test(test_parse_refusals),
	    cmocka_unit_test(test_parse_version_and_critical),
	    cmocka_unit_test(test_response_sm2),
	    cmocka_unit_test(test_response_p256),
	    cmocka_unit_test(test_response_rsa),
	    cmocka_unit_test(test_error_responses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
