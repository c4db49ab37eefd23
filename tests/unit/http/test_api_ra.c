/*
 * Unit tests for src/http/api_ra.c.
 *
 * Shape: the request checks every RA handler makes before it calls the
 * service (strict query, strict body, media types, the loss report's
 * either-or), each answered with a problem naming the parameter or
 * member at fault; these paths never touch the store (r->app is NULL:
 * reaching it would crash the test).
 *
 * Flow: the handlers over a real SQLite store, a root CA and the status
 * service (the issuer execution uses), called with principals made up
 * here (authorisation by route is server.c's): points, subscribers with
 * idempotency, scope (another point's operator gets 404), an
 * application with a material, four eyes, a stale digest, execution
 * with the certificate and the revocation code, a loss report with that
 * code and its confirmation. tests/integration/test_ra.sh and
 * test_loss.sh do all of it again over HTTP with real logins, on both
 * backends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "egca/ca.h"
#include "egca/config.h"
#include "egca/crypto.h"
#include "egca/file.h"
#include "egca/pki.h"
#include "egca/ra.h"
#include "egca/status.h"
#include "egca/store.h"
#include "http/http_int.h"

static struct egca_principal principal = {
    .name = "alice", .actor = "operator:alice"};
static const struct egca_http_caller caller = {
    "operator:alice", "ra-operator", NULL, &principal};

struct call {
	const char *query;
	const char *ctype;
	const char *body;
};

/*
 * Runs fn on the request; returns the status and copies the problem's
 * code and param ("" when none).
 */
static unsigned
run(http_handler fn, const struct call *c, char code[64], char param[64])
{
	struct http_req r;
	struct http_resp out;
	json_t *j;
	json_error_t err;
	unsigned st;

	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	r.method = "POST";
	r.path = "/api/v1/test";
	r.rid = "t-1";
	r.query = c->query;
	r.content_type = c->ctype;
	r.body = (const uint8_t *)c->body;
	r.body_len = c->body != NULL ? strlen(c->body) : 0;
	r.param[0] = "0123456789abcdef0123456789abcdef";
	r.param[1] = "fedcba9876543210fedcba9876543210";
	r.nparam = 2;
	r.source = "127.0.0.1";
	fn(&r, &caller, &out);
	st = out.status;
	code[0] = param[0] = '\0';
	assert_non_null(out.body);
	j = json_loadb((const char *)out.body, out.len, 0, &err);
	assert_non_null(j);
	if (json_is_string(json_object_get(j, "code")))
		snprintf(code, 64, "%s",
		    json_string_value(json_object_get(j, "code")));
	if (json_is_string(json_object_get(j, "param")))
		snprintf(param, 64, "%s",
		    json_string_value(json_object_get(j, "param")));
	json_decref(j);
	http_resp_clear(&out);
	return st;
}

#define J "application/json"

static void
expect(
    http_handler fn, const struct call *c, unsigned status, const char *param)
{
	char code[64], p[64];

	assert_int_equal(run(fn, c, code, p), status);
	if (param != NULL)
		assert_string_equal(p, param);
	if (status == 400)
		assert_true(strcmp(code, "EGCA-BAD-PARAM") == 0 ||
		    strcmp(code, "EGCA-BAD-REQUEST") == 0);
}

static void
test_points(void **state)
{
	(void)state;
	expect(http_point_create,
	    &(struct call){NULL, J,
	        "{\"id\":\"p1\",\"name\":\"P\",\"home_region\":\"110000\","
	        "\"colour\":1}"},
	    400, "colour");
	expect(http_point_create,
	    &(struct call){NULL, J, "{\"id\":\"p1\",\"name\":\"P\"}"}, 400,
	    "home_region");
	expect(http_point_create,
	    &(struct call){NULL, J,
	        "{\"id\":\"p1\",\"name\":\"P\",\"home_region\":110000}"},
	    400, "home_region");
	expect(http_point_create,
	    &(struct call){NULL, "text/plain",
	        "{\"id\":\"p1\",\"name\":\"P\",\"home_region\":\"110000\"}"},
	    415, "");
	expect(http_point_create,
	    &(struct call){"x=1", J,
	        "{\"id\":\"p1\",\"name\":\"P\",\"home_region\":\"110000\"}"},
	    400, "x");
	expect(
	    http_point_list, &(struct call){"page=1", NULL, NULL}, 400, "page");
	expect(http_point_region,
	    &(struct call){NULL, J, "{\"approval\":\"x\"}"}, 400, "region");
}

static void
test_subscribers(void **state)
{
	(void)state;
	expect(http_subscriber_create,
	    &(struct call){NULL, J,
	        "{\"type\":\"individual\",\"name\":\"Zhang San\","
	        "\"id_card\":11010519491231002,\"region\":\"110105\"}"},
	    400, "id_card");
	expect(http_subscriber_create,
	    &(struct call){
	        NULL, J, "{\"type\":\"individual\",\"name\":\"Zhang San\"}"},
	    400, "region");
	expect(http_subscriber_create,
	    &(struct call){NULL, J,
	        "{\"type\":\"individual\",\"name\":\"Zhang\\u0007\","
	        "\"region\":\"110105\"}"},
	    400, "name");
	expect(http_subscriber_list, &(struct call){"per_page=0", NULL, NULL},
	    400, "per_page");
	expect(http_subscriber_list,
	    &(struct call){"per_page=1001", NULL, NULL}, 400, "per_page");
	expect(http_subscriber_list, &(struct call){"page=x", NULL, NULL}, 400,
	    "page");
	expect(http_subscriber_list, &(struct call){"sort=x", NULL, NULL}, 400,
	    "sort");
	expect(
	    http_subscriber_get, &(struct call){"a=b", NULL, NULL}, 400, "a");
}

static const char two_csrs[] =
    "{\"kind\":\"new\",\"subscriber\":\"0123456789abcdef0123456789abcdef\","
    "\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nMAA=\\n-----END "
    "CERTIFICATE REQUEST-----\\n-----BEGIN CERTIFICATE "
    "REQUEST-----\\nMAA=\\n-----END CERTIFICATE REQUEST-----\\n\"}";

static void
test_applications(void **state)
{
	(void)state;
	expect(http_app_submit,
	    &(struct call){NULL, J,
	        "{\"kind\":\"new\",\"subscriber\":\"0123456789abcdef0123456789"
	        "abcdef\",\"validity_days\":-1}"},
	    400, "validity_days");
	expect(http_app_submit,
	    &(struct call){NULL, J,
	        "{\"kind\":\"new\",\"subscriber\":\"0123456789abcdef0123456789"
	        "abcdef\",\"validity_days\":\"30\"}"},
	    400, "validity_days");
	expect(http_app_submit, &(struct call){NULL, J, two_csrs}, 400, "csr");
	expect(http_app_submit, &(struct call){NULL, J, "{\"kind\":\"new\"}"},
	    400, "subscriber");
	expect(http_app_submit, &(struct call){NULL, J, "[]"}, 400, "");
	expect(http_app_submit, &(struct call){NULL, J, "{\"kind\":"}, 400, "");
	expect(http_app_list, &(struct call){"state=x&state=y", NULL, NULL},
	    400, "state");
	expect(http_app_get, &(struct call){"x=1", NULL, NULL}, 400, "x");
}

static void
test_materials(void **state)
{
	(void)state;
	/* type is required; the media type must be one of three. */
	expect(http_material_add,
	    &(struct call){"filename=a.pdf", "application/pdf", "%PDF-1.4"},
	    400, "type");
	expect(http_material_add,
	    &(struct call){"type=id-card", "text/html", "<html>"}, 415, "");
	expect(http_material_add,
	    &(struct call){"type=id-card", NULL, "%PDF-1.4"}, 415, "");
	expect(http_material_add,
	    &(struct call){
	        "type=id-card&colour=1", "application/pdf", "%PDF-1.4"},
	    400, "colour");
	expect(http_material_list, &(struct call){"x=1", NULL, NULL}, 400, "x");
	expect(http_material_get, &(struct call){"x=1", NULL, NULL}, 400, "x");
}

static void
test_decisions(void **state)
{
	(void)state;
	expect(http_app_approve, &(struct call){NULL, J, "{}"}, 400, "digest");
	expect(http_app_approve, &(struct call){NULL, J, ""}, 400, "digest");
	expect(http_app_approve,
	    &(struct call){NULL, J, "{\"digest\":\"ab\",\"extra\":true}"}, 400,
	    "extra");
	expect(http_app_reject, &(struct call){NULL, J, "{\"digest\":\"ab\"}"},
	    400, "reason");
	expect(http_app_execute, &(struct call){NULL, J, "{\"force\":true}"},
	    400, "force");
	expect(
	    http_loss_confirm, &(struct call){NULL, J, "{\"x\":1}"}, 400, "x");
}

static void
test_loss(void **state)
{
	(void)state;
	expect(http_loss_report,
	    &(struct call){NULL, J,
	        "{\"serial\":\"0a\",\"revocation_code\":\"x\","
	        "\"signature\":\"AAAA\",\"time\":1}"},
	    400, "revocation_code");
	expect(http_loss_report, &(struct call){NULL, J, "{\"serial\":\"0a\"}"},
	    400, "revocation_code");
	expect(http_loss_report,
	    &(struct call){
	        NULL, J, "{\"serial\":\"0a\",\"signature\":\"AAAA\"}"},
	    400, "time");
	expect(http_loss_report,
	    &(struct call){
	        NULL, J, "{\"serial\":\"0a\",\"signature\":\"A\",\"time\":1}"},
	    400, "signature");
	expect(http_loss_report,
	    &(struct call){
	        NULL, J, "{\"serial\":\"xyz\",\"revocation_code\":\"x\"}"},
	    400, "serial");
	expect(http_loss_report,
	    &(struct call){NULL, J,
	        "{\"serial\":\"0a\",\"revocation_code\":\"x\",\"time\":\"1\"}"},
	    400, "time");
	expect(http_loss_list, &(struct call){"limit=0", NULL, NULL}, 400,
	    "limit");
}

/* ---- the handlers over a real store ---- */

#define OK(x) assert_int_equal((x), EGCA_OK)

static const char pass[] = "correct horse battery staple";

struct fx {
	char dir[1200];
	struct egca_config *cfg;
	struct egca_store *st;
	struct egca_status *status;
	struct egca_store_pool *pool;
	struct http_app app;
};

static struct fx *fx;

static int
flow_setup(void **state)
{
	struct egca_ca_create_opts o;
	struct egca_status_config sc;
	struct egca_ctx ctx;
	const char *tmp = getenv("EGCA_TEST_TMP");
	char prof[1300];

	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/api_ra-%ld", tmp ? tmp : "/tmp",
	    (long)getpid());
	snprintf(prof, sizeof(prof), "%s/profiles", fx->dir);
	if (egca_file_mkdirs(fx->dir, 0750) != EGCA_OK ||
	    symlink(EGCA_SOURCE_DIR "/profiles", prof) != 0 ||
	    egca_config_create(fx->dir, NULL, NULL, "root") != EGCA_OK ||
	    egca_config_load(fx->dir, &fx->cfg) != EGCA_OK ||
	    egca_store_open(fx->cfg->store_uri, 1, &fx->st) != EGCA_OK)
		goto fail;
	ctx = (struct egca_ctx){fx->cfg, fx->st, "test"};
	memset(&o, 0, sizeof(o));
	o.name = "root";
	o.alg = EGCA_KEY_SM2;
	o.subject = "C=CN,O=Test,CN=API RA Unit Root";
	o.validity_days = 3650;
	o.pass = pass;
	o.pass_len = strlen(pass);
	if (egca_ca_create(&ctx, &o) != EGCA_OK)
		goto fail;
	egca_status_config_default(&sc);
	if (egca_status_open(&ctx, &sc, pass, strlen(pass), &fx->status) !=
	        EGCA_OK ||
	    egca_store_pool_new(fx->cfg->store_uri, 2, &fx->pool) != EGCA_OK)
		goto fail;
	fx->app.cfg = fx->cfg;
	fx->app.status = fx->status;
	fx->app.pool = fx->pool;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", egca_err_detail());
	return -1;
}

static int
flow_teardown(void **state)
{
	(void)state;
	egca_store_pool_free(fx->pool);
	egca_status_free(fx->status);
	egca_store_close(fx->st);
	egca_config_free(fx->cfg);
	free(fx);
	return 0;
}

static struct egca_principal *
who(const char *name, unsigned roles, const char *point)
{
	struct egca_principal *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->actor, sizeof(p->actor), "operator:%s", name);
	snprintf(p->point, sizeof(p->point), "%s", point ? point : "");
	p->roles = roles;
	p->mfa = 1;
	return p;
}

/* One request's answer: status, JSON body (or NULL), headers kept. */
struct ans {
	unsigned status;
	json_t *j;
	struct http_resp out;
};

static void
ans_free(struct ans *a)
{
	json_decref(a->j);
	http_resp_clear(&a->out);
	memset(a, 0, sizeof(*a));
}

static const char *
ans_header(const struct ans *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->out.nhdr; i++)
		if (strcmp(a->out.hdr[i].name, name) == 0)
			return a->out.hdr[i].value;
	return NULL;
}

static const char *
ans_str(const struct ans *a, const char *name)
{
	return json_string_value(json_object_get(a->j, name));
}

static void
req(struct ans *a, http_handler fn, const struct egca_principal *p,
    const char *query, const char *ctype, const void *body, size_t len,
    const char *p0, const char *p1, const char *idem)
{
	struct egca_http_caller c = {p->actor, "", NULL, p};
	struct http_req r;

	memset(&r, 0, sizeof(r));
	memset(a, 0, sizeof(*a));
	r.app = &fx->app;
	r.method = body != NULL ? "POST" : "GET";
	r.path = "/api/v1/x";
	r.rid = "flow-1";
	r.query = query;
	r.content_type = ctype;
	r.body = body;
	r.body_len = body != NULL && len == 0 ? strlen(body) : len;
	r.param[0] = p0;
	r.param[1] = p1;
	r.nparam = p1 ? 2 : p0 ? 1 : 0;
	r.idem_key = idem;
	r.source = "127.0.0.1";
	r.now = (int64_t)time(NULL);
	fn(&r, &c, &a->out);
	a->status = a->out.status;
	if (a->out.ctype != NULL && strstr(a->out.ctype, "json") != NULL)
		a->j =
		    json_loadb((const char *)a->out.body, a->out.len, 0, NULL);
	if (a->status >= 400 && getenv("VERBOSE") != NULL)
		fprintf(stderr, "%u %.*s\n", a->status, (int)a->out.len,
		    (const char *)a->out.body);
}

#define POSTJ(a, fn, p, body, p0, idem)                                        \
	req((a), (fn), (p), NULL, J, (body), 0, (p0), NULL, (idem))
#define GET(a, fn, p, q, p0, p1)                                               \
	req((a), (fn), (p), (q), NULL, NULL, 0, (p0), (p1), NULL)

/* An SM2 CSR in PEM, signed with the GM/T default user ID. */
static char *
make_csr(const char *subj)
{
	struct egca_signer *sg = NULL;
	struct egca_buf tbs, csr, pem;
	uint8_t *name = NULL, sig[256];
	size_t name_len, spki_len, sig_len = sizeof(sig);
	const uint8_t *spki;
	char *out;

	egca_buf_init(&tbs, 1 << 16);
	egca_buf_init(&csr, 1 << 16);
	egca_buf_init(&pem, 1 << 16);
	OK(egca_signer_generate(EGCA_KEY_SM2, 0, EGCA_SIGN_CSR, &sg));
	OK(egca_pki_name_parse(subj, &name, &name_len));
	spki = egca_signer_get0_spki(sg, &spki_len);
	OK(egca_pki_csr_build_tbs(name, name_len, spki, spki_len, &tbs));
	OK(egca_signer_sign(
	    sg, EGCA_SIGN_CSR, tbs.data, tbs.len, sig, &sig_len));
	OK(egca_pki_signed_assemble(
	    tbs.data, tbs.len, egca_signer_sig_alg(sg), sig, sig_len, &csr));
	OK(egca_pki_pem_encode(csr.data, csr.len, "CERTIFICATE REQUEST", &pem));
	OK(egca_buf_append(&pem, "", 1));
	out = strdup((const char *)pem.data);
	free(name);
	egca_signer_free(sg);
	egca_buf_free(&tbs);
	egca_buf_free(&csr);
	egca_buf_free(&pem);
	return out;
}

/* A USCC (GB 32100) for region with organisation code c8 + check. */
static void
make_uscc(const char *region, const char *c8, char out[19])
{
	static const char al[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[] = {
	    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	static const int ow[] = {3, 7, 9, 10, 5, 8, 4, 2};
	int i, sum = 0, c;

	snprintf(out, 19, "91%s%s", region, c8);
	for (i = 0; i < 8; i++)
		sum += (c8[i] <= '9' ? c8[i] - '0' : c8[i] - 'A' + 10) * ow[i];
	c = 11 - sum % 11;
	out[16] = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
	for (sum = 0, i = 0; i < 17; i++)
		sum += (int)(strchr(al, out[i]) - al) * w[i];
	out[17] = al[(31 - sum % 31) % 31];
	out[18] = '\0';
}

static void
test_flow(void **state)
{
	struct egca_principal *sys, *opa, *opb, *rv1, *rv2;
	struct ans a;
	char body[4096], uscc[19], bad[19], sub[33], app[33], mat[33];
	char digest0[65], digest1[65], code[32], serial[41], *csr, *b;
	json_t *jb;
	static const char pdf[] = "%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n";
	static const char png[] = "\x89PNG\r\n\x1a\n0000";

	(void)state;
	sys = who("sys", EGCA_ROLE_SYSADMIN, NULL);
	opa = who("opa", EGCA_ROLE_RA_OPERATOR, "hz");
	opb = who("opb", EGCA_ROLE_RA_OPERATOR, "bj");
	rv1 = who("rv1", EGCA_ROLE_RA_REVIEWER, "hz");
	rv2 = who("opa", EGCA_ROLE_RA_REVIEWER, "hz"); /* the submitter */

	/* Points: created with their regions; a duplicate is 409. */
	POSTJ(&a, http_point_create, sys,
	    "{\"id\":\"hz\",\"name\":\"Hangzhou RA\",\"home_region\":"
	    "\"330000\"}",
	    NULL, NULL);
	assert_int_equal(a.status, 201);
	assert_string_equal(ans_str(&a, "id"), "hz");
	assert_string_equal(ans_header(&a, "Location"), "/api/v1/points/hz");
	assert_string_equal(ans_header(&a, "Cache-Control"), "no-store");
	ans_free(&a);
	POSTJ(&a, http_point_create, sys,
	    "{\"id\":\"hz\",\"name\":\"again\",\"home_region\":\"330000\"}",
	    NULL, NULL);
	assert_int_equal(a.status, 409);
	ans_free(&a);
	POSTJ(&a, http_point_create, sys,
	    "{\"id\":\"bj\",\"name\":\"Beijing RA\",\"home_region\":"
	    "\"110000\"}",
	    NULL, NULL);
	assert_int_equal(a.status, 201);
	ans_free(&a);
	POSTJ(
	    &a, http_point_region, sys, "{\"region\":\"330100\"}", "hz", NULL);
	assert_int_equal(a.status, 201);
	assert_true(json_is_true(json_object_get(
	    json_array_get(json_object_get(a.j, "regions"), 0), "serving")));
	ans_free(&a);
	POSTJ(
	    &a, http_point_region, sys, "{\"region\":\"110105\"}", "bj", NULL);
	assert_int_equal(a.status, 201);
	ans_free(&a);
	GET(&a, http_point_list, sys, NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_array_size(json_object_get(a.j, "items")), 2);
	ans_free(&a);
	GET(&a, http_point_get, opa, NULL, "nowhere", NULL);
	assert_int_equal(a.status, 404);
	ans_free(&a);

	/* A subscriber: a wrong check character is 400 naming uscc. */
	make_uscc("330106", "MA2H7K1P", uscc);
	memcpy(bad, uscc, sizeof(bad));
	bad[17] = bad[17] == '0' ? '1' : '0';
	snprintf(body, sizeof(body),
	    "{\"type\":\"enterprise\",\"name\":\"示例科技有限公司\","
	    "\"uscc\":\"%s\",\"region\":\"330106\"}",
	    bad);
	POSTJ(&a, http_subscriber_create, opa, body, NULL, NULL);
	assert_int_equal(a.status, 400);
	assert_string_equal(ans_str(&a, "param"), "uscc");
	ans_free(&a);
	snprintf(body, sizeof(body),
	    "{\"type\":\"enterprise\",\"name\":\"示例科技有限公司\","
	    "\"uscc\":\"%s\",\"region\":\"330106\"}",
	    uscc);
	POSTJ(&a, http_subscriber_create, opa, body, NULL, "idem-1");
	assert_int_equal(a.status, 201);
	snprintf(sub, sizeof(sub), "%s", ans_str(&a, "id"));
	assert_string_equal(ans_str(&a, "point"), "hz");
	ans_free(&a);
	/* The same key and content: the same subscriber. */
	POSTJ(&a, http_subscriber_create, opa, body, NULL, "idem-1");
	assert_int_equal(a.status, 201);
	assert_string_equal(ans_str(&a, "id"), sub);
	ans_free(&a);
	/* The same key with other content: 409. */
	b = strstr(body, "示例");
	memcpy(b, "测试", strlen("测试"));
	POSTJ(&a, http_subscriber_create, opa, body, NULL, "idem-1");
	assert_int_equal(a.status, 409);
	ans_free(&a);
	/* Another point's operator: as if absent. */
	GET(&a, http_subscriber_get, opb, NULL, sub, NULL);
	assert_int_equal(a.status, 404);
	ans_free(&a);
	GET(&a, http_subscriber_get, opa, NULL, sub, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(ans_str(&a, "uscc"), uscc);
	ans_free(&a);
	GET(&a, http_subscriber_list, opb, "per_page=10", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_array_size(json_object_get(a.j, "items")), 0);
	ans_free(&a);

	/* An application for a new certificate. */
	csr = make_csr("C=CN,O=示例科技有限公司,CN=Signer");
	jb = json_pack("{s:s, s:s, s:s, s:s}", "kind", "new", "subscriber", sub,
	    "profile", "org-sign", "csr", csr);
	b = json_dumps(jb, JSON_COMPACT);
	json_decref(jb);
	POSTJ(&a, http_app_submit, opa, b, NULL, NULL);
	assert_int_equal(a.status, 201);
	assert_string_equal(ans_str(&a, "state"), "submitted");
	assert_int_equal(
	    json_integer_value(json_object_get(a.j, "required_approvals")), 1);
	snprintf(app, sizeof(app), "%s", ans_str(&a, "id"));
	snprintf(digest0, sizeof(digest0), "%s", ans_str(&a, "digest"));
	assert_non_null(strstr(ans_str(&a, "csr"), "CERTIFICATE REQUEST"));
	ans_free(&a);
	free(b);
	free(csr);
	GET(&a, http_app_get, opb, NULL, app, NULL);
	assert_int_equal(a.status, 404);
	ans_free(&a);

	/* A material: wrong magic 400; then a PDF changes the digest. */
	req(&a, http_material_add, opa, "type=business-licence",
	    "application/pdf", png, sizeof(png) - 1, app, NULL, NULL);
	assert_int_equal(a.status, 400);
	ans_free(&a);
	req(&a, http_material_add, opb, "type=business-licence",
	    "application/pdf", pdf, sizeof(pdf) - 1, app, NULL, NULL);
	assert_int_equal(a.status, 404);
	ans_free(&a);
	req(&a, http_material_add, opa,
	    "type=business-licence&filename=%E6%89%A7%E7%85%A7.pdf",
	    "application/pdf", pdf, sizeof(pdf) - 1, app, NULL, NULL);
	assert_int_equal(a.status, 201);
	snprintf(mat, sizeof(mat), "%s", ans_str(&a, "id"));
	snprintf(digest1, sizeof(digest1), "%s", ans_str(&a, "digest"));
	assert_string_not_equal(digest0, digest1);
	assert_int_equal(
	    json_integer_value(json_object_get(a.j, "size")), sizeof(pdf) - 1);
	ans_free(&a);
	GET(&a, http_material_get, opa, NULL, app, mat);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.out.ctype, "application/pdf");
	assert_int_equal(a.out.len, sizeof(pdf) - 1);
	assert_memory_equal(a.out.body, pdf, sizeof(pdf) - 1);
	assert_int_equal(strlen(ans_header(&a, "X-Content-SM3")), 64);
	assert_non_null(strstr(ans_header(&a, "Content-Disposition"),
	    "attachment; filename=\"__.pdf\""));
	ans_free(&a);
	GET(&a, http_material_get, opb, NULL, app, mat);
	assert_int_equal(a.status, 404);
	ans_free(&a);
	GET(&a, http_material_list, opa, NULL, app, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_array_size(json_object_get(a.j, "items")), 1);
	ans_free(&a);

	/* Four eyes, a stale digest, then the approval that executes. */
	snprintf(body, sizeof(body), "{\"digest\":\"%s\"}", digest1);
	POSTJ(&a, http_app_approve, rv2, body, app, NULL);
	assert_int_equal(a.status, 403);
	ans_free(&a);
	snprintf(body, sizeof(body), "{\"digest\":\"%s\"}", digest0);
	POSTJ(&a, http_app_approve, rv1, body, app, NULL);
	assert_int_equal(a.status, 409);
	ans_free(&a);
	snprintf(body, sizeof(body), "{\"digest\":\"%s\"}", digest1);
	POSTJ(&a, http_app_approve, rv1, body, app, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(ans_str(&a, "state"), "executed");
	assert_string_equal(ans_header(&a, "Cache-Control"), "no-store");
	assert_non_null(strstr(json_string_value(json_object_get(
	                           json_object_get(a.j, "certificate"), "pem")),
	    "BEGIN CERTIFICATE"));
	snprintf(serial, sizeof(serial), "%s",
	    json_string_value(json_object_get(
	        json_object_get(a.j, "certificate"), "serial")));
	assert_non_null(ans_str(&a, "revocation_code"));
	snprintf(code, sizeof(code), "%s", ans_str(&a, "revocation_code"));
	ans_free(&a);
	/* Once executed, the detail shows the result, not the code. */
	GET(&a, http_app_get, opa, NULL, app, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(a.j, "result"), "serial")),
	    serial);
	assert_null(strstr((const char *)a.out.body, code));
	ans_free(&a);
	GET(&a, http_app_list, opa, "state=executed", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_array_size(json_object_get(a.j, "items")), 1);
	ans_free(&a);

	/* A loss report with a wrong code: 401; with the code: held. */
	snprintf(body, sizeof(body),
	    "{\"serial\":\"%s\",\"revocation_code\":\"wrong\"}", serial);
	POSTJ(&a, http_loss_report, sys, body, NULL, NULL);
	assert_int_equal(a.status, 401);
	ans_free(&a);
	snprintf(body, sizeof(body),
	    "{\"serial\":\"%s\",\"revocation_code\":\"%s\"}", serial, code);
	POSTJ(&a, http_loss_report, sys, body, NULL, NULL);
	assert_int_equal(a.status, 202);
	assert_string_equal(ans_str(&a, "state"), "held");
	snprintf(mat, sizeof(mat), "%s", ans_str(&a, "report"));
	ans_free(&a);
	GET(&a, http_loss_list, opb, NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_array_size(json_object_get(a.j, "items")), 0);
	ans_free(&a);
	GET(&a, http_loss_list, opa, "state=held", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(json_array_size(json_object_get(a.j, "items")), 1);
	ans_free(&a);
	POSTJ(&a, http_loss_confirm, opb, "", mat, NULL);
	assert_int_equal(a.status, 404);
	ans_free(&a);
	POSTJ(&a, http_loss_confirm, opa, "", mat, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(ans_str(&a, "state"), "confirmed");
	ans_free(&a);

	free(sys);
	free(opa);
	free(opb);
	free(rv1);
	free(rv2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_points),
	    cmocka_unit_test(test_subscribers),
	    cmocka_unit_test(test_applications),
	    cmocka_unit_test(test_materials),
	    cmocka_unit_test(test_decisions),
	    cmocka_unit_test(test_loss),
	};

	const struct CMUnitTest flow[] = {
	    cmocka_unit_test(test_flow),
	};
	int failed;

	failed = cmocka_run_group_tests(tests, NULL, NULL);
	failed += cmocka_run_group_tests(flow, flow_setup, flow_teardown);
	return failed;
}
