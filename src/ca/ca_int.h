/* Private to ca/: the loaded issuer and small helpers. */
#ifndef EGCA_CA_INT_H
#define EGCA_CA_INT_H

#include <stdint.h>

#include "egca/audit.h"
#include "egca/ca.h"

struct egca_issuer {
	char *name;
	struct egca_signer *signer;
	enum egca_sig_alg sig_alg;
	uint8_t *subject; /* the issuer's subject, DER */
	size_t subject_len;
	uint8_t ski[64];
	size_t ski_len;
	int64_t not_after; /* issued certificates may not outlive the CA */
	char *crl_url;
	char *delta_crl_url; /* freshestCRL; NULL when delta CRLs are off */
	char *ocsp_url;
	char *ca_issuers_url;
	char *profiles_dir; /* NULL when not opened from a data dir */
};

/*
 * Store records own their strings (char *); when the service lends a
 * constant to a record that is only read, this says so.
 */
#define UNCONST(p) ((char *)(uintptr_t)(p))

/* base_url + path + name + suffix (malloc'd). */
char *egca_ca_url(const char *base_url, const char *path, const char *name,
    const char *suffix);

#endif
