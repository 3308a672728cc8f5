/*
 * test_dolt_sync.c - the Wasteland's full sync (src/federation/dolt_sync.c, wasteland.c): a town and
 * its DoltSyncDO as two engines in one process, their do:// effects carried between them as the
 * shim would (stamped with the calling object), DoltHub's answers scripted. The sync pages through
 * every labelled bead and hands over; the town writes only the schema and its rig; a sync object
 * closed mid-write resumes at the page in hand; a town that hears nothing for long starts it again;
 * wrong callers, wrong syncs and a disconnect are refused or stop it.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sqlite3.h"

#define TOWN "t1"
#define API "https://dolthub.test/api"

struct world {
	struct eng *town, *sync;
	char town_db[256], sync_db[256], sync_name[64];
	int town_writes, sync_writes, rows_written, ops, pages;
	int drop_dolthub; /* DoltHub calls left unanswered (lost) */
	int drop_start;   /* the town's start of the sync never arrives */
	int fail_writes;  /* the sync object's DoltHub writes answered 500 */
	int frozen;       /* the sync object neither wakes nor is reached: everything to or from it is lost */
	int starts;       /* starts (and starts again) the town sent */
	int drop_end;     /* the sync's "all written" never reaches the town (its call fails) */
	int lose_end;     /* the town takes it, but its answer is lost */
	int bad_page;     /* the town's pages reach the sync with a count or a timeout out of range */
	char wanted_ids[400][16];
	int wanted_n;
};

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static struct eng *open_at(enum eng_kind kind, const char *id, const char *path)
{
	snprintf(t_db, sizeof t_db, "%s", path);
	return t_open(kind, id, 0);
}

static void world_open(struct world *w, int beads)
{
	struct t_res r;
	char body[256];

	memset(w, 0, sizeof *w);
	snprintf(w->town_db, sizeof w->town_db, "/tmp/gastown-test-%d-town.db", (int)getpid());
	snprintf(w->sync_db, sizeof w->sync_db, "/tmp/gastown-test-%d-sync.db", (int)getpid());
	unlink(w->town_db);
	unlink(w->sync_db);
	w->town = open_at(ENG_TOWN, TOWN, w->town_db);
	r = t_request(w->town, "POST", "/api/towns/" TOWN, "{\"name\":\"T\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	for (int i = 0; i < beads; i++) {
		snprintf(body, sizeof body, "{\"title\":\"Poster %d\",\"labels\":[\"wasteland\"]%s}", i,
			 i % 5 == 0 ? ",\"type\":\"bug\"" : "");
		r = t_request(w->town, "POST", "/api/towns/" TOWN "/beads", body, t_as("sarah"));
		CHECK(r.status == 201);
		t_res_free(&r);
	}
}

static void world_close(struct world *w)
{
	if (w->town)
		eng_close(w->town);
	if (w->sync)
		eng_close(w->sync);
	unlink(w->town_db);
	unlink(w->sync_db);
	t_db[0] = '\0';
}

/* The effects of one output, queued for the pump: who made it and the effect itself. */
struct pending {
	int from_sync;
	cJSON *fx;
};
static struct pending queue[4096];
static int queue_n;

static void take(const struct t_res *r, int from_sync)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(r->meta, "effects"))
		if (queue_n < (int)(sizeof queue / sizeof queue[0]))
			queue[queue_n++] = (struct pending){from_sync, cJSON_Duplicate(f, 1)};
}

static void result(struct world *w, int to_sync, const char *fx, int status, const char *body)
{
	char meta[256];
	struct t_res r;

	if (status)
		snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":%d}", fx, status);
	else
		snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":false,\"error\":{\"code\":\"timeout\",\"message\":\"lost\"}}", fx);
	/* A closed object wakes for the answer, as a Durable Object would. */
	if (to_sync && !w->sync)
		w->sync = open_at(ENG_SYNC, w->sync_name, w->sync_db);
	r = t_event(to_sync ? w->sync : w->town, ENG_EV_EFFECT_RESULT, meta, body);
	CHECK(r.rc == ENG_OK);
	take(&r, to_sync);
	t_res_free(&r);
}

/* A statement as DoltHub would take it: the posters it upserts are counted (their ids noted). */
static void dolthub_write(struct world *w, int from_sync, const char *fx, const char *sql)
{
	char body[128];

	if (from_sync && w->fail_writes > 0) {
		w->fail_writes--;
		result(w, from_sync, fx, 500, "{\"message\":\"injected\"}");
		return;
	}
	if (from_sync)
		w->sync_writes++;
	else
		w->town_writes++;
	if (!strncmp(sql, "INSERT INTO wanted", 18))
		for (const char *p = sql; (p = strstr(p, "('w-")) != NULL; p += 4) {
			w->rows_written++;
			if (w->wanted_n < 400)
				snprintf(w->wanted_ids[w->wanted_n++], 16, "%.12s", p + 2);
		}
	snprintf(body, sizeof body, "{\"operation_name\":\"operations/%d\"}", ++w->ops);
	result(w, from_sync, fx, 200, body);
}

/* One effect carried: to DoltHub, or to the other object as a request stamped with the caller. */
static void deliver(struct world *w, const struct pending *p)
{
	const char *url = str(p->fx, "url"), *fx = str(p->fx, "id"), *method = str(p->fx, "method");

	if (!strncmp(url, "do://sync/", 10) && !strcmp(method, "POST"))
		w->starts++;
	if (w->frozen && (p->from_sync || !strncmp(url, "do://sync/", 10)))
		return;

	if (!strncmp(url, API, strlen(API))) {
		const char *path = url + strlen(API);

		if (w->drop_dolthub > 0) {
			w->drop_dolthub--;
			return;
		}
		if (!strcmp(path, "/database"))
			result(w, p->from_sync, fx, 200, "{}");
		else if (strstr(path, "/write/main/main")) {
			cJSON *b = cJSON_Parse(str(p->fx, "body"));

			dolthub_write(w, p->from_sync, fx, str(b, "query"));
			cJSON_Delete(b);
		} else if (strstr(path, "/write?operationName="))
			result(w, p->from_sync, fx, 200, "{\"done\":true,\"res_details\":{\"query_execution_status\":\"Success\"}}");
		else
			result(w, p->from_sync, fx, 200, "{\"rows\":[]}");
		return;
	}
	if (!strncmp(url, "do://sync/", 10) || !strncmp(url, "do://town/", 10)) {
		int to_sync = url[5] == 's';
		const char *path = strchr(url + 10, '/');
		char headers[256], out[1 << 16], *b;
		struct t_res r;

		if (to_sync && w->drop_start > 0 && !strcmp(method, "POST")) {
			w->drop_start--;
			return;
		}
		if (to_sync && !w->sync) {
			/* The object's name, as the shim decodes it from the URL. */
			char enc[64], *d = w->sync_name;

			snprintf(enc, sizeof enc, "%.*s", (int)(path - (url + 10)), url + 10);
			for (const char *s = enc; *s; s++) {
				if (s[0] == '%' && s[1] && s[2]) {
					*d++ = (char)strtol((char[3]){s[1], s[2], 0}, NULL, 16);
					s += 2;
				} else {
					*d++ = *s;
				}
			}
			*d = '\0';
		}
		if (to_sync && !w->sync)
			w->sync = open_at(ENG_SYNC, w->sync_name, w->sync_db);
		snprintf(headers, sizeof headers, "{\"x-gastown-caller\":\"%s:%s\"}", to_sync ? "town" : "sync",
			 to_sync ? TOWN : w->sync_name);
		if (!to_sync)
			w->pages++;
		if (!to_sync && strstr(str(p->fx, "body"), "\"finished\":true") && w->drop_end > 0) {
			w->drop_end--;
			result(w, 1, fx, 0, "");
			return;
		}
		r = t_request(to_sync ? w->sync : w->town, method, path, str(p->fx, "body"), headers);
		CHECK(r.rc == ENG_OK);
		take(&r, to_sync);
		b = cJSON_PrintUnformatted(r.body);
		snprintf(out, sizeof out, "%s", b ? b : "");
		free(b);
		if (!to_sync && w->bad_page > 0 && strstr(str(p->fx, "body"), "\"want\":true") &&
		    (b = strstr(out, "{\"data\":{")) != NULL) {
			/* A member put first is the one read (cJSON takes the first of a name). */
			static const char *const bad[] = {"\"timeout_s\":-3", "\"beads\":1.5", "\"next_cursor\":1e999",
							  "\"timeout_s\":9.1e122"};
			char tail[1 << 16];

			w->bad_page--;
			snprintf(tail, sizeof tail, "%s", b + strlen("{\"data\":{"));
			snprintf(b, sizeof out - (size_t)(b - out), "{\"data\":{%s,%s", bad[w->bad_page % 4], tail);
		}
		if (!to_sync && strstr(str(p->fx, "body"), "\"finished\":true") && w->lose_end > 0) {
			w->lose_end--;
			result(w, 1, fx, 0, "");
		} else {
			result(w, !to_sync, fx, r.status, out);
		}
		t_res_free(&r);
	}
}

/* Carry effects until none is left, then let time pass (step ms) and ring both alarms, rounds
 * times. */
static void pump(struct world *w, int rounds, double step)
{
	for (int i = 0; i < rounds; i++) {
		while (queue_n > 0) {
			struct pending p = queue[0];

			memmove(queue, queue + 1, (size_t)--queue_n * sizeof queue[0]);
			deliver(w, &p);
			cJSON_Delete(p.fx);
		}
		t_now += step;
		for (int s = 0; s < 2; s++) {
			struct eng *e = s ? w->sync : w->town;
			struct t_res r;

			if (!e || (s && w->frozen))
				continue;
			r = t_event(e, ENG_EV_ALARM, "{}", NULL);
			take(&r, s);
			t_res_free(&r);
		}
	}
}

static void queue_clear(void)
{
	for (int i = 0; i < queue_n; i++)
		cJSON_Delete(queue[i].fx);
	queue_n = 0;
}

static void connect(struct world *w)
{
	struct t_res r = t_request(w->town, "PUT", "/api/towns/" TOWN "/wasteland",
				   "{\"owner\":\"acme\",\"database\":\"commons\",\"handle\":\"t1-rig\",\"token\":\"dh-token\","
				   "\"api_url\":\"" API "\",\"cadence_s\":60,\"timeout_s\":5}",
				   t_as("sarah"));

	CHECK(r.status == 200);
	take(&r, 0);
	t_res_free(&r);
}

static cJSON *status(struct world *w)
{
	struct t_res r = t_request(w->town, "GET", "/api/towns/" TOWN "/wasteland", NULL, t_as("sarah"));
	cJSON *d = cJSON_DetachItemFromObject(r.body, "data");

	t_res_free(&r);
	return d;
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

/* The sync object's own row, read from its database file with the object closed (the next call
 * to it opens it again). */
static void sync_row(struct world *w, char *state, size_t slen, char *token, size_t tlen)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	state[0] = token[0] = '\0';
	if (w->sync)
		eng_close(w->sync);
	w->sync = NULL;
	if (sqlite3_open(w->sync_db, &db) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, "SELECT state, token FROM dolt_sync", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(state, slen, "%s", (const char *)sqlite3_column_text(st, 0));
			snprintf(token, tlen, "%s", (const char *)sqlite3_column_text(st, 1));
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static int distinct_ids(const struct world *w)
{
	int n = 0;

	for (int i = 0; i < w->wanted_n; i++) {
		int seen = 0;

		for (int j = 0; j < i && !seen; j++)
			seen = !strcmp(w->wanted_ids[i], w->wanted_ids[j]);
		n += !seen;
	}
	return n;
}

static cJSON *full_sync(struct world *w, cJSON **st)
{
	*st = status(w);
	return cJSON_GetObjectItem(*st, "full_sync");
}

/* Let time pass (step ms a round, at most rounds) until the town shows the sync's last error;
 * the full sync's status (its town's whole status in *st, the caller's to delete). */
static cJSON *error_shown(struct world *w, cJSON **st, int rounds, double step)
{
	cJSON *fs = NULL;

	*st = NULL;
	for (int i = 0; i < rounds; i++) {
		pump(w, 1, step);
		cJSON_Delete(*st);
		fs = full_sync(w, st);
		if (cJSON_IsString(cJSON_GetObjectItem(fs, "last_error")))
			break;
	}
	return fs;
}

/* The full sync handed over with n beads written, each once; the world closed. */
static void handed_over_and_closed(struct world *w, int n)
{
	cJSON *s, *fs = full_sync(w, &s);

	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(fs, "running")) && num(fs, "paged") == n);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(fs, "last_error")) && t_streq(str(s, "state"), "synced"));
	CHECK(distinct_ids(w) == n);
	cJSON_Delete(s);
	queue_clear();
	world_close(w);
}

static void pages_every_bead_and_hands_over(void)
{
	struct world w;
	char state[16], token[64];
	cJSON *s, *fs;

	world_open(&w, 250);
	connect(&w);
	pump(&w, 40, 400);
	s = status(&w);
	fs = cJSON_GetObjectItem(s, "full_sync");
	CHECK(t_streq(str(s, "state"), "synced"));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(fs, "running")));
	CHECK(num(fs, "paged") == 250 && num(fs, "total") == 250);
	CHECK(num(fs, "writes") == w.sync_writes);
	/* The town wrote the schema (10 statements) and its rig; the 250 posters were the sync's. */
	CHECK(w.town_writes == 11 && num(s, "writes") == 11);
	CHECK(w.rows_written == 250 && distinct_ids(&w) == 250);
	CHECK(w.pages == 3); /* two pages of beads (200 and 50), then the handover */
	sync_row(&w, state, sizeof state, token, sizeof token);
	CHECK(t_streq(state, "done") && t_streq(token, ""));
	cJSON_Delete(s);
	/* After the handover a change goes through the town's own queue. */
	{
		struct t_res r = t_request(w.town, "POST", "/api/towns/" TOWN "/beads",
					   "{\"title\":\"After\",\"labels\":[\"wasteland\"]}", t_as("sarah"));

		CHECK(r.status == 201);
		take(&r, 0);
		t_res_free(&r);
	}
	pump(&w, 5, 61000);
	CHECK(w.town_writes == 12 && w.rows_written == 251);
	queue_clear();
	world_close(&w);
}

static void resumes_at_the_page_in_hand(void)
{
	struct world w;

	world_open(&w, 150);
	connect(&w);
	/* Until the sync object has taken its first page and sent a write, then that write is lost
	 * and the object closed: a fresh instance over its stored state. */
	while (!w.sync || w.sync_writes == 0)
		pump(&w, 1, 100);
	w.drop_dolthub = 1;
	pump(&w, 1, 100);
	eng_close(w.sync);
	snprintf(t_db, sizeof t_db, "%s", w.sync_db);
	w.sync = t_open(ENG_SYNC, w.sync_name, 0);
	/* The lost call is resolved as lost past its deadline (timeout + 30 s); the write goes again. */
	pump(&w, 20, 5000);
	handed_over_and_closed(&w, 150);
}

static void a_lost_start_is_sent_again(void)
{
	struct world w;

	world_open(&w, 30);
	/* The start never arrives: resolved as lost past its deadline, and sent again. */
	w.drop_start = 1;
	connect(&w);
	pump(&w, 60, 1000);
	CHECK(w.sync == NULL && w.starts == 1);
	pump(&w, 60, 1000);
	CHECK(w.sync != NULL && w.starts == 2);
	handed_over_and_closed(&w, 30);
}

static void failures_are_reported_while_it_backs_off(void)
{
	struct world w;
	cJSON *s, *fs;

	world_open(&w, 30);
	w.fail_writes = 4;
	connect(&w);
	/* The town shows DoltHub's refusal as soon as the object meets it. */
	fs = error_shown(&w, &s, 100, 500);
	CHECK(strstr(str(fs, "last_error"), "HTTP 500") != NULL);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(fs, "running")) && t_streq(str(s, "state"), "retrying"));
	cJSON_Delete(s);
	/* 1 s, 2 s, 4 s, 8 s of backoff, then the writes go in and the error is gone. */
	pump(&w, 40, 1000);
	CHECK(w.fail_writes == 0);
	handed_over_and_closed(&w, 30);
}

static void a_silent_sync_is_started_again(void)
{
	struct world w;

	world_open(&w, 30);
	connect(&w);
	while (!w.sync)
		pump(&w, 1, 1000);
	/* The object goes silent (its alarm never rings, nothing reaches it): after 15 minutes
	 * without a word, the town starts it again, and it carries on. */
	w.frozen = 1;
	pump(&w, 14, 60000);
	CHECK(w.starts == 1);
	pump(&w, 2, 60000);
	CHECK(w.starts == 2);
	w.frozen = 0;
	pump(&w, 20, 16 * 60000);
	CHECK(w.starts >= 3);
	pump(&w, 40, 1000);
	handed_over_and_closed(&w, 30);
}

/* The sync's last call, "all written", fails, or reaches the town with its answer lost: told again,
 * never mistaken for a request to start over, and done either way. */
static void the_end_told_again(void)
{
	for (int lose = 0; lose < 2; lose++) {
		struct world w;
		char state[16], token[64];
		cJSON *s, *fs;

		world_open(&w, 30);
		if (lose)
			w.lose_end = 1;
		else
			w.drop_end = 1;
		connect(&w);
		pump(&w, 40, 1000);
		fs = full_sync(&w, &s);
		CHECK(cJSON_IsFalse(cJSON_GetObjectItem(fs, "running")) && num(fs, "paged") == 30);
		CHECK(w.rows_written == 30 && distinct_ids(&w) == 30);
		/* The page, the end; dropped: the failure reported, the end again; lost: the failure
		 * reported, which the town no longer knows, as it took the end. */
		CHECK(w.pages == (lose ? 3 : 4));
		CHECK(w.drop_end == 0 && w.lose_end == 0);
		sync_row(&w, state, sizeof state, token, sizeof token);
		CHECK(t_streq(state, "done") && t_streq(token, ""));
		cJSON_Delete(s);
		queue_clear();
		world_close(&w);
	}
}

/* A page whose timeout no effect can have (out of the int an effect's deadline is, or below a
 * second), or whose cursor or count is no bead's (infinite, a fraction), is not a page: reported,
 * backed off from, and asked for again. (The fuzzer found the first and the third: converted to an
 * int and an int64 out of range.) */
static void a_page_out_of_range_is_not_a_page(void)
{
	struct world w;
	cJSON *s, *fs;
	int i;

	world_open(&w, 30);
	w.bad_page = 4;
	connect(&w);
	for (i = 0; i < 100 && w.bad_page > 1; i++)
		pump(&w, 1, 500);
	CHECK(w.bad_page == 1);
	fs = error_shown(&w, &s, 10, 100);
	CHECK(strstr(str(fs, "last_error"), "not a page") != NULL);
	cJSON_Delete(s);
	pump(&w, 40, 1000);
	handed_over_and_closed(&w, 30);
}

static void wrong_callers_and_a_disconnect(void)
{
	struct world w;
	struct t_res r;
	char state[16], token[64], path[128], caller[128];
	int writes;

	world_open(&w, 120);
	connect(&w);
	while (!w.sync || w.sync_writes == 0)
		pump(&w, 1, 100);
	/* Only the town may start or stop its sync; only this sync may ask the town for pages. */
	r = t_request(w.sync, "POST", "/_internal/sync",
		      "{\"town\":\"t2\",\"sync\":\"1\",\"api_url\":\"" API "\",\"owner\":\"a\",\"database\":\"b\","
		      "\"token\":\"x\",\"timeout_s\":5}", "{\"x-gastown-caller\":\"town:t2\"}");
	CHECK(r.status == 400 || r.status == 403);
	t_res_free(&r);
	r = t_request(w.sync, "DELETE", "/_internal/sync", NULL, "{\"x-gastown-caller\":\"town:t2\"}");
	CHECK(r.status == 403);
	t_res_free(&r);
	snprintf(path, sizeof path, "/_internal/wasteland/full/%s", strchr(w.sync_name, ':') + 1);
	r = t_request(w.town, "POST", path, "{\"cursor\":0,\"paged\":0,\"writes\":0,\"want\":true}",
		      "{\"x-gastown-caller\":\"sync:t1:9\"}");
	CHECK(r.status == 403);
	t_res_free(&r);
	snprintf(caller, sizeof caller, "{\"x-gastown-caller\":\"sync:t1:9\"}");
	r = t_request(w.town, "POST", "/_internal/wasteland/full/9", "{\"cursor\":0,\"paged\":0,\"writes\":0,\"want\":true}",
		      caller);
	CHECK(r.status == 409);
	t_res_free(&r);
	snprintf(caller, sizeof caller, "{\"x-gastown-caller\":\"sync:%s\"}", w.sync_name);
	r = t_request(w.town, "POST", path, "{\"cursor\":-1,\"paged\":0,\"writes\":0}", caller);
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	/* Disconnected mid-page: the town stops its sync, which sends nothing more. */
	r = t_request(w.town, "DELETE", "/api/towns/" TOWN "/wasteland", NULL, t_as("sarah"));
	CHECK(r.status == 200);
	take(&r, 0);
	t_res_free(&r);
	pump(&w, 1, 100);
	writes = w.sync_writes;
	pump(&w, 20, 5000);
	CHECK(w.sync_writes == writes);
	sync_row(&w, state, sizeof state, token, sizeof token);
	CHECK(t_streq(state, "stopped") && t_streq(token, ""));
	/* Over: it cannot be started again under the same name. */
	w.sync = open_at(ENG_SYNC, w.sync_name, w.sync_db);
	r = t_request(w.sync, "POST", "/_internal/sync",
		      "{\"town\":\"t1\",\"sync\":\"x\",\"api_url\":\"" API "\",\"owner\":\"a\",\"database\":\"b\","
		      "\"token\":\"x\",\"timeout_s\":5}", "{\"x-gastown-caller\":\"town:t1\"}");
	CHECK(r.status == 400);
	t_res_free(&r);
	queue_clear();
	world_close(&w);
}

int main(void)
{
	RUN(pages_every_bead_and_hands_over);
	RUN(resumes_at_the_page_in_hand);
	RUN(a_lost_start_is_sent_again);
	RUN(failures_are_reported_while_it_backs_off);
	RUN(a_silent_sync_is_started_again);
	RUN(the_end_told_again);
	RUN(a_page_out_of_range_is_not_a_page);
	RUN(wrong_callers_and_a_disconnect);
	return t_done();
}
