/*
 * egca loss: the holder's loss report (Art. 31) and its confirmation.
 * A report needs no operator: the holder proves itself with the
 * revocation code given at issuance or with a signature by the
 * certificate's key over the message of ra.h, made here with egca's
 * signing helper (SM2 with SM3 and the ID 1234567812345678, ECDSA or
 * RSA by the key). The certificate is held at once; an RA operator or
 * reviewer confirms (revoked, keyCompromise).
 *
 * The holder's key file is read here, on the holder's side, used for
 * this one signature and freed; it is never stored.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli/cli.h"
#include "egca/crypto.h"
#include "egca/file.h"

static const char help[] =
    "usage: egca loss <verb> [--dir DIR] [options]\n"
    "\n"
    "verbs:\n"
    "  report --serial SERIAL [--ca NAME] (--code CODE | --code-file FILE\n"
    "         | --key KEYFILE [--key-passphrase-file FILE])\n"
    "         [--statement TEXT] [--passphrase-file FILE]\n"
    "        the holder reports loss or compromise; no operator needed.\n"
    "        The certificate is held at once; prints the report id\n"
    "  list [--state held|confirmed] [--limit N] [--json]\n"
    "        (ra-operator, ra-reviewer) reports in the caller's scope\n"
    "  confirm ID [--passphrase-file FILE]\n"
    "        (ra-operator, ra-reviewer) revoke with keyCompromise\n"
    "\n"
    "report options:\n"
    "  --serial SERIAL         the certificate (hex)\n"
    "  --ca NAME               its CA (default: the default CA)\n"
    "  --code CODE             the revocation code shown at issuance\n"
    "  --code-file FILE        the same, first line of FILE\n"
    "  --key KEYFILE           sign with the certificate's private key\n"
    "                          (PEM): \"egca-loss-report\\n<ca>\\n<serial>\\n\n"
    "                          <time>\\n\"; SM2 with the ID\n"
    "                          1234567812345678\n"
    "  --key-passphrase-file FILE\n"
    "                          when KEYFILE is encrypted (default: "
    "prompt)\n"
    "  --statement TEXT        the holder's words\n"
    "\n"
    "options:\n"
    "  --dir DIR               data directory\n"
    "  --passphrase-file FILE  the CA key passphrase: the CA's OCSP answer\n"
    "                          is re-signed now (without it: marked stale\n"
    "                          and re-signed by egca serve)\n"
    "  --json                  JSON output\n"
    "  -h, --help              this help\n" CLI_AUTH_OPTS_HELP "\n"
    "examples:\n"
    "  egca loss report --serial 5f1c... --key holder.key\n"
    "  egca loss confirm REPORT --token-file op.tok\n";

struct args {
	const char *dir, *ca, *serial, *code, *code_file, *key, *key_pass;
	const char *statement, *state, *passfile;
	int json, limit;
};

/* OpenSSL's password callback for an encrypted holder key. */
static int
key_pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *const *file = u; /* --key-passphrase-file or NULL */
	char *p = NULL;
	size_t n = 0;

	(void)rwflag;
	if (egca_crypto_secret_read(*file, "Key passphrase: ", NULL, &p, &n) !=
	    EGCA_OK)
		return -1;
	if (n > (size_t)size) {
		egca_crypto_passphrase_free(p, n);
		return -1;
	}
	memcpy(buf, p, n);
	egca_crypto_passphrase_free(p, n);
	return (int)n;
}

static enum egca_err
load_key(const struct args *a, EVP_PKEY **out)
{
	const char *kp = a->key_pass;
	uint8_t *data = NULL;
	size_t len;
	BIO *bio;
	enum egca_err e;

	*out = NULL;
	if ((e = egca_file_read(a->key, 64 * 1024, &data, &len)) != EGCA_OK)
		return e;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
		return egca_err_ossl(EGCA_ERR_NOMEM, "BIO");
	}
	*out = PEM_read_bio_PrivateKey(bio, NULL, key_pass_cb, &kp);
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	if (*out == NULL)
		return egca_err_ossl(EGCA_ERR_INPUT,
		    "--key %s: not a PEM private key, or a wrong passphrase",
		    a->key);
	return EGCA_OK;
}

/* Signs the loss-report message with the holder's key. */
static enum egca_err
sign_report(const struct args *a, const char *ca, const char *serial, int64_t t,
    uint8_t **sig, size_t *sig_len)
{
	EVP_PKEY *key = NULL;
	char msg[256];
	int n;
	enum egca_err e;

	*sig = NULL;
	if ((e = load_key(a, &key)) != EGCA_OK)
		return e;
	n = snprintf(msg, sizeof(msg), "egca-loss-report\n%s\n%s\n%lld\n", ca,
	    serial, (long long)t);
	*sig_len = egca_crypto_sig_max(key);
	if ((*sig = malloc(*sig_len)) == NULL)
		e = egca_err_set(EGCA_ERR_NOMEM, "signature");
	else
		e = egca_crypto_sign_tbs(key, egca_crypto_sig_alg_for_key(key),
		    (const uint8_t *)msg, (size_t)n, *sig, sig_len);
	EVP_PKEY_free(key);
	if (e != EGCA_OK) {
		free(*sig);
		*sig = NULL;
	}
	return e;
}

static int
loss_report(struct cli_env *env, const struct args *a)
{
	struct egca_loss_report in;
	struct egca_principal anon;
	struct egca_ca_rec ca;
	struct cli_ra_ca rca;
	char serial[41], report[33], why[512], *code = NULL;
	size_t code_len = 0;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int rc;
	enum egca_err e;

	memset(&in, 0, sizeof(in));
	memset(&ca, 0, sizeof(ca));
	cli_ra_ca_init(&rca);
	/* Public: anyone may report; the proof is the code or key. */
	egca_principal_anonymous(&anon);
	if ((e = egca_authorize(&anon, "loss_report")) != EGCA_OK)
		return cli_fail(e);
	env->ctx.actor = anon.actor;
	if ((e = egca_ca_serial_parse(a->serial, serial)) != EGCA_OK) {
		snprintf(why, sizeof(why), "%s", egca_err_detail());
		return cli_fail(egca_err_set(e, "--serial: %s", why));
	}
	/* The CA's name as the signed message carries it. */
	if ((e = egca_ca_get(&env->ctx, a->ca, &ca)) != EGCA_OK)
		return cli_fail(e);
	in.ca = ca.name;
	in.serial = serial;
	in.statement = a->statement;
	in.source = env->actor;
	if (a->key != NULL) {
		in.time = (int64_t)time(NULL);
		if ((e = sign_report(a, ca.name, serial, in.time, &sig,
		         &sig_len)) != EGCA_OK)
			goto out;
		in.sig = sig;
		in.sig_len = sig_len;
	} else if (a->code_file != NULL) {
		if ((e = egca_crypto_secret_read(
		         a->code_file, "", NULL, &code, &code_len)) != EGCA_OK)
			goto out;
		in.code = code;
	} else
		in.code = a->code;
	if (a->passfile != NULL &&
	    (e = cli_ra_ca_open(env, ca.name, a->passfile, &rca)) != EGCA_OK)
		goto out;
	if ((e = egca_ra_loss_report(&env->ctx, &rca.env, &in, report)) !=
	    EGCA_OK)
		goto out;
	if (a->json)
		cli_print_json(json_pack("{s:s, s:s, s:s, s:s}", "id", report,
		    "ca", ca.name, "serial", serial, "state", "held"));
	else
		printf("loss report %s: certificate %s of CA %s is on hold "
		       "until an RA operator confirms the revocation\n",
		    report, serial, ca.name);
out:
	rc = cli_fail(e);
	egca_crypto_passphrase_free(code, code_len);
	free(sig);
	cli_ra_ca_close(&rca);
	egca_store_ca_rec_free(&ca);
	return rc;
}

static int
loss_list(struct cli_env *env, struct cli_auth *au, const struct args *a)
{
	struct egca_loss_rec *l = NULL;
	size_t n = 0, i;
	json_t *arr;
	char ts[32];
	enum egca_err e;

	if ((e = egca_ra_loss_list(&env->ctx, &au->p, a->state,
	         a->limit ? (size_t)a->limit : 100, &l, &n)) != EGCA_OK)
		return cli_fail(e);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr,
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, "
			              "s:o, s:o, s:o}",
			        "id", l[i].id, "ca", l[i].ca, "serial",
			        l[i].serial, "state", l[i].state, "method",
			        l[i].method, "statement",
			        cli_json_str(l[i].statement), "source",
			        cli_json_str(l[i].source), "reported_at",
			        cli_json_time(l[i].reported_at), "confirmed_by",
			        cli_json_str(l[i].confirmed_by), "confirmed_at",
			        cli_json_time(l[i].confirmed_at)));
		egca_ra_loss_list_free(l, n);
		return cli_print_json(json_pack("{s:o}", "reports", arr));
	}
	printf("%-32s %-10s %-9s %-20s %s\n", "ID", "STATE", "METHOD",
	    "REPORTED", "CA/SERIAL");
	for (i = 0; i < n; i++) {
		cli_format_time(l[i].reported_at, ts);
		printf("%-32s %-10s %-9s %-20s %s/%s\n", l[i].id, l[i].state,
		    l[i].method, ts, l[i].ca, l[i].serial);
	}
	printf("(%zu reports)\n", n);
	egca_ra_loss_list_free(l, n);
	return 0;
}

static int
loss_confirm(struct cli_env *env, struct cli_auth *au, const struct args *a,
    const char *id)
{
	struct cli_ra_ca rca;
	enum egca_err e = EGCA_OK;

	cli_ra_ca_init(&rca);
	if (a->passfile != NULL)
		e = cli_ra_ca_open(env, a->ca, a->passfile, &rca);
	if (e == EGCA_OK)
		e = egca_ra_loss_confirm(&env->ctx, &au->p, &rca.env, id);
	cli_ra_ca_close(&rca);
	if (e != EGCA_OK)
		return cli_fail(e);
	printf("loss report %s confirmed: certificate revoked "
	       "(keyCompromise)\n",
	    id);
	return 0;
}

int
cmd_loss(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"ca", required_argument, NULL, 'c'},
	    {"serial", required_argument, NULL, 's'},
	    {"code", required_argument, NULL, 'C'},
	    {"code-file", required_argument, NULL, 'F'},
	    {"key", required_argument, NULL, 'k'},
	    {"key-passphrase-file", required_argument, NULL, 'K'},
	    {"statement", required_argument, NULL, 'S'},
	    {"state", required_argument, NULL, 't'},
	    {"limit", required_argument, NULL, 'l'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_AUTH_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct args a;
	struct cli_auth au;
	struct cli_env env;
	const char *verb, *action = NULL;
	int c, rc, nargs, proofs;
	enum egca_err e = EGCA_OK;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	memset(&a, 0, sizeof(a));
	memset(&au, 0, sizeof(au));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.ca = optarg;
			break;
		case 's':
			a.serial = optarg;
			break;
		case 'C':
			a.code = optarg;
			break;
		case 'F':
			a.code_file = optarg;
			break;
		case 'k':
			a.key = optarg;
			break;
		case 'K':
			a.key_pass = optarg;
			break;
		case 'S':
			a.statement = optarg;
			break;
		case 't':
			a.state = optarg;
			break;
		case 'l':
			e = cli_parse_int("--limit", optarg, 1, 1000, &a.limit);
			break;
		case 'p':
			a.passfile = optarg;
			break;
		default:
			if (!cli_opt_common(c, optarg, &a.dir, &a.json, &au))
				return cli_usage_error(
				    "loss", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	if (strcmp(verb, "report") == 0) {
		nargs = 0;
		proofs =
		    (a.code != NULL) + (a.code_file != NULL) + (a.key != NULL);
		if (a.serial == NULL || proofs != 1)
			return cli_usage_error("loss",
			    "report needs --serial and one of --code, "
			    "--code-file or --key");
	} else if (strcmp(verb, "list") == 0) {
		action = "loss_list";
		nargs = 0;
		if (a.state != NULL && strcmp(a.state, "held") != 0 &&
		    strcmp(a.state, "confirmed") != 0)
			return cli_usage_error(
			    "loss", "--state must be held or confirmed");
	} else if (strcmp(verb, "confirm") == 0) {
		action = "loss_confirm";
		nargs = 1;
	} else
		return cli_usage_error("loss", "unknown verb '%s'", verb);
	if (argc - optind != nargs)
		return cli_usage_error("loss", "%s takes %s", verb,
		    nargs ? "one report ID" : "no argument");
	if (action == NULL) {
		/* A holder's report: no operator, the proof is the code. */
		if ((e = cli_open(cli_dir(a.dir), 0, &env)) != EGCA_OK)
			return cli_fail(e);
		rc = loss_report(&env, &a);
		cli_close(&env);
		return rc;
	}
	if ((rc = cli_auth_open(a.dir, &au, action, &env)) != 0)
		return rc;
	if (strcmp(verb, "list") == 0)
		rc = loss_list(&env, &au, &a);
	else
		rc = loss_confirm(&env, &au, &a, argv[optind]);
	cli_auth_close(&env, &au);
	return rc;
}
