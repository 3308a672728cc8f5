/*
 * api_health.c - GET /health, answered by the worker's own engine: no Durable Object is touched,
 * so a load balancer's probe costs no storage.
 */
#include "internal.h"
#include "sqlite3.h"

int api_health_get(struct call *c)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "status", "ok");
	cJSON_AddStringToObject(d, "engine", "gastown-edge");
	cJSON_AddStringToObject(d, "version", ENG_VERSION);
	cJSON_AddNumberToObject(d, "schema_version", eng_schema_target(ENG_TOWN));
	cJSON_AddStringToObject(d, "sqlite_version", sqlite3_libversion());
	return call_reply(c, 200, d);
}
