/*
 * persona_routes.c - /api/towns/:town/personas[/:persona]: everyone in the town (its agents too: the
 * Mayor casts) reads them; admins create, change and delete the town's own. docs/casting.md.
 */
#include <string.h>

#include "api/api.h"

struct persona_body {
	const char *name, *title, *overlay, *model;
	const cJSON *allowed_tools, *denied_tools, *gates;
};

#define NAME_MSG "a persona's name is 1-40 of a-z, 0-9 and -, a letter first"
#define TOOL_MSG "'%v' is not a tool name: a letter, then letters, digits, _ . - (as Bash, Edit, mcp__gastown__gt_done), and at most one (rule) without commas, as Bash(git *)"
#define MODEL_MSG "'model' is a model name as the runtimes take it (letters, digits, . _ : / @ -, not starting with -), or \"\" for the rig's"

static int model_or_none(const char *s)
{
	return !*s || persona_model_valid(s);
}

static const struct field_rule tool_rule = {
	NULL, FT_STRING, 0, 0, 1, PERSONA_TOOL_MAX, .valid = persona_tool_valid,
	.msg = {[FF_TYPE] = "each tool is a string", [FF_SHORT] = TOOL_MSG, [FF_LONG] = TOOL_MSG, [FF_FORM] = TOOL_MSG}};
/* A gate is one line: the agent host hands them to gt done one a line. */
static int one_line(const char *s)
{
	return !strpbrk(s, "\r\n");
}

static const struct field_rule gate_rule = {
	NULL, FT_STRING, 0, 0, 1, 500, .valid = one_line, .msg[FF_ANY] = "each gate is a one-line shell command of 1 to %u bytes"};

#define TOOLS(key)                                                                                           \
	{#key, F_ARR(struct persona_body, key), FR_UNIQUE, 0, PERSONA_TOOLS_MAX, .of = &tool_rule,             \
	 .msg = {[FF_TYPE] = "'%n' is an array of tool names", [FF_MANY] = "'%n' names at most %u tools",      \
		 [FF_DUP] = "tool '%v' is named twice"}}
/* The rules a create and an update share; a create adds the name. */
#define REST                                                                                                 \
	{"title", F_STR(struct persona_body, title), 0, 1, 80},                                                 \
	{"overlay", F_STR(struct persona_body, overlay), 0, 0, PERSONA_OVERLAY_MAX,                             \
	 .msg[FF_LONG] = "the overlay is at most %u bytes: it goes into every prompt of the persona"},       \
	TOOLS(allowed_tools),                                                                                  \
	TOOLS(denied_tools),                                                                                   \
	{"gates", F_ARR(struct persona_body, gates), 0, 0, PERSONA_GATES_MAX, .of = &gate_rule,                \
	 .msg = {[FF_TYPE] = "'gates' is an array of shell commands", [FF_MANY] = "at most %u gates"}},       \
	{"model", F_STR(struct persona_body, model), 0, 0, 100, .valid = model_or_none,                        \
	 .msg = {[FF_FORM] = MODEL_MSG, [FF_LONG] = MODEL_MSG}}

static const struct field_rule create_rules[] = {
	{"name", F_STR(struct persona_body, name), FR_REQUIRED, 1, PERSONA_NAME_MAX, .valid = persona_name_valid,
	 .msg = {[FF_SHORT] = NAME_MSG, [FF_LONG] = NAME_MSG, [FF_FORM] = NAME_MSG}},
	REST,
};
const struct fields persona_create_body = FIELDS(create_rules, struct persona_body);

static const struct field_rule update_rules[] = {
	REST,
};
const struct fields persona_update_body = FIELDS(update_rules, struct persona_body);

/* A tool both allowed and denied says two things at once. */
static int read_persona(struct call *c, struct persona_fields *f)
{
	struct persona_body in = {0};
	const cJSON *a, *d;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	cJSON_ArrayForEach(a, in.allowed_tools)
		cJSON_ArrayForEach(d, in.denied_tools)
			if (strcmp(a->valuestring, d->valuestring) == 0)
				return err_set(&c->err, ERR_INVALID, "denied_tools", "tool '%s' is both allowed and denied",
					       a->valuestring);
	if (in.name)
		f->name = in.name;
	f->title = in.title;
	f->overlay = in.overlay;
	f->model = in.model;
	f->allowed_tools = in.allowed_tools;
	f->denied_tools = in.denied_tools;
	f->gates = in.gates;
	return 0;
}

static int reply_persona(struct call *c, int status, const char *name)
{
	cJSON *p = persona_json(c, name);

	return p ? call_reply(c, status, p) : -1;
}

int api_persona_create(struct call *c)
{
	struct persona_fields f = {0};
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || read_persona(c, &f) < 0 || persona_put(c, &f, 1) < 0)
		return -1;
	return reply_persona(c, 201, f.name);
}

int api_persona_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = personas_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_persona_get(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	return reply_persona(c, 200, c->seg[4]);
}

int api_persona_update(struct call *c)
{
	struct persona_fields f = {0};
	enum role caller;

	f.name = c->seg[4];
	if (town_require(c, ROLE_ADMIN, &caller) < 0 || read_persona(c, &f) < 0 || persona_put(c, &f, 0) < 0)
		return -1;
	return reply_persona(c, 200, f.name);
}

int api_persona_delete(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || persona_delete(c, c->seg[4]) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}
