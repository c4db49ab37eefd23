/* The CA's KM client for the CLI (src/cli/cli_km.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/cli_km.h"
#include "egca/crypto.h"
#include "egca/file.h"

#define SHARE_MAX 4096

void
cli_km_init(struct cli_km *k)
{
	memset(k, 0, sizeof(*k));
}

enum egca_err
cli_km_add_share(struct cli_km *k, const char *f)
{
	if (k->nshares >= CLI_KM_SHARES_MAX)
		return egca_err_set(EGCA_ERR_USAGE,
		    "--km-share: at most %d share files", CLI_KM_SHARES_MAX);
	k->shares[k->nshares++] = f;
	return EGCA_OK;
}

static enum egca_err
unseal(struct cli_km *k)
{
	struct egca_km_seal_status st;
	char actor[96];
	uint8_t *share;
	size_t len;
	int i;
	enum egca_err e = EGCA_OK;

	cli_actor(actor, sizeof(actor));
	for (i = 0; i < k->nshares && e == EGCA_OK; i++) {
		if ((e = egca_file_read(
		         k->shares[i], SHARE_MAX, &share, &len)) != EGCA_OK)
			break;
		e = egca_km_unseal(k->km, share, len, actor, &st);
		OPENSSL_cleanse(share, len);
		free(share);
		if (e != EGCA_OK)
			e = egca_err_set(e, "--km-share %s: %s", k->shares[i],
			    egca_err_detail());
	}
	return e;
}

enum egca_err
cli_km_open(struct cli_km *k, const struct egca_config *cfg, size_t conns)
{
	const struct egca_config_km *c = &cfg->km;
	struct egca_km_https_opts o;
	char *pass = NULL;
	size_t pass_len = 0;
	enum egca_err e;

	if (c->url == NULL && c->dir == NULL) {
		if (k->nshares > 0 || k->passfile != NULL)
			return egca_err_set(EGCA_ERR_USAGE,
			    "--km-share, --km-passphrase-file: %s has no "
			    "in-process \"km\" (\"dir\")",
			    cfg->path);
		return EGCA_OK;
	}
	if (c->url != NULL) {
		if (k->nshares > 0 || k->passfile != NULL)
			return egca_err_set(EGCA_ERR_USAGE,
			    "--km-share, --km-passphrase-file: the KM of %s "
			    "is remote (%s); its custodians unseal it there",
			    cfg->path, c->url);
		memset(&o, 0, sizeof(o));
		o.url = c->url;
		o.client_cert = c->client_cert;
		o.client_key = c->client_key;
		o.ca_bundle = c->ca_bundle;
		o.km_cert = c->km_cert;
		o.timeout_seconds = c->timeout_seconds;
		return egca_km_client_https(&o, &k->client);
	}
	if ((e = egca_crypto_passphrase_read(
	         k->passfile, 0, &pass, &pass_len)) != EGCA_OK)
		return e;
	e = egca_km_open(c->dir, pass, pass_len, conns, &k->km);
	egca_crypto_passphrase_free(pass, pass_len);
	if (e != EGCA_OK)
		return egca_err_set(e, "KM %s: %s", c->dir, egca_err_detail());
	if ((e = unseal(k)) != EGCA_OK ||
	    (e = egca_km_client_inproc(k->km, &k->client)) != EGCA_OK) {
		cli_km_close(k);
		return e;
	}
	return EGCA_OK;
}

void
cli_km_close(struct cli_km *k)
{
	egca_km_client_free(k->client);
	egca_km_free(k->km);
	k->client = NULL;
	k->km = NULL;
}
