/* SM3-chained audit events (include/egca/audit.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "egca/audit.h"
#include "egca/buf.h"
#include "egca/crypto.h"
#include "audit/audit_int.h"

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

/*
 * No change without its audit record: whatever kept the event from
 * being written becomes EGCA_ERR_STORE, so the caller's transaction
 * rolls back and HTTP answers 503. Conflicts stay conflicts (retried by
 * egca_store_tx), and so does a seq taken by a concurrent writer: the
 * retry reads the new head.
 */
static enum egca_err
write_failed(enum egca_err e)
{
	char why[200];

	if (e == EGCA_OK || e == EGCA_ERR_CONFLICT)
		return e;
	if (e == EGCA_ERR_EXISTS)
		return egca_err_set(EGCA_ERR_CONFLICT, "audit: %s (retrying)",
		    egca_err_detail());
	snprintf(why, sizeof(why), "%s", egca_err_detail());
	return egca_err_set(
	    EGCA_ERR_STORE, "audit record could not be written (%s)", why);
}

enum egca_err
egca_audit_append(struct egca_store *st, const struct egca_audit_event *ev)
{
	struct egca_audit_rec r;
	char prev[65], hash[65];
	int64_t seq;
	enum egca_err e;

	if ((e = egca_store_audit_last(st, &seq, prev)) != EGCA_OK)
		return write_failed(e);
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
		return write_failed(e);
	r.hash = hash;
	return write_failed(egca_store_audit_insert(st, &r));
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

struct cp_walk {
	struct egca_store *st;
	struct egca_audit_report *rep;
	EVP_PKEY *pub;
	int64_t n; /* checkpoints seen */
	/* The newest checkpoint past the log's end (0: none). */
	int64_t beyond_n, beyond_seq, beyond_ts;
	enum egca_err err;
};

static int
cp_bad(struct cp_walk *w, int64_t first_bad, int64_t bad_seq,
    const struct egca_audit_checkpoint_rec *c)
{
	struct egca_audit_report *rep = w->rep;

	rep->first_bad = first_bad;
	rep->bad_seq = bad_seq;
	rep->bad_checkpoint = c->seq;
	w->err = EGCA_ERR_INTEGRITY;
	return 1;
}

static int
check_checkpoint(const struct egca_audit_checkpoint_rec *c, void *arg)
{
	struct cp_walk *w = arg;
	struct egca_audit_report *rep = w->rep;
	struct egca_buf tbs;
	char at[32], hash[65];
	enum egca_err e;

	w->n++;
	egca_audit_time(c->ts, at);
	/* Signatures first: a forged checkpoint is reported as forged. */
	if (w->pub != NULL) {
		if (strcmp(c->key_id ? c->key_id : "", rep->key_id) != 0) {
			snprintf(rep->reason, sizeof(rep->reason),
			    "checkpoint at seq %lld (signed %s) names key "
			    "%.16s..., not the audit key %.16s...",
			    (long long)c->seq, at, c->key_id ? c->key_id : "",
			    rep->key_id);
			return cp_bad(w, 0, 0, c);
		}
		egca_buf_init(&tbs, 256);
		e = egca_audit_checkpoint_tbs(
		    c->seq, c->head_hash, c->ts, &tbs);
		if (e == EGCA_OK)
			e = egca_crypto_verify_tbs(w->pub, EGCA_SIG_SM2_SM3,
			    tbs.data, tbs.len, c->signature, c->signature_len);
		egca_buf_free(&tbs);
		if (e != EGCA_OK) {
			snprintf(rep->reason, sizeof(rep->reason),
			    "checkpoint at seq %lld (signed %s): signature "
			    "does not verify under the audit key",
			    (long long)c->seq, at);
			return cp_bad(w, 0, 0, c);
		}
	}
	if (c->seq > rep->head_seq) {
		/* Past the end: reported once the newest one is known. */
		w->beyond_n = w->n;
		w->beyond_seq = c->seq;
		w->beyond_ts = c->ts;
		return 0;
	}
	if ((e = egca_store_audit_hash_at(w->st, c->seq, hash)) != EGCA_OK) {
		if (e != EGCA_ERR_NOTFOUND) {
			w->err = e;
			return 1;
		}
		hash[0] = '\0';
	}
	if (strcmp(hash, c->head_hash ? c->head_hash : "") != 0) {
		snprintf(rep->reason, sizeof(rep->reason),
		    "event seq %lld does not have the hash signed in its "
		    "checkpoint (%s): the log was rewritten at or before "
		    "seq %lld",
		    (long long)c->seq, at, (long long)c->seq);
		return cp_bad(w, c->seq, c->seq, c);
	}
	rep->checkpoints++;
	rep->last_checkpoint = c->seq;
	rep->last_checkpoint_at = c->ts;
	return 0;
}

/* Compares the audit_key table with the given key: a warning only. */
static enum egca_err
key_note(struct egca_store *st, const uint8_t *spki, size_t spki_len,
    struct egca_audit_report *rep)
{
	struct egca_audit_key_rec *keys = NULL;
	size_t n = 0, i, same = 0;
	enum egca_err e;

	if ((e = egca_store_audit_key_list(st, &keys, &n)) != EGCA_OK)
		return e;
	for (i = 0; i < n; i++)
		if (keys[i].spki_der_len == spki_len &&
		    memcmp(keys[i].spki_der, spki, spki_len) == 0)
			same++;
	if (same == 0)
		snprintf(rep->key_note, sizeof(rep->key_note),
		    "the audit key %.16s... is not the one registered in the "
		    "store (%zu key%s registered)",
		    rep->key_id, n, n == 1 ? "" : "s");
	else if (n > same)
		snprintf(rep->key_note, sizeof(rep->key_note),
		    "the store registers %zu other audit key%s besides "
		    "%.16s...",
		    n - same, n - same == 1 ? "" : "s", rep->key_id);
	egca_store_audit_key_list_free(keys, n);
	return EGCA_OK;
}

enum egca_err
egca_audit_verify(struct egca_store *st, const uint8_t *pub_spki,
    size_t pub_spki_len, struct egca_audit_report *report)
{
	struct walk w = {report, EGCA_OK};
	struct cp_walk cw;
	enum egca_err e;

	memset(report, 0, sizeof(*report));
	if ((e = egca_store_audit_each(st, 0, check_one, &w)) != EGCA_OK)
		return e;
	if (w.err != EGCA_OK)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "audit chain broken at position %lld (seq %lld): %s",
		    (long long)report->first_bad, (long long)report->bad_seq,
		    report->reason);
	memset(&cw, 0, sizeof(cw));
	cw.st = st;
	cw.rep = report;
	if (pub_spki != NULL) {
		if ((e = egca_audit_key_id(
		         pub_spki, pub_spki_len, report->key_id)) != EGCA_OK ||
		    (e = egca_crypto_spki_decode(
		         pub_spki, pub_spki_len, &cw.pub)) != EGCA_OK)
			return e;
		report->signatures_checked = 1;
		if ((e = key_note(st, pub_spki, pub_spki_len, report)) !=
		    EGCA_OK)
			goto out;
	}
	if ((e = egca_store_audit_checkpoint_each(st, check_checkpoint, &cw)) !=
	    EGCA_OK)
		goto out;
	if (cw.err == EGCA_OK && cw.beyond_seq != 0) {
		struct egca_audit_checkpoint_rec c;
		char at[32];

		egca_audit_time(cw.beyond_ts, at);
		snprintf(report->reason, sizeof(report->reason),
		    "log ends at seq %lld but checkpoint %lld (signed %s) "
		    "covers seq %lld: events were removed from the tail",
		    (long long)report->head_seq, (long long)cw.beyond_n, at,
		    (long long)cw.beyond_seq);
		memset(&c, 0, sizeof(c));
		c.seq = cw.beyond_seq;
		cp_bad(&cw, report->events + 1, report->head_seq + 1, &c);
	}
	if ((e = cw.err) == EGCA_ERR_INTEGRITY)
		e = egca_err_set(
		    EGCA_ERR_INTEGRITY, "audit log: %s", report->reason);
out:
	EVP_PKEY_free(cw.pub);
	return e;
}

char *
egca_audit_details(const char *fmt, ...)
{
	va_list ap;
	json_t *j;
	char *s;

	va_start(ap, fmt);
	j = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}
