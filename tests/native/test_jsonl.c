/*
 * test_jsonl.c - local Gas Town's JSONL in and out (docs/import-export.md) in the native engine:
 * RFC 3339 times both ways; an import all or nothing (a bad line, a cycle among the lines' deps),
 * a dry run that leaves storage exactly as it was, lines of other types skipped, and what the town
 * cannot hold (a long title, labels past its limits, a status it has not) given back by the export.
 */
#include "harness.h"
#include "core/core.h"

#define OPERATOR "{\"authorization\":\"Bearer operator-secret\"}"

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static void times(void)
{
	static const struct {
		const char *text;
		double ms;
	} good[] = {
		{"1970-01-01T00:00:00Z", 0},
		{"2025-12-16T13:26:47.117226-08:00", 1765920407117},
		{"2025-12-13T08:41:34.956552+11:00", 1765575694956},
		{"2025-12-14T10:40:14.872875259-07:00", 1765734014872},
		{"2000-02-29T23:59:59.999Z", 951868799999},
	};
	static const char *const bad[] = {"", "2025-12-16", "2025-12-16T13:26:47", "2025-13-01T00:00:00Z",
					  "2025-12-16T13:26:47.Z", "2025-12-16T13:26:47+0800", "2025-12-16T13:26:47Zjunk",
					  "yesterday", "2025-12-16T25:00:00Z"};
	char text[32];
	double ms;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK(iso_time_ms(good[i].text, &ms) && ms == good[i].ms);
		iso_time_format(good[i].ms, text);
		CHECK(iso_time_ms(text, &ms) && ms == good[i].ms);
	}
	iso_time_format(1765920407117, text);
	CHECK(t_streq(text, "2025-12-16T21:26:47.117Z"));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!iso_time_ms(bad[i], &ms));
}

static void digest(struct eng *e, char *out, size_t len)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, OPERATOR);

	snprintf(out, len, "%s", str(cJSON_GetObjectItem(r.body, "data"), "digest"));
	t_res_free(&r);
}

static struct t_res import(struct eng *e, const char *query, const char *body)
{
	char path[128];

	snprintf(path, sizeof path, "/api/towns/t1/import%s", query);
	return t_request(e, "POST", path, body, t_as("sarah"));
}

static void all_or_nothing(void)
{
	struct eng *e = t_town(0);
	char before[80], after[80], title[400], body[4096];
	static const char *const refused[] = {
		/* a cycle among the lines' blocking deps */
		"{\"id\":\"a\",\"title\":\"A\",\"status\":\"open\",\"dependencies\":[{\"issue_id\":\"a\",\"depends_on_id\":\"b\",\"type\":\"blocks\"}]}\n"
		"{\"id\":\"b\",\"title\":\"B\",\"status\":\"open\",\"dependencies\":[{\"issue_id\":\"b\",\"depends_on_id\":\"a\",\"type\":\"blocks\"}]}\n",
		"{\"id\":\"a\",\"title\":\"A\",\"status\":\"open\"}\n{\"id\":\"b\",\"title\":\"B\",\"status\":7}\n",
		"{\"id\":\"a\",\"title\":\"A\",\"status\":\"open\",\"labels\":\"x\"}\n",
		/* a priority out of every integer's range, and not a number at all (read before the range once) */
		"{\"id\":\"a\",\"title\":\"A\",\"status\":\"open\",\"priority\":1e300}\n",
		"{\"id\":\"a\",\"title\":\"A\",\"status\":\"open\",\"priority\":-1e300}\n",
		"{\"id\":\"a\",\"title\":\"A\",\"status\":\"open\",\"priority\":2.5}\n",
		"{\"id\":\"\",\"title\":\"A\",\"status\":\"open\"}\n",
		"\n\n  \n",
		"\xff\xfe\n",
	};
	struct t_res r;
	const cJSON *b;

	digest(e, before, sizeof before);
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		r = import(e, "", refused[i]);
		CHECK(r.status == 400);
		t_res_free(&r);
	}
	r = import(e, "", refused[0]);
	CHECK(strncmp(str(cJSON_GetObjectItem(r.body, "error"), "message"), "line 2: ", 8) == 0);
	t_res_free(&r);
	r = import(e, "?dry_run=true", "{\"id\":\"a\",\"title\":\"A\",\"status\":\"open\"}\n");
	CHECK(r.status == 200 && cJSON_IsTrue(t_data(&r, "dry_run")));
	t_res_free(&r);
	digest(e, after, sizeof after);
	CHECK(*before && strcmp(before, after) == 0);

	/* What the town cannot hold is kept and given back. */
	memset(title, 'x', 300);
	title[300] = '\0';
	snprintf(body, sizeof body,
		 "{\"id\":\"long\",\"title\":\"%s\",\"status\":\"hooked\",\"issue_type\":\"spike\",\"labels\":[\"a\",\"%s\"],"
		 "\"design\":{\"notes\":[1,2]}}\n{\"_type\":\"memory\",\"key\":\"k\"}\n", title, title);
	r = import(e, "", body);
	CHECK(r.status == 201 && cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "skipped")->valueint == 1);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/beads", NULL, t_as("sarah"));
	b = cJSON_GetArrayItem(t_data(&r, "beads"), 0);
	CHECK(strlen(str(b, "title")) == 200 && t_streq(str(b, "status"), "open") && t_streq(str(b, "type"), "task") &&
	      cJSON_GetArraySize(cJSON_GetObjectItem(b, "labels")) == 1);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/export", NULL, t_as("sarah"));
	{
		cJSON *line = cJSON_Parse(str(cJSON_GetObjectItem(r.body, "data"), "jsonl"));

		CHECK(line && strlen(str(line, "title")) == 300 && t_streq(str(line, "status"), "hooked") &&
		      t_streq(str(line, "issue_type"), "spike") && cJSON_GetArraySize(cJSON_GetObjectItem(line, "labels")) == 2 &&
		      cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(line, "design"), "notes")) == 2);
		cJSON_Delete(line);
	}
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	RUN(times);
	RUN(all_or_nothing);
	return t_done();
}
