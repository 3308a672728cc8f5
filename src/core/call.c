/*
 * call.c - what a handler does to the call it runs in: reply, log, append to the call's output
 * lists, read the body once (through the route's field table), and name the human the work is
 * for. The call itself (struct call) is made and released by engine.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int call_reply(struct call *c, int status, cJSON *data)
{
	cJSON_Delete(c->data);
	c->status = status;
	c->data = data ? data : cJSON_CreateNull();
	return 0;
}

void call_log(struct call *c, const char *level, const char *msg, cJSON *fields)
{
	cJSON *line = cJSON_CreateObject();

	cJSON_AddStringToObject(line, "level", level);
	cJSON_AddStringToObject(line, "msg", msg);
	if (fields)
		cJSON_AddItemToObject(line, "detail", fields);
	call_append(c, &c->log, line);
}

const char *call_requested_by(struct call *c)
{
	if (c->who.requested_by[0])
		return c->who.requested_by;
	return c->who.id;
}

int call_append(struct call *c, cJSON **list, cJSON *item)
{
	/* Lists are made on first use: most calls emit no effect, frame or log line. */
	if (!*list)
		*list = cJSON_CreateArray();
	if (!item || !*list || !cJSON_AddItemToArray(*list, item)) {
		cJSON_Delete(item);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	return 0;
}

cJSON *call_body_object(struct call *c)
{
	if (c->body)
		return cJSON_IsObject(c->body) ? c->body : NULL;
	if (c->in->body_len == 0) {
		err_set(&c->err, ERR_BAD_JSON, NULL, "a JSON object body is required");
		return NULL;
	}
	if (!(c->body = json_parse_strict(c->in->body, c->in->body_len, &c->err)))
		return NULL;
	if (!cJSON_IsObject(c->body)) {
		err_set(&c->err, ERR_BAD_JSON, NULL, "the body must be a JSON object");
		return NULL;
	}
	return c->body;
}


int call_fields(struct call *c, void *out, size_t out_size)
{
	const cJSON *b = NULL;

	if (!c->fields)
		return err_set(&c->err, ERR_INTERNAL, NULL, "this route declares no body fields");
	/* An optional body may be empty: every field is then absent. */
	if ((!c->fields->optional || c->in->body_len > 0) && !(b = call_body_object(c)))
		return -1;
	return fields_read(b, c->fields, out, out_size, &c->err);
}

int call_reply_raw(struct call *c, int status, cJSON *body)
{
	cJSON_Delete(c->raw_body);
	c->raw = 1;
	c->raw_body = body;
	c->status = status;
	return 0;
}

const char *call_request_header(const struct call *c, const char *name)
{
	return cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->meta, "headers"), name));
}

int call_header(struct call *c, const char *name, const char *value)
{
	if (!c->headers && !(c->headers = cJSON_CreateObject()))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(c->headers, name);
	if (!cJSON_AddStringToObject(c->headers, name, value))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	return 0;
}

void call_mark(const struct call *c, struct call_mark *m)
{
	m->effects = cJSON_GetArraySize(c->effects);
	m->ws = cJSON_GetArraySize(c->ws);
	m->ws_close = cJSON_GetArraySize(c->ws_close);
}

static void truncate_list(cJSON *list, int keep)
{
	while (list && cJSON_GetArraySize(list) > keep)
		cJSON_DeleteItemFromArray(list, cJSON_GetArraySize(list) - 1);
}

void call_undo(struct call *c, const struct call_mark *m)
{
	truncate_list(c->effects, m->effects);
	truncate_list(c->ws, m->ws);
	truncate_list(c->ws_close, m->ws_close);
}

int call_undo_to(struct call *c, const char *rollback, const struct call_mark *m, struct err *why)
{
	if (db_broken(c->db))
		return -1;
	err_move(why, &c->err);
	call_undo(c, m);
	return db_run(c->db, rollback, &c->err);
}
