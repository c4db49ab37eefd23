/*
 * Fuzz target for identity numbers and regions (src/ra/ident.c,
 * src/ra/region.c): the input, as a bounded NUL-terminated string, goes
 * to the three number checks and the region functions. Properties
 * checked beyond "no crash": a refusal is always EGCA_ERR_INPUT, an
 * accepted value has the shape its standard gives it, and a listed
 * region has a name and lies within its own province.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egca/ra.h"

/* 2026-06-01 00:00:00 China Standard Time. */
#define NOW INT64_C(1780243200)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
expect_ok_or_input(enum egca_err e)
{
	if (e != EGCA_OK && e != EGCA_ERR_INPUT)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64], prov[7];
	const char *name;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1, len;
	enum egca_err e;

	memcpy(s, data, n);
	s[n] = '\0';
	len = strlen(s);

	e = egca_ra_uscc_check(s);
	expect_ok_or_input(e);
	if (e == EGCA_OK && len != 18)
		__builtin_trap();
	e = egca_ra_orgcode_check(s);
	expect_ok_or_input(e);
	if (e == EGCA_OK && len != 9 && len != 10)
		__builtin_trap();
	e = egca_ra_idcard_check(s, NOW);
	expect_ok_or_input(e);
	if (e == EGCA_OK && len != 18)
		__builtin_trap();

	e = egca_ra_region_check(s);
	expect_ok_or_input(e);
	name = egca_ra_region_name(s);
	if ((e == EGCA_OK) != (name != NULL))
		__builtin_trap();
	egca_ra_region_province(s, prov);
	if (e == EGCA_OK &&
	    (!egca_ra_region_within(s, prov) || !egca_ra_region_within(s, s)))
		__builtin_trap();
	/* The second half of the input as a scope for the first. */
	if (len >= 12) {
		char code[7], scope[7];
		memcpy(code, s, 6);
		code[6] = '\0';
		memcpy(scope, s + 6, 6);
		scope[6] = '\0';
		(void)egca_ra_region_within(code, scope);
	}
	return 0;
}
