/*
 * api_debug.c - operator views of an object's storage: how many pages its database holds, how
 * many bytes that is in Durable Object storage (none while a fresh object still reads its schema
 * image), its schema version, and a digest of every page (free leaves by number only), so
 * a test can show that a rejected request left the state byte-for-byte as it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "mbedtls/sha256.h"
#include "sqlite3.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const unsigned char *page_data(struct call *c, sqlite3_stmt *st, int64_t pgno, int *n)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, pgno);
	if (db_step_row(c->db, st, &c->err) <= 0)
		return NULL;
	*n = sqlite3_column_bytes(st, 0);
	return sqlite3_column_blob(st, 0);
}

/* Marks the freelist's leaf pages in leaves (one bit per page), and sets *free_pages to the
 * header's count of free pages (offset 36 of page 1: PRAGMA freelist_count would say the same, but
 * the build leaves that pragma out with SQLITE_OMIT_SCHEMA_VERSION_PRAGMAS). SQLite takes a leaf
 * back into use without journaling its old bytes (they mean nothing), so a rolled-back transaction
 * may leave different garbage there: the digest covers what the database holds, not that garbage. */
static int free_leaves(struct call *c, int64_t pages, unsigned char *leaves, int64_t *free_pages)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT data FROM sqlite_dbpage WHERE pgno = ?", &c->err);
	const unsigned char *d;
	int64_t trunk, walked = 0;
	int n;

	if (!st)
		return -1;
	d = page_data(c, st, 1, &n);
	trunk = d && n >= 100 ? be32(d + 32) : 0;
	*free_pages = d && n >= 100 ? be32(d + 36) : 0;
	while (trunk > 0 && trunk <= pages && walked++ < pages) {
		uint32_t count;

		if (!(d = page_data(c, st, trunk, &n)) || n < 8)
			break;
		count = be32(d + 4);
		for (uint32_t i = 0; i < count && 8 + 4 * (size_t)i + 4 <= (size_t)n; i++) {
			uint32_t leaf = be32(d + 8 + 4 * i);

			if (leaf > 0 && leaf <= pages)
				leaves[leaf / 8] |= (unsigned char)(1u << (leaf % 8));
		}
		trunk = be32(d);
	}
	sqlite3_reset(st);
	return c->err.code ? -1 : 0;
}

/* SHA-256 over all pages in order (sqlite_dbpage), free leaves by number only, as lowercase hex
 * into out (65 bytes); *free_pages as free_leaves reads it. */
static int storage_digest(struct call *c, int64_t pages, char *out, int64_t *free_pages)
{
	sqlite3_stmt *st;
	mbedtls_sha256_context h;
	unsigned char d[32], *leaves = calloc((size_t)pages / 8 + 1, 1);
	int rc = -1;

	if (!leaves)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	if (free_leaves(c, pages, leaves, free_pages) < 0 ||
	    !(st = db_prepare(c->db, "SELECT pgno, data FROM sqlite_dbpage ORDER BY pgno", &c->err))) {
		free(leaves);
		return -1;
	}
	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		int64_t pgno = sqlite3_column_int64(st, 0);

		if (pgno > 0 && pgno <= pages && leaves[pgno / 8] & (1u << (pgno % 8)))
			mbedtls_sha256_update(&h, (const unsigned char *)"free", 4);
		else
			mbedtls_sha256_update(&h, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	}
	mbedtls_sha256_finish(&h, d);
	mbedtls_sha256_free(&h);
	free(leaves);
	if (rc < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

int api_debug_storage(struct call *c)
{
	int64_t page_size, pages, freelist = 0, timers, pending;
	double next_ms = 0;
	char digest[65];
	int version, from_image = 0;
	cJSON *d;

	if (db_query_int(c->db, "PRAGMA page_size", &page_size, &c->err) < 0 ||
	    db_query_int(c->db, "PRAGMA page_count", &pages, &c->err) < 0 ||
	    timer_count(c, &timers) < 0 || effect_pending_count(c, &pending) < 0 || timer_next_alarm(c, &next_ms) < 0 ||
	    migrate_version(c->db, &version, &c->err) < 0 || storage_digest(c, pages, digest, &freelist) < 0)
		return -1;
	if (sqlite3_file_control(db_handle(c->db), "main", ENG_FCNTL_FROM_IMAGE, &from_image) != SQLITE_OK)
		from_image = 0;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "kind", eng_kind_name(c->cfg->kind));
	cJSON_AddStringToObject(d, "id", c->cfg->object_id);
	cJSON_AddNumberToObject(d, "schema_version", version);
	cJSON_AddNumberToObject(d, "page_size", (double)page_size);
	cJSON_AddNumberToObject(d, "pages", (double)pages);
	cJSON_AddNumberToObject(d, "free_pages", (double)freelist);
	/* One storage row per page (the VFS block size equals the page size); a fresh object reads
	 * the build's schema image until its first write stores it. */
	cJSON_AddBoolToObject(d, "from_image", from_image);
	cJSON_AddNumberToObject(d, "bytes", from_image ? 0 : (double)(pages * page_size));
	cJSON_AddNumberToObject(d, "timers", (double)timers);
	cJSON_AddNumberToObject(d, "pending_effects", (double)pending);
	/* When the object will next act on its own (a timer, an effect's deadline): a test that wants
	 * it quiet waits past it. */
	cJSON_AddItemToObject(d, "next_alarm_ms", next_ms > 0 ? cJSON_CreateNumber(next_ms) : cJSON_CreateNull());
	cJSON_AddStringToObject(d, "digest", digest);
	cJSON_AddStringToObject(d, "sqlite_version", sqlite3_libversion());
	return call_reply(c, 200, d);
}
