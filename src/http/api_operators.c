/* Placeholder handlers until their implementation lands. */
#include "http/http_int.h"

void
http_operator_create(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_operator_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_operator_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_operator_roles(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_operator_disable(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_operator_enable(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_operator_unlock(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_operator_reset(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}
