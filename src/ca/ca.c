/*
 * CA creation, source-point import, trust anchors and export
 * (include/egca/ca.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "egca/audit.h"
#include "egca/ca.h"
#include "egca/file.h"
#include "ca/ca_int.h"

enum egca_err
egca_ca_name_check(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > 63)
		return egca_err_set(
		    EGCA_ERR_USAGE, "CA name must be 1 to 63 characters");
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-'))
			return egca_err_set(EGCA_ERR_USAGE,
			    "CA name '%s': only a-z, 0-9 and '-' allowed",
			    name);
	}
	/* keys/<name>.key: names of the service's own keys are taken. */
	if (strcmp(name, "audit") == 0 || strcmp(name, "auth") == 0 ||
	    strcmp(name, "km") == 0)
		return egca_err_set(EGCA_ERR_USAGE,
		    "CA name '%s' is reserved (a key of the service)", name);
	return EGCA_OK;
}

char *
egca_ca_url(const char *base_url, const char *path, const char *name,
    const char *suffix)
{
	size_t n =
	    strlen(base_url) + strlen(path) + strlen(name) + strlen(suffix) + 1;
	char *url = malloc(n);

	if (url != NULL)
		snprintf(url, n, "%s%s%s%s", base_url, path, name, suffix);
	return url;
}

static char *
key_path(const struct egca_ctx *ctx, const char *name)
{
	char file[96];

	snprintf(file, sizeof(file), "%s.key", name);
	return egca_file_join(ctx->cfg->keys_dir, file);
}

struct create_tx {
	const struct egca_ctx *ctx;
	struct egca_ca_rec *rec;
	const struct egca_ca_create_opts *o;
};

static enum egca_err
create_tx(struct egca_store *st, void *arg)
{
	struct create_tx *c = arg;
	struct egca_audit_event ev;
	char object[96], *details;
	enum egca_err e;

	if ((e = egca_store_ca_insert(st, c->rec)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "ca/%s", c->rec->name);
	details = egca_audit_details("{s:s, s:s, s:s, s:i}", "mode",
	    c->rec->mode, "key_alg", c->rec->key_alg, "subject",
	    c->rec->subject, "validity_days", c->o->validity_days);
	ev = (struct egca_audit_event){
	    c->ctx->actor, "ca.create", object, "success", details};
	e = egca_audit_append(st, &ev);
	free(details);
	return e;
}

static enum egca_err
self_sign(struct egca_signer *sg, const struct egca_ca_create_opts *o,
    const uint8_t *subject, size_t subject_len, const char *profiles_dir,
    const struct egca_config *cfg, struct egca_buf *cert)
{
	struct egca_profile *prof = NULL;
	struct egca_cert_template t;
	struct egca_lint_result lint;
	struct egca_buf tbs;
	uint8_t serial[EGCA_SERIAL_LEN], *sig = NULL;
	size_t spki_len, sig_len;
	int64_t now = (int64_t)time(NULL);
	enum egca_err e;

	egca_buf_init(&tbs, 1 << 20);
	if ((e = egca_pki_profile_load(profiles_dir, "root", &prof)) != EGCA_OK)
		goto out;
	if ((e = egca_ca_new_serial(serial)) != EGCA_OK)
		goto out;
	memset(&t, 0, sizeof(t));
	t.profile = prof;
	t.sig_alg = egca_signer_sig_alg(sg);
	t.serial = serial;
	t.serial_len = sizeof(serial);
	t.issuer = t.subject = subject;
	t.issuer_len = t.subject_len = subject_len;
	t.spki = egca_signer_get0_spki(sg, &spki_len);
	t.spki_len = spki_len;
	t.not_before = now;
	t.not_after = now + (int64_t)o->validity_days * 86400;
	t.ca_repository_url =
	    egca_ca_url(cfg->base_url, "/ca/", o->name, ".crt");
	e = egca_pki_cert_build_tbs(&t, &tbs);
	free(UNCONST(t.ca_repository_url));
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_pki_lint_tbs(tbs.data, tbs.len, prof, &lint)) != EGCA_OK)
		goto out;
	if ((sig = malloc(egca_signer_sig_max(sg))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	sig_len = egca_signer_sig_max(sg);
	if ((e = egca_signer_sign(sg, EGCA_SIGN_CERT, tbs.data, tbs.len, sig,
	         &sig_len)) != EGCA_OK)
		goto out;
	e = egca_pki_signed_assemble(
	    tbs.data, tbs.len, t.sig_alg, sig, sig_len, cert);
out:
	free(sig);
	egca_buf_free(&tbs);
	egca_pki_profile_free(prof);
	return e;
}

static enum egca_err
make_csr(struct egca_signer *sg, const uint8_t *subject, size_t subject_len,
    struct egca_buf *csr)
{
	struct egca_buf tbs;
	uint8_t *sig = NULL;
	const uint8_t *spki;
	size_t spki_len, sig_len;
	enum egca_err e;

	egca_buf_init(&tbs, 1 << 20);
	spki = egca_signer_get0_spki(sg, &spki_len);
	if ((e = egca_pki_csr_build_tbs(
	         subject, subject_len, spki, spki_len, &tbs)) != EGCA_OK)
		goto out;
	if ((sig = malloc(egca_signer_sig_max(sg))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	sig_len = egca_signer_sig_max(sg);
	if ((e = egca_signer_sign(sg, EGCA_SIGN_CSR, tbs.data, tbs.len, sig,
	         &sig_len)) != EGCA_OK)
		goto out;
	e = egca_pki_signed_assemble(
	    tbs.data, tbs.len, egca_signer_sig_alg(sg), sig, sig_len, csr);
out:
	free(sig);
	egca_buf_free(&tbs);
	return e;
}

enum egca_err
egca_ca_create(const struct egca_ctx *ctx, const struct egca_ca_create_opts *o)
{
	struct egca_signer *sg = NULL;
	struct egca_ca_rec rec;
	struct egca_ca_rec existing;
	struct egca_buf obj;
	struct create_tx c;
	uint8_t *subject = NULL;
	size_t subject_len;
	char *path = NULL, *subject_text = NULL, keyfile[96];
	int key_written = 0;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	memset(&existing, 0, sizeof(existing));
	egca_buf_init(&obj, 1 << 20);
	if ((e = egca_ca_name_check(o->name)) != EGCA_OK)
		goto out;
	if (o->validity_days < 1 ||
	    o->validity_days > EGCA_CA_MAX_VALIDITY_DAYS) {
		e = egca_err_set(EGCA_ERR_USAGE,
		    "--validity-days %d: a CA may be valid 1 to %d days "
		    "(GM/T 0015 interop: GmSSL refuses longer)",
		    o->validity_days, EGCA_CA_MAX_VALIDITY_DAYS);
		goto out;
	}
	if ((e = egca_pki_name_parse(o->subject, &subject, &subject_len)) !=
	    EGCA_OK)
		goto out;
	if ((e = egca_pki_name_to_text(subject, subject_len, &subject_text)) !=
	    EGCA_OK)
		goto out;
	/* Refuse early, before a key file is written. */
	e = egca_store_ca_get(ctx->st, o->name, &existing);
	egca_store_ca_rec_free(&existing);
	if (e == EGCA_OK) {
		e = egca_err_set(
		    EGCA_ERR_EXISTS, "CA '%s' already exists", o->name);
		goto out;
	}
	if (e != EGCA_ERR_NOTFOUND)
		goto out;
	if ((path = key_path(ctx, o->name)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (egca_file_exists(path)) {
		e = egca_err_set(EGCA_ERR_EXISTS,
		    "%s exists: refusing to overwrite a CA key", path);
		goto out;
	}
	if ((e = egca_file_mkdirs(ctx->cfg->keys_dir, 0700)) != EGCA_OK)
		goto out;
	if ((e = egca_signer_generate(o->alg, o->bits,
	         EGCA_SIGN_CERT | EGCA_SIGN_CRL | EGCA_SIGN_OCSP |
	             EGCA_SIGN_CSR,
	         &sg)) != EGCA_OK)
		goto out;
	if (o->subordinate)
		e = make_csr(sg, subject, subject_len, &obj);
	else
		e = self_sign(sg, o, subject, subject_len,
		    ctx->cfg->profiles_dir, ctx->cfg, &obj);
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_signer_save(sg, path, o->pass, o->pass_len)) != EGCA_OK)
		goto out;
	key_written = 1;
	snprintf(keyfile, sizeof(keyfile), "keys/%s.key", o->name);
	rec.name = UNCONST(o->name);
	rec.status = UNCONST(o->subordinate ? "pending" : "active");
	rec.mode = UNCONST(o->subordinate ? "subordinate" : "root");
	rec.key_alg = UNCONST(egca_crypto_key_alg_name(o->alg));
	rec.key_file = keyfile;
	rec.subject = subject_text;
	rec.subject_der = subject;
	rec.subject_der_len = subject_len;
	rec.chain_pem = UNCONST("");
	rec.created_at = (int64_t)time(NULL);
	if (o->subordinate) {
		rec.csr_der = obj.data;
		rec.csr_der_len = obj.len;
	} else {
		rec.cert_der = obj.data;
		rec.cert_der_len = obj.len;
		rec.not_after =
		    rec.created_at + (int64_t)o->validity_days * 86400;
	}
	c = (struct create_tx){ctx, &rec, o};
	e = egca_store_tx(ctx->st, create_tx, &c);
out:
	/* A key whose CA row was never committed is not left behind. */
	if (e != EGCA_OK && key_written)
		remove(path);
	egca_signer_free(sg);
	egca_buf_free(&obj);
	free(subject);
	free(subject_text);
	free(path);
	return e;
}

enum egca_err
egca_ca_get(
    const struct egca_ctx *ctx, const char *name, struct egca_ca_rec *out)
{
	if (name == NULL || name[0] == '\0')
		name = ctx->cfg->default_ca;
	if (name == NULL || name[0] == '\0')
		return egca_err_set(EGCA_ERR_USAGE,
		    "no CA named and no default_ca configured: use --ca NAME");
	return egca_store_ca_get(ctx->st, name, out);
}

/* Certificates of the stored anchors, by kind. */
static enum egca_err
load_anchors(const struct egca_ctx *ctx, struct egca_der_list *anchors,
    struct egca_der_list *cross)
{
	struct egca_anchor_rec *list = NULL;
	size_t n = 0, i;
	enum egca_err e;

	if ((e = egca_store_anchor_list(ctx->st, &list, &n)) != EGCA_OK)
		return e;
	for (i = 0; i < n && e == EGCA_OK; i++)
		e = egca_der_list_add(
		    strcmp(list[i].kind, "cross") == 0 ? cross : anchors,
		    list[i].cert_der, list[i].cert_der_len);
	egca_store_anchor_list_free(list, n);
	return e;
}

struct import_tx {
	const struct egca_ctx *ctx;
	struct egca_ca_rec *rec;
	const char *issuer;
};

static enum egca_err
import_tx(struct egca_store *st, void *arg)
{
	struct import_tx *c = arg;
	struct egca_audit_event ev;
	char object[96], *details;
	enum egca_err e;

	if ((e = egca_store_ca_activate(st, c->rec)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "ca/%s", c->rec->name);
	details = egca_audit_details("{s:s, s:I}", "issuer", c->issuer,
	    "not_after", (json_int_t)c->rec->not_after);
	ev = (struct egca_audit_event){
	    c->ctx->actor, "ca.import", object, "success", details};
	e = egca_audit_append(st, &ev);
	free(details);
	return e;
}

enum egca_err
egca_ca_import(
    const struct egca_ctx *ctx, const char *name, const uint8_t *in, size_t len)
{
	struct egca_ca_rec rec;
	struct egca_der_list certs = {0}, anchors = {0}, untrusted = {0};
	struct egca_cert_info info;
	struct egca_csr *csr = NULL;
	struct egca_verify_result vr;
	struct egca_buf chain;
	struct import_tx c;
	size_t i;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	memset(&info, 0, sizeof(info));
	egca_buf_init(&chain, 1 << 20);
	if ((e = egca_ca_get(ctx, name, &rec)) != EGCA_OK)
		goto out;
	if (strcmp(rec.status, "pending") != 0) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "CA '%s' is %s: only a pending subordinate CA imports "
		    "a certificate",
		    rec.name, rec.status);
		goto out;
	}
	if ((e = egca_pki_pem_decode(in, len, "CERTIFICATE", &certs)) !=
	    EGCA_OK)
		goto out;
	if ((e = egca_pki_cert_info(certs.der[0], certs.len[0], &info)) !=
	    EGCA_OK)
		goto out;
	if ((e = egca_pki_csr_parse(rec.csr_der, rec.csr_der_len, &csr)) !=
	    EGCA_OK)
		goto out;
	if (info.spki_der_len != csr->spki_len ||
	    memcmp(info.spki_der, csr->spki, csr->spki_len) != 0) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "the certificate's public key is not the key of CA '%s'",
		    rec.name);
		goto out;
	}
	if (!info.is_ca ||
	    (info.key_usage != 0 &&
	        !(info.key_usage & EGCA_KU_KEY_CERT_SIGN))) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "the certificate is not a CA certificate "
		    "(basicConstraints cA and keyUsage keyCertSign required)");
		goto out;
	}
	if ((e = load_anchors(ctx, &anchors, &untrusted)) != EGCA_OK)
		goto out;
	if (anchors.n == 0) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "no trust anchor configured: add the source point's root "
		    "with 'egca ca anchors add' first");
		goto out;
	}
	for (i = 1; i < certs.n; i++)
		if ((e = egca_der_list_add(
		         &untrusted, certs.der[i], certs.len[i])) != EGCA_OK)
			goto out;
	if ((e = egca_pki_verify_chain(certs.der[0], certs.len[0], &untrusted,
	         &anchors, (int64_t)time(NULL), &vr)) != EGCA_OK) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "the certificate does not chain to a trust anchor: %s",
		    vr.reason);
		goto out;
	}
	for (i = 1; i < certs.n; i++)
		if ((e = egca_pki_pem_encode(certs.der[i], certs.len[i],
		         "CERTIFICATE", &chain)) != EGCA_OK)
			goto out;
	free(rec.status);
	if ((rec.status = strdup("active")) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	free(rec.cert_der);
	rec.cert_der = certs.der[0];
	rec.cert_der_len = certs.len[0];
	free(rec.chain_pem);
	rec.chain_pem = chain.len ? (char *)chain.data : UNCONST("");
	rec.not_after = info.not_after;
	c = (struct import_tx){ctx, &rec, info.issuer};
	e = egca_store_tx(ctx->st, import_tx, &c);
	rec.cert_der = NULL;
	rec.chain_pem = NULL;
out:
	egca_buf_free(&chain);
	egca_pki_csr_free(csr);
	egca_pki_cert_info_free(&info);
	egca_der_list_free(&certs);
	egca_der_list_free(&anchors);
	egca_der_list_free(&untrusted);
	egca_store_ca_rec_free(&rec);
	return e;
}

struct anchor_tx {
	const struct egca_ctx *ctx;
	struct egca_anchor_rec *recs;
	size_t n;
	size_t added;
};

static enum egca_err
anchor_tx(struct egca_store *st, void *arg)
{
	struct anchor_tx *c = arg;
	struct egca_audit_event ev;
	char object[96], *details;
	size_t i;
	enum egca_err e;

	c->added = 0;
	for (i = 0; i < c->n; i++) {
		e = egca_store_anchor_insert(st, &c->recs[i]);
		if (e == EGCA_ERR_EXISTS)
			continue;
		if (e != EGCA_OK)
			return e;
		c->added++;
		snprintf(object, sizeof(object), "anchor/%.16s", c->recs[i].id);
		details = egca_audit_details("{s:s, s:s, s:s}", "kind",
		    c->recs[i].kind, "subject", c->recs[i].subject, "sha256",
		    c->recs[i].id);
		ev = (struct egca_audit_event){
		    c->ctx->actor, "anchor.add", object, "success", details};
		e = egca_audit_append(st, &ev);
		free(details);
		if (e != EGCA_OK)
			return e;
	}
	return EGCA_OK;
}

enum egca_err
egca_ca_anchor_add(const struct egca_ctx *ctx, const uint8_t *in, size_t len,
    const char *kind, size_t *added)
{
	struct egca_der_list certs = {0};
	struct egca_anchor_rec *recs = NULL;
	struct egca_cert_info *infos = NULL;
	struct anchor_tx c;
	uint8_t digest[32];
	size_t i;
	enum egca_err e;

	*added = 0;
	if (strcmp(kind, "anchor") != 0 && strcmp(kind, "cross") != 0)
		return egca_err_set(
		    EGCA_ERR_USAGE, "--kind must be 'anchor' or 'cross'");
	if ((e = egca_pki_pem_decode(in, len, "CERTIFICATE", &certs)) !=
	    EGCA_OK)
		return e;
	recs = calloc(certs.n, sizeof(*recs));
	infos = calloc(certs.n, sizeof(*infos));
	if (recs == NULL || infos == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < certs.n; i++) {
		if ((e = egca_pki_cert_info(
		         certs.der[i], certs.len[i], &infos[i])) != EGCA_OK)
			goto out;
		if (!infos[i].is_ca) {
			e = egca_err_set(EGCA_ERR_POLICY,
			    "certificate %zu (%s) is not a CA certificate",
			    i + 1, infos[i].subject);
			goto out;
		}
		if (strcmp(kind, "anchor") == 0 && infos[i].self_issued) {
			EVP_PKEY *pub = NULL;
			if ((e = egca_crypto_spki_decode(infos[i].spki_der,
			         infos[i].spki_der_len, &pub)) != EGCA_OK)
				goto out;
			e = egca_pki_verify_signed(
			    certs.der[i], certs.len[i], pub);
			EVP_PKEY_free(pub);
			if (e != EGCA_OK) {
				e = egca_err_set(EGCA_ERR_AUTH,
				    "certificate %zu (%s): self-signature does "
				    "not verify",
				    i + 1, infos[i].subject);
				goto out;
			}
		}
		if ((e = egca_crypto_sha256(
		         certs.der[i], certs.len[i], digest)) != EGCA_OK)
			goto out;
		if ((recs[i].id = malloc(65)) == NULL) {
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		egca_hex_encode(digest, sizeof(digest), recs[i].id);
		recs[i].kind = UNCONST(kind);
		recs[i].subject = infos[i].subject;
		recs[i].cert_der = certs.der[i];
		recs[i].cert_der_len = certs.len[i];
		recs[i].not_after = infos[i].not_after;
		recs[i].added_at = (int64_t)time(NULL);
	}
	c = (struct anchor_tx){ctx, recs, certs.n, 0};
	e = egca_store_tx(ctx->st, anchor_tx, &c);
	*added = c.added;
out:
	for (i = 0; recs != NULL && i < certs.n; i++)
		free(recs[i].id);
	for (i = 0; infos != NULL && i < certs.n; i++)
		egca_pki_cert_info_free(&infos[i]);
	free(recs);
	free(infos);
	egca_der_list_free(&certs);
	return e;
}

enum egca_err
egca_ca_export_chain(
    const struct egca_ctx *ctx, const char *name, struct egca_buf *out)
{
	struct egca_ca_rec rec;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	if ((e = egca_ca_get(ctx, name, &rec)) != EGCA_OK)
		goto out;
	if (rec.cert_der == NULL) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "CA '%s' is pending: it has no certificate yet (see "
		    "'egca ca request')",
		    rec.name);
		goto out;
	}
	if ((e = egca_pki_pem_encode(rec.cert_der, rec.cert_der_len,
	         "CERTIFICATE", out)) != EGCA_OK)
		goto out;
	if (rec.chain_pem != NULL)
		e = egca_buf_append(out, rec.chain_pem, strlen(rec.chain_pem));
out:
	egca_store_ca_rec_free(&rec);
	return e;
}
