/*
 * Unit tests for src/crypto/sm2enc.c (SM2 encryption, the GM/T 0009
 * SM2Cipher parser) and src/crypto/envelope.c (SM2EnvelopedKey and the
 * SKF ENVELOPEDKEYBLOB).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "egca/crypto.h"

#include "crypto_test.h"

static EVP_PKEY *
gen_sm2(void)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(
	    egca_crypto_key_generate(EGCA_KEY_SM2, 0, &k), EGCA_OK);
	return k;
}

/* An SM2 key typed "EC" (group SM2), the other OpenSSL 3.0 shape. */
static EVP_PKEY *
gen_ec_sm2(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "SM2");

	assert_non_null(k);
	assert_true(EVP_PKEY_is_a(k, "EC"));
	return k;
}

static void
priv_bytes(const EVP_PKEY *k, uint8_t d[32])
{
	BIGNUM *bn = NULL;

	assert_int_equal(
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, d, 32), 32);
	BN_clear_free(bn);
}

/* A TLV with a short or a one- or two-octet long length. */
static size_t
tlv(uint8_t *out, uint8_t tag, const uint8_t *v, size_t n)
{
	size_t h = 0;

	out[h++] = tag;
	if (n < 0x80) {
		out[h++] = (uint8_t)n;
	} else if (n < 0x100) {
		out[h++] = 0x81;
		out[h++] = (uint8_t)n;
	} else {
		assert_true(n < 0x10000);
		out[h++] = 0x82;
		out[h++] = (uint8_t)(n >> 8);
		out[h++] = (uint8_t)n;
	}
	memmove(out + h, v, n);
	return h + n;
}

/* SEQUENCE { INTEGER x, INTEGER y, OCTET STRING h, OCTET STRING c } */
static size_t
mk_cipher(uint8_t *out, const uint8_t *x, size_t xl, const uint8_t *y,
    size_t yl, const uint8_t *h, size_t hl, const uint8_t *c, size_t cl)
{
	uint8_t body[512];
	size_t n = 0;

	n += tlv(body + n, 0x02, x, xl);
	n += tlv(body + n, 0x02, y, yl);
	n += tlv(body + n, 0x04, h, hl);
	n += tlv(body + n, 0x04, c, cl);
	return tlv(out, 0x30, body, n);
}

/* ------------------------------------------------------------------ */
/* SM2 encryption                                                       */

static void
test_sm2_round_trip(void **state)
{
	static const size_t lens[] = {1, 16, 32, 33, 1000};
	EVP_PKEY *k = gen_sm2(), *ec = gen_ec_sm2();
	uint8_t msg[1000], out[1000];
	uint8_t *der;
	size_t i, der_len, n;
	struct egca_sm2_cipher c;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(
		    egca_crypto_sm2_encrypt(k, msg, lens[i], &der, &der_len),
		    EGCA_OK);
		/* C1C3C2: the last OCTET STRING is as long as the text. */
		assert_int_equal(
		    egca_crypto_sm2_cipher_parse(der, der_len, &c), EGCA_OK);
		assert_int_equal(c.c2_len, lens[i]);
		assert_int_equal(der[0], 0x30);
		assert_int_equal(egca_crypto_sm2_decrypt(
		                     k, der, der_len, out, sizeof(out), &n),
		    EGCA_OK);
		assert_int_equal(n, lens[i]);
		assert_memory_equal(out, msg, n);
		/* Re-encoding the parsed form gives the same octets. */
		{
			uint8_t *again;
			size_t again_len;

			assert_int_equal(egca_crypto_sm2_cipher_encode(
			                     &c, &again, &again_len),
			    EGCA_OK);
			assert_int_equal(again_len, der_len);
			assert_memory_equal(again, der, der_len);
			free(again);
		}
		free(der);
	}
	/* The "EC"-typed shape of an SM2 key works both ways. */
	assert_int_equal(
	    egca_crypto_sm2_encrypt(ec, msg, 16, &der, &der_len), EGCA_OK);
	assert_int_equal(
	    egca_crypto_sm2_decrypt(ec, der, der_len, out, 16, &n), EGCA_OK);
	assert_memory_equal(out, msg, 16);
	/* A buffer smaller than the ciphertext says: refused, untouched. */
	assert_int_equal(egca_crypto_sm2_decrypt(ec, der, der_len, out, 15, &n),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "at most 15"));
	free(der);
	/* Bounds on the plaintext. */
	assert_int_equal(
	    egca_crypto_sm2_encrypt(k, msg, 0, &der, &der_len), EGCA_ERR_INPUT);
	assert_null(der);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ec);
}

static void
test_sm2_wrong_key_and_tamper(void **state)
{
	EVP_PKEY *k = gen_sm2(), *other = gen_sm2(), *p256 = NULL;
	uint8_t msg[16] = "sixteen octets!", out[64];
	uint8_t *der;
	size_t der_len, n, i;

	(void)state;
	assert_int_equal(
	    egca_crypto_sm2_encrypt(k, msg, sizeof(msg), &der, &der_len),
	    EGCA_OK);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(
	    egca_crypto_sm2_decrypt(other, der, der_len, out, sizeof(out), &n),
	    EGCA_ERR_AUTH);
	assert_int_equal(n, 0);
	/* Nothing of a failed decryption is left in the buffer. */
	for (i = 0; i < sizeof(msg); i++)
		assert_int_equal(out[i], 0);
	/* The last 16 octets are C2, the 32 before them C3. */
	der[der_len - 1] ^= 0x01;
	assert_int_equal(
	    egca_crypto_sm2_decrypt(k, der, der_len, out, sizeof(out), &n),
	    EGCA_ERR_AUTH);
	der[der_len - 1] ^= 0x01;
	der[der_len - 16 - 2 - 1] ^= 0x80;
	assert_int_equal(
	    egca_crypto_sm2_decrypt(k, der, der_len, out, sizeof(out), &n),
	    EGCA_ERR_AUTH);
	der[der_len - 16 - 2 - 1] ^= 0x80;
	assert_int_equal(
	    egca_crypto_sm2_decrypt(k, der, der_len, out, sizeof(out), &n),
	    EGCA_OK);
	/* Not an SM2 key. */
	assert_int_equal(
	    egca_crypto_key_generate(EGCA_KEY_P256, 0, &p256), EGCA_OK);
	assert_int_equal(
	    egca_crypto_sm2_decrypt(p256, der, der_len, out, sizeof(out), &n),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "not an SM2 key"));
	free(der);
	assert_int_equal(
	    egca_crypto_sm2_encrypt(p256, msg, sizeof(msg), &der, &der_len),
	    EGCA_ERR_INPUT);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* Expects parse to refuse der with a detail containing want. */
static void
refuse(const uint8_t *der, size_t len, const char *want)
{
	struct egca_sm2_cipher c;

	assert_int_equal(
	    egca_crypto_sm2_cipher_parse(der, len, &c), EGCA_ERR_INPUT);
	if (want != NULL && strstr(egca_err_detail(), want) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", egca_err_detail(), want);
}

/* The minimal INTEGER contents for a 32-octet unsigned value. */
static size_t
minint(const uint8_t v[32], uint8_t out[33])
{
	size_t i = 0, n = 0;

	while (i < 31 && v[i] == 0)
		i++;
	if (v[i] & 0x80)
		out[n++] = 0;
	memcpy(out + n, v + i, 32 - i);
	return n + 32 - i;
}

static void
test_sm2_cipher_malformed(void **state)
{
	EVP_PKEY *k = gen_sm2();
	uint8_t msg[16] = "0123456789abcdef", h[33] = {0};
	uint8_t xi[33], yi[33], raw[40], v[32];
	uint8_t buf[600], *der;
	size_t der_len, n, i, xl, yl;
	struct egca_sm2_cipher c;
	static const uint8_t p[32] = {0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff};

	(void)state;
	assert_int_equal(
	    egca_crypto_sm2_encrypt(k, msg, sizeof(msg), &der, &der_len),
	    EGCA_OK);
	assert_int_equal(
	    egca_crypto_sm2_cipher_parse(der, der_len, &c), EGCA_OK);
	xl = minint(c.x, xi);
	yl = minint(c.y, yi);
	memcpy(h, c.hash, 32);

	/* The canonical form, rebuilt by hand, is OpenSSL's output. */
	n = mk_cipher(buf, xi, xl, yi, yl, h, 32, msg, 16);
	assert_int_equal(egca_crypto_sm2_cipher_parse(buf, n, &c), EGCA_OK);
	assert_int_equal(
	    egca_crypto_sm2_cipher_parse(der, der_len, &c), EGCA_OK);

	/* x or y with 33 octets of magnitude (CVE-2021-3711). */
	raw[0] = 0x01;
	memcpy(raw + 1, c.x, 32);
	n = mk_cipher(buf, raw, 33, yi, yl, h, 32, msg, 16);
	refuse(buf, n, "XCoordinate: more than 32 octets");
	memcpy(raw + 1, c.y, 32);
	n = mk_cipher(buf, xi, xl, raw, 33, h, 32, msg, 16);
	refuse(buf, n, "YCoordinate: more than 32 octets");
	/* 34 octets with a sign octet: still 33 of magnitude. */
	raw[0] = 0x00;
	raw[1] = 0x80;
	memcpy(raw + 2, c.x, 32);
	n = mk_cipher(buf, raw, 34, yi, yl, h, 32, msg, 16);
	refuse(buf, n, "XCoordinate: more than 32 octets");

	/* Hash of 31 and 33 octets. */
	n = mk_cipher(buf, xi, xl, yi, yl, h, 31, msg, 16);
	refuse(buf, n, "HASH: 31 octets");
	n = mk_cipher(buf, xi, xl, yi, yl, h, 33, msg, 16);
	refuse(buf, n, "HASH: 33 octets");

	/* Point off the curve; x = p (not below the field prime). */
	memcpy(v, c.y, 32);
	v[31] ^= 0x01;
	n = mk_cipher(buf, xi, xl, raw, minint(v, raw), h, 32, msg, 16);
	refuse(buf, n, "not on the SM2 curve");
	n = mk_cipher(buf, raw, minint(p, raw), yi, yl, h, 32, msg, 16);
	refuse(buf, n, "field prime");
	/* x = 0, y = 0: not a point either. */
	memset(v, 0, 32);
	n = mk_cipher(buf, raw, minint(v, raw), yi, yl, h, 32, msg, 16);
	refuse(buf, n, "C1");

	/* Non-minimal and negative INTEGERs, empty INTEGER, empty C2. */
	raw[0] = 0x00;
	raw[1] = 0x00;
	memcpy(raw + 2, c.x, 32);
	n = mk_cipher(buf, raw, 34, yi, yl, h, 32, msg, 16);
	refuse(buf, n, "not minimally encoded");
	raw[0] = 0xff;
	memcpy(raw + 1, c.x, 32);
	n = mk_cipher(buf, raw, 33, yi, yl, h, 32, msg, 16);
	refuse(buf, n, "negative");
	n = mk_cipher(buf, raw, 0, yi, yl, h, 32, msg, 16);
	refuse(buf, n, "empty INTEGER");
	n = mk_cipher(buf, xi, xl, yi, yl, h, 32, msg, 0);
	refuse(buf, n, "CipherText: 0 octets");

	/* Trailing octets after the SEQUENCE, and inside it. */
	memcpy(buf, der, der_len);
	buf[der_len] = 0x00;
	refuse(buf, der_len + 1, "trailing");
	memcpy(buf, der, der_len);
	buf[1] = (uint8_t)(buf[1] + 2);
	buf[der_len] = 0x05;
	buf[der_len + 1] = 0x00;
	refuse(buf, der_len + 2, "after CipherText");

	/* Truncated at every position. */
	for (i = 0; i < der_len; i++) {
		struct egca_sm2_cipher t;

		if (egca_crypto_sm2_cipher_parse(der, i, &t) != EGCA_ERR_INPUT)
			fail_msg("accepted a ciphertext cut at %zu", i);
	}
	/* Every tag replaced: outer and the four elements. */
	{
		size_t pos[5], np = 0, off = 2;
		static const uint8_t tags[] = {
		    0x00, 0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0xa0, 0x22, 0x24};

		assert_true(der[1] < 0x80);
		pos[np++] = 0;
		while (off < der_len && np < 5) {
			pos[np++] = off;
			off += 2 + der[off + 1];
		}
		assert_int_equal(np, 5);
		assert_int_equal(off, der_len);
		for (i = 0; i < np; i++) {
			size_t t;

			for (t = 0; t < sizeof(tags); t++) {
				if (tags[t] == der[pos[i]])
					continue;
				memcpy(buf, der, der_len);
				buf[pos[i]] = tags[t];
				refuse(buf, der_len, NULL);
			}
		}
	}
	/* BER: a long-form length where the short form fits. */
	buf[0] = 0x30;
	buf[1] = 0x81;
	buf[2] = der[1];
	memcpy(buf + 3, der + 2, der_len - 2);
	refuse(buf, der_len + 1, "not a DER SEQUENCE");
	/* Indefinite length. */
	buf[1] = 0x80;
	memcpy(buf + 2, der + 2, der_len - 2);
	buf[der_len] = 0;
	buf[der_len + 1] = 0;
	refuse(buf, der_len + 2, "not a DER SEQUENCE");
	free(der);
	EVP_PKEY_free(k);
}

/* ------------------------------------------------------------------ */
/* Envelopes                                                            */

static void
test_envelope_round_trip(void **state)
{
	EVP_PKEY *holder = gen_sm2(), *enc = gen_sm2(), *got = NULL;
	EVP_PKEY *holder_ec = gen_ec_sm2(), *enc_ec = gen_ec_sm2();
	uint8_t *der, *skf, *der2;
	size_t der_len, skf_len, der2_len;
	uint8_t d1[32], d2[32];
	struct egca_envelope env, env2;

	(void)state;
	assert_int_equal(
	    egca_envelope_seal(holder, enc, &der, &der_len), EGCA_OK);
	assert_int_equal(
	    egca_envelope_open(holder, der, der_len, &got), EGCA_OK);
	assert_true(EVP_PKEY_is_a(got, "SM2"));
	assert_true(egca_crypto_key_public_equal(got, enc));
	priv_bytes(enc, d1);
	priv_bytes(got, d2);
	assert_memory_equal(d1, d2, 32);
	EVP_PKEY_free(got);

	/* The written form: symAlgID SM4-ECB with NULL parameters. */
	{
		static const uint8_t alg[] = {0x30, 0x0c, 0x06, 0x08, 0x2a,
		    0x81, 0x1c, 0xcf, 0x55, 0x01, 0x68, 0x01, 0x05, 0x00};

		assert_memory_equal(der + 3, alg, sizeof(alg));
	}

	/* DER -> SKF -> DER is lossless, and the SKF form opens. */
	assert_int_equal(egca_envelope_parse(der, der_len, &env), EGCA_OK);
	assert_int_equal(
	    egca_envelope_skf_encode(&env, &skf, &skf_len), EGCA_OK);
	assert_int_equal(skf_len, EGCA_ENVELOPE_SKF_LEN);
	assert_int_equal(egca_envelope_skf_parse(skf, skf_len, &env2), EGCA_OK);
	assert_int_equal(
	    egca_envelope_encode(&env2, &der2, &der2_len), EGCA_OK);
	assert_int_equal(der2_len, der_len);
	assert_memory_equal(der2, der, der_len);
	assert_int_equal(
	    egca_envelope_open_parsed(holder, &env2, &got), EGCA_OK);
	priv_bytes(got, d2);
	assert_memory_equal(d1, d2, 32);
	EVP_PKEY_free(got);

	/* SKF layout: little-endian ULONGs, right-aligned values. */
	{
		static const uint8_t head[] = {
		    1, 0, 0, 0, 0x01, 0x04, 0, 0, 0x00, 0x01, 0, 0};
		static const uint8_t zero[32];
		uint8_t pub[65];
		size_t pl;

		assert_memory_equal(skf, head, sizeof(head));
		assert_memory_equal(skf + 12, zero, 32);
		assert_memory_equal(skf + 44, env.priv_enc, 32);
		assert_memory_equal(skf + 76, "\x00\x01\x00\x00", 4);
		assert_memory_equal(skf + 80, zero, 32);
		assert_int_equal(
		    EVP_PKEY_get_octet_string_param(
		        enc, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &pl),
		    1);
		assert_int_equal(pl, 65);
		assert_memory_equal(skf + 112, pub + 1, 32);
		assert_memory_equal(skf + 176, pub + 33, 32);
		assert_memory_equal(skf + 240, env.key.x, 32);
		assert_memory_equal(skf + 304, env.key.y, 32);
		assert_memory_equal(skf + 336, env.key.hash, 32);
		assert_memory_equal(skf + 368, "\x10\x00\x00\x00", 4);
		assert_memory_equal(skf + 372, env.key.c2, 16);
	}
	free(skf);
	free(der2);
	free(der);

	/* Keys typed "EC" on the SM2 curve, both roles. */
	assert_int_equal(
	    egca_envelope_seal(holder_ec, enc_ec, &der, &der_len), EGCA_OK);
	assert_int_equal(
	    egca_envelope_open(holder_ec, der, der_len, &got), EGCA_OK);
	assert_true(egca_crypto_key_public_equal(got, enc_ec));
	EVP_PKEY_free(got);
	free(der);

	EVP_PKEY_free(holder);
	EVP_PKEY_free(enc);
	EVP_PKEY_free(holder_ec);
	EVP_PKEY_free(enc_ec);
}

static void
test_envelope_refusals(void **state)
{
	EVP_PKEY *holder = gen_sm2(), *enc = gen_sm2(), *other = gen_sm2();
	EVP_PKEY *p256 = NULL, *pub_only = NULL, *got = NULL;
	uint8_t *der, *spki, other_pub[65];
	size_t der_len, spki_len, pl;
	struct egca_envelope env;

	(void)state;
	assert_int_equal(
	    egca_envelope_seal(holder, enc, &der, &der_len), EGCA_OK);

	/* Wrong holder key: the SM4 key does not decrypt. */
	assert_int_equal(
	    egca_envelope_open(other, der, der_len, &got), EGCA_ERR_AUTH);
	assert_null(got);
	assert_non_null(strstr(egca_err_detail(), "symEncryptedKey"));

	/* Tampered public key: another valid point -> INTEGRITY. */
	assert_int_equal(egca_envelope_parse(der, der_len, &env), EGCA_OK);
	assert_int_equal(
	    EVP_PKEY_get_octet_string_param(other, OSSL_PKEY_PARAM_PUB_KEY,
	        other_pub, sizeof(other_pub), &pl),
	    1);
	memcpy(env.pub, other_pub, 65);
	assert_int_equal(
	    egca_envelope_open_parsed(holder, &env, &got), EGCA_ERR_INTEGRITY);
	assert_null(got);
	assert_non_null(strstr(egca_err_detail(), "does not match"));
	/* The same in DER, re-encoded. */
	{
		uint8_t *t;
		size_t tl;

		assert_int_equal(egca_envelope_encode(&env, &t, &tl), EGCA_OK);
		assert_int_equal(egca_envelope_open(holder, t, tl, &got),
		    EGCA_ERR_INTEGRITY);
		free(t);
	}
	/* Tampered encrypted private key -> INTEGRITY. */
	assert_int_equal(egca_envelope_parse(der, der_len, &env), EGCA_OK);
	env.priv_enc[5] ^= 0x01;
	assert_int_equal(
	    egca_envelope_open_parsed(holder, &env, &got), EGCA_ERR_INTEGRITY);
	/* A public key off the curve is refused as malformed. */
	assert_int_equal(egca_envelope_parse(der, der_len, &env), EGCA_OK);
	{
		uint8_t *t;
		size_t tl;

		env.pub[64] ^= 0x01;
		assert_int_equal(egca_envelope_encode(&env, &t, &tl), EGCA_OK);
		assert_int_equal(
		    egca_envelope_open(holder, t, tl, &got), EGCA_ERR_INPUT);
		assert_non_null(strstr(egca_err_detail(), "sm2PublicKey"));
		free(t);
	}

	/* Sealing: keys of the wrong kind. */
	assert_int_equal(
	    egca_crypto_key_generate(EGCA_KEY_P256, 0, &p256), EGCA_OK);
	free(der);
	assert_int_equal(
	    egca_envelope_seal(p256, enc, &der, &der_len), EGCA_ERR_INPUT);
	assert_null(der);
	assert_int_equal(
	    egca_envelope_seal(holder, p256, &der, &der_len), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_crypto_spki_encode(enc, &spki, &spki_len), EGCA_OK);
	assert_int_equal(
	    egca_crypto_spki_decode(spki, spki_len, &pub_only), EGCA_OK);
	free(spki);
	assert_int_equal(egca_envelope_seal(holder, pub_only, &der, &der_len),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "no private key"));
	/* A public-only holder key is enough to seal. */
	assert_int_equal(
	    egca_envelope_seal(pub_only, holder, &der, &der_len), EGCA_OK);
	assert_int_equal(egca_envelope_open(enc, der, der_len, &got), EGCA_OK);
	EVP_PKEY_free(got);
	free(der);

	EVP_PKEY_free(p256);
	EVP_PKEY_free(pub_only);
	EVP_PKEY_free(holder);
	EVP_PKEY_free(enc);
	EVP_PKEY_free(other);
}

static void
refuse_env(const uint8_t *der, size_t len, const char *want)
{
	struct egca_envelope env;

	assert_int_equal(egca_envelope_parse(der, len, &env), EGCA_ERR_INPUT);
	if (want != NULL && strstr(egca_err_detail(), want) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", egca_err_detail(), want);
}

/* Replaces der[at..at+old_len) with rep, fixing the outer length. */
static size_t
splice(uint8_t *out, const uint8_t *der, size_t der_len, size_t at,
    size_t old_len, const uint8_t *rep, size_t rep_len)
{
	uint8_t body[1024];
	size_t hdr = der[1] == 0x81 ? 3 : 2, n;

	n = at - hdr;
	memcpy(body, der + hdr, n);
	memcpy(body + n, rep, rep_len);
	memcpy(body + n + rep_len, der + at + old_len, der_len - at - old_len);
	n += rep_len + der_len - at - old_len;
	return tlv(out, 0x30, body, n);
}

static void
test_envelope_malformed(void **state)
{
	EVP_PKEY *holder = gen_sm2(), *enc = gen_sm2(), *got = NULL;
	uint8_t *der, buf[1024];
	size_t der_len, n, i, hdr, alg_at, key_at, key_len, pub_at, priv_at;
	struct egca_envelope env;
	static const uint8_t alg_absent[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x68, 0x01};
	static const uint8_t alg_arc[] = {0x30, 0x0b, 0x06, 0x07, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x68, 0x05, 0x00};
	static const uint8_t alg_cbc[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x68, 0x02, 0x05, 0x00};
	static const uint8_t alg_int[] = {0x30, 0x0d, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x68, 0x01, 0x02, 0x01, 0x00};

	(void)state;
	assert_int_equal(
	    egca_envelope_seal(holder, enc, &der, &der_len), EGCA_OK);
	assert_int_equal(der[1], 0x81);
	hdr = 3;
	alg_at = hdr;
	key_at = alg_at + 14;
	key_len = 2 + der[key_at + 1];
	pub_at = key_at + key_len;
	priv_at = pub_at + 68;
	assert_int_equal(der[pub_at], 0x03);
	assert_int_equal(der[priv_at], 0x03);
	assert_int_equal(priv_at + 35, der_len);

	/* Accepted variants: absent parameters, the bare SM4 arc. */
	n = splice(
	    buf, der, der_len, alg_at, 14, alg_absent, sizeof(alg_absent));
	assert_int_equal(egca_envelope_parse(buf, n, &env), EGCA_OK);
	assert_int_equal(egca_envelope_open(holder, buf, n, &got), EGCA_OK);
	EVP_PKEY_free(got);
	n = splice(buf, der, der_len, alg_at, 14, alg_arc, sizeof(alg_arc));
	assert_int_equal(egca_envelope_parse(buf, n, &env), EGCA_OK);
	/* Refused: SM4-CBC, INTEGER parameters. */
	n = splice(buf, der, der_len, alg_at, 14, alg_cbc, sizeof(alg_cbc));
	refuse_env(buf, n, "symAlgID: not SM4-ECB");
	n = splice(buf, der, der_len, alg_at, 14, alg_int, sizeof(alg_int));
	refuse_env(buf, n, "symAlgID: parameters");

	/* symEncryptedKey with 17 octets of C2 (SEQUENCE rebuilt). */
	{
		uint8_t c2[17] = {0}, x[33], y[33];
		struct egca_sm2_cipher c;
		uint8_t *cd;
		size_t cl;

		assert_int_equal(
		    egca_crypto_sm2_cipher_parse(der + key_at, key_len, &c),
		    EGCA_OK);
		memcpy(x, c.x, 32);
		memcpy(y, c.y, 32);
		c.c2 = c2;
		c.c2_len = 17;
		assert_int_equal(
		    egca_crypto_sm2_cipher_encode(&c, &cd, &cl), EGCA_OK);
		n = splice(buf, der, der_len, key_at, key_len, cd, cl);
		refuse_env(buf, n, "an SM4 key has 16");
		free(cd);
		/* A malformed SM2Cipher inside is named as such. */
		memcpy(buf, der, der_len);
		buf[key_at + 2] = 0x04; /* XCoordinate tag */
		refuse_env(buf, der_len, "symEncryptedKey: SM2Cipher");
	}
	/* Public key BIT STRING: unused bits; compressed prefix. */
	memcpy(buf, der, der_len);
	buf[pub_at + 2] = 0x01;
	refuse_env(buf, der_len, "sm2PublicKey: BIT STRING with unused bits");
	memcpy(buf, der, der_len);
	buf[pub_at + 3] = 0x02;
	refuse_env(buf, der_len, "uncompressed");
	/* Encrypted private key of 31 and 48 octets. */
	{
		uint8_t bits[51] = {0x03, 0x20, 0x00};

		n = splice(buf, der, der_len, priv_at, 35, bits, 34);
		refuse_env(buf, n, "sm2EncryptedPrivateKey: 31 octets");
		bits[1] = 0x31;
		n = splice(buf, der, der_len, priv_at, 35, bits, 51);
		refuse_env(buf, n, "sm2EncryptedPrivateKey: 48 octets");
	}
	/* Trailing data, outside and inside. */
	memcpy(buf, der, der_len);
	buf[der_len] = 0;
	refuse_env(buf, der_len + 1, "trailing");
	n = splice(
	    buf, der, der_len, der_len, 0, (const uint8_t *)"\x05\x00", 2);
	refuse_env(buf, n, "unexpected element");
	/* Truncated at every position. */
	for (i = 0; i < der_len; i++) {
		if (egca_envelope_parse(der, i, &env) != EGCA_ERR_INPUT)
			fail_msg("accepted an envelope cut at %zu", i);
	}
	/* Wrong tags on every element. */
	{
		const size_t pos[] = {0, alg_at, key_at, pub_at, priv_at};

		for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
			memcpy(buf, der, der_len);
			buf[pos[i]] = 0x04;
			refuse_env(buf, der_len, NULL);
			buf[pos[i]] = 0x31;
			refuse_env(buf, der_len, NULL);
		}
	}
	free(der);
	EVP_PKEY_free(holder);
	EVP_PKEY_free(enc);
}

static void
refuse_skf(const uint8_t *b, size_t len, const char *want)
{
	struct egca_envelope env;

	assert_int_equal(egca_envelope_skf_parse(b, len, &env), EGCA_ERR_INPUT);
	if (want != NULL && strstr(egca_err_detail(), want) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", egca_err_detail(), want);
}

static void
test_skf_malformed(void **state)
{
	EVP_PKEY *holder = gen_sm2(), *enc = gen_sm2();
	uint8_t *der, *skf, buf[EGCA_ENVELOPE_SKF_LEN + 8];
	size_t der_len, skf_len, i;
	struct egca_envelope env;
	static const struct {
		size_t off;
		uint8_t val;
		const char *want;
	} flips[] = {
	    {0, 2, "Version"},
	    {3, 1, "Version"}, /* big-endian 1 */
	    {4, 0x02, "ulSymmAlgID"},
	    {9, 0x02, "ulBits"},
	    {12, 1, "cbEncryptedPriKey"},
	    {43, 1, "cbEncryptedPriKey"},
	    {77, 2, "PubKey.BitLen"},
	    {80, 1, "PubKey.XCoordinate"},
	    {144, 1, "PubKey.YCoordinate"},
	    {208, 1, "ECCCipherBlob.XCoordinate"},
	    {272, 1, "ECCCipherBlob.YCoordinate"},
	    {368, 17, "CipherLen"},
	    {371, 1, "CipherLen"},
	};

	(void)state;
	assert_int_equal(
	    egca_envelope_seal(holder, enc, &der, &der_len), EGCA_OK);
	assert_int_equal(egca_envelope_parse(der, der_len, &env), EGCA_OK);
	assert_int_equal(
	    egca_envelope_skf_encode(&env, &skf, &skf_len), EGCA_OK);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(buf, skf, skf_len);
		buf[flips[i].off] = flips[i].val;
		refuse_skf(buf, skf_len, flips[i].want);
	}
	/* Points off the curve. */
	memcpy(buf, skf, skf_len);
	buf[207] ^= 0x01;
	refuse_skf(buf, skf_len, "PubKey");
	memcpy(buf, skf, skf_len);
	buf[335] ^= 0x01;
	refuse_skf(buf, skf_len, "C1");
	/* Length: short at every position, one octet long. */
	for (i = 0; i < skf_len; i++) {
		if (egca_envelope_skf_parse(skf, i, &env) != EGCA_ERR_INPUT)
			fail_msg("accepted a blob cut at %zu", i);
	}
	memcpy(buf, skf, skf_len);
	buf[skf_len] = 0;
	refuse_skf(buf, skf_len + 1, "389 octets");
	/* A changed HASH or Cipher parses but does not open. */
	{
		EVP_PKEY *got = NULL;

		memcpy(buf, skf, skf_len);
		buf[340] ^= 0x01;
		assert_int_equal(
		    egca_envelope_skf_parse(buf, skf_len, &env), EGCA_OK);
		assert_int_equal(egca_envelope_open_parsed(holder, &env, &got),
		    EGCA_ERR_AUTH);
		assert_null(got);
	}
	free(skf);
	free(der);
	EVP_PKEY_free(holder);
	EVP_PKEY_free(enc);
}

static void
test_plain_key_files(void **state)
{
	EVP_PKEY *k = gen_sm2(), *back = NULL, *enc_k = NULL;
	const char *path = test_path("plain.pem");
	struct stat st;
	static const char pass[] = "correct horse battery";

	(void)state;
	assert_int_equal(egca_crypto_key_save_plain(k, path), EGCA_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(egca_crypto_key_load_plain(path, &back), EGCA_OK);
	assert_true(egca_crypto_key_public_equal(k, back));
	EVP_PKEY_free(back);
	/* openssl reads it as an unencrypted PKCS#8 SM2 key. */
	assert_int_equal(test_sh("openssl pkey -in '%s' -noout", path), 0);
	assert_int_equal(test_sh("grep -q 'BEGIN PRIVATE KEY' '%s'", path), 0);
	/* An encrypted key file is refused, never prompted for. */
	path = test_path("enc.pem");
	assert_int_equal(
	    egca_crypto_key_save(k, path, pass, strlen(pass)), EGCA_OK);
	assert_int_equal(
	    egca_crypto_key_load_plain(path, &enc_k), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "encrypted"));
	assert_null(enc_k);
	/* DER PKCS#8 from openssl; SEC1 PEM from openssl. */
	assert_int_equal(test_sh("openssl genpkey -algorithm SM2 -outform DER "
	                         "-out '%s'",
	                     test_path("k.der")),
	    0);
	assert_int_equal(
	    egca_crypto_key_load_plain(test_path("k.der"), &back), EGCA_OK);
	assert_true(EVP_PKEY_is_a(back, "SM2"));
	EVP_PKEY_free(back);
	test_write(
	    test_path("junk.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n", 33);
	assert_int_equal(
	    egca_crypto_key_load_plain(test_path("junk.pem"), &back),
	    EGCA_ERR_INPUT);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sm2_round_trip),
	    cmocka_unit_test(test_sm2_wrong_key_and_tamper),
	    cmocka_unit_test(test_sm2_cipher_malformed),
	    cmocka_unit_test(test_envelope_round_trip),
	    cmocka_unit_test(test_envelope_refusals),
	    cmocka_unit_test(test_envelope_malformed),
	    cmocka_unit_test(test_skf_malformed),
	    cmocka_unit_test(test_plain_key_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
