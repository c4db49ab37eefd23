/* Unit tests for src/pki/der.c: writer round trips, strict reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pki/der.h"

static void
expect_bytes(const struct egca_buf *b, const uint8_t *want, size_t len)
{
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, want, len);
}

static void
test_int(void **state)
{
	struct egca_buf b;
	struct egca_der_w w;
	static const uint8_t in1[] = {0x00, 0x00, 0x7f};
	static const uint8_t in2[] = {0x80, 0x01};
	static const uint8_t zero[] = {0x00, 0x00};
	static const uint8_t want[] = {0x02, 0x01, 0x7f, 0x02, 0x03, 0x00, 0x80,
	    0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x02, 0x02, 0x02, 0x00, 0x80,
	    0x02, 0x01, 0xff, 0x02, 0x02, 0xff, 0x7f};

	(void)state;
	egca_buf_init(&b, 0);
	egca_der_w_init(&w, &b);
	egca_der_put_uint(&w, in1, sizeof(in1));
	egca_der_put_uint(&w, in2, sizeof(in2));
	egca_der_put_uint(&w, zero, sizeof(zero));
	egca_der_put_small_int(&w, 2);
	egca_der_put_small_int(&w, 128);
	egca_der_put_small_int(&w, -1);
	egca_der_put_small_int(&w, -129);
	assert_int_equal(egca_der_w_finish(&w), EGCA_OK);
	expect_bytes(&b, want, sizeof(want));
	egca_buf_free(&b);
}

static void
test_nested_long(void **state)
{
	struct egca_buf b;
	struct egca_der_w w;
	struct egca_der_r r, s, s2;
	struct egca_der_tlv t;
	uint8_t big[300];
	int n = 0;

	(void)state;
	memset(big, 0x5a, sizeof(big));
	egca_buf_init(&b, 0);
	egca_der_w_init(&w, &b);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_octet(&w, big, sizeof(big));
	egca_der_end(&w);
	egca_der_put_bool(&w, 1);
	egca_der_put_null(&w);
	egca_der_end(&w);
	assert_int_equal(egca_der_w_finish(&w), EGCA_OK);
	/* 30 82 01 37 30 82 01 30 04 82 01 2c ... */
	assert_int_equal(b.data[0], 0x30);
	assert_int_equal(b.data[1], 0x82);
	assert_int_equal(b.len, 4 + 4 + 4 + 300 + 3 + 2);

	egca_der_r_init(&r, b.data, b.len);
	assert_true(egca_der_enter(&r, DER_SEQUENCE, &s));
	assert_true(egca_der_r_end(&r));
	assert_true(egca_der_enter(&s, DER_SEQUENCE, &s2));
	assert_true(egca_der_get(&s2, DER_OCTET_STRING, &t));
	assert_int_equal(t.len, 300);
	assert_memory_equal(t.val, big, 300);
	assert_true(egca_der_r_end(&s2));
	assert_true(egca_der_get(&s, DER_BOOLEAN, &t));
	assert_true(egca_der_tlv_bool(&t, &n));
	assert_int_equal(n, 1);
	assert_true(egca_der_get(&s, DER_NULL, &t));
	assert_true(egca_der_r_end(&s));
	egca_buf_free(&b);
}

static void
put_and_read_time(int64_t in, uint8_t tag, const char *text)
{
	struct egca_buf b;
	struct egca_der_w w;
	struct egca_der_r r;
	struct egca_der_tlv t;
	int64_t out;

	egca_buf_init(&b, 0);
	egca_der_w_init(&w, &b);
	egca_der_put_time(&w, in);
	assert_int_equal(egca_der_w_finish(&w), EGCA_OK);
	egca_der_r_init(&r, b.data, b.len);
	assert_true(egca_der_get_any(&r, &t));
	assert_int_equal(t.tag, tag);
	assert_int_equal(t.len, strlen(text));
	assert_memory_equal(t.val, text, t.len);
	assert_true(egca_der_tlv_time(&t, &out));
	assert_true(out == in);
	egca_buf_free(&b);
}

static void
test_time(void **state)
{
	struct egca_buf b;
	struct egca_der_w w;
	struct egca_der_tlv t;
	int64_t v;

	(void)state;
	put_and_read_time(0, DER_UTCTIME, "700101000000Z");
	put_and_read_time(1700000000, DER_UTCTIME, "231114221320Z");
	/* 2049-12-31T23:59:59Z: the last UTCTime. */
	put_and_read_time(2524607999, DER_UTCTIME, "491231235959Z");
	put_and_read_time(2524608000, DER_GENERALIZEDTIME, "20500101000000Z");
	put_and_read_time(-631152000, DER_UTCTIME, "500101000000Z");
	/* 2024-02-29 */
	put_and_read_time(1709164800, DER_UTCTIME, "240229000000Z");
	/* Before 1950 cannot be encoded. */
	egca_buf_init(&b, 0);
	egca_der_w_init(&w, &b);
	egca_der_put_time(&w, -631152001);
	assert_int_equal(egca_der_w_finish(&w), EGCA_ERR_INPUT);
	egca_buf_free(&b);
	/* Malformed times. */
	t.tag = DER_UTCTIME;
	t.val = (const uint8_t *)"230229000000Z";
	t.len = 13;
	assert_false(egca_der_tlv_time(&t, &v));
	t.val = (const uint8_t *)"2302280000Z00";
	assert_false(egca_der_tlv_time(&t, &v));
	t.val = (const uint8_t *)"230228000000+";
	assert_false(egca_der_tlv_time(&t, &v));
	t.tag = DER_GENERALIZEDTIME;
	t.val = (const uint8_t *)"20500101000000.5Z";
	t.len = 17;
	assert_false(egca_der_tlv_time(&t, &v));
}

static void
test_bitstring_oid(void **state)
{
	struct egca_buf b;
	struct egca_der_w w;
	struct egca_der_r r;
	struct egca_der_tlv t;
	static const uint8_t bits[] = {0x86};
	static const uint8_t want[] = {0x03, 0x02, 0x01, 0x86, 0x06, 0x08, 0x2a,
	    0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};
	uint8_t oid[32];
	size_t n, blen;
	unsigned unused;
	const uint8_t *p;
	char text[64];

	(void)state;
	egca_buf_init(&b, 0);
	egca_der_w_init(&w, &b);
	egca_der_put_bitstring(&w, 1, bits, 1);
	egca_der_put_oid(&w, &egca_oid_sm2_sm3);
	assert_int_equal(egca_der_w_finish(&w), EGCA_OK);
	expect_bytes(&b, want, sizeof(want));
	egca_der_r_init(&r, b.data, b.len);
	assert_true(egca_der_get(&r, DER_BIT_STRING, &t));
	assert_true(egca_der_tlv_bits(&t, &unused, &p, &blen));
	assert_int_equal(unused, 1);
	assert_true(egca_der_get(&r, DER_OID, &t));
	assert_true(egca_der_oid_eq(&t, &egca_oid_sm2_sm3));
	assert_true(egca_der_r_end(&r));
	egca_buf_free(&b);

	assert_int_equal(
	    egca_der_oid_from_text("1.2.156.10197.1.501", oid, sizeof(oid), &n),
	    EGCA_OK);
	assert_int_equal(n, egca_oid_sm2_sm3.len);
	assert_memory_equal(oid, egca_oid_sm2_sm3.der, n);
	assert_true(egca_der_oid_to_text(oid, n, text, sizeof(text)));
	assert_string_equal(text, "1.2.156.10197.1.501");
	assert_int_equal(
	    egca_der_oid_from_text("2.999.1", oid, sizeof(oid), &n), EGCA_OK);
	assert_true(egca_der_oid_to_text(oid, n, text, sizeof(text)));
	assert_string_equal(text, "2.999.1");
	assert_int_equal(
	    egca_der_oid_from_text("1", oid, sizeof(oid), &n), EGCA_ERR_INPUT);
	assert_int_equal(egca_der_oid_from_text("1.40.1", oid, sizeof(oid), &n),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_der_oid_from_text("1.2..3", oid, sizeof(oid), &n),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_der_oid_from_text("1.2.03", oid, sizeof(oid), &n),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_der_oid_from_text("1.2.3.", oid, sizeof(oid), &n),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_der_oid_from_text("1.2.a", oid, sizeof(oid), &n),
	    EGCA_ERR_INPUT);
}

static int
reads_one(const uint8_t *p, size_t len)
{
	struct egca_der_r r;
	struct egca_der_tlv t;

	egca_der_r_init(&r, p, len);
	return egca_der_get_any(&r, &t) && egca_der_r_end(&r);
}

static void
test_reader_rejects(void **state)
{
	static const uint8_t good[] = {0x04, 0x02, 0xaa, 0xbb};
	static const uint8_t indefinite[] = {
	    0x30, 0x80, 0x05, 0x00, 0x00, 0x00};
	static const uint8_t nonmin1[] = {0x04, 0x81, 0x02, 0xaa, 0xbb};
	static const uint8_t nonmin2[] = {0x04, 0x82, 0x00, 0x02, 0xaa, 0xbb};
	static const uint8_t trailing[] = {0x04, 0x02, 0xaa, 0xbb, 0x00};
	static const uint8_t truncated[] = {0x04, 0x03, 0xaa, 0xbb};
	static const uint8_t trunc_len[] = {0x04, 0x82, 0x01};
	static const uint8_t hightag[] = {0x1f, 0x81, 0x01, 0x00};
	static const uint8_t huge[] = {
	    0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t nonmin_int[] = {0x02, 0x02, 0x00, 0x01};
	static const uint8_t bad_bool[] = {0x01, 0x01, 0x01};
	static const uint8_t bad_bits[] = {0x03, 0x02, 0x01, 0x01};
	struct egca_der_r r;
	struct egca_der_tlv t;
	int neg, v;
	unsigned unused;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_true(reads_one(good, sizeof(good)));
	assert_false(reads_one(indefinite, sizeof(indefinite)));
	assert_false(reads_one(nonmin1, sizeof(nonmin1)));
	assert_false(reads_one(nonmin2, sizeof(nonmin2)));
	assert_false(reads_one(trailing, sizeof(trailing)));
	assert_false(reads_one(truncated, sizeof(truncated)));
	assert_false(reads_one(trunc_len, sizeof(trunc_len)));
	assert_false(reads_one(hightag, sizeof(hightag)));
	assert_false(reads_one(huge, sizeof(huge)));
	assert_false(reads_one(good, 0));
	assert_false(reads_one(good, 1));

	egca_der_r_init(&r, nonmin_int, sizeof(nonmin_int));
	assert_true(egca_der_get_any(&r, &t));
	assert_false(egca_der_tlv_int_ok(&t, &neg));
	egca_der_r_init(&r, bad_bool, sizeof(bad_bool));
	assert_true(egca_der_get_any(&r, &t));
	assert_false(egca_der_tlv_bool(&t, &v));
	egca_der_r_init(&r, bad_bits, sizeof(bad_bits));
	assert_true(egca_der_get_any(&r, &t));
	assert_false(egca_der_tlv_bits(&t, &unused, &p, &n));

	/* Sticky error: a wrong tag poisons later reads. */
	egca_der_r_init(&r, good, sizeof(good));
	assert_false(egca_der_get(&r, DER_SEQUENCE, &t));
	assert_false(egca_der_get_any(&r, &t));
	assert_int_equal(egca_der_peek(&r), -1);
}

static void
test_writer_sticky(void **state)
{
	struct egca_buf b;
	struct egca_der_w w;
	uint8_t big[64];

	(void)state;
	memset(big, 0, sizeof(big));
	egca_buf_init(&b, 16);
	egca_der_w_init(&w, &b);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_octet(&w, big, sizeof(big));
	egca_der_end(&w);
	assert_int_equal(egca_der_w_finish(&w), EGCA_ERR_NOMEM);
	egca_buf_free(&b);

	egca_buf_init(&b, 0);
	egca_der_w_init(&w, &b);
	egca_der_begin(&w, DER_SEQUENCE);
	assert_int_equal(egca_der_w_finish(&w), EGCA_ERR_INTERNAL);
	egca_buf_free(&b);
}

static void
test_utf8(void **state)
{
	size_t n;

	(void)state;
	assert_true(egca_der_utf8_check(
	    (const uint8_t *)"\xe4\xb8\xad\xe5\x9b\xbd", 6, &n));
	assert_int_equal(n, 2);
	assert_false(egca_der_utf8_check((const uint8_t *)"\xc0\xaf", 2, &n));
	assert_false(
	    egca_der_utf8_check((const uint8_t *)"\xed\xa0\x80", 3, &n));
	assert_false(egca_der_utf8_check((const uint8_t *)"\xe4\xb8", 2, &n));
	assert_false(egca_der_utf8_check((const uint8_t *)"a\nb", 3, &n));
	assert_false(egca_der_utf8_check((const uint8_t *)"\xc2\x85", 2, &n));
	assert_true(
	    egca_der_printable_check((const uint8_t *)"Ab 1'()+,-./:=?", 15));
	assert_false(egca_der_printable_check((const uint8_t *)"a*b", 3));
	assert_false(egca_der_printable_check((const uint8_t *)"a@b", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_nested_long),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_bitstring_oid),
	    cmocka_unit_test(test_reader_rejects),
	    cmocka_unit_test(test_writer_sticky),
	    cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
