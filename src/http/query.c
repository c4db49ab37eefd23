/*
 * The query-string parser: strict, bounded, and the same for every
 * route. Unknown and repeated parameters are errors (a typo must not
 * silently widen a search), values are percent-decoded strictly and must
 * be UTF-8 without control characters, and integers and dates accept one
 * spelling each. Failures name the parameter for problem+json.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "egca/store.h"
#include "http/http_int.h"

static void
set_bad(char *bad, size_t bad_len, const char *name, size_t len)
{
	if (bad_len == 0)
		return;
	if (len >= bad_len)
		len = bad_len - 1;
	memcpy(bad, name, len);
	bad[len] = '\0';
}

enum egca_err
http_query_parse(const char *raw, const char *const *allowed,
    struct http_query *q, char *bad, size_t bad_len)
{
	const char *p, *amp, *eq;
	size_t raw_len, used = 0, nl, vl, i, k;
	char *name, *value;
	enum egca_err e;

	q->n = 0;
	set_bad(bad, bad_len, "", 0);
	if (raw == NULL || raw[0] == '\0')
		return EGCA_OK;
	raw_len = strlen(raw);
	if (raw_len > HTTP_QUERY_MAX_LEN)
		return egca_err_set(EGCA_ERR_INPUT,
		    "query string longer than %d bytes", HTTP_QUERY_MAX_LEN);
	for (p = raw; p != NULL; p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		k = amp ? (size_t)(amp - p) : strlen(p);
		if (k == 0) /* "a=1&&b=2", trailing '&' */
			continue;
		eq = memchr(p, '=', k);
		if (q->n >= HTTP_QUERY_MAX_PARAMS)
			return egca_err_set(EGCA_ERR_INPUT,
			    "more than %d query parameters",
			    HTTP_QUERY_MAX_PARAMS);
		name = q->buf + used;
		if ((e = http_pct_decode(p, eq ? (size_t)(eq - p) : k, 1, name,
		         sizeof(q->buf) - used - 1, &nl)) != EGCA_OK) {
			set_bad(bad, bad_len, p, eq ? (size_t)(eq - p) : k);
			return egca_err_set(EGCA_ERR_INPUT,
			    "parameter name: %s", egca_err_detail());
		}
		name[nl] = '\0';
		used += nl + 1;
		if (nl == 0 || !http_utf8_valid(name, nl))
			return egca_err_set(
			    EGCA_ERR_INPUT, "empty or bad parameter name");
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], name) == 0)
				break;
		if (allowed[i] == NULL) {
			set_bad(bad, bad_len, name, nl);
			return egca_err_set(
			    EGCA_ERR_INPUT, "unknown parameter '%.64s'", name);
		}
		for (i = 0; i < q->n; i++)
			if (strcmp(q->name[i], name) == 0) {
				set_bad(bad, bad_len, name, nl);
				return egca_err_set(EGCA_ERR_INPUT,
				    "parameter '%s' given more than once",
				    name);
			}
		value = q->buf + used;
		vl = 0;
		if (eq != NULL &&
		    (e = http_pct_decode(eq + 1, k - (size_t)(eq + 1 - p), 1,
		         value, sizeof(q->buf) - used - 1, &vl)) != EGCA_OK) {
			set_bad(bad, bad_len, name, nl);
			return egca_err_set(EGCA_ERR_INPUT,
			    "parameter '%s': %s", name, egca_err_detail());
		}
		value[vl] = '\0';
		used += vl + 1;
		if (vl > HTTP_QUERY_MAX_VALUE || !http_utf8_valid(value, vl)) {
			set_bad(bad, bad_len, name, nl);
			return egca_err_set(EGCA_ERR_INPUT,
			    "parameter '%s': value too long or not UTF-8 text",
			    name);
		}
		q->name[q->n] = name;
		q->value[q->n] = value;
		q->n++;
	}
	return EGCA_OK;
}

const char *
http_query_get(const struct http_query *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->name[i], name) == 0)
			return q->value[i];
	return NULL;
}

enum egca_err
http_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	/* Digits only: no sign, space, hex or exponent; at most 18. */
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 18)
			return egca_err_set(EGCA_ERR_INPUT,
			    "expected an integer from %lld to %lld",
			    (long long)min, (long long)max);
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || v < min || v > max)
		return egca_err_set(EGCA_ERR_INPUT,
		    "expected an integer from %lld to %lld", (long long)min,
		    (long long)max);
	*out = v;
	return EGCA_OK;
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*out = *out * 10 + (s[i] - '0');
	}
	return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

enum egca_err
http_parse_date(const char *s, int upper, int64_t *out)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t len = strlen(s);
	int y, mo, d, h = 0, mi = 0, sec = 0, leap, full;

	full = len == 20;
	if ((len != 10 && !full) || s[4] != '-' || s[7] != '-' ||
	    !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d))
		goto bad;
	if (full &&
	    (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
	        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
	        !digits(s + 17, 2, &sec)))
		goto bad;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 59)
		goto bad;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	if (!full && upper)
		*out += 86400;
	return EGCA_OK;
bad:
	return egca_err_set(EGCA_ERR_INPUT,
	    "expected a date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)");
}

void
http_time_iso(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, 32, "%lld", (long long)t);
		return;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum egca_err
http_query_or_problem(const struct http_req *r, const char *const *allowed,
    struct http_query *q, struct http_resp *out)
{
	char bad[72];
	enum egca_err e;

	if ((e = http_query_parse(r->query, allowed, q, bad, sizeof(bad))) !=
	    EGCA_OK)
		http_problem(out, r, 400, "EGCA-BAD-PARAM", bad[0] ? bad : NULL,
		    "%s", egca_err_detail());
	return e;
}

const char *const http_search_params[] = {"subject", "organization",
    "identity_code", "serial", "status", "profile", "region", "subscriber_type",
    "not_after_from", "not_after_to", "issued_from", "issued_to", "ca", "sort",
    "page", "per_page", NULL};

static int
name_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		        s[i] == '_'))
			return 0;
	return i > 0 && i <= max;
}

enum egca_err
http_search_query(const struct http_req *r,
    const struct egca_http_caller *caller, const struct http_query *p,
    struct egca_cert_query *q, char serial_buf[41], size_t max_per_page,
    int64_t *page, int64_t *per_page, struct http_resp *out)
{
	static const struct {
		const char *name;
		size_t off;
		int upper;
	} dates[] = {
	    {"not_after_from", offsetof(struct egca_cert_query, not_after_from),
	        0},
	    {"not_after_to", offsetof(struct egca_cert_query, not_after_to), 1},
	    {"issued_from", offsetof(struct egca_cert_query, issued_from), 0},
	    {"issued_to", offsetof(struct egca_cert_query, issued_to), 1},
	};
	const char *v, *bad = NULL, *why = NULL;
	size_t i;
	int64_t t;

	memset(q, 0, sizeof(*q));
	*page = 1;
	*per_page = 50;
	q->subject_like = http_query_get(p, "subject");
	q->organization_like = http_query_get(p, "organization");
	q->identity_code = http_query_get(p, "identity_code");
	if ((v = http_query_get(p, "serial")) != NULL) {
		if (egca_ca_serial_parse(v, serial_buf) != EGCA_OK) {
			bad = "serial";
			goto bad;
		}
		q->serial = serial_buf;
	}
	if ((v = http_query_get(p, "status")) != NULL) {
		if (strcmp(v, "good") && strcmp(v, "revoked") &&
		    strcmp(v, "hold")) {
			bad = "status";
			why = "expected good, revoked or hold";
			goto bad;
		}
		q->status = v;
	}
	if ((v = http_query_get(p, "profile")) != NULL) {
		if (!name_ok(v, 63)) {
			bad = "profile";
			why = "expected a profile name [a-z0-9-]";
			goto bad;
		}
		q->profile = v;
	}
	if ((v = http_query_get(p, "ca")) != NULL) {
		if (!name_ok(v, 63)) {
			bad = "ca";
			why = "expected a CA name [a-z0-9-]";
			goto bad;
		}
		q->ca = v;
	}
	if ((v = http_query_get(p, "subscriber_type")) != NULL) {
		if (!name_ok(v, 15)) {
			bad = "subscriber_type";
			why = "expected government, organization, individual "
			      "or device";
			goto bad;
		}
		q->subscriber_type = v;
	}
	if ((v = http_query_get(p, "region")) != NULL) {
		size_t n = strlen(v);
		for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i != n || (n != 2 && n != 4 && n != 6)) {
			bad = "region";
			why = "expected a GB/T 2260 code or prefix: 2, 4 or 6 "
			      "digits";
			goto bad;
		}
		q->region = v;
	}
	/* A caller limited to a region sees only that region. */
	if (caller->scope_region != NULL) {
		if (q->region != NULL &&
		    strncmp(q->region, caller->scope_region,
		        strlen(caller->scope_region)) != 0) {
			http_problem(out, r, 403, "EGCA-FORBIDDEN", "region",
			    "outside the caller's region");
			return EGCA_ERR_AUTH;
		}
		if (q->region == NULL)
			q->region = caller->scope_region;
	}
	/* A department viewer sees its own department only. */
	q->department = http_caller_department(caller);
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		if ((v = http_query_get(p, dates[i].name)) == NULL)
			continue;
		if (http_parse_date(v, dates[i].upper, &t) != EGCA_OK) {
			bad = dates[i].name;
			goto bad;
		}
		*(int64_t *)(void *)((char *)q + dates[i].off) = t;
	}
	if ((v = http_query_get(p, "sort")) != NULL) {
		if (strcmp(v, "issued_at") == 0)
			q->sort = EGCA_CERT_SORT_ISSUED_ASC;
		else if (strcmp(v, "-issued_at") == 0)
			q->sort = EGCA_CERT_SORT_ISSUED_DESC;
		else if (strcmp(v, "not_after") == 0)
			q->sort = EGCA_CERT_SORT_NOT_AFTER;
		else if (strcmp(v, "serial") == 0)
			q->sort = EGCA_CERT_SORT_SERIAL;
		else {
			bad = "sort";
			why = "expected issued_at, -issued_at, not_after or "
			      "serial";
			goto bad;
		}
	}
	if ((v = http_query_get(p, "page")) != NULL &&
	    http_parse_int(v, 1, 1000000, page) != EGCA_OK) {
		bad = "page";
		goto bad;
	}
	if ((v = http_query_get(p, "per_page")) != NULL &&
	    http_parse_int(v, 1, (int64_t)max_per_page, per_page) != EGCA_OK) {
		bad = "per_page";
		goto bad;
	}
	q->limit = (size_t)*per_page;
	q->offset = (size_t)((*page - 1) * *per_page);
	return EGCA_OK;
bad:
	http_problem(out, r, 400, "EGCA-BAD-PARAM", bad, "parameter '%s': %s",
	    bad, why ? why : egca_err_detail());
	return EGCA_ERR_INPUT;
}
