/* Unit tests for src/pki/name.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509.h>

#include "egca/pki.h"

static void
parse_ok(const char *text, uint8_t **der, size_t *len)
{
	enum egca_err e = egca_pki_name_parse(text, der, len);

	if (e != EGCA_OK)
		fail_msg("parse \"%s\": %s", text, egca_err_detail());
	assert_non_null(*der);
}

static void
parse_bad(const char *text, const char *detail_has)
{
	uint8_t dummy = 0, *der = &dummy;
	size_t len = 1;

	assert_int_equal(egca_pki_name_parse(text, &der, &len), EGCA_ERR_INPUT);
	assert_null(der);
	if (detail_has != NULL && strstr(egca_err_detail(), detail_has) == NULL)
		fail_msg("\"%s\": detail \"%s\" lacks \"%s\"", text,
		    egca_err_detail(), detail_has);
}

static void
test_parse_encoding(void **state)
{
	uint8_t *der;
	size_t len;
	/* SEQUENCE { SET { SEQ { C, PrintableString "CN" } }
	 *            SET { SEQ { O, UTF8String "Org" } } } */
	static const uint8_t want[] = {0x30, 0x1c, 0x31, 0x0b, 0x30, 0x09, 0x06,
	    0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'C', 'N', 0x31, 0x0d, 0x30,
	    0x0b, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x04, 'O', 'r', 'g', '!'};

	(void)state;
	parse_ok("C=CN,O=Org!", &der, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(der, want, len);
	free(der);
	parse_ok("/C=CN/O=Org!", &der, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(der, want, len);
	free(der);
	parse_ok("  c = CN ,  o=Org!  ", &der, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(der, want, len);
	free(der);
	parse_ok("", &der, &len);
	assert_int_equal(len, 2);
	free(der);
}

static void
test_parse_openssl(void **state)
{
	uint8_t *der;
	size_t len;
	const unsigned char *p;
	X509_NAME *n;
	char buf[512];

	(void)state;
	parse_ok("C=CN,ST=\xe5\x8c\x97\xe4\xba\xac,L=Haidian,O=Test Org\\, "
	         "Ltd,OU=IT,CN=\xe5\xbc\xa0\xe4\xb8\x89,serialNumber=ABC123,"
	         "emailAddress=a@example.cn",
	    &der, &len);
	p = der;
	n = d2i_X509_NAME(NULL, &p, (long)len);
	assert_non_null(n);
	assert_ptr_equal(p, der + len);
	X509_NAME_oneline(n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "/O=Test Org, Ltd/"));
	assert_int_equal(X509_NAME_entry_count(n), 8);
	X509_NAME_free(n);
	free(der);
}

static void
test_parse_bad(void **state)
{
	char cn65[80];

	(void)state;
	parse_bad("C=China,O=x", "C must be two upper-case");
	parse_bad("C=cn", "C must be two");
	memset(cn65, 0, sizeof(cn65));
	memcpy(cn65, "CN=", 3);
	memset(cn65 + 3, 'a', 65);
	parse_bad(cn65, "CN longer than 64");
	cn65[3 + 64] = '\0';
	{
		uint8_t *der;
		size_t len;

		parse_ok(cn65, &der, &len); /* 64 is fine */
		free(der);
	}
	parse_bad("C=CN,O=", "O is empty");
	parse_bad("C=CN,O=  ", "O is empty");
	parse_bad("CN=a\\qb", "CN has a bad escape");
	parse_bad("CN=a\\", "CN has a bad escape");
	parse_bad("C=CN,,O=x", "has no '='");
	parse_bad("C=CN,O=x,", "empty component");
	parse_bad("XX=1", "unknown attribute type \"XX\"");
	parse_bad("CN=a\x01"
	          "b",
	    "CN is not valid UTF-8");
	parse_bad("CN=\xc0\xaf", "CN is not valid UTF-8");
	parse_bad("serialNumber=a*b", "serialNumber has characters outside");
	parse_bad(
	    "emailAddress=\xe5\xbc\xa0@x.cn", "emailAddress must be ASCII");
	parse_bad("CN", "has no '='");
}

static void
roundtrip(const char *in, const char *want_text)
{
	uint8_t *der, *der2;
	size_t len, len2;
	char *text;

	parse_ok(in, &der, &len);
	assert_int_equal(egca_pki_name_check(der, len), EGCA_OK);
	assert_int_equal(egca_pki_name_to_text(der, len, &text), EGCA_OK);
	assert_string_equal(text, want_text);
	parse_ok(text, &der2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(der, der2, len);
	free(text);
	free(der);
	free(der2);
}

static void
test_roundtrip(void **state)
{
	(void)state;
	roundtrip("C=CN,O=Org,CN=Name", "C=CN, O=Org, CN=Name");
	roundtrip("/C=CN/O=A, B/CN=x\\/y", "C=CN, O=A\\, B, CN=x/y");
	roundtrip("CN=a\\=b\\+c\\\\d", "CN=a\\=b\\+c\\\\d");
	roundtrip("CN=\\ lead", "CN=\\ lead");
	roundtrip("CN=\\#hash", "CN=\\#hash");
	roundtrip(
	    "O=\xe5\x8c\x97\xe4\xba\xac\xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c",
	    "O=\xe5\x8c\x97\xe4\xba\xac\xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c");
	roundtrip("CN=x\\41y", "CN=xAy");
}

static void
test_get(void **state)
{
	uint8_t *der;
	size_t len;
	char *v;

	(void)state;
	parse_ok("C=CN,O=Org,OU=a,OU=b,CN=Name", &der, &len);
	assert_int_equal(egca_pki_name_get(der, len, "OU", &v), EGCA_OK);
	assert_string_equal(v, "a");
	free(v);
	assert_int_equal(egca_pki_name_get(der, len, "cn", &v), EGCA_OK);
	assert_string_equal(v, "Name");
	free(v);
	assert_int_equal(egca_pki_name_get(der, len, "L", &v), EGCA_OK);
	assert_null(v);
	assert_int_equal(
	    egca_pki_name_get(der, len, "nope", &v), EGCA_ERR_USAGE);
	assert_int_equal(
	    egca_pki_name_get(der, len - 1, "CN", &v), EGCA_ERR_INPUT);
	free(der);
}

static void
test_check_bad(void **state)
{
	/* C as UTF8String */
	static const uint8_t c_utf8[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09,
	    0x06, 0x03, 0x55, 0x04, 0x06, 0x0c, 0x02, 'C', 'N'};
	/* CN with a control character */
	static const uint8_t cn_ctl[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09,
	    0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, 'a', 0x07};
	/* CN as TeletexString */
	static const uint8_t cn_t61[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09,
	    0x06, 0x03, 0x55, 0x04, 0x03, 0x14, 0x02, 'a', 'b'};
	/* unknown attribute 2.5.4.99 */
	static const uint8_t unknown[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09,
	    0x06, 0x03, 0x55, 0x04, 0x63, 0x0c, 0x02, 'a', 'b'};
	/* empty RDN */
	static const uint8_t empty_rdn[] = {0x30, 0x02, 0x31, 0x00};
	/* CN as BMPString "ab" is fine */
	static const uint8_t cn_bmp[] = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b,
	    0x06, 0x03, 0x55, 0x04, 0x03, 0x1e, 0x04, 0x00, 'a', 0x00, 'b'};
	/* trailing byte */
	static const uint8_t trailing[] = {0x30, 0x00, 0x00};
	char *text;

	(void)state;
	assert_int_equal(
	    egca_pki_name_check(c_utf8, sizeof(c_utf8)), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "C has string type"));
	assert_int_equal(
	    egca_pki_name_check(cn_ctl, sizeof(cn_ctl)), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_name_check(cn_t61, sizeof(cn_t61)), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_name_check(unknown, sizeof(unknown)), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "2.5.4.99"));
	assert_int_equal(
	    egca_pki_name_check(empty_rdn, sizeof(empty_rdn)), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_name_check(trailing, sizeof(trailing)), EGCA_ERR_INPUT);
	assert_int_equal(egca_pki_name_check(cn_bmp, sizeof(cn_bmp)), EGCA_OK);
	assert_int_equal(
	    egca_pki_name_to_text(cn_bmp, sizeof(cn_bmp), &text), EGCA_OK);
	assert_string_equal(text, "CN=ab");
	free(text);
	/* Unknown types and strings still render (RFC 4514 #hex). */
	assert_int_equal(
	    egca_pki_name_to_text(unknown, sizeof(unknown), &text), EGCA_OK);
	assert_string_equal(text, "2.5.4.99=ab");
	free(text);
	assert_int_equal(
	    egca_pki_name_to_text(cn_t61, sizeof(cn_t61), &text), EGCA_OK);
	assert_string_equal(text, "CN=#14026162");
	free(text);
	assert_int_equal(
	    egca_pki_name_to_text(cn_ctl, sizeof(cn_ctl), &text), EGCA_OK);
	assert_string_equal(text, "CN=#0c026107");
	free(text);
	assert_int_equal(
	    egca_pki_name_to_text(trailing, sizeof(trailing), &text),
	    EGCA_ERR_INPUT);
	assert_null(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_encoding),
	    cmocka_unit_test(test_parse_openssl),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_get),
	    cmocka_unit_test(test_check_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
