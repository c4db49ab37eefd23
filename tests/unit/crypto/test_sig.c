/* Unit tests for src/crypto/sig.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "egca/crypto.h"

#include "crypto_test.h"

static const uint8_t tbs[] = "egca test TBS: not a certificate";

static EVP_PKEY *
gen(enum egca_key_alg alg, int bits)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(egca_crypto_key_generate(alg, bits, &k), EGCA_OK);
	assert_non_null(k);
	return k;
}

static void
test_alg_der(void **state)
{
	static const uint8_t sm2[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81, 0x1c,
	    0xcf, 0x55, 0x01, 0x83, 0x75};
	static const uint8_t ec256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
	    0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
	static const uint8_t ec384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
	    0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
	static const uint8_t rsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
	    0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
	const uint8_t *d;
	size_t len;

	(void)state;
	d = egca_crypto_sig_alg_der(EGCA_SIG_SM2_SM3, &len);
	assert_int_equal(len, sizeof(sm2));
	assert_memory_equal(d, sm2, len);
	d = egca_crypto_sig_alg_der(EGCA_SIG_ECDSA_SHA256, &len);
	assert_int_equal(len, sizeof(ec256));
	assert_memory_equal(d, ec256, len);
	d = egca_crypto_sig_alg_der(EGCA_SIG_ECDSA_SHA384, &len);
	assert_int_equal(len, sizeof(ec384));
	assert_memory_equal(d, ec384, len);
	d = egca_crypto_sig_alg_der(EGCA_SIG_RSA_SHA256, &len);
	assert_int_equal(len, sizeof(rsa));
	assert_memory_equal(d, rsa, len);
	assert_null(egca_crypto_sig_alg_der(EGCA_SIG_NONE, &len));
	assert_int_equal(len, 0);
	assert_string_equal(
	    egca_crypto_sig_alg_name(EGCA_SIG_SM2_SM3), "sm2-with-sm3");
}

static void
test_alg_parse(void **state)
{
	static const uint8_t sm2_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75, 0x05, 0x00};
	static const uint8_t ec_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86,
	    0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00};
	static const uint8_t rsa_absent[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86,
	    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
	/* sm2-with-sm3 followed by one stray byte. */
	static const uint8_t trailing[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75, 0x00};
	/* sha1WithRSAEncryption, NULL parameters. */
	static const uint8_t sha1rsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
	/* ecdsa-with-SHA256 with an INTEGER as parameters. */
	static const uint8_t ec_int[] = {0x30, 0x0d, 0x06, 0x08, 0x2a, 0x86,
	    0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x02, 0x01, 0x00};
	/* sm2-with-sm3 in BER: long-form length. */
	static const uint8_t ber[] = {0x30, 0x81, 0x0a, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};
	static const uint8_t junk[] = {0x04, 0x02, 0x00, 0x00};
	static const enum egca_sig_alg all[] = {EGCA_SIG_SM2_SM3,
	    EGCA_SIG_ECDSA_SHA256, EGCA_SIG_ECDSA_SHA384, EGCA_SIG_RSA_SHA256};
	enum egca_sig_alg alg;
	const uint8_t *d;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		d = egca_crypto_sig_alg_der(all[i], &len);
		assert_int_equal(
		    egca_crypto_sig_alg_parse(d, len, &alg), EGCA_OK);
		assert_int_equal(alg, all[i]);
	}
	assert_int_equal(
	    egca_crypto_sig_alg_parse(sm2_null, sizeof(sm2_null), &alg),
	    EGCA_OK);
	assert_int_equal(alg, EGCA_SIG_SM2_SM3);
	assert_int_equal(
	    egca_crypto_sig_alg_parse(ec_null, sizeof(ec_null), &alg), EGCA_OK);
	assert_int_equal(alg, EGCA_SIG_ECDSA_SHA256);
	assert_int_equal(
	    egca_crypto_sig_alg_parse(rsa_absent, sizeof(rsa_absent), &alg),
	    EGCA_OK);
	assert_int_equal(alg, EGCA_SIG_RSA_SHA256);

	assert_int_equal(
	    egca_crypto_sig_alg_parse(trailing, sizeof(trailing), &alg),
	    EGCA_ERR_INPUT);
	assert_int_equal(alg, EGCA_SIG_NONE);
	assert_non_null(strstr(egca_err_detail(), "trailing"));
	assert_non_null(strstr(egca_err_detail(), "1.2.156.10197.1.501"));

	assert_int_equal(
	    egca_crypto_sig_alg_parse(sha1rsa, sizeof(sha1rsa), &alg),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "1.2.840.113549.1.1.5"));

	assert_int_equal(
	    egca_crypto_sig_alg_parse(ec_int, sizeof(ec_int), &alg),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "1.2.840.10045.4.3.2"));

	assert_int_equal(
	    egca_crypto_sig_alg_parse(ber, sizeof(ber), &alg), EGCA_ERR_INPUT);
	assert_int_equal(egca_crypto_sig_alg_parse(junk, sizeof(junk), &alg),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_crypto_sig_alg_parse(junk, 0, &alg), EGCA_ERR_INPUT);
	/* Truncated. */
	d = egca_crypto_sig_alg_der(EGCA_SIG_RSA_SHA256, &len);
	assert_int_equal(
	    egca_crypto_sig_alg_parse(d, len - 1, &alg), EGCA_ERR_INPUT);
}

static void
roundtrip(enum egca_key_alg kalg, int bits, enum egca_sig_alg want)
{
	EVP_PKEY *k;
	uint8_t sig[1024], bad[sizeof(tbs)];
	size_t sig_len;

	k = gen(kalg, bits);
	assert_int_equal(egca_crypto_sig_alg_for_key(k), want);
	assert_true(egca_crypto_sig_max(k) <= sizeof(sig));
	sig_len = sizeof(sig);
	assert_int_equal(
	    egca_crypto_sign_tbs(k, want, tbs, sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	assert_true(sig_len > 0 && sig_len <= egca_crypto_sig_max(k));
	assert_int_equal(
	    egca_crypto_verify_tbs(k, want, tbs, sizeof(tbs), sig, sig_len),
	    EGCA_OK);

	/* Tampered signature. */
	sig[sig_len / 2] ^= 0x01;
	assert_int_equal(
	    egca_crypto_verify_tbs(k, want, tbs, sizeof(tbs), sig, sig_len),
	    EGCA_ERR_AUTH);
	sig[sig_len / 2] ^= 0x01;
	/* Truncated signature. */
	assert_int_equal(
	    egca_crypto_verify_tbs(k, want, tbs, sizeof(tbs), sig, sig_len - 1),
	    EGCA_ERR_AUTH);
	/* Tampered data. */
	memcpy(bad, tbs, sizeof(tbs));
	bad[0] ^= 0x80;
	assert_int_equal(
	    egca_crypto_verify_tbs(k, want, bad, sizeof(bad), sig, sig_len),
	    EGCA_ERR_AUTH);

	/* Buffer too small. */
	sig_len = egca_crypto_sig_max(k) - 1;
	assert_int_not_equal(
	    egca_crypto_sign_tbs(k, want, tbs, sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	assert_int_equal(sig_len, 0);
	EVP_PKEY_free(k);
}

static void
test_roundtrip(void **state)
{
	(void)state;
	roundtrip(EGCA_KEY_SM2, 0, EGCA_SIG_SM2_SM3);
	roundtrip(EGCA_KEY_P256, 0, EGCA_SIG_ECDSA_SHA256);
	roundtrip(EGCA_KEY_P384, 0, EGCA_SIG_ECDSA_SHA384);
	roundtrip(EGCA_KEY_RSA, 2048, EGCA_SIG_RSA_SHA256);
}

static void
test_alg_mismatch(void **state)
{
	EVP_PKEY *sm2, *p256;
	uint8_t sig[256];
	size_t sig_len = sizeof(sig);

	(void)state;
	sm2 = gen(EGCA_KEY_SM2, 0);
	p256 = gen(EGCA_KEY_P256, 0);
	/* ECDSA on the SM2 curve, SM2 on P-256: both refused. */
	assert_int_equal(egca_crypto_sign_tbs(sm2, EGCA_SIG_ECDSA_SHA256, tbs,
	                     sizeof(tbs), sig, &sig_len),
	    EGCA_ERR_INPUT);
	sig_len = sizeof(sig);
	assert_int_equal(egca_crypto_sign_tbs(p256, EGCA_SIG_SM2_SM3, tbs,
	                     sizeof(tbs), sig, &sig_len),
	    EGCA_ERR_INPUT);
	sig_len = sizeof(sig);
	assert_int_equal(egca_crypto_sign_tbs(p256, EGCA_SIG_ECDSA_SHA256, tbs,
	                     sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	assert_int_equal(egca_crypto_verify_tbs(p256, EGCA_SIG_RSA_SHA256, tbs,
	                     sizeof(tbs), sig, sig_len),
	    EGCA_ERR_INPUT);
	/* Signature by one key does not verify under another. */
	EVP_PKEY_free(sm2);
	sm2 = gen(EGCA_KEY_P256, 0);
	assert_int_equal(egca_crypto_verify_tbs(sm2, EGCA_SIG_ECDSA_SHA256, tbs,
	                     sizeof(tbs), sig, sig_len),
	    EGCA_ERR_AUTH);
	assert_int_equal(egca_crypto_sig_alg_for_key(NULL), EGCA_SIG_NONE);
	EVP_PKEY_free(sm2);
	EVP_PKEY_free(p256);
}

/*
 * The interop that matters: egca's SM2 signatures carry the GM/T 0009
 * user ID, as the openssl command line sees it with distid, and not the
 * empty ID OpenSSL 3.0 uses by default.
 */
static void
test_sm2_openssl_cli(void **state)
{
	EVP_PKEY *k;
	uint8_t sig[128];
	size_t sig_len = sizeof(sig);
	const char *pub, *priv, *data, *sigf, *sig2;

	(void)state;
	k = gen(EGCA_KEY_SM2, 0);
	pub = test_path("sm2pub.pem");
	priv = test_path("sm2priv.pem");
	test_write_pubkey(pub, k);
	test_write_privkey(priv, k);
	data = test_path("sm2data");
	test_write(data, tbs, sizeof(tbs));

	assert_int_equal(egca_crypto_sign_tbs(k, EGCA_SIG_SM2_SM3, tbs,
	                     sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	sigf = test_path("sm2sig");
	test_write(sigf, sig, sig_len);
	assert_int_equal(test_sh("openssl pkeyutl -verify -pubin -inkey %s "
	                         "-rawin -digest sm3 -pkeyopt "
	                         "distid:1234567812345678 -in %s -sigfile %s",
	                     pub, data, sigf),
	    0);
	/* With the empty ID (the OpenSSL 3.0 default) it must not. */
	assert_int_not_equal(test_sh("openssl pkeyutl -verify -pubin -inkey "
	                             "%s -rawin -digest sm3 -in %s -sigfile %s",
	                         pub, data, sigf),
	    0);

	/* openssl signs with the ID: egca verifies. */
	sig2 = test_path("sm2sig-cli");
	assert_int_equal(test_sh("openssl pkeyutl -sign -inkey %s -rawin "
	                         "-digest sm3 -pkeyopt distid:1234567812345678 "
	                         "-in %s -out %s",
	                     priv, data, sig2),
	    0);
	sig_len = test_read(sig2, sig, sizeof(sig));
	assert_int_equal(egca_crypto_verify_tbs(k, EGCA_SIG_SM2_SM3, tbs,
	                     sizeof(tbs), sig, sig_len),
	    EGCA_OK);
	/* openssl signs with the empty ID: egca refuses. */
	assert_int_equal(test_sh("openssl pkeyutl -sign -inkey %s -rawin "
	                         "-digest sm3 -in %s -out %s",
	                     priv, data, sig2),
	    0);
	sig_len = test_read(sig2, sig, sizeof(sig));
	assert_int_equal(egca_crypto_verify_tbs(k, EGCA_SIG_SM2_SM3, tbs,
	                     sizeof(tbs), sig, sig_len),
	    EGCA_ERR_AUTH);
	EVP_PKEY_free(k);
}

/* ECDSA and RSA signatures verify with the openssl command line too. */
static void
test_ecdsa_rsa_openssl_cli(void **state)
{
	static const struct {
		enum egca_key_alg alg;
		int bits;
		const char *md;
	} cases[] = {
	    {EGCA_KEY_P256, 0, "sha256"},
	    {EGCA_KEY_P384, 0, "sha384"},
	    {EGCA_KEY_RSA, 2048, "sha256"},
	};
	EVP_PKEY *k;
	uint8_t sig[512];
	size_t i, sig_len;
	const char *pub, *data, *sigf;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = gen(cases[i].alg, cases[i].bits);
		pub = test_path("pub.pem");
		test_write_pubkey(pub, k);
		data = test_path("data");
		test_write(data, tbs, sizeof(tbs));
		sig_len = sizeof(sig);
		assert_int_equal(
		    egca_crypto_sign_tbs(k, egca_crypto_sig_alg_for_key(k), tbs,
		        sizeof(tbs), sig, &sig_len),
		    EGCA_OK);
		sigf = test_path("sig");
		test_write(sigf, sig, sig_len);
		assert_int_equal(test_sh("openssl dgst -%s -verify %s "
		                         "-signature %s %s",
		                     cases[i].md, pub, sigf, data),
		    0);
		EVP_PKEY_free(k);
	}
}

/*
 * An SM2 key typed "EC" (group SM2) signs as SM2, not as ECDSA on the
 * SM2 curve.
 */
static void
test_sm2_ec_typed(void **state)
{
	EVP_PKEY *k;
	uint8_t sig[128];
	size_t sig_len = sizeof(sig);
	const char *pub, *data, *sigf;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "SM2");
	assert_non_null(k);
	assert_true(EVP_PKEY_is_a(k, "EC"));
	assert_false(EVP_PKEY_is_a(k, "SM2"));
	assert_int_equal(egca_crypto_sig_alg_for_key(k), EGCA_SIG_SM2_SM3);
	assert_int_equal(egca_crypto_sign_tbs(k, EGCA_SIG_SM2_SM3, tbs,
	                     sizeof(tbs), sig, &sig_len),
	    EGCA_OK);
	assert_int_equal(egca_crypto_verify_tbs(k, EGCA_SIG_SM2_SM3, tbs,
	                     sizeof(tbs), sig, sig_len),
	    EGCA_OK);
	pub = test_path("ecsm2pub.pem");
	test_write_pubkey(pub, k);
	data = test_path("ecsm2data");
	test_write(data, tbs, sizeof(tbs));
	sigf = test_path("ecsm2sig");
	test_write(sigf, sig, sig_len);
	assert_int_equal(test_sh("openssl pkeyutl -verify -pubin -inkey %s "
	                         "-rawin -digest sm3 -pkeyopt "
	                         "distid:1234567812345678 -in %s -sigfile %s",
	                     pub, data, sigf),
	    0);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alg_der),
	    cmocka_unit_test(test_alg_parse),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_alg_mismatch),
	    cmocka_unit_test(test_sm2_openssl_cli),
	    cmocka_unit_test(test_ecdsa_rsa_openssl_cli),
	    cmocka_unit_test(test_sm2_ec_typed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
