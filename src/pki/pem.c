/*
 * PEM and DER lists (include/egca/pki.h). A strict PEM reader of our
 * own: RFC 7468 "strict" base64 inside a block, text outside blocks is
 * ignored (as OpenSSL does for "openssl x509 -text" output), encrypted
 * or headered blocks (RFC 1421 Proc-Type) are refused.
 *
 * What this does not check: that a block holds the object its label
 * names; callers parse the DER.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "egca/buf.h"
#include "egca/pki.h"

/* Bounds: a CA bundle has tens of certificates, not thousands. */
#define DER_LIST_MAX 4096
#define PEM_LABEL_MAX 64

static const char begin_mark[] = "-----BEGIN ";
static const char end_mark[] = "-----END ";
static const char dashes[] = "-----";

void
egca_der_list_free(struct egca_der_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->der[i]);
	free(l->der);
	free(l->len);
	l->der = NULL;
	l->len = NULL;
	l->n = 0;
}

enum egca_err
egca_der_list_add(struct egca_der_list *l, const uint8_t *der, size_t len)
{
	uint8_t **nd;
	size_t *nl;
	uint8_t *copy;

	if (l->n >= DER_LIST_MAX)
		return egca_err_set(EGCA_ERR_NOMEM,
		    "DER list: more than %d objects", DER_LIST_MAX);
	if ((copy = malloc(len ? len : 1)) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	if (len)
		memcpy(copy, der, len);
	if ((nd = realloc(l->der, (l->n + 1) * sizeof(*nd))) == NULL) {
		free(copy);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	l->der = nd;
	if ((nl = realloc(l->len, (l->n + 1) * sizeof(*nl))) == NULL) {
		free(copy);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	l->len = nl;
	l->der[l->n] = copy;
	l->len[l->n] = len;
	l->n++;
	return EGCA_OK;
}

/*
 * Drops the entries added after the first keep ones; an emptied list
 * holds no memory, so a caller whose decode failed has nothing to free.
 */
static void
list_truncate(struct egca_der_list *l, size_t keep)
{
	while (l->n > keep)
		free(l->der[--l->n]);
	if (l->n == 0)
		egca_der_list_free(l);
}

struct line {
	const uint8_t *p;
	size_t len; /* without the line break and trailing white space */
};

/* The line starting at *pos; advances *pos past its line break. */
static int
next_line(const uint8_t *in, size_t len, size_t *pos, struct line *ln)
{
	const uint8_t *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	ln->p = in + *pos;
	nl = memchr(ln->p, '\n', len - *pos);
	n = nl ? (size_t)(nl - ln->p) : len - *pos;
	*pos += nl ? n + 1 : n;
	while (n > 0 &&
	    (ln->p[n - 1] == '\r' || ln->p[n - 1] == ' ' ||
	        ln->p[n - 1] == '\t'))
		n--;
	ln->len = n;
	return 1;
}

static int
starts_with(const struct line *ln, const char *s)
{
	size_t n = strlen(s);

	return ln->len >= n && memcmp(ln->p, s, n) == 0;
}

/* "-----<mark><label>-----" exactly. */
static int
is_marker(const struct line *ln, const char *mark, const char *label)
{
	size_t m = strlen(mark), l = strlen(label), d = strlen(dashes);

	return ln->len == m + l + d && memcmp(ln->p, mark, m) == 0 &&
	    memcmp(ln->p + m, label, l) == 0 &&
	    memcmp(ln->p + m + l, dashes, d) == 0;
}

/*
 * Appends the base64 of one line to out; *pad counts '=' seen, after
 * which only more '=' may follow.
 */
static enum egca_err
b64_line(const struct line *ln, struct egca_buf *out, uint32_t *acc,
    unsigned *nacc, unsigned *pad)
{
	size_t i;
	int v;
	enum egca_err e;

	for (i = 0; i < ln->len; i++) {
		if (ln->p[i] == ' ' || ln->p[i] == '\t' || ln->p[i] == '\r')
			continue;
		if (ln->p[i] == '=') {
			/* "xx==" or "xxx=": padding only completes a quad. */
			if (*nacc < 2 || *nacc + *pad >= 4)
				return egca_err_set(EGCA_ERR_INPUT,
				    "PEM: misplaced base64 padding");
			(*pad)++;
			continue;
		}
		if (*pad)
			return egca_err_set(
			    EGCA_ERR_INPUT, "PEM: base64 data after padding");
		if ((v = egca_base64_digit(ln->p[i])) < 0)
			return egca_err_set(EGCA_ERR_INPUT,
			    "PEM: invalid base64 character 0x%02x", ln->p[i]);
		*acc = (*acc << 6) | (uint32_t)v;
		if (++*nacc == 4) {
			uint8_t b[3] = {(uint8_t)(*acc >> 16),
			    (uint8_t)(*acc >> 8), (uint8_t)*acc};

			if ((e = egca_buf_append(out, b, 3)) != EGCA_OK)
				return e;
			*acc = 0;
			*nacc = 0;
		}
	}
	return EGCA_OK;
}

/* Flushes a final padded quad; the padding bits must be zero. */
static enum egca_err
b64_final(struct egca_buf *out, uint32_t acc, unsigned nacc, unsigned pad)
{
	uint8_t b[2];

	if (nacc == 0 && pad == 0)
		return EGCA_OK;
	if (nacc + pad != 4)
		return egca_err_set(
		    EGCA_ERR_INPUT, "PEM: base64 length not a multiple of 4");
	if (nacc == 2) {
		if (acc & 0xf)
			return egca_err_set(EGCA_ERR_INPUT,
			    "PEM: non-zero base64 padding bits");
		b[0] = (uint8_t)(acc >> 4);
		return egca_buf_append(out, b, 1);
	}
	if (acc & 0x3)
		return egca_err_set(
		    EGCA_ERR_INPUT, "PEM: non-zero base64 padding bits");
	b[0] = (uint8_t)(acc >> 10);
	b[1] = (uint8_t)(acc >> 2);
	return egca_buf_append(out, b, 2);
}

/* Reads one block body up to its END line into out. */
static enum egca_err
pem_block(const uint8_t *in, size_t len, size_t *pos, const char *label,
    struct egca_buf *out)
{
	struct line ln;
	uint32_t acc = 0;
	unsigned nacc = 0, pad = 0;
	enum egca_err e;

	while (next_line(in, len, pos, &ln)) {
		if (is_marker(&ln, end_mark, label)) {
			if ((e = b64_final(out, acc, nacc, pad)) != EGCA_OK)
				return e;
			if (out->len == 0)
				return egca_err_set(EGCA_ERR_INPUT,
				    "PEM: empty %s block", label);
			return EGCA_OK;
		}
		if (starts_with(&ln, dashes))
			return egca_err_set(EGCA_ERR_INPUT,
			    "PEM: %s block not terminated by its END line",
			    label);
		if (memchr(ln.p, ':', ln.len) != NULL)
			return egca_err_set(EGCA_ERR_INPUT,
			    "PEM: headers (encrypted PEM) not supported");
		if ((e = b64_line(&ln, out, &acc, &nacc, &pad)) != EGCA_OK)
			return e;
	}
	return egca_err_set(
	    EGCA_ERR_INPUT, "PEM: %s block has no END line", label);
}

enum egca_err
egca_pki_pem_decode(
    const uint8_t *in, size_t len, const char *label, struct egca_der_list *out)
{
	struct line ln;
	struct egca_buf b;
	size_t pos = 0, keep = out->n;
	int any_pem = 0;
	enum egca_err e = EGCA_OK;

	if (in == NULL || len == 0)
		return egca_err_set(EGCA_ERR_INPUT, "empty input");
	if (label == NULL || strlen(label) > PEM_LABEL_MAX)
		return egca_err_set(EGCA_ERR_INTERNAL, "PEM: bad label");
	egca_buf_init(&b, len);
	while (next_line(in, len, &pos, &ln)) {
		if (!starts_with(&ln, begin_mark))
			continue;
		any_pem = 1;
		if (!is_marker(&ln, begin_mark, label))
			continue;
		egca_buf_reset(&b);
		if ((e = pem_block(in, len, &pos, label, &b)) != EGCA_OK)
			goto out;
		if ((e = egca_der_list_add(out, b.data, b.len)) != EGCA_OK)
			goto out;
	}
	if (!any_pem) {
		/* No PEM at all: the input is one DER object. */
		e = egca_der_list_add(out, in, len);
		goto out;
	}
	if (out->n == keep)
		e = egca_err_set(
		    EGCA_ERR_INPUT, "PEM: no %s block found", label);
out:
	if (e != EGCA_OK)
		list_truncate(out, keep);
	egca_buf_free(&b);
	return e;
}

enum egca_err
egca_pki_pem_encode(
    const uint8_t *der, size_t len, const char *label, struct egca_buf *out)
{
	unsigned char line[65];
	size_t off, n, start = out->len;
	int w;
	enum egca_err e;

	if ((e = egca_buf_printf(out, "-----BEGIN %s-----\n", label)) !=
	    EGCA_OK)
		return e;
	for (off = 0; off < len; off += n) {
		n = len - off < 48 ? len - off : 48;
		w = EVP_EncodeBlock(line, der + off, (int)n);
		if ((e = egca_buf_append(out, line, (size_t)w)) != EGCA_OK ||
		    (e = egca_buf_append_byte(out, '\n')) != EGCA_OK)
			goto out;
	}
	e = egca_buf_printf(out, "-----END %s-----\n", label);
out:
	if (e != EGCA_OK)
		out->len = start;
	return e;
}
