/*
 * Dual certificates (schema 9): the KM material of an application
 * (app_dual) and the link between a signing certificate and its
 * encryption certificate (cert_pair). include/egca/store.h.
 */
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"
#include "store/backend.h"

#define DUAL_COLS                                                              \
	"app, ca, enc_serial, sign_serial, enc_spki, envelope, created_at,"    \
	" expires_at"

void
egca_store_dual_clear(struct egca_app_dual_rec *r)
{
	if (r == NULL)
		return;
	free(r->app);
	free(r->ca);
	free(r->enc_serial);
	free(r->sign_serial);
	free(r->enc_spki);
	free(r->envelope);
	memset(r, 0, sizeof(*r));
}

static enum egca_err
dual_decode(const struct store_val *c, size_t n, void *arg)
{
	struct egca_app_dual_rec *r = arg;
	enum egca_err e;

	if (n != 8)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: app_dual columns");
	if ((e = egca_store_col_text(&c[0], &r->app)) != EGCA_OK ||
	    (e = egca_store_col_text(&c[1], &r->ca)) != EGCA_OK ||
	    (e = egca_store_col_text(&c[2], &r->enc_serial)) != EGCA_OK ||
	    (e = egca_store_col_text(&c[3], &r->sign_serial)) != EGCA_OK ||
	    (e = egca_store_col_blob(&c[4], &r->enc_spki, &r->enc_spki_len)) !=
	        EGCA_OK ||
	    (e = egca_store_col_blob(&c[5], &r->envelope, &r->envelope_len)) !=
	        EGCA_OK ||
	    (e = egca_store_col_int(&c[6], &r->created_at)) != EGCA_OK ||
	    (e = egca_store_col_int(&c[7], &r->expires_at)) != EGCA_OK) {
		egca_store_dual_clear(r);
		return e;
	}
	return EGCA_OK;
}

enum egca_err
egca_store_dual_insert(struct egca_store *st, const struct egca_app_dual_rec *r)
{
	struct store_val p[8];
	int64_t n = 0;
	enum egca_err e;

	p[0] = egca_store_text(r->app);
	p[1] = egca_store_text(r->ca);
	p[2] = egca_store_text(r->enc_serial);
	p[3] = egca_store_text(r->sign_serial);
	p[4] = egca_store_blob(r->enc_spki, r->enc_spki_len);
	p[5] = egca_store_blob(r->envelope, r->envelope_len);
	p[6] = egca_store_int(r->created_at);
	p[7] = egca_store_int(r->expires_at);
	if ((e = egca_store_exec(st,
	         "INSERT INTO app_dual (" DUAL_COLS ") VALUES ($1, $2, $3, $4,"
	         " $5, $6, $7, $8) ON CONFLICT DO NOTHING",
	         p, 8, NULL, NULL, &n)) != EGCA_OK)
		return e;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "application %s has KM material already", r->app);
	return EGCA_OK;
}

enum egca_err
egca_store_dual_get(
    struct egca_store *st, const char *app, struct egca_app_dual_rec *out)
{
	struct store_val p[1];

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(app);
	return egca_store_exec_one(st,
	    "SELECT " DUAL_COLS " FROM app_dual WHERE app = $1", p, 1,
	    dual_decode, out);
}

enum egca_err
egca_store_dual_set_sign(
    struct egca_store *st, const char *app, const char *sign_serial)
{
	struct store_val p[2];
	int64_t n = 0;
	enum egca_err e;

	p[0] = egca_store_text(app);
	p[1] = egca_store_text(sign_serial);
	if ((e = egca_store_exec(st,
	         "UPDATE app_dual SET sign_serial = $2 WHERE app = $1", p, 2,
	         NULL, NULL, &n)) != EGCA_OK)
		return e;
	return n == 1 ? EGCA_OK : EGCA_ERR_NOTFOUND;
}

enum egca_err
egca_store_dual_delete(struct egca_store *st, const char *app)
{
	struct store_val p[1];

	p[0] = egca_store_text(app);
	return egca_store_exec(
	    st, "DELETE FROM app_dual WHERE app = $1", p, 1, NULL, NULL, NULL);
}

enum egca_err
egca_store_dual_expire(struct egca_store *st, int64_t now, int64_t *n)
{
	struct store_val p[1];

	p[0] = egca_store_int(now);
	return egca_store_exec(st,
	    "UPDATE app_dual SET envelope = NULL WHERE envelope IS NOT NULL"
	    " AND expires_at <= $1",
	    p, 1, NULL, NULL, n);
}

enum egca_err
egca_store_pair_insert(struct egca_store *st, const char *ca,
    const char *sign_serial, const char *enc_serial, const char *app,
    int64_t at)
{
	struct store_val p[5];

	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(sign_serial);
	p[2] = egca_store_text(enc_serial);
	p[3] = egca_store_text(app);
	p[4] = egca_store_int(at);
	return egca_store_exec(st,
	    "INSERT INTO cert_pair (ca, sign_serial, enc_serial, app,"
	    " created_at) VALUES ($1, $2, $3, $4, $5)",
	    p, 5, NULL, NULL, NULL);
}

static enum egca_err
text_decode(const struct store_val *c, size_t n, void *arg)
{
	if (n != 1)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: one column");
	return egca_store_col_text(&c[0], arg);
}

enum egca_err
egca_store_pair_enc_of(struct egca_store *st, const char *ca,
    const char *sign_serial, char **enc_serial)
{
	struct store_val p[2];

	*enc_serial = NULL;
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(sign_serial);
	return egca_store_exec_one(st,
	    "SELECT enc_serial FROM cert_pair WHERE ca = $1 AND"
	    " sign_serial = $2",
	    p, 2, text_decode, enc_serial);
}

enum egca_err
egca_store_pair_sign_of(struct egca_store *st, const char *ca,
    const char *enc_serial, const char *except, char **sign_serial)
{
	struct store_val p[3];

	*sign_serial = NULL;
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(enc_serial);
	p[2] = egca_store_text(except != NULL ? except : "");
	return egca_store_exec_one(st,
	    "SELECT sign_serial FROM cert_pair WHERE ca = $1 AND"
	    " enc_serial = $2 AND sign_serial <> $3"
	    " ORDER BY created_at DESC, sign_serial LIMIT 1",
	    p, 3, text_decode, sign_serial);
}

enum egca_err
egca_store_serial_is_reserved(struct egca_store *st, const char *ca,
    const char *serial_hex, int *reserved)
{
	struct store_val p[2];
	int64_t n = 0;
	enum egca_err e;

	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial_hex);
	e = egca_store_exec(st,
	    "SELECT count(*) FROM serial_reservation WHERE ca = $1 AND"
	    " serial = $2",
	    p, 2, egca_store_count_row, &n, NULL);
	*reserved = n > 0;
	return e;
}
