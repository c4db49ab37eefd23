/*
 * Operators (include/egca/auth.h): creation with a one-time password,
 * the first security administrator, roles, disabling, unlocking,
 * resets, client certificates, and the operator's own password change.
 *
 * What is not checked here: that a registration point or subscriber
 * named on an operator exists. Those tables belong to the RA migration
 * (006), which may not be there when auth/ runs; only the form is
 * checked (points [a-z0-9-]{1,63}, subscribers 32 hex digits), and ra/
 * refuses to act on a point or subscriber it does not know.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "egca/audit.h"
#include "auth/auth_int.h"

#define HASH_MAX 128
#define DISPLAY_MAX 128

void
egca_auth_operator_rec_free(struct egca_operator_rec *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->display_name);
	free(r->point);
	free(r->department);
	free(r->subscriber);
	free(r->cert_sha256);
	memset(r, 0, sizeof(*r));
}

void
egca_auth_operator_list_free(struct egca_operator_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_auth_operator_rec_free(&l[i]);
	free(l);
}

/* ---- checks ---- */

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static enum egca_err
text_check(const char *field, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return egca_err_set(
		    EGCA_ERR_INPUT, "%s: must be 1 to %zu bytes", field, max);
	if (!auth_utf8_valid(s, n) || has_control(s))
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: must be UTF-8 text without control characters", field);
	return EGCA_OK;
}

static enum egca_err
point_check(const char *point)
{
	size_t i, n = strlen(point);

	if (n == 0 || n > 63)
		return egca_err_set(
		    EGCA_ERR_INPUT, "point: must be 1 to 63 characters");
	for (i = 0; i < n; i++)
		if (!((point[i] >= 'a' && point[i] <= 'z') ||
		        (point[i] >= '0' && point[i] <= '9') ||
		        point[i] == '-'))
			return egca_err_set(EGCA_ERR_INPUT,
			    "point: only a-z, 0-9 and '-' allowed");
	return EGCA_OK;
}

static enum egca_err
subscriber_check(const char *s)
{
	size_t i;

	if (!auth_is_hex(s, 32))
		return egca_err_set(
		    EGCA_ERR_INPUT, "subscriber: must be 32 hex digits");
	for (i = 0; i < 32; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			return egca_err_set(EGCA_ERR_INPUT,
			    "subscriber: hex digits in lower case");
	return EGCA_OK;
}

/*
 * The attributes present must be well formed, and the roles' required
 * ones present. Attributes no role uses are kept (a later role change
 * may need them) but not put into the principal.
 */
static enum egca_err
attrs_check(unsigned roles, const char *point, const char *department,
    const char *subscriber)
{
	enum egca_err err;

	if (point != NULL && (err = point_check(point)) != EGCA_OK)
		return err;
	if (department != NULL &&
	    (err = text_check("department", department, DISPLAY_MAX - 1)) !=
	        EGCA_OK)
		return err;
	if (subscriber != NULL &&
	    (err = subscriber_check(subscriber)) != EGCA_OK)
		return err;
	if ((roles & (EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER)) &&
	    point == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "point: required for ra-operator and ra-reviewer");
	if ((roles & EGCA_ROLE_DEPT_VIEWER) && department == NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "department: required for dept-viewer");
	if ((roles & EGCA_ROLE_APPLICANT) && subscriber == NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "subscriber: required for applicant");
	return EGCA_OK;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static void
object_of(char object[80], const char *name)
{
	snprintf(object, 80, "operator/%s", name);
}

/*
 * Refuses a change that would leave no enabled security administrator
 * (nobody could manage operators any more).
 */
static enum egca_err
keep_secadmin(struct egca_store *st, const struct egca_operator_row *op,
    unsigned new_roles, int new_disabled)
{
	int64_t n;
	enum egca_err err;

	if (!(op->roles & EGCA_ROLE_SECADMIN) || op->disabled)
		return EGCA_OK;
	if ((new_roles & EGCA_ROLE_SECADMIN) && !new_disabled)
		return EGCA_OK;
	if ((err = egca_store_operator_count(st, EGCA_ROLE_SECADMIN, 1, &n)) !=
	    EGCA_OK)
		return err;
	if (n <= 1)
		return egca_err_set(EGCA_ERR_STATE,
		    "operator %s is the last enabled security administrator",
		    op->name);
	return EGCA_OK;
}

/* ---- create and bootstrap ---- */

struct create {
	const struct egca_ctx *ctx;
	struct egca_operator_row row;
	int bootstrap;
};

static enum egca_err
create_tx(struct egca_store *st, void *arg)
{
	struct create *c = arg;
	char object[80], roles[128], *details;
	int64_t n;
	enum egca_err err;

	if (c->bootstrap) {
		if ((err = egca_store_operator_count(st, 0, 0, &n)) != EGCA_OK)
			return err;
		if (n > 0)
			return egca_err_set(EGCA_ERR_EXISTS,
			    "bootstrap: operators exist already; a security"
			    " administrator creates new ones");
	}
	if ((err = egca_store_operator_insert(st, &c->row)) != EGCA_OK)
		return err;
	object_of(object, c->row.name);
	egca_role_format((unsigned)c->row.roles, roles, sizeof(roles));
	details = egca_audit_details("{s:s, s:s, s:s?, s:s?, s:s?, s:b}",
	    "roles", roles, "display_name", c->row.display_name, "point",
	    c->row.point, "department", c->row.department, "subscriber",
	    c->row.subscriber, "bootstrap", c->bootstrap);
	if (details == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "audit details");
	err = auth_audit(
	    st, c->ctx->actor, "operator.create", object, "success", details);
	free(details);
	return err;
}

static enum egca_err
create(const struct egca_ctx *ctx, const struct egca_operator_new *o,
    int bootstrap, char otp[EGCA_AUTH_OTP_LEN + 1])
{
	struct create c;
	char hash[HASH_MAX], object[80];
	const char *point = nonempty(o->point), *dept = nonempty(o->department),
	           *sub = nonempty(o->subscriber);
	enum egca_err err;

	otp[0] = '\0';
	if ((err = auth_name_check("name", o->name)) != EGCA_OK ||
	    (o->display_name != NULL &&
	        (err = text_check("display_name", o->display_name,
	             DISPLAY_MAX)) != EGCA_OK) ||
	    (err = egca_role_check(o->roles)) != EGCA_OK ||
	    (err = attrs_check(o->roles, point, dept, sub)) != EGCA_OK)
		goto refused;
	if ((err = auth_otp_make(otp)) != EGCA_OK ||
	    (err = egca_auth_password_hash(otp, hash, sizeof(hash))) != EGCA_OK)
		goto out;
	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.bootstrap = bootstrap;
	c.row.name = UNCONST(o->name);
	c.row.display_name =
	    UNCONST(o->display_name ? o->display_name : o->name);
	c.row.roles = o->roles;
	c.row.point = UNCONST(point);
	c.row.department = UNCONST(dept);
	c.row.subscriber = UNCONST(sub);
	c.row.password_hash = hash;
	c.row.must_change = 1;
	c.row.created_at = auth_now();
	if ((err = egca_store_tx(ctx->st, create_tx, &c)) != EGCA_OK)
		goto refused;
	OPENSSL_cleanse(hash, sizeof(hash));
	return EGCA_OK;
refused:
	if (err == EGCA_ERR_STORE || err == EGCA_ERR_NOMEM ||
	    err == EGCA_ERR_CONFLICT)
		goto out;
	OPENSSL_cleanse(otp, EGCA_AUTH_OTP_LEN + 1);
	OPENSSL_cleanse(hash, sizeof(hash));
	object_of(object,
	    auth_name_check("name", o->name) == EGCA_OK ? o->name : "?");
	return auth_audit_failure(
	    ctx, ctx->actor, "operator.create", object, err, NULL);
out:
	OPENSSL_cleanse(otp, EGCA_AUTH_OTP_LEN + 1);
	OPENSSL_cleanse(hash, sizeof(hash));
	return err;
}

enum egca_err
egca_auth_operator_create(const struct egca_ctx *ctx,
    const struct egca_operator_new *o, char otp[EGCA_AUTH_OTP_LEN + 1])
{
	return create(ctx, o, 0, otp);
}

enum egca_err
egca_auth_bootstrap(const struct egca_ctx *ctx, const char *name,
    char otp[EGCA_AUTH_OTP_LEN + 1])
{
	struct egca_operator_new o;

	memset(&o, 0, sizeof(o));
	o.name = name;
	o.roles = EGCA_ROLE_SECADMIN;
	return create(ctx, &o, 1, otp);
}

/* ---- reading ---- */

static enum egca_err
dup_str(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return EGCA_OK;
	if ((*out = strdup(s)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "operator record");
	return EGCA_OK;
}

static enum egca_err
to_rec(const struct egca_operator_row *op, struct egca_operator_rec *r)
{
	enum egca_err err;

	memset(r, 0, sizeof(*r));
	if ((err = dup_str(op->name, &r->name)) != EGCA_OK ||
	    (err = dup_str(op->display_name, &r->display_name)) != EGCA_OK ||
	    (err = dup_str(op->point, &r->point)) != EGCA_OK ||
	    (err = dup_str(op->department, &r->department)) != EGCA_OK ||
	    (err = dup_str(op->subscriber, &r->subscriber)) != EGCA_OK ||
	    (err = dup_str(op->cert_sha256, &r->cert_sha256)) != EGCA_OK) {
		egca_auth_operator_rec_free(r);
		return err;
	}
	r->roles = (unsigned)op->roles & EGCA_ROLE_ALL;
	r->totp_enrolled = op->totp_sealed != NULL;
	r->must_change = op->must_change;
	r->disabled = op->disabled;
	r->failures = op->failures;
	r->locked_until = op->locked_until;
	r->created_at = op->created_at;
	r->last_login = op->last_login;
	return EGCA_OK;
}

enum egca_err
egca_auth_operator_get(
    const struct egca_ctx *ctx, const char *name, struct egca_operator_rec *out)
{
	struct egca_operator_row op;
	enum egca_err err;

	memset(out, 0, sizeof(*out));
	if ((err = auth_name_check("name", name)) != EGCA_OK)
		return err;
	if ((err = egca_store_operator_get(ctx->st, name, &op)) != EGCA_OK)
		return err;
	err = to_rec(&op, out);
	egca_store_operator_row_free(&op);
	return err;
}

enum egca_err
egca_auth_operator_list(
    const struct egca_ctx *ctx, struct egca_operator_rec **out, size_t *n)
{
	struct egca_operator_row *rows = NULL;
	struct egca_operator_rec *l = NULL;
	size_t i, nrows = 0;
	enum egca_err err;

	*out = NULL;
	*n = 0;
	if ((err = egca_store_operator_list(ctx->st, &rows, &nrows)) != EGCA_OK)
		return err;
	if (nrows > 0 && (l = calloc(nrows, sizeof(*l))) == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "operator list");
		goto out;
	}
	for (i = 0; i < nrows; i++)
		if ((err = to_rec(&rows[i], &l[i])) != EGCA_OK) {
			egca_auth_operator_list_free(l, i);
			l = NULL;
			goto out;
		}
	*out = l;
	*n = nrows;
	err = EGCA_OK;
out:
	egca_store_operator_list_free(rows, nrows);
	return err;
}

/* ---- changes ---- */

enum change_kind {
	CH_ROLES,
	CH_DISABLE,
	CH_UNLOCK,
	CH_RESET,
	CH_CERT,
};

struct change {
	const struct egca_ctx *ctx;
	const char *name;
	enum change_kind kind;
	unsigned roles;
	int disabled;
	const char *hash; /* reset: the new password's hash */
	const char *cert; /* set_cert: lower-case hex or NULL */
	int64_t now;
	const char *action;
	/* set_scope: the attributes replace the stored ones. */
	int scope;
	const char *point, *department, *subscriber;
};

static enum egca_err
change_tx(struct egca_store *st, void *arg)
{
	struct change *c = arg;
	struct egca_operator_row op;
	char object[80], from[128], to[128], *details = NULL;
	char *keep_hash = NULL, *keep_cert = NULL, *keep_attr[3] = {0};
	enum egca_err err;

	if ((err = egca_store_operator_get(st, c->name, &op)) != EGCA_OK)
		return err;
	switch (c->kind) {
	case CH_ROLES:
		if (c->scope) {
			keep_attr[0] = op.point;
			keep_attr[1] = op.department;
			keep_attr[2] = op.subscriber;
			op.point = UNCONST(c->point);
			op.department = UNCONST(c->department);
			op.subscriber = UNCONST(c->subscriber);
		}
		if ((err = attrs_check(c->roles, op.point, op.department,
		         op.subscriber)) != EGCA_OK ||
		    (err = keep_secadmin(st, &op, c->roles, op.disabled)) !=
		        EGCA_OK)
			goto out;
		egca_role_format((unsigned)op.roles, from, sizeof(from));
		egca_role_format(c->roles, to, sizeof(to));
		op.roles = c->roles;
		details = c->scope
		    ? egca_audit_details("{s:s, s:s, s:s?, s:s?, s:s?}", "from",
		          from, "to", to, "point", op.point, "department",
		          op.department, "subscriber", op.subscriber)
		    : egca_audit_details("{s:s, s:s}", "from", from, "to", to);
		break;
	case CH_DISABLE:
		if (c->disabled &&
		    (err = keep_secadmin(st, &op, (unsigned)op.roles, 1)) !=
		        EGCA_OK)
			goto out;
		op.disabled = c->disabled;
		/* A disabled operator's sessions end at once. */
		if (c->disabled &&
		    (err = egca_store_session_delete_operator(st, c->name)) !=
		        EGCA_OK)
			goto out;
		details = egca_audit_details("{}");
		break;
	case CH_UNLOCK:
		details = egca_audit_details("{s:i, s:I}", "failures",
		    op.failures, "locked_until", (json_int_t)op.locked_until);
		op.failures = 0;
		op.locked_until = 0;
		break;
	case CH_RESET:
		keep_hash = op.password_hash;
		op.password_hash = UNCONST(c->hash);
		op.must_change = 1;
		free(op.totp_sealed);
		free(op.totp_pending);
		op.totp_sealed = op.totp_pending = NULL;
		op.totp_sealed_len = op.totp_pending_len = 0;
		op.totp_last_step = 0;
		op.failures = 0;
		op.locked_until = 0;
		if ((err = egca_store_session_delete_operator(st, c->name)) !=
		        EGCA_OK ||
		    (err = egca_store_token_revoke_owner(
		         st, c->name, c->now)) != EGCA_OK)
			goto out;
		details = egca_audit_details("{s:b, s:b}", "totp_cleared", 1,
		    "sessions_and_tokens_ended", 1);
		break;
	case CH_CERT:
		keep_cert = op.cert_sha256;
		op.cert_sha256 = UNCONST(c->cert);
		details = egca_audit_details("{s:s?}", "cert_sha256", c->cert);
		break;
	}
	if (details == NULL) {
		err = egca_err_set(EGCA_ERR_NOMEM, "audit details");
		goto out;
	}
	if ((err = egca_store_operator_update(st, &op)) != EGCA_OK)
		goto out;
	object_of(object, c->name);
	err = auth_audit(
	    st, c->ctx->actor, c->action, object, "success", details);
out:
	/* Borrowed values go back before the row is freed. */
	if (c->kind == CH_RESET && keep_hash != NULL)
		op.password_hash = keep_hash;
	if (c->kind == CH_CERT)
		op.cert_sha256 = keep_cert;
	if (c->kind == CH_ROLES && c->scope) {
		op.point = keep_attr[0];
		op.department = keep_attr[1];
		op.subscriber = keep_attr[2];
	}
	free(details);
	egca_store_operator_row_free(&op);
	return err;
}

static enum egca_err
change(struct change *c)
{
	char object[80];
	enum egca_err err;

	if ((err = auth_name_check("name", c->name)) != EGCA_OK)
		return err;
	c->now = auth_now();
	if ((err = egca_store_tx(c->ctx->st, change_tx, c)) == EGCA_OK)
		return EGCA_OK;
	if (err == EGCA_ERR_STORE || err == EGCA_ERR_NOMEM ||
	    err == EGCA_ERR_CONFLICT)
		return err;
	object_of(object, c->name);
	return auth_audit_failure(
	    c->ctx, c->ctx->actor, c->action, object, err, NULL);
}

/* New roles, and with scope the point, department and subscriber. */
static enum egca_err
set_roles(const struct egca_ctx *ctx, const char *name, unsigned roles,
    int scope, const char *point, const char *department,
    const char *subscriber)
{
	struct change c = {.ctx = ctx,
	    .name = name,
	    .kind = CH_ROLES,
	    .roles = roles,
	    .action = "operator.roles"};
	char object[80];
	enum egca_err err;

	c.scope = scope;
	c.point = nonempty(point);
	c.department = nonempty(department);
	c.subscriber = nonempty(subscriber);
	if ((err = egca_role_check(roles)) != EGCA_OK) {
		object_of(object,
		    auth_name_check("name", name) == EGCA_OK ? name : "?");
		return auth_audit_failure(
		    ctx, ctx->actor, c.action, object, err, NULL);
	}
	return change(&c);
}

enum egca_err
egca_auth_operator_set_roles(
    const struct egca_ctx *ctx, const char *name, unsigned roles)
{
	return set_roles(ctx, name, roles, 0, NULL, NULL, NULL);
}

enum egca_err
egca_auth_operator_set_scope(const struct egca_ctx *ctx, const char *name,
    unsigned roles, const char *point, const char *department,
    const char *subscriber)
{
	return set_roles(ctx, name, roles, 1, point, department, subscriber);
}

enum egca_err
egca_auth_operator_disable(
    const struct egca_ctx *ctx, const char *name, int disabled)
{
	struct change c = {.ctx = ctx,
	    .name = name,
	    .kind = CH_DISABLE,
	    .disabled = disabled ? 1 : 0,
	    .action = disabled ? "operator.disable" : "operator.enable"};

	return change(&c);
}

enum egca_err
egca_auth_operator_unlock(const struct egca_ctx *ctx, const char *name)
{
	struct change c = {.ctx = ctx,
	    .name = name,
	    .kind = CH_UNLOCK,
	    .action = "operator.unlock"};

	return change(&c);
}

enum egca_err
egca_auth_operator_reset(const struct egca_ctx *ctx, const char *name,
    char otp[EGCA_AUTH_OTP_LEN + 1])
{
	struct change c = {.ctx = ctx,
	    .name = name,
	    .kind = CH_RESET,
	    .action = "operator.reset"};
	char hash[HASH_MAX];
	enum egca_err err;

	otp[0] = '\0';
	if ((err = auth_name_check("name", name)) != EGCA_OK)
		return err;
	if ((err = auth_otp_make(otp)) != EGCA_OK ||
	    (err = egca_auth_password_hash(otp, hash, sizeof(hash))) !=
	        EGCA_OK) {
		OPENSSL_cleanse(otp, EGCA_AUTH_OTP_LEN + 1);
		return err;
	}
	c.hash = hash;
	if ((err = change(&c)) != EGCA_OK)
		OPENSSL_cleanse(otp, EGCA_AUTH_OTP_LEN + 1);
	OPENSSL_cleanse(hash, sizeof(hash));
	return err;
}

enum egca_err
egca_auth_operator_set_cert(
    const struct egca_ctx *ctx, const char *name, const char *sha256_hex)
{
	struct change c = {.ctx = ctx,
	    .name = name,
	    .kind = CH_CERT,
	    .action = "operator.cert"};
	char lower[65], object[80];
	size_t i;

	if (sha256_hex != NULL) {
		if (!auth_is_hex(sha256_hex, 64)) {
			egca_err_set(EGCA_ERR_INPUT,
			    "cert_sha256: must be 64 hex digits (SHA-256 of"
			    " the certificate's DER)");
			object_of(object,
			    auth_name_check("name", name) == EGCA_OK ? name
			                                             : "?");
			return auth_audit_failure(ctx, ctx->actor, c.action,
			    object, EGCA_ERR_INPUT, NULL);
		}
		for (i = 0; i < 64; i++)
			lower[i] = (char)tolower((unsigned char)sha256_hex[i]);
		lower[64] = '\0';
		c.cert = lower;
	}
	return change(&c);
}

/* ---- the operator's own password ---- */

struct pwchange {
	const struct egca_ctx *ctx;
	const char *name;
	const char *old_hash; /* the hash the old password was checked on */
	const char *new_hash;
};

static enum egca_err
pwchange_tx(struct egca_store *st, void *arg)
{
	struct pwchange *pc = arg;
	struct egca_operator_row op;
	char object[80], *keep;
	enum egca_err err;

	if ((err = egca_store_operator_get(st, pc->name, &op)) != EGCA_OK)
		return err;
	/* Changed meanwhile (a reset): the old password proved nothing. */
	if (strcmp(op.password_hash, pc->old_hash) != 0) {
		egca_store_operator_row_free(&op);
		return egca_err_set(EGCA_ERR_CONFLICT,
		    "password: changed by someone else meanwhile; try again");
	}
	keep = op.password_hash;
	op.password_hash = UNCONST(pc->new_hash);
	op.must_change = 0;
	op.failures = 0;
	op.locked_until = 0;
	err = egca_store_operator_update(st, &op);
	op.password_hash = keep;
	egca_store_operator_row_free(&op);
	if (err != EGCA_OK)
		return err;
	object_of(object, pc->name);
	return auth_audit(
	    st, pc->ctx->actor, "auth.password", object, "success", NULL);
}

enum egca_err
egca_auth_password_change(const struct egca_ctx *ctx, const char *name,
    const char *old_password, const char *new_password)
{
	struct egca_operator_row op;
	struct pwchange pc;
	char object[80], hash[HASH_MAX];
	enum egca_err err;

	memset(&op, 0, sizeof(op));
	hash[0] = '\0';
	if ((err = auth_name_check("name", name)) != EGCA_OK)
		return err;
	object_of(object, name);
	if ((err = egca_store_operator_get(ctx->st, name, &op)) != EGCA_OK)
		goto out;
	if (op.disabled) {
		err = egca_err_set(
		    EGCA_ERR_STATE, "password: operator %s is disabled", name);
		goto refused;
	}
	if (op.locked_until > auth_now()) {
		err = egca_err_set(EGCA_ERR_STATE,
		    "password: operator %s is locked after failed attempts",
		    name);
		goto refused;
	}
	if (egca_auth_password_verify(op.password_hash,
	        old_password ? old_password : "") != EGCA_OK) {
		/* A guess through a stolen session counts towards lockout. */
		err = auth_login_failed(ctx, ctx->actor, name, "auth.password",
		    "wrong current password", NULL);
		if (err == EGCA_ERR_AUTH)
			err = egca_err_set(EGCA_ERR_AUTH,
			    "password: the current password is wrong");
		goto out;
	}
	if ((err = egca_auth_password_policy(name, new_password)) != EGCA_OK)
		goto refused;
	if (strcmp(old_password, new_password) == 0) {
		err = egca_err_set(EGCA_ERR_POLICY,
		    "password: the new password must differ from the current"
		    " one");
		goto refused;
	}
	if ((err = egca_auth_password_hash(new_password, hash, sizeof(hash))) !=
	    EGCA_OK)
		goto out;
	pc = (struct pwchange){ctx, name, op.password_hash, hash};
	if ((err = egca_store_tx(ctx->st, pwchange_tx, &pc)) != EGCA_OK)
		goto out;
	err = EGCA_OK;
	goto out;
refused:
	err = auth_audit_failure(
	    ctx, ctx->actor, "auth.password", object, err, NULL);
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	egca_store_operator_row_free(&op);
	return err;
}
