/*
 * Helpers shared by the km/ unit tests: a private temp directory, an
 * SM2 CA (signer and self-signed CA certificate made with pki/), KM
 * operators as principals, and a KM made by the real ceremony.
 */
#ifndef EGCA_KM_FIXTURE_H
#define EGCA_KM_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "egca/auth.h"
#include "egca/ca.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/km.h"
#include "egca/pki.h"
#include "km/km_int.h"

#define UNUSED_OK __attribute__((unused))

static UNUSED_OK const char fx_pass[] = "correct horse battery staple";

/* A fresh directory under $EGCA_TEST_TMP (or /tmp); static storage. */
static UNUSED_OK const char *
fx_tmpdir(void)
{
	static char dir[1024];
	const char *base;

	if (dir[0] != '\0')
		return dir;
	if ((base = getenv("EGCA_TEST_TMP")) == NULL || *base == '\0')
		base = "/tmp";
	if (egca_file_mkdirs(base, 0700) != EGCA_OK)
		abort();
	snprintf(dir, sizeof(dir), "%s/km-XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	return dir;
}

/* dir/name into out. */
static UNUSED_OK void
fx_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", fx_tmpdir(), name);
}

/* A CA: SM2 signer and its self-signed CA certificate (DER). */
struct fx_ca {
	struct egca_signer *signer;
	uint8_t *cert;
	size_t cert_len;
};

/* Self-signed certificate for sg; ca: a CA certificate. */
static UNUSED_OK void
fx_cert(struct egca_signer *sg, const char *subject, int ca, int64_t nb,
    int64_t na, uint8_t **der, size_t *len)
{
	struct egca_profile prof;
	struct egca_cert_template t;
	struct egca_buf tbs, cert;
	uint8_t serial[16], sig[128], *name = NULL;
	size_t name_len, spki_len, sig_len = sizeof(sig);

	memset(&prof, 0, sizeof(prof));
	prof.kind = ca ? EGCA_PROFILE_ROOT : EGCA_PROFILE_EE;
	prof.key_usage = ca
	    ? (EGCA_KU_KEY_CERT_SIGN | EGCA_KU_CRL_SIGN)
	    : (EGCA_KU_DIGITAL_SIGNATURE | EGCA_KU_KEY_ENCIPHERMENT);
	prof.key_usage_critical = 1;
	prof.path_len = -1;
	prof.allowed_keys = 1u << EGCA_KEY_SM2;
	assert_int_equal(
	    egca_pki_name_parse(subject, &name, &name_len), EGCA_OK);
	assert_int_equal(egca_crypto_rand(serial, sizeof(serial)), EGCA_OK);
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x01);
	memset(&t, 0, sizeof(t));
	t.profile = &prof;
	t.sig_alg = egca_signer_sig_alg(sg);
	t.serial = serial;
	t.serial_len = sizeof(serial);
	t.issuer = t.subject = name;
	t.issuer_len = t.subject_len = name_len;
	t.spki = egca_signer_get0_spki(sg, &spki_len);
	t.spki_len = spki_len;
	t.not_before = nb;
	t.not_after = na;
	egca_buf_init(&tbs, 1 << 20);
	egca_buf_init(&cert, 1 << 20);
	assert_int_equal(egca_pki_cert_build_tbs(&t, &tbs), EGCA_OK);
	assert_int_equal(egca_signer_sign(sg, EGCA_SIGN_CERT, tbs.data, tbs.len,
	                     sig, &sig_len),
	    EGCA_OK);
	assert_int_equal(egca_pki_signed_assemble(
	                     tbs.data, tbs.len, t.sig_alg, sig, sig_len, &cert),
	    EGCA_OK);
	*der = egca_buf_take(&cert, len);
	egca_buf_free(&tbs);
	free(name);
}

static UNUSED_OK void
fx_ca_new(struct fx_ca *ca, const char *subject)
{
	int64_t now = (int64_t)time(NULL);

	assert_int_equal(egca_signer_generate(EGCA_KEY_SM2, 0,
	                     EGCA_SIGN_CERT | EGCA_SIGN_CSR, &ca->signer),
	    EGCA_OK);
	fx_cert(ca->signer, subject, 1, now - 60, now + 86400 * 365, &ca->cert,
	    &ca->cert_len);
}

static UNUSED_OK void
fx_ca_free(struct fx_ca *ca)
{
	egca_signer_free(ca->signer);
	free(ca->cert);
	memset(ca, 0, sizeof(*ca));
}

/* A principal as the auth service would make it. */
static UNUSED_OK void
fx_principal(
    struct egca_principal *p, const char *name, unsigned roles, int mfa)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->actor, sizeof(p->actor), "operator:%s", name);
	p->roles = roles;
	p->mfa = mfa;
}

/* A KM in tmp/name made by egca_km_init, 2 of 3, shares in tmp/name-shares. */
struct fx_km {
	char dir[1200];
	char shares[1200];
	struct egca_km_init_result res;
	uint8_t *share[EGCA_KM_MAX_CUSTODIANS];
	size_t share_len[EGCA_KM_MAX_CUSTODIANS];
};

static UNUSED_OK void
fx_km_init(struct fx_km *k, const char *name, const char *store)
{
	struct egca_km_init_opts o;
	int i;

	memset(k, 0, sizeof(*k));
	snprintf(k->dir, sizeof(k->dir), "%s/%s", fx_tmpdir(), name);
	snprintf(
	    k->shares, sizeof(k->shares), "%s/%s-shares", fx_tmpdir(), name);
	memset(&o, 0, sizeof(o));
	o.dir = k->dir;
	o.store = store;
	o.share_dir = k->shares;
	o.custodians = 3;
	o.threshold = 2;
	o.pass = fx_pass;
	o.pass_len = sizeof(fx_pass) - 1;
	o.actor = "test";
	if (egca_km_init(&o, &k->res) != EGCA_OK) {
		fprintf(stderr, "km init: %s\n", egca_err_detail());
		fail();
	}
	for (i = 0; i < k->res.n_shares; i++)
		assert_int_equal(egca_file_read(k->res.share_paths[i], 4096,
		                     &k->share[i], &k->share_len[i]),
		    EGCA_OK);
}

static UNUSED_OK void
fx_km_free(struct fx_km *k)
{
	int i;

	for (i = 0; i < EGCA_KM_MAX_CUSTODIANS; i++)
		free(k->share[i]);
	egca_km_init_result_free(&k->res);
}

#endif
