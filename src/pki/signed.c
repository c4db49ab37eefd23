/*
 * The outer shape of signed objects (src/pki/signed.h): a small bounded
 * DER cursor, so signatures are verified over the TBS octets exactly as
 * received. Re-encoding through OpenSSL (i2d_re_X509_tbs) can differ
 * from what the issuer signed when the input is not strictly DER.
 */
#include <string.h>

#include "pki/signed.h"

int
egca_pki_tlv_get(const uint8_t *p, size_t avail, struct egca_tlv *t)
{
	size_t hdr, len, n, i;

	if (p == NULL || avail < 2)
		return -1;
	/* Low-tag-number form only: X.509 never needs tags >= 31. */
	if ((p[0] & 0x1f) == 0x1f)
		return -1;
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else {
		n = p[1] & 0x7f;
		/* 0x80 is BER's indefinite length; DER forbids it. */
		if (n == 0 || n > sizeof(size_t) || n > avail - 2)
			return -1;
		/* Minimal: no leading zero octet, long form only >= 128. */
		if (p[2] == 0)
			return -1;
		len = 0;
		for (i = 0; i < n; i++)
			len = (len << 8) | p[2 + i];
		if (len < 0x80)
			return -1;
		hdr = 2 + n;
	}
	if (len > avail - hdr)
		return -1;
	t->tag = p[0];
	t->start = p;
	t->val = p + hdr;
	t->len = len;
	t->total = hdr + len;
	return 0;
}

int
egca_pki_signed_split(const uint8_t *der, size_t len, struct egca_signed *s)
{
	struct egca_tlv outer, tbs, alg, sig;
	const uint8_t *p, *end;

	memset(s, 0, sizeof(*s));
	if (egca_pki_tlv_get(der, len, &outer) != 0 ||
	    outer.tag != EGCA_TLV_SEQUENCE || outer.total != len)
		return -1;
	p = outer.val;
	end = outer.val + outer.len;
	if (egca_pki_tlv_get(p, (size_t)(end - p), &tbs) != 0 ||
	    tbs.tag != EGCA_TLV_SEQUENCE)
		return -1;
	p += tbs.total;
	if (egca_pki_tlv_get(p, (size_t)(end - p), &alg) != 0 ||
	    alg.tag != EGCA_TLV_SEQUENCE)
		return -1;
	p += alg.total;
	if (egca_pki_tlv_get(p, (size_t)(end - p), &sig) != 0 ||
	    sig.tag != EGCA_TLV_BIT_STRING)
		return -1;
	p += sig.total;
	/* Nothing after the signature; no unused bits in it. */
	if (p != end || sig.len < 2 || sig.val[0] != 0)
		return -1;
	s->tbs = tbs.start;
	s->tbs_len = tbs.total;
	s->alg = alg.start;
	s->alg_len = alg.total;
	s->sig = sig.val + 1;
	s->sig_len = sig.len - 1;
	return 0;
}
