/*
 * status_agree: checks that OCSP, the CRL and the store agree on every
 * serial (issue 3: "OCSP = CRL = store"), and that OCSP never answers
 * "good" for a serial the CA did not issue.
 *
 *   status_agree HOST PORT ISSUER.pem CRL.der EXPECT.txt RANDOM_COUNT
 *
 * EXPECT.txt: one "serialhex status" line per issued certificate, status
 * good | revoked | hold (from `egca cert list`). Requests are built and
 * responses parsed with OpenSSL (an implementation other than egca's),
 * sent over one keep-alive HTTP/1.1 connection as POST /ocsp. Signatures
 * are not checked here (test_ocsp_* does that). Prints
 * "N passed, M failed"; exit 1 on any disagreement.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

static int fd = -1;
static const char *host;
static int port;

static int
connect_to(void)
{
	struct sockaddr_in sa;
	int one = 1;

	if (fd >= 0)
		close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	/* One request per segment, no Nagle delay on the keep-alive link. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

static int
write_all(const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One POST /ocsp round trip; returns the body (malloc'd) or NULL. */
static unsigned char *
post(const unsigned char *req, size_t len, size_t *out_len)
{
	char buf[65536];
	unsigned char msg[8192];
	int hl;
	size_t have = 0, need, clen;
	char *end, *cl;
	unsigned char *body;
	ssize_t r;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		hl = snprintf((char *)msg, sizeof(msg),
		    "POST /ocsp HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		    "application/ocsp-request\r\nContent-Length: %zu\r\n\r\n",
		    host, len);
		if (hl < 0 || (size_t)hl + len > sizeof(msg))
			return NULL;
		memcpy(msg + hl, req, len);
		if ((fd < 0 && connect_to() != 0) ||
		    write_all(msg, (size_t)hl + len) != 0) {
			connect_to();
			continue;
		}
		have = 0;
		for (;;) {
			r = read(fd, buf + have, sizeof(buf) - have - 1);
			if (r <= 0)
				break;
			have += (size_t)r;
			buf[have] = '\0';
			if ((end = strstr(buf, "\r\n\r\n")) == NULL)
				continue;
			cl = strcasestr(buf, "Content-Length:");
			if (cl == NULL || cl > end)
				return NULL;
			clen = strtoul(cl + 15, NULL, 10);
			need = (size_t)(end + 4 - buf) + clen;
			if (need >= sizeof(buf))
				return NULL;
			if (have < need)
				continue;
			if (strncmp(buf + 9, "200", 3) != 0)
				return NULL;
			body = malloc(clen);
			memcpy(body, end + 4, clen);
			*out_len = clen;
			return body;
		}
		connect_to();
	}
	return NULL;
}

/* OCSP status of serial: 0 good, 1 revoked, 2 unknown, 3 held, -1 error */
static int
ocsp_status(X509 *issuer, const ASN1_INTEGER *serial)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	OCSP_SINGLERESP *single;
	unsigned char *der = NULL, *body;
	const unsigned char *p;
	size_t blen;
	int len, st = -1, reason = -1;

	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
	    X509_get0_pubkey_bitstr(issuer), serial);
	OCSP_request_add0_id(req, id);
	len = i2d_OCSP_REQUEST(req, &der);
	body = post(der, (size_t)len, &blen);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	if (body == NULL)
		return -1;
	p = body;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)blen);
	free(body);
	if (resp == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (basic = OCSP_response_get1_basic(resp)) == NULL ||
	    OCSP_resp_count(basic) != 1)
		goto out;
	single = OCSP_resp_get0(basic, 0);
	st = OCSP_single_get0_status(single, &reason, NULL, NULL, NULL);
	if (st == V_OCSP_CERTSTATUS_REVOKED &&
	    reason == OCSP_REVOKED_STATUS_CERTIFICATEHOLD)
		st = 3;
out:
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	return st;
}

/* CRL status: 0 absent, 1 revoked, 3 held */
static int
crl_status(X509_CRL *crl, ASN1_INTEGER *serial)
{
	X509_REVOKED *rev = NULL;
	ASN1_ENUMERATED *r;
	int st;

	if (X509_CRL_get0_by_serial(crl, &rev, serial) != 1)
		return 0;
	r = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	st = (r != NULL && ASN1_ENUMERATED_get(r) == 6) ? 3 : 1;
	ASN1_ENUMERATED_free(r);
	return st;
}

static const char *names[] = {"good", "revoked", "unknown", "hold"};

int
main(int argc, char **argv)
{
	FILE *f;
	X509 *issuer;
	X509_CRL *crl;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai;
	char hex[128], status[32];
	unsigned char rnd[16];
	long passed = 0, failed = 0, i, nrandom;
	int want, got, c;

	if (argc != 7) {
		fprintf(stderr,
		    "usage: status_agree HOST PORT ISSUER.pem "
		    "CRL.der EXPECT.txt RANDOM_COUNT\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	nrandom = atol(argv[6]);
	if ((f = fopen(argv[3], "r")) == NULL ||
	    (issuer = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		return 2;
	fclose(f);
	if ((f = fopen(argv[4], "rb")) == NULL ||
	    (crl = d2i_X509_CRL_fp(f, NULL)) == NULL)
		return 2;
	fclose(f);
	if ((f = fopen(argv[5], "r")) == NULL)
		return 2;
	while (fscanf(f, "%127s %31s", hex, status) == 2) {
		BN_hex2bn(&bn, hex);
		ai = BN_to_ASN1_INTEGER(bn, NULL);
		want = strcmp(status, "good") == 0   ? 0
		    : strcmp(status, "revoked") == 0 ? 1
		                                     : 3;
		got = ocsp_status(issuer, ai);
		c = crl_status(crl, ai);
		if (got == want && c == want) {
			passed++;
		} else {
			failed++;
			printf("not ok - %s: store %s, OCSP %s, CRL %s\n", hex,
			    status, got < 0 ? "error" : names[got], names[c]);
		}
		ASN1_INTEGER_free(ai);
	}
	fclose(f);
	for (i = 0; i < nrandom; i++) {
		RAND_bytes(rnd, sizeof(rnd));
		rnd[0] &= 0x7f;
		BN_bin2bn(rnd, sizeof(rnd), bn);
		ai = BN_to_ASN1_INTEGER(bn, NULL);
		got = ocsp_status(issuer, ai);
		c = crl_status(crl, ai);
		if (got == 2 && c == 0) {
			passed++;
		} else {
			failed++;
			printf("not ok - unassigned serial: OCSP %s, CRL %s\n",
			    got < 0 ? "error" : names[got], names[c]);
		}
		ASN1_INTEGER_free(ai);
	}
	BN_free(bn);
	X509_free(issuer);
	X509_CRL_free(crl);
	printf("%ld passed, %ld failed\n", passed, failed);
	return failed ? 1 : 0;
}
