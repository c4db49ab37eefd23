/*
 * Fuzz target for the strict JSON request-body parser (src/http/
 * json_body.c) that every state-changing REST endpoint uses: the
 * application, subscriber, operator and login bodies. The table below
 * has one member of every kind (required and optional strings, a
 * multi-line string, an integer, a boolean, a string list).
 * Invariants: EGCA_OK gives a document with only listed members, each
 * of its declared type, the required ones present; a refusal answers
 * 400 or 415 with a problem body and no document.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct http_jfield fields[] = {
    {"kind", HTTP_JSTR, HTTP_JREQUIRED, 16},
    {"subscriber", HTTP_JSTR, 0, 32},
    {"csr", HTTP_JSTR, HTTP_JMULTILINE, 16384},
    {"validity_days", HTTP_JINT, 0, 0},
    {"pair", HTTP_JBOOL, 0, 0},
    {"roles", HTTP_JSTRS, 0, 32},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int
typed(const json_t *v, enum http_jtype t)
{
	size_t i;

	switch (t) {
	case HTTP_JSTR:
		return json_is_string(v);
	case HTTP_JINT:
		return json_is_integer(v);
	case HTTP_JBOOL:
		return json_is_boolean(v);
	case HTTP_JSTRS:
		if (!json_is_array(v) || json_array_size(v) > 16)
			return 0;
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return 0;
		return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	struct http_resp out;
	json_t *doc = NULL, *v;
	const char *key;
	size_t i;
	enum egca_err e;

	if (size > 65536)
		return 0;
	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	r.method = "POST";
	r.path = "/api/v1/applications";
	r.content_type = "application/json";
	r.body = data;
	r.body_len = size;
	r.rid = "fuzz";
	e = http_json_body(&r, fields, NFIELDS, &doc, &out);
	if (e == EGCA_OK) {
		if (doc == NULL || !json_is_object(doc) || out.status != 0)
			abort();
		json_object_foreach(doc, key, v)
		{
			for (i = 0; i < NFIELDS; i++)
				if (strcmp(key, fields[i].name) == 0)
					break;
			if (i == NFIELDS)
				abort(); /* an unlisted member got through */
			if (!json_is_null(v) && !typed(v, fields[i].type))
				abort();
		}
		if (http_jstr(doc, "kind") == NULL)
			abort(); /* required */
		json_decref(doc);
	} else {
		if (doc != NULL || (out.status != 400 && out.status != 415) ||
		    out.body == NULL)
			abort();
	}
	http_resp_clear(&out);
	return 0;
}
