/*
 * The SM2 audit key and signed checkpoints of the audit chain's head
 * (include/egca/audit.h). A checkpoint is not itself an audit event:
 * recording one as an event would move the head it signs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "egca/audit.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/log.h"
#include "egca/pki.h"

#define TAG "egca-audit-checkpoint"

enum egca_err
egca_audit_key_id(const uint8_t *spki, size_t spki_len, char out[65])
{
	uint8_t h[32];
	enum egca_err e;

	if ((e = egca_crypto_sm3(spki, spki_len, h)) != EGCA_OK)
		return e;
	egca_hex_encode(h, sizeof(h), out);
	return EGCA_OK;
}

enum egca_err
egca_audit_checkpoint_tbs(
    int64_t seq, const char *head_hash_hex, int64_t ts, struct egca_buf *out)
{
	uint8_t b[4 + sizeof(TAG) - 1 + 8 + 32 + 8], *p = b;
	size_t n = sizeof(TAG) - 1, hl = 0;
	int i;

	if (seq <= 0 || head_hash_hex == NULL ||
	    egca_hex_decode(head_hash_hex, b + 4 + n + 8, 32, &hl) != EGCA_OK ||
	    hl != 32)
		return egca_err_set(EGCA_ERR_INTEGRITY,
		    "audit checkpoint: seq or head hash malformed");
	*p++ = (uint8_t)(n >> 24);
	*p++ = (uint8_t)(n >> 16);
	*p++ = (uint8_t)(n >> 8);
	*p++ = (uint8_t)n;
	memcpy(p, TAG, n);
	p += n;
	for (i = 7; i >= 0; i--)
		*p++ = (uint8_t)((uint64_t)seq >> (8 * i));
	p += 32; /* the head, decoded in place above */
	for (i = 7; i >= 0; i--)
		*p++ = (uint8_t)((uint64_t)ts >> (8 * i));
	return egca_buf_append(out, b, sizeof(b));
}

static enum egca_err
paths(const char *keys_dir, char **key, char **pub)
{
	*key = egca_file_join(keys_dir, EGCA_AUDIT_KEY_FILE);
	*pub = egca_file_join(keys_dir, EGCA_AUDIT_PUB_FILE);
	if (*key == NULL || *pub == NULL) {
		free(*key);
		free(*pub);
		*key = *pub = NULL;
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	return EGCA_OK;
}

struct create_arg {
	const struct egca_audit_key_rec *rec;
	const char *actor;
};

static enum egca_err
create_tx(struct egca_store *st, void *arg)
{
	struct create_arg *a = arg;
	struct egca_audit_event ev;
	char object[96], details[128];
	enum egca_err e;

	if ((e = egca_store_audit_key_insert(st, a->rec)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "audit-key/%.16s", a->rec->id);
	snprintf(details, sizeof(details),
	    "{\"key_id\":\"%s\",\"alg\":\"sm2\"}", a->rec->id);
	ev.actor = a->actor;
	ev.action = "audit.key.create";
	ev.object = object;
	ev.outcome = "success";
	ev.details = details;
	return egca_audit_append(st, &ev);
}

enum egca_err
egca_audit_key_create(struct egca_store *st, const char *keys_dir,
    const char *actor, const char *pass, size_t pass_len, char key_id[65])
{
	struct egca_signer *sg = NULL;
	struct egca_audit_key_rec rec;
	struct create_arg a;
	struct egca_buf pem;
	const uint8_t *spki;
	char *key = NULL, *pub = NULL, id[65];
	size_t spki_len;
	int wrote = 0;
	enum egca_err e;

	egca_buf_init(&pem, 4096);
	if ((e = paths(keys_dir, &key, &pub)) != EGCA_OK)
		return e;
	if (egca_file_exists(key)) {
		e = egca_err_set(EGCA_ERR_EXISTS,
		    "%s exists: this data directory has an audit key already",
		    key);
		goto out;
	}
	if ((e = egca_file_mkdirs(keys_dir, 0700)) != EGCA_OK ||
	    (e = egca_signer_generate(EGCA_KEY_SM2, 0, EGCA_SIGN_AUDIT, &sg)) !=
	        EGCA_OK)
		goto out;
	spki = egca_signer_get0_spki(sg, &spki_len);
	if ((e = egca_audit_key_id(spki, spki_len, id)) != EGCA_OK ||
	    (e = egca_pki_pem_encode(spki, spki_len, "PUBLIC KEY", &pem)) !=
	        EGCA_OK)
		goto out;
	wrote = 1;
	if ((e = egca_signer_save(sg, key, pass, pass_len)) != EGCA_OK ||
	    (e = egca_file_write_atomic(pub, pem.data, pem.len, 0644)) !=
	        EGCA_OK)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.id = id;
	rec.spki_der = (uint8_t *)(uintptr_t)spki;
	rec.spki_der_len = spki_len;
	rec.created_at = (int64_t)time(NULL);
	a.rec = &rec;
	a.actor = actor;
	if ((e = egca_store_tx(st, create_tx, &a)) != EGCA_OK)
		goto out;
	if (key_id != NULL)
		memcpy(key_id, id, sizeof(id));
	egca_log_info("event=audit_key_create key_id=%s", id);
out:
	if (e != EGCA_OK && wrote) {
		/* No key on disk that the store does not know. */
		unlink(key);
		unlink(pub);
	}
	egca_signer_free(sg);
	egca_buf_free(&pem);
	free(key);
	free(pub);
	return e;
}

enum egca_err
egca_audit_key_open(const char *keys_dir, const char *pass, size_t pass_len,
    struct egca_signer **out)
{
	char *key = NULL, *pub = NULL;
	enum egca_err e;

	*out = NULL;
	if ((e = paths(keys_dir, &key, &pub)) != EGCA_OK)
		return e;
	if (!egca_file_exists(key))
		e = egca_err_set(EGCA_ERR_NOTFOUND,
		    "%s: no audit key (create one with 'egca audit key "
		    "create')",
		    key);
	else
		e = egca_signer_open_file(
		    key, pass, pass_len, EGCA_SIGN_AUDIT, out);
	if (e == EGCA_OK && egca_signer_key_alg(*out) != EGCA_KEY_SM2) {
		egca_signer_free(*out);
		*out = NULL;
		e = egca_err_set(
		    EGCA_ERR_POLICY, "%s: the audit key must be SM2", key);
	}
	free(key);
	free(pub);
	return e;
}

enum egca_err
egca_audit_pubkey_load(const char *path, uint8_t **spki, size_t *spki_len)
{
	struct egca_der_list l = {0};
	uint8_t *data = NULL;
	EVP_PKEY *pk = NULL;
	size_t len;
	enum egca_err e;

	*spki = NULL;
	*spki_len = 0;
	if ((e = egca_file_read(path, 64 << 10, &data, &len)) != EGCA_OK)
		return e;
	if ((e = egca_pki_pem_decode(data, len, "PUBLIC KEY", &l)) != EGCA_OK ||
	    l.n != 1) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "%s: expected one PEM PUBLIC KEY block", path);
		goto out;
	}
	/* Decoded once to refuse anything but a well-formed SM2 key. */
	if ((e = egca_crypto_spki_decode(l.der[0], l.len[0], &pk)) != EGCA_OK)
		goto out;
	if (egca_crypto_sig_alg_for_key(pk) != EGCA_SIG_SM2_SM3) {
		e = egca_err_set(EGCA_ERR_INPUT,
		    "%s: the audit key is not an SM2 key", path);
		goto out;
	}
	*spki = l.der[0];
	*spki_len = l.len[0];
	l.der[0] = NULL;
out:
	EVP_PKEY_free(pk);
	egca_der_list_free(&l);
	free(data);
	return e;
}

struct cp_arg {
	struct egca_signer *key;
	int64_t now;
	int64_t seq;
};

static enum egca_err
checkpoint_tx(struct egca_store *st, void *arg)
{
	struct cp_arg *a = arg;
	struct egca_audit_checkpoint_rec c, last;
	struct egca_audit_key_rec kr;
	struct egca_buf tbs;
	const uint8_t *spki;
	uint8_t sig[160];
	char head[65], id[65];
	size_t spki_len, sig_len = sizeof(sig);
	enum egca_err e;

	a->seq = 0;
	if ((e = egca_store_audit_last(st, &c.seq, head)) != EGCA_OK)
		return e;
	if (c.seq == 0)
		return EGCA_OK;
	e = egca_store_audit_checkpoint_last(st, &last);
	if (e == EGCA_OK) {
		int64_t s = last.seq;
		egca_store_audit_checkpoint_rec_free(&last);
		if (s >= c.seq) { /* this head is signed already */
			a->seq = c.seq;
			return EGCA_OK;
		}
	} else if (e != EGCA_ERR_NOTFOUND)
		return e;
	spki = egca_signer_get0_spki(a->key, &spki_len);
	if ((e = egca_audit_key_id(spki, spki_len, id)) != EGCA_OK)
		return e;
	if ((e = egca_store_audit_key_get(st, id, &kr)) != EGCA_OK) {
		if (e == EGCA_ERR_NOTFOUND)
			e = egca_err_set(EGCA_ERR_STATE,
			    "audit key %.16s... is not registered in this "
			    "store: create the audit key with 'egca audit key "
			    "create'",
			    id);
		return e;
	}
	egca_store_audit_key_rec_free(&kr);
	if (egca_signer_sig_max(a->key) > sizeof(sig))
		return egca_err_set(
		    EGCA_ERR_INTERNAL, "audit checkpoint: signature too large");
	egca_buf_init(&tbs, 256);
	e = egca_audit_checkpoint_tbs(c.seq, head, a->now, &tbs);
	if (e == EGCA_OK)
		e = egca_signer_sign(
		    a->key, EGCA_SIGN_AUDIT, tbs.data, tbs.len, sig, &sig_len);
	egca_buf_free(&tbs);
	if (e != EGCA_OK)
		return e;
	c.head_hash = head;
	c.ts = a->now;
	c.key_id = id;
	c.signature = sig;
	c.signature_len = sig_len;
	/* Another node signed this head meanwhile: retry, which finds it. */
	if ((e = egca_store_audit_checkpoint_insert(st, &c)) == EGCA_ERR_EXISTS)
		return egca_err_set(EGCA_ERR_CONFLICT, "%s", egca_err_detail());
	if (e != EGCA_OK)
		return e;
	a->seq = c.seq;
	return EGCA_OK;
}

enum egca_err
egca_audit_checkpoint(
    struct egca_store *st, struct egca_signer *key, int64_t now, int64_t *seq)
{
	struct cp_arg a = {key, now, 0};
	enum egca_err e;

	*seq = 0;
	if (egca_signer_key_alg(key) != EGCA_KEY_SM2)
		return egca_err_set(
		    EGCA_ERR_POLICY, "audit checkpoint: the key must be SM2");
	if ((e = egca_store_tx(st, checkpoint_tx, &a)) != EGCA_OK)
		return e;
	*seq = a.seq;
	return EGCA_OK;
}

enum egca_err
egca_audit_checkpoint_lag(
    struct egca_store *st, int64_t *events, int64_t *last_at)
{
	struct egca_audit_checkpoint_rec c;
	char head[65];
	int64_t seq;
	enum egca_err e;

	*events = 0;
	*last_at = 0;
	if ((e = egca_store_audit_last(st, &seq, head)) != EGCA_OK)
		return e;
	e = egca_store_audit_checkpoint_last(st, &c);
	if (e == EGCA_ERR_NOTFOUND) {
		*events = seq;
		return EGCA_OK;
	}
	if (e != EGCA_OK)
		return e;
	*events = seq > c.seq ? seq - c.seq : 0;
	*last_at = c.ts;
	egca_store_audit_checkpoint_rec_free(&c);
	return EGCA_OK;
}

struct egca_audit_ticker {
	char *uri;
	struct egca_store *st; /* opened on first use, reopened on error */
	struct egca_signer *key;
	int64_t every_events;
	int64_t every_seconds;
	int64_t next_check;
	int failing; /* log a failure once, then its recovery */
};

enum egca_err
egca_audit_ticker_new(const char *store_uri, struct egca_signer *key,
    int every_events, int every_minutes, struct egca_audit_ticker **out)
{
	struct egca_audit_ticker *t;

	*out = NULL;
	if (every_events < 1 || every_minutes < 1) {
		egca_signer_free(key);
		return egca_err_set(EGCA_ERR_INPUT,
		    "audit: checkpoint_events and checkpoint_minutes must be "
		    "at least 1");
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->uri = strdup(store_uri)) == NULL) {
		free(t);
		egca_signer_free(key);
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	}
	t->key = key;
	t->every_events = every_events;
	t->every_seconds = (int64_t)every_minutes * 60;
	*out = t;
	return EGCA_OK;
}

static enum egca_err
ticker_run(struct egca_audit_ticker *t, int64_t now, int64_t *seq)
{
	int64_t events, last_at;
	enum egca_err e;

	*seq = 0;
	if (t->st == NULL &&
	    (e = egca_store_open(t->uri, 0, &t->st)) != EGCA_OK)
		return e;
	if ((e = egca_audit_checkpoint_lag(t->st, &events, &last_at)) !=
	    EGCA_OK)
		return e;
	if (events == 0 ||
	    (last_at != 0 && events < t->every_events &&
	        now - last_at < t->every_seconds))
		return EGCA_OK;
	return egca_audit_checkpoint(t->st, t->key, now, seq);
}

void
egca_audit_ticker_tick(struct egca_audit_ticker *t, int64_t now)
{
	int64_t seq;
	enum egca_err e;

	if (t == NULL || now < t->next_check)
		return;
	e = ticker_run(t, now, &seq);
	if (e == EGCA_OK) {
		if (t->failing)
			egca_log_info("event=audit_checkpoint_recovered");
		t->failing = 0;
		if (seq != 0)
			egca_log_info(
			    "event=audit_checkpoint seq=%lld", (long long)seq);
		return;
	}
	if (!t->failing)
		egca_log_err("event=audit_checkpoint_failed err=%s "
		             "detail=\"%s\"",
		    egca_err_name(e), egca_err_detail());
	t->failing = 1;
	/* A broken connection is opened afresh; retry in 10 s. */
	egca_store_close(t->st);
	t->st = NULL;
	t->next_check = now + 10;
}

void
egca_audit_ticker_free(struct egca_audit_ticker *t)
{
	if (t == NULL)
		return;
	egca_store_close(t->st);
	egca_signer_free(t->key);
	free(t->uri);
	free(t);
}
