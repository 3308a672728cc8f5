/*
 * feed.c - the town's feed: every change is appended as an event (who did it, for whom, what
 * changed) in the call that made it, and sent live to the feed's sockets once that call commits.
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

int event_append(struct call *c, const char *kind, const char *subject, const char *field,
		 const char *old, const char *new_value)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO events(at_ms, kind, subject, actor, requested_by, field, old, new)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq", &c->err);
	cJSON *e;
	int64_t seq;

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, call_requested_by(c), -1, SQLITE_STATIC);
	if (field)
		sqlite3_bind_text(st, 6, field, -1, SQLITE_STATIC);
	if (old)
		sqlite3_bind_text(st, 7, old, -1, SQLITE_STATIC);
	if (new_value)
		sqlite3_bind_text(st, 8, new_value, -1, SQLITE_STATIC);
	/* RETURNING gives one row: none is a failure too. */
	if (db_step_row(c->db, st, &c->err) <= 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "append event: no row");
	seq = sqlite3_column_int64(st, 0);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	/* Live to the feed's sockets; sent only if this call commits. */
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "type", "event");
	cJSON_AddNumberToObject(e, "seq", (double)seq);
	cJSON_AddNumberToObject(e, "at_ms", c->now_ms);
	cJSON_AddStringToObject(e, "kind", kind);
	cJSON_AddStringToObject(e, "subject", subject);
	cJSON_AddStringToObject(e, "actor", c->who.id);
	cJSON_AddStringToObject(e, "requested_by", call_requested_by(c));
	if (field)
		cJSON_AddStringToObject(e, "field", field);
	if (old)
		cJSON_AddStringToObject(e, "old", old);
	if (new_value)
		cJSON_AddStringToObject(e, "new", new_value);
	return ws_broadcast(c, "feed", e);
}

cJSON *events_json(struct call *c, const char *subject, int64_t after, int limit, int64_t *next)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT seq, at_ms, kind, subject, actor, requested_by, field, old, new FROM events"
		" WHERE seq > ?1 AND (?2 IS NULL OR subject = ?2) ORDER BY seq LIMIT ?3", &c->err);
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, after);
	if (subject)
		sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit);
	list = cJSON_CreateArray();
	*next = after;
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		cJSON *e = cJSON_CreateObject();

		*next = sqlite3_column_int64(st, 0);
		cJSON_AddNumberToObject(e, "seq", (double)*next);
		cJSON_AddNumberToObject(e, "at_ms", sqlite3_column_double(st, 1));
		cJSON_AddStringToObject(e, "kind", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(e, "subject", (const char *)sqlite3_column_text(st, 3));
		cJSON_AddStringToObject(e, "actor", (const char *)sqlite3_column_text(st, 4));
		cJSON_AddStringToObject(e, "requested_by", (const char *)sqlite3_column_text(st, 5));
		db_column_to_json(e, "field", st, 6);
		db_column_to_json(e, "old", st, 7);
		db_column_to_json(e, "new", st, 8);
		cJSON_AddItemToArray(list, e);
	}
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

int feed_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM events", &c->err);
}
