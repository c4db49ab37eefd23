/*
 * Serial numbers (BR 7.1, reliability-scenarios §0.3): 100,000 serials
 * from egca_ca_new_serial are unique, positive, at most 20 octets once
 * DER-encoded, and every random bit position is balanced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egca/ca.h"

#define N 100000

static int
cmp(const void *a, const void *b)
{
	return memcmp(a, b, EGCA_SERIAL_LEN);
}

static void
test_serial_statistics(void **state)
{
	uint8_t(*s)[EGCA_SERIAL_LEN] = malloc((size_t)N * EGCA_SERIAL_LEN);
	long ones[EGCA_SERIAL_LEN * 8] = {0};
	char hex[41];
	size_t i, bit;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < N; i++) {
		assert_int_equal(egca_ca_new_serial(s[i]), EGCA_OK);
		/* Positive: the sign bit of the first octet is clear. */
		assert_int_equal(s[i][0] & 0x80, 0);
		egca_ca_serial_hex(s[i], EGCA_SERIAL_LEN, hex);
		assert_true(strlen(hex) <= 40);
		assert_true(strlen(hex) >= 8); /* GmSSL: at least 4 octets */
		for (bit = 0; bit < EGCA_SERIAL_LEN * 8; bit++)
			if (s[i][bit / 8] & (0x80 >> (bit % 8)))
				ones[bit]++;
	}
	/* Bit 0 is the sign bit; the other 127 are CSPRNG output. */
	assert_int_equal(ones[0], 0);
	for (bit = 1; bit < EGCA_SERIAL_LEN * 8; bit++) {
		/* mean 50,000, sd 158: 6 sd */
		if (labs(ones[bit] - N / 2) > 950)
			fail_msg(
			    "bit %zu set %ld times of %d", bit, ones[bit], N);
	}
	qsort(s, N, EGCA_SERIAL_LEN, cmp);
	for (i = 1; i < N; i++)
		assert_int_not_equal(
		    memcmp(s[i - 1], s[i], EGCA_SERIAL_LEN), 0);
	free(s);
}

static void
test_serial_hex_minimal(void **state)
{
	uint8_t a[4] = {0x00, 0x00, 0x12, 0x34};
	uint8_t z[2] = {0x00, 0x00};
	char hex[41];

	(void)state;
	egca_ca_serial_hex(a, sizeof(a), hex);
	assert_string_equal(hex, "1234");
	egca_ca_serial_hex(z, sizeof(z), hex);
	assert_string_equal(hex, "00");
}

static void
test_reason_parse(void **state)
{
	int r;

	(void)state;
	assert_int_equal(egca_ca_reason_parse("keyCompromise", &r), EGCA_OK);
	assert_int_equal(r, 1);
	assert_int_equal(egca_ca_reason_parse("superseded", &r), EGCA_OK);
	assert_int_equal(r, 4);
	assert_int_equal(egca_ca_reason_parse("10", &r), EGCA_OK);
	assert_int_equal(r, 10);
	assert_int_equal(egca_ca_reason_parse("7", &r), EGCA_ERR_USAGE);
	assert_int_equal(egca_ca_reason_parse("11", &r), EGCA_ERR_USAGE);
	assert_int_equal(egca_ca_reason_parse("bogus", &r), EGCA_ERR_USAGE);
	assert_string_equal(egca_ca_reason_name(6), "certificateHold");
	assert_string_equal(egca_ca_reason_name(7), "");
}

static void
test_name_check(void **state)
{
	(void)state;
	assert_int_equal(egca_ca_name_check("root"), EGCA_OK);
	assert_int_equal(egca_ca_name_check("zj-sm2-2026"), EGCA_OK);
	assert_int_equal(egca_ca_name_check(""), EGCA_ERR_USAGE);
	assert_int_equal(egca_ca_name_check("Root"), EGCA_ERR_USAGE);
	assert_int_equal(egca_ca_name_check("../x"), EGCA_ERR_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_serial_statistics),
	    cmocka_unit_test(test_serial_hex_minimal),
	    cmocka_unit_test(test_reason_parse),
	    cmocka_unit_test(test_name_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
