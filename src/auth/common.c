/*
 * Helpers shared by the auth/ files: the clock, name and UTF-8 checks
 * and the refusal audit.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "egca/audit.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "auth/auth_int.h"
#include "auth/auth_test.h"

/* 0: the real clock. Only tests set it (auth_test.h). */
static _Atomic int64_t pinned_now;

void
egca_auth_test_clock(int64_t now)
{
	atomic_store(&pinned_now, now);
}

int64_t
auth_now(void)
{
	int64_t t = atomic_load(&pinned_now);

	return t != 0 ? t : (int64_t)time(NULL);
}

enum egca_err
auth_name_check(const char *field, const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > 63)
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: must be 1 to 63 characters", field);
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '.' || c == '_' || c == '-'))
			return egca_err_set(EGCA_ERR_INPUT,
			    "%s: only a-z, 0-9, '.', '_' and '-' allowed",
			    field);
	}
	return EGCA_OK;
}

int
auth_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, n;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1fu;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0fu;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07u;
			min = 0x10000;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

enum egca_err
auth_audit(struct egca_store *st, const char *actor, const char *action,
    const char *object, const char *outcome, const char *details)
{
	struct egca_audit_event ev = {actor, action, object, outcome, details};

	return egca_audit_append(st, &ev);
}

enum egca_err
auth_audit_failure(const struct egca_ctx *ctx, const char *actor,
    const char *action, const char *object, enum egca_err err,
    const char *source)
{
	struct egca_audit_event ev;
	char detail[512], *details;

	/* The detail names the refused field, never a secret. */
	snprintf(detail, sizeof(detail), "%s", egca_err_detail());
	details =
	    egca_audit_details("{s:s, s:s, s:s}", "error", egca_err_name(err),
	        "reason", detail, "source", source ? source : "");
	ev = (struct egca_audit_event){
	    actor ? actor : "anonymous", action, object, "failure", details};
	if (details == NULL || egca_audit_record(ctx->st, &ev) != EGCA_OK) {
		/* The refusal stands; its record could not be written. */
		free(details);
		return egca_err_set(err, "%s (and its audit record failed: %s)",
		    detail, egca_err_detail());
	}
	free(details);
	return egca_err_set(err, "%s", detail);
}

enum egca_err
auth_sha256_hex(const char *s, char out[65])
{
	uint8_t h[32];
	enum egca_err err;

	if ((err = egca_crypto_sha256(s, strlen(s), h)) != EGCA_OK)
		return err;
	egca_hex_encode(h, sizeof(h), out);
	return EGCA_OK;
}

int
auth_is_hex(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (egca_hex_digit((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}
