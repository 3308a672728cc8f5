/*
 * org.c - an organization and its members. Roles are ordered: owner > admin > member > viewer; an
 * org always keeps at least one owner. This file knows the rules, not HTTP: api_org.c maps routes
 * onto these functions.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "sqlite3.h"

static const char *const role_names[] = {
	[ROLE_NONE] = "none", [ROLE_VIEWER] = "viewer", [ROLE_MEMBER] = "member",
	[ROLE_ADMIN] = "admin", [ROLE_OWNER] = "owner",
};

const char *role_name(enum role r)
{
	return role_names[r];
}

enum role role_parse(const char *s)
{
	for (int r = ROLE_VIEWER; r <= ROLE_OWNER; r++)
		if (s && strcmp(s, role_names[r]) == 0)
			return (enum role)r;
	return ROLE_NONE;
}

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
		return err_set(&c->err, ERR_CONFLICT, "org_id", "the organization '%s' already exists", id);
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
	return org_member_put(c, c->who.id, ROLE_OWNER, c->who.name, c->who.email);
}

int org_rename(struct call *c, const char *name)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE org SET name = ?, updated_ms = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

cJSON *org_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, name, created_by, created_ms FROM org", &c->err);
	cJSON *o;

	if (!st)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		db_fail(c->db, &c->err, "read org");
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(o, "created_by", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddNumberToObject(o, "created_ms", sqlite3_column_double(st, 3));
	sqlite3_reset(st);
	return o;
}

int org_member_role(struct call *c, const char *user_id, enum role *out)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT role FROM members WHERE user_id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	*out = ROLE_NONE;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = role_parse((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(c->db, &c->err, "read member");
}

int org_require(struct call *c, enum role min, enum role *caller)
{
	int exists;

	if (org_exists(c, &exists) < 0 || (exists && org_member_role(c, c->who.id, caller) < 0))
		return -1;
	/* An outsider learns nothing, not even that the organization exists. */
	if (!exists || *caller == ROLE_NONE)
		return err_set(&c->err, ERR_NOT_FOUND, "org_id", "no such organization");
	if (*caller < min)
		return err_set(&c->err, ERR_FORBIDDEN, NULL, "this needs the %s role; you are %s",
			       role_name(min), role_name(*caller));
	return 0;
}

static int owner_count(struct call *c, int64_t *n)
{
	return db_query_int(c->db, "SELECT count(*) FROM members WHERE role = 'owner'", n, &c->err);
}

int org_member_put(struct call *c, const char *user_id, enum role role, const char *name,
		   const char *email)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO members(user_id, role, name, email, added_by, added_ms, updated_ms)"
		" VALUES (?, ?, coalesce(?, ''), coalesce(?, ''), ?, ?, ?)"
		" ON CONFLICT(user_id) DO UPDATE SET role = excluded.role,"
		" name = coalesce(?3, members.name), email = coalesce(?4, members.email),"
		" updated_ms = excluded.updated_ms", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role_name(role), -1, SQLITE_STATIC);
	if (name)
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (email)
		sqlite3_bind_text(st, 4, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	sqlite3_bind_double(st, 7, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int org_member_change(struct call *c, enum role caller, const char *user_id, enum role role,
		      const char *name, const char *email)
{
	enum role current;
	int64_t owners;

	if (org_member_role(c, user_id, &current) < 0 || owner_count(c, &owners) < 0)
		return -1;
	/* Admins manage members and viewers; only owners grant, change or take away ownership
	 * and the admin role. */
	if (caller < ROLE_OWNER && (role >= ROLE_ADMIN || current >= ROLE_ADMIN))
		return err_set(&c->err, ERR_FORBIDDEN, "role",
			       "only an owner can grant or change the %s role",
			       role_name(role >= current ? role : current));
	if (current == ROLE_OWNER && role != ROLE_OWNER && owners <= 1)
		return err_set(&c->err, ERR_CONFLICT, "role", "an organization keeps at least one owner");
	if (current == ROLE_NONE) {
		int64_t n;

		if (db_query_int(c->db, "SELECT count(*) FROM members", &n, &c->err) < 0)
			return -1;
		if (n >= ORG_MEMBERS_MAX)
			return err_set(&c->err, ERR_TOO_LARGE, "user_id",
				       "an organization has at most %d members", ORG_MEMBERS_MAX);
	}
	return org_member_put(c, user_id, role, name, email);
}

int org_member_remove(struct call *c, enum role caller, const char *user_id)
{
	sqlite3_stmt *st;
	enum role current;
	int64_t owners;

	if (org_member_role(c, user_id, &current) < 0 || owner_count(c, &owners) < 0)
		return -1;
	if (current == ROLE_NONE)
		return err_set(&c->err, ERR_NOT_FOUND, "user_id", "'%s' is not a member", user_id);
	/* Anyone may leave; removing someone else needs admin, and an admin or owner needs owner. */
	if (strcmp(user_id, c->who.id) != 0 &&
	    (caller < ROLE_ADMIN || (current >= ROLE_ADMIN && caller < ROLE_OWNER)))
		return err_set(&c->err, ERR_FORBIDDEN, NULL, "you cannot remove a %s",
			       role_name(current));
	if (current == ROLE_OWNER && owners <= 1)
		return err_set(&c->err, ERR_CONFLICT, "user_id", "an organization keeps at least one owner");
	st = db_prepare(c->db, "DELETE FROM members WHERE user_id = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

cJSON *org_members_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT user_id, role, name, email, added_by, added_ms FROM members"
		" ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2"
		" ELSE 3 END, user_id", &c->err);
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	list = cJSON_CreateArray();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *m = cJSON_CreateObject();

		cJSON_AddStringToObject(m, "user_id", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(m, "role", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(m, "name", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(m, "email", (const char *)sqlite3_column_text(st, 3));
		cJSON_AddStringToObject(m, "added_by", (const char *)sqlite3_column_text(st, 4));
		cJSON_AddNumberToObject(m, "added_ms", sqlite3_column_double(st, 5));
		cJSON_AddItemToArray(list, m);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(list);
		db_fail(c->db, &c->err, "list members");
		return NULL;
	}
	return list;
}
