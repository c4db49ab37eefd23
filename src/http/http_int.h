/*
 * http/ internals: the request and response records handlers work on
 * (no libmicrohttpd type appears here, so handlers are unit-testable),
 * the route table, metrics, workers, the query parser and decoders,
 * problem+json and the ZIP writer.
 */
#ifndef EGCA_HTTP_INT_H
#define EGCA_HTTP_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "egca/buf.h"
#include "egca/http.h"

/* Everything the handlers share (one per server). */
struct http_app {
	const struct egca_config *cfg;
	struct egca_status *status;
	struct egca_store_pool *pool;
	struct http_metrics *metrics;
	struct egca_km_client *km; /* NULL: no KM configured */
};

#define HTTP_MAX_HEADERS 8
#define HTTP_MAX_PARAMS 4

struct http_header {
	const char *name;
	char value[160];
};

struct http_resp {
	unsigned status; /* 0: not answered yet */
	const char *ctype;
	uint8_t *body; /* owned (free()) unless release is set */
	size_t len;
	/* body is borrowed; release(release_arg) once it was sent */
	void (*release)(void *);
	void *release_arg;
	struct http_header hdr[HTTP_MAX_HEADERS];
	size_t nhdr;
	int defer; /* run the handler again on a worker thread */
};

struct http_req {
	struct http_app *app;
	const char *method; /* "GET", "HEAD", "POST" */
	const char *path;   /* raw (still percent-encoded), no query */
	const char *query;  /* raw text after '?', or NULL */
	const char *rest;   /* raw path after the route's prefix */
	const uint8_t *body;
	size_t body_len;
	const char *if_none_match; /* header values or NULL */
	const char *content_type;
	const char *rid; /* request id */
	int64_t now;
	int on_worker; /* 1 when running on a worker thread */
	/* The '*' segments of the route's pattern, percent-decoded. */
	const char *param[HTTP_MAX_PARAMS];
	size_t nparam;
	char param_buf[256];
	const char *idem_key;       /* Idempotency-Key header, or NULL */
	const char *source;         /* the client's address ("127.0.0.1") */
	const char *session_cookie; /* the egca_session cookie, or NULL */
	int tls;                    /* 1: the request came over TLS */
	void *state; /* per-request handler state between the two runs */
	void (*state_free)(void *);
};

/*
 * The department a caller is confined to: its department when its only
 * role is dept-viewer ("" when it has none, which matches nothing),
 * NULL when the caller is not confined (src/http/server.c).
 */
const char *http_caller_department(const struct egca_http_caller *caller);

typedef void (*http_handler)(struct http_req *r,
    const struct egca_http_caller *caller, struct http_resp *out);

struct http_route {
	const char *name;   /* metrics label */
	const char *method; /* "GET" (HEAD implied) or "POST" */
	const char *path;   /* exact, or a prefix when it ends in '/' */
	http_handler fn;
	int worker; /* always run on a worker thread */
	/* Largest request body; 0: the server's (egca_http_config). */
	size_t max_body;
};

/* router.c */
extern const struct http_route http_routes[];
extern const size_t http_nroutes;
/*
 * The route for method and raw path: NULL and *status 404 or 405 (then
 * *allow names the allowed methods) when none.
 */
const struct http_route *http_route_find(const char *method, const char *path,
    const char **rest, unsigned *status, const char **allow);
/*
 * As http_route_find, filling r->rest and the '*' segments
 * (r->param[], r->nparam, r->param_buf) of the route found.
 */
const struct http_route *http_route_match(const char *method, const char *path,
    struct http_req *r, unsigned *status, const char **allow);

/* Response helpers (problem.c) */
void http_resp_clear(struct http_resp *out);
void http_resp_header(struct http_resp *out, const char *name, const char *fmt,
    ...) EGCA_PRINTF(3, 4);
/* value copied as it is (truncated to fit), no formatting. */
void http_resp_header_str(
    struct http_resp *out, const char *name, const char *value);
/* Takes body (free()) on success and failure. */
void http_resp_take(struct http_resp *out, unsigned status, const char *ctype,
    uint8_t *body, size_t len);
/* Copies text. */
void http_resp_text(struct http_resp *out, unsigned status, const char *ctype,
    const char *text, size_t len);
/* Serialises j (consumed) as application/json. */
void http_resp_json(struct http_resp *out, unsigned status, json_t *j);
/*
 * An RFC 9457 problem+json body with a stable code ("EGCA-BAD-PARAM")
 * and, for parameter errors, the parameter's name.
 */
void http_problem(struct http_resp *out, const struct http_req *r,
    unsigned status, const char *code, const char *param, const char *fmt, ...)
    EGCA_PRINTF(6, 7);
/* Maps a service error (the thread's detail) to a problem. */
void http_problem_err(
    struct http_resp *out, const struct http_req *r, enum egca_err e);
const char *http_status_text(unsigned status);
/* Cache headers for a signed object valid until next_update. */
void http_resp_cache(struct http_resp *out, int64_t now, int64_t this_update,
    int64_t next_update, const char *etag);
/* 1 when the If-None-Match header lists etag (or is "*"). */
int http_etag_match(const char *if_none_match, const char *etag);

/* Decoders (codec.c), strict; EGCA_ERR_INPUT on anything else. */
/* %XX only (no bare '%'), '+' as space when plus_space; NUL refused. */
EGCA_MUST_CHECK enum egca_err http_pct_decode(const char *in, size_t len,
    int plus_space, char *out, size_t out_max, size_t *out_len);
/* RFC 4648 base64: standard alphabet, padding required, zero pad bits. */
EGCA_MUST_CHECK enum egca_err http_b64_decode(
    const char *in, size_t len, uint8_t *out, size_t out_max, size_t *out_len);
void http_b64_encode(const uint8_t *in, size_t len, char *out);
int http_utf8_valid(const char *s, size_t len);
/* Splits raw path segments ("a/b") into decoded, NUL-terminated parts. */
EGCA_MUST_CHECK enum egca_err http_path_split(
    const char *raw, char *buf, size_t buf_len, char **seg, size_t *nseg);

/* Query strings (query.c). */
#define HTTP_QUERY_MAX_LEN 4096
#define HTTP_QUERY_MAX_PARAMS 32
#define HTTP_QUERY_MAX_VALUE 512

struct http_query {
	size_t n;
	const char *name[HTTP_QUERY_MAX_PARAMS];
	const char *value[HTTP_QUERY_MAX_PARAMS];
	char buf[HTTP_QUERY_MAX_LEN + HTTP_QUERY_MAX_PARAMS * 2];
};

/*
 * Parses raw (NULL: empty) into q. Every name must be in allowed
 * (NULL-terminated), at most once; names and values are percent-decoded
 * strictly and must be UTF-8 without control characters. On failure
 * EGCA_ERR_INPUT with the offending parameter's name in bad ("" when
 * none applies) and the reason in the thread's detail.
 */
EGCA_MUST_CHECK enum egca_err http_query_parse(const char *raw,
    const char *const *allowed, struct http_query *q, char *bad,
    size_t bad_len);
/* The value of name, or NULL. */
const char *http_query_get(const struct http_query *q, const char *name);
/* A decimal integer in [min, max]. */
EGCA_MUST_CHECK enum egca_err http_parse_int(
    const char *s, int64_t min, int64_t max, int64_t *out);
/*
 * "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC). A bare date as an upper
 * bound (upper 1) means the end of that day.
 */
EGCA_MUST_CHECK enum egca_err http_parse_date(
    const char *s, int upper, int64_t *out);

/* The certificate search parameters shared by certificates, downloads. */
extern const char *const http_search_params[];
struct egca_cert_query;
/*
 * Fills q from parsed parameters (strings borrowed from p, serial into
 * serial_buf); on a bad value answers out with a problem and returns
 * EGCA_ERR_INPUT. max_per_page caps per_page.
 */
EGCA_MUST_CHECK enum egca_err http_search_query(const struct http_req *r,
    const struct egca_http_caller *caller, const struct http_query *p,
    struct egca_cert_query *q, char serial_buf[41], size_t max_per_page,
    int64_t *page, int64_t *per_page, struct http_resp *out);
/* Parses the query with allowed, answering a problem on failure. */
EGCA_MUST_CHECK enum egca_err http_query_or_problem(const struct http_req *r,
    const char *const *allowed, struct http_query *q, struct http_resp *out);
/* "2026-11-25T10:00:00Z" */
void http_time_iso(int64_t t, char out[32]);

/*
 * Shared by the API handlers (handler.c). http_ctx_open: the caller's
 * service context on a store from the pool (release it with
 * http_ctx_close, which accepts a closed one); otherwise out holds the
 * problem (503).
 */
struct egca_ctx;
EGCA_MUST_CHECK enum egca_err http_ctx_open(struct http_req *r,
    const struct egca_http_caller *caller, struct egca_ctx *ctx,
    struct http_resp *out);
void http_ctx_close(struct http_req *r, struct egca_ctx *ctx);
/*
 * http_ctx_close, then after a service error e answers it
 * (http_problem_err) and returns 0; 1 when e is EGCA_OK.
 */
int http_ctx_done(struct http_req *r, struct egca_ctx *ctx, enum egca_err e,
    struct http_resp *out);
/* A body without members, or none (http_json_body with no fields). */
EGCA_MUST_CHECK enum egca_err http_json_empty(
    const struct http_req *r, struct http_resp *out);
/* JSON values (new references): s or null; s or null also for ""; */
json_t *http_json_str(const char *s);
json_t *http_json_text(const char *s);
/* the time in ISO 8601, null for 0; the role names of mask, an array. */
json_t *http_json_time(int64_t t);
json_t *http_json_roles(unsigned mask);
/*
 * The roles of member name (an array of role names, one per item) into
 * *mask; answers 400 naming the member when one is not a role or there
 * is none.
 */
EGCA_MUST_CHECK enum egca_err http_roles_of(const struct http_req *r,
    const json_t *doc, const char *name, unsigned *mask, struct http_resp *out);

/*
 * Strict JSON request bodies (json_body.c). A body is one object whose
 * members are listed in a table; every refusal is answered as a problem
 * naming the member in `param`:
 *   Content-Type other than application/json → 415;
 *   malformed JSON, duplicate member, not an object, nested deeper than
 *   8 → 400 EGCA-BAD-REQUEST;
 *   unknown member, wrong type, string too long or with control
 *   characters, required member missing → 400 EGCA-BAD-PARAM.
 * null counts as absent for optional members. An empty body is an empty
 * object (so bodiless POSTs work) unless a member is required.
 */
enum http_jtype {
	HTTP_JSTR = 1, /* string (UTF-8, no NUL) */
	HTTP_JINT,     /* integer (not a real) */
	HTTP_JBOOL,    /* true or false */
	HTTP_JSTRS,    /* array of 0..16 strings (max applies to each) */
};
#define HTTP_JREQUIRED 1u  /* must be present and not null */
#define HTTP_JMULTILINE 2u /* string may hold tab, CR, LF (PEM, notes) */

struct http_jfield {
	const char *name;
	enum http_jtype type;
	unsigned flags; /* HTTP_J* */
	size_t max;     /* strings: most bytes; 0: 4096 */
};

/*
 * Parses and checks r's body against fields. EGCA_OK with *doc (free
 * with json_decref); otherwise out holds the problem, *doc is NULL.
 */
EGCA_MUST_CHECK enum egca_err http_json_body(const struct http_req *r,
    const struct http_jfield *fields, size_t nfields, json_t **doc,
    struct http_resp *out);
/* Member values of a checked body: NULL / dflt when absent or null. */
const char *http_jstr(const json_t *doc, const char *name);
int64_t http_jint(const json_t *doc, const char *name, int64_t dflt);
int http_jbool(const json_t *doc, const char *name, int dflt);
/*
 * As http_problem_err, but an EGCA_ERR_INPUT whose detail starts with
 * one of names ("uscc: check character") becomes 400 EGCA-BAD-PARAM
 * with param set to that name. names is NULL-terminated.
 */
void http_problem_field(struct http_resp *out, const struct http_req *r,
    enum egca_err e, const char *const *names);

/* Metrics (metrics.c). */
struct http_metrics;
struct egca_ocsp_answer;
struct http_metrics *http_metrics_new(void);
void http_metrics_free(struct http_metrics *m);
/* route: index in http_routes, or http_nroutes for "none". */
void http_metrics_request(struct http_metrics *m, size_t route, unsigned status,
    uint64_t duration_us);
void http_metrics_ocsp(
    struct http_metrics *m, const struct egca_ocsp_answer *ans);
void http_metrics_inflight(struct http_metrics *m, int delta);

/* Worker pool (worker.c). */
struct http_workers;
typedef void (*http_job_fn)(void *arg);
EGCA_MUST_CHECK enum egca_err http_workers_new(
    unsigned threads, size_t queue_max, struct http_workers **out);
/* EGCA_ERR_NOMEM when the queue is full (the caller answers 503). */
EGCA_MUST_CHECK enum egca_err http_workers_submit(
    struct http_workers *w, http_job_fn fn, void *arg);
/* Runs the queued jobs, then joins the threads. Accepts NULL. */
void http_workers_free(struct http_workers *w);
size_t http_workers_queued(struct http_workers *w);

/* ZIP writer (zip.c): stored entries with CRC-32, no ZIP64. */
struct http_zip {
	struct egca_buf data; /* local headers + contents */
	struct egca_buf cd;   /* central directory */
	size_t n;
	uint16_t dos_time, dos_date;
	enum egca_err err; /* sticky */
};

void http_zip_init(struct http_zip *z, size_t max, int64_t mtime);
EGCA_MUST_CHECK enum egca_err http_zip_add(
    struct http_zip *z, const char *name, const void *data, size_t len);
/* The archive (free()); z is emptied. */
EGCA_MUST_CHECK enum egca_err http_zip_finish(
    struct http_zip *z, uint8_t **out, size_t *len);
void http_zip_free(struct http_zip *z);

/* Handlers (one file per resource). */
void http_ocsp_post(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_ocsp_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_crl_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_repo_ca(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_repo_cert(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_api_certs(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_api_cert(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_api_stats(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_api_download(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_openapi(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_healthz(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_metrics_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_session_login(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_session_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_session_logout(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_me_password(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_me_totp_enroll(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_me_totp_confirm(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_token_create(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_token_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_token_revoke(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_create(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_roles(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_disable(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_enable(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_unlock(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_operator_reset(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_point_create(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_point_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_point_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_point_region(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_subscriber_create(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_subscriber_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_subscriber_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_app_submit(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_app_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_app_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_material_add(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_material_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_material_get(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_app_approve(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_app_reject(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_app_envelope(struct http_req *r,
    const struct egca_http_caller *caller, struct http_resp *out);
void http_app_execute(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_loss_report(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_loss_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_loss_confirm(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_audit_list(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_audit_export(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);
void http_audit_verify(
    struct http_req *, const struct egca_http_caller *, struct http_resp *);

#endif
