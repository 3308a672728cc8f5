/*
 * query.c - the request's query string (?a=1&b=two), read one parameter at a time, decoded. A value
 * is refused when it decodes to NUL or to bytes that are not UTF-8.
 */
#include <string.h>

#include "core/core.h"

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	     : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Decode [s, end) into out ('+' is a space); -1 on a broken escape or when it does not fit. */
static int decode(const char *s, const char *end, char *out, size_t len)
{
	size_t o = 0;

	for (; s < end; s++) {
		char ch = *s;

		if (ch == '%') {
			int hi = s + 2 < end + 1 ? hexval(s[1]) : -1, lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			ch = (char)(hi * 16 + lo);
			s += 2;
		} else if (ch == '+') {
			ch = ' ';
		}
		if (o + 1 >= len)
			return -1;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

int query_get(struct call *c, const char *name, char *out, size_t len)
{
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(c->meta, "query");
	const char *p = cJSON_IsString(q) ? q->valuestring : "";
	size_t nlen = strlen(name);

	if (*p == '?')
		p++;
	while (*p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *kend = eq ? eq : end;

		if ((size_t)(kend - p) == nlen && strncmp(p, name, nlen) == 0) {
			if (decode(eq ? eq + 1 : end, end, out, len) < 0)
				return err_set(&c->err, ERR_INVALID, name,
					       "the query parameter '%s' is malformed or too long", name);
			if (utf8_check(out, strlen(out)) != strlen(out))
				return err_set(&c->err, ERR_INVALID, name,
					       "the query parameter '%s' is not valid UTF-8 once %%-decoded", name);
			return 1;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

int query_int(struct call *c, const char *name, int64_t min, int64_t max, int64_t *out)
{
	char buf[24];
	int64_t v = 0;
	int q = query_get(c, name, buf, sizeof buf);

	if (q <= 0)
		return q;
	/* Digits only, at most 15 of them: no sign, no overflow, no trailing junk. */
	if (!*buf || strspn(buf, "0123456789") != strlen(buf) || strlen(buf) > 15)
		return err_set(&c->err, ERR_INVALID, name, "'%s' is a number from %lld to %lld", name,
			       (long long)min, (long long)max);
	for (const char *p = buf; *p; p++)
		v = v * 10 + (*p - '0');
	if (v < min || v > max)
		return err_set(&c->err, ERR_INVALID, name, "'%s' is a number from %lld to %lld", name,
			       (long long)min, (long long)max);
	*out = v;
	return 1;
}

int query_bool(struct call *c, const char *name, int *out)
{
	char buf[8];
	int q = query_get(c, name, buf, sizeof buf);

	if (q <= 0)
		return q;
	if (strcmp(buf, "true") != 0 && strcmp(buf, "false") != 0)
		return err_set(&c->err, ERR_INVALID, name, "'%s' is true or false", name);
	*out = strcmp(buf, "true") == 0;
	return 1;
}

void query_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < len; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}
