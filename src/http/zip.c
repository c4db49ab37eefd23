/*
 * A ZIP writer (PKWARE APPNOTE 6.3.10) for downloads: stored entries
 * (method 0) with CRC-32 (zlib), UTF-8 names (flag bit 11), no ZIP64,
 * so at most 65535 entries and 4 GiB; the buffer maximum is the real
 * bound. Errors are sticky: check the result of http_zip_finish.
 */
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "http/http_int.h"

void
http_zip_init(struct http_zip *z, size_t max, int64_t mtime)
{
	struct tm tm;
	time_t t = (time_t)mtime;

	memset(z, 0, sizeof(*z));
	egca_buf_init(&z->data, max);
	egca_buf_init(&z->cd, max / 4 + 65536);
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 80)
		memset(&tm, 0, sizeof(tm));
	else {
		z->dos_time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 |
		    tm.tm_sec / 2);
		z->dos_date = (uint16_t)((tm.tm_year - 80) << 9 |
		    (tm.tm_mon + 1) << 5 | tm.tm_mday);
	}
}

static void
le16(struct egca_buf *b, uint32_t v, enum egca_err *e)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	if (*e == EGCA_OK)
		*e = egca_buf_append(b, x, 2);
}

static void
le32(struct egca_buf *b, uint32_t v, enum egca_err *e)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24)};

	if (*e == EGCA_OK)
		*e = egca_buf_append(b, x, 4);
}

static void
bytes(struct egca_buf *b, const void *p, size_t n, enum egca_err *e)
{
	if (*e == EGCA_OK)
		*e = egca_buf_append(b, p, n);
}

enum egca_err
http_zip_add(struct http_zip *z, const char *name, const void *data, size_t len)
{
	size_t nl = strlen(name), off = z->data.len;
	uint32_t crc;
	enum egca_err e = EGCA_OK;

	if (z->err != EGCA_OK)
		return z->err;
	if (nl == 0 || nl > 255 || z->n >= 65535 || len > UINT32_MAX ||
	    off > UINT32_MAX - len - 512)
		return z->err = egca_err_set(EGCA_ERR_NOMEM,
		           "zip: too many or too large entries");
	crc = (uint32_t)crc32(0L, Z_NULL, 0);
	/* zlib's crc32 takes uInt lengths: feed it in pieces. */
	{
		const uint8_t *p = data;
		size_t left = len, k;
		while (left > 0) {
			k = left > (1u << 30) ? (1u << 30) : left;
			crc = (uint32_t)crc32(crc, p, (uInt)k);
			p += k;
			left -= k;
		}
	}
	/* Local file header. */
	le32(&z->data, 0x04034b50, &e);
	le16(&z->data, 10, &e);       /* version needed: 1.0 */
	le16(&z->data, 1u << 11, &e); /* UTF-8 names */
	le16(&z->data, 0, &e);        /* stored */
	le16(&z->data, z->dos_time, &e);
	le16(&z->data, z->dos_date, &e);
	le32(&z->data, crc, &e);
	le32(&z->data, (uint32_t)len, &e);
	le32(&z->data, (uint32_t)len, &e);
	le16(&z->data, (uint32_t)nl, &e);
	le16(&z->data, 0, &e);
	bytes(&z->data, name, nl, &e);
	bytes(&z->data, data, len, &e);
	/* Central directory entry. */
	le32(&z->cd, 0x02014b50, &e);
	le16(&z->cd, 0x0314, &e); /* made by: Unix, 2.0 */
	le16(&z->cd, 10, &e);
	le16(&z->cd, 1u << 11, &e);
	le16(&z->cd, 0, &e);
	le16(&z->cd, z->dos_time, &e);
	le16(&z->cd, z->dos_date, &e);
	le32(&z->cd, crc, &e);
	le32(&z->cd, (uint32_t)len, &e);
	le32(&z->cd, (uint32_t)len, &e);
	le16(&z->cd, (uint32_t)nl, &e);
	le16(&z->cd, 0, &e);              /* extra */
	le16(&z->cd, 0, &e);              /* comment */
	le16(&z->cd, 0, &e);              /* disk */
	le16(&z->cd, 0, &e);              /* internal attributes */
	le32(&z->cd, 0100644u << 16, &e); /* external: -rw-r--r-- */
	le32(&z->cd, (uint32_t)off, &e);
	bytes(&z->cd, name, nl, &e);
	if (e != EGCA_OK)
		return z->err = e;
	z->n++;
	return EGCA_OK;
}

enum egca_err
http_zip_finish(struct http_zip *z, uint8_t **out, size_t *len)
{
	size_t cd_off = z->data.len, cd_len = z->cd.len;
	enum egca_err e = z->err;

	*out = NULL;
	*len = 0;
	if (e == EGCA_OK && (cd_off > UINT32_MAX || cd_len > UINT32_MAX))
		e = egca_err_set(EGCA_ERR_NOMEM, "zip: archive too large");
	bytes(&z->data, z->cd.data, cd_len, &e);
	le32(&z->data, 0x06054b50, &e);
	le16(&z->data, 0, &e);
	le16(&z->data, 0, &e);
	le16(&z->data, (uint32_t)z->n, &e);
	le16(&z->data, (uint32_t)z->n, &e);
	le32(&z->data, (uint32_t)cd_len, &e);
	le32(&z->data, (uint32_t)cd_off, &e);
	le16(&z->data, 0, &e);
	if (e != EGCA_OK) {
		z->err = e;
		return e;
	}
	*out = egca_buf_take(&z->data, len);
	if (*out == NULL)
		return z->err = egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	return EGCA_OK;
}

void
http_zip_free(struct http_zip *z)
{
	egca_buf_free(&z->data);
	egca_buf_free(&z->cd);
}
