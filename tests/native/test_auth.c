/*
 * test_auth.c - how a request says who it is: the Authorization scheme is matched without regard
 * to case (RFC 7235), for the operator, people and agents alike; a token longer than any we take
 * is refused plainly, as the client's mistake, with the error envelope.
 */
#include "harness.h"

/* Headers {"authorization": "<scheme> <token>"} in buf. */
static const char *with_scheme(char *buf, size_t len, const char *scheme, const char *token)
{
	snprintf(buf, len, "{\"authorization\":\"%s%s\"}", scheme, token);
	return buf;
}

/* The token t_as(user) would send. */
static const char *jwt_of(const char *user, char *out, size_t len)
{
	const char *h = t_as(user), *b = strstr(h, "Bearer ") + 7;

	snprintf(out, len, "%.*s", (int)(strchr(b, '"') - b), b);
	return out;
}

static const char *reason(const struct t_res *r)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r->body, "error"), "reason"));
}

static void the_scheme_is_case_insensitive(void)
{
	static const char *const ok[] = {"Bearer ", "bearer ", "BEARER ", "bEaReR ", "Bearer   "};
	static const char *const no[] = {"Bearer", "Basic ", "Bearerx ", "Bear "};
	struct eng *e = t_town(0);
	char h[2048], jwt[1024];
	struct t_res r;

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL, with_scheme(h, sizeof h, ok[i], "operator-secret"));
		CHECK(r.status == 200);
		t_res_free(&r);
		/* A person's route, and one open to people and agents. */
		r = t_request(e, "GET", "/api/towns/t1", NULL, with_scheme(h, sizeof h, ok[i], jwt_of("sarah", jwt, sizeof jwt)));
		CHECK(r.status == 200);
		t_res_free(&r);
		r = t_request(e, "GET", "/api/towns/t1/beads", NULL, with_scheme(h, sizeof h, ok[i], jwt_of("sarah", jwt, sizeof jwt)));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		r = t_request(e, "GET", "/api/towns/t1", NULL, with_scheme(h, sizeof h, no[i], jwt_of("sarah", jwt, sizeof jwt)));
		CHECK(r.status == 401 && t_streq(reason(&r), "missing"));
		t_res_free(&r);
	}
	r = t_request(e, "GET", "/api/towns/t1", NULL, "{\"authorization\":\"BEARER \"}");
	CHECK(r.status == 401 && t_streq(reason(&r), "missing"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* The worker answers /api/me itself, with the same rules. */
static void the_worker_takes_any_case_too(void)
{
	struct eng *w = t_open(ENG_WORKER, NULL, 0);
	char h[2048], jwt[1024];
	struct t_res r = t_request(w, "GET", "/api/me", NULL, with_scheme(h, sizeof h, "BEARER ", jwt_of("sarah", jwt, sizeof jwt)));

	CHECK(r.status == 200);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "id")), "sarah"));
	t_res_free(&r);
	eng_close(w);
}

/* t_request with room for a long header (its meta buffer holds 4 KiB). */
static struct t_res long_request(struct eng *e, const char *method, const char *path, const char *body,
				 const char *headers)
{
	size_t n = strlen(headers) + 256;
	char *meta = malloc(n);
	struct t_res r;

	snprintf(meta, n, "{\"method\":\"%s\",\"path\":\"%s\",\"query\":\"\",\"headers\":%s}", method, path,
		 headers);
	r = t_event(e, ENG_EV_REQUEST, meta, body);
	free(meta);
	return r;
}

static void an_overlong_token_is_refused_plainly(void)
{
	struct eng *e = t_town(0);
	size_t cap = 9000 + 64;
	char *h = malloc(cap), *tok = malloc(8194);
	struct t_res r;

	memset(tok, 'a', 8193);
	tok[8193] = '\0';
	/* One byte over: the client's mistake, said as such, on every kind of route. */
	r = long_request(e, "GET", "/api/towns/t1", NULL, with_scheme(h, cap, "Bearer ", tok));
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "field")), "authorization"));
	CHECK(reason(&r) == NULL);
	t_res_free(&r);
	r = long_request(e, "GET", "/api/towns/t1/beads", NULL, with_scheme(h, cap, "Bearer ", tok));
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	r = long_request(e, "GET", "/api/towns/t1/debug/storage", NULL, with_scheme(h, cap, "Bearer ", tok));
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	r = long_request(e, "POST", "/api/towns/t1/agents/toast/heartbeat", "{}", with_scheme(h, cap, "Bearer ", tok));
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid"));
	t_res_free(&r);
	/* At the limit it is just a token that does not verify. */
	tok[8192] = '\0';
	r = long_request(e, "GET", "/api/towns/t1", NULL, with_scheme(h, cap, "Bearer ", tok));
	CHECK(r.status == 401 && t_streq(reason(&r), "malformed"));
	t_res_free(&r);
	free(h);
	free(tok);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(the_scheme_is_case_insensitive);
	RUN(the_worker_takes_any_case_too);
	RUN(an_overlong_token_is_refused_plainly);
	return t_done();
}
