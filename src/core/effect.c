/*
 * effect.c - the outbox of outbound calls. The engine never performs I/O: it records each call it
 * wants made (an effect) in the outbox, in the same transaction as the state change that wanted it,
 * and hands it to the host in the call's output. The host performs it and feeds the result back as
 * a new event, which this file routes to the purpose that asked. Each effect is resolved once:
 * repeated results are ignored, and an effect whose result never comes (the object was evicted
 * mid-call) is resolved as lost when its deadline passes.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "sqlite3.h"

/* Time past the effect's own timeout before a missing result counts as lost. */
#define EFFECT_GRACE_MS 30000.0

static int deliver(struct call *c, const char *purpose, const char *subject, const cJSON *result,
		   const char *body, size_t body_len)
{
	for (size_t i = 0; i < effect_purposes_n; i++)
		if (strcmp(effect_purposes[i].purpose, purpose) == 0)
			return effect_purposes[i].done(c, subject, result, body, body_len);
	call_log(c, "warn", "effect result for unknown purpose dropped", NULL);
	return 0;
}

int effect_submit(struct call *c, const struct effect_req *r, char *id_out, size_t id_len)
{
	sqlite3_stmt *st;
	cJSON *fx;

	if (strlen(r->purpose) >= EFFECT_PURPOSE_MAX || strlen(r->subject) >= EFFECT_SUBJECT_MAX)
		return err_set(&c->err, ERR_INTERNAL, NULL, "effect purpose or subject too long");
	if (id_new(c, "fx", 16, id_out, id_len) < 0)
		return -1;
	st = db_prepare(c->db,
		"INSERT INTO effects(id, purpose, subject, method, url, state, created_ms, deadline_ms)"
		" VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->method, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->url, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	sqlite3_bind_double(st, 7, c->now_ms + r->timeout_ms + EFFECT_GRACE_MS);
	c->alarm_dirty = 1;
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;

	fx = cJSON_CreateObject();
	if (call_append(c, &c->effects, fx) < 0)
		return -1;
	cJSON_AddStringToObject(fx, "id", id_out);
	cJSON_AddStringToObject(fx, "method", r->method);
	cJSON_AddStringToObject(fx, "url", r->url);
	if (r->headers)
		cJSON_AddItemToObject(fx, "headers", cJSON_Duplicate(r->headers, 1));
	if (r->body)
		cJSON_AddStringToObject(fx, "body", r->body);
	cJSON_AddNumberToObject(fx, "timeout_ms", r->timeout_ms);
	return 0;
}

/* Mark an effect resolved; returns 1 if it was pending (and fills purpose/subject), 0 if not. The
 * buffers hold EFFECT_PURPOSE_MAX / EFFECT_SUBJECT_MAX bytes; effect_submit refuses longer ones. */
static int resolve(struct call *c, const char *id, int ok, char *purpose, size_t plen, char *subject,
		   size_t slen)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"UPDATE effects SET state = ?, resolved_ms = ? WHERE id = ? AND state = 'pending'"
		" RETURNING purpose, subject", &c->err);
	int found;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, ok ? "done" : "failed", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	c->alarm_dirty = 1;
	if ((found = db_step_row(c->db, st, &c->err)) <= 0)
		return found;
	snprintf(purpose, plen, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(subject, slen, "%s", (const char *)sqlite3_column_text(st, 1));
	/* Step to completion so the UPDATE is finished before the statement is reset. */
	return db_step_done(c->db, st, &c->err) < 0 ? -1 : 1;
}

int effect_on_result(struct call *c)
{
	const char *id;
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(c->meta, "ok");
	char purpose[EFFECT_PURPOSE_MAX], subject[EFFECT_SUBJECT_MAX];
	int found;

	if (json_string(c->meta, "id", 1, 64, &id, &c->err) < 0)
		return -1;
	if (!cJSON_IsBool(ok))
		return err_set(&c->err, ERR_INVALID, "ok", "'ok' must be a boolean");
	found = resolve(c, id, cJSON_IsTrue(ok), purpose, sizeof purpose, subject, sizeof subject);
	if (found <= 0) {
		if (found == 0)
			call_log(c, "info", "result for an effect that is not pending ignored",
				 cJSON_CreateString(id));
		return found;
	}
	return deliver(c, purpose, subject, c->meta, c->in->body, c->in->body_len);
}

int effect_status(const cJSON *result)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(result, "status");

	return cJSON_IsNumber(s) && s->valuedouble >= 100 && s->valuedouble < 600 ? (int)s->valuedouble : 0;
}

int effect_fail_unsent(struct call *c, const char *purpose, const char *subject, const char *code, const char *message)
{
	cJSON *result = cJSON_CreateObject(), *error = cJSON_AddObjectToObject(result, "error");
	int rc;

	cJSON_AddFalseToObject(result, "ok");
	cJSON_AddStringToObject(error, "code", code);
	cJSON_AddStringToObject(error, "message", message);
	rc = deliver(c, purpose, subject, result, NULL, 0);
	cJSON_Delete(result);
	return rc;
}

int effect_expire(struct call *c)
{
	char ids[32][40];
	int n = 0, rc;
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT id FROM effects WHERE state = 'pending' AND deadline_ms <= ? LIMIT 32", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	while (n < 32 && (rc = db_step_row(c->db, st, &c->err)) > 0)
		snprintf(ids[n++], sizeof ids[0], "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char purpose[EFFECT_PURPOSE_MAX], subject[EFFECT_SUBJECT_MAX];
		cJSON *result;
		int found = resolve(c, ids[i], 0, purpose, sizeof purpose, subject, sizeof subject), rc;

		if (found <= 0) {
			if (found < 0)
				return -1;
			continue;
		}
		result = cJSON_CreateObject();
		cJSON *error = cJSON_AddObjectToObject(result, "error");
		cJSON_AddStringToObject(result, "id", ids[i]);
		cJSON_AddFalseToObject(result, "ok");
		cJSON_AddStringToObject(error, "code", "lost");
		cJSON_AddStringToObject(error, "message", "no result came back before the deadline");
		rc = deliver(c, purpose, subject, result, NULL, 0);
		cJSON_Delete(result);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int effect_next_deadline(struct call *c, double *out_ms)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT min(deadline_ms) FROM effects WHERE state = 'pending'", &c->err);
	int rc;

	if (!st)
		return -1;
	*out_ms = 0;
	/* An aggregate always gives a row: none is a failure, never "nothing pending". */
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "next deadline: no row");
	rc = sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (rc)
		*out_ms = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return rc;
}

int effect_pending_count(struct call *c, int64_t *n)
{
	return db_query_int(c->db, "SELECT count(*) FROM effects WHERE state = 'pending'", n, &c->err);
}
