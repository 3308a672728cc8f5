/*
 * fuzz_log.c - the AgentLogDO (src/memory/agent_log.c, log_index.c, log_wipe.c): an agent's batch
 * body as the town passes it on (any keep, any stamp), a search under any query (FTS5's own query
 * language included), the town's beads and notes, and a wipe with its slices on the alarm. The
 * world holds events of two agents and a note, so searches meet rows and trims drop some.
 *
 * Input: line 1 the choices: what (0 a batch, 1 a search, 2 an agent's listing, 3 the town's
 * index items, 4 a wipe then a batch then the alarm), who stamps it (0 the town itself, 1 another
 * town, 2 nobody), then the log_keep digits; line 2 the agent (a batch, a listing) or the query (a
 * search, a listing's); the rest is the body.
 */
#include "fuzz.h"

static const char batch[] =
	"{\"events\":[{\"id\":\"a1\",\"kind\":\"message\",\"text\":\"a race condition in checkout\"},"
	"{\"id\":\"a2\",\"kind\":\"tool\",\"tool\":\"Edit\",\"path\":\"src/payments/charge.c\",\"text\":\"{\\\"old\\\":1}\"},"
	"{\"id\":\"a3\",\"kind\":\"command\",\"tool\":\"Bash\",\"text\":\"make test\",\"size\":90000}]}";
static const char items[] =
	"{\"items\":[{\"id\":\"note:n1\",\"kind\":\"note\",\"agent\":\"toast\",\"path\":\"src/payments/\","
	"\"text\":\"lock the cart first\"},{\"id\":\"bead:gt-1\",\"kind\":\"bead\",\"agent\":\"alice\",\"bead\":\"gt-1\","
	"\"text\":\"Flaky totals\\nrounding\"}]}";

static const char *stamp(unsigned who, const char *keep, char *out, size_t len)
{
	if (who % 3 == 2)
		return NULL;
	snprintf(out, len, "{\"x-gastown-caller\":\"town:%s\",\"x-log-keep\":\"%.12s\",\"x-log-bead\":\"gt-1\","
		 "\"x-log-rig\":\"r\"}", who % 3 == 1 ? "t9" : "t1", keep);
	return out;
}

static void ingest(const char *agent, const char *headers, const void *body, size_t len)
{
	char path[300];
	struct eng_output out;

	snprintf(path, sizeof path, "/_internal/agents/%.100s/log", agent);
	fz_request("POST", path, NULL, body, len, headers, &out);
}

static void build(void)
{
	char h[300];
	struct eng_output out;

	ingest("toast", stamp(0, "4", h, sizeof h), batch, strlen(batch));
	ingest("nux", stamp(0, "100", h, sizeof h), batch, strlen(batch));
	fz_request("POST", "/_internal/index", NULL, items, strlen(items), stamp(0, "1", h, sizeof h), &out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	char *choices = fz_line(&f), *second = fz_line(&f), headers[300];
	size_t n = strlen(choices);
	unsigned what = n > 0 ? (unsigned)(choices[0] - '0') % 5 : 0, who = n > 1 ? (unsigned)(choices[1] - '0') : 0;
	const char *keep = n > 2 ? choices + 2 : "5000", *h = stamp(who, keep, headers, sizeof headers);
	struct eng_output out;

	fz_world_init(ENG_LOG, "t1", 0, build);
	fz_world_reset();
	switch (what) {
	case 0:
		ingest(*second ? second : "toast", h, f.p, f.n);
		break;
	case 1:
		fz_request("GET", "/_internal/search", second, NULL, 0, h, &out);
		break;
	case 2:
		fz_request("GET", "/_internal/agents/toast/log", second, NULL, 0, h, &out);
		break;
	case 3:
		fz_request("POST", "/_internal/index", NULL, f.p, f.n, h, &out);
		break;
	default:
		fz_request("DELETE", "/_internal/log", NULL, NULL, 0, h, &out);
		ingest("toast", h, f.p, f.n);
		fz_w.now_ms = FZ_NOW + 1000;
		fz_event(ENG_EV_ALARM, "{}", 2, NULL, 0, &out);
		fz_w.now_ms = 0;
		break;
	}
	free(choices);
	free(second);
	return 0;
}
