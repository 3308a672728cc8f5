/*
 * test_agent.c - agent tokens over time: valid for 15 minutes, refused after, refreshable with
 * the expired token for a day, then not at all. The clock is the input's, so time is ours to move.
 */
#include "harness.h"

static struct t_res post(struct eng *e, const char *path, const char *body, const char *headers)
{
	return t_request(e, "POST", path, body, headers);
}

static const char *bearer(const char *token)
{
	static char h[2048];

	snprintf(h, sizeof h, "{\"authorization\":\"Bearer %s\"}", token);
	return h;
}

static void tokens_expire_and_refresh_within_grace(void)
{
	double t0 = t_now;
	struct eng *e;
	struct t_res r;
	char token[1024], fresh[1024];

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 0);
	r = post(e, "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	t_res_free(&r);
	r = post(e, "/api/towns/t1/rigs", "{\"id\":\"r\",\"git_url\":\"https://example.com/r.git\"}", t_as("sarah"));
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/token", NULL, t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(token, sizeof token, "%s", cJSON_GetStringValue(t_data(&r, "token")));
	CHECK(cJSON_GetNumberValue(t_data(&r, "expires_ms")) == t0 + 900000);
	t_res_free(&r);

	r = post(e, "/api/towns/t1/agents/toast/heartbeat", NULL, bearer(token));
	CHECK(r.status == 200);
	t_res_free(&r);

	/* 16 minutes later: expired for work, still good for a refresh. */
	t_now = t0 + 16 * 60000.0;
	r = post(e, "/api/towns/t1/agents/toast/heartbeat", NULL, bearer(token));
	CHECK(r.status == 401);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "reason")), "expired"));
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/token/refresh", NULL, bearer(token));
	CHECK(r.status == 200);
	snprintf(fresh, sizeof fresh, "%s", cJSON_GetStringValue(t_data(&r, "token")) ? cJSON_GetStringValue(t_data(&r, "token")) : "");
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/heartbeat", NULL, bearer(fresh));
	CHECK(r.status == 200);
	t_res_free(&r);

	/* More than a day after expiry, the old token refreshes nothing. */
	t_now = t0 + 900000.0 + 86400000.0 + 60001.0;
	r = post(e, "/api/towns/t1/agents/toast/token/refresh", NULL, bearer(token));
	CHECK(r.status == 401);
	t_res_free(&r);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(tokens_expire_and_refresh_within_grace);
	return t_done();
}
