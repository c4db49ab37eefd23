/*
 * The auditor's REST resources (the policy table lets auditors only):
 *
 *   GET /api/v1/audit?actor=&action=&object=&outcome=&from=&to=&after=
 *       &limit=                       -> {events: [...], next_after}
 *   GET /api/v1/audit/export?format=json|csv&<the same filters>
 *                                     -> the matching events, attachment
 *   GET /api/v1/audit/verify          -> the verification report
 *
 * Nothing here changes the log. An export is itself recorded
 * ("audit.export"): a bulk copy of the audit log leaves a trace, and
 * when that record cannot be written the export is refused (503).
 */
#include <stdlib.h>
#include <string.h>

#include "egca/audit.h"
#include "egca/file.h"
#include "http/http_int.h"

#define LIST_MAX 10000

/*
 * Reads the filters from p; with_limit: limit is allowed. On a bad
 * value answers out with a problem naming the parameter and returns
 * EGCA_ERR_INPUT.
 */
static enum egca_err
filter_parse(const struct http_req *r, const struct http_query *p,
    struct egca_audit_filter *f, struct http_resp *out)
{
	const char *v, *bad = NULL;
	int64_t n;

	memset(f, 0, sizeof(*f));
	f->actor = http_query_get(p, "actor");
	f->action = http_query_get(p, "action");
	f->object = http_query_get(p, "object");
	if ((v = http_query_get(p, "outcome")) != NULL) {
		if (strcmp(v, "success") != 0 && strcmp(v, "failure") != 0) {
			http_problem(out, r, 400, "EGCA-BAD-PARAM", "outcome",
			    "parameter 'outcome': expected success or failure");
			return EGCA_ERR_INPUT;
		}
		f->outcome = v;
	}
	if ((v = http_query_get(p, "from")) != NULL &&
	    http_parse_date(v, 0, &f->from) != EGCA_OK)
		bad = "from";
	else if ((v = http_query_get(p, "to")) != NULL &&
	    http_parse_date(v, 1, &f->to) != EGCA_OK)
		bad = "to";
	else if ((v = http_query_get(p, "after")) != NULL &&
	    http_parse_int(v, 0, INT64_MAX / 2, &f->after_seq) != EGCA_OK)
		bad = "after";
	else if ((v = http_query_get(p, "limit")) != NULL) {
		if (http_parse_int(v, 1, LIST_MAX, &n) != EGCA_OK)
			bad = "limit";
		else
			f->limit = (size_t)n;
	}
	if (bad != NULL) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", bad,
		    "parameter '%s': %s", bad, egca_err_detail());
		return EGCA_ERR_INPUT;
	}
	return EGCA_OK;
}

static json_t *
event_json(const struct egca_audit_rec *e)
{
	char at[32];

	http_time_iso(e->ts, at);
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "seq", (json_int_t)e->seq, "ts", (json_int_t)e->ts, "time", at,
	    "actor", e->actor, "action", e->action, "object", e->object,
	    "outcome", e->outcome, "details", e->details, "prev_hash",
	    e->prev_hash, "hash", e->hash);
}

void
http_audit_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {"actor", "action", "object",
	    "outcome", "from", "to", "after", "limit", NULL};
	struct egca_audit_filter f;
	struct egca_audit_rec *v = NULL;
	struct egca_store *st;
	struct http_query p;
	json_t *arr, *next = NULL;
	size_t n = 0, i;
	enum egca_err e;

	(void)caller;
	if (http_query_or_problem(r, allowed, &p, out) != EGCA_OK ||
	    filter_parse(r, &p, &f, out) != EGCA_OK)
		return;
	if (f.limit == 0)
		f.limit = 100;
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	e = egca_audit_list(st, &f, &v, &n);
	egca_store_pool_put(r->app->pool, st);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	/* A full page may have more after it: where the next one starts. */
	if (n != 0 && n == f.limit)
		next = json_integer((json_int_t)v[n - 1].seq);
	arr = json_array();
	for (i = 0; i < n && arr != NULL; i++)
		json_array_append_new(arr, event_json(&v[i]));
	egca_audit_list_free(v, n);
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_json(out, 200,
	    json_pack("{s:o*, s:o?}", "events", arr, "next_after", next));
}

/* The export's own audit record: who took which part of the log. */
static enum egca_err
record_export(struct egca_store *st, const struct egca_http_caller *caller,
    const char *format, const struct egca_audit_filter *f, size_t bytes)
{
	struct egca_audit_event ev;
	json_t *j;
	char *details;
	enum egca_err e;

	j = json_pack("{s:s, s:I, s:{s:s?, s:s?, s:s?, s:s?, s:I, s:I, s:I}}",
	    "format", format, "bytes", (json_int_t)bytes, "filter", "actor",
	    f->actor, "action", f->action, "object", f->object, "outcome",
	    f->outcome, "from", (json_int_t)f->from, "to", (json_int_t)f->to,
	    "after", (json_int_t)f->after_seq);
	details = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (details == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	ev.actor = caller->id;
	ev.action = "audit.export";
	ev.object = "audit";
	ev.outcome = "success";
	ev.details = details;
	e = egca_audit_record(st, &ev);
	free(details);
	return e;
}

void
http_audit_export(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {"format", "actor", "action",
	    "object", "outcome", "from", "to", "after", NULL};
	struct egca_audit_filter f;
	struct egca_store *st;
	struct http_query p;
	struct egca_buf b;
	enum egca_audit_format fmt = EGCA_AUDIT_JSON;
	const char *format = "json";
	char stamp[32];
	uint8_t *body;
	size_t len;
	enum egca_err e;

	if (http_query_or_problem(r, allowed, &p, out) != EGCA_OK ||
	    filter_parse(r, &p, &f, out) != EGCA_OK)
		return;
	if ((format = http_query_get(&p, "format")) == NULL)
		format = "json";
	if (strcmp(format, "csv") == 0)
		fmt = EGCA_AUDIT_CSV;
	else if (strcmp(format, "json") != 0) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "format",
		    "parameter 'format': expected json or csv");
		return;
	}
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	egca_buf_init(&b, EGCA_BUF_DEFAULT_MAX);
	e = egca_audit_export(st, &f, fmt, &b);
	if (e == EGCA_OK)
		e = record_export(st, caller, format, &f, b.len);
	egca_store_pool_put(r->app->pool, st);
	if (e == EGCA_ERR_NOMEM && b.len > 0) {
		egca_buf_free(&b);
		http_problem(out, r, 413, "EGCA-TOO-MANY-RESULTS", NULL,
		    "the export exceeds %zu bytes: narrow it with from, to "
		    "or after",
		    (size_t)EGCA_BUF_DEFAULT_MAX);
		return;
	}
	if (e != EGCA_OK) {
		egca_buf_free(&b);
		http_problem_err(out, r, e);
		return;
	}
	body = egca_buf_take(&b, &len);
	http_time_iso(r->now, stamp);
	stamp[10] = '\0';
	http_resp_header(out, "Content-Disposition",
	    "attachment; filename=\"egca-audit-%s.%s\"", stamp, format);
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_take(out, 200,
	    fmt == EGCA_AUDIT_CSV ? "text/csv; charset=utf-8; header=present"
	                          : "application/json",
	    body, len);
}

void
http_audit_verify(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {NULL};
	struct egca_audit_report rep;
	struct egca_store *st;
	struct http_query p;
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	char *path, at[32];
	enum egca_err e;

	(void)caller;
	if (http_query_or_problem(r, allowed, &p, out) != EGCA_OK)
		return;
	path = egca_file_join(r->app->cfg->keys_dir, EGCA_AUDIT_PUB_FILE);
	if (path == NULL) {
		http_problem_err(out, r, EGCA_ERR_NOMEM);
		return;
	}
	e = egca_file_exists(path)
	    ? egca_audit_pubkey_load(path, &spki, &spki_len)
	    : EGCA_OK;
	free(path);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		free(spki);
		http_problem_err(out, r, e);
		return;
	}
	e = egca_audit_verify(st, spki, spki_len, &rep);
	egca_store_pool_put(r->app->pool, st);
	free(spki);
	if (e != EGCA_OK && e != EGCA_ERR_INTEGRITY) {
		http_problem_err(out, r, e);
		return;
	}
	http_time_iso(rep.last_checkpoint_at, at);
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_json(out, 200,
	    json_pack("{s:b, s:I, s:I, s:I, s:s, s:I, s:s, s:{s:I, s:I, s:I, "
	              "s:s?, s:b, s:s?, s:s?}}",
	        "intact", e == EGCA_OK, "events", (json_int_t)rep.events,
	        "first_bad", (json_int_t)rep.first_bad, "first_bad_seq",
	        (json_int_t)rep.bad_seq, "reason", rep.reason, "head_seq",
	        (json_int_t)rep.head_seq, "head_hash", rep.head_hash,
	        "checkpoints", "checked", (json_int_t)rep.checkpoints,
	        "bad_seq", (json_int_t)rep.bad_checkpoint, "last_seq",
	        (json_int_t)rep.last_checkpoint, "last_time",
	        rep.last_checkpoint_at ? at : NULL, "signatures_checked",
	        rep.signatures_checked, "audit_key_id",
	        rep.key_id[0] ? rep.key_id : NULL, "key_note",
	        rep.key_note[0] ? rep.key_note : NULL));
}
