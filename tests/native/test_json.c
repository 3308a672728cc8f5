/*
 * test_json.c - what clients send is taken as sent or refused: UTF-8 per RFC 3629 (utf8.c), the
 * strict parse of bodies and frames (json.c: no invalid UTF-8, no \u0000, no unescaped control
 * character, no key twice), the same rules for path segments and query parameters, and answers
 * that stay valid UTF-8 when a long name is cut to fit. Bad input changes nothing in storage.
 */
#include "harness.h"
#include "api/api.h"

/* ---- utf8.c ------------------------------------------------------------------------------------ */

static int valid(const char *s, size_t n)
{
	return utf8_check(s, n) == n;
}

static void utf8_follows_rfc_3629(void)
{
	/* The boundaries of each length, and the last code point. */
	CHECK(valid("\x7f", 1));
	CHECK(valid("\xc2\x80", 2));             /* U+0080 */
	CHECK(valid("\xdf\xbf", 2));             /* U+07FF */
	CHECK(valid("\xe0\xa0\x80", 3));         /* U+0800 */
	CHECK(valid("\xed\x9f\xbf", 3));         /* U+D7FF, just below the surrogates */
	CHECK(valid("\xee\x80\x80", 3));         /* U+E000, just above them */
	CHECK(valid("\xef\xbf\xbf", 3));         /* U+FFFF */
	CHECK(valid("\xf0\x90\x80\x80", 4));     /* U+10000 */
	CHECK(valid("\xf4\x8f\xbf\xbf", 4));     /* U+10FFFF */
	CHECK(valid("caf\xc3\xa9 \xf0\x9f\x9a\x82", 10));

	/* Overlong forms. */
	CHECK(!valid("\xc0\x80", 2));
	CHECK(!valid("\xc1\xbf", 2));
	CHECK(!valid("\xe0\x80\x80", 3));
	CHECK(!valid("\xe0\x9f\xbf", 3));
	CHECK(!valid("\xf0\x80\x80\x80", 4));
	CHECK(!valid("\xf0\x8f\xbf\xbf", 4));
	/* Surrogates, encoded directly (CESU-8). */
	CHECK(!valid("\xed\xa0\x80", 3));
	CHECK(!valid("\xed\xbf\xbf", 3));
	CHECK(!valid("\xed\xa0\xbd\xed\xb8\x80", 6));
	/* Past U+10FFFF. */
	CHECK(!valid("\xf4\x90\x80\x80", 4));
	CHECK(!valid("\xf5\x80\x80\x80", 4));
	CHECK(!valid("\xff", 1));
	/* Stray continuation bytes, and sequences cut short. */
	CHECK(!valid("\x80", 1));
	CHECK(!valid("a\xbf", 2));
	CHECK(!valid("\xc3", 1));
	CHECK(!valid("\xe2\x82", 2));
	CHECK(!valid("\xf0\x9f\x9a", 3));
	CHECK(!valid("\xc3(", 2));
	CHECK(utf8_check("ok\xc3(", 4) == 2);
}

static void utf8_cuts_between_characters(void)
{
	char out[8];

	CHECK(utf8_trim("ab\xc3\xa9", 4) == 4);
	CHECK(utf8_trim("ab\xc3\xa9", 3) == 2);
	CHECK(utf8_trim("\xf0\x9f\x9a\x82", 3) == 0);
	CHECK(utf8_trim("\xf0\x9f\x9a\x82", 4) == 4);
	CHECK(utf8_trim("abc", 3) == 3);
	utf8_copy(out, sizeof out, "abcdef\xc3\xa9"); /* 8 bytes into 7 + NUL: the é goes whole */
	CHECK(strcmp(out, "abcdef") == 0);
	utf8_copy(out, sizeof out, "ab\xe2\x82\xac");
	CHECK(strcmp(out, "ab\xe2\x82\xac") == 0);
}

/* ---- json_parse_strict ------------------------------------------------------------------------- */

/* Parse text (n bytes) strictly; the error into e. 1 if it parsed. */
static int strict(const char *text, size_t n, struct err *e)
{
	cJSON *v;

	memset(e, 0, sizeof *e);
	v = json_parse_strict(text, n, e);
	cJSON_Delete(v);
	return v != NULL;
}
#define STRICT(lit, e) strict(lit, sizeof lit - 1, e)

static void strict_parse_refuses_what_cjson_lets_through(void)
{
	struct err e;

	CHECK(STRICT("{\"title\":\"caf\xc3\xa9\",\"labels\":[\"a\",\"b\"],\"m\":{\"k\":[1,{\"x\":null}]}}", &e));
	CHECK(STRICT(" [1, \"\\ud83d\\ude82\", \"\\\\u0000\"]\n", &e)); /* a pair; an escaped backslash */

	/* Not UTF-8: the field is named, a key names its object. */
	CHECK(!STRICT("{\"title\":\"bad \xff here\"}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "title") && strstr(e.message, "UTF-8"));
	CHECK(!STRICT("{\"title\":\"ok\",\"metadata\":{\"a\":1,\"k\":\"\xed\xa0\x80\"}}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "metadata.k"));
	CHECK(!STRICT("{\"labels\":[\"a\",\"b\",\"\xc0\xaf\"]}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "labels[2]"));
	CHECK(!STRICT("{\"metadata\":{\"k\xf4\x90\x80\x80\":1}}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "metadata") && strstr(e.message, "a key in 'metadata'"));
	CHECK(!STRICT("{\"a\":[{\"b\":1},{\"c\":[[\"\x80\"]]}]}", &e));
	CHECK(t_streq(e.field, "a[1].c[0][0]"));
	CHECK(!STRICT("\"\xe2\x82\"", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "") && strstr(e.message, "the body"));

	/* \u0000 would cut the string short; a raw NUL or control character likewise. */
	CHECK(!STRICT("{\"title\":\"abc\\u0000def\"}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "title") && strstr(e.message, "\\u0000"));
	CHECK(!STRICT("{\"ti\\u0000tle\":\"x\"}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "") && strstr(e.message, "a key"));
	CHECK(!STRICT("{\"title\":\"a\0b\"}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "title"));
	CHECK(!STRICT("{\"title\":\"a\tb\"}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "title"));
	/* Outside strings cJSON skips any byte up to space as a blank; JSON allows four. */
	CHECK(!STRICT("{\x01\"a\":1}", &e));
	CHECK(e.code == ERR_BAD_JSON);

	/* Escapes that are not characters, and text that is not JSON, stay bad_json. */
	CHECK(!STRICT("{\"a\":\"\\ud800\"}", &e));
	CHECK(e.code == ERR_BAD_JSON);
	CHECK(!STRICT("{\"a\":\"\\udc00\\ud800\"}", &e));
	CHECK(e.code == ERR_BAD_JSON);
	CHECK(!STRICT("{\"a\":", &e));
	CHECK(e.code == ERR_BAD_JSON);
}

/* The scan reads eight bytes at a time: a bad byte is found wherever it falls in a word, and
 * escapes and multi-byte characters across word boundaries are read right. */
static void strict_parse_finds_problems_at_every_offset(void)
{
	static const struct {
		const char *bad;
		size_t len;
		const char *why;
	} probes[] = {
		{"\xff", 1, "UTF-8"}, {"\xe2\x82", 2, "UTF-8"}, {"\x01", 1, "control"},
		{"\\u0000", 6, "\\u0000"}, {"\x7f\xc3", 2, "UTF-8"},
	};
	struct err e;

	for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
		for (int at = 0; at < 20; at++) {
			char text[128];
			size_t o = (size_t)snprintf(text, sizeof text, "{\"k\":1,\"title\":\"");

			for (int i = 0; i < at; i++)
				text[o++] = i % 5 == 4 ? ' ' : 'a';
			memcpy(text + o, probes[k].bad, probes[k].len);
			o += probes[k].len;
			o += (size_t)snprintf(text + o, sizeof text - o, "tail of the title\"}");
			CHECK(!strict(text, o, &e));
			CHECK(e.code == ERR_INVALID && t_streq(e.field, "title") && strstr(e.message, probes[k].why));
		}
	}
	/* Well-formed text with escapes and characters of every length across the words. */
	for (int at = 0; at < 16; at++) {
		char text[160];
		size_t o = (size_t)snprintf(text, sizeof text, "{\"title\":\"");

		for (int i = 0; i < at; i++)
			text[o++] = 'a';
		o += (size_t)snprintf(text + o, sizeof text - o, "\\\"q\\\\\\u00e9\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x82\\n"
							 "\\ud83d\\ude82 \\\\u0000 done\",\"x\":[1,2,{\"y\":\"z\"}]}");
		CHECK(strict(text, o, &e));
	}
}

static void strict_parse_refuses_a_key_twice(void)
{
	struct err e;
	char big[2048];
	size_t o = 0;

	CHECK(!STRICT("{\"title\":\"a\",\"title\":\"b\"}", &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "title") && strstr(e.message, "twice"));
	CHECK(!STRICT("{\"m\":{\"x\":1,\"y\":2,\"x\":3}}", &e));
	CHECK(t_streq(e.field, "m.x"));
	CHECK(!STRICT("{\"items\":[{\"a\":1},{\"b\":1,\"b\":2}]}", &e));
	CHECK(t_streq(e.field, "items[1].b"));
	/* The same text under an escape is the same key. */
	CHECK(!STRICT("{\"ab\":1,\"a\\u0062\":2}", &e));
	CHECK(t_streq(e.field, "ab"));
	/* Equal keys in different objects are fine. */
	CHECK(STRICT("{\"a\":{\"k\":1},\"b\":{\"k\":1},\"c\":[{\"k\":1},{\"k\":2}]}", &e));

	/* A large object is checked by sorting its keys: with and without a repeat. */
	o += (size_t)snprintf(big + o, sizeof big - o, "{");
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "%s\"k%d\":%d", i ? "," : "", i, i);
	snprintf(big + o, sizeof big - o, "}");
	CHECK(strict(big, strlen(big), &e));
	snprintf(big + o, sizeof big - o, ",\"k57\":0}");
	CHECK(!strict(big, strlen(big), &e));
	CHECK(e.code == ERR_INVALID && t_streq(e.field, "k57"));
}

/* ---- through the engine ------------------------------------------------------------------------ */

/* One request with a body of n bytes (may hold NUL); the raw answer's body is checked to be valid
 * UTF-8 (a response is JSON, so it must be). */
static struct t_res raw_request(struct eng *e, const char *method, const char *path, const char *query,
				const char *body, size_t n, const char *headers)
{
	static unsigned char entropy[32];
	char meta[4096];
	struct eng_input in = {.event = ENG_EV_REQUEST, .meta = meta, .body = body, .body_len = n,
			       .now_ms = t_now, .entropy = entropy, .entropy_len = sizeof entropy};
	struct eng_output out;
	struct t_res r = {0};

	entropy[0]++;
	snprintf(meta, sizeof meta, "{\"method\":\"%s\",\"path\":\"%s\",\"query\":\"%s\",\"headers\":%s}", method,
		 path, query, headers);
	in.meta_len = strlen(meta);
	r.rc = eng_call(e, &in, &out);
	CHECK(utf8_check(out.body, out.body_len) == out.body_len);
	r.meta = cJSON_ParseWithLength(out.meta, out.meta_len);
	r.body = cJSON_ParseWithLength(out.body, out.body_len);
	r.status = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(r.meta, "status"));
	return r;
}

static const char *error_field(const struct t_res *r)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r->body, "error"), "field"));
}

static int t_message_has(const struct t_res *r, const char *part)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r->body, "error"), "message"));

	return m && strstr(m, part);
}

static void storage_digest(struct eng *e, char *out, size_t len)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL,
				   "{\"authorization\":\"Bearer operator-secret\"}");

	snprintf(out, len, "%s", cJSON_GetStringValue(t_data(&r, "digest")) ? cJSON_GetStringValue(t_data(&r, "digest")) : "?");
	t_res_free(&r);
}

#define BODY(lit) lit, sizeof lit - 1

static void bead_bodies_are_stored_as_sent_or_refused(void)
{
	struct eng *e = t_town(0);
	char before[80], after[80];
	struct t_res r;
	const char *sarah = t_as("sarah");
	char headers[2048];

	snprintf(headers, sizeof headers, "%s", sarah);
	storage_digest(e, before, sizeof before);

	r = raw_request(e, "POST", "/api/towns/t1/beads", "", BODY("{\"title\":\"caf\xe9\"}"), headers);
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") && t_streq(error_field(&r), "title"));
	t_res_free(&r);
	r = raw_request(e, "POST", "/api/towns/t1/beads", "", BODY("{\"title\":\"Fix\\u0000 the gate\"}"), headers);
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") && t_streq(error_field(&r), "title"));
	t_res_free(&r);
	r = raw_request(e, "POST", "/api/towns/t1/beads", "", BODY("{\"title\":\"Fix\0 the gate\"}"), headers);
	CHECK(r.status == 400 && t_streq(error_field(&r), "title"));
	t_res_free(&r);
	r = raw_request(e, "POST", "/api/towns/t1/beads", "", BODY("{\"title\":\"A\",\"title\":\"B\"}"), headers);
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") && t_streq(error_field(&r), "title"));
	t_res_free(&r);
	r = raw_request(e, "POST", "/api/towns/t1/beads", "",
			BODY("{\"title\":\"A\",\"metadata\":{\"k\":1,\"k\":2}}"), headers);
	CHECK(r.status == 400 && t_streq(error_field(&r), "metadata.k"));
	t_res_free(&r);
	storage_digest(e, after, sizeof after);
	CHECK(strcmp(before, after) == 0);

	/* The same title, well formed, is stored and answered byte for byte. */
	r = raw_request(e, "POST", "/api/towns/t1/beads", "", BODY("{\"title\":\"caf\xc3\xa9 \\ud83d\\ude82\"}"), headers);
	CHECK(r.status == 201);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "title")), "caf\xc3\xa9 \xf0\x9f\x9a\x82"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void paths_and_queries_are_utf8_once_decoded(void)
{
	struct eng *e = t_town(0);
	char before[80], after[80];
	struct t_res r;
	char headers[2048];

	snprintf(headers, sizeof headers, "%s", t_as("sarah"));
	storage_digest(e, before, sizeof before);
	r = raw_request(e, "GET", "/api/towns/t1/beads/gt-%FF", "", NULL, 0, headers);
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") && t_streq(error_field(&r), "path"));
	t_res_free(&r);
	r = raw_request(e, "PUT", "/api/towns/t1/members/%ED%A0%80", "", BODY("{\"role\":\"viewer\"}"), headers);
	CHECK(r.status == 400 && t_streq(error_field(&r), "path"));
	t_res_free(&r);
	r = raw_request(e, "GET", "/api/towns/t1/beads/gt-%00", "", NULL, 0, headers);
	CHECK(r.status == 400 && t_streq(error_field(&r), "path"));
	t_res_free(&r);
	/* A well-formed name still gets its own answer. */
	r = raw_request(e, "GET", "/api/towns/t1/beads/caf%C3%A9", "", NULL, 0, headers);
	CHECK(r.status == 404);
	t_res_free(&r);

	/* A free-text filter: before, the bytes were looked up as they came and answered 200. */
	r = raw_request(e, "GET", "/api/towns/t1/beads", "?label=%C0%AF", NULL, 0, headers);
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") && t_streq(error_field(&r), "label"));
	t_res_free(&r);
	r = raw_request(e, "GET", "/api/towns/t1/beads", "?label=caf%C3%A9", NULL, 0, headers);
	CHECK(r.status == 200);
	t_res_free(&r);
	r = raw_request(e, "GET", "/api/towns/t1/beads", "?status=open%00", NULL, 0, headers);
	CHECK(r.status == 400 && t_streq(error_field(&r), "status"));
	t_res_free(&r);
	storage_digest(e, after, sizeof after);
	CHECK(strcmp(before, after) == 0);
	eng_close(e);
	t_cleanup();
}

/* An error message quotes the path; cut to its 256 bytes, it still ends on a whole character. */
static void long_names_are_cut_between_characters(void)
{
	struct eng *e = t_town(0);
	struct t_res r;

	/* With and without one more byte before the é's: the cut falls on each byte of one. */
	for (int shift = 0; shift < 2; shift++) {
		char path[1024];
		size_t o = (size_t)snprintf(path, sizeof path, "/api/towns/t1/nothing/%s", shift ? "x" : "");
		const char *msg;

		while (o + 3 < 700) {
			memcpy(path + o, "\xc3\xa9", 2);
			o += 2;
		}
		path[o] = '\0';
		r = raw_request(e, "GET", path, "", NULL, 0, "{}");
		msg = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "message"));
		CHECK(r.status == 404);
		CHECK(msg && strlen(msg) < 256 && strncmp(msg, "no such route", 13) == 0);
		t_res_free(&r);
	}
	eng_close(e);
	t_cleanup();
}

static void feed_frames_are_parsed_strictly(void)
{
	struct eng *e = t_town(0);
	struct t_res r;

	r = t_event(e, ENG_EV_WS_MESSAGE, "{\"tags\":[\"feed\"]}", "{\"type\":\"ping\"}");
	CHECK(r.status == 200);
	t_res_free(&r);
	/* cJSON keeps the first of two keys: this was a ping. */
	r = t_event(e, ENG_EV_WS_MESSAGE, "{\"tags\":[\"feed\"]}", "{\"type\":\"ping\",\"type\":\"drop\"}");
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") && t_streq(error_field(&r), "type"));
	CHECK(t_message_has(&r, "twice"));
	t_res_free(&r);
	r = t_event(e, ENG_EV_WS_MESSAGE, "{\"tags\":[\"feed\"]}", "{\"type\":\"ping\\u0000\"}");
	CHECK(r.status == 400 && t_streq(error_field(&r), "type"));
	t_res_free(&r);
	/* Not JSON at all: the usage message, as before. */
	r = t_event(e, ENG_EV_WS_MESSAGE, "{\"tags\":[\"feed\"]}", "hello");
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") && t_streq(error_field(&r), "type"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	RUN(utf8_follows_rfc_3629);
	RUN(utf8_cuts_between_characters);
	RUN(strict_parse_refuses_what_cjson_lets_through);
	RUN(strict_parse_finds_problems_at_every_offset);
	RUN(strict_parse_refuses_a_key_twice);
	RUN(bead_bodies_are_stored_as_sent_or_refused);
	RUN(paths_and_queries_are_utf8_once_decoded);
	RUN(long_names_are_cut_between_characters);
	RUN(feed_frames_are_parsed_strictly);
	return t_done();
}
