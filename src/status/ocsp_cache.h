/*
 * Private to status/ocsp.c: the memory cache of pre-signed OCSP
 * responses, (CA index, serial) -> refcounted blob plus the status it
 * says. 64 shards, each a chained hash table under a read-write lock,
 * so HTTP threads only take read locks and never allocate on a hit.
 *
 * Only responses about certificates the CA issued are put here, so the
 * size is bounded by the certificate table (about 100 bytes plus the
 * response per certificate); "unknown" answers are never cached.
 */
#ifndef EGCA_STATUS_OCSP_CACHE_H
#define EGCA_STATUS_OCSP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "egca/err.h"
#include "egca/status.h"
#include "status/status_int.h"

struct ocsp_cache;

/* What a cached response says about its certificate. */
struct ocsp_cache_status {
	int status; /* enum egca_ocsp_cert_status */
	int reason; /* -1: none */
	int64_t revoked_at;
};

EGCA_MUST_CHECK enum egca_err ocsp_cache_new(struct ocsp_cache **out);
void ocsp_cache_free(struct ocsp_cache *c);
/*
 * On a hit lends the blob (a reference for the caller, release with
 * egca_status_blob_release) into out, fills cs when not NULL and
 * returns 1; 0 on a miss.
 */
int ocsp_cache_get(struct ocsp_cache *c, uint32_t ca, const uint8_t *serial,
    size_t serial_len, struct egca_status_blob *out,
    struct ocsp_cache_status *cs);
/*
 * Inserts or replaces; takes the caller's reference to blob (also on
 * failure). serial_len at most 20.
 */
EGCA_MUST_CHECK enum egca_err ocsp_cache_put(struct ocsp_cache *c, uint32_t ca,
    const uint8_t *serial, size_t serial_len, struct status_blob *blob,
    const struct ocsp_cache_status *cs);
void ocsp_cache_remove(struct ocsp_cache *c, uint32_t ca, const uint8_t *serial,
    size_t serial_len);
size_t ocsp_cache_count(struct ocsp_cache *c);

#endif
