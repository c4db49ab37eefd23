/*
 * cli/: parse the command line, call one service function, render the
 * result as text or JSON. Exit status = enum egca_err (docs/cli.md).
 */
#ifndef EGCA_CLI_H
#define EGCA_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "egca/ca.h"
#include "egca/config.h"
#include "egca/err.h"
#include "egca/store.h"

/* An open data directory: configuration, store, service context. */
struct cli_env {
	struct egca_config *cfg;
	struct egca_store *st;
	struct egca_ctx ctx;
	char actor[96];
};

/* The data directory: --dir, else $EGCA_DIR, else ./egca-data. */
const char *cli_dir(const char *opt);
/* Opens DIR's configuration and store. */
enum egca_err cli_open(const char *dir, int create, struct cli_env *env);
void cli_close(struct cli_env *env);
/* "cli:<login name>" for the audit log. */
void cli_actor(char *buf, size_t len);

/* Prints "egca: error: ..." for e with the thread's detail; returns e. */
int cli_fail(enum egca_err e);
/* Usage error with a message; returns EGCA_ERR_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) EGCA_PRINTF(2, 3);

/* Prints a JSON value to stdout (pretty) and frees it. */
int cli_print_json(json_t *j);
/* Writes data to path ("-" or NULL: stdout). */
enum egca_err cli_write_out(
    const char *path, const void *data, size_t len, int mode);

/* Parses "2026-11-25", "2026-11-25T10:00:00Z" or Unix seconds. */
enum egca_err cli_parse_time(const char *s, int64_t *out);
/* Formats Unix seconds as "2026-11-25T10:00:00Z". */
void cli_format_time(int64_t t, char out[32]);
/* Parses a positive int option. */
enum egca_err cli_parse_int(
    const char *opt, const char *s, int min, int max, int *out);
/* Normalises a serial: hex, ':' allowed, leading zero octets dropped. */
enum egca_err cli_serial(const char *in, char out[41]);

/* Options shared by 'egca init' and 'egca ca create'. */
struct cli_ca_args {
	const char *name;
	const char *alg;
	const char *subject;
	int validity_days;
	int subordinate;
	const char *passphrase_file;
	int json;
};

/* Handles one CA-creation option; 1 if it was one, 0 if not, <0 error. */
int cli_ca_args_opt(struct cli_ca_args *a, int opt, const char *arg);
#define CLI_CA_OPTS                                                            \
	{"name", required_argument, NULL, 'n'},                                \
	    {"alg", required_argument, NULL, 'a'},                             \
	    {"subject", required_argument, NULL, 's'},                         \
	    {"validity-days", required_argument, NULL, 'V'},                   \
	    {"subordinate", no_argument, NULL, 'S'},                           \
	{                                                                      \
		"passphrase-file", required_argument, NULL, 'p'                \
	}
#define CLI_CA_OPTS_HELP                                                       \
	"  --name NAME             CA name, [a-z0-9-] (default: root, or "     \
	"sub for\n"                                                            \
	"                          --subordinate)\n"                           \
	"  --alg ALG               sm2 (default) | ecdsa-p256 | rsa-3072\n"    \
	"  --subject DN            e.g. \"C=CN,O=Example,CN=Example SM2 "      \
	"CA\"\n"                                                               \
	"  --validity-days N       CA validity, at most 3653 (default "        \
	"3650)\n"                                                              \
	"  --subordinate           make a CSR for the source point "           \
	"(源点) instead\n"                                                   \
	"                          of a self-signed root\n"                    \
	"  --passphrase-file FILE  read the key passphrase from FILE "         \
	"(default:\n"                                                          \
	"                          prompt); never on the command line\n"
/* Creates the CA described by a in env; prints what was made. */
int cli_ca_create(struct cli_env *env, const struct cli_ca_args *a);

/* Subcommand entry points. */
int cmd_init(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_crl(int argc, char **argv);
int cmd_ocsp(int argc, char **argv);
int cmd_operator(int argc, char **argv);
int cmd_point(int argc, char **argv);
int cmd_subscriber(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_loss(int argc, char **argv);
int cmd_envelope(int argc, char **argv);

/*
 * For "egca <command> <verb> [options]": prints help (exit 0) for -h or
 * --help, usage (exit 2) without a verb; otherwise sets *verb, drops it
 * from argv for getopt and returns -1.
 */
int cli_verb(int *argc, char ***argv, const char *help, const char **verb);

/* True when argv holds -h or --help (before "--"). */
int cli_wants_help(int argc, char **argv);

#endif
