/*
 * rig.c - the git repositories a town works on: where they are, their default branch, how work
 * lands (merged directly by the refinery, or through a pull request), and how many polecats may
 * work on one at once.
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

#define RIGS_MAX 100

const char *const rig_merge_strategies[] = {"direct", "pr", NULL};

/* Read by work.c; a rig's settings are free-form on write, so a stored value out of bounds reads
 * as the default. */
static const struct field_rule setting_rules[] = {
	[RIG_MAX_ATTEMPTS] = {"max_attempts", FT_INT, 0, FR_NULL | FR_DEFAULT, 1, 20, .def = 5},
};
const struct fields rig_settings = FIELDS_CHECK(setting_rules);

/* owner/name from a git url: its last two path parts without ".git" (0, or -1 when it has fewer). */
static int repo_of_url(const char *url, char *out, size_t len);

/* Accept the URL forms git itself takes: http(s)://, ssh://, git://, file://, or user@host:path. */
int rig_git_url_valid(const char *u)
{
	static const char *const schemes[] = {"https://", "http://", "ssh://", "git://", "file://"};
	const char *at = strchr(u, '@'), *colon = strchr(u, ':');

	if (strlen(u) < 8 || strlen(u) > 500 || strpbrk(u, " \t\r\n"))
		return 0;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (strncmp(u, schemes[i], strlen(schemes[i])) == 0) {
			const char *host = u + strlen(schemes[i]), *slash = strchr(host, '/');
			const char *cred = strchr(host, '@');

			/* user:password@ in a URL every member sees (and the feed shows): keep secrets out;
			 * an ssh:// user alone (git@) is fine. */
			if (cred && (!slash || cred < slash) && memchr(host, ':', (size_t)(cred - host)))
				return 0;
			return strlen(u) > strlen(schemes[i]);
		}
	}
	return at && colon && at < colon && colon[1] && at != u;
}

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *r = cJSON_CreateObject(), *settings = cJSON_Parse((const char *)sqlite3_column_text(st, 5));

	cJSON_AddStringToObject(r, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(r, "git_url", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(r, "default_branch", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddStringToObject(r, "merge_strategy", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddNumberToObject(r, "max_polecats", sqlite3_column_int(st, 4));
	cJSON_AddItemToObject(r, "settings", settings ? settings : cJSON_CreateObject());
	cJSON_AddStringToObject(r, "created_by", (const char *)sqlite3_column_text(st, 6));
	cJSON_AddNumberToObject(r, "created_ms", sqlite3_column_double(st, 7));
	return r;
}

#define RIG_COLUMNS "id, git_url, default_branch, merge_strategy, max_polecats, settings, created_by, created_ms"

int rig_exists(struct call *c, const char *id)
{
	return db_exists(c->db, "SELECT count(*) FROM rigs WHERE id = ?1", id, &c->err);
}

cJSON *rig_json(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " RIG_COLUMNS " FROM rigs WHERE id = ?", &c->err);
	cJSON *r;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, "rig_id", "no rig '%s' in this town", id);
		return NULL;
	}
	r = row_json(st);
	sqlite3_reset(st);
	return r;
}

cJSON *rigs_json(struct call *c)
{
	return db_list(c->db, db_prepare(c->db, "SELECT " RIG_COLUMNS " FROM rigs ORDER BY id", &c->err), row_json,
		       &c->err);
}

int rig_put(struct call *c, const struct rig_fields *f, int create)
{
	sqlite3_stmt *st;
	char *settings = NULL;
	int exists = rig_exists(c, f->id), rc;
	int64_t count;

	if (exists < 0)
		return -1;
	if (create && exists)
		return err_set(&c->err, ERR_CONFLICT, "id", "the rig '%s' already exists", f->id);
	if (!create && !exists)
		return err_set(&c->err, ERR_NOT_FOUND, "rig_id", "no rig '%s' in this town", f->id);
	if (create) {
		if (db_query_int(c->db, "SELECT count(*) FROM rigs", &count, &c->err) < 0)
			return -1;
		if (count >= RIGS_MAX)
			return err_set(&c->err, ERR_TOO_LARGE, "id", "a town has at most %d rigs", RIGS_MAX);
	}
	if (f->settings && !(settings = json_print(f->settings)))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	/* Missing fields (NULL) take the defaults on create and keep the stored value on update. */
	st = create ? db_prepare(c->db,
		"INSERT INTO rigs(id, git_url, default_branch, merge_strategy, max_polecats, settings,"
		" created_by, created_ms, updated_ms) VALUES (?1, ?2, coalesce(?3, 'main'),"
		" coalesce(?4, 'direct'), coalesce(?5, 4), coalesce(?6, '{}'), ?7, ?8, ?8)", &c->err)
		    : db_prepare(c->db,
		"UPDATE rigs SET git_url = coalesce(?2, git_url), default_branch = coalesce(?3, default_branch),"
		" merge_strategy = coalesce(?4, merge_strategy), max_polecats = coalesce(?5, max_polecats),"
		" settings = CASE WHEN ?6 IS NULL THEN settings ELSE json_patch(settings, ?6) END,"
		" updated_ms = ?8 WHERE id = ?1 AND ?7 IS NOT NULL", &c->err);
	if (!st) {
		cJSON_free(settings);
		return -1;
	}
	sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
	if (f->git_url)
		sqlite3_bind_text(st, 2, f->git_url, -1, SQLITE_STATIC);
	if (f->default_branch)
		sqlite3_bind_text(st, 3, f->default_branch, -1, SQLITE_STATIC);
	if (f->merge_strategy)
		sqlite3_bind_text(st, 4, f->merge_strategy, -1, SQLITE_STATIC);
	if (f->max_polecats > 0)
		sqlite3_bind_int(st, 5, f->max_polecats);
	if (settings)
		sqlite3_bind_text(st, 6, settings, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, c->now_ms);
	rc = db_step_done(c->db, st, &c->err);
	cJSON_free(settings);
	if (rc < 0)
		return -1;
	return event_append(c, create ? "rig.created" : "rig.updated", f->id, NULL, NULL, f->git_url);
}

int rig_delete(struct call *c, const char *id)
{
	sqlite3_stmt *st;
	int exists = rig_exists(c, id);
	int64_t open = 0;

	if (exists <= 0)
		return exists < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "rig_id", "no rig '%s' in this town", id);
	if (bead_unfinished_on_rig(c, id, &open) < 0)
		return -1;
	if (open > 0)
		return err_set(&c->err, ERR_CONFLICT, "rig_id",
			       "the rig has %lld unfinished beads: close or move them first", (long long)open);
	st = db_prepare(c->db, "DELETE FROM rigs WHERE id = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return event_append(c, "rig.deleted", id, NULL, NULL, NULL);
}

int rig_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM rigs", &c->err);
}

int rig_each(struct call *c, int (*fn)(void *arg, const char *id, int max_polecats), void *arg)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, max_polecats FROM rigs ORDER BY id LIMIT 128", &c->err);
	int rc;

	if (!st)
		return -1;
	while ((rc = db_step_row(c->db, st, &c->err)) > 0)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1))) {
			sqlite3_reset(st);
			return 0;
		}
	return rc;
}

int rig_merges_by_pr(struct call *c, const char *id)
{
	return db_exists(c->db, "SELECT count(*) FROM rigs WHERE id = ?1 AND merge_strategy = 'pr'", id, &c->err);
}

/* ---- what a run and a pull request read of a rig ----------------------------------------------- */

int rig_max_attempts(struct call *c, const char *rig, int *out)
{
	const struct field_rule *r = &rig_settings.rule[RIG_MAX_ATTEMPTS];
	int64_t v = 0;
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT coalesce(json_extract(settings, '$.max_attempts'), 0) FROM rigs WHERE id = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rig, -1, SQLITE_STATIC);
	if (db_step_int(c->db, st, &v, &c->err) < 0)
		return -1;
	*out = v >= r->min && v <= r->max ? (int)v : (int)r->def;
	return 0;
}

int rig_run_json(struct call *c, const char *id, cJSON *obj)
{
	static const char *const cols[] = {"id", "git_url", "default_branch", "merge_strategy", NULL};
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, git_url, default_branch, merge_strategy FROM rigs WHERE id = ?",
				      &c->err);
	cJSON *gates;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (db_row_into(c->db, st, obj, cols, &c->err) < 0)
		return -1;
	gates = cJSON_AddArrayToObject(obj, "gates");
	st = db_prepare(c->db, "SELECT j.value FROM rigs, json_each(rigs.settings, '$.gates') j"
			       " WHERE rigs.id = ? AND j.type = 'text' LIMIT 20", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = db_step_row(c->db, st, &c->err)) > 0)
		cJSON_AddItemToArray(gates, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
	return rc < 0 ? -1 : 0;
}

int rig_platform(struct call *c, const char *id, struct rig_platform *p)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT default_branch, git_url, coalesce(json_extract(settings, '$.platform'), 'github'),"
		" coalesce(json_extract(settings, '$.api_url'), CASE WHEN json_extract(settings, '$.platform') = 'gitlab'"
		" THEN 'https://gitlab.com/api/v4' ELSE 'https://api.github.com' END),"
		" coalesce(json_extract(settings, '$.repo'), '') FROM rigs WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(p->base, sizeof p->base, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(p->git_url, sizeof p->git_url, "%s", (const char *)sqlite3_column_text(st, 1));
	p->gitlab = strcmp((const char *)sqlite3_column_text(st, 2), "gitlab") == 0;
	snprintf(p->api, sizeof p->api, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(p->repo, sizeof p->repo, "%s", (const char *)sqlite3_column_text(st, 4));
	sqlite3_reset(st);
	if (!*p->repo && repo_of_url(p->git_url, p->repo, sizeof p->repo) < 0)
		*p->repo = '\0';
	return 1;
}

int rig_pr_poll_s(struct call *c, const char *id, double *s)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(settings, '$.pr_poll_s') FROM rigs WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	rc = sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (rc)
		*s = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return rc;
}

int rig_seed(struct call *c, const char *id, int64_t max_polecats)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO rigs(id, git_url, max_polecats, created_by, created_ms, updated_ms)"
					     " VALUES (?, 'https://example.com/x.git', ?, 'bench', ?, ?)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, max_polecats);
	sqlite3_bind_double(st, 3, c->now_ms);
	sqlite3_bind_double(st, 4, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

static int repo_of_url(const char *url, char *out, size_t len)
{
	const char *end = url + strlen(url), *slash, *start;
	size_t n;

	if (end - url > 4 && strcmp(end - 4, ".git") == 0)
		end -= 4;
	while (end > url && end[-1] == '/')
		end--;
	for (slash = end; slash > url && slash[-1] != '/' && slash[-1] != ':'; slash--)
		;
	if (slash <= url + 1)
		return -1;
	for (start = slash - 1; start > url && start[-1] != '/' && start[-1] != ':'; start--)
		;
	n = (size_t)(end - start);
	if (n >= len || start == slash - 1)
		return -1;
	snprintf(out, len, "%.*s", (int)n, start);
	return 0;
}

/* The git url names repo when its path ends in "/repo" or ":repo" (without ".git"), without case:
 * a GitLab project path may have subgroups, so the last two parts are not enough. */
static int url_names(const char *url, const char *repo)
{
	size_t n = strlen(url), r = strlen(repo);

	if (n > 4 && strcmp(url + n - 4, ".git") == 0)
		n -= 4;
	while (n > 0 && url[n - 1] == '/')
		n--;
	return r > 0 && n > r && (url[n - r - 1] == '/' || url[n - r - 1] == ':') &&
	       sqlite3_strnicmp(url + n - r, repo, (int)r) == 0;
}

int rig_for_repo(struct call *c, const char *repo, char *id, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, git_url, coalesce(json_extract(settings, '$.repo'), '')"
					     " FROM rigs ORDER BY id", &c->err);
	int rc;

	if (!st)
		return -1;
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		const char *setting = (const char *)sqlite3_column_text(st, 2);

		if (*setting ? sqlite3_stricmp(setting, repo) == 0 : url_names((const char *)sqlite3_column_text(st, 1), repo)) {
			snprintf(id, len, "%s", (const char *)sqlite3_column_text(st, 0));
			sqlite3_reset(st);
			return 1;
		}
	}
	return rc;
}

int rig_hooks(struct call *c, const char *id, struct rig_hooks *h)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT default_branch, coalesce(json_extract(settings, '$.hook_label'), 'gastown'),"
		" coalesce(json_extract(settings, '$.hook_issues'), 1), coalesce(json_extract(settings, '$.hook_comments'), 1),"
		" coalesce(json_extract(settings, '$.hook_outside_prs'), 1), coalesce(json_extract(settings, '$.hook_ci'), 1),"
		" coalesce(json_extract(settings, '$.hook_sling'), 0) FROM rigs WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(h->base, sizeof h->base, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(h->label, sizeof h->label, "%s", (const char *)sqlite3_column_text(st, 1));
	h->issues = sqlite3_column_int(st, 2) != 0;
	h->comments = sqlite3_column_int(st, 3) != 0;
	h->outside_prs = sqlite3_column_int(st, 4) != 0;
	h->ci = sqlite3_column_int(st, 5) != 0;
	h->sling = sqlite3_column_int(st, 6) != 0;
	sqlite3_reset(st);
	return 1;
}

int rig_auto_merge_s(struct call *c, const char *id, double *s)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(settings, '$.auto_merge_delay_s') FROM rigs WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	rc = sqlite3_column_type(st, 0) == SQLITE_INTEGER || sqlite3_column_type(st, 0) == SQLITE_FLOAT;
	if (rc)
		*s = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return rc && *s >= 0 && *s <= 7 * 86400.0;
}

int rig_set_language(struct call *c, const char *id, const char *language)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE rigs SET language = ?2 WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, language, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int rig_language(struct call *c, const char *id, char *out, size_t len)
{
	out[0] = '\0';
	return db_text(c->db, "SELECT coalesce(language, '') FROM rigs WHERE id = ?", id, out, len, &c->err);
}
