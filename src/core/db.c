/*
 * db.c - the engine's one SQLite connection: open with the engine's pragmas, a statement cache,
 * transactions, and the mapping of SQLite failures to engine errors. The only file (with migrate.c)
 * that opens connections and runs transactions; other files step the statements it prepares.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "sqlite3.h"

/* More than the engine's distinct statements (about 150), so eviction is rare. */
#define STMT_CACHE 256

struct db {
	sqlite3 *h;
	struct {
		const char *sql; /* the literal's address is the key */
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	int ncache;
	int broken; /* this call's transaction met a failure of storage or memory (db_broken) */
	int held;   /* db_hold: calls are savepoints inside one transaction that db_rewind undoes */
	int held_changed;        /* a call committed inside the held transaction changed rows */
	sqlite3_int64 changes0;  /* sqlite3_total_changes64 when the call began */
};

/*
 * The host's storage transaction (transactionSync in a Durable Object) is what makes a call atomic,
 * so a rollback journal in storage would only add writes: the journal stays in memory, only for
 * rolling back a call the engine rejects. A VFS that keeps it in its own memory (the wasm one) is
 * given it with journal_mode=TRUNCATE; SQLite's journal_mode=MEMORY otherwise. EXCLUSIVE locking
 * keeps the page cache (and that journal) between calls: this connection is the object's only
 * reader and writer.
 */
static const char open_pragmas[] =
	"PRAGMA page_size=4096;"
	"PRAGMA locking_mode=EXCLUSIVE;"
	"PRAGMA synchronous=OFF;" /* durability is the host's transaction, not fsync */
	"PRAGMA foreign_keys=ON;"
	"PRAGMA cache_size=-8192;";

struct db *db_open(const char *path, const char *vfs, struct err *e)
{
	struct db *db = calloc(1, sizeof *db);
	int rc, vfs_journal = 0;

	if (!db) {
		err_set(e, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
	if (rc != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, NULL, "cannot open database: %s",
			db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return NULL;
	}
	if (sqlite3_file_control(db->h, "main", ENG_FCNTL_MEMORY_JOURNAL, &vfs_journal) != SQLITE_OK)
		vfs_journal = 0;
	if (db_exec(db, open_pragmas, e) < 0 ||
	    db_exec(db, vfs_journal ? "PRAGMA journal_mode=TRUNCATE" : "PRAGMA journal_mode=MEMORY", e) < 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (int i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

/* Failures of the storage or of memory rather than of a statement: after one SQLite may have
 * rolled the transaction back itself, and nothing more of the call can be trusted. */
static int broken_by(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_ABORT:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_PROTOCOL:
		return 1;
	}
	return 0;
}

int db_broken(struct db *db)
{
	return db->broken;
}

int db_fail(struct db *db, struct err *e, const char *what)
{
	int rc = sqlite3_extended_errcode(db->h);

	if (broken_by(rc))
		db->broken = 1;

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return err_set(e, ERR_CONFLICT, NULL, "%s: %s", what, sqlite3_errmsg(db->h));
	return err_set(e, ERR_INTERNAL, NULL, "%s: %s", what, sqlite3_errmsg(db->h));
}

sqlite3_stmt *db_prepare(struct db *db, const char *sql, struct err *e)
{
	sqlite3_stmt *st;

	for (int i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			st = db->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		db_fail(db, e, "prepare");
		return NULL;
	}
	if (db->ncache == STMT_CACHE) {
		/* Full: evict the oldest statement that no caller is stepping right now (a loop over
		 * one statement may prepare others while its own is mid-step). */
		int victim = -1;

		for (int i = 0; i < db->ncache && victim < 0; i++)
			if (!sqlite3_stmt_busy(db->cache[i].st))
				victim = i;
		if (victim < 0) {
			sqlite3_finalize(st);
			err_set(e, ERR_INTERNAL, NULL, "statement cache full of statements in use");
			return NULL;
		}
		sqlite3_finalize(db->cache[victim].st);
		memmove(&db->cache[victim], &db->cache[victim + 1], sizeof db->cache[0] * (size_t)(STMT_CACHE - 1 - victim));
		db->ncache--;
	}
	db->cache[db->ncache].sql = sql;
	db->cache[db->ncache].st = st;
	db->ncache++;
	return st;
}

int db_exec(struct db *db, const char *sql, struct err *e)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		if (broken_by(rc))
			db->broken = 1;
		err_set(e, ERR_INTERNAL, NULL, "sql: %s", msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int db_run(struct db *db, const char *sql, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);

	return st ? db_step_done(db, st, e) : -1;
}

/* BEGIN and COMMIT run on every call: prepared once and cached like any other statement. */
int db_begin(struct db *db, struct err *e)
{
	sqlite3_stmt *st;

	db->broken = 0;
	if (db->held)
		db->changes0 = sqlite3_total_changes64(db->h);
	st = db_prepare(db, db->held ? "SAVEPOINT call" : "BEGIN IMMEDIATE", e);
	return st ? db_step_done(db, st, e) : -1;
}

int db_commit(struct db *db, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, db->held ? "RELEASE call" : "COMMIT", e);

	if (db->held && sqlite3_total_changes64(db->h) != db->changes0)
		db->held_changed = 1;
	return st ? db_step_done(db, st, e) : -1;
}

void db_rollback(struct db *db)
{
	if (db->held)
		sqlite3_exec(db->h, "ROLLBACK TO call; RELEASE call", NULL, NULL, NULL);
	else if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * The fuzzers' way back (eng_test_hold): one transaction held open around every call, so putting
 * the object back after an input is a rollback in the page cache instead of rewriting the file and
 * reopening the connection (which parsed the whole schema again: two thirds of a run's time).
 * Inside it a call's BEGIN/COMMIT/ROLLBACK become a savepoint's, with the same statements between.
 */
int db_hold(struct db *db, struct err *e)
{
	if (db->held)
		return 0;
	if (db_exec(db, "BEGIN IMMEDIATE", e) < 0)
		return -1;
	db->held = 1;
	db->held_changed = 0;
	return 0;
}

int db_rewind(struct db *db, struct err *e)
{
	int changed = db->held_changed;

	if (!db->held)
		return 0;
	db->held = 0;
	db_rollback(db);
	if (db_hold(db, e) < 0)
		return -1;
	return changed;
}

int db_step_done(struct db *db, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_fail(db, e, "write");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* A read's step (db_step_row, db_step_query). With field, a plain SQLITE_ERROR is the fault of the
 * text the caller wrote, not of storage. */
static int step_read(struct db *db, sqlite3_stmt *st, const char *field, struct err *e)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	/* Read the connection's error before the reset, which may replace it. */
	if (field && sqlite3_extended_errcode(db->h) == SQLITE_ERROR)
		err_set(e, ERR_INVALID, field, "the query could not be read: %s", sqlite3_errmsg(db->h));
	else
		db_fail(db, e, "read");
	sqlite3_reset(st);
	return -1;
}

int db_step_row(struct db *db, sqlite3_stmt *st, struct err *e)
{
	return step_read(db, st, NULL, e);
}

int db_step_query(struct db *db, sqlite3_stmt *st, const char *field, struct err *e)
{
	return step_read(db, st, field, e);
}

int db_step_int(struct db *db, sqlite3_stmt *st, int64_t *out, struct err *e)
{
	int rc = db_step_row(db, st, e);

	if (rc > 0) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int db_query_int(struct db *db, const char *sql, int64_t *out, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);

	if (!st)
		return -1;
	*out = 0;
	return db_step_int(db, st, out, e) < 0 ? -1 : 0;
}

int db_exec_text(struct db *db, const char *sql, const char *arg, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	return db_step_done(db, st, e);
}

int db_exists(struct db *db, const char *sql, const char *arg, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);
	int64_t n = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (db_step_int(db, st, &n, e) < 0)
		return -1;
	return n > 0;
}

int db_text(struct db *db, const char *sql, const char *arg, char *out, size_t len, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);
	const unsigned char *v;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if ((rc = db_step_row(db, st, e)) <= 0)
		return rc;
	v = sqlite3_column_text(st, 0);
	snprintf(out, len, "%s", v ? (const char *)v : "");
	sqlite3_reset(st);
	return 1;
}

cJSON *db_list(struct db *db, sqlite3_stmt *st, cJSON *(*row)(sqlite3_stmt *st), struct err *e)
{
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	list = cJSON_CreateArray();
	while ((rc = db_step_row(db, st, e)) > 0)
		cJSON_AddItemToArray(list, row(st));
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

void db_column_to_json(cJSON *o, const char *k, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddStringToObject(o, k, (const char *)sqlite3_column_text(st, col));
}

int db_row_into(struct db *db, sqlite3_stmt *st, cJSON *obj, const char *const *names, struct err *e)
{
	int rc = db_step_row(db, st, e);

	if (rc <= 0)
		return rc;
	for (int i = 0; names[i]; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			cJSON_AddNullToObject(obj, names[i]);
		else if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
			cJSON_AddNumberToObject(obj, names[i], (double)sqlite3_column_int64(st, i));
		else
			cJSON_AddStringToObject(obj, names[i], (const char *)sqlite3_column_text(st, i));
	}
	sqlite3_reset(st);
	return 1;
}
