/*
 * costs/costs.h - usage records, prices, daily totals, budgets and the fleet report an organization sees.
 */
#ifndef GASTOWN_COSTS_H
#define GASTOWN_COSTS_H

#include "org/org.h"

/* ---- costs.c: usage records, prices, daily totals and roll-ups --------------------------------- */

int64_t costs_day_of(double ms);
/* The first and last day of the period (day, week from Monday, month, all) containing day. */
int costs_period(const char *kind, int64_t day, int64_t *from, int64_t *to);
int costs_parse_date(const char *s, int64_t *day);
void costs_format_date(int64_t day, char *out, size_t len);
int costs_dim_valid(const char *by);
#define USAGE_RECORDS_MAX 100 /* per report */
/* One usage record as the container reports it (an item of POST .../usage's records). */
extern const struct field_rule usage_record;
/* Store an agent's usage records (an array of usage_record, checked by the route's fields;
 * idempotent by id), charged to the human at the root of the work. */
int usage_ingest(struct call *c, const char *agent, const cJSON *records, int *accepted, int *duplicates);
/* The convoys spend on bead counts for: its own, or when it is in none, its parent's (an attempt
 * of a bead slung several ways, a review's fix: their work is their parent's). NULL on failure. */
cJSON *costs_convoys_of(struct call *c, const char *bead);
/* Spend of one dimension's key over days [from, to]; -1 on failure. */
int64_t costs_spend(struct call *c, const char *dim, const char *key, int64_t from, int64_t to);
/* The town's total for a period and, with by, its rows per key of that dimension. */
cJSON *costs_json(struct call *c, const char *by, const char *period, int64_t day);
/* Prices per million tokens, in microdollars, by model ("prefix*" covers a family, "*" the rest):
 * the list by model (a new array, NULL when storage failed), set (as the caller), and remove (1, or
 * 0 when the model has no price). Set patches: a value below 0 keeps the stored one (a new price
 * needs input and output: ERR_INVALID; its cache prices are 0); *input and *output get the result. */
cJSON *costs_prices_json(struct call *c);
int costs_price_put(struct call *c, const char *model, int64_t *input, int64_t *output, int64_t cache_read,
		    int64_t cache_write);
int costs_price_delete(struct call *c, const char *model);
/* The fleet report's cost rows since day since, newest first (at most 5000): [day, user, rig,
 * cost_microusd] from the daily "user-rig" totals. A new array, NULL when storage failed. */
cJSON *costs_user_rig_rows(struct call *c, int64_t since);

/* ---- budget.c ---------------------------------------------------------------------------------- */

int budget_scope_valid(const char *scope);
/* Set a budget, patching: limit or soft_pct below 0 keeps the stored one (a new budget needs its
 * limit: ERR_INVALID; its soft_pct is 90). */
int budget_put(struct call *c, const char *scope, const char *key, int64_t limit, int soft_pct);
int budget_delete(struct call *c, const char *scope, const char *key);
cJSON *budgets_json(struct call *c);
/* 1 when a budget over bead is at its limit (why says which, its limit and spend), 0 if not.
 * raise: also raise the limit escalation (once per period). */
int budget_blocks(struct call *c, const char *bead, int raise, char *why, size_t len);

/* ---- fleet.c: the organization's view of its towns ------------------------------------------- */

/* A town owned by an organization reports to it a few seconds after a change (timer "fleet"). */
int fleet_soon(struct call *c);
int fleet_timer_fired(struct call *c, const char *key);
int fleet_reported(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* The organization's side: PUT /_internal/fleet/:town, and the figures for a period. */
int fleet_take_report(struct call *c);
/* The bodies of PUT /_internal/fleet/:town and PUT /api/orgs/:org/teams/:user (the route table's). */
extern const struct fields fleet_report_body, org_team_body;
cJSON *fleet_json(struct call *c, const char *period, int64_t day);
int api_org_fleet(struct call *c);
int api_org_team_put(struct call *c);

/* Listeners of the town's deletion (town_deleting): usage_daily, usage, model_prices (back to the
 * defaults); budgets. */
int costs_wipe(struct call *c);
int budget_wipe(struct call *c);

/* ---- reactions to budgets and usage (wiring.c lists who listens) ------------------------------- */

/* A budget was set or removed: what it held back may start, or what runs may now be over it. */
typedef int (*budget_reaction)(struct call *c);
extern const budget_reaction budget_reactions[];
extern const size_t budget_reactions_n;
/* New usage was stored. Told once per run of a batch's records that fall under the same budgets
 * (same requester, rig, day and convoys), in order; last is set on the batch's final telling. */
struct usage_change {
	const char *rig, *requested_by;
	const cJSON *convoys; /* every convoy of the records' bead, or NULL */
	int64_t day;
	int last;
};
typedef int (*usage_reaction)(struct call *c, const struct usage_change *ch);
extern const usage_reaction usage_reactions[];
extern const size_t usage_reactions_n;

/* A usage record was stored against a work bead: its cost, for whoever sums a bead's spend
 * (costs.c announces once per new record with a bead; wiring.c lists who listens). */
struct spend_change {
	const char *bead;
	int64_t cost_microusd;
};
typedef int (*spend_reaction)(struct call *c, const struct spend_change *ch);
extern const spend_reaction spend_reactions[];
extern const size_t spend_reactions_n;

/* This layer's listeners. Budgets: warnings and limit escalations, once per budget and period. The
 * ticker: the town's totals pushed to its sockets. The fleet: its report is due again after a change
 * it counts. */
int budget_on_usage(struct call *c, const struct usage_change *ch);
int costs_on_usage(struct call *c, const struct usage_change *ch);
int fleet_on_usage(struct call *c, const struct usage_change *ch);
int fleet_on_bead(struct call *c, const struct bead_change *ch);

#endif
