/*
 * native-calls.c - a repeatable instruction count for one engine call: N write requests through
 * engine.h on a native file database. Run under callgrind (`make bench-native`), the count does not
 * depend on machine load, so a change in the engine's per-call cost shows up exactly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	struct eng *e;
	char path[128];

	t_fresh_db();
	e = t_open(ENG_TOWN, "bench", 1);
	for (int i = 0; i < n; i++) {
		struct t_res r;

		snprintf(path, sizeof path, "/api/towns/bench/_test/kv/k%d", i);
		r = t_request(e, "PUT", path, "{\"value\":\"hello\"}", NULL);
		if (r.status != 200) {
			fprintf(stderr, "request %d failed with %d\n", i, r.status);
			return 1;
		}
		t_res_free(&r);
	}
	eng_close(e);
	t_cleanup();
	printf("%d write calls\n", n);
	return 0;
}
