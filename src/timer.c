/*
 * timer.c - durable timers and the alarm they drive. Each object has one host alarm; the engine
 * asks for it at the earliest thing due (a timer or an effect's deadline) at the end of every call,
 * so no path forgets to re-arm it. Timers run at most once: each is deleted before its handler runs,
 * in the same transaction, and alarms that repeat after a failure find nothing left to do.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "sqlite3.h"

#define TIMERS_PER_TICK 64

static const struct {
	const char *kind;
	int (*fire)(struct call *c, const char *key);
} handlers[] = {
	{"test", test_timer_fired},
};

int timer_set(struct call *c, const char *kind, const char *key, double due_ms)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO timers(kind, key, due_ms) VALUES (?, ?, ?)"
		" ON CONFLICT(kind, key) DO UPDATE SET due_ms = excluded.due_ms", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, due_ms);
	return db_step_done(c->db, st, &c->err);
}

static int fire(struct call *c, const char *kind, const char *key)
{
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (strcmp(handlers[i].kind, kind) == 0)
			return handlers[i].fire(c, key);
	call_log(c, "warn", "timer of unknown kind dropped", NULL);
	return 0;
}

int timer_run_due(struct call *c)
{
	char kinds[TIMERS_PER_TICK][32], keys[TIMERS_PER_TICK][128];
	int n = 0;
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT kind, key FROM timers WHERE due_ms <= ? ORDER BY due_ms LIMIT 64", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	/* Collect first: handlers write to the tables this statement reads. */
	while (n < TIMERS_PER_TICK && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(kinds[n], sizeof kinds[n], "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(keys[n], sizeof keys[n], "%s", (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_reset(st);
	for (int i = 0; i < n; i++) {
		st = db_prepare(c->db, "DELETE FROM timers WHERE kind = ? AND key = ?", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, kinds[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
		if (db_step_done(c->db, st, &c->err) < 0 || fire(c, kinds[i], keys[i]) < 0)
			return -1;
	}
	return 0;
}

int timer_next_alarm(struct call *c, double *out_ms)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT min(t) FROM (SELECT min(due_ms) AS t FROM timers"
		" UNION ALL SELECT min(deadline_ms) FROM effects WHERE state = 'pending')", &c->err);

	if (!st)
		return -1;
	*out_ms = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out_ms = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return 0;
}
