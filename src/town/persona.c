/*
 * persona.c - the parts an agent can play: a system-prompt overlay, the tools it may or may not
 * use, gates its work must pass and, optionally, its own model. The built-in ones are this file's
 * table; a town adds its own (the personas table) under other names. A bead names the persona it
 * is worked in; the agent on it wears it for that run (work.c), and the start request carries it
 * to the agent host, which turns it into each runtime's own configuration (docs/casting.md).
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

#define PERSONAS_MAX 100

/* The built-in personas: a place to start, named so a town can sling with them at once. */
static const struct builtin {
	const char *name, *title, *overlay;
	const char *denied[4];
} builtins[] = {
	{"frontend", "Frontend engineer",
	 "You work as a frontend engineer. Care for what a user sees and does: behaviour in the browser,"
	 " accessibility (labels, focus, contrast), and the styles and components the project already has."
	 " Keep components small and test them the way a user would use them.", {NULL}},
	{"backend", "Backend engineer",
	 "You work as a backend engineer. Care for interfaces, data and failure: validate input at the"
	 " boundary, keep transactions short, handle every error explicitly, and add tests for the edge"
	 " cases (empty, huge, concurrent, malformed).", {NULL}},
	{"security-reviewer", "Security reviewer",
	 "You work as a security reviewer. Look for injection, missing authorization checks, secrets in"
	 " code or logs, unsafe parsing and unbounded input. Fix each finding with the smallest change and"
	 " explain it in the commit message. Do not fetch anything from the network.",
	 {"WebFetch", "WebSearch", NULL}},
	{"test-writer", "Test writer",
	 "You work as a test writer. Add tests that would fail if the behaviour described in the bead"
	 " broke; do not change production code unless a test proves a bug, and then say so.", {NULL}},
	{"docs-writer", "Docs writer",
	 "You work as a documentation writer. Explain what the code does for the people who use it: keep"
	 " examples runnable, say what each option means and its default, and change no behaviour.", {NULL}},
	{"refactorer", "Refactorer",
	 "You work as a refactorer. Change the structure, not the behaviour: every existing test passes"
	 " unchanged, each commit is one step a reviewer can follow, and nothing new is added.", {NULL}},
};

static const struct builtin *builtin_of(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

/* ---- the forms a persona's parts take -------------------------------------------------------------- */

int persona_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= PERSONA_NAME_MAX && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A tool name: a letter, then letters, digits and _ . - (mcp__server__tool included), optionally
 * followed by one parenthesised rule of printable characters without parentheses ("Bash(git *)"). */
int persona_tool_valid(const char *s)
{
	size_t n = strlen(s), name;

	if (n < 1 || n > PERSONA_TOOL_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	name = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	if (name == n)
		return 1;
	if (s[name] != '(' || s[n - 1] != ')' || n - name < 3)
		return 0;
	for (size_t i = name + 1; i < n - 1; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '(' || s[i] == ')' || s[i] == ',')
			return 0;
	return 1;
}

/* A model name as the runtimes take it on their command line: no leading '-', no quotes or spaces. */
int persona_model_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 100 && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@-") == n;
}

/* ---- reading ----------------------------------------------------------------------------------- */

static cJSON *list_of(const char *const *items)
{
	cJSON *a = cJSON_CreateArray();

	for (; items && *items; items++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*items));
	return a;
}

int persona_builtin(const char *name)
{
	return builtin_of(name) != NULL;
}

static cJSON *builtin_json(const struct builtin *b)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "name", b->name);
	cJSON_AddStringToObject(p, "title", b->title);
	cJSON_AddStringToObject(p, "overlay", b->overlay);
	cJSON_AddItemToObject(p, "allowed_tools", cJSON_CreateArray());
	cJSON_AddItemToObject(p, "denied_tools", list_of(b->denied));
	cJSON_AddItemToObject(p, "gates", cJSON_CreateArray());
	cJSON_AddNullToObject(p, "model");
	cJSON_AddBoolToObject(p, "builtin", 1);
	return p;
}

#define PERSONA_COLUMNS "name, title, overlay, allowed_tools, denied_tools, gates, model, created_by, created_ms, updated_ms"

static cJSON *array_column(sqlite3_stmt *st, int i)
{
	cJSON *a = cJSON_Parse((const char *)sqlite3_column_text(st, i));

	if (cJSON_IsArray(a))
		return a;
	cJSON_Delete(a);
	return cJSON_CreateArray();
}

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "name", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(p, "title", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(p, "overlay", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddItemToObject(p, "allowed_tools", array_column(st, 3));
	cJSON_AddItemToObject(p, "denied_tools", array_column(st, 4));
	cJSON_AddItemToObject(p, "gates", array_column(st, 5));
	db_column_to_json(p, "model", st, 6);
	cJSON_AddBoolToObject(p, "builtin", 0);
	cJSON_AddStringToObject(p, "created_by", (const char *)sqlite3_column_text(st, 7));
	cJSON_AddNumberToObject(p, "created_ms", sqlite3_column_double(st, 8));
	cJSON_AddNumberToObject(p, "updated_ms", sqlite3_column_double(st, 9));
	return p;
}

/* The stored persona name as JSON: 1 with *out, 0 when there is none, -1. */
static int stored_json(struct call *c, const char *name, cJSON **out)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " PERSONA_COLUMNS " FROM personas WHERE name = ?", &c->err);
	int rc;

	*out = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	*out = row_json(st);
	sqlite3_reset(st);
	return 1;
}

int persona_exists(struct call *c, const char *name)
{
	if (builtin_of(name))
		return 1;
	return db_exists(c->db, "SELECT 1 FROM personas WHERE name = ?", name, &c->err);
}

cJSON *persona_json(struct call *c, const char *name)
{
	const struct builtin *b = builtin_of(name);
	cJSON *p;
	int rc;

	if (b)
		return builtin_json(b);
	if ((rc = stored_json(c, name, &p)) == 0)
		err_set(&c->err, ERR_NOT_FOUND, "persona", "no persona '%s' in this town", name);
	return rc > 0 ? p : NULL;
}

cJSON *personas_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " PERSONA_COLUMNS " FROM personas ORDER BY name LIMIT 200", &c->err);
	cJSON *list, *stored;

	if (!st || !(stored = db_list(c->db, st, row_json, &c->err)))
		return NULL;
	list = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		cJSON_AddItemToArray(list, builtin_json(&builtins[i]));
	while (cJSON_GetArraySize(stored) > 0)
		cJSON_AddItemToArray(list, cJSON_DetachItemFromArray(stored, 0));
	cJSON_Delete(stored);
	return list;
}

int persona_run_json(struct call *c, const char *name, cJSON *obj)
{
	cJSON *p = persona_json(c, name), *item;

	if (!p)
		return -1;
	/* Only what the agent host needs: no authorship. */
	cJSON_ArrayForEach(item, p)
		if (strcmp(item->string, "builtin") && strcmp(item->string, "created_by") && strcmp(item->string, "created_ms") &&
		    strcmp(item->string, "updated_ms"))
			cJSON_AddItemToObject(obj, item->string, cJSON_Duplicate(item, 1));
	cJSON_Delete(p);
	return 0;
}

/* ---- writing ----------------------------------------------------------------------------------- */

int persona_put(struct call *c, const struct persona_fields *f, int create)
{
	char *lists[3] = {NULL, NULL, NULL};
	const cJSON *given[3] = {f->allowed_tools, f->denied_tools, f->gates};
	sqlite3_stmt *st;
	int exists, rc = -1;
	int64_t count;

	if (builtin_of(f->name))
		return err_set(&c->err, ERR_CONFLICT, "name", "'%s' is a built-in persona: give yours another name",
			       f->name);
	if ((exists = db_exists(c->db, "SELECT 1 FROM personas WHERE name = ?", f->name, &c->err)) < 0)
		return -1;
	if (create && exists)
		return err_set(&c->err, ERR_CONFLICT, "name", "the persona '%s' already exists", f->name);
	if (!create && !exists)
		return err_set(&c->err, ERR_NOT_FOUND, "persona", "no persona '%s' in this town", f->name);
	if (create) {
		if (db_query_int(c->db, "SELECT count(*) FROM personas", &count, &c->err) < 0)
			return -1;
		if (count >= PERSONAS_MAX)
			return err_set(&c->err, ERR_TOO_LARGE, "name", "a town has at most %d personas of its own",
				       PERSONAS_MAX);
	}
	for (int i = 0; i < 3; i++)
		if (given[i] && !(lists[i] = json_print(given[i]))) {
			err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
	/* Missing fields (NULL) take the defaults on create and keep the stored value on update; a
	 * model given as "" clears it. */
	st = create ? db_prepare(c->db,
		"INSERT INTO personas(name, title, overlay, allowed_tools, denied_tools, gates, model, created_by,"
		" created_ms, updated_ms) VALUES (?1, coalesce(?2, ?1), coalesce(?3, ''), coalesce(?4, '[]'),"
		" coalesce(?5, '[]'), coalesce(?6, '[]'), nullif(?7, ''), ?8, ?9, ?9)", &c->err)
		    : db_prepare(c->db,
		"UPDATE personas SET title = coalesce(?2, title), overlay = coalesce(?3, overlay),"
		" allowed_tools = coalesce(?4, allowed_tools), denied_tools = coalesce(?5, denied_tools),"
		" gates = coalesce(?6, gates), model = CASE WHEN ?7 IS NULL THEN model ELSE nullif(?7, '') END,"
		" updated_ms = ?9 WHERE name = ?1 AND ?8 IS NOT NULL", &c->err);
	if (!st)
		goto out;
	sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
	if (f->title)
		sqlite3_bind_text(st, 2, f->title, -1, SQLITE_STATIC);
	if (f->overlay)
		sqlite3_bind_text(st, 3, f->overlay, -1, SQLITE_STATIC);
	for (int i = 0; i < 3; i++)
		if (lists[i])
			sqlite3_bind_text(st, 4 + i, lists[i], -1, SQLITE_STATIC);
	if (f->model)
		sqlite3_bind_text(st, 7, f->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 9, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		goto out;
	rc = event_append(c, create ? "persona.created" : "persona.updated", f->name, NULL, NULL, f->title);
out:
	for (int i = 0; i < 3; i++)
		cJSON_free(lists[i]);
	return rc;
}

int persona_delete(struct call *c, const char *name)
{
	sqlite3_stmt *st;
	int exists, in_use;
	char bead[72] = "";

	if (builtin_of(name))
		return err_set(&c->err, ERR_CONFLICT, "persona", "'%s' is a built-in persona and cannot be deleted", name);
	if ((exists = db_exists(c->db, "SELECT 1 FROM personas WHERE name = ?", name, &c->err)) <= 0)
		return exists < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "persona", "no persona '%s' in this town", name);
	/* Work still to be done in it would start without it: say which. */
	if ((in_use = bead_unfinished_in_persona(c, name, bead, sizeof bead)) < 0)
		return -1;
	if (in_use)
		return err_set(&c->err, ERR_CONFLICT, "persona",
			       "bead %s is still to be worked as '%s': finish it or sling it without the persona first",
			       bead, name);
	if (!(st = db_prepare(c->db, "DELETE FROM personas WHERE name = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return event_append(c, "persona.deleted", name, NULL, NULL, NULL);
}

int persona_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM personas", &c->err);
}
