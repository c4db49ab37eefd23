/* egca init: a new data directory with its configuration, store and CA. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "egca/auth.h"
#include "egca/file.h"

static const char help[] =
    "usage: egca init [--dir DIR] [options]\n"
    "\n"
    "Creates the data directory DIR: egca.conf, the store (SQLite egca.db\n"
    "by default, schema migrations applied), the profiles, and the first\n"
    "CA with its key encrypted under a passphrase. Refuses a directory\n"
    "that already holds an egca.conf.\n"
    "\n"
    "options:\n"
    "  --dir DIR               data directory (default $EGCA_DIR or "
    "./egca-data)\n"
    "  --store URI             sqlite:PATH (default sqlite:egca.db) or a\n"
    "                          PostgreSQL URI postgresql://...\n"
    "  --base-url URL          where CRLs, OCSP and CA certificates are\n"
    "                          published (default http://127.0.0.1:8080)\n"
    "  --profiles DIR          profiles to copy (default: the installed "
    "ones)\n" CLI_CA_OPTS_HELP
    "  --admin NAME            the first security administrator (default\n"
    "                          secadmin); its one-time password is printed\n"
    "                          once, here, and must be changed at first\n"
    "                          login (egca operator passwd)\n"
    "  --json                  print the result as JSON\n"
    "  -h, --help              this help\n"
    "\n"
    "example:\n"
    "  egca init --dir /srv/egca --passphrase-file ca.pass --admin alice\n";

static const char *
profiles_source(const char *opt)
{
	static char buf[4096];
	const char *env = getenv("EGCA_PROFILES");
	const char *cands[3] = {
	    EGCA_SHARE_DIR "/profiles", EGCA_SOURCE_DIR "/profiles", NULL};
	size_t i;

	if (opt != NULL)
		return opt;
	if (env != NULL && env[0] != '\0')
		return env;
	for (i = 0; cands[i] != NULL; i++) {
		snprintf(buf, sizeof(buf), "%s/root.json", cands[i]);
		if (egca_file_exists(buf))
			return cands[i];
	}
	return cands[1];
}

static enum egca_err
copy_profiles(const char *from, const char *to)
{
	DIR *d;
	struct dirent *de;
	char *src, *dst;
	uint8_t *data;
	size_t len, n, copied = 0;
	enum egca_err e = EGCA_OK;

	if ((d = opendir(from)) == NULL)
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "%s: no profiles directory (use --profiles DIR)", from);
	if ((e = egca_file_mkdirs(to, 0750)) != EGCA_OK) {
		closedir(d);
		return e;
	}
	while (e == EGCA_OK && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		src = egca_file_join(from, de->d_name);
		dst = egca_file_join(to, de->d_name);
		if (src == NULL || dst == NULL)
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		else if ((e = egca_file_read(src, 1 << 20, &data, &len)) ==
		    EGCA_OK) {
			e = egca_file_write_atomic(dst, data, len, 0640);
			free(data);
			copied++;
		}
		free(src);
		free(dst);
	}
	closedir(d);
	if (e == EGCA_OK && copied == 0)
		e = egca_err_set(
		    EGCA_ERR_NOTFOUND, "%s: no *.json profiles", from);
	return e;
}

/* Operator names as auth.h has them: [a-z0-9._-]{1,63}. */
static int
admin_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/*
 * The first security administrator, with a one-time password shown
 * here once (it exists nowhere else in clear). ca_json: the CA's JSON
 * object with --json (taken), NULL otherwise.
 */
static int
bootstrap(struct cli_env *env, const char *admin, json_t *ca_json)
{
	char otp[EGCA_AUTH_OTP_LEN + 1];
	enum egca_err e;
	int rc;

	if ((e = egca_auth_bootstrap(&env->ctx, admin, otp)) != EGCA_OK) {
		json_decref(ca_json);
		return cli_fail(e);
	}
	if (ca_json != NULL) {
		json_object_set_new(ca_json, "admin",
		    json_pack(
		        "{s:s, s:s}", "name", admin, "one_time_password", otp));
		rc = cli_print_json(ca_json);
	} else {
		printf("one-time password for %s (shown once, change it at "
		       "first login): %s\n",
		    admin, otp);
		rc = fflush(stdout) == 0
		    ? 0
		    : cli_fail(egca_err_set(EGCA_ERR_IO, "writing stdout"));
	}
	OPENSSL_cleanse(otp, sizeof(otp));
	return rc;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"store", required_argument, NULL, 'D'},
	    {"base-url", required_argument, NULL, 'b'},
	    {"profiles", required_argument, NULL, 'P'},
	    {"json", no_argument, NULL, 'j'},
	    {"admin", required_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_CA_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct cli_ca_args a = {NULL, "sm2", NULL, 3650, 0, NULL, 0};
	struct cli_env env;
	json_t *result = NULL;
	const char *dir = NULL, *store = NULL, *base = NULL, *prof = NULL;
	const char *admin = "secadmin";
	char *conf = NULL, *pdir = NULL;
	int c, rc, r;
	enum egca_err e;

	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'D':
			store = optarg;
			break;
		case 'b':
			base = optarg;
			break;
		case 'P':
			prof = optarg;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'A':
			admin = optarg;
			break;
		default:
			r = cli_ca_args_opt(&a, c, optarg);
			if (r < 0)
				return cli_fail(EGCA_ERR_USAGE);
			if (r == 0)
				return cli_usage_error(
				    "init", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(
		    "init", "unexpected argument '%s'", argv[optind]);
	/* Checked before anything is made: a later refusal would leave a
	 * store with a CA and no administrator. */
	if (!admin_name_ok(admin))
		return cli_fail(egca_err_set(EGCA_ERR_USAGE,
		    "--admin '%s': operator names are [a-z0-9._-], 1 to 63 "
		    "characters",
		    admin));
	if (a.name == NULL)
		a.name = a.subordinate ? "sub" : "root";
	if (a.subject == NULL)
		a.subject = a.subordinate
		    ? "C=CN,O=egca demo,CN=egca demo SM2 sub CA"
		    : "C=CN,O=egca demo,CN=egca demo SM2 root CA";
	dir = cli_dir(dir);
	if ((conf = egca_file_join(dir, EGCA_CONFIG_FILE)) == NULL)
		return cli_fail(EGCA_ERR_NOMEM);
	if (egca_file_exists(conf)) {
		free(conf);
		return cli_fail(egca_err_set(EGCA_ERR_EXISTS,
		    "%s is already an egca data directory: refusing to "
		    "initialise it again",
		    dir));
	}
	if ((e = egca_ca_name_check(a.name)) != EGCA_OK ||
	    (e = egca_file_mkdirs(dir, 0750)) != EGCA_OK) {
		free(conf);
		return cli_fail(e);
	}
	pdir = egca_file_join(dir, "profiles");
	if (pdir == NULL) {
		free(conf);
		return cli_fail(EGCA_ERR_NOMEM);
	}
	e = copy_profiles(profiles_source(prof), pdir);
	free(pdir);
	if (e == EGCA_OK)
		e = egca_config_create(dir, store, base, a.name);
	if (e != EGCA_OK) {
		free(conf);
		return cli_fail(e);
	}
	if ((e = cli_open(dir, 1, &env)) != EGCA_OK) {
		unlink(conf);
		free(conf);
		return cli_fail(e);
	}
	rc = cli_ca_create_ex(&env, &a, &result);
	/* The audit key, under the CA's passphrase (serve opens both). */
	if (rc == 0)
		rc = cli_audit_key_init(&env, a.passphrase_file, a.json);
	if (rc == 0)
		rc = bootstrap(&env, admin, result);
	else
		json_decref(result);
	cli_close(&env);
	/* Without a CA the directory is not initialised: allow a retry. */
	if (rc != 0)
		unlink(conf);
	free(conf);
	return rc;
}
