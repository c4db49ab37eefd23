/*
 * The RA REST API (Art. 5, 8, 21, 30, 31): registration points,
 * subscribers, applications and their proof materials, approvals and
 * execution, and the holder's loss report.
 *
 * Each handler checks the request's shape (strict query parameters,
 * strict JSON body, media types) and calls ra/ with the caller's
 * principal; scope, four eyes, digests, execution and audit are the
 * service's. Objects outside the caller's scope come back from the
 * service as EGCA_ERR_NOTFOUND and are answered 404 exactly like absent
 * ones. A service error "field: why" on bad input becomes 400 naming
 * the member (http_problem_field).
 *
 * Every answer carries Cache-Control: no-store: these are personal data,
 * and an execution's answer holds the revocation code, shown once.
 *
 * What this file does not check: who may call a route (server.c, by the
 * policy table) and the meaning of values (ra/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "egca/audit.h"
#include "egca/pki.h"
#include "egca/ra.h"
#include "egca/status.h"
#include "egca/store.h"
#include "http/http_int.h"

#define PER_PAGE_DEFAULT 50
#define PER_PAGE_MAX 1000
#define PAGE_MAX 1000000
#define LOSS_LIMIT_DEFAULT 100
#define SIG_MAX 1024 /* RSA-4096 is 512 bytes; SM2/ECDSA DER < 160 */
#define CSR_PEM_MAX (32 * 1024)

/* ---- shared pieces ---- */

static struct egca_issuer *
env_issuer(void *arg, const char *ca)
{
	return egca_status_issuer(arg, ca);
}

/* Execution uses the running status service's open CAs and its KM. */
static void
env_init(struct http_req *r, struct egca_ra_env *env)
{
	memset(env, 0, sizeof(*env));
	env->issuer = env_issuer;
	env->arg = r->app->status;
	env->km = r->app->km;
}

/* Answers j with no-store (and a Location when loc is given). */
static void
reply(struct http_resp *out, unsigned status, json_t *j, const char *loc)
{
	http_resp_header(out, "Cache-Control", "no-store");
	if (loc != NULL)
		http_resp_header_str(out, "Location", loc);
	http_resp_json(out, status, j);
}

/* A problem with no-store, like every answer here. */
static void
fail(struct http_resp *out, const struct http_req *r, enum egca_err e,
    const char *const *names)
{
	/* Execution could not reach the KM (ra/ says "KM ..."): retry. */
	if (e == EGCA_ERR_IO && strncmp(egca_err_detail(), "KM ", 3) == 0) {
		http_problem(out, r, 503, "EGCA-KM-UNAVAILABLE", NULL,
		    "the key management centre cannot be reached (%s): "
		    "execute the application again later",
		    egca_err_detail());
		http_resp_header(out, "Retry-After", "30");
		http_resp_header(out, "Cache-Control", "no-store");
		return;
	}
	http_problem_field(out, r, e, names);
	http_resp_header(out, "Cache-Control", "no-store");
}

/*
 * A refusal made here, before the service saw the request (a malformed
 * body, an unknown member, a wrong media type): audited like the
 * service's own refusals, in a record of its own, with the problem's
 * detail (never a value from the body). When the record cannot be
 * written the answer becomes 503: a refusal is never left unaudited.
 */
static void
refused(struct http_req *r, const struct egca_http_caller *caller,
    const char *action, const char *object, struct http_resp *out)
{
	struct egca_store *st;
	struct egca_audit_event ev;
	json_t *p, *d;
	char *details = NULL;
	enum egca_err e;

	if (r->app == NULL || out->status < 400 || out->status >= 500)
		return; /* unit tests run without a store */
	p = json_loadb((const char *)out->body, out->len, 0, NULL);
	d = json_pack("{s:s, s:i, s:O*, s:O*, s:s*}", "error", "EGCA_ERR_INPUT",
	    "status", (int)out->status, "detail", json_object_get(p, "detail"),
	    "param", json_object_get(p, "param"), "request_id", r->rid);
	if (d != NULL)
		details = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	json_decref(p);
	if ((e = egca_store_pool_get(r->app->pool, &st)) == EGCA_OK) {
		ev = (struct egca_audit_event){caller->principal->actor, action,
		    object != NULL ? object : "", "failure", details};
		e = egca_audit_record(st, &ev);
		egca_store_pool_put(r->app->pool, st);
	}
	free(details);
	if (e != EGCA_OK) {
		http_resp_clear(out);
		http_problem_err(out, r, e);
	}
}

/* "app/<id>" for the audit record. */
static const char *
object_of(const char *kind, const struct http_req *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%.64s", kind,
	    r->nparam > 0 && r->param[0] != NULL ? r->param[0] : "");
	return buf;
}

static int
query_only(struct http_req *r, const char *const *allowed, struct http_query *q,
    struct http_resp *out)
{
	return http_query_or_problem(r, allowed, q, out) == EGCA_OK;
}

/*
 * The query (allowed) with page and per_page, also as limit and offset;
 * 0 after a problem.
 */
static int
paging(struct http_req *r, const char *const *allowed, struct http_query *q,
    int64_t *page, int64_t *per_page, size_t *limit, size_t *offset,
    struct http_resp *out)
{
	const char *s;

	*page = 1;
	*per_page = PER_PAGE_DEFAULT;
	if (!query_only(r, allowed, q, out))
		return 0;
	if ((s = http_query_get(q, "page")) != NULL &&
	    http_parse_int(s, 1, PAGE_MAX, page) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "page",
		    "page: an integer 1..%d", PAGE_MAX);
		return 0;
	}
	if ((s = http_query_get(q, "per_page")) != NULL &&
	    http_parse_int(s, 1, PER_PAGE_MAX, per_page) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "per_page",
		    "per_page: an integer 1..%d", PER_PAGE_MAX);
		return 0;
	}
	*limit = (size_t)*per_page;
	*offset = (size_t)((*page - 1) * *per_page);
	return 1;
}

static json_t *
page_json(int64_t page, int64_t per_page, json_t *items)
{
	return json_pack("{s:I, s:I, s:o*}", "page", (json_int_t)page,
	    "per_page", (json_int_t)per_page, "items", items);
}

/* The '*' segment i of the route, "" when missing. */
static const char *
param(const struct http_req *r, size_t i)
{
	return i < r->nparam && r->param[i] != NULL ? r->param[i] : "";
}

/* No query parameters, then the caller's context; 0 after a problem. */
static int
open_plain(struct http_req *r, const struct egca_http_caller *caller,
    struct egca_ctx *ctx, struct http_resp *out)
{
	static const char *const none[] = {NULL};
	struct http_query q;

	return query_only(r, none, &q, out) &&
	    http_ctx_open(r, caller, ctx, out) == EGCA_OK;
}

/*
 * No query parameters and a body of the n fields (none: an empty
 * object) into *doc; a refusal is audited as action on "<kind>/{id}"
 * (kind NULL: no object). 0 after a problem.
 */
static int
body_only(struct http_req *r, const struct egca_http_caller *caller,
    const struct http_jfield *fields, size_t n, const char *action,
    const char *kind, json_t **doc, struct http_resp *out)
{
	static const char *const none[] = {NULL};
	struct http_query q;
	char obj[96];

	*doc = NULL;
	if (query_only(r, none, &q, out) &&
	    http_json_body(r, fields, n, doc, out) == EGCA_OK)
		return 1;
	refused(r, caller, action,
	    kind != NULL ? object_of(kind, r, obj, sizeof(obj)) : NULL, out);
	return 0;
}

/* body_only, then the caller's context; 0 (and no *doc) after a problem. */
static int
open_body(struct http_req *r, const struct egca_http_caller *caller,
    const struct http_jfield *fields, size_t n, const char *action,
    const char *kind, json_t **doc, struct egca_ctx *ctx, struct http_resp *out)
{
	if (!body_only(r, caller, fields, n, action, kind, doc, out))
		return 0;
	if (http_ctx_open(r, caller, ctx, out) == EGCA_OK)
		return 1;
	json_decref(*doc);
	*doc = NULL;
	return 0;
}

/*
 * Gives the context back; after a service error e answers it (naming
 * the member among names) and returns 0.
 */
static int
closed_ok(struct http_req *r, struct egca_ctx *ctx, enum egca_err e,
    const char *const *names, struct http_resp *out)
{
	http_ctx_close(r, ctx);
	if (e == EGCA_OK)
		return 1;
	fail(out, r, e, names);
	return 0;
}

/* ---- registration points ---- */

static const struct http_jfield point_fields[] = {
    {"id", HTTP_JSTR, HTTP_JREQUIRED, 63},
    {"name", HTTP_JSTR, HTTP_JREQUIRED, 256},
    {"home_region", HTTP_JSTR, HTTP_JREQUIRED, 6},
};
static const char *const point_names[] = {"id", "name", "home_region", NULL};

static const struct http_jfield region_fields[] = {
    {"region", HTTP_JSTR, HTTP_JREQUIRED, 6},
    {"approval", HTTP_JSTR, 0, 256},
};
static const char *const region_names[] = {"region", "approval", NULL};

static json_t *
point_json(const struct egca_point_rec *p)
{
	char href[128];

	snprintf(href, sizeof(href), "/api/v1/points/%s", p->id);
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "id", p->id, "name",
	    p->name ? p->name : "", "home_region",
	    p->home_region ? p->home_region : "", "home_region_name",
	    http_json_str(
	        p->home_region ? egca_ra_region_name(p->home_region) : NULL),
	    "created_at", http_json_time(p->created_at), "href", href);
}

static json_t *
regions_json(const struct egca_point_rec *p,
    const struct egca_point_region_rec *l, size_t n)
{
	json_t *a = json_array(), *o;
	size_t i;
	int serving;

	for (i = 0; i < n && a != NULL; i++) {
		/* Home province: served at once; elsewhere once approved. */
		serving = l[i].approval != NULL ||
		    (p->home_region != NULL &&
		        egca_ra_region_within(l[i].region, p->home_region));
		o = json_pack("{s:s, s:o, s:o, s:o, s:b}", "region",
		    l[i].region, "name",
		    http_json_str(egca_ra_region_name(l[i].region)), "approval",
		    http_json_str(l[i].approval), "approved_at",
		    http_json_time(l[i].approved_at), "serving", serving);
		json_array_append_new(a, o);
	}
	return a;
}

/* Answers the point with its regions. */
static void
point_reply(struct http_req *r, const struct egca_ctx *ctx, const char *id,
    unsigned status, struct http_resp *out)
{
	struct egca_point_rec p;
	struct egca_point_region_rec *regions = NULL;
	size_t n = 0;
	char loc[128];
	json_t *j;
	enum egca_err e;

	memset(&p, 0, sizeof(p));
	if ((e = egca_ra_point_get(ctx, id, &p, &regions, &n)) != EGCA_OK) {
		fail(out, r, e, NULL);
		return;
	}
	j = point_json(&p);
	if (j != NULL)
		json_object_set_new(j, "regions", regions_json(&p, regions, n));
	snprintf(loc, sizeof(loc), "/api/v1/points/%s", p.id);
	reply(out, status, j, status == 201 ? loc : NULL);
	egca_ra_point_region_list_free(regions, n);
	egca_ra_point_rec_free(&p);
}

void
http_point_create(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	json_t *doc;
	enum egca_err e;

	if (!open_body(r, caller, point_fields, 3, "point.create", NULL, &doc,
	        &ctx, out))
		return;
	e = egca_ra_point_create(&ctx, http_jstr(doc, "id"),
	    http_jstr(doc, "name"), http_jstr(doc, "home_region"));
	if (e == EGCA_OK)
		point_reply(r, &ctx, http_jstr(doc, "id"), 201, out);
	else
		fail(out, r, e, point_names);
	http_ctx_close(r, &ctx);
	json_decref(doc);
}

void
http_point_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_point_rec *l = NULL;
	size_t n = 0, i;
	json_t *items;
	enum egca_err e;

	if (!open_plain(r, caller, &ctx, out))
		return;
	e = egca_ra_point_list(&ctx, &l, &n);
	if (!closed_ok(r, &ctx, e, NULL, out))
		return;
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, point_json(&l[i]));
	egca_ra_point_list_free(l, n);
	reply(out, 200, json_pack("{s:o*}", "items", items), NULL);
}

void
http_point_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;

	if (!open_plain(r, caller, &ctx, out))
		return;
	point_reply(r, &ctx, param(r, 0), 200, out);
	http_ctx_close(r, &ctx);
}

void
http_point_region(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	json_t *doc;
	enum egca_err e;

	if (!open_body(r, caller, region_fields, 2, "point.region", "point",
	        &doc, &ctx, out))
		return;
	e = egca_ra_point_add_region(&ctx, param(r, 0),
	    http_jstr(doc, "region"), http_jstr(doc, "approval"));
	if (e == EGCA_OK)
		point_reply(r, &ctx, param(r, 0), 201, out);
	else
		fail(out, r, e, region_names);
	http_ctx_close(r, &ctx);
	json_decref(doc);
}

/* ---- subscribers ---- */

static const struct http_jfield sub_fields[] = {
    {"type", HTTP_JSTR, HTTP_JREQUIRED, 32},
    {"name", HTTP_JSTR, HTTP_JREQUIRED, 256},
    {"uscc", HTTP_JSTR, 0, 32},
    {"org_code", HTTP_JSTR, 0, 32},
    {"id_card", HTTP_JSTR, 0, 32},
    {"region", HTTP_JSTR, HTTP_JREQUIRED, 6},
    {"department", HTTP_JSTR, 0, 256},
    {"owner", HTTP_JSTR, 0, 32},
    {"email", HTTP_JSTR, 0, 254},
    {"phone", HTTP_JSTR, 0, 32},
};
static const char *const sub_names[] = {"type", "name", "uscc", "org_code",
    "id_card", "region", "department", "owner", "email", "phone", NULL};

static json_t *
sub_json(const struct egca_subscriber_rec *s)
{
	char href[96];
	json_t *o;

	snprintf(href, sizeof(href), "/api/v1/subscribers/%s", s->id);
	o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "type", http_json_str(s->type));
	json_object_set_new(o, "name", http_json_str(s->name));
	json_object_set_new(o, "uscc", http_json_str(s->uscc));
	json_object_set_new(o, "org_code", http_json_str(s->org_code));
	json_object_set_new(o, "id_card", http_json_str(s->id_card));
	json_object_set_new(o, "region", http_json_str(s->region));
	json_object_set_new(o, "region_name",
	    http_json_str(
	        s->region != NULL ? egca_ra_region_name(s->region) : NULL));
	json_object_set_new(o, "department", http_json_str(s->department));
	json_object_set_new(o, "owner", http_json_str(s->owner));
	json_object_set_new(o, "email", http_json_str(s->email));
	json_object_set_new(o, "phone", http_json_str(s->phone));
	json_object_set_new(o, "point", http_json_str(s->point));
	json_object_set_new(o, "created_by", http_json_str(s->created_by));
	json_object_set_new(o, "created_at", http_json_time(s->created_at));
	json_object_set_new(o, "href", json_string(href));
	return o;
}

void
http_subscriber_create(struct http_req *r,
    const struct egca_http_caller *caller, struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_subscriber_new in;
	struct egca_subscriber_rec rec;
	char id[33], loc[96];
	json_t *doc;
	enum egca_err e;

	if (!open_body(r, caller, sub_fields,
	        sizeof(sub_fields) / sizeof(sub_fields[0]), "subscriber.create",
	        NULL, &doc, &ctx, out))
		return;
	memset(&in, 0, sizeof(in));
	in.type = http_jstr(doc, "type");
	in.name = http_jstr(doc, "name");
	in.uscc = http_jstr(doc, "uscc");
	in.org_code = http_jstr(doc, "org_code");
	in.id_card = http_jstr(doc, "id_card");
	in.region = http_jstr(doc, "region");
	in.department = http_jstr(doc, "department");
	in.owner = http_jstr(doc, "owner");
	in.email = http_jstr(doc, "email");
	in.phone = http_jstr(doc, "phone");
	memset(&rec, 0, sizeof(rec));
	e = egca_ra_subscriber_create(
	    &ctx, caller->principal, &in, r->idem_key, id);
	if (e == EGCA_OK)
		e = egca_ra_subscriber_get(&ctx, caller->principal, id, &rec);
	json_decref(doc);
	if (!closed_ok(r, &ctx, e, sub_names, out))
		return;
	/* A replay of the same Idempotency-Key answers the same 201. */
	snprintf(loc, sizeof(loc), "/api/v1/subscribers/%s", rec.id);
	reply(out, 201, sub_json(&rec), loc);
	egca_ra_subscriber_rec_free(&rec);
}

void
http_subscriber_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {
	    "type", "name", "region", "page", "per_page", NULL};
	struct http_query q;
	struct egca_ctx ctx;
	struct egca_subscriber_filter f;
	struct egca_subscriber_rec *l = NULL;
	size_t n = 0, i;
	int64_t page, per_page;
	json_t *items;
	enum egca_err e;

	memset(&f, 0, sizeof(f));
	if (!paging(r, allowed, &q, &page, &per_page, &f.limit, &f.offset, out))
		return;
	f.type = http_query_get(&q, "type");
	f.name = http_query_get(&q, "name");
	f.region = http_query_get(&q, "region");
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_ra_subscriber_list(&ctx, caller->principal, &f, &l, &n);
	if (!closed_ok(r, &ctx, e, allowed, out))
		return;
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, sub_json(&l[i]));
	egca_ra_subscriber_list_free(l, n);
	reply(out, 200, page_json(page, per_page, items), NULL);
}

void
http_subscriber_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_subscriber_rec rec;
	enum egca_err e;

	if (!open_plain(r, caller, &ctx, out))
		return;
	memset(&rec, 0, sizeof(rec));
	e = egca_ra_subscriber_get(&ctx, caller->principal, param(r, 0), &rec);
	if (!closed_ok(r, &ctx, e, NULL, out))
		return;
	reply(out, 200, sub_json(&rec), NULL);
	egca_ra_subscriber_rec_free(&rec);
}

/* ---- applications ---- */

static const struct http_jfield app_fields[] = {
    {"kind", HTTP_JSTR, HTTP_JREQUIRED, 16},
    {"subscriber", HTTP_JSTR, HTTP_JREQUIRED, 32},
    {"ca", HTTP_JSTR, 0, 63},
    {"profile", HTTP_JSTR, 0, 128},
    {"enc_profile", HTTP_JSTR, 0, 128},
    {"csr", HTTP_JSTR, HTTP_JMULTILINE, CSR_PEM_MAX},
    {"subject", HTTP_JSTR, 0, 1024},
    {"serial", HTTP_JSTR, 0, 64},
    {"reason", HTTP_JSTR, 0, 32},
    {"validity_days", HTTP_JINT, 0, 0},
    {"note", HTTP_JSTR, HTTP_JMULTILINE, 2000},
};
static const char *const app_names[] = {"kind", "subscriber", "ca", "profile",
    "enc_profile", "csr", "subject", "serial", "reason", "validity_days",
    "note", NULL};

static json_t *
material_json(const struct egca_material_rec *m)
{
	char href[160];

	snprintf(href, sizeof(href), "/api/v1/applications/%s/materials/%s",
	    m->app, m->id);
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:s}", "id",
	    m->id, "type", http_json_str(m->type), "media",
	    http_json_str(m->media), "filename", http_json_str(m->filename),
	    "sm3", http_json_str(m->sm3), "size", (json_int_t)m->size,
	    "added_by", http_json_str(m->added_by), "added_at",
	    http_json_time(m->added_at), "href", href);
}

/* The CA of an application: its own, else the configured default. */
static const char *
app_ca(const struct http_req *r, const struct egca_app_rec *a)
{
	if (a->ca != NULL && a->ca[0] != '\0')
		return a->ca;
	return r->app->cfg != NULL ? r->app->cfg->default_ca : NULL;
}

static json_t *
app_json(const struct http_req *r, const struct egca_app_rec *a)
{
	char href[96], cert[160];
	const char *ca = app_ca(r, a);
	json_t *o, *res;

	snprintf(href, sizeof(href), "/api/v1/applications/%s", a->id);
	o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "kind", http_json_str(a->kind));
	json_object_set_new(o, "state", http_json_str(a->state));
	json_object_set_new(o, "subscriber", http_json_str(a->subscriber));
	json_object_set_new(o, "region", http_json_str(a->region));
	json_object_set_new(o, "point", http_json_str(a->point));
	json_object_set_new(o, "ca", http_json_str(ca));
	json_object_set_new(o, "profile", http_json_str(a->profile));
	json_object_set_new(o, "enc_profile", http_json_str(a->enc_profile));
	json_object_set_new(o, "subject", http_json_str(a->subject));
	json_object_set_new(o, "serial", http_json_str(a->serial));
	json_object_set_new(o, "reason", http_json_str(a->reason));
	json_object_set_new(o, "validity_days",
	    a->validity_days > 0 ? json_integer(a->validity_days)
	                         : json_null());
	json_object_set_new(o, "note", http_json_str(a->note));
	json_object_set_new(o, "submitted_by", http_json_str(a->submitted_by));
	json_object_set_new(o, "submitted_at", http_json_time(a->submitted_at));
	json_object_set_new(o, "digest", http_json_str(a->digest));
	json_object_set_new(
	    o, "required_approvals", json_integer(a->required_approvals));
	json_object_set_new(o, "approvals", json_integer(a->approvals));
	json_object_set_new(o, "decided_by", http_json_str(a->decided_by));
	json_object_set_new(
	    o, "reject_reason", http_json_str(a->reject_reason));
	if (a->result_serial != NULL || a->result_error != NULL) {
		res = json_object();
		if (res != NULL) {
			json_object_set_new(
			    res, "serial", http_json_str(a->result_serial));
			json_object_set_new(
			    res, "error", http_json_str(a->result_error));
			if (a->result_serial != NULL && ca != NULL) {
				snprintf(cert, sizeof(cert),
				    "/api/v1/certificates/%s/%s", ca,
				    a->result_serial);
				json_object_set_new(
				    res, "href", json_string(cert));
			}
		}
		json_object_set_new(o, "result", res);
	} else {
		json_object_set_new(o, "result", json_null());
	}
	json_object_set_new(o, "updated_at", http_json_time(a->updated_at));
	json_object_set_new(o, "href", json_string(href));
	return o;
}

/* Adds the CSR (PEM) and the materials of the application to o. */
static void
app_detail(const struct egca_ctx *ctx, const struct egca_principal *p,
    const struct egca_app_rec *a, json_t *o)
{
	struct egca_material_rec *m = NULL;
	struct egca_buf pem;
	json_t *items;
	size_t n = 0, i;

	if (o == NULL)
		return;
	if (a->csr_der != NULL && a->csr_len > 0) {
		egca_buf_init(&pem, 64 * 1024);
		if (egca_pki_pem_encode(a->csr_der, a->csr_len,
		        "CERTIFICATE REQUEST", &pem) == EGCA_OK)
			json_object_set_new(o, "csr",
			    json_stringn((const char *)pem.data, pem.len));
		egca_buf_free(&pem);
	}
	if (json_object_get(o, "csr") == NULL)
		json_object_set_new(o, "csr", json_null());
	items = json_array();
	if (egca_ra_material_list(ctx, p, a->id, &m, &n) == EGCA_OK) {
		for (i = 0; i < n && items != NULL; i++)
			json_array_append_new(items, material_json(&m[i]));
		egca_ra_material_list_free(m, n);
	}
	json_object_set_new(o, "materials", items);
}

/* The CSR text of the body as DER (one PEM block, or none at all). */
static enum egca_err
csr_der(const char *text, struct egca_der_list *l)
{
	enum egca_err e;

	memset(l, 0, sizeof(*l));
	e = egca_pki_pem_decode(
	    (const uint8_t *)text, strlen(text), "CERTIFICATE REQUEST", l);
	if (e != EGCA_OK)
		return egca_err_set(EGCA_ERR_INPUT,
		    "csr: expected one PEM CERTIFICATE REQUEST");
	if (l->n != 1)
		return egca_err_set(EGCA_ERR_INPUT,
		    "csr: expected one PEM CERTIFICATE REQUEST, got %zu", l->n);
	return EGCA_OK;
}

void
http_app_submit(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_app_new in;
	struct egca_app_rec rec;
	struct egca_der_list csr;
	char id[33], loc[96];
	int64_t days;
	json_t *doc, *j;
	enum egca_err e = EGCA_OK;

	if (!body_only(r, caller, app_fields,
	        sizeof(app_fields) / sizeof(app_fields[0]), "app.submit", NULL,
	        &doc, out))
		return;
	memset(&in, 0, sizeof(in));
	memset(&csr, 0, sizeof(csr));
	memset(&rec, 0, sizeof(rec));
	in.kind = http_jstr(doc, "kind");
	in.subscriber = http_jstr(doc, "subscriber");
	in.ca = http_jstr(doc, "ca");
	in.profile = http_jstr(doc, "profile");
	in.enc_profile = http_jstr(doc, "enc_profile");
	in.subject = http_jstr(doc, "subject");
	in.reason = http_jstr(doc, "reason");
	in.note = http_jstr(doc, "note");
	/* The serial and the other values are the service's to check. */
	in.serial = http_jstr(doc, "serial");
	days = http_jint(doc, "validity_days", 0);
	if (days < 0 || days > EGCA_CA_MAX_VALIDITY_DAYS)
		e = egca_err_set(EGCA_ERR_INPUT,
		    "validity_days: 0 (the profile's default) to %d",
		    EGCA_CA_MAX_VALIDITY_DAYS);
	in.validity_days = (int)days;
	if (e == EGCA_OK && http_jstr(doc, "csr") != NULL &&
	    (e = csr_der(http_jstr(doc, "csr"), &csr)) == EGCA_OK) {
		in.csr_der = csr.der[0];
		in.csr_len = csr.len[0];
	}
	if (e != EGCA_OK) {
		fail(out, r, e, app_names);
		refused(r, caller, "app.submit", NULL, out);
		goto out;
	}
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		goto out;
	e = egca_ra_app_submit(&ctx, caller->principal, &in, r->idem_key, id);
	if (e == EGCA_OK)
		e = egca_ra_app_get(&ctx, caller->principal, id, &rec);
	if (e != EGCA_OK) {
		http_ctx_close(r, &ctx);
		fail(out, r, e, app_names);
		goto out;
	}
	j = app_json(r, &rec);
	app_detail(&ctx, caller->principal, &rec, j);
	http_ctx_close(r, &ctx);
	/* A replay of the same Idempotency-Key answers the same 201. */
	snprintf(loc, sizeof(loc), "/api/v1/applications/%s", rec.id);
	reply(out, 201, j, loc);
out:
	egca_ra_app_rec_free(&rec);
	egca_der_list_free(&csr);
	json_decref(doc);
}

void
http_app_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {
	    "state", "kind", "subscriber", "page", "per_page", NULL};
	struct http_query q;
	struct egca_ctx ctx;
	struct egca_app_filter f;
	struct egca_app_rec *l = NULL;
	size_t n = 0, i;
	int64_t page, per_page;
	json_t *items;
	enum egca_err e;

	memset(&f, 0, sizeof(f));
	if (!paging(r, allowed, &q, &page, &per_page, &f.limit, &f.offset, out))
		return;
	f.state = http_query_get(&q, "state");
	f.kind = http_query_get(&q, "kind");
	f.subscriber = http_query_get(&q, "subscriber");
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_ra_app_list(&ctx, caller->principal, &f, &l, &n);
	if (!closed_ok(r, &ctx, e, allowed, out))
		return;
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, app_json(r, &l[i]));
	egca_ra_app_list_free(l, n);
	reply(out, 200, page_json(page, per_page, items), NULL);
}

void
http_app_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_app_rec rec;
	json_t *j;
	enum egca_err e;

	if (!open_plain(r, caller, &ctx, out))
		return;
	memset(&rec, 0, sizeof(rec));
	e = egca_ra_app_get(&ctx, caller->principal, param(r, 0), &rec);
	if (e != EGCA_OK) {
		http_ctx_close(r, &ctx);
		fail(out, r, e, NULL);
		return;
	}
	j = app_json(r, &rec);
	app_detail(&ctx, caller->principal, &rec, j);
	http_ctx_close(r, &ctx);
	reply(out, 200, j, NULL);
	egca_ra_app_rec_free(&rec);
}

/* ---- materials ---- */

/* The media type of a Content-Type value ("image/png; x=y"). */
static const char *
media_of(const char *ct)
{
	static const char *const ok[] = {
	    "application/pdf", "image/jpeg", "image/png", NULL};
	size_t n, i;

	if (ct == NULL)
		return NULL;
	n = strcspn(ct, "; \t");
	for (i = 0; ok[i] != NULL; i++)
		if (strlen(ok[i]) == n && strncasecmp(ct, ok[i], n) == 0)
			return ok[i];
	return NULL;
}

static const char *
ext_of(const char *media)
{
	if (strcmp(media, "application/pdf") == 0)
		return "pdf";
	return strcmp(media, "image/png") == 0 ? "png" : "jpg";
}

void
http_material_add(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {"type", "filename", NULL};
	struct http_query q;
	struct egca_ctx ctx;
	struct egca_material_rec *m = NULL;
	struct egca_app_rec rec;
	const char *type = NULL, *media = NULL, *filename, *app = param(r, 0);
	char fname[96], id[33], loc[160], obj[96];
	size_t n = 0, i;
	json_t *j = NULL;
	enum egca_err e;

	if (!query_only(r, allowed, &q, out))
		;
	else if ((type = http_query_get(&q, "type")) == NULL)
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "type",
		    "type: required (id-card, business-licence, "
		    "authorisation, application-form, other)");
	else if ((media = media_of(r->content_type)) == NULL)
		http_problem(out, r, 415, "EGCA-UNSUPPORTED-MEDIA-TYPE", NULL,
		    "a material is application/pdf, image/jpeg or image/png");
	else if (r->body_len > EGCA_RA_MATERIAL_MAX)
		http_problem(out, r, 413, "EGCA-BODY-TOO-LARGE", NULL,
		    "a material is at most %u bytes", EGCA_RA_MATERIAL_MAX);
	if (out->status != 0) {
		refused(r, caller, "app.material",
		    object_of("app", r, obj, sizeof(obj)), out);
		return;
	}
	if ((filename = http_query_get(&q, "filename")) == NULL) {
		snprintf(fname, sizeof(fname), "%s.%s", type, ext_of(media));
		filename = fname;
	}
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	memset(&rec, 0, sizeof(rec));
	e = egca_ra_material_add(&ctx, caller->principal, app, type, media,
	    filename, r->body, r->body_len, id);
	if (e == EGCA_OK)
		e = egca_ra_material_list(&ctx, caller->principal, app, &m, &n);
	if (e == EGCA_OK)
		e = egca_ra_app_get(&ctx, caller->principal, app, &rec);
	http_ctx_close(r, &ctx);
	if (e != EGCA_OK) {
		egca_ra_material_list_free(m, n);
		fail(out, r, e, allowed);
		return;
	}
	for (i = 0; i < n && j == NULL; i++)
		if (strcmp(m[i].id, id) == 0)
			j = material_json(&m[i]);
	if (j != NULL)
		json_object_set_new(j, "digest", http_json_str(rec.digest));
	snprintf(
	    loc, sizeof(loc), "/api/v1/applications/%s/materials/%s", app, id);
	reply(out, 201, j, loc);
	egca_ra_material_list_free(m, n);
	egca_ra_app_rec_free(&rec);
}

void
http_material_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_material_rec *m = NULL;
	size_t n = 0, i;
	json_t *items;
	enum egca_err e;

	if (!open_plain(r, caller, &ctx, out))
		return;
	e = egca_ra_material_list(&ctx, caller->principal, param(r, 0), &m, &n);
	if (!closed_ok(r, &ctx, e, NULL, out))
		return;
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, material_json(&m[i]));
	egca_ra_material_list_free(m, n);
	reply(out, 200, json_pack("{s:o*}", "items", items), NULL);
}

/* The file name for Content-Disposition: ASCII, no quotes or slashes. */
static void
safe_name(const char *in, char *out, size_t out_len)
{
	size_t i, j = 0;
	char c;

	for (i = 0; in != NULL && in[i] != '\0' && j + 1 < out_len; i++) {
		c = in[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
			out[j++] = c;
		else if ((unsigned char)c < 0x80 || (c & 0xc0) == 0xc0)
			out[j++] = '_'; /* one per character */
	}
	out[j] = '\0';
	if (j == 0 || out[0] == '.')
		snprintf(out, out_len, "material");
}

void
http_material_get(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_material_rec meta;
	uint8_t *data = NULL;
	size_t len = 0;
	char name[80];
	enum egca_err e;

	if (!open_plain(r, caller, &ctx, out))
		return;
	memset(&meta, 0, sizeof(meta));
	e = egca_ra_material_get(&ctx, caller->principal, param(r, 0),
	    param(r, 1), &meta, &data, &len);
	if (!closed_ok(r, &ctx, e, NULL, out))
		return;
	safe_name(meta.filename, name, sizeof(name));
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_header_str(out, "X-Content-SM3", meta.sm3 ? meta.sm3 : "");
	http_resp_header(
	    out, "Content-Disposition", "attachment; filename=\"%s\"", name);
	/* media is one of three fixed strings: point at the constant. */
	http_resp_take(out, 200, media_of(meta.media), data, len);
	if (out->ctype == NULL)
		out->ctype = "application/octet-stream";
	/* meta is a record on the stack: free its strings. */
	free(meta.id);
	free(meta.app);
	free(meta.type);
	free(meta.media);
	free(meta.filename);
	free(meta.sm3);
	free(meta.added_by);
}

/*
 * GET /api/v1/applications/{id}/envelope?format=der|skf: the holder's
 * encryption private key, enveloped to its signing key (der: GM/T 0009
 * SM2EnvelopedKey, the default; skf: GM/T 0016 ENVELOPEDKEYBLOB).
 */
void
http_app_envelope(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {"format", NULL};
	struct http_query q;
	struct egca_ctx ctx;
	uint8_t *data = NULL;
	size_t len = 0;
	char enc_serial[41], obj[96];
	const char *fmt;
	int skf;
	enum egca_err e;

	if (!query_only(r, allowed, &q, out))
		return;
	fmt = http_query_get(&q, "format");
	if (fmt != NULL && strcmp(fmt, "der") != 0 && strcmp(fmt, "skf") != 0) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "format",
		    "format: der (GM/T 0009 SM2EnvelopedKey) or skf (GM/T "
		    "0016 ENVELOPEDKEYBLOB)");
		http_resp_header(out, "Cache-Control", "no-store");
		refused(r, caller, "app.envelope",
		    object_of("app", r, obj, sizeof(obj)), out);
		return;
	}
	skf = fmt != NULL && strcmp(fmt, "skf") == 0;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_ra_app_envelope(
	    &ctx, caller->principal, param(r, 0), skf, &data, &len, enc_serial);
	if (!closed_ok(r, &ctx, e, allowed, out))
		return;
	http_resp_header(out, "Cache-Control", "no-store");
	http_resp_header_str(out, "X-Encryption-Serial", enc_serial);
	http_resp_header(out, "Content-Disposition",
	    "attachment; filename=\"%s.%s\"", enc_serial, skf ? "skf" : "der");
	http_resp_take(out, 200, "application/octet-stream", data, len);
}

/* ---- approvals and execution ---- */

static const struct http_jfield approve_fields[] = {
    {"digest", HTTP_JSTR, HTTP_JREQUIRED, 128},
};
static const struct http_jfield reject_fields[] = {
    {"digest", HTTP_JSTR, HTTP_JREQUIRED, 128},
    {"reason", HTTP_JSTR, HTTP_JREQUIRED | HTTP_JMULTILINE, 2000},
};
static const char *const decide_names[] = {"digest", "reason", NULL};

/* {"ca", "serial", "href", "pem"} of a certificate (der may be NULL). */
static json_t *
cert_json(
    const char *ca, const char *serial, const uint8_t *der, size_t der_len)
{
	struct egca_buf pem;
	char href[160];
	json_t *c;

	snprintf(href, sizeof(href), "/api/v1/certificates/%s/%s", ca ? ca : "",
	    serial);
	c = json_pack("{s:o, s:s, s:s}", "ca", http_json_str(ca), "serial",
	    serial, "href", href);
	if (c != NULL && der != NULL) {
		egca_buf_init(&pem, 1 << 20);
		if (egca_pki_pem_encode(der, der_len, "CERTIFICATE", &pem) ==
		    EGCA_OK)
			json_object_set_new(c, "pem",
			    json_stringn((const char *)pem.data, pem.len));
		egca_buf_free(&pem);
	}
	return c;
}

/* Base64 text of a small binary (an envelope, an SKF blob). */
static json_t *
b64_json(const uint8_t *b, size_t len)
{
	char *t;
	json_t *j;

	if (len > 65536 || (t = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return json_null();
	http_b64_encode(b, len, t);
	j = json_string(t);
	free(t);
	return j;
}

/*
 * {id, state, approvals, required, certificate?, revocation_code?,
 * encryption_certificate?, envelope?, envelope_skf?, superseded?} after
 * an approval or an execution.
 */
static void
result_reply(struct http_req *r, const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *id,
    const struct egca_app_result *res, struct http_resp *out)
{
	struct egca_app_rec rec;
	const char *ca;
	json_t *j;
	enum egca_err e;

	memset(&rec, 0, sizeof(rec));
	if ((e = egca_ra_app_get(ctx, p, id, &rec)) != EGCA_OK) {
		fail(out, r, e, NULL);
		return;
	}
	ca = app_ca(r, &rec);
	j = json_pack("{s:s, s:s, s:i, s:i, s:o}", "id", rec.id, "state",
	    rec.state ? rec.state : "", "approvals", rec.approvals, "required",
	    rec.required_approvals, "digest", http_json_str(rec.digest));
	if (j != NULL && res->serial[0] != '\0')
		json_object_set_new(j, "certificate",
		    cert_json(ca, res->serial, res->der, res->der_len));
	if (j != NULL && res->enc_serial[0] != '\0')
		json_object_set_new(j, "encryption_certificate",
		    cert_json(
		        ca, res->enc_serial, res->enc_der, res->enc_der_len));
	if (j != NULL && res->envelope != NULL)
		json_object_set_new(
		    j, "envelope", b64_json(res->envelope, res->envelope_len));
	if (j != NULL && res->skf != NULL)
		json_object_set_new(
		    j, "envelope_skf", b64_json(res->skf, res->skf_len));
	if (j != NULL && res->superseded[0] != '\0')
		json_object_set_new(
		    j, "superseded", json_string(res->superseded));
	if (j != NULL && res->revocation_code[0] != '\0')
		json_object_set_new(
		    j, "revocation_code", json_string(res->revocation_code));
	if (j != NULL && rec.result_error != NULL)
		json_object_set_new(j, "error", json_string(rec.result_error));
	reply(out, 200, j, NULL);
	egca_ra_app_rec_free(&rec);
}

void
http_app_approve(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_ra_env env;
	struct egca_app_result res;
	json_t *doc;
	enum egca_err e;

	if (!open_body(r, caller, approve_fields, 1, "app.approve", "app", &doc,
	        &ctx, out))
		return;
	env_init(r, &env);
	memset(&res, 0, sizeof(res));
	e = egca_ra_app_approve(&ctx, caller->principal, &env, param(r, 0),
	    http_jstr(doc, "digest"), &res);
	if (e == EGCA_OK)
		result_reply(
		    r, &ctx, caller->principal, param(r, 0), &res, out);
	else
		fail(out, r, e, decide_names);
	http_ctx_close(r, &ctx);
	egca_ra_app_result_free(&res);
	json_decref(doc);
}

void
http_app_reject(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_app_rec rec;
	json_t *doc;
	enum egca_err e;

	if (!open_body(r, caller, reject_fields, 2, "app.reject", "app", &doc,
	        &ctx, out))
		return;
	memset(&rec, 0, sizeof(rec));
	e = egca_ra_app_reject(&ctx, caller->principal, param(r, 0),
	    http_jstr(doc, "digest"), http_jstr(doc, "reason"));
	if (e == EGCA_OK)
		e = egca_ra_app_get(&ctx, caller->principal, param(r, 0), &rec);
	json_decref(doc);
	if (!closed_ok(r, &ctx, e, decide_names, out))
		return;
	reply(out, 200, app_json(r, &rec), NULL);
	egca_ra_app_rec_free(&rec);
}

void
http_app_execute(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_ra_env env;
	struct egca_app_result res;
	json_t *doc;
	enum egca_err e;

	if (!body_only(r, caller, NULL, 0, "app.execute", "app", &doc, out))
		return;
	json_decref(doc);
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	env_init(r, &env);
	memset(&res, 0, sizeof(res));
	e = egca_ra_app_execute(
	    &ctx, caller->principal, &env, param(r, 0), &res);
	if (e == EGCA_OK)
		result_reply(
		    r, &ctx, caller->principal, param(r, 0), &res, out);
	else
		fail(out, r, e, NULL);
	http_ctx_close(r, &ctx);
	egca_ra_app_result_free(&res);
}

/* ---- loss reports ---- */

static const struct http_jfield loss_fields[] = {
    {"ca", HTTP_JSTR, 0, 63},
    {"serial", HTTP_JSTR, HTTP_JREQUIRED, 64},
    {"revocation_code", HTTP_JSTR, 0, 128},
    {"signature", HTTP_JSTR, 0, (SIG_MAX / 3 + 1) * 4},
    {"time", HTTP_JINT, 0, 0},
    {"statement", HTTP_JSTR, HTTP_JMULTILINE, 2000},
};
static const char *const loss_names[] = {
    "ca", "serial", "revocation_code", "signature", "time", "statement", NULL};

static json_t *
loss_json(const struct egca_loss_rec *l)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(l->id));
	json_object_set_new(o, "ca", http_json_str(l->ca));
	json_object_set_new(o, "serial", http_json_str(l->serial));
	json_object_set_new(o, "state", http_json_str(l->state));
	json_object_set_new(o, "method", http_json_str(l->method));
	json_object_set_new(o, "statement", http_json_str(l->statement));
	json_object_set_new(o, "source", http_json_str(l->source));
	json_object_set_new(o, "reported_at", http_json_time(l->reported_at));
	json_object_set_new(o, "confirmed_by", http_json_str(l->confirmed_by));
	json_object_set_new(o, "confirmed_at", http_json_time(l->confirmed_at));
	return o;
}

void
http_loss_report(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_ra_env env;
	struct egca_loss_report in;
	uint8_t sig[SIG_MAX];
	char serial[41], report[33];
	const char *code, *sig_b64;
	size_t sig_len = 0;
	json_t *doc;
	enum egca_err e = EGCA_OK;

	if (!body_only(r, caller, loss_fields,
	        sizeof(loss_fields) / sizeof(loss_fields[0]), "loss.report",
	        NULL, &doc, out))
		return;
	memset(&in, 0, sizeof(in));
	code = http_jstr(doc, "revocation_code");
	sig_b64 = http_jstr(doc, "signature");
	if (egca_ca_serial_parse(http_jstr(doc, "serial"), serial) != EGCA_OK)
		e = egca_err_set(
		    EGCA_ERR_INPUT, "serial: %s", egca_err_detail());
	else if ((code == NULL) == (sig_b64 == NULL))
		e = egca_err_set(EGCA_ERR_INPUT,
		    "revocation_code: give the revocation code or a "
		    "signature, one of them");
	else if (sig_b64 != NULL && json_object_get(doc, "time") == NULL)
		e = egca_err_set(EGCA_ERR_INPUT,
		    "time: required with a signature (Unix seconds signed)");
	else if (sig_b64 != NULL &&
	    http_b64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig),
	        &sig_len) != EGCA_OK)
		e = egca_err_set(EGCA_ERR_INPUT,
		    "signature: not base64 of at most %d bytes", SIG_MAX);
	if (e != EGCA_OK) {
		fail(out, r, e, loss_names);
		refused(r, caller, "loss.report", NULL, out);
		json_decref(doc);
		return;
	}
	in.ca = http_jstr(doc, "ca");
	in.serial = serial;
	in.code = code;
	in.sig = sig_b64 != NULL ? sig : NULL;
	in.sig_len = sig_len;
	in.time = http_jint(doc, "time", 0);
	in.statement = http_jstr(doc, "statement");
	in.source = r->source;
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK) {
		json_decref(doc);
		return;
	}
	env_init(r, &env);
	e = egca_ra_loss_report(&ctx, &env, &in, report);
	/* Never a hint about the code or signature that failed. */
	if (closed_ok(r, &ctx, e, loss_names, out))
		reply(out, 202,
		    json_pack("{s:s, s:s, s:s, s:s}", "report", report, "state",
		        "held", "ca", in.ca ? in.ca : r->app->cfg->default_ca,
		        "serial", serial),
		    NULL);
	json_decref(doc); /* in.ca is doc's */
}

void
http_loss_list(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	static const char *const allowed[] = {"state", "limit", NULL};
	struct http_query q;
	struct egca_ctx ctx;
	struct egca_loss_rec *l = NULL;
	size_t n = 0, i;
	int64_t limit = LOSS_LIMIT_DEFAULT;
	const char *s;
	json_t *items;
	enum egca_err e;

	if (!query_only(r, allowed, &q, out))
		return;
	if ((s = http_query_get(&q, "limit")) != NULL &&
	    http_parse_int(s, 1, PER_PAGE_MAX, &limit) != EGCA_OK) {
		http_problem(out, r, 400, "EGCA-BAD-PARAM", "limit",
		    "limit: an integer 1..%d", PER_PAGE_MAX);
		return;
	}
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	e = egca_ra_loss_list(&ctx, caller->principal,
	    http_query_get(&q, "state"), (size_t)limit, &l, &n);
	if (!closed_ok(r, &ctx, e, allowed, out))
		return;
	items = json_array();
	for (i = 0; i < n && items != NULL; i++)
		json_array_append_new(items, loss_json(&l[i]));
	egca_ra_loss_list_free(l, n);
	reply(out, 200, json_pack("{s:o*}", "items", items), NULL);
}

void
http_loss_confirm(struct http_req *r, const struct egca_http_caller *caller,
    struct http_resp *out)
{
	struct egca_ctx ctx;
	struct egca_ra_env env;
	json_t *doc;
	enum egca_err e;

	if (!body_only(r, caller, NULL, 0, "loss.confirm", "loss", &doc, out))
		return;
	json_decref(doc);
	if (http_ctx_open(r, caller, &ctx, out) != EGCA_OK)
		return;
	env_init(r, &env);
	e = egca_ra_loss_confirm(&ctx, caller->principal, &env, param(r, 0));
	if (!closed_ok(r, &ctx, e, NULL, out))
		return;
	reply(out, 200,
	    json_pack("{s:s, s:s}", "id", param(r, 0), "state", "confirmed"),
	    NULL);
}
