/*
 * Answering CA requests (GM/T 0014 key application, restore, revoke).
 *
 * Order of the checks, each refusal answered with a signed
 * ErrorPkgRespond and audited ("km.request", failure) on the KM's own
 * chain: the message shell parses (else no answer: the transport says
 * 400) -> the sender's key is in the trust list with a matching name
 * and serial, not revoked, within validity -> the signature verifies ->
 * version 1 -> requestTime within the window -> the task number was
 * never seen (recorded in its own transaction, so a replay is refused
 * even when the first request failed later) -> every item well formed
 * and within max_items -> unsealed -> every public key an SM2 key on
 * the curve. Then all items run in ONE transaction with their audit
 * events: one failing item rolls all back and the answer is a single
 * error, so no key is generated or released by a refused request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/log.h"
#include "egca/pki.h"
#include "km/km_int.h"

struct handling {
	struct egca_km *km;
	struct egca_store *st;
	struct egca_km_request *r;
	const char *peer;
	int64_t now;
	char task[41];
	char ca_id[65]; /* SM3 hex of caName */
	char ca_subject[512];
	/* decoded envelope targets of apply / restore items */
	EVP_PKEY *target[EGCA_KM_ITEMS_MAX];
	char target_sm3[EGCA_KM_ITEMS_MAX][65];
	/* results */
	struct egca_km_resp_item out[EGCA_KM_ITEMS_MAX];
	uint8_t *spki[EGCA_KM_ITEMS_MAX];
	uint8_t *env[EGCA_KM_ITEMS_MAX];
	int km_errno;
	size_t bad_item;
};

static void
results_free(struct handling *h)
{
	size_t i;

	for (i = 0; i < EGCA_KM_ITEMS_MAX; i++) {
		free(h->spki[i]);
		free(h->env[i]);
		h->spki[i] = h->env[i] = NULL;
	}
	memset(h->out, 0, sizeof(h->out));
}

/* A signed answer of r->task with the items given. */
static enum egca_err
answer(struct handling *h, const struct egca_km_resp_item *items, size_t n,
    uint8_t **resp, size_t *resp_len)
{
	struct egca_km_response *a;
	struct egca_buf b;
	enum egca_err e;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "KM answer");
	a->version = 1;
	a->km = h->km->name;
	memcpy(a->items, items, n * sizeof(*items));
	a->n_items = n;
	a->respond_time = h->now;
	a->task = h->r->task;
	a->task_len = h->r->task_len;
	egca_buf_init(&b, EGCA_KM_MSG_MAX);
	if ((e = egca_km_response_sign(a, h->km->signer, &b)) == EGCA_OK)
		*resp = egca_buf_take(&b, resp_len);
	egca_buf_free(&b);
	free(a);
	return e;
}

static const char *
errno_name(int n)
{
	static const char *const names[] = {"", "badRequest", "badSignature",
	    "untrusted", "stale", "replay", "unsupported", "sealed", "notFound",
	    "duplicate", "revoked", "internal"};

	return n > 0 && n < (int)(sizeof(names) / sizeof(names[0])) ? names[n]
	                                                            : "error";
}

/*
 * Refuses the request with errNO n and the current error detail as
 * errDesc (never a secret: the details name fields and rules), audited.
 */
static enum egca_err
refuse(struct handling *h, int n, uint8_t **resp, size_t *resp_len)
{
	struct egca_km_resp_item it;
	char why[512], obj[64], *d;
	size_t i;

	snprintf(why, sizeof(why), "%s", egca_err_detail());
	for (i = 0; why[i] != '\0'; i++)
		if ((unsigned char)why[i] < 0x20 ||
		    (unsigned char)why[i] > 0x7e)
			why[i] = '?';
	snprintf(obj, sizeof(obj), "km/%s", h->km->conf.km_id);
	d = km_json("peer", h->peer, "ca",
	    h->ca_subject[0] ? h->ca_subject : NULL, "task",
	    h->task[0] ? h->task : NULL, "error", errno_name(n), "reason", why,
	    (char *)NULL);
	km_audit_refusal(h->km, h->st, "km:request", "km.request", obj, d);
	free(d);
	egca_log_info("event=km_refused peer=\"%s\" task=%s error=%s", h->peer,
	    h->task[0] ? h->task : "-", errno_name(n));
	memset(&it, 0, sizeof(it));
	it.kind = EGCA_KM_RESP_ERROR;
	it.err_no = n;
	it.err_desc = (const uint8_t *)why;
	it.err_desc_len = strlen(why);
	return answer(h, &it, 1, resp, resp_len);
}

/* The sender is a trusted CA certificate and signed the request. */
static int
verify_sender(struct handling *h)
{
	struct egca_km_request *r = h->r;
	struct egca_km_trust_rec *l = NULL;
	struct egca_km_entname en;
	struct egca_cert_info info;
	const struct egca_km_trust_rec *t = NULL;
	EVP_PKEY *pub = NULL;
	char kh[65];
	size_t n = 0, i;
	int rc = EGCA_KM_E_UNTRUSTED;
	enum egca_err e;

	memset(&info, 0, sizeof(info));
	egca_hex_encode(r->ca.key_hash, 32, kh);
	if ((e = egca_store_km_trust_list(h->st, kh, &l, &n)) != EGCA_OK) {
		rc = EGCA_KM_E_INTERNAL;
		goto out;
	}
	for (i = 0; i < n && t == NULL; i++)
		if (egca_km_entname_from_cert(
		        l[i].cert_der, l[i].cert_der_len, &en) == EGCA_OK &&
		    en.name_len == r->ca.name_len &&
		    memcmp(en.name, r->ca.name, en.name_len) == 0 &&
		    en.serial_len == r->ca.serial_len &&
		    memcmp(en.serial, r->ca.serial, en.serial_len) == 0)
			t = &l[i];
	if (t == NULL) {
		egca_err_set(EGCA_ERR_AUTH,
		    n == 0 ? "caName: the sender's public key is not in the "
		             "KM's trust list"
		           : "caName: name and serial do not match a trusted "
		             "certificate of that key");
		goto out;
	}
	snprintf(h->ca_subject, sizeof(h->ca_subject), "%s", t->subject);
	if (strcmp(t->state, "active") != 0) {
		egca_err_set(EGCA_ERR_AUTH,
		    "caName: the sender's certificate is revoked in the trust "
		    "list");
		goto out;
	}
	if (h->now < t->not_before || h->now > t->not_after) {
		egca_err_set(EGCA_ERR_AUTH,
		    "caName: the sender's certificate is outside its validity");
		goto out;
	}
	if ((e = egca_pki_cert_info(t->cert_der, t->cert_der_len, &info)) !=
	        EGCA_OK ||
	    (e = egca_crypto_spki_decode(
	         info.spki_der, info.spki_der_len, &pub)) != EGCA_OK) {
		rc = EGCA_KM_E_INTERNAL;
		goto out;
	}
	if (egca_crypto_verify_tbs(pub, EGCA_SIG_SM2_SM3, r->tbs, r->tbs_len,
	        r->sig, r->sig_len) != EGCA_OK) {
		egca_err_set(EGCA_ERR_AUTH,
		    "signatureValue: the signature does not verify with the "
		    "sender's certificate");
		rc = EGCA_KM_E_BAD_SIGNATURE;
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(pub);
	egca_pki_cert_info_free(&info);
	egca_store_km_trust_list_free(l, n);
	return rc;
}

static enum egca_err
task_tx(struct egca_store *st, void *arg)
{
	struct handling *h = arg;

	return egca_store_km_task_insert(st, h->task, h->ca_id, h->now);
}

/* Every apply / restore target is an SM2 public key on the curve. */
static int
check_targets(struct handling *h)
{
	struct egca_km_req_item *it;
	enum egca_key_alg alg;
	int bits;
	size_t i;

	for (i = 0; i < h->r->n_items; i++) {
		it = &h->r->items[i];
		if (it->kind == EGCA_KM_REVOKE)
			continue;
		if (egca_crypto_spki_decode(it->user_spki, it->user_spki_len,
		        &h->target[i]) != EGCA_OK ||
		    egca_crypto_key_check(h->target[i], &alg, &bits) !=
		        EGCA_OK ||
		    alg != EGCA_KEY_SM2) {
			egca_err_set(EGCA_ERR_INPUT,
			    "requestList[%zu].userPubKey: not a valid SM2 "
			    "public key",
			    i);
			return EGCA_KM_E_BAD_REQUEST;
		}
		if (km_sm3_hex(it->user_spki, it->user_spki_len,
		        h->target_sm3[i]) != EGCA_OK)
			return EGCA_KM_E_INTERNAL;
	}
	return 0;
}

static enum egca_err
audit_item(struct handling *h, const char *action, const char *key_id,
    const char *cert_no, const char *holder)
{
	struct egca_audit_event ev = {
	    "km:request", action, NULL, "success", NULL};
	char obj[64], *d;
	enum egca_err e;

	snprintf(obj, sizeof(obj), "km-key/%s", key_id);
	d = km_json("peer", h->peer, "ca", h->ca_subject, "cert_no", cert_no,
	    "task", h->task, "holder_sign_spki_sm3", holder, (char *)NULL);
	if (d == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "audit");
	ev.object = obj;
	ev.details = d;
	e = egca_audit_append(h->st, &ev);
	free(d);
	return e;
}

/* The item's error: errNO and the detail (item index in front). */
static enum egca_err
item_fail(struct handling *h, size_t i, int n, enum egca_err e)
{
	char why[400];

	snprintf(why, sizeof(why), "%s", egca_err_detail());
	h->km_errno = n;
	h->bad_item = i;
	if (n == EGCA_KM_E_INTERNAL) {
		egca_log_err(
		    "event=km_item_failed task=%s item=%zu error=\"%s\"",
		    h->task, i, why);
		return egca_err_set(
		    e, "requestList[%zu]: the KM failed to process it", i);
	}
	return egca_err_set(e, "requestList[%zu]: %s", i, why);
}

static enum egca_err
do_apply(struct handling *h, size_t i)
{
	const struct egca_km_req_item *it = &h->r->items[i];
	struct egca_km_key_rec rec;
	EVP_PKEY *pair = NULL;
	uint8_t *sec = NULL, *env = NULL; /* data key || d */
	uint8_t wrapped[KM_WRAP_LEN];
	char id[33], cert_no[41], ds[65];
	size_t env_len = 0;
	enum egca_err e;
	int n = EGCA_KM_E_INTERNAL;

	memset(&rec, 0, sizeof(rec));
	km_magnitude_hex(it->cert_no, it->cert_no_len, cert_no);
	if ((sec = OPENSSL_secure_malloc(64)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "escrow");
		goto out;
	}
	if ((e = km_new_id(id)) != EGCA_OK ||
	    (e = km_key_generate(&pair, &h->spki[i], &h->out[i].pub_spki_len,
	         sec + 32)) != EGCA_OK)
		goto out;
	if ((e = km_data_key(h->km, id, sec)) != EGCA_OK) {
		if (e == EGCA_ERR_STATE)
			n = EGCA_KM_E_SEALED;
		goto out;
	}
	if ((e = km_wrap(sec, id, h->spki[i], h->out[i].pub_spki_len, sec + 32,
	         wrapped)) != EGCA_OK ||
	    (e = egca_envelope_seal(h->target[i], pair, &env, &env_len)) !=
	        EGCA_OK)
		goto out;
	rec.id = id;
	rec.ca = h->ca_id;
	rec.ca_subject = h->ca_subject;
	rec.cert_no = cert_no;
	rec.public_key = h->spki[i];
	rec.public_key_len = h->out[i].pub_spki_len;
	rec.wrapped = wrapped;
	rec.wrapped_len = sizeof(wrapped);
	rec.task = h->task;
	rec.holder_sign_spki_sm3 = h->target_sm3[i];
	rec.user_name = (uint8_t *)(uintptr_t)it->user_name;
	rec.user_name_len = it->user_name_len;
	if (it->ds_code != NULL) {
		memcpy(ds, it->ds_code, it->ds_code_len);
		ds[it->ds_code_len] = '\0';
		rec.ds_code = ds;
	}
	rec.not_before = it->not_before;
	rec.not_after = it->not_after;
	rec.state = (char *)(uintptr_t) "active";
	rec.created_at = h->now;
	rec.retain_until =
	    it->not_after + (int64_t)h->km->conf.retention_days * 86400;
	if ((e = egca_store_km_key_insert(h->st, &rec)) != EGCA_OK) {
		if (e == EGCA_ERR_EXISTS)
			n = EGCA_KM_E_DUPLICATE;
		goto out;
	}
	if ((e = audit_item(
	         h, "km.key.apply", id, cert_no, h->target_sm3[i])) != EGCA_OK)
		goto out;
	h->env[i] = env;
	env = NULL;
	h->out[i].kind = EGCA_KM_RESP_APPLY;
	h->out[i].cert_no = it->cert_no;
	h->out[i].cert_no_len = it->cert_no_len;
	h->out[i].pub_spki = h->spki[i];
	h->out[i].envelope = h->env[i];
	h->out[i].envelope_len = env_len;
out:
	OPENSSL_cleanse(wrapped, sizeof(wrapped));
	OPENSSL_secure_clear_free(sec, 64);
	EVP_PKEY_free(pair);
	free(env);
	return e == EGCA_OK ? EGCA_OK : item_fail(h, i, n, e);
}

/* The escrowed key of item i by (ca, userCertNO). */
static enum egca_err
find_key(struct handling *h, size_t i, struct egca_km_key_rec *rec,
    char cert_no[41], int *n)
{
	const struct egca_km_req_item *it = &h->r->items[i];
	enum egca_err e;

	km_magnitude_hex(it->cert_no, it->cert_no_len, cert_no);
	if ((e = egca_store_km_key_get_by_cert(
	         h->st, h->ca_id, cert_no, rec)) != EGCA_OK) {
		if (e == EGCA_ERR_NOTFOUND)
			*n = EGCA_KM_E_NOT_FOUND;
		return e;
	}
	if (strcmp(rec->state, "active") != 0) {
		*n = EGCA_KM_E_REVOKED;
		return egca_err_set(EGCA_ERR_STATE,
		    "the key of userCertNO %s is revoked (archived)", cert_no);
	}
	return EGCA_OK;
}

static enum egca_err
do_restore(struct handling *h, size_t i)
{
	const struct egca_km_req_item *it = &h->r->items[i];
	struct egca_km_key_rec rec;
	uint8_t *env = NULL;
	size_t env_len = 0;
	char cert_no[41];
	enum egca_err e;
	int n = EGCA_KM_E_INTERNAL;

	memset(&rec, 0, sizeof(rec));
	if ((e = find_key(h, i, &rec, cert_no, &n)) != EGCA_OK)
		goto out;
	if ((e = km_envelope_escrowed(
	         h->km, &rec, h->target[i], &env, &env_len)) != EGCA_OK) {
		if (e == EGCA_ERR_STATE)
			n = EGCA_KM_E_SEALED;
		goto out;
	}
	if ((e = egca_store_km_key_set_holder(
	         h->st, rec.id, h->target_sm3[i])) != EGCA_OK ||
	    (e = audit_item(h, "km.key.restore", rec.id, cert_no,
	         h->target_sm3[i])) != EGCA_OK)
		goto out;
	h->spki[i] = rec.public_key;
	h->out[i].pub_spki_len = rec.public_key_len;
	rec.public_key = NULL;
	h->env[i] = env;
	env = NULL;
	h->out[i].kind = EGCA_KM_RESP_RESTORE;
	h->out[i].cert_no = it->cert_no;
	h->out[i].cert_no_len = it->cert_no_len;
	h->out[i].pub_spki = h->spki[i];
	h->out[i].envelope = h->env[i];
	h->out[i].envelope_len = env_len;
out:
	free(env);
	egca_store_km_key_rec_free(&rec);
	return e == EGCA_OK ? EGCA_OK : item_fail(h, i, n, e);
}

static enum egca_err
do_revoke(struct handling *h, size_t i)
{
	const struct egca_km_req_item *it = &h->r->items[i];
	struct egca_km_key_rec rec;
	char cert_no[41];
	int64_t until;
	enum egca_err e;
	int n = EGCA_KM_E_INTERNAL;

	memset(&rec, 0, sizeof(rec));
	if ((e = find_key(h, i, &rec, cert_no, &n)) != EGCA_OK)
		goto out;
	/* Kept for decryption of old data: retention runs from expiry or
	 * from now, whichever is later, and never shortens. */
	until = (rec.not_after > h->now ? rec.not_after : h->now) +
	    (int64_t)h->km->conf.retention_days * 86400;
	if (until < rec.retain_until)
		until = rec.retain_until;
	if ((e = egca_store_km_key_revoke(h->st, rec.id, h->now, until)) !=
	        EGCA_OK ||
	    (e = audit_item(h, "km.key.revoke", rec.id, cert_no, NULL)) !=
	        EGCA_OK)
		goto out;
	h->out[i].kind = EGCA_KM_RESP_REVOKE;
	h->out[i].cert_no = it->cert_no;
	h->out[i].cert_no_len = it->cert_no_len;
out:
	egca_store_km_key_rec_free(&rec);
	return e == EGCA_OK ? EGCA_OK : item_fail(h, i, n, e);
}

static enum egca_err
items_tx(struct egca_store *st, void *arg)
{
	struct handling *h = arg;
	enum egca_err e = EGCA_OK;
	size_t i;

	/* A retried transaction starts over. */
	results_free(h);
	h->st = st;
	h->km_errno = 0;
	for (i = 0; i < h->r->n_items && e == EGCA_OK; i++) {
		switch (h->r->items[i].kind) {
		case EGCA_KM_APPLY:
			e = do_apply(h, i);
			break;
		case EGCA_KM_RESTORE:
			e = do_restore(h, i);
			break;
		case EGCA_KM_REVOKE:
			e = do_revoke(h, i);
			break;
		}
	}
	return e;
}

enum egca_err
egca_km_handle(struct egca_km *km, const uint8_t *req, size_t req_len,
    int64_t now, const char *peer, uint8_t **resp, size_t *resp_len)
{
	struct handling *h;
	struct egca_der_r list;
	struct egca_km_seal_status ss;
	char obj[64], *d, why[300];
	int n = 0;
	size_t i;
	enum egca_err e;

	*resp = NULL;
	*resp_len = 0;
	if (km->signer == NULL)
		return egca_err_set(EGCA_ERR_STATE,
		    "the KM was opened without its signing key");
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->r = calloc(1, sizeof(*h->r))) == NULL) {
		free(h);
		return egca_err_set(EGCA_ERR_NOMEM, "KM request");
	}
	h->km = km;
	h->peer = peer != NULL ? peer : "unknown";
	h->now = now;
	if ((e = egca_store_pool_get(km->pool, &h->st)) != EGCA_OK)
		goto out;
	if ((e = km_request_parse_shell(req, req_len, h->r, &list, &n)) !=
	    EGCA_OK) {
		/* Nothing to answer to (no sender, no task): audited only. */
		snprintf(why, sizeof(why), "%s", egca_err_detail());
		snprintf(obj, sizeof(obj), "km/%s", km->conf.km_id);
		d = km_json("peer", h->peer, "reason", why, (char *)NULL);
		km_audit_refusal(km, h->st, "km:request", "km.request", obj, d);
		free(d);
		e = egca_err_set(EGCA_ERR_INPUT, "%s", why);
		goto out;
	}
	km_magnitude_hex(h->r->task, h->r->task_len, h->task);
	if ((e = km_sm3_hex(h->r->ca.name, h->r->ca.name_len, h->ca_id)) !=
	    EGCA_OK)
		goto out;
	if ((n = verify_sender(h)) != 0)
		goto refused;
	if (h->r->version != 1) {
		egca_err_set(EGCA_ERR_INPUT, "version %lld: only 1 is known",
		    (long long)h->r->version);
		n = EGCA_KM_E_UNSUPPORTED;
		goto refused;
	}
	if (h->r->request_time < now - km->conf.window_seconds ||
	    h->r->request_time > now + km->conf.window_seconds) {
		egca_err_set(EGCA_ERR_POLICY,
		    "requestTime: more than %d seconds from the KM's clock",
		    km->conf.window_seconds);
		n = EGCA_KM_E_STALE;
		goto refused;
	}
	if ((e = egca_store_tx(h->st, task_tx, h)) != EGCA_OK) {
		n = e == EGCA_ERR_EXISTS ? EGCA_KM_E_REPLAY
		                         : EGCA_KM_E_INTERNAL;
		if (n == EGCA_KM_E_REPLAY)
			egca_err_set(e,
			    "taskNO: this task number was used before "
			    "(replay)");
		goto refused;
	}
	if (km_request_parse_items(&list, h->r, &n) != EGCA_OK)
		goto refused;
	if (h->r->n_items > (size_t)km->conf.max_items) {
		egca_err_set(EGCA_ERR_POLICY,
		    "requestList: %zu requests, at most %d in one message",
		    h->r->n_items, km->conf.max_items);
		n = EGCA_KM_E_BAD_REQUEST;
		goto refused;
	}
	egca_km_status(km, &ss);
	if (ss.sealed) {
		egca_err_set(EGCA_ERR_STATE, "KM is sealed");
		n = EGCA_KM_E_SEALED;
		goto refused;
	}
	if ((n = check_targets(h)) != 0)
		goto refused;
	if ((e = egca_store_tx(h->st, items_tx, h)) != EGCA_OK) {
		n = h->km_errno != 0 ? h->km_errno : EGCA_KM_E_INTERNAL;
		results_free(h);
		goto refused;
	}
	e = answer(h, h->out, h->r->n_items, resp, resp_len);
	goto out;
refused:
	e = refuse(h, n, resp, resp_len);
out:
	if (h->st != NULL)
		egca_store_pool_put(km->pool, h->st);
	for (i = 0; i < EGCA_KM_ITEMS_MAX; i++)
		EVP_PKEY_free(h->target[i]);
	results_free(h);
	free(h->r);
	free(h);
	return e;
}
