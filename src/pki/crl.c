/*
 * pki/crl.c: the streaming CRL builder (include/egca/pki.h, "CRL").
 *
 *   CertificateList ::= SEQUENCE {
 *     tbsCertList TBSCertList, signatureAlgorithm, signatureValue }
 *   TBSCertList ::= SEQUENCE {
 *     version INTEGER (v2 = 1), signature AlgorithmIdentifier,
 *     issuer Name, thisUpdate Time, nextUpdate Time,
 *     revokedCertificates SEQUENCE OF SEQUENCE {
 *       userCertificate CertificateSerialNumber, revocationDate Time,
 *       crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions }
 *
 * One egca_buf holds everything. It starts with HEAD_ROOM spare octets
 * so that the outer SEQUENCE header can be put in front of the TBS at
 * the end without copying the TBS into a second buffer: for a million
 * entries that second copy would double the peak memory. The writer
 * patches the lengths of revokedCertificates and TBSCertList when they
 * are closed (one memmove each).
 *
 * Choices: reasonCode is omitted for unspecified (RFC 5280 5.3.1
 * SHOULD); invalidityDate is always GeneralizedTime (5.3.2); extensions
 * in the order AKI, cRLNumber, deltaCRLIndicator.
 */
#include <stdlib.h>
#include <string.h>

#include "egca/pki.h"
#include "pki/der.h"

EGCA_DER_OID(oid_crl_number, 0x55, 0x1d, 0x14);
EGCA_DER_OID(oid_reason_code, 0x55, 0x1d, 0x15);
EGCA_DER_OID(oid_invalidity_date, 0x55, 0x1d, 0x18);
EGCA_DER_OID(oid_delta_crl_indicator, 0x55, 0x1d, 0x1b);

#define DER_ENUMERATED 0x0a
/* Tag and at most 4 length octets plus the length-of-length octet. */
#define HEAD_ROOM 6

enum state {
	ST_ENTRIES, /* adding revokedCertificates entries */
	ST_TBS,     /* TBSCertList closed, waiting for the signature */
	ST_DONE,    /* handed over or failed */
};

struct egca_crl_builder {
	struct egca_buf buf;
	struct egca_der_w w;
	enum state state;
	int list_open; /* revokedCertificates SEQUENCE begun */
	size_t count;
	enum egca_sig_alg sig_alg;
	uint8_t ski[64];
	size_t ski_len;
	int64_t number, base_number;
};

void
egca_pki_crl_builder_free(struct egca_crl_builder *b)
{
	if (b == NULL)
		return;
	egca_buf_free(&b->buf);
	free(b);
}

enum egca_err
egca_pki_crl_builder_new(const struct egca_crl_template *t, size_t max,
    struct egca_crl_builder **out)
{
	static const uint8_t zero[HEAD_ROOM];
	struct egca_crl_builder *b = NULL;
	const uint8_t *alg;
	size_t alg_len;
	enum egca_err e;

	*out = NULL;
	if ((alg = egca_crypto_sig_alg_der(t->sig_alg, &alg_len)) == NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "CRL: unknown signature algorithm");
	if (t->issuer == NULL || t->issuer_len == 0)
		return egca_err_set(EGCA_ERR_INPUT, "CRL: no issuer name");
	if (t->issuer_ski_len > sizeof(b->ski) ||
	    (t->issuer_ski == NULL) != (t->issuer_ski_len == 0))
		return egca_err_set(EGCA_ERR_INPUT, "CRL: bad issuer key id");
	if (t->number < 0 || t->base_number < 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CRL: RFC 5280 5.2.3: cRLNumber must not be negative");
	if (t->base_number > 0 && t->base_number >= t->number)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CRL: RFC 5280 5.2.4: BaseCRLNumber %lld must be below "
		    "the delta's cRLNumber %lld",
		    (long long)t->base_number, (long long)t->number);
	if (t->next_update <= t->this_update)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CRL: RFC 5280 5.1.2.5: nextUpdate must be after "
		    "thisUpdate");
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	egca_buf_init(&b->buf, max ? max : EGCA_CRL_DEFAULT_MAX);
	b->sig_alg = t->sig_alg;
	b->number = t->number;
	b->base_number = t->base_number;
	if (t->issuer_ski_len > 0)
		memcpy(b->ski, t->issuer_ski, t->issuer_ski_len);
	b->ski_len = t->issuer_ski_len;
	if ((e = egca_buf_append(&b->buf, zero, sizeof(zero))) != EGCA_OK)
		goto out;
	egca_der_w_init(&b->w, &b->buf);
	egca_der_begin(&b->w, DER_SEQUENCE); /* TBSCertList */
	egca_der_put_small_int(&b->w, 1);    /* v2 */
	egca_der_put_raw(&b->w, alg, alg_len);
	egca_der_put_raw(&b->w, t->issuer, t->issuer_len);
	egca_der_put_time(&b->w, t->this_update);
	egca_der_put_time(&b->w, t->next_update);
	if ((e = b->w.err) != EGCA_OK)
		goto out;
	b->state = ST_ENTRIES;
	*out = b;
	b = NULL;
out:
	egca_pki_crl_builder_free(b);
	return e;
}

/* GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5.2). */
static void
put_gentime(struct egca_der_w *w, int64_t t)
{
	int64_t days, secs, z, era, y;
	unsigned doe, yoe, doy, mp, d, m;
	char s[16];
	int i;

	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* civil_from_days (Howard Hinnant). */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 1 || y > 9999) {
		egca_der_w_fail(w, EGCA_ERR_INPUT,
		    "CRL: time %lld out of range", (long long)t);
		return;
	}
	for (i = 3; i >= 0; i--, y /= 10)
		s[i] = (char)('0' + y % 10);
	s[4] = (char)('0' + m / 10);
	s[5] = (char)('0' + m % 10);
	s[6] = (char)('0' + d / 10);
	s[7] = (char)('0' + d % 10);
	s[8] = (char)('0' + secs / 36000);
	s[9] = (char)('0' + secs / 3600 % 10);
	s[10] = (char)('0' + secs / 600 % 6);
	s[11] = (char)('0' + secs / 60 % 10);
	s[12] = (char)('0' + secs % 60 / 10);
	s[13] = (char)('0' + secs % 10);
	s[14] = 'Z';
	egca_der_put_tlv(w, DER_GENERALIZEDTIME, s, 15);
}

enum egca_err
egca_pki_crl_builder_add(struct egca_crl_builder *b, const uint8_t *serial,
    size_t serial_len, int64_t revocation_date, int reason,
    int64_t invalidity_date)
{
	struct egca_der_w *w = &b->w;
	size_t mark = b->buf.len;
	int depth = w->depth;
	uint8_t r;
	enum egca_err e;

	if (b->state != ST_ENTRIES)
		return egca_err_set(EGCA_ERR_STATE,
		    "CRL: entry added after the TBS was closed");
	while (serial_len > 1 && serial != NULL && serial[0] == 0) {
		serial++;
		serial_len--;
	}
	if (serial == NULL || serial_len == 0 || serial_len > 20 ||
	    (serial_len == 1 && serial[0] == 0))
		return egca_err_set(EGCA_ERR_INPUT,
		    "CRL: RFC 5280 4.1.2.2: serial must be positive and at "
		    "most 20 octets");
	if (reason > 10 || reason == 7)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CRL: RFC 5280 5.3.1: unknown reason code %d", reason);
	if (b->base_number == 0 && reason == 8)
		return egca_err_set(EGCA_ERR_INPUT,
		    "CRL: RFC 5280 5.3.1: removeFromCRL only in delta CRLs");
	if (!b->list_open) {
		egca_der_begin(w, DER_SEQUENCE); /* revokedCertificates */
		b->list_open = 1;
	}
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_put_uint(w, serial, serial_len);
	egca_der_put_time(w, revocation_date);
	if (reason > 0 || invalidity_date != 0) {
		egca_der_begin(w, DER_SEQUENCE); /* crlEntryExtensions */
		if (reason > 0) {
			r = (uint8_t)reason;
			egca_der_begin(w, DER_SEQUENCE);
			egca_der_put_oid(w, &oid_reason_code);
			egca_der_begin(w, DER_OCTET_STRING);
			egca_der_put_tlv(w, DER_ENUMERATED, &r, 1);
			egca_der_end(w);
			egca_der_end(w);
		}
		if (invalidity_date != 0) {
			egca_der_begin(w, DER_SEQUENCE);
			egca_der_put_oid(w, &oid_invalidity_date);
			egca_der_begin(w, DER_OCTET_STRING);
			put_gentime(w, invalidity_date);
			egca_der_end(w);
			egca_der_end(w);
		}
		egca_der_end(w);
	}
	egca_der_end(w);
	if ((e = w->err) != EGCA_OK) {
		/* A bad time or the size limit: the builder is spent. */
		b->buf.len = mark;
		w->depth = depth;
		b->state = ST_DONE;
		return e;
	}
	b->count++;
	return EGCA_OK;
}

size_t
egca_pki_crl_builder_count(const struct egca_crl_builder *b)
{
	return b->count;
}

static void
put_ext_int(struct egca_der_w *w, const struct egca_der_oid *oid, int critical,
    int64_t v)
{
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_put_oid(w, oid);
	if (critical)
		egca_der_put_bool(w, 1);
	egca_der_begin(w, DER_OCTET_STRING);
	egca_der_put_small_int(w, v);
	egca_der_end(w);
	egca_der_end(w);
}

enum egca_err
egca_pki_crl_builder_tbs(
    struct egca_crl_builder *b, const uint8_t **tbs, size_t *tbs_len)
{
	struct egca_der_w *w = &b->w;
	enum egca_err e;

	*tbs = NULL;
	*tbs_len = 0;
	if (b->state != ST_ENTRIES)
		return egca_err_set(EGCA_ERR_STATE, "CRL: TBS already closed");
	if (b->list_open)
		egca_der_end(w);
	egca_der_begin(w, DER_CTX_CONS(0));
	egca_der_begin(w, DER_SEQUENCE);
	if (b->ski_len > 0) {
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_put_oid(w, &egca_oid_ext_aki);
		egca_der_begin(w, DER_OCTET_STRING);
		egca_der_begin(w, DER_SEQUENCE);
		egca_der_put_tlv(w, DER_CTX(0), b->ski, b->ski_len);
		egca_der_end(w);
		egca_der_end(w);
		egca_der_end(w);
	}
	put_ext_int(w, &oid_crl_number, 0, b->number);
	if (b->base_number > 0)
		put_ext_int(w, &oid_delta_crl_indicator, 1, b->base_number);
	egca_der_end(w);
	egca_der_end(w);
	egca_der_end(w); /* TBSCertList */
	if ((e = egca_der_w_finish(w)) != EGCA_OK) {
		b->state = ST_DONE;
		return e;
	}
	b->state = ST_TBS;
	*tbs = b->buf.data + HEAD_ROOM;
	*tbs_len = b->buf.len - HEAD_ROOM;
	return EGCA_OK;
}

enum egca_err
egca_pki_crl_builder_finish(struct egca_crl_builder *b, const uint8_t *sig,
    size_t sig_len, uint8_t **der, size_t *der_len)
{
	struct egca_der_w w;
	const uint8_t *alg;
	uint8_t head[HEAD_ROOM];
	size_t alg_len, body, h, skip, v;
	enum egca_err e;

	*der = NULL;
	*der_len = 0;
	if (b->state != ST_TBS)
		return egca_err_set(
		    EGCA_ERR_STATE, "CRL: finish without a closed TBS");
	if (sig == NULL || sig_len == 0)
		return egca_err_set(EGCA_ERR_INPUT, "CRL: no signature");
	b->state = ST_DONE;
	alg = egca_crypto_sig_alg_der(b->sig_alg, &alg_len);
	egca_der_w_init(&w, &b->buf);
	egca_der_put_raw(&w, alg, alg_len);
	egca_der_put_bitstring(&w, 0, sig, sig_len);
	if ((e = egca_der_w_finish(&w)) != EGCA_OK)
		return e;
	/* The outer SEQUENCE header, right-aligned in the head room. */
	body = b->buf.len - HEAD_ROOM;
	head[0] = DER_SEQUENCE;
	if (body < 0x80) {
		head[1] = (uint8_t)body;
		h = 2;
	} else {
		for (h = 0, v = body; v > 0; v >>= 8)
			h++;
		if (h > 4)
			return egca_err_set(EGCA_ERR_NOMEM,
			    "CRL: %zu octets is too large", body);
		head[1] = (uint8_t)(0x80 | h);
		for (v = 0; v < h; v++)
			head[2 + v] = (uint8_t)(body >> (8 * (h - 1 - v)));
		h += 2;
	}
	skip = HEAD_ROOM - h;
	memcpy(b->buf.data + skip, head, h);
	if (skip > 0) {
		memmove(b->buf.data, b->buf.data + skip, b->buf.len - skip);
		b->buf.len -= skip;
		b->buf.data[b->buf.len] = '\0';
	}
	*der = egca_buf_take(&b->buf, der_len);
	return EGCA_OK;
}
