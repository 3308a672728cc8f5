/*
 * ws.c - WebSockets of a town: the live feed. A member opens /api/towns/:town/ws (signed in at the
 * upgrade, by header or, for browsers, ?token=); the host accepts the socket with the tag "feed"
 * and hibernates it. Every event a call commits is pushed to those sockets; a frame from a client
 * is answered by tag (a ping gets a pong).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"

int ws_broadcast(struct call *c, const char *tag, cJSON *data)
{
	cJSON *frame = cJSON_CreateObject();
	char *s = json_print(data);

	cJSON_Delete(data);
	if (!s) {
		cJSON_Delete(frame);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	cJSON_AddStringToObject(frame, "to", tag);
	cJSON_AddStringToObject(frame, "data", s);
	cJSON_free(s);
	return call_append(c, &c->ws, frame);
}

int ws_close_tag(struct call *c, const char *tag, const char *reason)
{
	cJSON *x = cJSON_CreateObject();

	cJSON_AddStringToObject(x, "tag", tag);
	cJSON_AddNumberToObject(x, "code", 4403); /* application-defined: access withdrawn */
	cJSON_AddStringToObject(x, "reason", reason);
	return call_append(c, &c->ws_close, x);
}

int ws_close_person(struct call *c, const char *kind, const char *user, const char *reason)
{
	char tag[160];

	snprintf(tag, sizeof tag, "%s:%s", kind, user);
	return ws_close_tag(c, tag, reason);
}

int ws_is_upgrade(const struct call *c)
{
	const cJSON *up = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->meta, "headers"),
							  "upgrade");

	return cJSON_IsString(up) && strcasecmp(up->valuestring, "websocket") == 0;
}

int ws_require_upgrade(struct call *c)
{
	return ws_is_upgrade(c) ? 0
		: err_set(&c->err, ERR_INVALID, "upgrade", "this route opens a WebSocket (Upgrade: websocket)");
}

static int has_tag(const cJSON *tags, const char *tag)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, tags)
		if (cJSON_IsString(t) && strcmp(t->valuestring, tag) == 0)
			return 1;
	return 0;
}

int ws_message(struct call *c)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->meta, "tags");
	cJSON *msg, *reply, *frame;
	const cJSON *type;
	char *s;

	for (size_t i = 0; i < ws_kinds_n; i++)
		if (has_tag(tags, ws_kinds[i].tag) && (!ws_kinds[i].test_only || c->cfg->test_hooks))
			return ws_kinds[i].message(c);
	if (!has_tag(tags, "feed"))
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "this socket takes no messages");
	if (c->in->body_len > 4096)
		return err_set(&c->err, ERR_TOO_LARGE, NULL, "frames are at most 4096 bytes");
	/* Strict like a request body: {"type":"ping","type":"x"} is no ping. A frame that is not JSON
	 * at all gets the usage message below. */
	msg = json_parse_strict(c->in->body, c->in->body_len, &c->err);
	if (!err_take(&c->err, ERR_BAD_JSON) && !msg)
		return -1;
	type = cJSON_GetObjectItemCaseSensitive(msg, "type");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "ping") != 0) {
		cJSON_Delete(msg);
		return err_set(&c->err, ERR_INVALID, "type", "the feed takes {\"type\":\"ping\"} only");
	}
	cJSON_Delete(msg);
	reply = cJSON_CreateObject();
	cJSON_AddStringToObject(reply, "type", "pong");
	cJSON_AddNumberToObject(reply, "at_ms", c->now_ms);
	s = json_print(reply);
	cJSON_Delete(reply);
	frame = cJSON_CreateObject();
	cJSON_AddStringToObject(frame, "to", "self");
	cJSON_AddStringToObject(frame, "data", s ? s : "{}");
	cJSON_free(s);
	if (call_append(c, &c->ws, frame) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}
