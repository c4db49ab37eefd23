/* A small blocking pool of store connections (include/egca/store.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"

struct egca_store_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *uri;
	size_t max;
	size_t open;              /* connections opened */
	size_t nfree;             /* idle connections in free[] */
	struct egca_store **free; /* max slots */
};

enum egca_err
egca_store_pool_new(const char *uri, size_t max, struct egca_store_pool **out)
{
	struct egca_store_pool *p;
	struct egca_store *st = NULL;
	enum egca_err e;

	*out = NULL;
	if (max == 0)
		max = 1;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->free = calloc(max, sizeof(*p->free))) == NULL ||
	    (p->uri = strdup(uri)) == NULL) {
		if (p != NULL) {
			free(p->free);
			free(p);
		}
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	p->max = max;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((e = egca_store_open(uri, 0, &st)) != EGCA_OK) {
		egca_store_pool_free(p);
		return e;
	}
	p->free[p->nfree++] = st;
	p->open = 1;
	*out = p;
	return EGCA_OK;
}

enum egca_err
egca_store_pool_get(struct egca_store_pool *p, struct egca_store **st)
{
	enum egca_err e;

	*st = NULL;
	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0 && p->open >= p->max)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->nfree > 0) {
		*st = p->free[--p->nfree];
		pthread_mutex_unlock(&p->mu);
		return EGCA_OK;
	}
	p->open++;
	pthread_mutex_unlock(&p->mu);
	/* Opened outside the lock: connecting may take a while. */
	if ((e = egca_store_open(p->uri, 0, st)) != EGCA_OK) {
		pthread_mutex_lock(&p->mu);
		p->open--;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return e;
}

void
egca_store_pool_put(struct egca_store_pool *p, struct egca_store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = st;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
egca_store_pool_free(struct egca_store_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfree; i++)
		egca_store_close(p->free[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->free);
	free(p->uri);
	free(p);
}
