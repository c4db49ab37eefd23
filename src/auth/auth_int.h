/* Private to auth/: the clock, sealing, audit helpers, name checks. */
#ifndef EGCA_AUTH_INT_H
#define EGCA_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "egca/auth.h"

/*
 * Store records own their strings (char *); when the service lends a
 * constant to a record that is only read, this says so.
 */
#define UNCONST(p) ((char *)(uintptr_t)(p))

/* Current time (Unix seconds); tests may pin it (auth/auth_test.h). */
int64_t auth_now(void);

/* [a-z0-9._-]{1,63}; EGCA_ERR_INPUT naming field. */
EGCA_MUST_CHECK enum egca_err auth_name_check(
    const char *field, const char *name);
/* Well-formed UTF-8 (no overlong forms, surrogates or > U+10FFFF). */
int auth_utf8_valid(const char *s, size_t len);

/*
 * Appends one audit event in the caller's transaction; details may be
 * NULL ("{}"), a NULL from egca_audit_details is EGCA_ERR_NOMEM.
 */
EGCA_MUST_CHECK enum egca_err auth_audit(struct egca_store *st,
    const char *actor, const char *action, const char *object,
    const char *outcome, const char *details);
/*
 * Records a refusal in a transaction of its own, keeping the refusal's
 * error and detail for the caller: returns err.
 */
enum egca_err auth_audit_failure(const struct egca_ctx *ctx, const char *actor,
    const char *action, const char *object, enum egca_err err,
    const char *source);

/* ---- Sealing (seal.c): AES-256-GCM under DIR/keys/auth.key ---- */

#define AUTH_SEAL_NONCE 12
#define AUTH_SEAL_TAG 16
#define AUTH_SEAL_OVERHEAD (AUTH_SEAL_NONCE + AUTH_SEAL_TAG)

/*
 * Seals in (in_len bytes) with aad into *out (malloc'd, in_len +
 * AUTH_SEAL_OVERHEAD bytes). Creates keys/auth.key on first use.
 */
EGCA_MUST_CHECK enum egca_err auth_seal(const struct egca_config *cfg,
    const uint8_t *in, size_t in_len, const char *aad, uint8_t **out,
    size_t *out_len);
/*
 * Opens a sealed blob into out (out_max bytes at least in_len -
 * AUTH_SEAL_OVERHEAD). EGCA_ERR_INTEGRITY when it does not open.
 */
EGCA_MUST_CHECK enum egca_err auth_unseal(const struct egca_config *cfg,
    const uint8_t *in, size_t in_len, const char *aad, uint8_t *out,
    size_t out_max, size_t *out_len);

/* ---- TOTP (totp.c) ---- */

#define AUTH_TOTP_SEED_LEN 20
#define AUTH_TOTP_STEP 30

/*
 * Checks code (6 digits) against seed at now with a window of one step
 * either side; *step receives the matching time step. EGCA_ERR_AUTH
 * when no step matches.
 */
EGCA_MUST_CHECK enum egca_err auth_totp_match(const uint8_t *seed,
    size_t seed_len, const char *code, int64_t now, int64_t *step);

/* ---- Passwords (password.c) ---- */

/* Verifies against a fixed dummy hash: the same work, always fails. */
void auth_password_dummy(const char *password);
/* Base32 (RFC 4648, upper case, no padding) of in into out. */
EGCA_MUST_CHECK enum egca_err auth_base32(
    const uint8_t *in, size_t in_len, char *out, size_t out_len);
/* A one-time password: EGCA_AUTH_OTP_LEN base32 characters. */
EGCA_MUST_CHECK enum egca_err auth_otp_make(char otp[EGCA_AUTH_OTP_LEN + 1]);

/* ---- Lockout (login.c) ---- */

/*
 * Counts one failed attempt against operator name (which exists):
 * failures + 1, and locked_until = now + EGCA_AUTH_LOCK_SECONDS at
 * EGCA_AUTH_MAX_FAILURES (an expired lock starts the count again); the
 * failure is audited (actor, action, reason, source) in the same
 * transaction. Returns EGCA_ERR_AUTH with the one login message, or the
 * store's error.
 */
EGCA_MUST_CHECK enum egca_err auth_login_failed(const struct egca_ctx *ctx,
    const char *actor, const char *name, const char *action, const char *reason,
    const char *source);

/* ---- Principals ---- */

/* Fills p from an operator row (actor "operator:<name>"). */
void auth_principal_fill(struct egca_principal *p,
    const struct egca_operator_row *op, int mfa, const char *session_hash);
/* SHA-256 hex of a NUL-terminated string. */
EGCA_MUST_CHECK enum egca_err auth_sha256_hex(const char *s, char out[65]);
/* 1 when s is exactly len lower- or upper-case hex digits. */
int auth_is_hex(const char *s, size_t len);

#endif
