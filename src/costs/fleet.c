/*
 * fleet.c - the organization's view of its towns. A town owned by an organization reports its last
 * 35 days to the organization's object (a do:// effect, a few seconds after a change, so bursts of
 * usage make one report): cost per day, requester and rig, and work closed per day, requester and
 * rig with how much of it needed rework and how much merged on its first review. The organization
 * keeps each town's latest report and answers the fleet's questions from them: cost per town and
 * per person, velocity (beads closed per day), rework and first-pass rates per rig and per team.
 */
#include <stdio.h>
#include <string.h>

#include "costs/costs.h"
#include "sqlite3.h"

#define REPORT_DAYS 35
#define REPORT_ROWS_MAX 5000
#define REPORT_DELAY_MS 5000.0
#define REPORT_RETRY_MS 60000.0

/* ---- the town's side ---------------------------------------------------------------------------- */

int fleet_soon(struct call *c)
{
	char org[129];
	int rc = town_owner_org(c, org, sizeof org);

	return rc <= 0 ? rc : timer_set_earlier(c, "fleet", "org", c->now_ms + REPORT_DELAY_MS);
}

int fleet_on_usage(struct call *c, const struct usage_change *ch)
{
	return ch->last ? fleet_soon(c) : 0;
}

int fleet_timer_fired(struct call *c, const char *key)
{
	char org[129], esc_org[400], esc_town[400], url[900];
	int64_t since = costs_day_of(c->now_ms) - REPORT_DAYS;
	cJSON *body, *list;
	char *text, fx[48];
	int rc;

	(void)key;
	if ((rc = town_owner_org(c, org, sizeof org)) <= 0)
		return rc;
	body = cJSON_CreateObject();
	cJSON_AddNumberToObject(body, "since_day", (double)since);
	/* Rows are arrays (day, user, rig, figures...) to keep reports small. */
	if (!(list = costs_user_rig_rows(c, since)))
		goto fail;
	cJSON_AddItemToObject(body, "costs", list);
	if (!(list = bead_closed_rows(c, since)))
		goto fail;
	cJSON_AddItemToObject(body, "closed", list);
	if (id_escape(org, esc_org, sizeof esc_org) < 0 || id_escape(c->cfg->object_id, esc_town, sizeof esc_town) < 0)
		goto fail;
	snprintf(url, sizeof url, "do://org/%s/_internal/fleet/%s", esc_org, esc_town);
	text = json_print(body);
	cJSON_Delete(body);
	if (!text)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	{
		struct effect_req r = {.purpose = "fleet", .subject = "org", .method = "PUT", .url = url, .body = text,
				       .timeout_ms = 20000};

		rc = effect_submit(c, &r, fx, sizeof fx);
	}
	cJSON_free(text);
	return rc;
fail:
	cJSON_Delete(body);
	return -1;
}

int fleet_reported(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);

	(void)subject;
	(void)body;
	(void)len;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && status >= 200 && status < 300)
		return 0;
	/* The organization did not take it: report again later (the report is always the whole window). */
	call_log(c, "warn", "fleet report not taken; retrying", cJSON_CreateNumber(status));
	return timer_set(c, "fleet", "org", c->now_ms + REPORT_RETRY_MS);
}

/* ---- the organization's side -------------------------------------------------------------------- */

/* A day number or a total: a number from 0 to 2^53 (a double counts exactly to there), checked
 * before it is converted to an int64. */
static int count_ok(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 0x1p53;
}

static int put_rows(struct call *c, const char *town, const cJSON *rows, int closed)
{
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, rows) {
		const cJSON *day = cJSON_GetArrayItem(r, 0), *user = cJSON_GetArrayItem(r, 1), *rig = cJSON_GetArrayItem(r, 2);
		sqlite3_stmt *st;
		int width = closed ? 6 : 4;

		if (++n > REPORT_ROWS_MAX || !cJSON_IsArray(r) || cJSON_GetArraySize(r) != width || !count_ok(day) ||
		    !cJSON_IsString(user) || !cJSON_IsString(rig) || strlen(user->valuestring) > 128 ||
		    strlen(rig->valuestring) > 64)
			return err_set(&c->err, ERR_INVALID, closed ? "closed" : "costs", "row %d is malformed", n);
		for (int i = 3; i < width; i++)
			if (!count_ok(cJSON_GetArrayItem(r, i)))
				return err_set(&c->err, ERR_INVALID, closed ? "closed" : "costs", "row %d is malformed", n);
		st = db_prepare(c->db, closed
			? "INSERT OR REPLACE INTO fleet_closed VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			: "INSERT OR REPLACE INTO fleet_costs VALUES (?1, ?2, ?3, ?4, ?5)", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, town, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)day->valuedouble);
		sqlite3_bind_text(st, 3, user->valuestring, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rig->valuestring, -1, SQLITE_STATIC);
		for (int i = 3; i < width; i++)
			sqlite3_bind_int64(st, 2 + i, (int64_t)cJSON_GetArrayItem(r, i)->valuedouble);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	return 0;
}

/* A town's report: its cost rows and its closed-bead rows, each an array of arrays (put_rows
 * checks each row). */
struct report_body {
	const cJSON *costs, *closed;
};

static const struct field_rule report_rules[] = {
	{"costs", F_ARR(struct report_body, costs), FR_REQUIRED, 0, 0, .msg[FF_ANY] = "an array of rows"},
	{"closed", F_ARR(struct report_body, closed), FR_REQUIRED, 0, 0, .msg[FF_ANY] = "an array of rows"},
};
const struct fields fleet_report_body = FIELDS(report_rules, struct report_body);

int fleet_take_report(struct call *c)
{
	const char *town = c->seg[2];
	struct report_body in = {0};
	int rc;

	/* Whose report it is comes before what is in it. */
	if (auth_internal_caller(c, "town", town) < 0 || !call_body_object(c))
		return -1;
	if ((rc = org_town_exists(c, town)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "town_id", "'%s' is not a town of this organization", town);
	if (call_fields(c, &in, sizeof in) < 0 ||
	    db_exec_text(c->db, "DELETE FROM fleet_costs WHERE town = ?1", town, &c->err) < 0 ||
	    db_exec_text(c->db, "DELETE FROM fleet_closed WHERE town = ?1", town, &c->err) < 0 ||
	    put_rows(c, town, in.costs, 0) < 0 || put_rows(c, town, in.closed, 1) < 0)
		return -1;
	{
		sqlite3_stmt *st = db_prepare(c->db, "INSERT OR REPLACE INTO fleet_reports VALUES (?, ?)", &c->err);

		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, town, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, c->now_ms);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	return call_reply(c, 200, NULL);
}

static double rate(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0;
}

/* Rows of sql (bound to from, to) as objects: names[i] for column i; "rate:a/b" adds a/b. */
static cJSON *rows(struct call *c, const char *sql, int64_t from, int64_t to, const char *const *names, int days)
{
	sqlite3_stmt *st = db_prepare(c->db, sql, &c->err);
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	list = cJSON_CreateArray();
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		cJSON *o = cJSON_CreateObject();
		int64_t closed = 0, reworked = 0, first = 0;

		for (int i = 0; names[i]; i++) {
			if (sqlite3_column_type(st, i) == SQLITE_TEXT)
				cJSON_AddStringToObject(o, names[i], (const char *)sqlite3_column_text(st, i));
			else
				cJSON_AddNumberToObject(o, names[i], (double)sqlite3_column_int64(st, i));
			if (strcmp(names[i], "closed") == 0)
				closed = sqlite3_column_int64(st, i);
			else if (strcmp(names[i], "reworked") == 0)
				reworked = sqlite3_column_int64(st, i);
			else if (strcmp(names[i], "first_pass") == 0)
				first = sqlite3_column_int64(st, i);
		}
		if (cJSON_GetObjectItemCaseSensitive(o, "closed")) {
			cJSON_AddNumberToObject(o, "velocity_per_day", days > 0 ? (double)closed / days : 0);
			cJSON_AddNumberToObject(o, "rework_rate", rate(reworked, closed));
			cJSON_AddNumberToObject(o, "first_pass_rate", rate(first, closed));
		}
		cJSON_AddItemToArray(list, o);
	}
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

/* Every town's cost rows and closed rows of the period, as one set of (town, user, rig, cost,
 * closed, reworked, first_pass): each section of the fleet groups it its own way. */
#define FLEET_ROWS \
	"(SELECT town, user, rig, cost_microusd AS cost, 0 AS closed, 0 AS reworked, 0 AS first_pass FROM fleet_costs" \
	" WHERE day BETWEEN ?1 AND ?2 UNION ALL" \
	" SELECT town, user, rig, 0, closed, reworked, first_pass FROM fleet_closed WHERE day BETWEEN ?1 AND ?2) f"
#define SUMS " sum(cost), sum(closed), sum(reworked), sum(first_pass) "

static const struct {
	const char *name, *sql;
	const char *const cols[8];
} parts[] = {
	{"towns", "SELECT town," SUMS "FROM " FLEET_ROWS " GROUP BY town ORDER BY 2 DESC, 1",
	 {"town", "cost_microusd", "closed", "reworked", "first_pass", NULL}},
	{"users", "SELECT user, sum(cost), count(DISTINCT CASE WHEN cost > 0 THEN town || '/' || rig END),"
		  " sum(closed), sum(reworked), sum(first_pass) FROM " FLEET_ROWS " GROUP BY user ORDER BY 2 DESC, 1 LIMIT 500",
	 {"user", "cost_microusd", "rigs", "closed", "reworked", "first_pass", NULL}},
	{"rigs", "SELECT town, rig," SUMS "FROM " FLEET_ROWS " GROUP BY town, rig ORDER BY 1, 2 LIMIT 1000",
	 {"town", "rig", "cost_microusd", "closed", "reworked", "first_pass", NULL}},
	{"teams", "SELECT coalesce(t.team, '(no team)')," SUMS "FROM " FLEET_ROWS
		  " LEFT JOIN member_teams t ON t.user_id = f.user GROUP BY 1 ORDER BY 1",
	 {"team", "cost_microusd", "closed", "reworked", "first_pass", NULL}},
};

cJSON *fleet_json(struct call *c, const char *period, int64_t day)
{
	int64_t from, to, today = costs_day_of(c->now_ms);
	cJSON *out, *part;
	char d[16];
	int days;

	if (costs_period(period, day, &from, &to) < 0 || strcmp(period, "all") == 0) {
		err_set(&c->err, ERR_INVALID, "period", "'period' is day, week or month");
		return NULL;
	}
	/* Velocity counts the days of the period that have begun. */
	days = (int)((to < today ? to : today) - from + 1);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "period", period);
	costs_format_date(from, d, sizeof d);
	cJSON_AddStringToObject(out, "from", d);
	costs_format_date(to, d, sizeof d);
	cJSON_AddStringToObject(out, "to", d);
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!(part = rows(c, parts[i].sql, from, to, parts[i].cols, days)))
			goto fail;
		cJSON_AddItemToObject(out, parts[i].name, part);
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

int api_org_fleet(struct call *c)
{
	char period[8] = "week", date[16];
	int64_t day = costs_day_of(c->now_ms);
	enum role caller;
	int q;
	cJSON *out;

	if (org_require(c, ROLE_ADMIN, &caller) < 0 || query_get(c, "period", period, sizeof period) < 0 ||
	    (q = query_get(c, "date", date, sizeof date)) < 0)
		return -1;
	if (q && costs_parse_date(date, &day) < 0)
		return err_set(&c->err, ERR_INVALID, "date", "'date' is YYYY-MM-DD");
	if (!(out = fleet_json(c, period, day)))
		return -1;
	return call_reply(c, 200, out);
}

struct team_body {
	const char *team;
};

static const struct field_rule team_rules[] = {
	{"team", F_STR(struct team_body, team), FR_NULL, 0, 64},
};
const struct fields org_team_body = FIELDS(team_rules, struct team_body);

/* PUT /api/orgs/:org/teams/:user {"team": name or null}: which team a member's work counts for. */
int api_org_team_put(struct call *c)
{
	const char *user = c->seg[4], *team;
	struct team_body in = {0};
	enum role caller, role;
	sqlite3_stmt *st;

	if (org_require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    member_role(c, user, &role) < 0)
		return -1;
	team = in.team;
	if (role == ROLE_NONE)
		return err_set(&c->err, ERR_NOT_FOUND, "user_id", "'%s' is not a member of this organization", user);
	if (!team || !*team) {
		if (db_exec_text(c->db, "DELETE FROM member_teams WHERE user_id = ?1", user, &c->err) < 0)
			return -1;
	} else {
		st = db_prepare(c->db, "INSERT OR REPLACE INTO member_teams VALUES (?, ?)", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, team, -1, SQLITE_STATIC);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	{
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "user", user);
		if (team && *team)
			cJSON_AddStringToObject(o, "team", team);
		else
			cJSON_AddNullToObject(o, "team");
		return call_reply(c, 200, o);
	}
}

/* Closing and reopening a bead change the fleet's velocity and quality figures. */
int fleet_on_bead(struct call *c, const struct bead_change *ch)
{
	if (ch->kind == BEAD_STATUS && (strcmp(ch->to, "closed") == 0 || strcmp(ch->from, "closed") == 0))
		return fleet_soon(c);
	return 0;
}
