/*
 * Growable byte buffers with a maximum (curl dynbuf). Appending past the
 * maximum fails with EGCA_ERR_NOMEM and leaves the buffer as it was.
 * egca_buf_free() accepts NULL-initialised buffers and frees the data;
 * egca_buf_take() hands the data to the caller (free with free()).
 */
#ifndef EGCA_BUF_H
#define EGCA_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "egca/err.h"

struct egca_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define EGCA_BUF_DEFAULT_MAX ((size_t)64 << 20)

void egca_buf_init(struct egca_buf *b, size_t max);
void egca_buf_free(struct egca_buf *b);
void egca_buf_reset(struct egca_buf *b);
EGCA_MUST_CHECK enum egca_err egca_buf_reserve(struct egca_buf *b, size_t n);
EGCA_MUST_CHECK enum egca_err egca_buf_append(
    struct egca_buf *b, const void *p, size_t n);
EGCA_MUST_CHECK enum egca_err egca_buf_append_byte(
    struct egca_buf *b, uint8_t c);
EGCA_MUST_CHECK enum egca_err egca_buf_printf(
    struct egca_buf *b, const char *fmt, ...) EGCA_PRINTF(2, 3);
/* Returns the data (NUL-terminated past len) and empties the buffer. */
uint8_t *egca_buf_take(struct egca_buf *b, size_t *len);

/* The value of one base64 digit (RFC 4648 alphabet), or -1. */
int egca_base64_digit(int c);

/* The value of one hex digit (either case), or -1. */
int egca_hex_digit(int c);

/* Lower-case hex of in into out (2*len+1 bytes). */
void egca_hex_encode(const uint8_t *in, size_t len, char *out);
/* Parses hex (either case, no separators); EGCA_ERR_INPUT on bad text. */
EGCA_MUST_CHECK enum egca_err egca_hex_decode(
    const char *hex, uint8_t *out, size_t out_max, size_t *out_len);

#endif
