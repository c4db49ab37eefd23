/*
 * SQLite backend. Durability (reliability-scenarios §0 item 8): WAL with
 * synchronous=FULL, since WAL+NORMAL may lose a committed transaction
 * on power loss; every write transaction is BEGIN IMMEDIATE, so a
 * read-then-write never fails with SQLITE_BUSY_SNAPSHOT half way.
 * SQLITE_BUSY after busy_timeout becomes EGCA_ERR_CONFLICT (retried by
 * egca_store_tx).
 *
 * $1..$n in the SQL are SQLite named parameters "$1".."$n", which are
 * numbered in order of first appearance, not by their digits: they are
 * bound by name. Prepared statements are cached per connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "egca/store.h"
#include "store/backend.h"

#define CACHE_SIZE 48
#define MAX_COLS 64
#define BUSY_TIMEOUT_MS 5000

struct cached {
	char *sql;
	sqlite3_stmt *stmt;
	int busy;
	uint64_t used;
};

struct sq {
	sqlite3 *db;
	char *path;
	uint64_t clock;
	struct cached cache[CACHE_SIZE];
};

static enum egca_err
sq_err(sqlite3 *db, const char *what)
{
	int ext = sqlite3_extended_errcode(db);
	const char *msg = sqlite3_errmsg(db);

	switch (ext & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return egca_err_set(
		    EGCA_ERR_CONFLICT, "sqlite: %s: %s", what, msg);
	case SQLITE_CONSTRAINT:
		if (ext == SQLITE_CONSTRAINT_UNIQUE ||
		    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return egca_err_set(
			    EGCA_ERR_EXISTS, "sqlite: %s: %s", what, msg);
		if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
			return egca_err_set(EGCA_ERR_NOTFOUND,
			    "sqlite: %s: %s (referenced row missing)", what,
			    msg);
		return egca_err_set(
		    EGCA_ERR_INPUT, "sqlite: %s: %s", what, msg);
	case SQLITE_NOMEM:
		return egca_err_set(
		    EGCA_ERR_NOMEM, "sqlite: %s: %s", what, msg);
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return egca_err_set(EGCA_ERR_IO, "sqlite: %s: %s", what, msg);
	default:
		return egca_err_set(
		    EGCA_ERR_STORE, "sqlite: %s: %s", what, msg);
	}
}

/* A cached statement for sql, or a fresh one (*slot NULL) if busy. */
static enum egca_err
get_stmt(
    struct sq *q, const char *sql, sqlite3_stmt **out, struct cached **slot)
{
	struct cached *c, *victim = NULL;
	size_t i;

	*out = NULL;
	*slot = NULL;
	for (i = 0; i < CACHE_SIZE; i++) {
		c = &q->cache[i];
		if (c->sql == NULL || strcmp(c->sql, sql) != 0)
			continue;
		if (c->busy)
			goto uncached; /* re-entered from a row callback */
		c->busy = 1;
		c->used = ++q->clock;
		*out = c->stmt;
		*slot = c;
		return EGCA_OK;
	}
	/* A free slot, else the least recently used idle one. */
	for (i = 0; i < CACHE_SIZE; i++) {
		c = &q->cache[i];
		if (c->sql == NULL) {
			victim = c;
			break;
		}
		if (!c->busy && (victim == NULL || c->used < victim->used))
			victim = c;
	}
	if (victim == NULL)
		goto uncached;
	if (victim->sql != NULL) {
		sqlite3_finalize(victim->stmt);
		free(victim->sql);
		victim->sql = NULL;
		victim->stmt = NULL;
	}
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	        &victim->stmt, NULL) != SQLITE_OK) {
		victim->stmt = NULL;
		return sq_err(q->db, "prepare");
	}
	if ((victim->sql = strdup(sql)) == NULL) {
		sqlite3_finalize(victim->stmt);
		victim->stmt = NULL;
		return egca_err_set(EGCA_ERR_NOMEM, "sqlite: out of memory");
	}
	victim->busy = 1;
	victim->used = ++q->clock;
	*out = victim->stmt;
	*slot = victim;
	return EGCA_OK;
uncached:
	if (sqlite3_prepare_v2(q->db, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return sq_err(q->db, "prepare");
	}
	return EGCA_OK;
}

static void
put_stmt(sqlite3_stmt *stmt, struct cached *slot)
{
	if (stmt == NULL)
		return;
	if (slot == NULL) {
		sqlite3_finalize(stmt);
		return;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	slot->busy = 0;
}

static enum egca_err
bind(struct sq *q, sqlite3_stmt *stmt, const struct store_val *param,
    size_t nparam)
{
	const struct store_val *v;
	char name[24];
	size_t i;
	int idx, rc;

	for (i = 0; i < nparam; i++) {
		v = &param[i];
		snprintf(name, sizeof(name), "$%zu", i + 1);
		if ((idx = sqlite3_bind_parameter_index(stmt, name)) == 0)
			continue; /* not used by this statement */
		switch (v->type) {
		case STORE_INT64:
			rc = sqlite3_bind_int64(stmt, idx, v->i);
			break;
		case STORE_TEXT:
			rc = sqlite3_bind_text64(stmt, idx, v->s, v->len,
			    SQLITE_STATIC, SQLITE_UTF8);
			break;
		case STORE_BLOB:
			rc = sqlite3_bind_blob64(stmt, idx,
			    v->len ? (const void *)v->b : "", v->len,
			    SQLITE_STATIC);
			break;
		case STORE_NULL:
		default:
			rc = sqlite3_bind_null(stmt, idx);
			break;
		}
		if (rc != SQLITE_OK)
			return sq_err(q->db, "bind");
	}
	return EGCA_OK;
}

static enum egca_err
row(sqlite3_stmt *stmt, store_row_fn fn, void *arg)
{
	struct store_val col[MAX_COLS];
	int i, n;

	n = sqlite3_column_count(stmt);
	if (n > MAX_COLS)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "sqlite: too many columns");
	for (i = 0; i < n; i++) {
		memset(&col[i], 0, sizeof(col[i]));
		switch (sqlite3_column_type(stmt, i)) {
		case SQLITE_INTEGER:
			col[i].type = STORE_INT64;
			col[i].i = sqlite3_column_int64(stmt, i);
			break;
		case SQLITE_BLOB:
			col[i].type = STORE_BLOB;
			col[i].b = sqlite3_column_blob(stmt, i);
			col[i].len = (size_t)sqlite3_column_bytes(stmt, i);
			if (col[i].b == NULL)
				col[i].b = (const uint8_t *)"";
			break;
		case SQLITE_NULL:
			col[i].type = STORE_NULL;
			break;
		case SQLITE_TEXT:
		case SQLITE_FLOAT:
		default:
			col[i].type = STORE_TEXT;
			col[i].s = (const char *)sqlite3_column_text(stmt, i);
			col[i].len = (size_t)sqlite3_column_bytes(stmt, i);
			if (col[i].s == NULL)
				return egca_err_set(
				    EGCA_ERR_NOMEM, "sqlite: out of memory");
			break;
		}
	}
	return fn(arg, col, (size_t)n);
}

static enum egca_err
sq_exec(struct egca_store *st, const char *sql, const struct store_val *param,
    size_t nparam, store_row_fn fn, void *arg, int64_t *changes)
{
	struct sq *q = st->be;
	struct cached *slot = NULL;
	sqlite3_stmt *stmt = NULL;
	enum egca_err err;
	int rc;

	if ((err = get_stmt(q, sql, &stmt, &slot)) != EGCA_OK)
		goto out;
	if ((err = bind(q, stmt, param, nparam)) != EGCA_OK)
		goto out;
	for (;;) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			err = sq_err(q->db, "step");
			goto out;
		}
		if (fn != NULL && (err = row(stmt, fn, arg)) != EGCA_OK)
			goto out;
	}
	if (changes != NULL)
		*changes = (int64_t)sqlite3_changes64(q->db);
	err = EGCA_OK;
out:
	put_stmt(stmt, slot);
	return err;
}

static enum egca_err
sq_script(struct egca_store *st, const char *sql)
{
	struct sq *q = st->be;
	enum egca_err err;
	char *msg = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return EGCA_OK;
	err = sq_err(q->db, "script");
	sqlite3_free(msg);
	return err;
}

static enum egca_err
sq_begin(struct egca_store *st)
{
	return sq_exec(st, "BEGIN IMMEDIATE", NULL, 0, NULL, NULL, NULL);
}

static enum egca_err
sq_begin_read(struct egca_store *st)
{
	return sq_exec(st, "BEGIN DEFERRED", NULL, 0, NULL, NULL, NULL);
}

static enum egca_err
sq_commit(struct egca_store *st)
{
	return sq_exec(st, "COMMIT", NULL, 0, NULL, NULL, NULL);
}

static void
sq_rollback(struct egca_store *st)
{
	struct sq *q = st->be;

	if (q == NULL || q->db == NULL || sqlite3_get_autocommit(q->db))
		return;
	/* Cannot usefully fail: SQLite rolls back on close anyway. */
	(void)sq_exec(st, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
}

static void
sq_close(struct egca_store *st)
{
	struct sq *q = st->be;
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < CACHE_SIZE; i++) {
		sqlite3_finalize(q->cache[i].stmt);
		free(q->cache[i].sql);
	}
	sqlite3_close_v2(q->db);
	free(q->path);
	free(q);
	st->be = NULL;
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .exec = sq_exec,
    .script = sq_script,
    .begin = sq_begin,
    .begin_read = sq_begin_read,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .migration_lock = NULL, /* BEGIN IMMEDIATE serializes them */
};

static enum egca_err
journal_mode(void *arg, const struct store_val *col, size_t ncol)
{
	int *wal = arg;

	*wal = ncol == 1 && col[0].type == STORE_TEXT &&
	    strcmp(col[0].s, "wal") == 0;
	return EGCA_OK;
}

void
egca_store_sqlite_busy_timeout(struct egca_store *st, int ms)
{
	struct sq *q = st->be;

	sqlite3_busy_timeout(q->db, ms);
}

enum egca_err
egca_store_sqlite_connect(struct egca_store *st, const char *path, int create)
{
	struct sq *q;
	enum egca_err err;
	int flags, rc, wal = 0;

	if (*path == '\0')
		return egca_err_set(EGCA_ERR_USAGE, "sqlite: empty path");
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "sqlite: out of memory");
	st->ops = &sqlite_ops;
	st->be = q;
	if ((q->path = strdup(path)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "sqlite: out of memory");
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &q->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (q->db == NULL)
			return egca_err_set(
			    EGCA_ERR_NOMEM, "sqlite: out of memory");
		if ((rc & 0xff) == SQLITE_CANTOPEN && !create)
			return egca_err_set(EGCA_ERR_NOTFOUND,
			    "sqlite: cannot open %s: %s", path,
			    sqlite3_errmsg(q->db));
		return egca_err_set(EGCA_ERR_STORE,
		    "sqlite: cannot open %s: %s", path, sqlite3_errmsg(q->db));
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	if ((err = sq_exec(st, "PRAGMA journal_mode=WAL", NULL, 0, journal_mode,
	         &wal, NULL)) != EGCA_OK)
		return err;
	if (!wal)
		return egca_err_set(EGCA_ERR_STORE,
		    "sqlite: %s: cannot switch to WAL journal mode", path);
	if ((err = sq_script(st,
	         "PRAGMA synchronous=FULL;"
	         " PRAGMA foreign_keys=ON")) != EGCA_OK)
		return err;
	return EGCA_OK;
}
