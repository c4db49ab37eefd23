/*
 * egca ocsp respond: answers one DER OCSPRequest from a file through
 * the status service, the code path `egca serve` uses for /ocsp.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"
#include "egca/status.h"

static const char help[] =
    "usage: egca ocsp respond [--dir DIR] --request REQ.der\n"
    "                         [--out RESP.der] [--passphrase-file FILE]\n"
    "                         [--no-delegated] [--json]\n"
    "\n"
    "Opens the status service (the CA keys, the delegated OCSP signers,\n"
    "issuing or rotating them as needed; stale and old responses are\n"
    "re-signed), answers the OCSP request in REQ.der (RFC 6960) and\n"
    "writes the DER OCSPResponse to RESP.der (default: stdout). A\n"
    "malformed request, or one for a CA this directory does not serve,\n"
    "still gets an OCSPResponse (malformedRequest, unauthorized); the\n"
    "exit status is 0 whenever a response was written.\n"
    "\n"
    "  --request FILE          the DER OCSPRequest\n"
    "  --out FILE              where the DER OCSPResponse goes\n"
    "  --passphrase-file FILE  the CA key passphrase (default: prompt)\n"
    "  --no-delegated          sign with the CA key, no delegated signer\n"
    "  --json                  print a summary as JSON on stderr\n";

static const char *const status_names[] = {"successful", "malformedRequest",
    "internalError", "tryLater", "", "sigRequired", "unauthorized"};

static int
respond(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"request", required_argument, NULL, 'r'},
	    {"out", required_argument, NULL, 'o'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"no-delegated", no_argument, NULL, 'D'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_env env;
	struct egca_status_config cfg;
	struct egca_status *s = NULL;
	struct egca_ocsp_answer ans;
	const char *dir = NULL, *req_file = NULL, *out = NULL, *pf = NULL;
	uint8_t *req = NULL;
	size_t req_len, pass_len = 0;
	char *pass = NULL;
	int c, json = 0, opened = 0, answered = 0;
	enum egca_err e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'r':
			req_file = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pf = optarg;
			break;
		case 'D':
			cfg.ocsp_delegated = 0;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error(
			    "ocsp respond", "unknown option");
		}
	}
	if (optind != argc || req_file == NULL)
		return cli_usage_error(
		    "ocsp respond", "needs --request REQ.der");
	memset(&ans, 0, sizeof(ans));
	if ((e = egca_file_read(req_file, EGCA_OCSP_MAX_REQUEST + 1, &req,
	         &req_len)) != EGCA_OK)
		goto out;
	if ((e = cli_open(cli_dir(dir), 0, &env)) != EGCA_OK)
		goto out;
	opened = 1;
	if ((e = egca_crypto_passphrase_read(pf, 0, &pass, &pass_len)) !=
	    EGCA_OK)
		goto out;
	egca_status_config_load(&cfg, env.cfg);
	if ((e = egca_status_open(&env.ctx, &cfg, pass, pass_len, &s)) !=
	    EGCA_OK)
		goto out;
	if ((e = egca_status_ocsp_respond(s, req, req_len, 0, &ans)) != EGCA_OK)
		goto out;
	answered = 1;
	if ((e = cli_write_out(out, ans.body.der, ans.body.len, 0644)) !=
	    EGCA_OK)
		goto out;
	if (json) {
		char *text;
		json_t *j = json_pack("{s:s, s:b, s:i, s:i, s:i}", "status",
		    status_names[ans.status], "presigned", ans.cacheable,
		    "good", ans.n_good, "revoked", ans.n_revoked, "unknown",
		    ans.n_unknown);

		if (j != NULL &&
		    (text = json_dumps(j, JSON_PRESERVE_ORDER)) != NULL) {
			fprintf(stderr, "%s\n", text);
			free(text);
		}
		json_decref(j);
	}
out:
	if (answered)
		egca_status_blob_release(ans.body.ref);
	egca_status_free(s);
	if (pass != NULL)
		egca_crypto_passphrase_free(pass, pass_len);
	if (opened)
		cli_close(&env);
	free(req);
	return cli_fail(e);
}

int
cmd_ocsp(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "respond") == 0)
		return respond(argc - 1, argv + 1);
	if (argc < 2) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EGCA_ERR_USAGE : 0;
	}
	return cli_usage_error("ocsp", "unknown subcommand '%s'", argv[1]);
}
