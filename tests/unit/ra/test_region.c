/*
 * GB/T 2260 regions (src/ra/region.c): the shipped data file parses
 * line by line into the embedded table, names are right, and scope
 * containment works on province and prefecture prefixes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egca/file.h"
#include "egca/ra.h"

#define THREADS 8

static void *
lookup_thread(void *arg)
{
	const char *name = egca_ra_region_name("440300");

	*(int *)arg = name != NULL && strcmp(name, "深圳市") == 0 &&
	    egca_ra_region_count() > 3000;
	return NULL;
}

/* First in the run: the table is built by whichever thread comes first. */
static void
test_first_use_concurrent(void **state)
{
	pthread_t t[THREADS];
	int ok[THREADS], i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, lookup_thread, &ok[i]), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(ok[i]);
	}
}

/*
 * Every line of data/gb2260.tsv is "CODE<TAB>NAME" with six digits and
 * a name, codes strictly ascending, and each is listed with that name.
 */
static void
test_data_file(void **state)
{
	const char *src = getenv("EGCA_SOURCE_DIR");
	char *path, *p, *nl, *tab, code[7];
	uint8_t *data;
	size_t len, lines = 0, i;
	const char *name;

	(void)state;
	path = egca_file_join(src ? src : EGCA_SOURCE_DIR, "data/gb2260.tsv");
	assert_non_null(path);
	assert_int_equal(egca_file_read(path, 1 << 20, &data, &len), EGCA_OK);
	free(path);
	assert_true(len > 0);
	assert_int_equal(data[len - 1], '\n');
	code[0] = '\0';
	for (p = (char *)data; p < (char *)data + len; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		*nl = '\0';
		tab = strchr(p, '\t');
		if (tab == NULL || tab - p != 6 || tab[1] == '\0' ||
		    strchr(tab + 1, '\t') != NULL || strchr(p, '\r') != NULL)
			fail_msg("line %zu: \"%s\" is not CODE<TAB>NAME",
			    lines + 1, p);
		for (i = 0; i < 6; i++)
			if (p[i] < '0' || p[i] > '9')
				fail_msg(
				    "line %zu: code \"%.6s\"", lines + 1, p);
		if (lines > 0 && memcmp(code, p, 6) >= 0)
			fail_msg(
			    "line %zu: %.6s not after %s", lines + 1, p, code);
		memcpy(code, p, 6);
		code[6] = '\0';
		if (egca_ra_region_check(code) != EGCA_OK)
			fail_msg("line %zu: %s refused: %s", lines + 1, code,
			    egca_err_detail());
		name = egca_ra_region_name(code);
		if (name == NULL || strcmp(name, tab + 1) != 0)
			fail_msg("line %zu: %s is \"%s\", file says \"%s\"",
			    lines + 1, code, name ? name : "(null)", tab + 1);
		lines++;
	}
	free(data);
	assert_int_equal(egca_ra_region_count(), lines);
	assert_true(lines > 3000);
}

static void
test_names(void **state)
{
	static const char *const pairs[][2] = {
	    {"110000", "北京市"},
	    {"110105", "朝阳区"},
	    {"220104", "朝阳区"},
	    {"310000", "上海市"},
	    {"310115", "浦东新区"},
	    {"440000", "广东省"},
	    {"440300", "深圳市"},
	    {"440305", "南山区"},
	    {"429004", "仙桃市"},
	    {"650000", "新疆维吾尔自治区"},
	    {"710000", "台湾省"},
	    {"810000", "香港特别行政区"},
	    {"820000", "澳门特别行政区"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *name = egca_ra_region_name(pairs[i][0]);
		if (name == NULL || strcmp(name, pairs[i][1]) != 0)
			fail_msg("%s: \"%s\", expected \"%s\"", pairs[i][0],
			    name ? name : "(null)", pairs[i][1]);
		assert_int_equal(egca_ra_region_check(pairs[i][0]), EGCA_OK);
	}
}

static void
test_check_refuses(void **state)
{
	static const struct {
		const char *code;
		const char *rule;
	} bad[] = {
	    {NULL, "region: missing"}, {"", "region: missing"},
	    {"11000", "region: must be six digits"},
	    {"1100000", "region: must be six digits"},
	    {"11000a", "region: must be six digits"},
	    {" 11000", "region: must be six digits"},
	    {"１１００００", "region: must be six digits"},
	    {"110100", "region: 110100 is not a listed"}, /* no such line */
	    {"999999", "region: 999999 is not a listed"},
	    {"000000", "region: 000000 is not a listed"},
	    {"330103", "region: 330103 is not a listed"}, /* retired 2021 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum egca_err e = egca_ra_region_check(bad[i].code);
		if (e != EGCA_ERR_INPUT ||
		    strncmp(egca_err_detail(), bad[i].rule,
		        strlen(bad[i].rule)) != 0)
			fail_msg("%s: %s \"%s\", expected \"%s\"",
			    bad[i].code ? bad[i].code : "(null)",
			    egca_err_name(e), egca_err_detail(), bad[i].rule);
		assert_null(egca_ra_region_name(bad[i].code));
	}
}

static void
test_within(void **state)
{
	(void)state;
	assert_true(egca_ra_region_within("110105", "110000"));
	assert_true(egca_ra_region_within("110105", "110100"));
	assert_true(egca_ra_region_within("110105", "110105"));
	assert_false(egca_ra_region_within("110105", "120000"));
	assert_false(egca_ra_region_within("110105", "110200"));
	assert_false(egca_ra_region_within("110105", "110106"));
	assert_true(egca_ra_region_within("440305", "440300"));
	assert_true(egca_ra_region_within("440305", "440000"));
	assert_false(egca_ra_region_within("440305", "440100"));
	assert_true(egca_ra_region_within("429004", "420000"));
	/* A province is not within one of its prefectures. */
	assert_true(egca_ra_region_within("110000", "110000"));
	assert_false(egca_ra_region_within("110000", "110100"));
	assert_false(egca_ra_region_within("440300", "440305"));
	/* Malformed codes are within nothing. */
	assert_false(egca_ra_region_within(NULL, "110000"));
	assert_false(egca_ra_region_within("110105", NULL));
	assert_false(egca_ra_region_within("11010", "110000"));
	assert_false(egca_ra_region_within("1101050", "110000"));
	assert_false(egca_ra_region_within("110105", "11"));
	assert_false(egca_ra_region_within("11010x", "110000"));
	assert_false(egca_ra_region_within("", ""));
}

static void
test_province(void **state)
{
	char out[7];

	(void)state;
	memset(out, 'z', sizeof(out));
	egca_ra_region_province("440305", out);
	assert_string_equal(out, "440000");
	egca_ra_region_province("110000", out);
	assert_string_equal(out, "110000");
	memset(out, 'z', sizeof(out));
	egca_ra_region_province("65", out);
	assert_string_equal(out, "650000");
	egca_ra_region_province("x10105", out);
	assert_string_equal(out, "");
	egca_ra_region_province("1", out);
	assert_string_equal(out, "");
	egca_ra_region_province(NULL, out);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_use_concurrent),
	    cmocka_unit_test(test_data_file),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_check_refuses),
	    cmocka_unit_test(test_within),
	    cmocka_unit_test(test_province),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
