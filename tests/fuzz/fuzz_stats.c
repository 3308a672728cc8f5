/*
 * fuzz_stats.c - the StatsDO (src/run/platform_stats.c): a town's report body as any caller sends
 * it, the platform's figures and recommendations under any query, and the alarm's sums over what
 * was taken. The world holds two towns' reports, summed, so queries meet rows.
 *
 * Input: line 1 the choices: what (0 a report, 1 GET /api/stats, 2 GET /api/stats/recommend, 3 a
 * report then the alarm), who sends a report (0 the town itself, 1 another town, 2 nobody, 3 an
 * organization) or who asks (fz_who); line 2 the town id (a report) or the query (a read); the rest
 * is the report's body.
 */
#include "fuzz.h"

static const char report[] =
	"{\"seq\":5,\"rows\":[[\"all\",\"\",\"\",\"\",10,8,9,1,1,2,4000000,60000],"
	"[\"model\",\"sonnet\",\"task\",\"python\",6,5,6,0,0,1,2400000,30000],"
	"[\"variant\",\"sonnet|-|claude\",\"\",\"\",10,8,9,1,1,2,4000000,60000],"
	"[\"persona\",\"custom\",\"bug\",\"\",4,3,3,1,1,0,1600000,20000]]}";

static void put(const char *town, const char *caller, const void *body, size_t len)
{
	char path[300], headers[300];
	struct eng_output out;

	snprintf(path, sizeof path, "/_internal/reports/%s", town);
	if (caller)
		snprintf(headers, sizeof headers, "{\"x-gastown-caller\":\"%s\"}", caller);
	fz_request("PUT", path, NULL, body, len, caller ? headers : NULL, &out);
}

static void sum_now(void)
{
	struct eng_output out;

	fz_w.now_ms = FZ_NOW + 10000;
	fz_event(ENG_EV_ALARM, "{}", 2, NULL, 0, &out);
	fz_w.now_ms = 0;
}

static void build(void)
{
	put("t1", "town:t1", report, strlen(report));
	put("t2", "town:t2", report, strlen(report));
	sum_now();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	char *choices = fz_line(&f), *second = fz_line(&f), auth[4200], headers[4300], caller[200];
	size_t n = strlen(choices);
	unsigned what = n > 0 ? (unsigned)(choices[0] - '0') % 4 : 0, who = n > 1 ? (unsigned)(choices[1] - '0') : 0;
	struct eng_output out;

	fz_world_init(ENG_STATS, "platform", 0, build);
	fz_world_reset();
	if (what == 1 || what == 2) {
		const char *h = fz_who(who, auth, sizeof auth);

		if (h)
			snprintf(headers, sizeof headers, "{\"authorization\":\"%s\"}", h);
		fz_request("GET", what == 1 ? "/api/stats" : "/api/stats/recommend", second, NULL, 0, h ? headers : NULL, &out);
	} else {
		const char *town = *second ? second : "t1";

		/* The town itself, another, nobody, an organization of the same name. */
		snprintf(caller, sizeof caller, "%s:%.100s", who % 4 == 3 ? "org" : "town", who % 4 == 1 ? "t9" : town);
		put(town, who % 4 == 2 ? NULL : caller, f.p, f.n);
		if (what == 3)
			sum_now();
	}
	free(choices);
	free(second);
	return 0;
}
