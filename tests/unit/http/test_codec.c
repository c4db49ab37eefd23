/* Unit tests for src/http/codec.c (percent, base64, UTF-8, paths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_int.h"

static enum egca_err
pct(const char *in, int plus, char *out, size_t *n)
{
	enum egca_err e = http_pct_decode(in, strlen(in), plus, out, 63, n);

	if (e == EGCA_OK)
		out[*n] = '\0';
	return e;
}

static void
test_pct(void **state)
{
	char out[64];
	size_t n;

	(void)state;
	assert_int_equal(pct("a%2Fb%2fc+d", 1, out, &n), EGCA_OK);
	assert_string_equal(out, "a/b/c d");
	assert_int_equal(pct("a+b", 0, out, &n), EGCA_OK);
	assert_string_equal(out, "a+b");
	assert_int_equal(pct("", 0, out, &n), EGCA_OK);
	assert_int_equal(n, 0);
	assert_int_equal(pct("%", 0, out, &n), EGCA_ERR_INPUT);
	assert_int_equal(pct("%4", 0, out, &n), EGCA_ERR_INPUT);
	assert_int_equal(pct("%4g", 0, out, &n), EGCA_ERR_INPUT);
	assert_int_equal(pct("%00", 0, out, &n), EGCA_ERR_INPUT);
	assert_int_equal(pct("%%41", 0, out, &n), EGCA_ERR_INPUT);
	/* Output bound. */
	assert_int_equal(
	    http_pct_decode("abcd", 4, 0, out, 3, &n), EGCA_ERR_NOMEM);
}

static enum egca_err
b64(const char *in, uint8_t *out, size_t *n)
{
	return http_b64_decode(in, strlen(in), out, 64, n);
}

static void
test_b64(void **state)
{
	uint8_t out[64];
	char enc[128];
	size_t n, len;

	(void)state;
	assert_int_equal(b64("TWFu", out, &n), EGCA_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "Man", 3);
	assert_int_equal(b64("TWE=", out, &n), EGCA_OK);
	assert_int_equal(n, 2);
	assert_int_equal(b64("TQ==", out, &n), EGCA_OK);
	assert_int_equal(n, 1);
	assert_int_equal(b64("+/+/", out, &n), EGCA_OK);
	assert_int_equal(n, 3);
	/* Not canonical or not base64. */
	assert_int_equal(b64("TQ=", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("TQ", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("TR==", out, &n), EGCA_ERR_INPUT); /* pad bits */
	assert_int_equal(b64("TWF=", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("T===", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("====", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("TQ==TWFu", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("TW=u", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("-_-_", out, &n), EGCA_ERR_INPUT); /* base64url */
	assert_int_equal(b64("TW Fu", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(b64("", out, &n), EGCA_ERR_INPUT);
	assert_int_equal(
	    http_b64_decode("TWFuTWFu", 8, out, 5, &n), EGCA_ERR_NOMEM);
	/* Round trip of every length up to 40. */
	for (len = 0; len <= 40; len++) {
		uint8_t in[40];
		size_t i;
		for (i = 0; i < len; i++)
			in[i] = (uint8_t)(i * 37 + len);
		http_b64_encode(in, len, enc);
		if (len == 0) {
			assert_string_equal(enc, "");
			continue;
		}
		assert_int_equal(b64(enc, out, &n), EGCA_OK);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
	}
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(http_utf8_valid("abc", 3));
	assert_true(http_utf8_valid("\xe5\xbc\xa0\xf0\x9f\x98\x80", 7));
	assert_false(http_utf8_valid("\xff", 1));
	assert_false(http_utf8_valid("\xc0\x80", 2));         /* overlong */
	assert_false(http_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(http_utf8_valid("\xf4\x90\x80\x80", 4)); /* > 10FFFF */
	assert_false(http_utf8_valid("\xe5\xbc", 2));         /* truncated */
	assert_false(http_utf8_valid("a\x01", 2));
	assert_false(http_utf8_valid("a\x7f", 2));
}

static void
test_path(void **state)
{
	char buf[64], *seg[3];
	size_t n;

	(void)state;
	n = 3;
	assert_int_equal(
	    http_path_split("root/ab%43/status", buf, sizeof(buf), seg, &n),
	    EGCA_OK);
	assert_int_equal(n, 3);
	assert_string_equal(seg[0], "root");
	assert_string_equal(seg[1], "abC");
	assert_string_equal(seg[2], "status");
	n = 3;
	assert_int_equal(
	    http_path_split("a//b", buf, sizeof(buf), seg, &n), EGCA_ERR_INPUT);
	n = 3;
	assert_int_equal(http_path_split("a/%2F", buf, sizeof(buf), seg, &n),
	    EGCA_ERR_INPUT);
	n = 2;
	assert_int_equal(http_path_split("a/b/c", buf, sizeof(buf), seg, &n),
	    EGCA_ERR_INPUT);
	n = 3;
	assert_int_equal(
	    http_path_split("a/", buf, sizeof(buf), seg, &n), EGCA_ERR_INPUT);
	n = 3;
	assert_int_equal(
	    http_path_split("%zz", buf, sizeof(buf), seg, &n), EGCA_ERR_INPUT);
	n = 3;
	assert_int_equal(http_path_split("aaaaaaaaaaaaaaaa", buf, 8, seg, &n),
	    EGCA_ERR_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pct),
	    cmocka_unit_test(test_b64),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
