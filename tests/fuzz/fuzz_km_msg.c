/*
 * Fuzz target for the GM/T 0014 CA <-> KM message parsers:
 * egca_km_request_parse() (CARequest) and egca_km_response_parse()
 * (KMRespond), both run on every input. Checks: every pointer of an
 * accepted message lies inside the input; the signed part is where the
 * parser says; what is accepted re-encodes (signed with a fixed test
 * key) into a message that parses again with the same items.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/km.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct egca_signer *
fuzz_signer(void)
{
	static struct egca_signer *s;

	if (s == NULL &&
	    egca_signer_generate(EGCA_KEY_SM2, 0, EGCA_SIGN_CERT, &s) !=
	        EGCA_OK)
		__builtin_trap();
	return s;
}

static void
inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	if (p == NULL) {
		if (len != 0)
			__builtin_trap();
		return;
	}
	if (p < data || p + len > data + size)
		__builtin_trap();
}

static void
entname_inside(
    const struct egca_km_entname *e, const uint8_t *data, size_t size)
{
	inside(e->name, e->name_len, data, size);
	inside(e->serial, e->serial_len, data, size);
	if (e->name_len == 0 || e->serial_len == 0 || e->serial_len > 20)
		__builtin_trap();
}

static void
request_case(const uint8_t *data, size_t size)
{
	struct egca_km_request *r, *r2;
	struct egca_buf b;
	size_t i;

	r = calloc(1, sizeof(*r));
	r2 = calloc(1, sizeof(*r2));
	if (r == NULL || r2 == NULL)
		__builtin_trap();
	if (egca_km_request_parse(data, size, r) != EGCA_OK)
		goto out;
	entname_inside(&r->ca, data, size);
	inside(r->tbs, r->tbs_len, data, size);
	inside(r->sig, r->sig_len, data, size);
	inside(r->task, r->task_len, data, size);
	if (r->n_items == 0 || r->n_items > EGCA_KM_ITEMS_MAX)
		__builtin_trap();
	for (i = 0; i < r->n_items; i++) {
		inside(
		    r->items[i].cert_no, r->items[i].cert_no_len, data, size);
		inside(r->items[i].user_spki, r->items[i].user_spki_len, data,
		    size);
		inside(r->items[i].user_name, r->items[i].user_name_len, data,
		    size);
		inside(
		    r->items[i].ds_code, r->items[i].ds_code_len, data, size);
		inside(r->items[i].extend_info, r->items[i].extend_info_len,
		    data, size);
	}
	egca_buf_init(&b, EGCA_KM_MSG_MAX);
	if (egca_km_request_sign(r, fuzz_signer(), &b) == EGCA_OK) {
		if (egca_km_request_parse(b.data, b.len, r2) != EGCA_OK ||
		    r2->n_items != r->n_items)
			__builtin_trap();
		for (i = 0; i < r->n_items; i++)
			if (r2->items[i].kind != r->items[i].kind ||
			    r2->items[i].cert_no_len != r->items[i].cert_no_len)
				__builtin_trap();
	}
	egca_buf_free(&b);
out:
	free(r);
	free(r2);
}

static void
response_case(const uint8_t *data, size_t size)
{
	struct egca_km_response *r, *r2;
	struct egca_buf b;
	size_t i;

	r = calloc(1, sizeof(*r));
	r2 = calloc(1, sizeof(*r2));
	if (r == NULL || r2 == NULL)
		__builtin_trap();
	if (egca_km_response_parse(data, size, r) != EGCA_OK)
		goto out;
	entname_inside(&r->km, data, size);
	inside(r->tbs, r->tbs_len, data, size);
	inside(r->sig, r->sig_len, data, size);
	for (i = 0; i < r->n_items; i++) {
		inside(
		    r->items[i].cert_no, r->items[i].cert_no_len, data, size);
		inside(
		    r->items[i].pub_spki, r->items[i].pub_spki_len, data, size);
		inside(
		    r->items[i].envelope, r->items[i].envelope_len, data, size);
		inside(
		    r->items[i].err_desc, r->items[i].err_desc_len, data, size);
	}
	egca_buf_init(&b, EGCA_KM_MSG_MAX);
	if (egca_km_response_sign(r, fuzz_signer(), &b) == EGCA_OK) {
		if (egca_km_response_parse(b.data, b.len, r2) != EGCA_OK ||
		    r2->n_items != r->n_items)
			__builtin_trap();
		for (i = 0; i < r->n_items; i++)
			if (r2->items[i].kind != r->items[i].kind)
				__builtin_trap();
	}
	egca_buf_free(&b);
out:
	free(r);
	free(r2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request_case(data, size);
	response_case(data, size);
	return 0;
}
