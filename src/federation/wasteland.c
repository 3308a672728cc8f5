/*
 * wasteland.c - the town in the Wasteland (docs/wasteland.md): its connection to a DoltHub
 * database, and the sync that keeps the commons' rows equal to what the town's beads say.
 *
 * The town stays the truth; the commons is a projection written through DoltHub's API, which takes
 * one statement per call and answers with an operation to poll. So one write is in flight at a
 * time (wasteland.busy): the database made if asked, the schema statement by statement, the town's
 * rig row, then batches of queued beads. A bead labelled `wasteland` that changes is queued in the
 * same transaction as the change (wasteland_queue: the cursor), and its row is built when sent,
 * from the bead as it is then; a queue row leaves only once DoltHub confirmed the write. A change
 * while its row is in flight marks it dirty: it is sent again after. A failed write, a lost answer
 * or DoltHub down backs off (1 s doubling to 5 min) and tries again; the town's own work never
 * waits for any of it. Every write is idempotent (commons.c), so sending twice is harmless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"
#include "sqlite3.h"

#define TOKEN_SECRET "dolthub_token"
#define TOKEN_MAX 1024
#define BATCH_ROWS 100           /* also the LIMIT of next_batch's statement */
#define BATCH_BYTES 196608       /* a statement stops growing past this (a row is at most ~10 KB) */
#define BACKOFF_MIN_MS 1000.0
#define BACKOFF_MAX_MS 300000.0
#define POLL_FIRST_MS 300.0
#define POLL_MAX_MS 5000.0
#define POLLS_MAX 120            /* an operation never done is given up, and the write sent again */

struct ws {
	int64_t gen, create_db, schema_step, rig_due, polls, failures;
	char api_url[WASTELAND_URL_MAX + 1], owner[WASTELAND_NAME_MAX + 1], db[WASTELAND_NAME_MAX + 1];
	char handle[WASTELAND_NAME_MAX + 1], display_name[256], busy[8], what[8], op[256];
	double cadence_ms, timeout_ms, next_ms, connected_ms, read_due_ms;
};

static int replay_page(struct call *c, int *queued); /* the queue's, used by step() */

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

static int load(struct call *c, struct ws *w)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT gen, api_url, owner, db, handle, display_name, cadence_ms, timeout_ms,"
					     " create_db, schema_step, rig_due, busy, what, op, polls, failures, next_ms,"
					     " connected_ms, read_due_ms FROM wasteland", &c->err);
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) <= 0)
		return st ? rc : -1;
	w->gen = sqlite3_column_int64(st, 0);
	snprintf(w->api_url, sizeof w->api_url, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(w->owner, sizeof w->owner, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(w->db, sizeof w->db, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(w->handle, sizeof w->handle, "%s", (const char *)sqlite3_column_text(st, 4));
	snprintf(w->display_name, sizeof w->display_name, "%s", (const char *)sqlite3_column_text(st, 5));
	w->cadence_ms = sqlite3_column_double(st, 6);
	w->timeout_ms = sqlite3_column_double(st, 7);
	w->create_db = sqlite3_column_int64(st, 8);
	w->schema_step = sqlite3_column_int64(st, 9);
	w->rig_due = sqlite3_column_int64(st, 10);
	snprintf(w->busy, sizeof w->busy, "%s", (const char *)sqlite3_column_text(st, 11));
	snprintf(w->what, sizeof w->what, "%s", (const char *)sqlite3_column_text(st, 12));
	snprintf(w->op, sizeof w->op, "%s", (const char *)sqlite3_column_text(st, 13));
	w->polls = sqlite3_column_int64(st, 14);
	w->failures = sqlite3_column_int64(st, 15);
	w->next_ms = sqlite3_column_double(st, 16);
	w->connected_ms = sqlite3_column_double(st, 17);
	w->read_due_ms = sqlite3_column_double(st, 18);
	sqlite3_reset(st);
	return 1;
}

static void town_of(struct call *c, const struct ws *w, struct commons_town *t)
{
	t->town = c->cfg->object_id;
	t->handle = w->handle;
	t->owner = w->owner;
}

/* Set what is in flight (busy, what, op; polls counted on by the caller). */
static int set_busy(struct call *c, const char *busy, const char *what, const char *op, int64_t polls)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE wasteland SET busy = ?1, what = ?2, op = ?3, polls = ?4", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, busy, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, what, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, op, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, polls);
	return db_step_done(c->db, st, &c->err);
}

/* ---- the calls to DoltHub ------------------------------------------------------------------------ */

static int submit(struct call *c, const struct ws *w, const char *token, const char *kind, const char *method,
		  const char *url, const char *body)
{
	char subject[64], auth[TOKEN_MAX + 16], fx[48];
	cJSON *headers = cJSON_CreateObject();
	struct effect_req r = {.purpose = "wasteland", .subject = subject, .method = method, .url = url, .body = body,
			       .headers = headers, .timeout_ms = (int)w->timeout_ms};
	int rc;

	snprintf(subject, sizeof subject, "%lld:%s", (long long)w->gen, kind);
	snprintf(auth, sizeof auth, "token %s", token);
	cJSON_AddStringToObject(headers, "authorization", auth);
	cJSON_AddStringToObject(headers, "user-agent", "gastown-edge");
	if (body)
		cJSON_AddStringToObject(headers, "content-type", "application/json");
	rc = effect_submit(c, &r, fx, sizeof fx);
	cJSON_Delete(headers);
	return rc;
}

/* POST .../write/main/main with the statement in the body ({"query": ...}: no URL length limit). */
static int send_write(struct call *c, const struct ws *w, const char *token, const char *sql, const char *what)
{
	char url[WASTELAND_URL_MAX + 2 * WASTELAND_NAME_MAX + 40], *body;
	cJSON *o = cJSON_CreateObject();
	int rc;

	snprintf(url, sizeof url, "%s/%s/%s/write/main/main", w->api_url, w->owner, w->db);
	cJSON_AddStringToObject(o, "query", sql);
	body = json_print(o);
	cJSON_Delete(o);
	if (!body)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	rc = submit(c, w, token, "write", "POST", url, body);
	cJSON_free(body);
	return rc < 0 ? -1 : set_busy(c, "write", what, "", 0);
}

static int send_poll(struct call *c, const struct ws *w, const char *token)
{
	char op[3 * sizeof w->op], url[WASTELAND_URL_MAX + 2 * WASTELAND_NAME_MAX + sizeof op + 40];

	query_escape(w->op, op, sizeof op);
	snprintf(url, sizeof url, "%s/%s/%s/write?operationName=%s", w->api_url, w->owner, w->db, op);
	return submit(c, w, token, "poll", "GET", url, NULL) < 0 ? -1 : set_busy(c, "poll", w->what, w->op, w->polls);
}

static int send_create(struct call *c, const struct ws *w, const char *token)
{
	char url[WASTELAND_URL_MAX + 16], *body;
	cJSON *o = cJSON_CreateObject();
	int rc;

	snprintf(url, sizeof url, "%s/database", w->api_url);
	cJSON_AddStringToObject(o, "ownerName", w->owner);
	cJSON_AddStringToObject(o, "repoName", w->db);
	cJSON_AddStringToObject(o, "visibility", "private");
	cJSON_AddStringToObject(o, "description", "A Gas Town's wanted board and completions (Wasteland commons)");
	body = json_print(o);
	cJSON_Delete(o);
	if (!body)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	rc = submit(c, w, token, "create", "POST", url, body);
	cJSON_free(body);
	return rc < 0 ? -1 : set_busy(c, "create", "", "", 0);
}

/* GET .../main?q=: the open posters of other towns (the read API answers at once, no operation). */
static int send_read(struct call *c, const struct ws *w, const char *token)
{
	struct strbuf q = {0};
	char *esc, *url;
	size_t n;
	int rc;

	if (commons_open_query(&q, w->handle) < 0) {
		free(q.buf);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	n = 3 * q.len + 1;
	esc = malloc(n);
	url = malloc(n + sizeof w->api_url + 2 * sizeof w->owner + 16);
	if (esc && url) {
		query_escape(q.buf, esc, n);
		sprintf(url, "%s/%s/%s/main?q=%s", w->api_url, w->owner, w->db, esc);
		rc = submit(c, w, token, "read", "GET", url, NULL) < 0 ? -1 : set_busy(c, "read", "", "", 0);
	} else {
		rc = err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	free(q.buf);
	free(esc);
	free(url);
	return rc;
}

/* ---- the next write ----------------------------------------------------------------------------- */

static int has_label(const cJSON *bead)
{
	const cJSON *l;

	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(bead, "labels"))
		if (cJSON_IsString(l) && !strcmp(l->valuestring, COMMONS_LABEL))
			return 1;
	return 0;
}

static int closed(const cJSON *bead)
{
	return !strcmp(str(bead, "status"), "closed");
}

/* 1 when id has the commons' form of a poster's id: 3 to 23 of a-z 0-9 - (w-3f2a...). */
static int poster_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 3 || n >= COMMONS_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(id[i] >= 'a' && id[i] <= 'z') && !(id[i] >= '0' && id[i] <= '9') && id[i] != '-')
			return 0;
	return 1;
}

/* Another town's poster this bead was claimed as (its metadata's wasteland_id), or "". */
static const char *foreign_of(const cJSON *bead)
{
	const char *id = str(cJSON_GetObjectItemCaseSensitive(bead, "metadata"), "wasteland_id");

	return poster_id_valid(id) ? id : "";
}

/* What a queued row becomes now: A_NONE nothing (dropped unsent), else an action of its part. The
 * town's own poster is upserted, withdrawn, completed or not; another town's, claimed, in review,
 * given back, completed or not. */
enum action { A_NONE, A_RIG, A_UPSERT, A_WITHDRAW, A_DONE, A_UNDONE, A_CLAIM, A_REVIEW, A_UNCLAIM };

static enum action action_of(const cJSON *bead, int part, const char *foreign)
{
	int on = bead && has_label(bead);

	if (*foreign) {
		if (part == 0)
			return bead && *commons_bead_agent(bead) ? A_RIG : A_NONE;
		if (part == 1)
			return !bead ? A_UNCLAIM : closed(bead) ? A_REVIEW : A_CLAIM;
		return bead && closed(bead) ? A_DONE : A_UNDONE;
	}
	if (part == 0)
		return on && *commons_bead_agent(bead) ? A_RIG : A_NONE;
	if (part == 1)
		return on ? A_UPSERT : A_WITHDRAW;
	return on && closed(bead) ? A_DONE : A_UNDONE;
}

/* A bead, or NULL when it is gone (not an error). -1 when storage failed. */
static int bead_or_gone(struct call *c, const char *id, cJSON **out)
{
	*out = bead_json(c, id);
	if (*out || err_take(&c->err, ERR_NOT_FOUND))
		return 0;
	return -1;
}

static int add_row(struct call *c, struct strbuf *sb, const struct commons_town *t, enum action a, const cJSON *bead,
		   const char *wanted, int first)
{
	char key[COMMONS_ID_MAX];

	switch (a) {
	case A_RIG: {
		const char *agent = commons_bead_agent(bead);
		cJSON *ag = agent_json(c, agent);
		const char *name = ag ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ag, "name")) : NULL;
		int rc;

		if (!ag && !err_take(&c->err, ERR_NOT_FOUND))
			return -1;
		rc = commons_rig_row(sb, t, agent, name ? name : agent,
				     cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(bead, "updated_ms")), first);
		cJSON_Delete(ag);
		return rc;
	}
	case A_UPSERT:
		return commons_wanted_row(sb, t, bead, first);
	case A_DONE:
		return commons_completion_row(sb, t, bead, wanted, first);
	case A_UNDONE:
		return commons_completion_id(wanted, t->handle, key) < 0 ? -1 : commons_id_list(sb, key, first);
	case A_NONE:
		return 0;
	default: /* withdrawn, claimed, in review, given back: the poster's id */
		return commons_id_list(sb, wanted, first);
	}
}

static int batch_begin(struct strbuf *sb, enum action a, const struct commons_town *t)
{
	switch (a) {
	case A_RIG: return commons_rig_begin(sb);
	case A_UPSERT: return commons_wanted_begin(sb);
	case A_DONE: return commons_completion_begin(sb);
	case A_WITHDRAW: return commons_withdraw_begin(sb);
	case A_CLAIM: return commons_claim_begin(sb, t->handle);
	case A_REVIEW: return commons_review_begin(sb, t->handle);
	case A_UNCLAIM: return commons_unclaim_begin(sb, t->handle);
	default: return commons_undone_begin(sb);
	}
}

static int batch_end(struct strbuf *sb, enum action a)
{
	switch (a) {
	case A_RIG: return commons_rig_end(sb);
	case A_UPSERT: return commons_wanted_end(sb);
	case A_DONE: return commons_completion_end(sb);
	default: return strbuf_addf(sb, ")");
	}
}

static int mark(struct call *c, int64_t seq, int inflight)
{
	sqlite3_stmt *st = db_prepare(c->db, inflight ? "UPDATE wasteland_queue SET inflight = 1, dirty = 0 WHERE seq = ?"
						       : "DELETE FROM wasteland_queue WHERE seq = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	return db_step_done(c->db, st, &c->err);
}

static cJSON *queue_row(sqlite3_stmt *st)
{
	cJSON *r = cJSON_CreateArray();

	cJSON_AddItemToArray(r, cJSON_CreateNumber((double)sqlite3_column_int64(st, 0)));
	cJSON_AddItemToArray(r, cJSON_CreateString((const char *)sqlite3_column_text(st, 1)));
	cJSON_AddItemToArray(r, cJSON_CreateNumber(sqlite3_column_int(st, 2)));
	cJSON_AddItemToArray(r, cJSON_CreateString(sqlite3_column_type(st, 3) == SQLITE_NULL ? ""
					    : (const char *)sqlite3_column_text(st, 3)));
	return r;
}

/* The next batch of queued rows as one statement into *sql (NULL: nothing to write): the rows of
 * the first row's part and action, in queue order. Rows that need no write leave the queue here,
 * and the next page is read when a whole page was such. */
static int next_batch(struct call *c, const struct ws *w, char **sql)
{
	struct commons_town t;
	struct strbuf sb = {0};
	enum action first = A_NONE;
	int n = 0, rc = 0, read = 1;

	*sql = NULL;
	town_of(c, w, &t);
	while (rc == 0 && n == 0 && read) {
		sqlite3_stmt *st = db_prepare(c->db, "SELECT q.seq, q.bead, q.part, p.foreign_id FROM wasteland_queue q"
						     " LEFT JOIN wasteland_posted p ON p.bead = q.bead ORDER BY q.part, q.seq LIMIT 100",
					      &c->err);
		cJSON *rows = st ? db_list(c->db, st, queue_row, &c->err) : NULL, *row;

		if (!rows)
			return -1;
		read = cJSON_GetArraySize(rows) > 0;
		cJSON_ArrayForEach(row, rows) {
			int64_t seq = (int64_t)cJSON_GetArrayItem(row, 0)->valuedouble;
			const char *id = cJSON_GetArrayItem(row, 1)->valuestring;
			int part = (int)cJSON_GetArrayItem(row, 2)->valuedouble;
			const char *foreign = cJSON_GetArrayItem(row, 3)->valuestring;
			char wanted[COMMONS_ID_MAX];
			cJSON *bead;
			enum action a;

			if (n >= BATCH_ROWS || sb.len > BATCH_BYTES || (rc = bead_or_gone(c, id, &bead)) < 0)
				break;
			a = action_of(bead, part, foreign);
			if (*foreign)
				snprintf(wanted, sizeof wanted, "%s", foreign);
			else if ((rc = commons_wanted_id(t.town, id, wanted)) < 0) {
				cJSON_Delete(bead);
				break;
			}
			if (a == A_NONE) {
				rc = mark(c, seq, 0);
			} else if (first == A_NONE || a == first) {
				if (first == A_NONE && batch_begin(&sb, a, &t) < 0)
					rc = err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
				first = a;
				if (rc == 0 && (add_row(c, &sb, &t, a, bead, wanted, n == 0) < 0 || mark(c, seq, 1) < 0))
					rc = -1;
				n++;
			}
			cJSON_Delete(bead);
			if (rc < 0)
				break;
		}
		cJSON_Delete(rows);
	}
	if (rc < 0 || (n && batch_end(&sb, first) < 0)) {
		free(sb.buf);
		return rc < 0 ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	if (!n)
		free(sb.buf);
	else
		*sql = sb.buf;
	return 0;
}

/* Record why nothing could be sent and when it will be tried again. */
static int failed(struct call *c, const struct ws *w, const char *why)
{
	double wait = BACKOFF_MIN_MS;
	sqlite3_stmt *st;

	for (int64_t i = 0; i < w->failures && wait < BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > BACKOFF_MAX_MS)
		wait = BACKOFF_MAX_MS;
	st = db_prepare(c->db, "UPDATE wasteland SET busy = '', what = '', op = '', polls = 0, failures = failures + 1,"
			       " next_ms = ?1, last_error = ?2", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms + wait);
	sqlite3_bind_text(st, 2, why, -1, SQLITE_TRANSIENT);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    db_exec(c->db, "UPDATE wasteland_queue SET inflight = 0, dirty = 0 WHERE inflight = 1", &c->err) < 0)
		return -1;
	call_log(c, "warn", "wasteland write failed; trying again later", cJSON_CreateString(why));
	return timer_set(c, "wasteland", "town", c->now_ms + wait);
}

/* Send the next write, if there is one and nothing is in flight. */
static int step(struct call *c)
{
	char token[TOKEN_MAX + 1], *sql = NULL;
	struct ws w;
	int rc, queued = 0;

	if ((rc = load(c, &w)) <= 0 || w.busy[0])
		return rc;
	if (w.next_ms > c->now_ms)
		return timer_set_earlier(c, "wasteland", "town", w.next_ms);
	if ((rc = town_secret(c, TOKEN_SECRET, token, sizeof token)) < 0)
		return -1;
	if (!rc)
		return db_exec(c->db, "UPDATE wasteland SET last_error = 'no DoltHub token: set one with PUT .../wasteland'",
			       &c->err);
	if (w.create_db)
		return send_create(c, &w, token);
	if ((size_t)w.schema_step < commons_schema_count())
		return send_write(c, &w, token, commons_schema_statement((size_t)w.schema_step), "schema");
	if (w.rig_due) {
		struct strbuf sb = {0};
		struct commons_town t;

		town_of(c, &w, &t);
		rc = commons_rig_begin(&sb) < 0 || commons_rig_row(&sb, &t, NULL, w.display_name, w.connected_ms, 1) < 0 ||
			     commons_rig_end(&sb) < 0
		     ? err_set(&c->err, ERR_INTERNAL, NULL, "out of memory")
		     : send_write(c, &w, token, sb.buf, "rig");
		free(sb.buf);
		return rc;
	}
	/* A replay's page is a call of its own (the alarm comes straight back for the write), and
	 * only while the queue is short: pages and writes take turns, no call holds the object long. */
	if ((rc = replay_page(c, &queued)) != 0)
		return rc < 0 ? -1 : timer_set(c, "wasteland", "town", c->now_ms);
	if (next_batch(c, &w, &sql) < 0)
		return -1;
	/* Nothing to write: read the board when it is due, else sleep until it is. */
	if (!sql)
		return w.read_due_ms <= c->now_ms ? send_read(c, &w, token)
						  : timer_set_earlier(c, "wasteland", "town", w.read_due_ms);
	rc = send_write(c, &w, token, sql, "rows");
	free(sql);
	return rc;
}

/* DoltHub took the write (or said it changed nothing): the next one. */
static int confirmed(struct call *c, const struct ws *w)
{
	if (!strcmp(w->what, "schema") && db_exec(c->db, "UPDATE wasteland SET schema_step = schema_step + 1", &c->err) < 0)
		return -1;
	if (!strcmp(w->what, "rig") && db_exec(c->db, "UPDATE wasteland SET rig_due = 0", &c->err) < 0)
		return -1;
	if (!strcmp(w->what, "rows") &&
	    db_exec(c->db, "DELETE FROM wasteland_queue WHERE inflight = 1 AND dirty = 0;"
			   " UPDATE wasteland_queue SET inflight = 0, dirty = 0 WHERE inflight = 1", &c->err) < 0)
		return -1;
	{
		sqlite3_stmt *st = db_prepare(c->db, "UPDATE wasteland SET busy = '', what = '', op = '', polls = 0, failures = 0,"
						     " next_ms = 0, last_error = NULL, last_ok_ms = ?1,"
						     " writes = writes + (?2 <> '')", &c->err);

		if (!st)
			return -1;
		sqlite3_bind_double(st, 1, c->now_ms);
		sqlite3_bind_text(st, 2, w->what, -1, SQLITE_STATIC);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	return step(c);
}

/* Why a call failed, for last_error: its status and DoltHub's message when it gave one. */
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

/* ---- other towns' posters ---------------------------------------------------------------------- */

/* A value of a read row as text into out (cut between characters): a string as it is, a number or
 * an array (tags) as JSON, null as "". */
static void cell(const cJSON *row, const char *k, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, k);
	char *j;

	out[0] = '\0';
	if (cJSON_IsString(v))
		utf8_copy(out, len, v->valuestring);
	else if ((cJSON_IsNumber(v) || cJSON_IsArray(v)) && (j = json_print(v))) {
		utf8_copy(out, len, j);
		cJSON_free(j);
	}
}

/* The board as read: the open posters replace those not claimed here; a claimed one stays. A row
 * with no id of the commons' form is skipped. */
static int posters_take(struct call *c, const cJSON *rows)
{
	static const char *const keys[] = {"id", "title", "description", "project", "type", "priority", "tags",
					   "posted_by", "effort_level", "updated_at"};
	static const size_t caps[] = {COMMONS_ID_MAX, COMMONS_TITLE_MAX + 1, COMMONS_TEXT_MAX + 1, 65, 33, 16,
				      2001, COMMONS_HANDLE_MAX, 17, 33};
	const cJSON *row;
	int n = 0;

	if (db_exec(c->db, "DELETE FROM wasteland_wanted WHERE bead IS NULL", &c->err) < 0)
		return -1;
	cJSON_ArrayForEach(row, rows) {
		char *v[10] = {0};
		sqlite3_stmt *st;
		int rc = 0;

		if (n++ >= COMMONS_READ_MAX)
			break;
		for (size_t i = 0; i < 10 && rc == 0; i++)
			if (!(v[i] = malloc(caps[i])))
				rc = err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
			else
				cell(row, keys[i], v[i], caps[i]);
		if (rc == 0 && poster_id_valid(v[0])) {
			cJSON *tags = cJSON_Parse(v[6]);

			/* tags must be a JSON array; anything else reads as none. */
			if (!cJSON_IsArray(tags))
				snprintf(v[6], caps[6], "[]");
			cJSON_Delete(tags);
			st = db_prepare(c->db, "INSERT INTO wasteland_wanted(id, title, description, project, type, priority, tags,"
					       " posted_by, effort_level, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS INTEGER),"
					       " ?7, ?8, ?9, ?10) ON CONFLICT(id) DO UPDATE SET title = excluded.title,"
					       " description = excluded.description, project = excluded.project, type = excluded.type,"
					       " priority = excluded.priority, tags = excluded.tags, posted_by = excluded.posted_by,"
					       " effort_level = excluded.effort_level, updated_at = excluded.updated_at", &c->err);
			if (!st)
				rc = -1;
			for (int i = 0; st && i < 10; i++)
				sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
			if (st)
				rc = db_step_done(c->db, st, &c->err);
		}
		for (int i = 0; i < 10; i++)
			free(v[i]);
		if (rc < 0)
			return -1;
	}
	{
		sqlite3_stmt *st = db_prepare(c->db, "UPDATE wasteland SET busy = '', read_ms = ?1, read_due_ms = ?1 + cadence_ms,"
						     " failures = 0, next_ms = 0, last_error = NULL", &c->err);

		if (!st)
			return -1;
		sqlite3_bind_double(st, 1, c->now_ms);
		return db_step_done(c->db, st, &c->err);
	}
}

int wasteland_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result), ok = status >= 200 && status < 300;
	const char *colon = strchr(subject, ':'), *kind = colon ? colon + 1 : "";
	char why[400];
	cJSON *doc;
	struct ws w;
	int rc;

	if ((rc = load(c, &w)) <= 0)
		return rc;
	/* An answer for an older target, or for a call no longer awaited (the target was changed
	 * and changed back): dropped. */
	if (!colon || strtoll(subject, NULL, 10) != w.gen || strcmp(kind, w.busy) != 0)
		return 0;
	doc = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	if (!strcmp(kind, "read")) {
		const cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");

		if (ok && cJSON_IsArray(rows)) {
			rc = posters_take(c, rows);
			cJSON_Delete(doc);
			return rc < 0 ? -1 : step(c);
		}
		reason(result, status, doc, "reading the board", why, sizeof why);
	} else if (!strcmp(kind, "create")) {
		/* A database that already exists is what was asked for. */
		if (ok || status == 409 || (status >= 400 && status < 500 && contains(body, len, "already exists"))) {
			cJSON_Delete(doc);
			return db_exec(c->db, "UPDATE wasteland SET create_db = 0, busy = ''", &c->err) < 0 ? -1 : step(c);
		}
		reason(result, status, doc, "creating the database", why, sizeof why);
	} else if (!strcmp(kind, "write")) {
		const char *op = str(doc, "operation_name");

		if (ok && *op && strlen(op) < sizeof w.op) {
			rc = set_busy(c, "wait", w.what, op, 0);
			cJSON_Delete(doc);
			return rc < 0 ? -1 : timer_set(c, "wasteland", "town", c->now_ms + POLL_FIRST_MS);
		}
		/* DoltHub's answer to a write that changes nothing (its commit would equal its parent). */
		if (status == 400 && contains(body, len, "toCommitId")) {
			cJSON_Delete(doc);
			return confirmed(c, &w);
		}
		reason(result, status, doc, "write", why, sizeof why);
	} else {
		const cJSON *done = cJSON_GetObjectItemCaseSensitive(doc, "done");
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "res_details");

		if (ok && cJSON_IsTrue(done) && !strncmp(str(res, "query_execution_status"), "Success", 7)) {
			cJSON_Delete(doc);
			return confirmed(c, &w);
		}
		if (ok && cJSON_IsFalse(done) && w.polls + 1 < POLLS_MAX) {
			double wait = POLL_FIRST_MS * (double)(w.polls + 2);

			cJSON_Delete(doc);
			return set_busy(c, "wait", w.what, w.op, w.polls + 1) < 0
				       ? -1 : timer_set(c, "wasteland", "town", c->now_ms + (wait < POLL_MAX_MS ? wait : POLL_MAX_MS));
		}
		if (ok && cJSON_IsTrue(done))
			snprintf(why, sizeof why, "write: %s: %.300s", str(res, "query_execution_status"),
				 str(res, "query_execution_message"));
		else if (ok)
			snprintf(why, sizeof why, "write: the operation was not done after %d polls", POLLS_MAX);
		else
			reason(result, status, doc, "polling the write", why, sizeof why);
	}
	cJSON_Delete(doc);
	return failed(c, &w, why);
}

int wasteland_fired(struct call *c, const char *key)
{
	char token[TOKEN_MAX + 1];
	struct ws w;
	int rc;

	(void)key;
	if ((rc = load(c, &w)) <= 0)
		return rc;
	if (strcmp(w.busy, "wait") != 0)
		return step(c);
	if ((rc = town_secret(c, TOKEN_SECRET, token, sizeof token)) <= 0)
		return rc < 0 ? -1 : failed(c, &w, "no DoltHub token");
	return send_poll(c, &w, token);
}

/* ---- the queue ---------------------------------------------------------------------------------- */

static int enqueue(struct call *c, const char *bead, int part)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO wasteland_queue(bead, part) VALUES (?1, ?2)"
					     " ON CONFLICT(bead, part) DO UPDATE SET dirty = inflight", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, part);
	return db_step_done(c->db, st, &c->err);
}

/* A bead's rows queued: its agent's rig when it has one, its poster, and its completion when it is
 * closed or may have been (reopened, unlabelled, going). */
static int queue_bead(struct call *c, const cJSON *bead, int was_closed)
{
	const char *id = str(bead, "id"), *foreign = foreign_of(bead);
	int on = has_label(bead) || *foreign;

	if (on) {
		/* A claim's poster is kept with it: once the bead is gone, only this row knows it. */
		sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO wasteland_posted(bead, foreign_id) VALUES (?1, nullif(?2, ''))"
						     " ON CONFLICT(bead) DO UPDATE SET foreign_id = coalesce(excluded.foreign_id,"
						     " foreign_id)", &c->err);

		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, foreign, -1, SQLITE_STATIC);
		if (db_step_done(c->db, st, &c->err) < 0)
			return -1;
	}
	if ((on && *commons_bead_agent(bead) && enqueue(c, id, 0) < 0) || enqueue(c, id, 1) < 0)
		return -1;
	return (!on || closed(bead) || was_closed) ? enqueue(c, id, 2) : 0;
}

static int connected(struct call *c, double *cadence_ms)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT cadence_ms FROM wasteland", &c->err);
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc) {
		*cadence_ms = sqlite3_column_double(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int wasteland_on_bead(struct call *c, const struct bead_change *ch)
{
	double cadence = 0;
	cJSON *bead;
	int rc, posted;

	if ((rc = connected(c, &cadence)) <= 0)
		return rc;
	if (!(bead = bead_json(c, ch->id)))
		return -1;
	if (!has_label(bead) && !*foreign_of(bead) && (posted = db_exists(c->db, "SELECT count(*) FROM wasteland_posted WHERE bead = ?1", ch->id,
						    &c->err)) <= 0) {
		cJSON_Delete(bead);
		return posted;
	}
	/* A bead going is withdrawn (or its claim given back): queued as unlabelled, read as gone
	 * when sent. */
	if (ch->kind == BEAD_DELETING) {
		/* A claim's poster can be claimed again. */
		if (db_exec_text(c->db, "UPDATE wasteland_wanted SET bead = NULL WHERE bead = ?1", ch->id, &c->err) < 0) {
			cJSON_Delete(bead);
			return -1;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(bead, "labels");
		cJSON_DeleteItemFromObjectCaseSensitive(bead, "metadata");
	}
	rc = queue_bead(c, bead, ch->kind == BEAD_STATUS && ch->from && !strcmp(ch->from, "closed"));
	cJSON_Delete(bead);
	return rc < 0 ? -1 : timer_set_earlier(c, "wasteland", "town", c->now_ms + cadence);
}

#define REPLAY_PAGE 100

/* Every bead on the board or once on it, queued again: the replay that a new target, or a doubt
 * about the commons, asks for. The beads once posted are queued at once (one statement); the
 * labelled ones a page at a time by replay_page, taking turns with the writes, so a town of any
 * size never holds its object for long, and a crash resumes at the cursor. */
static int replay_start(struct call *c)
{
	return db_exec(c->db, "INSERT INTO wasteland_queue(bead, part) SELECT bead, p.part FROM wasteland_posted,"
			      " (SELECT 0 AS part UNION ALL SELECT 1 UNION ALL SELECT 2) p WHERE true"
			      " ON CONFLICT(bead, part) DO UPDATE SET dirty = inflight;"
			      " UPDATE wasteland SET replaying = 1, replay_cursor = 0, replayed = 0", &c->err);
}

/* One page of a replay, when one is running and fewer than two batches are queued: 1 with the page
 * queued (*queued counts them), 0 when there was nothing to do, -1 on failure. */
static int replay_page(struct call *c, int *queued)
{
	struct bead_filter f = {.label = COMMONS_LABEL, .limit = REPLAY_PAGE};
	sqlite3_stmt *st = db_prepare(c->db, "SELECT replaying, replay_cursor, (SELECT count(*) FROM wasteland_queue)"
					     " FROM wasteland", &c->err);
	int64_t next = 0;
	cJSON *page, *b;
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) <= 0)
		return st ? rc : -1;
	rc = sqlite3_column_int(st, 0);
	f.cursor = sqlite3_column_int64(st, 1);
	*queued = sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	if (!rc || *queued >= 2 * BATCH_ROWS)
		return 0;
	if (!(page = bead_list_json(c, &f, &next)))
		return -1;
	rc = 0;
	cJSON_ArrayForEach(b, page)
		if ((rc = queue_bead(c, b, 0)) < 0)
			break;
	if (rc == 0 && (st = db_prepare(c->db, "UPDATE wasteland SET replaying = ?1 <> 0, replay_cursor = ?1,"
					      " replayed = replayed + ?2", &c->err)) != NULL) {
		sqlite3_bind_int64(st, 1, next);
		sqlite3_bind_int(st, 2, cJSON_GetArraySize(page));
		rc = db_step_done(c->db, st, &c->err);
	} else if (rc == 0) {
		rc = -1;
	}
	cJSON_Delete(page);
	return rc < 0 ? -1 : 1;
}

/* ---- the connection ----------------------------------------------------------------------------- */

static int name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > WASTELAND_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= '0' && s[i] <= '9') &&
		    !strchr("-_.", s[i]))
			return 0;
	return s[0] != '.';
}

static int url_valid(const char *s)
{
	return (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7)) && !strpbrk(s, " \t\r\n\"<>?#") &&
	       s[strlen(s) - 1] != '/';
}

int wasteland_put(struct call *c, const struct wasteland_config *in)
{
	struct ws w = {0};
	int had, same, rc;
	sqlite3_stmt *st;
	const char *api = in->api_url ? in->api_url : WASTELAND_API_DEFAULT;

	if (!name_valid(in->owner))
		return err_set(&c->err, ERR_INVALID, "owner", "'owner' is a DoltHub owner: 1-%d of a-z A-Z 0-9 - _ .",
			       WASTELAND_NAME_MAX);
	if (!name_valid(in->database))
		return err_set(&c->err, ERR_INVALID, "database", "'database' is a DoltHub database name: 1-%d of a-z A-Z 0-9 - _ .",
			       WASTELAND_NAME_MAX);
	if (!name_valid(in->handle))
		return err_set(&c->err, ERR_INVALID, "handle", "'handle' is the town's rig handle: 1-%d of a-z A-Z 0-9 - _ .",
			       WASTELAND_NAME_MAX);
	if (!url_valid(api))
		return err_set(&c->err, ERR_INVALID, "api_url",
			       "'api_url' is an http(s) URL without a query or a trailing slash");
	if ((had = load(c, &w)) < 0 || (rc = town_secret(c, TOKEN_SECRET, (char[2]){0}, 2)) < 0)
		return -1;
	if (!in->token && !rc)
		return err_set(&c->err, ERR_INVALID, "token", "'token' is required: the DoltHub API token the town writes with");
	same = had && !strcmp(w.api_url, api) && !strcmp(w.owner, in->owner) && !strcmp(w.db, in->database);
	if (in->token) {
		cJSON *s = cJSON_CreateObject();

		cJSON_AddStringToObject(s, TOKEN_SECRET, in->token);
		rc = town_secrets_put(c, s);
		cJSON_Delete(s);
		if (rc < 0)
			return -1;
	}
	/* A new target starts over: its schema, the town's rig, every bead on the board. The same one
	 * keeps its progress; the town's rig row is written again for a new name. */
	st = db_prepare(c->db, "INSERT INTO wasteland(one, gen, api_url, owner, db, handle, display_name, cadence_ms, timeout_ms,"
			       " create_db, schema_step, rig_due, busy, what, op, polls, failures, next_ms, writes, connected_by,"
			       " connected_ms) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, 1, '', '', '', 0, 0, 0, 0, ?10, ?11)"
			       " ON CONFLICT(one) DO UPDATE SET gen = excluded.gen, api_url = excluded.api_url,"
			       " owner = excluded.owner, db = excluded.db, handle = excluded.handle,"
			       " display_name = excluded.display_name, cadence_ms = excluded.cadence_ms,"
			       " timeout_ms = excluded.timeout_ms, rig_due = 1, failures = 0, next_ms = 0, last_error = NULL,"
			       " create_db = iif(?12, create_db, excluded.create_db),"
			       " schema_step = iif(?12, schema_step, 0), busy = iif(?12, busy, ''), what = iif(?12, what, ''),"
			       " op = iif(?12, op, ''), polls = iif(?12, polls, 0)", &c->err);
	if (!st)
		return -1;
	/* A first connection (or one after a disconnect) starts from the clock, so an answer still on its
	 * way for a connection dropped before can never pass for this one's. */
	sqlite3_bind_int64(st, 1, same ? w.gen : had ? w.gen + 1 : (int64_t)c->now_ms);
	sqlite3_bind_text(st, 2, api, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->database, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->handle, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->display_name ? in->display_name : in->handle, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, (double)in->cadence_s * 1000.0);
	sqlite3_bind_double(st, 8, (double)in->timeout_s * 1000.0);
	sqlite3_bind_int(st, 9, in->create);
	sqlite3_bind_text(st, 10, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 11, had ? w.connected_ms : c->now_ms);
	sqlite3_bind_int(st, 12, same);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (!same) {
		if (db_exec(c->db, "UPDATE wasteland_queue SET inflight = 0, dirty = 0", &c->err) < 0 || replay_start(c) < 0)
			return -1;
	}
	if (event_append(c, same ? "wasteland.updated" : "wasteland.connected", in->handle, "database", NULL, in->database) < 0)
		return -1;
	return step(c);
}

int wasteland_delete(struct call *c)
{
	int64_t n = 0;
	cJSON *s;
	int rc;

	if (db_query_int(c->db, "SELECT count(*) FROM wasteland", &n, &c->err) < 0)
		return -1;
	if (!n)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "the town is not connected to the Wasteland");
	if (db_exec(c->db, "DELETE FROM wasteland; DELETE FROM wasteland_queue; DELETE FROM wasteland_posted;"
			   " DELETE FROM wasteland_wanted", &c->err) < 0)
		return -1;
	s = cJSON_CreateObject();
	cJSON_AddNullToObject(s, TOKEN_SECRET);
	rc = town_secrets_put(c, s);
	cJSON_Delete(s);
	return rc < 0 ? -1 : event_append(c, "wasteland.disconnected", c->cfg->object_id, NULL, NULL, NULL);
}

int wasteland_sync_now(struct call *c, int replay)
{
	struct ws w;
	int rc;

	if ((rc = load(c, &w)) < 0)
		return -1;
	if (!rc)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "the town is not connected to the Wasteland");
	if (replay && replay_start(c) < 0)
		return -1;
	/* Now, not at the next cadence, and without waiting out a backoff. */
	return db_exec(c->db, "UPDATE wasteland SET next_ms = 0", &c->err) < 0 ? -1 : step(c);
}

cJSON *wasteland_json(struct call *c)
{
	/* Times and durations are whole numbers (db_row_into gives a REAL as text). */
	sqlite3_stmt *st = db_prepare(c->db, "SELECT api_url, owner, db, handle, display_name, CAST(cadence_ms / 1000 AS INTEGER),"
					     " CAST(timeout_ms / 1000 AS INTEGER), create_db, schema_step, busy, op, failures,"
					     " CAST(next_ms AS INTEGER), last_error, CAST(last_ok_ms AS INTEGER), writes, connected_by,"
					     " CAST(connected_ms AS INTEGER),"
					     " (SELECT count(*) FROM wasteland_queue), (SELECT count(*) FROM wasteland_posted),"
					     " replaying, replayed FROM wasteland", &c->err);
	static const char *const names[] = {"api_url", "owner", "database", "handle", "display_name", "cadence_s",
					    "timeout_s", "create_database", "schema_step", "in_flight", "operation",
					    "failures", "next_ms", "last_error", "last_ok_ms", "writes", "connected_by",
					    "connected_ms", "queued", "posted", "replaying", "replayed", NULL};
	cJSON *o = cJSON_CreateObject();
	int rc = 0, token;

	if (!st || (rc = db_row_into(c->db, st, o, names, &c->err)) <= 0 ||
	    (token = town_secret(c, TOKEN_SECRET, (char[2]){0}, 2)) < 0) {
		cJSON_Delete(o);
		if (st && rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, NULL, "the town is not connected to the Wasteland");
		return NULL;
	}
	{
		int64_t step_n = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "schema_step"));
		int64_t queued = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "queued"));
		int create = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "create_database")) ||
			     cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "create_database")) == 1;
		int replaying = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "replaying")) > 0;
		const char *state = create ? "creating" : (size_t)step_n < commons_schema_count() ? "schema"
				    : queued || replaying ? "syncing" : "synced";

		cJSON_ReplaceItemInObjectCaseSensitive(o, "replaying", cJSON_CreateBool(replaying));

		if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "failures")) > 0)
			state = "retrying";
		cJSON_AddStringToObject(o, "state", state);
		cJSON_AddNumberToObject(o, "schema_total", (double)commons_schema_count());
		cJSON_ReplaceItemInObjectCaseSensitive(o, "create_database", cJSON_CreateBool(create));
		cJSON_AddBoolToObject(o, "token_set", token);
	}
	return o;
}

int wasteland_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM wasteland; DELETE FROM wasteland_queue; DELETE FROM wasteland_posted;"
			   " DELETE FROM wasteland_wanted", &c->err);
}

static cJSON *poster_row(sqlite3_stmt *st)
{
	static const char *const names[] = {"id", "title", "description", "project", "type", "priority", "tags",
					    "posted_by", "effort_level", "updated_at", "bead"};
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; i < 11; i++) {
		if (i == 5)
			cJSON_AddNumberToObject(o, names[i], sqlite3_column_int(st, i));
		else if (i == 6) {
			cJSON *tags = cJSON_Parse((const char *)sqlite3_column_text(st, i));

			cJSON_AddItemToObject(o, names[i], tags ? tags : cJSON_CreateArray());
		} else
			db_column_to_json(o, names[i], st, i);
	}
	return o;
}

cJSON *wasteland_wanted_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, title, description, project, type, priority, tags, posted_by,"
					     " effort_level, updated_at, bead FROM wasteland_wanted"
					     " ORDER BY bead IS NOT NULL, priority, updated_at DESC, id", &c->err);
	cJSON *list, *o;
	struct ws w;
	int rc;

	if ((rc = load(c, &w)) <= 0) {
		if (rc == 0)
			err_set(&c->err, ERR_NOT_FOUND, NULL, "the town is not connected to the Wasteland");
		return NULL;
	}
	if (!st || !(list = db_list(c->db, st, poster_row, &c->err)))
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "posters", list);
	{
		sqlite3_stmt *r = db_prepare(c->db, "SELECT CAST(read_ms AS INTEGER) FROM wasteland", &c->err);
		static const char *const names[] = {"read_ms", NULL};

		if (!r || db_row_into(c->db, r, o, names, &c->err) < 0) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

int wasteland_claim(struct call *c, const char *poster, const char *rig, char *bead, size_t bead_len)
{
	sqlite3_stmt *st;
	char title[201], *body;
	cJSON *meta, *labels;
	int64_t connected = 0;
	int rc, prio;
	size_t n;

	if (db_query_int(c->db, "SELECT count(*) FROM wasteland", &connected, &c->err) < 0)
		return -1;
	if (!connected)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "the town is not connected to the Wasteland");
	if (!(st = db_prepare(c->db, "SELECT title, description, type, priority, posted_by, bead FROM wasteland_wanted"
				     " WHERE id = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, poster, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, NULL, "no open poster '%s' on the board (it is read every cadence)",
					     poster);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		rc = err_set(&c->err, ERR_CONFLICT, "id", "poster '%s' was claimed already, as bead %s", poster,
			     (const char *)sqlite3_column_text(st, 5));
		sqlite3_reset(st);
		return rc;
	}
	/* The bead says where it came from: the poster, who posted it, and its text. */
	utf8_copy(title, sizeof title, (const char *)sqlite3_column_text(st, 0));
	n = strlen((const char *)sqlite3_column_text(st, 1)) + strlen(poster) + COMMONS_HANDLE_MAX + 80;
	if (!(body = malloc(n))) {
		sqlite3_reset(st);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	snprintf(body, n, "%s\n\nWasteland poster %s, posted by %s.", (const char *)sqlite3_column_text(st, 1), poster,
		 (const char *)sqlite3_column_text(st, 4));
	prio = sqlite3_column_int(st, 3);
	meta = cJSON_CreateObject();
	cJSON_AddStringToObject(meta, "wasteland_id", poster);
	cJSON_AddStringToObject(meta, "wasteland_posted_by", (const char *)sqlite3_column_text(st, 4));
	labels = cJSON_CreateArray();
	{
		struct bead_fields f = {.title = title, .body = body,
					.type = !strcmp((const char *)sqlite3_column_text(st, 2), "bug") ? "bug" : "task",
					.priority = prio < 0 ? 0 : prio > 4 ? 4 : prio, .rig = rig, .labels = labels,
					.metadata = meta};

		sqlite3_reset(st);
		rc = bead_create(c, &f, bead, bead_len);
	}
	free(body);
	cJSON_Delete(meta);
	cJSON_Delete(labels);
	if (rc < 0)
		return -1;
	if (!(st = db_prepare(c->db, "UPDATE wasteland_wanted SET bead = ?2 WHERE id = ?1", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, poster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bead, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err) < 0 ? -1 : event_append(c, "wasteland.claimed", bead, "poster", NULL, poster);
}
