/* Unit tests for src/pki/profile.c: shipped profiles and bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "egca/file.h"
#include "egca/pki.h"

static char profiles_dir[4096];
static char tmp_dir[4096];

static int
setup(void **state)
{
	const char *src = getenv("EGCA_SOURCE_DIR");
	const char *tmp = getenv("EGCA_TEST_TMP");

	(void)state;
	snprintf(profiles_dir, sizeof(profiles_dir), "%s/profiles",
	    src ? src : EGCA_SOURCE_DIR);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/pki_profile",
	    tmp ? tmp : "/tmp/egca_test");
	if (egca_file_mkdirs(tmp_dir, 0700) != EGCA_OK)
		return -1;
	return 0;
}

static void
test_shipped(void **state)
{
	char **names;
	size_t n, i;
	struct egca_profile *p;
	static const char *const want[] = {"device", "gov-enc", "gov-sign",
	    "individual-enc", "individual-sign", "ocsp-signer", "org-enc",
	    "org-sign", "root", "sub-ca", "tls-server"};

	(void)state;
	assert_int_equal(
	    egca_pki_profile_list(profiles_dir, &names, &n), EGCA_OK);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		assert_string_equal(names[i], want[i]);
		if (egca_pki_profile_load(profiles_dir, names[i], &p) !=
		    EGCA_OK)
			fail_msg("%s: %s", names[i], egca_err_detail());
		assert_string_equal(p->name, names[i]);
		assert_true(p->key_usage_critical);
		assert_true(p->max_validity_days <= 3653);
		if (p->kind == EGCA_PROFILE_EE) {
			assert_true(p->crl_dp && p->aia);
			assert_int_equal(p->n_policies, 1);
			assert_true(p->max_validity_days <= 1825);
		}
		egca_pki_profile_free(p);
		free(names[i]);
	}
	free(names);
}

static void
test_fields(void **state)
{
	struct egca_profile *p;

	(void)state;
	assert_int_equal(
	    egca_pki_profile_load(profiles_dir, "gov-enc", &p), EGCA_OK);
	assert_int_equal(p->kind, EGCA_PROFILE_EE);
	assert_int_equal(p->audience, EGCA_AUDIENCE_GOVERNMENT);
	assert_string_equal(p->usage, "enc");
	assert_int_equal(p->key_usage,
	    EGCA_KU_KEY_ENCIPHERMENT | EGCA_KU_DATA_ENCIPHERMENT |
	        EGCA_KU_KEY_AGREEMENT);
	assert_int_equal(p->allowed_keys, 1u << EGCA_KEY_SM2);
	assert_int_equal(p->path_len, -1);
	egca_pki_profile_free(p);

	assert_int_equal(
	    egca_pki_profile_load(profiles_dir, "sub-ca", &p), EGCA_OK);
	assert_int_equal(p->kind, EGCA_PROFILE_SUBCA);
	assert_int_equal(p->path_len, 0);
	assert_int_equal(
	    p->key_usage, EGCA_KU_KEY_CERT_SIGN | EGCA_KU_CRL_SIGN);
	assert_true(p->sia);
	egca_pki_profile_free(p);

	assert_int_equal(
	    egca_pki_profile_load(profiles_dir, "org-sign", &p), EGCA_OK);
	assert_int_equal(p->identity_ext, EGCA_IDEXT_BOTH);
	assert_int_equal(p->n_required_identity, 1);
	assert_string_equal(p->required_identity[0], "uscc");
	assert_int_equal(p->audience, EGCA_AUDIENCE_PUBLIC);
	egca_pki_profile_free(p);

	assert_int_equal(
	    egca_pki_profile_load(profiles_dir, "ocsp-signer", &p), EGCA_OK);
	assert_true(p->ocsp_nocheck);
	assert_int_equal(p->max_validity_days, 30);
	egca_pki_profile_free(p);

	assert_int_equal(
	    egca_pki_profile_load(profiles_dir, "nope", &p), EGCA_ERR_NOTFOUND);
	assert_null(p);
	assert_int_equal(egca_pki_profile_load(profiles_dir, "../root", &p),
	    EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    egca_pki_profile_load(profiles_dir, "Root", &p), EGCA_ERR_NOTFOUND);
}

#define BASE                                                                   \
	"\"kind\": \"end-entity\", \"audience\": \"public\", "                 \
	"\"usage\": \"sign\", "                                                \
	"\"key_usage\": [\"digitalSignature\", \"nonRepudiation\"], "          \
	"\"max_validity_days\": 1825, \"default_validity_days\": 365, "        \
	"\"key_algorithms\": [\"sm2\"], \"policies\": [\"2.999.1\"], "         \
	"\"crl_dp\": true, \"aia\": true"

static enum egca_err
load_text(const char *name, const char *json, struct egca_profile **p)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.json", tmp_dir, name);
	assert_int_equal(
	    egca_file_write_atomic(path, json, strlen(json), 0600), EGCA_OK);
	return egca_pki_profile_load_file(path, p);
}

static void
bad(const char *json, const char *detail_has)
{
	struct egca_profile *p = NULL;

	assert_int_equal(load_text("t", json, &p), EGCA_ERR_INPUT);
	assert_null(p);
	if (strstr(egca_err_detail(), detail_has) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", egca_err_detail(),
		    detail_has);
}

static void
test_bad_files(void **state)
{
	struct egca_profile *p = NULL;

	(void)state;
	assert_int_equal(
	    load_text("t", "{\"name\": \"t\", " BASE "}", &p), EGCA_OK);
	egca_pki_profile_free(p);

	bad("{\"name\": \"t\", \"name\": \"t\", " BASE "}", "duplicate");
	bad("{\"name\": \"t\", \"colour\": 1, " BASE "}",
	    "unknown key \"colour\"");
	bad("{\"name\": \"other\", " BASE "}", "does not match the file name");
	bad("{\"name\": \"t\", " BASE ", \"kind\": \"x\"}", "duplicate");
	bad("{\"name\": \"t\", \"kind\": \"root\", \"audience\": "
	    "\"public\", \"key_usage\": [\"keyCertSign\", \"cRLSign\"], "
	    "\"max_validity_days\": 4000, \"default_validity_days\": 3650, "
	    "\"key_algorithms\": [\"sm2\"]}",
	    "max_validity_days: must be 1..3653");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"digitalSignature\", \"cRLSign\"], "
	    "\"max_validity_days\": 40, \"default_validity_days\": 30, "
	    "\"key_algorithms\": [\"sm2\"], \"policies\": [\"2.999.1\"], "
	    "\"crl_dp\": true, \"aia\": true}",
	    "keyCertSign and cRLSign are for CA profiles only");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"usage\": \"sign\", \"key_usage\": "
	    "[\"digitalSignature\", \"keyEncipherment\"], "
	    "\"max_validity_days\": 40, \"default_validity_days\": 30, "
	    "\"key_algorithms\": [\"sm2\"], \"policies\": [\"2.999.1\"], "
	    "\"crl_dp\": true, \"aia\": true}",
	    "sign profiles use");
	bad("{\"name\": \"t\", " BASE ", \"key_usage_critical\": false}",
	    "keyUsage is critical");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"digitalSignature\"], "
	    "\"key_usage_critical\": false, \"max_validity_days\": 40, "
	    "\"default_validity_days\": 30, \"key_algorithms\": [\"sm2\"], "
	    "\"policies\": [\"2.999.1\"], \"crl_dp\": true, \"aia\": true}",
	    "keyUsage is critical");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"nobody\"}",
	    "audience");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"digitalSignature\", "
	    "\"digitalSignature\"]}",
	    "listed twice");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"signEverything\"]}",
	    "unknown value \"signEverything\"");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"digitalSignature\"], "
	    "\"max_validity_days\": 40, \"default_validity_days\": 30, "
	    "\"key_algorithms\": [\"dsa\"]}",
	    "unknown value \"dsa\"");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"digitalSignature\"], "
	    "\"max_validity_days\": 40, \"default_validity_days\": 30, "
	    "\"key_algorithms\": [\"sm2\"], \"policies\": [\"1.2.x\"]}",
	    "not a dotted OID");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"digitalSignature\"], "
	    "\"max_validity_days\": 40, \"default_validity_days\": 50, "
	    "\"key_algorithms\": [\"sm2\"]}",
	    "larger than max_validity_days");
	bad("{\"name\": \"t\", \"kind\": \"end-entity\", \"audience\": "
	    "\"public\", \"key_usage\": [\"digitalSignature\"], "
	    "\"max_validity_days\": \"40\"}",
	    "must be an integer");
	bad("{\"name\": \"t\", " BASE ", \"identity_extensions\": \"2019\"}",
	    "identity_extensions");
	bad("{\"name\": \"t\", " BASE ", \"required_identity\": [\"uscc\"]}",
	    "needs identity_extensions");
	bad("{\"name\": \"t\", " BASE ", \"san\": [\"uri\"]}",
	    "unknown value \"uri\"");
	bad("{\"name\": \"t\", " BASE ", \"path_len\": 0}",
	    "only for CA profiles");
	bad("[1, 2]", "top level");
	bad("{\"name\": \"t\", " BASE, "line");
	bad("{\"name\": \"t\"}", "kind: missing");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
