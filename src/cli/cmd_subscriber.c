/*
 * egca subscriber: register, list and show subscribers. Identity
 * numbers are checked by the RA service (GB 32100 USCC, GB 11643
 * resident ID, GB 11714 organisation code, GB/T 2260 region) and a
 * subscriber is registered only at the caller's registration point,
 * within the regions it serves.
 */
#include <string.h>

#include "cli/cli.h"
#include "egca/ra.h"

static const char help[] =
    "usage: egca subscriber <verb> [--dir DIR] [authentication] [options]\n"
    "\n"
    "verbs:\n"
    "  create --type TYPE --name NAME --region CODE [identity] [contact]\n"
    "         [--idempotency-key KEY]                        (ra-operator)\n"
    "        prints the new subscriber id; a repeated create with the same\n"
    "        key and content returns the first id\n"
    "  list [--type TYPE] [--name TEXT] [--region CODE] [--limit N]\n"
    "       [--offset N] [--json]\n"
    "  show ID [--json]\n"
    "\n"
    "TYPE: government, enterprise, institution, social-org, individual,\n"
    "device.\n"
    "\n"
    "create options:\n"
    "  --type TYPE             kind of subscriber\n"
    "  --name NAME             organisation or person (UTF-8)\n"
    "  --uscc CODE             unified social credit code (government,\n"
    "                          enterprise, institution, social-org)\n"
    "  --org-code CODE         organisation code (GB 11714), optional\n"
    "  --id-card NUMBER        resident identity number (individual)\n"
    "  --region CODE           GB/T 2260 six-digit region\n"
    "  --department TEXT       the department (government)\n"
    "  --owner ID              owning subscriber (device)\n"
    "  --email ADDR, --phone NUMBER\n"
    "  --idempotency-key KEY   makes a retried create safe\n"
    "\n"
    "options:\n"
    "  --dir DIR               data directory\n"
    "  --json                  JSON output\n"
    "  -h, --help              this help\n" CLI_AUTH_OPTS_HELP "\n"
    "example:\n"
    "  egca subscriber create --token-file op.tok --type enterprise \\\n"
    "      --name \"示例科技有限公司\" --uscc 91330106MA2XXXXXXX \\\n"
    "      --region 330106 --email pki@example.cn\n";

struct args {
	const char *dir, *idem;
	struct egca_subscriber_new s;
	int json, limit, offset;
};

static json_t *
sub_json(const struct egca_subscriber_rec *r)
{
	const char *rn = egca_ra_region_name(r->region);

	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, "
	                 "s:o, s:o, s:o, s:o, s:o}",
	    "id", r->id, "type", r->type, "name", r->name, "uscc",
	    cli_json_str(r->uscc), "org_code", cli_json_str(r->org_code),
	    "id_card", cli_json_str(r->id_card), "region", r->region,
	    "region_name", cli_json_str(rn), "department",
	    cli_json_str(r->department), "owner", cli_json_str(r->owner),
	    "email", cli_json_str(r->email), "phone", cli_json_str(r->phone),
	    "point", cli_json_str(r->point), "created_by",
	    cli_json_str(r->created_by), "created_at",
	    cli_json_time(r->created_at));
}

static int
sub_create(struct cli_env *env, struct cli_auth *au, const struct args *a)
{
	char id[33];
	enum egca_err e;

	if ((e = egca_ra_subscriber_create(
	         &env->ctx, &au->p, &a->s, a->idem, id)) != EGCA_OK)
		return cli_fail(e);
	if (a->json)
		return cli_print_json(json_pack("{s:s}", "id", id));
	printf("%s\n", id);
	return 0;
}

static int
sub_list(struct cli_env *env, struct cli_auth *au, const struct args *a)
{
	struct egca_subscriber_filter f;
	struct egca_subscriber_rec *l = NULL;
	size_t n = 0, i;
	json_t *arr;
	enum egca_err e;

	memset(&f, 0, sizeof(f));
	f.type = a->s.type;
	f.name = a->s.name;
	f.region = a->s.region;
	f.limit = a->limit ? (size_t)a->limit : 100;
	f.offset = (size_t)a->offset;
	if ((e = egca_ra_subscriber_list(&env->ctx, &au->p, &f, &l, &n)) !=
	    EGCA_OK)
		return cli_fail(e);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, sub_json(&l[i]));
		egca_ra_subscriber_list_free(l, n);
		return cli_print_json(
		    json_pack("{s:I, s:I, s:o}", "offset", (json_int_t)f.offset,
		        "limit", (json_int_t)f.limit, "subscribers", arr));
	}
	printf("%-32s %-12s %-7s %s\n", "ID", "TYPE", "REGION", "NAME");
	for (i = 0; i < n; i++)
		printf("%-32s %-12s %-7s %s\n", l[i].id, l[i].type, l[i].region,
		    l[i].name);
	printf("(%zu subscribers)\n", n);
	egca_ra_subscriber_list_free(l, n);
	return 0;
}

static int
sub_show(struct cli_env *env, struct cli_auth *au, const struct args *a,
    const char *id)
{
	struct egca_subscriber_rec r;
	json_t *j;
	enum egca_err e;

	memset(&r, 0, sizeof(r));
	if ((e = egca_ra_subscriber_get(&env->ctx, &au->p, id, &r)) != EGCA_OK)
		return cli_fail(e);
	j = sub_json(&r);
	egca_ra_subscriber_rec_free(&r);
	return a->json ? cli_print_json(j) : cli_print_kv(j);
}

int
cmd_subscriber(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"type", required_argument, NULL, 't'},
	    {"name", required_argument, NULL, 'n'},
	    {"uscc", required_argument, NULL, 'u'},
	    {"org-code", required_argument, NULL, 'o'},
	    {"id-card", required_argument, NULL, 'i'},
	    {"region", required_argument, NULL, 'r'},
	    {"department", required_argument, NULL, 'D'},
	    {"owner", required_argument, NULL, 'O'},
	    {"email", required_argument, NULL, 'e'},
	    {"phone", required_argument, NULL, 'p'},
	    {"idempotency-key", required_argument, NULL, 'k'},
	    {"limit", required_argument, NULL, 'l'},
	    {"offset", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_AUTH_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct args a;
	struct cli_auth au;
	struct cli_env env;
	const char *verb, *action;
	int c, rc, nargs;
	enum egca_err e = EGCA_OK;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	memset(&a, 0, sizeof(a));
	memset(&au, 0, sizeof(au));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			a.s.type = optarg;
			break;
		case 'n':
			a.s.name = optarg;
			break;
		case 'u':
			a.s.uscc = optarg;
			break;
		case 'o':
			a.s.org_code = optarg;
			break;
		case 'i':
			a.s.id_card = optarg;
			break;
		case 'r':
			a.s.region = optarg;
			break;
		case 'D':
			a.s.department = optarg;
			break;
		case 'O':
			a.s.owner = optarg;
			break;
		case 'e':
			a.s.email = optarg;
			break;
		case 'p':
			a.s.phone = optarg;
			break;
		case 'k':
			a.idem = optarg;
			break;
		case 'l':
			e = cli_parse_int("--limit", optarg, 1, 1000, &a.limit);
			break;
		case 'f':
			e = cli_parse_int(
			    "--offset", optarg, 0, 2000000000, &a.offset);
			break;
		default:
			if (!cli_opt_common(c, optarg, &a.dir, &a.json, &au))
				return cli_usage_error(
				    "subscriber", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	if (strcmp(verb, "create") == 0) {
		action = "subscriber_create";
		nargs = 0;
		if (a.s.type == NULL || a.s.name == NULL || a.s.region == NULL)
			return cli_usage_error("subscriber",
			    "create needs --type, --name and --region");
	} else if (strcmp(verb, "list") == 0) {
		action = "subscriber_list";
		nargs = 0;
	} else if (strcmp(verb, "show") == 0) {
		action = "subscriber_get";
		nargs = 1;
	} else
		return cli_usage_error("subscriber", "unknown verb '%s'", verb);
	if (argc - optind != nargs)
		return cli_usage_error("subscriber", "%s takes %s", verb,
		    nargs ? "one ID" : "no argument");
	if ((rc = cli_auth_open(a.dir, &au, action, &env)) != 0)
		return rc;
	if (strcmp(verb, "create") == 0)
		rc = sub_create(&env, &au, &a);
	else if (strcmp(verb, "list") == 0)
		rc = sub_list(&env, &au, &a);
	else
		rc = sub_show(&env, &au, &a, argv[optind]);
	cli_auth_close(&env, &au);
	return rc;
}
