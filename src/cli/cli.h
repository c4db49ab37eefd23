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

#include "egca/auth.h"
#include "egca/ca.h"
#include "egca/config.h"
#include "egca/err.h"
#include "egca/ra.h"
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
/* The same; with json_out and a->json the result object goes there. */
int cli_ca_create_ex(
    struct cli_env *env, const struct cli_ca_args *a, json_t **json_out);

/*
 * Who runs a command that acts as an operator (principal.c): options
 * shared by egca operator, point, subscriber, app and loss. An operator
 * logs in with a password (--password-file or the terminal) and a TOTP
 * code, or an API token comes from --token-file or $EGCA_TOKEN.
 */
struct cli_auth {
	const char *name;          /* --operator */
	const char *password_file; /* --password-file */
	const char *totp;          /* --totp */
	const char *totp_file;     /* --totp-file */
	const char *token_file;    /* --token-file */
	struct egca_principal p;   /* the caller once authenticated */
	char session[65];          /* session to end at cli_auth_end */
	/* keep_password: the login's password stays here (secure heap)
	 * for the command (egca operator passwd); freed by cli_auth_end. */
	int keep_password;
	char *password;
	size_t password_len;
};

#define CLI_AUTH_OPT_OPERATOR 0x100
#define CLI_AUTH_OPT_PASSWORD 0x101
#define CLI_AUTH_OPT_TOTP 0x102
#define CLI_AUTH_OPT_TOTP_FILE 0x103
#define CLI_AUTH_OPT_TOKEN 0x104
#define CLI_AUTH_OPTS                                                          \
	{"operator", required_argument, NULL, CLI_AUTH_OPT_OPERATOR},          \
	    {"password-file", required_argument, NULL, CLI_AUTH_OPT_PASSWORD}, \
	    {"totp", required_argument, NULL, CLI_AUTH_OPT_TOTP},              \
	    {"totp-file", required_argument, NULL, CLI_AUTH_OPT_TOTP_FILE},    \
	{                                                                      \
		"token-file", required_argument, NULL, CLI_AUTH_OPT_TOKEN      \
	}
#define CLI_AUTH_OPTS_HELP                                                     \
	"\nauthentication (every verb that acts as an operator):\n"            \
	"  --operator NAME         log in as operator NAME\n"                  \
	"  --password-file FILE    its password, first line (default: "        \
	"prompt)\n"                                                            \
	"  --totp CODE             the current TOTP code (second factor)\n"    \
	"  --totp-file FILE        the TOTP code, first line\n"                \
	"  --token-file FILE       an API token instead of a login "           \
	"(default:\n"                                                          \
	"                          $EGCA_TOKEN)\n"

/* Handles one authentication option; 1 if it was one, 0 if not. */
int cli_auth_opt(struct cli_auth *a, int opt, const char *arg);
/*
 * Authenticates the caller described by a (a login, ended by
 * cli_auth_end, or a token) and checks that it may perform action
 * (the policy table of src/auth/policy.c, the same names as the HTTP
 * routes). A denial is audited ("auth.deny"). On success env's service
 * context acts as the caller (env->ctx.actor = a->p.actor).
 * EGCA_ERR_AUTH: no or wrong credentials; EGCA_ERR_POLICY: refused;
 * EGCA_ERR_STATE: locked or disabled.
 */
enum egca_err cli_auth_begin(
    struct cli_env *env, struct cli_auth *a, const char *action);
/* Ends the login session, if any, and clears what a holds. */
void cli_auth_end(struct cli_env *env, struct cli_auth *a);
/*
 * The options every operator command shares, by the short codes of its
 * option table: 'd' (--dir) into *dir, 'j' (--json) sets *json, and the
 * authentication options (CLI_AUTH_OPTS) into a. 1 if opt was one.
 */
int cli_opt_common(
    int opt, const char *arg, const char **dir, int *json, struct cli_auth *a);
/*
 * Opens the directory dir (NULL: the default) into env and begins a as
 * the caller of action (cli_auth_begin). 0, or the exit status after
 * reporting the failure (nothing left open). cli_auth_close ends both.
 */
int cli_auth_open(const char *dir, struct cli_auth *a, const char *action,
    struct cli_env *env);
void cli_auth_close(struct cli_env *env, struct cli_auth *a);

/*
 * An open CA for the RA's execution (egca app approve/execute, egca
 * loss): env's issuer callback returns it for its own name or NULL.
 * init: no CA (the callback returns NULL); open: reads the passphrase
 * (passfile, else the terminal) and opens CA ca (NULL: the default).
 */
struct cli_ra_ca {
	struct egca_issuer *is;
	struct egca_ra_env env;
};
void cli_ra_ca_init(struct cli_ra_ca *c);
enum egca_err cli_ra_ca_open(struct cli_env *env, const char *ca,
    const char *passfile, struct cli_ra_ca *c);
void cli_ra_ca_close(struct cli_ra_ca *c);

/* Prints a JSON object as aligned "key  value" lines and frees it. */
int cli_print_kv(json_t *obj);
/* JSON for Unix seconds: the ISO 8601 text, or null for 0. */
json_t *cli_json_time(int64_t t);
/* JSON string or null. */
json_t *cli_json_str(const char *s);

/* Subcommand entry points. */
int cmd_init(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_audit(int argc, char **argv);
/*
 * Creates the audit key of env's directory with the CA keys' passphrase
 * (read from passfile, or the terminal, and checked against the default
 * CA's key); quiet: print nothing on success (egca init --json).
 */
int cli_audit_key_init(struct cli_env *env, const char *passfile, int quiet);
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
int cmd_km(int argc, char **argv);

/*
 * For "egca <command> <verb> [options]": prints help (exit 0) for -h or
 * --help, usage (exit 2) without a verb; otherwise sets *verb, drops it
 * from argv for getopt and returns -1.
 */
int cli_verb(int *argc, char ***argv, const char *help, const char **verb);

/* The verbs of a command, each with the policy action it needs. */
struct cli_verb_row {
	const char *verb;   /* "list", or "<group> <sub>" */
	const char *action; /* a policy action (src/auth/policy.c) */
	int nargs;          /* positional arguments after the verb */
};
struct cli_verbs {
	const char *cmd; /* "app" */
	const struct cli_verb_row *row;
	size_t n;
	const char *group; /* a verb followed by a sub-verb ("material") */
	const char *subs;  /* its sub-verbs, for the usage error */
};
/*
 * The row of verb, or for the group verb of "<group> <sub>" with sub
 * the argument at argv[*pos] (*pos moves past it); its full name into
 * full. NULL after a usage error.
 */
const struct cli_verb_row *cli_verb_row(const struct cli_verbs *vs,
    const char *verb, int argc, char **argv, int *pos, char *full,
    size_t full_len);

/* True when argv holds -h or --help (before "--"). */
int cli_wants_help(int argc, char **argv);

#endif
