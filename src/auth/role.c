/*
 * Roles (include/egca/auth.h): names, lists and the separation of
 * duties. The three officers (三员: system administrator, security
 * administrator, auditor) are held by three different people; the
 * auditor and the applicant hold nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "egca/auth.h"

static const struct {
	unsigned bit;
	const char *name;
} roles[] = {
    {EGCA_ROLE_SYSADMIN, "sysadmin"},
    {EGCA_ROLE_SECADMIN, "secadmin"},
    {EGCA_ROLE_AUDITOR, "auditor"},
    {EGCA_ROLE_RA_OPERATOR, "ra-operator"},
    {EGCA_ROLE_RA_REVIEWER, "ra-reviewer"},
    {EGCA_ROLE_KM_OFFICER, "km-officer"},
    {EGCA_ROLE_DEPT_VIEWER, "dept-viewer"},
    {EGCA_ROLE_APPLICANT, "applicant"},
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

const char *
egca_role_name(unsigned role)
{
	size_t i;

	for (i = 0; i < NROLES; i++)
		if (roles[i].bit == role)
			return roles[i].name;
	return NULL;
}

enum egca_err
egca_role_parse(const char *list, unsigned *out)
{
	const char *p, *end;
	unsigned mask = 0;
	size_t i, n;

	*out = 0;
	if (list == NULL)
		return egca_err_set(EGCA_ERR_INPUT, "roles: empty list");
	for (p = list;;) {
		while (*p == ' ')
			p++;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0)
			return egca_err_set(EGCA_ERR_INPUT,
			    "roles: empty name in \"%.64s\"", list);
		for (i = 0; i < NROLES; i++)
			if (strlen(roles[i].name) == n &&
			    memcmp(roles[i].name, p, n) == 0)
				break;
		if (i == NROLES)
			return egca_err_set(EGCA_ERR_INPUT,
			    "roles: unknown role \"%.*s\"",
			    (int)(n > 64 ? 64 : n), p);
		mask |= roles[i].bit;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*out = mask;
	return EGCA_OK;
}

void
egca_role_format(unsigned mask, char *out, size_t len)
{
	size_t i, used = 0;
	int n;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < NROLES; i++) {
		if ((mask & roles[i].bit) == 0)
			continue;
		n = snprintf(out + used, len - used, "%s%s",
		    used > 0 ? "," : "", roles[i].name);
		if (n < 0 || (size_t)n >= len - used) {
			/* Truncated: cut back to the last whole name. */
			out[used] = '\0';
			return;
		}
		used += (size_t)n;
	}
}

enum egca_err
egca_role_check(unsigned mask)
{
	unsigned three = mask & EGCA_ROLE_THREE;

	if (mask == 0)
		return egca_err_set(
		    EGCA_ERR_POLICY, "roles: at least one role");
	if (mask & ~(unsigned)EGCA_ROLE_ALL)
		return egca_err_set(
		    EGCA_ERR_POLICY, "roles: unknown role bits 0x%x", mask);
	if (three & (three - 1))
		return egca_err_set(EGCA_ERR_POLICY,
		    "roles: sysadmin, secadmin and auditor are held by three"
		    " different people (三员)");
	if ((mask & EGCA_ROLE_AUDITOR) && mask != EGCA_ROLE_AUDITOR)
		return egca_err_set(
		    EGCA_ERR_POLICY, "roles: an auditor holds no other role");
	if ((mask & EGCA_ROLE_APPLICANT) && mask != EGCA_ROLE_APPLICANT)
		return egca_err_set(
		    EGCA_ERR_POLICY, "roles: an applicant holds no other role");
	return EGCA_OK;
}
