/*
 * log_index.c - the town's beads and notes in its agent log's search (docs/memory.md), both sides.
 *
 * The town queues a bead as it is created, edited or deleted and a note as it is added; a timer a couple
 * of seconds later sends what is queued in one batch (a do:// effect), so a burst of beads costs
 * one call to the log object, not one each. The batch is made from the rows as they are then: a
 * bead gone by then is sent as gone. A batch not taken is sent again, remade, half a minute later.
 *
 * The log object keeps each as one entry (kind bead or note, its id prefixed so it never meets an
 * agent's event id), replaced whole when it comes again. They are the town's, not an agent's run:
 * an agent's log_keep never drops them.
 */
#include <stdio.h>
#include <string.h>

#include "memory/memory.h"
#include "sqlite3.h"

#define INDEX_AFTER_MS 2000.0
#define INDEX_RETRY_MS 30000.0
#define INDEX_BATCH 200 /* also the LIMIT of log_index_fired's statement */
#define BATCH_KEY_MAX 48

/* ---- the town's side ---------------------------------------------------------------------------- */

static int enqueue(struct call *c, const char *kind, const char *id, const char *agent)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO log_index_queue(kind, id, agent) VALUES (?, ?, ?)"
					     " ON CONFLICT (kind, id) DO UPDATE SET sent = '',"
					     " agent = iif(excluded.agent = '', agent, excluded.agent)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return timer_set_earlier(c, "log-index", "town", c->now_ms + INDEX_AFTER_MS);
}

/* A new or edited bead is queued without its creator's name (the batch reads it): creating a bead
 * costs one row here and the timer. A bead going is named now, while it can be read. */
int log_index_on_bead(struct call *c, const struct bead_change *ch)
{
	cJSON *b;
	int rc;

	if (ch->kind == BEAD_CREATED || ch->kind == BEAD_EDITED)
		return enqueue(c, "bead", ch->id, "");
	if (ch->kind != BEAD_DELETING)
		return 0;
	if (!(b = bead_json(c, ch->id)))
		return -1;
	rc = enqueue(c, "bead", ch->id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "created_by")));
	cJSON_Delete(b);
	return rc;
}

int log_index_on_note(struct call *c, const char *id)
{
	return enqueue(c, "note", id, c->who.id);
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

	return s ? s : "";
}

/* The entry of a queued bead: its title and body, or gone (read once: not found is the answer). */
static cJSON *bead_item(struct call *c, const char *id, const char *agent)
{
	cJSON *it = cJSON_CreateObject(), *b = bead_json(c, id);
	char key[80];

	snprintf(key, sizeof key, "bead:%s", id);
	cJSON_AddStringToObject(it, "id", key);
	cJSON_AddStringToObject(it, "kind", "bead");
	cJSON_AddStringToObject(it, "agent", agent);
	if (!b && err_take(&c->err, ERR_NOT_FOUND)) {
		cJSON_AddBoolToObject(it, "gone", 1);
		return it;
	}
	if (!b) {
		cJSON_Delete(it);
		return NULL;
	}
	/* Queued at its creation without a name: the creator, as the bead says. */
	if (!*agent)
		cJSON_ReplaceItemInObjectCaseSensitive(it, "agent", cJSON_CreateString(str(b, "created_by")));
	{
		size_t n = strlen(str(b, "title")) + strlen(str(b, "body")) + 2;
		char *text = cJSON_malloc(n);

		snprintf(text, n, "%s\n%s", str(b, "title"), str(b, "body"));
		cJSON_AddStringToObject(it, "text", text);
		cJSON_free(text);
	}
	cJSON_AddStringToObject(it, "bead", id);
	cJSON_AddStringToObject(it, "rig", str(b, "rig"));
	cJSON_AddNumberToObject(it, "at_ms", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "created_ms")));
	cJSON_Delete(b);
	return it;
}

static cJSON *note_item(struct call *c, const char *id, const char *agent)
{
	cJSON *n = note_json(c, id), *it;
	char key[80];

	if (!n)
		return NULL;
	it = cJSON_CreateObject();
	snprintf(key, sizeof key, "note:%s", id);
	cJSON_AddStringToObject(it, "id", key);
	cJSON_AddStringToObject(it, "kind", "note");
	cJSON_AddStringToObject(it, "agent", agent);
	cJSON_AddStringToObject(it, "text", str(n, "text"));
	cJSON_AddStringToObject(it, "path", str(n, "path"));
	cJSON_AddStringToObject(it, "bead", str(n, "bead"));
	cJSON_AddStringToObject(it, "rig", str(n, "rig"));
	cJSON_AddNumberToObject(it, "at_ms", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(n, "created_ms")));
	cJSON_Delete(n);
	return it;
}

static cJSON *queued_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateArray();

	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(o, cJSON_CreateString((const char *)sqlite3_column_text(st, i)));
	return o;
}

/* The "log-index" timer: the queue's unsent rows (INDEX_BATCH at most) in one batch. */
int log_index_fired(struct call *c, const char *key)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT kind, id, agent FROM log_index_queue WHERE sent = '' ORDER BY kind, id"
					     " LIMIT 200", &c->err);
	char batch[BATCH_KEY_MAX], town[200], url[300], fx[48], *body;
	cJSON *rows, *items, *row, *out;
	int rc = 0;

	(void)key;
	if (!st || !(rows = db_list(c->db, st, queued_row, &c->err)))
		return -1;
	if (!cJSON_GetArraySize(rows)) {
		cJSON_Delete(rows);
		return 0;
	}
	if (id_new(c, "ix", 8, batch, sizeof batch) < 0) {
		cJSON_Delete(rows);
		return -1;
	}
	out = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(out, "items");
	cJSON_ArrayForEach(row, rows) {
		const char *kind = cJSON_GetArrayItem(row, 0)->valuestring, *id = cJSON_GetArrayItem(row, 1)->valuestring;
		const char *agent = cJSON_GetArrayItem(row, 2)->valuestring;
		cJSON *it = strcmp(kind, "bead") == 0 ? bead_item(c, id, agent) : note_item(c, id, agent);

		/* A note gone with its town's wipe cannot be: the queue went with it. */
		if (!it) {
			rc = -1;
			break;
		}
		cJSON_AddItemToArray(items, it);
		if ((st = db_prepare(c->db, "UPDATE log_index_queue SET sent = ?3 WHERE kind = ?1 AND id = ?2", &c->err)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, batch, -1, SQLITE_STATIC);
		if ((rc = db_step_done(c->db, st, &c->err)) < 0)
			break;
	}
	cJSON_Delete(rows);
	if (rc < 0 || !(body = cJSON_PrintUnformatted(out))) {
		cJSON_Delete(out);
		return -1;
	}
	cJSON_Delete(out);
	query_escape(c->cfg->object_id, town, sizeof town);
	snprintf(url, sizeof url, "do://log/%s/_internal/index", town);
	{
		struct effect_req r = {.purpose = "log-index", .subject = batch, .method = "POST", .url = url, .body = body,
				       .timeout_ms = 30000};

		rc = effect_submit(c, &r, fx, sizeof fx);
	}
	cJSON_free(body);
	return rc;
}

int log_index_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result), taken;
	int64_t left = 0;

	(void)body, (void)len;
	taken = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && status >= 200 && status < 300;
	if (db_exec_text(c->db, taken ? "DELETE FROM log_index_queue WHERE sent = ?1"
				      : "UPDATE log_index_queue SET sent = '' WHERE sent = ?1", subject, &c->err) < 0)
		return -1;
	if (!taken) {
		call_log(c, "warn", "agent log index batch not taken; sending again", cJSON_CreateNumber(status));
		return timer_set_earlier(c, "log-index", "town", c->now_ms + INDEX_RETRY_MS);
	}
	if (db_query_int(c->db, "SELECT count(*) FROM (SELECT 1 FROM log_index_queue WHERE sent = '' LIMIT 1)", &left,
			 &c->err) < 0)
		return -1;
	return left ? timer_set_earlier(c, "log-index", "town", c->now_ms + 100) : 0;
}

int log_index_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM log_index_queue", &c->err);
}

/* ---- the log object's side --------------------------------------------------------------------- */

static const char *const item_kinds[] = {"bead", "note", NULL};

struct item_in {
	const char *id, *kind, *agent, *bead, *rig, *path, *text;
	double at_ms;
	int gone;
};

static const struct field_rule item_rules[] = {
	{"id", F_STR(struct item_in, id), FR_REQUIRED, 1, 80, .field = "items[%i].id"},
	{"kind", F_STR(struct item_in, kind), FR_REQUIRED, 0, 8, .one_of = item_kinds, .field = "items[%i].kind"},
	{"agent", F_STR(struct item_in, agent), FR_REQUIRED, 0, 160, .field = "items[%i].agent"},
	{"bead", F_STR(struct item_in, bead), 0, 0, LOG_ID_MAX, .field = "items[%i].bead"},
	{"rig", F_STR(struct item_in, rig), 0, 0, LOG_ID_MAX, .field = "items[%i].rig"},
	{"path", F_STR(struct item_in, path), 0, 0, LOG_PATH_MAX, .field = "items[%i].path"},
	{"text", F_STR(struct item_in, text), 0, 0, LOG_TEXT_IN_MAX, .field = "items[%i].text"},
	{"at_ms", F_NUM(struct item_in, at_ms), 0, 0, 1e15, .field = "items[%i].at_ms"},
	{"gone", F_BOOL(struct item_in, gone), 0, 0, 0, .field = "items[%i].gone"},
};
static const struct fields item_fields = FIELDS(item_rules, struct item_in);
static const struct field_rule item_item = {NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &item_fields, .field = "items[%i]"};

struct index_in {
	const cJSON *items;
};

static const struct field_rule index_rules[] = {
	{"items", F_ARR(struct index_in, items), FR_REQUIRED, 1, INDEX_BATCH, .of = &item_item},
};
const struct fields log_index_body = FIELDS(index_rules, struct index_in);

int log_index_take(struct call *c)
{
	struct index_in in = {0};
	const cJSON *e;
	int n = 0;

	if (auth_internal_caller(c, "town", c->cfg->object_id) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	cJSON_ArrayForEach(e, in.items) {
		struct item_in it = {0};

		struct log_entry le;

		if (fields_read(e, &item_fields, &it, sizeof it, &c->err) < 0)
			return -1;
		le = (struct log_entry){it.agent, it.id, it.kind, it.bead, it.rig, it.path, it.text, it.at_ms, it.gone};
		if (log_entry_replace(c, &le) < 0)
			return -1;
		n++;
	}
	return call_reply(c, 200, cJSON_CreateNumber(n));
}
