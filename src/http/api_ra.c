/* Placeholder handlers until their implementation lands. */
#include "http/http_int.h"

void
http_point_create(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_point_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_point_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_point_region(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_subscriber_create(struct http_req *r,
    const struct egca_http_caller *caller, struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_subscriber_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_subscriber_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_app_submit(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_app_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_app_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_material_add(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_material_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_material_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_app_approve(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_app_reject(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_app_execute(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_loss_report(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_loss_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_loss_confirm(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}
