/* Unit tests for src/http/json_body.c (strict JSON request bodies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_int.h"

static const struct http_jfield fields[] = {
    {"name", HTTP_JSTR, HTTP_JREQUIRED, 8},
    {"note", HTTP_JSTR, HTTP_JMULTILINE, 0},
    {"days", HTTP_JINT, 0, 0},
    {"flag", HTTP_JBOOL, 0, 0},
};
#define NF (sizeof(fields) / sizeof(fields[0]))

/* Runs the parser on body; returns the status answered (0: accepted). */
static unsigned
run(const char *ctype, const char *body, json_t **doc, char *param,
    size_t param_len)
{
	struct http_req r;
	struct http_resp out;
	json_t *j, *p;
	json_error_t err;
	unsigned st;

	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	r.path = "/api/v1/x";
	r.content_type = ctype;
	r.body = (const uint8_t *)body;
	r.body_len = strlen(body);
	param[0] = '\0';
	if (http_json_body(&r, fields, NF, doc, &out) == EGCA_OK) {
		assert_non_null(*doc);
		assert_int_equal(out.status, 0);
		return 0;
	}
	assert_null(*doc);
	st = out.status;
	assert_string_equal(out.ctype, "application/problem+json");
	j = json_loadb((const char *)out.body, out.len, 0, &err);
	assert_non_null(j);
	p = json_object_get(j, "param");
	if (json_is_string(p))
		snprintf(param, param_len, "%s", json_string_value(p));
	json_decref(j);
	http_resp_clear(&out);
	return st;
}

static void
test_accept(void **state)
{
	json_t *doc;
	char param[80];

	(void)state;
	assert_int_equal(run("application/json; charset=utf-8",
	                     "{\"name\":\"abc\",\"note\":\"a\\nb\",\"days\":"
	                     "30,\"flag\":true}",
	                     &doc, param, sizeof(param)),
	    0);
	assert_string_equal(http_jstr(doc, "name"), "abc");
	assert_string_equal(http_jstr(doc, "note"), "a\nb");
	assert_int_equal(http_jint(doc, "days", 0), 30);
	assert_int_equal(http_jbool(doc, "flag", 0), 1);
	json_decref(doc);

	/* null is absent for optional members; defaults apply. */
	assert_int_equal(
	    run("application/json", "{\"name\":\"abc\",\"days\":null}", &doc,
	        param, sizeof(param)),
	    0);
	assert_null(http_jstr(doc, "note"));
	assert_int_equal(http_jint(doc, "days", 7), 7);
	assert_int_equal(http_jbool(doc, "flag", 0), 0);
	json_decref(doc);
}

static void
test_refuse(void **state)
{
	json_t *doc;
	char p[80];

	(void)state;
	/* Unknown member: named. */
	assert_int_equal(
	    run("application/json", "{\"name\":\"a\",\"colour\":1}", &doc, p,
	        sizeof(p)),
	    400);
	assert_string_equal(p, "colour");
	/* Wrong types. */
	assert_int_equal(
	    run("application/json", "{\"name\":5}", &doc, p, sizeof(p)), 400);
	assert_string_equal(p, "name");
	assert_int_equal(
	    run("application/json", "{\"name\":\"a\",\"days\":\"30\"}", &doc, p,
	        sizeof(p)),
	    400);
	assert_string_equal(p, "days");
	assert_int_equal(
	    run("application/json", "{\"name\":\"a\",\"days\":1.5}", &doc, p,
	        sizeof(p)),
	    400);
	assert_string_equal(p, "days");
	assert_int_equal(run("application/json", "{\"name\":\"a\",\"flag\":1}",
	                     &doc, p, sizeof(p)),
	    400);
	assert_string_equal(p, "flag");
	/* Missing or null required member. */
	assert_int_equal(
	    run("application/json", "{\"days\":1}", &doc, p, sizeof(p)), 400);
	assert_string_equal(p, "name");
	assert_int_equal(
	    run("application/json", "{\"name\":null}", &doc, p, sizeof(p)),
	    400);
	assert_string_equal(p, "name");
	assert_int_equal(run("application/json", "", &doc, p, sizeof(p)), 400);
	assert_string_equal(p, "name");
	/* Too long, control characters (multiline only where allowed). */
	assert_int_equal(run("application/json", "{\"name\":\"123456789\"}",
	                     &doc, p, sizeof(p)),
	    400);
	assert_string_equal(p, "name");
	assert_int_equal(
	    run("application/json", "{\"name\":\"a\\nb\"}", &doc, p, sizeof(p)),
	    400);
	assert_string_equal(p, "name");
	assert_int_equal(
	    run("application/json", "{\"name\":\"a\",\"note\":\"\\u0001\"}",
	        &doc, p, sizeof(p)),
	    400);
	assert_string_equal(p, "note");
	/* NUL inside a string. */
	assert_int_equal(run("application/json", "{\"name\":\"a\\u0000b\"}",
	                     &doc, p, sizeof(p)),
	    400);
	/* Duplicates, syntax, not an object, depth. */
	assert_int_equal(
	    run("application/json", "{\"name\":\"a\",\"name\":\"b\"}", &doc, p,
	        sizeof(p)),
	    400);
	assert_int_equal(
	    run("application/json", "{\"name\":", &doc, p, sizeof(p)), 400);
	assert_int_equal(
	    run("application/json", "[\"name\"]", &doc, p, sizeof(p)), 400);
	assert_int_equal(run("application/json",
	                     "{\"name\":\"a\",\"x\":[[[[[[[[[[1]]]]]]]]]]}",
	                     &doc, p, sizeof(p)),
	    400);
	/* Media type. */
	assert_int_equal(
	    run("text/plain", "{\"name\":\"a\"}", &doc, p, sizeof(p)), 415);
	assert_int_equal(
	    run(NULL, "{\"name\":\"a\"}", &doc, p, sizeof(p)), 415);
	assert_int_equal(
	    run("application/jsonx", "{\"name\":\"a\"}", &doc, p, sizeof(p)),
	    415);
}

static void
test_field_error(void **state)
{
	static const char *const names[] = {"uscc", "id_card", NULL};
	struct http_req r;
	struct http_resp out;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	egca_err_set(EGCA_ERR_INPUT, "uscc: check character");
	http_problem_field(&out, &r, EGCA_ERR_INPUT, names);
	assert_int_equal(out.status, 400);
	assert_non_null(strstr((const char *)out.body, "\"param\":\"uscc\""));
	http_resp_clear(&out);
	/* A detail naming no listed member: no param. */
	egca_err_set(EGCA_ERR_INPUT, "usccx: check character");
	http_problem_field(&out, &r, EGCA_ERR_INPUT, names);
	assert_int_equal(out.status, 400);
	assert_null(strstr((const char *)out.body, "\"param\""));
	http_resp_clear(&out);
	egca_err_set(EGCA_ERR_NOTFOUND, "uscc: no such subscriber");
	http_problem_field(&out, &r, EGCA_ERR_NOTFOUND, names);
	assert_int_equal(out.status, 404);
	http_resp_clear(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_refuse),
	    cmocka_unit_test(test_field_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
