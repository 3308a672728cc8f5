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
#define TOKEN_MAX DOLTHUB_TOKEN_MAX
#define BATCH_ROWS 100           /* also the LIMIT of next_batch's statement */
#define BATCH_BYTES 196608       /* a statement stops growing past this (a row is at most ~10 KB) */
#define FULL_PAGE 200            /* beads of a full sync's page (bead_list_json's most), */
#define FULL_PAGE_BYTES 393216   /* fewer when their statements would pass this (the answer's limit is 1 MB) */
#define FULL_QUIET_MS 900000.0   /* a full sync silent this long is started again (its backoff is 5 min at most) */
#define FULL_RETRY_MS 10000.0    /* a start that failed is sent again after this */

struct ws {
	int64_t gen, create_db, schema_step, rig_due, polls, failures, full_id, full_running;
	char api_url[WASTELAND_URL_MAX + 1], owner[WASTELAND_NAME_MAX + 1], db[WASTELAND_NAME_MAX + 1];
	char handle[WASTELAND_NAME_MAX + 1], display_name[256], busy[8], what[8], op[DOLTHUB_OP_MAX];
	double cadence_ms, timeout_ms, next_ms, connected_ms, read_due_ms, full_seen_ms;
};

static int full_kick(struct call *c, const struct ws *w, const char *token); /* the full sync's, used by step() */

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

	return s ? s : "";
}

static int load(struct call *c, struct ws *w)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT gen, api_url, owner, db, handle, display_name, cadence_ms, timeout_ms,"
					     " create_db, schema_step, rig_due, busy, what, op, polls, failures, next_ms,"
					     " connected_ms, read_due_ms, full_id, full_running, full_seen_ms FROM wasteland", &c->err);
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
	w->full_id = sqlite3_column_int64(st, 19);
	w->full_running = sqlite3_column_int64(st, 20);
	w->full_seen_ms = sqlite3_column_double(st, 21);
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

/* A call of kind (create, write, poll, read) sent through dolthub.c, its subject "<gen>:<kind>" so
 * an answer for an older target is known; busy says what is in flight. */
static int send(struct call *c, const struct ws *w, const char *token, const char *kind, const char *arg,
		const char *what)
{
	struct dolthub d = {.api_url = w->api_url, .owner = w->owner, .db = w->db, .token = token,
			    .purpose = "wasteland", .timeout_ms = w->timeout_ms};
	char subject[64];
	int rc;

	snprintf(subject, sizeof subject, "%lld:%s", (long long)w->gen, kind);
	rc = !strcmp(kind, "create") ? dolthub_create(c, &d, subject)
	     : !strcmp(kind, "write") ? dolthub_write(c, &d, subject, arg)
	     : !strcmp(kind, "poll") ? dolthub_poll(c, &d, subject, arg)
	     : dolthub_read(c, &d, subject, arg);
	return rc < 0 ? -1 : set_busy(c, kind, what, !strcmp(kind, "poll") ? arg : "", !strcmp(kind, "poll") ? w->polls : 0);
}

/* The open posters of other towns. */
static int send_read(struct call *c, const struct ws *w, const char *token)
{
	struct strbuf q = {0};
	int rc = commons_open_query(&q, w->handle) < 0 ? err_set(&c->err, ERR_INTERNAL, NULL, "out of memory")
						       : send(c, w, token, "read", q.buf, "");

	free(q.buf);
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
	double wait = dolthub_backoff_ms(w->failures);
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE wasteland SET busy = '', what = '', op = '', polls = 0, failures = failures + 1,"
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
	int rc;

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
		return send(c, &w, token, "create", NULL, "");
	if ((size_t)w.schema_step < commons_schema_count())
		return send(c, &w, token, "write", commons_schema_statement((size_t)w.schema_step), "schema");
	if (w.rig_due) {
		struct strbuf sb = {0};
		struct commons_town t;

		town_of(c, &w, &t);
		rc = commons_rig_begin(&sb) < 0 || commons_rig_row(&sb, &t, NULL, w.display_name, w.connected_ms, 1) < 0 ||
			     commons_rig_end(&sb) < 0
		     ? err_set(&c->err, ERR_INTERNAL, NULL, "out of memory")
		     : send(c, &w, token, "write", sb.buf, "rig");
		free(sb.buf);
		return rc;
	}
	/* While a full sync writes the board (its own object), the queue waits for the handover: a row
	 * sent now could land before the sync's older one of the same bead. The board is still read. */
	if (w.full_running) {
		if (w.full_seen_ms + FULL_QUIET_MS <= c->now_ms && full_kick(c, &w, token) < 0)
			return -1;
		if (timer_set_earlier(c, "wasteland", "town",
				      (w.full_seen_ms + FULL_QUIET_MS <= c->now_ms ? c->now_ms : w.full_seen_ms) + FULL_QUIET_MS) < 0)
			return -1;
	} else if (next_batch(c, &w, &sql) < 0) {
		return -1;
	}
	/* Nothing to write: read the board when it is due, else sleep until it is. */
	if (!sql)
		return w.read_due_ms <= c->now_ms ? send_read(c, &w, token)
						  : timer_set_earlier(c, "wasteland", "town", w.read_due_ms);
	rc = send(c, &w, token, "write", sql, "rows");
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
	const char *colon = strchr(subject, ':'), *kind = colon ? colon + 1 : "";
	struct dolthub_answer a;
	struct ws w;
	int rc;

	if ((rc = load(c, &w)) <= 0)
		return rc;
	/* An answer for an older target, or for a call no longer awaited (the target was changed
	 * and changed back): dropped. */
	if (!colon || strtoll(subject, NULL, 10) != w.gen || strcmp(kind, w.busy) != 0)
		return 0;
	switch (dolthub_answer(&a, kind, w.polls, result, body, len)) {
	case DH_ROWS:
		rc = posters_take(c, a.rows);
		cJSON_Delete(a.rows);
		return rc < 0 ? -1 : step(c);
	case DH_STARTED:
		return set_busy(c, "wait", w.what, a.op, 0) < 0
			       ? -1 : timer_set(c, "wasteland", "town", c->now_ms + DOLTHUB_POLL_FIRST_MS);
	case DH_RUNNING:
		return set_busy(c, "wait", w.what, w.op, w.polls + 1) < 0
			       ? -1 : timer_set(c, "wasteland", "town", c->now_ms + dolthub_poll_wait_ms(w.polls + 1));
	case DH_DONE:
		if (!strcmp(kind, "create"))
			return db_exec(c->db, "UPDATE wasteland SET create_db = 0, busy = ''", &c->err) < 0 ? -1 : step(c);
		return confirmed(c, &w);
	default:
		return failed(c, &w, a.why);
	}
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
	return send(c, &w, token, "poll", w.op, w.what);
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

/* A bead put on the board: one that loses its label or goes is withdrawn, not forgotten. A claim's
 * poster is kept with it: once the bead is gone, only this row knows it. */
static int posted(struct call *c, const char *id, const char *foreign)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO wasteland_posted(bead, foreign_id) VALUES (?1, nullif(?2, ''))"
					     " ON CONFLICT(bead) DO UPDATE SET foreign_id = coalesce(excluded.foreign_id,"
					     " foreign_id)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, foreign, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

/* A bead's rows queued: its agent's rig when it has one, its poster, and its completion when it is
 * closed or may have been (reopened, unlabelled, going). */
static int queue_bead(struct call *c, const cJSON *bead, int was_closed)
{
	const char *id = str(bead, "id"), *foreign = foreign_of(bead);
	int on = has_label(bead) || *foreign;

	if (on && posted(c, id, foreign) < 0)
		return -1;
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

/* ---- the full sync ------------------------------------------------------------------------------ */

/* Every bead on the board or once on it, written again: what a new target, or a doubt about the
 * commons, asks for. The beads once posted are queued at once (one statement); the labelled ones
 * are written by a DoltSyncDO of their own (dolt_sync.c), which asks for them a page at a time
 * (wasteland_full_page), so a town of any size never carries the sync in its own calls and a crash
 * resumes at the page the sync object reached. A sync started before is left to find that it is
 * not wanted any more. */
/* The full sync object's name, "<town>:<id>". */
static void full_name(struct call *c, int64_t id, char *out, size_t len)
{
	snprintf(out, len, "%s:%lld", c->cfg->object_id, (long long)id);
}

static int full_stop(struct call *c);

static int full_begin(struct call *c)
{
	int64_t total = 0;
	sqlite3_stmt *st;

	if (full_stop(c) < 0 || bead_label_count(c, COMMONS_LABEL, &total) < 0 ||
	    db_exec(c->db, "INSERT INTO wasteland_queue(bead, part) SELECT bead, p.part FROM wasteland_posted,"
			   " (SELECT 0 AS part UNION ALL SELECT 1 UNION ALL SELECT 2) p WHERE true"
			   " ON CONFLICT(bead, part) DO UPDATE SET dirty = inflight", &c->err) < 0)
		return -1;
	/* Ids from the clock and rising, so a sync object of a connection dropped before is never
	 * this one. */
	st = db_prepare(c->db, "UPDATE wasteland SET full_id = max(CAST(?1 AS INTEGER), full_id + 1), full_running = 1,"
			       " full_seen_ms = 0, full_paged = 0, full_total = ?2, full_writes = 0, full_started_ms = ?1,"
			       " full_done_ms = NULL, full_error = NULL", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_int64(st, 2, total);
	return db_step_done(c->db, st, &c->err);
}

/* Tell the running full sync's object to stop (a disconnect, a new full sync, the town going), so
 * it sends not even the rest of its page. Best effort: asking for its next page, it would hear the
 * same. */
static int full_stop(struct call *c)
{
	char name[200], esc[600], url[700], fx[48];
	sqlite3_stmt *st = db_prepare(c->db, "SELECT full_id FROM wasteland WHERE full_running", &c->err);
	int64_t id;
	int rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) <= 0)
		return st ? rc : -1;
	id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	full_name(c, id, name, sizeof name);
	query_escape(name, esc, sizeof esc);
	snprintf(url, sizeof url, "do://sync/%s/_internal/sync", esc);
	return effect_submit(c, &(struct effect_req){.purpose = "wasteland-full", .subject = "stop", .method = "DELETE",
						     .url = url, .timeout_ms = 30000},
			     fx, sizeof fx);
}

/* Start the full sync's object (or start it again: it carries on where it is). Its answer goes to
 * wasteland_full_started; meanwhile it counts as heard from, so it is not started twice. */
static int full_kick(struct call *c, const struct ws *w, const char *token)
{
	char name[200], esc[600], url[700], sync[24], fx[48], *body;
	cJSON *o = cJSON_CreateObject();
	sqlite3_stmt *st;
	int rc;

	full_name(c, w->full_id, name, sizeof name);
	query_escape(name, esc, sizeof esc);
	snprintf(url, sizeof url, "do://sync/%s/_internal/sync", esc);
	snprintf(sync, sizeof sync, "%lld", (long long)w->full_id);
	cJSON_AddStringToObject(o, "town", c->cfg->object_id);
	cJSON_AddStringToObject(o, "sync", sync);
	cJSON_AddStringToObject(o, "api_url", w->api_url);
	cJSON_AddStringToObject(o, "owner", w->owner);
	cJSON_AddStringToObject(o, "database", w->db);
	cJSON_AddStringToObject(o, "token", token);
	cJSON_AddNumberToObject(o, "timeout_s", w->timeout_ms / 1000.0);
	body = json_print(o);
	cJSON_Delete(o);
	if (!body)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	rc = effect_submit(c, &(struct effect_req){.purpose = "wasteland-full", .subject = sync, .method = "POST",
						   .url = url, .body = body, .timeout_ms = 30000},
			   fx, sizeof fx);
	cJSON_free(body);
	if (rc < 0 || !(st = db_prepare(c->db, "UPDATE wasteland SET full_seen_ms = ?1", &c->err)))
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int wasteland_full_started(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);
	char why[200];
	sqlite3_stmt *st;
	struct ws w;
	int rc;

	(void)body;
	(void)len;
	if (!strcmp(subject, "stop"))
		return 0;
	if ((rc = load(c, &w)) <= 0 || !w.full_running || strtoll(subject, NULL, 10) != w.full_id || status == 200)
		return rc < 0 ? -1 : 0;
	/* The object says this sync is over though the town never heard it end: a new one. */
	if (status == 409)
		return full_begin(c) < 0 ? -1 : step(c);
	if (status)
		snprintf(why, sizeof why, "starting the full sync: HTTP %d", status);
	else
		snprintf(why, sizeof why, "starting the full sync: no answer");
	if (!(st = db_prepare(c->db, "UPDATE wasteland SET full_error = ?1, full_seen_ms = ?2", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, why, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms - FULL_QUIET_MS + FULL_RETRY_MS);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return timer_set_earlier(c, "wasteland", "town", c->now_ms + FULL_RETRY_MS);
}

/* The statements that write a page of the board's beads, into stmts: one action's rows at a time,
 * in the queue's part order, each statement at most about BATCH_BYTES. *bytes counts them all. */
static int page_statements(struct call *c, const struct ws *w, const cJSON *beads, cJSON *stmts, size_t *bytes)
{
	static const enum action order[] = {A_RIG, A_UPSERT, A_CLAIM, A_REVIEW, A_DONE};
	struct commons_town t;

	town_of(c, w, &t);
	*bytes = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		enum action a = order[i];
		int part = a == A_RIG ? 0 : a == A_DONE ? 2 : 1, n = 0;
		struct strbuf sb = {0};
		const cJSON *b;

		cJSON_ArrayForEach(b, beads) {
			const char *foreign = foreign_of(b);
			char wanted[COMMONS_ID_MAX];

			if (action_of(b, part, foreign) != a)
				continue;
			if (*foreign)
				snprintf(wanted, sizeof wanted, "%s", foreign);
			else if (commons_wanted_id(t.town, str(b, "id"), wanted) < 0)
				break;
			if ((n == 0 && batch_begin(&sb, a, &t) < 0) || add_row(c, &sb, &t, a, b, wanted, n == 0) < 0)
				break;
			/* A statement that grew past its bound is closed, and the next row starts another. */
			if (++n, sb.len > BATCH_BYTES) {
				if (batch_end(&sb, a) < 0)
					break;
				*bytes += sb.len;
				cJSON_AddItemToArray(stmts, cJSON_CreateString(sb.buf));
				free(sb.buf);
				sb = (struct strbuf){0};
				n = 0;
			}
		}
		if (b || (n && batch_end(&sb, a) < 0)) {
			free(sb.buf);
			return c->err.code ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		}
		if (n) {
			*bytes += sb.len;
			cJSON_AddItemToArray(stmts, cJSON_CreateString(sb.buf));
		}
		free(sb.buf);
	}
	return 0;
}

/* A page of the board after cursor, as statements, into o: {statements, beads, next_cursor, last}.
 * A page whose statements would be too large for one answer is asked for again, smaller. */
static int full_page(struct call *c, const struct ws *w, int64_t cursor, cJSON *o)
{
	struct bead_filter f = {.label = COMMONS_LABEL, .limit = FULL_PAGE, .cursor = cursor};

	for (;;) {
		cJSON *page, *stmts = cJSON_CreateArray(), *b;
		int64_t next = 0;
		size_t bytes = 0;

		if (!(page = bead_list_json(c, &f, &next)) || page_statements(c, w, page, stmts, &bytes) < 0) {
			cJSON_Delete(page);
			cJSON_Delete(stmts);
			return -1;
		}
		if (bytes > FULL_PAGE_BYTES && f.limit > 1) {
			cJSON_Delete(page);
			cJSON_Delete(stmts);
			f.limit /= 2;
			continue;
		}
		/* The beads are on the board from now: one unlabelled later is withdrawn. */
		cJSON_ArrayForEach(b, page)
			if (posted(c, str(b, "id"), foreign_of(b)) < 0) {
				cJSON_Delete(page);
				cJSON_Delete(stmts);
				return -1;
			}
		cJSON_AddItemToObject(o, "statements", stmts);
		cJSON_AddNumberToObject(o, "beads", cJSON_GetArraySize(page));
		cJSON_AddNumberToObject(o, "next_cursor", (double)next);
		cJSON_AddBoolToObject(o, "last", next == 0);
		cJSON_Delete(page);
		return 0;
	}
}

cJSON *wasteland_full_page(struct call *c, const char *sync, const struct wasteland_full_report *in)
{
	char token[TOKEN_MAX + 1], id[24];
	sqlite3_stmt *st;
	struct ws w;
	cJSON *o;
	int rc;

	if ((rc = load(c, &w)) < 0)
		return NULL;
	snprintf(id, sizeof id, "%lld", (long long)w.full_id);
	if (!rc || !w.full_running || strcmp(sync, id) != 0) {
		err_set(&c->err, ERR_CONFLICT, NULL, "full sync %s is not this town's running one", sync);
		return NULL;
	}
	if (town_secret(c, TOKEN_SECRET, token, sizeof token) < 0)
		return NULL;
	/* How far it got, as it says: the town shows it. */
	st = db_prepare(c->db, "UPDATE wasteland SET full_seen_ms = ?1, full_paged = ?2, full_writes = ?3, full_error = ?4,"
			       " full_running = NOT ?5, full_done_ms = iif(?5, ?1, NULL)", &c->err);
	if (!st)
		return NULL;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_int64(st, 2, in->paged);
	sqlite3_bind_int64(st, 3, in->writes);
	if (in->error && *in->error)
		sqlite3_bind_text(st, 4, in->error, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, in->finished);
	if (db_step_done(c->db, st, &c->err) < 0)
		return NULL;
	o = cJSON_CreateObject();
	/* The handover: the queue, every change since the start, goes now. */
	if (in->finished) {
		cJSON_AddBoolToObject(o, "done", 1);
		if (event_append(c, "wasteland.synced", c->cfg->object_id, "beads", NULL, NULL) < 0 ||
		    db_exec(c->db, "UPDATE wasteland SET next_ms = 0", &c->err) < 0 || step(c) < 0) {
			cJSON_Delete(o);
			return NULL;
		}
		return o;
	}
	cJSON_AddStringToObject(o, "api_url", w.api_url);
	cJSON_AddStringToObject(o, "owner", w.owner);
	cJSON_AddStringToObject(o, "database", w.db);
	cJSON_AddStringToObject(o, "token", token);
	cJSON_AddNumberToObject(o, "timeout_s", w.timeout_ms / 1000.0);
	if (in->want) {
		int64_t total = 0;

		if (full_page(c, &w, in->cursor, o) < 0 || bead_label_count(c, COMMONS_LABEL, &total) < 0 ||
		    !(st = db_prepare(c->db, "UPDATE wasteland SET full_total = ?1", &c->err))) {
			cJSON_Delete(o);
			return NULL;
		}
		sqlite3_bind_int64(st, 1, total);
		if (db_step_done(c->db, st, &c->err) < 0) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	if (timer_set_earlier(c, "wasteland", "town", c->now_ms + FULL_QUIET_MS) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
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
		if (db_exec(c->db, "UPDATE wasteland_queue SET inflight = 0, dirty = 0", &c->err) < 0 || full_begin(c) < 0)
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
	if (full_stop(c) < 0 || db_exec(c->db, "DELETE FROM wasteland; DELETE FROM wasteland_queue; DELETE FROM wasteland_posted;"
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
	if (replay && full_begin(c) < 0)
		return -1;
	/* Now, not at the next cadence, and without waiting out a backoff. */
	return db_exec(c->db, "UPDATE wasteland SET next_ms = 0", &c->err) < 0 ? -1 : step(c);
}

/* The latest full sync, {id, running, paged, total, writes, started_ms, finished_ms, last_error}, or
 * a JSON null when there was none. */
static cJSON *full_json(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT full_id, full_running, full_paged, full_total, full_writes,"
					     " CAST(full_started_ms AS INTEGER), CAST(full_done_ms AS INTEGER), full_error"
					     " FROM wasteland WHERE full_id > 0", &c->err);
	static const char *const names[] = {"id", "running", "paged", "total", "writes", "started_ms", "finished_ms",
					    "last_error", NULL};
	cJSON *o = cJSON_CreateObject();
	int rc = st ? db_row_into(c->db, st, o, names, &c->err) : -1;

	if (rc <= 0) {
		cJSON_Delete(o);
		return rc < 0 ? NULL : cJSON_CreateNull();
	}
	cJSON_ReplaceItemInObjectCaseSensitive(o, "running",
					       cJSON_CreateBool(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "running")) > 0));
	return o;
}

cJSON *wasteland_json(struct call *c)
{
	/* Times and durations are whole numbers (db_row_into gives a REAL as text). */
	sqlite3_stmt *st = db_prepare(c->db, "SELECT api_url, owner, db, handle, display_name, CAST(cadence_ms / 1000 AS INTEGER),"
					     " CAST(timeout_ms / 1000 AS INTEGER), create_db, schema_step, busy, op, failures,"
					     " CAST(next_ms AS INTEGER), last_error, CAST(last_ok_ms AS INTEGER), writes, connected_by,"
					     " CAST(connected_ms AS INTEGER),"
					     " (SELECT count(*) FROM wasteland_queue), (SELECT count(*) FROM wasteland_posted),"
					     " full_running FROM wasteland", &c->err);
	static const char *const names[] = {"api_url", "owner", "database", "handle", "display_name", "cadence_s",
					    "timeout_s", "create_database", "schema_step", "in_flight", "operation",
					    "failures", "next_ms", "last_error", "last_ok_ms", "writes", "connected_by",
					    "connected_ms", "queued", "posted", "full_running", NULL};
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
		int full = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "full_running")) > 0;
		const char *state = create ? "creating" : (size_t)step_n < commons_schema_count() ? "schema"
				    : queued || full ? "syncing" : "synced";

		cJSON *fs = full_json(c);

		cJSON_DeleteItemFromObjectCaseSensitive(o, "full_running");
		if (!fs) {
			cJSON_Delete(o);
			return NULL;
		}
		if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "failures")) > 0 ||
		    (full && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fs, "last_error"))))
			state = "retrying";
		cJSON_AddItemToObject(o, "full_sync", fs);
		cJSON_AddStringToObject(o, "state", state);
		cJSON_AddNumberToObject(o, "schema_total", (double)commons_schema_count());
		cJSON_ReplaceItemInObjectCaseSensitive(o, "create_database", cJSON_CreateBool(create));
		cJSON_AddBoolToObject(o, "token_set", token);
	}
	return o;
}

int wasteland_wipe(struct call *c)
{
	return full_stop(c) < 0 ? -1 : db_exec(c->db, "DELETE FROM wasteland; DELETE FROM wasteland_queue; DELETE FROM wasteland_posted;"
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
