/*
 * stats_cmds.c - what the town learned from its work (docs/casting.md): `gt stats` (first-pass
 * rates with their Wilson interval and sample size, cost per merged bead, by variant, model,
 * persona, runtime, agent, language or kind), `gt record AGENT` and `gt recommend BEAD`; with
 * --platform, the same figures summed across the towns that share them (the StatsDO).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static const struct usage stats_usage = {
	"stats", "[--town TOWN] stats [--by DIM] [--kind TYPE] [--language LANG] [--platform] [--json]",
	"What became of the town's work, grouped by DIM: variant (default), model, persona, runtime,\n"
	"agent, language or kind. Each row: n (merged, failed or closed by hand; superseded attempts\n"
	"apart), the first-pass rate (merged with no rework) with its 95% Wilson interval, and the cost\n"
	"per merged bead. --kind and --language narrow it to one bead type and one repository language.\n"
	"--platform: the same across every town that shares its figures (no agent dimension; a row\n"
	"resting on a single town is withheld).\n",
};

static const struct usage record_usage = {
	"record", "[--town TOWN] record AGENT [--json]",
	"An agent's record: its outcomes in total and by persona, language, model and kind, and its\n"
	"latest work.\n",
};

static const struct usage recommend_usage = {
	"recommend", "[--town TOWN] recommend BEAD [--json]",
	"The variants to try for a bead (its kind, its rig's language), ranked by expected cost per\n"
	"merged bead, each with at least 5 outcomes and the figures behind it.\n",
};

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

	return s ? s : "";
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void money(double micro, char *out, size_t len)
{
	snprintf(out, len, "$%.2f", micro / 1e6);
}

static void print_row(const cJSON *r)
{
	char merged[32] = "-";

	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "cost_per_merged_microusd")))
		money(num(r, "cost_per_merged_microusd"), merged, sizeof merged);
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "first_pass_rate")))
		printf("%-36s %5.0f %5.0f%%  %3.0f-%3.0f%%  %9s/merged", str(r, "key"), num(r, "n"), 100 * num(r, "first_pass_rate"),
		       100 * num(r, "wilson_low"), 100 * num(r, "wilson_high"), merged);
	else
		printf("%-36s %5.0f     -        -       %9s/merged", str(r, "key"), num(r, "n"), merged);
	if (num(r, "superseded") > 0)
		printf("  (+%.0f superseded)", num(r, "superseded"));
	printf("\n");
}

static void print_rows(const cJSON *rows)
{
	const cJSON *r;

	printf("%-36s %5s %6s  %9s  %16s\n", "KEY", "N", "FIRST", "95% CI", "COST");
	if (!cJSON_GetArraySize(rows))
		printf("(no ended work yet)\n");
	cJSON_ArrayForEach(r, rows)
		print_row(r);
}

static void print_stats(const cJSON *d)
{
	printf("by %s%s%s%s%s", str(d, "by"), *str(d, "kind") ? ", kind " : "", str(d, "kind"),
	       *str(d, "language") ? ", language " : "", str(d, "language"));
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(d, "towns")))
		printf(", across %.0f town%s (rows from at least %.0f)", num(d, "towns"), num(d, "towns") == 1 ? "" : "s",
		       num(d, "min_towns"));
	printf("\n");
	print_rows(cJSON_GetObjectItemCaseSensitive(d, "rows"));
}

static void print_record(const cJSON *d)
{
	static const char *const parts[][2] = {{"by_persona", "by persona"}, {"by_language", "by language"},
					       {"by_model", "by model"}, {"by_kind", "by kind"}};
	const cJSON *o;

	printf("%s\n", str(d, "agent"));
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(d, "totals")))
		print_row(cJSON_GetObjectItemCaseSensitive(d, "totals"));
	else
		printf("(no ended work yet)\n");
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, parts[i][0])))
			continue;
		printf("\n%s\n", parts[i][1]);
		print_rows(cJSON_GetObjectItemCaseSensitive(d, parts[i][0]));
	}
	printf("\nlatest\n");
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(d, "recent"))
		printf("%-10s %-10s %-8s %s\n", str(o, "bead"), str(o, "result"), str(o, "kind"), str(o, "model"));
}

static void print_recommend(const cJSON *d)
{
	const cJSON *v;

	printf("%s: %s in %s (from %s; at least %.0f outcomes each)\n", str(d, "bead"), str(d, "kind"),
	       *str(d, "language") ? str(d, "language") : "a language not measured yet", str(d, "scope"), num(d, "min_sample"));
	if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "variants")))
		printf("(not enough outcomes to recommend anything yet)\n");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(d, "variants"))
		printf("  %s\n", str(v, "why"));
}

static void town_path(const struct cli *cli, struct http_path *p, const char *rest)
{
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	http_path_lit(p, rest);
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"by", required_argument, 0, 'b'}, {"kind", required_argument, 0, 'k'},
					     {"language", required_argument, 0, 'l'}, {"platform", no_argument, 0, 'p'},
					     {0, 0, 0, 0}};
	const char *by = NULL, *kind = NULL, *language = NULL;
	struct http_path p = {0};
	int c, platform = 0;
	struct opt o;

	opt_init(&o, cli, &stats_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c == 'b')
			by = optarg;
		else if (c == 'k')
			kind = optarg;
		else if (c == 'l')
			language = optarg;
		else if (c == 'p')
			platform = 1;
		else
			return OPT_EXIT(c);
	}
	if (opt_operands(&o, 0, 0) < 0 || (!platform && cli_need_town(cli) < 0))
		return 2;
	if (platform)
		http_path_lit(&p, "/api/stats?by=");
	else
		town_path(cli, &p, "/stats?by=");
	http_path_seg(&p, by ? by : "variant");
	if (kind) {
		http_path_lit(&p, "&kind=");
		http_path_seg(&p, kind);
	}
	if (language) {
		http_path_lit(&p, "&language=");
		http_path_seg(&p, language);
	}
	return cli_call_print(cli, "GET", &p, NULL, print_stats);
}

/* record AGENT, recommend BEAD: one id, no option of their own. */
static int one(struct cli *cli, int argc, char **argv, const struct usage *u, const char *what, const char *prefix,
	       const char *suffix, void (*text)(const cJSON *data))
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, u, 1, 1, argc, argv);

	if (rc >= 0)
		return rc;
	if (opt_id(u, what, o.pos[0]) < 0 || cli_need_town(cli) < 0)
		return 2;
	town_path(cli, &p, prefix);
	http_path_seg(&p, o.pos[0]);
	http_path_lit(&p, suffix);
	return cli_call_print(cli, "GET", &p, NULL, text);
}

int cmd_record(struct cli *cli, int argc, char **argv)
{
	return one(cli, argc, argv, &record_usage, "agent", "/agents/", "/record", print_record);
}

int cmd_recommend(struct cli *cli, int argc, char **argv)
{
	return one(cli, argc, argv, &recommend_usage, "bead", "/beads/", "/recommend", print_recommend);
}
