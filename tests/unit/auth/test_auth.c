/*
 * auth/ against a real store: operators and their rules, bootstrap,
 * login with lockout and its time-based end, TOTP enrolment, login with
 * a code and replay refusal, sessions (idle and absolute expiry, CSRF,
 * fixation, logout), API tokens (scope, expiry, revocation, owner
 * state), certificate login, resets, sealed seeds bound to their
 * operator, and the audit trail: every refusal recorded, no secret in
 * any audit row.
 *
 * SQLite always (a fresh data directory per case under
 * $EGCA_TEST_TMP); PostgreSQL too when EGCA_PG_URI is set (the schema
 * is dropped before each case). Time is pinned with
 * egca_auth_test_clock: nothing sleeps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <liboath/oath.h>

#include "auth/auth_test.h"
#include "egca/auth.h"
#include "egca/config.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/store.h"
#include "store/store_test.h"

#define OK(x) assert_int_equal((x), EGCA_OK)

#define T0 ((int64_t)1700000000)
#define SRC "192.0.2.7"
#define PW "correct horse battery staple"

static const char *pg_uri; /* NULL while the SQLite group runs */
static char tmp[1024];
static int counter;

struct fx {
	char dir[1200];
	struct egca_config *cfg;
	struct egca_store *st;
	struct egca_ctx ctx;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/a%d", tmp, counter++);
	if (egca_file_mkdirs(fx->dir, 0700) != EGCA_OK ||
	    egca_config_create(fx->dir, pg_uri, NULL, "root") != EGCA_OK ||
	    egca_config_load(fx->dir, &fx->cfg) != EGCA_OK ||
	    (pg_uri != NULL && egca_store_test_reset(pg_uri) != EGCA_OK) ||
	    egca_store_open(fx->cfg->store_uri, 1, &fx->st) != EGCA_OK) {
		fprintf(stderr, "setup: %s\n", egca_err_detail());
		return -1;
	}
	fx->ctx = (struct egca_ctx){fx->cfg, fx->st, "cli:test"};
	egca_auth_test_clock(T0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	egca_auth_test_clock(0);
	egca_store_close(fx->st);
	egca_config_free(fx->cfg);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

static void
mkop(struct fx *fx, const char *name, unsigned roles, const char *point,
    char otp[EGCA_AUTH_OTP_LEN + 1])
{
	struct egca_operator_new o;

	memset(&o, 0, sizeof(o));
	o.name = name;
	o.roles = roles;
	o.point = point;
	if (roles & EGCA_ROLE_DEPT_VIEWER)
		o.department = "Finance Bureau";
	if (roles & EGCA_ROLE_APPLICANT)
		o.subscriber = "0123456789abcdef0123456789abcdef";
	if (egca_auth_operator_create(&fx->ctx, &o, otp) != EGCA_OK)
		fail_msg("create %s: %s", name, egca_err_detail());
	assert_int_equal(strlen(otp), EGCA_AUTH_OTP_LEN);
}

/* An operator with password PW (changed from its one-time password). */
static void
mkuser(struct fx *fx, const char *name, unsigned roles, const char *point)
{
	char otp[EGCA_AUTH_OTP_LEN + 1];

	mkop(fx, name, roles, point, otp);
	OK(egca_auth_password_change(&fx->ctx, name, otp, PW));
}

static enum egca_err
login(struct fx *fx, const char *name, const char *pw, const char *totp,
    const char *old, struct egca_session_out *out, struct egca_principal *p)
{
	struct egca_login in = {name, pw, totp, SRC, old};

	return egca_auth_login(&fx->ctx, &in, out, p);
}

struct scan {
	const char *action;
	const char *outcome;
	const char *needle; /* in details, or NULL */
	int count;
	const char *secret; /* in any field, or NULL */
	int leaked;
};

static int
scan_row(const struct egca_audit_rec *r, void *arg)
{
	struct scan *s = arg;
	const char *f[] = {r->actor, r->action, r->object, r->details};
	size_t i;

	if (s->secret != NULL)
		for (i = 0; i < 4; i++)
			if (f[i] != NULL && strstr(f[i], s->secret) != NULL)
				s->leaked++;
	if (s->action != NULL && strcmp(r->action, s->action) == 0 &&
	    (s->outcome == NULL || strcmp(r->outcome, s->outcome) == 0) &&
	    (s->needle == NULL ||
	        (r->details && strstr(r->details, s->needle) != NULL)))
		s->count++;
	return 0;
}

/* Events of action (and outcome, with needle in details when given). */
static int
audited(
    struct fx *fx, const char *action, const char *outcome, const char *needle)
{
	struct scan s = {action, outcome, needle, 0, NULL, 0};

	OK(egca_store_audit_each(fx->st, 0, scan_row, &s));
	return s.count;
}

static void
assert_not_audited(struct fx *fx, const char *secret)
{
	struct scan s = {NULL, NULL, NULL, 0, secret, 0};

	OK(egca_store_audit_each(fx->st, 0, scan_row, &s));
	if (s.leaked)
		fail_msg("a secret appears in %d audit fields", s.leaked);
}

/* Enrols TOTP for name with the clock pinned at now; seed receives it. */
static void
enrol(struct fx *fx, const char *name, int64_t now, uint8_t seed[64],
    char secret[64])
{
	char uri[512], code[7], want[256];
	char *raw = NULL;
	size_t raw_len = 0;

	egca_auth_test_clock(now);
	OK(egca_auth_totp_enroll(&fx->ctx, name, secret, 64, uri, sizeof(uri)));
	assert_int_equal(strlen(secret), 32);
	snprintf(want, sizeof(want),
	    "otpauth://totp/egca:%s?secret=%s&issuer=egca&algorithm=SHA1"
	    "&digits=6&period=30",
	    name, secret);
	assert_string_equal(uri, want);
	assert_int_equal(
	    oath_base32_decode(secret, strlen(secret), &raw, &raw_len),
	    OATH_OK);
	assert_int_equal(raw_len, 20);
	memcpy(seed, raw, raw_len);
	free(raw);
	OK(egca_auth_totp_code(seed, 20, now, code));
	OK(egca_auth_totp_confirm(&fx->ctx, name, code));
}

static void
code_at(const uint8_t *seed, int64_t t, char code[7])
{
	OK(egca_auth_totp_code(seed, 20, t, code));
}

/* ---- operators ---- */

static void
test_bootstrap(void **state)
{
	struct fx *fx = *state;
	struct egca_operator_rec r;
	char otp[EGCA_AUTH_OTP_LEN + 1], otp2[EGCA_AUTH_OTP_LEN + 1];
	size_t i;

	OK(egca_auth_bootstrap(&fx->ctx, "root", otp));
	assert_int_equal(strlen(otp), EGCA_AUTH_OTP_LEN);
	for (i = 0; i < EGCA_AUTH_OTP_LEN; i++)
		assert_non_null(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", otp[i]));
	OK(egca_auth_operator_get(&fx->ctx, "root", &r));
	assert_int_equal(r.roles, EGCA_ROLE_SECADMIN);
	assert_int_equal(r.must_change, 1);
	assert_int_equal(r.totp_enrolled, 0);
	assert_int_equal(r.created_at, T0);
	assert_string_equal(r.display_name, "root");
	egca_auth_operator_rec_free(&r);
	assert_int_equal(
	    audited(fx, "operator.create", "success", "\"bootstrap\":true"), 1);

	/* Only into an empty operator table. */
	assert_int_equal(
	    egca_auth_bootstrap(&fx->ctx, "second", otp2), EGCA_ERR_EXISTS);
	assert_string_equal(otp2, "");
	assert_int_equal(
	    egca_auth_operator_get(&fx->ctx, "second", &r), EGCA_ERR_NOTFOUND);
	assert_int_equal(audited(fx, "operator.create", "failure", NULL), 1);
	assert_not_audited(fx, otp);
}

static void
test_create_rules(void **state)
{
	struct fx *fx = *state;
	struct egca_operator_new o;
	struct egca_operator_rec *l;
	char otp[EGCA_AUTH_OTP_LEN + 1];
	size_t n;
	int before;

	mkop(fx, "ok", EGCA_ROLE_SYSADMIN, NULL, otp);
	before = audited(fx, "operator.create", "failure", NULL);
	memset(&o, 0, sizeof(o));
	o.roles = EGCA_ROLE_AUDITOR;

	o.name = "Bad Name";
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_INPUT);
	assert_string_equal(otp, "");
	o.name = "";
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_INPUT);
	o.name = "ok";
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_EXISTS);
	o.name = "two";
	o.roles = EGCA_ROLE_SYSADMIN | EGCA_ROLE_SECADMIN;
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_POLICY);
	o.roles = 0;
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_POLICY);
	/* The roles' required attributes, and their form. */
	o.roles = EGCA_ROLE_RA_OPERATOR;
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "point"));
	o.point = "North_1";
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_INPUT);
	o.point = NULL;
	o.roles = EGCA_ROLE_DEPT_VIEWER;
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "department"));
	o.roles = EGCA_ROLE_APPLICANT;
	o.subscriber = "0123456789ABCDEF0123456789ABCDEF";
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_INPUT);
	o.subscriber = "0123";
	assert_int_equal(
	    egca_auth_operator_create(&fx->ctx, &o, otp), EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "subscriber"));

	/* Nothing was created; every refusal was audited. */
	OK(egca_auth_operator_list(&fx->ctx, &l, &n));
	assert_int_equal(n, 1);
	assert_string_equal(l[0].name, "ok");
	egca_auth_operator_list_free(l, n);
	assert_int_equal(
	    audited(fx, "operator.create", "failure", NULL), before + 10);

	/* A well-formed one of each kind. */
	o.subscriber = "0123456789abcdef0123456789abcdef";
	o.name = "app.1";
	o.display_name = "张三";
	OK(egca_auth_operator_create(&fx->ctx, &o, otp));
	mkop(fx, "ra-1", EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER,
	    "north-1", otp);
	mkop(fx, "dept_1", EGCA_ROLE_DEPT_VIEWER, NULL, otp);
	OK(egca_auth_operator_list(&fx->ctx, &l, &n));
	assert_int_equal(n, 4);
	assert_string_equal(l[0].name, "app.1");
	assert_string_equal(l[0].display_name, "张三");
	assert_string_equal(
	    l[0].subscriber, "0123456789abcdef0123456789abcdef");
	assert_string_equal(l[1].department, "Finance Bureau");
	assert_string_equal(l[3].point, "north-1");
	egca_auth_operator_list_free(l, n);
}

static void
test_roles_change(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal p;
	struct egca_operator_rec r;

	mkuser(fx, "sec", EGCA_ROLE_SECADMIN, NULL);
	mkuser(fx, "aud", EGCA_ROLE_AUDITOR, NULL);
	OK(login(fx, "aud", PW, NULL, NULL, &s, &p));
	assert_int_equal(p.roles, EGCA_ROLE_AUDITOR);

	/* Required attribute missing, conflicts: refused, unchanged. */
	assert_int_equal(egca_auth_operator_set_roles(
	                     &fx->ctx, "aud", EGCA_ROLE_RA_OPERATOR),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_auth_operator_set_roles(&fx->ctx, "aud",
	                     EGCA_ROLE_AUDITOR | EGCA_ROLE_KM_OFFICER),
	    EGCA_ERR_POLICY);
	assert_int_equal(egca_auth_operator_set_roles(
	                     &fx->ctx, "nobody", EGCA_ROLE_KM_OFFICER),
	    EGCA_ERR_NOTFOUND);
	/* The last enabled security administrator stays. */
	assert_int_equal(
	    egca_auth_operator_set_roles(&fx->ctx, "sec", EGCA_ROLE_KM_OFFICER),
	    EGCA_ERR_STATE);
	assert_int_equal(
	    egca_auth_operator_disable(&fx->ctx, "sec", 1), EGCA_ERR_STATE);
	OK(egca_auth_operator_get(&fx->ctx, "aud", &r));
	assert_int_equal(r.roles, EGCA_ROLE_AUDITOR);
	egca_auth_operator_rec_free(&r);
	assert_int_equal(audited(fx, "operator.roles", "failure", NULL), 4);
	assert_int_equal(audited(fx, "operator.disable", "failure", NULL), 1);

	/* A change takes effect at the session's next request. */
	OK(egca_auth_operator_set_roles(&fx->ctx, "aud", EGCA_ROLE_KM_OFFICER));
	assert_int_equal(
	    audited(fx, "operator.roles", "success", "\"to\":\"km-officer\""),
	    1);
	OK(egca_auth_session_check(&fx->ctx, s.id, NULL, 0, T0 + 1, &p));
	assert_int_equal(p.roles, EGCA_ROLE_KM_OFFICER);

	/* Roles with the attribute they need, in one change. */
	assert_int_equal(egca_auth_operator_set_scope(&fx->ctx, "aud",
	                     EGCA_ROLE_RA_OPERATOR, "North 2", NULL, NULL),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_auth_operator_set_scope(&fx->ctx, "aud",
	                     EGCA_ROLE_DEPT_VIEWER, NULL, "", NULL),
	    EGCA_ERR_INPUT);
	assert_int_equal(audited(fx, "operator.roles", "failure", NULL), 6);
	OK(egca_auth_operator_set_scope(&fx->ctx, "aud",
	    EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_KM_OFFICER, "north-2", "", NULL));
	OK(egca_auth_session_check(&fx->ctx, s.id, NULL, 0, T0 + 2, &p));
	assert_int_equal(p.roles, EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_KM_OFFICER);
	assert_string_equal(p.point, "north-2");
	assert_int_equal(
	    audited(fx, "operator.roles", "success", "\"point\":\"north-2\""),
	    1);
	/* Clearing the attribute: the role that needs it goes too. */
	OK(egca_auth_operator_set_scope(
	    &fx->ctx, "aud", EGCA_ROLE_KM_OFFICER, NULL, NULL, NULL));
	OK(egca_auth_operator_get(&fx->ctx, "aud", &r));
	assert_null(r.point);
	assert_int_equal(r.roles, EGCA_ROLE_KM_OFFICER);
	egca_auth_operator_rec_free(&r);
}

/* ---- login, passwords, lockout ---- */

static void
test_login_password(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal p;
	struct egca_operator_rec r;
	char otp[EGCA_AUTH_OTP_LEN + 1], hash[65];

	mkop(fx, "alice", EGCA_ROLE_AUDITOR, NULL, otp);
	OK(login(fx, "alice", otp, NULL, NULL, &s, &p));
	assert_int_equal(strlen(s.id), 64);
	assert_int_equal(strlen(s.csrf), 64);
	assert_string_not_equal(s.id, s.csrf);
	assert_int_equal(s.expires, T0 + EGCA_AUTH_SESSION_MAX);
	assert_string_equal(p.name, "alice");
	assert_string_equal(p.actor, "operator:alice");
	assert_int_equal(p.roles, EGCA_ROLE_AUDITOR);
	assert_int_equal(p.mfa, 0);
	assert_int_equal(p.must_change, 1);
	/* The session field is the stored hash, not the cookie. */
	{
		uint8_t h[32];
		OK(egca_crypto_sha256(s.id, 64, h));
		egca_hex_encode(h, 32, hash);
	}
	assert_string_equal(p.session, hash);
	assert_int_equal(egca_authorize(&p, "audit_list"), EGCA_ERR_POLICY);
	OK(egca_authorize(&p, "me_password"));

	/* Password change: rules, the current password, then done. */
	assert_int_equal(
	    egca_auth_password_change(&fx->ctx, "alice", otp, "short"),
	    EGCA_ERR_POLICY);
	assert_int_equal(egca_auth_password_change(
	                     &fx->ctx, "alice", otp, "I am ALICE, really"),
	    EGCA_ERR_POLICY);
	assert_int_equal(egca_auth_password_change(&fx->ctx, "alice", otp, otp),
	    EGCA_ERR_POLICY);
	assert_int_equal(egca_auth_password_change(&fx->ctx, "alice",
	                     "not the password", "another long passphrase"),
	    EGCA_ERR_AUTH);
	assert_int_equal(audited(fx, "auth.password", "failure", NULL), 4);
	OK(egca_auth_password_change(&fx->ctx, "alice", otp, PW));
	assert_int_equal(audited(fx, "auth.password", "success", NULL), 1);
	OK(egca_auth_operator_get(&fx->ctx, "alice", &r));
	assert_int_equal(r.must_change, 0);
	assert_int_equal(r.failures, 0); /* the wrong one was reset */
	assert_int_equal(r.last_login, T0);
	egca_auth_operator_rec_free(&r);
	/* The running session sees it at once. */
	OK(egca_auth_session_check(&fx->ctx, s.id, NULL, 0, T0 + 1, &p));
	assert_int_equal(p.must_change, 0);
	OK(egca_authorize(&p, "audit_list"));
	/* The one-time password is gone. */
	assert_int_equal(
	    login(fx, "alice", otp, NULL, NULL, &s, &p), EGCA_ERR_AUTH);
	OK(login(fx, "alice", PW, NULL, NULL, &s, &p));
	assert_int_equal(
	    audited(fx, "auth.login", "success", "\"source\":\"" SRC "\""), 2);
	assert_not_audited(fx, otp);
	assert_not_audited(fx, PW);
	assert_not_audited(fx, "not the password");
	assert_not_audited(fx, "I am ALICE");
	assert_not_audited(fx, s.id);
	assert_not_audited(fx, s.csrf);
}

static void
test_lockout(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal p;
	struct egca_operator_rec r;
	char wrong_detail[256], unknown_detail[256], pw[64];
	int i;

	mkuser(fx, "bob", EGCA_ROLE_AUDITOR, NULL);
	mkuser(fx, "carol", EGCA_ROLE_AUDITOR, NULL);

	/* Unknown name and wrong password: the same answer. */
	assert_int_equal(
	    login(fx, "nobody", PW, NULL, NULL, &s, &p), EGCA_ERR_AUTH);
	snprintf(
	    unknown_detail, sizeof(unknown_detail), "%s", egca_err_detail());
	assert_int_equal(login(fx, "bob", "bad guess 0!", NULL, NULL, &s, &p),
	    EGCA_ERR_AUTH);
	snprintf(wrong_detail, sizeof(wrong_detail), "%s", egca_err_detail());
	assert_string_equal(unknown_detail, wrong_detail);
	assert_string_equal(p.actor, "anonymous");
	assert_string_equal(s.id, "");
	/* A password typed as the name is not recorded. */
	assert_int_equal(
	    login(fx, "Secret Typed As Name!", PW, NULL, NULL, &s, &p),
	    EGCA_ERR_AUTH);
	assert_string_equal(egca_err_detail(), wrong_detail);

	for (i = 1; i < EGCA_AUTH_MAX_FAILURES; i++) {
		snprintf(pw, sizeof(pw), "bad guess %d!", i);
		assert_int_equal(
		    login(fx, "bob", pw, NULL, NULL, &s, &p), EGCA_ERR_AUTH);
	}
	OK(egca_auth_operator_get(&fx->ctx, "bob", &r));
	assert_int_equal(r.failures, EGCA_AUTH_MAX_FAILURES);
	assert_int_equal(r.locked_until, T0 + EGCA_AUTH_LOCK_SECONDS);
	egca_auth_operator_rec_free(&r);

	/* Locked: the right password does not help; others unaffected. */
	assert_int_equal(
	    login(fx, "bob", PW, NULL, NULL, &s, &p), EGCA_ERR_STATE);
	assert_non_null(strstr(egca_err_detail(), "locked"));
	OK(login(fx, "carol", PW, NULL, NULL, &s, &p));
	egca_auth_test_clock(T0 + EGCA_AUTH_LOCK_SECONDS - 1);
	assert_int_equal(
	    login(fx, "bob", PW, NULL, NULL, &s, &p), EGCA_ERR_STATE);

	/* The lock ends by time; a success clears the count. */
	egca_auth_test_clock(T0 + EGCA_AUTH_LOCK_SECONDS);
	OK(login(fx, "bob", PW, NULL, NULL, &s, &p));
	OK(egca_auth_operator_get(&fx->ctx, "bob", &r));
	assert_int_equal(r.failures, 0);
	assert_int_equal(r.locked_until, 0);
	egca_auth_operator_rec_free(&r);

	/* Locked again, then unlocked by the security administrator. */
	for (i = 0; i < EGCA_AUTH_MAX_FAILURES; i++)
		assert_int_equal(
		    login(fx, "bob", "bad guess 0!", NULL, NULL, &s, &p),
		    EGCA_ERR_AUTH);
	assert_int_equal(
	    login(fx, "bob", PW, NULL, NULL, &s, &p), EGCA_ERR_STATE);
	OK(egca_auth_operator_unlock(&fx->ctx, "bob"));
	assert_int_equal(audited(fx, "operator.unlock", "success", NULL), 1);
	OK(login(fx, "bob", PW, NULL, NULL, &s, &p));

	/* After an expired lock one failure does not lock again. */
	for (i = 0; i < EGCA_AUTH_MAX_FAILURES; i++)
		assert_int_equal(
		    login(fx, "bob", "bad guess 0!", NULL, NULL, &s, &p),
		    EGCA_ERR_AUTH);
	egca_auth_test_clock(T0 + 3 * EGCA_AUTH_LOCK_SECONDS);
	assert_int_equal(login(fx, "bob", "bad guess 0!", NULL, NULL, &s, &p),
	    EGCA_ERR_AUTH);
	OK(egca_auth_operator_get(&fx->ctx, "bob", &r));
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.locked_until, 0);
	egca_auth_operator_rec_free(&r);

	/* Every failure audited with its source and reason, no secret. */
	assert_int_equal(audited(fx, "auth.login", "failure",
	                     "\"reason\":\"unknown operator\""),
	    1);
	assert_int_equal(audited(fx, "auth.login", "failure",
	                     "\"reason\":\"malformed name\""),
	    1);
	assert_int_equal(audited(fx, "auth.login", "failure",
	                     "\"reason\":\"wrong password\""),
	    3 * EGCA_AUTH_MAX_FAILURES + 1);
	assert_int_equal(
	    audited(fx, "auth.login", "failure", "\"reason\":\"locked\""), 3);
	assert_int_equal(
	    audited(fx, "auth.login", "failure", "\"source\":\"" SRC "\""),
	    audited(fx, "auth.login", "failure", NULL));
	assert_not_audited(fx, PW);
	assert_not_audited(fx, "bad guess");
	assert_not_audited(fx, "Secret Typed");
}

static void
test_disabled(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal p;

	mkuser(fx, "sec", EGCA_ROLE_SECADMIN, NULL);
	mkuser(fx, "dave", EGCA_ROLE_DEPT_VIEWER, NULL);
	OK(login(fx, "dave", PW, NULL, NULL, &s, &p));
	assert_string_equal(p.department, "Finance Bureau");
	OK(egca_auth_operator_disable(&fx->ctx, "dave", 1));
	assert_int_equal(audited(fx, "operator.disable", "success", NULL), 1);
	/* Sessions end; the right password tells "disabled". */
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, NULL, 0, T0, &p),
	    EGCA_ERR_AUTH);
	assert_int_equal(
	    login(fx, "dave", PW, NULL, NULL, &s, &p), EGCA_ERR_STATE);
	assert_non_null(strstr(egca_err_detail(), "disabled"));
	assert_int_equal(
	    login(fx, "dave", "a wrong password", NULL, NULL, &s, &p),
	    EGCA_ERR_AUTH);
	OK(egca_auth_operator_disable(&fx->ctx, "dave", 0));
	assert_int_equal(audited(fx, "operator.enable", "success", NULL), 1);
	OK(login(fx, "dave", PW, NULL, NULL, &s, &p));
}

/* ---- TOTP ---- */

static void
test_totp(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal p;
	struct egca_operator_rec r;
	uint8_t seed[64];
	char secret[64], code[7], uri[512], sec2[64];
	int64_t t1 = T0 + 30;

	mkuser(fx, "sec", EGCA_ROLE_SECADMIN, NULL);
	/* Before enrolment: mfa 0, only ANY_USER actions. */
	OK(login(fx, "sec", PW, NULL, NULL, &s, &p));
	assert_int_equal(p.mfa, 0);
	assert_int_equal(
	    egca_authorize(&p, "operator_create"), EGCA_ERR_POLICY);
	OK(egca_authorize(&p, "me_totp_enroll"));

	/* Confirm without enrolment, and with a wrong code. */
	assert_int_equal(
	    egca_auth_totp_confirm(&fx->ctx, "sec", "123456"), EGCA_ERR_STATE);
	OK(egca_auth_totp_enroll(
	    &fx->ctx, "sec", secret, sizeof(secret), uri, sizeof(uri)));
	{
		char *raw = NULL;
		size_t raw_len = 0;
		assert_int_equal(
		    oath_base32_decode(secret, strlen(secret), &raw, &raw_len),
		    OATH_OK);
		memcpy(seed, raw, raw_len);
		free(raw);
	}
	code_at(seed, T0, code);
	code[0] = code[0] == '9' ? '0' : (char)(code[0] + 1);
	assert_int_equal(
	    egca_auth_totp_confirm(&fx->ctx, "sec", code), EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_auth_totp_confirm(&fx->ctx, "sec", "12345"), EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_auth_totp_confirm(&fx->ctx, "sec", "abcdef"), EGCA_ERR_AUTH);
	OK(egca_auth_operator_get(&fx->ctx, "sec", &r));
	assert_int_equal(r.totp_enrolled, 0);
	egca_auth_operator_rec_free(&r);
	assert_int_equal(audited(fx, "auth.totp.confirm", "failure", NULL), 4);
	code_at(seed, T0, code);
	OK(egca_auth_totp_confirm(&fx->ctx, "sec", code));
	OK(egca_auth_operator_get(&fx->ctx, "sec", &r));
	assert_int_equal(r.totp_enrolled, 1);
	egca_auth_operator_rec_free(&r);
	/* Enrolled: enrolling again is refused. */
	assert_int_equal(egca_auth_totp_enroll(&fx->ctx, "sec", sec2,
	                     sizeof(sec2), uri, sizeof(uri)),
	    EGCA_ERR_STATE);

	/* The code is now required; the confirming one is spent. */
	assert_int_equal(
	    login(fx, "sec", PW, NULL, NULL, &s, &p), EGCA_ERR_AUTH);
	assert_int_equal(
	    login(fx, "sec", PW, code, NULL, &s, &p), EGCA_ERR_AUTH);
	assert_int_equal(audited(fx, "auth.login", "failure",
	                     "\"reason\":\"TOTP code replayed\""),
	    1);
	assert_int_equal(audited(fx, "auth.login", "failure",
	                     "\"reason\":\"TOTP code missing\""),
	    1);
	/* The next step's code works once. */
	egca_auth_test_clock(t1);
	code_at(seed, t1, code);
	assert_int_equal(
	    login(fx, "sec", "bad guess!", code, NULL, &s, &p), EGCA_ERR_AUTH);
	OK(login(fx, "sec", PW, code, NULL, &s, &p));
	assert_int_equal(p.mfa, 1);
	OK(egca_authorize(&p, "operator_create"));
	assert_int_equal(
	    login(fx, "sec", PW, code, NULL, &s, &p), EGCA_ERR_AUTH);
	/* Clock drift of one step either side is accepted. */
	code_at(seed, t1 + 30, code);
	OK(login(fx, "sec", PW, code, NULL, &s, &p));
	code_at(seed, t1 + 90, code);
	assert_int_equal(
	    login(fx, "sec", PW, code, NULL, &s, &p), EGCA_ERR_AUTH);
	assert_int_equal(audited(fx, "auth.login", "failure",
	                     "\"reason\":\"wrong TOTP code\""),
	    1);
	assert_int_equal(audited(fx, "auth.totp.enroll", "success", NULL), 1);
	assert_int_equal(audited(fx, "auth.totp.confirm", "success", NULL), 1);
	assert_not_audited(fx, secret);
	assert_not_audited(fx, PW);
}

static void
test_seal(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal p;
	struct stat sb;
	uint8_t seed_a[64], seed_b[64];
	char secret[64], code[7], path[1300];

	mkuser(fx, "ann", EGCA_ROLE_AUDITOR, NULL);
	mkuser(fx, "ben", EGCA_ROLE_AUDITOR, NULL);
	enrol(fx, "ann", T0, seed_a, secret);
	enrol(fx, "ben", T0, seed_b, secret);
	/* The key file was made on first use: 32 bytes, 0600. */
	snprintf(path, sizeof(path), "%s/auth.key", fx->cfg->keys_dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 32);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* A seed copied to another operator's row does not open. */
	OK(egca_store_test_exec(fx->st,
	    "UPDATE operator SET totp_sealed = (SELECT totp_sealed FROM"
	    " operator WHERE name = 'ann') WHERE name = 'ben'"));
	egca_auth_test_clock(T0 + 30);
	code_at(seed_a, T0 + 30, code);
	assert_int_equal(
	    login(fx, "ben", PW, code, NULL, &s, &p), EGCA_ERR_INTEGRITY);
	OK(login(fx, "ann", PW, code, NULL, &s, &p));
	assert_int_equal(p.mfa, 1);
	/* A key file readable by others is refused. */
	assert_int_equal(chmod(path, 0644), 0);
	code_at(seed_a, T0 + 60, code);
	egca_auth_test_clock(T0 + 60);
	assert_int_equal(
	    login(fx, "ann", PW, code, NULL, &s, &p), EGCA_ERR_POLICY);
	assert_int_equal(chmod(path, 0600), 0);
	OK(login(fx, "ann", PW, code, NULL, &s, &p));
}

/* ---- sessions ---- */

static void
test_sessions(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s, s2;
	struct egca_principal p;
	char bad[65];
	int64_t t;

	mkuser(fx, "ra", EGCA_ROLE_RA_OPERATOR, "north-1");
	OK(login(fx, "ra", PW, NULL, NULL, &s, &p));
	OK(egca_auth_session_check(&fx->ctx, s.id, NULL, 0, T0 + 10, &p));
	assert_string_equal(p.name, "ra");
	assert_string_equal(p.point, "north-1");
	assert_int_equal(p.roles, EGCA_ROLE_RA_OPERATOR);
	assert_int_equal(p.must_change, 0);

	/* CSRF on changes: missing, empty, wrong, short, right. */
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, NULL, 1, T0 + 10, &p),
	    EGCA_ERR_POLICY);
	assert_string_equal(p.actor, "anonymous");
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, "", 1, T0 + 10, &p),
	    EGCA_ERR_POLICY);
	snprintf(bad, sizeof(bad), "%s", s.csrf);
	bad[63] = bad[63] == '0' ? '1' : '0';
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, bad, 1, T0 + 10, &p),
	    EGCA_ERR_POLICY);
	bad[63] = '\0';
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, bad, 1, T0 + 10, &p),
	    EGCA_ERR_POLICY);
	OK(egca_auth_session_check(&fx->ctx, s.id, s.csrf, 1, T0 + 10, &p));
	/* Not a session: unknown, malformed, NULL. */
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.csrf, NULL, 0, T0 + 10, &p),
	    EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, "zz", NULL, 0, T0 + 10, &p),
	    EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, NULL, NULL, 0, T0 + 10, &p),
	    EGCA_ERR_AUTH);

	/* Idle: each request moves the limit; a long pause ends it. */
	t = T0 + EGCA_AUTH_SESSION_IDLE - 1;
	OK(egca_auth_session_check(&fx->ctx, s.id, NULL, 0, t, &p));
	t += EGCA_AUTH_SESSION_IDLE - 1;
	OK(egca_auth_session_check(&fx->ctx, s.id, NULL, 0, t, &p));
	assert_int_equal(egca_auth_session_check(&fx->ctx, s.id, NULL, 0,
	                     t + EGCA_AUTH_SESSION_IDLE, &p),
	    EGCA_ERR_AUTH);
	/* Gone for good, also at an earlier time. */
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, NULL, 0, t, &p),
	    EGCA_ERR_AUTH);

	/* Absolute: busy sessions end after EGCA_AUTH_SESSION_MAX. */
	OK(login(fx, "ra", PW, NULL, NULL, &s, &p));
	for (t = T0 + 600; t < T0 + EGCA_AUTH_SESSION_MAX; t += 600)
		OK(egca_auth_session_check(&fx->ctx, s.id, NULL, 0, t, &p));
	assert_int_equal(egca_auth_session_check(&fx->ctx, s.id, NULL, 0,
	                     T0 + EGCA_AUTH_SESSION_MAX, &p),
	    EGCA_ERR_AUTH);

	/* Fixation: the cookie presented at login is ended. */
	OK(login(fx, "ra", PW, NULL, NULL, &s, &p));
	OK(login(fx, "ra", PW, NULL, s.id, &s2, &p));
	assert_string_not_equal(s.id, s2.id);
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, NULL, 0, T0 + 1, &p),
	    EGCA_ERR_AUTH);
	OK(egca_auth_session_check(&fx->ctx, s2.id, NULL, 0, T0 + 1, &p));
	/* A failed login does not end the presented session. */
	assert_int_equal(
	    login(fx, "ra", "bad guess!", NULL, s2.id, &s, &p), EGCA_ERR_AUTH);
	OK(egca_auth_session_check(&fx->ctx, s2.id, NULL, 0, T0 + 1, &p));

	/* Logout. */
	OK(egca_auth_logout(&fx->ctx, s2.id));
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s2.id, NULL, 0, T0 + 1, &p),
	    EGCA_ERR_AUTH);
	OK(egca_auth_logout(&fx->ctx, s2.id));
	assert_int_equal(audited(fx, "auth.logout", "success", NULL), 1);
	assert_not_audited(fx, s2.id);
	assert_not_audited(fx, s2.csrf);
}

/* ---- tokens ---- */

static void
test_tokens(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal owner, other, tp, sec;
	struct egca_token_rec *l;
	char tok[96], id[17], tok2[96], id2[17], tok3[96], id3[17];
	size_t n, i;

	mkuser(fx, "sec", EGCA_ROLE_SECADMIN, NULL);
	mkuser(
	    fx, "ra", EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER, "north-1");
	mkuser(fx, "dv", EGCA_ROLE_DEPT_VIEWER, NULL);
	OK(login(fx, "ra", PW, NULL, NULL, &s, &owner));
	OK(login(fx, "dv", PW, NULL, NULL, &s, &other));
	OK(login(fx, "sec", PW, NULL, NULL, &s, &sec));

	/* Scope a subset of the owner's roles; ttl and label checked. */
	assert_int_equal(egca_auth_token_create(&fx->ctx, &owner,
	                     EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_KM_OFFICER, 3600,
	                     "ci", tok, sizeof(tok), id),
	    EGCA_ERR_POLICY);
	assert_int_equal(egca_auth_token_create(&fx->ctx, &owner, 0, 3600, "ci",
	                     tok, sizeof(tok), id),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_auth_token_create(&fx->ctx, &owner, EGCA_ROLE_RA_OPERATOR, 0,
	        "ci", tok, sizeof(tok), id),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_auth_token_create(&fx->ctx, &owner, EGCA_ROLE_RA_OPERATOR,
	        366 * 86400 + 1, "ci", tok, sizeof(tok), id),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_auth_token_create(&fx->ctx, &owner, EGCA_ROLE_RA_OPERATOR,
	        3600, "bad\nlabel", tok, sizeof(tok), id),
	    EGCA_ERR_INPUT);
	assert_int_equal(audited(fx, "token.create", "failure", NULL), 5);
	OK(egca_auth_token_list(&fx->ctx, NULL, &l, &n));
	assert_int_equal(n, 0);

	owner.mfa = 1; /* as if the session had the second factor */
	OK(egca_auth_token_create(&fx->ctx, &owner, EGCA_ROLE_RA_OPERATOR, 3600,
	    "ci", tok, sizeof(tok), id));
	assert_int_equal(strlen(tok), 48);
	assert_true(strncmp(tok, "egca_", 5) == 0);
	for (i = 5; i < 48; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
		                       "nopqrstuvwxyz0123456789-_",
		    tok[i]));
	assert_int_equal(strlen(id), 16);
	assert_int_equal(audited(fx, "token.create", "success", NULL), 1);

	/* Check: scope, actor, mfa copied, attributes of the scope. */
	OK(egca_auth_token_check(&fx->ctx, tok, T0 + 10, &tp));
	assert_string_equal(tp.name, "ra");
	assert_int_equal(tp.roles, EGCA_ROLE_RA_OPERATOR);
	assert_int_equal(tp.mfa, 1);
	assert_string_equal(tp.point, "north-1");
	assert_string_equal(tp.session, "");
	{
		char want[96];
		snprintf(want, sizeof(want), "token:ra/%s", id);
		assert_string_equal(tp.actor, want);
	}
	assert_int_equal(egca_authorize(&tp, "app_approve"), EGCA_ERR_POLICY);
	OK(egca_authorize(&tp, "subscriber_list"));
	/* A token does not make tokens. */
	assert_int_equal(
	    egca_auth_token_create(&fx->ctx, &tp, EGCA_ROLE_RA_OPERATOR, 60,
	        NULL, tok2, sizeof(tok2), id2),
	    EGCA_ERR_POLICY);

	/* Expiry (exactly at expires_at) and bad text. */
	assert_int_equal(egca_auth_token_check(&fx->ctx, tok, T0 + 3600, &tp),
	    EGCA_ERR_AUTH);
	assert_string_equal(tp.actor, "anonymous");
	OK(egca_auth_token_check(&fx->ctx, tok, T0 + 3599, &tp));
	assert_int_equal(egca_auth_token_check(&fx->ctx, "egca_nope", T0, &tp),
	    EGCA_ERR_AUTH);
	{
		char forged[96];
		snprintf(forged, sizeof(forged), "%s", tok);
		forged[10] = forged[10] == 'A' ? 'B' : 'A';
		assert_int_equal(
		    egca_auth_token_check(&fx->ctx, forged, T0, &tp),
		    EGCA_ERR_AUTH);
		assert_not_audited(fx, forged);
	}

	/* The owner's state: disabled, locked; the scope narrows. */
	egca_auth_test_clock(T0 + 1);
	OK(egca_auth_token_create(&fx->ctx, &owner,
	    EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER, 86400, "two", tok2,
	    sizeof(tok2), id2));
	OK(egca_auth_operator_disable(&fx->ctx, "ra", 1));
	assert_int_equal(
	    egca_auth_token_check(&fx->ctx, tok2, T0, &tp), EGCA_ERR_AUTH);
	OK(egca_auth_operator_disable(&fx->ctx, "ra", 0));
	OK(egca_auth_token_check(&fx->ctx, tok2, T0, &tp));
	for (i = 0; i < EGCA_AUTH_MAX_FAILURES; i++)
		assert_int_equal(
		    login(fx, "ra", "bad guess!", NULL, NULL, &s, &tp),
		    EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_auth_token_check(&fx->ctx, tok2, T0, &tp), EGCA_ERR_AUTH);
	OK(egca_auth_operator_unlock(&fx->ctx, "ra"));
	OK(egca_auth_token_check(&fx->ctx, tok2, T0, &tp));
	OK(egca_auth_operator_set_roles(&fx->ctx, "ra", EGCA_ROLE_RA_REVIEWER));
	OK(egca_auth_token_check(&fx->ctx, tok2, T0, &tp));
	assert_int_equal(tp.roles, EGCA_ROLE_RA_REVIEWER);
	assert_int_equal(
	    egca_auth_token_check(&fx->ctx, tok, T0, &tp), EGCA_ERR_AUTH);
	OK(egca_auth_operator_set_roles(
	    &fx->ctx, "ra", EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER));
	OK(egca_auth_token_check(&fx->ctx, tok, T0, &tp));

	/* Revocation: the owner or a secadmin; others see "not found". */
	assert_int_equal(
	    egca_auth_token_revoke(&fx->ctx, &other, id), EGCA_ERR_NOTFOUND);
	OK(egca_auth_token_check(&fx->ctx, tok, T0, &tp));
	assert_int_equal(
	    egca_auth_token_revoke(&fx->ctx, &other, "xyz"), EGCA_ERR_INPUT);
	OK(egca_auth_token_revoke(&fx->ctx, &owner, id));
	assert_int_equal(
	    egca_auth_token_check(&fx->ctx, tok, T0, &tp), EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_auth_token_revoke(&fx->ctx, &owner, id), EGCA_ERR_STATE);
	OK(egca_auth_token_revoke(&fx->ctx, &sec, id2));
	assert_int_equal(
	    egca_auth_token_check(&fx->ctx, tok2, T0, &tp), EGCA_ERR_AUTH);
	assert_int_equal(audited(fx, "token.revoke", "success", NULL), 2);
	assert_int_equal(audited(fx, "token.revoke", "failure", NULL), 3);

	/* A reset ends every token. */
	egca_auth_test_clock(T0 + 2);
	OK(egca_auth_token_create(&fx->ctx, &owner, EGCA_ROLE_RA_REVIEWER,
	    86400, "three", tok3, sizeof(tok3), id3));
	{
		char otp[EGCA_AUTH_OTP_LEN + 1];
		OK(egca_auth_operator_reset(&fx->ctx, "ra", otp));
		assert_not_audited(fx, otp);
	}
	assert_int_equal(
	    egca_auth_token_check(&fx->ctx, tok3, T0, &tp), EGCA_ERR_AUTH);

	/* Listing: public fields only, per owner or all. */
	OK(egca_auth_token_list(&fx->ctx, "ra", &l, &n));
	assert_int_equal(n, 3);
	assert_string_equal(l[0].label, "ci");
	assert_int_equal(l[0].roles, EGCA_ROLE_RA_OPERATOR);
	assert_int_equal(l[0].mfa, 1);
	assert_int_equal(l[0].expires_at, T0 + 3600);
	assert_int_equal(l[0].revoked_at, T0 + 1);
	assert_string_equal(l[1].label, "two");
	assert_int_equal(l[0].last_used, T0 + 3599);
	assert_int_not_equal(l[2].revoked_at, 0);
	egca_auth_token_list_free(l, n);
	OK(egca_auth_token_list(&fx->ctx, "dv", &l, &n));
	assert_int_equal(n, 0);

	assert_true(audited(fx, "auth.token", "failure", NULL) >= 7);
	assert_not_audited(fx, tok);
	assert_not_audited(fx, tok + 5);
	assert_not_audited(fx, tok2 + 5);
	assert_not_audited(fx, tok3 + 5);
}

/* ---- certificate login, reset, denials ---- */

static void
test_cert_login(void **state)
{
	struct fx *fx = *state;
	struct egca_principal p;
	struct egca_operator_rec r;
	const char *fp =
	    "AB12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";
	const char *lower =
	    "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";

	mkuser(fx, "km", EGCA_ROLE_KM_OFFICER, NULL);
	mkuser(fx, "km2", EGCA_ROLE_KM_OFFICER, NULL);
	assert_int_equal(
	    egca_auth_operator_set_cert(&fx->ctx, "km", "abc"), EGCA_ERR_INPUT);
	assert_int_equal(audited(fx, "operator.cert", "failure", NULL), 1);
	OK(egca_auth_operator_set_cert(&fx->ctx, "km", fp));
	OK(egca_auth_operator_get(&fx->ctx, "km", &r));
	assert_string_equal(r.cert_sha256, lower);
	egca_auth_operator_rec_free(&r);
	assert_int_equal(egca_auth_operator_set_cert(&fx->ctx, "km2", lower),
	    EGCA_ERR_EXISTS);

	OK(egca_auth_cert_login(&fx->ctx, lower, SRC, &p));
	assert_string_equal(p.name, "km");
	assert_string_equal(p.actor, "operator:km");
	assert_int_equal(p.mfa, 1);
	assert_int_equal(p.roles, EGCA_ROLE_KM_OFFICER);
	assert_int_equal(
	    audited(fx, "auth.login", "success", "\"method\":\"certificate\""),
	    1);
	/* Used on every request: recorded at most once a minute. */
	OK(egca_auth_cert_login(&fx->ctx, lower, SRC, &p));
	assert_int_equal(p.mfa, 1);
	egca_auth_test_clock(T0 + 59);
	OK(egca_auth_cert_login(&fx->ctx, lower, SRC, &p));
	assert_int_equal(
	    audited(fx, "auth.login", "success", "\"method\":\"certificate\""),
	    1);
	egca_auth_test_clock(T0 + 60);
	OK(egca_auth_cert_login(&fx->ctx, lower, SRC, &p));
	assert_int_equal(
	    audited(fx, "auth.login", "success", "\"method\":\"certificate\""),
	    2);
	OK(egca_auth_operator_get(&fx->ctx, "km", &r));
	assert_int_equal(r.last_login, T0 + 60);
	egca_auth_operator_rec_free(&r);
	assert_int_equal(egca_auth_cert_login(&fx->ctx,
	                     "00000000000000000000000000000000000000000000000"
	                     "00000000000000000",
	                     SRC, &p),
	    EGCA_ERR_AUTH);
	assert_string_equal(p.actor, "anonymous");
	assert_int_equal(
	    egca_auth_cert_login(&fx->ctx, "nothex", SRC, &p), EGCA_ERR_INPUT);
	OK(egca_auth_operator_disable(&fx->ctx, "km", 1));
	assert_int_equal(
	    egca_auth_cert_login(&fx->ctx, lower, SRC, &p), EGCA_ERR_STATE);
	OK(egca_auth_operator_disable(&fx->ctx, "km", 0));
	/* Cleared: the certificate no longer logs in. */
	OK(egca_auth_operator_set_cert(&fx->ctx, "km", NULL));
	assert_int_equal(
	    egca_auth_cert_login(&fx->ctx, lower, SRC, &p), EGCA_ERR_AUTH);
	OK(egca_auth_operator_set_cert(&fx->ctx, "km2", lower));
	assert_int_equal(audited(fx, "auth.login", "failure", NULL), 4);
}

static void
test_reset(void **state)
{
	struct fx *fx = *state;
	struct egca_session_out s;
	struct egca_principal p;
	struct egca_operator_rec r;
	uint8_t seed[64];
	char secret[64], otp[EGCA_AUTH_OTP_LEN + 1], code[7];

	mkuser(fx, "sys", EGCA_ROLE_SYSADMIN, NULL);
	enrol(fx, "sys", T0, seed, secret);
	egca_auth_test_clock(T0 + 30);
	code_at(seed, T0 + 30, code);
	OK(login(fx, "sys", PW, code, NULL, &s, &p));
	assert_int_equal(egca_auth_operator_reset(&fx->ctx, "nobody", otp),
	    EGCA_ERR_NOTFOUND);
	assert_string_equal(otp, "");
	OK(egca_auth_operator_reset(&fx->ctx, "sys", otp));
	assert_int_equal(audited(fx, "operator.reset", "success", NULL), 1);
	assert_int_equal(audited(fx, "operator.reset", "failure", NULL), 1);
	OK(egca_auth_operator_get(&fx->ctx, "sys", &r));
	assert_int_equal(r.totp_enrolled, 0);
	assert_int_equal(r.must_change, 1);
	egca_auth_operator_rec_free(&r);
	assert_int_equal(
	    egca_auth_session_check(&fx->ctx, s.id, NULL, 0, T0 + 31, &p),
	    EGCA_ERR_AUTH);
	assert_int_equal(
	    login(fx, "sys", PW, NULL, NULL, &s, &p), EGCA_ERR_AUTH);
	OK(login(fx, "sys", otp, NULL, NULL, &s, &p));
	assert_int_equal(p.mfa, 0);
	assert_int_equal(p.must_change, 1);
	/* Enrolment can start again. */
	enrol(fx, "sys", T0 + 60, seed, secret);
	assert_not_audited(fx, otp);
	assert_not_audited(fx, secret);
}

static void
test_denied(void **state)
{
	struct fx *fx = *state;
	struct egca_principal p;

	egca_principal_anonymous(&p);
	OK(egca_auth_audit_denied(
	    &fx->ctx, &p, "operator_create", "authentication required"));
	OK(egca_auth_audit_denied(&fx->ctx, NULL, "app_approve", NULL));
	assert_int_equal(audited(fx, "auth.deny", "failure",
	                     "\"action\":\"operator_create\""),
	    1);
	assert_int_equal(audited(fx, "auth.deny", "failure",
	                     "\"reason\":\"authentication required\""),
	    1);
	assert_int_equal(audited(fx, "auth.deny", NULL, NULL), 2);
}

static int
run(const char *name)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bootstrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_login_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_totp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_login, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_denied, setup, teardown),
	};

	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}

int
main(void)
{
	const char *base = getenv("EGCA_TEST_TMP");
	int failed;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	snprintf(tmp, sizeof(tmp), "%s/auth-XXXXXX", base);
	if (mkdtemp(tmp) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	failed = run("auth/sqlite");
	pg_uri = getenv("EGCA_PG_URI");
	if (pg_uri != NULL && *pg_uri != '\0')
		failed += run("auth/postgres");
	else
		fprintf(stderr, "EGCA_PG_URI not set: PostgreSQL skipped\n");
	return failed != 0;
}
