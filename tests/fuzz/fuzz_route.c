/*
 * Fuzz target for the route matcher (src/http/router.c): the first
 * line of the input is the method, the rest the raw request path.
 * Invariants: a route found is of that method (HEAD: GET), its '*'
 * captures are non-empty, NUL-terminated inside param_buf, hold no '/'
 * or control character and are not "." or ".."; a miss is 404, or 405
 * with an Allow value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_route *rt;
	struct http_req r;
	const char *allow, *nl, *m;
	char *s, *p;
	unsigned status;
	size_t i, j, n;

	if (size > 9000)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((nl = strchr(s, '\n')) == NULL) {
		free(s);
		return 0;
	}
	p = s + (nl - s);
	*p++ = '\0';
	memset(&r, 0, sizeof(r));
	rt = http_route_match(s, p, &r, &status, &allow);
	if (rt == NULL) {
		if (status != 404 && (status != 405 || allow == NULL))
			__builtin_trap();
		free(s);
		return 0;
	}
	m = strcmp(s, "HEAD") == 0 ? "GET" : s;
	if (strcmp(rt->method, m) != 0 || r.nparam > HTTP_MAX_PARAMS ||
	    r.rest == NULL)
		__builtin_trap();
	for (i = 0; i < r.nparam; i++) {
		if (r.param[i] < r.param_buf ||
		    r.param[i] >= r.param_buf + sizeof(r.param_buf))
			__builtin_trap();
		n = strnlen(r.param[i],
		    (size_t)(r.param_buf + sizeof(r.param_buf) - r.param[i]));
		if (n == 0 ||
		    r.param[i] + n >= r.param_buf + sizeof(r.param_buf))
			__builtin_trap();
		if (strcmp(r.param[i], ".") == 0 ||
		    strcmp(r.param[i], "..") == 0)
			__builtin_trap();
		for (j = 0; j < n; j++)
			if (r.param[i][j] == '/' ||
			    (unsigned char)r.param[i][j] < 0x20)
				__builtin_trap();
	}
	/* Literal routes match only their own text. */
	if (strchr(rt->path, '*') == NULL &&
	    rt->path[strlen(rt->path) - 1] != '/' && strcmp(rt->path, p) != 0)
		__builtin_trap();
	free(s);
	return 0;
}
