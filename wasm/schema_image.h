/*
 * schema_image.h - the database file a fresh object starts from, built at compile time by running
 * every migration of its kind natively (tools/schema-image.c). A fresh object reads its schema from
 * the image instead of executing fourteen migrations of SQL in a wasm module V8 has not yet
 * optimised; the first write copies the image into storage, after which the object never depends
 * on the image again (a later build's image may differ).
 *
 * Pages are stored as runs, zeros elided: SQLite pages of a new schema are mostly empty.
 * Each page is a sequence of (u16 zeros, u16 literal length, literal bytes), little-endian,
 * together covering SCHEMA_IMAGE_PAGE bytes.
 */
#ifndef GASTOWN_SCHEMA_IMAGE_H
#define GASTOWN_SCHEMA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define SCHEMA_IMAGE_PAGE 4096

struct schema_image {
	const char *kind;              /* "town", "org", "user" */
	int version;                   /* the last migration it holds */
	int pages;
	const unsigned char *runs;
	const uint32_t *page_at;       /* pages + 1 offsets into runs */
};

/* The image of a kind, or NULL. Generated: build/gen/schema_image_gen.c. */
const struct schema_image *schema_image_for(const char *kind);

/* Page no (0-based) into out[SCHEMA_IMAGE_PAGE]. Returns 0, or -1 for a page out of range or a
 * malformed run (which would be a build fault). */
int schema_image_page(const struct schema_image *im, int no, unsigned char *out);

#endif
