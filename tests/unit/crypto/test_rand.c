/* Unit tests for src/crypto/rand.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "egca/buf.h"
#include "egca/crypto.h"

static void
test_rand(void **state)
{
	uint8_t a[32], b[32], z[32];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(z, 0, sizeof(z));
	assert_int_equal(egca_crypto_rand(a, sizeof(a)), EGCA_OK);
	assert_int_equal(egca_crypto_rand(b, sizeof(b)), EGCA_OK);
	assert_memory_not_equal(a, z, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(egca_crypto_rand(a, 0), EGCA_OK);
}

static void
hex_equal(const uint8_t *d, size_t len, const char *want)
{
	char hex[129];

	egca_hex_encode(d, len, hex);
	assert_string_equal(hex, want);
}

/* GB/T 32905 A.1, FIPS 180-2 "abc" and empty-string vectors. */
static void
test_digests(void **state)
{
	uint8_t d[32];

	(void)state;
	assert_int_equal(egca_crypto_sm3("abc", 3, d), EGCA_OK);
	hex_equal(d, 32,
	    "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
	assert_int_equal(egca_crypto_sha256("abc", 3, d), EGCA_OK);
	hex_equal(d, 32,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(egca_crypto_sha1("abc", 3, d), EGCA_OK);
	hex_equal(d, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_int_equal(egca_crypto_sha256("", 0, d), EGCA_OK);
	hex_equal(d, 32,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rand),
	    cmocka_unit_test(test_digests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
