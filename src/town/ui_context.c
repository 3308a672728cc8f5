/*
 * ui_context.c - what the member is looking at, for the Mayor. The dashboard sends a small ring
 * buffer with each Mayor message: the page, the object open in its detail panel and the last few
 * actions. Those are only names; this file checks them and resolves each named object to its state
 * now (a bead's status and failure, an agent's state and last status, a convoy's progress), then
 * writes the system block the Mayor's prompt carries. Only resolved state is kept: whatever else
 * the client sent is dropped here, so nothing typed into a form can reach the Mayor this way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "town/town.h"

#define UI_PAGE_MAX 200
#define UI_WHAT_MAX 100
#define UI_ID_MAX 64
#define UI_ACTIONS_MAX 15
#define UI_WINDOW_MS (30.0 * 60 * 1000) /* actions older than this say nothing about now */
#define UI_SKEW_MS 60000.0              /* a client clock a minute ahead is still believed */

static const char *const kinds[] = {"bead", "agent", "convoy", "rig"};

static int kind_ok(const char *k)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i], k) == 0)
			return 1;
	return 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

/* A string of 1..max characters without control characters (they would forge lines in the
 * block), or -1 with nothing set: the caller names the field. */
static int ui_string(const cJSON *o, const char *k, size_t max, const char **out)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	size_t n = 0;

	if (!s || !*s)
		return -1;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f || n >= max)
			return -1;
	*out = s;
	return 0;
}

/* A {type, id} reference at field; both are required when either is present. */
static int read_ref(struct call *c, const cJSON *o, const char *field, const char **type, const char **id)
{
	char f[64];

	*type = *id = NULL;
	if (!cJSON_GetObjectItemCaseSensitive(o, "type") && !cJSON_GetObjectItemCaseSensitive(o, "id"))
		return 0;
	snprintf(f, sizeof f, "%s.type", field);
	if (ui_string(o, "type", 16, type) < 0 || !kind_ok(*type))
		return err_set(&c->err, ERR_INVALID, f, "'%s' must be one of bead, agent, convoy, rig", f);
	snprintf(f, sizeof f, "%s.id", field);
	if (ui_string(o, "id", UI_ID_MAX, id) < 0)
		return err_set(&c->err, ERR_INVALID, f, "'%s' must be an id of 1 to %d characters", f, UI_ID_MAX);
	return 0;
}

/* The state of one object now, or {type, id, missing: true}; NULL when storage failed. */
static cJSON *resolve(struct call *c, const char *type, const char *id)
{
	cJSON *o = cJSON_CreateObject(), *full = NULL;

	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "id", id);
	if (strcmp(type, "bead") == 0)
		full = bead_json(c, id);
	else if (strcmp(type, "agent") == 0)
		full = agent_json(c, id);
	else if (strcmp(type, "convoy") == 0)
		full = convoy_json(c, id);
	else
		full = rig_json(c, id);
	if (!full) {
		/* An object deleted since the member saw it is news, not an error; a failed read is. */
		if (!err_take(&c->err, ERR_NOT_FOUND)) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddBoolToObject(o, "missing", 1);
		return o;
	}
	if (strcmp(type, "bead") == 0) {
		static const char *const keep[] = {"title", "status", "rig", "assignee", "failure", "attempts",
						   "reviews", "branch", "requested_by", "held"};
		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(full, keep[i]);
			if (v && !cJSON_IsNull(v))
				cJSON_AddItemToObject(o, keep[i], cJSON_Duplicate(v, 1));
		}
		/* "type" already says what kind of object this is. */
		cJSON_AddStringToObject(o, "bead_type", str(full, "type"));
	} else if (strcmp(type, "agent") == 0) {
		const cJSON *hist = cJSON_GetObjectItemCaseSensitive(full, "status_history");
		const cJSON *last = cJSON_GetArrayItem(hist, 0);

		cJSON_AddStringToObject(o, "name", str(full, "name"));
		cJSON_AddStringToObject(o, "role", str(full, "role"));
		cJSON_AddStringToObject(o, "state", str(full, "state"));
		if (*str(full, "hook"))
			cJSON_AddStringToObject(o, "hook", str(full, "hook"));
		if (last)
			cJSON_AddStringToObject(o, "last_status", str(last, "message"));
	} else if (strcmp(type, "convoy") == 0) {
		cJSON_AddStringToObject(o, "title", str(full, "title"));
		cJSON_AddStringToObject(o, "state", str(full, "state"));
		cJSON_AddItemToObject(o, "progress", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(full, "progress"), 1));
	} else {
		cJSON_AddStringToObject(o, "git_url", str(full, "git_url"));
		cJSON_AddStringToObject(o, "merge_strategy", str(full, "merge_strategy"));
	}
	cJSON_Delete(full);
	return o;
}

/* One line of the system block about a resolved object. */
static int describe(struct strbuf *sb, const cJSON *o)
{
	const char *type = str(o, "type"), *id = str(o, "id");
	const cJSON *p;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "missing")))
		return strbuf_addf(sb, "%s %s (no longer exists)", type, id);
	if (strcmp(type, "bead") == 0) {
		if (strbuf_addf(sb, "bead %s \"%s\": status %s", id, str(o, "title"), str(o, "status")) < 0)
			return -1;
		if (*str(o, "failure") && strbuf_addf(sb, ", failure: %s", str(o, "failure")) < 0)
			return -1;
		if (*str(o, "rig") && strbuf_addf(sb, ", rig %s", str(o, "rig")) < 0)
			return -1;
		if (*str(o, "assignee") && strbuf_addf(sb, ", agent %s", str(o, "assignee")) < 0)
			return -1;
		return strbuf_addf(sb, ", attempts %d, requested by %s",
				   cJSON_GetObjectItemCaseSensitive(o, "attempts") ?
					   cJSON_GetObjectItemCaseSensitive(o, "attempts")->valueint : 0,
				   str(o, "requested_by"));
	}
	if (strcmp(type, "agent") == 0)
		return strbuf_addf(sb, "agent %s (%s, %s): %s%s%s", id, str(o, "role"), str(o, "state"),
				   *str(o, "last_status") ? "last status \"" : "no status yet",
				   str(o, "last_status"), *str(o, "last_status") ? "\"" : "");
	if (strcmp(type, "convoy") == 0) {
		p = cJSON_GetObjectItemCaseSensitive(o, "progress");
		return strbuf_addf(sb, "convoy %s \"%s\": %s, %d of %d beads closed", id, str(o, "title"),
				   str(o, "state"), cJSON_GetObjectItemCaseSensitive(p, "closed") ?
				   cJSON_GetObjectItemCaseSensitive(p, "closed")->valueint : 0,
				   cJSON_GetObjectItemCaseSensitive(p, "total") ?
				   cJSON_GetObjectItemCaseSensitive(p, "total")->valueint : 0);
	}
	return strbuf_addf(sb, "rig %s (%s, merges %s)", id, str(o, "git_url"), str(o, "merge_strategy"));
}

static int write_block(struct call *c, const cJSON *r, struct strbuf *sb)
{
	const cJSON *open = cJSON_GetObjectItemCaseSensitive(r, "open"), *a;

	if (strbuf_addf(sb, "What %s sees in the dashboard now (resolved by the town at this moment):\n",
			*c->who.name ? c->who.name : c->who.id) < 0)
		return -1;
	if (*str(r, "page") && strbuf_addf(sb, "- Page: %s\n", str(r, "page")) < 0)
		return -1;
	if (open && (strbuf_addf(sb, "- Open in the detail panel: ") < 0 || describe(sb, open) < 0 ||
		     strbuf_addf(sb, "\n") < 0))
		return -1;
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "recent")) > 0 &&
	    strbuf_addf(sb, "- Recent actions, newest first:\n") < 0)
		return -1;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(r, "recent")) {
		const cJSON *obj = cJSON_GetObjectItemCaseSensitive(a, "object");
		double ago = (c->now_ms - cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "at_ms"))) / 1000.0;

		if (ago < 0)
			ago = 0;
		if (strbuf_addf(sb, ago < 60 ? "  - %.0f s ago: %s" : "  - %.0f min ago: %s", ago < 60 ? ago : ago / 60,
				str(a, "what")) < 0)
			return -1;
		if (obj && (strbuf_addf(sb, " (") < 0 || describe(sb, obj) < 0 || strbuf_addf(sb, ")") < 0))
			return -1;
		if (strbuf_addf(sb, "\n") < 0)
			return -1;
	}
	return 0;
}

static int read_actions(struct call *c, const cJSON *list, cJSON *recent)
{
	const cJSON *a;
	cJSON *obj = NULL;
	int i = 0;

	if (!cJSON_IsArray(list))
		return err_set(&c->err, ERR_INVALID, "ui.actions", "'ui.actions' must be an array");
	if (cJSON_GetArraySize(list) > UI_ACTIONS_MAX)
		return err_set(&c->err, ERR_INVALID, "ui.actions", "'ui.actions' holds at most %d actions",
			       UI_ACTIONS_MAX);
	/* Newest first, whatever order the client kept them in. */
	cJSON_ArrayForEach(a, list) {
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(a, "at_ms");
		const char *what, *type, *id;
		cJSON *out, *pos;
		char field[32];
		int idx;

		snprintf(field, sizeof field, "ui.actions[%d]", i++);
		if (!cJSON_IsObject(a) || !cJSON_IsNumber(at))
			return err_set(&c->err, ERR_INVALID, field, "'%s' must be an object with a number 'at_ms'", field);
		if (ui_string(a, "what", UI_WHAT_MAX, &what) < 0)
			return err_set(&c->err, ERR_INVALID, field, "'%s.what' must be 1 to %d characters", field,
				       UI_WHAT_MAX);
		if (read_ref(c, a, field, &type, &id) < 0)
			return -1;
		if (at->valuedouble < c->now_ms - UI_WINDOW_MS || at->valuedouble > c->now_ms + UI_SKEW_MS)
			continue;
		if (type && !(obj = resolve(c, type, id)))
			return -1;
		out = cJSON_CreateObject();
		cJSON_AddNumberToObject(out, "at_ms", at->valuedouble);
		cJSON_AddStringToObject(out, "what", what);
		if (type)
			cJSON_AddItemToObject(out, "object", obj);
		idx = 0;
		for (pos = recent->child; pos; pos = pos->next, idx++)
			if (cJSON_GetObjectItemCaseSensitive(pos, "at_ms")->valuedouble < at->valuedouble)
				break;
		if (pos)
			cJSON_InsertItemInArray(recent, idx, out);
		else
			cJSON_AddItemToArray(recent, out);
	}
	return 0;
}

int ui_context_resolve(struct call *c, const cJSON *ui, cJSON **resolved, char **system)
{
	const cJSON *open = cJSON_GetObjectItemCaseSensitive(ui, "open");
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(ui, "actions");
	const char *page = NULL, *type, *id;
	struct strbuf sb = {0};
	cJSON *r;

	*resolved = NULL;
	*system = NULL;
	if (!cJSON_IsObject(ui))
		return err_set(&c->err, ERR_INVALID, "ui", "'ui' must be an object");
	if (cJSON_GetObjectItemCaseSensitive(ui, "page") && ui_string(ui, "page", UI_PAGE_MAX, &page) < 0)
		return err_set(&c->err, ERR_INVALID, "ui.page", "'ui.page' must be a string of at most %d characters",
			       UI_PAGE_MAX);
	if (open && (!cJSON_IsObject(open) || read_ref(c, open, "ui.open", &type, &id) < 0 || !type))
		return c->err.code != ERR_NONE ? -1 :
			err_set(&c->err, ERR_INVALID, "ui.open", "'ui.open' must be {\"type\", \"id\"}");
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "page", page ? page : "");
	if (open) {
		cJSON *o = resolve(c, type, id);

		if (!o) {
			cJSON_Delete(r);
			return -1;
		}
		cJSON_AddItemToObject(r, "open", o);
	}
	if (actions && read_actions(c, actions, cJSON_AddArrayToObject(r, "recent")) < 0) {
		cJSON_Delete(r);
		return -1;
	}
	if (!actions)
		cJSON_AddArrayToObject(r, "recent");
	if (write_block(c, r, &sb) < 0) {
		free(sb.buf);
		cJSON_Delete(r);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	*resolved = r;
	*system = sb.buf;
	return 0;
}
