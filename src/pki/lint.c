/*
 * pki/lint.c: named rules over DER TBSCertificate bytes (docs/lint.md).
 *
 * The TBS is parsed again here with the strict DER reader: lint does
 * not trust the builder. Every rule runs; the first failure goes into
 * the result and the error detail, with the clause it enforces.
 *
 * What this does not check: the outer signature (chain.c), uniqueness
 * of the serial (store/), and the contents of the policy OIDs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/pki.h"
#include "pki/der.h"

#define MAX_EXT 32
#define DAY 86400
#define GMT0015_MAX_DAYS 3653

EGCA_DER_OID(oid_name_constraints, 0x55, 0x1d, 0x1e);
EGCA_DER_OID(oid_policy_constraints, 0x55, 0x1d, 0x24);
EGCA_DER_OID(oid_inhibit_any, 0x55, 0x1d, 0x36);
/* 1.2.156.10260.4: the GM/T 0015 identity arc */
static const uint8_t gm_id_arc[] = {0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04};

struct ext {
	struct egca_der_tlv oid;
	int critical;
	const uint8_t *val;
	size_t val_len;
};

struct tbs {
	int64_t version;
	struct egca_der_tlv serial, sigalg, issuer, subject, spki, nb, na;
	int64_t not_before, not_after;
	int times_ok;
	struct ext ext[MAX_EXT];
	size_t n_ext;
};

struct ctx {
	const struct egca_profile *p;
	enum egca_sig_alg expected;
	struct tbs t;
	int is_ca, is_ee;
	char msg[256];
};

/* Returns 0 when the rule passes, else 1 with ctx->msg set. */
typedef int (*rule_fn)(struct ctx *c);

static int fail(struct ctx *c, const char *fmt, ...) EGCA_PRINTF(2, 3);

static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return 1;
}

static int
parse_tbs(const uint8_t *der, size_t len, struct tbs *t)
{
	struct egca_der_r r, s, v, val, exts, e;
	struct egca_der_tlv tlv, crit;
	struct ext *x;

	memset(t, 0, sizeof(*t));
	egca_der_r_init(&r, der, len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &s) || !egca_der_r_end(&r))
		return 0;
	if (egca_der_peek(&s) == DER_CTX_CONS(0)) {
		egca_der_enter(&s, DER_CTX_CONS(0), &v);
		if (!egca_der_get(&v, DER_INTEGER, &tlv) ||
		    !egca_der_tlv_small_int(&tlv, &t->version) ||
		    !egca_der_r_end(&v))
			return 0;
	}
	egca_der_get(&s, DER_INTEGER, &t->serial);
	egca_der_get(&s, DER_SEQUENCE, &t->sigalg);
	egca_der_get(&s, DER_SEQUENCE, &t->issuer);
	egca_der_enter(&s, DER_SEQUENCE, &val);
	egca_der_get_any(&val, &t->nb);
	egca_der_get_any(&val, &t->na);
	if (!egca_der_r_end(&val))
		return 0;
	t->times_ok = egca_der_tlv_time(&t->nb, &t->not_before) &&
	    egca_der_tlv_time(&t->na, &t->not_after);
	egca_der_get(&s, DER_SEQUENCE, &t->subject);
	egca_der_get(&s, DER_SEQUENCE, &t->spki);
	egca_der_get_opt(&s, DER_CTX(1), &tlv); /* issuerUniqueID */
	egca_der_get_opt(&s, DER_CTX(2), &tlv); /* subjectUniqueID */
	if (egca_der_peek(&s) == DER_CTX_CONS(3)) {
		egca_der_enter(&s, DER_CTX_CONS(3), &v);
		if (!egca_der_enter(&v, DER_SEQUENCE, &exts) ||
		    !egca_der_r_end(&v) || egca_der_peek(&exts) < 0)
			return 0;
		while (egca_der_peek(&exts) >= 0) {
			if (t->n_ext == MAX_EXT)
				return 0;
			x = &t->ext[t->n_ext++];
			if (!egca_der_enter(&exts, DER_SEQUENCE, &e) ||
			    !egca_der_get(&e, DER_OID, &x->oid))
				return 0;
			x->critical = 0;
			if (egca_der_get_opt(&e, DER_BOOLEAN, &crit)) {
				/* DER: DEFAULT FALSE is never encoded. */
				if (!egca_der_tlv_bool(&crit, &x->critical) ||
				    !x->critical)
					return 0;
			}
			if (!egca_der_get(&e, DER_OCTET_STRING, &tlv) ||
			    !egca_der_r_end(&e))
				return 0;
			x->val = tlv.val;
			x->val_len = tlv.len;
		}
		if (!egca_der_r_end(&exts))
			return 0;
	}
	return egca_der_r_end(&s);
}

static const struct ext *
find(const struct ctx *c, const struct egca_der_oid *oid)
{
	size_t i;

	for (i = 0; i < c->t.n_ext; i++)
		if (egca_der_oid_eq(&c->t.ext[i].oid, oid))
			return &c->t.ext[i];
	return NULL;
}

/* keyUsage bits (enum egca_key_usage) or -1 when malformed/absent. */
static int
key_usage(const struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_ku);
	struct egca_der_r r;
	struct egca_der_tlv t;
	unsigned unused, ku = 0;
	const uint8_t *p;
	size_t n, i;

	if (x == NULL)
		return -1;
	egca_der_r_init(&r, x->val, x->val_len);
	if (!egca_der_get(&r, DER_BIT_STRING, &t) || !egca_der_r_end(&r) ||
	    !egca_der_tlv_bits(&t, &unused, &p, &n) || n > 2)
		return -1;
	/* DER (X.690 11.2.2): no trailing zero bits in a named bit list. */
	if (n > 0 && (p[n - 1] & (1u << unused)) == 0)
		return -1;
	for (i = 0; i < n * 8 && i < 9; i++)
		if (p[i / 8] & (0x80 >> (i % 8)))
			ku |= 1u << i;
	return (int)ku;
}

/* ---------------------------------------------------------------- */
/* Rules                                                             */

static int
r_version(struct ctx *c)
{
	if (c->t.version != 2)
		return fail(c,
		    "RFC 5280 4.1.2.1: version must be v3 (2), found %lld",
		    (long long)c->t.version);
	return 0;
}

static int
r_serial_positive(struct ctx *c)
{
	int neg;
	size_t i;

	if (!egca_der_tlv_int_ok(&c->t.serial, &neg) || neg)
		return fail(c,
		    "RFC 5280 4.1.2.2: serial number must be a "
		    "positive INTEGER");
	for (i = 0; i < c->t.serial.len; i++)
		if (c->t.serial.val[i] != 0)
			return 0;
	return fail(c, "RFC 5280 4.1.2.2: serial number must not be zero");
}

static int
r_serial_max(struct ctx *c)
{
	if (c->t.serial.len > 20)
		return fail(c,
		    "RFC 5280 4.1.2.2: serial number of %zu octets (max 20)",
		    c->t.serial.len);
	return 0;
}

static int
r_serial_min(struct ctx *c)
{
	if (c->t.serial.len < 4)
		return fail(c,
		    "GM/T 0015 5.2.2 (GmSSL x509_cert_check): serial number "
		    "of %zu octets (min 4)",
		    c->t.serial.len);
	return 0;
}

static int
r_sig_alg_match(struct ctx *c)
{
	enum egca_sig_alg alg;
	const uint8_t *want;
	size_t want_len;

	if (egca_crypto_sig_alg_parse(
	        c->t.sigalg.raw, c->t.sigalg.raw_len, &alg) != EGCA_OK)
		return fail(c, "RFC 5280 4.1.2.3: unknown signature algorithm");
	if (c->expected != EGCA_SIG_NONE && alg != c->expected)
		return fail(c,
		    "RFC 5280 4.1.2.3: signature is %s, the issuer signs "
		    "with %s",
		    egca_crypto_sig_alg_name(alg),
		    egca_crypto_sig_alg_name(c->expected));
	want = egca_crypto_sig_alg_der(alg, &want_len);
	if (want == NULL || want_len != c->t.sigalg.raw_len ||
	    memcmp(want, c->t.sigalg.raw, want_len) != 0)
		return fail(c,
		    "RFC 5280 4.1.2.3: signature AlgorithmIdentifier is not "
		    "the form egca signs with (and writes outside)");
	return 0;
}

static int
r_sm2_no_params(struct ctx *c)
{
	struct egca_der_r r;
	struct egca_der_tlv oid;

	egca_der_r_init(&r, c->t.sigalg.val, c->t.sigalg.len);
	if (!egca_der_get(&r, DER_OID, &oid) ||
	    !egca_der_oid_eq(&oid, &egca_oid_sm2_sm3))
		return 0;
	if (!egca_der_r_end(&r))
		return fail(c,
		    "GM/T 0015 Annex C: SM2-with-SM3 "
		    "AlgorithmIdentifier carries no parameters");
	return 0;
}

static int
r_validity_order(struct ctx *c)
{
	if (!c->t.times_ok)
		return 0; /* r_time_encoding reports it */
	if (c->t.not_after <= c->t.not_before)
		return fail(c,
		    "RFC 5280 4.1.2.5: notAfter must be after "
		    "notBefore");
	return 0;
}

static int
time_form_ok(const struct egca_der_tlv *t, int64_t v)
{
	/* 2050-01-01T00:00:00Z */
	return (v < 2524608000LL) == (t->tag == DER_UTCTIME);
}

static int
r_time_encoding(struct ctx *c)
{
	if (!c->t.times_ok)
		return fail(c,
		    "RFC 5280 4.1.2.5: validity times must be "
		    "YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ");
	if (!time_form_ok(&c->t.nb, c->t.not_before) ||
	    !time_form_ok(&c->t.na, c->t.not_after))
		return fail(c,
		    "RFC 5280 4.1.2.5: UTCTime through 2049, "
		    "GeneralizedTime from 2050");
	return 0;
}

static int
r_validity_3653(struct ctx *c)
{
	if (c->t.times_ok &&
	    c->t.not_after - c->t.not_before > (int64_t)GMT0015_MAX_DAYS * DAY)
		return fail(c,
		    "GM/T 0015 5.2 (GmSSL X509_VALIDITY_MAX_DAYS): validity "
		    "longer than %d days",
		    GMT0015_MAX_DAYS);
	return 0;
}

static int
r_profile_validity(struct ctx *c)
{
	if (c->t.times_ok &&
	    c->t.not_after - c->t.not_before >
	        (int64_t)c->p->max_validity_days * DAY)
		return fail(c,
		    "profile %s: validity longer than max_validity_days %d",
		    c->p->name, c->p->max_validity_days);
	return 0;
}

static int
r_issuer_nonempty(struct ctx *c)
{
	if (c->t.issuer.len == 0)
		return fail(c, "RFC 5280 4.1.2.4: issuer must be non-empty");
	return 0;
}

static int
r_subject_attrs(struct ctx *c)
{
	size_t i;
	char *v;
	enum egca_err e;

	if (c->is_ca && c->t.subject.len == 0)
		return fail(c, "GM/T 0015 5.2.3: a CA subject is non-empty");
	if (egca_pki_name_check(c->t.subject.raw, c->t.subject.raw_len) !=
	    EGCA_OK)
		return fail(
		    c, "GM/T 0015 5.2.3: subject: %s", egca_err_detail());
	for (i = 0; i < c->p->n_required_subject; i++) {
		e = egca_pki_name_get(c->t.subject.raw, c->t.subject.raw_len,
		    c->p->required_subject[i], &v);
		if (e != EGCA_OK || v == NULL)
			return fail(c,
			    "GM/T 0015 5.2.3: profile %s requires subject "
			    "attribute %s",
			    c->p->name, c->p->required_subject[i]);
		free(v);
	}
	return 0;
}

static int
r_ext_duplicate(struct ctx *c)
{
	size_t i, j;
	char oid[96];

	for (i = 0; i < c->t.n_ext; i++)
		for (j = 0; j < i; j++)
			if (c->t.ext[i].oid.len == c->t.ext[j].oid.len &&
			    memcmp(c->t.ext[i].oid.val, c->t.ext[j].oid.val,
			        c->t.ext[i].oid.len) == 0) {
				if (!egca_der_oid_to_text(c->t.ext[i].oid.val,
				        c->t.ext[i].oid.len, oid, sizeof(oid)))
					snprintf(oid, sizeof(oid), "?");
				return fail(c,
				    "RFC 5280 4.2: extension %s appears twice",
				    oid);
			}
	return 0;
}

static int
r_ku_present(struct ctx *c)
{
	if (find(c, &egca_oid_ext_ku) == NULL)
		return fail(c, "GM/T 0015 Annex C: keyUsage must be present");
	if (key_usage(c) < 0)
		return fail(c, "RFC 5280 4.2.1.3: keyUsage is malformed DER");
	return 0;
}

static int
r_ku_critical(struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_ku);

	if (x != NULL && !x->critical)
		return fail(c, "GM/T 0015 5.2.4: keyUsage must be critical");
	return 0;
}

#define KU_SIGN (EGCA_KU_DIGITAL_SIGNATURE | EGCA_KU_NON_REPUDIATION)
#define KU_ENC                                                                 \
	(EGCA_KU_KEY_ENCIPHERMENT | EGCA_KU_DATA_ENCIPHERMENT |                \
	    EGCA_KU_KEY_AGREEMENT | EGCA_KU_ENCIPHER_ONLY |                    \
	    EGCA_KU_DECIPHER_ONLY)
#define KU_CA (EGCA_KU_KEY_CERT_SIGN | EGCA_KU_CRL_SIGN)

static int
r_ku_sign_bits(struct ctx *c)
{
	int ku = key_usage(c);

	if (!c->is_ee || ku < 0)
		return 0;
	if (strcmp(c->p->usage, "sign") == 0 &&
	    (((unsigned)ku & ~(unsigned)KU_SIGN) != 0 ||
	        !(ku & EGCA_KU_DIGITAL_SIGNATURE)))
		return fail(c,
		    "GM/T 0015 Annex C table C.3: a signature "
		    "certificate has digitalSignature (and "
		    "nonRepudiation) only");
	if ((ku & KU_SIGN) && (ku & KU_ENC))
		return fail(c,
		    "GM/T 0015 Annex C: signature and encryption "
		    "bits must not be mixed in one certificate");
	return 0;
}

static int
r_ku_enc_bits(struct ctx *c)
{
	int ku = key_usage(c);

	if (!c->is_ee || ku < 0 || strcmp(c->p->usage, "enc") != 0)
		return 0;
	if (((unsigned)ku & ~(unsigned)KU_ENC) != 0 ||
	    !(ku & EGCA_KU_KEY_ENCIPHERMENT))
		return fail(c,
		    "GM/T 0015 Annex C table C.4: an encryption "
		    "certificate has keyEncipherment, "
		    "dataEncipherment, keyAgreement only");
	return 0;
}

static int
r_profile_ku(struct ctx *c)
{
	int ku = key_usage(c);

	if (ku >= 0 && (unsigned)ku != c->p->key_usage)
		return fail(c, "profile %s: keyUsage differs from the profile",
		    c->p->name);
	return 0;
}

/* basicConstraints: 1 parsed (ca, pathlen), 0 absent, -1 malformed. */
static int
basic_constraints(const struct ctx *c, int *ca, const struct ext **xp)
{
	const struct ext *x = find(c, &egca_oid_ext_bc);
	struct egca_der_r r, s;
	struct egca_der_tlv t;
	int64_t pl;

	*ca = 0;
	*xp = x;
	if (x == NULL)
		return 0;
	egca_der_r_init(&r, x->val, x->val_len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &s) || !egca_der_r_end(&r))
		return -1;
	if (egca_der_get_opt(&s, DER_BOOLEAN, &t) &&
	    (!egca_der_tlv_bool(&t, ca) || !*ca))
		return -1;
	if (egca_der_get_opt(&s, DER_INTEGER, &t) &&
	    (!egca_der_tlv_small_int(&t, &pl) || pl < 0 || !*ca))
		return -1;
	return egca_der_r_end(&s) ? 1 : -1;
}

static int
r_ca_bc_critical(struct ctx *c)
{
	int ca, rc;
	const struct ext *x;

	rc = basic_constraints(c, &ca, &x);
	if (rc < 0)
		return fail(c,
		    "RFC 5280 4.2.1.9: basicConstraints is "
		    "malformed DER");
	if (c->is_ca && (rc == 0 || !ca || !x->critical))
		return fail(c,
		    "GM/T 0015 Annex C, RFC 5280 4.2.1.9: CA "
		    "certificates carry a critical "
		    "basicConstraints with cA TRUE");
	return 0;
}

static int
r_ca_keycertsign(struct ctx *c)
{
	int ku = key_usage(c);

	if (c->is_ca && (ku < 0 || !(ku & EGCA_KU_KEY_CERT_SIGN)))
		return fail(c,
		    "RFC 5280 4.2.1.3: CA certificates assert "
		    "keyCertSign");
	return 0;
}

static int
r_ee_no_keycertsign(struct ctx *c)
{
	int ku = key_usage(c), ca;
	const struct ext *x;

	if (c->is_ca)
		return 0;
	if (ku >= 0 && (ku & KU_CA))
		return fail(c,
		    "RFC 5280 4.2.1.3: keyCertSign and cRLSign "
		    "only in CA certificates");
	if (basic_constraints(c, &ca, &x) > 0 && ca)
		return fail(c,
		    "RFC 5280 4.2.1.9: cA TRUE outside a CA "
		    "profile");
	return 0;
}

static int
r_ski_present(struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_ski);
	struct egca_der_r r;
	struct egca_der_tlv t;

	if (x == NULL)
		return fail(c,
		    "GM/T 0015 5.2.4: subjectKeyIdentifier must be "
		    "present");
	egca_der_r_init(&r, x->val, x->val_len);
	if (x->critical || !egca_der_get(&r, DER_OCTET_STRING, &t) ||
	    !egca_der_r_end(&r) || t.len == 0)
		return fail(c,
		    "RFC 5280 4.2.1.2: subjectKeyIdentifier must "
		    "be a non-critical, non-empty OCTET STRING");
	return 0;
}

static int
r_aki_present(struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_aki);
	struct egca_der_r r, s;
	struct egca_der_tlv t;

	if (x == NULL) {
		if (c->p->kind == EGCA_PROFILE_ROOT)
			return 0;
		return fail(c,
		    "GM/T 0015 5.2.4: authorityKeyIdentifier is "
		    "required except in self-signed certificates");
	}
	egca_der_r_init(&r, x->val, x->val_len);
	if (x->critical || !egca_der_enter(&r, DER_SEQUENCE, &s) ||
	    !egca_der_r_end(&r) || !egca_der_get(&s, DER_CTX(0), &t) ||
	    t.len == 0)
		return fail(c,
		    "GM/T 0015 5.2.4: authorityKeyIdentifier must "
		    "be non-critical with a keyIdentifier");
	return 0;
}

static int
r_policies(struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_policies);
	struct egca_der_r r, s, pi;
	struct egca_der_tlv t;

	if (!c->is_ee && c->p->kind != EGCA_PROFILE_SUBCA)
		return 0;
	if (x == NULL)
		return fail(c,
		    "GM/T 0015 Annex C: certificatePolicies must "
		    "be present");
	egca_der_r_init(&r, x->val, x->val_len);
	if (x->critical || !egca_der_enter(&r, DER_SEQUENCE, &s) ||
	    !egca_der_r_end(&r) || !egca_der_enter(&s, DER_SEQUENCE, &pi) ||
	    !egca_der_get(&pi, DER_OID, &t) || !egca_der_r_end(&pi) ||
	    !egca_der_r_end(&s))
		return fail(c,
		    "GM/T 0015 Annex C: certificatePolicies is "
		    "non-critical with one policy OID and no "
		    "qualifiers");
	return 0;
}

/* Walks GeneralNames; 1 when a URI with prefix is found. */
static int
has_uri(struct egca_der_r *names, const char *prefix)
{
	struct egca_der_tlv t;
	size_t n = strlen(prefix);

	while (egca_der_peek(names) >= 0) {
		if (!egca_der_get_any(names, &t))
			return 0;
		if (t.tag == DER_CTX(6) && t.len > n &&
		    strncmp((const char *)t.val, prefix, n) == 0)
			return 1;
	}
	return 0;
}

static int
r_crldp_http(struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_crldp);
	struct egca_der_r r, s, dp, dpn, full;

	if (!c->is_ee)
		return 0;
	if (x == NULL)
		return fail(c,
		    "GM/T 0015 Annex C: cRLDistributionPoints must "
		    "be present");
	egca_der_r_init(&r, x->val, x->val_len);
	if (egca_der_enter(&r, DER_SEQUENCE, &s) && egca_der_r_end(&r)) {
		while (egca_der_peek(&s) >= 0) {
			if (!egca_der_enter(&s, DER_SEQUENCE, &dp))
				break;
			if (egca_der_peek(&dp) != DER_CTX_CONS(0))
				continue;
			egca_der_enter(&dp, DER_CTX_CONS(0), &dpn);
			if (egca_der_peek(&dpn) != DER_CTX_CONS(0))
				continue;
			egca_der_enter(&dpn, DER_CTX_CONS(0), &full);
			if (has_uri(&full, "http://"))
				return 0;
		}
	}
	return fail(c,
	    "GM/T 0015 Annex C: cRLDistributionPoints needs an "
	    "http:// fullName URI");
}

static int
r_aia(struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_aia);
	struct egca_der_r r, s, ad;
	struct egca_der_tlv m, loc;
	int ocsp = 0, issuers = 0;

	if (!c->is_ee)
		return 0;
	if (x != NULL && !x->critical) {
		egca_der_r_init(&r, x->val, x->val_len);
		if (egca_der_enter(&r, DER_SEQUENCE, &s) &&
		    egca_der_r_end(&r)) {
			while (egca_der_peek(&s) >= 0) {
				if (!egca_der_enter(&s, DER_SEQUENCE, &ad) ||
				    !egca_der_get(&ad, DER_OID, &m) ||
				    !egca_der_get(&ad, DER_CTX(6), &loc))
					break;
				if (egca_der_oid_eq(&m, &egca_oid_ad_ocsp))
					ocsp = 1;
				if (egca_der_oid_eq(
				        &m, &egca_oid_ad_ca_issuers))
					issuers = 1;
			}
		}
	}
	if (!ocsp || !issuers)
		return fail(c,
		    "GM/T 0015 Annex C: authorityInfoAccess needs "
		    "id-ad-ocsp and id-ad-caIssuers URIs");
	return 0;
}

static int
r_no_unknown_critical(struct ctx *c)
{
	const struct egca_der_oid *ok[] = {&egca_oid_ext_ku, &egca_oid_ext_bc,
	    &egca_oid_ext_eku, &egca_oid_ext_san, &oid_name_constraints,
	    &oid_policy_constraints, &oid_inhibit_any};
	size_t i, j;
	char oid[96];

	for (i = 0; i < c->t.n_ext; i++) {
		if (!c->t.ext[i].critical)
			continue;
		for (j = 0; j < sizeof(ok) / sizeof(ok[0]); j++)
			if (egca_der_oid_eq(&c->t.ext[i].oid, ok[j]))
				break;
		if (j < sizeof(ok) / sizeof(ok[0]))
			continue;
		if (!egca_der_oid_to_text(c->t.ext[i].oid.val,
		        c->t.ext[i].oid.len, oid, sizeof(oid)))
			snprintf(oid, sizeof(oid), "?");
		return fail(c,
		    "GM/T 0015 5.2.4: extension %s must not be critical", oid);
	}
	return 0;
}

static int
r_idext_noncritical(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->t.n_ext; i++)
		if (c->t.ext[i].critical &&
		    c->t.ext[i].oid.len > sizeof(gm_id_arc) &&
		    memcmp(c->t.ext[i].oid.val, gm_id_arc, sizeof(gm_id_arc)) ==
		        0)
			return fail(c,
			    "GM/T 0015 5.2.4: the identity "
			    "extensions are non-critical");
	return 0;
}

static int
r_san_critical(struct ctx *c)
{
	const struct ext *x = find(c, &egca_oid_ext_san);

	if (c->t.subject.len != 0)
		return 0;
	if (x == NULL || !x->critical)
		return fail(c,
		    "RFC 5280 4.2.1.6: with an empty subject, "
		    "subjectAltName is present and critical");
	return 0;
}

/* RSA modulus size from the subjectPublicKey bits. */
static int
rsa_bits(const uint8_t *p, size_t len)
{
	struct egca_der_r r, s;
	struct egca_der_tlv n;
	size_t i = 0;
	int bits;
	uint8_t top;

	egca_der_r_init(&r, p, len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &s) ||
	    !egca_der_get(&s, DER_INTEGER, &n))
		return 0;
	while (i < n.len && n.val[i] == 0)
		i++;
	if (i == n.len)
		return 0;
	bits = (int)(n.len - i) * 8;
	for (top = n.val[i]; !(top & 0x80); top = (uint8_t)(top << 1))
		bits--;
	return bits;
}

static int
r_key_alg(struct ctx *c)
{
	struct egca_der_r r, s, a;
	struct egca_der_tlv alg, param, bits;
	enum egca_key_alg k = EGCA_KEY_NONE;
	unsigned unused;
	const uint8_t *p;
	size_t n;

	egca_der_r_init(&r, c->t.spki.raw, c->t.spki.raw_len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &s) ||
	    !egca_der_enter(&s, DER_SEQUENCE, &a) ||
	    !egca_der_get(&a, DER_OID, &alg) ||
	    !egca_der_get(&s, DER_BIT_STRING, &bits) || !egca_der_r_end(&s) ||
	    !egca_der_tlv_bits(&bits, &unused, &p, &n))
		return fail(c,
		    "RFC 5280 4.1.2.7: subjectPublicKeyInfo is "
		    "malformed DER");
	if (egca_der_oid_eq(&alg, &egca_oid_ec_public_key) &&
	    egca_der_get(&a, DER_OID, &param) && egca_der_r_end(&a)) {
		if (egca_der_oid_eq(&param, &egca_oid_curve_sm2))
			k = EGCA_KEY_SM2;
		else if (egca_der_oid_eq(&param, &egca_oid_curve_p256))
			k = EGCA_KEY_P256;
		else if (egca_der_oid_eq(&param, &egca_oid_curve_p384))
			k = EGCA_KEY_P384;
	} else if (egca_der_oid_eq(&alg, &egca_oid_rsa_encryption)) {
		k = EGCA_KEY_RSA;
		if (rsa_bits(p, n) < c->p->min_rsa_bits)
			return fail(c,
			    "profile %s: RSA keys of at least %d bits",
			    c->p->name, c->p->min_rsa_bits);
	}
	if (k == EGCA_KEY_NONE)
		return fail(c,
		    "RFC 5280 4.1.2.7: unsupported public key "
		    "algorithm or curve");
	if (!(c->p->allowed_keys & (1u << k)))
		return fail(c, "profile %s: key algorithm %s not allowed",
		    c->p->name, egca_crypto_key_alg_name(k));
	return 0;
}

static const struct {
	const char *name;
	rule_fn fn;
} rules[] = {
    {"e_rfc5280_version_v3", r_version},
    {"e_rfc5280_serial_positive", r_serial_positive},
    {"e_rfc5280_serial_max_20_octets", r_serial_max},
    {"e_gmt0015_serial_min_4_octets", r_serial_min},
    {"e_gmt0015_sm2_alg_no_params", r_sm2_no_params},
    {"e_rfc5280_sig_alg_match", r_sig_alg_match},
    {"e_rfc5280_validity_order", r_validity_order},
    {"e_rfc5280_time_encoding", r_time_encoding},
    {"e_gmt0015_validity_max_3653_days", r_validity_3653},
    {"e_profile_validity_max", r_profile_validity},
    {"e_rfc5280_issuer_nonempty", r_issuer_nonempty},
    {"e_gmt0015_subject_required_attrs", r_subject_attrs},
    {"e_rfc5280_ext_duplicate", r_ext_duplicate},
    {"e_gmt0015_ku_present", r_ku_present},
    {"e_gmt0015_ku_critical", r_ku_critical},
    {"e_gmt0015_ku_sign_bits", r_ku_sign_bits},
    {"e_gmt0015_ku_enc_bits", r_ku_enc_bits},
    {"e_rfc5280_ca_bc_critical", r_ca_bc_critical},
    {"e_rfc5280_ca_keycertsign", r_ca_keycertsign},
    {"e_rfc5280_ee_no_keycertsign", r_ee_no_keycertsign},
    {"e_gmt0015_ski_present", r_ski_present},
    {"e_gmt0015_aki_present", r_aki_present},
    {"e_gmt0015_policies_present", r_policies},
    {"e_gmt0015_crldp_http", r_crldp_http},
    {"e_gmt0015_aia_ocsp_caissuers", r_aia},
    {"e_gmt0015_idext_noncritical", r_idext_noncritical},
    {"e_gmt0015_no_unknown_critical", r_no_unknown_critical},
    {"e_rfc5280_san_critical_if_empty_subject", r_san_critical},
    {"e_rfc5280_key_alg_allowed", r_key_alg},
    {"e_profile_ku_match", r_profile_ku},
};

enum egca_err
egca_pki_lint_tbs_sig(const uint8_t *tbs, size_t tbs_len,
    const struct egca_profile *p, enum egca_sig_alg expected,
    struct egca_lint_result *res)
{
	struct egca_lint_result local;
	struct ctx *c;
	size_t i;
	enum egca_err e = EGCA_OK;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (tbs == NULL || p == NULL)
		return egca_err_set(EGCA_ERR_INTERNAL, "lint: no TBS/profile");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	c->p = p;
	c->expected = expected;
	c->is_ca =
	    p->kind == EGCA_PROFILE_ROOT || p->kind == EGCA_PROFILE_SUBCA;
	c->is_ee = p->kind == EGCA_PROFILE_EE;
	if (!parse_tbs(tbs, tbs_len, &c->t)) {
		snprintf(res->rule, sizeof(res->rule), "e_der_tbs_structure");
		snprintf(res->message, sizeof(res->message),
		    "RFC 5280 4.1, X.690 DER: TBSCertificate is not "
		    "well-formed DER");
		res->n_failed = 1;
		e = egca_err_set(
		    EGCA_ERR_POLICY, "lint %s: %s", res->rule, res->message);
		goto out;
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		c->msg[0] = '\0';
		if (rules[i].fn(c) == 0)
			continue;
		if (res->n_failed++ == 0) {
			snprintf(
			    res->rule, sizeof(res->rule), "%s", rules[i].name);
			snprintf(
			    res->message, sizeof(res->message), "%s", c->msg);
		}
	}
	if (res->n_failed > 0)
		e = egca_err_set(EGCA_ERR_POLICY,
		    "lint %s: %s (%zu rule%s failed)", res->rule, res->message,
		    res->n_failed, res->n_failed == 1 ? "" : "s");
out:
	free(c);
	return e;
}

enum egca_err
egca_pki_lint_tbs(const uint8_t *tbs, size_t tbs_len,
    const struct egca_profile *p, struct egca_lint_result *res)
{
	return egca_pki_lint_tbs_sig(tbs, tbs_len, p, EGCA_SIG_NONE, res);
}
