/*
 * The data directory's configuration file, DIR/egca.conf (JSON), parsed
 * and validated once into a const struct egca_config. No globals.
 *
 *   {
 *     "version": 1,
 *     "store": "sqlite:egca.db",       relative paths are under DIR
 *     "profiles_dir": "profiles",
 *     "base_url": "http://127.0.0.1:8080",
 *     "default_ca": "root"
 *   }
 */
#ifndef EGCA_CONFIG_H
#define EGCA_CONFIG_H

#include "egca/err.h"

struct egca_config {
	char *dir;          /* the data directory, absolute */
	char *path;         /* DIR/egca.conf */
	char *store_uri;    /* "sqlite:/abs/path" or a libpq URI */
	char *profiles_dir; /* absolute */
	char *keys_dir;     /* DIR/keys */
	char *base_url;     /* where CRL, OCSP and CA certs are published */
	char *default_ca;
};

#define EGCA_CONFIG_FILE "egca.conf"

/* Loads DIR/egca.conf. EGCA_ERR_NOTFOUND when DIR holds no egca.conf. */
EGCA_MUST_CHECK enum egca_err egca_config_load(
    const char *dir, struct egca_config **out);
/*
 * Writes a new configuration file (refuses to overwrite: EGCA_ERR_EXISTS).
 * store may be NULL for the SQLite default.
 */
EGCA_MUST_CHECK enum egca_err egca_config_create(const char *dir,
    const char *store, const char *base_url, const char *default_ca);
void egca_config_free(struct egca_config *cfg);

#endif
