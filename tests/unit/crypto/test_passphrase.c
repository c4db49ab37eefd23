/* Unit tests for src/crypto/passphrase.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <openssl/crypto.h>

#include "egca/crypto.h"

#include "crypto_test.h"

static void
expect_file(
    const char *content, int confirm, enum egca_err want, const char *want_pass)
{
	const char *path;
	char *pass = NULL;
	size_t len = 99;

	path = test_path("passfile");
	test_write(path, content, strlen(content));
	assert_int_equal(
	    egca_crypto_passphrase_read(path, confirm, &pass, &len), want);
	if (want != EGCA_OK) {
		assert_null(pass);
		assert_int_equal(len, 0);
		return;
	}
	assert_non_null(pass);
	assert_int_equal(len, strlen(want_pass));
	assert_string_equal(pass, want_pass);
	egca_crypto_passphrase_free(pass, len);
}

static void
test_file(void **state)
{
	char *pass = NULL;
	size_t len;

	(void)state;
	expect_file("secret-pass\r\nsecond line\n", 0, EGCA_OK, "secret-pass");
	expect_file("no newline", 0, EGCA_OK, "no newline");
	expect_file("  spaces kept  \n", 0, EGCA_OK, "  spaces kept  ");
	expect_file("short\n", 0, EGCA_OK, "short");
	expect_file("long enough\n", 1, EGCA_OK, "long enough");
	/* Negative: empty first line, empty file, too short for a key. */
	expect_file("\nsecond line\n", 0, EGCA_ERR_INPUT, NULL);
	expect_file("\r\n", 0, EGCA_ERR_INPUT, NULL);
	expect_file("", 0, EGCA_ERR_INPUT, NULL);
	expect_file("short\n", 1, EGCA_ERR_POLICY, NULL);
	expect_file("1234567\n", 1, EGCA_ERR_POLICY, NULL);
	expect_file("12345678\n", 1, EGCA_OK, "12345678");
	assert_int_not_equal(egca_crypto_passphrase_read(
	                         test_path("no-such-file"), 0, &pass, &len),
	    EGCA_OK);
	assert_null(pass);
	egca_crypto_passphrase_free(NULL, 0);
}

/* Reads from the pty master until want appears; returns what came. */
static void
pty_expect(int fd, const char *want, char *seen, size_t seen_max)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t n = strlen(seen);
	ssize_t r;

	while (strstr(seen, want) == NULL) {
		assert_true(poll(&pfd, 1, 5000) == 1);
		r = read(fd, seen + n, seen_max - n - 1);
		assert_true(r > 0);
		n += (size_t)r;
		seen[n] = '\0';
	}
}

/*
 * The terminal path, through a pseudo-terminal: the prompt, the
 * confirmation, and no echo of the passphrase.
 */
static void
tty_run(const char *first, const char *second, enum egca_err want)
{
	char seen[4096] = "";
	int fd, st, report[2];
	pid_t pid;
	ssize_t r;
	uint8_t rc;

	assert_int_equal(pipe(report), 0);
	pid = forkpty(&fd, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		char *pass = NULL;
		size_t len = 0;

		close(report[0]);
		alarm(10);
		rc = (uint8_t)egca_crypto_passphrase_read(NULL, 1, &pass, &len);
		if (rc == EGCA_OK &&
		    (len != strlen(first) || strcmp(pass, first) != 0))
			rc = 0xff;
		egca_crypto_passphrase_free(pass, len);
		if (write(report[1], &rc, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(report[1]);
	pty_expect(fd, "New passphrase: ", seen, sizeof(seen));
	assert_true(write(fd, first, strlen(first)) > 0);
	assert_true(write(fd, "\n", 1) == 1);
	pty_expect(fd, "Repeat passphrase: ", seen, sizeof(seen));
	assert_true(write(fd, second, strlen(second)) > 0);
	assert_true(write(fd, "\n", 1) == 1);
	r = read(report[0], &rc, 1);
	assert_int_equal(r, 1);
	assert_int_equal(rc, want);
	/* Drain the rest; the passphrase never appeared. */
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		size_t n = strlen(seen);

		if (poll(&pfd, 1, 200) != 1)
			break;
		if ((r = read(fd, seen + n, sizeof(seen) - n - 1)) <= 0)
			break;
		seen[n + (size_t)r] = '\0';
	}
	assert_null(strstr(seen, first));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
	close(report[0]);
}

static void
test_tty(void **state)
{
	(void)state;
	tty_run("a good passphrase", "a good passphrase", EGCA_OK);
	tty_run("a good passphrase", "another one", EGCA_ERR_INPUT);
	tty_run("short", "short", EGCA_ERR_POLICY);
}

/* Last: the secure heap it sets up stays for the rest of the process. */
static void
test_harden(void **state)
{
	struct rlimit rl;
	char *pass = NULL;
	size_t len;

	(void)state;
	egca_crypto_harden_process();
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_true(CRYPTO_secure_malloc_initialized());
	/* Twice is harmless. */
	egca_crypto_harden_process();

	test_write(test_path("passfile"), "in the secure heap\n", 19);
	assert_int_equal(
	    egca_crypto_passphrase_read(test_path("passfile"), 0, &pass, &len),
	    EGCA_OK);
	assert_true(CRYPTO_secure_allocated(pass));
	egca_crypto_passphrase_free(pass, len);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_tty),
	    cmocka_unit_test(test_harden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
