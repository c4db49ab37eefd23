/*
 * store/ unit tests. Every case runs against SQLite (a fresh file under
 * $EGCA_TEST_TMP) and, when EGCA_PG_URI is set, against PostgreSQL (the
 * public schema is dropped before each case): see tests/pg/pg.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
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

#include "egca/store.h"
#include "store/schema.h"
#include "store/store_test.h"

#define OK(x) assert_int_equal((x), EGCA_OK)

static const char *pg_uri; /* NULL while the SQLite group runs */
static char tmpdir[1024];
static int counter;

struct fx {
	char uri[2048];
	struct egca_store *st;
};

static int
latest_version(void)
{
	const struct egca_schema_migration *m;
	int v = 0;

	for (m = egca_schema_migrations; m->version != 0; m++)
		if (m->version > v)
			v = m->version;
	return v;
}

static int
setup(void **state)
{
	struct fx *fx;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	if (pg_uri != NULL)
		snprintf(fx->uri, sizeof(fx->uri), "%s", pg_uri);
	else
		snprintf(fx->uri, sizeof(fx->uri), "sqlite:%s/t%d.db", tmpdir,
		    counter++);
	if (egca_store_test_reset(fx->uri) != EGCA_OK ||
	    egca_store_open(fx->uri, 1, &fx->st) != EGCA_OK) {
		fprintf(stderr, "setup: %s\n", egca_err_detail());
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	egca_store_close(fx->st);
	free(fx);
	return 0;
}

/* Bytes 0x00..0xff, so every octet value round-trips. */
static uint8_t all_bytes[256];

static void
ca_rec(struct egca_ca_rec *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->name = (char *)(uintptr_t)name;
	r->status = (char *)(uintptr_t) "active";
	r->mode = (char *)(uintptr_t) "root";
	r->key_alg = (char *)(uintptr_t) "sm2";
	r->key_file = (char *)(uintptr_t) "keys/root.key";
	r->subject = (char *)(uintptr_t) "CN=Root CA,O=Test,C=CN";
	r->subject_der = all_bytes;
	r->subject_der_len = sizeof(all_bytes);
	r->cert_der = all_bytes + 1;
	r->cert_der_len = 10;
	r->chain_pem = (char *)(uintptr_t) "";
	r->created_at = 1700000000;
	r->not_after = 2000000000;
}

static void
add_ca(struct egca_store *st, const char *name)
{
	struct egca_ca_rec r;

	ca_rec(&r, name);
	OK(egca_store_ca_insert(st, &r));
}

static void
add_cert(struct egca_store *st, const char *ca, const char *serial,
    const char *profile, const char *subject, int64_t issued_at,
    int64_t not_after)
{
	struct egca_cert_rec r;

	memset(&r, 0, sizeof(r));
	r.ca = (char *)(uintptr_t)ca;
	r.serial = (char *)(uintptr_t)serial;
	r.profile = (char *)(uintptr_t)profile;
	r.subject = (char *)(uintptr_t)subject;
	r.status = (char *)(uintptr_t) "good";
	r.reason = -1;
	r.not_before = issued_at;
	r.not_after = not_after;
	r.issued_at = issued_at;
	r.audience = (char *)(uintptr_t) "public";
	r.key_alg = (char *)(uintptr_t) "sm2";
	r.tbs_sm3 = (char *)(uintptr_t) "abcd";
	r.der = all_bytes;
	r.der_len = sizeof(all_bytes);
	OK(egca_store_serial_reserve(st, ca, serial, "abcd", issued_at));
	OK(egca_store_cert_insert(st, &r));
}

/* ---- migrations ---- */

static void
test_migrations(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(egca_store_schema_version(fx->st), latest_version());
	assert_int_equal(egca_store_driver(fx->st),
	    pg_uri ? EGCA_STORE_POSTGRES : EGCA_STORE_SQLITE);
	/* Reopening applies nothing and keeps the data. */
	add_ca(fx->st, "root");
	if (pg_uri == NULL) {
		/* WAL journal (reliability-scenarios section 0 item 8). */
		char wal[2100];
		struct stat sb;

		snprintf(wal, sizeof(wal), "%s-wal", fx->uri + 7);
		assert_int_equal(stat(wal, &sb), 0);
	}
	egca_store_close(fx->st);
	OK(egca_store_open(fx->uri, 0, &fx->st));
	assert_int_equal(egca_store_schema_version(fx->st), latest_version());
	struct egca_ca_rec r;
	OK(egca_store_ca_get(fx->st, "root", &r));
	egca_store_ca_rec_free(&r);
}

static void
test_newer_schema(void **state)
{
	struct fx *fx = *state;
	char want[128];

	OK(egca_store_test_exec(fx->st,
	    "INSERT INTO schema_migrations (version, name, applied_at)"
	    " VALUES (999, '999_future', 0)"));
	egca_store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(egca_store_open(fx->uri, 0, &fx->st), EGCA_ERR_STORE);
	assert_null(fx->st);
	snprintf(want, sizeof(want),
	    "schema version 999 is newer than this egca (%d)",
	    latest_version());
	assert_non_null(strstr(egca_err_detail(), want));
	/* teardown closes fx->st: give it a usable store again. */
	OK(egca_store_test_reset(fx->uri));
	OK(egca_store_open(fx->uri, 1, &fx->st));
}

static void
test_open_errors(void **state)
{
	struct egca_store *st = NULL;
	char uri[1100];

	(void)state;
	assert_int_equal(egca_store_open("mysql://x", 1, &st), EGCA_ERR_USAGE);
	assert_null(st);
	snprintf(uri, sizeof(uri), "sqlite:%s/absent/x.db", tmpdir);
	assert_int_not_equal(egca_store_open(uri, 1, &st), EGCA_OK);
	snprintf(uri, sizeof(uri), "sqlite:%s/never.db", tmpdir);
	assert_int_equal(egca_store_open(uri, 0, &st), EGCA_ERR_NOTFOUND);
	assert_null(st);
}

/* ---- CAs ---- */

static void
test_ca(void **state)
{
	struct fx *fx = *state;
	struct egca_ca_rec r, got, *list;
	size_t n;

	ca_rec(&r, "sub-1");
	r.status = (char *)(uintptr_t) "pending";
	r.mode = (char *)(uintptr_t) "subordinate";
	r.cert_der = NULL;
	r.cert_der_len = 0;
	r.csr_der = all_bytes;
	r.csr_der_len = sizeof(all_bytes);
	r.not_after = 0;
	OK(egca_store_ca_insert(fx->st, &r));
	add_ca(fx->st, "root");
	assert_int_equal(egca_store_ca_insert(fx->st, &r), EGCA_ERR_EXISTS);

	OK(egca_store_ca_get(fx->st, "sub-1", &got));
	assert_string_equal(got.name, "sub-1");
	assert_string_equal(got.status, "pending");
	assert_string_equal(got.mode, "subordinate");
	assert_string_equal(got.key_alg, "sm2");
	assert_string_equal(got.key_file, "keys/root.key");
	assert_string_equal(got.subject, "CN=Root CA,O=Test,C=CN");
	assert_int_equal(got.subject_der_len, 256);
	assert_memory_equal(got.subject_der, all_bytes, 256);
	assert_null(got.cert_der);
	assert_int_equal(got.cert_der_len, 0);
	assert_int_equal(got.csr_der_len, 256);
	assert_memory_equal(got.csr_der, all_bytes, 256);
	assert_string_equal(got.chain_pem, "");
	assert_int_equal(got.created_at, 1700000000);
	assert_int_equal(got.not_after, 0);
	egca_store_ca_rec_free(&got);
	egca_store_ca_rec_free(&got); /* zeroed: harmless */

	/* Activation after the subordinate certificate is imported. */
	r.status = (char *)(uintptr_t) "active";
	r.cert_der = all_bytes + 250;
	r.cert_der_len = 6; /* ends with 0xff */
	r.chain_pem = (char *)(uintptr_t) "-----BEGIN CERTIFICATE-----\n";
	r.not_after = 1900000000;
	OK(egca_store_ca_activate(fx->st, &r));
	OK(egca_store_ca_get(fx->st, "sub-1", &got));
	assert_string_equal(got.status, "active");
	assert_int_equal(got.cert_der_len, 6);
	assert_memory_equal(got.cert_der, all_bytes + 250, 6);
	assert_string_equal(got.chain_pem, "-----BEGIN CERTIFICATE-----\n");
	assert_int_equal(got.not_after, 1900000000);
	egca_store_ca_rec_free(&got);

	r.name = (char *)(uintptr_t) "nope";
	assert_int_equal(egca_store_ca_activate(fx->st, &r), EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    egca_store_ca_get(fx->st, "nope", &got), EGCA_ERR_NOTFOUND);
	assert_null(got.name);

	/* CHECK constraints refuse unknown enum values. */
	ca_rec(&r, "bad");
	r.status = (char *)(uintptr_t) "bogus";
	assert_int_equal(egca_store_ca_insert(fx->st, &r), EGCA_ERR_INPUT);
	r.status = NULL;
	assert_int_equal(egca_store_ca_insert(fx->st, &r), EGCA_ERR_INPUT);

	OK(egca_store_ca_list(fx->st, &list, &n));
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "root");
	assert_string_equal(list[1].name, "sub-1");
	assert_int_equal(list[0].cert_der_len, 10);
	assert_memory_equal(list[0].cert_der, all_bytes + 1, 10);
	egca_store_ca_list_free(list, n);
	egca_store_ca_list_free(NULL, 0);
}

/* ---- anchors ---- */

static void
test_anchor(void **state)
{
	struct fx *fx = *state;
	struct egca_anchor_rec r, *list;
	size_t n;

	OK(egca_store_anchor_list(fx->st, &list, &n));
	assert_int_equal(n, 0);
	egca_store_anchor_list_free(list, n);

	memset(&r, 0, sizeof(r));
	r.id = (char *)(uintptr_t) "aa";
	r.kind = (char *)(uintptr_t) "anchor";
	r.subject = (char *)(uintptr_t) "CN=Other Root";
	r.cert_der = all_bytes;
	r.cert_der_len = 1; /* a single 0x00 */
	r.not_after = 1900000000;
	r.added_at = 2;
	OK(egca_store_anchor_insert(fx->st, &r));
	assert_int_equal(egca_store_anchor_insert(fx->st, &r), EGCA_ERR_EXISTS);
	r.id = (char *)(uintptr_t) "bb";
	r.kind = (char *)(uintptr_t) "cross";
	r.cert_der = all_bytes + 255; /* a single 0xff */
	r.added_at = 1;
	OK(egca_store_anchor_insert(fx->st, &r));
	r.id = (char *)(uintptr_t) "cc";
	r.kind = (char *)(uintptr_t) "other";
	assert_int_equal(egca_store_anchor_insert(fx->st, &r), EGCA_ERR_INPUT);

	OK(egca_store_anchor_list(fx->st, &list, &n));
	assert_int_equal(n, 2);
	assert_string_equal(list[0].id, "bb");
	assert_string_equal(list[0].kind, "cross");
	assert_int_equal(list[0].cert_der_len, 1);
	assert_int_equal(list[0].cert_der[0], 0xff);
	assert_string_equal(list[1].id, "aa");
	assert_int_equal(list[1].cert_der_len, 1);
	assert_int_equal(list[1].cert_der[0], 0x00);
	assert_int_equal(list[1].not_after, 1900000000);
	assert_string_equal(list[1].subject, "CN=Other Root");
	egca_store_anchor_list_free(list, n);
}

/* ---- serials ---- */

static void
test_serial(void **state)
{
	struct fx *fx = *state;

	add_ca(fx->st, "root");
	add_ca(fx->st, "other");
	OK(egca_store_serial_reserve(fx->st, "root", "7f01", "aaaa", 1));
	assert_int_equal(
	    egca_store_serial_reserve(fx->st, "root", "7f01", "aaaa", 2),
	    EGCA_ERR_EXISTS);
	/* A different TBS does not make a used serial free. */
	assert_int_equal(
	    egca_store_serial_reserve(fx->st, "root", "7f01", "bbbb", 3),
	    EGCA_ERR_EXISTS);
	assert_non_null(strstr(egca_err_detail(), "7f01"));
	/* Unique per CA only. */
	OK(egca_store_serial_reserve(fx->st, "other", "7f01", "aaaa", 4));
	/* No such CA. */
	assert_int_equal(
	    egca_store_serial_reserve(fx->st, "ghost", "01", "aaaa", 5),
	    EGCA_ERR_NOTFOUND);
}

/* ---- certificates ---- */

/* Serials descend while issued_at ascends: the order must be by time. */
static void
serial_of(size_t i, char out[32])
{
	snprintf(out, 32, "%02zx%02zx", 0x70 + i, 30 - i);
}

static void
test_cert(void **state)
{
	struct fx *fx = *state;
	struct egca_cert_rec r, got, *list;
	struct egca_cert_filter f;
	char serial[32], subject[64];
	char s0[32], s1[32], s2[32];
	size_t n, total, i;

	serial_of(0, s0);
	serial_of(1, s1);
	serial_of(2, s2);
	add_ca(fx->st, "root");
	add_ca(fx->st, "sub");
	/* 30 certs: issued_at 1000+i, not_after 5000+i. */
	for (i = 0; i < 30; i++) {
		snprintf(
		    serial, sizeof(serial), "%02zx%02zx", 0x70 + i, 30 - i);
		snprintf(subject, sizeof(subject), "CN=host%zu,O=%s", i,
		    i % 3 == 0 ? "Ex_ample 100%" : "other");
		add_cert(fx->st, i < 20 ? "root" : "sub", serial,
		    i % 2 ? "tls-server" : "tls-client", subject,
		    (int64_t)(1000 + i), (int64_t)(5000 + i));
	}

	OK(egca_store_cert_get(fx->st, "root", s0, &got));
	assert_string_equal(got.ca, "root");
	assert_string_equal(got.serial, "701e");
	assert_string_equal(got.profile, "tls-client");
	assert_string_equal(got.subject, "CN=host0,O=Ex_ample 100%");
	assert_string_equal(got.status, "good");
	assert_int_equal(got.reason, -1);
	assert_int_equal(got.revoked_at, 0);
	assert_int_equal(got.issued_at, 1000);
	assert_int_equal(got.not_before, 1000);
	assert_int_equal(got.not_after, 5000);
	assert_string_equal(got.audience, "public");
	assert_string_equal(got.key_alg, "sm2");
	assert_string_equal(got.tbs_sm3, "abcd");
	assert_int_equal(got.der_len, 256);
	assert_memory_equal(got.der, all_bytes, 256);
	egca_store_cert_rec_free(&got);
	assert_int_equal(
	    egca_store_cert_get(fx->st, "sub", s0, &got), EGCA_ERR_NOTFOUND);

	/* Duplicates and certificates without a reservation. */
	memset(&r, 0, sizeof(r));
	OK(egca_store_cert_get(fx->st, "root", s1, &r));
	assert_int_equal(egca_store_cert_insert(fx->st, &r), EGCA_ERR_EXISTS);
	free(r.serial);
	r.serial = strdup("ffff");
	assert_int_equal(egca_store_cert_insert(fx->st, &r), EGCA_ERR_NOTFOUND);
	egca_store_cert_rec_free(&r);

	/* Revocation. */
	OK(egca_store_cert_set_status(
	    fx->st, "root", s1, "revoked", 1, 3000, 2900));
	OK(egca_store_cert_get(fx->st, "root", s1, &got));
	assert_string_equal(got.status, "revoked");
	assert_int_equal(got.reason, 1);
	assert_int_equal(got.revoked_at, 3000);
	assert_int_equal(got.invalidity_date, 2900);
	egca_store_cert_rec_free(&got);
	OK(egca_store_cert_set_status(fx->st, "root", s2, "hold", 6, 3001, 0));
	assert_int_equal(egca_store_cert_set_status(
	                     fx->st, "root", "dead", "revoked", 1, 1, 0),
	    EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    egca_store_cert_set_status(fx->st, "root", s0, "lost", 1, 1, 0),
	    EGCA_ERR_INPUT);

	/* Everything, in issue order, without DER. */
	memset(&f, 0, sizeof(f));
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(n, 30);
	assert_int_equal(total, 30);
	for (i = 0; i < n; i++) {
		assert_int_equal(list[i].issued_at, 1000 + (int64_t)i);
		assert_null(list[i].der);
	}
	assert_string_equal(list[1].status, "revoked");
	egca_store_cert_list_free(list, n);

	/* Paging: total stays the filter's count. */
	f.limit = 10;
	f.offset = 25;
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(n, 5);
	assert_int_equal(total, 30);
	assert_int_equal(list[0].issued_at, 1025);
	egca_store_cert_list_free(list, n);
	f.offset = 40;
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(n, 0);
	assert_int_equal(total, 30);
	egca_store_cert_list_free(list, n);

	/* Filters. */
	memset(&f, 0, sizeof(f));
	f.ca = "sub";
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(n, 10);
	assert_int_equal(total, 10);
	assert_string_equal(list[0].ca, "sub");
	egca_store_cert_list_free(list, n);

	memset(&f, 0, sizeof(f));
	f.status = "revoked";
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(n, 1);
	assert_string_equal(list[0].serial, s1);
	egca_store_cert_list_free(list, n);

	memset(&f, 0, sizeof(f));
	f.profile = "tls-server";
	f.ca = "root";
	f.limit = 3;
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(n, 3);
	assert_int_equal(total, 10);
	egca_store_cert_list_free(list, n);

	/* subject_like is a literal, case-insensitive substring. */
	memset(&f, 0, sizeof(f));
	f.subject_like = "ex_ample 100%";
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(total, 10);
	assert_int_equal(n, 10);
	egca_store_cert_list_free(list, n);
	f.subject_like = "exXample";
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(total, 0);
	egca_store_cert_list_free(list, n);
	f.subject_like = "1%";
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(total, 0);
	egca_store_cert_list_free(list, n);
	f.subject_like = "host1";
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(total, 11); /* host1, host10..host19 */
	egca_store_cert_list_free(list, n);

	/* Expiry window: 5010 < not_after < 5015. */
	memset(&f, 0, sizeof(f));
	f.expires_after = 5010;
	f.expires_before = 5015;
	OK(egca_store_cert_list(fx->st, &f, &list, &n, &total));
	assert_int_equal(n, 4);
	assert_int_equal(total, 4);
	assert_int_equal(list[0].not_after, 5011);
	egca_store_cert_list_free(list, n);

	/* total may be NULL. */
	memset(&f, 0, sizeof(f));
	OK(egca_store_cert_list(fx->st, &f, &list, &n, NULL));
	assert_int_equal(n, 30);
	egca_store_cert_list_free(list, n);
}

/* ---- audit ---- */

static void
audit_rec(struct egca_audit_rec *r, int64_t seq, char *prev, char *hash)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->ts = 1700000000 + seq;
	r->actor = (char *)(uintptr_t) "operator:alice";
	r->action = (char *)(uintptr_t) "cert.issue";
	r->object = (char *)(uintptr_t) "root/7f01";
	r->outcome = (char *)(uintptr_t) "success";
	r->details = (char *)(uintptr_t) "{\"k\":\"v\"}";
	r->prev_hash = prev;
	r->hash = hash;
}

static void
hash_of(int64_t seq, char out[65])
{
	snprintf(out, 65, "%064llx", (long long)seq);
}

static enum egca_err
append_many(struct egca_store *st, void *arg)
{
	struct egca_audit_rec r;
	char prev[65], hash[65];
	enum egca_err err;
	int64_t seq, i, n = *(int64_t *)arg;

	for (i = 0; i < n; i++) {
		if ((err = egca_store_audit_last(st, &seq, prev)) != EGCA_OK)
			return err;
		hash_of(seq + 1, hash);
		audit_rec(&r, seq + 1, prev, hash);
		if ((err = egca_store_audit_insert(st, &r)) != EGCA_OK)
			return err;
	}
	return EGCA_OK;
}

struct each_arg {
	int64_t next;
	int64_t count;
	int64_t stop_at;
	int bad;
};

static int
each_cb(const struct egca_audit_rec *r, void *arg)
{
	struct each_arg *a = arg;
	char want[65];

	hash_of(r->seq, want);
	if (r->seq != a->next || strcmp(r->hash, want) != 0 ||
	    strcmp(r->actor, "operator:alice") != 0 ||
	    strcmp(r->details, "{\"k\":\"v\"}") != 0 ||
	    r->ts != 1700000000 + r->seq)
		a->bad = 1;
	if (r->seq > 1) {
		hash_of(r->seq - 1, want);
		if (strcmp(r->prev_hash, want) != 0)
			a->bad = 1;
	} else if (strcmp(r->prev_hash, "") != 0)
		a->bad = 1;
	a->next++;
	a->count++;
	return a->stop_at != 0 && r->seq >= a->stop_at;
}

static void
test_audit(void **state)
{
	struct fx *fx = *state;
	struct egca_audit_rec r;
	struct each_arg a;
	char hash[65], want[65];
	int64_t seq, n = 1100;

	OK(egca_store_audit_last(fx->st, &seq, hash));
	assert_int_equal(seq, 0);
	assert_string_equal(hash, "");
	memset(&a, 0, sizeof(a));
	a.next = 1;
	OK(egca_store_audit_each(fx->st, 0, each_cb, &a));
	assert_int_equal(a.count, 0);

	/* More than one page of egca_store_audit_each. */
	OK(egca_store_tx(fx->st, append_many, &n));
	OK(egca_store_audit_last(fx->st, &seq, hash));
	assert_int_equal(seq, 1100);
	hash_of(1100, want);
	assert_string_equal(hash, want);

	memset(&a, 0, sizeof(a));
	a.next = 1;
	OK(egca_store_audit_each(fx->st, 0, each_cb, &a));
	assert_int_equal(a.count, 1100);
	assert_false(a.bad);

	memset(&a, 0, sizeof(a));
	a.next = 1001;
	OK(egca_store_audit_each(fx->st, 1000, each_cb, &a));
	assert_int_equal(a.count, 100);
	assert_false(a.bad);

	memset(&a, 0, sizeof(a));
	a.next = 11;
	a.stop_at = 15;
	OK(egca_store_audit_each(fx->st, 10, each_cb, &a));
	assert_int_equal(a.count, 5);
	assert_false(a.bad);

	hash_of(7, hash);
	audit_rec(&r, 7, hash, hash);
	assert_int_equal(egca_store_audit_insert(fx->st, &r), EGCA_ERR_EXISTS);
	audit_rec(&r, 2000, hash, hash);
	r.outcome = (char *)(uintptr_t) "maybe";
	assert_int_equal(egca_store_audit_insert(fx->st, &r), EGCA_ERR_INPUT);
}

/* ---- transactions ---- */

static enum egca_err
insert_then_fail(struct egca_store *st, void *arg)
{
	(void)arg;
	add_ca(st, "doomed");
	OK(egca_store_serial_reserve(st, "doomed", "01", "aa", 1));
	return egca_err_set(EGCA_ERR_POLICY, "changed my mind");
}

static enum egca_err
nested(struct egca_store *st, void *arg)
{
	(void)arg;
	add_ca(st, "inner");
	return EGCA_OK;
}

static enum egca_err
outer(struct egca_store *st, void *arg)
{
	enum egca_err err;

	(void)arg;
	add_ca(st, "outer");
	if ((err = egca_store_tx(st, nested, NULL)) != EGCA_OK)
		return err;
	/* An expected duplicate does not poison the transaction. */
	assert_int_equal(
	    egca_store_serial_reserve(st, "outer", "01", "aa", 1), EGCA_OK);
	assert_int_equal(egca_store_serial_reserve(st, "outer", "01", "aa", 1),
	    EGCA_ERR_EXISTS);
	return egca_store_serial_reserve(st, "outer", "02", "aa", 1);
}

static void
test_tx(void **state)
{
	struct fx *fx = *state;
	struct egca_ca_rec got;

	assert_int_equal(
	    egca_store_tx(fx->st, insert_then_fail, NULL), EGCA_ERR_POLICY);
	assert_string_equal(egca_err_detail(), "changed my mind");
	assert_int_equal(
	    egca_store_ca_get(fx->st, "doomed", &got), EGCA_ERR_NOTFOUND);
	/* The serial was rolled back with it: the CA can be re-created. */
	add_ca(fx->st, "doomed");
	OK(egca_store_serial_reserve(fx->st, "doomed", "01", "aa", 1));

	OK(egca_store_tx(fx->st, outer, NULL));
	OK(egca_store_ca_get(fx->st, "outer", &got));
	egca_store_ca_rec_free(&got);
	OK(egca_store_ca_get(fx->st, "inner", &got));
	egca_store_ca_rec_free(&got);
	assert_int_equal(
	    egca_store_serial_reserve(fx->st, "outer", "02", "aa", 1),
	    EGCA_ERR_EXISTS);
}

/* ---- concurrency ---- */

struct worker {
	const char *uri;
	int64_t per_thread;
	enum egca_err err;
	uint64_t retries;
	char detail[256];
};

static enum egca_err
append_slowly(struct egca_store *st, void *arg)
{
	struct egca_audit_rec r;
	char prev[65], hash[65];
	enum egca_err err;
	int64_t seq;

	(void)arg;
	/* Read, wait so the other thread reads the same seq, write. */
	if ((err = egca_store_audit_last(st, &seq, prev)) != EGCA_OK)
		return err;
	usleep(2000);
	hash_of(seq + 1, hash);
	audit_rec(&r, seq + 1, prev, hash);
	return egca_store_audit_insert(st, &r);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct egca_store *st;
	int64_t i;

	if ((w->err = egca_store_open(w->uri, 0, &st)) != EGCA_OK)
		goto out;
	for (i = 0; i < w->per_thread; i++)
		if ((w->err = egca_store_tx(st, append_slowly, NULL)) !=
		    EGCA_OK)
			break;
	w->retries = egca_store_test_retries(st);
	egca_store_close(st);
out:
	snprintf(w->detail, sizeof(w->detail), "%s", egca_err_detail());
	return NULL;
}

static void
test_concurrent_append(void **state)
{
	struct fx *fx = *state;
	struct worker w[2];
	pthread_t t[2];
	struct each_arg a;
	char hash[65];
	int64_t seq;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].uri = fx->uri;
		w[i].per_thread = 15;
		assert_int_equal(
		    pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (w[i].err != EGCA_OK)
			fprintf(stderr, "worker %d: %s\n", i, w[i].detail);
		OK(w[i].err);
	}
	OK(egca_store_audit_last(fx->st, &seq, hash));
	assert_int_equal(seq, 30);
	memset(&a, 0, sizeof(a));
	a.next = 1;
	OK(egca_store_audit_each(fx->st, 0, each_cb, &a));
	assert_int_equal(a.count, 30);
	assert_false(a.bad);
	/*
	 * One writer at a time on both backends (SQLite: BEGIN IMMEDIATE;
	 * PostgreSQL: the writer advisory lock taken before BEGIN), so the
	 * second waits instead of reading the same last seq and failing.
	 */
	assert_int_equal(w[0].retries + w[1].retries, 0);
}

struct holder {
	const char *uri;
	int hold_ms;
	sem_t started;
	enum egca_err err;
};

static enum egca_err
hold(struct egca_store *st, void *arg)
{
	struct holder *h = arg;
	struct egca_ca_rec r;
	enum egca_err err;

	/* No cmocka assertion here: this runs on another thread. */
	ca_rec(&r, "held");
	err = egca_store_ca_insert(st, &r);
	sem_post(&h->started);
	if (err != EGCA_OK)
		return err;
	usleep((useconds_t)h->hold_ms * 1000);
	return EGCA_OK;
}

static void *
holder_main(void *arg)
{
	struct holder *h = arg;
	struct egca_store *st;

	if ((h->err = egca_store_open(h->uri, 0, &st)) != EGCA_OK) {
		sem_post(&h->started);
		return NULL;
	}
	h->err = egca_store_tx(st, hold, h);
	egca_store_close(st);
	return NULL;
}

static enum egca_err
add_waiter(struct egca_store *st, void *arg)
{
	(void)arg;
	add_ca(st, "waiter");
	return EGCA_OK;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_writer_waits(void **state)
{
	struct fx *fx = *state;
	struct egca_ca_rec got;
	struct holder h;
	pthread_t t;
	double t0;

	/* A writer waits for the one holding the database, then runs. */
	memset(&h, 0, sizeof(h));
	h.uri = fx->uri;
	h.hold_ms = 300;
	sem_init(&h.started, 0, 0);
	assert_int_equal(pthread_create(&t, NULL, holder_main, &h), 0);
	sem_wait(&h.started);
	t0 = now();
	OK(egca_store_tx(fx->st, add_waiter, NULL));
	if (pg_uri == NULL)
		assert_true(now() - t0 > 0.1);
	pthread_join(t, NULL);
	OK(h.err);
	OK(egca_store_ca_get(fx->st, "held", &got));
	egca_store_ca_rec_free(&got);
	OK(egca_store_ca_get(fx->st, "waiter", &got));
	egca_store_ca_rec_free(&got);
	sem_destroy(&h.started);
	if (pg_uri != NULL)
		return;

	/* SQLite: a short busy timeout, retries exhausted: CONFLICT. */
	memset(&h, 0, sizeof(h));
	h.uri = fx->uri;
	h.hold_ms = 2500;
	sem_init(&h.started, 0, 0);
	OK(egca_store_test_exec(fx->st, "DELETE FROM ca WHERE name = 'held'"));
	assert_int_equal(pthread_create(&t, NULL, holder_main, &h), 0);
	sem_wait(&h.started);
	egca_store_test_busy_timeout(fx->st, 20);
	assert_int_equal(
	    egca_store_tx(fx->st, add_waiter, NULL), EGCA_ERR_CONFLICT);
	assert_int_equal(egca_store_test_retries(fx->st), 10);
	pthread_join(t, NULL);
	OK(h.err);
	sem_destroy(&h.started);
}

/* PostgreSQL: a dropped connection is re-established between calls. */
static void
test_reconnect(void **state)
{
	struct fx *fx = *state;
	struct egca_ca_rec *list;
	size_t n;

	if (pg_uri == NULL) {
		skip();
		return;
	}
	add_ca(fx->st, "root");
	assert_int_not_equal(
	    egca_store_test_exec(
	        fx->st, "SELECT pg_terminate_backend(pg_backend_pid())"),
	    EGCA_OK);
	OK(egca_store_ca_list(fx->st, &list, &n));
	assert_int_equal(n, 1);
	egca_store_ca_list_free(list, n);
	OK(egca_store_tx(fx->st, add_waiter, NULL));
}

/* ---- main ---- */

static void
cleanup_tmpdir(void)
{
	struct dirent *de;
	char path[2048];
	DIR *d;

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ca, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_anchor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_serial, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_concurrent_append, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_waits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
	};
	const struct CMUnitTest sqlite_only[] = {
	    cmocka_unit_test(test_open_errors),
	};
	const char *base;
	int i, failed = 0;

	for (i = 0; i < 256; i++)
		all_bytes[i] = (uint8_t)i;
	if ((base = getenv("EGCA_TEST_TMP")) == NULL || *base == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	snprintf(tmpdir, sizeof(tmpdir), "%s/store-XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	failed +=
	    cmocka_run_group_tests_name("store/sqlite", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name(
	    "store/sqlite-only", sqlite_only, NULL, NULL);
	if ((pg_uri = getenv("EGCA_PG_URI")) != NULL && *pg_uri != '\0')
		failed += cmocka_run_group_tests_name(
		    "store/postgres", tests, NULL, NULL);
	else
		fprintf(stderr, "EGCA_PG_URI not set: PostgreSQL skipped\n");
	cleanup_tmpdir();
	return failed != 0;
}
