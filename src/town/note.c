/*
 * note.c - notes on repository paths (docs/memory.md): an agent or a person leaves one on a file or
 * a directory ("src/payments/") for whoever works there next, and a bead's prime context gathers
 * the newest notes and the last changes on the paths its title and body name, bounded in size,
 * newest first: what an earlier agent learned reaches the next one without anyone passing it on.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

#define NOTES_PER_PATH 3
#define CHANGES_PER_PATH 3
#define CONTEXT_PATHS 8
#define NOTES_BY_WORDS 3
#define QUERY_WORDS 12
#define WORD_MAX 40
/* Relevance fades with age: a note a month old counts half as much as one of today. */
#define RELEVANCE_HALF_MS 2592000000.0

int note_path_valid(const char *p)
{
	size_t n = strlen(p);

	/* Relative, no "." or ".." segment, printable: it is matched against paths git reports. */
	if (n == 0 || n > NOTE_PATH_MAX || p[0] == '/' || strstr(p, "//"))
		return 0;
	for (const char *s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
			return 0;
	for (const char *seg = p; *seg;) {
		size_t len = strcspn(seg, "/");

		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		seg += len + (seg[len] == '/');
	}
	return 1;
}

int note_add(struct call *c, const struct note_fields *f, char *id, size_t id_len)
{
	sqlite3_stmt *st;

	if (id_new(c, "note", 8, id, id_len) < 0)
		return -1;
	st = db_prepare(c->db, "INSERT INTO notes(id, path, rig, text, author, bead, requested_by, created_ms)"
			       " VALUES (?, ?, ?, ?, ?, nullif(?, ''), ?, ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->rig ? f->rig : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, f->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, f->bead ? f->bead : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, call_requested_by(c), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0 || event_append(c, "note.added", id, "path", NULL, f->path) < 0)
		return -1;
	for (size_t i = 0; i < note_reactions_n; i++)
		if (note_reactions[i](c, id) < 0)
			return -1;
	return 0;
}

static cJSON *note_row(sqlite3_stmt *st)
{
	static const char *const cols[] = {"id", "path", "rig", "text", "author", "bead", "requested_by", NULL};
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; cols[i]; i++)
		db_column_to_json(o, cols[i], st, i);
	cJSON_AddNumberToObject(o, "created_ms", sqlite3_column_double(st, 7));
	return o;
}

/* Notes on path, on a directory holding it, or (path a directory) on what is under it. */
#define NOTE_MATCH " (substr(?1, 1, length(path)) = path OR substr(path, 1, length(?1)) = ?1)"

cJSON *note_list_json(struct call *c, const char *path, int limit)
{
	sqlite3_stmt *st = path && *path
		? db_prepare(c->db, "SELECT id, path, rig, text, author, bead, requested_by, created_ms FROM notes WHERE"
				    NOTE_MATCH " ORDER BY created_ms DESC, id LIMIT ?2", &c->err)
		: db_prepare(c->db, "SELECT id, path, rig, text, author, bead, requested_by, created_ms FROM notes"
				    " WHERE ?1 IS NULL OR 1 ORDER BY created_ms DESC, id LIMIT ?2", &c->err);

	if (!st)
		return NULL;
	if (path && *path)
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	return db_list(c->db, st, note_row, &c->err);
}

/* ---- the prime context ---------------------------------------------------------------------- */

/* The paths a bead's text names: words with a '/' or a file's extension ("src/payments/",
 * "checkout.c"), without quoting around them, each once, at most max. */
static int paths_named(const char *text, char out[][NOTE_PATH_MAX + 1], int max)
{
	int n = 0;

	for (const char *p = text; *p && n < max;) {
		size_t len = strcspn(p, " \t\r\n`'\"()[]<>,;:");
		char w[NOTE_PATH_MAX + 1];
		const char *dot;

		if (len > 0 && len <= NOTE_PATH_MAX) {
			snprintf(w, sizeof w, "%.*s", (int)len, p);
			while (strlen(w) > 1 && strchr(".!?", w[strlen(w) - 1]))
				w[strlen(w) - 1] = '\0';
			if (strncmp(w, "./", 2) == 0)
				memmove(w, w + 2, strlen(w + 2) + 1);
			dot = strrchr(w, '.');
			if (!strstr(w, "://") && note_path_valid(w) &&
			    (strchr(w, '/') || (dot && dot > w && dot[1] && isalpha((unsigned char)dot[1])))) {
				int seen = 0;

				for (int i = 0; i < n; i++)
					seen |= strcmp(out[i], w) == 0;
				if (!seen)
					snprintf(out[n++], NOTE_PATH_MAX + 1, "%s", w);
			}
		}
		p += len;
		while (*p && strchr(" \t\r\n`'\"()[]<>,;:", *p))
			p++;
	}
	return n;
}

/* Words that say nothing of what a bead is about. */
static const char *const stop_words[] = {"about", "after", "also", "been", "before", "bead", "does", "done", "each",
					 "from", "have", "into", "just", "like", "make", "more", "must", "need", "only",
					 "other", "same", "should", "some", "such", "than", "that", "their", "them", "then",
					 "there", "they", "this", "when", "where", "which", "while", "will", "with", "would",
					 "https", "http", NULL};

/* The bead's words as an FTS5 query: each word of 4 to WORD_MAX letters or digits once, lower case,
 * quoted (so no word is read as an operator), joined by OR; at most QUERY_WORDS; "" for none. */
static void words_query(const char *text, char *out, size_t len)
{
	char words[QUERY_WORDS][WORD_MAX + 1];
	int n = 0;

	*out = '\0';
	for (const char *p = text; *p && n < QUERY_WORDS;) {
		size_t k = 0;
		char w[WORD_MAX + 1];
		int seen = 0;

		while (*p && !isalnum((unsigned char)*p))
			p++;
		while (isalnum((unsigned char)p[k]))
			k++;
		if (k >= 4 && k <= WORD_MAX) {
			for (size_t i = 0; i < k; i++)
				w[i] = (char)tolower((unsigned char)p[i]);
			w[k] = '\0';
			for (int i = 0; i < n; i++)
				seen |= strcmp(words[i], w) == 0;
			if (!seen && !str_in_list(w, stop_words)) {
				snprintf(words[n++], WORD_MAX + 1, "%s", w);
				snprintf(out + strlen(out), len - strlen(out), "%s\"%s\"", n > 1 ? " OR " : "", w);
			}
		}
		p += k;
	}
}

/* The section's heading before its first line, nothing before the others. */
static const char *heading(int *lines)
{
	return (*lines)++ ? "" : "\nWhat earlier work left on the paths your bead names (newest first):\n";
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void ago(double ms, char *out, size_t len)
{
	double s = ms / 1000;

	if (s < 120)
		snprintf(out, len, "just now");
	else if (s < 7200)
		snprintf(out, len, "%.0f minutes ago", s / 60);
	else if (s < 172800)
		snprintf(out, len, "%.0f hours ago", s / 3600);
	else
		snprintf(out, len, "%.0f days ago", s / 86400);
}

/* The notes the bead's words find (in their text or their path), best first with relevance fading
 * with age, those already told skipped; marked "found": "words" in list. */
static int notes_by_words(struct call *c, const char *text, struct strbuf *out, size_t start, cJSON *list)
{
	char query[QUERY_WORDS * (WORD_MAX + 8) + 1], when[32];
	sqlite3_stmt *st;
	int rc, told = 0, lines = 0;

	words_query(text, query, sizeof query);
	if (!*query)
		return 0;
	st = db_prepare(c->db, "SELECT n.id, n.path, n.rig, n.text, n.author, n.bead, n.requested_by, n.created_ms"
			       " FROM note_search JOIN notes n ON n.rowid = note_search.rowid WHERE note_search MATCH ?1"
			       " ORDER BY bm25(note_search) / (1.0 + max(?2 - n.created_ms, 0) / ?3), n.created_ms DESC LIMIT ?4",
			&c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms);
	sqlite3_bind_double(st, 3, RELEVANCE_HALF_MS);
	sqlite3_bind_int(st, 4, NOTES_BY_WORDS + cJSON_GetArraySize(list));
	while (told < NOTES_BY_WORDS && (rc = db_step_row(c->db, st, &c->err)) == 1) {
		cJSON *x = note_row(st);
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id"));
		const cJSON *y;
		int dup = 0;

		cJSON_ArrayForEach(y, list)
			dup |= same(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "id")), id);
		if (dup || out->len - start > NOTE_CONTEXT_MAX) {
			cJSON_Delete(x);
			continue;
		}
		ago(c->now_ms - cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "created_ms")), when, sizeof when);
		strbuf_addf(out, "%s- %s left a note on %s %s: %s\n",
			    lines++ ? "" : "\nNotes that may bear on your bead (found by its words, best first):\n",
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "author")),
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "path")), when,
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "text")));
		cJSON_AddStringToObject(x, "kind", "note");
		cJSON_AddStringToObject(x, "found", "words");
		cJSON_AddItemToArray(list, x);
		told++;
	}
	return rc < 0 ? -1 : 0;
}

int note_context(struct call *c, const char *bead, const char *text, struct strbuf *out, cJSON *list)
{
	char paths[CONTEXT_PATHS][NOTE_PATH_MAX + 1], when[32];
	int n = paths_named(text, paths, CONTEXT_PATHS), lines = 0;
	size_t start = out->len;

	for (int i = 0; i < n; i++) {
		char module[NOTE_PATH_MAX + 2];
		const char *slash = strrchr(paths[i], '/');
		cJSON *notes = note_list_json(c, paths[i], NOTES_PER_PATH), *changes, *x;

		/* The last changes in the file's directory (its module), not the file's alone: a new file
		 * has none, and its neighbours' say who worked there. */
		snprintf(module, sizeof module, "%.*s", slash ? (int)(slash - paths[i] + 1) : (int)strlen(paths[i]), paths[i]);
		if (!notes || !(changes = bead_diff_recent_json(c, module, bead, CHANGES_PER_PATH))) {
			cJSON_Delete(notes);
			return -1;
		}
		cJSON_ArrayForEach(x, notes) {
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id"));
			int dup = 0;
			const cJSON *y;

			/* A note on a directory two named paths share is told once. */
			cJSON_ArrayForEach(y, list)
				dup |= same(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "id")), id);
			if (dup || out->len - start > NOTE_CONTEXT_MAX)
				continue;
			ago(c->now_ms - cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "created_ms")), when, sizeof when);
			strbuf_addf(out, "%s- %s left a note on %s %s: %s\n", heading(&lines),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "author")),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "path")), when,
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "text")));
			cJSON_AddStringToObject(x, "kind", "note");
			cJSON_AddItemToArray(list, cJSON_Duplicate(x, 1));
		}
		cJSON_ArrayForEach(x, changes) {
			if (out->len - start > NOTE_CONTEXT_MAX)
				break;
			ago(c->now_ms - cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "recorded_ms")), when, sizeof when);
			strbuf_addf(out, "%s- %s changed %s %s (+%.0f -%.0f) for %s: %s\n", heading(&lines),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "worked_by")),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "path")), when,
				    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "additions")),
				    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "deletions")),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "bead")),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "title")));
			cJSON_AddStringToObject(x, "kind", "change");
			cJSON_AddItemToArray(list, cJSON_Duplicate(x, 1));
		}
		cJSON_Delete(notes);
		cJSON_Delete(changes);
	}
	return notes_by_words(c, text, out, start, list);
}

cJSON *note_json(struct call *c, const char *id)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, path, rig, text, author, bead, requested_by, created_ms FROM notes"
					     " WHERE id = ?", &c->err);
	cJSON *list, *note;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (!(list = db_list(c->db, st, note_row, &c->err)))
		return NULL;
	note = cJSON_DetachItemFromArray(list, 0);
	cJSON_Delete(list);
	if (!note)
		err_set(&c->err, ERR_NOT_FOUND, "note", "no note '%s' in this town", id);
	return note;
}

int note_wipe(struct call *c)
{
	/* The triggers took each note out of the index; delete-all leaves it as a new one is. */
	return db_exec(c->db, "DELETE FROM notes; INSERT INTO note_search(note_search) VALUES ('delete-all')", &c->err);
}
