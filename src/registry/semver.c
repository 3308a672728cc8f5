/*
 * semver.c - versions as semver.org 2.0.0 writes and orders them: MAJOR.MINOR.PATCH, an optional
 * pre-release after '-' that orders before its release. Build metadata ('+') is refused rather than
 * ignored: two versions that order the same would be two names for one published file.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"

/* A numeric part: digits without a leading zero, at most 9 of them (a long on every target). */
static int number(const char **s, long *out)
{
	const char *p = *s;
	size_t n = 0;

	while (isdigit((unsigned char)p[n]))
		n++;
	if (n == 0 || n > 9 || (n > 1 && p[0] == '0'))
		return 0;
	*out = strtol(p, NULL, 10);
	*s = p + n;
	return 1;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty, numeric ones without a leading zero. */
static int pre_valid(const char *s)
{
	for (;;) {
		size_t n = 0;
		int digits = 1;

		for (; s[n] && s[n] != '.'; n++) {
			if (!isalnum((unsigned char)s[n]) && s[n] != '-')
				return 0;
			digits &= isdigit((unsigned char)s[n]) != 0;
		}
		if (n == 0 || (digits && n > 1 && s[0] == '0'))
			return 0;
		if (!s[n])
			return 1;
		s += n + 1;
	}
}

int semver_parse(const char *s, struct semver *v)
{
	memset(v, 0, sizeof *v);
	if (!number(&s, &v->major) || *s++ != '.' || !number(&s, &v->minor) || *s++ != '.' || !number(&s, &v->patch))
		return 0;
	if (!*s)
		return 1;
	if (*s++ != '-' || strlen(s) >= sizeof v->pre || !pre_valid(s))
		return 0;
	strcpy(v->pre, s);
	return 1;
}

static int cmp_long(long a, long b)
{
	return (a > b) - (a < b);
}

/* Pre-release identifiers left to right: numbers numerically and before words, words in ASCII
 * order, and a shorter list before a longer one it starts. */
static int cmp_pre(const char *a, const char *b)
{
	for (;;) {
		size_t na = strcspn(a, "."), nb = strcspn(b, ".");
		int da = strspn(a, "0123456789") == na, db = strspn(b, "0123456789") == nb, r;

		if (da && db)
			r = na != nb ? cmp_long((long)na, (long)nb) : strncmp(a, b, na);
		else if (da != db)
			r = da ? -1 : 1;
		else {
			r = strncmp(a, b, na < nb ? na : nb);
			if (r == 0)
				r = cmp_long((long)na, (long)nb);
		}
		if (r)
			return r < 0 ? -1 : 1;
		a += na;
		b += nb;
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
		a++;
		b++;
	}
}

int semver_cmp(const struct semver *a, const struct semver *b)
{
	int r = cmp_long(a->major, b->major);

	if (!r)
		r = cmp_long(a->minor, b->minor);
	if (!r)
		r = cmp_long(a->patch, b->patch);
	if (r || (!a->pre[0] && !b->pre[0]))
		return r;
	if (!a->pre[0] || !b->pre[0])
		return a->pre[0] ? -1 : 1;
	return cmp_pre(a->pre, b->pre);
}
