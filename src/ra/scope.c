/*
 * Who may act on what (include/egca/ra.h "Scope"), ids, refusals
 * audited in a transaction of their own, and text checks.
 *
 * An RA operator or reviewer acts on subscribers whose region lies in
 * a region its point serves; an applicant on its own subscriber; a
 * department viewer reads its department's subscribers; a KM officer
 * reads "recover" applications (key recovery is the KM's business).
 * Everything else is "no such ...", exactly like an absent id. A
 * system administrator has no RA scope (separation of duties).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "egca/audit.h"
#include "egca/crypto.h"
#include "ra/ra_int.h"

enum egca_err
ra_new_id(char id[33])
{
	uint8_t b[16];
	enum egca_err e;

	if ((e = egca_crypto_rand(b, sizeof(b))) != EGCA_OK)
		return e;
	egca_hex_encode(b, sizeof(b), id);
	return EGCA_OK;
}

int
ra_id_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	for (i = 0; i < 32; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		        (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[32] == '\0';
}

const char *
ra_actor(const struct egca_ctx *ctx, const struct egca_principal *p)
{
	if (p != NULL && p->actor[0] != '\0')
		return p->actor;
	return ctx->actor != NULL ? ctx->actor : "unknown";
}

enum egca_err
ra_need_user(const struct egca_principal *p)
{
	if (p == NULL || p->name[0] == '\0' || p->roles == 0)
		return egca_err_set(EGCA_ERR_AUTH, "authentication required");
	return EGCA_OK;
}

enum egca_err
ra_need_role(const struct egca_principal *p, unsigned roles, const char *action,
    const char *names)
{
	if ((p->roles & roles) != 0)
		return EGCA_OK;
	return egca_err_set(
	    EGCA_ERR_POLICY, "%s needs the role %s", action, names);
}

int
ra_refusal(enum egca_err e)
{
	switch (e) {
	case EGCA_ERR_USAGE:
	case EGCA_ERR_INPUT:
	case EGCA_ERR_POLICY:
	case EGCA_ERR_AUTH:
	case EGCA_ERR_NOTFOUND:
	case EGCA_ERR_EXISTS:
	case EGCA_ERR_STATE:
	case EGCA_ERR_CONFLICT:
	case EGCA_ERR_INTEGRITY:
		return 1;
	default:
		return 0;
	}
}

/* Set by ra_conflict inside a transaction function of ra_tx. */
static _Thread_local int tx_conflict;

enum egca_err
ra_conflict(const char *fmt, ...)
{
	char d[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	tx_conflict = 1;
	/* Any error egca_store_tx does not retry; ra_tx maps it back. */
	return egca_err_set(EGCA_ERR_USAGE, "%s", d);
}

enum egca_err
ra_tx(struct egca_store *st, egca_store_tx_fn fn, void *arg)
{
	char d[512];
	enum egca_err e;

	tx_conflict = 0;
	e = egca_store_tx(st, fn, arg);
	if (tx_conflict && e == EGCA_ERR_USAGE) {
		snprintf(d, sizeof(d), "%s", egca_err_detail());
		e = egca_err_set(EGCA_ERR_CONFLICT, "%s", d);
	}
	tx_conflict = 0;
	return e;
}

enum egca_err
ra_prefix(enum egca_err e, const char *field)
{
	char d[512];

	snprintf(d, sizeof(d), "%s", egca_err_detail());
	return egca_err_set(e, "%s: %s", field, d);
}

char *
ra_details(const char *fmt, ...)
{
	va_list ap;
	json_t *j;
	char *s;

	va_start(ap, fmt);
	j = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

enum egca_err
ra_audit(struct egca_store *st, const char *actor, const char *action,
    const char *object, const char *details)
{
	struct egca_audit_event ev = {
	    actor, action, object, "success", details};

	return egca_audit_append(st, &ev);
}

enum egca_err
ra_refuse(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *action, const char *object, enum egca_err e)
{
	struct egca_audit_event ev;
	char detail[512], *details;
	enum egca_err ae;

	if (!ra_refusal(e))
		return e;
	snprintf(detail, sizeof(detail), "%s", egca_err_detail());
	details = ra_details(
	    "{s:s, s:s}", "error", egca_err_name(e), "detail", detail);
	ev = (struct egca_audit_event){ra_actor(ctx, p), action,
	    object != NULL ? object : "", "failure", details};
	ae = egca_audit_record(ctx->st, &ev);
	free(details);
	if (ae != EGCA_OK)
		return ae;
	return egca_err_set(e, "%s", detail);
}

/* Length of the UTF-8 sequence starting at s, or 0 when invalid. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned c = s[0], v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	return n;
}

enum egca_err
ra_text(const char *field, const char *s, size_t min, size_t max, int required,
    int multiline)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i, n;

	if (s == NULL) {
		if (required)
			return egca_err_set(
			    EGCA_ERR_INPUT, "%s: required", field);
		return EGCA_OK;
	}
	len = strlen(s);
	if (len < min || len > max)
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: %zu to %zu bytes of text", field, min, max);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_len(u + i, len - i)) == 0)
			return egca_err_set(
			    EGCA_ERR_INPUT, "%s: not valid UTF-8", field);
		if (n == 1 && (u[i] < 0x20 || u[i] == 0x7f) &&
		    !(multiline && (u[i] == '\n' || u[i] == '\t')))
			return egca_err_set(EGCA_ERR_INPUT,
			    "%s: control characters are not allowed", field);
	}
	return EGCA_OK;
}

/* ---- scope ---- */

static int
same_province(const char *a, const char *b)
{
	char pa[7], pb[7];

	egca_ra_region_province(a, pa);
	egca_ra_region_province(b, pb);
	return strcmp(pa, pb) == 0;
}

enum egca_err
ra_serves(struct egca_store *st, const char *point, const char *region)
{
	struct egca_point_rec pt;
	struct egca_point_region_rec *rl = NULL;
	size_t n = 0, i;
	enum egca_err e;
	int ok = 0;

	memset(&pt, 0, sizeof(pt));
	if ((e = egca_store_ra_point_get(st, point, &pt)) != EGCA_OK) {
		if (e == EGCA_ERR_NOTFOUND)
			e = egca_err_set(EGCA_ERR_POLICY,
			    "registration point %s does not exist", point);
		goto out;
	}
	if ((e = egca_store_ra_point_regions(st, point, &rl, &n)) != EGCA_OK)
		goto out;
	for (i = 0; i < n && !ok; i++)
		if ((rl[i].approval != NULL ||
		        same_province(rl[i].region, pt.home_region)) &&
		    egca_ra_region_within(region, rl[i].region))
			ok = 1;
	e = ok ? EGCA_OK
	       : egca_err_set(EGCA_ERR_POLICY,
	             "region %s is outside the scope of registration point %s",
	             region, point);
out:
	egca_ra_point_region_list_free(rl, n);
	egca_store_ra_point_clear(&pt);
	return e;
}

enum egca_err
ra_sees(struct egca_store *st, const struct egca_principal *p,
    const struct egca_subscriber_rec *s, int write)
{
	enum egca_err e;

	if ((p->roles & EGCA_ROLE_APPLICANT) && p->subscriber[0] != '\0' &&
	    strcmp(p->subscriber, s->id) == 0)
		return EGCA_OK;
	if ((p->roles & RA_ROLE_POINT) && p->point[0] != '\0') {
		e = ra_serves(st, p->point, s->region);
		if (e == EGCA_OK || e != EGCA_ERR_POLICY)
			return e;
	}
	if (!write && (p->roles & EGCA_ROLE_DEPT_VIEWER) &&
	    p->department[0] != '\0' && s->department != NULL &&
	    strcmp(p->department, s->department) == 0)
		return EGCA_OK;
	return egca_err_set(EGCA_ERR_NOTFOUND, "no such subscriber");
}

void
ra_scope(const struct egca_principal *p, struct egca_store_ra_scope *sc)
{
	memset(sc, 0, sizeof(*sc));
	if ((p->roles & RA_ROLE_POINT) && p->point[0] != '\0')
		sc->point = p->point;
	if ((p->roles & EGCA_ROLE_APPLICANT) && p->subscriber[0] != '\0')
		sc->subscriber = p->subscriber;
	if ((p->roles & EGCA_ROLE_DEPT_VIEWER) && p->department[0] != '\0')
		sc->department = p->department;
	sc->recover = (p->roles & EGCA_ROLE_KM_OFFICER) != 0;
}

enum egca_err
ra_app_load(struct egca_store *st, const struct egca_principal *p,
    const char *id, int write, struct egca_app_rec *app,
    struct egca_subscriber_rec *sub)
{
	enum egca_err e;

	memset(app, 0, sizeof(*app));
	memset(sub, 0, sizeof(*sub));
	if (!ra_id_valid(id))
		return egca_err_set(EGCA_ERR_NOTFOUND, "no such application");
	if ((e = egca_store_ra_app_get(st, id, app)) != EGCA_OK ||
	    (e = egca_store_ra_subscriber_get(st, app->subscriber, sub)) !=
	        EGCA_OK)
		goto out;
	e = ra_sees(st, p, sub, write);
	/* A KM officer reads recovery applications. */
	if (e == EGCA_ERR_NOTFOUND && !write &&
	    (p->roles & EGCA_ROLE_KM_OFFICER) &&
	    strcmp(app->kind, "recover") == 0)
		e = EGCA_OK;
out:
	if (e == EGCA_ERR_NOTFOUND)
		e = egca_err_set(EGCA_ERR_NOTFOUND, "no such application");
	if (e != EGCA_OK) {
		egca_ra_app_rec_free(app);
		egca_ra_subscriber_rec_free(sub);
	}
	return e;
}
