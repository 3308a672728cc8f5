/*
 * fuzz_effect.c - effect results (ENG_EV_EFFECT_RESULT): what the host brings back from the calls
 * the town asked for: agent starts in the container, the platforms' API answers (pull requests,
 * issue comments, review replies, app tokens), the registry. The town is built with those calls
 * pending; each input answers one of them (or none) with the fuzzer's meta and body.
 *
 * Input: line 1 either a whole meta object (starting with '{') or the choices: which pending effect
 * answers, then ok (0: ok with a status, 1: failed with an error code), then the status or code;
 * line 2 more meta members spliced in (`"headers":{...}`); the rest is the body.
 */
#include "fuzz.h"
#include "core/core.h"

/* Run the alarms the town asks for, up to ms on, noting their effects (a call is lost 30 s past
 * its timeout: too long a run and the calls are no longer pending). */
static void run_alarms(double ms)
{
	double until = fz_w.now_ms + ms;

	for (int i = 0; i < 40 && fz_w.now_ms < until; i++) {
		struct eng_output out;
		cJSON *meta;
		double next;

		fz_event(ENG_EV_ALARM, "{}", 2, NULL, 0, &out);
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "fuzz: alarm at %.0f: %.300s\n", fz_w.now_ms, out.meta);
		fz_note_effects(&out);
		meta = cJSON_ParseWithLength(out.meta, out.meta_len);
		next = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "next_alarm_ms"));
		cJSON_Delete(meta);
		fz_w.now_ms = next > fz_w.now_ms && next < until ? next : fz_w.now_ms + 5000;
	}
}

/* The town in the Wasteland (docs/wasteland.md), its schema and rig written as DoltHub would take
 * them (each write answered with an operation, each operation found done), until the board's read
 * is pending: what DoltHub answers to it (the other rigs' posters) is outside bytes too. */
static void wasteland(void)
{
	static const char took[] = "{\"operation_name\":\"operations/1\"}";
	static const char done[] = "{\"done\":true,\"res_details\":{\"query_execution_status\":\"Success\"}}";
	char last[48] = "";

	fz_must("PUT", "/api/towns/t1/wasteland", "{\"owner\":\"acme\",\"database\":\"commons\",\"handle\":\"t1\","
		"\"token\":\"dh-fuzz\",\"api_url\":\"http://127.0.0.1:9\"}", t_as("sarah"), NULL);
	for (int round = 0; round < 60; round++) {
		const struct fz_effect *x = NULL;
		struct eng_output out;
		char meta[128];

		for (size_t i = fz_neffects; i-- > 0;)
			if (strstr(fz_effects[i].url, "127.0.0.1:9/acme/commons/")) {
				x = &fz_effects[i];
				break;
			}
		if (!x || strstr(x->url, "/commons/main?q="))
			break;
		if (!strcmp(x->id, last)) {
			/* Answered: its poll is on a timer 300 ms away. Only that much time passes, so the
			 * other calls stay pending (run_alarms would leap seconds). */
			fz_w.now_ms += 400;
			fz_event(ENG_EV_ALARM, "{}", 2, NULL, 0, &out);
			fz_note_effects(&out);
			continue;
		}
		snprintf(last, sizeof last, "%s", x->id);
		snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":200}", x->id);
		fz_event(ENG_EV_EFFECT_RESULT, meta, strlen(meta), strstr(x->url, "operationName") ? done : took,
			 strstr(x->url, "operationName") ? sizeof done - 1 : sizeof took - 1, &out);
		fz_note_effects(&out);
	}
}

/* The town with calls of several kinds pending: the registry's, the comments on an issue taken in
 * from GitHub, a polecat's start and, once that polecat reports its bead done on a rig that
 * merges by pull request, the pull request's. */
static void build(void)
{
	static const char issue[] =
		"{\"action\":\"opened\",\"issue\":{\"number\":7,\"title\":\"Crash on save\",\"body\":\"It crashes\","
		"\"html_url\":\"https://github.com/acme/app/issues/7\",\"user\":{\"login\":\"octocat\"},"
		"\"labels\":[{\"name\":\"gastown\"}],\"author_association\":\"MEMBER\"},"
		"\"repository\":{\"full_name\":\"acme/app\",\"default_branch\":\"main\",\"id\":42},\"sender\":{\"login\":\"octocat\"}}";
	struct mac_part part = {issue, sizeof issue - 1};
	unsigned char mac[32];
	char headers[2400], body[256], bead[64], agent[64];
	cJSON *d;
	size_t o, started = fz_neffects;

	fz_w.now_ms = FZ_NOW;
	fz_build_town();
	fz_must("PATCH", "/api/towns/t1/rigs/r", "{\"merge_strategy\":\"pr\",\"settings\":{\"api_url\":\"http://127.0.0.1:9\"}}",
		t_as("sarah"), NULL);
	fz_must("PATCH", "/api/towns/t1/settings", "{\"secrets\":{\"github_token\":\"ghp_fuzz\"}}", t_as("sarah"), NULL);
	fz_must("POST", "/api/towns/t1/mayor/messages", "{\"text\":\"What landed?\"}", t_as("sarah"), NULL);
	fz_must("POST", "/api/towns/t1/beads", "{\"title\":\"Started\",\"rig\":\"r\"}", t_as("sarah"), &d);
	fz_copy_field(bead, sizeof bead, d, "id");
	cJSON_Delete(d);
	mac_hmac_sha256(FZ_GITHUB_SECRET, strlen(FZ_GITHUB_SECRET), &part, 1, mac);
	o = (size_t)snprintf(headers, sizeof headers, "{\"x-github-event\":\"issues\",\"x-github-delivery\":\"d-7\","
			     "\"x-hub-signature-256\":\"sha256=");
	for (int i = 0; i < 32; i++)
		o += (size_t)snprintf(headers + o, sizeof headers - o, "%02x", mac[i]);
	snprintf(headers + o, sizeof headers - o, "\"}");
	fz_must("POST", "/api/towns/t1/hooks/github", issue, headers, NULL);
	run_alarms(12000);
	/* The polecat's start carries its token: with it, the bead is done and goes to a pull request. */
	for (size_t i = started; i < fz_neffects; i++) {
		const char *a = strstr(fz_effects[i].url, "/agents/"), *end = a ? strstr(a, "/start") : NULL;
		char path[160];

		if (!*fz_effects[i].token || !end || end - a - 8 >= (long)sizeof agent || strstr(a, "/agents/mayor/"))
			continue;
		snprintf(agent, sizeof agent, "%.*s", (int)(end - a - 8), a + 8);
		snprintf(headers, sizeof headers, "{\"authorization\":\"Bearer %s\"}", fz_effects[i].token);
		snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"gt/%s/%s\"}", bead, agent, bead);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/done", agent);
		fz_must("POST", path, body, headers, NULL);
		run_alarms(12000);
		break;
	}
	wasteland();
	if (fz_neffects == 0) {
		fprintf(stderr, "fuzz: building the town made no effects to answer\n");
		abort();
	}
}

/* Keep the effects still pending once built (the alarms resolved some as lost): answering one
 * changes the town. */
static void keep_pending(void)
{
	size_t kept = 0;

	fz_world_reset();
	for (size_t i = 0; i < fz_neffects; i++) {
		struct eng_output out;
		char meta[128];

		snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":false,\"error\":{\"code\":\"x\"}}", fz_effects[i].id);
		fz_event(ENG_EV_EFFECT_RESULT, meta, strlen(meta), NULL, 0, &out);
		if (fz_world_reset())
			fz_effects[kept++] = fz_effects[i];
	}
	fz_neffects = kept;
	fz_world_reset();
	/* The choice digit of each (line 1's first character, from '0'), for writing seeds. */
	if (getenv("FUZZ_VERBOSE"))
		for (size_t i = 0; i < fz_neffects; i++)
			fprintf(stderr, "fuzz: pending '%c': %s %.100s\n", (char)('0' + i), fz_effects[i].method, fz_effects[i].url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = {200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503};
	static const char *const codes[] = {"timeout", "network", "lost", "too_large", "x"};
	struct fz f = {data, size};
	char *first, *extra, *meta;
	size_t cap;
	struct eng_output out;

	if (!fz_w.e) {
		fz_world_init(ENG_TOWN, "t1", 0, build);
		keep_pending();
	}
	fz_world_reset();
	first = fz_line(&f);
	extra = fz_line(&f);
	if (first[0] == '{') {
		fz_event(ENG_EV_EFFECT_RESULT, first, strlen(first), f.p, f.n, &out);
	} else {
		size_t n = strlen(first);
		unsigned which = n > 0 ? (unsigned)(first[0] - '0') : 0;
		unsigned failed = n > 1 ? (unsigned)(first[1] - '0') % 2 : 0;
		unsigned detail = n > 2 ? (unsigned)(first[2] - '0') : 0;
		const char *id = which % (fz_neffects + 1) < fz_neffects ? fz_effects[which % (fz_neffects + 1)].id : "fx-none";

		cap = strlen(extra) + 256;
		meta = malloc(cap);
		if (failed)
			snprintf(meta, cap, "{\"id\":\"%s\",\"ok\":false,\"error\":{\"code\":\"%s\",\"message\":\"m\"}%s%s}", id,
				 codes[detail % 5], *extra ? "," : "", extra);
		else
			snprintf(meta, cap, "{\"id\":\"%s\",\"ok\":true,\"status\":%d%s%s}", id, statuses[detail % 15],
				 *extra ? "," : "", extra);
		fz_event(ENG_EV_EFFECT_RESULT, meta, strlen(meta), f.p, f.n, &out);
		free(meta);
	}
	free(first);
	free(extra);
	return 0;
}
