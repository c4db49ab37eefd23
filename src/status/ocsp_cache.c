/*
 * The memory cache of pre-signed OCSP responses (ocsp_cache.h).
 *
 * Shards are picked by the serial's hash, so two threads rarely touch
 * the same lock; a hit takes a read lock, copies five words and adds a
 * reference to the blob. The hash is FNV-1a: an attacker only chooses
 * serials to look up, never what is inserted (certificates egca issued
 * under CSPRNG serials), so colliding chains cannot be grown from
 * outside.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "status/ocsp_cache.h"

#define NSHARDS 64
#define MIN_BUCKETS 64

struct ent {
	struct ent *next;
	uint64_t hash;
	uint32_t ca;
	uint8_t serial_len;
	uint8_t serial[20];
	struct ocsp_cache_status cs;
	struct status_blob *blob;
};

struct shard {
	pthread_rwlock_t lock;
	struct ent **b;
	size_t nb, n;
};

struct ocsp_cache {
	struct shard shard[NSHARDS];
};

static uint64_t
hash(uint32_t ca, const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	h = (h ^ ca) * 0x100000001b3ULL;
	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

enum egca_err
ocsp_cache_new(struct ocsp_cache **out)
{
	struct ocsp_cache *c;
	size_t i;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	for (i = 0; i < NSHARDS; i++) {
		if (pthread_rwlock_init(&c->shard[i].lock, NULL) != 0 ||
		    (c->shard[i].b = calloc(
		         MIN_BUCKETS, sizeof(struct ent *))) == NULL) {
			c->shard[i].nb = 0;
			ocsp_cache_free(c);
			return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		}
		c->shard[i].nb = MIN_BUCKETS;
	}
	*out = c;
	return EGCA_OK;
}

void
ocsp_cache_free(struct ocsp_cache *c)
{
	struct ent *e, *next;
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < NSHARDS; i++) {
		for (j = 0; j < c->shard[i].nb; j++)
			for (e = c->shard[i].b[j]; e != NULL; e = next) {
				next = e->next;
				egca_status_blob_release(e->blob);
				free(e);
			}
		free(c->shard[i].b);
		if (c->shard[i].nb > 0)
			(void)pthread_rwlock_destroy(&c->shard[i].lock);
	}
	free(c);
}

static struct ent **
find(
    struct shard *s, uint64_t h, uint32_t ca, const uint8_t *serial, size_t len)
{
	struct ent **pp = &s->b[(h >> 6) & (s->nb - 1)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == h && (*pp)->ca == ca &&
		    (*pp)->serial_len == len &&
		    memcmp((*pp)->serial, serial, len) == 0)
			return pp;
	return pp;
}

int
ocsp_cache_get(struct ocsp_cache *c, uint32_t ca, const uint8_t *serial,
    size_t serial_len, struct egca_status_blob *out,
    struct ocsp_cache_status *cs)
{
	uint64_t h;
	struct shard *s;
	struct ent *e;

	if (serial_len == 0 || serial_len > 20)
		return 0;
	h = hash(ca, serial, serial_len);
	s = &c->shard[h & (NSHARDS - 1)];
	(void)pthread_rwlock_rdlock(&s->lock);
	e = *find(s, h, ca, serial, serial_len);
	if (e != NULL) {
		egca_status_blob_lend(e->blob, out);
		if (cs != NULL)
			*cs = e->cs;
	}
	(void)pthread_rwlock_unlock(&s->lock);
	return e != NULL;
}

/* Doubles the bucket array; on allocation failure chains grow. */
static void
grow(struct shard *s)
{
	struct ent **nb, *e, *next;
	size_t n = s->nb * 2, i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < s->nb; i++)
		for (e = s->b[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[(e->hash >> 6) & (n - 1)];
			nb[(e->hash >> 6) & (n - 1)] = e;
		}
	free(s->b);
	s->b = nb;
	s->nb = n;
}

enum egca_err
ocsp_cache_put(struct ocsp_cache *c, uint32_t ca, const uint8_t *serial,
    size_t serial_len, struct status_blob *blob,
    const struct ocsp_cache_status *cs)
{
	uint64_t h;
	struct shard *s;
	struct ent **pp, *e;
	struct status_blob *old = NULL;

	if (serial_len == 0 || serial_len > 20) {
		egca_status_blob_release(blob);
		return egca_err_set(EGCA_ERR_INPUT, "OCSP cache: serial");
	}
	h = hash(ca, serial, serial_len);
	s = &c->shard[h & (NSHARDS - 1)];
	(void)pthread_rwlock_wrlock(&s->lock);
	pp = find(s, h, ca, serial, serial_len);
	if ((e = *pp) != NULL) {
		old = e->blob;
	} else {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			(void)pthread_rwlock_unlock(&s->lock);
			egca_status_blob_release(blob);
			return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		}
		e->hash = h;
		e->ca = ca;
		e->serial_len = (uint8_t)serial_len;
		memcpy(e->serial, serial, serial_len);
		*pp = e;
		if (++s->n > 2 * s->nb)
			grow(s);
	}
	e->blob = blob;
	e->cs = *cs;
	(void)pthread_rwlock_unlock(&s->lock);
	/* Readers that borrowed the old blob still hold their reference. */
	egca_status_blob_release(old);
	return EGCA_OK;
}

void
ocsp_cache_remove(
    struct ocsp_cache *c, uint32_t ca, const uint8_t *serial, size_t serial_len)
{
	uint64_t h;
	struct shard *s;
	struct ent **pp, *e;

	if (serial_len == 0 || serial_len > 20)
		return;
	h = hash(ca, serial, serial_len);
	s = &c->shard[h & (NSHARDS - 1)];
	(void)pthread_rwlock_wrlock(&s->lock);
	pp = find(s, h, ca, serial, serial_len);
	if ((e = *pp) != NULL) {
		*pp = e->next;
		s->n--;
	}
	(void)pthread_rwlock_unlock(&s->lock);
	if (e != NULL) {
		egca_status_blob_release(e->blob);
		free(e);
	}
}

size_t
ocsp_cache_count(struct ocsp_cache *c)
{
	size_t i, n = 0;

	for (i = 0; i < NSHARDS; i++) {
		(void)pthread_rwlock_rdlock(&c->shard[i].lock);
		n += c->shard[i].n;
		(void)pthread_rwlock_unlock(&c->shard[i].lock);
	}
	return n;
}
