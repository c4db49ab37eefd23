/* Unit tests for src/http/query.c (query strings, integers, dates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egca/ca.h"
#include "egca/store.h"
#include "http/http_int.h"

static const char *const allowed[] = {
    "subject", "page", "per_page", "a", "b", NULL};

static enum egca_err
parse(const char *raw, struct http_query *q, char *bad)
{
	return http_query_parse(raw, allowed, q, bad, 72);
}

static void
test_parse_ok(void **state)
{
	struct http_query q;
	char bad[72];

	(void)state;
	assert_int_equal(
	    parse("subject=Zhang+San%20%E5%BC%A0&page=2", &q, bad), EGCA_OK);
	assert_int_equal(q.n, 2);
	assert_string_equal(
	    http_query_get(&q, "subject"), "Zhang San \xe5\xbc\xa0");
	assert_string_equal(http_query_get(&q, "page"), "2");
	assert_null(http_query_get(&q, "per_page"));
	/* Empty values, a bare name, stray '&'. */
	assert_int_equal(parse("a=&&b&", &q, bad), EGCA_OK);
	assert_int_equal(q.n, 2);
	assert_string_equal(http_query_get(&q, "a"), "");
	assert_string_equal(http_query_get(&q, "b"), "");
	assert_int_equal(parse(NULL, &q, bad), EGCA_OK);
	assert_int_equal(q.n, 0);
	assert_int_equal(parse("", &q, bad), EGCA_OK);
	/* '=' inside a value is data. */
	assert_int_equal(parse("a=x=y", &q, bad), EGCA_OK);
	assert_string_equal(http_query_get(&q, "a"), "x=y");
}

static void
test_parse_bad(void **state)
{
	struct http_query q;
	char bad[72], *big;
	size_t i;

	(void)state;
	assert_int_equal(parse("colour=red", &q, bad), EGCA_ERR_INPUT);
	assert_string_equal(bad, "colour");
	assert_int_equal(parse("a=1&a=2", &q, bad), EGCA_ERR_INPUT);
	assert_string_equal(bad, "a");
	assert_int_equal(parse("a=%zz", &q, bad), EGCA_ERR_INPUT);
	assert_string_equal(bad, "a");
	assert_int_equal(parse("a=%4", &q, bad), EGCA_ERR_INPUT);
	assert_int_equal(parse("a=%", &q, bad), EGCA_ERR_INPUT);
	assert_int_equal(parse("a=x%00y", &q, bad), EGCA_ERR_INPUT);
	assert_int_equal(parse("a=%ff", &q, bad), EGCA_ERR_INPUT); /* UTF-8 */
	assert_int_equal(
	    parse("a=%c0%80", &q, bad), EGCA_ERR_INPUT); /* overlong */
	assert_int_equal(parse("a=%0a", &q, bad), EGCA_ERR_INPUT); /* control */
	assert_int_equal(parse("=1", &q, bad), EGCA_ERR_INPUT);
	/* An encoded name is decoded before the check. */
	assert_int_equal(parse("%61=1", &q, bad), EGCA_OK);
	assert_string_equal(http_query_get(&q, "a"), "1");
	/* Length caps. */
	big = malloc(HTTP_QUERY_MAX_LEN + 10);
	assert_non_null(big);
	memcpy(big, "a=", 2);
	for (i = 2; i < HTTP_QUERY_MAX_LEN + 5; i++)
		big[i] = 'x';
	big[i] = '\0';
	assert_int_equal(parse(big, &q, bad), EGCA_ERR_INPUT);
	big[HTTP_QUERY_MAX_VALUE + 3] = '\0';
	assert_int_equal(parse(big, &q, bad), EGCA_ERR_INPUT);
	big[HTTP_QUERY_MAX_VALUE + 2] = '\0';
	assert_int_equal(parse(big, &q, bad), EGCA_OK);
	free(big);
}

static void
test_too_many(void **state)
{
	static const char *const any[] = {"p0", "p1", "p2", "p3", "p4", "p5",
	    "p6", "p7", "p8", "p9", "q0", "q1", "q2", "q3", "q4", "q5", "q6",
	    "q7", "q8", "q9", "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
	    "r8", "r9", "s0", "s1", "s2", NULL};
	struct http_query q;
	char raw[512], bad[72];
	size_t i, n = 0;

	(void)state;
	for (i = 0; any[i] != NULL; i++)
		n += (size_t)snprintf(
		    raw + n, sizeof(raw) - n, "%s%s=1", i ? "&" : "", any[i]);
	assert_int_equal(
	    http_query_parse(raw, any, &q, bad, sizeof(bad)), EGCA_ERR_INPUT);
}

static void
test_int(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(http_parse_int("42", 1, 100, &v), EGCA_OK);
	assert_int_equal(v, 42);
	assert_int_equal(http_parse_int("0", 1, 100, &v), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_int("101", 1, 100, &v), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_int("-1", -5, 100, &v), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_int("+1", 1, 100, &v), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_int(" 1", 1, 100, &v), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_int("1e2", 1, 1000, &v), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_int("0x10", 1, 100, &v), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_int("", 0, 100, &v), EGCA_ERR_INPUT);
	assert_int_equal(
	    http_parse_int("99999999999999999999", 0, INT64_MAX, &v),
	    EGCA_ERR_INPUT);
}

static void
test_date(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(http_parse_date("1970-01-01", 0, &t), EGCA_OK);
	assert_int_equal(t, 0);
	assert_int_equal(http_parse_date("2026-11-25", 0, &t), EGCA_OK);
	assert_int_equal(t, 1795564800);
	assert_int_equal(http_parse_date("2026-11-25", 1, &t), EGCA_OK);
	assert_int_equal(t, 1795564800 + 86400);
	assert_int_equal(
	    http_parse_date("2026-11-25T10:00:01Z", 1, &t), EGCA_OK);
	assert_int_equal(t, 1795564800 + 36001);
	assert_int_equal(http_parse_date("2024-02-29", 0, &t), EGCA_OK);
	assert_int_equal(http_parse_date("2026-02-29", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_date("2100-02-29", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_date("2000-02-29", 0, &t), EGCA_OK);
	assert_int_equal(http_parse_date("2026-13-01", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_date("2026-04-31", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_date("2026-1-01", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_date("1969-12-31", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(
	    http_parse_date("2026-11-25T24:00:00Z", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(
	    http_parse_date("2026-11-25T10:00:00", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(
	    http_parse_date("2026-11-25 10:00:00Z", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_date("yesterday", 0, &t), EGCA_ERR_INPUT);
	assert_int_equal(http_parse_date("", 0, &t), EGCA_ERR_INPUT);
}

static void
test_serial(void **state)
{
	char s[41];

	(void)state;
	assert_int_equal(egca_ca_serial_parse("00:AB:cd", s), EGCA_OK);
	assert_string_equal(s, "abcd");
	assert_int_equal(egca_ca_serial_parse("00", s), EGCA_OK);
	assert_string_equal(s, "00");
	assert_int_equal(egca_ca_serial_parse("abc", s), EGCA_ERR_INPUT);
	assert_int_equal(egca_ca_serial_parse("", s), EGCA_ERR_INPUT);
	assert_int_equal(egca_ca_serial_parse("zz", s), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_ca_serial_parse("0102030405060708091011121314151617"
	                         "18192021",
	        s),
	    EGCA_ERR_INPUT);
}

static void
test_search_query(void **state)
{
	static const struct egca_http_caller anyone = {
	    "t", "reader", NULL, NULL};
	static const struct egca_http_caller zj = {"t", "reader", "33", NULL};
	static const struct egca_principal dept_p = {.name = "d",
	    .actor = "operator:d",
	    .roles = EGCA_ROLE_DEPT_VIEWER,
	    .department = "Finance Bureau"};
	static const struct egca_principal both_p = {.name = "b",
	    .actor = "operator:b",
	    .roles = EGCA_ROLE_DEPT_VIEWER | EGCA_ROLE_RA_REVIEWER,
	    .department = "Finance Bureau"};
	static const struct egca_http_caller dept = {
	    "operator:d", "dept-viewer", NULL, &dept_p};
	static const struct egca_http_caller both = {
	    "operator:b", "ra-reviewer,dept-viewer", NULL, &both_p};
	struct http_req r;
	struct http_resp out;
	struct http_query p;
	struct egca_cert_query q;
	char serial[41], bad[72];
	int64_t page, per_page;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	assert_int_equal(http_query_parse("region=3301&sort=-issued_at&page=3&"
	                                  "per_page=10&serial=0A0B&status=hold",
	                     http_search_params, &p, bad, sizeof(bad)),
	    EGCA_OK);
	assert_int_equal(http_search_query(&r, &anyone, &p, &q, serial, 1000,
	                     &page, &per_page, &out),
	    EGCA_OK);
	assert_string_equal(q.region, "3301");
	assert_int_equal(q.sort, EGCA_CERT_SORT_ISSUED_DESC);
	assert_int_equal(q.offset, 20);
	assert_int_equal(q.limit, 10);
	assert_string_equal(q.serial, "0a0b");
	assert_string_equal(q.status, "hold");
	/* A region-scoped caller is held to its region. */
	assert_int_equal(http_search_query(&r, &zj, &p, &q, serial, 1000, &page,
	                     &per_page, &out),
	    EGCA_OK);
	assert_int_equal(http_query_parse("region=11", http_search_params, &p,
	                     bad, sizeof(bad)),
	    EGCA_OK);
	assert_int_equal(http_search_query(&r, &zj, &p, &q, serial, 1000, &page,
	                     &per_page, &out),
	    EGCA_ERR_AUTH);
	assert_int_equal(out.status, 403);
	http_resp_clear(&out);
	assert_int_equal(
	    http_query_parse(NULL, http_search_params, &p, bad, sizeof(bad)),
	    EGCA_OK);
	assert_int_equal(http_search_query(&r, &zj, &p, &q, serial, 1000, &page,
	                     &per_page, &out),
	    EGCA_OK);
	assert_string_equal(q.region, "33");
	assert_null(q.department);
	/* A department viewer sees its department only; another role
	 * beside it is not confined. */
	assert_int_equal(http_search_query(&r, &dept, &p, &q, serial, 1000,
	                     &page, &per_page, &out),
	    EGCA_OK);
	assert_string_equal(q.department, "Finance Bureau");
	assert_int_equal(http_search_query(&r, &both, &p, &q, serial, 1000,
	                     &page, &per_page, &out),
	    EGCA_OK);
	assert_null(q.department);
	/* Bad values answer a problem naming the parameter. */
	assert_int_equal(http_query_parse("per_page=1001", http_search_params,
	                     &p, bad, sizeof(bad)),
	    EGCA_OK);
	assert_int_equal(http_search_query(&r, &anyone, &p, &q, serial, 1000,
	                     &page, &per_page, &out),
	    EGCA_ERR_INPUT);
	assert_int_equal(out.status, 400);
	assert_non_null(
	    strstr((const char *)out.body, "\"param\":\"per_page\""));
	http_resp_clear(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_date),
	    cmocka_unit_test(test_serial),
	    cmocka_unit_test(test_search_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
