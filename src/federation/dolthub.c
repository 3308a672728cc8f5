/*
 * dolthub.c - DoltHub's HTTP API (../shared/reference/gastown-local.md §6) as effects, and its
 * answers read back. Sans-I/O like the rest of the engine: a call here records the request in the
 * outbox; the caller's effect purpose gets the answer and asks dolthub_answer what it says. Both the
 * town's incremental sync (wasteland.c) and the full-sync object (dolt_sync.c) speak through here.
 *
 * A write takes one statement and answers with an operation to poll until it is done; a write that
 * would change nothing is refused (400, naming toCommitId), which for an idempotent write means it
 * is there already. A read answers at once with its rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

	return s ? s : "";
}

/* 1 when needle is in body[0..len) (an answer's body is not NUL-terminated). */
static int contains(const char *body, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; body && i + n <= len; i++)
		if (!memcmp(body + i, needle, n))
			return 1;
	return 0;
}

static int submit(struct call *c, const struct dolthub *d, const char *subject, const char *method, const char *url,
		  const char *body)
{
	char auth[DOLTHUB_TOKEN_MAX + 16], fx[48];
	cJSON *headers = cJSON_CreateObject();
	struct effect_req r = {.purpose = d->purpose, .subject = subject, .method = method, .url = url, .body = body,
			       .headers = headers, .timeout_ms = (int)d->timeout_ms};
	int rc;

	snprintf(auth, sizeof auth, "token %s", d->token);
	cJSON_AddStringToObject(headers, "authorization", auth);
	cJSON_AddStringToObject(headers, "user-agent", "gastown-edge");
	if (body)
		cJSON_AddStringToObject(headers, "content-type", "application/json");
	rc = effect_submit(c, &r, fx, sizeof fx);
	cJSON_Delete(headers);
	return rc;
}

/* A JSON body of one object's fields, sent and freed. */
static int submit_json(struct call *c, const struct dolthub *d, const char *subject, const char *url, cJSON *o)
{
	char *body = json_print(o);
	int rc;

	cJSON_Delete(o);
	if (!body)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	rc = submit(c, d, subject, "POST", url, body);
	cJSON_free(body);
	return rc;
}

int dolthub_create(struct call *c, const struct dolthub *d, const char *subject)
{
	char url[DOLTHUB_URL_MAX + 16];
	cJSON *o = cJSON_CreateObject();

	snprintf(url, sizeof url, "%s/database", d->api_url);
	cJSON_AddStringToObject(o, "ownerName", d->owner);
	cJSON_AddStringToObject(o, "repoName", d->db);
	cJSON_AddStringToObject(o, "visibility", "private");
	cJSON_AddStringToObject(o, "description", "A Gas Town's wanted board and completions (Wasteland commons)");
	return submit_json(c, d, subject, url, o);
}

/* POST .../write/main/main with the statement in the body ({"query": ...}: no URL length limit). */
int dolthub_write(struct call *c, const struct dolthub *d, const char *subject, const char *sql)
{
	char url[DOLTHUB_URL_MAX + 2 * DOLTHUB_NAME_MAX + 40];
	cJSON *o = cJSON_CreateObject();

	snprintf(url, sizeof url, "%s/%s/%s/write/main/main", d->api_url, d->owner, d->db);
	cJSON_AddStringToObject(o, "query", sql);
	return submit_json(c, d, subject, url, o);
}

int dolthub_poll(struct call *c, const struct dolthub *d, const char *subject, const char *op)
{
	char esc[3 * DOLTHUB_OP_MAX], url[DOLTHUB_URL_MAX + 2 * DOLTHUB_NAME_MAX + sizeof esc + 40];

	query_escape(op, esc, sizeof esc);
	snprintf(url, sizeof url, "%s/%s/%s/write?operationName=%s", d->api_url, d->owner, d->db, esc);
	return submit(c, d, subject, "GET", url, NULL);
}

/* GET .../main?q=: a read answers at once, no operation. */
int dolthub_read(struct call *c, const struct dolthub *d, const char *subject, const char *sql)
{
	size_t n = 3 * strlen(sql) + 1;
	char *esc = malloc(n), *url = malloc(n + DOLTHUB_URL_MAX + 2 * DOLTHUB_NAME_MAX + 16);
	int rc;

	if (esc && url) {
		query_escape(sql, esc, n);
		sprintf(url, "%s/%s/%s/main?q=%s", d->api_url, d->owner, d->db, esc);
		rc = submit(c, d, subject, "GET", url, NULL);
	} else {
		rc = err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	free(esc);
	free(url);
	return rc;
}

double dolthub_poll_wait_ms(int64_t polls)
{
	double wait = DOLTHUB_POLL_FIRST_MS * (double)(polls + 1);

	return wait < DOLTHUB_POLL_MAX_MS ? wait : DOLTHUB_POLL_MAX_MS;
}

double dolthub_backoff_ms(int64_t failures)
{
	double wait = DOLTHUB_BACKOFF_MIN_MS;

	for (int64_t i = 0; i < failures && wait < DOLTHUB_BACKOFF_MAX_MS; i++)
		wait *= 2;
	return wait < DOLTHUB_BACKOFF_MAX_MS ? wait : DOLTHUB_BACKOFF_MAX_MS;
}

/* Why a call failed: its status and DoltHub's message when it gave one. */
static void reason(const cJSON *result, int status, const cJSON *doc, const char *what, char *out, size_t len)
{
	const char *msg = str(doc, "query_execution_message");

	if (!*msg)
		msg = str(doc, "message");
	if (!status)
		snprintf(out, len, "%s: no answer (%s)", what, str(cJSON_GetObjectItemCaseSensitive(result, "error"), "message"));
	else
		snprintf(out, len, "%s: HTTP %d%s%.300s", what, status, *msg ? ": " : "", msg);
}

enum dolthub_said dolthub_answer(struct dolthub_answer *a, const char *kind, int64_t polls, const cJSON *result,
				 const char *body, size_t len)
{
	int status = effect_status(result), ok = status >= 200 && status < 300;
	cJSON *doc = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	enum dolthub_said said = DH_FAILED;

	a->op[0] = a->why[0] = '\0';
	a->rows = NULL;
	if (!strcmp(kind, "read")) {
		cJSON *rows = cJSON_DetachItemFromObjectCaseSensitive(doc, "rows");

		if (ok && cJSON_IsArray(rows)) {
			a->rows = rows;
			said = DH_ROWS;
		} else {
			cJSON_Delete(rows);
			reason(result, status, doc, "reading the board", a->why, sizeof a->why);
		}
	} else if (!strcmp(kind, "create")) {
		/* A database that already exists is what was asked for. */
		if (ok || status == 409 || (status >= 400 && status < 500 && contains(body, len, "already exists")))
			said = DH_DONE;
		else
			reason(result, status, doc, "creating the database", a->why, sizeof a->why);
	} else if (!strcmp(kind, "write")) {
		const char *op = str(doc, "operation_name");

		if (ok && *op && strlen(op) < sizeof a->op) {
			snprintf(a->op, sizeof a->op, "%s", op);
			said = DH_STARTED;
		} else if (status == 400 && contains(body, len, "toCommitId")) {
			/* A write that changes nothing (its commit would equal its parent). */
			said = DH_DONE;
		} else {
			reason(result, status, doc, "write", a->why, sizeof a->why);
		}
	} else {
		const cJSON *done = cJSON_GetObjectItemCaseSensitive(doc, "done");
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "res_details");

		if (ok && cJSON_IsTrue(done) && !strncmp(str(res, "query_execution_status"), "Success", 7))
			said = DH_DONE;
		else if (ok && cJSON_IsFalse(done) && polls + 1 < DOLTHUB_POLLS_MAX)
			said = DH_RUNNING;
		else if (ok && cJSON_IsTrue(done))
			snprintf(a->why, sizeof a->why, "write: %s: %.300s", str(res, "query_execution_status"),
				 str(res, "query_execution_message"));
		else if (ok)
			snprintf(a->why, sizeof a->why, "write: the operation was not done after %d polls", DOLTHUB_POLLS_MAX);
		else
			reason(result, status, doc, "polling the write", a->why, sizeof a->why);
	}
	cJSON_Delete(doc);
	return said;
}
