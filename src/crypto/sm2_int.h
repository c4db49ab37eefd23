/*
 * crypto/ internals shared by sm2enc.c and envelope.c: a strict DER
 * cursor just large enough for SM2Cipher and SM2EnvelopedKey (crypto/
 * sits below pki/ and cannot use pki/der.h), a DER writer on egca_buf,
 * and the SM2 curve checks.
 */
#ifndef EGCA_CRYPTO_SM2_INT_H
#define EGCA_CRYPTO_SM2_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "egca/buf.h"
#include "egca/crypto.h"

/* Largest length the cursor accepts (3 length octets are enough). */
#define CRYPTO_DER_MAX ((size_t)1 << 20)

struct crypto_der {
	const uint8_t *p;
	size_t left;
};

/*
 * Reads the next TLV, which must carry tag, with a definite minimal
 * length of at most 3 octets. raw/raw_len (may be NULL) get the whole
 * TLV. 1 on success, 0 otherwise (the cursor is then undefined).
 */
int crypto_der_get(struct crypto_der *r, uint8_t tag, const uint8_t **val,
    size_t *len, const uint8_t **raw, size_t *raw_len);

/* Appends a TLV header for a value of len octets. */
EGCA_MUST_CHECK enum egca_err crypto_der_put_hdr(
    struct egca_buf *b, uint8_t tag, size_t len);
/* Appends a whole TLV. */
EGCA_MUST_CHECK enum egca_err crypto_der_put(
    struct egca_buf *b, uint8_t tag, const void *val, size_t len);

/*
 * Checks that (x, y), 32-octet big-endian coordinates, is a point of
 * the SM2 curve: both below p, on the curve (never infinity in affine
 * form). EGCA_ERR_INPUT naming field otherwise.
 */
EGCA_MUST_CHECK enum egca_err crypto_sm2_point_check(
    const uint8_t x[32], const uint8_t y[32], const char *field);

/*
 * An SM2-typed reference for pkey, which must be an SM2 key (either
 * OpenSSL 3.0 shape); *owned is set when *out must be freed.
 */
EGCA_MUST_CHECK enum egca_err crypto_sm2_key_get(
    const EVP_PKEY *pkey, const char *what, EVP_PKEY **out, int *owned);

#endif
