/*
 * The key management centre's tables (schema 8): the master key's check
 * value and threshold, share check values, the trust list of CA
 * certificates, escrowed keys, task numbers and judicial recovery.
 * Inserts use ON CONFLICT DO NOTHING so a duplicate is EGCA_ERR_EXISTS
 * without aborting the caller's PostgreSQL transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "egca/store.h"
#include "store/backend.h"

/* ---- km_master ---- */

void
egca_store_km_master_rec_free(struct egca_km_master_rec *r)
{
	if (r == NULL)
		return;
	free(r->km_id);
	free(r->kcv);
	memset(r, 0, sizeof(*r));
}

static enum egca_err
master_decode(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_km_master_rec *r = rec;
	int64_t t, n;
	enum egca_err err;

	if (ncol != 5)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: km_master columns");
	if ((err = egca_store_col_text(&c[0], &r->km_id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->kcv)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[2], &t)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[3], &n)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[4], &r->created_at)) != EGCA_OK)
		return err;
	r->threshold = (int)t;
	r->custodians = (int)n;
	return EGCA_OK;
}

enum egca_err
egca_store_km_master_insert(
    struct egca_store *st, const struct egca_km_master_rec *r)
{
	struct store_val p[5];
	enum egca_err err;
	int64_t n = 0;

	if ((err = egca_store_exec(st, "SELECT count(*) FROM km_master", NULL,
	         0, egca_store_count_row, &n, NULL)) != EGCA_OK)
		return err;
	if (n != 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "this store already holds a KM");
	p[0] = egca_store_text(r->km_id);
	p[1] = egca_store_text(r->kcv);
	p[2] = egca_store_int(r->threshold);
	p[3] = egca_store_int(r->custodians);
	p[4] = egca_store_int(r->created_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO km_master (km_id, kcv, threshold, custodians,"
	         " created_at) VALUES ($1, $2, $3, $4, $5)"
	         " ON CONFLICT DO NOTHING",
	         p, 5, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "this store already holds a KM");
	return EGCA_OK;
}

enum egca_err
egca_store_km_master_get(struct egca_store *st, struct egca_km_master_rec *out)
{
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	if ((err = egca_store_exec_one(st,
	         "SELECT km_id, kcv, threshold, custodians, created_at"
	         " FROM km_master",
	         NULL, 0, master_decode, out)) != EGCA_OK) {
		egca_store_km_master_rec_free(out);
		if (err == EGCA_ERR_NOTFOUND)
			return egca_err_set(
			    err, "this store holds no KM (run egca km init)");
		return err;
	}
	return EGCA_OK;
}

/* ---- km_share_check ---- */

enum egca_err
egca_store_km_share_check_put(
    struct egca_store *st, int idx, const char *check_hex)
{
	struct store_val p[2];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_int(idx);
	p[1] = egca_store_text(check_hex);
	if ((err = egca_store_exec(st,
	         "INSERT INTO km_share_check (idx, check_hash) VALUES ($1, $2)"
	         " ON CONFLICT DO NOTHING",
	         p, 2, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "share %d already has a check value", idx);
	return EGCA_OK;
}

static enum egca_err
check_decode(const struct store_val *c, size_t ncol, void *rec)
{
	char *out = rec;

	if (ncol != 1 || c[0].type != STORE_TEXT || c[0].len != 64)
		return egca_err_set(
		    EGCA_ERR_INTEGRITY, "store: malformed share check value");
	memcpy(out, c[0].s, 64);
	out[64] = '\0';
	return EGCA_OK;
}

enum egca_err
egca_store_km_share_check_get(
    struct egca_store *st, int idx, char check_hex[65])
{
	struct store_val p[1];
	enum egca_err err;

	check_hex[0] = '\0';
	p[0] = egca_store_int(idx);
	err = egca_store_exec_one(st,
	    "SELECT check_hash FROM km_share_check WHERE idx = $1", p, 1,
	    check_decode, check_hex);
	if (err == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "share %d is not one of this KM", idx);
	return err;
}

/* ---- km_trust ---- */

#define TRUST_COLS                                                             \
	"id, subject, serial, spki_sm3, cert_der, not_before, not_after,"      \
	" state, added_at, revoked_at"

void
egca_store_km_trust_rec_free(struct egca_km_trust_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->subject);
	free(r->serial);
	free(r->spki_sm3);
	free(r->cert_der);
	free(r->state);
	memset(r, 0, sizeof(*r));
}

void
egca_store_km_trust_list_free(struct egca_km_trust_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_km_trust_rec_free(&l[i]);
	free(l);
}

static enum egca_err
trust_decode(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_km_trust_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 10)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: km_trust columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->subject)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->serial)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->spki_sm3)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[4], &r->cert_der, &r->cert_der_len)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[5], &r->not_before)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[6], &r->not_after)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->state)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[8], &r->added_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[9], &r->revoked_at)) != EGCA_OK) {
		egca_store_km_trust_rec_free(r);
		return err;
	}
	return EGCA_OK;
}

enum egca_err
egca_store_km_trust_insert(
    struct egca_store *st, const struct egca_km_trust_rec *r)
{
	struct store_val p[10];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->subject);
	p[2] = egca_store_text(r->serial);
	p[3] = egca_store_text(r->spki_sm3);
	p[4] = egca_store_blob(r->cert_der, r->cert_der_len);
	p[5] = egca_store_int(r->not_before);
	p[6] = egca_store_int(r->not_after);
	p[7] = egca_store_text(r->state ? r->state : "active");
	p[8] = egca_store_int(r->added_at);
	p[9] = egca_store_int(r->revoked_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO km_trust (" TRUST_COLS ") VALUES ($1, $2, $3,"
	         " $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
	         p, 10, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "the certificate %.16s... is already in the trust list",
		    r->id);
	return EGCA_OK;
}

enum egca_err
egca_store_km_trust_list(struct egca_store *st, const char *spki_sm3,
    struct egca_km_trust_rec **out, size_t *n)
{
	struct store_list l = {0};
	struct store_val p[1];
	enum egca_err err;

	*out = NULL;
	*n = 0;
	p[0] = egca_store_text(spki_sm3);
	err = spki_sm3 != NULL
	    ? egca_store_exec_list(st,
	          "SELECT " TRUST_COLS " FROM km_trust WHERE spki_sm3 = $1"
	          " ORDER BY added_at, id",
	          p, 1, trust_decode, sizeof(struct egca_km_trust_rec), &l)
	    : egca_store_exec_list(st,
	          "SELECT " TRUST_COLS " FROM km_trust ORDER BY added_at, id",
	          NULL, 0, trust_decode, sizeof(struct egca_km_trust_rec), &l);
	if (err != EGCA_OK) {
		egca_store_km_trust_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

enum egca_err
egca_store_km_trust_revoke(struct egca_store *st, const char *id, int64_t at)
{
	struct store_val p[2];
	enum egca_err err;
	int64_t n = 0;

	p[0] = egca_store_text(id);
	p[1] = egca_store_int(at);
	if ((err = egca_store_exec(st,
	         "UPDATE km_trust SET state = 'revoked', revoked_at = $2"
	         " WHERE id = $1 AND state = 'active'",
	         p, 2, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 1)
		return EGCA_OK;
	if ((err = egca_store_exec(st,
	         "SELECT count(*) FROM km_trust WHERE id = $1", p, 1,
	         egca_store_count_row, &n, NULL)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "no certificate %.64s in the trust list", id);
	return egca_err_set(EGCA_ERR_STATE,
	    "the certificate %.64s is already revoked in the trust list", id);
}

/* ---- escrowed_key ---- */

#define KEY_COLS_NOWRAP                                                        \
	"id, ca, ca_subject, cert_no, public_key, task,"                       \
	" holder_sign_spki_sm3, user_name, ds_code, not_before, not_after,"    \
	" state, created_at, revoked_at, retain_until"
#define KEY_COLS KEY_COLS_NOWRAP ", wrapped"

void
egca_store_km_key_rec_free(struct egca_km_key_rec *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->ca);
	free(r->ca_subject);
	free(r->cert_no);
	free(r->public_key);
	free(r->wrapped);
	free(r->task);
	free(r->holder_sign_spki_sm3);
	free(r->user_name);
	free(r->ds_code);
	free(r->state);
	memset(r, 0, sizeof(*r));
}

void
egca_store_km_key_list_free(struct egca_km_key_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_km_key_rec_free(&l[i]);
	free(l);
}

static enum egca_err
key_decode(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_km_key_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 15 && ncol != 16)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: escrowed_key columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->ca)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->ca_subject)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[3], &r->cert_no)) != EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[4], &r->public_key, &r->public_key_len)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->task)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[6], &r->holder_sign_spki_sm3)) !=
	        EGCA_OK ||
	    (err = egca_store_col_blob(
	         &c[7], &r->user_name, &r->user_name_len)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[8], &r->ds_code)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[9], &r->not_before)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[10], &r->not_after)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[11], &r->state)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[12], &r->created_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[13], &r->revoked_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[14], &r->retain_until)) != EGCA_OK ||
	    (ncol == 16 &&
	        (err = egca_store_col_blob(
	             &c[15], &r->wrapped, &r->wrapped_len)) != EGCA_OK)) {
		egca_store_km_key_rec_free(r);
		return err;
	}
	return EGCA_OK;
}

enum egca_err
egca_store_km_key_insert(struct egca_store *st, const struct egca_km_key_rec *r)
{
	struct store_val p[16];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->ca);
	p[2] = egca_store_text(r->ca_subject);
	p[3] = egca_store_text(r->cert_no);
	p[4] = egca_store_blob(r->public_key, r->public_key_len);
	p[5] = egca_store_text(r->task);
	p[6] = egca_store_text(r->holder_sign_spki_sm3);
	p[7] = egca_store_blob(r->user_name, r->user_name_len);
	p[8] = egca_store_text(r->ds_code);
	p[9] = egca_store_int(r->not_before);
	p[10] = egca_store_int(r->not_after);
	p[11] = egca_store_text(r->state ? r->state : "active");
	p[12] = egca_store_int(r->created_at);
	p[13] = egca_store_int(r->revoked_at);
	p[14] = egca_store_int(r->retain_until);
	p[15] = egca_store_blob(r->wrapped, r->wrapped_len);
	if ((err = egca_store_exec(st,
	         "INSERT INTO escrowed_key (" KEY_COLS ") VALUES ($1, $2, $3,"
	         " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
	         " ON CONFLICT DO NOTHING",
	         p, 16, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "userCertNO %.40s already has an escrowed key for this CA",
		    r->cert_no);
	return EGCA_OK;
}

enum egca_err
egca_store_km_key_get(
    struct egca_store *st, const char *id, struct egca_km_key_rec *out)
{
	struct store_val p[1];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(id);
	if ((err = egca_store_exec_one(st,
	         "SELECT " KEY_COLS " FROM escrowed_key WHERE id = $1", p, 1,
	         key_decode, out)) == EGCA_ERR_NOTFOUND)
		return egca_err_set(err, "no escrowed key %.32s", id);
	return err;
}

enum egca_err
egca_store_km_key_get_by_cert(struct egca_store *st, const char *ca,
    const char *cert_no, struct egca_km_key_rec *out)
{
	struct store_val p[2];
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(cert_no);
	if ((err = egca_store_exec_one(st,
	         "SELECT " KEY_COLS " FROM escrowed_key"
	         " WHERE ca = $1 AND cert_no = $2",
	         p, 2, key_decode, out)) == EGCA_ERR_NOTFOUND)
		return egca_err_set(err,
		    "no escrowed key for userCertNO %.40s of this CA", cert_no);
	return err;
}

/* Why a conditional update changed no row: absent or another state. */
static enum egca_err
key_unchanged(struct egca_store *st, const char *id, const char *what)
{
	struct store_val p[1];
	enum egca_err err;
	int64_t n = 0;

	p[0] = egca_store_text(id);
	if ((err = egca_store_exec(st,
	         "SELECT count(*) FROM escrowed_key WHERE id = $1", p, 1,
	         egca_store_count_row, &n, NULL)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_NOTFOUND, "no escrowed key %.32s", id);
	return egca_err_set(
	    EGCA_ERR_STATE, "escrowed key %.32s is %s", id, what);
}

enum egca_err
egca_store_km_key_revoke(
    struct egca_store *st, const char *id, int64_t at, int64_t retain_until)
{
	struct store_val p[3];
	enum egca_err err;
	int64_t n = 0;

	p[0] = egca_store_text(id);
	p[1] = egca_store_int(at);
	p[2] = egca_store_int(retain_until);
	if ((err = egca_store_exec(st,
	         "UPDATE escrowed_key SET state = 'revoked', revoked_at = $2,"
	         " retain_until = $3 WHERE id = $1 AND state = 'active'",
	         p, 3, NULL, NULL, &n)) != EGCA_OK)
		return err;
	return n == 1 ? EGCA_OK : key_unchanged(st, id, "already revoked");
}

enum egca_err
egca_store_km_key_set_holder(
    struct egca_store *st, const char *id, const char *holder_sm3)
{
	struct store_val p[2];
	enum egca_err err;
	int64_t n = 0;

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(holder_sm3);
	if ((err = egca_store_exec(st,
	         "UPDATE escrowed_key SET holder_sign_spki_sm3 = $2"
	         " WHERE id = $1 AND state = 'active'",
	         p, 2, NULL, NULL, &n)) != EGCA_OK)
		return err;
	return n == 1 ? EGCA_OK : key_unchanged(st, id, "revoked");
}

enum egca_err
egca_store_km_key_list(struct egca_store *st, const char *ca, size_t limit,
    size_t offset, struct egca_km_key_rec **out, size_t *n)
{
	struct store_list l = {0};
	struct store_val p[3];
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > 10000)
		limit = limit == 0 ? 100 : 10000;
	p[0] = egca_store_int((int64_t)limit);
	p[1] = egca_store_int((int64_t)offset);
	p[2] = egca_store_text(ca);
	err = egca_store_exec_list(st,
	    "SELECT " KEY_COLS_NOWRAP " FROM escrowed_key"
	    " WHERE (CAST($3 AS TEXT) IS NULL OR ca = $3)"
	    " ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
	    p, 3, key_decode, sizeof(struct egca_km_key_rec), &l);
	if (err != EGCA_OK) {
		egca_store_km_key_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

/* ---- km_task ---- */

enum egca_err
egca_store_km_task_insert(
    struct egca_store *st, const char *task, const char *ca, int64_t at)
{
	struct store_val p[3];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(task);
	p[1] = egca_store_text(ca);
	p[2] = egca_store_int(at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO km_task (task, ca, received_at)"
	         " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	         p, 3, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(
		    EGCA_ERR_EXISTS, "task number %.40s was seen before", task);
	return EGCA_OK;
}

/* ---- km_judicial ---- */

#define JUD_COLS                                                               \
	"id, case_ref, key_id, recipient_cert, recipient_subject, requester,"  \
	" digest, state, created_at, released_at, released_by"

void
egca_store_km_judicial_rec_free(struct egca_km_judicial_rec *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->id);
	free(r->case_ref);
	free(r->key_id);
	free(r->recipient_cert);
	free(r->recipient_subject);
	free(r->requester);
	free(r->digest);
	free(r->state);
	free(r->released_by);
	for (i = 0; i < r->n_approvers; i++)
		free(r->approvers[i]);
	free(r->approvers);
	memset(r, 0, sizeof(*r));
}

void
egca_store_km_judicial_list_free(struct egca_km_judicial_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_km_judicial_rec_free(&l[i]);
	free(l);
}

static enum egca_err
jud_decode(const struct store_val *c, size_t ncol, void *rec)
{
	struct egca_km_judicial_rec *r = rec;
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if (ncol != 11)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: km_judicial columns");
	if ((err = egca_store_col_text(&c[0], &r->id)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[1], &r->case_ref)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[2], &r->key_id)) != EGCA_OK ||
	    (err = egca_store_col_blob(&c[3], &r->recipient_cert,
	         &r->recipient_cert_len)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[4], &r->recipient_subject)) !=
	        EGCA_OK ||
	    (err = egca_store_col_text(&c[5], &r->requester)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[6], &r->digest)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[7], &r->state)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[8], &r->created_at)) != EGCA_OK ||
	    (err = egca_store_col_int(&c[9], &r->released_at)) != EGCA_OK ||
	    (err = egca_store_col_text(&c[10], &r->released_by)) != EGCA_OK) {
		egca_store_km_judicial_rec_free(r);
		return err;
	}
	return EGCA_OK;
}

enum egca_err
egca_store_km_judicial_insert(
    struct egca_store *st, const struct egca_km_judicial_rec *r)
{
	struct store_val p[9];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(r->id);
	p[1] = egca_store_text(r->case_ref);
	p[2] = egca_store_text(r->key_id);
	p[3] = egca_store_blob(r->recipient_cert, r->recipient_cert_len);
	p[4] = egca_store_text(r->recipient_subject);
	p[5] = egca_store_text(r->requester);
	p[6] = egca_store_text(r->digest);
	p[7] = egca_store_text("pending");
	p[8] = egca_store_int(r->created_at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO km_judicial (id, case_ref, key_id,"
	         " recipient_cert, recipient_subject, requester, digest, state,"
	         " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	         " ON CONFLICT DO NOTHING",
	         p, 9, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "judicial request %.32s already exists", r->id);
	return EGCA_OK;
}

struct approvers_arg {
	struct egca_km_judicial_rec *r;
	size_t cap;
};

static enum egca_err
approver_row(void *arg, const struct store_val *c, size_t ncol)
{
	struct approvers_arg *a = arg;
	enum egca_err err;
	char *s = NULL;

	if (ncol != 1)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "store: km_judicial_approval columns");
	if ((err = egca_store_grow((void **)&a->r->approvers, &a->cap,
	         a->r->n_approvers, sizeof(char *))) != EGCA_OK ||
	    (err = egca_store_col_text(&c[0], &s)) != EGCA_OK)
		return err;
	a->r->approvers[a->r->n_approvers++] = s;
	return EGCA_OK;
}

struct jud_get_arg {
	const char *id;
	struct egca_km_judicial_rec *out;
};

static enum egca_err
jud_get(struct egca_store *st, void *arg)
{
	struct jud_get_arg *g = arg;
	struct approvers_arg a = {g->out, 0};
	struct store_val p[2];
	enum egca_err err;

	egca_store_km_judicial_rec_free(g->out); /* a retried read */
	p[0] = egca_store_text(g->id);
	if ((err = egca_store_exec_one(st,
	         "SELECT " JUD_COLS " FROM km_judicial WHERE id = $1", p, 1,
	         jud_decode, g->out)) != EGCA_OK) {
		if (err == EGCA_ERR_NOTFOUND)
			egca_err_set(err, "no judicial request %.32s", g->id);
		return err;
	}
	p[0] = egca_store_text(g->out->id);
	p[1] = egca_store_text(g->out->digest);
	return egca_store_exec(st,
	    "SELECT officer FROM km_judicial_approval"
	    " WHERE request = $1 AND digest = $2 ORDER BY approved_at, officer",
	    p, 2, approver_row, &a, NULL);
}

enum egca_err
egca_store_km_judicial_get(
    struct egca_store *st, const char *id, struct egca_km_judicial_rec *out)
{
	struct jud_get_arg g = {id, out};
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	if ((err = egca_store_read(st, jud_get, &g)) != EGCA_OK)
		egca_store_km_judicial_rec_free(out);
	return err;
}

enum egca_err
egca_store_km_judicial_list(
    struct egca_store *st, struct egca_km_judicial_rec **out, size_t *n)
{
	struct store_list l = {0};
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if ((err = egca_store_exec_list(st,
	         "SELECT " JUD_COLS " FROM km_judicial"
	         " ORDER BY created_at DESC, id",
	         NULL, 0, jud_decode, sizeof(struct egca_km_judicial_rec),
	         &l)) != EGCA_OK) {
		egca_store_km_judicial_list_free(l.v, l.n);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return EGCA_OK;
}

enum egca_err
egca_store_km_judicial_approve(struct egca_store *st, const char *request,
    const char *officer, const char *digest, int64_t at)
{
	struct store_val p[4];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(request);
	p[1] = egca_store_text(officer);
	p[2] = egca_store_text(digest);
	p[3] = egca_store_int(at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO km_judicial_approval (request, officer, digest,"
	         " approved_at) VALUES ($1, $2, $3, $4)"
	         " ON CONFLICT DO NOTHING",
	         p, 4, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "%s already approved judicial request %.32s", officer,
		    request);
	return EGCA_OK;
}

enum egca_err
egca_store_km_judicial_release(
    struct egca_store *st, const char *id, const char *by, int64_t at)
{
	struct store_val p[3];
	enum egca_err err;
	int64_t n = 0;

	p[0] = egca_store_text(id);
	p[1] = egca_store_text(by);
	p[2] = egca_store_int(at);
	if ((err = egca_store_exec(st,
	         "UPDATE km_judicial SET state = 'released', released_by = $2,"
	         " released_at = $3 WHERE id = $1 AND state = 'pending'",
	         p, 3, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_STATE,
		    "judicial request %.32s is not pending", id);
	return EGCA_OK;
}
