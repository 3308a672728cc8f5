/*
 * test_memory.c - notes on paths and the prime context (docs/memory.md). A polecat's assignment
 * gathers the notes on the paths its bead names: a note on a directory reaches a file named under
 * it, a note elsewhere does not, a URL is not a path, each note is told once however many named
 * paths it covers, and the section stays within its bound however many notes there are. An
 * agent's note is on its hook's bead; bad notes store nothing.
 */
#include "harness.h"

static const char *bearer(const char *token)
{
	static char h[2048];

	snprintf(h, sizeof h, "{\"authorization\":\"Bearer %s\"}", token);
	return h;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static void note(struct eng *e, const char *path, const char *text)
{
	char body[4096];
	struct t_res r;

	snprintf(body, sizeof body, "{\"path\":\"%s\",\"text\":\"%s\"}", path, text);
	r = t_request(e, "POST", "/api/towns/t1/notes", body, t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
}

static void the_prime_context_gathers_the_notes_on_named_paths(void)
{
	struct eng *e = t_town(1);
	char token[1024], bead[64], digest_before[200];
	const cJSON *m;
	struct t_res r;
	int payments = 0, docs = 0;
	const char *prompt;

	note(e, "src/payments/", "a race in checkout: lock the cart first");
	note(e, "docs/", "the docs build with make docs");
	r = t_request(e, "POST", "/api/towns/t1/beads",
		      "{\"title\":\"Refunds in src/payments/refund.c\",\"body\":\"See `src/payments/charge.c`, and"
		      " https://example.com/src/payments/x for the API.\",\"rig\":\"r\",\"held\":true}", t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(bead, sizeof bead, "%s", str(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	{
		char body[128];

		snprintf(body, sizeof body, "{\"bead\":\"%s\"}", bead);
		r = t_request(e, "POST", "/api/towns/t1/agents/toast/hook", body, t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/token", NULL, t_as("sarah"));
	snprintf(token, sizeof token, "%s", cJSON_GetStringValue(t_data(&r, "token")));
	t_res_free(&r);

	r = t_request(e, "GET", "/api/towns/t1/agents/toast/prime", NULL, bearer(token));
	CHECK(r.status == 200);
	/* Two named files under the noted directory, one note told once; the docs note not at all. */
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "memory")) {
		payments += t_streq(str(m, "kind"), "note") && t_streq(str(m, "path"), "src/payments/");
		docs += t_streq(str(m, "path"), "docs/");
	}
	CHECK(payments == 1 && docs == 0);
	prompt = str(cJSON_GetObjectItem(r.body, "data"), "prompt");
	CHECK(strstr(prompt, "- sarah left a note on src/payments/ just now: a race in checkout: lock the cart first\n") != NULL);
	CHECK(strstr(prompt, "the docs build") == NULL);
	t_res_free(&r);

	/* Many long notes: the section stays near its bound. */
	for (int i = 0; i < 20; i++) {
		char text[1500];

		memset(text, 'x', sizeof text - 1);
		text[sizeof text - 1] = '\0';
		note(e, i % 2 ? "src/payments/refund.c" : "src/", text);
	}
	r = t_request(e, "GET", "/api/towns/t1/agents/toast/prime", NULL, bearer(token));
	prompt = str(cJSON_GetObjectItem(r.body, "data"), "prompt");
	CHECK(strstr(prompt, "What earlier work left") && strlen(strstr(prompt, "What earlier work left")) < 2000 + 1700);
	t_res_free(&r);

	/* The agent's own note is on its hook's bead. */
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/notes", "{\"path\":\"src/payments/refund.c\",\"text\":\"refunds are idempotent\"}",
		      bearer(token));
	CHECK(r.status == 201 && t_streq(str(cJSON_GetObjectItem(r.body, "data"), "bead"), bead) &&
	      t_streq(str(cJSON_GetObjectItem(r.body, "data"), "author"), "toast"));
	t_res_free(&r);

	/* Bad notes leave storage as it was. */
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, "{\"authorization\":\"Bearer operator-secret\"}");
	snprintf(digest_before, sizeof digest_before, "%s", str(cJSON_GetObjectItem(r.body, "data"), "digest"));
	t_res_free(&r);
	{
		static const char *const bad[] = {
			"{\"path\":\"a/../b\",\"text\":\"x\"}", "{\"path\":\"/etc\",\"text\":\"x\"}", "{\"path\":\"a\\\\b\",\"text\":\"x\"}",
			"{\"path\":\"a//b\",\"text\":\"x\"}", "{\"path\":\"a\\u0001\",\"text\":\"x\"}", "{\"path\":\"a\"}",
			"{\"path\":\"a\",\"text\":\"x\",\"bead\":\"gt-none\"}", "{\"path\":\"\",\"text\":\"x\"}", "[]",
		};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			r = t_request(e, "POST", "/api/towns/t1/notes", bad[i], t_as("sarah"));
			CHECK(r.status == 400);
			t_res_free(&r);
		}
	}
	r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, "{\"authorization\":\"Bearer operator-secret\"}");
	CHECK(t_streq(str(cJSON_GetObjectItem(r.body, "data"), "digest"), digest_before));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* A bead that names no path still gets the notes its words speak of (their text or their path),
 * best first, relevance fading with age; words that are not there find nothing. */
static void the_prime_context_finds_notes_by_the_beads_words(void)
{
	struct eng *e = t_town(1);
	char token[1024], body[256];
	const cJSON *m;
	const char *prompt;
	struct t_res r;
	int race = 0, words = 0, fonts = 0;

	note(e, "src/payments/", "a race condition in the checkout flow: lock the cart first");
	note(e, "web/fonts/", "the fonts are served from the CDN");
	t_now += 90.0 * 86400000;
	note(e, "src/cart/", "checkout totals round half up");
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Checkout charges twice\",\"body\":\"Customers see two"
		      " charges when they press pay quickly: a race?\",\"rig\":\"r\",\"held\":true}", t_as("sarah"));
	CHECK(r.status == 201);
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", str(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/hook", body, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/agents/toast/token", NULL, t_as("sarah"));
	snprintf(token, sizeof token, "%s", cJSON_GetStringValue(t_data(&r, "token")));
	t_res_free(&r);

	r = t_request(e, "GET", "/api/towns/t1/agents/toast/prime", NULL, bearer(token));
	CHECK(r.status == 200);
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "memory")) {
		race += t_streq(str(m, "path"), "src/payments/");
		words += t_streq(str(m, "found"), "words");
		fonts += t_streq(str(m, "path"), "web/fonts/");
	}
	CHECK(race == 1 && words == 2 && fonts == 0);
	prompt = str(cJSON_GetObjectItem(r.body, "data"), "prompt");
	/* Found by "race" and "checkout" in their text; the fonts note shares no word. */
	CHECK(strstr(prompt, "Notes that may bear on your bead") != NULL);
	CHECK(strstr(prompt, "on src/payments/ 90 days ago: a race condition in the checkout flow") != NULL);
	CHECK(strstr(prompt, "on src/cart/ just now: checkout totals round half up") != NULL);
	CHECK(strstr(prompt, "fonts") == NULL);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	the_prime_context_gathers_the_notes_on_named_paths();
	the_prime_context_finds_notes_by_the_beads_words();
	return t_done();
}
