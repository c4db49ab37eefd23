/* Unit tests for src/http/problem.c and router.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_int.h"

static void
test_problem_json(void **state)
{
	struct http_req r;
	struct http_resp out;
	json_t *j;
	json_error_t err;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	r.path = "/api/v1/certificates";
	r.rid = "abc-1";
	http_problem(&out, &r, 400, "EGCA-BAD-PARAM", "page",
	    "parameter '%s': %s", "page", "expected an integer");
	assert_int_equal(out.status, 400);
	assert_string_equal(out.ctype, "application/problem+json");
	j = json_loadb(
	    (const char *)out.body, out.len, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "code")), "EGCA-BAD-PARAM");
	assert_string_equal(
	    json_string_value(json_object_get(j, "param")), "page");
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "urn:egca:problem:EGCA-BAD-PARAM");
	assert_string_equal(
	    json_string_value(json_object_get(j, "title")), "Bad Request");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 400);
	assert_string_equal(json_string_value(json_object_get(j, "instance")),
	    "/api/v1/certificates");
	assert_string_equal(
	    json_string_value(json_object_get(j, "request_id")), "abc-1");
	json_decref(j);
	http_resp_clear(&out);

	/* Internal details stay in the log, not in a 5xx body. */
	egca_err_set(EGCA_ERR_STORE, "SELECT secret FROM x failed");
	http_problem_err(&out, &r, EGCA_ERR_STORE);
	assert_int_equal(out.status, 503);
	assert_null(strstr((const char *)out.body, "secret"));
	http_resp_clear(&out);
	egca_err_set(EGCA_ERR_NOTFOUND, "no certificate 01 of CA root");
	http_problem_err(&out, &r, EGCA_ERR_NOTFOUND);
	assert_int_equal(out.status, 404);
	assert_non_null(strstr((const char *)out.body, "EGCA-NOT-FOUND"));
	http_resp_clear(&out);
}

/* Service errors map to stable statuses and codes (docs/api.md). */
static void
test_problem_err_map(void **state)
{
	static const struct {
		enum egca_err e;
		unsigned status;
		const char *code;
	} map[] = {
	    {EGCA_ERR_AUTH, 401, "EGCA-UNAUTHENTICATED"},
	    {EGCA_ERR_POLICY, 403, "EGCA-FORBIDDEN"},
	    {EGCA_ERR_STATE, 409, "EGCA-STATE"},
	    {EGCA_ERR_EXISTS, 409, "EGCA-EXISTS"},
	    {EGCA_ERR_CONFLICT, 409, "EGCA-CONFLICT"},
	    {EGCA_ERR_NOTFOUND, 404, "EGCA-NOT-FOUND"},
	    {EGCA_ERR_INPUT, 400, "EGCA-BAD-REQUEST"},
	    {EGCA_ERR_STORE, 503, "EGCA-UNAVAILABLE"},
	    {EGCA_ERR_NOMEM, 503, "EGCA-UNAVAILABLE"},
	    {EGCA_ERR_CRYPTO, 500, "EGCA-INTERNAL"},
	};
	struct http_req r;
	struct http_resp out;
	char want[64];
	size_t i, k;
	int www;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	r.rid = "abc-2";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		egca_err_set(map[i].e, "detail %zu", i);
		http_problem_err(&out, &r, map[i].e);
		assert_int_equal(out.status, map[i].status);
		snprintf(want, sizeof(want), "\"code\":\"%s\"", map[i].code);
		assert_non_null(strstr((const char *)out.body, want));
		/* 401 names the scheme to authenticate with. */
		for (www = 0, k = 0; k < out.nhdr; k++)
			if (strcmp(out.hdr[k].name, "WWW-Authenticate") == 0)
				www = 1;
		assert_int_equal(www, map[i].status == 401);
		/* Client errors say why; server errors do not. */
		if (map[i].status < 500)
			assert_non_null(
			    strstr((const char *)out.body, "detail "));
		else
			assert_null(strstr((const char *)out.body, "detail "));
		http_resp_clear(&out);
	}
}

static void
test_etag(void **state)
{
	const char *e = "\"sm3-ab\"";

	(void)state;
	assert_true(http_etag_match("\"sm3-ab\"", e));
	assert_true(http_etag_match("\"x\", \"sm3-ab\"", e));
	assert_true(http_etag_match("W/\"sm3-ab\"", e));
	assert_true(http_etag_match("*", e));
	assert_false(http_etag_match("\"sm3-a\"", e));
	assert_false(http_etag_match("\"sm3-abc\"", e));
	assert_false(http_etag_match("", e));
	assert_false(http_etag_match(NULL, e));
	assert_false(http_etag_match("\"sm3-ab\"", ""));
}

static void
test_cache(void **state)
{
	struct http_resp out;
	size_t i;
	int seen = 0;

	(void)state;
	memset(&out, 0, sizeof(out));
	http_resp_cache(&out, 1000, 900, 4600, "\"e\"");
	for (i = 0; i < out.nhdr; i++) {
		if (strcmp(out.hdr[i].name, "Cache-Control") == 0) {
			assert_string_equal(out.hdr[i].value,
			    "max-age=3600, public, no-transform, "
			    "must-revalidate");
			seen |= 1;
		}
		if (strcmp(out.hdr[i].name, "Last-Modified") == 0) {
			assert_string_equal(
			    out.hdr[i].value, "Thu, 01 Jan 1970 00:15:00 GMT");
			seen |= 2;
		}
		if (strcmp(out.hdr[i].name, "ETag") == 0)
			seen |= 4;
		if (strcmp(out.hdr[i].name, "Expires") == 0)
			seen |= 8;
	}
	assert_int_equal(seen, 15);
	/* Past nextUpdate: max-age=0. */
	memset(&out, 0, sizeof(out));
	http_resp_cache(&out, 5000, 900, 4600, NULL);
	assert_string_equal(out.hdr[0].value,
	    "max-age=0, public, no-transform, must-revalidate");
}

static void
test_routes(void **state)
{
	const struct http_route *rt;
	const char *rest, *allow;
	unsigned st;

	(void)state;
	rt = http_route_find("GET", "/ocsp/MEow", &rest, &st, &allow);
	assert_non_null(rt);
	assert_string_equal(rt->name, "ocsp_get");
	assert_string_equal(rest, "MEow");
	rt = http_route_find("POST", "/ocsp", &rest, &st, &allow);
	assert_non_null(rt);
	assert_string_equal(rt->name, "ocsp_post");
	rt =
	    http_route_find("HEAD", "/api/v1/certificates", &rest, &st, &allow);
	assert_non_null(rt);
	assert_string_equal(rt->name, "api_certs");
	rt = http_route_find(
	    "GET", "/api/v1/certificates/root/01", &rest, &st, &allow);
	assert_non_null(rt);
	assert_string_equal(rt->name, "api_cert");
	assert_string_equal(rest, "root/01");
	assert_null(http_route_find(
	    "GET", "/api/v1/certificatesX", &rest, &st, &allow));
	assert_int_equal(st, 404);
	assert_null(http_route_find("GET", "/crl/", &rest, &st, &allow));
	assert_int_equal(st, 404);
	assert_null(http_route_find("DELETE", "/healthz", &rest, &st, &allow));
	assert_int_equal(st, 405);
	assert_string_equal(allow, "GET, HEAD");
	assert_null(http_route_find("GET", "/ocsp", &rest, &st, &allow));
	assert_int_equal(st, 405);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_problem_json),
	    cmocka_unit_test(test_problem_err_map),
	    cmocka_unit_test(test_etag),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
