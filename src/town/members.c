/*
 * members.c - the people of an organization or a town and their roles. Roles are ordered: owner >
 * admin > member > viewer. Admins manage members and viewers; only owners grant, change or take
 * away the admin and owner roles; anyone may leave; there is always at least one owner. Both kinds
 * of object keep the same "members" table, so one set of rules serves both.
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

static const char *const role_names[] = {
	[ROLE_NONE] = "none", [ROLE_VIEWER] = "viewer", [ROLE_MEMBER] = "member",
	[ROLE_ADMIN] = "admin", [ROLE_OWNER] = "owner",
};

const char *const role_choices[] = {"owner", "admin", "member", "viewer", NULL};

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

int member_require(struct call *c, int exists, enum role min, enum role *caller, const char *field,
		   const char *what)
{
	*caller = ROLE_NONE;
	/* An agent's token was minted by this town: it works here as a member, never more. The Mayor
	 * works for a person (whose message it answers, or who minted its token) and acts with that
	 * person's role, at most a member's: a viewer's message lends it no write a viewer could not
	 * do, and a person since removed lends nothing. */
	if (exists && c->who.kind == PRINCIPAL_AGENT) {
		enum role author = ROLE_MEMBER;

		if (strcmp(c->who.id, "mayor") == 0 && c->who.requested_by[0] &&
		    member_role(c, c->who.requested_by, &author) < 0)
			return -1;
		if (author == ROLE_NONE)
			return err_set(&c->err, ERR_FORBIDDEN, c->who.on_message ? "x-gastown-on-message" : NULL,
				       "'%s', for whom the Mayor acts, is no longer a member here", c->who.requested_by);
		*caller = author < ROLE_MEMBER ? author : ROLE_MEMBER;
	} else if (exists && member_role(c, c->who.id, caller) < 0) {
		return -1;
	}
	/* An outsider learns nothing, not even that the object exists. */
	if (*caller == ROLE_NONE)
		return err_set(&c->err, ERR_NOT_FOUND, field, "no such %s", what);
	if (*caller < min)
		return err_set(&c->err, ERR_FORBIDDEN, NULL, "this needs the %s role; you are %s",
			       role_name(min), role_name(*caller));
	return 0;
}

int id_unavailable(struct call *c, const char *field, const char *what)
{
	err_set(&c->err, ERR_CONFLICT, field, "the %s id '%s' is not available", what, c->cfg->object_id);
	snprintf(c->err.reason, sizeof c->err.reason, "unavailable");
	return -1;
}

int member_create_taken(struct call *c, const char *field, const char *what)
{
	enum role r = ROLE_NONE;

	if (c->who.kind == PRINCIPAL_USER && member_role(c, c->who.id, &r) < 0)
		return -1;
	/* Whoever can see it may hear why; anyone else gets what every id that cannot be had gets. */
	if (r == ROLE_NONE)
		return id_unavailable(c, field, what);
	err_set(&c->err, ERR_CONFLICT, field, "the %s '%s' already exists", what, c->cfg->object_id);
	snprintf(c->err.reason, sizeof c->err.reason, "exists");
	return -1;
}

int member_role(struct call *c, const char *user_id, enum role *out)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT role FROM members WHERE user_id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	*out = ROLE_NONE;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		*out = role_parse((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

static int owner_count(struct call *c, int64_t *n)
{
	return db_query_int(c->db, "SELECT count(*) FROM members WHERE role = 'owner'", n, &c->err);
}

int member_put(struct call *c, const char *user_id, enum role role, const char *name,
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

int member_change(struct call *c, enum role caller, const char *user_id, enum role role,
		      const char *name, const char *email)
{
	enum role current;
	int64_t owners;

	if (member_role(c, user_id, &current) < 0 || owner_count(c, &owners) < 0)
		return -1;
	/* Admins manage members and viewers; only owners grant, change or take away ownership
	 * and the admin role. */
	if (caller < ROLE_OWNER && (role >= ROLE_ADMIN || current >= ROLE_ADMIN))
		return err_set(&c->err, ERR_FORBIDDEN, "role",
			       "only an owner can grant or change the %s role",
			       role_name(role >= current ? role : current));
	if (current == ROLE_OWNER && role != ROLE_OWNER && owners <= 1)
		return err_set(&c->err, ERR_CONFLICT, "role", "there must be at least one owner");
	if (current == ROLE_NONE) {
		int64_t n;

		if (db_query_int(c->db, "SELECT count(*) FROM members", &n, &c->err) < 0)
			return -1;
		if (n >= MEMBERS_MAX)
			return err_set(&c->err, ERR_TOO_LARGE, "user_id",
				       "at most %d members", MEMBERS_MAX);
	}
	return member_put(c, user_id, role, name, email);
}

int member_remove(struct call *c, enum role caller, const char *user_id)
{
	sqlite3_stmt *st;
	enum role current;
	int64_t owners;

	if (member_role(c, user_id, &current) < 0 || owner_count(c, &owners) < 0)
		return -1;
	if (current == ROLE_NONE)
		return err_set(&c->err, ERR_NOT_FOUND, "user_id", "'%s' is not a member", user_id);
	/* Anyone may leave; removing someone else needs admin, and an admin or owner needs owner. */
	if (strcmp(user_id, c->who.id) != 0 &&
	    (caller < ROLE_ADMIN || (current >= ROLE_ADMIN && caller < ROLE_OWNER)))
		return err_set(&c->err, ERR_FORBIDDEN, NULL, "you cannot remove a %s",
			       role_name(current));
	if (current == ROLE_OWNER && owners <= 1)
		return err_set(&c->err, ERR_CONFLICT, "user_id", "there must be at least one owner");
	st = db_prepare(c->db, "DELETE FROM members WHERE user_id = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

static cJSON *member_json(sqlite3_stmt *st)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "user_id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(m, "role", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(m, "name", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddStringToObject(m, "email", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddStringToObject(m, "added_by", (const char *)sqlite3_column_text(st, 4));
	cJSON_AddNumberToObject(m, "added_ms", sqlite3_column_double(st, 5));
	return m;
}

cJSON *members_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT user_id, role, name, email, added_by, added_ms FROM members"
		" ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2"
		" ELSE 3 END, user_id", &c->err);

	return db_list(c->db, st, member_json, &c->err);
}

int members_each(struct call *c, int by_id, int (*fn)(struct call *c, const char *user_id, const char *role, void *arg),
		 void *arg)
{
	/* Two orders, two statements: by id, or as stored (the order members came in). */
	sqlite3_stmt *st = db_prepare(c->db, by_id ? "SELECT user_id, role FROM members ORDER BY user_id"
						   : "SELECT user_id, role FROM members", &c->err);
	int rc;

	if (!st)
		return -1;
	/* fn may prepare other statements while this one is mid-step; the cache never evicts a busy
	 * statement. */
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		char user[130], role[16];

		snprintf(user, sizeof user, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(role, sizeof role, "%s", (const char *)sqlite3_column_text(st, 1));
		if ((rc = fn(c, user, role, arg)) != 0) {
			sqlite3_reset(st);
			return rc < 0 ? -1 : 0;
		}
	}
	return rc;
}

cJSON *member_person_json(struct call *c, const char *user)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT name, email FROM members WHERE user_id = ?", &c->err);
	const char *name = user, *email = "";
	cJSON *p;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return NULL;
	if (rc) {
		if (*(const char *)sqlite3_column_text(st, 0))
			name = (const char *)sqlite3_column_text(st, 0);
		email = (const char *)sqlite3_column_text(st, 1);
	}
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "id", user);
	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "email", email);
	sqlite3_reset(st);
	return p;
}

int members_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM members", &c->err);
}
