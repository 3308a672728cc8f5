/*
 * json.c - typed reads of request fields over cJSON, so every handler reports a wrong type or a
 * missing field the same way: ERR_INVALID naming the field.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
