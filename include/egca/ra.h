/*
 * ra/: registration and review (注册审核, Art. 5, 8, 21, 30, 31).
 * Subscribers with checked identity numbers, registration points and
 * the regions they serve, applications (申请) of every lifecycle kind
 * with proof materials, four-eyes / M-of-N review bound to a digest of
 * the application, execution through ca/ (status authoritative at once)
 * and the holder's loss report.
 *
 * Scope: every call takes the caller (struct egca_principal). An RA
 * operator or reviewer acts only on subscribers whose region lies in
 * the regions its registration point serves; an applicant only on its
 * own subscriber; a department viewer only on its department. Objects
 * outside the caller's scope are EGCA_ERR_NOTFOUND, exactly as absent
 * ones (no existence oracle). Ids are 128-bit random hex, never
 * sequential.
 *
 * Every change is written with its audit event in one transaction;
 * refusals are audited in a transaction of their own.
 */
#ifndef EGCA_RA_H
#define EGCA_RA_H

#include <stddef.h>
#include <stdint.h>

#include "egca/auth.h"
#include "egca/ca.h"
#include "egca/err.h"

/* ---- Identity numbers (src/ra/ident.c): pure functions ---- */

/*
 * Unified social credit code (GB 32100-2015): 18 characters of
 * 0-9 A-H J-N P-R T-U W-Y; registration authority code, type code,
 * six-digit region code, nine-character organisation code (with its own
 * GB 11714 check), and a MOD 31 check character. EGCA_ERR_INPUT with
 * the rule that failed ("uscc: check character").
 */
EGCA_MUST_CHECK enum egca_err egca_ra_uscc_check(const char *s);
/*
 * Resident identity number (GB 11643-1999): 17 digits and an ISO 7064
 * MOD 11-2 check character (0-9 or X); the birth date (characters 7-14)
 * must be a real date not after now and not before 1900. The 15-digit
 * first-generation number is refused (no check digit).
 */
EGCA_MUST_CHECK enum egca_err egca_ra_idcard_check(const char *s, int64_t now);
/*
 * Organisation code (GB 11714-1997): eight characters of 0-9 A-Z and a
 * check character (0-9 or X), written "XXXXXXXX-C" or "XXXXXXXXC".
 */
EGCA_MUST_CHECK enum egca_err egca_ra_orgcode_check(const char *s);

/* ---- Regions (GB/T 2260, shipped as data/gb2260.tsv) ---- */

/* EGCA_OK for a listed six-digit code; EGCA_ERR_INPUT otherwise. */
EGCA_MUST_CHECK enum egca_err egca_ra_region_check(const char *code);
/* The name ("北京市"), or NULL for an unlisted code. */
const char *egca_ra_region_name(const char *code);
/*
 * 1 when code lies within scope: equal, or scope is a province
 * ("110000") or prefecture ("110100") containing code.
 */
int egca_ra_region_within(const char *code, const char *scope);
/* The province ("110000") of code into out. */
void egca_ra_region_province(const char *code, char out[7]);
/* Number of listed codes (tests). */
size_t egca_ra_region_count(void);

/* ---- Registration points (RA offices, Art. 8) ---- */

struct egca_point_rec {
	char *id; /* [a-z0-9-]{1,63}, chosen by the sysadmin */
	char *name;
	char *home_region; /* province code */
	int64_t created_at;
};
struct egca_point_region_rec {
	char *point;
	char *region;
	/* Outside the home province: the approval (批准) recorded, e.g.
	 * "省密码管理局 2026-12 号"; NULL while not approved. */
	char *approval;
	int64_t approved_at;
};
void egca_ra_point_rec_free(struct egca_point_rec *r);
void egca_ra_point_region_list_free(struct egca_point_region_rec *l, size_t n);

EGCA_MUST_CHECK enum egca_err egca_ra_point_create(const struct egca_ctx *ctx,
    const char *id, const char *name, const char *home_region);
/*
 * Adds a served region. Inside the home province it serves at once;
 * outside it, only when approval is given (else it is recorded as
 * pending and does not count).
 */
EGCA_MUST_CHECK enum egca_err egca_ra_point_add_region(
    const struct egca_ctx *ctx, const char *point, const char *region,
    const char *approval);
EGCA_MUST_CHECK enum egca_err egca_ra_point_get(const struct egca_ctx *ctx,
    const char *id, struct egca_point_rec *out,
    struct egca_point_region_rec **regions, size_t *nregions);
EGCA_MUST_CHECK enum egca_err egca_ra_point_list(
    const struct egca_ctx *ctx, struct egca_point_rec **out, size_t *n);
void egca_ra_point_list_free(struct egca_point_rec *l, size_t n);
/*
 * EGCA_OK when region is served by point (approved); EGCA_ERR_POLICY
 * "region R is outside the scope of registration point P" otherwise.
 */
EGCA_MUST_CHECK enum egca_err egca_ra_point_serves(
    const struct egca_ctx *ctx, const char *point, const char *region);

/* ---- Subscribers ---- */

/*
 * Types: "government" (政务部门), "enterprise" (企业), "institution"
 * (事业单位), "social-org" (社会团体), "individual" (社会公众),
 * "device" (设备/服务器).
 */
struct egca_subscriber_new {
	const char *type;
	const char *name;       /* organisation or person, UTF-8 */
	const char *uscc;       /* required: government, enterprise,
	                           institution, social-org */
	const char *org_code;   /* optional (GB 11714) */
	const char *id_card;    /* required: individual */
	const char *region;     /* GB/T 2260, required */
	const char *department; /* required for government: the department
	                           it belongs to (scope of dept viewers) */
	const char *owner;      /* device: owning subscriber id, required */
	const char *email;
	const char *phone;
};

struct egca_subscriber_rec {
	char *id; /* 32 hex */
	char *type;
	char *name;
	char *uscc;
	char *org_code;
	char *id_card;
	char *region;
	char *department;
	char *owner;
	char *email;
	char *phone;
	char *point; /* the point that registered it */
	char *created_by;
	int64_t created_at;
};
void egca_ra_subscriber_rec_free(struct egca_subscriber_rec *r);
void egca_ra_subscriber_list_free(struct egca_subscriber_rec *l, size_t n);

/*
 * Registers a subscriber at the caller's point (the region must be in
 * its scope). idem_key (may be NULL): a repeated create with the same
 * key and the same content returns the first id; with other content
 * EGCA_ERR_CONFLICT. Errors name the field: EGCA_ERR_INPUT for a bad
 * value or check digit, EGCA_ERR_POLICY for scope.
 */
EGCA_MUST_CHECK enum egca_err egca_ra_subscriber_create(
    const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_subscriber_new *in, const char *idem_key, char id[33]);
EGCA_MUST_CHECK enum egca_err egca_ra_subscriber_get(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *id,
    struct egca_subscriber_rec *out);
struct egca_subscriber_filter {
	const char *type;
	const char *name;   /* substring */
	const char *region; /* prefix scope */
	size_t limit;       /* 1..1000 */
	size_t offset;
};
EGCA_MUST_CHECK enum egca_err egca_ra_subscriber_list(
    const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_subscriber_filter *f, struct egca_subscriber_rec **out,
    size_t *n);

/* ---- Applications (申请) ---- */

/*
 * Kinds: "new", "update" (re-key), "extend" (延期: same key, new
 * validity), "recover" (key recovery, needs the KM), "hold" (冻结),
 * "unhold" (解冻), "revoke". States: "submitted" → "approved" |
 * "rejected" → "executed"; "failed" when execution was refused (the
 * reason recorded; approvals stay, execute may be retried).
 */
struct egca_app_new {
	const char *kind;
	const char *subscriber;  /* id */
	const char *ca;          /* NULL: the default CA */
	const char *profile;     /* new, update: required */
	const char *enc_profile; /* new with a sign+enc pair (needs KM) */
	const uint8_t *csr_der;  /* new, update, extend, recover */
	size_t csr_len;
	const char *subject; /* NULL: the CSR's subject */
	const char *serial;  /* update, extend, recover, hold, unhold,
	                        revoke: the certificate acted on */
	const char *reason;  /* revoke: RFC 5280 reason name */
	int validity_days;   /* 0: the profile's default */
	const char *note;    /* free text for reviewers */
};

struct egca_app_rec {
	char *id; /* 32 hex */
	char *kind;
	char *state;
	char *subscriber;
	char *region;
	char *point;
	char *ca;
	char *profile;
	char *enc_profile;
	uint8_t *csr_der;
	size_t csr_len;
	char *subject;
	char *serial; /* the certificate acted on */
	char *reason;
	int validity_days;
	char *note;
	char *submitted_by;
	int64_t submitted_at;
	char *digest; /* SM3 hex over the content and material digests */
	int required_approvals;
	int approvals;    /* valid approvals (bound to the current digest) */
	char *decided_by; /* rejecter, or the approver that reached M */
	char *reject_reason;
	char *result_serial; /* certificate issued by execution */
	char *result_error;  /* why execution failed */
	int64_t updated_at;
};
void egca_ra_app_rec_free(struct egca_app_rec *r);
void egca_ra_app_list_free(struct egca_app_rec *l, size_t n);

/*
 * Submits an application for a subscriber in the caller's scope. The
 * CSR (verified, SM2 with the ID) is required where the kind needs one;
 * extend needs a CSR with the same public key as the certificate;
 * update a different one; the certificate acted on must belong to the
 * subscriber. required approvals: from egca.conf "ra" settings
 * (defaults: 1; recover 2). idem_key as for subscribers.
 */
EGCA_MUST_CHECK enum egca_err egca_ra_app_submit(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_app_new *in,
    const char *idem_key, char id[33]);
EGCA_MUST_CHECK enum egca_err egca_ra_app_get(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *id, struct egca_app_rec *out);
struct egca_app_filter {
	const char *state;
	const char *kind;
	const char *subscriber;
	size_t limit; /* 1..1000 */
	size_t offset;
};
EGCA_MUST_CHECK enum egca_err egca_ra_app_list(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_app_filter *f,
    struct egca_app_rec **out, size_t *n);

/* Proof materials (Art. 30). */
#define EGCA_RA_MATERIAL_MAX (4u * 1024u * 1024u)
#define EGCA_RA_MATERIALS_PER_APP 16
struct egca_material_rec {
	char *id;
	char *app;
	char *type;  /* "id-card", "business-licence", "authorisation",
	                "application-form", "other" */
	char *media; /* "application/pdf", "image/jpeg", "image/png" */
	char *filename;
	char *sm3; /* hex digest of the content */
	size_t size;
	char *added_by;
	int64_t added_at;
};
void egca_ra_material_list_free(struct egca_material_rec *l, size_t n);
/*
 * Adds a file to a submitted application. The media type must match
 * the content's magic bytes; size 1..EGCA_RA_MATERIAL_MAX. Changes the
 * application's digest, so earlier approvals no longer count.
 */
EGCA_MUST_CHECK enum egca_err egca_ra_material_add(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *app, const char *type,
    const char *media, const char *filename, const uint8_t *data, size_t len,
    char id[33]);
EGCA_MUST_CHECK enum egca_err egca_ra_material_list(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *app,
    struct egca_material_rec **out, size_t *n);
/* The content (free()) after checking its SM3 digest. */
EGCA_MUST_CHECK enum egca_err egca_ra_material_get(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *app, const char *id,
    struct egca_material_rec *meta, uint8_t **data, size_t *len);

struct egca_km_client;

/* Where execution finds an open CA (serve: the status service's). */
struct egca_ra_env {
	struct egca_issuer *(*issuer)(void *arg, const char *ca);
	void *arg;
	/*
	 * KM client for dual certificates, recover and the revocation of an
	 * encryption certificate (borrowed); NULL: not configured.
	 */
	struct egca_km_client *km;
};

/* Days the envelope of a dual issuance or recovery can be downloaded. */
#define EGCA_RA_ENVELOPE_DAYS 30

struct egca_app_result {
	char serial[41]; /* certificate issued, "" when none */
	uint8_t *der;    /* its DER (free()), NULL when none */
	size_t der_len;
	/* The revocation code for a loss report, shown once, "" none. */
	char revocation_code[32];
	/*
	 * Dual issuance ("new" with enc_profile) and recover: the
	 * encryption certificate (enc_der NULL for recover, where it stays
	 * the old one), the envelope of its private key to the holder's
	 * signing key (GM/T 0009 SM2EnvelopedKey, DER) and the same as a
	 * GM/T 0016 ENVELOPEDKEYBLOB. All free(); "" / NULL otherwise.
	 */
	char enc_serial[41];
	uint8_t *enc_der;
	size_t enc_der_len;
	uint8_t *envelope;
	size_t envelope_len;
	uint8_t *skf;
	size_t skf_len;
	/* Superseded signing certificate (recover), "" none. */
	char superseded[41];
};
void egca_ra_app_result_free(struct egca_app_result *r);

/*
 * A reviewer's approval of the application as it is now: digest must
 * equal the application's current digest (else EGCA_ERR_CONFLICT, a
 * stale or forged approval). The submitter may never approve
 * (EGCA_ERR_POLICY); one approval per person (a second one is
 * EGCA_ERR_EXISTS). When the approvals reach the required number the
 * application is approved and executed at once (env; res filled).
 * Exactly one caller executes an application even when many approve
 * at the same moment.
 */
EGCA_MUST_CHECK enum egca_err egca_ra_app_approve(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_ra_env *env,
    const char *id, const char *digest, struct egca_app_result *res);
/* Rejects with a reason (required, 1..500 chars). */
EGCA_MUST_CHECK enum egca_err egca_ra_app_reject(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *id, const char *digest,
    const char *reason);
/* Retries the execution of an approved or failed application. */
EGCA_MUST_CHECK enum egca_err egca_ra_app_execute(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_ra_env *env,
    const char *id, struct egca_app_result *res);

/*
 * The envelope of the encryption private key made by an executed dual
 * issuance or recovery, for those who may see the application (the
 * holder's applicant, its RA operators): skf 0 gives the GM/T 0009
 * SM2EnvelopedKey (DER), 1 the GM/T 0016 ENVELOPEDKEYBLOB made from
 * the same parsed envelope. *out: free(); enc_serial gets the
 * encryption certificate's serial. EGCA_ERR_NOTFOUND: the application
 * has no envelope; EGCA_ERR_STATE: EGCA_RA_ENVELOPE_DAYS are over (it
 * is forgotten) or the application is not executed yet. Audited
 * ("app.envelope").
 */
EGCA_MUST_CHECK enum egca_err egca_ra_app_envelope(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *id, int skf, uint8_t **out,
    size_t *out_len, char enc_serial[41]);

/* ---- Loss report (Art. 31) ---- */

/*
 * A holder reports loss or compromise of certificate (ca, serial):
 * authenticated by the revocation code given at issuance, or by an SM2
 * (with the ID) / ECDSA / RSA signature with the certificate's key over
 * "egca-loss-report\n<ca>\n<serial>\n<time>\n" with time (Unix
 * seconds) within 300 s of now. The certificate is held at once (its
 * OCSP answer changes at once); report receives the report id. Wrong
 * code or signature: EGCA_ERR_AUTH, audited, nothing changed.
 */
struct egca_loss_report {
	const char *ca; /* NULL: default CA */
	const char *serial;
	const char *code;   /* revocation code, or NULL */
	const uint8_t *sig; /* signature, or NULL */
	size_t sig_len;
	int64_t time;          /* signed time */
	const char *statement; /* holder's words, optional */
	const char *source;    /* client address */
};
EGCA_MUST_CHECK enum egca_err egca_ra_loss_report(const struct egca_ctx *ctx,
    const struct egca_ra_env *env, const struct egca_loss_report *in,
    char report[33]);
/* An RA operator or reviewer confirms: revoked with keyCompromise. */
EGCA_MUST_CHECK enum egca_err egca_ra_loss_confirm(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_ra_env *env,
    const char *report);

struct egca_loss_rec {
	char *id;
	char *ca;
	char *serial;
	char *state;  /* "held", "confirmed" (revoked) */
	char *method; /* "code" or "signature" */
	char *statement;
	char *source;
	int64_t reported_at;
	char *confirmed_by;
	int64_t confirmed_at;
};
void egca_ra_loss_list_free(struct egca_loss_rec *l, size_t n);
/* Reports in the caller's scope, newest first; state NULL: any. */
EGCA_MUST_CHECK enum egca_err egca_ra_loss_list(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *state, size_t limit,
    struct egca_loss_rec **out, size_t *n);

#endif
