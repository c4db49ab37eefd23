/*
 * The CA side of the CA <-> KM protocol: builds and signs CARequests
 * with the CA's signer, sends them over a transport, and checks every
 * KMRespond before anything in it is used:
 *
 *   - it parses strictly (egca_km_response_parse);
 *   - its signature verifies with the KM certificate the client pins
 *     (km.pem), and kmName is that certificate (name, key, serial);
 *   - taskNO is the request's, respondTime within the window;
 *   - one answer per request item, of the matching kind and userCertNO;
 *   - every returned public key is an SM2 key and the envelope carries
 *     exactly that key.
 *
 * Transports: in-process (egca_km_handle of a KM opened in this
 * process) and HTTPS with mutual TLS (GnuTLS client; the KM's TLS
 * certificate is verified against a CA bundle and the URL's host).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include "egca/file.h"
#include "egca/pki.h"
#include "km/km_int.h"

#define CLIENT_WINDOW 300
#define HEAD_MAX 16384

enum transport { T_INPROC, T_HTTPS };

struct egca_km_client {
	enum transport t;
	struct egca_km *km; /* in-process */
	uint8_t *km_cert;
	size_t km_cert_len;
	struct egca_km_entname km_name; /* into km_cert */
	EVP_PKEY *km_pub;
	/* HTTPS */
	char *host, *port;
	gnutls_certificate_credentials_t cred;
	int timeout;
};

void
egca_km_key_clear(struct egca_km_key *k)
{
	if (k == NULL)
		return;
	free(k->enc_spki);
	free(k->envelope);
	memset(k, 0, sizeof(*k));
}

void
egca_km_client_free(struct egca_km_client *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->km_pub);
	free(c->km_cert);
	free(c->host);
	free(c->port);
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	free(c);
}

/* Pins the KM certificate (DER) in c. */
static enum egca_err
pin(struct egca_km_client *c, const uint8_t *der, size_t len)
{
	struct egca_cert_info info;
	enum egca_err e;

	memset(&info, 0, sizeof(info));
	if ((c->km_cert = malloc(len)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	memcpy(c->km_cert, der, len);
	c->km_cert_len = len;
	if ((e = egca_km_entname_from_cert(c->km_cert, len, &c->km_name)) !=
	        EGCA_OK ||
	    (e = egca_pki_cert_info(c->km_cert, len, &info)) != EGCA_OK)
		return e;
	if (info.key_alg != EGCA_KEY_SM2)
		e = egca_err_set(
		    EGCA_ERR_INPUT, "KM certificate: an SM2 key is required");
	else
		e = egca_crypto_spki_decode(
		    info.spki_der, info.spki_der_len, &c->km_pub);
	egca_pki_cert_info_free(&info);
	return e;
}

enum egca_err
egca_km_client_inproc(struct egca_km *km, struct egca_km_client **out)
{
	struct egca_km_client *c;
	enum egca_err e;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	c->t = T_INPROC;
	c->km = km;
	if ((e = pin(c, km->cert, km->cert_len)) != EGCA_OK) {
		egca_km_client_free(c);
		return e;
	}
	*out = c;
	return EGCA_OK;
}

/* "https://host:port[/]" (host may be [v6]). */
static enum egca_err
url_parse(struct egca_km_client *c, const char *url)
{
	const char *h, *end, *colon;
	size_t n;

	if (strncmp(url, "https://", 8) != 0)
		return egca_err_set(EGCA_ERR_USAGE,
		    "KM URL '%s': https://HOST:PORT expected", url);
	h = url + 8;
	n = strlen(h);
	if (n > 0 && h[n - 1] == '/')
		n--;
	if (h[0] == '[') {
		if ((end = memchr(h, ']', n)) == NULL || end[1] != ':')
			goto bad;
		c->host = strndup(h + 1, (size_t)(end - h - 1));
		colon = end + 1;
	} else {
		if ((colon = memchr(h, ':', n)) == NULL)
			goto bad;
		c->host = strndup(h, (size_t)(colon - h));
	}
	c->port = strndup(colon + 1, n - (size_t)(colon + 1 - h));
	if (c->host == NULL || c->port == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if (c->host[0] == '\0' || c->port[0] == '\0' ||
	    strspn(c->port, "0123456789") != strlen(c->port))
		goto bad;
	return EGCA_OK;
bad:
	return egca_err_set(
	    EGCA_ERR_USAGE, "KM URL '%s': https://HOST:PORT expected", url);
}

enum egca_err
egca_km_client_https(
    const struct egca_km_https_opts *o, struct egca_km_client **out)
{
	struct egca_km_client *c;
	uint8_t *pem = NULL, *der = NULL;
	size_t pem_len, der_len;
	int rc;
	enum egca_err e;

	*out = NULL;
	if (o->url == NULL || o->client_cert == NULL || o->client_key == NULL ||
	    o->ca_bundle == NULL || o->km_cert == NULL)
		return egca_err_set(EGCA_ERR_USAGE,
		    "the KM over HTTPS needs its URL, a client certificate "
		    "and key, the TLS CA bundle and the KM certificate");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	c->t = T_HTTPS;
	c->timeout = o->timeout_seconds > 0 ? o->timeout_seconds : 30;
	if ((e = url_parse(c, o->url)) != EGCA_OK)
		goto out;
	if ((e = egca_file_read(o->km_cert, 1 << 20, &pem, &pem_len)) !=
	        EGCA_OK ||
	    (e = km_cert_der(pem, pem_len, &der, &der_len)) != EGCA_OK ||
	    (e = pin(c, der, der_len)) != EGCA_OK)
		goto out;
	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		e = egca_err_set(
		    EGCA_ERR_CRYPTO, "GnuTLS: %s", gnutls_strerror(rc));
		goto out;
	}
	if ((rc = gnutls_certificate_set_x509_trust_file(
	         c->cred, o->ca_bundle, GNUTLS_X509_FMT_PEM)) <= 0) {
		e = egca_err_set(EGCA_ERR_INPUT, "%s: no CA certificate (%s)",
		    o->ca_bundle, rc < 0 ? gnutls_strerror(rc) : "empty");
		goto out;
	}
	if ((rc = gnutls_certificate_set_x509_key_file(c->cred, o->client_cert,
	         o->client_key, GNUTLS_X509_FMT_PEM)) < 0) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "TLS client certificate %s / key %s: %s", o->client_cert,
		    o->client_key, gnutls_strerror(rc));
		goto out;
	}
	*out = c;
	c = NULL;
out:
	free(pem);
	free(der);
	egca_km_client_free(c);
	return e;
}

/* ---- HTTPS exchange ---- */

static int
connect_to(const struct egca_km_client *c)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = {c->timeout, 0};
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(c->host, c->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* Header and body go as two TLS records: without this the
		 * second waits for the server's delayed ACK (~40 ms). */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static enum egca_err
tls_send(gnutls_session_t s, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = gnutls_record_send(s, b, n);
		if (w == GNUTLS_E_INTERRUPTED)
			continue;
		/* A blocking socket says EAGAIN only when SO_SNDTIMEO ran out.
		 */
		if (w == GNUTLS_E_AGAIN)
			return egca_err_set(
			    EGCA_ERR_IO, "KM: TLS send timed out");
		if (w <= 0)
			return egca_err_set(EGCA_ERR_IO, "KM: TLS send: %s",
			    gnutls_strerror((int)w));
		b += w;
		n -= (size_t)w;
	}
	return EGCA_OK;
}

/* Splits an HTTP/1.1 answer in a into status and body. */
static enum egca_err
http_answer(struct egca_buf *a, int *status, size_t *body_off, size_t *body_len)
{
	char *hend, *p;
	size_t hl, cl = 0;
	int have_cl = 0;

	if (egca_buf_append_byte(a, 0) != EGCA_OK)
		return egca_err_set(EGCA_ERR_NOMEM, "KM answer");
	a->len--;
	if (sscanf((char *)a->data, "HTTP/1.%*1[01] %d", status) != 1 ||
	    (hend = strstr((char *)a->data, "\r\n\r\n")) == NULL)
		return egca_err_set(EGCA_ERR_IO, "KM: malformed HTTP answer");
	hl = (size_t)(hend + 4 - (char *)a->data);
	for (p = strstr((char *)a->data, "\r\n"); p != NULL && p < hend;
	     p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0) {
			cl = strtoul(p + 17, NULL, 10);
			have_cl = 1;
		}
	if (have_cl && hl + cl > a->len)
		return egca_err_set(
		    EGCA_ERR_IO, "KM: the answer was cut short");
	*body_off = hl;
	*body_len = have_cl ? cl : a->len - hl;
	return EGCA_OK;
}

static enum egca_err
https_exchange(struct egca_km_client *c, const uint8_t *req, size_t req_len,
    uint8_t **resp, size_t *resp_len)
{
	gnutls_session_t s = NULL;
	struct egca_buf a;
	char head[512], chunk[4096];
	size_t off = 0, len = 0;
	ssize_t r;
	int fd, rc, status = 0, shaken = 0;
	enum egca_err e;

	*resp = NULL;
	*resp_len = 0;
	egca_buf_init(&a, EGCA_KM_MSG_MAX + HEAD_MAX);
	if ((fd = connect_to(c)) < 0) {
		e = egca_err_set(EGCA_ERR_IO, "KM %s:%s: cannot connect: %s",
		    c->host, c->port, strerror(errno));
		goto out;
	}
	if ((rc = gnutls_init(&s, GNUTLS_CLIENT)) < 0 ||
	    (rc = gnutls_set_default_priority(s)) < 0 ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred)) <
	        0) {
		e = egca_err_set(
		    EGCA_ERR_CRYPTO, "GnuTLS: %s", gnutls_strerror(rc));
		goto out;
	}
	/* SNI for names only; the certificate is checked either way. */
	if (strspn(c->host, "0123456789.") != strlen(c->host) &&
	    strchr(c->host, ':') == NULL)
		gnutls_server_name_set(
		    s, GNUTLS_NAME_DNS, c->host, strlen(c->host));
	gnutls_session_set_verify_cert(s, c->host, 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, (unsigned)c->timeout * 1000);
	do
		rc = gnutls_handshake(s);
	while (rc == GNUTLS_E_INTERRUPTED);
	if (rc < 0) {
		e = egca_err_set(
		    rc == GNUTLS_E_AGAIN ? EGCA_ERR_IO : EGCA_ERR_AUTH,
		    "KM %s:%s: TLS handshake failed: %s", c->host, c->port,
		    gnutls_strerror(rc));
		goto out;
	}
	shaken = 1;
	snprintf(head, sizeof(head),
	    "POST /km/v1/request HTTP/1.1\r\nHost: %s:%s\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    c->host, c->port, req_len);
	if ((e = tls_send(s, head, strlen(head))) != EGCA_OK ||
	    (e = tls_send(s, req, req_len)) != EGCA_OK)
		goto out;
	for (;;) {
		r = gnutls_record_recv(s, chunk, sizeof(chunk));
		if (r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r == GNUTLS_E_AGAIN) {
			e = egca_err_set(EGCA_ERR_IO,
			    "KM: no answer within %d s", c->timeout);
			goto out;
		}
		/* Connection: close; a peer that skips close_notify. */
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
			break;
		if (r < 0) {
			e = egca_err_set(EGCA_ERR_IO, "KM: TLS receive: %s",
			    gnutls_strerror((int)r));
			goto out;
		}
		if ((e = egca_buf_append(&a, chunk, (size_t)r)) != EGCA_OK) {
			e = egca_err_set(EGCA_ERR_IO, "KM: answer too long");
			goto out;
		}
	}
	if ((e = http_answer(&a, &status, &off, &len)) != EGCA_OK)
		goto out;
	if (status != 200) {
		/* The body is a short text from the KM's transport. */
		len = len > 300 ? 300 : len;
		e = egca_err_set(status == 400 ? EGCA_ERR_INPUT : EGCA_ERR_IO,
		    "KM answered HTTP %d: %.*s", status, (int)len,
		    (const char *)a.data + off);
		goto out;
	}
	if ((*resp = malloc(len ? len : 1)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*resp, a.data + off, len);
	*resp_len = len;
	e = EGCA_OK;
out:
	if (s != NULL) {
		if (shaken)
			gnutls_bye(s, GNUTLS_SHUT_WR);
		gnutls_deinit(s);
	}
	if (fd >= 0)
		close(fd);
	egca_buf_free(&a);
	return e;
}

/* ---- requests and answers ---- */

static enum egca_err
errno_err(int64_t n)
{
	switch (n) {
	case EGCA_KM_E_SEALED:
		return EGCA_ERR_STATE;
	case EGCA_KM_E_NOT_FOUND:
		return EGCA_ERR_NOTFOUND;
	case EGCA_KM_E_DUPLICATE:
		return EGCA_ERR_EXISTS;
	case EGCA_KM_E_UNTRUSTED:
	case EGCA_KM_E_BAD_SIGNATURE:
		return EGCA_ERR_AUTH;
	case EGCA_KM_E_STALE:
	case EGCA_KM_E_REPLAY:
	case EGCA_KM_E_REVOKED:
		return EGCA_ERR_POLICY;
	case EGCA_KM_E_BAD_REQUEST:
	case EGCA_KM_E_UNSUPPORTED:
		return EGCA_ERR_INPUT;
	default:
		return EGCA_ERR_INTERNAL;
	}
}

static int
same_magnitude(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	char x[41], y[41];

	km_magnitude_hex(a, al, x);
	km_magnitude_hex(b, bl, y);
	return strcmp(x, y) == 0;
}

/*
 * Signs r (items filled by the caller) as ca, sends it, and checks the
 * answer's signature, sender, task and time. *der keeps the answer
 * (a points into it); free() it.
 */
static enum egca_err
exchange(struct egca_km_client *c, const struct egca_km_sender *ca,
    struct egca_km_request *r, struct egca_km_response *a, uint8_t **der)
{
	struct egca_buf req;
	uint8_t task[16];
	size_t der_len = 0;
	int64_t now = (int64_t)time(NULL);
	char desc[300];
	enum egca_err e;

	*der = NULL;
	egca_buf_init(&req, EGCA_KM_MSG_MAX);
	if (ca == NULL || ca->signer == NULL || ca->cert_der == NULL) {
		e = egca_err_set(EGCA_ERR_USAGE,
		    "the CA's signer and certificate are needed");
		goto out;
	}
	if ((e = egca_crypto_rand(task, sizeof(task))) != EGCA_OK ||
	    (e = egca_km_entname_from_cert(
	         ca->cert_der, ca->cert_der_len, &r->ca)) != EGCA_OK)
		goto out;
	if (task[0] == 0)
		task[0] = 1; /* 16 octets of magnitude, never fewer */
	r->version = 1;
	r->request_time = now;
	r->task = task;
	r->task_len = sizeof(task);
	if ((e = egca_km_request_sign(r, ca->signer, &req)) != EGCA_OK)
		goto out;
	e = c->t == T_INPROC
	    ? egca_km_handle(
	          c->km, req.data, req.len, now, "inproc", der, &der_len)
	    : https_exchange(c, req.data, req.len, der, &der_len);
	if (e != EGCA_OK)
		goto out;
	if ((e = egca_km_response_parse(*der, der_len, a)) != EGCA_OK)
		goto out;
	if (egca_crypto_verify_tbs(c->km_pub, EGCA_SIG_SM2_SM3, a->tbs,
	        a->tbs_len, a->sig, a->sig_len) != EGCA_OK) {
		e = egca_err_set(EGCA_ERR_AUTH,
		    "KMRespond: the signature does not verify with the KM "
		    "certificate");
		goto out;
	}
	if (a->km.name_len != c->km_name.name_len ||
	    memcmp(a->km.name, c->km_name.name, a->km.name_len) != 0 ||
	    memcmp(a->km.key_hash, c->km_name.key_hash, 32) != 0 ||
	    !same_magnitude(a->km.serial, a->km.serial_len, c->km_name.serial,
	        c->km_name.serial_len)) {
		e = egca_err_set(EGCA_ERR_AUTH,
		    "KMRespond: kmName is not the KM certificate");
		goto out;
	}
	if (!same_magnitude(a->task, a->task_len, task, sizeof(task))) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "KMRespond: taskNO is not the request's");
		goto out;
	}
	if (a->respond_time < now - CLIENT_WINDOW ||
	    a->respond_time > now + CLIENT_WINDOW) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "KMRespond: respondTime is more than %d s from this "
		    "clock",
		    CLIENT_WINDOW);
		goto out;
	}
	if (a->n_items == 1 && a->items[0].kind == EGCA_KM_RESP_ERROR) {
		snprintf(desc, sizeof(desc), "%.*s",
		    (int)a->items[0].err_desc_len,
		    a->items[0].err_desc ? (const char *)a->items[0].err_desc
		                         : "");
		e = egca_err_set(errno_err(a->items[0].err_no),
		    "KM refused the request (errNO %lld): %s",
		    (long long)a->items[0].err_no, desc);
		goto out;
	}
	if (a->n_items != r->n_items) {
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "KMRespond: %zu answers to %zu requests", a->n_items,
		    r->n_items);
		goto out;
	}
	e = EGCA_OK;
out:
	if (e != EGCA_OK) {
		free(*der);
		*der = NULL;
	}
	egca_buf_free(&req);
	OPENSSL_cleanse(task, sizeof(task));
	return e;
}

/* The public key of an SPKI as 04||x||y, SM2 only. */
static enum egca_err
spki_pub(const uint8_t *spki, size_t len, uint8_t pub[65])
{
	EVP_PKEY *k = NULL;
	enum egca_key_alg alg;
	size_t n = 0;
	int bits;
	enum egca_err e;

	if ((e = egca_crypto_spki_decode(spki, len, &k)) != EGCA_OK)
		return e;
	if ((e = egca_crypto_key_check(k, &alg, &bits)) == EGCA_OK &&
	    (alg != EGCA_KEY_SM2 ||
	        EVP_PKEY_get_octet_string_param(
	            k, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, &n) != 1 ||
	        n != 65)) {
		ERR_clear_error();
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "KMRespond: retPubKey is not an SM2 key");
	}
	EVP_PKEY_free(k);
	return e;
}

/* One returned key, checked and copied into out. */
static enum egca_err
take_key(const struct egca_km_resp_item *it, enum egca_km_resp_kind kind,
    const struct egca_km_req_item *rq, struct egca_km_key *out)
{
	struct egca_envelope env;
	uint8_t pub[65];
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if (it->kind != kind ||
	    !same_magnitude(
	        it->cert_no, it->cert_no_len, rq->cert_no, rq->cert_no_len))
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "KMRespond: an answer does not match its request");
	if ((e = spki_pub(it->pub_spki, it->pub_spki_len, pub)) != EGCA_OK ||
	    (e = egca_envelope_parse(it->envelope, it->envelope_len, &env)) !=
	        EGCA_OK)
		return e;
	if (memcmp(env.pub, pub, sizeof(pub)) != 0)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "KMRespond: the envelope does not carry retPubKey");
	km_magnitude_hex(it->cert_no, it->cert_no_len, out->cert_no);
	if ((out->enc_spki = malloc(it->pub_spki_len)) == NULL ||
	    (out->envelope = malloc(it->envelope_len)) == NULL) {
		egca_km_key_clear(out);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	memcpy(out->enc_spki, it->pub_spki, it->pub_spki_len);
	out->enc_spki_len = it->pub_spki_len;
	memcpy(out->envelope, it->envelope, it->envelope_len);
	out->envelope_len = it->envelope_len;
	return EGCA_OK;
}

enum egca_err
egca_km_apply(struct egca_km_client *c, const struct egca_km_sender *ca,
    const struct egca_km_apply_item *items, size_t n, struct egca_km_key *out)
{
	struct egca_km_request *r = NULL;
	struct egca_km_response *a = NULL;
	uint8_t(*no)[20] = NULL, *der = NULL;
	size_t i, j, len;
	enum egca_err e;

	if (n == 0 || n > 16)
		return egca_err_set(
		    EGCA_ERR_USAGE, "1 to 16 keys per application");
	memset(out, 0, n * sizeof(*out));
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL ||
	    (no = calloc(n, sizeof(*no))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct egca_km_req_item *it = &r->items[i];

		if ((e = km_hex_magnitude(
		         items[i].cert_no ? items[i].cert_no : "", no[i],
		         &len)) != EGCA_OK)
			goto out;
		it->kind = EGCA_KM_APPLY;
		it->cert_no = no[i];
		it->cert_no_len = len;
		it->user_spki = items[i].holder_spki;
		it->user_spki_len = items[i].holder_spki_len;
		it->not_before = items[i].not_before;
		it->not_after = items[i].not_after;
		it->user_name = items[i].subject;
		it->user_name_len = items[i].subject_len;
		if (items[i].ds_code != NULL) {
			it->ds_code = (const uint8_t *)items[i].ds_code;
			it->ds_code_len = strlen(items[i].ds_code);
		}
	}
	r->n_items = n;
	if ((e = exchange(c, ca, r, a, &der)) != EGCA_OK)
		goto out;
	for (i = 0; i < n; i++)
		if ((e = take_key(&a->items[i], EGCA_KM_RESP_APPLY,
		         &r->items[i], &out[i])) != EGCA_OK) {
			for (j = 0; j < i; j++)
				egca_km_key_clear(&out[j]);
			goto out;
		}
out:
	free(der);
	free(no);
	free(a);
	free(r);
	return e;
}

enum egca_err
egca_km_restore(struct egca_km_client *c, const struct egca_km_sender *ca,
    const char *cert_no, const uint8_t *new_holder_spki,
    size_t new_holder_spki_len, struct egca_km_key *out)
{
	struct egca_km_request *r = NULL;
	struct egca_km_response *a = NULL;
	uint8_t no[20], *der = NULL;
	size_t len;
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if ((e = km_hex_magnitude(cert_no ? cert_no : "", no, &len)) != EGCA_OK)
		return e;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	r->items[0].kind = EGCA_KM_RESTORE;
	r->items[0].cert_no = no;
	r->items[0].cert_no_len = len;
	r->items[0].user_spki = new_holder_spki;
	r->items[0].user_spki_len = new_holder_spki_len;
	r->n_items = 1;
	if ((e = exchange(c, ca, r, a, &der)) == EGCA_OK)
		e = take_key(
		    &a->items[0], EGCA_KM_RESP_RESTORE, &r->items[0], out);
out:
	free(der);
	free(a);
	free(r);
	return e;
}

enum egca_err
egca_km_revoke(struct egca_km_client *c, const struct egca_km_sender *ca,
    const char *cert_no)
{
	struct egca_km_request *r = NULL;
	struct egca_km_response *a = NULL;
	uint8_t no[20], *der = NULL;
	size_t len;
	enum egca_err e;

	if ((e = km_hex_magnitude(cert_no ? cert_no : "", no, &len)) != EGCA_OK)
		return e;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	r->items[0].kind = EGCA_KM_REVOKE;
	r->items[0].cert_no = no;
	r->items[0].cert_no_len = len;
	r->n_items = 1;
	if ((e = exchange(c, ca, r, a, &der)) != EGCA_OK)
		goto out;
	if (a->items[0].kind != EGCA_KM_RESP_REVOKE ||
	    !same_magnitude(
	        a->items[0].cert_no, a->items[0].cert_no_len, no, len))
		e = egca_err_set(EGCA_ERR_INTEGRITY,
		    "KMRespond: the answer does not match the request");
out:
	free(der);
	free(a);
	free(r);
	return e;
}
