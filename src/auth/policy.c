/*
 * The policy table: every action (HTTP route name, also used by the
 * CLI) and the roles that may perform it. One place, deny by default:
 * an action not listed here is refused to everyone, and the route
 * table test checks that every route has a row.
 */
#include <string.h>

#include "egca/auth.h"

#define R_SYS EGCA_ROLE_SYSADMIN
#define R_SEC EGCA_ROLE_SECADMIN
#define R_AUD EGCA_ROLE_AUDITOR
#define R_RAO EGCA_ROLE_RA_OPERATOR
#define R_RAR EGCA_ROLE_RA_REVIEWER
#define R_KMO EGCA_ROLE_KM_OFFICER
#define R_DEP EGCA_ROLE_DEPT_VIEWER
#define R_APP EGCA_ROLE_APPLICANT
#define R_ALL EGCA_ROLE_ALL

#define PUB EGCA_POLICY_PUBLIC
#define MFA EGCA_POLICY_MFA
#define CHG EGCA_POLICY_CHANGES
#define ANY EGCA_POLICY_ANY_USER

/* Readers of issued certificates (search, statistics, downloads). */
#define R_CERT_READ (R_SYS | R_AUD | R_RAO | R_RAR | R_KMO | R_DEP)

const struct egca_policy_rule egca_policy[] = {
    /* Public services (Art. 21(2)): status, repository, documents. */
    {"healthz", 0, PUB},
    {"metrics", 0, PUB},
    {"ocsp_post", 0, PUB},
    {"ocsp_get", 0, PUB},
    {"crl", 0, PUB},
    {"repo_ca", 0, PUB},
    {"repo_cert", 0, PUB},
    {"openapi", 0, PUB},
    {"session_login", 0, PUB},
    {"loss_report", 0, PUB},

    /* Certificate queries, scoped by department for dept viewers. */
    {"api_certs", R_CERT_READ, 0},
    {"api_cert", R_CERT_READ, 0},
    {"api_stats", R_CERT_READ, 0},
    {"api_download", R_CERT_READ, 0},

    /* One's own session, password, second factor and tokens. */
    {"session_get", R_ALL, ANY},
    {"session_logout", R_ALL, ANY | CHG},
    {"me_password", R_ALL, ANY | CHG},
    {"me_totp_enroll", R_ALL, ANY | CHG},
    {"me_totp_confirm", R_ALL, ANY | CHG},
    {"token_create", R_ALL, CHG},
    {"token_list", R_ALL, 0},
    {"token_revoke", R_ALL, CHG},

    /* Operators: the security administrator only. */
    {"operator_create", R_SEC, MFA | CHG},
    {"operator_list", R_SEC, MFA},
    {"operator_get", R_SEC, MFA},
    {"operator_roles", R_SEC, MFA | CHG},
    {"operator_disable", R_SEC, MFA | CHG},
    {"operator_enable", R_SEC, MFA | CHG},
    {"operator_unlock", R_SEC, MFA | CHG},
    {"operator_reset", R_SEC, MFA | CHG},

    /* Registration points (Art. 8): the system administrator. */
    {"point_create", R_SYS, MFA | CHG},
    {"point_region", R_SYS, MFA | CHG},
    {"point_list", R_SYS | R_SEC | R_AUD | R_RAO | R_RAR, 0},
    {"point_get", R_SYS | R_SEC | R_AUD | R_RAO | R_RAR, 0},

    /* Subscribers and applications (Art. 5, 21, 30). */
    {"subscriber_create", R_RAO, MFA | CHG},
    {"subscriber_list", R_RAO | R_RAR, 0},
    {"subscriber_get", R_RAO | R_RAR | R_APP, 0},
    {"app_submit", R_RAO | R_APP, CHG},
    {"app_list", R_RAO | R_RAR | R_APP | R_KMO, 0},
    {"app_get", R_RAO | R_RAR | R_APP | R_KMO, 0},
    {"material_add", R_RAO | R_APP, CHG},
    {"material_list", R_RAO | R_RAR | R_APP, 0},
    {"material_get", R_RAO | R_RAR | R_APP, 0},
    {"app_approve", R_RAR, MFA | CHG},
    {"app_reject", R_RAR, MFA | CHG},
    {"app_execute", R_RAO | R_RAR, MFA | CHG},
    {"app_envelope", R_RAO | R_APP, 0},

    /* Loss reports (Art. 31): the holder reports, RA confirms. */
    {"loss_list", R_RAO | R_RAR, 0},
    {"loss_confirm", R_RAO | R_RAR, MFA | CHG},

    /* The audit log: the auditor reads, nobody edits. */
    {"audit_list", R_AUD, 0},
    {"audit_export", R_AUD, 0},
    {"audit_verify", R_AUD, 0},
};
const size_t egca_npolicy = sizeof(egca_policy) / sizeof(egca_policy[0]);

const struct egca_policy_rule *
egca_policy_find(const char *action)
{
	size_t i;

	if (action == NULL)
		return NULL;
	for (i = 0; i < egca_npolicy; i++)
		if (strcmp(egca_policy[i].action, action) == 0)
			return &egca_policy[i];
	return NULL;
}

enum egca_err
egca_authorize(const struct egca_principal *p, const char *action)
{
	const struct egca_policy_rule *r = egca_policy_find(action);

	/* (printf's %s of NULL is undefined: name a missing action.) */
	if (r == NULL)
		return egca_err_set(EGCA_ERR_POLICY,
		    "action %.64s is not in the policy table",
		    action ? action : "(none)");
	if (r->flags & EGCA_POLICY_PUBLIC)
		return EGCA_OK;
	if (p == NULL || p->name[0] == '\0' || p->roles == 0)
		return egca_err_set(EGCA_ERR_AUTH, "authentication required");
	if ((p->roles & r->roles) == 0)
		return egca_err_set(EGCA_ERR_POLICY,
		    "%s is not allowed for the caller's roles", action);
	if (r->flags & EGCA_POLICY_ANY_USER)
		return EGCA_OK;
	if (p->must_change)
		return egca_err_set(
		    EGCA_ERR_POLICY, "change the one-time password first");
	/* A role able to cause issuance acts only with a second factor. */
	if (((p->roles & EGCA_ROLE_NEEDS_MFA) ||
	        (r->flags & EGCA_POLICY_MFA)) &&
	    !p->mfa)
		return egca_err_set(
		    EGCA_ERR_POLICY, "%s needs a second factor (TOTP)", action);
	return EGCA_OK;
}
