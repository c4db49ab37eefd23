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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/ra.h"
#include "egca/store.h"
#include "store/backend.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define MAX_PARAMS 16

/* ---- clearing records ---- */

void
egca_store_ra_point_clear(struct egca_point_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->name);
	free(r->home_region);
	memset(r, 0, sizeof(*r));
}

void
egca_store_ra_point_region_clear(struct egca_point_region_rec *r)
{
	if (r == NULL)
		return;
	free(r->point);
	free(r->region);
	free(r->approval);
	memset(r, 0, sizeof(*r));
}

void
egca_store_ra_subscriber_clear(struct egca_subscriber_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->type);
	free(r->name);
	free(r->uscc);
	free(r->org_code);
	free(r->id_card);
	free(r->region);
	free(r->department);
	free(r->owner);
	free(r->email);
	free(r->phone);
	free(r->point);
	free(r->created_by);
	memset(r, 0, sizeof(*r));
}

void
egca_store_ra_app_clear(struct egca_app_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->kind);
	free(r->state);
	free(r->subscriber);
	free(r->region);
	free(r->point);
	free(r->ca);
	free(r->profile);
	free(r->enc_profile);
	free(r->csr_der);
	free(r->subject);
	free(r->serial);
	free(r->reason);
	free(r->note);
	free(r->submitted_by);
	free(r->digest);
	free(r->decided_by);
	free(r->reject_reason);
	free(r->result_serial);
	free(r->result_error);
	memset(r, 0, sizeof(*r));
}

void
egca_store_ra_material_clear(struct egca_material_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->app);
	free(r->type);
	free(r->media);
	free(r->filename);
	free(r->sm3);
	free(r->added_by);
	memset(r, 0, sizeof(*r));
}

void
egca_store_ra_loss_clear(struct egca_loss_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->ca);
	free(r->serial);
	free(r->state);
	free(r->method);
	free(r->statement);
	free(r->source);
	free(r->confirmed_by);
	memset(r, 0, sizeof(*r));
}

void
egca_store_ra_idem_clear(struct egca_store_idem *r)
{
	if (r == NULL)
		return;
	free(r->kind);
	free(r->request_digest);
	free(r->object_id);
	memset(r, 0, sizeof(*r));
}

/* ---- SQL under construction: fixed fragments, values as $n ---- */

struct sqlw {
	char sql[4096];
	struct store_val p[MAX_PARAMS];
	size_t np;
	char *owned[2]; /* LIKE patterns */
	size_t nowned;
	int overflow;
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

/* ---- points ---- */

#define POINT_COLS "id, name, home_region, created_at"

static enum egca_err
decode_point(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_point_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 4)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: point columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->name)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->home_region)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[3], &r->created_at)) != EGCA_OK)
		egca_store_ra_point_clear(r);
	return err;
}

enum egca_err
egca_store_ra_point_insert(
    struct egca_store *st, const struct egca_point_rec *r)
{
	struct store_val p[4];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->name);
	p[2] = egca_store_text(r->home_region);
	p[3] = egca_store_int(r->created_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO ra_point (" POINT_COLS ") VALUES ($1, $2, $3, $4)"
	         " ON CONFLICT DO NOTHING",
	         p, 4, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "registration point %s already exists", r->id);
	return EGCA_OK;
}

enum egca_err
egca_store_ra_point_get(
    struct egca_store *st, const char *id, struct egca_point_rec *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id);
	err = egca_store_exec_one(st,
	    "SELECT " POINT_COLS " FROM ra_point WHERE id = $1", p, 1,
	    decode_point, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "no registration point %s", id);
	return err;
}

enum egca_err
egca_store_ra_point_list(
    struct egca_store *st, struct egca_point_rec **out, size_t *n)
{
	struct store_list l = {0};
	enum egca_err err;
	size_t i;

	*out = NULL;
	*n = 0;
	if ((err = egca_store_exec_list(st,
	         "SELECT " POINT_COLS " FROM ra_point ORDER BY id", NULL, 0,
	         decode_point, sizeof(struct egca_point_rec), &l)) != EGCA_OK) {
		for (i = 0; i < l.n; i++)
			egca_store_ra_point_clear(
			    &((struct egca_point_rec *)l.v)[i]);
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

static enum egca_err
decode_region(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_point_region_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 4)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: region columns");
	if ((err = egca_store_col_text(&c[0], &r->point)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->region)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->approval)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[3], &r->approved_at)) != EGCA_OK)
		egca_store_ra_point_region_clear(r);
	return err;
}

enum egca_err
egca_store_ra_point_region_put(
    struct egca_store *st, const struct egca_point_region_rec *r, int64_t now)
{
	struct store_val p[5];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->point);
	p[1] = egca_store_text(r->region);
	p[2] = egca_store_text(r->approval);
	p[3] = egca_store_int(r->approved_at);
	p[4] = egca_store_int(now);
	if ((err = egca_store_exec(st,
	         "INSERT INTO point_region (point, region, approval,"
	         " approved_at, added_at) VALUES ($1, $2, $3, $4, $5)"
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
	struct store_list l = {0};
	struct store_val p[1];
	enum egca_err err;
	size_t i;

	*out = NULL;
	*n = 0;
	p[0] = egca_store_text(point);
	if ((err = egca_store_exec_list(st,
	         "SELECT point, region, approval, approved_at FROM"
	         " point_region WHERE point = $1 ORDER BY region",
	         p, 1, decode_region, sizeof(struct egca_point_region_rec),
	         &l)) != EGCA_OK) {
		for (i = 0; i < l.n; i++)
			egca_store_ra_point_region_clear(
			    &((struct egca_point_region_rec *)l.v)[i]);
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

/* ---- subscribers ---- */

#define SUB_COLS                                                               \
	"s.id, s.type, s.name, s.uscc, s.org_code, s.id_card, s.region,"       \
	" s.department, s.owner, s.email, s.phone, s.point, s.created_by,"     \
	" s.created_at"

static enum egca_err
decode_sub(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_subscriber_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 14)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: subscriber columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->type)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->name)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->uscc)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->org_code)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->id_card)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[6], &r->region)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->department)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[8], &r->owner)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[9], &r->email)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[10], &r->phone)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[11], &r->point)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[12], &r->created_by)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[13], &r->created_at)) != EGCA_OK)
		egca_store_ra_subscriber_clear(r);
	return err;
}

enum egca_err
egca_store_ra_subscriber_insert(
    struct egca_store *st, const struct egca_subscriber_rec *r)
{
	struct store_val p[14];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->type);
	p[2] = egca_store_text(r->name);
	p[3] = egca_store_text(r->uscc);
	p[4] = egca_store_text(r->org_code);
	p[5] = egca_store_text(r->id_card);
	p[6] = egca_store_text(r->region);
	p[7] = egca_store_text(r->department);
	p[8] = egca_store_text(r->owner);
	p[9] = egca_store_text(r->email);
	p[10] = egca_store_text(r->phone);
	p[11] = egca_store_text(r->point);
	p[12] = egca_store_text(r->created_by);
	p[13] = egca_store_int(r->created_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO subscriber (id, type, name, uscc, org_code,"
	         " id_card, region, department, owner, email, phone, point,"
	         " created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6,"
	         " $7, $8, $9, $10, $11, $12, $13, $14)"
	         " ON CONFLICT DO NOTHING",
	         p, 14, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "subscriber %s already exists", r->id);
	return EGCA_OK;
}

enum egca_err
egca_store_ra_subscriber_get(
    struct egca_store *st, const char *id, struct egca_subscriber_rec *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id);
	err = egca_store_exec_one(st,
	    "SELECT " SUB_COLS " FROM subscriber s WHERE s.id = $1", p, 1,
	    decode_sub, out);
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
	struct store_list l = {0};
	struct sqlw w;
	char frag[64], prefix[8];
	char *pat;
	enum egca_err err;
	size_t i;
	int plen;

	*out = NULL;
	*n = 0;
	memset(&w, 0, sizeof(w));
	w_sql(&w, "SELECT " SUB_COLS " FROM subscriber s WHERE 1 = 1");
	w_scope(&w, q->scope, 0);
	w_eq(&w, "s.type", q->type);
	if (q->name != NULL) {
		if ((pat = egca_store_like_pattern(q->name, 0)) == NULL) {
			err = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		w.owned[w.nowned++] = pat;
		w_sql(&w, " AND lower(s.name) LIKE lower(");
		w_param(&w, egca_store_text(pat));
		w_sql(&w, ") ESCAPE '\\'");
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
	if (w.overflow) {
		err = egca_err_set(EGCA_ERR_NOMEM, "store: query too large");
		goto out;
	}
	if ((err = egca_store_exec_list(st, w.sql, w.p, w.np, decode_sub,
	         sizeof(struct egca_subscriber_rec), &l)) != EGCA_OK)
		goto out;
	*out = l.v;
	*n = l.n;
	l.v = NULL;
	l.n = 0;
out:
	for (i = 0; i < l.n; i++)
		egca_store_ra_subscriber_clear(
		    &((struct egca_subscriber_rec *)l.v)[i]);
	free(l.v);
	w_free(&w);
	return err;
}

/* ---- applications ---- */

#define APP_COLS                                                               \
	"a.id, a.kind, a.state, a.subscriber, a.region, a.point, a.ca,"        \
	" a.profile, a.enc_profile, a.subject, a.serial, a.reason,"            \
	" a.validity_days, a.note, a.submitted_by, a.submitted_at, a.digest,"  \
	" a.required_approvals, (SELECT COUNT(*) FROM app_approval v"          \
	" WHERE v.app = a.id AND v.digest = a.digest), a.decided_by,"          \
	" a.reject_reason, a.result_serial, a.result_error, a.updated_at"
#define APP_NCOL 24

static enum egca_err
decode_app(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_app_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != APP_NCOL && ncol != APP_NCOL + 1)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: application columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->kind)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->state)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->subscriber)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->region)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->point)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[6], &r->ca)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->profile)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[8], &r->enc_profile)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[9], &r->subject)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[10], &r->serial)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[11], &r->reason)) != EGCA_OK ||
	    (err = col_int(&c[12], &r->validity_days)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[13], &r->note)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[14], &r->submitted_by)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[15], &r->submitted_at)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[16], &r->digest)) != EGCA_OK ||
	    (err = col_int(&c[17], &r->required_approvals)) != EGCA_OK ||
	    (err = col_int(&c[18], &r->approvals)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[19], &r->decided_by)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[20], &r->reject_reason)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[21], &r->result_serial)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[22], &r->result_error)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[23], &r->updated_at)) != EGCA_OK)
		goto out;
	if (ncol == APP_NCOL + 1 &&
	    (err = egca_store_col_blob(
	         &c[APP_NCOL], &r->csr_der, &r->csr_len)) != EGCA_OK)
		goto out;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_ra_app_clear(r);
	return err;
}

enum egca_err
egca_store_ra_app_insert(struct egca_store *st, const struct egca_app_rec *r)
{
	struct store_val p[20];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->kind);
	p[2] = egca_store_text(r->state);
	p[3] = egca_store_text(r->subscriber);
	p[4] = egca_store_text(r->region);
	p[5] = egca_store_text(r->point);
	p[6] = egca_store_text(r->ca);
	p[7] = egca_store_text(r->profile);
	p[8] = egca_store_text(r->enc_profile);
	p[9] = egca_store_blob(r->csr_der, r->csr_len);
	p[10] = egca_store_text(r->subject);
	p[11] = egca_store_text(r->serial);
	p[12] = egca_store_text(r->reason);
	p[13] = egca_store_int(r->validity_days);
	p[14] = egca_store_text(r->note);
	p[15] = egca_store_text(r->submitted_by);
	p[16] = egca_store_int(r->submitted_at);
	p[17] = egca_store_text(r->digest);
	p[18] = egca_store_int(r->required_approvals);
	p[19] = egca_store_int(r->updated_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO application (id, kind, state, subscriber,"
	         " region, point, ca, profile, enc_profile, csr_der, subject,"
	         " serial, reason, validity_days, note, submitted_by,"
	         " submitted_at, digest, required_approvals, updated_at)"
	         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
	         " $13, $14, $15, $16, $17, $18, $19, $20)"
	         " ON CONFLICT DO NOTHING",
	         p, 20, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "application %s already exists", r->id);
	return EGCA_OK;
}

enum egca_err
egca_store_ra_app_get(
    struct egca_store *st, const char *id, struct egca_app_rec *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id);
	err = egca_store_exec_one(st,
	    "SELECT " APP_COLS ", a.csr_der FROM application a WHERE a.id = $1",
	    p, 1, decode_app, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "no such application");
	return err;
}

enum egca_err
egca_store_ra_app_list(struct egca_store *st,
    const struct egca_store_ra_app_query *q, struct egca_app_rec **out,
    size_t *n)
{
	struct store_list l = {0};
	struct sqlw w;
	enum egca_err err;
	size_t i;

	*out = NULL;
	*n = 0;
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
	if (w.overflow) {
		err = egca_err_set(EGCA_ERR_NOMEM, "store: query too large");
		goto out;
	}
	if ((err = egca_store_exec_list(st, w.sql, w.p, w.np, decode_app,
	         sizeof(struct egca_app_rec), &l)) != EGCA_OK)
		goto out;
	*out = l.v;
	*n = l.n;
	l.v = NULL;
	l.n = 0;
out:
	for (i = 0; i < l.n; i++)
		egca_store_ra_app_clear(&((struct egca_app_rec *)l.v)[i]);
	free(l.v);
	w_free(&w);
	return err;
}

enum egca_err
egca_store_ra_app_set_digest(
    struct egca_store *st, const char *id, const char *digest, int64_t now)
{
	struct store_val p[3];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(digest);
	p[2] = egca_store_int(now);
	if ((err = egca_store_exec(st,
	         "UPDATE application SET digest = $2, updated_at = $3"
	         " WHERE id = $1 AND state = 'submitted'",
	         p, 3, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_STATE, "the application is no longer submitted");
	return EGCA_OK;
}

enum egca_err
egca_store_ra_app_decide(struct egca_store *st, const char *id, const char *to,
    const char *by, const char *reason, int64_t now)
{
	struct store_val p[5];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(to);
	p[2] = egca_store_text(by);
	p[3] = egca_store_text(reason);
	p[4] = egca_store_int(now);
	if ((err = egca_store_exec(st,
	         "UPDATE application SET state = $2, decided_by = $3,"
	         " reject_reason = $4, updated_at = $5"
	         " WHERE id = $1 AND state = 'submitted'",
	         p, 5, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_STATE, "the application is no longer submitted");
	return EGCA_OK;
}

enum egca_err
egca_store_ra_app_claim(
    struct egca_store *st, const char *id, int64_t now, int64_t stale_before)
{
	struct store_val p[3];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(id);
	p[1] = egca_store_int(now);
	p[2] = egca_store_int(stale_before);
	if ((err = egca_store_exec(st,
	         "UPDATE application SET state = 'executing', updated_at = $2"
	         " WHERE id = $1 AND (state IN ('approved', 'failed')"
	         " OR (state = 'executing' AND updated_at < $3))",
	         p, 3, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n != 1)
		return egca_err_set(EGCA_ERR_STATE,
		    "the application is not waiting for execution");
	return EGCA_OK;
}

enum egca_err
egca_store_ra_app_finish(struct egca_store *st, const char *id,
    const char *state, const char *result_serial, const char *result_error,
    int64_t now)
{
	struct store_val p[5];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(state);
	p[2] = egca_store_text(result_serial);
	p[3] = egca_store_text(result_error);
	p[4] = egca_store_int(now);
	if ((err = egca_store_exec(st,
	         "UPDATE application SET state = $2,"
	         " result_serial = COALESCE($3, result_serial),"
	         " result_error = $4, updated_at = $5"
	         " WHERE id = $1 AND state = 'executing'",
	         p, 5, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n != 1)
		return egca_err_set(
		    EGCA_ERR_STATE, "the application is not being executed");
	return EGCA_OK;
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

#define MAT_COLS "id, app, type, media, filename, sm3, size, added_by, added_at"

static enum egca_err
decode_mat(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_material_rec *r = rec;
	enum egca_err err;
	int64_t size;

	memset(r, 0, sizeof(*r));
	if (ncol != 9)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: material columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->app)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->type)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->media)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->filename)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->sm3)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &size)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->added_by)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[8], &r->added_at)) != EGCA_OK)
		goto out;
	if (size < 0) {
		err = egca_err_set(EGCA_ERR_STORE, "store: bad material size");
		goto out;
	}
	r->size = (size_t)size;
out:
	if (err != EGCA_OK)
		egca_store_ra_material_clear(r);
	return err;
}

enum egca_err
egca_store_ra_material_insert(struct egca_store *st,
    const struct egca_material_rec *r, const uint8_t *data, size_t len)
{
	struct store_val p[10];

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->app);
	p[2] = egca_store_text(r->type);
	p[3] = egca_store_text(r->media);
	p[4] = egca_store_text(r->filename);
	p[5] = egca_store_text(r->sm3);
	p[6] = egca_store_int((int64_t)r->size);
	p[7] = egca_store_text(r->added_by);
	p[8] = egca_store_int(r->added_at);
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
	struct store_list l = {0};
	struct store_val p[1];
	enum egca_err err;
	size_t i;

	*out = NULL;
	*n = 0;
	p[0] = egca_store_text(app);
	if ((err = egca_store_exec_list(st,
	         "SELECT " MAT_COLS " FROM app_material WHERE app = $1"
	         " ORDER BY added_at, id",
	         p, 1, decode_mat, sizeof(struct egca_material_rec), &l)) !=
	    EGCA_OK) {
		for (i = 0; i < l.n; i++)
			egca_store_ra_material_clear(
			    &((struct egca_material_rec *)l.v)[i]);
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
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

static enum egca_err
decode_idem(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_store_idem *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 3)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: idempotency columns");
	if ((err = egca_store_col_text(&c[0], &r->kind)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->request_digest)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->object_id)) != EGCA_OK)
		egca_store_ra_idem_clear(r);
	return err;
}

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
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(key);
	p[1] = egca_store_text(actor);
	p[2] = egca_store_text(kind);
	p[3] = egca_store_text(request_digest);
	p[4] = egca_store_text(object_id);
	p[5] = egca_store_int(now);
	if ((err = egca_store_exec(st,
	         "INSERT INTO idempotency (idem_key, actor, kind,"
	         " request_digest, object_id, created_at)"
	         " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	         p, 6, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "Idempotency-Key already used");
	return EGCA_OK;
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

#define LOSS_COLS                                                              \
	"l.id, l.ca, l.serial, l.state, l.method, l.statement, l.source,"      \
	" l.reported_at, l.confirmed_by, l.confirmed_at"

static enum egca_err
decode_loss(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_loss_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 10)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: loss columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->ca)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->serial)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->state)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->method)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->statement)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[6], &r->source)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[7], &r->reported_at)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[8], &r->confirmed_by)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[9], &r->confirmed_at)) != EGCA_OK)
		egca_store_ra_loss_clear(r);
	return err;
}

enum egca_err
egca_store_ra_loss_insert(struct egca_store *st, const struct egca_loss_rec *r)
{
	struct store_val p[8];

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->ca);
	p[2] = egca_store_text(r->serial);
	p[3] = egca_store_text(r->state);
	p[4] = egca_store_text(r->method);
	p[5] = egca_store_text(r->statement);
	p[6] = egca_store_text(r->source);
	p[7] = egca_store_int(r->reported_at);
	return egca_store_exec(st,
	    "INSERT INTO loss_report (id, ca, serial, state, method,"
	    " statement, source, reported_at) VALUES ($1, $2, $3, $4, $5,"
	    " $6, $7, $8)",
	    p, 8, NULL, NULL, NULL);
}

enum egca_err
egca_store_ra_loss_get(
    struct egca_store *st, const char *id, struct egca_loss_rec *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id);
	err = egca_store_exec_one(st,
	    "SELECT " LOSS_COLS " FROM loss_report l WHERE l.id = $1", p, 1,
	    decode_loss, out);
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
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(by);
	p[2] = egca_store_int(at);
	if ((err = egca_store_exec(st,
	         "UPDATE loss_report SET state = 'confirmed',"
	         " confirmed_by = $2, confirmed_at = $3"
	         " WHERE id = $1 AND state = 'held'",
	         p, 3, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n != 1)
		return egca_err_set(
		    EGCA_ERR_STATE, "the loss report is not open (held)");
	return EGCA_OK;
}

enum egca_err
egca_store_ra_loss_list(struct egca_store *st,
    const struct egca_store_ra_scope *scope, const char *state, size_t limit,
    struct egca_loss_rec **out, size_t *n)
{
	struct store_list l = {0};
	struct sqlw w;
	enum egca_err err;
	size_t i;

	*out = NULL;
	*n = 0;
	memset(&w, 0, sizeof(w));
	w_sql(&w,
	    "SELECT " LOSS_COLS " FROM loss_report l JOIN cert_index i"
	    " ON i.ca = l.ca AND i.serial = l.serial JOIN subscriber s"
	    " ON s.id = i.subscriber WHERE 1 = 1");
	w_scope(&w, scope, 0);
	w_eq(&w, "l.state", state);
	w_sql(&w, " ORDER BY l.reported_at DESC, l.id DESC");
	w_limit(&w, limit, 0);
	if (w.overflow) {
		err = egca_err_set(EGCA_ERR_NOMEM, "store: query too large");
		goto out;
	}
	if ((err = egca_store_exec_list(st, w.sql, w.p, w.np, decode_loss,
	         sizeof(struct egca_loss_rec), &l)) != EGCA_OK)
		goto out;
	*out = l.v;
	*n = l.n;
	l.v = NULL;
	l.n = 0;
out:
	for (i = 0; i < l.n; i++)
		egca_store_ra_loss_clear(&((struct egca_loss_rec *)l.v)[i]);
	free(l.v);
	w_free(&w);
	return err;
}
