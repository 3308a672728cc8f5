/*
 * mayor.c - talking to the Mayor. A member's message is stored with its author and delivered to
 * the mayor agent's inbox together with a context block the engine builds: who is asking (name,
 * role) and what everyone is doing now (unfinished beads and convoys grouped by the human who
 * requested them, who holds them, on which rig). The Mayor's replies go back to the asker's
 * conversation, sockets and the feed; what the Mayor does on a message is done for its author.
 *
 * The Mayor lives (run/mayor_run.c): each waiting message is taken up by one run of the Mayor's
 * runtime, in order; this file keeps each message's state (waiting, answering, answered) and writes
 * the prompt a run gets. The first message makes the town's Mayor if it has none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

#define CONTEXT_BEADS_MAX 200
#define CONTEXT_LANDED_MAX 20 /* landed beads in a context block, most recent first */

cJSON *mayor_context(struct call *c, enum role caller)
{
	cJSON *ctx = cJSON_CreateObject(), *asker = cJSON_AddObjectToObject(ctx, "asker");
	cJSON *flight = bead_in_flight_json(c), *convoys, *agents, *open_convoys, *v;

	cJSON_AddStringToObject(asker, "id", c->who.id);
	cJSON_AddStringToObject(asker, "name", c->who.name);
	cJSON_AddStringToObject(asker, "role", role_name(caller));
	if (!flight) {
		cJSON_Delete(ctx);
		return NULL;
	}
	cJSON_AddItemToObject(ctx, "in_flight", flight);
	convoys = convoys_json(c);
	agents = agents_json(c);
	if (!convoys || !agents) {
		cJSON_Delete(convoys);
		cJSON_Delete(agents);
		cJSON_Delete(ctx);
		return NULL;
	}
	/* Only convoys still on their way, and only what the Mayor needs of them. */
	open_convoys = cJSON_AddArrayToObject(ctx, "convoys");
	cJSON_ArrayForEach(v, convoys) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "state")), "open") != 0)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "id")));
		cJSON_AddStringToObject(o, "title", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "title")));
		cJSON_AddStringToObject(o, "requested_by",
					cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "requested_by")));
		cJSON_AddItemToObject(o, "progress",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "progress"), 1));
		cJSON_AddItemToArray(open_convoys, o);
	}
	cJSON_Delete(convoys);
	cJSON_AddItemToObject(ctx, "agents", agents);
	/* What recently landed, one line each ("changed 4 files (+120 −45): a.c, …"). */
	if (!(v = bead_diff_landed_json(c, CONTEXT_LANDED_MAX))) {
		cJSON_Delete(ctx);
		return NULL;
	}
	cJSON_AddItemToObject(ctx, "landed", v);
	return ctx;
}

/* A message waits: tell the listeners (the reconciler starts the Mayor). */
static int announce_waiting(struct call *c)
{
	for (size_t i = 0; i < mayor_reactions_n; i++)
		if (mayor_reactions[i](c) < 0)
			return -1;
	return 0;
}

int mayor_message(struct call *c, enum role caller, const char *text, const cJSON *ui, char *id, size_t id_len,
		  cJSON **context)
{
	char mail_id[48], *body_s, *system = NULL;
	cJSON *ctx, *body, *seen = NULL;
	sqlite3_stmt *st;
	int rc;

	*context = NULL;
	if ((rc = agent_exists(c, "mayor")) < 0)
		return -1;
	if (!rc) {
		char mayor[16];

		if (agent_create(c, "mayor", NULL, mayor, sizeof mayor) < 0)
			return -1;
	}
	if (ui && ui_context_resolve(c, ui, &seen, &system) < 0)
		return -1;
	if (id_new(c, "msg", 8, id, id_len) < 0 || !(ctx = mayor_context(c, caller))) {
		cJSON_Delete(seen);
		free(system);
		return -1;
	}
	/* What the member sees rides along as a system block for the Mayor's prompt. */
	if (seen) {
		cJSON_AddItemToObject(ctx, "ui", seen);
		cJSON_AddStringToObject(ctx, "system", system);
		free(system);
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "message", id);
	cJSON_AddStringToObject(body, "text", text);
	cJSON_AddItemToObject(body, "context", cJSON_Duplicate(ctx, 1));
	body_s = json_print(body);
	cJSON_Delete(body);
	if (!body_s) {
		cJSON_Delete(ctx);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	/* Delivered to the Mayor's inbox: the message and the town as the engine sees it now. The
	 * context is kept there only (the message's row says null): printed and stored once. */
	rc = mail_send(c, "mayor", "A message from a member", body_s, mail_id, sizeof mail_id);
	cJSON_free(body_s);
	if (rc == 0 && (st = db_prepare(c->db, "INSERT INTO mayor_messages(id, author, text, context, mail_id, created_ms,"
						 " state) VALUES (?, ?, ?, 'null', ?, ?, 'waiting')", &c->err))) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->who.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, mail_id, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 5, c->now_ms);
		rc = db_step_done(c->db, st, &c->err);
	} else if (rc == 0) {
		rc = -1;
	}
	if (rc < 0 || event_append(c, "mayor.message", id, NULL, NULL, text) < 0 || announce_waiting(c) < 0) {
		cJSON_Delete(ctx);
		return -1;
	}
	*context = ctx;
	return 0;
}

/* The author of a message, into out; 0 found, ERR_INVALID (field) otherwise. */
static int author_of(struct call *c, const char *message, char *out, size_t len, const char *field)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT author FROM mayor_messages WHERE id = ?", &c->err);
	int found;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, message, -1, SQLITE_STATIC);
	if ((found = db_step_row(c->db, st, &c->err)) <= 0)
		return found < 0 ? -1 : err_set(&c->err, ERR_INVALID, field, "no message '%s' to the Mayor", message);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

int mayor_acts_on(struct call *c, const char *message)
{
	/* Only the Mayor acts on members' messages; its actions then belong to the message's author. */
	if (strcmp(c->who.id, "mayor") != 0)
		return err_set(&c->err, ERR_FORBIDDEN, "x-gastown-on-message", "only the Mayor acts on members' messages");
	return author_of(c, message, c->who.requested_by, sizeof c->who.requested_by, "x-gastown-on-message");
}

/* {type, message, text[, at_ms]} straight to the asker's open sockets, as a chat line. */
static int push_to_asker(struct call *c, const char *author, const char *type, const char *message,
			 const char *text, int with_time)
{
	char tag[sizeof c->who.requested_by + 8];
	cJSON *frame = cJSON_CreateObject();

	cJSON_AddStringToObject(frame, "type", type);
	cJSON_AddStringToObject(frame, "message", message);
	cJSON_AddStringToObject(frame, "text", text);
	if (with_time)
		cJSON_AddNumberToObject(frame, "at_ms", c->now_ms);
	snprintf(tag, sizeof tag, "user:%s", author);
	return ws_broadcast(c, tag, frame);
}

/* A piece of a reply still being written: pushed to the asker's sockets only. The final reply
 * (mayor_reply) carries the whole text and is what the conversation keeps. */
int mayor_reply_delta(struct call *c, const char *message, const char *text)
{
	char author[sizeof c->who.requested_by];

	if (author_of(c, message, author, sizeof author, "message") < 0)
		return -1;
	return push_to_asker(c, author, "mayor.delta", message, text, 0);
}

int mayor_reply(struct call *c, const char *message, const char *text)
{
	char author[sizeof c->who.requested_by];
	sqlite3_stmt *st;

	if (author_of(c, message, author, sizeof author, "message") < 0)
		return -1;
	st = db_prepare(c->db, "INSERT INTO mayor_replies(message, text, created_ms) VALUES (?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, message, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	snprintf(c->who.requested_by, sizeof c->who.requested_by, "%s", author);
	if (event_append(c, "mayor.reply", message, NULL, NULL, text) < 0)
		return -1;
	return push_to_asker(c, author, "mayor.reply", message, text, 1);
}

static cJSON *reply_json(sqlite3_stmt *st)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "text", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddNumberToObject(r, "at_ms", sqlite3_column_double(st, 1));
	return r;
}

cJSON *mayor_conversation(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, text, created_ms FROM mayor_messages WHERE author = ?"
					     " ORDER BY seq DESC LIMIT 50", &c->err);
	cJSON *list;
	char ids[50][48];
	int n = 0, rc = 0;

	if (!st)
		return NULL;
	list = cJSON_CreateArray();
	sqlite3_bind_text(st, 1, c->who.id, -1, SQLITE_STATIC);
	while (n < 50 && (rc = db_step_row(c->db, st, &c->err)) > 0) {
		cJSON *m = cJSON_CreateObject();

		snprintf(ids[n++], sizeof ids[0], "%s", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(m, "id", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(m, "text", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddNumberToObject(m, "at_ms", sqlite3_column_double(st, 2));
		cJSON_AddArrayToObject(m, "replies");
		cJSON_AddItemToArray(list, m);
	}
	sqlite3_reset(st);
	for (int i = 0; rc >= 0 && i < n; i++) {
		cJSON *replies;

		st = db_prepare(c->db, "SELECT text, created_ms FROM mayor_replies WHERE message = ? ORDER BY seq", &c->err);
		if (st)
			sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
		if (!(replies = db_list(c->db, st, reply_json, &c->err)))
			rc = -1;
		else
			cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(list, i), "replies", replies);
	}
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

int mayor_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM mayor_replies; DELETE FROM mayor_messages;", &c->err);
}

/* ---- the living Mayor's messages (run/mayor_run.c) ------------------------------------------------ */

int mayor_next_waiting(struct call *c, char *id, size_t id_len, char *author, size_t author_len, int *runs)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, author, runs FROM mayor_messages WHERE state = 'waiting'"
					     " ORDER BY seq LIMIT 1", &c->err);
	int found;

	if (!st)
		return -1;
	if ((found = db_step_row(c->db, st, &c->err)) <= 0)
		return found;
	snprintf(id, id_len, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(author, author_len, "%s", (const char *)sqlite3_column_text(st, 1));
	*runs = sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	return 1;
}

int mayor_set_state(struct call *c, const char *id, const char *state)
{
	/* Taking a message up is a run of it. */
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE mayor_messages SET state = ?2,"
					     " runs = runs + (?2 = 'answering') WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int mayor_replied(struct call *c, const char *id)
{
	return db_exists(c->db, "SELECT count(*) FROM mayor_replies WHERE message = ?1", id, &c->err);
}

int mayor_ran_before(struct call *c)
{
	int64_t n = 0;

	if (db_query_int(c->db, "SELECT count(*) FROM mayor_messages WHERE runs > 0 AND state = 'answered'", &n,
			 &c->err) < 0)
		return -1;
	return n > 0;
}

/* One member per line for the prompt. */
static int member_line(struct call *c, const char *user, const char *role, void *arg)
{
	cJSON *p = member_person_json(c, user);
	const char *name = p ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "name")) : NULL;
	int rc;

	if (!p)
		return -1;
	rc = strbuf_addf(arg, "- %s (%s), %s\n", name && *name ? name : user, user, role);
	cJSON_Delete(p);
	return rc < 0 ? err_set(&c->err, ERR_INTERNAL, NULL, "out of memory") : 0;
}

char *mayor_prompt(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT author, text, context, mail_id FROM mayor_messages WHERE id = ?", &c->err);
	struct strbuf sb = {0};
	char author[130], instructions[4097] = "", name[200] = "";
	cJSON *ctx = NULL, *who;
	const char *asker, *role, *system;
	char *text = NULL;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, "message", "no message '%s' to the Mayor", id);
		return NULL;
	}
	snprintf(author, sizeof author, "%s", (const char *)sqlite3_column_text(st, 0));
	text = strdup((const char *)sqlite3_column_text(st, 1));
	ctx = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
	/* Since the context is kept once, in the mail that delivered the message (null here). */
	if (cJSON_IsNull(ctx)) {
		char mail[72], *body = NULL;
		cJSON *parsed;

		snprintf(mail, sizeof mail, "%s", sqlite3_column_type(st, 3) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 3));
		sqlite3_reset(st);
		cJSON_Delete(ctx);
		ctx = NULL;
		if (*mail && mail_body(c, mail, &body) < 0) {
			free(text);
			return NULL;
		}
		parsed = body ? cJSON_Parse(body) : NULL;
		free(body);
		ctx = cJSON_DetachItemFromObjectCaseSensitive(parsed, "context");
		cJSON_Delete(parsed);
		if (!ctx)
			ctx = cJSON_CreateObject();
	}
	sqlite3_reset(st);
	if (!text || !ctx || town_setting_text(c, TOWN_INSTRUCTIONS, instructions, sizeof instructions) < 0 ||
	    town_name(c, name, sizeof name) < 0)
		goto fail;
	who = cJSON_GetObjectItemCaseSensitive(ctx, "asker");
	asker = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(who, "name"));
	role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(who, "role"));
	system = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ctx, "system"));
	if (!asker || !*asker)
		asker = author;
	/* The context block is the town as it was when the member wrote: keep it as the engine built it. */
	cJSON_DeleteItemFromObjectCaseSensitive(ctx, "system");
	strbuf_addf(&sb, "You are the Mayor of the town %s (id %s). You talk with its members and run the town for"
			 " them with the gastown tools: file beads (units of work), group them in convoys and sling"
			 " them to rigs, where polecats do the work and the refinery merges it. You also cast: a"
			 " bead can be slung in a persona (personas_list), and to several variants at once (ways and"
			 " variants of bead_sling; the first merge wins); stats and bead_recommend say what worked"
			 " before, with its sample size.\n\n",
		    *name ? name : c->cfg->object_id, c->cfg->object_id);
	if (*instructions)
		strbuf_addf(&sb, "The town's standing instructions:\n%s\n\n", instructions);
	strbuf_addf(&sb, "The town's members:\n");
	if (members_each(c, 1, member_line, &sb) < 0)
		goto fail;
	{
		char *state = json_print(ctx);

		strbuf_addf(&sb, "\nThe town when the message came (unfinished beads by the human who asked for them, with"
				 " their agent and rig; open convoys; agents):\n%s\n", state ? state : "{}");
		cJSON_free(state);
	}
	if (system && *system)
		strbuf_addf(&sb, "\nWhat %s is looking at:\n%s\n", asker, system);
	strbuf_addf(&sb, "\nMessage %s from %s (%s, %s):\n%s\n\nAnswer %s with the mayor_reply tool, once, with"
			 " your whole answer. What you create or sling for this message is done for %s: it"
			 " names them as the human who asked.\n",
		    id, asker, author, role ? role : "member", text, asker, asker);
	free(text);
	cJSON_Delete(ctx);
	if (!sb.buf)
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	return sb.buf;
fail:
	free(text);
	cJSON_Delete(ctx);
	free(sb.buf);
	if (c->err.code == ERR_NONE)
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	return NULL;
}
