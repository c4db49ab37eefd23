/* egca: the command-line entry point and shared CLI helpers. */
#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/file.h"

static const char usage[] =
    "usage: egca <command> [options]\n"
    "\n"
    "egca: an e-government electronic certification platform (SM2/SM3,\n"
    "GM/T 0015 certificates, SQLite or PostgreSQL).\n"
    "\n"
    "commands:\n"
    "  init            create a data directory with its first CA\n"
    "  ca              CAs: create, request, import, anchors, show, list,\n"
    "                  export\n"
    "  cert            certificates: issue, show, list, revoke, hold,\n"
    "                  unhold\n"
    "  audit           audit log: verify, list\n"
    "  verify          verify a certificate chain (SM2 with the GM/T\n"
    "                  user ID at every level, ECDSA, RSA)\n"
    "  serve           HTTP: OCSP, CRLs, repository, REST API, metrics\n"
    "  crl             CRLs: generate (full and delta), show\n"
    "  ocsp            OCSP: answer one request from a file\n"
    "  operator        operators, roles, passwords, TOTP, API tokens\n"
    "  point           registration points and the regions they serve\n"
    "  subscriber      subscribers (government, enterprise, individual,\n"
    "                  device) with checked identity numbers\n"
    "  app             applications: submit, materials, approve, reject,\n"
    "                  execute (new, update, extend, recover, hold,\n"
    "                  unhold, revoke)\n"
    "  loss            loss reports by holders: report, list, confirm\n"
    "  envelope        open a GM/T 0009 SM2 enveloped key (holder side)\n"
    "  km              key management centre: init, serve, unseal, trust,\n"
    "                  judicial recovery (a separate data directory)\n"
    "\n"
    "Run 'egca <command> --help' for a command's options.\n"
    "The data directory is --dir DIR, else $EGCA_DIR, else ./egca-data.\n"
    "Exit status: 0 success; 1 internal; 2 usage; 3 malformed input;\n"
    "4 refused by policy; 5 authentication; 6 not found; 7 exists;\n"
    "8 wrong state; 9 store; 10 crypto; 11 I/O; 12 memory/limit;\n"
    "13 integrity; 14 conflict (docs/cli.md).\n";

int
cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int
cli_verb(int *argc, char ***argv, const char *help, const char **verb)
{
	if (cli_wants_help(*argc, *argv) || *argc < 2) {
		fputs(help, *argc < 2 ? stderr : stdout);
		return *argc < 2 ? EGCA_ERR_USAGE : 0;
	}
	*verb = (*argv)[1];
	(*argc)--;
	(*argv)++;
	return -1;
}

const struct cli_verb_row *
cli_verb_row(const struct cli_verbs *vs, const char *verb, int argc,
    char **argv, int *pos, char *full, size_t full_len)
{
	size_t i;

	snprintf(full, full_len, "%s", verb);
	if (strcmp(verb, vs->group) == 0) {
		if (*pos >= argc) {
			cli_usage_error(
			    vs->cmd, "%s needs %s", vs->group, vs->subs);
			return NULL;
		}
		snprintf(full, full_len, "%s %s", vs->group, argv[(*pos)++]);
	}
	for (i = 0; i < vs->n; i++)
		if (strcmp(vs->row[i].verb, full) == 0)
			return &vs->row[i];
	cli_usage_error(vs->cmd, "unknown verb '%s'", full);
	return NULL;
}

const char *
cli_dir(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("EGCA_DIR")) != NULL && env[0] != '\0')
		return env;
	return "egca-data";
}

void
cli_actor(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());

	snprintf(buf, len, "cli:%s", pw ? pw->pw_name : "unknown");
}

enum egca_err
cli_open(const char *dir, int create, struct cli_env *env)
{
	enum egca_err e;

	memset(env, 0, sizeof(*env));
	if ((e = egca_config_load(dir, &env->cfg)) != EGCA_OK)
		return e;
	if ((e = egca_store_open(env->cfg->store_uri, create, &env->st)) !=
	    EGCA_OK) {
		egca_config_free(env->cfg);
		env->cfg = NULL;
		return e;
	}
	cli_actor(env->actor, sizeof(env->actor));
	env->ctx.cfg = env->cfg;
	env->ctx.st = env->st;
	env->ctx.actor = env->actor;
	return EGCA_OK;
}

void
cli_close(struct cli_env *env)
{
	egca_store_close(env->st);
	egca_config_free(env->cfg);
	memset(env, 0, sizeof(*env));
}

int
cli_fail(enum egca_err e)
{
	const char *d = egca_err_detail();

	if (e == EGCA_OK)
		return 0;
	fprintf(stderr, "egca: error: %s (%s)\n", d[0] ? d : egca_err_text(e),
	    egca_err_name(e));
	return (int)e;
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "egca %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'egca %s --help' for usage.\n", cmd);
	return EGCA_ERR_USAGE;
}

int
cli_print_json(json_t *j)
{
	char *s;

	if (j == NULL)
		return cli_fail(egca_err_set(EGCA_ERR_NOMEM, "out of memory"));
	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (s == NULL)
		return cli_fail(egca_err_set(EGCA_ERR_NOMEM, "out of memory"));
	printf("%s\n", s);
	free(s);
	return 0;
}

enum egca_err
cli_write_out(const char *path, const void *data, size_t len, int mode)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
			return egca_err_set(EGCA_ERR_IO, "writing stdout");
		return EGCA_OK;
	}
	return egca_file_write_atomic(path, data, len, (mode_t)mode);
}

enum egca_err
cli_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;
	char *e;
	long long v;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end != NULL && *end == '\0') {
		*out = (int64_t)timegm(&tm);
		return EGCA_OK;
	}
	v = strtoll(s, &e, 10);
	if (*s != '\0' && *e == '\0' && v >= 0) {
		*out = (int64_t)v;
		return EGCA_OK;
	}
	return egca_err_set(EGCA_ERR_USAGE,
	    "'%s' is not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix "
	    "seconds)",
	    s);
}

void
cli_format_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum egca_err
cli_parse_int(const char *opt, const char *s, int min, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return egca_err_set(EGCA_ERR_USAGE,
		    "%s '%s': expected an integer from %d to %d", opt, s, min,
		    max);
	*out = (int)v;
	return EGCA_OK;
}

enum egca_err
cli_serial(const char *in, char out[41])
{
	char why[256];

	if (egca_ca_serial_parse(in, out) == EGCA_OK)
		return EGCA_OK;
	snprintf(why, sizeof(why), "%s", egca_err_detail());
	return egca_err_set(EGCA_ERR_USAGE, "'%s': %s", in, why);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"init", cmd_init},
	    {"ca", cmd_ca},
	    {"cert", cmd_cert},
	    {"audit", cmd_audit},
	    {"verify", cmd_verify},
	    {"serve", cmd_serve},
	    {"crl", cmd_crl},
	    {"ocsp", cmd_ocsp},
	    {"operator", cmd_operator},
	    {"point", cmd_point},
	    {"subscriber", cmd_subscriber},
	    {"app", cmd_app},
	    {"loss", cmd_loss},
	    {"envelope", cmd_envelope},
	    {"km", cmd_km},
	};
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EGCA_ERR_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("egca %s\n", EGCA_VERSION);
		return 0;
	}
	egca_crypto_harden_process();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "egca: unknown command '%s'\n\n%s", argv[1], usage);
	return EGCA_ERR_USAGE;
}
