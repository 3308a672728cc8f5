/*
 * delivery.c - deliveries taken once and counted. A platform sends again what it thinks was lost
 * (GitHub's redelivery, Slack's retries, GitLab's Idempotency-Key) with the same id: the id is kept
 * a week, longer than any platform redelivers, and a delivery seen before changes nothing.
 * Deliveries the rules will take wait in hook_inbox, answered already, until the alarm applies them:
 * the delivery's row says "queued" until then, and it is counted once, by what became of it.
 */
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"
#include "sqlite3.h"

#define KEEP_MS (7 * 24 * 3600 * 1000.0)

int delivery_seen(struct call *c, enum hook_platform p, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT 1 FROM hook_deliveries WHERE platform = ? AND delivery = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) > 0)
		sqlite3_reset(st);
	return rc;
}

/* The delivery's row (id kept a week for dedupe); old ids go as new ones come, so the table is
 * bounded with no sweep of its own. */
static int remember(struct call *c, enum hook_platform p, const char *id, const char *event, const char *outcome,
		    const char *why)
{
	sqlite3_stmt *st;

	if (!(st = db_prepare(c->db, "DELETE FROM hook_deliveries WHERE (platform, delivery) IN (SELECT platform, delivery"
				     " FROM hook_deliveries WHERE received_ms < ? LIMIT 16)", &c->err)))
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms - KEEP_MS);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (!(st = db_prepare(c->db, "INSERT INTO hook_deliveries(platform, delivery, event, outcome, why, received_ms)"
				     " VALUES (?, ?, ?, ?, ?, ?)", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, outcome, -1, SQLITE_STATIC);
	if (why && *why)
		sqlite3_bind_text(st, 5, why, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

static int count(struct call *c, enum hook_platform p, const char *event, const char *outcome)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO hook_counts(platform, event, outcome, n) VALUES (?, ?, ?, 1)"
					     " ON CONFLICT(platform, event, outcome) DO UPDATE SET n = n + 1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int delivery_record(struct call *c, enum hook_platform p, const char *id, const char *event, const char *outcome,
		    const char *why)
{
	if (id && *id && remember(c, p, id, event, outcome, why) < 0)
		return -1;
	return count(c, p, event, outcome);
}

int delivery_queue(struct call *c, enum hook_platform p, const char *id, const char *event, const char *what,
		   int *first)
{
	sqlite3_stmt *st;
	int64_t waiting;

	if (db_query_int(c->db, "SELECT EXISTS (SELECT 1 FROM hook_inbox)", &waiting, &c->err) < 0 ||
	    remember(c, p, id, event, "queued", NULL) < 0)
		return -1;
	if (!(st = db_prepare(c->db, "INSERT INTO hook_inbox(platform, delivery, what) VALUES (?, ?, ?)", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, what, -1, SQLITE_STATIC);
	*first = !waiting;
	return db_step_done(c->db, st, &c->err);
}

int delivery_next(struct call *c, struct queued *q)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT i.seq, i.platform, i.delivery, i.what, d.event FROM hook_inbox i"
					     " LEFT JOIN hook_deliveries d ON d.platform = i.platform AND d.delivery = i.delivery"
					     " ORDER BY i.seq LIMIT 1", &c->err);
	int rc, p;

	memset(q, 0, sizeof *q);
	if (!st || (rc = db_step_row(c->db, st, &c->err)) <= 0)
		return st ? rc : -1;
	q->seq = sqlite3_column_int64(st, 0);
	p = hook_platform_of((const char *)sqlite3_column_text(st, 1));
	q->platform = p < 0 ? HOOK_GITHUB : (enum hook_platform)p;
	snprintf(q->delivery, sizeof q->delivery, "%s", (const char *)sqlite3_column_text(st, 2));
	q->len = (size_t)sqlite3_column_bytes(st, 3);
	/* Parsed now: the statement is reset before the rules run statements of their own. */
	q->what = cJSON_ParseWithLength((const char *)sqlite3_column_text(st, 3), q->len);
	snprintf(q->event, sizeof q->event, "%s", sqlite3_column_type(st, 4) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, 4) : "unknown");
	sqlite3_reset(st);
	/* A row that does not parse (none is written so) is still taken out, as failed, by the caller. */
	return 1;
}

void delivery_queued_free(struct queued *q)
{
	cJSON_Delete(q->what);
	q->what = NULL;
}

int delivery_done(struct call *c, const struct queued *q, const char *event, const char *outcome, const char *bead,
		  const char *why)
{
	sqlite3_stmt *st = db_prepare(c->db, "DELETE FROM hook_inbox WHERE seq = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, q->seq);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (!(st = db_prepare(c->db, "UPDATE hook_deliveries SET event = ?, outcome = ?, bead = ?, why = ?"
				     " WHERE platform = ? AND delivery = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	if (bead && *bead)
		sqlite3_bind_text(st, 3, bead, -1, SQLITE_STATIC);
	if (why && *why)
		sqlite3_bind_text(st, 4, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, hook_platform_name(q->platform), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, q->delivery, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return count(c, q->platform, event, outcome);
}

cJSON *delivery_json(struct call *c, enum hook_platform p, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT event, outcome, bead, received_ms, why FROM hook_deliveries"
					     " WHERE platform = ? AND delivery = ?", &c->err);
	cJSON *o;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, NULL, "no %s delivery '%s' in the last week", hook_platform_name(p), id);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "platform", hook_platform_name(p));
	cJSON_AddStringToObject(o, "delivery", id);
	cJSON_AddStringToObject(o, "event", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(o, "outcome", (const char *)sqlite3_column_text(st, 1));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		cJSON_AddStringToObject(o, "bead", (const char *)sqlite3_column_text(st, 2));
	else
		cJSON_AddNullToObject(o, "bead");
	cJSON_AddNumberToObject(o, "received_ms", sqlite3_column_double(st, 3));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		cJSON_AddStringToObject(o, "why", (const char *)sqlite3_column_text(st, 4));
	sqlite3_reset(st);
	return o;
}

int delivery_waiting(struct call *c, enum hook_platform p, int64_t *n)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT count(*) FROM hook_inbox WHERE platform = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	return db_step_int(c->db, st, n, &c->err) < 0 ? -1 : 0;
}

cJSON *delivery_counts_json(struct call *c, enum hook_platform p)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT event, outcome, n FROM hook_counts WHERE platform = ?"
					     " ORDER BY event, outcome", &c->err);
	cJSON *o;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	o = cJSON_CreateObject();
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		const char *event = (const char *)sqlite3_column_text(st, 0);
		cJSON *e = cJSON_GetObjectItemCaseSensitive(o, event);

		if (!e)
			e = cJSON_AddObjectToObject(o, event);
		cJSON_AddNumberToObject(e, (const char *)sqlite3_column_text(st, 1), (double)sqlite3_column_int64(st, 2));
	}
	if (rc < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int delivery_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM hook_deliveries", &c->err) < 0 || db_exec(c->db, "DELETE FROM hook_inbox", &c->err) < 0 ||
	       db_exec(c->db, "DELETE FROM hook_counts", &c->err) < 0 ? -1 : 0;
}
