/*
 * test_hooks.c - the platforms' own signature vectors through the engine: GitHub's documented
 * X-Hub-Signature-256 example and Slack's documented v0 example verify (and one changed byte does
 * not), Slack's 5-minute window at its edges, HMAC over parts equal to HMAC over the whole, and what
 * a review comment is taken to ask for.
 */
#include "harness.h"
#include "api/api.h"

static const char SLACK_BODY[] =
	"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
	"&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
	"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
static const char SLACK_SIG[] = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
static const char GH_SIG[] = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

static void hmac_over_parts_is_hmac_over_the_whole(void)
{
	unsigned char a[32], b[32];
	struct mac_part whole = {"v0:1531420618:body", 18};
	struct mac_part parts[] = {{"v0:", 3}, {"1531420618", 10}, {":", 1}, {"body", 4}};

	CHECK(mac_hmac_sha256("k", 1, &whole, 1, a) == 0);
	CHECK(mac_hmac_sha256("k", 1, parts, 4, b) == 0);
	CHECK(memcmp(a, b, 32) == 0);
	CHECK(mac_equal_text("same", "same"));
	CHECK(!mac_equal_text("same", "samE"));
	CHECK(!mac_equal_text("same", "same "));
	CHECK(!mac_equal_text("same", NULL));
}

static void github_documented_vector(void)
{
	unsigned char mac[32];
	struct mac_part msg = {"Hello, World!", 13};
	char upper[80];

	CHECK(mac_hmac_sha256("It's a Secret to Everybody", 26, &msg, 1, mac) == 0);
	CHECK(mac_equal_hex(mac, GH_SIG + 7));
	for (size_t i = 0; i <= strlen(GH_SIG + 7); i++)
		upper[i] = (char)((GH_SIG[7 + i] >= 'a' && GH_SIG[7 + i] <= 'f') ? GH_SIG[7 + i] - 32 : GH_SIG[7 + i]);
	CHECK(mac_equal_hex(mac, upper));
	CHECK(!mac_equal_hex(mac, "757107ea"));
	CHECK(!mac_equal_hex(mac, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18"));
	CHECK(!mac_equal_hex(mac, "z57107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
}

static struct eng *town_with(const char *platform, const char *body)
{
	struct eng *e = t_town(0);
	char path[96];
	struct t_res r;

	snprintf(path, sizeof path, "/api/towns/t1/integrations/%s", platform);
	r = t_request(e, "PUT", path, body, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	return e;
}

static void github_signature_through_the_engine(void)
{
	struct eng *e = town_with("github", "{\"secrets\":{\"webhook_secret\":\"It's a Secret to Everybody\"}}");
	char headers[512];
	struct t_res r;

	/* The documented body verifies; it is not JSON, so it is refused after the signature held. */
	snprintf(headers, sizeof headers, "{\"x-github-event\":\"issues\",\"x-github-delivery\":\"d-1\",\"x-hub-signature-256\":\"%s\"}", GH_SIG);
	r = t_request(e, "POST", "/api/towns/t1/hooks/github", "Hello, World!", headers);
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/hooks/github", "Hello, World?", headers);
	CHECK(r.status == 401);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static struct t_res slack_at(struct eng *e, double now_s)
{
	char headers[512];

	t_now = now_s * 1000;
	snprintf(headers, sizeof headers, "{\"x-slack-request-timestamp\":\"1531420618\",\"x-slack-signature\":\"%s\"}", SLACK_SIG);
	return t_request(e, "POST", "/api/towns/t1/hooks/slack", SLACK_BODY, headers);
}

static void slack_documented_vector_and_window(void)
{
	double saved = t_now;
	struct eng *e = town_with("slack", "{\"secrets\":{\"signing_secret\":\"8f742231b10e8888abcd99yyyzzz85a5\"}}");
	struct t_res r = slack_at(e, 1531420618 + 300);

	/* Verified; the command asks nothing, so Slack is told so. */
	CHECK(r.status == 200);
	CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(r.body, "text")) ?: "", "Nothing to do") != NULL);
	t_res_free(&r);
	r = slack_at(e, 1531420618 - 300);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = slack_at(e, 1531420618 + 301);
	CHECK(r.status == 401);
	CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "reason")) ?: "", "stale") == 0);
	t_res_free(&r);
	r = slack_at(e, 1531420618 - 301);
	CHECK(r.status == 401);
	t_res_free(&r);
	t_now = saved;
	eng_close(e);
	t_cleanup();
}

static void review_comments_are_classified(void)
{
	static const struct {
		const char *body, *state;
		enum review_kind want;
	} cases[] = {
		{"Please rename this variable to `total`.", NULL, RV_FIX},
		{"This leaks the file handle on the error path", NULL, RV_FIX},
		{"Why do we retry three times here?", NULL, RV_QUESTION},
		{"how does this behave when the list is empty", NULL, RV_QUESTION},
		{"nit: trailing whitespace", NULL, RV_NIT},
		{"Minor: could be a const", NULL, RV_NIT},
		{"I think the data model is wrong: orders should not own payments.", NULL, RV_ARCHITECTURAL},
		{"This coupling between the cache and the API worries me", NULL, RV_ARCHITECTURAL},
		{"LGTM", NULL, RV_APPROVAL},
		{"  looks good to me!  ", NULL, RV_APPROVAL},
		{"", "approved", RV_APPROVAL},
		{"Fix the typo please", "APPROVED", RV_APPROVAL},
		{"LGTM but the loop below still reads past the end of the buffer, please fix it first", NULL, RV_FIX},
		{"nitrogen levels are computed twice", NULL, RV_FIX},
		{NULL, NULL, RV_FIX},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum review_kind got = review_classify(cases[i].body, cases[i].state);

		if (got != cases[i].want)
			printf("# \"%s\": %s, expected %s\n", cases[i].body ? cases[i].body : "(null)", review_kind_name(got),
			       review_kind_name(cases[i].want));
		CHECK(got == cases[i].want);
	}
}

/* A signed GitHub issues.opened delivery of issue n on acme/app labelled gastown. */
static struct t_res github_issue(struct eng *e, int n)
{
	char body[512], headers[512], hex[65];
	unsigned char mac[32];
	struct mac_part part;

	snprintf(body, sizeof body, "{\"action\":\"opened\",\"repository\":{\"full_name\":\"acme/app\",\"default_branch\":\"main\"},"
		 "\"sender\":{\"login\":\"octo\"},\"issue\":{\"number\":%d,\"title\":\"Issue %d\",\"html_url\":\"https://github.com/acme/app/issues/%d\","
		 "\"body\":\"Steps.\",\"labels\":[{\"name\":\"gastown\"}]}}", n, n, n);
	part.p = body;
	part.len = strlen(body);
	CHECK(mac_hmac_sha256("hook-secret", 11, &part, 1, mac) == 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	snprintf(headers, sizeof headers, "{\"x-github-event\":\"issues\",\"x-github-delivery\":\"d-%d\",\"x-hub-signature-256\":\"sha256=%s\"}",
		 n, hex);
	return t_request(e, "POST", "/api/towns/t1/hooks/github", body, headers);
}

static const char *delivery_outcome(struct eng *e, int n, char *out, size_t len)
{
	char path[96];
	struct t_res r;

	snprintf(path, sizeof path, "/api/towns/t1/integrations/github/deliveries/d-%d", n);
	r = t_request(e, "GET", path, NULL, t_as("sarah"));
	snprintf(out, len, "%s", r.status == 200 ? cJSON_GetStringValue(t_data(&r, "outcome")) : t_error_code(&r));
	t_res_free(&r);
	return out;
}

static int64_t open_beads(struct eng *e)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/beads?rig=app&limit=200", NULL, t_as("sarah"));
	int64_t n = cJSON_GetArraySize(t_data(&r, "beads"));

	t_res_free(&r);
	return n;
}

static void deliveries_are_queued_and_applied_in_bounded_batches(void)
{
	struct eng *e = town_with("github", "{\"secrets\":{\"webhook_secret\":\"hook-secret\"}}");
	struct t_res r = t_request(e, "POST", "/api/towns/t1/rigs", "{\"id\":\"app\",\"git_url\":\"https://github.com/acme/app.git\"}",
				   t_as("sarah"));
	char outcome[40];

	CHECK(r.status == 201);
	t_res_free(&r);
	/* Answered once verified and stored: nothing of the rules has run yet. */
	for (int n = 1; n <= 70; n++) {
		r = github_issue(e, n);
		CHECK(r.status == 202);
		CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "outcome")), "queued"));
		/* The first delivery asks for the alarm, a moment ahead: the others of a burst join it. */
		if (n == 1)
			CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == t_now + 250);
		t_res_free(&r);
	}
	CHECK(open_beads(e) == 0);
	CHECK(t_streq(delivery_outcome(e, 1, outcome, sizeof outcome), "queued"));
	r = github_issue(e, 1); /* a redelivery while it waits */
	CHECK(r.status == 200);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "outcome")), "duplicate_delivery"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/integrations", NULL, t_as("sarah"));
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(t_data(&r, "github"), "queued")) == 70);
	t_res_free(&r);

	/* One alarm applies at most 64, oldest first, and asks for the next at once. */
	t_now += 250;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	CHECK(r.rc == ENG_OK);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "next_alarm_ms")) == t_now);
	t_res_free(&r);
	CHECK(open_beads(e) == 64);
	/* The Mayor hears of the batch once, as the member it is for, every bead named. */
	r = t_request(e, "GET", "/api/towns/t1/mayor/messages", NULL, t_as("sarah"));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "data")) == 1);
	{
		const cJSON *list = cJSON_GetObjectItem(r.body, "data"), *m = cJSON_GetArrayItem(list, 0);
		const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(m, "text")) ?: "";

		CHECK(strncmp(text, "64 pieces of work came in:\n- GitHub issue acme/app#1: \"Issue 1\" came in as bead ", 80) == 0);
		CHECK(strstr(text, "acme/app#64: \"Issue 64\"") != NULL);
		CHECK(strstr(text, "Assess them") != NULL);
	}
	t_res_free(&r);
	CHECK(t_streq(delivery_outcome(e, 64, outcome, sizeof outcome), "created"));
	CHECK(t_streq(delivery_outcome(e, 65, outcome, sizeof outcome), "queued"));
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	t_res_free(&r);
	CHECK(open_beads(e) == 70);
	CHECK(t_streq(delivery_outcome(e, 70, outcome, sizeof outcome), "created"));
	CHECK(t_streq(delivery_outcome(e, 71, outcome, sizeof outcome), "not_found"));
	r = t_request(e, "GET", "/api/towns/t1/integrations", NULL, t_as("sarah"));
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(t_data(&r, "github"), "queued")) == 0);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(t_data(&r, "github"), "deliveries"),
								       "issues.opened"), "created")) == 70);
	t_res_free(&r);

	/* An integration removed while deliveries wait: they are ignored, saying why, and make nothing. */
	r = github_issue(e, 71);
	CHECK(r.status == 202);
	t_res_free(&r);
	r = t_request(e, "DELETE", "/api/towns/t1/integrations/github", NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	t_now += 250;
	r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	t_res_free(&r);
	CHECK(open_beads(e) == 70);
	r = t_request(e, "GET", "/api/towns/t1/integrations/github/deliveries/d-71", NULL, t_as("sarah"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "outcome")), "ignored"));
	CHECK(strstr(cJSON_GetStringValue(t_data(&r, "why")) ?: "", "removed") != NULL);
	t_res_free(&r);
	/* Viewers and strangers do not read deliveries. */
	r = t_request(e, "GET", "/api/towns/t1/integrations/github/deliveries/d-1", NULL, t_as("olga"));
	CHECK(r.status == 404);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(hmac_over_parts_is_hmac_over_the_whole);
	RUN(github_documented_vector);
	RUN(github_signature_through_the_engine);
	RUN(slack_documented_vector_and_window);
	RUN(review_comments_are_classified);
	RUN(deliveries_are_queued_and_applied_in_bounded_batches);
	return t_done();
}
