/*
 * test_schema_image.c - the compile-time schema images (wasm/schema_image.h) hold exactly what
 * running the migrations gives: the same schema, the same recorded versions, the same seeded rows,
 * and a file SQLite finds sound. A stale image (a migration changed, the image not rebuilt) fails
 * here before it reaches a fresh object.
 */
#include "harness.h"
#include "api/api.h"
#include "schema_image.h"
#include "sqlite3.h"

static const struct {
	enum eng_kind kind;
	const char *name;
} kinds[] = {{ENG_TOWN, "town"}, {ENG_ORG, "org"}, {ENG_USER, "user"}};

/* The image as a read-only in-memory database. */
static sqlite3 *open_image(const struct schema_image *im)
{
	sqlite3 *db = NULL;
	unsigned char *file = sqlite3_malloc64((sqlite3_uint64)im->pages * SCHEMA_IMAGE_PAGE);

	if (!file)
		return NULL;
	for (int i = 0; i < im->pages; i++)
		if (schema_image_page(im, i, file + (size_t)i * SCHEMA_IMAGE_PAGE) != 0) {
			sqlite3_free(file);
			return NULL;
		}
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_deserialize(db, "main", file, (sqlite3_int64)im->pages * SCHEMA_IMAGE_PAGE,
				(sqlite3_int64)im->pages * SCHEMA_IMAGE_PAGE,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* Every row of a query as one text, columns quoted, for comparing two databases. */
static char *dump(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3_str *out = sqlite3_str_new(db);

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_str_appendf(out, "error: %s", sqlite3_errmsg(db));
		return sqlite3_str_finish(out);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++)
			sqlite3_str_appendf(out, "%s%Q", c ? "|" : "", (const char *)sqlite3_column_text(st, c));
		sqlite3_str_appendchar(out, 1, '\n');
	}
	sqlite3_finalize(st);
	return sqlite3_str_finish(out);
}

static int same(sqlite3 *a, sqlite3 *b, const char *sql)
{
	/* An empty result is a NULL string from sqlite3_str_finish. */
	char *x = dump(a, sql), *y = dump(b, sql);
	int eq = strcmp(x ? x : "", y ? y : "") == 0;

	if (!eq)
		printf("# differs: %s\n# image:\n%s\n# migrations:\n%s\n", sql, x ? x : "", y ? y : "");
	sqlite3_free(x);
	sqlite3_free(y);
	return eq;
}

static void image_equals_migrations(void)
{
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		const struct schema_image *im = schema_image_for(kinds[k].name);
		struct err e = {0};
		struct db *migrated;
		sqlite3 *img;
		size_t n;
		const struct migration *m = migrations_for(kinds[k].kind, &n);
		int version = 0;
		char *check;

		CHECK(im != NULL);
		if (!im)
			continue;
		CHECK(n > 0 && im->version == m[n - 1].number);
		img = open_image(im);
		CHECK(img != NULL);
		migrated = db_open(t_fresh_db(), NULL, &e);
		CHECK(migrated != NULL);
		if (!img || !migrated) {
			sqlite3_close(img);
			db_close(migrated);
			continue;
		}
		CHECK(db_begin(migrated, &e) == 0);
		CHECK(migrate_apply(migrated, m, n, &version, &e) == 0);
		CHECK(db_commit(migrated, &e) == 0);

		check = dump(img, "PRAGMA integrity_check");
		CHECK(check && strcmp(check, "'ok'\n") == 0);
		sqlite3_free(check);
		CHECK(same(img, db_handle(migrated),
			   "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name"));
		CHECK(same(img, db_handle(migrated), "SELECT version, name FROM schema_migrations ORDER BY version"));
		CHECK(same(img, db_handle(migrated), "PRAGMA page_size"));
		/* The rows migrations seed (prices, counters), table by table. */
		{
			sqlite3_stmt *st;

			CHECK(sqlite3_prepare_v2(img, "SELECT name FROM sqlite_schema WHERE type = 'table'"
						      " AND name NOT LIKE 'sqlite_%' ORDER BY name",
						 -1, &st, NULL) == SQLITE_OK);
			while (sqlite3_step(st) == SQLITE_ROW) {
				char *q = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1",
							  (const char *)sqlite3_column_text(st, 0));

				CHECK(same(img, db_handle(migrated), q));
				sqlite3_free(q);
			}
			sqlite3_finalize(st);
		}
		sqlite3_close(img);
		db_close(migrated);
		t_cleanup();
	}
}

static void pages_and_lookups(void)
{
	const struct schema_image *town = schema_image_for("town");
	unsigned char page[SCHEMA_IMAGE_PAGE];

	CHECK(schema_image_for("worker") == NULL); /* stateless: no database */
	CHECK(schema_image_for("nope") == NULL);
	CHECK(schema_image_for(NULL) == NULL);
	CHECK(town && schema_image_page(town, 0, page) == 0);
	CHECK(memcmp(page, "SQLite format 3", 16) == 0);
	CHECK(town && schema_image_page(town, town->pages, page) == -1);
	CHECK(schema_image_page(town, -1, page) == -1);
}

/* A run that overflows its page, or stops short of it, is refused rather than read past. */
static void malformed_runs(void)
{
	static const unsigned char overflow[] = {0x00, 0x10, 0x01, 0x00, 0xaa};      /* 4096 zeros + 1 */
	static const unsigned char short_page[] = {0x00, 0x08, 0x00, 0x00};          /* 2048 zeros */
	static const unsigned char truncated[] = {0x00, 0x00, 0x05, 0x00, 0xaa, 0xbb}; /* 5 promised, 2 given */
	static const uint32_t at_overflow[] = {0, sizeof overflow};
	static const uint32_t at_short[] = {0, sizeof short_page};
	static const uint32_t at_truncated[] = {0, sizeof truncated};
	const struct schema_image bad[] = {
		{"x", 1, 1, overflow, at_overflow},
		{"x", 1, 1, short_page, at_short},
		{"x", 1, 1, truncated, at_truncated},
	};
	unsigned char page[SCHEMA_IMAGE_PAGE];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(schema_image_page(&bad[i], 0, page) == -1);
}

int main(void)
{
	RUN(image_equals_migrations);
	RUN(pages_and_lookups);
	RUN(malformed_runs);
	return t_done();
}
