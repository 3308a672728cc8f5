/*
 * timer.c - durable timers and the alarm they drive. Each object has one host alarm; the engine
 * asks for it at the earliest thing due (a timer or an effect's deadline) at the end of every call,
 * so no path forgets to re-arm it. Timers run at most once: each is deleted before its handler runs,
 * in the same transaction, and alarms that repeat after a failure find nothing left to do.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "sqlite3.h"

#define TIMERS_PER_TICK 64

int timer_set(struct call *c, const char *kind, const char *key, double due_ms)
{
	sqlite3_stmt *st;

	/* timer_run_due copies keys into fixed buffers: refuse what would not fit. */
	if (strlen(kind) >= TIMER_KIND_MAX || strlen(key) >= TIMER_KEY_MAX)
		return err_set(&c->err, ERR_INVALID, "key", "timer keys are at most %d bytes",
			       TIMER_KEY_MAX - 1);
	st = db_prepare(c->db,
		"INSERT INTO timers(kind, key, due_ms) VALUES (?, ?, ?)"
		" ON CONFLICT(kind, key) DO UPDATE SET due_ms = excluded.due_ms", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, due_ms);
	c->alarm_dirty = 1;
	return db_step_done(c->db, st, &c->err);
}

int timer_set_earlier(struct call *c, const char *kind, const char *key, double due_ms)
{
	sqlite3_stmt *st;

	if (strlen(kind) >= TIMER_KIND_MAX || strlen(key) >= TIMER_KEY_MAX)
		return err_set(&c->err, ERR_INVALID, "key", "timer keys are at most %d bytes", TIMER_KEY_MAX - 1);
	st = db_prepare(c->db,
		"INSERT INTO timers(kind, key, due_ms) VALUES (?, ?, ?)"
		" ON CONFLICT(kind, key) DO UPDATE SET due_ms = min(due_ms, excluded.due_ms)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, due_ms);
	c->alarm_dirty = 1;
	return db_step_done(c->db, st, &c->err);
}

static int fire(struct call *c, const char *kind, const char *key)
{
	for (size_t i = 0; i < timer_kinds_n; i++)
		if (strcmp(timer_kinds[i].kind, kind) == 0)
			return timer_kinds[i].fire(c, key);
	call_log(c, "warn", "timer of unknown kind dropped", cJSON_CreateString(kind));
	return 0;
}

int timer_run_due(struct call *c)
{
	struct {
		int64_t rowid;
		char kind[TIMER_KIND_MAX];
		char key[TIMER_KEY_MAX];
	} due[TIMERS_PER_TICK];
	int n = 0, rc;
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT rowid, kind, key FROM timers WHERE due_ms <= ? ORDER BY due_ms LIMIT 64", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	/* Collect first: handlers write to the tables this statement reads. */
	while ((rc = db_step_row(c->db, st, &c->err)) > 0 && n < TIMERS_PER_TICK) {
		due[n].rowid = sqlite3_column_int64(st, 0);
		snprintf(due[n].kind, sizeof due[n].kind, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(due[n].key, sizeof due[n].key, "%s", (const char *)sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	c->alarm_dirty |= n > 0;
	for (int i = 0; i < n; i++) {
		st = db_prepare(c->db, "DELETE FROM timers WHERE rowid = ?", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, due[i].rowid);
		if (db_step_done(c->db, st, &c->err) < 0 || fire(c, due[i].kind, due[i].key) < 0)
			return -1;
	}
	return 0;
}

int timer_next_alarm(struct call *c, double *out_ms)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT min(due_ms) FROM timers", &c->err);
	double deadline;
	int rc, timer = 0;

	if (!st)
		return -1;
	*out_ms = 0;
	/* A failed read must not pass for "nothing due": the host would delete the alarm. */
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "next alarm: no row");
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out_ms = sqlite3_column_double(st, 0);
		timer = 1;
	}
	sqlite3_reset(st);
	/* The outbox is effect.c's: its earliest deadline comes from there. */
	if ((rc = effect_next_deadline(c, &deadline)) < 0)
		return -1;
	if (rc && (!timer || deadline < *out_ms))
		*out_ms = deadline;
	return 0;
}

int timer_count(struct call *c, int64_t *n)
{
	return db_query_int(c->db, "SELECT count(*) FROM timers", n, &c->err);
}

int timer_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM timers", &c->err);
}
