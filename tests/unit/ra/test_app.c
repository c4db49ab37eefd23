/*
 * Unit tests for src/ra/app.c, exec.c, material.c, digest.c: every
 * application kind end to end at the service level against a real SM2
 * CA; four eyes, M-of-N, approvals bound to the digest (a material
 * voids them), duplicate approvals, scope (another point's objects are
 * "no such ..."), key rules of update and extend, KM-dependent kinds,
 * idempotency keys, eight reviewers approving at once (exactly one
 * certificate), retries after a failed execution, and refusals
 * audited with nothing changed.
 */
#include <pthread.h>

#include "ra/ra_fixture.h"

static void
new_end_to_end(void **state)
{
	struct fx *fx = *state;
	struct egca_subscriber_new s;
	struct egca_app_new a;
	struct egca_app_result res;
	struct egca_app_rec r;
	struct egca_cert_query q;
	struct egca_cert_hit *hits = NULL;
	size_t nh = 0, total = 0, i, j;
	char sub[33], app[33], d[65], raw[32], hash[65], stored[65];
	uint8_t *csr, dg[32];
	size_t csr_len;
	EVP_PKEY *key = fx_key();

	memset(&s, 0, sizeof(s));
	s.type = "government";
	s.name = "北京市测试局";
	s.uscc = USCC_BJ;
	s.region = "110105";
	s.department = "北京市测试局";
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, sub));
	assert_int_equal(strlen(sub), 32);

	fx_csr(key, "C=CN,O=Beijing Test Bureau,CN=Zhang San", &csr, &csr_len);
	memset(&a, 0, sizeof(a));
	a.kind = "new";
	a.subscriber = sub;
	a.profile = "gov-sign";
	a.csr_der = csr;
	a.csr_len = csr_len;
	a.note = "first certificate\nchecked in person";
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app));
	free(csr);
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, "submitted");
	assert_string_equal(r.kind, "new");
	assert_string_equal(r.ca, "root");
	assert_string_equal(r.region, "110105");
	assert_string_equal(r.point, "bj");
	assert_string_equal(r.submitted_by, "olga");
	assert_int_equal(r.required_approvals, 1);
	assert_int_equal(r.approvals, 0);
	assert_int_equal(strlen(r.digest), 64);
	assert_non_null(r.csr_der);
	snprintf(d, sizeof(d), "%s", r.digest);
	egca_ra_app_rec_free(&r);

	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));
	assert_int_not_equal(res.serial[0], '\0');
	assert_non_null(res.der);
	/* "XXXX-XXXX-XXXX-XXXX-XXXX", base32, shown once. */
	assert_int_equal(strlen(res.revocation_code), 24);
	for (i = 0, j = 0; res.revocation_code[i] != '\0'; i++)
		if (res.revocation_code[i] != '-')
			raw[j++] = res.revocation_code[i];
	raw[j] = '\0';
	assert_int_equal(j, 20);
	OK(egca_crypto_sha256(raw, j, dg));
	egca_hex_encode(dg, sizeof(dg), hash);
	OK(egca_store_ra_code_get(fx->st, "root", res.serial, stored));
	assert_string_equal(hash, stored);

	OK(egca_ra_app_get(&fx->ctx, &fx->op, app, &r));
	assert_string_equal(r.state, "executed");
	assert_string_equal(r.result_serial, res.serial);
	assert_string_equal(r.decided_by, "rita");
	assert_int_equal(r.approvals, 1);
	assert_null(r.result_error);
	egca_ra_app_rec_free(&r);
	assert_int_equal(fx_audits(fx, "app.submit", "success"), 1);
	assert_int_equal(fx_audits(fx, "app.approve", "success"), 1);
	assert_int_equal(fx_audits(fx, "app.execute", "success"), 1);
	assert_int_equal(fx_audits(fx, "cert.issue", "success"), 1);

	/* Department viewers find it by department (cert_index). */
	memset(&q, 0, sizeof(q));
	q.department = "北京市测试局";
	OK(egca_store_cert_search(fx->st, &q, &hits, &nh, &total));
	assert_int_equal(nh, 1);
	assert_string_equal(hits[0].cert.serial, res.serial);
	assert_string_equal(hits[0].identity_code, USCC_BJ);
	assert_string_equal(hits[0].region, "110105");
	egca_store_cert_hit_list_free(hits, nh);
	q.department = "another";
	OK(egca_store_cert_search(fx->st, &q, &hits, &nh, &total));
	assert_int_equal(nh, 0);
	egca_store_cert_hit_list_free(hits, nh);

	/* A second approval after execution is refused. */
	egca_ra_app_result_free(&res);
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev2, &fx->env, app, d, &res),
	    EGCA_ERR_STATE);
	EVP_PKEY_free(key);
}

static void
four_eyes(void **state)
{
	struct fx *fx = *state;
	struct egca_principal both;
	struct egca_app_result res;
	struct egca_app_rec r;
	char sub[33], app[33], d[65];
	int64_t fails = fx_audits(fx, "app.approve", "failure");

	fx_enterprise(fx, sub);
	fx_principal(
	    &both, "bo", EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_RA_REVIEWER, "bj");
	fx_submit_new(fx, &both, sub, NULL, app);
	fx_digest(fx, app, d);
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &both, &fx->env, app, d, &res),
	    EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "four eyes"));
	assert_int_equal(fx_audits(fx, "app.approve", "failure"), fails + 1);
	assert_int_equal(fx_count(fx, "app_approval"), 0);
	assert_int_equal(fx_count(fx, "certificate"), 0);
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, "submitted");
	assert_int_equal(r.approvals, 0);
	egca_ra_app_rec_free(&r);

	/* An operator without the reviewer role may not approve at all. */
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->op2, &fx->env, app, d, &res),
	    EGCA_ERR_POLICY);
	/* Another reviewer may. */
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));
	assert_int_not_equal(res.serial[0], '\0');
	egca_ra_app_result_free(&res);
}

static void
m_of_n(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	struct egca_app_rec r;
	char sub[33], app[33], d[65];

	fx_approvals(fx, 2);
	fx_enterprise(fx, sub);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res));
	assert_string_equal(res.serial, "");
	assert_null(res.der);
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, "submitted");
	assert_int_equal(r.approvals, 1);
	assert_int_equal(r.required_approvals, 2);
	egca_ra_app_rec_free(&r);
	assert_int_equal(fx_count(fx, "certificate"), 0);

	/* The same reviewer cannot count twice. */
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res),
	    EGCA_ERR_EXISTS);
	assert_int_equal(fx_audits(fx, "app.approve", "failure"), 1);
	assert_int_equal(fx_count(fx, "app_approval"), 1);
	fx_state(fx, app, "submitted");

	OK(egca_ra_app_approve(&fx->ctx, &fx->rev2, &fx->env, app, d, &res));
	assert_int_not_equal(res.serial[0], '\0');
	egca_ra_app_result_free(&res);
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, "executed");
	assert_int_equal(r.approvals, 2);
	assert_string_equal(r.decided_by, "rosa");
	egca_ra_app_rec_free(&r);
	assert_int_equal(fx_count(fx, "certificate"), 1);
}

static const uint8_t pdf[] = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

static void
stale_digest(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	struct egca_app_rec r;
	struct egca_material_rec *ml = NULL, meta;
	uint8_t *data = NULL;
	size_t nm = 0, len = 0;
	char sub[33], app[33], d1[65], d2[65], mid[33];

	fx_approvals(fx, 2);
	fx_enterprise(fx, sub);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d1);
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d1, &res));

	OK(egca_ra_material_add(&fx->ctx, &fx->op, app, "business-licence",
	    "application/pdf", "营业执照.pdf", pdf, sizeof(pdf) - 1, mid));
	fx_digest(fx, app, d2);
	assert_string_not_equal(d1, d2);
	/* rita's approval was for d1: it no longer counts. */
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_int_equal(r.approvals, 0);
	egca_ra_app_rec_free(&r);

	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev2, &fx->env, app, d1, &res),
	    EGCA_ERR_CONFLICT);
	assert_non_null(
	    strstr(egca_err_detail(), "application changed since you saw it"));
	assert_int_equal(fx_audits(fx, "app.approve", "failure"), 1);
	fx_state(fx, app, "submitted");

	OK(egca_ra_app_approve(&fx->ctx, &fx->rev2, &fx->env, app, d2, &res));
	assert_string_equal(res.serial, "");
	/* rita reviews again and approves the application as it is now. */
	OK(egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d2, &res));
	assert_int_not_equal(res.serial[0], '\0');
	egca_ra_app_result_free(&res);
	fx_state(fx, app, "executed");

	OK(egca_ra_material_list(&fx->ctx, &fx->rev, app, &ml, &nm));
	assert_int_equal(nm, 1);
	assert_string_equal(ml[0].id, mid);
	assert_string_equal(ml[0].filename, "营业执照.pdf");
	assert_int_equal(ml[0].size, sizeof(pdf) - 1);
	egca_ra_material_list_free(ml, nm);
	OK(egca_ra_material_get(
	    &fx->ctx, &fx->rev, app, mid, &meta, &data, &len));
	assert_int_equal(len, sizeof(pdf) - 1);
	assert_memory_equal(data, pdf, len);
	egca_store_ra_material_clear(&meta);
	free(data);

	/* Only while submitted. */
	assert_int_equal(
	    egca_ra_material_add(&fx->ctx, &fx->op, app, "other",
	        "application/pdf", "x.pdf", pdf, sizeof(pdf) - 1, mid),
	    EGCA_ERR_STATE);
}

static void
materials(void **state)
{
	struct fx *fx = *state;
	static const uint8_t png[] = {
	    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13};
	static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16};
	struct egca_material_rec meta;
	struct store_val p[2];
	uint8_t *data = NULL, *big;
	size_t len = 0;
	char sub[33], app[33], mid[33], d0[65], d1[65];
	int i;

	fx_enterprise(fx, sub);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d0);
	/* Media must match the magic bytes. */
	assert_int_equal(egca_ra_material_add(&fx->ctx, &fx->op, app, "id-card",
	                     "image/png", "a.png", jpeg, sizeof(jpeg), mid),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "content"));
	assert_int_equal(egca_ra_material_add(&fx->ctx, &fx->op, app, "id-card",
	                     "image/gif", "a.gif", jpeg, sizeof(jpeg), mid),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_ra_material_add(&fx->ctx, &fx->op, app, "selfie",
	                     "image/jpeg", "a.jpg", jpeg, sizeof(jpeg), mid),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_ra_material_add(&fx->ctx, &fx->op, app, "id-card",
	                     "image/jpeg", "../a.jpg", jpeg, sizeof(jpeg), mid),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "filename"));
	assert_int_equal(
	    egca_ra_material_add(&fx->ctx, &fx->op, app, "id-card",
	        "image/jpeg", "a\x01.jpg", jpeg, sizeof(jpeg), mid),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_ra_material_add(&fx->ctx, &fx->op, app, "id-card",
	                     "image/jpeg", "a.jpg", jpeg, 0, mid),
	    EGCA_ERR_INPUT);
	big = calloc(1, EGCA_RA_MATERIAL_MAX + 1);
	assert_non_null(big);
	memcpy(big, jpeg, sizeof(jpeg));
	assert_int_equal(
	    egca_ra_material_add(&fx->ctx, &fx->op, app, "id-card",
	        "image/jpeg", "a.jpg", big, EGCA_RA_MATERIAL_MAX + 1, mid),
	    EGCA_ERR_INPUT);
	free(big);
	/* Nothing written, every refusal audited, digest unchanged. */
	assert_int_equal(fx_count(fx, "app_material"), 0);
	assert_int_equal(fx_audits(fx, "app.material", "failure"), 7);
	fx_digest(fx, app, d1);
	assert_string_equal(d0, d1);

	OK(egca_ra_material_add(&fx->ctx, &fx->op, app, "id-card", "image/png",
	    "a.png", png, sizeof(png), mid));
	for (i = 1; i < EGCA_RA_MATERIALS_PER_APP; i++)
		OK(egca_ra_material_add(&fx->ctx, &fx->op, app, "other",
		    "image/jpeg", "b.jpg", jpeg, sizeof(jpeg), d1));
	assert_int_equal(egca_ra_material_add(&fx->ctx, &fx->op, app, "other",
	                     "image/jpeg", "c.jpg", jpeg, sizeof(jpeg), d1),
	    EGCA_ERR_POLICY);
	assert_int_equal(
	    fx_count(fx, "app_material"), EGCA_RA_MATERIALS_PER_APP);

	/* A changed byte in the store is found on reading. */
	p[0] = egca_store_text(mid);
	p[1] = egca_store_blob(png, sizeof(png) - 1);
	OK(egca_store_exec(fx->st,
	    "UPDATE app_material SET content = $2 WHERE id = $1", p, 2, NULL,
	    NULL, NULL));
	assert_int_equal(egca_ra_material_get(
	                     &fx->ctx, &fx->rev, app, mid, &meta, &data, &len),
	    EGCA_ERR_INTEGRITY);
	assert_null(data);
	/* Another point's reviewer sees nothing. */
	assert_int_equal(egca_ra_material_get(&fx->ctx, &fx->rev_sh, app, mid,
	                     &meta, &data, &len),
	    EGCA_ERR_NOTFOUND);
}

static void
scope(void **state)
{
	struct fx *fx = *state;
	struct egca_subscriber_rec s;
	struct egca_subscriber_rec *sl = NULL;
	struct egca_app_rec r, *al = NULL;
	struct egca_app_result res;
	struct egca_app_new a;
	struct egca_principal applicant, other, viewer;
	char sub[33], sub2[33], app[33], d[65], absent[33];
	char msg_absent[256], msg_scope[256];
	size_t n = 0;

	fx_enterprise(fx, sub);
	fx_enterprise(fx, sub2);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d);
	memset(absent, 'a', 32);
	absent[32] = '\0';

	/* Another point: exactly as if absent. */
	assert_int_equal(egca_ra_subscriber_get(&fx->ctx, &fx->op_sh, sub, &s),
	    EGCA_ERR_NOTFOUND);
	snprintf(msg_scope, sizeof(msg_scope), "%s", egca_err_detail());
	assert_int_equal(
	    egca_ra_subscriber_get(&fx->ctx, &fx->op_sh, absent, &s),
	    EGCA_ERR_NOTFOUND);
	snprintf(msg_absent, sizeof(msg_absent), "%s", egca_err_detail());
	assert_string_equal(msg_scope, msg_absent);
	assert_int_equal(
	    egca_ra_app_get(&fx->ctx, &fx->rev_sh, app, &r), EGCA_ERR_NOTFOUND);
	snprintf(msg_scope, sizeof(msg_scope), "%s", egca_err_detail());
	assert_int_equal(egca_ra_app_get(&fx->ctx, &fx->rev_sh, absent, &r),
	    EGCA_ERR_NOTFOUND);
	assert_string_equal(msg_scope, egca_err_detail());
	assert_string_equal(msg_scope, "no such application");
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev_sh, &fx->env, app, d, &res),
	    EGCA_ERR_NOTFOUND);
	assert_int_equal(fx_audits(fx, "app.approve", "failure"), 1);
	assert_int_equal(
	    egca_ra_app_reject(&fx->ctx, &fx->rev_sh, app, d, "not mine"),
	    EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    egca_ra_app_execute(&fx->ctx, &fx->op_sh, &fx->env, app, &res),
	    EGCA_ERR_NOTFOUND);
	/* Submitting for it: "no such subscriber". */
	memset(&a, 0, sizeof(a));
	a.kind = "revoke";
	a.subscriber = sub;
	a.serial = "01";
	a.reason = "keyCompromise";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op_sh, &a, NULL, d),
	    EGCA_ERR_NOTFOUND);
	assert_string_equal(egca_err_detail(), "no such subscriber");
	assert_int_equal(fx_audits(fx, "app.submit", "failure"), 1);
	fx_state(fx, app, "submitted");

	/* Lists are scoped too. */
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->op_sh, NULL, &sl, &n));
	assert_int_equal(n, 0);
	egca_ra_subscriber_list_free(sl, n);
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->rev, NULL, &sl, &n));
	assert_int_equal(n, 2);
	egca_ra_subscriber_list_free(sl, n);
	OK(egca_ra_app_list(&fx->ctx, &fx->rev_sh, NULL, &al, &n));
	assert_int_equal(n, 0);
	egca_ra_app_list_free(al, n);
	OK(egca_ra_app_list(&fx->ctx, &fx->rev, NULL, &al, &n));
	assert_int_equal(n, 1);
	assert_string_equal(al[0].id, app);
	assert_null(al[0].csr_der);
	egca_ra_app_list_free(al, n);
	/* A system administrator has no RA scope. */
	OK(egca_ra_app_list(&fx->ctx, &fx->sys, NULL, &al, &n));
	assert_int_equal(n, 0);
	egca_ra_app_list_free(al, n);

	/* An applicant sees only its own subscriber. */
	fx_principal(&applicant, "alice", EGCA_ROLE_APPLICANT, NULL);
	snprintf(applicant.subscriber, sizeof(applicant.subscriber), "%s", sub);
	fx_principal(&other, "bob", EGCA_ROLE_APPLICANT, NULL);
	snprintf(other.subscriber, sizeof(other.subscriber), "%s", sub2);
	OK(egca_ra_app_get(&fx->ctx, &applicant, app, &r));
	egca_ra_app_rec_free(&r);
	assert_int_equal(
	    egca_ra_app_get(&fx->ctx, &other, app, &r), EGCA_ERR_NOTFOUND);
	OK(egca_ra_app_list(&fx->ctx, &other, NULL, &al, &n));
	assert_int_equal(n, 0);
	egca_ra_app_list_free(al, n);
	OK(egca_ra_subscriber_get(&fx->ctx, &applicant, sub, &s));
	egca_ra_subscriber_rec_free(&s);
	assert_int_equal(egca_ra_subscriber_get(&fx->ctx, &other, sub, &s),
	    EGCA_ERR_NOTFOUND);
	/* An applicant may submit for itself, not for others. */
	fx_submit_new(fx, &other, sub2, NULL, d);
	a.kind = "new";
	a.serial = NULL;
	a.reason = NULL;
	a.subscriber = sub;
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &other, &a, NULL, d),
	    EGCA_ERR_NOTFOUND);

	/* A department viewer reads only its department. */
	fx_principal(&viewer, "dora", EGCA_ROLE_DEPT_VIEWER, NULL);
	snprintf(viewer.department, sizeof(viewer.department), "x");
	assert_int_equal(egca_ra_subscriber_get(&fx->ctx, &viewer, sub, &s),
	    EGCA_ERR_NOTFOUND);
	/* Anonymous callers: authentication required. */
	memset(&viewer, 0, sizeof(viewer));
	assert_int_equal(
	    egca_ra_app_get(&fx->ctx, &viewer, app, &r), EGCA_ERR_AUTH);
}

static void
reject(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	struct egca_app_rec r;
	char sub[33], app[33], d[65];

	fx_enterprise(fx, sub);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d);
	assert_int_equal(egca_ra_app_reject(&fx->ctx, &fx->rev, app, d, NULL),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_ra_app_reject(&fx->ctx, &fx->rev, app, d, ""), EGCA_ERR_INPUT);
	assert_int_equal(fx_audits(fx, "app.reject", "failure"), 2);
	fx_state(fx, app, "submitted");
	OK(egca_ra_app_reject(
	    &fx->ctx, &fx->rev, app, d, "licence does not match the CSR"));
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, "rejected");
	assert_string_equal(r.reject_reason, "licence does not match the CSR");
	assert_string_equal(r.decided_by, "rita");
	egca_ra_app_rec_free(&r);
	assert_int_equal(fx_audits(fx, "app.reject", "success"), 1);
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev2, &fx->env, app, d, &res),
	    EGCA_ERR_STATE);
	assert_int_equal(
	    egca_ra_app_execute(&fx->ctx, &fx->rev2, &fx->env, app, &res),
	    EGCA_ERR_STATE);
	assert_int_equal(fx_count(fx, "certificate"), 0);
}

/* Submits kind for serial (with csr when key is given) and approves. */
static enum egca_err
act(struct fx *fx, const char *kind, const char *sub, const char *serial,
    EVP_PKEY *key, const char *reason, struct egca_app_result *res,
    char app[33])
{
	struct egca_app_new a;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	char d[65];
	enum egca_err e;

	memset(res, 0, sizeof(*res));
	memset(&a, 0, sizeof(a));
	if (key != NULL)
		fx_csr(
		    key, "C=CN,O=Beijing Test Tech,CN=Signer", &csr, &csr_len);
	a.kind = kind;
	a.subscriber = sub;
	a.serial = serial;
	a.reason = reason;
	a.csr_der = csr;
	a.csr_len = csr_len;
	if (strcmp(kind, "update") == 0)
		a.profile = "org-sign";
	e = egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app);
	free(csr);
	if (e != EGCA_OK)
		return e;
	fx_digest(fx, app, d);
	return egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, res);
}

static void
same_spki(struct fx *fx, const char *a, const char *b, int want)
{
	struct egca_cert_rec ca, cb;
	struct egca_cert_info ia, ib;

	OK(egca_store_cert_get(fx->st, "root", a, &ca));
	OK(egca_store_cert_get(fx->st, "root", b, &cb));
	OK(egca_pki_cert_info(ca.der, ca.der_len, &ia));
	OK(egca_pki_cert_info(cb.der, cb.der_len, &ib));
	assert_int_equal(ia.spki_der_len == ib.spki_der_len &&
	        memcmp(ia.spki_der, ib.spki_der, ia.spki_der_len) == 0,
	    want);
	egca_pki_cert_info_free(&ia);
	egca_pki_cert_info_free(&ib);
	egca_store_cert_rec_free(&ca);
	egca_store_cert_rec_free(&cb);
}

static void
update_extend(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result first, res, res2;
	struct egca_cert_rec c;
	EVP_PKEY *key = NULL, *key2 = fx_key();
	char sub[33], app[33], st[16];
	int64_t apps;

	fx_enterprise(fx, sub);
	fx_issue(fx, sub, &key, &first);

	/* update (re-key) with the same key: refused at submission. */
	apps = fx_count(fx, "application");
	assert_int_equal(
	    act(fx, "update", sub, first.serial, key, NULL, &res, app),
	    EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "new key"));
	/* extend with another key: refused too. */
	assert_int_equal(
	    act(fx, "extend", sub, first.serial, key2, NULL, &res, app),
	    EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "keeps the key"));
	assert_int_equal(fx_count(fx, "application"), apps);
	assert_int_equal(fx_audits(fx, "app.submit", "failure"), 2);

	/* extend: same key, new certificate, old one superseded. */
	OK(act(fx, "extend", sub, first.serial, key, NULL, &res, app));
	assert_int_not_equal(res.serial[0], '\0');
	assert_string_not_equal(res.serial, first.serial);
	assert_int_equal(strlen(res.revocation_code), 24);
	same_spki(fx, first.serial, res.serial, 1);
	OK(egca_store_cert_get(fx->st, "root", first.serial, &c));
	assert_string_equal(c.status, "revoked");
	assert_int_equal(c.reason, 4);
	egca_store_cert_rec_free(&c);
	assert_string_equal(fx_cert_status(fx, res.serial, st), "good");
	fx_state(fx, app, "executed");

	/* update: a new key; the extended one is superseded. */
	OK(act(fx, "update", sub, res.serial, key2, NULL, &res2, app));
	same_spki(fx, res.serial, res2.serial, 0);
	OK(egca_store_cert_get(fx->st, "root", res.serial, &c));
	assert_string_equal(c.status, "revoked");
	assert_int_equal(c.reason, 4);
	egca_store_cert_rec_free(&c);
	fx_state(fx, app, "executed");

	/* The superseded one cannot be acted on any more. */
	egca_ra_app_result_free(&res);
	assert_int_equal(
	    act(fx, "extend", sub, first.serial, key, NULL, &res, app),
	    EGCA_ERR_STATE);
	egca_ra_app_result_free(&first);
	egca_ra_app_result_free(&res2);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
}

static void
hold_unhold_revoke(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result first, other, res;
	struct egca_cert_rec c;
	char sub[33], sub2[33], app[33], st[16];

	fx_enterprise(fx, sub);
	fx_enterprise(fx, sub2);
	fx_issue(fx, sub, NULL, &first);
	fx_issue(fx, sub2, NULL, &other);

	/* Another subscriber's certificate: no such certificate. */
	assert_int_equal(
	    act(fx, "hold", sub, other.serial, NULL, NULL, &res, app),
	    EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    act(fx, "unhold", sub, first.serial, NULL, NULL, &res, app),
	    EGCA_ERR_STATE);
	assert_int_equal(
	    act(fx, "revoke", sub, first.serial, NULL, NULL, &res, app),
	    EGCA_ERR_INPUT);
	assert_int_equal(act(fx, "revoke", sub, first.serial, NULL,
	                     "certificateHold", &res, app),
	    EGCA_ERR_INPUT);

	OK(act(fx, "hold", sub, first.serial, NULL, NULL, &res, app));
	assert_string_equal(res.serial, "");
	assert_string_equal(fx_cert_status(fx, first.serial, st), "hold");
	fx_state(fx, app, "executed");
	OK(act(fx, "unhold", sub, first.serial, NULL, NULL, &res, app));
	assert_string_equal(fx_cert_status(fx, first.serial, st), "good");
	OK(act(fx, "revoke", sub, first.serial, NULL, "affiliationChanged",
	    &res, app));
	OK(egca_store_cert_get(fx->st, "root", first.serial, &c));
	assert_string_equal(c.status, "revoked");
	assert_int_equal(c.reason, 3);
	egca_store_cert_rec_free(&c);
	assert_string_equal(fx_cert_status(fx, other.serial, st), "good");
	assert_int_equal(fx_audits(fx, "cert.hold", "success"), 1);
	assert_int_equal(fx_audits(fx, "cert.unhold", "success"), 1);
	assert_int_equal(fx_audits(fx, "cert.revoke", "success"), 1);
	egca_ra_app_result_free(&first);
	egca_ra_app_result_free(&other);
}

static void
needs_km(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result first, res;
	struct egca_app_new a;
	struct egca_app_rec r;
	EVP_PKEY *key = NULL;
	uint8_t *csr;
	size_t csr_len;
	char sub[33], app[33], d[65];

	fx_enterprise(fx, sub);
	fx_issue(fx, sub, &key, &first);

	/*
	 * recover names the ENCRYPTION certificate of a dual pair: a
	 * signing certificate is refused at submission, audited, nothing
	 * stored. (Recovery with a KM: tests/integration/test_dual.sh.)
	 */
	fx_csr(key, "C=CN,O=Beijing Test Tech,CN=Signer", &csr, &csr_len);
	memset(&a, 0, sizeof(a));
	a.kind = "recover";
	a.subscriber = sub;
	a.serial = first.serial;
	a.csr_der = csr;
	a.csr_len = csr_len;
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "serial: "));
	assert_non_null(strstr(egca_err_detail(), "encryption certificate"));
	assert_int_equal(fx_audits(fx, "app.submit", "failure"), 1);
	(void)r;

	/* new with a sign+enc pair. */
	memset(&a, 0, sizeof(a));
	a.kind = "new";
	a.subscriber = sub;
	a.profile = "org-sign";
	a.enc_profile = "org-enc";
	a.csr_der = csr;
	a.csr_len = csr_len;
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app));
	fx_digest(fx, app, d);
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev, &fx->env, app, d, &res),
	    EGCA_ERR_STATE);
	assert_non_null(strstr(egca_err_detail(),
	    "a dual certificate needs the key management centre (KM)"));
	fx_state(fx, app, "failed");
	/* An enc profile as the sign profile is refused at submission. */
	a.profile = "org-enc";
	a.enc_profile = NULL;
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_POLICY);
	/* So is a profile for another kind of subscriber. */
	a.profile = "individual-sign";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_POLICY);
	free(csr);
	assert_int_equal(fx_count(fx, "certificate"), 1);
	egca_ra_app_result_free(&first);
	EVP_PKEY_free(key);
}

static void
retry_after_failure(void **state)
{
	struct fx *fx = *state;
	struct egca_ra_env closed = {NULL, NULL, NULL};
	struct egca_app_result res;
	struct egca_app_rec r;
	char sub[33], app[33], d[65];

	fx_enterprise(fx, sub);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d);
	/* No CA key at hand: approved, execution fails and is recorded. */
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev, &closed, app, d, &res),
	    EGCA_ERR_STATE);
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, "failed");
	assert_int_equal(r.approvals, 1);
	assert_non_null(r.result_error);
	egca_ra_app_rec_free(&r);
	assert_int_equal(fx_count(fx, "certificate"), 0);
	/* An applicant may not execute; an operator may, once. */
	OK(egca_ra_app_execute(&fx->ctx, &fx->op2, &fx->env, app, &res));
	assert_int_not_equal(res.serial[0], '\0');
	egca_ra_app_result_free(&res);
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &r));
	assert_string_equal(r.state, "executed");
	assert_null(r.result_error);
	egca_ra_app_rec_free(&r);
	assert_int_equal(
	    egca_ra_app_execute(&fx->ctx, &fx->op2, &fx->env, app, &res),
	    EGCA_ERR_STATE);
	assert_int_equal(fx_count(fx, "certificate"), 1);
}

/* Sets an application's state (and result_serial) behind ra/'s back. */
static void
force(struct fx *fx, const char *app, const char *state,
    const char *result_serial, int64_t updated_at)
{
	struct store_val p[4];

	p[0] = egca_store_text(app);
	p[1] = egca_store_text(state);
	p[2] = egca_store_text(result_serial);
	p[3] = egca_store_int(updated_at);
	OK(egca_store_exec(fx->st,
	    "UPDATE application SET state = $2, result_serial = $3,"
	    " updated_at = $4 WHERE id = $1",
	    p, 4, NULL, NULL, NULL));
}

/*
 * The recovery rule (exec.c): an execution that crashed stays
 * 'executing'; it is claimed again only after RA_EXEC_STALE seconds. An
 * update whose new certificate was stored before the crash only
 * supersedes the old one, with a fresh revocation code.
 */
static void
crash_recovery(void **state)
{
	struct fx *fx = *state;
	struct egca_ra_env closed = {NULL, NULL, NULL};
	struct egca_app_result first, fresh, res;
	struct egca_cert_rec c;
	EVP_PKEY *key2 = fx_key();
	char sub[33], app[33], d[65], h1[65], h2[65];
	int64_t now = (int64_t)time(NULL), certs;

	fx_enterprise(fx, sub);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d);
	assert_int_equal(
	    egca_ra_app_approve(&fx->ctx, &fx->rev, &closed, app, d, &res),
	    EGCA_ERR_STATE);
	/* A crash in the middle, just now: someone else is on it. */
	force(fx, app, "executing", NULL, now);
	assert_int_equal(
	    egca_ra_app_execute(&fx->ctx, &fx->op, &fx->env, app, &res),
	    EGCA_ERR_STATE);
	assert_int_equal(fx_count(fx, "certificate"), 0);
	/* Long ago: nothing was committed, it is done again. */
	force(fx, app, "executing", NULL, now - 3600);
	OK(egca_ra_app_execute(&fx->ctx, &fx->op, &fx->env, app, &first));
	fx_state(fx, app, "executed");
	assert_int_equal(fx_count(fx, "certificate"), 1);

	/* update: its new certificate stored, then a crash. */
	fx_issue(fx, sub, NULL, &fresh);
	OK(egca_store_ra_code_get(fx->st, "root", fresh.serial, h1));
	certs = fx_count(fx, "certificate");
	assert_int_equal(
	    act(fx, "update", sub, first.serial, key2, NULL, &res, app),
	    EGCA_OK);
	egca_ra_app_result_free(&res);
	/* Pretend the update stopped after storing "fresh". */
	{
		struct store_val p[2];

		p[0] = egca_store_text(first.serial);
		p[1] = egca_store_text("good");
		OK(egca_store_exec(fx->st,
		    "UPDATE certificate SET status = $2, reason = -1,"
		    " revoked_at = 0 WHERE serial = $1",
		    p, 2, NULL, NULL, NULL));
	}
	force(fx, app, "executing", fresh.serial, now - 3600);
	certs = fx_count(fx, "certificate");
	OK(egca_ra_app_execute(&fx->ctx, &fx->op, &fx->env, app, &res));
	assert_string_equal(res.serial, fresh.serial);
	assert_non_null(res.der);
	assert_int_equal(strlen(res.revocation_code), 24);
	/* No new certificate; the old one superseded; a new code. */
	assert_int_equal(fx_count(fx, "certificate"), certs);
	OK(egca_store_cert_get(fx->st, "root", first.serial, &c));
	assert_string_equal(c.status, "revoked");
	assert_int_equal(c.reason, 4);
	egca_store_cert_rec_free(&c);
	OK(egca_store_ra_code_get(fx->st, "root", fresh.serial, h2));
	assert_string_not_equal(h1, h2);
	fx_state(fx, app, "executed");
	egca_ra_app_result_free(&res);
	egca_ra_app_result_free(&first);
	egca_ra_app_result_free(&fresh);
	EVP_PKEY_free(key2);
}

static void
submit_checks(void **state)
{
	struct fx *fx = *state;
	struct egca_app_new a;
	uint8_t *csr, bad[64];
	size_t csr_len;
	char sub[33], app[33];
	EVP_PKEY *key = fx_key();
	int64_t apps;

	fx_enterprise(fx, sub);
	fx_csr(key, "C=CN,O=Beijing Test Tech,CN=Signer", &csr, &csr_len);
	apps = fx_count(fx, "application");
	memset(&a, 0, sizeof(a));
	a.subscriber = sub;
	a.profile = "org-sign";
	a.csr_der = csr;
	a.csr_len = csr_len;
	a.kind = "renew";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	a.kind = "new";
	a.profile = NULL;
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "profile"));
	a.profile = "no-such-profile";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	a.profile = "root";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_POLICY);
	a.profile = "org-sign";
	a.ca = "nope";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_NOTFOUND);
	assert_non_null(strstr(egca_err_detail(), "ca:"));
	a.ca = NULL;
	memcpy(bad, csr, sizeof(bad));
	a.csr_der = bad;
	a.csr_len = sizeof(bad);
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "csr:"));
	a.csr_der = csr;
	a.csr_len = csr_len;
	a.serial = "01";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	a.serial = NULL;
	a.subject = "CN=";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	a.subject = NULL;
	a.validity_days = 5000;
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	a.validity_days = 0;
	a.note = "bell\a";
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app),
	    EGCA_ERR_INPUT);
	a.note = NULL;
	/* A reviewer does not submit. */
	assert_int_equal(egca_ra_app_submit(&fx->ctx, &fx->rev, &a, NULL, app),
	    EGCA_ERR_POLICY);
	assert_int_equal(fx_count(fx, "application"), apps);
	assert_int_equal(fx_audits(fx, "app.submit", "failure"), 11);
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, NULL, app));
	free(csr);
	EVP_PKEY_free(key);
}

static void
idempotency(void **state)
{
	struct fx *fx = *state;
	struct egca_app_new a;
	uint8_t *csr;
	size_t csr_len;
	char sub[33], app1[33], app2[33];
	EVP_PKEY *key = fx_key();

	fx_enterprise(fx, sub);
	fx_csr(key, "C=CN,O=Beijing Test Tech,CN=Signer", &csr, &csr_len);
	memset(&a, 0, sizeof(a));
	a.kind = "new";
	a.subscriber = sub;
	a.profile = "org-sign";
	a.csr_der = csr;
	a.csr_len = csr_len;
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, "req-0001", app1));
	OK(egca_ra_app_submit(&fx->ctx, &fx->op, &a, "req-0001", app2));
	assert_string_equal(app1, app2);
	assert_int_equal(fx_count(fx, "application"), 1);
	assert_int_equal(fx_audits(fx, "app.submit", "success"), 1);
	/* Same key, other content. */
	a.note = "changed";
	assert_int_equal(
	    egca_ra_app_submit(&fx->ctx, &fx->op, &a, "req-0001", app2),
	    EGCA_ERR_CONFLICT);
	assert_string_equal(egca_err_detail(),
	    "Idempotency-Key reused with a different request");
	assert_int_equal(fx_count(fx, "application"), 1);
	/* The key is the caller's: another operator may use it. */
	OK(egca_ra_app_submit(&fx->ctx, &fx->op2, &a, "req-0001", app2));
	assert_string_not_equal(app1, app2);
	/* Keys are 1..128 printable ASCII. */
	assert_int_equal(
	    egca_ra_app_submit(&fx->ctx, &fx->op, &a, "bad\nkey", app2),
	    EGCA_ERR_INPUT);
	assert_int_equal(fx_count(fx, "application"), 2);
	free(csr);
	EVP_PKEY_free(key);
}

/* ---- eight reviewers at once ---- */

struct racer {
	struct fx *fx;
	const char *app, *digest;
	struct egca_principal p;
	enum egca_err e;
	pthread_barrier_t *go;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct egca_store *st = NULL;
	struct egca_ctx ctx;
	struct egca_app_result res;

	r->e = egca_store_open(r->fx->cfg->store_uri, 0, &st);
	pthread_barrier_wait(r->go);
	if (r->e != EGCA_OK)
		return NULL;
	ctx = (struct egca_ctx){r->fx->cfg, st, r->p.actor};
	r->e = egca_ra_app_approve(
	    &ctx, &r->p, &r->fx->env, r->app, r->digest, &res);
	egca_ra_app_result_free(&res);
	egca_store_close(st);
	return NULL;
}

static void
concurrent_approvals(void **state)
{
	struct fx *fx = *state;
	struct racer r[8];
	pthread_t t[8];
	pthread_barrier_t go;
	struct egca_app_rec rec;
	char sub[33], app[33], d[65], name[16];
	int i, ok = 0, busy = 0;

	fx_approvals(fx, 3);
	fx_enterprise(fx, sub);
	fx_submit_new(fx, &fx->op, sub, NULL, app);
	fx_digest(fx, app, d);
	pthread_barrier_init(&go, NULL, 8);
	for (i = 0; i < 8; i++) {
		r[i].fx = fx;
		r[i].app = app;
		r[i].digest = d;
		r[i].go = &go;
		snprintf(name, sizeof(name), "reviewer%u", (unsigned)i % 8u);
		fx_principal(&r[i].p, name, EGCA_ROLE_RA_REVIEWER, "bj");
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		if (r[i].e == EGCA_OK)
			ok++;
		else if (r[i].e == EGCA_ERR_STATE)
			busy++;
	}
	pthread_barrier_destroy(&go);
	/* Three approvals counted (the third executed); the rest late. */
	assert_int_equal(ok, 3);
	assert_int_equal(busy, 5);
	assert_int_equal(fx_count(fx, "certificate"), 1);
	assert_int_equal(fx_count(fx, "app_approval"), 3);
	assert_int_equal(fx_audits(fx, "app.execute", "success"), 1);
	OK(egca_ra_app_get(&fx->ctx, &fx->rev, app, &rec));
	assert_string_equal(rec.state, "executed");
	assert_int_equal(rec.approvals, 3);
	egca_ra_app_rec_free(&rec);
}

static void
config_ra(void **state)
{
	struct fx *fx = *state;
	struct egca_config *cfg = NULL;
	char path[1300];
	static const char good[] =
	    "{\"version\": 1, \"default_ca\": \"root\", \"ra\": {\"approvals\":"
	    " {\"new\": 2, \"recover\": 3}}}";
	static const char *const bad[] = {
	    "{\"version\": 1, \"ra\": {\"approvals\": {\"renew\": 2}}}",
	    "{\"version\": 1, \"ra\": {\"approvals\": {\"new\": 6}}}",
	    "{\"version\": 1, \"ra\": {\"approvals\": {\"new\": 0}}}",
	    "{\"version\": 1, \"ra\": {\"quorum\": 2}}",
	    "{\"version\": 1, \"ra\": []}",
	};
	size_t i;

	snprintf(path, sizeof(path), "%s/egca.conf", fx->dir);
	OK(egca_file_write_atomic(path, good, strlen(good), 0640));
	OK(egca_config_load(fx->dir, &cfg));
	assert_int_equal(cfg->ra.approvals_new, 2);
	assert_int_equal(cfg->ra.approvals_recover, 3);
	assert_int_equal(cfg->ra.approvals_revoke, 1);
	egca_config_free(cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		OK(egca_file_write_atomic(path, bad[i], strlen(bad[i]), 0640));
		assert_int_equal(
		    egca_config_load(fx->dir, &cfg), EGCA_ERR_INPUT);
		assert_non_null(strstr(egca_err_detail(), "ra"));
	}
	/* Defaults: 1, recover 2. */
	assert_int_equal(fx->cfg->ra.approvals_new, 1);
	assert_int_equal(fx->cfg->ra.approvals_recover, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	    T(new_end_to_end),
	    T(four_eyes),
	    T(m_of_n),
	    T(stale_digest),
	    T(materials),
	    T(scope),
	    T(reject),
	    T(update_extend),
	    T(hold_unhold_revoke),
	    T(needs_km),
	    T(retry_after_failure),
	    T(crash_recovery),
	    T(submit_checks),
	    T(idempotency),
	    T(concurrent_approvals),
	    T(config_ra),
#undef T
	};

	return fx_run("ra_app", tests, sizeof(tests) / sizeof(tests[0]));
}
