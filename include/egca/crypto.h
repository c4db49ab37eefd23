/*
 * crypto/: the only module that sees private keys. OpenSSL 3 EVP
 * underneath. Keys, encrypted key files (PKCS#8 PBES2), the signer
 * interface (DESIGN.md §2), SM2 sign/verify with the GM/T 0009 user ID
 * "1234567812345678", digests and the CSPRNG.
 *
 * What this module does not check: it signs whatever TBS bytes it is
 * given for an allowed purpose; profiles and lint live in pki/.
 */
#ifndef EGCA_CRYPTO_H
#define EGCA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "egca/err.h"

/* The GM/T 0009 default SM2 user ID. Never rely on a library default. */
#define EGCA_SM2_ID "1234567812345678"
#define EGCA_SM2_ID_LEN 16

/* Key algorithms egca generates and accepts. */
enum egca_key_alg {
	EGCA_KEY_NONE = 0,
	EGCA_KEY_SM2,  /* id-ecPublicKey + 1.2.156.10197.1.301 */
	EGCA_KEY_P256, /* id-ecPublicKey + prime256v1 */
	EGCA_KEY_P384, /* accepted in CSRs, not generated */
	EGCA_KEY_RSA,  /* rsaEncryption, any allowed size */
};

/* Signature algorithms: chosen from the signing key. */
enum egca_sig_alg {
	EGCA_SIG_NONE = 0,
	EGCA_SIG_SM2_SM3,      /* 1.2.156.10197.1.501, no parameters */
	EGCA_SIG_ECDSA_SHA256, /* 1.2.840.10045.4.3.2, no parameters */
	EGCA_SIG_ECDSA_SHA384, /* 1.2.840.10045.4.3.3 */
	EGCA_SIG_RSA_SHA256,   /* 1.2.840.113549.1.1.11, NULL parameters */
};

/*
 * Parses "sm2", "ecdsa-p256", "rsa-2048", "rsa-3072", "rsa-4096" into an
 * algorithm and size in bits. EGCA_ERR_USAGE for anything else.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_key_alg_parse(
    const char *s, enum egca_key_alg *alg, int *bits);
const char *egca_crypto_key_alg_name(enum egca_key_alg alg);

/* Fills buf with CSPRNG output (RAND_priv_bytes). */
EGCA_MUST_CHECK enum egca_err egca_crypto_rand(uint8_t *buf, size_t len);

/* SM3, SHA-1 and SHA-256 one-shot digests. */
EGCA_MUST_CHECK enum egca_err egca_crypto_sm3(
    const void *data, size_t len, uint8_t out[32]);
EGCA_MUST_CHECK enum egca_err egca_crypto_sha1(
    const void *data, size_t len, uint8_t out[20]);
EGCA_MUST_CHECK enum egca_err egca_crypto_sha256(
    const void *data, size_t len, uint8_t out[32]);

/* Generates a key pair; bits is used for RSA only. Caller frees. */
EGCA_MUST_CHECK enum egca_err egca_crypto_key_generate(
    enum egca_key_alg alg, int bits, EVP_PKEY **out);

/*
 * Classifies a public key and applies the key policy: RSA >= 2048 bits
 * with an odd exponent >= 65537; EC keys on a named curve only (no
 * explicit parameters), point on the curve, SM2 / P-256 / P-384.
 * Messages name the rule broken. EGCA_ERR_POLICY on refusal.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_key_check(
    const EVP_PKEY *pkey, enum egca_key_alg *alg, int *bits);

/*
 * Decodes a DER SubjectPublicKeyInfo into a key (slow in OpenSSL 3.0:
 * keep off hot paths). Caller frees.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_spki_decode(
    const uint8_t *der, size_t len, EVP_PKEY **out);
/* Encodes the public half of pkey as DER SPKI. Caller frees *der. */
EGCA_MUST_CHECK enum egca_err egca_crypto_spki_encode(
    const EVP_PKEY *pkey, uint8_t **der, size_t *len);

/* The signature algorithm egca uses with this key. */
enum egca_sig_alg egca_crypto_sig_alg_for_key(const EVP_PKEY *pkey);
/*
 * DER AlgorithmIdentifier for alg (SM2 and ECDSA without parameters,
 * RSA with NULL), in static storage.
 */
const uint8_t *egca_crypto_sig_alg_der(enum egca_sig_alg alg, size_t *len);
/*
 * Maps a DER AlgorithmIdentifier to a signature algorithm. For SM2 and
 * ECDSA both absent and NULL parameters are accepted; anything else is
 * EGCA_ERR_INPUT naming the OID.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_sig_alg_parse(
    const uint8_t *der, size_t len, enum egca_sig_alg *alg);
const char *egca_crypto_sig_alg_name(enum egca_sig_alg alg);

/*
 * The one helper for signatures over TBS bytes. SM2 always with
 * SM3 and the user ID EGCA_SM2_ID. sig must hold egca_crypto_sig_max(key)
 * bytes; the result is a DER ECDSA/SM2 signature or an RSA block.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_sign_tbs(EVP_PKEY *key,
    enum egca_sig_alg alg, const uint8_t *tbs, size_t tbs_len, uint8_t *sig,
    size_t *sig_len);
size_t egca_crypto_sig_max(const EVP_PKEY *key);
/*
 * Verifies sig over tbs with pub; EGCA_OK when valid, EGCA_ERR_AUTH when
 * not, EGCA_ERR_INPUT when the algorithm does not fit the key.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_verify_tbs(EVP_PKEY *pub,
    enum egca_sig_alg alg, const uint8_t *tbs, size_t tbs_len,
    const uint8_t *sig, size_t sig_len);

/* True when both keys have the same public part. */
int egca_crypto_key_public_equal(const EVP_PKEY *a, const EVP_PKEY *b);

/*
 * Encrypted key files: PKCS#8 EncryptedPrivateKeyInfo, PBES2 with scrypt
 * (N=2^14, r=8, p=2: OpenSSL 3.0 caps scrypt at 32 MiB) and AES-256-CBC, PEM,
 * written atomically with mode 0600. Loading with a wrong passphrase is
 * EGCA_ERR_AUTH.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_key_save(
    const EVP_PKEY *key, const char *path, const char *pass, size_t pass_len);
EGCA_MUST_CHECK enum egca_err egca_crypto_key_load(
    const char *path, const char *pass, size_t pass_len, EVP_PKEY **out);

/*
 * Passphrases: from a file (first line, without the newline), or from
 * the terminal with echo off when file is NULL (twice when confirm).
 * Never from argv or the environment. The buffer lives in the OpenSSL
 * secure heap; free with egca_crypto_passphrase_free().
 * Passphrases shorter than 8 bytes are refused (EGCA_ERR_POLICY) when
 * confirm is set (that is, when a new key is being protected).
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_passphrase_read(
    const char *file, int confirm, char **pass, size_t *pass_len);
void egca_crypto_passphrase_free(char *pass, size_t pass_len);
/*
 * Other secrets read the same way (operator passwords, API tokens):
 * the first line of file, or the terminal with echo off showing prompt,
 * then repeat (when not NULL; both entries must match). No minimum
 * length: the caller applies its own policy. Free with
 * egca_crypto_passphrase_free().
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_secret_read(const char *file,
    const char *prompt, const char *repeat, char **secret, size_t *secret_len);

/* Process hardening: no core dumps, PR_SET_DUMPABLE 0, secure heap. */
void egca_crypto_harden_process(void);

/*
 * The signer interface (DESIGN.md §2): the only way private keys are
 * used. Each signer is opened for a set of purposes and refuses others.
 * Backends: software key files now; PKCS#11 and SDF later, behind the
 * same functions.
 */
enum egca_sign_purpose {
	EGCA_SIGN_CERT = 1 << 0,
	EGCA_SIGN_CRL = 1 << 1,
	EGCA_SIGN_OCSP = 1 << 2,
	EGCA_SIGN_CSR = 1 << 3,
	EGCA_SIGN_AUDIT = 1 << 4,
};

struct egca_signer;

/* Opens a software signer over an encrypted key file. */
EGCA_MUST_CHECK enum egca_err egca_signer_open_file(const char *path,
    const char *pass, size_t pass_len, unsigned purposes,
    struct egca_signer **out);
/* Generates a new key inside a software signer (egca init, ca create). */
EGCA_MUST_CHECK enum egca_err egca_signer_generate(enum egca_key_alg alg,
    int bits, unsigned purposes, struct egca_signer **out);
/* Saves a software signer's key encrypted (egca_crypto_key_save). */
EGCA_MUST_CHECK enum egca_err egca_signer_save(const struct egca_signer *s,
    const char *path, const char *pass, size_t pass_len);
/* Wraps a key already in memory (takes ownership of key; tests, bench). */
EGCA_MUST_CHECK enum egca_err egca_signer_open_key(
    EVP_PKEY *key, unsigned purposes, struct egca_signer **out);
void egca_signer_free(struct egca_signer *s);

/*
 * Signs tbs for the given purpose. sig must have room for
 * egca_signer_sig_max() bytes; *sig_len is its capacity on entry and
 * the signature's length on return. EGCA_ERR_POLICY when the purpose was
 * not granted at open.
 */
EGCA_MUST_CHECK enum egca_err egca_signer_sign(struct egca_signer *s,
    enum egca_sign_purpose purpose, const uint8_t *tbs, size_t tbs_len,
    uint8_t *sig, size_t *sig_len);
size_t egca_signer_sig_max(const struct egca_signer *s);
enum egca_sig_alg egca_signer_sig_alg(const struct egca_signer *s);
enum egca_key_alg egca_signer_key_alg(const struct egca_signer *s);
/* The public key as DER SPKI, borrowed from the signer. */
const uint8_t *egca_signer_get0_spki(const struct egca_signer *s, size_t *len);
/* The public key, borrowed (public part only is used by callers). */
EVP_PKEY *egca_signer_get0_pubkey(const struct egca_signer *s);

#endif
