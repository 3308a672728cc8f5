/*
 * iso_time.c - RFC 3339 times as other systems write them ("2025-12-16T13:26:47.117226-08:00",
 * "2026-12-06T04:05:06Z") and the engine's epoch milliseconds, both ways. The engine keeps time
 * as numbers; text is for what comes from or goes to the outside (platform answers, bd's JSONL).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int64_t civil_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_date(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* n digits at s into *out; 0 when they are not all digits. */
static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		*out = *out * 10 + (s[i] - '0');
	}
	return 1;
}

int iso_time_ms(const char *s, double *ms)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	double frac = 0;
	const char *p;

	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	p = s + 19;
	if (*p == '.') {
		double scale = 0.1;

		if (!isdigit((unsigned char)*++p))
			return 0;
		for (; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return 0;
		p += 6;
	} else {
		return 0;
	}
	if (*p)
		return 0;
	/* Whole milliseconds, the engine's unit: a microsecond part is kept only in the text. */
	*ms = floor(((double)civil_days(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec + frac -
		     sign * (oh * 3600.0 + om * 60.0)) * 1000.0 + 1e-6);
	return 1;
}

void iso_time_format(double ms, char out[32])
{
	long long total = (long long)(ms >= 0 ? ms : ms - 999) / 1000, days, secs;
	int msec = (int)((long long)ms - total * 1000), y, m, d;

	days = (total >= 0 ? total : total - 86399) / 86400;
	secs = total - days * 86400;
	civil_date(days, &y, &m, &d);
	char buf[96];

	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, (int)(secs / 3600),
		 (int)(secs % 3600 / 60), (int)(secs % 60), msec);
	snprintf(out, 32, "%.31s", buf);
}
