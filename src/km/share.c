/*
 * The master key and its custodian shares: M-of-N splitting with
 * libgfshare (Shamir over GF(2^8), one polynomial per octet), the key
 * check value, per-share check values, the share file format, and the
 * data keys derived from the master key.
 *
 * libgfshare draws the polynomial coefficients through the global
 * gfshare_fill_rand, which is NULL until set (its own fallback uses
 * random()). Here it is set to a CSPRNG-backed function just before
 * splitting; a CSPRNG failure cannot be reported through that callback,
 * so it is recorded and the split refused afterwards.
 *
 * Share file (text, one "key: value" per line, in this order):
 *
 *   EGCA KM SHARE v1
 *   km-id: <32 hex>
 *   index: <1..16>
 *   custodians: <N>
 *   threshold: <M>
 *   master-kcv: <64 hex>
 *   share: <64 hex>
 *
 * The share alone proves nothing: the KM's store holds the check value
 * of every share, so a share of another KM, an altered one or a forged
 * one is refused at entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libgfshare.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "egca/buf.h"
#include "egca/crypto.h"
#include "km/km_int.h"

#define SHARE_MAGIC "EGCA KM SHARE v1"
#define KCV_LABEL "egca-km-master-kcv-v1"
#define CHECK_LABEL "egca-km-share-v1"
#define ESCROW_SALT "egca-km-escrow-v1"

enum egca_err
km_master_kcv(const uint8_t master[EGCA_KM_MASTER_LEN], char out[65])
{
	uint8_t *buf;
	uint8_t md[32];
	size_t n = sizeof(KCV_LABEL) - 1;
	enum egca_err e;

	if ((buf = OPENSSL_secure_malloc(n + EGCA_KM_MASTER_LEN)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "master key check value");
	memcpy(buf, KCV_LABEL, n);
	memcpy(buf + n, master, EGCA_KM_MASTER_LEN);
	e = egca_crypto_sm3(buf, n + EGCA_KM_MASTER_LEN, md);
	OPENSSL_secure_clear_free(buf, n + EGCA_KM_MASTER_LEN);
	if (e == EGCA_OK)
		egca_hex_encode(md, sizeof(md), out);
	return e;
}

enum egca_err
km_share_check(
    const char *km_id, int idx, const uint8_t share[KM_SHARE_LEN], char out[65])
{
	size_t n = sizeof(CHECK_LABEL) - 1, idl = strlen(km_id);
	size_t total = n + idl + 1 + KM_SHARE_LEN;
	uint8_t *buf, md[32];
	enum egca_err e;

	if (idx < 1 || idx > 255)
		return egca_err_set(EGCA_ERR_INPUT, "share index %d", idx);
	if ((buf = OPENSSL_secure_malloc(total)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "share check value");
	memcpy(buf, CHECK_LABEL, n);
	memcpy(buf + n, km_id, idl);
	buf[n + idl] = (uint8_t)idx;
	memcpy(buf + n + idl + 1, share, KM_SHARE_LEN);
	e = egca_crypto_sm3(buf, total, md);
	OPENSSL_secure_clear_free(buf, total);
	if (e == EGCA_OK)
		egca_hex_encode(md, sizeof(md), out);
	return e;
}

/* gfshare's randomness: the CSPRNG; a failure is kept for the caller. */
static _Thread_local int rand_failed;

static void
fill_rand(unsigned char *buf, unsigned int len)
{
	if (egca_crypto_rand(buf, len) != EGCA_OK) {
		rand_failed = 1;
		/* Never leave predictable coefficients behind. */
		memset(buf, 0, len);
	}
}

enum egca_err
km_shares_split(
    const uint8_t master[EGCA_KM_MASTER_LEN], int n, int m, uint8_t *shares)
{
	unsigned char nrs[EGCA_KM_MAX_CUSTODIANS];
	unsigned char *secret = NULL;
	gfshare_ctx *ctx = NULL;
	enum egca_err e;
	int i;

	if (n < 3 || n > EGCA_KM_MAX_CUSTODIANS || m < 2 || m > n - 1)
		return egca_err_set(EGCA_ERR_USAGE,
		    "custodians %d, threshold %d: need 3 <= N <= %d and "
		    "2 <= M <= N-1",
		    n, m, EGCA_KM_MAX_CUSTODIANS);
	for (i = 0; i < n; i++)
		nrs[i] = (unsigned char)(i + 1);
	/* gfshare_ctx_enc_setsecret wants a non-const pointer. */
	if ((secret = OPENSSL_secure_malloc(EGCA_KM_MASTER_LEN)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "shares");
	memcpy(secret, master, EGCA_KM_MASTER_LEN);
	gfshare_fill_rand = fill_rand;
	rand_failed = 0;
	if ((ctx = gfshare_ctx_init_enc(nrs, (unsigned)n, (unsigned char)m,
	         EGCA_KM_MASTER_LEN)) == NULL) {
		e = egca_err_set(EGCA_ERR_CRYPTO, "libgfshare: cannot split");
		goto out;
	}
	gfshare_ctx_enc_setsecret(ctx, secret);
	for (i = 0; i < n; i++)
		gfshare_ctx_enc_getshare(
		    ctx, (unsigned char)i, shares + KM_SHARE_LEN * (size_t)i);
	if (rand_failed) {
		OPENSSL_cleanse(shares, KM_SHARE_LEN * (size_t)n);
		e = egca_err_set(EGCA_ERR_CRYPTO,
		    "the CSPRNG failed while splitting the master key");
		goto out;
	}
	e = EGCA_OK;
out:
	/* gfshare_ctx_free overwrites the context with random octets. */
	if (ctx != NULL)
		gfshare_ctx_free(ctx);
	OPENSSL_secure_clear_free(secret, EGCA_KM_MASTER_LEN);
	return e;
}

enum egca_err
km_shares_combine(const uint8_t *idx, const uint8_t *shares, int m,
    uint8_t master[EGCA_KM_MASTER_LEN])
{
	unsigned char nrs[EGCA_KM_MAX_CUSTODIANS];
	unsigned char *share;
	gfshare_ctx *ctx;
	int j, k;

	if (m < 1 || m > EGCA_KM_MAX_CUSTODIANS)
		return egca_err_set(EGCA_ERR_INPUT, "%d shares", m);
	for (j = 0; j < m; j++) {
		if (idx[j] == 0)
			return egca_err_set(EGCA_ERR_INPUT, "share index 0");
		for (k = 0; k < j; k++)
			if (idx[k] == idx[j])
				return egca_err_set(EGCA_ERR_INPUT,
				    "share %d given twice", idx[j]);
		nrs[j] = idx[j];
	}
	if ((share = OPENSSL_secure_malloc(KM_SHARE_LEN)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "shares");
	if ((ctx = gfshare_ctx_init_dec(nrs, (unsigned)m, KM_SHARE_LEN)) ==
	    NULL) {
		OPENSSL_secure_free(share);
		return egca_err_set(
		    EGCA_ERR_CRYPTO, "libgfshare: cannot combine");
	}
	for (j = 0; j < m; j++) {
		memcpy(share, shares + KM_SHARE_LEN * (size_t)j, KM_SHARE_LEN);
		gfshare_ctx_dec_giveshare(ctx, (unsigned char)j, share);
	}
	gfshare_ctx_dec_extract(ctx, master);
	OPENSSL_secure_clear_free(share, KM_SHARE_LEN);
	/* The decoder copies no randomness: freeing only overwrites, which
	 * needs gfshare_fill_rand set. */
	gfshare_fill_rand = fill_rand;
	gfshare_ctx_free(ctx);
	return EGCA_OK;
}

enum egca_err
km_share_format(const struct km_share_file *f, struct egca_buf *out)
{
	char hex[2 * KM_SHARE_LEN + 1];
	enum egca_err e;

	egca_hex_encode(f->share, KM_SHARE_LEN, hex);
	e = egca_buf_printf(out,
	    SHARE_MAGIC "\nkm-id: %s\nindex: %d\ncustodians: %d\n"
	                "threshold: %d\nmaster-kcv: %s\nshare: %s\n",
	    f->km_id, f->index, f->custodians, f->threshold, f->kcv, hex);
	OPENSSL_cleanse(hex, sizeof(hex));
	return e;
}

/* The next line of [*p, end) without its newline into line (max). */
static int
next_line(const char **p, const char *end, char *line, size_t max)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - *p);
	if (n >= max)
		return 0;
	memcpy(line, *p, n);
	line[n] = '\0';
	*p = nl + 1;
	return 1;
}

/* "key: value" with value [a-f0-9] of exactly hex_len, or digits. */
static int
field(const char *line, const char *key, const char **value)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) != 0 || line[n] != ':' || line[n + 1] != ' ')
		return 0;
	*value = line + n + 2;
	return 1;
}

static int
lower_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

static int
small_int(const char *s, int min, int max, int *out)
{
	int v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 2 || (n == 2 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

enum egca_err
km_share_parse(const uint8_t *text, size_t len, struct km_share_file *f)
{
	const char *p = (const char *)text, *end = p + len, *v;
	char *line;
	size_t got;
	enum egca_err e = EGCA_OK;
	const size_t max = 160;

	memset(f, 0, sizeof(*f));
	if (len > 4096)
		return egca_err_set(EGCA_ERR_INPUT, "share file: too long");
	if ((line = OPENSSL_secure_zalloc(max)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "share file");
#define LINE(what)                                                             \
	do {                                                                   \
		if (!next_line(&p, end, line, max)) {                          \
			e = egca_err_set(EGCA_ERR_INPUT,                       \
			    "share file: line '%s' missing or too long",       \
			    what);                                             \
			goto out;                                              \
		}                                                              \
	} while (0)
	LINE(SHARE_MAGIC);
	if (strcmp(line, SHARE_MAGIC) != 0) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "share file: not an egca KM share (first line must be "
		    "'" SHARE_MAGIC "')");
		goto out;
	}
	LINE("km-id");
	if (!field(line, "km-id", &v) || !lower_hex(v, 32)) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "share file: km-id must be 32 lower-case hex digits");
		goto out;
	}
	memcpy(f->km_id, v, 33);
	LINE("index");
	if (!field(line, "index", &v) ||
	    !small_int(v, 1, EGCA_KM_MAX_CUSTODIANS, &f->index)) {
		e = egca_err_set(
		    EGCA_ERR_INPUT, "share file: index must be 1 to 16");
		goto out;
	}
	LINE("custodians");
	if (!field(line, "custodians", &v) ||
	    !small_int(v, 3, EGCA_KM_MAX_CUSTODIANS, &f->custodians) ||
	    f->index > f->custodians) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "share file: custodians must be 3 to 16 and at least the "
		    "index");
		goto out;
	}
	LINE("threshold");
	if (!field(line, "threshold", &v) ||
	    !small_int(v, 2, f->custodians - 1, &f->threshold)) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "share file: threshold must be 2 to custodians - 1");
		goto out;
	}
	LINE("master-kcv");
	if (!field(line, "master-kcv", &v) || !lower_hex(v, 64)) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "share file: master-kcv must be 64 lower-case hex digits");
		goto out;
	}
	memcpy(f->kcv, v, 65);
	LINE("share");
	if (!field(line, "share", &v) || !lower_hex(v, 2 * KM_SHARE_LEN) ||
	    egca_hex_decode(v, f->share, KM_SHARE_LEN, &got) != EGCA_OK ||
	    got != KM_SHARE_LEN) {
		egca_err_clear();
		e = egca_err_set(EGCA_ERR_INPUT,
		    "share file: share must be 64 lower-case hex digits");
		goto out;
	}
	if (p != end) {
		e = egca_err_set(
		    EGCA_ERR_INPUT, "share file: text after the share line");
		goto out;
	}
#undef LINE
out:
	OPENSSL_secure_clear_free(line, max);
	if (e != EGCA_OK)
		OPENSSL_cleanse(f, sizeof(*f));
	return e;
}

enum egca_err
km_derive_data_key(const uint8_t master[EGCA_KM_MASTER_LEN], const char *key_id,
    uint8_t key[32])
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5], *p = params;
	enum egca_err e = EGCA_OK;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		e = egca_err_ossl(EGCA_ERR_CRYPTO, "HKDF not available");
		goto out;
	}
	*p++ = OSSL_PARAM_construct_utf8_string(
	    OSSL_KDF_PARAM_DIGEST, (char *)(uintptr_t) "SM3", 0);
	*p++ = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)master, EGCA_KM_MASTER_LEN);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)ESCROW_SALT, sizeof(ESCROW_SALT) - 1);
	*p++ = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_INFO, (void *)(uintptr_t)key_id, strlen(key_id));
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, key, 32, params) != 1)
		e = egca_err_ossl(EGCA_ERR_CRYPTO, "HKDF-SM3");
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	if (e != EGCA_OK)
		OPENSSL_cleanse(key, 32);
	return e;
}

enum egca_err
km_data_key(struct egca_km *km, const char *key_id, uint8_t key[32])
{
	enum egca_err e;

	pthread_mutex_lock(&km->lock);
	if (km->master == NULL)
		e = egca_err_set(EGCA_ERR_STATE, "KM is sealed");
	else
		e = km_derive_data_key(km->master, key_id, key);
	pthread_mutex_unlock(&km->lock);
	return e;
}
