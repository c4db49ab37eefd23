/*
 * The auditor's view: filters (exact actor, case-sensitive prefixes of
 * action and object, outcome, time bounds), paging, limits, refused
 * filters; CSV per RFC 4180 with formula cells defused, and JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit_test.h"

static const struct egca_audit_event events[] = {
    {"cli:root", "ca.create", "ca/root", "success", NULL},
    {"operator:alice", "auth.login", "operator/alice", "success", NULL},
    {"operator:bob", "auth.login", "operator/bob", "failure",
        "{\"why\":\"password\"}"},
    {"operator:alice", "cert.issue", "cert/root/01", "success", NULL},
    {"operator:alice", "cert.revoke", "cert/root/01", "success",
        "{\"reason\":\"keyCompromise\"}"},
    {"operator:bob", "cert.revoke", "cert/root/02", "failure", NULL},
    /* Text an attacker chose: formulas, separators, quotes, newlines. */
    {"=cmd|' /C calc'!A0", "+thing", "-2+3\nline2", "success",
        "{\"note\":\"a,b \\\"q\\\"\\nnext\"}"},
    {"@SUM(1+1)", "\tx", "\rcr", "failure", "{}"},
};
#define NEV (sizeof(events) / sizeof(events[0]))

static struct egca_store *
seeded(void)
{
	struct egca_store *st = test_fresh("browse", 0);
	size_t i;

	for (i = 0; i < NEV; i++)
		assert_int_equal(egca_audit_record(st, &events[i]), EGCA_OK);
	/* Spread the times: event n at 1000 * n. */
	assert_int_equal(test_raw("UPDATE audit_event SET ts = 1000 * seq"), 0);
	return st;
}

/* The seqs matching f, as "1,2,3". */
static const char *
seqs(struct egca_store *st, const struct egca_audit_filter *f)
{
	static char buf[256];
	struct egca_audit_rec *v = NULL;
	size_t n = 0, i, used = 0;

	assert_int_equal(egca_audit_list(st, f, &v, &n), EGCA_OK);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
		    "%s%lld", i ? "," : "", (long long)v[i].seq);
	egca_audit_list_free(v, n);
	return buf;
}

static void
test_filters(void **state)
{
	struct egca_store *st = seeded();
	struct egca_audit_filter f;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_string_equal(seqs(st, &f), "1,2,3,4,5,6,7,8");
	f.actor = "operator:alice";
	assert_string_equal(seqs(st, &f), "2,4,5");
	f.actor = "operator:al"; /* exact, not a prefix */
	assert_string_equal(seqs(st, &f), "");
	memset(&f, 0, sizeof(f));
	f.action = "cert.";
	assert_string_equal(seqs(st, &f), "4,5,6");
	f.action = "cert.revoke";
	assert_string_equal(seqs(st, &f), "5,6");
	f.action = "CERT."; /* case-sensitive on both backends */
	assert_string_equal(seqs(st, &f), "");
	f.action = "cert%"; /* no LIKE wildcards */
	assert_string_equal(seqs(st, &f), "");
	memset(&f, 0, sizeof(f));
	f.object = "cert/root/0";
	f.outcome = "failure";
	assert_string_equal(seqs(st, &f), "6");
	memset(&f, 0, sizeof(f));
	f.outcome = "failure";
	assert_string_equal(seqs(st, &f), "3,6,8");
	memset(&f, 0, sizeof(f));
	f.from = 3000; /* inclusive */
	f.to = 6000;   /* exclusive */
	assert_string_equal(seqs(st, &f), "3,4,5");
	f.actor = "operator:bob";
	assert_string_equal(seqs(st, &f), "3");
	test_done(st);
}

static void
test_paging(void **state)
{
	struct egca_store *st = seeded();
	struct egca_audit_filter f;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.limit = 3;
	assert_string_equal(seqs(st, &f), "1,2,3");
	f.after_seq = 3;
	assert_string_equal(seqs(st, &f), "4,5,6");
	f.after_seq = 6;
	assert_string_equal(seqs(st, &f), "7,8");
	f.after_seq = 8;
	assert_string_equal(seqs(st, &f), "");
	/* Paging composes with filters. */
	memset(&f, 0, sizeof(f));
	f.actor = "operator:alice";
	f.limit = 1;
	f.after_seq = 2;
	assert_string_equal(seqs(st, &f), "4");
	test_done(st);
}

static void
test_bad_filters(void **state)
{
	struct egca_store *st = seeded();
	struct egca_audit_filter f;
	struct egca_audit_rec *v = NULL;
	struct egca_buf b;
	char longtext[300];
	size_t n = 99;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.outcome = "maybe";
	assert_int_equal(egca_audit_list(st, &f, &v, &n), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "outcome"));
	assert_null(v);
	assert_int_equal(n, 0);
	memset(&f, 0, sizeof(f));
	f.actor = "a\nb";
	assert_int_equal(egca_audit_list(st, &f, &v, &n), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "actor"));
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	memset(&f, 0, sizeof(f));
	f.object = longtext;
	assert_int_equal(egca_audit_list(st, &f, &v, &n), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "object"));
	memset(&f, 0, sizeof(f));
	f.from = -1;
	assert_int_equal(egca_audit_list(st, &f, &v, &n), EGCA_ERR_INPUT);
	memset(&f, 0, sizeof(f));
	f.after_seq = -5;
	egca_buf_init(&b, 1 << 20);
	assert_int_equal(
	    egca_audit_export(st, &f, EGCA_AUDIT_CSV, &b), EGCA_ERR_INPUT);
	assert_int_equal(b.len, 0);
	egca_buf_free(&b);
	/* Reading changed nothing. */
	assert_int_equal(
	    test_raw_int("SELECT count(*) FROM audit_event"), (long long)NEV);
	test_done(st);
}

static void
test_limit_capped(void **state)
{
	struct egca_store *st = test_fresh("limit", 0);
	struct egca_audit_filter f;
	struct egca_audit_rec *v = NULL;
	size_t n = 0;
	int i;

	(void)state;
	/* 120 events: the default page is 100. */
	for (i = 1; i <= 120; i++) {
		struct egca_audit_event ev = {"t", "a", "o", "success", NULL};
		assert_int_equal(egca_audit_record(st, &ev), EGCA_OK);
	}
	memset(&f, 0, sizeof(f));
	assert_int_equal(egca_audit_list(st, &f, &v, &n), EGCA_OK);
	assert_int_equal(n, 100);
	assert_int_equal(v[99].seq, 100);
	egca_audit_list_free(v, n);
	f.limit = 1000000; /* capped at 10000: all 120 */
	assert_int_equal(egca_audit_list(st, &f, &v, &n), EGCA_OK);
	assert_int_equal(n, 120);
	egca_audit_list_free(v, n);
	test_done(st);
}

static void
test_csv(void **state)
{
	struct egca_store *st = seeded();
	struct egca_audit_filter f;
	struct egca_buf b;
	char *text, *line;
	int lines = 0;

	(void)state;
	memset(&f, 0, sizeof(f));
	egca_buf_init(&b, 1 << 20);
	assert_int_equal(
	    egca_audit_export(st, &f, EGCA_AUDIT_CSV, &b), EGCA_OK);
	assert_int_equal(egca_buf_append_byte(&b, 0), EGCA_OK);
	text = (char *)b.data;
	assert_memory_equal(text,
	    "seq,ts,time,actor,action,object,outcome,details,hash\r\n", 54);
	/* Row 1, exactly (the hash is the stored one). */
	assert_non_null(strstr(text,
	    "\r\n1,1000,1970-01-01T00:16:40Z,cli:root,ca.create,ca/root,"
	    "success,{},"));
	/* Quotes doubled, the cell quoted for its comma, quote, newline. */
	assert_non_null(strstr(
	    text, ",\"{\"\"note\"\":\"\"a,b \\\"\"q\\\"\"\\nnext\"\"}\","));
	/* Formula cells get a ' in front (and quotes when they need them). */
	assert_non_null(strstr(
	    text, ",'=cmd|' /C calc'!A0,'+thing,\"'-2+3\nline2\",success,"));
	assert_non_null(strstr(text, ",'@SUM(1+1),'\tx,\"'\rcr\",failure,"));
	/* Records end with CRLF: 1 header + 8 rows; the LF and the CR
	 * inside quoted cells are content, not line ends. */
	for (line = text; (line = strstr(line, "\r\n")) != NULL; line += 2)
		lines++;
	assert_int_equal(lines, 1 + (int)NEV);
	egca_buf_free(&b);
	/* A filter applies to exports too; no row: the header alone. */
	egca_buf_init(&b, 1 << 20);
	f.actor = "nobody";
	assert_int_equal(
	    egca_audit_export(st, &f, EGCA_AUDIT_CSV, &b), EGCA_OK);
	assert_int_equal(b.len, 54);
	egca_buf_free(&b);
	test_done(st);
}

static void
test_json(void **state)
{
	struct egca_store *st = seeded();
	struct egca_audit_filter f;
	struct egca_buf b;
	json_error_t jerr;
	json_t *arr, *o;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.action = "cert.revoke";
	egca_buf_init(&b, 1 << 20);
	assert_int_equal(
	    egca_audit_export(st, &f, EGCA_AUDIT_JSON, &b), EGCA_OK);
	arr = json_loadb(
	    (const char *)b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(arr);
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	assert_int_equal(json_integer_value(json_object_get(o, "seq")), 5);
	assert_int_equal(json_integer_value(json_object_get(o, "ts")), 5000);
	assert_string_equal(json_string_value(json_object_get(o, "time")),
	    "1970-01-01T01:23:20Z");
	assert_string_equal(json_string_value(json_object_get(o, "details")),
	    "{\"reason\":\"keyCompromise\"}");
	assert_int_equal(
	    strlen(json_string_value(json_object_get(o, "hash"))), 64);
	assert_int_equal(
	    strlen(json_string_value(json_object_get(o, "prev_hash"))), 64);
	json_decref(arr);
	egca_buf_free(&b);
	/* Empty: a valid empty array. */
	egca_buf_init(&b, 1 << 20);
	f.action = "none.";
	assert_int_equal(
	    egca_audit_export(st, &f, EGCA_AUDIT_JSON, &b), EGCA_OK);
	arr = json_loadb((const char *)b.data, b.len, 0, &jerr);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	egca_buf_free(&b);
	test_done(st);
}

static void
test_export_bounded(void **state)
{
	struct egca_store *st = seeded();
	struct egca_audit_filter f;
	struct egca_buf b;

	(void)state;
	memset(&f, 0, sizeof(f));
	egca_buf_init(&b, 300); /* the header and a row or so */
	assert_int_equal(
	    egca_audit_export(st, &f, EGCA_AUDIT_CSV, &b), EGCA_ERR_NOMEM);
	assert_non_null(strstr(egca_err_detail(), "narrow"));
	assert_true(b.len <= 300);
	egca_buf_free(&b);
	test_done(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_paging),
	    cmocka_unit_test(test_bad_filters),
	    cmocka_unit_test(test_limit_capped),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_export_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
