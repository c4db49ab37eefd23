/*
 * The data directory's configuration file, DIR/egca.conf (JSON), parsed
 * and validated once into a const struct egca_config. No globals.
 *
 *   {
 *     "version": 1,
 *     "store": "sqlite:egca.db",       relative paths are under DIR
 *     "profiles_dir": "profiles",
 *     "base_url": "http://127.0.0.1:8080",
 *     "default_ca": "root",
 *     "status": {                       optional; see docs/operations.md
 *       "ocsp_validity_hours": 24, "ocsp_delegated": true,
 *       "ocsp_nonce": true, "ocsp_max_certids": 20,
 *       "crl_validity_hours": 24, "crl_delay_seconds": 60,
 *       "crl_interval_hours": 6, "delta_crl": true
 *     },
 *     "ra": {                           optional; approvals per kind, 1..5
 *       "approvals": {"new": 1, "update": 1, "extend": 1, "recover": 2,
 *                     "hold": 1, "unhold": 1, "revoke": 1}
 *     },
 *     "audit": {                        optional; signed checkpoints
 *       "checkpoint_events": 1000, "checkpoint_minutes": 10
 *     },
 *     "km": {                           optional; the CA's KM (docs/km.md)
 *       "url": "https://127.0.0.1:9443", "client_cert": "keys/km-client.pem",
 *       "client_key": "keys/km-client.key", "ca_bundle": "km-ca.pem",
 *       "km_cert": "km.pem", "timeout_seconds": 30
 *     }                                 or {"dir": "/path/to/KMDIR"}
 *   }
 */
#ifndef EGCA_CONFIG_H
#define EGCA_CONFIG_H

#include "egca/err.h"

/* Status service settings from "status"; -1 where not set. */
struct egca_config_status {
	int ocsp_validity_hours;
	int ocsp_delegated;
	int ocsp_nonce;
	int ocsp_max_certids;
	int crl_validity_hours;
	int crl_delay_seconds;
	int crl_interval_hours;
	int delta_crl;
};

/*
 * RA settings from "ra": the approvals (M of the four-eyes / M-of-N
 * review) an application of each kind needs. Always filled: the values
 * not set are the defaults (1; recover 2).
 */
struct egca_config_ra {
	int approvals_new;
	int approvals_update;
	int approvals_extend;
	int approvals_recover;
	int approvals_hold;
	int approvals_unhold;
	int approvals_revoke;
};

/*
 * Audit settings from "audit": egca serve signs a checkpoint of the
 * audit chain's head every checkpoint_events events or every
 * checkpoint_minutes minutes (when there is a new event). Always filled:
 * the values not set are the defaults (1000 events, 10 minutes).
 */
struct egca_config_audit {
	int checkpoint_events;  /* 1 to 1000000 */
	int checkpoint_minutes; /* 1 to 1440 */
};

/*
 * The key management centre this CA talks to, from "km" (docs/km.md):
 * HTTPS with mutual TLS (url and the four files, all required) or the
 * in-process single-node KM (dir). Paths are absolute (relative ones
 * are under the data directory). All NULL when "km" is absent.
 */
struct egca_config_km {
	char *url;           /* "https://host:port" */
	char *client_cert;   /* PEM: the CA's TLS client certificate */
	char *client_key;    /* PEM: its key */
	char *ca_bundle;     /* PEM: issuers of the KM's TLS certificate */
	char *km_cert;       /* the KM's SM2 certificate (pinned) */
	char *dir;           /* in-process: the KM data directory */
	int timeout_seconds; /* 0: the client's default (30) */
};

struct egca_config {
	char *dir;          /* the data directory, absolute */
	char *path;         /* DIR/egca.conf */
	char *store_uri;    /* "sqlite:/abs/path" or a libpq URI */
	char *profiles_dir; /* absolute */
	char *keys_dir;     /* DIR/keys */
	char *base_url;     /* where CRL, OCSP and CA certs are published */
	char *default_ca;
	struct egca_config_status status;
	struct egca_config_ra ra;
	struct egca_config_audit audit;
	struct egca_config_km km;
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
