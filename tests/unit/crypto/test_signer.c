/* Unit tests for src/crypto/signer.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>

#include "egca/crypto.h"

#include "crypto_test.h"

static const uint8_t tbs[] = "egca signer test TBS";

static struct egca_signer *
gen(enum egca_key_alg alg, int bits, unsigned purposes)
{
	struct egca_signer *s = NULL;

	assert_int_equal(
	    egca_signer_generate(alg, bits, purposes, &s), EGCA_OK);
	assert_non_null(s);
	return s;
}

static void
sign_verify(struct egca_signer *s, enum egca_sign_purpose purpose)
{
	uint8_t sig[1024];
	size_t sig_len = sizeof(sig);

	assert_true(egca_signer_sig_max(s) <= sizeof(sig));
	assert_int_equal(
	    egca_signer_sign(s, purpose, tbs, sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	assert_true(sig_len > 0 && sig_len <= egca_signer_sig_max(s));
	assert_int_equal(
	    egca_crypto_verify_tbs(egca_signer_get0_pubkey(s),
	        egca_signer_sig_alg(s), tbs, sizeof(tbs), sig, sig_len),
	    EGCA_OK);
	sig[sig_len - 1] ^= 0x01;
	assert_int_equal(
	    egca_crypto_verify_tbs(egca_signer_get0_pubkey(s),
	        egca_signer_sig_alg(s), tbs, sizeof(tbs), sig, sig_len),
	    EGCA_ERR_AUTH);
}

static void
test_generate(void **state)
{
	static const struct {
		enum egca_key_alg alg;
		int bits;
		enum egca_sig_alg sig;
	} cases[] = {
	    {EGCA_KEY_SM2, 0, EGCA_SIG_SM2_SM3},
	    {EGCA_KEY_P256, 0, EGCA_SIG_ECDSA_SHA256},
	    {EGCA_KEY_RSA, 2048, EGCA_SIG_RSA_SHA256},
	};
	struct egca_signer *s;
	const uint8_t *spki;
	uint8_t *der;
	size_t i, len, der_len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = gen(cases[i].alg, cases[i].bits, EGCA_SIGN_CERT);
		assert_int_equal(egca_signer_key_alg(s), cases[i].alg);
		assert_int_equal(egca_signer_sig_alg(s), cases[i].sig);
		spki = egca_signer_get0_spki(s, &len);
		assert_non_null(spki);
		assert_int_equal(
		    egca_crypto_spki_encode(
		        egca_signer_get0_pubkey(s), &der, &der_len),
		    EGCA_OK);
		assert_int_equal(len, der_len);
		assert_memory_equal(spki, der, len);
		free(der);
		sign_verify(s, EGCA_SIGN_CERT);
		egca_signer_free(s);
	}
	egca_signer_free(NULL);
}

static void
test_purpose(void **state)
{
	struct egca_signer *s;
	uint8_t sig[128];
	size_t sig_len = sizeof(sig);

	(void)state;
	s = gen(EGCA_KEY_P256, 0, EGCA_SIGN_CERT | EGCA_SIGN_CRL);
	sign_verify(s, EGCA_SIGN_CERT);
	sign_verify(s, EGCA_SIGN_CRL);
	assert_int_equal(egca_signer_sign(s, EGCA_SIGN_OCSP, tbs, sizeof(tbs),
	                     sig, &sig_len),
	    EGCA_ERR_POLICY);
	assert_int_equal(sig_len, 0);
	assert_string_equal(
	    egca_err_detail(), "signer: key may not sign OCSP responses");
	sig_len = sizeof(sig);
	assert_int_equal(egca_signer_sign(s, EGCA_SIGN_AUDIT, tbs, sizeof(tbs),
	                     sig, &sig_len),
	    EGCA_ERR_POLICY);
	/* Two purposes at once are not one purpose. */
	sig_len = sizeof(sig);
	assert_int_equal(
	    egca_signer_sign(s,
	        (enum egca_sign_purpose)(EGCA_SIGN_CERT | EGCA_SIGN_CRL), tbs,
	        sizeof(tbs), sig, &sig_len),
	    EGCA_ERR_POLICY);
	/* Buffer too small. */
	sig_len = egca_signer_sig_max(s) - 1;
	assert_int_not_equal(egca_signer_sign(s, EGCA_SIGN_CERT, tbs,
	                         sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	egca_signer_free(s);

	s = NULL;
	assert_int_equal(
	    egca_signer_generate(EGCA_KEY_P256, 0, 0, &s), EGCA_ERR_USAGE);
	assert_null(s);
	assert_int_equal(egca_signer_generate(EGCA_KEY_P256, 0, 1u << 9, &s),
	    EGCA_ERR_USAGE);
	assert_null(s);
}

static void
test_open_key_refused(void **state)
{
	struct egca_signer *s = NULL;
	EVP_PKEY *k;

	(void)state;
	/* Ownership passes even on refusal (ASan checks the leak). */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(k);
	assert_int_equal(
	    egca_signer_open_key(k, EGCA_SIGN_CERT, &s), EGCA_ERR_POLICY);
	assert_null(s);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	assert_non_null(k);
	assert_int_equal(
	    egca_signer_open_key(k, EGCA_SIGN_CERT, &s), EGCA_ERR_POLICY);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_int_equal(egca_signer_open_key(k, 0, &s), EGCA_ERR_USAGE);
	assert_null(s);
}

/* An "EC"-typed key on the SM2 curve signs as SM2. */
static void
test_open_key_ec_sm2(void **state)
{
	struct egca_signer *s = NULL;
	EVP_PKEY *k;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "SM2");
	assert_non_null(k);
	assert_int_equal(egca_signer_open_key(k, EGCA_SIGN_CERT, &s), EGCA_OK);
	assert_int_equal(egca_signer_key_alg(s), EGCA_KEY_SM2);
	assert_int_equal(egca_signer_sig_alg(s), EGCA_SIG_SM2_SM3);
	sign_verify(s, EGCA_SIGN_CERT);
	egca_signer_free(s);
}

static void
test_save_open(void **state)
{
	static const char pass[] = "signer passphrase";
	struct egca_signer *s, *t = NULL;
	const char *path;
	const uint8_t *a, *b;
	size_t a_len, b_len;

	(void)state;
	s = gen(EGCA_KEY_SM2, 0, EGCA_SIGN_CERT);
	path = test_path("signer.pem");
	unlink(path);
	assert_int_equal(
	    egca_signer_save(s, path, pass, strlen(pass)), EGCA_OK);
	assert_int_equal(egca_signer_open_file(path, pass, strlen(pass),
	                     EGCA_SIGN_CRL | EGCA_SIGN_OCSP, &t),
	    EGCA_OK);
	a = egca_signer_get0_spki(s, &a_len);
	b = egca_signer_get0_spki(t, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	assert_int_equal(egca_signer_key_alg(t), EGCA_KEY_SM2);
	sign_verify(t, EGCA_SIGN_OCSP);
	egca_signer_free(t);

	t = NULL;
	assert_int_equal(
	    egca_signer_open_file(path, "not it", 6, EGCA_SIGN_CRL, &t),
	    EGCA_ERR_AUTH);
	assert_null(t);
	assert_non_null(strstr(egca_err_detail(), "wrong passphrase"));
	egca_signer_free(s);
}

/* The signer's SM2 signatures carry the GM/T 0009 ID for openssl too. */
static void
test_sm2_openssl_cli(void **state)
{
	struct egca_signer *s;
	uint8_t sig[128];
	size_t sig_len = sizeof(sig);
	const char *pub, *data, *sigf;

	(void)state;
	s = gen(EGCA_KEY_SM2, 0, EGCA_SIGN_CERT);
	assert_int_equal(egca_signer_sign(s, EGCA_SIGN_CERT, tbs, sizeof(tbs),
	                     sig, &sig_len),
	    EGCA_OK);
	pub = test_path("signer-pub.pem");
	test_write_pubkey(pub, egca_signer_get0_pubkey(s));
	data = test_path("signer-data");
	test_write(data, tbs, sizeof(tbs));
	sigf = test_path("signer-sig");
	test_write(sigf, sig, sig_len);
	assert_int_equal(test_sh("openssl pkeyutl -verify -pubin -inkey %s "
	                         "-rawin -digest sm3 -pkeyopt "
	                         "distid:1234567812345678 -in %s -sigfile %s",
	                     pub, data, sigf),
	    0);
	assert_int_not_equal(test_sh("openssl pkeyutl -verify -pubin -inkey "
	                             "%s -rawin -digest sm3 -in %s -sigfile %s",
	                         pub, data, sigf),
	    0);
	egca_signer_free(s);
}

#define NTHREADS 4
#define NSIGS 50

struct job {
	struct egca_signer *s;
	int failures;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	uint8_t msg[64], sig[128];
	size_t sig_len;
	int i;

	for (i = 0; i < NSIGS; i++) {
		memset(msg, i, sizeof(msg));
		sig_len = sizeof(sig);
		if (egca_signer_sign(j->s, EGCA_SIGN_CERT, msg, sizeof(msg),
		        sig, &sig_len) != EGCA_OK ||
		    egca_crypto_verify_tbs(egca_signer_get0_pubkey(j->s),
		        egca_signer_sig_alg(j->s), msg, sizeof(msg), sig,
		        sig_len) != EGCA_OK)
			j->failures++;
	}
	return NULL;
}

/* One signer, several threads. */
static void
test_threads(void **state)
{
	static const enum egca_key_alg algs[] = {EGCA_KEY_SM2, EGCA_KEY_P256};
	pthread_t t[NTHREADS];
	struct job jobs[NTHREADS];
	struct egca_signer *s;
	size_t a;
	int i;

	(void)state;
	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		s = gen(algs[a], 0, EGCA_SIGN_CERT);
		for (i = 0; i < NTHREADS; i++) {
			jobs[i].s = s;
			jobs[i].failures = 0;
			assert_int_equal(
			    pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
		}
		for (i = 0; i < NTHREADS; i++) {
			assert_int_equal(pthread_join(t[i], NULL), 0);
			assert_int_equal(jobs[i].failures, 0);
		}
		egca_signer_free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate),
	    cmocka_unit_test(test_purpose),
	    cmocka_unit_test(test_open_key_refused),
	    cmocka_unit_test(test_open_key_ec_sm2),
	    cmocka_unit_test(test_save_open),
	    cmocka_unit_test(test_sm2_openssl_cli),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
