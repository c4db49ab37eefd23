/*
 * Operational log: one line per event, key=value, to standard error.
 * This is not the audit log (include/egca/audit.h).
 */
#ifndef EGCA_LOG_H
#define EGCA_LOG_H

#include "egca/err.h"

enum egca_log_level {
	EGCA_LOG_DEBUG,
	EGCA_LOG_INFO,
	EGCA_LOG_WARN,
	EGCA_LOG_ERR,
};

void egca_log_set_level(enum egca_log_level level);
void egca_log(enum egca_log_level level, const char *fmt, ...)
    EGCA_PRINTF(2, 3);

#define egca_log_debug(...) egca_log(EGCA_LOG_DEBUG, __VA_ARGS__)
#define egca_log_info(...) egca_log(EGCA_LOG_INFO, __VA_ARGS__)
#define egca_log_warn(...) egca_log(EGCA_LOG_WARN, __VA_ARGS__)
#define egca_log_err(...) egca_log(EGCA_LOG_ERR, __VA_ARGS__)

#endif
