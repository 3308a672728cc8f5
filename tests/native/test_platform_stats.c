/*
 * test_platform_stats.c - the platform's figures, both sides. The town's report: what it sends is
 * its totals made anonymous (a town's own persona reads "custom", a fine-tuned model id
 * "fine-tuned"; no agent, bead or person), under a growing number, even before any work ends; a
 * town that stops sharing sends one empty report and then nothing. The StatsDO: only the town itself may report for it;
 * a malformed report or a stranger's leaves storage as it was; a stale number is not taken; the
 * alarm sums towns, and a row resting on one town is withheld.
 */
#include "harness.h"
#include "sqlite3.h"

#define OPERATOR "{\"authorization\":\"Bearer operator-secret\"}"

static const char *field(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static void digest(struct eng *e, const char *path, char *out, size_t len)
{
	struct t_res r = t_request(e, "GET", path, NULL, OPERATOR);

	snprintf(out, len, "%s", field(cJSON_GetObjectItem(r.body, "data"), "digest") ? field(cJSON_GetObjectItem(r.body, "data"), "digest") : "?");
	t_res_free(&r);
}

/* The body of the effect to the StatsDO in r's output, parsed (NULL: none). */
static cJSON *report_sent(const struct t_res *r)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(r->meta, "effects"))
		if (field(f, "url") && strncmp(field(f, "url"), "do://stats/platform/_internal/reports/", 38) == 0)
			return cJSON_Parse(field(f, "body"));
	return NULL;
}

/* Rewrite the seeded totals as if the town had worked in its own persona and a fine-tuned model. */
static void own_persona_and_model(void)
{
	sqlite3 *db;

	CHECK(sqlite3_open(t_db, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
		"UPDATE outcome_totals SET key = 'acme-payments' WHERE dim = 'persona' AND key = 'backend';"
		"UPDATE outcome_totals SET key = replace(key, '|backend|', '|acme-payments|') WHERE dim = 'variant';"
		"UPDATE outcome_totals SET key = 'ft:gpt-4o:acme-corp:x1' WHERE dim = 'model' AND key = 'opus';"
		"UPDATE outcome_totals SET key = replace(key, 'opus|', 'ft:gpt-4o:acme-corp:x1|') WHERE dim = 'variant';",
		NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

static cJSON *town_report(double *seq_out)
{
	struct eng *e;
	struct t_res r;
	cJSON *sent, *again;
	char *text;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	t_res_free(&r);
	/* Nothing ended yet: an empty report all the same (its answer brings the platform's figures). */
	r = t_request(e, "POST", "/api/towns/t1/_test/stats-report", NULL, OPERATOR);
	CHECK(r.status == 200 && (sent = report_sent(&r)) != NULL);
	CHECK(sent && cJSON_GetArraySize(cJSON_GetObjectItem(sent, "rows")) == 0 && num(sent, "seq") >= 1);
	cJSON_Delete(sent);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/_test/outcomes-seed", "{\"count\":400,\"key\":\"5\"}", OPERATOR);
	CHECK(r.status == 200);
	t_res_free(&r);
	eng_close(e);
	own_persona_and_model();
	e = t_open(ENG_TOWN, "t1", 1);

	r = t_request(e, "POST", "/api/towns/t1/_test/stats-report", NULL, OPERATOR);
	CHECK(r.status == 200 && (sent = report_sent(&r)) != NULL);
	t_res_free(&r);
	text = cJSON_PrintUnformatted(sent);
	/* Anonymous: the town's own persona and its fine-tuned model's owner are gone, and no agent. */
	CHECK(text && !strstr(text, "acme") && !strstr(text, "seed-") && !strstr(text, "\"agent\""));
	CHECK(text && strstr(text, "\"persona\",\"custom\"") && strstr(text, "\"model\",\"fine-tuned\"") &&
	      strstr(text, "|custom|claude") && strstr(text, "\"persona\",\"test-writer\""));
	cJSON_free(text);
	*seq_out = num(sent, "seq");
	CHECK(*seq_out >= 1 && cJSON_GetArraySize(cJSON_GetObjectItem(sent, "rows")) > 50);

	/* Sent again: the same rows under a higher number. */
	r = t_request(e, "POST", "/api/towns/t1/_test/stats-report", NULL, OPERATOR);
	CHECK((again = report_sent(&r)) != NULL && num(again, "seq") > *seq_out);
	CHECK(cJSON_Compare(cJSON_GetObjectItem(again, "rows"), cJSON_GetObjectItem(sent, "rows"), 1));
	cJSON_Delete(again);
	t_res_free(&r);

	/* The town stops sharing: one empty report, then nothing. */
	r = t_request(e, "PATCH", "/api/towns/t1", "{\"settings\":{\"share_stats\":false}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/_test/stats-report", NULL, OPERATOR);
	CHECK((again = report_sent(&r)) != NULL && cJSON_GetArraySize(cJSON_GetObjectItem(again, "rows")) == 0);
	cJSON_Delete(again);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/_test/stats-report", NULL, OPERATOR);
	CHECK(r.status == 200 && !report_sent(&r));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
	return sent;
}

static struct t_res put_report(struct eng *e, const char *town, const char *caller, const char *body)
{
	char meta[512];

	snprintf(meta, sizeof meta,
		 "{\"method\":\"PUT\",\"path\":\"/_internal/reports/%s\",\"headers\":{\"x-gastown-caller\":\"%s\"}}", town,
		 caller);
	return t_event(e, ENG_EV_REQUEST, meta, body);
}

static void the_platform_takes_towns_reports(const cJSON *sent)
{
	static const char *const bad[] = {
		"{\"seq\":1}",
		"{\"seq\":0,\"rows\":[]}",
		"{\"seq\":1,\"rows\":[[\"agent\",\"toast\",\"\",\"\",1,1,1,0,0,0,1,1]]}",
		"{\"seq\":1,\"rows\":[[\"all\",\"\",\"\",\"\",1,1,1,0,0,0,1]]}",
		"{\"seq\":1,\"rows\":[[\"all\",\"\",\"\",\"\",-1,1,1,0,0,0,1,1]]}",
		"{\"seq\":1,\"rows\":[[\"all\",\"\",\"\",\"\",1.5,1,1,0,0,0,1,1]]}",
		"{\"seq\":1,\"rows\":[[\"all\",\"\",\"\",\"\",1,1,1,0,0,0,1,1],\"x\"]}",
		"[1,2]",
	};
	char before[80], after[80], *body = cJSON_PrintUnformatted(sent);
	const char *path = "/api/stats/debug/storage";
	struct eng *e;
	struct t_res r;
	const cJSON *row;
	double total = 0;

	t_fresh_db();
	e = t_open(ENG_STATS, "platform", 0);
	/* A first report makes the tables; then every refusal leaves them as they are. */
	r = put_report(e, "t0", "town:t0", "{\"seq\":1,\"rows\":[[\"all\",\"\",\"\",\"\",3,2,3,0,1,0,30,9]]}");
	CHECK(r.status == 200 && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "taken")));
	t_res_free(&r);
	digest(e, path, before, sizeof before);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = put_report(e, "t1", "town:t1", bad[i]);
		CHECK(r.status == 400);
		t_res_free(&r);
	}
	/* Only the town itself reports for it. */
	r = put_report(e, "t1", "town:t2", body);
	CHECK(r.status == 403);
	t_res_free(&r);
	r = put_report(e, "t1", "org:t1", body);
	CHECK(r.status == 403);
	t_res_free(&r);
	digest(e, path, after, sizeof after);
	CHECK(strcmp(before, after) == 0);

	/* Two towns report the same totals; a stale number is refused without a trace. */
	r = put_report(e, "t1", "town:t1", body);
	CHECK(r.status == 200 && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "taken")));
	t_res_free(&r);
	r = put_report(e, "t1", "town:t1", body);
	CHECK(r.status == 200 && cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "taken")));
	t_res_free(&r);
	r = put_report(e, "t2", "town:t2", body);
	CHECK(r.status == 200);
	t_res_free(&r);

	/* Before the alarm: no totals yet. After it: each shared row twice the town's. */
	r = t_request(e, "GET", "/api/stats?by=model", NULL, t_as("anyone"));
	CHECK(r.status == 200 && num(cJSON_GetObjectItem(r.body, "data"), "towns") == 3 &&
	      cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "rows")) == 0);
	t_res_free(&r);
	t_now += 5000;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(r.status == 200 || r.rc == ENG_OK);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/stats?by=model", NULL, t_as("anyone"));
	CHECK(r.status == 200 && cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "rows")) == 4);
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "rows")) {
		const cJSON *own;

		CHECK(num(row, "towns") == 2);
		/* The town's own row of this model, any kind and language. */
		cJSON_ArrayForEach(own, cJSON_GetObjectItem(sent, "rows"))
			if (t_streq(cJSON_GetArrayItem(own, 0)->valuestring, "model") &&
			    t_streq(cJSON_GetArrayItem(own, 1)->valuestring, field(row, "key")) &&
			    !*cJSON_GetArrayItem(own, 2)->valuestring && !*cJSON_GetArrayItem(own, 3)->valuestring)
				CHECK(num(row, "n") == 2 * cJSON_GetArrayItem(own, 4)->valuedouble &&
				      num(row, "cost_microusd") == 2 * cJSON_GetArrayItem(own, 10)->valuedouble);
		total += num(row, "n");
	}
	CHECK(total == 800);
	t_res_free(&r);
	/* t0's one "all" row rests on three towns now; its language rows on two. */
	r = t_request(e, "GET", "/api/stats?by=persona", NULL, t_as("anyone"));
	CHECK(r.status == 200 && cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "rows")) == 3);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/stats?by=agent", NULL, t_as("anyone"));
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/stats", NULL, "{}");
	CHECK(r.status == 401);
	t_res_free(&r);

	/* t2 withdraws: nothing rests on two towns any more. */
	r = put_report(e, "t2", "town:t2", "{\"seq\":4000000000000,\"rows\":[]}");
	CHECK(r.status == 200);
	t_res_free(&r);
	t_now += 5000;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/stats?by=model", NULL, t_as("anyone"));
	CHECK(r.status == 200 && num(cJSON_GetObjectItem(r.body, "data"), "towns") == 2 &&
	      cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "rows")) == 0);
	t_res_free(&r);
	cJSON_free(body);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	double seq = 0;
	cJSON *sent = town_report(&seq);

	if (sent)
		the_platform_takes_towns_reports(sent);
	cJSON_Delete(sent);
	return t_done();
}
