/*
 * bench_crl: a CRL of N revoked certificates (default 1,000,000),
 * streamed out of a temporary SQLite store, built and signed, with the
 * wall time and the peak RSS (getrusage ru_maxrss of a child process
 * that does only that), side by side with `openssl ca -gencrl` on an
 * index.txt of N revoked entries (bench/crl_1m.sh makes it) in one run.
 *
 *   bench_crl [-n N] [-a ALG] [-o OPENSSL_DIR] [-d WORKDIR]
 *
 * Three measurements, each in a child of its own (so ru_maxrss is that
 * step's alone):
 *   1. egca build+sign: the store's paged entry read, the streaming
 *      builder, the signature, the file written (what `openssl ca
 *      -gencrl` does);
 *   2. egca_status_crl_generate: the code `egca crl generate` runs, with
 *      the scrypt key derivation, the CRL stored in the database, the
 *      files published and the (empty) delta CRL;
 *   3. openssl ca -gencrl -config OPENSSL_DIR/openssl.cnf (when -o).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "egca/ca.h"
#include "egca/config.h"
#include "egca/file.h"
#include "egca/pki.h"
#include "egca/status.h"
#include "egca/store.h"
#include "store/store_test.h"

static const char pass[] = "bench passphrase 1234";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, enum egca_err e)
{
	fprintf(stderr, "bench_crl: %s: %s (%s)\n", what, egca_err_detail(),
	    egca_err_name(e));
	exit(1);
}

struct env {
	struct egca_config *cfg;
	struct egca_store *st;
	struct egca_ctx ctx;
};

static void
env_open(const char *dir, struct env *v)
{
	enum egca_err e;

	if ((e = egca_config_load(dir, &v->cfg)) != EGCA_OK ||
	    (e = egca_store_open(v->cfg->store_uri, 0, &v->st)) != EGCA_OK)
		die("open", e);
	v->ctx = (struct egca_ctx){v->cfg, v->st, "bench"};
}

static void
env_close(struct env *v)
{
	egca_store_close(v->st);
	egca_config_free(v->cfg);
}

/* A data directory with CA "root" and n revoked certificates. */
static void
setup(const char *dir, const char *alg, long n)
{
	struct egca_ca_create_opts o;
	struct env v;
	char prof[4400], target[4400], sql[2048];
	const char *src = getenv("EGCA_SOURCE_DIR");
	enum egca_err e;
	double t0;

	snprintf(prof, sizeof(prof), "%s/profiles", dir);
	if ((e = egca_file_mkdirs(dir, 0700)) != EGCA_OK)
		die("mkdir", e);
	snprintf(
	    target, sizeof(target), "%s/profiles", src ? src : EGCA_SOURCE_DIR);
	if (symlink(target, prof) != 0 && errno != EEXIST) {
		perror("symlink");
		exit(1);
	}
	if ((e = egca_config_create(dir, NULL, NULL, "root")) != EGCA_OK)
		die("config", e);
	if ((e = egca_config_load(dir, &v.cfg)) != EGCA_OK ||
	    (e = egca_store_open(v.cfg->store_uri, 1, &v.st)) != EGCA_OK)
		die("store", e);
	v.ctx = (struct egca_ctx){v.cfg, v.st, "bench"};
	memset(&o, 0, sizeof(o));
	o.name = "root";
	if ((e = egca_crypto_key_alg_parse(alg, &o.alg, &o.bits)) != EGCA_OK)
		die("alg", e);
	o.subject = "C=CN,O=Bench,CN=Bench CRL CA";
	o.validity_days = 3650;
	o.pass = pass;
	o.pass_len = strlen(pass);
	if ((e = egca_ca_create(&v.ctx, &o)) != EGCA_OK)
		die("ca create", e);
	t0 = now_s();
	/* Reasons 0..5 in turn (0: unspecified, no reasonCode), every
	 * tenth with an invalidity date, as the index.txt of crl_1m.sh. */
	snprintf(sql, sizeof(sql),
	    "BEGIN;"
	    "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c"
	    " WHERE i < %ld) INSERT INTO serial_reservation (ca, serial,"
	    " tbs_sm3, reserved_at) SELECT 'root', printf('7f%%030x', i), '00',"
	    " 0 FROM c;"
	    "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c"
	    " WHERE i < %ld) INSERT INTO certificate (ca, serial, profile,"
	    " subject, status, reason, revoked_at, invalidity_date,"
	    " not_before, not_after, issued_at, audience, key_alg, tbs_sm3,"
	    " der) SELECT 'root', printf('7f%%030x', i), 'tls-server',"
	    " 'CN=u' || i, 'revoked', i %% 6, 1795564800 + i %% 86400,"
	    " CASE WHEN i %% 10 = 0 THEN 1795478400 ELSE 0 END, 0,"
	    " 1924991999, 0, 'public', 'x', '00', x'3000' FROM c;"
	    "COMMIT;",
	    n - 1, n - 1);
	if ((e = egca_store_test_exec(v.st, sql)) != EGCA_OK)
		die("insert", e);
	fprintf(stderr, "bench_crl: %ld revoked rows inserted in %.1f s\n", n,
	    now_s() - t0);
	egca_store_close(v.st);
	egca_config_free(v.cfg);
}

static enum egca_err
add(const struct egca_crl_entry *en, void *arg)
{
	uint8_t serial[20];
	size_t n;
	enum egca_err e;

	if ((e = egca_hex_decode(en->serial, serial, sizeof(serial), &n)) !=
	    EGCA_OK)
		return e;
	return egca_pki_crl_builder_add(
	    arg, serial, n, en->revoked_at, en->reason, en->invalidity_date);
}

/* Child 1: stream, build, sign, write (the key opened beforehand). */
static int
build_sign(const char *dir)
{
	struct env v;
	struct egca_issuer *is;
	struct egca_crl_template t;
	struct egca_crl_builder *b;
	struct egca_signer *sg;
	struct egca_cert_info info;
	struct egca_ca_rec rec;
	const uint8_t *tbs;
	uint8_t sig[1024], *der;
	size_t tbs_len, sig_len = sizeof(sig), len;
	char *out;
	enum egca_err e;
	double t0;

	env_open(dir, &v);
	if ((e = egca_ca_issuer_open(
	         &v.ctx, "root", pass, strlen(pass), &is)) != EGCA_OK ||
	    (e = egca_store_ca_get(v.st, "root", &rec)) != EGCA_OK ||
	    (e = egca_pki_cert_info(rec.cert_der, rec.cert_der_len, &info)) !=
	        EGCA_OK)
		die("issuer", e);
	sg = egca_ca_issuer_get0_signer(is);
	t0 = now_s();
	memset(&t, 0, sizeof(t));
	t.sig_alg = egca_signer_sig_alg(sg);
	t.issuer = egca_ca_issuer_get0_subject(is, &t.issuer_len);
	t.issuer_ski = info.ski;
	t.issuer_ski_len = info.ski_len;
	t.this_update = (int64_t)time(NULL);
	t.next_update = t.this_update + 86400;
	t.number = 1;
	if ((e = egca_pki_crl_builder_new(&t, 0, &b)) != EGCA_OK ||
	    (e = egca_store_crl_each_revoked(
	         v.st, "root", t.this_update, add, b)) != EGCA_OK ||
	    (e = egca_pki_crl_builder_tbs(b, &tbs, &tbs_len)) != EGCA_OK ||
	    (e = egca_signer_sign(
	         sg, EGCA_SIGN_CRL, tbs, tbs_len, sig, &sig_len)) != EGCA_OK)
		die("build", e);
	printf("  entries %zu\n", egca_pki_crl_builder_count(b));
	if ((e = egca_pki_crl_builder_finish(b, sig, sig_len, &der, &len)) !=
	    EGCA_OK)
		die("finish", e);
	out = egca_file_join(dir, "bench.crl");
	if ((e = egca_file_write_atomic(out, der, len, 0644)) != EGCA_OK)
		die("write", e);
	printf("  egca build+sign: %.2f s, %zu bytes -> %s\n", now_s() - t0,
	    len, out);
	fflush(stdout);
	return 0;
}

/* Child 2: what `egca crl generate` does. */
static int
generate(const char *dir)
{
	struct egca_status_config c;
	struct env v;
	enum egca_err e;
	double t0;

	env_open(dir, &v);
	egca_status_config_default(&c);
	t0 = now_s();
	if ((e = egca_status_crl_generate(
	         &v.ctx, &c, "root", pass, strlen(pass))) != EGCA_OK)
		die("generate", e);
	printf("  egca_status_crl_generate: %.2f s\n", now_s() - t0);
	fflush(stdout);
	env_close(&v);
	return 0;
}

/* Runs fn (or argv) in a child; prints its wall time and peak RSS. */
static void
measure(const char *label, int (*fn)(const char *), const char *arg,
    char *const *argv, const char *cwd)
{
	struct rusage ru;
	double t0 = now_s();
	pid_t pid;
	int status;

	printf("%s\n", label);
	fflush(stdout);
	if ((pid = fork()) < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if (fn != NULL)
			_exit(fn(arg));
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		exit(1);
	}
	printf("  wall %.2f s, user %.2f s, sys %.2f s, peak RSS %.1f MB, "
	       "exit %d\n",
	    now_s() - t0,
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	    (double)ru.ru_maxrss / 1024.0,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	fflush(stdout);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		exit(1);
}

int
main(int argc, char **argv)
{
	const char *alg = "ecdsa-p256", *ossl = NULL, *work = NULL;
	char tmpl[] = "/tmp/bench-crl.XXXXXX", dir[4200], conf[4200];
	long n = 1000000;
	int c;

	while ((c = getopt(argc, argv, "n:a:o:d:")) != -1) {
		switch (c) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'a':
			alg = optarg;
			break;
		case 'o':
			ossl = optarg;
			break;
		case 'd':
			work = optarg;
			break;
		default:
			fprintf(stderr,
			    "usage: bench_crl [-n N] [-a ALG] "
			    "[-o OPENSSL_DIR] [-d WORKDIR]\n");
			return 2;
		}
	}
	if (n < 1)
		return 2;
	if (work == NULL && (work = mkdtemp(tmpl)) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/data", work);
	printf("bench_crl: %ld revoked certificates, %s, work dir %s\n", n, alg,
	    work);
	setup(dir, alg, n);
	measure("egca: stream + build + sign + write (child)", build_sign, dir,
	    NULL, NULL);
	measure("egca: egca_status_crl_generate, as `egca crl generate` "
	        "(child)",
	    generate, dir, NULL, NULL);
	if (ossl != NULL) {
		static char a0[] = "openssl", a1[] = "ca", a2[] = "-gencrl",
		            a3[] = "-config", a5[] = "-out", a6[] = "crl.pem";
		char *oargv[] = {a0, a1, a2, a3, conf, a5, a6, NULL};

		snprintf(conf, sizeof(conf), "%s/openssl.cnf", ossl);
		measure("openssl ca -gencrl (child)", NULL, NULL, oargv, ossl);
	}
	return 0;
}
