/*
 * egca verify: chain verification with the SM2 user ID at every level,
 * which OpenSSL 3.0's X509_verify_cert cannot do.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "egca/file.h"
#include "egca/pki.h"

static const char help[] =
    "usage: egca verify --chain CHAIN.pem [--anchor ANCHORS.pem]\n"
    "                   [--at TIME] [--json] CERT.pem\n"
    "\n"
    "Verifies CERT against the certificates in CHAIN: SM2 signatures with\n"
    "SM3 and the user ID 1234567812345678 at every level, ECDSA and RSA;\n"
    "names, key identifiers, validity, basicConstraints, keyUsage and\n"
    "path length. Self-signed certificates in CHAIN are the trust\n"
    "anchors unless --anchor names the anchors. Exit 0 when valid, 13\n"
    "when not. Needs no data directory. Revocation is not checked here.\n"
    "\n"
    "  --chain FILE    intermediates and roots, PEM or DER\n"
    "  --anchor FILE   trust anchors (default: the self-signed ones in\n"
    "                  CHAIN)\n"
    "  --at TIME       verify at TIME instead of now\n"
    "  --json          JSON result\n";

static enum egca_err
load(const char *path, struct egca_der_list *out)
{
	uint8_t *data;
	size_t len;
	enum egca_err e;

	if ((e = egca_file_read(path, 4 << 20, &data, &len)) != EGCA_OK)
		return e;
	e = egca_pki_pem_decode(data, len, "CERTIFICATE", out);
	free(data);
	if (e != EGCA_OK)
		egca_err_set(e, "%s: %s", path, egca_err_detail());
	return e;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"chain", required_argument, NULL, 'c'},
	    {"anchor", required_argument, NULL, 'a'},
	    {"at", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct egca_der_list leaf = {0}, chain = {0}, anchors = {0};
	struct egca_der_list untrusted = {0};
	struct egca_verify_result vr;
	struct egca_cert_info info;
	const char *chain_file = NULL, *anchor_file = NULL;
	int64_t at = (int64_t)time(NULL);
	int c, json = 0;
	size_t i;
	enum egca_err e = EGCA_OK;

	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			chain_file = optarg;
			break;
		case 'a':
			anchor_file = optarg;
			break;
		case 't':
			e = cli_parse_time(optarg, &at);
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("verify", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	if (optind + 1 != argc || chain_file == NULL)
		return cli_usage_error(
		    "verify", "needs --chain CHAIN.pem and one CERT.pem");
	memset(&vr, 0, sizeof(vr));
	if ((e = load(argv[optind], &leaf)) != EGCA_OK ||
	    (e = load(chain_file, &chain)) != EGCA_OK)
		goto out;
	if (anchor_file != NULL && (e = load(anchor_file, &anchors)) != EGCA_OK)
		goto out;
	for (i = 0; i < chain.n; i++) {
		memset(&info, 0, sizeof(info));
		if ((e = egca_pki_cert_info(
		         chain.der[i], chain.len[i], &info)) != EGCA_OK)
			goto out;
		e = egca_der_list_add(anchor_file == NULL && info.self_issued
		        ? &anchors
		        : &untrusted,
		    chain.der[i], chain.len[i]);
		egca_pki_cert_info_free(&info);
		if (e != EGCA_OK)
			goto out;
	}
	if (anchors.n == 0) {
		e = egca_err_set(EGCA_ERR_USAGE,
		    "no trust anchor: CHAIN holds no self-signed certificate "
		    "(use --anchor)");
		goto out;
	}
	e = egca_pki_verify_chain(
	    leaf.der[0], leaf.len[0], &untrusted, &anchors, at, &vr);
	if (json && (e == EGCA_OK || e == EGCA_ERR_INTEGRITY)) {
		cli_print_json(json_pack("{s:b, s:I, s:I, s:s}", "valid",
		    e == EGCA_OK, "depth", (json_int_t)vr.depth, "chain_length",
		    (json_int_t)vr.chain_len, "reason", vr.reason));
		goto done;
	}
	if (e == EGCA_OK)
		printf("%s: OK (chain of %zu)\n", argv[optind], vr.chain_len);
	else if (e == EGCA_ERR_INTEGRITY)
		fprintf(stderr, "%s: FAILED: %s\n", argv[optind], vr.reason);
out:
	if (e != EGCA_OK && e != EGCA_ERR_INTEGRITY)
		cli_fail(e);
done:
	egca_der_list_free(&leaf);
	egca_der_list_free(&chain);
	egca_der_list_free(&anchors);
	egca_der_list_free(&untrusted);
	return (int)e;
}
