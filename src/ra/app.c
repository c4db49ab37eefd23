/*
 * Applications (申请): submission with the checks a reviewer relies on,
 * four-eyes / M-of-N review bound to the application's digest, and
 * rejection. Execution is in exec.c, materials in material.c.
 *
 * Review rules (reliability-scenarios A2): the submitter never approves;
 * one approval per reviewer (a second is EGCA_ERR_EXISTS); an approval
 * names the digest the reviewer saw and is refused when the
 * application changed since (EGCA_ERR_CONFLICT); only approvals bound
 * to the current digest count, so adding a material voids earlier
 * ones (their reviewers may approve again). The approval that reaches
 * the required number (egca.conf "ra": "approvals") makes the
 * application "approved" in its transaction and then executes it.
 * A reviewer may reject with a reason; the submitter may withdraw its
 * own application that way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "egca/pki.h"
#include "ra/ra_int.h"

void
egca_ra_app_rec_free(struct egca_app_rec *r)
{
	egca_store_ra_app_clear(r);
}

void
egca_ra_app_list_free(struct egca_app_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_ra_app_clear(&l[i]);
	free(l);
}

void
egca_ra_app_result_free(struct egca_app_result *r)
{
	if (r == NULL)
		return;
	free(r->der);
	free(r->enc_der);
	free(r->envelope);
	free(r->skf);
	OPENSSL_cleanse(r->revocation_code, sizeof(r->revocation_code));
	memset(r, 0, sizeof(*r));
}

static const char *const kinds[] = {
    "new", "update", "extend", "recover", "hold", "unhold", "revoke"};
static const char *const states[] = {
    "submitted", "approved", "rejected", "executing", "executed", "failed"};

static int
listed(const char *const *l, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(l[i], s) == 0)
			return 1;
	return 0;
}

#define KIND_OK(k) listed(kinds, sizeof(kinds) / sizeof(kinds[0]), k)
#define STATE_OK(s) listed(states, sizeof(states) / sizeof(states[0]), s)

static int
required_approvals(const struct egca_config *cfg, const char *kind)
{
	const struct egca_config_ra *r = &cfg->ra;
	int v = 0, def = 1;

	if (strcmp(kind, "new") == 0)
		v = r->approvals_new;
	else if (strcmp(kind, "update") == 0)
		v = r->approvals_update;
	else if (strcmp(kind, "extend") == 0)
		v = r->approvals_extend;
	else if (strcmp(kind, "recover") == 0)
		v = r->approvals_recover, def = 2;
	else if (strcmp(kind, "hold") == 0)
		v = r->approvals_hold;
	else if (strcmp(kind, "unhold") == 0)
		v = r->approvals_unhold;
	else if (strcmp(kind, "revoke") == 0)
		v = r->approvals_revoke;
	/* A configuration made by hand (tests) may leave it 0. */
	return v >= 1 && v <= 5 ? v : def;
}

/* The profile's subscriber type fits the subscriber's type. */
static int
type_fits(const char *profile_type, const char *sub_type)
{
	if (profile_type[0] == '\0')
		return 1;
	if (strcmp(profile_type, "organization") == 0)
		return strcmp(sub_type, "enterprise") == 0 ||
		    strcmp(sub_type, "institution") == 0 ||
		    strcmp(sub_type, "social-org") == 0;
	return strcmp(profile_type, sub_type) == 0;
}

static enum egca_err
profile_check(const struct egca_ctx *ctx, const char *field, const char *name,
    int enc, const struct egca_subscriber_rec *sub)
{
	struct egca_profile *prof = NULL;
	enum egca_err e;

	if ((e = egca_pki_profile_load(ctx->cfg->profiles_dir, name, &prof)) !=
	    EGCA_OK)
		return ra_prefix(
		    e == EGCA_ERR_NOTFOUND ? EGCA_ERR_INPUT : e, field);
	if (prof->kind != EGCA_PROFILE_EE)
		e = egca_err_set(EGCA_ERR_POLICY,
		    "%s: '%s' is not an end-entity profile", field, name);
	else if (enc && strcmp(prof->usage, "enc") != 0)
		e = egca_err_set(EGCA_ERR_POLICY,
		    "%s: '%s' is not an encryption certificate profile", field,
		    name);
	else if (!enc && strcmp(prof->usage, "enc") == 0)
		e = egca_err_set(EGCA_ERR_POLICY,
		    "%s: '%s' is for encryption certificates (KM keys): "
		    "give it as enc_profile",
		    field, name);
	else if (!type_fits(prof->subscriber_type, sub->type))
		e = egca_err_set(EGCA_ERR_POLICY,
		    "%s: '%s' is for %s subscribers, not %s", field, name,
		    prof->subscriber_type, sub->type);
	egca_pki_profile_free(prof);
	return e;
}

/* 1 when the keys of two SPKIs are the same (DER, else the key). */
static int
same_key(const uint8_t *a, size_t a_len, EVP_PKEY *a_key, const uint8_t *b,
    size_t b_len)
{
	EVP_PKEY *bk = NULL;
	int same;

	if (a_len == b_len && memcmp(a, b, a_len) == 0)
		return 1;
	if (a_key == NULL || egca_crypto_spki_decode(b, b_len, &bk) != EGCA_OK)
		return 0;
	same = egca_crypto_key_public_equal(a_key, bk);
	EVP_PKEY_free(bk);
	return same;
}

/*
 * The certificate an application acts on: it must have been issued for
 * sub (cert_index.subscriber) and be in a state the kind can act on.
 */
static enum egca_err
target_check(const struct egca_ctx *ctx, const char *kind, const char *ca,
    const char *serial, const struct egca_subscriber_rec *sub,
    const struct egca_csr *csr, char **profile)
{
	struct egca_cert_rec cert;
	struct egca_cert_info info;
	char *owner = NULL;
	const char *need = NULL;
	int same;
	enum egca_err e;

	memset(&cert, 0, sizeof(cert));
	memset(&info, 0, sizeof(info));
	*profile = NULL;
	e = egca_store_ra_cert_subscriber(ctx->st, ca, serial, &owner);
	if (e == EGCA_OK && strcmp(owner, sub->id) != 0)
		e = EGCA_ERR_NOTFOUND;
	if (e == EGCA_OK)
		e = egca_store_cert_get(ctx->st, ca, serial, &cert);
	if (e == EGCA_ERR_NOTFOUND)
		e = egca_err_set(EGCA_ERR_NOTFOUND,
		    "serial: no certificate %s of CA %s issued for this "
		    "subscriber",
		    serial, ca);
	if (e != EGCA_OK)
		goto out;
	if (strcmp(kind, "update") == 0 || strcmp(kind, "extend") == 0 ||
	    strcmp(kind, "hold") == 0)
		need = strcmp(cert.status, "good") == 0 ? NULL : "good";
	else if (strcmp(kind, "unhold") == 0)
		need = strcmp(cert.status, "hold") == 0 ? NULL : "on hold";
	else if (strcmp(cert.status, "revoked") == 0)
		need = "not revoked";
	if (need != NULL) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "serial: certificate %s is %s; %s needs one that is %s",
		    serial, cert.status, kind, need);
		goto out;
	}
	if (csr != NULL &&
	    (strcmp(kind, "update") == 0 || strcmp(kind, "extend") == 0)) {
		if ((e = egca_pki_cert_info(cert.der, cert.der_len, &info)) !=
		    EGCA_OK)
			goto out;
		same = same_key(csr->spki, csr->spki_len, csr->pubkey,
		    info.spki_der, info.spki_der_len);
		if (strcmp(kind, "update") == 0 && same) {
			e = egca_err_set(EGCA_ERR_POLICY,
			    "csr: an update (re-key) needs a new key; the CSR "
			    "carries the key of certificate %s (use extend to "
			    "keep the key)",
			    serial);
			goto out;
		}
		if (strcmp(kind, "extend") == 0 && !same) {
			e = egca_err_set(EGCA_ERR_POLICY,
			    "csr: an extension keeps the key; the CSR carries "
			    "another key than certificate %s (use update for "
			    "a new key)",
			    serial);
			goto out;
		}
	}
	if ((*profile = strdup(cert.profile)) == NULL)
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
out:
	free(owner);
	egca_pki_cert_info_free(&info);
	egca_store_cert_rec_free(&cert);
	return e;
}

/*
 * recover names the ENCRYPTION certificate of a dual pair (the KM keys
 * the escrowed key by it; it stays valid). The new signing certificate
 * keeps the pair's subject and, by default, the profile of the pair's
 * current signing certificate; its key must be new.
 */
static enum egca_err
recover_check(const struct egca_ctx *ctx, const char *ca, const char *serial,
    const struct egca_app_new *in, const struct egca_csr *csr, char **profile)
{
	struct egca_cert_rec cert;
	struct egca_cert_info info;
	char *sign = NULL;
	enum egca_err e;

	memset(&cert, 0, sizeof(cert));
	memset(&info, 0, sizeof(info));
	if (in->subject != NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "subject: a recovery keeps the subject of the encryption "
		    "certificate");
	e = egca_store_pair_sign_of(ctx->st, ca, serial, NULL, &sign);
	if (e == EGCA_ERR_NOTFOUND)
		return egca_err_set(EGCA_ERR_INPUT,
		    "serial: certificate %s is not the encryption certificate "
		    "of a dual pair (recover names the encryption certificate "
		    "whose key the KM keeps)",
		    serial);
	if (e != EGCA_OK ||
	    (e = egca_store_cert_get(ctx->st, ca, sign, &cert)) != EGCA_OK ||
	    (e = egca_pki_cert_info(cert.der, cert.der_len, &info)) != EGCA_OK)
		goto out;
	if (same_key(csr->spki, csr->spki_len, csr->pubkey, info.spki_der,
	        info.spki_der_len)) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "csr: a recovery needs a new signing key; the CSR carries "
		    "the key of signing certificate %s",
		    sign);
		goto out;
	}
	free(*profile);
	if ((*profile = strdup(cert.profile)) == NULL)
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
out:
	free(sign);
	egca_pki_cert_info_free(&info);
	egca_store_cert_rec_free(&cert);
	return e;
}

struct submit_tx {
	const struct egca_ctx *ctx;
	const char *actor;
	const struct egca_app_rec *rec;
	const char *key;
	char id[33];
};

static enum egca_err
submit_tx(struct egca_store *st, void *arg)
{
	struct submit_tx *c = arg;
	const struct egca_app_rec *a = c->rec;
	char object[64], *details;
	int replay;
	enum egca_err e;

	memcpy(c->id, a->id, 33);
	if ((e = ra_idem_lookup(st, c->key, c->actor, "application", a->digest,
	         c->id, &replay)) != EGCA_OK ||
	    replay)
		return e;
	if ((e = egca_store_ra_app_insert(st, a)) != EGCA_OK)
		return e;
	if (c->key != NULL &&
	    (e = egca_store_ra_idem_insert(st, c->key, c->actor, "application",
	         a->digest, a->id, a->submitted_at)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "app/%s", a->id);
	details = ra_details("{s:s, s:s, s:s, s:s*, s:s*, s:s, s:i}", "kind",
	    a->kind, "subscriber", a->subscriber, "ca", a->ca, "profile",
	    a->profile, "serial", a->serial, "digest", a->digest, "required",
	    a->required_approvals);
	e = ra_audit(st, c->actor, "app.submit", object, details);
	free(details);
	return e;
}

/* The submission's checks; fills a (borrowing from in) and *owned. */
static enum egca_err
submit_check(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_app_new *in, struct egca_app_rec *a,
    struct egca_subscriber_rec *sub, struct egca_ca_rec *ca,
    struct egca_csr **csr, char *serial, char **profile)
{
	const char *k = in->kind;
	int needs_csr, needs_serial, reason;
	uint8_t *name = NULL;
	size_t name_len;
	enum egca_err e;

	if (!KIND_OK(k))
		return egca_err_set(EGCA_ERR_INPUT,
		    "kind: one of new, update, extend, recover, hold, unhold, "
		    "revoke");
	if (!ra_id_valid(in->subscriber))
		return egca_err_set(EGCA_ERR_NOTFOUND, "no such subscriber");
	if ((e = egca_store_ra_subscriber_get(ctx->st, in->subscriber, sub)) !=
	        EGCA_OK ||
	    (e = ra_sees(ctx->st, p, sub, 1)) != EGCA_OK)
		return e;
	if ((e = egca_ca_get(ctx, in->ca, ca)) != EGCA_OK)
		return ra_prefix(e, "ca");
	if (strcmp(ca->status, "active") != 0)
		return egca_err_set(
		    EGCA_ERR_STATE, "ca: CA %s is %s", ca->name, ca->status);
	needs_csr = strcmp(k, "new") == 0 || strcmp(k, "update") == 0 ||
	    strcmp(k, "extend") == 0 || strcmp(k, "recover") == 0;
	needs_serial = strcmp(k, "new") != 0;
	if (needs_csr && (in->csr_der == NULL || in->csr_len == 0))
		return egca_err_set(
		    EGCA_ERR_INPUT, "csr: required for kind %s", k);
	if (!needs_csr && in->csr_der != NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "csr: not used by kind %s", k);
	if (needs_serial && in->serial == NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "serial: required for kind %s", k);
	if (!needs_serial && in->serial != NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "serial: a new certificate acts on no certificate");
	if (in->serial != NULL &&
	    (e = egca_ca_serial_parse(in->serial, serial)) != EGCA_OK)
		return ra_prefix(e, "serial");
	if (strcmp(k, "revoke") == 0) {
		if (in->reason == NULL)
			return egca_err_set(EGCA_ERR_INPUT,
			    "reason: required for kind revoke (RFC 5280 "
			    "CRLReason)");
		if (egca_ca_reason_parse(in->reason, &reason) != EGCA_OK ||
		    reason == 6 || reason == 8)
			return egca_err_set(EGCA_ERR_INPUT,
			    "reason: not a revocation reason (RFC 5280 5.3.1: "
			    "unspecified, keyCompromise, affiliationChanged, "
			    "superseded, cessationOfOperation, "
			    "privilegeWithdrawn, ...)");
		a->reason = (char *)(uintptr_t)egca_ca_reason_name(reason);
	} else if (in->reason != NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "reason: only for kind revoke");
	if ((strcmp(k, "new") == 0 || strcmp(k, "update") == 0) &&
	    in->profile == NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "profile: required for kind %s", k);
	if (!needs_csr && in->profile != NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "profile: not used by kind %s", k);
	if (in->enc_profile != NULL && strcmp(k, "new") != 0 &&
	    strcmp(k, "update") != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "enc_profile: only for kinds new and update");
	if (in->profile != NULL &&
	    (e = profile_check(ctx, "profile", in->profile, 0, sub)) != EGCA_OK)
		return e;
	if (in->enc_profile != NULL &&
	    (e = profile_check(ctx, "enc_profile", in->enc_profile, 1, sub)) !=
	        EGCA_OK)
		return e;
	if (in->subject != NULL) {
		if (!needs_csr)
			return egca_err_set(
			    EGCA_ERR_INPUT, "subject: not used by kind %s", k);
		if ((e = ra_text("subject", in->subject, 1, 1024, 1, 0)) !=
		    EGCA_OK)
			return e;
		if (egca_pki_name_parse(in->subject, &name, &name_len) !=
		    EGCA_OK)
			return ra_prefix(EGCA_ERR_INPUT, "subject");
		free(name);
	}
	if (in->validity_days < 0 ||
	    in->validity_days > EGCA_CA_MAX_VALIDITY_DAYS)
		return egca_err_set(EGCA_ERR_INPUT,
		    "validity_days: 0 (the profile's default) to %d",
		    EGCA_CA_MAX_VALIDITY_DAYS);
	if (in->validity_days != 0 && !needs_csr)
		return egca_err_set(
		    EGCA_ERR_INPUT, "validity_days: not used by kind %s", k);
	if ((e = ra_text("note", in->note, 0, 2000, 0, 1)) != EGCA_OK)
		return e;
	if (needs_csr &&
	    (e = egca_pki_csr_parse(in->csr_der, in->csr_len, csr)) != EGCA_OK)
		return ra_prefix(e, "csr");
	if (needs_serial &&
	    (e = target_check(ctx, k, ca->name, serial, sub, *csr, profile)) !=
	        EGCA_OK)
		return e;
	if (strcmp(k, "recover") == 0 &&
	    (e = recover_check(ctx, ca->name, serial, in, *csr, profile)) !=
	        EGCA_OK)
		return e;
	a->kind = (char *)(uintptr_t)k;
	a->subscriber = sub->id;
	a->region = sub->region;
	a->point = (p->roles & RA_ROLE_POINT) && p->point[0] != '\0'
	    ? (char *)(uintptr_t)p->point
	    : sub->point;
	a->ca = ca->name;
	/* extend and recover keep the certificate's profile by default. */
	a->profile = (char *)(uintptr_t)in->profile;
	if (a->profile == NULL && needs_csr && *profile != NULL)
		a->profile = *profile;
	a->enc_profile = (char *)(uintptr_t)in->enc_profile;
	if (*csr != NULL) {
		a->csr_der = (*csr)->der;
		a->csr_len = (*csr)->der_len;
	}
	a->subject = (char *)(uintptr_t)in->subject;
	a->serial = in->serial != NULL ? serial : NULL;
	a->validity_days = in->validity_days;
	a->note = (char *)(uintptr_t)in->note;
	return EGCA_OK;
}

enum egca_err
egca_ra_app_submit(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_app_new *in, const char *idem_key, char id[33])
{
	static const char action[] = "app.submit";
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	struct egca_ca_rec ca;
	struct egca_csr *csr = NULL;
	struct submit_tx c;
	char serial[41], digest[65], *profile = NULL;
	int64_t now = (int64_t)time(NULL);
	enum egca_err e;

	id[0] = '\0';
	memset(&a, 0, sizeof(a));
	memset(&sub, 0, sizeof(sub));
	memset(&ca, 0, sizeof(ca));
	memset(&c, 0, sizeof(c));
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_need_role(p, EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_APPLICANT,
	         action, "ra-operator or applicant")) != EGCA_OK ||
	    (e = ra_idem_key_check(idem_key)) != EGCA_OK ||
	    (e = submit_check(ctx, p, in, &a, &sub, &ca, &csr, serial,
	         &profile)) != EGCA_OK) {
		e = ra_refuse(ctx, p, action, "app", e);
		goto out;
	}
	a.state = (char *)(uintptr_t) "submitted";
	a.submitted_by = (char *)(uintptr_t)p->name;
	a.submitted_at = now;
	a.updated_at = now;
	a.required_approvals = required_approvals(ctx->cfg, a.kind);
	if ((e = ra_app_digest(&a, NULL, 0, digest)) != EGCA_OK ||
	    (e = ra_new_id(c.id)) != EGCA_OK)
		goto out;
	a.digest = digest;
	a.id = c.id;
	c.ctx = ctx;
	c.actor = ra_actor(ctx, p);
	c.rec = &a;
	c.key = idem_key;
	if ((e = ra_tx(ctx->st, submit_tx, &c)) != EGCA_OK) {
		e = ra_refuse(ctx, p, action, "app", e);
		goto out;
	}
	memcpy(id, c.id, 33);
out:
	egca_pki_csr_free(csr);
	egca_store_ra_subscriber_clear(&sub);
	egca_store_ca_rec_free(&ca);
	free(profile);
	return e;
}

enum egca_err
egca_ra_app_get(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *id, struct egca_app_rec *out)
{
	struct egca_subscriber_rec sub;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if ((e = ra_need_user(p)) != EGCA_OK)
		return e;
	e = ra_app_load(ctx->st, p, id, 0, out, &sub);
	egca_store_ra_subscriber_clear(&sub);
	return e;
}

enum egca_err
egca_ra_app_list(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_app_filter *f, struct egca_app_rec **out, size_t *n)
{
	struct egca_store_ra_scope sc;
	struct egca_store_ra_app_query q;
	enum egca_err e;

	*out = NULL;
	*n = 0;
	if ((e = ra_need_user(p)) != EGCA_OK)
		return e;
	memset(&q, 0, sizeof(q));
	if (f != NULL) {
		if (f->state != NULL && !STATE_OK(f->state))
			return egca_err_set(EGCA_ERR_INPUT,
			    "state: one of submitted, approved, rejected, "
			    "executing, executed, failed");
		if (f->kind != NULL && !KIND_OK(f->kind))
			return egca_err_set(EGCA_ERR_INPUT,
			    "kind: one of new, update, extend, recover, hold, "
			    "unhold, revoke");
		q.state = f->state;
		q.kind = f->kind;
		q.subscriber = f->subscriber;
		q.limit = f->limit;
		q.offset = f->offset;
	}
	ra_scope(p, &sc);
	q.scope = &sc;
	return egca_store_ra_app_list(ctx->st, &q, out, n);
}

/* ---- review ---- */

struct review_tx {
	const struct egca_ctx *ctx;
	const struct egca_principal *p;
	const char *id, *digest;
	const char *reason; /* reject: the reason; approve: NULL */
	int64_t now;
	int reached; /* approve: the required number was reached */
};

/* Checks shared by approve and reject, inside the transaction. */
static enum egca_err
review_check(struct egca_store *st, struct review_tx *c, int approve,
    struct egca_app_rec *a)
{
	enum egca_err e;

	if ((e = egca_store_ra_app_get(st, c->id, a)) != EGCA_OK)
		return e;
	if (strcmp(a->state, "submitted") != 0)
		return egca_err_set(EGCA_ERR_STATE,
		    "application %s is %s: only a submitted application can "
		    "be %s",
		    c->id, a->state, approve ? "approved" : "rejected");
	if (approve && strcmp(a->submitted_by, c->p->name) == 0)
		return egca_err_set(EGCA_ERR_POLICY,
		    "four eyes: %s submitted application %s and may not "
		    "approve it",
		    c->p->name, c->id);
	if (strcmp(a->digest, c->digest) != 0)
		return ra_conflict(
		    "application changed since you saw it (digest %.64s is "
		    "not the current one): review it again",
		    c->digest);
	return EGCA_OK;
}

static enum egca_err
approve_tx(struct egca_store *st, void *arg)
{
	struct review_tx *c = arg;
	struct egca_app_rec a;
	char object[64], *details;
	int approvals;
	enum egca_err e;

	memset(&a, 0, sizeof(a));
	c->reached = 0;
	if ((e = review_check(st, c, 1, &a)) != EGCA_OK ||
	    (e = egca_store_ra_approval_put(
	         st, c->id, c->p->name, c->digest, c->now)) != EGCA_OK)
		goto out;
	egca_store_ra_app_clear(&a);
	if ((e = egca_store_ra_app_get(st, c->id, &a)) != EGCA_OK)
		goto out;
	approvals = a.approvals;
	if (approvals >= a.required_approvals) {
		if ((e = egca_store_ra_app_decide(st, c->id, "approved",
		         c->p->name, NULL, c->now)) != EGCA_OK)
			goto out;
		c->reached = 1;
	}
	snprintf(object, sizeof(object), "app/%s", c->id);
	details = ra_details("{s:s, s:i, s:i, s:b}", "digest", c->digest,
	    "approvals", approvals, "required", a.required_approvals,
	    "approved", c->reached);
	e = ra_audit(
	    st, ra_actor(c->ctx, c->p), "app.approve", object, details);
	free(details);
out:
	egca_store_ra_app_clear(&a);
	return e;
}

/* Role, digest shape and scope, for approve and reject. */
static enum egca_err
review_start(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *action, const char *id, const char *digest)
{
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	enum egca_err e;

	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_need_role(
	         p, EGCA_ROLE_RA_REVIEWER, action, "ra-reviewer")) != EGCA_OK)
		return e;
	if ((e = ra_app_load(ctx->st, p, id, 1, &a, &sub)) != EGCA_OK)
		return e;
	egca_store_ra_app_clear(&a);
	egca_store_ra_subscriber_clear(&sub);
	if (digest == NULL || strlen(digest) != 64)
		return egca_err_set(EGCA_ERR_INPUT,
		    "digest: the application's SM3 digest (64 hex) as "
		    "reviewed");
	return EGCA_OK;
}

enum egca_err
egca_ra_app_approve(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_ra_env *env, const char *id, const char *digest,
    struct egca_app_result *res)
{
	static const char action[] = "app.approve";
	struct review_tx c;
	char object[64];
	enum egca_err e;

	memset(res, 0, sizeof(*res));
	snprintf(object, sizeof(object), "app/%.32s", id ? id : "");
	if ((e = review_start(ctx, p, action, id, digest)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	c = (struct review_tx){
	    ctx, p, id, digest, NULL, (int64_t)time(NULL), 0};
	if ((e = ra_tx(ctx->st, approve_tx, &c)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	if (!c.reached)
		return EGCA_OK;
	return ra_execute(ctx, p, env, id, res);
}

static enum egca_err
reject_tx(struct egca_store *st, void *arg)
{
	struct review_tx *c = arg;
	struct egca_app_rec a;
	char object[64], *details;
	enum egca_err e;

	memset(&a, 0, sizeof(a));
	if ((e = review_check(st, c, 0, &a)) != EGCA_OK ||
	    (e = egca_store_ra_app_decide(st, c->id, "rejected", c->p->name,
	         c->reason, c->now)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "app/%s", c->id);
	details =
	    ra_details("{s:s, s:s}", "digest", c->digest, "reason", c->reason);
	e = ra_audit(st, ra_actor(c->ctx, c->p), "app.reject", object, details);
	free(details);
out:
	egca_store_ra_app_clear(&a);
	return e;
}

enum egca_err
egca_ra_app_reject(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *id, const char *digest, const char *reason)
{
	static const char action[] = "app.reject";
	struct review_tx c;
	char object[64];
	enum egca_err e;

	snprintf(object, sizeof(object), "app/%.32s", id ? id : "");
	if ((e = review_start(ctx, p, action, id, digest)) != EGCA_OK ||
	    (e = ra_text("reason", reason, 1, 500, 1, 1)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	c = (struct review_tx){
	    ctx, p, id, digest, reason, (int64_t)time(NULL), 0};
	if ((e = ra_tx(ctx->st, reject_tx, &c)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	return EGCA_OK;
}

enum egca_err
egca_ra_app_execute(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_ra_env *env, const char *id, struct egca_app_result *res)
{
	static const char action[] = "app.execute";
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	char object[64];
	enum egca_err e;

	memset(res, 0, sizeof(*res));
	snprintf(object, sizeof(object), "app/%.32s", id ? id : "");
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_need_role(p, RA_ROLE_POINT, action,
	         "ra-operator or ra-reviewer")) != EGCA_OK ||
	    (e = ra_app_load(ctx->st, p, id, 1, &a, &sub)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	egca_store_ra_app_clear(&a);
	egca_store_ra_subscriber_clear(&sub);
	return ra_execute(ctx, p, env, id, res);
}
