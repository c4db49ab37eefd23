/*
 * The auditor's view of the audit log (include/egca/audit.h): filtered
 * lists and JSON or CSV exports. Read-only: nothing here writes.
 *
 * CSV follows RFC 4180 (CRLF line ends, cells with a comma, quote, CR or
 * LF quoted, quotes doubled). A cell that starts with = + - @ TAB or CR
 * is what spreadsheets run as a formula (OWASP "CSV injection"): such a
 * cell gets a ' in front. The stored text is otherwise exported as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit/audit_int.h"
#include "egca/audit.h"

#define LIST_DEFAULT 100
#define LIST_MAX 10000
#define TEXT_MAX 256

void
egca_audit_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld", (long long)t);
}

static enum egca_err
text_ok(const char *field, const char *s)
{
	size_t i;

	if (s == NULL)
		return EGCA_OK;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return egca_err_set(EGCA_ERR_INPUT,
			    "%s: control characters are not allowed", field);
	if (i > TEXT_MAX)
		return egca_err_set(EGCA_ERR_INPUT, "%s: longer than %d bytes",
		    field, TEXT_MAX);
	return EGCA_OK;
}

/* Checks f and turns it into a store query ("" counts as "any"). */
static enum egca_err
to_query(const struct egca_audit_filter *f, struct egca_store_audit_query *q)
{
	enum egca_err e;

	memset(q, 0, sizeof(*q));
	if ((e = text_ok("actor", f->actor)) != EGCA_OK ||
	    (e = text_ok("action", f->action)) != EGCA_OK ||
	    (e = text_ok("object", f->object)) != EGCA_OK)
		return e;
	if (f->outcome != NULL && f->outcome[0] != '\0' &&
	    strcmp(f->outcome, "success") != 0 &&
	    strcmp(f->outcome, "failure") != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "outcome: expected success or failure");
	if (f->from < 0 || f->to < 0)
		return egca_err_set(EGCA_ERR_INPUT, "%s: a time before 1970",
		    f->from < 0 ? "from" : "to");
	if (f->after_seq < 0)
		return egca_err_set(EGCA_ERR_INPUT, "after: a negative seq");
#define ANY(s) ((s) != NULL && (s)[0] != '\0' ? (s) : NULL)
	q->actor = ANY(f->actor);
	q->action = ANY(f->action);
	q->object = ANY(f->object);
	q->outcome = ANY(f->outcome);
#undef ANY
	q->from = f->from;
	q->to = f->to;
	q->after_seq = f->after_seq;
	return EGCA_OK;
}

struct collect {
	struct egca_audit_rec *v;
	size_t n;
	enum egca_err err;
};

static char *
dup(const char *s)
{
	return strdup(s ? s : "");
}

static int
collect_one(const struct egca_audit_rec *r, void *arg)
{
	struct collect *c = arg;
	struct egca_audit_rec *d = &c->v[c->n];

	d->seq = r->seq;
	d->ts = r->ts;
	d->actor = dup(r->actor);
	d->action = dup(r->action);
	d->object = dup(r->object);
	d->outcome = dup(r->outcome);
	d->details = dup(r->details);
	d->prev_hash = dup(r->prev_hash);
	d->hash = dup(r->hash);
	c->n++;
	if (!d->actor || !d->action || !d->object || !d->outcome ||
	    !d->details || !d->prev_hash || !d->hash) {
		c->err = egca_err_set(EGCA_ERR_NOMEM, "audit: out of memory");
		return 1;
	}
	return 0;
}

void
egca_audit_list_free(struct egca_audit_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_audit_rec_free(&l[i]);
	free(l);
}

enum egca_err
egca_audit_list(struct egca_store *st, const struct egca_audit_filter *f,
    struct egca_audit_rec **out, size_t *n)
{
	struct egca_store_audit_query q;
	struct collect c = {NULL, 0, EGCA_OK};
	enum egca_err e;

	*out = NULL;
	*n = 0;
	if ((e = to_query(f, &q)) != EGCA_OK)
		return e;
	q.limit = f->limit == 0 ? LIST_DEFAULT : f->limit;
	if (q.limit > LIST_MAX)
		q.limit = LIST_MAX;
	if ((c.v = calloc(q.limit, sizeof(*c.v))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "audit: out of memory");
	if ((e = egca_store_audit_find(st, &q, collect_one, &c)) == EGCA_OK)
		e = c.err;
	if (e != EGCA_OK) {
		egca_audit_list_free(c.v, c.n);
		return e;
	}
	*out = c.v;
	*n = c.n;
	return EGCA_OK;
}

struct export
{
	struct egca_buf *out;
	enum egca_audit_format fmt;
	size_t n;
	enum egca_err err;
};

/* One CSV cell: formula characters defused, quoted when needed. */
static enum egca_err
csv_cell(struct egca_buf *b, const char *s, int last)
{
	const char *p;
	enum egca_err e = EGCA_OK;
	int quote;

	if (s == NULL)
		s = "";
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		e = egca_buf_append_byte(b, '"');
	if (e == EGCA_OK && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
		e = egca_buf_append_byte(b, '\'');
	for (p = s; e == EGCA_OK && *p != '\0'; p++) {
		if (*p == '"')
			e = egca_buf_append_byte(b, '"');
		if (e == EGCA_OK)
			e = egca_buf_append_byte(b, (uint8_t)*p);
	}
	if (e == EGCA_OK && quote)
		e = egca_buf_append_byte(b, '"');
	if (e == EGCA_OK)
		e = last ? egca_buf_append(b, "\r\n", 2)
		         : egca_buf_append_byte(b, ',');
	return e;
}

static enum egca_err
csv_row(struct egca_buf *b, const struct egca_audit_rec *r)
{
	char seq[24], ts[24], at[32];
	enum egca_err e;

	snprintf(seq, sizeof(seq), "%lld", (long long)r->seq);
	snprintf(ts, sizeof(ts), "%lld", (long long)r->ts);
	egca_audit_time(r->ts, at);
	if ((e = csv_cell(b, seq, 0)) != EGCA_OK ||
	    (e = csv_cell(b, ts, 0)) != EGCA_OK ||
	    (e = csv_cell(b, at, 0)) != EGCA_OK ||
	    (e = csv_cell(b, r->actor, 0)) != EGCA_OK ||
	    (e = csv_cell(b, r->action, 0)) != EGCA_OK ||
	    (e = csv_cell(b, r->object, 0)) != EGCA_OK ||
	    (e = csv_cell(b, r->outcome, 0)) != EGCA_OK ||
	    (e = csv_cell(b, r->details, 0)) != EGCA_OK)
		return e;
	return csv_cell(b, r->hash, 1);
}

static enum egca_err
json_row(struct egca_buf *b, const struct egca_audit_rec *r, int first)
{
	char at[32], *text;
	json_t *j;
	enum egca_err e;

	egca_audit_time(r->ts, at);
	j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "seq", (json_int_t)r->seq, "ts", (json_int_t)r->ts, "time", at,
	    "actor", r->actor ? r->actor : "", "action",
	    r->action ? r->action : "", "object", r->object ? r->object : "",
	    "outcome", r->outcome ? r->outcome : "", "details",
	    r->details ? r->details : "", "prev_hash",
	    r->prev_hash ? r->prev_hash : "", "hash", r->hash ? r->hash : "");
	text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (text == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "audit: out of memory");
	e = egca_buf_printf(b, "%s\n%s", first ? "" : ",", text);
	free(text);
	return e;
}

static int
export_one(const struct egca_audit_rec *r, void *arg)
{
	struct export *x = arg;

	x->err = x->fmt == EGCA_AUDIT_CSV ? csv_row(x->out, r)
	                                  : json_row(x->out, r, x->n == 0);
	x->n++;
	return x->err != EGCA_OK;
}

enum egca_err
egca_audit_export(struct egca_store *st, const struct egca_audit_filter *f,
    enum egca_audit_format fmt, struct egca_buf *out)
{
	static const char header[] =
	    "seq,ts,time,actor,action,object,outcome,details,hash\r\n";
	struct egca_store_audit_query q;
	struct export x = {out, fmt, 0, EGCA_OK};
	enum egca_err e;

	if (fmt != EGCA_AUDIT_JSON && fmt != EGCA_AUDIT_CSV)
		return egca_err_set(EGCA_ERR_INPUT, "format: json or csv");
	if ((e = to_query(f, &q)) != EGCA_OK)
		return e;
	if ((e = fmt == EGCA_AUDIT_CSV
	            ? egca_buf_append(out, header, sizeof(header) - 1)
	            : egca_buf_append_byte(out, '[')) != EGCA_OK)
		goto full;
	if ((e = egca_store_audit_find(st, &q, export_one, &x)) != EGCA_OK)
		return e;
	if ((e = x.err) != EGCA_OK)
		goto full;
	if (fmt == EGCA_AUDIT_JSON &&
	    (e = egca_buf_append(out, "\n]\n", 3)) != EGCA_OK)
		goto full;
	return EGCA_OK;
full:
	if (e == EGCA_ERR_NOMEM)
		return egca_err_set(EGCA_ERR_NOMEM,
		    "audit export: more than %zu bytes after %zu events; "
		    "narrow the filter (from, to, after)",
		    out->max, x.n);
	return e;
}
