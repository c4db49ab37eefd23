/*
 * The worker pool: a fixed number of threads and a bounded FIFO of
 * jobs. Connection threads never sign or build archives; they suspend
 * the connection and queue a job here. A full queue is refused at
 * once (the caller answers 503) rather than growing without bound.
 */
#include <pthread.h>
#include <stdlib.h>

#include "http/http_int.h"

struct job {
	http_job_fn fn;
	void *arg;
};

struct http_workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *q;
	size_t cap, head, n;
	int stop;
	pthread_t *th;
	unsigned nth;
};

static void *
run(void *arg)
{
	struct http_workers *w = arg;
	struct job j;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->n == 0 && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->n == 0 && w->stop)
			break;
		j = w->q[w->head];
		w->head = (w->head + 1) % w->cap;
		w->n--;
		pthread_mutex_unlock(&w->mu);
		j.fn(j.arg);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum egca_err
http_workers_new(unsigned threads, size_t queue_max, struct http_workers **out)
{
	struct http_workers *w;
	unsigned i;

	*out = NULL;
	if (threads == 0 || queue_max == 0)
		return egca_err_set(EGCA_ERR_USAGE, "workers: zero size");
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->q = calloc(queue_max, sizeof(*w->q))) == NULL ||
	    (w->th = calloc(threads, sizeof(*w->th))) == NULL) {
		if (w != NULL)
			free(w->q);
		free(w);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	w->cap = queue_max;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	for (i = 0; i < threads; i++) {
		if (pthread_create(&w->th[i], NULL, run, w) != 0)
			break;
		w->nth++;
	}
	if (w->nth == 0) {
		http_workers_free(w);
		return egca_err_set(EGCA_ERR_INTERNAL, "workers: no thread");
	}
	*out = w;
	return EGCA_OK;
}

enum egca_err
http_workers_submit(struct http_workers *w, http_job_fn fn, void *arg)
{
	enum egca_err e = EGCA_OK;

	pthread_mutex_lock(&w->mu);
	if (w->stop || w->n >= w->cap) {
		e = egca_err_set(EGCA_ERR_NOMEM, "worker queue full");
	} else {
		w->q[(w->head + w->n) % w->cap] = (struct job){fn, arg};
		w->n++;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return e;
}

size_t
http_workers_queued(struct http_workers *w)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->n;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void
http_workers_free(struct http_workers *w)
{
	unsigned i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nth; i++)
		pthread_join(w->th[i], NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->q);
	free(w->th);
	free(w);
}
