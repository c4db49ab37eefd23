/*
 * The audit key and signed checkpoints: the signed encoding (golden
 * bytes), sign and verify, and what only checkpoints reveal: a truncated
 * tail, a forged checkpoint (signed by another key), a chain rewritten
 * with recomputed hashes (checkpoint disagrees), a checkpoint naming
 * another key. Also the lag, the serve ticker's schedule, and the key
 * file handling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "audit_test.h"
#include "egca/crypto.h"

static const char pass[] = "correct horse battery staple";

/* keys dir of this test run, with the audit key created once. */
static char keys[4200];
static uint8_t *pub;
static size_t pub_len;

static void
key_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", keys, name);
}

/* A store with n events whose audit key is registered. */
static struct egca_store *
with_key(const char *name, int n)
{
	struct egca_store *st = test_fresh(name, n);
	struct egca_audit_key_rec r;
	char id[65];

	assert_int_equal(egca_audit_key_id(pub, pub_len, id), EGCA_OK);
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.spki_der = pub;
	r.spki_der_len = pub_len;
	r.created_at = 1;
	assert_int_equal(egca_store_audit_key_insert(st, &r), EGCA_OK);
	return st;
}

static struct egca_signer *
audit_key(void)
{
	struct egca_signer *k = NULL;

	assert_int_equal(
	    egca_audit_key_open(keys, pass, sizeof(pass) - 1, &k), EGCA_OK);
	return k;
}

static void
add_events(struct egca_store *st, int n)
{
	struct egca_audit_event ev = {"test", "more", "x", "success", NULL};

	while (n-- > 0)
		assert_int_equal(egca_audit_record(st, &ev), EGCA_OK);
}

static int
setup(void **state)
{
	struct egca_store *st;
	char path[4300], id[65];
	struct stat sb;

	(void)state;
	snprintf(keys, sizeof(keys), "%s/keys", test_tmpdir());
	st = test_fresh("keys", 0);
	assert_int_equal(egca_audit_key_create(
	                     st, keys, "cli:test", pass, sizeof(pass) - 1, id),
	    EGCA_OK);
	assert_int_equal(strlen(id), 64);
	key_path(path, sizeof(path), EGCA_AUDIT_KEY_FILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	key_path(path, sizeof(path), EGCA_AUDIT_PUB_FILE);
	assert_int_equal(egca_audit_pubkey_load(path, &pub, &pub_len), EGCA_OK);
	/* Registered, and its creation is an audit event. */
	assert_int_equal(test_raw_int("SELECT count(*) FROM audit_key"), 1);
	assert_int_equal(test_raw_int("SELECT count(*) FROM audit_event WHERE"
	                              " action = 'audit.key.create'"),
	    1);
	test_done(st);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(pub);
	return 0;
}

static void
test_tbs_golden(void **state)
{
	static const uint8_t want[] = {0, 0, 0, 21, 'e', 'g', 'c', 'a', '-',
	    'a', 'u', 'd', 'i', 't', '-', 'c', 'h', 'e', 'c', 'k', 'p', 'o',
	    'i', 'n', 't', 0, 0, 0, 0, 0, 0, 1, 2, /* seq 258 */
	    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0, 0, 0,
	    0, 0x6a, 0x0b, 0x1c, 0x00}; /* ts 1779112960 */
	char head[65];
	struct egca_buf b;

	(void)state;
	memset(head, 'a', 64);
	for (int i = 0; i < 64; i += 2)
		head[i + 1] = 'b';
	head[64] = '\0';
	egca_buf_init(&b, 1024);
	assert_int_equal(
	    egca_audit_checkpoint_tbs(258, head, 1779112960, &b), EGCA_OK);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	egca_buf_reset(&b);
	assert_int_equal(
	    egca_audit_checkpoint_tbs(1, "abc", 1, &b), EGCA_ERR_INTEGRITY);
	assert_int_equal(
	    egca_audit_checkpoint_tbs(0, head, 1, &b), EGCA_ERR_INTEGRITY);
	egca_buf_free(&b);
}

static void
test_sign_verify(void **state)
{
	struct egca_store *st = with_key("sign", 5);
	struct egca_signer *k = audit_key();
	struct egca_audit_report rep;
	int64_t seq, lag, at;

	(void)state;
	assert_int_equal(egca_audit_checkpoint_lag(st, &lag, &at), EGCA_OK);
	assert_int_equal(lag, 5);
	assert_int_equal(at, 0);
	assert_int_equal(egca_audit_checkpoint(st, k, 1000, &seq), EGCA_OK);
	assert_int_equal(seq, 5);
	/* The same head is not signed twice. */
	assert_int_equal(egca_audit_checkpoint(st, k, 2000, &seq), EGCA_OK);
	assert_int_equal(seq, 5);
	assert_int_equal(
	    test_raw_int("SELECT count(*) FROM audit_checkpoint"), 1);
	assert_int_equal(egca_audit_checkpoint_lag(st, &lag, &at), EGCA_OK);
	assert_int_equal(lag, 0);
	assert_int_equal(at, 1000);
	add_events(st, 3);
	assert_int_equal(egca_audit_checkpoint_lag(st, &lag, &at), EGCA_OK);
	assert_int_equal(lag, 3);
	assert_int_equal(egca_audit_checkpoint(st, k, 3000, &seq), EGCA_OK);
	assert_int_equal(seq, 8);
	assert_int_equal(egca_audit_verify(st, pub, pub_len, &rep), EGCA_OK);
	assert_int_equal(rep.events, 8);
	assert_int_equal(rep.checkpoints, 2);
	assert_int_equal(rep.last_checkpoint, 8);
	assert_int_equal(rep.last_checkpoint_at, 3000);
	assert_int_equal(rep.signatures_checked, 1);
	assert_string_equal(rep.key_note, "");
	/* Without the key: the hashes and the length are still checked. */
	assert_int_equal(egca_audit_verify(st, NULL, 0, &rep), EGCA_OK);
	assert_int_equal(rep.checkpoints, 2);
	assert_int_equal(rep.signatures_checked, 0);
	egca_signer_free(k);
	test_done(st);
}

static void
test_empty_log(void **state)
{
	struct egca_store *st = with_key("empty", 0);
	struct egca_signer *k = audit_key();
	int64_t seq = 99;

	(void)state;
	/* with_key registers without an event: the log is empty. */
	assert_int_equal(egca_audit_checkpoint(st, k, 1000, &seq), EGCA_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(
	    test_raw_int("SELECT count(*) FROM audit_checkpoint"), 0);
	egca_signer_free(k);
	test_done(st);
}

/* Replaces checkpoint seq's signature with one by another key. */
static void
forge(int64_t seq)
{
	struct egca_signer *other = NULL;
	struct egca_buf tbs;
	sqlite3 *db;
	sqlite3_stmt *s;
	uint8_t sig[160];
	size_t sig_len = sizeof(sig);
	char head[65], q[200];
	long long ts;

	snprintf(q, sizeof(q),
	    "SELECT ts FROM audit_checkpoint WHERE seq = %lld", (long long)seq);
	ts = test_raw_int(q);
	assert_int_equal(sqlite3_open(test_db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT head_hash FROM audit_checkpoint WHERE seq "
	                     "= ?",
	                     -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, seq);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(head, sizeof(head), "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_int_equal(
	    egca_signer_generate(EGCA_KEY_SM2, 0, EGCA_SIGN_AUDIT, &other),
	    EGCA_OK);
	egca_buf_init(&tbs, 256);
	assert_int_equal(
	    egca_audit_checkpoint_tbs(seq, head, ts, &tbs), EGCA_OK);
	assert_int_equal(egca_signer_sign(other, EGCA_SIGN_AUDIT, tbs.data,
	                     tbs.len, sig, &sig_len),
	    EGCA_OK);
	egca_buf_free(&tbs);
	egca_signer_free(other);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "UPDATE audit_checkpoint SET signature = ? WHERE "
	                     "seq = ?",
	                     -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(s, 1, sig, (int)sig_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, seq);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
test_truncated_tail(void **state)
{
	struct egca_store *st = with_key("trunc", 6);
	struct egca_signer *k = audit_key();
	struct egca_audit_report rep;
	int64_t seq;

	(void)state;
	assert_int_equal(egca_audit_checkpoint(st, k, 1000, &seq), EGCA_OK);
	add_events(st, 2); /* after the checkpoint: not covered */
	/* Removing events past the checkpoint goes unseen... */
	assert_int_equal(test_raw("DELETE FROM audit_event WHERE seq > 7"), 0);
	assert_int_equal(egca_audit_verify(st, pub, pub_len, &rep), EGCA_OK);
	/* ...removing covered ones does not: the chain alone is intact. */
	assert_int_equal(test_raw("DELETE FROM audit_event WHERE seq > 4"), 0);
	assert_int_equal(
	    egca_audit_verify(st, pub, pub_len, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.events, 4);
	assert_int_equal(rep.first_bad, 5);
	assert_int_equal(rep.bad_seq, 5);
	assert_int_equal(rep.bad_checkpoint, 6);
	assert_non_null(
	    strstr(rep.reason, "log ends at seq 4 but checkpoint 1"));
	assert_non_null(strstr(rep.reason, "covers seq 6"));
	assert_non_null(strstr(egca_err_detail(), "log ends at seq 4"));
	/* Also without the public key. */
	assert_int_equal(
	    egca_audit_verify(st, NULL, 0, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.bad_checkpoint, 6);
	/* Everything removed: still found. */
	assert_int_equal(test_raw("DELETE FROM audit_event"), 0);
	assert_int_equal(
	    egca_audit_verify(st, pub, pub_len, &rep), EGCA_ERR_INTEGRITY);
	assert_non_null(strstr(rep.reason, "log ends at seq 0"));
	test_done(st);
	/* Several checkpoints past the end: the newest is named. */
	st = with_key("trunc2", 3);
	assert_int_equal(egca_audit_checkpoint(st, k, 1000, &seq), EGCA_OK);
	add_events(st, 3);
	assert_int_equal(egca_audit_checkpoint(st, k, 2000, &seq), EGCA_OK);
	assert_int_equal(test_raw("DELETE FROM audit_event WHERE seq > 2"), 0);
	assert_int_equal(
	    egca_audit_verify(st, pub, pub_len, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.bad_checkpoint, 6);
	assert_int_equal(rep.first_bad, 3);
	assert_non_null(
	    strstr(rep.reason, "log ends at seq 2 but checkpoint 2"));
	assert_non_null(strstr(rep.reason, "covers seq 6"));
	/* A forged one among them is reported as forged. */
	forge(6);
	assert_int_equal(
	    egca_audit_verify(st, pub, pub_len, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.bad_checkpoint, 6);
	assert_non_null(strstr(rep.reason, "signature does not verify"));
	egca_signer_free(k);
	test_done(st);
}

static void
test_forged_checkpoint(void **state)
{
	struct egca_store *st = with_key("forged", 4);
	struct egca_signer *k = audit_key();
	struct egca_audit_report rep;
	int64_t seq;

	(void)state;
	assert_int_equal(egca_audit_checkpoint(st, k, 1000, &seq), EGCA_OK);
	add_events(st, 2);
	assert_int_equal(egca_audit_checkpoint(st, k, 2000, &seq), EGCA_OK);
	assert_int_equal(egca_audit_verify(st, pub, pub_len, &rep), EGCA_OK);
	forge(6);
	assert_int_equal(
	    egca_audit_verify(st, pub, pub_len, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.bad_checkpoint, 6);
	assert_int_equal(rep.checkpoints, 1); /* the one at 4 was good */
	assert_int_equal(rep.first_bad, 0);   /* the events are not at fault */
	assert_non_null(strstr(rep.reason, "signature does not verify"));
	/* A changed head hash breaks the signature as well. */
	assert_int_equal(
	    test_raw("UPDATE audit_checkpoint SET head_hash ="
	             " (SELECT hash FROM audit_event WHERE seq = 3)"
	             " WHERE seq = 4"),
	    0);
	assert_int_equal(
	    egca_audit_verify(st, pub, pub_len, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.bad_checkpoint, 4);
	assert_non_null(strstr(rep.reason, "signature does not verify"));
	egca_signer_free(k);
	test_done(st);
}

/* Rewrites event 3 and recomputes the chain after it (D1's forgery). */
static void
rewrite_chain(struct egca_store *st)
{
	struct egca_audit_rec r;
	sqlite3 *db;
	sqlite3_stmt *s, *u;
	char prev[65] = "", hash[65];

	(void)st;
	assert_int_equal(sqlite3_open(test_db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "UPDATE audit_event SET object = 'thing/evil'"
	                     " WHERE seq = 3",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT seq, ts, actor, action, object, outcome,"
	                     " details FROM audit_event ORDER BY seq",
	                     -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "UPDATE audit_event SET prev_hash = ?, hash = ?"
	                     " WHERE seq = ?",
	                     -1, &u, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.seq = sqlite3_column_int64(s, 0);
		r.ts = sqlite3_column_int64(s, 1);
		r.actor = (char *)(uintptr_t)sqlite3_column_text(s, 2);
		r.action = (char *)(uintptr_t)sqlite3_column_text(s, 3);
		r.object = (char *)(uintptr_t)sqlite3_column_text(s, 4);
		r.outcome = (char *)(uintptr_t)sqlite3_column_text(s, 5);
		r.details = (char *)(uintptr_t)sqlite3_column_text(s, 6);
		assert_int_equal(egca_audit_hash(&r, prev, hash), EGCA_OK);
		sqlite3_bind_text(u, 1, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(u, 2, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 3, r.seq);
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
		memcpy(prev, hash, sizeof(hash));
	}
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	sqlite3_close(db);
}

static void
test_rewritten_chain(void **state)
{
	struct egca_store *st = with_key("rewrite", 5);
	struct egca_signer *k = audit_key();
	struct egca_audit_report rep;
	int64_t seq;

	(void)state;
	assert_int_equal(egca_audit_checkpoint(st, k, 1000, &seq), EGCA_OK);
	add_events(st, 2);
	rewrite_chain(st);
	/*
	 * The chain alone is consistent, but the head signed at seq 5 no
	 * longer matches event 5 (found without the public key too).
	 */
	assert_int_equal(
	    egca_audit_verify(st, NULL, 0, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(
	    egca_audit_verify(st, pub, pub_len, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.events, 7);
	assert_int_equal(rep.first_bad, 5);
	assert_int_equal(rep.bad_checkpoint, 5);
	assert_non_null(strstr(rep.reason, "rewritten at or before seq 5"));
	egca_signer_free(k);
	test_done(st);
}

static void
test_other_key(void **state)
{
	struct egca_store *st = with_key("otherkey", 3);
	struct egca_signer *k = audit_key(), *other = NULL;
	struct egca_audit_report rep;
	const uint8_t *spki;
	size_t spki_len;
	int64_t seq;

	(void)state;
	assert_int_equal(egca_audit_checkpoint(st, k, 1000, &seq), EGCA_OK);
	/* Verified with a key that did not sign: refused, and the store's
	 * key differs from the one given. */
	assert_int_equal(
	    egca_signer_generate(EGCA_KEY_SM2, 0, EGCA_SIGN_AUDIT, &other),
	    EGCA_OK);
	spki = egca_signer_get0_spki(other, &spki_len);
	assert_int_equal(
	    egca_audit_verify(st, spki, spki_len, &rep), EGCA_ERR_INTEGRITY);
	assert_int_equal(rep.bad_checkpoint, 3);
	assert_non_null(strstr(rep.reason, "not the audit key"));
	assert_non_null(strstr(rep.key_note, "not the one registered"));
	/* An unregistered key cannot make checkpoints. */
	add_events(st, 1);
	assert_int_equal(
	    egca_audit_checkpoint(st, other, 2000, &seq), EGCA_ERR_STATE);
	assert_non_null(strstr(egca_err_detail(), "not registered"));
	assert_int_equal(
	    test_raw_int("SELECT count(*) FROM audit_checkpoint"), 1);
	egca_signer_free(other);
	egca_signer_free(k);
	test_done(st);
}

static void
test_ticker(void **state)
{
	struct egca_store *st = with_key("ticker", 2);
	struct egca_audit_ticker *t = NULL;
	char uri[4200];

	(void)state;
	snprintf(uri, sizeof(uri), "sqlite:%s", test_db);
	/* Every 3 events or 10 minutes. */
	assert_int_equal(
	    egca_audit_ticker_new(uri, audit_key(), 3, 10, &t), EGCA_OK);
#define CPS() test_raw_int("SELECT count(*) FROM audit_checkpoint")
#define LAST() test_raw_int("SELECT max(seq) FROM audit_checkpoint")
	/* Events but no checkpoint yet: one at once. */
	egca_audit_ticker_tick(t, 10000);
	assert_int_equal(CPS(), 1);
	assert_int_equal(LAST(), 2);
	add_events(st, 2);
	egca_audit_ticker_tick(t, 10001);
	assert_int_equal(CPS(), 1); /* 2 < 3 events, 1 s < 10 min */
	add_events(st, 1);
	egca_audit_ticker_tick(t, 10002);
	assert_int_equal(CPS(), 2); /* 3 events */
	assert_int_equal(LAST(), 5);
	egca_audit_ticker_tick(t, 10000 + 3600);
	assert_int_equal(CPS(), 2); /* nothing new: nothing to sign */
	add_events(st, 1);
	egca_audit_ticker_tick(t, 10002 + 599);
	assert_int_equal(CPS(), 2);
	egca_audit_ticker_tick(t, 10002 + 600);
	assert_int_equal(CPS(), 3); /* 10 minutes */
	assert_int_equal(LAST(), 6);
#undef CPS
#undef LAST
	egca_audit_ticker_free(t);
	assert_int_equal(
	    egca_audit_ticker_new(uri, audit_key(), 0, 10, &t), EGCA_ERR_INPUT);
	assert_null(t);
	test_done(st);
}

static void
test_key_files(void **state)
{
	struct egca_store *st = with_key("keyfiles", 1);
	struct egca_signer *k = NULL;
	char other[4300], path[4400];

	(void)state;
	/* One audit key per directory. */
	assert_int_equal(egca_audit_key_create(st, keys, "cli:test", pass,
	                     sizeof(pass) - 1, NULL),
	    EGCA_ERR_EXISTS);
	/* The wrong passphrase. */
	assert_int_equal(egca_audit_key_open(keys, "wrong passphrase", 16, &k),
	    EGCA_ERR_AUTH);
	assert_null(k);
	/* No key at all. */
	snprintf(other, sizeof(other), "%s/other-keys", test_tmpdir());
	assert_int_equal(egca_audit_key_open(other, pass, sizeof(pass) - 1, &k),
	    EGCA_ERR_NOTFOUND);
	/* When the store refuses the key's row, no key file stays. */
	assert_int_equal(test_raw("CREATE TRIGGER audit_block BEFORE INSERT ON"
	                          " audit_event BEGIN SELECT RAISE(ABORT,"
	                          " 'blocked'); END;"),
	    0);
	assert_int_equal(egca_audit_key_create(st, other, "cli:test", pass,
	                     sizeof(pass) - 1, NULL),
	    EGCA_ERR_STORE);
	snprintf(path, sizeof(path), "%s/%s", other, EGCA_AUDIT_KEY_FILE);
	assert_false(egca_file_exists(path));
	snprintf(path, sizeof(path), "%s/%s", other, EGCA_AUDIT_PUB_FILE);
	assert_false(egca_file_exists(path));
	assert_int_equal(test_raw_int("SELECT count(*) FROM audit_key"), 1);
	test_done(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tbs_golden),
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_empty_log),
	    cmocka_unit_test(test_truncated_tail),
	    cmocka_unit_test(test_forged_checkpoint),
	    cmocka_unit_test(test_rewritten_chain),
	    cmocka_unit_test(test_other_key),
	    cmocka_unit_test(test_ticker),
	    cmocka_unit_test(test_key_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
