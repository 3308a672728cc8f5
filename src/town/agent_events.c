/*
 * agent_events.c - an agent's output stream: what its process printed and did, kept per agent up
 * to a bound and paged to the dashboard's terminal view. Part of the agent module (agent.c owns
 * the tables; scripts/check-owners.sh counts this file as agent.c).
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

#define STR2(x) #x
#define STR(x) STR2(x)

#define EVENTS_KEPT 1000 /* rows kept per agent */
#define EVENTS_SHOWN 500 /* rows per page */

int agent_event_add(struct call *c, const char *agent, const char *type, const char *text)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO agent_events(agent, bead, type, text, at_ms)"
					     " VALUES (?1, (SELECT hook FROM agents WHERE id = ?1), ?2, ?3, ?4)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int agent_events_trim(struct call *c, const char *agent)
{
	return db_exec_text(c->db, "DELETE FROM agent_events WHERE agent = ?1 AND seq <= (SELECT seq FROM agent_events"
				   " WHERE agent = ?1 ORDER BY seq DESC LIMIT 1 OFFSET " STR(EVENTS_KEPT) ")", agent, &c->err);
}

static cJSON *event_row(sqlite3_stmt *st)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddNumberToObject(e, "seq", (double)sqlite3_column_int64(st, 0));
	if (sqlite3_column_type(st, 1) == SQLITE_NULL)
		cJSON_AddNullToObject(e, "bead");
	else
		cJSON_AddStringToObject(e, "bead", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(e, "type", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddStringToObject(e, "text", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddNumberToObject(e, "at_ms", sqlite3_column_double(st, 4));
	return e;
}

cJSON *agent_events_json(struct call *c, const char *agent, int64_t after)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT seq, bead, type, text, at_ms FROM agent_events WHERE agent = ?"
					     " AND seq > ? ORDER BY seq LIMIT " STR(EVENTS_SHOWN), &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	return db_list(c->db, st, event_row, &c->err);
}
