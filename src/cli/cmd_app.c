/*
 * egca app: applications (申请) of every lifecycle kind, their proof
 * materials, and the reviewers' decisions. An approval names the digest
 * the reviewer saw (`egca app show`), so what is approved is exactly
 * what was reviewed; the approval that reaches the required number
 * executes the application through the CA at once, which needs the CA
 * key here (its passphrase, as for `egca cert issue`).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cli/cli.h"
#include "cli/cli_km.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"

static const char help[] =
    "usage: egca app <verb> [--dir DIR] [authentication] [options]\n"
    "\n"
    "verbs:\n"
    "  submit --kind KIND --subscriber ID [options]   (ra-operator,\n"
    "        applicant) prints the application id and its digest\n"
    "  list [--state S] [--kind K] [--subscriber ID] [--limit N]\n"
    "       [--offset N] [--json]\n"
    "  show ID [--json]  the application with its digest\n"
    "  material add ID --type TYPE --file FILE [--media TYPE]\n"
    "        attach a proof document (PDF, JPEG, PNG; at most 4 MiB, 16\n"
    "        per application); changes the digest\n"
    "  material list ID [--json]\n"
    "  material get ID MID [--out FILE]   the document, digest checked\n"
    "  approve ID --digest D [--passphrase-file FILE] [--out FILE]\n"
    "        (ra-reviewer) approve what `app show` showed; the approval\n"
    "        that reaches the required number executes the application\n"
    "  reject ID --digest D --reason TEXT               (ra-reviewer)\n"
    "  execute ID [--passphrase-file FILE] [--out FILE]\n"
    "        retry the execution of an approved or failed application\n"
    "  envelope ID [--format der|skf] --out FILE\n"
    "        the encryption private key of a dual issuance or recovery,\n"
    "        enveloped to the holder's signing key (GM/T 0009 DER, or\n"
    "        the GM/T 0016 SKF blob); kept 30 days\n"
    "\n"
    "KIND: new, update (re-key), extend (same key, new validity),\n"
    "recover (key recovery), hold (冻结), unhold (解冻), revoke.\n"
    "STATE: submitted, approved, rejected, executed, failed.\n"
    "Material TYPE: id-card, business-licence, authorisation,\n"
    "application-form, other. Media: application/pdf, image/jpeg,\n"
    "image/png (default: from the file name's extension).\n"
    "\n"
    "submit options:\n"
    "  --kind KIND             what is applied for\n"
    "  --subscriber ID         the subscriber (in the caller's scope)\n"
    "  --ca NAME               the CA (default: the default CA)\n"
    "  --profile NAME          new, update: the certificate profile\n"
    "  --enc-profile NAME      new: also an encryption certificate (KM)\n"
    "  --csr FILE              PKCS#10 request, PEM or DER (new, update,\n"
    "                          extend, recover)\n"
    "  --subject DN            instead of the CSR's subject\n"
    "  --serial SERIAL         the certificate acted on (update, extend,\n"
    "                          recover, hold, unhold, revoke)\n"
    "  --reason REASON         revoke: RFC 5280 reason name\n"
    "  --validity-days N       default: the profile's\n"
    "  --note TEXT             for the reviewers\n"
    "  --idempotency-key KEY   makes a retried submit safe\n"
    "\n"
    "execution options (approve, execute):\n"
    "  --passphrase-file FILE  the CA key passphrase (default: prompt)\n"
    "  --out FILE              write the issued certificate (PEM)\n"
    "  --enc-out FILE          dual: write the encryption certificate\n"
    "  --envelope-out FILE     dual, recover: write the envelope (DER)\n"
    "  --km-share FILE         in-process KM (egca.conf \"km\": {\"dir\"}):\n"
    "                          a custodian share (repeatable, M of them)\n"
    "  --km-passphrase-file F  that KM's key passphrase\n"
    "\n"
    "options:\n"
    "  --dir DIR               data directory\n"
    "  --json                  JSON output\n"
    "  -h, --help              this help\n" CLI_AUTH_OPTS_HELP "\n"
    "examples:\n"
    "  egca app submit --token-file op.tok --kind new --subscriber ID \\\n"
    "      --profile sm2-sign --csr req.pem\n"
    "  egca app show APP --token-file rev.tok\n"
    "  egca app approve APP --digest DIGEST --token-file rev.tok \\\n"
    "      --passphrase-file ca.pass --out cert.pem\n";

struct args {
	const char *dir, *csr, *serial, *state, *digest, *reason, *type;
	const char *file, *media, *out, *passfile, *idem;
	const char *enc_out, *env_out, *format;
	struct cli_km km;
	struct egca_app_new n;
	int json, limit, offset;
};

/* ---- An open CA for execution (also used by egca loss) ---- */

static struct egca_issuer *
ra_issuer(void *arg, const char *ca)
{
	struct cli_ra_ca *c = arg;

	if (c->is == NULL)
		return NULL;
	if (ca != NULL && ca[0] != '\0' &&
	    strcmp(ca, egca_ca_issuer_name(c->is)) != 0)
		return NULL;
	return c->is;
}

void
cli_ra_ca_init(struct cli_ra_ca *out)
{
	memset(out, 0, sizeof(*out));
	out->env.issuer = ra_issuer;
	out->env.arg = out;
}

enum egca_err
cli_ra_ca_open(struct cli_env *env, const char *ca, const char *passfile,
    struct cli_ra_ca *out)
{
	char *pass = NULL;
	size_t pass_len = 0;
	enum egca_err e;

	cli_ra_ca_init(out);
	if ((e = egca_crypto_passphrase_read(passfile, 0, &pass, &pass_len)) !=
	    EGCA_OK)
		return e;
	e = egca_ca_issuer_open(&env->ctx, ca, pass, pass_len, &out->is);
	egca_crypto_passphrase_free(pass, pass_len);
	return e;
}

void
cli_ra_ca_close(struct cli_ra_ca *c)
{
	egca_ca_issuer_free(c->is);
	memset(c, 0, sizeof(*c));
}

/* ---- Rendering ---- */

static json_t *
app_json(const struct egca_app_rec *r)
{
	char csr_sm3[65] = "";
	uint8_t md[32];
	json_t *j;

	if (r->csr_der != NULL &&
	    egca_crypto_sm3(r->csr_der, r->csr_len, md) == EGCA_OK)
		egca_hex_encode(md, sizeof(md), csr_sm3);
	j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", r->id, "kind", r->kind, "state", r->state, "subscriber",
	    r->subscriber, "region", cli_json_str(r->region), "point",
	    cli_json_str(r->point), "ca", cli_json_str(r->ca), "profile",
	    cli_json_str(r->profile), "enc_profile",
	    cli_json_str(r->enc_profile), "subject", cli_json_str(r->subject));
	if (j == NULL)
		return NULL;
	json_object_set_new(
	    j, "csr_sm3", csr_sm3[0] ? json_string(csr_sm3) : json_null());
	json_object_set_new(j, "serial", cli_json_str(r->serial));
	json_object_set_new(j, "reason", cli_json_str(r->reason));
	json_object_set_new(j, "validity_days", json_integer(r->validity_days));
	json_object_set_new(j, "note", cli_json_str(r->note));
	json_object_set_new(j, "submitted_by", cli_json_str(r->submitted_by));
	json_object_set_new(j, "submitted_at", cli_json_time(r->submitted_at));
	json_object_set_new(j, "digest", cli_json_str(r->digest));
	json_object_set_new(j, "approvals", json_integer(r->approvals));
	json_object_set_new(
	    j, "required_approvals", json_integer(r->required_approvals));
	json_object_set_new(j, "decided_by", cli_json_str(r->decided_by));
	json_object_set_new(j, "reject_reason", cli_json_str(r->reject_reason));
	json_object_set_new(j, "result_serial", cli_json_str(r->result_serial));
	json_object_set_new(j, "result_error", cli_json_str(r->result_error));
	json_object_set_new(j, "updated_at", cli_json_time(r->updated_at));
	return j;
}

static json_t *
material_json(const struct egca_material_rec *m)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:o, s:o}", "id",
	    m->id, "app", m->app, "type", m->type, "media", m->media,
	    "filename", cli_json_str(m->filename), "sm3", m->sm3, "size",
	    (json_int_t)m->size, "added_by", cli_json_str(m->added_by),
	    "added_at", cli_json_time(m->added_at));
}

/* ---- Verbs ---- */

static enum egca_err
read_csr(const char *path, struct egca_der_list *l)
{
	uint8_t *data = NULL;
	size_t len;
	enum egca_err e;

	if ((e = egca_file_read(path, 64 * 1024, &data, &len)) != EGCA_OK)
		return e;
	e = egca_pki_pem_decode(data, len, "CERTIFICATE REQUEST", l);
	free(data);
	if (e == EGCA_OK && l->n != 1)
		e = egca_err_set(EGCA_ERR_INPUT,
		    "--csr %s: expected one certificate request, found %zu",
		    path, l->n);
	return e;
}

static int
app_submit(struct cli_env *env, struct cli_auth *au, struct args *a)
{
	struct egca_der_list csr = {NULL, NULL, 0};
	struct egca_app_rec rec;
	char serial[41], id[33], why[512];
	int rc;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	if (a->csr != NULL) {
		if ((e = read_csr(a->csr, &csr)) != EGCA_OK)
			goto out;
		a->n.csr_der = csr.der[0];
		a->n.csr_len = csr.len[0];
	}
	if (a->serial != NULL) {
		if ((e = egca_ca_serial_parse(a->serial, serial)) != EGCA_OK) {
			snprintf(why, sizeof(why), "%s", egca_err_detail());
			e = egca_err_set(e, "--serial: %s", why);
			goto out;
		}
		a->n.serial = serial;
	}
	if ((e = egca_ra_app_submit(&env->ctx, &au->p, &a->n, a->idem, id)) !=
	    EGCA_OK)
		goto out;
	if ((e = egca_ra_app_get(&env->ctx, &au->p, id, &rec)) != EGCA_OK)
		goto out;
	if (a->json)
		rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:i}", "id",
		    rec.id, "state", rec.state, "digest", rec.digest,
		    "required_approvals", rec.required_approvals));
	else {
		printf("id      %s\ndigest  %s\n", rec.id, rec.digest);
		rc = 0;
	}
	egca_ra_app_rec_free(&rec);
	egca_der_list_free(&csr);
	return rc;
out:
	egca_der_list_free(&csr);
	return cli_fail(e);
}

static int
app_list(struct cli_env *env, struct cli_auth *au, const struct args *a)
{
	struct egca_app_filter f;
	struct egca_app_rec *l = NULL;
	size_t n = 0, i;
	json_t *arr;
	char ts[32];
	enum egca_err e;

	memset(&f, 0, sizeof(f));
	f.state = a->state;
	f.kind = a->n.kind;
	f.subscriber = a->n.subscriber;
	f.limit = a->limit ? (size_t)a->limit : 100;
	f.offset = (size_t)a->offset;
	if ((e = egca_ra_app_list(&env->ctx, &au->p, &f, &l, &n)) != EGCA_OK)
		return cli_fail(e);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, app_json(&l[i]));
		egca_ra_app_list_free(l, n);
		return cli_print_json(
		    json_pack("{s:I, s:I, s:o}", "offset", (json_int_t)f.offset,
		        "limit", (json_int_t)f.limit, "applications", arr));
	}
	printf("%-32s %-8s %-10s %-9s %-20s %s\n", "ID", "KIND", "STATE",
	    "APPROVALS", "SUBMITTED", "SUBSCRIBER");
	for (i = 0; i < n; i++) {
		char ap[24];
		cli_format_time(l[i].submitted_at, ts);
		snprintf(ap, sizeof(ap), "%d/%d", l[i].approvals,
		    l[i].required_approvals);
		printf("%-32s %-8s %-10s %-9s %-20s %s\n", l[i].id, l[i].kind,
		    l[i].state, ap, ts, l[i].subscriber);
	}
	printf("(%zu applications)\n", n);
	egca_ra_app_list_free(l, n);
	return 0;
}

static int
app_show(struct cli_env *env, struct cli_auth *au, const struct args *a,
    const char *id)
{
	struct egca_app_rec r;
	json_t *j;
	enum egca_err e;

	memset(&r, 0, sizeof(r));
	if ((e = egca_ra_app_get(&env->ctx, &au->p, id, &r)) != EGCA_OK)
		return cli_fail(e);
	j = app_json(&r);
	egca_ra_app_rec_free(&r);
	return a->json ? cli_print_json(j) : cli_print_kv(j);
}

/* The media type from a file name's extension, or NULL. */
static const char *
media_of(const char *path)
{
	static const struct {
		const char *ext, *media;
	} map[] = {
	    {".pdf", "application/pdf"},
	    {".jpg", "image/jpeg"},
	    {".jpeg", "image/jpeg"},
	    {".png", "image/png"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot == NULL)
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(dot, map[i].ext) == 0)
			return map[i].media;
	return NULL;
}

static int
material(struct cli_env *env, struct cli_auth *au, const struct args *a,
    const char *sub, const char *app, const char *mid)
{
	struct egca_material_rec *l = NULL, meta;
	uint8_t *data = NULL;
	size_t len = 0, n = 0, i;
	const char *media, *base;
	char id[33];
	json_t *arr;
	enum egca_err e;

	if (strcmp(sub, "add") == 0) {
		media = a->media != NULL ? a->media : media_of(a->file);
		if (media == NULL)
			return cli_usage_error("app",
			    "%s: cannot tell the media type from the name; "
			    "give --media",
			    a->file);
		base =
		    strrchr(a->file, '/') ? strrchr(a->file, '/') + 1 : a->file;
		if ((e = egca_file_read(a->file, EGCA_RA_MATERIAL_MAX, &data,
		         &len)) != EGCA_OK)
			return cli_fail(e);
		e = egca_ra_material_add(&env->ctx, &au->p, app, a->type, media,
		    base, data, len, id);
		free(data);
		if (e != EGCA_OK)
			return cli_fail(e);
		if (a->json)
			return cli_print_json(json_pack("{s:s}", "id", id));
		printf("%s\n", id);
		return 0;
	}
	if (strcmp(sub, "get") == 0) {
		memset(&meta, 0, sizeof(meta));
		if ((e = egca_ra_material_get(&env->ctx, &au->p, app, mid,
		         &meta, &data, &len)) != EGCA_OK)
			return cli_fail(e);
		e = cli_write_out(a->out, data, len, 0600);
		free(data);
		egca_store_ra_material_clear(&meta);
		return cli_fail(e);
	}
	/* list */
	if ((e = egca_ra_material_list(&env->ctx, &au->p, app, &l, &n)) !=
	    EGCA_OK)
		return cli_fail(e);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, material_json(&l[i]));
	if (a->json) {
		egca_ra_material_list_free(l, n);
		return cli_print_json(json_pack("{s:o}", "materials", arr));
	}
	printf("%-32s %-18s %-16s %9s %s\n", "ID", "TYPE", "MEDIA", "SIZE",
	    "FILE");
	for (i = 0; i < n; i++)
		printf("%-32s %-18s %-16s %9zu %s\n", l[i].id, l[i].type,
		    l[i].media, l[i].size, l[i].filename ? l[i].filename : "-");
	printf("(%zu materials)\n", n);
	egca_ra_material_list_free(l, n);
	json_decref(arr);
	return 0;
}

/* Base64 of a small binary as a JSON string. */
static json_t *
b64(const uint8_t *b, size_t len)
{
	char *t;
	json_t *j;
	int n;

	if (len > 65536 || (t = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return json_null();
	n = EVP_EncodeBlock((unsigned char *)t, b, (int)len);
	j = json_stringn(t, (size_t)n);
	free(t);
	return j;
}

/* Prints what an execution produced; writes the certificate (--out). */
static int
print_result(const struct args *a, const char *id, struct egca_app_rec *r,
    struct egca_app_result *res)
{
	struct egca_buf pem, enc_pem;
	json_t *j;
	enum egca_err e = EGCA_OK;

	egca_buf_init(&pem, 0);
	egca_buf_init(&enc_pem, 0);
	if (res->der != NULL &&
	    (e = egca_pki_pem_encode(
	         res->der, res->der_len, "CERTIFICATE", &pem)) != EGCA_OK)
		goto out;
	if (a->out != NULL && res->der != NULL &&
	    (e = cli_write_out(a->out, pem.data, pem.len, 0644)) != EGCA_OK)
		goto out;
	if (res->enc_der != NULL &&
	    (e = egca_pki_pem_encode(res->enc_der, res->enc_der_len,
	         "CERTIFICATE", &enc_pem)) != EGCA_OK)
		goto out;
	if (a->enc_out != NULL && res->enc_der != NULL &&
	    (e = cli_write_out(a->enc_out, enc_pem.data, enc_pem.len, 0644)) !=
	        EGCA_OK)
		goto out;
	if (a->env_out != NULL && res->envelope != NULL &&
	    (e = cli_write_out(a->env_out, res->envelope, res->envelope_len,
	         0600)) != EGCA_OK)
		goto out;
	if (a->json) {
		j = json_pack("{s:s, s:s, s:i, s:i}", "id", id, "state",
		    r->state, "approvals", r->approvals, "required_approvals",
		    r->required_approvals);
		if (res->serial[0])
			json_object_set_new(
			    j, "serial", json_string(res->serial));
		if (res->revocation_code[0])
			json_object_set_new(j, "revocation_code",
			    json_string(res->revocation_code));
		if (res->der != NULL)
			json_object_set_new(j, "certificate",
			    json_stringn((const char *)pem.data, pem.len));
		if (res->enc_serial[0])
			json_object_set_new(
			    j, "enc_serial", json_string(res->enc_serial));
		if (res->enc_der != NULL)
			json_object_set_new(j, "encryption_certificate",
			    json_stringn(
			        (const char *)enc_pem.data, enc_pem.len));
		if (res->envelope != NULL)
			json_object_set_new(j, "envelope",
			    b64(res->envelope, res->envelope_len));
		if (res->skf != NULL)
			json_object_set_new(
			    j, "envelope_skf", b64(res->skf, res->skf_len));
		if (res->superseded[0])
			json_object_set_new(
			    j, "superseded", json_string(res->superseded));
		cli_print_json(j);
	} else {
		printf("application %s: %s (%d of %d approvals)\n", id,
		    r->state, r->approvals, r->required_approvals);
		if (res->serial[0])
			printf("certificate serial %s\n", res->serial);
		if (res->revocation_code[0])
			printf("revocation code for the holder's loss report "
			       "(shown once): %s\n",
			    res->revocation_code);
		if (r->result_error != NULL)
			printf("execution failed: %s\n", r->result_error);
		if (a->out != NULL && res->der != NULL)
			printf("certificate written to %s\n", a->out);
		if (res->enc_serial[0])
			printf("encryption certificate serial %s\n",
			    res->enc_serial);
		if (a->enc_out != NULL && res->enc_der != NULL)
			printf("encryption certificate written to %s\n",
			    a->enc_out);
		if (res->superseded[0])
			printf("superseded: certificate %s revoked\n",
			    res->superseded);
		if (res->envelope != NULL)
			printf("envelope (GM/T 0009) %s\n",
			    a->env_out != NULL
			        ? a->env_out
			        : "kept 30 days: egca app envelope ID --out F");
	}
out:
	egca_buf_free(&enc_pem);
	egca_buf_free(&pem);
	return cli_fail(e);
}

static int
decide(struct cli_env *env, struct cli_auth *au, const struct args *a,
    const char *verb, const char *id)
{
	struct cli_km km = a->km;
	struct egca_app_rec rec;
	struct egca_app_result res;
	struct cli_ra_ca ca;
	int rc, may_execute = 1;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	memset(&res, 0, sizeof(res));
	cli_ra_ca_init(&ca);
	if (strcmp(verb, "reject") == 0) {
		if ((e = egca_ra_app_reject(&env->ctx, &au->p, id, a->digest,
		         a->reason)) != EGCA_OK)
			return cli_fail(e);
		printf("application %s rejected\n", id);
		return 0;
	}
	if ((e = egca_ra_app_get(&env->ctx, &au->p, id, &rec)) != EGCA_OK)
		return cli_fail(e);
	/*
	 * The CA key is needed only by the approval that executes, and by
	 * a status change (hold, unhold, revoke) only to re-sign the OCSP
	 * answer now: without it the answer is marked stale and egca
	 * serve re-signs it.
	 */
	if (strcmp(verb, "approve") == 0 &&
	    rec.approvals + 1 < rec.required_approvals)
		may_execute = 0;
	if (a->passfile == NULL &&
	    (strcmp(rec.kind, "hold") == 0 || strcmp(rec.kind, "unhold") == 0 ||
	        strcmp(rec.kind, "revoke") == 0))
		may_execute = 0;
	if (may_execute &&
	    (e = cli_ra_ca_open(env, rec.ca, a->passfile, &ca)) != EGCA_OK)
		goto out;
	/* The KM, for what needs it (dual, recover, revoke). */
	if (may_execute &&
	    (strcmp(rec.kind, "recover") == 0 ||
	        strcmp(rec.kind, "revoke") == 0 ||
	        (strcmp(rec.kind, "new") == 0 && rec.enc_profile != NULL))) {
		if ((e = cli_km_open(&km, env->cfg, 1)) != EGCA_OK)
			goto out;
		ca.env.km = km.client;
	}
	egca_ra_app_rec_free(&rec);
	memset(&rec, 0, sizeof(rec));
	if (strcmp(verb, "approve") == 0)
		e = egca_ra_app_approve(
		    &env->ctx, &au->p, &ca.env, id, a->digest, &res);
	else
		e = egca_ra_app_execute(&env->ctx, &au->p, &ca.env, id, &res);
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_ra_app_get(&env->ctx, &au->p, id, &rec)) != EGCA_OK)
		goto out;
	rc = print_result(a, id, &rec, &res);
	OPENSSL_cleanse(res.revocation_code, sizeof(res.revocation_code));
	egca_ra_app_result_free(&res);
	egca_ra_app_rec_free(&rec);
	cli_ra_ca_close(&ca);
	cli_km_close(&km);
	return rc;
out:
	rc = cli_fail(e);
	egca_ra_app_result_free(&res);
	egca_ra_app_rec_free(&rec);
	cli_ra_ca_close(&ca);
	cli_km_close(&km);
	return rc;
}

static const struct cli_verb_row verbs[] = {
    {"submit", "app_submit", 0},
    {"list", "app_list", 0},
    {"show", "app_get", 1},
    {"material add", "material_add", 1},
    {"material list", "material_list", 1},
    {"material get", "material_get", 2},
    {"approve", "app_approve", 1},
    {"reject", "app_reject", 1},
    {"execute", "app_execute", 1},
    {"envelope", "app_envelope", 1},
};
static const struct cli_verbs app_verbs = {"app", verbs,
    sizeof(verbs) / sizeof(verbs[0]), "material", "add, list or get"};

/* egca app envelope ID [--format der|skf] --out FILE */
static int
app_envelope(struct cli_env *env, struct cli_auth *au, const struct args *a,
    const char *id)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char enc_serial[41];
	int skf = a->format != NULL && strcmp(a->format, "skf") == 0;
	enum egca_err e;

	if ((e = egca_ra_app_envelope(&env->ctx, &au->p, id, skf, &data, &len,
	         enc_serial)) == EGCA_OK)
		e = cli_write_out(a->out, data, len, 0600);
	free(data);
	if (e != EGCA_OK)
		return cli_fail(e);
	printf("envelope (%s) of encryption certificate %s written to %s\n",
	    skf ? "GM/T 0016 SKF" : "GM/T 0009 DER", enc_serial, a->out);
	return 0;
}

static int
check_args(const char *full, const struct args *a)
{
	if (strcmp(full, "submit") == 0 &&
	    (a->n.kind == NULL || a->n.subscriber == NULL))
		return cli_usage_error(
		    "app", "submit needs --kind KIND and --subscriber ID");
	if (strcmp(full, "material add") == 0 &&
	    (a->type == NULL || a->file == NULL))
		return cli_usage_error(
		    "app", "material add needs --type TYPE and --file FILE");
	if ((strcmp(full, "approve") == 0 || strcmp(full, "reject") == 0) &&
	    a->digest == NULL)
		return cli_usage_error("app",
		    "%s needs --digest D (the digest `egca app show` "
		    "printed)",
		    full);
	if (strcmp(full, "reject") == 0 && a->reason == NULL)
		return cli_usage_error("app", "reject needs --reason TEXT");
	if (strcmp(full, "envelope") == 0 && a->out == NULL)
		return cli_usage_error("app", "envelope needs --out FILE");
	if (a->format != NULL &&
	    (strcmp(full, "envelope") != 0 ||
	        (strcmp(a->format, "der") != 0 &&
	            strcmp(a->format, "skf") != 0)))
		return cli_usage_error(
		    "app", "--format der|skf goes with envelope");
	return 0;
}

int
cmd_app(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"kind", required_argument, NULL, 'k'},
	    {"subscriber", required_argument, NULL, 's'},
	    {"ca", required_argument, NULL, 'c'},
	    {"profile", required_argument, NULL, 'P'},
	    {"enc-profile", required_argument, NULL, 'E'},
	    {"csr", required_argument, NULL, 'r'},
	    {"subject", required_argument, NULL, 'S'},
	    {"serial", required_argument, NULL, 'n'},
	    {"reason", required_argument, NULL, 'R'},
	    {"validity-days", required_argument, NULL, 'V'},
	    {"note", required_argument, NULL, 'N'},
	    {"idempotency-key", required_argument, NULL, 'K'},
	    {"state", required_argument, NULL, 't'},
	    {"limit", required_argument, NULL, 'l'},
	    {"offset", required_argument, NULL, 'O'},
	    {"type", required_argument, NULL, 'T'},
	    {"file", required_argument, NULL, 'f'},
	    {"media", required_argument, NULL, 'm'},
	    {"out", required_argument, NULL, 'o'},
	    {"digest", required_argument, NULL, 'D'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"enc-out", required_argument, NULL, 0x301},
	    {"envelope-out", required_argument, NULL, 0x302},
	    {"format", required_argument, NULL, 0x303},
	    {"km-share", required_argument, NULL, 0x304},
	    {"km-passphrase-file", required_argument, NULL, 0x305},
	    {"help", no_argument, NULL, 'h'},
	    CLI_AUTH_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct args a;
	struct cli_auth au;
	struct cli_env env;
	const struct cli_verb_row *v;
	const char *verb;
	char full[64];
	int c, rc, pos;
	enum egca_err e = EGCA_OK;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	memset(&a, 0, sizeof(a));
	memset(&au, 0, sizeof(au));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			a.n.kind = optarg;
			break;
		case 's':
			a.n.subscriber = optarg;
			break;
		case 'c':
			a.n.ca = optarg;
			break;
		case 'P':
			a.n.profile = optarg;
			break;
		case 'E':
			a.n.enc_profile = optarg;
			break;
		case 'r':
			a.csr = optarg;
			break;
		case 'S':
			a.n.subject = optarg;
			break;
		case 'n':
			a.serial = optarg;
			break;
		case 'R':
			a.reason = optarg;
			a.n.reason = optarg;
			break;
		case 'V':
			e = cli_parse_int("--validity-days", optarg, 1, 100000,
			    &a.n.validity_days);
			break;
		case 'N':
			a.n.note = optarg;
			break;
		case 'K':
			a.idem = optarg;
			break;
		case 't':
			a.state = optarg;
			break;
		case 'l':
			e = cli_parse_int("--limit", optarg, 1, 1000, &a.limit);
			break;
		case 'O':
			e = cli_parse_int(
			    "--offset", optarg, 0, 2000000000, &a.offset);
			break;
		case 'T':
			a.type = optarg;
			break;
		case 'f':
			a.file = optarg;
			break;
		case 'm':
			a.media = optarg;
			break;
		case 'o':
			a.out = optarg;
			break;
		case 'D':
			a.digest = optarg;
			break;
		case 'p':
			a.passfile = optarg;
			break;
		case 0x301:
			a.enc_out = optarg;
			break;
		case 0x302:
			a.env_out = optarg;
			break;
		case 0x303:
			a.format = optarg;
			break;
		case 0x304:
			e = cli_km_add_share(&a.km, optarg);
			break;
		case 0x305:
			a.km.passfile = optarg;
			break;
		default:
			if (!cli_opt_common(c, optarg, &a.dir, &a.json, &au))
				return cli_usage_error("app", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	pos = optind;
	if ((v = cli_verb_row(&app_verbs, verb, argc, argv, &pos, full,
	         sizeof(full))) == NULL)
		return EGCA_ERR_USAGE;
	if (argc - pos != v->nargs)
		return cli_usage_error("app", "%s takes %d argument%s", full,
		    v->nargs, v->nargs == 1 ? "" : "s");
	if ((rc = check_args(full, &a)) != 0)
		return rc;
	if ((rc = cli_auth_open(a.dir, &au, v->action, &env)) != 0)
		return rc;
	if (strcmp(full, "submit") == 0)
		rc = app_submit(&env, &au, &a);
	else if (strcmp(full, "list") == 0)
		rc = app_list(&env, &au, &a);
	else if (strcmp(full, "show") == 0)
		rc = app_show(&env, &au, &a, argv[pos]);
	else if (strcmp(full, "envelope") == 0)
		rc = app_envelope(&env, &au, &a, argv[pos]);
	else if (strncmp(full, "material ", 9) == 0)
		rc = material(&env, &au, &a, full + 9, argv[pos],
		    v->nargs == 2 ? argv[pos + 1] : NULL);
	else
		rc = decide(&env, &au, &a, full, argv[pos]);
	cli_auth_close(&env, &au);
	return rc;
}
