/* DIR/egca.conf: JSON, strict (include/egca/config.h). */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "egca/config.h"
#include "egca/file.h"

#define CONFIG_MAX (64 * 1024)

void
egca_config_free(struct egca_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->dir);
	free(cfg->path);
	free(cfg->store_uri);
	free(cfg->profiles_dir);
	free(cfg->keys_dir);
	free(cfg->base_url);
	free(cfg->default_ca);
	free(cfg->km.url);
	free(cfg->km.client_cert);
	free(cfg->km.client_key);
	free(cfg->km.ca_bundle);
	free(cfg->km.km_cert);
	free(cfg->km.dir);
	free(cfg);
}

/* Relative paths in the config are relative to the data directory. */
static char *
under(const char *dir, const char *p)
{
	return p[0] == '/' ? strdup(p) : egca_file_join(dir, p);
}

static char *
store_uri(const char *dir, const char *s)
{
	char *path, *uri;
	size_t n;

	if (strncmp(s, "sqlite:", 7) != 0)
		return strdup(s);
	if ((path = under(dir, s + 7)) == NULL)
		return NULL;
	n = strlen(path) + 8;
	if ((uri = malloc(n)) != NULL)
		snprintf(uri, n, "sqlite:%s", path);
	free(path);
	return uri;
}

/*
 * The optional "status" object: integers (booleans for the on/off
 * settings); unknown keys are refused. Ranges are checked by status/.
 */
static enum egca_err
status_section(json_t *o, struct egca_config *cfg)
{
	static const struct {
		const char *key;
		size_t off;
		int boolean;
	} keys[] = {
#define K(name, b) {#name, offsetof(struct egca_config_status, name), b}
	    K(ocsp_validity_hours, 0),
	    K(ocsp_delegated, 1),
	    K(ocsp_nonce, 1),
	    K(ocsp_max_certids, 0),
	    K(crl_validity_hours, 0),
	    K(crl_delay_seconds, 0),
	    K(crl_interval_hours, 0),
	    K(delta_crl, 1),
#undef K
	};
	const char *k;
	json_t *v;
	size_t i;
	int *field;

	memset(&cfg->status, 0xff, sizeof(cfg->status)); /* all -1 */
	if (o == NULL)
		return EGCA_OK;
	if (!json_is_object(o))
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: status must be an object", cfg->path);
	json_object_foreach(o, k, v)
	{
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i].key, k) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return egca_err_set(EGCA_ERR_INPUT,
			    "%s: status.%s is not a setting", cfg->path, k);
		field = (int *)(void *)((char *)&cfg->status + keys[i].off);
		if (keys[i].boolean && json_is_boolean(v))
			*field = json_is_true(v);
		else if (!keys[i].boolean && json_is_integer(v) &&
		    json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= 1000000)
			*field = (int)json_integer_value(v);
		else
			return egca_err_set(EGCA_ERR_INPUT,
			    "%s: status.%s must be %s", cfg->path, k,
			    keys[i].boolean ? "true or false"
			                    : "an integer from 0 to 1000000");
	}
	return EGCA_OK;
}

/*
 * The optional "ra" object: {"approvals": {"<kind>": 1..5, ...}};
 * unknown keys and kinds are refused, kinds not given keep the default.
 */
static enum egca_err
ra_section(json_t *o, struct egca_config *cfg)
{
	static const struct {
		const char *kind;
		size_t off;
		int def;
	} kinds[] = {
#define K(name, d) {#name, offsetof(struct egca_config_ra, approvals_##name), d}
	    K(new, 1),
	    K(update, 1),
	    K(extend, 1),
	    K(recover, 2),
	    K(hold, 1),
	    K(unhold, 1),
	    K(revoke, 1),
#undef K
	};
	const char *k;
	json_t *v, *approvals = NULL;
	json_error_t jerr;
	size_t i;
	int *field;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		*(int *)(void *)((char *)&cfg->ra + kinds[i].off) =
		    kinds[i].def;
	if (o == NULL)
		return EGCA_OK;
	if (!json_is_object(o))
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: ra must be an object", cfg->path);
	if (json_unpack_ex(
	        o, &jerr, JSON_STRICT, "{s?:o}", "approvals", &approvals) != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: ra: %s", cfg->path, jerr.text);
	if (approvals == NULL)
		return EGCA_OK;
	if (!json_is_object(approvals))
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: ra.approvals must be an object", cfg->path);
	json_object_foreach(approvals, k, v)
	{
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(kinds[i].kind, k) == 0)
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0]))
			return egca_err_set(EGCA_ERR_INPUT,
			    "%s: ra.approvals.%s is not an application kind "
			    "(new, update, extend, recover, hold, unhold, "
			    "revoke)",
			    cfg->path, k);
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 5)
			return egca_err_set(EGCA_ERR_INPUT,
			    "%s: ra.approvals.%s must be an integer from 1 "
			    "to 5",
			    cfg->path, k);
		field = (int *)(void *)((char *)&cfg->ra + kinds[i].off);
		*field = (int)json_integer_value(v);
	}
	return EGCA_OK;
}

/*
 * The optional "audit" object: checkpoint_events (1..1000000) and
 * checkpoint_minutes (1..1440); unknown keys are refused.
 */
static enum egca_err
audit_section(json_t *o, struct egca_config *cfg)
{
	json_int_t events = 1000, minutes = 10;
	json_error_t jerr;

	if (o != NULL && !json_is_object(o))
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: audit must be an object", cfg->path);
	if (o != NULL &&
	    json_unpack_ex(o, &jerr, JSON_STRICT, "{s?:I, s?:I}",
	        "checkpoint_events", &events, "checkpoint_minutes",
	        &minutes) != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: audit: %s", cfg->path, jerr.text);
	if (events < 1 || events > 1000000)
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: audit.checkpoint_events must be from 1 to 1000000",
		    cfg->path);
	if (minutes < 1 || minutes > 1440)
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: audit.checkpoint_minutes must be from 1 to 1440",
		    cfg->path);
	cfg->audit.checkpoint_events = (int)events;
	cfg->audit.checkpoint_minutes = (int)minutes;
	return EGCA_OK;
}

/*
 * The optional "km" object: {"url", "client_cert", "client_key",
 * "ca_bundle", "km_cert", "timeout_seconds"} for HTTPS with mutual TLS,
 * or {"dir"} for the in-process KM; never both, unknown keys refused.
 */
static enum egca_err
km_section(json_t *o, const char *dir, struct egca_config *cfg)
{
	const char *url = NULL, *cert = NULL, *key = NULL, *bundle = NULL;
	const char *pin = NULL, *kmdir = NULL;
	json_int_t timeout = 0;
	json_error_t jerr;
	struct egca_config_km *k = &cfg->km;

	if (o == NULL)
		return EGCA_OK;
	if (!json_is_object(o))
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: km must be an object", cfg->path);
	if (json_unpack_ex(o, &jerr, JSON_STRICT,
	        "{s?:s, s?:s, s?:s, s?:s, s?:s, s?:s, s?:I}", "url", &url,
	        "client_cert", &cert, "client_key", &key, "ca_bundle", &bundle,
	        "km_cert", &pin, "dir", &kmdir, "timeout_seconds",
	        &timeout) != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: km: %s", cfg->path, jerr.text);
	if ((kmdir != NULL) == (url != NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: km: give either url (HTTPS with mutual TLS) or dir "
		    "(in-process KM), one of them",
		    cfg->path);
	if (url != NULL &&
	    (cert == NULL || key == NULL || bundle == NULL || pin == NULL))
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: km: url needs client_cert, client_key, ca_bundle and "
		    "km_cert",
		    cfg->path);
	if (kmdir != NULL && (cert || key || bundle || pin || timeout))
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: km: dir (in-process) takes no TLS settings",
		    cfg->path);
	if (url != NULL && strncmp(url, "https://", 8) != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: km.url must be an https:// URL", cfg->path);
	if (timeout < 0 || timeout > 600)
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: km.timeout_seconds must be 0 (default) or 1 to 600",
		    cfg->path);
	k->timeout_seconds = (int)timeout;
	if ((url && (k->url = strdup(url)) == NULL) ||
	    (cert && (k->client_cert = under(dir, cert)) == NULL) ||
	    (key && (k->client_key = under(dir, key)) == NULL) ||
	    (bundle && (k->ca_bundle = under(dir, bundle)) == NULL) ||
	    (pin && (k->km_cert = under(dir, pin)) == NULL) ||
	    (kmdir && (k->dir = under(dir, kmdir)) == NULL))
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	return EGCA_OK;
}

enum egca_err
egca_config_load(const char *dir, struct egca_config **out)
{
	struct egca_config *cfg = NULL;
	char absdir[PATH_MAX];
	uint8_t *text = NULL;
	size_t len;
	json_t *root = NULL;
	json_error_t jerr;
	const char *store = "sqlite:egca.db", *profiles = "profiles";
	const char *base = "http://127.0.0.1:8080", *def_ca = "";
	json_t *status = NULL, *ra = NULL, *audit = NULL, *km = NULL;
	int version = 0;
	enum egca_err e;

	*out = NULL;
	if (realpath(dir, absdir) == NULL)
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "%s: no such data directory (run egca init)", dir);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	cfg->dir = strdup(absdir);
	cfg->path = egca_file_join(absdir, EGCA_CONFIG_FILE);
	if (cfg->dir == NULL || cfg->path == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = egca_file_read(cfg->path, CONFIG_MAX, &text, &len)) !=
	    EGCA_OK) {
		if (e == EGCA_ERR_NOTFOUND)
			egca_err_set(e,
			    "%s: not an egca data directory "
			    "(no %s; run egca init)",
			    dir, EGCA_CONFIG_FILE);
		goto out;
	}
	root =
	    json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		e = egca_err_set(EGCA_ERR_INPUT, "%s:%d: %s", cfg->path,
		    jerr.line, jerr.text);
		goto out;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT,
	        "{s:i, s?:s, s?:s, s?:s, s?:s, s?:o, s?:o, s?:o, s?:o}",
	        "version", &version, "store", &store, "profiles_dir", &profiles,
	        "base_url", &base, "default_ca", &def_ca, "status", &status,
	        "ra", &ra, "audit", &audit, "km", &km) != 0) {
		e = egca_err_set(
		    EGCA_ERR_INPUT, "%s: %s", cfg->path, jerr.text);
		goto out;
	}
	if ((e = status_section(status, cfg)) != EGCA_OK ||
	    (e = ra_section(ra, cfg)) != EGCA_OK ||
	    (e = audit_section(audit, cfg)) != EGCA_OK ||
	    (e = km_section(km, absdir, cfg)) != EGCA_OK)
		goto out;
	if (version != 1) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "%s: version %d is not supported (expected 1)", cfg->path,
		    version);
		goto out;
	}
	if (strncmp(base, "http://", 7) != 0 &&
	    strncmp(base, "https://", 8) != 0) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "%s: base_url must be an http:// or https:// URL",
		    cfg->path);
		goto out;
	}
	cfg->store_uri = store_uri(absdir, store);
	cfg->profiles_dir = under(absdir, profiles);
	cfg->keys_dir = egca_file_join(absdir, "keys");
	cfg->base_url = strdup(base);
	cfg->default_ca = strdup(def_ca);
	/* Drop a trailing slash so URLs join cleanly. */
	if (cfg->base_url && (len = strlen(cfg->base_url)) > 0 &&
	    cfg->base_url[len - 1] == '/')
		cfg->base_url[len - 1] = '\0';
	if (!cfg->store_uri || !cfg->profiles_dir || !cfg->keys_dir ||
	    !cfg->base_url || !cfg->default_ca) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = cfg;
	cfg = NULL;
	e = EGCA_OK;
out:
	json_decref(root);
	free(text);
	egca_config_free(cfg);
	return e;
}

enum egca_err
egca_config_create(const char *dir, const char *store, const char *base_url,
    const char *default_ca)
{
	json_t *root;
	char *path, *text;
	enum egca_err e;

	if ((path = egca_file_join(dir, EGCA_CONFIG_FILE)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if (egca_file_exists(path)) {
		e = egca_err_set(EGCA_ERR_EXISTS,
		    "%s already exists: refusing to initialise over an "
		    "existing data directory",
		    path);
		free(path);
		return e;
	}
	root = json_pack("{s:i, s:s, s:s, s:s, s:s}", "version", 1, "store",
	    store ? store : "sqlite:egca.db", "profiles_dir", "profiles",
	    "base_url", base_url ? base_url : "http://127.0.0.1:8080",
	    "default_ca", default_ca);
	text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
	            : NULL;
	json_decref(root);
	if (text == NULL) {
		free(path);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	e = egca_file_write_atomic(path, text, strlen(text), 0640);
	free(text);
	free(path);
	return e;
}
