/*
 * km/ internals shared between its files (and the unit tests). Not part
 * of the public interface (include/egca/km.h).
 *
 * The KM is the one place outside crypto/ that holds private key
 * material: the master key, custodian shares and escrowed scalars. They
 * live in the OpenSSL secure heap (mlock'd, excluded from core dumps by
 * egca_crypto_harden_process) and are cleansed as soon as they are used.
 */
#ifndef EGCA_KM_INT_H
#define EGCA_KM_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "egca/config.h"
#include "egca/km.h"
#include "egca/store.h"
#include "pki/der.h"

#define KM_SHARE_LEN EGCA_KM_MASTER_LEN
/* The wrapped form of an escrowed scalar: version, nonce, ct, tag. */
#define KM_WRAP_VERSION 1
#define KM_WRAP_NONCE 12
#define KM_WRAP_TAG 16
#define KM_WRAP_LEN (1 + KM_WRAP_NONCE + 32 + KM_WRAP_TAG)

struct egca_km {
	char *dir;
	struct egca_config *cfg; /* KMDIR/egca.conf: store, keys dir */
	struct egca_km_conf conf;
	struct egca_store_pool *pool;
	struct egca_signer *signer; /* NULL when opened without the key */
	uint8_t *cert;              /* km.pem as DER */
	size_t cert_len;
	struct egca_km_entname name; /* points into cert */
	char kcv[65];                /* the master key's check value */

	pthread_mutex_t lock; /* guards what follows */
	uint8_t *master;      /* secure heap while unsealed, else NULL */
	uint8_t *shares;      /* secure heap: 16 shares of 32 octets */
	unsigned entered;     /* bit i-1: share i is in shares */
};

/* Writes dir/km.conf (EGCA_ERR_EXISTS when there is one). */
EGCA_MUST_CHECK enum egca_err km_conf_write(
    const char *dir, const struct egca_km_conf *c);

/* ---- master key, shares (share.c) ---- */

/* SM3("egca-km-master-kcv-v1" || master), hex. */
EGCA_MUST_CHECK enum egca_err km_master_kcv(
    const uint8_t master[EGCA_KM_MASTER_LEN], char out[65]);
/* SM3("egca-km-share-v1" || km_id || idx || share), hex. */
EGCA_MUST_CHECK enum egca_err km_share_check(const char *km_id, int idx,
    const uint8_t share[KM_SHARE_LEN], char out[65]);

/*
 * Splits master into n shares (index i+1 in shares + 32 i), any m of
 * which recombine it (libgfshare, coefficients from the CSPRNG).
 * shares holds 32 n octets (the caller's secure memory).
 */
EGCA_MUST_CHECK enum egca_err km_shares_split(
    const uint8_t master[EGCA_KM_MASTER_LEN], int n, int m, uint8_t *shares);
/*
 * Recombines the secret from m shares: idx[j] (1..255, distinct) and
 * the share at shares + 32 j. Too few or wrong shares give a wrong
 * secret: callers check the result's km_master_kcv.
 */
EGCA_MUST_CHECK enum egca_err km_shares_combine(const uint8_t *idx,
    const uint8_t *shares, int m, uint8_t master[EGCA_KM_MASTER_LEN]);

/* A share file, parsed; share points into secure memory of the caller. */
struct km_share_file {
	char km_id[33];
	int index, custodians, threshold;
	char kcv[65];
	uint8_t share[KM_SHARE_LEN];
};

/* Writes the share file text into out (egca_buf with the text). */
EGCA_MUST_CHECK enum egca_err km_share_format(
    const struct km_share_file *f, struct egca_buf *out);
/*
 * Parses a share file strictly (EGCA_ERR_INPUT naming the line). f
 * should be in the secure heap; it is cleansed on failure.
 */
EGCA_MUST_CHECK enum egca_err km_share_parse(
    const uint8_t *text, size_t len, struct km_share_file *f);

/*
 * The data key of escrowed key key_id: HKDF-SM3(master, salt
 * "egca-km-escrow-v1", info key_id), 32 octets into key (secure).
 * EGCA_ERR_STATE "KM is sealed" while sealed.
 */
EGCA_MUST_CHECK enum egca_err km_data_key(
    struct egca_km *km, const char *key_id, uint8_t key[32]);
/* The same from a master key given (init, tests). */
EGCA_MUST_CHECK enum egca_err km_derive_data_key(
    const uint8_t master[EGCA_KM_MASTER_LEN], const char *key_id,
    uint8_t key[32]);

/* ---- escrow (escrow.c) ---- */

/*
 * Wraps the 32-octet scalar d under key (AES-256-GCM, random nonce,
 * AAD "egca-km-escrow-v1" || key_id || spki) into out (KM_WRAP_LEN).
 */
EGCA_MUST_CHECK enum egca_err km_wrap(const uint8_t key[32], const char *key_id,
    const uint8_t *spki, size_t spki_len, const uint8_t d[32],
    uint8_t out[KM_WRAP_LEN]);
/* Unwraps into d (secure); EGCA_ERR_INTEGRITY when the tag fails. */
EGCA_MUST_CHECK enum egca_err km_unwrap(const uint8_t key[32],
    const char *key_id, const uint8_t *spki, size_t spki_len,
    const uint8_t *wrapped, size_t wrapped_len, uint8_t d[32]);

/*
 * A new SM2 key pair: *pair (caller frees), its SPKI (free()) and the
 * scalar into d (caller's secure memory).
 */
EGCA_MUST_CHECK enum egca_err km_key_generate(
    EVP_PKEY **pair, uint8_t **spki, size_t *spki_len, uint8_t d[32]);
/* The key pair of scalar d and the public key in spki (checked). */
EGCA_MUST_CHECK enum egca_err km_key_pair(
    const uint8_t d[32], const uint8_t *spki, size_t spki_len, EVP_PKEY **pair);
/*
 * Unwraps escrowed key rec with km's master key and envelopes it to
 * to_pub (GM/T 0009 DER, free()).
 */
EGCA_MUST_CHECK enum egca_err km_envelope_escrowed(struct egca_km *km,
    const struct egca_km_key_rec *rec, const EVP_PKEY *to_pub, uint8_t **env,
    size_t *env_len);

/* ---- messages (msg.c) ---- */

/*
 * The shell of a CARequest: signature parts, version, caName,
 * requestTime, taskNO; *list is a reader over requestList's contents.
 * On failure *km_errno is the errNO to answer with.
 */
EGCA_MUST_CHECK enum egca_err km_request_parse_shell(const uint8_t *der,
    size_t len, struct egca_km_request *out, struct egca_der_r *list,
    int *km_errno);
/* The items of requestList (after the shell). */
EGCA_MUST_CHECK enum egca_err km_request_parse_items(
    struct egca_der_r *list, struct egca_km_request *out, int *km_errno);
/* SM3 of the subjectPublicKey bits of a DER SPKI (EntName). */
EGCA_MUST_CHECK enum egca_err km_spki_key_hash(
    const uint8_t *spki, size_t spki_len, uint8_t out[32]);

/* ---- the admin socket (admin.c) ---- */

struct km_admin;
/* Listens on the Unix socket path (0600, directory 0700), one thread. */
EGCA_MUST_CHECK enum egca_err km_admin_start(
    struct egca_km *km, const char *path, struct km_admin **out);
/* Stops the thread, removes the socket (NULL allowed). */
void km_admin_stop(struct km_admin *a);

/* ---- helpers (km.c) ---- */

/* 16 CSPRNG octets as 32 hex characters. */
EGCA_MUST_CHECK enum egca_err km_new_id(char id[33]);
/* SM3 hex of data. */
EGCA_MUST_CHECK enum egca_err km_sm3_hex(
    const void *data, size_t len, char out[65]);
/*
 * Audits a refusal in a transaction of its own, on st or (NULL) a pool
 * connection: never pass NULL while holding one (the CLI's pool has
 * one connection). Keeps the thread's error detail.
 */
void km_audit_refusal(struct egca_km *km, struct egca_store *st,
    const char *actor, const char *action, const char *object,
    const char *details);
/* A JSON object text {"k": "v", ...} from pairs (NULL-terminated). */
char *km_json(const char *k, ...);

/* The first certificate of PEM or DER input, as DER (free()). */
EGCA_MUST_CHECK enum egca_err km_cert_der(
    const uint8_t *in, size_t len, uint8_t **der, size_t *der_len);

/* Minimal positive INTEGER magnitude of hex text (1..20 octets). */
EGCA_MUST_CHECK enum egca_err km_hex_magnitude(
    const char *hex, uint8_t out[20], size_t *len);
/* Lower-case hex of a magnitude (no leading zero octets), 41 chars. */
void km_magnitude_hex(const uint8_t *p, size_t len, char out[41]);

/* The principal may act as a KM officer (role, second factor). */
EGCA_MUST_CHECK enum egca_err km_check_role(struct egca_km *km,
    const struct egca_principal *p, unsigned roles, const char *action);

#endif
