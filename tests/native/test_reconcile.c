/*
 * test_reconcile.c - the reconciler. First its decision as a pure function (decide.c: a snapshot
 * and a time in, actions out), then whole ticks through the engine: dispatch with a signed start
 * for the container, retries with backoff, lost agents, done -> review -> merge, the breaker, a
 * failing tick and a restart between ticks. The clock is the input's, so time is ours to move.
 */
#include "harness.h"
#include "api/api.h"

static const struct rc_config cfg = {.lost_after_ms = 90000, .quiet_after_ms = 600000, .breaker_failures = 10,
				     .breaker_window_ms = 600000, .dispatch = 1};

static struct rc_agent agent(const char *id, const char *rig, enum rc_role role, enum rc_agent_state st,
			     double hb, double active, int stage)
{
	struct rc_agent a = {.role = role, .state = st, .heartbeat_ms = hb, .active_ms = active, .quiet_stage = stage};

	snprintf(a.id, sizeof a.id, "%s", id);
	snprintf(a.rig, sizeof a.rig, "%s", rig);
	if (st == RC_AGENT_WORKING)
		snprintf(a.hook, sizeof a.hook, "hooked-%s", id);
	return a;
}

static struct rc_bead bead(const char *id, const char *rig, const char *prefer, int mr)
{
	struct rc_bead b = {.merge_request = mr};

	snprintf(b.id, sizeof b.id, "%s", id);
	snprintf(b.rig, sizeof b.rig, "%s", rig);
	snprintf(b.prefer, sizeof b.prefer, "%s", prefer ? prefer : "");
	return b;
}

static size_t decide(const struct rc_agent *a, size_t na, const struct rc_bead *b, size_t nb, int max_polecats,
		     struct rc_action *out)
{
	struct rc_rig rigs[2] = {{.id = "r", .max_polecats = max_polecats}, {.id = "s", .max_polecats = max_polecats}};
	struct rc_state s = {.cfg = &cfg, .now_ms = 1e6, .agents = a, .nagents = na, .rigs = rigs, .nrigs = 2,
			     .beads = b, .nbeads = nb};
	size_t n;

	rc_decide(&s, out, 64, &n);
	return n;
}

static int has(const struct rc_action *out, size_t n, enum rc_kind k, const char *agent, const char *bead_id)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].kind == k && (!agent || strcmp(out[i].agent, agent) == 0) &&
		    (!bead_id || strcmp(out[i].bead, bead_id) == 0))
			return 1;
	return 0;
}

static void backoff_follows_the_schedule(void)
{
	CHECK(rc_backoff_ms(1) == 30000);
	CHECK(rc_backoff_ms(2) == 60000);
	CHECK(rc_backoff_ms(3) == 120000);
	CHECK(rc_backoff_ms(4) == 300000);
	CHECK(rc_backoff_ms(5) == 600000);
	CHECK(rc_backoff_ms(9) == 600000);
}

static void dispatch_uses_idle_polecats_then_new_ones_up_to_the_limit(void)
{
	struct rc_agent a[] = {agent("toast", "r", RC_POLECAT, RC_AGENT_IDLE, 1e6, 1e6, 0),
			       agent("maple", "s", RC_POLECAT, RC_AGENT_IDLE, 1e6, 1e6, 0)};
	struct rc_bead b[] = {bead("b1", "r", NULL, 0), bead("b2", "r", NULL, 0), bead("b3", "r", NULL, 0)};
	struct rc_action out[64];
	size_t n = decide(a, 2, b, 3, 2, out);

	/* maple works on rig s, so r gets toast and one new polecat; the third bead waits. */
	CHECK(n == 2);
	CHECK(has(out, n, RC_DISPATCH, "toast", "b1"));
	CHECK(has(out, n, RC_DISPATCH, "", "b2"));
	CHECK(!has(out, n, RC_DISPATCH, NULL, "b3"));
}

static void a_serial_chain_stays_on_its_agent(void)
{
	struct rc_agent a[] = {agent("maple", "r", RC_POLECAT, RC_AGENT_IDLE, 1e6, 1e6, 0),
			       agent("toast", "r", RC_POLECAT, RC_AGENT_IDLE, 1e6, 1e6, 0)};
	/* b2 comes first by priority but prefers nobody; b1's predecessor was done by toast. */
	struct rc_bead b[] = {bead("b2", "r", NULL, 0), bead("b1", "r", "toast", 0)};
	struct rc_action out[64];
	size_t n = decide(a, 2, b, 2, 4, out);

	CHECK(n == 2);
	CHECK(has(out, n, RC_DISPATCH, "toast", "b1"));
	CHECK(has(out, n, RC_DISPATCH, "maple", "b2"));
}

static void silent_agents_are_lost_and_quiet_ones_climb_the_ladder(void)
{
	double now = 1e6, q = cfg.quiet_after_ms;
	struct rc_agent a[] = {
		agent("lost", "r", RC_POLECAT, RC_AGENT_WORKING, now - 90000, now - 90000, 0),
		agent("fine", "r", RC_POLECAT, RC_AGENT_WORKING, now - 1000, now - 1000, 0),
		agent("nudge", "r", RC_POLECAT, RC_AGENT_WORKING, now - 1000, now - q, 0),
		agent("triage", "r", RC_POLECAT, RC_AGENT_WORKING, now - 1000, now - 2 * q, 1),
		agent("stop", "s", RC_POLECAT, RC_AGENT_WORKING, now - 1000, now - 3 * q, 2),
		agent("waiting", "s", RC_POLECAT, RC_AGENT_WORKING, now - 1000, now - 2 * q + 1, 1),
	};
	struct rc_bead b[] = {bead("b1", "r", "lost", 0)};
	struct rc_action out[64];
	size_t n = decide(a, 6, b, 1, 10, out);

	CHECK(has(out, n, RC_LOST, "lost", "hooked-lost"));
	CHECK(has(out, n, RC_NUDGE, "nudge", NULL));
	CHECK(has(out, n, RC_TRIAGE, "triage", NULL));
	CHECK(has(out, n, RC_STOP, "stop", NULL));
	CHECK(!has(out, n, RC_NUDGE, "fine", NULL) && !has(out, n, RC_TRIAGE, "waiting", NULL));
	/* The lost agent is not handed new work in the tick that found it lost. */
	CHECK(!has(out, n, RC_DISPATCH, "lost", NULL));
	CHECK(has(out, n, RC_DISPATCH, "", "b1"));
}

static void the_refinery_reviews_one_at_a_time(void)
{
	struct rc_agent a[] = {agent("refinery-r", "r", RC_REFINERY, RC_AGENT_IDLE, 1e6, 1e6, 0)};
	struct rc_bead b[] = {bead("mr1", "r", NULL, 1), bead("mr2", "r", NULL, 1), bead("mr3", "s", NULL, 1)};
	struct rc_action out[64];
	size_t n = decide(a, 1, b, 3, 4, out);

	CHECK(n == 2);
	CHECK(has(out, n, RC_REVIEW, "refinery-r", "mr1"));
	CHECK(has(out, n, RC_REVIEW, "", "mr3")); /* rig s has no refinery yet: one is made */
	a[0] = agent("refinery-r", "r", RC_REFINERY, RC_AGENT_WORKING, 1e6, 1e6, 0);
	n = decide(a, 1, b, 2, 4, out);
	CHECK(n == 0);
}

static void the_breaker_stops_dispatch_but_not_health(void)
{
	struct rc_agent a[] = {agent("toast", "r", RC_POLECAT, RC_AGENT_IDLE, 1e6, 1e6, 0),
			       agent("gone", "r", RC_POLECAT, RC_AGENT_WORKING, 0, 0, 0)};
	struct rc_bead b[] = {bead("b1", "r", NULL, 0)};
	struct rc_rig rigs[] = {{.id = "r", .max_polecats = 4}};
	struct rc_state s = {.cfg = &cfg, .now_ms = 1e6, .agents = a, .nagents = 2, .rigs = rigs, .nrigs = 1,
			     .beads = b, .nbeads = 1, .recent_failures = 10};
	struct rc_action out[64];
	size_t n;

	rc_decide(&s, out, 64, &n);
	CHECK(n == 2 && has(out, n, RC_BREAKER, NULL, NULL) && has(out, n, RC_LOST, "gone", NULL));
	s.recent_failures = 0;
	s.breaker_open = 1;
	rc_decide(&s, out, 64, &n);
	CHECK(n == 1 && has(out, n, RC_LOST, "gone", NULL));
	s.breaker_open = 0;
	rc_decide(&s, out, 64, &n);
	CHECK(n == 2 && has(out, n, RC_DISPATCH, "toast", "b1"));
}

/* ---- whole ticks through the engine ----------------------------------------------------------- */

#define SECRET "container-secret-for-the-native-tests-0123456789"

static struct eng *town_with_rig(int test_hooks)
{
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	t_container_secret = SECRET;
	e = t_open(ENG_TOWN, "t1", test_hooks);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/rigs",
		      "{\"id\":\"r\",\"git_url\":\"https://example.com/r.git\",\"max_polecats\":2}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	return e;
}

static struct t_res tick_now(struct eng *e)
{
	return t_event(e, ENG_EV_ALARM, "{}", NULL);
}

/* The effects of a call that are the reconciler's, as a new array (the caller deletes it): the
 * town's report to the platform's figures (a minute after its first bead, stats_report.c) and its
 * beads sent to the agent log's search (two seconds after one is made, log_index.c) are not, and
 * come at their own times. */
static cJSON *effects(const struct t_res *r)
{
	const cJSON *fx = cJSON_GetObjectItem(r->meta, "effects"), *f;
	cJSON *out = cJSON_CreateArray();

	cJSON_ArrayForEach(f, fx) {
		const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(f, "url"));

		if (!url || (strncmp(url, "do://stats/", 11) != 0 && strncmp(url, "do://log/", 9) != 0))
			cJSON_AddItemToArray(out, cJSON_Duplicate(f, 1));
	}
	return out;
}

/* A tick's effects (the caller deletes them), when the tick's answer is not looked at. */
static cJSON *tick_effects(struct eng *e)
{
	struct t_res r = tick_now(e);
	cJSON *fx = effects(&r);

	t_res_free(&r);
	return fx;
}

/* The start request among effects for agent, or NULL. */
static const cJSON *start_for(const cJSON *fx, const char *agent)
{
	const cJSON *f;
	char url[200];

	snprintf(url, sizeof url, "container:/towns/t1/agents/%s/start", agent);
	cJSON_ArrayForEach(f, fx)
		if (t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(f, "url")), url))
			return f;
	return NULL;
}

/* The host's answer to an effect: ok with an HTTP status, or a failure with an error code
 * ("timeout" when ok is 0; answer_error names another). */
static void answer_error(struct eng *e, const cJSON *fx, const char *code)
{
	char meta[256];
	struct t_res r;

	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":false,\"error\":{\"code\":\"%s\"}}",
		 cJSON_GetStringValue(cJSON_GetObjectItem(fx, "id")), code);
	r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "{}");
	CHECK(r.status == 200);
	t_res_free(&r);
}

static void answer(struct eng *e, const cJSON *fx, int ok, int status)
{
	char meta[256];
	struct t_res r;

	if (!ok) {
		answer_error(e, fx, "timeout");
		return;
	}
	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":%d}",
		 cJSON_GetStringValue(cJSON_GetObjectItem(fx, "id")), status);
	r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "{}");
	CHECK(r.status == 200);
	t_res_free(&r);
}

/* Move the clock to target, running every alarm the engine asked for on the way (as the platform
 * would) and one at target; the effects of all of them are appended to fx when given. */
static void advance(struct eng *e, double target, cJSON *fx)
{
	for (int guard = 0; guard < 1000; guard++) {
		struct t_res r = t_event(e, ENG_EV_ALARM, "{}", NULL);
		const cJSON *f, *next = cJSON_GetObjectItem(r.meta, "next_alarm_ms");
		double at = cJSON_IsNumber(next) ? next->valuedouble : 0;

		if (fx) {
			cJSON *mine = effects(&r);

			cJSON_ArrayForEach(f, mine)
				cJSON_AddItemToArray(fx, cJSON_Duplicate(f, 1));
			cJSON_Delete(mine);
		}
		t_res_free(&r);
		if (t_now >= target)
			return;
		/* The engine may leave the alarm as it is (absent): keep the last one we know. */
		t_now = at > t_now && at < target ? at : target;
	}
}

static cJSON *get_bead(struct eng *e, const char *id)
{
	char path[128];
	struct t_res r;
	cJSON *b;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", id);
	r = t_request(e, "GET", path, NULL, t_as("sarah"));
	b = cJSON_Duplicate(cJSON_GetObjectItem(r.body, "data"), 1);
	t_res_free(&r);
	return b;
}

static const char *field(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

/* ---- the living Mayor ------------------------------------------------------------------------- */

/* The Mayor's start among fx (a new tree, or NULL). */
static cJSON *mayor_start(const cJSON *fx)
{
	const cJSON *f = start_for(fx, "mayor");

	return f ? cJSON_Parse(field(f, "body")) : NULL;
}

static void as_agent(const char *token, char *headers, size_t len)
{
	snprintf(headers, len, "{\"authorization\":\"Bearer %s\"}", token);
}

static void say(struct eng *e, const char *user, const char *text, char *id, size_t len)
{
	char body[256];
	struct t_res r;

	snprintf(body, sizeof body, "{\"text\":\"%s\"}", text);
	r = t_request(e, "POST", "/api/towns/t1/mayor/messages", body, t_as(user));
	CHECK(r.status == 201);
	snprintf(id, len, "%s", cJSON_GetStringValue(t_data(&r, "id")) ? cJSON_GetStringValue(t_data(&r, "id")) : "");
	t_res_free(&r);
}

/* The first message makes the Mayor and a tick starts a run of its runtime on it, for its author:
 * the prompt has the town's instructions, members and the message; a second message waits for
 * the first run to end; the run acts for the author and answers; the next run resumes. */
static void the_mayor_lives_one_message_at_a_time(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char m1[48], m2[48], h[2048], body[512];
	cJSON *fx, *start, *conv;
	const char *prompt;

	r = t_request(e, "PATCH", "/api/towns/t1/settings",
		      "{\"settings\":{\"runtime\":\"scripted\",\"mayor_runtime\":\"claude\","
		      "\"instructions\":\"Never touch the billing rig.\"}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/members/bob", "{\"role\":\"member\",\"name\":\"Bob B\"}", t_as("sarah"));
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	say(e, "bob", "please fix the login page", m1, sizeof m1);
	/* The message asked for a tick at once. */
	fx = tick_effects(e);
	start = mayor_start(fx);
	CHECK(start != NULL);
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "agent"), "role"), "mayor"));
	CHECK(t_streq(field(start, "message"), m1));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(start, "bead")) && cJSON_IsNull(cJSON_GetObjectItem(start, "rig")));
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "requested_by"), "id"), "bob"));
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "runtime"), "kind"), "claude"));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(start, "resume")));
	prompt = field(start, "prompt");
	CHECK(prompt && strstr(prompt, "please fix the login page") && strstr(prompt, "Never touch the billing rig.") &&
	      strstr(prompt, "Bob B (bob), member") && strstr(prompt, "mayor_reply") && strstr(prompt, m1));
	/* The town as it was when the message came: its context, kept once in the delivered mail. */
	CHECK(prompt && strstr(prompt, "The town when the message came") && strstr(prompt, "\"asker\":{") &&
	      strstr(prompt, "\"in_flight\""));
	as_agent(field(start, "token"), h, sizeof h);
	cJSON_Delete(fx);
	cJSON_Delete(start);
	/* A second message (from sarah) waits: one run at a time. */
	say(e, "sarah", "status?", m2, sizeof m2);
	t_now += 1000;
	r = tick_now(e);
	CHECK(start_for(cJSON_GetObjectItem(r.meta, "effects"), "mayor") == NULL);
	t_res_free(&r);
	/* The run acts for bob: the bead it files names him. */
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Fix the login page\"}", h);
	CHECK(r.status == 201);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "requested_by")), "bob"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "created_by")), "mayor"));
	t_res_free(&r);
	/* It answers the message on its hook without naming it. */
	r = t_request(e, "POST", "/api/towns/t1/agents/mayor/replies", "{\"text\":\"On it: gt filed.\"}", h);
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/mayor/messages", NULL, t_as("bob"));
	conv = cJSON_GetObjectItem(r.body, "data");
	CHECK(t_streq(field(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(conv, 0), "replies"), 0), "text"),
		      "On it: gt filed."));
	t_res_free(&r);
	/* The process ends: the Mayor is free and the next message starts a run that resumes. */
	snprintf(body, sizeof body, "{\"exit_code\":0,\"bead\":null}");
	r = t_request(e, "POST", "/api/towns/t1/agents/mayor/completed", body, h);
	CHECK(r.status == 200);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "state")), "idle"));
	t_res_free(&r);
	t_now += 1000;
	fx = tick_effects(e);
	start = mayor_start(fx);
	CHECK(start && t_streq(field(start, "message"), m2));
	CHECK(start && t_streq(field(cJSON_GetObjectItem(start, "requested_by"), "id"), "sarah"));
	CHECK(start && cJSON_IsTrue(cJSON_GetObjectItem(start, "resume")));
	if (start)
		as_agent(field(start, "token"), h, sizeof h);
	cJSON_Delete(fx);
	cJSON_Delete(start);
	/* This run ends without answering: sarah is told so, and the Mayor goes idle (no run). */
	r = t_request(e, "POST", "/api/towns/t1/agents/mayor/completed", "{\"exit_code\":3}", h);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/mayor/messages", NULL, t_as("sarah"));
	conv = cJSON_GetObjectItem(r.body, "data");
	{
		const char *note = field(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(conv, 0), "replies"), 0), "text");

		CHECK(note && strstr(note, "exit code 3") && strstr(note, "without an answer"));
	}
	t_res_free(&r);
	t_now += 1000;
	r = tick_now(e);
	CHECK(start_for(cJSON_GetObjectItem(r.meta, "effects"), "mayor") == NULL);
	t_res_free(&r);
	/* The reply route without a message, with no run on: a clear 400. */
	r = t_request(e, "POST", "/api/towns/t1/agents/mayor/replies", "{\"text\":\"late\"}", h);
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	eng_close(e);
}

/* With the scripted runtime no Mayor process runs (its inbox is read by whoever reads it); a Mayor
 * whose heartbeats stop is lost and its message taken up again, up to three runs, then answered
 * with a note. */
static void a_lost_mayor_is_retried_then_the_member_is_told(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char m1[48];
	cJSON *fx, *start;

	say(e, "sarah", "hello?", m1, sizeof m1);
	r = tick_now(e);
	CHECK(start_for(cJSON_GetObjectItem(r.meta, "effects"), "mayor") == NULL);
	t_res_free(&r);
	r = t_request(e, "PATCH", "/api/towns/t1/settings", "{\"settings\":{\"runtime\":\"codex\"}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	/* Through every alarm for ten minutes: a run, lost after 90 s without a heartbeat, twice more,
	 * then no more. */
	fx = cJSON_CreateArray();
	advance(e, t_now + 600000, fx);
	{
		int starts = 0;
		const cJSON *f;

		cJSON_ArrayForEach(f, fx) {
			if (!t_streq(field(f, "url"), "container:/towns/t1/agents/mayor/start"))
				continue;
			start = cJSON_Parse(field(f, "body"));
			CHECK(t_streq(field(start, "message"), m1));
			CHECK(t_streq(field(cJSON_GetObjectItem(start, "runtime"), "kind"), "codex"));
			cJSON_Delete(start);
			starts++;
		}
		CHECK(starts == 3);
	}
	cJSON_Delete(fx);
	r = t_request(e, "GET", "/api/towns/t1/mayor/messages", NULL, t_as("sarah"));
	{
		const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "data"), 0);
		const char *note = field(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "replies"), 0), "text");

		CHECK(note && strstr(note, "could not be started"));
	}
	t_res_free(&r);
	eng_close(e);
}

static void new_bead(struct eng *e, const char *body, char *id, size_t len);

/* ---- crew agents ------------------------------------------------------------------------------ */

/* A member's machine joins as a crew agent (again: the same agent); work hooked to it is in
 * progress and never dispatched to a polecat; its heartbeats keep it; silent past lost_after_s it
 * goes offline and the work goes back; a disconnect revokes its tokens. */
static void a_crew_agent_joins_works_and_goes_offline(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char h[2048], bead[48], before[80], after[80];
	cJSON *fx, *b;

	r = t_request(e, "PUT", "/api/towns/t1/members/bob", "{\"role\":\"member\"}", t_as("sarah"));
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/members/vic", "{\"role\":\"viewer\"}", t_as("sarah"));
	t_res_free(&r);
	/* Refused: a viewer, a bad name, an outsider; none leaves a trace. */
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, "{\"authorization\":\"Bearer operator-secret\"}");
	snprintf(before, sizeof before, "%s", r.status == 200 ? cJSON_GetStringValue(t_data(&r, "digest")) : "");
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/crew", "{\"name\":\"laptop\"}", t_as("vic"));
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/crew", "{\"name\":\"bad\\nname\"}", t_as("bob"));
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/crew", "{\"name\":\"laptop\"}", t_as("olga"));
	CHECK(r.status == 404);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, "{\"authorization\":\"Bearer operator-secret\"}");
	snprintf(after, sizeof after, "%s", r.status == 200 ? cJSON_GetStringValue(t_data(&r, "digest")) : "");
	t_res_free(&r);
	CHECK(t_streq(before, after));
	/* Bob's laptop joins. */
	r = t_request(e, "POST", "/api/towns/t1/crew", "{\"name\":\"Bob's Laptop\"}", t_as("bob"));
	CHECK(r.status == 201);
	CHECK(t_streq(field(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "agent"), "id"), "crew-bob-s-laptop"));
	CHECK(t_streq(field(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "agent"), "owner"), "bob"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "mcp_path")), "/api/towns/t1/mcp"));
	as_agent(cJSON_GetStringValue(t_data(&r, "token")), h, sizeof h);
	t_res_free(&r);
	/* The same name again is the same agent; sarah may not take bob's name. */
	r = t_request(e, "POST", "/api/towns/t1/crew", "{\"name\":\"Bob's Laptop\"}", t_as("bob"));
	CHECK(r.status == 200);
	as_agent(cJSON_GetStringValue(t_data(&r, "token")), h, sizeof h);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/crew", "{\"name\":\"Bob's Laptop\"}", t_as("sarah"));
	CHECK(r.status == 409);
	t_res_free(&r);
	/* Work with a rig hooked to it is in progress; no polecat is started for it. */
	new_bead(e, "{\"title\":\"Local fix\",\"rig\":\"r\",\"held\":true}", bead, sizeof bead);
	{
		char body[128];

		snprintf(body, sizeof body, "{\"bead\":\"%s\"}", bead);
		r = t_request(e, "POST", "/api/towns/t1/agents/crew-bob-s-laptop/hook", body, t_as("bob"));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	b = get_bead(e, bead);
	CHECK(t_streq(field(b, "status"), "in_progress") && t_streq(field(b, "assignee"), "crew-bob-s-laptop"));
	cJSON_Delete(b);
	fx = cJSON_CreateArray();
	for (int i = 0; i < 6; i++) {
		/* Heartbeats every 30 s keep it online for three minutes. */
		advance(e, t_now + 30000, fx);
		r = t_request(e, "POST", "/api/towns/t1/agents/crew-bob-s-laptop/heartbeat", "{}", h);
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	CHECK(cJSON_GetArraySize(fx) == 0);
	cJSON_Delete(fx);
	b = get_bead(e, bead);
	CHECK(t_streq(field(b, "status"), "in_progress"));
	cJSON_Delete(b);
	/* Silent past lost_after_s (90 s): offline, and the work goes back to the pool. */
	advance(e, t_now + 100000, NULL);
	r = t_request(e, "GET", "/api/towns/t1/agents/crew-bob-s-laptop", NULL, t_as("bob"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "state")), "lost"));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "hook")));
	t_res_free(&r);
	b = get_bead(e, bead);
	CHECK(t_streq(field(b, "status"), "open"));
	cJSON_Delete(b);
	/* A heartbeat brings it back; a disconnect takes it offline and its token stops working. */
	r = t_request(e, "POST", "/api/towns/t1/agents/crew-bob-s-laptop/heartbeat", "{}", h);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/agents/crew-bob-s-laptop", NULL, t_as("bob"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "state")), "idle"));
	t_res_free(&r);
	r = t_request(e, "DELETE", "/api/towns/t1/crew/crew-bob-s-laptop", NULL, t_as("vic"));
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "DELETE", "/api/towns/t1/crew/toast", NULL, t_as("sarah"));
	CHECK(r.status == 404);
	t_res_free(&r);
	r = t_request(e, "DELETE", "/api/towns/t1/crew/crew-bob-s-laptop", NULL, t_as("bob"));
	CHECK(r.status == 200 && t_streq(cJSON_GetStringValue(t_data(&r, "state")), "lost"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/crew-bob-s-laptop/heartbeat", "{}", h);
	CHECK(r.status == 401 && t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "reason")), "revoked"));
	t_res_free(&r);
	eng_close(e);
}

/* An agent set free by hand (its hook emptied over the API) asks for a tick at once: the reconciler
 * hears of it through the agent reactions, not at its next re-arm seconds later. */
static void an_agent_set_free_asks_for_a_tick(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char agent[64], bead[64];
	const cJSON *next;

	r = t_request(e, "POST", "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(agent, sizeof agent, "%s", cJSON_GetStringValue(t_data(&r, "id")));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"by hand\"}", t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(bead, sizeof bead, "%s", cJSON_GetStringValue(t_data(&r, "id")));
	t_res_free(&r);
	{
		char path[160], body[128];

		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/hook", agent);
		snprintf(body, sizeof body, "{\"bead\":\"%s\"}", bead);
		r = t_request(e, "POST", path, body, t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
		/* A tick runs and re-arms itself for later. */
		r = tick_now(e);
		next = cJSON_GetObjectItem(r.meta, "next_alarm_ms");
		CHECK(cJSON_IsNumber(next) && next->valuedouble > t_now);
		t_res_free(&r);
		t_now += 100;
		r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
		CHECK(r.status == 200);
		next = cJSON_GetObjectItem(r.meta, "next_alarm_ms");
		CHECK(cJSON_IsNumber(next) && next->valuedouble == t_now);
		t_res_free(&r);
	}
	eng_close(e);
}

static void new_bead(struct eng *e, const char *body, char *id, size_t len)
{
	struct t_res r = t_request(e, "POST", "/api/towns/t1/beads", body, t_as("sarah"));

	CHECK(r.status == 201);
	snprintf(id, len, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id") ? field(cJSON_GetObjectItem(r.body, "data"), "id") : "");
	t_res_free(&r);
}

/* The signature header verifies with the secret over t.METHOD.path.body. */
static int signature_ok(const cJSON *fx)
{
	const char *sig = field(cJSON_GetObjectItem(fx, "headers"), "x-gastown-signature");
	const char *url = field(fx, "url"), *body = field(fx, "body");
	char t[32], signed_text[65536], hex[65];
	unsigned char mac[32];
	const char *v1;

	if (!sig || !url || !body || strncmp(sig, "t=", 2) != 0 || !(v1 = strstr(sig, ",v1=")))
		return 0;
	snprintf(t, sizeof t, "%.*s", (int)(v1 - sig - 2), sig + 2);
	snprintf(signed_text, sizeof signed_text, "%s.POST.%s.%s", t, url + strlen("container:"), body);
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)SECRET, strlen(SECRET),
			(const unsigned char *)signed_text, strlen(signed_text), mac);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return strcmp(hex, v1 + 4) == 0;
}

/* Alarms the town rings from now to ms on (each as the platform would, at the time it asked). */
static int alarms_until(struct eng *e, double ms)
{
	double until = t_now + ms;
	int n = 0;

	while (t_now < until && n < 1000) {
		struct t_res r = t_event(e, ENG_EV_ALARM, "{}", NULL);
		const cJSON *next = cJSON_GetObjectItem(r.meta, "next_alarm_ms");

		n++;
		t_now = cJSON_IsNumber(next) && next->valuedouble > t_now ? next->valuedouble : until;
		t_res_free(&r);
	}
	return n;
}

/* Work that waits only on an open blocker lets the town idle (a tick every five minutes, not
 * every five seconds: no alarm to pay for); the blocker closed, removed or deleted asks for a
 * tick at once, and the freed bead starts. */
static void blocked_work_lets_the_town_idle(void)
{
	for (int way = 0; way < 3; way++) {
		struct eng *e = town_with_rig(0);
		char a[48], b[48], path[160], body[96];
		struct t_res r;
		const cJSON *next;
		cJSON *fx;

		new_bead(e, "{\"title\":\"Decide first\"}", a, sizeof a);
		new_bead(e, "{\"title\":\"Then build\",\"rig\":\"r\"}", b, sizeof b);
		snprintf(path, sizeof path, "/api/towns/t1/beads/%s/deps", b);
		snprintf(body, sizeof body, "{\"id\":\"%s\",\"kind\":\"blocks\"}", a);
		r = t_request(e, "POST", path, body, t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
		/* Ten minutes: idle ticks, and the other timers' (the search index's and the stats
		 * report's calls, which nothing answers here, are tried again): about 18 alarms. Ticking
		 * busy, every five seconds, it would be more than 120. */
		CHECK(alarms_until(e, 600000) <= 40);
		if (way == 0) {
			snprintf(path, sizeof path, "/api/towns/t1/beads/%s/close", a);
			r = t_request(e, "POST", path, "{\"reason\":\"decided\"}", t_as("sarah"));
		} else if (way == 1) {
			snprintf(path, sizeof path, "/api/towns/t1/beads/%s/deps/%s", b, a);
			r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
		} else {
			snprintf(path, sizeof path, "/api/towns/t1/beads/%s", a);
			r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
		}
		CHECK(r.status == 200);
		next = cJSON_GetObjectItem(r.meta, "next_alarm_ms");
		CHECK(cJSON_IsNumber(next) && next->valuedouble == t_now);
		t_res_free(&r);
		fx = tick_effects(e);
		CHECK(cJSON_GetArraySize(fx) > 0); /* a polecat made and started for the freed bead */
		cJSON_Delete(fx);
		{
			cJSON *got = get_bead(e, b);

			CHECK(t_streq(field(got, "status"), "in_progress"));
			cJSON_Delete(got);
		}
		eng_close(e);
		t_cleanup();
	}
}

static void a_bead_with_a_rig_is_dispatched_with_a_signed_start(void)
{
	struct eng *e = town_with_rig(0);
	char id[48];
	cJSON *fx, *b, *start;
	const cJSON *f;

	new_bead(e, "{\"title\":\"Write docs\",\"rig\":\"r\"}", id, sizeof id);
	fx = tick_effects(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	CHECK(signature_ok(f));
	start = cJSON_Parse(field(f, "body"));
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "bead"), "id"), id));
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "requested_by"), "id"), "sarah"));
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "runtime"), "kind"), "scripted"));
	CHECK(t_streq(field(start, "branch"), "gt/toast/") || (field(start, "branch") && strstr(field(start, "branch"), id)));
	CHECK(field(start, "token") != NULL);
	cJSON_Delete(start);
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "in_progress"));
	CHECK(t_streq(field(b, "assignee"), "toast"));
	cJSON_Delete(b);
	/* The next tick starts nothing new: the bead is taken. */
	t_now += 6000;
	cJSON_Delete(fx);
	CHECK(cJSON_GetArraySize(fx = tick_effects(e)) == 0);
	cJSON_Delete(fx);
	/* A restart between ticks (a new engine on the same storage) dispatches nothing twice. */
	eng_close(e);
	e = t_open(ENG_TOWN, "t1", 0);
	t_now += 6000;
	CHECK(cJSON_GetArraySize(fx = tick_effects(e)) == 0);
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

/* A bead hooked to a polecat by hand (POST .../hook) is that polecat's: no other polecat is sent
 * for it, and the rest of the rig's work is dispatched as usual. Found by fuzz_effect: the tick
 * tried to put the bead on a second hook, failed on the one-agent-per-bead rule and was rolled
 * back, every tick, so nothing in the town started again. */
static void a_bead_hooked_by_hand_is_not_dispatched_again(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48], other[48];
	cJSON *fx;

	r = t_request(e, "POST", "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	new_bead(e, "{\"title\":\"By hand\",\"rig\":\"r\"}", id, sizeof id);
	{
		char body[128];

		snprintf(body, sizeof body, "{\"bead\":\"%s\"}", id);
		r = t_request(e, "POST", "/api/towns/t1/agents/toast/hook", body, t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	new_bead(e, "{\"title\":\"Next\",\"rig\":\"r\"}", other, sizeof other);
	r = tick_now(e);
	CHECK(cJSON_GetObjectItem(r.meta, "log") == NULL);
	fx = effects(&r);
	t_res_free(&r);
	/* One start, for the other bead, by another polecat. */
	CHECK(cJSON_GetArraySize(fx) == 1);
	CHECK(start_for(fx, "toast") == NULL);
	CHECK(cJSON_GetArraySize(fx) == 1 && strstr(field(cJSON_GetArrayItem(fx, 0), "body") ?: "", other) != NULL);
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

/* The host's answer to a start without a usable status (none, or a number no HTTP status is) is a
 * failed start, like a refusal. Found by fuzz_effect: the status was cast to int as it came, NaN
 * and 1e300 included (undefined behaviour, caught under float-cast-overflow). */
static void a_start_answered_without_a_usable_status_failed(void)
{
	static const char *const metas[] = {"{\"id\":\"%s\",\"ok\":true,\"status\":1e300}",
					    "{\"id\":\"%s\",\"ok\":true}"};

	for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
		struct eng *e = town_with_rig(0);
		struct t_res r;
		char id[48], meta[256];
		cJSON *fx, *b;
		const cJSON *f;

		new_bead(e, "{\"title\":\"Odd host\",\"rig\":\"r\"}", id, sizeof id);
		fx = tick_effects(e);
		f = start_for(fx, "toast");
		CHECK(f != NULL);
		snprintf(meta, sizeof meta, metas[i], f ? field(f, "id") : "none");
		r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "{}");
		CHECK(r.status == 200);
		t_res_free(&r);
		b = get_bead(e, id);
		CHECK(t_streq(field(b, "status"), "open"));
		cJSON_Delete(b);
		cJSON_Delete(fx);
		eng_close(e);
		t_cleanup();
	}
}

static void failed_starts_back_off_then_fail_the_bead(void)
{
	double t0 = t_now;
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48];
	cJSON *fx, *b;
	static const double waits[] = {30000, 60000, 120000, 300000};

	new_bead(e, "{\"title\":\"Flaky\",\"rig\":\"r\"}", id, sizeof id);
	fx = cJSON_CreateArray();
	advance(e, t_now, fx);
	for (int attempt = 1; attempt <= 5; attempt++) {
		double retry;

		CHECK(start_for(fx, "toast") != NULL);
		if (start_for(fx, "toast"))
			answer(e, start_for(fx, "toast"), 0, 0);
		cJSON_Delete(fx);
		fx = cJSON_CreateArray();
		b = get_bead(e, id);
		retry = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "retry_ms"));
		if (attempt < 5) {
			CHECK(t_streq(field(b, "status"), "open"));
			CHECK(retry == t_now + waits[attempt - 1]);
			/* Before the wait is over nothing is started; within a tick after it, it is. */
			advance(e, retry - 1, fx);
			CHECK(cJSON_GetArraySize(fx) == 0);
			advance(e, retry + 5000, fx);
		} else {
			CHECK(t_streq(field(b, "status"), "failed"));
			CHECK(field(b, "close_reason") && strstr(field(b, "close_reason"), "gave up after 5 runs"));
		}
		cJSON_Delete(b);
	}
	cJSON_Delete(fx);
	r = t_request(e, "GET", "/api/towns/t1/escalations", NULL, t_as("sarah"));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "data")) == 1);
	t_res_free(&r);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

/* The events of kind on the feed, as a new array (the caller deletes it). */
static cJSON *feed_events(struct eng *e, const char *kind)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/events?limit=200", NULL, t_as("sarah"));
	cJSON *out = cJSON_CreateArray();
	const cJSON *ev;

	cJSON_ArrayForEach(ev, cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "events"))
		if (t_streq(field(ev, "kind"), kind))
			cJSON_AddItemToArray(out, cJSON_Duplicate(ev, 1));
	t_res_free(&r);
	return out;
}

static int escalations_titled(struct eng *e, const char *prefix);

/* A host that refuses connections says nothing about the bead: no attempt is counted however long
 * it is down, the retries wait 15 s doubling to a minute, the feed says once that the host is
 * unreachable, every requeue names the town as its actor, and the breaker stays closed. A start
 * that reaches the host again starts the waits over. */
/* A start the host refuses (400 with its error envelope) fails the run with the host's reason,
 * which is the setting to fix; an answer that is no envelope keeps the status alone. */
static void a_refused_start_names_the_hosts_reason(void)
{
	static const char *const bodies[] = {
		"{\"error\":{\"code\":\"invalid\",\"field\":\"llm.base_url\",\"message\":\"llm.base_url must be an http(s) URL\"}}",
		"not json",
	};

	for (size_t i = 0; i < 2; i++) {
		struct eng *e = town_with_rig(0);
		char id[48], meta[256];
		cJSON *fx, *b;
		const cJSON *f;
		struct t_res r;

		new_bead(e, "{\"title\":\"Refused\",\"rig\":\"r\"}", id, sizeof id);
		fx = tick_effects(e);
		f = start_for(fx, "toast");
		CHECK(f != NULL);
		if (f) {
			snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":400}",
				 cJSON_GetStringValue(cJSON_GetObjectItem(f, "id")));
			r = t_event(e, ENG_EV_EFFECT_RESULT, meta, bodies[i]);
			CHECK(r.status == 200);
			t_res_free(&r);
		}
		b = get_bead(e, id);
		CHECK(t_streq(field(b, "status"), "open"));
		CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "attempts")) == 1);
		CHECK(t_streq(field(b, "failure"), i == 0
			? "the container did not start toast: HTTP 400: llm.base_url must be an http(s) URL"
			: "the container did not start toast: HTTP 400"));
		cJSON_Delete(b);
		cJSON_Delete(fx);
		eng_close(e);
	}
}

static void an_unreachable_host_costs_the_bead_no_attempts(void)
{
	double t0 = t_now;
	struct eng *e = town_with_rig(0);
	char id[48];
	cJSON *fx, *b, *ev;
	const cJSON *x;
	static const double waits[] = {15000, 30000, 60000, 60000, 60000, 60000, 60000, 60000};

	new_bead(e, "{\"title\":\"Patient\",\"rig\":\"r\"}", id, sizeof id);
	fx = cJSON_CreateArray();
	advance(e, t_now, fx);
	for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
		double retry;

		CHECK(start_for(fx, "toast") != NULL);
		if (start_for(fx, "toast"))
			answer_error(e, start_for(fx, "toast"), "connect_failed");
		cJSON_Delete(fx);
		fx = cJSON_CreateArray();
		b = get_bead(e, id);
		retry = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "retry_ms"));
		CHECK(t_streq(field(b, "status"), "open"));
		CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "attempts")) == 0);
		CHECK(field(b, "failure") && strstr(field(b, "failure"), "agent host is unreachable"));
		CHECK(retry == t_now + waits[i]);
		cJSON_Delete(b);
		advance(e, retry - 1, fx);
		CHECK(cJSON_GetArraySize(fx) == 0);
		advance(e, retry + 5000, fx);
	}
	CHECK(escalations_titled(e, "Dispatch paused") == 0);
	ev = feed_events(e, "town.host_unreachable");
	CHECK(cJSON_GetArraySize(ev) == 1);
	cJSON_Delete(ev);
	ev = feed_events(e, "bead.requeued");
	CHECK(cJSON_GetArraySize(ev) == (int)(sizeof waits / sizeof waits[0]));
	cJSON_ArrayForEach(x, ev)
		CHECK(t_streq(field(x, "actor"), "town"));
	cJSON_Delete(ev);
	/* The host is back: the start goes through. */
	CHECK(start_for(fx, "toast") != NULL);
	if (start_for(fx, "toast"))
		answer(e, start_for(fx, "toast"), 1, 202);
	cJSON_Delete(fx);
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "in_progress"));
	cJSON_Delete(b);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

static const char *bearer_of(const cJSON *start_fx)
{
	static char h[2048];
	cJSON *body = cJSON_Parse(field(start_fx, "body"));

	snprintf(h, sizeof h, "{\"authorization\":\"Bearer %s\"}", field(body, "token") ? field(body, "token") : "");
	cJSON_Delete(body);
	return h;
}

/* The polecat reports its bead done on branch gt/toast/<id>, with the token its start carried;
 * the answer's merge request id goes to mr (when given). Returns the HTTP status. */
static int polecat_done(struct eng *e, const cJSON *start_fx, const char *id, char *mr, size_t mr_len)
{
	char body[256];
	struct t_res r;
	int status;

	snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"gt/toast/%s\"}", id, id);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/done", body, bearer_of(start_fx));
	status = r.status;
	if (mr && field(cJSON_GetObjectItem(r.body, "data"), "merge_request"))
		snprintf(mr, mr_len, "%s", field(cJSON_GetObjectItem(r.body, "data"), "merge_request"));
	t_res_free(&r);
	return status;
}

static void done_goes_to_review_and_a_merge_closes_the_work(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48], other[48], body[256], mr[48] = "", convoy[256];
	cJSON *fx, *rfx, *b;
	const cJSON *f;

	new_bead(e, "{\"title\":\"Feature\",\"rig\":\"r\"}", id, sizeof id);
	new_bead(e, "{\"title\":\"Unslung\"}", other, sizeof other);
	snprintf(convoy, sizeof convoy, "{\"title\":\"C\",\"beads\":[\"%s\"]}", id);
	r = t_request(e, "POST", "/api/towns/t1/convoys", convoy, t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	fx = tick_effects(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	if (!f)
		goto out;
	answer(e, f, 1, 202);
	/* Done on a bead it does not hold: refused, nothing changes. */
	snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"gt/toast/x\"}", other);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/done", body, bearer_of(f));
	CHECK(r.status == 409);
	t_res_free(&r);
	snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"gt/toast/%s\",\"commit\":\"abc123\"}", id, id);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/done", body, bearer_of(f));
	CHECK(r.status == 200);
	if (field(cJSON_GetObjectItem(r.body, "data"), "merge_request"))
		snprintf(mr, sizeof mr, "%s", field(cJSON_GetObjectItem(r.body, "data"), "merge_request"));
	t_res_free(&r);
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "in_review"));
	cJSON_Delete(b);
	b = get_bead(e, mr);
	CHECK(t_streq(field(b, "type"), "merge-request") && t_streq(field(b, "parent"), id));
	CHECK(t_streq(field(b, "requested_by"), "sarah"));
	cJSON_Delete(b);
	/* The next tick gives the merge request to the rig's (new) refinery, with what to merge. */
	t_now += 1000;
	rfx = tick_effects(e);
	f = start_for(rfx, "refinery-r");
	CHECK(f != NULL);
	if (f) {
		cJSON *start = cJSON_Parse(field(f, "body"));
		const cJSON *review = cJSON_GetObjectItem(start, "review");
		char verdict[256];

		CHECK(t_streq(field(review, "bead"), id) && t_streq(field(review, "target"), "main"));
		CHECK(t_streq(field(review, "agent_name"), "Toast"));
		cJSON_Delete(start);
		snprintf(verdict, sizeof verdict, "{\"bead\":\"%s\",\"outcome\":\"merged\",\"commit\":\"def456\"}", mr);
		r = t_request(e, "POST", "/api/towns/t1/agents/refinery-r/done", verdict, bearer_of(f));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "closed"));
	cJSON_Delete(b);
	r = t_request(e, "GET", "/api/towns/t1/convoys", NULL, t_as("sarah"));
	CHECK(t_streq(field(cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "data"), 0), "state"), "landed"));
	t_res_free(&r);
	/* Every event of the bead is on sarah's account, whoever acted. */
	snprintf(body, sizeof body, "/api/towns/t1/beads/%s/events", id);
	r = t_request(e, "GET", body, NULL, t_as("sarah"));
	{
		const cJSON *ev;
		int all = 1, n = 0;

		cJSON_ArrayForEach(ev, cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "events")) {
			all &= t_streq(field(ev, "requested_by"), "sarah");
			n++;
		}
		CHECK(all && n >= 5);
	}
	t_res_free(&r);
	cJSON_Delete(rfx);
out:
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

static void a_conflict_sends_the_bead_back_to_its_agent(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48], body[256], mr[48] = "";
	cJSON *fx, *rfx, *fx2, *b;
	const cJSON *f;

	new_bead(e, "{\"title\":\"Feature\",\"rig\":\"r\"}", id, sizeof id);
	fx = tick_effects(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	if (!f) {
		cJSON_Delete(fx);
		eng_close(e);
		return;
	}
	polecat_done(e, f, id, mr, sizeof mr);
	rfx = tick_effects(e);
	f = start_for(rfx, "refinery-r");
	CHECK(f != NULL);
	if (f) {
		snprintf(body, sizeof body, "{\"bead\":\"%s\",\"outcome\":\"conflict\",\"reason\":\"README.md\"}", mr);
		r = t_request(e, "POST", "/api/towns/t1/agents/refinery-r/done", body, bearer_of(f));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "open"));
	CHECK(field(b, "failure") && strstr(field(b, "failure"), "conflict: README.md"));
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "reviews")) == 1);
	cJSON_Delete(b);
	/* It goes back to toast, who has the branch and its context. */
	fx2 = tick_effects(e);
	CHECK(start_for(fx2, "toast") != NULL);
	cJSON_Delete(fx2);
	cJSON_Delete(rfx);
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

static void a_silent_agent_is_lost_and_its_bead_runs_again(void)
{
	double t0 = t_now;
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48], body[128];
	cJSON *fx, *fx2, *b;
	const cJSON *f;

	new_bead(e, "{\"title\":\"Long work\",\"rig\":\"r\"}", id, sizeof id);
	fx = tick_effects(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	if (!f) {
		cJSON_Delete(fx);
		eng_close(e);
		return;
	}
	answer(e, f, 1, 202);
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", id);
	t_now += 60000;
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/heartbeat", body, bearer_of(f));
	CHECK(r.status == 200);
	t_res_free(&r);
	/* 89 s after that heartbeat it is still fine; by the first tick after 90 s it is lost, its bead
	 * is open again, and the tick after that runs it again on the same agent (whose worktree keeps
	 * the work), with a new start for the container. */
	advance(e, t_now + 89000, NULL);
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "in_progress"));
	cJSON_Delete(b);
	fx2 = cJSON_CreateArray();
	advance(e, t_now + 11000, fx2);
	CHECK(start_for(fx2, "toast") != NULL);
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "in_progress") && t_streq(field(b, "assignee"), "toast"));
	CHECK(field(b, "failure") && strstr(field(b, "failure"), "presumed lost"));
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "attempts")) == 1);
	cJSON_Delete(b);
	/* A heartbeat for a bead the agent does not hold is refused: the container must stop it. */
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/heartbeat", "{\"bead\":\"gt-other\"}", bearer_of(f));
	CHECK(r.status == 409);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "reason")), "not_holder"));
	t_res_free(&r);
	cJSON_Delete(fx2);
	cJSON_Delete(fx);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

static void a_failing_tick_is_rolled_back_and_comes_again(void)
{
	struct eng *e = town_with_rig(1);
	struct t_res r;
	char id[48];
	const cJSON *next;

	r = t_request(e, "PUT", "/api/towns/t1/_test/kv/fail_ticks", "{\"value\":\"1\"}", NULL);
	CHECK(r.status == 200);
	t_res_free(&r);
	new_bead(e, "{\"title\":\"After a bad tick\",\"rig\":\"r\"}", id, sizeof id);
	r = tick_now(e);
	CHECK(r.status == 200);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r.meta, "effects")) == 0);
	/* The tick comes again in 10 s (the bead's batch for the log's search may come sooner). */
	next = cJSON_GetObjectItem(r.meta, "next_alarm_ms");
	CHECK(cJSON_GetNumberValue(next) > t_now && cJSON_GetNumberValue(next) <= t_now + 10000);
	t_res_free(&r);
	t_now += 10000;
	r = tick_now(e);
	{
		cJSON *mine = effects(&r);

		CHECK(cJSON_GetArraySize(mine) == 1);
		cJSON_Delete(mine);
	}
	t_res_free(&r);
	t_now -= 10000;
	eng_close(e);
	t_cleanup();
}

static void without_a_container_nothing_is_dispatched(void)
{
	struct eng *e;
	struct t_res r;
	char id[48];
	cJSON *b;

	t_container_secret = NULL;
	e = t_town(1);
	new_bead(e, "{\"title\":\"Stays\",\"rig\":\"r\"}", id, sizeof id);
	r = tick_now(e);
	CHECK(r.status == 200 && cJSON_GetObjectItem(r.meta, "effects") == NULL);
	t_res_free(&r);
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "open"));
	cJSON_Delete(b);
	eng_close(e);
	t_cleanup();
}

static void runtimes_and_limits_come_from_the_settings(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48];
	cJSON *fx, *start;

	r = t_request(e, "PATCH", "/api/towns/t1/settings", "{\"settings\":{\"runtime\":\"gpt-bash\"}}", t_as("sarah"));
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	r = t_request(e, "PATCH", "/api/towns/t1/settings", "{\"settings\":{\"lost_after_s\":1}}", t_as("sarah"));
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "PATCH", "/api/towns/t1/settings", "{\"settings\":{\"runtime\":\"claude\",\"model\":\"opus\"}}",
		      t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	new_bead(e, "{\"title\":\"With a model\",\"rig\":\"r\"}", id, sizeof id);
	fx = tick_effects(e);
	start = start_for(fx, "toast") ? cJSON_Parse(field(start_for(fx, "toast"), "body")) : NULL;
	/* A CLI the container knows goes by name: the container builds its command line. */
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "runtime"), "kind"), "claude"));
	CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(start, "runtime"), "command"));
	CHECK(t_streq(field(start, "model"), "opus"));
	CHECK(field(start, "prompt") && strstr(field(start, "prompt"), "With a model"));
	cJSON_Delete(start);
	cJSON_Delete(fx);
	/* A rig's own settings win over the town's (they were never read: the statement joined the
	 * rig on an unbound parameter). */
	r = t_request(e, "PATCH", "/api/towns/t1/rigs/r", "{\"settings\":{\"runtime\":\"codex\",\"model\":\"rig-model\"}}",
		      t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	new_bead(e, "{\"title\":\"On the rig's model\",\"rig\":\"r\"}", id, sizeof id);
	t_now += 6000;
	fx = tick_effects(e);
	start = NULL;
	{
		const cJSON *f;

		cJSON_ArrayForEach(f, fx)
			if (!start && field(f, "url") && strstr(field(f, "url"), "/start"))
				start = cJSON_Parse(field(f, "body"));
	}
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "bead"), "id"), id));
	CHECK(t_streq(field(cJSON_GetObjectItem(start, "runtime"), "kind"), "codex"));
	CHECK(t_streq(field(start, "model"), "rig-model"));
	cJSON_Delete(start);
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

/* The first effect of a call whose url ends with suffix, or NULL. */
static const cJSON *effect_to(const cJSON *fx, const char *method, const char *suffix)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, fx) {
		const char *url = field(f, "url");

		if (url && strlen(url) >= strlen(suffix) && strcmp(url + strlen(url) - strlen(suffix), suffix) == 0 &&
		    t_streq(field(f, "method"), method))
			return f;
	}
	return NULL;
}

static void a_pr_rig_opens_a_pull_request_and_follows_it_to_the_merge(void)
{
	double t0 = t_now;
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48], meta[256];
	cJSON *fx, *b;
	const cJSON *f, *open_fx, *poll;

	r = t_request(e, "PATCH", "/api/towns/t1/rigs/r",
		      "{\"merge_strategy\":\"pr\",\"settings\":{\"api_url\":\"http://127.0.0.1:9\"}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "PATCH", "/api/towns/t1/settings", "{\"secrets\":{\"github_token\":\"ghp_test\"}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	new_bead(e, "{\"title\":\"Via a PR\",\"rig\":\"r\"}", id, sizeof id);
	fx = tick_effects(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	if (!f) {
		cJSON_Delete(fx);
		eng_close(e);
		return;
	}
	CHECK(polecat_done(e, f, id, NULL, 0) == 200);
	cJSON_Delete(fx);
	fx = cJSON_CreateArray();
	advance(e, t_now + 1000, fx);
	/* No refinery: the town asks the platform for a pull request of the branch into main. */
	CHECK(start_for(fx, "refinery-r") == NULL);
	open_fx = effect_to(fx, "POST", "/pulls");
	CHECK(open_fx && t_streq(field(open_fx, "url"), "http://127.0.0.1:9/repos/example.com/r/pulls"));
	CHECK(open_fx && t_streq(field(cJSON_GetObjectItem(open_fx, "headers"), "authorization"), "Bearer ghp_test"));
	if (open_fx) {
		cJSON *req = cJSON_Parse(field(open_fx, "body"));

		CHECK(field(req, "head") && strstr(field(req, "head"), id) && t_streq(field(req, "base"), "main"));
		cJSON_Delete(req);
		snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":201}", field(open_fx, "id"));
		r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "{\"number\":7,\"html_url\":\"https://example.com/r/pull/7\"}");
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	/* A minute later the town asks how it is; still open, it asks again; merged, the work closes. */
	cJSON_Delete(fx);
	fx = cJSON_CreateArray();
	advance(e, t_now + 61000, fx);
	poll = effect_to(fx, "GET", "/pulls/7");
	CHECK(poll != NULL);
	if (poll) {
		snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":200}", field(poll, "id"));
		r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "{\"number\":7,\"state\":\"closed\",\"merged\":true,\"merge_commit_sha\":\"abc\"}");
		t_res_free(&r);
	}
	b = get_bead(e, id);
	CHECK(t_streq(field(b, "status"), "closed"));
	CHECK(field(b, "close_reason") && strstr(field(b, "close_reason"), "pull request #7"));
	cJSON_Delete(b);
	cJSON_Delete(fx);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

static void a_review_without_a_merge_request_goes_back(void)
{
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48], path[128], mr[48] = "";
	cJSON *fx, *b;
	const cJSON *f;

	new_bead(e, "{\"title\":\"Orphaned review\",\"rig\":\"r\"}", id, sizeof id);
	fx = tick_effects(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	if (f) {
		polecat_done(e, f, id, mr, sizeof mr);
	}
	/* Someone deletes the merge request before the refinery takes it. */
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", mr);
	r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	advance(e, t_now + 6000, NULL);
	b = get_bead(e, id);
	CHECK(!t_streq(field(b, "status"), "in_review"));
	CHECK(field(b, "failure") && strstr(field(b, "failure"), "merge request was closed"));
	cJSON_Delete(b);
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

static int escalations_titled(struct eng *e, const char *prefix)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/escalations", NULL, t_as("sarah"));
	const cJSON *x;
	int n = 0;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r.body, "data")) {
		if (getenv("T_DEBUG"))
			printf("# %s %s\n", field(x, "title"), field(x, "severity"));
		n += field(x, "title") && strncmp(field(x, "title"), prefix, strlen(prefix)) == 0;
	}
	t_res_free(&r);
	return n;
}

static void a_storm_of_failures_pauses_dispatch_with_one_escalation(void)
{
	double t0 = t_now;
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48];
	cJSON *fx;
	const cJSON *f;

	r = t_request(e, "PATCH", "/api/towns/t1/settings", "{\"settings\":{\"breaker_failures\":2}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	new_bead(e, "{\"title\":\"One\",\"rig\":\"r\"}", id, sizeof id);
	new_bead(e, "{\"title\":\"Two\",\"rig\":\"r\"}", id, sizeof id);
	fx = cJSON_CreateArray();
	advance(e, t_now, fx);
	CHECK(cJSON_GetArraySize(fx) == 2);
	cJSON_ArrayForEach(f, fx)
		answer(e, f, 0, 0);
	cJSON_Delete(fx);
	/* Two failed runs: the next ticks start nothing for ten minutes, and say so once. */
	fx = cJSON_CreateArray();
	advance(e, t0 + 5 * 60000, fx);
	CHECK(cJSON_GetArraySize(fx) == 0);
	CHECK(escalations_titled(e, "Dispatch paused") == 1);
	cJSON_Delete(fx);
	/* Ten minutes after it opened, dispatch resumes. */
	fx = cJSON_CreateArray();
	advance(e, t0 + 10 * 60000 + 10000, fx);
	CHECK(start_for(fx, "toast") != NULL);
	CHECK(escalations_titled(e, "Dispatch paused") == 1);
	cJSON_Delete(fx);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

/* The start's answer never comes back (the object was evicted): with a heartbeat from the run, the
 * run stands; without one, the bead is requeued when the effect's deadline passes. */
static void a_lost_start_answer_is_judged_by_the_heartbeats(void)
{
	double t0 = t_now;

	for (int heard = 1; heard >= 0; heard--) {
		struct eng *e = town_with_rig(0);
		struct t_res r;
		char id[48], body[128];
		cJSON *fx, *b;
		const cJSON *f;

		t_now = t0;
		new_bead(e, "{\"title\":\"Evicted\",\"rig\":\"r\"}", id, sizeof id);
		fx = tick_effects(e);
		f = start_for(fx, "toast");
		CHECK(f != NULL);
		if (f && heard) {
			t_now += 10000;
			snprintf(body, sizeof body, "{\"bead\":\"%s\"}", id);
			r = t_request(e, "POST", "/api/towns/t1/agents/toast/heartbeat", body, bearer_of(f));
			CHECK(r.status == 200);
			t_res_free(&r);
		}
		/* Heartbeats keep coming in the first case; silence in the second is shorter than
		 * lost_after_s, so only the effect's deadline (30 s + 30 s) decides. */
		advance(e, t0 + 61000, NULL);
		b = get_bead(e, id);
		if (heard)
			CHECK(t_streq(field(b, "status"), "in_progress") && cJSON_GetNumberValue(cJSON_GetObjectItem(b, "attempts")) == 0);
		else
			CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "attempts")) == 1 &&
			      field(b, "failure") && strstr(field(b, "failure"), "lost"));
		cJSON_Delete(b);
		cJSON_Delete(fx);
		eng_close(e);
		t_cleanup();
	}
	t_now = t0;
}

static void a_quiet_agent_is_nudged_then_triaged_then_stopped(void)
{
	double t0 = t_now;
	struct eng *e = town_with_rig(0);
	struct t_res r;
	char id[48], body[128];
	cJSON *fx, *b;
	const cJSON *f;

	r = t_request(e, "PATCH", "/api/towns/t1/settings", "{\"settings\":{\"quiet_after_s\":20}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	new_bead(e, "{\"title\":\"Quiet work\",\"rig\":\"r\"}", id, sizeof id);
	fx = tick_effects(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	if (!f) {
		cJSON_Delete(fx);
		eng_close(e);
		return;
	}
	answer(e, f, 1, 202);
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", id);
	/* Heartbeats but no progress: a nudge after 20 s, a triage escalation after 40 s, a stop after 60 s. */
	for (int step = 1; step <= 3; step++) {
		cJSON *seen = cJSON_CreateArray();

		advance(e, t0 + step * 20000.0 + 6000, seen);
		r = t_request(e, "POST", "/api/towns/t1/agents/toast/heartbeat", step < 3 ? body : NULL, bearer_of(f));
		t_res_free(&r);
		if (step == 1)
			CHECK(effect_to(seen, "POST", "/agents/toast/message") != NULL);
		if (step == 2)
			CHECK(escalations_titled(e, "toast is quiet") == 1);
		if (step == 3)
			CHECK(effect_to(seen, "POST", "/agents/toast/stop") != NULL);
		cJSON_Delete(seen);
	}
	b = get_bead(e, id);
	CHECK(field(b, "failure") && strstr(field(b, "failure"), "without progress"));
	cJSON_Delete(b);
	cJSON_Delete(fx);
	eng_close(e);
	t_now = t0;
	t_cleanup();
}

int main(void)
{
	RUN(backoff_follows_the_schedule);
	RUN(dispatch_uses_idle_polecats_then_new_ones_up_to_the_limit);
	RUN(a_serial_chain_stays_on_its_agent);
	RUN(silent_agents_are_lost_and_quiet_ones_climb_the_ladder);
	RUN(the_refinery_reviews_one_at_a_time);
	RUN(the_breaker_stops_dispatch_but_not_health);
	RUN(a_bead_with_a_rig_is_dispatched_with_a_signed_start);
	RUN(blocked_work_lets_the_town_idle);
	RUN(a_start_answered_without_a_usable_status_failed);
	RUN(a_bead_hooked_by_hand_is_not_dispatched_again);
	RUN(failed_starts_back_off_then_fail_the_bead);
	RUN(an_unreachable_host_costs_the_bead_no_attempts);
	RUN(done_goes_to_review_and_a_merge_closes_the_work);
	RUN(a_conflict_sends_the_bead_back_to_its_agent);
	RUN(a_silent_agent_is_lost_and_its_bead_runs_again);
	RUN(a_failing_tick_is_rolled_back_and_comes_again);
	RUN(without_a_container_nothing_is_dispatched);
	RUN(runtimes_and_limits_come_from_the_settings);
	RUN(a_pr_rig_opens_a_pull_request_and_follows_it_to_the_merge);
	RUN(a_review_without_a_merge_request_goes_back);
	RUN(a_storm_of_failures_pauses_dispatch_with_one_escalation);
	RUN(a_refused_start_names_the_hosts_reason);
	RUN(a_lost_start_answer_is_judged_by_the_heartbeats);
	RUN(a_quiet_agent_is_nudged_then_triaged_then_stopped);
	RUN(an_agent_set_free_asks_for_a_tick);
	RUN(the_mayor_lives_one_message_at_a_time);
	RUN(a_lost_mayor_is_retried_then_the_member_is_told);
	RUN(a_crew_agent_joins_works_and_goes_offline);
	return t_done();
}
