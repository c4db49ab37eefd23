/*
 * bench_ocsp_mkcerts: the certificate population of the OCSP serving
 * benchmark (bench/ocsp_run.sh), made in one process so that the CA key
 * is decrypted once (the CLI pays scrypt on every call).
 *
 * Opens an egca data directory made by `egca init`, issues COUNT
 * certificates under the tls-server profile through egca_ca_issue (the
 * store and audit log are written as for `egca cert issue`), revokes
 * every (100/PCT)-th of them through egca_ca_cert_set_status, then
 * writes into OUT what the other responders of the benchmark need:
 *
 *   ca.pem           the CA certificate
 *   ca.key           the CA key, unencrypted PKCS#8 PEM, mode 0600
 *                    (`openssl ocsp -rkey`; a benchmark throwaway)
 *   index.txt        `openssl ocsp -index` database, V and R lines
 *   leaf-good.pem    the first good certificate whose request's
 *                    base64 holds no "//" (see get_path_ok)
 *   leaf-revoked.pem the first revoked certificate
 *   responses.b64    one pre-signed OCSPResponse per certificate,
 *                    base64, one a line (`cfssl ocspserve -responses`),
 *                    signed by the CA key, SHA-1 CertIDs, no embedded
 *                    certificates, nextUpdate +24 h
 *   resp-good.der    the pre-signed response of leaf-good.pem
 *   resp-revoked.der the pre-signed response of leaf-revoked.pem
 *
 * usage: bench_ocsp_mkcerts --dir DIR --passphrase-file FILE --csr FILE
 *                           --out OUT [--count N] [--revoke-pct P]
 *                           [--ca NAME]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "egca/buf.h"
#include "egca/ca.h"
#include "egca/config.h"
#include "egca/crypto.h"
#include "egca/err.h"
#include "egca/file.h"
#include "egca/pki.h"
#include "egca/store.h"

static void
die(const char *what, enum egca_err e)
{
	fprintf(stderr, "bench_ocsp_mkcerts: %s: %s: %s\n", what,
	    egca_err_name(e), egca_err_detail());
	exit(1);
}

static void
ok(const char *what, enum egca_err e)
{
	if (e != EGCA_OK)
		die(what, e);
}

static void
ossl_die(const char *what)
{
	fprintf(stderr, "bench_ocsp_mkcerts: %s failed (OpenSSL)\n", what);
	exit(1);
}

static FILE *
open_out(const char *dir, const char *name, int mode)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	if (chmod(path, (mode_t)mode) != 0) {
		perror(path);
		exit(1);
	}
	return f;
}

static void
close_out(FILE *f, const char *name)
{
	if (ferror(f) || fclose(f) != 0) {
		fprintf(
		    stderr, "bench_ocsp_mkcerts: writing %s failed\n", name);
		exit(1);
	}
}

/* YYMMDDHHMMSSZ, as in openssl ca's index.txt (UTCTime, years < 2050). */
static void
index_tm(const struct tm *tm, char out[16])
{
	char full[32];

	strftime(full, sizeof(full), "%Y%m%d%H%M%SZ", tm);
	memcpy(out, full + 2, 13);
	out[13] = '\0';
}

static void
index_time(time_t t, char out[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	index_tm(&tm, out);
}

struct cert {
	X509 *x;
	char serial[2 * 20 + 1];
	int revoked;
};

/* One pre-signed response: good or revoked (keyCompromise at rev_time). */
static unsigned char *
make_response(X509 *leaf, X509 *ca, EVP_PKEY *key, int is_sm2, int revoked,
    time_t rev_time, time_t now, int *out_len)
{
	OCSP_CERTID *id;
	OCSP_BASICRESP *bs;
	OCSP_RESPONSE *resp;
	ASN1_TIME *thisupd, *nextupd, *revtime = NULL;
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;

	if ((id = OCSP_cert_to_id(EVP_sha1(), leaf, ca)) == NULL)
		ossl_die("OCSP_cert_to_id");
	if ((bs = OCSP_BASICRESP_new()) == NULL)
		ossl_die("OCSP_BASICRESP_new");
	thisupd = ASN1_TIME_set(NULL, now);
	nextupd = ASN1_TIME_set(NULL, now + 86400);
	if (revoked)
		revtime = ASN1_TIME_set(NULL, rev_time);
	if (thisupd == NULL || nextupd == NULL || (revoked && revtime == NULL))
		ossl_die("ASN1_TIME_set");
	if (OCSP_basic_add1_status(bs, id,
	        revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
	        revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1, revtime,
	        thisupd, nextupd) == NULL)
		ossl_die("OCSP_basic_add1_status");
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		ossl_die("EVP_MD_CTX_new");
	if (EVP_DigestSignInit_ex(mctx, &pctx, is_sm2 ? "SM3" : "SHA256", NULL,
	        NULL, key, NULL) != 1)
		ossl_die("EVP_DigestSignInit_ex");
	if (is_sm2 &&
	    EVP_PKEY_CTX_set1_id(pctx, EGCA_SM2_ID, EGCA_SM2_ID_LEN) != 1)
		ossl_die("EVP_PKEY_CTX_set1_id");
	if (OCSP_basic_sign_ctx(bs, ca, mctx, NULL, OCSP_NOCERTS) != 1)
		ossl_die("OCSP_basic_sign_ctx");
	if ((resp = OCSP_response_create(
	         OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL)
		ossl_die("OCSP_response_create");
	if ((*out_len = i2d_OCSP_RESPONSE(resp, &der)) <= 0)
		ossl_die("i2d_OCSP_RESPONSE");
	OCSP_RESPONSE_free(resp);
	EVP_MD_CTX_free(mctx);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(revtime);
	return der;
}

/*
 * Whether the base64 of the no-nonce request for leaf has no "//": Go's
 * ServeMux (cfssl ocspserve) answers a GET whose path holds "//" with a
 * redirect, so the GET benchmark uses a certificate whose request has
 * none.
 */
static int
get_path_ok(X509 *leaf, X509 *ca)
{
	OCSP_REQUEST *req;
	OCSP_CERTID *id;
	unsigned char *der = NULL, b64[1024];
	int len, r = 0;

	if ((req = OCSP_REQUEST_new()) == NULL ||
	    (id = OCSP_cert_to_id(EVP_sha1(), leaf, ca)) == NULL ||
	    OCSP_request_add0_id(req, id) == NULL)
		ossl_die("OCSP_REQUEST");
	if ((len = i2d_OCSP_REQUEST(req, &der)) > 0 && len < 700) {
		EVP_EncodeBlock(b64, der, len);
		r = strstr((char *)b64, "//") == NULL;
	}
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return r;
}

static void
write_pem_cert(const char *dir, const char *name, X509 *x)
{
	FILE *f = open_out(dir, name, 0644);

	if (PEM_write_X509(f, x) != 1)
		ossl_die("PEM_write_X509");
	close_out(f, name);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"csr", required_argument, NULL, 'r'},
	    {"out", required_argument, NULL, 'o'},
	    {"count", required_argument, NULL, 'n'},
	    {"revoke-pct", required_argument, NULL, 'R'},
	    {"ca", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *passfile = NULL, *csrfile = NULL;
	const char *out = NULL, *ca_name = "root";
	long count = 10000, pct = 10;
	struct egca_config *cfg = NULL;
	struct egca_store *st = NULL;
	struct egca_ctx ctx;
	struct egca_issuer *is = NULL;
	struct egca_csr *csr = NULL;
	struct egca_ca_rec rec;
	struct cert *certs;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL;
	char *pass = NULL, *keypath;
	size_t pass_len = 0, csr_len;
	uint8_t *csr_der;
	time_t now = time(NULL), t0;
	long i, n_revoked = 0;
	int c, is_sm2;
	FILE *f;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'r':
			csrfile = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'R':
			pct = strtol(optarg, NULL, 10);
			break;
		case 'c':
			ca_name = optarg;
			break;
		default:
			return 2;
		}
	}
	if (dir == NULL || passfile == NULL || csrfile == NULL || out == NULL ||
	    count < 1 || count > 1000000 || pct < 0 || pct > 100) {
		fprintf(stderr,
		    "usage: bench_ocsp_mkcerts --dir DIR --passphrase-file "
		    "FILE "
		    "--csr FILE --out OUT [--count N] [--revoke-pct P] "
		    "[--ca NAME]\n");
		return 2;
	}

	ok("config", egca_config_load(dir, &cfg));
	ok("store", egca_store_open(cfg->store_uri, 0, &st));
	ctx = (struct egca_ctx){cfg, st, "bench:ocsp"};
	ok("passphrase",
	    egca_crypto_passphrase_read(passfile, 0, &pass, &pass_len));
	ok("issuer", egca_ca_issuer_open(&ctx, ca_name, pass, pass_len, &is));
	{
		char file[256];
		snprintf(file, sizeof(file), "%s.key", ca_name);
		if ((keypath = egca_file_join(cfg->keys_dir, file)) == NULL)
			die("join", EGCA_ERR_NOMEM);
	}
	ok("key", egca_crypto_key_load(keypath, pass, pass_len, &key));
	free(keypath);
	egca_crypto_passphrase_free(pass, pass_len);
	is_sm2 = EVP_PKEY_is_a(key, "SM2");

	ok("ca", egca_ca_get(&ctx, ca_name, &rec));
	{
		const unsigned char *p = rec.cert_der;
		if ((ca = d2i_X509(NULL, &p, (long)rec.cert_der_len)) == NULL)
			ossl_die("d2i_X509 (CA)");
	}

	ok("csr read", egca_file_read(csrfile, 64 * 1024, &csr_der, &csr_len));
	ok("csr parse", egca_pki_csr_parse(csr_der, csr_len, &csr));
	free(csr_der);

	if ((certs = calloc((size_t)count, sizeof(*certs))) == NULL)
		die("calloc", EGCA_ERR_NOMEM);
	t0 = time(NULL);
	for (i = 0; i < count; i++) {
		struct egca_issue_req req;
		struct egca_issue_result res;
		char subject[128], dns[64];
		const char *san[1] = {dns};
		const unsigned char *p;

		snprintf(subject, sizeof(subject),
		    "C=CN,O=Bench,CN=leaf%06ld.bench.test", i);
		snprintf(dns, sizeof(dns), "leaf%06ld.bench.test", i);
		memset(&req, 0, sizeof(req));
		memset(&res, 0, sizeof(res));
		req.profile = "tls-server";
		req.csr = csr;
		req.subject = subject;
		req.san_dns = san;
		req.n_san_dns = 1;
		ok("issue", egca_ca_issue(&ctx, is, &req, &res));
		p = res.der;
		if ((certs[i].x = d2i_X509(NULL, &p, (long)res.der_len)) ==
		    NULL)
			ossl_die("d2i_X509 (leaf)");
		memcpy(certs[i].serial, res.serial, sizeof(certs[i].serial));
		free(res.der);
		if (pct > 0 && (i % 100) < pct) {
			ok("revoke",
			    egca_ca_cert_set_status(&ctx, ca_name, res.serial,
			        EGCA_ACTION_REVOKE, 1, 0));
			certs[i].revoked = 1;
			n_revoked++;
		}
	}
	fprintf(stderr,
	    "bench_ocsp_mkcerts: %ld issued, %ld revoked in %lds (CA %s, "
	    "%s)\n",
	    count, n_revoked, (long)(time(NULL) - t0), ca_name,
	    is_sm2 ? "SM2" : "not SM2");

	write_pem_cert(out, "ca.pem", ca);
	f = open_out(out, "ca.key", 0600);
	if (PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
		ossl_die("PEM_write_PrivateKey");
	close_out(f, "ca.key");

	{
		FILE *idx = open_out(out, "index.txt", 0644);
		FILE *b64 = open_out(out, "responses.b64", 0644);
		FILE *ser = open_out(out, "serials.txt", 0644);
		int wrote_good = 0, wrote_rev = 0;
		char exp[16], rev[16], dn[512];
		unsigned char *der;
		int der_len;

		index_time(now, rev);
		for (i = 0; i < count; i++) {
			const ASN1_TIME *na = X509_get0_notAfter(certs[i].x);
			struct tm tm;
			char *s;
			BIO *mem, *b;
			BUF_MEM *bm;

			if (ASN1_TIME_to_tm(na, &tm) != 1)
				ossl_die("ASN1_TIME_to_tm");
			index_tm(&tm, exp);
			X509_NAME_oneline(
			    X509_get_subject_name(certs[i].x), dn, sizeof(dn));
			/* openssl ocsp looks serials up as BN_bn2hex: upper. */
			for (s = certs[i].serial; *s; s++)
				if (*s >= 'a' && *s <= 'f')
					*s = (char)(*s - 'a' + 'A');
			if (strlen(certs[i].serial) % 2 == 1) {
				memmove(certs[i].serial + 1, certs[i].serial,
				    strlen(certs[i].serial) + 1);
				certs[i].serial[0] = '0';
			}
			fprintf(idx, "%s\t%s\t%s\t%s\tunknown\t%s\n",
			    certs[i].revoked ? "R" : "V", exp,
			    certs[i].revoked ? rev : "", certs[i].serial, dn);
			fprintf(ser, "%s %s\n", certs[i].serial,
			    certs[i].revoked ? "revoked" : "good");

			der = make_response(certs[i].x, ca, key, is_sm2,
			    certs[i].revoked, now, now, &der_len);
			mem = BIO_new(BIO_s_mem());
			b = BIO_new(BIO_f_base64());
			if (mem == NULL || b == NULL)
				ossl_die("BIO_new");
			BIO_set_flags(b, BIO_FLAGS_BASE64_NO_NL);
			b = BIO_push(b, mem);
			if (BIO_write(b, der, der_len) != der_len ||
			    BIO_flush(b) != 1)
				ossl_die("base64");
			BIO_get_mem_ptr(mem, &bm);
			fwrite(bm->data, 1, bm->length, b64);
			fputc('\n', b64);
			BIO_free_all(b);

			if (!certs[i].revoked && !wrote_good &&
			    get_path_ok(certs[i].x, ca)) {
				FILE *r = open_out(out, "resp-good.der", 0644);
				fwrite(der, 1, (size_t)der_len, r);
				close_out(r, "resp-good.der");
				write_pem_cert(
				    out, "leaf-good.pem", certs[i].x);
				wrote_good = 1;
			}
			if (certs[i].revoked && !wrote_rev) {
				FILE *r =
				    open_out(out, "resp-revoked.der", 0644);
				fwrite(der, 1, (size_t)der_len, r);
				close_out(r, "resp-revoked.der");
				write_pem_cert(
				    out, "leaf-revoked.pem", certs[i].x);
				wrote_rev = 1;
			}
			OPENSSL_free(der);
			X509_free(certs[i].x);
		}
		close_out(idx, "index.txt");
		close_out(b64, "responses.b64");
		close_out(ser, "serials.txt");
	}

	free(certs);
	X509_free(ca);
	egca_store_ca_rec_free(&rec);
	EVP_PKEY_free(key);
	egca_pki_csr_free(csr);
	egca_ca_issuer_free(is);
	egca_store_close(st);
	egca_config_free(cfg);
	return 0;
}
