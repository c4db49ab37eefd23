/*
 * egca audit: verify the SM3 chain and its signed checkpoints, browse
 * and export the events, make a checkpoint, create the audit key.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "egca/audit.h"
#include "egca/crypto.h"
#include "egca/file.h"

static const char help[] =
    "usage: egca audit <verb> [--dir DIR] [options]\n"
    "\n"
    "verbs:\n"
    "  verify [--audit-pubkey FILE] [--json]\n"
    "                    walks the SM3 hash chain and reports the first\n"
    "                    broken position (changed byte, deleted, reordered\n"
    "                    or inserted event); then checks every signed\n"
    "                    checkpoint: its SM2 signature under the audit key\n"
    "                    (DIR/keys/audit.pub, or FILE: a copy kept\n"
    "                    elsewhere), the event at its seq having its hash,\n"
    "                    and the log reaching it (removed newest events);\n"
    "                    exits 13 when anything is wrong; prints the head\n"
    "                    (seq and hash) to keep elsewhere\n"
    "  list [filters] [--after SEQ] [--limit N] [--json]\n"
    "                    matching events, oldest first (--limit: default\n"
    "                    100, at most 10000; page on with --after the last\n"
    "                    seq shown)\n"
    "  export --format json|csv [filters] [--after SEQ] [--out FILE]\n"
    "                    every matching event; CSV per RFC 4180 with the\n"
    "                    header seq,ts,time,actor,action,object,outcome,\n"
    "                    details,hash (cells starting with = + - @ get a '\n"
    "                    in front: no spreadsheet formulas)\n"
    "  checkpoint [--passphrase-file FILE] [--json]\n"
    "                    signs the current head with the audit key now\n"
    "                    (egca serve does so every N events or M minutes)\n"
    "  key create [--passphrase-file FILE]\n"
    "                    creates the SM2 audit key (DIR/keys/audit.key,\n"
    "                    encrypted with the CA keys' passphrase, and\n"
    "                    audit.pub) for a data directory that has none\n"
    "\n"
    "filters:\n"
    "  --actor NAME        exactly this actor (\"cli:root\", "
    "\"operator:alice\")\n"
    "  --action PREFIX     actions starting with PREFIX (\"auth.\", "
    "\"cert.revoke\")\n"
    "  --object PREFIX     objects starting with PREFIX (\"cert/root/\")\n"
    "  --outcome success|failure\n"
    "  --from TIME         at or after TIME (YYYY-MM-DD,\n"
    "                      YYYY-MM-DDTHH:MM:SSZ or Unix seconds, UTC)\n"
    "  --to TIME           before TIME (a bare date: before the end of "
    "that day)\n";

enum {
	OPT_ACTOR = 0x200,
	OPT_ACTION,
	OPT_OBJECT,
	OPT_OUTCOME,
	OPT_FROM,
	OPT_TO,
	OPT_AFTER,
	OPT_LIMIT,
	OPT_FORMAT,
	OPT_OUT,
	OPT_PUBKEY,
	OPT_PASSFILE,
};

struct args {
	const char *dir;
	struct egca_audit_filter f;
	const char *format;
	const char *out;
	const char *pubkey;
	const char *passfile;
	int json;
};

static json_t *
event_json(const struct egca_audit_rec *r)
{
	char at[32];

	cli_format_time(r->ts, at);
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
	    (json_int_t)r->seq, "ts", (json_int_t)r->ts, "time", at, "actor",
	    r->actor, "action", r->action, "object", r->object, "outcome",
	    r->outcome, "details", r->details, "hash", r->hash);
}

static int
do_list(struct cli_env *env, const struct args *a)
{
	struct egca_audit_rec *v = NULL;
	json_t *arr;
	char at[32];
	size_t n = 0, i;
	enum egca_err e;

	if ((e = egca_audit_list(env->st, &a->f, &v, &n)) != EGCA_OK)
		return cli_fail(e);
	if (a->json) {
		/* A full page may have more after it: where to go on. */
		json_t *next = n != 0 && n == (a->f.limit ? a->f.limit : 100)
		    ? json_integer((json_int_t)v[n - 1].seq)
		    : NULL;
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, event_json(&v[i]));
		egca_audit_list_free(v, n);
		return cli_print_json(json_pack(
		    "{s:o, s:o?}", "events", arr, "next_after", next));
	}
	for (i = 0; i < n; i++) {
		cli_format_time(v[i].ts, at);
		printf("%6lld %s %-14s %-16s %-8s %s %s\n", (long long)v[i].seq,
		    at, v[i].actor, v[i].action, v[i].outcome, v[i].object,
		    v[i].details);
	}
	egca_audit_list_free(v, n);
	return 0;
}

static int
do_export(struct cli_env *env, const struct args *a)
{
	struct egca_buf b;
	enum egca_audit_format fmt;
	enum egca_err e;

	if (a->format == NULL)
		return cli_usage_error(
		    "audit", "export needs --format json|csv");
	if (strcmp(a->format, "json") == 0)
		fmt = EGCA_AUDIT_JSON;
	else if (strcmp(a->format, "csv") == 0)
		fmt = EGCA_AUDIT_CSV;
	else
		return cli_usage_error(
		    "audit", "--format '%s': expected json or csv", a->format);
	egca_buf_init(&b, (size_t)1 << 30);
	if ((e = egca_audit_export(env->st, &a->f, fmt, &b)) == EGCA_OK)
		e = cli_write_out(a->out, b.data, b.len, 0640);
	egca_buf_free(&b);
	return e == EGCA_OK ? 0 : cli_fail(e);
}

static enum egca_err
load_pubkey(struct cli_env *env, const char *file, uint8_t **spki, size_t *len)
{
	char *path = NULL;
	enum egca_err e;

	*spki = NULL;
	*len = 0;
	if (file != NULL)
		return egca_audit_pubkey_load(file, spki, len);
	if ((path = egca_file_join(env->cfg->keys_dir, EGCA_AUDIT_PUB_FILE)) ==
	    NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	e = egca_file_exists(path) ? egca_audit_pubkey_load(path, spki, len)
	                           : EGCA_OK;
	free(path);
	return e;
}

static int
do_verify(struct cli_env *env, const struct args *a)
{
	struct egca_audit_report rep;
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	char at[32];
	enum egca_err e;
	int rc = 0;

	if ((e = load_pubkey(env, a->pubkey, &spki, &spki_len)) != EGCA_OK)
		return cli_fail(e);
	e = egca_audit_verify(env->st, spki, spki_len, &rep);
	free(spki);
	if (e != EGCA_OK && e != EGCA_ERR_INTEGRITY)
		return cli_fail(e);
	cli_format_time(rep.last_checkpoint_at, at);
	if (a->json) {
		json_t *j = json_pack(
		    "{s:b, s:I, s:I, s:I, s:s, s:I, s:s, s:{s:I, s:I, s:I, "
		    "s:s?, s:b, s:s?, s:s?}}",
		    "intact", e == EGCA_OK, "events", (json_int_t)rep.events,
		    "first_bad_position", (json_int_t)rep.first_bad,
		    "first_bad_seq", (json_int_t)rep.bad_seq, "reason",
		    rep.reason, "head_seq", (json_int_t)rep.head_seq,
		    "head_hash", rep.head_hash, "checkpoints", "checked",
		    (json_int_t)rep.checkpoints, "bad_seq",
		    (json_int_t)rep.bad_checkpoint, "last_seq",
		    (json_int_t)rep.last_checkpoint, "last_time",
		    rep.last_checkpoint_at ? at : NULL, "signatures_checked",
		    rep.signatures_checked, "audit_key_id",
		    rep.key_id[0] ? rep.key_id : NULL, "key_note",
		    rep.key_note[0] ? rep.key_note : NULL);
		cli_print_json(j);
		return (int)e;
	}
	if (rep.key_note[0] != '\0')
		fprintf(stderr, "egca: warning: %s\n", rep.key_note);
	if (!rep.signatures_checked && rep.checkpoints > 0)
		fprintf(stderr,
		    "egca: warning: no audit public key (%s/%s): checkpoint "
		    "signatures were not checked\n",
		    env->cfg->keys_dir, EGCA_AUDIT_PUB_FILE);
	if (e != EGCA_OK)
		return cli_fail(e);
	printf("audit chain intact: %lld events, head seq %lld sm3 %s\n",
	    (long long)rep.events, (long long)rep.head_seq, rep.head_hash);
	if (rep.checkpoints > 0)
		printf("checkpoints: %lld checked%s, newest at seq %lld "
		       "signed %s\n",
		    (long long)rep.checkpoints,
		    rep.signatures_checked ? " (signatures verified)" : "",
		    (long long)rep.last_checkpoint, at);
	else
		printf("checkpoints: none\n");
	return rc;
}

static enum egca_err
read_pass(const char *file, char **pass, size_t *len)
{
	return egca_crypto_secret_read(file,
	    "CA key passphrase (also protects the audit key): ", NULL, pass,
	    len);
}

/*
 * egca serve opens the CA keys and the audit key with one passphrase:
 * refuse another one for the audit key.
 */
static enum egca_err
same_as_ca(struct cli_env *env, const char *pass, size_t len)
{
	struct egca_ca_rec ca;
	EVP_PKEY *pk = NULL;
	char *path;
	enum egca_err e;

	if ((e = egca_ca_get(&env->ctx, NULL, &ca)) != EGCA_OK)
		return e == EGCA_ERR_NOTFOUND ? EGCA_OK : e;
	path = egca_file_join(env->cfg->dir, ca.key_file);
	egca_store_ca_rec_free(&ca);
	if (path == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	e = egca_crypto_key_load(path, pass, len, &pk);
	EVP_PKEY_free(pk);
	free(path);
	if (e == EGCA_ERR_AUTH)
		return egca_err_set(EGCA_ERR_AUTH,
		    "the audit key takes the passphrase of the CA keys (egca "
		    "serve opens both with one), and this is not it");
	return e;
}

int
cli_audit_key_init(struct cli_env *env, const char *passfile, int quiet)
{
	char *pass = NULL, id[65];
	size_t len = 0;
	enum egca_err e;

	if ((e = read_pass(passfile, &pass, &len)) != EGCA_OK)
		return cli_fail(e);
	if ((e = same_as_ca(env, pass, len)) == EGCA_OK)
		e = egca_audit_key_create(
		    env->st, env->cfg->keys_dir, env->actor, pass, len, id);
	egca_crypto_passphrase_free(pass, len);
	if (e != EGCA_OK)
		return cli_fail(e);
	if (!quiet)
		printf("audit key created (sm2, id %.16s...): %s/%s, %s/%s\n",
		    id, env->cfg->keys_dir, EGCA_AUDIT_KEY_FILE,
		    env->cfg->keys_dir, EGCA_AUDIT_PUB_FILE);
	return 0;
}

static int
do_checkpoint(struct cli_env *env, const struct args *a)
{
	struct egca_signer *key = NULL;
	char *pass = NULL;
	size_t len = 0;
	int64_t seq = 0;
	enum egca_err e;

	if ((e = read_pass(a->passfile, &pass, &len)) != EGCA_OK)
		return cli_fail(e);
	e = egca_audit_key_open(env->cfg->keys_dir, pass, len, &key);
	egca_crypto_passphrase_free(pass, len);
	if (e == EGCA_OK)
		e = egca_audit_checkpoint(
		    env->st, key, (int64_t)time(NULL), &seq);
	egca_signer_free(key);
	if (e != EGCA_OK)
		return cli_fail(e);
	if (a->json)
		return cli_print_json(
		    json_pack("{s:I}", "seq", (json_int_t)seq));
	if (seq == 0)
		printf("audit log empty: no checkpoint\n");
	else
		printf("checkpoint: head seq %lld signed\n", (long long)seq);
	return 0;
}

static enum egca_err
parse_opt(struct args *a, int c, const char *v)
{
	int64_t t;
	int n;
	enum egca_err e;

	switch (c) {
	case 'd':
		a->dir = v;
		return EGCA_OK;
	case 'j':
		a->json = 1;
		return EGCA_OK;
	case OPT_ACTOR:
		a->f.actor = v;
		return EGCA_OK;
	case OPT_ACTION:
		a->f.action = v;
		return EGCA_OK;
	case OPT_OBJECT:
		a->f.object = v;
		return EGCA_OK;
	case OPT_OUTCOME:
		if (strcmp(v, "success") != 0 && strcmp(v, "failure") != 0)
			return egca_err_set(EGCA_ERR_USAGE,
			    "--outcome '%s': expected success or failure", v);
		a->f.outcome = v;
		return EGCA_OK;
	case OPT_FROM:
	case OPT_TO:
		if ((e = cli_parse_time(v, &t)) != EGCA_OK)
			return e;
		/* A bare date as the upper bound means the whole day. */
		if (c == OPT_TO && strlen(v) == 10 && v[4] == '-')
			t += 86400;
		if (c == OPT_FROM)
			a->f.from = t;
		else
			a->f.to = t;
		return EGCA_OK;
	case OPT_AFTER:
		if ((e = cli_parse_int("--after", v, 0, 2000000000, &n)) !=
		    EGCA_OK)
			return e;
		a->f.after_seq = n;
		return EGCA_OK;
	case OPT_LIMIT:
		if ((e = cli_parse_int("--limit", v, 1, 10000, &n)) != EGCA_OK)
			return e;
		a->f.limit = (size_t)n;
		return EGCA_OK;
	case OPT_FORMAT:
		a->format = v;
		return EGCA_OK;
	case OPT_OUT:
		a->out = v;
		return EGCA_OK;
	case OPT_PUBKEY:
		a->pubkey = v;
		return EGCA_OK;
	case OPT_PASSFILE:
		a->passfile = v;
		return EGCA_OK;
	default:
		return egca_err_set(EGCA_ERR_USAGE, "unknown option");
	}
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"actor", required_argument, NULL, OPT_ACTOR},
	    {"action", required_argument, NULL, OPT_ACTION},
	    {"object", required_argument, NULL, OPT_OBJECT},
	    {"outcome", required_argument, NULL, OPT_OUTCOME},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {"after", required_argument, NULL, OPT_AFTER},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"audit-pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	/* Which options each verb takes (the filters: list and export). */
	static const struct {
		const char *verb;
		int filters, json, after_limit, export, pubkey, pass;
	} verbs[] = {
	    {"verify", 0, 1, 0, 0, 1, 0},
	    {"list", 1, 1, 1, 0, 0, 0},
	    {"export", 1, 0, 0, 1, 0, 0},
	    {"checkpoint", 0, 1, 0, 0, 0, 1},
	    {"key", 0, 0, 0, 0, 0, 1},
	};
	struct args a;
	struct cli_env env;
	const char *verb;
	size_t i;
	int c, rc;
	enum egca_err e;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].verb, verb) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return cli_usage_error("audit", "unknown verb '%s'", verb);
	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int ok = c == 'd' || (c == 'j' && verbs[i].json) ||
		    (c >= OPT_ACTOR && c <= OPT_TO && verbs[i].filters) ||
		    (c == OPT_AFTER && verbs[i].filters) ||
		    (c == OPT_LIMIT && verbs[i].after_limit) ||
		    ((c == OPT_FORMAT || c == OPT_OUT) && verbs[i].export) ||
		    (c == OPT_PUBKEY && verbs[i].pubkey) ||
		    (c == OPT_PASSFILE && verbs[i].pass);
		if (c == '?')
			return cli_usage_error("audit", "unknown option");
		if (!ok)
			return cli_usage_error(
			    "audit", "'%s' does not take this option", verb);
		if ((e = parse_opt(&a, c, optarg)) != EGCA_OK)
			return cli_fail(e);
	}
	if (strcmp(verb, "key") == 0) {
		if (optind != argc - 1 || strcmp(argv[optind], "create") != 0)
			return cli_usage_error(
			    "audit", "expected 'egca audit key create'");
	} else if (optind != argc) {
		return cli_usage_error(
		    "audit", "unexpected argument '%s'", argv[optind]);
	}
	if ((e = cli_open(cli_dir(a.dir), 0, &env)) != EGCA_OK)
		return cli_fail(e);
	if (strcmp(verb, "verify") == 0)
		rc = do_verify(&env, &a);
	else if (strcmp(verb, "list") == 0)
		rc = do_list(&env, &a);
	else if (strcmp(verb, "export") == 0)
		rc = do_export(&env, &a);
	else if (strcmp(verb, "checkpoint") == 0)
		rc = do_checkpoint(&env, &a);
	else
		rc = cli_audit_key_init(&env, a.passfile, 0);
	cli_close(&env);
	return rc;
}
