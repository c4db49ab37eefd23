/*
 * mhd_ref: the reference point of the OCSP serving benchmark, "the
 * limit for this design": a minimal libmicrohttpd program (one polling
 * thread, epoll, the same library `egca serve` uses) that reads the
 * request (POST body, or GET /ocsp/<url-encoded base64> decoded),
 * checks that it starts like a DER SEQUENCE, and answers one pre-signed
 * OCSPResponse held in memory. No store, no lookup, no signing, no log.
 *
 * usage: mhd_ref PORT RESPONSE.der   (listens on 127.0.0.1 only; runs
 *                                     until SIGTERM/SIGINT)
 *
 * Built by bench/ocsp_run.sh: cc -O2 mhd_ref.c -lmicrohttpd -lcrypto
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

static uint8_t *resp;
static size_t resp_len;
static volatile sig_atomic_t stop;

struct body {
	size_t len;
	uint8_t data[4096];
};

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* /ocsp/<url-encoded base64> -> DER into out; length or -1. */
static int
decode_get(const char *url, uint8_t *out, size_t cap)
{
	char b64[4096];
	size_t n = 0;
	const char *p;
	int len;

	if (strncmp(url, "/ocsp/", 6) != 0)
		return -1;
	for (p = url + 6; *p != '\0' && n + 1 < sizeof(b64); p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			b64[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else
			b64[n++] = *p;
	}
	b64[n] = '\0';
	if (n % 4 != 0 || (n / 4) * 3 > cap)
		return -1;
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	return len;
}

static mhd_result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct body *b = *con_cls;
	struct MHD_Response *r;
	uint8_t der[4096];
	int ok = 0;
	mhd_result ret;

	(void)cls;
	(void)version;
	if (strcmp(method, "POST") == 0) {
		if (b == NULL) {
			if ((b = calloc(1, sizeof(*b))) == NULL)
				return MHD_NO;
			*con_cls = b;
			return MHD_YES;
		}
		if (*upload_size != 0) {
			if (b->len + *upload_size > sizeof(b->data))
				return MHD_NO;
			memcpy(b->data + b->len, upload, *upload_size);
			b->len += *upload_size;
			*upload_size = 0;
			return MHD_YES;
		}
		ok = b->len > 2 && b->data[0] == 0x30;
	} else if (strcmp(method, "GET") == 0) {
		int n;
		if (b == NULL) {
			/* answer on the second call, as for POST */
			if ((b = calloc(1, sizeof(*b))) == NULL)
				return MHD_NO;
			*con_cls = b;
			return MHD_YES;
		}
		n = decode_get(url, der, sizeof(der));
		ok = n > 2 && der[0] == 0x30;
	}
	if (!ok) {
		r = MHD_create_response_from_buffer(
		    0, NULL, MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, MHD_HTTP_BAD_REQUEST, r);
	} else {
		r = MHD_create_response_from_buffer(
		    resp_len, resp, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(
		    r, "Content-Type", "application/ocsp-response");
		ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	}
	MHD_destroy_response(r);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: mhd_ref PORT RESPONSE.der\n");
		return 2;
	}
	if ((f = fopen(argv[2], "rb")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	resp = malloc(65536);
	resp_len = fread(resp, 1, 65536, f);
	fclose(f);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0,
	    NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, 1024U, MHD_OPTION_CONNECTION_TIMEOUT,
	    15U, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "mhd_ref: cannot listen on port %s\n", argv[1]);
		return 1;
	}
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	free(resp);
	return 0;
}
