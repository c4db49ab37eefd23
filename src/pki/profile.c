/*
 * pki/profile.c: certificate profiles, profiles/<name>.json
 * (docs/profiles.md).
 *
 * Strict: jansson json_loadb with JSON_REJECT_DUPLICATES, a size cap,
 * unknown keys refused, every value checked; errors name the file's
 * profile and the field.
 *
 * What this does not check: whether the operator may use the profile
 * (ca/, ra/), and whether the policy OIDs are the operator's (the
 * shipped ones are an example arc; docs/profiles.md).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "egca/file.h"
#include "egca/pki.h"
#include "pki/der.h"

#define PROFILE_MAX_BYTES (64 * 1024)
#define GMT0015_MAX_DAYS 3653

static const char *const ku_names[] = {
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
};

static const char *const eku_names[] = {"serverAuth", "clientAuth",
    "codeSigning", "emailProtection", "timeStamping", "OCSPSigning"};

static const struct {
	const char *name;
	enum egca_key_alg alg;
} key_names[] = {
    {"sm2", EGCA_KEY_SM2},
    {"ecdsa-p256", EGCA_KEY_P256},
    {"ecdsa-p384", EGCA_KEY_P384},
    {"rsa", EGCA_KEY_RSA},
};

static const char *const subject_attrs[] = {
    "C", "ST", "L", "O", "OU", "CN", "serialNumber", "emailAddress"};
static const char *const identity_fields[] = {"id_card", "passport", "military",
    "insurance", "ic_registration", "org_code", "tax_number", "uscc"};
static const char *const san_kinds[] = {"dns", "email", "ip"};

static const char *const known_keys[] = {"name", "description", "kind",
    "audience", "usage", "subscriber_type", "key_usage", "key_usage_critical",
    "path_len", "extended_key_usage", "max_validity_days",
    "default_validity_days", "key_algorithms", "min_rsa_bits", "policies",
    "crl_dp", "aia", "sia", "ocsp_nocheck", "identity_extensions",
    "required_subject", "required_identity", "san"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return (int)i;
	return -1;
}

static enum egca_err
bad(const char *profile, const char *field, const char *why)
{
	return egca_err_set(EGCA_ERR_INPUT, "profile %s: %s: %s",
	    profile[0] ? profile : "?", field, why);
}

static enum egca_err
get_string(json_t *o, const char *pname, const char *key, int required,
    char *dst, size_t dst_len)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (v == NULL) {
		if (required)
			return bad(pname, key, "missing");
		dst[0] = '\0';
		return EGCA_OK;
	}
	if (!json_is_string(v))
		return bad(pname, key, "must be a string");
	s = json_string_value(v);
	if (strlen(s) >= dst_len || strlen(s) != json_string_length(v))
		return bad(pname, key, "too long or contains NUL");
	memcpy(dst, s, strlen(s) + 1);
	return EGCA_OK;
}

static enum egca_err
get_bool(json_t *o, const char *pname, const char *key, int def, int *dst)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		*dst = def;
		return EGCA_OK;
	}
	if (!json_is_boolean(v))
		return bad(pname, key, "must be true or false");
	*dst = json_is_true(v);
	return EGCA_OK;
}

static enum egca_err
get_int(json_t *o, const char *pname, const char *key, int required,
    json_int_t lo, json_int_t hi, int def, int *dst)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		if (required)
			return bad(pname, key, "missing");
		*dst = def;
		return EGCA_OK;
	}
	if (!json_is_integer(v))
		return bad(pname, key, "must be an integer");
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		return egca_err_set(EGCA_ERR_INPUT,
		    "profile %s: %s: must be %lld..%lld", pname, key,
		    (long long)lo, (long long)hi);
	}
	*dst = (int)json_integer_value(v);
	return EGCA_OK;
}

/*
 * A string array; each element checked against list (when not NULL),
 * copied to dst[n][width]; duplicates refused.
 */
static enum egca_err
get_list(json_t *o, const char *pname, const char *key, int required,
    const char *const *list, size_t list_n, char *dst, size_t width, size_t max,
    size_t *n)
{
	json_t *v = json_object_get(o, key), *el;
	size_t i, j;
	const char *s;

	*n = 0;
	if (v == NULL)
		return required ? bad(pname, key, "missing") : EGCA_OK;
	if (!json_is_array(v))
		return bad(pname, key, "must be an array of strings");
	if (json_array_size(v) > max)
		return bad(pname, key, "too many elements");
	json_array_foreach(v, i, el)
	{
		if (!json_is_string(el))
			return bad(pname, key, "must be an array of strings");
		s = json_string_value(el);
		if (strlen(s) >= width || strlen(s) != json_string_length(el))
			return bad(pname, key, "element too long");
		if (list != NULL && in_list(s, list, list_n) < 0)
			return egca_err_set(EGCA_ERR_INPUT,
			    "profile %s: %s: unknown value \"%s\"", pname, key,
			    s);
		for (j = 0; j < i; j++)
			if (strcmp(dst + j * width, s) == 0)
				return egca_err_set(EGCA_ERR_INPUT,
				    "profile %s: %s: \"%s\" listed twice",
				    pname, key, s);
		memcpy(dst + i * width, s, strlen(s) + 1);
	}
	*n = json_array_size(v);
	if (required && *n == 0)
		return bad(pname, key, "must not be empty");
	return EGCA_OK;
}

static enum egca_err
parse(json_t *o, struct egca_profile *p)
{
	char buf[32], tmp[EGCA_PROFILE_MAX_LIST][48];
	const char *key;
	json_t *v;
	size_t i, n, oid_len;
	int k, ku_crit;
	uint8_t oid[64];
	enum egca_err e;
	const unsigned sign_bits =
	    EGCA_KU_DIGITAL_SIGNATURE | EGCA_KU_NON_REPUDIATION;
	const unsigned enc_bits = EGCA_KU_KEY_ENCIPHERMENT |
	    EGCA_KU_DATA_ENCIPHERMENT | EGCA_KU_KEY_AGREEMENT |
	    EGCA_KU_ENCIPHER_ONLY | EGCA_KU_DECIPHER_ONLY;
	const unsigned ca_bits = EGCA_KU_KEY_CERT_SIGN | EGCA_KU_CRL_SIGN;
	int is_ca;

	if (!json_is_object(o))
		return egca_err_set(
		    EGCA_ERR_INPUT, "profile: top level must be an object");
	if ((e = get_string(o, "", "name", 1, p->name, sizeof(p->name))) !=
	    EGCA_OK)
		return e;
	json_object_foreach(o, key, v)
	{
		if (in_list(key, known_keys, N(known_keys)) < 0)
			return egca_err_set(EGCA_ERR_INPUT,
			    "profile %s: unknown key \"%.64s\"", p->name, key);
	}
	if ((e = get_string(o, p->name, "description", 0, p->description,
	         sizeof(p->description))) != EGCA_OK)
		return e;

	if ((e = get_string(o, p->name, "kind", 1, buf, sizeof(buf))) !=
	    EGCA_OK)
		return e;
	if (strcmp(buf, "root") == 0)
		p->kind = EGCA_PROFILE_ROOT;
	else if (strcmp(buf, "sub-ca") == 0)
		p->kind = EGCA_PROFILE_SUBCA;
	else if (strcmp(buf, "ocsp-signer") == 0)
		p->kind = EGCA_PROFILE_OCSP;
	else if (strcmp(buf, "end-entity") == 0)
		p->kind = EGCA_PROFILE_EE;
	else
		return bad(p->name, "kind",
		    "must be root, sub-ca, ocsp-signer or end-entity");
	is_ca = p->kind == EGCA_PROFILE_ROOT || p->kind == EGCA_PROFILE_SUBCA;

	if ((e = get_string(o, p->name, "audience", 1, buf, sizeof(buf))) !=
	    EGCA_OK)
		return e;
	if (strcmp(buf, "public") == 0)
		p->audience = EGCA_AUDIENCE_PUBLIC;
	else if (strcmp(buf, "government") == 0)
		p->audience = EGCA_AUDIENCE_GOVERNMENT;
	else
		return bad(p->name, "audience", "must be public or government");

	if ((e = get_string(o, p->name, "usage", 0, p->usage,
	         sizeof(p->usage))) != EGCA_OK)
		return e;
	if (p->usage[0] != '\0' && strcmp(p->usage, "sign") != 0 &&
	    strcmp(p->usage, "enc") != 0)
		return bad(p->name, "usage", "must be sign or enc");
	if (p->usage[0] != '\0' && p->kind != EGCA_PROFILE_EE)
		return bad(p->name, "usage", "only for end-entity profiles");

	if ((e = get_string(o, p->name, "subscriber_type", 0,
	         p->subscriber_type, sizeof(p->subscriber_type))) != EGCA_OK)
		return e;
	if (p->subscriber_type[0] != '\0' &&
	    in_list(p->subscriber_type,
	        (const char *const[]){
	            "government", "organization", "individual", "device"},
	        4) < 0)
		return bad(p->name, "subscriber_type",
		    "must be government, organization, individual or device");

	/* keyUsage */
	if ((e = get_list(o, p->name, "key_usage", 1, ku_names, N(ku_names),
	         &tmp[0][0], sizeof(tmp[0]), EGCA_PROFILE_MAX_LIST, &n)) !=
	    EGCA_OK)
		return e;
	p->key_usage = 0;
	for (i = 0; i < n; i++) {
		k = in_list(tmp[i], ku_names, N(ku_names));
		p->key_usage |= 1u << k;
	}
	if ((e = get_bool(o, p->name, "key_usage_critical", 1, &ku_crit)) !=
	    EGCA_OK)
		return e;
	p->key_usage_critical = ku_crit;
	if (!p->key_usage_critical)
		return bad(p->name, "key_usage_critical",
		    "GM/T 0015 Annex C: keyUsage is critical");
	if (is_ca && (p->key_usage & ca_bits) != ca_bits)
		return bad(p->name, "key_usage",
		    "CA profiles need keyCertSign and cRLSign");
	if (!is_ca && (p->key_usage & ca_bits) != 0)
		return bad(p->name, "key_usage",
		    "keyCertSign and cRLSign are for CA profiles only");
	if (p->kind == EGCA_PROFILE_OCSP &&
	    !(p->key_usage & EGCA_KU_DIGITAL_SIGNATURE))
		return bad(
		    p->name, "key_usage", "OCSP signers need digitalSignature");
	if (strcmp(p->usage, "sign") == 0 &&
	    ((p->key_usage & ~sign_bits) != 0 || !(p->key_usage & sign_bits)))
		return bad(p->name, "key_usage",
		    "GM/T 0015 Annex C: sign profiles use digitalSignature "
		    "and nonRepudiation only");
	if (strcmp(p->usage, "enc") == 0 &&
	    ((p->key_usage & ~enc_bits) != 0 || !(p->key_usage & enc_bits)))
		return bad(p->name, "key_usage",
		    "GM/T 0015 Annex C: enc profiles use keyEncipherment, "
		    "dataEncipherment, keyAgreement only");

	if ((e = get_int(o, p->name, "path_len", 0, -1, 16, -1,
	         &p->path_len)) != EGCA_OK)
		return e;
	if (!is_ca && p->path_len != -1)
		return bad(p->name, "path_len", "only for CA profiles");

	if ((e = get_list(o, p->name, "extended_key_usage", 0, eku_names,
	         N(eku_names), &p->eku[0][0], sizeof(p->eku[0]),
	         EGCA_PROFILE_MAX_LIST, &p->n_eku)) != EGCA_OK)
		return e;
	if (p->kind == EGCA_PROFILE_OCSP &&
	    (p->n_eku != 1 || strcmp(p->eku[0], "OCSPSigning") != 0))
		return bad(p->name, "extended_key_usage",
		    "OCSP signers carry exactly OCSPSigning (RFC 6960 "
		    "4.2.2.2)");
	if (p->kind != EGCA_PROFILE_OCSP) {
		for (i = 0; i < p->n_eku; i++)
			if (strcmp(p->eku[i], "OCSPSigning") == 0)
				return bad(p->name, "extended_key_usage",
				    "OCSPSigning is for ocsp-signer profiles");
	}

	if ((e = get_int(o, p->name, "max_validity_days", 1, 1,
	         GMT0015_MAX_DAYS, 0, &p->max_validity_days)) != EGCA_OK)
		return e;
	if ((e = get_int(o, p->name, "default_validity_days", 1, 1,
	         GMT0015_MAX_DAYS, 0, &p->default_validity_days)) != EGCA_OK)
		return e;
	if (p->default_validity_days > p->max_validity_days)
		return bad(p->name, "default_validity_days",
		    "larger than max_validity_days");

	if ((e = get_list(o, p->name, "key_algorithms", 1,
	         (const char *const[]){
	             "sm2", "ecdsa-p256", "ecdsa-p384", "rsa"},
	         4, &tmp[0][0], sizeof(tmp[0]), EGCA_PROFILE_MAX_LIST, &n)) !=
	    EGCA_OK)
		return e;
	p->allowed_keys = 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < (int)N(key_names); k++)
			if (strcmp(tmp[i], key_names[k].name) == 0)
				p->allowed_keys |= 1u << key_names[k].alg;
	if ((e = get_int(o, p->name, "min_rsa_bits", 0, 2048, 16384, 2048,
	         &p->min_rsa_bits)) != EGCA_OK)
		return e;

	if ((e = get_list(o, p->name, "policies", 0, NULL, 0,
	         &p->policies[0][0], sizeof(p->policies[0]),
	         EGCA_PROFILE_MAX_LIST, &p->n_policies)) != EGCA_OK)
		return e;
	for (i = 0; i < p->n_policies; i++)
		if (egca_der_oid_from_text(
		        p->policies[i], oid, sizeof(oid), &oid_len) != EGCA_OK)
			return egca_err_set(EGCA_ERR_INPUT,
			    "profile %s: policies: \"%s\" is not a dotted OID",
			    p->name, p->policies[i]);
	if ((p->kind == EGCA_PROFILE_EE || p->kind == EGCA_PROFILE_SUBCA) &&
	    p->n_policies != 1)
		return bad(p->name, "policies",
		    "GM/T 0015 Annex C: end-entity and sub-CA profiles carry "
		    "exactly one policy OID");

	if ((e = get_bool(o, p->name, "crl_dp", 0, &p->crl_dp)) != EGCA_OK ||
	    (e = get_bool(o, p->name, "aia", 0, &p->aia)) != EGCA_OK ||
	    (e = get_bool(o, p->name, "sia", 0, &p->sia)) != EGCA_OK ||
	    (e = get_bool(o, p->name, "ocsp_nocheck", 0, &p->ocsp_nocheck)) !=
	        EGCA_OK)
		return e;
	if (p->kind == EGCA_PROFILE_EE && (!p->crl_dp || !p->aia))
		return bad(p->name, "crl_dp/aia",
		    "GM/T 0015 Annex C: end-entity certificates carry CRLDP "
		    "and AIA");
	if (p->sia && !is_ca)
		return bad(p->name, "sia", "only for CA profiles");
	if (p->ocsp_nocheck && p->kind != EGCA_PROFILE_OCSP)
		return bad(
		    p->name, "ocsp_nocheck", "only for ocsp-signer profiles");

	if ((e = get_string(o, p->name, "identity_extensions", 0, buf,
	         sizeof(buf))) != EGCA_OK)
		return e;
	if (buf[0] == '\0' || strcmp(buf, "none") == 0)
		p->identity_ext = EGCA_IDEXT_NONE;
	else if (strcmp(buf, "2012") == 0)
		p->identity_ext = EGCA_IDEXT_2012;
	else if (strcmp(buf, "2023") == 0)
		p->identity_ext = EGCA_IDEXT_2023;
	else if (strcmp(buf, "both") == 0)
		p->identity_ext = EGCA_IDEXT_BOTH;
	else
		return bad(p->name, "identity_extensions",
		    "must be none, 2012, 2023 or both");
	if (p->identity_ext != EGCA_IDEXT_NONE && p->kind != EGCA_PROFILE_EE)
		return bad(p->name, "identity_extensions",
		    "only for end-entity profiles");

	if ((e = get_list(o, p->name, "required_subject", 0, subject_attrs,
	         N(subject_attrs), &p->required_subject[0][0],
	         sizeof(p->required_subject[0]), EGCA_PROFILE_MAX_LIST,
	         &p->n_required_subject)) != EGCA_OK)
		return e;
	if ((e = get_list(o, p->name, "required_identity", 0, identity_fields,
	         N(identity_fields), &p->required_identity[0][0],
	         sizeof(p->required_identity[0]), EGCA_PROFILE_MAX_LIST,
	         &p->n_required_identity)) != EGCA_OK)
		return e;
	if (p->n_required_identity > 0 && p->identity_ext == EGCA_IDEXT_NONE)
		return bad(
		    p->name, "required_identity", "needs identity_extensions");
	if ((e = get_list(o, p->name, "san", 0, san_kinds, N(san_kinds),
	         &p->san[0][0], sizeof(p->san[0]), EGCA_PROFILE_MAX_LIST,
	         &p->n_san)) != EGCA_OK)
		return e;
	return EGCA_OK;
}

static int
name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		        (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return 0;
	return 1;
}

enum egca_err
egca_pki_profile_load_file(const char *path, struct egca_profile **out)
{
	uint8_t *data = NULL;
	size_t len = 0, blen;
	json_t *root = NULL;
	json_error_t jerr;
	struct egca_profile *p = NULL;
	const char *base;
	enum egca_err e;

	*out = NULL;
	if ((e = egca_file_read(path, PROFILE_MAX_BYTES, &data, &len)) !=
	    EGCA_OK)
		goto out;
	root =
	    json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		e = egca_err_set(EGCA_ERR_INPUT, "profile %s: line %d: %s",
		    path, jerr.line, jerr.text);
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = parse(root, p)) != EGCA_OK)
		goto out;
	if (!name_ok(p->name)) {
		e = bad(p->name, "name", "must match [a-z0-9-]{1,63}");
		goto out;
	}
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	blen = strlen(p->name);
	if (strncmp(base, p->name, blen) != 0 ||
	    strcmp(base + blen, ".json") != 0) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "profile %s: name does not match the file name %s", p->name,
		    base);
		goto out;
	}
	*out = p;
	p = NULL;
out:
	free(p);
	json_decref(root);
	free(data);
	return e;
}

enum egca_err
egca_pki_profile_load(
    const char *dir, const char *name, struct egca_profile **out)
{
	char path[4096];
	enum egca_err e;

	*out = NULL;
	/* A name that cannot be a profile is an unknown profile. */
	if (name == NULL || !name_ok(name))
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "no profile \"%.64s\" (names match [a-z0-9-]{1,63})",
		    name != NULL ? name : "");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.json", dir, name) >=
	    sizeof(path))
		return egca_err_set(EGCA_ERR_USAGE, "profile path too long");
	e = egca_pki_profile_load_file(path, out);
	if (e == EGCA_ERR_NOTFOUND)
		return egca_err_set(
		    EGCA_ERR_NOTFOUND, "no profile %s in %s", name, dir);
	return e;
}

void
egca_pki_profile_free(struct egca_profile *p)
{
	free(p);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum egca_err
egca_pki_profile_list(const char *dir, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0, len, i;
	enum egca_err e = EGCA_OK;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return egca_err_set(
		    EGCA_ERR_IO, "profiles: cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		char stem[64];

		len = strlen(de->d_name);
		if (len <= 5 || len - 5 >= sizeof(stem) ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		memcpy(stem, de->d_name, len - 5);
		stem[len - 5] = '\0';
		if (!name_ok(stem))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if (cap > 4096 ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				e = egca_err_set(
				    EGCA_ERR_NOMEM, "profiles: too many files");
				goto out;
			}
			v = nv;
		}
		if ((v[cnt] = strdup(stem)) == NULL) {
			e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
			goto out;
		}
		cnt++;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
out:
	for (i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	closedir(d);
	return e;
}
