/*
 * agent_log.c - the AgentLogDO (docs/memory.md): each agent's events as its host read them from
 * the runtime's output (messages, tool calls and results, files, commands), kept per town in an
 * object of their own so the TownDO's storage and calls stay small, and searched with FTS5.
 *
 * Only the town calls here: it lets agents and members in and passes their requests on with the
 * agent's bead and rig and the town's retention (api/log_routes.c). An event may name its bead
 * itself: the host knows which bead it ran the agent for, while the hook the town sees may have
 * moved on by the time a batch arrives (after gt done). It is the agent's own log either way. A batch is taken whole or not
 * at all (one transaction); an event the agent sent before (same id) is taken once, so the host
 * may resend a batch whose answer it never saw. Each agent keeps its newest log_keep events; a
 * text longer than LOG_TEXT_KEEP is cut between characters and its size recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory/memory.h"
#include "sqlite3.h"

/* FTS5's snippet() marks each hit between these; the log never stores them (see keep_text). */
#define HIT_OPEN '\x02'
#define HIT_CLOSE '\x03'

/* What an agent's runtime did; the town's own entries (log_index.c) are beads and notes. */
static const char *const log_kinds[] = {"message", "tool", "result", "file", "command", "status",
					"error", "output", NULL};
static const char *const search_kinds[] = {"message", "tool", "result", "file", "command", "status",
					   "error", "output", "bead", "note", NULL};

struct event_in {
	const char *id, *kind, *text, *tool, *path, *bead;
	double at_ms;
	int64_t size;
};

/* An id is printable ASCII without spaces or ':' (the town's own entries are "bead:..." and
 * "note:..."): the host's name for the event, echoed in answers. */
static int id_ok(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == ':')
			return 0;
	return 1;
}

static const struct field_rule event_rules[] = {
	{"id", F_STR(struct event_in, id), FR_REQUIRED, 1, LOG_ID_MAX, .valid = id_ok, .field = "events[%i].id",
	 .msg[FF_ANY] = "events[%i].id is 1-%u printable characters without spaces or ':'"},
	{"kind", F_STR(struct event_in, kind), FR_REQUIRED, 0, 16, .one_of = log_kinds, .field = "events[%i].kind",
	 .msg[FF_ANY] = "events[%i].kind is one of %e"},
	{"text", F_STR(struct event_in, text), FR_REQUIRED, 0, LOG_TEXT_IN_MAX, .field = "events[%i].text",
	 .msg[FF_ANY] = "events[%i].text is a string of at most %u bytes"},
	{"tool", F_STR(struct event_in, tool), 0, 0, 64, .field = "events[%i].tool"},
	{"path", F_STR(struct event_in, path), 0, 0, LOG_PATH_MAX, .field = "events[%i].path"},
	{"bead", F_STR(struct event_in, bead), 0, 1, LOG_ID_MAX, .valid = id_ok, .field = "events[%i].bead"},
	{"at_ms", F_NUM(struct event_in, at_ms), 0, 0, 1e15, .field = "events[%i].at_ms",
	 .msg[FF_ANY] = "events[%i].at_ms is a time in milliseconds since 1970"},
	{"size", F_INT(struct event_in, size), 0, 0, INT64_MAX / 2, .field = "events[%i].size",
	 .msg[FF_ANY] = "events[%i].size is the text's size before the host cut it, in bytes"},
};
static const struct fields event_fields = FIELDS(event_rules, struct event_in);

static const struct field_rule event_item = {
	NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &event_fields, .field = "events[%i]",
	.msg[FF_TYPE] = "events[%i] is an object {id, kind, text, tool?, path?, at_ms?, size?}"};

struct batch_in {
	const cJSON *events;
};

#define EVENTS_MSG "'events' is an array of 1-%u events {id, kind, text, tool?, path?, at_ms?, size?}"
static const struct field_rule batch_rules[] = {
	{"events", F_ARR(struct batch_in, events), FR_REQUIRED, 1, LOG_EVENTS_PER_CALL, .of = &event_item,
	 .msg = {[FF_MISSING] = EVENTS_MSG, [FF_TYPE] = EVENTS_MSG, [FF_FEW] = EVENTS_MSG,
		 [FF_MANY] = "at most %u events per call"}},
};
const struct fields log_batch_body = FIELDS(batch_rules, struct batch_in);

static const char *agent_of(const struct call *c)
{
	return c->seg[2];
}

/* A header the town set, "" when absent. */
static const char *town_header(const struct call *c, const char *name)
{
	const char *v = call_request_header(c, name);

	return v ? v : "";
}

/* The text as kept: at most LOG_TEXT_KEEP bytes cut between characters, without the snippet's
 * markers (a stored marker would read as a hit). Returns its length. */
static size_t keep_text(const char *text, char out[LOG_TEXT_KEEP + 1])
{
	size_t n = strlen(text);

	if (n > LOG_TEXT_KEEP)
		n = utf8_trim(text, LOG_TEXT_KEEP);
	memcpy(out, text, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (out[i] == HIT_OPEN || out[i] == HIT_CLOSE)
			out[i] = ' ';
	return n;
}

static int add_event(struct call *c, const struct event_in *ev, const char *bead, const char *rig, int *stored)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO log_events(agent, id, bead, rig, kind, tool, path, text, size, at_ms)"
					     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent, id) DO NOTHING", &c->err);
	char text[LOG_TEXT_KEEP + 1];
	size_t n, full;

	if (!st)
		return -1;
	n = keep_text(ev->text, text);
	full = strlen(ev->text);
	sqlite3_bind_text(st, 1, agent_of(c), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ev->bead ? ev->bead : bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rig, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ev->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ev->tool ? ev->tool : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, ev->path ? ev->path : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, text, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, ev->size > (int64_t)full ? ev->size : (int64_t)full);
	sqlite3_bind_double(st, 10, ev->at_ms > 0 ? ev->at_ms : c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	*stored += sqlite3_changes(db_handle(c->db));
	return 0;
}

/* Count the batch's new events, then keep the agent's newest keep: the excess goes, oldest first
 * (a walk of the agent's index as long as the excess, however long its log), and the trigger takes
 * it out of the search. */
static int trim(struct call *c, int stored, int64_t keep, int64_t *dropped)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO log_agents(agent, events) VALUES (?1, ?2) ON CONFLICT (agent)"
					     " DO UPDATE SET events = events + ?2 RETURNING events", &c->err);
	int64_t events = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent_of(c), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, stored);
	if (db_step_int(c->db, st, &events, &c->err) < 0)
		return -1;
	*dropped = events > keep ? events - keep : 0;
	if (!*dropped)
		return 0;
	/* The town's beads and notes under the agent's name are not its run's: they stay. */
	st = db_prepare(c->db, "DELETE FROM log_events WHERE seq IN (SELECT seq FROM log_events WHERE agent = ?1"
			       " AND kind NOT IN ('bead', 'note') ORDER BY seq LIMIT ?2)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent_of(c), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *dropped);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	st = db_prepare(c->db, "UPDATE log_agents SET events = ?2 WHERE agent = ?1", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent_of(c), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, keep);
	return db_step_done(c->db, st, &c->err);
}

int log_ingest(struct call *c)
{
	struct batch_in in = {0};
	const char *bead = town_header(c, LOG_HEADER_BEAD), *rig = town_header(c, LOG_HEADER_RIG);
	long long keep = 0;
	char *end;
	int64_t dropped = 0;
	int stored = 0, n = 0;
	const cJSON *e;
	cJSON *out;

	if (auth_internal_caller(c, "town", c->cfg->object_id) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	keep = strtoll(town_header(c, LOG_HEADER_KEEP), &end, 10);
	if (end == town_header(c, LOG_HEADER_KEEP) || keep < 1)
		return err_set(&c->err, ERR_INVALID, LOG_HEADER_KEEP, "the town names how many events to keep");
	cJSON_ArrayForEach(e, in.events) {
		struct event_in ev = {0};

		/* Checked with the body: reading it again cannot fail. */
		if (fields_read(e, &event_fields, &ev, sizeof ev, &c->err) < 0 || add_event(c, &ev, bead, rig, &stored) < 0)
			return -1;
		n++;
	}
	if (trim(c, stored, keep, &dropped) < 0)
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "stored", stored);
	cJSON_AddNumberToObject(out, "duplicates", n - stored);
	cJSON_AddNumberToObject(out, "dropped", (double)dropped);
	return call_reply(c, 200, out);
}

int log_entry_replace(struct call *c, const struct log_entry *it)
{
	sqlite3_stmt *st = db_prepare(c->db, "DELETE FROM log_events WHERE agent = ? AND id = ?", &c->err);
	size_t n = it->text ? strlen(it->text) : 0;
	char text[LOG_TEXT_KEEP + 1];

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, it->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->id, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	if (it->gone)
		return 0;
	if (!(st = db_prepare(c->db, "INSERT INTO log_events(agent, id, bead, rig, kind, tool, path, text, size, at_ms)"
				     " VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?)", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, it->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->bead ? it->bead : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->rig ? it->rig : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, it->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->path ? it->path : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, text, (int)keep_text(it->text ? it->text : "", text), SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (int64_t)n);
	sqlite3_bind_double(st, 9, it->at_ms > 0 ? it->at_ms : c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

/* The columns every listing reads, in this order. */
#define EVENT_COLUMNS "e.seq, e.agent, e.id, e.bead, e.rig, e.kind, e.tool, e.path, e.size, e.at_ms"

static cJSON *event_json(sqlite3_stmt *st)
{
	static const char *const names[] = {"seq", "agent", "id", "bead", "rig", "kind", "tool", "path"};
	cJSON *o = cJSON_CreateObject();
	int64_t size = sqlite3_column_int64(st, 8);

	cJSON_AddNumberToObject(o, names[0], (double)sqlite3_column_int64(st, 0));
	for (int i = 1; i < 8; i++)
		cJSON_AddStringToObject(o, names[i], (const char *)sqlite3_column_text(st, i));
	cJSON_AddNumberToObject(o, "size", (double)size);
	cJSON_AddNumberToObject(o, "at_ms", sqlite3_column_double(st, 9));
	return o;
}

static cJSON *listed_row(sqlite3_stmt *st)
{
	cJSON *o = event_json(st);
	int len = sqlite3_column_bytes(st, 10);

	cJSON_AddStringToObject(o, "text", (const char *)sqlite3_column_text(st, 10));
	cJSON_AddBoolToObject(o, "truncated", sqlite3_column_int64(st, 8) > len);
	return o;
}

int log_list(struct call *c)
{
	sqlite3_stmt *st;
	int64_t after = 0, limit = 200;
	cJSON *list, *out;

	if (auth_internal_caller(c, "town", c->cfg->object_id) < 0 || query_int(c, "after", 0, INT64_MAX, &after) < 0 ||
	    query_int(c, "limit", 1, LOG_LIST_MAX, &limit) < 0)
		return -1;
	/* Events under a wipe's mark are going: they are no longer the town's. The town's beads and
	 * notes under the agent's name are found by search, not in its run. */
	st = db_prepare(c->db, "SELECT " EVENT_COLUMNS ", e.text FROM log_events e WHERE e.agent = ? AND e.seq > max(?,"
			       " (SELECT wipe_upto FROM log_state)) AND e.kind NOT IN ('bead', 'note') ORDER BY e.seq LIMIT ?",
			       &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent_of(c), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, limit);
	if (!(list = db_list(c->db, st, listed_row, &c->err)))
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "events", list);
	return call_reply(c, 200, out);
}

/* A snippet as parts [{text, hit}], split at FTS5's markers. */
static cJSON *snippet_parts(const char *s)
{
	cJSON *parts = cJSON_CreateArray();
	int hit = 0;

	while (*s) {
		size_t n = strcspn(s, "\x02\x03");

		if (n) {
			char buf[1024];
			cJSON *p = cJSON_CreateObject();

			snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), s);
			cJSON_AddStringToObject(p, "text", buf);
			cJSON_AddBoolToObject(p, "hit", hit);
			cJSON_AddItemToArray(parts, p);
		}
		s += n;
		if (*s)
			hit = *s++ == HIT_OPEN;
	}
	return parts;
}

struct search_in {
	char q[LOG_QUERY_MAX + 1], agent[LOG_ID_MAX + 1], bead[LOG_ID_MAX + 1], rig[LOG_ID_MAX + 1];
	char kind[17], path[LOG_PATH_MAX + 1], order[16];
	int64_t since, until, limit;
};

static int search_query(struct call *c, struct search_in *s)
{
	int has_q;

	s->until = INT64_MAX / 2;
	s->limit = 20;
	if ((has_q = query_get(c, "q", s->q, sizeof s->q)) < 0 || query_get(c, "agent", s->agent, sizeof s->agent) < 0 ||
	    query_get(c, "bead", s->bead, sizeof s->bead) < 0 || query_get(c, "rig", s->rig, sizeof s->rig) < 0 ||
	    query_get(c, "kind", s->kind, sizeof s->kind) < 0 || query_get(c, "path", s->path, sizeof s->path) < 0 ||
	    query_get(c, "order", s->order, sizeof s->order) < 0 || query_int(c, "since_ms", 0, INT64_MAX / 2, &s->since) < 0 ||
	    query_int(c, "until_ms", 0, INT64_MAX / 2, &s->until) < 0 || query_int(c, "limit", 1, LOG_RESULTS_MAX, &s->limit) < 0)
		return -1;
	if (!*s->q && !*s->path)
		return err_set(&c->err, ERR_INVALID, "q", "'q' is what to search for (FTS5 syntax: words, \"a phrase\", "
							    "a prefix*, AND/OR/NOT), 1-%d bytes; or give 'path' alone", LOG_QUERY_MAX);
	if (*s->kind && !str_in_list(s->kind, search_kinds))
		return err_set(&c->err, ERR_INVALID, "kind", "'kind' is one of message, tool, result, file, command, "
							      "status, error, output, bead or note");
	if (*s->order && strcmp(s->order, "relevance") != 0 && strcmp(s->order, "recent") != 0)
		return err_set(&c->err, ERR_INVALID, "order", "'order' is recent (the default) or relevance");
	return 0;
}

/* Binds the filters shared by both statements at ?2..?8 and the limit at ?9. */
static void bind_filters(sqlite3_stmt *st, const struct search_in *s)
{
	sqlite3_bind_text(st, 2, s->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->rig, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, s->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, s->since);
	sqlite3_bind_int64(st, 8, s->until);
	sqlite3_bind_int64(st, 9, s->limit);
}

#define FILTERS \
	" (?2 = '' OR e.agent = ?2) AND (?3 = '' OR e.bead = ?3) AND (?4 = '' OR e.rig = ?4)" \
	" AND (?5 = '' OR e.kind = ?5) AND (?6 = '' OR substr(e.path, 1, length(?6)) = ?6)" \
	" AND e.at_ms >= ?7 AND e.at_ms < ?8"
/* Up to 16 words around the hits of the column that matched best. */
#define SNIPPET "snippet(log_search, -1, char(2), char(3), '…', 16)"

/* Newest first is the default: FTS5 walks the matches from the newest and stops at the page, so a
 * search costs about the same at a million events as at a thousand, whatever the words. Relevance
 * (bm25) is ranked among the newest RANKED_MAX matches, and still costs more for very common words:
 * bm25 counts every event holding each term first (its IDF). docs/performance.md has the figures.
 * The page's snippets are made afterwards, for its rows only. */
#define RANKED_MAX "500"

static sqlite3_stmt *search_statement(struct call *c, const struct search_in *s)
{
	sqlite3_stmt *st;

	if (!*s->q)
		st = db_prepare(c->db, "SELECT " EVENT_COLUMNS ", substr(e.text, 1, 200) FROM log_events e WHERE e.path <> '' AND"
				       " e.seq > (SELECT wipe_upto FROM log_state) AND" FILTERS " ORDER BY e.seq DESC LIMIT ?9",
				       &c->err);
	else if (strcmp(s->order, "relevance") != 0)
		st = db_prepare(c->db, "SELECT " EVENT_COLUMNS ", " SNIPPET " FROM log_search JOIN log_events e"
				       " ON e.seq = log_search.rowid WHERE log_search MATCH ?1 AND" FILTERS
				       " ORDER BY log_search.rowid DESC LIMIT ?9", &c->err);
	else
		st = db_prepare(c->db, "SELECT " EVENT_COLUMNS " FROM (SELECT log_search.rowid AS seq, bm25(log_search) AS score"
				       " FROM log_search JOIN log_events e ON e.seq = log_search.rowid WHERE log_search MATCH ?1 AND"
				       FILTERS " ORDER BY log_search.rowid DESC LIMIT " RANKED_MAX ") m JOIN log_events e"
				       " ON e.seq = m.seq ORDER BY m.score, e.seq DESC LIMIT ?9", &c->err);
	if (!st)
		return NULL;
	if (*s->q)
		sqlite3_bind_text(st, 1, s->q, -1, SQLITE_STATIC);
	bind_filters(st, s);
	return st;
}

/* The snippet of one event for the query, made once the page is chosen (the ranked statement). */
static int add_snippet(struct call *c, const char *q, cJSON *r)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT " SNIPPET " FROM log_search WHERE log_search MATCH ?1 AND rowid = ?2",
				      &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "seq")));
	if ((rc = db_step_query(c->db, st, "q", &c->err)) < 0)
		return -1;
	cJSON_AddItemToObject(r, "snippet", snippet_parts(rc ? (const char *)sqlite3_column_text(st, 0) : ""));
	sqlite3_reset(st);
	return 0;
}

int log_search(struct call *c)
{
	struct search_in s = {0};
	sqlite3_stmt *st;
	cJSON *results, *out, *r;
	int rc, has_snippet;

	if (auth_internal_caller(c, "town", c->cfg->object_id) < 0 || search_query(c, &s) < 0 ||
	    !(st = search_statement(c, &s)))
		return -1;
	results = cJSON_CreateArray();
	has_snippet = sqlite3_column_count(st) > 10;
	/* The query is the caller's FTS5 text: its syntax errors are a 400 naming q, not a failure. */
	while ((rc = db_step_query(c->db, st, "q", &c->err)) > 0) {
		r = event_json(st);
		if (has_snippet)
			cJSON_AddItemToObject(r, "snippet", snippet_parts((const char *)sqlite3_column_text(st, 10)));
		cJSON_AddItemToArray(results, r);
	}
	if (rc == 0 && !has_snippet)
		cJSON_ArrayForEach(r, results)
			if ((rc = add_snippet(c, s.q, r)) < 0)
				break;
	if (rc < 0) {
		cJSON_Delete(results);
		return -1;
	}
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "results", results);
	return call_reply(c, 200, out);
}
