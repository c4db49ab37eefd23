/*
 * Issued certificates (table certificate). A certificate is stored only
 * under a serial reserved first (foreign key to serial_reservation).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egca/store.h"
#include "store/backend.h"

#define LIST_DEFAULT 100
#define LIST_MAX 10000

#define CERT_COLS                                                              \
	"ca, serial, profile, subject, status, reason, revoked_at,"            \
	" invalidity_date, not_before, not_after, issued_at, audience,"        \
	" key_alg, tbs_sm3"

void
egca_store_cert_rec_free(struct egca_cert_rec *r)
{
	if (r == NULL)
		return;
	free(r->ca);
	free(r->serial);
	free(r->profile);
	free(r->subject);
	free(r->status);
	free(r->audience);
	free(r->key_alg);
	free(r->tbs_sm3);
	free(r->der);
	memset(r, 0, sizeof(*r));
}

/* Columns CERT_COLS, then der when ncol is 15. */
static enum egca_err
decode(const struct store_val *c, size_t ncol, struct egca_cert_rec *r)
{
	enum egca_err err;
	int64_t reason;

	memset(r, 0, sizeof(*r));
	if (ncol != 14 && ncol != 15)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: cert columns");
	if ((err = egca_store_col_text(&c[0], &r->ca)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->serial)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->profile)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->subject)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->status)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &reason)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &r->revoked_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[7], &r->invalidity_date)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[8], &r->not_before)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[9], &r->not_after)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[10], &r->issued_at)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[11], &r->audience)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[12], &r->key_alg)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[13], &r->tbs_sm3)) != EGCA_OK)
		goto out;
	if (ncol == 15 &&
	    (err = egca_store_col_blob(&c[14], &r->der, &r->der_len)) !=
	        EGCA_OK)
		goto out;
	if (reason < INT_MIN || reason > INT_MAX) {
		err = egca_err_set(EGCA_ERR_STORE, "store: bad reason %lld",
		    (long long)reason);
		goto out;
	}
	r->reason = (int)reason;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_cert_rec_free(r);
	return err;
}

enum egca_err
egca_store_cert_insert(struct egca_store *st, const struct egca_cert_rec *r)
{
	struct store_val p[15];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->ca);
	p[1] = egca_store_text(r->serial);
	p[2] = egca_store_text(r->profile);
	p[3] = egca_store_text(r->subject);
	p[4] = egca_store_text(r->status);
	p[5] = egca_store_int(r->reason);
	p[6] = egca_store_int(r->revoked_at);
	p[7] = egca_store_int(r->invalidity_date);
	p[8] = egca_store_int(r->not_before);
	p[9] = egca_store_int(r->not_after);
	p[10] = egca_store_int(r->issued_at);
	p[11] = egca_store_text(r->audience);
	p[12] = egca_store_text(r->key_alg);
	p[13] = egca_store_text(r->tbs_sm3);
	p[14] = egca_store_blob(r->der, r->der_len);
	if ((err = egca_store_exec(st,
	         "INSERT INTO certificate (" CERT_COLS ", der) VALUES ($1, $2,"
	         " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
	         " ON CONFLICT DO NOTHING",
	         p, 15, NULL, NULL, &n)) != EGCA_OK) {
		if (err == EGCA_ERR_NOTFOUND)
			return egca_err_set(err,
			    "certificate %s: no CA %s or serial not reserved",
			    r->serial, r->ca);
		return err;
	}
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "certificate %s of CA %s already exists", r->serial, r->ca);
	return EGCA_OK;
}

static enum egca_err
decode_one(const struct store_val *col, size_t ncol, void *rec)
{
	return decode(col, ncol, rec);
}

enum egca_err
egca_store_cert_get(struct egca_store *st, const char *ca,
    const char *serial_hex, struct egca_cert_rec *out)
{
	struct store_val p[2];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial_hex);
	if ((err = egca_store_exec_one(st,
	         "SELECT " CERT_COLS ", der FROM certificate"
	         " WHERE ca = $1 AND serial = $2",
	         p, 2, decode_one, out)) != EGCA_OK) {
		egca_store_cert_rec_free(out);
		if (err != EGCA_ERR_NOTFOUND)
			return err;
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "no certificate %s of CA %s", serial_hex, ca);
	}
	return EGCA_OK;
}

enum egca_err
egca_store_cert_set_status(struct egca_store *st, const char *ca,
    const char *serial_hex, const char *status, int reason, int64_t revoked_at,
    int64_t invalidity_date)
{
	struct store_val p[7];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial_hex);
	p[2] = egca_store_text(status);
	p[3] = egca_store_int(reason);
	p[4] = egca_store_int(revoked_at);
	p[5] = egca_store_int(invalidity_date);
	/*
	 * When the change was made (not revoked_at: a revocation after a
	 * hold keeps the hold's time, an unhold has none): delta CRLs and
	 * the status service's regeneration go by it.
	 */
	p[6] = egca_store_int((int64_t)time(NULL));
	if ((err = egca_store_exec(st,
	         "UPDATE certificate SET status = $3, reason = $4,"
	         " revoked_at = $5, invalidity_date = $6,"
	         " status_changed_at = $7"
	         " WHERE ca = $1 AND serial = $2",
	         p, 7, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "no certificate %s of CA %s", serial_hex, ca);
	return EGCA_OK;
}

/* ---- listing ---- */

/* Appends " AND <pre>$N<post>" to where and the value to p. */
static void
add_cond(char *where, size_t where_len, struct store_val *p, size_t *np,
    const char *pre, const char *post, struct store_val v)
{
	size_t used = strlen(where);

	p[*np] = v;
	(*np)++;
	snprintf(
	    where + used, where_len - used, " AND %s$%zu%s", pre, *np, post);
}

struct query {
	const struct egca_cert_filter *f;
	struct egca_cert_rec **out;
	size_t *n, *total;
};

/* The count and the page, in one snapshot. */
static enum egca_err
list_query(struct egca_store *st, void *arg)
{
	struct query *q = arg;
	const struct egca_cert_filter *f = q->f;
	struct egca_cert_rec **out = q->out;
	size_t *n = q->n, *total = q->total;
	struct store_list l = {0};
	struct store_val p[8];
	enum egca_err err;
	char where[512], sql[1024];
	char *pattern = NULL;
	size_t np = 0, limit;
	int64_t count = 0;

	*out = NULL;
	*n = 0;
	if (total != NULL)
		*total = 0;
	where[0] = '\0';
	if (f->ca != NULL)
		add_cond(where, sizeof(where), p, &np, "ca = ", "",
		    egca_store_text(f->ca));
	if (f->status != NULL)
		add_cond(where, sizeof(where), p, &np, "status = ", "",
		    egca_store_text(f->status));
	if (f->profile != NULL)
		add_cond(where, sizeof(where), p, &np, "profile = ", "",
		    egca_store_text(f->profile));
	if (f->subject_like != NULL) {
		if ((pattern = egca_store_like_pattern(f->subject_like, 0)) ==
		    NULL) {
			err = egca_err_set(
			    EGCA_ERR_NOMEM, "store: out of memory");
			goto out;
		}
		/* lower() both sides: SQLite LIKE ignores ASCII case, PG's
		 * does not. */
		add_cond(where, sizeof(where), p, &np,
		    "lower(subject) LIKE lower(", ") ESCAPE '\\'",
		    egca_store_text(pattern));
	}
	if (f->expires_before != 0)
		add_cond(where, sizeof(where), p, &np, "not_after < ", "",
		    egca_store_int(f->expires_before));
	if (f->expires_after != 0)
		add_cond(where, sizeof(where), p, &np, "not_after > ", "",
		    egca_store_int(f->expires_after));

	if (total != NULL) {
		snprintf(sql, sizeof(sql),
		    "SELECT COUNT(*) FROM certificate WHERE 1 = 1%s", where);
		if ((err = egca_store_exec(st, sql, p, np, egca_store_count_row,
		         &count, NULL)) != EGCA_OK)
			goto out;
		*total = count > 0 ? (size_t)count : 0;
	}

	limit = f->limit == 0 ? LIST_DEFAULT : f->limit;
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	p[np++] = egca_store_int((int64_t)limit);
	p[np++] = egca_store_int(
	    f->offset > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f->offset);
	snprintf(sql, sizeof(sql),
	    "SELECT " CERT_COLS " FROM certificate WHERE 1 = 1%s"
	    " ORDER BY issued_at, serial, ca LIMIT $%zu OFFSET $%zu",
	    where, np - 1, np);
	if ((err = egca_store_exec_list(st, sql, p, np, decode_one,
	         sizeof(struct egca_cert_rec), &l)) != EGCA_OK)
		goto out;
	*out = l.v;
	*n = l.n;
	l.v = NULL;
	l.n = 0;
	err = EGCA_OK;
out:
	egca_store_cert_list_free(l.v, l.n);
	free(pattern);
	return err;
}

enum egca_err
egca_store_cert_list(struct egca_store *st, const struct egca_cert_filter *f,
    struct egca_cert_rec **out, size_t *n, size_t *total)
{
	struct query q = {.f = f, .out = out, .n = n, .total = total};

	*out = NULL;
	*n = 0;
	if (total != NULL)
		*total = 0;
	return egca_store_read(st, list_query, &q);
}

void
egca_store_cert_list_free(struct egca_cert_rec *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_cert_rec_free(&list[i]);
	free(list);
}
