/*
 * Fuzz target for the enveloped-key parsers: egca_envelope_parse()
 * (GM/T 0009 SM2EnvelopedKey DER) and egca_envelope_skf_parse() (GM/T
 * 0016 ENVELOPEDKEYBLOB), both run on every input, and for what they
 * accept egca_envelope_open_parsed() with a fixed SM2 key (the seeds
 * are sealed to it). Checks: an SKF blob re-encodes to the same
 * octets; a DER envelope re-encodes to a canonical form that parses
 * again to the same octets; the two forms convert into each other;
 * opening gives a key pair, or AUTH / INTEGRITY, nothing else.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egca/crypto.h"
#include "sm2_fuzz_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
try_open(const struct egca_envelope *env)
{
	EVP_PKEY *got = NULL;

	switch (egca_envelope_open_parsed(fuzz_key(), env, &got)) {
	case EGCA_OK:
		if (got == NULL)
			__builtin_trap();
		break;
	case EGCA_ERR_AUTH:
	case EGCA_ERR_INTEGRITY:
		if (got != NULL)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	EVP_PKEY_free(got);
}

static void
der_case(const uint8_t *data, size_t size)
{
	struct egca_envelope env, env2;
	uint8_t *der = NULL, *der2 = NULL, *blob = NULL;
	size_t len, len2, blob_len;

	if (egca_envelope_parse(data, size, &env) != EGCA_OK)
		return;
	if (env.key.c2 < data || env.key.c2 + env.key.c2_len > data + size ||
	    env.key.c2_len != 16)
		__builtin_trap();
	if (egca_envelope_encode(&env, &der, &len) != EGCA_OK ||
	    egca_envelope_parse(der, len, &env2) != EGCA_OK ||
	    egca_envelope_encode(&env2, &der2, &len2) != EGCA_OK ||
	    len2 != len || memcmp(der, der2, len) != 0)
		__builtin_trap();
	if (egca_envelope_skf_encode(&env, &blob, &blob_len) != EGCA_OK ||
	    blob_len != EGCA_ENVELOPE_SKF_LEN ||
	    egca_envelope_skf_parse(blob, blob_len, &env2) != EGCA_OK)
		__builtin_trap();
	try_open(&env);
	free(der);
	free(der2);
	free(blob);
}

static void
skf_case(const uint8_t *data, size_t size)
{
	struct egca_envelope env, env2;
	uint8_t *blob = NULL, *der = NULL;
	size_t blob_len, len;

	if (egca_envelope_skf_parse(data, size, &env) != EGCA_OK)
		return;
	if (egca_envelope_skf_encode(&env, &blob, &blob_len) != EGCA_OK ||
	    blob_len != size || memcmp(blob, data, size) != 0)
		__builtin_trap();
	if (egca_envelope_encode(&env, &der, &len) != EGCA_OK ||
	    egca_envelope_parse(der, len, &env2) != EGCA_OK)
		__builtin_trap();
	try_open(&env);
	free(blob);
	free(der);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	der_case(data, size);
	skf_case(data, size);
	return 0;
}
