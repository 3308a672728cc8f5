/*
 * package.c - what a published file means (docs/registry.md). The host parsed its TOML; here the
 * value is checked and made into the one shape the registry stores and towns run: a formula's
 * variables and steps with their needs (no unknown step, no cycle, no variable used that is not
 * declared) or an agent config's persona. Every refusal names the line of the source at fault,
 * found again in the text: the parse keeps no positions, and a message without a line sends the
 * author hunting through a file of a hundred steps.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"

#define DESCRIPTION_MAX 1000
#define STEP_TITLE_MAX 200
#define STEP_TEXT_MAX 65536
#define STEP_ID_MAX 64
#define VAR_NAME_MAX 64
#define ACCEPTANCE_MAX 4000
#define ENUM_MAX 50
#define PATTERN_MAX 200

/* The keys local Gas Town's formulas use (../shared/reference/gastown-local.md and its own
 * formulas): phase says wisp or poured there and is kept; a step's type is its bead's, its
 * acceptance goes into the bead, a gate makes it wait (held) for what the gate names; a variable's
 * enum is checked at a run, its pattern kept and shown (there is no regex engine in the wasm). */
static const char *const formula_keys[] = {"formula", "type", "version", "description", "phase", "vars", "steps", NULL};
static const char *const step_keys[] = {"id", "title", "description", "needs", "type", "acceptance", "gate", NULL};
static const char *const var_keys[] = {"description", "required", "default", "enum", "pattern", NULL};
static const char *const gate_keys[] = {"type", "id", "timeout", NULL};
static const char *const config_keys[] = {"config", "version", "description", "runtime", "persona", NULL};
static const char *const persona_keys[] = {"title", "overlay", "model", "allowed_tools", "denied_tools", "gates", NULL};

int package_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > REGISTRY_NAME_MAX || !isalnum((unsigned char)s[0]) || isupper((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

/* ---- lines of the source ---------------------------------------------------------------------- */

/* The area a finding is looked for in: the top of the file (header NULL), the nth table of an
 * array of tables ("[[steps]]", nth from 1), or a table ("[vars.name]"). */
struct place {
	const char *header;
	int nth;
	const char *key; /* a key of the area, NULL for the header's own line */
};

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* 1 when the line (at its first non-blank) starts with key, bare or quoted, then '=' or '.'. */
static int line_has_key(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *p = skip_space(line);

	if ((*p == '"' || *p == '\'') && strncmp(p + 1, key, n) == 0 && p[n + 1] == *p)
		p += n + 2;
	else if (strncmp(p, key, n) == 0)
		p += n;
	else
		return 0;
	p = skip_space(p);
	return *p == '=' || *p == '.';
}

/* 1 when the line is the header (blanks around it allowed, "[ vars . x ]" is not matched). */
static int line_is_header(const char *line, const char *header)
{
	const char *p = skip_space(line);
	size_t n = strlen(header);

	return strncmp(p, header, n) == 0 && (*skip_space(p + n) == '\0' || *skip_space(p + n) == '\n' ||
					       *skip_space(p + n) == '#' || *skip_space(p + n) == '\r');
}

static int place_line(const char *src, const struct place *pl)
{
	int line = 1, in_area = pl->header == NULL, seen = 0;

	for (const char *p = src; p && *p; line++) {
		const char *q = skip_space(p);

		if (*q == '[') {
			if (in_area && pl->header)
				return 0; /* the area ended without the key */
			in_area = 0;
			if (pl->header && line_is_header(p, pl->header) && ++seen == (pl->nth ? pl->nth : 1)) {
				if (!pl->key)
					return line;
				in_area = 1;
			} else if (!pl->header)
				return 0;
		} else if (in_area && pl->key && line_has_key(p, pl->key))
			return line;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

/* The line of the first occurrence of needle, 0 when none. */
static int line_with(const char *src, const char *needle)
{
	const char *hit = strstr(src, needle);
	int line = 1;

	if (!hit)
		return 0;
	for (const char *p = src; p < hit; p++)
		line += *p == '\n';
	return line;
}

/* Where a key of the place is, else where the place begins. */
static int line_near(const char *src, const struct place *pl)
{
	int line = place_line(src, pl);
	struct place head = {pl->header, pl->nth, NULL};

	return line || !pl->key || !pl->header ? line : place_line(src, &head);
}

static int fault(struct err *e, int line, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fault(struct err *e, int line, const char *reason, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (e->code != ERR_NONE)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		err_set(e, ERR_INVALID, "source", "line %d: %s", line, msg);
	else
		err_set(e, ERR_INVALID, "source", "%s", msg);
	snprintf(e->reason, sizeof e->reason, "%s", reason);
	return -1;
}

/* ---- values ----------------------------------------------------------------------------------- */

struct ctx {
	struct err *e;
	const char *src;
};

/* Every key of obj is one of known; else a fault at the unknown one. */
static int known_keys(struct ctx *x, const cJSON *obj, const char *const *known, const struct place *area,
		      const char *what)
{
	const cJSON *it;
	char list[200] = "";

	cJSON_ArrayForEach(it, obj) {
		struct place pl = {area->header, area->nth, it->string};

		if (str_in_list(it->string, known))
			continue;
		for (size_t i = 0; known[i]; i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", known[i]);
		if (!strcmp(what, "formula") && (!strcmp(it->string, "extends") || !strcmp(it->string, "compose")))
			return fault(x->e, line_near(x->src, &pl), "unsupported",
				     "'%s': composing formulas (extends, compose) is not supported; publish the whole workflow",
				     it->string);
		return fault(x->e, line_near(x->src, &pl), "unknown_key", "'%.64s' is not a key of %s (%s)", it->string,
			     what, list);
	}
	return 0;
}

/* An optional string of at most max bytes: *out is it, or dflt when absent. */
static int opt_string(struct ctx *x, const cJSON *obj, const char *key, size_t max, const struct place *area,
		      const char *dflt, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	struct place pl = {area->header, area->nth, key};

	*out = dflt;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fault(x->e, line_near(x->src, &pl), "type", "'%s' is a string", key);
	if (strlen(v->valuestring) > max)
		return fault(x->e, line_near(x->src, &pl), "too_long", "'%s' is at most %zu bytes", key, max);
	*out = v->valuestring;
	return 0;
}

/* The version: a semver string, or a whole number N (as local formulas write it) taken as N.0.0. */
static int version_of(struct ctx *x, const cJSON *value, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, "version");
	struct place pl = {NULL, 0, "version"};
	struct semver sv;

	if (!v)
		return fault(x->e, 0, "missing", "'version' is missing: a semver version such as \"1.0.0\"");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e9 && v->valuedouble == (double)(long)v->valuedouble) {
		snprintf(out, len, "%ld.0.0", (long)v->valuedouble);
		return 0;
	}
	if (!cJSON_IsString(v) || !semver_parse(v->valuestring, &sv))
		return fault(x->e, line_near(x->src, &pl), "form",
			     "'version' is a semver version MAJOR.MINOR.PATCH[-PRERELEASE], as \"1.2.0\"");
	snprintf(out, len, "%s", v->valuestring);
	return 0;
}

static int header(cJSON *out, const char *kind, const char *name, const char *version, const char *description)
{
	return !cJSON_AddStringToObject(out, "kind", kind) || !cJSON_AddStringToObject(out, "name", name) ||
			       !cJSON_AddStringToObject(out, "version", version) ||
			       !cJSON_AddStringToObject(out, "description", description)
		       ? -1
		       : 0;
}

/* ---- formulas --------------------------------------------------------------------------------- */

static int var_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > VAR_NAME_MAX || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static int step_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > STEP_ID_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

/* The variables a text names as {{name}} (blanks inside the braces allowed), each checked against
 * the declared ones; text without a closing }} is taken as it is. */
static int refs_declared(struct ctx *x, const char *text, const cJSON *vars, const char *step)
{
	for (const char *p = strstr(text, "{{"); p; p = strstr(p + 2, "{{")) {
		const char *end = strstr(p + 2, "}}"), *a = skip_space(p + 2), *b;
		char name[VAR_NAME_MAX + 1], raw[VAR_NAME_MAX + 8];
		const cJSON *v;
		int found = 0;

		if (!end)
			return 0;
		for (b = end; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		if ((size_t)(b - a) > VAR_NAME_MAX || b == a)
			continue;
		memcpy(name, a, (size_t)(b - a));
		name[b - a] = '\0';
		if (!var_name_valid(name))
			continue;
		cJSON_ArrayForEach(v, vars)
			found |= !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "name")), name);
		if (found)
			continue;
		snprintf(raw, sizeof raw, "%.*s", (int)(end + 2 - p) < (int)sizeof raw - 1 ? (int)(end + 2 - p) : (int)sizeof raw - 1, p);
		return fault(x->e, line_with(x->src, raw), "unknown_variable",
			     "step '%s' uses {{%s}}, which [vars] does not declare", step, name);
	}
	return 0;
}

/* A variable's enum: 1 to ENUM_MAX strings, its default one of them. *out a copy, NULL when none. */
static int check_enum(struct ctx *x, const cJSON *var, const struct place *area, const char *dflt, cJSON **out)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(var, "enum"), *v;
	struct place pl = {area->header, area->nth, "enum"};
	int has_default = 0;

	*out = NULL;
	if (!list)
		return 0;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > ENUM_MAX)
		return fault(x->e, line_near(x->src, &pl), "type", "'enum' is a list of 1 to %d strings", ENUM_MAX);
	cJSON_ArrayForEach(v, list) {
		if (!cJSON_IsString(v) || strlen(v->valuestring) > FORMULA_VAR_MAX)
			return fault(x->e, line_near(x->src, &pl), "type", "'enum' is a list of strings of at most %d bytes",
				     FORMULA_VAR_MAX);
		has_default |= dflt && !strcmp(dflt, v->valuestring);
	}
	if (dflt && !has_default)
		return fault(x->e, line_near(x->src, &pl), "form", "the default '%.60s' is not one of 'enum'", dflt);
	if (!(*out = cJSON_Duplicate(list, 1)))
		return err_set(x->e, ERR_INTERNAL, NULL, "out of memory");
	return 0;
}

static cJSON *check_vars(struct ctx *x, const cJSON *vars)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *it;
	struct place top = {NULL, 0, "vars"};

	if (!out)
		return NULL;
	if (vars && !cJSON_IsObject(vars)) {
		cJSON_Delete(out);
		fault(x->e, line_near(x->src, &top), "type", "'vars' is a table of [vars.NAME] tables");
		return NULL;
	}
	if (cJSON_GetArraySize(vars) > FORMULA_VARS_MAX) {
		cJSON_Delete(out);
		fault(x->e, 0, "too_many", "a formula declares at most %d variables", FORMULA_VARS_MAX);
		return NULL;
	}
	cJSON_ArrayForEach(it, vars) {
		char head[VAR_NAME_MAX + 16];
		struct place area = {head, 1, NULL}, self = {"[vars]", 1, it->string};
		const char *desc, *dflt, *pattern;
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(it, "required");
		cJSON *choices = NULL;
		cJSON *v;
		int line;

		snprintf(head, sizeof head, "[vars.%.64s]", it->string);
		line = place_line(x->src, &area);
		if (!line)
			line = place_line(x->src, &self);
		if (!var_name_valid(it->string)) {
			fault(x->e, line, "form", "'%.64s' is not a variable name: a letter or _, then letters, digits, _ or -",
			      it->string);
			break;
		}
		if (!cJSON_IsObject(it)) {
			fault(x->e, line, "type", "variable '%s' is a table {description, required, default}", it->string);
			break;
		}
		if (known_keys(x, it, var_keys, &area, "a variable") < 0 ||
		    opt_string(x, it, "description", DESCRIPTION_MAX, &area, "", &desc) < 0 ||
		    opt_string(x, it, "default", FORMULA_VAR_MAX, &area, NULL, &dflt) < 0 ||
		    opt_string(x, it, "pattern", PATTERN_MAX, &area, NULL, &pattern) < 0 ||
		    check_enum(x, it, &area, dflt, &choices) < 0)
			break;
		if (req && !cJSON_IsBool(req)) {
			struct place pl = {head, 1, "required"};

			cJSON_Delete(choices);
			fault(x->e, line_near(x->src, &pl), "type", "'required' is true or false");
			break;
		}
		v = cJSON_CreateObject();
		cJSON_AddItemToArray(out, v);
		cJSON_AddStringToObject(v, "name", it->string);
		cJSON_AddStringToObject(v, "description", desc);
		cJSON_AddBoolToObject(v, "required", cJSON_IsTrue(req));
		if (dflt)
			cJSON_AddStringToObject(v, "default", dflt);
		else
			cJSON_AddNullToObject(v, "default");
		if (choices)
			cJSON_AddItemToObject(v, "enum", choices);
		if (pattern)
			cJSON_AddStringToObject(v, "pattern", pattern);
	}
	if (x->e->code != ERR_NONE) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* Depth-first over the needs: 1 and the cycle written to path when one is found from step i. */
static int cycle_from(int i, int n, const unsigned char (*needs)[FORMULA_STEPS_MAX], unsigned char *color,
		      int *stack, int depth, int *start)
{
	color[i] = 1;
	stack[depth] = i;
	for (int j = 0; j < n; j++) {
		if (!needs[i][j])
			continue;
		if (color[j] == 1) {
			*start = j;
			stack[depth + 1] = j;
			return depth + 2;
		}
		if (color[j] == 0) {
			int len = cycle_from(j, n, needs, color, stack, depth + 1, start);

			if (len)
				return len;
		}
	}
	color[i] = 2;
	return 0;
}

static int no_cycle(struct ctx *x, const cJSON *steps, int n)
{
	unsigned char needs[FORMULA_STEPS_MAX][FORMULA_STEPS_MAX] = {{0}}, color[FORMULA_STEPS_MAX] = {0};
	int stack[FORMULA_STEPS_MAX + 1], start = 0;

	for (int i = 0; i < n; i++) {
		const cJSON *need;

		cJSON_ArrayForEach(need, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, i), "needs"))
			for (int j = 0; j < n; j++)
				if (!strcmp(need->valuestring, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
								    cJSON_GetArrayItem(steps, j), "id"))))
					needs[i][j] = 1;
	}
	for (int i = 0; i < n; i++) {
		int len = color[i] ? 0 : cycle_from(i, n, needs, color, stack, 0, &start);
		char path[400] = "";
		int k = 0;
		struct place pl = {"[[steps]]", 0, "needs"};

		if (!len)
			continue;
		while (stack[k] != start)
			k++;
		for (int m = k; m < len; m++)
			snprintf(path + strlen(path), sizeof path - strlen(path), "%s%s", m > k ? " -> " : "",
				 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, stack[m]), "id")));
		pl.nth = stack[k] + 1;
		return fault(x->e, line_near(x->src, &pl), "cycle", "the steps' needs go round: %s", path);
	}
	return 0;
}

/* A step's gate {type, id?, timeout?}: what it waits for. *out a copy, NULL when none. */
static int check_gate(struct ctx *x, const cJSON *step, int nth, cJSON **out)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(step, "gate");
	/* Written inline in the step or as a [steps.gate] table after it: a fault is told at the
	 * step's line in either case. */
	struct place in_step = {"[[steps]]", nth, "gate"};
	const char *type, *id, *timeout;

	*out = NULL;
	if (!g)
		return 0;
	if (!cJSON_IsObject(g))
		return fault(x->e, line_near(x->src, &in_step), "type", "step %d: 'gate' is a table {type, id, timeout}", nth);
	if (known_keys(x, g, gate_keys, &in_step, "a gate") < 0 ||
	    opt_string(x, g, "type", 32, &in_step, NULL, &type) < 0 || opt_string(x, g, "id", 200, &in_step, "", &id) < 0 ||
	    opt_string(x, g, "timeout", 32, &in_step, "", &timeout) < 0)
		return -1;
	if (!type || !*type)
		return fault(x->e, line_near(x->src, &in_step), "missing", "step %d: a gate names its 'type' (gh:run, gh:pr, timer, human, mail)", nth);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "type", type);
	cJSON_AddStringToObject(*out, "id", id);
	cJSON_AddStringToObject(*out, "timeout", timeout);
	return 0;
}

static cJSON *check_step(struct ctx *x, const cJSON *s, int nth, const cJSON *vars)
{
	struct place area = {"[[steps]]", nth, NULL}, id_at = {"[[steps]]", nth, "id"};
	const char *id, *title, *desc, *type, *acceptance;
	const cJSON *needs = cJSON_GetObjectItemCaseSensitive(s, "needs"), *need;
	cJSON *out, *list, *gate = NULL;

	if (!cJSON_IsObject(s)) {
		fault(x->e, line_near(x->src, &area), "type", "each of 'steps' is a [[steps]] table");
		return NULL;
	}
	if (known_keys(x, s, step_keys, &area, "a step") < 0 || opt_string(x, s, "id", STEP_ID_MAX, &area, NULL, &id) < 0 ||
	    opt_string(x, s, "title", STEP_TITLE_MAX, &area, NULL, &title) < 0 ||
	    opt_string(x, s, "description", STEP_TEXT_MAX, &area, "", &desc) < 0 ||
	    opt_string(x, s, "type", 16, &area, "task", &type) < 0 ||
	    opt_string(x, s, "acceptance", ACCEPTANCE_MAX, &area, "", &acceptance) < 0)
		return NULL;
	if (!bead_type_valid(type)) {
		struct place pl = {"[[steps]]", nth, "type"};

		fault(x->e, line_near(x->src, &pl), "form", "step %d: '%.16s' is not a bead type", nth, type);
		return NULL;
	}
	if (!id || !step_id_valid(id)) {
		fault(x->e, line_near(x->src, id ? &id_at : &area), id ? "form" : "missing",
		      "step %d needs an 'id': 1-64 of letters, digits, - _ ., a letter or digit first", nth);
		return NULL;
	}
	if (!title || !*title) {
		fault(x->e, line_near(x->src, &area), "missing", "step '%s' needs a 'title'", id);
		return NULL;
	}
	if (needs && !cJSON_IsArray(needs)) {
		struct place pl = {"[[steps]]", nth, "needs"};

		fault(x->e, line_near(x->src, &pl), "type", "step '%s': 'needs' is a list of step ids", id);
		return NULL;
	}
	if (refs_declared(x, title, vars, id) < 0 || refs_declared(x, desc, vars, id) < 0 ||
	    refs_declared(x, acceptance, vars, id) < 0 || check_gate(x, s, nth, &gate) < 0)
		return NULL;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", id);
	cJSON_AddStringToObject(out, "title", title);
	cJSON_AddStringToObject(out, "description", desc);
	cJSON_AddStringToObject(out, "type", type);
	cJSON_AddStringToObject(out, "acceptance", acceptance);
	if (gate)
		cJSON_AddItemToObject(out, "gate", gate);
	list = cJSON_AddArrayToObject(out, "needs");
	cJSON_ArrayForEach(need, needs) {
		struct place pl = {"[[steps]]", nth, "needs"};

		if (!cJSON_IsString(need)) {
			fault(x->e, line_near(x->src, &pl), "type", "step '%s': 'needs' is a list of step ids", id);
			break;
		}
		cJSON_AddItemToArray(list, cJSON_CreateString(need->valuestring));
	}
	if (x->e->code != ERR_NONE) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

static cJSON *check_formula(struct ctx *x, const cJSON *value, const char *name, const char *version,
			    const char *description)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(value, "steps"), *s;
	struct place top = {NULL, 0, NULL}, steps_at = {NULL, 0, "steps"};
	const char *type, *phase;
	cJSON *out, *vars, *list;
	int n = 0;

	if (known_keys(x, value, formula_keys, &top, "formula") < 0 ||
	    opt_string(x, value, "type", 16, &top, "workflow", &type) < 0 ||
	    opt_string(x, value, "phase", 16, &top, "", &phase) < 0)
		return NULL;
	if (strcmp(type, "workflow") != 0) {
		struct place pl = {NULL, 0, "type"};

		fault(x->e, line_near(x->src, &pl), "unsupported",
		      "type '%s' is not supported: the registry runs workflow formulas", type);
		return NULL;
	}
	if (!cJSON_IsArray(steps) || cJSON_GetArraySize(steps) == 0) {
		fault(x->e, steps ? line_near(x->src, &steps_at) : 0, steps ? "type" : "missing",
		      "a formula has its steps as [[steps]] tables, at least one");
		return NULL;
	}
	if (cJSON_GetArraySize(steps) > FORMULA_STEPS_MAX) {
		fault(x->e, 0, "too_many", "a formula has at most %d steps", FORMULA_STEPS_MAX);
		return NULL;
	}
	if (!(vars = check_vars(x, cJSON_GetObjectItemCaseSensitive(value, "vars"))))
		return NULL;
	out = cJSON_CreateObject();
	header(out, "formula", name, version, description);
	cJSON_AddStringToObject(out, "type", type);
	cJSON_AddStringToObject(out, "phase", phase);
	cJSON_AddItemToObject(out, "vars", vars);
	list = cJSON_AddArrayToObject(out, "steps");
	cJSON_ArrayForEach(s, steps) {
		cJSON *step = check_step(x, s, ++n, vars);

		if (!step)
			break;
		for (const cJSON *prev = list->child; prev; prev = prev->next)
			if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(prev, "id")),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(step, "id")))) {
				struct place pl = {"[[steps]]", n, "id"};

				fault(x->e, line_near(x->src, &pl), "duplicate", "two steps have the id '%s'",
				      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(step, "id")));
			}
		cJSON_AddItemToArray(list, step);
		if (x->e->code != ERR_NONE)
			break;
	}
	/* Each need names another step: checked once all the ids are known. */
	n = 0;
	for (s = x->e->code == ERR_NONE ? list->child : NULL; s; s = s->next) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id"));
		const cJSON *need;

		n++;
		cJSON_ArrayForEach(need, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			struct place pl = {"[[steps]]", n, "needs"};
			const cJSON *other;
			int found = 0;

			cJSON_ArrayForEach(other, list)
				found |= other != s && !strcmp(need->valuestring,
							       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(other, "id")));
			if (!found) {
				fault(x->e, line_near(x->src, &pl), "unknown_step",
				      strcmp(need->valuestring, id) ? "step '%s' needs '%.64s', which is not a step of this formula"
								    : "step '%s' needs itself ('%.64s')",
				      id, need->valuestring);
				break;
			}
		}
		if (x->e->code != ERR_NONE)
			break;
	}
	if (x->e->code == ERR_NONE)
		no_cycle(x, list, cJSON_GetArraySize(list));
	if (x->e->code != ERR_NONE) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* ---- agent configs ---------------------------------------------------------------------------- */

static int one_line(const char *s)
{
	return !strpbrk(s, "\r\n");
}

/* A list of strings, each valid (when valid is given) and at most len bytes, at most max of them. */
static int string_list(struct ctx *x, const cJSON *obj, const char *key, int max, size_t len, int (*valid)(const char *),
		       cJSON *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	struct place pl = {"[persona]", 1, key};
	cJSON *list = cJSON_AddArrayToObject(out, key);

	if (!v)
		return 0;
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > max)
		return fault(x->e, line_near(x->src, &pl), "type", "'%s' is a list of at most %d strings", key, max);
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it) || !*it->valuestring || strlen(it->valuestring) > len || (valid && !valid(it->valuestring)))
			return fault(x->e, line_near(x->src, &pl), "form", "'%s': '%.60s' is not allowed here", key,
				     cJSON_IsString(it) ? it->valuestring : "(not a string)");
		cJSON_AddItemToArray(list, cJSON_CreateString(it->valuestring));
	}
	return 0;
}

static cJSON *check_config(struct ctx *x, const cJSON *value, const char *name, const char *version,
			   const char *description)
{
	const cJSON *persona = cJSON_GetObjectItemCaseSensitive(value, "persona");
	struct place top = {NULL, 0, NULL}, area = {"[persona]", 1, NULL}, name_at = {NULL, 0, "config"};
	const char *runtime, *title, *overlay, *model;
	cJSON *out, *p;

	if (known_keys(x, value, config_keys, &top, "an agent config") < 0 ||
	    opt_string(x, value, "runtime", 32, &top, "", &runtime) < 0)
		return NULL;
	if (!persona_name_valid(name) || persona_builtin(name)) {
		fault(x->e, line_near(x->src, &name_at), "form",
		      persona_builtin(name) ? "'%s' is a built-in persona's name: a config takes a name of its own"
					    : "a config's name is its persona's: 1-40 of a-z, 0-9 and -, a letter first ('%.64s')",
		      name);
		return NULL;
	}
	if (*runtime && !town_runtime_valid(runtime)) {
		struct place pl = {NULL, 0, "runtime"};

		fault(x->e, line_near(x->src, &pl), "form", "'%.32s' is not a runtime the agent host runs", runtime);
		return NULL;
	}
	if (!cJSON_IsObject(persona)) {
		fault(x->e, line_near(x->src, &area), persona ? "type" : "missing",
		      "an agent config has a [persona] table (title, overlay, model, allowed_tools, denied_tools, gates)");
		return NULL;
	}
	if (known_keys(x, persona, persona_keys, &area, "[persona]") < 0 ||
	    opt_string(x, persona, "title", 80, &area, "", &title) < 0 ||
	    opt_string(x, persona, "overlay", PERSONA_OVERLAY_MAX, &area, "", &overlay) < 0 ||
	    opt_string(x, persona, "model", 100, &area, "", &model) < 0)
		return NULL;
	if (*model && !persona_model_valid(model)) {
		struct place pl = {"[persona]", 1, "model"};

		fault(x->e, line_near(x->src, &pl), "form", "'model' is a model name as the runtimes take it");
		return NULL;
	}
	out = cJSON_CreateObject();
	header(out, "config", name, version, description);
	cJSON_AddStringToObject(out, "runtime", runtime);
	p = cJSON_AddObjectToObject(out, "persona");
	cJSON_AddStringToObject(p, "title", title);
	cJSON_AddStringToObject(p, "overlay", overlay);
	cJSON_AddStringToObject(p, "model", model);
	if (string_list(x, persona, "allowed_tools", PERSONA_TOOLS_MAX, PERSONA_TOOL_MAX, persona_tool_valid, p) < 0 ||
	    string_list(x, persona, "denied_tools", PERSONA_TOOLS_MAX, PERSONA_TOOL_MAX, persona_tool_valid, p) < 0 ||
	    string_list(x, persona, "gates", PERSONA_GATES_MAX, 500, one_line, p) < 0) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

cJSON *package_check(struct err *e, const cJSON *value, const char *source)
{
	struct ctx x = {e, source ? source : ""};
	const cJSON *formula = cJSON_GetObjectItemCaseSensitive(value, "formula");
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(value, "config");
	const cJSON *named = formula ? formula : config;
	struct place name_at = {NULL, 0, formula ? "formula" : "config"};
	char version[80];
	const char *description;
	cJSON *out;

	if (!cJSON_IsObject(value)) {
		fault(e, 0, "type", "the file is not a TOML document");
		return NULL;
	}
	if (!named || (formula && config)) {
		fault(e, 0, named ? "ambiguous" : "missing",
		      named ? "a file is a formula or an agent config, not both" :
			      "the file names neither a formula (formula = \"name\") nor an agent config (config = \"name\")");
		return NULL;
	}
	if (!cJSON_IsString(named) || !package_name_valid(named->valuestring)) {
		fault(e, line_near(x.src, &name_at), "form",
		      "'%s' is a name: 1-64 of a-z, 0-9, - _ ., a letter or digit first", name_at.key);
		return NULL;
	}
	if (version_of(&x, value, version, sizeof version) < 0 ||
	    opt_string(&x, value, "description", DESCRIPTION_MAX, &(struct place){NULL, 0, NULL}, "", &description) < 0)
		return NULL;
	out = formula ? check_formula(&x, value, named->valuestring, version, description)
		      : check_config(&x, value, named->valuestring, version, description);
	if (!out && e->code == ERR_NONE)
		err_set(e, ERR_INTERNAL, NULL, "out of memory");
	return out;
}

/* ---- a run's steps ---------------------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* text with each {{name}} of values replaced; a reference to no value stays as it is. */
static char *substitute(const char *text, const cJSON *values)
{
	struct buf b = {0};
	const char *p = text;

	if (put(&b, "", 0) < 0)
		return NULL;
	for (const char *open; (open = strstr(p, "{{"));) {
		const char *end = strstr(open + 2, "}}"), *a = skip_space(open + 2), *z;
		const cJSON *v = NULL;
		char name[VAR_NAME_MAX + 1];

		if (!end)
			break;
		for (z = end; z > a && (z[-1] == ' ' || z[-1] == '\t'); z--)
			;
		if (z > a && (size_t)(z - a) <= VAR_NAME_MAX) {
			memcpy(name, a, (size_t)(z - a));
			name[z - a] = '\0';
			v = cJSON_GetObjectItemCaseSensitive(values, name);
		}
		if (put(&b, p, (size_t)(open - p)) < 0 ||
		    (v ? put(&b, v->valuestring, strlen(v->valuestring)) : put(&b, open, (size_t)(end + 2 - open))) < 0) {
			free(b.p);
			return NULL;
		}
		p = end + 2;
	}
	if (put(&b, p, strlen(p)) < 0) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

cJSON *formula_render(struct err *e, const cJSON *spec, const cJSON *vars)
{
	const cJSON *decl = cJSON_GetObjectItemCaseSensitive(spec, "vars"), *it;
	cJSON *values = cJSON_CreateObject(), *steps = cJSON_CreateArray();

	if (!values || !steps)
		goto oom;
	cJSON_ArrayForEach(it, vars) {
		int declared = 0;

		cJSON_ArrayForEach(decl, cJSON_GetObjectItemCaseSensitive(spec, "vars"))
			declared |= !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(decl, "name")), it->string);
		if (!declared) {
			err_set(e, ERR_INVALID, "vars", "the formula declares no variable '%.64s'", it->string);
			goto fail;
		}
		if (!cJSON_IsString(it) || strlen(it->valuestring) > FORMULA_VAR_MAX) {
			err_set(e, ERR_INVALID, "vars", "variable '%.64s' is a string of at most %d bytes", it->string,
				FORMULA_VAR_MAX);
			goto fail;
		}
	}
	cJSON_ArrayForEach(decl, cJSON_GetObjectItemCaseSensitive(spec, "vars")) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(decl, "name"));
		const cJSON *given = cJSON_GetObjectItemCaseSensitive(vars, name);
		const char *dflt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(decl, "default"));

		const cJSON *choices = cJSON_GetObjectItemCaseSensitive(decl, "enum"), *ch;

		if (given && choices) {
			int ok = 0;

			cJSON_ArrayForEach(ch, choices)
				ok |= !strcmp(ch->valuestring, given->valuestring);
			if (!ok) {
				err_set(e, ERR_INVALID, "vars", "variable '%s' is one of the formula's enum, not '%.60s'", name,
					given->valuestring);
				goto fail;
			}
		}
		if (!given && !dflt && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, "required"))) {
			err_set(e, ERR_INVALID, "vars", "variable '%s' is required: %.120s", name,
				cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(decl, "description")));
			goto fail;
		}
		cJSON_AddStringToObject(values, name, given ? given->valuestring : dflt ? dflt : "");
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(spec, "steps")) {
		char *title = substitute(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "title")), values);
		char *desc = substitute(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "description")), values);
		const char *acc_src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "acceptance"));
		char *acceptance = substitute(acc_src ? acc_src : "", values);
		const cJSON *gate = cJSON_GetObjectItemCaseSensitive(it, "gate");
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "type"));
		cJSON *s = cJSON_CreateObject();

		if (!title || !desc || !acceptance || !s) {
			free(title);
			free(desc);
			free(acceptance);
			cJSON_Delete(s);
			goto oom;
		}
		cJSON_AddItemToArray(steps, s);
		cJSON_AddStringToObject(s, "id", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id")));
		cJSON_AddStringToObject(s, "title", title);
		cJSON_AddStringToObject(s, "description", desc);
		cJSON_AddItemToObject(s, "needs", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(it, "needs"), 1));
		cJSON_AddStringToObject(s, "type", type ? type : "task");
		cJSON_AddStringToObject(s, "acceptance", acceptance);
		if (gate)
			cJSON_AddItemToObject(s, "gate", cJSON_Duplicate(gate, 1));
		free(acceptance);
		if (strlen(title) > STEP_TITLE_MAX || strlen(desc) > STEP_TEXT_MAX)
			err_set(e, ERR_INVALID, "vars", "with these variables step '%s' is longer than a bead takes",
				cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id")));
		free(title);
		free(desc);
		if (e->code != ERR_NONE)
			goto fail;
	}
	cJSON_Delete(values);
	return steps;
oom:
	err_set(e, ERR_INTERNAL, NULL, "out of memory");
fail:
	cJSON_Delete(values);
	cJSON_Delete(steps);
	return NULL;
}
