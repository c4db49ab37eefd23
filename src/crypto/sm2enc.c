/*
 * SM2 public-key encryption (GM/T 0003.4 with SM3) and the GM/T 0009
 * SM2Cipher DER form, C1C3C2: SEQUENCE { x INTEGER, y INTEGER, hash
 * OCTET STRING (32), ciphertext OCTET STRING }. OpenSSL 3's SM2
 * asymmetric cipher reads and writes exactly this form.
 *
 * OpenSSL gets to see only what egca's own parser accepted, re-encoded
 * canonically: OpenSSL 1.1.1 before 1.1.1l computed the plaintext size
 * from the ciphertext length and the field size and was off for large
 * coordinates (CVE-2021-3711), and its d2i accepts BER and ignores
 * trailing bytes. Here the coordinates are at most 32 octets of
 * magnitude, the plaintext length is the CipherText length as parsed,
 * and OpenSSL's answer must equal it.
 *
 * Not checked here: what the plaintext means (envelope.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "egca/buf.h"
#include "egca/crypto.h"

#include "crypto_int.h"
#include "sm2_int.h"

#define TAG_INTEGER 0x02
#define TAG_OCTET_STRING 0x04
#define TAG_SEQUENCE 0x30

int
crypto_der_get(struct crypto_der *r, uint8_t tag, const uint8_t **val,
    size_t *len, const uint8_t **raw, size_t *raw_len)
{
	const uint8_t *start = r->p;
	size_t n, hdr, i, nlen;

	if (r->left < 2 || r->p[0] != tag)
		return 0;
	n = r->p[1];
	hdr = 2;
	if (n & 0x80) {
		nlen = n & 0x7f;
		/* No indefinite length (0x80), at most 3 length octets. */
		if (nlen == 0 || nlen > 3 || r->left < 2 + nlen)
			return 0;
		/* Minimal: no leading zero octet, long form only from 128. */
		if (r->p[2] == 0)
			return 0;
		for (n = 0, i = 0; i < nlen; i++)
			n = (n << 8) | r->p[2 + i];
		if (n < 0x80)
			return 0;
		hdr += nlen;
	}
	if (n > CRYPTO_DER_MAX || n > r->left - hdr)
		return 0;
	*val = r->p + hdr;
	*len = n;
	r->p += hdr + n;
	r->left -= hdr + n;
	if (raw != NULL) {
		*raw = start;
		*raw_len = hdr + n;
	}
	return 1;
}

enum egca_err
crypto_der_put_hdr(struct egca_buf *b, uint8_t tag, size_t len)
{
	uint8_t h[5];
	size_t n = 0;

	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else if (len < 0x100) {
		h[n++] = 0x81;
		h[n++] = (uint8_t)len;
	} else if (len < 0x10000) {
		h[n++] = 0x82;
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else if (len <= CRYPTO_DER_MAX) {
		h[n++] = 0x83;
		h[n++] = (uint8_t)(len >> 16);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		return egca_err_set(EGCA_ERR_INTERNAL, "DER: value too long");
	}
	return egca_buf_append(b, h, n);
}

enum egca_err
crypto_der_put(struct egca_buf *b, uint8_t tag, const void *val, size_t len)
{
	enum egca_err rc;

	if ((rc = crypto_der_put_hdr(b, tag, len)) != EGCA_OK)
		return rc;
	return egca_buf_append(b, val, len);
}

enum egca_err
crypto_sm2_point_check(
    const uint8_t x[32], const uint8_t y[32], const char *field)
{
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	BN_CTX *bn = NULL;
	BIGNUM *p, *bx, *by;
	enum egca_err rc;

	if ((g = EC_GROUP_new_by_curve_name(NID_sm2)) == NULL ||
	    (pt = EC_POINT_new(g)) == NULL || (bn = BN_CTX_new()) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "SM2 curve");
		goto out;
	}
	BN_CTX_start(bn);
	p = BN_CTX_get(bn);
	bx = BN_CTX_get(bn);
	if ((by = BN_CTX_get(bn)) == NULL ||
	    EC_GROUP_get_curve(g, p, NULL, NULL, bn) != 1 ||
	    BN_bin2bn(x, 32, bx) == NULL || BN_bin2bn(y, 32, by) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "SM2 curve");
		goto out;
	}
	/* set_affine_coordinates would reduce x + p silently. */
	if (BN_cmp(bx, p) >= 0 || BN_cmp(by, p) >= 0) {
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "%s: coordinate not below the field prime", field);
		goto out;
	}
	if (EC_POINT_set_affine_coordinates(g, pt, bx, by, bn) != 1 ||
	    EC_POINT_is_on_curve(g, pt, bn) != 1) {
		ERR_clear_error();
		rc = egca_err_set(
		    EGCA_ERR_INPUT, "%s: point not on the SM2 curve", field);
		goto out;
	}
	rc = EGCA_OK;
out:
	if (bn != NULL)
		BN_CTX_end(bn);
	BN_CTX_free(bn);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return rc;
}

enum egca_err
crypto_sm2_key_get(
    const EVP_PKEY *pkey, const char *what, EVP_PKEY **out, int *owned)
{
	enum egca_err rc;

	*out = NULL;
	*owned = 0;
	if (crypto_key_class(pkey) != EGCA_KEY_SM2)
		return egca_err_set(EGCA_ERR_INPUT, "%s: not an SM2 key", what);
	if (EVP_PKEY_is_a(pkey, "SM2")) {
		*out = crypto_unconst(pkey);
		return EGCA_OK;
	}
	if ((rc = crypto_sm2_copy(pkey, out)) != EGCA_OK)
		return rc;
	*owned = 1;
	return EGCA_OK;
}

/*
 * An INTEGER's contents as a 32-octet coordinate: minimal, not
 * negative, at most 32 octets of magnitude (a 33rd leading zero only
 * when the next octet has its top bit set).
 */
static enum egca_err
coord(const uint8_t *v, size_t len, uint8_t out[32], const char *field)
{
	if (len == 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "SM2Cipher: %s: empty INTEGER", field);
	if (v[0] & 0x80)
		return egca_err_set(
		    EGCA_ERR_INPUT, "SM2Cipher: %s: negative INTEGER", field);
	if (len > 1 && v[0] == 0 && !(v[1] & 0x80))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: %s: INTEGER not minimally encoded", field);
	if (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	if (len > 32)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: %s: more than 32 octets (%zu)", field, len);
	memset(out, 0, 32 - len);
	memcpy(out + 32 - len, v, len);
	return EGCA_OK;
}

enum egca_err
egca_crypto_sm2_cipher_parse(
    const uint8_t *der, size_t len, struct egca_sm2_cipher *out)
{
	struct crypto_der r = {der, len}, s;
	const uint8_t *v;
	size_t n;
	enum egca_err rc;

	memset(out, 0, sizeof(*out));
	if (!crypto_der_get(&r, TAG_SEQUENCE, &s.p, &s.left, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: not a DER SEQUENCE (or too long)");
	if (r.left != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "SM2Cipher: %zu trailing octets", r.left);
	if (!crypto_der_get(&s, TAG_INTEGER, &v, &n, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: XCoordinate: missing or not an INTEGER");
	if ((rc = coord(v, n, out->x, "XCoordinate")) != EGCA_OK)
		return rc;
	if (!crypto_der_get(&s, TAG_INTEGER, &v, &n, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: YCoordinate: missing or not an INTEGER");
	if ((rc = coord(v, n, out->y, "YCoordinate")) != EGCA_OK)
		return rc;
	if (!crypto_der_get(&s, TAG_OCTET_STRING, &v, &n, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: HASH: missing or not an OCTET STRING");
	if (n != 32)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: HASH: %zu octets, SM3 needs 32", n);
	memcpy(out->hash, v, 32);
	if (!crypto_der_get(
	        &s, TAG_OCTET_STRING, &out->c2, &out->c2_len, NULL, NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: CipherText: missing or not an OCTET STRING");
	if (out->c2_len == 0 || out->c2_len > EGCA_SM2_PLAIN_MAX)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: CipherText: %zu octets (1 to %zu)", out->c2_len,
		    EGCA_SM2_PLAIN_MAX);
	if (s.left != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: unexpected element after CipherText");
	return crypto_sm2_point_check(out->x, out->y, "SM2Cipher: C1");
}

/* A minimal positive INTEGER from 32 big-endian octets. */
static enum egca_err
put_coord(struct egca_buf *b, const uint8_t v[32])
{
	uint8_t tmp[33];
	size_t i = 0, n;

	while (i < 31 && v[i] == 0)
		i++;
	n = 0;
	if (v[i] & 0x80)
		tmp[n++] = 0;
	memcpy(tmp + n, v + i, 32 - i);
	n += 32 - i;
	return crypto_der_put(b, TAG_INTEGER, tmp, n);
}

enum egca_err
egca_crypto_sm2_cipher_encode(
    const struct egca_sm2_cipher *c, uint8_t **der, size_t *len)
{
	struct egca_buf body, all;
	enum egca_err rc;

	*der = NULL;
	*len = 0;
	if (c->c2_len == 0 || c->c2_len > EGCA_SM2_PLAIN_MAX)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: CipherText: %zu octets (1 to %zu)", c->c2_len,
		    EGCA_SM2_PLAIN_MAX);
	egca_buf_init(&body, EGCA_SM2_PLAIN_MAX + 256);
	egca_buf_init(&all, EGCA_SM2_PLAIN_MAX + 256);
	if ((rc = put_coord(&body, c->x)) != EGCA_OK ||
	    (rc = put_coord(&body, c->y)) != EGCA_OK ||
	    (rc = crypto_der_put(&body, TAG_OCTET_STRING, c->hash, 32)) !=
	        EGCA_OK ||
	    (rc = crypto_der_put(&body, TAG_OCTET_STRING, c->c2, c->c2_len)) !=
	        EGCA_OK ||
	    (rc = crypto_der_put(&all, TAG_SEQUENCE, body.data, body.len)) !=
	        EGCA_OK)
		goto out;
	*der = egca_buf_take(&all, len);
out:
	egca_buf_free(&body);
	egca_buf_free(&all);
	return rc;
}

/* A context for SM2 encryption or decryption with SM3. */
static enum egca_err
sm2_ctx(EVP_PKEY *key, int decrypt, EVP_PKEY_CTX **out)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;
	char md[] = "SM3";

	*out = NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_ASYM_CIPHER_PARAM_DIGEST, md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    (decrypt ? EVP_PKEY_decrypt_init(ctx)
	             : EVP_PKEY_encrypt_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_params(ctx, params) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return egca_err_ossl(EGCA_ERR_CRYPTO, "SM2 %s setup",
		    decrypt ? "decryption" : "encryption");
	}
	*out = ctx;
	return EGCA_OK;
}

enum egca_err
egca_crypto_sm2_encrypt(const EVP_PKEY *pub, const uint8_t *in, size_t in_len,
    uint8_t **der, size_t *der_len)
{
	struct egca_sm2_cipher c;
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	size_t n;
	int owned = 0;
	enum egca_err rc;

	*der = NULL;
	*der_len = 0;
	if (in_len == 0 || in_len > EGCA_SM2_PLAIN_MAX)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2 encryption: %zu octets of plaintext (1 to %zu)",
		    in_len, EGCA_SM2_PLAIN_MAX);
	if ((rc = crypto_sm2_key_get(
	         pub, "SM2 encryption key", &key, &owned)) != EGCA_OK)
		goto out;
	if ((rc = egca_crypto_key_check(key, NULL, NULL)) != EGCA_OK)
		goto out;
	if ((rc = sm2_ctx(key, 0, &ctx)) != EGCA_OK)
		goto out;
	if (EVP_PKEY_encrypt(ctx, NULL, &n, in, in_len) != 1 ||
	    (buf = malloc(n)) == NULL ||
	    EVP_PKEY_encrypt(ctx, buf, &n, in, in_len) != 1) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "SM2 encryption");
		goto out;
	}
	/* OpenSSL's output must be what egca itself accepts. */
	if ((rc = egca_crypto_sm2_cipher_parse(buf, n, &c)) != EGCA_OK ||
	    c.c2_len != in_len) {
		rc = egca_err_set(EGCA_ERR_INTERNAL,
		    "SM2 encryption: OpenSSL wrote an SM2Cipher egca refuses");
		goto out;
	}
	*der = buf;
	*der_len = n;
	buf = NULL;
	rc = EGCA_OK;
out:
	free(buf);
	EVP_PKEY_CTX_free(ctx);
	if (owned)
		EVP_PKEY_free(key);
	return rc;
}

enum egca_err
egca_crypto_sm2_decrypt_cipher(const EVP_PKEY *priv,
    const struct egca_sm2_cipher *c, uint8_t *out, size_t out_max,
    size_t *out_len)
{
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *der = NULL;
	size_t der_len, n;
	int owned = 0;
	enum egca_err rc;

	*out_len = 0;
	if (c->c2_len > out_max)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SM2Cipher: CipherText: %zu octets, at most %zu expected",
		    c->c2_len, out_max);
	if ((rc = crypto_sm2_key_get(
	         priv, "SM2 decryption key", &key, &owned)) != EGCA_OK)
		goto out;
	if ((rc = egca_crypto_sm2_cipher_encode(c, &der, &der_len)) != EGCA_OK)
		goto out;
	if ((rc = sm2_ctx(key, 1, &ctx)) != EGCA_OK)
		goto out;
	/* The buffer size OpenSSL gets is the parsed C2 length. */
	n = c->c2_len;
	if (EVP_PKEY_decrypt(ctx, out, &n, der, der_len) != 1) {
		ERR_clear_error();
		rc = egca_err_set(EGCA_ERR_AUTH,
		    "SM2Cipher: cannot be decrypted with this key (wrong key, "
		    "or the ciphertext was altered)");
		goto out;
	}
	if (n != c->c2_len) {
		rc = egca_err_set(EGCA_ERR_INTERNAL,
		    "SM2 decryption: %zu octets from %zu of CipherText", n,
		    c->c2_len);
		goto out;
	}
	*out_len = n;
	rc = EGCA_OK;
out:
	if (rc != EGCA_OK && out != NULL)
		OPENSSL_cleanse(out, c->c2_len < out_max ? c->c2_len : out_max);
	free(der);
	EVP_PKEY_CTX_free(ctx);
	if (owned)
		EVP_PKEY_free(key);
	return rc;
}

enum egca_err
egca_crypto_sm2_decrypt(const EVP_PKEY *priv, const uint8_t *der,
    size_t der_len, uint8_t *out, size_t out_max, size_t *out_len)
{
	struct egca_sm2_cipher c;
	enum egca_err rc;

	*out_len = 0;
	if ((rc = egca_crypto_sm2_cipher_parse(der, der_len, &c)) != EGCA_OK)
		return rc;
	return egca_crypto_sm2_decrypt_cipher(priv, &c, out, out_max, out_len);
}
