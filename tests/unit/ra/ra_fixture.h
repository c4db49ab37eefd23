/*
 * Shared fixture of the ra/ unit tests: a data directory with a real
 * SM2 root CA (egca_ca_create + egca_ca_issuer_open), two registration
 * points (Beijing "bj" serving 110000, Shanghai "sh" serving 310000),
 * principals for every role, CSRs made with OpenSSL EVP keys, and row
 * counting for "nothing changed" checks. Header-only: each test file
 * includes it once. fx_run runs the tests on SQLite and, when
 * EGCA_PG_URI is set, again on a PostgreSQL database of their own.
 */
#ifndef EGCA_TEST_RA_FIXTURE_H
#define EGCA_TEST_RA_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "egca/audit.h"
#include "egca/auth.h"
#include "egca/ca.h"
#include "egca/config.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"
#include "egca/ra.h"
#include "egca/store.h"
#include "store/backend.h"

#define OK(x) assert_int_equal((x), EGCA_OK)
#define UNUSED __attribute__((unused))

/* Valid identity numbers (tests/unit/ra/test_ident.c vectors). */
#define USCC_BJ "91110000MA01ABCD52"
#define IDCARD_BJ "11010519491231002X"

static const char fx_pass[] = "correct horse battery staple";
static int fx_counter;
static const char *fx_pg_base; /* EGCA_PG_URI; NULL: the SQLite run */
static char fx_pg_uri[2048];   /* this run's database */

struct fx {
	char dir[1200];
	struct egca_config *cfg;
	struct egca_store *st;
	struct egca_ctx ctx;
	struct egca_issuer *is;
	struct egca_ra_env env;
	struct egca_principal op, op2, rev, rev2, rev3, op_sh, rev_sh, sys;
};

static struct egca_issuer *
fx_issuer(void *arg, const char *ca)
{
	struct fx *fx = arg;

	if (ca == NULL || strcmp(ca, egca_ca_issuer_name(fx->is)) == 0)
		return fx->is;
	return NULL;
}

static void
fx_principal(struct egca_principal *p, const char *name, unsigned roles,
    const char *point)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->actor, sizeof(p->actor), "operator:%s", name);
	p->roles = roles;
	p->mfa = 1;
	if (point != NULL)
		snprintf(p->point, sizeof(p->point), "%s", point);
}

/* Sets approvals for every kind to n by rewriting egca.conf. */
static UNUSED void
fx_approvals(struct fx *fx, int n)
{
	fx->cfg->ra.approvals_new = n;
	fx->cfg->ra.approvals_update = n;
	fx->cfg->ra.approvals_extend = n;
	fx->cfg->ra.approvals_hold = n;
	fx->cfg->ra.approvals_unhold = n;
	fx->cfg->ra.approvals_revoke = n;
}

static int
fx_setup(void **state)
{
	struct egca_ca_create_opts o;
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("EGCA_TEST_TMP");
	char prof[1300];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/ra%d-%ld", tmp ? tmp : "/tmp",
	    fx_counter++, (long)getpid());
	snprintf(prof, sizeof(prof), "%s/profiles", fx->dir);
	if (egca_file_mkdirs(fx->dir, 0750) != EGCA_OK ||
	    symlink(EGCA_SOURCE_DIR "/profiles", prof) != 0 ||
	    egca_config_create(fx->dir, fx_pg_base ? fx_pg_uri : NULL, NULL,
	        "root") != EGCA_OK ||
	    egca_config_load(fx->dir, &fx->cfg) != EGCA_OK ||
	    egca_store_open(fx->cfg->store_uri, 1, &fx->st) != EGCA_OK)
		goto fail;
	fx->ctx = (struct egca_ctx){fx->cfg, fx->st, "test"};
	memset(&o, 0, sizeof(o));
	o.name = "root";
	o.alg = EGCA_KEY_SM2;
	o.subject = "C=CN,O=Test,CN=RA Unit Root";
	o.validity_days = 3650;
	o.pass = fx_pass;
	o.pass_len = strlen(fx_pass);
	if (egca_ca_create(&fx->ctx, &o) != EGCA_OK ||
	    egca_ca_issuer_open(
	        &fx->ctx, "root", fx_pass, strlen(fx_pass), &fx->is) != EGCA_OK)
		goto fail;
	fx->env = (struct egca_ra_env){fx_issuer, fx, NULL};
	if (egca_ra_point_create(&fx->ctx, "bj", "Beijing RA", "110000") !=
	        EGCA_OK ||
	    egca_ra_point_add_region(&fx->ctx, "bj", "110000", NULL) !=
	        EGCA_OK ||
	    egca_ra_point_create(&fx->ctx, "sh", "Shanghai RA", "310000") !=
	        EGCA_OK ||
	    egca_ra_point_add_region(&fx->ctx, "sh", "310000", NULL) != EGCA_OK)
		goto fail;
	fx_principal(&fx->op, "olga", EGCA_ROLE_RA_OPERATOR, "bj");
	fx_principal(&fx->op2, "oscar", EGCA_ROLE_RA_OPERATOR, "bj");
	fx_principal(&fx->rev, "rita", EGCA_ROLE_RA_REVIEWER, "bj");
	fx_principal(&fx->rev2, "rosa", EGCA_ROLE_RA_REVIEWER, "bj");
	fx_principal(&fx->rev3, "ruth", EGCA_ROLE_RA_REVIEWER, "bj");
	fx_principal(&fx->op_sh, "shen", EGCA_ROLE_RA_OPERATOR, "sh");
	fx_principal(&fx->rev_sh, "shu", EGCA_ROLE_RA_REVIEWER, "sh");
	fx_principal(&fx->sys, "sam", EGCA_ROLE_SYSADMIN, NULL);
	*state = fx;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", egca_err_detail());
	return -1;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	PGconn *c;

	egca_ca_issuer_free(fx->is);
	egca_store_close(fx->st);
	egca_config_free(fx->cfg);
	free(fx);
	if (fx_pg_base != NULL) {
		/* Empty the database for the next case. */
		c = PQconnectdb(fx_pg_uri);
		PQclear(PQexec(c,
		    "SET client_min_messages = warning;"
		    " DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
		PQfinish(c);
	}
	return 0;
}

/* Creates (1) or drops (0) the database ra_unit_<pid> on fx_pg_base. */
static int
fx_pg_db(int create)
{
	char sql[128], db[64];
	const char *slash, *q, *host;
	PGconn *c = PQconnectdb(fx_pg_base);
	PGresult *r;
	int ok;

	snprintf(db, sizeof(db), "ra_unit_%ld", (long)getpid());
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
	PQclear(PQexec(c, sql));
	if (!create) {
		PQfinish(c);
		return 0;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	PQfinish(c);
	/* postgresql://host/dbname?params: replace dbname. */
	q = strchr(fx_pg_base, '?');
	host = strstr(fx_pg_base, "://");
	slash = strchr(host != NULL ? host + 3 : fx_pg_base, '/');
	if (!ok || slash == NULL || (q != NULL && slash > q))
		return -1;
	snprintf(fx_pg_uri, sizeof(fx_pg_uri), "%.*s/%s%s",
	    (int)(slash - fx_pg_base), fx_pg_base, db, q ? q : "");
	return 0;
}

static UNUSED int
fx_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	char group[128];
	int rc;

	snprintf(group, sizeof(group), "%s_sqlite", name);
	rc = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	fx_pg_base = getenv("EGCA_PG_URI");
	if (fx_pg_base == NULL || *fx_pg_base == '\0')
		return rc;
	if (fx_pg_db(1) != 0) {
		fprintf(stderr, "cannot create a test database\n");
		return 1;
	}
	snprintf(group, sizeof(group), "%s_postgres", name);
	rc |= _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	fx_pg_db(0);
	return rc;
}

/* Rows in table (a fixed name from the test). */
static UNUSED int64_t
fx_count(struct fx *fx, const char *table)
{
	char sql[128];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	OK(egca_store_exec(
	    fx->st, sql, NULL, 0, egca_store_count_row, &n, NULL));
	return n;
}

/* Audit events with action and outcome. */
static UNUSED int64_t
fx_audits(struct fx *fx, const char *action, const char *outcome)
{
	struct store_val p[2];
	int64_t n = -1;

	p[0] = egca_store_text(action);
	p[1] = egca_store_text(outcome);
	OK(egca_store_exec(fx->st,
	    "SELECT count(*) FROM audit_event WHERE action = $1"
	    " AND outcome = $2",
	    p, 2, egca_store_count_row, &n, NULL));
	return n;
}

static UNUSED EVP_PKEY *
fx_key(void)
{
	EVP_PKEY *k = NULL;

	OK(egca_crypto_key_generate(EGCA_KEY_SM2, 0, &k));
	return k;
}

/* A DER PKCS#10 request for key with subject (text), SM2 with the ID. */
static UNUSED void
fx_csr(EVP_PKEY *key, const char *subject, uint8_t **der, size_t *len)
{
	struct egca_buf tbs, out;
	uint8_t *name = NULL, *spki = NULL, sig[256];
	size_t name_len, spki_len, sig_len = sizeof(sig);
	enum egca_sig_alg alg = egca_crypto_sig_alg_for_key(key);

	egca_buf_init(&tbs, 1 << 16);
	egca_buf_init(&out, 1 << 16);
	OK(egca_pki_name_parse(subject, &name, &name_len));
	OK(egca_crypto_spki_encode(key, &spki, &spki_len));
	OK(egca_pki_csr_build_tbs(name, name_len, spki, spki_len, &tbs));
	OK(egca_crypto_sign_tbs(key, alg, tbs.data, tbs.len, sig, &sig_len));
	OK(egca_pki_signed_assemble(
	    tbs.data, tbs.len, alg, sig, sig_len, &out));
	*der = egca_buf_take(&out, len);
	free(name);
	free(spki);
	egca_buf_free(&tbs);
	egca_buf_free(&out);
}

/* An enterprise subscriber in Beijing registered by fx->op. */
static UNUSED void
fx_enterprise(struct fx *fx, char id[33])
{
	struct egca_subscriber_new s;

	memset(&s, 0, sizeof(s));
	s.type = "enterprise";
	s.name = "北京测试科技有限公司";
	s.uscc = USCC_BJ;
	s.region = "110105";
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, id));
}

/* Submits a "new" org-sign application for sub with a fresh key. */
static UNUSED void
fx_submit_new(struct fx *fx, const struct egca_principal *by, const char *sub,
    EVP_PKEY **key_out, char id[33])
{
	struct egca_app_new a;
	EVP_PKEY *key = fx_key();
	uint8_t *csr;
	size_t csr_len;

	fx_csr(key, "C=CN,O=Beijing Test Tech,CN=Signer", &csr, &csr_len);
	memset(&a, 0, sizeof(a));
	a.kind = "new";
	a.subscriber = sub;
	a.profile = "org-sign";
	a.csr_der = csr;
	a.csr_len = csr_len;
	OK(egca_ra_app_submit(&fx->ctx, by, &a, NULL, id));
	free(csr);
	if (key_out != NULL)
		*key_out = key;
	else
		EVP_PKEY_free(key);
}

/* The application's current digest (as its reviewer sees it). */
static UNUSED void
fx_digest(struct fx *fx, const char *app, char out[65])
{
	struct egca_app_rec r;

	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	snprintf(out, 65, "%s", r.digest);
	egca_ra_app_rec_free(&r);
}

static UNUSED void
fx_state(struct fx *fx, const char *app, const char *want)
{
	struct egca_app_rec r;

	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, want);
	egca_ra_app_rec_free(&r);
}

/* Issues a certificate for sub through a full new application. */
static UNUSED void
fx_issue(
    struct fx *fx, const char *sub, EVP_PKEY **key, struct egca_app_result *res)
{
	char app[33], d[65];

	fx_submit_new(fx, &fx->op, sub, key, app);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, res));
	assert_int_not_equal(res->serial[0], '\0');
}

static UNUSED const char *
fx_cert_status(struct fx *fx, const char *serial, char buf[16])
{
	struct egca_cert_rec c;

	OK(egca_store_cert_get(fx->st, "root", serial, &c));
	snprintf(buf, 16, "%s", c.status);
	egca_store_cert_rec_free(&c);
	return buf;
}

#endif
