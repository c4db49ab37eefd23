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
