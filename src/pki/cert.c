/*
 * pki/cert.c: TBSCertificate and CertificationRequestInfo building, and
 * the outer signed SEQUENCE (hot path: everything is written into the
 * caller's egca_buf by the DER writer, no OpenSSL X509 objects).
 *
 * Choices (docs/profiles.md):
 * - end-entity certificates carry no basicConstraints (RFC 5280 4.2.1.9
 *   allows it; GM/T 0015 Table A.3 permits an empty SEQUENCE, which
 *   says nothing more);
 * - a self-signed root (issuer_ski NULL) carries no AKI (GM/T 0015
 *   5.2.4: AKI is required except in self-signed certificates);
 * - extensions are written in a fixed order: basicConstraints,
 *   keyUsage, extKeyUsage, SKI, AKI, certificatePolicies, CRLDP, AIA,
 *   SIA, ocsp-nocheck, subjectAltName, GM/T 0015 identity extensions.
 *
 * What this does not check: the profile rules that lint.c checks on the
 * result (validity length, subject attributes, key algorithm).
 */
#include <arpa/inet.h>
#include <string.h>

#include "egca/pki.h"
#include "pki/der.h"

EGCA_DER_OID(oid_kp_server, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01);
EGCA_DER_OID(oid_kp_client, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02);
EGCA_DER_OID(oid_kp_code, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03);
EGCA_DER_OID(oid_kp_email, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04);
EGCA_DER_OID(oid_kp_ts, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08);
EGCA_DER_OID(oid_kp_ocsp, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09);

static const struct {
	const char *name;
	const struct egca_der_oid *oid;
} ekus[] = {
    {"serverAuth", &oid_kp_server},
    {"clientAuth", &oid_kp_client},
    {"codeSigning", &oid_kp_code},
    {"emailProtection", &oid_kp_email},
    {"timeStamping", &oid_kp_ts},
    {"OCSPSigning", &oid_kp_ocsp},
};

static const struct egca_der_oid *
eku_oid(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ekus) / sizeof(ekus[0]); i++)
		if (strcmp(ekus[i].name, name) == 0)
			return ekus[i].oid;
	return NULL;
}

/* SPKI: SEQUENCE { AlgorithmIdentifier, BIT STRING }; the key octets. */
static enum egca_err
spki_key(const uint8_t *spki, size_t len, const uint8_t **key, size_t *key_len)
{
	struct egca_der_r r, s;
	struct egca_der_tlv alg, bits;
	unsigned unused;

	egca_der_r_init(&r, spki, len);
	egca_der_enter(&r, DER_SEQUENCE, &s);
	egca_der_get(&s, DER_SEQUENCE, &alg);
	egca_der_get(&s, DER_BIT_STRING, &bits);
	if (!egca_der_r_end(&s) || !egca_der_r_end(&r) ||
	    !egca_der_tlv_bits(&bits, &unused, key, key_len) || unused != 0 ||
	    *key_len == 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "SubjectPublicKeyInfo: malformed DER");
	return EGCA_OK;
}

enum egca_err
egca_pki_spki_key_id(const uint8_t *spki, size_t spki_len, uint8_t out[20])
{
	const uint8_t *key;
	size_t key_len;
	enum egca_err e;

	if ((e = spki_key(spki, spki_len, &key, &key_len)) != EGCA_OK)
		return e;
	return egca_crypto_sha1(key, key_len, out);
}

/* One complete TLV of the given tag, nothing trailing. */
static int
one_tlv(const uint8_t *p, size_t len, uint8_t tag)
{
	struct egca_der_r r;
	struct egca_der_tlv t;

	if (p == NULL)
		return 0;
	egca_der_r_init(&r, p, len);
	return egca_der_get(&r, tag, &t) && egca_der_r_end(&r);
}

static void
ext_begin(struct egca_der_w *w, const struct egca_der_oid *oid, int critical)
{
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_put_oid(w, oid);
	if (critical)
		egca_der_put_bool(w, 1);
	egca_der_begin(w, DER_OCTET_STRING);
}

static void
ext_end(struct egca_der_w *w)
{
	egca_der_end(w);
	egca_der_end(w);
}

/* URIs go into IA5String: printable ASCII, no spaces. */
static int
uri_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 1024)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return strchr(s, ':') != NULL;
}

static void
put_uri(struct egca_der_w *w, const char *what, const char *uri)
{
	if (!uri_ok(uri)) {
		egca_der_w_fail(
		    w, EGCA_ERR_INPUT, "%s: missing or malformed URI", what);
		return;
	}
	egca_der_put_string(w, DER_CTX(6), uri, strlen(uri));
}

/* CRLDistributionPoints / freshestCRL with one fullName URI. */
static void
put_dist_point(struct egca_der_w *w, const struct egca_der_oid *oid,
    const char *what, const char *url)
{
	ext_begin(w, oid, 0);
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_begin(w, DER_SEQUENCE);    /* DistributionPoint */
	egca_der_begin(w, DER_CTX_CONS(0)); /* distributionPoint */
	egca_der_begin(w, DER_CTX_CONS(0)); /* fullName */
	put_uri(w, what, url);
	egca_der_end(w);
	egca_der_end(w);
	egca_der_end(w);
	egca_der_end(w);
	ext_end(w);
}

static void
put_key_usage(struct egca_der_w *w, unsigned ku, int critical)
{
	uint8_t b[2] = {0, 0};
	int bit, top = -1;
	size_t n;

	for (bit = 0; bit < 9; bit++)
		if (ku & (1u << bit)) {
			b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			top = bit;
		}
	ext_begin(w, &egca_oid_ext_ku, critical);
	if (top < 0)
		egca_der_put_bitstring(w, 0, NULL, 0);
	else {
		n = (size_t)top / 8 + 1;
		/* Trailing zero bits are not encoded (X.690 11.2.2). */
		egca_der_put_bitstring(w, (unsigned)(7 - top % 8), b, n);
	}
	ext_end(w);
}

static int
has_san_kind(const struct egca_profile *p, const char *kind)
{
	size_t i;

	for (i = 0; i < p->n_san; i++)
		if (strcmp(p->san[i], kind) == 0)
			return 1;
	return 0;
}

static int
dns_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		        (c == '*' && i == 0 && s[1] == '.')))
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return uri_ok(s) ||
	    (at != NULL && at != s && at[1] != '\0' &&
	        strchr(at + 1, '@') == NULL && strlen(s) <= 255 &&
	        dns_ok(at + 1));
}

static void
put_san(struct egca_der_w *w, const struct egca_cert_template *t)
{
	const struct egca_profile *p = t->profile;
	size_t i;
	uint8_t ip[16];

	if (t->n_san_dns > 0 && !has_san_kind(p, "dns"))
		egca_der_w_fail(w, EGCA_ERR_POLICY,
		    "profile %s does not allow dNSName", p->name);
	if (t->n_san_email > 0 && !has_san_kind(p, "email"))
		egca_der_w_fail(w, EGCA_ERR_POLICY,
		    "profile %s does not allow rfc822Name", p->name);
	if (t->n_san_ip > 0 && !has_san_kind(p, "ip"))
		egca_der_w_fail(w, EGCA_ERR_POLICY,
		    "profile %s does not allow iPAddress", p->name);
	/* RFC 5280 4.2.1.6: critical when the subject is empty. */
	ext_begin(w, &egca_oid_ext_san, t->subject_len == 2);
	egca_der_begin(w, DER_SEQUENCE);
	for (i = 0; i < t->n_san_email; i++) {
		const char *s = t->san_email[i];

		if (s == NULL || strchr(s, '@') == NULL || !email_ok(s)) {
			egca_der_w_fail(w, EGCA_ERR_INPUT,
			    "subjectAltName: bad email address %zu", i + 1);
			break;
		}
		egca_der_put_string(w, DER_CTX(1), s, strlen(s));
	}
	for (i = 0; i < t->n_san_dns; i++) {
		const char *s = t->san_dns[i];

		if (s == NULL || !dns_ok(s)) {
			egca_der_w_fail(w, EGCA_ERR_INPUT,
			    "subjectAltName: bad DNS name %zu", i + 1);
			break;
		}
		egca_der_put_string(w, DER_CTX(2), s, strlen(s));
	}
	for (i = 0; i < t->n_san_ip; i++) {
		const char *s = t->san_ip[i];

		if (s != NULL && inet_pton(AF_INET, s, ip) == 1)
			egca_der_put_tlv(w, DER_CTX(7), ip, 4);
		else if (s != NULL && inet_pton(AF_INET6, s, ip) == 1)
			egca_der_put_tlv(w, DER_CTX(7), ip, 16);
		else {
			egca_der_w_fail(w, EGCA_ERR_INPUT,
			    "subjectAltName: bad IP address %zu", i + 1);
			break;
		}
	}
	egca_der_end(w);
	ext_end(w);
}

static void
put_extensions(struct egca_der_w *w, const struct egca_cert_template *t,
    const uint8_t ski[20])
{
	const struct egca_profile *p = t->profile;
	int is_ca =
	    p->kind == EGCA_PROFILE_ROOT || p->kind == EGCA_PROFILE_SUBCA;
	size_t i, n;
	uint8_t oid[64];
	struct egca_der_oid o;
	enum egca_err e;

	egca_der_begin(w, DER_CTX_CONS(3));
	egca_der_begin(w, DER_SEQUENCE);

	if (is_ca) {
		ext_begin(w, &egca_oid_ext_bc, 1);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_put_bool(w, 1);
		if (p->path_len >= 0)
			egca_der_put_small_int(w, p->path_len);
		egca_der_end(w);
		ext_end(w);
	}

	put_key_usage(w, p->key_usage, p->key_usage_critical);

	if (p->n_eku > 0) {
		ext_begin(w, &egca_oid_ext_eku, 0);
		egca_der_begin(w, DER_SEQUENCE);
		for (i = 0; i < p->n_eku; i++) {
			const struct egca_der_oid *eo = eku_oid(p->eku[i]);

			if (eo == NULL) {
				egca_der_w_fail(w, EGCA_ERR_INPUT,
				    "profile %s: unknown extended key usage "
				    "%s",
				    p->name, p->eku[i]);
				break;
			}
			egca_der_put_oid(w, eo);
		}
		egca_der_end(w);
		ext_end(w);
	}

	ext_begin(w, &egca_oid_ext_ski, 0);
	egca_der_put_octet(w, ski, 20);
	ext_end(w);

	if (t->issuer_ski != NULL) {
		ext_begin(w, &egca_oid_ext_aki, 0);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_put_tlv(
		    w, DER_CTX(0), t->issuer_ski, t->issuer_ski_len);
		egca_der_end(w);
		ext_end(w);
	}

	if (p->n_policies > 0) {
		ext_begin(w, &egca_oid_ext_policies, 0);
		egca_der_begin(w, DER_SEQUENCE);
		for (i = 0; i < p->n_policies; i++) {
			/* Cheap (tens of ns); profiles hold dotted text. */
			e = egca_der_oid_from_text(
			    p->policies[i], oid, sizeof(oid), &n);
			if (e != EGCA_OK) {
				egca_der_w_fail(w, e, "profile %s: policy %s",
				    p->name, egca_err_detail());
				break;
			}
			o.der = oid;
			o.len = n;
			egca_der_begin(w, DER_SEQUENCE);
			egca_der_put_oid(w, &o);
			egca_der_end(w);
		}
		egca_der_end(w);
		ext_end(w);
	}

	if (p->crl_dp)
		put_dist_point(w, &egca_oid_ext_crldp, "cRLDistributionPoints",
		    t->crl_url);
	/* freshestCRL: where the delta CRLs are (RFC 5280 4.2.1.15). */
	if (p->crl_dp && t->freshest_crl_url != NULL)
		put_dist_point(w, &egca_oid_ext_freshest_crl, "freshestCRL",
		    t->freshest_crl_url);

	if (p->aia) {
		ext_begin(w, &egca_oid_ext_aia, 0);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_put_oid(w, &egca_oid_ad_ocsp);
		put_uri(w, "authorityInfoAccess OCSP", t->ocsp_url);
		egca_der_end(w);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_put_oid(w, &egca_oid_ad_ca_issuers);
		put_uri(w, "authorityInfoAccess caIssuers", t->ca_issuers_url);
		egca_der_end(w);
		egca_der_end(w);
		ext_end(w);
	}

	/*
	 * SIA only when a repository is configured: it tells relying
	 * parties where to find what this CA issued, and a CA without a
	 * published repository has nothing to point to.
	 */
	if (p->sia && t->ca_repository_url != NULL) {
		ext_begin(w, &egca_oid_ext_sia, 0);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_put_oid(w, &egca_oid_ad_ca_repository);
		put_uri(
		    w, "subjectInfoAccess caRepository", t->ca_repository_url);
		egca_der_end(w);
		egca_der_end(w);
		ext_end(w);
	}

	if (p->ocsp_nocheck) {
		ext_begin(w, &egca_oid_ext_ocsp_nocheck, 0);
		egca_der_put_null(w);
		ext_end(w);
	}

	if (t->n_san_dns + t->n_san_email + t->n_san_ip > 0)
		put_san(w, t);

	if (w->err == EGCA_OK && p->identity_ext != EGCA_IDEXT_NONE &&
	    t->identity != NULL) {
		e = egca_pki_identity_extensions(
		    t->identity, p->identity_ext, w->b);
		if (e != EGCA_OK)
			w->err = e;
	}

	egca_der_end(w);
	egca_der_end(w);
}

enum egca_err
egca_pki_cert_build_tbs(
    const struct egca_cert_template *t, struct egca_buf *out)
{
	struct egca_der_w w;
	const uint8_t *alg;
	size_t alg_len, start = out->len, n;
	uint8_t ski[20];
	enum egca_err e;

	if (t == NULL || t->profile == NULL)
		return egca_err_set(EGCA_ERR_INTERNAL, "TBS: no profile");
	n = t->serial_len;
	while (n > 0 && t->serial != NULL && t->serial[t->serial_len - n] == 0)
		n--;
	if (t->serial == NULL || n == 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "TBS: serial number must be positive (RFC 5280 4.1.2.2)");
	if (n + ((t->serial[t->serial_len - n] & 0x80) != 0) > 20)
		return egca_err_set(EGCA_ERR_INPUT,
		    "TBS: serial number longer than 20 octets "
		    "(RFC 5280 4.1.2.2)");
	if ((alg = egca_crypto_sig_alg_der(t->sig_alg, &alg_len)) == NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "TBS: unknown signature algorithm");
	if (!one_tlv(t->issuer, t->issuer_len, DER_SEQUENCE))
		return egca_err_set(EGCA_ERR_INPUT, "TBS: malformed issuer");
	if (!one_tlv(t->subject, t->subject_len, DER_SEQUENCE))
		return egca_err_set(EGCA_ERR_INPUT, "TBS: malformed subject");
	if (t->not_after <= t->not_before)
		return egca_err_set(
		    EGCA_ERR_INPUT, "TBS: notAfter must be after notBefore");
	if (t->issuer_ski != NULL &&
	    (t->issuer_ski_len == 0 || t->issuer_ski_len > 64))
		return egca_err_set(EGCA_ERR_INPUT,
		    "TBS: issuer key identifier of %zu octets",
		    t->issuer_ski_len);
	if ((e = egca_pki_spki_key_id(t->spki, t->spki_len, ski)) != EGCA_OK)
		return e;

	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_begin(&w, DER_CTX_CONS(0));
	egca_der_put_small_int(&w, 2);
	egca_der_end(&w);
	egca_der_put_uint(&w, t->serial, t->serial_len);
	egca_der_put_raw(&w, alg, alg_len);
	egca_der_put_raw(&w, t->issuer, t->issuer_len);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_time(&w, t->not_before);
	egca_der_put_time(&w, t->not_after);
	egca_der_end(&w);
	egca_der_put_raw(&w, t->subject, t->subject_len);
	egca_der_put_raw(&w, t->spki, t->spki_len);
	put_extensions(&w, t, ski);
	egca_der_end(&w);
	if ((e = egca_der_w_finish(&w)) != EGCA_OK)
		out->len = start;
	return e;
}

enum egca_err
egca_pki_csr_build_tbs(const uint8_t *subject, size_t subject_len,
    const uint8_t *spki, size_t spki_len, struct egca_buf *out)
{
	struct egca_der_w w;
	const uint8_t *key;
	size_t key_len, start = out->len;
	enum egca_err e;

	if (!one_tlv(subject, subject_len, DER_SEQUENCE))
		return egca_err_set(EGCA_ERR_INPUT, "CSR: malformed subject");
	if ((e = spki_key(spki, spki_len, &key, &key_len)) != EGCA_OK)
		return e;
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_small_int(&w, 0);
	egca_der_put_raw(&w, subject, subject_len);
	egca_der_put_raw(&w, spki, spki_len);
	egca_der_begin(&w, DER_CTX_CONS(0)); /* attributes: empty SET */
	egca_der_end(&w);
	egca_der_end(&w);
	if ((e = egca_der_w_finish(&w)) != EGCA_OK)
		out->len = start;
	return e;
}

enum egca_err
egca_pki_signed_assemble(const uint8_t *tbs, size_t tbs_len,
    enum egca_sig_alg alg, const uint8_t *sig, size_t sig_len,
    struct egca_buf *out)
{
	struct egca_der_w w;
	const uint8_t *a;
	size_t a_len, start = out->len;
	enum egca_err e;

	if (!one_tlv(tbs, tbs_len, DER_SEQUENCE))
		return egca_err_set(EGCA_ERR_INPUT, "signed: malformed TBS");
	if ((a = egca_crypto_sig_alg_der(alg, &a_len)) == NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "signed: unknown signature algorithm");
	if (sig == NULL || sig_len == 0)
		return egca_err_set(EGCA_ERR_INPUT, "signed: no signature");
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_raw(&w, tbs, tbs_len);
	egca_der_put_raw(&w, a, a_len);
	egca_der_put_bitstring(&w, 0, sig, sig_len);
	egca_der_end(&w);
	if ((e = egca_der_w_finish(&w)) != EGCA_OK)
		out->len = start;
	return e;
}
