/*
 * Identity numbers (src/ra/ident.c): GB 32100 credit codes, GB 11714
 * organisation codes, GB 11643 identity numbers. Valid vectors are
 * published examples or were computed by tests/unit/ra/gen_vectors.py
 * (written from the standards, not from ident.c); every invalid vector
 * breaks exactly one rule and carries correct check characters
 * otherwise, so the test sees the rule it names refuse it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "egca/ra.h"

/* 2026-06-01 00:00:00 China Standard Time (2026-05-31T16:00:00Z). */
#define NOW INT64_C(1780243200)

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static const char *const uscc_valid[] = {
    /* Published examples (hutool's tests, validator examples). */
    "91310115591693856A",
    "91310110666007217T",
    "91230184MA1BUFLT44",
    "92371000MA3MXH0E3W",
    "91350503MA31DKY80A",
    "91350200MA31E12PXF",
    "91440101MA5CJQ4N59",
    "913502000728319549",
    "123502001549897397",
    "9135021359498494XQ",
    "91350213678251743X",
    "91350200MA2YJ1XR9G",
    /* Computed: every registration authority, national region. */
    "91110000MA01ABCD52",
    "11100000000013127D",
    "12440300455741235G",
    "31110000E00000125T",
    "513100005000077783",
    "N2330100MA2H00014H",
    "Y1650000MA77QW013R",
    "A1110000MA00000K04",
    "93440300MA5FXX018W",
    "341100000000000198",
    "91810000MA01ABCD51",
};

static const char *const org_valid[] = {
    "D2143569-X",
    "D2143569X",
    "MA1BUFLT-4",
    "00001312-7",
    "12345678-8",
    "ABCDEFGH-5",
    "A0000003-8",
    "59169385-6",
    "666007217",
    "MA5CJQ4N-5",
};

static const char *const id_valid[] = {
    "11010519491231002X", /* GB 11643-1999's own example */
    "440304198002291236", /* 29 Feb of a leap year */
    "110105200002290013", /* 29 Feb 2000 (divisible by 400) */
    "310115200001010016", "650102190001010083", /* 1900-01-01, the earliest */
    "630103190002280061", "810000199006151232", /* Hong Kong */
    "830000200109110037", /* residence permit, Taiwan residents */
    "710000198001010010", "510101201612319999", "110105198001010024",
    "220101197203010036", "540102199909090023", "370203202402290012",
    "110105202606010018", /* born today (CST) */
};

struct bad {
	const char *value;
	const char *rule; /* expected start of the detail */
};

static const struct bad uscc_bad[] = {
    {NULL, "uscc: missing"},
    {"", "uscc: missing"},
    {"91310115591693856", "uscc: length"},
    {"91310115591693856AA", "uscc: length"},
    {"9131011559169385", "uscc: length"},
    {"91310115591693856a", "uscc: character 18"},
    {"91310115591693856I", "uscc: character 18"},
    {"9131011559169385O6", "uscc: character 17"},
    {"91310115591693856S", "uscc: character 18"},
    {"913101155V1693856A", "uscc: character 10"},
    {"Z1310115591693856A", "uscc: character 1"},
    {"91310115 91693856A", "uscc: character 9"},
    {"91310115-591693856", "uscc: character 9"},
    {"\xe4\xb8\x80"
     "10115591693856A",
        "uscc: character 1"},
    {"01110000MA01ABCD5B", "uscc: registration authority"},
    {"B1110000MA01ABCD50", "uscc: registration authority"},
    {"94110000MA01ABCD5Q", "uscc: organisation type"},
    {"Y2110000MA01ABCD59", "uscc: organisation type"},
    {"55110000MA01ABCD5R", "uscc: organisation type"},
    {"36110000MA01ABCD5Q", "uscc: organisation type"},
    {"911A0000MA01ABCD57", "uscc: region code"},
    {"91990000MA01ABCD5Q", "uscc: region code"},
    {"91000000MA01ABCD57", "uscc: region code"},
    {"91830000MA01ABCD59", "uscc: region code"},
    {"91110000MA01ABCD65", "uscc: organisation code check character"},
    {"91310115591693856B", "uscc: check character"},
    {"91310115591693856Y", "uscc: check character"},
    /* Early pilot codes that predate the rule (see ident.c). */
    {"91350211M00013FA1N", "uscc: check character"},
    {"91350203M0001QAY9B", "uscc: check character"},
};

static const struct bad org_bad[] = {
    {NULL, "org_code: missing"},
    {"", "org_code: missing"},
    {"D2143569-1", "org_code: check character is wrong"},
    {"D21435690", "org_code: check character is wrong"},
    {"12345678-9", "org_code: check character is wrong"},
    {"d2143569-X", "org_code: character 1"},
    {"D2143569-x", "org_code: check character must be"},
    {"12345678-A", "org_code: check character must be"},
    {"D2143569_X", "org_code: length"},
    {"D214356-9X", "org_code: length"},
    {"D2143569", "org_code: length"},
    {"D2143569-X0", "org_code: length"},
    {"D2143569--X", "org_code: length"},
    {"D214 569-X", "org_code: character 5"},
};

static const struct bad id_bad[] = {
    {NULL, "id_card: missing"},
    {"", "id_card: missing"},
    {"110105491231002", "id_card: length"}, /* first generation */
    {"11010519491231002", "id_card: length"},
    {"11010519491231002X0", "id_card: length"},
    {"11010519491231002x", "id_card: check character must be"},
    {"11010519491231002Y", "id_card: check character must be"},
    {"1101051949123100XX", "id_card: character 17"},
    {"A1010519491231002X", "id_card: character 1"},
    {"110105 9491231002X", "id_card: character 7"},
    {"11010519491231002 ", "id_card: check character must be"},
    {"110105194912310021", "id_card: check character is wrong"},
    {"110105194912310020", "id_card: check character is wrong"},
    {"001234198001010019", "id_card: region"},
    {"990101198001010014", "id_card: region"},
    {"100000198001010017", "id_card: region"},
    {"110105198013010013", "id_card: birth date"},
    {"110105198000010014", "id_card: birth date"},
    {"110105198001000010", "id_card: birth date"},
    {"110105199904310014", "id_card: birth date"},
    {"110105202302290014", "id_card: birth date"}, /* not a leap year */
    {"110105190002290017", "id_card: birth date"}, /* 1900: not leap */
    {"110105189912310015", "id_card: birth date is before 1900"},
    {"440524188001010014", "id_card: birth date is before 1900"},
    {"110105202606020013", "id_card: birth date is in the future"},
    {"110105299912310012", "id_card: birth date is in the future"},
};

static void
expect_refused(enum egca_err e, const char *value, const char *rule)
{
	const char *detail = egca_err_detail();

	if (e != EGCA_ERR_INPUT)
		fail_msg("%s: %s, expected EGCA_ERR_INPUT (%s)",
		    value ? value : "(null)", egca_err_name(e), rule);
	if (strncmp(detail, rule, strlen(rule)) != 0)
		fail_msg("%s: detail \"%s\", expected \"%s...\"",
		    value ? value : "(null)", detail, rule);
	/* The value is personal data: never echoed in the detail. */
	if (value != NULL && strlen(value) >= 8 && strstr(detail, value))
		fail_msg("%s: detail echoes the value", value);
}

static void
test_uscc_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uscc_valid) / sizeof(uscc_valid[0]); i++)
		if (egca_ra_uscc_check(uscc_valid[i]) != EGCA_OK)
			fail_msg(
			    "%s refused: %s", uscc_valid[i], egca_err_detail());
}

static void
test_uscc_invalid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uscc_bad) / sizeof(uscc_bad[0]); i++)
		expect_refused(egca_ra_uscc_check(uscc_bad[i].value),
		    uscc_bad[i].value, uscc_bad[i].rule);
}

/* Every other check character of every valid code is refused. */
static void
test_uscc_every_wrong_check(void **state)
{
	char s[19];
	size_t i, j, n = 0;

	(void)state;
	for (i = 0; i < sizeof(uscc_valid) / sizeof(uscc_valid[0]); i++) {
		for (j = 0; uscc_alphabet[j] != '\0'; j++) {
			memcpy(s, uscc_valid[i], sizeof(s));
			if (s[17] == uscc_alphabet[j])
				continue;
			s[17] = uscc_alphabet[j];
			expect_refused(
			    egca_ra_uscc_check(s), s, "uscc: check character");
			n++;
		}
	}
	assert_int_equal(n, 30 * (sizeof(uscc_valid) / sizeof(uscc_valid[0])));
}

/* A single changed character in the body is caught by a check. */
static void
test_uscc_single_substitution(void **state)
{
	char s[19];
	size_t i, j;

	(void)state;
	for (i = 8; i < 17; i++) {
		for (j = 0; uscc_alphabet[j] != '\0'; j++) {
			memcpy(s, "91310115591693856A", sizeof(s));
			if (s[i] == uscc_alphabet[j])
				continue;
			s[i] = uscc_alphabet[j];
			assert_int_equal(egca_ra_uscc_check(s), EGCA_ERR_INPUT);
		}
	}
}

static void
test_orgcode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(org_valid) / sizeof(org_valid[0]); i++)
		if (egca_ra_orgcode_check(org_valid[i]) != EGCA_OK)
			fail_msg(
			    "%s refused: %s", org_valid[i], egca_err_detail());
	for (i = 0; i < sizeof(org_bad) / sizeof(org_bad[0]); i++)
		expect_refused(egca_ra_orgcode_check(org_bad[i].value),
		    org_bad[i].value, org_bad[i].rule);
}

/* The organisation code inside each valid USCC is a valid org code. */
static void
test_orgcode_inside_uscc(void **state)
{
	char org[11];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uscc_valid) / sizeof(uscc_valid[0]); i++) {
		snprintf(org, sizeof(org), "%.8s-%c", uscc_valid[i] + 8,
		    uscc_valid[i][16]);
		assert_int_equal(egca_ra_orgcode_check(org), EGCA_OK);
	}
}

static void
test_idcard_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(id_valid) / sizeof(id_valid[0]); i++)
		if (egca_ra_idcard_check(id_valid[i], NOW) != EGCA_OK)
			fail_msg(
			    "%s refused: %s", id_valid[i], egca_err_detail());
}

static void
test_idcard_invalid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(id_bad) / sizeof(id_bad[0]); i++)
		expect_refused(egca_ra_idcard_check(id_bad[i].value, NOW),
		    id_bad[i].value, id_bad[i].rule);
}

static void
test_idcard_every_wrong_check(void **state)
{
	static const char checks[] = "0123456789X";
	char s[19];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(id_valid) / sizeof(id_valid[0]); i++) {
		for (j = 0; checks[j] != '\0'; j++) {
			memcpy(s, id_valid[i], sizeof(s));
			if (s[17] == checks[j])
				continue;
			s[17] = checks[j];
			expect_refused(egca_ra_idcard_check(s, NOW), s,
			    "id_card: check character is wrong");
		}
	}
}

/*
 * "Not after now" is a date in China Standard Time: at 23:59:59 CST on
 * 31 May (15:59:59 UTC) a birth on 1 June is still in the future, one
 * second later it is today.
 */
static void
test_idcard_today_cst(void **state)
{
	(void)state;
	expect_refused(egca_ra_idcard_check("110105202606010018", NOW - 1),
	    "110105202606010018", "id_card: birth date is in the future");
	assert_int_equal(
	    egca_ra_idcard_check("110105202606010018", NOW), EGCA_OK);
	/* Around the epoch, where the division must floor. */
	assert_int_equal(
	    egca_ra_idcard_check("110105197001010011", -1), EGCA_OK);
	expect_refused(egca_ra_idcard_check("110105197001020017", -1),
	    "110105197001020017", "id_card: birth date is in the future");
	assert_int_equal(
	    egca_ra_idcard_check("110105197001020017", INT64_C(16) * 3600 + 1),
	    EGCA_OK);
	/* Extreme clocks do not overflow. */
	assert_int_equal(
	    egca_ra_idcard_check("11010519491231002X", INT64_MAX), EGCA_OK);
	expect_refused(egca_ra_idcard_check("11010519491231002X", INT64_MIN),
	    "11010519491231002X", "id_card: birth date is in the future");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uscc_valid),
	    cmocka_unit_test(test_uscc_invalid),
	    cmocka_unit_test(test_uscc_every_wrong_check),
	    cmocka_unit_test(test_uscc_single_substitution),
	    cmocka_unit_test(test_orgcode),
	    cmocka_unit_test(test_orgcode_inside_uscc),
	    cmocka_unit_test(test_idcard_valid),
	    cmocka_unit_test(test_idcard_invalid),
	    cmocka_unit_test(test_idcard_every_wrong_check),
	    cmocka_unit_test(test_idcard_today_cst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
