/*
 * org.c - an organization: its one row, and the gate to it. Its members and their roles are
 * members.c's (towns share them). This file knows the rules, not HTTP: api_org.c maps routes onto
 * these functions.
 */
#include <stdio.h>
#include <string.h>

#include "org/org.h"
#include "sqlite3.h"

int org_exists(struct call *c, int *exists)
{
	int64_t n;

	if (db_query_int(c->db, "SELECT count(*) FROM org", &n, &c->err) < 0)
		return -1;
	*exists = n > 0;
	return 0;
}

int org_create(struct call *c, const char *id, const char *name)
{
	sqlite3_stmt *st;
	int exists;

	if (org_exists(c, &exists) < 0)
		return -1;
	if (exists)
		return member_create_taken(c, "org_id", "organization");
	st = db_prepare(c->db, "INSERT INTO org(id, name, created_by, created_ms, updated_ms)"
			       " VALUES (?, ?, ?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	sqlite3_bind_double(st, 5, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	/* The creator is the first owner. */
	if (member_put(c, c->who.id, ROLE_OWNER, c->who.name, c->who.email) < 0)
		return -1;
	return org_registry_update(c, c->who.id, "owner");
}

int org_rename(struct call *c, const char *name)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE org SET name = ?, updated_ms = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	/* Registries show the name: tell every member's. */
	{
		cJSON *members = members_json(c), *m;
		int rc = members ? 0 : -1;

		cJSON_ArrayForEach(m, members)
			if (rc == 0)
				rc = org_registry_update(c, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "user_id")),
							 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role")));
		cJSON_Delete(members);
		return rc;
	}
}

cJSON *org_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, name, created_by, created_ms, share_stats FROM org", &c->err);
	cJSON *o;

	if (!st)
		return NULL;
	if (db_step_row(c->db, st, &c->err) <= 0) {
		err_set(&c->err, ERR_INTERNAL, NULL, "read org: no org");
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(o, "created_by", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddNumberToObject(o, "created_ms", sqlite3_column_double(st, 3));
	cJSON_AddBoolToObject(o, "share_stats", sqlite3_column_int(st, 4));
	sqlite3_reset(st);
	return o;
}

int org_share_stats(struct call *c)
{
	int64_t on = 1;

	return db_query_int(c->db, "SELECT share_stats FROM org", &on, &c->err) < 0 ? -1 : on != 0;
}

int org_set_share_stats(struct call *c, int on)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE org SET share_stats = ?1, updated_ms = ?2 WHERE share_stats <> ?1",
				      &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, on != 0);
	sqlite3_bind_double(st, 2, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return sqlite3_changes(db_handle(c->db)) ? org_members_push(c) : 0;
}

int org_require(struct call *c, enum role min, enum role *caller)
{
	int exists;

	if (org_exists(c, &exists) < 0)
		return -1;
	return member_require(c, exists, min, caller, "org_id", "organization");
}

int org_name(struct call *c, char *out, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT name FROM org", &c->err);
	int found;

	if (!st || (found = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (found)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return found;
}
