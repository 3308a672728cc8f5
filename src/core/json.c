/*
 * json.c - typed reads of request fields over cJSON, so every handler reports a wrong type or a
 * missing field the same way: ERR_INVALID naming the field.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int json_string(const cJSON *obj, const char *name, int required, size_t max_len, const char **out,
		struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return err_set(e, ERR_INVALID, name, "'%s' is required", name);
		return 0;
	}
	if (!cJSON_IsString(v))
		return err_set(e, ERR_INVALID, name, "'%s' must be a string", name);
	if (strlen(v->valuestring) > max_len)
		return err_set(e, ERR_INVALID, name, "'%s' is longer than %zu characters", name, max_len);
	*out = v->valuestring;
	return 0;
}

int json_int(const cJSON *obj, const char *name, int required, int64_t min, int64_t max,
	     int64_t *out, struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	double d;

	if (!v || cJSON_IsNull(v)) {
		if (required)
			return err_set(e, ERR_INVALID, name, "'%s' is required", name);
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return err_set(e, ERR_INVALID, name, "'%s' must be a number", name);
	d = v->valuedouble;
	/* Compare as doubles before converting: out-of-range conversion is undefined behaviour, and
	 * (double)INT64_MAX rounds up to 2^63, which itself does not fit. */
	if (d != floor(d) || d < (double)min || d > (double)max || d >= 0x1p63 || d < -0x1p63)
		return err_set(e, ERR_INVALID, name, "'%s' must be an integer from %lld to %lld", name,
			       (long long)min, (long long)max);
	*out = (int64_t)d;
	return 0;
}

cJSON *json_parse_exact(const char *buf, size_t len)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(buf, len, &end, 0);

	if (!v)
		return NULL;
	/* cJSON stops after the first value; what follows it must be whitespace only. */
	for (const char *p = end; p < buf + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			cJSON_Delete(v);
			return NULL;
		}
	}
	return v;
}

/* ---- strict parsing of what clients send ---------------------------------------------------- */

/* Where in the tree something is: up to PATH_DEPTH names (an object member) or indexes (an array
 * element); deeper levels are counted but not named. */
#define PATH_DEPTH 16
struct json_path {
	int depth;
	struct {
		const char *name; /* NULL for an array element */
		size_t len;
		int index;
	} at[PATH_DEPTH];
};

/* A name's len when it is NUL-terminated (a key in the tree): measured only if an error names it. */
#define NAME_CSTR SIZE_MAX

/* Render path as "a.b[2].c" into out; "" for the root. */
static void path_format(const struct json_path *path, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int k = 0; k < path->depth && k < PATH_DEPTH && o + 1 < len; k++) {
		size_t nl = path->at[k].len == NAME_CSTR && path->at[k].name ? strlen(path->at[k].name) : path->at[k].len;
		int n = path->at[k].name ? snprintf(out + o, len - o, "%s%.*s", k ? "." : "", nl > len ? (int)len : (int)nl,
						    path->at[k].name)
					 : snprintf(out + o, len - o, "[%d]", path->at[k].index);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

enum text_problem { TEXT_OK, TEXT_NOT_JSON, TEXT_UTF8, TEXT_CONTROL, TEXT_NUL };

/* How many of the eight bytes at s need no look: none is >= 0x80, < 0x20, '"' or '\\'. Classic
 * word-at-a-time tests: each is exact about the first byte that matches (a borrow can only mark
 * bytes after it), so plain text costs a few instructions per eight bytes, not several per byte. */
static unsigned plain_prefix(const unsigned char *s)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t w, q, bs, mask;

	memcpy(&w, s, 8);
	q = w ^ (ones * '"');
	bs = w ^ (ones * '\\');
	mask = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs) | w) & highs;
	if (!mask)
		return 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (unsigned)__builtin_ctzll(mask) / 8; /* the first byte in memory is the lowest */
#else
	return 0;
#endif
}

/* One pass over JSON text that cJSON accepted, for what cJSON lets through: bytes that are not
 * UTF-8, raw control characters in strings (and outside them, where cJSON skips them as blanks),
 * and \u0000. Returns TEXT_OK, or the problem with *at its offset. */
static enum text_problem text_scan(const unsigned char *s, size_t len, size_t *at)
{
	int in_str = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char b;
		size_t k;

		/* Straight to the next byte that needs a look. */
		while (len - i >= 8) {
			unsigned n = plain_prefix(s + i);

			i += n;
			if (n < 8)
				break;
		}
		if (i >= len)
			break;
		b = s[i];
		if (b >= 0x80) {
			if (!(k = utf8_seq_len(s + i, len - i))) {
				*at = i;
				return TEXT_UTF8;
			}
			i += k - 1;
		} else if (b < 0x20) {
			if (in_str || (b != '\t' && b != '\n' && b != '\r')) {
				*at = i;
				return in_str ? TEXT_CONTROL : TEXT_NOT_JSON;
			}
		} else if (b == '"') {
			in_str = !in_str;
		} else if (b == '\\' && in_str && i + 1 < len) {
			/* cJSON checked the escapes: \uXXXX has four hex digits, the rest one letter. */
			if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0) {
				*at = i;
				return TEXT_NUL;
			}
			i += s[i + 1] == 'u' ? 5 : 1;
		}
	}
	return TEXT_OK;
}

/* The end of the string whose opening quote is at s[i]: the offset of its closing quote. */
static size_t string_end(const unsigned char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i;
}

/* Where offset `at` (inside a string) is, for the error: the path of the value holding it into
 * path, and whether that string is a key (then the path is of the object the key is in). Only on
 * the error path: a second walk over text that cJSON accepted. */
static int path_at(const unsigned char *s, size_t len, size_t at, struct json_path *path)
{
	/* Per open container: an object waiting for a key, or an array. */
	unsigned char want_key[PATH_DEPTH], is_obj[PATH_DEPTH];
	int depth = 0;

	path->depth = 0;
	for (size_t i = 0; i < len && i <= at; i++) {
		int top = depth - 1 < PATH_DEPTH ? depth - 1 : -1;

		switch (s[i]) {
		case '{':
		case '[':
			if (depth < PATH_DEPTH) {
				is_obj[depth] = s[i] == '{';
				want_key[depth] = s[i] == '{';
				path->at[depth].index = 0;
				path->at[depth].name = NULL;
			}
			depth++;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case ',':
			if (top >= 0 && is_obj[top])
				want_key[top] = 1;
			else if (top >= 0)
				path->at[top].index++;
			break;
		case ':':
			if (top >= 0)
				want_key[top] = 0;
			break;
		case '"': {
			size_t end = string_end(s, len, i);
			int is_key = top >= 0 && is_obj[top] && want_key[top];

			if (at <= end) {
				/* The string at fault: a key names no value yet; a value is its key's or index's. */
				path->depth = is_key ? depth - 1 : depth;
				return is_key;
			}
			if (is_key) {
				path->at[top].name = (const char *)s + i + 1;
				path->at[top].len = end - i - 1;
			}
			i = end;
			break;
		}
		}
	}
	path->depth = depth;
	return 0;
}

/* Report a problem of the text at offset `at` as ERR_INVALID naming the field it is in. */
static int text_problem_report(const unsigned char *s, size_t len, size_t at, enum text_problem p,
			       struct err *e)
{
	static const char *const what[] = {
		[TEXT_UTF8] = "is not valid UTF-8",
		[TEXT_CONTROL] = "has a control character that is not escaped",
		[TEXT_NUL] = "contains \\u0000, which is not allowed",
	};
	struct json_path path;
	char field[64];
	int is_key = path_at(s, len, at, &path);

	path_format(&path, field, sizeof field);
	if (is_key)
		return err_set(e, ERR_INVALID, *field ? field : NULL, "a key%s%s%s %s", *field ? " in '" : "", field,
			       *field ? "'" : "", what[p]);
	if (*field)
		return err_set(e, ERR_INVALID, field, "'%s' %s", field, what[p]);
	return err_set(e, ERR_INVALID, NULL, "the body %s", what[p]);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key of obj that appears twice, or NULL; *oom on allocation failure. Small objects
 * (nearly all) compare each pair; larger ones sort their keys, so a body of many keys stays
 * O(n log n). */
static const char *duplicate_key(const cJSON *obj, int *oom)
{
	const cJSON *a, *b;
	const char **keys, *dup = NULL;
	size_t n = 0;

	cJSON_ArrayForEach(a, obj)
		n++;
	if (n <= 16) {
		for (a = obj->child; a; a = a->next)
			for (b = a->next; b; b = b->next)
				if (strcmp(a->string, b->string) == 0)
					return a->string;
		return NULL;
	}
	if (!(keys = malloc(n * sizeof *keys))) {
		*oom = 1;
		return NULL;
	}
	n = 0;
	cJSON_ArrayForEach(a, obj)
		keys[n++] = a->string;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (size_t i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	return dup;
}

/* Walk the tree for an object with a key twice; ERR_INVALID naming the key's path. */
static int unique_keys(const cJSON *v, struct json_path *path, struct err *e)
{
	const cJSON *child;
	int oom = 0, index = 0;

	if (cJSON_IsObject(v)) {
		const char *dup = duplicate_key(v, &oom);

		if (oom)
			return err_set(e, ERR_INTERNAL, NULL, "out of memory");
		if (dup) {
			char field[64];

			if (path->depth < PATH_DEPTH)
				path->at[path->depth].name = dup, path->at[path->depth].len = NAME_CSTR;
			path->depth++;
			path_format(path, field, sizeof field);
			return err_set(e, ERR_INVALID, field, "the key '%s' appears twice", field);
		}
	} else if (!cJSON_IsArray(v)) {
		return 0;
	}
	cJSON_ArrayForEach(child, v) {
		index++;
		/* Only containers hold keys: scalars need no call. */
		if (!(child->type & (cJSON_Object | cJSON_Array)))
			continue;
		if (path->depth < PATH_DEPTH) {
			path->at[path->depth].name = child->string;
			path->at[path->depth].len = NAME_CSTR;
			path->at[path->depth].index = index - 1;
		}
		path->depth++;
		if (unique_keys(child, path, e) < 0)
			return -1;
		path->depth--;
	}
	return 0;
}

cJSON *json_parse_strict(const char *buf, size_t len, struct err *e)
{
	cJSON *v = json_parse_exact(buf, len);
	struct json_path path; /* only its first depth entries are ever read */
	enum text_problem p;
	size_t at = 0;

	if (!v) {
		err_set(e, ERR_BAD_JSON, NULL, "the body is not valid JSON");
		return NULL;
	}
	p = text_scan((const unsigned char *)buf, len, &at);
	if (p == TEXT_NOT_JSON)
		err_set(e, ERR_BAD_JSON, NULL, "the body is not valid JSON");
	else if (p != TEXT_OK)
		text_problem_report((const unsigned char *)buf, len, at, p, e);
	path.depth = 0;
	if (p != TEXT_OK || unique_keys(v, &path, e) < 0) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Room first: measuring into an empty buffer would format everything twice. */
	if (!sb->buf) {
		if (!(sb->buf = malloc(256)))
			return -1;
		sb->cap = 256;
		sb->len = 0;
	}
	for (;;) {
		size_t room = sb->cap - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, sb->buf ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if (sb->buf && (size_t)n < room) {
			sb->len += (size_t)n;
			return 0;
		}
		size_t cap = sb->cap ? sb->cap : 256;
		while (cap < sb->len + (size_t)n + 1)
			cap *= 2;
		char *grown = realloc(sb->buf, cap);
		if (!grown)
			return -1;
		sb->buf = grown;
		sb->cap = cap;
	}
}

char *json_print(const cJSON *v)
{
	/* Most envelopes fit in 1 KiB: one allocation instead of a chain of reallocs. */
	return cJSON_PrintBuffered(v, 1024, 0);
}
