/* Errors with a thread-local detail string (include/egca/err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "egca/err.h"

static _Thread_local char detail[1024];

static const struct {
	const char *name;
	const char *text;
} names[EGCA_ERR_MAX_] = {
    [EGCA_OK] = {"EGCA_OK", "success"},
    [EGCA_ERR_INTERNAL] = {"EGCA_ERR_INTERNAL", "internal error"},
    [EGCA_ERR_USAGE] = {"EGCA_ERR_USAGE", "usage error"},
    [EGCA_ERR_INPUT] = {"EGCA_ERR_INPUT", "malformed input"},
    [EGCA_ERR_POLICY] = {"EGCA_ERR_POLICY", "refused by policy"},
    [EGCA_ERR_AUTH] = {"EGCA_ERR_AUTH", "authentication failed"},
    [EGCA_ERR_NOTFOUND] = {"EGCA_ERR_NOTFOUND", "not found"},
    [EGCA_ERR_EXISTS] = {"EGCA_ERR_EXISTS", "already exists"},
    [EGCA_ERR_STATE] = {"EGCA_ERR_STATE", "wrong state"},
    [EGCA_ERR_STORE] = {"EGCA_ERR_STORE", "store failure"},
    [EGCA_ERR_CRYPTO] = {"EGCA_ERR_CRYPTO", "cryptographic failure"},
    [EGCA_ERR_IO] = {"EGCA_ERR_IO", "I/O error"},
    [EGCA_ERR_NOMEM] = {"EGCA_ERR_NOMEM", "out of memory or limit"},
    [EGCA_ERR_INTEGRITY] = {"EGCA_ERR_INTEGRITY", "integrity failure"},
    [EGCA_ERR_CONFLICT] = {"EGCA_ERR_CONFLICT", "conflict, retry"},
};

const char *
egca_err_name(enum egca_err e)
{
	if ((unsigned)e >= EGCA_ERR_MAX_)
		return "EGCA_ERR_UNKNOWN";
	return names[e].name;
}

const char *
egca_err_text(enum egca_err e)
{
	if ((unsigned)e >= EGCA_ERR_MAX_)
		return "unknown error";
	return names[e].text;
}

enum egca_err
egca_err_set(enum egca_err e, const char *fmt, ...)
{
	va_list ap;
	char tmp[sizeof(detail)];

	/* Formatted aside: the arguments may be egca_err_detail() itself. */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(detail, tmp, sizeof(detail));
	return e;
}

enum egca_err
egca_err_ossl(enum egca_err e, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	unsigned long code;
	char buf[256], tmp[sizeof(detail)];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(detail, tmp, sizeof(detail));
	while ((code = ERR_get_error()) != 0) {
		ERR_error_string_n(code, buf, sizeof(buf));
		n = strlen(detail);
		if (n + 3 < sizeof(detail))
			snprintf(detail + n, sizeof(detail) - n, " [%s]", buf);
	}
	return e;
}

const char *
egca_err_detail(void)
{
	return detail;
}

void
egca_err_clear(void)
{
	detail[0] = '\0';
	ERR_clear_error();
}
