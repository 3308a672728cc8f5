/*
 * bead_run.c - what the run, costs and fleet layers read and write about a bead: its run (branch,
 * agent, attempts, retry time), its merge request and pull request, who asked for it and whom a
 * model call is charged to, the reconciler's queries over ready and unfinished work, and the rows
 * the fleet roll-up copies once a bead closes. Part of the bead module (bead.c owns the tables;
 * scripts/check-owners.sh counts this file as bead.c), kept apart so bead.c holds the rules.
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

static cJSON *closed_row(sqlite3_stmt *st)
{
	cJSON *r = cJSON_CreateArray();

	cJSON_AddItemToArray(r, cJSON_CreateNumber((double)sqlite3_column_int64(st, 0)));
	cJSON_AddItemToArray(r, cJSON_CreateString((const char *)sqlite3_column_text(st, 1)));
	cJSON_AddItemToArray(r, cJSON_CreateString((const char *)sqlite3_column_text(st, 2)));
	for (int i = 3; i < 6; i++)
		cJSON_AddItemToArray(r, cJSON_CreateNumber((double)sqlite3_column_int64(st, i)));
	return r;
}

cJSON *bead_closed_rows(struct call *c, int64_t since)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT CAST(closed_ms / 86400000 AS INTEGER) AS day, requested_by, coalesce(rig, ''), count(*),"
		" sum(reviews > 0 OR reopened), sum(reviews = 0 AND reopened = 0 AND close_reason LIKE 'merged%') FROM beads"
		" WHERE status = 'closed' AND closed_ms >= ?1 * 86400000.0"
		" AND type NOT IN ('merge-request', 'message', 'escalation', 'convoy', 'epic')"
		" GROUP BY 1, 2, 3 ORDER BY 1 DESC LIMIT 5000", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, since);
	return db_list(c->db, st, closed_row, &c->err);
}

/* ---- what the reconciler reads ---------------------------------------------------------------- */

int bead_merge_head(struct call *c, const char *rig, char *id, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT id FROM beads WHERE status = 'open' AND rig = ?1 AND type = 'merge-request'"
		" AND held = 0 AND (retry_ms IS NULL OR retry_ms <= ?2) ORDER BY priority, seq LIMIT 1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rig, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(id, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 1;
}

int bead_ready_on_rig(struct call *c, const char *rig, int limit, int (*fn)(void *arg, const char *id, const char *prefer),
		      void *arg)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT b.id, coalesce(b.worked_by, (SELECT p.worked_by FROM bead_deps d JOIN beads p ON p.id = d.depends_on"
		"   WHERE d.bead = b.id AND d.kind = 'blocks' AND p.worked_by IS NOT NULL ORDER BY p.closed_ms DESC LIMIT 1), '')"
		" FROM beads b WHERE b.status = 'open' AND b.rig = ?1 AND b.held = 0"
		" AND b.type NOT IN ('merge-request', 'message', 'escalation', 'convoy', 'epic')"
		" AND (b.retry_ms IS NULL OR b.retry_ms <= ?2) AND b.open_blockers = 0"
		" ORDER BY b.priority, b.seq LIMIT ?3", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rig, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = db_step_row(c->db, st, &c->err)) > 0)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1))) {
			sqlite3_reset(st);
			return 0;
		}
	return rc;
}

int bead_work_waiting(struct call *c)
{
	int64_t open;

	/* Blocked work is not waiting: it can start only once a blocker closes, which asks for a tick. */
	if (db_query_int(c->db, "SELECT count(*) FROM (SELECT 1 FROM beads WHERE status = 'open' AND rig IS NOT NULL"
				" AND held = 0 AND open_blockers = 0 LIMIT 1)", &open, &c->err) < 0)
		return -1;
	return open > 0;
}

int bead_review_orphans(struct call *c, char ids[][72])
{
	int n = 0, rc = 0;
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT w.id FROM beads w WHERE w.status = 'in_review' AND NOT EXISTS (SELECT 1 FROM beads m"
		" WHERE m.parent = w.id AND m.type = 'merge-request' AND m.status IN ('open', 'in_progress')) LIMIT 16",
		&c->err);

	if (!st)
		return -1;
	while (n < BEAD_ORPHANS_MAX && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(ids[n++], 72, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc < 0 ? -1 : n;
}

/* ---- a bead's parts for the other modules (each one statement) -------------------------------- */

int bead_run_get(struct call *c, const char *id, struct bead_run *b)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT status, type, coalesce(rig, ''), requested_by, coalesce(parent, ''),"
		" coalesce(worked_by, ''), attempts, reviews FROM beads WHERE id = ?", &c->err);
	int found;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((found = db_step_row(c->db, st, &c->err)) <= 0)
		return found;
	snprintf(b->status, sizeof b->status, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(b->type, sizeof b->type, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(b->rig, sizeof b->rig, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(b->requested_by, sizeof b->requested_by, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(b->parent, sizeof b->parent, "%s", (const char *)sqlite3_column_text(st, 4));
	snprintf(b->worked_by, sizeof b->worked_by, "%s", (const char *)sqlite3_column_text(st, 5));
	b->attempts = sqlite3_column_int(st, 6);
	b->reviews = sqlite3_column_int(st, 7);
	sqlite3_reset(st);
	return 1;
}

int bead_run_started(struct call *c, const char *id, const char *branch, const char *agent)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE beads SET branch = ?2, worked_by = ?3, retry_ms = NULL"
					     " WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, branch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int bead_run_ended(struct call *c, const char *id, int attempts, int reviews, double retry_ms, const char *failure)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"UPDATE beads SET attempts = ?2, reviews = ?3, retry_ms = ?4, failure = ?5, assignee = NULL"
		" WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, attempts);
	sqlite3_bind_int(st, 3, reviews);
	sqlite3_bind_double(st, 4, retry_ms);
	sqlite3_bind_text(st, 5, failure, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int bead_set_branch(struct call *c, const char *id, const char *branch)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE beads SET branch = ?2 WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, branch, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

/* The first text column of sql's row for id into out: 1, 0 without a row, -1 on failure. */
static int text_of(struct call *c, const char *sql, const char *id, char *out, size_t len)
{
	return db_text(c->db, sql, id, out, len, &c->err);
}

int bead_title(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT title FROM beads WHERE id = ?", id, out, len);
}

int bead_requested_by(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT requested_by FROM beads WHERE id = ?", id, out, len);
}

int bead_worked_by(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT coalesce(worked_by, '') FROM beads WHERE id = ?", id, out, len);
}

int bead_rig_requester(struct call *c, const char *id, char *rig, size_t rlen, char *user, size_t ulen)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT coalesce(rig, ''), requested_by FROM beads WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(rig, rlen, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(user, ulen, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return 1;
}

int bead_run_json(struct call *c, const char *id, cJSON *obj)
{
	static const char *const cols[] = {"id", "title", "body", "type", "status", "branch", "parent", NULL};
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, title, body, type, status, branch, parent FROM beads WHERE id = ?",
				      &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return db_row_into(c->db, st, obj, cols, &c->err);
}

int bead_merge_request(struct call *c, const char *id, struct bead_mr *m)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT m.parent, coalesce(m.branch, ''), m.rig, w.title,"
		" coalesce(json_extract(m.metadata, '$.pull_request.number'), 0)"
		" FROM beads m JOIN beads w ON w.id = m.parent WHERE m.id = ? AND m.rig IS NOT NULL", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(m->work, sizeof m->work, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(m->branch, sizeof m->branch, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(m->rig, sizeof m->rig, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(m->title, sizeof m->title, "%s", (const char *)sqlite3_column_text(st, 3));
	m->number = sqlite3_column_int(st, 4);
	sqlite3_reset(st);
	return 1;
}

int bead_pull_request_number(struct call *c, const char *bead, int *number)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(metadata, '$.pull_request.number') FROM beads"
					     " WHERE (id = ?1 OR parent = ?1) AND type = 'merge-request'"
					     " AND json_extract(metadata, '$.pull_request.number') > 0 ORDER BY seq DESC LIMIT 1", &c->err);
	int64_t n = 0;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_int(c->db, st, &n, &c->err)) > 0)
		*number = n > 0 && n < 1000000000 ? (int)n : 0;
	return rc < 0 ? -1 : rc > 0 && *number > 0;
}

int bead_set_pull_request(struct call *c, const char *id, int number, const char *url)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE beads SET metadata = json_set(metadata, '$.pull_request',"
					     " json_object('number', ?2, 'url', ?3)) WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, number);
	if (url)
		sqlite3_bind_text(st, 3, url, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int bead_set_retry(struct call *c, const char *id, double retry_ms)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE beads SET retry_ms = ?2 WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, retry_ms);
	return db_step_done(c->db, st, &c->err);
}

int bead_charge(struct call *c, const char *id, char *work, size_t wlen, char *rig, size_t rlen, char *user, size_t ulen)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT CASE WHEN b.type = 'merge-request' AND p.id IS NOT NULL THEN p.id ELSE b.id END,"
		" coalesce(b.rig, ''), CASE WHEN b.type = 'merge-request' AND p.id IS NOT NULL THEN p.requested_by"
		" ELSE b.requested_by END FROM beads b LEFT JOIN beads p ON p.id = b.parent WHERE b.id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(work, wlen, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(rig, rlen, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(user, ulen, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	return 1;
}

int bead_unfinished_on_rig(struct call *c, const char *rig, int64_t *n)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT count(*) FROM beads WHERE rig = ? AND status NOT IN ('closed', 'failed')",
				      &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rig, -1, SQLITE_STATIC);
	return db_step_int(c->db, st, n, &c->err) < 0 ? -1 : 0;
}

int bead_set_persona(struct call *c, const char *id, const char *persona)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE beads SET persona = ?2 WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (persona)
		sqlite3_bind_text(st, 2, persona, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int bead_persona(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT coalesce(persona, '') FROM beads WHERE id = ?", id, out, len);
}

int bead_unfinished_in_persona(struct call *c, const char *persona, char *bead, size_t len)
{
	return text_of(c, "SELECT id FROM beads WHERE persona = ? AND status NOT IN ('closed', 'failed') LIMIT 1",
		       persona, bead, len);
}

int bead_parent(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT coalesce(parent, '') FROM beads WHERE id = ?", id, out, len);
}

int bead_close_reason(struct call *c, const char *id, char *out, size_t len)
{
	return text_of(c, "SELECT coalesce(close_reason, '') FROM beads WHERE id = ?", id, out, len);
}

int bead_open_merge_requests(struct call *c, const char *work, char ids[][72], int max)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id FROM beads WHERE parent = ? AND type = 'merge-request'"
					     " AND status IN ('open', 'in_progress') ORDER BY seq", &c->err);
	int n = 0, rc = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, work, -1, SQLITE_STATIC);
	while (n < max && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(ids[n++], 72, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc < 0 ? -1 : n;
}

int bead_status_rig(struct call *c, const char *id, char *status, size_t slen, char *rig, size_t rlen)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT status, rig FROM beads WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(status, slen, "%s", (const char *)sqlite3_column_text(st, 0));
	if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
		snprintf(rig, rlen, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return 1;
}

int bead_reset_attempts(struct call *c, const char *id)
{
	return db_exec_text(c->db, "UPDATE beads SET attempts = 0, reviews = 0, retry_ms = NULL, failure = NULL"
				   " WHERE id = ?1", id, &c->err);
}

cJSON *bead_in_flight_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT requested_by, id, title, status, coalesce(assignee, ''), coalesce(rig, '') FROM beads"
		" WHERE status NOT IN ('closed', 'failed') ORDER BY requested_by, seq DESC LIMIT 200", &c->err);
	cJSON *groups, *group = NULL;
	char current[130] = "";
	int rc;

	if (!st)
		return NULL;
	groups = cJSON_CreateArray();
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		const char *rb = (const char *)sqlite3_column_text(st, 0);
		cJSON *b = cJSON_CreateObject();

		if (!group || strcmp(rb, current) != 0) {
			group = cJSON_CreateObject();
			cJSON_AddStringToObject(group, "requested_by", rb);
			cJSON_AddArrayToObject(group, "beads");
			cJSON_AddItemToArray(groups, group);
			snprintf(current, sizeof current, "%s", rb);
		}
		cJSON_AddStringToObject(b, "id", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(b, "title", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(b, "status", (const char *)sqlite3_column_text(st, 3));
		cJSON_AddStringToObject(b, "agent", (const char *)sqlite3_column_text(st, 4));
		cJSON_AddStringToObject(b, "rig", (const char *)sqlite3_column_text(st, 5));
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(group, "beads"), b);
	}
	if (rc < 0) {
		cJSON_Delete(groups);
		return NULL;
	}
	return groups;
}

int bead_seed(struct call *c, const char *id, int priority, const char *rig, const char *blocked_by)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO beads(id, type, status, priority, title, rig, requested_by,"
					     " created_by, created_ms, updated_ms) VALUES (?, 'task', 'open', ?, 'bench', ?, 'bench',"
					     " 'bench', ?, ?)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, priority);
	sqlite3_bind_text(st, 3, rig, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, c->now_ms);
	sqlite3_bind_double(st, 5, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (!blocked_by)
		return 0;
	st = db_prepare(c->db, "INSERT INTO bead_deps(bead, depends_on, kind, created_ms) VALUES (?, ?, 'blocks', ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, blocked_by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 3, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int bead_of_pull_request(struct call *c, const char *rig, int number, char *mr, size_t mlen, char *work, size_t wlen)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT id, coalesce(parent, '') FROM beads WHERE type = 'merge-request' AND rig = ?1"
		" AND json_extract(metadata, '$.pull_request.number') = ?2 ORDER BY seq DESC LIMIT 1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rig, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, number);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(mr, mlen, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(work, wlen, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return 1;
}

int bead_on_branch(struct call *c, const char *rig, const char *branch)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT 1 FROM beads WHERE rig = ? AND branch = ? LIMIT 1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, rig, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, branch, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) > 0)
		sqlite3_reset(st);
	return rc;
}

int bead_set_worked_by(struct call *c, const char *id, const char *agent)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE beads SET worked_by = ?2 WHERE id = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int bead_review_branch(struct call *c, const char *id, char *out, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(metadata, '$.review.branch') FROM beads WHERE id = ?", &c->err);
	int rc;

	*out = '\0';
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	rc = sqlite3_column_type(st, 0) == SQLITE_TEXT && sqlite3_column_bytes(st, 0) > 0;
	if (rc)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc;
}

int bead_meta_set(struct call *c, const char *id, const char *key, const cJSON *value)
{
	char *text = json_print(value), path[80];
	sqlite3_stmt *st;
	int rc;

	if (!text)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(path, sizeof path, "$.%s", key);
	if (!(st = db_prepare(c->db, "UPDATE beads SET metadata = json_set(metadata, ?2, json(?3)), updated_ms = ?4 WHERE id = ?1",
			      &c->err))) {
		cJSON_free(text);
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	rc = db_step_done(c->db, st, &c->err);
	cJSON_free(text);
	return rc;
}

int bead_reviews_open(struct call *c, const char *mr, int64_t *open, int64_t *total)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT count(*) FILTER (WHERE status NOT IN ('closed', 'failed')), count(*) FROM beads"
		" WHERE parent = ? AND json_extract(metadata, '$.review') IS NOT NULL", &c->err);
	int rc;

	*open = *total = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, mr, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc < 0 ? -1 : 0;
	*open = sqlite3_column_int64(st, 0);
	*total = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

int bead_child_open(struct call *c, const char *parent, const char *kind, char *id, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id FROM beads WHERE parent = ? AND json_extract(metadata, '$.review.kind') = ?"
					     " AND status NOT IN ('closed', 'failed') ORDER BY seq DESC LIMIT 1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(id, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 1;
}

cJSON *bead_meta_get(struct call *c, const char *id, const char *key)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(metadata, ?2) FROM beads WHERE id = ?1", &c->err);
	char path[80];
	cJSON *v = NULL;
	int rc;

	if (!st)
		return NULL;
	snprintf(path, sizeof path, "$.%s", key);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return NULL;
	if (rc && sqlite3_column_type(st, 0) == SQLITE_TEXT)
		v = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
	if (rc)
		sqlite3_reset(st);
	return v ? v : cJSON_CreateNull();
}
