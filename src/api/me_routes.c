/*
 * api_me.c - GET /api/me: who the bearer token says the caller is. Answered by the worker's own
 * engine; the first thing a client calls to check its sign-in.
 */
#include "api/api.h"

int api_me_get(struct call *c)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "id", c->who.id);
	cJSON_AddStringToObject(d, "name", c->who.name);
	cJSON_AddStringToObject(d, "email", c->who.email);
	return call_reply(c, 200, d);
}
