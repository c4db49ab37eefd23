/*
 * The caller of a CLI command that acts as an operator: a login
 * (password from a file or the terminal, TOTP code) or an API token,
 * then the policy check of the action through the one policy table
 * the HTTP routes use. The CLI has no privilege of its own here: it
 * reaches the store, but every service call runs as the principal.
 *
 * Secrets (password, token) stay in the OpenSSL secure heap and are
 * cleared as soon as the service has checked them; the token may come
 * from $EGCA_TOKEN (as with other API clients) but never from argv.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "egca/crypto.h"

int
cli_auth_opt(struct cli_auth *a, int opt, const char *arg)
{
	switch (opt) {
	case CLI_AUTH_OPT_OPERATOR:
		a->name = arg;
		return 1;
	case CLI_AUTH_OPT_PASSWORD:
		a->password_file = arg;
		return 1;
	case CLI_AUTH_OPT_TOTP:
		a->totp = arg;
		return 1;
	case CLI_AUTH_OPT_TOTP_FILE:
		a->totp_file = arg;
		return 1;
	case CLI_AUTH_OPT_TOKEN:
		a->token_file = arg;
		return 1;
	default:
		return 0;
	}
}

int
cli_opt_common(
    int opt, const char *arg, const char **dir, int *json, struct cli_auth *a)
{
	switch (opt) {
	case 'd':
		*dir = arg;
		return 1;
	case 'j':
		*json = 1;
		return 1;
	default:
		return cli_auth_opt(a, opt, arg);
	}
}

/* The token from --token-file or $EGCA_TOKEN; NULL when neither. */
static enum egca_err
read_token(const struct cli_auth *a, char **tok, size_t *len)
{
	const char *env = getenv("EGCA_TOKEN");
	size_t n;

	*tok = NULL;
	*len = 0;
	if (a->token_file != NULL)
		return egca_crypto_secret_read(
		    a->token_file, "API token: ", NULL, tok, len);
	if (env == NULL || env[0] == '\0')
		return EGCA_OK;
	n = strlen(env);
	if ((*tok = OPENSSL_secure_malloc(n + 1)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "token");
	memcpy(*tok, env, n + 1);
	*len = n;
	return EGCA_OK;
}

/*
 * The TOTP code: --totp, --totp-file, or (at the terminal, when the
 * password came from the terminal too and the operator has TOTP) a
 * prompt. NULL when none.
 */
static enum egca_err
read_totp(
    struct cli_env *env, const struct cli_auth *a, char **code, size_t *len)
{
	struct egca_operator_rec rec;
	size_t n;
	int ask;

	*code = NULL;
	*len = 0;
	if (a->totp_file != NULL)
		return egca_crypto_secret_read(
		    a->totp_file, "TOTP code: ", NULL, code, len);
	if (a->totp != NULL) {
		n = strlen(a->totp);
		if ((*code = OPENSSL_secure_malloc(n + 1)) == NULL)
			return egca_err_set(EGCA_ERR_NOMEM, "TOTP code");
		memcpy(*code, a->totp, n + 1);
		*len = n;
		return EGCA_OK;
	}
	if (a->password_file != NULL || !isatty(STDIN_FILENO))
		return EGCA_OK;
	memset(&rec, 0, sizeof(rec));
	if (egca_auth_operator_get(&env->ctx, a->name, &rec) != EGCA_OK) {
		/* Unknown: the login answers as for a wrong password. */
		egca_err_clear();
		return EGCA_OK;
	}
	ask = rec.totp_enrolled && !rec.disabled;
	egca_auth_operator_rec_free(&rec);
	if (!ask)
		return EGCA_OK;
	return egca_crypto_secret_read(NULL, "TOTP code: ", NULL, code, len);
}

static enum egca_err
login(struct cli_env *env, struct cli_auth *a)
{
	struct egca_login in;
	struct egca_session_out out;
	char *pass = NULL, *code = NULL, prompt[128];
	size_t pass_len = 0, code_len = 0;
	enum egca_err e;

	snprintf(prompt, sizeof(prompt), "Password for %s: ", a->name);
	if ((e = egca_crypto_secret_read(
	         a->password_file, prompt, NULL, &pass, &pass_len)) != EGCA_OK)
		return e;
	if ((e = read_totp(env, a, &code, &code_len)) != EGCA_OK) {
		egca_crypto_passphrase_free(pass, pass_len);
		return e;
	}
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.name = a->name;
	in.password = pass;
	in.totp = code;
	in.source = env->actor; /* "cli:<login name>" */
	e = egca_auth_login(&env->ctx, &in, &out, &a->p);
	if (e == EGCA_OK && a->keep_password) {
		a->password = pass;
		a->password_len = pass_len;
		pass = NULL;
	}
	egca_crypto_passphrase_free(pass, pass_len);
	egca_crypto_passphrase_free(code, code_len);
	if (e == EGCA_OK)
		memcpy(a->session, out.id, sizeof(a->session));
	OPENSSL_cleanse(&out, sizeof(out));
	return e;
}

static enum egca_err
authenticate(struct cli_env *env, struct cli_auth *a)
{
	char *tok = NULL;
	size_t tok_len = 0;
	enum egca_err e;

	if (a->name != NULL) {
		if (a->token_file != NULL)
			return egca_err_set(EGCA_ERR_USAGE,
			    "--operator and --token-file: give one of them");
		return login(env, a);
	}
	if (a->password_file != NULL || a->totp != NULL || a->totp_file != NULL)
		return egca_err_set(EGCA_ERR_USAGE,
		    "--password-file and --totp need --operator NAME");
	if ((e = read_token(a, &tok, &tok_len)) != EGCA_OK)
		return e;
	if (tok == NULL)
		return egca_err_set(EGCA_ERR_AUTH,
		    "authentication required: --operator NAME (with "
		    "--password-file and --totp), --token-file FILE or "
		    "$EGCA_TOKEN");
	e = egca_auth_token_check(&env->ctx, tok, (int64_t)time(NULL), &a->p);
	egca_crypto_passphrase_free(tok, tok_len);
	return e;
}

enum egca_err
cli_auth_begin(struct cli_env *env, struct cli_auth *a, const char *action)
{
	char why[512];
	enum egca_err e;

	egca_principal_anonymous(&a->p);
	a->session[0] = '\0';
	if ((e = authenticate(env, a)) != EGCA_OK) {
		/* A failed login is audited by the auth service itself. */
		egca_principal_anonymous(&a->p);
		return e;
	}
	env->ctx.actor = a->p.actor;
	if ((e = egca_authorize(&a->p, action)) == EGCA_OK)
		return EGCA_OK;
	snprintf(why, sizeof(why), "%s", egca_err_detail());
	if (egca_auth_audit_denied(&env->ctx, &a->p, action, why) != EGCA_OK)
		fprintf(stderr, "egca: warning: the denial was not audited\n");
	cli_auth_end(env, a);
	return egca_err_set(e, "%s", why);
}

void
cli_auth_end(struct cli_env *env, struct cli_auth *a)
{
	if (a->session[0] != '\0' &&
	    egca_auth_logout(&env->ctx, a->session) != EGCA_OK)
		egca_err_clear();
	OPENSSL_cleanse(a->session, sizeof(a->session));
	egca_crypto_passphrase_free(a->password, a->password_len);
	a->password = NULL;
	a->password_len = 0;
}

int
cli_auth_open(const char *dir, struct cli_auth *a, const char *action,
    struct cli_env *env)
{
	enum egca_err e;
	int rc;

	if ((e = cli_open(cli_dir(dir), 0, env)) != EGCA_OK)
		return cli_fail(e);
	if ((e = cli_auth_begin(env, a, action)) != EGCA_OK) {
		rc = cli_fail(e);
		cli_close(env);
		return rc;
	}
	return 0;
}

void
cli_auth_close(struct cli_env *env, struct cli_auth *a)
{
	cli_auth_end(env, a);
	cli_close(env);
}

json_t *
cli_json_time(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	cli_format_time(t, buf);
	return json_string(buf);
}

json_t *
cli_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

int
cli_print_kv(json_t *obj)
{
	const char *k;
	json_t *v;
	char *s;

	if (obj == NULL)
		return cli_fail(egca_err_set(EGCA_ERR_NOMEM, "out of memory"));
	json_object_foreach(obj, k, v)
	{
		if (json_is_null(v))
			continue;
		if (json_is_string(v))
			printf("%-20s %s\n", k, json_string_value(v));
		else if (json_is_integer(v))
			printf("%-20s %lld\n", k,
			    (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			printf("%-20s %s\n", k, json_is_true(v) ? "yes" : "no");
		else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) !=
		    NULL) {
			printf("%-20s %s\n", k, s);
			free(s);
		}
	}
	json_decref(obj);
	return 0;
}
