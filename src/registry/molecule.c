/*
 * molecule.c - a formula run in a town (docs/registry.md): its molecule is one bead per step, each
 * blocked by the steps it needs, all in one fan-out convoy, so the reconciler starts each step as
 * its needs close. The run remembers its beads; when the convoy lands or fails, the registry is
 * told once, and the formula's outcomes there grow by one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "sqlite3.h"

#define REPORT_RETRY_MS 60000
#define RUNS_LISTED 50

static int remember_bead(struct call *c, const char *run, const char *bead, const char *step)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO molecule_beads(bead, run, step) VALUES (?, ?, ?)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, step, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

/* The bead made for a step id, from the run's list so far (steps are made in order first). */
static const char *bead_of(const cJSON *made, const char *step)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, made)
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "step")), step))
			return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "bead"));
	return NULL;
}

static int save_run(struct call *c, const char *run, const struct molecule_req *r, const char *version, const char *convoy)
{
	char *vars = r->vars ? cJSON_PrintUnformatted(r->vars) : NULL;
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO molecule_runs(id, name, version, convoy, vars, started_by, requested_by,"
					     " started_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &c->err);
	int rc;

	if (!st) {
		cJSON_free(vars);
		return -1;
	}
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, convoy, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, vars ? vars : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, call_requested_by(c), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, c->now_ms);
	rc = db_step_done(c->db, st, &c->err);
	cJSON_free(vars);
	return rc;
}

cJSON *molecule_start(struct call *c, const struct molecule_req *r)
{
	char version[80], run[40], convoy[40], title[200];
	cJSON *spec, *steps = NULL, *out = NULL, *made, *ids, *meta;
	const cJSON *s;

	if (!(spec = install_formula(c, r->name, version, sizeof version)))
		return NULL;
	if (!(steps = formula_render(&c->err, spec, r->vars)) || id_new(c, "run", 10, run, sizeof run) < 0)
		goto done;
	out = cJSON_CreateObject();
	made = cJSON_AddArrayToObject(out, "beads");
	ids = cJSON_CreateArray();
	cJSON_ArrayForEach(s, steps) {
		const char *step = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id"));
		const cJSON *gate = cJSON_GetObjectItemCaseSensitive(s, "gate");
		const char *acceptance = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "acceptance"));
		/* A gated step waits (held) for what its gate names: a person slings it when that came. */
		struct bead_fields f = {
			.title = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "title")),
			.type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "type")),
			.rig = r->rig,
			.priority = BEAD_PRIORITY_DEFAULT,
			.held_set = 1,
			.held = r->held || gate != NULL,
		};
		struct strbuf body = {0};
		char bead[40];
		cJSON *m;

		strbuf_addf(&body, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "description")));
		if (acceptance && *acceptance)
			strbuf_addf(&body, "%sAcceptance: %s", body.len ? "\n\n" : "", acceptance);
		f.body = body.buf ? body.buf : "";

		meta = cJSON_CreateObject();
		cJSON_AddStringToObject(meta, "formula", r->name);
		cJSON_AddStringToObject(meta, "version", version);
		cJSON_AddStringToObject(meta, "run", run);
		cJSON_AddStringToObject(meta, "step", step);
		if (gate)
			cJSON_AddItemToObject(meta, "gate", cJSON_Duplicate(gate, 1));
		f.metadata = meta;
		if (bead_create(c, &f, bead, sizeof bead) < 0 || remember_bead(c, run, bead, step) < 0) {
			cJSON_Delete(meta);
			free(body.buf);
			break;
		}
		cJSON_Delete(meta);
		free(body.buf);
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "step", step);
		cJSON_AddStringToObject(m, "bead", bead);
		cJSON_AddItemToArray(made, m);
		cJSON_AddItemToArray(ids, cJSON_CreateString(bead));
	}
	/* Each step waits on what it needs: the formula has no cycle, so neither do these. */
	for (s = c->err.code == ERR_NONE ? steps->child : NULL; s; s = s->next) {
		const char *bead = bead_of(made, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id")));
		const cJSON *need;

		cJSON_ArrayForEach(need, cJSON_GetObjectItemCaseSensitive(s, "needs"))
			if (bead_dep_add(c, bead, bead_of(made, need->valuestring), "blocks", "steps") < 0)
				break;
		if (c->err.code != ERR_NONE)
			break;
	}
	snprintf(title, sizeof title, "%s@%s", r->name, version);
	if (c->err.code != ERR_NONE || convoy_create(c, title, "fan-out", ids, convoy, sizeof convoy) < 0 ||
	    save_run(c, run, r, version, convoy) < 0 || event_append(c, "formula.run", run, "formula", NULL, title) < 0) {
		cJSON_Delete(ids);
		cJSON_Delete(out);
		out = NULL;
		goto done;
	}
	cJSON_Delete(ids);
	cJSON_AddStringToObject(out, "run", run);
	cJSON_AddStringToObject(out, "convoy", convoy);
	cJSON_AddStringToObject(out, "formula", r->name);
	cJSON_AddStringToObject(out, "version", version);
done:
	cJSON_Delete(spec);
	cJSON_Delete(steps);
	return out;
}

static int report(struct call *c, const char *run)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT name, version, outcome FROM molecule_runs WHERE id = ? AND outcome IS NOT NULL"
					     " AND NOT reported", &c->err);
	char fx[48], url[128];
	cJSON *body;
	char *text;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "run", run);
	db_column_to_json(body, "name", st, 0);
	db_column_to_json(body, "version", st, 1);
	db_column_to_json(body, "outcome", st, 2);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (!text)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(url, sizeof url, "do://registry/%s/_internal/outcomes", REGISTRY_ID);
	rc = effect_submit(c, &(struct effect_req){.purpose = "outcome", .subject = run, .method = "POST", .url = url,
						    .body = text, .timeout_ms = 20000},
			   fx, sizeof fx);
	cJSON_free(text);
	return rc;
}

int molecule_on_bead(struct call *c, const struct bead_change *ch)
{
	char run[40], convoy[40];
	const char *state;
	sqlite3_stmt *st;
	cJSON *v;
	int rc;

	if (ch->kind != BEAD_STATUS && ch->kind != BEAD_DELETING)
		return 0;
	if (!(st = db_prepare(c->db, "SELECT r.id, r.convoy FROM molecule_beads b JOIN molecule_runs r ON r.id = b.run"
				     " WHERE b.bead = ? AND r.outcome IS NULL", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(run, sizeof run, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(convoy, sizeof convoy, "%s", (const char *)sqlite3_column_text(st, 1));
	if (ch->kind == BEAD_DELETING) {
		if (!(st = db_prepare(c->db, "DELETE FROM molecule_beads WHERE bead = ?", &c->err)))
			return -1;
		sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
		return db_step_done(c->db, st, &c->err);
	}
	/* The convoys heard first (wiring.c): its state is this change's. */
	if (!(v = convoy_json(c, convoy)))
		return err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1;
	state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "state"));
	if (!state || (strcmp(state, "landed") != 0 && strcmp(state, "failed") != 0)) {
		cJSON_Delete(v);
		return 0;
	}
	st = db_prepare(c->db, "UPDATE molecule_runs SET outcome = ? WHERE id = ?", &c->err);
	if (st) {
		sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, run, -1, SQLITE_STATIC);
	}
	cJSON_Delete(v);
	if (!st || db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return report(c, run);
}

int molecule_outcome_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);
	sqlite3_stmt *st;

	(void)body;
	(void)len;
	/* Taken, or a version the registry does not know (it keeps every version: nothing to retry). */
	if ((status >= 200 && status < 300) || status == 404) {
		if (!(st = db_prepare(c->db, "UPDATE molecule_runs SET reported = 1 WHERE id = ?", &c->err)))
			return -1;
		sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
		return db_step_done(c->db, st, &c->err);
	}
	return timer_set(c, "outcome", subject, c->now_ms + REPORT_RETRY_MS);
}

int molecule_outcome_fired(struct call *c, const char *key)
{
	return report(c, key);
}

cJSON *molecule_runs_json(struct call *c, const char *name)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, version, convoy, vars, started_by, requested_by, started_ms, outcome"
					     " FROM molecule_runs WHERE name = ? ORDER BY started_ms DESC, id LIMIT ?", &c->err);
	cJSON *list;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, RUNS_LISTED);
	list = cJSON_CreateArray();
	while ((rc = db_step_row(c->db, st, &c->err)) == 1) {
		cJSON *o = cJSON_CreateObject(), *vars = cJSON_Parse((const char *)sqlite3_column_text(st, 3));

		db_column_to_json(o, "id", st, 0);
		db_column_to_json(o, "version", st, 1);
		db_column_to_json(o, "convoy", st, 2);
		cJSON_AddItemToObject(o, "vars", vars ? vars : cJSON_CreateObject());
		db_column_to_json(o, "started_by", st, 4);
		db_column_to_json(o, "requested_by", st, 5);
		cJSON_AddNumberToObject(o, "started_ms", sqlite3_column_double(st, 6));
		db_column_to_json(o, "outcome", st, 7);
		cJSON_AddItemToArray(list, o);
	}
	if (rc < 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

int molecule_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM molecule_beads; DELETE FROM molecule_runs", &c->err);
}
