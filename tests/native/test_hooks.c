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

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(hmac_over_parts_is_hmac_over_the_whole);
	RUN(github_documented_vector);
	RUN(github_signature_through_the_engine);
	RUN(slack_documented_vector_and_window);
	RUN(review_comments_are_classified);
	return t_done();
}
