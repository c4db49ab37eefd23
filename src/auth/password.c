/*
 * Passwords: Argon2id (RFC 9106; m = 19 MiB, t = 2, p = 1, the OWASP
 * minimum), the password rules, and one-time passwords for new and
 * reset accounts.
 *
 * Not checked: breached-password lists and character classes (length
 * is what the rules ask for; NIST SP 800-63B 5.1.1.2).
 */
#include <ctype.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>

#include "egca/crypto.h"
#include "auth/auth_int.h"

#define ARGON2_T 2
#define ARGON2_M 19456 /* KiB */
#define ARGON2_P 1
#define ARGON2_SALT 16
#define ARGON2_HASH 32

/*
 * The same parameters over a password nobody has: an unknown login
 * name costs as much as a known one.
 */
static const char dummy_hash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$ZWdjYS1kdW1teS1zYWx0IQ"
    "$js6aWvci+E4ouDrtEjP8KZDQ+Ba/z71WC3FDXmqHyJE";

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

enum egca_err
egca_auth_password_hash(const char *password, char *out, size_t out_len)
{
	uint8_t salt[ARGON2_SALT];
	size_t need = argon2_encodedlen(
	    ARGON2_T, ARGON2_M, ARGON2_P, ARGON2_SALT, ARGON2_HASH, Argon2_id);
	enum egca_err err;
	int rc;

	if (out_len > 0)
		out[0] = '\0';
	if (password == NULL || strlen(password) > EGCA_AUTH_PASSWORD_MAX)
		return egca_err_set(EGCA_ERR_POLICY,
		    "password: at most %d bytes", EGCA_AUTH_PASSWORD_MAX);
	if (out_len < need)
		return egca_err_set(EGCA_ERR_INTERNAL,
		    "password: hash buffer of %zu bytes, %zu needed", out_len,
		    need);
	if ((err = egca_crypto_rand(salt, sizeof(salt))) != EGCA_OK)
		return err;
	rc = argon2id_hash_encoded(ARGON2_T, ARGON2_M, ARGON2_P, password,
	    strlen(password), salt, sizeof(salt), ARGON2_HASH, out, out_len);
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != ARGON2_OK)
		return egca_err_set(rc == ARGON2_MEMORY_ALLOCATION_ERROR
		        ? EGCA_ERR_NOMEM
		        : EGCA_ERR_CRYPTO,
		    "password: argon2id: %s", argon2_error_message(rc));
	return EGCA_OK;
}

enum egca_err
egca_auth_password_verify(const char *encoded, const char *password)
{
	size_t n;
	int rc;

	if (encoded == NULL || password == NULL)
		return egca_err_set(EGCA_ERR_AUTH, "password: does not match");
	n = strlen(password);
	/* Longer ones were never accepted; do not hash megabytes. */
	if (n > EGCA_AUTH_PASSWORD_MAX)
		n = EGCA_AUTH_PASSWORD_MAX + 1;
	rc = argon2id_verify(encoded, password, n);
	if (rc == ARGON2_OK)
		return EGCA_OK;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return egca_err_set(EGCA_ERR_AUTH, "password: does not match");
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return egca_err_set(EGCA_ERR_NOMEM, "password: argon2id: %s",
		    argon2_error_message(rc));
	/* A stored hash that does not decode never matches. */
	return egca_err_set(EGCA_ERR_AUTH,
	    "password: stored hash unusable (%s)", argon2_error_message(rc));
}

void
auth_password_dummy(const char *password)
{
	enum egca_err err =
	    egca_auth_password_verify(dummy_hash, password ? password : "");

	(void)err;
}

/* 1 when hay contains needle, ASCII case-insensitively. */
static int
contains_nocase(const char *hay, const char *needle)
{
	size_t i, j, h = strlen(hay), n = strlen(needle);

	if (n == 0 || n > h)
		return 0;
	for (i = 0; i + n <= h; i++) {
		for (j = 0; j < n; j++)
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (j == n)
			return 1;
	}
	return 0;
}

enum egca_err
egca_auth_password_policy(const char *name, const char *password)
{
	size_t n = password ? strlen(password) : 0;

	if (n < EGCA_AUTH_PASSWORD_MIN)
		return egca_err_set(EGCA_ERR_POLICY,
		    "password: at least %d bytes", EGCA_AUTH_PASSWORD_MIN);
	if (n > EGCA_AUTH_PASSWORD_MAX)
		return egca_err_set(EGCA_ERR_POLICY,
		    "password: at most %d bytes", EGCA_AUTH_PASSWORD_MAX);
	if (!auth_utf8_valid(password, n))
		return egca_err_set(
		    EGCA_ERR_POLICY, "password: not valid UTF-8");
	if (name != NULL && contains_nocase(password, name))
		return egca_err_set(EGCA_ERR_POLICY,
		    "password: must not contain the login name");
	return EGCA_OK;
}

enum egca_err
auth_otp_make(char otp[EGCA_AUTH_OTP_LEN + 1])
{
	/* 15 bytes = 120 bits = 24 base32 characters, no padding. */
	uint8_t r[EGCA_AUTH_OTP_LEN * 5 / 8];
	enum egca_err err;

	if ((err = egca_crypto_rand(r, sizeof(r))) == EGCA_OK)
		err = auth_base32(r, sizeof(r), otp, EGCA_AUTH_OTP_LEN + 1);
	OPENSSL_cleanse(r, sizeof(r));
	return err;
}

/* Base32 (RFC 4648, no padding) of in into out (out_len with NUL). */
enum egca_err
auth_base32(const uint8_t *in, size_t in_len, char *out, size_t out_len)
{
	unsigned acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (out_len < (in_len * 8 + 4) / 5 + 1)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "base32: output buffer too small");
	for (i = 0; i < in_len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32[(acc >> bits) & 31u];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31u];
	out[o] = '\0';
	return EGCA_OK;
}
