/* Placeholder handlers until their implementation lands. */
#include "http/http_int.h"

void
http_session_login(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_session_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_session_logout(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_me_password(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_me_totp_enroll(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_me_totp_confirm(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_token_create(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_token_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}

void
http_token_revoke(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)caller;
	http_problem(
	    out, r, 501, "EGCA-NOT-IMPLEMENTED", NULL, "not built yet");
}
