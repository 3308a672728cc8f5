/*
 * exports.c - the module's entry points (abi.h) over the engine (src/engine.h). Reads the clock and
 * the randomness from the host once per call and hands them to the engine in its input, so the engine
 * itself stays deterministic. The module serves exactly one object, so the engine handle and the
 * last output are the module's only state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "cJSON.h"
#include "engine.h"
#include "vfs.h"

/* One object per instance: the host creates an instance per Durable Object. */
static struct eng *engine;
static char fail_meta[2048]; /* reasons are under 256 bytes; escaping at most 6x */
static const char *out_meta = "{}", *out_body = "";
static size_t out_meta_len = 2, out_body_len = 0;

GT_EXPORT("buf_alloc") int32_t gt_alloc(int32_t len)
{
	return (int32_t)(uintptr_t)malloc(len > 0 ? (size_t)len : 1);
}

GT_EXPORT("buf_free") void gt_free(int32_t ptr)
{
	free((void *)(uintptr_t)ptr);
}

GT_EXPORT("body_limit") int32_t gt_body_limit(void)
{
	return ENG_BODY_LIMIT;
}

static void set_failure(const char *why)
{
	cJSON *m = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(m, "fatal", why);
	s = cJSON_PrintUnformatted(m);
	snprintf(fail_meta, sizeof fail_meta, "%s", s ? s : "{\"fatal\":\"out of memory\"}");
	cJSON_free(s);
	cJSON_Delete(m);
	host_log(3, fail_meta, (int32_t)strlen(fail_meta));
	out_meta = fail_meta;
	out_meta_len = strlen(fail_meta);
	out_body = "";
	out_body_len = 0;
}

static enum eng_kind kind_of(const char *s, int *ok)
{
	int k = eng_kind_of(s);

	*ok = k >= 0;
	return k >= 0 ? (enum eng_kind)k : ENG_WORKER;
}

GT_EXPORT("init") int32_t gt_init(int32_t cfg_ptr, int32_t cfg_len)
{
	cJSON *cfg = cJSON_ParseWithLength((const char *)(uintptr_t)cfg_ptr, (size_t)cfg_len);
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(cfg, "kind");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(cfg, "id");
	const cJSON *token = cJSON_GetObjectItemCaseSensitive(cfg, "admin_token");
	const cJSON *jwt = cJSON_GetObjectItemCaseSensitive(cfg, "jwt");
	struct eng_config ec = {0};
	char why[256], db_name[16];
	int ok = 0, rc;

	if (engine) {
		set_failure("init called twice");
		cJSON_Delete(cfg);
		return -1;
	}
	if (cJSON_IsString(kind))
		ec.kind = kind_of(kind->valuestring, &ok);
	if (!ok) {
		set_failure("config: kind must be worker, town, org or user");
		cJSON_Delete(cfg);
		return -1;
	}
	ec.object_id = cJSON_IsString(id) ? id->valuestring : NULL;
	ec.admin_token = cJSON_IsString(token) ? token->valuestring : NULL;
	ec.test_hooks = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "test_hooks"));
	ec.jwt_secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwt, "secret"));
	ec.jwt_public_key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwt, "public_key"));
	ec.jwt_issuer = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwt, "issuer"));
	ec.jwt_audience = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwt, "audience"));
	ec.container_secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "container_secret"));
	/* The VFS serves one file, the object's storage; its name says which schema image a fresh
	 * object starts from (vfs.c). */
	snprintf(db_name, sizeof db_name, "%s.db", kind->valuestring);
	ec.db_path = db_name;
	rc = eng_open(&ec, &engine, why, sizeof why);
	cJSON_Delete(cfg);
	if (rc != ENG_OK) {
		set_failure(why);
		return -1;
	}
	return 0;
}

static int32_t call(enum eng_event ev, int32_t meta_ptr, int32_t meta_len, int32_t body_ptr,
		    int32_t body_len)
{
	unsigned char entropy[32];
	struct eng_input in = {
		.event = ev,
		.meta = (const char *)(uintptr_t)meta_ptr,
		.meta_len = (size_t)meta_len,
		.body = (const char *)(uintptr_t)body_ptr,
		.body_len = (size_t)body_len,
		.entropy = entropy,
		.entropy_len = sizeof entropy,
	};
	struct eng_output out;
	int rc;

	if (!engine) {
		set_failure("init has not succeeded");
		return -1;
	}
	in.now_ms = host_now_ms();
	vfs_set_call_time(in.now_ms);
	host_random(entropy, sizeof entropy);
	rc = eng_call(engine, &in, &out);
	if (out.meta) {
		out_meta = out.meta;
		out_meta_len = out.meta_len;
		out_body = out.body;
		out_body_len = out.body_len;
	} else {
		set_failure("the engine produced no output");
	}
	/* Test hook: die after the engine committed, while the host's storage transaction is open. */
	if (out.trap_after_commit)
		__builtin_trap();
	return rc == ENG_OK ? 0 : -1;
}

GT_EXPORT("handle_request")
int32_t gt_handle_request(int32_t meta_ptr, int32_t meta_len, int32_t body_ptr, int32_t body_len)
{
	return call(ENG_EV_REQUEST, meta_ptr, meta_len, body_ptr, body_len);
}

GT_EXPORT("handle_alarm") int32_t gt_handle_alarm(int32_t meta_ptr, int32_t meta_len)
{
	return call(ENG_EV_ALARM, meta_ptr, meta_len, 0, 0);
}

GT_EXPORT("handle_effect_result")
int32_t gt_handle_effect_result(int32_t meta_ptr, int32_t meta_len, int32_t body_ptr,
				int32_t body_len)
{
	return call(ENG_EV_EFFECT_RESULT, meta_ptr, meta_len, body_ptr, body_len);
}

GT_EXPORT("handle_ws_message")
int32_t gt_handle_ws_message(int32_t meta_ptr, int32_t meta_len, int32_t body_ptr, int32_t body_len)
{
	return call(ENG_EV_WS_MESSAGE, meta_ptr, meta_len, body_ptr, body_len);
}

GT_EXPORT("out_meta_ptr") int32_t gt_out_meta_ptr(void)
{
	return (int32_t)(uintptr_t)out_meta;
}

GT_EXPORT("out_meta_len") int32_t gt_out_meta_len(void)
{
	return (int32_t)out_meta_len;
}

GT_EXPORT("out_body_ptr") int32_t gt_out_body_ptr(void)
{
	return (int32_t)(uintptr_t)out_body;
}

GT_EXPORT("out_body_len") int32_t gt_out_body_len(void)
{
	return (int32_t)out_body_len;
}
