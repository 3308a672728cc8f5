/*
 * api_health.c - GET /health, answered by the worker's own engine: no Durable Object is touched,
 * so a load balancer's probe costs no storage.
 */
#include "api/api.h"
#include "sqlite3.h"

/* Which toolchain built this engine: the wasm can come from clang or from emscripten. */
#define STR2(x) #x
#define STR(x) STR2(x)
#if defined(__EMSCRIPTEN__)
#define BUILT_WITH "emscripten " STR(__EMSCRIPTEN_major__) "." STR(__EMSCRIPTEN_minor__) "." STR(__EMSCRIPTEN_tiny__)
#elif defined(__clang__)
#define BUILT_WITH "clang " STR(__clang_major__) "." STR(__clang_minor__) "." STR(__clang_patchlevel__)
#else
#define BUILT_WITH "gcc " __VERSION__
#endif

int api_health_get(struct call *c)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "status", "ok");
	cJSON_AddStringToObject(d, "engine", "gastown-edge");
	cJSON_AddStringToObject(d, "version", ENG_VERSION);
	cJSON_AddNumberToObject(d, "schema_version", eng_schema_target(ENG_TOWN));
	cJSON_AddStringToObject(d, "sqlite_version", sqlite3_libversion());
	cJSON_AddStringToObject(d, "built_with", BUILT_WITH);
	return call_reply(c, 200, d);
}
