/*
 * The CSPRNG and one-shot digests. Digests are fetched once per process:
 * an implicit fetch per call costs a provider lookup each time.
 */
#include <limits.h>
#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "egca/crypto.h"

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sm3, *md_sha1, *md_sha256;

static void
md_fetch(void)
{
	md_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

enum egca_err
egca_crypto_rand(uint8_t *buf, size_t len)
{
	if (len > INT_MAX || RAND_priv_bytes(buf, (int)len) != 1)
		return egca_err_ossl(EGCA_ERR_CRYPTO, "RAND_priv_bytes");
	return EGCA_OK;
}

static enum egca_err
digest(
    EVP_MD **md, const char *name, const void *data, size_t len, uint8_t *out)
{
	if (pthread_once(&md_once, md_fetch) != 0 || *md == NULL)
		return egca_err_ossl(EGCA_ERR_CRYPTO, "%s not available", name);
	if (EVP_Digest(data, len, out, NULL, *md, NULL) != 1)
		return egca_err_ossl(EGCA_ERR_CRYPTO, "%s failed", name);
	return EGCA_OK;
}

enum egca_err
egca_crypto_sm3(const void *data, size_t len, uint8_t out[32])
{
	return digest(&md_sm3, "SM3", data, len, out);
}

enum egca_err
egca_crypto_sha1(const void *data, size_t len, uint8_t out[20])
{
	return digest(&md_sha1, "SHA-1", data, len, out);
}

enum egca_err
egca_crypto_sha256(const void *data, size_t len, uint8_t out[32])
{
	return digest(&md_sha256, "SHA-256", data, len, out);
}
