/* The caller (struct egca_principal) and the audit of refused requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/audit.h"
#include "auth/auth_int.h"

void
egca_principal_anonymous(struct egca_principal *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->actor, sizeof(p->actor), "anonymous");
}

void
auth_principal_fill(struct egca_principal *p,
    const struct egca_operator_row *op, int mfa, const char *session_hash)
{
	unsigned roles = (unsigned)op->roles & EGCA_ROLE_ALL;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", op->name);
	snprintf(p->actor, sizeof(p->actor), "operator:%s", op->name);
	p->roles = roles;
	p->mfa = mfa ? 1 : 0;
	p->must_change = op->must_change ? 1 : 0;
	/* Only the attributes the roles use: stale ones scope nothing. */
	if ((roles & (EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER)) &&
	    op->point != NULL)
		snprintf(p->point, sizeof(p->point), "%s", op->point);
	if ((roles & EGCA_ROLE_DEPT_VIEWER) && op->department != NULL)
		snprintf(
		    p->department, sizeof(p->department), "%s", op->department);
	if ((roles & EGCA_ROLE_APPLICANT) && op->subscriber != NULL)
		snprintf(
		    p->subscriber, sizeof(p->subscriber), "%s", op->subscriber);
	if (session_hash != NULL)
		snprintf(p->session, sizeof(p->session), "%s", session_hash);
}

enum egca_err
egca_auth_audit_denied(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *action, const char *reason)
{
	struct egca_audit_event ev;
	char object[96], *details;
	enum egca_err err;

	snprintf(object, sizeof(object), "action/%.80s", action ? action : "?");
	details = egca_audit_details("{s:s, s:s}", "action",
	    action ? action : "", "reason", reason ? reason : "");
	if (details == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "audit details");
	ev = (struct egca_audit_event){
	    p != NULL && p->actor[0] != '\0' ? p->actor : "anonymous",
	    "auth.deny", object, "failure", details};
	err = egca_audit_record(ctx->st, &ev);
	free(details);
	return err;
}
