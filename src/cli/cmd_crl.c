/* egca crl: generate and show CRLs (status/, docs/cli.md "CRL"). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "egca/crypto.h"
#include "egca/pki.h"
#include "egca/status.h"

static const char help[] =
    "usage: egca crl <verb> [options]\n"
    "\n"
    "verbs:\n"
    "  generate [--ca NAME] [--passphrase-file FILE] [--no-delta]\n"
    "                    sign, store and publish (DIR/crl/NAME.crl and\n"
    "                    NAME-delta.crl) a full CRL and a delta CRL of\n"
    "                    CA NAME, or of every active CA; prints the\n"
    "                    cRLNumber and the entry count of each\n"
    "  show [--ca NAME] [--delta] [--der] [--out FILE]\n"
    "                    the current stored CRL of CA NAME (default: the\n"
    "                    default CA) as PEM (\"X509 CRL\"), or DER\n"
    "\n"
    "options:\n"
    "  --dir DIR                the data directory\n"
    "  --validity-hours N       nextUpdate - thisUpdate (default 24, at\n"
    "                           most 168)\n";

/* Prints the latest full and delta CRL of ca. */
static enum egca_err
print_latest(struct egca_store *st, const char *ca)
{
	struct egca_crl_rec full, delta;
	enum egca_err e;

	if ((e = egca_store_crl_latest(st, ca, 0, 0, &full)) != EGCA_OK)
		return e;
	printf("%s: CRL number %lld, %lld entries", ca, (long long)full.number,
	    (long long)full.entries);
	e = egca_store_crl_latest(st, ca, 1, 0, &delta);
	if (e == EGCA_OK && delta.number > full.number)
		printf("; delta CRL number %lld (base %lld), %lld entries",
		    (long long)delta.number, (long long)delta.base_number,
		    (long long)delta.entries);
	printf("\n");
	egca_store_crl_rec_free(&full);
	egca_store_crl_rec_free(&delta);
	return EGCA_OK;
}

static int
generate(struct cli_env *env, const char *ca, const char *passfile,
    struct egca_status_config *cfg)
{
	struct egca_ca_rec *list = NULL;
	char *pass = NULL;
	size_t pass_len = 0, n = 0, i;
	enum egca_err e;

	if ((e = egca_crypto_passphrase_read(passfile, 0, &pass, &pass_len)) !=
	    EGCA_OK)
		return cli_fail(e);
	e = egca_status_crl_generate(&env->ctx, cfg, ca, pass, pass_len);
	egca_crypto_passphrase_free(pass, pass_len);
	if (e != EGCA_OK)
		return cli_fail(e);
	if (ca != NULL)
		return cli_fail(print_latest(env->st, ca));
	if ((e = egca_store_ca_list(env->st, &list, &n)) != EGCA_OK)
		return cli_fail(e);
	for (i = 0; i < n && e == EGCA_OK; i++)
		if (strcmp(list[i].status, "active") == 0)
			e = print_latest(env->st, list[i].name);
	egca_store_ca_list_free(list, n);
	return cli_fail(e);
}

static int
show(struct cli_env *env, const char *ca, int delta, int der, const char *out)
{
	struct egca_ca_rec rec;
	struct egca_crl_rec crl;
	struct egca_buf pem;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	memset(&crl, 0, sizeof(crl));
	egca_buf_init(&pem, 0);
	if ((e = egca_ca_get(&env->ctx, ca, &rec)) != EGCA_OK ||
	    (e = egca_store_crl_latest(env->st, rec.name, delta, 1, &crl)) !=
	        EGCA_OK)
		goto out;
	if (der) {
		e = cli_write_out(out, crl.der, crl.der_len, 0644);
		goto out;
	}
	if ((e = egca_pki_pem_encode(crl.der, crl.der_len, "X509 CRL", &pem)) !=
	    EGCA_OK)
		goto out;
	e = cli_write_out(out, pem.data, pem.len, 0644);
out:
	egca_buf_free(&pem);
	egca_store_crl_rec_free(&crl);
	egca_store_ca_rec_free(&rec);
	return cli_fail(e);
}

int
cmd_crl(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"ca", required_argument, NULL, 'c'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"delta", no_argument, NULL, 'D'},
	    {"no-delta", no_argument, NULL, 'N'},
	    {"der", no_argument, NULL, 'r'},
	    {"out", required_argument, NULL, 'o'},
	    {"validity-hours", required_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct egca_status_config cfg;
	struct cli_env env;
	const char *verb, *dir = NULL, *ca = NULL, *passfile = NULL;
	const char *out = NULL;
	int c, rc, delta = 0, der = 0, gen, no_delta = 0, hours = 0;
	enum egca_err e = EGCA_OK;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'D':
			delta = 1;
			break;
		case 'N':
			no_delta = 1;
			break;
		case 'r':
			der = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'V':
			e = cli_parse_int(
			    "--validity-hours", optarg, 1, 168, &hours);
			break;
		default:
			return cli_usage_error("crl", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	if (optind != argc)
		return cli_usage_error(
		    "crl", "unexpected argument '%s'", argv[optind]);
	gen = strcmp(verb, "generate") == 0;
	if (!gen && strcmp(verb, "show") != 0)
		return cli_usage_error("crl", "unknown verb '%s'", verb);
	if (ca != NULL && (e = egca_ca_name_check(ca)) != EGCA_OK)
		return cli_fail(e);
	if ((e = cli_open(cli_dir(dir), 0, &env)) != EGCA_OK)
		return cli_fail(e);
	/* egca.conf's settings, then the command line over them. */
	egca_status_config_load(&cfg, env.cfg);
	if (no_delta)
		cfg.delta_crl = 0;
	if (hours > 0)
		cfg.crl_validity_hours = hours;
	rc = gen ? generate(&env, ca, passfile, &cfg)
	         : show(&env, ca, delta, der, out);
	cli_close(&env);
	return rc;
}
