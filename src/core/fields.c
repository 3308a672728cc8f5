/*
 * fields.c - request bodies read from declarative tables (struct field_rule, core.h): one walk
 * checks presence, type, bounds, allowed values and nested items, so every route reports a fault
 * the same way and every limit is written once. What a field means is the handler's and the
 * domain's; this file knows only shapes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

/* Where the walk is: the rule of the value being checked, the error's field, the array index. */
struct at {
	const struct at *up; /* the enclosing value, or NULL at the top */
	const struct field_rule *rule;
	const char *field; /* template (it may hold %i) */
	int index;         /* the value's index in its array, or -1 */
};

static const char *generic(const struct field_rule *r, enum field_fault f)
{
	static const char *const type_msg[] = {
		[FT_STRING] = "'%n' must be a string",
		[FT_INT] = "'%n' must be a number",
		[FT_NUMBER] = "'%n' must be a number",
		[FT_BOOL] = "'%n' must be a boolean",
		[FT_OBJECT] = "'%n' must be an object",
		[FT_ARRAY] = "'%n' must be an array",
		[FT_SCALAR] = "'%n' must be a string, number, boolean or null",
		[FT_ANY] = "",
	};

	switch (f) {
	case FF_MISSING:
		return "'%n' is required";
	case FF_TYPE:
		return type_msg[r->type];
	case FF_SHORT:
		return r->min == 1 ? "'%n' must not be empty" : "'%n' is shorter than %l characters";
	case FF_LONG:
		return "'%n' is longer than %u characters";
	case FF_RANGE:
		return r->type == FT_INT ? "'%n' must be an integer from %l to %u" : "'%n' is a number from %l to %u";
	case FF_ENUM:
		return "'%n' is %e";
	case FF_FEW:
		return "'%n' needs at least %l items";
	case FF_MANY:
		return "'%n' has more than %u items";
	case FF_DUP:
		return "'%n' has '%v' more than once";
	case FF_BIG:
		return "'%n' is larger than %u bytes";
	default:
		return "'%n' is not valid";
	}
}

/* Append s to out[len] at *o, cut when it does not fit. */
static void put(char *out, size_t len, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (n > len - 1 - *o)
		n = len - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
}

/* Expand a message template into out[len] (len > 0; always terminated, cut when it does not fit). */
static void expand(char *out, size_t len, const char *t, const char *name, const struct field_rule *r,
		   const char *value, int index)
{
	char num[24];
	size_t o = 0;

	for (; *t; t++) {
		if (*t != '%' || !t[1]) {
			char ch[2] = {*t, '\0'};

			put(out, len, &o, ch);
			continue;
		}
		switch (*++t) {
		case 'n':
			put(out, len, &o, name);
			break;
		case 'v':
			put(out, len, &o, value ? value : "");
			break;
		case 'i':
			snprintf(num, sizeof num, "%d", index);
			put(out, len, &o, num);
			break;
		case 'l':
		case 'u':
			snprintf(num, sizeof num, "%lld", (long long)(*t == 'l' ? r->min : r->max));
			put(out, len, &o, num);
			break;
		case 'e':
			for (size_t k = 0; r->one_of && r->one_of[k]; k++) {
				put(out, len, &o, k == 0 ? "" : r->one_of[k + 1] ? ", " : " or ");
				put(out, len, &o, r->one_of[k]);
			}
			break;
		default: {
			char ch[2] = {*t, '\0'};

			put(out, len, &o, ch);
			break;
		}
		}
	}
	out[o] = '\0';
}

/* Report fault f of the value at `at`: the rule's own message for it, else the nearest FF_ANY
 * message on the way up, else the generic one. */
static int fault(const struct at *at, enum field_fault f, const char *value, struct err *e)
{
	const struct at *owner = at;
	const char *t = at->rule->msg[f] ? at->rule->msg[f] : at->rule->msg[FF_ANY];
	char field[64], msg[512];
	int index = -1;

	for (const struct at *u = at->up; !t && u; u = u->up)
		if ((t = u->rule->msg[FF_ANY]))
			owner = u;
	if (!t)
		t = generic(at->rule, f);
	/* %i: the index of the nearest array item at or above what the message speaks of. */
	for (const struct at *u = owner; u && index < 0; u = u->up)
		index = u->index;
	expand(field, sizeof field, at->field, "", at->rule, NULL, index);
	expand(msg, sizeof msg, t, owner->rule->name ? owner->rule->name : field, owner->rule, value, index);
	/* A cut (a long value) may have split a character: drop what is left of it. */
	field[utf8_trim(field, strlen(field))] = '\0';
	msg[utf8_trim(msg, strlen(msg))] = '\0';
	return err_set(e, f == FF_MANY || f == FF_BIG ? ERR_TOO_LARGE : ERR_INVALID, field, "%s", msg);
}

static void store(void *out, const struct field_rule *r, const void *v, size_t n)
{
	if (out && r->out)
		memcpy((char *)out + r->out - 1, v, n);
}

int str_in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int check(const cJSON *v, const struct at *at, void *out, struct err *e);

/* Check each rule of f against its member of obj; values go to out (NULL: nowhere). */
static int check_members(const cJSON *obj, const struct fields *f, const struct at *up, void *out, struct err *e)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct field_rule *r = &f->rule[i];
		struct at at = {up, r, r->field ? r->field : up ? up->field : r->name, -1};

		if (check(cJSON_GetObjectItemCaseSensitive(obj, r->name), &at, out, e) < 0)
			return -1;
	}
	return 0;
}

static int check_string(const cJSON *v, const struct at *at, void *out, struct err *e)
{
	const struct field_rule *r = at->rule;
	const char *s = v->valuestring;
	size_t n;

	if (!cJSON_IsString(v))
		return fault(at, FF_TYPE, NULL, e);
	n = strlen(s);
	if (r->max && n > (uint64_t)r->max)
		return fault(at, FF_LONG, s, e);
	if (n < (uint64_t)r->min)
		return fault(at, FF_SHORT, s, e);
	if (r->one_of && !str_in_list(s, r->one_of))
		return fault(at, FF_ENUM, s, e);
	if (r->valid && !r->valid(s))
		return fault(at, FF_FORM, s, e);
	store(out, r, &s, sizeof s);
	return 0;
}

static int check_number(const cJSON *v, const struct at *at, void *out, struct err *e)
{
	const struct field_rule *r = at->rule;
	double d = v->valuedouble;

	if (!cJSON_IsNumber(v))
		return fault(at, FF_TYPE, NULL, e);
	if (r->type == FT_NUMBER) {
		if ((r->min || r->max) && (d < (double)r->min || d > (double)r->max))
			return fault(at, FF_RANGE, NULL, e);
		store(out, r, &d, sizeof d);
		return 0;
	}
	/* Compare as doubles before converting: out-of-range conversion is undefined behaviour, and
	 * (double)INT64_MAX rounds up to 2^63, which itself does not fit. */
	if (d != floor(d) || d < (double)r->min || d > (double)r->max || d >= 0x1p63 || d < -0x1p63)
		return fault(at, FF_RANGE, NULL, e);
	{
		int64_t i = (int64_t)d;

		store(out, r, &i, sizeof i);
	}
	return 0;
}

static int check_array(const cJSON *v, const struct at *at, void *out, struct err *e)
{
	const struct field_rule *r = at->rule;
	const cJSON *item;
	int n, i = 0;

	if (!cJSON_IsArray(v))
		return fault(at, FF_TYPE, NULL, e);
	n = cJSON_GetArraySize(v);
	if (r->max && n > r->max)
		return fault(at, FF_MANY, NULL, e);
	if (n < r->min)
		return fault(at, FF_FEW, NULL, e);
	cJSON_ArrayForEach(item, v) {
		struct at in = {at, r->of, r->of && r->of->field ? r->of->field : at->field, i};

		if (r->of && check(item, &in, NULL, e) < 0)
			return -1;
		if ((r->flags & FR_UNIQUE) && cJSON_IsString(item))
			for (const cJSON *prev = v->child; prev != item; prev = prev->next)
				if (cJSON_IsString(prev) && strcmp(prev->valuestring, item->valuestring) == 0)
					return fault(at, FF_DUP, item->valuestring, e);
		i++;
	}
	store(out, r, &v, sizeof v);
	return 0;
}

static int check_object(const cJSON *v, const struct at *at, void *out, struct err *e)
{
	const struct field_rule *r = at->rule;

	if (!cJSON_IsObject(v))
		return fault(at, FF_TYPE, NULL, e);
	if (r->of) {
		const cJSON *m;

		cJSON_ArrayForEach(m, v) {
			struct at in = {at, r->of, r->of->field ? r->of->field : at->field, -1};

			if (check(m, &in, NULL, e) < 0)
				return -1;
		}
	}
	if (r->fields && check_members(v, r->fields, at, NULL, e) < 0)
		return -1;
	if (r->max) {
		char *s = json_print(v);
		size_t n = s ? strlen(s) : 0;

		cJSON_free(s);
		if (!s)
			return err_set(e, ERR_INTERNAL, NULL, "out of memory");
		if (n > (uint64_t)r->max)
			return fault(at, FF_BIG, NULL, e);
	}
	store(out, r, &v, sizeof v);
	return 0;
}

static int check(const cJSON *v, const struct at *at, void *out, struct err *e)
{
	const struct field_rule *r = at->rule;
	int scalar = r->type == FT_STRING || r->type == FT_INT || r->type == FT_NUMBER;

	if (!v || (cJSON_IsNull(v) && (scalar || (r->flags & FR_NULL)))) {
		if ((r->flags & FR_REQUIRED) && !(v && (r->flags & FR_NULL)))
			return fault(at, FF_MISSING, NULL, e);
		if (r->flags & FR_DEFAULT) {
			if (r->type == FT_NUMBER) {
				double d = (double)r->def;

				store(out, r, &d, sizeof d);
			} else {
				store(out, r, &r->def, sizeof r->def);
			}
		}
		return 0;
	}
	switch (r->type) {
	case FT_STRING:
		return check_string(v, at, out, e);
	case FT_INT:
	case FT_NUMBER:
		return check_number(v, at, out, e);
	case FT_BOOL:
		if (!cJSON_IsBool(v))
			return fault(at, FF_TYPE, NULL, e);
		{
			int b = cJSON_IsTrue(v);

			store(out, r, &b, sizeof b);
		}
		return 0;
	case FT_OBJECT:
		return check_object(v, at, out, e);
	case FT_ARRAY:
		return check_array(v, at, out, e);
	case FT_SCALAR:
		if (cJSON_IsObject(v) || cJSON_IsArray(v))
			return fault(at, FF_TYPE, NULL, e);
		store(out, r, &v, sizeof v);
		return 0;
	case FT_ANY:
		store(out, r, &v, sizeof v);
		return 0;
	}
	return err_set(e, ERR_INTERNAL, NULL, "field '%s' has no type", r->name ? r->name : "");
}

int fields_read(const cJSON *obj, const struct fields *f, void *out, size_t out_size, struct err *e)
{
	/* A table and a struct that do not belong together would write past the struct. */
	if (out && out_size != f->size)
		return err_set(e, ERR_INTERNAL, NULL, "a field table read into the wrong struct");
	return check_members(obj, f, NULL, out, e);
}

const struct field_rule *fields_rule(const struct fields *f, const char *name)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (f->rule[i].name && strcmp(f->rule[i].name, name) == 0)
			return &f->rule[i];
	return NULL;
}

/* ---- the tables as JSON Schema -------------------------------------------------------------------- */

static void add_type(cJSON *o, const char *type, unsigned flags)
{
	if (flags & FR_NULL) {
		cJSON *t = cJSON_AddArrayToObject(o, "type");

		cJSON_AddItemToArray(t, cJSON_CreateString(type));
		cJSON_AddItemToArray(t, cJSON_CreateString("null"));
	} else {
		cJSON_AddStringToObject(o, "type", type);
	}
}

cJSON *fields_rule_schema(const struct field_rule *r)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	switch (r->type) {
	case FT_STRING:
		add_type(o, "string", r->flags);
		if (r->min > 0)
			cJSON_AddNumberToObject(o, "minLength", (double)r->min);
		if (r->max > 0)
			cJSON_AddNumberToObject(o, "maxLength", (double)r->max);
		if (r->one_of) {
			cJSON *e = cJSON_AddArrayToObject(o, "enum");

			for (const char *const *v = r->one_of; *v; v++)
				cJSON_AddItemToArray(e, cJSON_CreateString(*v));
		}
		break;
	case FT_INT:
	case FT_NUMBER:
		add_type(o, r->type == FT_INT ? "integer" : "number", r->flags);
		if (r->type == FT_INT || r->min || r->max) {
			cJSON_AddNumberToObject(o, "minimum", (double)r->min);
			cJSON_AddNumberToObject(o, "maximum", (double)r->max);
		}
		if (r->flags & FR_DEFAULT)
			cJSON_AddNumberToObject(o, "default", (double)r->def);
		break;
	case FT_BOOL:
		add_type(o, "boolean", r->flags);
		break;
	case FT_OBJECT:
		if (r->fields) {
			cJSON_Delete(o);
			o = fields_schema(r->fields);
			if (o && (r->flags & FR_NULL))
				cJSON_ReplaceItemInObject(o, "type", cJSON_CreateStringArray((const char *[]){"object", "null"}, 2));
		} else {
			add_type(o, "object", r->flags);
			if (r->of)
				cJSON_AddItemToObject(o, "additionalProperties", fields_rule_schema(r->of));
		}
		break;
	case FT_ARRAY:
		add_type(o, "array", r->flags);
		if (r->min > 0)
			cJSON_AddNumberToObject(o, "minItems", (double)r->min);
		if (r->max > 0)
			cJSON_AddNumberToObject(o, "maxItems", (double)r->max);
		if (r->flags & FR_UNIQUE)
			cJSON_AddBoolToObject(o, "uniqueItems", 1);
		if (r->of)
			cJSON_AddItemToObject(o, "items", fields_rule_schema(r->of));
		break;
	case FT_SCALAR:
		cJSON_AddItemToObject(o, "type",
				      cJSON_CreateStringArray((const char *[]){"string", "number", "boolean", "null"}, 4));
		break;
	case FT_ANY:
		break;
	}
	return o;
}

cJSON *fields_schema(const struct fields *f)
{
	cJSON *o = cJSON_CreateObject(), *props, *req;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "type", "object");
	props = cJSON_AddObjectToObject(o, "properties");
	req = cJSON_CreateArray();
	for (size_t i = 0; f && i < f->n; i++) {
		const struct field_rule *r = &f->rule[i];

		if (!r->name)
			continue;
		cJSON_AddItemToObject(props, r->name, fields_rule_schema(r));
		if (r->flags & FR_REQUIRED)
			cJSON_AddItemToArray(req, cJSON_CreateString(r->name));
	}
	if (cJSON_GetArraySize(req) > 0)
		cJSON_AddItemToObject(o, "required", req);
	else
		cJSON_Delete(req);
	return o;
}
