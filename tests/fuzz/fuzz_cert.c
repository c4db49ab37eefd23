/*
 * Fuzz target for certificate inspection: egca_pki_pem_decode(),
 * egca_pki_cert_info(), and egca_pki_verify_signed() of the input with
 * its own key (so self-signed inputs reach the SM2/ECDSA/RSA verifiers)
 * and egca_pki_verify_chain() of the input as its own anchor.
 */
#include <stddef.h>
#include <stdint.h>

#include "egca/crypto.h"
#include "egca/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egca_der_list l = {0};
	struct egca_cert_info ci;
	struct egca_verify_result res;
	EVP_PKEY *k = NULL;
	size_t i, ok = 0;

	if (egca_pki_pem_decode(data, size, "CERTIFICATE", &l) != EGCA_OK)
		return 0;
	for (i = 0; i < l.n && i < 4; i++) {
		if (egca_pki_cert_info(l.der[i], l.len[i], &ci) != EGCA_OK)
			continue;
		if (egca_crypto_spki_decode(ci.spki_der, ci.spki_der_len, &k) ==
		    EGCA_OK) {
			if (egca_pki_verify_signed(l.der[i], l.len[i], k) ==
			    EGCA_OK)
				ok++;
			EVP_PKEY_free(k);
			k = NULL;
		}
		if (egca_pki_verify_chain(l.der[i], l.len[i], &l, &l,
		        ci.not_before, &res) == EGCA_OK)
			ok++;
		egca_pki_cert_info_free(&ci);
	}
	egca_der_list_free(&l);
	/* Results are not checked: the sanitizers are the oracle. */
	sink += ok;
	return 0;
}
