/* Unit tests for src/pki/csr.c (PKCS#10 parsing and checks). */
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

static uint8_t *
fixture(const char *name, size_t *len)
{
	char path[512];
	uint8_t *data = NULL;

	snprintf(
	    path, sizeof(path), "%s/tests/data/pki/%s", EGCA_SOURCE_DIR, name);
	assert_int_equal(egca_file_read(path, 1 << 20, &data, len), EGCA_OK);
	return data;
}

static enum egca_err
parse_fixture(const char *name, struct egca_csr **csr)
{
	uint8_t *in;
	size_t len;
	enum egca_err e;

	in = fixture(name, &len);
	e = egca_pki_csr_parse(in, len, csr);
	free(in);
	return e;
}

static void
expect_good(const char *name, enum egca_key_alg alg, int bits, const char *cn)
{
	struct egca_csr *csr = NULL;
	char *v = NULL;

	assert_int_equal(parse_fixture(name, &csr), EGCA_OK);
	assert_non_null(csr);
	assert_int_equal(csr->key_alg, alg);
	assert_int_equal(csr->key_bits, bits);
	assert_non_null(csr->pubkey);
	/* subject and spki point into der, as received. */
	assert_true(csr->subject > csr->der &&
	    csr->subject + csr->subject_len <= csr->der + csr->der_len);
	assert_true(csr->spki > csr->subject &&
	    csr->spki + csr->spki_len <= csr->der + csr->der_len);
	assert_int_equal(csr->subject[0], 0x30);
	assert_int_equal(csr->spki[0], 0x30);
	assert_int_equal(
	    egca_pki_name_get(csr->subject, csr->subject_len, "CN", &v),
	    EGCA_OK);
	assert_string_equal(v, cn);
	free(v);
	egca_pki_csr_free(csr);
}

static void
test_good(void **state)
{
	(void)state;
	expect_good("csr-sm2.pem", EGCA_KEY_SM2, 256, "csr-sm2");
	expect_good("csr-sm2.der", EGCA_KEY_SM2, 256, "csr-sm2");
	expect_good("csr-p256.pem", EGCA_KEY_P256, 256, "csr-p256");
	expect_good("csr-p256-new.pem", EGCA_KEY_P256, 256, "csr-p256");
	expect_good("csr-rsa.pem", EGCA_KEY_RSA, 2048, "csr-rsa");
	expect_good("csr-rsa.der", EGCA_KEY_RSA, 2048, "csr-rsa");
	egca_pki_csr_free(NULL);
}

static void
test_der_equals_pem(void **state)
{
	struct egca_csr *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(parse_fixture("csr-sm2.pem", &a), EGCA_OK);
	assert_int_equal(parse_fixture("csr-sm2.der", &b), EGCA_OK);
	assert_int_equal(a->der_len, b->der_len);
	assert_memory_equal(a->der, b->der, a->der_len);
	egca_pki_csr_free(a);
	egca_pki_csr_free(b);
}

static void
expect_der(const uint8_t *der, size_t len, enum egca_err want, const char *msg)
{
	struct egca_csr *csr = (struct egca_csr *)1;

	assert_int_equal(egca_pki_csr_parse(der, len, &csr), want);
	assert_null(csr);
	if (msg != NULL && strstr(egca_err_detail(), msg) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", egca_err_detail(), msg);
}

static void
test_bad_signature(void **state)
{
	uint8_t *der;
	size_t len;

	(void)state;
	der = fixture("csr-sm2.der", &len);
	der[len - 1] ^= 0x01; /* last octet of s */
	expect_der(der, len, EGCA_ERR_AUTH,
	    "CSR signature does not verify (SM2 user ID 1234567812345678)");
	free(der);
	der = fixture("csr-rsa.der", &len);
	der[len - 10] ^= 0x80;
	expect_der(der, len, EGCA_ERR_AUTH, "CSR signature does not verify");
	free(der);
	/* A changed subject breaks the signature too. */
	der = fixture("csr-p256.der", &len);
	{
		uint8_t *p = memmem(der, len, "csr-p256", 8);

		assert_non_null(p);
		p[0] = 'C';
	}
	expect_der(der, len, EGCA_ERR_AUTH, "does not verify");
	free(der);
}

static void
test_empty_id_refused(void **state)
{
	struct egca_csr *csr = NULL;

	(void)state;
	/* OpenSSL 3.0 without -sigopt distid: signed with an empty ID. */
	assert_int_equal(
	    parse_fixture("csr-sm2-emptyid.pem", &csr), EGCA_ERR_AUTH);
	assert_null(csr);
	assert_string_equal(egca_err_detail(),
	    "CSR signature does not verify (SM2 user ID 1234567812345678)");
}

static void
test_rsa1024_refused(void **state)
{
	struct egca_csr *csr = NULL;

	(void)state;
	assert_int_equal(
	    parse_fixture("csr-rsa1024.pem", &csr), EGCA_ERR_POLICY);
	assert_null(csr);
	assert_non_null(strstr(egca_err_detail(), "RSA"));
}

static void
test_truncated(void **state)
{
	uint8_t *der;
	size_t len, n;

	(void)state;
	der = fixture("csr-sm2.der", &len);
	for (n = 1; n < len; n++)
		expect_der(der, n, EGCA_ERR_INPUT, NULL);
	expect_der(
	    der, len / 2, EGCA_ERR_INPUT, "CSR: truncated or malformed DER");
	expect_der(der, 0, EGCA_ERR_INPUT, "empty");
	free(der);
}

static void
test_trailing(void **state)
{
	uint8_t *der, *big;
	size_t len;

	(void)state;
	der = fixture("csr-sm2.der", &len);
	assert_non_null(big = malloc(len + 2));
	memcpy(big, der, len);
	big[len] = 0x00;
	big[len + 1] = 0x00;
	expect_der(big, len + 1, EGCA_ERR_INPUT,
	    "CSR: trailing data after the request");
	expect_der(big, len + 2, EGCA_ERR_INPUT,
	    "CSR: trailing data after the request");
	free(big);
	free(der);
}

static void
test_two_in_pem(void **state)
{
	uint8_t *a, *b, *both;
	size_t alen, blen;

	(void)state;
	a = fixture("csr-sm2.pem", &alen);
	b = fixture("csr-p256-new.pem", &blen);
	assert_non_null(both = malloc(2 * alen + blen));
	memcpy(both, a, alen);
	memcpy(both + alen, a, alen);
	expect_der(both, 2 * alen, EGCA_ERR_INPUT, "2 requests");
	/* One under each label is two as well. */
	memcpy(both + alen, b, blen);
	expect_der(both, alen + blen, EGCA_ERR_INPUT, "2 requests");
	free(both);
	free(a);
	free(b);
}

static void
test_not_a_csr(void **state)
{
	uint8_t *in;
	size_t len;
	static const uint8_t junk[] = "hello, world\n";

	(void)state;
	in = fixture("sm2-leaf.pem", &len);
	expect_der(in, len, EGCA_ERR_INPUT, "no CERTIFICATE REQUEST");
	free(in);
	in = fixture("sm2-leaf.der", &len);
	expect_der(in, len, EGCA_ERR_INPUT, "CSR:");
	free(in);
	expect_der(junk, sizeof(junk) - 1, EGCA_ERR_INPUT, "CSR:");
}

static void
test_oversize(void **state)
{
	uint8_t *big;
	size_t n = (size_t)300 << 10;

	(void)state;
	assert_non_null(big = calloc(1, n));
	big[0] = 0x30;
	expect_der(big, n, EGCA_ERR_INPUT, "larger than");
	/* A DER header announcing 100 KiB, within the input limit. */
	big[1] = 0x83;
	big[2] = 0x01;
	big[3] = 0x90;
	big[4] = 0x00;
	expect_der(big, 5 + 0x19000, EGCA_ERR_INPUT, "larger than 65536");
	free(big);
}

static void
test_version(void **state)
{
	uint8_t *der;
	size_t len;

	(void)state;
	der = fixture("csr-sm2.der", &len);
	/* 30 81 xx 30 81 yy 02 01 00: the version octet. */
	assert_int_equal(der[0], 0x30);
	assert_true(der[6] == 0x02 && der[7] == 0x01 && der[8] == 0x00);
	der[8] = 0x01;
	expect_der(der, len, EGCA_ERR_INPUT, "version must be 0");
	free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_der_equals_pem),
	    cmocka_unit_test(test_bad_signature),
	    cmocka_unit_test(test_empty_id_refused),
	    cmocka_unit_test(test_rsa1024_refused),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_trailing),
	    cmocka_unit_test(test_two_in_pem),
	    cmocka_unit_test(test_not_a_csr),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
