/* One-line key=value operational log to standard error. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "egca/log.h"

static enum egca_log_level min_level = EGCA_LOG_WARN;

void
egca_log_set_level(enum egca_log_level level)
{
	min_level = level;
}

void
egca_log(enum egca_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "err"};
	char ts[32], line[2048];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level < min_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ts=%s level=%s %s\n", ts, names[level], line);
}
