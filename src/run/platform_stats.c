/*
 * platform_stats.c - the StatsDO: the platform's figures across towns (docs/casting.md). Each town
 * reports all of its anonymised outcome totals (stats_report.c). A report replaces that town's
 * rows, which are kept under a one-way name of the town, unless a report with a higher number was
 * taken already (a late resend). The alarm sums the contributions into cross-town totals a few
 * seconds after reports arrive, so a burst of reports is summed once; the routes read the totals:
 * the same rows, Wilson intervals and recommendations as a town's own, each row with the number of
 * towns it rests on. A row resting on fewer than PLATFORM_MIN_TOWNS towns is withheld: it would be
 * one town's own figures.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run/run.h"
#include "sqlite3.h"

#define SUM_AFTER_MS 2000.0
#define ROW_WIDTH 12

static const char *const report_dims[] = {"all", "model", "persona", "runtime", "variant", NULL};

struct report_body {
	int64_t seq;
	const cJSON *rows;
};

static const struct field_rule report_rules[] = {
	{"seq", F_INT(struct report_body, seq), FR_REQUIRED, 1, INT64_MAX / 2},
	{"rows", F_ARR(struct report_body, rows), FR_REQUIRED, 0, OUTCOME_REPORT_ROWS_MAX,
	 .msg[FF_ANY] = "an array of at most %u rows"},
};
const struct fields platform_report_body = FIELDS(report_rules, struct report_body);

/* The town's one-way name: the platform can tell its reports apart, not say whose they are. */
static int reporter_of(const char *town, char out[65])
{
	static const char key[] = "gastown-edge platform stats";
	struct mac_part part = {town, strlen(town)};
	unsigned char d[32];

	if (mac_hmac_sha256(key, sizeof key - 1, &part, 1, d) < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

static int text_ok(const cJSON *v, size_t max)
{
	return cJSON_IsString(v) && strlen(v->valuestring) <= max;
}

/* Add one row of a report (checked here: the route only knows it is an array). Rows a town made
 * anonymous may meet (two of its personas are both "custom"): they add up. */
static int put_row(struct call *c, const char *reporter, const cJSON *r, int n)
{
	const cJSON *v[ROW_WIDTH];
	sqlite3_stmt *st;

	if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != ROW_WIDTH)
		return err_set(&c->err, ERR_INVALID, "rows", "row %d is not an array of %d values", n, ROW_WIDTH);
	for (int i = 0; i < ROW_WIDTH; i++)
		v[i] = cJSON_GetArrayItem(r, i);
	if (!cJSON_IsString(v[0]) || !str_in_list(v[0]->valuestring, report_dims) || !text_ok(v[1], 300) ||
	    !text_ok(v[2], 24) || !text_ok(v[3], 40))
		return err_set(&c->err, ERR_INVALID, "rows", "row %d: dimension, key, kind and language are short text", n);
	for (int i = 4; i < ROW_WIDTH; i++)
		if (!cJSON_IsNumber(v[i]) || v[i]->valuedouble < 0 || v[i]->valuedouble > 1e15 ||
		    v[i]->valuedouble != floor(v[i]->valuedouble))
			return err_set(&c->err, ERR_INVALID, "rows", "row %d: the counts are whole numbers from 0", n);
	if (!(st = db_prepare(c->db,
		"INSERT INTO stats_contributions(reporter, dim, key, kind, language, n, first_pass, merged, superseded,"
		" rework, comments, cost_microusd, wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
		" ON CONFLICT(reporter, dim, key, kind, language) DO UPDATE SET n = n + excluded.n,"
		" first_pass = first_pass + excluded.first_pass, merged = merged + excluded.merged,"
		" superseded = superseded + excluded.superseded, rework = rework + excluded.rework,"
		" comments = comments + excluded.comments, cost_microusd = cost_microusd + excluded.cost_microusd,"
		" wall_ms = wall_ms + excluded.wall_ms", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, reporter, -1, SQLITE_STATIC);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(st, 2 + i, v[i]->valuestring, -1, SQLITE_STATIC);
	for (int i = 4; i < ROW_WIDTH; i++)
		sqlite3_bind_int64(st, 2 + i, (int64_t)v[i]->valuedouble);
	return db_step_done(c->db, st, &c->err);
}

/* [kind, language, key, n, first_pass, merged, superseded, rework, comments, cost, wall_ms, towns] */
static cJSON *variant_row(sqlite3_stmt *st)
{
	cJSON *r = cJSON_CreateArray();

	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(r, cJSON_CreateString((const char *)sqlite3_column_text(st, i)));
	for (int i = 3; i < 12; i++)
		cJSON_AddItemToArray(r, cJSON_CreateNumber(i == 10 ? floor(sqlite3_column_double(st, i))
							      : (double)sqlite3_column_int64(st, i)));
	return r;
}

/* The variants a recommendation may name (enough towns, outcomes and a first pass), largest first. */
static cJSON *variants_for_towns(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT kind, language, key, n, first_pass, merged, superseded, rework, comments, cost_microusd, wall_ms, towns"
		" FROM stats_totals WHERE dim = 'variant' AND towns >= ?1 AND n >= ?2 AND first_pass > 0"
		" ORDER BY n DESC LIMIT ?3", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_int(st, 1, PLATFORM_MIN_TOWNS);
	sqlite3_bind_int(st, 2, OUTCOME_MIN_SAMPLE);
	sqlite3_bind_int(st, 3, PLATFORM_VARIANTS_MAX);
	return db_list(c->db, st, variant_row, &c->err);
}

int platform_take_report(struct call *c)
{
	const char *town = c->seg[2];
	struct report_body in = {0};
	char reporter[65];
	int64_t last = 0;
	sqlite3_stmt *st;
	const cJSON *r;
	int n = 0, rc;
	cJSON *d;

	/* Whose report it is comes before what is in it. */
	if (auth_internal_caller(c, "town", town) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (reporter_of(town, reporter) < 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "could not name the reporter");
	if (!(st = db_prepare(c->db, "SELECT seq FROM stats_reporters WHERE reporter = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, reporter, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		last = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	d = cJSON_CreateObject();
	/* A report already taken, or older than one taken: the newer stands. */
	if (in.seq <= last) {
		cJSON_AddNumberToObject(d, "seq", (double)last);
		cJSON_AddBoolToObject(d, "taken", 0);
		return call_reply(c, 200, d);
	}
	if (db_exec_text(c->db, "DELETE FROM stats_contributions WHERE reporter = ?1", reporter, &c->err) < 0)
		goto fail;
	cJSON_ArrayForEach(r, in.rows)
		if (put_row(c, reporter, r, ++n) < 0)
			goto fail;
	if (!(st = db_prepare(c->db, "INSERT INTO stats_reporters(reporter, seq, rows, reported_ms) VALUES (?1, ?2, ?3, ?4)"
				     " ON CONFLICT(reporter) DO UPDATE SET seq = ?2, rows = ?3, reported_ms = ?4", &c->err)))
		goto fail;
	sqlite3_bind_text(st, 1, reporter, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, in.seq);
	sqlite3_bind_int(st, 3, n);
	sqlite3_bind_double(st, 4, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 || timer_set_earlier(c, "stats-sum", "all", c->now_ms + SUM_AFTER_MS) < 0)
		goto fail;
	cJSON_AddNumberToObject(d, "seq", (double)in.seq);
	cJSON_AddBoolToObject(d, "taken", 1);
	cJSON_AddNumberToObject(d, "rows", n);
	/* What the town gets back for sharing: the variants worth recommending, across towns. */
	{
		cJSON *v = variants_for_towns(c);

		if (!v)
			goto fail;
		cJSON_AddItemToObject(d, "variants", v);
	}
	return call_reply(c, 200, d);
fail:
	cJSON_Delete(d);
	return -1;
}

/* The alarm: every town's latest contribution, summed. */
int platform_sum_fired(struct call *c, const char *key)
{
	(void)key;
	return db_exec(c->db,
		"DELETE FROM stats_totals;"
		" INSERT INTO stats_totals(dim, kind, language, key, towns, n, first_pass, merged, superseded, rework, comments,"
		" cost_microusd, wall_ms) SELECT dim, kind, language, key, count(*), sum(n), sum(first_pass), sum(merged),"
		" sum(superseded), sum(rework), sum(comments), sum(cost_microusd), sum(wall_ms) FROM stats_contributions"
		" GROUP BY dim, kind, language, key", &c->err);
}

const char *const platform_dims[] = {"variant", "model", "persona", "runtime", "language", "kind", NULL};

/* Rows as outcome_stats_json's, with towns. A language or kind breakdown is the "all" dimension
 * spread over that column. */
cJSON *platform_stats_json(struct call *c, const char *by, const char *kind, const char *language)
{
#define TOTALS_COLS " n, first_pass, merged, superseded, rework, comments, cost_microusd, wall_ms, towns FROM stats_totals"
	sqlite3_stmt *st = strcmp(by, "language") == 0
		? db_prepare(c->db, "SELECT language," TOTALS_COLS " WHERE dim = 'all' AND kind = ?2 AND language <> ''"
				    " AND towns >= ?4 ORDER BY n DESC, language LIMIT 200", &c->err)
		: strcmp(by, "kind") == 0
		? db_prepare(c->db, "SELECT kind," TOTALS_COLS " WHERE dim = 'all' AND language = ?3 AND kind <> ''"
				    " AND towns >= ?4 ORDER BY n DESC, kind LIMIT 200", &c->err)
		: db_prepare(c->db, "SELECT key," TOTALS_COLS " WHERE dim = ?1 AND kind = ?2 AND language = ?3"
				    " AND towns >= ?4 ORDER BY n DESC, key LIMIT 200", &c->err);
#undef TOTALS_COLS

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind ? kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, language ? language : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, PLATFORM_MIN_TOWNS);
	return db_list(c->db, st, outcome_row_towns_json, &c->err);
}

int platform_towns(struct call *c, int64_t *n)
{
	return db_query_int(c->db, "SELECT count(*) FROM stats_reporters WHERE rows > 0", n, &c->err);
}

static cJSON *platform_variants(struct call *c, const char *kind, const char *language)
{
	return platform_stats_json(c, "variant", kind, language);
}

cJSON *platform_recommend_json(struct call *c, const char *kind, const char *language)
{
	return outcome_recommend_from(c, kind, language, platform_variants);
}
