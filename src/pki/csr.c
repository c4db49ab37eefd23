/*
 * PKCS#10 certification requests from applicants (include/egca/pki.h).
 * OpenSSL's template (d2i_X509_REQ) checks the structure; the subject
 * and public key are then taken as the exact octets received, and the
 * signature is verified over the exact CertificationRequestInfo octets
 * with the SM2 user ID EGCA_SM2_ID (gm-standards.md §5.1, §5.3).
 *
 * What this does not check: whether the subject or key suit a profile
 * (ra/, ca/, lint.c); attributes beyond their syntax (egca ignores
 * challengePassword and extensionRequest: the profile decides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "egca/crypto.h"
#include "egca/pki.h"
#include "pki/signed.h"

/* PEM is ~4/3 of the DER plus line breaks and surrounding text. */
#define CSR_INPUT_MAX (EGCA_PKI_CSR_MAX * 2)

static const char pem_csr[] = "-----BEGIN CERTIFICATE REQUEST-----";
static const char pem_new_csr[] = "-----BEGIN NEW CERTIFICATE REQUEST-----";

void
egca_pki_csr_free(struct egca_csr *csr)
{
	if (csr == NULL)
		return;
	EVP_PKEY_free(csr->pubkey);
	free(csr->der);
	free(csr);
}

static int
contains(const uint8_t *in, size_t len, const char *s)
{
	return memmem(in, len, s, strlen(s)) != NULL;
}

/* Names the CSR in a PEM decoding error. */
static enum egca_err
pem_fail(enum egca_err e)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", egca_err_detail());
	return egca_err_set(e, "CSR: %s", why);
}

/* The one DER request in in (PEM under either label, or DER). */
static enum egca_err
csr_der(const uint8_t *in, size_t len, struct egca_der_list *l)
{
	enum egca_err e;
	int a, b;

	if (!contains(in, len, "-----BEGIN "))
		return egca_der_list_add(l, in, len);
	a = contains(in, len, pem_csr);
	b = contains(in, len, pem_new_csr);
	if (!a && !b)
		return egca_err_set(
		    EGCA_ERR_INPUT, "CSR: no CERTIFICATE REQUEST PEM block");
	if (a &&
	    (e = egca_pki_pem_decode(in, len, "CERTIFICATE REQUEST", l)) !=
	        EGCA_OK)
		return pem_fail(e);
	if (b &&
	    (e = egca_pki_pem_decode(in, len, "NEW CERTIFICATE REQUEST", l)) !=
	        EGCA_OK)
		return pem_fail(e);
	if (l->n != 1)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CSR: %zu requests in the input, exactly one expected",
		    l->n);
	return EGCA_OK;
}

/*
 * CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) },
 * subject Name, subjectPKInfo, attributes [0] }.
 */
static enum egca_err
cri_walk(const struct egca_signed *s, struct egca_csr *csr)
{
	struct egca_tlv cri, ver, subj, spki;
	const uint8_t *p, *end;

	if (egca_pki_tlv_get(s->tbs, s->tbs_len, &cri) != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "CSR: truncated or malformed DER");
	p = cri.val;
	end = cri.val + cri.len;
	if (egca_pki_tlv_get(p, (size_t)(end - p), &ver) != 0 ||
	    ver.tag != EGCA_TLV_INTEGER)
		return egca_err_set(EGCA_ERR_INPUT, "CSR: malformed version");
	if (ver.len != 1 || ver.val[0] != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CSR: version must be 0 (PKCS#10 v1, RFC 2986 4.1)");
	p += ver.total;
	if (egca_pki_tlv_get(p, (size_t)(end - p), &subj) != 0 ||
	    subj.tag != EGCA_TLV_SEQUENCE)
		return egca_err_set(EGCA_ERR_INPUT, "CSR: malformed subject");
	p += subj.total;
	if (egca_pki_tlv_get(p, (size_t)(end - p), &spki) != 0 ||
	    spki.tag != EGCA_TLV_SEQUENCE)
		return egca_err_set(
		    EGCA_ERR_INPUT, "CSR: malformed subjectPublicKeyInfo");
	csr->subject = subj.start;
	csr->subject_len = subj.total;
	csr->spki = spki.start;
	csr->spki_len = spki.total;
	return EGCA_OK;
}

/* Re-sets the error detail with a prefix (the detail is overwritten). */
static enum egca_err
prefix(enum egca_err e, const char *what)
{
	char d[512];

	snprintf(d, sizeof(d), "%s", egca_err_detail());
	return egca_err_set(e, "%s: %s", what, d);
}

enum egca_err
egca_pki_csr_parse(const uint8_t *in, size_t len, struct egca_csr **out)
{
	struct egca_der_list l = {0};
	struct egca_csr *csr = NULL;
	struct egca_signed s;
	const unsigned char *p;
	X509_REQ *req = NULL;
	enum egca_err e;

	*out = NULL;
	if (in == NULL || len == 0)
		return egca_err_set(EGCA_ERR_INPUT, "CSR: empty input");
	if (len > CSR_INPUT_MAX)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CSR: input larger than %zu bytes", CSR_INPUT_MAX);
	if ((e = csr_der(in, len, &l)) != EGCA_OK)
		goto out;
	if (l.len[0] > EGCA_PKI_CSR_MAX) {
		e = egca_err_set(EGCA_ERR_INPUT, "CSR: larger than %zu bytes",
		    EGCA_PKI_CSR_MAX);
		goto out;
	}
	if ((csr = calloc(1, sizeof(*csr))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Take the decoded copy: the pointers below point into it. */
	csr->der = l.der[0];
	csr->der_len = l.len[0];
	l.der[0] = NULL;

	p = csr->der;
	if ((req = d2i_X509_REQ(NULL, &p, (long)csr->der_len)) == NULL) {
		e = egca_err_ossl(
		    EGCA_ERR_INPUT, "CSR: truncated or malformed DER");
		goto out;
	}
	if (p != csr->der + csr->der_len) {
		e = egca_err_set(
		    EGCA_ERR_INPUT, "CSR: trailing data after the request");
		goto out;
	}
	if (egca_pki_signed_split(csr->der, csr->der_len, &s) != 0) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "CSR: not DER (indefinite or non-minimal length, or "
		    "unused bits in the signature)");
		goto out;
	}
	if ((e = cri_walk(&s, csr)) != EGCA_OK)
		goto out;
	if (X509_REQ_get_version(req) != 0) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "CSR: version must be 0 (PKCS#10 v1, RFC 2986 4.1)");
		goto out;
	}
	if ((csr->pubkey = X509_REQ_get_pubkey(req)) == NULL) {
		e = egca_err_ossl(
		    EGCA_ERR_INPUT, "CSR: unsupported or malformed public key");
		goto out;
	}
	/* The key policy first: a refused key is refused, signed or not. */
	if ((e = egca_crypto_key_check(
	         csr->pubkey, &csr->key_alg, &csr->key_bits)) != EGCA_OK)
		goto out;
	e = egca_pki_verify_signed(csr->der, csr->der_len, csr->pubkey);
	if (e == EGCA_ERR_AUTH) {
		e = csr->key_alg == EGCA_KEY_SM2
		    ? egca_err_set(EGCA_ERR_AUTH,
		          "CSR signature does not verify (SM2 user ID %s)",
		          EGCA_SM2_ID)
		    : egca_err_set(
		          EGCA_ERR_AUTH, "CSR signature does not verify");
		goto out;
	}
	if (e != EGCA_OK) {
		e = prefix(e, "CSR signature");
		goto out;
	}
	if ((e = egca_pki_name_check(csr->subject, csr->subject_len)) !=
	    EGCA_OK) {
		e = prefix(e, "CSR subject");
		goto out;
	}
	*out = csr;
	csr = NULL;
out:
	ERR_clear_error();
	X509_REQ_free(req);
	egca_pki_csr_free(csr);
	egca_der_list_free(&l);
	return e;
}
