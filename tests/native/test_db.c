/*
 * test_db.c - the statement cache: a statement a caller is stepping survives however many other
 * statements are prepared meanwhile (ASan would report a use after finalize). A step that fails
 * is a storage failure, told apart from "no row" by every reader; an error is cleared only by
 * taking the code that was expected.
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

static cJSON *int_row(sqlite3_stmt *st)
{
	return cJSON_CreateNumber((double)sqlite3_column_int64(st, 0));
}

/* abs() of the smallest integer fails at step time, after a successful prepare: the shape of a
 * read that meets a corrupt page or an I/O error. */
#define FAILING "SELECT abs(-9223372036854775807 - 1) FROM (SELECT 1)"

static void a_failed_step_is_not_no_row(void)
{
	struct err e = {0};
	struct db *db = db_open(t_fresh_db(), NULL, &e);
	sqlite3_stmt *st;
	int64_t v = 7;
	cJSON *list;

	CHECK(db != NULL);
	st = db_prepare(db, "SELECT 42", &e);
	CHECK(st && db_step_row(db, st, &e) == 1 && sqlite3_column_int(st, 0) == 42);
	sqlite3_reset(st);
	st = db_prepare(db, "SELECT 1 WHERE 0", &e);
	CHECK(st && db_step_row(db, st, &e) == 0 && e.code == ERR_NONE);
	CHECK(st && db_step_int(db, st, &v, &e) == 0 && v == 7); /* no row: untouched */
	st = db_prepare(db, FAILING, &e);
	CHECK(st != NULL && e.code == ERR_NONE);
	CHECK(st && db_step_row(db, st, &e) == -1 && e.code == ERR_INTERNAL && strstr(e.message, "overflow"));
	/* Reset on failure: the statement runs again (and fails again) rather than staying stuck. */
	e = (struct err){0};
	CHECK(st && db_step_int(db, st, &v, &e) == -1 && e.code == ERR_INTERNAL && v == 7);
	e = (struct err){0};
	CHECK(db_exists(db, "SELECT abs(-9223372036854775807 - 1) WHERE ?1 IS NOT NULL", "x", &e) == -1 &&
	      e.code == ERR_INTERNAL);
	e = (struct err){0};
	CHECK(db_list(db, db_prepare(db, "SELECT 1 UNION ALL " FAILING, &e), int_row, &e) == NULL &&
	      e.code == ERR_INTERNAL);
	e = (struct err){0};
	list = db_list(db, db_prepare(db, "SELECT 1 UNION ALL SELECT 2", &e), int_row, &e);
	CHECK(cJSON_GetArraySize(list) == 2 && e.code == ERR_NONE);
	cJSON_Delete(list);
	db_close(db);
	t_cleanup();
}

static void only_the_expected_error_is_taken(void)
{
	struct err e = {0}, moved;

	CHECK(err_take(&e, ERR_NOT_FOUND) == 0 && e.code == ERR_NONE);
	err_set(&e, ERR_INTERNAL, NULL, "read: disk I/O error");
	/* A storage failure is not the "not found" a lookup expected: it stays. */
	CHECK(err_take(&e, ERR_NOT_FOUND) == 0 && e.code == ERR_INTERNAL && strstr(e.message, "I/O"));
	CHECK(err_take(&e, ERR_NONE) == 0 && e.code == ERR_INTERNAL);
	CHECK(err_take(&e, ERR_INTERNAL) == 1 && e.code == ERR_NONE);
	/* Taken whole: no field, reason or message is left to ride on the next error. */
	err_set(&e, ERR_NOT_FOUND, "bead_id", "no bead 'x'");
	snprintf(e.reason, sizeof e.reason, "gone");
	CHECK(err_take(&e, ERR_NOT_FOUND) == 1);
	CHECK(e.code == ERR_NONE && !e.field[0] && !e.reason[0] && !e.message[0]);
	err_set(&e, ERR_INVALID, NULL, "next");
	CHECK(e.code == ERR_INVALID && !e.field[0] && !e.reason[0]);
	err_move(&moved, &e);
	CHECK(moved.code == ERR_INVALID && strcmp(moved.message, "next") == 0);
	CHECK(e.code == ERR_NONE && !e.message[0]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(busy_statements_are_never_evicted);
	RUN(a_failed_step_is_not_no_row);
	RUN(only_the_expected_error_is_taken);
	return t_done();
}
