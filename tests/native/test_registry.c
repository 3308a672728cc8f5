/*
 * test_registry.c - the registry (docs/registry.md) in the native engine. Versions order as
 * semver.org says; a published file's meaning is checked with the line and reason of each fault
 * (the host's TOML parse is written out here as the JSON it makes); a run's variables are put in or
 * refused. The RegistryDO takes a publish only from the org's object, keeps a name its first
 * publisher's and a version immutable, answers searches and versions, and counts each reported run
 * once; every refusal leaves its storage as it was.
 */
#include "harness.h"
#include "registry/registry.h"

#define OPERATOR "{\"authorization\":\"Bearer operator-secret\"}"

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static void semver_order(void)
{
	/* Ascending, as semver.org's own example lists them. */
	static const char *const asc[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
					  "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"};
	static const char *const bad[] = {"1", "1.0", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0+build", "1.0.0-01", "v1.0.0",
					  "1.0.0-a..b", "", "1.0.-1", "1234567890.0.0"};
	struct semver a, b;

	for (size_t i = 0; i + 1 < sizeof asc / sizeof asc[0]; i++) {
		CHECK(semver_parse(asc[i], &a) && semver_parse(asc[i + 1], &b));
		CHECK(semver_cmp(&a, &b) < 0 && semver_cmp(&b, &a) > 0 && semver_cmp(&a, &a) == 0);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!semver_parse(bad[i], &a));
}

/* The release formula, as source and as the host's parse of it. */
static const char *const SOURCE =
	"formula = \"release\"\n"                 /* 1 */
	"version = \"1.0.0\"\n"                   /* 2 */
	"\n"                                      /* 3 */
	"[vars.version]\n"                        /* 4 */
	"required = true\n"                       /* 5 */
	"\n"                                      /* 6 */
	"[[steps]]\n"                             /* 7 */
	"id = \"bump\"\n"                         /* 8 */
	"title = \"Bump to {{version}}\"\n"       /* 9 */
	"\n"                                      /* 10 */
	"[[steps]]\n"                             /* 11 */
	"id = \"tag\"\n"                          /* 12 */
	"title = \"Tag {{ version }}\"\n"         /* 13 */
	"needs = [\"bump\"]\n";                   /* 14 */

static const char *const VALUE =
	"{\"formula\":\"release\",\"version\":\"1.0.0\",\"vars\":{\"version\":{\"required\":true}},"
	"\"steps\":[{\"id\":\"bump\",\"title\":\"Bump to {{version}}\"},"
	"{\"id\":\"tag\",\"title\":\"Tag {{ version }}\",\"needs\":[\"bump\"]}]}";

/* package_check on value (JSON) with source: NULL spec and the reason and line expected. */
static void refused(const char *value, const char *source, const char *reason, int line)
{
	struct err e = {0};
	cJSON *v = cJSON_Parse(value), *spec = package_check(&e, v, source);
	char want[32];

	snprintf(want, sizeof want, "line %d: ", line);
	CHECK(spec == NULL && e.code == ERR_INVALID && strcmp(e.field, "source") == 0);
	CHECK(strcmp(e.reason, reason) == 0);
	CHECK(line == 0 || strncmp(e.message, want, strlen(want)) == 0);
	if (spec || strcmp(e.reason, reason) != 0 || (line && strncmp(e.message, want, strlen(want)) != 0))
		fprintf(stderr, "  expected %s at line %d, got %s: %s\n", reason, line, e.reason, e.message);
	cJSON_Delete(spec);
	cJSON_Delete(v);
}

/* VALUE and SOURCE with one substring replaced in each. */
static void refused_edit(const char *vfrom, const char *vto, const char *sfrom, const char *sto, const char *reason,
			 int line)
{
	char value[2048], source[2048];
	const char *vp = strstr(VALUE, vfrom), *sp = strstr(SOURCE, sfrom);

	CHECK(vp && sp);
	if (!vp || !sp)
		return;
	snprintf(value, sizeof value, "%.*s%s%s", (int)(vp - VALUE), VALUE, vto, vp + strlen(vfrom));
	snprintf(source, sizeof source, "%.*s%s%s", (int)(sp - SOURCE), SOURCE, sto, sp + strlen(sfrom));
	refused(value, source, reason, line);
}

static void formulas_checked(void)
{
	struct err e = {0};
	cJSON *v = cJSON_Parse(VALUE), *spec = package_check(&e, v, SOURCE), *steps, *vars;

	CHECK(spec && e.code == ERR_NONE);
	CHECK(t_streq(str(spec, "kind"), "formula") && t_streq(str(spec, "type"), "workflow") &&
	      t_streq(str(spec, "version"), "1.0.0"));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(spec, "steps")) == 2);
	/* A whole number is a local formula's version: N.0.0. */
	{
		cJSON *w = cJSON_Parse(VALUE), *s2;

		cJSON_ReplaceItemInObject(w, "version", cJSON_CreateNumber(3));
		s2 = package_check(&e, w, SOURCE);
		CHECK(s2 && t_streq(str(s2, "version"), "3.0.0"));
		cJSON_Delete(s2);
		cJSON_Delete(w);
	}

	refused_edit("\"needs\":[\"bump\"]", "\"needs\":[\"deploy\"]", "needs = [\"bump\"]", "needs = [\"deploy\"]", "unknown_step", 14);
	refused_edit("\"needs\":[\"bump\"]", "\"needs\":[\"tag\"]", "needs = [\"bump\"]", "needs = [\"tag\"]", "unknown_step", 14);
	refused_edit("{\"id\":\"bump\",", "{\"id\":\"bump\",\"needs\":[\"tag\"],", "id = \"bump\"\n", "id = \"bump\"\nneeds = [\"tag\"]\n",
		     "cycle", 9);
	refused_edit("Tag {{ version }}", "Tag {{ name }}", "Tag {{ version }}", "Tag {{ name }}", "unknown_variable", 13);
	refused_edit("\"version\":\"1.0.0\"", "\"version\":\"1.0\"", "version = \"1.0.0\"", "version = \"1.0\"", "form", 2);
	refused_edit("\"formula\":\"release\"", "\"formula\":\"Release!\"", "formula = \"release\"", "formula = \"Release!\"", "form", 1);
	refused_edit("{\"id\":\"tag\",", "{\"id\":\"bump\",", "id = \"tag\"", "id = \"bump\"", "duplicate", 12);
	refused_edit("{\"id\":\"tag\",", "{\"id\":\"tag\",\"owner\":\"x\",", "id = \"tag\"\n", "id = \"tag\"\nowner = \"x\"\n",
		     "unknown_key", 13);
	refused_edit("\"formula\":\"release\",", "\"formula\":\"release\",\"extends\":[\"base\"],", "formula = \"release\"\n",
		     "formula = \"release\"\nextends = [\"base\"]\n", "unsupported", 2);
	refused_edit("\"formula\":\"release\",", "\"formula\":\"release\",\"type\":\"aspect\",", "formula = \"release\"\n",
		     "formula = \"release\"\ntype = \"aspect\"\n", "unsupported", 2);
	refused_edit("\"required\":true", "\"required\":\"yes\"", "required = true", "required = \"yes\"", "type", 5);
	refused_edit("{\"id\":\"bump\",\"title\":\"Bump to {{version}}\"}", "{\"id\":\"bump\"}", "title = \"Bump to {{version}}\"\n", "",
		     "missing", 7);
	refused("{\"formula\":\"x\",\"version\":\"1.0.0\"}", "formula = \"x\"\nversion = \"1.0.0\"\n", "missing", 0);
	refused("{\"formula\":\"x\",\"config\":\"y\",\"version\":\"1.0.0\"}", "", "ambiguous", 0);
	refused("{\"version\":\"1.0.0\"}", "", "missing", 0);
	refused("[1]", "", "type", 0);
	refused("{\"config\":\"frontend\",\"version\":\"1.0.0\",\"persona\":{}}", "config = \"frontend\"\n", "form", 1);
	refused("{\"config\":\"rev\",\"version\":\"1.0.0\",\"persona\":{\"gates\":[\"a\\nb\"]}}",
		"config = \"rev\"\nversion = \"1.0.0\"\n[persona]\ngates = [\"a\\nb\"]\n", "form", 4);
	refused("{\"config\":\"rev\",\"version\":\"1.0.0\",\"runtime\":\"vim\",\"persona\":{}}",
		"config = \"rev\"\nversion = \"1.0.0\"\nruntime = \"vim\"\n[persona]\n", "form", 3);

	/* Local Gas Town's keys: a gate's own keys checked, its type required; an enum holds its default. */
	refused("{\"formula\":\"x\",\"version\":1,\"steps\":[{\"id\":\"a\",\"title\":\"A\",\"gate\":{\"type\":\"timer\",\"when\":\"x\"}}]}",
		"formula = \"x\"\nversion = 1\n[[steps]]\nid = \"a\"\ntitle = \"A\"\n[steps.gate]\ntype = \"timer\"\nwhen = \"x\"\n",
		"unknown_key", 3);
	refused("{\"formula\":\"x\",\"version\":1,\"steps\":[{\"id\":\"a\",\"title\":\"A\",\"gate\":{\"id\":\"ci\"}}]}",
		"formula = \"x\"\nversion = 1\n[[steps]]\nid = \"a\"\ntitle = \"A\"\ngate = { id = \"ci\" }\n", "missing", 6);
	refused("{\"formula\":\"x\",\"version\":1,\"vars\":{\"c\":{\"default\":\"tv\",\"enum\":[\"blog\"]}},"
		"\"steps\":[{\"id\":\"a\",\"title\":\"A {{c}}\"}]}",
		"formula = \"x\"\nversion = 1\n[vars.c]\ndefault = \"tv\"\nenum = [\"blog\"]\n[[steps]]\nid = \"a\"\ntitle = \"A {{c}}\"\n",
		"form", 5);
	refused("{\"formula\":\"x\",\"version\":1,\"steps\":[{\"id\":\"a\",\"title\":\"A\",\"type\":\"chores\"}]}",
		"formula = \"x\"\nversion = 1\n[[steps]]\nid = \"a\"\ntitle = \"A\"\ntype = \"chores\"\n", "form", 6);
	{
		cJSON *w = cJSON_Parse("{\"formula\":\"x\",\"version\":1,\"phase\":\"vapor\",\"vars\":{\"c\":{\"enum\":[\"blog\",\"none\"]}},"
				       "\"steps\":[{\"id\":\"a\",\"title\":\"A {{c}}\",\"acceptance\":\"said on the {{c}}\","
				       "\"gate\":{\"type\":\"human\"}}]}"),
		      *s2 = package_check(&e, w, ""), *given = cJSON_Parse("{\"c\":\"tv\"}"), *ok = cJSON_Parse("{\"c\":\"blog\"}");

		CHECK(s2 && t_streq(str(s2, "phase"), "vapor"));
		CHECK(formula_render(&e, s2, given) == NULL && strstr(e.message, "one of the formula's enum"));
		memset(&e, 0, sizeof e);
		steps = formula_render(&e, s2, ok);
		CHECK(steps && t_streq(str(cJSON_GetArrayItem(steps, 0), "acceptance"), "said on the blog") &&
		      t_streq(str(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "gate"), "type"), "human"));
		cJSON_Delete(steps);
		cJSON_Delete(ok);
		cJSON_Delete(given);
		cJSON_Delete(s2);
		cJSON_Delete(w);
	}

	/* A run: the required variable, spaces inside braces, an unknown one refused. */
	vars = cJSON_Parse("{\"version\":\"2.4.0\"}");
	steps = formula_render(&e, spec, vars);
	CHECK(steps && t_streq(str(cJSON_GetArrayItem(steps, 0), "title"), "Bump to 2.4.0") &&
	      t_streq(str(cJSON_GetArrayItem(steps, 1), "title"), "Tag 2.4.0"));
	cJSON_Delete(steps);
	cJSON_Delete(vars);
	CHECK(formula_render(&e, spec, NULL) == NULL && e.code == ERR_INVALID && strstr(e.message, "'version' is required"));
	memset(&e, 0, sizeof e);
	vars = cJSON_Parse("{\"version\":\"1\",\"other\":\"x\"}");
	CHECK(formula_render(&e, spec, vars) == NULL && e.code == ERR_INVALID && strstr(e.message, "no variable 'other'"));
	cJSON_Delete(vars);
	cJSON_Delete(spec);
	cJSON_Delete(v);
}

/* A publish as the org's object passes it on: the host's parse of the file in a JSON body. */
static struct t_res publish(struct eng *e, const char *org, const char *caller, const char *value, const char *source)
{
	char meta[512], path[128];
	cJSON *b = cJSON_CreateObject();
	char *body;
	struct t_res r;

	cJSON_AddStringToObject(b, "source", source);
	cJSON_AddItemToObject(b, "value", cJSON_Parse(value));
	body = cJSON_PrintUnformatted(b);
	snprintf(path, sizeof path, "/_internal/orgs/%s/publish", org);
	snprintf(meta, sizeof meta, "{\"method\":\"POST\",\"path\":\"%s\",\"headers\":{\"x-gastown-caller\":\"%s\","
		 "\"x-registry-user\":\"ana\"}}", path, caller);
	r = t_event(e, ENG_EV_REQUEST, meta, body);
	cJSON_free(body);
	cJSON_Delete(b);
	return r;
}

static void digest(struct eng *e, char *out, size_t len)
{
	struct t_res r = t_request(e, "GET", "/_internal/debug/storage", NULL, OPERATOR);

	snprintf(out, len, "%s", str(cJSON_GetObjectItem(r.body, "data"), "digest"));
	t_res_free(&r);
}

static void registry_object(void)
{
	char before[80], after[80], value[1024];
	const char *town = "{\"x-gastown-caller\":\"town:t1\"}";
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	e = t_open(ENG_REGISTRY, REGISTRY_ID, 0);
	r = publish(e, "acme", "org:acme", VALUE, SOURCE);
	CHECK(r.status == 201 && strlen(str(cJSON_GetObjectItem(r.body, "data"), "digest")) == 64);
	t_res_free(&r);

	/* Refusals: nothing of them stays. */
	digest(e, before, sizeof before);
	r = publish(e, "acme", "org:acme", VALUE, SOURCE); /* the same version */
	CHECK(r.status == 409 && t_streq(t_error_code(&r), "conflict"));
	t_res_free(&r);
	r = publish(e, "globex", "org:globex", "{\"formula\":\"release\",\"version\":\"9.0.0\",\"steps\":[{\"id\":\"a\",\"title\":\"A\"}]}",
		    "formula = \"release\"");
	CHECK(r.status == 403);
	t_res_free(&r);
	r = publish(e, "acme", "org:globex", VALUE, SOURCE); /* another org's object */
	CHECK(r.status == 403);
	t_res_free(&r);
	r = publish(e, "acme", "town:acme", VALUE, SOURCE);
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_event(e, ENG_EV_REQUEST, "{\"method\":\"POST\",\"path\":\"/_internal/orgs/acme/publish\",\"headers\":"
				       "{\"x-gastown-caller\":\"org:acme\",\"x-registry-user\":\"ana\"}}",
		    "{\"source\":\"formula = \",\"error\":{\"line\":1,\"column\":11,\"message\":\"incomplete key-value\"}}");
	CHECK(r.status == 400 && t_streq(t_error_code(&r), "invalid") &&
	      strncmp(str(cJSON_GetObjectItem(r.body, "error"), "message"), "line 1: the TOML does not parse", 31) == 0);
	t_res_free(&r);
	r = t_event(e, ENG_EV_REQUEST, "{\"method\":\"POST\",\"path\":\"/_internal/orgs/acme/publish\",\"headers\":"
				       "{\"x-gastown-caller\":\"org:acme\",\"x-registry-user\":\"ana\"}}", "not json");
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "POST", "/_internal/outcomes", "{\"run\":\"r1\",\"name\":\"release\",\"version\":\"7.0.0\",\"outcome\":\"landed\"}", town);
	CHECK(r.status == 404);
	t_res_free(&r);
	r = t_request(e, "POST", "/_internal/outcomes", "{\"run\":\"r1\",\"name\":\"release\",\"version\":\"1.0.0\",\"outcome\":\"won\"}", town);
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "POST", "/_internal/outcomes", "{\"run\":\"r1\",\"name\":\"release\",\"version\":\"1.0.0\",\"outcome\":\"landed\"}",
		      "{\"x-gastown-caller\":\"org:acme\"}");
	CHECK(r.status == 403);
	t_res_free(&r);
	r = t_request(e, "GET", "/_internal/packages/release/1.0.0", NULL, "{\"x-gastown-caller\":\"user:ana\"}");
	CHECK(r.status == 403);
	t_res_free(&r);
	digest(e, after, sizeof after);
	CHECK(*before && strcmp(before, after) == 0);

	/* A higher version, a pre-release: latest is the newest release; deprecating it falls back. */
	snprintf(value, sizeof value, "%s", VALUE);
	memcpy(strstr(value, "1.0.0"), "1.1.0", 5);
	r = publish(e, "acme", "org:acme", value, SOURCE);
	CHECK(r.status == 201);
	t_res_free(&r);
	memcpy(strstr(value, "1.1.0"), "2.0.0", 5);
	{
		char pre[1100];
		const char *at = strstr(value, "2.0.0");

		snprintf(pre, sizeof pre, "%.*s2.0.0-rc.1%s", (int)(at - value), value, at + 5);
		r = publish(e, "acme", "org:acme", pre, SOURCE);
		CHECK(r.status == 201);
		t_res_free(&r);
	}
	r = t_request(e, "GET", "/_internal/packages/release/latest", NULL, town);
	CHECK(r.status == 200 && t_streq(str(cJSON_GetObjectItem(r.body, "data"), "version"), "1.1.0") &&
	      t_streq(str(cJSON_GetObjectItem(r.body, "data"), "source"), SOURCE));
	t_res_free(&r);
	r = t_request(e, "POST", "/_internal/orgs/acme/packages/release/1.1.0/deprecation", "{\"reason\":\"broken tag\"}",
		      "{\"x-gastown-caller\":\"org:acme\"}");
	CHECK(r.status == 200 && t_streq(str(cJSON_GetObjectItem(r.body, "data"), "deprecated"), "broken tag"));
	t_res_free(&r);
	r = t_request(e, "GET", "/_internal/packages/release/latest", NULL, town);
	CHECK(r.status == 200 && t_streq(str(cJSON_GetObjectItem(r.body, "data"), "version"), "1.0.0"));
	t_res_free(&r);
	r = t_request(e, "POST", "/_internal/orgs/acme/packages/release/9.9.9/deprecation", "{\"reason\":\"x\"}",
		      "{\"x-gastown-caller\":\"org:acme\"}");
	CHECK(r.status == 404);
	t_res_free(&r);

	/* A run counted once, however often its town tells it. */
	for (int i = 0; i < 2; i++) {
		r = t_request(e, "POST", "/_internal/outcomes", "{\"run\":\"r1\",\"name\":\"release\",\"version\":\"1.0.0\",\"outcome\":\"landed\"}", town);
		CHECK(r.status == 200 && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "data"), "taken")) == (i == 0));
		t_res_free(&r);
	}
	r = t_request(e, "GET", "/api/registry?q=RELEASE", NULL, t_as("eve"));
	CHECK(r.status == 200 && cJSON_GetArraySize(t_data(&r, "items")) == 1);
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(t_data(&r, "items"), 0), "outcomes"), "runs")->valuedouble == 1);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/registry?kind=config", NULL, t_as("eve"));
	CHECK(r.status == 200 && cJSON_GetArraySize(t_data(&r, "items")) == 0);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/registry?kind=plugin", NULL, t_as("eve"));
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/registry/release", NULL, t_as("eve"));
	CHECK(r.status == 200 && cJSON_GetArraySize(t_data(&r, "versions")) == 3);
	CHECK(t_streq(str(cJSON_GetArrayItem(t_data(&r, "versions"), 0), "version"), "2.0.0-rc.1"));
	t_res_free(&r);
	r = t_request(e, "GET", "/api/registry/release", NULL, NULL);
	CHECK(r.status == 401);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	RUN(semver_order);
	RUN(formulas_checked);
	RUN(registry_object);
	return t_done();
}
