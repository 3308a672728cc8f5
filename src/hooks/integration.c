/*
 * integration.c - a town's integrations (GitHub, GitLab, Slack): who owns each, its settings, and
 * which platform login is which member. The secrets are the town's (town_secrets, write-only), under
 * fixed names, so the pull requests a `pr` rig opens and the webhooks share one GitHub token.
 */
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"
#include "sqlite3.h"

const char *const hook_platforms[] = {"github", "gitlab", "slack", NULL};

const char *hook_platform_name(enum hook_platform p)
{
	return p < HOOK_PLATFORMS ? hook_platforms[p] : "?";
}

int hook_platform_of(const char *s)
{
	for (int i = 0; hook_platforms[i]; i++)
		if (strcmp(hook_platforms[i], s) == 0)
			return i;
	return -1;
}

/* The body's secret names and the town secrets they are kept as. */
static const struct {
	enum hook_platform p;
	const char *name, *secret;
} secrets[] = {
	{HOOK_GITHUB, "webhook_secret", "github_webhook_secret"},
	{HOOK_GITHUB, "token", "github_token"},
	{HOOK_GITHUB, "private_key", "github_app_private_key"},
	{HOOK_GITLAB, "webhook_token", "gitlab_webhook_token"},
	{HOOK_GITLAB, "token", "gitlab_token"},
	{HOOK_SLACK, "signing_secret", "slack_signing_secret"},
	{HOOK_SLACK, "bot_token", "slack_bot_token"},
};
#define NSECRETS (sizeof secrets / sizeof secrets[0])

/* The settings each platform takes; every value a string. */
static const struct {
	enum hook_platform p;
	const char *name;
	size_t max;
} settings_known[] = {
	{HOOK_GITHUB, "api_url", 200}, {HOOK_GITHUB, "dashboard_url", 200}, {HOOK_GITHUB, "command", 32},
	{HOOK_GITHUB, "app_id", 20}, {HOOK_GITHUB, "installation_id", 20}, {HOOK_GITHUB, "bot_login", 100},
	{HOOK_GITLAB, "bot_login", 100},
	{HOOK_GITLAB, "api_url", 200}, {HOOK_GITLAB, "dashboard_url", 200}, {HOOK_GITLAB, "command", 32},
	{HOOK_SLACK, "api_url", 200}, {HOOK_SLACK, "dashboard_url", 200}, {HOOK_SLACK, "rig", 64},
};

const char *integration_secret_name(enum hook_platform p, const char *name)
{
	for (size_t i = 0; i < NSECRETS; i++)
		if (secrets[i].p == p && strcmp(secrets[i].name, name) == 0)
			return secrets[i].secret;
	return NULL;
}

static int url_valid(const char *s)
{
	return (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) && !strpbrk(s, " \t\r\n\"<>");
}

static int check_settings(struct call *c, enum hook_platform p, const cJSON *settings)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, settings) {
		size_t i;

		for (i = 0; i < sizeof settings_known / sizeof settings_known[0]; i++)
			if (settings_known[i].p == p && strcmp(settings_known[i].name, s->string) == 0)
				break;
		if (i == sizeof settings_known / sizeof settings_known[0])
			return err_set(&c->err, ERR_INVALID, "settings", "'%s' is not a setting of the %s integration",
				       s->string, hook_platform_name(p));
		if (cJSON_IsNull(s))
			continue;
		if (!cJSON_IsString(s) || strlen(s->valuestring) > settings_known[i].max)
			return err_set(&c->err, ERR_INVALID, "settings", "'%s' must be a string of at most %zu bytes, or null",
				       s->string, settings_known[i].max);
		if (strstr(s->string, "_url") && !url_valid(s->valuestring))
			return err_set(&c->err, ERR_INVALID, "settings", "'%s' must be an http(s) URL", s->string);
		if (strcmp(s->string, "command") == 0 && (s->valuestring[0] != '/' || strpbrk(s->valuestring, " \t\r\n")))
			return err_set(&c->err, ERR_INVALID, "settings", "'command' is a word starting with '/'");
		if (strstr(s->string, "_id") && (!*s->valuestring || strspn(s->valuestring, "0123456789") != strlen(s->valuestring)))
			return err_set(&c->err, ERR_INVALID, "settings", "'%s' is a number, as a string of digits", s->string);
	}
	return 0;
}

/* The body's secrets under their town names; NULL with c->err set for an unknown name. */
static cJSON *town_names(struct call *c, enum hook_platform p, const cJSON *given)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *s;

	cJSON_ArrayForEach(s, given) {
		const char *name = integration_secret_name(p, s->string);

		if (!name) {
			cJSON_Delete(out);
			err_set(&c->err, ERR_INVALID, "secrets", "'%s' is not a secret of the %s integration", s->string,
				hook_platform_name(p));
			return NULL;
		}
		cJSON_AddItemToObject(out, name, cJSON_Duplicate(s, 1));
	}
	return out;
}

int integration_put(struct call *c, enum hook_platform p, const char *owner, const cJSON *settings,
		    const cJSON *given)
{
	char *text = NULL;
	cJSON *named = NULL;
	sqlite3_stmt *st;
	enum role role;
	int rc = -1;

	if (owner && (member_role(c, owner, &role) < 0 || role == ROLE_NONE))
		return c->err.code ? -1 : err_set(&c->err, ERR_INVALID, "owner", "'%s' is not a member of the town", owner);
	if (settings && check_settings(c, p, settings) < 0)
		return -1;
	if (given && !(named = town_names(c, p, given)))
		return -1;
	if (settings && !(text = json_print(settings)))
		goto out;
	/* json_patch drops the members set to null: a setting is removed so. */
	st = db_prepare(c->db, "INSERT INTO integrations(platform, owner, settings, created_ms, updated_ms)"
			       " VALUES (?1, coalesce(?2, ?3), json_patch('{}', coalesce(?4, '{}')), ?5, ?5)"
			       " ON CONFLICT(platform) DO UPDATE SET owner = coalesce(?2, owner),"
			       " settings = json_patch(settings, coalesce(?4, '{}')), updated_ms = ?5", &c->err);
	if (!st)
		goto out;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	if (owner)
		sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 || (named && town_secrets_put(c, named) < 0) ||
	    event_append(c, "town.integration", hook_platform_name(p), NULL, NULL, "set") < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && !c->err.code)
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	cJSON_free(text);
	cJSON_Delete(named);
	return rc;
}

int integration_delete(struct call *c, enum hook_platform p)
{
	char owner[130];
	cJSON *gone;
	int rc = integration_owner(c, p, owner, sizeof owner);

	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, NULL, "the town has no %s integration", hook_platform_name(p));
	gone = cJSON_CreateObject();
	for (size_t i = 0; i < NSECRETS; i++)
		if (secrets[i].p == p)
			cJSON_AddNullToObject(gone, secrets[i].secret);
	rc = db_exec_text(c->db, "DELETE FROM integrations WHERE platform = ?", hook_platform_name(p), &c->err) < 0 ||
	     db_exec_text(c->db, "DELETE FROM integration_tokens WHERE platform = ?", hook_platform_name(p), &c->err) < 0 ||
	     db_exec_text(c->db, "DELETE FROM integration_logins WHERE platform = ?", hook_platform_name(p), &c->err) < 0 ||
	     town_secrets_put(c, gone) < 0 ||
	     event_append(c, "town.integration", hook_platform_name(p), NULL, NULL, "removed") < 0 ? -1 : 0;
	cJSON_Delete(gone);
	return rc;
}

int integration_owner(struct call *c, enum hook_platform p, char *owner, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT owner FROM integrations WHERE platform = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(owner, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 1;
}

int integration_setting(struct call *c, enum hook_platform p, const char *name, const char *def, char *out, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(settings, '$.' || ?2) FROM integrations"
					     " WHERE platform = ?1", &c->err);
	int rc;

	snprintf(out, len, "%s", def);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	if (sqlite3_column_type(st, 0) == SQLITE_TEXT && sqlite3_column_bytes(st, 0) > 0)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

int integration_setting_learn(struct call *c, enum hook_platform p, const char *name, const char *value)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE integrations SET settings = json_set(settings, '$.' || ?2, ?3), updated_ms = ?4"
					     " WHERE platform = ?1 AND json_extract(settings, '$.' || ?2) IS NULL", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int integration_token(struct call *c, enum hook_platform p, char *token, size_t len, double *requested_ms)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT coalesce(token, ''), expires_ms, coalesce(requested_ms, 0)"
					     " FROM integration_tokens WHERE platform = ?", &c->err);
	int rc;

	*token = '\0';
	*requested_ms = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	/* A token with less than two minutes left is as good as gone: a call made with it may land late. */
	rc = sqlite3_column_double(st, 1) > c->now_ms + 120000.0 && sqlite3_column_bytes(st, 0) > 0;
	if (rc)
		snprintf(token, len, "%s", (const char *)sqlite3_column_text(st, 0));
	*requested_ms = sqlite3_column_double(st, 2);
	sqlite3_reset(st);
	return rc;
}

int integration_token_set(struct call *c, enum hook_platform p, const char *token, double expires_ms, double requested_ms)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO integration_tokens(platform, token, expires_ms, requested_ms) VALUES (?1, ?2, ?3, ?4)"
					     " ON CONFLICT(platform) DO UPDATE SET token = coalesce(?2, token), expires_ms = CASE WHEN ?2 IS NULL"
					     " THEN expires_ms ELSE ?3 END, requested_ms = ?4", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	if (token)
		sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, expires_ms);
	if (requested_ms > 0)
		sqlite3_bind_double(st, 4, requested_ms);
	return db_step_done(c->db, st, &c->err);
}

int integration_login_put(struct call *c, enum hook_platform p, const char *login, const char *user)
{
	char owner[130];
	sqlite3_stmt *st;
	enum role role;
	int64_t n;
	int rc = integration_owner(c, p, owner, sizeof owner);

	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, NULL, "the town has no %s integration", hook_platform_name(p));
	if (!user) {
		st = db_prepare(c->db, "DELETE FROM integration_logins WHERE platform = ? AND login = ?", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, login, -1, SQLITE_STATIC);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
		return sqlite3_changes(db_handle(c->db)) ? 0
			: err_set(&c->err, ERR_NOT_FOUND, "login", "'%s' is not mapped", login);
	}
	if (member_role(c, user, &role) < 0)
		return -1;
	if (role == ROLE_NONE)
		return err_set(&c->err, ERR_INVALID, "user", "'%s' is not a member of the town", user);
	st = db_prepare(c->db, "INSERT INTO integration_logins(platform, login, user_id) VALUES (?, ?, ?)"
			       " ON CONFLICT(platform, login) DO UPDATE SET user_id = excluded.user_id", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    db_query_int(c->db, "SELECT count(*) FROM integration_logins", &n, &c->err) < 0)
		return -1;
	return n > INTEGRATION_LOGINS_MAX * HOOK_PLATFORMS
		? err_set(&c->err, ERR_TOO_LARGE, "login", "a town maps at most %d logins per platform", INTEGRATION_LOGINS_MAX)
		: 0;
}

int integration_member(struct call *c, enum hook_platform p, const char *login, char *user, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT user_id FROM integration_logins WHERE platform = ? AND login = ?", &c->err);
	enum role role;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, login, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(user, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	/* A mapping outlives a member who left; it maps no one then. */
	if (member_role(c, user, &role) < 0)
		return -1;
	return role != ROLE_NONE;
}

static cJSON *login_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "login", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(o, "user", (const char *)sqlite3_column_text(st, 1));
	return o;
}

static cJSON *one_json(struct call *c, sqlite3_stmt *row)
{
	int p = hook_platform_of((const char *)sqlite3_column_text(row, 0));
	cJSON *o = cJSON_CreateObject(), *set = cJSON_AddObjectToObject(o, "secrets"), *list, *counts;
	char path[160], probe[2];
	sqlite3_stmt *st;
	int64_t waiting = 0;

	cJSON_AddStringToObject(o, "platform", hook_platform_name((enum hook_platform)p));
	cJSON_AddStringToObject(o, "owner", (const char *)sqlite3_column_text(row, 1));
	cJSON_AddItemToObject(o, "settings", cJSON_Parse((const char *)sqlite3_column_text(row, 2)));
	cJSON_AddNumberToObject(o, "created_ms", sqlite3_column_double(row, 3));
	cJSON_AddNumberToObject(o, "updated_ms", sqlite3_column_double(row, 4));
	snprintf(path, sizeof path, "/api/towns/%s/hooks/%s", c->cfg->object_id, hook_platform_name((enum hook_platform)p));
	cJSON_AddStringToObject(o, "hook_path", path);
	/* Whether each secret is set: never its value. */
	for (size_t i = 0; i < NSECRETS; i++) {
		int rc;

		if ((int)secrets[i].p != p)
			continue;
		if ((rc = town_secret(c, secrets[i].secret, probe, sizeof probe)) < 0)
			goto fail;
		cJSON_AddBoolToObject(set, secrets[i].name, rc);
	}
	if (!(st = db_prepare(c->db, "SELECT login, user_id FROM integration_logins WHERE platform = ? ORDER BY login", &c->err)))
		goto fail;
	sqlite3_bind_text(st, 1, hook_platform_name((enum hook_platform)p), -1, SQLITE_STATIC);
	if (!(list = db_list(c->db, st, login_row, &c->err)))
		goto fail;
	cJSON_AddItemToObject(o, "logins", list);
	if (!(counts = delivery_counts_json(c, (enum hook_platform)p)))
		goto fail;
	cJSON_AddItemToObject(o, "deliveries", counts);
	if (delivery_waiting(c, (enum hook_platform)p, &waiting) < 0)
		goto fail;
	cJSON_AddNumberToObject(o, "queued", (double)waiting);
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

cJSON *integrations_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT platform, owner, settings, created_ms, updated_ms FROM integrations", &c->err);
	cJSON *o, *one;
	int rc;

	if (!st)
		return NULL;
	o = cJSON_CreateObject();
	for (int i = 0; hook_platforms[i]; i++)
		cJSON_AddNullToObject(o, hook_platforms[i]);
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		/* Each row's JSON reads other statements: take the row's values before they change. */
		if (!(one = one_json(c, st))) {
			sqlite3_reset(st);
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(o, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(one, "platform")), one);
	}
	if (rc < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int integration_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM integrations", &c->err) < 0 ||
	       db_exec(c->db, "DELETE FROM integration_tokens", &c->err) < 0 ||
	       db_exec(c->db, "DELETE FROM integration_logins", &c->err) < 0 ? -1 : 0;
}
