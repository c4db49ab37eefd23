/*
 * Signature algorithms: the AlgorithmIdentifier encodings egca emits
 * and accepts, and the one signing and verifying helper over TBS bytes.
 * SM2 always uses SM3 and the GM/T 0009 user ID EGCA_SM2_ID, set on
 * every context: OpenSSL 3.0 defaults to an empty ID
 * (gm-standards.md 5.3).
 *
 * Not checked here: whether the key may sign the object (signer.c) or
 * whether the TBS bytes make sense (pki/).
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "egca/crypto.h"

#include "crypto_int.h"

/*
 * Accepted AlgorithmIdentifier encodings, in strict DER. The first row
 * for each algorithm is the one egca emits: SM2 and ECDSA without
 * parameters (RFC 5758 3.2, GM/T 0015 as OpenSSL and Tongsuo encode
 * it), RSA with NULL parameters (RFC 4055 5). The others are accepted
 * on input: NULL parameters for SM2/ECDSA (NRCAC certificates use them,
 * gm-standards.md 1.7) and absent parameters for RSA.
 */
static const uint8_t der_sm2_sm3[] = {
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};
static const uint8_t der_sm2_sm3_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81,
    0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75, 0x05, 0x00};
static const uint8_t der_ecdsa_sha256[] = {
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t der_ecdsa_sha256_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00};
static const uint8_t der_ecdsa_sha384[] = {
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t der_ecdsa_sha384_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03, 0x05, 0x00};
static const uint8_t der_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t der_rsa_sha256_absent[] = {0x30, 0x0b, 0x06, 0x09, 0x2a,
    0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};

static const struct {
	enum egca_sig_alg alg;
	const uint8_t *der;
	size_t len;
} encodings[] = {
    {EGCA_SIG_SM2_SM3, der_sm2_sm3, sizeof(der_sm2_sm3)},
    {EGCA_SIG_SM2_SM3, der_sm2_sm3_null, sizeof(der_sm2_sm3_null)},
    {EGCA_SIG_ECDSA_SHA256, der_ecdsa_sha256, sizeof(der_ecdsa_sha256)},
    {EGCA_SIG_ECDSA_SHA256, der_ecdsa_sha256_null,
        sizeof(der_ecdsa_sha256_null)},
    {EGCA_SIG_ECDSA_SHA384, der_ecdsa_sha384, sizeof(der_ecdsa_sha384)},
    {EGCA_SIG_ECDSA_SHA384, der_ecdsa_sha384_null,
        sizeof(der_ecdsa_sha384_null)},
    {EGCA_SIG_RSA_SHA256, der_rsa_sha256, sizeof(der_rsa_sha256)},
    {EGCA_SIG_RSA_SHA256, der_rsa_sha256_absent, sizeof(der_rsa_sha256_absent)},
};

#define NENCODINGS (sizeof(encodings) / sizeof(encodings[0]))

const char *
egca_crypto_sig_alg_name(enum egca_sig_alg alg)
{
	switch (alg) {
	case EGCA_SIG_SM2_SM3:
		return "sm2-with-sm3";
	case EGCA_SIG_ECDSA_SHA256:
		return "ecdsa-with-sha256";
	case EGCA_SIG_ECDSA_SHA384:
		return "ecdsa-with-sha384";
	case EGCA_SIG_RSA_SHA256:
		return "sha256-with-rsa";
	case EGCA_SIG_NONE:
		break;
	}
	return "none";
}

const char *
crypto_sig_md(enum egca_sig_alg alg)
{
	switch (alg) {
	case EGCA_SIG_SM2_SM3:
		return "SM3";
	case EGCA_SIG_ECDSA_SHA256:
	case EGCA_SIG_RSA_SHA256:
		return "SHA256";
	case EGCA_SIG_ECDSA_SHA384:
		return "SHA384";
	case EGCA_SIG_NONE:
		break;
	}
	return NULL;
}

int
crypto_sig_fits(enum egca_sig_alg alg, enum egca_key_alg k)
{
	switch (alg) {
	case EGCA_SIG_SM2_SM3:
		return k == EGCA_KEY_SM2;
	case EGCA_SIG_ECDSA_SHA256:
	case EGCA_SIG_ECDSA_SHA384:
		return k == EGCA_KEY_P256 || k == EGCA_KEY_P384;
	case EGCA_SIG_RSA_SHA256:
		return k == EGCA_KEY_RSA;
	case EGCA_SIG_NONE:
		break;
	}
	return 0;
}

enum egca_sig_alg
egca_crypto_sig_alg_for_key(const EVP_PKEY *pkey)
{
	switch (crypto_key_class(pkey)) {
	case EGCA_KEY_SM2:
		return EGCA_SIG_SM2_SM3;
	case EGCA_KEY_P256:
		return EGCA_SIG_ECDSA_SHA256;
	case EGCA_KEY_P384:
		return EGCA_SIG_ECDSA_SHA384;
	case EGCA_KEY_RSA:
		return EGCA_SIG_RSA_SHA256;
	case EGCA_KEY_NONE:
		break;
	}
	return EGCA_SIG_NONE;
}

const uint8_t *
egca_crypto_sig_alg_der(enum egca_sig_alg alg, size_t *len)
{
	size_t i;

	for (i = 0; i < NENCODINGS; i++) {
		if (encodings[i].alg == alg) {
			*len = encodings[i].len;
			return encodings[i].der;
		}
	}
	*len = 0;
	return NULL;
}

/*
 * Only called to word the refusal: decodes what it can of der to name
 * the OID and the fault.
 */
static enum egca_err
refuse_alg(const uint8_t *der, size_t len)
{
	X509_ALGOR *a = NULL;
	const ASN1_OBJECT *obj;
	const unsigned char *p = der;
	char oid[128];
	int ptype;
	enum egca_err rc;

	if (len > LONG_MAX ||
	    (a = d2i_X509_ALGOR(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return egca_err_set(EGCA_ERR_INPUT,
		    "signature AlgorithmIdentifier: malformed DER");
	}
	X509_ALGOR_get0(&obj, &ptype, NULL, a);
	if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
		strcpy(oid, "?");
	if ((size_t)(p - der) != len)
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "signature AlgorithmIdentifier %s: trailing bytes", oid);
	else if (OBJ_obj2nid(obj) == NID_SM2_with_SM3 ||
	    OBJ_obj2nid(obj) == NID_ecdsa_with_SHA256 ||
	    OBJ_obj2nid(obj) == NID_ecdsa_with_SHA384 ||
	    OBJ_obj2nid(obj) == NID_sha256WithRSAEncryption)
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "signature AlgorithmIdentifier %s: parameters not allowed "
		    "or not in DER",
		    oid);
	else
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "signature AlgorithmIdentifier %s: unsupported algorithm",
		    oid);
	X509_ALGOR_free(a);
	ERR_clear_error();
	return rc;
}

enum egca_err
egca_crypto_sig_alg_parse(
    const uint8_t *der, size_t len, enum egca_sig_alg *alg)
{
	size_t i;

	*alg = EGCA_SIG_NONE;
	/*
	 * The accepted encodings are few and fixed: comparing bytes is
	 * stricter than any decoder (no BER, no trailing bytes).
	 */
	for (i = 0; i < NENCODINGS; i++) {
		if (encodings[i].len == len &&
		    memcmp(encodings[i].der, der, len) == 0) {
			*alg = encodings[i].alg;
			return EGCA_OK;
		}
	}
	return refuse_alg(der, len);
}

size_t
egca_crypto_sig_max(const EVP_PKEY *key)
{
	int n;

	n = EVP_PKEY_get_size(key);
	return n > 0 ? (size_t)n : 0;
}

enum egca_err
crypto_md_init(
    EVP_MD_CTX *mctx, EVP_PKEY *key, enum egca_sig_alg alg, int verify)
{
	EVP_PKEY_CTX *pctx = NULL;
	const char *md;
	int ok;

	if ((md = crypto_sig_md(alg)) == NULL)
		return egca_err_set(EGCA_ERR_INTERNAL, "no digest for %s",
		    egca_crypto_sig_alg_name(alg));
	if (verify)
		ok = EVP_DigestVerifyInit_ex(
		    mctx, &pctx, md, NULL, NULL, key, NULL);
	else
		ok = EVP_DigestSignInit_ex(
		    mctx, &pctx, md, NULL, NULL, key, NULL);
	if (ok != 1)
		return egca_err_ossl(EGCA_ERR_CRYPTO, "%s: %s init failed",
		    egca_crypto_sig_alg_name(alg), verify ? "verify" : "sign");
	/* Before the first update: Z is computed from the ID then. */
	if (alg == EGCA_SIG_SM2_SM3 &&
	    EVP_PKEY_CTX_set1_id(pctx, EGCA_SM2_ID, EGCA_SM2_ID_LEN) != 1)
		return egca_err_ossl(
		    EGCA_ERR_CRYPTO, "sm2-with-sm3: cannot set the user ID");
	if (alg == EGCA_SIG_RSA_SHA256 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		return egca_err_ossl(EGCA_ERR_CRYPTO,
		    "sha256-with-rsa: cannot set PKCS#1 v1.5 padding");
	return EGCA_OK;
}

/*
 * Returns in *use a key of the type OpenSSL needs for alg: key itself,
 * or for an "EC"-typed SM2 key a retyped copy in *tmp.
 */
static enum egca_err
key_for(EVP_PKEY *key, enum egca_sig_alg alg, EVP_PKEY **tmp, EVP_PKEY **use)
{
	enum egca_key_alg k;
	enum egca_err rc;

	*tmp = NULL;
	*use = key;
	k = crypto_key_class(key);
	if (!crypto_sig_fits(alg, k))
		return egca_err_set(EGCA_ERR_INPUT, "%s does not fit a %s key",
		    egca_crypto_sig_alg_name(alg), egca_crypto_key_alg_name(k));
	if (k == EGCA_KEY_SM2 && !EVP_PKEY_is_a(key, "SM2")) {
		if ((rc = crypto_sm2_copy(key, tmp)) != EGCA_OK)
			return rc;
		*use = *tmp;
	}
	return EGCA_OK;
}

enum egca_err
egca_crypto_sign_tbs(EVP_PKEY *key, enum egca_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY *tmp = NULL, *use;
	size_t n;
	enum egca_err rc;

	n = *sig_len;
	*sig_len = 0;
	if ((rc = key_for(key, alg, &tmp, &use)) != EGCA_OK)
		goto out;
	if (n < egca_crypto_sig_max(use)) {
		rc = egca_err_set(EGCA_ERR_INTERNAL,
		    "signature buffer too small (%zu < %zu)", n,
		    egca_crypto_sig_max(use));
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_NOMEM, "EVP_MD_CTX_new");
		goto out;
	}
	if ((rc = crypto_md_init(mctx, use, alg, 0)) != EGCA_OK)
		goto out;
	/* A one-use context: no internal copy before the final step. */
	EVP_MD_CTX_set_flags(mctx, EVP_MD_CTX_FLAG_FINALISE);
	if (EVP_DigestSign(mctx, sig, &n, tbs, tbs_len) != 1) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "%s: signing failed",
		    egca_crypto_sig_alg_name(alg));
		goto out;
	}
	*sig_len = n;
	rc = EGCA_OK;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(tmp);
	return rc;
}

enum egca_err
egca_crypto_verify_tbs(EVP_PKEY *pub, enum egca_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY *tmp = NULL, *use;
	enum egca_err rc;

	if ((rc = key_for(pub, alg, &tmp, &use)) != EGCA_OK)
		goto out;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_NOMEM, "EVP_MD_CTX_new");
		goto out;
	}
	if ((rc = crypto_md_init(mctx, use, alg, 1)) != EGCA_OK)
		goto out;
	/* 0 is a bad signature, < 0 a malformed one: both are refusals. */
	if (EVP_DigestVerify(mctx, sig, sig_len, tbs, tbs_len) != 1) {
		ERR_clear_error();
		rc =
		    egca_err_set(EGCA_ERR_AUTH, "%s: signature does not verify",
		        egca_crypto_sig_alg_name(alg));
		goto out;
	}
	rc = EGCA_OK;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(tmp);
	return rc;
}
