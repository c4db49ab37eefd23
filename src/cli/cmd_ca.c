/* egca ca: create, request, import, anchors, show, list, export. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"

static const char help[] =
    "usage: egca ca <verb> [--dir DIR] [options]\n"
    "\n"
    "verbs:\n"
    "  create [options]           another CA in the same data directory\n"
    "  request [--ca NAME] [--out FILE] [--der]\n"
    "                             the CSR of a subordinate CA, for the\n"
    "                             source point (源点)\n"
    "  import [--ca NAME] --cert FILE [--chain FILE]\n"
    "                             activate a subordinate CA with the\n"
    "                             certificate the source point issued;\n"
    "                             it must hold the CA key and chain to a\n"
    "                             trust anchor\n"
    "  anchors [list] [--json]    trust anchors and cross-certificates\n"
    "  anchors add [--kind anchor|cross] FILE\n"
    "                             add the source point's root (anchor) or\n"
    "                             cross-certificates (PEM or DER)\n"
    "  show [--ca NAME] [--json]  a CA's details\n"
    "  list [--json]              all CAs\n"
    "  export [--ca NAME] [--out FILE] [--der]\n"
    "                             the CA certificate and its chain (PEM)\n"
    "\n"
    "create options:\n" CLI_CA_OPTS_HELP "\n"
    "common options:\n"
    "  --dir DIR    data directory (default $EGCA_DIR or ./egca-data)\n"
    "  --ca NAME    the CA (default: default_ca of egca.conf)\n"
    "  --json       JSON output\n"
    "  -h, --help   this help\n";

int
cli_ca_args_opt(struct cli_ca_args *a, int opt, const char *arg)
{
	switch (opt) {
	case 'n':
		a->name = arg;
		return 1;
	case 'a':
		a->alg = arg;
		return 1;
	case 's':
		a->subject = arg;
		return 1;
	case 'V':
		return cli_parse_int("--validity-days", arg, 1, 100000,
		           &a->validity_days) == EGCA_OK
		    ? 1
		    : -1;
	case 'S':
		a->subordinate = 1;
		return 1;
	case 'p':
		a->passphrase_file = arg;
		return 1;
	}
	return 0;
}

int
cli_ca_create(struct cli_env *env, const struct cli_ca_args *a)
{
	return cli_ca_create_ex(env, a, NULL);
}

int
cli_ca_create_ex(
    struct cli_env *env, const struct cli_ca_args *a, json_t **json_out)
{
	struct egca_ca_create_opts o;
	struct egca_ca_rec rec;
	char *pass = NULL;
	size_t pass_len = 0;
	enum egca_err e;

	memset(&o, 0, sizeof(o));
	memset(&rec, 0, sizeof(rec));
	if ((e = egca_crypto_key_alg_parse(a->alg, &o.alg, &o.bits)) != EGCA_OK)
		return cli_fail(e);
	if (o.alg == EGCA_KEY_RSA && o.bits < 3072)
		return cli_fail(egca_err_set(EGCA_ERR_USAGE,
		    "CA keys: sm2, ecdsa-p256 or rsa-3072 and larger"));
	o.name = a->name;
	o.subject = a->subject;
	o.validity_days = a->validity_days;
	o.subordinate = a->subordinate;
	if ((e = egca_ca_name_check(o.name)) != EGCA_OK)
		return cli_fail(e);
	if ((e = egca_crypto_passphrase_read(
	         a->passphrase_file, 1, &pass, &pass_len)) != EGCA_OK)
		return cli_fail(e);
	o.pass = pass;
	o.pass_len = pass_len;
	e = egca_ca_create(&env->ctx, &o);
	egca_crypto_passphrase_free(pass, pass_len);
	if (e != EGCA_OK)
		return cli_fail(e);
	if ((e = egca_ca_get(&env->ctx, o.name, &rec)) != EGCA_OK)
		return cli_fail(e);
	if (a->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name",
		    rec.name, "status", rec.status, "mode", rec.mode, "key_alg",
		    rec.key_alg, "subject", rec.subject);
		if (json_out != NULL)
			*json_out = j;
		else
			cli_print_json(j);
	} else {
		printf("CA %s created (%s, %s): %s\n", rec.name, rec.mode,
		    rec.key_alg, rec.subject);
		if (a->subordinate)
			printf("status pending: send 'egca ca request --ca %s' "
			       "to the source point, then 'egca ca import'\n",
			    rec.name);
	}
	egca_store_ca_rec_free(&rec);
	return 0;
}

static json_t *
ca_json(const struct egca_ca_rec *r)
{
	struct egca_cert_info info;
	char nb[32], na[32], serial[41];
	json_t *j;

	j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", r->name, "status",
	    r->status, "mode", r->mode, "key_alg", r->key_alg, "subject",
	    r->subject);
	if (j == NULL || r->cert_der == NULL)
		return j;
	memset(&info, 0, sizeof(info));
	if (egca_pki_cert_info(r->cert_der, r->cert_der_len, &info) != EGCA_OK)
		return j;
	egca_hex_encode(info.serial, info.serial_len, serial);
	cli_format_time(info.not_before, nb);
	cli_format_time(info.not_after, na);
	json_object_set_new(j, "issuer", json_string(info.issuer));
	json_object_set_new(j, "serial", json_string(serial));
	json_object_set_new(j, "not_before", json_string(nb));
	json_object_set_new(j, "not_after", json_string(na));
	json_object_set_new(j, "signature_algorithm",
	    json_string(egca_crypto_sig_alg_name(info.sig_alg)));
	egca_pki_cert_info_free(&info);
	return j;
}

static void
print_ca_text(json_t *j)
{
	const char *k;
	json_t *v;

	json_object_foreach(j, k, v)
	    printf("%-20s %s\n", k, json_string_value(v));
}

static int
ca_show(struct cli_env *env, const char *name, int json)
{
	struct egca_ca_rec rec;
	json_t *j;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	if ((e = egca_ca_get(&env->ctx, name, &rec)) != EGCA_OK)
		return cli_fail(e);
	j = ca_json(&rec);
	egca_store_ca_rec_free(&rec);
	if (json)
		return cli_print_json(j);
	print_ca_text(j);
	json_decref(j);
	return 0;
}

static int
ca_list(struct cli_env *env, int json)
{
	struct egca_ca_rec *list = NULL;
	json_t *arr;
	size_t n = 0, i;
	enum egca_err e;

	if ((e = egca_store_ca_list(env->st, &list, &n)) != EGCA_OK)
		return cli_fail(e);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, ca_json(&list[i]));
	egca_store_ca_list_free(list, n);
	if (json)
		return cli_print_json(arr);
	printf("%-16s %-8s %-12s %-11s %s\n", "NAME", "STATUS", "MODE", "ALG",
	    "SUBJECT");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		printf("%-16s %-8s %-12s %-11s %s\n",
		    json_string_value(json_object_get(o, "name")),
		    json_string_value(json_object_get(o, "status")),
		    json_string_value(json_object_get(o, "mode")),
		    json_string_value(json_object_get(o, "key_alg")),
		    json_string_value(json_object_get(o, "subject")));
	}
	json_decref(arr);
	return 0;
}

/* PEM (or DER with der) of one object to out. */
static int
emit(const uint8_t *der, size_t len, const char *label, int as_der,
    const char *out)
{
	struct egca_buf b;
	enum egca_err e;

	if (as_der)
		return cli_fail(cli_write_out(out, der, len, 0644));
	egca_buf_init(&b, 0);
	if ((e = egca_pki_pem_encode(der, len, label, &b)) == EGCA_OK)
		e = cli_write_out(out, b.data, b.len, 0644);
	egca_buf_free(&b);
	return cli_fail(e);
}

static int
ca_request(struct cli_env *env, const char *name, const char *out, int der)
{
	struct egca_ca_rec rec;
	int rc;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	if ((e = egca_ca_get(&env->ctx, name, &rec)) != EGCA_OK)
		return cli_fail(e);
	if (rec.csr_der == NULL) {
		egca_store_ca_rec_free(&rec);
		return cli_fail(egca_err_set(EGCA_ERR_STATE,
		    "CA '%s' is a %s CA: it has no request", name ? name : "",
		    rec.mode));
	}
	rc =
	    emit(rec.csr_der, rec.csr_der_len, "CERTIFICATE REQUEST", der, out);
	egca_store_ca_rec_free(&rec);
	return rc;
}

static int
ca_import(
    struct cli_env *env, const char *name, const char *cert, const char *chain)
{
	struct egca_buf all;
	uint8_t *data = NULL;
	size_t len;
	enum egca_err e;

	if (cert == NULL)
		return cli_usage_error("ca", "import needs --cert FILE");
	egca_buf_init(&all, 4 << 20);
	if ((e = egca_file_read(cert, 1 << 20, &data, &len)) != EGCA_OK)
		goto out;
	e = egca_buf_append(&all, data, len);
	free(data);
	data = NULL;
	if (e == EGCA_OK && chain != NULL) {
		if ((e = egca_file_read(chain, 1 << 20, &data, &len)) !=
		    EGCA_OK)
			goto out;
		if ((e = egca_buf_append(&all, "\n", 1)) == EGCA_OK)
			e = egca_buf_append(&all, data, len);
	}
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_ca_import(&env->ctx, name, all.data, all.len)) == EGCA_OK)
		printf("CA %s is active\n", name ? name : env->cfg->default_ca);
out:
	free(data);
	egca_buf_free(&all);
	return cli_fail(e);
}

static int
anchors(struct cli_env *env, int argc, char **argv, int optidx,
    const char *kind, int json)
{
	struct egca_anchor_rec *list = NULL;
	uint8_t *data;
	size_t len, n = 0, i, added;
	json_t *arr;
	char na[32];
	enum egca_err e;

	if (optidx < argc && strcmp(argv[optidx], "add") == 0) {
		if (optidx + 2 != argc)
			return cli_usage_error(
			    "ca", "anchors add takes one FILE");
		if ((e = egca_file_read(
		         argv[optidx + 1], 4 << 20, &data, &len)) != EGCA_OK)
			return cli_fail(e);
		e = egca_ca_anchor_add(
		    &env->ctx, data, len, kind ? kind : "anchor", &added);
		free(data);
		if (e != EGCA_OK)
			return cli_fail(e);
		printf("%zu %s certificate(s) added\n", added,
		    kind ? kind : "anchor");
		return 0;
	}
	if (optidx < argc && strcmp(argv[optidx], "list") != 0)
		return cli_usage_error(
		    "ca", "anchors: unknown verb '%s'", argv[optidx]);
	if ((e = egca_store_anchor_list(env->st, &list, &n)) != EGCA_OK)
		return cli_fail(e);
	arr = json_array();
	for (i = 0; i < n; i++) {
		cli_format_time(list[i].not_after, na);
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:s, s:s}", "sha256", list[i].id,
		        "kind", list[i].kind, "subject", list[i].subject,
		        "not_after", na));
	}
	egca_store_anchor_list_free(list, n);
	if (json)
		return cli_print_json(arr);
	printf(
	    "%-8s %-20s %-16s %s\n", "KIND", "NOT AFTER", "SHA-256", "SUBJECT");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		printf("%-8s %-20s %.16s %s\n",
		    json_string_value(json_object_get(o, "kind")),
		    json_string_value(json_object_get(o, "not_after")),
		    json_string_value(json_object_get(o, "sha256")),
		    json_string_value(json_object_get(o, "subject")));
	}
	json_decref(arr);
	return 0;
}

static int
ca_export(struct cli_env *env, const char *name, const char *out, int der)
{
	struct egca_ca_rec rec;
	struct egca_buf b;
	int rc;
	enum egca_err e;

	if (der) {
		memset(&rec, 0, sizeof(rec));
		if ((e = egca_ca_get(&env->ctx, name, &rec)) != EGCA_OK)
			return cli_fail(e);
		if (rec.cert_der == NULL) {
			egca_store_ca_rec_free(&rec);
			return cli_fail(egca_err_set(EGCA_ERR_STATE,
			    "CA is pending: no certificate yet"));
		}
		rc = emit(rec.cert_der, rec.cert_der_len, NULL, 1, out);
		egca_store_ca_rec_free(&rec);
		return rc;
	}
	egca_buf_init(&b, 0);
	if ((e = egca_ca_export_chain(&env->ctx, name, &b)) == EGCA_OK)
		e = cli_write_out(out, b.data, b.len, 0644);
	egca_buf_free(&b);
	return cli_fail(e);
}

int
cmd_ca(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"ca", required_argument, NULL, 'c'},
	    {"out", required_argument, NULL, 'o'},
	    {"der", no_argument, NULL, 'D'},
	    {"cert", required_argument, NULL, 'C'},
	    {"chain", required_argument, NULL, 'H'},
	    {"kind", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_CA_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct cli_ca_args a = {NULL, "sm2", NULL, 3650, 0, NULL, 0};
	struct cli_env env;
	const char *verb, *dir = NULL, *ca = NULL, *out = NULL;
	const char *cert = NULL, *chain = NULL, *kind = NULL;
	int c, r, der = 0, rc;
	enum egca_err e;

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
		case 'o':
			out = optarg;
			break;
		case 'D':
			der = 1;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'H':
			chain = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'j':
			a.json = 1;
			break;
		default:
			r = cli_ca_args_opt(&a, c, optarg);
			if (r < 0)
				return cli_fail(EGCA_ERR_USAGE);
			if (r == 0)
				return cli_usage_error("ca", "unknown option");
		}
	}
	if (strcmp(verb, "anchors") != 0 && optind != argc)
		return cli_usage_error(
		    "ca", "unexpected argument '%s'", argv[optind]);
	if ((e = cli_open(cli_dir(dir), 0, &env)) != EGCA_OK)
		return cli_fail(e);
	if (strcmp(verb, "create") == 0) {
		if (a.name == NULL)
			rc = cli_usage_error("ca", "create needs --name NAME");
		else {
			if (a.subject == NULL)
				a.subject = "C=CN,O=egca demo,CN=egca demo CA";
			rc = cli_ca_create(&env, &a);
		}
	} else if (strcmp(verb, "request") == 0)
		rc = ca_request(&env, ca, out, der);
	else if (strcmp(verb, "import") == 0)
		rc = ca_import(&env, ca, cert, chain);
	else if (strcmp(verb, "anchors") == 0)
		rc = anchors(&env, argc, argv, optind, kind, a.json);
	else if (strcmp(verb, "show") == 0)
		rc = ca_show(&env, ca, a.json);
	else if (strcmp(verb, "list") == 0)
		rc = ca_list(&env, a.json);
	else if (strcmp(verb, "export") == 0)
		rc = ca_export(&env, ca, out, der);
	else
		rc = cli_usage_error("ca", "unknown verb '%s'", verb);
	cli_close(&env);
	return rc;
}
