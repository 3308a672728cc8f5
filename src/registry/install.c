/*
 * install.c - what a town installed from the registry (docs/registry.md). An install asks the
 * RegistryDO for a version (or the latest) with a do:// effect and keeps what comes back: the
 * version is pinned, its meaning stored here, so a version published later changes nothing until
 * someone installs again. A config becomes the town's persona of its name as it arrives.
 *
 * The answer of an install is 202: the fetch is an effect, answered after the call. Its subject is
 * "name@asked", so the answer of an older install, arriving after a newer one was asked for, is
 * told apart and dropped.
 */
#include <stdio.h>
#include <string.h>

#include "registry/registry.h"
#include "sqlite3.h"

#define RETRY_MS 30000
#define FETCH_TIMEOUT_MS 20000

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static int fetch(struct call *c, const char *name, const char *asked)
{
	char url[256], esc_name[200], subject[EFFECT_SUBJECT_MAX], fx[48];
	struct effect_req r = {.purpose = "install", .method = "GET", .timeout_ms = FETCH_TIMEOUT_MS};

	query_escape(name, esc_name, sizeof esc_name);
	snprintf(url, sizeof url, "do://registry/%s/_internal/packages/%s/%s", REGISTRY_ID, esc_name, asked);
	snprintf(subject, sizeof subject, "%s@%s", name, asked);
	r.url = url;
	r.subject = subject;
	return effect_submit(c, &r, fx, sizeof fx);
}

int install_request(struct call *c, const char *name, const char *version)
{
	struct semver v;
	sqlite3_stmt *st;

	if (!package_name_valid(name))
		return err_set(&c->err, ERR_INVALID, "name", "'name' is a package's name: 1-64 of a-z, 0-9, - _ ., a letter or digit first");
	if (strcmp(version, "latest") != 0 && !semver_parse(version, &v))
		return err_set(&c->err, ERR_INVALID, "version", "'version' is a semver version (as 1.2.0) or latest");
	st = db_prepare(c->db, "INSERT INTO installs(name, asked, state, kind, version, org, digest, installed_by, requested_ms)"
			       " VALUES (?1, ?2, 'fetching', '', '', '', '', ?3, ?4) ON CONFLICT(name) DO UPDATE SET"
			       " asked = ?2, state = 'fetching', error = NULL, installed_by = ?3, requested_ms = ?4", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 || event_append(c, "install.asked", name, "version", NULL, version) < 0)
		return -1;
	return fetch(c, name, version);
}

/* Mark the install failed with why (a registry's refusal, a config the town cannot take). */
static int failed(struct call *c, const char *name, const char *why)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE installs SET state = 'failed', error = ? WHERE name = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err) < 0 ? -1 : event_append(c, "install.failed", name, "error", NULL, why);
}

/* A config's persona, made or changed. A refusal (a built-in's name) fails the install, not the call. */
static int take_config(struct call *c, const char *name, const cJSON *spec, int *refused)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(spec, "persona");
	struct persona_fields f = {
		.name = name,
		.title = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "title")),
		.overlay = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "overlay")),
		.model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "model")),
		.allowed_tools = cJSON_GetObjectItemCaseSensitive(p, "allowed_tools"),
		.denied_tools = cJSON_GetObjectItemCaseSensitive(p, "denied_tools"),
		.gates = cJSON_GetObjectItemCaseSensitive(p, "gates"),
	};
	int exists = persona_exists(c, name);

	if (exists < 0)
		return -1;
	*refused = 0;
	if (f.title && !*f.title)
		f.title = NULL;
	if (persona_put(c, &f, !exists) == 0)
		return 0;
	if (err_take(&c->err, ERR_CONFLICT) || err_take(&c->err, ERR_INVALID)) {
		*refused = 1;
		return 0;
	}
	return -1;
}

int install_fetched(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	char name[REGISTRY_NAME_MAX + 1], asked[80], state[16] = "", now_asked[80] = "";
	const char *at = strchr(subject, '@');
	int status = effect_status(result), rc, refused = 0;
	cJSON *doc = NULL, *data, *spec_text_src;
	const char *kind, *version;
	sqlite3_stmt *st;
	char *spec_text;

	if (!at || (size_t)(at - subject) > REGISTRY_NAME_MAX)
		return 0;
	snprintf(name, sizeof name, "%.*s", (int)(at - subject), subject);
	snprintf(asked, sizeof asked, "%s", at + 1);
	if (!(st = db_prepare(c->db, "SELECT state, asked FROM installs WHERE name = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc == 1) {
		snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(now_asked, sizeof now_asked, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	/* Removed, or asked again since: this answer is no one's. */
	if (strcmp(state, "fetching") != 0 || strcmp(now_asked, asked) != 0)
		return 0;
	if (status == 404 || status == 403) {
		doc = cJSON_ParseWithLength(body, len);
		kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "error"), "message"));
		rc = failed(c, name, kind ? kind : "the registry has no such package");
		cJSON_Delete(doc);
		return rc;
	}
	if (status < 200 || status > 299) {
		call_log(c, "warn", "install fetch not answered; retrying", cJSON_CreateString(subject));
		return timer_set(c, "install", subject, c->now_ms + RETRY_MS);
	}
	doc = cJSON_ParseWithLength(body, len);
	data = cJSON_GetObjectItemCaseSensitive(doc, "data");
	spec_text_src = cJSON_GetObjectItemCaseSensitive(data, "spec");
	kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "kind"));
	version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "version"));
	if (!cJSON_IsObject(spec_text_src) || !kind || !version ||
	    strcmp(or_empty(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "name"))), name) != 0) {
		cJSON_Delete(doc);
		return failed(c, name, "the registry's answer is not a package");
	}
	if (strcmp(kind, "config") == 0 && take_config(c, name, spec_text_src, &refused) < 0) {
		cJSON_Delete(doc);
		return -1;
	}
	if (refused) {
		char why[300];

		snprintf(why, sizeof why, "the town cannot take this config as its persona '%s'", name);
		cJSON_Delete(doc);
		return failed(c, name, why);
	}
	spec_text = cJSON_PrintUnformatted(spec_text_src);
	st = spec_text ? db_prepare(c->db, "UPDATE installs SET state = 'installed', kind = ?, version = ?, org = ?, digest = ?,"
					   " spec = ?, error = NULL, installed_ms = ? WHERE name = ?", &c->err)
		       : NULL;
	if (st) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, or_empty(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "org"))), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, or_empty(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "digest"))), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, spec_text, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 6, c->now_ms);
		sqlite3_bind_text(st, 7, name, -1, SQLITE_STATIC);
	}
	rc = st && db_step_done(c->db, st, &c->err) == 0 ? event_append(c, "install.done", name, "version", NULL, version) : -1;
	if (!spec_text && c->err.code == ERR_NONE)
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	cJSON_free(spec_text);
	cJSON_Delete(doc);
	return rc;
}

int install_retry_fired(struct call *c, const char *key)
{
	const char *at = strchr(key, '@');
	sqlite3_stmt *st = db_prepare(c->db, "SELECT 1 FROM installs WHERE name = ? AND asked = ? AND state = 'fetching'", &c->err);
	char name[REGISTRY_NAME_MAX + 1];
	int rc;

	if (!st || !at || (size_t)(at - key) > REGISTRY_NAME_MAX)
		return st ? 0 : -1;
	snprintf(name, sizeof name, "%.*s", (int)(at - key), key);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at + 1, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	return fetch(c, name, at + 1);
}

#define INSTALL_COLS "name, asked, state, kind, version, org, digest, error, installed_by, requested_ms, installed_ms, spec"

static cJSON *install_row(sqlite3_stmt *st, int with_spec)
{
	static const char *const cols[] = {"name", "asked", "state", "kind", "version", "org", "digest", "error", "installed_by", NULL};
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; cols[i]; i++)
		db_column_to_json(o, cols[i], st, i);
	cJSON_AddNumberToObject(o, "requested_ms", sqlite3_column_double(st, 9));
	if (sqlite3_column_type(st, 10) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "installed_ms");
	else
		cJSON_AddNumberToObject(o, "installed_ms", sqlite3_column_double(st, 10));
	if (with_spec) {
		cJSON *spec = sqlite3_column_type(st, 11) == SQLITE_NULL ? NULL : cJSON_Parse((const char *)sqlite3_column_text(st, 11));

		cJSON_AddItemToObject(o, "spec", spec ? spec : cJSON_CreateNull());
	}
	return o;
}

cJSON *installs_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " INSTALL_COLS " FROM installs ORDER BY name", &c->err);
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	list = cJSON_CreateArray();
	while ((rc = db_step_row(c->db, st, &c->err)) == 1)
		cJSON_AddItemToArray(list, install_row(st, 0));
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

cJSON *install_json(struct call *c, const char *name)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " INSTALL_COLS " FROM installs WHERE name = ?", &c->err);
	cJSON *o, *runs;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, "name", "'%s' is not installed in this town", name);
		return NULL;
	}
	o = install_row(st, 1);
	if (!(runs = molecule_runs_json(c, name))) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToObject(o, "runs", runs);
	return o;
}

int install_remove(struct call *c, const char *name)
{
	sqlite3_stmt *st = db_prepare(c->db, "DELETE FROM installs WHERE name = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return err_set(&c->err, ERR_NOT_FOUND, "name", "'%s' is not installed in this town", name);
	return event_append(c, "install.removed", name, NULL, NULL, NULL);
}

cJSON *install_formula(struct call *c, const char *name, char *version, size_t version_len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT state, kind, version, spec FROM installs WHERE name = ?", &c->err);
	const char *state, *kind;
	cJSON *spec;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, "name", "'%s' is not installed in this town: install it first", name);
		return NULL;
	}
	state = (const char *)sqlite3_column_text(st, 0);
	kind = (const char *)sqlite3_column_text(st, 1);
	if (strcmp(state, "installed") != 0) {
		err_set(&c->err, ERR_CONFLICT, "name", strcmp(state, "fetching") == 0 ? "'%s' is still being fetched from the registry"
											: "'%s' failed to install: install it again",
			name);
		return NULL;
	}
	if (strcmp(kind, "formula") != 0) {
		err_set(&c->err, ERR_CONFLICT, "name", "'%s' is an agent config, not a formula", name);
		return NULL;
	}
	snprintf(version, version_len, "%s", (const char *)sqlite3_column_text(st, 2));
	if (!(spec = cJSON_Parse((const char *)sqlite3_column_text(st, 3))))
		err_set(&c->err, ERR_INTERNAL, NULL, "an installed spec does not parse");
	return spec;
}

int install_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM installs", &c->err);
}
