/*
 * Audit events (table audit_event), the audit key and checkpoints
 * (schema 7). The hash chain and the signatures are computed and
 * verified by audit/; here seq is only the primary key, so a second
 * writer of the same seq gets EGCA_ERR_EXISTS (or a conflict, retried).
 */
#include <stdio.h>
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

/*
 * The WHERE clause of a query: fixed fragments with $n placeholders, so
 * no caller text reaches the SQL. Prefixes compare with substr(), which
 * is case-sensitive on both backends (SQLite's LIKE is not).
 */
struct audit_where {
	char sql[512];
	struct store_val p[10];
	size_t np;
};

enum where_op { W_EQ, W_PREFIX, W_GE, W_LT };

static void
where_add(struct audit_where *w, const char *col, enum where_op op,
    struct store_val v)
{
	size_t used = strlen(w->sql), n;

	w->p[w->np++] = v;
	n = w->np;
	switch (op) {
	case W_PREFIX:
		snprintf(w->sql + used, sizeof(w->sql) - used,
		    " AND substr(%s, 1, length($%zu)) = $%zu", col, n, n);
		break;
	case W_GE:
		snprintf(w->sql + used, sizeof(w->sql) - used,
		    " AND %s >= $%zu", col, n);
		break;
	case W_LT:
		snprintf(w->sql + used, sizeof(w->sql) - used, " AND %s < $%zu",
		    col, n);
		break;
	case W_EQ:
	default:
		snprintf(w->sql + used, sizeof(w->sql) - used, " AND %s = $%zu",
		    col, n);
		break;
	}
}

static void
where_build(const struct egca_store_audit_query *q, struct audit_where *w)
{
	memset(w, 0, sizeof(*w));
	if (q->actor != NULL)
		where_add(w, "actor", W_EQ, egca_store_text(q->actor));
	if (q->action != NULL)
		where_add(w, "action", W_PREFIX, egca_store_text(q->action));
	if (q->object != NULL)
		where_add(w, "object", W_PREFIX, egca_store_text(q->object));
	if (q->outcome != NULL)
		where_add(w, "outcome", W_EQ, egca_store_text(q->outcome));
	if (q->from != 0)
		where_add(w, "ts", W_GE, egca_store_int(q->from));
	if (q->to != 0)
		where_add(w, "ts", W_LT, egca_store_int(q->to));
}

enum egca_err
egca_store_audit_find(struct egca_store *st,
    const struct egca_store_audit_query *q, egca_store_audit_fn fn, void *arg)
{
	struct audit_where w;
	struct page *pg;
	char sql[1024];
	enum egca_err err;
	int64_t after = q->after_seq;
	size_t i, left = q->limit, want;
	int stop = 0;

	where_build(q, &w);
	snprintf(sql, sizeof(sql),
	    "SELECT seq, ts, actor, action, object, outcome, details,"
	    " prev_hash, hash FROM audit_event WHERE seq > $%zu%s"
	    " ORDER BY seq LIMIT $%zu",
	    w.np + 1, w.sql, w.np + 2);
	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	/*
	 * Page by seq so memory stays bounded and fn runs with no
	 * statement open (it may query the store itself).
	 */
	for (;;) {
		want = PAGE;
		if (q->limit != 0 && left < want)
			want = left;
		w.p[w.np] = egca_store_int(after);
		w.p[w.np + 1] = egca_store_int((int64_t)want);
		if ((err = egca_store_exec(st, sql, w.p, w.np + 2, page_row, pg,
		         NULL)) != EGCA_OK)
			goto out;
		for (i = 0; i < pg->n && !stop; i++)
			stop = fn(&pg->v[i], arg);
		if (q->limit != 0)
			left -= pg->n;
		if (stop || pg->n < want || (q->limit != 0 && left == 0))
			break;
		after = pg->v[pg->n - 1].seq;
		page_clear(pg);
	}
	err = EGCA_OK;
out:
	page_clear(pg);
	free(pg);
	return err;
}

enum egca_err
egca_store_audit_each(
    struct egca_store *st, int64_t from, egca_store_audit_fn fn, void *arg)
{
	struct egca_store_audit_query q;

	memset(&q, 0, sizeof(q));
	q.after_seq = from;
	return egca_store_audit_find(st, &q, fn, arg);
}

struct hash_arg {
	char *hash;
	int found;
};

static enum egca_err
hash_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct hash_arg *a = arg;

	if (ncol != 1 || c[0].type != STORE_TEXT || c[0].len > 64)
		return egca_err_set(
		    EGCA_ERR_INTEGRITY, "audit event: malformed hash");
	memcpy(a->hash, c[0].s, c[0].len);
	a->hash[c[0].len] = '\0';
	a->found = 1;
	return EGCA_OK;
}

enum egca_err
egca_store_audit_hash_at(struct egca_store *st, int64_t seq, char hash[65])
{
	struct hash_arg a = {hash, 0};
	struct store_val p[1];
	enum egca_err err;

	hash[0] = '\0';
	p[0] = egca_store_int(seq);
	if ((err = egca_store_exec(st,
	         "SELECT hash FROM audit_event WHERE seq = $1", p, 1, hash_row,
	         &a, NULL)) != EGCA_OK)
		return err;
	return a.found ? EGCA_OK : EGCA_ERR_NOTFOUND;
}

/* ---- The audit key and checkpoints (schema 7) ---- */

void
egca_store_audit_key_rec_free(struct egca_audit_key_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->spki_der);
	memset(r, 0, sizeof(*r));
}

void
egca_store_audit_key_list_free(struct egca_audit_key_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_audit_key_rec_free(&l[i]);
	free(l);
}

static enum egca_err
decode_key(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_audit_key_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 3)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: audit_key");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[1], &r->spki_der, &r->spki_der_len)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[2], &r->created_at)) != EGCA_OK)
		egca_store_audit_key_rec_free(r);
	return err;
}

enum egca_err
egca_store_audit_key_insert(
    struct egca_store *st, const struct egca_audit_key_rec *r)
{
	struct store_val p[3];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_blob(r->spki_der, r->spki_der_len);
	p[2] = egca_store_int(r->created_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO audit_key (id, spki_der, created_at)"
	         " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	         p, 3, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "audit key %s is already registered", r->id);
	return EGCA_OK;
}

enum egca_err
egca_store_audit_key_get(
    struct egca_store *st, const char *id, struct egca_audit_key_rec *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id);
	err = egca_store_exec_one(st,
	    "SELECT id, spki_der, created_at FROM audit_key WHERE id = $1", p,
	    1, decode_key, out);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "audit key %s is not registered", id);
	return err;
}

enum egca_err
egca_store_audit_key_list(
    struct egca_store *st, struct egca_audit_key_rec **out, size_t *n)
{
	struct store_list l = {0};
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if ((err = egca_store_exec_list(st,
	         "SELECT id, spki_der, created_at FROM audit_key"
	         " ORDER BY created_at, id",
	         NULL, 0, decode_key, sizeof(struct egca_audit_key_rec), &l)) !=
	    EGCA_OK) {
		egca_store_audit_key_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

void
egca_store_audit_checkpoint_rec_free(struct egca_audit_checkpoint_rec *r)
{
	if (r == NULL)
		return;
	free(r->head_hash);
	free(r->key_id);
	free(r->signature);
	memset(r, 0, sizeof(*r));
}

#define CP_COLS "seq, head_hash, ts, key_id, signature"

static enum egca_err
decode_cp(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_audit_checkpoint_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 5)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: audit_checkpoint");
	if ((err = egca_store_col_int(&c[0], &r->seq)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->head_hash)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[2], &r->ts)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->key_id)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[4], &r->signature, &r->signature_len)) != EGCA_OK)
		egca_store_audit_checkpoint_rec_free(r);
	return err;
}

enum egca_err
egca_store_audit_checkpoint_insert(
    struct egca_store *st, const struct egca_audit_checkpoint_rec *r)
{
	struct store_val p[5];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_int(r->seq);
	p[1] = egca_store_text(r->head_hash);
	p[2] = egca_store_int(r->ts);
	p[3] = egca_store_text(r->key_id);
	p[4] = egca_store_blob(r->signature, r->signature_len);
	if ((err = egca_store_exec(st,
	         "INSERT INTO audit_checkpoint (" CP_COLS ")"
	         " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
	         p, 5, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "audit checkpoint at seq %lld already exists",
		    (long long)r->seq);
	return EGCA_OK;
}

enum egca_err
egca_store_audit_checkpoint_last(
    struct egca_store *st, struct egca_audit_checkpoint_rec *out)
{
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	err = egca_store_exec_one(st,
	    "SELECT " CP_COLS
	    " FROM audit_checkpoint ORDER BY seq DESC LIMIT 1",
	    NULL, 0, decode_cp, out);
	if (err != EGCA_OK)
		egca_store_audit_checkpoint_rec_free(out);
	return err;
}

enum egca_err
egca_store_audit_checkpoint_each(
    struct egca_store *st, egca_store_checkpoint_fn fn, void *arg)
{
	struct store_list l = {0};
	struct egca_audit_checkpoint_rec *v;
	struct store_val p[2];
	enum egca_err err = EGCA_OK;
	int64_t after = 0;
	size_t i;
	int stop = 0;

	/* Pages of PAGE, fn called with no statement open. */
	while (!stop) {
		p[0] = egca_store_int(after);
		p[1] = egca_store_int(PAGE);
		if ((err = egca_store_exec_list(st,
		         "SELECT " CP_COLS " FROM audit_checkpoint"
		         " WHERE seq > $1 ORDER BY seq LIMIT $2",
		         p, 2, decode_cp,
		         sizeof(struct egca_audit_checkpoint_rec), &l)) !=
		    EGCA_OK)
			break;
		v = l.v;
		for (i = 0; i < l.n && !stop; i++)
			stop = fn(&v[i], arg);
		if (l.n < PAGE)
			stop = 1;
		else
			after = v[l.n - 1].seq;
		for (i = 0; i < l.n; i++)
			egca_store_audit_checkpoint_rec_free(&v[i]);
		l.n = 0;
	}
	if (err != EGCA_OK) {
		v = l.v;
		for (i = 0; i < l.n; i++)
			egca_store_audit_checkpoint_rec_free(&v[i]);
	}
	free(l.v);
	return err;
}
