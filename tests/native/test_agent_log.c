/*
 * test_agent_log.c - the agent log (docs/memory.md), both sides. The AgentLogDO: only its town may
 * call it; a batch is stored once however often it is sent; FTS5 finds events by their words and
 * paths, with filters, newest first on request, and a query it cannot read is the caller's 400; an
 * agent keeps its newest log_keep events and the search forgets the rest; a long text is cut with
 * its size kept; malformed batches and strangers leave storage as it was. The town: an agent's
 * batch passes on with the bead and rig it is on; members read and search through the town, an
 * outsider and another agent are refused before anything passes.
 */
#include "harness.h"
#include "memory/memory.h"
#include "sqlite3.h"

#define OPERATOR "{\"authorization\":\"Bearer operator-secret\"}"
#define FROM_TOWN "{\"x-gastown-caller\":\"town:t1\",\"x-log-bead\":\"gt-1\",\"x-log-rig\":\"r\",\"x-log-keep\":\"%d\"}"

static int index_sound(void);

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static const char *from_town(int keep)
{
	static char h[256];

	snprintf(h, sizeof h, FROM_TOWN, keep);
	return h;
}

static void digest(struct eng *e, char *out, size_t len)
{
	struct t_res r = t_request(e, "GET", "/_internal/debug/storage", NULL, OPERATOR);

	snprintf(out, len, "%s", str(cJSON_GetObjectItem(r.body, "data"), "digest"));
	t_res_free(&r);
}

static struct t_res ingest(struct eng *e, const char *agent, const char *body, int keep)
{
	char path[128];

	snprintf(path, sizeof path, "/_internal/agents/%s/log", agent);
	return t_request(e, "POST", path, body, from_town(keep));
}

static const cJSON *results(const struct t_res *r)
{
	return t_data(r, "results");
}

static struct t_res search(struct eng *e, const char *query)
{
	char path[1024];

	snprintf(path, sizeof path, "/_internal/search?%s", query);
	return t_request(e, "GET", path, NULL, "{\"x-gastown-caller\":\"town:t1\"}");
}

static const char *const batch =
	"{\"events\":["
	"{\"id\":\"r1-1\",\"kind\":\"message\",\"text\":\"I suspect a race condition in checkout when two charges land\",\"at_ms\":1000},"
	"{\"id\":\"r1-2\",\"kind\":\"tool\",\"tool\":\"Edit\",\"path\":\"src/payments/charge.c\",\"text\":\"lock the cart before charging\",\"at_ms\":2000},"
	"{\"id\":\"r1-3\",\"kind\":\"command\",\"tool\":\"Bash\",\"text\":\"make test\",\"at_ms\":3000}]}";

static void stored_once_and_found(void)
{
	struct eng *e;
	struct t_res r;
	const cJSON *hit, *part;
	int marked = 0;

	t_fresh_db();
	e = t_open(ENG_LOG, "t1", 0);
	r = ingest(e, "toast", batch, 5000);
	CHECK(r.status == 200 && cJSON_GetNumberValue(t_data(&r, "stored")) == 3);
	t_res_free(&r);
	/* The same batch again (its answer was lost): nothing new. */
	r = ingest(e, "toast", batch, 5000);
	CHECK(r.status == 200 && cJSON_GetNumberValue(t_data(&r, "stored")) == 0 &&
	      cJSON_GetNumberValue(t_data(&r, "duplicates")) == 3);
	t_res_free(&r);

	r = search(e, "q=race%20checkout");
	CHECK(r.status == 200 && cJSON_GetArraySize(results(&r)) == 1);
	hit = cJSON_GetArrayItem(results(&r), 0);
	CHECK(t_streq(str(hit, "agent"), "toast") && t_streq(str(hit, "bead"), "gt-1") && t_streq(str(hit, "rig"), "r") &&
	      t_streq(str(hit, "kind"), "message") && t_streq(str(hit, "id"), "r1-1"));
	cJSON_ArrayForEach(part, cJSON_GetObjectItem(hit, "snippet"))
		marked += cJSON_IsTrue(cJSON_GetObjectItem(part, "hit")) &&
			  (t_streq(str(part, "text"), "race") || t_streq(str(part, "text"), "checkout"));
	CHECK(marked == 2);
	t_res_free(&r);

	/* A path's words are searchable, and a path prefix filters. */
	r = search(e, "q=payments");
	CHECK(cJSON_GetArraySize(results(&r)) == 1 && t_streq(str(cJSON_GetArrayItem(results(&r), 0), "path"), "src/payments/charge.c"));
	t_res_free(&r);
	r = search(e, "path=src/payments/");
	CHECK(r.status == 200 && cJSON_GetArraySize(results(&r)) == 1 &&
	      t_streq(str(cJSON_GetArrayItem(results(&r), 0), "tool"), "Edit"));
	t_res_free(&r);
	r = search(e, "q=lock%20OR%20race&path=src/payments/");
	CHECK(cJSON_GetArraySize(results(&r)) == 1);
	t_res_free(&r);
	/* Filters: another agent, a kind, a time window; newest first. */
	r = search(e, "q=race&agent=nux");
	CHECK(r.status == 200 && cJSON_GetArraySize(results(&r)) == 0);
	t_res_free(&r);
	r = search(e, "q=make%20OR%20race&kind=command");
	CHECK(cJSON_GetArraySize(results(&r)) == 1 && t_streq(str(cJSON_GetArrayItem(results(&r), 0), "id"), "r1-3"));
	t_res_free(&r);
	r = search(e, "q=make%20OR%20race&since_ms=1500");
	CHECK(cJSON_GetArraySize(results(&r)) == 1);
	t_res_free(&r);
	r = search(e, "q=make%20OR%20race%20OR%20lock");
	CHECK(cJSON_GetArraySize(results(&r)) == 3 && t_streq(str(cJSON_GetArrayItem(results(&r), 0), "id"), "r1-3"));
	t_res_free(&r);
	/* Best first: the event with both words ranks over those with one, however old. */
	r = search(e, "q=race%20OR%20checkout%20OR%20make&order=relevance");
	CHECK(cJSON_GetArraySize(results(&r)) == 2 && t_streq(str(cJSON_GetArrayItem(results(&r), 0), "id"), "r1-1"));
	t_res_free(&r);
	eng_close(e);
}

static void bad_queries_are_the_callers(void)
{
	static const char *const bad[] = {
		"q=%22unbalanced",    /* an open phrase */
		"q=nosuchcolumn:race", /* a column filter on no column */
		"q=AND",              /* an operator alone */
		"",                   /* nothing to search for */
		"q=race&kind=bogus",
		"q=race&order=oldest",
		"q=race&limit=0",
	};
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	e = t_open(ENG_LOG, "t1", 0);
	r = ingest(e, "toast", batch, 5000);
	t_res_free(&r);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = search(e, bad[i]);
		CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
		if (r.status != 400)
			fprintf(stderr, "  query %s: %d\n", bad[i], r.status);
		t_res_free(&r);
	}
	/* The engine goes on serving. */
	r = search(e, "q=race");
	CHECK(r.status == 200 && cJSON_GetArraySize(results(&r)) == 1);
	t_res_free(&r);
	eng_close(e);
}

static void bounded_per_agent_and_cut(void)
{
	struct eng *e;
	struct t_res r;
	char *body = malloc(200000), *p;
	const cJSON *ev;
	int n = 0;

	t_fresh_db();
	e = t_open(ENG_LOG, "t1", 0);
	/* 150 events of toast, the first with a word no other has; nux's one event stays. */
	r = ingest(e, "nux", "{\"events\":[{\"id\":\"n1\",\"kind\":\"output\",\"text\":\"hello\"}]}", 100);
	t_res_free(&r);
	p = body + sprintf(body, "{\"events\":[");
	for (int i = 0; i < 150; i++)
		p += sprintf(p, "%s{\"id\":\"e%d\",\"kind\":\"output\",\"text\":\"%s line %d\"}", i ? "," : "", i,
			     i == 0 ? "zanzibar" : "ordinary", i);
	sprintf(p, "]}");
	r = ingest(e, "toast", body, 100);
	CHECK(r.status == 200 && cJSON_GetNumberValue(t_data(&r, "stored")) == 150 &&
	      cJSON_GetNumberValue(t_data(&r, "dropped")) == 50);
	t_res_free(&r);
	r = t_request(e, "GET", "/_internal/agents/toast/log?limit=1000", NULL, "{\"x-gastown-caller\":\"town:t1\"}");
	CHECK(r.status == 200 && cJSON_GetArraySize(t_data(&r, "events")) == 100);
	CHECK(t_streq(str(cJSON_GetArrayItem(t_data(&r, "events"), 0), "id"), "e50"));
	t_res_free(&r);
	r = search(e, "q=zanzibar");
	CHECK(r.status == 200 && cJSON_GetArraySize(results(&r)) == 0);
	t_res_free(&r);
	/* The engine holds its database exclusively: FTS5's check runs between two of its opens. */
	eng_close(e);
	CHECK(index_sound());
	e = t_open(ENG_LOG, "t1", 0);
	r = search(e, "q=hello");
	CHECK(cJSON_GetArraySize(results(&r)) == 1);
	t_res_free(&r);

	/* A text longer than the log keeps: cut, its size recorded. */
	p = body + sprintf(body, "{\"events\":[{\"id\":\"big\",\"kind\":\"result\",\"tool\":\"Read\",\"size\":50000,\"text\":\"");
	memset(p, 'a', 10000);
	p += 10000;
	sprintf(p, "\"}]}");
	r = ingest(e, "toast", body, 100);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "GET", "/_internal/agents/toast/log?after=0&limit=1000", NULL, "{\"x-gastown-caller\":\"town:t1\"}");
	cJSON_ArrayForEach(ev, t_data(&r, "events")) {
		if (!t_streq(str(ev, "id"), "big"))
			continue;
		n++;
		CHECK(strlen(str(ev, "text")) == LOG_TEXT_KEEP && cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "size")) == 50000 &&
		      cJSON_IsTrue(cJSON_GetObjectItem(ev, "truncated")));
	}
	CHECK(n == 1 && cJSON_GetArraySize(t_data(&r, "events")) == 100);
	t_res_free(&r);
	free(body);
	eng_close(e);
}

static void bad_batches_and_strangers_change_nothing(void)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{}",
		"{\"events\":[]}",
		"{\"events\":{}}",
		"{\"events\":[{\"id\":\"a b\",\"kind\":\"output\",\"text\":\"x\"}]}",
		"{\"events\":[{\"id\":\"a\",\"kind\":\"gossip\",\"text\":\"x\"}]}",
		"{\"events\":[{\"id\":\"a\",\"kind\":\"output\"}]}",
		"{\"events\":[{\"id\":\"a\",\"kind\":\"output\",\"text\":7}]}",
		"{\"events\":[{\"id\":\"a\",\"kind\":\"output\",\"text\":\"x\",\"at_ms\":\"soon\"}]}",
		"{\"events\":[{\"id\":\"ok\",\"kind\":\"output\",\"text\":\"x\"},{\"id\":\"a\",\"kind\":\"output\",\"text\":\"x\",\"size\":-1}]}",
	};
	struct eng *e;
	struct t_res r;
	char before[200], after[200];
	char *big = malloc(LOG_TEXT_IN_MAX + 200), *many = malloc(300 * 64);

	t_fresh_db();
	e = t_open(ENG_LOG, "t1", 0);
	r = ingest(e, "toast", batch, 5000);
	t_res_free(&r);
	digest(e, before, sizeof before);
	CHECK(before[0] != '\0');
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = ingest(e, "toast", bad[i], 5000);
		CHECK(r.status == 400);
		t_res_free(&r);
	}
	/* Too long a text, too many events. */
	{
		char *p = big + sprintf(big, "{\"events\":[{\"id\":\"a\",\"kind\":\"output\",\"text\":\"");

		memset(p, 'x', LOG_TEXT_IN_MAX + 1);
		sprintf(p + LOG_TEXT_IN_MAX + 1, "\"}]}");
		r = ingest(e, "toast", big, 5000);
		CHECK(r.status == 400);
		t_res_free(&r);
		p = many + sprintf(many, "{\"events\":[");
		for (int i = 0; i <= LOG_EVENTS_PER_CALL; i++)
			p += sprintf(p, "%s{\"id\":\"m%d\",\"kind\":\"output\",\"text\":\"x\"}", i ? "," : "", i);
		sprintf(p, "]}");
		r = ingest(e, "toast", many, 5000);
		CHECK(r.status == 413);
		t_res_free(&r);
	}
	/* No town's stamp, another town's, and no retention named. */
	r = t_request(e, "POST", "/_internal/agents/toast/log", batch, NULL);
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "POST", "/_internal/agents/toast/log", batch, "{\"x-gastown-caller\":\"town:t2\",\"x-log-keep\":\"10\"}");
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "POST", "/_internal/agents/toast/log", batch, "{\"x-gastown-caller\":\"town:t1\"}");
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "GET", "/_internal/search?q=race", NULL, "{\"x-gastown-caller\":\"town:t2\"}");
	CHECK(r.status == 403);
	t_res_free(&r);
	digest(e, after, sizeof after);
	CHECK(strcmp(before, after) == 0);
	free(big);
	free(many);
	eng_close(e);
}

/* The pass in a town's answer: its url and headers (NULL when there is none). */
static const cJSON *pass_of(const struct t_res *r)
{
	return cJSON_GetObjectItem(r->meta, "pass");
}

static void the_town_lets_in_and_passes_on(void)
{
	struct eng *e = t_town(1);
	char token[1024], auth[1200], bead[64];
	const cJSON *p;
	struct t_res r;

	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Charges\",\"rig\":\"r\",\"held\":true}", t_as("sarah"));
	snprintf(bead, sizeof bead, "%s", str(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	{
		char body[128];

		snprintf(body, sizeof body, "{\"bead\":\"%s\"}", bead);
		r = t_request(e, "POST", "/api/towns/t1/agents/toast/hook", body, t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	r = t_request(e, "PATCH", "/api/towns/t1", "{\"settings\":{\"log_keep\":300}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/token", NULL, t_as("sarah"));
	snprintf(token, sizeof token, "%s", cJSON_GetStringValue(t_data(&r, "token")));
	t_res_free(&r);
	snprintf(auth, sizeof auth, "{\"authorization\":\"Bearer %s\"}", token);

	r = t_request(e, "POST", "/api/towns/t1/agents/toast/log", batch, auth);
	p = pass_of(&r);
	CHECK(r.status == 200 && t_streq(str(p, "url"), "do://log/t1/_internal/agents/toast/log"));
	p = cJSON_GetObjectItem(p, "headers");
	CHECK(t_streq(str(p, "x-log-bead"), bead) && t_streq(str(p, "x-log-rig"), "r") && t_streq(str(p, "x-log-keep"), "300"));
	t_res_free(&r);
	/* An agent writes its own log only; a person does not write one. */
	r = t_request(e, "POST", "/api/towns/t1/agents/nux/log", batch, auth);
	CHECK(r.status == 403 && !pass_of(&r));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/log", batch, t_as("sarah"));
	CHECK(r.status >= 400 && !pass_of(&r));
	t_res_free(&r);

	/* Members search and read, with the query passed as it came; agents search too. */
	r = t_request(e, "GET", "/api/towns/t1/search?q=race&limit=5", NULL, t_as("sarah"));
	CHECK(r.status == 200 && t_streq(str(pass_of(&r), "url"), "do://log/t1/_internal/search?q=race&limit=5"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/search?q=race", NULL, auth);
	CHECK(r.status == 200 && pass_of(&r));
	t_res_free(&r);
	/* The longest query the log takes, every byte escaped, passes on whole. */
	{
		char path[2048] = "/api/towns/t1/search?q=";

		for (int i = 0; i < 245; i++)
			strcat(path, "%C3%A9");
		r = t_request(e, "GET", path, NULL, t_as("sarah"));
		CHECK(r.status == 200 && strlen(str(pass_of(&r), "url")) > 245 * 6);
		t_res_free(&r);
	}
	r = t_request(e, "GET", "/api/towns/t1/agents/toast/log?after=3", NULL, t_as("sarah"));
	CHECK(r.status == 200 && t_streq(str(pass_of(&r), "url"), "do://log/t1/_internal/agents/toast/log?after=3"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/agents/ghost/log", NULL, t_as("sarah"));
	CHECK(r.status == 404 && !pass_of(&r));
	t_res_free(&r);
	/* An outsider gets nothing passed on (to them there is no such town). */
	r = t_request(e, "GET", "/api/towns/t1/search?q=race", NULL, t_as("mallory"));
	CHECK(r.status == 404 && !pass_of(&r));
	t_res_free(&r);
	eng_close(e);
}

/* FTS5's own check of the index against the events (external content: every row's tokens). */
static int index_sound(void)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(t_db, &db) != SQLITE_OK)
		return 0;
	rc = sqlite3_exec(db, "INSERT INTO log_search(log_search, rank) VALUES ('integrity-check', 1)", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK;
}

static int64_t events_left(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_open(t_db, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM log_events", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void a_deleted_town_takes_its_log(void)
{
	struct eng *e = t_town(0);
	struct t_res r;
	const cJSON *fx;
	char *body = malloc(64 * 256 + 64), *p;
	int asked = 0;

	/* The town, deleted, asks its log object to wipe. */
	r = t_request(e, "DELETE", "/api/towns/t1", NULL, t_as("sarah"));
	CHECK(r.status == 200 || r.status == 204);
	cJSON_ArrayForEach(fx, cJSON_GetObjectItem(r.meta, "effects"))
		asked += t_streq(str(fx, "url"), "do://log/t1/_internal/log") && t_streq(str(fx, "method"), "DELETE");
	CHECK(asked == 1);
	t_res_free(&r);
	eng_close(e);

	/* The log object: 25,000 events, more than one slice. */
	t_fresh_db();
	e = t_open(ENG_LOG, "t1", 0);
	for (int b = 0; b < 100; b++) {
		p = body + sprintf(body, "{\"events\":[");
		for (int i = 0; i < 250; i++)
			p += sprintf(p, "%s{\"id\":\"e%d-%d\",\"kind\":\"output\",\"text\":\"zebra %d\"}", i ? "," : "", b, i, i);
		sprintf(p, "]}");
		r = ingest(e, b % 2 ? "toast" : "nux", body, 100000);
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	r = t_request(e, "DELETE", "/_internal/log", NULL, "{\"x-gastown-caller\":\"town:t2\"}");
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "DELETE", "/_internal/log", NULL, "{\"x-gastown-caller\":\"town:t1\"}");
	CHECK(r.status == 200 && cJSON_GetArraySize(cJSON_GetObjectItem(r.meta, "effects")) == 0);
	t_res_free(&r);
	/* Found nowhere at once, though a slice is still to go. */
	r = search(e, "q=zebra");
	CHECK(r.status == 200 && cJSON_GetArraySize(results(&r)) == 0);
	t_res_free(&r);
	r = t_request(e, "GET", "/_internal/agents/toast/log", NULL, "{\"x-gastown-caller\":\"town:t1\"}");
	CHECK(r.status == 200 && cJSON_GetArraySize(t_data(&r, "events")) == 0);
	t_res_free(&r);
	eng_close(e);
	CHECK(events_left() == 5000);
	e = t_open(ENG_LOG, "t1", 0);
	/* A new town of the same id logs meanwhile: its events stay and are found. */
	r = ingest(e, "toast", "{\"events\":[{\"id\":\"new-1\",\"kind\":\"output\",\"text\":\"zebra again\"}]}", 100);
	CHECK(r.status == 200 && cJSON_GetNumberValue(t_data(&r, "stored")) == 1);
	t_res_free(&r);
	t_now += 1000;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(r.rc == ENG_OK);
	t_res_free(&r);
	eng_close(e);
	CHECK(events_left() == 1);
	CHECK(index_sound());
	e = t_open(ENG_LOG, "t1", 0);
	r = search(e, "q=zebra");
	CHECK(cJSON_GetArraySize(results(&r)) == 1 && t_streq(str(cJSON_GetArrayItem(results(&r), 0), "id"), "new-1"));
	t_res_free(&r);
	eng_close(e);
	free(body);
}

/* The effect to the log's index in r's output (NULL: none), and its id into fx. */
static cJSON *index_batch(const struct t_res *r, char *fx, size_t len)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(r->meta, "effects"))
		if (t_streq(str(f, "url"), "do://log/t1/_internal/index")) {
			snprintf(fx, len, "%s", str(f, "id"));
			return cJSON_Parse(str(f, "body"));
		}
	return NULL;
}

static struct t_res effect_result(struct eng *e, const char *fx, int status)
{
	char meta[256];

	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":%s,\"status\":%d}", fx, status ? "true" : "false", status);
	return t_event(e, ENG_EV_EFFECT_RESULT, meta, "1");
}

static void beads_and_notes_are_searched_too(void)
{
	struct eng *e = t_town(1), *log;
	struct t_res r;
	char fx[64], bead[64], body[1024];
	cJSON *sent;
	const cJSON *it;
	int beads = 0, notes = 0;

	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Flaky checkout totals\",\"body\":\"rounding in the cart\",\"held\":true}",
		      t_as("sarah"));
	snprintf(bead, sizeof bead, "%s", str(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/notes", "{\"path\":\"src/cart/\",\"text\":\"totals round half even\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	/* A couple of seconds later, one batch for both. */
	t_now += 2500;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	sent = index_batch(&r, fx, sizeof fx);
	CHECK(sent != NULL);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(sent, "items")) {
		beads += t_streq(str(it, "kind"), "bead") && t_streq(str(it, "agent"), "sarah") &&
			 strstr(str(it, "text"), "Flaky checkout totals") != NULL;
		notes += t_streq(str(it, "kind"), "note") && t_streq(str(it, "path"), "src/cart/") &&
			 t_streq(str(it, "text"), "totals round half even");
	}
	CHECK(beads == 1 && notes == 1);
	t_res_free(&r);
	/* Not taken: sent again, remade, half a minute later. */
	r = effect_result(e, fx, 503);
	CHECK(r.rc == ENG_OK);
	t_res_free(&r);
	t_now += 31000;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	cJSON_Delete(sent);
	CHECK((sent = index_batch(&r, fx, sizeof fx)) != NULL && cJSON_GetArraySize(cJSON_GetObjectItem(sent, "items")) == 2);
	t_res_free(&r);
	r = effect_result(e, fx, 200);
	t_res_free(&r);
	t_now += 60000;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(!index_batch(&r, fx, sizeof fx));
	t_res_free(&r);
	/* Its title edited: sent again as it reads now; its priority changed: not. */
	snprintf(body, sizeof body, "/api/towns/t1/beads/%s", bead);
	r = t_request(e, "PATCH", body, "{\"priority\":1}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	t_now += 2500;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(!index_batch(&r, fx, sizeof fx));
	t_res_free(&r);
	r = t_request(e, "PATCH", body, "{\"title\":\"Flaky checkout totals in euros\"}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	t_now += 2500;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	{
		cJSON *edited = index_batch(&r, fx, sizeof fx);

		CHECK(edited && cJSON_GetArraySize(cJSON_GetObjectItem(edited, "items")) == 1 &&
		      strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(edited, "items"), 0), "text"), "in euros") != NULL);
		cJSON_Delete(edited);
	}
	t_res_free(&r);
	r = effect_result(e, fx, 200);
	t_res_free(&r);
	/* The bead deleted: sent as gone. */
	snprintf(body, sizeof body, "/api/towns/t1/beads/%s", bead);
	r = t_request(e, "DELETE", body, NULL, t_as("sarah"));
	CHECK(r.status == 200 || r.status == 204);
	t_res_free(&r);
	t_now += 2500;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	{
		cJSON *gone = index_batch(&r, fx, sizeof fx);

		CHECK(gone && cJSON_GetArraySize(cJSON_GetObjectItem(gone, "items")) == 1 &&
		      cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(gone, "items"), 0), "gone")) &&
		      t_streq(str(cJSON_GetArrayItem(cJSON_GetObjectItem(gone, "items"), 0), "agent"), "sarah"));
		cJSON_Delete(gone);
	}
	t_res_free(&r);
	eng_close(e);

	/* The log object takes the first batch: both found, by their words and kind. */
	t_fresh_db();
	log = t_open(ENG_LOG, "t1", 0);
	{
		char *text = cJSON_PrintUnformatted(sent);

		r = t_request(log, "POST", "/_internal/index", text, "{\"x-gastown-caller\":\"town:t2\"}");
		CHECK(r.status == 403);
		t_res_free(&r);
		r = t_request(log, "POST", "/_internal/index", text, "{\"x-gastown-caller\":\"town:t1\"}");
		CHECK(r.status == 200);
		t_res_free(&r);
		/* Again: replaced, not doubled. */
		r = t_request(log, "POST", "/_internal/index", text, "{\"x-gastown-caller\":\"town:t1\"}");
		CHECK(r.status == 200);
		t_res_free(&r);
		cJSON_free(text);
	}
	cJSON_Delete(sent);
	r = search(log, "q=totals");
	CHECK(cJSON_GetArraySize(results(&r)) == 2);
	t_res_free(&r);
	r = search(log, "q=flaky&kind=bead");
	CHECK(cJSON_GetArraySize(results(&r)) == 1 && t_streq(str(cJSON_GetArrayItem(results(&r), 0), "bead"), bead) &&
	      t_streq(str(cJSON_GetArrayItem(results(&r), 0), "agent"), "sarah"));
	t_res_free(&r);
	r = search(log, "path=src/cart/");
	CHECK(cJSON_GetArraySize(results(&r)) == 1 && t_streq(str(cJSON_GetArrayItem(results(&r), 0), "kind"), "note"));
	t_res_free(&r);
	/* An agent's own events never push them out, and cannot take their ids. */
	r = ingest(log, "sarah", "{\"events\":[{\"id\":\"a1\",\"kind\":\"output\",\"text\":\"x\"},{\"id\":\"a2\",\"kind\":\"output\",\"text\":\"y\"}]}", 1);
	CHECK(r.status == 200 && cJSON_GetNumberValue(t_data(&r, "dropped")) == 1);
	t_res_free(&r);
	r = ingest(log, "sarah", "{\"events\":[{\"id\":\"note:x\",\"kind\":\"output\",\"text\":\"x\"}]}", 100);
	CHECK(r.status == 400);
	t_res_free(&r);
	r = search(log, "q=totals");
	CHECK(cJSON_GetArraySize(results(&r)) == 2);
	t_res_free(&r);
	/* Gone: out of the search. */
	snprintf(body, sizeof body, "{\"items\":[{\"id\":\"bead:%s\",\"kind\":\"bead\",\"agent\":\"sarah\",\"gone\":true}]}", bead);
	r = t_request(log, "POST", "/_internal/index", body, "{\"x-gastown-caller\":\"town:t1\"}");
	CHECK(r.status == 200);
	t_res_free(&r);
	r = search(log, "q=flaky");
	CHECK(cJSON_GetArraySize(results(&r)) == 0);
	t_res_free(&r);
	eng_close(log);
	CHECK(index_sound());
}

int main(void)
{
	stored_once_and_found();
	bad_queries_are_the_callers();
	bounded_per_agent_and_cut();
	bad_batches_and_strangers_change_nothing();
	the_town_lets_in_and_passes_on();
	a_deleted_town_takes_its_log();
	beads_and_notes_are_searched_too();
	return t_done();
}
