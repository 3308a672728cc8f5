/*
 * test_errors.c - a storage failure is the call's 500 `internal`, never "not found" or a client
 * error, and it leaves nothing stored. One town is set up once; for every table of its schema, a
 * copy of it has that table's pages zeroed (SQLite reads them back as corrupt, at step time), and
 * every request below must answer as it does on the intact copy or fail with 500 internal (and
 * ENG_FATAL), a failed write leaving the file as it was.
 */
#include "harness.h"
#include "sqlite3.h"

static char template_db[300];
static char agent_headers[1200];
static char bead_a[48], bead_b[48], convoy[48];

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;
	int rc = in && out ? 0 : -1;

	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* 1 when both files hold the same bytes. */
static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;

	while (same) {
		int ca = fgetc(fa), cb = fgetc(fb);

		same = ca == cb;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* Zero every page that roots a b-tree of table (the table and its indexes): the next read of it
 * fails with SQLITE_CORRUPT. Returns the number of pages broken. */
static int break_table(const char *path, const char *table)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE sqlite_dbpage SET data = zeroblob(length(data)) WHERE pgno IN"
				   " (SELECT rootpage FROM sqlite_schema WHERE tbl_name = ?1 AND rootpage > 0)",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		n = sqlite3_changes(db);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The town's tables, from the template (read before any is broken). */
static int tables(char names[][64], int max)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_open(template_db, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND rootpage > 0"
				   " AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		snprintf(names[n++], 64, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static struct t_res post(struct eng *e, const char *path, const char *body)
{
	return t_request(e, "POST", path, body, t_as("sarah"));
}

/* POST as sarah; the id of what was made into out. */
static void make(struct eng *e, const char *path, const char *body, char *out, size_t len)
{
	struct t_res r = post(e, path, body);
	const char *id = cJSON_GetStringValue(t_data(&r, "id"));

	CHECK(r.status == 201 && id);
	snprintf(out, len, "%s", id ? id : "");
	t_res_free(&r);
}

/* A town with a bit of everything, closed and kept as the template every case starts from. */
static void make_template(void)
{
	struct eng *e = t_town(1);
	char body[256];
	struct t_res r;

	make(e, "/api/towns/t1/beads", "{\"title\":\"A\"}", bead_a, sizeof bead_a);
	make(e, "/api/towns/t1/beads", "{\"title\":\"B\"}", bead_b, sizeof bead_b);
	snprintf(body, sizeof body, "{\"title\":\"C\",\"beads\":[\"%s\"]}", bead_a);
	make(e, "/api/towns/t1/convoys", body, convoy, sizeof convoy);
	r = post(e, "/api/towns/t1/mail", "{\"to\":\"toast\",\"subject\":\"hello\",\"body\":\"hi\"}");
	CHECK(r.status == 201);
	t_res_free(&r);
	snprintf(body, sizeof body, "{\"severity\":\"low\",\"title\":\"E\",\"bead\":\"%s\"}", bead_a);
	r = post(e, "/api/towns/t1/escalations", body);
	CHECK(r.status == 201);
	t_res_free(&r);
	r = post(e, "/api/towns/t1/agents/toast/token", NULL);
	CHECK(r.status == 201 && cJSON_GetStringValue(t_data(&r, "token")));
	snprintf(agent_headers, sizeof agent_headers, "{\"authorization\":\"Bearer %s\"}",
		 cJSON_GetStringValue(t_data(&r, "token")) ? cJSON_GetStringValue(t_data(&r, "token")) : "");
	t_res_free(&r);
	eng_close(e);
	snprintf(template_db, sizeof template_db, "%s.template", t_db);
	CHECK(copy_file(t_db, template_db) == 0);
}

struct req {
	const char *method, *path, *body; /* "%A", "%B", "%C" in path or body: the beads and the convoy */
	int agent;                        /* 1: with toast's token, else as sarah */
};

static const struct req reads[] = {
	{"GET", "/api/towns/t1", NULL, 0},
	{"GET", "/api/towns/t1/settings", NULL, 0},
	{"GET", "/api/towns/t1/beads", NULL, 0},
	{"GET", "/api/towns/t1/beads/%A", NULL, 0},
	{"GET", "/api/towns/t1/beads/%A/events", NULL, 0},
	{"GET", "/api/towns/t1/events", NULL, 0},
	{"GET", "/api/towns/t1/agents", NULL, 0},
	{"GET", "/api/towns/t1/agents/toast", NULL, 0},
	{"GET", "/api/towns/t1/agents/toast/events", NULL, 0},
	{"GET", "/api/towns/t1/convoys", NULL, 0},
	{"GET", "/api/towns/t1/convoys/%C", NULL, 0},
	{"GET", "/api/towns/t1/rigs", NULL, 0},
	{"GET", "/api/towns/t1/rigs/r", NULL, 0},
	{"GET", "/api/towns/t1/mail", NULL, 0},
	{"GET", "/api/towns/t1/escalations", NULL, 0},
	{"GET", "/api/towns/t1/members", NULL, 0},
	{"GET", "/api/towns/t1/costs", NULL, 0},
	{"GET", "/api/towns/t1/prices", NULL, 0},
	{"GET", "/api/towns/t1/budgets", NULL, 0},
	{"GET", "/api/towns/t1/mayor/messages", NULL, 0},
	{"GET", "/api/towns/t1/agents/toast/prime", NULL, 1},
	{"GET", "/api/towns/t1/agents/toast/mail", NULL, 1},
};

static const struct req writes[] = {
	{"POST", "/api/towns/t1/beads", "{\"title\":\"N\",\"parent\":\"%A\"}", 0},
	{"PATCH", "/api/towns/t1/beads/%A", "{\"title\":\"A2\",\"labels\":[\"x\"]}", 0},
	{"POST", "/api/towns/t1/beads/%B/deps", "{\"id\":\"%A\"}", 0},
	{"DELETE", "/api/towns/t1/beads/%B", NULL, 0},
	{"POST", "/api/towns/t1/beads/%B/sling", "{\"rig\":\"r\"}", 0},
	{"POST", "/api/towns/t1/convoys", "{\"title\":\"C2\",\"beads\":[\"%B\"]}", 0},
	{"POST", "/api/towns/t1/agents/toast/hook", "{\"bead\":\"%B\"}", 0},
	{"POST", "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", 0},
	{"POST", "/api/towns/t1/mail", "{\"to\":\"toast\",\"subject\":\"s\",\"body\":\"b\"}", 0},
	{"POST", "/api/towns/t1/escalations", "{\"severity\":\"low\",\"title\":\"x\",\"bead\":\"%B\"}", 0},
	{"POST", "/api/towns/t1/rigs", "{\"id\":\"r2\",\"git_url\":\"https://example.com/r2.git\"}", 0},
	{"PATCH", "/api/towns/t1", "{\"name\":\"T2\"}", 0},
	{"POST", "/api/towns/t1/agents/toast/status", "{\"message\":\"on it\"}", 1},
	{"POST", "/api/towns/t1/agents/toast/heartbeat", NULL, 1},
	{"POST", "/api/towns/t1/agents/toast/escalations", "{\"severity\":\"high\",\"title\":\"stuck\",\"bead\":\"%A\"}", 1},
};

/* s with %A, %B, %C replaced, into out. */
static const char *fill(const char *s, char *out, size_t len)
{
	size_t o = 0;

	if (!s)
		return NULL;
	for (; *s && o + 1 < len; s++) {
		const char *v = NULL;

		if (s[0] == '%' && (s[1] == 'A' || s[1] == 'B' || s[1] == 'C'))
			v = s[1] == 'A' ? bead_a : s[1] == 'B' ? bead_b : convoy;
		if (v) {
			o += (size_t)snprintf(out + o, len - o, "%s", v);
			s++;
		} else {
			out[o++] = *s;
		}
	}
	out[o < len ? o : len - 1] = '\0';
	return out;
}

/* Run one request on a fresh engine over t_db, which is closed again after. */
static struct t_res run(const struct req *q)
{
	char path[256], body[512];
	struct eng *e = t_open(ENG_TOWN, "t1", 0);
	struct t_res r = t_request(e, q->method, fill(q->path, path, sizeof path), fill(q->body, body, sizeof body),
				   q->agent ? agent_headers : t_as("sarah"));

	eng_close(e);
	return r;
}

static char *text(const cJSON *body)
{
	return body ? cJSON_PrintUnformatted(body) : NULL;
}

/* The answer on a broken copy is the intact answer, or 500 internal with ENG_FATAL. */
static int as_before_or_internal(const struct t_res *now, int status, const char *code, const char *body)
{
	char *got;
	int same;

	if (now->status == 500)
		return now->rc == ENG_FATAL && t_streq(t_error_code(now), "internal");
	if (now->status != status || strcmp(t_error_code(now), code) != 0)
		return 0;
	if (!body)
		return 1;
	got = text(now->body);
	same = got && strcmp(got, body) == 0;
	cJSON_free(got);
	return same;
}

#define NREADS (sizeof reads / sizeof reads[0])

static void every_read_of_a_broken_table_is_internal(void)
{
	char names[64][64], *want[NREADS];
	int n = tables(names, 64), failures = 0, internal = 0;

	CHECK(n > 10);
	/* A read changes nothing: all of them run on one copy, intact first. */
	CHECK(copy_file(template_db, t_db) == 0);
	for (size_t q = 0; q < NREADS; q++) {
		struct t_res r = run(&reads[q]);

		CHECK(r.status == 200);
		want[q] = text(r.body);
		t_res_free(&r);
	}
	for (int i = 0; i < n; i++) {
		CHECK(copy_file(template_db, t_db) == 0);
		CHECK(break_table(t_db, names[i]) > 0);
		for (size_t q = 0; q < NREADS; q++) {
			struct t_res r = run(&reads[q]);

			if (!as_before_or_internal(&r, 200, "", want[q])) {
				failures++;
				printf("# %s %s with table %s broken: %d %s\n", reads[q].method, reads[q].path, names[i],
				       r.status, t_error_code(&r));
			}
			internal += r.status == 500;
			t_res_free(&r);
		}
	}
	for (size_t q = 0; q < NREADS; q++)
		cJSON_free(want[q]);
	CHECK(failures == 0);
	CHECK(internal > 0);
}

#define NWRITES (sizeof writes / sizeof writes[0])

static void every_write_over_a_broken_table_is_internal_and_stores_nothing(void)
{
	char names[64][64], code[NWRITES][32], broken[300];
	int n = tables(names, 64), status[NWRITES], failures = 0, internal = 0;

	for (size_t q = 0; q < NWRITES; q++) {
		struct t_res r;

		CHECK(copy_file(template_db, t_db) == 0);
		r = run(&writes[q]);
		CHECK(r.status < 300);
		status[q] = r.status;
		snprintf(code[q], sizeof code[q], "%s", t_error_code(&r));
		t_res_free(&r);
	}
	snprintf(broken, sizeof broken, "%s.broken", t_db);
	for (int i = 0; i < n; i++) {
		CHECK(copy_file(template_db, broken) == 0);
		CHECK(break_table(broken, names[i]) > 0);
		for (size_t q = 0; q < NWRITES; q++) {
			struct t_res r;
			int wrote;

			CHECK(copy_file(broken, t_db) == 0);
			r = run(&writes[q]);
			/* Ids come from the call's entropy: the status and error code are compared. */
			wrote = r.status == 500 && !same_file(t_db, broken);
			if (!as_before_or_internal(&r, status[q], code[q], NULL) || wrote) {
				failures++;
				printf("# %s %s with table %s broken: %d %s%s\n", writes[q].method, writes[q].path,
				       names[i], r.status, t_error_code(&r), wrote ? " (and it wrote)" : "");
			}
			internal += r.status == 500;
			t_res_free(&r);
		}
	}
	unlink(broken);
	CHECK(failures == 0);
	CHECK(internal > 0);
}

/* The cases the old code got wrong, by name: a bead that cannot be read is not a missing bead. */
static void a_failed_bead_lookup_is_not_a_bad_request(void)
{
	char body[256];
	struct t_res r;
	struct req convoy_req = {"POST", "/api/towns/t1/convoys", body, 0};
	struct req hook_req = {"POST", "/api/towns/t1/agents/toast/hook", body, 0};
	struct req agent_req = {"GET", "/api/towns/t1/agents/toast", NULL, 0};

	snprintf(body, sizeof body, "{\"title\":\"C2\",\"beads\":[\"%s\"]}", bead_b);
	CHECK(copy_file(template_db, t_db) == 0);
	CHECK(break_table(t_db, "beads") > 0);
	r = run(&convoy_req);
	CHECK(r.status == 500 && t_streq(t_error_code(&r), "internal"));
	t_res_free(&r);
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", bead_b);
	r = run(&hook_req);
	CHECK(r.status == 500 && t_streq(t_error_code(&r), "internal"));
	t_res_free(&r);
	/* An agent that cannot be read is not a missing agent either. */
	CHECK(copy_file(template_db, t_db) == 0);
	CHECK(break_table(t_db, "agents") > 0);
	r = run(&agent_req);
	CHECK(r.status == 500 && t_streq(t_error_code(&r), "internal"));
	t_res_free(&r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	make_template();
	RUN(every_read_of_a_broken_table_is_internal);
	RUN(every_write_over_a_broken_table_is_internal_and_stores_nothing);
	RUN(a_failed_bead_lookup_is_not_a_bad_request);
	unlink(template_db);
	t_cleanup();
	return t_done();
}
