/* CA records (include/egca/store.h, table ca). */
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"
#include "store/backend.h"

#define CA_COLS                                                                \
	"name, status, mode, key_alg, key_file, subject, subject_der,"         \
	" cert_der, csr_der, chain_pem, created_at, not_after"

void
egca_store_ca_rec_free(struct egca_ca_rec *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->status);
	free(r->mode);
	free(r->key_alg);
	free(r->key_file);
	free(r->subject);
	free(r->subject_der);
	free(r->cert_der);
	free(r->csr_der);
	free(r->chain_pem);
	memset(r, 0, sizeof(*r));
}

static enum egca_err
decode(const struct store_val *c, size_t ncol, struct egca_ca_rec *r)
{
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 12)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: ca columns");
	if ((err = egca_store_col_text(&c[0], &r->name)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->status)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->mode)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->key_alg)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->key_file)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->subject)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[6], &r->subject_der, &r->subject_der_len)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[7], &r->cert_der, &r->cert_der_len)) != EGCA_OK ||
	    (err = egca_store_col_blob(&c[8], &r->csr_der, &r->csr_der_len)) !=
	        EGCA_OK ||
	    (err = egca_store_col_text(&c[9], &r->chain_pem)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[10], &r->created_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[11], &r->not_after)) != EGCA_OK)
		goto out;
	err = EGCA_OK;
out:
	if (err != EGCA_OK)
		egca_store_ca_rec_free(r);
	return err;
}

enum egca_err
egca_store_ca_insert(struct egca_store *st, const struct egca_ca_rec *r)
{
	struct store_val p[12];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->name);
	p[1] = egca_store_text(r->status);
	p[2] = egca_store_text(r->mode);
	p[3] = egca_store_text(r->key_alg);
	p[4] = egca_store_text(r->key_file);
	p[5] = egca_store_text(r->subject);
	p[6] = egca_store_blob(r->subject_der, r->subject_der_len);
	p[7] = egca_store_blob(r->cert_der, r->cert_der_len);
	p[8] = egca_store_blob(r->csr_der, r->csr_der_len);
	p[9] = egca_store_text(r->chain_pem ? r->chain_pem : "");
	p[10] = egca_store_int(r->created_at);
	p[11] = egca_store_int(r->not_after);
	/*
	 * ON CONFLICT DO NOTHING rather than a unique violation: on
	 * PostgreSQL an error would abort the caller's transaction.
	 */
	if ((err = egca_store_exec(st,
	         "INSERT INTO ca (" CA_COLS ") VALUES ($1, $2, $3, $4, $5, $6,"
	         " $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
	         p, 12, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "CA %s already exists", r->name);
	return EGCA_OK;
}

enum egca_err
egca_store_ca_activate(struct egca_store *st, const struct egca_ca_rec *r)
{
	struct store_val p[5];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->name);
	p[1] = egca_store_text(r->status);
	p[2] = egca_store_blob(r->cert_der, r->cert_der_len);
	p[3] = egca_store_text(r->chain_pem ? r->chain_pem : "");
	p[4] = egca_store_int(r->not_after);
	if ((err = egca_store_exec(st,
	         "UPDATE ca SET status = $2, cert_der = $3, chain_pem = $4,"
	         " not_after = $5 WHERE name = $1",
	         p, 5, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_NOTFOUND, "no CA named %s", r->name);
	return EGCA_OK;
}

static enum egca_err
decode_one(const struct store_val *col, size_t ncol, void *rec)
{
	return decode(col, ncol, rec);
}

enum egca_err
egca_store_ca_get(
    struct egca_store *st, const char *name, struct egca_ca_rec *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(name);
	if ((err = egca_store_exec_one(st,
	         "SELECT " CA_COLS " FROM ca WHERE name = $1", p, 1, decode_one,
	         out)) != EGCA_OK) {
		egca_store_ca_rec_free(out);
		if (err != EGCA_ERR_NOTFOUND)
			return err;
		return egca_err_set(EGCA_ERR_NOTFOUND, "no CA named %s", name);
	}
	return EGCA_OK;
}

enum egca_err
egca_store_ca_list(struct egca_store *st, struct egca_ca_rec **out, size_t *n)
{
	struct store_list l = {0};
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if ((err = egca_store_exec_list(st,
	         "SELECT " CA_COLS " FROM ca ORDER BY name", NULL, 0,
	         decode_one, sizeof(struct egca_ca_rec), &l)) != EGCA_OK) {
		egca_store_ca_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

void
egca_store_ca_list_free(struct egca_ca_rec *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_ca_rec_free(&list[i]);
	free(list);
}
