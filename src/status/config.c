/*
 * The status service settings of a data directory: the defaults with
 * the "status" object of egca.conf over them (include/egca/status.h).
 */
#include "egca/config.h"
#include "egca/status.h"

void
egca_status_config_load(
    struct egca_status_config *c, const struct egca_config *cfg)
{
	const struct egca_config_status *s = &cfg->status;

	egca_status_config_default(c);
	if (s->ocsp_validity_hours >= 0)
		c->ocsp_validity_hours = s->ocsp_validity_hours;
	if (s->ocsp_delegated >= 0)
		c->ocsp_delegated = s->ocsp_delegated;
	if (s->ocsp_nonce >= 0)
		c->ocsp_nonce = s->ocsp_nonce;
	if (s->ocsp_max_certids >= 0)
		c->ocsp_max_certids = (size_t)s->ocsp_max_certids;
	if (s->crl_validity_hours >= 0)
		c->crl_validity_hours = s->crl_validity_hours;
	if (s->crl_delay_seconds >= 0)
		c->crl_delay_seconds = s->crl_delay_seconds;
	if (s->crl_interval_hours >= 0)
		c->crl_interval_hours = s->crl_interval_hours;
	if (s->delta_crl >= 0)
		c->delta_crl = s->delta_crl;
}
