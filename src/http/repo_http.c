/*
 * The certificate repository: /ca/<name>.crt (the CA certificate, DER:
 * the AIA caIssuers URL, RFC 5280 4.2.2.1), /ca/<name>.pem (the CA
 * certificate and its issuer chain, PEM), /certs/<serial> (DER) and
 * /certs/<serial>.pem. Read through the store pool.
 */
#include <stdlib.h>
#include <string.h>

#include "egca/ca.h"
#include "egca/pki.h"
#include "http/http_int.h"

/* Splits "<base>.<ext>" of the decoded single segment rest. */
static int
base_ext(
    const struct http_req *r, char *base, size_t base_len, const char **ext)
{
	char buf[128], *seg[1];
	size_t nseg = 1;
	char *dot;

	if (http_path_split(r->rest, buf, sizeof(buf), seg, &nseg) != EGCA_OK ||
	    strlen(seg[0]) >= base_len)
		return 0;
	strcpy(base, seg[0]);
	dot = strrchr(base, '.');
	*ext = "";
	if (dot != NULL) {
		*dot = '\0';
		*ext = dot + 1;
	}
	return 1;
}

static void
send_cert(struct http_resp *out, const uint8_t *der, size_t len, int pem,
    const char *pem_prefix)
{
	struct egca_buf b;
	uint8_t *body;
	size_t blen;
	enum egca_err e = EGCA_OK;

	http_resp_header(out, "Cache-Control", "public, max-age=3600");
	egca_buf_init(&b, 1 << 20);
	if (pem) {
		if (pem_prefix != NULL)
			e = egca_buf_append(&b, pem_prefix, strlen(pem_prefix));
		if (e == EGCA_OK)
			e = egca_pki_pem_encode(der, len, "CERTIFICATE", &b);
		if (e != EGCA_OK) {
			egca_buf_free(&b);
			http_problem_err(out, NULL, e);
			return;
		}
		body = egca_buf_take(&b, &blen);
		http_resp_take(
		    out, 200, "application/pem-certificate-chain", body, blen);
		return;
	}
	egca_buf_free(&b);
	if ((body = malloc(len ? len : 1)) == NULL) {
		http_problem_err(
		    out, NULL, egca_err_set(EGCA_ERR_NOMEM, "out of memory"));
		return;
	}
	memcpy(body, der, len);
	http_resp_take(out, 200, "application/pkix-cert", body, len);
}

void
http_repo_ca(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_store *st = NULL;
	struct egca_ca_rec rec;
	struct egca_ctx ctx;
	struct egca_buf chain;
	char name[80];
	const char *ext;
	uint8_t *body;
	size_t len;
	enum egca_err e;

	(void)caller;
	memset(&rec, 0, sizeof(rec));
	if (!base_ext(r, name, sizeof(name), &ext) ||
	    egca_ca_name_check(name) != EGCA_OK ||
	    (strcmp(ext, "crt") != 0 && strcmp(ext, "pem") != 0)) {
		http_problem(out, r, 404, "EGCA-NOT-FOUND", NULL,
		    "CA certificates are /ca/<name>.crt and /ca/<name>.pem");
		return;
	}
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	if (strcmp(ext, "pem") == 0) {
		ctx = (struct egca_ctx){r->app->cfg, st, "http"};
		egca_buf_init(&chain, 4 << 20);
		e = egca_ca_export_chain(&ctx, name, &chain);
		egca_store_pool_put(r->app->pool, st);
		if (e != EGCA_OK) {
			egca_buf_free(&chain);
			http_problem_err(out, r, e);
			return;
		}
		body = egca_buf_take(&chain, &len);
		http_resp_header(out, "Cache-Control", "public, max-age=3600");
		http_resp_take(
		    out, 200, "application/pem-certificate-chain", body, len);
		return;
	}
	e = egca_store_ca_get(st, name, &rec);
	egca_store_pool_put(r->app->pool, st);
	if (e == EGCA_OK && rec.cert_der == NULL)
		e = egca_err_set(
		    EGCA_ERR_NOTFOUND, "CA %s has no certificate yet", name);
	if (e != EGCA_OK) {
		egca_store_ca_rec_free(&rec);
		http_problem_err(out, r, e);
		return;
	}
	send_cert(out, rec.cert_der, rec.cert_der_len, 0, NULL);
	egca_store_ca_rec_free(&rec);
}

void
http_repo_cert(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_store *st = NULL;
	struct egca_cert_rec rec;
	char base[96], serial[41];
	const char *ext;
	enum egca_err e;

	(void)caller;
	memset(&rec, 0, sizeof(rec));
	if (!base_ext(r, base, sizeof(base), &ext) ||
	    (ext[0] != '\0' && strcmp(ext, "pem") != 0 &&
	        strcmp(ext, "der") != 0 && strcmp(ext, "crt") != 0) ||
	    egca_ca_serial_parse(base, serial) != EGCA_OK) {
		http_problem(out, r, 404, "EGCA-NOT-FOUND", NULL,
		    "certificates are /certs/<hex serial> and "
		    "/certs/<hex serial>.pem");
		return;
	}
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	e = egca_store_cert_find_serial(st, serial, &rec);
	egca_store_pool_put(r->app->pool, st);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	send_cert(out, rec.der, rec.der_len, strcmp(ext, "pem") == 0, NULL);
	egca_store_cert_rec_free(&rec);
}
