/*
 * Digests and idempotency keys.
 *
 * An application's digest is SM3 over a canonical encoding: the label
 * "egca-ra-app-v1", then kind, subscriber, ca, profile, enc_profile,
 * csr (DER), subject, serial, reason, validity_days (decimal), note,
 * each as a 4-byte big-endian length and the bytes (0xffffffff for an
 * absent value), then the number of materials (4 bytes) and their SM3
 * hex digests in sorted order. Any change of content or materials
 * changes it, so approvals bound to an earlier digest stop counting.
 *
 * Idempotency keys (REST "Idempotency-Key"): one per (key, actor); the
 * request digest is the same kind of encoding of the request. A repeat
 * with the same digest returns the first object's id and changes
 * nothing; another request under the key is EGCA_ERR_CONFLICT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/crypto.h"
#include "ra/ra_int.h"

#define ABSENT 0xffffffffu

static void
enc_len(struct egca_buf *b, uint32_t n, enum egca_err *e)
{
	uint8_t be[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n};

	if (*e == EGCA_OK)
		*e = egca_buf_append(b, be, sizeof(be));
}

void
ra_enc_bytes(struct egca_buf *b, const uint8_t *p, size_t len, enum egca_err *e)
{
	if (p == NULL) {
		enc_len(b, ABSENT, e);
		return;
	}
	if (len >= ABSENT) {
		if (*e == EGCA_OK)
			*e = egca_err_set(EGCA_ERR_INPUT, "value too long");
		return;
	}
	enc_len(b, (uint32_t)len, e);
	if (*e == EGCA_OK && len > 0)
		*e = egca_buf_append(b, p, len);
}

void
ra_enc_str(struct egca_buf *b, const char *s, enum egca_err *e)
{
	ra_enc_bytes(b, (const uint8_t *)s, s != NULL ? strlen(s) : 0, e);
}

enum egca_err
ra_sm3_hex(const uint8_t *p, size_t len, char out[65])
{
	uint8_t d[32];
	enum egca_err e;

	if ((e = egca_crypto_sm3(p, len, d)) != EGCA_OK)
		return e;
	egca_hex_encode(d, sizeof(d), out);
	return EGCA_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum egca_err
ra_app_digest(const struct egca_app_rec *a, const struct egca_material_rec *m,
    size_t nm, char out[65])
{
	struct egca_buf b;
	const char **sorted = NULL;
	char days[16];
	enum egca_err e = EGCA_OK;
	size_t i;

	egca_buf_init(&b, 8u << 20);
	snprintf(days, sizeof(days), "%d", a->validity_days);
	ra_enc_str(&b, "egca-ra-app-v1", &e);
	ra_enc_str(&b, a->kind, &e);
	ra_enc_str(&b, a->subscriber, &e);
	ra_enc_str(&b, a->ca, &e);
	ra_enc_str(&b, a->profile, &e);
	ra_enc_str(&b, a->enc_profile, &e);
	ra_enc_bytes(&b, a->csr_der, a->csr_len, &e);
	ra_enc_str(&b, a->subject, &e);
	ra_enc_str(&b, a->serial, &e);
	ra_enc_str(&b, a->reason, &e);
	ra_enc_str(&b, days, &e);
	ra_enc_str(&b, a->note, &e);
	enc_len(&b, (uint32_t)nm, &e);
	if (e == EGCA_OK && nm > 0) {
		if ((sorted = calloc(nm, sizeof(*sorted))) == NULL) {
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < nm; i++)
			sorted[i] = m[i].sm3;
		qsort(sorted, nm, sizeof(*sorted), cmp_str);
		for (i = 0; i < nm; i++)
			ra_enc_str(&b, sorted[i], &e);
	}
	if (e == EGCA_OK)
		e = ra_sm3_hex(b.data, b.len, out);
out:
	free(sorted);
	egca_buf_free(&b);
	return e;
}

enum egca_err
ra_idem_key_check(const char *key)
{
	size_t i;

	if (key == NULL)
		return EGCA_OK;
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] < 0x20 || key[i] > 0x7e || i >= 128)
			return egca_err_set(EGCA_ERR_INPUT,
			    "Idempotency-Key: 1 to 128 printable ASCII "
			    "characters");
	if (i == 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "Idempotency-Key: 1 to 128 printable ASCII characters");
	return EGCA_OK;
}

enum egca_err
ra_idem_lookup(struct egca_store *st, const char *key, const char *actor,
    const char *kind, const char *digest, char id[33], int *replay)
{
	struct egca_store_idem r;
	enum egca_err e;

	*replay = 0;
	if (key == NULL)
		return EGCA_OK;
	e = egca_store_ra_idem_get(st, key, actor, &r);
	if (e == EGCA_ERR_NOTFOUND)
		return EGCA_OK;
	if (e != EGCA_OK)
		return e;
	if (strcmp(r.kind, kind) != 0 ||
	    strcmp(r.request_digest, digest) != 0 ||
	    strlen(r.object_id) != 32) {
		egca_store_ra_idem_clear(&r);
		return ra_conflict(
		    "Idempotency-Key reused with a different request");
	}
	memcpy(id, r.object_id, 33);
	*replay = 1;
	egca_store_ra_idem_clear(&r);
	return EGCA_OK;
}
