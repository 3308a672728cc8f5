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

struct last_report {
	int64_t seq;
	int shared;
	double sent_ms;
};

static int last_report(struct call *c, struct last_report *r)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT seq, shared, sent_ms FROM stats_report", &c->err);
	int rc;

	*r = (struct last_report){0, 0, -REPORT_EVERY_MS};
	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
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
	double due;

	if (ch->kind != BEAD_STATUS || (strcmp(ch->to, "closed") && strcmp(ch->to, "failed")))
		return 0;
	if (last_report(c, &last) < 0)
		return -1;
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
	/* Nothing sent and nothing to send: a town that never shared has nothing to withdraw. */
	if (!share && !last.shared)
		return 0;
	if (!(rows = share ? outcome_report_rows(c) : cJSON_CreateArray()))
		return -1;
	if (share && !last.shared && cJSON_GetArraySize(rows) == 0) {
		cJSON_Delete(rows);
		return 0;
	}
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
	return rc;
}

int stats_report_fired(struct call *c, const char *key)
{
	int share = town_shares_stats(c);

	(void)key;
	return share < 0 ? -1 : report(c, share);
}

int stats_report_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);
	struct last_report last;

	(void)subject;
	(void)body;
	(void)len;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && status >= 200 && status < 300)
		return 0;
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

/* A deleted town takes its figures out of the platform's too. */
int stats_report_wipe(struct call *c)
{
	return report(c, 0) < 0 ? -1 : db_exec(c->db, "DELETE FROM stats_report", &c->err);
}
