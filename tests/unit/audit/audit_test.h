/*
 * Helpers shared by the audit/ unit tests: a private temp directory, a
 * fresh SQLite store with events, and raw SQL on the file behind the
 * store's back (as an attacker with file access would).
 */
#ifndef EGCA_AUDIT_TEST_H
#define EGCA_AUDIT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "egca/audit.h"
#include "egca/file.h"
#include "egca/store.h"

#define UNUSED_OK __attribute__((unused))

static char test_db[4096];
static char test_dir[1024];

/* A fresh directory under $EGCA_TEST_TMP (or /tmp). */
static UNUSED_OK const char *
test_tmpdir(void)
{
	const char *base;

	if (test_dir[0] != '\0')
		return test_dir;
	if ((base = getenv("EGCA_TEST_TMP")) == NULL || *base == '\0')
		base = "/tmp";
	if (egca_file_mkdirs(base, 0700) != EGCA_OK)
		abort();
	snprintf(test_dir, sizeof(test_dir), "%s/audit-XXXXXX", base);
	if (mkdtemp(test_dir) == NULL)
		abort();
	return test_dir;
}

static UNUSED_OK struct egca_store *
test_reopen(void)
{
	struct egca_store *st = NULL;
	char uri[4200];

	snprintf(uri, sizeof(uri), "sqlite:%s", test_db);
	if (egca_store_open(uri, 1, &st) != EGCA_OK) {
		fprintf(stderr, "store: %s\n", egca_err_detail());
		abort();
	}
	return st;
}

static UNUSED_OK void
test_unlink_db(void)
{
	char p[4200];

	unlink(test_db);
	snprintf(p, sizeof(p), "%s-wal", test_db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", test_db);
	unlink(p);
}

/* A new store (name under the temp dir) with events 1..n. */
static UNUSED_OK struct egca_store *
test_fresh(const char *name, int n)
{
	struct egca_store *st;
	char obj[32];
	int i;

	snprintf(test_db, sizeof(test_db), "%s/%s.db", test_tmpdir(), name);
	test_unlink_db();
	st = test_reopen();
	for (i = 1; i <= n; i++) {
		struct egca_audit_event ev = {
		    "test", "thing.do", obj, "success", "{\"n\":1}"};
		snprintf(obj, sizeof(obj), "thing/%d", i);
		if (egca_audit_record(st, &ev) != EGCA_OK)
			abort();
	}
	return st;
}

/* SQL on the database file, outside the store; 0 on success. */
static UNUSED_OK int
test_raw(const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(test_db, &db) != SQLITE_OK)
		abort();
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* One integer from a query on the file (-1 when no row). */
static UNUSED_OK long long
test_raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_open(test_db, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static UNUSED_OK void
test_done(struct egca_store *st)
{
	egca_store_close(st);
	test_unlink_db();
}

#endif
