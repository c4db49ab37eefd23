/*
 * What the REST API handlers share (api_ra.c, api_operators.c,
 * api_session.c, api_certs.c): a service context on a store from the
 * pool, and the JSON forms of optional values and role sets.
 *
 * What this file does not check: who may call a handler (server.c, by
 * the policy table).
 */
#include <string.h>

#include "egca/auth.h"
#include "http/http_int.h"

enum egca_err
http_ctx_open(struct http_req *r, const struct egca_http_caller *caller,
    struct egca_ctx *ctx, struct http_resp *out)
{
	struct egca_store *st;
	enum egca_err e;

	memset(ctx, 0, sizeof(*ctx));
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return e;
	}
	*ctx = (struct egca_ctx){r->app->cfg, st, caller->id};
	return EGCA_OK;
}

void
http_ctx_close(struct http_req *r, struct egca_ctx *ctx)
{
	if (ctx->st != NULL)
		egca_store_pool_put(r->app->pool, ctx->st);
	ctx->st = NULL;
}

int
http_ctx_done(struct http_req *r, struct egca_ctx *ctx, enum egca_err e,
    struct http_resp *out)
{
	http_ctx_close(r, ctx);
	if (e == EGCA_OK)
		return 1;
	http_problem_err(out, r, e);
	return 0;
}

enum egca_err
http_json_empty(const struct http_req *r, struct http_resp *out)
{
	json_t *doc;
	enum egca_err e;

	if ((e = http_json_body(r, NULL, 0, &doc, out)) == EGCA_OK)
		json_decref(doc);
	return e;
}

json_t *
http_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
http_json_text(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

json_t *
http_json_time(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	http_time_iso(t, buf);
	return json_string(buf);
}

json_t *
http_json_roles(unsigned mask)
{
	json_t *a = json_array();
	const char *n;
	unsigned bit;

	for (bit = 1; a != NULL && bit <= EGCA_ROLE_ALL; bit <<= 1)
		if ((mask & bit) != 0 && (n = egca_role_name(bit)) != NULL)
			json_array_append_new(a, json_string(n));
	return a;
}

enum egca_err
http_roles_of(const struct http_req *r, const json_t *doc, const char *name,
    unsigned *mask, struct http_resp *out)
{
	const json_t *a = json_object_get(doc, name), *v;
	unsigned one;
	size_t i;

	*mask = 0;
	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		/* egca_role_parse takes lists: one name per item here. */
		if (strchr(json_string_value(v), ',') != NULL ||
		    egca_role_parse(json_string_value(v), &one) != EGCA_OK) {
			http_problem(out, r, 400, "EGCA-BAD-PARAM", name,
			    "member '%s': '%.32s' is not a role", name,
			    json_string_value(v));
			return EGCA_ERR_INPUT;
		}
		*mask |= one;
	}
	if (*mask == 0) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", name,
		    "member '%s': at least one role", name);
		return EGCA_ERR_INPUT;
	}
	return EGCA_OK;
}
