/*
 * The route table: one line per resource, matched on the raw path. A
 * route's name is also its action in the policy table (auth/policy.c),
 * so which route a path reaches decides who may call it.
 *
 * Three kinds of path, tried in this order (the first kind with a
 * matching path decides; within a kind, table order):
 *   exact    "/api/v1/tokens"
 *   pattern  "/api/v1/tokens/x/revoke": a '*' segment matches one
 *            non-empty segment, percent-decoded strictly into r->param[]
 *   prefix   "/crl/": ends in '/', the rest goes to the handler.
 * Literal segments are compared byte for byte on the raw path: no case
 * folding, no percent-decoding, no dot-segment or "//" removal, so a
 * variant of a path ("/API/...", "/api/v1/%6fperators", "/api/v1/./x",
 * "//api/...", a trailing '/') matches nothing, never another route. A
 * captured segment must not decode to "", ".", "..", or contain '/' or
 * control characters. HEAD is served wherever GET is; the method is the
 * request line's (override headers are not looked at).
 */
#include <string.h>

#include "egca/ra.h"
#include "http/http_int.h"

const struct http_route http_routes[] = {
    {"healthz", "GET", "/healthz", http_healthz, 0, 0},
    {"metrics", "GET", "/metrics", http_metrics_get, 0, 0},
    {"ocsp_post", "POST", "/ocsp", http_ocsp_post, 0, 0},
    {"ocsp_get", "GET", "/ocsp/", http_ocsp_get, 0, 0},
    {"crl", "GET", "/crl/", http_crl_get, 0, 0},
    {"repo_ca", "GET", "/ca/", http_repo_ca, 0, 0},
    {"repo_cert", "GET", "/certs/", http_repo_cert, 0, 0},
    {"openapi", "GET", "/api/v1/openapi.json", http_openapi, 0, 0},
    {"api_certs", "GET", "/api/v1/certificates", http_api_certs, 0, 0},
    {"api_cert", "GET", "/api/v1/certificates/", http_api_cert, 0, 0},
    {"api_stats", "GET", "/api/v1/statistics", http_api_stats, 0, 0},
    {"api_download", "GET", "/api/v1/downloads", http_api_download, 1, 0},
    {"session_login", "POST", "/api/v1/session", http_session_login, 1, 0},
    {"session_get", "GET", "/api/v1/session", http_session_get, 0, 0},
    {"session_logout", "POST", "/api/v1/session/logout", http_session_logout, 0,
        0},
    {"me_password", "POST", "/api/v1/me/password", http_me_password, 1, 0},
    {"me_totp_enroll", "POST", "/api/v1/me/totp", http_me_totp_enroll, 0, 0},
    {"me_totp_confirm", "POST", "/api/v1/me/totp/confirm", http_me_totp_confirm,
        0, 0},
    {"token_create", "POST", "/api/v1/tokens", http_token_create, 0, 0},
    {"token_list", "GET", "/api/v1/tokens", http_token_list, 0, 0},
    {"token_revoke", "POST", "/api/v1/tokens/*/revoke", http_token_revoke, 0,
        0},
    {"operator_create", "POST", "/api/v1/operators", http_operator_create, 1,
        0},
    {"operator_list", "GET", "/api/v1/operators", http_operator_list, 0, 0},
    {"operator_get", "GET", "/api/v1/operators/*", http_operator_get, 0, 0},
    {"operator_roles", "POST", "/api/v1/operators/*/roles", http_operator_roles,
        0, 0},
    {"operator_disable", "POST", "/api/v1/operators/*/disable",
        http_operator_disable, 0, 0},
    {"operator_enable", "POST", "/api/v1/operators/*/enable",
        http_operator_enable, 0, 0},
    {"operator_unlock", "POST", "/api/v1/operators/*/unlock",
        http_operator_unlock, 0, 0},
    {"operator_reset", "POST", "/api/v1/operators/*/reset", http_operator_reset,
        1, 0},
    {"point_create", "POST", "/api/v1/points", http_point_create, 0, 0},
    {"point_list", "GET", "/api/v1/points", http_point_list, 0, 0},
    {"point_get", "GET", "/api/v1/points/*", http_point_get, 0, 0},
    {"point_region", "POST", "/api/v1/points/*/regions", http_point_region, 0,
        0},
    {"subscriber_create", "POST", "/api/v1/subscribers", http_subscriber_create,
        0, 0},
    {"subscriber_list", "GET", "/api/v1/subscribers", http_subscriber_list, 0,
        0},
    {"subscriber_get", "GET", "/api/v1/subscribers/*", http_subscriber_get, 0,
        0},
    {"app_submit", "POST", "/api/v1/applications", http_app_submit, 0, 0},
    {"app_list", "GET", "/api/v1/applications", http_app_list, 0, 0},
    {"app_get", "GET", "/api/v1/applications/*", http_app_get, 0, 0},
    {"material_add", "POST", "/api/v1/applications/*/materials",
        http_material_add, 0, EGCA_RA_MATERIAL_MAX},
    {"material_list", "GET", "/api/v1/applications/*/materials",
        http_material_list, 0, 0},
    {"material_get", "GET", "/api/v1/applications/*/materials/*",
        http_material_get, 0, 0},
    {"app_approve", "POST", "/api/v1/applications/*/approve", http_app_approve,
        1, 0},
    {"app_reject", "POST", "/api/v1/applications/*/reject", http_app_reject, 0,
        0},
    {"app_execute", "POST", "/api/v1/applications/*/execute", http_app_execute,
        1, 0},
    {"app_envelope", "GET", "/api/v1/applications/*/envelope",
        http_app_envelope, 0, 0},
    {"loss_report", "POST", "/api/v1/loss-reports", http_loss_report, 1, 0},
    {"loss_list", "GET", "/api/v1/loss-reports", http_loss_list, 0, 0},
    {"loss_confirm", "POST", "/api/v1/loss-reports/*/confirm",
        http_loss_confirm, 1, 0},
    {"audit_list", "GET", "/api/v1/audit", http_audit_list, 0, 0},
    {"audit_export", "GET", "/api/v1/audit/export", http_audit_export, 1, 0},
    {"audit_verify", "GET", "/api/v1/audit/verify", http_audit_verify, 1, 0},
};
const size_t http_nroutes = sizeof(http_routes) / sizeof(http_routes[0]);

enum kind { K_EXACT, K_PATTERN, K_PREFIX };

static enum kind
path_kind(const char *pattern)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '/')
		return K_PREFIX;
	return strchr(pattern, '*') != NULL ? K_PATTERN : K_EXACT;
}

/* Decodes one captured segment into r->param_buf; 0 when unfit. */
static int
capture(struct http_req *r, size_t *used, const char *seg, size_t len)
{
	char *d = r->param_buf + *used;
	size_t room = sizeof(r->param_buf) - *used, dl, i;

	if (len == 0 || r->nparam >= HTTP_MAX_PARAMS || room < 2)
		return 0;
	if (http_pct_decode(seg, len, 0, d, room - 1, &dl) != EGCA_OK)
		return 0;
	if (dl == 0 || (dl == 1 && d[0] == '.') ||
	    (dl == 2 && d[0] == '.' && d[1] == '.') || !http_utf8_valid(d, dl))
		return 0;
	for (i = 0; i < dl; i++)
		if (d[i] == '/' || (unsigned char)d[i] < 0x20 || d[i] == 0x7f)
			return 0;
	d[dl] = '\0';
	r->param[r->nparam++] = d;
	*used += dl + 1;
	return 1;
}

/* A pattern of literal and '*' segments against the whole raw path. */
static int
pattern_match(const char *pat, const char *path, struct http_req *r)
{
	const char *p = pat, *q = path, *pe, *qe;
	size_t pl, ql, used = 0;

	r->nparam = 0;
	for (;;) {
		/* Both are at a '/' (the first) or just past one. */
		if ((*p == '/') != (*q == '/'))
			return 0;
		if (*p == '/') {
			p++;
			q++;
		}
		pe = strchr(p, '/');
		qe = strchr(q, '/');
		pl = pe ? (size_t)(pe - p) : strlen(p);
		ql = qe ? (size_t)(qe - q) : strlen(q);
		if (pl == 1 && p[0] == '*') {
			if (!capture(r, &used, q, ql))
				return 0;
		} else if (pl != ql || memcmp(p, q, pl) != 0) {
			return 0;
		}
		p += pl;
		q += ql;
		if (*p == '\0' || *q == '\0')
			return *p == '\0' && *q == '\0';
	}
}

static int
path_match(const struct http_route *rt, enum kind k, const char *path,
    struct http_req *r)
{
	size_t n = strlen(rt->path);

	switch (k) {
	case K_EXACT:
		if (strcmp(rt->path, path) != 0)
			return 0;
		r->rest = path + n;
		r->nparam = 0;
		return 1;
	case K_PATTERN:
		if (!pattern_match(rt->path, path, r))
			return 0;
		r->rest = path + strlen(path);
		return 1;
	case K_PREFIX:
	default:
		/* A prefix route needs something after the slash. */
		if (strncmp(rt->path, path, n) != 0 || path[n] == '\0')
			return 0;
		r->rest = path + n;
		r->nparam = 0;
		return 1;
	}
}

const struct http_route *
http_route_match(const char *method, const char *path, struct http_req *r,
    unsigned *status, const char **allow)
{
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	struct http_req scratch;
	unsigned seen;
	size_t i;
	int k;

	*status = 404;
	*allow = NULL;
	for (k = K_EXACT; k <= K_PREFIX; k++) {
		seen = 0;
		for (i = 0; i < http_nroutes; i++) {
			if (path_kind(http_routes[i].path) != (enum kind)k)
				continue;
			if (strcmp(http_routes[i].method, m) == 0 &&
			    path_match(&http_routes[i], (enum kind)k, path, r))
				return &http_routes[i];
			/* Another method's route: for Allow only. */
			memset(&scratch, 0, sizeof(scratch));
			if (path_match(
			        &http_routes[i], (enum kind)k, path, &scratch))
				seen |=
				    strcmp(http_routes[i].method, "GET") == 0
				    ? 1u
				    : 2u;
		}
		if (seen != 0) {
			/* /ocsp takes POST, /ocsp/<b64> GET: Allow names both.
			 */
			if (strcmp(path, "/ocsp") == 0 ||
			    strncmp(path, "/ocsp/", 6) == 0)
				seen = 3;
			*allow = seen == 3 ? "GET, HEAD, POST"
			    : seen == 1    ? "GET, HEAD"
			                   : "POST";
			*status = 405;
			return NULL;
		}
	}
	r->nparam = 0;
	return NULL;
}

const struct http_route *
http_route_find(const char *method, const char *path, const char **rest,
    unsigned *status, const char **allow)
{
	struct http_req r;
	const struct http_route *rt;

	memset(&r, 0, sizeof(r));
	rt = http_route_match(method, path, &r, status, allow);
	*rest = rt != NULL ? r.rest : NULL;
	return rt;
}
