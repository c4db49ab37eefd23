/*
 * KM management by its operators (the KM's own operator table, through
 * src/auth on the KM store): the trust list of CA certificates (the
 * security administrator), the list of escrowed keys (KM officers,
 * auditors), and judicial recovery (KM officers, M of N: a request, the
 * approvals of other officers bound to the request's digest, then the
 * release enveloped to the authority's certificate). Every change is
 * written with its audit event in one transaction; refusals are audited
 * in their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/pki.h"
#include "km/km_int.h"

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* Runs fn in a write transaction on a pool connection. */
static enum egca_err
km_tx(struct egca_km *km, egca_store_tx_fn fn, void *arg)
{
	struct egca_store *st;
	enum egca_err e;

	if ((e = egca_store_pool_get(km->pool, &st)) != EGCA_OK)
		return e;
	e = egca_store_tx(st, fn, arg);
	egca_store_pool_put(km->pool, st);
	return e;
}

static void
refused(struct egca_km *km, const struct egca_principal *p, const char *action,
    const char *object)
{
	char why[300], *d;

	snprintf(why, sizeof(why), "%s", egca_err_detail());
	d = km_json("reason", why, (char *)NULL);
	km_audit_refusal(km, NULL, p->actor, action, object, d);
	free(d);
}

/* ---- trust list ---- */

struct trust_add {
	const struct egca_principal *p;
	struct egca_km_trust_rec rec;
};

static enum egca_err
trust_add_tx(struct egca_store *st, void *arg)
{
	struct trust_add *a = arg;
	struct egca_audit_event ev = {
	    a->p->actor, "km.trust.add", NULL, "success", NULL};
	char obj[80], *d;
	enum egca_err e;

	if ((e = egca_store_km_trust_insert(st, &a->rec)) != EGCA_OK)
		return e;
	snprintf(obj, sizeof(obj), "km-trust/%s", a->rec.id);
	d = km_json("subject", a->rec.subject, "serial", a->rec.serial,
	    "spki_sm3", a->rec.spki_sm3, (char *)NULL);
	ev.object = obj;
	ev.details = d;
	e = egca_audit_append(st, &ev);
	free(d);
	return e;
}

enum egca_err
egca_km_trust_add(struct egca_km *km, const struct egca_principal *p,
    const uint8_t *cert, size_t cert_len, char id[65])
{
	struct trust_add a;
	struct egca_cert_info info;
	struct egca_km_entname en;
	uint8_t *der = NULL, sha[32];
	char hid[65], serial[41], kh[65];
	enum egca_err e;

	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	if ((e = km_check_role(km, p, EGCA_ROLE_SECADMIN, "km_trust_add")) !=
	    EGCA_OK)
		return e;
	if ((e = km_cert_der(cert, cert_len, &der, &a.rec.cert_der_len)) !=
	        EGCA_OK ||
	    (e = egca_pki_cert_info(der, a.rec.cert_der_len, &info)) !=
	        EGCA_OK ||
	    (e = egca_km_entname_from_cert(der, a.rec.cert_der_len, &en)) !=
	        EGCA_OK)
		goto bad;
	if (info.key_alg != EGCA_KEY_SM2 || !info.is_ca) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "--cert: a CA certificate with an SM2 key is required "
		    "(GM/T 0014 messages are SM2-signed)");
		goto bad;
	}
	if ((e = egca_crypto_sha256(der, a.rec.cert_der_len, sha)) != EGCA_OK)
		goto out;
	egca_hex_encode(sha, sizeof(sha), hid);
	egca_hex_encode(en.key_hash, 32, kh);
	km_magnitude_hex(info.serial, info.serial_len, serial);
	a.p = p;
	a.rec.id = hid;
	a.rec.subject = info.subject;
	a.rec.serial = serial;
	a.rec.spki_sm3 = kh;
	a.rec.cert_der = der;
	a.rec.not_before = info.not_before;
	a.rec.not_after = info.not_after;
	a.rec.state = (char *)(uintptr_t) "active";
	a.rec.added_at = now_s();
	if ((e = km_tx(km, trust_add_tx, &a)) != EGCA_OK)
		goto bad;
	if (id != NULL)
		memcpy(id, hid, 65);
	goto out;
bad:
	refused(km, p, "km.trust.add", "km-trust");
out:
	egca_pki_cert_info_free(&info);
	free(der);
	return e;
}

struct trust_rev {
	const struct egca_principal *p;
	const char *id;
};

static enum egca_err
trust_rev_tx(struct egca_store *st, void *arg)
{
	struct trust_rev *a = arg;
	struct egca_audit_event ev = {
	    a->p->actor, "km.trust.revoke", NULL, "success", NULL};
	char obj[80];
	enum egca_err e;

	if ((e = egca_store_km_trust_revoke(st, a->id, now_s())) != EGCA_OK)
		return e;
	snprintf(obj, sizeof(obj), "km-trust/%.64s", a->id);
	ev.object = obj;
	return egca_audit_append(st, &ev);
}

enum egca_err
egca_km_trust_revoke(
    struct egca_km *km, const struct egca_principal *p, const char *id)
{
	struct trust_rev a = {p, id};
	enum egca_err e;

	if ((e = km_check_role(km, p, EGCA_ROLE_SECADMIN, "km_trust_revoke")) !=
	    EGCA_OK)
		return e;
	if ((e = km_tx(km, trust_rev_tx, &a)) != EGCA_OK)
		refused(km, p, "km.trust.revoke", "km-trust");
	return e;
}

/* Read access: any KM operator with a second factor. */
#define KM_READERS                                                             \
	(EGCA_ROLE_SECADMIN | EGCA_ROLE_SYSADMIN | EGCA_ROLE_AUDITOR |         \
	    EGCA_ROLE_KM_OFFICER)

enum egca_err
egca_km_trust_list(struct egca_km *km, const struct egca_principal *p,
    struct egca_km_trust_rec **out, size_t *n)
{
	struct egca_store *st;
	enum egca_err e;

	*out = NULL;
	*n = 0;
	if ((e = km_check_role(km, p, KM_READERS, "km_trust_list")) != EGCA_OK)
		return e;
	if ((e = egca_store_pool_get(km->pool, &st)) != EGCA_OK)
		return e;
	e = egca_store_km_trust_list(st, NULL, out, n);
	egca_store_pool_put(km->pool, st);
	return e;
}

enum egca_err
egca_km_key_list(struct egca_km *km, const struct egca_principal *p,
    size_t limit, size_t offset, struct egca_km_key_rec **out, size_t *n)
{
	struct egca_store *st;
	enum egca_err e;

	*out = NULL;
	*n = 0;
	if ((e = km_check_role(km, p, EGCA_ROLE_KM_OFFICER | EGCA_ROLE_AUDITOR,
	         "km_key_list")) != EGCA_OK)
		return e;
	if ((e = egca_store_pool_get(km->pool, &st)) != EGCA_OK)
		return e;
	e = egca_store_km_key_list(st, NULL, limit, offset, out, n);
	egca_store_pool_put(km->pool, st);
	return e;
}

/* ---- judicial recovery ---- */

static void
put_str(struct egca_buf *b, const char *s, enum egca_err *e)
{
	uint8_t n[4];
	size_t len = strlen(s);

	n[0] = (uint8_t)(len >> 24);
	n[1] = (uint8_t)(len >> 16);
	n[2] = (uint8_t)(len >> 8);
	n[3] = (uint8_t)len;
	if (*e == EGCA_OK)
		*e = egca_buf_append(b, n, 4);
	if (*e == EGCA_OK)
		*e = egca_buf_append(b, s, len);
}

/*
 * SM3 over length-prefixed fields: "egca-km-judicial-v1", id, case,
 * key id, requester, created_at (decimal), the recipient certificate.
 */
static enum egca_err
judicial_digest(const struct egca_km_judicial_rec *r, char out[65])
{
	struct egca_buf b;
	char t[24];
	enum egca_err e = EGCA_OK;

	egca_buf_init(&b, 1 << 20);
	snprintf(t, sizeof(t), "%lld", (long long)r->created_at);
	put_str(&b, "egca-km-judicial-v1", &e);
	put_str(&b, r->id, &e);
	put_str(&b, r->case_ref, &e);
	put_str(&b, r->key_id, &e);
	put_str(&b, r->requester, &e);
	put_str(&b, t, &e);
	if (e == EGCA_OK)
		e = egca_buf_append(
		    &b, r->recipient_cert, r->recipient_cert_len);
	if (e == EGCA_OK)
		e = km_sm3_hex(b.data, b.len, out);
	egca_buf_free(&b);
	return e;
}

/* UTF-8 without control characters, 1..128 characters (案号). */
static int
case_ok(const char *s)
{
	size_t n = strlen(s), chars = 0;

	return n > 0 && n <= 512 &&
	    egca_der_utf8_check((const uint8_t *)s, n, &chars) && chars <= 128;
}

static int
id_ok(const char *s)
{
	return s != NULL && strlen(s) == 32 &&
	    strspn(s, "0123456789abcdef") == 32;
}

struct jud_new {
	const struct egca_principal *p;
	struct egca_km_judicial_rec *rec;
};

static enum egca_err
jud_new_tx(struct egca_store *st, void *arg)
{
	struct jud_new *a = arg;
	struct egca_km_key_rec key;
	struct egca_audit_event ev = {
	    a->p->actor, "km.judicial.request", NULL, "success", NULL};
	char obj[64], *d;
	enum egca_err e;

	if ((e = egca_store_km_key_get(st, a->rec->key_id, &key)) != EGCA_OK)
		return e;
	egca_store_km_key_rec_free(&key);
	if ((e = egca_store_km_judicial_insert(st, a->rec)) != EGCA_OK)
		return e;
	snprintf(obj, sizeof(obj), "km-judicial/%s", a->rec->id);
	d = km_json("case", a->rec->case_ref, "key", a->rec->key_id,
	    "recipient", a->rec->recipient_subject, "digest", a->rec->digest,
	    (char *)NULL);
	ev.object = obj;
	ev.details = d;
	e = egca_audit_append(st, &ev);
	free(d);
	return e;
}

enum egca_err
egca_km_judicial_request(struct egca_km *km, const struct egca_principal *p,
    const char *case_ref, const char *key_id, const uint8_t *recipient,
    size_t recipient_len, struct egca_km_judicial_rec *out)
{
	struct jud_new a;
	struct egca_cert_info info;
	char id[33];
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	if ((e = km_check_role(km, p, EGCA_ROLE_KM_OFFICER,
	         "km_judicial_request")) != EGCA_OK)
		return e;
	if (case_ref == NULL || !case_ok(case_ref)) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "--case: 1 to 128 characters of UTF-8, no control "
		    "characters");
		goto bad;
	}
	if (!id_ok(key_id)) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "--key: a key id is 32 lower-case hex digits");
		goto bad;
	}
	if ((e = km_cert_der(recipient, recipient_len, &out->recipient_cert,
	         &out->recipient_cert_len)) != EGCA_OK ||
	    (e = egca_pki_cert_info(out->recipient_cert,
	         out->recipient_cert_len, &info)) != EGCA_OK)
		goto bad;
	if (info.key_alg != EGCA_KEY_SM2) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "--recipient-cert: the key is enveloped with SM2: an SM2 "
		    "certificate is required");
		goto bad;
	}
	if (now_s() > info.not_after || now_s() < info.not_before) {
		e = egca_err_set(
		    EGCA_ERR_POLICY, "--recipient-cert: outside its validity");
		goto bad;
	}
	if ((e = km_new_id(id)) != EGCA_OK)
		goto bad;
	if ((out->id = strdup(id)) == NULL ||
	    (out->case_ref = strdup(case_ref)) == NULL ||
	    (out->key_id = strdup(key_id)) == NULL ||
	    (out->recipient_subject = strdup(info.subject)) == NULL ||
	    (out->requester = strdup(p->name)) == NULL ||
	    (out->state = strdup("pending")) == NULL ||
	    (out->digest = malloc(65)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto bad;
	}
	out->created_at = now_s();
	if ((e = judicial_digest(out, out->digest)) != EGCA_OK)
		goto bad;
	a.p = p;
	a.rec = out;
	if ((e = km_tx(km, jud_new_tx, &a)) != EGCA_OK)
		goto bad;
	egca_pki_cert_info_free(&info);
	return EGCA_OK;
bad:
	refused(km, p, "km.judicial.request", "km-judicial");
	egca_pki_cert_info_free(&info);
	egca_store_km_judicial_rec_free(out);
	return e;
}

struct jud_act {
	struct egca_km *km;
	const struct egca_principal *p;
	const char *id;
	const char *digest;
	/* release */
	uint8_t *env;
	size_t env_len;
};

static enum egca_err
jud_approve_tx(struct egca_store *st, void *arg)
{
	struct jud_act *a = arg;
	struct egca_km_judicial_rec r;
	struct egca_audit_event ev = {
	    a->p->actor, "km.judicial.approve", NULL, "success", NULL};
	char obj[64], *d, n[8];
	enum egca_err e;

	if ((e = egca_store_km_judicial_get(st, a->id, &r)) != EGCA_OK)
		return e;
	if (strcmp(r.state, "pending") != 0)
		e = egca_err_set(EGCA_ERR_STATE,
		    "judicial request %s was released already", r.id);
	else if (strcmp(r.requester, a->p->name) == 0)
		e = egca_err_set(EGCA_ERR_POLICY,
		    "the requester of a judicial recovery may not approve it");
	else if (strcmp(r.digest, a->digest) != 0)
		e = egca_err_set(EGCA_ERR_CONFLICT,
		    "--digest does not name the request as it is (%s)",
		    r.digest);
	else
		e = egca_store_km_judicial_approve(
		    st, r.id, a->p->name, r.digest, now_s());
	if (e == EGCA_OK) {
		snprintf(obj, sizeof(obj), "km-judicial/%s", r.id);
		snprintf(n, sizeof(n), "%zu", r.n_approvers + 1);
		d = km_json("digest", r.digest, "approvals", n, (char *)NULL);
		ev.object = obj;
		ev.details = d;
		e = egca_audit_append(st, &ev);
		free(d);
	}
	egca_store_km_judicial_rec_free(&r);
	return e;
}

enum egca_err
egca_km_judicial_approve(struct egca_km *km, const struct egca_principal *p,
    const char *id, const char *digest)
{
	struct jud_act a = {km, p, id, digest, NULL, 0};
	char obj[64];
	enum egca_err e;

	if ((e = km_check_role(km, p, EGCA_ROLE_KM_OFFICER,
	         "km_judicial_approve")) != EGCA_OK)
		return e;
	snprintf(obj, sizeof(obj), "km-judicial/%.32s", id ? id : "");
	if (!id_ok(id) || digest == NULL || strlen(digest) != 64)
		e = egca_err_set(EGCA_ERR_INPUT,
		    "a request id (32 hex) and its digest (64 hex) are "
		    "needed");
	else
		e = km_tx(km, jud_approve_tx, &a);
	if (e != EGCA_OK)
		refused(km, p, "km.judicial.approve", obj);
	return e;
}

static enum egca_err
jud_release_tx(struct egca_store *st, void *arg)
{
	struct jud_act *a = arg;
	struct egca_km_judicial_rec r;
	struct egca_km_key_rec key;
	struct egca_cert_info info;
	struct egca_audit_event ev = {
	    a->p->actor, "km.judicial.release", NULL, "success", NULL};
	EVP_PKEY *to = NULL;
	char obj[64], *d, approvers[600];
	size_t i;
	enum egca_err e;

	memset(&key, 0, sizeof(key));
	memset(&info, 0, sizeof(info));
	free(a->env); /* a retried transaction */
	a->env = NULL;
	if ((e = egca_store_km_judicial_get(st, a->id, &r)) != EGCA_OK)
		return e;
	if (strcmp(r.state, "pending") != 0) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "judicial request %s was released already", r.id);
		goto out;
	}
	if (r.n_approvers < (size_t)a->km->conf.officer_quorum) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "judicial request %s has %zu of the %d approvals needed",
		    r.id, r.n_approvers, a->km->conf.officer_quorum);
		goto out;
	}
	if ((e = egca_store_km_key_get(st, r.key_id, &key)) != EGCA_OK ||
	    (e = egca_pki_cert_info(
	         r.recipient_cert, r.recipient_cert_len, &info)) != EGCA_OK ||
	    (e = egca_crypto_spki_decode(
	         info.spki_der, info.spki_der_len, &to)) != EGCA_OK ||
	    (e = km_envelope_escrowed(a->km, &key, to, &a->env, &a->env_len)) !=
	        EGCA_OK ||
	    (e = egca_store_km_judicial_release(
	         st, r.id, a->p->name, now_s())) != EGCA_OK)
		goto out;
	approvers[0] = '\0';
	for (i = 0; i < r.n_approvers; i++)
		snprintf(approvers + strlen(approvers),
		    sizeof(approvers) - strlen(approvers), "%s%s", i ? "," : "",
		    r.approvers[i]);
	snprintf(obj, sizeof(obj), "km-judicial/%s", r.id);
	d = km_json("case", r.case_ref, "key", r.key_id, "recipient",
	    r.recipient_subject, "approvers", approvers, (char *)NULL);
	ev.object = obj;
	ev.details = d;
	e = egca_audit_append(st, &ev);
	free(d);
out:
	EVP_PKEY_free(to);
	egca_pki_cert_info_free(&info);
	egca_store_km_key_rec_free(&key);
	egca_store_km_judicial_rec_free(&r);
	if (e != EGCA_OK) {
		free(a->env);
		a->env = NULL;
	}
	return e;
}

enum egca_err
egca_km_judicial_release(struct egca_km *km, const struct egca_principal *p,
    const char *id, uint8_t **envelope, size_t *envelope_len)
{
	struct jud_act a = {km, p, id, NULL, NULL, 0};
	char obj[64];
	enum egca_err e;

	*envelope = NULL;
	*envelope_len = 0;
	if ((e = km_check_role(km, p, EGCA_ROLE_KM_OFFICER,
	         "km_judicial_release")) != EGCA_OK)
		return e;
	snprintf(obj, sizeof(obj), "km-judicial/%.32s", id ? id : "");
	if (!id_ok(id))
		e = egca_err_set(
		    EGCA_ERR_INPUT, "a request id is 32 lower-case hex digits");
	else
		e = km_tx(km, jud_release_tx, &a);
	if (e != EGCA_OK) {
		refused(km, p, "km.judicial.release", obj);
		return e;
	}
	*envelope = a.env;
	*envelope_len = a.env_len;
	return EGCA_OK;
}

enum egca_err
egca_km_judicial_get(struct egca_km *km, const struct egca_principal *p,
    const char *id, struct egca_km_judicial_rec *out)
{
	struct egca_store *st;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if ((e = km_check_role(km, p, EGCA_ROLE_KM_OFFICER | EGCA_ROLE_AUDITOR,
	         "km_judicial_get")) != EGCA_OK)
		return e;
	if (!id_ok(id))
		return egca_err_set(
		    EGCA_ERR_INPUT, "a request id is 32 lower-case hex digits");
	if ((e = egca_store_pool_get(km->pool, &st)) != EGCA_OK)
		return e;
	e = egca_store_km_judicial_get(st, id, out);
	egca_store_pool_put(km->pool, st);
	return e;
}
