/*
 * api_town.c - /api/towns/:town itself (create, read, rename and settings, delete) and the
 * person's list of towns (/api/me/towns, served by their registry object).
 */
#include <string.h>

#include "api/api.h"

#define NAME_MAX_LEN 100

int api_town_create(struct call *c)
{
	const cJSON *b = call_body_object(c);
	const char *name;
	cJSON *t;

	if (!b || json_string(b, "name", 1, NAME_MAX_LEN, &name, &c->err) < 0)
		return -1;
	if (!*name)
		return err_set(&c->err, ERR_INVALID, "name", "'name' must not be empty");
	if (town_create_personal(c, name) < 0 || !(t = town_json(c, ROLE_OWNER)))
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
	const cJSON *b;
	const char *name;
	enum role caller;
	cJSON *t;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || !(b = call_body_object(c)) ||
	    json_string(b, "name", 0, NAME_MAX_LEN, &name, &c->err) < 0)
		return -1;
	if (name && !*name)
		return err_set(&c->err, ERR_INVALID, "name", "'name' must not be empty");
	if (town_update(c, name, cJSON_GetObjectItemCaseSensitive(b, "settings")) < 0 ||
	    (cJSON_GetObjectItemCaseSensitive(b, "secrets") &&
	     town_secrets_put(c, cJSON_GetObjectItemCaseSensitive(b, "secrets")) < 0) ||
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

int api_internal_user_org_put(struct call *c)
{
	const cJSON *b = call_body_object(c);

	if (auth_internal_caller(c, "org", c->seg[2]) < 0 || !b || user_org_put(c, c->seg[2], b) < 0)
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

	if (auth_internal_caller(c, "town", c->seg[2]) < 0 || !b || user_town_put(c, c->seg[2], b) < 0)
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
