/*
 * escalation.c - problems raised to people, with a severity. An escalation nobody acknowledges is
 * raised again when its time comes (critical after 15 minutes, high after an hour, medium after 4,
 * low after 24), one severity higher each time, up to critical; a timer drives it, so nothing stays
 * forgotten. Acknowledging stops the clock; resolving closes it.
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

const char *const escalation_levels[] = {"low", "medium", "high", "critical", NULL};
static const double wait_ms[] = {24 * 3600e3, 4 * 3600e3, 3600e3, 15 * 60e3};

int escalation_severity(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, escalation_levels[i]) == 0)
			return i;
	return -1;
}

int escalation_raise(struct call *c, const char *severity, const char *title, const char *body,
		     const char *bead, char *id, size_t id_len)
{
	int level = escalation_severity(severity), rc;
	sqlite3_stmt *st;

	if (bead && (rc = bead_exists(c, bead)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "bead", "no bead '%s' in this town", bead);
	if (id_new(c, "esc", 6, id, id_len) < 0)
		return -1;
	st = db_prepare(c->db, "INSERT INTO escalations(id, severity, title, body, bead, raised_by, requested_by,"
			       " created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, body ? body : "", -1, SQLITE_STATIC);
	if (bead)
		sqlite3_bind_text(st, 5, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, call_requested_by(c), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, c->now_ms);
	sqlite3_bind_double(st, 9, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    timer_set(c, "escalation", id, c->now_ms + wait_ms[level]) < 0)
		return -1;
	return event_append(c, "escalation.raised", id, "severity", NULL, severity);
}

/* Timer: still open? Raise it again, one level up, and wait again. */
int escalation_timer_fired(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT severity, requested_by FROM escalations WHERE id = ? AND state = 'open'",
				      &c->err);
	char old[16] = "";
	int level, rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
		snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(c->who.requested_by, sizeof c->who.requested_by, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (!*old)
		return 0; /* acknowledged or resolved since */
	level = escalation_severity(old);
	if (level < 3)
		level++;
	st = db_prepare(c->db, "UPDATE escalations SET severity = ?, escalations = escalations + 1,"
			       " updated_ms = ? WHERE id = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, escalation_levels[level], -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    timer_set(c, "escalation", id, c->now_ms + wait_ms[level]) < 0)
		return -1;
	/* The town acts here, for the human the escalation was raised for. */
	rc = event_append(c, "escalation.reraised", id, "severity", old, escalation_levels[level]);
	c->who.requested_by[0] = '\0';
	return rc;
}

int escalation_set_state(struct call *c, const char *id, const char *state)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT state FROM escalations WHERE id = ?", &c->err);
	char old[16] = "";
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!*old)
		return err_set(&c->err, ERR_NOT_FOUND, "escalation_id", "no escalation '%s' in this town", id);
	if (strcmp(old, "resolved") == 0 || strcmp(old, state) == 0)
		return err_set(&c->err, ERR_CONFLICT, "state", "the escalation is already %s", old);
	st = db_prepare(c->db,
		"UPDATE escalations SET state = ?1, updated_ms = ?2,"
		" acked_by = CASE WHEN ?1 = 'acknowledged' THEN ?3 ELSE acked_by END,"
		" acked_ms = CASE WHEN ?1 = 'acknowledged' THEN ?2 ELSE acked_ms END,"
		" resolved_ms = CASE WHEN ?1 = 'resolved' THEN ?2 ELSE NULL END WHERE id = ?4", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_text(st, 3, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return event_append(c, strcmp(state, "resolved") == 0 ? "escalation.resolved" : "escalation.acknowledged",
			    id, "state", old, state);
}

static cJSON *row_json(sqlite3_stmt *st)
{
	static const char *const cols[] = {"id", "severity", "title", "body", "bead", "raised_by",
					   "requested_by", "state"};
	cJSON *e = cJSON_CreateObject();

	for (int i = 0; i < 8; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			cJSON_AddNullToObject(e, cols[i]);
		else
			cJSON_AddStringToObject(e, cols[i], (const char *)sqlite3_column_text(st, i));
	}
	cJSON_AddNumberToObject(e, "times_raised", sqlite3_column_int(st, 8));
	cJSON_AddNumberToObject(e, "created_ms", sqlite3_column_double(st, 9));
	if (sqlite3_column_type(st, 10) == SQLITE_NULL)
		cJSON_AddNullToObject(e, "acked_by");
	else
		cJSON_AddStringToObject(e, "acked_by", (const char *)sqlite3_column_text(st, 10));
	return e;
}

cJSON *escalations_json(struct call *c, const char *state)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT id, severity, title, body, bead, raised_by, requested_by, state, escalations,"
		" created_ms, acked_by FROM escalations WHERE (?1 IS NULL OR state = ?1)"
		" ORDER BY seq DESC LIMIT 200", &c->err);

	if (st && state)
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	return db_list(c->db, st, row_json, &c->err);
}

int escalation_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM escalations", &c->err);
}
