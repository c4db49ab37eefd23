/*
 * Prometheus text exposition (format 0.0.4) at /metrics: requests by
 * route and status code, a latency histogram, OCSP answers by
 * certificate status and by response status, and the status service's
 * counters (signing errors, CRL age). Counters are lock-free atomics
 * updated on the request path.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/status.h"
#include "http/http_int.h"

static const unsigned codes[] = {
    200, 304, 400, 403, 404, 405, 413, 414, 415, 431, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
#define NROUTES_MAX 32

static const double buckets[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct http_metrics {
	/* [route][code], the last code column for "other" */
	atomic_uint_fast64_t req[NROUTES_MAX + 1][NCODES + 1];
	atomic_uint_fast64_t lat[NBUCKETS + 1];
	atomic_uint_fast64_t lat_sum_us, lat_count;
	atomic_uint_fast64_t ocsp_cert[3]; /* good, revoked, unknown */
	atomic_uint_fast64_t ocsp_resp[7]; /* by OCSPResponseStatus */
	atomic_int_fast64_t inflight;
};

struct http_metrics *
http_metrics_new(void)
{
	return calloc(1, sizeof(struct http_metrics));
}

void
http_metrics_free(struct http_metrics *m)
{
	free(m);
}

void
http_metrics_request(
    struct http_metrics *m, size_t route, unsigned status, uint64_t duration_us)
{
	size_t c, b;

	if (m == NULL)
		return;
	if (route > NROUTES_MAX)
		route = NROUTES_MAX;
	for (c = 0; c < NCODES && codes[c] != status; c++)
		;
	atomic_fetch_add(&m->req[route][c], 1);
	for (b = 0; b < NBUCKETS && (double)duration_us / 1e6 > buckets[b]; b++)
		;
	atomic_fetch_add(&m->lat[b], 1);
	atomic_fetch_add(&m->lat_sum_us, duration_us);
	atomic_fetch_add(&m->lat_count, 1);
}

void
http_metrics_ocsp(struct http_metrics *m, const struct egca_ocsp_answer *ans)
{
	if (m == NULL)
		return;
	atomic_fetch_add(&m->ocsp_cert[0], (uint64_t)ans->n_good);
	atomic_fetch_add(&m->ocsp_cert[1], (uint64_t)ans->n_revoked);
	atomic_fetch_add(&m->ocsp_cert[2], (uint64_t)ans->n_unknown);
	if ((unsigned)ans->status < 7)
		atomic_fetch_add(&m->ocsp_resp[ans->status], 1);
}

void
http_metrics_inflight(struct http_metrics *m, int delta)
{
	if (m != NULL)
		atomic_fetch_add(&m->inflight, delta);
}

static void
render(struct http_metrics *m, struct egca_status *status, struct egca_buf *b,
    enum egca_err *e)
{
	static const char *const resp_names[7] = {"successful",
	    "malformedRequest", "internalError", "tryLater", NULL,
	    "sigRequired", "unauthorized"};
	static const char *const cert_names[3] = {"good", "revoked", "unknown"};
	struct egca_status_stats st;
	uint64_t cum = 0, v;
	size_t r, c;
	char code[8];

#define P(...)                                                                 \
	do {                                                                   \
		if (*e == EGCA_OK)                                             \
			*e = egca_buf_printf(b, __VA_ARGS__);                  \
	} while (0)
	P("# HELP egca_http_requests_total HTTP requests by route and "
	  "status code.\n# TYPE egca_http_requests_total counter\n");
	for (r = 0; r <= http_nroutes && r <= NROUTES_MAX; r++)
		for (c = 0; c <= NCODES; c++) {
			v = atomic_load(&m->req[r][c]);
			if (v == 0)
				continue;
			if (c < NCODES)
				snprintf(code, sizeof(code), "%u", codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			P("egca_http_requests_total{route=\"%s\",code=\"%s\"} "
			  "%llu\n",
			    r < http_nroutes ? http_routes[r].name : "none",
			    code, (unsigned long long)v);
		}
	P("# HELP egca_http_request_duration_seconds Time from the first "
	  "byte of a request to the end of its response.\n"
	  "# TYPE egca_http_request_duration_seconds histogram\n");
	for (c = 0; c < NBUCKETS; c++) {
		cum += atomic_load(&m->lat[c]);
		P("egca_http_request_duration_seconds_bucket{le=\"%g\"} "
		  "%llu\n",
		    buckets[c], (unsigned long long)cum);
	}
	cum += atomic_load(&m->lat[NBUCKETS]);
	P("egca_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)cum);
	P("egca_http_request_duration_seconds_sum %.6f\n",
	    (double)atomic_load(&m->lat_sum_us) / 1e6);
	P("egca_http_request_duration_seconds_count %llu\n",
	    (unsigned long long)atomic_load(&m->lat_count));
	P("# HELP egca_http_requests_in_flight Requests being answered.\n"
	  "# TYPE egca_http_requests_in_flight gauge\n"
	  "egca_http_requests_in_flight %lld\n",
	    (long long)atomic_load(&m->inflight));
	P("# HELP egca_ocsp_certificates_total Certificate statuses "
	  "answered by OCSP.\n# TYPE egca_ocsp_certificates_total counter\n");
	for (c = 0; c < 3; c++)
		P("egca_ocsp_certificates_total{status=\"%s\"} %llu\n",
		    cert_names[c],
		    (unsigned long long)atomic_load(&m->ocsp_cert[c]));
	P("# HELP egca_ocsp_responses_total OCSP responses by "
	  "OCSPResponseStatus.\n# TYPE egca_ocsp_responses_total counter\n");
	for (c = 0; c < 7; c++)
		if (resp_names[c] != NULL)
			P("egca_ocsp_responses_total{response_status=\"%s\"} "
			  "%llu\n",
			    resp_names[c],
			    (unsigned long long)atomic_load(&m->ocsp_resp[c]));
	if (status != NULL) {
		memset(&st, 0, sizeof(st));
		egca_status_get_stats(status, &st);
		P("# HELP egca_status_sign_errors_total Signing failures of "
		  "the status service.\n"
		  "# TYPE egca_status_sign_errors_total counter\n"
		  "egca_status_sign_errors_total %llu\n",
		    (unsigned long long)st.sign_errors);
		P("# HELP egca_ocsp_presigned_total OCSP responses signed "
		  "ahead.\n# TYPE egca_ocsp_presigned_total counter\n"
		  "egca_ocsp_presigned_total %llu\n",
		    (unsigned long long)st.ocsp_presigned);
		P("# HELP egca_ocsp_live_signed_total OCSP responses signed "
		  "on request.\n# TYPE egca_ocsp_live_signed_total counter\n"
		  "egca_ocsp_live_signed_total %llu\n",
		    (unsigned long long)st.ocsp_live);
		P("# HELP egca_crl_age_seconds Seconds since the oldest "
		  "current CRL's thisUpdate.\n"
		  "# TYPE egca_crl_age_seconds gauge\n"
		  "egca_crl_age_seconds %lld\n",
		    (long long)st.crl_age_max);
		P("# HELP egca_ocsp_cached_responses Pre-signed responses in "
		  "memory.\n# TYPE egca_ocsp_cached_responses gauge\n"
		  "egca_ocsp_cached_responses %zu\n",
		    st.cached_responses);
	}
#undef P
}

void
http_metrics_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_buf b;
	enum egca_err e = EGCA_OK;
	uint8_t *body;
	size_t len;

	(void)caller;
	egca_buf_init(&b, 1 << 20);
	render(r->app->metrics, r->app->status, &b, &e);
	if (e != EGCA_OK) {
		egca_buf_free(&b);
		http_problem_err(out, r, e);
		return;
	}
	body = egca_buf_take(&b, &len);
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_take(
	    out, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

void
http_healthz(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	char why[256], body[300];
	int n;

	(void)caller;
	http_resp_header(out, "Cache-Control", "no-store");
	why[0] = '\0';
	if (r->app->status != NULL &&
	    egca_status_ready(r->app->status, r->now, why, sizeof(why))) {
		http_resp_text(
		    out, 200, "text/plain; charset=utf-8", "ready\n", 6);
		return;
	}
	n = snprintf(body, sizeof(body), "not ready: %s\n",
	    why[0] ? why : "status service not open");
	http_resp_text(out, 503, "text/plain; charset=utf-8", body,
	    n < 0                           ? 0
	        : (size_t)n >= sizeof(body) ? sizeof(body) - 1
	                                    : (size_t)n);
}
