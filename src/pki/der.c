/*
 * pki/der.c: DER writer and strict reader (der.h).
 *
 * What this does not check: the meaning of what it writes (builders do)
 * and the contents of string types (name.c, lint.c do).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pki/der.h"

#define OID(name, ...)                                                         \
	static const uint8_t name##_der_[] = {__VA_ARGS__};                    \
	const struct egca_der_oid name = {name##_der_, sizeof(name##_der_)}

OID(egca_oid_ec_public_key, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
OID(egca_oid_rsa_encryption, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
    0x01);
OID(egca_oid_curve_sm2, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d);
OID(egca_oid_curve_p256, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
OID(egca_oid_curve_p384, 0x2b, 0x81, 0x04, 0x00, 0x22);
OID(egca_oid_sm2_sm3, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75);
/* id-ce 2.5.29.x */
OID(egca_oid_ext_ski, 0x55, 0x1d, 0x0e);
OID(egca_oid_ext_ku, 0x55, 0x1d, 0x0f);
OID(egca_oid_ext_san, 0x55, 0x1d, 0x11);
OID(egca_oid_ext_bc, 0x55, 0x1d, 0x13);
OID(egca_oid_ext_crldp, 0x55, 0x1d, 0x1f);
OID(egca_oid_ext_freshest_crl, 0x55, 0x1d, 0x2e);
OID(egca_oid_ext_policies, 0x55, 0x1d, 0x20);
OID(egca_oid_ext_aki, 0x55, 0x1d, 0x23);
OID(egca_oid_ext_eku, 0x55, 0x1d, 0x25);
/* id-pe 1.3.6.1.5.5.7.1.x */
OID(egca_oid_ext_aia, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01);
OID(egca_oid_ext_sia, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x0b);
/* id-pkix-ocsp-nocheck 1.3.6.1.5.5.7.48.1.5 */
OID(egca_oid_ext_ocsp_nocheck, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01,
    0x05);
/* id-ad 1.3.6.1.5.5.7.48.x */
OID(egca_oid_ad_ocsp, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01);
OID(egca_oid_ad_ca_issuers, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02);
OID(egca_oid_ad_ca_repository, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x05);

/* ------------------------------------------------------------------ */
/* Writer                                                               */

void
egca_der_w_init(struct egca_der_w *w, struct egca_buf *b)
{
	w->b = b;
	w->depth = 0;
	w->err = EGCA_OK;
}

void
egca_der_w_fail(struct egca_der_w *w, enum egca_err err, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (w->err != EGCA_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->err = egca_err_set(err, "%s", msg);
}

enum egca_err
egca_der_w_finish(struct egca_der_w *w)
{
	if (w->err == EGCA_OK && w->depth != 0)
		w->err = egca_err_set(EGCA_ERR_INTERNAL,
		    "DER writer: %d constructed types left open", w->depth);
	return w->err;
}

static void
put(struct egca_der_w *w, const void *p, size_t len)
{
	enum egca_err e;

	if (w->err != EGCA_OK)
		return;
	if ((e = egca_buf_append(w->b, p, len)) != EGCA_OK)
		w->err = e;
}

static void
put_header(struct egca_der_w *w, uint8_t tag, size_t len)
{
	uint8_t h[6];
	size_t n = 0, i;

	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		size_t octets = 0, v = len;

		while (v > 0) {
			octets++;
			v >>= 8;
		}
		if (octets > 4) {
			egca_der_w_fail(w, EGCA_ERR_NOMEM,
			    "DER: length %zu too large", len);
			return;
		}
		h[n++] = (uint8_t)(0x80 | octets);
		for (i = octets; i > 0; i--)
			h[n++] = (uint8_t)(len >> (8 * (i - 1)));
	}
	put(w, h, n);
}

void
egca_der_begin(struct egca_der_w *w, uint8_t tag)
{
	uint8_t h[2] = {tag, 0};

	if (w->err != EGCA_OK)
		return;
	if (w->depth >= EGCA_DER_MAX_DEPTH) {
		egca_der_w_fail(w, EGCA_ERR_INTERNAL, "DER: nesting too deep");
		return;
	}
	put(w, h, 2);
	if (w->err == EGCA_OK)
		w->open[w->depth++] = w->b->len - 1;
}

void
egca_der_end(struct egca_der_w *w)
{
	size_t at, len, octets, v, i;
	uint8_t *d;
	enum egca_err e;

	if (w->err != EGCA_OK)
		return;
	if (w->depth == 0) {
		egca_der_w_fail(w, EGCA_ERR_INTERNAL, "DER: end without begin");
		return;
	}
	at = w->open[--w->depth];
	len = w->b->len - at - 1;
	if (len < 0x80) {
		w->b->data[at] = (uint8_t)len;
		return;
	}
	for (octets = 0, v = len; v > 0; v >>= 8)
		octets++;
	if (octets > 4) {
		egca_der_w_fail(
		    w, EGCA_ERR_NOMEM, "DER: length %zu too large", len);
		return;
	}
	if ((e = egca_buf_reserve(w->b, octets)) != EGCA_OK) {
		w->err = e;
		return;
	}
	d = w->b->data;
	memmove(d + at + 1 + octets, d + at + 1, len);
	d[at] = (uint8_t)(0x80 | octets);
	for (i = 0; i < octets; i++)
		d[at + 1 + i] = (uint8_t)(len >> (8 * (octets - 1 - i)));
	w->b->len += octets;
	w->b->data[w->b->len] = '\0';
}

void
egca_der_put_tlv(struct egca_der_w *w, uint8_t tag, const void *p, size_t len)
{
	put_header(w, tag, len);
	if (len > 0)
		put(w, p, len);
}

void
egca_der_put_raw(struct egca_der_w *w, const void *p, size_t len)
{
	put(w, p, len);
}

void
egca_der_put_oid(struct egca_der_w *w, const struct egca_der_oid *oid)
{
	egca_der_put_tlv(w, DER_OID, oid->der, oid->len);
}

void
egca_der_put_uint(struct egca_der_w *w, const uint8_t *be, size_t len)
{
	uint8_t zero = 0;

	while (len > 1 && be[0] == 0) {
		be++;
		len--;
	}
	if (len == 0) {
		egca_der_put_tlv(w, DER_INTEGER, &zero, 1);
		return;
	}
	if (be[0] & 0x80) {
		put_header(w, DER_INTEGER, len + 1);
		put(w, &zero, 1);
		put(w, be, len);
		return;
	}
	egca_der_put_tlv(w, DER_INTEGER, be, len);
}

void
egca_der_put_small_int(struct egca_der_w *w, int64_t v)
{
	uint8_t b[8];
	size_t n = 8, i;
	uint64_t u = (uint64_t)v;

	for (i = 0; i < 8; i++)
		b[7 - i] = (uint8_t)(u >> (8 * i));
	i = 0;
	/* Strip redundant sign octets. */
	while (n - i > 1 &&
	    ((b[i] == 0x00 && !(b[i + 1] & 0x80)) ||
	        (b[i] == 0xff && (b[i + 1] & 0x80))))
		i++;
	egca_der_put_tlv(w, DER_INTEGER, b + i, n - i);
}

void
egca_der_put_bool(struct egca_der_w *w, int v)
{
	uint8_t b = v ? 0xff : 0x00;

	egca_der_put_tlv(w, DER_BOOLEAN, &b, 1);
}

void
egca_der_put_null(struct egca_der_w *w)
{
	egca_der_put_tlv(w, DER_NULL, NULL, 0);
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void
digits(char *out, unsigned v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
egca_der_put_time(struct egca_der_w *w, int64_t t)
{
	int64_t days, secs, y;
	unsigned mo, d;
	char s[16];
	size_t n = 0;

	if (w->err != EGCA_OK)
		return;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	if (y < 1950 || y > 9999) {
		egca_der_w_fail(w, EGCA_ERR_INPUT,
		    "time %lld out of the encodable range", (long long)t);
		return;
	}
	if (y < 2050) {
		digits(s, (unsigned)(y % 100), 2);
		n = 2;
	} else {
		digits(s, (unsigned)y, 4);
		n = 4;
	}
	digits(s + n, mo, 2);
	digits(s + n + 2, d, 2);
	digits(s + n + 4, (unsigned)(secs / 3600), 2);
	digits(s + n + 6, (unsigned)(secs / 60 % 60), 2);
	digits(s + n + 8, (unsigned)(secs % 60), 2);
	s[n + 10] = 'Z';
	egca_der_put_tlv(
	    w, y < 2050 ? DER_UTCTIME : DER_GENERALIZEDTIME, s, n + 11);
}

void
egca_der_put_bitstring(
    struct egca_der_w *w, unsigned unused, const uint8_t *p, size_t len)
{
	uint8_t u = (uint8_t)unused;

	if (unused > 7 || (len == 0 && unused != 0)) {
		egca_der_w_fail(w, EGCA_ERR_INTERNAL, "DER: bad BIT STRING");
		return;
	}
	put_header(w, DER_BIT_STRING, len + 1);
	put(w, &u, 1);
	if (len > 0)
		put(w, p, len);
}

void
egca_der_put_octet(struct egca_der_w *w, const uint8_t *p, size_t len)
{
	egca_der_put_tlv(w, DER_OCTET_STRING, p, len);
}

void
egca_der_put_string(
    struct egca_der_w *w, uint8_t tag, const char *s, size_t len)
{
	egca_der_put_tlv(w, tag, s, len);
}

enum egca_err
egca_der_oid_from_text(
    const char *text, uint8_t *out, size_t out_max, size_t *out_len)
{
	uint64_t arcs[2] = {0, 0}, v;
	size_t n = 0, narcs = 0, k;
	const char *s = text;
	uint8_t tmp[10];

	while (*s != '\0') {
		if (*s < '0' || *s > '9' ||
		    (*s == '0' && s[1] >= '0' && s[1] <= '9'))
			goto bad;
		v = 0;
		while (*s >= '0' && *s <= '9') {
			if (v > (UINT64_MAX - 9) / 10 / 128)
				goto bad;
			v = v * 10 + (uint64_t)(*s++ - '0');
		}
		if (*s == '.') {
			s++;
			if (*s == '\0')
				goto bad;
		} else if (*s != '\0')
			goto bad;
		if (narcs < 2) {
			arcs[narcs++] = v;
			if (narcs < 2)
				continue;
			if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
				goto bad;
			v = arcs[0] * 40 + arcs[1];
		} else
			narcs++;
		k = 0;
		do {
			tmp[k++] = (uint8_t)(v & 0x7f);
			v >>= 7;
		} while (v > 0);
		if (n + k > out_max)
			goto bad;
		while (k > 0) {
			k--;
			out[n++] = (uint8_t)(tmp[k] | (k > 0 ? 0x80 : 0));
		}
	}
	if (narcs < 2)
		goto bad;
	*out_len = n;
	return EGCA_OK;
bad:
	return egca_err_set(EGCA_ERR_INPUT, "malformed OID \"%.64s\"", text);
}

int
egca_der_oid_to_text(const uint8_t *p, size_t len, char *out, size_t out_max)
{
	size_t i, n = 0;
	uint64_t v = 0;
	int first = 1, w;

	if (len == 0 || out_max == 0 || (p[len - 1] & 0x80))
		return 0;
	for (i = 0; i < len; i++) {
		if (v == 0 && p[i] == 0x80)
			return 0; /* non-minimal arc */
		if (v > (UINT64_MAX >> 7))
			return 0;
		v = v << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;

			w = snprintf(out + n, out_max - n, "%u.%llu", a,
			    (unsigned long long)(v - 40 * a));
			first = 0;
		} else
			w = snprintf(out + n, out_max - n, ".%llu",
			    (unsigned long long)v);
		if (w < 0 || (size_t)w >= out_max - n)
			return 0;
		n += (size_t)w;
		v = 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Reader                                                               */

void
egca_der_r_init(struct egca_der_r *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->err = len > EGCA_DER_MAX_LEN;
}

/* Parses a header at r without consuming; returns header length or 0. */
static size_t
header(const struct egca_der_r *r, uint8_t *tag, size_t *len)
{
	size_t n, i, l;

	if (r->err || r->left < 2)
		return 0;
	*tag = r->p[0];
	if ((*tag & 0x1f) == 0x1f)
		return 0; /* multi-octet tags: not used in X.509 here */
	if (r->p[1] < 0x80) {
		*len = r->p[1];
		n = 2;
	} else {
		size_t octets = r->p[1] & 0x7f;

		/* 0x80: indefinite (BER only); > 4 octets: over limit. */
		if (octets == 0 || octets > 4 || r->left < 2 + octets)
			return 0;
		if (r->p[2] == 0)
			return 0; /* leading zero: not minimal */
		for (l = 0, i = 0; i < octets; i++)
			l = l << 8 | r->p[2 + i];
		if (l < 0x80)
			return 0; /* long form for a short length */
		*len = l;
		n = 2 + octets;
	}
	if (*len > r->left - n)
		return 0;
	return n;
}

int
egca_der_get_any(struct egca_der_r *r, struct egca_der_tlv *t)
{
	size_t h, len;
	uint8_t tag;

	if (r->err || r->left == 0) {
		r->err = 1;
		return 0;
	}
	if ((h = header(r, &tag, &len)) == 0) {
		r->err = 1;
		return 0;
	}
	t->tag = tag;
	t->raw = r->p;
	t->raw_len = h + len;
	t->val = r->p + h;
	t->len = len;
	r->p += h + len;
	r->left -= h + len;
	return 1;
}

int
egca_der_peek(const struct egca_der_r *r)
{
	if (r->err || r->left == 0)
		return -1;
	return r->p[0];
}

int
egca_der_get(struct egca_der_r *r, uint8_t tag, struct egca_der_tlv *t)
{
	if (egca_der_peek(r) != tag) {
		r->err = 1;
		return 0;
	}
	return egca_der_get_any(r, t);
}

int
egca_der_enter(struct egca_der_r *r, uint8_t tag, struct egca_der_r *sub)
{
	struct egca_der_tlv t;

	if (!egca_der_get(r, tag, &t)) {
		sub->p = NULL;
		sub->left = 0;
		sub->err = 1;
		return 0;
	}
	egca_der_r_init(sub, t.val, t.len);
	return 1;
}

int
egca_der_get_opt(struct egca_der_r *r, uint8_t tag, struct egca_der_tlv *t)
{
	if (egca_der_peek(r) != tag)
		return 0;
	return egca_der_get_any(r, t);
}

int
egca_der_r_end(struct egca_der_r *r)
{
	if (r->left != 0)
		r->err = 1;
	return !r->err;
}

int
egca_der_tlv_bool(const struct egca_der_tlv *t, int *v)
{
	if (t->tag != DER_BOOLEAN || t->len != 1 ||
	    (t->val[0] != 0x00 && t->val[0] != 0xff))
		return 0;
	*v = t->val[0] == 0xff;
	return 1;
}

int
egca_der_tlv_int_ok(const struct egca_der_tlv *t, int *neg)
{
	if (t->tag != DER_INTEGER || t->len == 0)
		return 0;
	if (t->len > 1 &&
	    ((t->val[0] == 0x00 && !(t->val[1] & 0x80)) ||
	        (t->val[0] == 0xff && (t->val[1] & 0x80))))
		return 0;
	*neg = (t->val[0] & 0x80) != 0;
	return 1;
}

int
egca_der_tlv_small_int(const struct egca_der_tlv *t, int64_t *v)
{
	int neg;
	size_t i;
	uint64_t u;

	if (!egca_der_tlv_int_ok(t, &neg) || t->len > 8)
		return 0;
	u = neg ? UINT64_MAX : 0;
	for (i = 0; i < t->len; i++)
		u = u << 8 | t->val[i];
	*v = (int64_t)u;
	return 1;
}

static int
num(const uint8_t *p, int n, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return 1;
}

int
egca_der_tlv_time(const struct egca_der_tlv *t, int64_t *v)
{
	const uint8_t *p = t->val;
	unsigned y, mo, d, h, mi, s;
	int64_t year;
	static const unsigned mdays[12] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (t->tag == DER_UTCTIME) {
		if (t->len != 13 || !num(p, 2, &y))
			return 0;
		year = y < 50 ? 2000 + y : 1900 + y;
		p += 2;
	} else if (t->tag == DER_GENERALIZEDTIME) {
		if (t->len != 15 || !num(p, 4, &y))
			return 0;
		year = y;
		p += 4;
	} else
		return 0;
	if (!num(p, 2, &mo) || !num(p + 2, 2, &d) || !num(p + 4, 2, &h) ||
	    !num(p + 6, 2, &mi) || !num(p + 8, 2, &s) || p[10] != 'Z')
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || s > 59)
		return 0;
	if (mo == 2 && d == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return 0;
	*v = days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 1;
}

int
egca_der_tlv_bits(const struct egca_der_tlv *t, unsigned *unused,
    const uint8_t **p, size_t *len)
{
	uint8_t u;

	if (t->tag != DER_BIT_STRING || t->len == 0)
		return 0;
	u = t->val[0];
	if (u > 7 || (t->len == 1 && u != 0))
		return 0;
	/* DER: the unused bits are zero. */
	if (t->len > 1 && (t->val[t->len - 1] & ((1u << u) - 1)) != 0)
		return 0;
	*unused = u;
	*p = t->val + 1;
	*len = t->len - 1;
	return 1;
}

int
egca_der_oid_eq(const struct egca_der_tlv *t, const struct egca_der_oid *oid)
{
	return t->tag == DER_OID && t->len == oid->len &&
	    memcmp(t->val, oid->der, oid->len) == 0;
}

int
egca_der_utf8_check(const uint8_t *s, size_t len, size_t *nchars)
{
	size_t i = 0, k, n, chars = 0;
	uint32_t c;

	while (i < len) {
		c = s[i];
		chars++;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			c &= 0x07;
		} else
			return 0;
		if (n >= len - i)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
		    (n == 3 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c < 0xa0))
			return 0;
		i += n + 1;
	}
	if (nchars != NULL)
		*nchars = chars;
	return 1;
}

int
egca_der_printable_check(const uint8_t *p, size_t len)
{
	size_t i;
	uint8_t c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == ' ' || c == '\'' ||
		        (c >= '(' && c <= '/' && c != '*') || c == ':' ||
		        c == '=' || c == '?'))
			return 0;
	}
	return 1;
}
