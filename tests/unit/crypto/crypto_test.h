/*
 * Helpers shared by the crypto/ unit tests: a private temp directory,
 * running the openssl command line, writing keys as PEM for it.
 */
#ifndef EGCA_CRYPTO_TEST_H
#define EGCA_CRYPTO_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "egca/file.h"

#define UNUSED_OK __attribute__((unused))

/* A fresh directory under $EGCA_TEST_TMP (or /tmp); static storage. */
static UNUSED_OK const char *
test_tmpdir(void)
{
	static char dir[4096];
	const char *base;

	if (dir[0] != '\0')
		return dir;
	if ((base = getenv("EGCA_TEST_TMP")) == NULL || *base == '\0')
		base = "/tmp";
	if (egca_file_mkdirs(base, 0700) != EGCA_OK)
		abort();
	snprintf(dir, sizeof(dir), "%s/crypto-XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	return dir;
}

/* path of name in the temp directory; static storage, 4 rotating. */
static UNUSED_OK const char *
test_path(const char *name)
{
	static char paths[4][8192];
	static int i;

	i = (i + 1) % 4;
	snprintf(paths[i], sizeof(paths[i]), "%s/%s", test_tmpdir(), name);
	return paths[i];
}

/* Runs a shell command, output discarded; returns its exit status. */
static UNUSED_OK int
test_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 16 >= sizeof(cmd))
		abort();
	strcat(cmd, " >/dev/null 2>&1");
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static UNUSED_OK void
test_write(const char *path, const void *data, size_t len)
{
	FILE *f;

	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (len > 0 && fwrite(data, 1, len, f) != len)
		abort();
	if (fclose(f) != 0)
		abort();
}

static UNUSED_OK void
test_write_pubkey(const char *path, const EVP_PKEY *k)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (PEM_write_PUBKEY(f, k) != 1)
		abort();
	fclose(f);
}

/* Unencrypted, for the openssl command line in tests only. */
static UNUSED_OK void
test_write_privkey(const char *path, const EVP_PKEY *k)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	fclose(f);
}

static UNUSED_OK EVP_PKEY *
test_read_privkey(const char *path)
{
	FILE *f;
	EVP_PKEY *k;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static UNUSED_OK size_t
test_read(const char *path, uint8_t *buf, size_t max)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		abort();
	n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

#endif
