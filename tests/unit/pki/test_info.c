/*
 * Unit tests for src/pki/info.c: certificate inspection and
 * egca_pki_verify_signed() on certificates, CSRs and CRLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egca/file.h"
#include "egca/pki.h"
#include "pki/signed.h"

/* The fixture (first PEM block, or DER) as DER. */
static uint8_t *
fixture(const char *name, const char *label, size_t *len)
{
	char path[512];
	struct egca_der_list l = {0};
	uint8_t *data = NULL, *der;
	size_t n;

	snprintf(
	    path, sizeof(path), "%s/tests/data/pki/%s", EGCA_SOURCE_DIR, name);
	assert_int_equal(egca_file_read(path, 1 << 20, &data, &n), EGCA_OK);
	assert_int_equal(egca_pki_pem_decode(data, n, label, &l), EGCA_OK);
	free(data);
	der = l.der[0];
	*len = l.len[0];
	l.der[0] = NULL;
	egca_der_list_free(&l);
	return der;
}

static void
info_of(const char *name, struct egca_cert_info *ci)
{
	uint8_t *der;
	size_t len;

	der = fixture(name, "CERTIFICATE", &len);
	assert_int_equal(egca_pki_cert_info(der, len, ci), EGCA_OK);
	free(der);
}

static EVP_PKEY *
key_of(const char *name)
{
	struct egca_cert_info ci;
	EVP_PKEY *k = NULL;

	info_of(name, &ci);
	assert_int_equal(
	    egca_crypto_spki_decode(ci.spki_der, ci.spki_der_len, &k), EGCA_OK);
	egca_pki_cert_info_free(&ci);
	return k;
}

static void
test_sm2_leaf(void **state)
{
	struct egca_cert_info ci, sub;
	static const uint8_t serial[] = {0x10, 0x00, 0x03};

	(void)state;
	info_of("sm2-leaf.pem", &ci);
	info_of("sm2-sub.pem", &sub);
	assert_int_equal(ci.version, 3);
	assert_int_equal(ci.serial_len, sizeof(serial));
	assert_memory_equal(ci.serial, serial, sizeof(serial));
	assert_string_equal(ci.issuer, "C=CN, O=egca test, CN=sm2-sub");
	assert_string_equal(ci.subject, "C=CN, O=egca test, CN=sm2-leaf");
	assert_int_equal(ci.sig_alg, EGCA_SIG_SM2_SM3);
	assert_int_equal(ci.key_alg, EGCA_KEY_SM2);
	assert_int_equal(ci.key_bits, 256);
	assert_int_equal(ci.is_ca, 0);
	assert_int_equal(ci.path_len, -1);
	assert_int_equal(
	    ci.key_usage, EGCA_KU_DIGITAL_SIGNATURE | EGCA_KU_NON_REPUDIATION);
	assert_int_equal(ci.ski_len, 20);
	assert_int_equal(ci.aki_len, 20);
	assert_int_equal(ci.self_issued, 0);
	/* The issuer DER is the sub-CA's subject DER, octet for octet. */
	assert_int_equal(ci.issuer_der_len, sub.subject_der_len);
	assert_memory_equal(
	    ci.issuer_der, sub.subject_der, sub.subject_der_len);
	assert_memory_equal(ci.aki, sub.ski, 20);
	assert_true(ci.not_after - ci.not_before == (int64_t)3650 * 86400);
	assert_int_equal(ci.spki_der[0], 0x30);
	egca_pki_cert_info_free(&ci);
	egca_pki_cert_info_free(&sub);
	egca_pki_cert_info_free(NULL);
}

static void
test_sm2_root_and_sub(void **state)
{
	struct egca_cert_info ci;

	(void)state;
	info_of("sm2-root.pem", &ci);
	assert_int_equal(ci.self_issued, 1);
	assert_int_equal(ci.is_ca, 1);
	assert_int_equal(ci.path_len, -1);
	assert_int_equal(
	    ci.key_usage, EGCA_KU_KEY_CERT_SIGN | EGCA_KU_CRL_SIGN);
	assert_int_equal(ci.serial_len, 1);
	assert_int_equal(ci.serial[0], 1);
	/* openssl req -x509 adds AKI = SKI from its default config. */
	assert_int_equal(ci.ski_len, 20);
	if (ci.aki_len != 0)
		assert_memory_equal(ci.aki, ci.ski, 20);
	assert_string_equal(ci.issuer, ci.subject);
	egca_pki_cert_info_free(&ci);
	info_of("sm2-sub-pl0.pem", &ci);
	assert_int_equal(ci.is_ca, 1);
	assert_int_equal(ci.path_len, 0);
	egca_pki_cert_info_free(&ci);
}

static void
test_other_algs_and_dates(void **state)
{
	struct egca_cert_info ci;

	(void)state;
	info_of("p256-leaf.pem", &ci);
	assert_int_equal(ci.sig_alg, EGCA_SIG_ECDSA_SHA256);
	assert_int_equal(ci.key_alg, EGCA_KEY_P256);
	assert_int_equal(ci.key_bits, 256);
	egca_pki_cert_info_free(&ci);
	info_of("rsa-leaf.pem", &ci);
	assert_int_equal(ci.sig_alg, EGCA_SIG_RSA_SHA256);
	assert_int_equal(ci.key_alg, EGCA_KEY_RSA);
	assert_int_equal(ci.key_bits, 2048);
	egca_pki_cert_info_free(&ci);
	info_of("sm2-expired.pem", &ci);
	assert_int_equal(ci.not_before, 1577836800); /* 2020-01-01 */
	assert_int_equal(ci.not_after, 1609459200);  /* 2021-01-01 */
	assert_int_equal(ci.key_usage, EGCA_KU_DIGITAL_SIGNATURE);
	egca_pki_cert_info_free(&ci);
}

static void
expect_bad(const uint8_t *der, size_t len, const char *msg)
{
	struct egca_cert_info ci;

	memset(&ci, 0xa5, sizeof(ci));
	assert_int_equal(egca_pki_cert_info(der, len, &ci), EGCA_ERR_INPUT);
	/* Freed and zeroed on failure: freeing again is harmless. */
	assert_null(ci.issuer);
	assert_null(ci.spki_der);
	egca_pki_cert_info_free(&ci);
	if (msg != NULL && strstr(egca_err_detail(), msg) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", egca_err_detail(), msg);
}

static void
test_malformed(void **state)
{
	uint8_t *der, *big;
	size_t len, n;
	struct egca_signed s;

	(void)state;
	der = fixture("sm2-leaf.der", "CERTIFICATE", &len);
	for (n = 0; n < len; n += 7)
		expect_bad(der, n, NULL);
	expect_bad(der, len - 1, "truncated or malformed");
	assert_non_null(big = malloc(len + 1));
	memcpy(big, der, len);
	big[len] = 0;
	expect_bad(big, len + 1, "trailing data");
	free(big);
	free(der);

	/* Outer algorithm != TBS algorithm (ecdsa-with-SHA256 -> 384). */
	der = fixture("p256-leaf.der", "CERTIFICATE", &len);
	assert_int_equal(egca_pki_signed_split(der, len, &s), 0);
	assert_int_equal(s.alg[s.alg_len - 1], 0x02);
	der[(size_t)(s.alg - der) + s.alg_len - 1] = 0x03;
	expect_bad(der, len, "TBS signature algorithm differs");
	free(der);

	/* A CSR is not a certificate. */
	der = fixture("csr-sm2.der", "CERTIFICATE REQUEST", &len);
	expect_bad(der, len, NULL);
	free(der);
}

static void
test_verify_signed(void **state)
{
	EVP_PKEY *root, *sub, *leafk, *p256sub;
	uint8_t *der;
	size_t len;

	(void)state;
	root = key_of("sm2-root.pem");
	sub = key_of("sm2-sub.pem");
	leafk = key_of("sm2-leaf.pem");
	p256sub = key_of("p256-sub.pem");

	der = fixture("sm2-root.der", "CERTIFICATE", &len);
	assert_int_equal(egca_pki_verify_signed(der, len, root), EGCA_OK);
	assert_int_equal(egca_pki_verify_signed(der, len, sub), EGCA_ERR_AUTH);
	/* Trailing octets are not a signed object. */
	assert_int_equal(
	    egca_pki_verify_signed(der, len - 1, root), EGCA_ERR_INPUT);
	free(der);

	der = fixture("sm2-leaf.pem", "CERTIFICATE", &len);
	assert_int_equal(egca_pki_verify_signed(der, len, sub), EGCA_OK);
	der[len - 1] ^= 1;
	assert_int_equal(egca_pki_verify_signed(der, len, sub), EGCA_ERR_AUTH);
	assert_non_null(strstr(egca_err_detail(), "1234567812345678"));
	free(der);

	/* Signed by OpenSSL 3.0 with its empty default ID. */
	der = fixture("sm2-leaf-emptyid.pem", "CERTIFICATE", &len);
	assert_int_equal(egca_pki_verify_signed(der, len, sub), EGCA_ERR_AUTH);
	free(der);

	/* An ECDSA signature cannot be checked with an SM2 key. */
	der = fixture("p256-leaf.pem", "CERTIFICATE", &len);
	assert_int_equal(egca_pki_verify_signed(der, len, p256sub), EGCA_OK);
	assert_int_not_equal(egca_pki_verify_signed(der, len, sub), EGCA_OK);
	free(der);

	/* CRLs (the TBSCertList as received). */
	der = fixture("sm2-sub.crl", "X509 CRL", &len);
	assert_int_equal(egca_pki_verify_signed(der, len, sub), EGCA_OK);
	assert_int_equal(egca_pki_verify_signed(der, len, root), EGCA_ERR_AUTH);
	free(der);
	der = fixture("sm2-sub-emptyid.crl", "X509 CRL", &len);
	assert_int_equal(egca_pki_verify_signed(der, len, sub), EGCA_ERR_AUTH);
	free(der);

	/* CSRs: self-signed with the leaf key. */
	der = fixture("csr-sm2.pem", "CERTIFICATE REQUEST", &len);
	assert_int_equal(egca_pki_verify_signed(der, len, leafk), EGCA_OK);
	free(der);
	der = fixture("csr-sm2-emptyid.pem", "CERTIFICATE REQUEST", &len);
	assert_int_equal(
	    egca_pki_verify_signed(der, len, leafk), EGCA_ERR_AUTH);
	free(der);

	EVP_PKEY_free(root);
	EVP_PKEY_free(sub);
	EVP_PKEY_free(leafk);
	EVP_PKEY_free(p256sub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sm2_leaf),
	    cmocka_unit_test(test_sm2_root_and_sub),
	    cmocka_unit_test(test_other_algs_and_dates),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_verify_signed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
