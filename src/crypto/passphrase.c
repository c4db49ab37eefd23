/*
 * Passphrases and process hardening. Passphrases come from a file (its
 * first line) or from the controlling terminal with echo off, never
 * from argv or the environment, and live in the OpenSSL secure heap.
 *
 * Not handled: a signal that arrives while the terminal is in no-echo
 * mode leaves it so (as with getpass(3)); `stty echo` restores it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/log.h"

/* Longest passphrase accepted, and the size of a passphrase file. */
#define PASS_MAX 1024
#define PASS_FILE_MAX ((size_t)64 << 10)
/* Shortest passphrase for protecting a new key. */
#define PASS_MIN 8

void
egca_crypto_passphrase_free(char *pass, size_t pass_len)
{
	if (pass == NULL)
		return;
	OPENSSL_secure_clear_free(pass, pass_len + 1);
}

static enum egca_err
from_file(const char *file, char **pass, size_t *pass_len)
{
	uint8_t *data = NULL;
	size_t len, n;
	char *p;
	enum egca_err rc;

	if ((rc = egca_file_read(file, PASS_FILE_MAX, &data, &len)) != EGCA_OK)
		return rc;
	for (n = 0; n < len && data[n] != '\n'; n++)
		continue;
	if (n > 0 && data[n - 1] == '\r')
		n--;
	if (n == 0) {
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "passphrase file %s: the first line is empty", file);
		goto out;
	}
	if (n > PASS_MAX || memchr(data, '\0', n) != NULL) {
		rc = egca_err_set(EGCA_ERR_INPUT,
		    "passphrase file %s: the first line is longer than %d "
		    "bytes or holds a NUL",
		    file, PASS_MAX);
		goto out;
	}
	if ((p = OPENSSL_secure_malloc(n + 1)) == NULL) {
		rc = egca_err_set(EGCA_ERR_NOMEM, "passphrase");
		goto out;
	}
	memcpy(p, data, n);
	p[n] = '\0';
	*pass = p;
	*pass_len = n;
	rc = EGCA_OK;
out:
	OPENSSL_cleanse(data, len);
	free(data);
	return rc;
}

static void
tty_write(int fd, const char *s)
{
	size_t off = 0, len = strlen(s);
	ssize_t n;

	while (off < len) {
		n = write(fd, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* Reads one line from the terminal fd with echo off. */
static enum egca_err
tty_line(int fd, const char *prompt, char **pass, size_t *pass_len)
{
	struct termios old, quiet;
	char *p, c;
	size_t n = 0;
	ssize_t r;
	int restore = 0;
	enum egca_err rc;

	if ((p = OPENSSL_secure_malloc(PASS_MAX + 2)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "passphrase");
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
		quiet.c_lflag |= ECHONL;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	if (!restore) {
		rc = egca_err_set(EGCA_ERR_IO,
		    "cannot turn terminal echo off: %s", strerror(errno));
		goto out;
	}
	tty_write(fd, prompt);
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = egca_err_set(EGCA_ERR_IO,
			    "reading the passphrase: %s", strerror(errno));
			goto out;
		}
		if (r == 0 || c == '\n')
			break;
		if (n >= PASS_MAX) {
			rc = egca_err_set(EGCA_ERR_INPUT,
			    "passphrase longer than %d bytes", PASS_MAX);
			goto out;
		}
		p[n++] = c;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	if (n == 0) {
		rc = egca_err_set(EGCA_ERR_INPUT, "empty passphrase");
		goto out;
	}
	/* Exactly n + 1 bytes: passphrase_free is told the length. */
	if ((*pass = OPENSSL_secure_malloc(n + 1)) == NULL) {
		rc = egca_err_set(EGCA_ERR_NOMEM, "passphrase");
		goto out;
	}
	memcpy(*pass, p, n + 1);
	*pass_len = n;
	rc = EGCA_OK;
out:
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	OPENSSL_secure_clear_free(p, PASS_MAX + 2);
	return rc;
}

/* prompt, then repeat (when not NULL) which must match. */
static enum egca_err
from_tty(const char *prompt, const char *repeat, char **pass, size_t *pass_len)
{
	char *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0;
	int fd;
	enum egca_err rc;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return egca_err_set(EGCA_ERR_USAGE,
		    "no terminal to read the passphrase from (%s); use a "
		    "passphrase file",
		    strerror(errno));
	if ((rc = tty_line(fd, prompt, &a, &a_len)) != EGCA_OK)
		goto out;
	if (repeat != NULL) {
		if ((rc = tty_line(fd, repeat, &b, &b_len)) != EGCA_OK)
			goto out;
		if (a_len != b_len || CRYPTO_memcmp(a, b, a_len) != 0) {
			rc = egca_err_set(
			    EGCA_ERR_INPUT, "the two entries do not match");
			goto out;
		}
	}
	*pass = a;
	*pass_len = a_len;
	a = NULL;
	rc = EGCA_OK;
out:
	egca_crypto_passphrase_free(a, a_len);
	egca_crypto_passphrase_free(b, b_len);
	close(fd);
	return rc;
}

enum egca_err
egca_crypto_passphrase_read(
    const char *file, int confirm, char **pass, size_t *pass_len)
{
	char *p = NULL;
	size_t n = 0;
	enum egca_err rc;

	*pass = NULL;
	*pass_len = 0;
	if (file != NULL)
		rc = from_file(file, &p, &n);
	else
		rc = from_tty(confirm ? "New passphrase: " : "Passphrase: ",
		    confirm ? "Repeat passphrase: " : NULL, &p, &n);
	if (rc != EGCA_OK)
		return rc;
	if (confirm && n < PASS_MIN) {
		egca_crypto_passphrase_free(p, n);
		return egca_err_set(EGCA_ERR_POLICY,
		    "passphrase shorter than %d bytes", PASS_MIN);
	}
	*pass = p;
	*pass_len = n;
	return EGCA_OK;
}

enum egca_err
egca_crypto_secret_read(const char *file, const char *prompt,
    const char *repeat, char **secret, size_t *secret_len)
{
	*secret = NULL;
	*secret_len = 0;
	if (file != NULL)
		return from_file(file, secret, secret_len);
	return from_tty(prompt, repeat, secret, secret_len);
}

void
egca_crypto_harden_process(void)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		egca_log_warn("event=harden step=rlimit_core error=\"%s\"",
		    strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		egca_log_warn(
		    "event=harden step=dumpable error=\"%s\"", strerror(errno));
	if (!CRYPTO_secure_malloc_initialized() &&
	    CRYPTO_secure_malloc_init(1 << 20, 16) == 0)
		egca_log_warn("event=harden step=secure_heap "
		              "error=\"CRYPTO_secure_malloc_init failed\"");
}
