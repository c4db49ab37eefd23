/*
 * Files: bounded reads and atomic, durable writes (temp file, fsync,
 * rename, fsync of the directory).
 */
#ifndef EGCA_FILE_H
#define EGCA_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "egca/err.h"

/*
 * Reads the whole of path ("-" for standard input) into *out (caller
 * frees; NUL-terminated past *len). Files larger than max fail with
 * EGCA_ERR_INPUT naming the limit.
 */
EGCA_MUST_CHECK enum egca_err egca_file_read(
    const char *path, size_t max, uint8_t **out, size_t *len);

/* Writes data to path atomically with the given mode (0600 for keys). */
EGCA_MUST_CHECK enum egca_err egca_file_write_atomic(
    const char *path, const void *data, size_t len, mode_t mode);

/* True when path exists (any type). */
int egca_file_exists(const char *path);

/* mkdir -p with mode for the created components. */
EGCA_MUST_CHECK enum egca_err egca_file_mkdirs(const char *path, mode_t mode);

/* Joins dir and name into a malloc'd path. */
char *egca_file_join(const char *dir, const char *name);

#endif
