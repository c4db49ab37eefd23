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

/* ---------------------------------------------------------------- */
/* SM2 encryption and enveloped keys (GM/T 0009, GM/T 0016)          */

/*
 * SM2 public-key encryption with SM3 (GM/T 0003.4), ciphertext in the
 * GM/T 0009 DER form, C1C3C2 order, which is what OpenSSL 3 writes:
 *
 *   SM2Cipher ::= SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER,
 *                            HASH OCTET STRING (SIZE(32)),
 *                            CipherText OCTET STRING }
 *
 * Parsing is egca's own and strict (DER only, nothing trailing): each
 * coordinate at most 32 octets of magnitude (CVE-2021-3711), both below
 * p and the point on the curve, HASH exactly 32 octets, CipherText
 * 1..EGCA_SM2_PLAIN_MAX octets. The plaintext length is the CipherText
 * length as parsed, never derived by OpenSSL from the input.
 */
#define EGCA_SM2_PLAIN_MAX ((size_t)65536)

struct egca_sm2_cipher {
	uint8_t x[32];     /* C1 x, big-endian, left-padded with zeros */
	uint8_t y[32];     /* C1 y */
	uint8_t hash[32];  /* C3 = SM3(x2 || M || y2) */
	const uint8_t *c2; /* C2, borrowed from the parsed input */
	size_t c2_len;
};

/* Parses a DER SM2Cipher; out->c2 points into der. EGCA_ERR_INPUT. */
EGCA_MUST_CHECK enum egca_err egca_crypto_sm2_cipher_parse(
    const uint8_t *der, size_t len, struct egca_sm2_cipher *out);
/* Encodes c as DER (minimal INTEGERs). Caller frees *der with free(). */
EGCA_MUST_CHECK enum egca_err egca_crypto_sm2_cipher_encode(
    const struct egca_sm2_cipher *c, uint8_t **der, size_t *len);

/*
 * Encrypts in (1..EGCA_SM2_PLAIN_MAX octets) to the SM2 public key pub.
 * *der is a DER SM2Cipher; caller frees with free().
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_sm2_encrypt(const EVP_PKEY *pub,
    const uint8_t *in, size_t in_len, uint8_t **der, size_t *der_len);
/*
 * Decrypts a DER SM2Cipher with the SM2 private key priv into out
 * (out_max octets). EGCA_ERR_INPUT when malformed or longer than
 * out_max; EGCA_ERR_AUTH when the hash does not match (wrong key, or
 * an altered ciphertext). out is cleansed on failure.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_sm2_decrypt(const EVP_PKEY *priv,
    const uint8_t *der, size_t der_len, uint8_t *out, size_t out_max,
    size_t *out_len);
/* As egca_crypto_sm2_decrypt, for a ciphertext already parsed. */
EGCA_MUST_CHECK enum egca_err egca_crypto_sm2_decrypt_cipher(
    const EVP_PKEY *priv, const struct egca_sm2_cipher *c, uint8_t *out,
    size_t out_max, size_t *out_len);

/*
 * An SM2 encryption key pair enveloped to a holder's signing public key
 * (the KM's answer, gm-standards.md 2.3): GM/T 0009 SM2EnvelopedKey
 *
 *   SEQUENCE { symAlgID AlgorithmIdentifier,   -- SM4-ECB, NULL params
 *              symEncryptedKey SM2Cipher,       -- the SM4 key
 *              sm2PublicKey BIT STRING,         -- 04||x||y
 *              sm2EncryptedPrivateKey BIT STRING } -- SM4-ECB(d), 32 octets
 *
 * or the GM/T 0016 (SKF) ENVELOPEDKEYBLOB that SKF_ImportECCKeyPair
 * takes: little-endian ULONGs, 32-octet values right-aligned in 64-octet
 * fields, EGCA_ENVELOPE_SKF_LEN octets in all (CipherLen 16).
 * symAlgID 1.2.156.10197.1.104 is accepted as SM4-ECB as gmsm does;
 * 1.2.156.10197.1.104.1 is written.
 */
#define EGCA_ENVELOPE_SKF_LEN 388

struct egca_envelope {
	struct egca_sm2_cipher key; /* the SM4 key; c2 borrowed, 16 octets */
	uint8_t pub[65];            /* 04||x||y of the enveloped key pair */
	uint8_t priv_enc[32];       /* SM4-ECB of the 32-octet d, no padding */
};

/*
 * Parse and encode either form. Parsing checks every field (the public
 * key and C1 on the curve, algorithm, lengths, nothing trailing) and
 * returns EGCA_ERR_INPUT naming the field; out->key.c2 points into the
 * input. Encoders: caller frees *out with free().
 */
EGCA_MUST_CHECK enum egca_err egca_envelope_parse(
    const uint8_t *der, size_t len, struct egca_envelope *out);
EGCA_MUST_CHECK enum egca_err egca_envelope_encode(
    const struct egca_envelope *env, uint8_t **der, size_t *len);
EGCA_MUST_CHECK enum egca_err egca_envelope_skf_parse(
    const uint8_t *blob, size_t len, struct egca_envelope *out);
EGCA_MUST_CHECK enum egca_err egca_envelope_skf_encode(
    const struct egca_envelope *env, uint8_t **blob, size_t *len);

/*
 * Envelopes the SM2 key pair enc_keypair to the SM2 public key
 * holder_sign_pub: a fresh SM4 key encrypts d, SM2 encrypts the SM4
 * key. *der is the DER SM2EnvelopedKey; caller frees with free().
 */
EGCA_MUST_CHECK enum egca_err egca_envelope_seal(
    const EVP_PKEY *holder_sign_pub, const EVP_PKEY *enc_keypair, uint8_t **der,
    size_t *der_len);
/*
 * Opens a DER SM2EnvelopedKey with the holder's signing private key and
 * returns the enclosed key pair (typed "SM2"; caller frees).
 * EGCA_ERR_INPUT for a malformed envelope (naming the field),
 * EGCA_ERR_AUTH when the SM4 key cannot be decrypted with this key,
 * EGCA_ERR_INTEGRITY when d is out of range or d*G is not the enclosed
 * public key. d and the SM4 key are cleansed.
 */
EGCA_MUST_CHECK enum egca_err egca_envelope_open(
    const EVP_PKEY *holder_sign_priv, const uint8_t *der, size_t der_len,
    EVP_PKEY **enc_keypair);
/* As egca_envelope_open, for an envelope already parsed (either form). */
EGCA_MUST_CHECK enum egca_err egca_envelope_open_parsed(
    const EVP_PKEY *holder_sign_priv, const struct egca_envelope *env,
    EVP_PKEY **enc_keypair);

/*
 * Unencrypted private key files, for keys held outside a data
 * directory (a holder's token export, `openssl genpkey` output).
 * Loading takes PKCS#8 or SEC1 PEM, or PKCS#8 DER, and applies the key
 * policy; an encrypted PKCS#8 file is EGCA_ERR_INPUT (use
 * egca_crypto_key_load). Saving writes unencrypted PKCS#8 PEM with mode
 * 0600, atomically.
 */
EGCA_MUST_CHECK enum egca_err egca_crypto_key_load_plain(
    const char *path, EVP_PKEY **out);
EGCA_MUST_CHECK enum egca_err egca_crypto_key_save_plain(
    const EVP_PKEY *key, const char *path);

#endif
