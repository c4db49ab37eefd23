/*
 * The RA benchmark client (docs/performance.md, "Applications"): drives
 * a running `egca serve` through its REST API like real RA staff.
 *
 *   1. makes N SM2 key pairs and CSRs (not timed);
 *   2. submit: S threads of the RA operator POST N "new" applications
 *      (keep-alive, one Idempotency-Key each);
 *   3. review: R reviewer threads, each a different person with its own
 *      API token, walk the SAME queue in the same order and POST an
 *      approval for every application (each approval that reaches the
 *      quorum executes: serial, TBS, lint, sign, durable commit, OCSP
 *      pre-signed). All but one approval of an application collide and
 *      are refused (409), which is the point: every application must
 *      end executed exactly once.
 *
 * Prints one JSON object: rates, p50/p99 latencies (ms) and the counts
 * the wrapper (bench/ra_run.sh) checks against the store.
 *
 *   bench_ra --host 127.0.0.1 --port P --subscriber ID --profile NAME
 *            --operator-token-file F --reviewer-tokens-file F
 *            [-n 500] [--submitters 4] [--reviewers 16]
 *            [--enc-profile NAME]
 *
 * With --enc-profile the applications are dual (bench/dual_run.sh): the
 * executing approval must answer with the signing certificate, the
 * encryption certificate and the envelope ("complete" counts those).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/pki.h"

#define MAX_REVIEWERS 64
#define TOKEN_MAX 128

struct app {
	char *csr_pem;
	char id[33];
	char digest[65];
	atomic_int done; /* 1 once some reviewer's approval executed it */
};

static const char *host = "127.0.0.1";
static int port;
static const char *subscriber;
static const char *profile = "org-sign";
static const char *enc_profile; /* dual applications when set */
static atomic_long n_complete;  /* answers with everything expected */
static char op_token[TOKEN_MAX];
static char rv_token[MAX_REVIEWERS][TOKEN_MAX];
static int n_apps = 500, n_submitters = 4, n_reviewers = 16;
static struct app *apps;
static atomic_int next_submit;

/* Latencies in microseconds. */
struct lat {
	double *v;
	size_t n, cap;
	pthread_mutex_t mu;
};
static struct lat lat_submit, lat_approve_win, lat_approve_lose;
static atomic_long n_win, n_conflict, n_other;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
lat_add(struct lat *l, double us)
{
	pthread_mutex_lock(&l->mu);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	l->v[l->n++] = us;
	pthread_mutex_unlock(&l->mu);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(struct lat *l, double p)
{
	size_t i;

	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), cmp_d);
	i = (size_t)(p * (double)(l->n - 1) + 0.5);
	return l->v[i] / 1000.0;
}

/* ---- a minimal HTTP/1.1 keep-alive client ---- */

struct conn {
	int fd;
	char buf[1 << 16];
	size_t have;
};

static int
conn_open(struct conn *c)
{
	struct sockaddr_in a;
	int one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	c->have = 0;
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(c->fd);
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * One request; returns the status (0 on a transport error) and the
 * body (malloc'd) in *body.
 */
static int
http(struct conn *c, const char *method, const char *path, const char *token,
    const char *idem, const char *body, char **resp_body)
{
	char head[1024];
	size_t blen = body ? strlen(body) : 0, need, hl;
	int status = 0, n;
	char *end, *cl;
	long clen = 0;

	*resp_body = NULL;
	n = snprintf(head, sizeof(head),
	    "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
	    "%s%s%sContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    method, path, host, token, idem ? "Idempotency-Key: " : "",
	    idem ? idem : "", idem ? "\r\n" : "", blen);
	if (n < 0 || (size_t)n >= sizeof(head))
		return 0;
	if (write_all(c->fd, head, (size_t)n) != 0 ||
	    (blen && write_all(c->fd, body, blen) != 0))
		return 0;
	for (;;) {
		c->buf[c->have] = '\0';
		if ((end = strstr(c->buf, "\r\n\r\n")) != NULL)
			break;
		if (c->have + 1 >= sizeof(c->buf))
			return 0;
		ssize_t r =
		    read(c->fd, c->buf + c->have, sizeof(c->buf) - 1 - c->have);
		if (r <= 0)
			return 0;
		c->have += (size_t)r;
	}
	hl = (size_t)(end - c->buf) + 4;
	if (sscanf(c->buf, "HTTP/1.1 %d", &status) != 1)
		return 0;
	if ((cl = strcasestr(c->buf, "\r\nContent-Length:")) != NULL &&
	    cl < end)
		clen = strtol(cl + 17, NULL, 10);
	need = hl + (size_t)clen;
	if (need >= sizeof(c->buf))
		return 0;
	while (c->have < need) {
		ssize_t r =
		    read(c->fd, c->buf + c->have, sizeof(c->buf) - 1 - c->have);
		if (r <= 0)
			return 0;
		c->have += (size_t)r;
	}
	*resp_body = strndup(c->buf + hl, (size_t)clen);
	memmove(c->buf, c->buf + need, c->have - need);
	c->have -= need;
	return status;
}

/* ---- CSRs ---- */

static char *
make_csr(int i)
{
	struct egca_signer *sg = NULL;
	struct egca_buf tbs, csr, pem;
	uint8_t *name = NULL, sig[256];
	size_t name_len, spki_len, sig_len = sizeof(sig);
	const uint8_t *spki;
	char subj[128], *out = NULL;

	egca_buf_init(&tbs, 1 << 16);
	egca_buf_init(&csr, 1 << 16);
	egca_buf_init(&pem, 1 << 16);
	snprintf(
	    subj, sizeof(subj), "C=CN,O=Bench Org,CN=bench applicant %d", i);
	if (egca_signer_generate(EGCA_KEY_SM2, 0, EGCA_SIGN_CSR, &sg) !=
	        EGCA_OK ||
	    egca_pki_name_parse(subj, &name, &name_len) != EGCA_OK)
		goto out;
	spki = egca_signer_get0_spki(sg, &spki_len);
	if (egca_pki_csr_build_tbs(name, name_len, spki, spki_len, &tbs) !=
	        EGCA_OK ||
	    egca_signer_sign(sg, EGCA_SIGN_CSR, tbs.data, tbs.len, sig,
	        &sig_len) != EGCA_OK ||
	    egca_pki_signed_assemble(tbs.data, tbs.len, egca_signer_sig_alg(sg),
	        sig, sig_len, &csr) != EGCA_OK ||
	    egca_pki_pem_encode(
	        csr.data, csr.len, "CERTIFICATE REQUEST", &pem) != EGCA_OK ||
	    egca_buf_append(&pem, "", 1) != EGCA_OK)
		goto out;
	out = strdup((const char *)pem.data);
out:
	free(name);
	egca_signer_free(sg);
	egca_buf_free(&tbs);
	egca_buf_free(&csr);
	egca_buf_free(&pem);
	return out;
}

/* ---- phases ---- */

static void *
submitter(void *arg)
{
	struct conn c;
	char idem[64], *resp;
	int i, st;

	(void)arg;
	if (conn_open(&c) != 0)
		return NULL;
	while ((i = atomic_fetch_add(&next_submit, 1)) < n_apps) {
		json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "kind", "new",
		    "subscriber", subscriber, "profile", profile, "csr",
		    apps[i].csr_pem);

		if (enc_profile != NULL)
			json_object_set_new(
			    req, "enc_profile", json_string(enc_profile));
		char *body = json_dumps(req, JSON_COMPACT);
		double t0;

		json_decref(req);
		snprintf(idem, sizeof(idem), "bench-%d-%ld", i, (long)getpid());
		t0 = now_s();
		st = http(&c, "POST", "/api/v1/applications", op_token, idem,
		    body, &resp);
		lat_add(&lat_submit, (now_s() - t0) * 1e6);
		free(body);
		if (st == 201 || st == 200) {
			json_t *j = json_loads(resp, 0, NULL);
			const char *id = NULL, *dg = NULL;

			if (j != NULL &&
			    json_unpack(j, "{s:s, s:s}", "id", &id, "digest",
			        &dg) == 0) {
				snprintf(
				    apps[i].id, sizeof(apps[i].id), "%s", id);
				snprintf(apps[i].digest, sizeof(apps[i].digest),
				    "%s", dg);
			}
			json_decref(j);
		} else {
			fprintf(stderr, "submit %d: HTTP %d %s\n", i, st,
			    resp ? resp : "");
			if (st == 0 && conn_open(&c) != 0) {
				free(resp);
				return NULL;
			}
		}
		free(resp);
	}
	close(c.fd);
	return NULL;
}

/* The executed application carries its certificate(s) (and envelope). */
static int
answer_complete(const char *resp)
{
	json_t *j = resp != NULL ? json_loads(resp, 0, NULL) : NULL;
	const char *pem = NULL, *enc = NULL, *env = NULL;
	int rc;

	if (j == NULL)
		return 0;
	rc = json_unpack(j, "{s:{s:s}}", "certificate", "pem", &pem) == 0 &&
	    pem[0] != '\0';
	if (rc && enc_profile != NULL)
		rc = json_unpack(j, "{s:{s:s}, s:s}", "encryption_certificate",
		         "pem", &enc, "envelope", &env) == 0 &&
		    enc[0] != '\0' && env[0] != '\0';
	json_decref(j);
	return rc;
}

static void *
reviewer(void *arg)
{
	int r = (int)(intptr_t)arg;
	struct conn c;
	char path[128], body[128], *resp;
	int i, st;

	if (conn_open(&c) != 0)
		return NULL;
	for (i = 0; i < n_apps; i++) {
		double t0;

		if (apps[i].id[0] == '\0')
			continue;
		snprintf(path, sizeof(path), "/api/v1/applications/%s/approve",
		    apps[i].id);
		snprintf(
		    body, sizeof(body), "{\"digest\":\"%s\"}", apps[i].digest);
		t0 = now_s();
		st = http(&c, "POST", path, rv_token[r], NULL, body, &resp);
		if (st == 200) {
			lat_add(&lat_approve_win, (now_s() - t0) * 1e6);
			atomic_fetch_add(&n_win, 1);
			atomic_store(&apps[i].done, 1);
			if (answer_complete(resp))
				atomic_fetch_add(&n_complete, 1);
		} else if (st == 409) {
			lat_add(&lat_approve_lose, (now_s() - t0) * 1e6);
			atomic_fetch_add(&n_conflict, 1);
		} else {
			atomic_fetch_add(&n_other, 1);
			fprintf(stderr,
			    "approve %d by reviewer %d: HTTP %d %s\n", i, r, st,
			    resp ? resp : "");
			if (st == 0 && conn_open(&c) != 0) {
				free(resp);
				return NULL;
			}
		}
		free(resp);
	}
	close(c.fd);
	return NULL;
}

static int
read_token(const char *path, char out[TOKEN_MAX])
{
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(out, TOKEN_MAX, f) == NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"port", required_argument, NULL, 'p'},
	    {"subscriber", required_argument, NULL, 's'},
	    {"profile", required_argument, NULL, 'P'},
	    {"enc-profile", required_argument, NULL, 'E'},
	    {"operator-token-file", required_argument, NULL, 'o'},
	    {"reviewer-tokens-file", required_argument, NULL, 'r'},
	    {"submitters", required_argument, NULL, 'S'},
	    {"reviewers", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *rv_file = NULL;
	pthread_t th[MAX_REVIEWERS];
	double t0, t_submit, t_review;
	int opt, i, nrv = 0, submitted = 0, executed = 0;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			subscriber = optarg;
			break;
		case 'P':
			profile = optarg;
			break;
		case 'E':
			enc_profile = optarg;
			break;
		case 'o':
			if (read_token(optarg, op_token) != 0) {
				fprintf(stderr, "bench_ra: cannot read %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'r':
			rv_file = optarg;
			break;
		case 'S':
			n_submitters = atoi(optarg);
			break;
		case 'R':
			n_reviewers = atoi(optarg);
			break;
		case 'n':
			n_apps = atoi(optarg);
			break;
		default:
			fputs("usage: bench_ra --port P --subscriber ID "
			      "--operator-token-file F --reviewer-tokens-file "
			      "F [-n N] [--submitters S] [--reviewers R] "
			      "[--profile NAME] [--enc-profile NAME] "
			      "[--host ADDR]\n",
			    opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (port <= 0 || subscriber == NULL || op_token[0] == '\0' ||
	    rv_file == NULL || n_apps <= 0 || n_submitters <= 0 ||
	    n_submitters > MAX_REVIEWERS || n_reviewers <= 0 ||
	    n_reviewers > MAX_REVIEWERS) {
		fputs("bench_ra: missing or bad options (--help)\n", stderr);
		return 2;
	}
	if ((f = fopen(rv_file, "r")) == NULL) {
		perror(rv_file);
		return 2;
	}
	while (nrv < n_reviewers && fgets(rv_token[nrv], TOKEN_MAX, f)) {
		rv_token[nrv][strcspn(rv_token[nrv], "\r\n")] = '\0';
		if (rv_token[nrv][0] != '\0')
			nrv++;
	}
	fclose(f);
	if (nrv < n_reviewers) {
		fprintf(stderr, "bench_ra: %d reviewer tokens, %d wanted\n",
		    nrv, n_reviewers);
		return 2;
	}
	pthread_mutex_init(&lat_submit.mu, NULL);
	pthread_mutex_init(&lat_approve_win.mu, NULL);
	pthread_mutex_init(&lat_approve_lose.mu, NULL);
	if ((apps = calloc((size_t)n_apps, sizeof(*apps))) == NULL)
		return 1;
	for (i = 0; i < n_apps; i++)
		if ((apps[i].csr_pem = make_csr(i)) == NULL) {
			fprintf(stderr, "bench_ra: CSR %d failed\n", i);
			return 1;
		}

	t0 = now_s();
	for (i = 0; i < n_submitters; i++)
		pthread_create(&th[i], NULL, submitter, NULL);
	for (i = 0; i < n_submitters; i++)
		pthread_join(th[i], NULL);
	t_submit = now_s() - t0;
	for (i = 0; i < n_apps; i++)
		submitted += apps[i].id[0] != '\0';

	t0 = now_s();
	for (i = 0; i < n_reviewers; i++)
		pthread_create(&th[i], NULL, reviewer, (void *)(intptr_t)i);
	for (i = 0; i < n_reviewers; i++)
		pthread_join(th[i], NULL);
	t_review = now_s() - t0;
	for (i = 0; i < n_apps; i++)
		executed += atomic_load(&apps[i].done);

	printf("{\"applications\": %d, \"submitted\": %d, \"submitters\": %d, "
	       "\"submit_s\": %.3f, \"submit_per_s\": %.1f, "
	       "\"submit_p50_ms\": %.2f, \"submit_p99_ms\": %.2f, "
	       "\"reviewers\": %d, \"review_s\": %.3f, "
	       "\"approved_executed_per_s\": %.1f, \"approve_attempts\": %ld, "
	       "\"approve_attempts_per_s\": %.1f, "
	       "\"winning_approve_p50_ms\": %.2f, "
	       "\"winning_approve_p99_ms\": %.2f, "
	       "\"refused_approve_p99_ms\": %.2f, \"executed\": %d, "
	       "\"wins\": %ld, \"conflicts\": %ld, \"other_errors\": %ld, "
	       "\"profile\": \"%s\", \"enc_profile\": %s%s%s, "
	       "\"complete_answers\": %ld}\n",
	    n_apps, submitted, n_submitters, t_submit,
	    (double)submitted / t_submit, pct(&lat_submit, 0.5),
	    pct(&lat_submit, 0.99), n_reviewers, t_review,
	    (double)executed / t_review,
	    (long)(atomic_load(&n_win) + atomic_load(&n_conflict) +
	        atomic_load(&n_other)),
	    (double)(atomic_load(&n_win) + atomic_load(&n_conflict) +
	        atomic_load(&n_other)) /
	        t_review,
	    pct(&lat_approve_win, 0.5), pct(&lat_approve_win, 0.99),
	    pct(&lat_approve_lose, 0.99), executed, (long)atomic_load(&n_win),
	    (long)atomic_load(&n_conflict), (long)atomic_load(&n_other),
	    profile, enc_profile ? "\"" : "",
	    enc_profile ? enc_profile : "null", enc_profile ? "\"" : "",
	    (long)atomic_load(&n_complete));
	return atomic_load(&n_win) == executed && executed == submitted &&
	        atomic_load(&n_complete) == executed &&
	        atomic_load(&n_other) == 0
	    ? 0
	    : 1;
}
