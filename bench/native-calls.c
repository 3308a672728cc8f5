/*
 * native-calls.c - a repeatable instruction count for one engine call: N requests through engine.h
 * on a native file database. Run under callgrind (`make bench-native`), the count does not depend
 * on machine load, so a change in the engine's per-call cost shows up exactly.
 *
 * Modes (the second argument): kv (default) writes a key of the test probe; beads files a bead
 * over the HTTP API as a member; mcp files the same bead through the MCP server's tools/call; hooks
 * delivers signed GitHub issues.opened deliveries (the third argument: a payload template whose
 * "{n}" is replaced by a fresh issue number, made by bench/hook-payload.mjs), each making a bead,
 * a link row, a Mayor message and a tracking-comment effect. hooks also prints each delivery's
 * wall-clock time (native, not wasm): its median, p95 and max, first and last tenth. With
 * BENCH_OPEN_BEADS=N the town holds N open beads (test-hook seed) before the first delivery.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "core/core.h"

static char *slurp(const char *file)
{
	FILE *f = fopen(file, "rb");
	long n;
	char *s;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(s = malloc((size_t)n + 1)) || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", file);
		exit(1);
	}
	s[n] = '\0';
	fclose(f);
	return s;
}

/* template with every "{n}" replaced by n, into out (malloc'd). */
static char *fill(const char *template, int n)
{
	size_t len = strlen(template) + 64 * 16;
	char *out = malloc(len), *o = out, num[16];
	const char *t = template, *at;

	snprintf(num, sizeof num, "%d", n);
	while ((at = strstr(t, "{n}"))) {
		memcpy(o, t, (size_t)(at - t));
		o += at - t;
		o += sprintf(o, "%s", num);
		t = at + 3;
	}
	strcpy(o, t);
	return out;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void times(const char *what, double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof *ms, cmp);
	printf("%s: median %.3f ms, p95 %.3f ms, max %.3f ms (%d deliveries)\n", what, ms[n / 2], ms[n * 95 / 100], ms[n - 1], n);
}

#define HOOK_SECRET "whsec-bench-0123456789abcdef"
/* Deliveries answered between two alarms: a batch, as bench.mjs times in workerd. */
#define BATCH 20

static double elapsed(struct timespec t0, struct timespec t1)
{
	return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static int hooks(struct eng *e, int n, const char *file)
{
	char *template = slurp(file), headers[512];
	double *ms = malloc(sizeof *ms * (size_t)n), *apply = malloc(sizeof *apply * (size_t)n);
	struct t_res r = t_request(e, "POST", "/api/towns/bench/rigs", "{\"id\":\"app\",\"git_url\":\"https://github.com/acme/app.git\"}",
				   t_as("sarah"));

	if (r.status != 201)
		return fprintf(stderr, "the rig was not made: %d\n", r.status), 1;
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/bench/integrations/github", "{\"secrets\":{\"webhook_secret\":\"" HOOK_SECRET "\","
		      "\"token\":\"ghp_bench\"},\"settings\":{\"api_url\":\"http://127.0.0.1:9\"}}", t_as("sarah"));
	if (r.status != 200)
		return fprintf(stderr, "the integration was not made: %d\n", r.status), 1;
	t_res_free(&r);
	/* BENCH_OPEN_BEADS=N: the town holds N open beads before the first delivery (the Mayor's
	 * message lists the town's beads in flight, so a delivery's cost depends on them). */
	if (getenv("BENCH_OPEN_BEADS") && atoi(getenv("BENCH_OPEN_BEADS")) > 0) {
		char seed[64];

		snprintf(seed, sizeof seed, "{\"count\":%d}", atoi(getenv("BENCH_OPEN_BEADS")));
		r = t_request(e, "POST", "/api/towns/bench/_test/beads-bulk", seed, NULL);
		if (r.status != 200)
			return fprintf(stderr, "the town was not seeded: %d\n", r.status), 1;
		t_res_free(&r);
	}
	for (int i = 0; i < n; i++) {
		char *body = fill(template, 1000 + i), hex[65];
		unsigned char mac[32];
		struct mac_part part = {body, strlen(body)};
		struct timespec t0, t1;

		mac_hmac_sha256(HOOK_SECRET, strlen(HOOK_SECRET), &part, 1, mac);
		for (int k = 0; k < 32; k++)
			sprintf(hex + 2 * k, "%02x", mac[k]);
		snprintf(headers, sizeof headers, "{\"content-type\":\"application/json\",\"x-github-event\":\"issues\","
			 "\"x-github-delivery\":\"d-%d\",\"x-hub-signature-256\":\"sha256=%s\"}", i, hex);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = t_request(e, "POST", "/api/towns/bench/hooks/github", body, headers);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = elapsed(t0, t1);
		if (r.status != 202 || strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "outcome")) ?: "", "queued")) {
			fprintf(stderr, "delivery %d: %d\n", i, r.status);
			return 1;
		}
		t_res_free(&r);
		free(body);
		/* The alarm applies what came, as the host would run it: every BATCH deliveries here. */
		if ((i + 1) % BATCH == 0 || i == n - 1) {
			int from = i / BATCH * BATCH;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			r = t_event(e, ENG_EV_ALARM, "{}", NULL);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (r.rc != ENG_OK)
				return fprintf(stderr, "the alarm failed\n"), 1;
			t_res_free(&r);
			for (int k = from; k <= i; k++)
				apply[k] = elapsed(t0, t1) / (i + 1 - from);
		}
	}
	if (n >= 20) {
		times("answered, first tenth", ms, n / 10);
		times("answered, last tenth", ms + n - n / 10, n / 10);
	}
	times("answered, all", ms, n);
	times("applied on the alarm, per delivery", apply, n);
	free(ms);
	free(apply);
	free(template);
	return 0;
}

#define MCP_HEADERS "{\"authorization\":\"Bearer %s\",\"accept\":\"application/json, text/event-stream\"," \
	"\"content-type\":\"application/json\",\"mcp-protocol-version\":\"2025-11-25\"}"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	const char *mode = argc > 2 ? argv[2] : "kv";
	struct eng *e;
	char path[128], headers[2048], body[256];

	t_fresh_db();
	e = t_open(ENG_TOWN, "bench", 1);
	if (strcmp(mode, "kv") != 0) {
		struct t_res r = t_request(e, "POST", "/api/towns/bench", "{\"name\":\"Bench\"}", t_as("sarah"));

		if (r.status != 201) {
			fprintf(stderr, "the town was not made: %d\n", r.status);
			return 1;
		}
		t_res_free(&r);
		snprintf(headers, sizeof headers, "%s", t_as("sarah"));
		if (strcmp(mode, "hooks") == 0) {
			int rc = hooks(e, n, argc > 3 ? argv[3] : "build/native/hook-payload.json");

			eng_close(e);
			t_cleanup();
			return rc;
		}
		if (strcmp(mode, "mcp") == 0) {
			const char *auth = strstr(headers, "Bearer ") + 7;
			char token[1800];

			snprintf(token, sizeof token, "%.*s", (int)(strchr(auth, '"') - auth), auth);
			snprintf(headers, sizeof headers, MCP_HEADERS, token);
		}
	}
	for (int i = 0; i < n; i++) {
		struct t_res r;
		int want = 200;

		if (strcmp(mode, "kv") == 0) {
			snprintf(path, sizeof path, "/api/towns/bench/_test/kv/k%d", i);
			r = t_request(e, "PUT", path, "{\"value\":\"hello\"}", NULL);
		} else if (strcmp(mode, "beads") == 0) {
			snprintf(body, sizeof body, "{\"title\":\"bead %d\"}", i);
			r = t_request(e, "POST", "/api/towns/bench/beads", body, headers);
			want = 201;
		} else {
			snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":"
				 "{\"name\":\"bead_create\",\"arguments\":{\"title\":\"bead %d\"}}}", i, i);
			r = t_request(e, "POST", "/api/towns/bench/mcp", body, headers);
		}
		if (r.status != want) {
			fprintf(stderr, "request %d failed with %d\n", i, r.status);
			return 1;
		}
		t_res_free(&r);
	}
	eng_close(e);
	t_cleanup();
	printf("%d %s calls\n", n, mode);
	return 0;
}
