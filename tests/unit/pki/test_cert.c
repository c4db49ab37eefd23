/*
 * Unit tests for src/pki/cert.c and gmt0015.c: the TBS builder checked
 * by OpenSSL (d2i_X509 after assembling with a dummy signature), a golden
 * file, and refusals.
 *
 * Regenerate the golden file (after checking the change with
 * `openssl asn1parse -inform DER`): EGCA_GOLDEN_WRITE=1 unit_pki_test_cert
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "egca/file.h"
#include "egca/pki.h"

/* A fixed SM2 public key (generated once with openssl genpkey). */
static const uint8_t sm2_spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf,
    0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00, 0x04, 0x76, 0x6c, 0xe9, 0x9b,
    0xf2, 0x75, 0x2b, 0xb3, 0xd0, 0xd0, 0x98, 0x71, 0x2c, 0xb4, 0x9b, 0x55,
    0x29, 0x53, 0x79, 0x0b, 0x1d, 0xfc, 0xa5, 0x31, 0x92, 0x8f, 0xd5, 0x7e,
    0xe9, 0xfc, 0xe8, 0x1d, 0x12, 0x68, 0xce, 0x2e, 0xb5, 0x9a, 0xe6, 0xb2,
    0xf7, 0x05, 0xa6, 0x54, 0x69, 0x40, 0x4b, 0x1a, 0x7f, 0x24, 0x1d, 0x24,
    0xeb, 0x3e, 0xc2, 0xd4, 0xc0, 0xa2, 0x69, 0x68, 0x14, 0x07, 0xb1, 0xeb};
static const uint8_t p256_spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x69, 0x66, 0x62, 0xc2,
    0x6e, 0x2e, 0xec, 0xa7, 0x92, 0x51, 0x9a, 0x0d, 0x17, 0x3c, 0xb6, 0xe5,
    0xc3, 0xa0, 0x65, 0xd7, 0x44, 0x9b, 0x90, 0x7e, 0x7a, 0xf8, 0xfd, 0x62,
    0xa7, 0xe4, 0x76, 0x0c, 0xff, 0x40, 0xbe, 0xcf, 0x56, 0x05, 0xf1, 0x9d,
    0xad, 0x22, 0xf2, 0xd7, 0xa2, 0x3a, 0x53, 0x41, 0x28, 0xf8, 0x18, 0xd1,
    0x82, 0x7e, 0xc4, 0x8f, 0x0c, 0xe3, 0x49, 0xbf, 0x1e, 0x12, 0x52, 0x7f};
static const uint8_t serial[] = {0x5e, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0};
static const uint8_t issuer_ski[20] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
    0x14};
static const uint8_t dummy_sig[] = {
    0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};

#define T_2024_01_01 1704067200
#define T_2025_01_01 1735689600

struct fixture {
	uint8_t *issuer, *subject;
	size_t issuer_len, subject_len;
	struct egca_identity id;
	struct egca_cert_template t;
	struct egca_profile *p;
};

static struct egca_profile *
load(const char *name)
{
	const char *src = getenv("EGCA_SOURCE_DIR");
	char dir[4096];
	struct egca_profile *p = NULL;

	snprintf(dir, sizeof(dir), "%s/profiles", src ? src : EGCA_SOURCE_DIR);
	if (egca_pki_profile_load(dir, name, &p) != EGCA_OK)
		fail_msg("profile %s: %s", name, egca_err_detail());
	return p;
}

static void
fixture_init(struct fixture *f, const char *profile)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(
	    egca_pki_name_parse("C=CN,O=Test SM2 CA,CN=Test Sub CA", &f->issuer,
	        &f->issuer_len),
	    EGCA_OK);
	assert_int_equal(egca_pki_name_parse("C=CN,ST=Beijing,O=\xe6\xb5\x8b"
	                                     "\xe8\xaf\x95\xe5\x8d\x95\xe4\xbd"
	                                     "\x8d,CN=Zhang San",
	                     &f->subject, &f->subject_len),
	    EGCA_OK);
	f->p = load(profile);
	f->id.id_card = "11010519491231002X";
	f->id.uscc = "91350100M000100Y43";
	f->t.profile = f->p;
	f->t.sig_alg = EGCA_SIG_SM2_SM3;
	f->t.serial = serial;
	f->t.serial_len = sizeof(serial);
	f->t.issuer = f->issuer;
	f->t.issuer_len = f->issuer_len;
	f->t.subject = f->subject;
	f->t.subject_len = f->subject_len;
	f->t.spki = sm2_spki;
	f->t.spki_len = sizeof(sm2_spki);
	f->t.issuer_ski = issuer_ski;
	f->t.issuer_ski_len = sizeof(issuer_ski);
	f->t.not_before = T_2024_01_01;
	f->t.not_after = T_2025_01_01;
	f->t.identity = &f->id;
	f->t.crl_url = "http://ca.example.gov.cn/crl/sub.crl";
	f->t.ocsp_url = "http://ocsp.example.gov.cn";
	f->t.ca_issuers_url = "http://ca.example.gov.cn/sub.cer";
	f->t.ca_repository_url = "http://ca.example.gov.cn/repo/";
}

static void
fixture_free(struct fixture *f)
{
	free(f->issuer);
	free(f->subject);
	egca_pki_profile_free(f->p);
}

/* Builds, assembles with a dummy signature and parses with OpenSSL. */
static X509 *
build_x509(const struct egca_cert_template *t, struct egca_buf *tbs)
{
	struct egca_buf cert;
	const unsigned char *p;
	X509 *x;
	BIO *bio;

	egca_buf_init(tbs, 0);
	if (egca_pki_cert_build_tbs(t, tbs) != EGCA_OK)
		fail_msg("build: %s", egca_err_detail());
	egca_buf_init(&cert, 0);
	assert_int_equal(egca_pki_signed_assemble(tbs->data, tbs->len,
	                     t->sig_alg, dummy_sig, sizeof(dummy_sig), &cert),
	    EGCA_OK);
	p = cert.data;
	x = d2i_X509(NULL, &p, (long)cert.len);
	assert_non_null(x);
	assert_ptr_equal(p, cert.data + cert.len);
	/* `openssl x509 -text` readable */
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(X509_print_ex(bio, x, 0, 0), 1);
	BIO_free(bio);
	egca_buf_free(&cert);
	return x;
}

static int
ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i < 0)
		return -1;
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static int
has_bytes(const struct egca_buf *b, const uint8_t *want, size_t len)
{
	size_t i;

	for (i = 0; i + len <= b->len; i++)
		if (memcmp(b->data + i, want, len) == 0)
			return 1;
	return 0;
}

static void
test_ee_sign(void **state)
{
	struct fixture f;
	struct egca_buf tbs;
	X509 *x;
	const ASN1_OCTET_STRING *ski;
	const ASN1_BIT_STRING *key;
	uint8_t sha1[20];
	unsigned int sha1_len;
	ASN1_TIME *t;
	int day, sec;
	/* keyUsage critical, digitalSignature|nonRepudiation: 03 02 06 c0 */
	static const uint8_t ku[] = {0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01,
	    0xff, 0x04, 0x04, 0x03, 0x02, 0x06, 0xc0};
	/* 4.1.1 IdentifyCode [0] EXPLICIT PrintableString */
	static const uint8_t idcode[] = {0x06, 0x08, 0x2a, 0x81, 0x1c, 0xd0,
	    0x14, 0x04, 0x01, 0x01, 0x04, 0x16, 0xa0, 0x14, 0x13, 0x12, '1',
	    '1', '0', '1', '0', '5', '1', '9', '4', '9', '1', '2', '3', '1',
	    '0', '0', '2', 'X'};
	/* 2023 4.1.1.1 and 4.4 */
	static const uint8_t id2023[] = {0x06, 0x09, 0x2a, 0x81, 0x1c, 0xd0,
	    0x14, 0x04, 0x01, 0x01, 0x01, 0x04, 0x14, 0x13, 0x12, '1', '1'};
	static const uint8_t uscc[] = {0x06, 0x07, 0x2a, 0x81, 0x1c, 0xd0, 0x14,
	    0x04, 0x04, 0x04, 0x14, 0x13, 0x12, '9', '1'};
	static const uint8_t orgcode[] = {0x06, 0x08, 0x2a, 0x81, 0x1c, 0xd0,
	    0x14, 0x04, 0x01, 0x04, 0x04, 0x14, 0x13, 0x12, '9', '1'};

	(void)state;
	fixture_init(&f, "org-sign");
	x = build_x509(&f.t, &tbs);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(ext_critical(x, NID_key_usage), 1);
	assert_int_equal(
	    X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_int_equal(ext_critical(x, NID_basic_constraints), -1);
	assert_int_equal(ext_critical(x, NID_subject_key_identifier), 0);
	assert_int_equal(ext_critical(x, NID_authority_key_identifier), 0);
	assert_int_equal(ext_critical(x, NID_certificate_policies), 0);
	assert_int_equal(ext_critical(x, NID_crl_distribution_points), 0);
	assert_int_equal(ext_critical(x, NID_info_access), 0);
	assert_int_equal(ext_critical(x, NID_sinfo_access), -1);
	assert_int_equal(ext_critical(x, NID_subject_alt_name), -1);
	assert_false(X509_get_extension_flags(x) & EXFLAG_INVALID);
	assert_false(X509_check_ca(x));
	/* SKI = SHA-1 of the subjectPublicKey bits (RFC 5280 method 1). */
	ski = X509_get0_subject_key_id(x);
	key = X509_get0_pubkey_bitstr(x);
	assert_non_null(ski);
	assert_int_equal(EVP_Digest(key->data, (size_t)key->length, sha1,
	                     &sha1_len, EVP_sha1(), NULL),
	    1);
	assert_int_equal(ASN1_STRING_length(ski), 20);
	assert_memory_equal(ASN1_STRING_get0_data(ski), sha1, 20);
	assert_memory_equal(
	    ASN1_STRING_get0_data(X509_get0_authority_key_id(x)), issuer_ski,
	    20);
	/* Validity as given. */
	t = ASN1_TIME_new();
	ASN1_TIME_set(t, T_2024_01_01);
	assert_int_equal(
	    ASN1_TIME_diff(&day, &sec, t, X509_get0_notBefore(x)), 1);
	assert_int_equal(day + sec, 0);
	ASN1_TIME_free(t);
	assert_true(has_bytes(&tbs, ku, sizeof(ku)));
	assert_true(has_bytes(&tbs, idcode, sizeof(idcode)));
	assert_true(has_bytes(&tbs, id2023, sizeof(id2023)));
	assert_true(has_bytes(&tbs, uscc, sizeof(uscc)));
	assert_true(has_bytes(&tbs, orgcode, sizeof(orgcode)));
	X509_free(x);
	egca_buf_free(&tbs);
	fixture_free(&f);
}

static void
test_ku_enc_bits(void **state)
{
	struct fixture f;
	struct egca_buf tbs;
	X509 *x;
	/* keyEncipherment|dataEncipherment|keyAgreement: 03 02 03 38 */
	static const uint8_t ku[] = {0x04, 0x04, 0x03, 0x02, 0x03, 0x38};
	static const uint8_t ku9[] = {0x04, 0x05, 0x03, 0x03, 0x07, 0x08, 0x80};

	(void)state;
	fixture_init(&f, "gov-enc");
	x = build_x509(&f.t, &tbs);
	assert_int_equal(X509_get_key_usage(x),
	    KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT);
	assert_true(has_bytes(&tbs, ku, sizeof(ku)));
	X509_free(x);
	egca_buf_free(&tbs);
	/* keyAgreement + decipherOnly: two octets, 7 unused bits. */
	f.p->key_usage = EGCA_KU_KEY_AGREEMENT | EGCA_KU_DECIPHER_ONLY;
	x = build_x509(&f.t, &tbs);
	assert_true(has_bytes(&tbs, ku9, sizeof(ku9)));
	assert_int_equal(
	    X509_get_key_usage(x), KU_KEY_AGREEMENT | KU_DECIPHER_ONLY);
	X509_free(x);
	egca_buf_free(&tbs);
	fixture_free(&f);
}

static void
test_root_and_sub(void **state)
{
	struct fixture f;
	struct egca_buf tbs;
	X509 *x;

	(void)state;
	fixture_init(&f, "root");
	f.t.issuer_ski = NULL;
	f.t.subject = f.issuer;
	f.t.subject_len = f.issuer_len;
	f.t.not_after = T_2024_01_01 + 3650LL * 86400;
	x = build_x509(&f.t, &tbs);
	assert_int_equal(ext_critical(x, NID_basic_constraints), 1);
	assert_true(X509_check_ca(x));
	assert_int_equal(X509_get_pathlen(x), -1);
	assert_int_equal(ext_critical(x, NID_authority_key_identifier), -1);
	assert_int_equal(ext_critical(x, NID_sinfo_access), 0);
	assert_int_equal(ext_critical(x, NID_certificate_policies), -1);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_true(X509_get_extension_flags(x) & EXFLAG_SS);
	X509_free(x);
	egca_buf_free(&tbs);
	fixture_free(&f);

	fixture_init(&f, "sub-ca");
	f.t.identity = NULL;
	x = build_x509(&f.t, &tbs);
	assert_true(X509_check_ca(x));
	assert_int_equal(X509_get_pathlen(x), 0);
	assert_int_equal(ext_critical(x, NID_crl_distribution_points), 0);
	assert_int_equal(ext_critical(x, NID_sinfo_access), 0);
	assert_int_equal(ext_critical(x, NID_info_access), 0);
	X509_free(x);
	egca_buf_free(&tbs);
	/* No repository configured: no SIA. */
	f.t.ca_repository_url = NULL;
	x = build_x509(&f.t, &tbs);
	assert_int_equal(ext_critical(x, NID_sinfo_access), -1);
	X509_free(x);
	egca_buf_free(&tbs);
	fixture_free(&f);
}

static void
test_ocsp_and_tls(void **state)
{
	struct fixture f;
	struct egca_buf tbs;
	X509 *x;
	uint8_t *empty;
	size_t empty_len;
	const char *dns[] = {"www.example.gov.cn", "*.example.cn"};
	const char *ip[] = {"192.0.2.1", "2001:db8::1"};
	GENERAL_NAMES *gens;

	(void)state;
	fixture_init(&f, "ocsp-signer");
	f.t.sig_alg = EGCA_SIG_ECDSA_SHA256;
	f.t.spki = p256_spki;
	f.t.spki_len = sizeof(p256_spki);
	x = build_x509(&f.t, &tbs);
	assert_int_equal(ext_critical(x, NID_id_pkix_OCSP_noCheck), 0);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_OCSP_SIGN);
	assert_int_equal(ext_critical(x, NID_basic_constraints), -1);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	X509_free(x);
	egca_buf_free(&tbs);
	fixture_free(&f);

	fixture_init(&f, "tls-server");
	f.t.san_dns = dns;
	f.t.n_san_dns = 2;
	f.t.san_ip = ip;
	f.t.n_san_ip = 2;
	x = build_x509(&f.t, &tbs);
	assert_int_equal(ext_critical(x, NID_subject_alt_name), 0);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	assert_int_equal(
	    X509_check_host(x, "www.example.gov.cn", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "2001:db8::1", 0), 1);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 4);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	egca_buf_free(&tbs);
	/* Empty subject: SAN critical (RFC 5280 4.2.1.6). */
	assert_int_equal(egca_pki_name_parse("", &empty, &empty_len), EGCA_OK);
	f.t.subject = empty;
	f.t.subject_len = empty_len;
	x = build_x509(&f.t, &tbs);
	assert_int_equal(ext_critical(x, NID_subject_alt_name), 1);
	X509_free(x);
	egca_buf_free(&tbs);
	free(empty);
	fixture_free(&f);
}

static void
expect_refused(const struct egca_cert_template *t, enum egca_err want,
    const char *detail_has)
{
	struct egca_buf tbs;

	egca_buf_init(&tbs, 0);
	assert_int_equal(egca_pki_cert_build_tbs(t, &tbs), want);
	assert_int_equal(tbs.len, 0);
	if (strstr(egca_err_detail(), detail_has) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", egca_err_detail(),
		    detail_has);
	egca_buf_free(&tbs);
}

static void
test_refusals(void **state)
{
	struct fixture f;
	static const uint8_t zero[] = {0x00, 0x00};
	static const uint8_t big20[20] = {0x80};
	static const uint8_t ok20[20] = {0x7f};
	static const uint8_t bad_spki[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	const char *dns[] = {"www.example.cn"};
	const char *bad_dns[] = {"bad name.example.cn"};
	const char *bad_ip[] = {"300.1.1.1"};
	struct egca_buf tbs;

	(void)state;
	fixture_init(&f, "org-sign");
	f.t.serial = zero;
	f.t.serial_len = sizeof(zero);
	expect_refused(&f.t, EGCA_ERR_INPUT, "positive");
	f.t.serial = big20;
	f.t.serial_len = sizeof(big20);
	expect_refused(&f.t, EGCA_ERR_INPUT, "20 octets");
	f.t.serial = ok20;
	egca_buf_init(&tbs, 0);
	assert_int_equal(egca_pki_cert_build_tbs(&f.t, &tbs), EGCA_OK);
	egca_buf_free(&tbs);
	f.t.serial = serial;
	f.t.serial_len = sizeof(serial);

	f.t.spki = bad_spki;
	f.t.spki_len = sizeof(bad_spki);
	expect_refused(&f.t, EGCA_ERR_INPUT, "SubjectPublicKeyInfo");
	f.t.spki = sm2_spki;
	f.t.spki_len = sizeof(sm2_spki) - 1;
	expect_refused(&f.t, EGCA_ERR_INPUT, "SubjectPublicKeyInfo");
	f.t.spki_len = sizeof(sm2_spki);

	f.t.subject_len--;
	expect_refused(&f.t, EGCA_ERR_INPUT, "subject");
	f.t.subject_len++;

	f.t.not_after = f.t.not_before;
	expect_refused(&f.t, EGCA_ERR_INPUT, "notAfter");
	f.t.not_after = T_2025_01_01;

	f.t.crl_url = NULL;
	expect_refused(&f.t, EGCA_ERR_INPUT, "cRLDistributionPoints");
	f.t.crl_url = "http://has space/x.crl";
	expect_refused(&f.t, EGCA_ERR_INPUT, "cRLDistributionPoints");
	f.t.crl_url = "http://ca.example.gov.cn/crl/sub.crl";

	f.t.san_dns = dns;
	f.t.n_san_dns = 1;
	expect_refused(&f.t, EGCA_ERR_POLICY, "does not allow dNSName");
	f.t.n_san_dns = 0;

	f.id.uscc = "91350100M000100YI3"; /* I is not in GB 32100 */
	expect_refused(&f.t, EGCA_ERR_INPUT, "uscc");
	f.id.uscc = "91350100M000100Y43";
	f.id.passport = "E1234567\n";
	expect_refused(&f.t, EGCA_ERR_INPUT, "passport");
	f.id.passport = NULL;
	f.id.id_card = "1101051949123100";
	expect_refused(&f.t, EGCA_ERR_INPUT, "id_card");
	f.id.id_card = "11010519491231002X";

	f.t.sig_alg = EGCA_SIG_NONE;
	expect_refused(&f.t, EGCA_ERR_INPUT, "signature algorithm");
	fixture_free(&f);

	fixture_init(&f, "tls-server");
	f.t.san_dns = bad_dns;
	f.t.n_san_dns = 1;
	expect_refused(&f.t, EGCA_ERR_INPUT, "DNS name");
	f.t.n_san_dns = 0;
	f.t.san_ip = bad_ip;
	f.t.n_san_ip = 1;
	expect_refused(&f.t, EGCA_ERR_INPUT, "IP address");
	fixture_free(&f);
}

static void
test_identity_check(void **state)
{
	struct egca_profile *org = load("org-sign"),
	                    *ind = load("individual-sign");
	struct egca_identity id;

	(void)state;
	memset(&id, 0, sizeof(id));
	assert_int_equal(egca_pki_identity_check(NULL, NULL), EGCA_OK);
	assert_int_equal(egca_pki_identity_check(&id, org), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "uscc"));
	assert_int_equal(egca_pki_identity_check(NULL, ind), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "id_card"));
	id.uscc = "91350100M000100Y43";
	assert_int_equal(egca_pki_identity_check(&id, org), EGCA_OK);
	id.military = "\xe5\x86\x9b\xe5\xad\x97\xe7\xac\xac 123";
	assert_int_equal(egca_pki_identity_check(&id, NULL), EGCA_OK);
	id.military = "bad\x01";
	assert_int_equal(egca_pki_identity_check(&id, NULL), EGCA_ERR_INPUT);
	id.military = NULL;
	id.tax_number = "";
	assert_int_equal(egca_pki_identity_check(&id, NULL), EGCA_ERR_INPUT);
	egca_pki_profile_free(org);
	egca_pki_profile_free(ind);
}

static void
test_identity_2012_military(void **state)
{
	struct egca_identity id;
	struct egca_buf b;
	/* IdentifyCode [1] EXPLICIT UTF8String */
	static const uint8_t want[] = {0x30, 0x13, 0x06, 0x08, 0x2a, 0x81, 0x1c,
	    0xd0, 0x14, 0x04, 0x01, 0x01, 0x04, 0x07, 0xa1, 0x05, 0x0c, 0x03,
	    'M', '-', '1'};

	(void)state;
	memset(&id, 0, sizeof(id));
	id.military = "M-1";
	egca_buf_init(&b, 0);
	assert_int_equal(
	    egca_pki_identity_extensions(&id, EGCA_IDEXT_2012, &b), EGCA_OK);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	egca_buf_reset(&b);
	/* No military code in the 2023 set. */
	assert_int_equal(
	    egca_pki_identity_extensions(&id, EGCA_IDEXT_2023, &b), EGCA_OK);
	assert_int_equal(b.len, 0);
	egca_buf_free(&b);
}

static void
test_golden(void **state)
{
	struct fixture f;
	struct egca_buf tbs;
	char path[4096];
	const char *src = getenv("EGCA_SOURCE_DIR");
	uint8_t *want = NULL;
	size_t want_len = 0;

	(void)state;
	fixture_init(&f, "org-sign");
	egca_buf_init(&tbs, 0);
	assert_int_equal(egca_pki_cert_build_tbs(&f.t, &tbs), EGCA_OK);
	snprintf(path, sizeof(path), "%s/tests/unit/pki/golden_ee_sign.der",
	    src ? src : EGCA_SOURCE_DIR);
	if (getenv("EGCA_GOLDEN_WRITE") != NULL)
		assert_int_equal(
		    egca_file_write_atomic(path, tbs.data, tbs.len, 0644),
		    EGCA_OK);
	if (egca_file_read(path, 1 << 20, &want, &want_len) != EGCA_OK)
		fail_msg("%s", egca_err_detail());
	assert_int_equal(tbs.len, want_len);
	assert_memory_equal(tbs.data, want, want_len);
	free(want);
	egca_buf_free(&tbs);
	fixture_free(&f);
}

static void
test_csr_and_key_id(void **state)
{
	struct egca_buf tbs, csr;
	uint8_t *subject;
	size_t subject_len;
	const unsigned char *p;
	X509_REQ *req;
	uint8_t id[20], sha1[20];
	unsigned int n;

	(void)state;
	assert_int_equal(
	    egca_pki_name_parse("C=CN,CN=x", &subject, &subject_len), EGCA_OK);
	egca_buf_init(&tbs, 0);
	egca_buf_init(&csr, 0);
	assert_int_equal(egca_pki_csr_build_tbs(subject, subject_len, sm2_spki,
	                     sizeof(sm2_spki), &tbs),
	    EGCA_OK);
	assert_int_equal(
	    egca_pki_signed_assemble(tbs.data, tbs.len, EGCA_SIG_SM2_SM3,
	        dummy_sig, sizeof(dummy_sig), &csr),
	    EGCA_OK);
	p = csr.data;
	req = d2i_X509_REQ(NULL, &p, (long)csr.len);
	assert_non_null(req);
	assert_ptr_equal(p, csr.data + csr.len);
	assert_int_equal(X509_REQ_get_version(req), 0);
	assert_int_equal(X509_REQ_get_attr_count(req), 0);
	X509_REQ_free(req);
	assert_int_equal(egca_pki_csr_build_tbs(subject, subject_len - 1,
	                     sm2_spki, sizeof(sm2_spki), &tbs),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_pki_signed_assemble(tbs.data, tbs.len - 1, EGCA_SIG_SM2_SM3,
	        dummy_sig, sizeof(dummy_sig), &csr),
	    EGCA_ERR_INPUT);

	assert_int_equal(
	    egca_pki_spki_key_id(sm2_spki, sizeof(sm2_spki), id), EGCA_OK);
	assert_int_equal(
	    EVP_Digest(sm2_spki + 26, 65, sha1, &n, EVP_sha1(), NULL), 1);
	assert_memory_equal(id, sha1, 20);
	assert_int_equal(
	    egca_pki_spki_key_id(sm2_spki, 10, id), EGCA_ERR_INPUT);
	free(subject);
	egca_buf_free(&tbs);
	egca_buf_free(&csr);
}

static void
test_speed(void **state)
{
	struct fixture f;
	struct egca_buf tbs;
	struct timespec a, b;
	int i, n = 20000;
	double us;

	(void)state;
	fixture_init(&f, "org-sign");
	egca_buf_init(&tbs, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		egca_buf_reset(&tbs);
		assert_int_equal(egca_pki_cert_build_tbs(&f.t, &tbs), EGCA_OK);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	us = ((double)(b.tv_sec - a.tv_sec) * 1e6 +
	         (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
	    n;
	print_message(
	    "cert_build_tbs: %.2f us per TBS (%zu bytes)\n", us, tbs.len);
	/* Generous: sanitizer builds are several times slower. */
	assert_true(us < 100.0);
	egca_buf_free(&tbs);
	fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ee_sign),
	    cmocka_unit_test(test_ku_enc_bits),
	    cmocka_unit_test(test_root_and_sub),
	    cmocka_unit_test(test_ocsp_and_tls),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_identity_check),
	    cmocka_unit_test(test_identity_2012_military),
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_csr_and_key_id),
	    cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
