/*
 * registry.c - the RegistryDO (docs/registry.md): one object for the platform, keyed "platform",
 * holding every published formula and agent config with its versions and the outcomes towns
 * reported. Publishing and deprecating come only from an org's object, which checked that the
 * caller is one of its admins and passed the request on (api/registry_routes.c); anyone signed in
 * reads; towns fetch what they install and tell what their runs became.
 *
 * A name is its first publisher's: a second org cannot publish under it. A version is immutable:
 * publishing it again is refused, so a pinned install means the same file forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "sqlite3.h"

#define DEPRECATION_MAX 500
#define QUERY_MAX 100

static const char *const package_kinds[] = {"formula", "config", NULL};
static const char *const outcomes[] = {"landed", "failed", NULL};

/* The calling object's id when it is of kind (stamped by the host on object-to-object calls). */
static int caller_of_kind(struct call *c, const char *kind, char *id, size_t len)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->meta, "headers");
	const char *who = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "x-gastown-caller"));
	size_t n = strlen(kind);

	if (!who || strncmp(who, kind, n) != 0 || who[n] != ':' || !who[n + 1] || strlen(who + n + 1) >= len)
		return err_set(&c->err, ERR_FORBIDDEN, NULL, "only a %s may make this call", kind);
	snprintf(id, len, "%s", who + n + 1);
	return 0;
}

/* The newest release not deprecated; else the newest pre-release not deprecated; else "". */
static int refresh_latest(struct call *c, const char *name)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT version FROM registry_versions WHERE name = ? AND deprecated IS NULL",
				      &c->err);
	struct semver best = {0}, v;
	char latest[80] = "";
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = db_step_row(c->db, st, &c->err)) == 1) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		if (!semver_parse(s, &v))
			continue;
		/* A release beats every pre-release; among equals of that sort, the higher. */
		if (!*latest || (!v.pre[0] && best.pre[0]) || ((!v.pre[0]) == (!best.pre[0]) && semver_cmp(&v, &best) > 0)) {
			best = v;
			snprintf(latest, sizeof latest, "%s", s);
		}
	}
	if (rc < 0 || !(st = db_prepare(c->db, "UPDATE registry_packages SET latest = ?, updated_ms = ? WHERE name = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, latest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

/* The host's parse of a TOML body: the source, and the value or where the syntax broke. */
static cJSON *parsed_spec(struct call *c, const char **source)
{
	cJSON *body = call_body_object(c), *err;
	const cJSON *src, *value;

	if (!body)
		return NULL;
	src = cJSON_GetObjectItemCaseSensitive(body, "source");
	value = cJSON_GetObjectItemCaseSensitive(body, "value");
	err = cJSON_GetObjectItemCaseSensitive(body, "error");
	if (!cJSON_IsString(src)) {
		err_set(&c->err, ERR_INVALID, "source", "publish the file itself as application/toml");
		return NULL;
	}
	if (strlen(src->valuestring) > REGISTRY_SOURCE_MAX) {
		err_set(&c->err, ERR_TOO_LARGE, "source", "a published file is at most %d bytes", REGISTRY_SOURCE_MAX);
		return NULL;
	}
	*source = src->valuestring;
	if (err) {
		const cJSON *line = cJSON_GetObjectItemCaseSensitive(err, "line");
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "message"));

		if (cJSON_IsNumber(line) && line->valuedouble >= 1)
			err_set(&c->err, ERR_INVALID, "source", "line %.0f: the TOML does not parse: %.150s", line->valuedouble,
				msg ? msg : "syntax error");
		else
			err_set(&c->err, ERR_INVALID, "source", "the TOML does not parse: %.150s", msg ? msg : "syntax error");
		snprintf(c->err.reason, sizeof c->err.reason, "syntax");
		return NULL;
	}
	return package_check(&c->err, value, src->valuestring);
}

/* The package's owner and kind: 1 found, 0 not, -1 failed. */
static int package_owner(struct call *c, const char *name, char *org, size_t org_len, char *kind, size_t kind_len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT org, kind FROM registry_packages WHERE name = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) == 1) {
		snprintf(org, org_len, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(kind, kind_len, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	return rc;
}

static int put_version(struct call *c, const cJSON *spec, const char *source, const char *digest, const char *by)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "name"));
	char *text = cJSON_PrintUnformatted(spec);
	sqlite3_stmt *st;
	int rc;

	if (!text)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	st = db_prepare(c->db, "INSERT INTO registry_versions(name, version, source, spec, digest, published_by, published_ms)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?)", &c->err);
	if (st) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "version")), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, by, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 7, c->now_ms);
	}
	rc = st ? db_step_done(c->db, st, &c->err) : -1;
	cJSON_free(text);
	return rc;
}

int registry_publish(struct call *c)
{
	const char *org = c->seg[2], *source = NULL, *name, *version, *kind, *by;
	char owner[80], owner_kind[16], digest[65];
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->meta, "headers");
	int64_t versions = 0;
	sqlite3_stmt *st;
	cJSON *spec, *out;
	int rc;

	if (auth_internal_caller(c, "org", org) < 0)
		return -1;
	by = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "x-registry-user"));
	if (!by || !*by)
		return err_set(&c->err, ERR_INVALID, NULL, "the publishing user is not named");
	if (!(spec = parsed_spec(c, &source)))
		return -1;
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "name"));
	version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "version"));
	kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "kind"));
	if ((rc = package_owner(c, name, owner, sizeof owner, owner_kind, sizeof owner_kind)) < 0)
		goto fail;
	if (rc == 1 && strcmp(owner, org) != 0) {
		err_set(&c->err, ERR_FORBIDDEN, "source", "'%s' is published by org '%s': choose another name", name, owner);
		goto fail;
	}
	if (rc == 1 && strcmp(owner_kind, kind) != 0) {
		err_set(&c->err, ERR_CONFLICT, "source", "'%s' is a %s: a %s cannot take its name", name, owner_kind, kind);
		goto fail;
	}
	if (!(st = db_prepare(c->db, "SELECT count(*), coalesce(sum(version = ?2), 0) FROM registry_versions WHERE name = ?1",
			      &c->err)))
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	if (db_step_row(c->db, st, &c->err) < 0)
		goto fail;
	versions = sqlite3_column_int64(st, 0);
	if (sqlite3_column_int64(st, 1) > 0) {
		err_set(&c->err, ERR_CONFLICT, "source", "%s %s is published already: a version never changes, publish a higher one",
			name, version);
		snprintf(c->err.reason, sizeof c->err.reason, "version_exists");
		goto fail;
	}
	if (versions >= REGISTRY_VERSIONS_MAX) {
		err_set(&c->err, ERR_TOO_LARGE, "source", "'%s' has %d versions, the most a package keeps", name, REGISTRY_VERSIONS_MAX);
		goto fail;
	}
	if (mac_sha256_hex(source, strlen(source), digest) < 0) {
		err_set(&c->err, ERR_INTERNAL, NULL, "could not digest the source");
		goto fail;
	}
	if (rc == 0) {
		if (!(st = db_prepare(c->db, "INSERT INTO registry_packages(name, kind, org, description, latest, created_ms, updated_ms)"
					     " VALUES (?1, ?2, ?3, '', '', ?4, ?4)", &c->err)))
			goto fail;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, c->now_ms);
		if (db_step_done(c->db, st, &c->err) < 0)
			goto fail;
	}
	if (put_version(c, spec, source, digest, by) < 0 || refresh_latest(c, name) < 0)
		goto fail;
	/* The package reads as its newest version describes it. */
	if (!(st = db_prepare(c->db, "UPDATE registry_packages SET description = ? WHERE name = ? AND (latest = ? OR latest = '')",
			      &c->err)))
		goto fail;
	sqlite3_bind_text(st, 1, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "description")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		goto fail;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "name", name);
	cJSON_AddStringToObject(out, "kind", kind);
	cJSON_AddStringToObject(out, "version", version);
	cJSON_AddStringToObject(out, "org", org);
	cJSON_AddStringToObject(out, "digest", digest);
	cJSON_Delete(spec);
	return call_reply(c, 201, out);
fail:
	cJSON_Delete(spec);
	return -1;
}

static int version_answer(struct call *c, const char *name, const char *version);

struct deprecation_body {
	const char *reason;
};

static const struct field_rule deprecation_rules[] = {
	{"reason", F_STR(struct deprecation_body, reason), FR_REQUIRED, 1, DEPRECATION_MAX,
	 .msg[FF_ANY] = "'reason' says why, in %l to %u bytes"},
};
const struct fields registry_deprecation_body = FIELDS(deprecation_rules, struct deprecation_body);

int registry_deprecate(struct call *c)
{
	const char *org = c->seg[2], *name = c->seg[4], *version = c->seg[5];
	const char *reason = NULL;
	char owner[80], kind[16];
	sqlite3_stmt *st;
	int rc;

	if (auth_internal_caller(c, "org", org) < 0)
		return -1;
	if (strcmp(c->method, "POST") == 0) {
		struct deprecation_body in = {0};

		if (call_fields(c, &in, sizeof in) < 0)
			return -1;
		reason = in.reason;
	}
	if ((rc = package_owner(c, name, owner, sizeof owner, kind, sizeof kind)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "name", "no package '%s' in the registry", name);
	if (strcmp(owner, org) != 0)
		return err_set(&c->err, ERR_FORBIDDEN, "name", "'%s' is published by org '%s'", name, owner);
	if (!(st = db_prepare(c->db, "UPDATE registry_versions SET deprecated = ? WHERE name = ? AND version = ?", &c->err)))
		return -1;
	if (reason)
		sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return err_set(&c->err, ERR_NOT_FOUND, "version", "'%s' has no version %s", name, version);
	if (refresh_latest(c, name) < 0)
		return -1;
	return version_answer(c, name, version);
}

/* Runs, landed and failed of a package (version NULL) or of one version, into obj. */
static int add_outcomes(struct call *c, cJSON *obj, const char *name, const char *version)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT count(*), coalesce(sum(outcome = 'landed'), 0) FROM registry_outcomes"
					     " WHERE name = ?1 AND (?2 IS NULL OR version = ?2)", &c->err);
	cJSON *o;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (version)
		sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	if (db_step_row(c->db, st, &c->err) < 0)
		return -1;
	o = cJSON_AddObjectToObject(obj, "outcomes");
	cJSON_AddNumberToObject(o, "runs", (double)sqlite3_column_int64(st, 0));
	cJSON_AddNumberToObject(o, "landed", (double)sqlite3_column_int64(st, 1));
	cJSON_AddNumberToObject(o, "failed", (double)(sqlite3_column_int64(st, 0) - sqlite3_column_int64(st, 1)));
	return 0;
}

static cJSON *package_row(sqlite3_stmt *st)
{
	static const char *const cols[] = {"name", "kind", "org", "description", "latest", NULL};
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; cols[i]; i++)
		db_column_to_json(o, cols[i], st, i);
	cJSON_AddNumberToObject(o, "created_ms", sqlite3_column_double(st, 5));
	cJSON_AddNumberToObject(o, "updated_ms", sqlite3_column_double(st, 6));
	return o;
}

int registry_search(struct call *c)
{
	char q[QUERY_MAX + 1] = "", kind[16] = "", org[80] = "";
	int64_t limit = 50;
	int all = 0, rc;
	sqlite3_stmt *st;
	cJSON *out, *items;

	if (query_get(c, "q", q, sizeof q) < 0 || query_get(c, "kind", kind, sizeof kind) < 0 ||
	    query_get(c, "org", org, sizeof org) < 0 || query_int(c, "limit", 1, REGISTRY_LIST_MAX, &limit) < 0 ||
	    query_bool(c, "deprecated", &all) < 0)
		return -1;
	if (*kind && !str_in_list(kind, package_kinds))
		return err_set(&c->err, ERR_INVALID, "kind", "'kind' is formula or config");
	/* Substrings of the name and description: a registry of thousands, read a page at a time. */
	st = db_prepare(c->db, "SELECT p.name, p.kind, p.org, p.description, p.latest, p.created_ms, p.updated_ms,"
			       " (SELECT count(*) FROM registry_outcomes o WHERE o.name = p.name) AS runs"
			       " FROM registry_packages p"
			       " WHERE (?1 = '' OR instr(lower(p.name), lower(?1)) OR instr(lower(p.description), lower(?1)))"
			       " AND (?2 = '' OR p.kind = ?2) AND (?3 = '' OR p.org = ?3) AND (?4 OR p.latest != '')"
			       " ORDER BY runs DESC, p.name LIMIT ?5", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, org, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, all);
	sqlite3_bind_int64(st, 5, limit);
	out = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(out, "items");
	while ((rc = db_step_row(c->db, st, &c->err)) == 1)
		cJSON_AddItemToArray(items, package_row(st));
	for (cJSON *it = rc < 0 ? NULL : items->child; it; it = it->next)
		if (add_outcomes(c, it, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name")), NULL) < 0) {
			rc = -1;
			break;
		}
	if (rc < 0) {
		cJSON_Delete(out);
		return -1;
	}
	return call_reply(c, 200, out);
}

static int by_version_desc(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	struct semver va, vb;

	semver_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "version")), &va);
	semver_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "version")), &vb);
	return semver_cmp(&vb, &va);
}

int registry_package(struct call *c)
{
	const char *name = c->seg[2];
	sqlite3_stmt *st = db_prepare(c->db, "SELECT name, kind, org, description, latest, created_ms, updated_ms"
					     " FROM registry_packages WHERE name = ?", &c->err);
	cJSON *out, *list, *rows[REGISTRY_VERSIONS_MAX];
	int rc, n = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "name", "no package '%s' in the registry", name);
	out = package_row(st);
	if (!(st = db_prepare(c->db, "SELECT version, digest, published_by, published_ms, deprecated FROM registry_versions"
				     " WHERE name = ?", &c->err))) {
		cJSON_Delete(out);
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while (n < REGISTRY_VERSIONS_MAX && (rc = db_step_row(c->db, st, &c->err)) == 1) {
		cJSON *v = cJSON_CreateObject();

		db_column_to_json(v, "version", st, 0);
		db_column_to_json(v, "digest", st, 1);
		db_column_to_json(v, "published_by", st, 2);
		cJSON_AddNumberToObject(v, "published_ms", sqlite3_column_double(st, 3));
		db_column_to_json(v, "deprecated", st, 4);
		rows[n++] = v;
	}
	qsort(rows, (size_t)n, sizeof rows[0], by_version_desc);
	list = cJSON_AddArrayToObject(out, "versions");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(list, rows[i]);
	for (cJSON *v = rc < 0 ? NULL : list->child; v; v = v->next)
		if (add_outcomes(c, v, name, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "version"))) < 0) {
			rc = -1;
			break;
		}
	if (rc < 0 || add_outcomes(c, out, name, NULL) < 0) {
		cJSON_Delete(out);
		return -1;
	}
	return call_reply(c, 200, out);
}

static int version_answer(struct call *c, const char *name, const char *version)
{
	sqlite3_stmt *st;
	cJSON *out, *spec;
	int rc;

	st = db_prepare(c->db, "SELECT p.name, p.kind, p.org, v.version, v.digest, v.published_by, v.published_ms,"
			       " v.deprecated, v.source, v.spec FROM registry_packages p JOIN registry_versions v"
			       " ON v.name = p.name AND v.version = CASE WHEN ?2 = 'latest' THEN p.latest ELSE ?2 END"
			       " WHERE p.name = ?1", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc < 0)
			return -1;
		return strcmp(version, "latest") == 0
			       ? err_set(&c->err, ERR_NOT_FOUND, "name", "no package '%s' with a version in use", name)
			       : err_set(&c->err, ERR_NOT_FOUND, "version", "no version %s of '%s' in the registry", version, name);
	}
	out = cJSON_CreateObject();
	{
		static const char *const cols[] = {"name", "kind", "org", "version", "digest", "published_by"};

		for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
			db_column_to_json(out, cols[i], st, (int)i);
	}
	cJSON_AddNumberToObject(out, "published_ms", sqlite3_column_double(st, 6));
	db_column_to_json(out, "deprecated", st, 7);
	db_column_to_json(out, "source", st, 8);
	if (!(spec = cJSON_Parse((const char *)sqlite3_column_text(st, 9)))) {
		cJSON_Delete(out);
		return err_set(&c->err, ERR_INTERNAL, NULL, "a stored spec does not parse");
	}
	cJSON_AddItemToObject(out, "spec", spec);
	if (add_outcomes(c, out, name, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "version"))) < 0) {
		cJSON_Delete(out);
		return -1;
	}
	return call_reply(c, 200, out);
}

int registry_version(struct call *c)
{
	char town[80];

	/* /api/registry/:name/:version for people, /_internal/packages/:name/:version for towns. */
	if (c->seg[0][0] == '_' && caller_of_kind(c, "town", town, sizeof town) < 0)
		return -1;
	return version_answer(c, c->seg[2], c->seg[3]);
}

struct outcome_body {
	const char *run, *name, *version, *outcome;
};

static const struct field_rule outcome_rules[] = {
	{"run", F_STR(struct outcome_body, run), FR_REQUIRED, 1, 64},
	{"name", F_STR(struct outcome_body, name), FR_REQUIRED, 1, REGISTRY_NAME_MAX},
	{"version", F_STR(struct outcome_body, version), FR_REQUIRED, 1, 80},
	{"outcome", F_STR(struct outcome_body, outcome), FR_REQUIRED, 0, 16, .one_of = outcomes},
};
const struct fields registry_outcome_body = FIELDS(outcome_rules, struct outcome_body);

int registry_outcome(struct call *c)
{
	struct outcome_body in = {0};
	char town[80];
	sqlite3_stmt *st;
	cJSON *out;
	int rc;

	if (caller_of_kind(c, "town", town, sizeof town) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (!(st = db_prepare(c->db, "SELECT 1 FROM registry_versions WHERE name = ? AND version = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, in.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in.version, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "version", "no version %s of '%s'", in.version, in.name);
	if (!(st = db_prepare(c->db, "INSERT OR IGNORE INTO registry_outcomes(town, run, name, version, outcome, at_ms)"
				     " VALUES (?, ?, ?, ?, ?, ?)", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, town, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in.run, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in.version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in.outcome, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "taken", sqlite3_changes(db_handle(c->db)) > 0);
	return call_reply(c, 200, out);
}
