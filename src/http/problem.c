/*
 * Responses: bodies, headers, cache headers for signed objects, and RFC
 * 9457 problem details. Every API error carries a stable `code`
 * (docs/api.md lists them); 5xx details never carry the internal error
 * text, which goes to the log with the request id instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egca/log.h"
#include "http/http_int.h"

/* Drops the body; the header values are left as they are (unused). */
static void
resp_drop_body(struct http_resp *out)
{
	if (out->release != NULL)
		out->release(out->release_arg);
	else
		free(out->body);
	out->body = NULL;
	out->len = 0;
	out->release = NULL;
	out->release_arg = NULL;
}

/*
 * Not a memset of the whole record: the header array is about 1.3 KiB,
 * and only nhdr says which entries mean anything.
 */
void
http_resp_clear(struct http_resp *out)
{
	resp_drop_body(out);
	out->status = 0;
	out->ctype = NULL;
	out->nhdr = 0;
	out->defer = 0;
}

void
http_resp_header(struct http_resp *out, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (out->nhdr >= HTTP_MAX_HEADERS)
		return;
	out->hdr[out->nhdr].name = name;
	va_start(ap, fmt);
	vsnprintf(
	    out->hdr[out->nhdr].value, sizeof(out->hdr[0].value), fmt, ap);
	va_end(ap);
	out->nhdr++;
}

void
http_resp_header_str(struct http_resp *out, const char *name, const char *value)
{
	size_t n = strlen(value);

	if (out->nhdr >= HTTP_MAX_HEADERS)
		return;
	if (n >= sizeof(out->hdr[0].value))
		n = sizeof(out->hdr[0].value) - 1;
	out->hdr[out->nhdr].name = name;
	memcpy(out->hdr[out->nhdr].value, value, n);
	out->hdr[out->nhdr].value[n] = '\0';
	out->nhdr++;
}

void
http_resp_take(struct http_resp *out, unsigned status, const char *ctype,
    uint8_t *body, size_t len)
{
	/* The headers set so far stay. */
	resp_drop_body(out);
	out->defer = 0;
	out->status = status;
	out->ctype = ctype;
	out->body = body;
	out->len = len;
}

void
http_resp_text(struct http_resp *out, unsigned status, const char *ctype,
    const char *text, size_t len)
{
	uint8_t *b = malloc(len + 1);

	if (b == NULL) {
		http_resp_take(out, 503, "text/plain", NULL, 0);
		return;
	}
	memcpy(b, text, len);
	b[len] = 0;
	http_resp_take(out, status, ctype, b, len);
}

void
http_resp_json(struct http_resp *out, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (s == NULL) {
		http_resp_take(out, 503, "text/plain", NULL, 0);
		return;
	}
	http_resp_take(
	    out, status, "application/json", (uint8_t *)s, strlen(s));
}

const char *
http_status_text(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 304:
		return "Not Modified";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 423:
		return "Locked";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

void
http_problem(struct http_resp *out, const struct http_req *r, unsigned status,
    const char *code, const char *param, const char *fmt, ...)
{
	char detail[512], type[96];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/*
	 * A detail may quote the client's bytes (a JSON parser's message,
	 * a truncated multi-byte character): JSON needs UTF-8, so anything
	 * else is masked rather than losing the whole answer.
	 */
	if (!http_utf8_valid(detail, strlen(detail)))
		for (char *c = detail; *c != '\0'; c++)
			if ((unsigned char)*c >= 0x80)
				*c = '?';
	if (param != NULL && !http_utf8_valid(param, strlen(param)))
		param = "?";
	snprintf(type, sizeof(type), "urn:egca:problem:%s", code);
	j = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title",
	    http_status_text(status), "status", (int)status, "detail", detail,
	    "code", code);
	if (j != NULL && param != NULL)
		json_object_set_new(j, "param", json_string(param));
	if (j != NULL && r != NULL && r->path != NULL &&
	    http_utf8_valid(r->path, strlen(r->path)))
		json_object_set_new(j, "instance", json_string(r->path));
	if (j != NULL && r != NULL && r->rid != NULL)
		json_object_set_new(j, "request_id", json_string(r->rid));
	http_resp_json(out, status, j);
	if (out->status == status)
		out->ctype = "application/problem+json";
}

void
http_problem_err(
    struct http_resp *out, const struct http_req *r, enum egca_err e)
{
	switch (e) {
	case EGCA_ERR_NOTFOUND:
		http_problem(out, r, 404, "EGCA-NOT-FOUND", NULL, "%s",
		    egca_err_detail());
		return;
	case EGCA_ERR_INPUT:
	case EGCA_ERR_USAGE:
		http_problem(out, r, 400, "EGCA-BAD-REQUEST", NULL, "%s",
		    egca_err_detail());
		return;
	case EGCA_ERR_AUTH:
		http_problem(out, r, 401, "EGCA-UNAUTHENTICATED", NULL, "%s",
		    egca_err_detail());
		http_resp_header(out, "WWW-Authenticate", "Bearer");
		return;
	case EGCA_ERR_POLICY:
		http_problem(out, r, 403, "EGCA-FORBIDDEN", NULL, "%s",
		    egca_err_detail());
		return;
	case EGCA_ERR_STATE:
		http_problem(
		    out, r, 409, "EGCA-STATE", NULL, "%s", egca_err_detail());
		return;
	case EGCA_ERR_EXISTS:
		http_problem(
		    out, r, 409, "EGCA-EXISTS", NULL, "%s", egca_err_detail());
		return;
	case EGCA_ERR_CONFLICT:
		/* A concurrent change won: the caller may retry. */
		http_problem(out, r, 409, "EGCA-CONFLICT", NULL, "%s",
		    egca_err_detail());
		return;
	case EGCA_ERR_STORE:
	case EGCA_ERR_NOMEM:
		egca_log_err("event=http_error rid=%s err=%s detail=\"%s\"",
		    r && r->rid ? r->rid : "-", egca_err_name(e),
		    egca_err_detail());
		http_problem(out, r, 503, "EGCA-UNAVAILABLE", NULL,
		    "temporarily unavailable; retry later");
		http_resp_header(out, "Retry-After", "5");
		return;
	default:
		egca_log_err("event=http_error rid=%s err=%s detail=\"%s\"",
		    r && r->rid ? r->rid : "-", egca_err_name(e),
		    egca_err_detail());
		http_problem(out, r, 500, "EGCA-INTERNAL", NULL,
		    "internal error (request %s)", r && r->rid ? r->rid : "-");
		return;
	}
}

/* Decimal digits of v into out (no NUL); returns the length. */
static size_t
put_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void
put2(char *out, unsigned v)
{
	out[0] = (char)('0' + v / 10 % 10);
	out[1] = (char)('0' + v % 10);
}

/*
 * IMF-fixdate (RFC 9110 5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", without
 * gmtime/strftime (no locale, no lock, called per answer). Days to a
 * civil date: H. Hinnant's algorithm, proleptic Gregorian.
 */
static void
http_date(int64_t t, char out[40])
{
	static const char wd[7][4] = {
	    "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = t / 86400, secs = t % 86400, z, era, y;
	unsigned doe, yoe, doy, mp, d, m;
	char *p = out;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y < 0 || y > 9999) {
		/* Not a date HTTP can carry; as strftime would print it. */
		struct tm tm;
		time_t tt = (time_t)t;

		gmtime_r(&tt, &tm);
		strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		return;
	}
	memcpy(p, wd[((days % 7) + 7) % 7], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	put2(p, d);
	p += 2;
	*p++ = ' ';
	memcpy(p, mon[m - 1], 3);
	p += 3;
	*p++ = ' ';
	put2(p, (unsigned)(y / 100));
	put2(p + 2, (unsigned)(y % 100));
	p += 4;
	*p++ = ' ';
	put2(p, (unsigned)(secs / 3600));
	p[2] = ':';
	put2(p + 3, (unsigned)(secs / 60 % 60));
	p[5] = ':';
	put2(p + 6, (unsigned)(secs % 60));
	p += 8;
	memcpy(p, " GMT", 5);
}

void
http_resp_cache(struct http_resp *out, int64_t now, int64_t this_update,
    int64_t next_update, const char *etag)
{
	static const char tail[] = ", public, no-transform, must-revalidate";
	char d[40], cc[80];
	int64_t age = next_update - now;
	size_t n;

	if (age < 0)
		age = 0;
	/* RFC 5019 6.2: caches may keep it until nextUpdate, no later. */
	memcpy(cc, "max-age=", 8);
	n = 8 + put_u64(cc + 8, (uint64_t)age);
	memcpy(cc + n, tail, sizeof(tail));
	http_resp_header_str(out, "Cache-Control", cc);
	if (etag != NULL && etag[0] != '\0')
		http_resp_header_str(out, "ETag", etag);
	if (this_update > 0) {
		http_date(this_update, d);
		http_resp_header_str(out, "Last-Modified", d);
	}
	if (next_update > 0) {
		http_date(next_update, d);
		http_resp_header_str(out, "Expires", d);
	}
}

int
http_etag_match(const char *inm, const char *etag)
{
	const char *p = inm, *tok, *end;
	size_t el;

	if (inm == NULL || etag == NULL || etag[0] == '\0')
		return 0;
	el = strlen(etag);
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		tok = p;
		p = end;
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - tok == 1 && *tok == '*')
			return 1;
		/* Weak comparison (RFC 9110 13.1.2). */
		if (end - tok >= 2 && strncmp(tok, "W/", 2) == 0)
			tok += 2;
		if ((size_t)(end - tok) == el && memcmp(tok, etag, el) == 0)
			return 1;
	}
	return 0;
}
