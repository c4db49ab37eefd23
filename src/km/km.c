/*
 * The KM context: configuration, store pool, certificate and signing
 * key, and the sealed / unsealed state of the master key. Unsealing
 * takes custodian shares one at a time (each checked against its stored
 * check value when entered); the threshold-th share recombines the
 * master key, which must match the stored key check value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/file.h"
#include "egca/log.h"
#include "egca/pki.h"
#include "km/km_int.h"

/* ---- helpers ---- */

enum egca_err
km_new_id(char id[33])
{
	uint8_t b[16];
	enum egca_err e;

	if ((e = egca_crypto_rand(b, sizeof(b))) != EGCA_OK)
		return e;
	egca_hex_encode(b, sizeof(b), id);
	return EGCA_OK;
}

enum egca_err
km_sm3_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[32];
	enum egca_err e;

	if ((e = egca_crypto_sm3(data, len, md)) == EGCA_OK)
		egca_hex_encode(md, sizeof(md), out);
	return e;
}

char *
km_json(const char *k, ...)
{
	json_t *o = json_object();
	const char *v;
	char *s = NULL;
	va_list ap;

	if (o == NULL)
		return NULL;
	va_start(ap, k);
	while (k != NULL) {
		v = va_arg(ap, const char *);
		if (v != NULL)
			json_object_set_new(o, k, json_string(v));
		k = va_arg(ap, const char *);
	}
	va_end(ap);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

void
km_audit_refusal(struct egca_km *km, struct egca_store *st, const char *actor,
    const char *action, const char *object, const char *details)
{
	struct egca_audit_event ev = {
	    actor, action, object, "failure", details};
	struct egca_store *own = NULL;
	char why[256];

	/* The caller's error detail is its answer: keep it. */
	snprintf(why, sizeof(why), "%s", egca_err_detail());
	if (st == NULL) {
		if (egca_store_pool_get(km->pool, &own) != EGCA_OK) {
			egca_log_err("event=km_audit action=%s error=\"%s\"",
			    action, egca_err_detail());
			goto out;
		}
		st = own;
	}
	if (egca_audit_record(st, &ev) != EGCA_OK)
		egca_log_err("event=km_audit action=%s error=\"%s\"", action,
		    egca_err_detail());
	if (own != NULL)
		egca_store_pool_put(km->pool, own);
out:
	(void)egca_err_set(EGCA_ERR_INTERNAL, "%s", why);
}

enum egca_err
km_cert_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len)
{
	struct egca_der_list l = {0};
	enum egca_err e;

	*der = NULL;
	*der_len = 0;
	if ((e = egca_pki_pem_decode(in, len, "CERTIFICATE", &l)) != EGCA_OK)
		return e;
	if ((*der = malloc(l.len[0])) == NULL) {
		egca_der_list_free(&l);
		return egca_err_set(EGCA_ERR_NOMEM, "certificate");
	}
	memcpy(*der, l.der[0], l.len[0]);
	*der_len = l.len[0];
	egca_der_list_free(&l);
	return EGCA_OK;
}

enum egca_err
km_hex_magnitude(const char *hex, uint8_t out[20], size_t *len)
{
	uint8_t buf[21];
	size_t n, i = 0;
	char tmp[43];

	n = strlen(hex);
	if (n == 0 || n > 40)
		return egca_err_set(
		    EGCA_ERR_INPUT, "serial '%.48s': 1 to 40 hex digits", hex);
	/* An odd count gets a leading zero nibble. */
	snprintf(tmp, sizeof(tmp), "%s%s", n % 2 ? "0" : "", hex);
	if (egca_hex_decode(tmp, buf, sizeof(buf), &n) != EGCA_OK)
		return egca_err_set(
		    EGCA_ERR_INPUT, "serial '%.48s': not hex", hex);
	while (i < n && buf[i] == 0)
		i++;
	if (i == n || n - i > 20)
		return egca_err_set(EGCA_ERR_INPUT,
		    "serial '%.48s': must be 1 to 20 octets and not zero", hex);
	memcpy(out, buf + i, n - i);
	*len = n - i;
	return EGCA_OK;
}

void
km_magnitude_hex(const uint8_t *p, size_t len, char out[41])
{
	while (len > 1 && p[0] == 0) {
		p++;
		len--;
	}
	if (len > 20)
		len = 20;
	egca_hex_encode(p, len, out);
}

enum egca_err
km_check_role(struct egca_km *km, const struct egca_principal *p,
    unsigned roles, const char *action)
{
	char why[160], *details;
	enum egca_err e = EGCA_OK;

	if (p == NULL || p->name[0] == '\0' || p->roles == 0)
		return egca_err_set(EGCA_ERR_AUTH, "authentication required");
	if ((p->roles & roles) == 0)
		e = egca_err_set(EGCA_ERR_POLICY,
		    "%s is not allowed for the caller's roles", action);
	else if (p->must_change)
		e = egca_err_set(
		    EGCA_ERR_POLICY, "change the one-time password first");
	else if (!p->mfa)
		e = egca_err_set(
		    EGCA_ERR_POLICY, "%s needs a second factor (TOTP)", action);
	if (e == EGCA_OK)
		return EGCA_OK;
	snprintf(why, sizeof(why), "%s", egca_err_detail());
	details = km_json("action", action, "reason", why, (char *)NULL);
	km_audit_refusal(km, NULL, p->actor, "km.deny", action, details);
	free(details);
	return egca_err_set(e, "%s", why);
}

/* ---- open / free ---- */

void
egca_km_free(struct egca_km *km)
{
	if (km == NULL)
		return;
	OPENSSL_secure_clear_free(km->master, EGCA_KM_MASTER_LEN);
	OPENSSL_secure_clear_free(
	    km->shares, (size_t)EGCA_KM_MAX_CUSTODIANS * KM_SHARE_LEN);
	pthread_mutex_destroy(&km->lock);
	egca_signer_free(km->signer);
	egca_store_pool_free(km->pool);
	egca_config_free(km->cfg);
	free(km->cert);
	free(km->dir);
	free(km);
}

/* The KM row of the store must be the one km.conf names. */
static enum egca_err
load_master(struct egca_km *km)
{
	struct egca_km_master_rec m;
	struct egca_store *st;
	enum egca_err e;

	if ((e = egca_store_pool_get(km->pool, &st)) != EGCA_OK)
		return e;
	e = egca_store_km_master_get(st, &m);
	egca_store_pool_put(km->pool, st);
	if (e != EGCA_OK)
		return e;
	if (strcmp(m.km_id, km->conf.km_id) != 0 ||
	    m.threshold != km->conf.threshold ||
	    m.custodians != km->conf.custodians || strlen(m.kcv) != 64)
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "km.conf and the store describe different KMs (km_id or "
		    "M-of-N differ)");
	else
		memcpy(km->kcv, m.kcv, 65);
	egca_store_km_master_rec_free(&m);
	return e;
}

enum egca_err
egca_km_open(const char *dir, const char *pass, size_t pass_len, size_t conns,
    struct egca_km **out)
{
	struct egca_km *km;
	char *path = NULL;
	uint8_t *pem = NULL;
	size_t pem_len, spki_len;
	struct egca_cert_info info;
	const uint8_t *spki;
	enum egca_err e;

	*out = NULL;
	memset(&info, 0, sizeof(info));
	if ((km = calloc(1, sizeof(*km))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&km->lock, NULL);
	km->shares = OPENSSL_secure_zalloc(
	    (size_t)EGCA_KM_MAX_CUSTODIANS * KM_SHARE_LEN);
	if ((km->dir = strdup(dir)) == NULL || km->shares == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_km_conf_load(dir, &km->conf)) != EGCA_OK ||
	    (e = egca_config_load(dir, &km->cfg)) != EGCA_OK ||
	    (e = egca_store_pool_new(km->cfg->store_uri, conns ? conns : 1,
	         &km->pool)) != EGCA_OK ||
	    (e = load_master(km)) != EGCA_OK)
		goto out;
	if ((path = egca_file_join(dir, EGCA_KM_CERT_FILE)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_file_read(path, 1 << 20, &pem, &pem_len)) != EGCA_OK ||
	    (e = km_cert_der(pem, pem_len, &km->cert, &km->cert_len)) !=
	        EGCA_OK ||
	    (e = egca_km_entname_from_cert(
	         km->cert, km->cert_len, &km->name)) != EGCA_OK ||
	    (e = egca_pki_cert_info(km->cert, km->cert_len, &info)) != EGCA_OK)
		goto out;
	if (pass != NULL) {
		free(path);
		if ((path = egca_file_join(
		         km->cfg->keys_dir, EGCA_KM_KEY_FILE)) == NULL) {
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((e = egca_signer_open_file(path, pass, pass_len,
		         EGCA_SIGN_CERT | EGCA_SIGN_CSR, &km->signer)) !=
		    EGCA_OK)
			goto out;
		spki = egca_signer_get0_spki(km->signer, &spki_len);
		if (spki_len != info.spki_der_len ||
		    memcmp(spki, info.spki_der, spki_len) != 0) {
			e = egca_err_set(EGCA_ERR_INTEGRITY,
			    "%s does not carry the key of %s",
			    EGCA_KM_CERT_FILE, EGCA_KM_KEY_FILE);
			goto out;
		}
	}
	*out = km;
	km = NULL;
out:
	egca_pki_cert_info_free(&info);
	free(pem);
	free(path);
	egca_km_free(km);
	return e;
}

const struct egca_km_conf *
egca_km_get0_conf(const struct egca_km *km)
{
	return &km->conf;
}

const uint8_t *
egca_km_get0_cert(const struct egca_km *km, size_t *len)
{
	*len = km->cert_len;
	return km->cert;
}

/* ---- sealed / unsealed ---- */

static int
popcount(unsigned v)
{
	int n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

static void
status_locked(struct egca_km *km, struct egca_km_seal_status *st)
{
	st->sealed = km->master == NULL;
	st->threshold = km->conf.threshold;
	st->entered = popcount(km->entered);
	st->indexes = km->entered;
}

void
egca_km_status(struct egca_km *km, struct egca_km_seal_status *st)
{
	pthread_mutex_lock(&km->lock);
	status_locked(km, st);
	pthread_mutex_unlock(&km->lock);
}

static void
audit_ok(struct egca_km *km, const char *actor, const char *action,
    const char *details)
{
	struct egca_audit_event ev = {actor, action, NULL, "success", details};
	struct egca_store *st;
	char obj[64];

	snprintf(obj, sizeof(obj), "km/%s", km->conf.km_id);
	ev.object = obj;
	if (egca_store_pool_get(km->pool, &st) != EGCA_OK) {
		egca_log_err("event=km_audit action=%s error=\"%s\"", action,
		    egca_err_detail());
		return;
	}
	if (egca_audit_record(st, &ev) != EGCA_OK)
		egca_log_err("event=km_audit action=%s error=\"%s\"", action,
		    egca_err_detail());
	egca_store_pool_put(km->pool, st);
}

/* Refusal of a share: audited with the index (never the share). */
static enum egca_err
share_refused(struct egca_km *km, const char *actor, int idx, enum egca_err e)
{
	char why[256], obj[64], ix[8], *d;

	snprintf(why, sizeof(why), "%s", egca_err_detail());
	snprintf(obj, sizeof(obj), "km/%s", km->conf.km_id);
	snprintf(ix, sizeof(ix), "%d", idx);
	d = km_json("index", idx > 0 ? ix : NULL, "reason", why, (char *)NULL);
	km_audit_refusal(km, NULL, actor, "km.unseal.share", obj, d);
	free(d);
	return egca_err_set(e, "%s", why);
}

/* Checks a parsed share against this KM and its stored check value. */
static enum egca_err
share_check(struct egca_km *km, const struct km_share_file *f)
{
	struct egca_store *st;
	char want[65], got[65];
	enum egca_err e;

	if (strcmp(f->km_id, km->conf.km_id) != 0)
		return egca_err_set(
		    EGCA_ERR_AUTH, "the share is of another KM (km-id)");
	if (strcmp(f->kcv, km->kcv) != 0)
		return egca_err_set(EGCA_ERR_AUTH,
		    "the share is of another master key (master-kcv)");
	if (f->custodians != km->conf.custodians ||
	    f->threshold != km->conf.threshold)
		return egca_err_set(
		    EGCA_ERR_AUTH, "the share is of another M-of-N split");
	if ((e = egca_store_pool_get(km->pool, &st)) != EGCA_OK)
		return e;
	e = egca_store_km_share_check_get(st, f->index, want);
	egca_store_pool_put(km->pool, st);
	if (e != EGCA_OK)
		return e == EGCA_ERR_NOTFOUND
		    ? egca_err_set(
		          EGCA_ERR_AUTH, "share %d is unknown", f->index)
		    : e;
	if ((e = km_share_check(f->km_id, f->index, f->share, got)) != EGCA_OK)
		return e;
	if (CRYPTO_memcmp(want, got, 64) != 0)
		return egca_err_set(EGCA_ERR_AUTH,
		    "share %d is wrong (its check value does not match)",
		    f->index);
	return EGCA_OK;
}

/* Combines the entered shares (lock held); drops them either way. */
static enum egca_err
combine_locked(struct egca_km *km)
{
	uint8_t idx[EGCA_KM_MAX_CUSTODIANS], *sh = NULL, *master = NULL;
	char kcv[65];
	int i, m = 0;
	enum egca_err e;

	sh = OPENSSL_secure_malloc(
	    (size_t)EGCA_KM_MAX_CUSTODIANS * KM_SHARE_LEN);
	master = OPENSSL_secure_malloc(EGCA_KM_MASTER_LEN);
	if (sh == NULL || master == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "unseal");
		goto out;
	}
	for (i = 0; i < EGCA_KM_MAX_CUSTODIANS && m < km->conf.threshold; i++)
		if (km->entered & (1u << i)) {
			idx[m] = (uint8_t)(i + 1);
			memcpy(sh + KM_SHARE_LEN * (size_t)m,
			    km->shares + KM_SHARE_LEN * (size_t)i,
			    KM_SHARE_LEN);
			m++;
		}
	if ((e = km_shares_combine(idx, sh, m, master)) != EGCA_OK ||
	    (e = km_master_kcv(master, kcv)) != EGCA_OK)
		goto out;
	if (CRYPTO_memcmp(kcv, km->kcv, 64) != 0) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "the shares do not give the master key (key check value "
		    "differs): start again");
		goto out;
	}
	km->master = master;
	master = NULL;
	e = EGCA_OK;
out:
	OPENSSL_cleanse(
	    km->shares, (size_t)EGCA_KM_MAX_CUSTODIANS * KM_SHARE_LEN);
	km->entered = 0;
	OPENSSL_secure_clear_free(
	    sh, (size_t)EGCA_KM_MAX_CUSTODIANS * KM_SHARE_LEN);
	OPENSSL_secure_clear_free(master, EGCA_KM_MASTER_LEN);
	return e;
}

enum egca_err
egca_km_unseal(struct egca_km *km, const uint8_t *share, size_t share_len,
    const char *actor, struct egca_km_seal_status *st)
{
	struct km_share_file *f;
	struct egca_km_seal_status now;
	char ix[8], n[8], m[8], *d;
	int idx = 0, unsealed = 0;
	enum egca_err e;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if ((f = OPENSSL_secure_malloc(sizeof(*f))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "unseal");
	if ((e = km_share_parse(share, share_len, f)) != EGCA_OK) {
		e = share_refused(km, actor, 0, e);
		goto out;
	}
	idx = f->index;
	if ((e = share_check(km, f)) != EGCA_OK) {
		e = share_refused(km, actor, idx, e);
		goto out;
	}
	pthread_mutex_lock(&km->lock);
	if (km->master != NULL)
		e = egca_err_set(EGCA_ERR_STATE, "the KM is unsealed already");
	else if (km->entered & (1u << (idx - 1)))
		e = egca_err_set(EGCA_ERR_EXISTS,
		    "share %d was entered already: another custodian's share "
		    "is needed",
		    idx);
	else {
		memcpy(km->shares + KM_SHARE_LEN * (size_t)(idx - 1), f->share,
		    KM_SHARE_LEN);
		km->entered |= 1u << (idx - 1);
		if (popcount(km->entered) >= km->conf.threshold) {
			e = combine_locked(km);
			unsealed = e == EGCA_OK;
		}
	}
	status_locked(km, &now);
	pthread_mutex_unlock(&km->lock);
	if (e != EGCA_OK) {
		e = share_refused(km, actor, idx, e);
		goto out;
	}
	snprintf(ix, sizeof(ix), "%d", idx);
	snprintf(
	    n, sizeof(n), "%d", unsealed ? km->conf.threshold : now.entered);
	snprintf(m, sizeof(m), "%d", km->conf.threshold);
	d = km_json("index", ix, "entered", n, "threshold", m, (char *)NULL);
	audit_ok(km, actor, "km.unseal.share", d);
	free(d);
	if (unsealed) {
		audit_ok(km, actor, "km.unseal", NULL);
		egca_log_info("event=km_unsealed km=%s", km->conf.km_id);
	}
out:
	OPENSSL_secure_clear_free(f, sizeof(*f));
	if (st != NULL)
		egca_km_status(km, st);
	return e;
}

enum egca_err
egca_km_seal(struct egca_km *km, const char *actor)
{
	pthread_mutex_lock(&km->lock);
	OPENSSL_secure_clear_free(km->master, EGCA_KM_MASTER_LEN);
	km->master = NULL;
	OPENSSL_cleanse(
	    km->shares, (size_t)EGCA_KM_MAX_CUSTODIANS * KM_SHARE_LEN);
	km->entered = 0;
	pthread_mutex_unlock(&km->lock);
	audit_ok(km, actor, "km.seal", NULL);
	return EGCA_OK;
}
