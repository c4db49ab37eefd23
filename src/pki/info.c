/*
 * Certificate inspection and signature verification (include/egca/
 * pki.h). OpenSSL's templates decode the certificate (d2i_X509, strict
 * length, nothing trailing); a small DER walk (signed.c) takes the
 * issuer, subject, public key and TBS octets exactly as received.
 *
 * Signatures are verified here rather than with X509_verify(): OpenSSL
 * 3.0 uses an empty SM2 user ID unless told otherwise (gm-standards.md
 * §5.3), egca always uses EGCA_SM2_ID through egca_crypto_verify_tbs().
 *
 * What this does not check: validity at a time, chaining, revocation
 * (chain.c, status/).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "egca/crypto.h"
#include "egca/pki.h"
#include "pki/signed.h"

enum egca_err
egca_pki_verify_signed(const uint8_t *der, size_t len, EVP_PKEY *issuer_pub)
{
	struct egca_signed s;
	enum egca_sig_alg alg;
	enum egca_err e;

	if (der == NULL || issuer_pub == NULL)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "verify_signed: NULL argument");
	if (egca_pki_signed_split(der, len, &s) != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "signed object: malformed DER (expected SEQUENCE "
		    "{ tbs, algorithm, BIT STRING } and nothing after)");
	if ((e = egca_crypto_sig_alg_parse(s.alg, s.alg_len, &alg)) != EGCA_OK)
		return e;
	e = egca_crypto_verify_tbs(
	    issuer_pub, alg, s.tbs, s.tbs_len, s.sig, s.sig_len);
	ERR_clear_error();
	if (e == EGCA_ERR_AUTH)
		return egca_err_set(EGCA_ERR_AUTH,
		    "signature does not verify (%s%s)",
		    egca_crypto_sig_alg_name(alg),
		    alg == EGCA_SIG_SM2_SM3 ? ", user ID " EGCA_SM2_ID : "");
	return e;
}

void
egca_pki_cert_info_free(struct egca_cert_info *info)
{
	if (info == NULL)
		return;
	free(info->issuer);
	free(info->subject);
	free(info->issuer_der);
	free(info->subject_der);
	free(info->spki_der);
	memset(info, 0, sizeof(*info));
}

static enum egca_err
dup_bytes(const uint8_t *p, size_t len, uint8_t **out)
{
	if ((*out = malloc(len ? len : 1)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	memcpy(*out, p, len);
	return EGCA_OK;
}

static enum egca_err
asn1_time(const ASN1_TIME *t, const char *what, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return egca_err_ossl(
		    EGCA_ERR_INPUT, "certificate: malformed %s", what);
	*out = (int64_t)timegm(&tm);
	return EGCA_OK;
}

/* The key algorithm and size even when the key policy refuses the key. */
static void
key_classify(const EVP_PKEY *pkey, enum egca_key_alg *alg, int *bits)
{
	char group[64];
	size_t glen = 0;

	*alg = EGCA_KEY_NONE;
	*bits = 0;
	if (pkey == NULL)
		return;
	if (egca_crypto_key_check(pkey, alg, bits) == EGCA_OK)
		return;
	ERR_clear_error();
	*alg = EGCA_KEY_NONE;
	*bits = EVP_PKEY_get_bits(pkey);
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		*alg = EGCA_KEY_RSA;
		return;
	}
	if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1) {
		ERR_clear_error();
		return;
	}
	if (EVP_PKEY_is_a(pkey, "SM2") || strcmp(group, "SM2") == 0)
		*alg = EGCA_KEY_SM2;
	else if (strcmp(group, "prime256v1") == 0)
		*alg = EGCA_KEY_P256;
	else if (strcmp(group, "secp384r1") == 0)
		*alg = EGCA_KEY_P384;
}

static enum egca_err
key_id(const ASN1_OCTET_STRING *os, const char *what, uint8_t out[64],
    size_t *out_len)
{
	int n;

	*out_len = 0;
	if (os == NULL)
		return EGCA_OK;
	n = ASN1_STRING_length(os);
	if (n <= 0 || n > 64)
		return egca_err_set(EGCA_ERR_INPUT,
		    "certificate: %s of %d octets (1..64 accepted)", what, n);
	memcpy(out, ASN1_STRING_get0_data(os), (size_t)n);
	*out_len = (size_t)n;
	return EGCA_OK;
}

/*
 * The extensions egca reads. EXFLAG_INVALID covers duplicate extensions
 * and undecodable basicConstraints / keyUsage / key identifiers.
 */
static enum egca_err
extensions(X509 *x, struct egca_cert_info *out)
{
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	uint32_t flags;
	int crit, i;
	long pl;
	enum egca_err e;

	flags = X509_get_extension_flags(x);
	if (flags & EXFLAG_INVALID)
		return egca_err_ossl(EGCA_ERR_INPUT,
		    "certificate: duplicate or malformed extension "
		    "(RFC 5280 4.2)");
	out->is_ca = 0;
	out->path_len = -1;
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	if (bc != NULL) {
		out->is_ca = bc->ca != 0;
		if (bc->pathlen != NULL) {
			pl = ASN1_INTEGER_get(bc->pathlen);
			if (pl < 0 || pl > 255) {
				BASIC_CONSTRAINTS_free(bc);
				return egca_err_set(EGCA_ERR_INPUT,
				    "certificate: pathLenConstraint out of "
				    "range");
			}
			out->path_len = (int)pl;
		}
		BASIC_CONSTRAINTS_free(bc);
	} else if (crit != -1) {
		return egca_err_ossl(
		    EGCA_ERR_INPUT, "certificate: malformed basicConstraints");
	}
	out->key_usage = 0;
	ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	if (ku != NULL) {
		for (i = 0; i <= 8; i++)
			if (ASN1_BIT_STRING_get_bit(ku, i))
				out->key_usage |= 1u << i;
		ASN1_BIT_STRING_free(ku);
	} else if (crit != -1) {
		return egca_err_ossl(
		    EGCA_ERR_INPUT, "certificate: malformed keyUsage");
	}
	if ((e = key_id(X509_get0_subject_key_id(x), "subjectKeyIdentifier",
	         out->ski, &out->ski_len)) != EGCA_OK)
		return e;
	return key_id(X509_get0_authority_key_id(x),
	    "authorityKeyIdentifier keyIdentifier", out->aki, &out->aki_len);
}

/*
 * TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber,
 * signature, issuer, validity, subject, subjectPublicKeyInfo, ... }.
 * Fills the exact-bytes fields and checks that the inner signature
 * algorithm equals the outer one octet for octet (RFC 5280 4.1.1.2).
 */
static enum egca_err
tbs_walk(const struct egca_signed *s, struct egca_cert_info *out)
{
	struct egca_tlv tbs, t;
	const uint8_t *p, *end;
	struct egca_tlv f[6]; /* serial, sig, issuer, validity, subject, spki */
	size_t i;
	enum egca_err e;

	if (egca_pki_tlv_get(s->tbs, s->tbs_len, &tbs) != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "certificate: malformed TBSCertificate");
	p = tbs.val;
	end = tbs.val + tbs.len;
	if (p < end && *p == EGCA_TLV_CTX0) {
		if (egca_pki_tlv_get(p, (size_t)(end - p), &t) != 0)
			return egca_err_set(
			    EGCA_ERR_INPUT, "certificate: malformed version");
		p += t.total;
	}
	for (i = 0; i < 6; i++) {
		if (egca_pki_tlv_get(p, (size_t)(end - p), &f[i]) != 0 ||
		    f[i].tag != (i == 0 ? EGCA_TLV_INTEGER : EGCA_TLV_SEQUENCE))
			return egca_err_set(EGCA_ERR_INPUT,
			    "certificate: malformed TBSCertificate (field %zu)",
			    i + 1);
		p += f[i].total;
	}
	/* serialNumber: positive, at most 20 octets (RFC 5280 4.1.2.2). */
	if (f[0].len == 0 || f[0].len > sizeof(out->serial))
		return egca_err_set(EGCA_ERR_INPUT,
		    "certificate: serialNumber of %zu octets (RFC 5280 "
		    "4.1.2.2: at most 20)",
		    f[0].len);
	memcpy(out->serial, f[0].val, f[0].len);
	out->serial_len = f[0].len;
	if (f[1].total != s->alg_len ||
	    memcmp(f[1].start, s->alg, s->alg_len) != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "certificate: TBS signature algorithm differs from the "
		    "outer one (RFC 5280 4.1.1.2)");
	if ((e = dup_bytes(f[2].start, f[2].total, &out->issuer_der)) !=
	    EGCA_OK)
		return e;
	out->issuer_der_len = f[2].total;
	if ((e = dup_bytes(f[4].start, f[4].total, &out->subject_der)) !=
	    EGCA_OK)
		return e;
	out->subject_der_len = f[4].total;
	if ((e = dup_bytes(f[5].start, f[5].total, &out->spki_der)) != EGCA_OK)
		return e;
	out->spki_der_len = f[5].total;
	return EGCA_OK;
}

enum egca_err
egca_pki_cert_info_x509(
    const uint8_t *der, size_t len, struct egca_cert_info *out, X509 **xout)
{
	struct egca_signed s;
	const unsigned char *p = der;
	X509 *x = NULL;
	long ver;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if (xout != NULL)
		*xout = NULL;
	if (der == NULL || len == 0)
		return egca_err_set(EGCA_ERR_INPUT, "certificate: empty input");
	if (len > EGCA_PKI_CERT_MAX)
		return egca_err_set(EGCA_ERR_INPUT,
		    "certificate: larger than %zu bytes", EGCA_PKI_CERT_MAX);
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		e = egca_err_ossl(
		    EGCA_ERR_INPUT, "certificate: truncated or malformed DER");
		goto out;
	}
	if (p != der + len) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "certificate: trailing data after the certificate");
		goto out;
	}
	if (egca_pki_signed_split(der, len, &s) != 0) {
		e = egca_err_set(
		    EGCA_ERR_INPUT, "certificate: not DER (outer SEQUENCE)");
		goto out;
	}
	if ((e = tbs_walk(&s, out)) != EGCA_OK)
		goto out;
	ver = X509_get_version(x);
	if (ver < 0 || ver > 2) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "certificate: unknown version %ld", ver + 1);
		goto out;
	}
	out->version = (int)ver + 1;
	if ((e = egca_pki_name_to_text(out->issuer_der, out->issuer_der_len,
	         &out->issuer)) != EGCA_OK ||
	    (e = egca_pki_name_to_text(out->subject_der, out->subject_der_len,
	         &out->subject)) != EGCA_OK)
		goto out;
	if ((e = asn1_time(X509_get0_notBefore(x), "notBefore",
	         &out->not_before)) != EGCA_OK ||
	    (e = asn1_time(X509_get0_notAfter(x), "notAfter",
	         &out->not_after)) != EGCA_OK)
		goto out;
	/* An algorithm egca does not know is reported, not fatal here. */
	if (egca_crypto_sig_alg_parse(s.alg, s.alg_len, &out->sig_alg) !=
	    EGCA_OK)
		out->sig_alg = EGCA_SIG_NONE;
	key_classify(X509_get0_pubkey(x), &out->key_alg, &out->key_bits);
	if ((e = extensions(x, out)) != EGCA_OK)
		goto out;
	out->self_issued = out->issuer_der_len == out->subject_der_len &&
	    memcmp(out->issuer_der, out->subject_der, out->issuer_der_len) == 0;
	e = EGCA_OK;
out:
	ERR_clear_error();
	if (e != EGCA_OK) {
		egca_pki_cert_info_free(out);
		X509_free(x);
	} else if (xout != NULL) {
		*xout = x;
	} else {
		X509_free(x);
	}
	return e;
}

enum egca_err
egca_pki_cert_info(const uint8_t *der, size_t len, struct egca_cert_info *out)
{
	return egca_pki_cert_info_x509(der, len, out, NULL);
}
