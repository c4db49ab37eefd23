/* Placeholder handlers until their implementation lands. */
#include "http/http_int.h"

void
http_audit_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_audit_export(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_audit_verify(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}
