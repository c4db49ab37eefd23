/*
 * Unit tests for src/pki/chain.c. The SM2 chain is the one OpenSSL 3.0's
 * X509_verify_cert() rejects at depth 1 (the user ID reaches the leaf
 * only; gm-standards.md §5.3): egca must accept it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "egca/file.h"
#include "egca/pki.h"

/* Appends every certificate of the fixture file to l. */
static void
load(const char *name, struct egca_der_list *l)
{
	char path[512];
	uint8_t *data = NULL;
	size_t n;

	snprintf(
	    path, sizeof(path), "%s/tests/data/pki/%s", EGCA_SOURCE_DIR, name);
	assert_int_equal(egca_file_read(path, 1 << 20, &data, &n), EGCA_OK);
	assert_int_equal(
	    egca_pki_pem_decode(data, n, "CERTIFICATE", l), EGCA_OK);
	free(data);
}

/* A time inside every fixture's validity except sm2-expired's. */
static int64_t
now_ok(void)
{
	struct egca_der_list l = {0};
	struct egca_cert_info ci;
	int64_t t;

	load("sm2-leaf.pem", &l);
	assert_int_equal(egca_pki_cert_info(l.der[0], l.len[0], &ci), EGCA_OK);
	t = ci.not_before + 86400;
	egca_pki_cert_info_free(&ci);
	egca_der_list_free(&l);
	return t;
}

/*
 * Verifies leaf (file) with untrusted and anchors (space-separated file
 * lists, may be empty). Returns the result; *res filled.
 */
static enum egca_err
run(const char *leaf, const char *untrusted, const char *anchors, int64_t at,
    struct egca_verify_result *res)
{
	struct egca_der_list lf = {0}, un = {0}, an = {0};
	char buf[256], *tok, *save;
	enum egca_err e;

	load(leaf, &lf);
	snprintf(buf, sizeof(buf), "%s", untrusted);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save))
		load(tok, &un);
	snprintf(buf, sizeof(buf), "%s", anchors);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save))
		load(tok, &an);
	e = egca_pki_verify_chain(lf.der[0], lf.len[0], &un, &an, at, res);
	egca_der_list_free(&lf);
	egca_der_list_free(&un);
	egca_der_list_free(&an);
	return e;
}

static void
expect_ok(const char *leaf, const char *untrusted, const char *anchors,
    size_t chain_len)
{
	struct egca_verify_result res;

	if (run(leaf, untrusted, anchors, now_ok(), &res) != EGCA_OK)
		fail_msg("%s: %s", leaf, res.reason);
	assert_int_equal(res.chain_len, chain_len);
}

static void
expect_fail(const char *leaf, const char *untrusted, const char *anchors,
    int64_t at, const char *reason)
{
	struct egca_verify_result res;

	assert_int_equal(
	    run(leaf, untrusted, anchors, at, &res), EGCA_ERR_INTEGRITY);
	if (strcmp(res.reason, reason) != 0)
		fail_msg("%s: reason \"%s\", wanted \"%s\"", leaf, res.reason,
		    reason);
	assert_non_null(strstr(egca_err_detail(), reason));
}

static void
test_good_chains(void **state)
{
	(void)state;
	expect_ok("sm2-leaf.pem", "sm2-sub.pem", "sm2-root.pem", 3);
	expect_ok("p256-leaf.pem", "p256-sub.pem", "p256-root.pem", 3);
	expect_ok("rsa-leaf.pem", "rsa-sub.pem", "rsa-root.pem", 3);
	/* Untrusted order and extra certificates do not matter. */
	expect_ok("sm2-leaf.pem", "p256-sub.pem sm2-root.pem sm2-sub.pem",
	    "rsa-root.pem p256-root.pem sm2-root.pem", 3);
	/* Anchors in one bundle file (sub + root): the sub is reached. */
	expect_ok("sm2-leaf.pem", "", "sm2-chain.pem", 2);
	/* An intermediate trust anchor ends the path. */
	expect_ok("sm2-leaf.pem", "sm2-sub.pem", "sm2-sub.pem", 2);
	/* The root itself as the leaf: its self-signature is checked. */
	expect_ok("sm2-root.pem", "", "sm2-root.pem", 1);
}

static void
test_broken_signature_depth1(void **state)
{
	struct egca_der_list lf = {0}, un = {0}, an = {0};
	struct egca_verify_result res;

	(void)state;
	load("sm2-leaf.pem", &lf);
	load("sm2-sub.pem", &un);
	load("sm2-root.pem", &an);
	un.der[0][un.len[0] - 1] ^= 0x01;
	assert_int_equal(egca_pki_verify_chain(
	                     lf.der[0], lf.len[0], &un, &an, now_ok(), &res),
	    EGCA_ERR_INTEGRITY);
	assert_int_equal(res.depth, 1);
	assert_string_equal(res.reason, "depth 1: signature does not verify");
	assert_int_equal(res.chain_len, 3);
	/* A broken anchor self-signature is caught as well. */
	un.der[0][un.len[0] - 1] ^= 0x01;
	an.der[0][an.len[0] - 1] ^= 0x01;
	assert_int_equal(egca_pki_verify_chain(
	                     lf.der[0], lf.len[0], &un, &an, now_ok(), &res),
	    EGCA_ERR_INTEGRITY);
	assert_string_equal(
	    res.reason, "depth 2: anchor self-signature does not verify");
	egca_der_list_free(&lf);
	egca_der_list_free(&un);
	egca_der_list_free(&an);
}

static void
test_empty_id(void **state)
{
	(void)state;
	/* Leaf and self-signed root signed with OpenSSL 3.0's empty ID. */
	expect_fail("sm2-leaf-emptyid.pem", "sm2-sub.pem", "sm2-root.pem",
	    now_ok(), "depth 0: signature does not verify");
	expect_fail("sm2-root-emptyid.pem", "", "sm2-root-emptyid.pem",
	    now_ok(), "depth 0: anchor self-signature does not verify");
}

static void
test_validity(void **state)
{
	(void)state;
	expect_fail("sm2-expired.pem", "sm2-sub.pem", "sm2-root.pem", now_ok(),
	    "depth 0: certificate expired");
	/* In 2020 the leaf was valid but its issuer did not exist yet. */
	expect_fail("sm2-expired.pem", "sm2-sub.pem", "sm2-root.pem",
	    1590000000, "depth 1: certificate not yet valid");
	expect_fail("sm2-leaf.pem", "sm2-sub.pem", "sm2-root.pem",
	    now_ok() - 2 * 86400, "depth 0: certificate not yet valid");
	expect_fail("sm2-leaf.pem", "sm2-sub.pem", "sm2-root.pem",
	    now_ok() + (int64_t)4000 * 86400, "depth 0: certificate expired");
}

static void
test_no_path(void **state)
{
	(void)state;
	expect_fail("sm2-leaf.pem", "", "sm2-root.pem", now_ok(),
	    "depth 0: issuer certificate not found "
	    "(C=CN, O=egca test, CN=sm2-sub)");
	expect_fail("sm2-leaf.pem", "sm2-sub.pem", "p256-root.pem", now_ok(),
	    "depth 1: issuer certificate not found "
	    "(C=CN, O=egca test, CN=sm2-root)");
	expect_fail("sm2-leaf.pem", "sm2-sub.pem sm2-root.pem", "", now_ok(),
	    "depth 2: self-signed certificate is not a trust anchor");
	/* An unrelated root is no anchor. */
	expect_fail("sm2-leaf.pem", "sm2-sub.pem", "sm2-root-emptyid.pem",
	    now_ok(),
	    "depth 1: issuer certificate not found "
	    "(C=CN, O=egca test, CN=sm2-root)");
}

static void
test_ca_constraints(void **state)
{
	(void)state;
	expect_fail("sm2-ee-issued.pem", "sm2-leaf.pem sm2-sub.pem",
	    "sm2-root.pem", now_ok(),
	    "depth 1: issuer is not a CA (basicConstraints cA, RFC 5280 "
	    "4.2.1.9)");
	/* sm2-sub-pl0 (pathlen 0) -> sm2-sub2 -> sm2-leaf2. */
	expect_fail("sm2-leaf2.pem", "sm2-sub2.pem sm2-sub-pl0.pem",
	    "sm2-root.pem", now_ok(),
	    "depth 2: pathLenConstraint 0 exceeded (1 CA certificates "
	    "below)");
	/* With sm2-sub2 as the anchor the constraint is not in the path. */
	expect_ok("sm2-leaf2.pem", "sm2-sub-pl0.pem", "sm2-sub2.pem", 2);
}

static void
test_malformed_inputs(void **state)
{
	struct egca_der_list un = {0}, an = {0};
	struct egca_verify_result res;
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};

	(void)state;
	load("sm2-root.pem", &an);
	assert_int_equal(
	    egca_pki_verify_chain(junk, sizeof(junk), &un, &an, now_ok(), &res),
	    EGCA_ERR_INTEGRITY);
	assert_int_equal(res.depth, 0);
	assert_non_null(strstr(res.reason, "depth 0: certificate:"));
	/* Junk among the candidates is skipped. */
	assert_int_equal(egca_der_list_add(&un, junk, sizeof(junk)), EGCA_OK);
	assert_int_equal(egca_der_list_add(&an, junk, sizeof(junk)), EGCA_OK);
	load("sm2-sub.pem", &un);
	{
		struct egca_der_list lf = {0};

		load("sm2-leaf.pem", &lf);
		assert_int_equal(egca_pki_verify_chain(lf.der[0], lf.len[0],
		                     &un, &an, now_ok(), &res),
		    EGCA_OK);
		assert_int_equal(res.chain_len, 3);
		/* NULL lists are empty lists. */
		assert_int_equal(egca_pki_verify_chain(lf.der[0], lf.len[0],
		                     NULL, NULL, now_ok(), &res),
		    EGCA_ERR_INTEGRITY);
		egca_der_list_free(&lf);
	}
	egca_der_list_free(&un);
	egca_der_list_free(&an);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_chains),
	    cmocka_unit_test(test_broken_signature_depth1),
	    cmocka_unit_test(test_empty_id),
	    cmocka_unit_test(test_validity),
	    cmocka_unit_test(test_no_path),
	    cmocka_unit_test(test_ca_constraints),
	    cmocka_unit_test(test_malformed_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
