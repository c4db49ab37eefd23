/*
 * auth/: who is calling and what they may do. Operators and their roles
 * (三员 and the RA/KM/department roles), passwords (Argon2id), TOTP
 * second factor (RFC 6238, liboath), API tokens, web sessions with CSRF
 * tokens, lockout, and the one policy table of actions × roles that
 * both the HTTP routes and the CLI consult (deny by default).
 *
 * Secrets: passwords are stored as Argon2id encoded hashes; API tokens,
 * session ids and revocation codes as SHA-256 (they are 256-bit
 * random); TOTP seeds are sealed with AES-256-GCM under the data
 * directory's keys/auth.key (32 random bytes, mode 0600, made by
 * `egca init` or on first use). Nothing secret is ever logged or put in
 * an error detail or audit record.
 *
 * Every change is written with its audit event in one transaction;
 * failed logins and denied requests are audited in a transaction of
 * their own (egca_audit_record).
 */
#ifndef EGCA_AUTH_H
#define EGCA_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "egca/ca.h"
#include "egca/err.h"
#include "egca/store.h"

/* ---- Roles (a bit mask) ---- */

enum egca_role {
	EGCA_ROLE_SYSADMIN = 1u << 0,    /* "sysadmin": system, points, CAs */
	EGCA_ROLE_SECADMIN = 1u << 1,    /* "secadmin": operators, roles */
	EGCA_ROLE_AUDITOR = 1u << 2,     /* "auditor": reads the audit log */
	EGCA_ROLE_RA_OPERATOR = 1u << 3, /* "ra-operator": subscribers, apps */
	EGCA_ROLE_RA_REVIEWER = 1u << 4, /* "ra-reviewer": approve / reject */
	EGCA_ROLE_KM_OFFICER = 1u << 5,  /* "km-officer": key recovery */
	EGCA_ROLE_DEPT_VIEWER = 1u << 6, /* "dept-viewer": one department */
	EGCA_ROLE_APPLICANT = 1u << 7,   /* "applicant": one subscriber */
};
#define EGCA_ROLE_ALL 0xffu
/* The three-officer roles (三员): at most one of them on one person. */
#define EGCA_ROLE_THREE                                                        \
	(EGCA_ROLE_SYSADMIN | EGCA_ROLE_SECADMIN | EGCA_ROLE_AUDITOR)
/* Roles able to cause issuance or recovery: TOTP is mandatory. */
#define EGCA_ROLE_NEEDS_MFA                                                    \
	(EGCA_ROLE_SYSADMIN | EGCA_ROLE_SECADMIN | EGCA_ROLE_RA_OPERATOR |     \
	    EGCA_ROLE_RA_REVIEWER | EGCA_ROLE_KM_OFFICER)

/* "ra-operator" for one bit; NULL for anything else. */
const char *egca_role_name(unsigned role);
/* "ra-operator,ra-reviewer" -> mask; EGCA_ERR_INPUT naming the word. */
EGCA_MUST_CHECK enum egca_err egca_role_parse(const char *list, unsigned *out);
/* Comma-separated names of mask into out. */
void egca_role_format(unsigned mask, char *out, size_t len);
/*
 * Separation of duties: at most one of EGCA_ROLE_THREE; an auditor
 * holds no other role; an applicant holds no other role; mask not 0.
 * EGCA_ERR_POLICY naming the conflict.
 */
EGCA_MUST_CHECK enum egca_err egca_role_check(unsigned mask);

/* ---- The caller ---- */

struct egca_principal {
	char name[64];        /* operator login; "" when anonymous */
	char actor[96];       /* "operator:alice", "token:alice/1a2b3c4d",
	                         "anonymous" (audit actor) */
	unsigned roles;       /* effective roles (a token: its scope) */
	int mfa;              /* 1: authenticated with a second factor, or a
	                         token created by such a session */
	int must_change;      /* 1: one-time password still in use */
	char point[64];       /* registration point id, "" none */
	char department[128]; /* dept-viewer: department, "" none */
	char subscriber[33];  /* applicant: own subscriber id, "" none */
	char session[65];     /* session id hash (hex) when by session */
};

/* Fills p as the anonymous caller. */
void egca_principal_anonymous(struct egca_principal *p);

/* ---- The policy table (src/auth/policy.c) ---- */

#define EGCA_POLICY_PUBLIC 1u  /* anyone, anonymous included */
#define EGCA_POLICY_MFA 2u     /* the caller must have p->mfa */
#define EGCA_POLICY_CHANGES 4u /* state-changing: CSRF checked */
#define EGCA_POLICY_ANY_USER                                                   \
	8u /* any authenticated caller, even one                               \
	      that still must change its password */

struct egca_policy_rule {
	const char *action; /* the route name, e.g. "app_approve" */
	unsigned roles;     /* roles allowed (EGCA_POLICY_PUBLIC: ignored) */
	unsigned flags;
};

extern const struct egca_policy_rule egca_policy[];
extern const size_t egca_npolicy;

/* The rule of action, or NULL (an unknown action is denied). */
const struct egca_policy_rule *egca_policy_find(const char *action);

/*
 * Whether p may perform action: EGCA_OK; EGCA_ERR_AUTH when the action
 * needs an authenticated caller and p is anonymous (HTTP 401);
 * EGCA_ERR_POLICY when p lacks the role, the second factor, or still
 * must change its one-time password (HTTP 403). Unknown actions are
 * EGCA_ERR_POLICY. Pure: no store, no audit.
 */
EGCA_MUST_CHECK enum egca_err egca_authorize(
    const struct egca_principal *p, const char *action);

/* ---- Operators ---- */

struct egca_operator_rec {
	char *name;         /* [a-z0-9._-]{1,63}, primary key */
	char *display_name; /* UTF-8 */
	unsigned roles;
	char *point;       /* registration point id or NULL */
	char *department;  /* dept-viewer's department or NULL */
	char *subscriber;  /* applicant's subscriber id or NULL */
	char *cert_sha256; /* TLS client certificate fingerprint or NULL */
	int totp_enrolled;
	int must_change;
	int disabled;
	int failures;         /* consecutive failed logins */
	int64_t locked_until; /* 0 when not locked */
	int64_t created_at;
	int64_t last_login;
};
void egca_auth_operator_rec_free(struct egca_operator_rec *r);
void egca_auth_operator_list_free(struct egca_operator_rec *l, size_t n);

struct egca_operator_new {
	const char *name;
	const char *display_name; /* NULL: name */
	unsigned roles;           /* egca_role_check'ed */
	const char *point;        /* required for ra-operator, ra-reviewer */
	const char *department;   /* required for dept-viewer */
	const char *subscriber;   /* required for applicant */
};

/* Length of the one-time credentials printed once (base32 text). */
#define EGCA_AUTH_OTP_LEN 24

/*
 * Creates an operator with a random one-time password (written to
 * otp, EGCA_AUTH_OTP_LEN chars + NUL) that must be changed at first
 * login. by is who does it (audited). EGCA_ERR_EXISTS, EGCA_ERR_POLICY
 * (role conflict), EGCA_ERR_INPUT (name), EGCA_ERR_NOTFOUND (point,
 * subscriber).
 */
EGCA_MUST_CHECK enum egca_err egca_auth_operator_create(
    const struct egca_ctx *ctx, const struct egca_operator_new *o,
    char otp[EGCA_AUTH_OTP_LEN + 1]);
/*
 * The first security administrator of a new data directory: only when
 * no operator exists (EGCA_ERR_EXISTS otherwise).
 */
EGCA_MUST_CHECK enum egca_err egca_auth_bootstrap(const struct egca_ctx *ctx,
    const char *name, char otp[EGCA_AUTH_OTP_LEN + 1]);
EGCA_MUST_CHECK enum egca_err egca_auth_operator_get(const struct egca_ctx *ctx,
    const char *name, struct egca_operator_rec *out);
EGCA_MUST_CHECK enum egca_err egca_auth_operator_list(
    const struct egca_ctx *ctx, struct egca_operator_rec **out, size_t *n);
/* Replaces the roles (egca_role_check'ed; the point etc. must fit). */
EGCA_MUST_CHECK enum egca_err egca_auth_operator_set_roles(
    const struct egca_ctx *ctx, const char *name, unsigned roles);
/*
 * Replaces the roles together with the point, department and subscriber
 * (NULL or "": none), so an operator can take a role whose attribute it
 * lacked. The same checks as for egca_auth_operator_create; audited as
 * "operator.roles".
 */
EGCA_MUST_CHECK enum egca_err egca_auth_operator_set_scope(
    const struct egca_ctx *ctx, const char *name, unsigned roles,
    const char *point, const char *department, const char *subscriber);
EGCA_MUST_CHECK enum egca_err egca_auth_operator_disable(
    const struct egca_ctx *ctx, const char *name, int disabled);
/* Clears the lockout and the failure count. */
EGCA_MUST_CHECK enum egca_err egca_auth_operator_unlock(
    const struct egca_ctx *ctx, const char *name);
/*
 * New one-time password and TOTP cleared; every session and token of
 * the operator ends.
 */
EGCA_MUST_CHECK enum egca_err egca_auth_operator_reset(
    const struct egca_ctx *ctx, const char *name,
    char otp[EGCA_AUTH_OTP_LEN + 1]);
/* Registers (sha256 hex) or clears (NULL) a TLS client certificate. */
EGCA_MUST_CHECK enum egca_err egca_auth_operator_set_cert(
    const struct egca_ctx *ctx, const char *name, const char *sha256_hex);

/* ---- Passwords ---- */

#define EGCA_AUTH_PASSWORD_MIN 12
#define EGCA_AUTH_PASSWORD_MAX 256
/* Argon2id (m = 19 MiB, t = 2, p = 1) encoded hash. */
EGCA_MUST_CHECK enum egca_err egca_auth_password_hash(
    const char *password, char *out, size_t out_len);
/* EGCA_OK on match, EGCA_ERR_AUTH otherwise. */
EGCA_MUST_CHECK enum egca_err egca_auth_password_verify(
    const char *encoded, const char *password);
/* Length 12..256, UTF-8, not the login name. EGCA_ERR_POLICY. */
EGCA_MUST_CHECK enum egca_err egca_auth_password_policy(
    const char *name, const char *password);
/* The operator changes its own password (old one checked). */
EGCA_MUST_CHECK enum egca_err egca_auth_password_change(
    const struct egca_ctx *ctx, const char *name, const char *old_password,
    const char *new_password);

/* ---- TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) ---- */

/*
 * Starts enrolment: a new 20-byte seed, sealed and stored as pending;
 * secret_b32 (>= 40 bytes) and uri (>= 256 bytes) receive the base32
 * seed and the otpauth:// URI for an authenticator app.
 */
EGCA_MUST_CHECK enum egca_err egca_auth_totp_enroll(const struct egca_ctx *ctx,
    const char *name, char *secret_b32, size_t secret_len, char *uri,
    size_t uri_len);
/* Confirms the pending seed with a current code; then TOTP is on. */
EGCA_MUST_CHECK enum egca_err egca_auth_totp_confirm(
    const struct egca_ctx *ctx, const char *name, const char *code);
/* The code for seed at time t (tests and the CLI's helper). */
EGCA_MUST_CHECK enum egca_err egca_auth_totp_code(
    const uint8_t *seed, size_t seed_len, int64_t t, char code[7]);

/* ---- Login, sessions, lockout ---- */

#define EGCA_AUTH_MAX_FAILURES 5
#define EGCA_AUTH_LOCK_SECONDS 900
#define EGCA_AUTH_SESSION_IDLE 900  /* seconds without a request */
#define EGCA_AUTH_SESSION_MAX 28800 /* absolute lifetime */

struct egca_login {
	const char *name;
	const char *password;
	const char *totp;        /* NULL when not given */
	const char *source;      /* client address, for the audit record */
	const char *old_session; /* cookie presented at login (ended) */
};

struct egca_session_out {
	char id[65];   /* cookie value (random, hex); only its hash is stored */
	char csrf[65]; /* CSRF token for X-CSRF-Token */
	int64_t expires;
};

/*
 * Checks the password, then TOTP when the operator has it (mandatory
 * for EGCA_ROLE_NEEDS_MFA roles once enrolled; before enrolment the
 * session has mfa 0 and may only change its password and enrol).
 * Failures: EGCA_ERR_AUTH with one message for unknown user, wrong
 * password or wrong code (no oracle); EGCA_ERR_STATE when locked
 * (after EGCA_AUTH_MAX_FAILURES, until locked_until) or disabled. Every
 * failure is audited ("auth.login", failure). A fresh session id is made
 * on every login and old_session is ended (no fixation).
 */
EGCA_MUST_CHECK enum egca_err egca_auth_login(const struct egca_ctx *ctx,
    const struct egca_login *in, struct egca_session_out *out,
    struct egca_principal *p);
/*
 * The principal of session id at now. csrf is the X-CSRF-Token header
 * (NULL when absent): required and compared in constant time when
 * changes is 1. EGCA_ERR_AUTH: unknown, expired or idle session;
 * EGCA_ERR_POLICY: CSRF token missing or wrong. Refreshes last_seen.
 */
EGCA_MUST_CHECK enum egca_err egca_auth_session_check(
    const struct egca_ctx *ctx, const char *id, const char *csrf, int changes,
    int64_t now, struct egca_principal *p);
EGCA_MUST_CHECK enum egca_err egca_auth_logout(
    const struct egca_ctx *ctx, const char *id);

/* ---- API tokens ("egca_" + 43 base64url chars) ---- */

struct egca_token_rec {
	char *id; /* 16 hex chars, public */
	char *owner;
	char *label;
	unsigned roles;
	int mfa;
	int64_t created_at;
	int64_t expires_at;
	int64_t revoked_at; /* 0: not revoked */
	int64_t last_used;
};
void egca_auth_token_list_free(struct egca_token_rec *l, size_t n);

/*
 * Makes a token for owner's own use: roles must be a subset of owner's
 * roles; ttl_seconds 1 .. 366 days. The token text (printed once) goes
 * to token (>= 64 bytes), its public id to id.
 */
EGCA_MUST_CHECK enum egca_err egca_auth_token_create(const struct egca_ctx *ctx,
    const struct egca_principal *owner, unsigned roles, int64_t ttl_seconds,
    const char *label, char *token, size_t token_len, char id[17]);
/* EGCA_ERR_AUTH: unknown, expired, revoked, or owner disabled. */
EGCA_MUST_CHECK enum egca_err egca_auth_token_check(const struct egca_ctx *ctx,
    const char *token, int64_t now, struct egca_principal *p);
/* The owner, or a secadmin, revokes token id. */
EGCA_MUST_CHECK enum egca_err egca_auth_token_revoke(const struct egca_ctx *ctx,
    const struct egca_principal *by, const char *id);
/* Tokens of owner (NULL: all, secadmin). */
EGCA_MUST_CHECK enum egca_err egca_auth_token_list(const struct egca_ctx *ctx,
    const char *owner, struct egca_token_rec **out, size_t *n);

/* Login by TLS client certificate (sha256 of the DER, hex). */
EGCA_MUST_CHECK enum egca_err egca_auth_cert_login(const struct egca_ctx *ctx,
    const char *cert_sha256_hex, const char *source, struct egca_principal *p);

/* ---- Denials ---- */

/*
 * Audits a refused request ("auth.deny", failure) with the action, the
 * caller and the reason, in a transaction of its own.
 */
EGCA_MUST_CHECK enum egca_err egca_auth_audit_denied(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *action, const char *reason);

#endif
