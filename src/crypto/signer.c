/*
 * The signer (DESIGN.md §2): the only way a private key is used. A
 * signer is opened for a set of purposes and refuses the others. The
 * backend sits behind struct signer_ops; the software backend (a key
 * in the OpenSSL secure heap) is the only one today, PKCS#11 and SDF
 * will be others.
 *
 * The software backend keeps a signing context initialised once at
 * open (digest fetched, key bound, SM2 user ID set) and copies it per
 * signature: in OpenSSL 3.0 initialising costs about as much as an
 * ECDSA signature. The copy is taken under a mutex so one signer
 * serves many threads; the signature itself runs outside the lock.
 *
 * Not checked here: what is signed (pki/ builds and lints the TBS).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "egca/crypto.h"

#include "crypto_int.h"

struct signer_ops {
	const char *name;
	enum egca_err (*sign)(
	    struct egca_signer *, const uint8_t *, size_t, uint8_t *, size_t *);
	/* NULL when the key cannot leave the backend. */
	enum egca_err (*save)(
	    const struct egca_signer *, const char *, const char *, size_t);
	void (*free)(struct egca_signer *);
};

struct egca_signer {
	const struct signer_ops *ops;
	void *impl;
	unsigned purposes;
	enum egca_key_alg key_alg;
	enum egca_sig_alg sig_alg;
	size_t sig_max;
	uint8_t *spki;
	size_t spki_len;
	EVP_PKEY *pub; /* public half only, from spki */
};

struct soft {
	EVP_PKEY *key;
	EVP_MD_CTX *tmpl; /* initialised for signing, never updated */
	pthread_mutex_t lock;
};

#define PURPOSES_ALL                                                           \
	(EGCA_SIGN_CERT | EGCA_SIGN_CRL | EGCA_SIGN_OCSP | EGCA_SIGN_CSR |     \
	    EGCA_SIGN_AUDIT)

static const char *
purpose_name(enum egca_sign_purpose p)
{
	switch (p) {
	case EGCA_SIGN_CERT:
		return "certificates";
	case EGCA_SIGN_CRL:
		return "CRLs";
	case EGCA_SIGN_OCSP:
		return "OCSP responses";
	case EGCA_SIGN_CSR:
		return "certificate requests";
	case EGCA_SIGN_AUDIT:
		return "audit records";
	}
	return "(unknown purpose)";
}

static enum egca_err
soft_sign(struct egca_signer *s, const uint8_t *tbs, size_t tbs_len,
    uint8_t *sig, size_t *sig_len)
{
	struct soft *sw = s->impl;
	EVP_MD_CTX *mctx;
	int ok;
	enum egca_err rc;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return egca_err_ossl(EGCA_ERR_NOMEM, "EVP_MD_CTX_new");
	if (pthread_mutex_lock(&sw->lock) != 0) {
		EVP_MD_CTX_free(mctx);
		return egca_err_set(EGCA_ERR_INTERNAL, "signer: lock");
	}
	ok = EVP_MD_CTX_copy_ex(mctx, sw->tmpl);
	(void)pthread_mutex_unlock(&sw->lock);
	if (ok != 1) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "signer: context copy");
		goto out;
	}
	/* A one-use context: no internal copy before the final step. */
	EVP_MD_CTX_set_flags(mctx, EVP_MD_CTX_FLAG_FINALISE);
	if (EVP_DigestSign(mctx, sig, sig_len, tbs, tbs_len) != 1) {
		rc = egca_err_ossl(EGCA_ERR_CRYPTO, "signer: %s failed",
		    egca_crypto_sig_alg_name(s->sig_alg));
		goto out;
	}
	rc = EGCA_OK;
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}

static enum egca_err
soft_save(const struct egca_signer *s, const char *path, const char *pass,
    size_t pass_len)
{
	const struct soft *sw = s->impl;

	return egca_crypto_key_save(sw->key, path, pass, pass_len);
}

static void
soft_free(struct egca_signer *s)
{
	struct soft *sw = s->impl;

	if (sw == NULL)
		return;
	EVP_MD_CTX_free(sw->tmpl);
	EVP_PKEY_free(sw->key); /* clears the private key */
	(void)pthread_mutex_destroy(&sw->lock);
	free(sw);
}

static const struct signer_ops soft_ops = {
    .name = "software",
    .sign = soft_sign,
    .save = soft_save,
    .free = soft_free,
};

void
egca_signer_free(struct egca_signer *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL)
		s->ops->free(s);
	free(s->spki);
	EVP_PKEY_free(s->pub);
	free(s);
}

/*
 * Fills in what every backend shares from the public key: algorithms,
 * sizes, SPKI and a public-only key.
 */
static enum egca_err
signer_init_public(struct egca_signer *s, const EVP_PKEY *key)
{
	enum egca_err rc;
	int bits;

	if ((rc = egca_crypto_key_check(key, &s->key_alg, &bits)) != EGCA_OK)
		return rc;
	s->sig_alg = egca_crypto_sig_alg_for_key(key);
	s->sig_max = egca_crypto_sig_max(key);
	if ((rc = egca_crypto_spki_encode(key, &s->spki, &s->spki_len)) !=
	    EGCA_OK)
		return rc;
	return egca_crypto_spki_decode(s->spki, s->spki_len, &s->pub);
}

enum egca_err
egca_signer_open_key(EVP_PKEY *key, unsigned purposes, struct egca_signer **out)
{
	struct egca_signer *s = NULL;
	struct soft *sw;
	enum egca_err rc;

	*out = NULL;
	if (purposes == 0 || (purposes & ~(unsigned)PURPOSES_ALL) != 0) {
		rc = egca_err_set(
		    EGCA_ERR_USAGE, "signer: invalid purposes 0x%x", purposes);
		goto out;
	}
	if ((rc = crypto_sm2_retype(&key)) != EGCA_OK)
		goto out;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rc = egca_err_set(EGCA_ERR_NOMEM, "signer");
		goto out;
	}
	if ((sw = calloc(1, sizeof(*sw))) == NULL) {
		rc = egca_err_set(EGCA_ERR_NOMEM, "signer");
		goto out;
	}
	if (pthread_mutex_init(&sw->lock, NULL) != 0) {
		free(sw);
		rc = egca_err_set(EGCA_ERR_INTERNAL, "signer: mutex");
		goto out;
	}
	/* From here egca_signer_free() releases sw and the key. */
	s->ops = &soft_ops;
	s->impl = sw;
	s->purposes = purposes;
	sw->key = key;
	key = NULL;
	if ((rc = signer_init_public(s, sw->key)) != EGCA_OK)
		goto out;
	if ((sw->tmpl = EVP_MD_CTX_new()) == NULL) {
		rc = egca_err_ossl(EGCA_ERR_NOMEM, "EVP_MD_CTX_new");
		goto out;
	}
	if ((rc = crypto_md_init(sw->tmpl, sw->key, s->sig_alg, 0)) != EGCA_OK)
		goto out;
	*out = s;
	s = NULL;
	rc = EGCA_OK;
out:
	/* Ownership of key passed to us, success or not. */
	EVP_PKEY_free(key);
	egca_signer_free(s);
	return rc;
}

enum egca_err
egca_signer_open_file(const char *path, const char *pass, size_t pass_len,
    unsigned purposes, struct egca_signer **out)
{
	EVP_PKEY *key;
	enum egca_err rc;

	*out = NULL;
	if ((rc = egca_crypto_key_load(path, pass, pass_len, &key)) != EGCA_OK)
		return rc;
	return egca_signer_open_key(key, purposes, out);
}

enum egca_err
egca_signer_generate(enum egca_key_alg alg, int bits, unsigned purposes,
    struct egca_signer **out)
{
	EVP_PKEY *key;
	enum egca_err rc;

	*out = NULL;
	if ((rc = egca_crypto_key_generate(alg, bits, &key)) != EGCA_OK)
		return rc;
	return egca_signer_open_key(key, purposes, out);
}

enum egca_err
egca_signer_save(const struct egca_signer *s, const char *path,
    const char *pass, size_t pass_len)
{
	if (s->ops->save == NULL)
		return egca_err_set(EGCA_ERR_STATE,
		    "signer: %s keys cannot be exported", s->ops->name);
	return s->ops->save(s, path, pass, pass_len);
}

enum egca_err
egca_signer_sign(struct egca_signer *s, enum egca_sign_purpose purpose,
    const uint8_t *tbs, size_t tbs_len, uint8_t *sig, size_t *sig_len)
{
	size_t room = *sig_len;

	*sig_len = 0;
	/* One purpose per call, and one that was granted at open. */
	if ((purpose & (purpose - 1)) != 0 ||
	    ((unsigned)purpose & s->purposes) == 0)
		return egca_err_set(EGCA_ERR_POLICY,
		    "signer: key may not sign %s", purpose_name(purpose));
	if (room < s->sig_max)
		return egca_err_set(EGCA_ERR_INTERNAL,
		    "signer: signature buffer too small (%zu < %zu)", room,
		    s->sig_max);
	*sig_len = room;
	return s->ops->sign(s, tbs, tbs_len, sig, sig_len);
}

size_t
egca_signer_sig_max(const struct egca_signer *s)
{
	return s->sig_max;
}

enum egca_sig_alg
egca_signer_sig_alg(const struct egca_signer *s)
{
	return s->sig_alg;
}

enum egca_key_alg
egca_signer_key_alg(const struct egca_signer *s)
{
	return s->key_alg;
}

const uint8_t *
egca_signer_get0_spki(const struct egca_signer *s, size_t *len)
{
	*len = s->spki_len;
	return s->spki;
}

EVP_PKEY *
egca_signer_get0_pubkey(const struct egca_signer *s)
{
	return s->pub;
}
