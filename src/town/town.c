/*
 * town.c - the town itself: creation, who may use it, its settings and secrets, deletion (every
 * other table is emptied by its owner: town_deleting). A personal town is owned by the person who
 * created it. Each member's registry (their UserDO) learns of the town through an effect, so "my
 * towns" is one read of one object.
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

/* The prefix starts every bead id, which travels in paths: keep it to a short slug. */
static int bead_prefix_valid(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(s);
}

/* The runtimes are the container's (wiring.c): a table needs a function of its own to name. */
static int runtime_known(const char *s)
{
	return town_runtime_valid(s);
}

/* A null value removes the key: every setting is nullable. */
static const struct field_rule setting_rules[] = {
	[TOWN_BEAD_PREFIX] = {"bead_prefix", FT_STRING, 0, FR_NULL, 1, 16, .valid = bead_prefix_valid,
			      .field = "settings.bead_prefix", .msg[FF_ANY] = "'%n' is %l-%u characters of a-z and 0-9"},
	[TOWN_RUNTIME] = {"runtime", FT_STRING, 0, FR_NULL, 0, 0, .valid = runtime_known, .field = "settings.runtime",
			  .msg[FF_ANY] = "'%n' is scripted, claude, codex, opencode, kilo or command"},
	[TOWN_LOST_AFTER_S] = {"lost_after_s", FT_NUMBER, 0, FR_NULL | FR_DEFAULT, 2, 3600, .def = 90,
			       .msg[FF_ANY] = "'%n' is a number from %l to %u"},
	[TOWN_QUIET_AFTER_S] = {"quiet_after_s", FT_NUMBER, 0, FR_NULL | FR_DEFAULT, 5, 86400, .def = 600,
				.msg[FF_ANY] = "'%n' is a number from %l to %u"},
	[TOWN_BREAKER_FAILURES] = {"breaker_failures", FT_NUMBER, 0, FR_NULL | FR_DEFAULT, 0, 1000, .def = 10,
				   .msg[FF_ANY] = "'%n' is a number from %l to %u"},
	/* The Mayor's runtime when it differs from the town's (a stronger model for talking, say). */
	[TOWN_MAYOR_RUNTIME] = {"mayor_runtime", FT_STRING, 0, FR_NULL, 0, 0, .valid = runtime_known,
				.field = "settings.mayor_runtime",
				.msg[FF_ANY] = "'%n' is scripted, claude, codex, opencode, kilo or command"},
	/* Standing instructions for the Mayor: how this town wants its work run. */
	[TOWN_INSTRUCTIONS] = {"instructions", FT_STRING, 0, FR_NULL, 0, 4000, .field = "settings.instructions",
			       .msg[FF_ANY] = "'%n' is text of at most %u characters"},
	/* How many attempts one speculative sling may start (docs/casting.md): each is a polecat. */
	[TOWN_MAX_WAYS] = {"max_ways", FT_NUMBER, 0, FR_NULL | FR_DEFAULT, 1, 8, .def = 4,
			   .msg[FF_ANY] = "'%n' is a number from %l to %u"},
	/* false: the town reports nothing to the platform's figures (docs/casting.md). */
	[TOWN_SHARE_STATS] = {"share_stats", FT_BOOL, 0, FR_NULL, 0, 0, .msg[FF_ANY] = "'%n' is true or false"},
	/* The agent log keeps this many of each agent's newest events (docs/memory.md). */
	[TOWN_LOG_KEEP] = {"log_keep", FT_NUMBER, 0, FR_NULL | FR_DEFAULT, 100, 100000, .def = 5000,
			   .msg[FF_ANY] = "'%n' is a number from %l to %u"},
};
const struct fields town_settings = FIELDS_CHECK(setting_rules);

const struct field_rule town_setting_value = {
	NULL, FT_SCALAR, 0, 0, 0, 0, .msg[FF_TYPE] = "settings values are strings, numbers, booleans or null"};

int town_exists(struct call *c, int *exists)
{
	int64_t n;

	if (db_query_int(c->db, "SELECT count(*) FROM town", &n, &c->err) < 0)
		return -1;
	*exists = n > 0;
	return 0;
}

/* Tell user_id's registry that it can see this town (role) or, with role NULL, no longer can. */
int registry_update(struct call *c, const char *user_id, const char *role)
{
	char url[512], uid[400];
	cJSON *body;
	char *s = NULL;
	int rc;
	struct effect_req r = {.purpose = "registry", .subject = user_id, .timeout_ms = 10000};

	if (id_escape(user_id, uid, sizeof uid) < 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "user id too long");
	snprintf(url, sizeof url, "do://user/%s/_internal/towns/%s", uid, c->cfg->object_id);
	r.url = url;
	r.method = role ? "PUT" : "DELETE";
	if (role) {
		sqlite3_stmt *st = db_prepare(c->db, "SELECT name, owner_kind, owner_id FROM town", &c->err);

		if (!st)
			return -1;
		if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
			return rc < 0 ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "read town: no town");
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "name", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(body, "owner_kind", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(body, "owner_id", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(body, "role", role);
		sqlite3_reset(st);
		s = json_print(body);
		cJSON_Delete(body);
		if (!s)
			return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		r.body = s;
	}
	{
		char fx[40];

		rc = effect_submit(c, &r, fx, sizeof fx);
	}
	cJSON_free(s);
	return rc;
}

int town_registry_done(struct call *c, const char *subject, const cJSON *result, const char *body,
		       size_t body_len)
{
	(void)body;
	(void)body_len;
	/* Registries converge on the next change; a failure is logged for the operator. */
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) ||
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(result, "status")) >= 300)
		call_log(c, "warn", "a user's town registry was not updated", cJSON_CreateString(subject));
	return 0;
}

int town_create_personal(struct call *c, const char *name)
{
	sqlite3_stmt *st;
	int exists;

	if (town_exists(c, &exists) < 0)
		return -1;
	if (exists)
		return member_create_taken(c, "town_id", "town");
	st = db_prepare(c->db, "INSERT INTO town(id, name, owner_kind, owner_id, created_by, created_ms,"
			       " updated_ms) VALUES (?, ?, 'user', ?, ?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, c->cfg->object_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, c->now_ms);
	sqlite3_bind_double(st, 6, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (member_put(c, c->who.id, ROLE_OWNER, c->who.name, c->who.email) < 0 ||
	    event_append(c, "town.created", c->cfg->object_id, "owner", NULL, c->who.id) < 0)
		return -1;
	return registry_update(c, c->who.id, "owner");
}

int town_require(struct call *c, enum role min, enum role *caller)
{
	int exists;

	if (town_exists(c, &exists) < 0)
		return -1;
	return member_require(c, exists, min, caller, "town_id", "town");
}

cJSON *town_json(struct call *c, enum role caller)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT id, name, owner_kind, owner_id, created_by, created_ms, updated_ms, settings"
		" FROM town", &c->err);
	cJSON *t, *settings;

	if (!st)
		return NULL;
	if (db_step_row(c->db, st, &c->err) <= 0) {
		err_set(&c->err, ERR_INTERNAL, NULL, "read town: no town");
		return NULL;
	}
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(t, "name", (const char *)sqlite3_column_text(st, 1));
	cJSON *owner = cJSON_AddObjectToObject(t, "owner");
	cJSON_AddStringToObject(owner, "kind", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddStringToObject(owner, "id", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddStringToObject(t, "created_by", (const char *)sqlite3_column_text(st, 4));
	cJSON_AddNumberToObject(t, "created_ms", sqlite3_column_double(st, 5));
	cJSON_AddNumberToObject(t, "updated_ms", sqlite3_column_double(st, 6));
	settings = cJSON_Parse((const char *)sqlite3_column_text(st, 7));
	cJSON_AddItemToObject(t, "settings", settings ? settings : cJSON_CreateObject());
	cJSON_AddStringToObject(t, "role", role_name(caller));
	sqlite3_reset(st);
	/* Every member sees which secrets are set, masked; no one reads a value back. */
	{
		cJSON *secrets = town_secrets_json(c);

		if (!secrets) {
			cJSON_Delete(t);
			return NULL;
		}
		cJSON_AddItemToObject(t, "secrets", secrets);
	}
	return t;
}

#define SECRETS_MAX 50
#define SECRET_MAX 8192

/* Set (string) or remove (null) secrets by name. Values are never returned. */
int town_secrets_put(struct call *c, const cJSON *secrets)
{
	const cJSON *s;
	int64_t n;

	cJSON_ArrayForEach(s, secrets) {
		sqlite3_stmt *st;

		if (!id_valid(s->string))
			return err_set(&c->err, ERR_INVALID, "secrets", "a secret name is 1-64 of a-z A-Z 0-9 _ -");
		if (!cJSON_IsNull(s) && (!cJSON_IsString(s) || !*s->valuestring || strlen(s->valuestring) > SECRET_MAX))
			return err_set(&c->err, ERR_INVALID, "secrets",
				       "secret '%s' must be a string of 1 to %d bytes, or null to remove it", s->string, SECRET_MAX);
		st = db_prepare(c->db, cJSON_IsNull(s) ? "DELETE FROM town_secrets WHERE name = ?1"
			: "INSERT INTO town_secrets(name, value, updated_by, updated_ms) VALUES (?1, ?2, ?3, ?4)"
			  " ON CONFLICT(name) DO UPDATE SET value = ?2, updated_by = ?3, updated_ms = ?4", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, s->string, -1, SQLITE_STATIC);
		if (!cJSON_IsNull(s)) {
			sqlite3_bind_text(st, 2, s->valuestring, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 4, c->now_ms);
		}
		/* The feed says a secret changed and who changed it, never its value. */
		if (db_step_done(c->db, st, &c->err) < 0 ||
		    event_append(c, "town.secret", c->cfg->object_id, s->string, NULL, cJSON_IsNull(s) ? "removed" : "set") < 0)
			return -1;
	}
	if (db_query_int(c->db, "SELECT count(*) FROM town_secrets", &n, &c->err) < 0)
		return -1;
	if (n > SECRETS_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, "secrets", "a town holds at most %d secrets", SECRETS_MAX);
	return 0;
}

/* {name: {"set": true, "hint": "…abcd", "updated_by", "updated_ms"}}: enough to recognise, not to use. */
cJSON *town_secrets_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT name, value, updated_by, updated_ms FROM town_secrets ORDER BY name",
				      &c->err);
	cJSON *o;
	int rc;

	if (!st)
		return NULL;
	o = cJSON_CreateObject();
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		const char *v = (const char *)sqlite3_column_text(st, 1);
		size_t len = strlen(v);
		char hint[16];
		cJSON *s = cJSON_AddObjectToObject(o, (const char *)sqlite3_column_text(st, 0));

		/* The last four characters only for values long enough that they give nothing away. */
		snprintf(hint, sizeof hint, "…%s", len >= 16 ? v + len - 4 : "");
		cJSON_AddTrueToObject(s, "set");
		cJSON_AddStringToObject(s, "hint", hint);
		cJSON_AddStringToObject(s, "updated_by", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddNumberToObject(s, "updated_ms", sqlite3_column_double(st, 3));
	}
	if (rc < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int town_update(struct call *c, const char *name, const cJSON *settings)
{
	sqlite3_stmt *st;
	char *s = NULL;
	int rc;

	if (settings && !(s = json_print(settings)))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	/* Settings are merged key by key; a null value removes the key. */
	st = db_prepare(c->db, "UPDATE town SET name = coalesce(?, name),"
			       " settings = CASE WHEN ? IS NULL THEN settings ELSE json_patch(settings, ?) END,"
			       " updated_ms = ?", &c->err);
	if (!st) {
		cJSON_free(s);
		return -1;
	}
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (s) {
		sqlite3_bind_text(st, 2, s, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, s, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_double(st, 4, c->now_ms);
	rc = db_step_done(c->db, st, &c->err);
	cJSON_free(s);
	if (rc < 0)
		return -1;
	/* The registries show the town's name: keep them current. */
	return name ? registry_refresh(c) : 0;
}

static int refresh_one(struct call *c, const char *user_id, const char *role, void *arg)
{
	(void)arg;
	return registry_update(c, user_id, role) < 0 ? -1 : 0;
}

int registry_refresh(struct call *c)
{
	return members_each(c, 0, refresh_one, NULL);
}

static int forget_one(struct call *c, const char *user_id, const char *role, void *arg)
{
	(void)role;
	(void)arg;
	return registry_update(c, user_id, NULL) < 0 ? -1 : 0;
}

int town_owner_org(struct call *c, char *org, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT owner_id FROM town WHERE owner_kind = 'org'", &c->err);
	int yes;

	if (!st || (yes = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (yes)
		snprintf(org, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return yes;
}

int town_delete(struct call *c)
{
	if (members_each(c, 1, forget_one, NULL) < 0)
		return -1;
	if (ws_close_tag(c, "feed", "the town was deleted") < 0 || ws_close_tag(c, "terminal", "the town was deleted") < 0)
		return -1;
	/* An organization's town: the organization forgets it (and pushes it no more members). */
	{
		char org[72] = "";

		if (town_owner_org(c, org, sizeof org) < 0)
			return -1;
		if (*org) {
			char url[200], fx[40];
			struct effect_req r = {.purpose = "registry", .subject = org, .method = "DELETE", .url = url,
					       .timeout_ms = 10000};

			snprintf(url, sizeof url, "do://org/%s/_internal/towns/%s", org, c->cfg->object_id);
			if (effect_submit(c, &r, fx, sizeof fx) < 0)
				return -1;
		}
	}
	/* Everything the town owns goes, each table by its owner: the secrets, then every listener of
	 * town_deleting in the wiring's order, then the town's row. The outbox stays to receive the
	 * registries' answers. */
	if (db_exec(c->db, "DELETE FROM town_secrets", &c->err) < 0)
		return -1;
	for (size_t i = 0; i < town_deleting_n; i++)
		if (town_deleting[i](c) < 0)
			return -1;
	return db_exec(c->db, "DELETE FROM town", &c->err);
}

int town_owned_by_org(struct call *c, int *yes)
{
	int64_t n;

	if (db_query_int(c->db, "SELECT count(*) FROM town WHERE owner_kind = 'org'", &n, &c->err) < 0)
		return -1;
	*yes = n > 0;
	return 0;
}

int town_owned_by(struct call *c, const char *org)
{
	return db_exists(c->db, "SELECT count(*) FROM town WHERE owner_kind = 'org' AND owner_id = ?1", org, &c->err);
}

int town_create_owned(struct call *c, const char *name, const char *org, const char *created_by, int64_t version)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO town(id, name, owner_kind, owner_id, created_by, created_ms,"
					     " updated_ms, org_members_version) VALUES (?, ?, 'org', ?, ?, ?, ?, ?)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, c->cfg->object_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, created_by, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, c->now_ms);
	sqlite3_bind_double(st, 6, c->now_ms);
	sqlite3_bind_int64(st, 7, version);
	return db_step_done(c->db, st, &c->err);
}

int town_org_members_version(struct call *c, int64_t *version)
{
	return db_query_int(c->db, "SELECT org_members_version FROM town", version, &c->err);
}

int town_set_org_members_version(struct call *c, int64_t version)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE town SET org_members_version = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, version);
	return db_step_done(c->db, st, &c->err);
}

int town_set_org_share_stats(struct call *c, int on)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE town SET org_share_stats = ?1 WHERE org_share_stats <> ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, on != 0);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return sqlite3_changes(db_handle(c->db)) ? timer_set(c, "stats", "report", c->now_ms) : 0;
}

int town_shares_stats(struct call *c)
{
	int64_t on = 0;
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT org_share_stats AND coalesce(json_extract(settings, '$.share_stats'), 1) FROM town", &c->err);
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		on = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return on != 0;
}

/* The value of a setting at path ("$.name") in *st's row: 1 when the town has it, 0 when not. */
static sqlite3_stmt *setting_row(struct call *c, const char *path, int *rc)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(settings, ?) FROM town", &c->err);

	*rc = -1;
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	*rc = db_step_row(c->db, st, &c->err);
	return st;
}

int town_setting_number(struct call *c, enum town_setting k, double *out)
{
	const struct field_rule *r = &town_settings.rule[k];
	double v = (double)r->def, min = (double)r->min, max = (double)r->max;
	char path[64];
	sqlite3_stmt *st;
	int rc;

	snprintf(path, sizeof path, "$.%s", r->name);
	if (!(st = setting_row(c, path, &rc)) || rc < 0)
		return -1;
	if (rc && (sqlite3_column_type(st, 0) == SQLITE_INTEGER || sqlite3_column_type(st, 0) == SQLITE_FLOAT))
		v = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	*out = v < min ? min : v > max ? max : v;
	return 0;
}

int town_setting_text(struct call *c, enum town_setting k, char *out, size_t len)
{
	char path[64];
	sqlite3_stmt *st;
	int rc, set;

	snprintf(path, sizeof path, "$.%s", town_settings.rule[k].name);
	if (!(st = setting_row(c, path, &rc)) || rc < 0)
		return -1;
	set = rc && sqlite3_column_type(st, 0) == SQLITE_TEXT;
	if (set)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return set;
}

int town_secret(struct call *c, const char *name, char *out, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT value FROM town_secrets WHERE name = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 1;
}

int town_llm_json(struct call *c, cJSON *body, const char *model)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT json_extract(settings, '$.llm_base_url'), (SELECT value FROM town_secrets WHERE name = 'llm_api_key')"
		" FROM town", &c->err);
	cJSON *llm = NULL;
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
		llm = cJSON_CreateObject();
		cJSON_AddStringToObject(llm, "base_url", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(llm, "api_key", sqlite3_column_type(st, 1) == SQLITE_TEXT
			? (const char *)sqlite3_column_text(st, 1) : "");
		if (model)
			cJSON_AddStringToObject(llm, "model", model);
	}
	sqlite3_reset(st);
	cJSON_AddItemToObject(body, "llm", llm ? llm : cJSON_CreateNull());
	return 0;
}

int town_name(struct call *c, char *out, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT name FROM town", &c->err);
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	snprintf(out, len, "%s", rc ? (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_reset(st);
	return rc;
}

int town_runtime(struct call *c, const char *rig, struct town_runtime *rt)
{
	/* One statement over the town and the rig (the rig's setting wins): read at every start. */
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT coalesce(CASE WHEN ?2 THEN json_extract(t.settings, '$.mayor_runtime') END,"
		" json_extract(r.settings, '$.runtime'), json_extract(t.settings, '$.runtime'), 'scripted'), coalesce(json_extract(r.settings, '$.runtime_command'),"
		" json_extract(t.settings, '$.runtime_command'), ''),"
		" coalesce(json_extract(r.settings, '$.model'), json_extract(t.settings, '$.model'))"
		" FROM town t LEFT JOIN rigs r ON r.id = ?1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rig ? rig : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, rig == NULL);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(rt->name, sizeof rt->name, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(rt->command, sizeof rt->command, "%s", (const char *)sqlite3_column_text(st, 1));
	if (sqlite3_column_type(st, 2) == SQLITE_TEXT)
		snprintf(rt->model, sizeof rt->model, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	return 1;
}
