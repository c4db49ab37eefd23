/*
 * bench_issue: in-process issuance rate per core, beside the raw signing
 * rate of the same OpenSSL, for SM2, ECDSA P-256 and RSA-2048 CA keys.
 *
 * "Issuance" is what egca_ca_issue does between the parsed CSR and the
 * store: template filled from the parsed CSR, fresh random serial, TBS
 * built (egca_ca_prepare_tbs: DER writer + lint), signed and encoded
 * (egca_ca_sign_tbs), into buffers reused across iterations. The store
 * transactions are not included (bench/e2e_issue.sh measures those).
 *
 * "Raw" is the plain OpenSSL loop a program would write to sign the same
 * TBS bytes with the same key: EVP_MD_CTX_new, EVP_DigestSignInit_ex
 * (SM2: EVP_PKEY_CTX_set1_id with the GM/T 0009 ID), EVP_DigestSign,
 * EVP_MD_CTX_free, every call.
 *
 * A second pass times each stage alone (µs per call): serial, TBS build,
 * lint, sign, assemble; and, for reference, the OpenSSL X509 path that
 * egca avoids (X509_new + X509_set_pubkey of the CSR key + X509_free)
 * and the SPKI decode (d2i_PUBKEY) that it implies.
 *
 * usage: bench_issue [-t SECONDS] [-r ROUNDS] [--cpu N | --no-pin]
 *                    [--json] [--json-out FILE] [--only sm2|p256|rsa2048]
 *
 * Single-threaded, pinned to one CPU (default 0). Rates are calls per
 * second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so they
 * are per-core figures even on a machine shared with other work; wall
 * clock rates are printed beside them. Raw and issuance are measured in
 * ROUNDS interleaved slices (default 6) of SECONDS/ROUNDS each (default
 * 3 s in all), so that a change in load hits both.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "egca/buf.h"
#include "egca/ca.h"
#include "egca/crypto.h"
#include "egca/err.h"
#include "egca/pki.h"

#define MAX_CASES 8

struct bench_case {
	const char *label;   /* "sm2" */
	const char *alg;     /* egca_crypto_key_alg_parse spelling */
	const char *profile; /* end-entity profile */
	double target_ratio; /* issuance / raw, 0: none */
	double target_rate;  /* certificates/s, 0: none */
};

static const struct bench_case cases[] = {
    {"sm2", "sm2", "tls-server", 0.80, 0},
    {"sm2", "sm2", "gov-sign", 0.80, 0},
    {"p256", "ecdsa-p256", "tls-server", 0, 10000},
    {"rsa2048", "rsa-2048", "tls-server", 0, 0},
};

struct result {
	const struct bench_case *c;
	size_t tbs_len, cert_len;
	/* per second of this thread's CPU time */
	double raw;   /* plain EVP signs, context set up each call */
	double tmpl;  /* egca_ca_sign_tbs (signer + assemble) */
	double issue; /* issuances */
	/* per second of wall time (the machine may be shared) */
	double raw_wall, issue_wall;
	/* µs per call */
	double us_serial, us_build, us_lint, us_sign, us_assemble;
	double us_issue, us_raw;
	double us_x509_set_pubkey, us_spki_decode;
};

struct fixture {
	EVP_PKEY *ca_key; /* a reference shared with the issuer's signer */
	enum egca_sig_alg sig_alg;
	struct egca_issuer *is;
	struct egca_profile *prof;
	struct egca_csr *csr;
	const char *const *san;
	size_t n_san;
};

static double seconds = 3.0;
static int rounds = 6;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *what, enum egca_err e)
{
	fprintf(stderr, "bench_issue: %s: %s: %s\n", what, egca_err_name(e),
	    egca_err_detail());
	exit(1);
}

static void
ok(const char *what, enum egca_err e)
{
	if (e != EGCA_OK)
		die(what, e);
}

/* The plain OpenSSL signing call, context made and freed every time. */
static int
raw_sign(EVP_PKEY *key, enum egca_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx = NULL;
	const char *md = alg == EGCA_SIG_SM2_SM3 ? "SM3" : "SHA256";
	int rc = 0;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, key, NULL) != 1)
		goto out;
	if (alg == EGCA_SIG_SM2_SM3 &&
	    EVP_PKEY_CTX_set1_id(pctx, EGCA_SM2_ID, EGCA_SM2_ID_LEN) != 1)
		goto out;
	if (alg == EGCA_SIG_RSA_SHA256 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	rc = EVP_DigestSign(mctx, sig, sig_len, tbs, tbs_len);
out:
	EVP_MD_CTX_free(mctx);
	return rc == 1;
}

/* A self-signed CA under the "root" profile, and its issuer. */
static void
make_ca(const struct bench_case *c, struct fixture *f)
{
	struct egca_profile *root = NULL;
	struct egca_cert_template t;
	struct egca_signer *sg = NULL;
	struct egca_buf tbs, cert;
	enum egca_key_alg ka;
	uint8_t serial[EGCA_SERIAL_LEN], sig[1024], *name = NULL;
	size_t name_len, sig_len = sizeof(sig);
	char subject[128];
	int bits;
	int64_t now = (int64_t)time(NULL);

	egca_buf_init(&tbs, 1 << 16);
	egca_buf_init(&cert, 1 << 16);
	ok("alg", egca_crypto_key_alg_parse(c->alg, &ka, &bits));
	ok("CA key", egca_crypto_key_generate(ka, bits, &f->ca_key));
	/* The signer takes one reference; the raw loop keeps the other. */
	if (EVP_PKEY_up_ref(f->ca_key) != 1)
		die("EVP_PKEY_up_ref", EGCA_ERR_CRYPTO);
	ok("signer",
	    egca_signer_open_key(f->ca_key,
	        EGCA_SIGN_CERT | EGCA_SIGN_CRL | EGCA_SIGN_OCSP, &sg));
	f->sig_alg = egca_signer_sig_alg(sg);
	ok("root profile",
	    egca_pki_profile_load(EGCA_SOURCE_DIR "/profiles", "root", &root));
	snprintf(subject, sizeof(subject),
	    "C=CN,O=egca bench,CN=egca bench %s root", c->label);
	ok("CA subject", egca_pki_name_parse(subject, &name, &name_len));
	ok("CA serial", egca_ca_new_serial(serial));
	memset(&t, 0, sizeof(t));
	t.profile = root;
	t.sig_alg = f->sig_alg;
	t.serial = serial;
	t.serial_len = sizeof(serial);
	t.issuer = t.subject = name;
	t.issuer_len = t.subject_len = name_len;
	t.spki = egca_signer_get0_spki(sg, &t.spki_len);
	t.not_before = now;
	t.not_after = now + 3650 * (int64_t)86400;
	t.ca_repository_url = "http://127.0.0.1:8080/ca/bench.crt";
	ok("CA TBS", egca_pki_cert_build_tbs(&t, &tbs));
	ok("CA sign",
	    egca_signer_sign(
	        sg, EGCA_SIGN_CERT, tbs.data, tbs.len, sig, &sig_len));
	ok("CA cert",
	    egca_pki_signed_assemble(
	        tbs.data, tbs.len, f->sig_alg, sig, sig_len, &cert));
	ok("issuer",
	    egca_ca_issuer_new(c->label, cert.data, cert.len,
	        "http://127.0.0.1:8080", sg, &f->is));
	egca_pki_profile_free(root);
	free(name);
	egca_buf_free(&tbs);
	egca_buf_free(&cert);
}

/* A subject key of the same algorithm and its CSR, parsed. */
static void
make_csr(const struct bench_case *c, struct fixture *f)
{
	struct egca_signer *sg = NULL;
	struct egca_buf tbs, csr;
	enum egca_key_alg ka;
	uint8_t sig[1024], *name = NULL;
	const uint8_t *spki;
	size_t name_len, spki_len, sig_len = sizeof(sig);
	int bits;

	egca_buf_init(&tbs, 1 << 16);
	egca_buf_init(&csr, 1 << 16);
	ok("alg", egca_crypto_key_alg_parse(c->alg, &ka, &bits));
	ok("subject key", egca_signer_generate(ka, bits, EGCA_SIGN_CSR, &sg));
	ok("subject",
	    egca_pki_name_parse("C=CN,ST=Zhejiang,O=Test Bureau,"
	                        "CN=www.example.gov.cn",
	        &name, &name_len));
	spki = egca_signer_get0_spki(sg, &spki_len);
	ok("CSR TBS",
	    egca_pki_csr_build_tbs(name, name_len, spki, spki_len, &tbs));
	ok("CSR sign",
	    egca_signer_sign(
	        sg, EGCA_SIGN_CSR, tbs.data, tbs.len, sig, &sig_len));
	ok("CSR",
	    egca_pki_signed_assemble(tbs.data, tbs.len, egca_signer_sig_alg(sg),
	        sig, sig_len, &csr));
	ok("CSR parse", egca_pki_csr_parse(csr.data, csr.len, &f->csr));
	egca_signer_free(sg);
	free(name);
	egca_buf_free(&tbs);
	egca_buf_free(&csr);
}

static void
fill_template(const struct fixture *f, struct egca_cert_template *t,
    const uint8_t *serial, int64_t now)
{
	memset(t, 0, sizeof(*t));
	t->profile = f->prof;
	t->serial = serial;
	t->serial_len = EGCA_SERIAL_LEN;
	t->subject = f->csr->subject;
	t->subject_len = f->csr->subject_len;
	t->spki = f->csr->spki;
	t->spki_len = f->csr->spki_len;
	t->not_before = now;
	t->not_after = now + (int64_t)f->prof->default_validity_days * 86400;
	t->san_dns = f->san;
	t->n_san_dns = f->n_san;
}

/* What the measured operations work on. */
struct work {
	const struct fixture *f;
	struct egca_buf tbs, cert;   /* issuance output, reused */
	struct egca_buf ref;         /* one fixed TBS: raw, lint, sign */
	struct egca_buf out;         /* stage output, reused */
	struct egca_cert_template t; /* filled by one prepare, for build */
	uint8_t serial[EGCA_SERIAL_LEN];
	uint8_t sig[1024]; /* a signature over ref, for assemble */
	size_t sig_len;
};

typedef void op_fn(struct work *w);

/* One issuance: serial, template, build + lint, sign + encode. */
static void
op_issue(struct work *w)
{
	struct egca_cert_template t;
	uint8_t serial[EGCA_SERIAL_LEN];

	ok("serial", egca_ca_new_serial(serial));
	fill_template(w->f, &t, serial, (int64_t)time(NULL));
	egca_buf_reset(&w->tbs);
	ok("prepare", egca_ca_prepare_tbs(w->f->is, &t, &w->tbs));
	egca_buf_reset(&w->cert);
	ok("sign",
	    egca_ca_sign_tbs(w->f->is, w->tbs.data, w->tbs.len, &w->cert));
}

static void
op_raw(struct work *w)
{
	uint8_t sig[1024];
	size_t sig_len = sizeof(sig);

	if (!raw_sign(w->f->ca_key, w->f->sig_alg, w->ref.data, w->ref.len, sig,
	        &sig_len))
		die("raw EVP_DigestSign", EGCA_ERR_CRYPTO);
}

static void
op_serial(struct work *w)
{
	ok("serial", egca_ca_new_serial(w->serial));
}

static void
op_build(struct work *w)
{
	egca_buf_reset(&w->out);
	ok("build", egca_pki_cert_build_tbs(&w->t, &w->out));
}

static void
op_lint(struct work *w)
{
	struct egca_lint_result lint;

	ok("lint",
	    egca_pki_lint_tbs(w->ref.data, w->ref.len, w->f->prof, &lint));
}

/* egca_ca_sign_tbs: the signer (a prepared context copied) + assemble. */
static void
op_sign(struct work *w)
{
	egca_buf_reset(&w->out);
	ok("sign",
	    egca_ca_sign_tbs(w->f->is, w->ref.data, w->ref.len, &w->out));
}

static void
op_assemble(struct work *w)
{
	egca_buf_reset(&w->out);
	ok("assemble",
	    egca_pki_signed_assemble(w->ref.data, w->ref.len, w->f->sig_alg,
	        w->sig, w->sig_len, &w->out));
}

/* The X509 path egca does not take: a certificate object's key. */
static void
op_x509_set_pubkey(struct work *w)
{
	X509 *x;

	if ((x = X509_new()) == NULL ||
	    X509_set_pubkey(x, w->f->csr->pubkey) != 1)
		die("X509_set_pubkey", EGCA_ERR_CRYPTO);
	X509_free(x);
}

static void
op_d2i_pubkey(struct work *w)
{
	const unsigned char *p = w->f->csr->spki;
	EVP_PKEY *pk;

	if ((pk = d2i_PUBKEY(NULL, &p, (long)w->f->csr->spki_len)) == NULL)
		die("d2i_PUBKEY", EGCA_ERR_CRYPTO);
	EVP_PKEY_free(pk);
}

struct meter {
	unsigned long n;
	double wall, cpu; /* seconds */
};

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Runs op in batches until this thread has spent slice seconds of CPU
 * time in it, and adds to m. CPU time, not wall time, makes the rate a
 * per-core figure on a machine shared with other work.
 */
static void
measure(op_fn *op, struct work *w, double slice, int batch, struct meter *m)
{
	double w0 = now_s(), c0 = cpu_s(), c1;
	int i;

	do {
		for (i = 0; i < batch; i++)
			op(w);
		m->n += (unsigned long)batch;
	} while ((c1 = cpu_s()) - c0 < slice);
	m->cpu += c1 - c0;
	m->wall += now_s() - w0;
}

static double
per_s(const struct meter *m)
{
	return (double)m->n / m->cpu;
}

static double
us_each(const struct meter *m)
{
	return m->cpu * 1e6 / (double)m->n;
}

static void
run_case(const struct bench_case *c, struct result *r)
{
	static const char *const san[] = {"www.example.gov.cn"};
	struct fixture f;
	struct work w;
	struct meter raw, issue, st[7];
	double slice = seconds / rounds, sslice = seconds / 2 / rounds;
	int k;

	memset(&f, 0, sizeof(f));
	memset(&w, 0, sizeof(w));
	memset(r, 0, sizeof(*r));
	memset(&raw, 0, sizeof(raw));
	memset(&issue, 0, sizeof(issue));
	memset(st, 0, sizeof(st));
	r->c = c;
	w.f = &f;
	egca_buf_init(&w.tbs, 1 << 16);
	egca_buf_init(&w.cert, 1 << 16);
	egca_buf_init(&w.ref, 1 << 16);
	egca_buf_init(&w.out, 1 << 16);
	make_ca(c, &f);
	make_csr(c, &f);
	ok("profile",
	    egca_pki_profile_load(
	        EGCA_SOURCE_DIR "/profiles", c->profile, &f.prof));
	if (f.prof->n_san > 0 && strcmp(f.prof->san[0], "dns") == 0) {
		f.san = san;
		f.n_san = 1;
	}

	/* Warm-up, and a certificate that must verify under the CA key. */
	op_issue(&w);
	ok("verify", egca_pki_verify_signed(w.cert.data, w.cert.len, f.ca_key));
	r->tbs_len = w.tbs.len;
	r->cert_len = w.cert.len;
	ok("ref", egca_buf_append(&w.ref, w.tbs.data, w.tbs.len));
	w.sig_len = sizeof(w.sig);
	if (!raw_sign(
	        f.ca_key, f.sig_alg, w.ref.data, w.ref.len, w.sig, &w.sig_len))
		die("raw EVP_DigestSign", EGCA_ERR_CRYPTO);
	/* A template with the issuer's fields, for the build stage. */
	ok("serial", egca_ca_new_serial(w.serial));
	fill_template(&f, &w.t, w.serial, (int64_t)time(NULL));
	ok("prepare", egca_ca_prepare_tbs(f.is, &w.t, &w.out));

	/* Raw and issuance interleaved, so drift in load hits both. */
	for (k = 0; k < rounds; k++) {
		measure(op_raw, &w, slice, 8, &raw);
		measure(op_issue, &w, slice, 8, &issue);
	}
	for (k = 0; k < rounds; k++) {
		measure(op_serial, &w, sslice / 4, 256, &st[0]);
		measure(op_build, &w, sslice / 4, 256, &st[1]);
		measure(op_lint, &w, sslice / 4, 256, &st[2]);
		measure(op_sign, &w, sslice, 8, &st[3]);
		measure(op_assemble, &w, sslice / 4, 256, &st[4]);
		measure(op_x509_set_pubkey, &w, sslice / 4, 16, &st[5]);
		measure(op_d2i_pubkey, &w, sslice / 4, 16, &st[6]);
	}
	r->raw = per_s(&raw);
	r->issue = per_s(&issue);
	r->raw_wall = (double)raw.n / raw.wall;
	r->issue_wall = (double)issue.n / issue.wall;
	r->us_raw = us_each(&raw);
	r->us_issue = us_each(&issue);
	r->us_serial = us_each(&st[0]);
	r->us_build = us_each(&st[1]);
	r->us_lint = us_each(&st[2]);
	r->us_assemble = us_each(&st[4]);
	r->us_sign = us_each(&st[3]) - r->us_assemble;
	r->tmpl = per_s(&st[3]);
	r->us_x509_set_pubkey = us_each(&st[5]);
	r->us_spki_decode = us_each(&st[6]);

	egca_pki_csr_free(f.csr);
	egca_pki_profile_free(f.prof);
	egca_ca_issuer_free(f.is);
	EVP_PKEY_free(f.ca_key);
	egca_buf_free(&w.tbs);
	egca_buf_free(&w.cert);
	egca_buf_free(&w.ref);
	egca_buf_free(&w.out);
}

static const char *
target_text(const struct bench_case *c, char *buf, size_t len)
{
	if (c->target_ratio > 0)
		snprintf(buf, len, ">= %.0f%% of raw", c->target_ratio * 100);
	else if (c->target_rate > 0)
		snprintf(buf, len, ">= %.0f/s", c->target_rate);
	else
		snprintf(buf, len, "-");
	return buf;
}

static const char *
met(const struct result *r)
{
	if (r->c->target_ratio > 0)
		return r->issue >= r->c->target_ratio * r->raw ? "yes" : "NO";
	if (r->c->target_rate > 0)
		return r->issue >= r->c->target_rate ? "yes" : "NO";
	return "-";
}

/* The first three fields of /proc/loadavg, or "?". */
static void
loadavg(char *buf, size_t len)
{
	FILE *fp;
	double a1, a5, a15;

	snprintf(buf, len, "?");
	if ((fp = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fscanf(fp, "%lf %lf %lf", &a1, &a5, &a15) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", a1, a5, a15);
	fclose(fp);
}

static void
print_table(const struct result *rs, size_t n, int cpu, const char *load0,
    const char *load1)
{
	char tg[32];
	size_t i;

	printf("egca bench_issue: %s; %.1f s per rate in %d interleaved "
	       "rounds;\none thread (CPU %d); rates per second of the "
	       "thread's CPU time; load %s -> %s\n\n",
	    OpenSSL_version(OPENSSL_VERSION), seconds, rounds, cpu, load0,
	    load1);
	printf("%-8s %-11s %10s %10s %7s %-14s %-4s %10s %10s\n", "alg",
	    "profile", "raw sig/s", "issue/s", "ratio", "target", "met",
	    "raw wall/s", "iss wall/s");
	for (i = 0; i < n; i++)
		printf("%-8s %-11s %10.0f %10.0f %6.1f%% %-14s %-4s %10.0f "
		       "%10.0f\n",
		    rs[i].c->label, rs[i].c->profile, rs[i].raw, rs[i].issue,
		    100 * rs[i].issue / rs[i].raw,
		    target_text(rs[i].c, tg, sizeof(tg)), met(&rs[i]),
		    rs[i].raw_wall, rs[i].issue_wall);
	printf("\nper-stage breakdown, µs of CPU per call (each stage timed "
	       "alone):\n");
	printf("%-8s %-11s %6s %6s %6s %7s %5s %7s | %7s %7s | %6s %6s "
	       "%4s\n",
	    "alg", "profile", "serial", "build", "lint", "sign", "asm", "sum",
	    "issue", "raw", "x509pk", "d2ipk", "tbs");
	for (i = 0; i < n; i++)
		printf("%-8s %-11s %6.2f %6.2f %6.2f %7.1f %5.2f %7.1f | "
		       "%7.1f %7.1f | %6.1f %6.1f %4zu\n",
		    rs[i].c->label, rs[i].c->profile, rs[i].us_serial,
		    rs[i].us_build, rs[i].us_lint, rs[i].us_sign,
		    rs[i].us_assemble,
		    rs[i].us_serial + rs[i].us_build + rs[i].us_lint +
		        rs[i].us_sign + rs[i].us_assemble,
		    rs[i].us_issue, rs[i].us_raw, rs[i].us_x509_set_pubkey,
		    rs[i].us_spki_decode, rs[i].tbs_len);
	printf("\nraw = plain EVP loop, context set up per call; sign = "
	       "egca_ca_sign_tbs minus asm\n(the egca signer copies a "
	       "context prepared once); x509pk = X509_new +\nX509_set_pubkey "
	       "+ X509_free and d2ipk = d2i_PUBKEY of the CSR's SPKI: the "
	       "X509\npath egca does not take. tbs = TBSCertificate "
	       "bytes.\n");
}

static void
print_json(FILE *fp, const struct result *rs, size_t n, int cpu,
    const char *load0, const char *load1)
{
	size_t i;

	fprintf(fp,
	    "{\"openssl\": \"%s\", \"seconds\": %.1f, \"rounds\": %d, "
	    "\"cpu\": %d, \"clock\": \"thread_cputime\", \"load_before\": "
	    "\"%s\", \"load_after\": \"%s\", \"results\": [\n",
	    OpenSSL_version(OPENSSL_VERSION), seconds, rounds, cpu, load0,
	    load1);
	for (i = 0; i < n; i++) {
		const struct result *r = &rs[i];

		fprintf(fp,
		    "  {\"alg\": \"%s\", \"profile\": \"%s\", "
		    "\"tbs_len\": %zu, \"cert_len\": %zu, "
		    "\"raw_sign_per_s\": %.1f, \"sign_tbs_per_s\": %.1f, "
		    "\"issue_per_s\": %.1f, \"ratio\": %.4f, "
		    "\"raw_sign_per_wall_s\": %.1f, "
		    "\"issue_per_wall_s\": %.1f, "
		    "\"target_ratio\": %.2f, \"target_rate\": %.0f, "
		    "\"met\": \"%s\",\n   \"us\": {\"serial\": %.3f, "
		    "\"build\": %.3f, \"lint\": %.3f, \"sign\": %.3f, "
		    "\"assemble\": %.3f, \"issue\": %.3f, \"raw\": %.3f, "
		    "\"x509_set_pubkey\": %.3f, \"d2i_pubkey\": %.3f}}%s\n",
		    r->c->label, r->c->profile, r->tbs_len, r->cert_len, r->raw,
		    r->tmpl, r->issue, r->issue / r->raw, r->raw_wall,
		    r->issue_wall, r->c->target_ratio, r->c->target_rate,
		    met(r), r->us_serial, r->us_build, r->us_lint, r->us_sign,
		    r->us_assemble, r->us_issue, r->us_raw,
		    r->us_x509_set_pubkey, r->us_spki_decode,
		    i + 1 < n ? "," : "");
	}
	fprintf(fp, "]}\n");
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_issue [-t SECONDS] [-r ROUNDS] [--cpu N | --no-pin]\n"
	    "                   [--json] [--json-out FILE] "
	    "[--only sm2|p256|rsa2048]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct result rs[MAX_CASES];
	const char *only = NULL, *json_out = NULL;
	FILE *fp;
	char load0[64], load1[64];
	size_t i, n = 0;
	int json = 0, cpu = 0, a;
	cpu_set_t set;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "-t") == 0 && a + 1 < argc)
			seconds = atof(argv[++a]);
		else if (strcmp(argv[a], "-r") == 0 && a + 1 < argc)
			rounds = atoi(argv[++a]);
		else if (strcmp(argv[a], "--cpu") == 0 && a + 1 < argc)
			cpu = atoi(argv[++a]);
		else if (strcmp(argv[a], "--no-pin") == 0)
			cpu = -1;
		else if (strcmp(argv[a], "--json") == 0)
			json = 1;
		else if (strcmp(argv[a], "--json-out") == 0 && a + 1 < argc)
			json_out = argv[++a];
		else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc)
			only = argv[++a];
		else
			usage();
	}
	if (seconds <= 0 || rounds < 1)
		usage();
	loadavg(load0, sizeof(load0));
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET((size_t)cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			perror("bench_issue: sched_setaffinity");
			cpu = -1;
		}
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (only != NULL && strcmp(only, cases[i].label) != 0)
			continue;
		if (!json)
			fprintf(stderr, "bench_issue: %s %s...\n",
			    cases[i].label, cases[i].profile);
		run_case(&cases[i], &rs[n++]);
	}
	loadavg(load1, sizeof(load1));
	if (json)
		print_json(stdout, rs, n, cpu, load0, load1);
	else
		print_table(rs, n, cpu, load0, load1);
	if (json_out != NULL) {
		if ((fp = fopen(json_out, "w")) == NULL) {
			perror(json_out);
			return 1;
		}
		print_json(fp, rs, n, cpu, load0, load1);
		if (fclose(fp) != 0) {
			perror(json_out);
			return 1;
		}
	}
	return 0;
}
