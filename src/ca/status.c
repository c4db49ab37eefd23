/*
 * Certificate status changes: revoke, hold (冻结), unhold (解冻), with
 * RFC 5280 CRLReason codes (include/egca/ca.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "egca/audit.h"
#include "egca/ca.h"
#include "egca/status.h"
#include "ca/ca_int.h"

static const char *const reasons[] = {
    "unspecified",          /* 0 */
    "keyCompromise",        /* 1 */
    "cACompromise",         /* 2 */
    "affiliationChanged",   /* 3 */
    "superseded",           /* 4 */
    "cessationOfOperation", /* 5 */
    "certificateHold",      /* 6 */
    NULL,                   /* 7 is not used */
    "removeFromCRL",        /* 8 */
    "privilegeWithdrawn",   /* 9 */
    "aACompromise",         /* 10 */
};

#define NREASONS (int)(sizeof(reasons) / sizeof(reasons[0]))

enum egca_err
egca_ca_reason_parse(const char *s, int *reason)
{
	char *end;
	long v;
	int i;

	for (i = 0; i < NREASONS; i++)
		if (reasons[i] != NULL && strcasecmp(s, reasons[i]) == 0) {
			*reason = i;
			return EGCA_OK;
		}
	v = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && v >= 0 && v < NREASONS &&
	    reasons[v] != NULL) {
		*reason = (int)v;
		return EGCA_OK;
	}
	return egca_err_set(EGCA_ERR_USAGE,
	    "unknown revocation reason '%s' (RFC 5280 5.3.1: unspecified, "
	    "keyCompromise, cACompromise, affiliationChanged, superseded, "
	    "cessationOfOperation, privilegeWithdrawn, aACompromise)",
	    s);
}

const char *
egca_ca_reason_name(int reason)
{
	if (reason < 0 || reason >= NREASONS || reasons[reason] == NULL)
		return "";
	return reasons[reason];
}

struct status_tx {
	const struct egca_ctx *ctx;
	const char *ca, *serial;
	enum egca_status_action action;
	int reason;
	int64_t invalidity;
	int64_t now;
	struct egca_issuer *is; /* re-signs the OCSP response, or NULL */
	egca_ca_tx_hook hook;   /* the caller's change, or NULL */
	void *hook_arg;
};

static const char *
action_name(enum egca_status_action a)
{
	switch (a) {
	case EGCA_ACTION_REVOKE:
		return "cert.revoke";
	case EGCA_ACTION_HOLD:
		return "cert.hold";
	case EGCA_ACTION_UNHOLD:
		return "cert.unhold";
	}
	return "cert.status";
}

/* Reads the current status inside the transaction, then writes. */
static enum egca_err
status_tx(struct egca_store *st, void *arg)
{
	struct status_tx *c = arg;
	struct egca_cert_rec cur;
	struct egca_audit_event ev;
	const char *to = NULL;
	char object[128], *details = NULL;
	int reason = c->reason;
	int64_t at = c->now, inv = c->invalidity;
	enum egca_err e;

	memset(&cur, 0, sizeof(cur));
	if ((e = egca_store_cert_get(st, c->ca, c->serial, &cur)) != EGCA_OK)
		goto out;
	switch (c->action) {
	case EGCA_ACTION_REVOKE:
		if (strcmp(cur.status, "revoked") == 0) {
			e = egca_err_set(EGCA_ERR_STATE,
			    "certificate %s is already revoked (%s)", c->serial,
			    egca_ca_reason_name(cur.reason));
			goto out;
		}
		to = "revoked";
		/* A held certificate keeps the time it was first held. */
		if (strcmp(cur.status, "hold") == 0 && cur.revoked_at != 0)
			at = cur.revoked_at;
		break;
	case EGCA_ACTION_HOLD:
		if (strcmp(cur.status, "good") != 0) {
			e = egca_err_set(EGCA_ERR_STATE,
			    "certificate %s is %s: only a good certificate "
			    "can be held",
			    c->serial, cur.status);
			goto out;
		}
		to = "hold";
		reason = 6;
		break;
	case EGCA_ACTION_UNHOLD:
		if (strcmp(cur.status, "hold") != 0) {
			e = egca_err_set(EGCA_ERR_STATE,
			    "certificate %s is %s: only a held certificate "
			    "can be released",
			    c->serial, cur.status);
			goto out;
		}
		to = "good";
		reason = -1;
		at = 0;
		inv = 0;
		break;
	}
	if (cur.not_after < c->now && c->action != EGCA_ACTION_REVOKE) {
		e = egca_err_set(
		    EGCA_ERR_STATE, "certificate %s has expired", c->serial);
		goto out;
	}
	if ((e = egca_store_cert_set_status(
	         st, c->ca, c->serial, to, reason, at, inv)) != EGCA_OK)
		goto out;
	/*
	 * With the CA key at hand the new answer is signed at once;
	 * without it the pre-signed response is no longer served.
	 */
	if (c->is != NULL)
		e = egca_status_presign(st, c->is, c->serial, c->now);
	else
		e = egca_status_invalidate(st, c->ca, c->serial, c->now);
	if (e != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "cert/%s/%s", c->ca, c->serial);
	details = egca_audit_details("{s:s, s:s, s:s, s:I}", "from", cur.status,
	    "to", to, "reason", egca_ca_reason_name(reason), "invalidity_date",
	    (json_int_t)inv);
	ev = (struct egca_audit_event){
	    c->ctx->actor, action_name(c->action), object, "success", details};
	if ((e = egca_audit_append(st, &ev)) != EGCA_OK)
		goto out;
	if (c->hook != NULL)
		e = c->hook(st, c->hook_arg, c->serial);
out:
	free(details);
	egca_store_cert_rec_free(&cur);
	return e;
}

enum egca_err
egca_ca_cert_set_status(const struct egca_ctx *ctx, const char *ca,
    const char *serial_hex, enum egca_status_action action, int reason,
    int64_t invalidity)
{
	return egca_ca_cert_set_status_hook(
	    ctx, NULL, ca, serial_hex, action, reason, invalidity, NULL, NULL);
}

enum egca_err
egca_ca_cert_set_status_hook(const struct egca_ctx *ctx, struct egca_issuer *is,
    const char *ca, const char *serial_hex, enum egca_status_action action,
    int reason, int64_t invalidity, egca_ca_tx_hook hook, void *hook_arg)
{
	struct egca_ca_rec rec;
	struct status_tx c;
	enum egca_err e;

	if (action == EGCA_ACTION_REVOKE &&
	    (reason == 6 || reason == 8 || reason < 0 || reason > 10 ||
	        reason == 7))
		return egca_err_set(EGCA_ERR_USAGE,
		    "reason %s is not a revocation reason (RFC 5280 5.3.1; "
		    "use 'egca cert hold' for certificateHold)",
		    reason == 6       ? "certificateHold"
		        : reason == 8 ? "removeFromCRL"
		                      : "out of range");
	memset(&rec, 0, sizeof(rec));
	/* Resolve the default CA name. */
	if ((e = egca_ca_get(ctx, ca, &rec)) != EGCA_OK)
		return e;
	if (is != NULL && strcmp(egca_ca_issuer_name(is), rec.name) != 0) {
		e = egca_err_set(EGCA_ERR_INTERNAL,
		    "issuer %s given for a certificate of CA %s",
		    egca_ca_issuer_name(is), rec.name);
		egca_store_ca_rec_free(&rec);
		return e;
	}
	c = (struct status_tx){ctx, rec.name, serial_hex, action, reason,
	    invalidity, (int64_t)time(NULL), is, hook, hook_arg};
	e = egca_store_tx(ctx->st, status_tx, &c);
	egca_store_ca_rec_free(&rec);
	return e;
}
