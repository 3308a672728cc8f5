/*
 * api_mayor.c - /api/towns/:town/mayor/messages (any member: send, and read one's own
 * conversation) and /api/towns/:town/agents/mayor/replies (the Mayor, with its token: pieces of a
 * reply as it is written, marked partial, then the whole reply).
 */
#include <string.h>

#include "api/api.h"

#define TEXT_MAX 4000

struct mayor_body {
	const char *text, *message;
	const cJSON *ui;
	int partial;
};

#define TEXT {"text", F_STR(struct mayor_body, text), FR_REQUIRED, 1, TEXT_MAX}

/* ui_context.c checks what is inside ui, naming each part (ui.page, ui.open.type, ...). */
static const struct field_rule message_rules[] = {
	TEXT,
	{"ui", F_OBJ(struct mayor_body, ui), 0, 0, 0},
};
const struct fields mayor_message_body = FIELDS(message_rules, struct mayor_body);

static const struct field_rule reply_rules[] = {
	/* Absent: the message the Mayor's run is answering (on its hook). */
	{"message", F_STR(struct mayor_body, message), 0, 1, 64},
	TEXT,
	{"partial", F_BOOL(struct mayor_body, partial), 0, 0, 0},
};
const struct fields mayor_reply_body = FIELDS(reply_rules, struct mayor_body);

int api_mayor_message(struct call *c)
{
	struct mayor_body in = {0};
	enum role caller;
	char id[48];
	cJSON *context, *d;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    mayor_message(c, caller, in.text, in.ui, id, sizeof id, &context) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "text", in.text);
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
	struct mayor_body in = {0};
	char hook[72] = "";

	/* As before: a body that is not JSON is bad_json from anyone; its fields are the Mayor's. */
	if (strcmp(c->who.id, "mayor") != 0)
		return err_set(&c->err, ERR_FORBIDDEN, "agent_id", "only the Mayor replies to members");
	if (!b || call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (!in.message) {
		char role[16];
		int found = agent_role_hook(c, "mayor", role, sizeof role, hook, sizeof hook);

		if (found < 0)
			return -1;
		if (!*hook)
			return err_set(&c->err, ERR_INVALID, "message", "'message' is required: the Mayor is answering no message now");
		in.message = hook;
	}
	if (in.partial)
		return mayor_reply_delta(c, in.message, in.text) < 0 ? -1 : call_reply(c, 202, NULL);
	if (mayor_reply(c, in.message, in.text) < 0)
		return -1;
	return call_reply(c, 201, NULL);
}
