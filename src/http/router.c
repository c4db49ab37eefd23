/*
 * The route table: one line per resource, matched on the raw path
 * (exact, or a prefix ending in '/'). HEAD is served wherever GET is.
 */
#include <string.h>

#include "http/http_int.h"

const struct http_route http_routes[] = {
    {"healthz", "GET", "/healthz", http_healthz, 0},
    {"metrics", "GET", "/metrics", http_metrics_get, 0},
    {"ocsp_post", "POST", "/ocsp", http_ocsp_post, 0},
    {"ocsp_get", "GET", "/ocsp/", http_ocsp_get, 0},
    {"crl", "GET", "/crl/", http_crl_get, 0},
    {"repo_ca", "GET", "/ca/", http_repo_ca, 0},
    {"repo_cert", "GET", "/certs/", http_repo_cert, 0},
    {"openapi", "GET", "/api/v1/openapi.json", http_openapi, 0},
    {"api_certs", "GET", "/api/v1/certificates", http_api_certs, 0},
    {"api_cert", "GET", "/api/v1/certificates/", http_api_cert, 0},
    {"api_stats", "GET", "/api/v1/statistics", http_api_stats, 0},
    {"api_download", "GET", "/api/v1/downloads", http_api_download, 1},
    {"session_login", "POST", "/api/v1/session", http_session_login, 1},
    {"session_get", "GET", "/api/v1/session", http_session_get, 0},
    {"session_logout", "POST", "/api/v1/session/logout", http_session_logout,
        0},
    {"me_password", "POST", "/api/v1/me/password", http_me_password, 1},
    {"me_totp_enroll", "POST", "/api/v1/me/totp", http_me_totp_enroll, 0},
    {"me_totp_confirm", "POST", "/api/v1/me/totp/confirm", http_me_totp_confirm,
        0},
    {"token_create", "POST", "/api/v1/tokens", http_token_create, 0},
    {"token_list", "GET", "/api/v1/tokens", http_token_list, 0},
    {"token_revoke", "POST", "/api/v1/tokens/*/revoke", http_token_revoke, 0},
    {"operator_create", "POST", "/api/v1/operators", http_operator_create, 1},
    {"operator_list", "GET", "/api/v1/operators", http_operator_list, 0},
    {"operator_get", "GET", "/api/v1/operators/*", http_operator_get, 0},
    {"operator_roles", "POST", "/api/v1/operators/*/roles", http_operator_roles,
        0},
    {"operator_disable", "POST", "/api/v1/operators/*/disable",
        http_operator_disable, 0},
    {"operator_enable", "POST", "/api/v1/operators/*/enable",
        http_operator_enable, 0},
    {"operator_unlock", "POST", "/api/v1/operators/*/unlock",
        http_operator_unlock, 0},
    {"operator_reset", "POST", "/api/v1/operators/*/reset", http_operator_reset,
        1},
    {"point_create", "POST", "/api/v1/points", http_point_create, 0},
    {"point_list", "GET", "/api/v1/points", http_point_list, 0},
    {"point_get", "GET", "/api/v1/points/*", http_point_get, 0},
    {"point_region", "POST", "/api/v1/points/*/regions", http_point_region, 0},
    {"subscriber_create", "POST", "/api/v1/subscribers", http_subscriber_create,
        0},
    {"subscriber_list", "GET", "/api/v1/subscribers", http_subscriber_list, 0},
    {"subscriber_get", "GET", "/api/v1/subscribers/*", http_subscriber_get, 0},
    {"app_submit", "POST", "/api/v1/applications", http_app_submit, 0},
    {"app_list", "GET", "/api/v1/applications", http_app_list, 0},
    {"app_get", "GET", "/api/v1/applications/*", http_app_get, 0},
    {"material_add", "POST", "/api/v1/applications/*/materials",
        http_material_add, 0},
    {"material_list", "GET", "/api/v1/applications/*/materials",
        http_material_list, 0},
    {"material_get", "GET", "/api/v1/applications/*/materials/*",
        http_material_get, 0},
    {"app_approve", "POST", "/api/v1/applications/*/approve", http_app_approve,
        1},
    {"app_reject", "POST", "/api/v1/applications/*/reject", http_app_reject, 0},
    {"app_execute", "POST", "/api/v1/applications/*/execute", http_app_execute,
        1},
    {"loss_report", "POST", "/api/v1/loss-reports", http_loss_report, 1},
    {"loss_list", "GET", "/api/v1/loss-reports", http_loss_list, 0},
    {"loss_confirm", "POST", "/api/v1/loss-reports/*/confirm",
        http_loss_confirm, 1},
    {"audit_list", "GET", "/api/v1/audit", http_audit_list, 0},
    {"audit_export", "GET", "/api/v1/audit/export", http_audit_export, 1},
    {"audit_verify", "GET", "/api/v1/audit/verify", http_audit_verify, 1},
};
const size_t http_nroutes = sizeof(http_routes) / sizeof(http_routes[0]);

static int
path_match(const char *pattern, const char *path, const char **rest)
{
	size_t n = strlen(pattern);

	if (pattern[n - 1] == '/') {
		/* A prefix route needs something after the slash. */
		if (strncmp(pattern, path, n) != 0 || path[n] == '\0')
			return 0;
		*rest = path + n;
		return 1;
	}
	if (strcmp(pattern, path) != 0)
		return 0;
	*rest = path + n;
	return 1;
}

const struct http_route *
http_route_find(const char *method, const char *path, const char **rest,
    unsigned *status, const char **allow)
{
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	const char *r;
	size_t i;
	int path_seen = 0;

	*status = 404;
	*allow = NULL;
	for (i = 0; i < http_nroutes; i++) {
		if (!path_match(http_routes[i].path, path, &r))
			continue;
		if (strcmp(http_routes[i].method, m) == 0) {
			*rest = r;
			return &http_routes[i];
		}
		path_seen = 1;
		*allow = strcmp(http_routes[i].method, "GET") == 0
		    ? "GET, HEAD"
		    : http_routes[i].method;
	}
	if (path_seen) {
		/* /ocsp takes POST, /ocsp/<b64> GET: Allow names both. */
		if (strncmp(path, "/ocsp", 5) == 0)
			*allow = "GET, HEAD, POST";
		*status = 405;
	}
	return NULL;
}
