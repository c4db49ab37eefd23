/*
 * Unit tests for src/status/crl.c, service.c and src/store/crl.c: CRL
 * generation without a service, the service's current CRLs (refcounted
 * blobs kept valid across a replacement), regeneration after a status
 * change, delta CRLs with removeFromCRL, and cRLNumber never going back
 * with two store connections taking numbers concurrently. SQLite
 * always; PostgreSQL too when EGCA_PG_URI is set (a database of its
 * own per run).
 */
#include <pthread.h>
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

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "egca/ca.h"
#include "egca/config.h"
#include "egca/file.h"
#include "egca/status.h"
#include "egca/store.h"
#include "store/store_test.h"

#define OK(x) assert_int_equal((x), EGCA_OK)
/* Records own their strings; this one only lends constants to insert. */
#define UNCONST(p) ((char *)(uintptr_t)(p))

static const char pass[] = "correct horse battery staple";
static const char *pg_base; /* EGCA_PG_URI, NULL for the SQLite group */
static char pg_uri[2048];   /* the test database */
static char tmp[1024];
static int counter;

struct fx {
	char dir[1200];
	struct egca_config *cfg;
	struct egca_store *st;
	struct egca_ctx ctx;
	struct egca_status_config sc;
};

static int
setup(void **state)
{
	struct egca_ca_create_opts o;
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *src = getenv("EGCA_PROFILES");
	char prof[1300];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/crl%d-%ld", tmp, counter++,
	    (long)getpid());
	snprintf(prof, sizeof(prof), "%s/profiles", fx->dir);
	if (egca_file_mkdirs(fx->dir, 0750) != EGCA_OK ||
	    symlink(src ? src : EGCA_SOURCE_DIR "/profiles", prof) != 0 ||
	    egca_config_create(
	        fx->dir, pg_base ? pg_uri : NULL, NULL, "root") != EGCA_OK ||
	    egca_config_load(fx->dir, &fx->cfg) != EGCA_OK ||
	    egca_store_open(fx->cfg->store_uri, 1, &fx->st) != EGCA_OK)
		goto fail;
	fx->ctx = (struct egca_ctx){fx->cfg, fx->st, "test"};
	memset(&o, 0, sizeof(o));
	o.name = "root";
	o.alg = EGCA_KEY_SM2;
	o.subject = "C=CN,O=Test,CN=CRL Unit Root";
	o.validity_days = 3650;
	o.pass = pass;
	o.pass_len = strlen(pass);
	if (egca_ca_create(&fx->ctx, &o) != EGCA_OK)
		goto fail;
	egca_status_config_default(&fx->sc);
	fx->sc.crl_delay_seconds = 0;
	*state = fx;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", egca_err_detail());
	return -1;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	PGconn *c;

	egca_store_close(fx->st);
	egca_config_free(fx->cfg);
	free(fx);
	if (pg_base != NULL) {
		/* Empty the test database for the next case. */
		c = PQconnectdb(pg_uri);
		PQclear(PQexec(c,
		    "SET client_min_messages = warning;"
		    " DROP SCHEMA public CASCADE;"
		    " CREATE SCHEMA public"));
		PQfinish(c);
	}
	return 0;
}

/* A stored certificate (no real DER needed here) with status. */
static void
add_cert(struct fx *fx, const char *serial, const char *status, int reason)
{
	struct egca_cert_rec r;
	int64_t now = (int64_t)time(NULL);
	static uint8_t der[] = {0x30, 0x00};

	memset(&r, 0, sizeof(r));
	r.ca = UNCONST("root");
	r.serial = UNCONST(serial);
	r.profile = UNCONST("tls-server");
	r.subject = UNCONST("CN=x");
	r.status = UNCONST("good");
	r.reason = -1;
	r.not_before = now - 3600;
	r.not_after = now + 86400 * 30;
	r.issued_at = now - 3600;
	r.audience = UNCONST("public");
	r.key_alg = UNCONST("sm2");
	r.tbs_sm3 = UNCONST("00");
	r.der = der;
	r.der_len = sizeof(der);
	OK(egca_store_serial_reserve(fx->st, "root", serial, "00", now));
	OK(egca_store_cert_insert(fx->st, &r));
	if (strcmp(status, "good") != 0)
		OK(egca_store_cert_set_status(
		    fx->st, "root", serial, status, reason, now - 60, 0));
}

static EVP_PKEY *
ca_key(struct fx *fx)
{
	struct egca_ca_rec rec;
	const unsigned char *p;
	X509 *x;
	EVP_PKEY *k;

	OK(egca_store_ca_get(fx->st, "root", &rec));
	p = rec.cert_der;
	x = d2i_X509(NULL, &p, (long)rec.cert_der_len);
	assert_non_null(x);
	k = X509_get_pubkey(x);
	X509_free(x);
	egca_store_ca_rec_free(&rec);
	return k;
}

static X509_CRL *
crl_decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);

	assert_non_null(c);
	return c;
}

static int
reason_of(X509_CRL *crl, const char *serial_hex)
{
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
	ASN1_ENUMERATED *e;
	BIGNUM *bn;
	char *hex;
	int i, found = -2;

	for (i = 0; i < sk_X509_REVOKED_num(rev) && found == -2; i++) {
		bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(
		                            sk_X509_REVOKED_value(rev, i)),
		    NULL);
		hex = BN_bn2hex(bn);
		if (strcasecmp(hex, serial_hex) == 0) {
			e = X509_REVOKED_get_ext_d2i(
			    sk_X509_REVOKED_value(rev, i), NID_crl_reason, NULL,
			    NULL);
			found = e ? (int)ASN1_ENUMERATED_get(e) : -1;
			ASN1_ENUMERATED_free(e);
		}
		OPENSSL_free(hex);
		BN_free(bn);
	}
	return found; /* -2: not listed, -1: no reasonCode */
}

static void
generate_without_service(void **state)
{
	struct fx *fx = *state;
	struct egca_crl_rec full, delta, again;
	EVP_PKEY *k = ca_key(fx);
	uint8_t *file;
	size_t len;
	char path[1400];
	X509_CRL *crl;

	add_cert(fx, "0a01", "revoked", 1);
	add_cert(fx, "0a02", "hold", 6);
	add_cert(fx, "0a03", "good", -1);
	add_cert(fx, "0a04", "revoked", 0);
	OK(egca_status_crl_generate(
	    &fx->ctx, &fx->sc, "root", pass, strlen(pass)));
	OK(egca_store_crl_latest(fx->st, "root", 0, 1, &full));
	OK(egca_store_crl_latest(fx->st, "root", 1, 0, &delta));
	assert_int_equal(full.number, 1);
	assert_int_equal(full.entries, 3);
	assert_int_equal(delta.number, 2);
	assert_int_equal(delta.base_number, 1);
	/* SM2 with the GM/T user ID: egca's own verifier. */
	OK(egca_pki_verify_signed(full.der, full.der_len, k));
	crl = crl_decode(full.der, full.der_len);
	assert_int_equal(reason_of(crl, "0A01"), 1);
	assert_int_equal(reason_of(crl, "0A02"), 6);
	assert_int_equal(reason_of(crl, "0A03"), -2);
	assert_int_equal(reason_of(crl, "0A04"), -1);
	X509_CRL_free(crl);
	/* The published file is the stored CRL. */
	snprintf(path, sizeof(path), "%s/crl/root.crl", fx->dir);
	OK(egca_file_read(path, 1 << 20, &file, &len));
	assert_int_equal(len, full.der_len);
	assert_memory_equal(file, full.der, len);
	free(file);
	snprintf(path, sizeof(path), "%s/crl/root-delta.crl", fx->dir);
	assert_true(egca_file_exists(path));

	/* Unhold: removeFromCRL in the delta, gone from the full CRL. */
	OK(egca_store_cert_set_status(
	    fx->st, "root", "0a02", "good", -1, 0, 0));
	OK(egca_status_crl_generate(
	    &fx->ctx, &fx->sc, NULL, pass, strlen(pass)));
	OK(egca_store_crl_latest(fx->st, "root", 0, 1, &again));
	assert_true(again.number > delta.number);
	assert_int_equal(again.entries, 2);
	crl = crl_decode(again.der, again.der_len);
	assert_int_equal(reason_of(crl, "0A02"), -2);
	X509_CRL_free(crl);
	egca_store_crl_rec_free(&delta);
	OK(egca_store_crl_latest(fx->st, "root", 1, 1, &delta));
	assert_int_equal(delta.base_number, full.number);
	crl = crl_decode(delta.der, delta.der_len);
	assert_int_equal(reason_of(crl, "0A02"), 8);
	X509_CRL_free(crl);
	OK(egca_pki_verify_signed(delta.der, delta.der_len, k));

	egca_store_crl_rec_free(&full);
	egca_store_crl_rec_free(&delta);
	egca_store_crl_rec_free(&again);
	EVP_PKEY_free(k);
}

static void
generate_refusals(void **state)
{
	struct fx *fx = *state;
	struct egca_status_config bad = fx->sc;
	struct egca_crl_rec r;

	assert_int_equal(egca_status_crl_generate(
	                     &fx->ctx, &fx->sc, "root", "wrong passphrase", 16),
	    EGCA_ERR_AUTH);
	assert_int_equal(egca_status_crl_generate(
	                     &fx->ctx, &fx->sc, "ghost", pass, strlen(pass)),
	    EGCA_ERR_NOTFOUND);
	bad.crl_validity_hours = 0;
	assert_int_equal(egca_status_crl_generate(
	                     &fx->ctx, &bad, "root", pass, strlen(pass)),
	    EGCA_ERR_USAGE);
	bad = fx->sc;
	bad.crl_validity_hours = 169;
	assert_int_equal(egca_status_crl_generate(
	                     &fx->ctx, &bad, "root", pass, strlen(pass)),
	    EGCA_ERR_USAGE);
	/* Nothing was stored by the refused calls. */
	assert_int_equal(
	    egca_store_crl_latest(fx->st, "root", 0, 0, &r), EGCA_ERR_NOTFOUND);
	assert_int_equal(egca_store_crl_latest(fx->st, "ghost", 1, 0, &r),
	    EGCA_ERR_NOTFOUND);
}

static void
service(void **state)
{
	struct fx *fx = *state;
	struct egca_status *s = NULL;
	struct egca_status_blob a, b, d;
	struct egca_status_stats stats;
	uint8_t *copy;
	int64_t now;
	X509_CRL *crl;
	char why[256];

	add_cert(fx, "0b01", "revoked", 4);
	add_cert(fx, "0b02", "good", -1);
	/* Changed before the CRL the service makes at open. */
	OK(egca_store_test_exec(fx->st,
	    "UPDATE certificate SET status_changed_at = status_changed_at - 10"
	    " WHERE status_changed_at > 0"));
	assert_int_equal(
	    egca_status_open(&fx->ctx, &fx->sc, "bad pass", 8, &s), EGCA_OK);
	/* A CA whose key does not open is skipped: nothing to serve. */
	assert_int_equal(
	    egca_status_crl_get(s, "root", 0, &a), EGCA_ERR_NOTFOUND);
	egca_status_free(s);

	OK(egca_status_open(&fx->ctx, &fx->sc, pass, strlen(pass), &s));
	OK(egca_status_crl_get(s, "root", 0, &a));
	assert_true(a.len > 0);
	assert_int_equal(a.etag[0], '"');
	assert_true(a.next_update > a.this_update);
	assert_int_equal(
	    egca_status_crl_get(s, "ghost", 0, &b), EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    egca_status_ready(s, a.this_update, why, sizeof(why)), 1);
	assert_int_equal(
	    egca_status_ready(s, a.next_update, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "root"));

	/* Nothing changed: a tick keeps the same CRL. */
	now = (int64_t)time(NULL);
	egca_status_tick(s, now);
	OK(egca_status_crl_get(s, "root", 0, &b));
	assert_ptr_equal(a.ref, b.ref);
	egca_status_blob_release(b.ref);

	/* A revocation: regenerated at the next tick (delay 0). */
	copy = malloc(a.len);
	memcpy(copy, a.der, a.len);
	OK(egca_store_cert_set_status(
	    fx->st, "root", "0b02", "revoked", 1, now, 0));
	egca_status_tick(s, (int64_t)time(NULL) + 1);
	OK(egca_status_crl_get(s, "root", 0, &b));
	assert_ptr_not_equal(a.ref, b.ref);
	/* The old body stays valid while lent. */
	assert_memory_equal(a.der, copy, a.len);
	egca_status_blob_release(a.ref);
	free(copy);
	crl = crl_decode(b.der, b.len);
	assert_int_equal(reason_of(crl, "0B02"), 1);
	assert_int_equal(reason_of(crl, "0B01"), 4);
	X509_CRL_free(crl);
	OK(egca_status_crl_get(s, "root", 1, &d));
	crl = crl_decode(d.der, d.len);
	assert_int_equal(reason_of(crl, "0B02"), 1);
	{
		ASN1_INTEGER *base =
		    X509_CRL_get_ext_d2i(crl, NID_delta_crl, NULL, NULL);
		assert_non_null(base);
		ASN1_INTEGER_free(base);
	}
	X509_CRL_free(crl);
	egca_status_blob_release(d.ref);
	egca_status_get_stats(s, &stats);
	assert_true(stats.crl_age_max >= 0);
	assert_int_equal(stats.sign_errors, 0);
	/* Released after the service is gone: the blob outlives it. */
	egca_status_free(s);
	assert_true(b.len > 0 && b.der[0] == 0x30);
	egca_status_blob_release(b.ref);
	egca_status_blob_release(NULL);

	/* Without delta CRLs no delta is served. */
	fx->sc.delta_crl = 0;
	OK(egca_status_open(&fx->ctx, &fx->sc, pass, strlen(pass), &s));
	assert_int_equal(
	    egca_status_crl_get(s, "root", 1, &d), EGCA_ERR_NOTFOUND);
	egca_status_free(s);
}

/* ---- cRLNumber across connections ---- */

#define PER_THREAD 60

struct taker {
	const char *uri;
	int64_t got[PER_THREAD];
	enum egca_err err;
};

static void *
take(void *arg)
{
	struct taker *t = arg;
	struct egca_store *st;
	int i;

	if ((t->err = egca_store_open(t->uri, 0, &st)) != EGCA_OK)
		return NULL;
	for (i = 0; i < PER_THREAD; i++)
		if ((t->err = egca_store_crl_next_number(
		         st, "root", &t->got[i])) != EGCA_OK)
			break;
	egca_store_close(st);
	return NULL;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
numbers_concurrent(void **state)
{
	struct fx *fx = *state;
	struct taker t[2];
	pthread_t th[2];
	int64_t all[2 * PER_THREAD], n;
	int i, j;

	for (i = 0; i < 2; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].uri = fx->cfg->store_uri;
		assert_int_equal(pthread_create(&th[i], NULL, take, &t[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		OK(t[i].err);
		/* Each connection sees its numbers only go up. */
		for (j = 1; j < PER_THREAD; j++)
			assert_true(t[i].got[j] > t[i].got[j - 1]);
		memcpy(all + i * PER_THREAD, t[i].got, sizeof(t[i].got));
	}
	/* Together: 1..120, none twice. */
	qsort(all, 2 * PER_THREAD, sizeof(all[0]), cmp64);
	for (i = 0; i < 2 * PER_THREAD; i++)
		assert_int_equal(all[i], i + 1);
	OK(egca_store_crl_next_number(fx->st, "root", &n));
	assert_int_equal(n, 2 * PER_THREAD + 1);
	assert_int_equal(
	    egca_store_crl_next_number(fx->st, "ghost", &n), EGCA_ERR_NOTFOUND);
}

static int
run(const char *group)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        generate_without_service, setup, teardown),
	    cmocka_unit_test_setup_teardown(generate_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(service, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        numbers_concurrent, setup, teardown),
	};

	return _cmocka_run_group_tests(
	    group, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}

/* A database of our own on the test server: other tests reset theirs. */
static int
pg_create(void)
{
	char sql[128], db[64];
	const char *slash, *q;
	PGconn *c = PQconnectdb(pg_base);
	PGresult *r;
	int ok;

	snprintf(db, sizeof(db), "crl_unit_%ld", (long)getpid());
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
	PQclear(PQexec(c, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	PQfinish(c);
	/* postgresql://host/dbname?params: replace dbname. */
	q = strchr(pg_base, '?');
	slash = strchr(
	    strstr(pg_base, "://") ? strstr(pg_base, "://") + 3 : pg_base, '/');
	if (!ok || slash == NULL || (q != NULL && slash > q))
		return -1;
	snprintf(pg_uri, sizeof(pg_uri), "%.*s/%s%s", (int)(slash - pg_base),
	    pg_base, db, q ? q : "");
	return 0;
}

static void
pg_drop(void)
{
	char sql[128];
	PGconn *c = PQconnectdb(pg_base);

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS crl_unit_%ld",
	    (long)getpid());
	PQclear(PQexec(c, sql));
	PQfinish(c);
}

int
main(void)
{
	const char *t = getenv("EGCA_TEST_TMP");
	char profiles[1024];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s/status-crl", t ? t : "/tmp");
	if (egca_file_mkdirs(tmp, 0700) != EGCA_OK)
		return 1;
	if (getenv("EGCA_SOURCE_DIR") != NULL) {
		snprintf(profiles, sizeof(profiles), "%s/profiles",
		    getenv("EGCA_SOURCE_DIR"));
		setenv("EGCA_PROFILES", profiles, 1);
	}
	rc = run("status_crl_sqlite");
	pg_base = getenv("EGCA_PG_URI");
	if (pg_base != NULL && *pg_base != '\0') {
		if (pg_create() != 0) {
			fprintf(stderr, "cannot create a test database\n");
			return 1;
		}
		rc |= run("status_crl_postgres");
		pg_drop();
	}
	return rc;
}
