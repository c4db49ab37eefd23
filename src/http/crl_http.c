/*
 * CRLs over HTTP (RFC 5280 4.2.1.13 http URIs): /crl/<ca>.crl (full)
 * and /crl/<ca>-delta.crl (delta), from the status service's current
 * CRLs, with cache headers up to nextUpdate. A CA whose own name ends
 * in "-delta" still gets its full CRL: the delta of the shorter name is
 * tried first, then the full CRL of the whole name.
 */
#include <string.h>

#include "egca/ca.h"
#include "egca/status.h"
#include "http/http_int.h"

void
http_crl_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_status_blob b;
	char name[80];
	size_t n = strlen(r->rest);
	enum egca_err e = EGCA_ERR_NOTFOUND;

	(void)caller;
	memset(&b, 0, sizeof(b));
	if (n <= 4 || n - 4 >= sizeof(name) ||
	    strcmp(r->rest + n - 4, ".crl") != 0) {
		http_problem(out, r, 404, "EGCA-NOT-FOUND", NULL,
		    "CRLs are /crl/<ca>.crl and /crl/<ca>-delta.crl");
		return;
	}
	memcpy(name, r->rest, n - 4);
	name[n - 4] = '\0';
	if (egca_ca_name_check(name) != EGCA_OK) {
		http_problem(out, r, 404, "EGCA-NOT-FOUND", NULL, "no such CA");
		return;
	}
	n -= 4;
	if (n > 6 && strcmp(name + n - 6, "-delta") == 0) {
		name[n - 6] = '\0';
		e = egca_status_crl_get(r->app->status, name, 1, &b);
		name[n - 6] = '-';
	}
	if (e == EGCA_ERR_NOTFOUND)
		e = egca_status_crl_get(r->app->status, name, 0, &b);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	http_resp_cache(out, r->now, b.this_update, b.next_update, b.etag);
	if (http_etag_match(r->if_none_match, b.etag)) {
		egca_status_blob_release(b.ref);
		http_resp_take(out, 304, NULL, NULL, 0);
		return;
	}
	http_resp_take(out, 200, "application/pkix-crl", NULL, 0);
	out->body = (uint8_t *)(uintptr_t)b.der;
	out->len = b.len;
	out->release = egca_status_blob_release;
	out->release_arg = b.ref;
}
