/*
 * Private to pki/ (pem.c, csr.c, info.c, chain.c): a bounded DER cursor
 * for the outer layers of signed objects, so that signatures are checked
 * over the exact TBS bytes as received rather than over a re-encoding.
 *
 * What this does not check: the contents of the TLVs it steps over
 * (OpenSSL's templates do that in d2i_X509 / d2i_X509_REQ).
 */
#ifndef EGCA_PKI_SIGNED_H
#define EGCA_PKI_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "egca/pki.h"

/* DER identifier octets used here. */
#define EGCA_TLV_INTEGER 0x02
#define EGCA_TLV_BIT_STRING 0x03
#define EGCA_TLV_SEQUENCE 0x30
#define EGCA_TLV_CTX0 0xa0 /* [0] constructed */

struct egca_tlv {
	uint8_t tag;          /* identifier octet (low-tag-number form) */
	const uint8_t *start; /* first octet of the TLV */
	const uint8_t *val;   /* contents */
	size_t len;           /* contents length */
	size_t total;         /* header plus contents */
};

/*
 * Reads one DER TLV at p, which has avail octets. Returns 0, or -1 for
 * high tag numbers, indefinite or non-minimal lengths and overruns.
 */
int egca_pki_tlv_get(const uint8_t *p, size_t avail, struct egca_tlv *t);

/* SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING }. */
struct egca_signed {
	const uint8_t *tbs; /* the whole TBS TLV, as received */
	size_t tbs_len;
	const uint8_t *alg; /* the AlgorithmIdentifier TLV */
	size_t alg_len;
	const uint8_t
	    *sig; /* BIT STRING contents after the unused-bits octet */
	size_t sig_len;
};

/*
 * Splits a signed object occupying exactly len octets. Returns 0, or -1
 * when the outer shape is wrong (not three elements, trailing octets,
 * a BIT STRING with unused bits).
 */
int egca_pki_signed_split(
    const uint8_t *der, size_t len, struct egca_signed *s);

/*
 * Limits on what egca accepts from outside (a certificate or CSR is a
 * few KiB; these bound the work an attacker can cause).
 */
#define EGCA_PKI_CERT_MAX ((size_t)64 << 10)
#define EGCA_PKI_CSR_MAX ((size_t)64 << 10)

/*
 * egca_pki_cert_info() that also hands back the decoded X509 (caller
 * frees with X509_free) for chain.c; *x is NULL on failure.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_cert_info_x509(
    const uint8_t *der, size_t len, struct egca_cert_info *out, X509 **x);

#endif
