/* audit/ internals shared by audit.c, browse.c and checkpoint.c. */
#ifndef EGCA_AUDIT_INT_H
#define EGCA_AUDIT_INT_H

#include <stdint.h>

/* "2026-11-25T10:00:00Z" (UTC); the number when out of range. */
void egca_audit_time(int64_t t, char out[32]);

#endif
