/*
 * native-calls.c - a repeatable instruction count for one engine call: N requests through engine.h
 * on a native file database. Run under callgrind (`make bench-native`), the count does not depend
 * on machine load, so a change in the engine's per-call cost shows up exactly.
 *
 * Modes (the second argument): kv (default) writes a key of the test probe; beads files a bead
 * over the HTTP API as a member; mcp files the same bead through the MCP server's tools/call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

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
