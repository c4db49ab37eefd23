/*
 * Private to status/: the service struct shared by the CRL half
 * (status/crl.c) and the OCSP half (status/ocsp.c), the refcounted
 * blobs handed to HTTP threads, and the hooks service.c calls.
 *
 * Locking: everything in the common section is set up by
 * egca_status_open and read-only afterwards (the signers are
 * thread-safe). Each half guards its own mutable state.
 */
#ifndef EGCA_STATUS_INT_H
#define EGCA_STATUS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "egca/ca.h"
#include "egca/status.h"
#include "egca/store.h"

/*
 * A DER body with a reference count. The service holds one reference
 * while the body is current; each egca_status_blob lent to a caller
 * holds another, dropped by egca_status_blob_release(out->ref). The
 * last reference frees der.
 */
struct status_blob {
	atomic_size_t refs;
	uint8_t *der;
	size_t len;
	int64_t this_update, next_update, produced_at;
	char etag[48]; /* "\"sm3-<40 hex>\"" */
};

/*
 * Takes der (freed with the blob, also on failure) into a new blob with
 * one reference; the ETag is made from the SM3 digest of der.
 */
EGCA_MUST_CHECK enum egca_err egca_status_blob_new(uint8_t *der, size_t len,
    int64_t this_update, int64_t next_update, int64_t produced_at,
    struct status_blob **out);
/* Adds a reference to b and describes it in out. */
void egca_status_blob_lend(struct status_blob *b, struct egca_status_blob *out);
/* egca_status_blob_release (status.h) drops one reference. */

/* One active CA of the data directory. */
struct status_ca {
	char *name;
	struct egca_issuer *is; /* NULL when its key did not open */
	uint8_t *cert_der;      /* the CA certificate */
	size_t cert_len;
	uint8_t ski[64]; /* the CA certificate's SKI (AKI of what it signs) */
	size_t ski_len;
};

/* Fills c->ski from c->cert_der (its SKI, else egca's key id). */
EGCA_MUST_CHECK enum egca_err egca_status_ca_ski(struct status_ca *c);

/* CRL state of one CA (status/crl.c), parallel to s->cas. */
struct status_crl_ca {
	struct status_blob *full, *delta; /* current; under s->crl.lock */
	int64_t number;                   /* the full CRL's cRLNumber */
	int64_t retry_at;                 /* after a failed generation */
};

struct egca_status {
	/* ---- common (service.c) ---- */
	struct egca_status_config cfg; /* crl_dir points at crl_dir below */
	const struct egca_config *config;
	char *crl_dir;
	struct egca_store_pool *pool;
	struct status_ca *cas;
	size_t n_cas;
	atomic_uint_fast64_t sign_errors;

	/* ---- CRL (crl.c) ---- */
	struct {
		pthread_mutex_t lock; /* guards the blob pointers of ca[] */
		struct status_crl_ca *ca;
	} crl;

	/* ---- OCSP (ocsp.c) ---- */
	struct status_ocsp *ocsp; /* private to ocsp.c */
};

/*
 * The halves, called by service.c. _open runs after the common section
 * is filled (a CA without a key is skipped by both), _tick on the
 * background thread, _ready and _stats from any thread, _free last.
 */
EGCA_MUST_CHECK enum egca_err egca_status_crl_open(
    struct egca_status *s, int64_t now);
void egca_status_crl_tick(struct egca_status *s, int64_t now);
int egca_status_crl_ready(
    struct egca_status *s, int64_t now, char *why, size_t why_len);
void egca_status_crl_stats(
    struct egca_status *s, int64_t now, struct egca_status_stats *st);
void egca_status_crl_free(struct egca_status *s);

/*
 * pass opens (and protects) the delegated OCSP signer keys; ocsp.c
 * keeps a copy in the secure heap to rotate signers while running.
 */
EGCA_MUST_CHECK enum egca_err egca_status_ocsp_open(
    struct egca_status *s, const char *pass, size_t pass_len, int64_t now);
void egca_status_ocsp_tick(struct egca_status *s, int64_t now);
int egca_status_ocsp_ready(
    struct egca_status *s, int64_t now, char *why, size_t why_len);
void egca_status_ocsp_stats(
    struct egca_status *s, int64_t now, struct egca_status_stats *st);
void egca_status_ocsp_free(struct egca_status *s);

#endif
