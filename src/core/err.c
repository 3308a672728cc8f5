/*
 * err.c - the engine's closed set of error codes, their HTTP statuses and stable names.
 * Clients match on the name; the message is for humans and may change.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

static const struct {
	int status;
	const char *name;
} codes[] = {
	[ERR_NONE] = {200, "ok"},
	[ERR_BAD_JSON] = {400, "bad_json"},
	[ERR_INVALID] = {400, "invalid"},
	[ERR_UNAUTHENTICATED] = {401, "unauthenticated"},
	[ERR_FORBIDDEN] = {403, "forbidden"},
	[ERR_NOT_FOUND] = {404, "not_found"},
	[ERR_METHOD] = {405, "method_not_allowed"},
	[ERR_CONFLICT] = {409, "conflict"},
	[ERR_TOO_LARGE] = {413, "too_large"},
	[ERR_RATE_LIMITED] = {429, "rate_limited"},
	[ERR_INTERNAL] = {500, "internal"},
};

int err_set(struct err *e, enum err_code code, const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->code != ERR_NONE)
		return -1;
	e->code = code;
	/* Both are answered as JSON strings: cut to fit between characters, so the answer stays
	 * valid UTF-8 when a long name is quoted in it. */
	utf8_copy(e->field, sizeof e->field, field ? field : "");
	va_start(ap, fmt);
	n = vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof e->message)
		e->message[utf8_trim(e->message, sizeof e->message - 1)] = '\0';
	return -1;
}

int err_take(struct err *e, enum err_code code)
{
	if (code == ERR_NONE || e->code != code)
		return 0;
	/* All of it: a field or reason left behind would be reported with the next error. */
	memset(e, 0, sizeof *e);
	return 1;
}

void err_move(struct err *to, struct err *from)
{
	*to = *from;
	memset(from, 0, sizeof *from);
}

int err_http_status(enum err_code code)
{
	return codes[code].status;
}

const char *err_name(enum err_code code)
{
	return codes[code].name;
}
