/* Bounded growable buffers (include/egca/buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egca/buf.h"

void
egca_buf_init(struct egca_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : EGCA_BUF_DEFAULT_MAX;
}

void
egca_buf_free(struct egca_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
egca_buf_reset(struct egca_buf *b)
{
	b->len = 0;
}

enum egca_err
egca_buf_reserve(struct egca_buf *b, size_t n)
{
	size_t want, ncap;
	uint8_t *p;

	if (n > b->max || b->len > b->max - n)
		return egca_err_set(EGCA_ERR_NOMEM,
		    "buffer maximum of %zu bytes reached", b->max);
	want = b->len + n + 1;
	if (want <= b->cap)
		return EGCA_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	b->data = p;
	b->cap = ncap;
	return EGCA_OK;
}

enum egca_err
egca_buf_append(struct egca_buf *b, const void *p, size_t n)
{
	enum egca_err e;

	if ((e = egca_buf_reserve(b, n)) != EGCA_OK)
		return e;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return EGCA_OK;
}

enum egca_err
egca_buf_append_byte(struct egca_buf *b, uint8_t c)
{
	return egca_buf_append(b, &c, 1);
}

enum egca_err
egca_buf_printf(struct egca_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum egca_err e;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return egca_err_set(EGCA_ERR_INTERNAL, "bad format");
	if ((e = egca_buf_reserve(b, (size_t)n)) != EGCA_OK)
		return e;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return EGCA_OK;
}

uint8_t *
egca_buf_take(struct egca_buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len != NULL)
		*len = b->len;
	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
egca_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
egca_base64_digit(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
egca_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum egca_err
egca_hex_decode(const char *hex, uint8_t *out, size_t out_max, size_t *out_len)
{
	size_t n = strlen(hex), i;
	int hi, lo;

	if (n % 2 != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "hex: odd number of digits");
	if (n / 2 > out_max)
		return egca_err_set(
		    EGCA_ERR_INPUT, "hex: longer than %zu bytes", out_max);
	for (i = 0; i < n / 2; i++) {
		hi = egca_hex_digit(hex[2 * i]);
		lo = egca_hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return egca_err_set(EGCA_ERR_INPUT,
			    "hex: bad digit at position %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*out_len = n / 2;
	return EGCA_OK;
}
