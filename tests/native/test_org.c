/*
 * test_org.c - an organization keeps its towns' member lists right even when messages are lost:
 * a push that is not confirmed is sent again on the org's alarm until the town confirms it.
 */
#include "harness.h"

/* The effects of a call that go to a path ending in suffix; their ids into ids (count returned). */
static int effects_to(const struct t_res *r, const char *suffix, char ids[][64], int max)
{
	const cJSON *fx;
	int n = 0;

	cJSON_ArrayForEach(fx, cJSON_GetObjectItem(r->meta, "effects")) {
		const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(fx, "url"));

		if (url && strlen(url) >= strlen(suffix) && strcmp(url + strlen(url) - strlen(suffix), suffix) == 0 && n < max)
			snprintf(ids[n++], 64, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(fx, "id")));
	}
	return n;
}

static void result(struct eng *e, const char *id, int ok, int status, const char *body)
{
	char meta[256];
	struct t_res r;

	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":%s,\"status\":%d}", id, ok ? "true" : "false", status);
	r = t_event(e, ENG_EV_EFFECT_RESULT, meta, body);
	CHECK(r.rc == ENG_OK);
	t_res_free(&r);
}

/* Organization acme on a fresh database with its town hq created and confirmed. */
/* The org's alarm at time at: how many effects it sends to a path ending in suffix (ids filled). */
static int alarm_sends(struct eng *e, double at, const char *suffix, char ids[][64])
{
	struct t_res r;
	int n;

	t_now = at;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	n = effects_to(&r, suffix, ids, 8);
	t_res_free(&r);
	return n;
}

static struct eng *org_with_town(void)
{
	struct eng *e;
	struct t_res r;
	char ids[8][64];

	t_fresh_db();
	e = t_open(ENG_ORG, "acme", 0);
	r = t_request(e, "POST", "/api/orgs/acme", "{\"name\":\"Acme\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/orgs/acme/towns/hq", "{\"name\":\"HQ\"}", t_as("sarah"));
	CHECK(r.status == 202);
	CHECK(effects_to(&r, "/_internal/create", ids, 8) == 1);
	t_res_free(&r);
	result(e, ids[0], 1, 201, "{\"data\":null}");
	return e;
}

static void lost_member_pushes_are_sent_again(void)
{
	double t0 = t_now;
	struct eng *e;
	struct t_res r;
	char ids[8][64];

	e = org_with_town();

	/* A new member: the push to hq is lost. */
	r = t_request(e, "PUT", "/api/orgs/acme/members/bob", "{\"role\":\"member\"}", t_as("sarah"));
	CHECK(r.status == 200);
	CHECK(effects_to(&r, "/_internal/org-members", ids, 8) == 1);
	t_res_free(&r);
	result(e, ids[0], 0, 0, "");

	/* A minute later the alarm sends the newest list again... */
	CHECK(alarm_sends(e, t0 + 61000, "/_internal/org-members", ids) == 1);
	/* ...and once hq confirms it, nothing more is sent. */
	result(e, ids[0], 1, 200, "{\"data\":{\"version\":1}}");
	CHECK(alarm_sends(e, t0 + 200000, "/_internal/org-members", ids) == 0);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

static void a_lost_creation_answer_is_asked_again(void)
{
	double t0 = t_now;
	struct eng *e;
	struct t_res r;
	char ids[8][64];

	t_fresh_db();
	e = t_open(ENG_ORG, "acme", 0);
	r = t_request(e, "POST", "/api/orgs/acme", "{\"name\":\"Acme\"}", t_as("sarah"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/orgs/acme/towns/hq", "{\"name\":\"HQ\"}", t_as("sarah"));
	CHECK(effects_to(&r, "/_internal/create", ids, 8) == 1);
	t_res_free(&r);
	result(e, ids[0], 0, 0, ""); /* no answer: not a refusal */
	r = t_request(e, "GET", "/api/orgs/acme/towns", NULL, t_as("sarah"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "data"), 0), "state")),
		      "creating"));
	t_res_free(&r);
	CHECK(alarm_sends(e, t0 + 61000, "/_internal/create", ids) == 1);
	result(e, ids[0], 1, 201, "{\"data\":null}");
	r = t_request(e, "GET", "/api/orgs/acme/towns", NULL, t_as("sarah"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "data"), 0), "state")),
		      "active"));
	t_res_free(&r);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

/* The ws_close tags of a call, joined by spaces into out. */
static void closed_tags(const struct t_res *r, char *out, size_t cap)
{
	const cJSON *x;

	out[0] = '\0';
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r->meta, "ws_close")) {
		size_t len = strlen(out);
		snprintf(out + len, cap - len, "%s%s", len ? " " : "", cJSON_GetStringValue(cJSON_GetObjectItem(x, "tag")));
	}
}

/* An organization town's member list closes the terminals of those whose role changed (they open
 * again in the new mode) and every socket of those who left; the unchanged keep theirs. */
/* Numbers from a town out of every range: a fleet report's day or total, a pushed list's version
 * confirmed. Refused (or taken as garbled), never converted. */
static void a_towns_numbers_out_of_range_are_refused(void)
{
	static const char *const bad[] = {
		"{\"costs\":[[1e300,\"bob\",\"r\",5]],\"closed\":[]}",
		"{\"costs\":[[20000,\"bob\",\"r\",1e999]],\"closed\":[]}",
		"{\"costs\":[],\"closed\":[[20000,\"bob\",\"r\",1,2,-1e300]]}",
	};
	static const char town[] = "{\"x-gastown-caller\":\"town:hq\"}";
	double t0 = t_now;
	struct eng *e;
	struct t_res r;
	char ids[8][64];

	e = org_with_town();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = t_request(e, "PUT", "/_internal/fleet/hq", bad[i], town);
		CHECK(r.status == 400);
		t_res_free(&r);
	}
	r = t_request(e, "PUT", "/_internal/fleet/hq", "{\"costs\":[[20000,\"bob\",\"r\",5]],\"closed\":[]}", town);
	CHECK(r.status == 200);
	t_res_free(&r);
	/* A confirmation with a version no list has is none: the list is sent again on the alarm. */
	r = t_request(e, "PUT", "/api/orgs/acme/members/bob", "{\"role\":\"member\"}", t_as("sarah"));
	CHECK(effects_to(&r, "/_internal/org-members", ids, 8) == 1);
	t_res_free(&r);
	result(e, ids[0], 1, 200, "{\"data\":{\"version\":1e300}}");
	CHECK(alarm_sends(e, t0 + 61000, "/_internal/org-members", ids) == 1);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

static void member_lists_close_what_access_no_longer_allows(void)
{
	const char *org = "{\"x-gastown-caller\":\"org:acme\"}";
	struct eng *e;
	struct t_res r;
	char tags[256];

	t_fresh_db();
	e = t_open(ENG_TOWN, "web", 0);
	r = t_request(e, "POST", "/_internal/create", "{\"org_id\":\"acme\",\"name\":\"Web\",\"created_by\":\"ann\","
		      "\"version\":1,\"members\":[{\"user_id\":\"ann\",\"role\":\"owner\"},{\"user_id\":\"bo\","
		      "\"role\":\"member\"},{\"user_id\":\"cy\",\"role\":\"member\"}]}", org);
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "PUT", "/_internal/org-members", "{\"org_id\":\"acme\",\"version\":2,\"members\":["
		      "{\"user_id\":\"ann\",\"role\":\"owner\"},{\"user_id\":\"bo\",\"role\":\"viewer\"}]}", org);
	CHECK(r.status == 200);
	closed_tags(&r, tags, sizeof tags);
	CHECK(t_streq(tags, "terminal:bo user:cy"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(lost_member_pushes_are_sent_again);
	RUN(a_lost_creation_answer_is_asked_again);
	RUN(member_lists_close_what_access_no_longer_allows);
	RUN(a_towns_numbers_out_of_range_are_refused);
	return t_done();
}
