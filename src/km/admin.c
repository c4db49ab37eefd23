/*
 * The KM's admin endpoint: a Unix domain socket (KMDIR/run/admin.sock,
 * mode 0600 in a 0700 directory), so only the KM's own system account
 * reaches it and no network listener ever carries a custodian share.
 * One thread, one connection at a time, one request per connection, a
 * minimal HTTP/1.1 subset read into the secure heap (a share is in the
 * body) and cleansed:
 *
 *   GET  /admin/v1/status             -> 200 {"sealed": ..., ...}
 *   POST /admin/v1/unseal  body: share file  -> 200 status, or an error
 *   POST /admin/v1/seal               -> 200 status
 *
 * Errors: {"code": "EGCA_ERR_AUTH", "detail": "...", status fields}
 * with 400 (input), 403 (wrong share), 409 (duplicate, state), 422
 * (integrity), 500. The caller's uid (SO_PEERCRED) is the audit actor
 * ("custodian:uid=N"): the custodians' identities are the shares they
 * hold, the operating system account is who typed them in.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "egca/file.h"
#include "egca/log.h"
#include "km/km_int.h"

#define REQ_MAX 16384
#define RESP_MAX (64 * 1024)

struct km_admin {
	struct egca_km *km;
	char *path;
	int fd;
	int stop[2];
	pthread_t thread;
	int running;
};

static int
unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return 0;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 1;
}

/* ---- server ---- */

static json_t *
status_json(struct egca_km *km)
{
	struct egca_km_seal_status st;
	json_t *o, *ix;
	int i;

	egca_km_status(km, &st);
	ix = json_array();
	for (i = 0; i < EGCA_KM_MAX_CUSTODIANS; i++)
		if (st.indexes & (1u << i))
			json_array_append_new(ix, json_integer(i + 1));
	o = json_pack("{s:s, s:b, s:i, s:i, s:o}", "km_id", km->conf.km_id,
	    "sealed", st.sealed, "threshold", st.threshold, "entered",
	    st.entered, "shares_entered", ix);
	return o;
}

static int
http_status(enum egca_err e)
{
	switch (e) {
	case EGCA_ERR_INPUT:
	case EGCA_ERR_USAGE:
		return 400;
	case EGCA_ERR_AUTH:
		return 403;
	case EGCA_ERR_NOTFOUND:
		return 404;
	case EGCA_ERR_EXISTS:
	case EGCA_ERR_STATE:
		return 409;
	case EGCA_ERR_INTEGRITY:
		return 422;
	default:
		return 500;
	}
}

static void
respond(int fd, int status, json_t *body)
{
	char head[256], *s;
	size_t n;
	ssize_t w;

	s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	n = s ? strlen(s) : 0;
	snprintf(head, sizeof(head),
	    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    status, status == 200 ? "OK" : "Error", n);
	w = write(fd, head, strlen(head));
	if (w >= 0 && n > 0)
		w = write(fd, s, n);
	(void)w;
	free(s);
}

static void
respond_err(struct egca_km *km, int fd, enum egca_err e)
{
	json_t *o = status_json(km);

	json_object_set_new(o, "code", json_string(egca_err_name(e)));
	json_object_set_new(o, "detail", json_string(egca_err_detail()));
	respond(fd, http_status(e), o);
}

/* Reads one request into buf (REQ_MAX octets); body points into it. */
static int
read_request(int fd, char *buf, char **method, char **path, char **body,
    size_t *body_len)
{
	size_t got = 0, need = 0, cl = 0;
	char *hend = NULL, *p, *sp;
	ssize_t r;

	for (;;) {
		if (got == REQ_MAX - 1)
			return 0;
		r = read(fd, buf + got, REQ_MAX - 1 - got);
		if (r <= 0)
			return 0;
		got += (size_t)r;
		buf[got] = '\0';
		if (hend == NULL && (hend = strstr(buf, "\r\n\r\n")) != NULL) {
			*hend = '\0';
			for (p = strstr(buf, "\r\n"); p != NULL;
			     p = strstr(p + 2, "\r\n"))
				if (strncasecmp(p + 2, "Content-Length:", 15) ==
				    0)
					cl = strtoul(p + 17, NULL, 10);
			if (cl > REQ_MAX / 2)
				return 0;
			need = (size_t)(hend + 4 - buf) + cl;
		}
		if (hend != NULL && got >= need)
			break;
	}
	/* "METHOD SP PATH SP HTTP/1.x" */
	*method = buf;
	if ((sp = strchr(buf, ' ')) == NULL)
		return 0;
	*sp = '\0';
	*path = sp + 1;
	if ((sp = strchr(*path, ' ')) == NULL)
		return 0;
	*sp = '\0';
	*body = hend + 4;
	*body_len = cl;
	return 1;
}

static void
serve_one(struct km_admin *a, int fd)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct timeval tv = {5, 0};
	char *buf, *method, *path, *body, actor[64];
	size_t body_len;
	enum egca_err e;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		snprintf(actor, sizeof(actor), "custodian:uid=%u",
		    (unsigned)cred.uid);
	else
		snprintf(actor, sizeof(actor), "custodian:unknown");
	if ((buf = OPENSSL_secure_zalloc(REQ_MAX)) == NULL)
		return;
	if (!read_request(fd, buf, &method, &path, &body, &body_len)) {
		respond(fd, 400,
		    json_pack("{s:s, s:s}", "code", "EGCA_ERR_INPUT", "detail",
		        "malformed or oversized request"));
		goto out;
	}
	egca_err_clear();
	if (strcmp(path, "/admin/v1/status") == 0 && strcmp(method, "GET") == 0)
		respond(fd, 200, status_json(a->km));
	else if (strcmp(path, "/admin/v1/unseal") == 0 &&
	    strcmp(method, "POST") == 0) {
		e = egca_km_unseal(
		    a->km, (const uint8_t *)body, body_len, actor, NULL);
		if (e == EGCA_OK)
			respond(fd, 200, status_json(a->km));
		else
			respond_err(a->km, fd, e);
	} else if (strcmp(path, "/admin/v1/seal") == 0 &&
	    strcmp(method, "POST") == 0) {
		if ((e = egca_km_seal(a->km, actor)) == EGCA_OK)
			respond(fd, 200, status_json(a->km));
		else
			respond_err(a->km, fd, e);
	} else
		respond(fd, 404,
		    json_pack("{s:s, s:s}", "code", "EGCA_ERR_NOTFOUND",
		        "detail", "no such admin call"));
out:
	OPENSSL_secure_clear_free(buf, REQ_MAX);
}

static void *
loop(void *arg)
{
	struct km_admin *a = arg;
	struct pollfd p[2];
	int fd;

	for (;;) {
		p[0] = (struct pollfd){a->fd, POLLIN, 0};
		p[1] = (struct pollfd){a->stop[0], POLLIN, 0};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			egca_log_err("event=km_admin error=\"poll: %s\"",
			    strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		if ((fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		serve_one(a, fd);
		close(fd);
	}
	return NULL;
}

enum egca_err
km_admin_start(struct egca_km *km, const char *path, struct km_admin **out)
{
	struct km_admin *a;
	struct sockaddr_un sa;
	struct stat sb;
	char *dir, *slash;
	int probe;
	enum egca_err e;

	*out = NULL;
	if (!unix_addr(path, &sa))
		return egca_err_set(EGCA_ERR_USAGE,
		    "admin socket path %s is too long (at most %zu octets)",
		    path, sizeof(sa.sun_path) - 1);
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->path = strdup(path)) == NULL) {
		free(a);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	a->km = km;
	a->fd = a->stop[0] = a->stop[1] = -1;
	if ((dir = strdup(path)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		e = egca_file_mkdirs(dir, 0700);
		if (e == EGCA_OK && chmod(dir, 0700) != 0)
			e = egca_err_set(
			    EGCA_ERR_IO, "%s: %s", dir, strerror(errno));
	} else
		e = EGCA_OK;
	free(dir);
	if (e != EGCA_OK)
		goto fail;
	/* A socket left by a KM that died is replaced; a live one is not. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			e = egca_err_set(EGCA_ERR_EXISTS,
			    "%s exists and is not a socket", path);
			goto fail;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			e = egca_err_set(EGCA_ERR_EXISTS,
			    "%s: another KM serves this directory", path);
			goto fail;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if ((a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(a->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0600) != 0 || listen(a->fd, 8) != 0 ||
	    pipe2(a->stop, O_CLOEXEC) != 0) {
		e = egca_err_set(
		    EGCA_ERR_IO, "admin socket %s: %s", path, strerror(errno));
		goto fail;
	}
	if (pthread_create(&a->thread, NULL, loop, a) != 0) {
		e = egca_err_set(EGCA_ERR_INTERNAL, "admin thread");
		goto fail;
	}
	a->running = 1;
	*out = a;
	return EGCA_OK;
fail:
	km_admin_stop(a);
	return e;
}

void
km_admin_stop(struct km_admin *a)
{
	ssize_t w;

	if (a == NULL)
		return;
	if (a->running) {
		w = write(a->stop[1], "x", 1);
		(void)w;
		pthread_join(a->thread, NULL);
	}
	if (a->fd >= 0) {
		close(a->fd);
		unlink(a->path);
	}
	if (a->stop[0] >= 0)
		close(a->stop[0]);
	if (a->stop[1] >= 0)
		close(a->stop[1]);
	free(a->path);
	free(a);
}

/* ---- client ---- */

enum egca_err
egca_km_admin_call(const char *socket_path, const char *method,
    const char *path, const uint8_t *body, size_t body_len, int *status,
    char **out)
{
	struct sockaddr_un sa;
	struct timeval tv = {30, 0};
	char head[256], *buf = NULL, *p;
	size_t got = 0;
	ssize_t r;
	int fd = -1;
	enum egca_err e;

	*status = 0;
	*out = NULL;
	if (!unix_addr(socket_path, &sa))
		return egca_err_set(
		    EGCA_ERR_USAGE, "%s: path too long", socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return egca_err_set(EGCA_ERR_IO, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		e = egca_err_set(errno == ENOENT || errno == ECONNREFUSED
		        ? EGCA_ERR_STATE
		        : EGCA_ERR_IO,
		    "%s: %s (is egca km serve running for this directory?)",
		    socket_path, strerror(errno));
		goto out;
	}
	snprintf(head, sizeof(head),
	    "%s %s HTTP/1.1\r\nHost: km-admin\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    method, path, body_len);
	if (write(fd, head, strlen(head)) != (ssize_t)strlen(head) ||
	    (body_len > 0 && write(fd, body, body_len) != (ssize_t)body_len)) {
		e = egca_err_set(
		    EGCA_ERR_IO, "%s: write: %s", socket_path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(RESP_MAX + 1)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (got < RESP_MAX && (r = read(fd, buf + got, RESP_MAX - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.1 %d", status) != 1 ||
	    (p = strstr(buf, "\r\n\r\n")) == NULL) {
		e = egca_err_set(
		    EGCA_ERR_IO, "%s: malformed answer", socket_path);
		goto out;
	}
	if ((*out = strdup(p + 4)) == NULL) {
		e = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
		goto out;
	}
	e = EGCA_OK;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return e;
}
