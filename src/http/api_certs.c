/*
 * GET /api/v1/certificates (search, paged), GET
 * /api/v1/certificates/{ca}/{serial} (detail with PEM) and
 * .../{serial}/status. Read-only; the caller's region scope narrows
 * every search (http_search_query).
 */
#include <stdlib.h>
#include <string.h>

#include "egca/ca.h"
#include "egca/pki.h"
#include "http/http_int.h"

#define PER_PAGE_MAX 1000

/* The status fields of one certificate. */
static void
status_fields(json_t *o, const struct egca_cert_rec *c, int64_t now)
{
	json_object_set_new(o, "status", json_string(c->status));
	json_object_set_new(o, "reason",
	    c->reason >= 0 ? json_string(egca_ca_reason_name(c->reason))
	                   : json_null());
	json_object_set_new(o, "revoked_at", http_json_time(c->revoked_at));
	json_object_set_new(
	    o, "invalidity_date", http_json_time(c->invalidity_date));
	json_object_set_new(o, "expired", json_boolean(c->not_after <= now));
}

static json_t *
item(const struct egca_cert_hit *h, int64_t now)
{
	const struct egca_cert_rec *c = &h->cert;
	char self[160];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	snprintf(
	    self, sizeof(self), "/api/v1/certificates/%s/%s", c->ca, c->serial);
	json_object_set_new(o, "ca", json_string(c->ca));
	json_object_set_new(o, "serial", json_string(c->serial));
	json_object_set_new(o, "subject", json_string(c->subject));
	json_object_set_new(o, "organization", http_json_str(h->organization));
	json_object_set_new(
	    o, "identity_code", http_json_str(h->identity_code));
	json_object_set_new(o, "region", http_json_str(h->region));
	json_object_set_new(
	    o, "subscriber_type", http_json_str(h->subscriber_type));
	json_object_set_new(o, "profile", json_string(c->profile));
	status_fields(o, c, now);
	json_object_set_new(o, "not_before", http_json_time(c->not_before));
	json_object_set_new(o, "not_after", http_json_time(c->not_after));
	json_object_set_new(o, "issued_at", http_json_time(c->issued_at));
	json_object_set_new(o, "audience", json_string(c->audience));
	json_object_set_new(o, "key_alg", json_string(c->key_alg));
	json_object_set_new(o, "href", json_string(self));
	return o;
}

void
http_api_certs(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct http_query p;
	struct egca_cert_query q;
	struct egca_cert_hit *hits = NULL;
	struct egca_store *st;
	char serial[41];
	size_t n = 0, total = 0, i;
	int64_t page, per_page;
	json_t *j, *items;
	enum egca_err e;

	if (http_query_or_problem(r, http_search_params, &p, out) != EGCA_OK ||
	    http_search_query(r, caller, &p, &q, serial, PER_PAGE_MAX, &page,
	        &per_page, out) != EGCA_OK)
		return;
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	e = egca_store_cert_search(st, &q, &hits, &n, &total);
	egca_store_pool_put(r->app->pool, st);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, item(&hits[i], r->now));
	egca_store_cert_hit_list_free(hits, n);
	j = json_pack("{s:I, s:I, s:I, s:o*}", "total", (json_int_t)total,
	    "page", (json_int_t)page, "per_page", (json_int_t)per_page, "items",
	    items);
	http_resp_header(out, "Cache-Control", "no-cache");
	http_resp_json(out, 200, j);
}

void
http_api_cert(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct http_query p;
	struct egca_cert_query q;
	struct egca_cert_hit *hits = NULL;
	struct egca_store *st;
	struct egca_buf pem;
	static const char *const none[] = {NULL};
	char buf[256], *seg[4], serial[41];
	size_t nseg = 4, n = 0, total = 0;
	int want_status;
	json_t *j;
	enum egca_err e;

	if (http_query_or_problem(r, none, &p, out) != EGCA_OK)
		return;
	if (http_path_split(r->rest, buf, sizeof(buf), seg, &nseg) != EGCA_OK ||
	    nseg < 2 || nseg > 3 ||
	    (nseg == 3 && strcmp(seg[2], "status") != 0)) {
		http_problem(out, r, 404, "EGCA-NOT-FOUND", NULL,
		    "expected /api/v1/certificates/{ca}/{serial}[/status]");
		return;
	}
	want_status = nseg == 3;
	if (egca_ca_name_check(seg[0]) != EGCA_OK) {
		http_problem(out, r, 404, "EGCA-NOT-FOUND", "ca", "no such CA");
		return;
	}
	if (egca_ca_serial_parse(seg[1], serial) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "serial", "%s",
		    egca_err_detail());
		return;
	}
	memset(&q, 0, sizeof(q));
	q.ca = seg[0];
	q.serial = serial;
	q.limit = 1;
	q.with_der = !want_status;
	q.region = caller->scope_region;
	q.department = http_caller_department(caller);
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	e = egca_store_cert_search(st, &q, &hits, &n, &total);
	egca_store_pool_put(r->app->pool, st);
	if (e == EGCA_OK && n == 0)
		e = egca_err_set(EGCA_ERR_NOTFOUND,
		    "no certificate %s of CA %s", serial, seg[0]);
	if (e != EGCA_OK) {
		egca_store_cert_hit_list_free(hits, n);
		http_problem_err(out, r, e);
		return;
	}
	if (want_status) {
		j = json_pack("{s:s, s:s}", "ca", hits[0].cert.ca, "serial",
		    hits[0].cert.serial);
		if (j != NULL) {
			status_fields(j, &hits[0].cert, r->now);
			json_object_set_new(j, "not_after",
			    http_json_time(hits[0].cert.not_after));
		}
		http_resp_header(out, "Cache-Control", "no-cache");
	} else {
		j = item(&hits[0], r->now);
		egca_buf_init(&pem, 1 << 20);
		e = egca_pki_pem_encode(hits[0].cert.der, hits[0].cert.der_len,
		    "CERTIFICATE", &pem);
		if (j != NULL && e == EGCA_OK) {
			json_object_set_new(
			    j, "tbs_sm3", json_string(hits[0].cert.tbs_sm3));
			json_object_set_new(j, "pem",
			    json_stringn((const char *)pem.data, pem.len));
		}
		egca_buf_free(&pem);
		if (e != EGCA_OK) {
			json_decref(j);
			egca_store_cert_hit_list_free(hits, n);
			http_problem_err(out, r, e);
			return;
		}
		http_resp_header(out, "Cache-Control", "no-cache");
	}
	egca_store_cert_hit_list_free(hits, n);
	http_resp_json(out, 200, j);
}
