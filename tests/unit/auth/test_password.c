/*
 * Password hashing (Argon2id parameters in the encoded hash, verify,
 * the rules) and TOTP codes against RFC 6238 Appendix B (SHA-1 seed
 * "12345678901234567890"; the published values are 8 digits, egca
 * uses their last 6). Pure functions: no store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "egca/auth.h"

#define OK(x) assert_int_equal((x), EGCA_OK)

static void
test_hash_verify(void **state)
{
	char h1[256], h2[256];

	(void)state;
	OK(egca_auth_password_hash("correct horse battery", h1, sizeof(h1)));
	assert_true(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	OK(egca_auth_password_hash("correct horse battery", h2, sizeof(h2)));
	/* A fresh salt each time. */
	assert_string_not_equal(h1, h2);
	OK(egca_auth_password_verify(h1, "correct horse battery"));
	OK(egca_auth_password_verify(h2, "correct horse battery"));
	assert_int_equal(egca_auth_password_verify(h1, "correct horse batterY"),
	    EGCA_ERR_AUTH);
	assert_int_equal(egca_auth_password_verify(h1, ""), EGCA_ERR_AUTH);
	assert_int_equal(egca_auth_password_verify(h1, NULL), EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_auth_password_verify("$argon2id$garbage", "x"), EGCA_ERR_AUTH);
	/* The detail never repeats the password. */
	assert_null(strstr(egca_err_detail(), "correct horse"));
	/* Too small an output buffer is refused, not truncated. */
	assert_int_not_equal(
	    egca_auth_password_hash("correct horse battery", h1, 40), EGCA_OK);
}

static void
test_policy(void **state)
{
	char longpw[300];

	(void)state;
	OK(egca_auth_password_policy("alice", "twelve chars"));
	OK(egca_auth_password_policy("alice", "密码很长很长的一句话"));
	assert_int_equal(
	    egca_auth_password_policy("alice", "eleven char"), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "12"));
	assert_int_equal(
	    egca_auth_password_policy("alice", NULL), EGCA_ERR_POLICY);
	memset(longpw, 'a', 257);
	longpw[257] = '\0';
	assert_int_equal(
	    egca_auth_password_policy("bob", longpw), EGCA_ERR_POLICY);
	longpw[256] = '\0';
	OK(egca_auth_password_policy("bob", longpw));
	/* Not UTF-8: a lone continuation byte, an overlong '/', a surrogate. */
	assert_int_equal(egca_auth_password_policy("bob", "abcdefghijk\x80"),
	    EGCA_ERR_POLICY);
	assert_int_equal(
	    egca_auth_password_policy("bob", "abcdefghijk\xc0\xaf"),
	    EGCA_ERR_POLICY);
	assert_int_equal(
	    egca_auth_password_policy("bob", "abcdefghijk\xed\xa0\x80"),
	    EGCA_ERR_POLICY);
	assert_int_equal(
	    egca_auth_password_policy("bob", "abcdefghijk\xe4\xb8"),
	    EGCA_ERR_POLICY);
	/* The login name, in any case, anywhere. */
	assert_int_equal(
	    egca_auth_password_policy("alice", "my-ALICE-password"),
	    EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "login name"));
	assert_int_equal(egca_auth_password_policy("alice", "aliceisthebest"),
	    EGCA_ERR_POLICY);
	OK(egca_auth_password_policy("alice", "alic3 is the best"));
}

static const uint8_t rfc_seed[] = "12345678901234567890";

static const struct {
	int64_t t;
	const char *code; /* last 6 of the RFC's 8 digits */
} rfc6238[] = {
    {59, "287082"},          /* 94287082 */
    {1111111109, "081804"},  /* 07081804 */
    {1111111111, "050471"},  /* 14050471 */
    {1234567890, "005924"},  /* 89005924 */
    {2000000000, "279037"},  /* 69279037 */
    {20000000000, "353130"}, /* 65353130 */
};

static void
test_totp_rfc6238(void **state)
{
	char code[7];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
		OK(egca_auth_totp_code(rfc_seed, 20, rfc6238[i].t, code));
		assert_string_equal(code, rfc6238[i].code);
		/* The same step: the code holds for all 30 seconds. */
		OK(egca_auth_totp_code(
		    rfc_seed, 20, rfc6238[i].t / 30 * 30, code));
		assert_string_equal(code, rfc6238[i].code);
	}
	/* The next step gives another code. */
	OK(egca_auth_totp_code(rfc_seed, 20, 59 + 30, code));
	assert_string_not_equal(code, "287082");
	assert_int_equal(
	    egca_auth_totp_code(NULL, 0, 59, code), EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_auth_totp_code(rfc_seed, 20, -1, code), EGCA_ERR_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_verify),
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_totp_rfc6238),
	};

	return cmocka_run_group_tests_name("auth/password", tests, NULL, NULL);
}
