/*
 * crypto/ internals shared between its files. Not part of the public
 * interface (include/egca/crypto.h).
 */
#ifndef EGCA_CRYPTO_INT_H
#define EGCA_CRYPTO_INT_H

#include <stdint.h>

#include <openssl/evp.h>

#include "egca/crypto.h"

/*
 * Classifies a key by type and curve without applying the key policy.
 * An "EC" key on the SM2 curve is EGCA_KEY_SM2. EGCA_KEY_NONE for
 * anything else.
 */
enum egca_key_alg crypto_key_class(const EVP_PKEY *pkey);

/*
 * OpenSSL 3.0 signs with SM2 only when the key is typed "SM2". When
 * *pkey is an "EC" key on the SM2 curve, replaces it with an
 * equivalent "SM2" key (freeing the old one); otherwise leaves it.
 */
EGCA_MUST_CHECK enum egca_err crypto_sm2_retype(EVP_PKEY **pkey);

/*
 * A private key just read from the file path: retyped (as
 * crypto_sm2_retype) and checked (egca_crypto_key_check), an error
 * naming path. On error *pkey is kept for the caller to free.
 */
EGCA_MUST_CHECK enum egca_err crypto_key_loaded(
    EVP_PKEY **pkey, const char *path);

/* As crypto_sm2_retype, but returns a new reference and keeps in. */
EGCA_MUST_CHECK enum egca_err crypto_sm2_copy(
    const EVP_PKEY *in, EVP_PKEY **out);

/* The digest name used with alg ("SM3", "SHA256", ...), NULL if none. */
const char *crypto_sig_md(enum egca_sig_alg alg);

/* True when alg can be used with a key of class k. */
int crypto_sig_fits(enum egca_sig_alg alg, enum egca_key_alg k);

/*
 * Initialises mctx for signing (verify 0) or verifying (verify 1) with
 * key and alg, setting the SM2 user ID when alg is SM2-with-SM3. key
 * must already have the right type (see crypto_sm2_retype).
 */
EGCA_MUST_CHECK enum egca_err crypto_md_init(
    EVP_MD_CTX *mctx, EVP_PKEY *key, enum egca_sig_alg alg, int verify);

/*
 * OpenSSL 3.0 takes non-const keys in places where it only reads
 * them; this is the one place the qualifier is dropped.
 */
static inline EVP_PKEY *
crypto_unconst(const EVP_PKEY *pkey)
{
	return (EVP_PKEY *)(uintptr_t)pkey;
}

#endif
