/*
 * Fuzz target for egca_pki_csr_parse() (PEM or DER PKCS#10 from
 * applicants): PEM reader, d2i_X509_REQ, the DER walk, key policy,
 * signature and subject checks.
 */
#include <stddef.h>
#include <stdint.h>

#include "egca/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egca_csr *csr = NULL;

	if (egca_pki_csr_parse(data, size, &csr) == EGCA_OK) {
		/* The pointers must lie inside the owned copy. */
		if (csr->subject < csr->der ||
		    csr->subject + csr->subject_len > csr->der + csr->der_len ||
		    csr->spki < csr->der ||
		    csr->spki + csr->spki_len > csr->der + csr->der_len)
			__builtin_trap();
	}
	egca_pki_csr_free(csr);
	return 0;
}
