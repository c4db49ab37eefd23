/*
 * Unit tests for src/pki/crl.c: CRLs built, signed and checked by
 * OpenSSL (d2i_X509_CRL, X509_CRL_verify for P-256) and by
 * egca_pki_verify_signed (SM2 with the user ID); the in-place assembly
 * equals egca_pki_signed_assemble; refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "egca/pki.h"

#define OK(x) assert_int_equal((x), EGCA_OK)

#define T_2026 1767225600 /* 2026-01-01T00:00:00Z */
#define T_2051 2556144000 /* 2051-01-01T00:00:00Z */

static const uint8_t ski[20] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
    0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4};
static const uint8_t s1[] = {0x5e, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
static const uint8_t s2[] = {0x80, 0x01}; /* top bit: INTEGER gets 00 */
static const uint8_t s3[] = {0x00, 0x00, 0x07};

struct fx {
	EVP_PKEY *key;
	enum egca_sig_alg alg;
	uint8_t *issuer;
	size_t issuer_len;
	struct egca_crl_template t;
};

static int
setup_alg(void **state, enum egca_key_alg ka)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL ||
	    egca_crypto_key_generate(ka, 0, &fx->key) != EGCA_OK ||
	    egca_pki_name_parse("C=CN,O=Test,CN=CRL Test CA", &fx->issuer,
	        &fx->issuer_len) != EGCA_OK)
		return -1;
	fx->alg = egca_crypto_sig_alg_for_key(fx->key);
	fx->t.sig_alg = fx->alg;
	fx->t.issuer = fx->issuer;
	fx->t.issuer_len = fx->issuer_len;
	fx->t.issuer_ski = ski;
	fx->t.issuer_ski_len = sizeof(ski);
	fx->t.this_update = T_2026;
	fx->t.next_update = T_2026 + 86400;
	fx->t.number = 7;
	*state = fx;
	return 0;
}

static int
setup_p256(void **state)
{
	return setup_alg(state, EGCA_KEY_P256);
}

static int
setup_sm2(void **state)
{
	return setup_alg(state, EGCA_KEY_SM2);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	EVP_PKEY_free(fx->key);
	free(fx->issuer);
	free(fx);
	return 0;
}

/* Closes, signs and finishes b; also checks the assembly. */
static void
sign(struct fx *fx, struct egca_crl_builder *b, uint8_t **der, size_t *len)
{
	const uint8_t *tbs;
	uint8_t sig[1024];
	size_t tbs_len, sig_len = sizeof(sig);
	struct egca_buf ref;

	OK(egca_pki_crl_builder_tbs(b, &tbs, &tbs_len));
	OK(egca_crypto_sign_tbs(fx->key, fx->alg, tbs, tbs_len, sig, &sig_len));
	egca_buf_init(&ref, 0);
	OK(egca_pki_signed_assemble(tbs, tbs_len, fx->alg, sig, sig_len, &ref));
	OK(egca_pki_crl_builder_finish(b, sig, sig_len, der, len));
	assert_int_equal(*len, ref.len);
	assert_memory_equal(*der, ref.data, ref.len);
	egca_buf_free(&ref);
	egca_pki_crl_builder_free(b);
}

static X509_CRL *
decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

	assert_non_null(crl);
	assert_ptr_equal(p, der + len);
	return crl;
}

static int
entry_reason(X509_REVOKED *r)
{
	ASN1_ENUMERATED *e;
	int crit = -1, v;

	e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
	if (e == NULL)
		return -1;
	v = (int)ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	return v;
}

static void
full_crl(void **state)
{
	struct fx *fx = *state;
	struct egca_crl_builder *b;
	STACK_OF(X509_REVOKED) * rev;
	ASN1_GENERALIZEDTIME *inv;
	ASN1_INTEGER *num;
	X509_CRL *crl;
	EVP_PKEY *pub;
	uint8_t *der;
	size_t len;
	int crit;

	OK(egca_pki_crl_builder_new(&fx->t, 0, &b));
	OK(egca_pki_crl_builder_add(
	    b, s1, sizeof(s1), T_2026 - 100, 1, T_2026 - 86400));
	OK(egca_pki_crl_builder_add(b, s2, sizeof(s2), T_2026 - 50, 0, 0));
	OK(egca_pki_crl_builder_add(b, s3, sizeof(s3), T_2026 - 10, 6, 0));
	assert_int_equal(egca_pki_crl_builder_count(b), 3);
	sign(fx, b, &der, &len);

	crl = decode(der, len);
	assert_int_equal(X509_CRL_get_version(crl), 1);
	rev = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(rev), 3);
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(rev, 0)), 1);
	/* unspecified: reasonCode absent (RFC 5280 5.3.1). */
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(rev, 1)), -1);
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(rev, 2)), 6);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
	                     sk_X509_REVOKED_value(rev, 1))),
	    0x8001);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
	                     sk_X509_REVOKED_value(rev, 2))),
	    7);
	inv = X509_REVOKED_get_ext_d2i(
	    sk_X509_REVOKED_value(rev, 0), NID_invalidity_date, &crit, NULL);
	assert_non_null(inv);
	assert_int_equal(ASN1_STRING_type(inv), V_ASN1_GENERALIZEDTIME);
	ASN1_GENERALIZEDTIME_free(inv);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	assert_int_equal(crit, 0);
	ASN1_INTEGER_free(num);
	assert_null(X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL));
	assert_int_equal(
	    ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)), V_ASN1_UTCTIME);
	if (fx->alg != EGCA_SIG_SM2_SM3) {
		pub = fx->key;
		assert_int_equal(X509_CRL_verify(crl, pub), 1);
	}
	OK(egca_pki_verify_signed(der, len, fx->key));
	/* One flipped octet in an entry: the signature no longer holds. */
	der[len / 3] ^= 0x01;
	assert_int_not_equal(
	    egca_pki_verify_signed(der, len, fx->key), EGCA_OK);
	X509_CRL_free(crl);
	free(der);
}

static void
empty_delta_crl(void **state)
{
	struct fx *fx = *state;
	struct egca_crl_builder *b;
	ASN1_INTEGER *base;
	X509_CRL *crl;
	uint8_t *der;
	size_t len;
	int crit = -1;

	fx->t.base_number = 5;
	fx->t.this_update = T_2051;
	fx->t.next_update = T_2051 + 3600;
	OK(egca_pki_crl_builder_new(&fx->t, 0, &b));
	sign(fx, b, &der, &len);
	crl = decode(der, len);
	/* No revokedCertificates field at all (RFC 5280 5.1.2.6). */
	assert_int_equal(
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) <= 0, 1);
	base = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
	assert_non_null(base);
	assert_int_equal(ASN1_INTEGER_get(base), 5);
	assert_int_equal(crit, 1);
	ASN1_INTEGER_free(base);
	/* After 2049: GeneralizedTime (RFC 5280 5.1.2.4). */
	assert_int_equal(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)),
	    V_ASN1_GENERALIZEDTIME);
	OK(egca_pki_verify_signed(der, len, fx->key));
	X509_CRL_free(crl);
	free(der);

	/* removeFromCRL is allowed in a delta. */
	fx->t.this_update = T_2026;
	fx->t.next_update = T_2026 + 3600;
	OK(egca_pki_crl_builder_new(&fx->t, 0, &b));
	OK(egca_pki_crl_builder_add(b, s1, sizeof(s1), T_2026, 8, 0));
	sign(fx, b, &der, &len);
	crl = decode(der, len);
	assert_int_equal(
	    entry_reason(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0)),
	    8);
	X509_CRL_free(crl);
	free(der);
}

static void
refusals(void **state)
{
	struct fx *fx = *state;
	struct egca_crl_template t = fx->t;
	struct egca_crl_builder *b;
	static const uint8_t zero[] = {0x00};
	static const uint8_t big[21] = {0x01};
	const uint8_t *tbs;
	uint8_t *der;
	size_t len, i;

	t.next_update = t.this_update;
	assert_int_equal(egca_pki_crl_builder_new(&t, 0, &b), EGCA_ERR_INPUT);
	assert_null(b);
	t = fx->t;
	t.base_number = t.number;
	assert_int_equal(egca_pki_crl_builder_new(&t, 0, &b), EGCA_ERR_INPUT);
	t = fx->t;
	t.number = -1;
	assert_int_equal(egca_pki_crl_builder_new(&t, 0, &b), EGCA_ERR_INPUT);
	t = fx->t;
	t.sig_alg = EGCA_SIG_NONE;
	assert_int_equal(egca_pki_crl_builder_new(&t, 0, &b), EGCA_ERR_INPUT);
	t = fx->t;
	t.issuer = NULL;
	assert_int_equal(egca_pki_crl_builder_new(&t, 0, &b), EGCA_ERR_INPUT);

	OK(egca_pki_crl_builder_new(&fx->t, 0, &b));
	assert_int_equal(
	    egca_pki_crl_builder_add(b, zero, 1, T_2026, 1, 0), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_crl_builder_add(b, big, sizeof(big), T_2026, 1, 0),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_crl_builder_add(b, NULL, 0, T_2026, 1, 0), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_crl_builder_add(b, s1, sizeof(s1), T_2026, 7, 0),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_crl_builder_add(b, s1, sizeof(s1), T_2026, 11, 0),
	    EGCA_ERR_INPUT);
	/* removeFromCRL only in deltas. */
	assert_int_equal(
	    egca_pki_crl_builder_add(b, s1, sizeof(s1), T_2026, 8, 0),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_pki_crl_builder_count(b), 0);
	assert_int_equal(
	    egca_pki_crl_builder_finish(b, (const uint8_t *)"x", 1, &der, &len),
	    EGCA_ERR_STATE);
	assert_null(der);
	OK(egca_pki_crl_builder_tbs(b, &tbs, &len));
	assert_int_equal(
	    egca_pki_crl_builder_add(b, s1, sizeof(s1), T_2026, 1, 0),
	    EGCA_ERR_STATE);
	assert_int_equal(
	    egca_pki_crl_builder_tbs(b, &tbs, &len), EGCA_ERR_STATE);
	assert_int_equal(egca_pki_crl_builder_finish(b, NULL, 0, &der, &len),
	    EGCA_ERR_INPUT);
	egca_pki_crl_builder_free(b);

	/* The size limit holds: 4 KiB cannot take 1000 entries. */
	OK(egca_pki_crl_builder_new(&fx->t, 4096, &b));
	for (i = 0; i < 1000; i++)
		if (egca_pki_crl_builder_add(b, s1, sizeof(s1), T_2026, 1, 0) !=
		    EGCA_OK)
			break;
	assert_true(i < 1000);
	assert_int_equal(
	    egca_pki_crl_builder_tbs(b, &tbs, &len), EGCA_ERR_STATE);
	egca_pki_crl_builder_free(b);
	egca_pki_crl_builder_free(NULL);
}

/* Enough entries for 3- and 4-octet lengths in the outer SEQUENCEs. */
static void
large_crl(void **state)
{
	struct fx *fx = *state;
	struct egca_crl_builder *b;
	uint8_t serial[16], *der;
	size_t len, i;
	X509_CRL *crl;

	OK(egca_pki_crl_builder_new(&fx->t, 0, &b));
	for (i = 0; i < 2000; i++) {
		memset(serial, 0x11, sizeof(serial));
		serial[14] = (uint8_t)(i >> 8);
		serial[15] = (uint8_t)i;
		OK(egca_pki_crl_builder_add(b, serial, sizeof(serial),
		    T_2026 - (int64_t)i, (int)(i % 6), 0));
	}
	sign(fx, b, &der, &len);
	assert_true(len > 65536);
	crl = decode(der, len);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2000);
	OK(egca_pki_verify_signed(der, len, fx->key));
	X509_CRL_free(crl);
	free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(full_crl, setup_p256, teardown),
	    cmocka_unit_test_setup_teardown(full_crl, setup_sm2, teardown),
	    cmocka_unit_test_setup_teardown(
	        empty_delta_crl, setup_sm2, teardown),
	    cmocka_unit_test_setup_teardown(refusals, setup_p256, teardown),
	    cmocka_unit_test_setup_teardown(large_crl, setup_p256, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
