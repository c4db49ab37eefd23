/*
 * Certificate search and statistics for the REST API (table cert_index,
 * schema 004_search.sql, joined to certificate). WHERE clauses are built
 * from fixed fragments with $n placeholders: no caller text reaches the
 * SQL. Month keys are written at issuance ("YYYY-MM"), so grouping needs
 * no dialect-specific date function.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egca/store.h"
#include "store/backend.h"

#define SEARCH_DEFAULT 100
#define SEARCH_MAX 10000
#define MAX_COND 16

#define HIT_COLS                                                               \
	"c.ca, c.serial, c.profile, c.subject, c.status, c.reason,"            \
	" c.revoked_at, c.invalidity_date, c.not_before, c.not_after,"         \
	" c.issued_at, c.audience, c.key_alg, c.tbs_sm3, i.organization,"      \
	" i.identity_code, i.region, i.subscriber_type"
#define HIT_NCOL 18
#define FROM_JOIN                                                              \
	" FROM certificate c LEFT JOIN cert_index i"                           \
	" ON i.ca = c.ca AND i.serial = c.serial"

enum egca_err
egca_store_cert_index_insert(
    struct egca_store *st, const struct egca_cert_index_rec *r)
{
	struct store_val p[9];
	struct tm tm;
	time_t t = (time_t)r->issued_at;
	char month[32];
	int64_t n;
	enum egca_err err;

	if (gmtime_r(&t, &tm) == NULL)
		return egca_err_set(EGCA_ERR_INPUT, "store: bad issue time");
	snprintf(month, sizeof(month), "%04d-%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1);
	p[0] = egca_store_text(r->ca);
	p[1] = egca_store_text(r->serial);
	p[2] = egca_store_text(r->organization);
	p[3] = egca_store_text(r->identity_code);
	p[4] = egca_store_text(r->region);
	p[5] = egca_store_text(r->subscriber_type);
	p[6] = egca_store_text(month);
	p[7] = egca_store_text(r->subscriber);
	p[8] = egca_store_text(r->department);
	if ((err = egca_store_exec(st,
	         "INSERT INTO cert_index (ca, serial, organization,"
	         " identity_code, region, subscriber_type, issued_month,"
	         " subscriber, department)"
	         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	         " ON CONFLICT DO NOTHING",
	         p, 9, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "certificate %s of CA %s is already indexed", r->serial,
		    r->ca);
	return EGCA_OK;
}

static void
hit_free(struct egca_cert_hit *h)
{
	egca_store_cert_rec_free(&h->cert);
	free(h->organization);
	free(h->identity_code);
	free(h->region);
	free(h->subscriber_type);
	memset(h, 0, sizeof(*h));
}

void
egca_store_cert_hit_list_free(struct egca_cert_hit *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		hit_free(&list[i]);
	free(list);
}

static enum egca_err
decode_hit(const struct store_val *c, size_t ncol, struct egca_cert_hit *h)
{
	struct egca_cert_rec *r = &h->cert;
	enum egca_err err;
	int64_t reason;

	memset(h, 0, sizeof(*h));
	if (ncol != HIT_NCOL && ncol != HIT_NCOL + 1)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: hit columns");
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
	    (err = egca_store_col_text(&c[13], &r->tbs_sm3)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[14], &h->organization)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[15], &h->identity_code)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[16], &h->region)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[17], &h->subscriber_type)) != EGCA_OK)
		goto out;
	if (ncol == HIT_NCOL + 1 &&
	    (err = egca_store_col_blob(&c[HIT_NCOL], &r->der, &r->der_len)) !=
	        EGCA_OK)
		goto out;
	if (reason < INT_MIN || reason > INT_MAX) {
		err = egca_err_set(EGCA_ERR_STORE, "store: bad reason");
		goto out;
	}
	r->reason = (int)reason;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		hit_free(h);
	return err;
}

static enum egca_err
decode_hit_one(const struct store_val *col, size_t ncol, void *rec)
{
	return decode_hit(col, ncol, rec);
}

/* A WHERE clause under construction: fixed fragments, values as $n. */
struct where {
	char sql[1024];
	struct store_val p[MAX_COND + 2];
	size_t np;
	char *owned[4]; /* LIKE patterns */
	size_t nowned;
	int overflow;
};

static void
cond(struct where *w, const char *pre, const char *post, struct store_val v)
{
	size_t used = strlen(w->sql);
	int k;

	if (w->np >= MAX_COND) {
		w->overflow = 1;
		return;
	}
	w->p[w->np++] = v;
	k = snprintf(w->sql + used, sizeof(w->sql) - used, " AND %s$%zu%s", pre,
	    w->np, post);
	if (k < 0 || (size_t)k >= sizeof(w->sql) - used)
		w->overflow = 1;
}

static void
cond_like(struct where *w, const char *col, const char *s, int prefix_only)
{
	char pre[64];
	char *pat;

	if (w->nowned >= sizeof(w->owned) / sizeof(w->owned[0]) ||
	    (pat = egca_store_like_pattern(s, prefix_only)) == NULL) {
		w->overflow = 1;
		return;
	}
	w->owned[w->nowned++] = pat;
	/* lower() both sides: SQLite LIKE ignores ASCII case, PG's not. */
	snprintf(pre, sizeof(pre), "lower(%s) LIKE lower(", col);
	cond(w, pre, ") ESCAPE '\\'", egca_store_text(pat));
}

static void
where_free(struct where *w)
{
	size_t i;

	for (i = 0; i < w->nowned; i++)
		free(w->owned[i]);
}

static enum egca_err
build_where(const struct egca_cert_query *q, struct where *w)
{
	memset(w, 0, sizeof(*w));
	if (q->ca != NULL)
		cond(w, "c.ca = ", "", egca_store_text(q->ca));
	if (q->serial != NULL)
		cond(w, "c.serial = ", "", egca_store_text(q->serial));
	if (q->status != NULL)
		cond(w, "c.status = ", "", egca_store_text(q->status));
	if (q->profile != NULL)
		cond(w, "c.profile = ", "", egca_store_text(q->profile));
	if (q->subject_like != NULL)
		cond_like(w, "c.subject", q->subject_like, 0);
	if (q->organization_like != NULL)
		cond_like(w, "i.organization", q->organization_like, 0);
	if (q->identity_code != NULL)
		cond(w, "i.identity_code = ", "",
		    egca_store_text(q->identity_code));
	if (q->region != NULL) {
		if (strlen(q->region) == 6)
			cond(w, "i.region = ", "", egca_store_text(q->region));
		else
			cond_like(w, "i.region", q->region, 1);
	}
	if (q->subscriber_type != NULL)
		cond(w, "i.subscriber_type = ", "",
		    egca_store_text(q->subscriber_type));
	if (q->department != NULL)
		cond(w, "i.department = ", "", egca_store_text(q->department));
	if (q->not_after_from != 0)
		cond(w, "c.not_after >= ", "",
		    egca_store_int(q->not_after_from));
	if (q->not_after_to != 0)
		cond(w, "c.not_after < ", "", egca_store_int(q->not_after_to));
	if (q->issued_from != 0)
		cond(w, "c.issued_at >= ", "", egca_store_int(q->issued_from));
	if (q->issued_to != 0)
		cond(w, "c.issued_at < ", "", egca_store_int(q->issued_to));
	if (w->overflow)
		return egca_err_set(EGCA_ERR_NOMEM, "store: query too large");
	return EGCA_OK;
}

static const char *
order_by(enum egca_cert_sort s)
{
	switch (s) {
	case EGCA_CERT_SORT_ISSUED_DESC:
		return "c.issued_at DESC, c.ca DESC, c.serial DESC";
	case EGCA_CERT_SORT_NOT_AFTER:
		return "c.not_after, c.ca, c.serial";
	case EGCA_CERT_SORT_SERIAL:
		return "c.serial, c.ca";
	case EGCA_CERT_SORT_ISSUED_ASC:
	default:
		return "c.issued_at, c.ca, c.serial";
	}
}

struct search_arg {
	const struct egca_cert_query *q;
	struct egca_cert_hit **out;
	size_t *n, *total;
};

static enum egca_err
search_read(struct egca_store *st, void *arg)
{
	struct search_arg *a = arg;
	const struct egca_cert_query *q = a->q;
	struct store_list l = {0};
	struct where w;
	char sql[2048];
	size_t limit;
	int64_t count = 0;
	enum egca_err err;

	if ((err = build_where(q, &w)) != EGCA_OK)
		goto out;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*)" FROM_JOIN " WHERE 1 = 1%s",
	    w.sql);
	if ((err = egca_store_exec(st, sql, w.p, w.np, egca_store_count_row,
	         &count, NULL)) != EGCA_OK)
		goto out;
	*a->total = count > 0 ? (size_t)count : 0;
	limit = q->limit == 0 ? SEARCH_DEFAULT : q->limit;
	if (limit > SEARCH_MAX)
		limit = SEARCH_MAX;
	w.p[w.np++] = egca_store_int((int64_t)limit);
	w.p[w.np++] = egca_store_int(
	    q->offset > (size_t)INT64_MAX ? INT64_MAX : (int64_t)q->offset);
	snprintf(sql, sizeof(sql),
	    "SELECT " HIT_COLS "%s" FROM_JOIN
	    " WHERE 1 = 1%s ORDER BY %s LIMIT $%zu OFFSET $%zu",
	    q->with_der ? ", c.der" : "", w.sql, order_by(q->sort), w.np - 1,
	    w.np);
	if ((err = egca_store_exec_list(st, sql, w.p, w.np, decode_hit_one,
	         sizeof(struct egca_cert_hit), &l)) != EGCA_OK)
		goto out;
	*a->out = l.v;
	*a->n = l.n;
	l.v = NULL;
	l.n = 0;
out:
	egca_store_cert_hit_list_free(l.v, l.n);
	where_free(&w);
	return err;
}

enum egca_err
egca_store_cert_search(struct egca_store *st, const struct egca_cert_query *q,
    struct egca_cert_hit **out, size_t *n, size_t *total)
{
	struct search_arg a = {q, out, n, total};

	*out = NULL;
	*n = 0;
	*total = 0;
	return egca_store_read(st, search_read, &a);
}

enum egca_err
egca_store_cert_find_serial(
    struct egca_store *st, const char *serial_hex, struct egca_cert_rec *out)
{
	struct store_list l = {0};
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(serial_hex);
	if ((err = egca_store_exec_list(st,
	         "SELECT " HIT_COLS ", c.der" FROM_JOIN
	         " WHERE c.serial = $1 ORDER BY c.issued_at DESC, c.ca LIMIT 1",
	         p, 1, decode_hit_one, sizeof(struct egca_cert_hit), &l)) !=
	    EGCA_OK)
		goto out;
	if (l.n == 0) {
		err = egca_err_set(
		    EGCA_ERR_NOTFOUND, "no certificate %s", serial_hex);
		goto out;
	}
	{
		struct egca_cert_hit *first = l.v;

		*out = first->cert;
		memset(&first->cert, 0, sizeof(first->cert));
	}
out:
	egca_store_cert_hit_list_free(l.v, l.n);
	return err;
}

/* ---- statistics ---- */

void
egca_store_stat_rows_free(struct egca_stat_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		free(rows[i].key);
	free(rows);
}

struct stats {
	struct egca_stat_row *v;
	size_t n, cap;
};

static enum egca_err
stat_row(void *arg, const struct store_val *col, size_t ncol)
{
	struct stats *s = arg;
	struct egca_stat_row *r;
	enum egca_err err;

	if (ncol != 5)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: stat columns");
	if ((err = egca_store_grow(
	         (void **)&s->v, &s->cap, s->n, sizeof(*s->v))) != EGCA_OK)
		return err;
	r = &s->v[s->n];
	memset(r, 0, sizeof(*r));
	if ((err = egca_store_col_text(&col[0], &r->key)) != EGCA_OK)
		return err;
	s->n++;
	if ((err = egca_store_col_int(&col[1], &r->issued)) != EGCA_OK ||
	    (err = egca_store_col_int(&col[2], &r->revoked)) != EGCA_OK ||
	    (err = egca_store_col_int(&col[3], &r->held)) != EGCA_OK ||
	    (err = egca_store_col_int(&col[4], &r->expiring)) != EGCA_OK)
		return err;
	if (r->key == NULL && (r->key = strdup("")) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	return EGCA_OK;
}

enum egca_err
egca_store_cert_stats(struct egca_store *st, enum egca_stat_group group,
    const char *ca, const char *department, int64_t from, int64_t to,
    int64_t now, int64_t expiring_before, struct egca_stat_row **out, size_t *n)
{
	static const char *const keys[] = {
	    [EGCA_STAT_MONTH] = "COALESCE(i.issued_month, '')",
	    [EGCA_STAT_PROFILE] = "c.profile",
	    [EGCA_STAT_SUBSCRIBER_TYPE] = "COALESCE(i.subscriber_type, '')",
	    [EGCA_STAT_REGION] = "COALESCE(i.region, '')",
	};
	struct stats s = {0};
	struct where w;
	struct egca_cert_query q;
	char sql[2048];
	size_t pnow, pexp;
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if ((unsigned)group >= sizeof(keys) / sizeof(keys[0]))
		return egca_err_set(EGCA_ERR_INTERNAL, "store: stat group");
	memset(&q, 0, sizeof(q));
	q.ca = ca;
	q.department = department;
	q.issued_from = from;
	q.issued_to = to;
	if ((err = build_where(&q, &w)) != EGCA_OK)
		goto out;
	w.p[w.np++] = egca_store_int(now);
	pnow = w.np;
	w.p[w.np++] = egca_store_int(expiring_before);
	pexp = w.np;
	snprintf(sql, sizeof(sql),
	    "SELECT %s, COUNT(*),"
	    " SUM(CASE WHEN c.status = 'revoked' THEN 1 ELSE 0 END),"
	    " SUM(CASE WHEN c.status = 'hold' THEN 1 ELSE 0 END),"
	    " SUM(CASE WHEN c.status = 'good' AND c.not_after >= $%zu"
	    " AND c.not_after < $%zu THEN 1 ELSE 0 END)" FROM_JOIN
	    " WHERE 1 = 1%s GROUP BY 1 ORDER BY 1",
	    keys[group], pnow, pexp, w.sql);
	if ((err = egca_store_exec(st, sql, w.p, w.np, stat_row, &s, NULL)) !=
	    EGCA_OK)
		goto out;
	*out = s.v;
	*n = s.n;
	s.v = NULL;
	s.n = 0;
out:
	egca_store_stat_rows_free(s.v, s.n);
	where_free(&w);
	return err;
}
