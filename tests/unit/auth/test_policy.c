/*
 * Roles (names, lists, separation of duties) and the policy decision
 * egca_authorize for every kind of rule: public, anonymous caller,
 * wrong role, one-time password still in use, missing second factor,
 * unknown action. Pure functions: no store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "egca/auth.h"

#define OK(x) assert_int_equal((x), EGCA_OK)

static void
test_role_names(void **state)
{
	char buf[256];
	unsigned m;

	(void)state;
	assert_string_equal(egca_role_name(EGCA_ROLE_SYSADMIN), "sysadmin");
	assert_string_equal(
	    egca_role_name(EGCA_ROLE_RA_OPERATOR), "ra-operator");
	assert_string_equal(egca_role_name(EGCA_ROLE_APPLICANT), "applicant");
	assert_null(egca_role_name(0));
	assert_null(egca_role_name(EGCA_ROLE_SYSADMIN | EGCA_ROLE_AUDITOR));
	assert_null(egca_role_name(1u << 8));

	OK(egca_role_parse("ra-operator,ra-reviewer", &m));
	assert_int_equal(m, EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER);
	OK(egca_role_parse(" secadmin , km-officer ", &m));
	assert_int_equal(m, EGCA_ROLE_SECADMIN | EGCA_ROLE_KM_OFFICER);
	OK(egca_role_parse("auditor,auditor", &m));
	assert_int_equal(m, EGCA_ROLE_AUDITOR);

	assert_int_equal(
	    egca_role_parse("ra-operator,root", &m), EGCA_ERR_INPUT);
	assert_int_equal(m, 0);
	assert_non_null(strstr(egca_err_detail(), "root"));
	assert_int_equal(egca_role_parse("", &m), EGCA_ERR_INPUT);
	assert_int_equal(egca_role_parse("sysadmin,", &m), EGCA_ERR_INPUT);
	assert_int_equal(egca_role_parse(",sysadmin", &m), EGCA_ERR_INPUT);
	assert_int_equal(egca_role_parse("SYSADMIN", &m), EGCA_ERR_INPUT);
	assert_int_equal(egca_role_parse(NULL, &m), EGCA_ERR_INPUT);

	egca_role_format(
	    EGCA_ROLE_RA_REVIEWER | EGCA_ROLE_SYSADMIN | EGCA_ROLE_KM_OFFICER,
	    buf, sizeof(buf));
	assert_string_equal(buf, "sysadmin,ra-reviewer,km-officer");
	egca_role_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* Truncation keeps whole names only. */
	egca_role_format(EGCA_ROLE_SYSADMIN | EGCA_ROLE_RA_OPERATOR, buf, 12);
	assert_string_equal(buf, "sysadmin");
	/* Every name parses back to its bit. */
	egca_role_format(EGCA_ROLE_ALL, buf, sizeof(buf));
	OK(egca_role_parse(buf, &m));
	assert_int_equal(m, EGCA_ROLE_ALL);
}

static void
test_role_check(void **state)
{
	(void)state;
	OK(egca_role_check(EGCA_ROLE_SYSADMIN));
	OK(egca_role_check(EGCA_ROLE_SECADMIN | EGCA_ROLE_KM_OFFICER));
	OK(egca_role_check(EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER |
	    EGCA_ROLE_DEPT_VIEWER));
	OK(egca_role_check(EGCA_ROLE_AUDITOR));
	OK(egca_role_check(EGCA_ROLE_APPLICANT));

	assert_int_equal(egca_role_check(0), EGCA_ERR_POLICY);
	assert_int_equal(egca_role_check(1u << 9), EGCA_ERR_POLICY);
	/* 三员: no two of sysadmin, secadmin, auditor. */
	assert_int_equal(
	    egca_role_check(EGCA_ROLE_SYSADMIN | EGCA_ROLE_SECADMIN),
	    EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "三员"));
	assert_int_equal(
	    egca_role_check(EGCA_ROLE_SYSADMIN | EGCA_ROLE_AUDITOR),
	    EGCA_ERR_POLICY);
	assert_int_equal(
	    egca_role_check(EGCA_ROLE_SECADMIN | EGCA_ROLE_AUDITOR),
	    EGCA_ERR_POLICY);
	/* The auditor and the applicant hold nothing else. */
	assert_int_equal(
	    egca_role_check(EGCA_ROLE_AUDITOR | EGCA_ROLE_DEPT_VIEWER),
	    EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "auditor"));
	assert_int_equal(
	    egca_role_check(EGCA_ROLE_APPLICANT | EGCA_ROLE_RA_OPERATOR),
	    EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "applicant"));
}

static struct egca_principal
who(unsigned roles, int mfa, int must_change)
{
	struct egca_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "alice");
	snprintf(p.actor, sizeof(p.actor), "operator:alice");
	p.roles = roles;
	p.mfa = mfa;
	p.must_change = must_change;
	return p;
}

static void
test_authorize(void **state)
{
	struct egca_principal anon, p;

	(void)state;
	egca_principal_anonymous(&anon);
	assert_string_equal(anon.actor, "anonymous");
	assert_string_equal(anon.name, "");
	assert_int_equal(anon.roles, 0);

	/* Public: anyone, even without a principal. */
	OK(egca_authorize(&anon, "ocsp_post"));
	OK(egca_authorize(NULL, "crl"));
	OK(egca_authorize(&anon, "session_login"));

	/* Anonymous on a protected action: authentication (401). */
	assert_int_equal(egca_authorize(&anon, "api_certs"), EGCA_ERR_AUTH);
	assert_int_equal(egca_authorize(NULL, "audit_list"), EGCA_ERR_AUTH);
	assert_int_equal(egca_authorize(&anon, "session_get"), EGCA_ERR_AUTH);

	/* Unknown action: denied to everyone (403), NULL included. */
	p = who(EGCA_ROLE_SECADMIN, 1, 0);
	assert_int_equal(egca_authorize(&p, "drop_tables"), EGCA_ERR_POLICY);
	assert_int_equal(egca_authorize(&p, NULL), EGCA_ERR_POLICY);
	assert_null(egca_policy_find("drop_tables"));
	assert_non_null(egca_policy_find("app_approve"));

	/* Wrong role (403). */
	p = who(EGCA_ROLE_AUDITOR, 1, 0);
	OK(egca_authorize(&p, "audit_list"));
	assert_int_equal(
	    egca_authorize(&p, "operator_create"), EGCA_ERR_POLICY);
	p = who(EGCA_ROLE_RA_OPERATOR, 1, 0);
	assert_int_equal(egca_authorize(&p, "app_approve"), EGCA_ERR_POLICY);
	assert_int_equal(egca_authorize(&p, "audit_list"), EGCA_ERR_POLICY);
	p = who(EGCA_ROLE_RA_REVIEWER, 1, 0);
	OK(egca_authorize(&p, "app_approve"));

	/* must_change: only ANY_USER actions until the password changes. */
	p = who(EGCA_ROLE_AUDITOR, 0, 1);
	OK(egca_authorize(&p, "me_password"));
	OK(egca_authorize(&p, "session_get"));
	OK(egca_authorize(&p, "me_totp_enroll"));
	assert_int_equal(egca_authorize(&p, "audit_list"), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "one-time password"));
	assert_int_equal(egca_authorize(&p, "token_create"), EGCA_ERR_POLICY);

	/* MFA flag: the caller needs the second factor. */
	p = who(EGCA_ROLE_SECADMIN, 0, 0);
	assert_int_equal(
	    egca_authorize(&p, "operator_create"), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "second factor"));
	p.mfa = 1;
	OK(egca_authorize(&p, "operator_create"));

	/*
	 * A role able to cause issuance needs the second factor even for
	 * rules without the flag; ANY_USER rules stay open for enrolment.
	 */
	p = who(EGCA_ROLE_RA_OPERATOR, 0, 0);
	assert_int_equal(
	    egca_authorize(&p, "subscriber_list"), EGCA_ERR_POLICY);
	assert_int_equal(egca_authorize(&p, "api_certs"), EGCA_ERR_POLICY);
	OK(egca_authorize(&p, "me_totp_enroll"));
	OK(egca_authorize(&p, "me_totp_confirm"));
	p.mfa = 1;
	OK(egca_authorize(&p, "subscriber_list"));

	/* Roles outside EGCA_ROLE_NEEDS_MFA act without it. */
	p = who(EGCA_ROLE_AUDITOR, 0, 0);
	OK(egca_authorize(&p, "audit_list"));
	p = who(EGCA_ROLE_DEPT_VIEWER, 0, 0);
	OK(egca_authorize(&p, "api_certs"));
	p = who(EGCA_ROLE_APPLICANT, 0, 0);
	OK(egca_authorize(&p, "app_submit"));
	assert_int_equal(egca_authorize(&p, "app_approve"), EGCA_ERR_POLICY);

	/* A named caller without roles is not authenticated. */
	p = who(0, 1, 0);
	assert_int_equal(egca_authorize(&p, "token_list"), EGCA_ERR_AUTH);
}

/* Every rule is well formed: a public rule has no roles, others do. */
static void
test_table(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(egca_npolicy > 0);
	for (i = 0; i < egca_npolicy; i++) {
		const struct egca_policy_rule *r = &egca_policy[i];

		assert_non_null(r->action);
		if (r->flags & EGCA_POLICY_PUBLIC)
			assert_int_equal(r->roles, 0);
		else
			assert_int_not_equal(r->roles, 0);
		assert_int_equal(r->roles & ~(unsigned)EGCA_ROLE_ALL, 0);
		for (j = i + 1; j < egca_npolicy; j++)
			assert_string_not_equal(
			    r->action, egca_policy[j].action);
		assert_ptr_equal(egca_policy_find(r->action), r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_role_names),
	    cmocka_unit_test(test_role_check),
	    cmocka_unit_test(test_authorize),
	    cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("auth/policy", tests, NULL, NULL);
}
