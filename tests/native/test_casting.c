/*
 * test_casting.c - personas and attempts. Personas: the built-in ones, a town's own (create,
 * change, delete, who may), every refusal leaving storage as it was, and a bead slung in a persona:
 * the start request carries it, its overlay leads the prompt, its model wins, its gates go first at
 * the merge, and the agent, the bead's history and the answers say which persona was worn.
 * Attempts: a bead slung three ways starts three variants; the first merge wins, the others are
 * stopped, their merge requests closed and their branches pruned; when every attempt fails, the
 * bead fails with their reasons; bad ways and variants store nothing.
 */
#include <math.h>

#include "harness.h"
#include "run/run.h"
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

/* ---- attempts -------------------------------------------------------------------------------------- */

static const cJSON *row_of(const cJSON *rows, const char *key)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, rows)
		if (t_streq(field(r, "key"), key))
			return r;
	return NULL;
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}


static cJSON *sling_ways(struct eng *e, const char *bead, const char *body, int want)
{
	char path[128];
	struct t_res r;
	cJSON *data;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", bead);
	r = t_request(e, "POST", path, body, t_as("mia"));
	if (r.status != want)
		fprintf(stderr, "sling %s: %d %s %s\n", body, r.status, error_field(&r) ? error_field(&r) : "", field(cJSON_GetObjectItem(r.body, "error"), "message"));
	CHECK(r.status == want);
	data = cJSON_DetachItemFromObject(r.body, "data");
	t_res_free(&r);
	return data;
}

static const cJSON *start_of_bead(const cJSON *fx, const char *bead, cJSON **body)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, fx) {
		cJSON *b;

		if (!field(f, "url") || !strstr(field(f, "url"), "/start"))
			continue;
		b = cJSON_Parse(field(f, "body"));
		if (t_streq(field(cJSON_GetObjectItem(b, "bead"), "id"), bead)) {
			*body = b;
			return f;
		}
		cJSON_Delete(b);
	}
	*body = NULL;
	return NULL;
}

static const cJSON *effect_to(const cJSON *fx, const char *url_part)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, fx)
		if (field(f, "url") && strstr(field(f, "url"), url_part))
			return f;
	return NULL;
}

/* The agent on start f reports done on its bead and branch; the merge request's id into mr. */
static void done(struct eng *e, const cJSON *f, const cJSON *start, char *mr, size_t len)
{
	char body[512], path[128], h[4096];
	const char *agent = field(cJSON_GetObjectItem(start, "agent"), "id");
	struct t_res r;

	snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"%s\",\"commit\":\"abc1234\"}",
		 field(cJSON_GetObjectItem(start, "bead"), "id"), field(start, "branch"));
	snprintf(path, sizeof path, "/api/towns/t1/agents/%s/done", agent);
	r = t_request(e, "POST", path, body, bearer_of(f, h, sizeof h));
	CHECK(r.status == 200);
	snprintf(mr, len, "%s", field(cJSON_GetObjectItem(r.body, "data"), "merge_request") ?
		 field(cJSON_GetObjectItem(r.body, "data"), "merge_request") : "");
	t_res_free(&r);
}

static const char *state_of(const cJSON *attempts, int n)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, attempts)
		if ((int)cJSON_GetNumberValue(cJSON_GetObjectItem(a, "n")) == n)
			return field(a, "state");
	return NULL;
}

static cJSON *attempts_of(struct eng *e, const char *bead)
{
	char path[128];
	struct t_res r;
	cJSON *data;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/attempts", bead);
	r = t_request(e, "GET", path, NULL, t_as("vic"));
	CHECK(r.status == 200);
	data = cJSON_DetachItemFromObject(r.body, "data");
	t_res_free(&r);
	return data;
}

static cJSON *bead_of(struct eng *e, const char *id)
{
	char path[128];
	struct t_res r;
	cJSON *data;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", id);
	r = t_request(e, "GET", path, NULL, t_as("vic"));
	data = cJSON_DetachItemFromObject(r.body, "data");
	t_res_free(&r);
	return data;
}

static void a_bead_slung_three_ways_lands_once(void)
{
	struct eng *e = town();
	struct t_res r;
	char id[48], kids[3][48], mr1[48] = "", mr2[48] = "", verdict[256], h[4096], convoy[48] = "";
	cJSON *data, *fx, *rfx, *starts[3] = {NULL, NULL, NULL}, *list, *b;
	const cJSON *f[3], *a, *rf, *prune;
	int i = 0;

	r = t_request(e, "PATCH", "/api/towns/t1/rigs/r", "{\"max_polecats\":3}", t_as("sarah"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/personas", "{\"name\":\"fast\",\"overlay\":\"Be quick.\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Speed up search\",\"body\":\"Make it fast.\",\"held\":true}",
		      t_as("mia"));
	snprintf(id, sizeof id, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);

	/* The bead is in a convoy with a budget: its attempts' spend counts for it. */
	{
		char body[256], path[160];
		const char *cid;

		snprintf(body, sizeof body, "{\"title\":\"Search\",\"beads\":[\"%s\"]}", id);
		r = t_request(e, "POST", "/api/towns/t1/convoys", body, t_as("mia"));
		CHECK(r.status == 201);
		cid = field(cJSON_GetObjectItem(r.body, "data"), "id");
		snprintf(convoy, sizeof convoy, "%s", cid ? cid : "");
		t_res_free(&r);
		snprintf(path, sizeof path, "/api/towns/t1/budgets/convoy/%s", convoy);
		r = t_request(e, "PUT", path, "{\"limit_microusd\":1000000}", t_as("sarah"));
		CHECK(r.status == 200);
		t_res_free(&r);
	}
	data = sling_ways(e, id, "{\"rig\":\"r\",\"ways\":3,\"variants\":[{\"model\":\"m1\"},{\"persona\":\"fast\"},"
			  "{\"runtime\":\"claude\",\"model\":\"m3\"}]}", 200);
	CHECK(t_streq(field(data, "status"), "in_progress") && cJSON_IsNull(cJSON_GetObjectItem(data, "assignee")));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(data, "ways")) == 3);
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(data, "ways")) {
		CHECK(t_streq(field(a, "state"), "running"));
		snprintf(kids[i++], sizeof kids[0], "%s", field(a, "bead"));
	}
	cJSON_Delete(data);
	b = bead_of(e, kids[1]);
	CHECK(t_streq(field(b, "parent"), id) && t_streq(field(b, "persona"), "fast") && t_streq(field(b, "requested_by"), "mia"));
	CHECK(field(b, "title") && strstr(field(b, "title"), "attempt 2 of 3: fast") && t_streq(field(b, "body"), "Make it fast."));
	cJSON_Delete(b);

	/* One tick starts all three, each in its variant. */
	fx = tick(e);
	for (i = 0; i < 3; i++) {
		f[i] = start_of_bead(fx, kids[i], &starts[i]);
		CHECK(f[i] != NULL);
	}
	if (!f[0] || !f[1] || !f[2])
		goto out;
	CHECK(t_streq(field(starts[0], "model"), "m1") && t_streq(field(cJSON_GetObjectItem(starts[0], "runtime"), "kind"), "scripted"));
	if (!t_streq(field(starts[1], "model"), "rig-model")) fprintf(stderr, "model %s runtime %s\n", field(starts[1], "model"), cJSON_PrintUnformatted(cJSON_GetObjectItem(starts[1], "runtime")));
	CHECK(t_streq(field(starts[1], "model"), "rig-model") && t_streq(field(cJSON_GetObjectItem(starts[1], "persona"), "name"), "fast"));
	CHECK(t_streq(field(cJSON_GetObjectItem(starts[2], "runtime"), "kind"), "claude") && t_streq(field(starts[2], "model"), "m3"));
	CHECK(strcmp(field(starts[0], "branch"), field(starts[1], "branch")) != 0);
	for (i = 0; i < 3; i++)
		answer(e, f[i]);
	/* A model call of the first attempt: the slinger's, and its bead's convoy's. */
	{
		char rec[512], path[128];
		const cJSON *bud;
		int64_t spend = -1;

		snprintf(rec, sizeof rec, "{\"records\":[{\"id\":\"u1\",\"bead\":\"%s\",\"model\":\"m1\",\"input_tokens\":1,"
			 "\"output_tokens\":1,\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":5000}]}", kids[0]);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/usage", field(cJSON_GetObjectItem(starts[0], "agent"), "id"));
		r = t_request(e, "POST", path, rec, bearer_of(f[0], h, sizeof h));
		CHECK(r.status == 200);
		t_res_free(&r);
		r = t_request(e, "GET", "/api/towns/t1/budgets", NULL, t_as("sarah"));
		cJSON_ArrayForEach(bud, cJSON_GetObjectItem(r.body, "data"))
			if (t_streq(field(bud, "key"), convoy))
				spend = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(bud, "spend_microusd"));
		CHECK(spend == 5000);
		t_res_free(&r);
		r = t_request(e, "GET", "/api/towns/t1/costs?by=user&period=all", NULL, t_as("sarah"));
		CHECK(t_streq(field(cJSON_GetArrayItem(cJSON_GetObjectItem(t_data(&r, "rows") ? cJSON_GetObjectItem(r.body, "data") : NULL, "rows"), 0), "key"), "mia"));
		t_res_free(&r);
	}

	/* The persona's attempt is done first, the model's second; the third still works. */
	done(e, f[1], starts[1], mr2, sizeof mr2);
	done(e, f[0], starts[0], mr1, sizeof mr1);
	CHECK(*mr1 && *mr2);
	t_now += 1000;
	rfx = tick(e);
	rf = start_for(rfx, "refinery-r");
	CHECK(rf != NULL);
	if (rf) {
		cJSON *rs = cJSON_Parse(field(rf, "body"));

		CHECK(t_streq(field(cJSON_GetObjectItem(rs, "review"), "bead"), kids[1]));
		cJSON_Delete(rs);
		answer(e, rf);
		snprintf(verdict, sizeof verdict, "{\"bead\":\"%s\",\"outcome\":\"merged\",\"commit\":\"def4567\"}", mr2);
		r = t_request(e, "POST", "/api/towns/t1/agents/refinery-r/done", verdict, bearer_of(rf, h, sizeof h));
		CHECK(r.status == 200);
		/* The others are stopped (the third's agent) and their branches pruned, in this same call. */
		{
			const cJSON *fxs = cJSON_GetObjectItem(r.meta, "effects");
			char stop_url[128];
			cJSON *pb;

			snprintf(stop_url, sizeof stop_url, "/agents/%s/stop", field(cJSON_GetObjectItem(starts[2], "agent"), "id"));
			CHECK(effect_to(fxs, stop_url) != NULL);
			prune = effect_to(fxs, "/rigs/r/prune");
			CHECK(prune != NULL);
			pb = prune ? cJSON_Parse(field(prune, "body")) : NULL;
			CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(pb, "branches")) == 2);
			CHECK(t_streq(field(cJSON_GetObjectItem(pb, "rig"), "git_url"), "https://example.com/r.git"));
			cJSON_Delete(pb);
		}
		t_res_free(&r);
	}
	b = bead_of(e, id);
	CHECK(t_streq(field(b, "status"), "closed") && field(b, "close_reason") && strstr(field(b, "close_reason"), kids[1]));
	cJSON_Delete(b);
	list = attempts_of(e, id);
	CHECK(t_streq(state_of(list, 1), "superseded") && t_streq(state_of(list, 2), "merged") &&
	      t_streq(state_of(list, 3), "superseded"));
	cJSON_Delete(list);
	/* Superseded is closed, not failed; the loser's merge request is closed too. */
	b = bead_of(e, kids[0]);
	CHECK(t_streq(field(b, "status"), "closed") && strstr(field(b, "close_reason"), "superseded by"));
	cJSON_Delete(b);
	b = bead_of(e, mr1);
	CHECK(t_streq(field(b, "status"), "closed"));
	cJSON_Delete(b);
	b = bead_of(e, kids[2]);
	CHECK(t_streq(field(b, "status"), "closed"));
	cJSON_Delete(b);
	/* What the town learned: the persona's attempt a first-pass merge, the others superseded
	 * (neither pass nor failure); the winner's agent has it on its record. */
	r = t_request(e, "GET", "/api/towns/t1/stats?by=persona", NULL, t_as("vic"));
	{
		const cJSON *row = row_of(t_data(&r, "rows"), "fast");

		CHECK(r.status == 200 && row && num(row, "n") == 1 && num(row, "first_pass") == 1 && num(row, "merged") == 1);
		CHECK(row && num(row, "first_pass_rate") == 1 && num(row, "wilson_low") == 0.2065);
	}
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/stats?by=model", NULL, t_as("vic"));
	{
		const cJSON *row = row_of(t_data(&r, "rows"), "m1");

		CHECK(row && num(row, "n") == 0 && num(row, "superseded") == 1 && cJSON_IsNull(cJSON_GetObjectItem(row, "first_pass_rate")));
	}
	t_res_free(&r);
	{
		char path[128];

		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/record", field(cJSON_GetObjectItem(starts[1], "agent"), "id"));
		r = t_request(e, "GET", path, NULL, t_as("vic"));
		CHECK(r.status == 200 && num(t_data(&r, "totals"), "first_pass") == 1);
		CHECK(t_streq(field(cJSON_GetArrayItem(t_data(&r, "by_persona"), 0), "key"), "fast"));
		/* Each grouping its own (they were once the persona's, under every name). */
		CHECK(t_streq(field(cJSON_GetArrayItem(t_data(&r, "by_model"), 0), "key"), "rig-model"));
		CHECK(t_streq(field(cJSON_GetArrayItem(t_data(&r, "by_kind"), 0), "key"), "task"));
		CHECK(t_streq(field(cJSON_GetArrayItem(t_data(&r, "recent"), 0), "result"), "merged"));
		t_res_free(&r);
		r = t_request(e, "GET", "/api/towns/t1/agents/nobody/record", NULL, t_as("vic"));
		CHECK(r.status == 404);
		t_res_free(&r);
	}
	/* The third agent, stopped, reports its end late: nothing changes. */
	{
		char path[128], body[128];

		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/completed", field(cJSON_GetObjectItem(starts[2], "agent"), "id"));
		snprintf(body, sizeof body, "{\"exit_code\":143,\"bead\":\"%s\"}", kids[2]);
		r = t_request(e, "POST", path, body, bearer_of(f[2], h, sizeof h));
		CHECK(r.status == 200);
		t_res_free(&r);
		b = bead_of(e, kids[2]);
		CHECK(t_streq(field(b, "status"), "closed"));
		cJSON_Delete(b);
	}
	cJSON_Delete(rfx);
out:
	for (i = 0; i < 3; i++)
		cJSON_Delete(starts[i]);
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

static void when_every_attempt_fails_the_bead_fails_with_their_reasons(void)
{
	struct eng *e = town();
	struct t_res r;
	char id[48], h[4096], path[128], body[128];
	cJSON *data, *fx, *b, *start;
	const cJSON *a, *f;

	r = t_request(e, "PATCH", "/api/towns/t1/rigs/r", "{\"settings\":{\"max_attempts\":1}}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Hard\",\"held\":true}", t_as("mia"));
	snprintf(id, sizeof id, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	data = sling_ways(e, id, "{\"rig\":\"r\",\"ways\":2}", 200);
	fx = tick(e);
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(data, "ways")) {
		f = start_of_bead(fx, field(a, "bead"), &start);
		CHECK(f != NULL);
		if (!f)
			continue;
		answer(e, f);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/completed", field(cJSON_GetObjectItem(start, "agent"), "id"));
		snprintf(body, sizeof body, "{\"exit_code\":3,\"bead\":\"%s\",\"reason\":\"tests red\"}", field(a, "bead"));
		r = t_request(e, "POST", path, body, bearer_of(f, h, sizeof h));
		CHECK(r.status == 200);
		t_res_free(&r);
		cJSON_Delete(start);
	}
	b = bead_of(e, id);
	CHECK(t_streq(field(b, "status"), "failed"));
	CHECK(field(b, "close_reason") && strstr(field(b, "close_reason"), "every attempt failed") &&
	      strstr(field(b, "close_reason"), "tests red"));
	cJSON_Delete(b);
	/* Slung again, it gets new attempts, numbered on. */
	cJSON_Delete(data);
	data = sling_ways(e, id, "{\"rig\":\"r\",\"ways\":2}", 200);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(data, "ways"), 2), "n")) == 3);
	cJSON_Delete(data);
	cJSON_Delete(fx);
	eng_close(e);
	t_cleanup();
}

/* Closing the bead by hand while its attempts run supersedes them all (not failed). */
static void a_bead_closed_by_hand_supersedes_its_attempts(void)
{
	struct eng *e = town();
	struct t_res r;
	char id[48], path[128];
	cJSON *data, *list;

	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Never mind\",\"held\":true}", t_as("mia"));
	snprintf(id, sizeof id, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	data = sling_ways(e, id, "{\"rig\":\"r\",\"ways\":2}", 200);
	cJSON_Delete(data);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/close", id);
	r = t_request(e, "POST", path, "{\"reason\":\"not needed\"}", t_as("mia"));
	CHECK(r.status == 200);
	t_res_free(&r);
	list = attempts_of(e, id);
	CHECK(t_streq(state_of(list, 1), "superseded") && t_streq(state_of(list, 2), "superseded"));
	CHECK(field(cJSON_GetArrayItem(list, 0), "reason") && strstr(field(cJSON_GetArrayItem(list, 0), "reason"), "was closed"));
	cJSON_Delete(list);
	eng_close(e);
	t_cleanup();
}

static void bad_ways_and_variants_store_nothing(void)
{
	static const struct {
		const char *body;
		int status;
		const char *field, *says;
	} cases[] = {
		{"{\"rig\":\"r\",\"ways\":9}", 400, "ways", "1 to 8"},
		{"{\"rig\":\"r\",\"ways\":5}", 400, "ways", "at most 4 ways"},
		{"{\"rig\":\"r\",\"ways\":\"3\"}", 400, "ways", NULL},
		{"{\"rig\":\"r\",\"ways\":2,\"variants\":[{},{},{}]}", 400, "variants", "3 variants for 2 ways"},
		{"{\"rig\":\"r\",\"ways\":2,\"variants\":[{\"persona\":\"ghost\"}]}", 400, "variants", "no persona 'ghost'"},
		{"{\"rig\":\"r\",\"ways\":2,\"variants\":[{\"runtime\":\"gpt\"}]}", 400, "variants", "no runtime"},
		{"{\"rig\":\"r\",\"ways\":2,\"variants\":[{\"model\":\"-x\"}]}", 400, "variants", "not a model name"},
		{"{\"rig\":\"r\",\"ways\":2,\"variants\":[7]}", 400, "variants[0]", NULL},
		{"{\"rig\":\"r\",\"variants\":[{\"model\":\"m\"}]}", 400, "variants", "2 or more ways"},
	};
	struct eng *e = town();
	struct t_res r;
	char id[48], before[80], after[80], path[128];

	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Untouched\",\"held\":true}", t_as("mia"));
	snprintf(id, sizeof id, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", id);
	digest(e, before, sizeof before);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = t_request(e, "POST", path, cases[i].body, t_as("mia"));
		if (r.status != cases[i].status || !t_streq(error_field(&r), cases[i].field) ||
		    (cases[i].says && !error_says(&r, cases[i].says)))
			fprintf(stderr, "case %zu: %d %s\n", i, r.status, error_field(&r) ? error_field(&r) : "-");
		CHECK(r.status == cases[i].status && t_streq(error_field(&r), cases[i].field));
		CHECK(!cases[i].says || error_says(&r, cases[i].says));
		t_res_free(&r);
	}
	/* A convoy is slung one way. */
	r = t_request(e, "POST", "/api/towns/t1/convoys/c-none/sling", "{\"ways\":2}", t_as("mia"));
	CHECK(r.status == 400 && t_streq(error_field(&r), "ways"));
	t_res_free(&r);
	digest(e, after, sizeof after);
	CHECK(strcmp(before, after) == 0);
	eng_close(e);
	t_cleanup();
}

/* ---- convoys: series or fan-out, changed while open ------------------------------------------- */

static int ready_count(struct eng *e)
{
	struct t_res r = t_request(e, "GET", "/api/towns/t1/beads?ready=true", NULL, t_as("vic"));
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(t_data(&r, "beads") ? cJSON_GetObjectItem(r.body, "data") : NULL, "beads"));

	t_res_free(&r);
	return n;
}

static void a_convoys_mode_is_changed_while_it_is_open(void)
{
	struct eng *e = town();
	struct t_res r;
	char ids[3][48], body[256], path[128], convoy[48], before[80], after[80];

	for (int i = 0; i < 3; i++) {
		r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"step\",\"held\":true}", t_as("mia"));
		snprintf(ids[i], sizeof ids[i], "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
		t_res_free(&r);
	}
	snprintf(body, sizeof body, "{\"title\":\"Steps\",\"mode\":\"series\",\"beads\":[\"%s\",\"%s\",\"%s\"]}", ids[0], ids[1], ids[2]);
	r = t_request(e, "POST", "/api/towns/t1/convoys", body, t_as("mia"));
	snprintf(convoy, sizeof convoy, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	snprintf(path, sizeof path, "/api/towns/t1/convoys/%s", convoy);
	/* Held beads are not ready: lift the holds by hand to see only the links. */
	for (int i = 0; i < 3; i++) {
		char p2[128];

		snprintf(p2, sizeof p2, "/api/towns/t1/beads/%s", ids[i]);
		r = t_request(e, "PATCH", p2, "{\"held\":false}", t_as("mia"));
		t_res_free(&r);
	}
	CHECK(ready_count(e) == 1);
	r = t_request(e, "PATCH", path, "{\"mode\":\"fan-out\"}", t_as("mia"));
	CHECK(r.status == 200 && t_streq(field(cJSON_GetObjectItem(r.body, "data"), "mode"), "fan-out"));
	t_res_free(&r);
	CHECK(ready_count(e) == 3);
	r = t_request(e, "PATCH", path, "{\"mode\":\"series\"}", t_as("mia"));
	CHECK(r.status == 200 && t_streq(field(cJSON_GetObjectItem(r.body, "data"), "mode"), "series"));
	t_res_free(&r);
	CHECK(ready_count(e) == 1);

	digest(e, before, sizeof before);
	r = t_request(e, "PATCH", path, "{\"mode\":\"parallel\"}", t_as("mia"));
	CHECK(r.status == 400 && t_streq(error_field(&r), "mode") && error_says(&r, "series"));
	t_res_free(&r);
	r = t_request(e, "PATCH", path, "{\"mode\":\"fan-out\"}", t_as("vic"));
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "PATCH", "/api/towns/t1/convoys/cv-none", "{\"mode\":\"fan-out\"}", t_as("mia"));
	CHECK(r.status == 404);
	t_res_free(&r);
	/* A series link that would close a loop is refused, naming the beads; nothing changes. */
	{
		char p2[128], dep[128];

		snprintf(p2, sizeof p2, "/api/towns/t1/convoys/%s", convoy);
		r = t_request(e, "PATCH", p2, "{\"mode\":\"fan-out\"}", t_as("mia"));
		t_res_free(&r);
		snprintf(p2, sizeof p2, "/api/towns/t1/beads/%s/deps", ids[0]);
		snprintf(dep, sizeof dep, "{\"id\":\"%s\",\"kind\":\"blocks\"}", ids[2]);
		r = t_request(e, "POST", p2, dep, t_as("mia"));
		CHECK(r.status == 200 || r.status == 201);
		t_res_free(&r);
		digest(e, before, sizeof before);
		r = t_request(e, "PATCH", path, "{\"mode\":\"series\"}", t_as("mia"));
		CHECK(r.status == 409 && t_streq(error_field(&r), "mode") && error_says(&r, "cycle"));
		t_res_free(&r);
	}
	digest(e, after, sizeof after);
	CHECK(strcmp(before, after) == 0);
	eng_close(e);
	t_cleanup();
}

/* ---- outcomes and stats ------------------------------------------------------------------------ */

static int near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

static void wilson_is_the_score_interval(void)
{
	double lo, hi;

	/* Hand-computed: p = k/n, z = 1.96, (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n). */
	outcome_wilson(82, 100, &lo, &hi);
	CHECK(near(lo, 0.7333246397578691) || (lo > 0.73332463 && lo < 0.73332465));
	CHECK(hi > 0.88299868 && hi < 0.88299869);
	outcome_wilson(1, 1, &lo, &hi);
	CHECK(lo > 0.20654329 && lo < 0.2065433 && hi == 1);
	outcome_wilson(0, 10, &lo, &hi);
	CHECK(lo == 0 && hi > 0.27754016 && hi < 0.27754017);
	outcome_wilson(0, 0, &lo, &hi);
	CHECK(lo == 0 && hi == 1);
}

/* The seed's draws, again here: what the stats must add up to, computed without the engine. */
struct expect {
	int64_t n, first_pass, merged, cost;
};

static void expected_by_model(int64_t count, uint32_t seed, struct expect out[4])
{
	static const int pass[] = {82, 94, 75, 60};
	static const int64_t cost[] = {400000, 2100000, 500000, 100000};
	uint32_t x = seed;

	memset(out, 0, 4 * sizeof *out);
	for (int64_t i = 0; i < count; i++) {
		int m, roll;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		m = (int)(x % 4);
		roll = (int)((x >> 8) % 100);
		out[m].n++;
		out[m].first_pass += roll < pass[m];
		out[m].merged += roll < pass[m] + 10;
		out[m].cost += cost[m];
	}
}

static void stats_add_up_to_their_outcomes_and_recommend_by_cost_per_merge(void)
{
	static const char *const models[] = {"sonnet", "opus", "gpt-4o", "haiku"};
	struct expect want[4];
	struct eng *e;
	struct t_res r;
	const cJSON *rows, *row, *v;
	int64_t total_n = 0;
	char id[48];
	double last = 0;
	int ok_order = 1, i = 0;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 1);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/_test/outcomes-seed", "{\"count\":3000,\"key\":\"7\"}",
		      "{\"authorization\":\"Bearer operator-secret\"}");
	CHECK(r.status == 200);
	t_res_free(&r);
	expected_by_model(3000, 7, want);

	r = t_request(e, "GET", "/api/towns/t1/stats?by=model", NULL, t_as("sarah"));
	CHECK(r.status == 200);
	rows = t_data(&r, "rows");
	for (i = 0; i < 4; i++) {
		double lo, hi;

		row = row_of(rows, models[i]);
		CHECK(row != NULL);
		CHECK(num(row, "n") == want[i].n && num(row, "first_pass") == want[i].first_pass);
		CHECK(num(row, "merged") == want[i].merged && num(row, "cost_microusd") == want[i].cost);
		CHECK(num(row, "cost_per_merged_microusd") == want[i].cost / want[i].merged);
		outcome_wilson(want[i].first_pass, want[i].n, &lo, &hi);
		CHECK(fabs(num(row, "wilson_low") - lo) < 0.00006 && fabs(num(row, "wilson_high") - hi) < 0.00006);
		CHECK(num(row, "wilson_low") <= num(row, "first_pass_rate") && num(row, "first_pass_rate") <= num(row, "wilson_high"));
		total_n += want[i].n;
	}
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/stats?by=language&kind=bug", NULL, t_as("sarah"));
	CHECK(r.status == 200 && cJSON_GetArraySize(t_data(&r, "rows")) == 3);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/stats?by=colour", NULL, t_as("sarah"));
	CHECK(r.status == 400 && t_streq(error_field(&r), "by"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/stats?by=model&kind=saga", NULL, t_as("sarah"));
	CHECK(r.status == 400 && t_streq(error_field(&r), "kind"));
	t_res_free(&r);
	CHECK(total_n == 3000);

	/* A task on a python rig: every variant has its sample; the cheapest per merged bead first
	 * (haiku at $0.10 / 60%), opus last ($2.10 / 94%). */
	r = t_request(e, "POST", "/api/towns/t1/rigs", "{\"id\":\"py\",\"git_url\":\"https://example.com/py.git\"}",
		      t_as("sarah"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1/beads", "{\"title\":\"Parse it\",\"rig\":\"py\",\"held\":true}", t_as("sarah"));
	snprintf(id, sizeof id, "%s", field(cJSON_GetObjectItem(r.body, "data"), "id"));
	t_res_free(&r);
	{
		char path[128];

		snprintf(path, sizeof path, "/api/towns/t1/beads/%s/recommend", id);
		r = t_request(e, "GET", path, NULL, t_as("sarah"));
	}
	CHECK(r.status == 200 && t_streq(field(cJSON_GetObjectItem(r.body, "data"), "kind"), "task"));
	/* The rig's language was never measured: the kind alone. */
	CHECK(t_streq(field(cJSON_GetObjectItem(r.body, "data"), "scope"), "kind"));
	i = 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(t_data(&r, "variants") ? cJSON_GetObjectItem(r.body, "data") : NULL, "variants")) {
		double x = num(v, "expected_cost_per_merged_microusd");

		ok_order &= x >= last && num(v, "n") >= 5;
		last = x;
		if (i++ == 0)
			CHECK(field(v, "key") && strncmp(field(v, "key"), "haiku|", 6) == 0 && strstr(field(v, "why"), "/merged"));
	}
	CHECK(ok_order && i == 12);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	the_builtins_are_listed_and_read();
	admins_write_the_towns_own();
	bad_personas_are_refused_and_store_nothing();
	a_bead_slung_in_a_persona_is_worked_in_it();
	a_bead_slung_three_ways_lands_once();
	when_every_attempt_fails_the_bead_fails_with_their_reasons();
	a_bead_closed_by_hand_supersedes_its_attempts();
	bad_ways_and_variants_store_nothing();
	a_convoys_mode_is_changed_while_it_is_open();
	wilson_is_the_score_interval();
	stats_add_up_to_their_outcomes_and_recommend_by_cost_per_merge();
	return t_done();
}
