/*
 * test_agent.c - what happens over time: agent tokens (valid 15 minutes, refreshable with the
 * expired token for a day, then not at all) and escalations nobody acknowledges (raised again, one
 * severity up). The clock is the input's, so time is ours to move.
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

	e = t_town(1);
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

static const char *severity_of(struct eng *e)
{
	static char sev[16];
	struct t_res r = t_request(e, "GET", "/api/towns/t1/escalations", NULL, t_as("sarah"));
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(r.body ? cJSON_GetObjectItem(r.body, "data") : NULL, 0), "severity"));

	snprintf(sev, sizeof sev, "%s", s ? s : "");
	t_res_free(&r);
	return sev;
}

static void unacknowledged_escalations_are_raised_again(void)
{
	double t0 = t_now;
	struct eng *e;
	struct t_res r;
	char id[48], path[128];

	e = t_town(0);
	r = post(e, "/api/towns/t1/escalations", "{\"severity\":\"low\",\"title\":\"Disk filling\"}", t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(id, sizeof id, "%s", cJSON_GetStringValue(t_data(&r, "id")) ? cJSON_GetStringValue(t_data(&r, "id")) : "");
	/* The alarm is armed for the earliest thing due (here the town's registry effect deadline). */
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) > t0);
	t_res_free(&r);

	/* Nothing happens before the escalation's time. */
	t_now = t0 + 23 * 3600e3;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	t_res_free(&r);
	CHECK(t_streq(severity_of(e), "low"));

	t_now = t0 + 24 * 3600e3;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(r.rc == ENG_OK);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == t_now + 4 * 3600e3);
	t_res_free(&r);
	CHECK(t_streq(severity_of(e), "medium"));
	t_now += 4 * 3600e3;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	t_res_free(&r);
	CHECK(t_streq(severity_of(e), "high"));

	/* Acknowledged: the next alarm finds nothing to raise. */
	snprintf(path, sizeof path, "/api/towns/t1/escalations/%s/ack", id);
	r = post(e, path, NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = post(e, path, NULL, t_as("sarah"));
	CHECK(r.status == 409);
	t_res_free(&r);
	t_now += 3600e3;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == 0);
	t_res_free(&r);
	CHECK(t_streq(severity_of(e), "high"));
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

static void tokens_can_be_revoked_and_sessions_end(void)
{
	double t0 = t_now;
	struct eng *e;
	struct t_res r;
	char token[1024];

	e = t_town(1);

	/* Revoked: a token in use (remembered by the engine) stops working at once. */
	r = post(e, "/api/towns/t1/agents/toast/token", NULL, t_as("sarah"));
	snprintf(token, sizeof token, "%s", cJSON_GetStringValue(t_data(&r, "token")));
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/heartbeat", NULL, bearer(token));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/token/revoke", NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/heartbeat", NULL, bearer(token));
	CHECK(r.status == 401);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "reason")), "revoked"));
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/token/refresh", NULL, bearer(token));
	CHECK(r.status == 401);
	t_res_free(&r);

	/* A new chain: refreshed within the grace day after day, it ends a week after it began. */
	r = post(e, "/api/towns/t1/agents/toast/token", NULL, t_as("sarah"));
	snprintf(token, sizeof token, "%s", cJSON_GetStringValue(t_data(&r, "token")));
	t_res_free(&r);
	int refreshed = 0, status = 200;
	for (int day = 1; day <= 10 && status == 200; day++) {
		t_now = t0 + day * 23 * 3600e3;
		r = post(e, "/api/towns/t1/agents/toast/token/refresh", NULL, bearer(token));
		status = r.status;
		if (status == 200) {
			snprintf(token, sizeof token, "%s", cJSON_GetStringValue(t_data(&r, "token")));
			refreshed++;
		} else {
			CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "reason")),
				      "session_expired"));
		}
		t_res_free(&r);
	}
	CHECK(refreshed == 7); /* 7 x 23 h is inside the week; 8 x 23 h is not */
	CHECK(status == 401);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

/* The engine remembers the last token it verified; that must not outlive the token. */
static void remembered_tokens_still_expire(void)
{
	double t0 = t_now;
	struct eng *e;
	struct t_res r;
	char sarah[2048], bob[2048];

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 0);
	snprintf(sarah, sizeof sarah, "%s", t_as("sarah"));
	snprintf(bob, sizeof bob, "%s", t_as("bob"));
	r = post(e, "/api/towns/t1", "{\"name\":\"T\"}", sarah);
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1", NULL, sarah); /* remembered now */
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1", NULL, bob); /* another token: verified, and an outsider */
	CHECK(r.status == 404);
	t_res_free(&r);
	t_now = t0 + 3600e3 + 61e3; /* past exp and the leeway */
	r = t_request(e, "GET", "/api/towns/t1", NULL, sarah);
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
	RUN(unacknowledged_escalations_are_raised_again);
	RUN(remembered_tokens_still_expire);
	RUN(tokens_can_be_revoked_and_sessions_end);
	return t_done();
}
