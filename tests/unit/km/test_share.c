/*
 * The master key's shares: libgfshare splitting with CSPRNG
 * coefficients, any M of N recombine it, M-1 shares or a wrong share do
 * not (the key check value tells), the check values, and the share
 * file format (round trip and every malformed line refused).
 */
#include "km_fixture.h"

static void
master_new(uint8_t m[32])
{
	assert_int_equal(egca_crypto_rand(m, 32), EGCA_OK);
}

static void
test_split_any_m_of_n(void **state)
{
	uint8_t master[32], shares[5 * 32], pick[3 * 32], idx[3], got[32];
	int a, b, c;

	(void)state;
	master_new(master);
	assert_int_equal(km_shares_split(master, 5, 3, shares), EGCA_OK);
	/* Every 3 of the 5 give the master key back. */
	for (a = 0; a < 5; a++)
		for (b = a + 1; b < 5; b++)
			for (c = b + 1; c < 5; c++) {
				idx[0] = (uint8_t)(a + 1);
				idx[1] = (uint8_t)(b + 1);
				idx[2] = (uint8_t)(c + 1);
				memcpy(pick, shares + 32 * a, 32);
				memcpy(pick + 32, shares + 32 * b, 32);
				memcpy(pick + 64, shares + 32 * c, 32);
				assert_int_equal(
				    km_shares_combine(idx, pick, 3, got),
				    EGCA_OK);
				assert_memory_equal(got, master, 32);
			}
	/* No share is the master key or another share. */
	for (a = 0; a < 5; a++) {
		assert_memory_not_equal(shares + 32 * a, master, 32);
		for (b = a + 1; b < 5; b++)
			assert_memory_not_equal(
			    shares + 32 * a, shares + 32 * b, 32);
	}
}

static void
test_too_few_or_wrong(void **state)
{
	uint8_t master[32], shares[3 * 32], pick[2 * 32], idx[2], got[32];
	char kcv[65], kcv2[65];

	(void)state;
	master_new(master);
	assert_int_equal(km_master_kcv(master, kcv), EGCA_OK);
	assert_int_equal(km_shares_split(master, 3, 2, shares), EGCA_OK);
	/* One share (M-1) interpolates to something else. */
	idx[0] = 2;
	assert_int_equal(km_shares_combine(idx, shares + 32, 1, got), EGCA_OK);
	assert_memory_not_equal(got, master, 32);
	assert_int_equal(km_master_kcv(got, kcv2), EGCA_OK);
	assert_string_not_equal(kcv, kcv2);
	/* A share with one bit flipped gives a wrong key. */
	idx[0] = 1;
	idx[1] = 3;
	memcpy(pick, shares, 32);
	memcpy(pick + 32, shares + 64, 32);
	pick[40] ^= 0x01;
	assert_int_equal(km_shares_combine(idx, pick, 2, got), EGCA_OK);
	assert_int_equal(km_master_kcv(got, kcv2), EGCA_OK);
	assert_string_not_equal(kcv, kcv2);
	/* A share under the wrong index too. */
	memcpy(pick + 32, shares + 64, 32);
	idx[1] = 2;
	assert_int_equal(km_shares_combine(idx, pick, 2, got), EGCA_OK);
	assert_memory_not_equal(got, master, 32);
	/* The same index twice is refused. */
	idx[1] = 1;
	assert_int_equal(km_shares_combine(idx, pick, 2, got), EGCA_ERR_INPUT);
}

static void
test_split_limits(void **state)
{
	uint8_t master[32], shares[17 * 32];

	(void)state;
	master_new(master);
	assert_int_equal(km_shares_split(master, 3, 3, shares), EGCA_ERR_USAGE);
	assert_int_equal(km_shares_split(master, 3, 1, shares), EGCA_ERR_USAGE);
	assert_int_equal(km_shares_split(master, 2, 1, shares), EGCA_ERR_USAGE);
	assert_int_equal(
	    km_shares_split(master, 17, 2, shares), EGCA_ERR_USAGE);
	assert_int_equal(km_shares_split(master, 16, 15, shares), EGCA_OK);
}

static void
test_check_values(void **state)
{
	uint8_t share[32];
	char a[65], b[65], c[65];
	const char *id = "00112233445566778899aabbccddeeff";

	(void)state;
	memset(share, 0x5a, sizeof(share));
	assert_int_equal(km_share_check(id, 1, share, a), EGCA_OK);
	assert_int_equal(km_share_check(id, 2, share, b), EGCA_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(
	    km_share_check("00112233445566778899aabbccddeefe", 1, share, c),
	    EGCA_OK);
	assert_string_not_equal(a, c);
	share[0] ^= 1;
	assert_int_equal(km_share_check(id, 1, share, c), EGCA_OK);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 64);
}

static const char good[] = "EGCA KM SHARE v1\n"
                           "km-id: 00112233445566778899aabbccddeeff\n"
                           "index: 2\n"
                           "custodians: 3\n"
                           "threshold: 2\n"
                           "master-kcv: "
                           "0123456789abcdef0123456789abcdef0123456789abcd"
                           "ef0123456789abcdef\n"
                           "share: "
                           "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6"
                           "b7b8b9babbbcbdbebf\n";

static void
test_share_file(void **state)
{
	struct km_share_file f, g;
	struct egca_buf b;

	(void)state;
	assert_int_equal(
	    km_share_parse((const uint8_t *)good, sizeof(good) - 1, &f),
	    EGCA_OK);
	assert_int_equal(f.index, 2);
	assert_int_equal(f.custodians, 3);
	assert_int_equal(f.threshold, 2);
	assert_int_equal(f.share[0], 0xa0);
	assert_int_equal(f.share[31], 0xbf);
	egca_buf_init(&b, 4096);
	assert_int_equal(km_share_format(&f, &b), EGCA_OK);
	assert_int_equal(b.len, sizeof(good) - 1);
	assert_memory_equal(b.data, good, b.len);
	assert_int_equal(km_share_parse(b.data, b.len, &g), EGCA_OK);
	assert_memory_equal(&f, &g, sizeof(f));
	egca_buf_free(&b);
}

/* good with one substitution must be refused. */
static void
refused(const char *from, const char *to)
{
	struct km_share_file f;
	char text[1024], *p;

	snprintf(text, sizeof(text), "%s", good);
	p = strstr(text, from);
	assert_non_null(p);
	memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
	memcpy(p, to, strlen(to));
	assert_int_equal(
	    km_share_parse((const uint8_t *)text, strlen(text), &f),
	    EGCA_ERR_INPUT);
	/* Nothing of a refused share stays behind. */
	assert_int_equal(f.share[0], 0);
	assert_int_equal(f.index, 0);
}

static void
test_share_file_bad(void **state)
{
	(void)state;
	refused("EGCA KM SHARE v1", "EGCA KM SHARE v2");
	refused("index: 2", "index: 0");
	refused("index: 2", "index: 4");
	refused("index: 2", "index: 02");
	refused("custodians: 3", "custodians: 2");
	refused("threshold: 2", "threshold: 3");
	refused("threshold: 2", "threshold: 1");
	refused("km-id: 0011", "km-id: 0G11");
	refused("km-id: 0011", "km-id: 00AA");
	refused("share: a0", "share: a");
	refused("share: a0", "share: A0");
	refused("b7b8b9babbbcbdbebf\n", "b7b8b9babbbcbdbebf\nmore\n");
	refused("b7b8b9babbbcbdbebf\n", "b7b8b9babbbcbdbebf");
	refused("index: 2\n", "");
	refused("master-kcv: 01", "master-kcv:01");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_any_m_of_n),
	    cmocka_unit_test(test_too_few_or_wrong),
	    cmocka_unit_test(test_split_limits),
	    cmocka_unit_test(test_check_values),
	    cmocka_unit_test(test_share_file),
	    cmocka_unit_test(test_share_file_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
