/*
 * Strict decoders for untrusted request text: percent-encoding (RFC
 * 3986 2.1), base64 (RFC 4648 4, canonical only), UTF-8 validation and
 * path segments. Every decoder has an explicit output bound.
 */
#include <string.h>

#include "egca/buf.h"
#include "http/http_int.h"

enum egca_err
http_pct_decode(const char *in, size_t len, int plus_space, char *out,
    size_t out_max, size_t *out_len)
{
	size_t i, j = 0;
	int hi, lo;
	char c;

	*out_len = 0;
	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '%') {
			if (i + 2 >= len)
				return egca_err_set(
				    EGCA_ERR_INPUT, "truncated %%-escape");
			hi = egca_hex_digit(in[i + 1]);
			lo = egca_hex_digit(in[i + 2]);
			if (hi < 0 || lo < 0)
				return egca_err_set(
				    EGCA_ERR_INPUT, "bad %%-escape");
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		} else if (c == '\0') {
			return egca_err_set(EGCA_ERR_INPUT, "NUL in input");
		}
		if (c == '\0')
			return egca_err_set(EGCA_ERR_INPUT, "%%00 in input");
		if (j >= out_max)
			return egca_err_set(EGCA_ERR_NOMEM, "value too long");
		out[j++] = c;
	}
	*out_len = j;
	return EGCA_OK;
}

enum egca_err
http_b64_decode(
    const char *in, size_t len, uint8_t *out, size_t out_max, size_t *out_len)
{
	size_t i, j = 0, pad = 0;
	uint32_t acc;
	int v[4], k;

	*out_len = 0;
	if (len == 0 || len % 4 != 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "base64: length is not a multiple of 4");
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (in[i + (size_t)k] == '=' && i + 4 == len &&
			    (size_t)k >= 4 - pad) {
				v[k] = 0;
				continue;
			}
			if ((v[k] = egca_base64_digit(in[i + (size_t)k])) < 0)
				return egca_err_set(EGCA_ERR_INPUT,
				    "base64: bad character at %zu",
				    i + (size_t)k);
		}
		acc = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		k = i + 4 == len ? 3 - (int)pad : 3;
		/* Canonical: the bits under the padding are zero. */
		if ((k == 1 && (acc & 0xffff) != 0) ||
		    (k == 2 && (acc & 0xff) != 0))
			return egca_err_set(
			    EGCA_ERR_INPUT, "base64: non-zero pad bits");
		if (j + (size_t)k > out_max)
			return egca_err_set(EGCA_ERR_NOMEM, "base64: too long");
		out[j++] = (uint8_t)(acc >> 16);
		if (k > 1)
			out[j++] = (uint8_t)(acc >> 8);
		if (k > 2)
			out[j++] = (uint8_t)acc;
	}
	*out_len = j;
	return EGCA_OK;
}

void
http_b64_encode(const uint8_t *in, size_t len, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	                        "rstuvwxyz0123456789+/";
	size_t i, j = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[j++] = a[v >> 18 & 63];
		out[j++] = a[v >> 12 & 63];
		out[j++] = a[v >> 6 & 63];
		out[j++] = a[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		out[j++] = a[v >> 18 & 63];
		out[j++] = a[v >> 12 & 63];
		out[j++] = i + 1 < len ? a[v >> 6 & 63] : '=';
		out[j++] = '=';
	}
	out[j] = '\0';
}

int
http_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			/* No control characters in parameters or paths. */
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

enum egca_err
http_path_split(
    const char *raw, char *buf, size_t buf_len, char **seg, size_t *nseg)
{
	size_t max = *nseg, n = 0, used = 0, dl, sl;
	const char *p = raw, *slash;
	enum egca_err e;

	*nseg = 0;
	for (;;) {
		slash = strchr(p, '/');
		sl = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= max)
			return egca_err_set(
			    EGCA_ERR_INPUT, "too many segments");
		if (used >= buf_len)
			return egca_err_set(EGCA_ERR_INPUT, "path too long");
		if ((e = http_pct_decode(p, sl, 0, buf + used,
		         buf_len - used - 1, &dl)) != EGCA_OK)
			return egca_err_set(
			    EGCA_ERR_INPUT, "path: %s", egca_err_detail());
		if (dl == 0 || memchr(buf + used, '/', dl) != NULL ||
		    !http_utf8_valid(buf + used, dl))
			return egca_err_set(
			    EGCA_ERR_INPUT, "path: bad segment");
		buf[used + dl] = '\0';
		seg[n++] = buf + used;
		used += dl + 1;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	*nseg = n;
	return EGCA_OK;
}
