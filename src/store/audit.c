/*
 * Audit events (table audit_event). The hash chain is computed and
 * verified by audit/; here seq is only the primary key, so a second
 * writer of the same seq gets EGCA_ERR_EXISTS (or a conflict, retried).
 */
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"
#include "store/backend.h"

/* Events read per query by egca_store_audit_each: bounded memory. */
#define PAGE 512

void
egca_store_audit_rec_free(struct egca_audit_rec *r)
{
	if (r == NULL)
		return;
	free(r->actor);
	free(r->action);
	free(r->object);
	free(r->outcome);
	free(r->details);
	free(r->prev_hash);
	free(r->hash);
	memset(r, 0, sizeof(*r));
}

struct last_arg {
	int64_t seq;
	char *hash;
	size_t hash_len;
	int found;
};

static enum egca_err
last_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct last_arg *a = arg;
	enum egca_err err;

	if (ncol != 2)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: audit columns");
	if ((err = egca_store_col_int(&c[0], &a->seq)) != EGCA_OK)
		return err;
	if (c[1].type != STORE_TEXT || c[1].len > 64)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "audit event %lld: malformed hash", (long long)a->seq);
	memcpy(a->hash, c[1].s, c[1].len);
	a->hash[c[1].len] = '\0';
	a->found = 1;
	return EGCA_OK;
}

enum egca_err
egca_store_audit_last(struct egca_store *st, int64_t *seq, char hash[65])
{
	struct last_arg a = {.hash = hash};
	enum egca_err err;

	*seq = 0;
	hash[0] = '\0';
	if ((err = egca_store_exec(st,
	         "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1",
	         NULL, 0, last_row, &a, NULL)) != EGCA_OK) {
		hash[0] = '\0';
		return err;
	}
	*seq = a.seq;
	return EGCA_OK;
}

enum egca_err
egca_store_audit_insert(struct egca_store *st, const struct egca_audit_rec *r)
{
	struct store_val p[9];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_int(r->seq);
	p[1] = egca_store_int(r->ts);
	p[2] = egca_store_text(r->actor);
	p[3] = egca_store_text(r->action);
	p[4] = egca_store_text(r->object ? r->object : "");
	p[5] = egca_store_text(r->outcome);
	p[6] = egca_store_text(r->details ? r->details : "");
	p[7] = egca_store_text(r->prev_hash);
	p[8] = egca_store_text(r->hash);
	if ((err = egca_store_exec(st,
	         "INSERT INTO audit_event (seq, ts, actor, action, object,"
	         " outcome, details, prev_hash, hash) VALUES ($1, $2, $3, $4,"
	         " $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
	         p, 9, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "audit event %lld already exists", (long long)r->seq);
	return EGCA_OK;
}

struct page {
	struct egca_audit_rec v[PAGE];
	size_t n;
};

static enum egca_err
page_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct page *pg = arg;
	struct egca_audit_rec *r;
	enum egca_err err;

	if (ncol != 9 || pg->n >= PAGE)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: audit page");
	r = &pg->v[pg->n];
	memset(r, 0, sizeof(*r));
	if ((err = egca_store_col_int(&c[0], &r->seq)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[1], &r->ts)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->actor)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->action)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->object)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->outcome)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[6], &r->details)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->prev_hash)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[8], &r->hash)) != EGCA_OK) {
		egca_store_audit_rec_free(r);
		return err;
	}
	pg->n++;
	return EGCA_OK;
}

static void
page_clear(struct page *pg)
{
	size_t i;

	for (i = 0; i < pg->n; i++)
		egca_store_audit_rec_free(&pg->v[i]);
	pg->n = 0;
}

enum egca_err
egca_store_audit_each(
    struct egca_store *st, int64_t from, egca_store_audit_fn fn, void *arg)
{
	struct store_val p[2];
	struct page *pg;
	enum egca_err err;
	size_t i;
	int stop = 0;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	/*
	 * Page by seq so memory stays bounded and fn runs with no
	 * statement open (it may query the store itself).
	 */
	for (;;) {
		p[0] = egca_store_int(from);
		p[1] = egca_store_int(PAGE);
		if ((err = egca_store_exec(st,
		         "SELECT seq, ts, actor, action, object, outcome,"
		         " details, prev_hash, hash FROM audit_event"
		         " WHERE seq > $1 ORDER BY seq LIMIT $2",
		         p, 2, page_row, pg, NULL)) != EGCA_OK)
			goto out;
		for (i = 0; i < pg->n && !stop; i++)
			stop = fn(&pg->v[i], arg);
		if (stop || pg->n < PAGE)
			break;
		from = pg->v[pg->n - 1].seq;
		page_clear(pg);
	}
	err = EGCA_OK;
out:
	page_clear(pg);
	free(pg);
	return err;
}
