/*
 * ca/: the certificate authority service. Creates root and subordinate
 * CAs, imports the certificate issued by the source point (源点),
 * keeps trust anchors, issues certificates under profiles and changes
 * their status. Every change is written with its audit event in one
 * store transaction.
 *
 * Issuance (DESIGN.md §5): checks → random serial → TBS → lint →
 * serial reserved with the TBS SM3 digest (committed) → sign →
 * certificate + audit event committed → returned.
 */
#ifndef EGCA_CA_H
#define EGCA_CA_H

#include <stddef.h>
#include <stdint.h>

#include "egca/buf.h"
#include "egca/config.h"
#include "egca/crypto.h"
#include "egca/err.h"
#include "egca/pki.h"
#include "egca/store.h"

/* What every service call needs: configuration, store and the actor. */
struct egca_ctx {
	const struct egca_config *cfg;
	struct egca_store *st;
	const char *actor; /* "cli:root", "operator:alice" */
};

#define EGCA_CA_MAX_VALIDITY_DAYS 3653
#define EGCA_SERIAL_LEN 16

struct egca_ca_create_opts {
	const char *name; /* [a-z0-9-]{1,63} */
	enum egca_key_alg alg;
	int bits;            /* RSA only */
	const char *subject; /* text, egca_pki_name_parse */
	int validity_days;   /* root: <= 3653 */
	int subordinate;     /* 1: make a CSR for the source point */
	const char *pass;    /* protects the key file */
	size_t pass_len;
};

/*
 * Creates a CA: key (encrypted to keys/<name>.key), then a self-signed
 * certificate (root) or a CSR (subordinate, status "pending").
 */
EGCA_MUST_CHECK enum egca_err egca_ca_create(
    const struct egca_ctx *ctx, const struct egca_ca_create_opts *o);

/* Checks a CA name ([a-z0-9-]{1,63}); EGCA_ERR_USAGE otherwise. */
EGCA_MUST_CHECK enum egca_err egca_ca_name_check(const char *name);

/* name NULL or "" means the configured default CA. */
EGCA_MUST_CHECK enum egca_err egca_ca_get(
    const struct egca_ctx *ctx, const char *name, struct egca_ca_rec *out);

/*
 * Imports the certificate issued for a pending subordinate CA. in holds
 * PEM: the CA certificate first, then its issuer chain. The certificate
 * must carry the CA's public key, be a CA certificate with keyCertSign
 * and chain to a stored trust anchor; then the CA becomes active.
 */
EGCA_MUST_CHECK enum egca_err egca_ca_import(const struct egca_ctx *ctx,
    const char *name, const uint8_t *in, size_t len);

/*
 * Adds trust anchors (kind "anchor": the source point's root) or
 * cross-certificates (kind "cross") from PEM or DER. Returns how many
 * were new in *added.
 */
EGCA_MUST_CHECK enum egca_err egca_ca_anchor_add(const struct egca_ctx *ctx,
    const uint8_t *in, size_t len, const char *kind, size_t *added);

/* The CA certificate followed by its issuer chain, PEM, into out. */
EGCA_MUST_CHECK enum egca_err egca_ca_export_chain(
    const struct egca_ctx *ctx, const char *name, struct egca_buf *out);

/* A loaded, active CA that can sign. */
struct egca_issuer;

/*
 * Opens the CA's key through the signer (wrong passphrase:
 * EGCA_ERR_AUTH) and prepares the issuer name, key identifier and URLs.
 */
EGCA_MUST_CHECK enum egca_err egca_ca_issuer_open(const struct egca_ctx *ctx,
    const char *name, const char *pass, size_t pass_len,
    struct egca_issuer **out);
/* Same over a signer already open (takes ownership; tests, bench). */
EGCA_MUST_CHECK enum egca_err egca_ca_issuer_new(const char *name,
    const uint8_t *cert_der, size_t cert_len, const char *base_url,
    struct egca_signer *signer, struct egca_issuer **out);
void egca_ca_issuer_free(struct egca_issuer *is);
const char *egca_ca_issuer_name(const struct egca_issuer *is);
/* The issuer's signer and subject (DER), borrowed. */
struct egca_signer *egca_ca_issuer_get0_signer(const struct egca_issuer *is);
const uint8_t *egca_ca_issuer_get0_subject(
    const struct egca_issuer *is, size_t *len);

/*
 * A caller's change made inside a ca/ transaction (st is the
 * transaction's connection; serial_hex the certificate concerned).
 */
typedef enum egca_err (*egca_ca_tx_hook)(
    struct egca_store *st, void *arg, const char *serial_hex);

struct egca_issue_req {
	const char *profile;        /* profile name */
	const struct egca_csr *csr; /* parsed and verified */
	const char *subject;        /* text; NULL: the CSR's subject */
	struct egca_identity identity;
	int validity_days; /* 0: the profile's default */
	const char *const *san_dns;
	size_t n_san_dns;
	const char *const *san_email;
	size_t n_san_email;
	const char *const *san_ip;
	size_t n_san_ip;
	const char *region; /* GB/T 2260 six-digit code, or NULL */
	/* RA: the subscriber and its department (cert_index), or NULL. */
	const char *subscriber;
	const char *department;
	/*
	 * Optional: called inside the transaction that stores the
	 * certificate, after it and its audit event are written, so the
	 * caller's own change commits with the certificate or not at all
	 * (ra/: the application becomes "executed"). A non-OK return rolls
	 * the certificate back (its serial stays reserved, never reused).
	 */
	egca_ca_tx_hook hook;
	void *hook_arg;
	/*
	 * Optional (dual certificates): the serial to use, as a DER INTEGER
	 * magnitude (1..20 octets, the first octet's top bit clear),
	 * chosen before issuance because the KM keys the encryption key
	 * pair by it. It is reserved like a random one (UNIQUE, before
	 * signing); one used already is EGCA_ERR_EXISTS and no other serial
	 * is drawn. NULL: a random serial.
	 */
	const uint8_t *serial;
	size_t serial_len;
	/*
	 * Optional: the validity to use when not_after is not 0 (the
	 * signing certificate's, for its encryption certificate); checked
	 * against the profile's maximum and the CA's validity like a
	 * validity in days. 0: now to now + validity days.
	 */
	int64_t not_before, not_after;
};

struct egca_issue_result {
	char serial[2 * 20 + 1]; /* hex */
	uint8_t *der;            /* caller frees */
	size_t der_len;
};

/* Issues one certificate (see the module comment for the steps). */
EGCA_MUST_CHECK enum egca_err egca_ca_issue(const struct egca_ctx *ctx,
    struct egca_issuer *is, const struct egca_issue_req *req,
    struct egca_issue_result *res);

/*
 * The store-free core of issuance, shared by egca_ca_issue and the
 * benchmark. prepare fills the template's issuer fields, builds the TBS
 * into tbs and lints it; sign signs tbs and appends the certificate to
 * cert.
 */
EGCA_MUST_CHECK enum egca_err egca_ca_prepare_tbs(const struct egca_issuer *is,
    struct egca_cert_template *t, struct egca_buf *tbs);
EGCA_MUST_CHECK enum egca_err egca_ca_sign_tbs(struct egca_issuer *is,
    const uint8_t *tbs, size_t tbs_len, struct egca_buf *cert);

/* Fills serial with EGCA_SERIAL_LEN CSPRNG bytes, top bit clear. */
EGCA_MUST_CHECK enum egca_err egca_ca_new_serial(
    uint8_t serial[EGCA_SERIAL_LEN]);
/*
 * Normalises a serial number typed or sent by a person or client: hex,
 * ':' separators allowed, lower-cased, leading zero octets dropped, at
 * most 20 octets. EGCA_ERR_INPUT naming the rule otherwise.
 */
EGCA_MUST_CHECK enum egca_err egca_ca_serial_parse(
    const char *in, char out[41]);
/* Hex of the DER INTEGER magnitude (no leading zero octets). */
void egca_ca_serial_hex(const uint8_t *serial, size_t len, char *out);

enum egca_status_action {
	EGCA_ACTION_REVOKE,
	EGCA_ACTION_HOLD,
	EGCA_ACTION_UNHOLD,
};

/* RFC 5280 CRLReason by name ("keyCompromise") or number. */
EGCA_MUST_CHECK enum egca_err egca_ca_reason_parse(const char *s, int *reason);
const char *egca_ca_reason_name(int reason);

/*
 * Revokes, holds or unholds a certificate. Revoked is final; hold only
 * from good, unhold only from hold; reason certificateHold(6) and
 * removeFromCRL(8) are not revocation reasons. invalidity 0 = unknown.
 */
EGCA_MUST_CHECK enum egca_err egca_ca_cert_set_status(
    const struct egca_ctx *ctx, const char *ca, const char *serial_hex,
    enum egca_status_action action, int reason, int64_t invalidity);
/*
 * The same, with hook (may be NULL) called inside the transaction
 * after the status and its audit event are written, so the caller's
 * change commits with it. is (may be NULL): the open issuer of ca; the
 * certificate's OCSP response is then re-signed in the transaction
 * (egca_status_presign) instead of being marked stale.
 */
EGCA_MUST_CHECK enum egca_err egca_ca_cert_set_status_hook(
    const struct egca_ctx *ctx, struct egca_issuer *is, const char *ca,
    const char *serial_hex, enum egca_status_action action, int reason,
    int64_t invalidity, egca_ca_tx_hook hook, void *hook_arg);

#endif
