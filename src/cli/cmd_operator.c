/*
 * egca operator: one's own password, TOTP and API tokens; operators and
 * their roles (the security administrator). Every verb runs as the
 * authenticated caller and is checked against the policy table under
 * the name of the matching HTTP route.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"

static const char help[] =
    "usage: egca operator <verb> [--dir DIR] [authentication] [options]\n"
    "\n"
    "one's own account (any operator):\n"
    "  passwd [--new-password-file FILE]\n"
    "        change the password (the one-time password at first login);\n"
    "        the new one from FILE or asked twice; 12 to 256 characters,\n"
    "        not the login name\n"
    "  totp-enroll       start TOTP enrolment: prints the secret (base32)\n"
    "                    and the otpauth:// URI for an authenticator app\n"
    "  totp-confirm CODE finish enrolment with a current code\n"
    "  token create [--roles R1,R2] [--ttl 30d] [--label TEXT]\n"
    "        an API token for one's own use (roles: a subset of one's\n"
    "        own, default all; TTL Ns, Nm, Nh or Nd, at most 366d); the\n"
    "        token is printed once\n"
    "  token list [--all]  one's tokens (--all: everyone's, secadmin)\n"
    "  token revoke ID     revoke a token (own, or any as secadmin)\n"
    "\n"
    "operators (secadmin):\n"
    "  create --name NAME --roles R1,R2 [--point P] [--department D]\n"
    "         [--subscriber ID] [--display-name TEXT]\n"
    "        prints the one-time password once\n"
    "  list [--json]\n"
    "  show NAME [--json]\n"
    "  roles NAME --roles R1,R2   replace the roles\n"
    "  disable NAME | enable NAME\n"
    "  unlock NAME       clear a lockout after failed logins\n"
    "  reset NAME        new one-time password (printed once); TOTP,\n"
    "                    sessions and tokens of NAME end\n"
    "  set-cert NAME (--cert FILE | --clear)\n"
    "        register the SHA-256 of a TLS client certificate (PEM or\n"
    "        DER) for login by certificate, or clear it\n"
    "\n"
    "roles: sysadmin, secadmin, auditor (at most one of these three, and\n"
    "an auditor nothing else), ra-operator, ra-reviewer (need --point),\n"
    "km-officer, dept-viewer (needs --department), applicant (needs\n"
    "--subscriber, nothing else).\n"
    "\n"
    "options:\n"
    "  --dir DIR               data directory\n"
    "  --json                  JSON output\n"
    "  -h, --help              this help\n" CLI_AUTH_OPTS_HELP "\n"
    "examples:\n"
    "  egca operator passwd --operator secadmin --password-file otp.txt \\\n"
    "      --new-password-file new.txt\n"
    "  egca operator token create --operator secadmin --password-file "
    "pw.txt \\\n"
    "      --totp 123456 --ttl 8h --label setup > token.txt\n"
    "  egca operator create --token-file token.txt --name alice \\\n"
    "      --roles ra-operator --point hz-01\n";

struct args {
	const char *dir, *name, *roles, *point, *department, *subscriber;
	const char *display, *new_pass_file, *cert, *ttl, *label;
	int json, all, clear;
};

static json_t *
op_json(const struct egca_operator_rec *r)
{
	char roles[256];

	egca_role_format(r->roles, roles, sizeof(roles));
	return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:b, "
	                 "s:i, s:o, s:o, s:o}",
	    "name", r->name, "display_name", cli_json_str(r->display_name),
	    "roles", roles, "point", cli_json_str(r->point), "department",
	    cli_json_str(r->department), "subscriber",
	    cli_json_str(r->subscriber), "cert_sha256",
	    cli_json_str(r->cert_sha256), "totp_enrolled", r->totp_enrolled,
	    "must_change", r->must_change, "disabled", r->disabled, "failures",
	    r->failures, "locked_until", cli_json_time(r->locked_until),
	    "created_at", cli_json_time(r->created_at), "last_login",
	    cli_json_time(r->last_login));
}

/* "30d", "8h", "90m", "3600s" or plain seconds. */
static enum egca_err
parse_ttl(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	int64_t mul = 1;

	if (end == s || v <= 0)
		goto bad;
	if (strcmp(end, "d") == 0)
		mul = 86400;
	else if (strcmp(end, "h") == 0)
		mul = 3600;
	else if (strcmp(end, "m") == 0)
		mul = 60;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		goto bad;
	if (v > 366LL * 86400)
		goto bad;
	*out = (int64_t)v * mul;
	return EGCA_OK;
bad:
	return egca_err_set(EGCA_ERR_USAGE,
	    "--ttl '%s': expected a positive number with s, m, h or d", s);
}

/* Prints a one-time password once, in the form the tests look for. */
static int
print_otp(const struct args *a, const char *name, char *otp)
{
	int rc = 0;

	if (a->json)
		rc = cli_print_json(json_pack(
		    "{s:s, s:s}", "name", name, "one_time_password", otp));
	else
		printf("one-time password for %s (shown once, change it at "
		       "first login): %s\n",
		    name, otp);
	OPENSSL_cleanse(otp, EGCA_AUTH_OTP_LEN + 1);
	return rc;
}

static int
op_passwd(struct cli_env *env, struct cli_auth *au, const struct args *a)
{
	char *np = NULL;
	size_t np_len = 0;
	enum egca_err e;

	if ((e = egca_crypto_secret_read(a->new_pass_file, "New password: ",
	         "Repeat new password: ", &np, &np_len)) != EGCA_OK)
		return cli_fail(e);
	if ((e = egca_auth_password_policy(au->p.name, np)) == EGCA_OK)
		e = egca_auth_password_change(
		    &env->ctx, au->p.name, au->password, np);
	egca_crypto_passphrase_free(np, np_len);
	if (e != EGCA_OK)
		return cli_fail(e);
	printf("password of %s changed\n", au->p.name);
	return 0;
}

static int
op_totp_enroll(struct cli_env *env, struct cli_auth *au, const struct args *a)
{
	char secret[128], uri[512];
	int rc = 0;
	enum egca_err e;

	if ((e = egca_auth_totp_enroll(&env->ctx, au->p.name, secret,
	         sizeof(secret), uri, sizeof(uri))) != EGCA_OK)
		return cli_fail(e);
	if (a->json)
		rc = cli_print_json(json_pack(
		    "{s:s, s:s}", "secret", secret, "otpauth_uri", uri));
	else
		printf("secret %s\nuri    %s\nconfirm with: egca operator "
		       "totp-confirm CODE\n",
		    secret, uri);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(uri, sizeof(uri));
	return rc;
}

static int
op_totp_confirm(struct cli_env *env, struct cli_auth *au, const char *code)
{
	enum egca_err e;

	if ((e = egca_auth_totp_confirm(&env->ctx, au->p.name, code)) !=
	    EGCA_OK)
		return cli_fail(e);
	printf("TOTP enabled for %s\n", au->p.name);
	return 0;
}

static int
op_create(struct cli_env *env, const struct args *a)
{
	struct egca_operator_new o;
	char otp[EGCA_AUTH_OTP_LEN + 1];
	enum egca_err e;

	memset(&o, 0, sizeof(o));
	o.name = a->name;
	o.display_name = a->display;
	o.point = a->point;
	o.department = a->department;
	o.subscriber = a->subscriber;
	if ((e = egca_role_parse(a->roles, &o.roles)) != EGCA_OK ||
	    (e = egca_auth_operator_create(&env->ctx, &o, otp)) != EGCA_OK)
		return cli_fail(e);
	return print_otp(a, a->name, otp);
}

static int
op_list(struct cli_env *env, const struct args *a)
{
	struct egca_operator_rec *l = NULL;
	size_t n = 0, i;
	json_t *arr;
	char roles[256];
	enum egca_err e;

	if ((e = egca_auth_operator_list(&env->ctx, &l, &n)) != EGCA_OK)
		return cli_fail(e);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, op_json(&l[i]));
		egca_auth_operator_list_free(l, n);
		return cli_print_json(json_pack("{s:o}", "operators", arr));
	}
	printf("%-24s %-30s %-5s %-8s %s\n", "NAME", "ROLES", "TOTP", "STATE",
	    "POINT");
	for (i = 0; i < n; i++) {
		egca_role_format(l[i].roles, roles, sizeof(roles));
		printf("%-24s %-30s %-5s %-8s %s\n", l[i].name, roles,
		    l[i].totp_enrolled ? "yes" : "no",
		    l[i].disabled           ? "disabled"
		        : l[i].locked_until ? "locked"
		        : l[i].must_change  ? "new"
		                            : "active",
		    l[i].point ? l[i].point : "-");
	}
	printf("(%zu operators)\n", n);
	egca_auth_operator_list_free(l, n);
	return 0;
}

static int
op_show(struct cli_env *env, const struct args *a, const char *name)
{
	struct egca_operator_rec r;
	json_t *j;
	enum egca_err e;

	memset(&r, 0, sizeof(r));
	if ((e = egca_auth_operator_get(&env->ctx, name, &r)) != EGCA_OK)
		return cli_fail(e);
	j = op_json(&r);
	egca_auth_operator_rec_free(&r);
	return a->json ? cli_print_json(j) : cli_print_kv(j);
}

/* The SHA-256 of a certificate file's DER, hex. */
static enum egca_err
cert_sha256(const char *path, char hex[65])
{
	struct egca_der_list l = {NULL, NULL, 0};
	uint8_t *data = NULL, md[32];
	size_t len;
	enum egca_err e;

	if ((e = egca_file_read(path, 64 * 1024, &data, &len)) != EGCA_OK)
		return e;
	e = egca_pki_pem_decode(data, len, "CERTIFICATE", &l);
	free(data);
	if (e != EGCA_OK)
		return e;
	if (l.n != 1)
		e = egca_err_set(EGCA_ERR_INPUT,
		    "--cert %s: expected one certificate, found %zu", path,
		    l.n);
	else if ((e = egca_crypto_sha256(l.der[0], l.len[0], md)) == EGCA_OK)
		egca_hex_encode(md, sizeof(md), hex);
	egca_der_list_free(&l);
	return e;
}

static int
op_admin(struct cli_env *env, const struct args *a, const char *verb,
    const char *name)
{
	char otp[EGCA_AUTH_OTP_LEN + 1], hex[65];
	unsigned roles;
	enum egca_err e;

	if (strcmp(verb, "roles") == 0) {
		if ((e = egca_role_parse(a->roles, &roles)) != EGCA_OK ||
		    (e = egca_auth_operator_set_roles(
		         &env->ctx, name, roles)) != EGCA_OK)
			return cli_fail(e);
		printf("roles of %s: %s\n", name, a->roles);
	} else if (strcmp(verb, "disable") == 0 ||
	    strcmp(verb, "enable") == 0) {
		int off = strcmp(verb, "disable") == 0;
		if ((e = egca_auth_operator_disable(&env->ctx, name, off)) !=
		    EGCA_OK)
			return cli_fail(e);
		printf("operator %s %s\n", name, off ? "disabled" : "enabled");
	} else if (strcmp(verb, "unlock") == 0) {
		if ((e = egca_auth_operator_unlock(&env->ctx, name)) != EGCA_OK)
			return cli_fail(e);
		printf("operator %s unlocked\n", name);
	} else if (strcmp(verb, "reset") == 0) {
		if ((e = egca_auth_operator_reset(&env->ctx, name, otp)) !=
		    EGCA_OK)
			return cli_fail(e);
		return print_otp(a, name, otp);
	} else { /* set-cert */
		if (a->clear)
			e = egca_auth_operator_set_cert(&env->ctx, name, NULL);
		else if ((e = cert_sha256(a->cert, hex)) == EGCA_OK)
			e = egca_auth_operator_set_cert(&env->ctx, name, hex);
		if (e != EGCA_OK)
			return cli_fail(e);
		if (a->clear)
			printf("client certificate of %s cleared\n", name);
		else
			printf(
			    "client certificate of %s: sha256 %s\n", name, hex);
	}
	return 0;
}

static json_t *
token_json(const struct egca_token_rec *t)
{
	char roles[256];

	egca_role_format(t->roles, roles, sizeof(roles));
	return json_pack("{s:s, s:s, s:o, s:s, s:b, s:o, s:o, s:o, s:o}", "id",
	    t->id, "owner", t->owner, "label", cli_json_str(t->label), "roles",
	    roles, "mfa", t->mfa, "created_at", cli_json_time(t->created_at),
	    "expires_at", cli_json_time(t->expires_at), "revoked_at",
	    cli_json_time(t->revoked_at), "last_used",
	    cli_json_time(t->last_used));
}

static int
op_token(struct cli_env *env, struct cli_auth *au, const struct args *a,
    const char *sub, const char *id)
{
	struct egca_token_rec *l = NULL;
	size_t n = 0, i;
	char tok[128], tid[17], exp[32];
	unsigned roles = au->p.roles;
	int64_t ttl = 30 * 86400;
	json_t *arr, *o;
	enum egca_err e;

	if (strcmp(sub, "create") == 0) {
		if ((a->roles != NULL &&
		        (e = egca_role_parse(a->roles, &roles)) != EGCA_OK) ||
		    (a->ttl != NULL &&
		        (e = parse_ttl(a->ttl, &ttl)) != EGCA_OK))
			return cli_fail(e);
		if ((e = egca_auth_token_create(&env->ctx, &au->p, roles, ttl,
		         a->label, tok, sizeof(tok), tid)) != EGCA_OK)
			return cli_fail(e);
		if (a->json)
			cli_print_json(json_pack("{s:s, s:s, s:o}", "id", tid,
			    "token", tok, "expires_at",
			    cli_json_time((int64_t)time(NULL) + ttl)));
		else {
			/* The token alone on stdout: "> token.txt" works. */
			printf("%s\n", tok);
			cli_format_time((int64_t)time(NULL) + ttl, exp);
			fprintf(stderr,
			    "token %s created (shown once), expires %s\n", tid,
			    exp);
		}
		OPENSSL_cleanse(tok, sizeof(tok));
		return 0;
	}
	if (strcmp(sub, "revoke") == 0) {
		if ((e = egca_auth_token_revoke(&env->ctx, &au->p, id)) !=
		    EGCA_OK)
			return cli_fail(e);
		printf("token %s revoked\n", id);
		return 0;
	}
	/* list */
	if (a->all && !(au->p.roles & EGCA_ROLE_SECADMIN))
		return cli_fail(egca_err_set(EGCA_ERR_POLICY,
		    "--all: listing every operator's tokens needs the secadmin "
		    "role"));
	if ((e = egca_auth_token_list(
	         &env->ctx, a->all ? NULL : au->p.name, &l, &n)) != EGCA_OK)
		return cli_fail(e);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, token_json(&l[i]));
	egca_auth_token_list_free(l, n);
	if (a->json)
		return cli_print_json(json_pack("{s:o}", "tokens", arr));
	printf("%-16s %-16s %-26s %-20s %-8s %s\n", "ID", "OWNER", "ROLES",
	    "EXPIRES", "STATE", "LABEL");
	for (i = 0; i < json_array_size(arr); i++) {
		o = json_array_get(arr, i);
		printf("%-16s %-16s %-26s %-20s %-8s %s\n",
		    json_string_value(json_object_get(o, "id")),
		    json_string_value(json_object_get(o, "owner")),
		    json_string_value(json_object_get(o, "roles")),
		    json_string_value(json_object_get(o, "expires_at")),
		    json_is_null(json_object_get(o, "revoked_at")) ? "active"
		                                                   : "revoked",
		    json_is_null(json_object_get(o, "label"))
		        ? "-"
		        : json_string_value(json_object_get(o, "label")));
	}
	printf("(%zu tokens)\n", json_array_size(arr));
	json_decref(arr);
	return 0;
}

/* Verb, HTTP route name checked against the policy, positional args. */
static const struct cli_verb_row verbs[] = {
    {"passwd", "me_password", 0},
    {"totp-enroll", "me_totp_enroll", 0},
    {"totp-confirm", "me_totp_confirm", 1},
    {"create", "operator_create", 0},
    {"list", "operator_list", 0},
    {"show", "operator_get", 1},
    {"roles", "operator_roles", 1},
    {"disable", "operator_disable", 1},
    {"enable", "operator_enable", 1},
    {"unlock", "operator_unlock", 1},
    {"reset", "operator_reset", 1},
    /* A client certificate replaces a credential, as reset does. */
    {"set-cert", "operator_reset", 1},
    {"token create", "token_create", 0},
    {"token list", "token_list", 0},
    {"token revoke", "token_revoke", 1},
};
static const struct cli_verbs operator_verbs = {"operator", verbs,
    sizeof(verbs) / sizeof(verbs[0]), "token", "create, list or revoke"};

int
cmd_operator(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"name", required_argument, NULL, 'n'},
	    {"roles", required_argument, NULL, 'r'},
	    {"point", required_argument, NULL, 'P'},
	    {"department", required_argument, NULL, 'D'},
	    {"subscriber", required_argument, NULL, 'S'},
	    {"display-name", required_argument, NULL, 'N'},
	    {"new-password-file", required_argument, NULL, 'w'},
	    {"cert", required_argument, NULL, 'c'},
	    {"clear", no_argument, NULL, 'C'},
	    {"ttl", required_argument, NULL, 't'},
	    {"label", required_argument, NULL, 'l'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_AUTH_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct args a;
	struct cli_auth au;
	struct cli_env env;
	const struct cli_verb_row *v;
	const char *verb, *arg = NULL;
	char full[64];
	int c, rc, pos;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	memset(&a, 0, sizeof(a));
	memset(&au, 0, sizeof(au));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			a.name = optarg;
			break;
		case 'r':
			a.roles = optarg;
			break;
		case 'P':
			a.point = optarg;
			break;
		case 'D':
			a.department = optarg;
			break;
		case 'S':
			a.subscriber = optarg;
			break;
		case 'N':
			a.display = optarg;
			break;
		case 'w':
			a.new_pass_file = optarg;
			break;
		case 'c':
			a.cert = optarg;
			break;
		case 'C':
			a.clear = 1;
			break;
		case 't':
			a.ttl = optarg;
			break;
		case 'l':
			a.label = optarg;
			break;
		case 'a':
			a.all = 1;
			break;
		default:
			if (!cli_opt_common(c, optarg, &a.dir, &a.json, &au))
				return cli_usage_error(
				    "operator", "unknown option");
		}
	}
	pos = optind;
	if ((v = cli_verb_row(&operator_verbs, verb, argc, argv, &pos, full,
	         sizeof(full))) == NULL)
		return EGCA_ERR_USAGE;
	if (argc - pos != v->nargs)
		return cli_usage_error("operator", "%s takes %s", full,
		    v->nargs ? "one argument" : "no argument");
	if (v->nargs)
		arg = argv[pos];
	if (strcmp(full, "create") == 0 && (a.name == NULL || a.roles == NULL))
		return cli_usage_error(
		    "operator", "create needs --name NAME and --roles LIST");
	if (strcmp(full, "roles") == 0 && a.roles == NULL)
		return cli_usage_error("operator", "roles needs --roles LIST");
	if (strcmp(full, "set-cert") == 0 && (a.cert == NULL) == !a.clear)
		return cli_usage_error(
		    "operator", "set-cert needs --cert FILE or --clear");
	if (strcmp(full, "passwd") == 0) {
		if (au.name == NULL)
			return cli_usage_error(
			    "operator", "passwd needs --operator NAME");
		au.keep_password = 1;
	}
	if ((rc = cli_auth_open(a.dir, &au, v->action, &env)) != 0)
		return rc;
	if (strcmp(full, "passwd") == 0)
		rc = op_passwd(&env, &au, &a);
	else if (strcmp(full, "totp-enroll") == 0)
		rc = op_totp_enroll(&env, &au, &a);
	else if (strcmp(full, "totp-confirm") == 0)
		rc = op_totp_confirm(&env, &au, arg);
	else if (strcmp(full, "create") == 0)
		rc = op_create(&env, &a);
	else if (strcmp(full, "list") == 0)
		rc = op_list(&env, &a);
	else if (strcmp(full, "show") == 0)
		rc = op_show(&env, &a, arg);
	else if (strncmp(full, "token ", 6) == 0)
		rc = op_token(&env, &au, &a, full + 6, arg);
	else
		rc = op_admin(&env, &a, full, arg);
	cli_auth_close(&env, &au);
	return rc;
}
