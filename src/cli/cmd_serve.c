/* egca serve: the HTTP services (OCSP, CRLs, repository, REST API). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "egca/audit.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/http.h"
#include "egca/log.h"
#include "egca/status.h"
#include "cli/cli_km.h"

static const char help[] =
    "usage: egca serve [--dir DIR] [options]\n"
    "\n"
    "Runs the HTTP services until SIGTERM or SIGINT: OCSP (/ocsp, GET and\n"
    "POST), CRLs (/crl/<ca>.crl, /crl/<ca>-delta.crl), the repository\n"
    "(/ca/<ca>.crt, /ca/<ca>.pem, /certs/<serial>[.pem]), the REST API\n"
    "(/api/v1, see /api/v1/openapi.json), /healthz and /metrics.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT       address and port (default 127.0.0.1:8080;\n"
    "                           IPv6 as [::1]:8080; port 0: any free)\n"
    "  --passphrase-file FILE   the CA key passphrase (default: prompt)\n"
    "  --tls-cert FILE          serve HTTPS with this certificate chain\n"
    "  --tls-key FILE           and this unencrypted key (PEM; RSA or\n"
    "                           ECDSA: the TLS library has no SM2)\n"
    "  --tls-client-ca FILE     ask HTTPS clients for a certificate issued\n"
    "                           by these CAs (PEM); a registered one logs\n"
    "                           its operator in\n"
    "  --threads N              connection threads (default: CPUs)\n"
    "  --access-log FILE        access log (default: standard error)\n"
    "  --km-share FILE          a KM custodian's share file (repeatable),\n"
    "                           for the in-process KM of egca.conf \"km\":\n"
    "                           {\"dir\": ...}; M of them unseal it\n"
    "  --km-passphrase-file F   that KM's key passphrase (default: prompt)\n"
    "\n"
    "With egca.conf \"km\" the RA executes dual-certificate applications,\n"
    "recoveries and revocations of encryption certificates (docs/km.md).\n"
    "\n"
    "On SIGTERM/SIGINT it stops accepting, lets requests in flight finish\n"
    "(up to 10 s) and exits 0.\n";

struct ticker {
	struct egca_status *status;
	struct egca_audit_ticker *audit; /* NULL: no checkpoints */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

static void *
tick_main(void *arg)
{
	struct ticker *t = arg;
	struct timespec ts;

	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		pthread_mutex_unlock(&t->mu);
		egca_status_tick(t->status, (int64_t)time(NULL));
		egca_audit_ticker_tick(t->audit, (int64_t)time(NULL));
		pthread_mutex_lock(&t->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		while (!t->stop &&
		    pthread_cond_timedwait(&t->cv, &t->mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/*
 * Signed checkpoints of the audit chain (egca.conf "audit"), with the
 * audit key opened by the CA keys' passphrase. Without it serve runs on
 * and says so: the chain is still written and verifiable.
 */
static void
audit_ticker(const struct egca_config *cfg, const char *pass, size_t pass_len,
    struct egca_audit_ticker **out)
{
	struct egca_signer *key = NULL;

	*out = NULL;
	if (egca_audit_key_open(cfg->keys_dir, pass, pass_len, &key) !=
	        EGCA_OK ||
	    egca_audit_ticker_new(cfg->store_uri, key,
	        cfg->audit.checkpoint_events, cfg->audit.checkpoint_minutes,
	        out) != EGCA_OK) {
		egca_log_warn("event=audit_checkpoints_off detail=\"%s\"",
		    egca_err_detail());
		fprintf(stderr, "egca: warning: no audit checkpoints: %s\n",
		    egca_err_detail());
	}
}

/* "127.0.0.1:8080", "[::1]:8080", ":8080" */
static enum egca_err
parse_listen(const char *s, char *addr, size_t addr_len, uint16_t *port)
{
	const char *colon, *a = s;
	size_t al;
	int p;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			goto bad;
		a = s + 1;
		al = (size_t)(colon - a);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			goto bad;
		al = (size_t)(colon - s);
	}
	if (al >= addr_len)
		goto bad;
	memcpy(addr, a, al);
	addr[al] = '\0';
	if (al == 0)
		strcpy(addr, "0.0.0.0");
	if (cli_parse_int("--listen", colon + 1, 0, 65535, &p) != EGCA_OK)
		goto bad;
	*port = (uint16_t)p;
	return EGCA_OK;
bad:
	return egca_err_set(EGCA_ERR_USAGE,
	    "--listen '%s': expected ADDR:PORT or [IPv6]:PORT", s);
}

static enum egca_err
read_text(const char *path, char **out)
{
	uint8_t *data = NULL;
	size_t len;
	enum egca_err e;

	*out = NULL;
	if ((e = egca_file_read(path, 1 << 20, &data, &len)) != EGCA_OK)
		return e;
	if ((*out = malloc(len + 1)) == NULL) {
		free(data);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	memcpy(*out, data, len);
	(*out)[len] = '\0';
	OPENSSL_cleanse(data, len);
	free(data);
	return EGCA_OK;
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"tls-cert", required_argument, NULL, 'c'},
	    {"tls-key", required_argument, NULL, 'k'},
	    {"tls-client-ca", required_argument, NULL, 'C'},
	    {"threads", required_argument, NULL, 't'},
	    {"access-log", required_argument, NULL, 'a'},
	    {"km-share", required_argument, NULL, 's'},
	    {"km-passphrase-file", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *passfile = NULL, *cert_file = NULL;
	const char *key_file = NULL, *log_file = NULL, *client_ca_file = NULL;
	struct egca_http_config hc;
	struct egca_status_config sc;
	struct egca_status *status = NULL;
	struct egca_store_pool *pool = NULL;
	struct egca_http_server *srv = NULL;
	struct cli_env env;
	struct ticker tk;
	struct cli_km km;
	pthread_t tick_th;
	sigset_t set;
	char addr[64], *pass = NULL, *tls_cert = NULL, *tls_key = NULL;
	char *tls_client_ca = NULL;
	size_t pass_len = 0;
	int c, sig, threads = 0, ticking = 0, opened = 0;
	FILE *logf = NULL;
	enum egca_err e = EGCA_OK;

	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	egca_http_config_default(&hc);
	cli_km_init(&km);
	strcpy(addr, "127.0.0.1");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			e = parse_listen(optarg, addr, sizeof(addr), &hc.port);
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'c':
			cert_file = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'C':
			client_ca_file = optarg;
			break;
		case 't':
			e = cli_parse_int(
			    "--threads", optarg, 1, 256, &threads);
			break;
		case 'a':
			log_file = optarg;
			break;
		case 's':
			e = cli_km_add_share(&km, optarg);
			break;
		case 'P':
			km.passfile = optarg;
			break;
		default:
			return cli_usage_error("serve", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	if (optind < argc)
		return cli_usage_error(
		    "serve", "unexpected argument '%s'", argv[optind]);
	if ((cert_file == NULL) != (key_file == NULL))
		return cli_usage_error(
		    "serve", "--tls-cert and --tls-key go together");
	if (client_ca_file != NULL && cert_file == NULL)
		return cli_usage_error(
		    "serve", "--tls-client-ca needs --tls-cert and --tls-key");
	hc.listen_addr = addr;
	if (threads > 0)
		hc.threads = hc.workers = (unsigned)threads;
	memset(&tk, 0, sizeof(tk));

	if ((e = cli_open(cli_dir(dir), 0, &env)) != EGCA_OK)
		return cli_fail(e);
	opened = 1;
	if (cert_file != NULL &&
	    ((e = read_text(cert_file, &tls_cert)) != EGCA_OK ||
	        (e = read_text(key_file, &tls_key)) != EGCA_OK))
		goto out;
	hc.tls_cert_pem = tls_cert;
	hc.tls_key_pem = tls_key;
	if (client_ca_file != NULL &&
	    (e = read_text(client_ca_file, &tls_client_ca)) != EGCA_OK)
		goto out;
	hc.tls_client_ca_pem = tls_client_ca;
	if (log_file != NULL) {
		if ((logf = fopen(log_file, "a")) == NULL) {
			e = egca_err_set(
			    EGCA_ERR_IO, "cannot open %s", log_file);
			goto out;
		}
		hc.access_log = logf;
	}
	if ((e = egca_crypto_passphrase_read(passfile, 0, &pass, &pass_len)) !=
	    EGCA_OK)
		goto out;
	egca_status_config_load(&sc, env.cfg);
	e = egca_status_open(&env.ctx, &sc, pass, pass_len, &status);
	if (e == EGCA_OK)
		audit_ticker(env.cfg, pass, pass_len, &tk.audit);
	egca_crypto_passphrase_free(pass, pass_len);
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_store_pool_new(
	         env.cfg->store_uri, hc.threads + 4, &pool)) != EGCA_OK)
		goto out;
	if ((e = cli_km_open(&km, env.cfg, hc.workers + 1)) != EGCA_OK)
		goto out;
	hc.km = km.client;

	/* Signals go to sigwait below, never to a server thread. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((e = egca_http_start(&hc, env.cfg, status, pool, &srv)) != EGCA_OK)
		goto out;
	tk.status = status;
	pthread_mutex_init(&tk.mu, NULL);
	pthread_cond_init(&tk.cv, NULL);
	if (pthread_create(&tick_th, NULL, tick_main, &tk) != 0) {
		e = egca_err_set(EGCA_ERR_INTERNAL, "cannot start a thread");
		goto out;
	}
	ticking = 1;
	egca_log_info("event=serve_start listen=%s port=%u tls=%s threads=%u",
	    addr, (unsigned)egca_http_port(srv), tls_cert ? "yes" : "no",
	    hc.threads);
	fprintf(stderr, "egca: listening on %s://%s%s%s:%u\n",
	    tls_cert ? "https" : "http", strchr(addr, ':') ? "[" : "", addr,
	    strchr(addr, ':') ? "]" : "", (unsigned)egca_http_port(srv));
	if (sigwait(&set, &sig) != 0)
		sig = 0;
	egca_log_info("event=serve_stop signal=%d", sig);
out:
	egca_http_stop(srv, 10);
	if (ticking) {
		pthread_mutex_lock(&tk.mu);
		tk.stop = 1;
		pthread_cond_signal(&tk.cv);
		pthread_mutex_unlock(&tk.mu);
		pthread_join(tick_th, NULL);
		pthread_mutex_destroy(&tk.mu);
		pthread_cond_destroy(&tk.cv);
	}
	egca_audit_ticker_free(tk.audit);
	cli_km_close(&km);
	egca_store_pool_free(pool);
	egca_status_free(status);
	if (logf != NULL)
		fclose(logf);
	if (tls_key != NULL) {
		OPENSSL_cleanse(tls_key, strlen(tls_key));
		free(tls_key);
	}
	free(tls_cert);
	free(tls_client_ca);
	if (opened)
		cli_close(&env);
	return cli_fail(e);
}
