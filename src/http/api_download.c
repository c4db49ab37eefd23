/*
 * GET /api/v1/downloads?<search parameters>: the matching certificates
 * as a ZIP (certs/<ca>/<serial>.der and .pem, manifest.csv,
 * manifest.json). Runs on a worker thread. At most 10,000 certificates
 * per archive: a larger match is refused with 413 unless paged
 * (page/per_page), so one request cannot make an unbounded archive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/pki.h"
#include "http/http_int.h"

#define DOWNLOAD_MAX 10000
#define ZIP_MAX ((size_t)256 << 20)

/* One CSV field (RFC 4180), neutralising spreadsheet formulas. */
static enum egca_err
csv_field(struct egca_buf *b, const char *s, int last)
{
	enum egca_err e;
	const char *p;

	if (s == NULL)
		s = "";
	if ((e = egca_buf_append_byte(b, '"')) != EGCA_OK)
		return e;
	if ((s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') &&
	    (e = egca_buf_append_byte(b, '\'')) != EGCA_OK)
		return e;
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' && (e = egca_buf_append_byte(b, '"')) != EGCA_OK)
			return e;
		if ((e = egca_buf_append_byte(b, (uint8_t)*p)) != EGCA_OK)
			return e;
	}
	if ((e = egca_buf_append_byte(b, '"')) != EGCA_OK)
		return e;
	return egca_buf_append(b, last ? "\r\n" : ",", last ? 2 : 1);
}

static enum egca_err
build(const struct egca_cert_hit *h, size_t n, int64_t now, uint8_t **zip,
    size_t *zip_len)
{
	static const char *const cols[] = {"ca", "serial", "subject",
	    "organization", "identity_code", "region", "subscriber_type",
	    "profile", "status", "not_before", "not_after", "issued_at",
	    "der_file", "pem_file"};
	struct http_zip z;
	struct egca_buf csv, pem;
	json_t *man = json_array(), *o;
	char der_name[128], pem_name[128], nb[32], na[32], ia[32];
	char *js = NULL;
	size_t i, k;
	enum egca_err e = EGCA_OK;

	http_zip_init(&z, ZIP_MAX, now);
	egca_buf_init(&csv, 64 << 20);
	egca_buf_init(&pem, 1 << 20);
	if (man == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < sizeof(cols) / sizeof(cols[0]) && e == EGCA_OK; k++)
		e = csv_field(
		    &csv, cols[k], k + 1 == sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < n && e == EGCA_OK; i++) {
		const struct egca_cert_rec *c = &h[i].cert;
		snprintf(der_name, sizeof(der_name), "certs/%s/%s.der", c->ca,
		    c->serial);
		snprintf(pem_name, sizeof(pem_name), "certs/%s/%s.pem", c->ca,
		    c->serial);
		egca_buf_reset(&pem);
		if ((e = http_zip_add(&z, der_name, c->der, c->der_len)) !=
		        EGCA_OK ||
		    (e = egca_pki_pem_encode(
		         c->der, c->der_len, "CERTIFICATE", &pem)) != EGCA_OK ||
		    (e = http_zip_add(&z, pem_name, pem.data, pem.len)) !=
		        EGCA_OK)
			break;
		http_time_iso(c->not_before, nb);
		http_time_iso(c->not_after, na);
		http_time_iso(c->issued_at, ia);
		{
			const char *v[] = {c->ca, c->serial, c->subject,
			    h[i].organization, h[i].identity_code, h[i].region,
			    h[i].subscriber_type, c->profile, c->status, nb, na,
			    ia, der_name, pem_name};
			for (k = 0;
			     k < sizeof(v) / sizeof(v[0]) && e == EGCA_OK; k++)
				e = csv_field(&csv, v[k],
				    k + 1 == sizeof(v) / sizeof(v[0]));
		}
		o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s, "
		              "s:s, s:s, s:s, s:s, s:s, s:s}",
		    "ca", c->ca, "serial", c->serial, "subject", c->subject,
		    "organization", h[i].organization, "identity_code",
		    h[i].identity_code, "region", h[i].region,
		    "subscriber_type", h[i].subscriber_type, "profile",
		    c->profile, "status", c->status, "not_before", nb,
		    "not_after", na, "issued_at", ia, "der_file", der_name,
		    "pem_file", pem_name);
		if (o == NULL || json_array_append_new(man, o) != 0)
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	if (e != EGCA_OK)
		goto out;
	if ((js = json_dumps(man, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = http_zip_add(&z, "manifest.csv", csv.data, csv.len)) !=
	        EGCA_OK ||
	    (e = http_zip_add(&z, "manifest.json", js, strlen(js))) != EGCA_OK)
		goto out;
	e = http_zip_finish(&z, zip, zip_len);
out:
	free(js);
	json_decref(man);
	egca_buf_free(&csv);
	egca_buf_free(&pem);
	http_zip_free(&z);
	return e;
}

void
http_api_download(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct http_query p;
	struct egca_cert_query q;
	struct egca_cert_hit *hits = NULL;
	struct egca_store *st;
	char serial[41], stamp[32];
	size_t n = 0, total = 0, zl;
	int64_t page, per_page;
	uint8_t *zip = NULL;
	enum egca_err e;

	if (http_query_or_problem(r, http_search_params, &p, out) != EGCA_OK ||
	    http_search_query(r, caller, &p, &q, serial, DOWNLOAD_MAX, &page,
	        &per_page, out) != EGCA_OK)
		return;
	if (http_query_get(&p, "per_page") == NULL) {
		q.limit = DOWNLOAD_MAX;
		q.offset = (size_t)(page - 1) * DOWNLOAD_MAX;
	}
	q.with_der = 1;
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
	if (total > DOWNLOAD_MAX && http_query_get(&p, "per_page") == NULL &&
	    http_query_get(&p, "page") == NULL) {
		egca_store_cert_hit_list_free(hits, n);
		http_problem(out, r, 413, "EGCA-TOO-MANY-RESULTS", NULL,
		    "%zu certificates match; a download holds at most %d: "
		    "narrow the search or use page and per_page",
		    total, DOWNLOAD_MAX);
		return;
	}
	e = build(hits, n, r->now, &zip, &zl);
	egca_store_cert_hit_list_free(hits, n);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	http_time_iso(r->now, stamp);
	stamp[10] = '\0';
	http_resp_header(out, "Content-Disposition",
	    "attachment; filename=\"egca-certificates-%s.zip\"", stamp);
	http_resp_header(out, "X-Total-Count", "%zu", total);
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_take(out, 200, "application/zip", zip, zl);
}
