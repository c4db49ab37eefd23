/*
 * GET /api/v1/statistics?group_by=month|profile|subscriber_type|region
 * &ca=&from=&to=: certificates issued in [from, to), grouped, with how
 * many are now revoked, on hold, or good and expiring within 30 days.
 */
#include <string.h>

#include "egca/ca.h"
#include "http/http_int.h"

#define EXPIRING_DAYS 30

void
http_api_stats(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {
	    "group_by", "ca", "from", "to", NULL};
	static const struct {
		const char *name;
		enum egca_stat_group g;
	} groups[] = {
	    {"month", EGCA_STAT_MONTH},
	    {"profile", EGCA_STAT_PROFILE},
	    {"subscriber_type", EGCA_STAT_SUBSCRIBER_TYPE},
	    {"region", EGCA_STAT_REGION},
	};
	struct http_query p;
	struct egca_stat_row *rows = NULL;
	struct egca_store *st;
	const char *v, *gname = "month", *ca;
	enum egca_stat_group g = EGCA_STAT_MONTH;
	int64_t from = 0, to = 0, tot[4] = {0};
	size_t n = 0, i;
	json_t *arr, *j;
	enum egca_err e;

	if (http_query_or_problem(r, allowed, &p, out) != EGCA_OK)
		return;
	if ((v = http_query_get(&p, "group_by")) != NULL) {
		for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			if (strcmp(groups[i].name, v) == 0)
				break;
		if (i == sizeof(groups) / sizeof(groups[0])) {
			http_problem(out, r, 400, "EGCA-BAD-PARAM", "group_by",
			    "expected month, profile, subscriber_type or "
			    "region");
			return;
		}
		g = groups[i].g;
		gname = groups[i].name;
	}
	ca = http_query_get(&p, "ca");
	if (ca != NULL && egca_ca_name_check(ca) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "ca",
		    "expected a CA name [a-z0-9-]");
		return;
	}
	if ((v = http_query_get(&p, "from")) != NULL &&
	    http_parse_date(v, 0, &from) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "from", "%s",
		    egca_err_detail());
		return;
	}
	if ((v = http_query_get(&p, "to")) != NULL &&
	    http_parse_date(v, 1, &to) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "to", "%s",
		    egca_err_detail());
		return;
	}
	if ((e = egca_store_pool_get(r->app->pool, &st)) != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	/* A department viewer counts its own department's certificates. */
	e = egca_store_cert_stats(st, g, ca, http_caller_department(caller),
	    from, to, r->now, r->now + EXPIRING_DAYS * 86400, &rows, &n);
	egca_store_pool_put(r->app->pool, st);
	if (e != EGCA_OK) {
		http_problem_err(out, r, e);
		return;
	}
	arr = json_array();
	for (i = 0; i < n && arr != NULL; i++) {
		json_array_append_new(arr,
		    json_pack("{s:s, s:I, s:I, s:I, s:I}", "key", rows[i].key,
		        "issued", (json_int_t)rows[i].issued, "revoked",
		        (json_int_t)rows[i].revoked, "held",
		        (json_int_t)rows[i].held, "expiring",
		        (json_int_t)rows[i].expiring));
		tot[0] += rows[i].issued;
		tot[1] += rows[i].revoked;
		tot[2] += rows[i].held;
		tot[3] += rows[i].expiring;
	}
	egca_store_stat_rows_free(rows, n);
	j = json_pack("{s:s, s:s?, s:i, s:o*, s:{s:I, s:I, s:I, s:I}}",
	    "group_by", gname, "ca", ca, "expiring_days", EXPIRING_DAYS,
	    "groups", arr, "totals", "issued", (json_int_t)tot[0], "revoked",
	    (json_int_t)tot[1], "held", (json_int_t)tot[2], "expiring",
	    (json_int_t)tot[3]);
	http_resp_header(out, "Cache-Control", "no-cache");
	http_resp_json(out, 200, j);
}
