/*
 * convoy.c - convoys: a set of beads (across rigs) tracked to landing. Progress is closed over
 * total; a convoy lands when all its beads are closed and fails when one of them fails. A series
 * convoy chains its beads (each blocks the next), so they run one after another; fan-out adds no
 * edges. State follows the beads: bead.c calls convoy_bead_changed on every status change. A
 * convoy's state, beads, graph and sling list are joins over its beads: the one read of another
 * owner's tables (beads, bead_deps) this file makes (docs/architecture.md).
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

const char *const convoy_modes[] = {"series", "fan-out", NULL};

static int add_bead(struct call *c, const char *convoy, const char *bead, int position)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = bead_exists(c, bead)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "beads", "no bead '%s' in this town", bead);
	st = db_prepare(c->db, "INSERT INTO convoy_beads(convoy, bead, position) VALUES (?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, convoy, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bead, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, position);
	/* The bead and the convoy exist: a constraint can only be the bead's second place. */
	if (db_step_done(c->db, st, &c->err) < 0)
		return !err_take(&c->err, ERR_CONFLICT) ? -1 :
		       err_set(&c->err, ERR_INVALID, "beads", "bead '%s' is listed twice", bead);
	return 0;
}

int convoy_refresh(struct call *c, const char *convoy)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT v.state, count(*), sum(b.status = 'closed'), sum(b.status = 'failed') FROM convoys v"
		" JOIN convoy_beads cb ON cb.convoy = v.id JOIN beads b ON b.id = cb.bead WHERE v.id = ?", &c->err);
	char old[16] = "";
	const char *now;
	int total = 0, closed = 0, failed = 0, rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, convoy, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(st, 0));
		total = sqlite3_column_int(st, 1);
		closed = sqlite3_column_int(st, 2);
		failed = sqlite3_column_int(st, 3);
	}
	sqlite3_reset(st);
	if (!*old) {
		/* No beads left (all deleted): nothing can land any more. */
		st = db_prepare(c->db, "SELECT state FROM convoys WHERE id = ?", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, convoy, -1, SQLITE_STATIC);
		if ((rc = db_step_row(c->db, st, &c->err)) < 0)
			return -1;
		if (rc)
			snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		if (!*old)
			return 0;
	}
	now = failed > 0 ? "failed" : (total > 0 && closed == total) ? "landed" : "open";
	if (strcmp(old, now) == 0)
		return 0;
	st = db_prepare(c->db, "UPDATE convoys SET state = ?1, updated_ms = ?2,"
			       " landed_ms = CASE WHEN ?1 = 'landed' THEN ?2 ELSE NULL END WHERE id = ?3", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_text(st, 3, convoy, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return event_append(c, strcmp(now, "landed") == 0 ? "convoy.landed" : "convoy.updated", convoy,
			    "state", old, now);
}

cJSON *convoys_of(struct call *c, const char *bead)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT convoy FROM convoy_beads WHERE bead = ? ORDER BY convoy", &c->err);
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	list = cJSON_CreateArray();
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	while ((rc = db_step_row(c->db, st, &c->err)) > 0)
		if (!list || !cJSON_AddItemToArray(list, cJSON_CreateString((const char *)sqlite3_column_text(st, 0))))
			break;
	sqlite3_reset(st);
	if (!list || rc != 0) {
		cJSON_Delete(list);
		if (rc >= 0)
			err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	return list;
}

static int refresh_all(struct call *c, const cJSON *convoys)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, convoys)
		if (convoy_refresh(c, v->valuestring) < 0)
			return -1;
	return 0;
}

int convoy_bead_changed(struct call *c, const char *bead)
{
	cJSON *convoys = convoys_of(c, bead);
	int rc;

	if (!convoys)
		return -1;
	rc = refresh_all(c, convoys);
	cJSON_Delete(convoys);
	return rc;
}

/* A bead's status may change its convoys' state; a deleted bead leaves them one bead fewer. */
int convoy_on_bead(struct call *c, const struct bead_change *ch)
{
	cJSON *convoys;
	int rc;

	if (ch->kind == BEAD_STATUS)
		return convoy_bead_changed(c, ch->id);
	if (ch->kind != BEAD_DELETING)
		return 0;
	if (!(convoys = convoys_of(c, ch->id)))
		return -1;
	rc = db_exec_text(c->db, "DELETE FROM convoy_beads WHERE bead = ?1", ch->id, &c->err) < 0 ? -1
		: refresh_all(c, convoys);
	cJSON_Delete(convoys);
	return rc;
}

int convoy_create(struct call *c, const char *title, const char *mode, const cJSON *beads, char *id,
		  size_t id_len)
{
	const cJSON *b;
	const char *prev = NULL;
	sqlite3_stmt *st;
	int n = 0;

	if (id_new(c, "convoy", 6, id, id_len) < 0)
		return -1;
	st = db_prepare(c->db, "INSERT INTO convoys(id, title, mode, requested_by, created_by, created_ms,"
			       " updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, call_requested_by(c), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	sqlite3_bind_double(st, 7, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 || event_append(c, "convoy.created", id, "mode", NULL, mode) < 0)
		return -1;
	cJSON_ArrayForEach(b, beads) {
		if (add_bead(c, id, b->valuestring, n++) < 0)
			return -1;
		/* In series, each bead waits for the one before it. */
		if (prev && strcmp(mode, "series") == 0 && bead_dep_add(c, b->valuestring, prev, "blocks", "beads") < 0)
			return -1;
		prev = b->valuestring;
	}
	return convoy_refresh(c, id);
}

int convoy_set_mode(struct call *c, const char *id, const char *mode)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT mode, state FROM convoys WHERE id = ?", &c->err);
	char was[16], state[16], beads[CONVOY_BEADS_MAX][72];
	int n = 0, rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "convoy_id", "no convoy '%s' in this town", id);
	snprintf(was, sizeof was, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	if (strcmp(was, mode) == 0)
		return 0;
	if (strcmp(state, "open") != 0)
		return err_set(&c->err, ERR_CONFLICT, "mode", "the convoy has %s: how it runs no longer matters", state);
	if (!(st = db_prepare(c->db, "SELECT bead FROM convoy_beads WHERE convoy = ? ORDER BY position", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (n < CONVOY_BEADS_MAX && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(beads[n++], sizeof beads[0], "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	/* Series is each bead blocked by the one before it (as convoy_create makes it); fan-out
	 * takes exactly those links away, and leaves any other dependency the beads have. */
	for (int i = 1; i < n; i++) {
		if (strcmp(mode, "series") == 0)
			rc = bead_dep_add(c, beads[i], beads[i - 1], "blocks", "mode");
		else if ((rc = bead_dep_remove(c, beads[i], beads[i - 1], "blocks")) < 0 && err_take(&c->err, ERR_NOT_FOUND))
			rc = 0;
		if (rc < 0)
			return -1;
	}
	if (!(st = db_prepare(c->db, "UPDATE convoys SET mode = ?2, updated_ms = ?3 WHERE id = ?1", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mode, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return event_append(c, "convoy.updated", id, "mode", was, mode);
}

static cJSON *edge_json(sqlite3_stmt *st)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "from", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(e, "to", (const char *)sqlite3_column_text(st, 1));
	return e;
}

/* What the convoy's beads changed, summed over the diffs recorded for them (bead_diff.c):
 * {beads, files, additions, deletions, rigs}; files counts each bead's files (a path two beads
 * touched counts twice). */
static int add_diff_totals(struct call *c, const char *id, cJSON *v)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT count(d.bead), coalesce(sum(d.n_files), 0), coalesce(sum(d.additions), 0),"
					     " coalesce(sum(d.deletions), 0), count(DISTINCT b.rig) FROM convoy_beads cb"
					     " JOIN bead_diffs d ON d.bead = cb.bead JOIN beads b ON b.id = cb.bead"
					     " WHERE cb.convoy = ?", &c->err);
	static const char *const names[] = {"beads", "files", "additions", "deletions", "rigs", NULL};

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	/* An aggregate always has its row. */
	return db_row_into(c->db, st, cJSON_AddObjectToObject(v, "diff_totals"), names, &c->err) < 0 ? -1 : 0;
}

cJSON *convoy_json(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, title, mode, state, requested_by, created_by, created_ms,"
					     " landed_ms FROM convoys WHERE id = ?", &c->err);
	cJSON *v, *list, *edges;
	int total = 0, closed = 0, rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, "convoy_id", "no convoy '%s' in this town", id);
		return NULL;
	}
	v = cJSON_CreateObject();
	static const char *const cols[] = {"id", "title", "mode", "state", "requested_by", "created_by"};
	for (int i = 0; i < 6; i++)
		cJSON_AddStringToObject(v, cols[i], (const char *)sqlite3_column_text(st, i));
	cJSON_AddNumberToObject(v, "created_ms", sqlite3_column_double(st, 6));
	if (sqlite3_column_type(st, 7) == SQLITE_NULL)
		cJSON_AddNullToObject(v, "landed_ms");
	else
		cJSON_AddNumberToObject(v, "landed_ms", sqlite3_column_double(st, 7));
	sqlite3_reset(st);

	st = db_prepare(c->db, "SELECT b.id, b.title, b.status, b.rig, b.assignee FROM convoy_beads cb JOIN beads b"
			       " ON b.id = cb.bead WHERE cb.convoy = ? ORDER BY cb.position", &c->err);
	if (!st) {
		cJSON_Delete(v);
		return NULL;
	}
	list = cJSON_AddArrayToObject(v, "beads");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = db_step_row(c->db, st, &c->err)) > 0) {
		cJSON *b = cJSON_CreateObject();

		for (int i = 0; i < 5; i++) {
			static const char *const bc[] = {"id", "title", "status", "rig", "assignee"};
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				cJSON_AddNullToObject(b, bc[i]);
			else
				cJSON_AddStringToObject(b, bc[i], (const char *)sqlite3_column_text(st, i));
		}
		total++;
		closed += strcmp((const char *)sqlite3_column_text(st, 2), "closed") == 0;
		cJSON_AddItemToArray(list, b);
	}
	sqlite3_reset(st);
	if (rc < 0) {
		cJSON_Delete(v);
		return NULL;
	}
	cJSON *progress = cJSON_AddObjectToObject(v, "progress");
	cJSON_AddNumberToObject(progress, "closed", closed);
	cJSON_AddNumberToObject(progress, "total", total);
	if (add_diff_totals(c, id, v) < 0) {
		cJSON_Delete(v);
		return NULL;
	}

	/* The graph: blocking edges between beads of this convoy. */
	st = db_prepare(c->db, "SELECT d.depends_on, d.bead FROM bead_deps d JOIN convoy_beads a ON a.bead = d.bead"
			       " AND a.convoy = ?1 JOIN convoy_beads z ON z.bead = d.depends_on AND z.convoy = ?1"
			       " WHERE d.kind = 'blocks' ORDER BY a.position", &c->err);
	if (!st) {
		cJSON_Delete(v);
		return NULL;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (!(edges = db_list(c->db, st, edge_json, &c->err))) {
		cJSON_Delete(v);
		return NULL;
	}
	cJSON_AddItemToObject(v, "edges", edges);
	return v;
}

cJSON *convoys_json(struct call *c)
{
	char ids[200][48];
	int n = 0, rc = 0;
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id FROM convoys ORDER BY seq DESC LIMIT 200", &c->err);
	cJSON *list;

	if (!st)
		return NULL;
	while (n < 200 && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(ids[n++], sizeof ids[0], "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc < 0)
		return NULL;
	list = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		cJSON *v = convoy_json(c, ids[i]);

		if (!v) {
			cJSON_Delete(list);
			return NULL;
		}
		cJSON_AddItemToArray(list, v);
	}
	return list;
}

int convoy_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM convoy_beads; DELETE FROM convoys;", &c->err);
}

int convoy_exists(struct call *c, const char *id)
{
	return db_exists(c->db, "SELECT count(*) FROM convoys WHERE id = ?1", id, &c->err);
}

int convoy_sling_candidates(struct call *c, const char *id, char beads[][72], int *n)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT cb.bead FROM convoy_beads cb JOIN beads b ON b.id = cb.bead"
					     " WHERE cb.convoy = ? AND b.status IN ('open', 'failed') ORDER BY cb.position LIMIT 100",
				      &c->err);
	int rc = 0;

	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (*n < CONVOY_BEADS_MAX && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(beads[(*n)++], 72, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}
