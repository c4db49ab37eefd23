/*
 * km/: the key management centre (KM, 密钥管理中心; DESIGN.md §2, §5;
 * gm-standards.md §2; docs/km.md). A separate service with its own data
 * directory, store, audit chain and SM2 signing key. It generates SM2
 * encryption key pairs for CAs, escrows them wrapped under its master
 * key, returns the private key enveloped (GM/T 0009 SM2EnvelopedKey) to
 * the holder's signing public key, re-envelopes an escrowed key to a new
 * signing key (user recovery through the CA), marks keys revoked while
 * keeping them until their retention ends, and releases a key to a
 * judicial authority after M KM officers approved.
 *
 * The master key (32 random octets) exists only in memory: at
 * `egca km init` it is split M-of-N among custodians (libgfshare, GF(2^8)
 * Shamir) and the KM starts sealed; M distinct custodian shares unseal
 * it. While sealed every key request is refused ("KM is sealed").
 * Escrowed private scalars are wrapped with AES-256-GCM under a per-key
 * data key HKDF-SM3(master, salt "egca-km-escrow-v1", info key id), with
 * the key id and the public key as additional data.
 *
 * CA <-> KM messages follow GM/T 0014 (CARequest/KMRespond, DER, signed
 * SM2 with SM3 and the user ID 1234567812345678 over the DER of the TBS
 * part): key application, key restore, key revoke, and their answers.
 * The KM accepts a request only when signed by a CA certificate of its
 * trust list (not revoked, within validity), within the time window, with
 * a task number never seen before and every field well formed; anything
 * else gets a signed error answer (or no answer at all for bytes that do
 * not parse), is audited on the KM's own chain, and no key is generated
 * or released. Transports: in-process (single node) and HTTPS with
 * mutual TLS, behind one client interface (struct egca_km_client).
 *
 * What this module does not check: the CA's business rules (who may get
 * a dual certificate, the RA's review of a recovery); those stay with the
 * CA, which alone decides to send a request. Keys are kept in the
 * process while in use (secure heap, cleansed); there is no HSM backend
 * yet (docs/km.md).
 */
#ifndef EGCA_KM_H
#define EGCA_KM_H

#include <stddef.h>
#include <stdint.h>

#include "egca/auth.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "egca/err.h"
#include "egca/store.h"

#define EGCA_KM_CONF_FILE "km.conf" /* KMDIR/km.conf (strict JSON) */
#define EGCA_KM_KEY_FILE "km.key"   /* KMDIR/keys/km.key, like CA keys */
#define EGCA_KM_CERT_FILE "km.pem"  /* KMDIR/km.pem, self-signed */
#define EGCA_KM_CSR_FILE "km.csr"   /* KMDIR/km.csr, for a CA to certify */
#define EGCA_KM_ADMIN_SOCKET "run/admin.sock" /* under KMDIR, 0600 */
#define EGCA_KM_MASTER_LEN 32
#define EGCA_KM_MAX_CUSTODIANS 16
/* Request items the parser takes at most (km.conf max_items <= this). */
#define EGCA_KM_ITEMS_MAX 64
/* Largest CARequest / KMRespond accepted, in octets. */
#define EGCA_KM_MSG_MAX ((size_t)256 << 10)

/* ---- Configuration (KMDIR/km.conf) ---- */

/*
 *   {"version": 1, "km_id": "<32 hex>", "custodians": 3, "threshold": 2,
 *    "officer_quorum": 2, "window_seconds": 300, "retention_days": 3653,
 *    "max_items": 16}
 *
 * KMDIR/egca.conf (struct egca_config) gives the store and keys dir, so
 * `egca operator`, `egca audit verify` work on a KM directory as well.
 */
struct egca_km_conf {
	char km_id[33];
	int custodians;     /* N, 3..16 */
	int threshold;      /* M, 2..N-1 */
	int officer_quorum; /* judicial approvals, 2..16 */
	int window_seconds; /* request time tolerance, 30..3600 */
	int retention_days; /* after expiry or revocation, 1..36525 */
	int max_items;      /* keys per request, 1..EGCA_KM_ITEMS_MAX */
};

/* Loads and validates dir/km.conf. EGCA_ERR_NOTFOUND, EGCA_ERR_INPUT. */
EGCA_MUST_CHECK enum egca_err egca_km_conf_load(
    const char *dir, struct egca_km_conf *out);

/* ---- The key ceremony (egca km init) ---- */

struct egca_km_init_opts {
	const char *dir;       /* new KM data directory */
	const char *store;     /* store URI or NULL (sqlite:egca.db) */
	const char *share_dir; /* where the N share files go (0700) */
	int custodians;        /* N: 3..16 */
	int threshold;         /* M: 2..N-1 */
	int officer_quorum;    /* 0: 2 */
	const char *subject;   /* KM certificate subject; NULL: default */
	int validity_days;     /* KM certificate; 0: 1825 */
	const char *pass;      /* protects keys/km.key */
	size_t pass_len;
	const char *actor; /* audit actor */
};

struct egca_km_init_result {
	char km_id[33];
	char kcv[65]; /* the master key's check value (hex), also in shares */
	/* share file paths, share_paths[i] for index i + 1; free with
	   egca_km_init_result_free */
	char *share_paths[EGCA_KM_MAX_CUSTODIANS];
	int n_shares;
};

/*
 * Makes a KM data directory: egca.conf and km.conf, the store with the
 * master key's check value and the share check values, the KM's SM2
 * signing key (keys/km.key, encrypted under pass), its self-signed
 * certificate (km.pem) and a CSR (km.csr), and one share file per
 * custodian in share_dir (mode 0600). The master key is made from the
 * CSPRNG, split, and cleansed: it is stored nowhere. Audited
 * ("km.init"). EGCA_ERR_EXISTS when dir is a data directory already;
 * EGCA_ERR_USAGE for M/N out of range. On failure nothing is left.
 */
EGCA_MUST_CHECK enum egca_err egca_km_init(
    const struct egca_km_init_opts *o, struct egca_km_init_result *res);
void egca_km_init_result_free(struct egca_km_init_result *res);

/* ---- The service ---- */

struct egca_km;

/*
 * Opens the KM of dir: configuration, a pool of up to conns store
 * connections (1 for the CLI), its certificate, and (pass not NULL) its
 * signing key (EGCA_ERR_AUTH: wrong passphrase). Sealed. Without the
 * signing key the KM answers no CA request (judicial release and
 * management need none). Caller frees with egca_km_free (the master key
 * is cleansed).
 */
EGCA_MUST_CHECK enum egca_err egca_km_open(const char *dir, const char *pass,
    size_t pass_len, size_t conns, struct egca_km **out);
void egca_km_free(struct egca_km *km);
const struct egca_km_conf *egca_km_get0_conf(const struct egca_km *km);
/* The KM's certificate (DER), borrowed. */
const uint8_t *egca_km_get0_cert(const struct egca_km *km, size_t *len);

struct egca_km_seal_status {
	int sealed;       /* 1 while the master key is not in memory */
	int threshold;    /* M */
	int entered;      /* distinct good shares entered so far (sealed) */
	unsigned indexes; /* bit i-1: share i entered */
};

void egca_km_status(struct egca_km *km, struct egca_km_seal_status *st);

/*
 * One custodian's share file (its text). A share of another KM, a
 * wrong share (check value) or a malformed file is refused
 * (EGCA_ERR_AUTH, EGCA_ERR_INPUT), a share already entered too
 * (EGCA_ERR_EXISTS); EGCA_ERR_STATE when unsealed already. The M-th
 * good share combines the master key and checks it against the stored
 * check value (EGCA_ERR_INTEGRITY when it does not match: nothing
 * unsealed, the shares entered are dropped). Every outcome is audited
 * ("km.unseal.share", "km.unseal") with the share index, never a share.
 * st (may be NULL) gets the state after the call.
 */
EGCA_MUST_CHECK enum egca_err egca_km_unseal(struct egca_km *km,
    const uint8_t *share, size_t share_len, const char *actor,
    struct egca_km_seal_status *st);
/* Drops the master key and the shares entered (audited "km.seal"). */
EGCA_MUST_CHECK enum egca_err egca_km_seal(
    struct egca_km *km, const char *actor);

/*
 * Answers one CARequest (DER) received at now from peer (the TLS
 * client's identity, or "inproc"). EGCA_OK with *resp a signed
 * KMRespond (success or an ErrorPkgRespond; free()); EGCA_ERR_INPUT
 * (no answer) when req does not parse; EGCA_ERR_STATE when the KM has no
 * signing key. Thread-safe. Every refusal is audited.
 */
EGCA_MUST_CHECK enum egca_err egca_km_handle(struct egca_km *km,
    const uint8_t *req, size_t req_len, int64_t now, const char *peer,
    uint8_t **resp, size_t *resp_len);

/* ---- Trust list (who may send requests): the KM's secadmin ---- */

/*
 * Adds the CA certificate cert (DER or PEM, the first certificate) to
 * the trust list. p must be a security administrator with a second
 * factor (EGCA_ERR_POLICY, audited, otherwise). id (may be NULL) gets
 * the entry's id (SHA-256 hex of the DER).
 */
EGCA_MUST_CHECK enum egca_err egca_km_trust_add(struct egca_km *km,
    const struct egca_principal *p, const uint8_t *cert, size_t cert_len,
    char id[65]);
EGCA_MUST_CHECK enum egca_err egca_km_trust_revoke(
    struct egca_km *km, const struct egca_principal *p, const char *id);
/* Any authenticated KM operator; free with egca_store_km_trust_list_free. */
EGCA_MUST_CHECK enum egca_err egca_km_trust_list(struct egca_km *km,
    const struct egca_principal *p, struct egca_km_trust_rec **out, size_t *n);

/* Escrowed keys (metadata, never the key): KM officers and auditors. */
EGCA_MUST_CHECK enum egca_err egca_km_key_list(struct egca_km *km,
    const struct egca_principal *p, size_t limit, size_t offset,
    struct egca_km_key_rec **out, size_t *n);

/* ---- Judicial recovery (司法恢复): KM officers, M of N ---- */

/*
 * A KM officer (role km-officer, second factor) asks for key key_id to
 * be released to the holder of the certificate recipient (DER or PEM,
 * an SM2 key) for case case_ref (1..128 UTF-8 characters, no controls). The
 * request's digest is SM3 over every field; approvals name it.
 * EGCA_ERR_NOTFOUND (key), EGCA_ERR_INPUT, EGCA_ERR_POLICY (role).
 */
EGCA_MUST_CHECK enum egca_err egca_km_judicial_request(struct egca_km *km,
    const struct egca_principal *p, const char *case_ref, const char *key_id,
    const uint8_t *recipient, size_t recipient_len,
    struct egca_km_judicial_rec *out);
/*
 * Another officer approves request id as of digest (hex). The
 * requester may not approve (EGCA_ERR_POLICY), nor anyone twice
 * (EGCA_ERR_EXISTS); a digest other than the request's is
 * EGCA_ERR_CONFLICT. Refusals are audited.
 */
EGCA_MUST_CHECK enum egca_err egca_km_judicial_approve(struct egca_km *km,
    const struct egca_principal *p, const char *id, const char *digest);
/*
 * With officer_quorum approvals of the current digest and the KM
 * unsealed, envelopes the key (GM/T 0009 SM2EnvelopedKey, DER; free())
 * to the recipient certificate's public key and marks the request
 * released, in one transaction with its audit event. Fewer approvals:
 * EGCA_ERR_POLICY; sealed: EGCA_ERR_STATE; both audited.
 */
EGCA_MUST_CHECK enum egca_err egca_km_judicial_release(struct egca_km *km,
    const struct egca_principal *p, const char *id, uint8_t **envelope,
    size_t *envelope_len);
EGCA_MUST_CHECK enum egca_err egca_km_judicial_get(struct egca_km *km,
    const struct egca_principal *p, const char *id,
    struct egca_km_judicial_rec *out);

/* ---- GM/T 0014 messages (docs/km.md has the ASN.1) ---- */

enum egca_km_req_kind {
	EGCA_KM_APPLY = 0,   /* [0] ApplyKeyReq */
	EGCA_KM_RESTORE = 1, /* [1] RestoreKeyReq */
	EGCA_KM_REVOKE = 2,  /* [2] RevokeKeyReq */
};

enum egca_km_resp_kind {
	EGCA_KM_RESP_APPLY = 0,   /* [0] RetKeyRespond */
	EGCA_KM_RESP_RESTORE = 1, /* [1] RetKeyRespond */
	EGCA_KM_RESP_REVOKE = 2,  /* [2] RevokeKeyRespond */
	EGCA_KM_RESP_ERROR = 3,   /* [3] ErrorPkgRespond */
};

/* ErrorPkgRespond errNO values (egca's; GM/T 0014 gives none). */
enum egca_km_errno {
	EGCA_KM_E_BAD_REQUEST = 1,   /* a field is malformed or out of range */
	EGCA_KM_E_BAD_SIGNATURE = 2, /* the signature does not verify */
	EGCA_KM_E_UNTRUSTED = 3,     /* sender not in the trust list / revoked
	                                / outside its validity */
	EGCA_KM_E_STALE = 4,         /* requestTime outside the window */
	EGCA_KM_E_REPLAY = 5,        /* taskNO seen before */
	EGCA_KM_E_UNSUPPORTED = 6,   /* algorithm or version */
	EGCA_KM_E_SEALED = 7,        /* KM is sealed */
	EGCA_KM_E_NOT_FOUND = 8,     /* no escrowed key for userCertNO */
	EGCA_KM_E_DUPLICATE = 9,     /* userCertNO has a key already */
	EGCA_KM_E_REVOKED = 10,      /* the key is revoked */
	EGCA_KM_E_INTERNAL = 11,     /* the KM failed (store, crypto) */
};

/* EntName: the sender (CA or KM) by its certificate. */
struct egca_km_entname {
	const uint8_t *name; /* DER Name (entName directoryName) */
	size_t name_len;
	uint8_t key_hash[32];  /* SM3 of the subjectPublicKey BIT STRING bits */
	const uint8_t *serial; /* certificate serial, magnitude */
	size_t serial_len;
};

/* One request item; pointers into the parsed DER (or the caller's). */
struct egca_km_req_item {
	enum egca_km_req_kind kind;
	const uint8_t *cert_no; /* userCertNO magnitude, 1..20 octets */
	size_t cert_no_len;
	const uint8_t
	    *user_spki; /* apply, restore: DER SPKI (envelope target) */
	size_t user_spki_len;
	int64_t not_before, not_after; /* apply */
	const uint8_t *user_name;      /* apply, optional: DER Name */
	size_t user_name_len;
	const uint8_t *ds_code; /* apply, optional: region code text */
	size_t ds_code_len;
	const uint8_t *extend_info; /* apply, optional */
	size_t extend_info_len;
};

struct egca_km_request {
	int64_t version; /* 1 */
	struct egca_km_entname ca;
	struct egca_km_req_item items[EGCA_KM_ITEMS_MAX];
	size_t n_items;
	int64_t request_time;
	const uint8_t *task; /* taskNO magnitude, 1..20 octets */
	size_t task_len;
	/* filled by the parser: */
	const uint8_t *tbs; /* DER KSRequest */
	size_t tbs_len;
	const uint8_t *sig; /* signatureValue contents (DER SM2 signature) */
	size_t sig_len;
};

struct egca_km_resp_item {
	enum egca_km_resp_kind kind;
	const uint8_t *cert_no; /* not for errors */
	size_t cert_no_len;
	const uint8_t *pub_spki; /* apply, restore: DER SPKI */
	size_t pub_spki_len;
	const uint8_t *envelope; /* apply, restore: DER SM2EnvelopedKey */
	size_t envelope_len;
	int64_t err_no;          /* error */
	const uint8_t *err_desc; /* error, optional (ASCII) */
	size_t err_desc_len;
};

struct egca_km_response {
	int64_t version; /* 1 */
	struct egca_km_entname km;
	struct egca_km_resp_item items[EGCA_KM_ITEMS_MAX];
	size_t n_items;
	int64_t respond_time;
	const uint8_t *task;
	size_t task_len;
	const uint8_t *tbs; /* DER KSRespond (parser) */
	size_t tbs_len;
	const uint8_t *sig;
	size_t sig_len;
};

/*
 * Strict DER parsers (untrusted input, fuzz target fuzz_km_msg): every
 * field checked as docs/km.md says, nothing trailing, at most
 * EGCA_KM_MSG_MAX octets and EGCA_KM_ITEMS_MAX items. No signature is
 * verified here. EGCA_ERR_INPUT naming the field; pointers in out point
 * into der.
 */
EGCA_MUST_CHECK enum egca_err egca_km_request_parse(
    const uint8_t *der, size_t len, struct egca_km_request *out);
EGCA_MUST_CHECK enum egca_err egca_km_response_parse(
    const uint8_t *der, size_t len, struct egca_km_response *out);

/*
 * Encode the TBS part (KSRequest / KSRespond) of r, sign it with signer
 * (SM2, purpose EGCA_SIGN_CERT) and append the whole CARequest /
 * KMRespond to out. tbs/sig members of r are ignored.
 */
EGCA_MUST_CHECK enum egca_err egca_km_request_sign(
    const struct egca_km_request *r, struct egca_signer *signer,
    struct egca_buf *out);
EGCA_MUST_CHECK enum egca_err egca_km_response_sign(
    const struct egca_km_response *r, struct egca_signer *signer,
    struct egca_buf *out);

/*
 * The EntName of a certificate (DER): its subject, the SM3 of its
 * public key bits and its serial; pointers into cert.
 */
EGCA_MUST_CHECK enum egca_err egca_km_entname_from_cert(
    const uint8_t *cert, size_t cert_len, struct egca_km_entname *out);

/* ---- The client (the CA side) ---- */

struct egca_km_client;

/*
 * In-process transport (single node): the CA process holds an open and
 * unsealed KM; messages are still signed and checked end to end. km is
 * borrowed and must outlive the client.
 */
EGCA_MUST_CHECK enum egca_err egca_km_client_inproc(
    struct egca_km *km, struct egca_km_client **out);

struct egca_km_https_opts {
	const char *url;         /* "https://host:port" */
	const char *client_cert; /* PEM: the CA's TLS client certificate */
	const char *client_key;  /* PEM: its key (unencrypted, 0600) */
	const char *ca_bundle;   /* PEM: trusted issuers of the KM's TLS cert */
	const char *km_cert;     /* PEM or DER: the KM's SM2 certificate */
	int timeout_seconds;     /* 0: 30 */
};

/*
 * HTTPS with mutual TLS (GnuTLS): POST /km/v1/request. The KM's TLS
 * certificate is checked against ca_bundle and the URL's host; every
 * answer's signature against km_cert.
 */
EGCA_MUST_CHECK enum egca_err egca_km_client_https(
    const struct egca_km_https_opts *o, struct egca_km_client **out);
void egca_km_client_free(struct egca_km_client *c);

/* Who sends: the CA's signer and the certificate of that key. */
struct egca_km_sender {
	struct egca_signer *signer; /* egca_ca_issuer_get0_signer() */
	const uint8_t *cert_der;    /* the CA certificate */
	size_t cert_der_len;
};

/* One key to apply for. */
struct egca_km_apply_item {
	const uint8_t *holder_spki; /* the holder's SIGNING public key (SPKI) */
	size_t holder_spki_len;
	const char *cert_no;    /* serial (hex) of the encryption certificate */
	const uint8_t *subject; /* its subject (DER Name), or NULL */
	size_t subject_len;
	int64_t not_before, not_after; /* its validity */
	const char *ds_code;           /* region code, or NULL */
};

/* One key returned. */
struct egca_km_key {
	char cert_no[41];  /* hex */
	uint8_t *enc_spki; /* the encryption public key (DER SPKI) */
	size_t enc_spki_len;
	uint8_t *envelope; /* DER SM2EnvelopedKey to the holder's key */
	size_t envelope_len;
};

void egca_km_key_clear(struct egca_km_key *k);

/*
 * Applies for n (1..16) encryption key pairs in one signed request;
 * out[i] answers items[i] (free each with egca_km_key_clear). The
 * response is checked: KM signature (km_cert), version, taskNO, one
 * answer per item with the right userCertNO, the envelope's public key
 * equal to enc_spki. A KM refusal maps errNO to egca_err: sealed
 * EGCA_ERR_STATE, not found EGCA_ERR_NOTFOUND, duplicate
 * EGCA_ERR_EXISTS, untrusted / bad signature EGCA_ERR_AUTH, stale /
 * replay / revoked EGCA_ERR_POLICY, malformed EGCA_ERR_INPUT, with the
 * KM's text in the detail.
 */
EGCA_MUST_CHECK enum egca_err egca_km_apply(struct egca_km_client *c,
    const struct egca_km_sender *ca, const struct egca_km_apply_item *items,
    size_t n, struct egca_km_key *out);
/*
 * Restores the key escrowed for cert_no (hex), re-enveloped to the new
 * holder signing key. out as for egca_km_apply.
 */
EGCA_MUST_CHECK enum egca_err egca_km_restore(struct egca_km_client *c,
    const struct egca_km_sender *ca, const char *cert_no,
    const uint8_t *new_holder_spki, size_t new_holder_spki_len,
    struct egca_km_key *out);
/* Marks the key of cert_no revoked (archived until its retention ends). */
EGCA_MUST_CHECK enum egca_err egca_km_revoke(struct egca_km_client *c,
    const struct egca_km_sender *ca, const char *cert_no);

/* ---- egca km serve: HTTPS with mutual TLS, and the admin socket ---- */

struct egca_km_http_opts {
	const char *listen_addr;  /* IPv4 or IPv6 literal; NULL: 127.0.0.1 */
	uint16_t port;            /* 0: any free port */
	unsigned threads;         /* connection threads; 0: 2 */
	const char *tls_cert_pem; /* PEM text (ECDSA or RSA: GnuTLS) */
	const char *tls_key_pem;
	const char *tls_client_ca_pem; /* required: CA clients' issuers */
	const char *admin_socket;      /* path of the admin Unix socket */
};

struct egca_km_server;

/*
 * Starts the CA-facing listener (POST /km/v1/request, a client
 * certificate required at the TLS handshake) and the admin endpoint on
 * a Unix socket (mode 0600; POST /admin/v1/unseal, POST /admin/v1/seal,
 * GET /admin/v1/status). km is borrowed.
 */
EGCA_MUST_CHECK enum egca_err egca_km_server_start(struct egca_km *km,
    const struct egca_km_http_opts *o, struct egca_km_server **out);
uint16_t egca_km_server_port(const struct egca_km_server *s);
/* Stops both listeners, removes the socket, frees s (NULL allowed). */
void egca_km_server_stop(struct egca_km_server *s);

/*
 * A call on the admin socket: method "GET" or "POST", path, body (may
 * be NULL). *status gets the HTTP status, *out the body (free()).
 */
EGCA_MUST_CHECK enum egca_err egca_km_admin_call(const char *socket_path,
    const char *method, const char *path, const uint8_t *body, size_t body_len,
    int *status, char **out);

#endif
