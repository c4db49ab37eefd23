/*
 * The key ceremony (egca km init): a new KM data directory, its master
 * key split among the custodians, its SM2 signing key and certificate.
 *
 * The master key is drawn from the CSPRNG into the secure heap, split
 * M-of-N (share.c), and cleansed; only its key check value and the
 * shares' check values are stored. The share files are the only place
 * the master key can be rebuilt from: hand each to its custodian
 * (removable medium, safe) and remove the copies (docs/km.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/ca.h"
#include "egca/file.h"
#include "egca/pki.h"
#include "km/km_int.h"

#define DEFAULT_SUBJECT "C=CN,O=egca demo,CN=egca demo KM"
#define DEFAULT_VALIDITY 1825

void
egca_km_init_result_free(struct egca_km_init_result *res)
{
	int i;

	for (i = 0; i < EGCA_KM_MAX_CUSTODIANS; i++) {
		free(res->share_paths[i]);
		res->share_paths[i] = NULL;
	}
	res->n_shares = 0;
}

/* The KM's own certificate: digitalSignature, nonRepudiation. */
static enum egca_err
self_sign(struct egca_signer *sg, const uint8_t *subject, size_t subject_len,
    int days, struct egca_buf *cert)
{
	struct egca_profile prof;
	struct egca_cert_template t;
	struct egca_buf tbs;
	uint8_t serial[EGCA_SERIAL_LEN], sig[128];
	size_t spki_len, sig_len = sizeof(sig);
	int64_t now = (int64_t)time(NULL);
	enum egca_err e;

	memset(&prof, 0, sizeof(prof));
	snprintf(prof.name, sizeof(prof.name), "km");
	prof.kind = EGCA_PROFILE_EE;
	prof.audience = EGCA_AUDIENCE_GOVERNMENT;
	snprintf(prof.usage, sizeof(prof.usage), "sign");
	prof.key_usage = EGCA_KU_DIGITAL_SIGNATURE | EGCA_KU_NON_REPUDIATION;
	prof.key_usage_critical = 1;
	prof.path_len = -1;
	prof.max_validity_days = prof.default_validity_days = days;
	prof.allowed_keys = 1u << EGCA_KEY_SM2;
	egca_buf_init(&tbs, 1 << 20);
	if ((e = egca_ca_new_serial(serial)) != EGCA_OK)
		goto out;
	memset(&t, 0, sizeof(t));
	t.profile = &prof;
	t.sig_alg = egca_signer_sig_alg(sg);
	t.serial = serial;
	t.serial_len = sizeof(serial);
	t.issuer = t.subject = subject;
	t.issuer_len = t.subject_len = subject_len;
	t.spki = egca_signer_get0_spki(sg, &spki_len);
	t.spki_len = spki_len;
	t.not_before = now;
	t.not_after = now + (int64_t)days * 86400;
	if ((e = egca_pki_cert_build_tbs(&t, &tbs)) != EGCA_OK ||
	    (e = egca_signer_sign(sg, EGCA_SIGN_CERT, tbs.data, tbs.len, sig,
	         &sig_len)) != EGCA_OK)
		goto out;
	e = egca_pki_signed_assemble(
	    tbs.data, tbs.len, t.sig_alg, sig, sig_len, cert);
out:
	egca_buf_free(&tbs);
	return e;
}

static enum egca_err
make_csr(struct egca_signer *sg, const uint8_t *subject, size_t subject_len,
    struct egca_buf *csr)
{
	struct egca_buf tbs;
	uint8_t sig[128];
	const uint8_t *spki;
	size_t spki_len, sig_len = sizeof(sig);
	enum egca_err e;

	egca_buf_init(&tbs, 1 << 20);
	spki = egca_signer_get0_spki(sg, &spki_len);
	if ((e = egca_pki_csr_build_tbs(
	         subject, subject_len, spki, spki_len, &tbs)) == EGCA_OK &&
	    (e = egca_signer_sign(sg, EGCA_SIGN_CSR, tbs.data, tbs.len, sig,
	         &sig_len)) == EGCA_OK)
		e = egca_pki_signed_assemble(tbs.data, tbs.len,
		    egca_signer_sig_alg(sg), sig, sig_len, csr);
	egca_buf_free(&tbs);
	return e;
}

/* Writes der as PEM with label to dir/name (mode). */
static enum egca_err
write_pem(const char *dir, const char *name, const char *label,
    const uint8_t *der, size_t len, mode_t mode)
{
	struct egca_buf pem;
	char *path;
	enum egca_err e;

	if ((path = egca_file_join(dir, name)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	egca_buf_init(&pem, 1 << 20);
	if ((e = egca_pki_pem_encode(der, len, label, &pem)) == EGCA_OK)
		e = egca_file_write_atomic(path, pem.data, pem.len, mode);
	egca_buf_free(&pem);
	free(path);
	return e;
}

struct init_tx {
	const struct egca_km_init_opts *o;
	struct egca_km_conf *conf;
	const char *kcv;
	char (*checks)[65];
	const char *subject;
};

static enum egca_err
init_tx(struct egca_store *st, void *arg)
{
	struct init_tx *a = arg;
	struct egca_km_master_rec m;
	struct egca_audit_event ev = {
	    a->o->actor, "km.init", NULL, "success", NULL};
	char obj[64], n[8], t[8], q[8], *d;
	int i;
	enum egca_err e;

	m.km_id = a->conf->km_id;
	m.kcv = (char *)(uintptr_t)a->kcv;
	m.threshold = a->conf->threshold;
	m.custodians = a->conf->custodians;
	m.created_at = (int64_t)time(NULL);
	if ((e = egca_store_km_master_insert(st, &m)) != EGCA_OK)
		return e;
	for (i = 0; i < a->conf->custodians; i++)
		if ((e = egca_store_km_share_check_put(
		         st, i + 1, a->checks[i])) != EGCA_OK)
			return e;
	snprintf(obj, sizeof(obj), "km/%s", a->conf->km_id);
	snprintf(n, sizeof(n), "%d", a->conf->custodians);
	snprintf(t, sizeof(t), "%d", a->conf->threshold);
	snprintf(q, sizeof(q), "%d", a->conf->officer_quorum);
	d = km_json("custodians", n, "threshold", t, "officer_quorum", q,
	    "master_kcv", a->kcv, "subject", a->subject, (char *)NULL);
	ev.object = obj;
	ev.details = d;
	e = egca_audit_append(st, &ev);
	free(d);
	return e;
}

static void
unlink_in(const char *dir, const char *name)
{
	char *p = egca_file_join(dir, name);

	if (p != NULL)
		unlink(p);
	free(p);
}

enum egca_err
egca_km_init(const struct egca_km_init_opts *o, struct egca_km_init_result *res)
{
	struct egca_km_conf conf;
	struct egca_config *cfg = NULL;
	struct egca_store *st = NULL;
	struct egca_signer *sg = NULL;
	struct egca_buf cert, csr, text;
	struct km_share_file *sf = NULL;
	struct init_tx tx;
	uint8_t *master = NULL, *shares = NULL, *subject = NULL;
	size_t subject_len = 0, sh_len;
	char kcv[65], checks[EGCA_KM_MAX_CUSTODIANS][65], name[80],
	    *keypath = NULL;
	char *subject_text = NULL;
	int i, made = 0, written = 0, days;
	enum egca_err e;

	memset(res, 0, sizeof(*res));
	memset(&conf, 0, sizeof(conf));
	egca_buf_init(&cert, 1 << 20);
	egca_buf_init(&csr, 1 << 20);
	egca_buf_init(&text, 4096);
	sh_len = (size_t)EGCA_KM_MAX_CUSTODIANS * KM_SHARE_LEN;
	if (o->custodians < 3 || o->custodians > EGCA_KM_MAX_CUSTODIANS ||
	    o->threshold < 2 || o->threshold > o->custodians - 1)
		return egca_err_set(EGCA_ERR_USAGE,
		    "--custodians %d --threshold %d: need 3 <= N <= 16 and "
		    "2 <= M <= N-1 (a lost share must not lock the KM, one "
		    "custodian must never suffice)",
		    o->custodians, o->threshold);
	if (o->officer_quorum != 0 &&
	    (o->officer_quorum < 2 || o->officer_quorum > 16))
		return egca_err_set(
		    EGCA_ERR_USAGE, "--officers: the quorum is 2 to 16");
	days = o->validity_days ? o->validity_days : DEFAULT_VALIDITY;
	if (days < 1 || days > 3653)
		return egca_err_set(
		    EGCA_ERR_USAGE, "--validity-days: 1 to 3653");
	if (o->share_dir == NULL)
		return egca_err_set(EGCA_ERR_USAGE,
		    "--share-dir: where the custodians' share files go");
	if ((e = egca_pki_name_parse(o->subject ? o->subject : DEFAULT_SUBJECT,
	         &subject, &subject_len)) != EGCA_OK)
		return e;
	if ((e = egca_pki_name_to_text(subject, subject_len, &subject_text)) !=
	    EGCA_OK)
		goto out;
	/* Nothing is made over an existing directory or share file. */
	for (i = 0; i < 2; i++) {
		char *p = egca_file_join(
		    o->dir, i ? EGCA_KM_CONF_FILE : EGCA_CONFIG_FILE);
		int ex = p != NULL && egca_file_exists(p);

		free(p);
		if (ex) {
			e = egca_err_set(EGCA_ERR_EXISTS,
			    "%s is already a data directory: refusing to "
			    "initialise it again",
			    o->dir);
			goto out;
		}
	}
	if ((e = km_new_id(conf.km_id)) != EGCA_OK)
		goto out;
	for (i = 0; i < o->custodians; i++) {
		snprintf(name, sizeof(name), "km-%.8s-share-%d-of-%d.txt",
		    conf.km_id, i + 1, o->custodians);
		if ((res->share_paths[i] =
		            egca_file_join(o->share_dir, name)) == NULL) {
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	res->n_shares = o->custodians;
	for (i = 0; i < o->custodians; i++)
		if (egca_file_exists(res->share_paths[i])) {
			e = egca_err_set(EGCA_ERR_EXISTS,
			    "%s exists: not overwritten", res->share_paths[i]);
			goto out;
		}
	conf.custodians = o->custodians;
	conf.threshold = o->threshold;
	conf.officer_quorum = o->officer_quorum ? o->officer_quorum : 2;
	conf.window_seconds = 300;
	conf.retention_days = 3653;
	conf.max_items = 16;
	if ((e = egca_file_mkdirs(o->dir, 0750)) != EGCA_OK ||
	    (e = egca_file_mkdirs(o->share_dir, 0700)) != EGCA_OK ||
	    (e = egca_config_create(o->dir, o->store, NULL, "")) != EGCA_OK)
		goto out;
	made = 1;
	if ((e = km_conf_write(o->dir, &conf)) != EGCA_OK ||
	    (e = egca_config_load(o->dir, &cfg)) != EGCA_OK ||
	    (e = egca_file_mkdirs(cfg->keys_dir, 0700)) != EGCA_OK)
		goto out;

	/* The signing key and certificate. */
	if ((keypath = egca_file_join(cfg->keys_dir, EGCA_KM_KEY_FILE)) ==
	    NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (egca_file_exists(keypath)) {
		e = egca_err_set(EGCA_ERR_EXISTS, "%s exists", keypath);
		goto out;
	}
	if ((e = egca_signer_generate(EGCA_KEY_SM2, 0,
	         EGCA_SIGN_CERT | EGCA_SIGN_CSR, &sg)) != EGCA_OK ||
	    (e = egca_signer_save(sg, keypath, o->pass, o->pass_len)) !=
	        EGCA_OK ||
	    (e = self_sign(sg, subject, subject_len, days, &cert)) != EGCA_OK ||
	    (e = make_csr(sg, subject, subject_len, &csr)) != EGCA_OK ||
	    (e = write_pem(o->dir, EGCA_KM_CERT_FILE, "CERTIFICATE", cert.data,
	         cert.len, 0644)) != EGCA_OK ||
	    (e = write_pem(o->dir, EGCA_KM_CSR_FILE, "CERTIFICATE REQUEST",
	         csr.data, csr.len, 0644)) != EGCA_OK)
		goto out;

	/* The master key, its shares and their check values. */
	master = OPENSSL_secure_malloc(EGCA_KM_MASTER_LEN);
	shares = OPENSSL_secure_malloc(sh_len);
	sf = OPENSSL_secure_malloc(sizeof(*sf));
	if (master == NULL || shares == NULL || sf == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "secure heap");
		goto out;
	}
	if ((e = egca_crypto_rand(master, EGCA_KM_MASTER_LEN)) != EGCA_OK ||
	    (e = km_master_kcv(master, kcv)) != EGCA_OK ||
	    (e = km_shares_split(
	         master, o->custodians, o->threshold, shares)) != EGCA_OK)
		goto out;
	OPENSSL_secure_clear_free(master, EGCA_KM_MASTER_LEN);
	master = NULL;
	/* One allocation for every share text, cleansed after each. */
	if ((e = egca_buf_reserve(&text, 1024)) != EGCA_OK)
		goto out;
	for (i = 0; i < o->custodians; i++) {
		memset(sf, 0, sizeof(*sf));
		memcpy(sf->km_id, conf.km_id, 33);
		sf->index = i + 1;
		sf->custodians = o->custodians;
		sf->threshold = o->threshold;
		memcpy(sf->kcv, kcv, 65);
		memcpy(
		    sf->share, shares + KM_SHARE_LEN * (size_t)i, KM_SHARE_LEN);
		egca_buf_reset(&text);
		if ((e = km_share_check(
		         conf.km_id, i + 1, sf->share, checks[i])) != EGCA_OK ||
		    (e = km_share_format(sf, &text)) != EGCA_OK)
			goto out;
		e = egca_file_write_atomic(
		    res->share_paths[i], text.data, text.len, 0600);
		OPENSSL_cleanse(text.data, text.cap);
		if (e != EGCA_OK)
			goto out;
		written = i + 1;
	}

	/* The store: check values and the audit event, one transaction. */
	if ((e = egca_store_open(cfg->store_uri, 1, &st)) != EGCA_OK)
		goto out;
	tx.o = o;
	tx.conf = &conf;
	tx.kcv = kcv;
	tx.checks = checks;
	tx.subject = subject_text;
	if ((e = egca_store_tx(st, init_tx, &tx)) != EGCA_OK)
		goto out;
	memcpy(res->km_id, conf.km_id, 33);
	memcpy(res->kcv, kcv, 65);
out:
	if (e != EGCA_OK && made) {
		/* Leave nothing that could be mistaken for a KM. */
		for (i = 0; i < written; i++)
			unlink(res->share_paths[i]);
		if (keypath != NULL)
			unlink(keypath);
		unlink_in(o->dir, EGCA_KM_CERT_FILE);
		unlink_in(o->dir, EGCA_KM_CSR_FILE);
		unlink_in(o->dir, EGCA_KM_CONF_FILE);
		unlink_in(o->dir, EGCA_CONFIG_FILE);
	}
	if (e != EGCA_OK)
		egca_km_init_result_free(res);
	if (text.data != NULL)
		OPENSSL_cleanse(text.data, text.cap);
	egca_buf_free(&text);
	egca_buf_free(&cert);
	egca_buf_free(&csr);
	OPENSSL_secure_clear_free(master, EGCA_KM_MASTER_LEN);
	OPENSSL_secure_clear_free(shares, sh_len);
	OPENSSL_secure_clear_free(sf, sizeof(*sf));
	OPENSSL_cleanse(checks, sizeof(checks));
	egca_store_close(st);
	egca_signer_free(sg);
	egca_config_free(cfg);
	free(keypath);
	free(subject);
	free(subject_text);
	return e;
}
