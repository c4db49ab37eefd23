/*
 * Pre-signed OCSP responses (table ocsp_response) and delegated OCSP
 * signers (table ocsp_signer), schema 003.
 *
 * What this does not check: that a stored response says what the
 * certificate row says (status/ signs them from that row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"
#include "store/backend.h"

#define OCSP_COLS                                                              \
	"ca, serial, cert_status, this_update, next_update, produced_at,"      \
	" stale, signer, updated_at"

void
egca_store_ocsp_rec_free(struct egca_ocsp_rec *r)
{
	if (r == NULL)
		return;
	free(r->ca);
	free(r->serial);
	free(r->cert_status);
	free(r->der);
	free(r->signer);
	memset(r, 0, sizeof(*r));
}

/* OCSP_COLS, then der when ncol is 10. */
static enum egca_err
decode(const struct store_val *c, size_t ncol, struct egca_ocsp_rec *r)
{
	enum egca_err err;
	int64_t stale;

	memset(r, 0, sizeof(*r));
	if (ncol != 9 && ncol != 10)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: ocsp columns");
	if ((err = egca_store_col_text(&c[0], &r->ca)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->serial)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->cert_status)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[3], &r->this_update)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &r->next_update)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &r->produced_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &stale)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->signer)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[8], &r->updated_at)) != EGCA_OK)
		goto out;
	if (ncol == 10 &&
	    (err = egca_store_col_blob(&c[9], &r->der, &r->der_len)) != EGCA_OK)
		goto out;
	r->stale = stale != 0;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_ocsp_rec_free(r);
	return err;
}

enum egca_err
egca_store_ocsp_put(struct egca_store *st, const struct egca_ocsp_rec *r)
{
	struct store_val p[9];
	enum egca_err err;

	p[0] = egca_store_text(r->ca);
	p[1] = egca_store_text(r->serial);
	p[2] = egca_store_text(r->cert_status);
	p[3] = egca_store_blob(r->der, r->der_len);
	p[4] = egca_store_int(r->this_update);
	p[5] = egca_store_int(r->next_update);
	p[6] = egca_store_int(r->produced_at);
	p[7] = egca_store_text(r->signer ? r->signer : "");
	p[8] = egca_store_int(r->updated_at);
	err = egca_store_exec(st,
	    "INSERT INTO ocsp_response (ca, serial, cert_status, der,"
	    " this_update, next_update, produced_at, stale, signer,"
	    " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)"
	    " ON CONFLICT (ca, serial) DO UPDATE SET"
	    " cert_status = excluded.cert_status, der = excluded.der,"
	    " this_update = excluded.this_update,"
	    " next_update = excluded.next_update,"
	    " produced_at = excluded.produced_at, stale = 0,"
	    " signer = excluded.signer, updated_at = excluded.updated_at",
	    p, 9, NULL, NULL, NULL);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err,
		    "OCSP response: no certificate %s of CA %s", r->serial,
		    r->ca);
	return err;
}

enum egca_err
egca_store_ocsp_mark_stale(
    struct egca_store *st, const char *ca, const char *serial_hex, int64_t now)
{
	struct store_val p[3];

	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial_hex);
	p[2] = egca_store_int(now);
	return egca_store_exec(st,
	    "INSERT INTO ocsp_response (ca, serial, cert_status, stale,"
	    " updated_at) VALUES ($1, $2, 'stale', 1, $3)"
	    " ON CONFLICT (ca, serial) DO UPDATE SET stale = 1,"
	    " updated_at = excluded.updated_at",
	    p, 3, NULL, NULL, NULL);
}

static enum egca_err
decode_one(const struct store_val *col, size_t ncol, void *rec)
{
	return decode(col, ncol, rec);
}

enum egca_err
egca_store_ocsp_get(struct egca_store *st, const char *ca,
    const char *serial_hex, struct egca_ocsp_rec *out)
{
	struct store_val p[2];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial_hex);
	if ((err = egca_store_exec_one(st,
	         "SELECT " OCSP_COLS ", der FROM ocsp_response"
	         " WHERE ca = $1 AND serial = $2",
	         p, 2, decode_one, out)) != EGCA_OK) {
		egca_store_ocsp_rec_free(out);
		if (err != EGCA_ERR_NOTFOUND)
			return err;
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "no OCSP response for %s of CA %s", serial_hex, ca);
	}
	return EGCA_OK;
}

struct each_arg {
	egca_store_ocsp_fn fn;
	void *arg;
};

static enum egca_err
each_row(void *arg, const struct store_val *col, size_t ncol)
{
	struct each_arg *a = arg;
	struct egca_ocsp_rec r;
	enum egca_err err;

	if ((err = decode(col, ncol, &r)) != EGCA_OK)
		return err;
	err = a->fn(&r, a->arg);
	egca_store_ocsp_rec_free(&r);
	return err;
}

static int64_t
lim(size_t limit)
{
	return limit == 0 || limit > (size_t)INT64_MAX ? INT64_MAX
	                                               : (int64_t)limit;
}

enum egca_err
egca_store_ocsp_each_changed(struct egca_store *st, const char *ca,
    int64_t since, size_t limit, egca_store_ocsp_fn fn, void *arg)
{
	struct each_arg a = {fn, arg};
	struct store_val p[3];

	p[0] = egca_store_text(ca);
	p[1] = egca_store_int(since);
	p[2] = egca_store_int(lim(limit));
	return egca_store_exec(st,
	    "SELECT " OCSP_COLS ", der FROM ocsp_response"
	    " WHERE (CAST($1 AS TEXT) IS NULL OR ca = $1) AND updated_at > $2"
	    " ORDER BY updated_at, ca, serial LIMIT $3",
	    p, 3, each_row, &a, NULL);
}

enum egca_err
egca_store_ocsp_each_due(struct egca_store *st, const char *ca, int64_t now,
    size_t limit, egca_store_ocsp_fn fn, void *arg)
{
	struct each_arg a = {fn, arg};
	struct store_val p[3];

	p[0] = egca_store_text(ca);
	p[1] = egca_store_int(now);
	p[2] = egca_store_int(lim(limit));
	return egca_store_exec(st,
	    "SELECT " OCSP_COLS " FROM ocsp_response"
	    " WHERE (CAST($1 AS TEXT) IS NULL OR ca = $1) AND (stale = 1"
	    " OR 2 * $2 > this_update + next_update)"
	    " ORDER BY stale DESC, next_update, ca, serial LIMIT $3",
	    p, 3, each_row, &a, NULL);
}

/* ---- delegated signers ---- */

#define SIGNER_COLS                                                            \
	"ca, serial, cert_der, key_file, not_before, not_after, active,"       \
	" created_at"

void
egca_store_ocsp_signer_rec_free(struct egca_ocsp_signer_rec *r)
{
	if (r == NULL)
		return;
	free(r->ca);
	free(r->serial);
	free(r->cert_der);
	free(r->key_file);
	memset(r, 0, sizeof(*r));
}

enum egca_err
egca_store_ocsp_signer_insert(
    struct egca_store *st, const struct egca_ocsp_signer_rec *r)
{
	struct store_val p[8];
	enum egca_err err;
	int64_t n;

	if (r->active) {
		p[0] = egca_store_text(r->ca);
		if ((err = egca_store_exec(st,
		         "UPDATE ocsp_signer SET active = 0 WHERE ca = $1", p,
		         1, NULL, NULL, NULL)) != EGCA_OK)
			return err;
	}
	p[0] = egca_store_text(r->ca);
	p[1] = egca_store_text(r->serial);
	p[2] = egca_store_blob(r->cert_der, r->cert_der_len);
	p[3] = egca_store_text(r->key_file);
	p[4] = egca_store_int(r->not_before);
	p[5] = egca_store_int(r->not_after);
	p[6] = egca_store_int(r->active ? 1 : 0);
	p[7] = egca_store_int(r->created_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO ocsp_signer (" SIGNER_COLS ") VALUES ($1, $2,"
	         " $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
	         p, 8, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "OCSP signer %s of CA %s exists", r->serial, r->ca);
	return EGCA_OK;
}

struct signer_arg {
	struct egca_ocsp_signer_rec *rec;
	int found;
};

static enum egca_err
signer_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct signer_arg *g = arg;
	struct egca_ocsp_signer_rec *r = g->rec;
	enum egca_err err;
	int64_t active;

	if (g->found)
		return EGCA_OK;
	if (ncol != 8)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: signer columns");
	if ((err = egca_store_col_text(&c[0], &r->ca)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->serial)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[2], &r->cert_der, &r->cert_der_len)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->key_file)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &r->not_before)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &r->not_after)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &active)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[7], &r->created_at)) != EGCA_OK) {
		egca_store_ocsp_signer_rec_free(r);
		return err;
	}
	r->active = active != 0;
	g->found = 1;
	return EGCA_OK;
}

enum egca_err
egca_store_ocsp_signer_active(
    struct egca_store *st, const char *ca, struct egca_ocsp_signer_rec *out)
{
	struct signer_arg g = {.rec = out};
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(ca);
	if ((err = egca_store_exec(st,
	         "SELECT " SIGNER_COLS " FROM ocsp_signer WHERE ca = $1"
	         " AND active = 1 ORDER BY not_after DESC LIMIT 1",
	         p, 1, signer_row, &g, NULL)) != EGCA_OK) {
		egca_store_ocsp_signer_rec_free(out);
		return err;
	}
	if (!g.found)
		return egca_err_set(
		    EGCA_ERR_NOTFOUND, "CA %s has no active OCSP signer", ca);
	return EGCA_OK;
}
