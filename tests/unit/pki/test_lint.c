/*
 * Unit tests for src/pki/lint.c: every shipped profile builds a TBS that
 * passes, and each rule has one crafted TBS that triggers it (first
 * failure). Crafted TBSs come from the builder with a doctored profile
 * or template, or from rewriting a good TBS with the DER writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egca/file.h"
#include "egca/pki.h"
#include "pki/der.h"

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
static const uint8_t serial[] = {
    0x5e, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
static const uint8_t issuer_ski[20] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

#define T0 1704067200 /* 2024-01-01 */
#define DAY 86400

static char *lint_doc;

struct fx {
	uint8_t *issuer, *subject;
	size_t issuer_len, subject_len;
	struct egca_identity id;
	struct egca_cert_template t;
	struct egca_profile *p;  /* the profile lint checks against */
	struct egca_profile *bp; /* the (doctored) profile the builder uses */
	struct egca_buf tbs;
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
fx_init(struct fx *f, const char *profile)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(egca_pki_name_parse("C=CN,O=Test CA,CN=Test Sub CA",
	                     &f->issuer, &f->issuer_len),
	    EGCA_OK);
	assert_int_equal(egca_pki_name_parse("C=CN,O=Org,CN=Subject",
	                     &f->subject, &f->subject_len),
	    EGCA_OK);
	f->p = load(profile);
	f->bp = load(profile);
	f->id.id_card = "110105194912310021";
	f->id.uscc = "91350100M000100Y43";
	f->t.profile = f->bp;
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
	f->t.not_before = T0;
	f->t.not_after = T0 + 365 * DAY;
	f->t.identity = &f->id;
	f->t.crl_url = "http://ca.example.cn/sub.crl";
	f->t.ocsp_url = "http://ocsp.example.cn";
	f->t.ca_issuers_url = "http://ca.example.cn/sub.cer";
	f->t.ca_repository_url = "http://ca.example.cn/repo/";
	if (f->p->kind == EGCA_PROFILE_ROOT) {
		f->t.issuer_ski = NULL;
		f->t.subject = f->issuer;
		f->t.subject_len = f->issuer_len;
	}
	egca_buf_init(&f->tbs, 0);
}

static void
fx_free(struct fx *f)
{
	free(f->issuer);
	free(f->subject);
	egca_pki_profile_free(f->p);
	egca_pki_profile_free(f->bp);
	egca_buf_free(&f->tbs);
}

static void
build(struct fx *f)
{
	egca_buf_reset(&f->tbs);
	if (egca_pki_cert_build_tbs(&f->t, &f->tbs) != EGCA_OK)
		fail_msg("build: %s", egca_err_detail());
}

static void
expect_rule(const uint8_t *tbs, size_t len, const struct egca_profile *p,
    enum egca_sig_alg expected, const char *rule)
{
	struct egca_lint_result res;
	char needle[80];

	assert_int_equal(egca_pki_lint_tbs_sig(tbs, len, p, expected, &res),
	    EGCA_ERR_POLICY);
	if (strcmp(res.rule, rule) != 0)
		fail_msg("want %s, got %s: %s", rule, res.rule, res.message);
	assert_true(res.n_failed >= 1);
	assert_true(res.message[0] != '\0');
	assert_non_null(strstr(egca_err_detail(), rule));
	/* The message cites a clause or the profile. */
	assert_true(strstr(res.message, "RFC ") != NULL ||
	    strstr(res.message, "GM/T 0015") != NULL ||
	    strstr(res.message, "profile ") != NULL);
	/* Every rule is documented. */
	snprintf(needle, sizeof(needle), "`%s`", rule);
	if (lint_doc != NULL && strstr(lint_doc, needle) == NULL)
		fail_msg("%s missing from docs/lint.md", rule);
}

static void
expect_fx(struct fx *f, const char *rule)
{
	build(f);
	expect_rule(f->tbs.data, f->tbs.len, f->p, EGCA_SIG_NONE, rule);
}

/* ---------------------------------------------------------------- */
/* Rewriting a good TBS                                              */

struct mut {
	int version; /* -1: keep; 0: omit the field */
	const uint8_t *serial, *alg, *validity, *extra;
	size_t serial_len, alg_len, validity_len, extra_len;
	const struct egca_der_oid *drop;
};

static void
rewrite(const struct egca_buf *in, const struct mut *m, struct egca_buf *out)
{
	struct egca_der_r r, s, v, x, ext;
	struct egca_der_tlv ser, alg, issuer, validity, subject, spki, t, oid;
	struct egca_der_w w;

	egca_der_r_init(&r, in->data, in->len);
	assert_true(egca_der_enter(&r, DER_SEQUENCE, &s));
	assert_true(egca_der_enter(&s, DER_CTX_CONS(0), &v));
	assert_true(egca_der_get(&s, DER_INTEGER, &ser));
	assert_true(egca_der_get(&s, DER_SEQUENCE, &alg));
	assert_true(egca_der_get(&s, DER_SEQUENCE, &issuer));
	assert_true(egca_der_get(&s, DER_SEQUENCE, &validity));
	assert_true(egca_der_get(&s, DER_SEQUENCE, &subject));
	assert_true(egca_der_get(&s, DER_SEQUENCE, &spki));
	assert_true(egca_der_enter(&s, DER_CTX_CONS(3), &v));
	assert_true(egca_der_enter(&v, DER_SEQUENCE, &x));

	egca_buf_init(out, 0);
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	if (m->version != 0) {
		egca_der_begin(&w, DER_CTX_CONS(0));
		egca_der_put_small_int(&w, m->version < 0 ? 2 : m->version);
		egca_der_end(&w);
	}
	if (m->serial != NULL)
		egca_der_put_tlv(&w, DER_INTEGER, m->serial, m->serial_len);
	else
		egca_der_put_raw(&w, ser.raw, ser.raw_len);
	if (m->alg != NULL)
		egca_der_put_raw(&w, m->alg, m->alg_len);
	else
		egca_der_put_raw(&w, alg.raw, alg.raw_len);
	egca_der_put_raw(&w, issuer.raw, issuer.raw_len);
	if (m->validity != NULL)
		egca_der_put_raw(&w, m->validity, m->validity_len);
	else
		egca_der_put_raw(&w, validity.raw, validity.raw_len);
	egca_der_put_raw(&w, subject.raw, subject.raw_len);
	egca_der_put_raw(&w, spki.raw, spki.raw_len);
	egca_der_begin(&w, DER_CTX_CONS(3));
	egca_der_begin(&w, DER_SEQUENCE);
	while (egca_der_peek(&x) >= 0) {
		assert_true(egca_der_get(&x, DER_SEQUENCE, &t));
		egca_der_r_init(&ext, t.val, t.len);
		assert_true(egca_der_get(&ext, DER_OID, &oid));
		if (m->drop != NULL && egca_der_oid_eq(&oid, m->drop))
			continue;
		egca_der_put_raw(&w, t.raw, t.raw_len);
	}
	if (m->extra != NULL)
		egca_der_put_raw(&w, m->extra, m->extra_len);
	egca_der_end(&w);
	egca_der_end(&w);
	egca_der_end(&w);
	assert_int_equal(egca_der_w_finish(&w), EGCA_OK);
}

static void
expect_mut(struct fx *f, const struct mut *m, const char *rule)
{
	struct egca_buf out;

	build(f);
	rewrite(&f->tbs, m, &out);
	expect_rule(out.data, out.len, f->p, EGCA_SIG_NONE, rule);
	egca_buf_free(&out);
}

static struct mut
keep(void)
{
	struct mut m;

	memset(&m, 0, sizeof(m));
	m.version = -1;
	return m;
}

/* ---------------------------------------------------------------- */

static void
test_shipped_profiles_pass(void **state)
{
	static const char *const names[] = {"root", "sub-ca", "ocsp-signer",
	    "gov-sign", "gov-enc", "org-sign", "org-enc", "individual-sign",
	    "individual-enc", "tls-server", "device"};
	const char *dns[] = {"www.example.cn"};
	struct egca_lint_result res;
	struct egca_buf out;
	struct mut m = keep();
	struct fx f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fx_init(&f, names[i]);
		if (f.p->kind == EGCA_PROFILE_ROOT)
			f.t.not_after = T0 + 3650LL * DAY;
		if (f.p->kind == EGCA_PROFILE_OCSP)
			f.t.not_after = T0 + 30LL * DAY;
		if (f.p->n_san > 0 && strcmp(f.p->san[0], "dns") == 0) {
			f.t.san_dns = dns;
			f.t.n_san_dns = 1;
		}
		build(&f);
		if (egca_pki_lint_tbs(f.tbs.data, f.tbs.len, f.p, &res) !=
		    EGCA_OK)
			fail_msg("%s: %s: %s", names[i], res.rule, res.message);
		assert_int_equal(res.n_failed, 0);
		assert_int_equal(egca_pki_lint_tbs_sig(f.tbs.data, f.tbs.len,
		                     f.p, EGCA_SIG_SM2_SM3, NULL),
		    EGCA_OK);
		/* The rewriter itself is neutral. */
		rewrite(&f.tbs, &m, &out);
		assert_int_equal(out.len, f.tbs.len);
		assert_memory_equal(out.data, f.tbs.data, out.len);
		egca_buf_free(&out);
		fx_free(&f);
	}
}

static void
test_structure(void **state)
{
	struct fx f;
	struct egca_lint_result res;
	/* extension with an explicit critical FALSE (not DER) */
	static const uint8_t false_crit[] = {0x30, 0x0a, 0x06, 0x03, 0x2a, 0x03,
	    0x04, 0x01, 0x01, 0x00, 0x04, 0x00};
	struct mut m = keep();

	(void)state;
	fx_init(&f, "gov-sign");
	build(&f);
	assert_int_equal(
	    egca_pki_lint_tbs(f.tbs.data, f.tbs.len - 1, f.p, &res),
	    EGCA_ERR_POLICY);
	assert_string_equal(res.rule, "e_der_tbs_structure");
	assert_int_equal(
	    egca_pki_lint_tbs(f.tbs.data, 0, f.p, &res), EGCA_ERR_POLICY);
	m.extra = false_crit;
	m.extra_len = sizeof(false_crit);
	expect_mut(&f, &m, "e_der_tbs_structure");
	fx_free(&f);
}

static void
test_rules_tbs_fields(void **state)
{
	struct fx f;
	struct mut m;
	static const uint8_t neg[] = {0x80, 0x11, 0x22, 0x33};
	static const uint8_t zero[] = {0x00};
	static const uint8_t long21[21] = {0x01};
	static const uint8_t short2[] = {0x12, 0x34};
	static const uint8_t sm2_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75, 0x05, 0x00};
	/* notBefore 2025, notAfter 2024 */
	static const uint8_t swapped[] = {0x30, 0x1e, 0x17, 0x0d, '2', '5', '0',
	    '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z', 0x17, 0x0d, '2',
	    '4', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z'};
	/* notAfter 2030 as GeneralizedTime */
	static const uint8_t gen2030[] = {0x30, 0x20, 0x17, 0x0d, '2', '4', '0',
	    '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z', 0x18, 0x0f, '2',
	    '0', '3', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0',
	    'Z'};
	static const uint8_t empty_name[] = {0x30, 0x00};

	(void)state;
	fx_init(&f, "gov-sign");

	m = keep();
	m.version = 0;
	expect_mut(&f, &m, "e_rfc5280_version_v3");
	m = keep();
	m.version = 1;
	expect_mut(&f, &m, "e_rfc5280_version_v3");

	m = keep();
	m.serial = neg;
	m.serial_len = sizeof(neg);
	expect_mut(&f, &m, "e_rfc5280_serial_positive");
	m.serial = zero;
	m.serial_len = sizeof(zero);
	expect_mut(&f, &m, "e_rfc5280_serial_positive");
	m.serial = long21;
	m.serial_len = sizeof(long21);
	expect_mut(&f, &m, "e_rfc5280_serial_max_20_octets");

	f.t.serial = short2;
	f.t.serial_len = sizeof(short2);
	expect_fx(&f, "e_gmt0015_serial_min_4_octets");
	f.t.serial = serial;
	f.t.serial_len = sizeof(serial);

	m = keep();
	m.alg = sm2_null;
	m.alg_len = sizeof(sm2_null);
	expect_mut(&f, &m, "e_gmt0015_sm2_alg_no_params");
	build(&f);
	expect_rule(f.tbs.data, f.tbs.len, f.p, EGCA_SIG_ECDSA_SHA256,
	    "e_rfc5280_sig_alg_match");

	m = keep();
	m.validity = swapped;
	m.validity_len = sizeof(swapped);
	expect_mut(&f, &m, "e_rfc5280_validity_order");
	m.validity = gen2030;
	m.validity_len = sizeof(gen2030);
	expect_mut(&f, &m, "e_rfc5280_time_encoding");

	f.t.not_after = T0 + 1826LL * DAY;
	expect_fx(&f, "e_profile_validity_max");
	f.t.not_after = T0 + 3654LL * DAY;
	expect_fx(&f, "e_gmt0015_validity_max_3653_days");
	f.t.not_after = T0 + 365 * DAY;

	f.t.issuer = empty_name;
	f.t.issuer_len = sizeof(empty_name);
	expect_fx(&f, "e_rfc5280_issuer_nonempty");
	f.t.issuer = f.issuer;
	f.t.issuer_len = f.issuer_len;
	fx_free(&f);

	fx_init(&f, "gov-sign");
	free(f.subject);
	assert_int_equal(
	    egca_pki_name_parse("C=CN,CN=No Org", &f.subject, &f.subject_len),
	    EGCA_OK);
	f.t.subject = f.subject;
	f.t.subject_len = f.subject_len;
	expect_fx(&f, "e_gmt0015_subject_required_attrs");
	fx_free(&f);

	fx_init(&f, "gov-sign");
	f.t.spki = p256_spki;
	f.t.spki_len = sizeof(p256_spki);
	expect_fx(&f, "e_rfc5280_key_alg_allowed");
	fx_free(&f);
}

static void
test_rules_extensions(void **state)
{
	struct fx f;
	struct mut m;
	/* a second subjectKeyIdentifier */
	static const uint8_t dup_ski[] = {0x30, 0x0b, 0x06, 0x03, 0x55, 0x1d,
	    0x0e, 0x04, 0x04, 0x04, 0x02, 0x01, 0x02};
	/* unknown 1.2.3.4, critical */
	static const uint8_t unknown_crit[] = {0x30, 0x0a, 0x06, 0x03, 0x2a,
	    0x03, 0x04, 0x01, 0x01, 0xff, 0x04, 0x00};
	/* 1.2.156.10260.4.1.5 TaxationNumber, critical */
	static const uint8_t idext_crit[] = {0x30, 0x13, 0x06, 0x08, 0x2a, 0x81,
	    0x1c, 0xd0, 0x14, 0x04, 0x01, 0x05, 0x01, 0x01, 0xff, 0x04, 0x04,
	    0x13, 0x02, 'A', 'B'};

	(void)state;
	fx_init(&f, "gov-sign");
	m = keep();
	m.extra = dup_ski;
	m.extra_len = sizeof(dup_ski);
	expect_mut(&f, &m, "e_rfc5280_ext_duplicate");
	m = keep();
	m.drop = &egca_oid_ext_ku;
	expect_mut(&f, &m, "e_gmt0015_ku_present");
	m.drop = &egca_oid_ext_ski;
	expect_mut(&f, &m, "e_gmt0015_ski_present");
	m = keep();
	m.extra = idext_crit;
	m.extra_len = sizeof(idext_crit);
	expect_mut(&f, &m, "e_gmt0015_idext_noncritical");
	m.extra = unknown_crit;
	m.extra_len = sizeof(unknown_crit);
	expect_mut(&f, &m, "e_gmt0015_no_unknown_critical");

	f.bp->key_usage_critical = 0;
	expect_fx(&f, "e_gmt0015_ku_critical");
	f.bp->key_usage_critical = 1;

	f.bp->key_usage = EGCA_KU_DIGITAL_SIGNATURE | EGCA_KU_KEY_ENCIPHERMENT;
	expect_fx(&f, "e_gmt0015_ku_sign_bits");
	f.bp->key_usage = f.p->key_usage;

	f.t.issuer_ski = NULL;
	expect_fx(&f, "e_gmt0015_aki_present");
	f.t.issuer_ski = issuer_ski;

	f.bp->n_policies = 0;
	expect_fx(&f, "e_gmt0015_policies_present");
	f.bp->n_policies = 2;
	snprintf(f.bp->policies[1], sizeof(f.bp->policies[1]), "2.999.9");
	expect_fx(&f, "e_gmt0015_policies_present");
	f.bp->n_policies = 1;

	f.t.crl_url = "ldap://ldap.example.cn/cn=crl";
	expect_fx(&f, "e_gmt0015_crldp_http");
	f.t.crl_url = "http://ca.example.cn/sub.crl";
	f.bp->crl_dp = 0;
	expect_fx(&f, "e_gmt0015_crldp_http");
	f.bp->crl_dp = 1;

	f.bp->aia = 0;
	expect_fx(&f, "e_gmt0015_aia_ocsp_caissuers");
	f.bp->aia = 1;
	fx_free(&f);

	fx_init(&f, "gov-enc");
	f.bp->key_usage = EGCA_KU_DATA_ENCIPHERMENT;
	expect_fx(&f, "e_gmt0015_ku_enc_bits");
	f.bp->key_usage = EGCA_KU_KEY_ENCIPHERMENT;
	expect_fx(&f, "e_profile_ku_match");
	fx_free(&f);

	fx_init(&f, "tls-server");
	f.bp->key_usage = EGCA_KU_DIGITAL_SIGNATURE | EGCA_KU_KEY_CERT_SIGN;
	expect_fx(&f, "e_rfc5280_ee_no_keycertsign");
	f.bp->key_usage = f.p->key_usage;
	/* Empty subject without a (critical) subjectAltName. */
	f.p->n_required_subject = 0;
	free(f.subject);
	assert_int_equal(
	    egca_pki_name_parse("", &f.subject, &f.subject_len), EGCA_OK);
	f.t.subject = f.subject;
	f.t.subject_len = f.subject_len;
	expect_fx(&f, "e_rfc5280_san_critical_if_empty_subject");
	fx_free(&f);

	fx_init(&f, "root");
	f.t.not_after = T0 + 3650LL * DAY;
	f.bp->kind = EGCA_PROFILE_EE; /* builder: no basicConstraints */
	f.bp->sia = 0;
	expect_fx(&f, "e_rfc5280_ca_bc_critical");
	f.bp->kind = EGCA_PROFILE_ROOT;
	f.bp->key_usage = EGCA_KU_CRL_SIGN;
	expect_fx(&f, "e_rfc5280_ca_keycertsign");
	fx_free(&f);
}

static void
test_counts(void **state)
{
	struct fx f;
	struct egca_lint_result res;

	(void)state;
	fx_init(&f, "gov-sign");
	f.t.issuer_ski = NULL;
	f.bp->key_usage_critical = 0;
	f.t.spki = p256_spki;
	f.t.spki_len = sizeof(p256_spki);
	build(&f);
	assert_int_equal(egca_pki_lint_tbs(f.tbs.data, f.tbs.len, f.p, &res),
	    EGCA_ERR_POLICY);
	assert_string_equal(res.rule, "e_gmt0015_ku_critical");
	assert_int_equal(res.n_failed, 3);
	assert_non_null(strstr(egca_err_detail(), "3 rules failed"));
	fx_free(&f);
}

static int
setup(void **state)
{
	const char *src = getenv("EGCA_SOURCE_DIR");
	char path[4096];
	size_t len;

	(void)state;
	snprintf(
	    path, sizeof(path), "%s/docs/lint.md", src ? src : EGCA_SOURCE_DIR);
	if (egca_file_read(path, 1 << 20, (uint8_t **)&lint_doc, &len) !=
	    EGCA_OK)
		lint_doc = NULL;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(lint_doc);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_profiles_pass),
	    cmocka_unit_test(test_structure),
	    cmocka_unit_test(test_rules_tbs_fields),
	    cmocka_unit_test(test_rules_extensions),
	    cmocka_unit_test(test_counts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
