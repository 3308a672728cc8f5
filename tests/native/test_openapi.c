/*
 * test_openapi.c - docs/openapi.json describes exactly the engine's public routes. Every route of
 * the table (less the test hooks, R_TEST, and the /_internal paths no client can reach) is in the
 * spec, with ":name" written "{name}"; the spec has no other (method, path); every operation has
 * an operationId (unique) and a responses object, and declares the path parameters its path names.
 * Every request body is the route's field table (src/core/fields.c): the same fields, each with the
 * same type, nullability, required-ness, bounds, allowed values and default, nested items too, so a
 * limit changed in C cannot drift from the spec. Runs from the repository root (make test does),
 * where it reads docs/openapi.json.
 */
#include <ctype.h>

#include "harness.h"
#include "api/api.h"

#define SPEC_PATH "docs/openapi.json"
#define SPEC_MAX (4 * 1024 * 1024)
#define PAIRS_MAX 256
#define METHOD_MAX 16
#define PATH_LEN 512
#define OPID_LEN 128

struct pair {
	char method[METHOD_MAX]; /* upper case: GET, POST, ... */
	char path[PATH_LEN];     /* OpenAPI form: /api/towns/{town} */
};

struct pairs {
	struct pair p[PAIRS_MAX];
	size_t n;
};

/* The operation keys of an OpenAPI path item. */
static const char *const methods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

static char spec_text[SPEC_MAX];
static cJSON *spec; /* parsed once by spec_loads_as_openapi_3_1, freed in main */

/* ---- helpers ----------------------------------------------------------------------------------- */

static int copy_str(char *out, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n >= len)
		return -1;
	memcpy(out, s, n + 1);
	return 0;
}

/* "/api/towns/:town/beads/:bead" -> "/api/towns/{town}/beads/{bead}"; -1 if it does not fit or a
 * ":" segment has no name. */
static int to_openapi_path(const char *pattern, char *out, size_t len)
{
	size_t o = 0;
	int seg_start = 1;

	for (const char *p = pattern; *p; p++) {
		if (seg_start && *p == ':') {
			size_t n = strcspn(p + 1, "/");

			if (n == 0 || o + n + 2 >= len)
				return -1;
			out[o++] = '{';
			memcpy(out + o, p + 1, n);
			o += n;
			out[o++] = '}';
			p += n; /* the last character of the name; the loop steps past it */
			seg_start = 0;
			continue;
		}
		if (o + 1 >= len)
			return -1;
		out[o++] = *p;
		seg_start = *p == '/';
	}
	out[o] = '\0';
	return 0;
}

static int pairs_has(const struct pairs *s, const char *method, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->p[i].method, method) == 0 && strcmp(s->p[i].path, path) == 0)
			return 1;
	return 0;
}

/* Add (method, path) once (a route served by two object kinds is one pair); -1 when full or too
 * long. */
static int pairs_add(struct pairs *s, const char *method, const char *path)
{
	if (pairs_has(s, method, path))
		return 0;
	if (s->n >= PAIRS_MAX || copy_str(s->p[s->n].method, METHOD_MAX, method) < 0 ||
	    copy_str(s->p[s->n].path, PATH_LEN, path) < 0)
		return -1;
	s->n++;
	return 0;
}

/* The engine's public routes, as OpenAPI pairs. */
static void route_pairs(struct pairs *s)
{
	size_t n = route_count();

	s->n = 0;
	CHECK(n > 0);
	CHECK(route_at(n) == NULL);
	for (size_t i = 0; i < n; i++) {
		const struct route *r = route_at(i);
		char path[PATH_LEN];

		CHECK(r != NULL);
		if (!r)
			continue;
		if ((r->flags & R_TEST) || strncmp(r->pattern, "/_internal", 10) == 0)
			continue;
		if (to_openapi_path(r->pattern, path, sizeof path) < 0) {
			printf("# route pattern too long or malformed: %s %s\n", r->method, r->pattern);
			CHECK(!"route pattern converts");
			continue;
		}
		if (pairs_add(s, r->method, path) < 0) {
			printf("# more than %d routes, or a route too long: %s %s\n", PAIRS_MAX, r->method, path);
			CHECK(!"route fits the table of pairs");
		}
	}
}

/* The spec's operations, as pairs (method upper-cased). */
static void spec_pairs(struct pairs *s)
{
	const cJSON *paths = cJSON_GetObjectItemCaseSensitive(spec, "paths"), *item;

	s->n = 0;
	CHECK(cJSON_IsObject(paths));
	cJSON_ArrayForEach(item, paths) {
		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			char upper[METHOD_MAX];
			size_t k;

			if (!cJSON_GetObjectItemCaseSensitive(item, methods[m]))
				continue;
			for (k = 0; methods[m][k] && k + 1 < sizeof upper; k++)
				upper[k] = (char)toupper((unsigned char)methods[m][k]);
			upper[k] = '\0';
			if (!item->string || pairs_add(s, upper, item->string) < 0) {
				printf("# more than %d operations, or a path too long: %s %s\n", PAIRS_MAX, upper,
				       item->string ? item->string : "(null)");
				CHECK(!"operation fits the table of pairs");
			}
		}
	}
}

/* A parameter object, following a local "#/components/parameters/<name>" reference. */
static const cJSON *resolve_param(const cJSON *p)
{
	static const char prefix[] = "#/components/parameters/";
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(p, "$ref");
	const cJSON *components, *params;

	if (!ref)
		return p;
	if (!cJSON_IsString(ref) || strncmp(ref->valuestring, prefix, sizeof prefix - 1) != 0)
		return NULL;
	components = cJSON_GetObjectItemCaseSensitive(spec, "components");
	params = cJSON_GetObjectItemCaseSensitive(components, "parameters");
	return cJSON_GetObjectItemCaseSensitive(params, ref->valuestring + sizeof prefix - 1);
}

static int param_is(const cJSON *p, const char *in, const char *name)
{
	const cJSON *pin = cJSON_GetObjectItemCaseSensitive(p, "in");
	const cJSON *pname = cJSON_GetObjectItemCaseSensitive(p, "name");

	return cJSON_IsString(pin) && cJSON_IsString(pname) && strcmp(pin->valuestring, in) == 0 &&
	       strcmp(pname->valuestring, name) == 0;
}

/* 1 if the operation (or its path item) declares the path parameter name. */
static int declares_path_param(const cJSON *item, const cJSON *op, const char *name)
{
	const cJSON *lists[2] = {cJSON_GetObjectItemCaseSensitive(op, "parameters"),
				 cJSON_GetObjectItemCaseSensitive(item, "parameters")};
	const cJSON *p;

	for (int i = 0; i < 2; i++)
		cJSON_ArrayForEach(p, lists[i])
			if (param_is(resolve_param(p), "path", name))
				return 1;
	return 0;
}

/* A schema, following a local "#/components/schemas/<name>" reference. */
static const cJSON *resolve_schema(const cJSON *s)
{
	static const char prefix[] = "#/components/schemas/";
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(s, "$ref");

	if (!ref)
		return s;
	if (!cJSON_IsString(ref) || strncmp(ref->valuestring, prefix, sizeof prefix - 1) != 0)
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "components"), "schemas"),
		ref->valuestring + sizeof prefix - 1);
}

/* The JSON Schema type of a rule's type; NULL for the types a schema states otherwise (any scalar,
 * any value). */
static const char *schema_type(enum field_type t)
{
	static const char *const names[] = {
		[FT_STRING] = "string", [FT_INT] = "integer", [FT_NUMBER] = "number", [FT_BOOL] = "boolean",
		[FT_OBJECT] = "object", [FT_ARRAY] = "array", [FT_SCALAR] = NULL,     [FT_ANY] = NULL,
	};
	return names[t];
}

/* 1 if the schema's "type" (a name or a list of names) includes name. */
static int has_type(const cJSON *schema, const char *name)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type"), *v;

	if (cJSON_IsString(t))
		return strcmp(t->valuestring, name) == 0;
	cJSON_ArrayForEach(v, t)
		if (cJSON_IsString(v) && strcmp(v->valuestring, name) == 0)
			return 1;
	return 0;
}

/* A schema's integer keyword (minLength, maximum, ...); absent reads as dflt, *present says which. */
static double keyword(const cJSON *schema, const char *k, double dflt, int *present)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(schema, k);

	if (present)
		*present = cJSON_IsNumber(v);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static int drift_count;

/* Report one difference between the engine and the spec. */
static void drift(const char *where, const char *name, const char *what)
{
	printf("# drift: %s: '%s': %s\n", where, name ? name : "[]", what);
	drift_count++;
}

static void compare_object(const char *where, const struct fields *f, const cJSON *schema);

/* One value's rule against its schema. in_required: the spec lists it as required. */
static void compare_rule(const char *where, const struct field_rule *r, const cJSON *schema, int in_required)
{
	const char *type = schema_type(r->type);
	const cJSON *list, *v;
	char what[160];

	schema = resolve_schema(schema);
	if (!schema) {
		drift(where, r->name, "its schema does not resolve");
		return;
	}
	if (r->name && !(r->flags & FR_REQUIRED) != !in_required)
		drift(where, r->name, in_required ? "required in the spec only" : "required in the engine only");
	if (!type)
		return;
	if (!has_type(schema, type)) {
		snprintf(what, sizeof what, "the engine reads a %s", type);
		drift(where, r->name, what);
	}
	if (!(r->flags & FR_NULL) != !has_type(schema, "null"))
		drift(where, r->name, r->flags & FR_NULL ? "null is a value in the engine only" : "null is a value in the spec only");
	switch (r->type) {
	case FT_STRING:
		if (keyword(schema, "minLength", 0, NULL) != (double)r->min || keyword(schema, "maxLength", 0, NULL) != (double)r->max) {
			snprintf(what, sizeof what, "length %lld..%lld in the engine, %g..%g in the spec (0: none)",
				 (long long)r->min, (long long)r->max, keyword(schema, "minLength", 0, NULL),
				 keyword(schema, "maxLength", 0, NULL));
			drift(where, r->name, what);
		}
		list = cJSON_GetObjectItemCaseSensitive(schema, "enum");
		if (!r->one_of != !list) {
			drift(where, r->name, r->one_of ? "allowed values in the engine only" : "allowed values in the spec only");
		} else if (r->one_of) {
			int n = 0, known = 1;

			for (const char *const *s = r->one_of; *s; s++)
				n++;
			cJSON_ArrayForEach(v, list) {
				const char *const *s = r->one_of;

				while (*s && !(cJSON_IsString(v) && strcmp(*s, v->valuestring) == 0))
					s++;
				known &= *s != NULL;
			}
			if (!known || n != cJSON_GetArraySize(list))
				drift(where, r->name, "the allowed values differ");
		}
		break;
	case FT_INT:
	case FT_NUMBER: {
		int has_min, has_max;
		double lo = keyword(schema, "minimum", 0, &has_min), hi = keyword(schema, "maximum", 0, &has_max);
		int unbounded = r->type == FT_NUMBER && !r->min && !r->max;

		if (unbounded ? has_min || has_max : !has_min || !has_max || lo != (double)r->min || hi != (double)r->max) {
			snprintf(what, sizeof what, "range %lld..%lld in the engine, %s%g..%s%g in the spec", (long long)r->min,
				 (long long)r->max, has_min ? "" : "none ", lo, has_max ? "" : "none ", hi);
			drift(where, r->name, what);
		}
		break;
	}
	case FT_ARRAY:
		if (keyword(schema, "minItems", 0, NULL) != (double)r->min || keyword(schema, "maxItems", 0, NULL) != (double)r->max) {
			snprintf(what, sizeof what, "items %lld..%lld in the engine, %g..%g in the spec (0: none)",
				 (long long)r->min, (long long)r->max, keyword(schema, "minItems", 0, NULL),
				 keyword(schema, "maxItems", 0, NULL));
			drift(where, r->name, what);
		}
		if (r->of) {
			char in[256];

			snprintf(in, sizeof in, "%s%s%s[]", where, r->name ? "." : "", r->name ? r->name : "");
			compare_rule(in, r->of, cJSON_GetObjectItemCaseSensitive(schema, "items"), 0);
		}
		break;
	case FT_OBJECT:
		/* A size in bytes has no keyword: the description must say it. */
		if (r->max) {
			const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(schema, "description"));

			snprintf(what, sizeof what, "%lld", (long long)r->max);
			if (!d || !strstr(d, what)) {
				snprintf(what, sizeof what, "the description does not give its limit, %lld bytes", (long long)r->max);
				drift(where, r->name, what);
			}
		}
		if (r->fields) {
			char in[256];

			snprintf(in, sizeof in, "%s%s%s", where, r->name ? "." : "", r->name ? r->name : "");
			compare_object(in, r->fields, schema);
		}
		break;
	default:
		break;
	}
	/* A number's default is the table's (other defaults are the handler's: a string, false). */
	if (r->type == FT_INT || r->type == FT_NUMBER) {
		int has;
		double d = keyword(schema, "default", 0, &has);

		if (!(r->flags & FR_DEFAULT) != !has || ((r->flags & FR_DEFAULT) && d != (double)r->def)) {
			snprintf(what, sizeof what, "default %s%lld in the engine, %s%g in the spec",
				 r->flags & FR_DEFAULT ? "" : "none ", (long long)r->def, has ? "" : "none ", d);
			drift(where, r->name, what);
		}
	}
}

/* An object's members against the schema's properties, both ways. */
static void compare_object(const char *where, const struct fields *f, const cJSON *schema)
{
	const cJSON *props, *required, *p;

	schema = resolve_schema(schema);
	props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	required = cJSON_GetObjectItemCaseSensitive(schema, "required");
	if (!has_type(schema, "object") || !cJSON_IsObject(props)) {
		drift(where, NULL, "the spec's schema is not an object with properties");
		return;
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct field_rule *r = &f->rule[i];
		const cJSON *prop = cJSON_GetObjectItemCaseSensitive(props, r->name);
		int in_required = 0;

		cJSON_ArrayForEach(p, required)
			in_required |= cJSON_IsString(p) && strcmp(p->valuestring, r->name) == 0;
		if (!prop)
			drift(where, r->name, "the engine reads a field the spec does not document");
		else
			compare_rule(where, r, prop, in_required);
	}
	cJSON_ArrayForEach(p, props)
		if (!fields_rule(f, p->string))
			drift(where, p->string, "the spec documents a field the engine does not read");
}

/* The spec's operation of a route, or NULL. */
static const cJSON *spec_operation(const struct route *r)
{
	char path[PATH_LEN], lower[METHOD_MAX];
	size_t k;

	if (to_openapi_path(r->pattern, path, sizeof path) < 0)
		return NULL;
	for (k = 0; r->method[k] && k + 1 < sizeof lower; k++)
		lower[k] = (char)tolower((unsigned char)r->method[k]);
	lower[k] = '\0';
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "paths"), path),
						lower);
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void spec_loads_as_openapi_3_1(void)
{
	FILE *f = fopen(SPEC_PATH, "rb");
	size_t n;
	const cJSON *v;

	if (!f) {
		printf("# cannot open %s (run from the repository root)\n", SPEC_PATH);
		CHECK(f != NULL);
		return;
	}
	n = fread(spec_text, 1, sizeof spec_text - 1, f);
	CHECK(!ferror(f));
	/* Anything left to read means the file is larger than the buffer. */
	CHECK(n < sizeof spec_text - 1 || fgetc(f) == EOF);
	fclose(f);
	spec_text[n] = '\0';
	spec = cJSON_ParseWithLength(spec_text, n);
	if (!spec) {
		printf("# %s is not valid JSON (near byte %ld)\n", SPEC_PATH,
		       cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - spec_text) : -1L);
		CHECK(spec != NULL);
		return;
	}
	CHECK(cJSON_IsObject(spec));
	v = cJSON_GetObjectItemCaseSensitive(spec, "openapi");
	CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "3.1.0") == 0);
	CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(spec, "info")));
	CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(spec, "paths")));
}

static void every_operation_has_an_id_and_responses(void)
{
	static char ids[PAIRS_MAX][OPID_LEN];
	size_t nids = 0;
	const cJSON *item;

	CHECK(spec != NULL);
	if (!spec)
		return;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "paths")) {
		const char *path = item->string ? item->string : "(null)";

		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			const cJSON *op = cJSON_GetObjectItemCaseSensitive(item, methods[m]);
			const cJSON *id, *responses;
			int has_id, has_responses;

			if (!op)
				continue;
			id = cJSON_GetObjectItemCaseSensitive(op, "operationId");
			responses = cJSON_GetObjectItemCaseSensitive(op, "responses");
			has_id = cJSON_IsString(id) && id->valuestring[0] != '\0';
			has_responses = cJSON_IsObject(responses) && responses->child != NULL;
			if (!has_id)
				printf("# no operationId: %s %s\n", methods[m], path);
			if (!has_responses)
				printf("# no responses: %s %s\n", methods[m], path);
			CHECK(has_id);
			CHECK(has_responses);
			if (!has_id)
				continue;
			for (size_t i = 0; i < nids; i++) {
				if (strcmp(ids[i], id->valuestring) == 0) {
					printf("# operationId used twice: %s (%s %s)\n", id->valuestring, methods[m], path);
					CHECK(!"operationIds are unique");
				}
			}
			if (nids < PAIRS_MAX && copy_str(ids[nids], OPID_LEN, id->valuestring) == 0)
				nids++;
			else
				CHECK(!"operationId fits the table");
		}
	}
}

static void every_route_is_documented(void)
{
	static struct pairs routes, documented;

	CHECK(spec != NULL);
	if (!spec)
		return;
	route_pairs(&routes);
	spec_pairs(&documented);
	for (size_t i = 0; i < routes.n; i++) {
		int found = pairs_has(&documented, routes.p[i].method, routes.p[i].path);

		if (!found)
			printf("# not in openapi.json: %s %s\n", routes.p[i].method, routes.p[i].path);
		CHECK(found);
	}
}

static void the_spec_has_no_route_the_engine_lacks(void)
{
	static struct pairs routes, documented;

	CHECK(spec != NULL);
	if (!spec)
		return;
	route_pairs(&routes);
	spec_pairs(&documented);
	for (size_t i = 0; i < documented.n; i++) {
		int found = pairs_has(&routes, documented.p[i].method, documented.p[i].path);

		if (!found)
			printf("# not in the route table: %s %s\n", documented.p[i].method, documented.p[i].path);
		CHECK(found);
	}
}

/* Each {name} of a path is a declared path parameter, and each declared one is in the path. */
static void path_parameters_match_the_path(void)
{
	const cJSON *item;

	CHECK(spec != NULL);
	if (!spec)
		return;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "paths")) {
		const char *path = item->string ? item->string : "";

		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			const cJSON *op = cJSON_GetObjectItemCaseSensitive(item, methods[m]), *p;

			if (!op)
				continue;
			for (const char *s = strchr(path, '{'); s; s = strchr(s + 1, '{')) {
				char name[64];
				size_t n = strcspn(s + 1, "}");
				int ok = s[1 + n] == '}' && n > 0 && n < sizeof name;

				if (ok) {
					memcpy(name, s + 1, n);
					name[n] = '\0';
					ok = declares_path_param(item, op, name);
				}
				if (!ok)
					printf("# %s %s: path parameter {%.*s} is not declared\n", methods[m], path,
					       (int)(n < 64 ? n : 64), s + 1);
				CHECK(ok);
			}
			cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(op, "parameters")) {
				const cJSON *r = resolve_param(p), *in, *name;
				char braced[80];
				int ok;

				CHECK(r != NULL);
				in = cJSON_GetObjectItemCaseSensitive(r, "in");
				name = cJSON_GetObjectItemCaseSensitive(r, "name");
				if (!cJSON_IsString(in) || strcmp(in->valuestring, "path") != 0)
					continue;
				ok = cJSON_IsString(name) &&
				     snprintf(braced, sizeof braced, "{%s}", name->valuestring) < (int)sizeof braced &&
				     strstr(path, braced) != NULL;
				if (!ok)
					printf("# %s %s: declares a path parameter the path does not have: %s\n", methods[m],
					       path, cJSON_IsString(name) ? name->valuestring : "(no name)");
				CHECK(ok);
			}
		}
	}
}

/* Every route's body is its field table: the spec's requestBody (whether one is required) and the
 * schema of each field. */
static void request_bodies_are_the_field_tables(void)
{
	CHECK(spec != NULL);
	if (!spec)
		return;
	drift_count = 0;
	for (size_t i = 0; i < route_count(); i++) {
		const struct route *r = route_at(i);
		const cJSON *op, *rb, *schema;
		char where[PATH_LEN + METHOD_MAX + 2];

		if ((r->flags & (R_TEST | R_OWN_BODY)) || strncmp(r->pattern, "/_internal", 10) == 0 ||
		    !(op = spec_operation(r)))
			continue;
		snprintf(where, sizeof where, "%s %s", r->method, r->pattern);
		rb = cJSON_GetObjectItemCaseSensitive(op, "requestBody");
		if (!rb != !r->body) {
			drift(where, NULL, r->body ? "the engine reads a body the spec does not describe"
						   : "the spec describes a body the engine does not read");
			continue;
		}
		if (!rb)
			continue;
		if ((!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rb, "required"))) != r->body->optional)
			drift(where, NULL, r->body->optional ? "the body is optional in the engine only" : "the body is optional in the spec only");
		schema = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rb, "content"), "application/json"), "schema");
		compare_object(where, r->body, schema);
	}
	CHECK(drift_count == 0);
}

/* The comparison finds what it is meant to: a table and a schema that differ in each way. */
static void a_drift_is_found(void)
{
	static const char *const ab[] = {"a", "b", NULL};
	struct probe {
		const char *s;
		int64_t i;
	};
	static const struct field_rule rules[] = {
		{"s", F_STR(struct probe, s), FR_REQUIRED, 1, 10, .one_of = ab},
		{"i", F_INT(struct probe, i), FR_DEFAULT, 0, 5, .def = 2},
	};
	static const struct fields f = FIELDS(rules, struct probe);
	static const char *const schemas[] = {
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":10,\"enum\":[\"b\",\"a\"]},\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5,\"default\":2}}}",
		/* each below differs in one way */
		"{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":10,\"enum\":[\"a\",\"b\"]},"
		"\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5,\"default\":2}}}",
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":11,\"enum\":[\"a\",\"b\"]},\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5,\"default\":2}}}",
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":10,\"enum\":[\"a\",\"c\"]},\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5,\"default\":2}}}",
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":10,\"enum\":[\"a\",\"b\"]},\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":4,\"default\":2}}}",
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":10,\"enum\":[\"a\",\"b\"]},\"i\":{\"type\":\"number\",\"minimum\":0,\"maximum\":5,\"default\":2}}}",
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":10,\"enum\":[\"a\",\"b\"]},\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5,\"default\":3}}}",
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":[\"string\",\"null\"],\"minLength\":1,"
		"\"maxLength\":10,\"enum\":[\"a\",\"b\"]},\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5,\"default\":2}}}",
		"{\"type\":\"object\",\"required\":[\"s\"],\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":10,\"enum\":[\"a\",\"b\"]},\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5,\"default\":2},"
		"\"extra\":{\"type\":\"string\"}}}",
	};

	for (size_t k = 0; k < sizeof schemas / sizeof schemas[0]; k++) {
		cJSON *schema = cJSON_Parse(schemas[k]);

		printf("# schema %zu (expected: %s)\n", k, k ? "one drift" : "none");
		drift_count = 0;
		compare_object("probe", &f, schema);
		CHECK(drift_count == (k ? 1 : 0));
		cJSON_Delete(schema);
	}
}

/* The conversion the comparison relies on. */
static void patterns_convert(void)
{
	char out[PATH_LEN], tiny[8];

	CHECK(to_openapi_path("/health", out, sizeof out) == 0 && strcmp(out, "/health") == 0);
	CHECK(to_openapi_path("/api/towns/:town/beads/:bead/deps/:dep", out, sizeof out) == 0 &&
	      strcmp(out, "/api/towns/{town}/beads/{bead}/deps/{dep}") == 0);
	CHECK(to_openapi_path("/a/b:c", out, sizeof out) == 0 && strcmp(out, "/a/b:c") == 0);
	CHECK(to_openapi_path("/a/:", out, sizeof out) < 0);
	CHECK(to_openapi_path("/api/towns/:town", tiny, sizeof tiny) < 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(patterns_convert);
	RUN(spec_loads_as_openapi_3_1);
	RUN(every_operation_has_an_id_and_responses);
	RUN(every_route_is_documented);
	RUN(the_spec_has_no_route_the_engine_lacks);
	RUN(path_parameters_match_the_path);
	RUN(a_drift_is_found);
	RUN(request_bodies_are_the_field_tables);
	cJSON_Delete(spec);
	spec = NULL;
	return t_done();
}
