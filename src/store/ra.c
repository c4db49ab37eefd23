/*
 * Registration and review records (schema 006_ra.sql): points and the
 * regions they serve, subscribers, applications, materials, approvals,
 * idempotency keys, revocation codes and loss reports. The record
 * layouts are include/egca/ra.h's; SQL is built from fixed fragments
 * with $n placeholders only (no caller text reaches the SQL).
 *
 * Scope in SQL (struct egca_store_ra_scope): a point serves a subscriber
 * when one of its point_region rows counts (approved, or in the point's
 * home province: same first two digits) and contains the subscriber's
 * region the way egca_ra_region_within does: equal, a province
 * "xx0000" containing "xx....", or a prefecture "xxxx00" containing
 * "xxxx..". ra/ checks single objects with egca_ra_point_serves as well.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/ra.h"
#include "egca/store.h"
#include "store/backend.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define MAX_PARAMS 16

/* ---- records described by their columns ---- */

enum col_kind {
	COL_TEXT,  /* char * */
	COL_INT64, /* int64_t */
	COL_INT,   /* int */
	COL_SIZE,  /* size_t, not negative */
	COL_BLOB,  /* uint8_t * with its size_t length at len_off */
};

struct col {
	enum col_kind kind;
	size_t off, len_off;
};

#define TEXT(t, f)                                                             \
	{                                                                      \
		COL_TEXT, offsetof(t, f), 0                                    \
	}
#define INT64(t, f)                                                            \
	{                                                                      \
		COL_INT64, offsetof(t, f), 0                                   \
	}
#define INT(t, f)                                                              \
	{                                                                      \
		COL_INT, offsetof(t, f), 0                                     \
	}
#define SIZE(t, f)                                                             \
	{                                                                      \
		COL_SIZE, offsetof(t, f), 0                                    \
	}
#define BLOB(t, f, len)                                                        \
	{                                                                      \
		COL_BLOB, offsetof(t, f), offsetof(t, len)                     \
	}

/*
 * A record type: its columns in SELECT order (the *_COLS fragments
 * below), of which the first nreq are always selected and the rest
 * only by some queries. Clearing frees every TEXT and BLOB column, so
 * a table names every allocated field of its record.
 */
struct rec_type {
	const char *what; /* "store: <what> columns" */
	const struct col *col;
	size_t ncol, nreq;
	size_t size;
};

#define NCOL(a) (sizeof(a) / sizeof((a)[0]))
#define REC_TYPE(what, t, cols, nreq)                                          \
	{                                                                      \
		what, cols, NCOL(cols), nreq, sizeof(t)                        \
	}

static void
clear_rec(const struct rec_type *t, void *rec)
{
	char *base = rec;
	size_t k;

	if (rec == NULL)
		return;
	for (k = 0; k < t->ncol; k++)
		if (t->col[k].kind == COL_TEXT || t->col[k].kind == COL_BLOB)
			free(*(void **)(base + t->col[k].off));
	memset(rec, 0, t->size);
}

static enum egca_err
col_int(const struct store_val *v, int *out)
{
	int64_t i;
	enum egca_err err;

	if ((err = egca_store_col_int(v, &i)) != EGCA_OK)
		return err;
	if (i < INT_MIN || i > INT_MAX)
		return egca_err_set(
		    EGCA_ERR_STORE, "store: integer out of range");
	*out = (int)i;
	return EGCA_OK;
}

static enum egca_err
decode_col(const struct rec_type *t, const struct col *col,
    const struct store_val *v, char *base)
{
	void *f = base + col->off;
	enum egca_err err;
	int64_t i;

	switch (col->kind) {
	case COL_TEXT:
		return egca_store_col_text(v, (char **)f);
	case COL_INT64:
		return egca_store_col_int(v, (int64_t *)f);
	case COL_INT:
		return col_int(v, (int *)f);
	case COL_SIZE:
		if ((err = egca_store_col_int(v, &i)) != EGCA_OK)
			return err;
		if (i < 0)
			return egca_err_set(
			    EGCA_ERR_STORE, "store: bad %s size", t->what);
		*(size_t *)f = (size_t)i;
		return EGCA_OK;
	case COL_BLOB:
		return egca_store_col_blob(
		    v, (uint8_t **)f, (size_t *)(base + col->len_off));
	}
	return egca_err_set(EGCA_ERR_INTERNAL, "store: column kind");
}

/*
 * Decodes a row of t's first nreq columns, or of all of them, into rec
 * (zeroed first); on error rec is cleared.
 */
static enum egca_err
decode_rec(
    const struct rec_type *t, const struct store_val *c, size_t ncol, void *rec)
{
	enum egca_err err = EGCA_OK;
	size_t k;

	memset(rec, 0, t->size);
	if (ncol != t->ncol && ncol != t->nreq)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: %s columns", t->what);
	for (k = 0; k < ncol && err == EGCA_OK; k++)
		err = decode_col(t, &t->col[k], &c[k], rec);
	if (err != EGCA_OK)
		clear_rec(t, rec);
	return err;
}

/* Parameters p[0..n-1] from t's first n columns of rec (borrowed). */
static void
bind_rec(
    const struct rec_type *t, const void *rec, size_t n, struct store_val *p)
{
	const char *base = rec;
	const void *f;
	size_t k;

	for (k = 0; k < n; k++) {
		f = base + t->col[k].off;
		switch (t->col[k].kind) {
		case COL_TEXT:
			p[k] = egca_store_text(*(char *const *)f);
			break;
		case COL_INT64:
			p[k] = egca_store_int(*(const int64_t *)f);
			break;
		case COL_INT:
			p[k] = egca_store_int(*(const int *)f);
			break;
		case COL_SIZE:
			p[k] = egca_store_int((int64_t) * (const size_t *)f);
			break;
		case COL_BLOB:
			p[k] = egca_store_blob(*(uint8_t *const *)f,
			    *(const size_t *)(base + t->col[k].len_off));
			break;
		}
	}
}

/*
 * Every row of a query, decoded by decode into records of t, in l; on
 * error l is empty.
 */
static enum egca_err
list_rec(struct egca_store *st, const struct rec_type *t,
    store_decode_fn decode, const char *sql, const struct store_val *p,
    size_t np, struct store_list *l)
{
	enum egca_err err;
	size_t i;

	memset(l, 0, sizeof(*l));
	if ((err = egca_store_exec_list(st, sql, p, np, decode, t->size, l)) !=
	    EGCA_OK) {
		for (i = 0; i < l->n; i++)
			clear_rec(t, (char *)l->v + i * t->size);
		free(l->v);
		memset(l, 0, sizeof(*l));
	}
	return err;
}

/*
 * The record of t whose key ($1) is key, into out (zeroed when there
 * is none): EGCA_ERR_NOTFOUND with no detail set, for the caller to
 * name what was missing.
 */
static enum egca_err
get_rec(struct egca_store *st, const struct rec_type *t, store_decode_fn decode,
    const char *sql, const char *key, void *out)
{
	struct store_val p[1];

	memset(out, 0, t->size);
	p[0] = egca_store_text(key);
	return egca_store_exec_one(st, sql, p, 1, decode, out);
}

/*
 * Runs an INSERT ... ON CONFLICT DO NOTHING, or an UPDATE of one row
 * guarded by its state, that must touch one row; when it touches none,
 * fails with e and the detail fmt.
 */
static enum egca_err exec_row(struct egca_store *st, const char *sql,
    const struct store_val *p, size_t np, enum egca_err e, const char *fmt, ...)
    EGCA_PRINTF(6, 7);

static enum egca_err
exec_row(struct egca_store *st, const char *sql, const struct store_val *p,
    size_t np, enum egca_err e, const char *fmt, ...)
{
	char why[256];
	enum egca_err err;
	va_list ap;
	int64_t n;

	if ((err = egca_store_exec(st, sql, p, np, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 1)
		return EGCA_OK;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return egca_err_set(e, "%s", why);
}

#define POINT_COLS "id, name, home_region, created_at"
static const struct col point_cols[] = {
    TEXT(struct egca_point_rec, id),
    TEXT(struct egca_point_rec, name),
    TEXT(struct egca_point_rec, home_region),
    INT64(struct egca_point_rec, created_at),
};
static const struct rec_type point_t =
    REC_TYPE("point", struct egca_point_rec, point_cols, 4);

#define REGION_COLS "point, region, approval, approved_at"
static const struct col region_cols[] = {
    TEXT(struct egca_point_region_rec, point),
    TEXT(struct egca_point_region_rec, region),
    TEXT(struct egca_point_region_rec, approval),
    INT64(struct egca_point_region_rec, approved_at),
};
static const struct rec_type region_t =
    REC_TYPE("region", struct egca_point_region_rec, region_cols, 4);

#define SUB_COLS                                                               \
	"s.id, s.type, s.name, s.uscc, s.org_code, s.id_card, s.region,"       \
	" s.department, s.owner, s.email, s.phone, s.point, s.created_by,"     \
	" s.created_at"
static const struct col sub_cols[] = {
    TEXT(struct egca_subscriber_rec, id),
    TEXT(struct egca_subscriber_rec, type),
    TEXT(struct egca_subscriber_rec, name),
    TEXT(struct egca_subscriber_rec, uscc),
    TEXT(struct egca_subscriber_rec, org_code),
    TEXT(struct egca_subscriber_rec, id_card),
    TEXT(struct egca_subscriber_rec, region),
    TEXT(struct egca_subscriber_rec, department),
    TEXT(struct egca_subscriber_rec, owner),
    TEXT(struct egca_subscriber_rec, email),
    TEXT(struct egca_subscriber_rec, phone),
    TEXT(struct egca_subscriber_rec, point),
    TEXT(struct egca_subscriber_rec, created_by),
    INT64(struct egca_subscriber_rec, created_at),
};
static const struct rec_type sub_t =
    REC_TYPE("subscriber", struct egca_subscriber_rec, sub_cols, 14);

/* The first APP_NINS columns are also the first ones inserted. */
#define APP_COLS                                                               \
	"a.id, a.kind, a.state, a.subscriber, a.region, a.point, a.ca,"        \
	" a.profile, a.enc_profile, a.subject, a.serial, a.reason,"            \
	" a.validity_days, a.note, a.submitted_by, a.submitted_at, a.digest,"  \
	" a.required_approvals, (SELECT COUNT(*) FROM app_approval v"          \
	" WHERE v.app = a.id AND v.digest = a.digest), a.decided_by,"          \
	" a.reject_reason, a.result_serial, a.result_error, a.updated_at"
#define APP_NCOL 24
#define APP_NINS 18
static const struct col app_cols[] = {
    TEXT(struct egca_app_rec, id),
    TEXT(struct egca_app_rec, kind),
    TEXT(struct egca_app_rec, state),
    TEXT(struct egca_app_rec, subscriber),
    TEXT(struct egca_app_rec, region),
    TEXT(struct egca_app_rec, point),
    TEXT(struct egca_app_rec, ca),
    TEXT(struct egca_app_rec, profile),
    TEXT(struct egca_app_rec, enc_profile),
    TEXT(struct egca_app_rec, subject),
    TEXT(struct egca_app_rec, serial),
    TEXT(struct egca_app_rec, reason),
    INT(struct egca_app_rec, validity_days),
    TEXT(struct egca_app_rec, note),
    TEXT(struct egca_app_rec, submitted_by),
    INT64(struct egca_app_rec, submitted_at),
    TEXT(struct egca_app_rec, digest),
    INT(struct egca_app_rec, required_approvals),
    INT(struct egca_app_rec, approvals),
    TEXT(struct egca_app_rec, decided_by),
    TEXT(struct egca_app_rec, reject_reason),
    TEXT(struct egca_app_rec, result_serial),
    TEXT(struct egca_app_rec, result_error),
    INT64(struct egca_app_rec, updated_at),
    /* egca_store_ra_app_get only: ", a.csr_der" */
    BLOB(struct egca_app_rec, csr_der, csr_len),
};
static const struct rec_type app_t =
    REC_TYPE("application", struct egca_app_rec, app_cols, APP_NCOL);

#define MAT_COLS "id, app, type, media, filename, sm3, size, added_by, added_at"
static const struct col mat_cols[] = {
    TEXT(struct egca_material_rec, id),
    TEXT(struct egca_material_rec, app),
    TEXT(struct egca_material_rec, type),
    TEXT(struct egca_material_rec, media),
    TEXT(struct egca_material_rec, filename),
    TEXT(struct egca_material_rec, sm3),
    SIZE(struct egca_material_rec, size),
    TEXT(struct egca_material_rec, added_by),
    INT64(struct egca_material_rec, added_at),
};
static const struct rec_type mat_t =
    REC_TYPE("material", struct egca_material_rec, mat_cols, 9);

/* The first LOSS_NINS columns are the ones inserted. */
#define LOSS_COLS                                                              \
	"l.id, l.ca, l.serial, l.state, l.method, l.statement, l.source,"      \
	" l.reported_at, l.confirmed_by, l.confirmed_at"
#define LOSS_NINS 8
static const struct col loss_cols[] = {
    TEXT(struct egca_loss_rec, id),
    TEXT(struct egca_loss_rec, ca),
    TEXT(struct egca_loss_rec, serial),
    TEXT(struct egca_loss_rec, state),
    TEXT(struct egca_loss_rec, method),
    TEXT(struct egca_loss_rec, statement),
    TEXT(struct egca_loss_rec, source),
    INT64(struct egca_loss_rec, reported_at),
    TEXT(struct egca_loss_rec, confirmed_by),
    INT64(struct egca_loss_rec, confirmed_at),
};
static const struct rec_type loss_t =
    REC_TYPE("loss", struct egca_loss_rec, loss_cols, 10);

static const struct col idem_cols[] = {
    TEXT(struct egca_store_idem, kind),
    TEXT(struct egca_store_idem, request_digest),
    TEXT(struct egca_store_idem, object_id),
};
static const struct rec_type idem_t =
    REC_TYPE("idempotency", struct egca_store_idem, idem_cols, 3);

/* store_decode_fn for each record type. */
static enum egca_err
decode_point(const struct store_val *c, size_t ncol, void *rec)
{
	return decode_rec(&point_t, c, ncol, rec);
}

static enum egca_err
decode_region(const struct store_val *c, size_t ncol, void *rec)
{
	return decode_rec(&region_t, c, ncol, rec);
}

static enum egca_err
decode_sub(const struct store_val *c, size_t ncol, void *rec)
{
	return decode_rec(&sub_t, c, ncol, rec);
}

static enum egca_err
decode_app(const struct store_val *c, size_t ncol, void *rec)
{
	return decode_rec(&app_t, c, ncol, rec);
}

static enum egca_err
decode_mat(const struct store_val *c, size_t ncol, void *rec)
{
	return decode_rec(&mat_t, c, ncol, rec);
}

static enum egca_err
decode_loss(const struct store_val *c, size_t ncol, void *rec)
{
	return decode_rec(&loss_t, c, ncol, rec);
}

static enum egca_err
decode_idem(const struct store_val *c, size_t ncol, void *rec)
{
	return decode_rec(&idem_t, c, ncol, rec);
}

/* ---- clearing records ---- */

void
egca_store_ra_point_clear(struct egca_point_rec *r)
{
	clear_rec(&point_t, r);
}

void
egca_store_ra_point_region_clear(struct egca_point_region_rec *r)
{
	clear_rec(&region_t, r);
}

void
egca_store_ra_subscriber_clear(struct egca_subscriber_rec *r)
{
	clear_rec(&sub_t, r);
}

void
egca_store_ra_app_clear(struct egca_app_rec *r)
{
	clear_rec(&app_t, r);
}

void
egca_store_ra_material_clear(struct egca_material_rec *r)
{
	clear_rec(&mat_t, r);
}

void
egca_store_ra_loss_clear(struct egca_loss_rec *r)
{
	clear_rec(&loss_t, r);
}

void
egca_store_ra_idem_clear(struct egca_store_idem *r)
{
	clear_rec(&idem_t, r);
}

/* ---- SQL under construction: fixed fragments, values as $n ---- */

struct sqlw {
	char sql[4096];
	struct store_val p[MAX_PARAMS];
	size_t np;
	char *owned[2]; /* LIKE patterns */
	size_t nowned;
	int overflow;
	int nomem; /* a LIKE pattern could not be made */
};

static void
w_sql(struct sqlw *w, const char *s)
{
	size_t used = strlen(w->sql), n = strlen(s);

	if (used + n >= sizeof(w->sql)) {
		w->overflow = 1;
		return;
	}
	memcpy(w->sql + used, s, n + 1);
}

static void
w_param(struct sqlw *w, struct store_val v)
{
	char num[24];

	if (w->np >= MAX_PARAMS) {
		w->overflow = 1;
		return;
	}
	w->p[w->np++] = v;
	snprintf(num, sizeof(num), "$%zu", w->np);
	w_sql(w, num);
}

static void
w_free(struct sqlw *w)
{
	size_t i;

	for (i = 0; i < w->nowned; i++)
		free(w->owned[i]);
}

/* A subscriber s lies in a region served by the point given next. */
#define SERVED_PRE                                                             \
	"EXISTS (SELECT 1 FROM point_region pr JOIN ra_point pt"               \
	" ON pt.id = pr.point WHERE pr.point = "
#define SERVED_POST                                                            \
	" AND (pr.approval IS NOT NULL"                                        \
	" OR substr(pr.region, 1, 2) = substr(pt.home_region, 1, 2))"          \
	" AND (pr.region = s.region"                                           \
	" OR (substr(pr.region, 3, 4) = '0000'"                                \
	" AND substr(s.region, 1, 2) = substr(pr.region, 1, 2))"               \
	" OR (substr(pr.region, 5, 2) = '00'"                                  \
	" AND substr(s.region, 1, 4) = substr(pr.region, 1, 4))))"

/* " AND (<scope>)" over subscriber s (and application a when apps). */
static void
w_scope(struct sqlw *w, const struct egca_store_ra_scope *sc, int apps)
{
	int any = 0;

	w_sql(w, " AND (");
	if (sc != NULL && sc->point != NULL) {
		w_sql(w, SERVED_PRE);
		w_param(w, egca_store_text(sc->point));
		w_sql(w, SERVED_POST);
		any = 1;
	}
	if (sc != NULL && sc->subscriber != NULL) {
		w_sql(w, any ? " OR s.id = " : "s.id = ");
		w_param(w, egca_store_text(sc->subscriber));
		any = 1;
	}
	if (sc != NULL && sc->department != NULL) {
		w_sql(w, any ? " OR s.department = " : "s.department = ");
		w_param(w, egca_store_text(sc->department));
		any = 1;
	}
	if (apps && sc != NULL && sc->recover) {
		w_sql(w, any ? " OR a.kind = 'recover'" : "a.kind = 'recover'");
		any = 1;
	}
	if (!any)
		w_sql(w, "1 = 0");
	w_sql(w, ")");
}

/* " AND <col> = $n" when v is not NULL. */
static void
w_eq(struct sqlw *w, const char *col, const char *v)
{
	if (v == NULL)
		return;
	w_sql(w, " AND ");
	w_sql(w, col);
	w_sql(w, " = ");
	w_param(w, egca_store_text(v));
}

static void
w_limit(struct sqlw *w, size_t limit, size_t offset)
{
	if (limit == 0)
		limit = LIST_DEFAULT;
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	w_sql(w, " LIMIT ");
	w_param(w, egca_store_int((int64_t)limit));
	w_sql(w, " OFFSET ");
	w_param(w,
	    egca_store_int(
	        offset > (size_t)INT64_MAX ? INT64_MAX : (int64_t)offset));
}

/*
 * Runs the query built in w into l (records of t decoded by decode) and
 * frees w; on error l is empty.
 */
static enum egca_err
w_list(struct egca_store *st, struct sqlw *w, const struct rec_type *t,
    store_decode_fn decode, struct store_list *l)
{
	enum egca_err err;

	memset(l, 0, sizeof(*l));
	if (w->nomem)
		err = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	else if (w->overflow)
		err = egca_err_set(EGCA_ERR_NOMEM, "store: query too large");
	else
		err = list_rec(st, t, decode, w->sql, w->p, w->np, l);
	w_free(w);
	return err;
}

/* ---- points ---- */

enum egca_err
egca_store_ra_point_insert(
    struct egca_store *st, const struct egca_point_rec *r)
{
	struct store_val p[4];

	bind_rec(&point_t, r, 4, p);
	return exec_row(st,
	    "INSERT INTO ra_point (" POINT_COLS ") VALUES ($1, $2, $3, $4)"
	    " ON CONFLICT DO NOTHING",
	    p, 4, EGCA_ERR_EXISTS, "registration point %s already exists",
	    r->id);
}

enum egca_err
egca_store_ra_point_get(
    struct egca_store *st, const char *id, struct egca_point_rec *out)
{
	enum egca_err err;

	err = get_rec(st, &point_t, decode_point,
	    "SELECT " POINT_COLS " FROM ra_point WHERE id = $1", id, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "no registration point %s", id);
	return err;
}

enum egca_err
egca_store_ra_point_list(
    struct egca_store *st, struct egca_point_rec **out, size_t *n)
{
	struct store_list l;
	enum egca_err err;

	err = list_rec(st, &point_t, decode_point,
	    "SELECT " POINT_COLS " FROM ra_point ORDER BY id", NULL, 0, &l);
	*out = l.v;
	*n = l.n;
	return err;
}

enum egca_err
egca_store_ra_point_region_put(
    struct egca_store *st, const struct egca_point_region_rec *r, int64_t now)
{
	struct store_val p[5];
	enum egca_err err;
	int64_t n;

	bind_rec(&region_t, r, 4, p);
	p[4] = egca_store_int(now);
	if ((err = egca_store_exec(st,
	         "INSERT INTO point_region (" REGION_COLS ", added_at)"
	         " VALUES ($1, $2, $3, $4, $5)"
	         " ON CONFLICT DO NOTHING",
	         p, 5, NULL, NULL, &n)) != EGCA_OK) {
		if (err == EGCA_ERR_NOTFOUND)
			return egca_err_set(
			    err, "no registration point %s", r->point);
		return err;
	}
	if (n == 1)
		return EGCA_OK;
	/* A pending region outside the home province gets its approval. */
	if (r->approval != NULL) {
		if ((err = egca_store_exec(st,
		         "UPDATE point_region SET approval = $3,"
		         " approved_at = $4 WHERE point = $1 AND region = $2"
		         " AND approval IS NULL",
		         p, 4, NULL, NULL, &n)) != EGCA_OK)
			return err;
		if (n == 1)
			return EGCA_OK;
	}
	return egca_err_set(EGCA_ERR_EXISTS,
	    "region %s is already recorded for registration point %s",
	    r->region, r->point);
}

enum egca_err
egca_store_ra_point_regions(struct egca_store *st, const char *point,
    struct egca_point_region_rec **out, size_t *n)
{
	struct store_list l;
	struct store_val p[1];
	enum egca_err err;

	p[0] = egca_store_text(point);
	err = list_rec(st, &region_t, decode_region,
	    "SELECT " REGION_COLS " FROM point_region WHERE point = $1"
	    " ORDER BY region",
	    p, 1, &l);
	*out = l.v;
	*n = l.n;
	return err;
}

/* ---- subscribers ---- */

enum egca_err
egca_store_ra_subscriber_insert(
    struct egca_store *st, const struct egca_subscriber_rec *r)
{
	struct store_val p[14];

	bind_rec(&sub_t, r, 14, p);
	return exec_row(st,
	    "INSERT INTO subscriber (id, type, name, uscc, org_code,"
	    " id_card, region, department, owner, email, phone, point,"
	    " created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6,"
	    " $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING",
	    p, 14, EGCA_ERR_EXISTS, "subscriber %s already exists", r->id);
}

enum egca_err
egca_store_ra_subscriber_get(
    struct egca_store *st, const char *id, struct egca_subscriber_rec *out)
{
	enum egca_err err;

	err = get_rec(st, &sub_t, decode_sub,
	    "SELECT " SUB_COLS " FROM subscriber s WHERE s.id = $1", id, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "no such subscriber");
	return err;
}

/* The prefix length a region filter stands for (2, 4 or 6). */
static int
region_prefix_len(const char *r)
{
	if (strlen(r) != 6)
		return 6;
	if (strcmp(r + 2, "0000") == 0)
		return 2;
	if (strcmp(r + 4, "00") == 0)
		return 4;
	return 6;
}

enum egca_err
egca_store_ra_subscriber_list(struct egca_store *st,
    const struct egca_store_ra_subscriber_query *q,
    struct egca_subscriber_rec **out, size_t *n)
{
	struct store_list l;
	struct sqlw w;
	char frag[64], prefix[8];
	char *pat;
	enum egca_err err;
	int plen;

	memset(&w, 0, sizeof(w));
	w_sql(&w, "SELECT " SUB_COLS " FROM subscriber s WHERE 1 = 1");
	w_scope(&w, q->scope, 0);
	w_eq(&w, "s.type", q->type);
	if (q->name != NULL) {
		if ((pat = egca_store_like_pattern(q->name, 0)) == NULL) {
			w.nomem = 1;
		} else {
			w.owned[w.nowned++] = pat;
			w_sql(&w, " AND lower(s.name) LIKE lower(");
			w_param(&w, egca_store_text(pat));
			w_sql(&w, ") ESCAPE '\\'");
		}
	}
	if (q->region != NULL) {
		plen = region_prefix_len(q->region);
		snprintf(prefix, sizeof(prefix), "%.*s", plen, q->region);
		snprintf(frag, sizeof(frag),
		    " AND substr(s.region, 1, %d) = ", plen);
		w_sql(&w, frag);
		w_param(&w, egca_store_text(prefix));
	}
	w_sql(&w, " ORDER BY s.created_at DESC, s.id DESC");
	w_limit(&w, q->limit, q->offset);
	err = w_list(st, &w, &sub_t, decode_sub, &l);
	*out = l.v;
	*n = l.n;
	return err;
}

/* ---- applications ---- */

enum egca_err
egca_store_ra_app_insert(struct egca_store *st, const struct egca_app_rec *r)
{
	struct store_val p[APP_NINS + 2];

	bind_rec(&app_t, r, APP_NINS, p);
	p[APP_NINS] = egca_store_blob(r->csr_der, r->csr_len);
	p[APP_NINS + 1] = egca_store_int(r->updated_at);
	return exec_row(st,
	    "INSERT INTO application (id, kind, state, subscriber, region,"
	    " point, ca, profile, enc_profile, subject, serial, reason,"
	    " validity_days, note, submitted_by, submitted_at, digest,"
	    " required_approvals, csr_der, updated_at)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
	    " $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT DO NOTHING",
	    p, APP_NINS + 2, EGCA_ERR_EXISTS, "application %s already exists",
	    r->id);
}

enum egca_err
egca_store_ra_app_get(
    struct egca_store *st, const char *id, struct egca_app_rec *out)
{
	enum egca_err err;

	err = get_rec(st, &app_t, decode_app,
	    "SELECT " APP_COLS ", a.csr_der FROM application a WHERE a.id = $1",
	    id, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "no such application");
	return err;
}

enum egca_err
egca_store_ra_app_list(struct egca_store *st,
    const struct egca_store_ra_app_query *q, struct egca_app_rec **out,
    size_t *n)
{
	struct store_list l;
	struct sqlw w;
	enum egca_err err;

	memset(&w, 0, sizeof(w));
	w_sql(&w,
	    "SELECT " APP_COLS " FROM application a JOIN subscriber s"
	    " ON s.id = a.subscriber WHERE 1 = 1");
	w_scope(&w, q->scope, 1);
	w_eq(&w, "a.state", q->state);
	w_eq(&w, "a.kind", q->kind);
	w_eq(&w, "a.subscriber", q->subscriber);
	w_sql(&w, " ORDER BY a.submitted_at DESC, a.id DESC");
	w_limit(&w, q->limit, q->offset);
	err = w_list(st, &w, &app_t, decode_app, &l);
	*out = l.v;
	*n = l.n;
	return err;
}

enum egca_err
egca_store_ra_app_set_digest(
    struct egca_store *st, const char *id, const char *digest, int64_t now)
{
	struct store_val p[3];

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(digest);
	p[2] = egca_store_int(now);
	return exec_row(st,
	    "UPDATE application SET digest = $2, updated_at = $3"
	    " WHERE id = $1 AND state = 'submitted'",
	    p, 3, EGCA_ERR_STATE, "the application is no longer submitted");
}

enum egca_err
egca_store_ra_app_decide(struct egca_store *st, const char *id, const char *to,
    const char *by, const char *reason, int64_t now)
{
	struct store_val p[5];

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(to);
	p[2] = egca_store_text(by);
	p[3] = egca_store_text(reason);
	p[4] = egca_store_int(now);
	return exec_row(st,
	    "UPDATE application SET state = $2, decided_by = $3,"
	    " reject_reason = $4, updated_at = $5"
	    " WHERE id = $1 AND state = 'submitted'",
	    p, 5, EGCA_ERR_STATE, "the application is no longer submitted");
}

enum egca_err
egca_store_ra_app_claim(
    struct egca_store *st, const char *id, int64_t now, int64_t stale_before)
{
	struct store_val p[3];

	p[0] = egca_store_text(id);
	p[1] = egca_store_int(now);
	p[2] = egca_store_int(stale_before);
	return exec_row(st,
	    "UPDATE application SET state = 'executing', updated_at = $2"
	    " WHERE id = $1 AND (state IN ('approved', 'failed')"
	    " OR (state = 'executing' AND updated_at < $3))",
	    p, 3, EGCA_ERR_STATE,
	    "the application is not waiting for execution");
}

enum egca_err
egca_store_ra_app_finish(struct egca_store *st, const char *id,
    const char *state, const char *result_serial, const char *result_error,
    int64_t now)
{
	struct store_val p[5];

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(state);
	p[2] = egca_store_text(result_serial);
	p[3] = egca_store_text(result_error);
	p[4] = egca_store_int(now);
	return exec_row(st,
	    "UPDATE application SET state = $2,"
	    " result_serial = COALESCE($3, result_serial),"
	    " result_error = $4, updated_at = $5"
	    " WHERE id = $1 AND state = 'executing'",
	    p, 5, EGCA_ERR_STATE, "the application is not being executed");
}

enum egca_err
egca_store_ra_approval_put(struct egca_store *st, const char *app,
    const char *reviewer, const char *digest, int64_t now)
{
	struct store_val p[4];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(app);
	p[1] = egca_store_text(reviewer);
	p[2] = egca_store_text(digest);
	p[3] = egca_store_int(now);
	if ((err = egca_store_exec(st,
	         "INSERT INTO app_approval (app, reviewer, digest, approved_at)"
	         " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
	         p, 4, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 1)
		return EGCA_OK;
	/* An approval of an earlier version is given again. */
	if ((err = egca_store_exec(st,
	         "UPDATE app_approval SET digest = $3, approved_at = $4"
	         " WHERE app = $1 AND reviewer = $2 AND digest <> $3",
	         p, 4, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "%s has already approved this application", reviewer);
	return EGCA_OK;
}

/* ---- materials ---- */

enum egca_err
egca_store_ra_material_insert(struct egca_store *st,
    const struct egca_material_rec *r, const uint8_t *data, size_t len)
{
	struct store_val p[10];

	bind_rec(&mat_t, r, 9, p);
	p[9] = egca_store_blob(data, len);
	return egca_store_exec(st,
	    "INSERT INTO app_material (" MAT_COLS ", content) VALUES ($1, $2,"
	    " $3, $4, $5, $6, $7, $8, $9, $10)",
	    p, 10, NULL, NULL, NULL);
}

enum egca_err
egca_store_ra_material_list(struct egca_store *st, const char *app,
    struct egca_material_rec **out, size_t *n)
{
	struct store_list l;
	struct store_val p[1];
	enum egca_err err;

	p[0] = egca_store_text(app);
	err = list_rec(st, &mat_t, decode_mat,
	    "SELECT " MAT_COLS " FROM app_material WHERE app = $1"
	    " ORDER BY added_at, id",
	    p, 1, &l);
	*out = l.v;
	*n = l.n;
	return err;
}

struct mat_get {
	struct egca_material_rec *meta;
	uint8_t *data;
	size_t len;
	int found;
};

static enum egca_err
mat_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct mat_get *g = arg;
	enum egca_err err;

	if (ncol != 10)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: material columns");
	if ((err = decode_mat(c, 9, g->meta)) != EGCA_OK)
		return err;
	g->found = 1;
	return egca_store_col_blob(&c[9], &g->data, &g->len);
}

enum egca_err
egca_store_ra_material_get(struct egca_store *st, const char *app,
    const char *id, struct egca_material_rec *meta, uint8_t **data, size_t *len)
{
	struct store_val p[2];
	struct mat_get g = {meta, NULL, 0, 0};
	enum egca_err err;

	*data = NULL;
	*len = 0;
	memset(meta, 0, sizeof(*meta));
	p[0] = egca_store_text(app);
	p[1] = egca_store_text(id);
	err = egca_store_exec(st,
	    "SELECT " MAT_COLS ", content FROM app_material"
	    " WHERE app = $1 AND id = $2",
	    p, 2, mat_row, &g, NULL);
	if (err == EGCA_OK && !g.found)
		err = egca_err_set(EGCA_ERR_NOTFOUND, "no such material");
	if (err != EGCA_OK) {
		egca_store_ra_material_clear(meta);
		free(g.data);
		return err;
	}
	*data = g.data;
	*len = g.len;
	return EGCA_OK;
}

/* ---- idempotency keys ---- */

enum egca_err
egca_store_ra_idem_get(struct egca_store *st, const char *key,
    const char *actor, struct egca_store_idem *out)
{
	struct store_val p[2];

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(key);
	p[1] = egca_store_text(actor);
	return egca_store_exec_one(st,
	    "SELECT kind, request_digest, object_id FROM idempotency"
	    " WHERE idem_key = $1 AND actor = $2",
	    p, 2, decode_idem, out);
}

enum egca_err
egca_store_ra_idem_insert(struct egca_store *st, const char *key,
    const char *actor, const char *kind, const char *request_digest,
    const char *object_id, int64_t now)
{
	struct store_val p[6];

	p[0] = egca_store_text(key);
	p[1] = egca_store_text(actor);
	p[2] = egca_store_text(kind);
	p[3] = egca_store_text(request_digest);
	p[4] = egca_store_text(object_id);
	p[5] = egca_store_int(now);
	return exec_row(st,
	    "INSERT INTO idempotency (idem_key, actor, kind,"
	    " request_digest, object_id, created_at)"
	    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	    p, 6, EGCA_ERR_EXISTS, "Idempotency-Key already used");
}

/* ---- revocation codes and certificate links ---- */

enum egca_err
egca_store_ra_code_put(struct egca_store *st, const char *ca,
    const char *serial, const char *code_hash, int64_t now)
{
	struct store_val p[4];

	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial);
	p[2] = egca_store_text(code_hash);
	p[3] = egca_store_int(now);
	return egca_store_exec(st,
	    "INSERT INTO revocation_code (ca, serial, code_hash, created_at)"
	    " VALUES ($1, $2, $3, $4) ON CONFLICT (ca, serial) DO UPDATE"
	    " SET code_hash = excluded.code_hash,"
	    " created_at = excluded.created_at",
	    p, 4, NULL, NULL, NULL);
}

struct text_out {
	char *s;
};

static enum egca_err
decode_text(const struct store_val *c, size_t ncol, void *rec)
{
	struct text_out *t = rec;

	if (ncol != 1)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: one column");
	return egca_store_col_text(&c[0], &t->s);
}

enum egca_err
egca_store_ra_code_get(struct egca_store *st, const char *ca,
    const char *serial, char code_hash[65])
{
	struct store_val p[2];
	struct text_out t = {NULL};
	enum egca_err err;

	code_hash[0] = '\0';
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial);
	if ((err = egca_store_exec_one(st,
	         "SELECT code_hash FROM revocation_code"
	         " WHERE ca = $1 AND serial = $2",
	         p, 2, decode_text, &t)) != EGCA_OK) {
		free(t.s);
		return err;
	}
	if (t.s == NULL || strlen(t.s) != 64) {
		free(t.s);
		return egca_err_set(EGCA_ERR_STORE, "store: bad code hash");
	}
	memcpy(code_hash, t.s, 65);
	free(t.s);
	return EGCA_OK;
}

enum egca_err
egca_store_ra_cert_subscriber(struct egca_store *st, const char *ca,
    const char *serial, char **subscriber)
{
	struct store_val p[2];
	struct text_out t = {NULL};
	enum egca_err err;

	*subscriber = NULL;
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial);
	err = egca_store_exec_one(st,
	    "SELECT subscriber FROM cert_index WHERE ca = $1 AND serial = $2",
	    p, 2, decode_text, &t);
	if (err == EGCA_OK && t.s == NULL)
		err = EGCA_ERR_NOTFOUND;
	if (err != EGCA_OK) {
		free(t.s);
		if (err == EGCA_ERR_NOTFOUND)
			return egca_err_set(err, "no such certificate");
		return err;
	}
	*subscriber = t.s;
	return EGCA_OK;
}

/* ---- loss reports ---- */

enum egca_err
egca_store_ra_loss_insert(struct egca_store *st, const struct egca_loss_rec *r)
{
	struct store_val p[LOSS_NINS];

	bind_rec(&loss_t, r, LOSS_NINS, p);
	return egca_store_exec(st,
	    "INSERT INTO loss_report (id, ca, serial, state, method,"
	    " statement, source, reported_at) VALUES ($1, $2, $3, $4, $5,"
	    " $6, $7, $8)",
	    p, LOSS_NINS, NULL, NULL, NULL);
}

enum egca_err
egca_store_ra_loss_get(
    struct egca_store *st, const char *id, struct egca_loss_rec *out)
{
	enum egca_err err;

	err = get_rec(st, &loss_t, decode_loss,
	    "SELECT " LOSS_COLS " FROM loss_report l WHERE l.id = $1", id, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "no such loss report");
	return err;
}

enum egca_err
egca_store_ra_loss_open(
    struct egca_store *st, const char *ca, const char *serial, char id[33])
{
	struct store_val p[2];
	struct text_out t = {NULL};
	enum egca_err err;

	id[0] = '\0';
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial);
	if ((err = egca_store_exec_one(st,
	         "SELECT id FROM loss_report WHERE ca = $1 AND serial = $2"
	         " AND state = 'held' ORDER BY reported_at, id LIMIT 1",
	         p, 2, decode_text, &t)) != EGCA_OK) {
		free(t.s);
		return err;
	}
	if (t.s == NULL || strlen(t.s) != 32) {
		free(t.s);
		return egca_err_set(EGCA_ERR_STORE, "store: bad report id");
	}
	memcpy(id, t.s, 33);
	free(t.s);
	return EGCA_OK;
}

enum egca_err
egca_store_ra_loss_confirm(
    struct egca_store *st, const char *id, const char *by, int64_t at)
{
	struct store_val p[3];

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(by);
	p[2] = egca_store_int(at);
	return exec_row(st,
	    "UPDATE loss_report SET state = 'confirmed',"
	    " confirmed_by = $2, confirmed_at = $3"
	    " WHERE id = $1 AND state = 'held'",
	    p, 3, EGCA_ERR_STATE, "the loss report is not open (held)");
}

enum egca_err
egca_store_ra_loss_list(struct egca_store *st,
    const struct egca_store_ra_scope *scope, const char *state, size_t limit,
    struct egca_loss_rec **out, size_t *n)
{
	struct store_list l;
	struct sqlw w;
	enum egca_err err;

	memset(&w, 0, sizeof(w));
	w_sql(&w,
	    "SELECT " LOSS_COLS " FROM loss_report l JOIN cert_index i"
	    " ON i.ca = l.ca AND i.serial = l.serial JOIN subscriber s"
	    " ON s.id = i.subscriber WHERE 1 = 1");
	w_scope(&w, scope, 0);
	w_eq(&w, "l.state", state);
	w_sql(&w, " ORDER BY l.reported_at DESC, l.id DESC");
	w_limit(&w, limit, 0);
	err = w_list(st, &w, &loss_t, decode_loss, &l);
	*out = l.v;
	*n = l.n;
	return err;
}
