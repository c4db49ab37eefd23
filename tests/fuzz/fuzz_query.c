/*
 * Fuzz target for the HTTP query-string parser (src/http/query.c) and
 * the decoders behind it: http_query_parse over the search parameters,
 * then every value through the integer, date and serial parsers, and
 * the raw input through the percent and base64 decoders (OCSP GET).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egca/ca.h"
#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_query *q;
	char *s, bad[72], serial[41], *pct;
	uint8_t *der;
	size_t i, n, m;
	int64_t v;

	if (size > 3 * HTTP_QUERY_MAX_LEN)
		return 0;
	if ((s = malloc(size + 1)) == NULL ||
	    (q = malloc(sizeof(*q))) == NULL) {
		free(s);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_query_parse(s, http_search_params, q, bad, sizeof(bad)) ==
	    EGCA_OK) {
		if (q->n > HTTP_QUERY_MAX_PARAMS)
			__builtin_trap();
		for (i = 0; i < q->n; i++) {
			if (http_query_get(q, q->name[i]) != q->value[i] ||
			    !http_utf8_valid(q->value[i], strlen(q->value[i])))
				__builtin_trap();
			/* Accepted values are plain digits / dates / hex. */
			if (http_parse_int(q->value[i], 0, INT64_MAX, &v) ==
			        EGCA_OK &&
			    v < 0)
				__builtin_trap();
			if (http_parse_date(q->value[i], 1, &v) == EGCA_OK &&
			    strlen(q->value[i]) != 10 &&
			    strlen(q->value[i]) != 20)
				__builtin_trap();
			if (egca_ca_serial_parse(q->value[i], serial) ==
			        EGCA_OK &&
			    strlen(serial) > 40)
				__builtin_trap();
		}
	}
	pct = malloc(size + 1);
	der = malloc(size + 1);
	if (pct != NULL && der != NULL &&
	    http_pct_decode(s, size, 0, pct, size, &n) == EGCA_OK &&
	    http_b64_decode(pct, n, der, size, &m) == EGCA_OK && m > n)
		__builtin_trap();
	free(pct);
	free(der);
	free(q);
	free(s);
	return 0;
}
