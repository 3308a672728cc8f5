/*
 * budget.c - spending limits that stop runaway work before it happens. A budget covers a rig per
 * day, a convoy in total, a user per day or week, or the town per month. Past its soft threshold
 * the Mayor is told and one escalation is raised; at its limit no new work under it is slung or
 * dispatched (agents already running finish their bead) and one escalation asks a human to raise
 * it. "One" means once per budget and period: the period that was warned about is stored.
 */
#include <stdio.h>
#include <string.h>

#include "costs/costs.h"
#include "sqlite3.h"

#define BUDGETS_MAX 100

static const struct {
	const char *scope, *dim, *period;
} scopes[] = {
	{"rig-day", "rig", "day"},       {"convoy", "convoy", "all"},       {"user-day", "user", "day"},
	{"user-week", "user", "week"},   {"town-month", "town", "month"},
};

static int scope_index(const char *scope)
{
	for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
		if (strcmp(scopes[i].scope, scope) == 0)
			return (int)i;
	return -1;
}

int budget_scope_valid(const char *scope)
{
	return scope_index(scope) >= 0;
}

/* The dimension key a budget's key stands for (the town's daily totals have key ""). */
static const char *dim_key(int i, const char *key)
{
	return strcmp(scopes[i].dim, "town") == 0 ? "" : key;
}

/* Spend of budget (scope i, key) in the period containing day; *period gets the period's first day. */
static int64_t spend_of(struct call *c, int i, const char *key, int64_t day, int64_t *period)
{
	int64_t from, to;

	costs_period(scopes[i].period, day, &from, &to);
	*period = strcmp(scopes[i].period, "all") == 0 ? 0 : from;
	return costs_spend(c, scopes[i].dim, dim_key(i, key), from, to);
}

static void money(int64_t micro, char *out, size_t len)
{
	snprintf(out, len, "$%lld.%02lld", (long long)(micro / 1000000), (long long)(micro % 1000000 / 10000));
}

/* Tell every listener that a budget changed. */
static int budget_changed(struct call *c)
{
	for (size_t i = 0; i < budget_reactions_n; i++)
		if (budget_reactions[i](c) < 0)
			return -1;
	return 0;
}

int budget_put(struct call *c, const char *scope, const char *key, int64_t limit, int soft_pct)
{
	char subject[200], limit_text[32];
	sqlite3_stmt *st;
	int64_t n;
	int exists;

	snprintf(subject, sizeof subject, "%s:%s", scope, key);
	if (db_query_int(c->db, "SELECT count(*) FROM budgets", &n, &c->err) < 0 ||
	    (exists = db_exists(c->db, "SELECT count(*) FROM budgets WHERE scope || ':' || key = ?1", subject, &c->err)) < 0)
		return -1;
	if (n >= BUDGETS_MAX && !exists)
		return err_set(&c->err, ERR_TOO_LARGE, "budget", "a town has at most %d budgets", BUDGETS_MAX);
	if (!exists && limit < 0)
		return err_set(&c->err, ERR_INVALID, "limit_microusd", "a new budget needs limit_microusd");
	/* Omitted values keep theirs; a raised limit clears the marks of the period it was reached in. */
	st = db_prepare(c->db, exists
		? "UPDATE budgets SET soft_period = CASE WHEN ?3 > limit_microusd THEN NULL ELSE soft_period END,"
		  " hard_period = CASE WHEN ?3 > limit_microusd THEN NULL ELSE hard_period END,"
		  " limit_microusd = CASE WHEN ?3 >= 0 THEN ?3 ELSE limit_microusd END,"
		  " soft_pct = CASE WHEN ?4 > 0 THEN ?4 ELSE soft_pct END, updated_by = ?5, updated_ms = ?6"
		  " WHERE scope = ?1 AND key = ?2"
		: "INSERT INTO budgets(scope, key, limit_microusd, soft_pct, updated_by, updated_ms)"
		  " VALUES (?1, ?2, ?3, CASE WHEN ?4 > 0 THEN ?4 ELSE 90 END, ?5, ?6)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	sqlite3_bind_int(st, 4, soft_pct);
	sqlite3_bind_text(st, 5, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	/* The feed says the limit the budget has now, sent or kept. */
	if (limit < 0) {
		if (!(st = db_prepare(c->db, "SELECT limit_microusd FROM budgets WHERE scope = ? AND key = ?", &c->err)))
			return -1;
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		if (db_step_int(c->db, st, &limit, &c->err) <= 0)
			return -1;
	}
	money(limit, limit_text, sizeof limit_text);
	/* A raised budget may let held-back work start: the next tick looks. */
	return event_append(c, "budget.set", subject, "limit", NULL, limit_text) < 0 ? -1 : budget_changed(c);
}

int budget_delete(struct call *c, const char *scope, const char *key)
{
	sqlite3_stmt *st = db_prepare(c->db, "DELETE FROM budgets WHERE scope = ? AND key = ?", &c->err);
	char subject[200];

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return err_set(&c->err, ERR_NOT_FOUND, "budget", "no budget %s:%s", scope, key);
	snprintf(subject, sizeof subject, "%s:%s", scope, key);
	return event_append(c, "budget.removed", subject, NULL, NULL, NULL) < 0 ? -1 : budget_changed(c);
}

/* One budget with its spend now; NULL when the spend could not be read. */
static cJSON *budget_json(struct call *c, const char *scope, const char *key, int64_t limit, int soft)
{
	int i = scope_index(scope);
	int64_t period, spend = i < 0 ? 0 : spend_of(c, i, key, costs_day_of(c->now_ms), &period);
	cJSON *b;

	if (spend < 0)
		return NULL;
	b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "scope", scope);
	cJSON_AddStringToObject(b, "key", key);
	cJSON_AddNumberToObject(b, "limit_microusd", (double)limit);
	cJSON_AddNumberToObject(b, "soft_pct", soft);
	cJSON_AddNumberToObject(b, "spend_microusd", (double)spend);
	cJSON_AddStringToObject(b, "period", i < 0 ? "" : scopes[i].period);
	cJSON_AddStringToObject(b, "state", spend >= limit ? "reached" : spend * 100 >= limit * soft ? "warning" : "ok");
	return b;
}

cJSON *budgets_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT scope, key, limit_microusd, soft_pct FROM budgets ORDER BY scope, key", &c->err);
	cJSON *list;
	struct {
		char scope[16], key[129];
		int64_t limit;
		int soft;
	} rows[BUDGETS_MAX];
	int n = 0, rc = 0;

	if (!st)
		return NULL;
	/* Copied out first: computing a spend runs other statements. */
	while (n < BUDGETS_MAX && (rc = db_step_row(c->db, st, &c->err)) > 0) {
		snprintf(rows[n].scope, sizeof rows[n].scope, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(rows[n].key, sizeof rows[n].key, "%s", (const char *)sqlite3_column_text(st, 1));
		rows[n].limit = sqlite3_column_int64(st, 2);
		rows[n++].soft = sqlite3_column_int(st, 3);
	}
	sqlite3_reset(st);
	if (rc < 0)
		return NULL;
	list = cJSON_CreateArray();
	for (int r = 0; r < n; r++) {
		cJSON *b = budget_json(c, rows[r].scope, rows[r].key, rows[r].limit, rows[r].soft);

		if (!b) {
			cJSON_Delete(list);
			return NULL;
		}
		cJSON_AddItemToArray(list, b);
	}
	return list;
}

/* The budgets over a piece of work: its rig's day, its convoys, its requester's day and week, the
 * town's month. Calls fn for each that exists, until fn returns nonzero. */
struct applicable {
	const char *rig, *convoy, *user;
};

static int for_each_budget(struct call *c, const struct applicable *w,
			   int (*fn)(struct call *c, int i, const char *key, int64_t limit, int soft, void *arg), void *arg)
{
	const char *keys[5] = {w->rig, w->convoy, w->user, w->user, "town"};

	for (int i = 0; i < 5; i++) {
		sqlite3_stmt *st;
		int64_t limit;
		int soft, found, rc;

		if (!keys[i] || !*keys[i])
			continue;
		st = db_prepare(c->db, "SELECT limit_microusd, soft_pct FROM budgets WHERE scope = ? AND key = ?", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, scopes[i].scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
		if ((found = db_step_row(c->db, st, &c->err)) < 0)
			return -1;
		limit = found ? sqlite3_column_int64(st, 0) : 0;
		soft = found ? sqlite3_column_int(st, 1) : 0;
		sqlite3_reset(st);
		if (found && (rc = fn(c, i, keys[i], limit, soft, arg)) != 0)
			return rc;
	}
	return 0;
}

/* Raise the notice of kind ("soft" or "hard") for a budget once per period. */
static int notice(struct call *c, int i, const char *key, int64_t limit, int64_t spend, int64_t period, int hard)
{
	sqlite3_stmt *st = db_prepare(c->db, hard
		? "UPDATE budgets SET hard_period = ?3 WHERE scope = ?1 AND key = ?2 AND hard_period IS NOT ?3"
		: "UPDATE budgets SET soft_period = ?3 WHERE scope = ?1 AND key = ?2 AND soft_period IS NOT ?3", &c->err);
	char subject[200], title[300], body[400], l[32], s[32], mail[48];

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, scopes[i].scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, period);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return 0; /* already said this period */
	snprintf(subject, sizeof subject, "%s:%s", scopes[i].scope, key);
	money(limit, l, sizeof l);
	money(spend, s, sizeof s);
	if (hard) {
		snprintf(title, sizeof title, "Budget %s reached: raise it?", subject);
		snprintf(body, sizeof body, "%s of %s spent (%s). No new work under this budget is slung or dispatched"
			 " until it is raised or lifted; running agents finish their current bead.", s, l, scopes[i].period);
	} else {
		snprintf(title, sizeof title, "Budget %s at %lld%%", subject, (long long)(limit ? spend * 100 / limit : 100));
		snprintf(body, sizeof body, "%s of %s spent (%s).", s, l, scopes[i].period);
	}
	if (event_append(c, hard ? "budget.reached" : "budget.warning", subject, "spend", NULL, s) < 0 ||
	    escalation_raise(c, hard ? "high" : "medium", title, body, NULL, mail, sizeof mail) < 0)
		return -1;
	/* The Mayor hears of it too, when the town has one. */
	if (!hard && agent_exists(c, "mayor") > 0 && mail_send(c, "mayor", title, body, mail, sizeof mail) < 0)
		return -1;
	return 0;
}

struct after_arg {
	int64_t day;
};

static int after_one(struct call *c, int i, const char *key, int64_t limit, int soft, void *arg)
{
	const struct after_arg *a = arg;
	int64_t period, spend = spend_of(c, i, key, a->day, &period);

	if (spend < 0)
		return -1;
	if (spend >= limit)
		return notice(c, i, key, limit, spend, period, 1) < 0 ? -1 : 0;
	if (spend * 100 >= limit * soft)
		return notice(c, i, key, limit, spend, period, 0) < 0 ? -1 : 0;
	return 0;
}

static int after_usage(struct call *c, const char *rig, const char *convoy, const char *user, int64_t day)
{
	struct applicable w = {rig, convoy, user};
	struct after_arg a = {day};
	char saved[sizeof c->who.requested_by];
	int rc;

	/* Notices are about the requester's money: on their account in the feed. */
	memcpy(saved, c->who.requested_by, sizeof saved);
	if (user)
		snprintf(c->who.requested_by, sizeof c->who.requested_by, "%s", user);
	rc = for_each_budget(c, &w, after_one, &a);
	memcpy(c->who.requested_by, saved, sizeof saved);
	return rc < 0 ? -1 : 0;
}

struct block_arg {
	char *why;
	size_t len;
	int raise;
};

static int block_one(struct call *c, int i, const char *key, int64_t limit, int soft, void *arg)
{
	struct block_arg *b = arg;
	int64_t period, spend = spend_of(c, i, key, costs_day_of(c->now_ms), &period);
	char l[32], s[32];

	(void)soft;
	if (spend < 0)
		return -1;
	if (spend < limit)
		return 0;
	money(limit, l, sizeof l);
	money(spend, s, sizeof s);
	snprintf(b->why, b->len, "budget %s:%s is at its limit: %s spent of %s (%s)", scopes[i].scope, key, s, l,
		 scopes[i].period);
	if (b->raise && notice(c, i, key, limit, spend, period, 1) < 0)
		return -1;
	return 1;
}

int budget_blocks(struct call *c, const char *bead, int raise, char *why, size_t len)
{
	char rig[72] = "", user[129] = "";
	struct block_arg b = {why, len, raise};
	cJSON *convoys;
	const cJSON *v;
	int rc;

	if (bead_rig_requester(c, bead, rig, sizeof rig, user, sizeof user) < 0)
		return -1;
	/* Every convoy of the bead, however many: each one's budget can hold it back. */
	if (!(convoys = costs_convoys_of(c, bead)))
		return -1;
	v = convoys->child;
	/* The rig and the requester with the first convoy, then each further convoy. */
	rc = 0;
	for (int k = 0; (k == 0 || v) && rc == 0; k++, v = v ? v->next : NULL) {
		struct applicable w = {k == 0 ? rig : NULL, v ? v->valuestring : NULL, k == 0 ? user : NULL};

		rc = for_each_budget(c, &w, block_one, &b);
	}
	cJSON_Delete(convoys);
	return rc;
}

/* The budgets a run of records is charged under: its rig's, its requester's, the town's, and each
 * of its bead's convoys'. */
int budget_on_usage(struct call *c, const struct usage_change *ch)
{
	const cJSON *v = ch->convoys ? ch->convoys->child : NULL;
	int k = 0;

	do {
		if (after_usage(c, k ? NULL : ch->rig, v ? v->valuestring : NULL, k ? NULL : ch->requested_by, ch->day) < 0)
			return -1;
		v = v ? v->next : NULL;
		k++;
	} while (v);
	return 0;
}

int budget_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM budgets", &c->err);
}
