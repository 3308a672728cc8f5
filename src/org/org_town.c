/*
 * org_town.c - towns owned by an organization. The organization creates them (an effect to the new
 * town's object) and keeps their members: every change to the org's members is pushed to each of
 * its towns with a growing version, so a town applies the newest list and ignores late older ones.
 * The org side and the town side of that exchange both live here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org/org.h"
#include "sqlite3.h"

#define ORG_TOWNS_MAX 100
#define PUSH_RETRY_MS 60000.0 /* re-send unconfirmed member lists this often */

/* {"version", "members": [{user_id, role, name, email}]} for the org's current members. */
static cJSON *members_message(struct call *c, int64_t version)
{
	cJSON *m = cJSON_CreateObject(), *list = members_json(c), *item;

	if (!list) {
		cJSON_Delete(m);
		return NULL;
	}
	/* Only what a town needs of each member. */
	cJSON_ArrayForEach(item, list) {
		cJSON_DeleteItemFromObject(item, "added_by");
		cJSON_DeleteItemFromObject(item, "added_ms");
	}
	cJSON_AddNumberToObject(m, "version", (double)version);
	cJSON_AddItemToObject(m, "members", list);
	/* The organization's choices its towns apply travel with the members (same version). */
	{
		int share = org_share_stats(c);

		if (share < 0) {
			cJSON_Delete(m);
			return NULL;
		}
		cJSON_AddNumberToObject(m, "share_stats", share);
	}
	return m;
}

static int submit(struct call *c, const char *purpose, const char *town, const char *method,
		  const char *path, cJSON *body)
{
	char url[256], fx[40], *s = json_print(body);
	struct effect_req r = {.purpose = purpose, .subject = town, .method = method, .url = url,
			       .body = s, .timeout_ms = 10000};
	int rc;

	cJSON_Delete(body);
	if (!s)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(url, sizeof url, "do://town/%s%s", town, path);
	rc = effect_submit(c, &r, fx, sizeof fx);
	cJSON_free(s);
	return rc;
}

int org_registry_update(struct call *c, const char *user_id, const char *role)
{
	char uid[400], path[512];
	cJSON *body = NULL;

	if (id_escape(user_id, uid, sizeof uid) < 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "user id too long");
	snprintf(path, sizeof path, "do://user/%s/_internal/orgs/%s", uid, c->cfg->object_id);
	if (role) {
		char name[512]; /* names are at most 100 bytes (org_routes.c) */
		int found = org_name(c, name, sizeof name);

		if (found < 0)
			return -1;
		body = cJSON_CreateObject();
		if (found)
			cJSON_AddStringToObject(body, "name", name);
		cJSON_AddStringToObject(body, "role", role);
	}
	{
		char fx[40], *s = body ? json_print(body) : NULL;
		struct effect_req r = {.purpose = "registry", .subject = user_id, .method = role ? "PUT" : "DELETE",
				       .url = path, .body = s, .timeout_ms = 10000};
		int rc;

		cJSON_Delete(body);
		if (role && !s)
			return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		rc = effect_submit(c, &r, fx, sizeof fx);
		cJSON_free(s);
		return rc;
	}
}

static int members_version(struct call *c, int64_t *v)
{
	return db_query_int(c->db, "SELECT value FROM org_meta WHERE key = 'members_version'", v, &c->err);
}

int org_town_create(struct call *c, const char *town, const char *name)
{
	sqlite3_stmt *st;
	int64_t n, version;
	cJSON *msg;

	if (!id_valid(town))
		return err_set(&c->err, ERR_INVALID, "town_id", "a town id is 1-64 of a-z A-Z 0-9 _ -");
	if (db_query_int(c->db, "SELECT count(*) FROM org_towns", &n, &c->err) < 0 || members_version(c, &version) < 0)
		return -1;
	/* A town that failed to be made (its id was not available) may be tried again. */
	if (db_exec_text(c->db, "DELETE FROM org_towns WHERE town_id = ?1 AND state = 'failed'", town, &c->err) < 0)
		return -1;
	if (n >= ORG_TOWNS_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, "town_id", "an organization has at most %d towns", ORG_TOWNS_MAX);
	st = db_prepare(c->db, "INSERT INTO org_towns(town_id, name, state, created_by, created_ms)"
			       " VALUES (?, ?, 'creating', ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, town, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return !err_take(&c->err, ERR_CONFLICT) ? -1 :
		       err_set(&c->err, ERR_CONFLICT, "town_id", "the organization already has a town '%s'", town);
	if (!(msg = members_message(c, version)))
		return -1;
	cJSON_AddStringToObject(msg, "org_id", c->cfg->object_id);
	cJSON_AddStringToObject(msg, "name", name);
	cJSON_AddStringToObject(msg, "created_by", c->who.id);
	return submit(c, "org-town", town, "POST", "/_internal/create", msg);
}

int org_town_created(struct call *c, const char *town, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);
	int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && status == 201;

	/* No answer (lost, timed out) or a failure that is not a refusal: ask again later; the town
	 * answers a repeated create from its own organization with 201. */
	if (!ok && status != 409)
		return timer_set(c, "org-create", town, c->now_ms + PUSH_RETRY_MS);
	sqlite3_stmt *st;

	(void)body;
	(void)len;
	/* Members may have changed while the town was being made: make sure it gets the newest list. */
	if (ok && timer_set(c, "org-push", "all", c->now_ms) < 0)
		return -1;
	st = db_prepare(c->db, "UPDATE org_towns SET state = ?, reason = ? WHERE town_id = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, ok ? "active" : "failed", -1, SQLITE_STATIC);
	if (!ok)
		sqlite3_bind_text(st, 2, status == 409 ? "the town id is not available" : "the town could not be created",
				  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, town, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

/* Send the member list of `version` to the org's active towns (all, or only those that have not
 * confirmed it). Returns the number of towns sent to, or -1. */
static int push_members(struct call *c, int64_t version, int only_behind)
{
	char towns[ORG_TOWNS_MAX][72];
	int n = 0, rc = 0;
	/* Only towns the organization has: a failed or still-creating one may be someone else's. */
	sqlite3_stmt *st = db_prepare(c->db, "SELECT town_id FROM org_towns WHERE state = 'active'"
					     " AND (?1 = 0 OR acked_version < ?2)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, only_behind);
	sqlite3_bind_int64(st, 2, version);
	while (n < ORG_TOWNS_MAX && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(towns[n++], sizeof towns[0], "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		cJSON *msg = members_message(c, version);

		if (msg)
			cJSON_AddStringToObject(msg, "org_id", c->cfg->object_id);
		if (!msg || submit(c, "org-members", towns[i], "PUT", "/_internal/org-members", msg) < 0)
			return -1;
	}
	return n;
}

int org_members_push(struct call *c)
{
	int64_t version;

	if (db_exec(c->db, "UPDATE org_meta SET value = value + 1 WHERE key = 'members_version'", &c->err) < 0 ||
	    members_version(c, &version) < 0)
		return -1;
	return push_members(c, version, 0) < 0 ? -1 : 0;
}

int org_members_pushed(struct call *c, const char *town, const cJSON *result, const char *body, size_t len)
{
	cJSON *res = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && body ?
		json_parse_exact(body, len) : NULL;
	struct err ignored = {0};
	int64_t version = 0;
	sqlite3_stmt *st;
	int rc;

	if (json_int(cJSON_GetObjectItemCaseSensitive(res, "data"), "version", 1, 0, INT64_MAX, &version, &ignored) < 0) {
		/* Lost, refused or garbled: the retry timer sends the newest list again. */
		cJSON_Delete(res);
		call_log(c, "warn", "a town did not confirm the organization's members", cJSON_CreateString(town));
		return timer_set(c, "org-push", "all", c->now_ms + PUSH_RETRY_MS);
	}
	st = db_prepare(c->db, "UPDATE org_towns SET acked_version = max(acked_version, ?) WHERE town_id = ?", &c->err);
	if (!st) {
		cJSON_Delete(res);
		return -1;
	}
	sqlite3_bind_int64(st, 1, version);
	sqlite3_bind_text(st, 2, town, -1, SQLITE_STATIC);
	rc = db_step_done(c->db, st, &c->err);
	cJSON_Delete(res);
	return rc;
}

/* Timer: send the newest list again to every active town that has not confirmed it. */
int org_push_timer_fired(struct call *c, const char *key)
{
	int64_t version;
	int n;

	(void)key;
	if (members_version(c, &version) < 0 || (n = push_members(c, version, 1)) < 0)
		return -1;
	/* Checked again after the answers are due, until every town has confirmed. */
	return n > 0 ? timer_set(c, "org-push", "all", c->now_ms + PUSH_RETRY_MS) : 0;
}

static cJSON *org_town_json(sqlite3_stmt *st)
{
	cJSON *t = cJSON_CreateObject();

	cJSON_AddStringToObject(t, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(t, "name", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(t, "state", (const char *)sqlite3_column_text(st, 2));
	if (sqlite3_column_type(st, 3) == SQLITE_NULL)
		cJSON_AddNullToObject(t, "reason");
	else
		cJSON_AddStringToObject(t, "reason", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddStringToObject(t, "created_by", (const char *)sqlite3_column_text(st, 4));
	cJSON_AddNumberToObject(t, "created_ms", sqlite3_column_double(st, 5));
	return t;
}

cJSON *org_towns_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT town_id, name, state, reason, created_by, created_ms"
					     " FROM org_towns ORDER BY town_id", &c->err);

	return db_list(c->db, st, org_town_json, &c->err);
}

/* ---- the town's side ----------------------------------------------------------------------------- */

/* One member of the organization's list (members_message's). */
struct org_member {
	const char *user_id, *role, *name, *email;
};

static const struct field_rule member_rules[] = {
	{"user_id", F_STR(struct org_member, user_id), FR_REQUIRED, 0, 0, .valid = user_id_valid},
	{"role", F_STR(struct org_member, role), FR_REQUIRED, 0, 0, .one_of = role_choices},
	{"name", F_STR(struct org_member, name), 0, 0, 0},
	{"email", F_STR(struct org_member, email), 0, 0, 0},
};
static const struct fields member_fields = FIELDS(member_rules, struct org_member);
static const struct field_rule member_item = {
	NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &member_fields, .msg[FF_ANY] = "a member needs a user_id and a role"};

/* What an organization sends its town: on creation (name, created_by too) and on every change of
 * its members. */
struct org_push {
	const char *org_id, *name, *created_by;
	int64_t version, share_stats;
	const cJSON *members;
};

#define ORG_ID {"org_id", F_STR(struct org_push, org_id), FR_REQUIRED, 0, 64}
#define VERSION {"version", F_INT(struct org_push, version), FR_REQUIRED, 0, INT64_MAX / 2}
#define MEMBERS {"members", F_ARR(struct org_push, members), 0, 0, 0, .of = &member_item}
/* 0/1; absent (an organization from before the choice existed): sharing. */
#define SHARE {"share_stats", F_INT(struct org_push, share_stats), FR_DEFAULT, 0, 1, .def = 1}
static const struct field_rule create_rules[] = {
	ORG_ID,
	{"name", F_STR(struct org_push, name), FR_REQUIRED, 0, 100},
	{"created_by", F_STR(struct org_push, created_by), FR_REQUIRED, 0, 128},
	VERSION,
	MEMBERS,
	SHARE,
};
const struct fields town_create_for_org_body = FIELDS(create_rules, struct org_push);

static const struct field_rule members_rules[] = {ORG_ID, VERSION, MEMBERS, SHARE};
const struct fields town_org_members_body = FIELDS(members_rules, struct org_push);

/* Who is here now (up to MEMBERS_MAX): ids and roles. */
struct present {
	char (*id)[130];
	enum role *role;
	int n;
};

static int note_present(struct call *c, const char *user_id, const char *role, void *arg)
{
	struct present *p = arg;

	(void)c;
	if (p->n >= MEMBERS_MAX)
		return 1;
	p->role[p->n] = role_parse(role);
	snprintf(p->id[p->n++], sizeof p->id[0], "%s", user_id);
	return 0;
}

/* Replace the town's members with the organization's list (checked by the route's fields),
 * telling registries who came and went. */
static int apply_members(struct call *c, const cJSON *members)
{
	/* Who is here now; whoever is not in the new list has left. Heap, not stack: up to
	 * MEMBERS_MAX ids. */
	char (*gone)[130] = malloc(sizeof *gone * MEMBERS_MAX);
	enum role *was = malloc(sizeof *was * MEMBERS_MAX); /* their roles, for the terminals */
	struct present here = {gone, was, 0};
	int n = 0, rc = -1;
	const cJSON *m;

	if (!gone || !was) {
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (members_each(c, 0, note_present, &here) < 0 || members_wipe(c) < 0)
		goto out;
	n = here.n;
	cJSON_ArrayForEach(m, members) {
		struct org_member in = {0};
		const char *uid;
		enum role role;

		if (fields_read(m, &member_fields, &in, sizeof in, &c->err) < 0)
			goto out;
		uid = in.user_id;
		role = role_parse(in.role);
		if (member_put(c, uid, role, in.name, in.email) < 0 ||
		    registry_update(c, uid, role_name(role)) < 0)
			goto out;
		for (int i = 0; i < n; i++) {
			if (strcmp(gone[i], uid) != 0)
				continue;
			gone[i][0] = '\0';
			/* As in a personal town: a changed role reopens the member's terminals in its mode. */
			if (was[i] != role && ws_close_person(c, "terminal", uid, "your role in this town changed") < 0)
				goto out;
		}
	}
	for (int i = 0; i < n; i++)
		if (gone[i][0] && (registry_update(c, gone[i], NULL) < 0 ||
				   ws_close_person(c, "user", gone[i], "no longer a member of this town") < 0))
			goto out;
	rc = 0;
out:
	free(gone);
	free(was);
	return rc;
}

int town_create_for_org(struct call *c)
{
	struct org_push in = {0};
	const char *org, *name, *by;
	int64_t version;
	int exists;

	if (call_fields(c, &in, sizeof in) < 0 || auth_internal_caller(c, "org", in.org_id) < 0 ||
	    town_exists(c, &exists) < 0)
		return -1;
	org = in.org_id;
	name = in.name;
	by = in.created_by;
	version = in.version;
	if (exists) {
		/* The same organization asking again (its first answer was lost): the town is its. */
		int same = town_owned_by(c, org);

		if (same < 0)
			return -1;
		if (same)
			return call_reply(c, 201, NULL);
		/* The organization's admins learn from this what an outsider would: not available. */
		return id_unavailable(c, "town_id", "town");
	}
	if (town_create_owned(c, name, org, by, version) < 0 || apply_members(c, in.members) < 0 ||
	    town_set_org_share_stats(c, (int)in.share_stats) < 0)
		return -1;
	snprintf(c->who.id, sizeof c->who.id, "%s", by);
	if (event_append(c, "town.created", c->cfg->object_id, "owner", NULL, org) < 0)
		return -1;
	return call_reply(c, 201, NULL);
}

int town_apply_org_members(struct call *c)
{
	struct org_push in = {0};
	int64_t version, current;
	int exists, owner;
	const char *org;

	if (call_fields(c, &in, sizeof in) < 0 || auth_internal_caller(c, "org", in.org_id) < 0 ||
	    town_exists(c, &exists) < 0)
		return -1;
	org = in.org_id;
	version = in.version;
	if (!exists)
		return err_set(&c->err, ERR_NOT_FOUND, "town_id", "no such town");
	/* Only the organization that owns this town sets its members. */
	if ((owner = town_owned_by(c, org)) < 0)
		return -1;
	if (!owner)
		return err_set(&c->err, ERR_CONFLICT, "town_id", "this town is not %s's", org);
	if (town_org_members_version(c, &current) < 0)
		return -1;
	/* Older than what the town has (it arrived late): nothing to do but say what it holds. */
	if (version <= current) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddNumberToObject(d, "version", (double)current);
		return call_reply(c, 200, d);
	}
	if (apply_members(c, in.members) < 0 || town_set_org_members_version(c, version) < 0 ||
	    town_set_org_share_stats(c, (int)in.share_stats) < 0)
		return -1;
	{
		cJSON *d = cJSON_CreateObject();

		cJSON_AddNumberToObject(d, "version", (double)version);
		return call_reply(c, 200, d);
	}
}

/* /_internal/towns/:town on the org: one of its towns was deleted; forget it. */
int org_town_forget(struct call *c)
{
	if (auth_internal_caller(c, "town", c->seg[2]) < 0 ||
	    db_exec_text(c->db, "DELETE FROM org_towns WHERE town_id = ?1", c->seg[2], &c->err) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

/* Timer: ask a town that never answered its creation again. */
int org_create_timer_fired(struct call *c, const char *town)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT name, created_by FROM org_towns WHERE town_id = ? AND state = 'creating'",
				      &c->err);
	char name[128] = "", by[130] = "";
	int64_t version;
	cJSON *msg;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, town, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
		snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(by, sizeof by, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (!*name || members_version(c, &version) < 0)
		return *name ? -1 : 0;
	if (!(msg = members_message(c, version)))
		return -1;
	cJSON_AddStringToObject(msg, "org_id", c->cfg->object_id);
	cJSON_AddStringToObject(msg, "name", name);
	cJSON_AddStringToObject(msg, "created_by", by);
	return submit(c, "org-town", town, "POST", "/_internal/create", msg);
}

int org_town_exists(struct call *c, const char *town)
{
	return db_exists(c->db, "SELECT count(*) FROM org_towns WHERE town_id = ?1", town, &c->err);
}
