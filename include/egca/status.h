/*
 * status/: the status and information query services (Art. 5, 21(2)):
 * the OCSP responder (RFC 6960, RFC 5019) and CRLs (RFC 5280 §5,
 * GM/T 0015 §5.3), full and delta.
 *
 * One struct egca_status per `egca serve` process. It holds the CA keys
 * (through signers), the delegated OCSP signers, a memory cache of
 * pre-signed OCSP responses and the current CRLs, and its own store
 * connections (egca_store_pool). egca_status_ocsp_respond and
 * egca_status_crl_get are called concurrently from HTTP threads;
 * egca_status_tick from one background thread.
 *
 * What this module does not do: HTTP (http/), and deciding who may
 * revoke (ca/, ra/).
 */
#ifndef EGCA_STATUS_H
#define EGCA_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "egca/ca.h"
#include "egca/crypto.h"
#include "egca/err.h"

struct egca_status_config {
	int ocsp_validity_hours;  /* default 24; 8 to 168 */
	int ocsp_delegated;       /* 1: delegated OCSP signer (default) */
	int ocsp_nonce;           /* 1: sign nonce requests live (default) */
	size_t ocsp_max_certids;  /* CertIDs per request (default 20) */
	int crl_validity_hours;   /* nextUpdate (default 24; <= 168) */
	int crl_delay_seconds;    /* regenerate after a change (default 60) */
	int crl_interval_hours;   /* scheduled regeneration (default 6) */
	int delta_crl;            /* publish delta CRLs (default 1) */
	const char *crl_dir;      /* published files (default DIR/crl) */
	size_t store_connections; /* pool size (default 8) */
};

/* Fills c with the defaults above. */
void egca_status_config_default(struct egca_status_config *c);
/* The defaults with egca.conf's "status" settings over them. */
struct egca_config;
void egca_status_config_load(
    struct egca_status_config *c, const struct egca_config *cfg);

struct egca_status;

/*
 * Opens the service for every active CA of the data directory, loading
 * each CA key with pass (a CA whose key does not open is served as
 * "unauthorized" and logged). Issues or rotates the delegated OCSP
 * signing certificates as needed.
 */
EGCA_MUST_CHECK enum egca_err egca_status_open(const struct egca_ctx *ctx,
    const struct egca_status_config *cfg, const char *pass, size_t pass_len,
    struct egca_status **out);
void egca_status_free(struct egca_status *s);

/* A DER body held by the service; release it when sent. */
struct egca_status_blob {
	const uint8_t *der;
	size_t len;
	int64_t this_update;
	int64_t next_update;
	int64_t produced_at;
	char etag[48]; /* quoted, e.g. "\"sm3-...\"" */
	void *ref;     /* pass to egca_status_blob_release */
};

void egca_status_blob_release(void *ref);

enum egca_ocsp_resp_status {
	EGCA_OCSP_SUCCESSFUL = 0,
	EGCA_OCSP_MALFORMED = 1,
	EGCA_OCSP_INTERNAL_ERROR = 2,
	EGCA_OCSP_TRY_LATER = 3,
	EGCA_OCSP_UNAUTHORIZED = 6,
};

struct egca_ocsp_answer {
	struct egca_status_blob body; /* the DER OCSPResponse */
	enum egca_ocsp_resp_status status;
	int cacheable;    /* pre-signed: GET may carry Cache-Control */
	int needs_worker; /* set when live signing was not allowed */
	int n_good, n_revoked, n_unknown;
};

enum {
	/* Do not sign here: answer only from pre-signed responses. */
	EGCA_OCSP_NO_LIVE_SIGN = 1 << 0,
};

/*
 * Answers one DER OCSPRequest. Always fills ans with an OCSPResponse to
 * send (malformedRequest for garbage, unauthorized for an issuer this
 * service does not serve), except when flags has EGCA_OCSP_NO_LIVE_SIGN
 * and the answer needs a signature made now (a nonce, a response not yet
 * pre-signed): then ans->needs_worker is set, nothing is to be sent, and
 * the caller repeats the call without the flag on a worker thread.
 * Never "good" for a serial the CA did not issue.
 */
EGCA_MUST_CHECK enum egca_err egca_status_ocsp_respond(struct egca_status *s,
    const uint8_t *req, size_t len, unsigned flags,
    struct egca_ocsp_answer *ans);

/*
 * The current full (delta 0) or delta (delta 1) CRL of CA name.
 * EGCA_ERR_NOTFOUND for an unknown CA or when no delta is published.
 */
EGCA_MUST_CHECK enum egca_err egca_status_crl_get(struct egca_status *s,
    const char *ca, int delta, struct egca_status_blob *out);

/*
 * Background work, called about once a second: picks up status changes
 * made by other processes and re-signs their OCSP responses, refreshes
 * responses before half their validity, regenerates CRLs on schedule and
 * crl_delay_seconds after a change, rotates OCSP signers.
 */
void egca_status_tick(struct egca_status *s, int64_t now);

struct egca_status_stats {
	uint64_t sign_errors;
	uint64_t ocsp_presigned; /* responses signed ahead */
	uint64_t ocsp_live;      /* responses signed on request */
	int64_t crl_age_max;     /* seconds since the oldest CRL's thisUpdate */
	size_t cached_responses;
};

void egca_status_get_stats(struct egca_status *s, struct egca_status_stats *st);

/*
 * Ready when the store answers and every CA's CRL and OCSP data are
 * within their validity. Returns 1 (ready) or 0 with why filled.
 */
int egca_status_ready(
    struct egca_status *s, int64_t now, char *why, size_t why_len);

/*
 * The open issuer of CA ca (NULL or "": the default CA), borrowed for
 * the life of s: what ra/ issues and re-signs OCSP answers with (struct
 * egca_ra_env in the HTTP layer). NULL when s serves no such CA or its
 * key did not open. Thread-safe (the signers are).
 */
struct egca_issuer *egca_status_issuer(struct egca_status *s, const char *ca);

/*
 * CRL generation without a running service (`egca crl generate`):
 * builds, signs, stores and publishes the full CRL and, when enabled,
 * the delta CRL of CA name (NULL: every active CA).
 */
EGCA_MUST_CHECK enum egca_err egca_status_crl_generate(
    const struct egca_ctx *ctx, const struct egca_status_config *cfg,
    const char *name, const char *pass, size_t pass_len);

/*
 * Pre-signs the OCSP response of one certificate (issuance, status
 * change) with the CA's signer, or its delegated OCSP signer when one
 * is stored and openable with the same signer's passphrase. Called by
 * ca/ inside the transaction that changes the certificate, so the
 * status is authoritative before the change returns.
 */
EGCA_MUST_CHECK enum egca_err egca_status_presign(struct egca_store *st,
    struct egca_issuer *is, const char *serial_hex, int64_t now);

/*
 * Marks the stored OCSP response of one certificate stale inside the
 * caller's transaction (a status change made without the CA key, e.g.
 * `egca cert revoke`): no node serves it again, and the next
 * egca_status_tick of a running service re-signs it.
 */
EGCA_MUST_CHECK enum egca_err egca_status_invalidate(
    struct egca_store *st, const char *ca, const char *serial_hex, int64_t now);

#endif
