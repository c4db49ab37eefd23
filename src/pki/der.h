/*
 * pki/der.h: a private DER writer and a strict DER reader.
 *
 * The writer appends to an egca_buf. Errors are sticky: after the first
 * failure every call is a no-op and egca_der_w_finish() reports it, so
 * builders write straight-line code and check once. Constructed types
 * are opened with egca_der_begin() and closed with egca_der_end(); the
 * length is patched at the end (the contents are shifted when the
 * length needs more than one octet).
 *
 * The reader is a bounded cursor with a sticky error (Knot DNS
 * wire_ctx): single-octet tags only, definite minimal lengths only, at
 * most 4 length octets and EGCA_DER_MAX_LEN bytes, nothing read past
 * the end. It does not check the contents of primitive values beyond
 * what the typed getters say; callers reject trailing bytes with
 * egca_der_r_end().
 *
 * Used by cert.c, name.c, gmt0015.c and lint.c. Not used by csr.c,
 * chain.c, info.c, pem.c (OpenSSL ASN.1 there).
 */
#ifndef EGCA_PKI_DER_H
#define EGCA_PKI_DER_H

#include <stddef.h>
#include <stdint.h>

#include "egca/buf.h"
#include "egca/err.h"

/* Universal tags. */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_UTF8STRING 0x0c
#define DER_PRINTABLESTRING 0x13
#define DER_T61STRING 0x14
#define DER_IA5STRING 0x16
#define DER_UTCTIME 0x17
#define DER_GENERALIZEDTIME 0x18
#define DER_BMPSTRING 0x1e
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
/* Context-specific tags. */
#define DER_CTX(n) ((uint8_t)(0x80 | (n)))
#define DER_CTX_CONS(n) ((uint8_t)(0xa0 | (n)))

/* Largest object the reader accepts (a certificate, a CRL chunk). */
#define EGCA_DER_MAX_LEN ((size_t)64 << 20)
/* Nesting depth of the writer. */
#define EGCA_DER_MAX_DEPTH 16

/*
 * OIDs are pre-encoded contents octets (no tag, no length), written at
 * compile time, never parsed from dotted text on the hot path.
 */
struct egca_der_oid {
	const uint8_t *der;
	size_t len;
};
/* Defines a file-local OID: EGCA_DER_OID(oid_x, 0x2a, 0x86, ...). */
#define EGCA_DER_OID(name, ...)                                                \
	static const uint8_t name##_der_[] = {__VA_ARGS__};                    \
	static const struct egca_der_oid name = {                              \
	    name##_der_, sizeof(name##_der_)}

/* Well-known OIDs (der.c). */
extern const struct egca_der_oid egca_oid_ec_public_key;
extern const struct egca_der_oid egca_oid_rsa_encryption;
extern const struct egca_der_oid egca_oid_curve_sm2;
extern const struct egca_der_oid egca_oid_curve_p256;
extern const struct egca_der_oid egca_oid_curve_p384;
extern const struct egca_der_oid egca_oid_sm2_sm3;
extern const struct egca_der_oid egca_oid_ext_ski;
extern const struct egca_der_oid egca_oid_ext_ku;
extern const struct egca_der_oid egca_oid_ext_san;
extern const struct egca_der_oid egca_oid_ext_bc;
extern const struct egca_der_oid egca_oid_ext_crldp;
extern const struct egca_der_oid egca_oid_ext_freshest_crl;
extern const struct egca_der_oid egca_oid_ext_policies;
extern const struct egca_der_oid egca_oid_ext_aki;
extern const struct egca_der_oid egca_oid_ext_eku;
extern const struct egca_der_oid egca_oid_ext_aia;
extern const struct egca_der_oid egca_oid_ext_sia;
extern const struct egca_der_oid egca_oid_ext_ocsp_nocheck;
extern const struct egca_der_oid egca_oid_ad_ocsp;
extern const struct egca_der_oid egca_oid_ad_ca_issuers;
extern const struct egca_der_oid egca_oid_ad_ca_repository;

/* ------------------------------------------------------------------ */
/* Writer                                                               */

struct egca_der_w {
	struct egca_buf *b;
	size_t open[EGCA_DER_MAX_DEPTH]; /* offset of each open length */
	int depth;
	enum egca_err err;
};

void egca_der_w_init(struct egca_der_w *w, struct egca_buf *b);
/* EGCA_OK, or the first error (with its detail); checks nesting. */
EGCA_MUST_CHECK enum egca_err egca_der_w_finish(struct egca_der_w *w);
/* Records err (and a detail) unless an error is already recorded. */
void egca_der_w_fail(struct egca_der_w *w, enum egca_err err, const char *fmt,
    ...) EGCA_PRINTF(3, 4);

void egca_der_begin(struct egca_der_w *w, uint8_t tag);
void egca_der_end(struct egca_der_w *w);
/* A TLV with the given contents. */
void egca_der_put_tlv(
    struct egca_der_w *w, uint8_t tag, const void *p, size_t len);
/* A complete pre-encoded TLV, copied verbatim. */
void egca_der_put_raw(struct egca_der_w *w, const void *p, size_t len);
void egca_der_put_oid(struct egca_der_w *w, const struct egca_der_oid *oid);
/* INTEGER from unsigned big-endian octets (minimal, made positive). */
void egca_der_put_uint(struct egca_der_w *w, const uint8_t *be, size_t len);
void egca_der_put_small_int(struct egca_der_w *w, int64_t v);
void egca_der_put_bool(struct egca_der_w *w, int v);
void egca_der_put_null(struct egca_der_w *w);
/* UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5). */
void egca_der_put_time(struct egca_der_w *w, int64_t t);
void egca_der_put_bitstring(
    struct egca_der_w *w, unsigned unused, const uint8_t *p, size_t len);
void egca_der_put_octet(struct egca_der_w *w, const uint8_t *p, size_t len);
void egca_der_put_string(
    struct egca_der_w *w, uint8_t tag, const char *s, size_t len);

/*
 * Encodes a dotted OID ("1.2.156.10197.1.501") into contents octets.
 * EGCA_ERR_INPUT when malformed; used for profile policies.
 */
EGCA_MUST_CHECK enum egca_err egca_der_oid_from_text(
    const char *text, uint8_t *out, size_t out_max, size_t *out_len);
/* Renders OID contents octets as dotted text; 0 on malformed input. */
int egca_der_oid_to_text(
    const uint8_t *p, size_t len, char *out, size_t out_max);

/* ------------------------------------------------------------------ */
/* Reader                                                               */

struct egca_der_r {
	const uint8_t *p; /* next unread octet */
	size_t left;      /* octets left */
	int err;          /* sticky: once set, every getter fails */
};

struct egca_der_tlv {
	uint8_t tag;
	const uint8_t *val; /* contents */
	size_t len;
	const uint8_t *raw; /* the whole TLV */
	size_t raw_len;
};

void egca_der_r_init(struct egca_der_r *r, const uint8_t *p, size_t len);
/* Next TLV whatever its tag; 0 at the end or on error (sets err). */
int egca_der_get_any(struct egca_der_r *r, struct egca_der_tlv *t);
/* The tag of the next TLV without consuming it; -1 at the end. */
int egca_der_peek(const struct egca_der_r *r);
/* Next TLV, which must carry tag. */
int egca_der_get(struct egca_der_r *r, uint8_t tag, struct egca_der_tlv *t);
/* Next TLV with tag, opened as a sub-reader over its contents. */
int egca_der_enter(struct egca_der_r *r, uint8_t tag, struct egca_der_r *sub);
/* Optional element: when the next tag is tag, as egca_der_get; else 0. */
int egca_der_get_opt(struct egca_der_r *r, uint8_t tag, struct egca_der_tlv *t);
/* 1 when nothing is left and no error was seen; else sets err. */
int egca_der_r_end(struct egca_der_r *r);

/* Typed helpers on a TLV already read. 1 on success, 0 on malformed. */
int egca_der_tlv_bool(const struct egca_der_tlv *t, int *v);
/* INTEGER contents well formed (minimal); *neg set for negative. */
int egca_der_tlv_int_ok(const struct egca_der_tlv *t, int *neg);
int egca_der_tlv_small_int(const struct egca_der_tlv *t, int64_t *v);
/* UTCTime / GeneralizedTime in the RFC 5280 form (Z, seconds). */
int egca_der_tlv_time(const struct egca_der_tlv *t, int64_t *v);
/* BIT STRING: unused bits <= 7, 0 when empty, unused bits zero. */
int egca_der_tlv_bits(const struct egca_der_tlv *t, unsigned *unused,
    const uint8_t **p, size_t *len);
/*
 * 1 when p is well-formed UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF) without C0/C1 control characters or DEL; *nchars (may be
 * NULL) gets the number of characters.
 */
int egca_der_utf8_check(const uint8_t *p, size_t len, size_t *nchars);
/* 1 when every octet is in the PrintableString set. */
int egca_der_printable_check(const uint8_t *p, size_t len);
int egca_der_oid_eq(
    const struct egca_der_tlv *t, const struct egca_der_oid *oid);

#endif
