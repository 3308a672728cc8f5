/*
 * utf8.c - UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800-U+DFFF), nothing
 * above U+10FFFF. Text the engine stores or answers with must be valid, so every way text comes in
 * (request bodies, path segments, query parameters) is checked with these, and text the engine cuts
 * to fit a buffer is cut between characters, never inside one.
 */
#include <stdint.h>
#include <string.h>

#include "core/core.h"

size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char b = p[0], lo = 0x80, hi = 0xBF;

	if (b < 0x80)
		return 1;
	/* 80-BF continue a sequence; C0 and C1 could only start an overlong one; F5-FF go past
	 * U+10FFFF. */
	if (b < 0xC2 || b > 0xF4)
		return 0;
	if (b < 0xE0)
		return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	/* The second byte's range is narrower after E0 (overlong), ED (surrogates), F0 (overlong)
	 * and F4 (past U+10FFFF). */
	if (b == 0xE0)
		lo = 0xA0;
	else if (b == 0xED)
		hi = 0x9F;
	else if (b == 0xF0)
		lo = 0x90;
	else if (b == 0xF4)
		hi = 0x8F;
	if (b < 0xF0)
		return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
	return avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
}

size_t utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k;
		uint64_t w;

		/* Nearly all text is ASCII: eight bytes at a time while no high bit is set. */
		if (n - i >= 8 && (memcpy(&w, p + i, 8), !(w & 0x8080808080808080ULL))) {
			i += 8;
			continue;
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (!(k = utf8_seq_len(p + i, n - i)))
			return i;
		i += k;
	}
	return n;
}

size_t utf8_trim(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = n, need;

	/* Back over at most three continuation bytes to the lead byte of the last character. */
	while (start > 0 && n - start < 3 && (p[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0 || p[start - 1] < 0xC0)
		return n; /* ASCII last, or no lead byte in reach: nothing to cut */
	start--;
	need = p[start] >= 0xF0 ? 4 : p[start] >= 0xE0 ? 3 : 2;
	return n - start < need ? start : n;
}

void utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (cap == 0)
		return;
	if (n >= cap)
		n = utf8_trim(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}
