/*
 * CRLs (tables crl and crl_counter, schema 002_crl.sql) and the
 * streaming reads the CRL builder is fed from.
 *
 * The entry iterators page by serial (keyset, not OFFSET) inside one
 * read snapshot: each page is copied into a fixed array and handed to
 * the callback with no statement open, so a CRL of a million entries
 * costs one page of memory here, on SQLite and on PostgreSQL (whose
 * client library would otherwise buffer the whole result).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"
#include "store/backend.h"

/* Rows per query of the entry iterators. */
#define PAGE 4096
/* Longest serial (20 octets, hex) + NUL. */
#define SERIAL_MAX 41

#define CRL_COLS                                                               \
	"ca, number, delta, base_number, this_update, next_update, entries, "  \
	"sm3"

void
egca_store_crl_rec_free(struct egca_crl_rec *r)
{
	if (r == NULL)
		return;
	free(r->ca);
	free(r->der);
	free(r->sm3);
	memset(r, 0, sizeof(*r));
}

/* ---- numbers ---- */

struct number_arg {
	const char *ca;
	int64_t number;
};

static enum egca_err
one_int(void *arg, const struct store_val *col, size_t ncol)
{
	if (ncol != 1)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: columns");
	return egca_store_col_int(&col[0], arg);
}

static enum egca_err
number_tx(struct egca_store *st, void *arg)
{
	struct number_arg *a = arg;
	struct store_val p[2];
	enum egca_err err;
	int64_t n, changes;

	p[0] = egca_store_text(a->ca);
	/* The first CRL of a CA is number 1 (RFC 5280: non-negative). */
	if ((err = egca_store_exec(st,
	         "INSERT INTO crl_counter (ca, next_number) VALUES ($1, 1)"
	         " ON CONFLICT DO NOTHING",
	         p, 1, NULL, NULL, NULL)) != EGCA_OK) {
		if (err == EGCA_ERR_NOTFOUND)
			return egca_err_set(err, "no CA %s", a->ca);
		return err;
	}
	n = 0;
	if ((err = egca_store_exec(st,
	         "SELECT next_number FROM crl_counter WHERE ca = $1", p, 1,
	         one_int, &n, NULL)) != EGCA_OK)
		return err;
	if (n <= 0 || n == INT64_MAX)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "CA %s: CRL number counter at %lld", a->ca, (long long)n);
	/*
	 * The read and the write are one serializable transaction: a
	 * concurrent writer of the same row makes one of the two retry.
	 */
	p[1] = egca_store_int(n);
	if ((err = egca_store_exec(st,
	         "UPDATE crl_counter SET next_number = $2 + 1"
	         " WHERE ca = $1 AND next_number = $2",
	         p, 2, NULL, NULL, &changes)) != EGCA_OK)
		return err;
	if (changes != 1)
		return egca_err_set(EGCA_ERR_CONFLICT,
		    "CA %s: CRL number %lld taken concurrently", a->ca,
		    (long long)n);
	a->number = n;
	return EGCA_OK;
}

enum egca_err
egca_store_crl_next_number(
    struct egca_store *st, const char *ca, int64_t *number)
{
	struct number_arg a = {ca, 0};
	enum egca_err err;

	*number = 0;
	if ((err = egca_store_tx(st, number_tx, &a)) != EGCA_OK)
		return err;
	*number = a.number;
	return EGCA_OK;
}

/* ---- CRL rows ---- */

enum egca_err
egca_store_crl_insert(struct egca_store *st, const struct egca_crl_rec *r)
{
	struct store_val p[9];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->ca);
	p[1] = egca_store_int(r->number);
	p[2] = egca_store_int(r->delta ? 1 : 0);
	p[3] = egca_store_int(r->base_number);
	p[4] = egca_store_int(r->this_update);
	p[5] = egca_store_int(r->next_update);
	p[6] = egca_store_int(r->entries);
	p[7] = egca_store_blob(r->der, r->der_len);
	p[8] = egca_store_text(r->sm3);
	if ((err = egca_store_exec(st,
	         "INSERT INTO crl (" CRL_COLS ", der) VALUES ($1, $2, $3, $4,"
	         " $5, $6, $7, $9, $8) ON CONFLICT DO NOTHING",
	         p, 9, NULL, NULL, &n)) != EGCA_OK) {
		if (err == EGCA_ERR_NOTFOUND)
			return egca_err_set(err, "no CA %s", r->ca);
		return err;
	}
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "CRL %lld (%s) of CA %s already exists",
		    (long long)r->number, r->delta ? "delta" : "full", r->ca);
	return EGCA_OK;
}

struct latest_arg {
	struct egca_crl_rec *rec;
	int found;
};

static enum egca_err
latest_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct latest_arg *a = arg;
	struct egca_crl_rec *r = a->rec;
	int64_t delta;
	enum egca_err err;

	if (a->found)
		return EGCA_OK;
	if (ncol != 8 && ncol != 9)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: crl columns");
	if ((err = egca_store_col_text(&c[0], &r->ca)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[1], &r->number)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[2], &delta)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[3], &r->base_number)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &r->this_update)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &r->next_update)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &r->entries)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->sm3)) != EGCA_OK)
		return err;
	r->delta = delta != 0;
	if (ncol == 9 &&
	    (err = egca_store_col_blob(&c[8], &r->der, &r->der_len)) != EGCA_OK)
		return err;
	a->found = 1;
	return EGCA_OK;
}

enum egca_err
egca_store_crl_latest(struct egca_store *st, const char *ca, int delta,
    int with_der, struct egca_crl_rec *out)
{
	struct latest_arg a = {out, 0};
	struct store_val p[2];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(ca);
	p[1] = egca_store_int(delta ? 1 : 0);
	if ((err = egca_store_exec(st,
	         with_der ? "SELECT " CRL_COLS ", der FROM crl WHERE ca = $1"
	                    " AND delta = $2 ORDER BY number DESC LIMIT 1"
	                  : "SELECT " CRL_COLS " FROM crl WHERE ca = $1"
	                    " AND delta = $2 ORDER BY number DESC LIMIT 1",
	         p, 2, latest_row, &a, NULL)) != EGCA_OK) {
		egca_store_crl_rec_free(out);
		return err;
	}
	if (!a.found)
		return egca_err_set(EGCA_ERR_NOTFOUND, "no %s CRL of CA %s",
		    delta ? "delta" : "full", ca);
	return EGCA_OK;
}

enum egca_err
egca_store_crl_last_change(struct egca_store *st, const char *ca, int64_t *at)
{
	struct store_val p[1];

	*at = 0;
	p[0] = egca_store_text(ca);
	return egca_store_exec(st,
	    "SELECT COALESCE(MAX(status_changed_at), 0) FROM certificate"
	    " WHERE ca = $1",
	    p, 1, one_int, at, NULL);
}

/* ---- entry iterators ---- */

struct page_ent {
	char serial[SERIAL_MAX];
	char status[8];
	int reason;
	int64_t revoked_at, invalidity_date, changed_at;
};

struct page {
	struct page_ent v[PAGE];
	size_t n;
};

static enum egca_err
page_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct page *pg = arg;
	struct page_ent *e;
	int64_t reason;
	enum egca_err err;

	if (ncol != 6)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: crl columns");
	if (pg->n >= PAGE)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: page overflow");
	e = &pg->v[pg->n];
	if (c[0].type != STORE_TEXT || c[0].len == 0 ||
	    c[0].len >= sizeof(e->serial))
		return egca_err_set(
		    EGCA_ERR_INTEGRITY, "store: malformed certificate serial");
	if (c[1].type != STORE_TEXT || c[1].len >= sizeof(e->status))
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "certificate %.*s: malformed status", (int)c[0].len,
		    c[0].s);
	memcpy(e->serial, c[0].s, c[0].len + 1);
	memcpy(e->status, c[1].s, c[1].len + 1);
	if ((err = egca_store_col_int(&c[2], &reason)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[3], &e->revoked_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &e->invalidity_date)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &e->changed_at)) != EGCA_OK)
		return err;
	if (reason < -1 || reason > 10)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "certificate %s: bad reason %lld", e->serial,
		    (long long)reason);
	e->reason = (int)reason;
	pg->n++;
	return EGCA_OK;
}

struct each_arg {
	const char *sql; /* $1 ca, $2 after serial, $3 limit, then extra */
	const char *ca;
	int64_t extra[2];
	size_t nextra;
	egca_store_crl_fn fn;
	void *arg;
};

static enum egca_err
each_read(struct egca_store *st, void *arg)
{
	struct each_arg *a = arg;
	struct egca_crl_entry ent;
	struct store_val p[5];
	struct page *pg;
	char after[SERIAL_MAX] = "";
	enum egca_err err = EGCA_OK;
	size_t i;

	if ((pg = malloc(sizeof(*pg))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	for (;;) {
		pg->n = 0;
		p[0] = egca_store_text(a->ca);
		p[1] = egca_store_text(after);
		p[2] = egca_store_int(PAGE);
		for (i = 0; i < a->nextra; i++)
			p[3 + i] = egca_store_int(a->extra[i]);
		if ((err = egca_store_exec(st, a->sql, p, 3 + a->nextra,
		         page_row, pg, NULL)) != EGCA_OK)
			break;
		for (i = 0; i < pg->n; i++) {
			ent.serial = pg->v[i].serial;
			ent.status = pg->v[i].status;
			ent.reason = pg->v[i].reason;
			ent.revoked_at = pg->v[i].revoked_at;
			ent.invalidity_date = pg->v[i].invalidity_date;
			ent.changed_at = pg->v[i].changed_at;
			if ((err = a->fn(&ent, a->arg)) != EGCA_OK)
				goto out;
		}
		if (pg->n < PAGE)
			break;
		memcpy(after, pg->v[pg->n - 1].serial, sizeof(after));
	}
out:
	free(pg);
	return err;
}

#define ENTRY_COLS                                                             \
	"SELECT serial, status, reason, revoked_at, invalidity_date,"          \
	" status_changed_at FROM certificate WHERE ca = $1 AND serial > $2"

enum egca_err
egca_store_crl_each_revoked(struct egca_store *st, const char *ca,
    int64_t valid_at, egca_store_crl_fn fn, void *arg)
{
	struct each_arg a = {
	    /* "status <> 'good'" as in the partial index certificate_crl. */
	    ENTRY_COLS " AND status <> 'good' AND not_after >= $4"
	               " ORDER BY serial LIMIT $3",
	    ca, {valid_at, 0}, 1, fn, arg};

	return egca_store_read(st, each_read, &a);
}

enum egca_err
egca_store_crl_each_changed(struct egca_store *st, const char *ca,
    int64_t since, int64_t valid_at, egca_store_crl_fn fn, void *arg)
{
	struct each_arg a = {ENTRY_COLS
	    " AND status_changed_at >= $4 AND status_changed_at > 0"
	    " AND (status = 'good' OR not_after >= $5)"
	    " ORDER BY serial LIMIT $3",
	    ca, {since, valid_at}, 2, fn, arg};

	return egca_store_read(st, each_read, &a);
}
