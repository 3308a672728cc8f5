/*
 * api_work.c - the routes of a run: what the container and the agent report (prime, done,
 * completed, events; heartbeat and status live in api_agent.c) and how people hand work to the town
 * (sling a bead or a whole convoy). docs/container-protocol.md is the contract.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "sqlite3.h"

#define EVENTS_PER_CALL 100
#define EVENT_TEXT_MAX 4096
#define EVENTS_KEPT "1000" /* per agent; spliced into SQL */

static const char *agent_id(struct call *c)
{
	return c->seg[4];
}

int api_agent_prime(struct call *c)
{
	cJSON *out = container_assignment(c, agent_id(c)), *mail;

	if (!out)
		return -1;
	if (!(mail = mail_list_json(c, agent_id(c), 1))) {
		cJSON_Delete(out);
		return -1;
	}
	cJSON_AddItemToObject(out, "mail", mail);
	return call_reply(c, 200, out);
}

int api_agent_done(struct call *c)
{
	const cJSON *b = call_body_object(c);
	cJSON *out = NULL;

	if (!b || work_done(c, agent_id(c), b, &out) < 0)
		return -1;
	return call_reply(c, 200, out);
}

int api_agent_completed(struct call *c)
{
	const cJSON *b = call_body_object(c), *bead;
	const char *reason = NULL;
	int64_t code;
	cJSON *v;

	if (!b || json_int(b, "exit_code", 1, -1000, 1000, &code, &c->err) < 0 ||
	    json_string(b, "reason", 0, 1000, &reason, &c->err) < 0)
		return -1;
	bead = cJSON_GetObjectItemCaseSensitive(b, "bead");
	if (bead && !cJSON_IsNull(bead) && (!cJSON_IsString(bead) || strlen(bead->valuestring) > 64))
		return err_set(&c->err, ERR_INVALID, "bead", "'bead' is a bead id or null");
	if (work_completed(c, agent_id(c), cJSON_IsString(bead) ? bead->valuestring : NULL, (int)code, reason) < 0 ||
	    !(v = agent_json(c, agent_id(c))))
		return -1;
	return call_reply(c, 200, v);
}

static int event_type_valid(const char *t)
{
	return strcmp(t, "output") == 0 || strcmp(t, "error") == 0 || strcmp(t, "tool") == 0 ||
	       strcmp(t, "message") == 0;
}

/* The container streams what the agent prints: kept (bounded) for the stream viewer and pushed
 * live to the town's sockets. Any output counts as progress. */
int api_agent_events(struct call *c)
{
	const cJSON *b = call_body_object(c), *list, *e;
	cJSON *frame, *items;
	sqlite3_stmt *st;
	int n = 0;

	if (!b)
		return -1;
	list = cJSON_GetObjectItemCaseSensitive(b, "events");
	if (!cJSON_IsArray(list))
		return err_set(&c->err, ERR_INVALID, "events", "'events' is an array of {type, text, at_ms?}");
	if (cJSON_GetArraySize(list) > EVENTS_PER_CALL)
		return err_set(&c->err, ERR_TOO_LARGE, "events", "at most %d events per call", EVENTS_PER_CALL);
	frame = cJSON_CreateObject();
	cJSON_AddStringToObject(frame, "type", "agent.output");
	cJSON_AddStringToObject(frame, "agent", agent_id(c));
	items = cJSON_AddArrayToObject(frame, "events");
	cJSON_ArrayForEach(e, list) {
		const char *type, *text;

		if (!cJSON_IsObject(e) || json_string(e, "type", 1, 16, &type, &c->err) < 0 ||
		    json_string(e, "text", 1, EVENT_TEXT_MAX, &text, &c->err) < 0 || !event_type_valid(type)) {
			cJSON_Delete(frame);
			err_take(&c->err, ERR_INVALID); /* one message for the whole event */
			return err_set(&c->err, ERR_INVALID, "events",
				       "event %d: {type: output|error|tool|message, text: at most %d bytes}", n,
				       EVENT_TEXT_MAX);
		}
		st = db_prepare(c->db, "INSERT INTO agent_events(agent, bead, type, text, at_ms)"
				       " VALUES (?1, (SELECT hook FROM agents WHERE id = ?1), ?2, ?3, ?4)", &c->err);
		if (!st) {
			cJSON_Delete(frame);
			return -1;
		}
		sqlite3_bind_text(st, 1, agent_id(c), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, c->now_ms);
		if (db_step_done(c->db, st, &c->err) < 0) {
			cJSON_Delete(frame);
			return -1;
		}
		cJSON_AddItemToArray(items, cJSON_Duplicate(e, 1));
		n++;
	}
	st = db_prepare(c->db, "DELETE FROM agent_events WHERE agent = ?1 AND seq <= (SELECT seq FROM agent_events"
			       " WHERE agent = ?1 ORDER BY seq DESC LIMIT 1 OFFSET " EVENTS_KEPT ")", &c->err);
	if (!st || (sqlite3_bind_text(st, 1, agent_id(c), -1, SQLITE_STATIC), db_step_done(c->db, st, &c->err)) < 0 ||
	    agent_active(c, agent_id(c)) < 0) {
		cJSON_Delete(frame);
		return -1;
	}
	if (ws_broadcast(c, "feed", frame) < 0)
		return -1;
	return call_reply(c, 200, cJSON_CreateNumber(n));
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

/* An agent's stream, oldest first after ?after=. */
int api_agent_events_list(struct call *c)
{
	enum role caller;
	int64_t after = 0;
	sqlite3_stmt *st;
	cJSON *list;
	int rc;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || query_int(c, "after", 0, INT64_MAX, &after) < 0)
		return -1;
	if ((rc = agent_exists(c, agent_id(c))) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent_id(c));
	st = db_prepare(c->db, "SELECT seq, bead, type, text, at_ms FROM agent_events WHERE agent = ? AND seq > ?"
			       " ORDER BY seq LIMIT 500", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent_id(c), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	if (!(list = db_list(c->db, st, event_row, &c->err)))
		return -1;
	return call_reply(c, 200, list);
}

/* Hand a bead to the town's agents: give it a rig (or keep its own), lift its hold, and give a bead
 * that failed a fresh start. */
static int sling(struct call *c, const char *bead, const char *rig)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT status, rig FROM beads WHERE id = ?", &c->err);
	char status[16] = "", current_rig[72] = "";
	struct bead_fields f = {.priority = -1, .held_set = 1, .held = 0};
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
		snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
			snprintf(current_rig, sizeof current_rig, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (!*status)
		return err_set(&c->err, ERR_NOT_FOUND, "bead_id", "no bead '%s' in this town", bead);
	if (!rig && !*current_rig)
		return err_set(&c->err, ERR_INVALID, "rig", "bead '%s' has no rig: name one", bead);
	if (strcmp(status, "open") && strcmp(status, "failed"))
		return err_set(&c->err, ERR_CONFLICT, "bead", "bead '%s' is %s: only open or failed beads are slung",
			       bead, status);
	f.rig = rig;
	if (strcmp(status, "failed") == 0) {
		f.status = "open";
		if (db_exec_text(c->db, "UPDATE beads SET attempts = 0, reviews = 0, retry_ms = NULL, failure = NULL"
				       " WHERE id = ?1", bead, &c->err) < 0)
			return -1;
	}
	if (event_append(c, "bead.slung", bead, "rig", NULL, rig ? rig : current_rig) < 0 || bead_update(c, bead, &f, 0) < 0)
		return -1;
	{
		char why[300];
		int blocked = budget_blocks(c, bead, 0, why, sizeof why);

		if (blocked < 0)
			return -1;
		if (blocked) {
			snprintf(c->err.reason, sizeof c->err.reason, "budget_exceeded");
			return err_set(&c->err, ERR_CONFLICT, "budget", "%s: raise or lift it to sling %s", why, bead);
		}
	}
	return 0;
}

/* The body is optional: {"rig"?}. */
static int read_rig(struct call *c, const char **rig)
{
	const cJSON *b = NULL;
	int exists;

	*rig = NULL;
	if (c->in->body_len > 0 && !(b = call_body_object(c)))
		return -1;
	if (json_string(b, "rig", 0, 64, rig, &c->err) < 0)
		return -1;
	if (*rig && (exists = rig_exists(c, *rig)) <= 0)
		return exists < 0 ? -1 : err_set(&c->err, ERR_INVALID, "rig", "no rig '%s' in this town", *rig);
	return 0;
}

int api_bead_sling(struct call *c)
{
	const char *rig;
	enum role caller;
	cJSON *v;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || read_rig(c, &rig) < 0 ||
	    sling(c, c->seg[4], rig) < 0 || !(v = bead_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, v);
}

int api_convoy_sling(struct call *c)
{
	const char *rig;
	enum role caller;
	char beads[100][72];
	int n = 0, rc;
	sqlite3_stmt *st;
	cJSON *v;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || read_rig(c, &rig) < 0)
		return -1;
	if ((rc = db_exists(c->db, "SELECT count(*) FROM convoys WHERE id = ?1", c->seg[4], &c->err)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "convoy_id", "no convoy '%s' in this town", c->seg[4]);
	st = db_prepare(c->db, "SELECT cb.bead FROM convoy_beads cb JOIN beads b ON b.id = cb.bead"
			       " WHERE cb.convoy = ? AND b.status IN ('open', 'failed') ORDER BY cb.position LIMIT 100", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, c->seg[4], -1, SQLITE_STATIC);
	while (n < 100 && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(beads[n++], sizeof beads[0], "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (sling(c, beads[i], rig) < 0)
			return -1;
	if (!(v = convoy_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, v);
}
