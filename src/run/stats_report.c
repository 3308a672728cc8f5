/*
 * stats_report.c - the town's side of the platform's figures (docs/casting.md). A while after its
 * work ends, the town sends the StatsDO all of its outcome totals, made anonymous by
 * outcome_report_rows (no bead, title, agent or person; no persona name of its own), under a
 * growing sequence number. A report replaces the town's previous one, so a resend changes nothing
 * and a late one is known by its number. A town that stops sharing (its organization's choice or
 * its own share_stats setting) sends one empty report, which withdraws what it had sent.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"
#include "sqlite3.h"

#define REPORT_AFTER_MS (60 * 1000.0)      /* after work ends: a burst of endings makes one report */
#define REPORT_EVERY_MS (60 * 60 * 1000.0) /* at most this often: one object hears every town */
#define REPORT_RETRY_MS (10 * 60 * 1000.0)
#define REFRESH_MS (24 * 60 * 60 * 1000.0)  /* the platform's figures, fetched at least daily */

struct last_report {
	int64_t seq;
	int shared, found;
	double sent_ms;
};

static int last_report(struct call *c, struct last_report *r)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT seq, shared, sent_ms FROM stats_report", &c->err);
	int rc;

	*r = (struct last_report){0, 0, 0, -REPORT_EVERY_MS};
	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
		r->found = 1;
		r->seq = sqlite3_column_int64(st, 0);
		r->shared = sqlite3_column_int(st, 1);
		r->sent_ms = sqlite3_column_double(st, 2);
	}
	sqlite3_reset(st);
	return 0;
}

static int save_report(struct call *c, int64_t seq, int shared)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO stats_report(id, seq, shared, sent_ms) VALUES (1, ?1, ?2, ?3)"
					     " ON CONFLICT(id) DO UPDATE SET seq = ?1, shared = ?2, sent_ms = ?3", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, shared);
	sqlite3_bind_double(st, 3, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int stats_report_on_bead(struct call *c, const struct bead_change *ch)
{
	struct last_report last;
	int ended = ch->kind == BEAD_STATUS && (!strcmp(ch->to, "closed") || !strcmp(ch->to, "failed"));
	double due;

	if (!ended && ch->kind != BEAD_CREATED)
		return 0;
	if (last_report(c, &last) < 0)
		return -1;
	/* A town's first bead asks for the platform's figures (its recommendations fall back to
	 * them): once, the row marks it. */
	if (!ended) {
		if (last.found)
			return 0;
		return save_report(c, 0, 0) < 0 ? -1 : timer_set_earlier(c, "stats", "report", c->now_ms + REPORT_AFTER_MS);
	}
	due = c->now_ms + REPORT_AFTER_MS;
	if (due < last.sent_ms + REPORT_EVERY_MS)
		due = last.sent_ms + REPORT_EVERY_MS;
	return timer_set_earlier(c, "stats", "report", due);
}

/* Send what is true now: all the totals when share, else the withdrawal (if anything was sent).
 * The number is the later of the last one's next and the clock, so a town deleted and made again
 * under the same id is not taken for a stale sender. */
static int report(struct call *c, int share)
{
	char esc[400], url[512], fx[48], *text;
	struct last_report last;
	cJSON *body, *rows;
	int64_t seq;
	int rc;

	if (last_report(c, &last) < 0)
		return -1;
	seq = last.seq + 1 > (int64_t)c->now_ms ? last.seq + 1 : (int64_t)c->now_ms;
	/* A town that never shared has nothing to withdraw. One that shares reports even with no
	 * work of its own yet: the answer brings the platform's figures its recommendations fall
	 * back to. */
	if (!share && !last.shared)
		return 0;
	if (!(rows = share ? outcome_report_rows(c) : cJSON_CreateArray()))
		return -1;
	body = cJSON_CreateObject();
	cJSON_AddNumberToObject(body, "seq", (double)seq);
	cJSON_AddItemToObject(body, "rows", rows);
	text = json_print(body);
	cJSON_Delete(body);
	if (!text)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	if (id_escape(c->cfg->object_id, esc, sizeof esc) < 0) {
		cJSON_free(text);
		return err_set(&c->err, ERR_INTERNAL, NULL, "town id too long");
	}
	snprintf(url, sizeof url, "do://stats/platform/_internal/reports/%s", esc);
	{
		struct effect_req r = {.purpose = "stats", .subject = "platform", .method = "PUT", .url = url, .body = text,
				       .timeout_ms = 20000};

		rc = save_report(c, seq, share) < 0 ? -1 : effect_submit(c, &r, fx, sizeof fx);
	}
	cJSON_free(text);
	/* Figures grow stale: a town reports daily even when none of its work ends. */
	return rc < 0 || !share ? rc : timer_set_earlier(c, "stats", "report", c->now_ms + REFRESH_MS);
}

int stats_report_fired(struct call *c, const char *key)
{
	int share = town_shares_stats(c);

	(void)key;
	return share < 0 ? -1 : report(c, share);
}

/* One row of the answer's variants, checked: the StatsDO is ours, but a row is stored. */
static int put_variant(struct call *c, const cJSON *r)
{
	const cJSON *v[12];
	sqlite3_stmt *st;

	if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 12)
		return 0;
	for (int i = 0; i < 12; i++) {
		v[i] = cJSON_GetArrayItem(r, i);
		if (i < 3 ? !cJSON_IsString(v[i]) || strlen(v[i]->valuestring) > 300
			  : !cJSON_IsNumber(v[i]) || v[i]->valuedouble < 0 || v[i]->valuedouble > 1e15)
			return 0;
	}
	if (!(st = db_prepare(c->db, "INSERT OR REPLACE INTO platform_variants(kind, language, key, n, first_pass, merged,"
				     " superseded, rework, comments, cost_microusd, wall_ms, towns)"
				     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", &c->err)))
		return -1;
	for (int i = 0; i < 12; i++)
		if (i < 3)
			sqlite3_bind_text(st, i + 1, v[i]->valuestring, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i + 1, (int64_t)v[i]->valuedouble);
	return db_step_done(c->db, st, &c->err);
}

/* The answer's variants replace the town's copy (none while it does not share). */
static int keep_variants(struct call *c, const char *body, size_t len)
{
	cJSON *res = json_parse_exact(body, len);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "data"), "variants"), *r;
	int share = town_shares_stats(c), n = 0, rc = 0;

	if (share < 0 || (list && db_exec(c->db, "DELETE FROM platform_variants", &c->err) < 0)) {
		cJSON_Delete(res);
		return -1;
	}
	if (share)
		cJSON_ArrayForEach(r, list)
			if (++n > PLATFORM_VARIANTS_MAX || (rc = put_variant(c, r)) < 0)
				break;
	cJSON_Delete(res);
	return rc < 0 ? -1 : 0;
}

int stats_report_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);
	struct last_report last;

	(void)subject;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && status >= 200 && status < 300)
		return keep_variants(c, body, len);
	/* Not taken: the platform may hold anything of ours, so the retry sends what is true then
	 * (all the totals, or the withdrawal), under a new number. */
	call_log(c, "warn", "stats report not taken; retrying", cJSON_CreateNumber(status));
	if (last_report(c, &last) < 0 || save_report(c, last.seq, 1) < 0)
		return -1;
	return timer_set(c, "stats", "report", c->now_ms + REPORT_RETRY_MS);
}

int stats_report_state_json(struct call *c, cJSON *out)
{
	struct last_report last;
	int share = town_shares_stats(c);

	if (share < 0 || last_report(c, &last) < 0)
		return -1;
	cJSON_AddBoolToObject(out, "share_stats", share);
	cJSON_AddNumberToObject(out, "seq", (double)last.seq);
	cJSON_AddBoolToObject(out, "shared", last.shared);
	return 0;
}

cJSON *stats_platform_variants(struct call *c, const char *kind, const char *language)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT key, n, first_pass, merged, superseded, rework, comments, cost_microusd, wall_ms, towns"
		" FROM platform_variants WHERE kind = ?1 AND language = ?2 ORDER BY n DESC, key LIMIT 200", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, language, -1, SQLITE_STATIC);
	return db_list(c->db, st, outcome_row_towns_json, &c->err);
}

/* A deleted town takes its figures out of the platform's too. */
int stats_report_wipe(struct call *c)
{
	return report(c, 0) < 0 ? -1 : db_exec(c->db, "DELETE FROM stats_report; DELETE FROM platform_variants", &c->err);
}
