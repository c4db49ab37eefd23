/*
 * Fuzz target for egca_crypto_sm2_cipher_parse() (GM/T 0009 SM2Cipher
 * DER, the part of an enveloped key OpenSSL's SM2 decryption reads)
 * and, for what it accepts, egca_crypto_sm2_decrypt_cipher() with a
 * fixed SM2 key: OpenSSL only ever sees ciphertexts egca validated.
 * Accepted input is canonical DER, so encoding it again must give the
 * same octets. The seed corpus is encrypted to the key below.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egca/crypto.h"
#include "sm2_fuzz_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egca_sm2_cipher c;
	uint8_t *der = NULL, out[256];
	size_t len = 0, n = 0;

	if (egca_crypto_sm2_cipher_parse(data, size, &c) != EGCA_OK)
		return 0;
	if (c.c2 < data || c.c2 + c.c2_len > data + size || c.c2_len == 0 ||
	    c.c2_len > EGCA_SM2_PLAIN_MAX)
		__builtin_trap();
	if (egca_crypto_sm2_cipher_encode(&c, &der, &len) != EGCA_OK ||
	    len != size || memcmp(der, data, size) != 0)
		__builtin_trap();
	free(der);
	/* Decryption: EGCA_OK for the seeds, AUTH for mutations. */
	switch (egca_crypto_sm2_decrypt_cipher(
	    fuzz_key(), &c, out, sizeof(out), &n)) {
	case EGCA_OK:
		if (n != c.c2_len)
			__builtin_trap();
		break;
	case EGCA_ERR_AUTH:
	case EGCA_ERR_INPUT: /* longer than out */
		if (n != 0)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	return 0;
}
