/*
 * test_bead.c - the bead model's rules through engine.h: status transitions, dependency cycles,
 * id uniqueness when ids collide, attribution and events, and that rejected changes leave no trace.
 */
#include "harness.h"
#include "sqlite3.h"

static struct eng *town(void)
{
	return t_town(0);
}

/* Create a bead titled title; its id into id (static per call site buffer from the caller). */
static void create(struct eng *e, const char *body, char *id, size_t len)
{
	struct t_res r = t_request(e, "POST", "/api/towns/t1/beads", body, t_as("sarah"));

	CHECK(r.status == 201);
	snprintf(id, len, "%s", cJSON_GetStringValue(t_data(&r, "id")) ? cJSON_GetStringValue(t_data(&r, "id")) : "");
	t_res_free(&r);
}

static int patch_status(struct eng *e, const char *id, const char *status)
{
	char path[128], body[64];
	struct t_res r;
	int st;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", id);
	snprintf(body, sizeof body, "{\"status\":\"%s\"}", status);
	r = t_request(e, "PATCH", path, body, t_as("sarah"));
	st = r.status;
	t_res_free(&r);
	return st;
}

static void status_transitions(void)
{
	struct eng *e = town();
	char id[48];

	create(e, "{\"title\":\"Fix the gate\"}", id, sizeof id);
	CHECK(strncmp(id, "gt-", 3) == 0 && strlen(id) == 8);
	CHECK(patch_status(e, id, "in_review") == 409); /* open cannot skip to review */
	CHECK(patch_status(e, id, "in_progress") == 200);
	CHECK(patch_status(e, id, "in_review") == 200);
	CHECK(patch_status(e, id, "closed") == 200);
	CHECK(patch_status(e, id, "in_progress") == 409); /* reopen first */
	CHECK(patch_status(e, id, "open") == 200);
	CHECK(patch_status(e, id, "failed") == 200);
	CHECK(patch_status(e, id, "closed") == 409);
	CHECK(patch_status(e, id, "open") == 200);
	CHECK(patch_status(e, id, "done") == 400);
	eng_close(e);
	t_cleanup();
}

static int add_dep(struct eng *e, const char *bead, const char *dep, const char *kind)
{
	char path[128], body[128];
	struct t_res r;
	int st;

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/deps", bead);
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"kind\":\"%s\"}", dep, kind);
	r = t_request(e, "POST", path, body, t_as("sarah"));
	st = r.status;
	t_res_free(&r);
	return st;
}

static void dependency_cycles_are_rejected(void)
{
	struct eng *e = town();
	char a[48], b[48], c[48];
	struct t_res r;

	create(e, "{\"title\":\"A\"}", a, sizeof a);
	create(e, "{\"title\":\"B\"}", b, sizeof b);
	create(e, "{\"title\":\"C\"}", c, sizeof c);
	CHECK(add_dep(e, b, a, "blocks") == 200); /* A blocks B */
	CHECK(add_dep(e, c, b, "blocks") == 200); /* B blocks C */
	CHECK(add_dep(e, a, c, "blocks") == 409); /* C blocks A would close the loop */
	CHECK(add_dep(e, a, a, "blocks") == 400);
	CHECK(add_dep(e, a, c, "related") == 200); /* related edges may loop */
	CHECK(add_dep(e, a, "gt-nope", "blocks") == 400);
	CHECK(add_dep(e, a, b, "sideways") == 400);

	/* Ready: open with no open blocker. Only A is ready; closing A makes B ready. */
	r = t_request(e, "GET", "/api/towns/t1/beads?ready=true", NULL, t_as("sarah"));
	CHECK(cJSON_GetArraySize(t_data(&r, "beads")) == 1);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(t_data(&r, "beads"), 0), "id")), a));
	t_res_free(&r);
	CHECK(patch_status(e, a, "closed") == 200);
	r = t_request(e, "GET", "/api/towns/t1/beads?ready=true", NULL, t_as("sarah"));
	CHECK(cJSON_GetArraySize(t_data(&r, "beads")) == 1);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(t_data(&r, "beads"), 0), "id")), b));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

/* Beads whose stored count of open blockers differs from a count made now; -1 when the file could
 * not be read. The engine is closed for the read (it holds its file exclusively) and opened again. */
static int blockers_wrong(struct eng **e, int *blocked)
{
	static const char sql[] =
		"SELECT count(*), (SELECT count(*) FROM beads WHERE open_blockers > 0) FROM beads b WHERE open_blockers <>"
		" (SELECT count(*) FROM bead_deps d JOIN beads x ON x.id = d.depends_on"
		"  WHERE d.bead = b.id AND d.kind = 'blocks' AND x.status <> 'closed')";
	sqlite3 *db;
	sqlite3_stmt *st;
	int wrong = -1;

	eng_close(*e);
	if (sqlite3_open(t_db, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			wrong = sqlite3_column_int(st, 0);
			*blocked = sqlite3_column_int(st, 1);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	*e = t_open(ENG_TOWN, "t1", 0);
	return wrong;
}

/* The count of open blockers each bead keeps (triggers of migration 0043, what the reconciler's
 * scan reads) equals a count made afresh, whatever happens: dependencies added and dropped,
 * blockers closed, failed, reopened, deleted. */
static void open_blockers_follow_every_change(void)
{
	static const char *const statuses[] = {"open", "in_progress", "in_review", "closed", "failed"};
	struct eng *e = town();
	char ids[12][48], path[160], body[96];
	int most_blocked = 0;

	srand(7);
	for (int i = 0; i < 12; i++) {
		snprintf(body, sizeof body, "{\"title\":\"B%d\"}", i);
		create(e, body, ids[i], sizeof ids[i]);
	}
	for (int step = 1; step <= 600; step++) {
		int a = rand() % 12, b = rand() % 12, op = rand() % 10;
		struct t_res r;

		if (op < 4) {
			add_dep(e, ids[a], ids[b], op == 3 ? "related" : "blocks");
		} else if (op < 6) {
			snprintf(path, sizeof path, "/api/towns/t1/beads/%s/deps/%s", ids[a], ids[b]);
			r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
			t_res_free(&r);
		} else if (op < 9) {
			patch_status(e, ids[a], statuses[rand() % 5]);
		} else {
			/* Gone, and another in its place. */
			snprintf(path, sizeof path, "/api/towns/t1/beads/%s", ids[a]);
			r = t_request(e, "DELETE", path, NULL, t_as("sarah"));
			CHECK(r.status == 200);
			t_res_free(&r);
			snprintf(body, sizeof body, "{\"title\":\"B%d again\"}", a);
			create(e, body, ids[a], sizeof ids[a]);
		}
		if (step % 50 == 0) {
			int blocked = 0;

			CHECK(blockers_wrong(&e, &blocked) == 0);
			most_blocked = blocked > most_blocked ? blocked : most_blocked;
		}
	}
	CHECK(most_blocked >= 3); /* the walk did block beads */
	eng_close(e);
	t_cleanup();
}

static void ids_stay_unique_when_they_collide(void)
{
	struct eng *e = town();
	char a[48], b[48], c[48];

	/* Same entropy for every call: each create's first candidate is the same id. */
	t_fixed_entropy = 1;
	create(e, "{\"title\":\"one\"}", a, sizeof a);
	create(e, "{\"title\":\"two\"}", b, sizeof b);
	create(e, "{\"title\":\"three\"}", c, sizeof c);
	t_fixed_entropy = 0;
	CHECK(strlen(a) == 8 && strlen(b) == 9 && strlen(c) == 10);
	CHECK(strcmp(a, b) != 0 && strcmp(b, c) != 0 && strcmp(a, c) != 0);
	eng_close(e);
	t_cleanup();
}

static void changes_are_attributed_events(void)
{
	struct eng *e = town();
	struct t_res r;
	char id[48], path[160];
	const cJSON *events, *last;

	create(e, "{\"title\":\"Write docs\",\"priority\":1,\"labels\":[\"docs\"]}", id, sizeof id);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", id);
	r = t_request(e, "PATCH", path, "{\"title\":\"Write the docs\",\"priority\":3}", t_as("sarah"));
	CHECK(r.status == 200);
	CHECK(cJSON_GetNumberValue(t_data(&r, "priority")) == 3);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "requested_by")), "sarah"));
	t_res_free(&r);

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/events", id);
	r = t_request(e, "GET", path, NULL, t_as("sarah"));
	events = t_data(&r, "events");
	CHECK(cJSON_GetArraySize(events) == 3); /* created, title, priority */
	last = cJSON_GetArrayItem(events, 2);
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(last, "field")), "priority"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(last, "old")), "1"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(last, "new")), "3"));
	CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(last, "actor")), "sarah"));
	t_res_free(&r);

	/* A rejected change appends nothing. */
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", id);
	r = t_request(e, "PATCH", path, "{\"title\":\"New\",\"status\":\"in_review\"}", t_as("sarah"));
	CHECK(r.status == 409);
	t_res_free(&r);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/events", id);
	r = t_request(e, "GET", path, NULL, t_as("sarah"));
	CHECK(cJSON_GetArraySize(t_data(&r, "events")) == 3);
	t_res_free(&r);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", id);
	r = t_request(e, "GET", path, NULL, t_as("sarah"));
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "title")), "Write the docs"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static void listing_pages_with_a_cursor(void)
{
	struct eng *e = town();
	char id[48], path[128];
	struct t_res r;
	int seen = 0;
	double cursor = 0;

	for (int i = 0; i < 7; i++) {
		char body[96];

		snprintf(body, sizeof body, "{\"title\":\"bead %d\",\"labels\":[\"%s\"]}", i, i % 2 ? "odd" : "even");
		create(e, body, id, sizeof id);
	}
	do {
		if (cursor > 0)
			snprintf(path, sizeof path, "/api/towns/t1/beads?limit=3&cursor=%.0f", cursor);
		else
			snprintf(path, sizeof path, "/api/towns/t1/beads?limit=3");
		r = t_request(e, "GET", path, NULL, t_as("sarah"));
		CHECK(r.status == 200);
		seen += cJSON_GetArraySize(t_data(&r, "beads"));
		cursor = cJSON_IsNumber(t_data(&r, "next_cursor")) ? cJSON_GetNumberValue(t_data(&r, "next_cursor")) : 0;
		t_res_free(&r);
	} while (cursor > 0 && seen < 100);
	CHECK(seen == 7);
	r = t_request(e, "GET", "/api/towns/t1/beads?label=odd", NULL, t_as("sarah"));
	CHECK(cJSON_GetArraySize(t_data(&r, "beads")) == 3);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/beads?limit=0", NULL, t_as("sarah"));
	CHECK(r.status == 400);
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1/beads?status=weird", NULL, t_as("sarah"));
	CHECK(r.status == 400);
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

static int hook(struct eng *e, const char *agent, const char *bead)
{
	char path[128], body[96];
	struct t_res r;
	int st;

	snprintf(path, sizeof path, "/api/towns/t1/agents/%s/hook", agent);
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", bead);
	r = t_request(e, "POST", path, body, t_as("sarah"));
	st = r.status;
	t_res_free(&r);
	return st;
}

static void hooks_are_exclusive(void)
{
	struct eng *e = town();
	char a[48], b[48];
	struct t_res r;

	r = t_request(e, "POST", "/api/towns/t1/rigs", "{\"id\":\"r\",\"git_url\":\"https://example.com/r.git\"}", t_as("sarah"));
	t_res_free(&r);
	for (int i = 0; i < 2; i++) {
		r = t_request(e, "POST", "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", t_as("sarah"));
		CHECK(r.status == 201);
		t_res_free(&r);
	}
	create(e, "{\"title\":\"A\"}", a, sizeof a);
	create(e, "{\"title\":\"B\"}", b, sizeof b);
	CHECK(hook(e, "toast", a) == 200);
	CHECK(hook(e, "toast", b) == 409); /* one bead per agent */
	CHECK(hook(e, "maple", a) == 409); /* one agent per bead */
	CHECK(hook(e, "maple", b) == 200);
	CHECK(hook(e, "birch", b) == 404); /* no such agent */
	CHECK(hook(e, "toast", "gt-nope0") == 409 || hook(e, "toast", "gt-nope0") == 400);
	r = t_request(e, "DELETE", "/api/towns/t1/agents/toast/hook", NULL, t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	CHECK(hook(e, "toast", a) == 200); /* free again, and the bead too */
	eng_close(e);
	t_cleanup();
}

/* A late member list from an organization never touches a town that is not the organization's. */
static void org_member_lists_leave_personal_towns_alone(void)
{
	struct eng *e = town();
	struct t_res r = t_request(e, "PUT", "/_internal/org-members",
				   "{\"org_id\":\"acme\",\"version\":9,\"members\":[]}", NULL);

	CHECK(r.status == 403); /* no caller stamped by the host: not from an object */
	t_res_free(&r);
	r = t_request(e, "PUT", "/_internal/org-members", "{\"org_id\":\"acme\",\"version\":9,\"members\":[]}",
		      "{\"x-gastown-caller\":\"org:acme\"}");
	CHECK(r.status == 409); /* from acme, but this town is not acme's */
	t_res_free(&r);
	r = t_request(e, "GET", "/api/towns/t1", NULL, t_as("sarah"));
	CHECK(r.status == 200);
	CHECK(t_streq(cJSON_GetStringValue(t_data(&r, "role")), "owner"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(11);
	RUN(status_transitions);
	RUN(dependency_cycles_are_rejected);
	RUN(open_blockers_follow_every_change);
	RUN(ids_stay_unique_when_they_collide);
	RUN(changes_are_attributed_events);
	RUN(listing_pages_with_a_cursor);
	RUN(hooks_are_exclusive);
	RUN(org_member_lists_leave_personal_towns_alone);
	return t_done();
}
