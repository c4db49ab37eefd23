/*
 * The SM3 audit chain: appended events verify; a changed byte, a
 * deleted, a reordered and an inserted event are each found at the
 * right position. Tampering goes straight to the SQLite file, as an
 * attacker with file access would. An event that cannot be written
 * fails its transaction with EGCA_ERR_STORE and leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "egca/audit.h"
#include "egca/store.h"

static char path[512];

static struct egca_store *
fresh(int events)
{
	struct egca_store *st = NULL;
	char uri[600], obj[32];
	int i;

	snprintf(
	    path, sizeof(path), "/tmp/egca-audit-test-%ld.db", (long)getpid());
	unlink(path);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	assert_int_equal(egca_store_open(uri, 1, &st), EGCA_OK);
	for (i = 1; i <= events; i++) {
		struct egca_audit_event ev = {
		    "test", "thing.do", obj, "success", "{\"n\":1}"};
		snprintf(obj, sizeof(obj), "thing/%d", i);
		assert_int_equal(egca_audit_record(st, &ev), EGCA_OK);
	}
	return st;
}

static void
raw(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
done(struct egca_store *st)
{
	char p[600];

	egca_store_close(st);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void
test_intact(void **state)
{
	struct egca_store *st = fresh(5);
	struct egca_audit_report rep;

	(void)state;
	assert_int_equal(egca_audit_verify(st, NULL, 0, &rep), EGCA_OK);
	assert_int_equal(rep.events, 5);
	assert_int_equal(rep.first_bad, 0);
	assert_int_equal(rep.head_seq, 5);
	assert_int_equal(strlen(rep.head_hash), 64);
	done(st);
}

static void
test_empty(void **state)
{
	struct egca_store *st = fresh(0);
	struct egca_audit_report rep;

	(void)state;
	assert_int_equal(egca_audit_verify(st, NULL, 0, &rep), EGCA_OK);
	assert_int_equal(rep.events, 0);
	done(st);
}

static void
expect_break(const char *sql, int64_t pos)
{
	struct egca_store *st = fresh(6);
	struct egca_audit_report rep;

	egca_store_close(st);
	raw(sql);
	{
		char uri[600];
		snprintf(uri, sizeof(uri), "sqlite:%s", path);
		assert_int_equal(egca_store_open(uri, 0, &st), EGCA_OK);
	}
	assert_int_equal(
	    egca_audit_verify(st, NULL, 0, &rep), EGCA_ERR_INTEGRITY);
	if (rep.first_bad != pos)
		fail_msg("%s: broken at %lld, expected %lld (%s)", sql,
		    (long long)rep.first_bad, (long long)pos, rep.reason);
	done(st);
}

static void
test_changed_byte(void **state)
{
	(void)state;
	expect_break(
	    "UPDATE audit_event SET object = 'thing/X' WHERE seq = 3", 3);
	expect_break("UPDATE audit_event SET actor = 'tesT' WHERE seq = 6", 6);
	expect_break("UPDATE audit_event SET ts = ts + 1 WHERE seq = 1", 1);
	expect_break(
	    "UPDATE audit_event SET details = '{\"n\":2}' WHERE seq = 4", 4);
}

static void
test_deleted(void **state)
{
	(void)state;
	expect_break("DELETE FROM audit_event WHERE seq = 2", 2);
	expect_break("DELETE FROM audit_event WHERE seq = 1", 1);
}

static void
test_reordered(void **state)
{
	(void)state;
	/* Swap events 2 and 3 by their sequence numbers. */
	expect_break("UPDATE audit_event SET seq = 100 WHERE seq = 2;"
	             "UPDATE audit_event SET seq = 2 WHERE seq = 3;"
	             "UPDATE audit_event SET seq = 3 WHERE seq = 100;",
	    2);
}

static void
test_inserted(void **state)
{
	(void)state;
	/* Make room after 3 and insert a copy of 3 with another object. */
	expect_break("UPDATE audit_event SET seq = seq + 100 WHERE seq > 3;"
	             "UPDATE audit_event SET seq = seq - 99 WHERE seq > 100;"
	             "INSERT INTO audit_event SELECT 4, ts, actor, action, "
	             "'thing/evil', outcome, details, prev_hash, hash FROM "
	             "audit_event WHERE seq = 3;",
	    4);
}

static long long
count_events(void)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT count(*) FROM audit_event", -1, &s, NULL),
	    SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* The change an event records and the event commit together or not. */
static enum egca_err
change_and_audit(struct egca_store *st, void *arg)
{
	struct egca_audit_event ev = {
	    "test", "thing.change", "thing/x", "success", NULL};
	enum egca_err e;

	(void)arg;
	/* A change first (another audit event here stands for it)... */
	if ((e = egca_audit_append(st, &ev)) != EGCA_OK)
		return e;
	/* ...then its record, which the trigger refuses on the second. */
	return egca_audit_append(st, &ev);
}

static void
test_write_failure(void **state)
{
	struct egca_store *st = fresh(3);
	struct egca_audit_event ev = {
	    "test", "thing.do", "thing/4", "success", NULL};
	struct egca_audit_report rep;

	(void)state;
	/* Refuse the fifth event: the change (4) and its record (5) fail. */
	raw("CREATE TRIGGER audit_block BEFORE INSERT ON audit_event"
	    " WHEN NEW.seq >= 5 BEGIN SELECT RAISE(ABORT, 'blocked'); END;");
	assert_int_equal(
	    egca_store_tx(st, change_and_audit, NULL), EGCA_ERR_STORE);
	assert_non_null(
	    strstr(egca_err_detail(), "audit record could not be written"));
	assert_int_equal(count_events(), 3); /* event 4 rolled back too */
	/* A refusal recorded on its own is just as refused. */
	raw("DROP TRIGGER audit_block;"
	    "CREATE TRIGGER audit_block BEFORE INSERT ON audit_event"
	    " BEGIN SELECT RAISE(ABORT, 'blocked'); END;");
	assert_int_equal(egca_audit_record(st, &ev), EGCA_ERR_STORE);
	assert_int_equal(count_events(), 3);
	/* Writable again: the chain goes on intact. */
	raw("DROP TRIGGER audit_block;");
	assert_int_equal(egca_store_tx(st, change_and_audit, NULL), EGCA_OK);
	assert_int_equal(count_events(), 5);
	assert_int_equal(egca_audit_verify(st, NULL, 0, &rep), EGCA_OK);
	assert_int_equal(rep.events, 5);
	done(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intact),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_changed_byte),
	    cmocka_unit_test(test_deleted),
	    cmocka_unit_test(test_reordered),
	    cmocka_unit_test(test_inserted),
	    cmocka_unit_test(test_write_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
