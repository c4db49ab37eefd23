/* KMDIR/km.conf: strict JSON (include/egca/km.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "egca/file.h"
#include "km/km_int.h"

#define CONF_MAX (16 * 1024)

static int
hex32(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

enum egca_err
egca_km_conf_load(const char *dir, struct egca_km_conf *out)
{
	char *path;
	uint8_t *text = NULL;
	size_t len;
	json_t *root = NULL;
	json_error_t jerr;
	const char *id = NULL;
	json_int_t version = 0, n = 0, m = 0, quorum = 2, window = 300;
	json_int_t retention = 3653, items = 16;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if ((path = egca_file_join(dir, EGCA_KM_CONF_FILE)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if ((e = egca_file_read(path, CONF_MAX, &text, &len)) != EGCA_OK) {
		if (e == EGCA_ERR_NOTFOUND)
			egca_err_set(e,
			    "%s: not a KM data directory (no %s; run egca km "
			    "init)",
			    dir, EGCA_KM_CONF_FILE);
		goto out;
	}
	if ((root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES,
	         &jerr)) == NULL) {
		e = egca_err_set(
		    EGCA_ERR_INPUT, "%s:%d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT,
	        "{s:I, s:s, s:I, s:I, s?:I, s?:I, s?:I, s?:I}", "version",
	        &version, "km_id", &id, "custodians", &n, "threshold", &m,
	        "officer_quorum", &quorum, "window_seconds", &window,
	        "retention_days", &retention, "max_items", &items) != 0) {
		e = egca_err_set(EGCA_ERR_INPUT, "%s: %s", path, jerr.text);
		goto out;
	}
	e = EGCA_ERR_INPUT;
	if (version != 1)
		egca_err_set(e, "%s: version must be 1", path);
	else if (!hex32(id))
		egca_err_set(
		    e, "%s: km_id must be 32 lower-case hex digits", path);
	else if (n < 3 || n > EGCA_KM_MAX_CUSTODIANS || m < 2 || m > n - 1)
		egca_err_set(e,
		    "%s: need 3 <= custodians <= 16 and 2 <= threshold <= "
		    "custodians - 1",
		    path);
	else if (quorum < 2 || quorum > 16)
		egca_err_set(e, "%s: officer_quorum must be 2 to 16", path);
	else if (window < 30 || window > 3600)
		egca_err_set(e, "%s: window_seconds must be 30 to 3600", path);
	else if (retention < 1 || retention > 36525)
		egca_err_set(e, "%s: retention_days must be 1 to 36525", path);
	else if (items < 1 || items > EGCA_KM_ITEMS_MAX)
		egca_err_set(e, "%s: max_items must be 1 to 64", path);
	else
		e = EGCA_OK;
	if (e != EGCA_OK)
		goto out;
	memcpy(out->km_id, id, 33);
	out->custodians = (int)n;
	out->threshold = (int)m;
	out->officer_quorum = (int)quorum;
	out->window_seconds = (int)window;
	out->retention_days = (int)retention;
	out->max_items = (int)items;
out:
	json_decref(root);
	free(text);
	free(path);
	return e;
}

enum egca_err
km_conf_write(const char *dir, const struct egca_km_conf *c)
{
	char *path, *text = NULL;
	json_t *root;
	enum egca_err e;

	if ((path = egca_file_join(dir, EGCA_KM_CONF_FILE)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if (egca_file_exists(path)) {
		e = egca_err_set(EGCA_ERR_EXISTS, "%s already exists", path);
		free(path);
		return e;
	}
	root = json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "version",
	    1, "km_id", c->km_id, "custodians", c->custodians, "threshold",
	    c->threshold, "officer_quorum", c->officer_quorum, "window_seconds",
	    c->window_seconds, "retention_days", c->retention_days, "max_items",
	    c->max_items);
	if (root != NULL)
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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
