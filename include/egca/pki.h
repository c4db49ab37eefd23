/*
 * pki/: X.509 certificates, CSRs, names, GM/T 0015 extensions, profiles,
 * lint and chain verification. Pure functions: no store, no private
 * keys (signatures come from the signer in crypto/).
 *
 * What this module does not check: revocation (status/), and whether
 * the caller may issue under a profile (ca/, ra/).
 */
#ifndef EGCA_PKI_H
#define EGCA_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/err.h"

/* ---------------------------------------------------------------- */
/* PEM and DER lists                                                 */

struct egca_der_list {
	uint8_t **der;
	size_t *len;
	size_t n;
};

void egca_der_list_free(struct egca_der_list *l);
EGCA_MUST_CHECK enum egca_err egca_der_list_add(
    struct egca_der_list *l, const uint8_t *der, size_t len);

/*
 * Decodes every PEM block with the given label ("CERTIFICATE",
 * "CERTIFICATE REQUEST", ...) in in; when in holds no PEM at all it is
 * taken as one DER object. EGCA_ERR_INPUT when nothing is found.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_pem_decode(const uint8_t *in, size_t len,
    const char *label, struct egca_der_list *out);
/* Appends der as a PEM block with label to out. */
EGCA_MUST_CHECK enum egca_err egca_pki_pem_encode(
    const uint8_t *der, size_t len, const char *label, struct egca_buf *out);

/* ---------------------------------------------------------------- */
/* Names                                                             */

/*
 * Parses "C=CN,O=Org,CN=Name" (RFC 4514 order is NOT applied: the text
 * order is the DER order, most significant first) or "/C=CN/O=Org/CN=x"
 * into a DER Name. Attributes: C (PrintableString, 2 letters), ST, L, O,
 * OU, CN, serialNumber (PrintableString), emailAddress (IA5String),
 * others UTF8String, with the RFC 5280 upper bounds (CN, O, OU <= 64
 * characters; L, ST <= 128). Backslash escapes ',', '/', '=', '\\'.
 * EGCA_ERR_INPUT naming the attribute at fault.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_name_parse(
    const char *text, uint8_t **der, size_t *len);
/*
 * Checks a DER Name from an untrusted source (CSR) with the same rules:
 * known string types, lengths, valid UTF-8, no control characters.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_name_check(
    const uint8_t *der, size_t len);
/* Renders a DER Name as "C=CN, O=Org, CN=Name" (malloc'd, UTF-8). */
EGCA_MUST_CHECK enum egca_err egca_pki_name_to_text(
    const uint8_t *der, size_t len, char **out);
/* The first value of attribute short name ("CN", "O", ...) or NULL. */
EGCA_MUST_CHECK enum egca_err egca_pki_name_get(
    const uint8_t *der, size_t len, const char *attr, char **out);

/* ---------------------------------------------------------------- */
/* GM/T 0015 identity extensions (gm-standards.md §1.4)             */

struct egca_identity {
	const char *id_card;         /* resident ID number (GB 11643) */
	const char *passport;        /* passport number */
	const char *military;        /* military officer card (2012 only) */
	const char *insurance;       /* social insurance number */
	const char *ic_registration; /* business registration (2012) */
	const char *org_code;        /* organisation code */
	const char *tax_number;      /* taxation number (2012) */
	const char *uscc;            /* unified social credit code */
};

enum egca_idext_set {
	EGCA_IDEXT_NONE = 0,
	EGCA_IDEXT_2012 = 1, /* 1.2.156.10260.4.1.1 - .5 */
	EGCA_IDEXT_2023 = 2, /* 4.1.1.1, 4.1.1.2, 4.1.2, 4.4 */
	EGCA_IDEXT_BOTH = 3,
};

struct egca_profile;

/*
 * Checks the identity values: PrintableString characters and 1..64
 * octets for every field except military (UTF-8, no control
 * characters); id_card 15 or 18 characters (digits, final X allowed);
 * uscc 18 characters of the GB 32100 alphabet. Check digits are not
 * verified. When p is not NULL, every field in p->required_identity
 * must be given. EGCA_ERR_INPUT (bad value) or EGCA_ERR_POLICY
 * (missing), naming the field. id may be NULL (nothing given).
 */
EGCA_MUST_CHECK enum egca_err egca_pki_identity_check(
    const struct egca_identity *id, const struct egca_profile *p);
/*
 * Appends the DER Extension SEQUENCEs (non-critical) for the identity
 * values in id under the OID set(s) in set (gm-standards.md 1.4) to out.
 * 2012: IdentifyCode 4.1.1 (one CHOICE, EXPLICIT tags; id_card, else
 * military, else passport), 4.1.2 insurance, 4.1.3 ic_registration,
 * 4.1.4 org_code (uscc when org_code is absent, as deployed CAs do),
 * 4.1.5 tax_number. 2023: 4.1.1.1 id_card, 4.1.1.2 passport, 4.1.2
 * insurance, 4.4 uscc. With both, 4.1.2 is written once. Values are
 * checked with egca_pki_identity_check() (without a profile) first.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_identity_extensions(
    const struct egca_identity *id, enum egca_idext_set set,
    struct egca_buf *out);

/* ---------------------------------------------------------------- */
/* Profiles (profiles/<name>.json)                                   */

enum egca_profile_kind {
	EGCA_PROFILE_ROOT,
	EGCA_PROFILE_SUBCA,
	EGCA_PROFILE_OCSP,
	EGCA_PROFILE_EE,
};

enum egca_audience {
	EGCA_AUDIENCE_PUBLIC,     /* retention 5 years after expiry */
	EGCA_AUDIENCE_GOVERNMENT, /* retention 10 years after expiry */
};

/* keyUsage bits, RFC 5280 numbering (bit 0 = digitalSignature). */
enum egca_key_usage {
	EGCA_KU_DIGITAL_SIGNATURE = 1 << 0,
	EGCA_KU_NON_REPUDIATION = 1 << 1,
	EGCA_KU_KEY_ENCIPHERMENT = 1 << 2,
	EGCA_KU_DATA_ENCIPHERMENT = 1 << 3,
	EGCA_KU_KEY_AGREEMENT = 1 << 4,
	EGCA_KU_KEY_CERT_SIGN = 1 << 5,
	EGCA_KU_CRL_SIGN = 1 << 6,
	EGCA_KU_ENCIPHER_ONLY = 1 << 7,
	EGCA_KU_DECIPHER_ONLY = 1 << 8,
};

#define EGCA_PROFILE_MAX_LIST 8

struct egca_profile {
	char name[64];
	char description[256];
	enum egca_profile_kind kind;
	enum egca_audience audience;
	/* "sign", "enc" or "" (CA, OCSP, TLS) */
	char usage[8];
	/* "government", "organization", "individual", "device" or "" */
	char subscriber_type[16];
	unsigned key_usage;
	int key_usage_critical;
	int path_len; /* -1: no pathLenConstraint */
	char eku[EGCA_PROFILE_MAX_LIST][48];
	size_t n_eku;
	int max_validity_days;
	int default_validity_days;
	unsigned allowed_keys; /* bit (1u << enum egca_key_alg) */
	int min_rsa_bits;
	char policies[EGCA_PROFILE_MAX_LIST][64];
	size_t n_policies;
	int crl_dp;       /* CRLDistributionPoints with the CA's http URI */
	int aia;          /* authorityInfoAccess: OCSP + caIssuers */
	int sia;          /* subjectInfoAccess caRepository (CA profiles) */
	int ocsp_nocheck; /* id-pkix-ocsp-nocheck (OCSP signer) */
	enum egca_idext_set identity_ext;
	/* subject attributes that must be present ("CN", "O", ...) */
	char required_subject[EGCA_PROFILE_MAX_LIST][16];
	size_t n_required_subject;
	/* identity fields that must be given ("uscc", "id_card", ...) */
	char required_identity[EGCA_PROFILE_MAX_LIST][16];
	size_t n_required_identity;
	/* subjectAltName kinds allowed: "dns", "email", "ip" */
	char san[EGCA_PROFILE_MAX_LIST][8];
	size_t n_san;
};

/*
 * Loads and validates one profile file (jansson, duplicate keys and
 * unknown keys rejected). EGCA_ERR_INPUT naming the field at fault.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_profile_load_file(
    const char *path, struct egca_profile **out);
/*
 * Loads dir/<name>.json; name must match [a-z0-9-]{1,63}.
 * EGCA_ERR_NOTFOUND for an unknown profile.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_profile_load(
    const char *dir, const char *name, struct egca_profile **out);
void egca_pki_profile_free(struct egca_profile *p);
/* Lists the profile names in dir (sorted). */
EGCA_MUST_CHECK enum egca_err egca_pki_profile_list(
    const char *dir, char ***names, size_t *n);

/* ---------------------------------------------------------------- */
/* Certificate and CSR building (hot path: no OpenSSL X509 objects)  */

struct egca_cert_template {
	const struct egca_profile *profile;
	enum egca_sig_alg sig_alg;
	const uint8_t *serial; /* positive, big-endian, 1..20 octets */
	size_t serial_len;
	const uint8_t *issuer; /* DER Name */
	size_t issuer_len;
	const uint8_t *subject; /* DER Name */
	size_t subject_len;
	const uint8_t *spki; /* DER SubjectPublicKeyInfo, copied verbatim */
	size_t spki_len;
	/* AKI keyIdentifier = the issuer's SKI; NULL for self-signed */
	const uint8_t *issuer_ski;
	size_t issuer_ski_len;
	int64_t not_before; /* Unix seconds, UTC */
	int64_t not_after;
	const struct egca_identity *identity; /* may be NULL */
	const char *crl_url;           /* CRLDP http URI (profile->crl_dp) */
	const char *freshest_crl_url;  /* freshestCRL (delta CRLs), or NULL */
	const char *ocsp_url;          /* AIA id-ad-ocsp */
	const char *ca_issuers_url;    /* AIA id-ad-caIssuers */
	const char *ca_repository_url; /* SIA id-ad-caRepository */
	const char *const *san_dns;
	size_t n_san_dns;
	const char *const *san_email;
	size_t n_san_email;
	const char *const *san_ip; /* text, IPv4 or IPv6 */
	size_t n_san_ip;
};

/*
 * Builds the DER TBSCertificate for t into out (appended). The SKI is
 * SHA-1 of the subjectPublicKey BIT STRING (RFC 5280 method 1).
 */
EGCA_MUST_CHECK enum egca_err egca_pki_cert_build_tbs(
    const struct egca_cert_template *t, struct egca_buf *out);
/* Builds a CertificationRequestInfo (no attributes). */
EGCA_MUST_CHECK enum egca_err egca_pki_csr_build_tbs(const uint8_t *subject,
    size_t subject_len, const uint8_t *spki, size_t spki_len,
    struct egca_buf *out);
/*
 * SEQUENCE { tbs, AlgorithmIdentifier(alg), BIT STRING sig }: the outer
 * shape shared by certificates, CSRs and CRLs. Appended to out.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_signed_assemble(const uint8_t *tbs,
    size_t tbs_len, enum egca_sig_alg alg, const uint8_t *sig, size_t sig_len,
    struct egca_buf *out);
/* The SKI egca puts in certificates for this SPKI (20 bytes). */
EGCA_MUST_CHECK enum egca_err egca_pki_spki_key_id(
    const uint8_t *spki, size_t spki_len, uint8_t out[20]);

/* ---------------------------------------------------------------- */
/* Lint (GM/T 0015 + RFC 5280, named rules: docs/lint.md)            */

struct egca_lint_result {
	char rule[64];     /* first failed rule, e.g. "e_gmt0015_ku_critical" */
	char message[256]; /* with the clause: "GM/T 0015 5.2.4: ..." */
	size_t n_failed;   /* number of failed rules */
};

/*
 * Lints the DER TBSCertificate against the profile. EGCA_OK when every
 * rule passes; EGCA_ERR_POLICY otherwise, with the first failure in res
 * and in the error detail.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_lint_tbs(const uint8_t *tbs,
    size_t tbs_len, const struct egca_profile *p, struct egca_lint_result *res);
/*
 * As egca_pki_lint_tbs, and e_rfc5280_sig_alg_match also requires the
 * inner signature algorithm to be expected (the issuer's; EGCA_SIG_NONE
 * checks only that it is known and in egca's canonical form).
 */
EGCA_MUST_CHECK enum egca_err egca_pki_lint_tbs_sig(const uint8_t *tbs,
    size_t tbs_len, const struct egca_profile *p, enum egca_sig_alg expected,
    struct egca_lint_result *res);

/* ---------------------------------------------------------------- */
/* CSR parsing                                                       */

struct egca_csr {
	uint8_t *der; /* owned */
	size_t der_len;
	const uint8_t *subject; /* into der */
	size_t subject_len;
	const uint8_t *spki; /* into der */
	size_t spki_len;
	enum egca_key_alg key_alg;
	int key_bits;
	EVP_PKEY *pubkey; /* owned, decoded once */
};

/*
 * Parses a PKCS#10 request (PEM or DER, nothing trailing), verifies its
 * signature (SM2: SM3 with the user ID EGCA_SM2_ID), applies the key
 * policy (egca_crypto_key_check) and the subject checks
 * (egca_pki_name_check). EGCA_ERR_INPUT for malformed input,
 * EGCA_ERR_AUTH for a bad signature, EGCA_ERR_POLICY for a refused key.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_csr_parse(
    const uint8_t *in, size_t len, struct egca_csr **out);
void egca_pki_csr_free(struct egca_csr *csr);

/* ---------------------------------------------------------------- */
/* Certificate inspection and verification                           */

struct egca_cert_info {
	int version; /* 3 */
	uint8_t serial[20];
	size_t serial_len;
	char *issuer;  /* text, malloc'd */
	char *subject; /* text, malloc'd */
	uint8_t *issuer_der, *subject_der, *spki_der;
	size_t issuer_der_len, subject_der_len, spki_der_len;
	int64_t not_before, not_after;
	enum egca_sig_alg sig_alg;
	enum egca_key_alg key_alg;
	int key_bits;
	int is_ca;
	int path_len;       /* -1 when absent */
	unsigned key_usage; /* enum egca_key_usage bits; 0 when absent */
	uint8_t ski[64], aki[64];
	size_t ski_len, aki_len;
	int self_issued;
};

/* Decodes a DER certificate (strict). Free with egca_pki_cert_info_free. */
EGCA_MUST_CHECK enum egca_err egca_pki_cert_info(
    const uint8_t *der, size_t len, struct egca_cert_info *out);
void egca_pki_cert_info_free(struct egca_cert_info *info);

/*
 * Verifies the outer signature of a signed object (certificate, CSR or
 * CRL in DER) with issuer_pub, SM2 with EGCA_SM2_ID. EGCA_ERR_AUTH when
 * the signature is wrong.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_verify_signed(
    const uint8_t *der, size_t len, EVP_PKEY *issuer_pub);

struct egca_verify_result {
	int depth;        /* where it failed; 0 = the leaf */
	char reason[256]; /* why */
	size_t chain_len; /* certificates in the path, anchor included */
};

/*
 * Builds and verifies a path from leaf through untrusted to one of the
 * anchors: names chain, AKI/SKI match where present, signatures (SM2
 * with the user ID at every level), validity at time at (Unix seconds),
 * basicConstraints cA and pathLenConstraint, keyCertSign on issuers.
 * EGCA_OK or EGCA_ERR_INTEGRITY with res filled.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_verify_chain(const uint8_t *leaf,
    size_t leaf_len, const struct egca_der_list *untrusted,
    const struct egca_der_list *anchors, int64_t at,
    struct egca_verify_result *res);

/* ---------------------------------------------------------------- */
/* OCSP (RFC 6960, RFC 5019, RFC 8954)                               */

/*
 * Requests are read with egca's bounded DER cursor into caller-owned
 * arrays: pointers point into the request bytes, nothing is allocated,
 * so parsing stays cheap on the responder's hot path. What is not
 * checked here: whether a CertID names a CA we serve (status/), and
 * the optional request signature, which is parsed as a TLV and ignored
 * (RFC 6960 4.1.2: responders may ignore it; egca does not authorise
 * requesters).
 */

#define EGCA_OCSP_MAX_NONCE 32 /* RFC 8954: at most 32 octets */
#define EGCA_OCSP_DEFAULT_MAX_CERTIDS 20
#define EGCA_OCSP_MAX_REQUEST 65536 /* octets */

/* CertID hashAlgorithm: SHA-1, SHA-256 and SM3; anything else OTHER. */
enum egca_ocsp_hash {
	EGCA_OCSP_HASH_OTHER = 0,
	EGCA_OCSP_HASH_SHA1 = 1,
	EGCA_OCSP_HASH_SHA256 = 2,
	EGCA_OCSP_HASH_SM3 = 3,
};

#define EGCA_OCSP_NHASH 4

/* One CertID as received (pointers into the request). */
struct egca_ocsp_certid {
	enum egca_ocsp_hash hash;
	const uint8_t *name_hash;
	size_t name_hash_len;
	const uint8_t *key_hash;
	size_t key_hash_len;
	const uint8_t *serial; /* magnitude, leading zero octets dropped */
	size_t serial_len;
	int serial_negative; /* never issued by egca: "unknown" */
	const uint8_t *raw;  /* the whole CertID TLV, echoed in answers */
	size_t raw_len;
};

struct egca_ocsp_request {
	struct egca_ocsp_certid *ids; /* caller's array */
	size_t n_ids;
	int has_nonce;
	const uint8_t *nonce_ext; /* extnValue contents: OCTET STRING TLV */
	size_t nonce_ext_len;
	int is_signed; /* optionalSignature present (ignored) */
};

/*
 * Parses a DER OCSPRequest (RFC 6960 4.1.1) strictly: DER lengths,
 * nothing trailing, version v1, 1 to max_ids CertIDs (ids has room for
 * max_ids), nonce extension 1..32 octets (RFC 8954), no unknown
 * critical extension. EGCA_ERR_INPUT (malformedRequest) naming the
 * clause; out->ids is ids.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_ocsp_request_parse(const uint8_t *der,
    size_t len, struct egca_ocsp_certid *ids, size_t max_ids,
    struct egca_ocsp_request *out);

/* Digest used in CertIDs; out holds up to 32 octets. */
EGCA_MUST_CHECK enum egca_err egca_pki_ocsp_hash(enum egca_ocsp_hash h,
    const uint8_t *data, size_t len, uint8_t *out, size_t *out_len);

/*
 * The CertID issuerNameHash (over the issuer's DER subject) and
 * issuerKeyHash (over the subjectPublicKey BIT STRING value of its
 * SPKI) with hash h; name and key hold 32 octets, *len gets the size.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_ocsp_issuer_hashes(enum egca_ocsp_hash h,
    const uint8_t *subject, size_t subject_len, const uint8_t *spki,
    size_t spki_len, uint8_t *name, uint8_t *key, size_t *len);

enum egca_ocsp_cert_status {
	EGCA_OCSP_GOOD = 0,
	EGCA_OCSP_REVOKED = 1,
	EGCA_OCSP_UNKNOWN = 2,
};

/* One SingleResponse to build. */
struct egca_ocsp_single {
	/* The CertID: raw (copied verbatim) when not NULL, else built */
	const uint8_t *certid_raw;
	size_t certid_raw_len;
	enum egca_ocsp_hash hash;
	const uint8_t *name_hash, *key_hash;
	size_t name_hash_len, key_hash_len;
	const uint8_t *serial; /* magnitude */
	size_t serial_len;
	enum egca_ocsp_cert_status status;
	int64_t revocation_time;
	int reason; /* CRLReason, -1: none */
	int64_t this_update;
	int64_t next_update; /* 0: absent */
};

struct egca_ocsp_response_tmpl {
	const uint8_t *responder_spki; /* ResponderID byKey: SHA-1 of its key */
	size_t responder_spki_len;
	int64_t produced_at;
	const struct egca_ocsp_single *singles;
	size_t n_singles;
	const uint8_t *nonce_ext; /* echoed extnValue contents, or NULL */
	size_t nonce_ext_len;
	const uint8_t *signer_cert; /* delegated signer certificate or NULL */
	size_t signer_cert_len;
};

/*
 * Builds the ResponseData, signs it with signer (EGCA_SIGN_OCSP; SM2
 * with SM3 and EGCA_SM2_ID) and appends the complete OCSPResponse
 * (successful, id-pkix-ocsp-basic) to out. Times are GeneralizedTime.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_ocsp_response_sign(
    const struct egca_ocsp_response_tmpl *t, struct egca_signer *signer,
    struct egca_buf *out);

/* An OCSPResponse with only responseStatus (1, 2, 3, 5 or 6), appended. */
EGCA_MUST_CHECK enum egca_err egca_pki_ocsp_response_error(
    int status, struct egca_buf *out);

#define EGCA_OCSP_INFO_MAX_SINGLES 32

/* What a response says; pointers into the DER it was parsed from. */
struct egca_ocsp_response_info {
	int status; /* responseStatus */
	const uint8_t *tbs;
	size_t tbs_len;
	enum egca_sig_alg sig_alg;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *key_hash; /* responder byKey, or NULL (byName) */
	size_t key_hash_len;
	const uint8_t *cert; /* first certificate in certs, or NULL */
	size_t cert_len;
	int64_t produced_at;
	const uint8_t *nonce_ext;
	size_t nonce_ext_len;
	size_t n_singles;
	struct {
		enum egca_ocsp_cert_status status;
		const uint8_t *serial; /* magnitude */
		size_t serial_len;
		int64_t revocation_time;
		int reason;
		int64_t this_update, next_update;
	} singles[EGCA_OCSP_INFO_MAX_SINGLES];
};

/*
 * Decodes an OCSPResponse strictly (tests, CLI). A non-successful
 * responseStatus is EGCA_OK with only status set.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_ocsp_response_parse(
    const uint8_t *der, size_t len, struct egca_ocsp_response_info *out);

/*
 * Verifies the signature of a BasicOCSPResponse over the exact
 * ResponseData bytes with pub (SM2 with EGCA_SM2_ID), which OpenSSL
 * 3.0's OCSP_basic_verify cannot do (gm-standards.md 5.3). EGCA_ERR_AUTH
 * for a wrong signature.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_ocsp_response_verify(
    const uint8_t *der, size_t len, EVP_PKEY *pub);

/* ---------------------------------------------------------------- */
/* CRL                                                               */

/*
 * A streaming CRL builder (RFC 5280 5, GM/T 0015 5.3): TBSCertList v2
 * with signature, issuer, thisUpdate, nextUpdate, revokedCertificates
 * (absent when empty) and crlExtensions AKI keyIdentifier, cRLNumber
 * and, for a delta CRL, a critical deltaCRLIndicator. Entries are
 * appended straight into one buffer as DER (about 35 to 50 octets
 * each); there is no per-entry allocation, so a million entries cost
 * about 50 MB once, and the signed CRL is assembled in the same buffer.
 *
 * What this does not check: that serials are unique or that the entries
 * belong to the issuer (the caller's query does that).
 */

struct egca_crl_template {
	enum egca_sig_alg sig_alg;
	const uint8_t *issuer; /* DER Name, copied */
	size_t issuer_len;
	/* AKI keyIdentifier (the issuer's SKI), copied; NULL: no AKI */
	const uint8_t *issuer_ski;
	size_t issuer_ski_len;
	int64_t this_update; /* Unix seconds, UTC */
	int64_t next_update; /* after this_update (mandatory here) */
	int64_t number;      /* cRLNumber, >= 0 */
	int64_t base_number; /* > 0: a delta CRL on this BaseCRLNumber */
};

/* Largest CRL the builder makes unless told otherwise. */
#define EGCA_CRL_DEFAULT_MAX ((size_t)512 << 20)

struct egca_crl_builder;

/*
 * Starts a CRL for t; max bounds the DER size (0: EGCA_CRL_DEFAULT_MAX).
 * EGCA_ERR_INPUT for a bad template. Free with egca_pki_crl_builder_free.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_crl_builder_new(
    const struct egca_crl_template *t, size_t max,
    struct egca_crl_builder **out);
void egca_pki_crl_builder_free(struct egca_crl_builder *b);

/*
 * Appends one revokedCertificates entry: serial (positive big-endian
 * magnitude, 1..20 octets), revocationDate, and the entry extensions
 * reasonCode (omitted for unspecified (0) or reason < 0, RFC 5280
 * 5.3.1; 6 certificateHold, 8 removeFromCRL in deltas only) and
 * invalidityDate (GeneralizedTime; omitted when 0). EGCA_ERR_INPUT for
 * a bad serial or reason, EGCA_ERR_NOMEM past max, EGCA_ERR_STATE after
 * egca_pki_crl_builder_tbs.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_crl_builder_add(
    struct egca_crl_builder *b, const uint8_t *serial, size_t serial_len,
    int64_t revocation_date, int reason, int64_t invalidity_date);
/* Entries added so far. */
size_t egca_pki_crl_builder_count(const struct egca_crl_builder *b);

/*
 * Closes the TBSCertList (crlExtensions written) and points *tbs at it
 * (owned by the builder) for signing. Further adds fail.
 */
EGCA_MUST_CHECK enum egca_err egca_pki_crl_builder_tbs(
    struct egca_crl_builder *b, const uint8_t **tbs, size_t *tbs_len);

/*
 * Appends the signatureAlgorithm and the signature over the TBS and
 * hands over the DER CertificateList (caller frees *der); the same
 * bytes egca_pki_signed_assemble would make, without a second copy.
 * The builder is spent afterwards (free it).
 */
EGCA_MUST_CHECK enum egca_err egca_pki_crl_builder_finish(
    struct egca_crl_builder *b, const uint8_t *sig, size_t sig_len,
    uint8_t **der, size_t *der_len);

#endif
