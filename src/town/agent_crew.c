/*
 * agent_crew.c - crew agents: a member's own machine joined to the town (gt connect). A crew agent
 * belongs to the member who joined it, keeps its id when the same machine joins again, and is
 * walked by the reconciler to notice silence. Part of the agent module (agent.c owns the tables;
 * scripts/check-owners.sh counts this file as agent.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"


#define CREW_PER_MEMBER 8

/* "crew-" and the name in lower case, a-z 0-9 and '-' only, at most 40 characters. */
static void crew_id(const char *name, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "crew-");

	for (const char *p = name; *p && o + 1 < len && o < 45; p++) {
		char ch = (char)tolower((unsigned char)*p);

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			out[o++] = ch;
		else if (o > 5 && out[o - 1] != '-')
			out[o++] = '-';
	}
	while (o > 5 && out[o - 1] == '-')
		o--;
	if (o == 5)
		o += (size_t)snprintf(out + o, len - o, "agent");
	out[o] = '\0';
}

int agent_crew_join(struct call *c, const char *owner, const char *name, char *id, size_t id_len, int *created)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id FROM agents WHERE role = 'crew' AND owner = ?1 AND name = ?2",
				      &c->err);
	char base[64];
	int64_t mine = 0;
	int rc, taken;

	*created = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
		/* The same machine joining again: the same agent, back online. */
		snprintf(id, id_len, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		return db_exec_text(c->db, "UPDATE agents SET state = CASE WHEN hook IS NULL THEN 'idle' ELSE 'working' END"
					   " WHERE id = ?1", id, &c->err) < 0 ? -1 : agent_heartbeat(c, id);
	}
	if (!(st = db_prepare(c->db, "SELECT count(*) FROM agents WHERE role = 'crew' AND owner = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (db_step_int(c->db, st, &mine, &c->err) < 0)
		return -1;
	if (mine >= CREW_PER_MEMBER)
		return err_set(&c->err, ERR_TOO_LARGE, "name", "a member has at most %d crew agents in a town; disconnect"
			       " one first", CREW_PER_MEMBER);
	if (db_exists(c->db, "SELECT count(*) FROM agents WHERE name = ?1", name, &c->err) > 0)
		return err_set(&c->err, ERR_CONFLICT, "name", "an agent of this town is already named '%s'", name);
	crew_id(name, base, sizeof base);
	snprintf(id, id_len, "%s", base);
	for (int n = 2; (taken = agent_exists(c, id)) > 0 && n < 100; n++)
		snprintf(id, id_len, "%.50s-%d", base, n);
	if (taken < 0)
		return -1;
	if (taken)
		return err_set(&c->err, ERR_CONFLICT, "name", "no free agent id for '%s'", name);
	if (db_query_int(c->db, "SELECT count(*) FROM agents", &mine, &c->err) < 0)
		return -1;
	if (mine >= AGENTS_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, NULL, "a town has at most %d agents", AGENTS_MAX);
	st = db_prepare(c->db, "INSERT INTO agents(id, name, role, owner, created_ms, updated_ms, last_heartbeat_ms)"
			       " VALUES (?1, ?2, 'crew', ?3, ?4, ?4, ?4)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, owner, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	*created = 1;
	return event_append(c, "agent.created", id, "role", NULL, "crew") < 0 ? -1 : agent_announce(c, id, "idle", 1);
}

int agent_owner(struct call *c, const char *id, char *out, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT coalesce(owner, '') FROM agents WHERE id = ?", &c->err);
	int found;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((found = db_step_row(c->db, st, &c->err)) <= 0)
		return found;
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 1;
}

int agent_crew_each(struct call *c, int (*fn)(struct call *c, const char *id, const char *state, const char *hook,
					     double heartbeat_ms, void *arg), void *arg)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, state, coalesce(hook, ''), coalesce(last_heartbeat_ms, created_ms)"
					     " FROM agents WHERE role = 'crew' AND (state <> 'lost' OR hook IS NOT NULL)"
					     " ORDER BY id LIMIT 256", &c->err);
	char ids[64][72], states[64][16], hooks[64][72];
	double beats[64];
	int n = 0, rc = 0;

	if (!st)
		return -1;
	/* Copied out first: fn changes the rows being read. */
	while (n < 64 && (rc = db_step_row(c->db, st, &c->err)) > 0) {
		snprintf(ids[n], sizeof ids[n], "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(states[n], sizeof states[n], "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(hooks[n], sizeof hooks[n], "%s", (const char *)sqlite3_column_text(st, 2));
		beats[n++] = sqlite3_column_double(st, 3);
	}
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (fn(c, ids[i], states[i], hooks[i], beats[i], arg) < 0)
			return -1;
	return 0;
}
