/*
 * bead_diff.c - what a bead changed: the branch, base and head commits and per-file stats the agent
 * host computed with git at done (replaced by what landed once a refinery merged it), their totals,
 * and the one-line summary the Mayor reads. Part of the bead module (bead.c owns bead_diffs;
 * scripts/check-owners.sh counts this file as bead.c). The unified diff text is not stored here: it
 * is asked of the agent host or the platform when someone looks (api/bead_routes.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

#define SUMMARY_PATHS 3 /* paths named in a one-line summary before "…" */

const char *const bead_diff_statuses[] = {"added", "modified", "deleted", "renamed", "copied", "type_changed", NULL};

static int64_t num(const cJSON *o, const char *key)
{
	return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int bead_diff_record(struct call *c, const char *bead, const char *branch, const cJSON *diff, int landed)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(diff, "files"), *f;
	int64_t n = 0, add = 0, del = 0;
	char *text;
	sqlite3_stmt *st;
	int rc;

	/* The totals are the engine's own sums: a client cannot claim numbers its files do not add
	 * up to. Each count is at most 10^9 and there are at most BEAD_DIFF_FILES_MAX files. */
	cJSON_ArrayForEach(f, files) {
		n++;
		add += num(f, "additions");
		del += num(f, "deletions");
	}
	if (!(text = json_print(files)))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	/* What landed replaces what done recorded, keeping the branch it came from. */
	st = db_prepare(c->db, "INSERT INTO bead_diffs(bead, branch, base, head, files, n_files, additions, deletions,"
			       " landed, recorded_ms) VALUES (?1, coalesce(?2, ''), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			       " ON CONFLICT(bead) DO UPDATE SET branch = coalesce(?2, branch), base = ?3, head = ?4,"
			       " files = ?5, n_files = ?6, additions = ?7, deletions = ?8, landed = ?9, recorded_ms = ?10",
			&c->err);
	if (!st) {
		cJSON_free(text);
		return -1;
	}
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if (branch)
		sqlite3_bind_text(st, 2, branch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(diff, "base")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(diff, "head")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, n);
	sqlite3_bind_int64(st, 7, add);
	sqlite3_bind_int64(st, 8, del);
	sqlite3_bind_int(st, 9, landed != 0);
	sqlite3_bind_double(st, 10, c->now_ms);
	rc = db_step_done(c->db, st, &c->err);
	cJSON_free(text);
	return rc;
}

int bead_diff_get(struct call *c, const char *bead, struct bead_diff *d, cJSON **files)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT branch, base, head, n_files, additions, deletions, landed, files"
					     " FROM bead_diffs WHERE bead = ?", &c->err);
	int rc;

	if (files)
		*files = NULL;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(d->branch, sizeof d->branch, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(d->base, sizeof d->base, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(d->head, sizeof d->head, "%s", (const char *)sqlite3_column_text(st, 2));
	d->files = sqlite3_column_int64(st, 3);
	d->additions = sqlite3_column_int64(st, 4);
	d->deletions = sqlite3_column_int64(st, 5);
	d->landed = sqlite3_column_int(st, 6);
	/* Stored by bead_diff_record from a checked array; the CHECK keeps it JSON. */
	if (files && !(*files = cJSON_Parse((const char *)sqlite3_column_text(st, 7)))) {
		sqlite3_reset(st);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	sqlite3_reset(st);
	return 1;
}

/* "changed 4 files (+120 −45): a.c, b.c, c.c, …" from the stats and their stored files. */
static int summary(struct strbuf *sb, int64_t n, int64_t add, int64_t del, const char *files_text)
{
	cJSON *files = cJSON_Parse(files_text), *f;
	int i = 0, rc;

	rc = strbuf_addf(sb, "changed %lld file%s (+%lld \xe2\x88\x92%lld)", (long long)n, n == 1 ? "" : "s",
			 (long long)add, (long long)del);
	cJSON_ArrayForEach(f, files) {
		if (i == SUMMARY_PATHS) {
			rc |= strbuf_addf(sb, ", \xe2\x80\xa6");
			break;
		}
		rc |= strbuf_addf(sb, "%s%s", i++ ? ", " : ": ",
				  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "path")));
	}
	cJSON_Delete(files);
	return rc;
}

static cJSON *landed_row(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	struct strbuf sb = {0};

	cJSON_AddStringToObject(o, "id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(o, "title", (const char *)sqlite3_column_text(st, 1));
	db_column_to_json(o, "rig", st, 2);
	if (summary(&sb, sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
		    (const char *)sqlite3_column_text(st, 6)) == 0 && sb.buf)
		cJSON_AddStringToObject(o, "summary", sb.buf);
	free(sb.buf);
	return o;
}

cJSON *bead_diff_landed_json(struct call *c, int limit)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT b.id, b.title, b.rig, d.n_files, d.additions, d.deletions, d.files"
					     " FROM bead_diffs d JOIN beads b ON b.id = d.bead WHERE b.status = 'closed'"
					     " AND b.type != 'merge-request' ORDER BY b.closed_ms DESC, b.seq DESC LIMIT ?",
				      &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_int(st, 1, limit);
	return db_list(c->db, st, landed_row, &c->err);
}

static cJSON *recent_row(sqlite3_stmt *st)
{
	static const char *const cols[] = {"bead", "title", "worked_by", "path", NULL};
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; cols[i]; i++)
		db_column_to_json(o, cols[i], st, i);
	cJSON_AddNumberToObject(o, "additions", (double)sqlite3_column_int64(st, 4));
	cJSON_AddNumberToObject(o, "deletions", (double)sqlite3_column_int64(st, 5));
	cJSON_AddNumberToObject(o, "recorded_ms", sqlite3_column_double(st, 6));
	return o;
}

cJSON *bead_diff_recent_json(struct call *c, const char *path, const char *bead, int limit)
{
	/* The latest diffs only: a prime context is built at every start, whatever the town's age. */
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT bead, title, who, p, json_extract(value, '$.additions'), json_extract(value, '$.deletions'), recorded_ms"
		" FROM (SELECT d.bead, b.title, coalesce(b.worked_by, b.assignee, '') AS who, j.value,"
		"  json_extract(j.value, '$.path') AS p, d.recorded_ms"
		"  FROM (SELECT bead, files, recorded_ms FROM bead_diffs ORDER BY recorded_ms DESC LIMIT 1000) d"
		"  JOIN beads b ON b.id = d.bead, json_each(d.files) j WHERE d.bead <> ?2)"
		" WHERE p = ?1 OR (substr(?1, -1) = '/' AND substr(p, 1, length(?1)) = ?1) OR substr(p, 1, length(?1) + 1) = ?1 || '/'"
		" ORDER BY recorded_ms DESC, p LIMIT ?3", &c->err);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bead ? bead : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit);
	return db_list(c->db, st, recent_row, &c->err);
}
