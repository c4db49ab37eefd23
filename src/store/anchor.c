/* Trust anchors and cross-certificates (table trust_anchor). */
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"
#include "store/backend.h"

void
egca_store_anchor_rec_free(struct egca_anchor_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->kind);
	free(r->subject);
	free(r->cert_der);
	memset(r, 0, sizeof(*r));
}

enum egca_err
egca_store_anchor_insert(struct egca_store *st, const struct egca_anchor_rec *r)
{
	struct store_val p[6];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->kind);
	p[2] = egca_store_text(r->subject);
	p[3] = egca_store_blob(r->cert_der, r->cert_der_len);
	p[4] = egca_store_int(r->not_after);
	p[5] = egca_store_int(r->added_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO trust_anchor (id, kind, subject, cert_der,"
	         " not_after, added_at) VALUES ($1, $2, $3, $4, $5, $6)"
	         " ON CONFLICT DO NOTHING",
	         p, 6, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "trust anchor %s already exists", r->id);
	return EGCA_OK;
}

struct list_arg {
	struct egca_anchor_rec *v;
	size_t n, cap;
};

static enum egca_err
list_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct list_arg *l = arg;
	struct egca_anchor_rec *r;
	enum egca_err err;

	if (ncol != 6)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: anchor columns");
	if ((err = egca_store_grow(
	         (void **)&l->v, &l->cap, l->n, sizeof(*l->v))) != EGCA_OK)
		return err;
	r = &l->v[l->n];
	memset(r, 0, sizeof(*r));
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->kind)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->subject)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[3], &r->cert_der, &r->cert_der_len)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &r->not_after)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &r->added_at)) != EGCA_OK)
		goto out;
	l->n++;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_anchor_rec_free(r);
	return err;
}

enum egca_err
egca_store_anchor_list(
    struct egca_store *st, struct egca_anchor_rec **out, size_t *n)
{
	struct list_arg l = {0};
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if ((err = egca_store_exec(st,
	         "SELECT id, kind, subject, cert_der, not_after, added_at"
	         " FROM trust_anchor ORDER BY added_at, id",
	         NULL, 0, list_row, &l, NULL)) != EGCA_OK) {
		egca_store_anchor_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

void
egca_store_anchor_list_free(struct egca_anchor_rec *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_anchor_rec_free(&list[i]);
	free(list);
}
