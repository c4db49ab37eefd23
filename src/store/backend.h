/*
 * store/ internals: the backend vtable and the generic statement runner
 * over which every repository function (ca.c, cert.c, ...) is written
 * once. SQL uses $1..$n placeholders for both backends.
 *
 * A struct egca_store is one database connection; it is used by one
 * thread at a time. Nothing here is visible outside src/store.
 */
#ifndef EGCA_STORE_BACKEND_H
#define EGCA_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "egca/store.h"

enum store_type {
	STORE_NULL,
	STORE_INT64,
	STORE_TEXT,
	STORE_BLOB,
};

/*
 * A parameter or a result column. Pointers are borrowed: parameters
 * from the caller, results valid only inside the row callback. TEXT is
 * NUL-terminated; len is its length without the NUL.
 */
struct store_val {
	enum store_type type;
	int64_t i;
	const char *s;
	const uint8_t *b;
	size_t len;
};

/* Called for each result row; a non-OK return stops and is returned. */
typedef enum egca_err (*store_row_fn)(
    void *arg, const struct store_val *col, size_t ncol);

struct store_ops {
	const char *name;
	void (*close)(struct egca_store *st);
	/*
	 * One statement with parameters. changes (may be NULL) receives the
	 * number of rows an INSERT/UPDATE/DELETE touched.
	 */
	enum egca_err (*exec)(struct egca_store *st, const char *sql,
	    const struct store_val *param, size_t nparam, store_row_fn fn,
	    void *arg, int64_t *changes);
	/* Several statements without parameters (migrations). */
	enum egca_err (*script)(struct egca_store *st, const char *sql);
	/* A write transaction: BEGIN IMMEDIATE / SERIALIZABLE. */
	enum egca_err (*begin)(struct egca_store *st);
	/* A read-only transaction: one snapshot for several SELECTs. */
	enum egca_err (*begin_read)(struct egca_store *st);
	enum egca_err (*commit)(struct egca_store *st);
	/* Rolls back if a transaction is open; a no-op otherwise. */
	void (*rollback)(struct egca_store *st);
	/* Serializes schema migrations across processes (may be NULL). */
	enum egca_err (*migration_lock)(struct egca_store *st, int lock);
};

struct egca_store {
	const struct store_ops *ops;
	enum egca_store_driver driver;
	void *be; /* backend state */
	int schema_version;
	int tx_depth;     /* > 0 inside egca_store_tx */
	uint64_t retries; /* conflicts retried so far (tests) */
	unsigned int seed;
};

/*
 * Runs a query that returns at most one row and decodes that row into
 * rec with decode. EGCA_ERR_NOTFOUND, with no detail set, when there is
 * no row; the caller names what was missing and frees rec on error.
 */
typedef enum egca_err (*store_decode_fn)(
    const struct store_val *col, size_t ncol, void *rec);
enum egca_err egca_store_exec_one(struct egca_store *st, const char *sql,
    const struct store_val *param, size_t nparam, store_decode_fn decode,
    void *rec);

/*
 * Collects every row of a query, each decoded by decode into an element
 * of elem bytes appended to l->v (grown as needed). On error l holds the
 * elements decoded so far, for the caller's list free function.
 */
struct store_list {
	void *v;
	size_t n, cap;
};
enum egca_err egca_store_exec_list(struct egca_store *st, const char *sql,
    const struct store_val *param, size_t nparam, store_decode_fn decode,
    size_t elem, struct store_list *l);

/* Row callback for "SELECT count(*)": stores the count in *(int64_t *)arg. */
enum egca_err egca_store_count_row(
    void *arg, const struct store_val *col, size_t ncol);
/*
 * A LIKE pattern (ESCAPE '\') matching s literally: as a substring, or
 * as a prefix with prefix_only. malloc'd; NULL when out of memory.
 */
char *egca_store_like_pattern(const char *s, int prefix_only);

/* Backends: fill st->ops and st->be. */
enum egca_err egca_store_sqlite_connect(
    struct egca_store *st, const char *path, int create);
enum egca_err egca_store_pg_connect(
    struct egca_store *st, const char *conninfo);
/* SQLite only: the busy timeout in milliseconds (tests). */
void egca_store_sqlite_busy_timeout(struct egca_store *st, int ms);

/* Parameter constructors; a NULL pointer becomes SQL NULL. */
struct store_val egca_store_int(int64_t i);
struct store_val egca_store_text(const char *s);
struct store_val egca_store_blob(const uint8_t *b, size_t len);

/*
 * Runs fn in a read-only snapshot (or inside the transaction already
 * open), so several SELECTs agree with each other.
 */
EGCA_MUST_CHECK enum egca_err egca_store_read(
    struct egca_store *st, egca_store_tx_fn fn, void *arg);

/* Runs one statement through the backend. */
EGCA_MUST_CHECK enum egca_err egca_store_exec(struct egca_store *st,
    const char *sql, const struct store_val *param, size_t nparam,
    store_row_fn fn, void *arg, int64_t *changes);

/*
 * Result column decoding. Strings and blobs are copied (free()); SQL
 * NULL gives NULL, 0 length. A zero-length blob gives a non-NULL
 * pointer.
 */
EGCA_MUST_CHECK enum egca_err egca_store_col_text(
    const struct store_val *v, char **out);
EGCA_MUST_CHECK enum egca_err egca_store_col_int(
    const struct store_val *v, int64_t *out);
EGCA_MUST_CHECK enum egca_err egca_store_col_blob(
    const struct store_val *v, uint8_t **out, size_t *out_len);

/*
 * Makes room for one more element of size elem in *arr (n used, *cap
 * allocated), doubling; EGCA_ERR_NOMEM leaves *arr as it was.
 */
EGCA_MUST_CHECK enum egca_err egca_store_grow(
    void **arr, size_t *cap, size_t n, size_t elem);

#endif
