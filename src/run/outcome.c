/*
 * outcome.c - what became of each piece of work, and what the town learns from it (docs/casting.md).
 * A polecat's start opens the bead's outcome in the variant it runs (model, persona, runtime); its
 * spend adds up as usage arrives; its end (merged, superseded, failed or closed by hand) fixes the
 * result, first-pass (merged with no rework) and wall time, and adds the row to running totals per
 * dimension, kind of work and language. The stats read the totals, so a query costs the same at a
 * hundred outcomes or a hundred thousand; rates come with their Wilson interval and sample size.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "sqlite3.h"

#define WILSON_Z 1.96 /* 95% */

const char *const outcome_dims[] = {"model", "persona", "runtime", "agent", "variant", "language", "kind", NULL};

int outcome_started(struct call *c, const char *bead, const char *agent, const char *runtime, const char *model,
		    const char *persona)
{
	char slung[72] = "";
	cJSON *b;
	char *labels;
	sqlite3_stmt *st;
	int rc = -1;

	if (attempt_of(c, bead, slung, sizeof slung) < 0 || !(b = bead_json(c, bead)))
		return -1;
	if (!(labels = json_print(cJSON_GetObjectItemCaseSensitive(b, "labels")))) {
		cJSON_Delete(b);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	/* A later run of the same bead (a retry, a review's round) is the same outcome, in the variant
	 * it runs now; a bead reopened after it ended runs again. */
	st = db_prepare(c->db,
		"INSERT INTO outcomes(bead, slung, agent, model, persona, runtime, kind, labels, started_ms)"
		" VALUES (?1, nullif(?2, ''), ?3, nullif(?4, ''), nullif(?5, ''), ?6, ?7, ?8, ?9)"
		" ON CONFLICT(bead) DO UPDATE SET agent = excluded.agent, model = excluded.model, persona = excluded.persona,"
		" runtime = excluded.runtime, result = 'running', ended_ms = NULL, wall_ms = NULL", &c->err);
	if (st) {
		sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, slung, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, model ? model : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, persona ? persona : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, runtime, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "type")), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 8, labels, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 9, c->now_ms);
		rc = db_step_done(c->db, st, &c->err);
	}
	cJSON_free(labels);
	cJSON_Delete(b);
	return rc;
}

/* A crew agent (gt connect) hooked to work: its outcome opens then, in runtime "crew". The town
 * neither starts its CLI nor meters its model, so the model is unknown and the cost is 0 unless
 * usage is reported for the bead. */
int outcome_on_agent(struct call *c, const struct agent_change *ch)
{
	char role[16] = "", hook[72] = "", persona[48] = "";
	int rc;

	if (strcmp(ch->state, "working") != 0)
		return 0;
	if ((rc = agent_role_hook(c, ch->id, role, sizeof role, hook, sizeof hook)) <= 0)
		return rc;
	if (strcmp(role, "crew") != 0 || !*hook)
		return 0;
	if (bead_persona(c, hook, persona, sizeof persona) < 0)
		return -1;
	return outcome_started(c, hook, ch->id, "crew", NULL, *persona ? persona : NULL);
}

int outcome_language(struct call *c, const char *bead, const char *language)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE outcomes SET language = ?2 WHERE bead = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, language, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

/* ---- the running totals ---------------------------------------------------------------------------- */

/* An ended outcome's parts, as the totals count them. */
struct ended {
	char model[101], persona[41], runtime[33], agent[72], language[33], kind[16];
	int counted, first_pass, merged, superseded, rework, comments;
	int64_t cost;
	double wall_ms;
};

/* Add e to the row (dim, key) of each kind × language pair: the exact one, and '' for "any". */
static int add_totals(struct call *c, const char *dim, const char *key, const struct ended *e)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO outcome_totals(dim, key, kind, language, n, first_pass, merged, superseded, rework, comments,"
		" cost_microusd, wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		" ON CONFLICT(dim, key, kind, language) DO UPDATE SET n = n + excluded.n, first_pass = first_pass + excluded.first_pass,"
		" merged = merged + excluded.merged, superseded = superseded + excluded.superseded,"
		" rework = rework + excluded.rework, comments = comments + excluded.comments,"
		" cost_microusd = cost_microusd + excluded.cost_microusd, wall_ms = wall_ms + excluded.wall_ms", &c->err);
	const char *kinds[2] = {e->kind, ""}, *langs[2] = {e->language, ""};

	if (!st)
		return -1;
	/* An unknown language (or kind) is '' already: its row is the "any" one, counted once. */
	for (int k = !*e->kind; k < 2; k++)
		for (int l = !*e->language; l < 2; l++) {
			sqlite3_bind_text(st, 1, dim, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, kinds[k], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, langs[l], -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 5, e->counted);
			sqlite3_bind_int(st, 6, e->first_pass);
			sqlite3_bind_int(st, 7, e->merged);
			sqlite3_bind_int(st, 8, e->superseded);
			sqlite3_bind_int(st, 9, e->rework);
			sqlite3_bind_int(st, 10, e->comments);
			sqlite3_bind_int64(st, 11, e->cost);
			sqlite3_bind_double(st, 12, e->wall_ms);
			if (db_step_done(c->db, st, &c->err) < 0)
				return -1;
		}
	return 0;
}

/* The variant's key: "model|persona|runtime", '-' for what the rig gave. */
static void variant_key(const struct ended *e, char *out, size_t len)
{
	snprintf(out, len, "%s|%s|%s", *e->model ? e->model : "-", *e->persona ? e->persona : "-", e->runtime);
}

static int add_everywhere(struct call *c, const struct ended *e)
{
	char variant[200];

	variant_key(e, variant, sizeof variant);
	return add_totals(c, "all", "", e) < 0 || add_totals(c, "model", *e->model ? e->model : "-", e) < 0 ||
			       add_totals(c, "persona", *e->persona ? e->persona : "-", e) < 0 ||
			       add_totals(c, "runtime", e->runtime, e) < 0 || add_totals(c, "agent", e->agent, e) < 0 ||
			       add_totals(c, "variant", variant, e) < 0 || add_totals(c, "language", e->language, e) < 0 ||
			       add_totals(c, "kind", e->kind, e) < 0
		       ? -1
		       : 0;
}

/* The outcome of bead as the totals see it: 1 when it has one that ended, 0 when not, -1. */
static int load_ended(struct call *c, const char *bead, struct ended *o)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT coalesce(model, ''), coalesce(persona, ''), runtime, agent, coalesce(language, ''), kind, result,"
		" first_pass, rework, comments, cost_microusd, coalesce(wall_ms, 0) FROM outcomes WHERE bead = ? AND result <> 'running'",
		&c->err);
	const char *result;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	*o = (struct ended){0};
	snprintf(o->model, sizeof o->model, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(o->persona, sizeof o->persona, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(o->runtime, sizeof o->runtime, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(o->agent, sizeof o->agent, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(o->language, sizeof o->language, "%s", (const char *)sqlite3_column_text(st, 4));
	snprintf(o->kind, sizeof o->kind, "%s", (const char *)sqlite3_column_text(st, 5));
	result = (const char *)sqlite3_column_text(st, 6);
	o->superseded = strcmp(result, "superseded") == 0;
	o->merged = strcmp(result, "merged") == 0;
	o->counted = !o->superseded;
	o->first_pass = sqlite3_column_int(st, 7);
	o->rework = sqlite3_column_int(st, 8);
	o->comments = sqlite3_column_int(st, 9);
	o->cost = sqlite3_column_int64(st, 10);
	o->wall_ms = sqlite3_column_double(st, 11);
	sqlite3_reset(st);
	return 1;
}

/* ---- the end of a piece of work ---------------------------------------------------------------- */

int outcome_on_bead(struct call *c, const struct bead_change *ch)
{
	char reason[512] = "", rig[72] = "", status[16] = "", language[33] = "";
	const char *result;
	struct bead_run b;
	struct ended e;
	sqlite3_stmt *st;
	int rc;

	if (ch->kind != BEAD_STATUS || (strcmp(ch->to, "closed") && strcmp(ch->to, "failed")))
		return 0;
	if ((rc = db_exists(c->db, "SELECT 1 FROM outcomes WHERE bead = ? AND result = 'running'", ch->id, &c->err)) <= 0)
		return rc;
	if (bead_close_reason(c, ch->id, reason, sizeof reason) < 0 || bead_run_get(c, ch->id, &b) <= 0 ||
	    bead_status_rig(c, ch->id, status, sizeof status, rig, sizeof rig) < 0 ||
	    (*rig && rig_language(c, rig, language, sizeof language) < 0))
		return c->err.code ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "outcome: the bead is gone");
	result = strcmp(ch->to, "failed") == 0 ? "failed"
		 : strncmp(reason, "merged", 6) == 0 ? "merged"
		 : strncmp(reason, "superseded", 10) == 0 ? "superseded" : "closed";
	/* First pass: merged with nothing sent back. The language is what the work's own report
	 * measured, else the rig's last measure. */
	if (!(st = db_prepare(c->db,
		"UPDATE outcomes SET result = ?2, first_pass = (?2 = 'merged' AND ?3 = 0), rework = ?3, ended_ms = ?4,"
		" wall_ms = ?4 - started_ms, language = coalesce(language, nullif(?5, '')) WHERE bead = ?1", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, result, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, b.reviews);
	sqlite3_bind_double(st, 4, c->now_ms);
	sqlite3_bind_text(st, 5, language, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0 || load_ended(c, ch->id, &e) <= 0)
		return c->err.code ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "outcome: not ended");
	return add_everywhere(c, &e);
}

/* Add cost and comments to bead's outcome (if it has one) and, once it ended, to the totals: a usage
 * report or a review comment that trails the work's end still counts, alone. */
static int add_late(struct call *c, const char *bead, int64_t cost, int comments)
{
	struct ended e;
	int rc;
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE outcomes SET cost_microusd = cost_microusd + ?2,"
					     " comments = comments + ?3 WHERE bead = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cost);
	sqlite3_bind_int(st, 3, comments);
	if (db_step_done(c->db, st, &c->err) < 0 || (rc = load_ended(c, bead, &e)) < 0)
		return -1;
	if (!rc)
		return 0;
	e.counted = e.first_pass = e.merged = e.superseded = e.rework = 0;
	e.wall_ms = 0;
	e.cost = cost;
	e.comments = comments;
	return add_everywhere(c, &e);
}

int outcome_on_spend(struct call *c, const struct spend_change *ch)
{
	return add_late(c, ch->bead, ch->cost_microusd, 0);
}

int outcome_comment(struct call *c, const char *bead)
{
	return add_late(c, bead, 0, 1);
}

int outcome_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM outcomes; DELETE FROM outcome_totals;", &c->err);
}

/* ---- reading ----------------------------------------------------------------------------------- */

void outcome_wilson(int64_t k, int64_t n, double *low, double *high)
{
	double p, z2, denom, centre, margin;

	if (n <= 0) {
		*low = 0;
		*high = 1;
		return;
	}
	p = (double)k / (double)n;
	z2 = WILSON_Z * WILSON_Z;
	denom = 1 + z2 / (double)n;
	centre = (p + z2 / (2.0 * (double)n)) / denom;
	margin = WILSON_Z * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * (double)n)) / denom;
	*low = centre - margin < 0 ? 0 : centre - margin;
	*high = centre + margin > 1 ? 1 : centre + margin;
}

/* Four places: a rate is read by people, not by the next computation. */
static double round4(double v)
{
	return floor(v * 10000.0 + 0.5) / 10000.0;
}

cJSON *outcome_row_json(sqlite3_stmt *st)
{
	cJSON *r = cJSON_CreateObject();
	int64_t n = sqlite3_column_int64(st, 1), fp = sqlite3_column_int64(st, 2), merged = sqlite3_column_int64(st, 3);
	int64_t attempts = n + sqlite3_column_int64(st, 4), cost = sqlite3_column_int64(st, 7);
	double low, high;

	cJSON_AddStringToObject(r, "key", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddNumberToObject(r, "n", (double)n);
	cJSON_AddNumberToObject(r, "first_pass", (double)fp);
	cJSON_AddNumberToObject(r, "merged", (double)merged);
	cJSON_AddNumberToObject(r, "superseded", (double)sqlite3_column_int64(st, 4));
	if (n > 0) {
		outcome_wilson(fp, n, &low, &high);
		cJSON_AddNumberToObject(r, "first_pass_rate", round4((double)fp / (double)n));
		cJSON_AddNumberToObject(r, "wilson_low", round4(low));
		cJSON_AddNumberToObject(r, "wilson_high", round4(high));
	} else {
		cJSON_AddNullToObject(r, "first_pass_rate");
		cJSON_AddNullToObject(r, "wilson_low");
		cJSON_AddNullToObject(r, "wilson_high");
	}
	cJSON_AddNumberToObject(r, "rework_rounds", (double)sqlite3_column_int64(st, 5));
	cJSON_AddNumberToObject(r, "comments", (double)sqlite3_column_int64(st, 6));
	cJSON_AddNumberToObject(r, "cost_microusd", (double)cost);
	cJSON_AddNumberToObject(r, "cost_per_attempt_microusd", attempts ? (double)(cost / attempts) : 0);
	if (merged > 0)
		cJSON_AddNumberToObject(r, "cost_per_merged_microusd", (double)(cost / merged));
	else
		cJSON_AddNullToObject(r, "cost_per_merged_microusd");
	cJSON_AddNumberToObject(r, "wall_ms_avg", attempts ? round4(sqlite3_column_double(st, 8) / (double)attempts) : 0);
	return r;
}

cJSON *outcome_row_towns_json(sqlite3_stmt *st)
{
	cJSON *r = outcome_row_json(st);

	cJSON_AddNumberToObject(r, "towns", (double)sqlite3_column_int64(st, 9));
	return r;
}

cJSON *outcome_stats_json(struct call *c, const char *by, const char *kind, const char *language, const char *key)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT key, n, first_pass, merged, superseded, rework, comments, cost_microusd, wall_ms FROM outcome_totals"
		" WHERE dim = ?1 AND kind = ?2 AND language = ?3 AND (?4 IS NULL OR key = ?4)"
		" ORDER BY n DESC, key LIMIT 200", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind ? kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, language ? language : "", -1, SQLITE_STATIC);
	if (key)
		sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	return db_list(c->db, st, outcome_row_json, &c->err);
}

cJSON *outcome_list_json(struct call *c, const char *agent, int limit)
{
	static const char *const cols[] = {"bead", "slung", "model", "persona", "runtime", "language", "kind", "result",
					   "first_pass", "rework", "comments", "cost_microusd", "started_ms", "ended_ms", NULL};
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT bead, slung, model, persona, runtime, language, kind, result, first_pass, rework, comments,"
		" cost_microusd, started_ms, ended_ms FROM outcomes WHERE agent = ? ORDER BY started_ms DESC LIMIT ?", &c->err);
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	list = cJSON_CreateArray();
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		cJSON *o = cJSON_CreateObject();

		for (int i = 0; cols[i]; i++) {
			if (i == 8)
				cJSON_AddBoolToObject(o, cols[i], sqlite3_column_int(st, i));
			else if (sqlite3_column_type(st, i) == SQLITE_INTEGER || sqlite3_column_type(st, i) == SQLITE_FLOAT)
				cJSON_AddNumberToObject(o, cols[i], sqlite3_column_double(st, i));
			else
				db_column_to_json(o, cols[i], st, i);
		}
		cJSON_AddItemToArray(list, o);
	}
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

/* ---- the platform's figures --------------------------------------------------------------------- */

/* A name the platform may keep: a built-in persona's, else "custom" (a town's own persona names its
 * work); a model's, except a fine-tuned one's, whose id names its owner ("ft:base:org:..."). */
static void anon_persona(const char *p, char *out, size_t len)
{
	snprintf(out, len, "%s", strcmp(p, "-") == 0 || persona_builtin(p) ? p : "custom");
}

static void anon_model(const char *m, char *out, size_t len)
{
	snprintf(out, len, "%s", strncmp(m, "ft:", 3) == 0 || strstr(m, ":ft-") ? "fine-tuned" : m);
}

/* "model|persona|runtime" with each part made anonymous; the model may hold '|', the others not. */
static void anon_variant(const char *v, char *out, size_t len)
{
	const char *rt = strrchr(v, '|'), *pe = NULL;
	char model[128], persona[48], m[128], p[48];

	for (const char *s = v; rt && s < rt; s++)
		if (*s == '|')
			pe = s;
	if (!rt || !pe || (size_t)(pe - v) >= sizeof model || (size_t)(rt - pe - 1) >= sizeof persona) {
		snprintf(out, len, "other");
		return;
	}
	snprintf(model, sizeof model, "%.*s", (int)(pe - v), v);
	snprintf(persona, sizeof persona, "%.*s", (int)(rt - pe - 1), pe + 1);
	anon_model(model, m, sizeof m);
	anon_persona(persona, p, sizeof p);
	snprintf(out, len, "%s|%s|%s", m, p, rt + 1);
}

/* [dim, key, kind, language, n, first_pass, merged, superseded, rework, comments, cost, wall_ms]. */
static cJSON *report_row(sqlite3_stmt *st)
{
	const char *dim = (const char *)sqlite3_column_text(st, 0), *key = (const char *)sqlite3_column_text(st, 1);
	char anon[300];
	cJSON *r = cJSON_CreateArray();

	if (strcmp(dim, "persona") == 0)
		anon_persona(key, anon, sizeof anon);
	else if (strcmp(dim, "model") == 0)
		anon_model(key, anon, sizeof anon);
	else if (strcmp(dim, "variant") == 0)
		anon_variant(key, anon, sizeof anon);
	else
		snprintf(anon, sizeof anon, "%s", key);
	cJSON_AddItemToArray(r, cJSON_CreateString(dim));
	cJSON_AddItemToArray(r, cJSON_CreateString(anon));
	cJSON_AddItemToArray(r, cJSON_CreateString((const char *)sqlite3_column_text(st, 2)));
	cJSON_AddItemToArray(r, cJSON_CreateString((const char *)sqlite3_column_text(st, 3)));
	for (int i = 4; i < 11; i++)
		cJSON_AddItemToArray(r, cJSON_CreateNumber((double)sqlite3_column_int64(st, i)));
	cJSON_AddItemToArray(r, cJSON_CreateNumber(floor(sqlite3_column_double(st, 11))));
	return r;
}

cJSON *outcome_report_rows(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT dim, key, kind, language, n, first_pass, merged, superseded, rework, comments, cost_microusd, wall_ms"
		" FROM outcome_totals WHERE dim IN ('all', 'model', 'persona', 'runtime', 'variant')"
		" ORDER BY n + superseded DESC LIMIT ?", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_int(st, 1, OUTCOME_REPORT_ROWS_MAX);
	return db_list(c->db, st, report_row, &c->err);
}

/* ---- recommendations -------------------------------------------------------------------------- */

static int by_expected(const void *a, const void *b)
{
	double x = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)a, "expected_cost_per_merged_microusd"));
	double y = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)b, "expected_cost_per_merged_microusd"));

	return x < y ? -1 : x > y;
}

/* To the nearest cent. */
static void money(int64_t micro, char *out, size_t len)
{
	int64_t cents = (micro + 5000) / 10000;

	snprintf(out, len, "$%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

static cJSON *town_variants(struct call *c, const char *kind, const char *language)
{
	return outcome_stats_json(c, "variant", kind, language, NULL);
}

cJSON *outcome_recommend_json(struct call *c, const char *kind, const char *language)
{
	return outcome_recommend_from(c, kind, language, town_variants);
}

cJSON *outcome_recommend_from(struct call *c, const char *kind, const char *language,
			      cJSON *(*variants)(struct call *c, const char *kind, const char *language))
{
	/* The narrowest scope with enough data: this kind in this language, then the language, then
	 * the kind, then all the town's work. */
	const char *scopes[4][2] = {{kind, language}, {"", language}, {kind, ""}, {"", ""}};
	static const char *const names[4] = {"kind and language", "language", "kind", "all work"};
	cJSON *out = cJSON_CreateObject(), *ranked = cJSON_AddArrayToObject(out, "variants"), *rows = NULL, *r;
	cJSON *sorted[200];
	int n = 0, s;

	cJSON_AddNumberToObject(out, "min_sample", OUTCOME_MIN_SAMPLE);
	/* A language never measured narrows nothing: start from the kind alone. */
	for (s = *language ? 0 : 2; s < 4; s++) {
		cJSON_Delete(rows);
		if (!(rows = variants(c, scopes[s][0], scopes[s][1]))) {
			cJSON_Delete(out);
			return NULL;
		}
		n = 0;
		cJSON_ArrayForEach(r, rows)
			n += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "n")) >= OUTCOME_MIN_SAMPLE &&
			     cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "first_pass")) > 0;
		if (n > 0)
			break;
	}
	cJSON_AddStringToObject(out, "kind", kind);
	cJSON_AddStringToObject(out, "language", language);
	cJSON_AddStringToObject(out, "scope", s < 4 ? names[s] : "none");
	n = 0;
	cJSON_ArrayForEach(r, rows) {
		double count = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "n"));
		double fp = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "first_pass"));
		double attempts = count + cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "superseded"));
		double cost = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "cost_microusd"));

		/* Too few to say anything, or never a first pass: not recommended. From the counts, not the
		 * rounded rate: (cost / attempts) / (first_pass / n). */
		const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "key"));
		size_t klen = key ? strlen(key) : 0;

		/* A crew agent's work ran on a member's machine: not a variant the town can sling. */
		if (count < OUTCOME_MIN_SAMPLE || fp <= 0 || n == 200 || (klen >= 5 && strcmp(key + klen - 5, "|crew") == 0))
			continue;
		sorted[n] = cJSON_Duplicate(r, 1);
		cJSON_AddNumberToObject(sorted[n], "expected_cost_per_merged_microusd", floor(cost * count / (attempts * fp) + 0.5));
		n++;
	}
	qsort(sorted, (size_t)n, sizeof sorted[0], by_expected);
	for (int i = 0; i < n; i++) {
		char line[300], a[32], b[32];
		const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sorted[i], "key"));

		money((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sorted[i], "cost_per_attempt_microusd")), a,
		      sizeof a);
		money((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sorted[i], "expected_cost_per_merged_microusd")),
		      b, sizeof b);
		snprintf(line, sizeof line, "%s: %.0f%% first-pass (n=%.0f, 95%% %.0f-%.0f%%) at %s -> %s/merged", key,
			 100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sorted[i], "first_pass_rate")),
			 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sorted[i], "n")),
			 100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sorted[i], "wilson_low")),
			 100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sorted[i], "wilson_high")), a, b);
		cJSON_AddStringToObject(sorted[i], "why", line);
		cJSON_AddItemToArray(ranked, sorted[i]);
	}
	cJSON_Delete(rows);
	return out;
}

/* ---- an agent's record ------------------------------------------------------------------------ */

/* The same columns as the totals, summed over an agent's own outcomes grouped by one column (few
 * rows: one agent's work). One literal per column: db_prepare keeps statements by their text's
 * address, so a statement written into a buffer would come back as the last one prepared there. */
#define AGENT_GROUP(col)                                                                                      \
	"SELECT coalesce(" col ", '-'), sum(result <> 'superseded'), sum(first_pass), sum(result = 'merged'),"   \
	" sum(result = 'superseded'), sum(rework), sum(comments), sum(cost_microusd), sum(coalesce(wall_ms, 0))"  \
	" FROM outcomes WHERE agent = ? AND result <> 'running' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100"

static const struct {
	const char *key, *sql;
} agent_groups[] = {
	{"by_persona", AGENT_GROUP("persona")},
	{"by_language", AGENT_GROUP("language")},
	{"by_model", AGENT_GROUP("model")},
	{"by_kind", AGENT_GROUP("kind")},
};

static cJSON *agent_group(struct call *c, const char *agent, const char *sql)
{
	sqlite3_stmt *st = db_prepare(c->db, sql, &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	return db_list(c->db, st, outcome_row_json, &c->err);
}

int outcome_agent_known(struct call *c, const char *agent)
{
	return db_exists(c->db, "SELECT 1 FROM outcomes WHERE agent = ?", agent, &c->err);
}

cJSON *outcome_agent_json(struct call *c, const char *agent)
{
	cJSON *out = cJSON_CreateObject(), *part;

	cJSON_AddStringToObject(out, "agent", agent);
	if (!(part = outcome_stats_json(c, "agent", "", "", agent)))
		goto fail;
	cJSON_AddItemToObject(out, "totals", cJSON_GetArraySize(part) ? cJSON_DetachItemFromArray(part, 0) : cJSON_CreateNull());
	cJSON_Delete(part);
	for (size_t i = 0; i < sizeof agent_groups / sizeof agent_groups[0]; i++) {
		if (!(part = agent_group(c, agent, agent_groups[i].sql)))
			goto fail;
		cJSON_AddItemToObject(out, agent_groups[i].key, part);
	}
	if (!(part = outcome_list_json(c, agent, 20)))
		goto fail;
	cJSON_AddItemToObject(out, "recent", part);
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

/* ---- the bench's and the tests' fixture ------------------------------------------------------ */

int outcome_seed(struct call *c, int64_t count, uint32_t seed)
{
	static const char *const models[] = {"sonnet", "opus", "gpt-4o", "haiku"};
	static const char *const personas[] = {"", "backend", "test-writer"};
	static const char *const langs[] = {"python", "rust", "typescript"};
	static const char *const kinds[] = {"task", "bug", "feature"};
	/* Each model's chance of a first pass in 1/100, and its cost per attempt in microdollars. */
	static const int pass[] = {82, 94, 75, 60};
	static const int64_t cost[] = {400000, 2100000, 500000, 100000};
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO outcomes(bead, agent, model, persona, runtime, language, kind, result, first_pass, rework,"
		" cost_microusd, started_ms, ended_ms, wall_ms) VALUES (?1, ?2, ?3, nullif(?4, ''), 'claude', ?5, ?6, ?7, ?8, ?9,"
		" ?10, ?11, ?11 + ?12, ?12)", &c->err);
	uint32_t x = seed ? seed : 1;

	if (!st)
		return -1;
	for (int64_t i = 0; i < count; i++) {
		struct ended e = {0};
		char bead[48], agent[32];
		int m, roll;

		/* xorshift32: the same seed, the same outcomes. */
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		m = (int)(x % 4);
		roll = (int)((x >> 8) % 100);
		snprintf(bead, sizeof bead, "oc-%u-%lld", seed, (long long)i);
		snprintf(agent, sizeof agent, "seed-%d", (int)((x >> 4) % 20));
		snprintf(e.model, sizeof e.model, "%s", models[m]);
		snprintf(e.persona, sizeof e.persona, "%s", personas[(x >> 12) % 3]);
		snprintf(e.runtime, sizeof e.runtime, "claude");
		snprintf(e.agent, sizeof e.agent, "%s", agent);
		snprintf(e.language, sizeof e.language, "%s", langs[(x >> 16) % 3]);
		snprintf(e.kind, sizeof e.kind, "%s", kinds[(x >> 20) % 3]);
		e.merged = roll < pass[m] + 10;
		e.first_pass = roll < pass[m];
		e.rework = e.merged && !e.first_pass;
		e.counted = 1;
		e.cost = cost[m];
		e.wall_ms = 60000.0 * (1 + m);
		sqlite3_bind_text(st, 1, bead, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, agent, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, e.model, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, e.persona, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, e.language, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, e.kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, e.merged ? "merged" : "failed", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, e.first_pass);
		sqlite3_bind_int(st, 9, e.rework);
		sqlite3_bind_int64(st, 10, e.cost);
		sqlite3_bind_double(st, 11, c->now_ms);
		sqlite3_bind_double(st, 12, e.wall_ms);
		if (db_step_done(c->db, st, &c->err) < 0 || add_everywhere(c, &e) < 0)
			return -1;
	}
	return 0;
}
