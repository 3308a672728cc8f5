/*
 * cost_cmds.c - gt's commands for money: a town's costs, budgets and prices, and an organization's
 * fleet and teams. People type dollars ("5", "12.50"); the API counts integer microdollars, and
 * both directions convert exactly, through integers only: no amount ever passes through a double
 * that we compute with (cJSON reads every number as one; amounts are integers far below 2^53).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define MICRO 1000000LL
/* The engine's ranges (src/api_costs.c), checked here so the error speaks in dollars. */
#define BUDGET_MAX 1000000000000000LL /* $1,000,000,000 */
#define PRICE_MAX 1000000000LL        /* $1000 per million tokens */

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

/* An integer field (amounts, tokens, counts); 0 when absent. Exact: the engine sends integers. */
static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble >= 0x1p63 || v->valuedouble < -0x1p63)
		return 0;
	return (int64_t)v->valuedouble;
}

/* ---- dollars ------------------------------------------------------------------------------------- */

/* Microdollars as dollars into buf: always whole cents ($47.00), and the digits below a cent only
 * when there are some ($0.0087), so nothing is rounded away. Returns buf. */
static const char *money(int64_t micro, char *buf, size_t len)
{
	uint64_t a = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;
	char frac[8];
	int digits = 6;

	snprintf(frac, sizeof frac, "%06u", (unsigned)(a % MICRO));
	while (digits > 2 && frac[digits - 1] == '0')
		digits--;
	snprintf(buf, len, "%s$%llu.%.*s", micro < 0 ? "-" : "", (unsigned long long)(a / MICRO), digits, frac);
	return buf;
}

/* Dollars to microdollars, exactly: an optional '$', digits, then optionally a point and 1 to 6
 * digits; at most max. 0, or -1 with the reason in why. */
static int money_parse(const char *s, int64_t max, int64_t *out, char *why, size_t why_len)
{
	const char *p = s + (*s == '$');
	int64_t whole = 0, frac = 0;
	size_t nwhole = strspn(p, "0123456789"), nfrac = 0;
	char lim[32];

	if (*p == '-') {
		snprintf(why, why_len, "'%s' is negative: an amount is zero dollars or more", s);
		return -1;
	}
	if (p[nwhole] == '.') {
		nfrac = strspn(p + nwhole + 1, "0123456789");
		if (nfrac > 6 && p[nwhole + 1 + nfrac] == '\0') {
			snprintf(why, why_len, "'%s' has more than 6 decimal places: the smallest amount is $0.000001", s);
			return -1;
		}
	}
	if (nwhole == 0 || (p[nwhole] == '.' && nfrac == 0) || p[nwhole + (p[nwhole] == '.') + nfrac] != '\0') {
		snprintf(why, why_len, "'%s' is not an amount of dollars: write digits with an optional point, "
				       "e.g. 5 or 12.50", s);
		return -1;
	}
	for (size_t i = 0; i < nwhole; i++) {
		whole = whole * 10 + (p[i] - '0');
		if (whole > max / MICRO + 1)
			break; /* already too much; stop before the sum could overflow */
	}
	for (size_t i = 0; i < 6; i++)
		frac = frac * 10 + (i < nfrac ? p[nwhole + 1 + i] - '0' : 0);
	if (whole > max / MICRO || whole * MICRO + frac > max) {
		snprintf(why, why_len, "'%s' is more than the most allowed, %s", s, money(max, lim, sizeof lim));
		return -1;
	}
	*out = whole * MICRO + frac;
	return 0;
}

/* money_parse for an argument: prints the reason under cmd's name; 0 or -1. */
static int dollars_arg(const char *cmd, const char *s, int64_t max, int64_t *out)
{
	char why[256];

	if (money_parse(s, max, out, why, sizeof why) == 0)
		return 0;
	fprintf(stderr, "gt %s: %s\n", cmd, why);
	return -1;
}

/* An integer as a raw JSON number: built from the integer, never through a double. */
static void add_int(cJSON *o, const char *name, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	cJSON_AddRawToObject(o, name, buf);
}

/* ---- requests ------------------------------------------------------------------------------------ */

/* /api/towns/:town/<rest>, or -1 with the reason printed. */
static int town_path(const struct cli *cli, struct http_path *p, const char *rest)
{
	if (cli_need_town(cli) < 0)
		return -1;
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	http_path_lit(p, rest);
	return 0;
}

/* cli_call, then print the data: as JSON with --json, else with text(data, arg). */
static int call_and_print(struct cli *cli, const char *method, const struct http_path *p, cJSON *body,
			  void (*text)(const cJSON *data, const char *arg), const char *arg)
{
	cJSON *res;
	int rc = cli_call(cli, method, p, body, &res);

	if (rc != 0)
		return rc;
	if (cli->json)
		cli_print_json(cJSON_GetObjectItemCaseSensitive(res, "data"));
	else
		text(cJSON_GetObjectItemCaseSensitive(res, "data"), arg);
	cJSON_Delete(res);
	return 0;
}

/* The period options: --day, --week, --month, --all (costs only). */
enum { P_DAY = 0x101, P_WEEK, P_MONTH, P_ALL, O_BY, O_DATE, O_SOFT, O_ORG };

#define PERIOD_OPTIONS                                                                                 \
	{"day", no_argument, 0, P_DAY}, {"week", no_argument, 0, P_WEEK}, {"month", no_argument, 0, P_MONTH}

/* A period option c into *period: 0, or 2 (printed) when a period was already chosen. */
static int period_opt(const struct usage *u, int c, const char **period)
{
	static const char *const names[] = {"day", "week", "month", "all"};
	const char *name = names[c - P_DAY];

	if (*period)
		return opt_fail(u, "choose one period: --%s or --%s", *period, name);
	*period = name;
	return 0;
}

/* ---- costs --------------------------------------------------------------------------------------- */

static void print_costs(const cJSON *d, const char *arg)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "total"), *r;
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(d, "rows");
	char m[32];
	int w = 4;

	(void)arg;
	if (!*str(d, "from"))
		printf("all time");
	else if (strcmp(str(d, "from"), str(d, "to")) == 0)
		printf("%s", str(d, "from"));
	else
		printf("%s to %s", str(d, "from"), str(d, "to"));
	printf(": %s in %lld model call%s\n", money(num(t, "cost_microusd"), m, sizeof m),
	       (long long)num(t, "records"), num(t, "records") == 1 ? "" : "s");
	printf("tokens: %lld input, %lld output, %lld cache read, %lld cache write\n",
	       (long long)num(t, "input_tokens"), (long long)num(t, "output_tokens"),
	       (long long)num(t, "cache_read_tokens"), (long long)num(t, "cache_write_tokens"));
	if (!*str(d, "by"))
		return;
	if (cJSON_GetArraySize(rows) == 0) {
		printf("\nno usage by %s in this period\n", str(d, "by"));
		return;
	}
	cJSON_ArrayForEach(r, rows)
		if ((int)strlen(str(r, "key")) > w)
			w = (int)strlen(str(r, "key"));
	if (w > 40)
		w = 40;
	printf("\n%-*s  %12s  %7s  %12s  %12s  %12s  %12s\n", w, str(d, "by"), "cost", "calls", "input", "output",
	       "cache read", "cache write");
	/* In the server's order: by cost, most first. */
	cJSON_ArrayForEach(r, rows)
		printf("%-*s  %12s  %7lld  %12lld  %12lld  %12lld  %12lld\n", w,
		       *str(r, "key") ? str(r, "key") : "(town)", money(num(r, "cost_microusd"), m, sizeof m),
		       (long long)num(r, "records"), (long long)num(r, "input_tokens"), (long long)num(r, "output_tokens"),
		       (long long)num(r, "cache_read_tokens"), (long long)num(r, "cache_write_tokens"));
}

static const struct usage costs_usage = {
	"costs", "[--town TOWN] costs [--by KEY] [--day|--week|--month|--all] [--date YYYY-MM-DD]",
	"What the town spent on models, in dollars and tokens: today (UTC) by default.\n"
	"\n"
	"  --by KEY         one row per user, rig, convoy, model, agent, bead or town\n"
	"  --day, --week, --month, --all    the period holding --date (default today); --all is all time\n"
	"  --date DATE      a day in the period (default today)\n",
};

int cmd_costs(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		PERIOD_OPTIONS, {"all", no_argument, 0, P_ALL}, {"by", required_argument, 0, O_BY},
		{"date", required_argument, 0, O_DATE}, {0, 0, 0, 0},
	};
	const char *by = NULL, *period = NULL, *date = NULL;
	struct http_path p = {0};
	struct opt o;
	int c;

	opt_init(&o, cli, &costs_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c >= P_DAY && c <= P_ALL) {
			if (period_opt(&costs_usage, c, &period) != 0)
				return 2;
		} else if (c == O_BY) {
			by = optarg;
		} else if (c == O_DATE) {
			date = optarg;
		} else {
			return OPT_EXIT(c);
		}
	}
	if (opt_operands(&o, 0, 0) < 0 || town_path(cli, &p, "/costs?period=") < 0)
		return 2;
	http_path_seg(&p, period ? period : "day");
	if (by) {
		http_path_lit(&p, "&by=");
		http_path_seg(&p, by);
	}
	if (date) {
		http_path_lit(&p, "&date=");
		http_path_seg(&p, date);
	}
	return call_and_print(cli, "GET", &p, NULL, print_costs, NULL);
}

/* ---- budgets ------------------------------------------------------------------------------------- */

static void print_budgets(const cJSON *list, const char *arg)
{
	const cJSON *b;
	char name[300], spend[32], limit[32];
	int w = 0, ws = 0, wl = 0, n;

	(void)arg;
	if (cJSON_GetArraySize(list) == 0) {
		printf("no budgets: gt budget set SCOPE KEY DOLLARS\n");
		return;
	}
	cJSON_ArrayForEach(b, list) {
		n = snprintf(name, sizeof name, "%s:%s", str(b, "scope"), str(b, "key"));
		w = n > w ? n : w;
		n = (int)strlen(money(num(b, "spend_microusd"), spend, sizeof spend));
		ws = n > ws ? n : ws;
		n = (int)strlen(money(num(b, "limit_microusd"), limit, sizeof limit));
		wl = n > wl ? n : wl;
	}
	cJSON_ArrayForEach(b, list) {
		snprintf(name, sizeof name, "%s:%s", str(b, "scope"), str(b, "key"));
		printf("%-*s  %*s / %-*s  %-5s  %-7s  (warns at %lld%%)\n", w, name, ws,
		       money(num(b, "spend_microusd"), spend, sizeof spend), wl,
		       money(num(b, "limit_microusd"), limit, sizeof limit), str(b, "period"), str(b, "state"),
		       (long long)num(b, "soft_pct"));
	}
}

/* --soft PCT: a whole percent; the engine checks the range (1-100). */
static int soft_arg(const char *s, int64_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || s[0] == '-' || s[0] == '+' || v > 1000) {
		fprintf(stderr, "gt budget: --soft is a whole percent of the limit, 1 to 100; not '%s'\n", s);
		return -1;
	}
	*out = v;
	return 0;
}

static const struct usage budget_usage = {
	"budget", NULL,
	"Spending limits, in dollars. SCOPE and KEY: rig-day RIG, convoy CONVOY, user-day USER,\n"
	"user-week USER, town-month town. A reached budget holds back new work under it.\n",
};

static const struct usage budget_list_usage = {
	"budget list", "[--town TOWN] budget list", "Each budget: spend / limit, its period and state.\n",
};

static const struct usage budget_set_usage = {
	"budget set", "[--town TOWN] budget set SCOPE KEY DOLLARS [--soft PCT]",
	"Set a budget's limit (\"5\", \"12.50\", at most 6 decimals).\n"
	"\n"
	"  --soft PCT       warn at this percent of the limit, 1-100 (default 90)\n",
};

static const struct usage budget_rm_usage = {
	"budget rm", "[--town TOWN] budget rm SCOPE KEY", "Remove a budget.\n",
};

static int budget_list(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &budget_list_usage, 0, 0, argc, argv)) >= 0)
		return rc;
	if (town_path(cli, &p, "/budgets") < 0)
		return 2;
	return call_and_print(cli, "GET", &p, NULL, print_budgets, NULL);
}

/* budget set and budget rm: SCOPE KEY [DOLLARS]. An amount like "-5" is an operand (opt.c), so
 * it reaches the amount check and is named there. */
static int budget_change(struct cli *cli, int argc, char **argv, int set)
{
	static const struct option soft_opt[] = {{"soft", required_argument, 0, O_SOFT}, {0, 0, 0, 0}};
	static const struct option none[] = {{0, 0, 0, 0}};
	const struct usage *u = set ? &budget_set_usage : &budget_rm_usage;
	int64_t limit = 0, soft = -1;
	struct http_path p = {0};
	struct opt o;
	cJSON *b;
	int c;

	opt_init(&o, cli, u, NULL, set ? soft_opt : none, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != O_SOFT)
			return OPT_EXIT(c);
		if (soft_arg(optarg, &soft) < 0)
			return 2;
	}
	if (opt_operands(&o, set ? 3 : 2, set ? 3 : 2) < 0)
		return 2;
	if (!*o.pos[0] || !*o.pos[1])
		return opt_fail(u, "SCOPE and KEY must not be empty");
	if (set && dollars_arg("budget", o.pos[2], BUDGET_MAX, &limit) < 0)
		return 2;
	if (town_path(cli, &p, "/budgets/") < 0)
		return 2;
	http_path_seg(&p, o.pos[0]);
	http_path_lit(&p, "/");
	http_path_seg(&p, o.pos[1]);
	if (!set)
		return call_and_print(cli, "DELETE", &p, NULL, print_budgets, NULL);
	b = cJSON_CreateObject();
	add_int(b, "limit_microusd", limit);
	if (soft >= 0)
		add_int(b, "soft_pct", soft);
	return call_and_print(cli, "PUT", &p, b, print_budgets, NULL);
}

static int budget_set(struct cli *cli, int argc, char **argv)
{
	return budget_change(cli, argc, argv, 1);
}

static int budget_rm(struct cli *cli, int argc, char **argv)
{
	return budget_change(cli, argc, argv, 0);
}

int cmd_budget(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", budget_list, &budget_list_usage}, {"set", budget_set, &budget_set_usage},
		{"rm", budget_rm, &budget_rm_usage},
	};

	return opt_dispatch(cli, &budget_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

/* ---- prices -------------------------------------------------------------------------------------- */

static void print_price(const cJSON *r, int w)
{
	char in[32], out[32], cr[32], cw[32];

	printf("%-*s  %10s  %10s  %10s  %11s  %s\n", w, str(r, "model"), money(num(r, "input_per_mtok"), in, sizeof in),
	       money(num(r, "output_per_mtok"), out, sizeof out), money(num(r, "cache_read_per_mtok"), cr, sizeof cr),
	       money(num(r, "cache_write_per_mtok"), cw, sizeof cw), str(r, "updated_by"));
}

/* Every price, or with model only that one's row (PUT answers the whole list). */
static void print_prices(const cJSON *list, const char *model)
{
	const cJSON *r;
	int w = 5;

	cJSON_ArrayForEach(r, list)
		if ((!model || strcmp(model, str(r, "model")) == 0) && (int)strlen(str(r, "model")) > w)
			w = (int)strlen(str(r, "model"));
	printf("%-*s  %10s  %10s  %10s  %11s  %s\n", w, "model", "input", "output", "cache read", "cache write",
	       "set by");
	cJSON_ArrayForEach(r, list)
		if (!model || strcmp(model, str(r, "model")) == 0)
			print_price(r, w);
	printf("(dollars per million tokens)\n");
}

static void print_prices_left(const cJSON *list, const char *model)
{
	printf("removed the price of %s\n", model);
	(void)list;
}

static const struct usage price_usage = {
	"price", NULL, "What models cost the town, in dollars per million tokens.\n",
};

static const struct usage price_list_usage = {
	"price list", "[--town TOWN] price list", "Every model's price (the defaults, and the town's own).\n",
};

static const struct usage price_set_usage = {
	"price set", "[--town TOWN] price set MODEL IN OUT [CACHE_READ [CACHE_WRITE]]",
	"Set a model's price: dollars per million input, output, cache-read and cache-write tokens\n"
	"(at most $1000). A MODEL ending in * prices a family (claude-sonnet-4*).\n",
};

static const struct usage price_rm_usage = {
	"price rm", "[--town TOWN] price rm MODEL", "Remove the town's price of a model.\n",
};

/* price list, set and rm: the operands per form, then one request. */
static int price_run(struct cli *cli, int argc, char **argv, const struct usage *u, int min, int max)
{
	static const char *const fields[4] = {"input_per_mtok", "output_per_mtok", "cache_read_per_mtok",
					      "cache_write_per_mtok"};
	struct http_path p = {0};
	int64_t v[4];
	struct opt o;
	cJSON *b;
	int rc;

	if ((rc = opt_plain(&o, cli, u, min, max, argc, argv)) >= 0)
		return rc;
	if (max == 0) {
		if (town_path(cli, &p, "/prices") < 0)
			return 2;
		return call_and_print(cli, "GET", &p, NULL, print_prices, NULL);
	}
	if (!*o.pos[0])
		return opt_fail(u, "MODEL must not be empty");
	for (int i = 1; i < o.npos; i++)
		if (dollars_arg("price", o.pos[i], PRICE_MAX, &v[i - 1]) < 0)
			return 2;
	if (town_path(cli, &p, "/prices/") < 0)
		return 2;
	http_path_seg(&p, o.pos[0]);
	if (max == 1)
		return call_and_print(cli, "DELETE", &p, NULL, print_prices_left, o.pos[0]);
	b = cJSON_CreateObject();
	for (int i = 1; i < o.npos; i++)
		add_int(b, fields[i - 1], v[i - 1]);
	return call_and_print(cli, "PUT", &p, b, print_prices, o.pos[0]);
}

static int price_list(struct cli *cli, int argc, char **argv)
{
	return price_run(cli, argc, argv, &price_list_usage, 0, 0);
}

static int price_set(struct cli *cli, int argc, char **argv)
{
	return price_run(cli, argc, argv, &price_set_usage, 3, 5);
}

static int price_rm(struct cli *cli, int argc, char **argv)
{
	return price_run(cli, argc, argv, &price_rm_usage, 1, 1);
}

int cmd_price(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", price_list, &price_list_usage}, {"set", price_set, &price_set_usage},
		{"rm", price_rm, &price_rm_usage},
	};

	return opt_dispatch(cli, &price_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

/* ---- the fleet and teams ------------------------------------------------------------------------- */

/* /api/orgs/:org/<rest>, or -1 with the reason printed. */
static int org_path(const struct cli *cli, const char *org, struct http_path *p, const char *rest)
{
	if (!org)
		org = cli->org;
	if (cli_need_org(cli, org) < 0)
		return -1;
	http_path_lit(p, "/api/orgs/");
	http_path_seg(p, org);
	http_path_lit(p, rest);
	return 0;
}

/* "this week", "today", "this month" when the period holds today (UTC), else the period named. */
static const char *period_phrase(const cJSON *d, char *buf, size_t len)
{
	const char *period = str(d, "period"), *from = str(d, "from"), *to = str(d, "to");
	char today[16];
	time_t now = time(NULL);
	struct tm tm;
	int current;

	gmtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	current = strcmp(from, today) <= 0 && strcmp(today, to) <= 0;
	if (strcmp(period, "day") == 0)
		snprintf(buf, len, current ? "today" : "on %s", from);
	else if (strcmp(period, "week") == 0)
		snprintf(buf, len, current ? "this week" : "in the week of %s", from);
	else if (strcmp(period, "month") == 0)
		snprintf(buf, len, current ? "this month" : "in %.7s", from);
	else
		snprintf(buf, len, "from %s to %s", from, to);
	return buf;
}

/* part of closed, in whole percent, rounded half up. */
static long long pct(int64_t part, int64_t closed)
{
	return closed > 0 ? (long long)((part * 200 + closed) / (closed * 2)) : 0;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ", 40% rework, 60% first-pass" when anything was closed. */
static void print_quality(const cJSON *r)
{
	int64_t closed = num(r, "closed");

	if (closed > 0)
		printf(", %lld%% rework, %lld%% first-pass", pct(num(r, "reworked"), closed),
		       pct(num(r, "first_pass"), closed));
}

static void print_fleet(const cJSON *d, const char *org)
{
	const cJSON *towns = cJSON_GetObjectItemCaseSensitive(d, "towns"), *users = cJSON_GetObjectItemCaseSensitive(d, "users");
	const cJSON *rigs = cJSON_GetObjectItemCaseSensitive(d, "rigs"), *teams = cJSON_GetObjectItemCaseSensitive(d, "teams");
	const cJSON *r;
	char when[64], m[32];

	period_phrase(d, when, sizeof when);
	printf("fleet of %s, %s (%s to %s)\n", org, when, str(d, "from"), str(d, "to"));
	if (!cJSON_GetArraySize(towns) && !cJSON_GetArraySize(users)) {
		printf("nothing reported yet: a town reports a few seconds after usage or a closed bead\n");
		return;
	}
	printf("\ntowns\n");
	cJSON_ArrayForEach(r, towns) {
		printf("  %s: %s %s, %lld closed", str(r, "town"), money(num(r, "cost_microusd"), m, sizeof m), when,
		       (long long)num(r, "closed"));
		if (num(r, "closed") > 0)
			printf(" (%.1f a day)", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "velocity_per_day")));
		print_quality(r);
		printf("\n");
	}
	printf("\nusers\n");
	cJSON_ArrayForEach(r, users)
		printf("  %s: %s %s across %lld %s, %lld %s closed\n", str(r, "user"),
		       money(num(r, "cost_microusd"), m, sizeof m), when, (long long)num(r, "rigs"),
		       plural(num(r, "rigs"), "rig", "rigs"), (long long)num(r, "closed"),
		       plural(num(r, "closed"), "bead", "beads"));
	printf("\nrigs\n");
	cJSON_ArrayForEach(r, rigs) {
		printf("  %s/%s: ", str(r, "town"), *str(r, "rig") ? str(r, "rig") : "(no rig)");
		if (num(r, "closed") > 0)
			printf("%lld%% rework, %lld%% first-pass, ", pct(num(r, "reworked"), num(r, "closed")),
			       pct(num(r, "first_pass"), num(r, "closed")));
		printf("%lld closed, %s %s\n", (long long)num(r, "closed"), money(num(r, "cost_microusd"), m, sizeof m), when);
	}
	printf("\nteams\n");
	cJSON_ArrayForEach(r, teams) {
		printf("  %s: %s %s, %lld %s closed", str(r, "team"), money(num(r, "cost_microusd"), m, sizeof m), when,
		       (long long)num(r, "closed"), plural(num(r, "closed"), "bead", "beads"));
		print_quality(r);
		printf("\n");
	}
}

static const struct usage fleet_usage = {
	"fleet", "fleet [--org ORG] [--day|--week|--month] [--date YYYY-MM-DD]",
	"An organization's towns, people, rigs and teams: cost, velocity, rework (admins).\n"
	"\n"
	"  --org ORG        the organization (default --org before the command, or $GASTOWN_ORG)\n"
	"  --day, --week, --month    the period holding --date (default this week, UTC)\n"
	"  --date DATE      a day in the period (default today)\n",
};

int cmd_fleet(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		PERIOD_OPTIONS, {"org", required_argument, 0, O_ORG}, {"date", required_argument, 0, O_DATE},
		{0, 0, 0, 0},
	};
	const char *org = NULL, *period = NULL, *date = NULL;
	struct http_path p = {0};
	struct opt o;
	int c;

	opt_init(&o, cli, &fleet_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c >= P_DAY && c <= P_MONTH) {
			if (period_opt(&fleet_usage, c, &period) != 0)
				return 2;
		} else if (c == O_ORG) {
			org = optarg;
		} else if (c == O_DATE) {
			date = optarg;
		} else {
			return OPT_EXIT(c);
		}
	}
	if (opt_operands(&o, 0, 0) < 0 || org_path(cli, org, &p, "/fleet?period=") < 0)
		return 2;
	http_path_seg(&p, period ? period : "week");
	if (date) {
		http_path_lit(&p, "&date=");
		http_path_seg(&p, date);
	}
	return call_and_print(cli, "GET", &p, NULL, print_fleet, org ? org : cli->org);
}

static void print_team(const cJSON *d, const char *arg)
{
	(void)arg;
	if (*str(d, "team"))
		printf("%s's work counts for team %s\n", str(d, "user"), str(d, "team"));
	else
		printf("%s is in no team\n", str(d, "user"));
}

static const struct usage team_usage = {
	"team", NULL, "Which team a member's work counts for in the organization's fleet (admins).\n",
};

static const struct usage team_set_usage = {
	"team set", "team set USER TEAM [--org ORG]",
	"Count USER's work for TEAM.\n"
	"\n"
	"  --org ORG        the organization (default --org before the command, or $GASTOWN_ORG)\n",
};

static const struct usage team_rm_usage = {
	"team rm", "team rm USER [--org ORG]",
	"Take USER out of their team.\n"
	"\n"
	"  --org ORG        the organization (default --org before the command, or $GASTOWN_ORG)\n",
};

/* team set USER TEAM and team rm USER. */
static int team_run(struct cli *cli, int argc, char **argv, int set)
{
	static const struct option opts[] = {{"org", required_argument, 0, O_ORG}, {0, 0, 0, 0}};
	const struct usage *u = set ? &team_set_usage : &team_rm_usage;
	const char *org = NULL;
	struct http_path p = {0};
	struct opt o;
	cJSON *b;
	int c;

	opt_init(&o, cli, u, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != O_ORG)
			return OPT_EXIT(c);
		org = optarg;
	}
	if (opt_operands(&o, set ? 2 : 1, set ? 2 : 1) < 0)
		return 2;
	if (!*o.pos[0] || (set && !*o.pos[1]))
		return opt_fail(u, "USER and TEAM must not be empty");
	if (org_path(cli, org, &p, "/teams/") < 0)
		return 2;
	http_path_seg(&p, o.pos[0]);
	b = cJSON_CreateObject();
	if (set)
		cJSON_AddStringToObject(b, "team", o.pos[1]);
	else
		cJSON_AddNullToObject(b, "team");
	return call_and_print(cli, "PUT", &p, b, print_team, NULL);
}

static int team_set(struct cli *cli, int argc, char **argv)
{
	return team_run(cli, argc, argv, 1);
}

static int team_rm(struct cli *cli, int argc, char **argv)
{
	return team_run(cli, argc, argv, 0);
}

int cmd_team(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"set", team_set, &team_set_usage}, {"rm", team_rm, &team_rm_usage},
	};

	return opt_dispatch(cli, &team_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
