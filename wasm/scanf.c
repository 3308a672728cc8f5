/*
 * scanf.c - the one scanf the engine's wasm needs. cJSON prints a double with %1.15g and reads it
 * back with sscanf("%lg") to see whether it round-trips (else it prints %1.17g); nothing else of
 * ours scans. libc's sscanf brings all of vfscanf with it (about 4 KB of the gzipped wasm), so this
 * one answers that form with strtod. Any other format matches nothing (returns 0): a new use would
 * fail its own tests rather than quietly link the whole scanf back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sscanf(const char *restrict s, const char *restrict fmt, ...)
{
	va_list ap;
	char *end;
	double d;

	if (strcmp(fmt, "%lg") != 0)
		return 0;
	d = strtod(s, &end);
	if (end == s)
		return *s ? 0 : EOF;
	va_start(ap, fmt);
	*va_arg(ap, double *) = d;
	va_end(ap);
	return 1;
}
