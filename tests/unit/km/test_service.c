/*
 * The KM service end to end in one process: a KM made by the ceremony,
 * unsealing (a wrong share, a share of another KM, a duplicate, fewer
 * than M), sealed refusal, key application / restore / revoke through
 * egca_km_handle and the in-process client, and every bad message of
 * reliability scenario A6 (unsigned, signed by a wrong key, an
 * untrusted or revoked or expired CA, a replayed task number, a stale
 * or future time, an altered byte, malformed items): each refused with
 * the right errNO, audited on the KM's chain, and no key generated or
 * released. Escrow leaves no private scalar in the database file.
 * Judicial recovery: roles, the requester may not approve, the digest,
 * the quorum, sealed refusal, and the released envelope opens with the
 * authority's key to the escrowed key.
 *
 * SQLite always; PostgreSQL too when EGCA_PG_URI is set.
 */
#include <ctype.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "egca/audit.h"
#include "km_fixture.h"
#include "pki/der.h"
#include "store/store_test.h"

static const char *pg_uri; /* NULL while the SQLite group runs */
static int group;          /* makes directory names unique per group */

static struct fx_km K, K2; /* K2: another KM, for foreign shares */
static struct egca_km *km;
static struct egca_store *st; /* a connection to K's store, for reads */
static struct fx_ca ca, other;
static struct egca_principal sec, off1, off2, off3, aud;

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* ---- reading the store ---- */

static size_t
key_count(void)
{
	struct egca_km_key_rec *l = NULL;
	size_t n = 0;

	assert_int_equal(
	    egca_store_km_key_list(st, NULL, 10000, 0, &l, &n), EGCA_OK);
	egca_store_km_key_list_free(l, n);
	return n;
}

static int64_t
audit_seq(void)
{
	int64_t seq;
	char hash[65];

	assert_int_equal(egca_store_audit_last(st, &seq, hash), EGCA_OK);
	return seq;
}

struct last_event {
	char action[64];
	char outcome[16];
	char details[1024];
};

static int
last_row(const struct egca_audit_rec *r, void *arg)
{
	struct last_event *e = arg;

	snprintf(e->action, sizeof(e->action), "%s", r->action);
	snprintf(e->outcome, sizeof(e->outcome), "%s", r->outcome);
	snprintf(e->details, sizeof(e->details), "%s", r->details);
	return 0;
}

/* The newest audit event. */
static void
last_event(struct last_event *e)
{
	struct egca_store_audit_query q;

	memset(e, 0, sizeof(*e));
	memset(&q, 0, sizeof(q));
	q.after_seq = audit_seq() - 1;
	assert_int_equal(egca_store_audit_find(st, &q, last_row, e), EGCA_OK);
}

/* Exactly one new event since seq: action and outcome as given. */
static void
audited(int64_t seq, const char *action, const char *outcome)
{
	struct last_event e;

	assert_int_equal(audit_seq(), seq + 1);
	last_event(&e);
	assert_string_equal(e.action, action);
	assert_string_equal(e.outcome, outcome);
}

/* ---- building requests ---- */

struct holder {
	EVP_PKEY *key;
	uint8_t *spki;
	size_t spki_len;
};

static void
holder_new(struct holder *h, enum egca_key_alg alg)
{
	assert_int_equal(egca_crypto_key_generate(alg, 0, &h->key), EGCA_OK);
	assert_int_equal(
	    egca_crypto_spki_encode(h->key, &h->spki, &h->spki_len), EGCA_OK);
}

static void
holder_free(struct holder *h)
{
	EVP_PKEY_free(h->key);
	free(h->spki);
}

struct msg {
	int64_t time; /* 0: now */
	uint8_t task[16];
	const struct fx_ca *as;     /* EntName from as->cert */
	struct egca_signer *signer; /* NULL: as->signer */
	size_t n;
	struct egca_km_req_item items[EGCA_KM_ITEMS_MAX];
	uint8_t no[EGCA_KM_ITEMS_MAX][4];
};

static void
msg_init(struct msg *m, const struct fx_ca *as)
{
	memset(m, 0, sizeof(*m));
	m->as = as;
	assert_int_equal(egca_crypto_rand(m->task, sizeof(m->task)), EGCA_OK);
	m->task[0] |= 0x40;
}

static void
msg_item(struct msg *m, enum egca_km_req_kind kind, uint32_t cert_no,
    const struct holder *h)
{
	struct egca_km_req_item *it = &m->items[m->n];

	m->no[m->n][0] = (uint8_t)(cert_no >> 24 | 0x01);
	m->no[m->n][1] = (uint8_t)(cert_no >> 16);
	m->no[m->n][2] = (uint8_t)(cert_no >> 8);
	m->no[m->n][3] = (uint8_t)cert_no;
	it->kind = kind;
	it->cert_no = m->no[m->n];
	it->cert_no_len = 4;
	if (h != NULL) {
		it->user_spki = h->spki;
		it->user_spki_len = h->spki_len;
	}
	it->not_before = now_s();
	it->not_after = now_s() + 365 * 86400;
	m->n++;
}

static void
msg_der(const struct msg *m, struct egca_buf *out)
{
	struct egca_km_request *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->version = 1;
	assert_int_equal(
	    egca_km_entname_from_cert(m->as->cert, m->as->cert_len, &r->ca),
	    EGCA_OK);
	memcpy(r->items, m->items, m->n * sizeof(m->items[0]));
	r->n_items = m->n;
	r->request_time = m->time ? m->time : now_s();
	r->task = m->task;
	r->task_len = sizeof(m->task);
	egca_buf_init(out, EGCA_KM_MSG_MAX);
	assert_int_equal(
	    egca_km_request_sign(r, m->signer ? m->signer : m->as->signer, out),
	    EGCA_OK);
	free(r);
}

/* The KM's answer to der, parsed and signature-checked; its DER in *keep. */
static void
answer_of(
    const uint8_t *der, size_t len, struct egca_km_response *a, uint8_t **keep)
{
	size_t rl = 0;
	size_t kl;
	const uint8_t *kc = egca_km_get0_cert(km, &kl);
	struct egca_cert_info info;
	EVP_PKEY *pub = NULL;

	assert_int_equal(
	    egca_km_handle(km, der, len, now_s(), "test", keep, &rl), EGCA_OK);
	assert_int_equal(egca_km_response_parse(*keep, rl, a), EGCA_OK);
	memset(&info, 0, sizeof(info));
	assert_int_equal(egca_pki_cert_info(kc, kl, &info), EGCA_OK);
	assert_int_equal(
	    egca_crypto_spki_decode(info.spki_der, info.spki_der_len, &pub),
	    EGCA_OK);
	assert_int_equal(egca_crypto_verify_tbs(pub, EGCA_SIG_SM2_SM3, a->tbs,
	                     a->tbs_len, a->sig, a->sig_len),
	    EGCA_OK);
	EVP_PKEY_free(pub);
	egca_pki_cert_info_free(&info);
}

/*
 * Sends m: expects a signed error errNO n (0: success), and when n != 0
 * no new key and exactly one audited refusal.
 */
static void
expect(const struct msg *m, int n)
{
	struct egca_km_response *a = calloc(1, sizeof(*a));
	struct egca_buf b;
	uint8_t *keep = NULL;
	size_t keys = key_count();
	int64_t seq = audit_seq();

	assert_non_null(a);
	msg_der(m, &b);
	answer_of(b.data, b.len, a, &keep);
	if (n == 0) {
		assert_int_equal(a->n_items, m->n);
		assert_int_not_equal(a->items[0].kind, EGCA_KM_RESP_ERROR);
	} else {
		assert_int_equal(a->n_items, 1);
		assert_int_equal(a->items[0].kind, EGCA_KM_RESP_ERROR);
		if (a->items[0].err_no != n)
			fail_msg("errNO %lld, wanted %d: %.*s",
			    (long long)a->items[0].err_no, n,
			    (int)a->items[0].err_desc_len,
			    (const char *)a->items[0].err_desc);
		assert_int_equal(key_count(), keys);
		audited(seq, "km.request", "failure");
	}
	/* The task number is echoed. */
	assert_int_equal(a->task_len, sizeof(m->task));
	assert_memory_equal(a->task, m->task, sizeof(m->task));
	free(keep);
	egca_buf_free(&b);
	free(a);
}

/* ---- fixture ---- */

static void
unseal_with(int i, enum egca_err want)
{
	assert_int_equal(egca_km_unseal(km, K.share[i], K.share_len[i],
	                     "custodian:test", NULL),
	    want);
}

static int
setup(void **state)
{
	char name[64], uri[1300];
	char id[65];

	(void)state;
	group++;
	if (pg_uri != NULL && egca_store_test_reset(pg_uri) != EGCA_OK)
		return -1;
	snprintf(name, sizeof(name), "svc%d", group);
	fx_km_init(&K, name, pg_uri);
	snprintf(name, sizeof(name), "other%d", group);
	/* The other KM's store is always SQLite (only its shares matter). */
	fx_km_init(&K2, name, NULL);
	assert_int_equal(
	    egca_km_open(K.dir, fx_pass, sizeof(fx_pass) - 1, 4, &km), EGCA_OK);
	if (pg_uri != NULL)
		snprintf(uri, sizeof(uri), "%s", pg_uri);
	else
		snprintf(uri, sizeof(uri), "sqlite:%s/egca.db", K.dir);
	assert_int_equal(egca_store_open(uri, 0, &st), EGCA_OK);
	fx_ca_new(&ca, "C=CN,O=Test,CN=Trusted SM2 CA");
	fx_ca_new(&other, "C=CN,O=Test,CN=Other SM2 CA");
	fx_principal(&sec, "sec", EGCA_ROLE_SECADMIN, 1);
	fx_principal(&off1, "officer1", EGCA_ROLE_KM_OFFICER, 1);
	fx_principal(&off2, "officer2", EGCA_ROLE_KM_OFFICER, 1);
	fx_principal(&off3, "officer3", EGCA_ROLE_KM_OFFICER, 1);
	fx_principal(&aud, "aud", EGCA_ROLE_AUDITOR, 1);
	assert_int_equal(
	    egca_km_trust_add(km, &sec, ca.cert, ca.cert_len, id), EGCA_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	egca_km_free(km);
	egca_store_close(st);
	fx_ca_free(&ca);
	fx_ca_free(&other);
	fx_km_free(&K);
	fx_km_free(&K2);
	return 0;
}

/* ---- tests ---- */

static void
test_trust_roles(void **state)
{
	struct egca_principal nomfa;
	struct egca_km_trust_rec *l = NULL;
	size_t n = 0;
	int64_t seq;

	(void)state;
	seq = audit_seq();
	/* An officer may not change the trust list; refused and audited. */
	assert_int_equal(
	    egca_km_trust_add(km, &off1, other.cert, other.cert_len, NULL),
	    EGCA_ERR_POLICY);
	audited(seq, "km.deny", "failure");
	fx_principal(&nomfa, "sec", EGCA_ROLE_SECADMIN, 0);
	seq = audit_seq();
	assert_int_equal(
	    egca_km_trust_add(km, &nomfa, other.cert, other.cert_len, NULL),
	    EGCA_ERR_POLICY);
	audited(seq, "km.deny", "failure");
	/* Twice the same certificate. */
	seq = audit_seq();
	assert_int_equal(
	    egca_km_trust_add(km, &sec, ca.cert, ca.cert_len, NULL),
	    EGCA_ERR_EXISTS);
	audited(seq, "km.trust.add", "failure");
	assert_int_equal(egca_km_trust_list(km, &aud, &l, &n), EGCA_OK);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].state, "active");
	egca_store_km_trust_list_free(l, n);
}

static void
test_sealed(void **state)
{
	struct holder h;
	struct msg m;
	struct egca_km_seal_status ss;

	(void)state;
	egca_km_status(km, &ss);
	assert_int_equal(ss.sealed, 1);
	holder_new(&h, EGCA_KEY_SM2);
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 1, &h);
	expect(&m, EGCA_KM_E_SEALED);
	holder_free(&h);
}

static void
test_unseal(void **state)
{
	struct egca_km_seal_status ss;
	uint8_t *bad;
	char *p;
	int64_t seq;

	(void)state;
	/* A share of another KM. */
	seq = audit_seq();
	assert_int_equal(egca_km_unseal(km, K2.share[0], K2.share_len[0],
	                     "custodian:test", &ss),
	    EGCA_ERR_AUTH);
	audited(seq, "km.unseal.share", "failure");
	assert_int_equal(ss.entered, 0);
	/* A wrong share: one hex digit changed. */
	bad = malloc(K.share_len[1] + 1);
	memcpy(bad, K.share[1], K.share_len[1]);
	bad[K.share_len[1]] = '\0';
	p = strstr((char *)bad, "share: ");
	assert_non_null(p);
	p[7] = p[7] == 'a' ? 'b' : 'a';
	seq = audit_seq();
	assert_int_equal(
	    egca_km_unseal(km, bad, K.share_len[1], "custodian:test", &ss),
	    EGCA_ERR_AUTH);
	audited(seq, "km.unseal.share", "failure");
	/* Malformed. */
	seq = audit_seq();
	assert_int_equal(
	    egca_km_unseal(km, (const uint8_t *)"x", 1, "custodian:test", &ss),
	    EGCA_ERR_INPUT);
	audited(seq, "km.unseal.share", "failure");
	free(bad);
	/* One good share: still sealed (fewer than M). */
	unseal_with(0, EGCA_OK);
	egca_km_status(km, &ss);
	assert_int_equal(ss.sealed, 1);
	assert_int_equal(ss.entered, 1);
	/* The same share again. */
	seq = audit_seq();
	unseal_with(0, EGCA_ERR_EXISTS);
	audited(seq, "km.unseal.share", "failure");
	egca_km_status(km, &ss);
	assert_int_equal(ss.sealed, 1);
	/* The second: unsealed. */
	unseal_with(2, EGCA_OK);
	egca_km_status(km, &ss);
	assert_int_equal(ss.sealed, 0);
	assert_int_equal(ss.entered, 0);
	unseal_with(1, EGCA_ERR_STATE);
	/* Sealed again and unsealed with another pair of shares. */
	assert_int_equal(egca_km_seal(km, "test"), EGCA_OK);
	egca_km_status(km, &ss);
	assert_int_equal(ss.sealed, 1);
	unseal_with(1, EGCA_OK);
	unseal_with(2, EGCA_OK);
	egca_km_status(km, &ss);
	assert_int_equal(ss.sealed, 0);
}

/* d of an SM2 key pair, 32 octets. */
static void
scalar(const EVP_PKEY *k, uint8_t d[32])
{
	BIGNUM *bn = NULL;

	assert_int_equal(
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, d, 32), 32);
	BN_clear_free(bn);
}

/* 1 when needle is in the file at path (missing file: 0). */
static int
file_has(const char *path, const void *needle, size_t n)
{
	uint8_t *p = NULL;
	size_t len = 0;
	int found;

	if (egca_file_read(path, (size_t)1 << 30, &p, &len) != EGCA_OK) {
		egca_err_clear();
		return 0;
	}
	found = memmem(p, len, needle, n) != NULL;
	free(p);
	return found;
}

/* Neither d nor its hex (either case) is in the KM's database files. */
static void
not_in_store(const uint8_t d[32])
{
	static const char *const files[] = {"egca.db", "egca.db-wal"};
	char path[1400], hex[65], up[65];
	size_t i;

	if (pg_uri != NULL)
		return;
	egca_hex_encode(d, 32, hex);
	for (i = 0; i < 65; i++)
		up[i] = (char)toupper((unsigned char)hex[i]);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", K.dir, files[i]);
		assert_false(file_has(path, d, 32));
		assert_false(file_has(path, hex, 64));
		assert_false(file_has(path, up, 64));
	}
}

/* Opens an answer item's envelope with h and checks the key. */
static void
open_item(
    const struct egca_km_resp_item *it, const struct holder *h, uint8_t d[32])
{
	EVP_PKEY *pair = NULL, *pub = NULL;

	assert_int_equal(
	    egca_envelope_open(h->key, it->envelope, it->envelope_len, &pair),
	    EGCA_OK);
	assert_int_equal(
	    egca_crypto_spki_decode(it->pub_spki, it->pub_spki_len, &pub),
	    EGCA_OK);
	assert_true(egca_crypto_key_public_equal(pair, pub));
	scalar(pair, d);
	EVP_PKEY_free(pair);
	EVP_PKEY_free(pub);
}

static uint8_t d_first[32]; /* the key of cert_no 0x01000010 */

static void
test_apply_restore_revoke(void **state)
{
	struct egca_km_response *a = calloc(1, sizeof(*a));
	struct egca_km_key_rec rec;
	struct holder h, h2;
	struct msg m;
	struct egca_buf b;
	uint8_t *keep = NULL, d2[32], d3[32];
	size_t keys = key_count();
	int64_t seq = audit_seq();

	(void)state;
	holder_new(&h, EGCA_KEY_SM2);
	holder_new(&h2, EGCA_KEY_SM2);
	/* Two keys in one request. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x10, &h);
	msg_item(&m, EGCA_KM_APPLY, 0x11, &h);
	msg_der(&m, &b);
	answer_of(b.data, b.len, a, &keep);
	egca_buf_free(&b);
	assert_int_equal(a->n_items, 2);
	assert_int_equal(a->items[0].kind, EGCA_KM_RESP_APPLY);
	assert_int_equal(a->items[0].cert_no_len, 4);
	assert_memory_equal(a->items[0].cert_no, m.no[0], 4);
	open_item(&a->items[0], &h, d_first);
	open_item(&a->items[1], &h, d2);
	assert_memory_not_equal(d_first, d2, 32);
	assert_int_equal(key_count(), keys + 2);
	/* One audit event per key, in the same transaction. */
	assert_int_equal(audit_seq(), seq + 2);
	/* The escrowed scalars are nowhere in the store in clear. */
	not_in_store(d_first);
	not_in_store(d2);
	/* The holder is not the key: the envelope does not open with h2. */
	{
		EVP_PKEY *x = NULL;

		assert_int_equal(
		    egca_envelope_open(h2.key, a->items[0].envelope,
		        a->items[0].envelope_len, &x),
		    EGCA_ERR_AUTH);
	}
	free(keep);
	keep = NULL;

	/* Restore to a new holder key: the same key pair. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_RESTORE, 0x10, &h2);
	msg_der(&m, &b);
	answer_of(b.data, b.len, a, &keep);
	egca_buf_free(&b);
	assert_int_equal(a->items[0].kind, EGCA_KM_RESP_RESTORE);
	open_item(&a->items[0], &h2, d3);
	assert_memory_equal(d3, d_first, 32);
	free(keep);
	keep = NULL;

	/* Unknown userCertNO. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_RESTORE, 0x99, &h2);
	expect(&m, EGCA_KM_E_NOT_FOUND);

	/* A duplicate: the whole request is refused, the good item too. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x12, &h);
	msg_item(&m, EGCA_KM_APPLY, 0x10, &h);
	expect(&m, EGCA_KM_E_DUPLICATE);

	/* Revoke: archived, not destroyed. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_REVOKE, 0x10, NULL);
	expect(&m, 0);
	assert_int_equal(key_count(), keys + 2);
	{
		char ca_id[65];
		struct egca_km_entname en;
		char no[9];

		assert_int_equal(
		    egca_km_entname_from_cert(ca.cert, ca.cert_len, &en),
		    EGCA_OK);
		assert_int_equal(
		    km_sm3_hex(en.name, en.name_len, ca_id), EGCA_OK);
		egca_hex_encode(m.no[0], 4, no);
		assert_int_equal(
		    egca_store_km_key_get_by_cert(st, ca_id, no, &rec),
		    EGCA_OK);
		assert_string_equal(rec.state, "revoked");
		assert_true(rec.revoked_at > 0);
		assert_true(rec.retain_until >= rec.not_after + 3653 * 86400LL);
		assert_int_equal(rec.wrapped_len, KM_WRAP_LEN);
		egca_store_km_key_rec_free(&rec);
	}
	/* A revoked key is not restored through the CA, nor revoked twice. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_RESTORE, 0x10, &h2);
	expect(&m, EGCA_KM_E_REVOKED);
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_REVOKE, 0x10, NULL);
	expect(&m, EGCA_KM_E_REVOKED);
	holder_free(&h);
	holder_free(&h2);
	free(a);
}

/* der with its signatureValue replaced by sig (len octets). */
static void
resigned(const uint8_t *der, size_t len, const uint8_t *sig, size_t sig_len,
    struct egca_buf *out)
{
	struct egca_km_request *r = calloc(1, sizeof(*r));
	struct egca_der_w w;
	const uint8_t *alg;
	size_t alg_len;

	assert_non_null(r);
	assert_int_equal(egca_km_request_parse(der, len, r), EGCA_OK);
	alg = egca_crypto_sig_alg_der(EGCA_SIG_SM2_SM3, &alg_len);
	egca_buf_init(out, EGCA_KM_MSG_MAX);
	egca_der_w_init(&w, out);
	egca_der_begin(&w, DER_SEQUENCE);
	egca_der_put_raw(&w, r->tbs, r->tbs_len);
	egca_der_put_raw(&w, alg, alg_len);
	egca_der_put_tlv(&w, DER_OCTET_STRING, sig, sig_len);
	egca_der_end(&w);
	assert_int_equal(egca_der_w_finish(&w), EGCA_OK);
	free(r);
}

static void
test_a6_bad_messages(void **state)
{
	struct egca_km_response *a = calloc(1, sizeof(*a));
	struct holder h, p256;
	struct msg m;
	struct egca_buf b, x;
	struct fx_ca expired, revoked;
	uint8_t zeros[72], *keep = NULL, *resp = NULL, *flip;
	size_t keys, rl = 0, i;
	int64_t seq;
	char id[65];

	(void)state;
	memset(zeros, 0, sizeof(zeros));
	holder_new(&h, EGCA_KEY_SM2);

	/* Unsigned (an empty signatureValue): no answer at all, audited. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x20, &h);
	msg_der(&m, &b);
	resigned(b.data, b.len, zeros, 0, &x);
	keys = key_count();
	seq = audit_seq();
	assert_int_equal(
	    egca_km_handle(km, x.data, x.len, now_s(), "test", &resp, &rl),
	    EGCA_ERR_INPUT);
	assert_null(resp);
	audited(seq, "km.request", "failure");
	assert_int_equal(key_count(), keys);
	egca_buf_free(&x);
	/* A signature of zeros: errNO badSignature. */
	resigned(b.data, b.len, zeros, sizeof(zeros), &x);
	seq = audit_seq();
	answer_of(x.data, x.len, a, &keep);
	assert_int_equal(a->items[0].err_no, EGCA_KM_E_BAD_SIGNATURE);
	audited(seq, "km.request", "failure");
	assert_int_equal(key_count(), keys);
	free(keep);
	keep = NULL;
	egca_buf_free(&x);

	/* Every altered octet of the signed request: never a key. */
	flip = malloc(b.len);
	for (i = 0; i < b.len; i += 7) {
		memcpy(flip, b.data, b.len);
		flip[i] ^= 0x04;
		resp = NULL;
		if (egca_km_handle(km, flip, b.len, now_s(), "test", &resp,
		        &rl) == EGCA_OK) {
			assert_int_equal(
			    egca_km_response_parse(resp, rl, a), EGCA_OK);
			assert_int_equal(a->items[0].kind, EGCA_KM_RESP_ERROR);
		}
		free(resp);
		assert_int_equal(key_count(), keys);
	}
	free(flip);
	egca_buf_free(&b);

	/* Signed by another key in the trusted CA's name. */
	msg_init(&m, &ca);
	m.signer = other.signer;
	msg_item(&m, EGCA_KM_APPLY, 0x21, &h);
	expect(&m, EGCA_KM_E_BAD_SIGNATURE);
	/* An untrusted CA. */
	msg_init(&m, &other);
	msg_item(&m, EGCA_KM_APPLY, 0x22, &h);
	expect(&m, EGCA_KM_E_UNTRUSTED);
	/* A CA revoked in the trust list. */
	fx_ca_new(&revoked, "C=CN,O=Test,CN=Revoked SM2 CA");
	assert_int_equal(
	    egca_km_trust_add(km, &sec, revoked.cert, revoked.cert_len, id),
	    EGCA_OK);
	msg_init(&m, &revoked);
	msg_item(&m, EGCA_KM_APPLY, 0x23, &h);
	expect(&m, 0); /* trusted: works */
	assert_int_equal(egca_km_trust_revoke(km, &sec, id), EGCA_OK);
	msg_init(&m, &revoked);
	msg_item(&m, EGCA_KM_APPLY, 0x24, &h);
	expect(&m, EGCA_KM_E_UNTRUSTED);
	fx_ca_free(&revoked);
	/* An expired CA certificate. */
	assert_int_equal(egca_signer_generate(
	                     EGCA_KEY_SM2, 0, EGCA_SIGN_CERT, &expired.signer),
	    EGCA_OK);
	fx_cert(expired.signer, "C=CN,O=Test,CN=Expired SM2 CA", 1,
	    now_s() - 86400 * 10, now_s() - 86400, &expired.cert,
	    &expired.cert_len);
	assert_int_equal(
	    egca_km_trust_add(km, &sec, expired.cert, expired.cert_len, NULL),
	    EGCA_OK);
	msg_init(&m, &expired);
	msg_item(&m, EGCA_KM_APPLY, 0x25, &h);
	expect(&m, EGCA_KM_E_UNTRUSTED);
	fx_ca_free(&expired);

	/* Stale and future request times (window 300 s). */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x26, &h);
	m.time = now_s() - 301;
	expect(&m, EGCA_KM_E_STALE);
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x26, &h);
	m.time = now_s() + 301;
	expect(&m, EGCA_KM_E_STALE);
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x26, &h);
	m.time = now_s() - 200;
	expect(&m, 0);

	/* A replayed task number, also of a successful request. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x27, &h);
	expect(&m, 0);
	expect(&m, EGCA_KM_E_REPLAY);
	/* The task of a refused request is spent too. */
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_RESTORE, 0x999, &h);
	expect(&m, EGCA_KM_E_NOT_FOUND);
	expect(&m, EGCA_KM_E_REPLAY);

	/* A holder key that is not SM2. */
	holder_new(&p256, EGCA_KEY_P256);
	msg_init(&m, &ca);
	msg_item(&m, EGCA_KM_APPLY, 0x28, &p256);
	expect(&m, EGCA_KM_E_BAD_REQUEST);
	holder_free(&p256);
	/* More items than km.conf's max_items (16). */
	msg_init(&m, &ca);
	for (i = 0; i < 17; i++)
		msg_item(&m, EGCA_KM_APPLY, 0x100 + (uint32_t)i, &h);
	expect(&m, EGCA_KM_E_BAD_REQUEST);
	holder_free(&h);
	free(a);
}

static void
test_inproc_client(void **state)
{
	struct egca_km_client *c = NULL;
	struct egca_km_sender snd = {ca.signer, ca.cert, ca.cert_len};
	struct egca_km_sender bad = {other.signer, other.cert, other.cert_len};
	struct egca_km_apply_item it[2];
	struct egca_km_key k[2], r;
	struct holder h, h2;
	EVP_PKEY *p1 = NULL, *p2 = NULL;
	size_t keys = key_count();

	(void)state;
	holder_new(&h, EGCA_KEY_SM2);
	holder_new(&h2, EGCA_KEY_SM2);
	assert_int_equal(egca_km_client_inproc(km, &c), EGCA_OK);
	memset(it, 0, sizeof(it));
	it[0].holder_spki = h.spki;
	it[0].holder_spki_len = h.spki_len;
	it[0].cert_no = "7f0001";
	it[0].not_before = now_s();
	it[0].not_after = now_s() + 86400;
	it[0].ds_code = "330106";
	it[1] = it[0];
	it[1].cert_no = "7f0002";
	assert_int_equal(egca_km_apply(c, &snd, it, 2, k), EGCA_OK);
	assert_string_equal(k[0].cert_no, "7f0001");
	assert_string_equal(k[1].cert_no, "7f0002");
	assert_int_equal(key_count(), keys + 2);
	assert_int_equal(
	    egca_envelope_open(h.key, k[0].envelope, k[0].envelope_len, &p1),
	    EGCA_OK);
	/* Restore to h2, then revoke. */
	assert_int_equal(
	    egca_km_restore(c, &snd, "7f0001", h2.spki, h2.spki_len, &r),
	    EGCA_OK);
	assert_int_equal(
	    egca_envelope_open(h2.key, r.envelope, r.envelope_len, &p2),
	    EGCA_OK);
	assert_true(egca_crypto_key_public_equal(p1, p2));
	assert_int_equal(r.enc_spki_len, k[0].enc_spki_len);
	assert_memory_equal(r.enc_spki, k[0].enc_spki, r.enc_spki_len);
	egca_km_key_clear(&r);
	assert_int_equal(egca_km_revoke(c, &snd, "7f0001"), EGCA_OK);
	/* The KM's refusals as egca errors. */
	assert_int_equal(egca_km_revoke(c, &snd, "7f0001"), EGCA_ERR_POLICY);
	assert_int_equal(egca_km_revoke(c, &snd, "7f0fff"), EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    egca_km_apply(c, &snd, it + 1, 1, &r), EGCA_ERR_EXISTS);
	assert_int_equal(egca_km_apply(c, &bad, it, 1, &r), EGCA_ERR_AUTH);
	assert_int_equal(
	    egca_km_restore(c, &snd, "zz", h2.spki, h2.spki_len, &r),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_km_seal(km, "test"), EGCA_OK);
	assert_int_equal(
	    egca_km_restore(c, &snd, "7f0002", h2.spki, h2.spki_len, &r),
	    EGCA_ERR_STATE);
	assert_non_null(strstr(egca_err_detail(), "KM is sealed"));
	unseal_with(0, EGCA_OK);
	unseal_with(1, EGCA_OK);
	egca_km_key_clear(&k[0]);
	egca_km_key_clear(&k[1]);
	egca_km_client_free(c);
	EVP_PKEY_free(p1);
	EVP_PKEY_free(p2);
	holder_free(&h);
	holder_free(&h2);
}

static void
test_judicial(void **state)
{
	struct egca_km_judicial_rec r, g;
	struct egca_km_key_rec *l = NULL;
	struct holder auth;
	struct egca_principal nomfa;
	uint8_t *cert = NULL, *env = NULL, d[32];
	size_t cert_len, env_len, n = 0, i;
	EVP_PKEY *pair = NULL;
	char key_id[33] = "", bad_digest[65];
	int64_t seq;

	(void)state;
	/* The authority's SM2 certificate (self-signed will do here). */
	{
		struct egca_signer *sg = NULL;

		holder_new(&auth, EGCA_KEY_SM2);
		assert_int_equal(EVP_PKEY_up_ref(auth.key), 1);
		assert_int_equal(
		    egca_signer_open_key(auth.key, EGCA_SIGN_CERT, &sg),
		    EGCA_OK);
		fx_cert(sg, "C=CN,O=Court,CN=Judicial Authority", 0,
		    now_s() - 60, now_s() + 86400, &cert, &cert_len);
		egca_signer_free(sg);
	}
	/* The key applied for first in test_apply_restore_revoke. */
	assert_int_equal(
	    egca_km_key_list(km, &off1, 10000, 0, &l, &n), EGCA_OK);
	for (i = 0; i < n; i++)
		if (strcmp(l[i].cert_no, "01000010") == 0)
			snprintf(key_id, sizeof(key_id), "%s", l[i].id);
	egca_store_km_key_list_free(l, n);
	assert_int_equal(strlen(key_id), 32);
	/* Only a KM officer with a second factor may ask. */
	assert_int_equal(egca_km_judicial_request(km, &sec,
	                     "(2026) 京01刑初1号", key_id, cert, cert_len, &r),
	    EGCA_ERR_POLICY);
	fx_principal(&nomfa, "officer1", EGCA_ROLE_KM_OFFICER, 0);
	assert_int_equal(egca_km_judicial_request(
	                     km, &nomfa, "CASE-1", key_id, cert, cert_len, &r),
	    EGCA_ERR_POLICY);
	assert_int_equal(
	    egca_km_judicial_request(km, &off1, "CASE-1",
	        "00000000000000000000000000000000", cert, cert_len, &r),
	    EGCA_ERR_NOTFOUND);
	seq = audit_seq();
	assert_int_equal(egca_km_judicial_request(
	                     km, &off1, "CASE-1", key_id, cert, cert_len, &r),
	    EGCA_OK);
	audited(seq, "km.judicial.request", "success");
	assert_string_equal(r.state, "pending");
	/* The requester may not approve. */
	seq = audit_seq();
	assert_int_equal(egca_km_judicial_approve(km, &off1, r.id, r.digest),
	    EGCA_ERR_POLICY);
	audited(seq, "km.judicial.approve", "failure");
	/* An approval names the request's digest. */
	snprintf(bad_digest, sizeof(bad_digest), "%s", r.digest);
	bad_digest[0] = bad_digest[0] == '0' ? '1' : '0';
	assert_int_equal(egca_km_judicial_approve(km, &off2, r.id, bad_digest),
	    EGCA_ERR_CONFLICT);
	assert_int_equal(
	    egca_km_judicial_approve(km, &off2, r.id, r.digest), EGCA_OK);
	assert_int_equal(egca_km_judicial_approve(km, &off2, r.id, r.digest),
	    EGCA_ERR_EXISTS);
	/* One approval of two: nothing released. */
	seq = audit_seq();
	assert_int_equal(
	    egca_km_judicial_release(km, &off2, r.id, &env, &env_len),
	    EGCA_ERR_POLICY);
	assert_null(env);
	audited(seq, "km.judicial.release", "failure");
	assert_int_equal(
	    egca_km_judicial_approve(km, &off3, r.id, r.digest), EGCA_OK);
	assert_int_equal(egca_km_judicial_get(km, &aud, r.id, &g), EGCA_OK);
	assert_int_equal(g.n_approvers, 2);
	egca_store_km_judicial_rec_free(&g);
	/* Sealed: refused. */
	assert_int_equal(egca_km_seal(km, "test"), EGCA_OK);
	assert_int_equal(
	    egca_km_judicial_release(km, &off1, r.id, &env, &env_len),
	    EGCA_ERR_STATE);
	unseal_with(2, EGCA_OK);
	unseal_with(0, EGCA_OK);
	seq = audit_seq();
	assert_int_equal(
	    egca_km_judicial_release(km, &off1, r.id, &env, &env_len), EGCA_OK);
	audited(seq, "km.judicial.release", "success");
	/* The authority opens it: the escrowed key. */
	assert_int_equal(
	    egca_envelope_open(auth.key, env, env_len, &pair), EGCA_OK);
	scalar(pair, d);
	assert_memory_equal(d, d_first, 32);
	/* Released once. */
	free(env);
	env = NULL;
	assert_int_equal(
	    egca_km_judicial_release(km, &off1, r.id, &env, &env_len),
	    EGCA_ERR_STATE);
	EVP_PKEY_free(pair);
	egca_store_km_judicial_rec_free(&r);
	holder_free(&auth);
	free(cert);
}

static void
test_audit_chain(void **state)
{
	struct egca_audit_report rep;

	(void)state;
	assert_int_equal(egca_audit_verify(st, NULL, 0, &rep), EGCA_OK);
	assert_true(rep.events > 40);
}

static int
run(const char *name)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trust_roles),
	    cmocka_unit_test(test_sealed),
	    cmocka_unit_test(test_unseal),
	    cmocka_unit_test(test_apply_restore_revoke),
	    cmocka_unit_test(test_a6_bad_messages),
	    cmocka_unit_test(test_inproc_client),
	    cmocka_unit_test(test_judicial),
	    cmocka_unit_test(test_audit_chain),
	};

	return _cmocka_run_group_tests(
	    name, tests, sizeof(tests) / sizeof(tests[0]), setup, teardown);
}

int
main(void)
{
	int failed;

	egca_crypto_harden_process();
	failed = run("km/sqlite");
	pg_uri = getenv("EGCA_PG_URI");
	if (pg_uri != NULL && *pg_uri != '\0')
		failed += run("km/postgres");
	else
		fprintf(stderr, "EGCA_PG_URI not set: PostgreSQL skipped\n");
	return failed != 0;
}
