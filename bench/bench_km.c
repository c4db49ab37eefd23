/*
 * bench_km: the key management centre's key generation + escrow rate
 * (issue 5, docs/performance.md "Key management centre"), beside the raw
 * SM2 key generation rate of the same OpenSSL.
 *
 *   bench_km [-t SECONDS] [-r ROUNDS] [--threads N] [--store URI]
 *            [--no-split] [--json-out FILE]
 *       In process. A KM data directory is made in a temporary directory
 *       by the real ceremony (egca_km_init, 2 of 3), opened, unsealed with
 *       2 shares, a CA (SM2 key, self-signed certificate) put on its trust
 *       list; then, in ROUNDS interleaved slices:
 *         raw    EVP_PKEY_CTX_new_from_name("SM2") + EVP_PKEY_keygen_init
 *                + EVP_PKEY_keygen + frees, every call;
 *         apply  egca_km_apply of one key through egca_km_client_inproc:
 *                request built and signed by the CA, parsed and checked
 *                by the KM (trust list, signature, window, task number
 *                committed), key generated, wrapped under the master
 *                key, enveloped to the holder's signing key, stored with
 *                its audit event (durable commit), answer signed; the
 *                client checks the answer (KM signature, task, items,
 *                envelope's public key).
 *       with 1 thread and with N threads (default: the number of CPUs).
 *       Then (unless --no-split) each step of an apply is timed alone,
 *       one thread. --store URI puts the KM store there (a PostgreSQL
 *       database is WIPED first); default SQLite in the temporary
 *       directory. EGCA_PG_URI in the environment is used when --store
 *       is not given and --sqlite is not either.
 *
 *   bench_km prepare DIR [--store URI]
 *       Makes DIR/km (a KM, passphrase in DIR/pass), DIR/shares, and a CA
 *       the KM trusts: DIR/ca.key (unencrypted) and DIR/ca.der. For
 *       `egca km serve` (bench/km_run.sh).
 *
 *   bench_km trust KMDIR CERT
 *       Puts the CA certificate CERT (PEM or DER) on the trust list of
 *       the KM in KMDIR (egca_km_trust_add as a security administrator
 *       with a second factor; audited). For bench/dual_run.sh.
 *
 *   bench_km https DIR --url URL --tls-cert F --tls-key F --tls-ca F
 *            [-t SECONDS] [-r ROUNDS] [--threads N] [--server-pid PID]
 *            [--json-out FILE]
 *       egca_km_apply over HTTPS with mutual TLS (egca_km_client_https:
 *       one TLS connection per request, as the client does) against a
 *       served, unsealed KM of DIR made by `prepare`; 1 and N threads.
 *       With --server-pid, the server's CPU time per request
 *       (/proc/PID/stat utime + stime around each slice).
 *
 * Rates are given per second of wall time and per second of the CPU time
 * of the threads doing the work (CLOCK_THREAD_CPUTIME_ID, summed over
 * threads): on a shared machine the second is the per-core figure. In
 * process, the KM's work runs in the calling thread, so its CPU time
 * includes the client's signing and checking and the SQLite commits
 * (user + system), but not the PostgreSQL server's.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "egca/audit.h"
#include "egca/auth.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/err.h"
#include "egca/file.h"
#include "egca/km.h"
#include "egca/pki.h"
#include "egca/store.h"
#include "km/km_int.h"
#include "store/store_test.h"

#define MAX_THREADS 64

static const char bench_pass[] = "bench km passphrase";

static double seconds = 6.0;
static int rounds = 3;

/* ---- helpers ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *what, enum egca_err e)
{
	fprintf(stderr, "bench_km: %s: %s: %s\n", what, egca_err_name(e),
	    egca_err_detail());
	exit(1);
}

static void
ok(const char *what, enum egca_err e)
{
	if (e != EGCA_OK)
		die(what, e);
}

static double
loadavg(void)
{
	double l = -1;
	FILE *fp = fopen("/proc/loadavg", "r");

	if (fp != NULL) {
		if (fscanf(fp, "%lf", &l) != 1)
			l = -1;
		fclose(fp);
	}
	return l;
}

/* utime + stime of process pid in seconds, or -1. */
static double
proc_cpu(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut, st;
	FILE *fp;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Fields after the command name (which may hold spaces). */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	        &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- the CA the KM trusts ---- */

struct ca {
	EVP_PKEY *key; /* a reference for the raw loops */
	struct egca_signer *signer;
	uint8_t *cert;
	size_t cert_len;
};

static void
ca_cert(struct ca *ca)
{
	struct egca_profile prof;
	struct egca_cert_template t;
	struct egca_buf tbs, cert;
	uint8_t serial[16], sig[128], *name = NULL;
	size_t name_len, spki_len, sig_len = sizeof(sig);
	int64_t now = (int64_t)time(NULL);

	memset(&prof, 0, sizeof(prof));
	prof.kind = EGCA_PROFILE_ROOT;
	prof.key_usage = EGCA_KU_KEY_CERT_SIGN | EGCA_KU_CRL_SIGN;
	prof.key_usage_critical = 1;
	prof.path_len = -1;
	prof.allowed_keys = 1u << EGCA_KEY_SM2;
	ok("CA subject",
	    egca_pki_name_parse(
	        "C=CN,O=egca bench,CN=egca bench SM2 CA", &name, &name_len));
	ok("CA serial", egca_crypto_rand(serial, sizeof(serial)));
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x01);
	memset(&t, 0, sizeof(t));
	t.profile = &prof;
	t.sig_alg = egca_signer_sig_alg(ca->signer);
	t.serial = serial;
	t.serial_len = sizeof(serial);
	t.issuer = t.subject = name;
	t.issuer_len = t.subject_len = name_len;
	t.spki = egca_signer_get0_spki(ca->signer, &spki_len);
	t.spki_len = spki_len;
	t.not_before = now - 60;
	t.not_after = now + 86400 * 365;
	egca_buf_init(&tbs, 1 << 20);
	egca_buf_init(&cert, 1 << 20);
	ok("CA TBS", egca_pki_cert_build_tbs(&t, &tbs));
	ok("CA sign",
	    egca_signer_sign(
	        ca->signer, EGCA_SIGN_CERT, tbs.data, tbs.len, sig, &sig_len));
	ok("CA cert",
	    egca_pki_signed_assemble(
	        tbs.data, tbs.len, t.sig_alg, sig, sig_len, &cert));
	ca->cert = egca_buf_take(&cert, &ca->cert_len);
	egca_buf_free(&tbs);
	free(name);
}

/* A CA around key (one reference is taken by the signer). */
static void
ca_from_key(struct ca *ca, EVP_PKEY *key)
{
	ca->key = key;
	if (EVP_PKEY_up_ref(key) != 1)
		die("EVP_PKEY_up_ref", EGCA_ERR_CRYPTO);
	ok("CA signer",
	    egca_signer_open_key(
	        key, EGCA_SIGN_CERT | EGCA_SIGN_CSR, &ca->signer));
}

static void
ca_free(struct ca *ca)
{
	EVP_PKEY_free(ca->key);
	egca_signer_free(ca->signer);
	free(ca->cert);
}

/* ---- setting up a KM: the ceremony, the trust list ---- */

struct setup {
	char dir[900];
	char kmdir[1000], sharedir[1000];
	char store[1200];
	struct egca_km_init_result res;
	uint8_t *share[EGCA_KM_MAX_CUSTODIANS];
	size_t share_len[EGCA_KM_MAX_CUSTODIANS];
	struct ca ca;
};

static void
km_prepare(struct setup *s, const char *store)
{
	struct egca_km_init_opts o;
	struct egca_km *km = NULL;
	struct egca_principal sec;
	EVP_PKEY *key = NULL;
	char path[1100];
	int i;

	snprintf(s->kmdir, sizeof(s->kmdir), "%s/km", s->dir);
	snprintf(s->sharedir, sizeof(s->sharedir), "%s/shares", s->dir);
	if (store != NULL && strncmp(store, "postgres", 8) == 0 &&
	    egca_store_test_reset(store) != EGCA_OK)
		die("reset the PostgreSQL database", EGCA_ERR_STORE);
	memset(&o, 0, sizeof(o));
	o.dir = s->kmdir;
	o.store = store;
	o.share_dir = s->sharedir;
	o.custodians = 3;
	o.threshold = 2;
	o.pass = bench_pass;
	o.pass_len = sizeof(bench_pass) - 1;
	o.actor = "bench";
	ok("km init", egca_km_init(&o, &s->res));
	if (store != NULL)
		snprintf(s->store, sizeof(s->store), "%s", store);
	else
		snprintf(
		    s->store, sizeof(s->store), "sqlite:%s/egca.db", s->kmdir);
	for (i = 0; i < s->res.n_shares; i++)
		ok("share file",
		    egca_file_read(s->res.share_paths[i], 4096, &s->share[i],
		        &s->share_len[i]));
	snprintf(path, sizeof(path), "%s/pass", s->dir);
	ok("pass file",
	    egca_file_write_atomic(path, (const uint8_t *)bench_pass,
	        sizeof(bench_pass) - 1, 0600));
	/* The CA, on the trust list (the KM's secadmin, second factor). */
	ok("CA key", egca_crypto_key_generate(EGCA_KEY_SM2, 0, &key));
	ca_from_key(&s->ca, key);
	ca_cert(&s->ca);
	snprintf(path, sizeof(path), "%s/ca.key", s->dir);
	ok("ca.key", egca_crypto_key_save_plain(s->ca.key, path));
	snprintf(path, sizeof(path), "%s/ca.der", s->dir);
	ok("ca.der",
	    egca_file_write_atomic(path, s->ca.cert, s->ca.cert_len, 0644));
	ok("km open", egca_km_open(s->kmdir, NULL, 0, 1, &km));
	memset(&sec, 0, sizeof(sec));
	snprintf(sec.name, sizeof(sec.name), "bench");
	snprintf(sec.actor, sizeof(sec.actor), "operator:bench");
	sec.roles = EGCA_ROLE_SECADMIN;
	sec.mfa = 1;
	ok("trust add",
	    egca_km_trust_add(km, &sec, s->ca.cert, s->ca.cert_len, NULL));
	egca_km_free(km);
}

static void
setup_free(struct setup *s)
{
	int i;

	for (i = 0; i < EGCA_KM_MAX_CUSTODIANS; i++)
		free(s->share[i]);
	egca_km_init_result_free(&s->res);
	ca_free(&s->ca);
}

/* ---- threads running an operation for a slice of time ---- */

struct worker;
typedef void op_fn(struct worker *w);

struct worker {
	pthread_t th;
	int idx;
	op_fn *op;
	double deadline;
	/* apply */
	struct egca_km_client *client;
	struct egca_km_sender snd;
	EVP_PKEY *holder; /* the holder's signing key pair */
	uint8_t *holder_spki;
	size_t holder_spki_len;
	/* results */
	unsigned long n;
	double cpu;
};

static unsigned long long cert_counter;

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	double c0 = cpu_s();

	w->n = 0;
	while (now_s() < w->deadline) {
		w->op(w);
		w->n++;
	}
	w->cpu = cpu_s() - c0;
	return NULL;
}

struct rate {
	unsigned long n;
	double wall, cpu, server_cpu;
};

static void
rate_add(struct rate *r, const struct rate *s)
{
	r->n += s->n;
	r->wall += s->wall;
	r->cpu += s->cpu;
	r->server_cpu += s->server_cpu;
}

/* Runs op on nth workers (prepared) for secs; server: pid or 0. */
static struct rate
run_slice(struct worker *ws, int nth, op_fn *op, double secs, long server)
{
	struct rate r;
	double t0, s0;
	int i;

	memset(&r, 0, sizeof(r));
	s0 = proc_cpu(server);
	t0 = now_s();
	for (i = 0; i < nth; i++) {
		ws[i].op = op;
		ws[i].deadline = t0 + secs;
		if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0)
			die("pthread_create", EGCA_ERR_IO);
	}
	for (i = 0; i < nth; i++) {
		pthread_join(ws[i].th, NULL);
		r.n += ws[i].n;
		r.cpu += ws[i].cpu;
	}
	r.wall = now_s() - t0;
	if (server > 0)
		r.server_cpu = proc_cpu(server) - s0;
	return r;
}

/* ---- the operations ---- */

static void
op_raw_keygen(struct worker *w)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;

	(void)w;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k) != 1)
		die("EVP_PKEY_keygen SM2", EGCA_ERR_CRYPTO);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
}

static void
apply_item(struct worker *w, struct egca_km_apply_item *it, char cert_no[24])
{
	unsigned long long c =
	    __atomic_add_fetch(&cert_counter, 1, __ATOMIC_RELAXED);
	int64_t now = (int64_t)time(NULL);

	snprintf(cert_no, 24, "1%015llx", c);
	memset(it, 0, sizeof(*it));
	it->holder_spki = w->holder_spki;
	it->holder_spki_len = w->holder_spki_len;
	it->cert_no = cert_no;
	it->not_before = now;
	it->not_after = now + 365 * 86400;
	it->ds_code = "110108";
}

static void
op_apply(struct worker *w)
{
	struct egca_km_apply_item it;
	struct egca_km_key k;
	char cert_no[24];

	apply_item(w, &it, cert_no);
	ok("egca_km_apply", egca_km_apply(w->client, &w->snd, &it, 1, &k));
	egca_km_key_clear(&k);
}

/* Once per worker, untimed: an apply whose envelope is opened. */
static void
apply_checked(struct worker *w)
{
	struct egca_km_apply_item it;
	struct egca_km_key k;
	EVP_PKEY *enc = NULL, *pub = NULL;
	char cert_no[24];

	apply_item(w, &it, cert_no);
	ok("egca_km_apply", egca_km_apply(w->client, &w->snd, &it, 1, &k));
	ok("envelope open",
	    egca_envelope_open(w->holder, k.envelope, k.envelope_len, &enc));
	ok("enc_spki",
	    egca_crypto_spki_decode(k.enc_spki, k.enc_spki_len, &pub));
	if (!egca_crypto_key_public_equal(enc, pub))
		die("the envelope's key is not enc_spki", EGCA_ERR_INTEGRITY);
	EVP_PKEY_free(enc);
	EVP_PKEY_free(pub);
	egca_km_key_clear(&k);
}

static void
worker_init(struct worker *w, int idx, const struct ca *ca)
{
	memset(w, 0, sizeof(*w));
	w->idx = idx;
	w->snd.signer = ca->signer;
	w->snd.cert_der = ca->cert;
	w->snd.cert_der_len = ca->cert_len;
	ok("holder key", egca_crypto_key_generate(EGCA_KEY_SM2, 0, &w->holder));
	ok("holder SPKI",
	    egca_crypto_spki_encode(
	        w->holder, &w->holder_spki, &w->holder_spki_len));
}

static void
worker_free(struct worker *w)
{
	egca_km_client_free(w->client);
	EVP_PKEY_free(w->holder);
	free(w->holder_spki);
}

/* ---- the split: each step of an apply timed alone ---- */

struct split_ctx {
	struct egca_km *km;
	struct egca_store *st;
	struct ca *ca;
	EVP_PKEY *holder_pub, *km_pub, *ca_pub;
	uint8_t *holder_spki;
	size_t holder_spki_len;
	struct egca_km_request req;
	struct egca_km_response resp;
	struct egca_buf req_der, resp_der, out;
	EVP_PKEY *pair; /* a generated key, its SPKI, d, wrapped */
	uint8_t *spki;
	size_t spki_len;
	uint8_t *sec; /* data key || d */
	uint8_t wrapped[KM_WRAP_LEN];
	uint8_t *env;
	size_t env_len;
	uint8_t cert_no[8], task[16];
	char kh[65];
	char ca_id[65];
};

struct step {
	const char *name;
	const char *what;
	void (*fn)(struct split_ctx *x);
	double us_cpu, us_wall;
	unsigned long n;
};

static void
st_raw_keygen(struct split_ctx *x)
{
	(void)x;
	op_raw_keygen(NULL);
}

static void
st_km_keygen(struct split_ctx *x)
{
	EVP_PKEY *p = NULL;
	uint8_t *spki = NULL, *d = x->sec + 32;
	size_t len;

	ok("km_key_generate", km_key_generate(&p, &spki, &len, d));
	EVP_PKEY_free(p);
	free(spki);
}

static void
st_req_sign(struct split_ctx *x)
{
	egca_buf_reset(&x->out);
	ok("request sign",
	    egca_km_request_sign(&x->req, x->ca->signer, &x->out));
}

static void
st_req_verify(struct split_ctx *x)
{
	struct egca_km_request r;

	ok("request parse",
	    egca_km_request_parse(x->req_der.data, x->req_der.len, &r));
	ok("request verify",
	    egca_crypto_verify_tbs(x->ca_pub, EGCA_SIG_SM2_SM3, r.tbs,
	        r.tbs_len, r.sig, r.sig_len));
}

/* What verify_sender reads besides the signature: the trust list. */
static void
st_trust(struct split_ctx *x)
{
	struct egca_km_trust_rec *l = NULL;
	struct egca_km_entname en;
	struct egca_cert_info info;
	EVP_PKEY *pub = NULL;
	size_t n = 0;

	memset(&info, 0, sizeof(info));
	ok("trust list", egca_store_km_trust_list(x->st, x->kh, &l, &n));
	if (n != 1)
		die("trust list: not one entry", EGCA_ERR_STATE);
	ok("entname",
	    egca_km_entname_from_cert(l[0].cert_der, l[0].cert_der_len, &en));
	ok("cert info",
	    egca_pki_cert_info(l[0].cert_der, l[0].cert_der_len, &info));
	ok("spki decode",
	    egca_crypto_spki_decode(info.spki_der, info.spki_der_len, &pub));
	EVP_PKEY_free(pub);
	egca_pki_cert_info_free(&info);
	egca_store_km_trust_list_free(l, n);
}

static void
st_target(struct split_ctx *x)
{
	EVP_PKEY *p = NULL;
	enum egca_key_alg alg;
	int bits;
	char h[65];

	ok("target decode",
	    egca_crypto_spki_decode(x->holder_spki, x->holder_spki_len, &p));
	ok("target check", egca_crypto_key_check(p, &alg, &bits));
	ok("target sm3", km_sm3_hex(x->holder_spki, x->holder_spki_len, h));
	EVP_PKEY_free(p);
}

static void
st_wrap(struct split_ctx *x)
{
	char id[33];

	ok("id", km_new_id(id));
	ok("data key", km_data_key(x->km, id, x->sec));
	ok("wrap",
	    km_wrap(x->sec, id, x->spki, x->spki_len, x->sec + 32, x->wrapped));
}

static void
st_envelope(struct split_ctx *x)
{
	uint8_t *env = NULL;
	size_t len;

	ok("envelope", egca_envelope_seal(x->holder_pub, x->pair, &env, &len));
	free(env);
}

static enum egca_err
task_tx(struct egca_store *st, void *arg)
{
	struct split_ctx *x = arg;
	uint8_t t[16];
	char task[33];
	enum egca_err e;

	if ((e = egca_crypto_rand(t, sizeof(t))) != EGCA_OK)
		return e;
	t[0] |= 1;
	egca_hex_encode(t, sizeof(t), task);
	return egca_store_km_task_insert(
	    st, task, x->ca_id, (int64_t)time(NULL));
}

static void
st_task_commit(struct split_ctx *x)
{
	ok("task commit", egca_store_tx(x->st, task_tx, x));
}

static enum egca_err
key_tx(struct egca_store *st, void *arg)
{
	struct split_ctx *x = arg;
	struct egca_km_key_rec rec;
	struct egca_audit_event ev = {
	    "km:request", "km.key.apply", NULL, "success", NULL};
	char id[33], cert_no[41], obj[64], hold[65], *d;
	int64_t now = (int64_t)time(NULL);
	enum egca_err e;

	if ((e = km_new_id(id)) != EGCA_OK)
		return e;
	snprintf(cert_no, sizeof(cert_no), "2%.30s", id);
	ok("sm3", km_sm3_hex(x->holder_spki, x->holder_spki_len, hold));
	memset(&rec, 0, sizeof(rec));
	rec.id = id;
	rec.ca = x->ca_id;
	rec.ca_subject = (char *)(uintptr_t) "C=CN,O=egca bench,CN=egca bench";
	rec.cert_no = cert_no;
	rec.public_key = x->spki;
	rec.public_key_len = x->spki_len;
	rec.wrapped = x->wrapped;
	rec.wrapped_len = sizeof(x->wrapped);
	rec.task = id;
	rec.holder_sign_spki_sm3 = hold;
	rec.ds_code = (char *)(uintptr_t) "110108";
	rec.not_before = now;
	rec.not_after = now + 365 * 86400;
	rec.state = (char *)(uintptr_t) "active";
	rec.created_at = now;
	rec.retain_until = rec.not_after + 3653 * 86400;
	if ((e = egca_store_km_key_insert(st, &rec)) != EGCA_OK)
		return e;
	snprintf(obj, sizeof(obj), "km-key/%s", id);
	d = km_json("peer", "inproc", "ca", rec.ca_subject, "cert_no", cert_no,
	    "task", id, "holder_sign_spki_sm3", hold, (char *)NULL);
	if (d == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "audit");
	ev.object = obj;
	ev.details = d;
	e = egca_audit_append(st, &ev);
	free(d);
	return e;
}

static void
st_key_commit(struct split_ctx *x)
{
	ok("key commit", egca_store_tx(x->st, key_tx, x));
}

static void
st_resp_sign(struct split_ctx *x)
{
	egca_buf_reset(&x->out);
	ok("response sign",
	    egca_km_response_sign(&x->resp, x->km->signer, &x->out));
}

static void
st_resp_verify(struct split_ctx *x)
{
	struct egca_km_response r;

	ok("response parse",
	    egca_km_response_parse(x->resp_der.data, x->resp_der.len, &r));
	ok("response verify",
	    egca_crypto_verify_tbs(x->km_pub, EGCA_SIG_SM2_SM3, r.tbs,
	        r.tbs_len, r.sig, r.sig_len));
}

/* The client's check of a returned key (take_key): retPubKey decoded
 * and checked as an SM2 key, the envelope parsed, its key compared. */
static void
st_env_check(struct split_ctx *x)
{
	struct egca_envelope env;
	EVP_PKEY *k = NULL;
	enum egca_key_alg alg;
	int bits;

	ok("retPubKey", egca_crypto_spki_decode(x->spki, x->spki_len, &k));
	ok("retPubKey check", egca_crypto_key_check(k, &alg, &bits));
	ok("envelope parse", egca_envelope_parse(x->env, x->env_len, &env));
	if (env.pub[0] != 0x04)
		die("envelope public key", EGCA_ERR_INPUT);
	EVP_PKEY_free(k);
}

static struct step steps[] = {
    {"raw_keygen", "raw EVP_PKEY_keygen SM2 (reference)", st_raw_keygen, 0, 0,
        0},
    {"req_sign", "CA: request signed (egca_km_request_sign)", st_req_sign, 0, 0,
        0},
    {"req_verify", "KM: request parsed + signature verified", st_req_verify, 0,
        0, 0},
    {"trust", "KM: trust list read, CA certificate decoded", st_trust, 0, 0, 0},
    {"task_commit", "KM: task number committed (own transaction)",
        st_task_commit, 0, 0, 0},
    {"target", "KM: holder SPKI decoded + checked + SM3", st_target, 0, 0, 0},
    {"keygen", "KM: key generated (km_key_generate)", st_km_keygen, 0, 0, 0},
    {"wrap", "KM: data key (HKDF-SM3) + AES-256-GCM wrap", st_wrap, 0, 0, 0},
    {"envelope", "KM: SM2 envelope to the holder (egca_envelope_seal)",
        st_envelope, 0, 0, 0},
    {"key_commit", "KM: key row + audit event committed", st_key_commit, 0, 0,
        0},
    {"resp_sign", "KM: answer signed (egca_km_response_sign)", st_resp_sign, 0,
        0, 0},
    {"resp_verify", "CA: answer parsed + KM signature verified", st_resp_verify,
        0, 0, 0},
    {"env_check", "CA: retPubKey decoded + checked, envelope parsed",
        st_env_check, 0, 0, 0},
};
#define N_STEPS (sizeof(steps) / sizeof(steps[0]))

static void
split_setup(
    struct split_ctx *x, struct egca_km *km, struct ca *ca, const char *store)
{
	struct egca_cert_info info;
	int64_t now = (int64_t)time(NULL);

	memset(x, 0, sizeof(*x));
	x->km = km;
	x->ca = ca;
	ok("store", egca_store_open(store, 0, &x->st));
	egca_buf_init(&x->req_der, EGCA_KM_MSG_MAX);
	egca_buf_init(&x->resp_der, EGCA_KM_MSG_MAX);
	egca_buf_init(&x->out, EGCA_KM_MSG_MAX);
	if ((x->sec = OPENSSL_secure_malloc(64)) == NULL)
		die("secure heap", EGCA_ERR_NOMEM);
	ok("holder", egca_crypto_key_generate(EGCA_KEY_SM2, 0, &x->holder_pub));
	ok("holder SPKI",
	    egca_crypto_spki_encode(
	        x->holder_pub, &x->holder_spki, &x->holder_spki_len));
	ok("key",
	    km_key_generate(&x->pair, &x->spki, &x->spki_len, x->sec + 32));
	ok("data key",
	    km_data_key(km, "00112233445566778899aabbccddeeff", x->sec));
	ok("wrap",
	    km_wrap(x->sec, "00112233445566778899aabbccddeeff", x->spki,
	        x->spki_len, x->sec + 32, x->wrapped));
	ok("envelope",
	    egca_envelope_seal(x->holder_pub, x->pair, &x->env, &x->env_len));
	memset(&info, 0, sizeof(info));
	ok("CA info", egca_pki_cert_info(ca->cert, ca->cert_len, &info));
	ok("CA pub",
	    egca_crypto_spki_decode(
	        info.spki_der, info.spki_der_len, &x->ca_pub));
	egca_pki_cert_info_free(&info);
	memset(&info, 0, sizeof(info));
	ok("KM info", egca_pki_cert_info(km->cert, km->cert_len, &info));
	ok("KM pub",
	    egca_crypto_spki_decode(
	        info.spki_der, info.spki_der_len, &x->km_pub));
	egca_pki_cert_info_free(&info);
	ok("CA entname",
	    egca_km_entname_from_cert(ca->cert, ca->cert_len, &x->req.ca));
	egca_hex_encode(x->req.ca.key_hash, 32, x->kh);
	ok("CA id", km_sm3_hex(x->req.ca.name, x->req.ca.name_len, x->ca_id));
	ok("cert no", egca_crypto_rand(x->cert_no, sizeof(x->cert_no)));
	x->cert_no[0] = (uint8_t)((x->cert_no[0] & 0x7f) | 1);
	ok("task", egca_crypto_rand(x->task, sizeof(x->task)));
	x->task[0] = (uint8_t)((x->task[0] & 0x7f) | 1);
	x->req.version = 1;
	x->req.n_items = 1;
	x->req.items[0].kind = EGCA_KM_APPLY;
	x->req.items[0].cert_no = x->cert_no;
	x->req.items[0].cert_no_len = sizeof(x->cert_no);
	x->req.items[0].user_spki = x->holder_spki;
	x->req.items[0].user_spki_len = x->holder_spki_len;
	x->req.items[0].not_before = now;
	x->req.items[0].not_after = now + 365 * 86400;
	x->req.items[0].ds_code = (const uint8_t *)"110108";
	x->req.items[0].ds_code_len = 6;
	x->req.request_time = now;
	x->req.task = x->task;
	x->req.task_len = sizeof(x->task);
	ok("request", egca_km_request_sign(&x->req, ca->signer, &x->req_der));
	x->resp.version = 1;
	x->resp.km = km->name;
	x->resp.n_items = 1;
	x->resp.items[0].kind = EGCA_KM_RESP_APPLY;
	x->resp.items[0].cert_no = x->cert_no;
	x->resp.items[0].cert_no_len = sizeof(x->cert_no);
	x->resp.items[0].pub_spki = x->spki;
	x->resp.items[0].pub_spki_len = x->spki_len;
	x->resp.items[0].envelope = x->env;
	x->resp.items[0].envelope_len = x->env_len;
	x->resp.respond_time = now;
	x->resp.task = x->task;
	x->resp.task_len = sizeof(x->task);
	ok("response",
	    egca_km_response_sign(&x->resp, km->signer, &x->resp_der));
}

static void
split_free(struct split_ctx *x)
{
	egca_store_close(x->st);
	egca_buf_free(&x->req_der);
	egca_buf_free(&x->resp_der);
	egca_buf_free(&x->out);
	OPENSSL_secure_clear_free(x->sec, 64);
	EVP_PKEY_free(x->holder_pub);
	EVP_PKEY_free(x->km_pub);
	EVP_PKEY_free(x->ca_pub);
	EVP_PKEY_free(x->pair);
	free(x->holder_spki);
	free(x->spki);
	free(x->env);
}

static void
split_run(struct split_ctx *x, double secs_per_step)
{
	size_t i;
	double t0, c0, t1;

	for (i = 0; i < N_STEPS; i++) {
		steps[i].fn(x); /* warm */
		steps[i].n = 0;
		t0 = now_s();
		c0 = cpu_s();
		do {
			steps[i].fn(x);
			steps[i].n++;
		} while ((t1 = now_s()) - t0 < secs_per_step);
		steps[i].us_cpu = (cpu_s() - c0) * 1e6 / (double)steps[i].n;
		steps[i].us_wall = (t1 - t0) * 1e6 / (double)steps[i].n;
	}
}

/* ---- reporting ---- */

struct result {
	const char *name; /* "raw_keygen", "apply", "apply_https" */
	int threads;
	struct rate r;
};

static void
print_rates(const struct result *rs, size_t n, int server)
{
	size_t i;

	printf("%-12s %7s %9s %10s %12s %9s", "case", "threads", "ops",
	    "wall/s", "per CPU-s", "CPU us");
	if (server)
		printf(" %11s", "srv CPU us");
	printf("\n");
	for (i = 0; i < n; i++) {
		const struct rate *r = &rs[i].r;

		printf("%-12s %7d %9lu %10.1f %12.1f %9.1f", rs[i].name,
		    rs[i].threads, r->n, (double)r->n / r->wall,
		    (double)r->n / r->cpu, r->cpu * 1e6 / (double)r->n);
		if (server)
			printf(" %11.1f", r->server_cpu * 1e6 / (double)r->n);
		printf("\n");
	}
}

static void
json_rates(FILE *fp, const struct result *rs, size_t n, int server)
{
	size_t i;

	fprintf(fp, "\"rates\": [");
	for (i = 0; i < n; i++) {
		const struct rate *r = &rs[i].r;

		fprintf(fp,
		    "%s\n  {\"case\": \"%s\", \"threads\": %d, \"ops\": %lu, "
		    "\"wall_s\": %.3f, \"thread_cpu_s\": %.3f, "
		    "\"per_wall_s\": %.1f, \"per_cpu_s\": %.1f, "
		    "\"cpu_us_per_op\": %.1f",
		    i ? "," : "", rs[i].name, rs[i].threads, r->n, r->wall,
		    r->cpu, (double)r->n / r->wall, (double)r->n / r->cpu,
		    r->cpu * 1e6 / (double)r->n);
		if (server)
			fprintf(fp,
			    ", \"server_cpu_s\": %.3f, "
			    "\"server_cpu_us_per_op\": %.1f",
			    r->server_cpu, r->server_cpu * 1e6 / (double)r->n);
		fprintf(fp, "}");
	}
	fprintf(fp, "]");
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_km [-t SECONDS] [-r ROUNDS] [--threads N] "
	    "[--store URI | --sqlite]\n"
	    "                [--no-split] [--json-out FILE]\n"
	    "       bench_km prepare DIR [--store URI]\n"
	    "       bench_km trust KMDIR CERT\n"
	    "       bench_km https DIR --url URL --tls-cert F --tls-key F "
	    "--tls-ca F\n"
	    "                [-t SECONDS] [-r ROUNDS] [--threads N] "
	    "[--server-pid PID] [--json-out FILE]\n");
	exit(2);
}

struct opts {
	int threads;
	const char *store, *json_out, *url, *tls_cert, *tls_key, *tls_ca;
	int split, sqlite;
	long server_pid;
};

static void
parse_opts(int argc, char **argv, int a, struct opts *o)
{
	for (; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (strcmp(argv[a], "-t") == 0 && v != NULL)
			seconds = atof(argv[++a]);
		else if (strcmp(argv[a], "-r") == 0 && v != NULL)
			rounds = atoi(argv[++a]);
		else if (strcmp(argv[a], "--threads") == 0 && v != NULL)
			o->threads = atoi(argv[++a]);
		else if (strcmp(argv[a], "--store") == 0 && v != NULL)
			o->store = argv[++a];
		else if (strcmp(argv[a], "--sqlite") == 0)
			o->sqlite = 1;
		else if (strcmp(argv[a], "--json-out") == 0 && v != NULL)
			o->json_out = argv[++a];
		else if (strcmp(argv[a], "--no-split") == 0)
			o->split = 0;
		else if (strcmp(argv[a], "--url") == 0 && v != NULL)
			o->url = argv[++a];
		else if (strcmp(argv[a], "--tls-cert") == 0 && v != NULL)
			o->tls_cert = argv[++a];
		else if (strcmp(argv[a], "--tls-key") == 0 && v != NULL)
			o->tls_key = argv[++a];
		else if (strcmp(argv[a], "--tls-ca") == 0 && v != NULL)
			o->tls_ca = argv[++a];
		else if (strcmp(argv[a], "--server-pid") == 0 && v != NULL)
			o->server_pid = atol(argv[++a]);
		else
			usage();
	}
	if (seconds <= 0 || rounds < 1 || o->threads < 1 ||
	    o->threads > MAX_THREADS)
		usage();
}

static FILE *
json_open(const char *path)
{
	FILE *fp;

	if (path == NULL)
		return NULL;
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	return fp;
}

/* ---- modes ---- */

static int
mode_prepare(int argc, char **argv)
{
	struct setup s;
	struct opts o;

	if (argc < 3)
		usage();
	memset(&o, 0, sizeof(o));
	o.threads = 1;
	parse_opts(argc, argv, 3, &o);
	memset(&s, 0, sizeof(s));
	snprintf(s.dir, sizeof(s.dir), "%s", argv[2]);
	ok("dir", egca_file_mkdirs(s.dir, 0700));
	km_prepare(&s, o.store);
	printf(
	    "KM %s, store %s, CA %s/ca.der trusted\n", s.kmdir, s.store, s.dir);
	setup_free(&s);
	return 0;
}

static int
mode_trust(int argc, char **argv)
{
	struct egca_km *km = NULL;
	struct egca_principal sec;
	uint8_t *cert = NULL;
	size_t cert_len;
	char id[65];

	if (argc != 4)
		usage();
	ok("certificate", egca_file_read(argv[3], 1 << 20, &cert, &cert_len));
	ok("km open", egca_km_open(argv[2], NULL, 0, 1, &km));
	memset(&sec, 0, sizeof(sec));
	snprintf(sec.name, sizeof(sec.name), "bench");
	snprintf(sec.actor, sizeof(sec.actor), "operator:bench");
	sec.roles = EGCA_ROLE_SECADMIN;
	sec.mfa = 1;
	ok("trust add", egca_km_trust_add(km, &sec, cert, cert_len, id));
	printf("trusted %s (%s)\n", argv[3], id);
	egca_km_free(km);
	free(cert);
	return 0;
}

static int
mode_https(int argc, char **argv)
{
	struct egca_km_https_opts ho;
	struct worker ws[MAX_THREADS];
	struct result rs[2];
	struct ca ca;
	struct opts o;
	char path[1100], km_cert[1100];
	EVP_PKEY *key = NULL;
	double load0, load1;
	int counts[2], c, i, r;
	FILE *fp;

	if (argc < 3)
		usage();
	memset(&o, 0, sizeof(o));
	o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	parse_opts(argc, argv, 3, &o);
	if (o.url == NULL || o.tls_cert == NULL || o.tls_key == NULL ||
	    o.tls_ca == NULL)
		usage();
	memset(&ca, 0, sizeof(ca));
	snprintf(path, sizeof(path), "%s/ca.key", argv[2]);
	ok("ca.key", egca_crypto_key_load_plain(path, &key));
	ca_from_key(&ca, key);
	snprintf(path, sizeof(path), "%s/ca.der", argv[2]);
	ok("ca.der", egca_file_read(path, 1 << 20, &ca.cert, &ca.cert_len));
	snprintf(
	    km_cert, sizeof(km_cert), "%s/km/%s", argv[2], EGCA_KM_CERT_FILE);
	memset(&ho, 0, sizeof(ho));
	ho.url = o.url;
	ho.client_cert = o.tls_cert;
	ho.client_key = o.tls_key;
	ho.ca_bundle = o.tls_ca;
	ho.km_cert = km_cert;
	cert_counter = (unsigned long long)time(NULL) << 16;
	for (i = 0; i < o.threads; i++) {
		worker_init(&ws[i], i, &ca);
		ok("https client", egca_km_client_https(&ho, &ws[i].client));
		apply_checked(&ws[i]);
	}
	counts[0] = 1;
	counts[1] = o.threads;
	memset(rs, 0, sizeof(rs));
	load0 = loadavg();
	for (r = 0; r < rounds; r++)
		for (c = 0; c < 2; c++) {
			struct rate s = run_slice(ws, counts[c], op_apply,
			    seconds / rounds, o.server_pid);

			rs[c].name = "apply_https";
			rs[c].threads = counts[c];
			rate_add(&rs[c].r, &s);
		}
	load1 = loadavg();
	printf("KM apply over HTTPS + mutual TLS (%s), %d round(s) of %.1f s "
	       "per case, load %.2f -> %.2f\n",
	    o.url, rounds, seconds / rounds, load0, load1);
	print_rates(rs, 2, o.server_pid > 0);
	if ((fp = json_open(o.json_out)) != NULL) {
		fprintf(fp,
		    "{\"mode\": \"https\", \"url\": \"%s\", \"seconds\": %.1f, "
		    "\"rounds\": %d, \"load_before\": %.2f, \"load_after\": "
		    "%.2f, \"clock\": \"thread_cputime (client threads)\", ",
		    o.url, seconds, rounds, load0, load1);
		json_rates(fp, rs, 2, o.server_pid > 0);
		fprintf(fp, "}\n");
		fclose(fp);
	}
	for (i = 0; i < o.threads; i++)
		worker_free(&ws[i]);
	ca_free(&ca);
	return 0;
}

static int
mode_inproc(int argc, char **argv)
{
	struct worker ws[MAX_THREADS];
	struct result rs[4];
	struct setup s;
	struct split_ctx x;
	struct egca_km *km = NULL;
	struct opts o;
	const char *base, *store;
	double load0, load1, us_apply;
	int counts[2], c, i, r;
	size_t k;
	FILE *fp;

	memset(&o, 0, sizeof(o));
	o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o.split = 1;
	parse_opts(argc, argv, 1, &o);
	store = o.store;
	if (store == NULL && !o.sqlite && getenv("EGCA_PG_URI") != NULL &&
	    *getenv("EGCA_PG_URI") != '\0')
		store = getenv("EGCA_PG_URI");
	egca_crypto_harden_process(); /* as egca km serve: secure heap */
	memset(&s, 0, sizeof(s));
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	snprintf(s.dir, sizeof(s.dir), "%s/egca-benchkm-XXXXXX", base);
	if (mkdtemp(s.dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	km_prepare(&s, store);
	ok("km open",
	    egca_km_open(s.kmdir, bench_pass, sizeof(bench_pass) - 1,
	        (size_t)o.threads + 2, &km));
	ok("unseal 1",
	    egca_km_unseal(
	        km, s.share[0], s.share_len[0], "custodian:bench", NULL));
	ok("unseal 2",
	    egca_km_unseal(
	        km, s.share[1], s.share_len[1], "custodian:bench", NULL));
	for (i = 0; i < o.threads; i++) {
		worker_init(&ws[i], i, &s.ca);
		ok("client", egca_km_client_inproc(km, &ws[i].client));
		apply_checked(&ws[i]);
	}
	counts[0] = 1;
	counts[1] = o.threads;
	memset(rs, 0, sizeof(rs));
	load0 = loadavg();
	for (r = 0; r < rounds; r++)
		for (c = 0; c < 2; c++) {
			struct rate a = run_slice(
			    ws, counts[c], op_raw_keygen, seconds / rounds, 0);
			struct rate b = run_slice(
			    ws, counts[c], op_apply, seconds / rounds, 0);

			rs[2 * c].name = "raw_keygen";
			rs[2 * c].threads = counts[c];
			rate_add(&rs[2 * c].r, &a);
			rs[2 * c + 1].name = "apply";
			rs[2 * c + 1].threads = counts[c];
			rate_add(&rs[2 * c + 1].r, &b);
		}
	load1 = loadavg();
	printf("KM key generation + escrow in process, store %s\n"
	       "%d round(s) of %.1f s per case, interleaved; load %.2f -> "
	       "%.2f\n",
	    strncmp(s.store, "sqlite", 6) == 0 ? "SQLite" : "PostgreSQL",
	    rounds, seconds / rounds, load0, load1);
	print_rates(rs, 4, 0);
	for (c = 0; c < 2; c++)
		printf("apply / raw keygen, %d thread(s): %.1f %% per CPU-s, "
		       "%.1f %% wall\n",
		    counts[c],
		    100.0 * ((double)rs[2 * c + 1].r.n / rs[2 * c + 1].r.cpu) /
		        ((double)rs[2 * c].r.n / rs[2 * c].r.cpu),
		    100.0 * ((double)rs[2 * c + 1].r.n / rs[2 * c + 1].r.wall) /
		        ((double)rs[2 * c].r.n / rs[2 * c].r.wall));
	us_apply = rs[1].r.cpu * 1e6 / (double)rs[1].r.n;
	if (o.split) {
		double sum_cpu = 0, sum_wall = 0;

		split_setup(&x, km, &s.ca, s.store);
		split_run(&x, seconds / 6 > 0.3 ? seconds / 6 : 0.3);
		printf("\nsteps of one apply, each timed alone (1 thread)\n");
		printf("%-12s %10s %10s  %s\n", "step", "CPU us", "wall us",
		    "what");
		for (k = 0; k < N_STEPS; k++) {
			printf("%-12s %10.1f %10.1f  %s\n", steps[k].name,
			    steps[k].us_cpu, steps[k].us_wall, steps[k].what);
			if (k > 0) {
				sum_cpu += steps[k].us_cpu;
				sum_wall += steps[k].us_wall;
			}
		}
		printf("%-12s %10.1f %10.1f  %s\n", "sum", sum_cpu, sum_wall,
		    "the steps above but the reference");
		printf("%-12s %10.1f %10.1f  %s\n", "apply", us_apply,
		    rs[1].r.wall * 1e6 / (double)rs[1].r.n,
		    "one whole apply (1 thread, above)");
		split_free(&x);
	}
	if ((fp = json_open(o.json_out)) != NULL) {
		fprintf(fp,
		    "{\"mode\": \"inproc\", \"store\": \"%s\", \"seconds\": "
		    "%.1f, \"rounds\": %d, \"load_before\": %.2f, "
		    "\"load_after\": %.2f, \"clock\": \"thread_cputime\", ",
		    strncmp(s.store, "sqlite", 6) == 0 ? "sqlite" : "postgres",
		    seconds, rounds, load0, load1);
		json_rates(fp, rs, 4, 0);
		if (o.split) {
			fprintf(fp, ", \"steps\": [");
			for (k = 0; k < N_STEPS; k++)
				fprintf(fp,
				    "%s\n  {\"step\": \"%s\", \"cpu_us\": "
				    "%.2f, "
				    "\"wall_us\": %.2f, \"calls\": %lu}",
				    k ? "," : "", steps[k].name,
				    steps[k].us_cpu, steps[k].us_wall,
				    steps[k].n);
			fprintf(fp, "]");
		}
		fprintf(fp, "}\n");
		fclose(fp);
	}
	for (i = 0; i < o.threads; i++)
		worker_free(&ws[i]);
	egca_km_free(km);
	setup_free(&s);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "prepare") == 0)
		return mode_prepare(argc, argv);
	if (argc > 1 && strcmp(argv[1], "trust") == 0)
		return mode_trust(argc, argv);
	if (argc > 1 && strcmp(argv[1], "https") == 0)
		return mode_https(argc, argv);
	return mode_inproc(argc, argv);
}
