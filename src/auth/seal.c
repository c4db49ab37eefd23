/*
 * Sealing of the TOTP seeds: AES-256-GCM under DIR/keys/auth.key (32
 * random bytes, mode 0600). A sealed blob is nonce (12 random bytes) ||
 * ciphertext || tag (16); the additional data binds it to one operator
 * name, so a seed copied to another row does not open.
 *
 * The key file is made on first use: written to a temporary file, then
 * link()ed into place, which fails when another process got there
 * first; the loser reads the winner's key. A short or too open key file
 * is refused, never replaced (replacing it would lose every seed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "egca/crypto.h"
#include "egca/file.h"
#include "auth/auth_int.h"

#define KEY_LEN 32
#define KEY_FILE "auth.key"

static enum egca_err
read_key(const char *path, uint8_t key[KEY_LEN])
{
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return EGCA_ERR_NOTFOUND; /* no detail: made next */
		return egca_err_set(
		    EGCA_ERR_IO, "keys/%s: %s", KEY_FILE, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return egca_err_set(
		    EGCA_ERR_IO, "keys/%s: not a regular file", KEY_FILE);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return egca_err_set(EGCA_ERR_POLICY,
		    "keys/%s: readable by others (mode %03o); chmod 600",
		    KEY_FILE, (unsigned)(sb.st_mode & 0777));
	}
	if (sb.st_size != KEY_LEN) {
		close(fd);
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "keys/%s: %lld bytes, expected %d", KEY_FILE,
		    (long long)sb.st_size, KEY_LEN);
	}
	while (got < KEY_LEN) {
		n = read(fd, key + got, KEY_LEN - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			OPENSSL_cleanse(key, KEY_LEN);
			return egca_err_set(
			    EGCA_ERR_IO, "keys/%s: short read", KEY_FILE);
		}
		got += (size_t)n;
	}
	close(fd);
	return EGCA_OK;
}

static enum egca_err
make_key(const char *dir, const char *path)
{
	uint8_t key[KEY_LEN], r[8];
	char tmp[4096], hex[17];
	enum egca_err err;
	ssize_t n;
	int fd = -1;

	if ((err = egca_file_mkdirs(dir, 0700)) != EGCA_OK)
		return err;
	if ((err = egca_crypto_rand(r, sizeof(r))) != EGCA_OK)
		return err;
	egca_hex_encode(r, sizeof(r), hex);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%s", path, hex) >=
	    sizeof(tmp))
		return egca_err_set(
		    EGCA_ERR_IO, "keys/%s: path too long", KEY_FILE);
	if ((err = egca_crypto_rand(key, sizeof(key))) != EGCA_OK)
		return err;
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = egca_err_set(
		    EGCA_ERR_IO, "keys/%s: %s", KEY_FILE, strerror(errno));
		goto out;
	}
	n = write(fd, key, sizeof(key));
	if (n != (ssize_t)sizeof(key) || fsync(fd) != 0) {
		err = egca_err_set(
		    EGCA_ERR_IO, "keys/%s: write failed", KEY_FILE);
		goto out;
	}
	close(fd);
	fd = -1;
	/* link() refuses an existing name: the first process wins. */
	if (link(tmp, path) != 0 && errno != EEXIST) {
		err = egca_err_set(
		    EGCA_ERR_IO, "keys/%s: %s", KEY_FILE, strerror(errno));
		goto out;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
		fd = -1;
	}
	err = EGCA_OK;
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

static enum egca_err
load_key(const struct egca_config *cfg, uint8_t key[KEY_LEN])
{
	enum egca_err err;
	char *path;

	if (cfg == NULL || cfg->keys_dir == NULL)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "auth: no keys directory configured");
	if ((path = egca_file_join(cfg->keys_dir, KEY_FILE)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "auth: key path");
	err = read_key(path, key);
	if (err == EGCA_ERR_NOTFOUND) {
		if ((err = make_key(cfg->keys_dir, path)) == EGCA_OK)
			err = read_key(path, key);
		if (err == EGCA_ERR_NOTFOUND)
			err = egca_err_set(EGCA_ERR_IO,
			    "keys/%s: vanished after creation", KEY_FILE);
	}
	free(path);
	return err;
}

enum egca_err
auth_seal(const struct egca_config *cfg, const uint8_t *in, size_t in_len,
    const char *aad, uint8_t **out, size_t *out_len)
{
	uint8_t key[KEY_LEN], *buf = NULL;
	EVP_CIPHER_CTX *c = NULL;
	enum egca_err err;
	int n, m;

	*out = NULL;
	*out_len = 0;
	if (in_len > 4096)
		return egca_err_set(EGCA_ERR_INTERNAL, "seal: input too long");
	if ((err = load_key(cfg, key)) != EGCA_OK)
		return err;
	if ((buf = malloc(in_len + AUTH_SEAL_OVERHEAD)) == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "seal: buffer");
		goto out;
	}
	if ((err = egca_crypto_rand(buf, AUTH_SEAL_NONCE)) != EGCA_OK)
		goto out;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
	        c, EVP_CTRL_GCM_SET_IVLEN, AUTH_SEAL_NONCE, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, key, buf) != 1 ||
	    EVP_EncryptUpdate(
	        c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(c, buf + AUTH_SEAL_NONCE, &n, in, (int)in_len) !=
	        1 ||
	    EVP_EncryptFinal_ex(c, buf + AUTH_SEAL_NONCE + n, &m) != 1 ||
	    (size_t)(n + m) != in_len ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, AUTH_SEAL_TAG,
	        buf + AUTH_SEAL_NONCE + in_len) != 1) {
		err = egca_err_ossl(EGCA_ERR_CRYPTO, "seal: AES-256-GCM");
		goto out;
	}
	*out = buf;
	*out_len = in_len + AUTH_SEAL_OVERHEAD;
	buf = NULL;
	err = EGCA_OK;
out:
	EVP_CIPHER_CTX_free(c);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, in_len + AUTH_SEAL_OVERHEAD);
		free(buf);
	}
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

enum egca_err
auth_unseal(const struct egca_config *cfg, const uint8_t *in, size_t in_len,
    const char *aad, uint8_t *out, size_t out_max, size_t *out_len)
{
	uint8_t key[KEY_LEN], tag[AUTH_SEAL_TAG];
	EVP_CIPHER_CTX *c = NULL;
	size_t ct_len;
	enum egca_err err;
	int n, m;

	*out_len = 0;
	if (in == NULL || in_len < AUTH_SEAL_OVERHEAD ||
	    in_len - AUTH_SEAL_OVERHEAD > out_max)
		return egca_err_set(
		    EGCA_ERR_INTEGRITY, "seal: sealed value has a bad length");
	ct_len = in_len - AUTH_SEAL_OVERHEAD;
	memcpy(tag, in + AUTH_SEAL_NONCE + ct_len, sizeof(tag));
	if ((err = load_key(cfg, key)) != EGCA_OK)
		return err;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
	        c, EVP_CTRL_GCM_SET_IVLEN, AUTH_SEAL_NONCE, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(
	        c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(c, out, &n, in + AUTH_SEAL_NONCE, (int)ct_len) !=
	        1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AUTH_SEAL_TAG, tag) !=
	        1) {
		err = egca_err_ossl(EGCA_ERR_CRYPTO, "seal: AES-256-GCM");
		goto out;
	}
	if (EVP_DecryptFinal_ex(c, out + n, &m) != 1) {
		OPENSSL_cleanse(out, out_max);
		err = egca_err_set(EGCA_ERR_INTEGRITY,
		    "seal: sealed value does not open (keys/%s changed, or the"
		    " row was altered)",
		    KEY_FILE);
		goto out;
	}
	*out_len = (size_t)(n + m);
	err = EGCA_OK;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}
