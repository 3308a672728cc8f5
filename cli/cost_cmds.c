/*
 * cost_cmds.c - gt's commands for money: a town's costs, budgets and prices, and an organization's
 * fleet and teams. People type dollars ("5", "12.50"); the API counts integer microdollars, and
 * both directions convert exactly, through integers only: no amount ever passes through a double
 * that we compute with (cJSON reads every number as one; amounts are integers far below 2^53).
 */
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

static int usage_error(const char *usage)
{
	fprintf(stderr, "usage: gt %s\n", usage);
	return 2;
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

/* A request path built in pieces: literal parts as they are, ids and query values percent-encoded. */
struct path {
	char s[1024];
	size_t n;
	int overflow;
};

static void path_lit(struct path *p, const char *lit)
{
	size_t k = strlen(lit);

	if (p->n + k >= sizeof p->s) {
		p->overflow = 1;
		return;
	}
	memcpy(p->s + p->n, lit, k + 1);
	p->n += k;
}

static void path_seg(struct path *p, const char *seg)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *)seg; *c; c++) {
		char one[4] = {(char)*c, 0};

		if (!strchr("-._~", *c) && !(*c >= '0' && *c <= '9') && !(*c >= 'a' && *c <= 'z') &&
		    !(*c >= 'A' && *c <= 'Z')) {
			one[0] = '%';
			one[1] = hex[*c >> 4];
			one[2] = hex[*c & 15];
		}
		path_lit(p, one);
	}
}

/* /api/towns/:town/<rest>, or -1 with the reason printed. */
static int town_path(const struct cli *cli, struct path *p, const char *rest)
{
	if (!cli->town || !*cli->town) {
		fprintf(stderr, "gt: which town? pass --town ID or set GASTOWN_TOWN\n");
		return -1;
	}
	path_lit(p, "/api/towns/");
	path_seg(p, cli->town);
	path_lit(p, rest);
	return 0;
}

/* One call; body is consumed. 0 with *res_out the answer (the caller deletes it), or 1 with the
 * error printed and *res_out NULL; 2 when the path did not fit. */
static int call(struct cli *cli, const char *method, const struct path *p, cJSON *body, cJSON **res_out)
{
	char err[256] = "", *payload;
	int status;

	*res_out = NULL;
	if (p->overflow) {
		cJSON_Delete(body);
		fprintf(stderr, "gt: the request path is too long\n");
		return 2;
	}
	payload = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	status = http_call(cli, method, p->s, payload, res_out, err, sizeof err);
	cJSON_free(payload);
	if (status >= 200 && status <= 299)
		return 0;
	cli_fail(cli, status, *res_out, err);
	cJSON_Delete(*res_out);
	*res_out = NULL;
	return 1;
}

/* call(), then print the data: as JSON with --json, else with text(data, arg). */
static int call_and_print(struct cli *cli, const char *method, const struct path *p, cJSON *body,
			  void (*text)(const cJSON *data, const char *arg), const char *arg)
{
	cJSON *res;
	const cJSON *data;
	int rc = call(cli, method, p, body, &res);

	if (rc != 0)
		return rc;
	data = cJSON_GetObjectItemCaseSensitive(res, "data");
	if (cli->json) {
		char *s = cJSON_Print(data);
		printf("%s\n", s ? s : "null");
		cJSON_free(s);
	} else {
		text(data, arg);
	}
	cJSON_Delete(res);
	return 0;
}

/* --day, --week, --month (and --all when all_ok) into *period: 1 when argv[i] is one of them, 0
 * when not, -1 (printed) when a period was already chosen. */
static int period_flag(const char *cmd, const char *a, int all_ok, const char **period)
{
	static const char *const names[] = {"day", "week", "month", "all"};

	for (int i = 0; i < 3 + all_ok; i++) {
		if (strncmp(a, "--", 2) != 0 || strcmp(a + 2, names[i]) != 0)
			continue;
		if (*period) {
			fprintf(stderr, "gt %s: choose one period: --%s or --%s\n", cmd, *period, names[i]);
			return -1;
		}
		*period = names[i];
		return 1;
	}
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

int cmd_costs(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "costs [--by user|rig|convoy|model|agent|bead|town] [--day|--week|--month|--all] "
				    "[--date YYYY-MM-DD] [--json]";
	const char *by = NULL, *period = NULL, *date = NULL;
	struct path p = {0};
	int f;

	for (int i = 1; i < argc; i++) {
		if ((f = period_flag("costs", argv[i], 1, &period)) != 0) {
			if (f < 0)
				return 2;
		} else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc) {
			by = argv[++i];
		} else if (strcmp(argv[i], "--date") == 0 && i + 1 < argc) {
			date = argv[++i];
		} else {
			return usage_error(usage);
		}
	}
	if (town_path(cli, &p, "/costs?period=") < 0)
		return 2;
	path_seg(&p, period ? period : "day");
	if (by) {
		path_lit(&p, "&by=");
		path_seg(&p, by);
	}
	if (date) {
		path_lit(&p, "&date=");
		path_seg(&p, date);
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

int cmd_budget(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "budget list | set SCOPE KEY DOLLARS [--soft PCT] | rm SCOPE KEY\n"
				    "       (SCOPE: rig-day, convoy, user-day, user-week, town-month with KEY town)";
	const char *pos[3] = {0};
	int64_t limit, soft = -1;
	struct path p = {0};
	int npos = 0;
	cJSON *b;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if (town_path(cli, &p, "/budgets") < 0)
			return 2;
		return call_and_print(cli, "GET", &p, NULL, print_budgets, NULL);
	}
	if (argc < 2 || (strcmp(argv[1], "set") != 0 && strcmp(argv[1], "rm") != 0))
		return usage_error(usage);
	/* Everything but --soft is positional, so "-5" reaches the amount check and is named there. */
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--soft") == 0 && i + 1 < argc && argv[1][0] == 's') {
			if (soft_arg(argv[++i], &soft) < 0)
				return 2;
		} else if (npos < 3 && strncmp(argv[i], "--", 2) != 0) {
			pos[npos++] = argv[i];
		} else {
			return usage_error(usage);
		}
	}
	if (npos != (argv[1][0] == 's' ? 3 : 2) || !*pos[0] || !*pos[1])
		return usage_error(usage);
	if (pos[2] && dollars_arg("budget", pos[2], BUDGET_MAX, &limit) < 0)
		return 2;
	if (town_path(cli, &p, "/budgets/") < 0)
		return 2;
	path_seg(&p, pos[0]);
	path_lit(&p, "/");
	path_seg(&p, pos[1]);
	if (!pos[2])
		return call_and_print(cli, "DELETE", &p, NULL, print_budgets, NULL);
	b = cJSON_CreateObject();
	add_int(b, "limit_microusd", limit);
	if (soft >= 0)
		add_int(b, "soft_pct", soft);
	return call_and_print(cli, "PUT", &p, b, print_budgets, NULL);
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

int cmd_price(struct cli *cli, int argc, char **argv)
{
	static const char *const fields[4] = {"input_per_mtok", "output_per_mtok", "cache_read_per_mtok",
					      "cache_write_per_mtok"};
	static const char usage[] = "price list | set MODEL IN OUT [CACHE_READ [CACHE_WRITE]] | rm MODEL\n"
				    "       (dollars per million tokens; MODEL may end in * to price a family)";
	struct path p = {0};
	int64_t v[4];
	cJSON *b;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if (town_path(cli, &p, "/prices") < 0)
			return 2;
		return call_and_print(cli, "GET", &p, NULL, print_prices, NULL);
	}
	if (argc == 3 && strcmp(argv[1], "rm") == 0 && *argv[2]) {
		if (town_path(cli, &p, "/prices/") < 0)
			return 2;
		path_seg(&p, argv[2]);
		return call_and_print(cli, "DELETE", &p, NULL, print_prices_left, argv[2]);
	}
	if (argc < 5 || argc > 7 || strcmp(argv[1], "set") != 0 || !*argv[2])
		return usage_error(usage);
	for (int i = 3; i < argc; i++)
		if (dollars_arg("price", argv[i], PRICE_MAX, &v[i - 3]) < 0)
			return 2;
	if (town_path(cli, &p, "/prices/") < 0)
		return 2;
	path_seg(&p, argv[2]);
	b = cJSON_CreateObject();
	for (int i = 3; i < argc; i++)
		add_int(b, fields[i - 3], v[i - 3]);
	return call_and_print(cli, "PUT", &p, b, print_prices, argv[2]);
}

/* ---- the fleet and teams ------------------------------------------------------------------------- */

/* /api/orgs/:org/<rest>, or -1 with the reason printed. */
static int org_path(const struct cli *cli, const char *org, struct path *p, const char *rest)
{
	if (!org)
		org = cli->org;
	if (!org || !*org) {
		fprintf(stderr, "gt: which organization? pass --org ID or set GASTOWN_ORG\n");
		return -1;
	}
	path_lit(p, "/api/orgs/");
	path_seg(p, org);
	path_lit(p, rest);
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

int cmd_fleet(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "fleet [--org ORG] [--day|--week|--month] [--date YYYY-MM-DD] [--json]";
	const char *org = NULL, *period = NULL, *date = NULL;
	struct path p = {0};
	int f;

	for (int i = 1; i < argc; i++) {
		if ((f = period_flag("fleet", argv[i], 0, &period)) != 0) {
			if (f < 0)
				return 2;
		} else if (strcmp(argv[i], "--org") == 0 && i + 1 < argc) {
			org = argv[++i];
		} else if (strcmp(argv[i], "--date") == 0 && i + 1 < argc) {
			date = argv[++i];
		} else {
			return usage_error(usage);
		}
	}
	if (org_path(cli, org, &p, "/fleet?period=") < 0)
		return 2;
	path_seg(&p, period ? period : "week");
	if (date) {
		path_lit(&p, "&date=");
		path_seg(&p, date);
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

int cmd_team(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "team set USER TEAM [--org ORG] | rm USER [--org ORG]";
	const char *org = NULL, *pos[3] = {0};
	struct path p = {0};
	int npos = 0;
	cJSON *b;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
			org = argv[++i];
		else if (npos < 3 && strncmp(argv[i], "--", 2) != 0)
			pos[npos++] = argv[i];
		else
			return usage_error(usage);
	}
	if (!(npos == 3 && strcmp(pos[0], "set") == 0 && *pos[2]) && !(npos == 2 && strcmp(pos[0], "rm") == 0))
		return usage_error(usage);
	if (!*pos[1])
		return usage_error(usage);
	if (org_path(cli, org, &p, "/teams/") < 0)
		return 2;
	path_seg(&p, pos[1]);
	b = cJSON_CreateObject();
	if (pos[2])
		cJSON_AddStringToObject(b, "team", pos[2]);
	else
		cJSON_AddNullToObject(b, "team");
	return call_and_print(cli, "PUT", &p, b, print_team, NULL);
}
