/*
 * note_routes.c - notes on repository paths (docs/memory.md): members and the town's agents leave
 * them (an agent's on the bead on its hook), everyone in the town reads them. The next bead that
 * names the path gets the newest in its prime context (note.c).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define NOTES_LIST_MAX 200

struct note_body {
	const char *path, *text, *rig, *bead;
};

static int path_ok(const char *s)
{
	return note_path_valid(s);
}

static const struct field_rule note_rules[] = {
	{"path", F_STR(struct note_body, path), FR_REQUIRED, 1, NOTE_PATH_MAX, .valid = path_ok,
	 .msg[FF_ANY] = "'path' is a repository path of 1-%u bytes (a directory ends in '/'), relative, without . or .."},
	{"text", F_STR(struct note_body, text), FR_REQUIRED, 1, NOTE_TEXT_MAX,
	 .msg[FF_ANY] = "'text' is the note, 1-%u bytes"},
	{"rig", F_STR(struct note_body, rig), 0, 1, 64},
	{"bead", F_STR(struct note_body, bead), 0, 1, 64},
};
const struct fields note_body = FIELDS(note_rules, struct note_body);

static int add(struct call *c, struct note_body *in)
{
	struct note_fields f = {in->path, in->text, in->rig, in->bead};
	char id[48];
	int rc;
	cJSON *d;

	if (in->rig && (rc = rig_exists(c, in->rig)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "rig", "no rig '%s' in this town", in->rig);
	if (in->bead && (rc = bead_exists(c, in->bead)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "bead", "no bead '%s' in this town", in->bead);
	if (note_add(c, &f, id, sizeof id) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "path", in->path);
	cJSON_AddStringToObject(d, "text", in->text);
	cJSON_AddStringToObject(d, "author", c->who.id);
	cJSON_AddItemToObject(d, "bead", in->bead ? cJSON_CreateString(in->bead) : cJSON_CreateNull());
	return call_reply(c, 201, d);
}

/* POST /api/towns/:town/notes (member) */
int api_note_add(struct call *c)
{
	struct note_body in = {0};
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	return add(c, &in);
}

/* POST /api/towns/:town/agents/:agent/notes: the agent's own, on the bead on its hook unless it
 * names another. */
int api_agent_note_add(struct call *c)
{
	struct note_body in = {0};
	char role[16], hook[72] = "";

	if (call_fields(c, &in, sizeof in) < 0 || agent_role_hook(c, c->seg[4], role, sizeof role, hook, sizeof hook) < 0)
		return -1;
	if (!in.bead && *hook)
		in.bead = hook;
	return add(c, &in);
}

/* GET /api/towns/:town/notes?path=&limit= (viewer) */
int api_notes_list(struct call *c)
{
	char path[NOTE_PATH_MAX + 2] = "";
	int64_t limit = 50;
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || query_get(c, "path", path, sizeof path) < 0 ||
	    query_int(c, "limit", 1, NOTES_LIST_MAX, &limit) < 0)
		return -1;
	if (*path && !note_path_valid(path))
		return err_set(&c->err, ERR_INVALID, "path", "'path' is a relative repository path without . or ..");
	if (!(list = note_list_json(c, path, (int)limit)))
		return -1;
	return call_reply(c, 200, list);
}

/* GET /api/towns/:town/history?path=&limit= (viewer): who last worked on path and what they left
 * there: the notes on it and the last changes to it (a directory: under it) from the recorded diffs,
 * newest first. */
int api_path_history(struct call *c)
{
	char path[NOTE_PATH_MAX + 2] = "";
	int64_t limit = 20;
	enum role caller;
	cJSON *notes, *changes, *d;
	int has;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || (has = query_get(c, "path", path, sizeof path)) < 0 ||
	    query_int(c, "limit", 1, NOTES_LIST_MAX, &limit) < 0)
		return -1;
	if (!has || !note_path_valid(path))
		return err_set(&c->err, ERR_INVALID, "path", "'path' is a relative repository path without . or ..");
	if (!(notes = note_list_json(c, path, (int)limit)))
		return -1;
	if (!(changes = bead_diff_recent_json(c, path, "", (int)limit))) {
		cJSON_Delete(notes);
		return -1;
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "path", path);
	cJSON_AddItemToObject(d, "notes", notes);
	cJSON_AddItemToObject(d, "changes", changes);
	return call_reply(c, 200, d);
}
