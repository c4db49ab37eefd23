/*
 * status/ocsp.c: the OCSP responder (RFC 6960, RFC 5019 profile).
 *
 * Every certificate gets a signed "good" response while it is issued
 * (egca_status_presign, from ca/issue.c inside the insert transaction,
 * signed by the CA key: the CLI has no delegated signer key open). A
 * status change marks the stored response stale in its own transaction
 * (egca_status_invalidate), so no node serves it again. A running
 * service re-signs stale responses, responses past half their validity
 * and CA-signed ones (with its delegated signer) at each tick.
 *
 * Hot path (one SHA-1 CertID, no nonce): parse the request on the
 * stack, find the CA by issuer key hash, find the pre-signed response
 * by serial in the memory cache and lend it: no allocation, no query.
 * Several CertIDs, a nonce or another CertID hash (SHA-256, SM3) are
 * signed live; live answers are not cached. A serial the CA never
 * issued is "unknown", never "good", and is never cached (random
 * serials cannot grow memory).
 *
 * CertIDs: hashAlgorithm SHA-1, SHA-256 or SM3; another algorithm, a
 * negative serial, or a CertID of another CA than the request's first
 * known one is answered "unknown". A request naming no CA served here
 * is "unauthorized" (RFC 6960 2.3). Request signatures are ignored.
 *
 * Delegated signers (ocsp_delegated): one per CA, issued from the
 * ocsp-signer profile through egca_ca_issue, key saved encrypted with
 * the CA passphrase as keys/<ca>-ocsp-<serial>.key, rotated when a
 * quarter of its validity is left. The passphrase is kept in the
 * OpenSSL secure heap for rotation while running.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "egca/file.h"
#include "egca/log.h"
#include "egca/pki.h"
#include "status/ocsp_cache.h"
#include "status/status_int.h"

#define MAX_CERTIDS 100
#define DUE_BATCH 256
/* How long rows of the watermark's last seconds are read again. */
#define WINDOW_SECONDS 10
#define SIGNER_PROFILE "ocsp-signer"

struct ocsp_ca {
	int served; /* the CA key is open */
	uint8_t name_hash[EGCA_OCSP_NHASH][32];
	uint8_t key_hash[EGCA_OCSP_NHASH][32];
	size_t hash_len[EGCA_OCSP_NHASH];
	int64_t ca_not_after;
	/* delegated signer, under o->signer_lock */
	struct egca_signer *dsigner;
	uint8_t *dcert;
	size_t dcert_len;
	char dname[64]; /* "ocsp:<serial>" */
	int64_t d_not_before, d_not_after;
};

struct status_ocsp {
	struct ocsp_ca *ca; /* parallel to s->cas */
	struct ocsp_cache *cache;
	pthread_rwlock_t signer_lock;
	char *pass; /* secure heap */
	size_t pass_len;
	int64_t watermark; /* largest updated_at loaded */
	int64_t rotate_retry_at;
	atomic_uint_fast64_t presigned, live;
	struct status_blob *err[7]; /* error responses by status */
};

/* What a certificate row says, as a SingleResponse status. */
static void
rec_status(const char *status, int reason, int64_t revoked_at,
    struct ocsp_cache_status *cs)
{
	cs->status = EGCA_OCSP_GOOD;
	cs->reason = -1;
	cs->revoked_at = 0;
	if (strcmp(status, "revoked") == 0) {
		cs->status = EGCA_OCSP_REVOKED;
		cs->reason = reason > 0 ? reason : -1;
		cs->revoked_at = revoked_at;
	} else if (strcmp(status, "hold") == 0) {
		cs->status = EGCA_OCSP_REVOKED;
		cs->reason = 6; /* certificateHold */
		cs->revoked_at = revoked_at;
	}
}

static int
validity_hours(const struct egca_status_config *c)
{
	int h = c != NULL ? c->ocsp_validity_hours : 24;

	if (h < 8)
		return 8;
	return h > 168 ? 168 : h;
}

/*
 * Signs the pre-signed form of a certificate's response (SHA-1 CertID,
 * no nonce) with signer into *der.
 */
static enum egca_err
sign_cert_response(struct egca_signer *signer, const uint8_t *dcert,
    size_t dcert_len, const uint8_t *name_hash, const uint8_t *key_hash,
    const uint8_t *serial, size_t serial_len,
    const struct ocsp_cache_status *cs, int64_t now, int hours,
    struct egca_buf *der)
{
	struct egca_ocsp_single one;
	struct egca_ocsp_response_tmpl t;

	memset(&one, 0, sizeof(one));
	one.hash = EGCA_OCSP_HASH_SHA1;
	one.name_hash = name_hash;
	one.name_hash_len = 20;
	one.key_hash = key_hash;
	one.key_hash_len = 20;
	one.serial = serial;
	one.serial_len = serial_len;
	one.status = (enum egca_ocsp_cert_status)cs->status;
	one.reason = cs->reason;
	one.revocation_time = cs->revoked_at;
	one.this_update = now;
	one.next_update = now + (int64_t)hours * 3600;
	memset(&t, 0, sizeof(t));
	t.responder_spki = egca_signer_get0_spki(signer, &t.responder_spki_len);
	t.produced_at = now;
	t.singles = &one;
	t.n_singles = 1;
	t.signer_cert = dcert;
	t.signer_cert_len = dcert_len;
	return egca_pki_ocsp_response_sign(&t, signer, der);
}

/* ---- pre-signing from ca/ (no running service) ---- */

enum egca_err
egca_status_presign(struct egca_store *st, struct egca_issuer *is,
    const char *serial_hex, int64_t now)
{
	struct egca_cert_rec rec;
	struct egca_ocsp_rec r;
	struct ocsp_cache_status cs;
	struct egca_buf der;
	struct egca_signer *sg = egca_ca_issuer_get0_signer(is);
	const uint8_t *subject, *spki;
	size_t subject_len, spki_len, hl, serial_len;
	uint8_t nh[32], kh[32], serial[20];
	int hours = validity_hours(NULL);
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	egca_buf_init(&der, 1 << 20);
	subject = egca_ca_issuer_get0_subject(is, &subject_len);
	spki = egca_signer_get0_spki(sg, &spki_len);
	if ((e = egca_store_cert_get(
	         st, egca_ca_issuer_name(is), serial_hex, &rec)) != EGCA_OK ||
	    (e = egca_hex_decode(
	         serial_hex, serial, sizeof(serial), &serial_len)) != EGCA_OK ||
	    (e = egca_pki_ocsp_issuer_hashes(EGCA_OCSP_HASH_SHA1, subject,
	         subject_len, spki, spki_len, nh, kh, &hl)) != EGCA_OK)
		goto out;
	rec_status(rec.status, rec.reason, rec.revoked_at, &cs);
	if ((e = sign_cert_response(sg, NULL, 0, nh, kh, serial, serial_len,
	         &cs, now, hours, &der)) != EGCA_OK)
		goto out;
	memset(&r, 0, sizeof(r));
	r.ca = rec.ca;
	r.serial = rec.serial;
	r.cert_status = rec.status;
	r.der = der.data;
	r.der_len = der.len;
	r.this_update = now;
	r.next_update = now + (int64_t)hours * 3600;
	r.produced_at = now;
	r.signer = (char *)(uintptr_t) "ca";
	r.updated_at = now;
	e = egca_store_ocsp_put(st, &r);
out:
	egca_buf_free(&der);
	egca_store_cert_rec_free(&rec);
	return e;
}

enum egca_err
egca_status_invalidate(
    struct egca_store *st, const char *ca, const char *serial_hex, int64_t now)
{
	return egca_store_ocsp_mark_stale(st, ca, serial_hex, now);
}

/* ---- the service's signers ---- */

/*
 * The signer for CA i: its delegated signer when there is one, else
 * the CA key. Called with signer_lock held for reading.
 */
static struct egca_signer *
pick_signer(struct egca_status *s, size_t i, const uint8_t **cert,
    size_t *cert_len, const char **name)
{
	struct ocsp_ca *c = &s->ocsp->ca[i];

	if (s->cfg.ocsp_delegated && c->dsigner != NULL) {
		*cert = c->dcert;
		*cert_len = c->dcert_len;
		*name = c->dname;
		return c->dsigner;
	}
	*cert = NULL;
	*cert_len = 0;
	*name = "ca";
	return egca_ca_issuer_get0_signer(s->cas[i].is);
}

static size_t
ca_index(struct egca_status *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_cas; i++)
		if (strcmp(s->cas[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/*
 * Signs, stores and caches the pre-signed response of one certificate
 * of CA i. *out (may be NULL) gets a reference to the new blob.
 */
static enum egca_err
presign_cert(struct egca_status *s, struct egca_store *st, size_t i,
    const struct egca_cert_rec *rec, int64_t now, struct status_blob **out)
{
	struct status_ocsp *o = s->ocsp;
	struct ocsp_ca *c = &o->ca[i];
	struct ocsp_cache_status cs;
	struct egca_ocsp_rec r;
	struct egca_buf der;
	struct egca_signer *sg;
	struct status_blob *blob = NULL;
	const uint8_t *cert;
	const char *sname;
	char signer_name[64];
	uint8_t serial[20];
	size_t cert_len, serial_len, len;
	int hours = validity_hours(&s->cfg);
	uint8_t *p;
	enum egca_err e;

	if (out != NULL)
		*out = NULL;
	egca_buf_init(&der, 1 << 20);
	if ((e = egca_hex_decode(
	         rec->serial, serial, sizeof(serial), &serial_len)) != EGCA_OK)
		goto out;
	rec_status(rec->status, rec->reason, rec->revoked_at, &cs);
	(void)pthread_rwlock_rdlock(&o->signer_lock);
	sg = pick_signer(s, i, &cert, &cert_len, &sname);
	snprintf(signer_name, sizeof(signer_name), "%s", sname);
	e = sign_cert_response(sg, cert, cert_len,
	    c->name_hash[EGCA_OCSP_HASH_SHA1], c->key_hash[EGCA_OCSP_HASH_SHA1],
	    serial, serial_len, &cs, now, hours, &der);
	(void)pthread_rwlock_unlock(&o->signer_lock);
	if (e != EGCA_OK) {
		atomic_fetch_add(&s->sign_errors, 1);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.ca = rec->ca;
	r.serial = rec->serial;
	r.cert_status = rec->status;
	r.der = der.data;
	r.der_len = der.len;
	r.this_update = now;
	r.next_update = now + (int64_t)hours * 3600;
	r.produced_at = now;
	r.signer = signer_name;
	r.updated_at = now;
	if ((e = egca_store_ocsp_put(st, &r)) != EGCA_OK)
		goto out;
	p = egca_buf_take(&der, &len);
	if ((e = egca_status_blob_new(p, len, r.this_update, r.next_update,
	         r.produced_at, &blob)) != EGCA_OK)
		goto out;
	atomic_fetch_add(&o->presigned, 1);
	if (out != NULL) {
		atomic_fetch_add(&blob->refs, 1);
		*out = blob;
	}
	e = ocsp_cache_put(
	    o->cache, (uint32_t)i, serial, serial_len, blob, &cs);
out:
	egca_buf_free(&der);
	return e;
}

/* ---- delegated signers ---- */

/* Opens the stored active signer of CA i if it is not due for rotation. */
static enum egca_err
load_signer(struct egca_status *s, struct egca_store *st, size_t i, int64_t now)
{
	struct status_ocsp *o = s->ocsp;
	struct ocsp_ca *c = &o->ca[i];
	struct egca_ocsp_signer_rec rec;
	struct egca_cert_info info;
	struct egca_signer *sg = NULL;
	const uint8_t *spki;
	size_t spki_len;
	char *path = NULL;
	enum egca_err e;

	memset(&info, 0, sizeof(info));
	if ((e = egca_store_ocsp_signer_active(st, s->cas[i].name, &rec)) !=
	    EGCA_OK)
		return e;
	if (now >= rec.not_after - (rec.not_after - rec.not_before) / 4) {
		e = egca_err_set(
		    EGCA_ERR_STATE, "OCSP signer due for rotation");
		goto out;
	}
	if ((path = egca_file_join(s->config->dir, rec.key_file)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_signer_open_file(
	         path, o->pass, o->pass_len, EGCA_SIGN_OCSP, &sg)) != EGCA_OK ||
	    (e = egca_pki_cert_info(rec.cert_der, rec.cert_der_len, &info)) !=
	        EGCA_OK)
		goto out;
	spki = egca_signer_get0_spki(sg, &spki_len);
	if (spki_len != info.spki_der_len ||
	    memcmp(spki, info.spki_der, spki_len) != 0) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "OCSP signer %s: key file does not match", rec.serial);
		goto out;
	}
	(void)pthread_rwlock_wrlock(&o->signer_lock);
	egca_signer_free(c->dsigner);
	free(c->dcert);
	c->dsigner = sg;
	c->dcert = rec.cert_der;
	c->dcert_len = rec.cert_der_len;
	snprintf(c->dname, sizeof(c->dname), "ocsp:%s", rec.serial);
	c->d_not_before = rec.not_before;
	c->d_not_after = rec.not_after;
	(void)pthread_rwlock_unlock(&o->signer_lock);
	sg = NULL;
	rec.cert_der = NULL;
out:
	egca_signer_free(sg);
	egca_pki_cert_info_free(&info);
	egca_store_ocsp_signer_rec_free(&rec);
	free(path);
	return e;
}

struct signer_tx {
	const struct egca_ocsp_signer_rec *rec;
};

static enum egca_err
signer_tx(struct egca_store *st, void *arg)
{
	struct signer_tx *t = arg;

	return egca_store_ocsp_signer_insert(st, t->rec);
}

/* Issues a new delegated signer for CA i and records it. */
static enum egca_err
issue_signer(
    struct egca_status *s, struct egca_store *st, size_t i, int64_t now)
{
	struct status_ocsp *o = s->ocsp;
	struct egca_issuer *is = s->cas[i].is;
	struct egca_signer *ca_sg = egca_ca_issuer_get0_signer(is);
	struct egca_signer *sg = NULL;
	struct egca_ctx ctx;
	struct egca_csr *csr = NULL;
	struct egca_issue_req req;
	struct egca_issue_result res;
	struct egca_ocsp_signer_rec rec;
	struct signer_tx tx;
	struct egca_buf tbs, csr_der;
	struct egca_cert_info info;
	enum egca_key_alg alg = egca_signer_key_alg(ca_sg);
	uint8_t *subject = NULL, sig[1024];
	size_t subject_len, sig_len = sizeof(sig);
	const uint8_t *spki;
	size_t spki_len;
	char text[128], rel[256], *path = NULL;
	int64_t days;
	enum egca_err e;

	memset(&res, 0, sizeof(res));
	memset(&info, 0, sizeof(info));
	egca_buf_init(&tbs, 1 << 16);
	egca_buf_init(&csr_der, 1 << 16);
	days = (o->ca[i].ca_not_after - now) / 86400 - 1;
	if (days < 1) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "CA %s expires too soon for an OCSP signer",
		    s->cas[i].name);
		goto out;
	}
	if (alg == EGCA_KEY_P384)
		alg = EGCA_KEY_P256;
	snprintf(text, sizeof(text), "CN=%s OCSP Responder", s->cas[i].name);
	if ((e = egca_signer_generate(
	         alg, 3072, EGCA_SIGN_OCSP | EGCA_SIGN_CSR, &sg)) != EGCA_OK ||
	    (e = egca_pki_name_parse(text, &subject, &subject_len)) != EGCA_OK)
		goto out;
	spki = egca_signer_get0_spki(sg, &spki_len);
	if ((e = egca_pki_csr_build_tbs(
	         subject, subject_len, spki, spki_len, &tbs)) != EGCA_OK ||
	    (e = egca_signer_sign(sg, EGCA_SIGN_CSR, tbs.data, tbs.len, sig,
	         &sig_len)) != EGCA_OK ||
	    (e = egca_pki_signed_assemble(tbs.data, tbs.len,
	         egca_signer_sig_alg(sg), sig, sig_len, &csr_der)) != EGCA_OK ||
	    (e = egca_pki_csr_parse(csr_der.data, csr_der.len, &csr)) !=
	        EGCA_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.profile = SIGNER_PROFILE;
	req.csr = csr;
	req.validity_days = days < 30 ? (int)days : 0;
	ctx.cfg = s->config;
	ctx.st = st;
	ctx.actor = "status:ocsp";
	if ((e = egca_ca_issue(&ctx, is, &req, &res)) != EGCA_OK ||
	    (e = egca_pki_cert_info(res.der, res.der_len, &info)) != EGCA_OK)
		goto out;
	snprintf(rel, sizeof(rel), "keys/%s-ocsp-%s.key", s->cas[i].name,
	    res.serial);
	if ((path = egca_file_join(s->config->dir, rel)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_signer_save(sg, path, o->pass, o->pass_len)) != EGCA_OK)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.ca = s->cas[i].name;
	rec.serial = res.serial;
	rec.cert_der = res.der;
	rec.cert_der_len = res.der_len;
	rec.key_file = rel;
	rec.not_before = info.not_before;
	rec.not_after = info.not_after;
	rec.active = 1;
	rec.created_at = now;
	tx.rec = &rec;
	if ((e = egca_store_tx(st, signer_tx, &tx)) != EGCA_OK)
		goto out;
	egca_log_info("status: ca=%s ocsp_signer=%s issued, not_after=%lld",
	    s->cas[i].name, res.serial, (long long)info.not_after);
	/* Load it the way every other node will. */
	e = load_signer(s, st, i, now);
out:
	egca_signer_free(sg);
	egca_pki_csr_free(csr);
	egca_pki_cert_info_free(&info);
	egca_buf_free(&tbs);
	egca_buf_free(&csr_der);
	free(res.der);
	free(subject);
	free(path);
	return e;
}

/* Makes sure CA i has a usable delegated signer (when configured). */
static void
ensure_signer(
    struct egca_status *s, struct egca_store *st, size_t i, int64_t now)
{
	struct ocsp_ca *c = &s->ocsp->ca[i];
	int64_t quarter;

	if (!s->cfg.ocsp_delegated || !c->served)
		return;
	quarter = (c->d_not_after - c->d_not_before) / 4;
	if (c->dsigner != NULL && now < c->d_not_after - quarter)
		return;
	if (load_signer(s, st, i, now) == EGCA_OK)
		return;
	if (issue_signer(s, st, i, now) != EGCA_OK) {
		egca_log_warn("status: ca=%s OCSP signer not issued (%s); "
		              "responses signed by the CA key",
		    s->cas[i].name, egca_err_detail());
		atomic_fetch_add(&s->sign_errors, 1);
	}
}

/* ---- loading and picking up changes ---- */

struct resign {
	char ca[64];
	char serial[41];
};

struct load_arg {
	struct egca_status *s;
	struct resign *todo;
	size_t n, cap;
	int64_t max_updated;
};

static void
queue(struct load_arg *a, const char *ca, const char *serial)
{
	struct resign *r;

	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;

		if (cap > 1 << 20 ||
		    (r = realloc(a->todo, cap * sizeof(*r))) == NULL)
			return; /* picked up again by the due scan */
		a->todo = r;
		a->cap = cap;
	}
	snprintf(a->todo[a->n].ca, sizeof(a->todo[a->n].ca), "%s", ca);
	snprintf(
	    a->todo[a->n].serial, sizeof(a->todo[a->n].serial), "%s", serial);
	a->n++;
}

/* One stored response: into the cache, or out of it when stale. */
static enum egca_err
load_row(const struct egca_ocsp_rec *r, void *arg)
{
	struct load_arg *a = arg;
	struct egca_status *s = a->s;
	struct status_ocsp *o = s->ocsp;
	struct egca_ocsp_response_info info;
	struct ocsp_cache_status cs;
	struct status_blob *blob;
	uint8_t serial[20], *der;
	size_t serial_len, i;

	if (r->updated_at > a->max_updated)
		a->max_updated = r->updated_at;
	if ((i = ca_index(s, r->ca)) == SIZE_MAX || !o->ca[i].served)
		return EGCA_OK;
	if (egca_hex_decode(r->serial, serial, sizeof(serial), &serial_len) !=
	    EGCA_OK)
		return EGCA_OK;
	if (r->stale || r->der == NULL ||
	    egca_pki_ocsp_response_parse(r->der, r->der_len, &info) !=
	        EGCA_OK ||
	    info.status != 0 || info.n_singles != 1) {
		ocsp_cache_remove(o->cache, (uint32_t)i, serial, serial_len);
		queue(a, r->ca, r->serial);
		return EGCA_OK;
	}
	/* CA-signed at issuance: the delegated signer takes over. */
	if (s->cfg.ocsp_delegated && o->ca[i].dsigner != NULL &&
	    strcmp(r->signer, "ca") == 0)
		queue(a, r->ca, r->serial);
	cs.status = (int)info.singles[0].status;
	cs.reason = info.singles[0].reason;
	cs.revoked_at = info.singles[0].revocation_time;
	if ((der = malloc(r->der_len)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	memcpy(der, r->der, r->der_len);
	if (egca_status_blob_new(der, r->der_len, r->this_update,
	        r->next_update, r->produced_at, &blob) != EGCA_OK)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	return ocsp_cache_put(
	    o->cache, (uint32_t)i, serial, serial_len, blob, &cs);
}

static enum egca_err
due_row(const struct egca_ocsp_rec *r, void *arg)
{
	queue(arg, r->ca, r->serial);
	return EGCA_OK;
}

/* Re-signs the queued certificates from their current rows. */
static void
resign_all(struct egca_status *s, struct egca_store *st, struct load_arg *a,
    int64_t now)
{
	struct egca_cert_rec rec;
	size_t k, i;

	for (k = 0; k < a->n; k++) {
		if ((i = ca_index(s, a->todo[k].ca)) == SIZE_MAX ||
		    !s->ocsp->ca[i].served)
			continue;
		if (egca_store_cert_get(
		        st, a->todo[k].ca, a->todo[k].serial, &rec) != EGCA_OK)
			continue;
		if (presign_cert(s, st, i, &rec, now, NULL) != EGCA_OK)
			egca_log_warn("status: ca=%s serial=%s OCSP re-sign "
			              "failed: %s",
			    a->todo[k].ca, a->todo[k].serial,
			    egca_err_detail());
		egca_store_cert_rec_free(&rec);
	}
	a->n = 0;
}

/* ---- hooks ---- */

enum egca_err
egca_status_ocsp_open(
    struct egca_status *s, const char *pass, size_t pass_len, int64_t now)
{
	struct status_ocsp *o;
	struct egca_store *st = NULL;
	struct load_arg a;
	struct egca_cert_info info;
	struct egca_buf eb;
	const uint8_t *subject, *spki;
	size_t subject_len, spki_len, i, len;
	uint8_t *p;
	int h, k;
	static const int errs[] = {1, 2, 3, 6};
	enum egca_err e;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	s->ocsp = o;
	if (pthread_rwlock_init(&o->signer_lock, NULL) != 0) {
		free(o);
		s->ocsp = NULL;
		return egca_err_set(EGCA_ERR_INTERNAL, "status: rwlock");
	}
	atomic_init(&o->presigned, 0);
	atomic_init(&o->live, 0);
	if (s->cfg.ocsp_max_certids == 0)
		s->cfg.ocsp_max_certids = EGCA_OCSP_DEFAULT_MAX_CERTIDS;
	if (s->cfg.ocsp_max_certids > MAX_CERTIDS)
		s->cfg.ocsp_max_certids = MAX_CERTIDS;
	if ((e = ocsp_cache_new(&o->cache)) != EGCA_OK)
		return e;
	if (s->n_cas > 0 && (o->ca = calloc(s->n_cas, sizeof(*o->ca))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if ((o->pass = OPENSSL_secure_malloc(pass_len + 1)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "secure heap");
	memcpy(o->pass, pass, pass_len);
	o->pass[pass_len] = '\0';
	o->pass_len = pass_len;
	for (k = 0; k < 4; k++) {
		egca_buf_init(&eb, 16);
		if ((e = egca_pki_ocsp_response_error(errs[k], &eb)) !=
		    EGCA_OK) {
			egca_buf_free(&eb);
			return e;
		}
		p = egca_buf_take(&eb, &len);
		if ((e = egca_status_blob_new(
		         p, len, now, 0, now, &o->err[errs[k]])) != EGCA_OK)
			return e;
	}

	for (i = 0; i < s->n_cas; i++) {
		if (s->cas[i].is == NULL)
			continue;
		subject =
		    egca_ca_issuer_get0_subject(s->cas[i].is, &subject_len);
		spki = egca_signer_get0_spki(
		    egca_ca_issuer_get0_signer(s->cas[i].is), &spki_len);
		for (h = 1; h < EGCA_OCSP_NHASH; h++)
			if ((e = egca_pki_ocsp_issuer_hashes(
			         (enum egca_ocsp_hash)h, subject, subject_len,
			         spki, spki_len, o->ca[i].name_hash[h],
			         o->ca[i].key_hash[h],
			         &o->ca[i].hash_len[h])) != EGCA_OK)
				return e;
		memset(&info, 0, sizeof(info));
		if ((e = egca_pki_cert_info(s->cas[i].cert_der,
		         s->cas[i].cert_len, &info)) != EGCA_OK)
			return e;
		o->ca[i].ca_not_after = info.not_after;
		egca_pki_cert_info_free(&info);
		o->ca[i].served = 1;
	}

	if ((e = egca_store_pool_get(s->pool, &st)) != EGCA_OK)
		return e;
	for (i = 0; i < s->n_cas; i++)
		ensure_signer(s, st, i, now);
	memset(&a, 0, sizeof(a));
	a.s = s;
	a.max_updated = 0;
	e = egca_store_ocsp_each_changed(st, NULL, -1, 0, load_row, &a);
	if (e == EGCA_OK) {
		o->watermark = a.max_updated;
		resign_all(s, st, &a, now);
	}
	free(a.todo);
	egca_store_pool_put(s->pool, st);
	if (e == EGCA_OK)
		egca_log_info("status: OCSP cache loaded, responses=%zu",
		    ocsp_cache_count(o->cache));
	return e;
}

void
egca_status_ocsp_tick(struct egca_status *s, int64_t now)
{
	struct status_ocsp *o = s->ocsp;
	struct egca_store *st;
	struct load_arg a;
	int64_t since;
	size_t i;

	if (o == NULL || egca_store_pool_get(s->pool, &st) != EGCA_OK)
		return;
	if (now >= o->rotate_retry_at) {
		for (i = 0; i < s->n_cas; i++)
			ensure_signer(s, st, i, now);
		o->rotate_retry_at = now + 60;
	}
	memset(&a, 0, sizeof(a));
	a.s = s;
	a.max_updated = o->watermark;
	/*
	 * Two seconds back: rows written by other nodes in the second we
	 * last read are read again (re-loading is harmless), but only
	 * while that second is recent. Read back for ever, every row of
	 * the last busy second (thousands after a re-signing pass) was
	 * re-read, re-parsed and re-cached at every tick, on the CPU that
	 * answers requests.
	 */
	since = now - o->watermark <= WINDOW_SECONDS ? o->watermark - 2
	                                             : o->watermark;
	if (egca_store_ocsp_each_changed(st, NULL, since, 0, load_row, &a) ==
	    EGCA_OK)
		o->watermark = a.max_updated;
	resign_all(s, st, &a, now);
	if (egca_store_ocsp_each_due(st, NULL, now, DUE_BATCH, due_row, &a) ==
	    EGCA_OK)
		resign_all(s, st, &a, now);
	free(a.todo);
	egca_store_pool_put(s->pool, st);
}

int
egca_status_ocsp_ready(
    struct egca_status *s, int64_t now, char *why, size_t why_len)
{
	(void)now;
	if (s->ocsp == NULL || s->ocsp->cache == NULL) {
		snprintf(why, why_len, "ocsp: not open");
		return 0;
	}
	return 1;
}

void
egca_status_ocsp_stats(
    struct egca_status *s, int64_t now, struct egca_status_stats *st)
{
	(void)now;
	if (s->ocsp == NULL)
		return;
	st->ocsp_presigned = (uint64_t)atomic_load(&s->ocsp->presigned);
	st->ocsp_live = (uint64_t)atomic_load(&s->ocsp->live);
	st->cached_responses = ocsp_cache_count(s->ocsp->cache);
}

void
egca_status_ocsp_free(struct egca_status *s)
{
	struct status_ocsp *o;
	size_t i;

	if (s == NULL || (o = s->ocsp) == NULL)
		return;
	ocsp_cache_free(o->cache);
	if (o->ca != NULL)
		for (i = 0; i < s->n_cas; i++) {
			egca_signer_free(o->ca[i].dsigner);
			free(o->ca[i].dcert);
		}
	free(o->ca);
	for (i = 0; i < 7; i++)
		egca_status_blob_release(o->err[i]);
	if (o->pass != NULL)
		OPENSSL_secure_clear_free(o->pass, o->pass_len + 1);
	(void)pthread_rwlock_destroy(&o->signer_lock);
	free(o);
	s->ocsp = NULL;
}

/* ---- answering ---- */

static enum egca_err
answer_error(struct status_ocsp *o, enum egca_ocsp_resp_status st,
    struct egca_ocsp_answer *ans)
{
	ans->status = st;
	egca_status_blob_lend(o->err[st], &ans->body);
	return EGCA_OK;
}

/* The CA a CertID names, or SIZE_MAX. */
static size_t
match_ca(struct egca_status *s, const struct egca_ocsp_certid *id)
{
	struct status_ocsp *o = s->ocsp;
	size_t i, hl;

	if (id->hash == EGCA_OCSP_HASH_OTHER)
		return SIZE_MAX;
	for (i = 0; i < s->n_cas; i++) {
		hl = o->ca[i].hash_len[id->hash];
		if (o->ca[i].served && id->key_hash_len == hl &&
		    id->name_hash_len == hl &&
		    memcmp(id->key_hash, o->ca[i].key_hash[id->hash], hl) ==
		        0 &&
		    memcmp(id->name_hash, o->ca[i].name_hash[id->hash], hl) ==
		        0)
			return i;
	}
	return SIZE_MAX;
}

/*
 * The status of one CertID of CA i: from the cache, else from the
 * certificate table. 0 when the CA did not issue it ("unknown").
 */
static enum egca_err
lookup(struct egca_status *s, struct egca_store **st, size_t i,
    const struct egca_ocsp_certid *id, struct ocsp_cache_status *cs,
    int *issued)
{
	struct egca_status_blob b;
	struct egca_cert_rec rec;
	char hex[41];
	enum egca_err e;

	*issued = 0;
	if (id->serial_negative || id->serial_len > 20)
		return EGCA_OK;
	if (ocsp_cache_get(s->ocsp->cache, (uint32_t)i, id->serial,
	        id->serial_len, &b, cs)) {
		egca_status_blob_release(b.ref);
		*issued = 1;
		return EGCA_OK;
	}
	if (*st == NULL && (e = egca_store_pool_get(s->pool, st)) != EGCA_OK)
		return e;
	egca_hex_encode(id->serial, id->serial_len, hex);
	e = egca_store_cert_get(*st, s->cas[i].name, hex, &rec);
	if (e == EGCA_ERR_NOTFOUND)
		return EGCA_OK;
	if (e != EGCA_OK)
		return e;
	rec_status(rec.status, rec.reason, rec.revoked_at, cs);
	*issued = 1;
	/* Not pre-signed yet (or stale): pre-sign it now for next time. */
	if (presign_cert(s, *st, i, &rec, (int64_t)time(NULL), NULL) != EGCA_OK)
		egca_log_warn("status: ca=%s serial=%s pre-sign failed: %s",
		    rec.ca, rec.serial, egca_err_detail());
	egca_store_cert_rec_free(&rec);
	return EGCA_OK;
}

static void
count(struct egca_ocsp_answer *ans, int status)
{
	if (status == EGCA_OCSP_GOOD)
		ans->n_good++;
	else if (status == EGCA_OCSP_REVOKED)
		ans->n_revoked++;
	else
		ans->n_unknown++;
}

enum egca_err
egca_status_ocsp_respond(struct egca_status *s, const uint8_t *req, size_t len,
    unsigned flags, struct egca_ocsp_answer *ans)
{
	struct status_ocsp *o = s->ocsp;
	struct egca_ocsp_certid ids[MAX_CERTIDS];
	struct egca_ocsp_single singles[MAX_CERTIDS];
	struct egca_ocsp_request r;
	struct egca_ocsp_response_tmpl t;
	struct ocsp_cache_status cs;
	struct egca_store *st = NULL;
	struct egca_buf der;
	struct egca_signer *sg;
	struct status_blob *blob;
	const uint8_t *cert;
	const char *sname;
	size_t k, ca = SIZE_MAX, cert_len, blen;
	int64_t now = (int64_t)time(NULL);
	int issued, hours = validity_hours(&s->cfg);
	uint8_t *p;
	enum egca_err e;

	memset(ans, 0, sizeof(*ans));
	if (egca_pki_ocsp_request_parse(
	        req, len, ids, s->cfg.ocsp_max_certids, &r) != EGCA_OK)
		return answer_error(o, EGCA_OCSP_MALFORMED, ans);
	for (k = 0; k < r.n_ids && ca == SIZE_MAX; k++)
		ca = match_ca(s, &ids[k]);
	if (ca == SIZE_MAX)
		return answer_error(o, EGCA_OCSP_UNAUTHORIZED, ans);

	/* The hot path: the pre-signed response, as it is. */
	if (r.n_ids == 1 && !r.has_nonce &&
	    ids[0].hash == EGCA_OCSP_HASH_SHA1 && !ids[0].serial_negative &&
	    ocsp_cache_get(o->cache, (uint32_t)ca, ids[0].serial,
	        ids[0].serial_len, &ans->body, &cs)) {
		if (ans->body.next_update > now) {
			ans->status = EGCA_OCSP_SUCCESSFUL;
			ans->cacheable = 1;
			count(ans, cs.status);
			return EGCA_OK;
		}
		egca_status_blob_release(ans->body.ref);
		memset(&ans->body, 0, sizeof(ans->body));
	}
	if (flags & EGCA_OCSP_NO_LIVE_SIGN) {
		ans->needs_worker = 1;
		return EGCA_OK;
	}
	if (r.has_nonce && !s->cfg.ocsp_nonce)
		r.has_nonce = 0; /* answered without the nonce */

	memset(singles, 0, sizeof(singles[0]) * r.n_ids);
	for (k = 0; k < r.n_ids; k++) {
		singles[k].certid_raw = ids[k].raw;
		singles[k].certid_raw_len = ids[k].raw_len;
		singles[k].this_update = now;
		singles[k].next_update = now + (int64_t)hours * 3600;
		singles[k].reason = -1;
		singles[k].status = EGCA_OCSP_UNKNOWN;
		issued = 0;
		if (match_ca(s, &ids[k]) == ca &&
		    (e = lookup(s, &st, ca, &ids[k], &cs, &issued)) !=
		        EGCA_OK) {
			egca_log_warn("status: OCSP lookup failed: %s",
			    egca_err_detail());
			if (st != NULL)
				egca_store_pool_put(s->pool, st);
			return answer_error(o, EGCA_OCSP_TRY_LATER, ans);
		}
		if (issued) {
			singles[k].status =
			    (enum egca_ocsp_cert_status)cs.status;
			singles[k].reason = cs.reason;
			singles[k].revocation_time = cs.revoked_at;
		}
		count(ans, (int)singles[k].status);
	}
	if (st != NULL)
		egca_store_pool_put(s->pool, st);

	/* One SHA-1 CertID without nonce that lookup just pre-signed. */
	if (r.n_ids == 1 && !r.has_nonce &&
	    ids[0].hash == EGCA_OCSP_HASH_SHA1 && !ids[0].serial_negative &&
	    ocsp_cache_get(o->cache, (uint32_t)ca, ids[0].serial,
	        ids[0].serial_len, &ans->body, NULL)) {
		ans->status = EGCA_OCSP_SUCCESSFUL;
		ans->cacheable = 1;
		return EGCA_OK;
	}

	memset(&t, 0, sizeof(t));
	t.produced_at = now;
	t.singles = singles;
	t.n_singles = r.n_ids;
	if (r.has_nonce) {
		t.nonce_ext = r.nonce_ext;
		t.nonce_ext_len = r.nonce_ext_len;
	}
	egca_buf_init(&der, 1 << 20);
	(void)pthread_rwlock_rdlock(&o->signer_lock);
	sg = pick_signer(s, ca, &cert, &cert_len, &sname);
	t.responder_spki = egca_signer_get0_spki(sg, &t.responder_spki_len);
	t.signer_cert = cert;
	t.signer_cert_len = cert_len;
	e = egca_pki_ocsp_response_sign(&t, sg, &der);
	(void)pthread_rwlock_unlock(&o->signer_lock);
	if (e != EGCA_OK) {
		egca_buf_free(&der);
		atomic_fetch_add(&s->sign_errors, 1);
		egca_log_err(
		    "status: OCSP live signing failed: %s", egca_err_detail());
		return answer_error(o, EGCA_OCSP_INTERNAL_ERROR, ans);
	}
	p = egca_buf_take(&der, &blen);
	/*
	 * A live answer is never cacheable, so it has no ETag: no SM3 of
	 * it (egca_status_blob_new), one reference, the caller's.
	 */
	if ((blob = calloc(1, sizeof(*blob))) == NULL) {
		free(p);
		return answer_error(o, EGCA_OCSP_INTERNAL_ERROR, ans);
	}
	atomic_init(&blob->refs, 1);
	blob->der = p;
	blob->len = blen;
	blob->this_update = now;
	blob->next_update = now + (int64_t)hours * 3600;
	blob->produced_at = now;
	atomic_fetch_add(&o->live, 1);
	ans->body.der = blob->der;
	ans->body.len = blob->len;
	ans->body.this_update = blob->this_update;
	ans->body.next_update = blob->next_update;
	ans->body.produced_at = blob->produced_at;
	ans->body.ref = blob;
	ans->status = EGCA_OCSP_SUCCESSFUL;
	return EGCA_OK;
}
