/*
 * Unit tests for src/ra/point.c and the scope rules of scope.c:
 * registration points, regions of the home province serving at once,
 * regions of other provinces only once approved, prefecture scopes,
 * refusals audited with nothing written.
 */
#include "ra/ra_fixture.h"

static void
create(void **state)
{
	struct fx *fx = *state;
	struct egca_point_rec pt, *pl = NULL;
	struct egca_point_region_rec *rl = NULL;
	size_t n = 0, nr = 0;
	int64_t points = fx_count(fx, "ra_point");

	OK(egca_ra_point_create(&fx->ctx, "gz-1", "广州受理点", "440000"));
	assert_int_equal(egca_ra_point_create(&fx->ctx, "gz-1", "x", "440000"),
	    EGCA_ERR_EXISTS);
	assert_int_equal(egca_ra_point_create(&fx->ctx, "GZ", "x", "440000"),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "id:"));
	assert_int_equal(egca_ra_point_create(&fx->ctx, "gz-2", "x", "440106"),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "home_region"));
	assert_int_equal(egca_ra_point_create(&fx->ctx, "gz-2", "x", "990000"),
	    EGCA_ERR_INPUT);
	assert_int_equal(egca_ra_point_create(&fx->ctx, "gz-2", "", "440000"),
	    EGCA_ERR_INPUT);
	assert_non_null(strstr(egca_err_detail(), "name"));
	assert_int_equal(fx_count(fx, "ra_point"), points + 1);
	/* Setup made two; one more here; five refusals audited. */
	assert_int_equal(fx_audits(fx, "point.create", "success"), 3);
	assert_int_equal(fx_audits(fx, "point.create", "failure"), 5);

	OK(egca_ra_point_get(&fx->ctx, "gz-1", &pt, &rl, &nr));
	assert_string_equal(pt.name, "广州受理点");
	assert_string_equal(pt.home_region, "440000");
	assert_int_equal(nr, 0);
	egca_ra_point_rec_free(&pt);
	egca_ra_point_region_list_free(rl, nr);
	assert_int_equal(egca_ra_point_get(&fx->ctx, "nope", &pt, &rl, &nr),
	    EGCA_ERR_NOTFOUND);
	OK(egca_ra_point_list(&fx->ctx, &pl, &n));
	assert_int_equal(n, 3);
	assert_string_equal(pl[0].id, "bj");
	assert_string_equal(pl[1].id, "gz-1");
	egca_ra_point_list_free(pl, n);
}

static void
regions(void **state)
{
	struct fx *fx = *state;
	struct egca_point_rec pt;
	struct egca_point_region_rec *rl = NULL;
	size_t nr = 0;

	/* Home province: serves at once. */
	OK(egca_ra_point_serves(&fx->ctx, "bj", "110105"));
	OK(egca_ra_point_serves(&fx->ctx, "bj", "110000"));
	assert_int_equal(
	    egca_ra_point_serves(&fx->ctx, "bj", "310101"), EGCA_ERR_POLICY);
	assert_non_null(strstr(egca_err_detail(), "310101"));
	assert_non_null(strstr(egca_err_detail(), "bj"));

	/* Another province without approval: pending, does not count. */
	OK(egca_ra_point_add_region(&fx->ctx, "bj", "120000", NULL));
	assert_int_equal(
	    egca_ra_point_serves(&fx->ctx, "bj", "120101"), EGCA_ERR_POLICY);
	assert_int_equal(
	    egca_ra_point_add_region(&fx->ctx, "bj", "120000", NULL),
	    EGCA_ERR_EXISTS);
	/* The approval arrives. */
	OK(egca_ra_point_add_region(
	    &fx->ctx, "bj", "120000", "天津市密码管理局 2026-12 号"));
	OK(egca_ra_point_serves(&fx->ctx, "bj", "120101"));
	assert_int_equal(
	    egca_ra_point_add_region(&fx->ctx, "bj", "120000", "again"),
	    EGCA_ERR_EXISTS);

	/* A prefecture scope contains its counties only. */
	OK(egca_ra_point_create(&fx->ctx, "hz", "Hangzhou", "330000"));
	OK(egca_ra_point_add_region(&fx->ctx, "hz", "330100", NULL));
	OK(egca_ra_point_serves(&fx->ctx, "hz", "330106"));
	assert_int_equal(
	    egca_ra_point_serves(&fx->ctx, "hz", "330203"), EGCA_ERR_POLICY);

	/* Bad input and unknown points. */
	assert_int_equal(egca_ra_point_add_region(&fx->ctx, "bj", "12", NULL),
	    EGCA_ERR_INPUT);
	assert_int_equal(
	    egca_ra_point_add_region(&fx->ctx, "nope", "110000", NULL),
	    EGCA_ERR_NOTFOUND);
	assert_int_equal(
	    egca_ra_point_serves(&fx->ctx, "nope", "110105"), EGCA_ERR_POLICY);
	assert_int_equal(fx_audits(fx, "point.region", "failure"), 4);

	OK(egca_ra_point_get(&fx->ctx, "bj", &pt, &rl, &nr));
	assert_int_equal(nr, 2);
	assert_string_equal(rl[0].region, "110000");
	assert_null(rl[0].approval);
	assert_string_equal(rl[1].region, "120000");
	assert_string_equal(rl[1].approval, "天津市密码管理局 2026-12 号");
	assert_int_not_equal(rl[1].approved_at, 0);
	egca_ra_point_rec_free(&pt);
	egca_ra_point_region_list_free(rl, nr);
}

/* A subscriber in an approved cross-region area is in scope, in lists
 * too (the SQL scope agrees with egca_ra_region_within). */
static void
cross_region_scope(void **state)
{
	struct fx *fx = *state;
	struct egca_subscriber_new s;
	struct egca_subscriber_rec *l = NULL;
	size_t n = 0;
	char id[33];

	memset(&s, 0, sizeof(s));
	s.type = "individual";
	s.name = "张三";
	s.id_card = IDCARD_BJ;
	s.region = "130102";
	assert_int_equal(
	    egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, id),
	    EGCA_ERR_POLICY);
	OK(egca_ra_point_add_region(&fx->ctx, "bj", "130100", "批准 1 号"));
	OK(egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, id));
	OK(egca_ra_subscriber_list(&fx->ctx, &fx->rev, NULL, &l, &n));
	assert_int_equal(n, 1);
	assert_string_equal(l[0].id, id);
	egca_ra_subscriber_list_free(l, n);
	/* Not for the Shijiazhuang prefecture's neighbour. */
	s.region = "130202";
	assert_int_equal(
	    egca_ra_subscriber_create(&fx->ctx, &fx->op, &s, NULL, id),
	    EGCA_ERR_POLICY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	    T(create),
	    T(regions),
	    T(cross_region_scope),
#undef T
	};

	return fx_run("ra_point", tests, sizeof(tests) / sizeof(tests[0]));
}
