/*
 * agent.c - the town's agents: one mayor, polecats named from the pool (unique per town), one
 * refinery per rig, triage agents; their hooks (one bead per agent, one agent per bead), heartbeats
 * and plain-language status messages. Agents act with tokens the town mints (auth.c checks them).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

static const char *const pool[] = {"Toast", "Maple", "Birch", "Shadow", "Clover", "Ember", "Sage",
				   "Dusk",  "Flint", "Coral", "Slate",  "Reed",   "Thorn", "Pike",
				   "Moss",  "Wren",  "Blaze", "Gale",   "Drift",  "Lark"};

const char *const agent_roles[] = {"mayor", "polecat", "refinery", "triage", NULL};

#define STR2(x) #x
#define STR(x) STR2(x)
#define STATUS_KEPT 200 /* rows kept per agent */
#define STATUS_SHOWN 20 /* rows shown with the agent */

static int name_taken(struct call *c, const char *name, int *taken)
{
	int rc = db_exists(c->db, "SELECT count(*) FROM agents WHERE name = ?1", name, &c->err);

	*taken = rc > 0;
	return rc < 0 ? -1 : 0;
}

/* The first free name of the pool; after twenty polecats, the pool again with a number. */
static int pool_name(struct call *c, char *out, size_t len)
{
	for (int round = 1; round <= AGENTS_MAX; round++) {
		for (size_t i = 0; i < sizeof pool / sizeof pool[0]; i++) {
			int taken;

			if (round == 1)
				snprintf(out, len, "%s", pool[i]);
			else
				snprintf(out, len, "%s-%d", pool[i], round);
			if (name_taken(c, out, &taken) < 0)
				return -1;
			if (!taken)
				return 0;
		}
	}
	return err_set(&c->err, ERR_TOO_LARGE, "name", "no free polecat name");
}

/* Tell every listener of an agent's new state, in the wiring's order. */
int agent_announce(struct call *c, const char *id, const char *state, int created)
{
	const struct agent_change ch = {.id = id, .state = state, .created = created};

	for (size_t i = 0; i < agent_reactions_n; i++)
		if (agent_reactions[i](c, &ch) < 0)
			return -1;
	return 0;
}

int agent_create(struct call *c, const char *role, const char *rig, char *id, size_t id_len)
{
	char name[96];
	int64_t count;
	sqlite3_stmt *st;
	int rc;

	if (db_query_int(c->db, "SELECT count(*) FROM agents", &count, &c->err) < 0)
		return -1;
	if (count >= AGENTS_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, NULL, "a town has at most %d agents", AGENTS_MAX);
	if ((strcmp(role, "polecat") == 0 || strcmp(role, "refinery") == 0) && !rig)
		return err_set(&c->err, ERR_INVALID, "rig", "a %s works on a rig: 'rig' is required", role);
	if (rig && (rc = rig_exists(c, rig)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "rig", "no rig '%s' in this town", rig);
	if (strcmp(role, "mayor") == 0) {
		snprintf(name, sizeof name, "Mayor");
		snprintf(id, id_len, "mayor");
	} else if (strcmp(role, "refinery") == 0) {
		snprintf(name, sizeof name, "Refinery %s", rig);
		snprintf(id, id_len, "refinery-%s", rig);
	} else if (strcmp(role, "triage") == 0) {
		if (id_new(c, "triage", 4, id, id_len) < 0)
			return -1;
		snprintf(name, sizeof name, "Triage %s", id + 7);
	} else {
		if (pool_name(c, name, sizeof name) < 0)
			return -1;
		snprintf(id, id_len, "%s", name);
		for (char *p = id; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	st = db_prepare(c->db, "INSERT INTO agents(id, name, role, rig, created_ms, updated_ms)"
			       " VALUES (?, ?, ?, ?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	if (rig)
		sqlite3_bind_text(st, 4, rig, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, c->now_ms);
	sqlite3_bind_double(st, 6, c->now_ms);
	/* A constraint here is the role's one place taken: say which. */
	if (db_step_done(c->db, st, &c->err) < 0)
		return !err_take(&c->err, ERR_CONFLICT) ? -1 :
		       err_set(&c->err, ERR_CONFLICT, "role", "the town already has its %s%s%s", role,
			       rig ? " for rig " : "", rig ? rig : "");
	return event_append(c, "agent.created", id, "role", NULL, role) < 0 ? -1 : agent_announce(c, id, "idle", 1);
}

#define AGENT_COLUMNS "id, name, role, rig, state, hook, requested_by, last_heartbeat_ms, created_ms," \
	" (SELECT message FROM agent_status s WHERE s.agent = agents.id ORDER BY seq DESC LIMIT 1), owner, persona"

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *a = cJSON_CreateObject();

	cJSON_AddStringToObject(a, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(a, "name", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(a, "role", (const char *)sqlite3_column_text(st, 2));
	db_column_to_json(a, "rig", st, 3);
	cJSON_AddStringToObject(a, "state", (const char *)sqlite3_column_text(st, 4));
	db_column_to_json(a, "hook", st, 5);
	db_column_to_json(a, "requested_by", st, 6);
	if (sqlite3_column_type(st, 7) == SQLITE_NULL)
		cJSON_AddNullToObject(a, "last_heartbeat_ms");
	else
		cJSON_AddNumberToObject(a, "last_heartbeat_ms", sqlite3_column_double(st, 7));
	cJSON_AddNumberToObject(a, "created_ms", sqlite3_column_double(st, 8));
	db_column_to_json(a, "status", st, 9);
	db_column_to_json(a, "owner", st, 10);
	db_column_to_json(a, "persona", st, 11);
	return a;
}

cJSON *agents_json(struct call *c)
{
	return db_list(c->db, db_prepare(c->db, "SELECT " AGENT_COLUMNS " FROM agents ORDER BY role, id", &c->err),
		       row_json, &c->err);
}

static cJSON *status_json(sqlite3_stmt *st)
{
	cJSON *h = cJSON_CreateObject();

	cJSON_AddStringToObject(h, "message", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddNumberToObject(h, "at_ms", sqlite3_column_double(st, 1));
	return h;
}

cJSON *agent_json(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " AGENT_COLUMNS " FROM agents WHERE id = ?", &c->err);
	cJSON *a, *history;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", id);
		return NULL;
	}
	a = row_json(st);
	sqlite3_reset(st);
	st = db_prepare(c->db, "SELECT message, at_ms FROM agent_status WHERE agent = ?"
			       " ORDER BY seq DESC LIMIT " STR(STATUS_SHOWN), &c->err);
	if (st)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (!(history = db_list(c->db, st, status_json, &c->err))) {
		cJSON_Delete(a);
		return NULL;
	}
	cJSON_AddItemToObject(a, "status_history", history);
	return a;
}

int agent_exists(struct call *c, const char *id)
{
	return db_exists(c->db, "SELECT count(*) FROM agents WHERE id = ?1", id, &c->err);
}

int agent_hook(struct call *c, const char *agent, const char *bead)
{
	sqlite3_stmt *st;
	char current[64] = "", holder[64] = "", role[16] = "";
	int rc;

	if ((rc = agent_role_hook(c, agent, role, sizeof role, current, sizeof current)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent);
	if ((rc = bead_exists(c, bead)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "bead", "no bead '%s' in this town", bead);
	st = db_prepare(c->db, "SELECT coalesce((SELECT hook FROM agents WHERE id = ?1), ''),"
			       " coalesce((SELECT id FROM agents WHERE hook = ?2), '')", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
		snprintf(current, sizeof current, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(holder, sizeof holder, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (*current)
		return err_set(&c->err, ERR_CONFLICT, "agent_id", "%s is already working on %s", agent, current);
	if (*holder)
		return err_set(&c->err, ERR_CONFLICT, "bead", "%s is already on %s's hook", bead, holder);
	/* The agent works for whoever is at the root of the bead's chain of work. */
	{
		char requested_by[130];

		if ((rc = bead_requested_by(c, bead, requested_by, sizeof requested_by)) < 0)
			return -1;
		st = db_prepare(c->db, "UPDATE agents SET hook = ?2, state = 'working', updated_ms = ?3,"
				       " requested_by = ?4 WHERE id = ?1", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, bead, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, c->now_ms);
		if (rc)
			sqlite3_bind_text(st, 4, requested_by, -1, SQLITE_STATIC);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	{
		/* A crew agent's work is in progress at once: no polecat is sent for it. */
		struct bead_fields f = {.assignee = agent, .priority = -1,
					.status = strcmp(role, "crew") == 0 ? "in_progress" : NULL};

		if (bead_update(c, bead, &f, 0) < 0)
			return -1;
	}
	return event_append(c, "agent.hooked", agent, "hook", NULL, bead) < 0 ? -1 : agent_announce(c, agent, "working", 0);
}

int agent_unhook(struct call *c, const char *agent)
{
	sqlite3_stmt *st;
	char bead[64] = "";
	int rc;

	char role[16] = "", hooked[72] = "";

	if ((rc = agent_role_hook(c, agent, role, sizeof role, hooked, sizeof hooked)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent);
	st = db_prepare(c->db, "SELECT hook FROM agents WHERE id = ? AND hook IS NOT NULL", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		snprintf(bead, sizeof bead, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!*bead)
		return err_set(&c->err, ERR_CONFLICT, "agent_id", "%s has nothing on its hook", agent);
	st = db_prepare(c->db, "UPDATE agents SET hook = NULL, state = 'idle', requested_by = NULL,"
			       " updated_ms = ? WHERE id = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	/* Taken off a crew agent, the work waits to be taken up again. */
	if (strcmp(role, "crew") == 0) {
		struct bead_fields f = {.status = "open", .priority = -1};

		if (bead_update(c, bead, &f, 0) < 0)
			return -1;
	}
	return event_append(c, "agent.unhooked", agent, "hook", bead, NULL) < 0 ? -1 : agent_announce(c, agent, "idle", 0);
}

int agent_heartbeat(struct call *c, const char *agent)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE agents SET last_heartbeat_ms = ?,"
					     " state = CASE WHEN state = 'lost' THEN 'idle' ELSE state END WHERE id = ?",
				      &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int agent_active(struct call *c, const char *agent)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE agents SET active_ms = ?, quiet_stage = 0 WHERE id = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int agent_status_add(struct call *c, const char *agent, const char *message)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO agent_status(agent, message, at_ms) VALUES (?, ?, ?)",
				      &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, message, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 || agent_active(c, agent) < 0)
		return -1;
	/* Keep a bounded history per agent. */
	st = db_prepare(c->db, "DELETE FROM agent_status WHERE agent = ?1 AND seq <= (SELECT seq FROM"
			       " agent_status WHERE agent = ?1 ORDER BY seq DESC LIMIT 1 OFFSET " STR(STATUS_KEPT) ")",
			&c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return event_append(c, "agent.status", agent, "status", NULL, message);
}

/* A deleted bead leaves the hook of whoever held it: that agent is idle again. */
int agent_on_bead(struct call *c, const struct bead_change *ch)
{
	if (ch->kind != BEAD_DELETING)
		return 0;
	return db_exec_text(c->db, "UPDATE agents SET hook = NULL, state = 'idle', requested_by = NULL WHERE hook = ?1",
			    ch->id, &c->err);
}

int agent_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM agent_events; DELETE FROM agent_status; DELETE FROM agents;"
			   " DELETE FROM town_keys;", &c->err);
}

/* ---- what the reconciler reads and sets ---------------------------------------------------------- */

int agent_workers(struct call *c, int (*fn)(void *arg, const struct agent_worker *a), void *arg)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT id, role, coalesce(rig, ''), state, coalesce(hook, ''),"
		" coalesce(last_heartbeat_ms, started_ms, created_ms), coalesce(active_ms, started_ms, created_ms),"
		" quiet_stage FROM agents WHERE role IN ('polecat', 'refinery') ORDER BY created_ms LIMIT 256", &c->err);
	int rc;

	if (!st)
		return -1;
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		struct agent_worker a = {
			.id = (const char *)sqlite3_column_text(st, 0),
			.role = (const char *)sqlite3_column_text(st, 1),
			.rig = (const char *)sqlite3_column_text(st, 2),
			.state = (const char *)sqlite3_column_text(st, 3),
			.hook = (const char *)sqlite3_column_text(st, 4),
			.heartbeat_ms = sqlite3_column_double(st, 5),
			.active_ms = sqlite3_column_double(st, 6),
			.quiet_stage = sqlite3_column_int(st, 7),
		};

		if (fn(arg, &a)) {
			sqlite3_reset(st);
			return 0;
		}
	}
	return rc;
}

int agent_set_quiet_stage(struct call *c, const char *agent, int stage)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE agents SET quiet_stage = ? WHERE id = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, stage);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int agent_set_lost(struct call *c, const char *agent)
{
	return db_exec_text(c->db, "UPDATE agents SET state = 'lost' WHERE id = ?1", agent, &c->err) < 0 ? -1 :
	       agent_announce(c, agent, "lost", 0);
}

int agent_idle_unhooked(struct call *c)
{
	return db_exec(c->db, "UPDATE agents SET state = 'idle' WHERE state = 'working' AND hook IS NULL", &c->err);
}

/* ---- what a run reads and sets (work.c, container.c) ------------------------------------------ */

int agent_role_hook(struct call *c, const char *id, char *role, size_t rlen, char *hook, size_t hlen)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT role, coalesce(hook, '') FROM agents WHERE id = ?", &c->err);
	int found;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((found = db_step_row(c->db, st, &c->err)) <= 0)
		return found;
	snprintf(role, rlen, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(hook, hlen, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return 1;
}

int agent_take(struct call *c, const char *agent, const char *bead, const char *requested_by)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"UPDATE agents SET hook = ?2, state = 'working', requested_by = ?3, started_ms = ?4,"
		" active_ms = ?4, last_heartbeat_ms = ?4, quiet_stage = 0, updated_ms = ?4"
		" WHERE id = ?1 AND hook IS NULL", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, requested_by, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) != 1)
		return 0;
	return agent_announce(c, agent, "working", 0) < 0 ? -1 : 1;
}

int agent_set_persona(struct call *c, const char *agent, const char *persona)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE agents SET persona = nullif(?2, '') WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, persona, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int agent_release(struct call *c, const char *agent, const char *state)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"UPDATE agents SET hook = NULL, state = ?2, requested_by = NULL, persona = NULL, quiet_stage = 0,"
		" active_ms = ?3, updated_ms = ?3 WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, c->now_ms);
	return db_step_done(c->db, st, &c->err) < 0 ? -1 : agent_announce(c, agent, state, 0);
}

int agent_state_of(struct call *c, const char *id, char *state, size_t len, double *heartbeat_ms)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT state, coalesce(last_heartbeat_ms, started_ms, created_ms)"
					     " FROM agents WHERE id = ?", &c->err);
	int found;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((found = db_step_row(c->db, st, &c->err)) <= 0)
		return found;
	snprintf(state, len, "%s", (const char *)sqlite3_column_text(st, 0));
	*heartbeat_ms = sqlite3_column_double(st, 1);
	sqlite3_reset(st);
	return 1;
}

int agent_heard_since_start(struct call *c, const char *agent)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT coalesce(last_heartbeat_ms > started_ms, 0) FROM agents WHERE id = ?",
				      &c->err);
	int64_t yes = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	return db_step_int(c->db, st, &yes, &c->err) < 0 ? -1 : yes != 0;
}

int agent_run_json(struct call *c, const char *id, cJSON *obj)
{
	static const char *const cols[] = {"id", "name", "role", "rig", "hook", "requested_by", "persona", NULL};
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, name, role, rig, hook, requested_by, persona FROM agents"
					     " WHERE id = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return db_row_into(c->db, st, obj, cols, &c->err);
}

/* The first column of sql's row for id into out when it is text: 1, 0 without (out untouched), -1. */
static int text_of(struct call *c, const char *sql, const char *id, char *out, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, sql, &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	rc = sqlite3_column_type(st, 0) == SQLITE_TEXT;
	if (rc)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc;
}

int agent_name(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT name FROM agents WHERE id = ?", id, out, len);
}

int agent_rig(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT coalesce(rig, '') FROM agents WHERE id = ?", id, out, len);
}

int agent_requested_by(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT requested_by FROM agents WHERE id = ?", id, out, len);
}

int agent_seed(struct call *c, const char *id, const char *rig, const char *hook)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO agents(id, name, role, rig, state, hook, last_heartbeat_ms,"
					     " active_ms, created_ms, updated_ms) VALUES (?1, ?1, 'polecat', ?2, ?3, ?4, ?5, ?5, ?5, ?5)",
				      &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, rig, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, hook ? "working" : "idle", -1, SQLITE_STATIC);
	if (hook)
		sqlite3_bind_text(st, 4, hook, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}
