/* SM3-chained audit events (include/egca/audit.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "egca/audit.h"
#include "egca/buf.h"
#include "egca/crypto.h"

static enum egca_err
put_u64(struct egca_buf *b, uint64_t v)
{
	uint8_t o[8];
	int i;

	for (i = 7; i >= 0; i--) {
		o[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
	return egca_buf_append(b, o, sizeof(o));
}

static enum egca_err
put_str(struct egca_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t o[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n};
	enum egca_err e;

	if ((e = egca_buf_append(b, o, 4)) != EGCA_OK)
		return e;
	return egca_buf_append(b, s ? s : "", n);
}

enum egca_err
egca_audit_hash(
    const struct egca_audit_rec *r, const char *prev_hash_hex, char out_hex[65])
{
	struct egca_buf b;
	uint8_t prev[32] = {0}, h[32];
	size_t plen = 0;
	enum egca_err e;

	if (prev_hash_hex[0] != '\0') {
		if (egca_hex_decode(prev_hash_hex, prev, sizeof(prev), &plen) !=
		        EGCA_OK ||
		    plen != 32)
			return egca_err_set(EGCA_ERR_INTEGRITY,
			    "audit: previous hash is not 32 bytes of hex");
	}
	egca_buf_init(&b, 1 << 20);
	if ((e = egca_buf_append(&b, prev, sizeof(prev))) != EGCA_OK ||
	    (e = put_u64(&b, (uint64_t)r->seq)) != EGCA_OK ||
	    (e = put_u64(&b, (uint64_t)r->ts)) != EGCA_OK ||
	    (e = put_str(&b, r->actor)) != EGCA_OK ||
	    (e = put_str(&b, r->action)) != EGCA_OK ||
	    (e = put_str(&b, r->object)) != EGCA_OK ||
	    (e = put_str(&b, r->outcome)) != EGCA_OK ||
	    (e = put_str(&b, r->details)) != EGCA_OK)
		goto out;
	if ((e = egca_crypto_sm3(b.data, b.len, h)) != EGCA_OK)
		goto out;
	egca_hex_encode(h, sizeof(h), out_hex);
out:
	egca_buf_free(&b);
	return e;
}

enum egca_err
egca_audit_append(struct egca_store *st, const struct egca_audit_event *ev)
{
	struct egca_audit_rec r;
	char prev[65], hash[65];
	int64_t seq;
	enum egca_err e;

	if ((e = egca_store_audit_last(st, &seq, prev)) != EGCA_OK)
		return e;
	memset(&r, 0, sizeof(r));
	r.seq = seq + 1;
	r.ts = (int64_t)time(NULL);
	r.actor = (char *)(uintptr_t)ev->actor;
	r.action = (char *)(uintptr_t)ev->action;
	r.object = (char *)(uintptr_t)ev->object;
	r.outcome = (char *)(uintptr_t)ev->outcome;
	r.details = (char *)(uintptr_t)(ev->details ? ev->details : "{}");
	r.prev_hash = prev;
	if ((e = egca_audit_hash(&r, prev, hash)) != EGCA_OK)
		return e;
	r.hash = hash;
	return egca_store_audit_insert(st, &r);
}

static enum egca_err
record_tx(struct egca_store *st, void *arg)
{
	return egca_audit_append(st, arg);
}

enum egca_err
egca_audit_record(struct egca_store *st, const struct egca_audit_event *ev)
{
	return egca_store_tx(st, record_tx, (void *)(uintptr_t)ev);
}

struct walk {
	struct egca_audit_report *rep;
	enum egca_err err;
};

static int
check_one(const struct egca_audit_rec *r, void *arg)
{
	struct walk *w = arg;
	struct egca_audit_report *rep = w->rep;
	char hash[65];
	int64_t pos = rep->events + 1;

	if (r->seq != rep->head_seq + 1) {
		snprintf(rep->reason, sizeof(rep->reason),
		    "sequence break: expected seq %lld, found %lld",
		    (long long)(rep->head_seq + 1), (long long)r->seq);
		goto bad;
	}
	if (strcmp(r->prev_hash ? r->prev_hash : "", rep->head_hash) != 0) {
		snprintf(rep->reason, sizeof(rep->reason),
		    "previous-hash link does not match event %lld",
		    (long long)rep->head_seq);
		goto bad;
	}
	if ((w->err = egca_audit_hash(r, rep->head_hash, hash)) != EGCA_OK) {
		snprintf(
		    rep->reason, sizeof(rep->reason), "%s", egca_err_detail());
		goto bad;
	}
	if (strcmp(hash, r->hash ? r->hash : "") != 0) {
		snprintf(rep->reason, sizeof(rep->reason),
		    "content does not match its SM3 hash");
		goto bad;
	}
	rep->events = pos;
	rep->head_seq = r->seq;
	memcpy(rep->head_hash, hash, sizeof(hash));
	return 0;
bad:
	rep->first_bad = pos;
	rep->bad_seq = r->seq;
	w->err = EGCA_ERR_INTEGRITY;
	return 1;
}

enum egca_err
egca_audit_verify(struct egca_store *st, struct egca_audit_report *report)
{
	struct walk w = {report, EGCA_OK};
	enum egca_err e;

	memset(report, 0, sizeof(*report));
	if ((e = egca_store_audit_each(st, 0, check_one, &w)) != EGCA_OK)
		return e;
	if (w.err != EGCA_OK)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "audit chain broken at position %lld (seq %lld): %s",
		    (long long)report->first_bad, (long long)report->bad_seq,
		    report->reason);
	return EGCA_OK;
}
