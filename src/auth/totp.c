/*
 * TOTP second factor (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps,
 * one step of clock drift either side) computed by liboath. Seeds are
 * 20 random bytes, sealed under keys/auth.key with the operator name as
 * additional data. A code is accepted once: its time step must be
 * newer than the last accepted one, and the new step is stored in the
 * transaction that accepts it (replay within the window fails).
 *
 * Enrolment is two steps: enroll stores a pending seed and hands out
 * the secret; confirm proves the authenticator has it and switches
 * TOTP on. Enrolling again while TOTP is on is refused: the security
 * administrator's reset clears it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <liboath/oath.h>
#include <openssl/crypto.h>

#include "egca/audit.h"
#include "egca/crypto.h"
#include "auth/auth_int.h"

#define DIGITS 6

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_status = OATH_OK;

static void
oath_setup(void)
{
	oath_status = oath_init();
}

static enum egca_err
oath_ready(void)
{
	pthread_once(&oath_once, oath_setup);
	if (oath_status != OATH_OK)
		return egca_err_set(EGCA_ERR_INTERNAL, "totp: liboath: %s",
		    oath_strerror(oath_status));
	return EGCA_OK;
}

enum egca_err
egca_auth_totp_code(
    const uint8_t *seed, size_t seed_len, int64_t t, char code[7])
{
	enum egca_err err;
	int rc;

	code[0] = '\0';
	if ((err = oath_ready()) != EGCA_OK)
		return err;
	if (seed == NULL || seed_len == 0 || t < 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "totp: no seed or bad time");
	rc = oath_totp_generate((const char *)seed, seed_len, (time_t)t,
	    AUTH_TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME, DIGITS, code);
	if (rc != OATH_OK) {
		code[0] = '\0';
		return egca_err_set(
		    EGCA_ERR_CRYPTO, "totp: liboath: %s", oath_strerror(rc));
	}
	return EGCA_OK;
}

/* liboath's comparison hook: 0 on a match, in constant time. */
static int
code_cmp(void *handle, const char *test_otp)
{
	return CRYPTO_memcmp(handle, test_otp, DIGITS) != 0;
}

enum egca_err
auth_totp_match(const uint8_t *seed, size_t seed_len, const char *code,
    int64_t now, int64_t *step)
{
	char c[DIGITS + 1];
	uint64_t counter = 0;
	enum egca_err err;
	size_t i;
	int rc, pos = 0;

	*step = 0;
	if ((err = oath_ready()) != EGCA_OK)
		return err;
	if (code == NULL || strlen(code) != DIGITS)
		return egca_err_set(
		    EGCA_ERR_AUTH, "totp: code is not 6 digits");
	for (i = 0; i < DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return egca_err_set(
			    EGCA_ERR_AUTH, "totp: code is not 6 digits");
	memcpy(c, code, sizeof(c));
	rc = oath_totp_validate3_callback((const char *)seed, seed_len,
	    (time_t)now, AUTH_TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME, DIGITS,
	    1, &pos, &counter, code_cmp, c);
	OPENSSL_cleanse(c, sizeof(c));
	if (rc == OATH_INVALID_OTP)
		return egca_err_set(EGCA_ERR_AUTH, "totp: wrong code");
	if (rc < 0)
		return egca_err_set(
		    EGCA_ERR_CRYPTO, "totp: liboath: %s", oath_strerror(rc));
	*step = (int64_t)counter;
	return EGCA_OK;
}

/* ---- enrolment ---- */

struct enroll {
	const struct egca_ctx *ctx;
	const char *name;
	uint8_t seed[AUTH_TOTP_SEED_LEN];
};

static enum egca_err
enroll_tx(struct egca_store *st, void *arg)
{
	struct enroll *en = arg;
	struct egca_operator_row op;
	uint8_t *sealed = NULL;
	size_t sealed_len;
	char object[80];
	enum egca_err err;

	if ((err = egca_store_operator_get(st, en->name, &op)) != EGCA_OK)
		return err;
	if (op.disabled) {
		err = egca_err_set(EGCA_ERR_STATE,
		    "totp: operator %s is"
		    " disabled",
		    en->name);
		goto out;
	}
	if (op.totp_sealed != NULL) {
		err = egca_err_set(EGCA_ERR_STATE,
		    "totp: already enrolled (a security administrator's reset"
		    " clears it)");
		goto out;
	}
	if ((err = egca_crypto_rand(en->seed, sizeof(en->seed))) != EGCA_OK ||
	    (err = auth_seal(en->ctx->cfg, en->seed, sizeof(en->seed), en->name,
	         &sealed, &sealed_len)) != EGCA_OK)
		goto out;
	free(op.totp_pending);
	op.totp_pending = sealed;
	op.totp_pending_len = sealed_len;
	sealed = NULL;
	if ((err = egca_store_operator_update(st, &op)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "operator/%s", en->name);
	err = auth_audit(
	    st, en->ctx->actor, "auth.totp.enroll", object, "success", NULL);
out:
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
egca_auth_totp_enroll(const struct egca_ctx *ctx, const char *name,
    char *secret_b32, size_t secret_len, char *uri, size_t uri_len)
{
	struct enroll en;
	char object[80];
	enum egca_err err;
	int n;

	if (secret_len > 0)
		secret_b32[0] = '\0';
	if (uri_len > 0)
		uri[0] = '\0';
	if ((err = auth_name_check("name", name)) != EGCA_OK)
		return err;
	if (secret_len < 40 || uri_len < 256)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "totp: output buffers too small");
	memset(&en, 0, sizeof(en));
	en.ctx = ctx;
	en.name = name;
	if ((err = egca_store_tx(ctx->st, enroll_tx, &en)) != EGCA_OK) {
		OPENSSL_cleanse(en.seed, sizeof(en.seed));
		snprintf(object, sizeof(object), "operator/%s", name);
		return auth_audit_failure(
		    ctx, ctx->actor, "auth.totp.enroll", object, err, NULL);
	}
	err = auth_base32(en.seed, sizeof(en.seed), secret_b32, secret_len);
	OPENSSL_cleanse(en.seed, sizeof(en.seed));
	if (err != EGCA_OK)
		return err;
	/* Names are [a-z0-9._-]: nothing in the URI needs escaping. */
	n = snprintf(uri, uri_len,
	    "otpauth://totp/egca:%s?secret=%s&issuer=egca&algorithm=SHA1"
	    "&digits=6&period=30",
	    name, secret_b32);
	if (n < 0 || (size_t)n >= uri_len) {
		OPENSSL_cleanse(secret_b32, secret_len);
		OPENSSL_cleanse(uri, uri_len);
		return egca_err_set(EGCA_ERR_INTERNAL, "totp: URI too long");
	}
	return EGCA_OK;
}

struct confirm {
	const struct egca_ctx *ctx;
	const char *name;
	const char *code;
	int64_t now;
};

static enum egca_err
confirm_tx(struct egca_store *st, void *arg)
{
	struct confirm *cf = arg;
	struct egca_operator_row op;
	uint8_t seed[64];
	size_t seed_len = 0;
	int64_t step;
	char object[80], *details = NULL;
	enum egca_err err;

	if ((err = egca_store_operator_get(st, cf->name, &op)) != EGCA_OK)
		return err;
	if (op.totp_pending == NULL) {
		err = egca_err_set(EGCA_ERR_STATE,
		    "totp: no enrolment under way (enroll first)");
		goto out;
	}
	if ((err = auth_unseal(cf->ctx->cfg, op.totp_pending,
	         op.totp_pending_len, cf->name, seed, sizeof(seed),
	         &seed_len)) != EGCA_OK ||
	    (err = auth_totp_match(seed, seed_len, cf->code, cf->now, &step)) !=
	        EGCA_OK)
		goto out;
	if (step <= op.totp_last_step) {
		err = egca_err_set(EGCA_ERR_AUTH, "totp: code already used");
		goto out;
	}
	free(op.totp_sealed);
	op.totp_sealed = op.totp_pending;
	op.totp_sealed_len = op.totp_pending_len;
	op.totp_pending = NULL;
	op.totp_pending_len = 0;
	op.totp_last_step = step;
	if ((err = egca_store_operator_update(st, &op)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "operator/%s", cf->name);
	if ((details = egca_audit_details("{s:I}", "step", (json_int_t)step)) ==
	    NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "audit details");
		goto out;
	}
	err = auth_audit(st, cf->ctx->actor, "auth.totp.confirm", object,
	    "success", details);
out:
	free(details);
	OPENSSL_cleanse(seed, sizeof(seed));
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
egca_auth_totp_confirm(
    const struct egca_ctx *ctx, const char *name, const char *code)
{
	struct confirm cf = {ctx, name, code, auth_now()};
	char object[80];
	enum egca_err err;

	if ((err = auth_name_check("name", name)) != EGCA_OK)
		return err;
	if ((err = egca_store_tx(ctx->st, confirm_tx, &cf)) != EGCA_OK) {
		snprintf(object, sizeof(object), "operator/%s", name);
		return auth_audit_failure(
		    ctx, ctx->actor, "auth.totp.confirm", object, err, NULL);
	}
	return EGCA_OK;
}
