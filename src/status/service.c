/*
 * The status service (include/egca/status.h): what the CRL and OCSP
 * halves share. Opens the store pool and the CA keys, then hands over
 * to status/crl.c and status/ocsp.c through the hooks in status_int.h;
 * the refcounted blobs lent to HTTP threads live here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egca/config.h"
#include "egca/file.h"
#include "egca/log.h"
#include "egca/pki.h"
#include "status/status_int.h"

void
egca_status_config_default(struct egca_status_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ocsp_validity_hours = 24;
	c->ocsp_delegated = 1;
	c->ocsp_nonce = 1;
	c->ocsp_max_certids = 20;
	c->crl_validity_hours = 24;
	c->crl_delay_seconds = 60;
	c->crl_interval_hours = 6;
	c->delta_crl = 1;
	c->crl_dir = NULL;
	c->store_connections = 8;
}

/* ---- blobs ---- */

enum egca_err
egca_status_blob_new(uint8_t *der, size_t len, int64_t this_update,
    int64_t next_update, int64_t produced_at, struct status_blob **out)
{
	struct status_blob *b;
	uint8_t md[32];
	char hex[41];
	enum egca_err e;

	*out = NULL;
	if ((e = egca_crypto_sm3(der, len, md)) != EGCA_OK) {
		free(der);
		return e;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		free(der);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	atomic_init(&b->refs, 1);
	b->der = der;
	b->len = len;
	b->this_update = this_update;
	b->next_update = next_update;
	b->produced_at = produced_at;
	/* 160 bits of the digest: the ETag fits its 48 octets. */
	egca_hex_encode(md, 20, hex);
	snprintf(b->etag, sizeof(b->etag), "\"sm3-%s\"", hex);
	*out = b;
	return EGCA_OK;
}

void
egca_status_blob_lend(struct status_blob *b, struct egca_status_blob *out)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	out->der = b->der;
	out->len = b->len;
	out->this_update = b->this_update;
	out->next_update = b->next_update;
	out->produced_at = b->produced_at;
	memcpy(out->etag, b->etag, sizeof(out->etag));
	out->ref = b;
}

void
egca_status_blob_release(void *ref)
{
	struct status_blob *b = ref;

	if (b == NULL)
		return;
	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(b->der);
	free(b);
}

/* ---- open / free ---- */

/* The CA certificate's SKI, else the key identifier egca would use. */
enum egca_err
egca_status_ca_ski(struct status_ca *c)
{
	struct egca_cert_info info;
	enum egca_err e;

	if ((e = egca_pki_cert_info(c->cert_der, c->cert_len, &info)) !=
	    EGCA_OK)
		return e;
	if (info.ski_len > 0 && info.ski_len <= sizeof(c->ski)) {
		memcpy(c->ski, info.ski, info.ski_len);
		c->ski_len = info.ski_len;
	} else if ((e = egca_pki_spki_key_id(
	                info.spki_der, info.spki_der_len, c->ski)) == EGCA_OK) {
		c->ski_len = 20;
	}
	egca_pki_cert_info_free(&info);
	return e;
}

/* Every active CA, with its key when pass opens it. */
static enum egca_err
open_cas(struct egca_status *s, const struct egca_ctx *ctx, const char *pass,
    size_t pass_len)
{
	struct egca_ca_rec *list = NULL;
	struct status_ca *c;
	size_t n = 0, i;
	enum egca_err e;

	if ((e = egca_store_ca_list(ctx->st, &list, &n)) != EGCA_OK)
		return e;
	if (n > 0 && (s->cas = calloc(n, sizeof(*s->cas))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(list[i].status, "active") != 0 ||
		    list[i].cert_der == NULL)
			continue;
		c = &s->cas[s->n_cas];
		if ((c->name = strdup(list[i].name)) == NULL ||
		    (c->cert_der = malloc(list[i].cert_der_len)) == NULL) {
			free(c->name);
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(c->cert_der, list[i].cert_der, list[i].cert_der_len);
		c->cert_len = list[i].cert_der_len;
		s->n_cas++;
		if ((e = egca_status_ca_ski(c)) != EGCA_OK)
			goto out;
		if (egca_ca_issuer_open(ctx, c->name, pass, pass_len, &c->is) !=
		    EGCA_OK) {
			/* Served as "unauthorized" (OCSP), no CRL. */
			egca_log_warn(
			    "status: ca=%s key not opened, CA skipped: "
			    "%s",
			    c->name, egca_err_detail());
			c->is = NULL;
		}
	}
	e = EGCA_OK;
out:
	egca_store_ca_list_free(list, n);
	return e;
}

enum egca_err
egca_status_open(const struct egca_ctx *ctx,
    const struct egca_status_config *cfg, const char *pass, size_t pass_len,
    struct egca_status **out)
{
	struct egca_status *s;
	int64_t now = (int64_t)time(NULL);
	enum egca_err e;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if (cfg != NULL)
		s->cfg = *cfg;
	else
		egca_status_config_default(&s->cfg);
	s->config = ctx->cfg;
	atomic_init(&s->sign_errors, 0);
	if (pthread_mutex_init(&s->crl.lock, NULL) != 0) {
		free(s);
		return egca_err_set(EGCA_ERR_INTERNAL, "status: mutex");
	}
	s->crl_dir = s->cfg.crl_dir != NULL
	    ? strdup(s->cfg.crl_dir)
	    : egca_file_join(ctx->cfg->dir, "crl");
	s->cfg.crl_dir = s->crl_dir;
	if (s->crl_dir == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_store_pool_new(ctx->cfg->store_uri,
	         s->cfg.store_connections ? s->cfg.store_connections : 8,
	         &s->pool)) != EGCA_OK ||
	    (e = open_cas(s, ctx, pass, pass_len)) != EGCA_OK ||
	    (e = egca_status_crl_open(s, now)) != EGCA_OK ||
	    (e = egca_status_ocsp_open(s, pass, pass_len, now)) != EGCA_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	egca_status_free(s);
	return e;
}

void
egca_status_free(struct egca_status *s)
{
	size_t i;

	if (s == NULL)
		return;
	egca_status_ocsp_free(s);
	egca_status_crl_free(s);
	for (i = 0; i < s->n_cas; i++) {
		egca_ca_issuer_free(s->cas[i].is);
		free(s->cas[i].name);
		free(s->cas[i].cert_der);
	}
	free(s->cas);
	egca_store_pool_free(s->pool);
	(void)pthread_mutex_destroy(&s->crl.lock);
	free(s->crl_dir);
	free(s);
}

struct egca_issuer *
egca_status_issuer(struct egca_status *s, const char *ca)
{
	size_t i;

	if (ca == NULL || ca[0] == '\0')
		ca = s->config != NULL ? s->config->default_ca : NULL;
	if (ca == NULL)
		return NULL;
	for (i = 0; i < s->n_cas; i++)
		if (strcmp(s->cas[i].name, ca) == 0)
			return s->cas[i].is;
	return NULL;
}

/* ---- background work, readiness, statistics ---- */

void
egca_status_tick(struct egca_status *s, int64_t now)
{
	egca_status_crl_tick(s, now);
	egca_status_ocsp_tick(s, now);
}

int
egca_status_ready(struct egca_status *s, int64_t now, char *why, size_t why_len)
{
	struct egca_store *st;
	char hash[65];
	int64_t seq;
	enum egca_err e;

	if (egca_store_pool_get(s->pool, &st) != EGCA_OK) {
		snprintf(why, why_len, "store: %s", egca_err_detail());
		return 0;
	}
	e = egca_store_audit_last(st, &seq, hash);
	egca_store_pool_put(s->pool, st);
	if (e != EGCA_OK) {
		snprintf(why, why_len, "store: %s", egca_err_detail());
		return 0;
	}
	return egca_status_crl_ready(s, now, why, why_len) &&
	    egca_status_ocsp_ready(s, now, why, why_len);
}

void
egca_status_get_stats(struct egca_status *s, struct egca_status_stats *st)
{
	int64_t now = (int64_t)time(NULL);

	memset(st, 0, sizeof(*st));
	st->sign_errors = (uint64_t)atomic_load(&s->sign_errors);
	egca_status_crl_stats(s, now, st);
	egca_status_ocsp_stats(s, now, st);
}
