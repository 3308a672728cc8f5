/*
 * test_bead_diff.c - what a bead changed, through engine.h: a done report's diff stored with the
 * engine's own totals, replaced by what a merge landed, summed per convoy and summarized for the
 * Mayor; GET .../diff with its proxy list (the agent host, signed; then GitHub's compare); and bad
 * reports refused with the field at fault and nothing of them kept.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define SECRET "container-secret-for-the-native-tests-0123456789"
#define BASE "1111111111111111111111111111111111111111"
#define HEAD "2222222222222222222222222222222222222222"

static const char *field(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

/* A town with rig r and a bead on it, started on toast: the bead's id into id, toast's
 * authorization header into auth. */
static struct eng *started(char *id, size_t id_len, char *auth, size_t auth_len)
{
	struct eng *e;
	struct t_res r;
	const cJSON *f;

	t_fresh_db();
	t_container_secret = SECRET;
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/rigs", "{\"id\":\"r\",\"git_url\":\"https://example.com/acme/r.git\"}",
		      t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Feature\",\"rig\":\"r\"}", t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(id, id_len, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	*auth = '\0';
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(r.meta, "effects")) {
		if (!t_streq(field(f, "url"), "container:/towns/t1/agents/toast/start"))
			continue;
		cJSON *body = cJSON_Parse(field(f, "body"));
		snprintf(auth, auth_len, "{\"authorization\":\"Bearer %s\"}", field(body, "token"));
		cJSON_Delete(body);
	}
	CHECK(*auth != '\0');
	t_res_free(&r);
	return e;
}

static struct t_res done(struct eng *e, const char *id, const char *auth, const char *diff)
{
	char body[200000];

	snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"gt/toast/%s\",\"commit\":\"" HEAD "\"%s%s}", id, id,
		 diff ? ",\"diff\":" : "", diff ? diff : "");
	return t_request(e, "POST", "/api/towns/t1/agents/toast/done", body, auth);
}

static struct t_res get_diff(struct eng *e, const char *id, const char *who)
{
	char path[128];

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/diff", id);
	return t_request(e, "GET", path, NULL, who);
}

static const char *bead_status(struct eng *e, const char *id, char *out, size_t len)
{
	char path[128];
	struct t_res r;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", id);
	r = t_request(e, "GET", path, NULL, t_as("sarah"));
	snprintf(out, len, "%s", field(cJSON_GetObjectItem(r.body, "data"), "status") ? field(cJSON_GetObjectItem(r.body, "data"), "status") : "");
	t_res_free(&r);
	return out;
}

#define FILES "[{\"path\":\"src/a.c\",\"status\":\"added\",\"additions\":3,\"deletions\":0}," \
	      "{\"path\":\"README.md\",\"status\":\"modified\",\"additions\":2,\"deletions\":1,\"binary\":false}," \
	      "{\"path\":\"logo.png\",\"status\":\"added\",\"additions\":0,\"deletions\":0,\"binary\":true}]"

static void a_done_report_records_the_diff_and_its_totals(void)
{
	char id[48], auth[2048], status[16];
	struct t_res r;
	const cJSON *d, *tries, *t;
	struct eng *e = started(id, sizeof id, auth, sizeof auth);

	r = done(e, id, auth, "{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":" FILES "}");
	CHECK(r.status == 200);
	t_res_free(&r);
	CHECK(t_streq(bead_status(e, id, status, sizeof status), "in_review"));

	r = get_diff(e, id, t_as("sarah"));
	CHECK(r.status == 200);
	d = cJSON_GetObjectItem(r.body, "data");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(d, "recorded")) && cJSON_IsFalse(cJSON_GetObjectItem(d, "landed")));
	CHECK(t_streq(field(d, "base"), BASE) && t_streq(field(d, "head"), HEAD));
	CHECK(field(d, "branch") && strncmp(field(d, "branch"), "gt/toast/", 9) == 0 && strcmp(field(d, "branch") + 9, id) == 0);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(d, "files")) == 3);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "files"), 2), "binary")));
	CHECK(num(cJSON_GetObjectItem(d, "totals"), "files") == 3 && num(cJSON_GetObjectItem(d, "totals"), "additions") == 5 &&
	      num(cJSON_GetObjectItem(d, "totals"), "deletions") == 1);
	/* Until the shim fills it: no text, and why. */
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(d, "diff")) && cJSON_IsNull(cJSON_GetObjectItem(d, "source")));
	CHECK(field(d, "reason") != NULL);
	/* The proxy list: the agent host's clone of the rig, signed; no platform without a token. */
	tries = cJSON_GetObjectItem(cJSON_GetObjectItem(r.meta, "proxy"), "tries");
	CHECK(t_streq(field(cJSON_GetObjectItem(r.meta, "proxy"), "into"), "diff"));
	CHECK(cJSON_GetArraySize(tries) == 1);
	t = cJSON_GetArrayItem(tries, 0);
	CHECK(t_streq(field(t, "url"), "container:/towns/t1/rigs/r/diff/" BASE "/" HEAD));
	CHECK(field(cJSON_GetObjectItem(t, "headers"), "x-gastown-signature") != NULL);
	CHECK(t_streq(field(cJSON_GetObjectItem(t, "set"), "source"), "host"));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "set"), "reason")));
	t_res_free(&r);

	/* With a token, GitHub's compare API comes second, as a diff. */
	r = t_request(e, "PATCH", "/api/towns/t1", "{\"secrets\":{\"github_token\":\"ghp_native\"}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "PATCH", "/api/towns/t1/rigs/r", "{\"settings\":{\"api_url\":\"http://127.0.0.1:9\"}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = get_diff(e, id, t_as("sarah"));
	tries = cJSON_GetObjectItem(cJSON_GetObjectItem(r.meta, "proxy"), "tries");
	CHECK(cJSON_GetArraySize(tries) == 2);
	t = cJSON_GetArrayItem(tries, 1);
	CHECK(t_streq(field(t, "url"), "http://127.0.0.1:9/repos/acme/r/compare/" BASE "..." HEAD));
	CHECK(t_streq(field(cJSON_GetObjectItem(t, "headers"), "accept"), "application/vnd.github.diff"));
	CHECK(t_streq(field(cJSON_GetObjectItem(t, "headers"), "authorization"), "Bearer ghp_native"));
	CHECK(t_streq(field(cJSON_GetObjectItem(t, "set"), "source"), "github"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* A merge lands: its diff replaces the branch's, the convoy sums it and the Mayor reads one line. */
static void what_landed_replaces_it_and_reaches_the_convoy_and_the_mayor(void)
{
	char id[48], auth[2048], mr[48] = "", body[1024], rauth[2048] = "";
	struct t_res r;
	const cJSON *f, *d, *landed;
	struct eng *e = started(id, sizeof id, auth, sizeof auth);

	snprintf(body, sizeof body, "{\"title\":\"C\",\"beads\":[\"%s\"]}", id);
	r = t_request(e, "POST", "/api/towns/t1/convoys", body, t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = done(e, id, auth, "{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":" FILES "}");
	CHECK(r.status == 200);
	snprintf(mr, sizeof mr, "%s", field(cJSON_GetObjectItem(r.body, "data"), "merge_request"));
	t_res_free(&r);
	t_now += 1000;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(r.meta, "effects")) {
		if (!t_streq(field(f, "url"), "container:/towns/t1/agents/refinery-r/start"))
			continue;
		cJSON *start = cJSON_Parse(field(f, "body"));
		snprintf(rauth, sizeof rauth, "{\"authorization\":\"Bearer %s\"}", field(start, "token"));
		cJSON_Delete(start);
	}
	t_res_free(&r);
	CHECK(*rauth != '\0');
	snprintf(body, sizeof body, "{\"bead\":\"%s\",\"outcome\":\"merged\",\"commit\":\"3333333\",\"diff\":{\"base\":\"4444444\","
		 "\"head\":\"3333333\",\"files\":[{\"path\":\"src/a.c\",\"status\":\"added\",\"additions\":3,\"deletions\":0},"
		 "{\"path\":\"README.md\",\"status\":\"modified\",\"additions\":1,\"deletions\":1}]}}", mr);
	r = t_request(e, "POST", "/api/towns/t1/agents/refinery-r/done", body, rauth);
	CHECK(r.status == 200);
	t_res_free(&r);

	r = get_diff(e, id, t_as("sarah"));
	d = cJSON_GetObjectItem(r.body, "data");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(d, "landed")));
	CHECK(t_streq(field(d, "base"), "4444444") && t_streq(field(d, "head"), "3333333"));
	CHECK(field(d, "branch") && strstr(field(d, "branch"), id) != NULL); /* the work's branch is kept */
	CHECK(num(cJSON_GetObjectItem(d, "totals"), "files") == 2 && num(cJSON_GetObjectItem(d, "totals"), "additions") == 4);
	t_res_free(&r);

	r = t_request(e, "GET", "/api/towns/t1/convoys", NULL, t_as("sarah"));
	snprintf(body, sizeof body, "/api/towns/t1/convoys/%s", field(cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "data"), 0), "id"));
	t_res_free(&r);
	r = t_request(e, "GET", body, NULL, t_as("sarah"));
	d = cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "diff_totals");
	CHECK(num(d, "beads") == 1 && num(d, "files") == 2 && num(d, "additions") == 4 && num(d, "deletions") == 1 &&
	      num(d, "rigs") == 1);
	t_res_free(&r);

	r = t_request(e, "POST", "/api/towns/t1/mayor/messages", "{\"text\":\"What landed?\"}", t_as("sarah"));
	CHECK(r.status == 201);
	landed = cJSON_GetArrayItem(cJSON_GetObjectItem(t_data(&r, "context"), "landed"), 0);
	CHECK(t_streq(field(landed, "id"), id));
	CHECK(t_streq(field(landed, "summary"), "changed 2 files (+4 \xe2\x88\x92" "1): src/a.c, README.md"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* Each bad report is refused with the field at fault, and the bead stays as it was: no review, no
 * merge request, no diff. */
static void a_bad_diff_leaves_no_trace(void)
{
	static const struct {
		const char *diff, *field;
		int status;
	} bad[] = {
		{"[]", "diff", 400},
		{"{\"base\":\"" BASE "\",\"files\":[]}", "diff.head", 400},
		{"{\"base\":\"xyz1234\",\"head\":\"" HEAD "\",\"files\":[]}", "diff.base", 400},
		{"{\"base\":\"123\",\"head\":\"" HEAD "\",\"files\":[]}", "diff.base", 400},
		{"{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":{}}", "diff.files", 400},
		{"{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[7]}", "diff.files[0]", 400},
		{"{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[{\"path\":\"a\",\"status\":\"gone\",\"additions\":1,\"deletions\":0}]}",
		 "diff.files[0].status", 400},
		{"{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[{\"path\":\"a\",\"status\":\"added\",\"additions\":-1,\"deletions\":0}]}",
		 "diff.files[0].additions", 400},
		{"{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[{\"path\":\"a\",\"status\":\"added\",\"additions\":\"3\",\"deletions\":0}]}",
		 "diff.files[0].additions", 400},
		{"{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[{\"path\":\"\",\"status\":\"added\",\"additions\":1,\"deletions\":0}]}",
		 "diff.files[0].path", 400},
		{"{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[{\"path\":\"a\",\"status\":\"added\",\"additions\":1,\"deletions\":0,\"binary\":1}]}",
		 "diff.files[0].binary", 400},
		{NULL, "diff.files", 413}, /* 1001 files */
	};
	char id[48], auth[2048], status[16];
	struct eng *e = started(id, sizeof id, auth, sizeof auth);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		static char many[150000];
		const char *diff = bad[i].diff;
		struct t_res r;

		if (!diff) {
			size_t n = (size_t)snprintf(many, sizeof many, "{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[");
			for (int k = 0; k < 1001; k++)
				n += (size_t)snprintf(many + n, sizeof many - n, "%s{\"path\":\"f%d\",\"status\":\"added\",\"additions\":1,\"deletions\":0}",
						      k ? "," : "", k);
			snprintf(many + n, sizeof many - n, "]}");
			diff = many;
		}
		r = done(e, id, auth, diff);
		CHECK(r.status == bad[i].status);
		CHECK(t_streq(field(cJSON_GetObjectItem(r.body, "error"), "field"), bad[i].field));
		if (!t_streq(field(cJSON_GetObjectItem(r.body, "error"), "field"), bad[i].field))
			fprintf(stderr, "# case %zu: %s\n", i, field(cJSON_GetObjectItem(r.body, "error"), "field"));
		t_res_free(&r);
		CHECK(t_streq(bead_status(e, id, status, sizeof status), "in_progress"));
		r = get_diff(e, id, t_as("sarah"));
		CHECK(r.status == 200 && cJSON_IsFalse(t_data(&r, "recorded")));
		t_res_free(&r);
	}
	/* 1000 files is the limit, not past it; the bead then goes on to review. */
	{
		static char many[150000];
		size_t n = (size_t)snprintf(many, sizeof many, "{\"base\":\"" BASE "\",\"head\":\"" HEAD "\",\"files\":[");
		struct t_res r;

		for (int k = 0; k < 1000; k++)
			n += (size_t)snprintf(many + n, sizeof many - n, "%s{\"path\":\"f%d\",\"status\":\"added\",\"additions\":1,\"deletions\":0}",
					      k ? "," : "", k);
		snprintf(many + n, sizeof many - n, "]}");
		r = done(e, id, auth, many);
		CHECK(r.status == 200);
		t_res_free(&r);
		r = get_diff(e, id, t_as("sarah"));
		CHECK(num(t_data(&r, "totals"), "files") == 1000 && num(t_data(&r, "totals"), "additions") == 1000);
		t_res_free(&r);
	}
	eng_close(e);
	t_cleanup();
}

/* No diff yet: an answer, not an error, and nothing for the shim to fetch; unknown beads and
 * strangers get nothing. */
static void a_bead_without_a_diff_and_who_may_ask(void)
{
	char id[48], auth[2048];
	struct t_res r;
	struct eng *e = started(id, sizeof id, auth, sizeof auth);

	r = get_diff(e, id, t_as("sarah"));
	CHECK(r.status == 200);
	CHECK(cJSON_IsFalse(t_data(&r, "recorded")) && cJSON_GetArraySize(t_data(&r, "files")) == 0);
	CHECK(num(t_data(&r, "totals"), "files") == 0 && cJSON_IsNull(t_data(&r, "diff")));
	CHECK(cJSON_GetObjectItem(r.meta, "proxy") == NULL);
	t_res_free(&r);
	r = get_diff(e, "gt-nope1", t_as("sarah"));
	CHECK(r.status == 404 && t_streq(field(cJSON_GetObjectItem(r.body, "error"), "field"), "bead_id"));
	CHECK(cJSON_GetObjectItem(r.meta, "proxy") == NULL);
	t_res_free(&r);
	r = get_diff(e, id, t_as("mallory"));
	CHECK(r.status == 404 && t_streq(field(cJSON_GetObjectItem(r.body, "error"), "field"), "town_id"));
	CHECK(cJSON_GetObjectItem(r.meta, "proxy") == NULL);
	t_res_free(&r);
	/* The agent may read it too (R_ANY, a member's view). */
	r = get_diff(e, id, auth);
	CHECK(r.status == 200);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	RUN(a_done_report_records_the_diff_and_its_totals);
	RUN(what_landed_replaces_it_and_reaches_the_convoy_and_the_mayor);
	RUN(a_bad_diff_leaves_no_trace);
	RUN(a_bead_without_a_diff_and_who_may_ask);
	return t_done();
}
