/*
 * http/: the HTTP side of `egca serve` (libmicrohttpd): OCSP (RFC 6960
 * GET and POST, RFC 5019 caching), CRLs, the certificate repository
 * (/ca/, /certs/), the read-only REST API under /api/v1 with RFC 9457
 * problem+json errors, /healthz and Prometheus /metrics.
 *
 * Handlers parse input and call one service or store function; they
 * hold no private key. CPU-heavy work (live OCSP signing, ZIP exports)
 * runs on a worker pool of its own while the connection is suspended,
 * so a connection thread never signs.
 *
 * Authentication and authorisation happen in the server before any
 * handler runs (bearer token, session cookie with CSRF token, or TLS
 * client certificate; then the policy table with the route's name as
 * the action). Every handler receives the caller (struct
 * egca_http_caller); public routes may be anonymous.
 */
#ifndef EGCA_HTTP_H
#define EGCA_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "egca/auth.h"
#include "egca/config.h"
#include "egca/err.h"
#include "egca/status.h"
#include "egca/store.h"

/* Who is asking: set by the server from the session cookie, the bearer
 * token or the TLS client certificate before any handler runs. */
struct egca_http_caller {
	const char *id;           /* the principal's actor, e.g. "anonymous" */
	const char *role;         /* comma-separated role names, "" none */
	const char *scope_region; /* GB/T 2260 prefix the caller may see;
	                             NULL: every region */
	const struct egca_principal *principal; /* never NULL */
};

struct egca_http_config {
	const char *listen_addr; /* IPv4 or IPv6 literal (default 127.0.0.1) */
	uint16_t port;           /* 0: any free port (egca_http_port) */
	unsigned threads;        /* connection threads (default: nproc) */
	unsigned workers;        /* worker threads (default: nproc) */
	size_t worker_queue;     /* queued jobs before 503 (default 256) */
	unsigned connection_limit; /* default 1024 */
	unsigned per_ip_limit;     /* default 256 */
	unsigned idle_timeout;     /* seconds (default 15) */
	size_t connection_memory;  /* per connection, bounds headers (16 KiB) */
	size_t max_body;           /* request bodies (default 64 KiB) */
	const char *tls_cert_pem;  /* PEM text, or NULL for plain HTTP */
	const char *tls_key_pem;
	/* PEM CA certificates whose TLS client certificates identify
	   operators (egca_auth_cert_login); NULL: none asked for. */
	const char *tls_client_ca_pem;
	FILE *access_log; /* one key=value line per request (default stderr) */
	/* The CA's KM client for RA execution (borrowed), or NULL. */
	struct egca_km_client *km;
};

/* Fills c with the defaults above. */
void egca_http_config_default(struct egca_http_config *c);

struct egca_http_server;

/*
 * Starts the daemon. status and pool are borrowed and must outlive the
 * server. EGCA_ERR_IO when the address cannot be bound.
 */
EGCA_MUST_CHECK enum egca_err egca_http_start(const struct egca_http_config *c,
    const struct egca_config *cfg, struct egca_status *status,
    struct egca_store_pool *pool, struct egca_http_server **out);

/* The bound port. */
uint16_t egca_http_port(const struct egca_http_server *s);

/*
 * Stops accepting connections, waits up to drain_seconds for requests
 * in flight, then stops the daemon and frees s. Accepts NULL.
 */
void egca_http_stop(struct egca_http_server *s, int drain_seconds);

#endif
