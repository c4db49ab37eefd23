/*
 * Test-only hooks into store/ (tests/unit/store). Not for production
 * code: nothing outside store/ runs SQL.
 */
#ifndef EGCA_STORE_TEST_H
#define EGCA_STORE_TEST_H

#include <stdint.h>

#include "egca/store.h"

/* Runs SQL statements (no parameters, no results) on st. */
EGCA_MUST_CHECK enum egca_err egca_store_test_exec(
    struct egca_store *st, const char *sql);
/*
 * Empties the database behind uri without migrating it: PostgreSQL drops
 * and recreates schema public; SQLite removes the file and its -wal and
 * -shm companions.
 */
EGCA_MUST_CHECK enum egca_err egca_store_test_reset(const char *uri);
/* SQLite busy timeout in milliseconds; ignored on PostgreSQL. */
void egca_store_test_busy_timeout(struct egca_store *st, int ms);
/* How many times egca_store_tx retried after a conflict on st. */
uint64_t egca_store_test_retries(const struct egca_store *st);

#endif
