/*
 * egca point: registration points (RA offices, Art. 8) and the regions
 * they serve. Creating points and adding regions is the system
 * administrator's; operators and reviewers may read them.
 */
#include <string.h>

#include "cli/cli.h"
#include "egca/ra.h"

static const char help[] =
    "usage: egca point <verb> [--dir DIR] [authentication] [options]\n"
    "\n"
    "verbs:\n"
    "  create --id ID --name NAME --home-region CODE     (sysadmin)\n"
    "        a registration point; ID [a-z0-9-]{1,63}; the home region is\n"
    "        a GB/T 2260 province code (e.g. 330000)\n"
    "  add-region ID --region CODE [--approval TEXT]     (sysadmin)\n"
    "        a region the point serves: inside the home province at once;\n"
    "        outside it only with the approval (批准) recorded, else it\n"
    "        is kept as pending and does not count\n"
    "  list [--json]\n"
    "  show ID [--json]  the point and its regions\n"
    "\n"
    "options:\n"
    "  --dir DIR               data directory\n"
    "  --json                  JSON output\n"
    "  -h, --help              this help\n" CLI_AUTH_OPTS_HELP "\n"
    "examples:\n"
    "  egca point create --token-file sys.tok --id hz-01 \\\n"
    "      --name \"杭州市注册点\" --home-region 330000\n"
    "  egca point add-region hz-01 --region 330100 --token-file sys.tok\n";

struct args {
	const char *dir, *id, *name, *home, *region, *approval;
	int json;
};

static json_t *
point_json(const struct egca_point_rec *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", r->id, "name",
	    r->name, "home_region", r->home_region, "home_region_name",
	    egca_ra_region_name(r->home_region)
	        ? egca_ra_region_name(r->home_region)
	        : "",
	    "created_at", cli_json_time(r->created_at));
}

static int
point_list(struct cli_env *env, const struct args *a)
{
	struct egca_point_rec *l = NULL;
	size_t n = 0, i;
	json_t *arr;
	enum egca_err e;

	if ((e = egca_ra_point_list(&env->ctx, &l, &n)) != EGCA_OK)
		return cli_fail(e);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, point_json(&l[i]));
		egca_ra_point_list_free(l, n);
		return cli_print_json(json_pack("{s:o}", "points", arr));
	}
	printf("%-24s %-8s %s\n", "ID", "HOME", "NAME");
	for (i = 0; i < n; i++)
		printf("%-24s %-8s %s\n", l[i].id, l[i].home_region, l[i].name);
	printf("(%zu points)\n", n);
	egca_ra_point_list_free(l, n);
	return 0;
}

static int
point_show(struct cli_env *env, const struct args *a, const char *id)
{
	struct egca_point_rec r;
	struct egca_point_region_rec *rg = NULL;
	size_t n = 0, i;
	char home[7], prov[7];
	json_t *j, *arr;
	enum egca_err e;

	memset(&r, 0, sizeof(r));
	if ((e = egca_ra_point_get(&env->ctx, id, &r, &rg, &n)) != EGCA_OK)
		return cli_fail(e);
	j = point_json(&r);
	egca_ra_region_province(r.home_region, home);
	egca_ra_point_rec_free(&r);
	arr = json_array();
	for (i = 0; i < n; i++) {
		const char *nm = egca_ra_region_name(rg[i].region);
		/* Home province: served at once; elsewhere once approved
		 * (point.c; the same fields as GET /api/v1/points/ID). */
		egca_ra_region_province(rg[i].region, prov);
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:o, s:o, s:b}", "region",
		        rg[i].region, "name", nm ? nm : "", "approval",
		        cli_json_str(rg[i].approval), "approved_at",
		        cli_json_time(rg[i].approved_at), "serving",
		        strcmp(prov, home) == 0 || rg[i].approval != NULL));
	}
	egca_ra_point_region_list_free(rg, n);
	json_object_set_new(j, "regions", arr);
	if (a->json)
		return cli_print_json(j);
	printf("%-20s %s\n%-20s %s\n%-20s %s %s\n", "id",
	    json_string_value(json_object_get(j, "id")), "name",
	    json_string_value(json_object_get(j, "name")), "home_region",
	    json_string_value(json_object_get(j, "home_region")),
	    json_string_value(json_object_get(j, "home_region_name")));
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		json_t *ap = json_object_get(o, "approval");
		printf("%-20s %s %s (%s)%s%s\n", i == 0 ? "regions" : "",
		    json_string_value(json_object_get(o, "region")),
		    json_string_value(json_object_get(o, "name")),
		    json_is_true(json_object_get(o, "serving")) ? "serving"
		                                                : "pending",
		    json_is_string(ap) ? " approval: " : "",
		    json_is_string(ap) ? json_string_value(ap) : "");
	}
	json_decref(j);
	return 0;
}

int
cmd_point(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"id", required_argument, NULL, 'i'},
	    {"name", required_argument, NULL, 'n'},
	    {"home-region", required_argument, NULL, 'H'},
	    {"region", required_argument, NULL, 'r'},
	    {"approval", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_AUTH_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct args a;
	struct cli_auth au;
	struct cli_env env;
	const char *verb, *action, *arg = NULL;
	int c, rc, nargs;
	enum egca_err e;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	memset(&a, 0, sizeof(a));
	memset(&au, 0, sizeof(au));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			a.id = optarg;
			break;
		case 'n':
			a.name = optarg;
			break;
		case 'H':
			a.home = optarg;
			break;
		case 'r':
			a.region = optarg;
			break;
		case 'a':
			a.approval = optarg;
			break;
		default:
			if (!cli_opt_common(c, optarg, &a.dir, &a.json, &au))
				return cli_usage_error(
				    "point", "unknown option");
		}
	}
	if (strcmp(verb, "create") == 0) {
		action = "point_create";
		nargs = 0;
		if (a.id == NULL || a.name == NULL || a.home == NULL)
			return cli_usage_error("point",
			    "create needs --id ID, --name NAME and "
			    "--home-region CODE");
	} else if (strcmp(verb, "add-region") == 0) {
		action = "point_region";
		nargs = 1;
		if (a.region == NULL)
			return cli_usage_error(
			    "point", "add-region needs --region CODE");
	} else if (strcmp(verb, "list") == 0) {
		action = "point_list";
		nargs = 0;
	} else if (strcmp(verb, "show") == 0) {
		action = "point_get";
		nargs = 1;
	} else
		return cli_usage_error("point", "unknown verb '%s'", verb);
	if (argc - optind != nargs)
		return cli_usage_error("point", "%s takes %s", verb,
		    nargs ? "one ID" : "no argument");
	if (nargs)
		arg = argv[optind];
	if ((rc = cli_auth_open(a.dir, &au, action, &env)) != 0)
		return rc;
	rc = 0;
	if (strcmp(verb, "create") == 0) {
		if ((e = egca_ra_point_create(
		         &env.ctx, a.id, a.name, a.home)) != EGCA_OK)
			rc = cli_fail(e);
		else
			printf("registration point %s created\n", a.id);
	} else if (strcmp(verb, "add-region") == 0) {
		if ((e = egca_ra_point_add_region(
		         &env.ctx, arg, a.region, a.approval)) != EGCA_OK)
			rc = cli_fail(e);
		else if (egca_ra_point_serves(&env.ctx, arg, a.region) ==
		    EGCA_OK)
			printf("point %s: region %s added, serving\n", arg,
			    a.region);
		else {
			egca_err_clear();
			printf("point %s: region %s recorded, pending (outside "
			       "the home province: needs --approval)\n",
			    arg, a.region);
		}
	} else if (strcmp(verb, "list") == 0)
		rc = point_list(&env, &a);
	else
		rc = point_show(&env, &a, arg);
	cli_auth_close(&env, &au);
	return rc;
}
