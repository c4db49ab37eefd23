/*
 * Unencrypted private key files, for keys that live outside a data
 * directory: a holder's signing key exported from a token or made with
 * `openssl genpkey`, and an opened encryption key written for a holder
 * who chose no passphrase. egca's own keys are always encrypted
 * (key.c).
 *
 * Not checked here: who may read the file (the caller warns).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "egca/crypto.h"
#include "egca/file.h"

#include "crypto_int.h"

#define KEY_FILE_MAX ((size_t)64 << 10)

/* Never prompt: an encrypted PEM key is refused, not asked for. */
static int
no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

enum egca_err
egca_crypto_key_load_plain(const char *path, EVP_PKEY **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	const unsigned char *p;
	BIO *bio = NULL;
	EVP_PKEY *k = NULL;
	enum egca_err rc;

	*out = NULL;
	if ((rc = egca_file_read(path, KEY_FILE_MAX, &data, &len)) != EGCA_OK)
		goto out;
	if (len > INT_MAX) {
		rc = egca_err_set(EGCA_ERR_INPUT, "%s: too large", path);
		goto out;
	}
	if (strstr((const char *)data, "-----BEGIN ENCRYPTED PRIVATE KEY") !=
	        NULL ||
	    strstr((const char *)data, "Proc-Type: 4,ENCRYPTED") != NULL) {
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "%s: the key is encrypted (a passphrase is needed)", path);
		goto out;
	}
	if (strstr((const char *)data, "-----BEGIN ") != NULL) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
			rc = egca_err_ossl(EGCA_ERR_NOMEM, "%s", path);
			goto out;
		}
		k = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
	} else {
		p = data;
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
		if (k != NULL && (size_t)(p - data) != len) {
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	if (k == NULL) {
		ERR_clear_error();
		rc = egca_err_set(
		    EGCA_ERR_INPUT, "%s: not a PEM or DER private key", path);
		goto out;
	}
	if ((rc = crypto_key_loaded(&k, path)) != EGCA_OK)
		goto out;
	*out = k;
	k = NULL;
	rc = EGCA_OK;
out:
	EVP_PKEY_free(k);
	BIO_free(bio);
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return rc;
}

enum egca_err
egca_crypto_key_save_plain(const EVP_PKEY *key, const char *path)
{
	BIO *bio = NULL;
	char *pem;
	long pem_len = 0;
	enum egca_err rc;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(
	        bio, crypto_unconst(key), NULL, NULL, 0, NULL, NULL) != 1 ||
	    (pem_len = BIO_get_mem_data(bio, &pem)) <= 0) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "%s: PEM encoding", path);
		goto out;
	}
	rc = egca_file_write_atomic(path, pem, (size_t)pem_len, 0600);
	OPENSSL_cleanse(pem, (size_t)pem_len);
out:
	BIO_free(bio);
	return rc;
}
