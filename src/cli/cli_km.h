/*
 * The CA's KM client for the commands that execute RA applications
 * (egca serve, egca app approve/execute), from egca.conf "km"
 * (docs/km.md, docs/operations.md): HTTPS with mutual TLS, or the
 * in-process KM of a single node, opened with its passphrase and
 * unsealed with custodian share files in this process.
 */
#ifndef EGCA_CLI_KM_H
#define EGCA_CLI_KM_H

#include <stddef.h>

#include "egca/config.h"
#include "egca/err.h"
#include "egca/km.h"

#define CLI_KM_SHARES_MAX 16

struct cli_km {
	struct egca_km *km;            /* in-process only */
	struct egca_km_client *client; /* NULL: no KM configured */
	const char *shares[CLI_KM_SHARES_MAX];
	int nshares;
	const char *passfile; /* --km-passphrase-file */
};

void cli_km_init(struct cli_km *k);
/* --km-share FILE (repeatable): EGCA_ERR_USAGE past the maximum. */
EGCA_MUST_CHECK enum egca_err cli_km_add_share(struct cli_km *k, const char *f);
/*
 * Builds k->client from cfg->km; nothing when "km" is absent (and
 * EGCA_ERR_USAGE when shares were given anyway). In-process: opens the
 * KM of cfg->km.dir (conns store connections, the KM key's passphrase
 * from k->passfile or the terminal) and enters every share; fewer than
 * the threshold leaves it sealed (requests are refused "KM is sealed").
 */
EGCA_MUST_CHECK enum egca_err cli_km_open(
    struct cli_km *k, const struct egca_config *cfg, size_t conns);
void cli_km_close(struct cli_km *k);

#endif
