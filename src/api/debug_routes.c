/*
 * api_debug.c - operator views of an object's storage: how many pages its database holds, how
 * many bytes that is in Durable Object storage (none while a fresh object still reads its schema
 * image), its schema version, and a digest of every page, so
 * a test can show that a rejected request left the state byte-for-byte as it was.
 */
#include <stdio.h>

#include "api/api.h"
#include "mbedtls/sha256.h"
#include "sqlite3.h"

/* SHA-256 over all pages in order (sqlite_dbpage), as lowercase hex into out (65 bytes). */
static int storage_digest(struct call *c, char *out)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT data FROM sqlite_dbpage ORDER BY pgno", &c->err);
	mbedtls_sha256_context h;
	unsigned char d[32];
	int rc;

	if (!st)
		return -1;
	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	while ((rc = db_step_row(c->db, st, &c->err)) > 0)
		mbedtls_sha256_update(&h, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	mbedtls_sha256_finish(&h, d);
	mbedtls_sha256_free(&h);
	if (rc < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

int api_debug_storage(struct call *c)
{
	static const char *const kinds[] = {"worker", "town", "org", "user"};
	int64_t page_size, pages, freelist, timers, pending;
	char digest[65];
	int version, from_image = 0;
	cJSON *d;

	if (db_query_int(c->db, "PRAGMA page_size", &page_size, &c->err) < 0 ||
	    db_query_int(c->db, "PRAGMA page_count", &pages, &c->err) < 0 ||
	    db_query_int(c->db, "PRAGMA freelist_count", &freelist, &c->err) < 0 ||
	    timer_count(c, &timers) < 0 || effect_pending_count(c, &pending) < 0 ||
	    migrate_version(c->db, &version, &c->err) < 0 || storage_digest(c, digest) < 0)
		return -1;
	if (sqlite3_file_control(db_handle(c->db), "main", ENG_FCNTL_FROM_IMAGE, &from_image) != SQLITE_OK)
		from_image = 0;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "kind", kinds[c->cfg->kind]);
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
	cJSON_AddStringToObject(d, "digest", digest);
	cJSON_AddStringToObject(d, "sqlite_version", sqlite3_libversion());
	return call_reply(c, 200, d);
}
