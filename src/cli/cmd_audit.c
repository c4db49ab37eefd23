/* egca audit: verify the SM3 chain, list events. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "egca/audit.h"

static const char help[] =
    "usage: egca audit <verb> [--dir DIR] [--json]\n"
    "\n"
    "verbs:\n"
    "  verify            walk the SM3 hash chain; reports the first broken\n"
    "                    position (changed byte, deleted, reordered or\n"
    "                    inserted event) and exits 13 when broken; prints\n"
    "                    the head (seq and hash) to keep elsewhere\n"
    "  list [--from SEQ] [--limit N]\n"
    "                    the events, oldest first\n";

struct list_arg {
	json_t *arr;
	int64_t limit;
	int json;
};

static int
list_one(const struct egca_audit_rec *r, void *arg)
{
	struct list_arg *l = arg;
	char ts[32];

	cli_format_time(r->ts, ts);
	if (l->json)
		json_array_append_new(l->arr,
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
		        (json_int_t)r->seq, "time", ts, "actor", r->actor,
		        "action", r->action, "object", r->object, "outcome",
		        r->outcome, "details", r->details, "hash", r->hash));
	else
		printf("%6lld %s %-14s %-12s %-8s %s %s\n", (long long)r->seq,
		    ts, r->actor, r->action, r->outcome, r->object, r->details);
	return --l->limit <= 0;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"from", required_argument, NULL, 'f'},
	    {"limit", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct egca_audit_report rep;
	struct cli_env env;
	struct list_arg la = {NULL, 1000, 0};
	const char *verb, *dir = NULL;
	int c, from = 0, limit = 1000, rc = 0;
	enum egca_err e = EGCA_OK;

	if ((rc = cli_verb(&argc, &argv, help, &verb)) >= 0)
		return rc;
	rc = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			la.json = 1;
			break;
		case 'f':
			e = cli_parse_int(
			    "--from", optarg, 0, 2000000000, &from);
			break;
		case 'l':
			e = cli_parse_int(
			    "--limit", optarg, 1, 1000000, &limit);
			break;
		default:
			return cli_usage_error("audit", "unknown option");
		}
		if (e != EGCA_OK)
			return cli_fail(e);
	}
	if (optind != argc)
		return cli_usage_error(
		    "audit", "unexpected argument '%s'", argv[optind]);
	if (strcmp(verb, "verify") != 0 && strcmp(verb, "list") != 0)
		return cli_usage_error("audit", "unknown verb '%s'", verb);
	if ((e = cli_open(cli_dir(dir), 0, &env)) != EGCA_OK)
		return cli_fail(e);
	if (strcmp(verb, "verify") == 0) {
		e = egca_audit_verify(env.st, &rep);
		if (e != EGCA_OK && e != EGCA_ERR_INTEGRITY) {
			rc = cli_fail(e);
		} else if (la.json) {
			cli_print_json(json_pack(
			    "{s:b, s:I, s:I, s:I, s:s, s:I, s:s}", "intact",
			    e == EGCA_OK, "events", (json_int_t)rep.events,
			    "first_bad_position", (json_int_t)rep.first_bad,
			    "first_bad_seq", (json_int_t)rep.bad_seq, "reason",
			    rep.reason, "head_seq", (json_int_t)rep.head_seq,
			    "head_hash", rep.head_hash));
			rc = (int)e;
		} else if (e == EGCA_OK) {
			printf("audit chain intact: %lld events, head seq %lld "
			       "sm3 %s\n",
			    (long long)rep.events, (long long)rep.head_seq,
			    rep.head_hash);
		} else {
			rc = cli_fail(e);
		}
	} else {
		la.limit = limit;
		la.arr = json_array();
		if ((e = egca_store_audit_each(env.st, from, list_one, &la)) !=
		    EGCA_OK)
			rc = cli_fail(e);
		else if (la.json)
			cli_print_json(la.arr), la.arr = NULL;
		json_decref(la.arr);
	}
	cli_close(&env);
	return rc;
}
