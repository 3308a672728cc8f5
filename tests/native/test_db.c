/*
 * test_db.c - the statement cache: a statement a caller is stepping survives however many other
 * statements are prepared meanwhile (ASan would report a use after finalize).
 */
#include "harness.h"
#include "api/api.h"
#include "sqlite3.h"

static void busy_statements_are_never_evicted(void)
{
	struct err e = {0};
	struct db *db = db_open(t_fresh_db(), NULL, &e);
	static char sql[300][64];
	sqlite3_stmt *outer;

	CHECK(db != NULL);
	outer = db_prepare(db, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3", &e);
	CHECK(outer && sqlite3_step(outer) == SQLITE_ROW && sqlite3_column_int(outer, 0) == 1);
	/* More distinct statements than the cache holds (keys are the strings' addresses). */
	for (int i = 0; i < 300; i++) {
		sqlite3_stmt *st;

		snprintf(sql[i], sizeof sql[i], "SELECT %d", i);
		st = db_prepare(db, sql[i], &e);
		CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == i);
		sqlite3_reset(st);
	}
	CHECK(e.code == ERR_NONE);
	CHECK(sqlite3_step(outer) == SQLITE_ROW && sqlite3_column_int(outer, 0) == 2);
	sqlite3_reset(outer);
	db_close(db);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(busy_statements_are_never_evicted);
	return t_done();
}
