/*
 * OCSP over HTTP (RFC 6960 Appendix A, RFC 5019): POST with an
 * application/ocsp-request body, GET /ocsp/<url-encoded base64>.
 *
 * The connection thread answers only from pre-signed responses
 * (EGCA_OCSP_NO_LIVE_SIGN); an answer that needs a signature now (a
 * nonce, a response not yet signed) is run again on the worker pool.
 * The response body is the status service's blob, sent without a copy
 * and released when sent.
 *
 * Errors: a GET path that is not strict base64 of something is a 400
 * problem+json (there is no request to answer); anything decodable but
 * not a valid OCSPRequest gets the service's malformedRequest
 * OCSPResponse with 200, as RFC 6960 4.2.1 expects.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "egca/status.h"
#include "http/http_int.h"

#define OCSP_MAX_REQ (64 * 1024)

static void
no_release(void *arg)
{
	(void)arg;
}

static void
answer(struct http_req *r, struct http_resp *out, const uint8_t *der,
    size_t len, int get)
{
	struct egca_ocsp_answer ans;
	enum egca_err e;

	memset(&ans, 0, sizeof(ans));
	e = egca_status_ocsp_respond(r->app->status, der, len,
	    r->on_worker ? 0 : EGCA_OCSP_NO_LIVE_SIGN, &ans);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	if (ans.needs_worker) {
		if (r->on_worker) {
			http_problem(out, r, 500, "EGCA-INTERNAL", NULL,
			    "OCSP: no answer on the worker");
			return;
		}
		out->defer = 1;
		return;
	}
	http_metrics_ocsp(r->app->metrics, &ans);
	if (get && ans.cacheable && ans.status == EGCA_OCSP_SUCCESSFUL) {
		http_resp_cache(out, r->now, ans.body.this_update,
		    ans.body.next_update, ans.body.etag);
		if (http_etag_match(r->if_none_match, ans.body.etag)) {
			egca_status_blob_release(ans.body.ref);
			http_resp_take(out, 304, NULL, NULL, 0);
			return;
		}
	} else {
		http_resp_header_str(
		    out, "Cache-Control", "no-cache, no-store");
	}
	http_resp_take(out, 200, "application/ocsp-response", NULL, 0);
	out->body = (uint8_t *)(uintptr_t)ans.body.der;
	out->len = ans.body.len;
	if (ans.body.ref != NULL) {
		out->release = egca_status_blob_release;
		out->release_arg = ans.body.ref;
	} else {
		out->release = no_release;
	}
}

static int
media_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

void
http_ocsp_post(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	if (!media_type_is(r->content_type, "application/ocsp-request")) {
		http_problem(out, r, 415, "EGCA-UNSUPPORTED-MEDIA-TYPE", NULL,
		    "OCSP requests are application/ocsp-request");
		return;
	}
	if (r->body_len > OCSP_MAX_REQ) {
		http_problem(out, r, 413, "EGCA-BODY-TOO-LARGE", NULL,
		    "OCSP requests are at most %d bytes", OCSP_MAX_REQ);
		return;
	}
	answer(r, out, r->body, r->body_len, 0);
}

/* A GET request kept for the worker's run (the path is decoded once). */
struct get_state {
	size_t len;
	uint8_t der[];
};

/* Percent-decoded GET paths up to this long are decoded on the stack. */
#define GET_STACK_MAX 2048

void
http_ocsp_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct get_state *g = r->state;
	char sb64[GET_STACK_MAX], *b64 = sb64;
	uint8_t der[OCSP_MAX_REQ];
	size_t rl, bl, len;
	enum egca_err e;

	(void)caller;
	if (g != NULL) {
		answer(r, out, g->der, g->len, 1);
		return;
	}
	rl = strlen(r->rest);
	/* Base64 is 4/3 of the DER; percent-encoding only grows. */
	if (rl > OCSP_MAX_REQ / 3 * 4 * 3 + 16) {
		http_problem(out, r, 414, "EGCA-URI-TOO-LONG", NULL,
		    "OCSP GET request too long; use POST");
		return;
	}
	if (rl > sizeof(sb64) && (b64 = malloc(rl)) == NULL) {
		http_problem_err(
		    out, r, egca_err_set(EGCA_ERR_NOMEM, "out of memory"));
		return;
	}
	/* RFC 6960 A.1: '+' and '/' may arrive raw or %-encoded. */
	if ((e = http_pct_decode(r->rest, rl, 0, b64, rl, &bl)) != EGCA_OK ||
	    (e = http_b64_decode(b64, bl, der, sizeof(der), &len)) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-REQUEST", NULL,
		    "OCSP GET: %s", egca_err_detail());
		if (b64 != sb64)
			free(b64);
		return;
	}
	if (b64 != sb64)
		free(b64);
	answer(r, out, der, len, 1);
	if (!out->defer)
		return;
	/* Signed on a worker: keep the request for its run. */
	if ((g = malloc(sizeof(*g) + len)) == NULL) {
		out->defer = 0;
		http_problem_err(
		    out, r, egca_err_set(EGCA_ERR_NOMEM, "out of memory"));
		return;
	}
	g->len = len;
	memcpy(g->der, der, len);
	r->state = g;
	r->state_free = free;
}
