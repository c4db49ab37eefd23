/*
 * The caller's own account: POST/GET /api/v1/session (log in, who am
 * I), POST /api/v1/session/logout, POST /api/v1/me/password, POST
 * /api/v1/me/totp and /api/v1/me/totp/confirm, and API tokens (POST and
 * GET /api/v1/tokens, POST /api/v1/tokens/{id}/revoke).
 *
 * The session id travels only in the egca_session cookie (HttpOnly,
 * SameSite=Strict, Secure over TLS, Path=/); the CSRF token is returned
 * in the login body for the X-CSRF-Token header. Answers that carry a
 * secret (session, CSRF token, TOTP seed, API token) are Cache-Control:
 * no-store. No answer carries a password or token hash or a TOTP seed
 * other than the enrolment's own.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "egca/auth.h"
#include "http/http_int.h"

#define COOKIE_ATTRS "Path=/; HttpOnly; SameSite=Strict"

/* Overwrites a secret member's text in the parsed body. */
static void
wipe(json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, name);

	if (json_is_string(v))
		OPENSSL_cleanse((void *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

static void
no_store(struct http_resp *out)
{
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_header(out, "Pragma", "no-cache");
}

/* The principal as GET /api/v1/session and the login answer show it. */
static json_t *
principal_json(const struct egca_principal *p)
{
	const char *via = p->session[0] != '\0'      ? "session"
	    : strncmp(p->actor, "token:", 6) == 0    ? "token"
	    : strncmp(p->actor, "operator:", 9) == 0 ? "certificate"
	                                             : "none";

	return json_pack("{s:s, s:s, s:o*, s:b, s:b, s:s, s:o*, s:o*, s:o*}",
	    "operator", p->name, "actor", p->actor, "roles",
	    http_json_roles(p->roles), "mfa", p->mfa, "must_change",
	    p->must_change, "via", via, "point", http_json_text(p->point),
	    "department", http_json_text(p->department), "subscriber",
	    http_json_text(p->subscriber));
}

/* ---- POST /api/v1/session ---- */

void
http_session_login(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const struct http_jfield fields[] = {
	    {"name", HTTP_JSTR, HTTP_JREQUIRED, 63},
	    {"password", HTTP_JSTR, HTTP_JREQUIRED, EGCA_AUTH_PASSWORD_MAX},
	    {"totp", HTTP_JSTR, 0, 16},
	};
	struct egca_session_out sess;
	struct egca_principal p;
	struct egca_login in;
	struct egca_ctx ctx;
	json_t *doc = NULL, *j;
	enum egca_err e;

	memset(&sess, 0, sizeof(sess));
	if (http_json_body(r, fields, 3, &doc, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		goto out;
	in = (struct egca_login){http_jstr(doc, "name"),
	    http_jstr(doc, "password"), http_jstr(doc, "totp"), r->source,
	    r->session_cookie};
	e = egca_auth_login(&ctx, &in, &sess, &p);
	http_ctx_close(r, &ctx);
	switch (e) {
	case EGCA_OK:
		break;
	case EGCA_ERR_AUTH:
		/* One answer for every cause: no oracle. */
		http_problem(out, r, 401, "EGCA-LOGIN-FAILED", NULL,
		    "wrong name, password or code");
		goto out;
	case EGCA_ERR_STATE:
		http_problem(out, r, 403, "EGCA-LOCKED", NULL,
		    "account locked or disabled; retry later or ask the "
		    "security administrator");
		http_resp_header(
		    out, "Retry-After", "%d", EGCA_AUTH_LOCK_SECONDS);
		goto out;
	default:
		http_problem_err(out, r, e);
		goto out;
	}
	j = principal_json(&p);
	if (j != NULL) {
		json_object_set_new(j, "csrf_token", json_string(sess.csrf));
		json_object_set_new(j, "expires", http_json_time(sess.expires));
	}
	no_store(out);
	http_resp_header(out, "Set-Cookie",
	    "egca_session=%s; " COOKIE_ATTRS "%s", sess.id,
	    r->tls ? "; Secure" : "");
	http_resp_json(out, 201, j);
out:
	OPENSSL_cleanse(&sess, sizeof(sess));
	if (doc != NULL)
		wipe(doc, "password");
	json_decref(doc);
}

/* ---- GET /api/v1/session ---- */

void
http_session_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct http_query q;
	static const char *const none[] = {NULL};

	if (http_query_or_problem(r, none, &q, out) != EGCA_OK)
		return;
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_json(out, 200, principal_json(caller->principal));
}

/* ---- POST /api/v1/session/logout ---- */

void
http_session_logout(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	enum egca_err e;

	if (http_json_empty(r, out) != EGCA_OK)
		return;
	/* A token or certificate caller has no session to end. */
	if (r->session_cookie != NULL &&
	    caller->principal->session[0] != '\0') {
		if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
			return;
		e = egca_auth_logout(&ctx, r->session_cookie);
		http_ctx_close(r, &ctx);
		if (e != EGCA_OK && e != EGCA_ERR_NOTFOUND) {
			http_problem_err(out, r, e);
			return;
		}
	}
	http_resp_header(out, "Set-Cookie",
	    "egca_session=; " COOKIE_ATTRS "; Max-Age=0%s",
	    r->tls ? "; Secure" : "");
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_take(out, 204, NULL, NULL, 0);
}

/* ---- POST /api/v1/me/password ---- */

void
http_me_password(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const struct http_jfield fields[] = {
	    {"old_password", HTTP_JSTR, HTTP_JREQUIRED, EGCA_AUTH_PASSWORD_MAX},
	    {"new_password", HTTP_JSTR, HTTP_JREQUIRED, EGCA_AUTH_PASSWORD_MAX},
	};
	struct egca_ctx ctx;
	json_t *doc = NULL;
	enum egca_err e;

	if (http_json_body(r, fields, 2, &doc, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		goto out;
	e = egca_auth_password_change(&ctx, caller->principal->name,
	    http_jstr(doc, "old_password"), http_jstr(doc, "new_password"));
	http_ctx_close(r, &ctx);
	switch (e) {
	case EGCA_OK:
		http_resp_header(out, "Cache-Control", "no-store");
		http_resp_take(out, 204, NULL, NULL, 0);
		break;
	case EGCA_ERR_AUTH:
		http_problem(out, r, 403, "EGCA-WRONG-PASSWORD", "old_password",
		    "the old password is wrong");
		break;
	case EGCA_ERR_POLICY:
		http_problem(out, r, 422, "EGCA-PASSWORD-POLICY",
		    "new_password", "%s", egca_err_detail());
		break;
	default:
		http_problem_err(out, r, e);
		break;
	}
out:
	if (doc != NULL) {
		wipe(doc, "old_password");
		wipe(doc, "new_password");
	}
	json_decref(doc);
}

/* ---- POST /api/v1/me/totp, /api/v1/me/totp/confirm ---- */

void
http_me_totp_enroll(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	char secret[128], uri[512];
	enum egca_err e;

	if (http_json_empty(r, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_auth_totp_enroll(&ctx, caller->principal->name, secret,
	    sizeof(secret), uri, sizeof(uri));
	if (!http_ctx_done(r, &ctx, e, out))
		return;
	no_store(out);
	http_resp_json(out, 201,
	    json_pack("{s:s, s:s}", "secret", secret, "otpauth_uri", uri));
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(uri, sizeof(uri));
}

void
http_me_totp_confirm(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const struct http_jfield fields[] = {
	    {"code", HTTP_JSTR, HTTP_JREQUIRED, 16},
	};
	struct egca_ctx ctx;
	json_t *doc = NULL;
	enum egca_err e;

	if (http_json_body(r, fields, 1, &doc, out) != EGCA_OK)
		return;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK) {
		json_decref(doc);
		return;
	}
	e = egca_auth_totp_confirm(
	    &ctx, caller->principal->name, http_jstr(doc, "code"));
	http_ctx_close(r, &ctx);
	json_decref(doc);
	if (e == EGCA_ERR_AUTH) {
		http_problem(out, r, 422, "EGCA-TOTP-INVALID", "code",
		    "the code does not match; check the authenticator's "
		    "clock and try the next code");
		return;
	}
	if (e != EGCA_OK) {
		http_problem_field(
		    out, r, e, (const char *const[]){"code", NULL});
		return;
	}
	http_resp_take(out, 204, NULL, NULL, 0);
}

/* ---- API tokens ---- */

#define TOKEN_TTL_MAX (366 * 86400)

void
http_token_create(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const struct http_jfield fields[] = {
	    {"roles", HTTP_JSTRS, 0, 32},
	    {"ttl_seconds", HTTP_JINT, HTTP_JREQUIRED, 0},
	    {"label", HTTP_JSTR, 0, 128},
	};
	const struct egca_principal *p = caller->principal;
	struct egca_ctx ctx;
	char token[128], id[17];
	unsigned roles = p->roles;
	int64_t ttl;
	json_t *doc = NULL;
	enum egca_err e;

	if (http_json_body(r, fields, 3, &doc, out) != EGCA_OK)
		return;
	if (json_object_get(doc, "roles") != NULL &&
	    !json_is_null(json_object_get(doc, "roles")) &&
	    http_roles_of(r, doc, "roles", &roles, out) != EGCA_OK)
		goto out;
	ttl = http_jint(doc, "ttl_seconds", 0);
	if (ttl < 1 || ttl > TOKEN_TTL_MAX) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "ttl_seconds",
		    "member 'ttl_seconds' must be 1..%d", TOKEN_TTL_MAX);
		goto out;
	}
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		goto out;
	e = egca_auth_token_create(&ctx, p, roles, ttl, http_jstr(doc, "label"),
	    token, sizeof(token), id);
	http_ctx_close(r, &ctx);
	if (e != EGCA_OK) {
		http_problem_field(out, r, e,
		    (const char *const[]){
		        "roles", "ttl_seconds", "label", NULL});
		goto out;
	}
	no_store(out);
	http_resp_json(out, 201,
	    json_pack("{s:s, s:s, s:o*, s:o*}", "id", id, "token", token,
	        "roles", http_json_roles(roles), "expires",
	        http_json_time(r->now + ttl)));
	OPENSSL_cleanse(token, sizeof(token));
out:
	json_decref(doc);
}

static json_t *
token_json(const struct egca_token_rec *t)
{
	return json_pack("{s:s, s:s, s:o*, s:o*, s:b, s:o*, s:o*, s:o*, s:o*}",
	    "id", t->id, "owner", t->owner, "label", http_json_text(t->label),
	    "roles", http_json_roles(t->roles), "mfa", t->mfa, "created_at",
	    http_json_time(t->created_at), "expires_at",
	    http_json_time(t->expires_at), "revoked_at",
	    http_json_time(t->revoked_at), "last_used",
	    http_json_time(t->last_used));
}

void
http_token_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {"owner", NULL};
	const struct egca_principal *p = caller->principal;
	struct http_query q;
	struct egca_token_rec *l = NULL;
	struct egca_ctx ctx;
	const char *owner;
	size_t n = 0, i;
	json_t *items;
	enum egca_err e;

	if (http_query_or_problem(r, allowed, &q, out) != EGCA_OK)
		return;
	/* Own tokens; a security administrator may name another owner or
	 * "*" for all. */
	owner = http_query_get(&q, "owner");
	if (owner == NULL || strcmp(owner, p->name) == 0) {
		owner = p->name;
	} else if ((p->roles & EGCA_ROLE_SECADMIN) == 0 || !p->mfa) {
		http_problem(out, r, 403, "EGCA-FORBIDDEN", "owner",
		    "only a security administrator lists other owners' tokens");
		return;
	} else if (strcmp(owner, "*") == 0) {
		owner = NULL;
	}
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_auth_token_list(&ctx, owner, &l, &n);
	if (!http_ctx_done(r, &ctx, e, out))
		return;
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, token_json(&l[i]));
	egca_auth_token_list_free(l, n);
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_json(out, 200, json_pack("{s:o*}", "items", items));
}

void
http_token_revoke(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	enum egca_err e;

	if (http_json_empty(r, out) != EGCA_OK)
		return;
	if (r->nparam != 1) {
		http_problem(
		    out, r, 404, "EGCA-NOT-FOUND", NULL, "no such token");
		return;
	}
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_auth_token_revoke(&ctx, caller->principal, r->param[0]);
	if (!http_ctx_done(r, &ctx, e, out))
		return;
	http_resp_take(out, 204, NULL, NULL, 0);
}
