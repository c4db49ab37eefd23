/*
 * Identity numbers (include/egca/ra.h, "Identity numbers"): pure
 * functions, no I/O, safe on any NUL-terminated input.
 *
 *   GB 32100-2015  unified social credit code (统一社会信用代码)
 *   GB 11714-1997  organisation code (组织机构代码)
 *   GB 11643-1999  resident identity number (公民身份号码)
 *
 * Every refusal is EGCA_ERR_INPUT with a detail that starts with the
 * field ("uscc", "org_code", "id_card") and the rule that failed. The
 * value itself is never echoed: an identity number is personal data.
 *
 * What is not checked: that a number was ever issued, the region code
 * of an identity number beyond its province (numbers keep the county
 * code of their first registration, which may since have been
 * retired), the sex or sequence digits, and the earliest pilot credit
 * codes (some in Xiamen, 2014-2015) that predate the standard's check
 * character rule and fail it.
 */
#include <string.h>

#include "egca/ra.h"

/* ---- GB 32100-2015 ---- */

/* The 31 characters of GB 32100 in value order: no I, O, S, V, Z. */
static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int
uscc_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(uscc_alphabet, c)) == NULL)
		return -1;
	return (int)(p - uscc_alphabet);
}

/*
 * Registration authority code (character 1) and the organisation type
 * codes (character 2) each one may use: GB 32100-2015 table 1 with the
 * later assignments A (军委改革和编制办公室) and N (农业) published by
 * the national credit-code centre. 1 机构编制: 机关, 事业单位, 群众团体,
 * 其他; 2 外交; 3 司法行政: 律师, 公证, 基层法律服务, 司法鉴定, 仲裁,
 * 其他; 4 文化; 5 民政: 社会团体, 民办非企业单位, 基金会, 其他;
 * 6 旅游; 7 宗教; 8 工会; 9 工商: 企业, 个体工商户, 农民专业合作社;
 * Y 其他: always 1. A registration authority outside this table is
 * refused: the table is closed and new authorities are rare enough to
 * be added here when they are published.
 */
static const struct {
	char authority;
	const char *types;
} uscc_types[] = {
    {'1', "1239"},
    {'2', "19"},
    {'3', "123459"},
    {'4', "19"},
    {'5', "1239"},
    {'6', "129"},
    {'7', "129"},
    {'8', "19"},
    {'9', "123"},
    {'A', "19"},
    {'N', "1239"},
    {'Y', "1"},
};

/* GB 11714-1997 check character of the eight characters at s. */
static char
org_check_char(const char *s)
{
	static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
	int i, sum = 0, c;

	for (i = 0; i < 8; i++)
		sum += (s[i] <= '9' ? s[i] - '0' : s[i] - 'A' + 10) * w[i];
	c = 11 - sum % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

static int
org_body_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

enum egca_err
egca_ra_uscc_check(const char *s)
{
	/* 3^i mod 31, as the standard lists them. */
	static const int w[17] = {
	    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	char province[7];
	size_t i;
	int sum = 0, v, check;

	if (s == NULL || *s == '\0')
		return egca_err_set(EGCA_ERR_INPUT, "uscc: missing");
	if (strnlen(s, 19) != 18)
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: length: must be 18 characters (GB 32100)");
	for (i = 0; i < 18; i++)
		if (uscc_value(s[i]) < 0)
			return egca_err_set(EGCA_ERR_INPUT,
			    "uscc: character %zu is outside the GB 32100 "
			    "alphabet (0-9, A-Z without I O S V Z)",
			    i + 1);
	for (i = 0; i < sizeof(uscc_types) / sizeof(uscc_types[0]); i++)
		if (uscc_types[i].authority == s[0])
			break;
	if (i == sizeof(uscc_types) / sizeof(uscc_types[0]))
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: registration authority: '%c' (character 1) is "
		    "not a GB 32100 registration authority code",
		    s[0]);
	if (strchr(uscc_types[i].types, s[1]) == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: organisation type: '%c' (character 2) is not a "
		    "type of registration authority '%c'",
		    s[1], s[0]);
	for (i = 2; i < 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return egca_err_set(EGCA_ERR_INPUT,
			    "uscc: region code: characters 3-8 must be "
			    "digits (GB/T 2260)");
	/*
	 * The registering office's region at the time of registration:
	 * the county may since have been merged or renamed, so only the
	 * province must exist. 100000 is the national level (central
	 * organs, bodies registered with the State Council departments).
	 */
	egca_ra_region_province(s + 2, province);
	if (memcmp(s + 2, "100000", 6) != 0 &&
	    egca_ra_region_name(province) == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: region code: %.2s is not a GB/T 2260 province",
		    s + 2);
	if (org_check_char(s + 8) != s[16])
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: organisation code check character (character "
		    "17, GB 11714) is wrong");
	for (i = 0; i < 17; i++) {
		v = uscc_value(s[i]);
		sum += v * w[i];
	}
	check = (31 - sum % 31) % 31;
	if (uscc_alphabet[check] != s[17])
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: check character (character 18, GB 32100 MOD 31) "
		    "is wrong");
	return EGCA_OK;
}

/* ---- GB 11714-1997 ---- */

enum egca_err
egca_ra_orgcode_check(const char *s)
{
	size_t i, n;
	char check;

	if (s == NULL || *s == '\0')
		return egca_err_set(EGCA_ERR_INPUT, "org_code: missing");
	n = strnlen(s, 11);
	if (!(n == 9 || (n == 10 && s[8] == '-')))
		return egca_err_set(EGCA_ERR_INPUT,
		    "org_code: length: must be XXXXXXXX-C or XXXXXXXXC "
		    "(GB 11714)");
	for (i = 0; i < 8; i++)
		if (!org_body_char(s[i]))
			return egca_err_set(EGCA_ERR_INPUT,
			    "org_code: character %zu must be 0-9 or "
			    "upper-case A-Z",
			    i + 1);
	check = s[n - 1];
	if (!((check >= '0' && check <= '9') || check == 'X'))
		return egca_err_set(EGCA_ERR_INPUT,
		    "org_code: check character must be 0-9 or upper-case X");
	if (org_check_char(s) != check)
		return egca_err_set(EGCA_ERR_INPUT,
		    "org_code: check character is wrong (GB 11714)");
	return EGCA_OK;
}

/* ---- GB 11643-1999 ---- */

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int d[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/*
 * Today's date as YYYYMMDD in China Standard Time (UTC+8, no daylight
 * saving), where the birth was registered. Arithmetic only (H. Hinnant's
 * civil_from_days), so no time zone database or locale is consulted.
 */
static int64_t
today_cst(int64_t now)
{
	int64_t days = now / 86400, secs = now % 86400, era, doe, yoe, y;
	int64_t doy, mp, d, m;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	if (secs + 8 * 3600 >= 86400)
		days++;
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	return y * 10000 + m * 100 + d;
}

enum egca_err
egca_ra_idcard_check(const char *s, int64_t now)
{
	static const int w[17] = {
	    7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const char checks[] = "10X98765432";
	char province[7];
	int i, sum = 0, y, m, d;
	int64_t birth;

	if (s == NULL || *s == '\0')
		return egca_err_set(EGCA_ERR_INPUT, "id_card: missing");
	if (strnlen(s, 19) != 18)
		return egca_err_set(EGCA_ERR_INPUT,
		    "id_card: length: must be 18 characters (GB 11643; "
		    "15-digit numbers have no check character and are "
		    "refused)");
	for (i = 0; i < 17; i++)
		if (s[i] < '0' || s[i] > '9')
			return egca_err_set(EGCA_ERR_INPUT,
			    "id_card: character %d must be a digit", i + 1);
	if (!((s[17] >= '0' && s[17] <= '9') || s[17] == 'X'))
		return egca_err_set(EGCA_ERR_INPUT,
		    "id_card: check character must be 0-9 or upper-case X");
	/*
	 * 83 is the address code of residence permits for Taiwan residents
	 * (港澳台居民居住证, 2018; 81 and 82 serve Hong Kong and Macao and
	 * are listed provinces): numbers of the same GB 11643 form.
	 */
	egca_ra_region_province(s, province);
	if (memcmp(s, "83", 2) != 0 && egca_ra_region_name(province) == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "id_card: region: %.2s (characters 1-2) is not a GB/T "
		    "2260 province",
		    s);
	y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 +
	    (s[9] - '0');
	m = (s[10] - '0') * 10 + (s[11] - '0');
	d = (s[12] - '0') * 10 + (s[13] - '0');
	if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return egca_err_set(EGCA_ERR_INPUT,
		    "id_card: birth date (characters 7-14) is not a "
		    "calendar date");
	birth = (int64_t)y * 10000 + m * 100 + d;
	if (birth < 19000101)
		return egca_err_set(
		    EGCA_ERR_INPUT, "id_card: birth date is before 1900-01-01");
	if (birth > today_cst(now))
		return egca_err_set(
		    EGCA_ERR_INPUT, "id_card: birth date is in the future");
	for (i = 0; i < 17; i++)
		sum += (s[i] - '0') * w[i];
	if (checks[sum % 11] != s[17])
		return egca_err_set(EGCA_ERR_INPUT,
		    "id_card: check character is wrong (ISO 7064 MOD 11-2)");
	return EGCA_OK;
}
