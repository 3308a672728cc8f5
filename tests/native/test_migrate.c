/*
 * test_migrate.c - migrations apply in order, once, and a failing one leaves the previous schema
 * and data exactly as they were.
 */
#include "harness.h"
#include "api/api.h"

static const struct migration base[] = {
	{1, "create", "CREATE TABLE t(x INTEGER);"},
	{2, "seed", "INSERT INTO t VALUES (41), (42);"},
};

static const struct migration broken[] = {
	{1, "create", "CREATE TABLE t(x INTEGER);"},
	{2, "seed", "INSERT INTO t VALUES (41), (42);"},
	{3, "half", "CREATE TABLE u(y); DELETE FROM t; INSERT INTO missing VALUES (1);"},
};

static int64_t count(struct db *db, const char *sql)
{
	struct err e = {0};
	int64_t n = -1;

	db_query_int(db, sql, &n, &e);
	return n;
}

static void apply(struct db *db, const struct migration *m, size_t n, int *version, struct err *e)
{
	CHECK(db_begin(db, e) == 0);
	if (migrate_apply(db, m, n, version, e) == 0)
		CHECK(db_commit(db, e) == 0);
	else
		db_rollback(db);
}

static void applies_in_order_once(void)
{
	struct err e = {0};
	struct db *db = db_open(t_fresh_db(), NULL, &e);
	int v = -1;

	apply(db, base, 2, &v, &e);
	CHECK(e.code == ERR_NONE);
	CHECK(v == 2);
	apply(db, base, 2, &v, &e); /* again: nothing to do, the seed is not inserted twice */
	CHECK(v == 2);
	CHECK(count(db, "SELECT count(*) FROM t") == 2);
	CHECK(count(db, "SELECT count(*) FROM schema_migrations") == 2);
	db_close(db);
	t_cleanup();
}

static void a_failing_migration_changes_nothing(void)
{
	struct err e = {0};
	struct db *db = db_open(t_fresh_db(), NULL, &e);
	int v = -1;

	apply(db, base, 2, &v, &e);
	apply(db, broken, 3, &v, &e);
	CHECK(e.code == ERR_INTERNAL);
	CHECK(strstr(e.message, "0003_half") != NULL);
	db_close(db);

	/* Reopen: what is on disk is the schema and data of version 2. */
	memset(&e, 0, sizeof e);
	db = db_open(t_db, NULL, &e);
	CHECK(migrate_version(db, &v, &e) == 0 && v == 2);
	CHECK(count(db, "SELECT count(*) FROM t") == 2);
	CHECK(count(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'u'") == 0);
	db_close(db);
	t_cleanup();
}

static void embedded_migrations_are_numbered_upwards(void)
{
	for (int k = ENG_TOWN; k <= ENG_USER; k++) {
		size_t n;
		const struct migration *m = migrations_for((enum eng_kind)k, &n);

		CHECK(n >= 1);
		for (size_t i = 1; i < n; i++)
			CHECK(m[i].number > m[i - 1].number);
		CHECK(eng_schema_target((enum eng_kind)k) == m[n - 1].number);
	}
	CHECK(eng_schema_target(ENG_WORKER) == 0);
}

static void the_engine_migrates_a_fresh_town_on_first_call(void)
{
	struct eng *e;
	struct t_res r;
	struct err err = {0};
	struct db *db;
	int v = -1;

	t_fresh_db();
	e = t_open(ENG_TOWN, "m1", 1);
	/* A rejected first call rolls the migrations back with it. */
	r = t_request(e, "PUT", "/api/towns/m1/_test/kv/k", "{bad", NULL);
	CHECK(r.status == 400);
	t_res_free(&r);
	eng_close(e);
	db = db_open(t_db, NULL, &err);
	CHECK(migrate_version(db, &v, &err) == 0 && v == 0);
	db_close(db);

	e = t_open(ENG_TOWN, "m1", 1);
	r = t_request(e, "PUT", "/api/towns/m1/_test/kv/k", "{\"value\":\"v\"}", NULL);
	CHECK(r.status == 200);
	t_res_free(&r);
	eng_close(e);
	db = db_open(t_db, NULL, &err);
	CHECK(migrate_version(db, &v, &err) == 0 && v == eng_schema_target(ENG_TOWN));
	db_close(db);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(applies_in_order_once);
	RUN(a_failing_migration_changes_nothing);
	RUN(embedded_migrations_are_numbered_upwards);
	RUN(the_engine_migrates_a_fresh_town_on_first_call);
	return t_done();
}
