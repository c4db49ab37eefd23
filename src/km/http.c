/*
 * egca km serve, CA-facing side: a small libmicrohttpd daemon (GnuTLS)
 * of its own, apart from `egca serve`, on its own port. One route:
 *
 *   POST /km/v1/request   body: DER CARequest  ->  200 DER KMRespond
 *                         (400 when the body does not parse, 413 when
 *                         longer than EGCA_KM_MSG_MAX)
 *
 * Mutual TLS: a client certificate is REQUIRED at the handshake (the
 * server's certificate is handed to GnuTLS from a retrieve callback
 * that also switches the session from MHD's "request" to "require"),
 * and verified against the client CA bundle before any request is read
 * (403 otherwise). The TLS identity is only the transport's: every
 * message is still checked against the KM's trust list and signature.
 *
 * One KM server per process (GnuTLS's retrieve callback has no user
 * pointer; the server's certificate lives in a file-static).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "egca/log.h"
#include "egca/pki.h"
#include "km/km_int.h"

#define MAX_CHAIN 8

struct egca_km_server {
	struct egca_km *km;
	struct MHD_Daemon *d;
	uint16_t port;
	gnutls_pcert_st pcert[MAX_CHAIN];
	unsigned npcert;
	gnutls_privkey_t key;
	struct km_admin *admin;
};

static pthread_mutex_t the_lock = PTHREAD_MUTEX_INITIALIZER;
static struct egca_km_server *the_server;

/* Per request: the body, bounded. */
struct req {
	struct egca_buf body;
	int too_big;
};

static int
cert_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct egca_km_server *s = the_server;

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (s == NULL)
		return -1;
	/* MHD asks for a client certificate; the KM requires one, and a
	 * chain to the client CA bundle. */
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_cert(session, NULL, 0);
	*pcert = s->pcert;
	*pcert_length = s->npcert;
	*pkey = s->key;
	return 0;
}

static enum MHD_Result
reply(struct MHD_Connection *mc, unsigned status, const char *type,
    const void *body, size_t len, int copy)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ok = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
text(struct MHD_Connection *mc, unsigned status, const char *msg)
{
	char buf[600];

	snprintf(buf, sizeof(buf), "%s\n", msg);
	return reply(
	    mc, status, "text/plain; charset=utf-8", buf, strlen(buf), 1);
}

/*
 * The verified client certificate as "tls:<subject> sha256:<hex16>";
 * 0 when there is none that verifies.
 */
static int
peer_of(struct MHD_Connection *mc, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	gnutls_session_t ts;
	struct egca_cert_info info;
	unsigned n = 0, st = 0;
	uint8_t h[32];
	char hex[65];

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return 0;
	ts = (gnutls_session_t)ci->tls_session;
	if ((peers = gnutls_certificate_get_peers(ts, &n)) == NULL || n == 0)
		return 0;
	if (gnutls_certificate_verify_peers2(ts, &st) != GNUTLS_E_SUCCESS ||
	    st != 0)
		return 0;
	if (egca_crypto_sha256(peers[0].data, peers[0].size, h) != EGCA_OK)
		return 0;
	egca_hex_encode(h, sizeof(h), hex);
	memset(&info, 0, sizeof(info));
	if (egca_pki_cert_info(peers[0].data, peers[0].size, &info) !=
	    EGCA_OK) {
		egca_err_clear();
		snprintf(out, len, "tls:sha256:%.16s", hex);
		return 1;
	}
	snprintf(out, len, "tls:%s sha256:%.16s", info.subject, hex);
	egca_pki_cert_info_free(&info);
	return 1;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **con_cls)
{
	struct egca_km_server *s = cls;
	struct req *r = *con_cls;
	const char *cl;
	char peer[400];
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	enum egca_err e;

	(void)version;
	if (r == NULL) {
		if (strcmp(url, "/km/v1/request") != 0)
			return text(mc, MHD_HTTP_NOT_FOUND, "not found");
		if (strcmp(method, "POST") != 0)
			return text(mc, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "only POST is allowed");
		if (!peer_of(mc, peer, sizeof(peer)))
			return text(mc, MHD_HTTP_FORBIDDEN,
			    "a verified client certificate is required");
		cl = MHD_lookup_connection_value(
		    mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > EGCA_KM_MSG_MAX)
			return text(mc, MHD_HTTP_CONTENT_TOO_LARGE,
			    "the request is longer than 256 KiB");
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		egca_buf_init(&r->body, EGCA_KM_MSG_MAX);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		if (!r->too_big &&
		    egca_buf_append(&r->body, upload, *upload_len) != EGCA_OK) {
			egca_err_clear();
			r->too_big = 1;
		}
		*upload_len = 0;
		return MHD_YES;
	}
	if (r->too_big)
		return text(mc, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the request is longer than 256 KiB");
	if (!peer_of(mc, peer, sizeof(peer)))
		return text(mc, MHD_HTTP_FORBIDDEN,
		    "a verified client certificate is required");
	e = egca_km_handle(s->km, r->body.data, r->body.len,
	    (int64_t)time(NULL), peer, &resp, &resp_len);
	if (e == EGCA_OK)
		return reply(mc, MHD_HTTP_OK, "application/octet-stream", resp,
		    resp_len, 0);
	egca_log_info("event=km_http status=%d peer=\"%s\" error=\"%s\"",
	    e == EGCA_ERR_INPUT ? 400 : 503, peer, egca_err_detail());
	return text(mc,
	    e == EGCA_ERR_INPUT ? MHD_HTTP_BAD_REQUEST
	                        : MHD_HTTP_SERVICE_UNAVAILABLE,
	    e == EGCA_ERR_INPUT ? egca_err_detail()
	                        : "the KM cannot answer now");
}

static void
completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)mc;
	(void)toe;
	if (r == NULL)
		return;
	egca_buf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	egca_log_warn("event=km_mhd msg=\"%s\"", msg);
}

/* The server's certificate chain and key for the retrieve callback. */
static enum egca_err
load_tls(struct egca_km_server *s, const char *cert_pem, const char *key_pem)
{
	gnutls_datum_t c = {
	    (unsigned char *)(uintptr_t)cert_pem, (unsigned)strlen(cert_pem)};
	gnutls_datum_t k = {
	    (unsigned char *)(uintptr_t)key_pem, (unsigned)strlen(key_pem)};
	unsigned n = MAX_CHAIN;
	int rc;

	if ((rc = gnutls_pcert_list_import_x509_raw(
	         s->pcert, &n, &c, GNUTLS_X509_FMT_PEM, 0)) < 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "--tls-cert: %s", gnutls_strerror(rc));
	s->npcert = n;
	if ((rc = gnutls_privkey_init(&s->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(
	         s->key, &k, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "--tls-key: %s", gnutls_strerror(rc));
	return EGCA_OK;
}

enum egca_err
egca_km_server_start(struct egca_km *km, const struct egca_km_http_opts *o,
    struct egca_km_server **out)
{
	struct egca_km_server *s;
	struct sockaddr_storage ss;
	struct MHD_OptionItem opt[16];
	const union MHD_DaemonInfo *di;
	const char *addr = o->listen_addr ? o->listen_addr : "127.0.0.1";
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS;
	size_t n = 0;
	enum egca_err e;

	*out = NULL;
	if (o->tls_cert_pem == NULL || o->tls_key_pem == NULL ||
	    o->tls_client_ca_pem == NULL)
		return egca_err_set(EGCA_ERR_USAGE,
		    "the KM listens with mutual TLS only: --tls-cert, "
		    "--tls-key and --tls-client-ca are required");
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(o->port);
	} else if (inet_pton(AF_INET6, addr,
	               &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(o->port);
		flags |= MHD_USE_IPv6;
	} else
		return egca_err_set(
		    EGCA_ERR_USAGE, "--listen '%s' is not an IP address", addr);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	s->km = km;
	pthread_mutex_lock(&the_lock);
	if (the_server != NULL) {
		pthread_mutex_unlock(&the_lock);
		free(s);
		return egca_err_set(
		    EGCA_ERR_STATE, "a KM server already runs in this process");
	}
	the_server = s;
	pthread_mutex_unlock(&the_lock);
	if ((e = load_tls(s, o->tls_cert_pem, o->tls_key_pem)) != EGCA_OK)
		goto fail;
	if (o->admin_socket != NULL &&
	    (e = km_admin_start(km, o->admin_socket, &s->admin)) != EGCA_OK)
		goto fail;
#define OPT(a, v, p) opt[n++] = (struct MHD_OptionItem){(a), (intptr_t)(v), (p)}
	OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
	OPT(MHD_OPTION_THREAD_POOL_SIZE, o->threads ? o->threads : 2, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, 256, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, s);
	OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, s);
	OPT(MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)(uintptr_t)cert_cb);
	OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0,
	    (void *)(uintptr_t)o->tls_client_ca_pem);
	OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
	    (void *)(uintptr_t) "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:"
	                        "+VERS-TLS1.2");
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
	    MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	if (s->d == NULL) {
		e = egca_err_set(EGCA_ERR_IO,
		    "cannot listen on %s port %u (address in use, or bad TLS "
		    "material)",
		    addr, (unsigned)o->port);
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL ? di->port : o->port;
	*out = s;
	return EGCA_OK;
fail:
	egca_km_server_stop(s);
	return e;
}

uint16_t
egca_km_server_port(const struct egca_km_server *s)
{
	return s->port;
}

void
egca_km_server_stop(struct egca_km_server *s)
{
	unsigned i;

	if (s == NULL)
		return;
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	km_admin_stop(s->admin);
	for (i = 0; i < s->npcert; i++)
		gnutls_pcert_deinit(&s->pcert[i]);
	if (s->key != NULL)
		gnutls_privkey_deinit(s->key);
	pthread_mutex_lock(&the_lock);
	if (the_server == s)
		the_server = NULL;
	pthread_mutex_unlock(&the_lock);
	free(s);
}
