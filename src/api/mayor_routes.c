/*
 * api_mayor.c - /api/towns/:town/mayor/messages (any member: send, and read one's own
 * conversation) and /api/towns/:town/agents/mayor/replies (the Mayor, with its token: pieces of a
 * reply as it is written, marked partial, then the whole reply).
 */
#include <string.h>

#include "api/api.h"

#define TEXT_MAX 4000

static int read_text(struct call *c, const cJSON *b, const char **text)
{
	if (json_string(b, "text", 1, TEXT_MAX, text, &c->err) < 0)
		return -1;
	if (!**text)
		return err_set(&c->err, ERR_INVALID, "text", "'text' must not be empty");
	return 0;
}

int api_mayor_message(struct call *c)
{
	const cJSON *b;
	const char *text;
	enum role caller;
	char id[48];
	cJSON *context, *d;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(b = call_body_object(c)) || read_text(c, b, &text) < 0 ||
	    mayor_message(c, caller, text, cJSON_GetObjectItemCaseSensitive(b, "ui"), id, sizeof id, &context) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "text", text);
	cJSON_AddItemToObject(d, "context", context);
	return call_reply(c, 201, d);
}

int api_mayor_conversation(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = mayor_conversation(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_mayor_reply(struct call *c)
{
	const cJSON *b = call_body_object(c);
	const cJSON *partial = cJSON_GetObjectItemCaseSensitive(b, "partial");
	const char *message, *text;

	if (strcmp(c->who.id, "mayor") != 0)
		return err_set(&c->err, ERR_FORBIDDEN, "agent_id", "only the Mayor replies to members");
	if (!b || json_string(b, "message", 1, 64, &message, &c->err) < 0 || read_text(c, b, &text) < 0)
		return -1;
	if (partial && !cJSON_IsBool(partial))
		return err_set(&c->err, ERR_INVALID, "partial", "'partial' must be a boolean");
	if (cJSON_IsTrue(partial))
		return mayor_reply_delta(c, message, text) < 0 ? -1 : call_reply(c, 202, NULL);
	if (mayor_reply(c, message, text) < 0)
		return -1;
	return call_reply(c, 201, NULL);
}
