/*
 * CRLs (RFC 5280 5, GM/T 0015 5.3): generation, storage, publication
 * and the copies served to HTTP threads.
 *
 * One generation of a CA makes a full CRL and, when delta_crl is set,
 * a delta CRL, each with a cRLNumber of the CA's one sequence (taken in
 * the store, so it never goes back, also across nodes):
 * - full: every revoked or held certificate that has not expired
 *   (entries stay until the certificate expires, RFC 5280 3.3);
 * - delta: the changes since the full CRL that was current before this
 *   generation (its base; the new full CRL itself on the first run):
 *   revocations and holds, and releases from hold as removeFromCRL.
 *   Clients holding either full CRL can apply it (5.2.4: the base
 *   number is at most that of their CRL).
 * Both are stored (table crl), then written to crl_dir/<ca>.crl and
 * <ca>-delta.crl atomically (temp file, fsync, rename).
 *
 * The service regenerates a CA's CRLs when the full CRL is older than
 * crl_interval_hours or past half its validity, and crl_delay_seconds
 * after a status change made at or after its thisUpdate.
 *
 * What this does not do: indirect CRLs, distribution-point partitions
 * (issuingDistributionPoint), CRLs of revoked CA certificates (ARLs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "egca/file.h"
#include "egca/log.h"
#include "egca/pki.h"
#include "status/status_int.h"

/* Wait after a failed generation before trying again. */
#define RETRY_SECONDS 60

/* What one CA's generation needs. */
struct gen {
	const char *ca;
	struct egca_issuer *is;
	const uint8_t *ski;
	size_t ski_len;
	const struct egca_status_config *cfg;
	const char *crl_dir;
};

/* What it made; the DER buffers are the caller's. */
struct made {
	uint8_t *full, *delta;
	size_t full_len, delta_len;
	int64_t number, delta_number, base_number;
	int64_t this_update, next_update;
	size_t entries, delta_entries;
};

static void
made_free(struct made *m)
{
	free(m->full);
	free(m->delta);
	memset(m, 0, sizeof(*m));
}

static enum egca_err
check_cfg(const struct egca_status_config *c)
{
	if (c->crl_validity_hours < 1 || c->crl_validity_hours > 168)
		return egca_err_set(EGCA_ERR_USAGE,
		    "crl_validity_hours %d: expected 1 to 168",
		    c->crl_validity_hours);
	if (c->crl_interval_hours < 1 || c->crl_interval_hours > 168)
		return egca_err_set(EGCA_ERR_USAGE,
		    "crl_interval_hours %d: expected 1 to 168",
		    c->crl_interval_hours);
	if (c->crl_delay_seconds < 0 || c->crl_delay_seconds > 86400)
		return egca_err_set(EGCA_ERR_USAGE,
		    "crl_delay_seconds %d: expected 0 to 86400",
		    c->crl_delay_seconds);
	return EGCA_OK;
}

/* One store row into the builder. */
static enum egca_err
add_entry(const struct egca_crl_entry *e, void *arg)
{
	struct egca_crl_builder *b = arg;
	uint8_t serial[20];
	size_t n;
	int64_t date = e->revoked_at;
	int reason = e->reason;
	enum egca_err err;

	if ((err = egca_hex_decode(e->serial, serial, sizeof(serial), &n)) !=
	    EGCA_OK)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "certificate %s: malformed serial in the store", e->serial);
	if (strcmp(e->status, "good") == 0) {
		/* Released from hold since the base (RFC 5280 5.3.1). */
		reason = 8;
		date = e->changed_at;
	} else if (strcmp(e->status, "hold") == 0) {
		reason = 6;
	}
	if (date == 0)
		date = e->changed_at;
	return egca_pki_crl_builder_add(
	    b, serial, n, date, reason, reason == 8 ? 0 : e->invalidity_date);
}

/*
 * Builds and signs one CRL: full (base 0: every current entry) or delta
 * (changes at or after since).
 */
static enum egca_err
build_one(struct egca_store *st, const struct gen *g, int64_t this_update,
    int64_t next_update, int64_t number, int64_t base, int64_t since,
    uint8_t **der, size_t *len, size_t *entries)
{
	struct egca_signer *sg = egca_ca_issuer_get0_signer(g->is);
	struct egca_crl_template t;
	struct egca_crl_builder *b = NULL;
	const uint8_t *tbs;
	uint8_t *sig = NULL;
	size_t tbs_len, sig_len;
	enum egca_err e;

	*der = NULL;
	*len = 0;
	memset(&t, 0, sizeof(t));
	t.sig_alg = egca_signer_sig_alg(sg);
	t.issuer = egca_ca_issuer_get0_subject(g->is, &t.issuer_len);
	t.issuer_ski = g->ski_len ? g->ski : NULL;
	t.issuer_ski_len = g->ski_len;
	t.this_update = this_update;
	t.next_update = next_update;
	t.number = number;
	t.base_number = base;
	if ((e = egca_pki_crl_builder_new(&t, 0, &b)) != EGCA_OK)
		goto out;
	if (base == 0)
		e = egca_store_crl_each_revoked(
		    st, g->ca, this_update, add_entry, b);
	else
		e = egca_store_crl_each_changed(
		    st, g->ca, since, this_update, add_entry, b);
	if (e != EGCA_OK)
		goto out;
	*entries = egca_pki_crl_builder_count(b);
	if ((e = egca_pki_crl_builder_tbs(b, &tbs, &tbs_len)) != EGCA_OK)
		goto out;
	sig_len = egca_signer_sig_max(sg);
	if ((sig = malloc(sig_len)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_signer_sign(
	         sg, EGCA_SIGN_CRL, tbs, tbs_len, sig, &sig_len)) != EGCA_OK ||
	    (e = egca_pki_crl_builder_finish(b, sig, sig_len, der, len)) !=
	        EGCA_OK)
		goto out;
out:
	free(sig);
	egca_pki_crl_builder_free(b);
	return e;
}

static enum egca_err
store_one(struct egca_store *st, const char *ca, int64_t number, int delta,
    int64_t base, const struct made *m, const uint8_t *der, size_t len,
    size_t entries)
{
	struct egca_crl_rec r;
	uint8_t md[32];
	char hex[65];
	enum egca_err e;

	if ((e = egca_crypto_sm3(der, len, md)) != EGCA_OK)
		return e;
	egca_hex_encode(md, sizeof(md), hex);
	memset(&r, 0, sizeof(r));
	r.ca = (char *)(uintptr_t)ca; /* only read */
	r.number = number;
	r.delta = delta;
	r.base_number = base;
	r.this_update = m->this_update;
	r.next_update = m->next_update;
	r.entries = (int64_t)entries;
	r.der = (uint8_t *)(uintptr_t)der;
	r.der_len = len;
	r.sm3 = hex;
	return egca_store_crl_insert(st, &r);
}

/* crl_dir/<ca><suffix>, written atomically. */
static enum egca_err
publish(const char *dir, const char *ca, const char *suffix, const uint8_t *der,
    size_t len)
{
	char name[128];
	char *path;
	enum egca_err e;

	if ((e = egca_file_mkdirs(dir, 0755)) != EGCA_OK)
		return e;
	snprintf(name, sizeof(name), "%s%s", ca, suffix);
	if ((path = egca_file_join(dir, name)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	e = egca_file_write_atomic(path, der, len, 0644);
	free(path);
	return e;
}

/* Generates, stores and publishes g's full CRL and, if enabled, delta. */
static enum egca_err
generate(
    struct egca_store *st, const struct gen *g, int64_t now, struct made *m)
{
	struct egca_crl_rec prev;
	int64_t since;
	int have_prev;
	enum egca_err e;

	memset(m, 0, sizeof(*m));
	memset(&prev, 0, sizeof(prev));
	e = egca_store_crl_latest(st, g->ca, 0, 0, &prev);
	if (e != EGCA_OK && e != EGCA_ERR_NOTFOUND)
		goto out;
	have_prev = e == EGCA_OK;
	m->this_update = now;
	m->next_update = now + (int64_t)g->cfg->crl_validity_hours * 3600;
	if ((e = egca_store_crl_next_number(st, g->ca, &m->number)) !=
	        EGCA_OK ||
	    (e = build_one(st, g, m->this_update, m->next_update, m->number, 0,
	         0, &m->full, &m->full_len, &m->entries)) != EGCA_OK ||
	    (e = store_one(st, g->ca, m->number, 0, 0, m, m->full, m->full_len,
	         m->entries)) != EGCA_OK)
		goto out;
	if (g->cfg->delta_crl) {
		m->base_number = have_prev ? prev.number : m->number;
		since = have_prev ? prev.this_update : m->this_update;
		if ((e = egca_store_crl_next_number(
		         st, g->ca, &m->delta_number)) != EGCA_OK ||
		    (e = build_one(st, g, m->this_update, m->next_update,
		         m->delta_number, m->base_number, since, &m->delta,
		         &m->delta_len, &m->delta_entries)) != EGCA_OK ||
		    (e = store_one(st, g->ca, m->delta_number, 1,
		         m->base_number, m, m->delta, m->delta_len,
		         m->delta_entries)) != EGCA_OK)
			goto out;
	}
	if ((e = publish(g->crl_dir, g->ca, ".crl", m->full, m->full_len)) !=
	    EGCA_OK)
		goto out;
	if (m->delta != NULL &&
	    (e = publish(g->crl_dir, g->ca, "-delta.crl", m->delta,
	         m->delta_len)) != EGCA_OK)
		goto out;
	egca_log_info("crl: ca=%s number=%lld entries=%zu delta_number=%lld "
	              "base=%lld delta_entries=%zu",
	    g->ca, (long long)m->number, m->entries, (long long)m->delta_number,
	    (long long)m->base_number, m->delta_entries);
out:
	egca_store_crl_rec_free(&prev);
	if (e != EGCA_OK)
		made_free(m);
	return e;
}

/* ---- without a service: egca crl generate ---- */

enum egca_err
egca_status_crl_generate(const struct egca_ctx *ctx,
    const struct egca_status_config *cfg, const char *name, const char *pass,
    size_t pass_len)
{
	struct egca_status_config c;
	struct egca_ca_rec *list = NULL, one;
	struct egca_issuer *is = NULL;
	struct status_ca sc;
	struct made m;
	struct gen g;
	char *dir = NULL;
	size_t n = 0, i;
	enum egca_err e, first = EGCA_OK;

	memset(&one, 0, sizeof(one));
	if (cfg != NULL)
		c = *cfg;
	else
		egca_status_config_default(&c);
	if ((e = check_cfg(&c)) != EGCA_OK)
		return e;
	dir = c.crl_dir != NULL ? strdup(c.crl_dir)
	                        : egca_file_join(ctx->cfg->dir, "crl");
	if (dir == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if (name != NULL) {
		if ((e = egca_ca_get(ctx, name, &one)) != EGCA_OK)
			goto out;
		list = &one;
		n = 1;
	} else if ((e = egca_store_ca_list(ctx->st, &list, &n)) != EGCA_OK) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (name == NULL && strcmp(list[i].status, "active") != 0)
			continue;
		memset(&sc, 0, sizeof(sc));
		if ((e = egca_ca_issuer_open(
		         ctx, list[i].name, pass, pass_len, &is)) == EGCA_OK) {
			sc.name = list[i].name;
			sc.cert_der = list[i].cert_der;
			sc.cert_len = list[i].cert_der_len;
			e = egca_status_ca_ski(&sc);
		}
		if (e == EGCA_OK) {
			g = (struct gen){
			    list[i].name, is, sc.ski, sc.ski_len, &c, dir};
			e = generate(ctx->st, &g, (int64_t)time(NULL), &m);
			made_free(&m);
		}
		egca_ca_issuer_free(is);
		is = NULL;
		if (e != EGCA_OK) {
			egca_log_err("crl: ca=%s not generated: %s",
			    list[i].name, egca_err_detail());
			if (first == EGCA_OK)
				first = e;
		}
	}
	e = first;
out:
	if (list == &one)
		egca_store_ca_rec_free(&one);
	else
		egca_store_ca_list_free(list, n);
	free(dir);
	return e;
}

/* ---- the service's half ---- */

static struct gen
gen_of(struct egca_status *s, size_t i)
{
	struct status_ca *c = &s->cas[i];

	return (struct gen){
	    c->name, c->is, c->ski, c->ski_len, &s->cfg, s->crl_dir};
}

/* Replaces CA i's current CRLs (either may be NULL: kept). */
static void
swap_in(struct egca_status *s, size_t i, struct status_blob *full,
    struct status_blob *delta, int64_t number)
{
	struct status_crl_ca *cc = &s->crl.ca[i];
	struct status_blob *old_full = NULL, *old_delta = NULL;

	(void)pthread_mutex_lock(&s->crl.lock);
	if (full != NULL) {
		old_full = cc->full;
		cc->full = full;
		cc->number = number;
	}
	if (delta != NULL) {
		old_delta = cc->delta;
		cc->delta = delta;
	}
	(void)pthread_mutex_unlock(&s->crl.lock);
	/* HTTP threads still sending them hold their own references. */
	egca_status_blob_release(old_full);
	egca_status_blob_release(old_delta);
}

/* Adopts the newest stored CRLs of CA i (made by us or another node). */
static enum egca_err
adopt(struct egca_status *s, struct egca_store *st, size_t i)
{
	struct egca_crl_rec full, delta;
	struct status_blob *bf = NULL, *bd = NULL;
	enum egca_err e;

	memset(&delta, 0, sizeof(delta));
	if ((e = egca_store_crl_latest(st, s->cas[i].name, 0, 1, &full)) !=
	    EGCA_OK)
		return e;
	if (s->cfg.delta_crl) {
		e = egca_store_crl_latest(st, s->cas[i].name, 1, 1, &delta);
		if (e != EGCA_OK && e != EGCA_ERR_NOTFOUND)
			goto out;
		/* Only the delta made with this full CRL. */
		if (e == EGCA_OK && delta.number != full.number + 1)
			egca_store_crl_rec_free(&delta);
	}
	(void)publish(
	    s->crl_dir, s->cas[i].name, ".crl", full.der, full.der_len);
	if (delta.der != NULL)
		(void)publish(s->crl_dir, s->cas[i].name, "-delta.crl",
		    delta.der, delta.der_len);
	if ((e = egca_status_blob_new(full.der, full.der_len, full.this_update,
	         full.next_update, full.this_update, &bf)) != EGCA_OK)
		goto out;
	full.der = NULL;
	if (delta.der != NULL) {
		e = egca_status_blob_new(delta.der, delta.der_len,
		    delta.this_update, delta.next_update, delta.this_update,
		    &bd);
		delta.der = NULL;
		if (e != EGCA_OK)
			goto out;
	}
	swap_in(s, i, bf, bd, full.number);
	bf = bd = NULL;
out:
	egca_status_blob_release(bf);
	egca_status_blob_release(bd);
	egca_store_crl_rec_free(&full);
	egca_store_crl_rec_free(&delta);
	return e;
}

/* 1 when CA i's CRLs must be made again at now. */
static int
due(struct egca_status *s, struct egca_store *st, size_t i, int64_t now)
{
	struct status_crl_ca *cc = &s->crl.ca[i];
	int64_t this_update, next_update, changed;

	(void)pthread_mutex_lock(&s->crl.lock);
	this_update = cc->full ? cc->full->this_update : 0;
	next_update = cc->full ? cc->full->next_update : 0;
	(void)pthread_mutex_unlock(&s->crl.lock);
	if (this_update == 0)
		return 1;
	if (now - this_update >= (int64_t)s->cfg.crl_interval_hours * 3600 ||
	    now >= this_update + (next_update - this_update) / 2)
		return 1;
	if (egca_store_crl_last_change(st, s->cas[i].name, &changed) !=
	    EGCA_OK) {
		egca_log_warn("crl: ca=%s status changes not read: %s",
		    s->cas[i].name, egca_err_detail());
		return 0;
	}
	return changed >= this_update &&
	    now >= changed + s->cfg.crl_delay_seconds;
}

static void
tick_one(struct egca_status *s, struct egca_store *st, size_t i, int64_t now)
{
	struct status_crl_ca *cc = &s->crl.ca[i];
	struct egca_crl_rec latest;
	struct status_blob *bf = NULL, *bd = NULL;
	struct gen g = gen_of(s, i);
	struct made m;
	enum egca_err e;

	if (now < cc->retry_at || !due(s, st, i, now))
		return;
	/* Another node may have made newer CRLs: serve those if fresh. */
	memset(&latest, 0, sizeof(latest));
	if (egca_store_crl_latest(st, g.ca, 0, 0, &latest) == EGCA_OK &&
	    latest.number > cc->number && adopt(s, st, i) == EGCA_OK &&
	    !due(s, st, i, now)) {
		egca_store_crl_rec_free(&latest);
		return;
	}
	egca_store_crl_rec_free(&latest);
	if ((e = generate(st, &g, now, &m)) != EGCA_OK) {
		atomic_fetch_add(&s->sign_errors, 1);
		cc->retry_at = now + RETRY_SECONDS;
		egca_log_err("crl: ca=%s generation failed, retry in %ds: %s",
		    g.ca, RETRY_SECONDS, egca_err_detail());
		return;
	}
	if ((e = egca_status_blob_new(m.full, m.full_len, m.this_update,
	         m.next_update, m.this_update, &bf)) == EGCA_OK) {
		m.full = NULL;
		if (m.delta != NULL) {
			e = egca_status_blob_new(m.delta, m.delta_len,
			    m.this_update, m.next_update, m.this_update, &bd);
			m.delta = NULL;
		}
	} else {
		m.full = NULL;
	}
	if (e == EGCA_OK)
		swap_in(s, i, bf, bd, m.number);
	else
		egca_status_blob_release(bf);
	made_free(&m);
}

enum egca_err
egca_status_crl_open(struct egca_status *s, int64_t now)
{
	struct egca_store *st;
	size_t i;
	enum egca_err e;

	if ((e = check_cfg(&s->cfg)) != EGCA_OK)
		return e;
	if (s->n_cas > 0 &&
	    (s->crl.ca = calloc(s->n_cas, sizeof(*s->crl.ca))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if ((e = egca_store_pool_get(s->pool, &st)) != EGCA_OK)
		return e;
	for (i = 0; i < s->n_cas; i++) {
		if (s->cas[i].is == NULL)
			continue;
		e = adopt(s, st, i);
		if (e != EGCA_OK && e != EGCA_ERR_NOTFOUND)
			egca_log_warn("crl: ca=%s stored CRL not loaded: %s",
			    s->cas[i].name, egca_err_detail());
	}
	egca_store_pool_put(s->pool, st);
	/* Whatever is missing or due is made now, not a tick later. */
	egca_status_crl_tick(s, now);
	return EGCA_OK;
}

void
egca_status_crl_tick(struct egca_status *s, int64_t now)
{
	struct egca_store *st;
	size_t i;

	if (s->crl.ca == NULL)
		return;
	if (egca_store_pool_get(s->pool, &st) != EGCA_OK) {
		egca_log_warn(
		    "crl: no store connection: %s", egca_err_detail());
		return;
	}
	for (i = 0; i < s->n_cas; i++)
		if (s->cas[i].is != NULL)
			tick_one(s, st, i, now);
	egca_store_pool_put(s->pool, st);
}

enum egca_err
egca_status_crl_get(struct egca_status *s, const char *ca, int delta,
    struct egca_status_blob *out)
{
	struct status_blob *b = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s->n_cas; i++)
		if (s->crl.ca != NULL && strcmp(s->cas[i].name, ca) == 0)
			break;
	if (i == s->n_cas)
		return egca_err_set(EGCA_ERR_NOTFOUND, "no CA %s", ca);
	(void)pthread_mutex_lock(&s->crl.lock);
	b = delta ? s->crl.ca[i].delta : s->crl.ca[i].full;
	if (b != NULL)
		egca_status_blob_lend(b, out);
	(void)pthread_mutex_unlock(&s->crl.lock);
	if (b == NULL)
		return egca_err_set(EGCA_ERR_NOTFOUND, "no %s CRL of CA %s",
		    delta ? "delta" : "full", ca);
	return EGCA_OK;
}

int
egca_status_crl_ready(
    struct egca_status *s, int64_t now, char *why, size_t why_len)
{
	int64_t next;
	size_t i;
	int ok = 1;

	(void)pthread_mutex_lock(&s->crl.lock);
	for (i = 0; i < s->n_cas && ok; i++) {
		if (s->cas[i].is == NULL || s->crl.ca == NULL)
			continue;
		next = s->crl.ca[i].full ? s->crl.ca[i].full->next_update : 0;
		if (now >= next) {
			snprintf(why, why_len, "crl: CA %s has no current CRL",
			    s->cas[i].name);
			ok = 0;
		}
	}
	(void)pthread_mutex_unlock(&s->crl.lock);
	return ok;
}

void
egca_status_crl_stats(
    struct egca_status *s, int64_t now, struct egca_status_stats *st)
{
	size_t i;

	(void)pthread_mutex_lock(&s->crl.lock);
	for (i = 0; s->crl.ca != NULL && i < s->n_cas; i++)
		if (s->crl.ca[i].full != NULL &&
		    now - s->crl.ca[i].full->this_update > st->crl_age_max)
			st->crl_age_max = now - s->crl.ca[i].full->this_update;
	(void)pthread_mutex_unlock(&s->crl.lock);
}

void
egca_status_crl_free(struct egca_status *s)
{
	size_t i;

	if (s->crl.ca == NULL)
		return;
	for (i = 0; i < s->n_cas; i++) {
		egca_status_blob_release(s->crl.ca[i].full);
		egca_status_blob_release(s->crl.ca[i].delta);
	}
	free(s->crl.ca);
	s->crl.ca = NULL;
}
