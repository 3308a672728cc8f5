/*
 * dolt_sync.c - the DoltSyncDO: one full sync of one town's Wasteland commons (docs/wasteland.md,
 * "Full sync"), so that a town of any size is written out without its own object paying for it.
 *
 * The town starts it (POST /_internal/sync, the object named "<town>:<id>") and is then asked, a
 * page at a time, for the statements that write its beads: POST do://town/<town>/_internal/
 * wasteland/full/<id> with the cursor of the page wanted and how far the sync got. The statements
 * go to DoltHub one at a time (dolthub.c), each polled until done; only once every statement of a
 * page is confirmed is the next page asked for, so the cursor is the sync's whole progress and a
 * crash resumes at the page in hand. A failure backs off (1 s doubling to 5 min) and is reported to
 * the town, whose answer carries its current target and token (a new token reaches a sync under
 * way). After the last page the town hands over to its incremental sync; a town that no longer
 * knows this sync (disconnected, started another) answers 409 and the sync stops. Either way the
 * token is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"
#include "sqlite3.h"

struct ds {
	char town[128], api_url[DOLTHUB_URL_MAX + 1], owner[DOLTHUB_NAME_MAX + 1], db[DOLTHUB_NAME_MAX + 1];
	char token[DOLTHUB_TOKEN_MAX + 1], state[12], busy[8], op[DOLTHUB_OP_MAX];
	double timeout_ms, next_ms;
	int64_t cursor, page_next, page_beads, page_last, step, polls, failures, report_due, paged, writes;
	int has_page;
};

static void text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	snprintf(out, len, "%s", s ? s : "");
}

static int load(struct call *c, struct ds *s)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT town, api_url, owner, db, token, timeout_ms, state, cursor, page IS NOT NULL,"
					     " page_next, page_beads, page_last, step, busy, op, polls, failures, next_ms,"
					     " report_due, paged, writes FROM dolt_sync", &c->err);
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) <= 0)
		return st ? rc : -1;
	text(st, 0, s->town, sizeof s->town);
	text(st, 1, s->api_url, sizeof s->api_url);
	text(st, 2, s->owner, sizeof s->owner);
	text(st, 3, s->db, sizeof s->db);
	text(st, 4, s->token, sizeof s->token);
	s->timeout_ms = sqlite3_column_double(st, 5);
	text(st, 6, s->state, sizeof s->state);
	s->cursor = sqlite3_column_int64(st, 7);
	s->has_page = sqlite3_column_int(st, 8);
	s->page_next = sqlite3_column_int64(st, 9);
	s->page_beads = sqlite3_column_int64(st, 10);
	s->page_last = sqlite3_column_int64(st, 11);
	s->step = sqlite3_column_int64(st, 12);
	text(st, 13, s->busy, sizeof s->busy);
	text(st, 14, s->op, sizeof s->op);
	s->polls = sqlite3_column_int64(st, 15);
	s->failures = sqlite3_column_int64(st, 16);
	s->next_ms = sqlite3_column_double(st, 17);
	s->report_due = sqlite3_column_int64(st, 18);
	s->paged = sqlite3_column_int64(st, 19);
	s->writes = sqlite3_column_int64(st, 20);
	sqlite3_reset(st);
	return 1;
}

static int set_busy(struct call *c, const char *busy, const char *op, int64_t polls)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE dolt_sync SET busy = ?1, op = ?2, polls = ?3", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, busy, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, polls);
	return db_step_done(c->db, st, &c->err);
}

/* The sync id: what follows the town's name in this object's. */
static const char *sync_id(struct call *c, const struct ds *s)
{
	return c->cfg->object_id + strlen(s->town) + 1;
}

/* ---- the calls ---------------------------------------------------------------------------------- */

static void target(const struct ds *s, struct dolthub *d)
{
	*d = (struct dolthub){.api_url = s->api_url, .owner = s->owner, .db = s->db, .token = s->token,
			      .purpose = "dolt-sync", .timeout_ms = s->timeout_ms};
}

/* Ask the town for the page after s->cursor (want) or only tell it how far the sync is (a failure
 * to report, or the end: finished). */
static int ask_town(struct call *c, const struct ds *s, int want, int finished, const char *error)
{
	char town[3 * sizeof s->town], id[64], url[sizeof town + sizeof id + 64], fx[48], *body;
	const char *kind = want || finished ? "page" : "report";
	cJSON *o = cJSON_CreateObject();
	int rc;

	query_escape(s->town, town, sizeof town);
	query_escape(sync_id(c, s), id, sizeof id);
	snprintf(url, sizeof url, "do://town/%s/_internal/wasteland/full/%s", town, id);
	cJSON_AddNumberToObject(o, "cursor", (double)s->cursor);
	cJSON_AddNumberToObject(o, "paged", (double)s->paged);
	cJSON_AddNumberToObject(o, "writes", (double)s->writes);
	cJSON_AddBoolToObject(o, "want", want);
	cJSON_AddBoolToObject(o, "finished", finished);
	if (error)
		cJSON_AddStringToObject(o, "error", error);
	body = json_print(o);
	cJSON_Delete(o);
	if (!body)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	rc = effect_submit(c, &(struct effect_req){.purpose = "dolt-sync", .subject = kind, .method = "POST", .url = url,
						   .body = body, .timeout_ms = 30000},
			   fx, sizeof fx);
	cJSON_free(body);
	return rc < 0 ? -1 : set_busy(c, kind, "", 0);
}

/* The statement of the page in hand at step, into a new string (NULL past its end). */
static char *statement(struct call *c, int64_t step, int *rc)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT value FROM dolt_sync, json_each(dolt_sync.page) WHERE key = ?1", &c->err);
	char *sql = NULL;

	*rc = st ? 0 : -1;
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, step);
	if ((*rc = db_step_row(c->db, st, &c->err)) > 0) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		if (!v || !(sql = strdup(v)))
			*rc = err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	sqlite3_reset(st);
	return sql;
}

/* The next thing to send, when nothing is in flight and no backoff holds it back. */
static int step(struct call *c)
{
	struct dolthub d;
	struct ds s;
	char *sql;
	int rc;

	if ((rc = load(c, &s)) <= 0 || strcmp(s.state, "running") != 0 || s.busy[0])
		return rc;
	/* A failure is told at once, whatever the backoff: the town shows it while the sync waits. */
	if (s.report_due) {
		sqlite3_stmt *st = db_prepare(c->db, "UPDATE dolt_sync SET report_due = 0 RETURNING last_error", &c->err);
		char why[400] = "";

		if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
			return -1;
		if (rc)
			text(st, 0, why, sizeof why);
		sqlite3_reset(st);
		return ask_town(c, &s, 0, 0, why);
	}
	if (s.next_ms > c->now_ms)
		return timer_set_earlier(c, "dolt-sync", "sync", s.next_ms);
	/* No page in hand: the next one, or, past the last, the end told (again, if that call failed). */
	if (!s.has_page)
		return ask_town(c, &s, !s.page_last, (int)s.page_last, NULL);
	if ((sql = statement(c, s.step, &rc)) != NULL) {
		target(&s, &d);
		rc = dolthub_write(c, &d, "write", sql);
		free(sql);
		return rc < 0 ? -1 : set_busy(c, "write", "", 0);
	}
	if (rc < 0)
		return -1;
	/* Every statement of the page is in: the cursor moves past it. */
	{
		sqlite3_stmt *st = db_prepare(c->db, "UPDATE dolt_sync SET cursor = page_next, page = NULL, step = 0,"
						     " paged = paged + page_beads, page_beads = 0", &c->err);

		if (!st || db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	s.cursor = s.page_next;
	s.paged += s.page_beads;
	return ask_town(c, &s, !s.page_last, (int)s.page_last, NULL);
}

/* Note why nothing could be sent, and when it will be tried again. */
static int failed(struct call *c, const struct ds *s, const char *why)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE dolt_sync SET busy = '', op = '', polls = 0, failures = failures + 1,"
					     " next_ms = ?1, last_error = ?2, report_due = 1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms + dolthub_backoff_ms(s->failures));
	sqlite3_bind_text(st, 2, why, -1, SQLITE_TRANSIENT);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	call_log(c, "warn", "full sync: a call failed; trying again later", cJSON_CreateString(why));
	return step(c);
}

/* The sync is over: done (the town took the handover) or stopped (it no longer wants it). */
static int finish(struct call *c, const char *state, const char *why)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE dolt_sync SET state = ?1, token = '', busy = '', op = '', page = NULL,"
					     " done_ms = ?2, last_error = coalesce(?3, last_error)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	if (why)
		sqlite3_bind_text(st, 3, why, -1, SQLITE_TRANSIENT);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	call_log(c, "info", !strcmp(state, "done") ? "full sync done" : "full sync stopped by its town", NULL);
	return 0;
}

/* The town's target and token, as every answer of the town carries them. */
static int take_target(struct call *c, const cJSON *doc)
{
	const char *api = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "api_url"));
	const char *owner = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "owner"));
	const char *db = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "database"));
	const char *token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "token"));
	const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(doc, "timeout_s");
	sqlite3_stmt *st;

	/* The timeout is the town's setting, 1-120 s; anything else is not the town's answer (it would
	 * become an effect's deadline, an int of milliseconds). */
	if (!api || !owner || !db || !token || !cJSON_IsNumber(timeout) || !(timeout->valuedouble >= 1) ||
	    timeout->valuedouble > DOLTHUB_TIMEOUT_MAX_S || strlen(api) > DOLTHUB_URL_MAX ||
	    strlen(owner) > DOLTHUB_NAME_MAX || strlen(db) > DOLTHUB_NAME_MAX || strlen(token) > DOLTHUB_TOKEN_MAX)
		return 0;
	if (!(st = db_prepare(c->db, "UPDATE dolt_sync SET api_url = ?1, owner = ?2, db = ?3, token = ?4, timeout_ms = ?5",
			      &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, api, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, db, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, token, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, timeout->valuedouble * 1000.0);
	return db_step_done(c->db, st, &c->err) < 0 ? -1 : 1;
}

/* The town's answer to a page asked for (or to the end told): the page, or the handover. */
static int page_answered(struct call *c, const struct ds *s, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);
	cJSON *all = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *doc = cJSON_GetObjectItemCaseSensitive(all, "data");
	const cJSON *stmts = cJSON_GetObjectItemCaseSensitive(doc, "statements");
	int64_t next_cursor = 0, bead_count = 0;
	struct err ignored = {0};
	const cJSON *item;
	char why[400];
	int rc = 0, good;

	/* The end told again (the answer to the first telling was lost): the town took it already. */
	if ((status == 409 || status == 404) && s->page_last && !s->has_page) {
		cJSON_Delete(all);
		return finish(c, "done", NULL);
	}
	if (status == 409 || status == 404) {
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(all, "error"), "message"));

		snprintf(why, sizeof why, "the town ended it: %.300s", msg ? msg : "no message");
		cJSON_Delete(all);
		return finish(c, "stopped", why);
	}
	if (status == 200 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "done"))) {
		cJSON_Delete(all);
		return finish(c, "done", NULL);
	}
	/* The cursor and the count are whole numbers a bead's seq can be (json_int checks the range
	 * before it converts). */
	good = status == 200 && cJSON_IsArray(stmts) &&
	       json_int(doc, "next_cursor", 1, 0, INT64_MAX, &next_cursor, &ignored) == 0 &&
	       json_int(doc, "beads", 1, 0, INT64_MAX, &bead_count, &ignored) == 0 && (rc = take_target(c, doc)) != 0;
	if (good)
		cJSON_ArrayForEach(item, stmts)
			good = good && cJSON_IsString(item);
	if (!good) {
		snprintf(why, sizeof why, "asking the town for a page: HTTP %d%s", status, status == 200 ? ", not a page" : "");
		cJSON_Delete(all);
		return status == 200 && rc < 0 ? -1 : failed(c, s, why);
	}
	{
		char *page = json_print(stmts);
		sqlite3_stmt *st = page ? db_prepare(c->db, "UPDATE dolt_sync SET page = ?1, page_next = ?2, page_beads = ?3,"
							   " page_last = ?4, step = 0, busy = '', failures = 0, next_ms = 0,"
							   " last_error = NULL", &c->err) : NULL;

		if (st) {
			sqlite3_bind_text(st, 1, page, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, next_cursor);
			sqlite3_bind_int64(st, 3, bead_count);
			sqlite3_bind_int(st, 4, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "last")));
			rc = db_step_done(c->db, st, &c->err);
		} else {
			rc = page ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		}
		cJSON_free(page);
	}
	cJSON_Delete(all);
	return rc < 0 ? -1 : step(c);
}

int dolt_sync_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	struct dolthub_answer a;
	struct ds s;
	int rc;

	if ((rc = load(c, &s)) <= 0)
		return rc;
	/* One call is in flight at a time; an answer to anything else is not awaited. */
	if (strcmp(s.state, "running") != 0 || strcmp(subject, s.busy) != 0)
		return 0;
	if (!strcmp(subject, "page"))
		return page_answered(c, &s, result, body, len);
	if (!strcmp(subject, "report")) {
		/* What the town said is of use (a new token, or that it wants this sync no more); a
		 * report that did not arrive is sent with the next failure. */
		int status = effect_status(result);
		cJSON *all = status == 200 && body && len ? cJSON_ParseWithLength(body, len) : NULL;

		rc = (status == 409 || status == 404) && s.page_last && !s.has_page ? finish(c, "done", NULL)
		     : status == 409 || status == 404 ? finish(c, "stopped", "the town ended it")
		     : take_target(c, cJSON_GetObjectItemCaseSensitive(all, "data")) < 0 || set_busy(c, "", "", 0) < 0 ? -1 : step(c);
		cJSON_Delete(all);
		return rc;
	}
	switch (dolthub_answer(&a, subject, s.polls, result, body, len)) {
	case DH_STARTED:
		return set_busy(c, "wait", a.op, 0) < 0 ? -1 : timer_set(c, "dolt-sync", "sync", c->now_ms + DOLTHUB_POLL_FIRST_MS);
	case DH_RUNNING:
		return set_busy(c, "wait", s.op, s.polls + 1) < 0
			       ? -1 : timer_set(c, "dolt-sync", "sync", c->now_ms + dolthub_poll_wait_ms(s.polls + 1));
	case DH_DONE:
		return db_exec(c->db, "UPDATE dolt_sync SET step = step + 1, writes = writes + 1, busy = '', op = '', polls = 0,"
				      " failures = 0, next_ms = 0, last_error = NULL", &c->err) < 0 ? -1 : step(c);
	case DH_ROWS:
		cJSON_Delete(a.rows);
		return failed(c, &s, "DoltHub answered a write with rows");
	default:
		return failed(c, &s, a.why);
	}
}

int dolt_sync_fired(struct call *c, const char *key)
{
	struct dolthub d;
	struct ds s;
	int rc;

	(void)key;
	if ((rc = load(c, &s)) <= 0 || strcmp(s.busy, "wait") != 0)
		return rc <= 0 ? rc : step(c);
	target(&s, &d);
	return dolthub_poll(c, &d, "poll", s.op) < 0 ? -1 : set_busy(c, "poll", s.op, s.polls);
}

int dolt_sync_start(struct call *c, const struct dolt_sync_start *in)
{
	const char *me = c->cfg->object_id;
	size_t n = strlen(in->town);
	sqlite3_stmt *st;
	int rc;

	/* This object is the sync it is asked to run, of the town that asks. */
	if (auth_internal_caller(c, "town", in->town) < 0)
		return -1;
	if (strncmp(me, in->town, n) != 0 || me[n] != ':' || strcmp(me + n + 1, in->sync) != 0)
		return err_set(&c->err, ERR_INVALID, "sync", "this object is sync '%s', not '%s:%s'", me, in->town, in->sync);
	if ((rc = db_exists(c->db, "SELECT count(*) FROM dolt_sync WHERE state <> ?1", "running", &c->err)) != 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_CONFLICT, "sync", "full sync '%s' is over", in->sync);
	/* Started again (the town heard nothing for long): the same sync, told its target anew and
	 * nudged out of a backoff. */
	st = db_prepare(c->db, "INSERT INTO dolt_sync(one, town, api_url, owner, db, token, timeout_ms, state, cursor, page_next,"
			       " page_beads, page_last, step, busy, op, polls, failures, next_ms, report_due, paged, writes,"
			       " started_ms) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, 'running', 0, 0, 0, 0, 0, '', '', 0, 0, 0, 0, 0, 0, ?7)"
			       " ON CONFLICT(one) DO UPDATE SET api_url = excluded.api_url, owner = excluded.owner, db = excluded.db,"
			       " token = excluded.token, timeout_ms = excluded.timeout_ms, next_ms = 0", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, in->town, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->api_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->database, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->token, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, (double)in->timeout_s * 1000.0);
	sqlite3_bind_double(st, 7, c->now_ms);
	return db_step_done(c->db, st, &c->err) < 0 ? -1 : step(c);
}

int dolt_sync_check_caller(struct call *c)
{
	const char *colon = strrchr(c->cfg->object_id, ':');
	char town[128];

	snprintf(town, sizeof town, "%.*s", colon ? (int)(colon - c->cfg->object_id) : 0, c->cfg->object_id);
	return auth_internal_caller(c, "town", town);
}

int dolt_sync_stop(struct call *c)
{
	struct ds s;
	int rc;

	if (dolt_sync_check_caller(c) < 0 || (rc = load(c, &s)) < 0)
		return -1;
	if (!rc)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "no full sync here");
	return strcmp(s.state, "running") ? 0 : finish(c, "stopped", "its town stopped it");
}

cJSON *dolt_sync_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT state, cursor, paged, writes, busy, failures, last_error,"
					     " CAST(started_ms AS INTEGER), CAST(done_ms AS INTEGER) FROM dolt_sync", &c->err);
	static const char *const names[] = {"state", "cursor", "paged", "writes", "in_flight", "failures", "last_error",
					    "started_ms", "done_ms", NULL};
	cJSON *o = cJSON_CreateObject();
	int rc = st ? db_row_into(c->db, st, o, names, &c->err) : -1;

	if (rc <= 0) {
		cJSON_Delete(o);
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, NULL, "no full sync here");
		return NULL;
	}
	return o;
}
