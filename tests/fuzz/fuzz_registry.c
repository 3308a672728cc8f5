/*
 * fuzz_registry.c - the registry (src/registry/): a published file's meaning checked from any host
 * parse and any source (package_check finds lines in text it was never promised is the file), a
 * run's variables put into a checked formula, and the RegistryDO's routes under any body: a publish
 * as the org's object passes it on, a town's outcome, a deprecation, a search. The world holds one
 * formula with two versions, so publishes meet a taken name and an existing version.
 *
 * Input: line 1 the choices: what (0 the meaning and a run, 1 a publish, 2 an outcome, 3 a
 * deprecation, 4 a search); line 2 the source (0), the version (3) or the query (4); the rest is
 * the body (0: the value as JSON, then after a line "--" the run's variables).
 */
#include "fuzz.h"
#include "registry/registry.h"

static const char formula[] =
	"{\"source\":\"formula = \\\"release\\\"\\n[[steps]]\\nid = \\\"a\\\"\\n\",\"value\":{\"formula\":\"release\","
	"\"version\":\"%s\",\"vars\":{\"v\":{\"required\":true}},\"steps\":[{\"id\":\"a\",\"title\":\"A {{v}}\"},"
	"{\"id\":\"b\",\"title\":\"B\",\"needs\":[\"a\"]}]}}";
static const char *const from_org = "{\"x-gastown-caller\":\"org:acme\",\"x-registry-user\":\"ana\"}";

static void publish(const char *body, size_t len)
{
	static const char meta[] = "{\"method\":\"POST\",\"path\":\"/_internal/orgs/acme/publish\",\"toml\":true,"
				   "\"headers\":{\"x-gastown-caller\":\"org:acme\",\"x-registry-user\":\"ana\"}}";
	struct eng_output out;

	fz_event(ENG_EV_REQUEST, meta, sizeof meta - 1, body, len, &out);
}

static void build(void)
{
	char body[1024];

	snprintf(body, sizeof body, formula, "1.0.0");
	publish(body, strlen(body));
	snprintf(body, sizeof body, formula, "1.1.0-rc.1");
	publish(body, strlen(body));
}

/* The meaning of any value against any source, and a run of it when it is a formula. */
static void meaning(const char *source, const uint8_t *p, size_t n)
{
	const uint8_t *sep = NULL;
	struct err e = {0};
	cJSON *value, *vars, *spec, *steps;

	for (size_t i = 0; i + 3 <= n && !sep; i++)
		if (!memcmp(p + i, "\n--", 3))
			sep = p + i;
	value = cJSON_ParseWithLength((const char *)p, sep ? (size_t)(sep - p) : n);
	vars = sep ? cJSON_ParseWithLength((const char *)sep + 3, n - (size_t)(sep + 3 - p)) : NULL;
	spec = package_check(&e, value, source);
	if (spec && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(spec, "kind")), "formula")) {
		memset(&e, 0, sizeof e);
		steps = formula_render(&e, spec, cJSON_IsObject(vars) ? vars : NULL);
		cJSON_Delete(steps);
	}
	cJSON_Delete(spec);
	cJSON_Delete(vars);
	cJSON_Delete(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	char *choices = fz_line(&f), *second = fz_line(&f), path[400];
	unsigned what = *choices ? (unsigned)(choices[0] - '0') % 5 : 0;
	struct eng_output out;

	fz_world_init(ENG_REGISTRY, REGISTRY_ID, 0, build);
	fz_world_reset();
	switch (what) {
	case 0:
		meaning(second, f.p, f.n);
		break;
	case 1:
		publish((const char *)f.p, f.n);
		break;
	case 2:
		fz_request("POST", "/_internal/outcomes", NULL, f.p, f.n, "{\"x-gastown-caller\":\"town:t1\"}", &out);
		break;
	case 3:
		snprintf(path, sizeof path, "/_internal/orgs/acme/packages/release/%.64s/deprecation", *second ? second : "1.0.0");
		fz_request(f.n % 2 ? "POST" : "DELETE", path, NULL, f.p, f.n, from_org, &out);
		break;
	default:
		fz_request("GET", "/api/registry", second, NULL, 0, t_as("eve"), &out);
		break;
	}
	free(choices);
	free(second);
	return 0;
}
