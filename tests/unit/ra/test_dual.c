/*
 * Dual certificates, user key recovery and the archive of an encryption
 * key through the RA with a real KM (egca_km_init, unsealed by two of
 * three shares, the CA on its trust list) over the in-process
 * transport; the CA store on SQLite and PostgreSQL, the KM's on SQLite.
 *
 * Besides the paths that work, the recovery rules of src/ra/exec.c:
 * a KM refusal issues nothing and a retry works; a KM answer kept from
 * an attempt that failed before any certificate is used without asking
 * the KM again; an encryption serial burnt by a failed attempt is
 * archived at the KM and a new key is asked for.
 */
#include "ra/ra_fixture.h"

#include "egca/km.h"

struct km_fx {
	char dir[1300], shares[1300];
	struct egca_km_init_result init;
	struct egca_km *km;
	struct egca_km_client *client;
	struct egca_principal sec, officer;
};

static struct km_fx kfx;

static void
unseal(void)
{
	uint8_t *share;
	size_t len;
	int i;

	for (i = 0; i < 2; i++) {
		OK(egca_file_read(kfx.init.share_paths[i], 4096, &share, &len));
		OK(egca_km_unseal(kfx.km, share, len, "test", NULL));
		free(share);
	}
}

static int
setup(void **state)
{
	struct egca_km_init_opts o;
	struct egca_ca_rec ca;
	struct fx *fx;

	if (fx_setup(state) != 0)
		return -1;
	fx = *state;
	memset(&kfx, 0, sizeof(kfx));
	snprintf(kfx.dir, sizeof(kfx.dir), "%s/km", fx->dir);
	snprintf(kfx.shares, sizeof(kfx.shares), "%s/shares", fx->dir);
	memset(&o, 0, sizeof(o));
	o.dir = kfx.dir;
	o.share_dir = kfx.shares;
	o.custodians = 3;
	o.threshold = 2;
	o.pass = fx_pass;
	o.pass_len = strlen(fx_pass);
	o.actor = "test";
	memset(&ca, 0, sizeof(ca));
	if (egca_km_init(&o, &kfx.init) != EGCA_OK ||
	    egca_km_open(kfx.dir, fx_pass, strlen(fx_pass), 1, &kfx.km) !=
	        EGCA_OK) {
		fprintf(stderr, "km: %s\n", egca_err_detail());
		return -1;
	}
	memset(&kfx.sec, 0, sizeof(kfx.sec));
	snprintf(kfx.sec.name, sizeof(kfx.sec.name), "sec");
	snprintf(kfx.sec.actor, sizeof(kfx.sec.actor), "operator:sec");
	kfx.sec.roles = EGCA_ROLE_SECADMIN;
	kfx.sec.mfa = 1;
	kfx.officer = kfx.sec;
	snprintf(kfx.officer.name, sizeof(kfx.officer.name), "kmo");
	kfx.officer.roles = EGCA_ROLE_KM_OFFICER;
	if (egca_ca_get(&fx->ctx, "root", &ca) != EGCA_OK ||
	    egca_km_trust_add(kfx.km, &kfx.sec, ca.cert_der, ca.cert_der_len,
	        NULL) != EGCA_OK ||
	    egca_km_client_inproc(kfx.km, &kfx.client) != EGCA_OK) {
		fprintf(stderr, "km trust: %s\n", egca_err_detail());
		egca_store_ca_rec_free(&ca);
		return -1;
	}
	egca_store_ca_rec_free(&ca);
	unseal();
	fx->env.km = kfx.client;
	return 0;
}

static int
teardown(void **state)
{
	egca_km_client_free(kfx.client);
	egca_km_free(kfx.km);
	egca_km_init_result_free(&kfx.init);
	return fx_teardown(state);
}

/* The KM's keys: how many, and how many revoked. */
static size_t
km_keys(size_t *revoked, struct egca_km_key_rec **out)
{
	struct egca_km_key_rec *l = NULL;
	size_t n = 0, i;

	OK(egca_km_key_list(kfx.km, &kfx.officer, 100, 0, &l, &n));
	if (revoked != NULL)
		for (*revoked = 0, i = 0; i < n; i++)
			*revoked += strcmp(l[i].state, "revoked") == 0;
	if (out != NULL)
		*out = l;
	else
		egca_store_km_key_list_free(l, n);
	return n;
}

/* Submits a dual "new" (org-sign + org-enc) with a fresh key. */
static void
submit_dual(struct fx *fx, const char *sub, EVP_PKEY **key, char app[33])
{
	struct egca_app_new a;
	uint8_t *csr;
	size_t csr_len;

	*key = fx_key();
	fx_csr(*key, "C=CN,O=Beijing Test Tech,CN=Encryptor", &csr, &csr_len);
	memset(&a, 0, sizeof(a));
	a.kind = "new";
	a.subscriber = sub;
	a.profile = "org-sign";
	a.enc_profile = "org-enc";
	a.csr_der = csr;
	a.csr_len = csr_len;
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app));
	free(csr);
}

/* Checks a dual result: subjects, key usage, envelope and SKF blob. */
static void
check_pair(struct egca_app_result *res, EVP_PKEY *holder)
{
	struct egca_cert_info s, e;
	struct egca_envelope env;
	EVP_PKEY *pair = NULL, *pair2 = NULL, *cert_key = NULL;

	memset(&s, 0, sizeof(s));
	memset(&e, 0, sizeof(e));
	assert_non_null(res->der);
	assert_non_null(res->enc_der);
	OK(egca_pki_cert_info(res->der, res->der_len, &s));
	OK(egca_pki_cert_info(res->enc_der, res->enc_der_len, &e));
	assert_int_equal(s.subject_der_len, e.subject_der_len);
	assert_memory_equal(s.subject_der, e.subject_der, s.subject_der_len);
	assert_int_equal(s.not_before, e.not_before);
	assert_int_equal(s.not_after, e.not_after);
	assert_int_equal(e.key_usage,
	    EGCA_KU_KEY_ENCIPHERMENT | EGCA_KU_DATA_ENCIPHERMENT |
	        EGCA_KU_KEY_AGREEMENT);
	/* The envelope opens with the holder's signing key to the key of
	 * the encryption certificate; the SKF blob too. */
	OK(egca_envelope_open(holder, res->envelope, res->envelope_len, &pair));
	OK(egca_crypto_spki_decode(e.spki_der, e.spki_der_len, &cert_key));
	assert_true(egca_crypto_key_public_equal(pair, cert_key));
	OK(egca_envelope_skf_parse(res->skf, res->skf_len, &env));
	OK(egca_envelope_open_parsed(holder, &env, &pair2));
	assert_true(egca_crypto_key_public_equal(pair2, cert_key));
	EVP_PKEY_free(pair);
	EVP_PKEY_free(pair2);
	EVP_PKEY_free(cert_key);
	egca_pki_cert_info_free(&s);
	egca_pki_cert_info_free(&e);
}

static void
dual_issue(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	struct egca_km_key_rec *keys = NULL;
	EVP_PKEY *key;
	char sub[33], app[33], d[65], enc[41];
	uint8_t *blob = NULL;
	size_t len, n;

	fx_enterprise(fx, sub);
	submit_dual(fx, sub, &key, app);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));
	fx_state(fx, app, "executed");
	check_pair(&res, key);
	assert_int_equal(fx_count(fx, "certificate"), 2);
	assert_int_equal(fx_count(fx, "cert_pair"), 1);
	n = km_keys(NULL, &keys);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].cert_no, res.enc_serial);
	egca_store_km_key_list_free(keys, n);
	assert_int_equal(fx_audits(fx, "app.km", "success"), 1);
	/* The envelope again, for the applicant's operator, either form. */
	OK(egca_ra_app_envelope(&fx->ctx, &fx->op, app, 0, &blob, &len, enc));
	assert_int_equal(len, res.envelope_len);
	assert_memory_equal(blob, res.envelope, len);
	assert_string_equal(enc, res.enc_serial);
	free(blob);
	OK(egca_ra_app_envelope(&fx->ctx, &fx->op, app, 1, &blob, &len, enc));
	assert_int_equal(len, EGCA_ENVELOPE_SKF_LEN);
	free(blob);
	assert_int_equal(fx_audits(fx, "app.envelope", "success"), 2);
	/* Another point's operator: as absent, audited. */
	assert_int_equal(egca_ra_app_envelope(
	                     &fx->ctx, &fx->op_sh, app, 0, &blob, &len, enc),
	    EGCA_ERR_NOTFOUND);
	assert_null(blob);
	assert_int_equal(fx_audits(fx, "app.envelope", "failure"), 1);
	egca_ra_app_result_free(&res);
	EVP_PKEY_free(key);
}

static void
dual_sealed_then_retry(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	EVP_PKEY *key;
	char sub[33], app[33], d[65];

	fx_enterprise(fx, sub);
	submit_dual(fx, sub, &key, app);
	fx_digest(fx, app, d);
	OK(egca_km_seal(kfx.km, "test"));
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res),
	    EGCA_ERR_STATE);
	assert_non_null(strstr(egca_err_detail(), "sealed"));
	fx_state(fx, app, "failed");
	assert_int_equal(fx_count(fx, "certificate"), 0);
	assert_int_equal(fx_count(fx, "app_dual"), 0);
	assert_int_equal(km_keys(NULL, NULL), 0);
	unseal();
	OK(egca_ra_app_execute(&fx->ctx, &fx->op, &fx->env, app, &res));
	fx_state(fx, app, "executed");
	check_pair(&res, key);
	assert_int_equal(fx_count(fx, "certificate"), 2);
	egca_ra_app_result_free(&res);
	EVP_PKEY_free(key);
}

/* A KM answer kept from an attempt that stopped before issuing. */
static void
put_answer(struct fx *fx, const char *app, EVP_PKEY *holder,
    const uint8_t *serial, size_t serial_len, int burn)
{
	struct egca_ca_rec ca;
	struct egca_km_sender snd;
	struct egca_km_apply_item item;
	struct egca_km_key key;
	struct egca_app_dual_rec d;
	uint8_t *spki;
	size_t spki_len;
	char hex[41];
	int64_t now = (int64_t)time(NULL);

	memset(&ca, 0, sizeof(ca));
	memset(&key, 0, sizeof(key));
	egca_ca_serial_hex(serial, serial_len, hex);
	OK(egca_ca_get(&fx->ctx, "root", &ca));
	OK(egca_crypto_spki_encode(holder, &spki, &spki_len));
	snd = (struct egca_km_sender){
	    egca_ca_issuer_get0_signer(fx->is), ca.cert_der, ca.cert_der_len};
	memset(&item, 0, sizeof(item));
	item.holder_spki = spki;
	item.holder_spki_len = spki_len;
	item.cert_no = hex;
	item.not_before = now;
	item.not_after = now + 86400;
	OK(egca_km_apply(kfx.client, &snd, &item, 1, &key));
	d = (struct egca_app_dual_rec){(char *)(uintptr_t)app,
	    (char *)(uintptr_t) "root", hex, NULL, key.enc_spki,
	    key.enc_spki_len, key.envelope, key.envelope_len, now, now + 86400};
	OK(egca_store_dual_insert(fx->st, &d));
	if (burn)
		OK(egca_store_serial_reserve(fx->st, "root", hex,
		    "0000000000000000000000000000000000000000000000000000000000"
		    "000000",
		    now));
	egca_km_key_clear(&key);
	free(spki);
	egca_store_ca_rec_free(&ca);
}

static void
dual_answer_kept(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	EVP_PKEY *key;
	const uint8_t serial[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	char sub[33], app[33], d[65];

	fx_enterprise(fx, sub);
	submit_dual(fx, sub, &key, app);
	put_answer(fx, app, key, serial, sizeof(serial), 0);
	assert_int_equal(km_keys(NULL, NULL), 1);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));
	check_pair(&res, key);
	/* The kept answer was used: no second key, its serial. */
	assert_int_equal(km_keys(NULL, NULL), 1);
	assert_string_equal(res.enc_serial, "123456789a");
	egca_ra_app_result_free(&res);
	EVP_PKEY_free(key);
}

static void
dual_burnt_serial(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	struct egca_km_key_rec *keys = NULL;
	EVP_PKEY *key;
	const uint8_t serial[] = {0x0b, 0xad, 0x5e};
	char sub[33], app[33], d[65];
	size_t n, revoked, i;

	fx_enterprise(fx, sub);
	submit_dual(fx, sub, &key, app);
	put_answer(fx, app, key, serial, sizeof(serial), 1);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));
	check_pair(&res, key);
	assert_string_not_equal(res.enc_serial, "0bad5e");
	/* The burnt serial's key is archived at the KM, a new one made. */
	n = km_keys(&revoked, &keys);
	assert_int_equal(n, 2);
	assert_int_equal(revoked, 1);
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].state, "revoked") == 0)
			assert_string_equal(keys[i].cert_no, "0bad5e");
	egca_store_km_key_list_free(keys, n);
	egca_ra_app_result_free(&res);
	EVP_PKEY_free(key);
}

static void
recover_and_revoke(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res, rec;
	struct egca_app_new a;
	EVP_PKEY *key, *key2, *pair = NULL, *pair2 = NULL, *none = NULL;
	uint8_t *csr;
	size_t csr_len, revoked;
	char sub[33], app[33], d[65], st[16];

	fx_enterprise(fx, sub);
	submit_dual(fx, sub, &key, app);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));

	/* recover with the old signing key: refused. */
	fx_csr(key, "C=CN,O=Elsewhere,CN=Other", &csr, &csr_len);
	memset(&a, 0, sizeof(a));
	a.kind = "recover";
	a.subscriber = sub;
	a.serial = res.enc_serial;
	a.csr_der = csr;
	a.csr_len = csr_len;
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_POLICY);
	free(csr);
	/* with a new key: two approvals, the pair's subject kept. */
	key2 = fx_key();
	fx_csr(key2, "C=CN,O=Elsewhere,CN=Other", &csr, &csr_len);
	a.csr_der = csr;
	a.csr_len = csr_len;
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app));
	free(csr);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &rec));
	fx_state(fx, app, "submitted");
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev2, &fx->env, app, d, &rec));
	fx_state(fx, app, "executed");
	assert_string_equal(rec.superseded, res.serial);
	assert_string_equal(rec.enc_serial, res.enc_serial);
	assert_null(rec.enc_der);
	assert_string_equal(fx_cert_status(fx, res.serial, st), "revoked");
	assert_string_equal(fx_cert_status(fx, res.enc_serial, st), "good");
	{
		struct egca_cert_info s, e;

		OK(egca_pki_cert_info(rec.der, rec.der_len, &s));
		OK(egca_pki_cert_info(res.enc_der, res.enc_der_len, &e));
		assert_int_equal(s.subject_der_len, e.subject_der_len);
		assert_memory_equal(
		    s.subject_der, e.subject_der, s.subject_der_len);
		egca_pki_cert_info_free(&s);
		egca_pki_cert_info_free(&e);
	}
	OK(egca_envelope_open(key2, rec.envelope, rec.envelope_len, &pair2));
	OK(egca_envelope_open(key, res.envelope, res.envelope_len, &pair));
	assert_true(egca_crypto_key_public_equal(pair, pair2));
	assert_int_equal(
	    egca_envelope_open(key, rec.envelope, rec.envelope_len, &none),
	    EGCA_ERR_AUTH);
	assert_null(none);
	assert_int_equal(km_keys(NULL, NULL), 1);

	/* revoke the encryption certificate: its KM key archived. */
	memset(&a, 0, sizeof(a));
	a.kind = "revoke";
	a.subscriber = sub;
	a.serial = res.enc_serial;
	a.reason = "keyCompromise";
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app));
	fx_digest(fx, app, d);
	egca_ra_app_result_free(&rec);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &rec));
	fx_state(fx, app, "executed");
	assert_string_equal(fx_cert_status(fx, res.enc_serial, st), "revoked");
	assert_int_equal(km_keys(&revoked, NULL), 1);
	assert_int_equal(revoked, 1);
	EVP_PKEY_free(pair);
	EVP_PKEY_free(pair2);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	egca_ra_app_result_free(&res);
	egca_ra_app_result_free(&rec);
}

static void
revoke_km_down(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res, rv;
	struct egca_app_new a;
	struct egca_km_client *km;
	EVP_PKEY *key;
	size_t revoked;
	char sub[33], app[33], d[65], st[16];

	fx_enterprise(fx, sub);
	submit_dual(fx, sub, &key, app);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));
	memset(&a, 0, sizeof(a));
	a.kind = "revoke";
	a.subscriber = sub;
	a.serial = res.enc_serial;
	a.reason = "cessationOfOperation";
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app));
	fx_digest(fx, app, d);
	/* No KM here: the certificate is revoked anyway, the application
	 * failed until the key is archived. */
	km = fx->env.km;
	fx->env.km = NULL;
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &rv),
	    EGCA_ERR_STATE);
	fx_state(fx, app, "failed");
	assert_string_equal(fx_cert_status(fx, res.enc_serial, st), "revoked");
	assert_int_equal(km_keys(&revoked, NULL), 1);
	assert_int_equal(revoked, 0);
	fx->env.km = km;
	OK(egca_ra_app_execute(&fx->ctx, &fx->op, &fx->env, app, &rv));
	fx_state(fx, app, "executed");
	assert_int_equal(km_keys(&revoked, NULL), 1);
	assert_int_equal(revoked, 1);
	egca_ra_app_result_free(&res);
	egca_ra_app_result_free(&rv);
	EVP_PKEY_free(key);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(dual_issue),
	    T(dual_sealed_then_retry),
	    T(dual_answer_kept),
	    T(dual_burnt_serial),
	    T(recover_and_revoke),
	    T(revoke_km_down),
	};

	return fx_run("ra_dual", tests, sizeof(tests) / sizeof(tests[0]));
}
