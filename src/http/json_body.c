/*
 * Strict JSON request bodies for the REST API: one object whose members
 * are checked against a table. Unknown members, repeated members, wrong
 * types, missing required members, over-long strings and control
 * characters are refused with a problem naming the member (`param`).
 * Nesting is capped before jansson sees the text, so a deep document
 * costs nothing.
 *
 * What it does not check: the meaning of a value (the service does, and
 * http_problem_field maps its "field: why" errors back to the member).
 */
#include <string.h>
#include <strings.h>

#include "http/http_int.h"

#define JSON_DEPTH_MAX 8
#define JSON_STR_DEFAULT_MAX 4096

/* 1 when the media type is application/json (parameters ignored). */
static int
is_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Nesting depth of the text, strings skipped; stops past max. */
static size_t
depth_of(const uint8_t *s, size_t len, size_t max)
{
	size_t i, d = 0, deepest = 0;
	int in_str = 0;

	for (i = 0; i < len && deepest <= max; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
			continue;
		}
		if (s[i] == '"') {
			in_str = 1;
		} else if (s[i] == '{' || s[i] == '[') {
			if (++d > deepest)
				deepest = d;
		} else if ((s[i] == '}' || s[i] == ']') && d > 0) {
			d--;
		}
	}
	return deepest;
}

/* Control characters: none, or only tab, CR and LF when multiline. */
static int
text_ok(const char *s, size_t len, int multiline)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		if (multiline && (c == '\n' || c == '\r' || c == '\t'))
			continue;
		return 0;
	}
	return 1;
}

static const struct http_jfield *
field_find(const struct http_jfield *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

static const char *
type_name(enum http_jtype t)
{
	switch (t) {
	case HTTP_JSTR:
		return "a string";
	case HTTP_JINT:
		return "an integer";
	case HTTP_JBOOL:
		return "true or false";
	case HTTP_JSTRS:
		return "an array of strings";
	}
	return "?";
}

/* An array of at most 16 strings, each as a HTTP_JSTR member. */
static int
strs_ok(const struct http_req *r, const struct http_jfield *f, const json_t *v,
    size_t max, struct http_resp *out)
{
	const json_t *x;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > 16) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", f->name,
		    "member '%s': expected an array of at most 16 strings",
		    f->name);
		return 0;
	}
	for (i = 0; i < json_array_size(v); i++) {
		x = json_array_get(v, i);
		if (!json_is_string(x) || json_string_length(x) > max ||
		    !text_ok(json_string_value(x), json_string_length(x), 0)) {
			http_problem(out, r, 400, "EGCA-BAD-PARAM", f->name,
			    "member '%s': item %zu is not a string of at "
			    "most %zu bytes without control characters",
			    f->name, i, max);
			return 0;
		}
	}
	return 1;
}

/* Checks one member's value; answers out and returns 0 when bad. */
static int
member_ok(const struct http_req *r, const struct http_jfield *f,
    const json_t *v, struct http_resp *out)
{
	size_t max = f->max ? f->max : JSON_STR_DEFAULT_MAX;
	int ok;

	switch (f->type) {
	case HTTP_JSTR:
		ok = json_is_string(v);
		break;
	case HTTP_JINT:
		ok = json_is_integer(v);
		break;
	case HTTP_JBOOL:
		ok = json_is_boolean(v);
		break;
	case HTTP_JSTRS:
		return strs_ok(r, f, v, max, out);
	default:
		ok = 0;
	}
	if (!ok) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", f->name,
		    "member '%s': expected %s", f->name, type_name(f->type));
		return 0;
	}
	if (f->type != HTTP_JSTR)
		return 1;
	if (json_string_length(v) > max) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", f->name,
		    "member '%s': longer than %zu bytes", f->name, max);
		return 0;
	}
	if (!text_ok(json_string_value(v), json_string_length(v),
	        (f->flags & HTTP_JMULTILINE) != 0)) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", f->name,
		    "member '%s': control characters are not allowed", f->name);
		return 0;
	}
	return 1;
}

enum egca_err
http_json_body(const struct http_req *r, const struct http_jfield *fields,
    size_t nfields, json_t **doc, struct http_resp *out)
{
	json_error_t jerr;
	json_t *j = NULL, *v;
	const char *key;
	const struct http_jfield *f;
	size_t i;

	*doc = NULL;
	if (r->body_len == 0) {
		/* No body: an empty object, if nothing is required. */
		for (i = 0; i < nfields; i++)
			if (fields[i].flags & HTTP_JREQUIRED) {
				http_problem(out, r, 400, "EGCA-BAD-PARAM",
				    fields[i].name,
				    "member '%s' is required (JSON body)",
				    fields[i].name);
				return EGCA_ERR_INPUT;
			}
		if ((*doc = json_object()) == NULL) {
			http_problem(out, r, 503, "EGCA-UNAVAILABLE", NULL,
			    "out of memory");
			return EGCA_ERR_NOMEM;
		}
		return EGCA_OK;
	}
	if (!is_json(r->content_type)) {
		http_problem(out, r, 415, "EGCA-UNSUPPORTED-MEDIA-TYPE", NULL,
		    "the body must be application/json");
		return EGCA_ERR_INPUT;
	}
	if (depth_of(r->body, r->body_len, JSON_DEPTH_MAX) > JSON_DEPTH_MAX) {
		http_problem(out, r, 400, "EGCA-BAD-REQUEST", NULL,
		    "JSON body: nested deeper than %d", JSON_DEPTH_MAX);
		return EGCA_ERR_INPUT;
	}
	j = json_loadb(
	    (const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		http_problem(out, r, 400, "EGCA-BAD-REQUEST", NULL,
		    "JSON body: %s (line %d, column %d)", jerr.text, jerr.line,
		    jerr.column);
		return EGCA_ERR_INPUT;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_problem(out, r, 400, "EGCA-BAD-REQUEST", NULL,
		    "JSON body: expected an object");
		return EGCA_ERR_INPUT;
	}
	json_object_foreach(j, key, v)
	{
		if ((f = field_find(fields, nfields, key)) == NULL) {
			/* The name goes into the answer: printable only. */
			if (!http_utf8_valid(key, strlen(key)) ||
			    strlen(key) > 64)
				key = "?";
			http_problem(out, r, 400, "EGCA-BAD-PARAM", key,
			    "unknown member '%s'", key);
			json_decref(j);
			return EGCA_ERR_INPUT;
		}
		/* null means absent, for optional members. */
		if (json_is_null(v) && !(f->flags & HTTP_JREQUIRED))
			continue;
		if (!member_ok(r, f, v, out)) {
			json_decref(j);
			return EGCA_ERR_INPUT;
		}
	}
	for (i = 0; i < nfields; i++) {
		if (!(fields[i].flags & HTTP_JREQUIRED))
			continue;
		v = json_object_get(j, fields[i].name);
		if (v == NULL || json_is_null(v)) {
			http_problem(out, r, 400, "EGCA-BAD-PARAM",
			    fields[i].name, "member '%s' is required",
			    fields[i].name);
			json_decref(j);
			return EGCA_ERR_INPUT;
		}
	}
	*doc = j;
	return EGCA_OK;
}

const char *
http_jstr(const json_t *doc, const char *name)
{
	return json_string_value(json_object_get(doc, name));
}

int64_t
http_jint(const json_t *doc, const char *name, int64_t dflt)
{
	const json_t *v = json_object_get(doc, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

int
http_jbool(const json_t *doc, const char *name, int dflt)
{
	const json_t *v = json_object_get(doc, name);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

void
http_problem_field(struct http_resp *out, const struct http_req *r,
    enum egca_err e, const char *const *names)
{
	const char *d = egca_err_detail();
	size_t i, n;

	if (e != EGCA_ERR_INPUT || names == NULL) {
		http_problem_err(out, r, e);
		return;
	}
	/* "uscc: check character" names member uscc. */
	n = strcspn(d, ": ");
	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && strncmp(d, names[i], n) == 0) {
			http_problem(
			    out, r, 400, "EGCA-BAD-PARAM", names[i], "%s", d);
			return;
		}
	http_problem_err(out, r, e);
}
