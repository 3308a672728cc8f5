/*
 * test_engine.c - scenario tests through engine.h only: requests in, output envelopes out, on a real
 * SQLite file database. The same behaviours are checked again through the worker in workerd
 * (tests/worker/); these run in milliseconds under ASan and UBSan.
 */
#include "harness.h"

static const char *OP = "{\"authorization\":\"Bearer operator-secret\"}";

static void health_is_answered_by_the_worker(void)
{
	struct eng *w = t_open(ENG_WORKER, NULL, 0);
	struct t_res r = t_request(w, "GET", "/health", NULL, NULL);

	CHECK(r.rc == ENG_OK);
	CHECK(r.status == 200);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "engine")), "gastown-edge"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "version")), ENG_VERSION));
	CHECK(cJSON_GetNumberValue(t_data(&r, "schema_version")) == eng_schema_target(ENG_TOWN));
	CHECK(strncmp(cJSON_GetStringValue(t_data(&r, "sqlite_version")), "3.", 2) == 0);
	CHECK(cJSON_GetObjectItem(r.meta, "forward") == NULL);
	t_res_free(&r);
	eng_close(w);
}

static void worker_forwards_to_the_owning_object(void)
{
	struct eng *w = t_open(ENG_WORKER, NULL, 0);
	struct t_res r = t_request(w, "GET", "/api/towns/gt_town-1/beads", NULL, NULL);
	const cJSON *fw = cJSON_GetObjectItem(r.meta, "forward");

	CHECK(cJSON_IsObject(fw));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(fw, "kind")), "town"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(fw, "id")), "gt_town-1"));
	t_res_free(&r);

	r = t_request(w, "GET", "/api/orgs/acme/members", NULL, NULL);
	fw = cJSON_GetObjectItem(r.meta, "forward");
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(fw, "kind")), "org"));
	t_res_free(&r);

	r = t_request(w, "GET", "/api/towns/bad.id/beads", NULL, NULL);
	CHECK(r.status == 400);
	CHECK(t_streq(t_error_code(&r), "invalid"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "field")), "town_id"));
	CHECK(cJSON_GetObjectItem(r.meta, "forward") == NULL);
	t_res_free(&r);

	r = t_request(w, "GET", "/nope", NULL, NULL);
	CHECK(r.status == 404);
	CHECK(t_streq(t_error_code(&r), "not_found"));
	t_res_free(&r);

	r = t_request(w, "POST", "/health", NULL, NULL);
	CHECK(r.status == 405);
	CHECK(t_streq(t_error_code(&r), "method_not_allowed"));
	t_res_free(&r);
	eng_close(w);
}

static void writes_survive_reopening(void)
{
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/greeting", "{\"value\":\"hello\"}", NULL);
	CHECK(r.status == 200);
	t_res_free(&r);
	eng_close(e);

	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/greeting", NULL, NULL);
	CHECK(r.status == 200);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "value")), "hello"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void bad_input_gets_a_stable_error_and_changes_nothing(void)
{
	struct eng *e;
	struct t_res r;
	char *big;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/k", "{\"value\":", NULL);
	CHECK(r.status == 400);
	CHECK(t_streq(t_error_code(&r), "bad_json"));
	t_res_free(&r);

	/* Trailing bytes after a valid value make the body invalid, not a silent partial read. */
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/k", "{\"value\":\"v\"} ]]] not json", NULL);
	CHECK(t_streq(t_error_code(&r), "bad_json"));
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/k", " {\"value\":\"v\"}\n", NULL);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/k", NULL, NULL);
	CHECK(r.status == 200);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);

	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/k", "[1,2]", NULL);
	CHECK(t_streq(t_error_code(&r), "bad_json"));
	t_res_free(&r);

	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/k", "{\"value\":42}", NULL);
	CHECK(r.status == 400);
	CHECK(t_streq(t_error_code(&r), "invalid"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "field")), "value"));
	t_res_free(&r);

	r = t_request(e, "POST", "/api/towns/t1/_test/kv-bulk", "{\"count\":1.5,\"prefix\":\"p\"}", NULL);
	CHECK(t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/_test/kv-bulk", "{\"count\":1e300,\"prefix\":\"p\"}", NULL);
	CHECK(t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);

	big = malloc(ENG_BODY_LIMIT + 64);
	memset(big, 'x', ENG_BODY_LIMIT + 63);
	big[ENG_BODY_LIMIT + 63] = '\0';
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/k", big, NULL);
	CHECK(r.status == 413);
	CHECK(t_streq(t_error_code(&r), "too_large"));
	t_res_free(&r);
	free(big);

	r = t_event(e, ENG_EV_REQUEST, "{\"method\":\"PUT\",\"path\":\"/api/towns/t1/_test/kv/k\","
				       "\"body_too_large\":true}", "");
	CHECK(r.status == 413);
	t_res_free(&r);

	r = t_request(e, "GET", "/api/towns/t1/_test/kv/k", NULL, NULL);
	CHECK(r.status == 404);
	t_res_free(&r);

	r = t_request(e, "GET", "/api/towns/t1/nothing-here", NULL, NULL);
	CHECK(r.status == 404);
	CHECK(t_streq(t_error_code(&r), "not_found"));
	t_res_free(&r);

	/* A request for another town's id never reaches this town's data. */
	r = t_request(e, "GET", "/api/towns/t2/_test/kv/k", NULL, NULL);
	CHECK(r.status == 404);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void test_routes_are_off_without_hooks(void)
{
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/k", "{\"value\":\"v\"}", NULL);
	CHECK(r.status == 404);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void debug_storage_needs_the_operator(void)
{
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, NULL);
	CHECK(r.status == 401);
	CHECK(t_streq(t_error_code(&r), "unauthenticated"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL,
		      "{\"authorization\":\"Bearer operator-secreT\"}");
	CHECK(r.status == 401);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, OP);
	CHECK(r.status == 200);
	CHECK(cJSON_GetNumberValue(t_data(&r, "schema_version")) == eng_schema_target(ENG_TOWN));
	CHECK(cJSON_GetNumberValue(t_data(&r, "page_size")) == 4096);
	CHECK(cJSON_GetNumberValue(t_data(&r, "pages")) >= 2);
	CHECK(cJSON_GetNumberValue(t_data(&r, "bytes")) ==
	      cJSON_GetNumberValue(t_data(&r, "pages")) * 4096);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* free_pages is the header's count of free pages, which grows when rows are deleted (a build that
 * left out the freelist pragma answered 0 whatever the file held). */
static void debug_storage_counts_free_pages(void)
{
	char body[3100], path[96], ids[40][32];
	struct eng *e;
	struct t_res r;
	double before;

	snprintf(body, sizeof body, "{\"title\":\"big\",\"body\":\"%03000d\"}", 0);
	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	for (int i = 0; i < 40; i++) {
		r = t_request(e, "POST", "/api/towns/t1/beads", body, t_as("sarah"));
		CHECK(r.status == 201);
		snprintf(ids[i], sizeof ids[i], "%s", cJSON_GetStringValue(t_data(&r, "id")) ?: "");
		t_res_free(&r);
	}
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, OP);
	before = cJSON_GetNumberValue(t_data(&r, "free_pages"));
	t_res_free(&r);
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "/api/towns/t1/beads/%s", ids[i]);
		r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, OP);
	CHECK(r.status == 200);
	CHECK(cJSON_GetNumberValue(t_data(&r, "free_pages")) >= before + 20);
	CHECK(cJSON_GetNumberValue(t_data(&r, "free_pages")) < cJSON_GetNumberValue(t_data(&r, "pages")));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void alarm_fires_due_timers_once(void)
{
	struct eng *e;
	struct t_res r;
	double now0 = t_now;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "POST", "/api/towns/t1/_test/alarms", "{\"key\":\"a\",\"in_ms\":50}", NULL);
	CHECK(r.status == 201);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == now0 + 50);
	t_res_free(&r);

	/* Too early: nothing fires, the alarm stays armed. */
	t_now = now0 + 10;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == now0 + 50);
	t_res_free(&r);

	t_now = now0 + 60;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(r.status == 200);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == 0);
	t_res_free(&r);
	r = t_event(e, ENG_EV_ALARM, "{}", NULL); /* a repeated alarm finds nothing to do */
	t_res_free(&r);

	r = t_request(e, "GET", "/api/towns/t1/_test/alarms/a", NULL, NULL);
	CHECK(cJSON_GetNumberValue(t_data(&r, "fired_count")) == 1);
	CHECK(cJSON_GetNumberValue(t_data(&r, "fired_ms")) == now0 + 60);
	t_res_free(&r);

	/* The longest key a client may use still fires and is cleared (a cut key never would be). */
	{
		char body[300], path[300], key[129];
		memset(key, 'k', 128);
		key[128] = '\0';
		snprintf(body, sizeof body, "{\"key\":\"%s\",\"in_ms\":0}", key);
		r = t_request(e, "POST", "/api/towns/t1/_test/alarms", body, NULL);
		CHECK(r.status == 201);
		t_res_free(&r);
		r = t_event(e, ENG_EV_ALARM, "{}", NULL);
		CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == 0);
		t_res_free(&r);
		snprintf(path, sizeof path, "/api/towns/t1/_test/alarms/%s", key);
		r = t_request(e, "GET", path, NULL, NULL);
		CHECK(cJSON_GetNumberValue(t_data(&r, "fired_count")) == 1);
		t_res_free(&r);
		snprintf(body, sizeof body, "{\"key\":\"%sk\",\"in_ms\":0}", key);
		r = t_request(e, "POST", "/api/towns/t1/_test/alarms", body, NULL);
		CHECK(r.status == 400);
		t_res_free(&r);
	}
	eng_close(e);
	t_now = now0;
	t_cleanup();
}

/* Start a probe; returns the effect id (static buffer) and fills probe. */
static const char *start_probe(struct eng *e, const char *body, char *probe, size_t len)
{
	static char fx[64];
	struct t_res r = t_request(e, "POST", "/api/towns/t1/_test/effects", body, NULL);
	const cJSON *effects = cJSON_GetObjectItem(r.meta, "effects");

	CHECK(r.status == 202);
	CHECK(cJSON_GetArraySize(effects) == 1);
	snprintf(fx, sizeof fx, "%s", cJSON_GetStringValue(t_data(&r, "effect_id")));
	snprintf(probe, len, "%s", cJSON_GetStringValue(t_data(&r, "id")));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(effects, 0), "id")), fx));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(effects, 0), "url")), "http://127.0.0.1:9/x"));
	t_res_free(&r);
	return fx;
}

static struct t_res get_probe(struct eng *e, const char *probe)
{
	char path[128];

	snprintf(path, sizeof path, "/api/towns/t1/_test/effects/%s", probe);
	return t_request(e, "GET", path, NULL, NULL);
}

static void effect_results_come_back_once(void)
{
	struct eng *e;
	struct t_res r;
	char probe[64], meta[256];
	const char *fx;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	fx = start_probe(e, "{\"url\":\"http://127.0.0.1:9/x\",\"timeout_ms\":200}", probe, sizeof probe);

	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":200}", fx);
	r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "pong");
	CHECK(r.rc == ENG_OK && r.status == 200);
	t_res_free(&r);
	r = get_probe(e, probe);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "state")), "done"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "body")), "pong"));
	CHECK(cJSON_GetNumberValue(t_data(&r, "status")) == 200);
	t_res_free(&r);

	/* The same result again (a host retry) changes nothing. */
	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":false,\"error\":{\"code\":\"timeout\"}}", fx);
	r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "");
	t_res_free(&r);
	r = get_probe(e, probe);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "state")), "done"));
	t_res_free(&r);

	/* A failure result is recorded with its code. */
	fx = start_probe(e, "{\"url\":\"http://127.0.0.1:9/x\"}", probe, sizeof probe);
	snprintf(meta, sizeof meta,
		 "{\"id\":\"%s\",\"ok\":false,\"error\":{\"code\":\"connect_failed\",\"message\":\"refused\"}}", fx);
	r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "");
	t_res_free(&r);
	r = get_probe(e, probe);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "state")), "failed"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "error_code")), "connect_failed"));
	t_res_free(&r);

	/* A result that never comes is resolved as lost by the alarm after its deadline. */
	start_probe(e, "{\"url\":\"http://127.0.0.1:9/x\",\"timeout_ms\":100}", probe, sizeof probe);
	t_now += 100 + 30000 + 1;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	t_res_free(&r);
	r = get_probe(e, probe);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "error_code")), "lost"));
	t_res_free(&r);

	/* Bad input: a relative URL, and a result whose meta lacks the id. */
	r = t_request(e, "POST", "/api/towns/t1/_test/effects", "{\"url\":\"/x\"}", NULL);
	CHECK(t_streq(t_error_code(&r), "invalid"));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r.meta, "effects")) == 0);
	t_res_free(&r);
	r = t_event(e, ENG_EV_EFFECT_RESULT, "{\"ok\":true}", "");
	CHECK(r.status == 400);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void bulk_insert_in_one_call(void)
{
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "POST", "/api/towns/t1/_test/kv-bulk", "{\"count\":1000,\"prefix\":\"b\"}", NULL);
	CHECK(r.status == 200);
	CHECK(cJSON_GetNumberValue(t_data(&r, "written")) == 1000);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/b-999", NULL, NULL);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "value")), "value 999"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* The fuzzers' rollback (eng_test_hold/eng_test_rewind): what calls wrote inside the held
 * transaction is gone after a rewind, what was there before stays, a call that failed or changed
 * nothing is not counted as a change, and the writes a rewind dropped never reach the file. */
static void a_rewind_puts_the_object_back(void)
{
	struct eng *e;
	struct t_res r;
	int changed = -1;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/kept", "{\"value\":\"before\"}", NULL);
	t_res_free(&r);
	CHECK(eng_test_hold(e) == ENG_OK);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/kept", "{\"value\":\"during\"}", NULL);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/new", "{\"value\":\"v\"}", NULL);
	t_res_free(&r);
	/* Later calls see the earlier ones' writes until the rewind. */
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/kept", NULL, NULL);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "value")), "during"));
	t_res_free(&r);
	CHECK(eng_test_rewind(e, &changed) == ENG_OK);
	CHECK(changed == 1);
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/kept", NULL, NULL);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "value")), "before"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/new", NULL, NULL);
	CHECK(r.status == 404);
	t_res_free(&r);
	CHECK(eng_test_rewind(e, &changed) == ENG_OK);
	CHECK(changed == 0);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/bad", "{\"value\":", NULL);
	CHECK(r.status == 400);
	t_res_free(&r);
	CHECK(eng_test_rewind(e, &changed) == ENG_OK);
	CHECK(changed == 0);
	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/new", "{\"value\":\"v\"}", NULL);
	t_res_free(&r);
	eng_close(e);

	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/new", NULL, NULL);
	CHECK(r.status == 404);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/_test/kv/kept", NULL, NULL);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "value")), "before"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void websocket_frames_echo(void)
{
	struct eng *e;
	struct t_res r;
	const cJSON *ws;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "GET", "/api/towns/t1/_test/ws", NULL, NULL);
	CHECK(r.status == 101);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(r.meta, "accept_websocket"), "tags"), 0)), "test-echo"));
	t_res_free(&r);
	r = t_event(e, ENG_EV_WS_MESSAGE, "{\"tags\":[\"test-echo\"]}", "hi there");
	ws = cJSON_GetObjectItem(r.meta, "ws");
	CHECK(cJSON_GetArraySize(ws) == 1);
	CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ws, 0), "data")),
		     "\"echo\":\"hi there\"") != NULL);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(7);
	RUN(health_is_answered_by_the_worker);
	RUN(worker_forwards_to_the_owning_object);
	RUN(writes_survive_reopening);
	RUN(bad_input_gets_a_stable_error_and_changes_nothing);
	RUN(test_routes_are_off_without_hooks);
	RUN(debug_storage_needs_the_operator);
	RUN(debug_storage_counts_free_pages);
	RUN(alarm_fires_due_timers_once);
	RUN(effect_results_come_back_once);
	RUN(bulk_insert_in_one_call);
	RUN(a_rewind_puts_the_object_back);
	RUN(websocket_frames_echo);
	return t_done();
}
