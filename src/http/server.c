/*
 * The libmicrohttpd daemon: limits, per-request records, dispatch to the
 * route table, suspension to the worker pool, the access log and
 * shutdown.
 *
 * Limits: a connection limit, a per-IP limit, an idle timeout (a client
 * that sends nothing is dropped and never holds a thread: MHD polls with
 * epoll), a per-connection memory pool that bounds the request line and
 * headers (MHD answers 431 beyond it), strict HTTP parsing
 * (MHD_OPTION_STRICT_FOR_CLIENT; 0.9.75 has no CLIENT_DISCIPLINE_LVL),
 * and a body limit checked against Content-Length before any body byte
 * is read (413). Bodies without a length are read into a bounded buffer.
 *
 * The raw request URI is taken from MHD's URI log callback, so paths and
 * query strings are decoded here, strictly, once.
 *
 * Before any body byte is read or any handler runs, every request is
 * authenticated and authorised (authenticate()): a bearer token, else
 * the egca_session cookie (with X-CSRF-Token for anything that changes
 * state), else a TLS client certificate (when serve trusts a client
 * CA), else the anonymous caller; then egca_authorize() with the
 * route's name as the action. Refusals are 401 or 403 and audited
 * ("auth.deny"); when the store cannot answer (the credential lookup or the
 * audit record) the answer is 503 and the handler never runs. Public routes
 * (OCSP, CRLs, the repository) called without credentials touch no store here.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "egca/crypto.h"
#include "egca/log.h"
#include "http/http_int.h"

#define URI_MAX 8192
/* URIs up to this long live in the connection record (no malloc). */
#define URI_INLINE 256
/* A body buffer grown beyond this is freed after its request. */
#define BODY_KEEP 4096
/* One access-log line: the path is cut at 512 bytes, 4 each escaped. */
#define LOG_LINE_MAX 4096
/* Longest Idempotency-Key accepted. */
#define IDEM_MAX 128
/* Longest credential looked at (tokens are 48 characters, ids 64). */
#define CRED_MAX 128

enum rstate {
	RS_NEW,    /* URI seen, handler not called yet */
	RS_BODY,   /* reading the body */
	RS_WORKER, /* suspended, a worker runs the handler */
	RS_DONE,   /* response ready (after a worker) */
	RS_QUEUED, /* response handed to MHD */
};

struct egca_http_server;

/* One per connection; holds the current request. */
struct conn {
	struct egca_http_server *srv;
	struct MHD_Connection *mc;
	char remote[INET6_ADDRSTRLEN + 8];
	/* the current request */
	int active;
	enum rstate state;
	char *uri; /* uri_buf, or malloc()ed when longer */
	char uri_buf[URI_INLINE];
	char method[8];
	char rid[32];
	char inm[256];
	char ctype[128];
	const struct http_route *route;
	size_t route_idx;
	struct egca_buf body;
	int too_large;
	uint64_t t0_us;
	struct http_req r;
	struct http_resp resp;
	unsigned status;
	size_t bytes;
	/* who is calling (authenticate): who is &caller or &anon_caller */
	const struct egca_http_caller *who;
	struct egca_principal prin;
	struct egca_http_caller caller;
	char roles[160];
	char idem[IDEM_MAX + 1];
	char cookie[CRED_MAX + 1];
};

struct egca_http_server {
	struct MHD_Daemon *d;
	struct http_app app;
	struct http_workers *workers;
	struct egca_http_config cfg;
	FILE *log;  /* NULL: no access log (also when it is /dev/null) */
	int log_fd; /* -1: a stream without a descriptor, written by stdio */
	pthread_mutex_t log_mu;
	char rid_prefix[9];
	atomic_uint_fast64_t rid_seq;
	atomic_int inflight;
	uint16_t port;
	int tls;       /* served over TLS */
	int client_ca; /* client certificates requested and checked */
	/* the policy rule of each route (NULL: none, denied), by index */
	const struct egca_policy_rule **rules;
};

/* Public requests without credentials: no per-request set-up at all. */
static const struct egca_principal anon_principal = {.actor = "anonymous"};
static const struct egca_http_caller anon_caller = {
    "anonymous", "", NULL, &anon_principal};

void
egca_http_config_default(struct egca_http_config *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	c->listen_addr = "127.0.0.1";
	c->port = 8080;
	c->threads = n > 0 && n < 256 ? (unsigned)n : 2;
	c->workers = c->threads;
	c->worker_queue = 256;
	c->connection_limit = 1024;
	c->per_ip_limit = 256;
	c->idle_timeout = 15;
	c->connection_memory = 32 * 1024;
	c->max_body = 64 * 1024;
	c->access_log = stderr;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Forgets the current request (response, body, handler state). */
static void
req_reset(struct conn *c)
{
	if (c->r.state_free != NULL)
		c->r.state_free(c->r.state);
	http_resp_clear(&c->resp);
	/* Bodies may hold passwords: wiped before the buffer is reused. */
	if (c->body.len > 0)
		OPENSSL_cleanse(c->body.data, c->body.len);
	/* The body buffer is kept for the connection's next request. */
	if (c->body.cap > BODY_KEEP)
		egca_buf_free(&c->body);
	c->body.len = 0;
	if (c->uri != c->uri_buf)
		free(c->uri);
	c->uri = NULL;
	c->active = 0;
	memset(&c->r, 0, sizeof(c->r));
	if (c->cookie[0] != '\0')
		OPENSSL_cleanse(c->cookie, sizeof(c->cookie));
}

/* Bounded appends to a log line on the stack. */
struct line {
	char *p;
	size_t len, max;
};

static void
line_put(struct line *l, const char *s, size_t n)
{
	if (n > l->max - l->len)
		n = l->max - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void
line_str(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

static void
line_u64(struct line *l, uint64_t v)
{
	char t[20];
	size_t n = sizeof(t);

	do {
		t[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	line_put(l, t + n, sizeof(t) - n);
}

static void
line_2(struct line *l, unsigned v, char sep)
{
	char t[3] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10), sep};

	line_put(l, t, sep ? 3 : 2);
}

/* Appends s to the log line, quoted, escaping anything not printable. */
static void
log_quoted(struct line *l, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	unsigned char ch;
	char esc[4] = {'\\', 'x', 0, 0};

	line_put(l, "\"", 1);
	for (i = 0; s != NULL && s[i] != '\0' && i < max; i++) {
		ch = (unsigned char)s[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 15];
			line_put(l, esc, 4);
		} else {
			line_put(l, (const char *)&ch, 1);
		}
	}
	line_put(l, "\"", 1);
}

/*
 * One line, formatted on the stack without stdio and written with one
 * write(2) (O_APPEND files and pipes keep whole lines apart); only when
 * there is an access log.
 */
static void
access_log(struct egca_http_server *s, struct conn *c, uint64_t dur)
{
	char buf[LOG_LINE_MAX];
	struct line l = {buf, 0, sizeof(buf) - 1};
	struct timespec ts;
	struct tm tm;
	ssize_t w;
	size_t off;

	if (s->log == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* ts=%Y-%m-%dT%H:%M:%S.mmmZ */
	line_str(&l, "ts=");
	line_u64(&l, (uint64_t)tm.tm_year + 1900);
	line_put(&l, "-", 1);
	line_2(&l, (unsigned)tm.tm_mon + 1, '-');
	line_2(&l, (unsigned)tm.tm_mday, 'T');
	line_2(&l, (unsigned)tm.tm_hour, ':');
	line_2(&l, (unsigned)tm.tm_min, ':');
	line_2(&l, (unsigned)tm.tm_sec, '.');
	line_u64(&l, (uint64_t)(ts.tv_nsec / 100000000));
	line_2(&l, (unsigned)(ts.tv_nsec / 1000000 % 100), 'Z');
	line_str(&l, " level=info event=http rid=");
	line_str(&l, c->rid);
	line_str(&l, " remote=");
	line_str(&l, c->remote);
	line_str(&l, " method=");
	line_str(&l, c->method[0] ? c->method : "-");
	line_str(&l, " path=");
	log_quoted(&l, c->r.path ? c->r.path : c->uri, 512);
	line_str(&l, " route=");
	line_str(&l, c->route ? c->route->name : "-");
	line_str(&l, " status=");
	line_u64(&l, c->status);
	line_str(&l, " bytes=");
	line_u64(&l, c->bytes);
	line_str(&l, " duration_us=");
	line_u64(&l, dur);
	buf[l.len++] = '\n';
	if (s->log_fd < 0) {
		pthread_mutex_lock(&s->log_mu);
		fwrite(buf, 1, l.len, s->log);
		fflush(s->log);
		pthread_mutex_unlock(&s->log_mu);
		return;
	}
	for (off = 0; off < l.len; off += (size_t)w)
		if ((w = write(s->log_fd, buf + off, l.len - off)) <= 0)
			break;
}

static void req_end(struct egca_http_server *s, struct conn *c, int ok);

/* MHD: a new connection, or one closed. Owns struct conn. */
static void
conn_notify(void *cls, struct MHD_Connection *mc, void **sctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct egca_http_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *c = *sctx;
	const struct sockaddr *sa;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return;
		c->srv = s;
		c->mc = mc;
		egca_buf_init(&c->body, s->cfg.max_body);
		strcpy(c->remote, "-");
		ci = MHD_get_connection_info(
		    mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && (sa = ci->client_addr) != NULL) {
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET,
				    &((const struct sockaddr_in *)(const void *)
				            sa)
				         ->sin_addr,
				    c->remote, sizeof(c->remote));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6,
				    &((const struct sockaddr_in6 *)(const void
				              *)sa)
				         ->sin6_addr,
				    c->remote, sizeof(c->remote));
		}
		*sctx = c;
		return;
	}
	if (c != NULL) {
		req_end(s, c, 0);
		req_reset(c);
		egca_buf_free(&c->body);
		free(c);
		*sctx = NULL;
	}
}

/* "<prefix>-<seq in hex>" without printf. */
static void
rid_format(char rid[32], const char prefix[9], uint64_t seq)
{
	static const char hex[] = "0123456789abcdef";
	char t[16];
	size_t n = sizeof(t), p = strlen(prefix);

	do {
		t[--n] = hex[seq & 15];
		seq >>= 4;
	} while (seq != 0);
	memcpy(rid, prefix, p);
	rid[p] = '-';
	memcpy(rid + p + 1, t + n, sizeof(t) - n);
	rid[p + 1 + sizeof(t) - n] = '\0';
}

/* MHD: the raw request URI, before parsing; starts a request. */
static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct egca_http_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *c;
	size_t n;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (c = ci->socket_context) == NULL)
		return NULL;
	req_end(s, c, 0);
	req_reset(c);
	c->active = 1;
	c->state = RS_NEW;
	c->t0_us = now_us();
	c->status = 0;
	c->bytes = 0;
	c->route = NULL;
	c->route_idx = http_nroutes;
	c->method[0] = '\0';
	c->too_large = 0;
	rid_format(
	    c->rid, s->rid_prefix, (uint64_t)atomic_fetch_add(&s->rid_seq, 1));
	n = strnlen(uri, URI_MAX + 1);
	c->uri = n < sizeof(c->uri_buf) ? c->uri_buf : malloc(n + 1);
	if (c->uri != NULL) {
		memcpy(c->uri, uri, n);
		c->uri[n] = '\0';
	}
	atomic_fetch_add(&s->inflight, 1);
	http_metrics_inflight(s->app.metrics, 1);
	return c;
}

/*
 * Ends the current request of c: metrics, access log, counters. A
 * request MHD refused itself (431, 400 on a malformed header) never
 * reaches the access handler: it ends here with status 0 in the log.
 */
static void
req_end(struct egca_http_server *s, struct conn *c, int ok)
{
	uint64_t dur;

	if (!c->active)
		return;
	dur = now_us() - c->t0_us;
	if (!ok && c->status == 0)
		c->status = 499; /* connection closed before an answer */
	http_metrics_request(s->app.metrics, c->route_idx, c->status, dur);
	access_log(s, c, dur);
	req_reset(c);
	atomic_fetch_sub(&s->inflight, 1);
	http_metrics_inflight(s->app.metrics, -1);
}

/* MHD: the request is over (sent, or the connection failed). */
static void
completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)mc;
	if (c == NULL)
		return;
	req_end(cls, c, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	*con_cls = NULL;
}

static void
free_cb(void *p)
{
	free(p);
}

static enum MHD_Result
queue(struct conn *c, struct MHD_Connection *mc)
{
	struct http_resp *o = &c->resp;
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t i;

	if (o->release != NULL)
		mr = MHD_create_response_from_buffer_with_free_callback_cls(
		    o->len, o->body, o->release, o->release_arg);
	else if (o->body != NULL)
		mr = MHD_create_response_from_buffer_with_free_callback(
		    o->len, o->body, free_cb);
	else
		mr = MHD_create_response_from_buffer(
		    0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
	if (mr == NULL)
		return MHD_NO; /* req_reset frees the body */
	/* MHD owns the body now. */
	o->body = NULL;
	o->release = NULL;
	if (o->ctype != NULL && o->status != 304)
		MHD_add_response_header(
		    mr, MHD_HTTP_HEADER_CONTENT_TYPE, o->ctype);
	for (i = 0; i < o->nhdr; i++)
		MHD_add_response_header(mr, o->hdr[i].name, o->hdr[i].value);
	MHD_add_response_header(mr, "X-Request-Id", c->rid);
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	c->status = o->status;
	c->bytes =
	    o->status == 304 || strcmp(c->method, "HEAD") == 0 ? 0 : o->len;
	ret = MHD_queue_response(mc, o->status, mr);
	MHD_destroy_response(mr);
	c->state = RS_QUEUED;
	return ret;
}

static enum MHD_Result
problem_now(struct conn *c, struct MHD_Connection *mc, unsigned status,
    const char *code, const char *msg)
{
	http_resp_clear(&c->resp);
	http_problem(&c->resp, &c->r, status, code, NULL, "%s", msg);
	if (status == 405 || status == 413)
		http_resp_header(&c->resp, "Connection", "close");
	return queue(c, mc);
}

/* 1 when s is printable ASCII (header values kept for handlers). */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* The egca_session cookies of a request (MHD parses Cookie). */
struct cookies {
	const char *value;
	unsigned n;
};

static enum MHD_Result
cookie_it(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct cookies *k = cls;

	(void)kind;
	if (key != NULL && strcmp(key, "egca_session") == 0) {
		k->value = value;
		k->n++;
	}
	return MHD_YES;
}

const char *
http_caller_department(const struct egca_http_caller *caller)
{
	const struct egca_principal *p = caller->principal;

	if (p == NULL || p->roles != EGCA_ROLE_DEPT_VIEWER)
		return NULL;
	return p->department;
}

/* The caller record handlers see, from c->prin. */
static void
caller_fill(struct conn *c)
{
	egca_role_format(c->prin.roles, c->roles, sizeof(c->roles));
	c->caller.id = c->prin.actor;
	c->caller.role = c->roles;
	c->caller.scope_region = NULL;
	c->caller.principal = &c->prin;
}

/*
 * The SHA-256 (hex) of the client's TLS certificate, verified against
 * the trusted client CAs: 1 with hex set, 0 when the client sent none,
 * -1 when it sent one that does not verify.
 */
static int
client_cert(struct MHD_Connection *mc, char hex[65])
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	gnutls_session_t ts;
	unsigned n = 0, st = 0;
	uint8_t h[32];

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return 0;
	ts = (gnutls_session_t)ci->tls_session;
	if ((peers = gnutls_certificate_get_peers(ts, &n)) == NULL || n == 0)
		return 0;
	/* Chain, validity and signature against MHD_OPTION_HTTPS_MEM_TRUST. */
	if (gnutls_certificate_verify_peers2(ts, &st) != GNUTLS_E_SUCCESS ||
	    st != 0)
		return -1;
	if (egca_crypto_sha256(peers[0].data, peers[0].size, h) != EGCA_OK)
		return -1;
	egca_hex_encode(h, sizeof(h), hex);
	return 1;
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *
bearer(const char *v)
{
	if (strncasecmp(v, "Bearer ", 7) != 0)
		return NULL;
	v += 7;
	while (*v == ' ')
		v++;
	if (*v == '\0' || strlen(v) > CRED_MAX || !printable(v) ||
	    strchr(v, ' ') != NULL)
		return NULL;
	return v;
}

/* A refusal: the problem answered and the audit record. */
struct deny {
	unsigned status; /* 401, 403 */
	const char *code;
	const char *msg;    /* for the client */
	const char *reason; /* for the audit record */
};

/*
 * Who is calling, and whether the route's action is allowed for them
 * (see the file comment). Returns 0 to go on to the handler, 1 when
 * c->resp holds the answer (401, 403, 503).
 */
static int
authenticate(
    struct egca_http_server *s, struct conn *c, struct MHD_Connection *mc)
{
	const char *name = c->route->name, *authz, *csrf, *token = NULL;
	const struct egca_policy_rule *rule = s->rules[c->route_idx];
	int pub = rule != NULL && (rule->flags & EGCA_POLICY_PUBLIC) != 0;
	int changes, cert = 0;
	struct cookies ck = {NULL, 0};
	struct egca_store *st = NULL;
	struct egca_ctx ctx;
	struct deny d = {0, NULL, NULL, NULL};
	char hex[65], reason[300], why[200];
	enum egca_err e = EGCA_OK;

	c->who = &anon_caller;
	authz = MHD_lookup_connection_value(
	    mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	MHD_get_connection_values(mc, MHD_COOKIE_KIND, cookie_it, &ck);
	if (ck.n == 1 && ck.value != NULL && strlen(ck.value) <= CRED_MAX &&
	    printable(ck.value)) {
		strcpy(c->cookie, ck.value);
		c->r.session_cookie = c->cookie;
	}
	/* Logging in: the old cookie is only ended (no fixation). */
	if (strcmp(name, "session_login") == 0)
		return 0;
	if (authz != NULL) {
		if ((token = bearer(authz)) == NULL)
			d = (struct deny){401, "EGCA-UNAUTHENTICATED",
			    "Authorization: expected Bearer <token>",
			    "malformed Authorization header"};
	} else if (ck.n > 0) {
		if (c->r.session_cookie == NULL && !pub)
			d = (struct deny){401, "EGCA-UNAUTHENTICATED",
			    "bad session cookie", "malformed session cookie"};
	} else if (s->client_ca && !pub) {
		/* Public routes never cost a certificate lookup. */
		if ((cert = client_cert(mc, hex)) < 0)
			d = (struct deny){401, "EGCA-UNAUTHENTICATED",
			    "client certificate not trusted",
			    "client certificate does not verify"};
	}
	if (d.status == 0 && token == NULL && c->r.session_cookie == NULL &&
	    cert <= 0 && pub)
		return 0; /* anonymous on a public route: no store */

	egca_principal_anonymous(&c->prin);
	if ((e = egca_store_pool_get(s->app.pool, &st)) != EGCA_OK)
		goto unavailable;
	ctx = (struct egca_ctx){s->app.cfg, st, "anonymous"};
	if (d.status != 0)
		goto denied;
	if (token != NULL) {
		e = egca_auth_token_check(&ctx, token, c->r.now, &c->prin);
		if (e == EGCA_ERR_AUTH || e == EGCA_ERR_INPUT)
			d = (struct deny){401, "EGCA-UNAUTHENTICATED",
			    "unknown, expired or revoked token",
			    "bad bearer token"};
	} else if (c->r.session_cookie != NULL) {
		/* Anything but a read needs the CSRF token. */
		changes = (rule != NULL &&
		              (rule->flags & EGCA_POLICY_CHANGES) != 0) ||
		    (strcmp(c->method, "GET") != 0 &&
		        strcmp(c->method, "HEAD") != 0);
		csrf = MHD_lookup_connection_value(
		    mc, MHD_HEADER_KIND, "X-CSRF-Token");
		e = egca_auth_session_check(&ctx, c->r.session_cookie, csrf,
		    changes, c->r.now, &c->prin);
		if ((e == EGCA_ERR_AUTH || e == EGCA_ERR_INPUT) && pub) {
			/* A stale cookie does not stop public reads. */
			egca_principal_anonymous(&c->prin);
			e = EGCA_OK;
		} else if (e == EGCA_ERR_AUTH || e == EGCA_ERR_INPUT) {
			d = (struct deny){401, "EGCA-UNAUTHENTICATED",
			    "session unknown, expired or idle; log in again",
			    "bad or expired session"};
		} else if (e == EGCA_ERR_POLICY) {
			d = (struct deny){403, "EGCA-CSRF",
			    "X-CSRF-Token missing or wrong",
			    "CSRF token missing or wrong"};
		}
	} else if (cert > 0) {
		e = egca_auth_cert_login(&ctx, hex, c->remote, &c->prin);
		if (e == EGCA_ERR_AUTH || e == EGCA_ERR_INPUT ||
		    e == EGCA_ERR_STATE)
			d = (struct deny){401, "EGCA-UNAUTHENTICATED",
			    "client certificate not accepted",
			    "client certificate not registered or "
			    "operator disabled"};
	}
	if (d.status != 0) {
		egca_principal_anonymous(&c->prin);
		goto denied;
	}
	if (e != EGCA_OK) /* the store failed: fail closed */
		goto unavailable;
	switch ((e = egca_authorize(&c->prin, name))) {
	case EGCA_OK:
		break;
	case EGCA_ERR_AUTH:
		d = (struct deny){401, "EGCA-UNAUTHENTICATED",
		    "authentication required", "no credentials"};
		break;
	default:
		/* The detail is copied: the audit write below resets it. */
		snprintf(why, sizeof(why), "%s", egca_err_detail());
		d = (struct deny){403, "EGCA-FORBIDDEN", why, why};
		break;
	}
	if (d.status != 0)
		goto denied;
	egca_store_pool_put(s->app.pool, st);
	caller_fill(c);
	c->who = &c->caller;
	return 0;

denied:
	/* "<reason> (from <address>)": the source goes into the record. */
	snprintf(
	    reason, sizeof(reason), "%.200s (from %s)", d.reason, c->remote);
	ctx.actor = c->prin.actor;
	if ((e = egca_auth_audit_denied(&ctx, &c->prin, name, reason)) !=
	    EGCA_OK)
		goto unavailable;
	egca_store_pool_put(s->app.pool, st);
	http_resp_clear(&c->resp);
	http_problem(&c->resp, &c->r, d.status, d.code, NULL, "%s", d.msg);
	if (d.status == 401)
		http_resp_header(&c->resp, "WWW-Authenticate", "%s",
		    token != NULL ? "Bearer error=\"invalid_token\""
		                  : "Bearer");
	return 1;

unavailable:
	egca_log_err("event=auth_unavailable rid=%s route=%s err=%s "
	             "detail=\"%s\"",
	    c->rid, name, egca_err_name(e), egca_err_detail());
	if (st != NULL)
		egca_store_pool_put(s->app.pool, st);
	http_resp_clear(&c->resp);
	http_problem(&c->resp, &c->r, 503, "EGCA-UNAVAILABLE", NULL,
	    "temporarily unavailable; retry later");
	http_resp_header(&c->resp, "Retry-After", "5");
	return 1;
}

static void
job(void *arg)
{
	struct conn *c = arg;

	c->r.on_worker = 1;
	c->resp.defer = 0;
	c->route->fn(&c->r, c->who, &c->resp);
	if (c->resp.defer || c->resp.status == 0) {
		http_resp_clear(&c->resp);
		http_problem(&c->resp, &c->r, 500, "EGCA-INTERNAL", NULL,
		    "no answer from the worker");
	}
	c->state = RS_DONE;
	MHD_resume_connection(c->mc);
}

static enum MHD_Result
dispatch(struct egca_http_server *s, struct conn *c, struct MHD_Connection *mc)
{
	c->r.body = c->body.data;
	c->r.body_len = c->body.len;
	c->r.now = (int64_t)time(NULL);
	if (!c->route->worker) {
		c->route->fn(&c->r, c->who, &c->resp);
		if (!c->resp.defer) {
			if (c->resp.status == 0)
				http_problem(&c->resp, &c->r, 500,
				    "EGCA-INTERNAL", NULL, "no answer");
			return queue(c, mc);
		}
	}
	c->state = RS_WORKER;
	MHD_suspend_connection(mc);
	if (http_workers_submit(s->workers, job, c) != EGCA_OK) {
		MHD_resume_connection(mc);
		http_resp_clear(&c->resp);
		http_problem(&c->resp, &c->r, 503, "EGCA-UNAVAILABLE", NULL,
		    "all workers busy; retry later");
		http_resp_header(&c->resp, "Retry-After", "1");
		c->state = RS_DONE;
	}
	return MHD_YES;
}

static enum MHD_Result
start_request(struct egca_http_server *s, struct conn *c,
    struct MHD_Connection *mc, const char *method)
{
	const char *v, *allow;
	char *q;
	unsigned status;
	unsigned long long cl;
	size_t limit;
	char *end;
	size_t n;

	n = strnlen(method, sizeof(c->method) - 1);
	memcpy(c->method, method, n);
	c->method[n] = '\0';
	c->r.app = &s->app;
	c->r.method = c->method;
	c->r.rid = c->rid;
	c->r.source = c->remote;
	c->r.tls = s->tls;
	if (c->uri == NULL)
		return MHD_NO;
	if (strlen(c->uri) > URI_MAX)
		return problem_now(
		    c, mc, 414, "EGCA-URI-TOO-LONG", "request target too long");
	if ((q = strchr(c->uri, '?')) != NULL) {
		*q = '\0';
		c->r.query = q + 1;
	}
	/* Fragments never reach a server; '#' in a target is malformed. */
	if (c->uri[0] != '/' || strchr(c->uri, '#') != NULL ||
	    !http_utf8_valid(c->uri, strlen(c->uri)))
		return problem_now(
		    c, mc, 400, "EGCA-BAD-REQUEST", "malformed request target");
	c->r.path = c->uri;
	c->route = http_route_match(method, c->uri, &c->r, &status, &allow);
	if (c->route == NULL) {
		http_resp_clear(&c->resp);
		if (status == 405) {
			http_problem(&c->resp, &c->r, 405,
			    "EGCA-METHOD-NOT-ALLOWED", NULL,
			    "%s is not allowed here", c->method);
			http_resp_header(&c->resp, "Allow", "%s", allow);
		} else {
			http_problem(&c->resp, &c->r, 404, "EGCA-NOT-FOUND",
			    NULL, "no such resource");
		}
		return queue(c, mc);
	}
	c->route_idx = (size_t)(c->route - http_routes);
	/* Refuse an oversized body before reading any of it. */
	limit = c->route->max_body ? c->route->max_body : s->cfg.max_body;
	c->body.max = limit;
	v = MHD_lookup_connection_value(
	    mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v != NULL) {
		cl = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0')
			return problem_now(c, mc, 400, "EGCA-BAD-REQUEST",
			    "bad Content-Length");
		if (cl > limit)
			return problem_now(c, mc, 413, "EGCA-BODY-TOO-LARGE",
			    "request body too large");
	}
	if ((v = MHD_lookup_connection_value(
	         mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH)) != NULL &&
	    strlen(v) < sizeof(c->inm)) {
		strcpy(c->inm, v);
		c->r.if_none_match = c->inm;
	}
	if ((v = MHD_lookup_connection_value(
	         mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)) != NULL &&
	    strlen(v) < sizeof(c->ctype)) {
		strcpy(c->ctype, v);
		c->r.content_type = c->ctype;
	}
	if ((v = MHD_lookup_connection_value(
	         mc, MHD_HEADER_KIND, "Idempotency-Key")) != NULL) {
		n = strlen(v);
		if (n == 0 || n > IDEM_MAX || !printable(v))
			return problem_now(c, mc, 400, "EGCA-BAD-REQUEST",
			    "Idempotency-Key: 1 to 128 printable characters");
		memcpy(c->idem, v, n + 1);
		c->r.idem_key = c->idem;
	}
	/*
	 * Who is calling, before any body byte is read: a refused caller
	 * makes the server buffer nothing (the connection then closes, as
	 * its body is left unread).
	 */
	c->r.now = (int64_t)time(NULL);
	if (authenticate(s, c, mc)) {
		if (strcmp(c->method, "GET") != 0 &&
		    strcmp(c->method, "HEAD") != 0)
			http_resp_header(&c->resp, "Connection", "close");
		return queue(c, mc);
	}
	c->state = RS_BODY;
	return MHD_YES;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct egca_http_server *s = cls;
	struct conn *c = *con_cls;

	(void)url;
	(void)version;
	if (c == NULL)
		return MHD_NO;
	switch (c->state) {
	case RS_NEW:
		return start_request(s, c, mc, method);
	case RS_BODY:
		if (*upload_data_size > 0) {
			if (!c->too_large &&
			    egca_buf_append(&c->body, upload_data,
			        *upload_data_size) != EGCA_OK)
				c->too_large = 1;
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (c->too_large)
			return problem_now(c, mc, 413, "EGCA-BODY-TOO-LARGE",
			    "request body too large");
		return dispatch(s, c, mc);
	case RS_DONE:
		return queue(c, mc);
	case RS_WORKER:
	case RS_QUEUED:
	default:
		/* MHD may call again after a response was queued. */
		*upload_data_size = 0;
		return MHD_YES;
	}
}

__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	egca_log_warn("event=mhd msg=\"%s\"", msg);
}

/* 1 when fd is /dev/null (the access log is then not formatted). */
static int
is_dev_null(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && S_ISCHR(a.st_mode) &&
	    stat("/dev/null", &b) == 0 && S_ISCHR(b.st_mode) &&
	    a.st_rdev == b.st_rdev;
}

enum egca_err
egca_http_start(const struct egca_http_config *cfg,
    const struct egca_config *conf, struct egca_status *status,
    struct egca_store_pool *pool, struct egca_http_server **out)
{
	struct egca_http_server *s;
	struct sockaddr_storage ss;
	struct MHD_OptionItem opt[24];
	const union MHD_DaemonInfo *di;
	unsigned flags;
	uint8_t rnd[4];
	size_t n = 0;
	enum egca_err e;

	*out = NULL;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, cfg->listen_addr,
	        &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, cfg->listen_addr,
	               &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(cfg->port);
	} else {
		return egca_err_set(EGCA_ERR_USAGE,
		    "listen address '%s' is not an IP address",
		    cfg->listen_addr);
	}
	if ((cfg->tls_cert_pem != NULL || cfg->tls_key_pem != NULL) &&
	    (cfg->tls_cert_pem == NULL || cfg->tls_key_pem == NULL))
		return egca_err_set(
		    EGCA_ERR_USAGE, "TLS needs both a certificate and a key");
	if (cfg->tls_client_ca_pem != NULL && cfg->tls_cert_pem == NULL)
		return egca_err_set(EGCA_ERR_USAGE,
		    "client certificates need TLS (a certificate and key)");
	if (cfg->tls_cert_pem != NULL &&
	    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return egca_err_set(
		    EGCA_ERR_USAGE, "this libmicrohttpd has no TLS support");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	s->cfg = *cfg;
	s->log = cfg->access_log;
	s->log_fd = -1;
	if (s->log != NULL && (s->log_fd = fileno(s->log)) >= 0 &&
	    is_dev_null(s->log_fd))
		s->log = NULL; /* nothing to format */
	pthread_mutex_init(&s->log_mu, NULL);
	s->app.cfg = conf;
	s->app.status = status;
	s->app.pool = pool;
	s->app.km = cfg->km;
	s->tls = cfg->tls_cert_pem != NULL;
	s->client_ca = cfg->tls_client_ca_pem != NULL;
	if ((e = egca_crypto_rand(rnd, sizeof(rnd))) != EGCA_OK)
		goto fail;
	egca_hex_encode(rnd, sizeof(rnd), s->rid_prefix);
	if ((s->rules = calloc(http_nroutes, sizeof(*s->rules))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (n = 0; n < http_nroutes; n++)
		s->rules[n] = egca_policy_find(http_routes[n].name);
	n = 0;
	if ((s->app.metrics = http_metrics_new()) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((e = http_workers_new(cfg->workers ? cfg->workers : 1,
	         cfg->worker_queue ? cfg->worker_queue : 256, &s->workers)) !=
	    EGCA_OK)
		goto fail;

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cfg->tls_cert_pem != NULL)
		flags |= MHD_USE_TLS;
#define OPT(o, v, p) opt[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
	OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
	OPT(MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 1, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, cfg->connection_limit, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory, NULL);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log, s);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, s);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)conn_notify, s);
	OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, s);
	if (cfg->tls_cert_pem != NULL) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0,
		    (void *)(uintptr_t)cfg->tls_cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0,
		    (void *)(uintptr_t)cfg->tls_key_pem);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t) "SECURE256:+SECURE128:-VERS-ALL:"
		                        "+VERS-TLS1.3:+VERS-TLS1.2");
	}
	if (cfg->tls_client_ca_pem != NULL)
		/* MHD then asks for (does not require) a certificate. */
		OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0,
		    (void *)(uintptr_t)cfg->tls_client_ca_pem);
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	s->d = MHD_start_daemon(flags, cfg->port, NULL, NULL, access_handler, s,
	    MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	if (s->d == NULL) {
		e = egca_err_set(EGCA_ERR_IO,
		    "cannot listen on %s port %u (in use, or TLS "
		    "certificate/key unusable)",
		    cfg->listen_addr, (unsigned)cfg->port);
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL ? di->port : cfg->port;
	*out = s;
	return EGCA_OK;
fail:
	http_workers_free(s->workers);
	http_metrics_free(s->app.metrics);
	free(s->rules);
	pthread_mutex_destroy(&s->log_mu);
	free(s);
	return e;
}

uint16_t
egca_http_port(const struct egca_http_server *s)
{
	return s->port;
}

void
egca_http_stop(struct egca_http_server *s, int drain_seconds)
{
	MHD_socket fd;
	uint64_t deadline;

	if (s == NULL)
		return;
	/* No new connections; requests already in flight go on. */
	fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	deadline = now_us() +
	    (uint64_t)(drain_seconds > 0 ? drain_seconds : 0) * 1000000u;
	while (atomic_load(&s->inflight) > 0 && now_us() < deadline)
		usleep(20000);
	if (atomic_load(&s->inflight) > 0)
		egca_log_warn("event=http_stop in_flight=%d "
		              "msg=\"stopping with requests unfinished\"",
		    atomic_load(&s->inflight));
	/* Jobs resume their connections: finish them before MHD stops. */
	http_workers_free(s->workers);
	MHD_stop_daemon(s->d);
	http_metrics_free(s->app.metrics);
	free(s->rules);
	pthread_mutex_destroy(&s->log_mu);
	free(s);
}
