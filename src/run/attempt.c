/*
 * attempt.c - a bead slung several ways at once (docs/casting.md). Each way is an attempt: a child
 * bead of the same work, in its own variant (model, persona, runtime), run by its own polecat on its
 * own branch, through the same review and merge as any bead. The first attempt whose merge lands
 * wins: the bead closes with it, and the others are stopped, their merge requests closed, their
 * branches deleted and their attempts marked superseded (not failed). When every attempt failed,
 * the bead fails with their reasons. Costs need nothing here: each attempt's model calls are
 * charged to the human who slung, like any bead's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "sqlite3.h"

#define ATTEMPT_TITLE_MAX 200 /* the engine's bound on a title */

/* A short name of a variant for titles and reasons: "opus-x, pentester, claude". */
static void variant_label(const struct attempt_variant *v, char *out, size_t len)
{
	size_t n = 0;
	const char *parts[3] = {v->model, v->persona, v->runtime};

	out[0] = '\0';
	for (int i = 0; i < 3; i++)
		if (parts[i] && *parts[i])
			n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s", n ? ", " : "", parts[i]);
	if (!n)
		snprintf(out, len, "as slung");
}

/* The form of a variant, before anything is stored: 0, or -1 with ERR_INVALID naming its field. */
static int variant_check(struct call *c, const struct attempt_variant *v, int i)
{
	/* A command runtime (or a preset) needs the rig's command line, which a variant cannot give. */
	static const char *const runtimes[] = {"scripted", "claude", "codex", "opencode", NULL};
	int rc;

	if (v->runtime && *v->runtime && !str_in_list(v->runtime, runtimes))
		return err_set(&c->err, ERR_INVALID, "variants", "variants[%d].runtime '%s' is no runtime a variant can run"
			       " (scripted, claude, codex or opencode)", i, v->runtime);
	if (v->model && *v->model && !persona_model_valid(v->model))
		return err_set(&c->err, ERR_INVALID, "variants", "variants[%d].model '%s' is not a model name", i, v->model);
	if (v->persona && *v->persona && (rc = persona_exists(c, v->persona)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "variants", "variants[%d].persona: no persona '%s' in"
					     " this town", i, v->persona);
	return 0;
}

int attempt_sling(struct call *c, const char *bead, const char *persona, int ways, const struct attempt_variant *v,
		  int nv)
{
	double max_ways;
	cJSON *b;
	const char *type, *title;
	int64_t first;
	int rc = -1;

	if (town_setting_number(c, TOWN_MAX_WAYS, &max_ways) < 0)
		return -1;
	if (ways > (int)max_ways)
		return err_set(&c->err, ERR_INVALID, "ways", "this town slings at most %d ways at once (its max_ways"
			       " setting); %d asked", (int)max_ways, ways);
	if (nv > ways)
		return err_set(&c->err, ERR_INVALID, "variants", "%d variants for %d ways: at most one per way", nv, ways);
	for (int i = 0; i < nv; i++)
		if (variant_check(c, &v[i], i) < 0)
			return -1;
	if (!(b = bead_json(c, bead)))
		return -1;
	type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "type"));
	title = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "title"));
	if (attempt_of(c, bead, NULL, 0) > 0) {
		err_set(&c->err, ERR_CONFLICT, "ways", "%s is itself an attempt: sling its bead instead", bead);
		goto out;
	}
	/* Numbers go on from a bead's earlier attempts (it failed, and is slung again). */
	{
		sqlite3_stmt *st = db_prepare(c->db, "SELECT coalesce(max(n), 0) FROM attempts WHERE bead = ?", &c->err);

		if (!st)
			goto out;
		sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
		if (db_step_int(c->db, st, &first, &c->err) < 0)
			goto out;
	}
	for (int i = 0; i < ways; i++) {
		struct attempt_variant w = i < nv ? v[i] : (struct attempt_variant){0};
		struct bead_fields f = {.type = type, .rig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "rig")),
					.parent = bead, .priority = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "priority")),
					.body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "body")),
					.labels = cJSON_GetObjectItemCaseSensitive(b, "labels")};
		char label[160], child_title[ATTEMPT_TITLE_MAX + 160], child[48];
		sqlite3_stmt *st;

		if (!w.persona || !*w.persona)
			w.persona = persona;
		variant_label(&w, label, sizeof label);
		snprintf(child_title, sizeof child_title, "%.120s (attempt %d of %d: %.60s)", title, i + 1, ways, label);
		f.title = child_title;
		if (bead_create(c, &f, child, sizeof child) < 0 ||
		    (w.persona && *w.persona && bead_set_persona(c, child, w.persona) < 0))
			goto out;
		if (!(st = db_prepare(c->db, "INSERT INTO attempts(bead, n, attempt, model, persona, runtime, state, created_ms)"
					     " VALUES (?1, ?2, ?3, nullif(?4, ''), nullif(?5, ''), nullif(?6, ''), 'running', ?7)",
				      &c->err)))
			goto out;
		sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, first + i + 1);
		sqlite3_bind_text(st, 3, child, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, w.model ? w.model : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, w.persona ? w.persona : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, w.runtime ? w.runtime : "", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 7, c->now_ms);
		if (db_step_done(c->db, st, &c->err) < 0)
			goto out;
	}
	/* The bead itself is worked by its attempts: in progress, with nobody on it. */
	{
		char n[16];

		snprintf(n, sizeof n, "%d", ways);
		if (event_append(c, "bead.attempts", bead, "ways", NULL, n) < 0 || bead_set_status(c, bead, "in_progress", NULL) < 0)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(b);
	return rc;
}

int attempt_of(struct call *c, const char *id, char *bead, size_t len)
{
	char scratch[72];

	return db_text(c->db, "SELECT bead FROM attempts WHERE attempt = ?", id, bead ? bead : scratch,
		       bead ? len : sizeof scratch, &c->err);
}

int attempt_runtime(struct call *c, const char *id, cJSON *rt)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT coalesce(model, ''), coalesce(runtime, '') FROM attempts WHERE attempt = ?",
				      &c->err);
	const char *model, *runtime;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	model = (const char *)sqlite3_column_text(st, 0);
	runtime = (const char *)sqlite3_column_text(st, 1);
	if (*runtime) {
		/* The variant's runtime in place of the rig's: a CLI by its name, else the scripted agent
		 * (a command runtime needs the rig's command, which a variant cannot give). */
		cJSON_DeleteItemFromObjectCaseSensitive(rt, "kind");
		cJSON_DeleteItemFromObjectCaseSensitive(rt, "preset");
		cJSON_DeleteItemFromObjectCaseSensitive(rt, "command");
		cJSON_AddStringToObject(rt, "kind", runtime);
	}
	if (*model) {
		cJSON_DeleteItemFromObjectCaseSensitive(rt, "model");
		cJSON_AddStringToObject(rt, "model", model);
	}
	sqlite3_reset(st);
	return 1;
}

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *a = cJSON_CreateObject();

	cJSON_AddNumberToObject(a, "n", sqlite3_column_int(st, 0));
	cJSON_AddStringToObject(a, "bead", (const char *)sqlite3_column_text(st, 1));
	db_column_to_json(a, "model", st, 2);
	db_column_to_json(a, "persona", st, 3);
	db_column_to_json(a, "runtime", st, 4);
	cJSON_AddStringToObject(a, "state", (const char *)sqlite3_column_text(st, 5));
	db_column_to_json(a, "reason", st, 6);
	cJSON_AddNumberToObject(a, "created_ms", sqlite3_column_double(st, 7));
	if (sqlite3_column_type(st, 8) == SQLITE_NULL)
		cJSON_AddNullToObject(a, "ended_ms");
	else
		cJSON_AddNumberToObject(a, "ended_ms", sqlite3_column_double(st, 8));
	return a;
}

cJSON *attempts_json(struct call *c, const char *bead)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT n, attempt, model, persona, runtime, state, reason, created_ms, ended_ms FROM attempts"
		" WHERE bead = ? ORDER BY n LIMIT 64", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	return db_list(c->db, st, row_json, &c->err);
}

/* ---- how attempts end -------------------------------------------------------------------------- */

static int set_state(struct call *c, const char *attempt, const char *state, const char *reason)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE attempts SET state = ?2, reason = ?3, ended_ms = ?4"
					     " WHERE attempt = ?1 AND state = 'running'", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, attempt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	if (reason)
		sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

/* Stop a sibling that lost: its agent, its open merge requests, then the attempt bead itself. Its
 * branch goes into branches (to delete at the origin once all are stopped). */
static int supersede(struct call *c, const char *attempt, const char *why, cJSON *branches)
{
	cJSON *b = bead_json(c, attempt);
	const char *status, *agent, *branch;
	char mrs[8][72];
	int n, rc = -1;

	if (!b)
		return -1;
	status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "status"));
	agent = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "assignee"));
	branch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "branch"));
	if (set_state(c, attempt, "superseded", why) < 0)
		goto out;
	if (branch && *branch)
		cJSON_AddItemToArray(branches, cJSON_CreateString(branch));
	/* Its agent is on it (in progress): released now, and its process stopped by the host. */
	if (agent && strcmp(status, "in_progress") == 0 &&
	    (agent_release(c, agent, "idle") < 0 || container_stop(c, agent, why) < 0))
		goto out;
	if ((n = bead_open_merge_requests(c, attempt, mrs, 8)) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if (bead_set_status(c, mrs[i], "closed", why) < 0)
			goto out;
	if (strcmp(status, "closed") && strcmp(status, "failed") && bead_set_status(c, attempt, "closed", why) < 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(b);
	return rc;
}

/* Supersede every attempt of bead still running (but winner, when given) with why, and delete their
 * branches at the rig's origin. The number superseded, or -1. */
static int supersede_running(struct call *c, const char *bead, const char *winner, const char *why)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT attempt FROM attempts WHERE bead = ?1 AND state = 'running'"
					     " AND attempt <> coalesce(?2, '') ORDER BY n LIMIT 64", &c->err);
	char running[64][72], rig[72] = "", status[16];
	cJSON *branches;
	int n = 0, rc = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if (winner)
		sqlite3_bind_text(st, 2, winner, -1, SQLITE_STATIC);
	while (n < 64 && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(running[n++], sizeof running[0], "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	branches = cJSON_CreateArray();
	for (int i = 0; i < n && rc >= 0; i++)
		rc = supersede(c, running[i], why, branches);
	if (rc >= 0 && (rc = bead_status_rig(c, bead, status, sizeof status, rig, sizeof rig)) >= 0 &&
	    cJSON_GetArraySize(branches) > 0 && *rig)
		rc = container_prune(c, rig, branches);
	cJSON_Delete(branches);
	return rc < 0 ? -1 : n;
}

/* The winner's merge landed: the bead closes with it; every other attempt still running is stopped. */
static int won(struct call *c, const char *bead, const char *winner, const char *merged)
{
	char why[400], status[16] = "", rig[72];

	if (set_state(c, winner, "merged", merged) < 0)
		return -1;
	snprintf(why, sizeof why, "superseded by %s, whose merge landed first", winner);
	if (supersede_running(c, bead, winner, why) < 0 || bead_status_rig(c, bead, status, sizeof status, rig, sizeof rig) < 0)
		return -1;
	snprintf(why, sizeof why, "%.300s (attempt %s)", merged, winner);
	return strcmp(status, "closed") ? bead_set_status(c, bead, "closed", why) : 0;
}

/* An attempt that ended without landing; the last one to end fails the bead with every reason. */
static int lost(struct call *c, const char *bead, const char *attempt, const char *reason)
{
	sqlite3_stmt *st;
	int64_t running;
	struct strbuf why = {0};
	int rc;

	if (set_state(c, attempt, "failed", reason) < 0 ||
	    !(st = db_prepare(c->db, "SELECT count(*) FROM attempts WHERE bead = ? AND state = 'running'", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if (db_step_int(c->db, st, &running, &c->err) < 0)
		return -1;
	if (running > 0)
		return 0;
	if (!(st = db_prepare(c->db, "SELECT n, coalesce(reason, '') FROM attempts WHERE bead = ? AND state = 'failed'"
				     " ORDER BY n LIMIT 16", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	strbuf_addf(&why, "every attempt failed:");
	while ((rc = db_step_row(c->db, st, &c->err)) > 0)
		strbuf_addf(&why, " %d: %.180s;", sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1));
	if (rc < 0) {
		free(why.buf);
		return -1;
	}
	if (why.buf && why.len > 900)
		why.buf[900] = '\0';
	rc = event_append(c, "bead.failed", bead, "failure", NULL, why.buf) < 0 ||
	     bead_set_status(c, bead, "failed", why.buf) < 0 ? -1 : 0;
	free(why.buf);
	return rc;
}

/* Stop the running attempts of bead, which ended as to without them: 1 when it had any, 0, -1. */
static int ended_by_hand(struct call *c, const char *bead, const char *to)
{
	char why[200];
	int n;

	snprintf(why, sizeof why, "superseded: %s was %s while its attempts ran", bead, to);
	return (n = supersede_running(c, bead, NULL, why)) < 0 ? -1 : n > 0;
}

int attempt_on_bead(struct call *c, const struct bead_change *ch)
{
	char bead[72], reason[512] = "";
	sqlite3_stmt *st;
	int rc;

	if (ch->kind != BEAD_STATUS || (strcmp(ch->to, "closed") && strcmp(ch->to, "failed")))
		return 0;
	/* The bead itself ended by hand while its attempts ran: they have nothing left to do. */
	if ((rc = ended_by_hand(c, ch->id, ch->to)) != 0)
		return rc < 0 ? -1 : 0;
	/* Only a running attempt's end matters (a superseded one closing is this file's own doing). */
	if (!(st = db_prepare(c->db, "SELECT bead FROM attempts WHERE attempt = ? AND state = 'running'", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(bead, sizeof bead, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (bead_close_reason(c, ch->id, reason, sizeof reason) < 0)
		return -1;
	if (strcmp(ch->to, "closed") == 0 && strncmp(reason, "merged", 6) == 0)
		return won(c, bead, ch->id, reason);
	return lost(c, bead, ch->id, *reason ? reason : ch->to);
}

int attempt_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM attempts", &c->err);
}
