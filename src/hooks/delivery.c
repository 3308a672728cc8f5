/*
 * delivery.c - deliveries taken once and counted. A platform sends again what it thinks was lost
 * (GitHub's redelivery, Slack's retries, GitLab's Idempotency-Key) with the same id: the id is kept
 * a week, longer than any platform redelivers, and a delivery seen before changes nothing.
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

int delivery_record(struct call *c, enum hook_platform p, const char *id, const char *event, const char *outcome,
		    const char *bead)
{
	sqlite3_stmt *st;

	if (id && *id) {
		/* Old ids go as new ones come: a bounded table with no sweep of its own. */
		if (!(st = db_prepare(c->db, "DELETE FROM hook_deliveries WHERE (platform, delivery) IN (SELECT platform, delivery"
					     " FROM hook_deliveries WHERE received_ms < ? LIMIT 16)", &c->err)))
			return -1;
		sqlite3_bind_double(st, 1, c->now_ms - KEEP_MS);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
		if (!(st = db_prepare(c->db, "INSERT INTO hook_deliveries(platform, delivery, event, outcome, bead, received_ms)"
					     " VALUES (?, ?, ?, ?, ?, ?)", &c->err)))
			return -1;
		sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, outcome, -1, SQLITE_STATIC);
		if (bead && *bead)
			sqlite3_bind_text(st, 5, bead, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 6, c->now_ms);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	if (!(st = db_prepare(c->db, "INSERT INTO hook_counts(platform, event, outcome, n) VALUES (?, ?, ?, 1)"
				     " ON CONFLICT(platform, event, outcome) DO UPDATE SET n = n + 1", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
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
	return db_exec(c->db, "DELETE FROM hook_deliveries", &c->err) < 0 ||
	       db_exec(c->db, "DELETE FROM hook_counts", &c->err) < 0 ? -1 : 0;
}
