/*
 * user.c - a person's registry (the UserDO): the towns they can see, kept current by the towns
 * themselves through effects. Reading it is one query; nothing here decides access to a town —
 * the town does that on every request.
 */
#include "org/org.h"
#include "sqlite3.h"

int user_town_put(struct call *c, const char *town_id, const struct registry_entry *e)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO my_towns(town_id, name, role, owner_kind, owner_id, updated_ms)"
			       " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(town_id) DO UPDATE SET"
			       " name = excluded.name, role = excluded.role, owner_kind = excluded.owner_kind,"
			       " owner_id = excluded.owner_id, updated_ms = excluded.updated_ms", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, town_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->owner_kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->owner_id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int user_town_delete(struct call *c, const char *town_id)
{
	sqlite3_stmt *st = db_prepare(c->db, "DELETE FROM my_towns WHERE town_id = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, town_id, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

static cJSON *my_town_json(sqlite3_stmt *st)
{
	cJSON *t = cJSON_CreateObject(), *owner;

	cJSON_AddStringToObject(t, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(t, "name", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(t, "role", (const char *)sqlite3_column_text(st, 2));
	owner = cJSON_AddObjectToObject(t, "owner");
	cJSON_AddStringToObject(owner, "kind", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddStringToObject(owner, "id", (const char *)sqlite3_column_text(st, 4));
	return t;
}

cJSON *user_towns_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT town_id, name, role, owner_kind, owner_id FROM my_towns ORDER BY name, town_id",
		&c->err);

	return db_list(c->db, st, my_town_json, &c->err);
}

int user_org_put(struct call *c, const char *org_id, const struct registry_entry *e)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO my_orgs(org_id, name, role, updated_ms) VALUES (?, ?, ?, ?)"
			       " ON CONFLICT(org_id) DO UPDATE SET name = excluded.name, role = excluded.role,"
			       " updated_ms = excluded.updated_ms", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->role, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int user_org_delete(struct call *c, const char *org_id)
{
	sqlite3_stmt *st = db_prepare(c->db, "DELETE FROM my_orgs WHERE org_id = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

static cJSON *my_org_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(o, "role", (const char *)sqlite3_column_text(st, 2));
	return o;
}

cJSON *user_orgs_json(struct call *c)
{
	return db_list(c->db, db_prepare(c->db, "SELECT org_id, name, role FROM my_orgs ORDER BY name, org_id", &c->err),
		       my_org_json, &c->err);
}
