/*
 * Errors: one enum for the whole code base, with a thread-local detail
 * string. Library code returns an enum egca_err; only main() exits, and
 * the exit status of the egca command is the enum value (docs/cli.md).
 */
#ifndef EGCA_ERR_H
#define EGCA_ERR_H

#include <stddef.h>

#define EGCA_MUST_CHECK __attribute__((warn_unused_result))
#define EGCA_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum egca_err {
	EGCA_OK = 0,
	EGCA_ERR_INTERNAL = 1,   /* a bug or an impossible state */
	EGCA_ERR_USAGE = 2,      /* bad command line or option value */
	EGCA_ERR_INPUT = 3,      /* malformed input: PEM, DER, JSON, text */
	EGCA_ERR_POLICY = 4,     /* well-formed but refused by policy/lint */
	EGCA_ERR_AUTH = 5,       /* wrong passphrase, bad signature */
	EGCA_ERR_NOTFOUND = 6,   /* no such CA, certificate, profile */
	EGCA_ERR_EXISTS = 7,     /* already there (init twice, duplicate) */
	EGCA_ERR_STATE = 8,      /* wrong state (CA pending, cert revoked) */
	EGCA_ERR_STORE = 9,      /* database failure */
	EGCA_ERR_CRYPTO = 10,    /* OpenSSL failure */
	EGCA_ERR_IO = 11,        /* file system */
	EGCA_ERR_NOMEM = 12,     /* allocation or a buffer maximum reached */
	EGCA_ERR_INTEGRITY = 13, /* audit chain broken, chain invalid */
	EGCA_ERR_CONFLICT = 14,  /* serialization failure, retry exhausted */
	EGCA_ERR_MAX_
};

/* Stable symbolic name ("EGCA_ERR_POLICY") and a short English text. */
const char *egca_err_name(enum egca_err e);
const char *egca_err_text(enum egca_err e);

/*
 * Set the thread-local detail and return e, so callers write
 * `return egca_err_set(EGCA_ERR_INPUT, "CSR: %s", why);`.
 * The detail names the field or clause at fault; never a secret.
 */
enum egca_err egca_err_set(enum egca_err e, const char *fmt, ...)
    EGCA_PRINTF(2, 3);

/* As egca_err_set, appending the drained OpenSSL error queue. */
enum egca_err egca_err_ossl(enum egca_err e, const char *fmt, ...)
    EGCA_PRINTF(2, 3);

/* The detail of the last error on this thread ("" when none). */
const char *egca_err_detail(void);
void egca_err_clear(void);

#endif
