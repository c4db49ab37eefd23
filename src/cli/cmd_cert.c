/* egca cert: issue, show, list, revoke, hold, unhold. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "egca/audit.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"

static const char help[] =
    "usage: egca cert <verb> [--dir DIR] [--ca NAME] [options]\n"
    "\n"
    "verbs:\n"
    "  issue --csr FILE --profile NAME [options]\n"
    "        check the CSR (signature, key policy, subject), reserve a\n"
    "        random serial, lint, sign and store; prints the certificate\n"
    "        (PEM, or DER with --der)\n"
    "  show SERIAL [--json] [--pem | --der] [--out FILE]\n"
    "  list [--status good|revoked|hold] [--profile NAME] [--subject TEXT]\n"
    "       [--expires-before TIME] [--expires-after TIME] [--limit N]\n"
    "       [--offset N] [--json]\n"
    "  revoke SERIAL [--reason REASON] [--invalidity-date TIME]\n"
    "        REASON: unspecified (default), keyCompromise, cACompromise,\n"
    "        affiliationChanged, superseded, cessationOfOperation,\n"
    "        privilegeWithdrawn, aACompromise (RFC 5280 5.3.1)\n"
    "  hold SERIAL       suspend (冻结): certificateHold\n"
    "  unhold SERIAL     release a hold (解冻)\n"
    "\n"
    "issue options:\n"
    "  --csr FILE               PKCS#10 request, PEM or DER ('-': stdin)\n"
    "  --profile NAME           profile (egca ca show lists the dir; see\n"
    "                           profiles/*.json)\n"
    "  --subject DN             override the CSR's subject\n"
    "  --days N                 validity (default: the profile's)\n"
    "  --id-card, --passport, --military, --insurance, --uscc,\n"
    "  --org-code, --ic-registration, --tax-number VALUE\n"
    "                           GM/T 0015 identity extensions\n"
    "  --region CODE            GB/T 2260 region of the subscriber (six\n"
    "                           digits, e.g. 330100), for search and\n"
    "                           statistics\n"
    "  --dns NAME, --email ADDR, --ip ADDR\n"
    "                           subjectAltName entries (repeatable)\n"
    "  --passphrase-file FILE   the CA key passphrase (default: prompt)\n"
    "  --out FILE               write the certificate to FILE\n"
    "  --der                    DER instead of PEM\n"
    "\n"
    "TIME: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds.\n";

#define MAX_SAN 16

struct args {
	const char *dir, *ca, *csr, *profile, *subject, *out, *passfile;
	const char *status, *subject_like, *reason, *region;
	int days, json, der, pem, limit, offset;
	int64_t expires_before, expires_after, invalidity;
	struct egca_identity id;
	const char *dns[MAX_SAN], *email[MAX_SAN], *ip[MAX_SAN];
	size_t n_dns, n_email, n_ip;
};

static int
add_san(const char **list, size_t *n, const char *v)
{
	if (*n >= MAX_SAN)
		return cli_usage_error("cert",
		    "at most %d entries of a "
		    "subjectAltName kind",
		    MAX_SAN);
	list[(*n)++] = v;
	return 0;
}

static int
cert_issue(struct cli_env *env, struct args *a)
{
	struct egca_issuer *is = NULL;
	struct egca_csr *csr = NULL;
	struct egca_issue_req req;
	struct egca_issue_result res;
	struct egca_audit_event ev;
	uint8_t *data = NULL;
	size_t len, pass_len = 0;
	char *pass = NULL;
	int rc;
	enum egca_err e;

	memset(&res, 0, sizeof(res));
	if (a->csr == NULL || a->profile == NULL)
		return cli_usage_error(
		    "cert", "issue needs --csr FILE and --profile NAME");
	if ((e = egca_file_read(a->csr, 64 * 1024, &data, &len)) != EGCA_OK)
		goto out;
	if ((e = egca_pki_csr_parse(data, len, &csr)) != EGCA_OK)
		goto out;
	if ((e = egca_crypto_passphrase_read(
	         a->passfile, 0, &pass, &pass_len)) != EGCA_OK)
		goto out;
	e = egca_ca_issuer_open(&env->ctx, a->ca, pass, pass_len, &is);
	egca_crypto_passphrase_free(pass, pass_len);
	if (e != EGCA_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.profile = a->profile;
	req.csr = csr;
	req.subject = a->subject;
	req.identity = a->id;
	req.validity_days = a->days;
	req.region = a->region;
	req.san_dns = a->dns;
	req.n_san_dns = a->n_dns;
	req.san_email = a->email;
	req.n_san_email = a->n_email;
	req.san_ip = a->ip;
	req.n_san_ip = a->n_ip;
	if ((e = egca_ca_issue(&env->ctx, is, &req, &res)) != EGCA_OK)
		goto out;
	fprintf(stderr, "issued serial %s\n", res.serial);
	rc = a->der
	    ? cli_fail(cli_write_out(a->out, res.der, res.der_len, 0644))
	    : 0;
	if (!a->der) {
		struct egca_buf b;
		egca_buf_init(&b, 0);
		if ((e = egca_pki_pem_encode(
		         res.der, res.der_len, "CERTIFICATE", &b)) == EGCA_OK)
			e = cli_write_out(a->out, b.data, b.len, 0644);
		egca_buf_free(&b);
		rc = cli_fail(e);
	}
	free(res.der);
	egca_ca_issuer_free(is);
	egca_pki_csr_free(csr);
	free(data);
	return rc;
out:
	/*
	 * A refused request changes nothing, but the refusal of a request
	 * that reached the CA (a readable CSR) is audited.
	 */
	if (csr != NULL && e != EGCA_ERR_STORE) {
		char *details = NULL;
		json_t *j = json_pack("{s:s, s:s, s:s}", "profile", a->profile,
		    "error", egca_err_name(e), "detail", egca_err_detail());
		if (j != NULL) {
			details = json_dumps(j, JSON_COMPACT);
			json_decref(j);
		}
		enum egca_err saved = e;
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", egca_err_detail());
		ev = (struct egca_audit_event){env->actor, "cert.issue",
		    "cert/refused", "failure", details};
		if (egca_audit_record(env->st, &ev) != EGCA_OK)
			fprintf(stderr,
			    "egca: warning: the refusal was not audited\n");
		free(details);
		egca_err_set(saved, "%s", msg);
	}
	egca_ca_issuer_free(is);
	egca_pki_csr_free(csr);
	free(data);
	return cli_fail(e);
}

static json_t *
rec_json(const struct egca_cert_rec *r)
{
	char nb[32], na[32], ra[32], iv[32];
	json_t *j;

	cli_format_time(r->not_before, nb);
	cli_format_time(r->not_after, na);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ca", r->ca,
	    "serial", r->serial, "status", r->status, "subject", r->subject,
	    "profile", r->profile, "not_before", nb, "not_after", na,
	    "audience", r->audience);
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "key_alg", json_string(r->key_alg));
	if (strcmp(r->status, "good") != 0) {
		cli_format_time(r->revoked_at, ra);
		json_object_set_new(
		    j, "reason", json_string(egca_ca_reason_name(r->reason)));
		json_object_set_new(j, "revoked_at", json_string(ra));
		if (r->invalidity_date != 0) {
			cli_format_time(r->invalidity_date, iv);
			json_object_set_new(
			    j, "invalidity_date", json_string(iv));
		}
	}
	if (r->tbs_sm3 != NULL)
		json_object_set_new(j, "tbs_sm3", json_string(r->tbs_sm3));
	return j;
}

static int
cert_show(struct cli_env *env, struct args *a, const char *serial_in)
{
	struct egca_cert_rec rec;
	struct egca_ca_rec ca;
	char serial[41];
	json_t *j;
	const char *k;
	json_t *v;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	memset(&ca, 0, sizeof(ca));
	if ((e = cli_serial(serial_in, serial)) != EGCA_OK)
		return cli_fail(e);
	if ((e = egca_ca_get(&env->ctx, a->ca, &ca)) != EGCA_OK)
		return cli_fail(e);
	e = egca_store_cert_get(env->st, ca.name, serial, &rec);
	egca_store_ca_rec_free(&ca);
	if (e != EGCA_OK)
		return cli_fail(e);
	if (a->pem || a->der) {
		struct egca_buf b;
		egca_buf_init(&b, 0);
		if (a->der)
			e = cli_write_out(a->out, rec.der, rec.der_len, 0644);
		else if ((e = egca_pki_pem_encode(rec.der, rec.der_len,
		              "CERTIFICATE", &b)) == EGCA_OK)
			e = cli_write_out(a->out, b.data, b.len, 0644);
		egca_buf_free(&b);
		egca_store_cert_rec_free(&rec);
		return cli_fail(e);
	}
	j = rec_json(&rec);
	egca_store_cert_rec_free(&rec);
	if (a->json)
		return cli_print_json(j);
	json_object_foreach(j, k, v)
	    printf("%-16s %s\n", k, json_string_value(v));
	json_decref(j);
	return 0;
}

static int
cert_list(struct cli_env *env, struct args *a)
{
	struct egca_cert_filter f;
	struct egca_cert_rec *list = NULL;
	size_t n = 0, total = 0, i;
	json_t *arr, *o;
	enum egca_err e;

	memset(&f, 0, sizeof(f));
	f.ca = a->ca;
	f.status = a->status;
	f.profile = a->profile;
	f.subject_like = a->subject_like;
	f.expires_before = a->expires_before;
	f.expires_after = a->expires_after;
	f.offset = (size_t)a->offset;
	f.limit = (size_t)a->limit;
	if (a->status && strcmp(a->status, "good") != 0 &&
	    strcmp(a->status, "revoked") != 0 && strcmp(a->status, "hold") != 0)
		return cli_usage_error(
		    "cert", "--status must be good, revoked or hold");
	if ((e = egca_store_cert_list(env->st, &f, &list, &n, &total)) !=
	    EGCA_OK)
		return cli_fail(e);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, rec_json(&list[i]));
	egca_store_cert_list_free(list, n);
	if (a->json) {
		o = json_pack("{s:I, s:I, s:I, s:o}", "total",
		    (json_int_t)total, "offset", (json_int_t)a->offset, "limit",
		    (json_int_t)(a->limit ? a->limit : 100), "certificates",
		    arr);
		return cli_print_json(o);
	}
	printf("%-34s %-8s %-16s %-20s %s\n", "SERIAL", "STATUS", "PROFILE",
	    "NOT AFTER", "SUBJECT");
	for (i = 0; i < json_array_size(arr); i++) {
		o = json_array_get(arr, i);
		printf("%-34s %-8s %-16s %-20s %s\n",
		    json_string_value(json_object_get(o, "serial")),
		    json_string_value(json_object_get(o, "status")),
		    json_string_value(json_object_get(o, "profile")),
		    json_string_value(json_object_get(o, "not_after")),
		    json_string_value(json_object_get(o, "subject")));
	}
	printf("(%zu of %zu)\n", json_array_size(arr), total);
	json_decref(arr);
	return 0;
}

static int
cert_status(struct cli_env *env, struct args *a, const char *verb,
    const char *serial_in)
{
	enum egca_status_action act;
	char serial[41];
	int reason = 0;
	enum egca_err e;

	if ((e = cli_serial(serial_in, serial)) != EGCA_OK)
		return cli_fail(e);
	if (strcmp(verb, "revoke") == 0) {
		act = EGCA_ACTION_REVOKE;
		if (a->reason != NULL &&
		    (e = egca_ca_reason_parse(a->reason, &reason)) != EGCA_OK)
			return cli_fail(e);
	} else if (strcmp(verb, "hold") == 0)
		act = EGCA_ACTION_HOLD;
	else
		act = EGCA_ACTION_UNHOLD;
	if ((e = egca_ca_cert_set_status(&env->ctx, a->ca, serial, act, reason,
	         a->invalidity)) != EGCA_OK)
		return cli_fail(e);
	printf("certificate %s: %s\n", serial,
	    act == EGCA_ACTION_REVOKE     ? "revoked"
	        : act == EGCA_ACTION_HOLD ? "on hold"
	                                  : "released from hold");
	return 0;
}

int
cmd_cert(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"ca", required_argument, NULL, 'c'},
	    {"csr", required_argument, NULL, 'r'},
	    {"profile", required_argument, NULL, 'P'},
	    {"subject", required_argument, NULL, 's'},
	    {"days", required_argument, NULL, 'n'},
	    {"out", required_argument, NULL, 'o'},
	    {"der", no_argument, NULL, 'D'},
	    {"pem", no_argument, NULL, 'E'},
	    {"json", no_argument, NULL, 'j'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"id-card", required_argument, NULL, 1},
	    {"passport", required_argument, NULL, 2},
	    {"military", required_argument, NULL, 3},
	    {"insurance", required_argument, NULL, 4},
	    {"ic-registration", required_argument, NULL, 5},
	    {"org-code", required_argument, NULL, 6},
	    {"tax-number", required_argument, NULL, 7},
	    {"uscc", required_argument, NULL, 8},
	    {"dns", required_argument, NULL, 9},
	    {"email", required_argument, NULL, 10},
	    {"ip", required_argument, NULL, 11},
	    {"region", required_argument, NULL, 12},
	    {"status", required_argument, NULL, 'S'},
	    {"expires-before", required_argument, NULL, 'B'},
	    {"expires-after", required_argument, NULL, 'A'},
	    {"limit", required_argument, NULL, 'l'},
	    {"offset", required_argument, NULL, 'O'},
	    {"reason", required_argument, NULL, 'R'},
	    {"invalidity-date", required_argument, NULL, 'I'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct args a;
	struct cli_env env;
	const char *verb;
	int c, rc = 0, want_serial;
	enum egca_err e = EGCA_OK;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	rc = 0;
	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a.dir = optarg;
			break;
		case 'c':
			a.ca = optarg;
			break;
		case 'r':
			a.csr = optarg;
			break;
		case 'P':
			a.profile = optarg;
			break;
		case 's':
			a.subject = optarg;
			break;
		case 'n':
			e = cli_parse_int("--days", optarg, 1, 100000, &a.days);
			break;
		case 'o':
			a.out = optarg;
			break;
		case 'D':
			a.der = 1;
			break;
		case 'E':
			a.pem = 1;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'p':
			a.passfile = optarg;
			break;
		case 1:
			a.id.id_card = optarg;
			break;
		case 2:
			a.id.passport = optarg;
			break;
		case 3:
			a.id.military = optarg;
			break;
		case 4:
			a.id.insurance = optarg;
			break;
		case 5:
			a.id.ic_registration = optarg;
			break;
		case 6:
			a.id.org_code = optarg;
			break;
		case 7:
			a.id.tax_number = optarg;
			break;
		case 8:
			a.id.uscc = optarg;
			break;
		case 9:
			rc = add_san(a.dns, &a.n_dns, optarg);
			break;
		case 10:
			rc = add_san(a.email, &a.n_email, optarg);
			break;
		case 11:
			rc = add_san(a.ip, &a.n_ip, optarg);
			break;
		case 12:
			a.region = optarg;
			break;
		case 'S':
			a.status = optarg;
			break;
		case 'B':
			e = cli_parse_time(optarg, &a.expires_before);
			break;
		case 'A':
			e = cli_parse_time(optarg, &a.expires_after);
			break;
		case 'l':
			e = cli_parse_int(
			    "--limit", optarg, 1, 10000, &a.limit);
			break;
		case 'O':
			e = cli_parse_int(
			    "--offset", optarg, 0, 2000000000, &a.offset);
			break;
		case 'R':
			a.reason = optarg;
			break;
		case 'I':
			e = cli_parse_time(optarg, &a.invalidity);
			break;
		default:
			return cli_usage_error("cert", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
		if (rc != 0)
			return rc;
	}
	if (strcmp(verb, "list") == 0)
		a.subject_like = a.subject;
	want_serial = strcmp(verb, "show") == 0 ||
	    strcmp(verb, "revoke") == 0 || strcmp(verb, "hold") == 0 ||
	    strcmp(verb, "unhold") == 0;
	if (want_serial && optind + 1 != argc)
		return cli_usage_error("cert", "%s takes one SERIAL", verb);
	if (!want_serial && optind != argc)
		return cli_usage_error(
		    "cert", "unexpected argument '%s'", argv[optind]);
	if (!want_serial && strcmp(verb, "issue") != 0 &&
	    strcmp(verb, "list") != 0)
		return cli_usage_error("cert", "unknown verb '%s'", verb);
	if ((e = cli_open(cli_dir(a.dir), 0, &env)) != EGCA_OK)
		return cli_fail(e);
	if (strcmp(verb, "issue") == 0)
		rc = cert_issue(&env, &a);
	else if (strcmp(verb, "list") == 0)
		rc = cert_list(&env, &a);
	else if (strcmp(verb, "show") == 0)
		rc = cert_show(&env, &a, argv[optind]);
	else
		rc = cert_status(&env, &a, verb, argv[optind]);
	cli_close(&env);
	return rc;
}
