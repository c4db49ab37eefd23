/*
 * Unit tests for src/ra/subscriber.c: validation by type with the
 * field named, wrong check digits refused with nothing written and the
 * refusal audited, scope of the registering point, devices and their
 * owners, idempotency keys, list filters.
 */
#include "ra/ra_fixture.h"

/* Expects refusal e naming field, with no row written and one audit. */
static void
refused(struct fx *fx, const struct egca_principal *p,
    const struct egca_subscriber_new *s, enum egca_err e, const char *field)
{
	int64_t rows = fx_count(fx, "subscriber");
	int64_t fails = fx_audits(fx, "subscriber.create", "failure");
	char id[33] = "x";

	assert_int_equal(
	    egca_ra_subscriber_create(&fx->ctx, p, s, NULL, id), e);
	if (field != NULL && strstr(egca_err_detail(), field) == NULL)
		fail_msg("'%s' does not name %s", egca_err_detail(), field);
	assert_string_equal(id, "");
	assert_int_equal(fx_count(fx, "subscriber"), rows);
	assert_int_equal(
	    fx_audits(fx, "subscriber.create", "failure"), fails + 1);
}

static void
validation(void **state)
{
	struct fx *fx = *state;
	struct egca_subscriber_new s;
	struct egca_subscriber_rec r;
	char id[33];

	memset(&s, 0, sizeof(s));
	s.type = "government";
	s.name = "北京市测试局";
	s.uscc = USCC_BJ;
	s.region = "110105";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "department");
	s.department = "北京市测试局";
	/* One check character off. */
	s.uscc = "91110000MA01ABCD53";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "uscc");
	s.uscc = NULL;
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "uscc");
	s.uscc = USCC_BJ;
	s.org_code = "12345678-9";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "org_code");
	s.org_code = "12345678-8";
	s.region = "110199";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "region");
	s.region = "110105";
	s.type = "ministry";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "type");
	s.type = "government";
	s.name = "";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "name");
	s.name = "bad\xff";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "name");
	s.name = "北京市测试局";
	s.email = "nobody";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "email");
	s.email = "it@test.gov.cn";
	s.phone = "call me";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "phone");
	s.phone = "+86 10 1234-5678";
	s.owner = "00000000000000000000000000000000";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "owner");
	s.owner = NULL;
	s.id_card = IDCARD_BJ;
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "id_card");
	s.id_card = NULL;
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, id));
	OK(egca_ra_subscriber_get(&fx->ctx, &fx->rev, id, &r));
	assert_string_equal(r.type, "government");
	assert_string_equal(r.department, "北京市测试局");
	assert_string_equal(r.org_code, "12345678-8");
	assert_string_equal(r.point, "bj");
	assert_string_equal(r.created_by, "olga");
	assert_string_equal(r.phone, "+86 10 1234-5678");
	egca_ra_subscriber_rec_free(&r);
	assert_int_equal(fx_audits(fx, "subscriber.create", "success"), 1);

	/* Individuals: resident identity number with its check digit. */
	memset(&s, 0, sizeof(s));
	s.type = "individual";
	s.name = "张三";
	s.region = "110105";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "id_card");
	s.id_card = "110105194912310021";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "id_card");
	s.id_card = IDCARD_BJ;
	s.uscc = USCC_BJ;
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "uscc");
	s.uscc = NULL;
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, id));
}

static void
scope_and_roles(void **state)
{
	struct fx *fx = *state;
	struct egca_subscriber_new s;
	struct egca_principal nopoint;

	memset(&s, 0, sizeof(s));
	s.type = "enterprise";
	s.name = "上海测试有限公司";
	s.uscc = USCC_BJ;
	s.region = "310101";
	/* The operator chose the region: the refusal names it. */
	refused(fx, &fx->op, &s, EGCA_ERR_POLICY, "310101");
	assert_non_null(strstr(egca_err_detail(), "bj"));
	s.region = "110105";
	refused(fx, &fx->rev, &s, EGCA_ERR_POLICY, "ra-operator");
	refused(fx, &fx->sys, &s, EGCA_ERR_POLICY, NULL);
	fx_principal(&nopoint, "nina", EGCA_ROLE_RA_OPERATOR, NULL);
	refused(fx, &nopoint, &s, EGCA_ERR_POLICY, "registration point");
	memset(&nopoint, 0, sizeof(nopoint));
	refused(fx, &nopoint, &s, EGCA_ERR_AUTH, NULL);
}

static void
devices(void **state)
{
	struct fx *fx = *state;
	struct egca_subscriber_new s;
	struct egca_subscriber_rec r;
	char org[33], org_sh[33], dev[33];

	fx_enterprise(fx, org);
	memset(&s, 0, sizeof(s));
	s.type = "enterprise";
	s.name = "上海测试有限公司";
	s.uscc = USCC_BJ;
	s.region = "310101";
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op_sh, &s, NULL, org_sh));

	memset(&s, 0, sizeof(s));
	s.type = "device";
	s.name = "gateway-01";
	s.region = "110105";
	refused(fx, &fx->op, &s, EGCA_ERR_INPUT, "owner");
	/* An owner the operator cannot see: no such subscriber. */
	s.owner = org_sh;
	refused(fx, &fx->op, &s, EGCA_ERR_NOTFOUND, "owner");
	s.owner = "ffffffffffffffffffffffffffffffff";
	refused(fx, &fx->op, &s, EGCA_ERR_NOTFOUND, "owner");
	s.owner = org;
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, dev));
	OK(egca_ra_subscriber_get(&fx->ctx, &fx->op, dev, &r));
	assert_string_equal(r.owner, org);
	egca_ra_subscriber_rec_free(&r);
}

static void
idempotency_and_lists(void **state)
{
	struct fx *fx = *state;
	struct egca_subscriber_new s;
	struct egca_subscriber_filter f;
	struct egca_subscriber_rec *l = NULL;
	size_t n = 0;
	char a[33], b[33], c[33];

	memset(&s, 0, sizeof(s));
	s.type = "enterprise";
	s.name = "Alpha Widgets 有限公司";
	s.uscc = USCC_BJ;
	s.region = "110105";
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, "k-1", a));
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, "k-1", b));
	assert_string_equal(a, b);
	assert_int_equal(fx_count(fx, "subscriber"), 1);
	s.name = "Beta Widgets";
	assert_int_equal(
	    egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, "k-1", b),
	    EGCA_ERR_CONFLICT);
	assert_int_equal(fx_count(fx, "subscriber"), 1);
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, "k-2", b));
	s.type = "individual";
	s.name = "李四";
	s.uscc = NULL;
	s.id_card = IDCARD_BJ;
	s.region = "110000";
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, c));

	memset(&f, 0, sizeof(f));
	f.name = "widgets";
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->rev, &f, &l, &n));
	assert_int_equal(n, 2);
	egca_ra_subscriber_list_free(l, n);
	f.name = NULL;
	f.type = "individual";
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->rev, &f, &l, &n));
	assert_int_equal(n, 1);
	assert_string_equal(l[0].id, c);
	egca_ra_subscriber_list_free(l, n);
	f.type = NULL;
	f.region = "110105";
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->rev, &f, &l, &n));
	assert_int_equal(n, 2);
	egca_ra_subscriber_list_free(l, n);
	f.region = "110000";
	f.limit = 2;
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->rev, &f, &l, &n));
	assert_int_equal(n, 2);
	egca_ra_subscriber_list_free(l, n);
	f.offset = 2;
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->rev, &f, &l, &n));
	assert_int_equal(n, 1);
	egca_ra_subscriber_list_free(l, n);
	f.region = "xx";
	assert_int_equal(
	    egca_ra_subscriber_list(&fx->ctx, &fx->rev, &f, &l, &n),
	    EGCA_ERR_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	    T(validation),
	    T(scope_and_roles),
	    T(devices),
	    T(idempotency_and_lists),
#undef T
	};

	return fx_run("ra_subscriber", tests, sizeof(tests) / sizeof(tests[0]));
}
