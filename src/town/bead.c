/*
 * bead.c - beads: the units of work of a town. Ids are "<prefix>-<base36>", unique per town;
 * statuses move along allowed transitions only; blocking dependencies never form a cycle; every
 * change appends an event naming who acted and for whom (feed.c). This file knows the rules, not
 * HTTP: src/api/bead_routes.c maps routes and request fields onto it; bead_run.c answers what the
 * run layer asks of a bead.
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

const char *const bead_types[] = {"task", "bug", "feature", "epic", "chore", "message",
				  "merge-request", "escalation", "convoy", NULL};
const char *const bead_statuses[] = {"open", "in_progress", "in_review", "blocked", "closed", "failed", NULL};
const char *const bead_dep_kinds[] = {"blocks", "parent-child", "related", "discovered-from", NULL};

int bead_type_valid(const char *s)
{
	return str_in_list(s, bead_types);
}

int bead_status_valid(const char *s)
{
	return str_in_list(s, bead_statuses);
}

int bead_dep_kind_valid(const char *s)
{
	return str_in_list(s, bead_dep_kinds);
}

/* Which status may follow which. Reopening a closed or failed bead is allowed; skipping review
 * is allowed (a chore needs none). */
int bead_transition_allowed(const char *from, const char *to)
{
	static const struct {
		const char *from, *to;
	} allowed[] = {
		{"open", "in_progress"}, {"open", "blocked"}, {"open", "closed"}, {"open", "failed"},
		{"in_progress", "open"}, {"in_progress", "in_review"}, {"in_progress", "blocked"},
		{"in_progress", "closed"}, {"in_progress", "failed"},
		{"in_review", "in_progress"}, {"in_review", "open"}, {"in_review", "blocked"},
		{"in_review", "closed"}, {"in_review", "failed"},
		{"blocked", "open"}, {"blocked", "in_progress"}, {"blocked", "closed"}, {"blocked", "failed"},
		{"closed", "open"}, {"failed", "open"},
	};

	if (strcmp(from, to) == 0)
		return 1;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (strcmp(allowed[i].from, from) == 0 && strcmp(allowed[i].to, to) == 0)
			return 1;
	return 0;
}

/* ---- reading ----------------------------------------------------------------------------------- */

#define BEAD_COLUMNS \
	"seq, id, type, status, priority, title, body, labels, metadata, assignee, parent, rig," \
	" requested_by, created_by, created_ms, updated_ms, closed_ms, close_reason, held, attempts, reviews," \
	" branch, worked_by, failure, retry_ms, persona"

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *b = cJSON_CreateObject();
	cJSON *labels = cJSON_Parse((const char *)sqlite3_column_text(st, 7));
	cJSON *meta = cJSON_Parse((const char *)sqlite3_column_text(st, 8));

	cJSON_AddStringToObject(b, "id", (const char *)sqlite3_column_text(st, 1));
	cJSON_AddStringToObject(b, "type", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddStringToObject(b, "status", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddNumberToObject(b, "priority", sqlite3_column_int(st, 4));
	cJSON_AddStringToObject(b, "title", (const char *)sqlite3_column_text(st, 5));
	cJSON_AddStringToObject(b, "body", (const char *)sqlite3_column_text(st, 6));
	cJSON_AddItemToObject(b, "labels", labels ? labels : cJSON_CreateArray());
	cJSON_AddItemToObject(b, "metadata", meta ? meta : cJSON_CreateObject());
	db_column_to_json(b, "assignee", st, 9);
	db_column_to_json(b, "parent", st, 10);
	db_column_to_json(b, "rig", st, 11);
	cJSON_AddStringToObject(b, "requested_by", (const char *)sqlite3_column_text(st, 12));
	cJSON_AddStringToObject(b, "created_by", (const char *)sqlite3_column_text(st, 13));
	cJSON_AddNumberToObject(b, "created_ms", sqlite3_column_double(st, 14));
	cJSON_AddNumberToObject(b, "updated_ms", sqlite3_column_double(st, 15));
	if (sqlite3_column_type(st, 16) == SQLITE_NULL)
		cJSON_AddNullToObject(b, "closed_ms");
	else
		cJSON_AddNumberToObject(b, "closed_ms", sqlite3_column_double(st, 16));
	db_column_to_json(b, "close_reason", st, 17);
	cJSON_AddBoolToObject(b, "held", sqlite3_column_int(st, 18));
	cJSON_AddNumberToObject(b, "attempts", sqlite3_column_int(st, 19));
	cJSON_AddNumberToObject(b, "reviews", sqlite3_column_int(st, 20));
	db_column_to_json(b, "branch", st, 21);
	db_column_to_json(b, "worked_by", st, 22);
	db_column_to_json(b, "failure", st, 23);
	if (sqlite3_column_type(st, 24) == SQLITE_NULL)
		cJSON_AddNullToObject(b, "retry_ms");
	else
		cJSON_AddNumberToObject(b, "retry_ms", sqlite3_column_double(st, 24));
	db_column_to_json(b, "persona", st, 25);
	return b;
}

int bead_status_get(struct call *c, const char *id, char *buf, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT status FROM beads WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 1;
}

/* The bead's current status into buf; 0 found, -1 with ERR_NOT_FOUND or a storage failure. */
static int bead_status(struct call *c, const char *id, char *buf, size_t len)
{
	int rc = bead_status_get(c, id, buf, len);

	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "bead_id", "no bead '%s' in this town", id);
	return 0;
}

int bead_exists(struct call *c, const char *id)
{
	return db_exists(c->db, "SELECT count(*) FROM beads WHERE id = ?1", id, &c->err);
}

int bead_label_count(struct call *c, const char *label, int64_t *n)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT count(*) FROM bead_labels WHERE label = ?1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	*n = rc ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return 0;
}

int bead_json_exists(struct call *c, const char *id)
{
	int rc = bead_exists(c, id);

	if (rc == 0)
		err_set(&c->err, ERR_NOT_FOUND, "bead_id", "no bead '%s' in this town", id);
	return rc > 0;
}

static cJSON *dep_json(sqlite3_stmt *st)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(d, "kind", (const char *)sqlite3_column_text(st, 1));
	db_column_to_json(d, "status", st, 2);
	return d;
}

static cJSON *deps_json(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT d.depends_on, d.kind, b.status FROM bead_deps d LEFT JOIN beads b"
		" ON b.id = d.depends_on WHERE d.bead = ? ORDER BY d.kind, d.depends_on", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return db_list(c->db, st, dep_json, &c->err);
}

cJSON *bead_json(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " BEAD_COLUMNS " FROM beads WHERE id = ?", &c->err);
	cJSON *b, *deps;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, "bead_id", "no bead '%s' in this town", id);
		return NULL;
	}
	b = row_json(st);
	sqlite3_reset(st);
	deps = deps_json(c, id);
	if (!deps) {
		cJSON_Delete(b);
		return NULL;
	}
	cJSON_AddItemToObject(b, "deps", deps);
	return b;
}

cJSON *bead_list_json(struct call *c, const struct bead_filter *f, int64_t *next_cursor)
{
	/* One statement: every filter is optional (NULL binds match everything), newest first. */
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT " BEAD_COLUMNS " FROM beads b WHERE (?1 IS NULL OR seq < ?1)"
		" AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR type = ?3)"
		" AND (?4 IS NULL OR assignee = ?4) AND (?5 IS NULL OR rig = ?5)"
		" AND (?6 IS NULL OR parent = ?6)"
		" AND (?7 IS NULL OR seq IN (SELECT seq FROM bead_labels WHERE label = ?7))"
		" AND (?8 IS NULL OR (status = 'open' AND open_blockers = 0))"
		" ORDER BY seq DESC LIMIT ?9", &c->err);
	cJSON *list;
	int n = 0, rc;
	int64_t last = 0;

	if (!st)
		return NULL;
	if (f->cursor > 0)
		sqlite3_bind_int64(st, 1, f->cursor);
	const char *texts[] = {f->status, f->type, f->assignee, f->rig, f->parent, f->label};
	for (int i = 0; i < 6; i++)
		if (texts[i])
			sqlite3_bind_text(st, 2 + i, texts[i], -1, SQLITE_STATIC);
	if (f->ready)
		sqlite3_bind_int(st, 8, 1);
	sqlite3_bind_int(st, 9, f->limit + 1); /* one more tells whether a next page exists */
	list = cJSON_CreateArray();
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		if (n == f->limit)
			break;
		last = sqlite3_column_int64(st, 0);
		cJSON_AddItemToArray(list, row_json(st));
		n++;
	}
	*next_cursor = rc > 0 ? last : 0;
	sqlite3_reset(st);
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

/* ---- writing ----------------------------------------------------------------------------------- */

/* A bead's labels as rows (bead_labels), replacing those it had; a new bead (fresh) has none. */
static int labels_index(struct call *c, int64_t seq, const cJSON *labels, int fresh)
{
	sqlite3_stmt *st = fresh ? NULL : db_prepare(c->db, "DELETE FROM bead_labels WHERE seq = ?", &c->err);
	const cJSON *l;

	if (!fresh && !st)
		return -1;
	if (st) {
		sqlite3_bind_int64(st, 1, seq);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	cJSON_ArrayForEach(l, labels) {
		st = db_prepare(c->db, "INSERT OR IGNORE INTO bead_labels(label, seq) VALUES (?, ?)", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, l->valuestring, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seq);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	return 0;
}

/* A fresh id: <prefix>-<5 base36>, longer on each collision (beads-style). */
static int new_id(struct call *c, char *out, size_t len)
{
	char prefix[17] = "gt";
	int rc;

	if (town_setting_text(c, TOWN_BEAD_PREFIX, prefix, sizeof prefix) < 0)
		return -1;
	for (int n = 5; n <= 12; n++) {
		if (id_new(c, prefix, n, out, len) < 0 || (rc = bead_exists(c, out)) < 0)
			return -1;
		if (!rc)
			return 0;
	}
	return err_set(&c->err, ERR_INTERNAL, NULL, "could not find a free bead id");
}

int bead_create(struct call *c, const struct bead_fields *f, char *id_out, size_t id_len)
{
	sqlite3_stmt *st;
	char *labels = NULL, *meta = NULL;
	int rc = -1;
	int64_t seq;

	if (new_id(c, id_out, id_len) < 0)
		return -1;
	if (f->parent && (rc = bead_exists(c, f->parent)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "parent", "no bead '%s' to be the parent", f->parent);
	rc = -1;
	labels = f->labels ? json_print(f->labels) : NULL;
	meta = f->metadata ? json_print(f->metadata) : NULL;
	st = db_prepare(c->db,
		"INSERT INTO beads(id, type, status, priority, title, body, labels, metadata, assignee,"
		" parent, rig, requested_by, created_by, created_ms, updated_ms, held)"
		" VALUES (?, ?, 'open', ?, ?, ?, coalesce(?, '[]'), coalesce(?, '{}'), ?, ?, ?, ?, ?, ?, ?, ?)"
		" RETURNING seq", &c->err);
	if (!st)
		goto out;
	sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->type ? f->type : "task", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, f->priority >= 0 ? f->priority : BEAD_PRIORITY_DEFAULT);
	sqlite3_bind_text(st, 4, f->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, f->body ? f->body : "", -1, SQLITE_STATIC);
	if (labels)
		sqlite3_bind_text(st, 6, labels, -1, SQLITE_STATIC);
	if (meta)
		sqlite3_bind_text(st, 7, meta, -1, SQLITE_STATIC);
	if (f->assignee)
		sqlite3_bind_text(st, 8, f->assignee, -1, SQLITE_STATIC);
	if (f->parent)
		sqlite3_bind_text(st, 9, f->parent, -1, SQLITE_STATIC);
	if (f->rig)
		sqlite3_bind_text(st, 10, f->rig, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, call_requested_by(c), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 13, c->now_ms);
	sqlite3_bind_double(st, 14, c->now_ms);
	sqlite3_bind_int(st, 15, f->held_set && f->held);
	/* RETURNING gives one row: none is a failure too, not a bead without a number. */
	if (db_step_row(c->db, st, &c->err) <= 0) {
		err_set(&c->err, ERR_INTERNAL, NULL, "create bead: no row");
		goto out;
	}
	seq = sqlite3_column_int64(st, 0);
	if (db_step_done(c->db, st, &c->err) < 0)
		goto out;
	if ((f->labels && labels_index(c, seq, f->labels, 1) < 0) ||
	    (f->parent && bead_dep_add(c, id_out, f->parent, "parent-child", "parent") < 0) ||
	    event_append(c, "bead.created", id_out, NULL, NULL, f->title) < 0)
		goto out;
	/* Work with a rig is the reconciler's to start. */
	if (bead_announce(c, &(struct bead_change){.kind = BEAD_CREATED, .id = id_out,
						  .startable = f->rig && !(f->held_set && f->held)}) < 0)
		goto out;
	rc = 0;
out:
	cJSON_free(labels);
	cJSON_free(meta);
	return rc;
}

/* A bead as another system had it (federation/beads_jsonl.c): its status, times and close taken
 * as they are, with no transition rule (that system decided them) and one bead.imported event. A
 * new one is not startable: an imported bead has no rig, and nothing starts until it is slung. */
int bead_import_put(struct call *c, const struct bead_imported *b, char *id, size_t id_len)
{
	char *labels = json_print(b->labels);
	int create = !*id, rc = -1;
	sqlite3_stmt *st;
	int64_t seq;

	if (!labels)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	if (create && new_id(c, id, id_len) < 0)
		goto out;
	st = create ? db_prepare(c->db, "INSERT INTO beads(id, type, status, priority, title, body, labels, metadata, assignee,"
					" requested_by, created_by, created_ms, updated_ms, closed_ms, close_reason, held)"
					" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '{}', ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0) RETURNING seq",
				 &c->err)
		    : db_prepare(c->db, "UPDATE beads SET type = ?2, status = ?3, priority = ?4, title = ?5, body = ?6, labels = ?7,"
					" assignee = ?8, created_ms = ?11, updated_ms = ?12, closed_ms = ?13, close_reason = ?14"
					" WHERE id = ?1 RETURNING seq", &c->err);
	if (!st)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, b->priority);
	sqlite3_bind_text(st, 5, b->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, b->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, labels, -1, SQLITE_STATIC);
	if (b->assignee)
		sqlite3_bind_text(st, 8, b->assignee, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, call_requested_by(c), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 11, b->created_ms);
	sqlite3_bind_double(st, 12, b->updated_ms);
	if (b->closed_ms > 0)
		sqlite3_bind_double(st, 13, b->closed_ms);
	if (b->close_reason)
		sqlite3_bind_text(st, 14, b->close_reason, -1, SQLITE_STATIC);
	if (db_step_row(c->db, st, &c->err) <= 0) {
		err_set(&c->err, ERR_INTERNAL, NULL, "import bead: no row");
		goto out;
	}
	seq = sqlite3_column_int64(st, 0);
	if (db_step_done(c->db, st, &c->err) < 0 || labels_index(c, seq, b->labels, create) < 0 ||
	    event_append(c, "bead.imported", id, NULL, NULL, b->title) < 0 ||
	    bead_announce(c, &(struct bead_change){.kind = create ? BEAD_CREATED : BEAD_EDITED, .id = id}) < 0)
		goto out;
	rc = 0;
out:
	cJSON_free(labels);
	return rc;
}

cJSON *bead_export_page(struct call *c, int64_t after, int limit, int64_t *next)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT seq, id FROM beads WHERE seq > ? ORDER BY seq LIMIT ?", &c->err);
	cJSON *list, *ids = cJSON_CreateArray(), *id;
	int rc;

	*next = 0;
	if (!st || !ids) {
		cJSON_Delete(ids);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = db_step_row(c->db, st, &c->err)) == 1) {
		*next = sqlite3_column_int64(st, 0);
		cJSON_AddItemToArray(ids, cJSON_CreateString((const char *)sqlite3_column_text(st, 1)));
	}
	if (rc < 0 || !(list = cJSON_CreateArray())) {
		cJSON_Delete(ids);
		return NULL;
	}
	/* A page shorter than asked is the last. */
	if (cJSON_GetArraySize(ids) < limit)
		*next = 0;
	cJSON_ArrayForEach(id, ids) {
		cJSON *b = bead_json(c, id->valuestring);

		if (!b) {
			cJSON_Delete(list);
			list = NULL;
			break;
		}
		cJSON_AddItemToArray(list, b);
	}
	cJSON_Delete(ids);
	return list;
}

/* Would "bead depends on dep (kind)" close a loop? Only blocking and parent edges must not. */
static int makes_cycle(struct call *c, const char *bead, const char *dep, const char *kind, int *cycle)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"WITH RECURSIVE reach(x) AS (SELECT ?1 UNION SELECT d.depends_on FROM bead_deps d, reach"
		" WHERE d.bead = reach.x AND d.kind = ?3) SELECT count(*) FROM reach WHERE x = ?2", &c->err);
	int64_t n = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, dep, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (db_step_int(c->db, st, &n, &c->err) < 0)
		return -1;
	*cycle = n > 0;
	return 0;
}

int bead_dep_add(struct call *c, const char *bead, const char *dep, const char *kind, const char *field)
{
	int cycle = 0, rc;
	int64_t count = 0;
	sqlite3_stmt *st;

	if (strcmp(bead, dep) == 0)
		return err_set(&c->err, ERR_INVALID, field, "a bead cannot depend on itself");
	if ((rc = bead_exists(c, dep)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, field, "no bead '%s' in this town", dep);
	if ((strcmp(kind, "blocks") == 0 || strcmp(kind, "parent-child") == 0) &&
	    makes_cycle(c, bead, dep, kind, &cycle) < 0)
		return -1;
	if (cycle)
		return err_set(&c->err, ERR_CONFLICT, field,
			       "'%s' already depends on '%s' (%s): this would make a cycle", dep, bead, kind);
	st = db_prepare(c->db, "SELECT count(*) FROM bead_deps WHERE bead = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if (db_step_int(c->db, st, &count, &c->err) < 0)
		return -1;
	if (count >= BEAD_DEPS_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, field, "a bead has at most %d dependencies",
			       BEAD_DEPS_MAX);
	st = db_prepare(c->db, "INSERT OR IGNORE INTO bead_deps(bead, depends_on, kind, created_ms)"
			       " VALUES (?, ?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dep, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return 0; /* already there */
	return event_append(c, "bead.dep_added", bead, kind, NULL, dep);
}

int bead_dep_remove(struct call *c, const char *bead, const char *dep, const char *kind)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"DELETE FROM bead_deps WHERE bead = ? AND depends_on = ? AND kind = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dep, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0)
		return err_set(&c->err, ERR_NOT_FOUND, "dep", "'%s' does not depend on '%s' (%s)",
			       bead, dep, kind);
	if (event_append(c, "bead.dep_removed", bead, kind, dep, NULL) < 0)
		return -1;
	/* A blocker gone may leave the bead free to start. */
	return strcmp(kind, "blocks") ? 0 : bead_announce(c, &(struct bead_change){.kind = BEAD_UPDATED, .id = bead});
}

/* Set one text column (or NULL) and record the change; unchanged values record nothing. */
static int set_text(struct call *c, const char *id, const char *column, const char *value)
{
	char sql[160], *old = NULL;
	int had_old = 0, rc;
	sqlite3_stmt *st;

	/* column comes from the fixed list in bead_update, never from input. */
	snprintf(sql, sizeof sql, "SELECT %s FROM beads WHERE id = ?", column);
	if (sqlite3_prepare_v2(db_handle(c->db), sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(c->db, &c->err, "prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0) {
		sqlite3_finalize(st);
		return -1;
	}
	if (rc > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		const char *cur = (const char *)sqlite3_column_text(st, 0);

		had_old = 1;
		/* Unchanged (compared in full): nothing to write, nothing to record. */
		if (value && strcmp(cur, value) == 0) {
			sqlite3_finalize(st);
			return 0;
		}
		old = sqlite3_mprintf("%s", cur);
	}
	sqlite3_finalize(st);
	if (!had_old && !value)
		return 0;
	if (had_old && !old)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(sql, sizeof sql, "UPDATE beads SET %s = ?, updated_ms = ? WHERE id = ?", column);
	if (sqlite3_prepare_v2(db_handle(c->db), sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(c->db, &c->err, "prepare");
	if (value)
		sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = db_step_done(c->db, st, &c->err);
	sqlite3_finalize(st);
	if (rc < 0) {
		sqlite3_free(old);
		return -1;
	}
	rc = event_append(c, "bead.updated", id, column, old, value);
	sqlite3_free(old);
	return rc;
}

int bead_set_status(struct call *c, const char *id, const char *to, const char *reason)
{
	char from[16];
	sqlite3_stmt *st;

	if (bead_status(c, id, from, sizeof from) < 0)
		return -1;
	if (!bead_transition_allowed(from, to))
		return err_set(&c->err, ERR_CONFLICT, "status", "a bead cannot go from %s to %s", from, to);
	if (strcmp(from, to) == 0)
		return 0;
	st = db_prepare(c->db,
		"UPDATE beads SET status = ?1, updated_ms = ?2,"
		" closed_ms = CASE WHEN ?1 IN ('closed', 'failed') THEN ?2 ELSE NULL END,"
		" close_reason = CASE WHEN ?1 IN ('closed', 'failed') THEN ?3 ELSE NULL END,"
		" reopened = reopened OR (status = 'closed' AND ?1 <> 'closed')"
		" WHERE id = ?4", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	if (reason)
		sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (event_append(c, strcmp(to, "closed") == 0 ? "bead.closed" : "bead.updated", id, "status", from,
			 to) < 0)
		return -1;
	return bead_announce(c, &(struct bead_change){.kind = BEAD_STATUS, .id = id, .from = from, .to = to});
}

int bead_update(struct call *c, const char *id, const struct bead_fields *f, int clear_assignee)
{
	char status[16];
	char *json = NULL;
	int rc = 0;

	if (bead_status(c, id, status, sizeof status) < 0)
		return -1;
	if ((f->title && set_text(c, id, "title", f->title) < 0) ||
	    (f->body && set_text(c, id, "body", f->body) < 0) ||
	    (f->type && set_text(c, id, "type", f->type) < 0) ||
	    (f->rig && set_text(c, id, "rig", f->rig) < 0) ||
	    ((f->assignee || clear_assignee) && set_text(c, id, "assignee", f->assignee) < 0))
		return -1;
	if (f->priority >= 0) {
		char p[16];

		snprintf(p, sizeof p, "%d", f->priority);
		if (set_text(c, id, "priority", p) < 0)
			return -1;
	}
	if (f->labels) {
		sqlite3_stmt *st = db_prepare(c->db, "SELECT seq FROM beads WHERE id = ?", &c->err);
		int64_t seq = 0;

		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (db_step_int(c->db, st, &seq, &c->err) < 0)
			return -1;
		json = json_print(f->labels);
		rc = !json || set_text(c, id, "labels", json) < 0 || labels_index(c, seq, f->labels, 0) < 0;
		cJSON_free(json);
		if (rc)
			return -1;
	}
	if (f->metadata) {
		json = json_print(f->metadata);
		rc = !json || set_text(c, id, "metadata", json) < 0;
		cJSON_free(json);
		if (rc)
			return -1;
	}
	if (f->held_set && set_text(c, id, "held", f->held ? "1" : "0") < 0)
		return -1;
	if (f->status && bead_set_status(c, id, f->status, NULL) < 0)
		return -1;
	if ((f->title || f->body || f->labels) && bead_announce(c, &(struct bead_change){.kind = BEAD_EDITED, .id = id}) < 0)
		return -1;
	/* A new rig, a hold lifted or a new status may make the bead startable. */
	return f->rig || f->held_set || f->status
		       ? bead_announce(c, &(struct bead_change){.kind = BEAD_UPDATED, .id = id})
		       : 0;
}

int bead_announce(struct call *c, const struct bead_change *ch)
{
	for (size_t i = 0; i < bead_reactions_n; i++)
		if (bead_reactions[i](c, ch) < 0)
			return -1;
	return 0;
}

int bead_delete(struct call *c, const char *id)
{
	char status[16];

	if (bead_status(c, id, status, sizeof status) < 0)
		return -1;
	/* Its labels, its edges both ways, its children's parent link; whoever had it on their hook
	 * or in a convoy lets go of it. */
	if (db_exec_text(c->db, "DELETE FROM bead_labels WHERE seq = (SELECT seq FROM beads WHERE id = ?1)", id,
			 &c->err) < 0 ||
	    db_exec_text(c->db, "DELETE FROM bead_deps WHERE bead = ?1 OR depends_on = ?1", id, &c->err) < 0 ||
	    db_exec_text(c->db, "UPDATE beads SET parent = NULL WHERE parent = ?1", id, &c->err) < 0 ||
	    bead_announce(c, &(struct bead_change){.kind = BEAD_DELETING, .id = id}) < 0)
		return -1;
	if (db_exec_text(c->db, "DELETE FROM bead_diffs WHERE bead = ?1", id, &c->err) < 0 ||
	    db_exec_text(c->db, "DELETE FROM beads WHERE id = ?1", id, &c->err) < 0)
		return -1;
	return event_append(c, "bead.deleted", id, NULL, NULL, NULL);
}

int bead_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM bead_diffs; DELETE FROM bead_labels; DELETE FROM bead_deps; DELETE FROM beads;", &c->err);
}
