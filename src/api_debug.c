/*
 * api_debug.c - operator views of an object's storage: how many pages the town's database holds,
 * how many bytes that is in Durable Object storage, and which schema version it is at.
 */
#include "internal.h"
#include "sqlite3.h"

int api_debug_storage(struct call *c)
{
	int64_t page_size, pages, freelist, timers, pending;
	int version;
	cJSON *d;

	if (db_query_int(c->db, "PRAGMA page_size", &page_size, &c->err) < 0 ||
	    db_query_int(c->db, "PRAGMA page_count", &pages, &c->err) < 0 ||
	    db_query_int(c->db, "PRAGMA freelist_count", &freelist, &c->err) < 0 ||
	    db_query_int(c->db, "SELECT count(*) FROM timers", &timers, &c->err) < 0 ||
	    db_query_int(c->db, "SELECT count(*) FROM effects WHERE state = 'pending'", &pending,
			 &c->err) < 0 ||
	    migrate_version(c->db, &version, &c->err) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "town_id", c->cfg->object_id);
	cJSON_AddNumberToObject(d, "schema_version", version);
	cJSON_AddNumberToObject(d, "page_size", (double)page_size);
	cJSON_AddNumberToObject(d, "pages", (double)pages);
	cJSON_AddNumberToObject(d, "free_pages", (double)freelist);
	/* One storage row per page (the VFS block size equals the page size). */
	cJSON_AddNumberToObject(d, "bytes", (double)(pages * page_size));
	cJSON_AddNumberToObject(d, "timers", (double)timers);
	cJSON_AddNumberToObject(d, "pending_effects", (double)pending);
	cJSON_AddStringToObject(d, "sqlite_version", sqlite3_libversion());
	return call_reply(c, 200, d);
}
