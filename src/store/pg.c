/*
 * PostgreSQL backend through libpq. Parameters go as text, except
 * BYTEA which goes binary; results come back as text (bytea in hex
 * output, decoded here). Write transactions are SERIALIZABLE; SQLSTATE
 * 40001/40P01 becomes EGCA_ERR_CONFLICT, retried by egca_store_tx.
 *
 * Error texts carry the server's primary message and SQLSTATE, never
 * the conninfo (it may hold a password).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "egca/buf.h"
#include "egca/log.h"
#include "egca/store.h"
#include "store/backend.h"

#define MAX_PARAMS 64
#define MAX_COLS 64

/* pg_type OIDs (catalog/pg_type_d.h is a server header). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25

/* pg_advisory_lock key serializing migrations: "egca". */
#define MIGRATION_LOCK "1701274465"
/*
 * Session advisory lock serializing write transactions ("egcw"), taken
 * before BEGIN so the transaction's snapshot is newer than the last
 * writer's commit. Every write appends to the audit hash chain (one
 * global head), so concurrent SERIALIZABLE writers would only abort
 * each other; one writer at a time is what SQLite's BEGIN IMMEDIATE
 * does too. Waited for with pg_try_advisory_lock, never forever.
 */
#define WRITER_LOCK "1701279607"
#define WRITER_WAIT_MS 30000

struct pgc {
	PGconn *conn;
	int writer; /* WRITER_LOCK held */
};

static enum egca_err reconnect(struct egca_store *st);

/* The message without its trailing newline, bounded. */
static const char *
trim(const char *msg, char *buf, size_t buf_len)
{
	size_t len;

	if (msg == NULL)
		return "";
	snprintf(buf, buf_len, "%s", msg);
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return buf;
}

static enum egca_err
pg_err(PGconn *conn, const PGresult *res, const char *what)
{
	const char *state = NULL, *msg = NULL;
	enum egca_err e = EGCA_ERR_STORE;
	char buf[512];

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (msg == NULL)
		msg = PQerrorMessage(conn);
	msg = trim(msg, buf, sizeof(buf));
	if (state == NULL)
		return egca_err_set(
		    EGCA_ERR_STORE, "postgres: %s: %s", what, msg);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		e = EGCA_ERR_CONFLICT;
	else if (strcmp(state, "23505") == 0)
		e = EGCA_ERR_EXISTS;
	else if (strcmp(state, "23503") == 0)
		e = EGCA_ERR_NOTFOUND;
	else if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		e = EGCA_ERR_INPUT;
	else if (strcmp(state, "53100") == 0)
		e = EGCA_ERR_IO; /* disk full */
	else if (strcmp(state, "53200") == 0)
		e = EGCA_ERR_NOMEM;
	return egca_err_set(
	    e, "postgres: %s: %s (SQLSTATE %s)", what, msg, state);
}

/* bytea hex output "\x0aff..." into a malloc'd buffer. */
static enum egca_err
bytea_decode(const char *s, size_t len, uint8_t **out, size_t *out_len)
{
	size_t i, n;
	uint8_t *b;
	int hi, lo;

	*out = NULL;
	*out_len = 0;
	if (len < 2 || s[0] != '\\' || s[1] != 'x' || (len - 2) % 2 != 0)
		return egca_err_set(
		    EGCA_ERR_STORE, "postgres: bytea not in hex output format");
	n = (len - 2) / 2;
	if ((b = malloc(n ? n : 1)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "postgres: out of memory");
	for (i = 0; i < n; i++) {
		hi = egca_hex_digit((unsigned char)s[2 + 2 * i]);
		lo = egca_hex_digit((unsigned char)s[3 + 2 * i]);
		if (hi < 0 || lo < 0) {
			free(b);
			return egca_err_set(
			    EGCA_ERR_STORE, "postgres: bad bytea hex");
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = b;
	*out_len = n;
	return EGCA_OK;
}

static enum egca_err
rows(PGresult *res, store_row_fn fn, void *arg)
{
	struct store_val col[MAX_COLS];
	uint8_t *blob[MAX_COLS];
	Oid type[MAX_COLS];
	enum egca_err err = EGCA_OK;
	int i, r, ncol, nrow;
	const char *s;
	char *end;
	size_t len;

	ncol = PQnfields(res);
	nrow = PQntuples(res);
	if (ncol > MAX_COLS)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "postgres: too many columns");
	for (i = 0; i < ncol; i++) {
		type[i] = PQftype(res, i);
		blob[i] = NULL;
	}
	for (r = 0; r < nrow && err == EGCA_OK; r++) {
		for (i = 0; i < ncol && err == EGCA_OK; i++) {
			memset(&col[i], 0, sizeof(col[i]));
			if (PQgetisnull(res, r, i)) {
				col[i].type = STORE_NULL;
				continue;
			}
			s = PQgetvalue(res, r, i);
			len = (size_t)PQgetlength(res, r, i);
			switch (type[i]) {
			case OID_INT8:
			case OID_INT4:
			case OID_INT2:
				col[i].type = STORE_INT64;
				col[i].i = (int64_t)strtoll(s, &end, 10);
				if (end == s || *end != '\0')
					err = egca_err_set(EGCA_ERR_STORE,
					    "postgres: bad integer");
				break;
			case OID_BOOL:
				col[i].type = STORE_INT64;
				col[i].i = s[0] == 't';
				break;
			case OID_BYTEA:
				col[i].type = STORE_BLOB;
				err =
				    bytea_decode(s, len, &blob[i], &col[i].len);
				col[i].b = blob[i];
				break;
			default:
				col[i].type = STORE_TEXT;
				col[i].s = s;
				col[i].len = len;
				break;
			}
		}
		if (err == EGCA_OK)
			err = fn(arg, col, (size_t)ncol);
		for (i = 0; i < ncol; i++) {
			free(blob[i]);
			blob[i] = NULL;
		}
	}
	return err;
}

static enum egca_err
pg_exec(struct egca_store *st, const char *sql, const struct store_val *param,
    size_t nparam, store_row_fn fn, void *arg, int64_t *changes)
{
	struct pgc *c = st->be;
	const char *value[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	int length[MAX_PARAMS], format[MAX_PARAMS];
	Oid type[MAX_PARAMS];
	PGresult *res = NULL;
	enum egca_err err;
	const char *tuples;
	size_t i;

	if (nparam > MAX_PARAMS)
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "postgres: too many parameters");
	for (i = 0; i < nparam; i++) {
		value[i] = NULL;
		length[i] = 0;
		format[i] = 0;
		type[i] = 0;
		switch (param[i].type) {
		case STORE_INT64:
			snprintf(num[i], sizeof(num[i]), "%lld",
			    (long long)param[i].i);
			value[i] = num[i];
			type[i] = OID_INT8;
			break;
		case STORE_TEXT:
			value[i] = param[i].s;
			type[i] = OID_TEXT;
			break;
		case STORE_BLOB:
			if (param[i].len > (size_t)INT32_MAX)
				return egca_err_set(EGCA_ERR_INPUT,
				    "postgres: binary value too large");
			value[i] = param[i].len ? (const char *)param[i].b : "";
			length[i] = (int)param[i].len;
			format[i] = 1;
			type[i] = OID_BYTEA;
			break;
		case STORE_NULL:
		default:
			break;
		}
	}
	res = PQexecParams(
	    c->conn, sql, (int)nparam, type, value, length, format, 0);
	/*
	 * Connection lost outside a transaction: a read is sent again on a
	 * fresh connection. A write may have been applied before the drop,
	 * so its error goes to the caller; the next call reconnects.
	 */
	if (st->tx_depth == 0 && PQstatus(c->conn) == CONNECTION_BAD &&
	    strncmp(sql, "SELECT ", 7) == 0) {
		PQclear(res);
		res = NULL;
		if ((err = reconnect(st)) != EGCA_OK)
			goto out;
		res = PQexecParams(
		    c->conn, sql, (int)nparam, type, value, length, format, 0);
	}
	if (res == NULL) {
		err = pg_err(c->conn, NULL, "exec");
		goto out;
	}
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		if (fn != NULL && (err = rows(res, fn, arg)) != EGCA_OK)
			goto out;
		break;
	case PGRES_COMMAND_OK:
		break;
	default:
		err = pg_err(c->conn, res, "exec");
		goto out;
	}
	if (changes != NULL) {
		tuples = PQcmdTuples(res);
		*changes = *tuples ? (int64_t)strtoll(tuples, NULL, 10) : 0;
	}
	err = EGCA_OK;
out:
	PQclear(res);
	return err;
}

static enum egca_err
simple(struct egca_store *st, const char *sql, const char *what)
{
	struct pgc *c = st->be;
	enum egca_err err = EGCA_OK;
	PGresult *res;

	res = PQexec(c->conn, sql);
	if (res == NULL)
		return pg_err(c->conn, NULL, what);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		err = pg_err(c->conn, res, what);
	PQclear(res);
	return err;
}

static enum egca_err
pg_script(struct egca_store *st, const char *sql)
{
	return simple(st, sql, "script");
}

static void
writer_unlock(struct egca_store *st)
{
	struct pgc *c = st->be;

	if (c == NULL || c->conn == NULL || !c->writer)
		return;
	c->writer = 0;
	PQclear(PQexec(c->conn, "SELECT pg_advisory_unlock(" WRITER_LOCK ")"));
}

static enum egca_err
writer_lock(struct egca_store *st)
{
	struct pgc *c = st->be;
	struct timespec ts;
	long waited = 0, step = 1;
	PGresult *res;
	int got;

	for (;;) {
		res = PQexec(
		    c->conn, "SELECT pg_try_advisory_lock(" WRITER_LOCK ")");
		if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
			enum egca_err e = pg_err(c->conn, res, "writer lock");
			PQclear(res);
			return e;
		}
		got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (got) {
			c->writer = 1;
			return EGCA_OK;
		}
		if (waited >= WRITER_WAIT_MS)
			return egca_err_set(EGCA_ERR_CONFLICT,
			    "postgres: no write turn within %d s",
			    WRITER_WAIT_MS / 1000);
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		waited += step;
		if (step < 8)
			step *= 2;
	}
}

static enum egca_err
pg_begin(struct egca_store *st)
{
	enum egca_err err;

	if ((err = reconnect(st)) != EGCA_OK)
		return err;
	if ((err = writer_lock(st)) != EGCA_OK &&
	    PQstatus(((struct pgc *)st->be)->conn) == CONNECTION_BAD) {
		if ((err = reconnect(st)) != EGCA_OK)
			return err;
		err = writer_lock(st);
	}
	if (err != EGCA_OK)
		return err;
	err = simple(st, "BEGIN ISOLATION LEVEL SERIALIZABLE", "begin");
	/* Nothing ran yet: safe to try once more on a fresh connection. */
	if (err != EGCA_OK &&
	    PQstatus(((struct pgc *)st->be)->conn) == CONNECTION_BAD) {
		if ((err = reconnect(st)) != EGCA_OK)
			return err;
		if ((err = writer_lock(st)) == EGCA_OK)
			err = simple(
			    st, "BEGIN ISOLATION LEVEL SERIALIZABLE", "begin");
	}
	if (err != EGCA_OK)
		writer_unlock(st);
	return err;
}

static enum egca_err
pg_begin_read(struct egca_store *st)
{
	enum egca_err err;

	if ((err = reconnect(st)) != EGCA_OK)
		return err;
	return simple(
	    st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin");
}

static enum egca_err
pg_commit(struct egca_store *st)
{
	struct pgc *c = st->be;
	enum egca_err err = EGCA_OK;
	PGresult *res;

	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK. */
	if (PQtransactionStatus(c->conn) != PQTRANS_INTRANS)
		return egca_err_set(EGCA_ERR_STORE,
		    "postgres: commit: transaction aborted by an earlier "
		    "error");
	if ((res = PQexec(c->conn, "COMMIT")) == NULL) {
		err = pg_err(c->conn, NULL, "commit");
		writer_unlock(st);
		return err;
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		err = pg_err(c->conn, res, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		err = egca_err_set(EGCA_ERR_STORE,
		    "postgres: commit: transaction was rolled back");
	PQclear(res);
	/* A read-only transaction never took the lock (a no-op then). */
	if (PQtransactionStatus(c->conn) == PQTRANS_IDLE)
		writer_unlock(st);
	return err;
}

static void
pg_rollback(struct egca_store *st)
{
	struct pgc *c = st->be;
	PGTransactionStatusType ts;

	if (c == NULL || c->conn == NULL)
		return;
	ts = PQtransactionStatus(c->conn);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(c->conn, "ROLLBACK"));
	writer_unlock(st);
}

static enum egca_err
pg_migration_lock(struct egca_store *st, int lock)
{
	return simple(st,
	    lock ? "SELECT pg_advisory_lock(" MIGRATION_LOCK ")"
	         : "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")",
	    "migration lock");
}

static void
pg_close(struct egca_store *st)
{
	struct pgc *c = st->be;

	if (c == NULL)
		return;
	if (c->conn != NULL)
		PQfinish(c->conn);
	free(c);
	st->be = NULL;
}

static const struct store_ops pg_ops = {
    .name = "postgres",
    .close = pg_close,
    .exec = pg_exec,
    .script = pg_script,
    .begin = pg_begin,
    .begin_read = pg_begin_read,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .migration_lock = pg_migration_lock,
};

/* Session settings, again after a reconnect. */
static enum egca_err
session(struct egca_store *st)
{
	struct pgc *c = st->be;

	PQsetErrorVerbosity(c->conn, PQERRORS_DEFAULT);
	if (PQsetClientEncoding(c->conn, "UTF8") != 0)
		return egca_err_set(EGCA_ERR_STORE,
		    "postgres: cannot set client encoding UTF8");
	return simple(st, "SET bytea_output = 'hex'", "session");
}

/*
 * Outside a transaction a lost connection (server restart, failover)
 * is re-established once; inside one the transaction is gone and the
 * error goes to the caller.
 */
static enum egca_err
reconnect(struct egca_store *st)
{
	struct pgc *c = st->be;
	char buf[512];

	if (PQstatus(c->conn) == CONNECTION_OK ||
	    PQtransactionStatus(c->conn) == PQTRANS_INTRANS)
		return EGCA_OK;
	egca_log_warn("store=postgres event=reconnect");
	c->writer = 0; /* a session lock ends with its session */
	PQreset(c->conn);
	if (PQstatus(c->conn) != CONNECTION_OK)
		return egca_err_set(EGCA_ERR_STORE, "postgres: reconnect: %s",
		    trim(PQerrorMessage(c->conn), buf, sizeof(buf)));
	return session(st);
}

static void
notice(void *arg, const char *msg)
{
	char buf[512];

	(void)arg;
	egca_log_debug(
	    "store=postgres notice=\"%s\"", trim(msg, buf, sizeof(buf)));
}

enum egca_err
egca_store_pg_connect(struct egca_store *st, const char *conninfo)
{
	struct pgc *c;
	char buf[512];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "postgres: out of memory");
	st->ops = &pg_ops;
	st->be = c;
	if ((c->conn = PQconnectdb(conninfo)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "postgres: out of memory");
	if (PQstatus(c->conn) != CONNECTION_OK)
		return egca_err_set(EGCA_ERR_STORE, "postgres: connect: %s",
		    trim(PQerrorMessage(c->conn), buf, sizeof(buf)));
	PQsetNoticeProcessor(c->conn, notice, NULL);
	return session(st);
}
