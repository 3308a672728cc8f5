/*
 * test_costs.c - usage records, their attribution to the human at the root of the work, prices,
 * roll-ups (checked against the records by a property test) and budgets that stop work at their
 * limit with one escalation.
 */
#include "harness.h"
#include "sqlite3.h"
#include "api/api.h"

#define SECRET "container-secret-for-the-native-tests-0123456789"

static const char *field(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static void periods_follow_the_calendar(void)
{
	int64_t d, from, to;
	char s[16];

	CHECK(costs_parse_date("2026-11-25", &d) == 0); /* a Wednesday */
	costs_period("week", d, &from, &to);
	costs_format_date(from, s, sizeof s);
	CHECK(t_streq(s, "2026-11-23"));
	costs_format_date(to, s, sizeof s);
	CHECK(t_streq(s, "2026-11-29"));
	costs_period("month", d, &from, &to);
	costs_format_date(from, s, sizeof s);
	CHECK(t_streq(s, "2026-11-01"));
	costs_format_date(to, s, sizeof s);
	CHECK(t_streq(s, "2026-11-30"));
	CHECK(costs_parse_date("2024-02-29", &d) == 0);
	costs_period("month", d, &from, &to);
	CHECK(to - from == 28);
	CHECK(costs_parse_date("2026-13-01", &d) < 0 && costs_parse_date("2026-1-01", &d) < 0);
	CHECK(costs_day_of(0) == 0 && costs_day_of(86399999) == 0 && costs_day_of(86400000) == 1);
}

/* A town with rig r, polecat toast, and a token for toast working for `user` (in *headers). */
static struct eng *town(char *headers, size_t len)
{
	struct eng *e;
	struct t_res r;

	t_container_secret = SECRET;
	e = t_town(1);
	r = t_request(e, "PUT", "/api/towns/t1/members/bob", "{\"role\":\"member\"}", t_as("sarah"));
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/members/vic", "{\"role\":\"viewer\"}", t_as("sarah"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/token", NULL, t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(headers, len, "{\"authorization\":\"Bearer %s\"}", cJSON_GetStringValue(t_data(&r, "token")));
	t_res_free(&r);
	return e;
}

static void new_bead(struct eng *e, const char *user, const char *body, char *id, size_t len)
{
	struct t_res r = t_request(e, "POST", "/api/towns/t1/beads", body, t_as(user));

	CHECK(r.status == 201);
	snprintf(id, len, "%s", cJSON_GetStringValue(t_data(&r, "id")) ? cJSON_GetStringValue(t_data(&r, "id")) : "");
	t_res_free(&r);
}

static struct t_res report(struct eng *e, const char *headers, const char *records)
{
	static char body[70000];

	snprintf(body, sizeof body, "{\"records\":%s}", records);
	return t_request(e, "POST", "/api/towns/t1/agents/toast/usage", body, headers);
}

static cJSON *costs(struct eng *e, const char *query)
{
	char path[256];
	struct t_res r;
	cJSON *d;

	snprintf(path, sizeof path, "/api/towns/t1/costs%s", query);
	r = t_request(e, "GET", path, NULL, t_as("sarah"));
	CHECK(r.status == 200);
	d = cJSON_Duplicate(cJSON_GetObjectItem(r.body, "data"), 1);
	t_res_free(&r);
	return d;
}

static double row_cost(const cJSON *d, const char *key)
{
	const cJSON *row;

	cJSON_ArrayForEach(row, cJSON_GetObjectItem(d, "rows"))
		if (t_streq(field(row, "key"), key))
			return num(row, "cost_microusd");
	return -1;
}

static void usage_is_charged_to_the_human_at_the_root(void)
{
	char h[2048], work[48], mr[48], rec[1024];
	struct eng *e = town(h, sizeof h);
	struct t_res r;
	cJSON *d;

	new_bead(e, "bob", "{\"title\":\"Bob's work\",\"rig\":\"r\"}", work, sizeof work);
	snprintf(rec, sizeof rec, "{\"title\":\"Merge\",\"type\":\"merge-request\",\"parent\":\"%s\"}", work);
	new_bead(e, "sarah", rec, mr, sizeof mr);
	/* Sonnet from the price table: 1000 in at $3/M + 1000 out at $15/M = 18,000 microdollars. A
	 * review of the merge request counts toward Bob's bead, though sarah made the request bead.
	 * The upstream's own cost wins when given. */
	snprintf(rec, sizeof rec,
		 "[{\"id\":\"a1\",\"bead\":\"%s\",\"model\":\"claude-sonnet-4-5\",\"input_tokens\":1000,\"output_tokens\":1000,"
		 "\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":null},"
		 "{\"id\":\"a2\",\"bead\":\"%s\",\"model\":\"gpt-4o\",\"input_tokens\":10,\"output_tokens\":10,"
		 "\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":5000}]", work, mr);
	r = report(e, h, rec);
	CHECK(r.status == 200 && num(cJSON_GetObjectItem(r.body, "data"), "accepted") == 2);
	t_res_free(&r);
	/* The same report again counts once. */
	r = report(e, h, rec);
	CHECK(r.status == 200 && num(cJSON_GetObjectItem(r.body, "data"), "duplicates") == 2);
	t_res_free(&r);
	d = costs(e, "?by=user");
	CHECK(row_cost(d, "bob") == 23000);
	CHECK(row_cost(d, "sarah") == -1);
	CHECK(num(cJSON_GetObjectItem(d, "total"), "cost_microusd") == 23000);
	cJSON_Delete(d);
	d = costs(e, "?by=bead&period=all");
	CHECK(row_cost(d, work) == 23000 && row_cost(d, mr) == -1);
	cJSON_Delete(d);
	d = costs(e, "?by=model");
	CHECK(row_cost(d, "claude-sonnet-4-5") == 18000 && row_cost(d, "gpt-4o") == 5000);
	cJSON_Delete(d);
	d = costs(e, "?by=rig&period=week");
	CHECK(row_cost(d, "r") == 23000);
	cJSON_Delete(d);
	eng_close(e);
	t_cleanup();
}

static void bad_reports_leave_no_trace(void)
{
	char h[2048], many[16384];
	struct eng *e = town(h, sizeof h);
	struct t_res r;
	cJSON *d;
	size_t n = 0;

	static const char *const bad[] = {
		"{}", "[{\"id\":\"x\",\"input_tokens\":-1,\"output_tokens\":0,\"cache_read_tokens\":0,\"cache_write_tokens\":0}]",
		"[{\"id\":\"ok\",\"input_tokens\":1,\"output_tokens\":1,\"cache_read_tokens\":0,\"cache_write_tokens\":0},"
		"{\"id\":\"\",\"input_tokens\":1,\"output_tokens\":1,\"cache_read_tokens\":0,\"cache_write_tokens\":0}]",
		"[{\"id\":\"y\",\"input_tokens\":\"10\",\"output_tokens\":0,\"cache_read_tokens\":0,\"cache_write_tokens\":0}]",
		"[{\"id\":\"z\",\"input_tokens\":1,\"output_tokens\":1,\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":1.5}]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = report(e, h, bad[i]);
		CHECK(r.status == 400);
		t_res_free(&r);
	}
	n += (size_t)snprintf(many + n, sizeof many - n, "[");
	for (int i = 0; i < 101; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "%s{\"id\":\"m%d\",\"input_tokens\":1,\"output_tokens\":1,"
				      "\"cache_read_tokens\":0,\"cache_write_tokens\":0}", i ? "," : "", i);
	snprintf(many + n, sizeof many - n, "]");
	r = report(e, h, many);
	CHECK(r.status == 413);
	t_res_free(&r);
	/* A person's token is not an agent's. */
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/usage", "{\"records\":[]}", t_as("sarah"));
	CHECK(r.status == 401);
	t_res_free(&r);
	d = costs(e, "?period=all");
	CHECK(num(cJSON_GetObjectItem(d, "total"), "records") == 0);
	cJSON_Delete(d);
	eng_close(e);
	t_cleanup();
}

/* Property: for random streams of usage, every roll-up equals the sum of its records. */
static void every_rollup_equals_the_sum_of_its_records(void)
{
	static const char *const models[] = {"claude-sonnet-4", "gpt-4o", "mystery-model"};
	static const char *const users[] = {"sarah", "bob"};
	char h[2048], beads[4][48], body[256], rec[65536];
	struct eng *e = town(h, sizeof h);
	double expect_user[2] = {0}, expect_model[3] = {0}, expect_bead[4] = {0}, total = 0;
	unsigned seed = 12345;
	cJSON *d;

	for (int b = 0; b < 4; b++) {
		snprintf(body, sizeof body, "{\"title\":\"b%d\",\"rig\":\"r\"}", b);
		new_bead(e, users[b % 2], body, beads[b], sizeof beads[b]);
	}
	for (int batch = 0; batch < 10; batch++) {
		size_t n = 0;
		struct t_res r;
		int last = -1; /* the last new record's index, for repeats */

		n += (size_t)snprintf(rec + n, sizeof rec - n, "[");
		for (int i = 0; i < 20; i++) {
			int b = (int)(rand_r(&seed) % 4), m = (int)(rand_r(&seed) % 3);
			long cost = (long)(rand_r(&seed) % 100000);
			/* Two in three records priced by the upstream: their cost is known here. */
			int upstream = rand_r(&seed) % 3 != 0;
			long in = rand_r(&seed) % 5000, out = rand_r(&seed) % 2000;
			double priced;

			if (upstream)
				priced = (double)cost;
			else {
				/* Sonnet 3/15, gpt-4o 2.5/10, anything else the '*' row (3/15), per million. */
				double pin = m == 1 ? 2500000 : 3000000, pout = m == 1 ? 10000000 : 15000000;
				priced = (double)(((long long)in * (long long)pin + (long long)out * (long long)pout + 500000) / 1000000);
			}
			/* A repeated id now and then: counts once. */
			if (last >= 0 && rand_r(&seed) % 10 == 0) {
				n += (size_t)snprintf(rec + n, sizeof rec - n, ",{\"id\":\"r%d-%d\",\"input_tokens\":1,\"output_tokens\":1,"
						      "\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":999}", batch, last);
				continue;
			}
			last = i;
			n += (size_t)snprintf(rec + n, sizeof rec - n,
					      "%s{\"id\":\"r%d-%d\",\"bead\":\"%s\",\"model\":\"%s\",\"input_tokens\":%ld,"
					      "\"output_tokens\":%ld,\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":",
					      i ? "," : "", batch, i, beads[b], models[m], in, out);
			n += upstream ? (size_t)snprintf(rec + n, sizeof rec - n, "%ld}", cost)
				      : (size_t)snprintf(rec + n, sizeof rec - n, "null}");
			expect_user[b % 2] += priced;
			expect_model[m] += priced;
			expect_bead[b] += priced;
			total += priced;
		}
		snprintf(rec + n, sizeof rec - n, "]");
		r = report(e, h, rec);
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	d = costs(e, "?by=user&period=all");
	CHECK(num(cJSON_GetObjectItem(d, "total"), "cost_microusd") == total);
	for (int u = 0; u < 2; u++)
		CHECK(row_cost(d, users[u]) == (expect_user[u] ? expect_user[u] : -1));
	cJSON_Delete(d);
	d = costs(e, "?by=model&period=all");
	for (int m = 0; m < 3; m++)
		CHECK(row_cost(d, models[m]) == (expect_model[m] ? expect_model[m] : -1));
	cJSON_Delete(d);
	d = costs(e, "?by=bead&period=all");
	for (int b = 0; b < 4; b++)
		CHECK(row_cost(d, beads[b]) == (expect_bead[b] ? expect_bead[b] : -1));
	cJSON_Delete(d);
	d = costs(e, "?by=rig&period=all");
	CHECK(row_cost(d, "r") == total);
	cJSON_Delete(d);
	eng_close(e);
	t_cleanup();
}

static int escalations_titled(struct eng *e, const char *prefix)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/escalations", NULL, t_as("sarah"));
	const cJSON *x;
	int n = 0;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r.body, "data"))
		n += field(x, "title") && strncmp(field(x, "title"), prefix, strlen(prefix)) == 0;
	t_res_free(&r);
	return n;
}

static int starts_in(const struct t_res *r)
{
	const cJSON *f;
	int n = 0;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(r->meta, "effects"))
		n += field(f, "url") && strstr(field(f, "url"), "/start") != NULL;
	return n;
}

static void a_budget_at_its_limit_stops_sling_and_dispatch_until_raised(void)
{
	double t0 = t_now;
	char h[2048], spent[48], held[48], free_bead[48], path[128], rec[512];
	struct eng *e = town(h, sizeof h);
	struct t_res r;

	/* A viewer cannot set a budget; an unknown scope or rig is refused. */
	r = t_request(e, "PUT", "/api/towns/t1/budgets/user-day/bob", "{\"limit_microusd\":20000}", t_as("vic"));
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/budgets/rig-week/r", "{\"limit_microusd\":20000}", t_as("sarah"));
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/budgets/rig-day/nope", "{\"limit_microusd\":20000}", t_as("sarah"));
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/budgets/user-day/bob", "{\"limit_microusd\":20000}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);

	new_bead(e, "bob", "{\"title\":\"Spent\"}", spent, sizeof spent);
	new_bead(e, "bob", "{\"title\":\"Waiting\",\"rig\":\"r\",\"held\":true}", held, sizeof held);
	new_bead(e, "sarah", "{\"title\":\"Sarah's\",\"rig\":\"r\",\"held\":true}", free_bead, sizeof free_bead);
	/* 18,000 of 20,000: past the soft 90%: one warning. */
	snprintf(rec, sizeof rec, "[{\"id\":\"u1\",\"bead\":\"%s\",\"model\":\"claude-sonnet-4\",\"input_tokens\":1000,"
		 "\"output_tokens\":1000,\"cache_read_tokens\":0,\"cache_write_tokens\":0}]", spent);
	r = report(e, h, rec);
	CHECK(r.status == 200);
	t_res_free(&r);
	CHECK(escalations_titled(e, "Budget user-day:bob at 90%") == 1);
	/* 36,000: over the limit. Slinging Bob's work is refused, naming the budget, limit and spend. */
	snprintf(rec, sizeof rec, "[{\"id\":\"u2\",\"bead\":\"%s\",\"model\":\"claude-sonnet-4\",\"input_tokens\":1000,"
		 "\"output_tokens\":1000,\"cache_read_tokens\":0,\"cache_write_tokens\":0}]", spent);
	r = report(e, h, rec);
	t_res_free(&r);
	CHECK(escalations_titled(e, "Budget user-day:bob reached") == 1);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", held);
	r = t_request(e, "POST", path, "{}", t_as("bob"));
	CHECK(r.status == 409);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "reason")), "budget_exceeded"));
	CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "message")),
		     "budget user-day:bob is at its limit: $0.03 spent of $0.02") != NULL);
	t_res_free(&r);
	/* Sarah's work is under no such budget. */
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", free_bead);
	r = t_request(e, "POST", path, NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	/* Bob's work that was already startable waits: ticks start nothing for it, and add no escalation. */
	r = t_request(e, "PATCH", "/api/towns/t1/beads/gt-none", "{}", t_as("bob"));
	t_res_free(&r);
	{
		char bob_ready[48];
		int starts = 0;

		/* One polecat at a time on the rig, and Bob's bead first in line (priority 0): held back by
		 * the budget, it must not take the rig's only place from Sarah's. */
		r = t_request(e, "PATCH", "/api/towns/t1/rigs/r", "{\"max_polecats\":1}", t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
		new_bead(e, "bob", "{\"title\":\"Bob ready\",\"rig\":\"r\",\"priority\":0}", bob_ready, sizeof bob_ready);
		for (int i = 0; i < 4; i++) {
			t_now += 6000;
			r = t_event(e, ENG_EV_ALARM, "{}", NULL);
			starts += starts_in(&r);
			t_res_free(&r);
		}
		CHECK(starts == 1); /* Sarah's bead only */
		CHECK(escalations_titled(e, "Budget user-day:bob reached") == 1);
		/* Raising the budget resumes dispatch on the next tick (Sarah's run is done by then). */
		r = t_request(e, "PATCH", "/api/towns/t1/rigs/r", "{\"max_polecats\":2}", t_as("sarah"));
		t_res_free(&r);
		r = t_request(e, "PUT", "/api/towns/t1/budgets/user-day/bob", "{\"limit_microusd\":100000}", t_as("sarah"));
		CHECK(r.status == 200);
		CHECK(t_streq(field(cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "data"), 0), "state"), "ok"));
		t_res_free(&r);
		t_now += 1000;
		r = t_event(e, ENG_EV_ALARM, "{}", NULL);
		CHECK(starts_in(&r) == 1);
		t_res_free(&r);
	}
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

/* A bead may be in any number of convoys: costs reach every one, and every one's budget holds the
 * bead back. The convoys are read by id, so the one a first-16 read would drop is the last by id. */
static void a_bead_in_seventeen_convoys_is_charged_and_held_by_each(void)
{
	char h[2048], bead[48], body[256], ids[17][48], last[48] = "", path[160], rec[512];
	struct eng *e = town(h, sizeof h);
	const char *msg;
	struct t_res r;
	cJSON *d;

	new_bead(e, "bob", "{\"title\":\"Shared\",\"rig\":\"r\",\"held\":true}", bead, sizeof bead);
	for (int i = 0; i < 17; i++) {
		snprintf(body, sizeof body, "{\"title\":\"C%d\",\"beads\":[\"%s\"]}", i, bead);
		r = t_request(e, "POST", "/api/towns/t1/convoys", body, t_as("bob"));
		CHECK(r.status == 201);
		snprintf(ids[i], sizeof ids[i], "%s", cJSON_GetStringValue(t_data(&r, "id")) ? cJSON_GetStringValue(t_data(&r, "id")) : "");
		t_res_free(&r);
		if (strcmp(ids[i], last) > 0)
			snprintf(last, sizeof last, "%s", ids[i]);
	}
	/* The last convoy's budget is set before the spend: the spend reaches it. */
	snprintf(path, sizeof path, "/api/towns/t1/budgets/convoy/%s", last);
	r = t_request(e, "PUT", path, "{\"limit_microusd\":1000}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	snprintf(rec, sizeof rec, "[{\"id\":\"c1\",\"bead\":\"%s\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		 "\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":5000}]", bead);
	r = report(e, h, rec);
	CHECK(r.status == 200 && num(cJSON_GetObjectItem(r.body, "data"), "accepted") == 1);
	t_res_free(&r);
	d = costs(e, "?by=convoy&period=all");
	for (int i = 0; i < 17; i++)
		CHECK(row_cost(d, ids[i]) == 5000);
	cJSON_Delete(d);
	snprintf(body, sizeof body, "Budget convoy:%s reached", last);
	CHECK(escalations_titled(e, body) == 1);
	/* Slinging the bead is refused by that budget, alone or with its convoy. */
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", bead);
	r = t_request(e, "POST", path, NULL, t_as("bob"));
	CHECK(r.status == 409);
	snprintf(body, sizeof body, "budget convoy:%s is at its limit", last);
	msg = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "message"));
	CHECK(msg && strstr(msg, body));
	t_res_free(&r);
	snprintf(path, sizeof path, "/api/towns/t1/convoys/%s/sling", last);
	r = t_request(e, "POST", path, NULL, t_as("bob"));
	CHECK(r.status == 409 && t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"),
										  "reason")), "budget_exceeded"));
	t_res_free(&r);
	/* Lifted, the bead slings. */
	snprintf(path, sizeof path, "/api/towns/t1/budgets/convoy/%s", last);
	r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", bead);
	r = t_request(e, "POST", path, NULL, t_as("bob"));
	CHECK(r.status == 200);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* Rows left in every table of the database at path but the migrations', the outbox's (effects
 * answering the registries arrive after the deletion) and the price list's (back to its defaults).
 * -1 when the file cannot be read. */
static int rows_left(const char *path, char *which, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int total = 0;

	*which = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	/* An empty FTS5 index keeps its header rows in _data and _config; its entries are in _idx. */
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
				   " AND name NOT IN ('schema_migrations', 'effects', 'model_prices', 'model_price_defaults',"
				   " 'note_search_data', 'note_search_config')",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char sql[200];
		sqlite3_stmt *n;

		snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_prepare_v2(db, sql, -1, &n, NULL) == SQLITE_OK && sqlite3_step(n) == SQLITE_ROW &&
		    sqlite3_column_int(n, 0) > 0) {
			total += sqlite3_column_int(n, 0);
			snprintf(which + strlen(which), len - strlen(which), "%s ", (const char *)sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(n);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return total;
}

/* A town deleted takes everything it held with it: each owner empties its tables (town_deleting),
 * so a town made again under the same id starts from nothing. Every table is filled first. */
static void a_deleted_town_leaves_only_its_migrations_and_outbox(void)
{
	char h[2048], work[48], rec[1024], left[1024];
	struct eng *e = town(h, sizeof h);
	struct t_res r;

	new_bead(e, "bob", "{\"title\":\"Bob's work\",\"rig\":\"r\",\"labels\":[\"x\"]}", work, sizeof work);
	snprintf(rec, sizeof rec, "{\"title\":\"c\",\"beads\":[\"%s\"]}", work);
	r = t_request(e, "POST", "/api/towns/t1/convoys", rec, t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	snprintf(rec, sizeof rec,
		 "[{\"id\":\"a1\",\"bead\":\"%s\",\"model\":\"claude-sonnet-4-5\",\"input_tokens\":1000,"
		 "\"output_tokens\":1000,\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":null}]", work);
	r = report(e, h, rec);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/events", "{\"events\":[{\"type\":\"output\",\"text\":\"hi\"}]}", h);
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/status", "{\"message\":\"busy\"}", h);
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/prices/m1", "{\"input_per_mtok\":1,\"output_per_mtok\":2}",
		      t_as("sarah"));
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/budgets/user-day/bob", "{\"limit_microusd\":1}", t_as("sarah"));
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents", "{\"role\":\"mayor\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/mayor/messages", "{\"text\":\"hello\"}", t_as("bob"));
	CHECK(r.status == 201 || r.status == 202 || r.status == 200);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/mail", "{\"to\":\"toast\",\"subject\":\"s\",\"body\":\"b\"}", t_as("sarah"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/notes", "{\"path\":\"src/\",\"text\":\"a race in checkout\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	t_res_free(&r);
	eng_close(e);
	/* Filled: most tables hold rows now. */
	CHECK(rows_left(t_db, left, sizeof left) > 10);
	CHECK(strstr(left, "agent_events") && strstr(left, "usage ") && strstr(left, "budgets") &&
	      strstr(left, "mayor_messages") && strstr(left, "note_search_idx"));
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "DELETE", "/api/towns/t1", NULL, t_as("sarah"));
	CHECK(r.status == 200 || r.status == 204);
	t_res_free(&r);
	eng_close(e);
	CHECK(rows_left(t_db, left, sizeof left) == 0);
	if (*left)
		fprintf(stderr, "# left after deletion: %s\n", left);
	/* The id taken again: the price list is the defaults, without the deleted town's price. */
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"Again\"}", t_as("vic"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/prices", NULL, t_as("vic"));
	{
		char *text = cJSON_PrintUnformatted(r.body);

		CHECK(r.status == 200 && text && !strstr(text, "\"m1\"") && strstr(text, "claude-sonnet-4*"));
		cJSON_free(text);
	}
	t_res_free(&r);
	eng_close(e);
}

int main(void)
{
	RUN(periods_follow_the_calendar);
	RUN(usage_is_charged_to_the_human_at_the_root);
	RUN(bad_reports_leave_no_trace);
	RUN(every_rollup_equals_the_sum_of_its_records);
	RUN(a_budget_at_its_limit_stops_sling_and_dispatch_until_raised);
	RUN(a_bead_in_seventeen_convoys_is_charged_and_held_by_each);
	RUN(a_deleted_town_leaves_only_its_migrations_and_outbox);
	return t_done();
}
