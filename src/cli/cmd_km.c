/*
 * egca km: the key management centre (include/egca/km.h, docs/km.md).
 * The ceremony (init), the service (serve) and its custodians (unseal,
 * status, seal over the admin socket), the KM's operators (trust list,
 * escrowed keys, judicial recovery: they log in to the KM directory's
 * own operator table), and client-test, a CA-side client for tests and
 * drills that talks to a KM exactly as the CA will.
 *
 * KM operators authenticate like any egca operator (--operator with
 * password and TOTP, or --token-file); the KM's service functions then
 * check the role themselves (km-officer, secadmin), so the CA's policy
 * table (src/auth/policy.c) needs no KM rows.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "egca/audit.h"
#include "egca/buf.h"
#include "egca/ca.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/km.h"
#include "egca/log.h"
#include "egca/pki.h"

#define SHARE_FILE_MAX 4096
#define MAX_SHARES 16

static const char help[] =
    "usage: egca km <verb> [options]\n"
    "\n"
    "The key management centre (密钥管理中心): a separate service with its\n"
    "own data directory, store, audit chain and keys. It generates SM2\n"
    "encryption key pairs for CAs, escrows them under its master key and\n"
    "returns them enveloped to the holder's signing key (GM/T 0014).\n"
    "\n"
    "ceremony and service:\n"
    "  init      make a KM directory; split the master key among custodians\n"
    "  serve     run the KM (HTTPS with mutual TLS, admin socket); sealed\n"
    "  unseal    enter custodian shares into a running KM\n"
    "  status    sealed or not, shares entered\n"
    "  seal      drop the master key from a running KM\n"
    "\n"
    "operators of the KM directory (log in with --operator or a token):\n"
    "  trust     add | list | revoke: CA certificates allowed to send\n"
    "            requests (secadmin)\n"
    "  key       list: escrowed keys, never the keys themselves (km-officer)\n"
    "  judicial  request | approve | show | release: judicial recovery,\n"
    "            M of N KM officers (km-officer)\n"
    "\n"
    "  client-test  apply | restore | revoke: a CA-side client (tests,\n"
    "               drills) over HTTPS or in-process\n"
    "\n"
    "Run 'egca km <verb> --help' for the options; docs/km.md explains the\n"
    "ceremony and the protocol.\n";

static const char help_init[] =
    "usage: egca km init --dir KMDIR --custodians N --threshold M\n"
    "                    --share-dir OUTDIR [--store URI] [--officers Q]\n"
    "                    [--subject DN] [--validity-days D]\n"
    "                    [--passphrase-file FILE] [--admin NAME] [--json]\n"
    "\n"
    "Makes the KM data directory: a 32-octet master key from the CSPRNG,\n"
    "split M of N (2 <= M <= N-1, 3 <= N <= 16) into one share file per\n"
    "custodian in OUTDIR (mode 0600; hand each to its custodian and remove\n"
    "the copies); only check values are stored. Also the KM's SM2 signing\n"
    "key (keys/km.key, encrypted with the passphrase), its self-signed\n"
    "certificate km.pem (the CA pins it) and km.csr, and the first\n"
    "security administrator of the KM's operators (one-time password\n"
    "printed once).\n"
    "\n"
    "  --officers Q        judicial recovery approvals needed (default 2)\n"
    "  --store URI         sqlite:egca.db (default) or a PostgreSQL URI\n";

static const char help_serve[] =
    "usage: egca km serve --dir KMDIR --tls-cert FILE --tls-key FILE\n"
    "                     --tls-client-ca FILE [--listen ADDR] [--port P]\n"
    "                     [--threads N] [--passphrase-file FILE]\n"
    "                     [--admin-socket PATH]\n"
    "\n"
    "Runs the KM, sealed, until SIGTERM or SIGINT: POST /km/v1/request on\n"
    "ADDR:P (default 127.0.0.1, a free port) with a client certificate\n"
    "required at the TLS handshake (issued under --tls-client-ca); the\n"
    "admin socket (default KMDIR/" EGCA_KM_ADMIN_SOCKET ", mode 0600) takes\n"
    "custodian shares (egca km unseal). TLS keys are ECDSA or RSA (GnuTLS\n"
    "has no SM2); the messages themselves are SM2-signed. The process is\n"
    "not dumpable and makes no core file.\n";

static const char help_unseal[] =
    "usage: egca km unseal --dir KMDIR --share FILE [--share FILE ...]\n"
    "                      [--admin-socket PATH] [--json]\n"
    "       egca km status --dir KMDIR [--admin-socket PATH] [--json]\n"
    "       egca km seal --dir KMDIR [--admin-socket PATH]\n"
    "\n"
    "Talk to a running egca km serve over its admin socket. Each share is\n"
    "checked when entered: a share of another KM, a wrong or altered one\n"
    "(exit 5) and one entered already (exit 7) are refused and audited.\n"
    "The M-th good share unseals the KM.\n";

static const char help_trust[] =
    "usage: egca km trust add --cert CA.pem [auth] [--dir KMDIR]\n"
    "       egca km trust list [auth] [--json]\n"
    "       egca km trust revoke ID [auth]\n"
    "\n"
    "The CA certificates whose SM2 key may sign requests to this KM\n"
    "(security administrator of the KM directory).\n"
    "\n" CLI_AUTH_OPTS_HELP;

static const char help_key[] =
    "usage: egca km key list [--limit N] [--offset N] [auth] [--json]\n"
    "\n"
    "Escrowed keys: id, CA, userCertNO, state, retention (km-officer,\n"
    "auditor). The keys themselves are never shown.\n"
    "\n" CLI_AUTH_OPTS_HELP;

static const char help_judicial[] =
    "usage: egca km judicial request --case REF --key KEYID\n"
    "                                --recipient-cert AUTH.pem [auth]\n"
    "       egca km judicial approve ID --digest HEX [auth]\n"
    "       egca km judicial show ID [auth] [--json]\n"
    "       egca km judicial release ID --share FILE --share FILE ...\n"
    "                                   --out ENVELOPE [auth]\n"
    "\n"
    "Judicial recovery (司法恢复): a KM officer files the request with the\n"
    "case reference and the authority's SM2 certificate; other officers\n"
    "(not the requester) approve it naming its digest; with the quorum of\n"
    "km.conf (officer_quorum) an officer releases it, with M custodian\n"
    "shares entered here: the key is enveloped (GM/T 0009, DER) to the\n"
    "authority's certificate and written to ENVELOPE (mode 0600). Every\n"
    "step is on the KM's audit chain.\n"
    "\n" CLI_AUTH_OPTS_HELP;

static const char help_client[] =
    "usage: egca km client-test apply --cert-no HEX --holder-pub FILE\n"
    "                       [--subject DN] [--days N] --out-envelope FILE\n"
    "                       --out-pub FILE CA TRANSPORT\n"
    "       egca km client-test restore --cert-no HEX --holder-pub FILE\n"
    "                       --out-envelope FILE --out-pub FILE CA TRANSPORT\n"
    "       egca km client-test revoke --cert-no HEX CA TRANSPORT\n"
    "\n"
    "CA:        --ca-dir CADIR [--ca NAME] [--passphrase-file FILE]\n"
    "           (the CA's SM2 key signs the request)\n"
    "TRANSPORT: --km-url https://HOST:PORT --tls-cert FILE --tls-key FILE\n"
    "           --tls-ca FILE --km-cert KM.pem\n"
    "       or  --km-dir KMDIR --share FILE ... [--km-passphrase-file F]\n"
    "           (in-process: the KM is opened and unsealed here)\n"
    "\n"
    "--holder-pub: the holder's SIGNING public key or certificate (PEM or\n"
    "DER); the envelope opens with its private key (egca envelope open).\n";

struct args {
	const char *dir, *store, *share_dir, *subject, *passfile, *admin;
	const char *listen, *tls_cert, *tls_key, *tls_client_ca, *tls_ca;
	const char *admin_socket, *cert, *case_ref, *key, *recipient;
	const char *digest, *out, *ca_dir, *ca, *km_url, *km_cert, *km_dir;
	const char *km_passfile, *cert_no, *holder_pub, *out_env, *out_pub;
	const char *shares[MAX_SHARES];
	int nshares, custodians, threshold, officers, validity, port, threads;
	int limit, offset, days, json;
	struct cli_auth auth;
};

enum {
	O_DIR = 0x200,
	O_STORE,
	O_SHARE_DIR,
	O_SUBJECT,
	O_PASS,
	O_ADMIN,
	O_CUSTODIANS,
	O_THRESHOLD,
	O_OFFICERS,
	O_VALIDITY,
	O_LISTEN,
	O_PORT,
	O_THREADS,
	O_TLS_CERT,
	O_TLS_KEY,
	O_TLS_CLIENT_CA,
	O_TLS_CA,
	O_ADMIN_SOCKET,
	O_SHARE,
	O_CERT,
	O_CASE,
	O_KEY,
	O_RECIPIENT,
	O_DIGEST,
	O_OUT,
	O_LIMIT,
	O_OFFSET,
	O_CA_DIR,
	O_CA,
	O_KM_URL,
	O_KM_CERT,
	O_KM_DIR,
	O_KM_PASS,
	O_CERT_NO,
	O_HOLDER_PUB,
	O_OUT_ENV,
	O_OUT_PUB,
	O_DAYS,
	O_JSON,
};

static const struct option opts[] = {
    {"dir", required_argument, NULL, O_DIR},
    {"store", required_argument, NULL, O_STORE},
    {"share-dir", required_argument, NULL, O_SHARE_DIR},
    {"subject", required_argument, NULL, O_SUBJECT},
    {"passphrase-file", required_argument, NULL, O_PASS},
    {"admin", required_argument, NULL, O_ADMIN},
    {"custodians", required_argument, NULL, O_CUSTODIANS},
    {"threshold", required_argument, NULL, O_THRESHOLD},
    {"officers", required_argument, NULL, O_OFFICERS},
    {"validity-days", required_argument, NULL, O_VALIDITY},
    {"listen", required_argument, NULL, O_LISTEN},
    {"port", required_argument, NULL, O_PORT},
    {"threads", required_argument, NULL, O_THREADS},
    {"tls-cert", required_argument, NULL, O_TLS_CERT},
    {"tls-key", required_argument, NULL, O_TLS_KEY},
    {"tls-client-ca", required_argument, NULL, O_TLS_CLIENT_CA},
    {"tls-ca", required_argument, NULL, O_TLS_CA},
    {"admin-socket", required_argument, NULL, O_ADMIN_SOCKET},
    {"share", required_argument, NULL, O_SHARE},
    {"cert", required_argument, NULL, O_CERT},
    {"case", required_argument, NULL, O_CASE},
    {"key", required_argument, NULL, O_KEY},
    {"recipient-cert", required_argument, NULL, O_RECIPIENT},
    {"digest", required_argument, NULL, O_DIGEST},
    {"out", required_argument, NULL, O_OUT},
    {"limit", required_argument, NULL, O_LIMIT},
    {"offset", required_argument, NULL, O_OFFSET},
    {"ca-dir", required_argument, NULL, O_CA_DIR},
    {"ca", required_argument, NULL, O_CA},
    {"km-url", required_argument, NULL, O_KM_URL},
    {"km-cert", required_argument, NULL, O_KM_CERT},
    {"km-dir", required_argument, NULL, O_KM_DIR},
    {"km-passphrase-file", required_argument, NULL, O_KM_PASS},
    {"cert-no", required_argument, NULL, O_CERT_NO},
    {"holder-pub", required_argument, NULL, O_HOLDER_PUB},
    {"out-envelope", required_argument, NULL, O_OUT_ENV},
    {"out-pub", required_argument, NULL, O_OUT_PUB},
    {"days", required_argument, NULL, O_DAYS},
    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, 'h'},
    CLI_AUTH_OPTS,
    {NULL, 0, NULL, 0},
};

/* Parses every option; positional arguments stay at argv[optind..]. */
static int
parse(int argc, char **argv, const char *cmd, struct args *a)
{
	int c;
	enum egca_err e = EGCA_OK;

	memset(a, 0, sizeof(*a));
	a->port = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (cli_auth_opt(&a->auth, c, optarg))
			continue;
		switch (c) {
		case O_DIR:
			a->dir = optarg;
			break;
		case O_STORE:
			a->store = optarg;
			break;
		case O_SHARE_DIR:
			a->share_dir = optarg;
			break;
		case O_SUBJECT:
			a->subject = optarg;
			break;
		case O_PASS:
			a->passfile = optarg;
			break;
		case O_ADMIN:
			a->admin = optarg;
			break;
		case O_CUSTODIANS:
			e = cli_parse_int(
			    "--custodians", optarg, 1, 255, &a->custodians);
			break;
		case O_THRESHOLD:
			e = cli_parse_int(
			    "--threshold", optarg, 1, 255, &a->threshold);
			break;
		case O_OFFICERS:
			e = cli_parse_int(
			    "--officers", optarg, 1, 255, &a->officers);
			break;
		case O_VALIDITY:
			e = cli_parse_int(
			    "--validity-days", optarg, 1, 3653, &a->validity);
			break;
		case O_LISTEN:
			a->listen = optarg;
			break;
		case O_PORT:
			e = cli_parse_int("--port", optarg, 0, 65535, &a->port);
			break;
		case O_THREADS:
			e = cli_parse_int(
			    "--threads", optarg, 1, 64, &a->threads);
			break;
		case O_TLS_CERT:
			a->tls_cert = optarg;
			break;
		case O_TLS_KEY:
			a->tls_key = optarg;
			break;
		case O_TLS_CLIENT_CA:
			a->tls_client_ca = optarg;
			break;
		case O_TLS_CA:
			a->tls_ca = optarg;
			break;
		case O_ADMIN_SOCKET:
			a->admin_socket = optarg;
			break;
		case O_SHARE:
			if (a->nshares == MAX_SHARES)
				return cli_usage_error(
				    cmd, "at most %d --share", MAX_SHARES);
			a->shares[a->nshares++] = optarg;
			break;
		case O_CERT:
			a->cert = optarg;
			break;
		case O_CASE:
			a->case_ref = optarg;
			break;
		case O_KEY:
			a->key = optarg;
			break;
		case O_RECIPIENT:
			a->recipient = optarg;
			break;
		case O_DIGEST:
			a->digest = optarg;
			break;
		case O_OUT:
			a->out = optarg;
			break;
		case O_LIMIT:
			e = cli_parse_int(
			    "--limit", optarg, 1, 10000, &a->limit);
			break;
		case O_OFFSET:
			e = cli_parse_int(
			    "--offset", optarg, 0, 1000000000, &a->offset);
			break;
		case O_CA_DIR:
			a->ca_dir = optarg;
			break;
		case O_CA:
			a->ca = optarg;
			break;
		case O_KM_URL:
			a->km_url = optarg;
			break;
		case O_KM_CERT:
			a->km_cert = optarg;
			break;
		case O_KM_DIR:
			a->km_dir = optarg;
			break;
		case O_KM_PASS:
			a->km_passfile = optarg;
			break;
		case O_CERT_NO:
			a->cert_no = optarg;
			break;
		case O_HOLDER_PUB:
			a->holder_pub = optarg;
			break;
		case O_OUT_ENV:
			a->out_env = optarg;
			break;
		case O_OUT_PUB:
			a->out_pub = optarg;
			break;
		case O_DAYS:
			e = cli_parse_int("--days", optarg, 1, 3653, &a->days);
			break;
		case O_JSON:
			a->json = 1;
			break;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	return -1;
}

static int
no_args(int argc, char **argv, const char *cmd)
{
	if (optind != argc)
		return cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* The admin socket of the KM directory (or --admin-socket). */
static char *
admin_path(const struct args *a)
{
	return a->admin_socket != NULL
	    ? strdup(a->admin_socket)
	    : egca_file_join(cli_dir(a->dir), EGCA_KM_ADMIN_SOCKET);
}

/* ---- init ---- */

static int
km_init(int argc, char **argv)
{
	struct args a;
	struct egca_km_init_opts o;
	struct egca_km_init_result res;
	struct cli_env env;
	char *pass = NULL, otp[EGCA_AUTH_OTP_LEN + 1], actor[96];
	size_t pass_len = 0;
	const char *admin;
	json_t *j = NULL, *paths;
	int rc, i;
	enum egca_err e;

	if (cli_wants_help(argc, argv)) {
		fputs(help_init, stdout);
		return 0;
	}
	if ((rc = parse(argc, argv, "km init", &a)) >= 0 ||
	    (rc = no_args(argc, argv, "km init")) >= 0)
		return rc;
	if (a.custodians == 0 || a.threshold == 0 || a.share_dir == NULL)
		return cli_usage_error("km init",
		    "--custodians, --threshold and --share-dir are required");
	admin = a.admin ? a.admin : "secadmin";
	if (strlen(admin) == 0 || strlen(admin) > 63 ||
	    strspn(admin, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
	        strlen(admin))
		return cli_usage_error(
		    "km init", "--admin: [a-z0-9._-], 1 to 63 characters");
	memset(&o, 0, sizeof(o));
	o.dir = cli_dir(a.dir);
	o.store = a.store;
	o.share_dir = a.share_dir;
	o.custodians = a.custodians;
	o.threshold = a.threshold;
	o.officer_quorum = a.officers;
	o.subject = a.subject;
	o.validity_days = a.validity;
	/* Checked before the passphrase is asked for. */
	if (a.custodians < 3 || a.custodians > EGCA_KM_MAX_CUSTODIANS ||
	    a.threshold < 2 || a.threshold > a.custodians - 1)
		return cli_fail(egca_err_set(EGCA_ERR_USAGE,
		    "--custodians %d --threshold %d: need 3 <= N <= 16 and "
		    "2 <= M <= N-1",
		    a.custodians, a.threshold));
	if ((e = egca_crypto_passphrase_read(
	         a.passfile, 1, &pass, &pass_len)) != EGCA_OK)
		return cli_fail(e);
	o.pass = pass;
	o.pass_len = pass_len;
	cli_actor(actor, sizeof(actor));
	o.actor = actor;
	e = egca_km_init(&o, &res);
	egca_crypto_passphrase_free(pass, pass_len);
	if (e != EGCA_OK)
		return cli_fail(e);
	/* The first security administrator of the KM's operators. */
	if ((e = cli_open(o.dir, 0, &env)) != EGCA_OK ||
	    (e = egca_auth_bootstrap(&env.ctx, admin, otp)) != EGCA_OK) {
		if (env.st != NULL)
			cli_close(&env);
		egca_km_init_result_free(&res);
		return cli_fail(e);
	}
	cli_close(&env);
	if (a.json) {
		paths = json_array();
		for (i = 0; i < res.n_shares; i++)
			json_array_append_new(
			    paths, json_string(res.share_paths[i]));
		j = json_pack("{s:s, s:s, s:i, s:i, s:o, s:{s:s, s:s}}",
		    "km_id", res.km_id, "master_kcv", res.kcv, "custodians",
		    a.custodians, "threshold", a.threshold, "shares", paths,
		    "admin", "name", admin, "one_time_password", otp);
		rc = cli_print_json(j);
	} else {
		printf("KM %s made in %s (sealed; master key check value "
		       "%.16s...)\n",
		    res.km_id, o.dir, res.kcv);
		for (i = 0; i < res.n_shares; i++)
			printf("share %d of %d (threshold %d): %s\n", i + 1,
			    res.n_shares, a.threshold, res.share_paths[i]);
		printf("hand each share to its custodian and remove these "
		       "copies\n");
		printf("one-time password for %s (shown once, change it at "
		       "first login): %s\n",
		    admin, otp);
		rc = fflush(stdout) == 0
		    ? 0
		    : cli_fail(egca_err_set(EGCA_ERR_IO, "writing stdout"));
	}
	OPENSSL_cleanse(otp, sizeof(otp));
	egca_km_init_result_free(&res);
	return rc;
}

/* ---- serve ---- */

static enum egca_err
read_text(const char *path, char **out)
{
	uint8_t *p;
	size_t n;
	enum egca_err e;

	if ((e = egca_file_read(path, 1 << 20, &p, &n)) != EGCA_OK)
		return e;
	*out = (char *)p; /* NUL-terminated by egca_file_read */
	return EGCA_OK;
}

static int
km_serve(int argc, char **argv)
{
	struct args a;
	struct egca_km *km = NULL;
	struct egca_km_server *srv = NULL;
	struct egca_km_http_opts ho;
	char *pass = NULL, *cert = NULL, *key = NULL, *cca = NULL, *sock = NULL;
	size_t pass_len = 0;
	sigset_t set;
	int rc, sig;
	enum egca_err e;

	if (cli_wants_help(argc, argv)) {
		fputs(help_serve, stdout);
		return 0;
	}
	if ((rc = parse(argc, argv, "km serve", &a)) >= 0 ||
	    (rc = no_args(argc, argv, "km serve")) >= 0)
		return rc;
	if (a.tls_cert == NULL || a.tls_key == NULL || a.tls_client_ca == NULL)
		return cli_usage_error("km serve",
		    "--tls-cert, --tls-key and --tls-client-ca are required "
		    "(mutual TLS only)");
	/* main() hardened the process already; the KM refuses to hold a
	 * master key in a dumpable one. */
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return cli_fail(egca_err_set(EGCA_ERR_STATE,
		    "the process is dumpable: refusing to hold keys"));
	if ((e = read_text(a.tls_cert, &cert)) != EGCA_OK ||
	    (e = read_text(a.tls_key, &key)) != EGCA_OK ||
	    (e = read_text(a.tls_client_ca, &cca)) != EGCA_OK ||
	    (sock = admin_path(&a)) == NULL) {
		rc = cli_fail(e != EGCA_OK ? e : EGCA_ERR_NOMEM);
		goto out;
	}
	if ((e = egca_crypto_passphrase_read(
	         a.passfile, 0, &pass, &pass_len)) != EGCA_OK ||
	    (e = egca_km_open(cli_dir(a.dir), pass, pass_len,
	         (size_t)(a.threads ? a.threads : 2) * 2 + 2, &km)) !=
	        EGCA_OK) {
		rc = cli_fail(e);
		goto out;
	}
	egca_crypto_passphrase_free(pass, pass_len);
	pass = NULL;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&ho, 0, sizeof(ho));
	ho.listen_addr = a.listen;
	ho.port = (uint16_t)a.port;
	ho.threads = (unsigned)a.threads;
	ho.tls_cert_pem = cert;
	ho.tls_key_pem = key;
	ho.tls_client_ca_pem = cca;
	ho.admin_socket = sock;
	if ((e = egca_km_server_start(km, &ho, &srv)) != EGCA_OK) {
		rc = cli_fail(e);
		goto out;
	}
	/* The TLS key text is in GnuTLS now. */
	OPENSSL_cleanse(key, strlen(key));
	fprintf(stderr,
	    "egca km: KM %s listening on https://%s%s%s:%u (client "
	    "certificates required)\n"
	    "egca km: admin socket %s\n"
	    "egca km: sealed: %d custodian shares are needed (egca km "
	    "unseal)\n",
	    egca_km_get0_conf(km)->km_id,
	    a.listen && strchr(a.listen, ':') ? "[" : "",
	    a.listen ? a.listen : "127.0.0.1",
	    a.listen && strchr(a.listen, ':') ? "]" : "",
	    (unsigned)egca_km_server_port(srv), sock,
	    egca_km_get0_conf(km)->threshold);
	if (sigwait(&set, &sig) != 0)
		sig = 0;
	egca_log_info("event=km_serve_stop signal=%d", sig);
	egca_km_server_stop(srv);
	rc = 0;
out:
	egca_crypto_passphrase_free(pass, pass_len);
	egca_km_free(km); /* the master key is cleansed */
	free(cert);
	free(key);
	free(cca);
	free(sock);
	return rc;
}

/* ---- unseal / status / seal ---- */

static int
print_status(const char *body, int json)
{
	json_t *j;
	json_error_t jerr;

	if ((j = json_loads(body, 0, &jerr)) == NULL) {
		printf("%s\n", body);
		return 0;
	}
	if (json)
		return cli_print_json(j);
	printf("%s: %s, %lld of %lld shares entered\n",
	    json_string_value(json_object_get(j, "km_id")),
	    json_is_true(json_object_get(j, "sealed")) ? "sealed" : "unsealed",
	    (long long)json_integer_value(json_object_get(j, "entered")),
	    (long long)json_integer_value(json_object_get(j, "threshold")));
	json_decref(j);
	return 0;
}

/* An admin answer that is not 200: its code and detail as the error. */
static enum egca_err
admin_error(int status, const char *body)
{
	json_t *j = json_loads(body, 0, NULL);
	const char *code =
	    j ? json_string_value(json_object_get(j, "code")) : NULL;
	const char *detail =
	    j ? json_string_value(json_object_get(j, "detail")) : NULL;
	enum egca_err e = EGCA_ERR_INTERNAL, k;

	for (k = EGCA_OK; k < EGCA_ERR_MAX_; k++)
		if (code != NULL && strcmp(egca_err_name(k), code) == 0)
			e = k;
	e = egca_err_set(
	    e, "KM admin (HTTP %d): %s", status, detail ? detail : body);
	json_decref(j);
	return e;
}

static int
km_admin(int argc, char **argv, const char *verb)
{
	struct args a;
	char *sock, *body = NULL, cmd[32];
	uint8_t *share = NULL;
	size_t len = 0;
	int rc, status = 0, i;
	enum egca_err e = EGCA_OK;

	snprintf(cmd, sizeof(cmd), "km %s", verb);
	if (cli_wants_help(argc, argv)) {
		fputs(help_unseal, stdout);
		return 0;
	}
	if ((rc = parse(argc, argv, cmd, &a)) >= 0 ||
	    (rc = no_args(argc, argv, cmd)) >= 0)
		return rc;
	if (strcmp(verb, "unseal") == 0 && a.nshares == 0)
		return cli_usage_error(cmd, "--share FILE is required");
	if ((sock = admin_path(&a)) == NULL)
		return cli_fail(EGCA_ERR_NOMEM);
	if (strcmp(verb, "status") == 0)
		e = egca_km_admin_call(
		    sock, "GET", "/admin/v1/status", NULL, 0, &status, &body);
	else if (strcmp(verb, "seal") == 0)
		e = egca_km_admin_call(
		    sock, "POST", "/admin/v1/seal", NULL, 0, &status, &body);
	for (i = 0; i < a.nshares && e == EGCA_OK; i++) {
		free(body);
		body = NULL;
		if ((e = egca_file_read(
		         a.shares[i], SHARE_FILE_MAX, &share, &len)) != EGCA_OK)
			break;
		e = egca_km_admin_call(sock, "POST", "/admin/v1/unseal", share,
		    len, &status, &body);
		OPENSSL_cleanse(share, len);
		free(share);
		share = NULL;
		if (e == EGCA_OK && status != 200) {
			e = admin_error(status, body);
			fprintf(stderr, "egca km: %s: refused\n", a.shares[i]);
		}
	}
	if (e == EGCA_OK && status != 200)
		e = admin_error(status, body);
	free(sock);
	if (e != EGCA_OK) {
		free(body);
		return cli_fail(e);
	}
	rc = print_status(body, a.json);
	free(body);
	return rc;
}

/* ---- operators' verbs ---- */

/* Logs the operator in to the KM directory and opens the KM. */
static enum egca_err
op_begin(struct args *a, struct cli_env *env, struct egca_km **km)
{
	enum egca_err e;

	*km = NULL;
	if ((e = cli_open(cli_dir(a->dir), 0, env)) != EGCA_OK)
		return e;
	/*
	 * Authentication only: the KM service checks the KM roles itself
	 * (km_check_role), so any authenticated session is let through
	 * here.
	 */
	if ((e = cli_auth_begin(env, &a->auth, "session_get")) != EGCA_OK) {
		cli_close(env);
		return e;
	}
	if ((e = egca_km_open(cli_dir(a->dir), NULL, 0, 1, km)) != EGCA_OK) {
		cli_auth_end(env, &a->auth);
		cli_close(env);
	}
	return e;
}

static void
op_end(struct args *a, struct cli_env *env, struct egca_km *km)
{
	egca_km_free(km);
	cli_auth_end(env, &a->auth);
	cli_close(env);
}

static int
km_trust(int argc, char **argv)
{
	struct args a;
	struct cli_env env;
	struct egca_km *km;
	struct egca_km_trust_rec *l = NULL;
	const char *verb;
	uint8_t *in = NULL;
	size_t len, n = 0, i;
	char id[65];
	json_t *arr;
	int rc;
	enum egca_err e;

	if ((rc = cli_verb(&argc, &argv, help_trust, &verb)) >= 0)
		return rc;
	if ((rc = parse(argc, argv, "km trust", &a)) >= 0)
		return rc;
	if (strcmp(verb, "add") == 0) {
		if ((rc = no_args(argc, argv, "km trust add")) >= 0)
			return rc;
		if (a.cert == NULL)
			return cli_usage_error(
			    "km trust", "--cert is required");
		if ((e = egca_file_read(a.cert, 1 << 20, &in, &len)) != EGCA_OK)
			return cli_fail(e);
	} else if (strcmp(verb, "revoke") == 0) {
		if (optind != argc - 1)
			return cli_usage_error("km trust", "revoke ID");
	} else if (strcmp(verb, "list") == 0) {
		if ((rc = no_args(argc, argv, "km trust list")) >= 0)
			return rc;
	} else
		return cli_usage_error("km trust", "unknown verb '%s'", verb);
	if ((e = op_begin(&a, &env, &km)) != EGCA_OK) {
		free(in);
		return cli_fail(e);
	}
	rc = 0;
	if (strcmp(verb, "add") == 0) {
		e = egca_km_trust_add(km, &a.auth.p, in, len, id);
		if (e == EGCA_OK)
			printf("trusted: %s\n", id);
	} else if (strcmp(verb, "revoke") == 0) {
		e = egca_km_trust_revoke(km, &a.auth.p, argv[optind]);
		if (e == EGCA_OK)
			printf("revoked in the trust list: %s\n", argv[optind]);
	} else if ((e = egca_km_trust_list(km, &a.auth.p, &l, &n)) == EGCA_OK) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr,
			    json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
			        "id", l[i].id, "subject", l[i].subject,
			        "serial", l[i].serial, "state", l[i].state,
			        "not_before", cli_json_time(l[i].not_before),
			        "not_after", cli_json_time(l[i].not_after),
			        "added_at", cli_json_time(l[i].added_at)));
		if (a.json)
			rc = cli_print_json(json_pack("{s:o}", "trust", arr));
		else {
			for (i = 0; i < n; i++)
				printf("%s  %-7s  %s\n", l[i].id, l[i].state,
				    l[i].subject);
			json_decref(arr);
		}
		egca_store_km_trust_list_free(l, n);
	}
	op_end(&a, &env, km);
	free(in);
	return e == EGCA_OK ? rc : cli_fail(e);
}

static int
km_key(int argc, char **argv)
{
	struct args a;
	struct cli_env env;
	struct egca_km *km;
	struct egca_km_key_rec *l = NULL;
	const char *verb;
	size_t n = 0, i;
	json_t *arr;
	int rc = 0;
	enum egca_err e;

	if ((rc = cli_verb(&argc, &argv, help_key, &verb)) >= 0)
		return rc;
	if ((rc = parse(argc, argv, "km key", &a)) >= 0 ||
	    (rc = no_args(argc, argv, "km key")) >= 0)
		return rc;
	if (strcmp(verb, "list") != 0)
		return cli_usage_error("km key", "unknown verb '%s'", verb);
	if ((e = op_begin(&a, &env, &km)) != EGCA_OK)
		return cli_fail(e);
	rc = 0;
	if ((e = egca_km_key_list(km, &a.auth.p, (size_t)a.limit,
	         (size_t)a.offset, &l, &n)) == EGCA_OK) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr,
			    json_pack(
			        "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
			        "id", l[i].id, "ca", l[i].ca_subject, "cert_no",
			        l[i].cert_no, "state", l[i].state, "created_at",
			        cli_json_time(l[i].created_at), "not_after",
			        cli_json_time(l[i].not_after), "revoked_at",
			        cli_json_time(l[i].revoked_at), "retain_until",
			        cli_json_time(l[i].retain_until)));
		if (a.json)
			rc = cli_print_json(json_pack("{s:o}", "keys", arr));
		else {
			for (i = 0; i < n; i++)
				printf("%s  %-7s  %s  %s\n", l[i].id,
				    l[i].state, l[i].cert_no, l[i].ca_subject);
			json_decref(arr);
		}
		egca_store_km_key_list_free(l, n);
	}
	op_end(&a, &env, km);
	return e == EGCA_OK ? rc : cli_fail(e);
}

static json_t *
judicial_json(const struct egca_km_judicial_rec *r)
{
	json_t *ap = json_array();
	size_t i;

	for (i = 0; i < r->n_approvers; i++)
		json_array_append_new(ap, json_string(r->approvers[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
	    "id", r->id, "case", r->case_ref, "key", r->key_id, "recipient",
	    r->recipient_subject, "requester", r->requester, "digest",
	    r->digest, "state", r->state, "approvers", ap, "created_at",
	    cli_json_time(r->created_at), "released_at",
	    cli_json_time(r->released_at));
}

/* Enters the share files into km (in-process unseal). */
static enum egca_err
unseal_here(struct egca_km *km, const struct args *a, const char *actor)
{
	uint8_t *share;
	size_t len;
	int i;
	enum egca_err e = EGCA_OK;

	for (i = 0; i < a->nshares && e == EGCA_OK; i++) {
		if ((e = egca_file_read(a->shares[i], SHARE_FILE_MAX, &share,
		         &len)) != EGCA_OK)
			break;
		e = egca_km_unseal(km, share, len, actor, NULL);
		OPENSSL_cleanse(share, len);
		free(share);
		if (e != EGCA_OK)
			fprintf(stderr, "egca km: %s: refused\n", a->shares[i]);
	}
	return e;
}

static int
km_judicial(int argc, char **argv)
{
	struct args a;
	struct cli_env env;
	struct egca_km *km;
	struct egca_km_judicial_rec r;
	const char *verb;
	uint8_t *in = NULL, *env_der = NULL;
	size_t len = 0, env_len = 0;
	char why[512];
	int rc = 0;
	enum egca_err e;

	memset(&r, 0, sizeof(r));
	if ((rc = cli_verb(&argc, &argv, help_judicial, &verb)) >= 0)
		return rc;
	if ((rc = parse(argc, argv, "km judicial", &a)) >= 0)
		return rc;
	if (strcmp(verb, "request") == 0) {
		if ((rc = no_args(argc, argv, "km judicial request")) >= 0)
			return rc;
		if (a.case_ref == NULL || a.key == NULL || a.recipient == NULL)
			return cli_usage_error("km judicial",
			    "request needs --case, --key and --recipient-cert");
		if ((e = egca_file_read(a.recipient, 1 << 20, &in, &len)) !=
		    EGCA_OK)
			return cli_fail(e);
	} else if (strcmp(verb, "approve") == 0 || strcmp(verb, "show") == 0 ||
	    strcmp(verb, "release") == 0) {
		if (optind != argc - 1)
			return cli_usage_error(
			    "km judicial", "%s needs the request ID", verb);
		if (strcmp(verb, "approve") == 0 && a.digest == NULL)
			return cli_usage_error(
			    "km judicial", "approve needs --digest");
		if (strcmp(verb, "release") == 0 &&
		    (a.out == NULL || a.nshares == 0))
			return cli_usage_error("km judicial",
			    "release needs --out and the custodians' --share "
			    "files");
		if (strcmp(verb, "release") == 0 && egca_file_exists(a.out))
			return cli_fail(egca_err_set(EGCA_ERR_EXISTS,
			    "%s exists: not overwritten", a.out));
	} else
		return cli_usage_error(
		    "km judicial", "unknown verb '%s'", verb);
	if ((e = op_begin(&a, &env, &km)) != EGCA_OK) {
		free(in);
		return cli_fail(e);
	}
	rc = 0;
	if (strcmp(verb, "request") == 0) {
		if ((e = egca_km_judicial_request(km, &a.auth.p, a.case_ref,
		         a.key, in, len, &r)) == EGCA_OK) {
			if (a.json)
				rc = cli_print_json(judicial_json(&r));
			else
				printf("judicial request %s\ndigest %s\n"
				       "approvals needed: %d (not by %s)\n",
				    r.id, r.digest,
				    egca_km_get0_conf(km)->officer_quorum,
				    r.requester);
		}
	} else if (strcmp(verb, "approve") == 0) {
		if ((e = egca_km_judicial_approve(
		         km, &a.auth.p, argv[optind], a.digest)) == EGCA_OK)
			printf("approved: %s\n", argv[optind]);
	} else if (strcmp(verb, "show") == 0) {
		if ((e = egca_km_judicial_get(
		         km, &a.auth.p, argv[optind], &r)) == EGCA_OK)
			rc = a.json ? cli_print_json(judicial_json(&r))
			            : cli_print_kv(judicial_json(&r));
	} else {
		if ((e = unseal_here(km, &a, a.auth.p.actor)) == EGCA_OK &&
		    (e = egca_km_judicial_release(km, &a.auth.p, argv[optind],
		         &env_der, &env_len)) == EGCA_OK &&
		    (e = egca_file_write_atomic(
		         a.out, env_der, env_len, 0600)) == EGCA_OK)
			printf("released: %s -> %s (GM/T 0009 "
			       "SM2EnvelopedKey, DER)\n",
			    argv[optind], a.out);
		/* Sealed again at once (audited); the error, if any, stays. */
		snprintf(why, sizeof(why), "%s", egca_err_detail());
		if (egca_km_seal(km, a.auth.p.actor) != EGCA_OK || e != EGCA_OK)
			(void)egca_err_set(e, "%s", why);
	}
	free(env_der);
	egca_store_km_judicial_rec_free(&r);
	op_end(&a, &env, km);
	free(in);
	return e == EGCA_OK ? rc : cli_fail(e);
}

/* ---- client-test: the CA side ---- */

static enum egca_err
write_pubkey(const char *path, const uint8_t *spki, size_t len)
{
	struct egca_buf pem;
	enum egca_err e;

	egca_buf_init(&pem, 1 << 16);
	if ((e = egca_pki_pem_encode(spki, len, "PUBLIC KEY", &pem)) == EGCA_OK)
		e = egca_file_write_atomic(path, pem.data, pem.len, 0644);
	egca_buf_free(&pem);
	return e;
}

/* The holder's signing public key: a PUBLIC KEY or a certificate. */
static enum egca_err
holder_spki(const char *path, uint8_t **spki, size_t *len)
{
	struct egca_cert_info info;
	uint8_t *in = NULL, *der = NULL;
	size_t in_len, der_len;
	enum egca_err e;

	if (egca_audit_pubkey_load(path, spki, len) == EGCA_OK)
		return EGCA_OK;
	egca_err_clear();
	memset(&info, 0, sizeof(info));
	if ((e = egca_file_read(path, 1 << 20, &in, &in_len)) != EGCA_OK)
		return e;
	{
		struct egca_der_list l = {0};

		if ((e = egca_pki_pem_decode(in, in_len, "CERTIFICATE", &l)) ==
		    EGCA_OK) {
			der_len = l.len[0];
			if ((der = malloc(der_len)) != NULL)
				memcpy(der, l.der[0], der_len);
			egca_der_list_free(&l);
			if (der == NULL)
				e = egca_err_set(
				    EGCA_ERR_NOMEM, "out of memory");
		}
	}
	free(in);
	if (e != EGCA_OK)
		return egca_err_set(e,
		    "--holder-pub %s: neither a public key "
		    "nor a certificate",
		    path);
	if ((e = egca_pki_cert_info(der, der_len, &info)) == EGCA_OK) {
		*spki = info.spki_der;
		*len = info.spki_der_len;
		info.spki_der = NULL;
	}
	egca_pki_cert_info_free(&info);
	free(der);
	return e;
}

static int
km_client(int argc, char **argv)
{
	struct args a;
	struct cli_env ca_env;
	struct egca_ca_rec rec;
	struct egca_issuer *is = NULL;
	struct egca_km *km = NULL;
	struct egca_km_client *c = NULL;
	struct egca_km_https_opts ho;
	struct egca_km_sender snd;
	struct egca_km_apply_item item;
	struct egca_km_key key;
	const char *verb;
	char *pass = NULL, actor[96];
	uint8_t *hspki = NULL, *subj = NULL;
	size_t pass_len = 0, hspki_len = 0, subj_len = 0;
	int64_t now = (int64_t)time(NULL);
	int rc, opened = 0;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	memset(&key, 0, sizeof(key));
	if ((rc = cli_verb(&argc, &argv, help_client, &verb)) >= 0)
		return rc;
	if ((rc = parse(argc, argv, "km client-test", &a)) >= 0 ||
	    (rc = no_args(argc, argv, "km client-test")) >= 0)
		return rc;
	if (strcmp(verb, "apply") != 0 && strcmp(verb, "restore") != 0 &&
	    strcmp(verb, "revoke") != 0)
		return cli_usage_error(
		    "km client-test", "unknown verb '%s'", verb);
	if (a.ca_dir == NULL || a.cert_no == NULL)
		return cli_usage_error(
		    "km client-test", "--ca-dir and --cert-no are required");
	if (strcmp(verb, "revoke") != 0 &&
	    (a.holder_pub == NULL || a.out_env == NULL || a.out_pub == NULL))
		return cli_usage_error("km client-test",
		    "%s needs --holder-pub, --out-envelope and --out-pub",
		    verb);
	if ((a.km_url == NULL) == (a.km_dir == NULL))
		return cli_usage_error("km client-test",
		    "give --km-url (HTTPS) or --km-dir (in-process)");
	if (a.holder_pub != NULL &&
	    (e = holder_spki(a.holder_pub, &hspki, &hspki_len)) != EGCA_OK)
		return cli_fail(e);
	if (a.subject != NULL &&
	    (e = egca_pki_name_parse(a.subject, &subj, &subj_len)) != EGCA_OK)
		goto fail;
	/* The CA: its certificate and its signer. */
	if ((e = cli_open(a.ca_dir, 0, &ca_env)) != EGCA_OK)
		goto fail;
	opened = 1;
	if ((e = egca_ca_get(&ca_env.ctx, a.ca, &rec)) != EGCA_OK ||
	    (e = egca_crypto_passphrase_read(
	         a.passfile, 0, &pass, &pass_len)) != EGCA_OK ||
	    (e = egca_ca_issuer_open(
	         &ca_env.ctx, rec.name, pass, pass_len, &is)) != EGCA_OK)
		goto fail;
	egca_crypto_passphrase_free(pass, pass_len);
	pass = NULL;
	/* The KM: over HTTPS, or opened and unsealed here. */
	if (a.km_url != NULL) {
		memset(&ho, 0, sizeof(ho));
		ho.url = a.km_url;
		ho.client_cert = a.tls_cert;
		ho.client_key = a.tls_key;
		ho.ca_bundle = a.tls_ca;
		ho.km_cert = a.km_cert;
		e = egca_km_client_https(&ho, &c);
	} else {
		cli_actor(actor, sizeof(actor));
		if ((e = egca_crypto_passphrase_read(
		         a.km_passfile, 0, &pass, &pass_len)) == EGCA_OK &&
		    (e = egca_km_open(a.km_dir, pass, pass_len, 2, &km)) ==
		        EGCA_OK &&
		    (e = unseal_here(km, &a, actor)) == EGCA_OK)
			e = egca_km_client_inproc(km, &c);
	}
	if (e != EGCA_OK)
		goto fail;
	snd.signer = egca_ca_issuer_get0_signer(is);
	snd.cert_der = rec.cert_der;
	snd.cert_der_len = rec.cert_der_len;
	if (strcmp(verb, "apply") == 0) {
		memset(&item, 0, sizeof(item));
		item.holder_spki = hspki;
		item.holder_spki_len = hspki_len;
		item.cert_no = a.cert_no;
		item.subject = subj;
		item.subject_len = subj_len;
		item.not_before = now;
		item.not_after = now + (int64_t)(a.days ? a.days : 365) * 86400;
		e = egca_km_apply(c, &snd, &item, 1, &key);
	} else if (strcmp(verb, "restore") == 0)
		e = egca_km_restore(c, &snd, a.cert_no, hspki, hspki_len, &key);
	else
		e = egca_km_revoke(c, &snd, a.cert_no);
	if (e != EGCA_OK)
		goto fail;
	if (strcmp(verb, "revoke") != 0 &&
	    ((e = egca_file_write_atomic(a.out_env, key.envelope,
	          key.envelope_len, 0600)) != EGCA_OK ||
	        (e = write_pubkey(a.out_pub, key.enc_spki, key.enc_spki_len)) !=
	            EGCA_OK))
		goto fail;
	if (strcmp(verb, "revoke") == 0)
		printf("revoked at the KM: userCertNO %s\n", a.cert_no);
	else
		printf("%s: userCertNO %s, envelope %s, public key %s\n", verb,
		    key.cert_no, a.out_env, a.out_pub);
	rc = 0;
	goto out;
fail:
	rc = cli_fail(e);
out:
	egca_km_key_clear(&key);
	egca_km_client_free(c);
	egca_km_free(km);
	egca_ca_issuer_free(is);
	egca_store_ca_rec_free(&rec);
	egca_crypto_passphrase_free(pass, pass_len);
	if (opened)
		cli_close(&ca_env);
	free(hspki);
	free(subj);
	return rc;
}

int
cmd_km(int argc, char **argv)
{
	const char *verb;

	/* Not cli_verb: "egca km judicial --help" is the verb's help. */
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EGCA_ERR_USAGE : 0;
	}
	verb = argv[1];
	argc--;
	argv++;
	if (strcmp(verb, "init") == 0)
		return km_init(argc, argv);
	if (strcmp(verb, "serve") == 0)
		return km_serve(argc, argv);
	if (strcmp(verb, "unseal") == 0 || strcmp(verb, "status") == 0 ||
	    strcmp(verb, "seal") == 0)
		return km_admin(argc, argv, verb);
	if (strcmp(verb, "trust") == 0)
		return km_trust(argc, argv);
	if (strcmp(verb, "key") == 0)
		return km_key(argc, argv);
	if (strcmp(verb, "judicial") == 0)
		return km_judicial(argc, argv);
	if (strcmp(verb, "client-test") == 0)
		return km_client(argc, argv);
	return cli_usage_error("km", "unknown verb '%s'", verb);
}
