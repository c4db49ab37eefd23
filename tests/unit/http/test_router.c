/*
 * Unit tests for src/http/router.c: exact, pattern and prefix routes,
 * captured segments, 405 with Allow, and path variants that must reach
 * no route rather than a more permissive one. Also checks the table
 * against the policy table (every route has a rule; no two routes of
 * one method can match the same path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egca/auth.h"
#include "http/http_int.h"

/* The route name for method and path, or "404" / "405". */
static const char *
route(const char *method, const char *path, struct http_req *r)
{
	const struct http_route *rt;
	unsigned status;
	const char *allow;

	memset(r, 0, sizeof(*r));
	rt = http_route_match(method, path, r, &status, &allow);
	if (rt != NULL)
		return rt->name;
	if (status == 405) {
		assert_non_null(allow);
		return "405";
	}
	assert_int_equal(status, 404);
	return "404";
}

static void
test_exact_and_prefix(void **state)
{
	struct http_req r;

	(void)state;
	assert_string_equal(route("GET", "/healthz", &r), "healthz");
	assert_string_equal(route("HEAD", "/healthz", &r), "healthz");
	assert_string_equal(route("POST", "/ocsp", &r), "ocsp_post");
	assert_string_equal(route("GET", "/ocsp/MEMwQT", &r), "ocsp_get");
	assert_string_equal(r.rest, "MEMwQT");
	assert_string_equal(route("GET", "/crl/root.crl", &r), "crl");
	assert_string_equal(r.rest, "root.crl");
	/* A prefix route needs something after its slash. */
	assert_string_equal(route("GET", "/crl/", &r), "404");
	assert_string_equal(
	    route("GET", "/api/v1/certificates", &r), "api_certs");
	assert_string_equal(
	    route("GET", "/api/v1/certificates/root/01/status", &r),
	    "api_cert");
	assert_string_equal(r.rest, "root/01/status");
	/* Exact and pattern share a path prefix but not a segment count. */
	assert_string_equal(
	    route("POST", "/api/v1/session", &r), "session_login");
	assert_string_equal(route("GET", "/api/v1/session", &r), "session_get");
	assert_string_equal(
	    route("POST", "/api/v1/session/logout", &r), "session_logout");
	assert_string_equal(
	    route("GET", "/api/v1/audit/export", &r), "audit_export");
	assert_string_equal(route("GET", "/nothing", &r), "404");
	assert_string_equal(route("GET", "/", &r), "404");
}

static void
test_pattern_params(void **state)
{
	struct http_req r;

	(void)state;
	assert_string_equal(
	    route("GET", "/api/v1/operators/alice", &r), "operator_get");
	assert_int_equal(r.nparam, 1);
	assert_string_equal(r.param[0], "alice");
	assert_string_equal(route("POST", "/api/v1/operators/alice/roles", &r),
	    "operator_roles");
	assert_string_equal(r.param[0], "alice");
	assert_string_equal(
	    route("POST", "/api/v1/tokens/0123456789abcdef/revoke", &r),
	    "token_revoke");
	assert_string_equal(r.param[0], "0123456789abcdef");
	/* Two captures, decoded. */
	assert_string_equal(
	    route("GET", "/api/v1/applications/a%62c/materials/x%20y", &r),
	    "material_get");
	assert_int_equal(r.nparam, 2);
	assert_string_equal(r.param[0], "abc");
	assert_string_equal(r.param[1], "x y");
	/* UTF-8 is fine; '+' is not a space in a path. */
	assert_string_equal(
	    route("GET", "/api/v1/operators/%E5%BC%A0+1", &r), "operator_get");
	assert_string_equal(r.param[0], "\xe5\xbc\xa0+1");
	/* An exact route is not shadowed by a pattern of its own length. */
	assert_string_equal(
	    route("GET", "/api/v1/operators", &r), "operator_list");
	assert_int_equal(r.nparam, 0);
}

static void
test_bad_captures(void **state)
{
	struct http_req r;
	char big[600];

	(void)state;
	/* Empty, dot segments (raw or encoded), encoded '/', bad escapes,
	 * NUL, control characters, invalid UTF-8: no route. */
	assert_string_equal(route("GET", "/api/v1/operators/", &r), "404");
	assert_string_equal(
	    route("POST", "/api/v1/operators//roles", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/.", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/..", &r), "404");
	assert_string_equal(
	    route("GET", "/api/v1/operators/%2e%2E", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/a%2Fb", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/a%zz", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/a%4", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/a%00", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/a%0a", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/a%7f", &r), "404");
	assert_string_equal(route("GET", "/api/v1/operators/%ff", &r), "404");
	/* Too long for the parameter buffer. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "/api/v1/operators/", 18);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(route("GET", big, &r), "404");
	/* More segments than the pattern. */
	assert_string_equal(
	    route("GET", "/api/v1/operators/alice/x/y", &r), "404");
}

/* Variants of a protected path: no route, or the very same one. */
static void
test_variants(void **state)
{
	static const char *const variants[] = {
	    "/api/v1/operators/",
	    "/API/v1/operators",
	    "/api/V1/operators",
	    "/api/v1/Operators",
	    "/api/v1/%6fperators",
	    "/api/v1/%6Fperators",
	    "/api%2fv1/operators",
	    "/api/v1/./operators",
	    "/api/v1/x/../operators",
	    "/api/v1/%2e/operators",
	    "//api/v1/operators",
	    "/api//v1/operators",
	    "/./api/v1/operators",
	    "/api/v1/operators;x",
	    "/api/v1/operators.json",
	    "/api/v1/operators%20",
	    "/api/v1/operators%00",
	};
	struct http_req r;
	size_t i;
	const char *got;

	(void)state;
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		got = route("GET", variants[i], &r);
		if (strcmp(got, "404") != 0 &&
		    strcmp(got, "operator_list") != 0 &&
		    strcmp(got, "operator_get") != 0)
			fail_msg("%s reached %s", variants[i], got);
		got = route("POST", variants[i], &r);
		if (strcmp(got, "404") != 0 &&
		    strcmp(got, "operator_create") != 0 &&
		    strcmp(got, "405") != 0)
			fail_msg("POST %s reached %s", variants[i], got);
	}
	/* A public prefix route never hands a path to another route. */
	assert_string_equal(
	    route("GET", "/certs/../api/v1/operators", &r), "repo_cert");
	assert_string_equal(r.rest, "../api/v1/operators");
}

static void
test_methods(void **state)
{
	struct http_req r;
	const struct http_route *rt;
	unsigned status;
	const char *allow;

	(void)state;
	rt = http_route_match(
	    "DELETE", "/api/v1/operators/alice", &r, &status, &allow);
	assert_null(rt);
	assert_int_equal(status, 405);
	assert_string_equal(allow, "GET, HEAD");
	rt = http_route_match("PUT", "/api/v1/tokens", &r, &status, &allow);
	assert_null(rt);
	assert_int_equal(status, 405);
	assert_string_equal(allow, "GET, HEAD, POST");
	rt = http_route_match(
	    "GET", "/api/v1/tokens/abc/revoke", &r, &status, &allow);
	assert_null(rt);
	assert_int_equal(status, 405);
	assert_string_equal(allow, "POST");
	rt = http_route_match("GET", "/ocsp", &r, &status, &allow);
	assert_null(rt);
	assert_int_equal(status, 405);
	assert_string_equal(allow, "GET, HEAD, POST");
	/* Methods are case-sensitive (RFC 9110 9.1). */
	rt = http_route_match("get", "/healthz", &r, &status, &allow);
	assert_null(rt);
	assert_int_equal(status, 405);
	rt = http_route_match("DELETE", "/nothing", &r, &status, &allow);
	assert_null(rt);
	assert_int_equal(status, 404);
	assert_null(allow);
}

/* Two paths (raw patterns) that one request path could match both. */
static int
overlap(const char *a, const char *b)
{
	const char *p = a, *q = b;
	size_t pl, ql;

	for (;;) {
		p += *p == '/';
		q += *q == '/';
		pl = strcspn(p, "/");
		ql = strcspn(q, "/");
		if (!(pl == 1 && p[0] == '*') && !(ql == 1 && q[0] == '*') &&
		    (pl != ql || memcmp(p, q, pl) != 0))
			return 0;
		p += pl;
		q += ql;
		if (*p == '\0' || *q == '\0')
			return *p == '\0' && *q == '\0';
	}
}

static void
test_table(void **state)
{
	size_t i, j, n;
	const struct http_route *a, *b;

	(void)state;
	for (i = 0; i < http_nroutes; i++) {
		a = &http_routes[i];
		if (egca_policy_find(a->name) == NULL)
			fail_msg("route %s has no policy rule", a->name);
		assert_true(strcmp(a->method, "GET") == 0 ||
		    strcmp(a->method, "POST") == 0);
		assert_true(a->path[0] == '/');
		/* '*' only as a whole segment, not in a prefix route. */
		for (j = 0; a->path[j] != '\0'; j++)
			if (a->path[j] == '*')
				assert_true(a->path[j - 1] == '/' &&
				    (a->path[j + 1] == '/' ||
				        a->path[j + 1] == '\0'));
		n = strlen(a->path);
		if (a->path[n - 1] == '/')
			assert_null(strchr(a->path, '*'));
		for (j = i + 1; j < http_nroutes; j++) {
			b = &http_routes[j];
			if (strcmp(a->name, b->name) == 0)
				fail_msg("route name %s twice", a->name);
			if (strcmp(a->method, b->method) != 0)
				continue;
			if (strcmp(a->path, b->path) == 0)
				fail_msg(
				    "%s and %s: same path", a->name, b->name);
			/* Same kind, ambiguous: table order would decide. */
			if (strchr(a->path, '*') != NULL &&
			    strchr(b->path, '*') != NULL &&
			    overlap(a->path, b->path))
				fail_msg("%s and %s overlap", a->name, b->name);
		}
	}
	/* Every route actually reaches itself. */
	for (i = 0; i < http_nroutes; i++) {
		char path[256], *s;
		struct http_req r;
		unsigned status;
		const char *allow;

		a = &http_routes[i];
		strcpy(path, a->path);
		while ((s = strchr(path, '*')) != NULL)
			*s = 'x';
		if (path[strlen(path) - 1] == '/')
			strcat(path, "x");
		memset(&r, 0, sizeof(r));
		b = http_route_match(a->method, path, &r, &status, &allow);
		if (b != a)
			fail_msg("%s %s reaches %s", a->method, path,
			    b ? b->name : "nothing");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_and_prefix),
	    cmocka_unit_test(test_pattern_params),
	    cmocka_unit_test(test_bad_captures),
	    cmocka_unit_test(test_variants),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
