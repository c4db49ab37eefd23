/*
 * Enveloped SM2 key pairs: the KM's way of handing an encryption key
 * pair to its holder (gm-standards.md 2.3). A fresh SM4 key encrypts
 * the 32-octet private scalar d in ECB mode without padding (the
 * canonical plaintext of 2.3: big-endian d, as gmsm writes it), and
 * SM2 encrypts the SM4 key to the holder's SIGNING public key. Two
 * containers for the same three values:
 *
 *   GM/T 0009 SM2EnvelopedKey (DER), symAlgID SM4-ECB with NULL
 *   parameters (as gmsm writes it; absent parameters and the bare SM4
 *   arc 1.2.156.10197.1.104 are accepted);
 *
 *   GM/T 0016 ENVELOPEDKEYBLOB (SKF_ImportECCKeyPair): Version 1,
 *   ulSymmAlgID SGD_SM4_ECB, ulBits 256, cbEncryptedPriKey[64] with the
 *   32 octets of ciphertext right-aligned after 32 zero octets (as SKF
 *   client code fills it: SKF_Encrypt(d, 32) into cbEncryptedPriKey +
 *   32), ECCPUBLICKEYBLOB and ECCCIPHERBLOB with 32-octet values
 *   right-aligned in 64-octet fields. ULONGs are 32-bit little-endian,
 *   the layout of x86 drivers built with #pragma pack(1).
 *
 * Opening checks d in [1, n-2] and d*G against the enclosed public key;
 * d, the SM4 key and every temporary holding them live in the secure
 * heap and are cleansed.
 *
 * Not checked here: whether the holder key is the right one for the
 * enclosed key's certificate (the caller compares certificates).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "egca/buf.h"
#include "egca/crypto.h"

#include "crypto_int.h"
#include "sm2_int.h"

#define TAG_BIT_STRING 0x03
#define TAG_NULL 0x05
#define TAG_OID 0x06
#define TAG_SEQUENCE 0x30

#define SGD_SM4_ECB 0x00000401u
#define SKF_VERSION 1u
#define SKF_BITS 256u
#define SM4_KEY_LEN 16

/* SM4-ECB 1.2.156.10197.1.104.1 and the SM4 arc 1.2.156.10197.1.104. */
static const uint8_t oid_sm4_ecb[] = {
    0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x68, 0x01};
static const uint8_t oid_sm4[] = {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x68};
/* The AlgorithmIdentifier written: SM4-ECB, NULL parameters. */
static const uint8_t der_sym_alg[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81, 0x1c,
    0xcf, 0x55, 0x01, 0x68, 0x01, 0x05, 0x00};

/* Secrets of one seal or open, in the secure heap. */
struct secrets {
	uint8_t sm4[SM4_KEY_LEN];
	uint8_t d[32];
};

static struct secrets *
secrets_new(void)
{
	return OPENSSL_secure_zalloc(sizeof(struct secrets));
}

static void
secrets_free(struct secrets *s)
{
	if (s != NULL)
		OPENSSL_secure_clear_free(s, sizeof(*s));
}

static enum egca_err
sym_alg_parse(const uint8_t *v, size_t len)
{
	struct crypto_der r = {v, len};
	const uint8_t *oid, *nv;
	size_t oid_len, nl;

	if (!crypto_der_get(&r, TAG_OID, &oid, &oid_len, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symAlgID: no algorithm OID");
	if (!(oid_len == sizeof(oid_sm4_ecb) &&
	        memcmp(oid, oid_sm4_ecb, oid_len) == 0) &&
	    !(oid_len == sizeof(oid_sm4) && memcmp(oid, oid_sm4, oid_len) == 0))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symAlgID: not SM4-ECB "
		    "(1.2.156.10197.1.104.1)");
	if (r.left != 0 &&
	    (!crypto_der_get(&r, TAG_NULL, &nv, &nl, NULL, NULL) || nl != 0))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symAlgID: parameters must be NULL or "
		    "absent");
	if (r.left != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symAlgID: trailing octets");
	return EGCA_OK;
}

/* A BIT STRING without unused bits, of exactly want octets. */
static enum egca_err
bits_get(
    struct crypto_der *r, size_t want, const uint8_t **p, const char *field)
{
	const uint8_t *v;
	size_t n;

	if (!crypto_der_get(r, TAG_BIT_STRING, &v, &n, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: %s: missing or not a BIT STRING", field);
	if (n == 0 || v[0] != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: %s: BIT STRING with unused bits", field);
	if (n - 1 != want)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: %s: %zu octets, %zu expected", field,
		    n - 1, want);
	*p = v + 1;
	return EGCA_OK;
}

static enum egca_err
pub_check(const uint8_t pub[65], const char *field)
{
	if (pub[0] != 0x04)
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: not an uncompressed point (04||x||y)", field);
	return crypto_sm2_point_check(pub + 1, pub + 33, field);
}

enum egca_err
egca_envelope_parse(const uint8_t *der, size_t len, struct egca_envelope *out)
{
	struct crypto_der r = {der, len}, s;
	const uint8_t *v, *raw, *p;
	size_t n, raw_len;
	char why[256];
	enum egca_err rc;

	memset(out, 0, sizeof(*out));
	if (!crypto_der_get(&r, TAG_SEQUENCE, &s.p, &s.left, NULL, NULL))
		return egca_err_set(
		    EGCA_ERR_INPUT, "SM2EnvelopedKey: not a DER SEQUENCE");
	if (r.left != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: %zu trailing octets", r.left);
	if (!crypto_der_get(&s, TAG_SEQUENCE, &v, &n, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symAlgID: missing or not a SEQUENCE");
	if ((rc = sym_alg_parse(v, n)) != EGCA_OK)
		return rc;
	if (!crypto_der_get(&s, TAG_SEQUENCE, &v, &n, &raw, &raw_len))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symEncryptedKey: missing or not a "
		    "SEQUENCE");
	if ((rc = egca_crypto_sm2_cipher_parse(raw, raw_len, &out->key)) !=
	    EGCA_OK) {
		/* The detail is thread storage: copy before rewriting. */
		snprintf(why, sizeof(why), "%s", egca_err_detail());
		return egca_err_set(
		    rc, "SM2EnvelopedKey: symEncryptedKey: %s", why);
	}
	if (out->key.c2_len != SM4_KEY_LEN)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symEncryptedKey: %zu octets of "
		    "CipherText, an SM4 key has 16",
		    out->key.c2_len);
	if ((rc = bits_get(&s, 65, &p, "sm2PublicKey")) != EGCA_OK)
		return rc;
	memcpy(out->pub, p, 65);
	if ((rc = pub_check(out->pub, "SM2EnvelopedKey: sm2PublicKey")) !=
	    EGCA_OK)
		return rc;
	if ((rc = bits_get(&s, 32, &p, "sm2EncryptedPrivateKey")) != EGCA_OK)
		return rc;
	memcpy(out->priv_enc, p, 32);
	if (s.left != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: unexpected element after "
		    "sm2EncryptedPrivateKey");
	return EGCA_OK;
}

enum egca_err
egca_envelope_encode(
    const struct egca_envelope *env, uint8_t **der, size_t *len)
{
	struct egca_buf body, all;
	uint8_t *key = NULL;
	size_t key_len;
	uint8_t bits[66];
	enum egca_err rc;

	*der = NULL;
	*len = 0;
	egca_buf_init(&body, 4096);
	egca_buf_init(&all, 4096);
	if (env->key.c2_len != SM4_KEY_LEN) {
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "SM2EnvelopedKey: symEncryptedKey must hold 16 octets");
		goto out;
	}
	if ((rc = egca_crypto_sm2_cipher_encode(&env->key, &key, &key_len)) !=
	    EGCA_OK)
		goto out;
	if ((rc = egca_buf_append(&body, der_sym_alg, sizeof(der_sym_alg))) !=
	        EGCA_OK ||
	    (rc = egca_buf_append(&body, key, key_len)) != EGCA_OK)
		goto out;
	bits[0] = 0;
	memcpy(bits + 1, env->pub, 65);
	if ((rc = crypto_der_put(&body, TAG_BIT_STRING, bits, 66)) != EGCA_OK)
		goto out;
	memcpy(bits + 1, env->priv_enc, 32);
	if ((rc = crypto_der_put(&body, TAG_BIT_STRING, bits, 33)) != EGCA_OK ||
	    (rc = crypto_der_put(&all, TAG_SEQUENCE, body.data, body.len)) !=
	        EGCA_OK)
		goto out;
	*der = egca_buf_take(&all, len);
out:
	free(key);
	egca_buf_free(&body);
	egca_buf_free(&all);
	return rc;
}

/* ---------------------------------------------------------------- */
/* SKF ENVELOPEDKEYBLOB                                              */

enum {
	SKF_OFF_VERSION = 0,
	SKF_OFF_ALG = 4,
	SKF_OFF_BITS = 8,
	SKF_OFF_PRIV = 12,        /* cbEncryptedPriKey[64] */
	SKF_OFF_PUB_BITS = 76,    /* PubKey.BitLen */
	SKF_OFF_PUB_X = 80,       /* PubKey.XCoordinate[64] */
	SKF_OFF_PUB_Y = 144,      /* PubKey.YCoordinate[64] */
	SKF_OFF_C1_X = 208,       /* ECCCipherBlob.XCoordinate[64] */
	SKF_OFF_C1_Y = 272,       /* ECCCipherBlob.YCoordinate[64] */
	SKF_OFF_HASH = 336,       /* ECCCipherBlob.HASH[32] */
	SKF_OFF_CIPHER_LEN = 368, /* ECCCipherBlob.CipherLen */
	SKF_OFF_CIPHER = 372,     /* ECCCipherBlob.Cipher[CipherLen] */
};

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A 64-octet field holding a 32-octet value right-aligned. */
static enum egca_err
field64(const uint8_t *p, uint8_t out[32], const char *field)
{
	static const uint8_t zero[32];

	if (memcmp(p, zero, 32) != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: %s: the first 32 of 64 octets must be "
		    "zero (256-bit value, right-aligned)",
		    field);
	memcpy(out, p + 32, 32);
	return EGCA_OK;
}

enum egca_err
egca_envelope_skf_parse(
    const uint8_t *blob, size_t len, struct egca_envelope *out)
{
	uint32_t v;
	enum egca_err rc;

	memset(out, 0, sizeof(*out));
	if (len < SKF_OFF_CIPHER)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: %zu octets, too short for the header",
		    len);
	if ((v = le32(blob + SKF_OFF_VERSION)) != SKF_VERSION)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: Version: %u, must be 1 (or not a "
		    "little-endian blob)",
		    v);
	if ((v = le32(blob + SKF_OFF_ALG)) != SGD_SM4_ECB)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: ulSymmAlgID: 0x%08x, only SGD_SM4_ECB "
		    "(0x00000401)",
		    v);
	if ((v = le32(blob + SKF_OFF_BITS)) != SKF_BITS)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: ulBits: %u, must be 256", v);
	if ((rc = field64(blob + SKF_OFF_PRIV, out->priv_enc,
	         "cbEncryptedPriKey")) != EGCA_OK)
		return rc;
	if ((v = le32(blob + SKF_OFF_PUB_BITS)) != SKF_BITS)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: PubKey.BitLen: %u, must be 256", v);
	out->pub[0] = 0x04;
	if ((rc = field64(blob + SKF_OFF_PUB_X, out->pub + 1,
	         "PubKey.XCoordinate")) != EGCA_OK ||
	    (rc = field64(blob + SKF_OFF_PUB_Y, out->pub + 33,
	         "PubKey.YCoordinate")) != EGCA_OK)
		return rc;
	if ((rc = crypto_sm2_point_check(out->pub + 1, out->pub + 33,
	         "ENVELOPEDKEYBLOB: PubKey")) != EGCA_OK)
		return rc;
	if ((rc = field64(blob + SKF_OFF_C1_X, out->key.x,
	         "ECCCipherBlob.XCoordinate")) != EGCA_OK ||
	    (rc = field64(blob + SKF_OFF_C1_Y, out->key.y,
	         "ECCCipherBlob.YCoordinate")) != EGCA_OK)
		return rc;
	if ((rc = crypto_sm2_point_check(out->key.x, out->key.y,
	         "ENVELOPEDKEYBLOB: ECCCipherBlob C1")) != EGCA_OK)
		return rc;
	memcpy(out->key.hash, blob + SKF_OFF_HASH, 32);
	if ((v = le32(blob + SKF_OFF_CIPHER_LEN)) != SM4_KEY_LEN)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: ECCCipherBlob.CipherLen: %u, an SM4 "
		    "key has 16",
		    v);
	if (len != SKF_OFF_CIPHER + SM4_KEY_LEN)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: %zu octets, %d expected", len,
		    EGCA_ENVELOPE_SKF_LEN);
	out->key.c2 = blob + SKF_OFF_CIPHER;
	out->key.c2_len = SM4_KEY_LEN;
	return EGCA_OK;
}

enum egca_err
egca_envelope_skf_encode(
    const struct egca_envelope *env, uint8_t **blob, size_t *len)
{
	uint8_t *b;

	*blob = NULL;
	*len = 0;
	if (env->key.c2_len != SM4_KEY_LEN)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: the SM2 ciphertext must hold 16 octets");
	if (env->pub[0] != 0x04)
		return egca_err_set(EGCA_ERR_INPUT,
		    "ENVELOPEDKEYBLOB: public key not uncompressed");
	if ((b = calloc(1, EGCA_ENVELOPE_SKF_LEN)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "ENVELOPEDKEYBLOB");
	put_le32(b + SKF_OFF_VERSION, SKF_VERSION);
	put_le32(b + SKF_OFF_ALG, SGD_SM4_ECB);
	put_le32(b + SKF_OFF_BITS, SKF_BITS);
	memcpy(b + SKF_OFF_PRIV + 32, env->priv_enc, 32);
	put_le32(b + SKF_OFF_PUB_BITS, SKF_BITS);
	memcpy(b + SKF_OFF_PUB_X + 32, env->pub + 1, 32);
	memcpy(b + SKF_OFF_PUB_Y + 32, env->pub + 33, 32);
	memcpy(b + SKF_OFF_C1_X + 32, env->key.x, 32);
	memcpy(b + SKF_OFF_C1_Y + 32, env->key.y, 32);
	memcpy(b + SKF_OFF_HASH, env->key.hash, 32);
	put_le32(b + SKF_OFF_CIPHER_LEN, SM4_KEY_LEN);
	memcpy(b + SKF_OFF_CIPHER, env->key.c2, SM4_KEY_LEN);
	*blob = b;
	*len = EGCA_ENVELOPE_SKF_LEN;
	return EGCA_OK;
}

/* ---------------------------------------------------------------- */
/* Seal and open                                                     */

/* SM4-ECB without padding over 32 octets. */
static enum egca_err
sm4_ecb(const uint8_t key[SM4_KEY_LEN], const uint8_t in[32], uint8_t out[32],
    int enc)
{
	EVP_CIPHER_CTX *c;
	int n1 = 0, n2 = 0, ok;

	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return egca_err_ossl(EGCA_ERR_NOMEM, "SM4");
	ok = EVP_CipherInit_ex(c, EVP_sm4_ecb(), NULL, key, NULL, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_CipherUpdate(c, out, &n1, in, 32) == 1 &&
	    EVP_CipherFinal_ex(c, out + n1, &n2) == 1 && n1 + n2 == 32;
	EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
	if (!ok) {
		OPENSSL_cleanse(out, 32);
		return egca_err_ossl(EGCA_ERR_CRYPTO, "SM4-ECB");
	}
	return EGCA_OK;
}

/*
 * d in [1, n-2] (GM/T 0003.1 6.1) and d*G = pub (04||x||y). The
 * multiplication by the generator is OpenSSL's constant-time ladder.
 */
static enum egca_err
pair_check(const BIGNUM *d, const uint8_t pub[65])
{
	EC_GROUP *g = NULL;
	EC_POINT *q = NULL;
	BN_CTX *bn = NULL;
	BIGNUM *nm1;
	uint8_t got[65];
	enum egca_err rc;

	if ((g = EC_GROUP_new_by_curve_name(NID_sm2)) == NULL ||
	    (q = EC_POINT_new(g)) == NULL ||
	    (bn = BN_CTX_secure_new()) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "SM2 curve");
		goto out;
	}
	BN_CTX_start(bn);
	if ((nm1 = BN_CTX_get(bn)) == NULL ||
	    BN_copy(nm1, EC_GROUP_get0_order(g)) == NULL ||
	    BN_sub_word(nm1, 1) != 1) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "SM2 curve");
		goto out;
	}
	if (BN_is_zero(d) || BN_cmp(d, nm1) >= 0) {
		rc = egca_err_set(EGCA_ERR_INTEGRITY,
		    "enveloped key: the decrypted private key is out of "
		    "range (altered envelope?)");
		goto out;
	}
	if (EC_POINT_mul(g, q, d, NULL, NULL, bn) != 1 ||
	    EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, got,
	        sizeof(got), bn) != sizeof(got)) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "SM2 d*G");
		goto out;
	}
	if (memcmp(got, pub, sizeof(got)) != 0) {
		rc = egca_err_set(EGCA_ERR_INTEGRITY,
		    "enveloped key: the private key does not match "
		    "sm2PublicKey (altered envelope?)");
		goto out;
	}
	rc = EGCA_OK;
out:
	if (bn != NULL)
		BN_CTX_end(bn);
	BN_CTX_free(bn);
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return rc;
}

/* An "SM2" key pair from d and 04||x||y. */
static enum egca_err
key_from(const BIGNUM *d, const uint8_t pub[65], EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	enum egca_err rc;

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(
	        bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(
	        bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) != 1) {
		rc = egca_err_ossl(
		    EGCA_ERR_CRYPTO, "cannot build the enveloped SM2 key");
		goto out;
	}
	rc = EGCA_OK;
out:
	/* A secure BIGNUM went into the secure heap; freeing clears it. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

enum egca_err
egca_envelope_open_parsed(const EVP_PKEY *holder_sign_priv,
    const struct egca_envelope *env, EVP_PKEY **enc_keypair)
{
	struct secrets *sec = NULL;
	BIGNUM *d = NULL;
	size_t n;
	char why[256];
	enum egca_err rc;

	*enc_keypair = NULL;
	if (env->key.c2_len != SM4_KEY_LEN) {
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "enveloped key: symEncryptedKey must hold 16 octets");
		goto out;
	}
	if ((sec = secrets_new()) == NULL || (d = BN_secure_new()) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_NOMEM, "enveloped key");
		goto out;
	}
	if ((rc = egca_crypto_sm2_decrypt_cipher(holder_sign_priv, &env->key,
	         sec->sm4, sizeof(sec->sm4), &n)) != EGCA_OK) {
		if (rc != EGCA_ERR_AUTH && rc != EGCA_ERR_INPUT)
			goto out;
		snprintf(why, sizeof(why), "%s", egca_err_detail());
		rc =
		    egca_err_set(rc, "enveloped key: symEncryptedKey: %s", why);
		goto out;
	}
	if ((rc = sm4_ecb(sec->sm4, env->priv_enc, sec->d, 0)) != EGCA_OK)
		goto out;
	if (BN_bin2bn(sec->d, 32, d) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "enveloped key");
		goto out;
	}
	if ((rc = pair_check(d, env->pub)) != EGCA_OK)
		goto out;
	rc = key_from(d, env->pub, enc_keypair);
out:
	BN_clear_free(d);
	secrets_free(sec);
	return rc;
}

enum egca_err
egca_envelope_open(const EVP_PKEY *holder_sign_priv, const uint8_t *der,
    size_t der_len, EVP_PKEY **enc_keypair)
{
	struct egca_envelope env;
	enum egca_err rc;

	*enc_keypair = NULL;
	if ((rc = egca_envelope_parse(der, der_len, &env)) != EGCA_OK)
		return rc;
	return egca_envelope_open_parsed(holder_sign_priv, &env, enc_keypair);
}

/* d (32 octets, big-endian) and 04||x||y of an SM2 key pair. */
static enum egca_err
key_parts(const EVP_PKEY *k, uint8_t d_out[32], uint8_t pub[65])
{
	BIGNUM *d = NULL, *x = NULL, *y = NULL;
	enum egca_err rc;

	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
		ERR_clear_error();
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "key to envelope: no private key (a key pair is needed)");
		goto out;
	}
	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
	    BN_bn2binpad(d, d_out, 32) != 32 ||
	    BN_bn2binpad(x, pub + 1, 32) != 32 ||
	    BN_bn2binpad(y, pub + 33, 32) != 32) {
		rc = egca_err_ossl(
		    EGCA_ERR_CRYPTO, "key to envelope: cannot read the key");
		goto out;
	}
	pub[0] = 0x04;
	rc = pair_check(d, pub);
out:
	if (rc != EGCA_OK)
		OPENSSL_cleanse(d_out, 32);
	BN_clear_free(d);
	BN_free(x);
	BN_free(y);
	return rc;
}

enum egca_err
egca_envelope_seal(const EVP_PKEY *holder_sign_pub, const EVP_PKEY *enc_keypair,
    uint8_t **der, size_t *der_len)
{
	struct egca_envelope env;
	struct secrets *sec = NULL;
	uint8_t *key_der = NULL;
	size_t key_len;
	enum egca_err rc;

	*der = NULL;
	*der_len = 0;
	memset(&env, 0, sizeof(env));
	if (crypto_key_class(holder_sign_pub) != EGCA_KEY_SM2) {
		rc = egca_err_set(
		    EGCA_ERR_INPUT, "holder signing key: not an SM2 key");
		goto out;
	}
	if (crypto_key_class(enc_keypair) != EGCA_KEY_SM2) {
		rc = egca_err_set(
		    EGCA_ERR_INPUT, "key to envelope: not an SM2 key");
		goto out;
	}
	if ((sec = secrets_new()) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_NOMEM, "enveloped key");
		goto out;
	}
	if ((rc = key_parts(enc_keypair, sec->d, env.pub)) != EGCA_OK ||
	    (rc = egca_crypto_rand(sec->sm4, sizeof(sec->sm4))) != EGCA_OK ||
	    (rc = sm4_ecb(sec->sm4, sec->d, env.priv_enc, 1)) != EGCA_OK ||
	    (rc = egca_crypto_sm2_encrypt(holder_sign_pub, sec->sm4,
	         sizeof(sec->sm4), &key_der, &key_len)) != EGCA_OK ||
	    (rc = egca_crypto_sm2_cipher_parse(key_der, key_len, &env.key)) !=
	        EGCA_OK)
		goto out;
	rc = egca_envelope_encode(&env, der, der_len);
out:
	free(key_der);
	secrets_free(sec);
	return rc;
}
