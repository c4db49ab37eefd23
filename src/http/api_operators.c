/*
 * Operators (the security administrator's work): POST and GET
 * /api/v1/operators, GET /api/v1/operators/{name}, and POST
 * /api/v1/operators/{name}/roles, /disable, /enable, /unlock, /reset.
 * The policy table lets only a security administrator with a second
 * factor reach these; the services check separation of duties and
 * audit every change with the caller as actor.
 *
 * A new operator's (or a reset's) one-time password is in the answer
 * once, with Cache-Control: no-store. Answers never carry password
 * hashes or TOTP seeds; a registered client certificate shows as its
 * SHA-256 fingerprint.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "egca/auth.h"
#include "http/http_int.h"

static json_t *
operator_json(const struct egca_operator_rec *o, int64_t now)
{
	return json_pack("{s:s, s:o*, s:o*, s:o*, s:o*, s:o*, s:b, s:b, s:b, "
	                 "s:i, s:b, s:o*, s:o*, s:o*, s:o*}",
	    "name", o->name, "display_name", http_json_text(o->display_name),
	    "roles", http_json_roles(o->roles), "point",
	    http_json_text(o->point), "department",
	    http_json_text(o->department), "subscriber",
	    http_json_text(o->subscriber), "totp_enrolled", o->totp_enrolled,
	    "must_change", o->must_change, "disabled", o->disabled, "failures",
	    o->failures, "locked", o->locked_until > now, "locked_until",
	    http_json_time(o->locked_until > now ? o->locked_until : 0),
	    "cert_sha256", http_json_text(o->cert_sha256), "created_at",
	    http_json_time(o->created_at), "last_login",
	    http_json_time(o->last_login));
}

/* The {name} of the path, or a 404 answer. */
static const char *
name_param(struct http_req *r, struct http_resp *out)
{
	if (r->nparam != 1) {
		http_problem(
		    out, r, 404, "EGCA-NOT-FOUND", NULL, "no such operator");
		return NULL;
	}
	return r->param[0];
}

static const char *const op_fields[] = {
    "name", "display_name", "roles", "point", "department", "subscriber", NULL};

/* One-time password answers: shown once, never cached. */
static void
otp_reply(struct http_resp *out, unsigned status, const char *name,
    char otp[EGCA_AUTH_OTP_LEN + 1])
{
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_header(out, "Pragma", "no-cache");
	http_resp_json(out, status,
	    json_pack("{s:s, s:s}", "name", name, "one_time_password", otp));
	OPENSSL_cleanse(otp, EGCA_AUTH_OTP_LEN + 1);
}

void
http_operator_create(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const struct http_jfield fields[] = {
	    {"name", HTTP_JSTR, HTTP_JREQUIRED, 63},
	    {"display_name", HTTP_JSTR, 0, 256},
	    {"roles", HTTP_JSTRS, HTTP_JREQUIRED, 32},
	    {"point", HTTP_JSTR, 0, 63},
	    {"department", HTTP_JSTR, 0, 127},
	    {"subscriber", HTTP_JSTR, 0, 32},
	};
	struct egca_operator_new o;
	struct egca_ctx ctx;
	char otp[EGCA_AUTH_OTP_LEN + 1];
	json_t *doc = NULL;
	enum egca_err e;

	if (http_json_body(r, fields, 6, &doc, out) != EGCA_OK)
		return;
	memset(&o, 0, sizeof(o));
	if (http_roles_of(r, doc, "roles", &o.roles, out) != EGCA_OK)
		goto out;
	o.name = http_jstr(doc, "name");
	o.display_name = http_jstr(doc, "display_name");
	o.point = http_jstr(doc, "point");
	o.department = http_jstr(doc, "department");
	o.subscriber = http_jstr(doc, "subscriber");
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		goto out;
	e = egca_auth_operator_create(&ctx, &o, otp);
	http_ctx_close(r, &ctx);
	if (e != EGCA_OK) {
		http_problem_field(out, r, e, op_fields);
		goto out;
	}
	http_resp_header(out, "Location", "/api/v1/operators/%s", o.name);
	otp_reply(out, 201, o.name, otp);
out:
	json_decref(doc);
}

void
http_operator_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const none[] = {NULL};
	struct http_query q;
	struct egca_operator_rec *l = NULL;
	struct egca_ctx ctx;
	size_t n = 0, i;
	json_t *items;
	enum egca_err e;

	if (http_query_or_problem(r, none, &q, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_auth_operator_list(&ctx, &l, &n);
	if (!http_ctx_done(r, &ctx, e, out))
		return;
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, operator_json(&l[i], r->now));
	egca_auth_operator_list_free(l, n);
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_json(out, 200, json_pack("{s:o*}", "items", items));
}

void
http_operator_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const none[] = {NULL};
	struct http_query q;
	struct egca_operator_rec o;
	struct egca_ctx ctx;
	const char *name;
	enum egca_err e;

	if ((name = name_param(r, out)) == NULL ||
	    http_query_or_problem(r, none, &q, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	memset(&o, 0, sizeof(o));
	e = egca_auth_operator_get(&ctx, name, &o);
	http_ctx_close(r, &ctx);
	if (e != EGCA_OK) {
		http_problem_err(
		    out, r, e == EGCA_ERR_INPUT ? EGCA_ERR_NOTFOUND : e);
		return;
	}
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_json(out, 200, operator_json(&o, r->now));
	egca_auth_operator_rec_free(&o);
}

void
http_operator_roles(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const struct http_jfield fields[] = {
	    {"roles", HTTP_JSTRS, HTTP_JREQUIRED, 32},
	};
	struct egca_ctx ctx;
	const char *name;
	unsigned roles;
	json_t *doc = NULL;
	enum egca_err e;

	if ((name = name_param(r, out)) == NULL ||
	    http_json_body(r, fields, 1, &doc, out) != EGCA_OK)
		return;
	if (http_roles_of(r, doc, "roles", &roles, out) != EGCA_OK)
		goto out;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		goto out;
	e = egca_auth_operator_set_roles(&ctx, name, roles);
	http_ctx_close(r, &ctx);
	if (e != EGCA_OK) {
		http_problem_field(out, r, e, op_fields);
		goto out;
	}
	http_resp_take(out, 204, NULL, NULL, 0);
out:
	json_decref(doc);
}

enum action { DISABLE, ENABLE, UNLOCK };

/* The bodiless state changes: disable, enable, unlock. */
static void
act(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out, enum action a)
{
	struct egca_ctx ctx;
	const char *name;
	enum egca_err e;

	if ((name = name_param(r, out)) == NULL ||
	    http_json_empty(r, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = a == UNLOCK ? egca_auth_operator_unlock(&ctx, name)
	                : egca_auth_operator_disable(&ctx, name, a == DISABLE);
	if (!http_ctx_done(r, &ctx, e, out))
		return;
	http_resp_take(out, 204, NULL, NULL, 0);
}

void
http_operator_disable(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	act(r, caller, out, DISABLE);
}

void
http_operator_enable(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	act(r, caller, out, ENABLE);
}

void
http_operator_unlock(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	act(r, caller, out, UNLOCK);
}

void
http_operator_reset(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	char otp[EGCA_AUTH_OTP_LEN + 1];
	const char *name;
	enum egca_err e;

	if ((name = name_param(r, out)) == NULL ||
	    http_json_empty(r, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_auth_operator_reset(&ctx, name, otp);
	if (!http_ctx_done(r, &ctx, e, out))
		return;
	otp_reply(out, 200, name, otp);
}
