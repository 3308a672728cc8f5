/*
 * api_costs.c - /api/towns/:town/{costs, prices, budgets} and the container's usage reports
 * (POST .../agents/:agent/usage). Members read costs and budgets; owners and admins set prices
 * and budgets.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define PRICE_MAX 1000000000LL /* $1000 per million tokens */

struct usage_body {
	const cJSON *records;
};

#define RECORDS_MSG "'records' is an array of usage records"
static const struct field_rule usage_rules[] = {
	{"records", F_ARR(struct usage_body, records), FR_REQUIRED, 0, USAGE_RECORDS_MAX, .of = &usage_record,
	 .msg = {[FF_MISSING] = RECORDS_MSG, [FF_TYPE] = RECORDS_MSG, [FF_MANY] = "at most %u records per call"}},
};
const struct fields agent_usage_body = FIELDS(usage_rules, struct usage_body);

/* Microdollars per million tokens. A PUT patches: what it does not send stays as it was (-1 here);
 * a new price needs input and output, its cache prices are 0 unless sent. */
struct price_body {
	int64_t input, output, cache_read, cache_write;
};

static const struct field_rule price_rules[] = {
	{"input_per_mtok", F_INT(struct price_body, input), 0, 0, PRICE_MAX},
	{"output_per_mtok", F_INT(struct price_body, output), 0, 0, PRICE_MAX},
	{"cache_read_per_mtok", F_INT(struct price_body, cache_read), 0, 0, PRICE_MAX},
	{"cache_write_per_mtok", F_INT(struct price_body, cache_write), 0, 0, PRICE_MAX},
};
const struct fields price_put_body = FIELDS(price_rules, struct price_body);

struct budget_body {
	int64_t limit, soft_pct;
};

/* A PUT patches as a price's does: a new budget needs its limit, its soft_pct is 90 unless sent. */
static const struct field_rule budget_rules[] = {
	{"limit_microusd", F_INT(struct budget_body, limit), 0, 0, 1000000000000000LL},
	{"soft_pct", F_INT(struct budget_body, soft_pct), 0, 1, 100},
};
const struct fields budget_put_body = FIELDS(budget_rules, struct budget_body);

int api_agent_usage(struct call *c)
{
	struct usage_body in = {0};
	int accepted, duplicates;
	cJSON *out;

	if (call_fields(c, &in, sizeof in) < 0 || usage_ingest(c, c->seg[4], in.records, &accepted, &duplicates) < 0)
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "accepted", accepted);
	cJSON_AddNumberToObject(out, "duplicates", duplicates);
	return call_reply(c, 200, out);
}

int api_costs_get(struct call *c)
{
	char by[16], period[8] = "day", date[16];
	int64_t day = costs_day_of(c->now_ms);
	enum role caller;
	int has_by, q;
	cJSON *out;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || (has_by = query_get(c, "by", by, sizeof by)) < 0 ||
	    query_get(c, "period", period, sizeof period) < 0 || (q = query_get(c, "date", date, sizeof date)) < 0)
		return -1;
	if (has_by && !costs_dim_valid(by))
		return err_set(&c->err, ERR_INVALID, "by", "'by' is bead, convoy, rig, agent, model, user or town");
	if (q && costs_parse_date(date, &day) < 0)
		return err_set(&c->err, ERR_INVALID, "date", "'date' is YYYY-MM-DD");
	if (!(out = costs_json(c, has_by ? by : NULL, period, day)))
		return -1;
	return call_reply(c, 200, out);
}

int api_prices_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = costs_prices_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

static int model_valid(const char *m)
{
	size_t n = strlen(m);

	return n > 0 && n <= 100 && strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@-*") == n &&
	       (!strchr(m, '*') || strchr(m, '*') == m + n - 1);
}

int api_price_put(struct call *c)
{
	const char *model = c->seg[4];
	struct price_body in = {-1, -1, -1, -1};
	enum role caller;
	char what[200];

	/* A body that is not JSON first, then the model in the path, then the fields. */
	if (town_require(c, ROLE_ADMIN, &caller) < 0 || !call_body_object(c))
		return -1;
	if (!model_valid(model))
		return err_set(&c->err, ERR_INVALID, "model", "a model is 1-100 characters, with '*' only at the end");
	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (costs_price_put(c, model, &in.input, &in.output, in.cache_read, in.cache_write) < 0)
		return -1;
	snprintf(what, sizeof what, "%lld/%lld per Mtok", (long long)in.input, (long long)in.output);
	if (event_append(c, "price.set", model, "price", NULL, what) < 0)
		return -1;
	return api_prices_list(c);
}

int api_price_delete(struct call *c)
{
	enum role caller;
	int rc;

	if (town_require(c, ROLE_ADMIN, &caller) < 0)
		return -1;
	if ((rc = costs_price_delete(c, c->seg[4])) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "model", "no price for '%s'", c->seg[4]);
	if (event_append(c, "price.removed", c->seg[4], NULL, NULL, NULL) < 0)
		return -1;
	return api_prices_list(c);
}

int api_budgets_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = budgets_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

/* /budgets/:scope/:key; a town-month budget's key is "town". */
static int budget_path(struct call *c, const char **scope, const char **key)
{
	*scope = c->seg[4];
	*key = c->seg[5];
	if (!budget_scope_valid(*scope))
		return err_set(&c->err, ERR_INVALID, "scope", "a budget's scope is rig-day, convoy, user-day, user-week or town-month");
	if (strcmp(*scope, "town-month") == 0 && strcmp(*key, "town") != 0)
		return err_set(&c->err, ERR_INVALID, "key", "a town-month budget's key is 'town'");
	if (strlen(*key) > 128)
		return err_set(&c->err, ERR_INVALID, "key", "a budget's key is at most 128 characters");
	return 0;
}

int api_budget_put(struct call *c)
{
	const char *scope, *key;
	struct budget_body in = {-1, -1};
	enum role caller;
	int rc = 1;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || budget_path(c, &scope, &key) < 0 ||
	    call_fields(c, &in, sizeof in) < 0)
		return -1;
	/* The key names something of this town. */
	if (strcmp(scope, "rig-day") == 0)
		rc = rig_exists(c, key);
	else if (strcmp(scope, "convoy") == 0)
		rc = convoy_exists(c, key);
	else if (strcmp(scope, "user-day") == 0 || strcmp(scope, "user-week") == 0)
		rc = user_id_valid(key);
	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "key", strcmp(scope, "convoy") == 0 ? "no convoy '%s' in this town"
					     : strcmp(scope, "rig-day") == 0 ? "no rig '%s' in this town" : "'%s' is not a user id", key);
	if (budget_put(c, scope, key, in.limit, (int)in.soft_pct) < 0)
		return -1;
	return api_budgets_list(c);
}

int api_budget_delete(struct call *c)
{
	const char *scope, *key;
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || budget_path(c, &scope, &key) < 0 || budget_delete(c, scope, key) < 0)
		return -1;
	return api_budgets_list(c);
}
