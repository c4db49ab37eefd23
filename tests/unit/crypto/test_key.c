/* Unit tests for src/crypto/key.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/err.h>

#include "egca/crypto.h"

#include "crypto_test.h"

static const uint8_t tbs[] = "egca key test";

static EVP_PKEY *
gen(enum egca_key_alg alg, int bits)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(egca_crypto_key_generate(alg, bits, &k), EGCA_OK);
	assert_non_null(k);
	return k;
}

static void
test_alg_parse(void **state)
{
	enum egca_key_alg alg;
	int bits;

	(void)state;
	assert_int_equal(
	    egca_crypto_key_alg_parse("sm2", &alg, &bits), EGCA_OK);
	assert_int_equal(alg, EGCA_KEY_SM2);
	assert_int_equal(
	    egca_crypto_key_alg_parse("ecdsa-p256", &alg, &bits), EGCA_OK);
	assert_int_equal(alg, EGCA_KEY_P256);
	assert_int_equal(
	    egca_crypto_key_alg_parse("rsa-3072", &alg, &bits), EGCA_OK);
	assert_int_equal(alg, EGCA_KEY_RSA);
	assert_int_equal(bits, 3072);
	assert_int_equal(
	    egca_crypto_key_alg_parse("rsa-1024", &alg, &bits), EGCA_ERR_USAGE);
	assert_int_equal(alg, EGCA_KEY_NONE);
	assert_int_equal(
	    egca_crypto_key_alg_parse("SM2 ", &alg, &bits), EGCA_ERR_USAGE);
	assert_int_equal(
	    egca_crypto_key_alg_parse("", &alg, &bits), EGCA_ERR_USAGE);
	assert_string_equal(egca_crypto_key_alg_name(EGCA_KEY_SM2), "sm2");
	assert_string_equal(
	    egca_crypto_key_alg_name(EGCA_KEY_P256), "ecdsa-p256");
}

static void
test_generate_check(void **state)
{
	static const struct {
		enum egca_key_alg alg;
		int bits;
	} cases[] = {
	    {EGCA_KEY_SM2, 256},
	    {EGCA_KEY_P256, 256},
	    {EGCA_KEY_P384, 384},
	    {EGCA_KEY_RSA, 2048},
	};
	EVP_PKEY *k;
	enum egca_key_alg alg;
	int bits;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = gen(cases[i].alg, cases[i].bits);
		assert_int_equal(
		    egca_crypto_key_check(k, &alg, &bits), EGCA_OK);
		assert_int_equal(alg, cases[i].alg);
		assert_int_equal(bits, cases[i].bits);
		EVP_PKEY_free(k);
	}
	k = gen(EGCA_KEY_SM2, 0);
	assert_true(EVP_PKEY_is_a(k, "SM2"));
	EVP_PKEY_free(k);
	k = NULL;
	assert_int_equal(
	    egca_crypto_key_generate(EGCA_KEY_RSA, 1024, &k), EGCA_ERR_POLICY);
	assert_null(k);
	assert_int_equal(
	    egca_crypto_key_generate(EGCA_KEY_NONE, 0, &k), EGCA_ERR_USAGE);
}

static EVP_PKEY *
rsa_with(unsigned bits, unsigned e)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;
	BIGNUM *bn;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits), 1);
	bn = BN_new();
	assert_int_equal(BN_set_word(bn, e), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn), 1);
	BN_free(bn);
	assert_int_equal(EVP_PKEY_generate(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static void
test_check_rsa_refused(void **state)
{
	EVP_PKEY *k;
	enum egca_key_alg alg;
	int bits;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(k);
	assert_int_equal(
	    egca_crypto_key_check(k, &alg, &bits), EGCA_ERR_POLICY);
	assert_int_equal(alg, EGCA_KEY_NONE);
	assert_non_null(strstr(egca_err_detail(), "2048"));
	EVP_PKEY_free(k);

	k = rsa_with(2048, 3);
	assert_int_equal(
	    egca_crypto_key_check(k, &alg, &bits), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "exponent"));
	EVP_PKEY_free(k);
}

/* Reads a PEM private key from an openssl command's output. */
static EVP_PKEY *
openssl_key(const char *cmd)
{
	FILE *p;
	EVP_PKEY *k;

	p = popen(cmd, "r");
	assert_non_null(p);
	k = PEM_read_PrivateKey(p, NULL, NULL, NULL);
	pclose(p);
	assert_non_null(k);
	return k;
}

static void
test_check_ec_refused(void **state)
{
	EVP_PKEY *k, *pub;
	uint8_t *der;
	size_t len;
	enum egca_key_alg alg;
	int bits;

	(void)state;
	/* Explicit parameters, even those of P-256. */
	k = openssl_key("openssl ecparam -name prime256v1 -param_enc explicit "
	                "-genkey -noout 2>/dev/null");
	assert_int_equal(
	    egca_crypto_key_check(k, &alg, &bits), EGCA_ERR_POLICY);
	assert_string_equal(
	    egca_err_detail(), "explicit curve parameters are not allowed");
	/* The same through its SPKI, as a CSR would bring it. */
	assert_int_equal(egca_crypto_spki_encode(k, &der, &len), EGCA_OK);
	if (egca_crypto_spki_decode(der, len, &pub) == EGCA_OK) {
		assert_int_equal(
		    egca_crypto_key_check(pub, &alg, &bits), EGCA_ERR_POLICY);
		assert_non_null(strstr(egca_err_detail(), "explicit"));
		EVP_PKEY_free(pub);
	}
	free(der);
	EVP_PKEY_free(k);

	/* A named curve not on the list. */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	assert_non_null(k);
	assert_int_equal(
	    egca_crypto_key_check(k, &alg, &bits), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "secp256k1"));
	EVP_PKEY_free(k);

	/* Not an EC or RSA key at all. */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	assert_int_equal(
	    egca_crypto_key_check(k, &alg, &bits), EGCA_ERR_POLICY);
	EVP_PKEY_free(k);
	assert_int_equal(
	    egca_crypto_key_check(NULL, &alg, &bits), EGCA_ERR_INPUT);
}

static void
test_spki(void **state)
{
	static const enum egca_key_alg algs[] = {
	    EGCA_KEY_SM2, EGCA_KEY_P256, EGCA_KEY_RSA};
	EVP_PKEY *k, *pub, *other;
	uint8_t *der, *der2, *bad;
	uint8_t sig[512];
	size_t i, len, len2, sig_len;
	enum egca_key_alg alg;
	int bits;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		k = gen(algs[i], 2048);
		assert_int_equal(
		    egca_crypto_spki_encode(k, &der, &len), EGCA_OK);
		assert_int_equal(
		    egca_crypto_spki_decode(der, len, &pub), EGCA_OK);
		assert_int_equal(
		    egca_crypto_key_check(pub, &alg, &bits), EGCA_OK);
		assert_int_equal(alg, algs[i]);
		assert_true(egca_crypto_key_public_equal(k, pub));
		if (algs[i] == EGCA_KEY_SM2)
			assert_true(EVP_PKEY_is_a(pub, "SM2"));
		/* Re-encoding is byte-identical. */
		assert_int_equal(
		    egca_crypto_spki_encode(pub, &der2, &len2), EGCA_OK);
		assert_int_equal(len, len2);
		assert_memory_equal(der, der2, len);
		free(der2);
		/* A signature by k verifies with the decoded key. */
		sig_len = sizeof(sig);
		assert_int_equal(
		    egca_crypto_sign_tbs(k, egca_crypto_sig_alg_for_key(k), tbs,
		        sizeof(tbs), sig, &sig_len),
		    EGCA_OK);
		assert_int_equal(egca_crypto_verify_tbs(pub,
		                     egca_crypto_sig_alg_for_key(pub), tbs,
		                     sizeof(tbs), sig, sig_len),
		    EGCA_OK);

		/* Trailing bytes. */
		bad = malloc(len + 1);
		assert_non_null(bad);
		memcpy(bad, der, len);
		bad[len] = 0;
		other = NULL;
		assert_int_equal(egca_crypto_spki_decode(bad, len + 1, &other),
		    EGCA_ERR_INPUT);
		assert_null(other);
		/* Truncated. */
		assert_int_equal(egca_crypto_spki_decode(bad, len - 1, &other),
		    EGCA_ERR_INPUT);
		/* Point off the curve (the last byte of Y changed). */
		if (algs[i] != EGCA_KEY_RSA) {
			bad[len - 1] ^= 0x01;
			if (egca_crypto_spki_decode(bad, len, &other) ==
			    EGCA_OK) {
				assert_int_equal(
				    egca_crypto_key_check(other, &alg, &bits),
				    EGCA_ERR_POLICY);
				EVP_PKEY_free(other);
			}
		}
		free(bad);

		other = gen(algs[i], 2048);
		assert_false(egca_crypto_key_public_equal(k, other));
		EVP_PKEY_free(other);
		free(der);
		EVP_PKEY_free(pub);
		EVP_PKEY_free(k);
	}
	assert_false(egca_crypto_key_public_equal(NULL, NULL));
}

/* An "EC" key on the SM2 curve equals its "SM2"-typed twin. */
static void
test_sm2_ec_typed(void **state)
{
	EVP_PKEY *k, *pub;
	uint8_t *der;
	size_t len;
	enum egca_key_alg alg;
	int bits;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "SM2");
	assert_non_null(k);
	assert_int_equal(egca_crypto_key_check(k, &alg, &bits), EGCA_OK);
	assert_int_equal(alg, EGCA_KEY_SM2);
	assert_int_equal(egca_crypto_spki_encode(k, &der, &len), EGCA_OK);
	assert_int_equal(egca_crypto_spki_decode(der, len, &pub), EGCA_OK);
	assert_true(EVP_PKEY_is_a(pub, "SM2"));
	assert_true(egca_crypto_key_public_equal(k, pub));
	assert_true(egca_crypto_key_public_equal(pub, k));
	free(der);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void
save_load(enum egca_key_alg kalg, int bits)
{
	static const char pass[] = "correct horse battery";
	EVP_PKEY *k, *l = NULL;
	const char *path, *pf;
	struct stat st;
	uint8_t sig[512];
	size_t sig_len = sizeof(sig);
	enum egca_sig_alg salg;

	k = gen(kalg, bits);
	path = test_path("key.pem");
	unlink(path);
	assert_int_equal(
	    egca_crypto_key_save(k, path, pass, strlen(pass)), EGCA_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(
	    egca_crypto_key_load(path, pass, strlen(pass), &l), EGCA_OK);
	assert_true(egca_crypto_key_public_equal(k, l));
	if (kalg == EGCA_KEY_SM2)
		assert_true(EVP_PKEY_is_a(l, "SM2"));
	/* Sign with the loaded key, verify with the original. */
	salg = egca_crypto_sig_alg_for_key(l);
	assert_int_equal(
	    egca_crypto_sign_tbs(l, salg, tbs, sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	assert_int_equal(
	    egca_crypto_verify_tbs(k, salg, tbs, sizeof(tbs), sig, sig_len),
	    EGCA_OK);
	EVP_PKEY_free(l);

	/* The openssl command line reads it; PBES2 with scrypt. */
	pf = test_path("pass");
	test_write(pf, pass, strlen(pass));
	assert_int_equal(
	    test_sh("openssl pkey -in %s -passin file:%s -noout", path, pf), 0);
	/* asn1parse prints the long name of id-scrypt, "scrypt". */
	assert_int_equal(test_sh("openssl asn1parse -in %s | grep -qE "
	                         "':(id-)?scrypt *$'",
	                     path),
	    0);
	assert_int_equal(test_sh("openssl asn1parse -in %s | grep -q "
	                         "aes-256-cbc",
	                     path),
	    0);
	assert_int_equal(test_sh("openssl pkey -in %s -passin pass:wrong "
	                         "-noout",
	                     path),
	    1);

	/* Wrong passphrase. */
	l = NULL;
	assert_int_equal(egca_crypto_key_load(path, "wrong passphrase", 16, &l),
	    EGCA_ERR_AUTH);
	assert_null(l);
	assert_non_null(
	    strstr(egca_err_detail(), "wrong passphrase or corrupt key file"));
	assert_non_null(strstr(egca_err_detail(), path));
	/* One byte short of the right one. */
	assert_int_equal(egca_crypto_key_load(path, pass, strlen(pass) - 1, &l),
	    EGCA_ERR_AUTH);
	EVP_PKEY_free(k);
}

static void
test_save_load(void **state)
{
	const char *path;
	EVP_PKEY *l = NULL;

	(void)state;
	save_load(EGCA_KEY_SM2, 0);
	save_load(EGCA_KEY_P256, 0);
	save_load(EGCA_KEY_RSA, 2048);

	/* Not a key file; no such file. */
	path = test_path("notakey.pem");
	test_write(path, "hello\n", 6);
	assert_int_equal(
	    egca_crypto_key_load(path, "x", 1, &l), EGCA_ERR_INPUT);
	assert_null(l);
	assert_int_not_equal(
	    egca_crypto_key_load(test_path("missing.pem"), "x", 1, &l),
	    EGCA_OK);
	assert_null(l);
}

/*
 * A key file written by the openssl command line (SM2, scrypt) loads
 * as an SM2 key.
 */
static void
test_load_openssl(void **state)
{
	const char *path, *pf, *plain;
	EVP_PKEY *l = NULL;

	(void)state;
	plain = test_path("cli-plain.pem");
	path = test_path("cli-enc.pem");
	pf = test_path("cli-pass");
	test_write(pf, "passphrase-cli\n", 15);
	assert_int_equal(
	    test_sh("openssl genpkey -algorithm SM2 -out %s", plain), 0);
	assert_int_equal(test_sh("openssl pkcs8 -topk8 -scrypt -in %s -out %s "
	                         "-passout file:%s",
	                     plain, path, pf),
	    0);
	assert_int_equal(
	    egca_crypto_key_load(path, "passphrase-cli", 14, &l), EGCA_OK);
	assert_true(EVP_PKEY_is_a(l, "SM2"));
	EVP_PKEY_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alg_parse),
	    cmocka_unit_test(test_generate_check),
	    cmocka_unit_test(test_check_rsa_refused),
	    cmocka_unit_test(test_check_ec_refused),
	    cmocka_unit_test(test_spki),
	    cmocka_unit_test(test_sm2_ec_typed),
	    cmocka_unit_test(test_save_load),
	    cmocka_unit_test(test_load_openssl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
