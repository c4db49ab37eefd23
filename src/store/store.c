/*
 * Store handle, transactions with retry, and schema migrations
 * (include/egca/store.h). The backends (sqlite.c, pg.c) only know how
 * to run statements; everything else is written once here and in the
 * repository files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "egca/store.h"
#include "store/backend.h"
#include "store/schema.h"
#include "store/store_test.h"

#define TX_RETRIES 10

static const char create_migrations[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

struct store_val
egca_store_int(int64_t i)
{
	struct store_val v = {.type = STORE_INT64, .i = i};

	return v;
}

struct store_val
egca_store_text(const char *s)
{
	struct store_val v = {.type = STORE_NULL};

	if (s != NULL) {
		v.type = STORE_TEXT;
		v.s = s;
		v.len = strlen(s);
	}
	return v;
}

struct store_val
egca_store_blob(const uint8_t *b, size_t len)
{
	struct store_val v = {.type = STORE_NULL};

	if (b != NULL) {
		v.type = STORE_BLOB;
		v.b = b;
		v.len = len;
	}
	return v;
}

enum egca_err
egca_store_exec(struct egca_store *st, const char *sql,
    const struct store_val *param, size_t nparam, store_row_fn fn, void *arg,
    int64_t *changes)
{
	if (changes != NULL)
		*changes = 0;
	return st->ops->exec(st, sql, param, nparam, fn, arg, changes);
}

enum egca_err
egca_store_count_row(void *arg, const struct store_val *col, size_t ncol)
{
	if (ncol != 1)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: count columns");
	return egca_store_col_int(&col[0], arg);
}

char *
egca_store_like_pattern(const char *s, int prefix_only)
{
	size_t i, j, len = strlen(s);
	char *p;

	if (len > (SIZE_MAX - 3) / 2 || (p = malloc(2 * len + 3)) == NULL)
		return NULL;
	j = 0;
	if (!prefix_only)
		p[j++] = '%';
	for (i = 0; i < len; i++) {
		if (s[i] == '\\' || s[i] == '%' || s[i] == '_')
			p[j++] = '\\';
		p[j++] = s[i];
	}
	p[j++] = '%';
	p[j] = '\0';
	return p;
}

struct list_gen {
	store_decode_fn decode;
	size_t elem;
	struct store_list *l;
};

static enum egca_err
list_gen_row(void *arg, const struct store_val *col, size_t ncol)
{
	struct list_gen *g = arg;
	struct store_list *l = g->l;
	enum egca_err err;

	if ((err = egca_store_grow(&l->v, &l->cap, l->n, g->elem)) != EGCA_OK)
		return err;
	if ((err = g->decode(col, ncol, (char *)l->v + l->n * g->elem)) !=
	    EGCA_OK)
		return err;
	l->n++;
	return EGCA_OK;
}

enum egca_err
egca_store_exec_list(struct egca_store *st, const char *sql,
    const struct store_val *param, size_t nparam, store_decode_fn decode,
    size_t elem, struct store_list *l)
{
	struct list_gen g = {decode, elem, l};

	return egca_store_exec(st, sql, param, nparam, list_gen_row, &g, NULL);
}

struct one_arg {
	store_decode_fn decode;
	void *rec;
	int found;
};

static enum egca_err
one_row(void *arg, const struct store_val *col, size_t ncol)
{
	struct one_arg *o = arg;
	enum egca_err err;

	if (o->found)
		return EGCA_OK;
	if ((err = o->decode(col, ncol, o->rec)) != EGCA_OK)
		return err;
	o->found = 1;
	return EGCA_OK;
}

enum egca_err
egca_store_exec_one(struct egca_store *st, const char *sql,
    const struct store_val *param, size_t nparam, store_decode_fn decode,
    void *rec)
{
	struct one_arg o = {decode, rec, 0};
	enum egca_err err;

	if ((err = egca_store_exec(
	         st, sql, param, nparam, one_row, &o, NULL)) != EGCA_OK)
		return err;
	return o.found ? EGCA_OK : EGCA_ERR_NOTFOUND;
}

enum egca_err
egca_store_col_text(const struct store_val *v, char **out)
{
	char num[32];
	const char *s;
	size_t len;

	*out = NULL;
	switch (v->type) {
	case STORE_NULL:
		return EGCA_OK;
	case STORE_INT64:
		snprintf(num, sizeof(num), "%lld", (long long)v->i);
		s = num;
		len = strlen(num);
		break;
	case STORE_TEXT:
		s = v->s;
		len = v->len;
		break;
	case STORE_BLOB:
	default:
		return egca_err_set(EGCA_ERR_STORE,
		    "store: binary column where text was expected");
	}
	if ((*out = malloc(len + 1)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	memcpy(*out, s, len);
	(*out)[len] = '\0';
	return EGCA_OK;
}

enum egca_err
egca_store_col_int(const struct store_val *v, int64_t *out)
{
	char *end;
	long long ll;

	*out = 0;
	switch (v->type) {
	case STORE_NULL:
		return EGCA_OK;
	case STORE_INT64:
		*out = v->i;
		return EGCA_OK;
	case STORE_TEXT:
		ll = strtoll(v->s, &end, 10);
		if (end != v->s && *end == '\0') {
			*out = (int64_t)ll;
			return EGCA_OK;
		}
		break;
	case STORE_BLOB:
	default:
		break;
	}
	return egca_err_set(EGCA_ERR_STORE,
	    "store: non-integer column where an integer was expected");
}

enum egca_err
egca_store_col_blob(const struct store_val *v, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	switch (v->type) {
	case STORE_NULL:
		return EGCA_OK;
	case STORE_BLOB:
		break;
	case STORE_TEXT:
		/* SQLite returns what was stored; text never is here. */
	case STORE_INT64:
	default:
		return egca_err_set(EGCA_ERR_STORE,
		    "store: non-binary column where binary was expected");
	}
	if ((*out = malloc(v->len ? v->len : 1)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	if (v->len)
		memcpy(*out, v->b, v->len);
	*out_len = v->len;
	return EGCA_OK;
}

enum egca_err
egca_store_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return EGCA_OK;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / elem)
		return egca_err_set(EGCA_ERR_NOMEM, "store: too many rows");
	if ((p = realloc(*arr, ncap * elem)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	memset((uint8_t *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return EGCA_OK;
}

/* ---- transactions ---- */

static void
backoff(struct egca_store *st, int attempt)
{
	struct timespec ts;
	long cap_us, us;

	/* Randomized exponential backoff: up to 1, 2, 4 ... 50 ms. */
	cap_us = 1000L << (attempt < 6 ? attempt : 6);
	if (cap_us > 50000)
		cap_us = 50000;
	us = 200 + (long)((unsigned)rand_r(&st->seed) % (unsigned)cap_us);
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
}

enum egca_err
egca_store_tx(struct egca_store *st, egca_store_tx_fn fn, void *arg)
{
	enum egca_err err = EGCA_ERR_INTERNAL;
	int attempt;

	/* A nested call joins the transaction already open. */
	if (st->tx_depth > 0)
		return fn(st, arg);

	for (attempt = 0; attempt <= TX_RETRIES; attempt++) {
		if (attempt > 0) {
			st->retries++;
			backoff(st, attempt);
		}
		if ((err = st->ops->begin(st)) != EGCA_OK) {
			st->ops->rollback(st);
			if (err == EGCA_ERR_CONFLICT)
				continue;
			return err;
		}
		st->tx_depth++;
		err = fn(st, arg);
		st->tx_depth--;
		if (err == EGCA_OK)
			err = st->ops->commit(st);
		if (err == EGCA_OK)
			return EGCA_OK;
		st->ops->rollback(st);
		if (err != EGCA_ERR_CONFLICT)
			return err;
	}
	return egca_err_set(EGCA_ERR_CONFLICT,
	    "store: transaction still conflicting after %d retries (%s)",
	    TX_RETRIES, egca_err_detail());
}

enum egca_err
egca_store_read(struct egca_store *st, egca_store_tx_fn fn, void *arg)
{
	enum egca_err err;

	if (st->tx_depth > 0)
		return fn(st, arg);
	if ((err = st->ops->begin_read(st)) != EGCA_OK) {
		st->ops->rollback(st);
		return err;
	}
	st->tx_depth++;
	err = fn(st, arg);
	st->tx_depth--;
	/* Nothing to keep: ending a read snapshot cannot lose data. */
	st->ops->rollback(st);
	return err;
}

/* ---- migrations ---- */

static int
known_version(void)
{
	const struct egca_schema_migration *m;
	int v = 0;

	for (m = egca_schema_migrations; m->version != 0; m++)
		if (m->version > v)
			v = m->version;
	return v;
}

static enum egca_err
one_int(void *arg, const struct store_val *col, size_t ncol)
{
	if (ncol < 1)
		return egca_err_set(EGCA_ERR_INTERNAL, "store: no column");
	return egca_store_col_int(&col[0], arg);
}

static enum egca_err
current_version(struct egca_store *st, int64_t *v)
{
	*v = 0;
	return egca_store_exec(st,
	    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, 0,
	    one_int, v, NULL);
}

struct migrate_arg {
	const struct egca_schema_migration *m;
	int applied;
};

static enum egca_err
migrate_one(struct egca_store *st, void *arg)
{
	struct migrate_arg *ma = arg;
	struct store_val p[3];
	enum egca_err err;
	int64_t v;

	ma->applied = 0;
	/* Another process may have applied it since we looked. */
	if ((err = current_version(st, &v)) != EGCA_OK)
		return err;
	if (v >= ma->m->version)
		return EGCA_OK;
	if ((err = st->ops->script(st, ma->m->sql)) != EGCA_OK)
		return egca_err_set(err, "store: migration %s: %s", ma->m->name,
		    egca_err_detail());
	p[0] = egca_store_int(ma->m->version);
	p[1] = egca_store_text(ma->m->name);
	p[2] = egca_store_int((int64_t)time(NULL));
	if ((err = egca_store_exec(st,
	         "INSERT INTO schema_migrations (version, name, applied_at)"
	         " VALUES ($1, $2, $3)",
	         p, 3, NULL, NULL, NULL)) != EGCA_OK)
		return err;
	ma->applied = 1;
	return EGCA_OK;
}

static enum egca_err
migrate(struct egca_store *st)
{
	const struct egca_schema_migration *m;
	struct migrate_arg ma;
	enum egca_err err;
	int64_t v;
	int known, locked = 0;

	known = known_version();
	if (st->ops->migration_lock != NULL) {
		if ((err = st->ops->migration_lock(st, 1)) != EGCA_OK)
			return err;
		locked = 1;
	}
	if ((err = st->ops->script(st, create_migrations)) != EGCA_OK)
		goto out;
	if ((err = current_version(st, &v)) != EGCA_OK)
		goto out;
	if (v > known) {
		err = egca_err_set(EGCA_ERR_STORE,
		    "schema version %lld is newer than this egca (%d)",
		    (long long)v, known);
		goto out;
	}
	/* Each migration in its own transaction, in file order. */
	for (m = egca_schema_migrations; m->version != 0; m++) {
		if (m->version <= v)
			continue;
		ma.m = m;
		if ((err = egca_store_tx(st, migrate_one, &ma)) != EGCA_OK)
			goto out;
	}
	if ((err = current_version(st, &v)) != EGCA_OK)
		goto out;
	st->schema_version = (int)v;
out:
	if (locked && st->ops->migration_lock(st, 0) != EGCA_OK &&
	    err == EGCA_OK)
		err = EGCA_ERR_STORE;
	return err;
}

/* ---- open / close ---- */

static enum egca_err
store_connect(const char *uri, int create, struct egca_store **out)
{
	struct egca_store *st;
	enum egca_err err;

	*out = NULL;
	if (uri == NULL)
		return egca_err_set(EGCA_ERR_USAGE, "store: no database URI");
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "store: out of memory");
	st->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid() ^
	    (unsigned int)(uintptr_t)st;
	if (strncmp(uri, "sqlite://", 9) == 0) {
		st->driver = EGCA_STORE_SQLITE;
		err = egca_store_sqlite_connect(st, uri + 9, create);
	} else if (strncmp(uri, "sqlite:", 7) == 0) {
		st->driver = EGCA_STORE_SQLITE;
		err = egca_store_sqlite_connect(st, uri + 7, create);
	} else if (strncmp(uri, "postgresql://", 13) == 0 ||
	    strncmp(uri, "postgres://", 11) == 0) {
		st->driver = EGCA_STORE_POSTGRES;
		err = egca_store_pg_connect(st, uri);
	} else if (strncmp(uri, "postgres:", 9) == 0) {
		st->driver = EGCA_STORE_POSTGRES;
		err = egca_store_pg_connect(st, uri + 9);
	} else {
		/* Do not echo the URI: it may hold a password. */
		err = egca_err_set(EGCA_ERR_USAGE,
		    "store: URI must start with sqlite: or postgresql://");
	}
	if (err != EGCA_OK) {
		if (st->ops != NULL)
			st->ops->close(st);
		free(st);
		return err;
	}
	*out = st;
	return EGCA_OK;
}

enum egca_err
egca_store_open(const char *uri, int create, struct egca_store **out)
{
	struct egca_store *st;
	enum egca_err err;

	*out = NULL;
	if ((err = store_connect(uri, create, &st)) != EGCA_OK)
		return err;
	if ((err = migrate(st)) != EGCA_OK) {
		egca_store_close(st);
		return err;
	}
	*out = st;
	return EGCA_OK;
}

void
egca_store_close(struct egca_store *st)
{
	if (st == NULL)
		return;
	st->ops->rollback(st);
	st->ops->close(st);
	free(st);
}

enum egca_store_driver
egca_store_driver(const struct egca_store *st)
{
	return st->driver;
}

int
egca_store_schema_version(const struct egca_store *st)
{
	return st->schema_version;
}

/* ---- test hooks (store_test.h) ---- */

enum egca_err
egca_store_test_exec(struct egca_store *st, const char *sql)
{
	return st->ops->script(st, sql);
}

static enum egca_err
unlink_one(const char *path, const char *suffix)
{
	char buf[4096];

	if ((size_t)snprintf(buf, sizeof(buf), "%s%s", path, suffix) >=
	    sizeof(buf))
		return egca_err_set(EGCA_ERR_USAGE, "store: path too long");
	(void)unlink(buf);
	return EGCA_OK;
}

enum egca_err
egca_store_test_reset(const char *uri)
{
	struct egca_store *st;
	enum egca_err err;
	const char *path;

	if (strncmp(uri, "sqlite:", 7) == 0) {
		path = uri + 7;
		if (strncmp(uri, "sqlite://", 9) == 0)
			path = uri + 9;
		if ((err = unlink_one(path, "")) != EGCA_OK ||
		    (err = unlink_one(path, "-wal")) != EGCA_OK ||
		    (err = unlink_one(path, "-shm")) != EGCA_OK)
			return err;
		return EGCA_OK;
	}
	if ((err = store_connect(uri, 0, &st)) != EGCA_OK)
		return err;
	err = st->ops->script(st,
	    "DROP SCHEMA IF EXISTS public CASCADE;"
	    " CREATE SCHEMA public");
	egca_store_close(st);
	return err;
}

void
egca_store_test_busy_timeout(struct egca_store *st, int ms)
{
	if (st->driver == EGCA_STORE_SQLITE)
		egca_store_sqlite_busy_timeout(st, ms);
}

uint64_t
egca_store_test_retries(const struct egca_store *st)
{
	return st->retries;
}
