/*
 * The SM2 key of the fuzz targets that open what they parse
 * (fuzz_envelope.c, fuzz_sm2_cipher.c): their seed corpora are sealed
 * or encrypted to it. A test key, public here: never used for anything
 * else.
 */
#ifndef EGCA_SM2_FUZZ_KEY_H
#define EGCA_SM2_FUZZ_KEY_H

#include <openssl/bio.h>
#include <openssl/pem.h>

static const char key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgsdR+e1k2SXwag0zj\n"
    "M4jHy8scD3YCDvfu78BKc+s5EMmhRANCAASYE/+5wvGx+XvQE+3ZZy2yuimywN/o\n"
    "6J7Z+nAYKqgxpapYLmNQvxfDi4jMarBeuPwTQc4Mjp18/cqa5nqRL/7/\n"
    "-----END PRIVATE KEY-----\n";

/* The key, loaded once; traps when it cannot be. */
static EVP_PKEY *
fuzz_key(void)
{
	static EVP_PKEY *k;
	BIO *b;

	if (k == NULL) {
		if ((b = BIO_new_mem_buf(key_pem, -1)) == NULL)
			__builtin_trap();
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		if (k == NULL)
			__builtin_trap();
	}
	return k;
}

#endif
