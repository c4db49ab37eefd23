/*
 * Escrow: a generated key pair, its scalar wrapped under a data key
 * derived from the master key, unwrapped back; the additional data
 * binds the key id and the public key; a wrong master key, an altered
 * wrapping, another row's id or public key: EGCA_ERR_INTEGRITY.
 */
#include <openssl/core_names.h>

#include "km_fixture.h"

struct gen {
	EVP_PKEY *pair;
	uint8_t *spki;
	size_t spki_len;
	uint8_t d[32];
};

static void
gen(struct gen *g)
{
	assert_int_equal(
	    km_key_generate(&g->pair, &g->spki, &g->spki_len, g->d), EGCA_OK);
}

static void
gen_free(struct gen *g)
{
	EVP_PKEY_free(g->pair);
	free(g->spki);
}

static void
test_wrap_round_trip(void **state)
{
	uint8_t master[32], key[32], w[KM_WRAP_LEN], w2[KM_WRAP_LEN], d[32];
	const char *id = "0123456789abcdef0123456789abcdef";
	struct gen g;
	EVP_PKEY *pair = NULL;

	(void)state;
	gen(&g);
	assert_int_equal(egca_crypto_rand(master, 32), EGCA_OK);
	assert_int_equal(km_derive_data_key(master, id, key), EGCA_OK);
	assert_int_equal(km_wrap(key, id, g.spki, g.spki_len, g.d, w), EGCA_OK);
	assert_int_equal(w[0], KM_WRAP_VERSION);
	/* The scalar is nowhere in the wrapping. */
	assert_null(memmem(w, sizeof(w), g.d, 32));
	/* A fresh nonce every time. */
	assert_int_equal(
	    km_wrap(key, id, g.spki, g.spki_len, g.d, w2), EGCA_OK);
	assert_memory_not_equal(w, w2, sizeof(w));
	assert_int_equal(
	    km_unwrap(key, id, g.spki, g.spki_len, w, sizeof(w), d), EGCA_OK);
	assert_memory_equal(d, g.d, 32);
	/* The unwrapped scalar makes the same key pair. */
	assert_int_equal(km_key_pair(d, g.spki, g.spki_len, &pair), EGCA_OK);
	assert_true(egca_crypto_key_public_equal(pair, g.pair));
	EVP_PKEY_free(pair);
	gen_free(&g);
}

static void
test_wrap_bound(void **state)
{
	uint8_t master[32], key[32], other[32], w[KM_WRAP_LEN], x[KM_WRAP_LEN];
	uint8_t d[32];
	const char *id = "0123456789abcdef0123456789abcdef";
	const char *id2 = "0123456789abcdef0123456789abcdee";
	struct gen g, h;
	size_t i;

	(void)state;
	gen(&g);
	gen(&h);
	assert_int_equal(egca_crypto_rand(master, 32), EGCA_OK);
	assert_int_equal(km_derive_data_key(master, id, key), EGCA_OK);
	assert_int_equal(km_wrap(key, id, g.spki, g.spki_len, g.d, w), EGCA_OK);
	/* Another key id derives another data key and is other AAD. */
	assert_int_equal(km_derive_data_key(master, id2, other), EGCA_OK);
	assert_memory_not_equal(key, other, 32);
	assert_int_equal(
	    km_unwrap(other, id, g.spki, g.spki_len, w, sizeof(w), d),
	    EGCA_ERR_INTEGRITY);
	assert_int_equal(
	    km_unwrap(key, id2, g.spki, g.spki_len, w, sizeof(w), d),
	    EGCA_ERR_INTEGRITY);
	/* Another public key (a row whose key was swapped). */
	assert_int_equal(
	    km_unwrap(key, id, h.spki, h.spki_len, w, sizeof(w), d),
	    EGCA_ERR_INTEGRITY);
	/* Another master key. */
	master[0] ^= 1;
	assert_int_equal(km_derive_data_key(master, id, other), EGCA_OK);
	assert_int_equal(
	    km_unwrap(other, id, g.spki, g.spki_len, w, sizeof(w), d),
	    EGCA_ERR_INTEGRITY);
	/* Every altered octet of the wrapping. */
	for (i = 0; i < sizeof(w); i++) {
		memcpy(x, w, sizeof(w));
		x[i] ^= 0x80;
		assert_int_equal(
		    km_unwrap(key, id, g.spki, g.spki_len, x, sizeof(x), d),
		    EGCA_ERR_INTEGRITY);
		/* A failed unwrap leaves no scalar behind. */
		assert_null(memmem(d, 32, g.d, 4));
	}
	assert_int_equal(
	    km_unwrap(key, id, g.spki, g.spki_len, w, sizeof(w) - 1, d),
	    EGCA_ERR_INTEGRITY);
	gen_free(&g);
	gen_free(&h);
}

static void
test_key_pair_mismatch(void **state)
{
	struct gen g, h;
	EVP_PKEY *pair = NULL, *env_pair = NULL, *holder = NULL;
	uint8_t *env = NULL;
	size_t env_len;

	(void)state;
	gen(&g);
	gen(&h);
	/* d of one key with the public key of another is refused when
	 * enveloped (d*G is checked). */
	assert_int_equal(km_key_pair(g.d, h.spki, h.spki_len, &pair), EGCA_OK);
	assert_int_equal(
	    egca_crypto_key_generate(EGCA_KEY_SM2, 0, &holder), EGCA_OK);
	assert_int_not_equal(
	    egca_envelope_seal(holder, pair, &env, &env_len), EGCA_OK);
	EVP_PKEY_free(pair);
	/* The right pair envelopes and opens to the same key. */
	assert_int_equal(km_key_pair(g.d, g.spki, g.spki_len, &pair), EGCA_OK);
	assert_int_equal(
	    egca_envelope_seal(holder, pair, &env, &env_len), EGCA_OK);
	assert_int_equal(
	    egca_envelope_open(holder, env, env_len, &env_pair), EGCA_OK);
	assert_true(egca_crypto_key_public_equal(env_pair, g.pair));
	free(env);
	EVP_PKEY_free(pair);
	EVP_PKEY_free(env_pair);
	EVP_PKEY_free(holder);
	gen_free(&g);
	gen_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrap_round_trip),
	    cmocka_unit_test(test_wrap_bound),
	    cmocka_unit_test(test_key_pair_mismatch),
	};

	egca_crypto_harden_process();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
