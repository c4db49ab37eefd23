/*
 * Fuzz target for egca_pki_ocsp_request_parse() (DER OCSPRequest from
 * any client on the network) and, for what parses, the response decoder
 * on the same bytes: every pointer handed out must lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "egca/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	if (p != NULL && (p < data || p + len > data + size))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egca_ocsp_certid ids[EGCA_OCSP_DEFAULT_MAX_CERTIDS];
	struct egca_ocsp_request r;
	struct egca_ocsp_response_info info;
	size_t i;

	if (egca_pki_ocsp_request_parse(data, size, ids,
	        EGCA_OCSP_DEFAULT_MAX_CERTIDS, &r) == EGCA_OK) {
		if (r.n_ids == 0 || r.n_ids > EGCA_OCSP_DEFAULT_MAX_CERTIDS)
			__builtin_trap();
		for (i = 0; i < r.n_ids; i++) {
			inside(ids[i].raw, ids[i].raw_len, data, size);
			inside(ids[i].serial, ids[i].serial_len, data, size);
			inside(
			    ids[i].name_hash, ids[i].name_hash_len, data, size);
			inside(
			    ids[i].key_hash, ids[i].key_hash_len, data, size);
		}
		if (r.has_nonce)
			inside(r.nonce_ext, r.nonce_ext_len, data, size);
	}
	if (egca_pki_ocsp_response_parse(data, size, &info) == EGCA_OK &&
	    info.status == 0) {
		inside(info.tbs, info.tbs_len, data, size);
		inside(info.sig, info.sig_len, data, size);
		inside(info.cert, info.cert_len, data, size);
		if (info.n_singles > EGCA_OCSP_INFO_MAX_SINGLES)
			__builtin_trap();
	}
	return 0;
}
