/*
 * migrate.c - brings a database to the schema this build expects. Migrations are numbered SQL files
 * embedded at build time (scripts/embed-migrations.sh); the engine applies the missing ones, in order,
 * inside the transaction of the call that finds them missing, and records each in schema_migrations.
 * A failing migration fails that call, whose rollback leaves the previous schema and data as they were.
 */
#include <string.h>

#include "core/core.h"
#include "sqlite3.h"

static const char create_table[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER PRIMARY KEY, name TEXT NOT NULL)";

int migrate_version(struct db *db, int *version, struct err *e)
{
	int64_t exists = 0, v = 0;

	*version = 0;
	if (db_query_int(db,
			 "SELECT count(*) FROM sqlite_schema"
			 " WHERE type='table' AND name='schema_migrations'",
			 &exists, e) < 0)
		return -1;
	if (exists && db_query_int(db, "SELECT coalesce(max(version),0) FROM schema_migrations", &v, e) < 0)
		return -1;
	*version = (int)v;
	return 0;
}

int migrate_apply(struct db *db, const struct migration *list, size_t count, int *version,
		  struct err *e)
{
	sqlite3_stmt *st;
	int current;

	if (migrate_version(db, &current, e) < 0)
		return -1;
	*version = current;
	if (count == 0 || list[count - 1].number <= current)
		return 0;
	if (db_exec(db, create_table, e) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct err why = {0};

		if (list[i].number <= current)
			continue;
		/* Name the migration: the SQLite message alone does not say which file broke. */
		if (db_exec(db, list[i].sql, &why) < 0)
			return err_set(e, ERR_INTERNAL, NULL, "migration %04d_%s failed: %s",
				       list[i].number, list[i].name, why.message);
		st = db_prepare(db, "INSERT INTO schema_migrations(version, name) VALUES (?, ?)", e);
		if (!st)
			return -1;
		sqlite3_bind_int(st, 1, list[i].number);
		sqlite3_bind_text(st, 2, list[i].name, -1, SQLITE_STATIC);
		if (db_step_done(db, st, e) < 0)
			return -1;
		*version = list[i].number;
	}
	return 0;
}
