/*
 * mail.c - messages to agents: from other agents or from people. Each agent has an inbox; reading
 * marks a message read. Mail carries the requested_by of its sender's chain of work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

#define INBOX_MAX 10000

int mail_send(struct call *c, const char *to, const char *subject, const char *body, char *id,
	      size_t id_len)
{
	sqlite3_stmt *st;
	int rc;
	int64_t waiting = 0;

	if ((rc = agent_exists(c, to)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "to", "no agent '%s' in this town", to);
	st = db_prepare(c->db, "SELECT count(*) FROM mail WHERE to_agent = ? AND read_ms IS NULL", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	if (db_step_int(c->db, st, &waiting, &c->err) < 0)
		return -1;
	if (waiting >= INBOX_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, "to", "%s has %d unread messages already", to, INBOX_MAX);
	if (id_new(c, "mail", 8, id, id_len) < 0)
		return -1;
	st = db_prepare(c->db, "INSERT INTO mail(id, from_kind, from_id, to_agent, subject, body,"
			       " requested_by, sent_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->who.kind == PRINCIPAL_AGENT ? "agent" : "user", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, body ? body : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, call_requested_by(c), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return event_append(c, "mail.sent", id, "to", NULL, to);
}

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *m = cJSON_CreateObject(), *from = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(from, "kind", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(from, "id", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddItemToObject(m, "from", from);
	cJSON_AddStringToObject(m, "to", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddStringToObject(m, "subject", (const char *)sqlite3_column_text(st, 4));
	cJSON_AddStringToObject(m, "body", (const char *)sqlite3_column_text(st, 5));
	cJSON_AddStringToObject(m, "requested_by", (const char *)sqlite3_column_text(st, 6));
	cJSON_AddNumberToObject(m, "sent_ms", sqlite3_column_double(st, 7));
	if (sqlite3_column_type(st, 8) == SQLITE_NULL)
		cJSON_AddNullToObject(m, "read_ms");
	else
		cJSON_AddNumberToObject(m, "read_ms", sqlite3_column_double(st, 8));
	return m;
}

cJSON *mail_list_json(struct call *c, const char *to, int unread_only)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT id, from_kind, from_id, to_agent, subject, body, requested_by, sent_ms, read_ms FROM mail"
		" WHERE (?1 IS NULL OR to_agent = ?1) AND (?2 = 0 OR read_ms IS NULL)"
		" ORDER BY seq DESC LIMIT 200", &c->err);

	if (!st)
		return NULL;
	if (to)
		sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, unread_only);
	return db_list(c->db, st, row_json, &c->err);
}

int mail_mark_read(struct call *c, const char *agent, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE mail SET read_ms = coalesce(read_ms, ?)"
					     " WHERE id = ? AND to_agent = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return err_set(&c->err, ERR_NOT_FOUND, "mail_id", "no message '%s' for %s", id, agent);
	return 0;
}

int mail_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM mail", &c->err);
}

int mail_body(struct call *c, const char *id, char **out)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT body FROM mail WHERE id = ?", &c->err);
	int rc;

	*out = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	*out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return *out ? 1 : err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
}
