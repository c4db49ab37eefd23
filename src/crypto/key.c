/*
 * Keys: algorithm names, generation, the key policy, SubjectPublicKeyInfo
 * and encrypted key files.
 *
 * SM2 keys come in two OpenSSL 3.0 shapes: typed "SM2" (generated, or
 * decoded from DER, where the 3.0 decoders pick SM2 for the SM2 curve)
 * and typed "EC" with group "SM2" (built from parameters). Both are
 * EGCA_KEY_SM2 here; the signing paths retype the second kind because
 * OpenSSL would otherwise compute ECDSA on the SM2 curve.
 *
 * Not checked here: what a key is used for (signer.c), or whether a
 * public key was seen before (pki/, store/).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "egca/crypto.h"
#include "egca/file.h"

#include "crypto_int.h"

/* Largest RSA key accepted: bounds the cost of a hostile CSR. */
#define RSA_MAX_BITS 16384
/* Largest encrypted key file read. */
#define KEY_FILE_MAX ((size_t)64 << 10)

/*
 * scrypt for key files. OpenSSL 3.0 caps scrypt memory for PBES2 at
 * 32 MiB (p5_scrypt.c SCRYPT_MAX_MEM), both when writing and when
 * reading, and N=2^15 with r=8 needs just over that: such a file could
 * not be read by `openssl pkey`. N=2^14, r=8, p=2 costs the same work
 * as N=2^15, r=8, p=1 in 16 MiB.
 */
#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 2

static const struct {
	const char *name;
	enum egca_key_alg alg;
	int bits;
} alg_names[] = {
    {"sm2", EGCA_KEY_SM2, 256},
    {"ecdsa-p256", EGCA_KEY_P256, 256},
    {"rsa-2048", EGCA_KEY_RSA, 2048},
    {"rsa-3072", EGCA_KEY_RSA, 3072},
    {"rsa-4096", EGCA_KEY_RSA, 4096},
};

enum egca_err
egca_crypto_key_alg_parse(const char *s, enum egca_key_alg *alg, int *bits)
{
	size_t i;

	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
		if (strcmp(s, alg_names[i].name) == 0) {
			*alg = alg_names[i].alg;
			*bits = alg_names[i].bits;
			return EGCA_OK;
		}
	}
	*alg = EGCA_KEY_NONE;
	*bits = 0;
	return egca_err_set(EGCA_ERR_USAGE,
	    "unknown key algorithm \"%s\" (sm2, ecdsa-p256, rsa-2048, "
	    "rsa-3072, rsa-4096)",
	    s);
}

const char *
egca_crypto_key_alg_name(enum egca_key_alg alg)
{
	switch (alg) {
	case EGCA_KEY_SM2:
		return "sm2";
	case EGCA_KEY_P256:
		return "ecdsa-p256";
	case EGCA_KEY_P384:
		return "ecdsa-p384";
	case EGCA_KEY_RSA:
		return "rsa";
	case EGCA_KEY_NONE:
		break;
	}
	return "none";
}

static enum egca_key_alg
curve_class(const char *group)
{
	if (strcasecmp(group, "SM2") == 0)
		return EGCA_KEY_SM2;
	if (strcasecmp(group, "prime256v1") == 0 ||
	    strcasecmp(group, "P-256") == 0)
		return EGCA_KEY_P256;
	if (strcasecmp(group, "secp384r1") == 0 ||
	    strcasecmp(group, "P-384") == 0)
		return EGCA_KEY_P384;
	return EGCA_KEY_NONE;
}

enum egca_key_alg
crypto_key_class(const EVP_PKEY *pkey)
{
	char group[64];
	size_t n;

	if (pkey == NULL)
		return EGCA_KEY_NONE;
	if (EVP_PKEY_is_a(pkey, "SM2"))
		return EGCA_KEY_SM2;
	if (EVP_PKEY_is_a(pkey, "RSA"))
		return EGCA_KEY_RSA;
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return EGCA_KEY_NONE;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	        group, sizeof(group), &n) != 1) {
		ERR_clear_error();
		return EGCA_KEY_NONE;
	}
	return curve_class(group);
}

enum egca_err
crypto_sm2_copy(const EVP_PKEY *in, EVP_PKEY **out)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *priv = NULL;
	int sel;
	enum egca_err rc;

	*out = NULL;
	sel = EVP_PKEY_PUBLIC_KEY;
	if (EVP_PKEY_get_bn_param(in, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1)
		sel = EVP_PKEY_KEYPAIR;
	ERR_clear_error();
	BN_clear_free(priv);
	if (EVP_PKEY_todata(in, sel, &params) != 1 ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, sel, params) != 1) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO,
		    "cannot convert an EC key on the SM2 curve to SM2");
		goto out;
	}
	rc = EGCA_OK;
out:
	/* OSSL_PARAM_BLD put the private scalar in the secure heap, and
	 * OSSL_PARAM_free clears it there. */
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

enum egca_err
crypto_sm2_retype(EVP_PKEY **pkey)
{
	EVP_PKEY *sm2;
	enum egca_err rc;

	if (EVP_PKEY_is_a(*pkey, "SM2") ||
	    crypto_key_class(*pkey) != EGCA_KEY_SM2)
		return EGCA_OK;
	if ((rc = crypto_sm2_copy(*pkey, &sm2)) != EGCA_OK)
		return rc;
	EVP_PKEY_free(*pkey);
	*pkey = sm2;
	return EGCA_OK;
}

enum egca_err
crypto_key_loaded(EVP_PKEY **pkey, const char *path)
{
	char why[256];
	enum egca_err rc;

	if ((rc = crypto_sm2_retype(pkey)) != EGCA_OK)
		return rc;
	if ((rc = egca_crypto_key_check(*pkey, NULL, NULL)) != EGCA_OK) {
		snprintf(why, sizeof(why), "%s", egca_err_detail());
		return egca_err_set(rc, "%s: %s", path, why);
	}
	return EGCA_OK;
}

enum egca_err
egca_crypto_key_generate(enum egca_key_alg alg, int bits, EVP_PKEY **out)
{
	EVP_PKEY *k = NULL;

	*out = NULL;
	switch (alg) {
	case EGCA_KEY_SM2:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
		break;
	case EGCA_KEY_P256:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case EGCA_KEY_P384:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case EGCA_KEY_RSA:
		if (bits < 2048 || bits > RSA_MAX_BITS)
			return egca_err_set(EGCA_ERR_POLICY,
			    "RSA keys of %d bits are not allowed "
			    "(2048 to %d)",
			    bits, RSA_MAX_BITS);
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		break;
	case EGCA_KEY_NONE:
		return egca_err_set(EGCA_ERR_USAGE, "no key algorithm");
	}
	if (k == NULL)
		return egca_err_ossl(EGCA_ERR_CRYPTO,
		    "%s key generation failed", egca_crypto_key_alg_name(alg));
	*out = k;
	return EGCA_OK;
}

static enum egca_err
check_rsa(const EVP_PKEY *pkey, int *bits)
{
	BIGNUM *e = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	enum egca_err rc;

	*bits = EVP_PKEY_get_bits(pkey);
	if (*bits < 2048) {
		rc = egca_err_set(EGCA_ERR_POLICY,
		    "RSA key of %d bits: at least 2048 bits required", *bits);
		goto out;
	}
	if (*bits > RSA_MAX_BITS) {
		rc = egca_err_set(EGCA_ERR_POLICY,
		    "RSA key of %d bits: at most %d bits accepted", *bits,
		    RSA_MAX_BITS);
		goto out;
	}
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		rc = egca_err_ossl(EGCA_ERR_INPUT, "RSA key without exponent");
		goto out;
	}
	if (!BN_is_odd(e) || BN_num_bits(e) < 17) {
		/* 65537 = 2^16 + 1 is the smallest 17-bit odd number. */
		rc = egca_err_set(EGCA_ERR_POLICY,
		    "RSA public exponent must be odd and at least 65537");
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(
	         NULL, crypto_unconst(pkey), NULL)) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "EVP_PKEY_CTX_new");
		goto out;
	}
	if (EVP_PKEY_public_check(ctx) != 1) {
		rc =
		    egca_err_ossl(EGCA_ERR_POLICY, "RSA public key is invalid");
		goto out;
	}
	rc = EGCA_OK;
out:
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static enum egca_err
check_ec(const EVP_PKEY *pkey, enum egca_key_alg *alg, int *bits)
{
	EVP_PKEY_CTX *ctx = NULL;
	char group[64], enc[32];
	size_t n;
	enum egca_err rc;

	/*
	 * OpenSSL 3.0 maps explicit parameters that match a built-in
	 * curve to that curve's name but remembers the encoding: check
	 * both.
	 */
	if (EVP_PKEY_get_utf8_string_param(
	        pkey, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc), &n) == 1 &&
	    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0) {
		rc = egca_err_set(EGCA_ERR_POLICY,
		    "explicit curve parameters are not allowed");
		goto out;
	}
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	        group, sizeof(group), &n) != 1) {
		ERR_clear_error();
		rc = egca_err_set(EGCA_ERR_POLICY,
		    "explicit curve parameters are not allowed");
		goto out;
	}
	if ((*alg = curve_class(group)) == EGCA_KEY_NONE) {
		rc = egca_err_set(EGCA_ERR_POLICY,
		    "EC curve %s is not allowed (SM2, P-256, P-384 only)",
		    group);
		goto out;
	}
	*bits = EVP_PKEY_get_bits(pkey);
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(
	         NULL, crypto_unconst(pkey), NULL)) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "EVP_PKEY_CTX_new");
		goto out;
	}
	/*
	 * The quick check (point in range, on the curve, not at
	 * infinity) is the full check for SM2, P-256 and P-384, whose
	 * cofactor is 1; it saves the n*Q multiplication per CSR.
	 */
	if (EVP_PKEY_public_check_quick(ctx) != 1) {
		rc = egca_err_ossl(EGCA_ERR_POLICY,
		    "EC public key: point not on the %s curve", group);
		goto out;
	}
	rc = EGCA_OK;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

enum egca_err
egca_crypto_key_check(const EVP_PKEY *pkey, enum egca_key_alg *alg, int *bits)
{
	enum egca_key_alg a = EGCA_KEY_NONE;
	int b = 0;
	enum egca_err rc;

	if (pkey == NULL) {
		rc = egca_err_set(EGCA_ERR_INPUT, "no key");
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		a = EGCA_KEY_RSA;
		rc = check_rsa(pkey, &b);
	} else if (EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_is_a(pkey, "SM2")) {
		rc = check_ec(pkey, &a, &b);
	} else {
		rc = egca_err_set(EGCA_ERR_POLICY,
		    "key type %s is not allowed (SM2, EC, RSA only)",
		    EVP_PKEY_get0_type_name(pkey) != NULL
		        ? EVP_PKEY_get0_type_name(pkey)
		        : "?");
	}
	if (rc != EGCA_OK) {
		a = EGCA_KEY_NONE;
		b = 0;
	}
	if (alg != NULL)
		*alg = a;
	if (bits != NULL)
		*bits = b;
	return rc;
}

enum egca_err
egca_crypto_spki_decode(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	EVP_PKEY *k;
	enum egca_err rc;

	*out = NULL;
	if (len > KEY_FILE_MAX)
		return egca_err_set(EGCA_ERR_INPUT,
		    "SubjectPublicKeyInfo: longer than %zu bytes",
		    KEY_FILE_MAX);
	if ((k = d2i_PUBKEY(NULL, &p, (long)len)) == NULL)
		return egca_err_ossl(EGCA_ERR_INPUT,
		    "SubjectPublicKeyInfo: malformed or unsupported key");
	if ((size_t)(p - der) != len) {
		EVP_PKEY_free(k);
		return egca_err_set(
		    EGCA_ERR_INPUT, "SubjectPublicKeyInfo: trailing bytes");
	}
	if ((rc = crypto_sm2_retype(&k)) != EGCA_OK) {
		EVP_PKEY_free(k);
		return rc;
	}
	*out = k;
	return EGCA_OK;
}

enum egca_err
egca_crypto_spki_encode(const EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	unsigned char *buf, *p;
	int n;

	*der = NULL;
	*len = 0;
	if ((n = i2d_PUBKEY(pkey, NULL)) <= 0)
		return egca_err_ossl(
		    EGCA_ERR_CRYPTO, "cannot encode SubjectPublicKeyInfo");
	/* malloc, not OPENSSL_malloc: the caller frees with free(). */
	if ((buf = malloc((size_t)n)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "SubjectPublicKeyInfo");
	p = buf;
	if (i2d_PUBKEY(pkey, &p) != n) {
		free(buf);
		return egca_err_ossl(
		    EGCA_ERR_CRYPTO, "cannot encode SubjectPublicKeyInfo");
	}
	*der = buf;
	*len = (size_t)n;
	return EGCA_OK;
}

int
egca_crypto_key_public_equal(const EVP_PKEY *a, const EVP_PKEY *b)
{
	uint8_t *da = NULL, *db = NULL;
	size_t la, lb;
	int r;

	if (a == NULL || b == NULL)
		return 0;
	if ((r = EVP_PKEY_eq(a, b)) >= 0) {
		ERR_clear_error();
		return r == 1;
	}
	/*
	 * -1/-2: different key types, which for an "SM2" and an "EC" key
	 * on the SM2 curve can still be the same key. Their SPKI
	 * encodings are identical then.
	 */
	ERR_clear_error();
	r = 0;
	if (egca_crypto_spki_encode(a, &da, &la) == EGCA_OK &&
	    egca_crypto_spki_encode(b, &db, &lb) == EGCA_OK)
		r = la == lb && memcmp(da, db, la) == 0;
	free(da);
	free(db);
	return r;
}

enum egca_err
egca_crypto_key_save(
    const EVP_PKEY *key, const char *path, const char *pass, size_t pass_len)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *enc = NULL;
	BIO *bio = NULL;
	char *pem;
	long pem_len;
	enum egca_err rc;

	if (pass_len == 0 || pass_len > INT_MAX) {
		rc = egca_err_set(EGCA_ERR_USAGE, "%s: empty passphrase", path);
		goto out;
	}
	if ((p8 = EVP_PKEY2PKCS8(key)) == NULL) {
		rc = egca_err_ossl(
		    EGCA_ERR_CRYPTO, "%s: cannot encode the private key", path);
		goto out;
	}
	/* NULL salt and IV: OpenSSL draws them from its CSPRNG. */
	if ((pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 16, NULL,
	         SCRYPT_N, SCRYPT_R, SCRYPT_P)) == NULL) {
		rc = egca_err_ossl(
		    EGCA_ERR_CRYPTO, "%s: PBES2/scrypt setup", path);
		goto out;
	}
	if ((enc = PKCS8_set0_pbe(pass, (int)pass_len, p8, pbe)) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO,
		    "%s: cannot encrypt the private key", path);
		goto out;
	}
	pbe = NULL; /* owned by enc */
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PKCS8(bio, enc) != 1 ||
	    (pem_len = BIO_get_mem_data(bio, &pem)) <= 0) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "%s: PEM encoding", path);
		goto out;
	}
	rc = egca_file_write_atomic(path, pem, (size_t)pem_len, 0600);
out:
	PKCS8_PRIV_KEY_INFO_free(p8); /* cleanses the key octets */
	X509_ALGOR_free(pbe);
	X509_SIG_free(enc);
	BIO_free(bio);
	return rc;
}

enum egca_err
egca_crypto_key_load(
    const char *path, const char *pass, size_t pass_len, EVP_PKEY **out)
{
	uint8_t *data = NULL;
	size_t len;
	BIO *bio = NULL;
	X509_SIG *enc = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *k = NULL;
	enum egca_err rc;

	*out = NULL;
	if ((rc = egca_file_read(path, KEY_FILE_MAX, &data, &len)) != EGCA_OK)
		goto out;
	if (len > INT_MAX || pass_len > INT_MAX ||
	    (bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_NOMEM, "%s", path);
		goto out;
	}
	if ((enc = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "not an encrypted PKCS#8 PEM key file: %s", path);
		goto out;
	}
	/* Never say which: an oracle helps nobody but an attacker. */
	if ((p8 = PKCS8_decrypt(enc, pass, (int)pass_len)) == NULL ||
	    (k = EVP_PKCS82PKEY(p8)) == NULL) {
		ERR_clear_error();
		rc = egca_err_set(EGCA_ERR_AUTH,
		    "wrong passphrase or corrupt key file: %s", path);
		goto out;
	}
	if ((rc = crypto_key_loaded(&k, path)) != EGCA_OK)
		goto out;
	*out = k;
	k = NULL;
	rc = EGCA_OK;
out:
	EVP_PKEY_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(enc);
	BIO_free(bio);
	free(data);
	return rc;
}
