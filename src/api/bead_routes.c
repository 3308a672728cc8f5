/*
 * api_bead.c - /api/towns/:town/beads[/:bead[/close|/deps[/:dep]|/events]] and the town's feed
 * (/events). Readers need the viewer role, writers member, deleting a bead admin. Fields are
 * validated here, with their limits; bead.c holds the rules.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define TITLE_MAX 200
#define BODY_MAX 65536
#define LABELS_MAX 20
#define LABEL_MAX 50
#define METADATA_MAX 16384

/* /api/towns/:town/beads/:bead/deps/:dep */
static const char *bead_id(struct call *c)
{
	return c->seg[4];
}

static int read_labels(struct call *c, const cJSON *b, const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, "labels"), *l, *m;
	int n = 0;

	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsArray(v))
		return err_set(&c->err, ERR_INVALID, "labels", "'labels' must be an array of strings");
	cJSON_ArrayForEach(l, v) {
		if (!cJSON_IsString(l) || !*l->valuestring || strlen(l->valuestring) > LABEL_MAX)
			return err_set(&c->err, ERR_INVALID, "labels",
				       "each label is a string of 1 to %d characters", LABEL_MAX);
		for (m = v->child; m != l; m = m->next)
			if (strcmp(m->valuestring, l->valuestring) == 0)
				return err_set(&c->err, ERR_INVALID, "labels", "label '%s' is repeated",
					       l->valuestring);
		if (++n > LABELS_MAX)
			return err_set(&c->err, ERR_TOO_LARGE, "labels", "at most %d labels", LABELS_MAX);
	}
	*out = v;
	return 0;
}

static int read_metadata(struct call *c, const cJSON *b, const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, "metadata");
	char *s;
	size_t n;

	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return err_set(&c->err, ERR_INVALID, "metadata", "'metadata' must be an object");
	s = json_print(v);
	n = s ? strlen(s) : 0;
	cJSON_free(s);
	if (!s || n > METADATA_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, "metadata", "metadata is at most %d bytes",
			       METADATA_MAX);
	*out = v;
	return 0;
}

/* Read the fields of a create (create=1: title required) or an update. */
static int read_fields(struct call *c, const cJSON *b, int create, struct bead_fields *f,
		       int *clear_assignee)
{
	int64_t priority = -1;

	memset(f, 0, sizeof *f);
	f->priority = -1;
	*clear_assignee = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "assignee"));
	if (json_string(b, "title", create, TITLE_MAX, &f->title, &c->err) < 0 ||
	    json_string(b, "body", 0, BODY_MAX, &f->body, &c->err) < 0 ||
	    json_string(b, "type", 0, 16, &f->type, &c->err) < 0 ||
	    json_string(b, "assignee", 0, 128, &f->assignee, &c->err) < 0 ||
	    json_string(b, "rig", 0, 64, &f->rig, &c->err) < 0 ||
	    json_int(b, "priority", 0, 0, 4, &priority, &c->err) < 0 ||
	    read_labels(c, b, &f->labels) < 0 || read_metadata(c, b, &f->metadata) < 0)
		return -1;
	f->priority = (int)priority;
	{
		const cJSON *held = cJSON_GetObjectItemCaseSensitive(b, "held");

		if (held && !cJSON_IsBool(held))
			return err_set(&c->err, ERR_INVALID, "held", "'held' must be a boolean");
		f->held_set = held != NULL;
		f->held = cJSON_IsTrue(held);
	}
	if (f->title && !*f->title)
		return err_set(&c->err, ERR_INVALID, "title", "'title' must not be empty");
	if (f->type && !bead_type_valid(f->type))
		return err_set(&c->err, ERR_INVALID, "type", "unknown bead type '%s'", f->type);
	if (f->rig) {
		int exists = rig_exists(c, f->rig);

		if (exists <= 0)
			return exists < 0 ? -1 : err_set(&c->err, ERR_INVALID, "rig", "no rig '%s' in this town", f->rig);
	}
	if (f->assignee && !*f->assignee)
		return err_set(&c->err, ERR_INVALID, "assignee", "'assignee' must not be empty (null unassigns)");
	if (create) {
		if (json_string(b, "parent", 0, 64, &f->parent, &c->err) < 0)
			return -1;
	} else {
		if (json_string(b, "status", 0, 16, &f->status, &c->err) < 0)
			return -1;
		if (f->status && !bead_status_valid(f->status))
			return err_set(&c->err, ERR_INVALID, "status", "unknown status '%s'", f->status);
	}
	return 0;
}

static int reply_bead(struct call *c, int status, const char *id)
{
	cJSON *b = bead_json(c, id);

	return b ? call_reply(c, status, b) : -1;
}

int api_bead_create(struct call *c)
{
	const cJSON *b, *deps, *d;
	struct bead_fields f;
	enum role caller;
	char id[48];
	int clear, n = 0;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || !(b = call_body_object(c)) ||
	    read_fields(c, b, 1, &f, &clear) < 0)
		return -1;
	deps = cJSON_GetObjectItemCaseSensitive(b, "deps");
	if (deps && !cJSON_IsArray(deps))
		return err_set(&c->err, ERR_INVALID, "deps", "'deps' must be an array of {id, kind}");
	if (bead_create(c, &f, id, sizeof id) < 0)
		return -1;
	cJSON_ArrayForEach(d, deps) {
		const char *dep, *kind = "blocks";

		if (++n > BEAD_DEPS_MAX)
			return err_set(&c->err, ERR_TOO_LARGE, "deps", "at most %d dependencies",
				       BEAD_DEPS_MAX);
		if (!cJSON_IsObject(d) || json_string(d, "id", 1, 64, &dep, &c->err) < 0 ||
		    json_string(d, "kind", 0, 16, &kind, &c->err) < 0) {
			err_take(&c->err, ERR_INVALID); /* one message for the whole dependency */
			return err_set(&c->err, ERR_INVALID, "deps", "each dependency is {id, kind?}");
		}
		if (!kind)
			kind = "blocks";
		if (!bead_dep_kind_valid(kind))
			return err_set(&c->err, ERR_INVALID, "deps", "unknown dependency kind '%s'", kind);
		if (bead_dep_add(c, id, dep, kind, "deps") < 0)
			return -1;
	}
	return reply_bead(c, 201, id);
}

int api_bead_get(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	return reply_bead(c, 200, bead_id(c));
}

int api_bead_list(struct call *c)
{
	char status[16], type[16], assignee[130], rig[65], parent[65], label[LABEL_MAX + 1];
	int64_t limit = 50;
	struct bead_filter f = {.limit = 50};
	enum role caller;
	int64_t next;
	cJSON *list, *out;
	int q[6];

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	if ((q[0] = query_get(c, "status", status, sizeof status)) < 0 ||
	    (q[1] = query_get(c, "type", type, sizeof type)) < 0 ||
	    (q[2] = query_get(c, "assignee", assignee, sizeof assignee)) < 0 ||
	    (q[3] = query_get(c, "rig", rig, sizeof rig)) < 0 ||
	    (q[4] = query_get(c, "parent", parent, sizeof parent)) < 0 ||
	    (q[5] = query_get(c, "label", label, sizeof label)) < 0 ||
	    query_bool(c, "ready", &f.ready) < 0 || query_int(c, "limit", 1, 200, &limit) < 0 ||
	    query_int(c, "cursor", 1, INT64_MAX / 2, &f.cursor) < 0)
		return -1;
	f.limit = (int)limit;
	if (q[0] && !bead_status_valid(status))
		return err_set(&c->err, ERR_INVALID, "status", "unknown status '%s'", status);
	if (q[1] && !bead_type_valid(type))
		return err_set(&c->err, ERR_INVALID, "type", "unknown bead type '%s'", type);
	f.status = q[0] ? status : NULL;
	f.type = q[1] ? type : NULL;
	f.assignee = q[2] ? assignee : NULL;
	f.rig = q[3] ? rig : NULL;
	f.parent = q[4] ? parent : NULL;
	f.label = q[5] ? label : NULL;
	if (!(list = bead_list_json(c, &f, &next)))
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "beads", list);
	if (next)
		cJSON_AddNumberToObject(out, "next_cursor", (double)next);
	else
		cJSON_AddNullToObject(out, "next_cursor");
	return call_reply(c, 200, out);
}

int api_bead_update(struct call *c)
{
	const cJSON *b;
	struct bead_fields f;
	enum role caller;
	int clear;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || !(b = call_body_object(c)) ||
	    read_fields(c, b, 0, &f, &clear) < 0 || bead_update(c, bead_id(c), &f, clear) < 0)
		return -1;
	return reply_bead(c, 200, bead_id(c));
}

int api_bead_close(struct call *c)
{
	const cJSON *b = NULL;
	const char *reason = NULL;
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0)
		return -1;
	if (c->in->body_len > 0 && (!(b = call_body_object(c)) ||
				    json_string(b, "reason", 0, 1000, &reason, &c->err) < 0))
		return -1;
	if (bead_set_status(c, bead_id(c), "closed", reason) < 0)
		return -1;
	return reply_bead(c, 200, bead_id(c));
}

int api_bead_delete(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || bead_delete(c, bead_id(c)) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

int api_bead_dep_add(struct call *c)
{
	const cJSON *b;
	const char *dep, *kind = NULL;
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || !(b = call_body_object(c)) ||
	    json_string(b, "id", 1, 64, &dep, &c->err) < 0 ||
	    json_string(b, "kind", 0, 16, &kind, &c->err) < 0)
		return -1;
	if (!kind)
		kind = "blocks";
	if (!bead_dep_kind_valid(kind))
		return err_set(&c->err, ERR_INVALID, "kind", "unknown dependency kind '%s'", kind);
	if (!bead_json_exists(c, bead_id(c)) || bead_dep_add(c, bead_id(c), dep, kind, "id") < 0)
		return -1;
	return reply_bead(c, 200, bead_id(c));
}

int api_bead_dep_delete(struct call *c)
{
	char kind[24] = "blocks";
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || query_get(c, "kind", kind, sizeof kind) < 0)
		return -1;
	if (!bead_dep_kind_valid(kind))
		return err_set(&c->err, ERR_INVALID, "kind", "unknown dependency kind '%s'", kind);
	if (!bead_json_exists(c, bead_id(c)) || bead_dep_remove(c, bead_id(c), c->seg[6], kind) < 0)
		return -1;
	return reply_bead(c, 200, bead_id(c));
}

/* Events of one bead (.../beads/:bead/events) or of the whole town (/events): ?after=seq&limit=. */
int api_events_list(struct call *c)
{
	const char *subject = c->nseg > 4 ? bead_id(c) : NULL;
	int64_t after = 0, next, limit = 100;
	enum role caller;
	cJSON *list, *out;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || query_int(c, "after", 0, INT64_MAX / 2, &after) < 0 ||
	    query_int(c, "limit", 1, 500, &limit) < 0)
		return -1;
	if (subject && !bead_json_exists(c, subject))
		return -1;
	if (!(list = events_json(c, subject, after, (int)limit, &next)))
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "events", list);
	cJSON_AddNumberToObject(out, "next_after", (double)next);
	return call_reply(c, 200, out);
}
