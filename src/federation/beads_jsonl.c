/*
 * beads_jsonl.c - local Gas Town's beads in and out (docs/import-export.md): `bd export`'s JSONL,
 * one issue a line, made into the town's beads, and the town's beads written back as such lines.
 *
 * What the town models (title, description, status, priority, type, assignee, labels, times, the
 * close, the dependencies of its four kinds) goes into the bead; everything else of a line, and the
 * original of every value the town had to change (a status it has not, a title longer than its
 * own, a time's text), is kept whole beside it (beads_jsonl.extra), so an export gives each line
 * back as it came: a round trip loses nothing the town does not change itself. An import is one
 * transaction: a bad line anywhere refuses all of it, with its number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"
#include "sqlite3.h"

#define SOURCE_ID_MAX 128
#define TITLE_MAX 200
#define BODY_MAX 65536
#define LABELS_MAX 20
#define LABEL_MAX 50

/* The fields read into the bead; every other key of a line is kept in extra. */
static const char *const modelled[] = {"id", "title", "description", "status", "priority", "issue_type", "assignee",
				       "labels", "created_at", "updated_at", "closed_at", "close_reason", NULL};
/* Counts bd computes on export: not the bead's, not kept. */
static const char *const computed[] = {"dependency_count", "dependent_count", "comment_count", "_type", NULL};

/* bd's status in the town's words, and back. */
static const char *town_status(const char *s)
{
	if (!strcmp(s, "open") || !strcmp(s, "in_progress") || !strcmp(s, "blocked") || !strcmp(s, "closed"))
		return s;
	return !strcmp(s, "tombstone") ? "closed" : "open";
}

static const char *bd_status(const char *s)
{
	return !strcmp(s, "in_review") ? "in_progress" : !strcmp(s, "failed") ? "closed" : s;
}

struct line {
	int no;
	cJSON *obj;  /* the parsed line (owned) */
	cJSON *extra; /* what is kept beside the bead (owned) */
	cJSON *labels; /* the bead's labels: those that fit the town's limits (owned) */
	char source_id[SOURCE_ID_MAX + 1];
	char title[TITLE_MAX + 1];
	struct bead_imported b;
};

static int bad(struct call *c, int no, const char *fmt, const char *what)
{
	err_set(&c->err, ERR_INVALID, "line", "line %d: %s%.80s", no, fmt, what ? what : "");
	return -1;
}

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A time field: absent (dflt), or RFC 3339 text; its text is kept in extra to be given back. */
static int time_of(struct call *c, struct line *l, const char *key, double dflt, double *ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(l->obj, key);

	*ms = dflt;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !iso_time_ms(v->valuestring, ms))
		return err_set(&c->err, ERR_INVALID, "line", "line %d: '%s' is an RFC 3339 time, as 2025-12-16T13:26:47.117-08:00",
			       l->no, key);
	cJSON_AddStringToObject(l->extra, key, v->valuestring);
	return 0;
}

/* One line checked and read; extra gets the rest. 0, 1 for a line to skip, -1 refused. */
static int read_line(struct call *c, struct line *l)
{
	const cJSON *it, *v;
	const char *title, *desc, *status, *type, *assignee, *reason;
	int priority = 0;

	if (!cJSON_IsObject(l->obj))
		return bad(c, l->no, "not a JSON object", NULL);
	/* bd writes memories and infra beads as other types of line: not beads. */
	if ((v = cJSON_GetObjectItemCaseSensitive(l->obj, "_type")) && (!cJSON_IsString(v) || strcmp(v->valuestring, "issue")))
		return 1;
	if (!(l->extra = cJSON_CreateObject()))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	v = cJSON_GetObjectItemCaseSensitive(l->obj, "id");
	if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > SOURCE_ID_MAX ||
	    utf8_check(v->valuestring, strlen(v->valuestring)) != strlen(v->valuestring))
		return bad(c, l->no, "'id' is a string of 1 to 128 bytes", NULL);
	snprintf(l->source_id, sizeof l->source_id, "%s", v->valuestring);
	title = str(l->obj, "title");
	if (!title || !*title)
		return bad(c, l->no, "'title' is a string, not empty: ", l->source_id);
	utf8_copy(l->title, sizeof l->title, title);
	if (strcmp(l->title, title) != 0)
		cJSON_AddStringToObject(l->extra, "title", title);
	desc = str(l->obj, "description");
	if ((cJSON_GetObjectItemCaseSensitive(l->obj, "description") && !desc) || (desc && strlen(desc) > BODY_MAX))
		return bad(c, l->no, "'description' is a string of at most 65536 bytes: ", l->source_id);
	status = str(l->obj, "status");
	if (!status || !*status || strlen(status) > 50)
		return bad(c, l->no, "'status' is a string: ", l->source_id);
	if (strcmp(town_status(status), status) != 0)
		cJSON_AddStringToObject(l->extra, "status", status);
	v = cJSON_GetObjectItemCaseSensitive(l->obj, "priority");
	/* bd omits a zero priority: absent is 0. */
	if (v && (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 4) || v->valuedouble != (int)v->valuedouble))
		return bad(c, l->no, "'priority' is a whole number from 0 to 4: ", l->source_id);
	if (v)
		priority = (int)v->valuedouble;
	type = str(l->obj, "issue_type");
	if (cJSON_GetObjectItemCaseSensitive(l->obj, "issue_type") && (!type || !*type || strlen(type) > 50))
		return bad(c, l->no, "'issue_type' is a string: ", l->source_id);
	if (type && !bead_type_valid(type))
		cJSON_AddStringToObject(l->extra, "issue_type", type);
	assignee = str(l->obj, "assignee");
	if (cJSON_GetObjectItemCaseSensitive(l->obj, "assignee") && (!assignee || strlen(assignee) > 128))
		return bad(c, l->no, "'assignee' is a string of at most 128 bytes: ", l->source_id);
	reason = str(l->obj, "close_reason");
	if (cJSON_GetObjectItemCaseSensitive(l->obj, "close_reason") && !reason)
		return bad(c, l->no, "'close_reason' is a string: ", l->source_id);
	v = cJSON_GetObjectItemCaseSensitive(l->obj, "labels");
	if (!(l->labels = cJSON_CreateArray()))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	if (v && !cJSON_IsArray(v))
		return bad(c, l->no, "'labels' is a list of strings: ", l->source_id);
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it))
			return bad(c, l->no, "'labels' is a list of strings: ", l->source_id);
		/* The town's limits: the labels beyond them are kept with the whole list. */
		if (*it->valuestring && strlen(it->valuestring) <= LABEL_MAX && cJSON_GetArraySize(l->labels) < LABELS_MAX)
			cJSON_AddItemToArray(l->labels, cJSON_CreateString(it->valuestring));
		else if (!cJSON_GetObjectItemCaseSensitive(l->extra, "labels"))
			cJSON_AddItemToObject(l->extra, "labels", cJSON_Duplicate(v, 1));
	}
	if (time_of(c, l, "created_at", c->now_ms, &l->b.created_ms) < 0 ||
	    time_of(c, l, "updated_at", l->b.created_ms, &l->b.updated_ms) < 0 ||
	    time_of(c, l, "closed_at", 0, &l->b.closed_ms) < 0)
		return -1;
	/* A closed bead has a close time; a line closed without one (a tombstone) gets its update's,
	 * and null in extra says the line had none, so the export leaves it out again. */
	if (!strcmp(town_status(status), "closed") && l->b.closed_ms <= 0) {
		l->b.closed_ms = l->b.updated_ms;
		cJSON_AddNullToObject(l->extra, "closed_at");
	}
	/* The rest, whole. */
	cJSON_ArrayForEach(it, l->obj)
		if (!str_in_list(it->string, modelled) && !str_in_list(it->string, computed))
			cJSON_AddItemToObject(l->extra, it->string, cJSON_Duplicate(it, 1));
	{
		char *text = cJSON_PrintUnformatted(l->extra);
		size_t n = text ? strlen(text) : 0;

		cJSON_free(text);
		if (!text)
			return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		if (n > JSONL_EXTRA_MAX)
			return bad(c, l->no, "the fields the town does not model take more than 262144 bytes: ", l->source_id);
	}
	l->b = (struct bead_imported){
		.title = l->title,
		.body = desc ? desc : "",
		.type = type && bead_type_valid(type) ? type : "task",
		.status = town_status(status),
		.assignee = assignee && *assignee ? assignee : NULL,
		.close_reason = reason,
		.priority = priority,
		.labels = l->labels,
		.created_ms = l->b.created_ms,
		.updated_ms = l->b.updated_ms,
		.closed_ms = !strcmp(town_status(status), "closed") ? l->b.closed_ms : 0,
	};
	return 0;
}

/* The town's bead of a source id into bead (""), 1 found, 0 not, -1 failed. */
static int bead_of(struct call *c, const char *source_id, char *bead, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT bead FROM beads_jsonl WHERE source_id = ?", &c->err);
	int rc;

	*bead = '\0';
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, source_id, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) == 1)
		snprintf(bead, len, "%s", (const char *)sqlite3_column_text(st, 0));
	return rc;
}

static int keep_extra(struct call *c, const char *bead, const struct line *l)
{
	char *text = cJSON_PrintUnformatted(l->extra);
	sqlite3_stmt *st;
	int rc = -1;

	if (!text)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	st = db_prepare(c->db, "INSERT INTO beads_jsonl(bead, source_id, extra) VALUES (?, ?, ?)"
			       " ON CONFLICT(bead) DO UPDATE SET extra = excluded.extra", &c->err);
	if (st) {
		sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, l->source_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		rc = db_step_done(c->db, st, &c->err);
	}
	cJSON_free(text);
	return rc;
}

/* A line's dependencies of the town's kinds on beads it knows, as the town's own deps. */
static int link(struct call *c, const struct line *l)
{
	const cJSON *d;
	char bead[64], target[64];

	if (bead_of(c, l->source_id, bead, sizeof bead) <= 0)
		return c->err.code == ERR_NONE ? 0 : -1;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(l->obj, "dependencies")) {
		const char *on = str(d, "depends_on_id"), *kind = str(d, "type"), *from = str(d, "issue_id");
		int rc;

		if (!on || !kind || (from && strcmp(from, l->source_id) != 0) || !bead_dep_kind_valid(kind))
			continue;
		if ((rc = bead_of(c, on, target, sizeof target)) < 0)
			return -1;
		if (rc == 0 || !strcmp(target, bead))
			continue;
		if (bead_dep_add(c, bead, target, kind, "dependencies") < 0) {
			char why[sizeof c->err.message];

			memcpy(why, c->err.message, sizeof why);
			if (err_take(&c->err, ERR_CONFLICT) || err_take(&c->err, ERR_TOO_LARGE) || err_take(&c->err, ERR_INVALID))
				return bad(c, l->no, "", why);
			return -1;
		}
	}
	return 0;
}

int beads_jsonl_import(struct call *c)
{
	const char *body = c->in->body, *end = body + c->in->body_len;
	struct line *lines = NULL;
	int n = 0, first = 1, dry = 0, created = 0, updated = 0, skipped = 0, rc = -1;
	int64_t first_line = 1;
	enum role caller;
	cJSON *out;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || query_int(c, "first_line", 1, 100000000, &first_line) < 0 ||
	    query_bool(c, "dry_run", &dry) < 0)
		return -1;
	if (utf8_check(body, c->in->body_len) != c->in->body_len)
		return err_set(&c->err, ERR_INVALID, "body", "the body is not UTF-8 text");
	if (!(lines = calloc(JSONL_LINES_MAX, sizeof *lines)))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	for (const char *p = body; p < end; first++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *q = p;

		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < e) {
			if (n == JSONL_LINES_MAX) {
				err_set(&c->err, ERR_TOO_LARGE, "body", "at most %d lines in one import: send the rest after",
					JSONL_LINES_MAX);
				goto done;
			}
			lines[n].no = (int)first_line + first - 1;
			if (!(lines[n].obj = cJSON_ParseWithLength(p, (size_t)(e - p)))) {
				bad(c, lines[n].no, "not JSON", NULL);
				goto done;
			}
			n++;
		}
		p = nl ? nl + 1 : end;
	}
	if (n == 0) {
		err_set(&c->err, ERR_INVALID, "body", "no lines: the body is bd's JSONL, one issue a line");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		int r = read_line(c, &lines[i]);

		if (r < 0)
			goto done;
		if (r == 1) {
			cJSON_Delete(lines[i].obj);
			lines[i].obj = NULL;
			skipped++;
		}
	}
	/* A dry run does it all, cycles among the deps included, and the engine keeps none of it. */
	c->discard = dry;
	for (int i = 0; i < n; i++) {
		char bead[64];
		int known;

		if (!lines[i].obj)
			continue;
		if ((known = bead_of(c, lines[i].source_id, bead, sizeof bead)) < 0 ||
		    bead_import_put(c, &lines[i].b, bead, sizeof bead) < 0 || keep_extra(c, bead, &lines[i]) < 0)
			goto undo;
		known ? updated++ : created++;
	}
	for (int i = 0; i < n; i++)
		if (lines[i].obj && link(c, &lines[i]) < 0)
			goto undo;
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "lines", n);
	cJSON_AddNumberToObject(out, "created", created);
	cJSON_AddNumberToObject(out, "updated", updated);
	cJSON_AddNumberToObject(out, "skipped", skipped);
	cJSON_AddBoolToObject(out, "dry_run", dry);
	rc = call_reply(c, dry ? 200 : 201, out);
	goto done;
undo:
	/* The call's error stands; the engine rolls the whole call back. */
	rc = -1;
done:
	for (int i = 0; i < n; i++) {
		cJSON_Delete(lines[i].obj);
		cJSON_Delete(lines[i].extra);
		cJSON_Delete(lines[i].labels);
	}
	free(lines);
	return rc;
}

/* ---- export ------------------------------------------------------------------------------------ */

/* The kept text of a time when it still says the bead's ms, else the ms as text. */
static void put_time(cJSON *o, const cJSON *extra, const char *key, double ms)
{
	const char *kept = str(extra, key);
	double then;
	char text[32];

	if (kept && iso_time_ms(kept, &then) && (then - ms < 1 && ms - then < 1)) {
		cJSON_AddStringToObject(o, key, kept);
		return;
	}
	iso_time_format(ms, text);
	cJSON_AddStringToObject(o, key, text);
}

/* The source id of the bead, or its own id when it came from nowhere else. */
static int source_of(struct call *c, const char *bead, char *id, size_t len, cJSON **extra)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT source_id, extra FROM beads_jsonl WHERE bead = ?", &c->err);
	int rc;

	*extra = NULL;
	snprintf(id, len, "%s", bead);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) == 1) {
		snprintf(id, len, "%s", (const char *)sqlite3_column_text(st, 0));
		*extra = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
	}
	return rc < 0 ? -1 : 0;
}

static cJSON *line_of(struct call *c, const cJSON *b)
{
	char id[SOURCE_ID_MAX + 1], title[TITLE_MAX + 1];
	const char *kept, *status = str(b, "status"), *type = str(b, "type");
	cJSON *extra, *o = cJSON_CreateObject(), *deps, *it;
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(b, "labels");

	if (source_of(c, str(b, "id"), id, sizeof id, &extra) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "id", id);
	kept = str(extra, "title");
	if (kept)
		utf8_copy(title, sizeof title, kept);
	cJSON_AddStringToObject(o, "title", kept && !strcmp(title, str(b, "title")) ? kept : str(b, "title"));
	if (*str(b, "body"))
		cJSON_AddStringToObject(o, "description", str(b, "body"));
	kept = str(extra, "status");
	cJSON_AddStringToObject(o, "status", kept && !strcmp(town_status(kept), status) ? kept : bd_status(status));
	if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "priority")) != 0)
		cJSON_AddNumberToObject(o, "priority", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "priority")));
	kept = str(extra, "issue_type");
	cJSON_AddStringToObject(o, "issue_type", kept && !strcmp(type, "task") ? kept : type);
	if (str(b, "assignee"))
		cJSON_AddStringToObject(o, "assignee", str(b, "assignee"));
	if (cJSON_GetObjectItemCaseSensitive(extra, "labels"))
		cJSON_AddItemToObject(o, "labels", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(extra, "labels"), 1));
	else if (cJSON_GetArraySize(labels) > 0)
		cJSON_AddItemToObject(o, "labels", cJSON_Duplicate(labels, 1));
	put_time(o, extra, "created_at", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "created_ms")));
	put_time(o, extra, "updated_at", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "updated_ms")));
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(b, "closed_ms"))) {
		double closed = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "closed_ms")), updated;
		const char *kept_update = str(extra, "updated_at");

		/* Closed without a close time in the line, and not closed again since. */
		if (!(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(extra, "closed_at")) && kept_update &&
		      iso_time_ms(kept_update, &updated) && closed - updated < 1 && updated - closed < 1))
			put_time(o, extra, "closed_at", closed);
	}
	if (str(b, "close_reason"))
		cJSON_AddStringToObject(o, "close_reason", str(b, "close_reason"));
	/* The line's own dependencies as they came, then the town's that they do not hold. */
	deps = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(extra, "dependencies"), 1);
	if (!deps)
		deps = cJSON_CreateArray();
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(b, "deps")) {
		char on[SOURCE_ID_MAX + 1];
		cJSON *unused, *d;
		const cJSON *x;
		int held = 0;

		if (source_of(c, str(it, "id"), on, sizeof on, &unused) < 0) {
			cJSON_Delete(deps);
			cJSON_Delete(extra);
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_Delete(unused);
		cJSON_ArrayForEach(x, deps)
			held |= str(x, "depends_on_id") && !strcmp(str(x, "depends_on_id"), on) && str(x, "type") &&
				!strcmp(str(x, "type"), str(it, "kind"));
		if (held)
			continue;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "issue_id", id);
		cJSON_AddStringToObject(d, "depends_on_id", on);
		cJSON_AddStringToObject(d, "type", str(it, "kind"));
		cJSON_AddItemToArray(deps, d);
	}
	if (cJSON_GetArraySize(deps) > 0)
		cJSON_AddItemToObject(o, "dependencies", deps);
	else
		cJSON_Delete(deps);
	/* Everything else the line had. */
	cJSON_ArrayForEach(it, extra)
		if (!str_in_list(it->string, modelled) && strcmp(it->string, "dependencies") != 0)
			cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
	cJSON_Delete(extra);
	return o;
}

int beads_jsonl_export(struct call *c)
{
	int64_t cursor = 0, limit = JSONL_EXPORT_MAX, next;
	struct strbuf text = {0};
	enum role caller;
	cJSON *page, *b, *out;
	int n = 0;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || query_int(c, "cursor", 0, INT64_MAX, &cursor) < 0 ||
	    query_int(c, "limit", 1, JSONL_EXPORT_MAX, &limit) < 0 || !(page = bead_export_page(c, cursor, (int)limit, &next)))
		return -1;
	cJSON_ArrayForEach(b, page) {
		cJSON *line = line_of(c, b);
		char *s = line ? cJSON_PrintUnformatted(line) : NULL;

		cJSON_Delete(line);
		if (!s) {
			cJSON_Delete(page);
			free(text.buf);
			return c->err.code != ERR_NONE ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		}
		strbuf_addf(&text, "%s\n", s);
		cJSON_free(s);
		n++;
	}
	cJSON_Delete(page);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "jsonl", text.buf ? text.buf : "");
	cJSON_AddNumberToObject(out, "count", n);
	if (next)
		cJSON_AddNumberToObject(out, "next_cursor", (double)next);
	else
		cJSON_AddNullToObject(out, "next_cursor");
	free(text.buf);
	return call_reply(c, 200, out);
}

int beads_jsonl_on_bead(struct call *c, const struct bead_change *ch)
{
	sqlite3_stmt *st;

	if (ch->kind != BEAD_DELETING)
		return 0;
	if (!(st = db_prepare(c->db, "DELETE FROM beads_jsonl WHERE bead = ?", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int beads_jsonl_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM beads_jsonl", &c->err);
}
