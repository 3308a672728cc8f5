/*
 * costs.c - what the town's agents spend. The container reports each metered model call as a usage
 * record; the town charges it to the human at the root of the work (the bead's requested_by: a
 * review's or merge request's cost goes to the work it reviews), prices it when the upstream gave
 * no cost, and adds it to daily totals per dimension. Roll-ups and budgets read the daily totals,
 * so they cost the same with ten records or ten million. Money is integer microdollars throughout.
 */
#include <stdio.h>
#include <string.h>

#include "costs/costs.h"
#include "sqlite3.h"

#define TOKENS_MAX 1000000000LL
#define COST_MAX 1000000000000LL /* a million dollars for one call is a bug, not a bill */
#define DAY_MS 86400000.0

static const char *const dims[] = {"bead", "convoy", "rig", "agent", "model", "user", "town"};

int64_t costs_day_of(double ms)
{
	return (int64_t)(ms / DAY_MS) - (ms < 0 && (int64_t)(ms / DAY_MS) * DAY_MS != ms);
}

int costs_period(const char *kind, int64_t day, int64_t *from, int64_t *to)
{
	int y, m, d;

	if (strcmp(kind, "day") == 0) {
		*from = *to = day;
	} else if (strcmp(kind, "week") == 0) {
		/* Weeks start on Monday; day 0 (1970-01-01) was a Thursday. */
		*from = day - ((day % 7 + 7 + 3) % 7);
		*to = *from + 6;
	} else if (strcmp(kind, "month") == 0) {
		civil_date(day, &y, &m, &d);
		*from = civil_days(y, m, 1);
		*to = (m == 12 ? civil_days(y + 1, 1, 1) : civil_days(y, m + 1, 1)) - 1;
	} else if (strcmp(kind, "all") == 0) {
		*from = INT64_MIN / 2;
		*to = INT64_MAX / 2;
	} else {
		return -1;
	}
	return 0;
}

int costs_parse_date(const char *s, int64_t *day)
{
	int y, m, d, cy, cm, cd;

	/* YYYY-MM-DD exactly, and a day the month has (no 2026-02-31 rolling into March). */
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789") != 4 ||
	    strspn(s + 5, "0123456789") != 2 || strspn(s + 8, "0123456789") != 2)
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return -1;
	*day = civil_days(y, m, d);
	civil_date(*day, &cy, &cm, &cd);
	return cy == y && cm == m && cd == d ? 0 : -1;
}

void costs_format_date(int64_t day, char *out, size_t len)
{
	int y, m, d;

	civil_date(day, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02d", y, m, d);
}

/* The price row that fits model best: its own name, else the longest matching "prefix*", else "*". */
static int price_of(struct call *c, const char *model, int64_t p[4])
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok FROM model_prices"
		" WHERE model = ?1 OR (substr(model, -1) = '*' AND substr(?1, 1, length(model) - 1) = substr(model, 1, length(model) - 1))"
		" ORDER BY model = ?1 DESC, length(model) DESC LIMIT 1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	memset(p, 0, 4 * sizeof p[0]);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc; /* no price is a price of 0 */
	for (int i = 0; i < 4; i++)
		p[i] = sqlite3_column_int64(st, i);
	sqlite3_reset(st);
	return 0;
}

struct usage {
	const char *id, *model, *bead_in;
	int64_t tokens[4]; /* input, output, cache read, cache write */
	int64_t cost;
	int priced;
	double at_ms;
	int64_t day;
	char bead[72], convoy[72], rig[72], requested_by[129];
	cJSON *convoys; /* every convoy of the bead (convoys_of), each one's budget sees the spend; owned */
	int nconvoys;
};

static const char *const token_fields[4] = {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"};

#define TOKENS(name, k) {name, F_INT(struct usage, tokens[k]), FR_DEFAULT, 0, TOKENS_MAX, .def = 0}
static const struct field_rule record_rules[] = {
	{"id", F_STR(struct usage, id), FR_REQUIRED, 1, 100},
	{"model", F_STR(struct usage, model), FR_NULL, 0, 100},
	{"bead", F_STR(struct usage, bead_in), FR_NULL, 0, 64},
	TOKENS("input_tokens", 0),
	TOKENS("output_tokens", 1),
	TOKENS("cache_read_tokens", 2),
	TOKENS("cache_write_tokens", 3),
	/* null (or absent): the town prices the record from its tokens */
	{"cost_microusd", F_INT(struct usage, cost), FR_NULL, 0, COST_MAX},
	{"at_ms", F_NUM(struct usage, at_ms), FR_NULL, 0, 0},
};
static const struct fields record_fields = FIELDS(record_rules, struct usage);

const struct field_rule usage_record = {
	NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &record_fields, .field = "records[%i]",
	.msg[FF_ANY] = "a usage record is {id, model?, bead?, input_tokens, output_tokens, cache_read_tokens,"
		       " cache_write_tokens (0 to 1e9), cost_microusd (integer or null), at_ms?}"};

/* One record (checked with the body, against usage_record: this read cannot fail). */
static int read_record(struct call *c, const cJSON *r, struct usage *u)
{
	memset(u, 0, sizeof *u);
	u->cost = -1;
	u->at_ms = c->now_ms;
	if (fields_read(r, &record_fields, u, sizeof *u, &c->err) < 0)
		return -1;
	u->priced = u->cost < 0;
	if (u->priced)
		u->cost = 0;
	/* The container's clock places the call in its day, within reason; else the town's does. */
	if (!(u->at_ms > c->now_ms - 7 * DAY_MS && u->at_ms < c->now_ms + 3600000.0))
		u->at_ms = c->now_ms;
	u->day = costs_day_of(u->at_ms);
	if (!u->model || !*u->model)
		u->model = "unknown";
	return 0;
}

cJSON *costs_convoys_of(struct call *c, const char *bead)
{
	cJSON *list = convoys_of(c, bead);
	char parent[72] = "";
	int rc;

	if (!list || cJSON_GetArraySize(list) > 0)
		return list;
	if ((rc = bead_parent(c, bead, parent, sizeof parent)) < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	if (!*parent)
		return list;
	cJSON_Delete(list);
	return convoys_of(c, parent);
}

/* Whom and what the record is charged to: the work bead (a merge request's parent), its convoy, rig
 * and requester; with no bead, the agent's rig and the human its token works for. */
static int attribute(struct call *c, const char *agent, struct usage *u)
{
	if (u->bead_in && bead_charge(c, u->bead_in, u->bead, sizeof u->bead, u->rig, sizeof u->rig, u->requested_by,
				      sizeof u->requested_by) < 0)
		return -1;
	if (!*u->rig && agent_rig(c, agent, u->rig, sizeof u->rig) < 0)
		return -1;
	if (!*u->requested_by)
		snprintf(u->requested_by, sizeof u->requested_by, "%s",
			 c->who.requested_by[0] ? c->who.requested_by : "unattributed");
	if (*u->bead) {
		/* Every convoy, however many: a convoy past any count would be neither charged nor
		 * held back by its budget. */
		if (!(u->convoys = costs_convoys_of(c, u->bead)))
			return -1;
		u->nconvoys = cJSON_GetArraySize(u->convoys);
		if (u->nconvoys)
			snprintf(u->convoy, sizeof u->convoy, "%s", cJSON_GetArrayItem(u->convoys, 0)->valuestring);
	}
	return 0;
}

static int add_daily(struct call *c, const char *dim, const char *key, const struct usage *u)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO usage_daily(dim, key, day, input_tokens, output_tokens, cache_read_tokens,"
		" cache_write_tokens, cost_microusd, records) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)"
		" ON CONFLICT(dim, day, key) DO UPDATE SET input_tokens = input_tokens + ?4,"
		" output_tokens = output_tokens + ?5, cache_read_tokens = cache_read_tokens + ?6,"
		" cache_write_tokens = cache_write_tokens + ?7, cost_microusd = cost_microusd + ?8,"
		" records = records + 1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, dim, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, u->day);
	for (int k = 0; k < 4; k++)
		sqlite3_bind_int64(st, 4 + k, u->tokens[k]);
	sqlite3_bind_int64(st, 8, u->cost);
	return db_step_done(c->db, st, &c->err);
}

/* Store one record; 1 if new, 0 if it was counted before. */
static int store(struct call *c, const char *agent, struct usage *u)
{
	const char *keys[7];
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT OR IGNORE INTO usage(id, at_ms, day, agent, bead, convoy, rig, requested_by, model,"
		" input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_microusd, priced)"
		" VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), nullif(?6, ''), nullif(?7, ''), ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
		&c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, u->at_ms);
	sqlite3_bind_int64(st, 3, u->day);
	sqlite3_bind_text(st, 4, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, u->bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, u->convoy, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, u->rig, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, u->requested_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, u->model, -1, SQLITE_STATIC);
	for (int k = 0; k < 4; k++)
		sqlite3_bind_int64(st, 10 + k, u->tokens[k]);
	sqlite3_bind_int64(st, 14, u->cost);
	sqlite3_bind_int(st, 15, u->priced);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return 0;
	keys[0] = u->bead;
	keys[1] = u->convoy;
	keys[2] = u->rig;
	keys[3] = agent;
	keys[4] = u->model;
	keys[5] = u->requested_by;
	keys[6] = "";
	for (int d = 0; d < 7; d++)
		if ((d == 6 || *keys[d]) && add_daily(c, dims[d], keys[d], u) < 0)
			return -1;
	for (const cJSON *v = u->nconvoys ? cJSON_GetArrayItem(u->convoys, 1) : NULL; v; v = v->next)
		if (add_daily(c, "convoy", v->valuestring, u) < 0)
			return -1;
	/* The fleet's per-person, per-rig figures (user ids hold no '/'). */
	{
		char user_rig[210];

		snprintf(user_rig, sizeof user_rig, "%s/%s", u->requested_by, u->rig);
		if (add_daily(c, "user-rig", user_rig, u) < 0)
			return -1;
	}
	return 1;
}

/* Tell the listeners of one run of records under the same budgets; last: the batch's final telling. */
static int announce(struct call *c, const struct usage *u, int last)
{
	const struct usage_change ch = {.rig = u->rig, .requested_by = u->requested_by, .day = u->day,
					.convoys = u->nconvoys ? u->convoys : NULL, .last = last};

	for (size_t i = 0; i < usage_reactions_n; i++)
		if (usage_reactions[i](c, &ch) < 0)
			return -1;
	return 0;
}

/* Two records fall under the same budgets: one check after the last of them is enough. */
static int same_budgets(const struct usage *a, const struct usage *b)
{
	const cJSON *x, *y;

	if (a->day != b->day || a->nconvoys != b->nconvoys || strcmp(a->rig, b->rig) || strcmp(a->requested_by, b->requested_by))
		return 0;
	for (x = a->nconvoys ? a->convoys->child : NULL, y = b->nconvoys ? b->convoys->child : NULL; x && y;
	     x = x->next, y = y->next)
		if (strcmp(x->valuestring, y->valuestring))
			return 0;
	return 1;
}

static int ingest(struct call *c, const char *agent, const cJSON *records, int *accepted, int *duplicates,
		  struct usage *u, struct usage *last)
{
	const cJSON *r;
	int rc, pending = 0; /* last: the newest stored record whose budgets are still to be checked */

	*accepted = *duplicates = 0;
	/* Key the record ids by agent: one agent's ids cannot collide with (or cancel) another's. */
	cJSON_ArrayForEach(r, records) {
		char id[180];

		cJSON_Delete(u->convoys); /* the previous record's, unless it became last */
		if (read_record(c, r, u) < 0)
			return -1;
		snprintf(id, sizeof id, "%s/%s", agent, u->id);
		u->id = id;
		if (u->priced) {
			int64_t p[4];

			if (price_of(c, u->model, p) < 0)
				return -1;
			u->cost = 0;
			for (int k = 0; k < 4; k++)
				u->cost += u->tokens[k] * p[k];
			u->cost = (u->cost + 500000) / 1000000;
		}
		if (attribute(c, agent, u) < 0 || (rc = store(c, agent, u)) < 0)
			return -1;
		if (rc)
			(*accepted)++;
		else
			(*duplicates)++;
		if (!rc)
			continue;
		if (*u->bead) {
			struct spend_change sc = {u->bead, u->cost};

			for (size_t i = 0; i < spend_reactions_n; i++)
				if (spend_reactions[i](c, &sc) < 0)
					return -1;
		}
		if (pending && !same_budgets(last, u) && announce(c, last, 0) < 0)
			return -1;
		cJSON_Delete(last->convoys);
		*last = *u;
		last->id = NULL; /* its buffer ends with this iteration; the check needs no id */
		u->convoys = NULL; /* last's now */
		pending = 1;
	}
	return pending ? announce(c, last, 1) : 0;
}

int usage_ingest(struct call *c, const char *agent, const cJSON *records, int *accepted, int *duplicates)
{
	struct usage u = {0}, last = {0};
	int rc = ingest(c, agent, records, accepted, duplicates, &u, &last);

	cJSON_Delete(u.convoys);
	cJSON_Delete(last.convoys);
	return rc;
}

int64_t costs_spend(struct call *c, const char *dim, const char *key, int64_t from, int64_t to)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT coalesce(sum(cost_microusd), 0) FROM usage_daily"
					     " WHERE dim = ? AND key = ? AND day BETWEEN ? AND ?", &c->err);
	int64_t v = -1;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, dim, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	if (db_step_int(c->db, st, &v, &c->err) < 0)
		return -1;
	/* A sum always gives a row; a negative one would be a broken table. */
	return v < 0 ? err_set(&c->err, ERR_INTERNAL, NULL, "read spend: no total") : v;
}

static void add_totals(cJSON *o, sqlite3_stmt *st, int first)
{
	for (int k = 0; k < 4; k++)
		cJSON_AddNumberToObject(o, token_fields[k], (double)sqlite3_column_int64(st, first + k));
	cJSON_AddNumberToObject(o, "cost_microusd", (double)sqlite3_column_int64(st, first + 4));
	cJSON_AddNumberToObject(o, "records", (double)sqlite3_column_int64(st, first + 5));
}

static cJSON *key_totals_json(sqlite3_stmt *st)
{
	cJSON *row = cJSON_CreateObject();

	cJSON_AddStringToObject(row, "key", (const char *)sqlite3_column_text(st, 0));
	add_totals(row, st, 1);
	return row;
}

int costs_dim_valid(const char *by)
{
	for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
		if (strcmp(dims[i], by) == 0)
			return 1;
	return 0;
}

cJSON *costs_json(struct call *c, const char *by, const char *period, int64_t day)
{
	int64_t from, to;
	cJSON *out, *rows;
	sqlite3_stmt *st;
	char d[16];
	int rc;

	if (costs_period(period, day, &from, &to) < 0) {
		err_set(&c->err, ERR_INVALID, "period", "'period' is day, week, month or all");
		return NULL;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "period", period);
	if (strcmp(period, "all") != 0) {
		costs_format_date(from, d, sizeof d);
		cJSON_AddStringToObject(out, "from", d);
		costs_format_date(to, d, sizeof d);
		cJSON_AddStringToObject(out, "to", d);
	}
	st = db_prepare(c->db, "SELECT sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),"
			       " sum(cache_write_tokens), sum(cost_microusd), sum(records) FROM usage_daily"
			       " WHERE dim = 'town' AND key = '' AND day BETWEEN ? AND ?", &c->err);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		goto fail;
	if (rc)
		add_totals(cJSON_AddObjectToObject(out, "total"), st, 0);
	sqlite3_reset(st);
	if (!by)
		return out;
	cJSON_AddStringToObject(out, "by", by);
	st = db_prepare(c->db, "SELECT key, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),"
			       " sum(cache_write_tokens), sum(cost_microusd) AS cost, sum(records) FROM usage_daily"
			       " WHERE dim = ? AND day BETWEEN ? AND ? GROUP BY key ORDER BY cost DESC, key LIMIT 200", &c->err);
	if (!st)
		goto fail;
	sqlite3_bind_text(st, 1, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	if (!(rows = db_list(c->db, st, key_totals_json, &c->err)))
		goto fail;
	cJSON_AddItemToObject(out, "rows", rows);
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

static int costs_push_ticker(struct call *c)
{
	cJSON *frame = cJSON_CreateObject(), *totals;
	int64_t today = costs_day_of(c->now_ms), from, to;
	static const char *const periods[] = {"day", "week", "month"};

	cJSON_AddStringToObject(frame, "type", "costs");
	totals = cJSON_AddObjectToObject(frame, "town");
	for (size_t i = 0; i < 3; i++) {
		int64_t v;

		costs_period(periods[i], today, &from, &to);
		if ((v = costs_spend(c, "town", "", from, to)) < 0) {
			cJSON_Delete(frame);
			return -1;
		}
		cJSON_AddNumberToObject(totals, periods[i], (double)v);
	}
	return ws_broadcast(c, "feed", frame);
}

int costs_on_usage(struct call *c, const struct usage_change *ch)
{
	return ch->last ? costs_push_ticker(c) : 0;
}

/* A "user/rig" key of the daily totals as a row [day, user, rig, cost]. */
static cJSON *cost_row(sqlite3_stmt *st)
{
	cJSON *r = cJSON_CreateArray();
	const char *key = (const char *)sqlite3_column_text(st, 1), *slash = strchr(key, '/');
	char user[130];

	snprintf(user, sizeof user, "%.*s", slash ? (int)(slash - key) : (int)strlen(key), key);
	cJSON_AddItemToArray(r, cJSON_CreateNumber((double)sqlite3_column_int64(st, 0)));
	cJSON_AddItemToArray(r, cJSON_CreateString(user));
	cJSON_AddItemToArray(r, cJSON_CreateString(slash ? slash + 1 : ""));
	cJSON_AddItemToArray(r, cJSON_CreateNumber((double)sqlite3_column_int64(st, 2)));
	return r;
}

cJSON *costs_user_rig_rows(struct call *c, int64_t since)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT day, key, cost_microusd FROM usage_daily WHERE dim = 'user-rig'"
					     " AND day >= ? ORDER BY day DESC LIMIT 5000", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, since);
	return db_list(c->db, st, cost_row, &c->err);
}

/* ---- prices --------------------------------------------------------------------------------------- */

static cJSON *price_row(sqlite3_stmt *st)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "model", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddNumberToObject(p, "input_per_mtok", (double)sqlite3_column_int64(st, 1));
	cJSON_AddNumberToObject(p, "output_per_mtok", (double)sqlite3_column_int64(st, 2));
	cJSON_AddNumberToObject(p, "cache_read_per_mtok", (double)sqlite3_column_int64(st, 3));
	cJSON_AddNumberToObject(p, "cache_write_per_mtok", (double)sqlite3_column_int64(st, 4));
	cJSON_AddStringToObject(p, "updated_by", (const char *)sqlite3_column_text(st, 5));
	return p;
}

cJSON *costs_prices_json(struct call *c)
{
	return db_list(c->db, db_prepare(c->db, "SELECT model, input_per_mtok, output_per_mtok, cache_read_per_mtok,"
						" cache_write_per_mtok, updated_by FROM model_prices ORDER BY model", &c->err),
		       price_row, &c->err);
}

int costs_price_put(struct call *c, const char *model, int64_t *input, int64_t *output, int64_t cache_read,
		    int64_t cache_write)
{
	/* A value below 0 was not sent: an existing price keeps it, a new one needs input and output. */
	int exists = db_exists(c->db, "SELECT count(*) FROM model_prices WHERE model = ?1", model, &c->err);
	sqlite3_stmt *st;

	if (exists < 0)
		return -1;
	if (!exists && (*input < 0 || *output < 0))
		return err_set(&c->err, ERR_INVALID, *input < 0 ? "input_per_mtok" : "output_per_mtok",
			       "a new price needs input_per_mtok and output_per_mtok");
	/* An insert with ON CONFLICT would check the candidate row (with its -1s) first: two statements. */
	if (!(st = db_prepare(c->db, exists
		? "UPDATE model_prices SET input_per_mtok = CASE WHEN ?2 >= 0 THEN ?2 ELSE input_per_mtok END,"
		  " output_per_mtok = CASE WHEN ?3 >= 0 THEN ?3 ELSE output_per_mtok END,"
		  " cache_read_per_mtok = CASE WHEN ?4 >= 0 THEN ?4 ELSE cache_read_per_mtok END,"
		  " cache_write_per_mtok = CASE WHEN ?5 >= 0 THEN ?5 ELSE cache_write_per_mtok END,"
		  " updated_by = ?6, updated_ms = ?7 WHERE model = ?1"
		: "INSERT INTO model_prices(model, input_per_mtok, output_per_mtok, cache_read_per_mtok,"
		  " cache_write_per_mtok, updated_by, updated_ms) VALUES (?1, ?2, ?3, max(?4, 0), max(?5, 0), ?6, ?7)", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *input);
	sqlite3_bind_int64(st, 3, *output);
	sqlite3_bind_int64(st, 4, cache_read);
	sqlite3_bind_int64(st, 5, cache_write);
	sqlite3_bind_text(st, 6, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    !(st = db_prepare(c->db, "SELECT input_per_mtok, output_per_mtok FROM model_prices WHERE model = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	if (db_step_row(c->db, st, &c->err) <= 0)
		return -1;
	*input = sqlite3_column_int64(st, 0);
	*output = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

int costs_price_delete(struct call *c, const char *model)
{
	int rc = db_exists(c->db, "SELECT count(*) FROM model_prices WHERE model = ?1", model, &c->err);

	if (rc <= 0)
		return rc;
	return db_exec_text(c->db, "DELETE FROM model_prices WHERE model = ?1", model, &c->err) < 0 ? -1 : 1;
}

int costs_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM usage_daily; DELETE FROM usage; DELETE FROM model_prices;"
			   " INSERT INTO model_prices SELECT *, 'default', 0 FROM model_price_defaults;", &c->err);
}
