/*
 * api_town.c - /api/towns/:town itself (create, read, rename and settings, delete) and the
 * person's list of towns (/api/me/towns, served by their registry object).
 */
#include <string.h>

#include "api/api.h"

#define NAME_MAX_LEN 100

struct town_body {
	const char *name;
	const cJSON *settings, *secrets;
};

static const struct field_rule create_rules[] = {
	{"name", F_STR(struct town_body, name), FR_REQUIRED, 1, NAME_MAX_LEN},
};
const struct fields town_create_body = FIELDS(create_rules, struct town_body);

/* PATCH /api/towns/:town and .../settings: the settings the engine reads are town.c's table. */
static const struct field_rule update_rules[] = {
	{"name", F_STR(struct town_body, name), 0, 1, NAME_MAX_LEN},
	{"settings", F_OBJ(struct town_body, settings), 0, 0, TOWN_SETTINGS_MAX, .of = &town_setting_value,
	 .fields = &town_settings, .msg[FF_BIG] = "settings are at most %u bytes"},
	{"secrets", F_OBJ(struct town_body, secrets), 0, 0, 0, .msg[FF_TYPE] = "'secrets' must be an object of name: value"},
};
const struct fields town_update_body = FIELDS(update_rules, struct town_body);

int api_town_create(struct call *c)
{
	struct town_body in = {0};
	cJSON *t;

	if (call_fields(c, &in, sizeof in) < 0 || town_create_personal(c, in.name) < 0 ||
	    !(t = town_json(c, ROLE_OWNER)))
		return -1;
	return call_reply(c, 201, t);
}

int api_town_get(struct call *c)
{
	enum role caller;
	cJSON *t;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(t = town_json(c, caller)))
		return -1;
	return call_reply(c, 200, t);
}

int api_town_update(struct call *c)
{
	struct town_body in = {0};
	enum role caller;
	cJSON *t;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    town_update(c, in.name, in.settings) < 0 || (in.secrets && town_secrets_put(c, in.secrets) < 0) ||
	    !(t = town_json(c, caller)))
		return -1;
	return call_reply(c, 200, t);
}

int api_town_delete(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || town_delete(c) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

/* /api/towns/:town/settings: the settings and (masked) secrets alone. PATCH is the town's PATCH. */
int api_town_settings_get(struct call *c)
{
	enum role caller;
	cJSON *t, *out;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(t = town_json(c, caller)))
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "settings", cJSON_DetachItemFromObject(t, "settings"));
	cJSON_AddItemToObject(out, "secrets", cJSON_DetachItemFromObject(t, "secrets"));
	cJSON_Delete(t);
	return call_reply(c, 200, out);
}

/* The worker sends /api/me/... to the caller's own registry object. */
int api_me_forward(struct call *c)
{
	c->forward = cJSON_CreateObject();
	cJSON_AddStringToObject(c->forward, "kind", "user");
	cJSON_AddStringToObject(c->forward, "id", c->who.id);
	return call_reply(c, 200, NULL);
}

int api_user_towns(struct call *c)
{
	cJSON *list;

	/* A registry answers its own person only. */
	if (strcmp(c->who.id, c->cfg->object_id) != 0)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "no such route");
	if (!(list = user_towns_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_user_orgs(struct call *c)
{
	cJSON *list;

	if (strcmp(c->who.id, c->cfg->object_id) != 0)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "no such route");
	if (!(list = user_orgs_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

/* What a town (or an organization) tells a person's registry. */
#define ENTRY(name, flags, max) {#name, F_STR(struct registry_entry, name), flags, 0, max}
static const struct field_rule registry_town_rules[] = {
	ENTRY(name, FR_REQUIRED, 200),
	{"role", F_STR(struct registry_entry, role), FR_REQUIRED, 0, 16, .one_of = role_choices,
	 .msg[FF_ENUM] = "unknown role '%v'"},
	ENTRY(owner_kind, FR_REQUIRED, 8),
	ENTRY(owner_id, FR_REQUIRED, 200),
};
const struct fields registry_town_body = FIELDS(registry_town_rules, struct registry_entry);

static const struct field_rule registry_org_rules[] = {
	ENTRY(name, FR_REQUIRED, 200),
	{"role", F_STR(struct registry_entry, role), FR_REQUIRED, 0, 16, .one_of = role_choices,
	 .msg[FF_ENUM] = "unknown role '%v'"},
};
const struct fields registry_org_body = FIELDS(registry_org_rules, struct registry_entry);

/* The body is parsed before the caller is checked (a malformed one is bad_json from anyone); its
 * fields after. */
int api_internal_user_org_put(struct call *c)
{
	const cJSON *b = call_body_object(c);
	struct registry_entry in = {0};

	if (auth_internal_caller(c, "org", c->seg[2]) < 0 || !b || call_fields(c, &in, sizeof in) < 0 ||
	    user_org_put(c, c->seg[2], &in) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

int api_internal_user_org_delete(struct call *c)
{
	if (auth_internal_caller(c, "org", c->seg[2]) < 0 || user_org_delete(c, c->seg[2]) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

/* /_internal/towns/:town: reachable only from other objects (the worker never forwards it). */
int api_internal_user_town_put(struct call *c)
{
	const cJSON *b = call_body_object(c);
	struct registry_entry in = {0};

	if (auth_internal_caller(c, "town", c->seg[2]) < 0 || !b || call_fields(c, &in, sizeof in) < 0 ||
	    user_town_put(c, c->seg[2], &in) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

int api_internal_user_town_delete(struct call *c)
{
	if (auth_internal_caller(c, "town", c->seg[2]) < 0 || user_town_delete(c, c->seg[2]) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

int api_town_ws(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || ws_require_upgrade(c) < 0)
		return -1;
	c->accept_websocket = "feed";
	return call_reply(c, 101, NULL);
}
