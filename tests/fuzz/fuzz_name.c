/*
 * Fuzz target for distinguished names: egca_pki_name_parse() on the
 * operator's text form (--subject) and egca_pki_name_check() /
 * egca_pki_name_to_text() on DER names from CSRs. A name that parses
 * must check, render and parse again to the same DER.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egca/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *rendered = NULL;
	uint8_t *der = NULL, *der2 = NULL;
	size_t len, len2;

	if (size > 4096)
		return 0;
	/* The DER side: untrusted bytes as they come in a CSR. */
	if (egca_pki_name_check(data, size) == EGCA_OK &&
	    egca_pki_name_to_text(data, size, &rendered) == EGCA_OK)
		free(rendered);
	rendered = NULL;
	/* The text side. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (egca_pki_name_parse(text, &der, &len) == EGCA_OK) {
		if (egca_pki_name_check(der, len) != EGCA_OK ||
		    egca_pki_name_to_text(der, len, &rendered) != EGCA_OK)
			__builtin_trap();
		if (egca_pki_name_parse(rendered, &der2, &len2) != EGCA_OK ||
		    len2 != len || memcmp(der, der2, len) != 0)
			__builtin_trap();
	}
	free(text);
	free(rendered);
	free(der);
	free(der2);
	return 0;
}
