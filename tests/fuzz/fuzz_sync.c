/*
 * fuzz_sync.c - a DoltSyncDO's outside bytes (src/federation/dolt_sync.c): what comes back to the
 * calls it makes, its town's pages and DoltHub's answers to its writes and polls. The object is
 * built started by its town "t1", its first page asked for, and brought by scripted answers to each
 * call an input may fuzz, one world per call (build()); an input answers its world's call with the
 * fuzzer's meta and body, and lets the object's alarm run.
 *
 * Input: line 1 the choices, one character each counted from '0': the stage (0: the town's page,
 * 1: a write, 2: a poll, 3: a report after a failed write, 4: the end told to the town), then ok (0)
 * or failed (1), then the status or the error code; line 2 more meta members spliced in
 * (`"headers":{...}`); the rest is the body.
 */
#include "fuzz.h"

#define CALLER "{\"x-gastown-caller\":\"town:t1\"}"

static const char page[] =
	"{\"data\":{\"statements\":[\"INSERT INTO wanted (id) VALUES ('w-1')\",\"INSERT INTO completions (id) VALUES ('c-1')\"],"
	"\"beads\":2,\"next_cursor\":0,\"last\":true,\"api_url\":\"http://127.0.0.1:9\",\"owner\":\"acme\","
	"\"database\":\"commons\",\"token\":\"dh-fuzz\",\"timeout_s\":5}}";
static const char took[] = "{\"operation_name\":\"operations/1\"}";
static const char done[] = "{\"done\":true,\"res_details\":{\"query_execution_status\":\"Success\"}}";

#define STAGES 5
static char pending[STAGES][48]; /* each stage's world: the call its inputs answer */

/* The id of out's effect whose url has needle, into id ("" for none). */
static void effect_id(const struct eng_output *out, const char *needle, char *id, size_t cap)
{
	cJSON *meta = cJSON_ParseWithLength(out->meta, out->meta_len);
	const cJSON *fx;

	id[0] = '\0';
	cJSON_ArrayForEach(fx, cJSON_GetObjectItemCaseSensitive(meta, "effects")) {
		const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fx, "url"));
		const char *fid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fx, "id"));

		if (url && fid && strstr(url, needle)) {
			snprintf(id, cap, "%s", fid);
			break;
		}
	}
	cJSON_Delete(meta);
}

/* Answer effect id (a scripted answer: ok, status, body) and find the next call by needle. */
static void answer(const char *id, int status, const char *body, const char *needle, char *next, size_t cap)
{
	struct eng_output out;
	char meta[160];

	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":%d}", id, status);
	fz_event(ENG_EV_EFFECT_RESULT, meta, strlen(meta), body, strlen(body), &out);
	effect_id(&out, needle, next, cap);
}

static void ring(double after_ms, const char *needle, char *next, size_t cap)
{
	struct eng_output out;

	fz_w.now_ms += after_ms;
	fz_event(ENG_EV_ALARM, "{}", 2, NULL, 0, &out);
	effect_id(&out, needle, next, cap);
}

/* World stage: the object started, then brought by scripted answers to the call its inputs answer
 * (0: the town's page, 1: a write, 2: a poll, 3: a report after a failed write, 4: the end told to
 * the town). Built once per process (fz_worlds_init), so an input replays only its own call. */
static void build(unsigned stage)
{
	struct eng_output out;
	static const char start[] = "{\"town\":\"t1\",\"sync\":\"5\",\"api_url\":\"http://127.0.0.1:9\",\"owner\":\"acme\","
				    "\"database\":\"commons\",\"token\":\"dh-fuzz\",\"timeout_s\":5}";
	char *id = pending[stage], next[48];
	size_t cap = sizeof pending[stage];

	fz_w.now_ms = FZ_NOW;
	if (fz_request("POST", "/_internal/sync", NULL, start, sizeof start - 1, CALLER, &out) != 200) {
		fprintf(stderr, "fuzz: the sync object did not start: %.*s\n", (int)out.body_len, out.body);
		abort();
	}
	effect_id(&out, "/_internal/wasteland/full/5", id, cap);
	if (!id[0]) {
		fprintf(stderr, "fuzz: the sync object asked its town for nothing\n");
		abort();
	}
	/* To the call fuzzed: the page answered, its write taken, polled, failed, or all written. */
	if (stage >= 1)
		answer(id, 200, page, "/write/main/main", id, cap);
	if (stage == 2 || stage == 4) {
		answer(id, 200, took, "", next, sizeof next);
		ring(400, "operationName=", id, cap);
	}
	if (stage == 3)
		answer(id, 500, "{\"message\":\"down\"}", "/_internal/wasteland/full/5", id, cap);
	if (stage == 4) {
		answer(id, 200, done, "/write/main/main", id, cap);
		answer(id, 200, took, "", next, sizeof next);
		ring(400, "operationName=", id, cap);
		answer(id, 200, done, "/_internal/wasteland/full/5", id, cap);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = {200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 429, 500, 502, 503};
	static const char *const codes[] = {"timeout", "network", "lost", "too_large", "x"};
	struct fz f = {data, size};
	char *first, *extra, *meta, next[48];
	unsigned stage, failed, detail;
	struct eng_output out;
	const char *id;
	double clock;
	size_t cap, n;

	fz_worlds_init(ENG_SYNC, "t1:5", 0, build, STAGES);
	first = fz_line(&f);
	extra = fz_line(&f);
	n = strlen(first);
	stage = n > 0 ? (unsigned)(first[0] - '0') % STAGES : 0;
	failed = n > 1 ? (unsigned)(first[1] - '0') % 2 : 0;
	detail = n > 2 ? (unsigned)(first[2] - '0') : 0;
	fz_world_pick(stage);
	fz_world_reset();
	clock = fz_w.now_ms;
	id = pending[stage];
	cap = strlen(extra) + 256;
	meta = malloc(cap);
	if (failed)
		snprintf(meta, cap, "{\"id\":\"%s\",\"ok\":false,\"error\":{\"code\":\"%s\",\"message\":\"m\"}%s%s}",
			 id[0] ? id : "fx-none", codes[detail % 5], *extra ? "," : "", extra);
	else
		snprintf(meta, cap, "{\"id\":\"%s\",\"ok\":true,\"status\":%d%s%s}", id[0] ? id : "fx-none",
			 statuses[detail % 14], *extra ? "," : "", extra);
	fz_event(ENG_EV_EFFECT_RESULT, meta, strlen(meta), f.p, f.n, &out);
	/* What the answer set going: a poll, a backoff's retry, the next page. */
	ring(2000, "", next, sizeof next);
	fz_w.now_ms = clock;
	free(meta);
	free(first);
	free(extra);
	return 0;
}
