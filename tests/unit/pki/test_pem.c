/* Unit tests for src/pki/pem.c (PEM and DER lists). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
decode_str(const char *s, const char *label, struct egca_der_list *l)
{
	return egca_pki_pem_decode((const uint8_t *)s, strlen(s), label, l);
}

static void
test_chain_file(void **state)
{
	struct egca_der_list l = {0};
	uint8_t *pem, *der;
	size_t pem_len, der_len;

	(void)state;
	pem = fixture("sm2-chain.pem", &pem_len);
	assert_int_equal(
	    egca_pki_pem_decode(pem, pem_len, "CERTIFICATE", &l), EGCA_OK);
	assert_int_equal(l.n, 2);
	der = fixture("sm2-sub.der", &der_len);
	assert_int_equal(l.len[0], der_len);
	assert_memory_equal(l.der[0], der, der_len);
	egca_der_list_free(&l);
	egca_der_list_free(&l); /* twice is harmless */
	free(pem);
	free(der);
}

static void
test_der_passthrough(void **state)
{
	struct egca_der_list l = {0};
	uint8_t *der;
	size_t der_len;

	(void)state;
	der = fixture("sm2-leaf.der", &der_len);
	assert_int_equal(
	    egca_pki_pem_decode(der, der_len, "CERTIFICATE", &l), EGCA_OK);
	assert_int_equal(l.n, 1);
	assert_memory_equal(l.der[0], der, der_len);
	egca_der_list_free(&l);
	free(der);
}

static void
test_roundtrip(void **state)
{
	struct egca_der_list l = {0};
	struct egca_buf b;
	uint8_t data[200];
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (n = 1; n <= sizeof(data); n++) {
		egca_buf_init(&b, 0);
		assert_int_equal(
		    egca_pki_pem_encode(data, n, "X509 CRL", &b), EGCA_OK);
		assert_int_equal(
		    egca_pki_pem_decode(b.data, b.len, "X509 CRL", &l),
		    EGCA_OK);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.len[0], n);
		assert_memory_equal(l.der[0], data, n);
		egca_der_list_free(&l);
		egca_buf_free(&b);
	}
}

static void
test_encode_shape(void **state)
{
	struct egca_buf b;
	const uint8_t abc[] = {'a', 'b', 'c'};

	(void)state;
	egca_buf_init(&b, 0);
	assert_int_equal(
	    egca_pki_pem_encode(abc, 3, "CERTIFICATE", &b), EGCA_OK);
	assert_string_equal((char *)b.data,
	    "-----BEGIN CERTIFICATE-----\nYWJj\n-----END CERTIFICATE-----\n");
	egca_buf_free(&b);
}

static void
test_text_around_and_crlf(void **state)
{
	struct egca_der_list l = {0};

	(void)state;
	assert_int_equal(decode_str("Certificate:\n  junk: here\r\n"
	                            "-----BEGIN CERTIFICATE-----\r\n"
	                            "YW Jj\r\n"
	                            "-----END CERTIFICATE-----   \r\n"
	                            "trailer\n",
	                     "CERTIFICATE", &l),
	    EGCA_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.len[0], 3);
	assert_memory_equal(l.der[0], "abc", 3);
	egca_der_list_free(&l);
}

static void
test_other_label_skipped(void **state)
{
	struct egca_der_list l = {0};

	(void)state;
	assert_int_equal(decode_str("-----BEGIN X509 CRL-----\nYWJj\n"
	                            "-----END X509 CRL-----\n"
	                            "-----BEGIN CERTIFICATE-----\nYWI=\n"
	                            "-----END CERTIFICATE-----\n",
	                     "CERTIFICATE", &l),
	    EGCA_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.len[0], 2);
	egca_der_list_free(&l);
	/* PEM present but none with the label: nothing found. */
	assert_int_equal(decode_str("-----BEGIN X509 CRL-----\nYWJj\n"
	                            "-----END X509 CRL-----\n",
	                     "CERTIFICATE", &l),
	    EGCA_ERR_INPUT);
	assert_int_equal(l.n, 0);
	assert_non_null(strstr(egca_err_detail(), "no CERTIFICATE block"));
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
	    /* no END line */
	    "-----BEGIN CERTIFICATE-----\nYWJj\n",
	    /* END of another label */
	    "-----BEGIN CERTIFICATE-----\nYWJj\n-----END X509 CRL-----\n",
	    /* invalid character */
	    "-----BEGIN CERTIFICATE-----\nYW*j\n-----END CERTIFICATE-----\n",
	    /* length not a multiple of 4 */
	    "-----BEGIN CERTIFICATE-----\nYWJ\n-----END CERTIFICATE-----\n",
	    /* data after padding */
	    "-----BEGIN CERTIFICATE-----\nYQ==YWJj\n-----END "
	    "CERTIFICATE-----\n",
	    /* too much padding */
	    "-----BEGIN CERTIFICATE-----\nY===\n-----END CERTIFICATE-----\n",
	    /* non-zero padding bits ("YR==" is not canonical) */
	    "-----BEGIN CERTIFICATE-----\nYR==\n-----END CERTIFICATE-----\n",
	    /* headers: encrypted PEM */
	    "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nYWJj\n"
	    "-----END CERTIFICATE-----\n",
	    /* empty block */
	    "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
	};
	struct egca_der_list l = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    decode_str(bad[i], "CERTIFICATE", &l), EGCA_ERR_INPUT);
		assert_int_equal(l.n, 0);
	}
	assert_int_equal(
	    egca_pki_pem_decode((const uint8_t *)"", 0, "CERTIFICATE", &l),
	    EGCA_ERR_INPUT);
}

static void
test_failure_keeps_list(void **state)
{
	struct egca_der_list l = {0};

	(void)state;
	assert_int_equal(
	    egca_der_list_add(&l, (const uint8_t *)"x", 1), EGCA_OK);
	/* One good block, then a bad one: the list is as it was. */
	assert_int_equal(decode_str("-----BEGIN CERTIFICATE-----\nYWJj\n"
	                            "-----END CERTIFICATE-----\n"
	                            "-----BEGIN CERTIFICATE-----\nYW!j\n"
	                            "-----END CERTIFICATE-----\n",
	                     "CERTIFICATE", &l),
	    EGCA_ERR_INPUT);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.len[0], 1);
	egca_der_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_file),
	    cmocka_unit_test(test_der_passthrough),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_encode_shape),
	    cmocka_unit_test(test_text_around_and_crlf),
	    cmocka_unit_test(test_other_label_skipped),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_failure_keeps_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
