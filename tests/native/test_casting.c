/*
 * test_persona.c - personas: the built-in ones, a town's own (create, change, delete, who may),
 * every refusal leaving storage as it was, and a bead slung in a persona: the start request
 * carries it, its overlay leads the prompt, its model wins, its gates go first at the merge, and
 * the agent, the bead's history and the answers say which persona was worn.
 */
#include "harness.h"
#include "mbedtls/md.h"

#define SECRET "persona-container-secret"
#define OVERLAY_MAX 8000 /* PERSONA_OVERLAY_MAX */

static const char *field(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static void digest(struct eng *e, char *out, size_t len)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/debug/storage", NULL,
				   "{\"authorization\":\"Bearer operator-secret\"}");

	snprintf(out, len, "%s", field(cJSON_GetObjectItem(r.body, "data"), "digest") ? field(cJSON_GetObjectItem(r.body, "data"), "digest") : "?");
	t_res_free(&r);
}

static const char *error_field(const struct t_res *r)
{
	return field(cJSON_GetObjectItem(r->body, "error"), "field");
}

static int error_says(const struct t_res *r, const char *part)
{
	const char *m = field(cJSON_GetObjectItem(r->body, "error"), "message");

	return m && strstr(m, part);
}

static struct eng *town(void)
{
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	t_container_secret = SECRET;
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/members/mia", "{\"role\":\"member\"}", t_as("sarah"));
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	r = t_request(e, "PUT", "/api/towns/t1/members/vic", "{\"role\":\"viewer\"}", t_as("sarah"));
	CHECK(r.status == 200 || r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/rigs",
		      "{\"id\":\"r\",\"git_url\":\"https://example.com/r.git\",\"max_polecats\":2,"
		      "\"settings\":{\"gates\":[\"make test\"],\"model\":\"rig-model\"}}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	return e;
}

static void the_builtins_are_listed_and_read(void)
{
	struct eng *e = town();
	struct t_res r = t_request(e, "GET", "/api/towns/t1/personas", NULL, t_as("vic"));
	const cJSON *p;
	int n = 0, security = 0;

	CHECK(r.status == 200);
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(r.body, "data")) {
		n++;
		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(p, "builtin")));
		CHECK(field(p, "overlay") && strlen(field(p, "overlay")) > 40);
		if (t_streq(field(p, "name"), "security-reviewer"))
			security = t_streq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "denied_tools"), 0)),
					   "WebFetch");
	}
	CHECK(n == 6 && security);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/personas/test-writer", NULL, t_as("vic"));
	CHECK(r.status == 200 && t_streq(field(cJSON_GetObjectItem(r.body, "data"), "title"), "Test writer"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/personas/nobody", NULL, t_as("vic"));
	CHECK(r.status == 404 && t_streq(error_field(&r), "persona"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void admins_write_the_towns_own(void)
{
	struct eng *e = town();
	struct t_res r;
	char before[80], after[80];
	const cJSON *d;

	digest(e, before, sizeof before);
	/* A member uses personas; only an admin writes them. */
	r = t_request(e, "POST", "/api/towns/t1/personas", "{\"name\":\"pentester\"}", t_as("mia"));
	CHECK(r.status == 403);
	t_res_free(&r);
	digest(e, after, sizeof after);
	CHECK(strcmp(before, after) == 0);

	r = t_request(e, "POST", "/api/towns/t1/personas",
		      "{\"name\":\"pentester\",\"title\":\"Penetration tester\",\"overlay\":\"Attack it.\","
		      "\"allowed_tools\":[\"Read\",\"Bash(curl *)\"],\"denied_tools\":[\"Write\"],"
		      "\"gates\":[\"./scripts/audit.sh\"],\"model\":\"claude-opus-4-1\"}", t_as("sarah"));
	CHECK(r.status == 201);
	d = cJSON_GetObjectItem(r.body, "data");
	CHECK(t_streq(field(d, "title"), "Penetration tester") && t_streq(field(d, "model"), "claude-opus-4-1"));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(d, "allowed_tools")) == 2);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(d, "builtin")) && t_streq(field(d, "created_by"), "sarah"));
	t_res_free(&r);

	/* A change keeps what it does not name; "" clears the model. */
	r = t_request(e, "PATCH", "/api/towns/t1/personas/pentester", "{\"overlay\":\"Attack it harder.\",\"model\":\"\"}",
		      t_as("sarah"));
	d = cJSON_GetObjectItem(r.body, "data");
	CHECK(r.status == 200 && t_streq(field(d, "overlay"), "Attack it harder.") && cJSON_IsNull(cJSON_GetObjectItem(d, "model")));
	CHECK(t_streq(field(d, "title"), "Penetration tester"));
	t_res_free(&r);

	r = t_request(e, "GET", "/api/towns/t1/personas", NULL, t_as("vic"));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "data")) == 7);
	t_res_free(&r);

	r = t_request(e, "DELETE", "/api/towns/t1/personas/pentester", NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/personas/pentester", NULL, t_as("vic"));
	CHECK(r.status == 404);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* Each bad body: the status, the field named, and storage untouched. */
static void bad_personas_are_refused_and_store_nothing(void)
{
	static const struct {
		const char *method, *path, *body;
		int status;
		const char *field, *says;
	} cases[] = {
		{"POST", "/api/towns/t1/personas", "{\"title\":\"x\"}", 400, "name", "required"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"Pen Tester\"}", 400, "name", "a-z"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"frontend\"}", 409, "name", "built-in"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"allowed_tools\":[\"rm -rf\"]}", 400, "allowed_tools",
		 "not a tool name"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"denied_tools\":[\"Bash(a,b)\"]}", 400, "denied_tools",
		 "not a tool name"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"denied_tools\":\"Bash\"}", 400, "denied_tools", "array"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"allowed_tools\":[\"Read\"],\"denied_tools\":[\"Read\"]}",
		 400, "denied_tools", "both allowed and denied"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"allowed_tools\":[\"Read\",\"Read\"]}", 400,
		 "allowed_tools", "twice"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"model\":\"--dangerous\"}", 400, "model", "model name"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"gates\":[\"\"]}", 400, "gates", "shell command"},
		{"POST", "/api/towns/t1/personas", "{\"name\":\"p\",\"title\":7}", 400, "title", NULL},
		{"POST", "/api/towns/t1/personas", "{\"name\":", 400, NULL, NULL},
		{"PATCH", "/api/towns/t1/personas/ghost", "{\"title\":\"x\"}", 404, "persona", "no persona"},
		{"PATCH", "/api/towns/t1/personas/backend", "{\"title\":\"x\"}", 409, "name", "built-in"},
		{"DELETE", "/api/towns/t1/personas/backend", NULL, 409, "persona", "built-in"},
		{"DELETE", "/api/towns/t1/personas/ghost", NULL, 404, "persona", NULL},
	};
	struct eng *e = town();
	char before[80], after[80], big[OVERLAY_MAX + 64];
	struct t_res r;

	digest(e, before, sizeof before);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = t_request(e, cases[i].method, cases[i].path, cases[i].body, t_as("sarah"));
		if (r.status != cases[i].status || (cases[i].field && !t_streq(error_field(&r), cases[i].field)) ||
		    (cases[i].says && !error_says(&r, cases[i].says)))
			fprintf(stderr, "case %zu: %d %s\n", i, r.status, error_field(&r) ? error_field(&r) : "-");
		CHECK(r.status == cases[i].status);
		CHECK(!cases[i].field || t_streq(error_field(&r), cases[i].field));
		CHECK(!cases[i].says || error_says(&r, cases[i].says));
		t_res_free(&r);
	}
	/* An overlay past the bound: it would go into every prompt. */
	memset(big, 'a', sizeof big);
	memcpy(big, "{\"name\":\"p\",\"overlay\":\"", 23);
	memcpy(big + OVERLAY_MAX + 24, "\"}", 3);
	r = t_request(e, "POST", "/api/towns/t1/personas", big, t_as("sarah"));
	CHECK(r.status == 400 && t_streq(error_field(&r), "overlay") && error_says(&r, "at most 8000 bytes"));
	t_res_free(&r);
	digest(e, after, sizeof after);
	CHECK(strcmp(before, after) == 0);
	eng_close(e);
	t_cleanup();
}

/* The start effect for agent among fx, or NULL. */
static const cJSON *start_for(const cJSON *fx, const char *agent)
{
	const cJSON *f;
	char want[128];

	snprintf(want, sizeof want, "/agents/%s/start", agent);
	cJSON_ArrayForEach(f, fx)
		if (field(f, "url") && strstr(field(f, "url"), want))
			return f;
	return NULL;
}

static cJSON *tick(struct eng *e)
{
	struct t_res r = t_event(e, ENG_EV_ALARM, "{}", NULL);
	cJSON *fx = cJSON_Duplicate(cJSON_GetObjectItem(r.meta, "effects"), 1);

	t_res_free(&r);
	return fx ? fx : cJSON_CreateArray();
}

/* The effect's result, as the shim would hand it back. */
static void answer(struct eng *e, const cJSON *fx)
{
	char meta[256];
	struct t_res r;

	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":202}", field(fx, "id"));
	r = t_event(e, ENG_EV_EFFECT_RESULT, meta, "{}");
	t_res_free(&r);
}

static const char *bearer_of(const cJSON *fx, char *h, size_t len)
{
	cJSON *b = cJSON_Parse(field(fx, "body"));

	snprintf(h, len, "{\"authorization\":\"Bearer %s\"}", field(b, "token") ? field(b, "token") : "");
	cJSON_Delete(b);
	return h;
}

static int has_event(struct eng *e, const char *bead, const char *kind, const char *new_value)
{
	char path[128];
	struct t_res r;
	const cJSON *ev;
	int found = 0;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/events", bead);
	r = t_request(e, "GET", path, NULL, t_as("vic"));
	cJSON_ArrayForEach(ev, cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "events"))
		found |= t_streq(field(ev, "kind"), kind) && t_streq(field(ev, "new"), new_value);
	t_res_free(&r);
	return found;
}

static void a_bead_slung_in_a_persona_is_worked_in_it(void)
{
	struct eng *e = town();
	struct t_res r;
	char id[48] = "", path[128], h[4096], body[256], mr[48] = "";
	cJSON *fx = NULL, *rfx = NULL, *start = NULL;
	const cJSON *f, *p, *gates;
	const char *prompt;

	r = t_request(e, "POST", "/api/towns/t1/personas",
		      "{\"name\":\"pentester\",\"title\":\"Penetration tester\",\"overlay\":\"Think like an attacker.\","
		      "\"denied_tools\":[\"WebFetch\"],\"gates\":[\"./audit.sh\"],\"model\":\"opus-x\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Harden login\",\"held\":true}", t_as("mia"));
	snprintf(id, sizeof id, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", id);

	/* An unknown persona: refused, the bead stays held and unslung. */
	r = t_request(e, "POST", path, "{\"rig\":\"r\",\"persona\":\"ninja\"}", t_as("mia"));
	CHECK(r.status == 400 && t_streq(error_field(&r), "persona") && error_says(&r, "no persona 'ninja'"));
	t_res_free(&r);
	fx = tick(e);
	CHECK(cJSON_GetArraySize(fx) == 0);
	cJSON_Delete(fx);

	r = t_request(e, "POST", path, "{\"rig\":\"r\",\"persona\":\"pentester\"}", t_as("mia"));
	CHECK(r.status == 200 && t_streq(field(cJSON_GetObjectItem(r.body, "data"), "persona"), "pentester"));
	t_res_free(&r);
	CHECK(has_event(e, id, "bead.updated", "pentester"));
	/* In use: the persona cannot be deleted from under the bead. */
	r = t_request(e, "DELETE", "/api/towns/t1/personas/pentester", NULL, t_as("sarah"));
	CHECK(r.status == 409 && error_says(&r, id));
	t_res_free(&r);

	fx = tick(e);
	f = start_for(fx, "toast");
	CHECK(f != NULL);
	if (!f)
		goto out;
	start = cJSON_Parse(field(f, "body"));
	p = cJSON_GetObjectItem(start, "persona");
	CHECK(t_streq(field(p, "name"), "pentester") && t_streq(field(p, "overlay"), "Think like an attacker."));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "denied_tools"), 0)), "WebFetch"));
	CHECK(!cJSON_GetObjectItem(p, "created_by"));
	/* The persona's model wins over the rig's. */
	CHECK(t_streq(field(start, "model"), "opus-x") && t_streq(field(cJSON_GetObjectItem(start, "runtime"), "model"), "opus-x"));
	prompt = field(start, "prompt");
	CHECK(prompt && strstr(prompt, "Penetration tester") && strstr(prompt, "Think like an attacker.") &&
	      strstr(prompt, "Think like an attacker.") < strstr(prompt, "Harden login"));
	CHECK(has_event(e, id, "bead.cast", "pentester"));
	answer(e, f);
	r = t_request(e, "GET", "/api/towns/t1/agents/toast", NULL, t_as("vic"));
	CHECK(t_streq(field(cJSON_GetObjectItem(r.body, "data"), "persona"), "pentester"));
	t_res_free(&r);
	/* What the agent reads at prime is the same assignment. */
	r = t_request(e, "GET", "/api/towns/t1/agents/toast/prime", NULL, bearer_of(f, h, sizeof h));
	CHECK(r.status == 200 && t_streq(field(t_data(&r, "persona"), "name"), "pentester"));
	t_res_free(&r);

	snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"gt/toast/%s\",\"commit\":\"abc1234\"}", id, id);
	snprintf(path, sizeof path, "/api/towns/t1/agents/toast/done");
	r = t_request(e, "POST", path, body, bearer_of(f, h, sizeof h));
	CHECK(r.status == 200);
	if (field(cJSON_GetObjectItem(r.body, "data"), "merge_request"))
		snprintf(mr, sizeof mr, "%s", field(cJSON_GetObjectItem(r.body, "data"), "merge_request"));
	t_res_free(&r);
	/* Its run is over: the agent wears nothing now. */
	r = t_request(e, "GET", "/api/towns/t1/agents/toast", NULL, t_as("vic"));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "persona")));
	t_res_free(&r);

	/* The refinery runs the persona's gates before the rig's. */
	t_now += 1000;
	rfx = tick(e);
	f = start_for(rfx, "refinery-r");
	CHECK(f != NULL && *mr);
	if (f) {
		cJSON *rs = cJSON_Parse(field(f, "body"));

		gates = cJSON_GetObjectItem(cJSON_GetObjectItem(rs, "rig"), "gates");
		CHECK(cJSON_GetArraySize(gates) == 2);
		CHECK(t_streq(cJSON_GetStringValue(cJSON_GetArrayItem(gates, 0)), "./audit.sh"));
		CHECK(t_streq(cJSON_GetStringValue(cJSON_GetArrayItem(gates, 1)), "make test"));
		/* The refinery wears no persona itself. */
		CHECK(cJSON_IsNull(cJSON_GetObjectItem(rs, "persona")));
		cJSON_Delete(rs);
	}
out:
	cJSON_Delete(start);
	cJSON_Delete(fx);
	cJSON_Delete(rfx);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	the_builtins_are_listed_and_read();
	admins_write_the_towns_own();
	bad_personas_are_refused_and_store_nothing();
	a_bead_slung_in_a_persona_is_worked_in_it();
	return t_done();
}
