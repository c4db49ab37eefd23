/*
 * GET /api/v1/openapi.json: the OpenAPI 3.0 document of every route,
 * kept as src/http/openapi.json and compiled in
 * (cmake/embed_file.cmake). Served from static memory, no copy.
 */
#include "http/http_int.h"

extern const char egca_http_openapi_json[];
extern const size_t egca_http_openapi_json_len;

static void
no_release(void *arg)
{
	(void)arg;
}

void
http_openapi(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	(void)r;
	(void)caller;
	http_resp_header(out, "Cache-Control", "public, max-age=3600");
	http_resp_take(out, 200, "application/json", NULL, 0);
	out->body = (uint8_t *)(uintptr_t)egca_http_openapi_json;
	out->len = egca_http_openapi_json_len;
	out->release = no_release;
}
