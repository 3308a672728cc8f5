/*
 * api_bead.c - /api/towns/:town/beads[/:bead[/close|/deps[/:dep]|/events]] and the town's feed
 * (/events). Readers need the viewer role, writers member, deleting a bead admin. Each body is a
 * field table here, with its limits (fields.c checks it); bead.c holds the rules.
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

/* The body of a create or an update (an update has status, a create parent and deps). */
struct bead_body {
	const char *title, *body, *type, *assignee, *rig, *parent, *status;
	int64_t priority;
	const cJSON *labels, *metadata, *deps;
	int held; /* -1: not given */
};

static const struct field_rule label_rule = {
	NULL, FT_STRING, 0, 0, 1, LABEL_MAX, .msg[FF_ANY] = "each label is a string of %l to %u characters"};

/* One table per verb; the rules they share are written once here. */
#define TITLE(flags) {"title", F_STR(struct bead_body, title), flags, 1, TITLE_MAX}
#define COMMON(assignee_flags, priority_flags)                                                              \
	{"body", F_STR(struct bead_body, body), 0, 0, BODY_MAX},                                             \
	{"type", F_STR(struct bead_body, type), 0, 0, 16, .one_of = bead_types,                              \
	 .msg[FF_ENUM] = "unknown bead type '%v'"},                                                           \
	{"assignee", F_STR(struct bead_body, assignee), assignee_flags, 1, 128,                              \
	 .msg[FF_SHORT] = "'assignee' must not be empty (null unassigns)"},                                   \
	{"rig", F_STR(struct bead_body, rig), 0, 0, 64},                                                     \
	{"priority", F_INT(struct bead_body, priority), priority_flags, 0, 4, .def = BEAD_PRIORITY_DEFAULT},  \
	{"labels", F_ARR(struct bead_body, labels), FR_UNIQUE, 0, LABELS_MAX, .of = &label_rule,             \
	 .msg = {[FF_TYPE] = "'labels' must be an array of strings", [FF_MANY] = "at most %u labels",        \
		 [FF_DUP] = "label '%v' is repeated"}},                                                       \
	{"metadata", F_OBJ(struct bead_body, metadata), 0, 0, METADATA_MAX,                                   \
	 .msg[FF_BIG] = "metadata is at most %u bytes"},                                                      \
	{"held", F_BOOL(struct bead_body, held), 0, 0, 0}

/* A dependency: the body of POST .../deps, and each item of a create's deps. */
struct dep_body {
	const char *id, *kind;
};

static const struct field_rule dep_rules[] = {
	{"id", F_STR(struct dep_body, id), FR_REQUIRED, 0, 64},
	{"kind", F_STR(struct dep_body, kind), 0, 0, 16, .one_of = bead_dep_kinds,
	 .msg[FF_ENUM] = "unknown dependency kind '%v'"},
};
const struct fields bead_dep_body = FIELDS(dep_rules, struct dep_body);

static const struct field_rule dep_item = {
	NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &bead_dep_body, .msg[FF_ANY] = "each dependency is {id, kind?}"};

static const struct field_rule create_rules[] = {
	TITLE(FR_REQUIRED),
	COMMON(0, FR_DEFAULT),
	{"parent", F_STR(struct bead_body, parent), 0, 0, 64},
	{"deps", F_ARR(struct bead_body, deps), 0, 0, BEAD_DEPS_MAX, .of = &dep_item,
	 .msg = {[FF_TYPE] = "'deps' must be an array of {id, kind}", [FF_MANY] = "at most %u dependencies"}},
};
const struct fields bead_create_body = FIELDS(create_rules, struct bead_body);

static const struct field_rule update_rules[] = {
	TITLE(0),
	COMMON(FR_NULL, 0),
	{"status", F_STR(struct bead_body, status), 0, 0, 16, .one_of = bead_statuses,
	 .msg[FF_ENUM] = "unknown status '%v'"},
};
const struct fields bead_update_body = FIELDS(update_rules, struct bead_body);

struct close_body {
	const char *reason;
};

static const struct field_rule close_rules[] = {
	{"reason", F_STR(struct close_body, reason), 0, 0, 1000},
};
const struct fields bead_close_body = FIELDS_OPTIONAL(close_rules, struct close_body);

/* Read the body of a create or an update into in and f; the rig must be one of the town's. */
static int read_fields(struct call *c, struct bead_body *in, struct bead_fields *f)
{
	*in = (struct bead_body){.priority = -1, .held = -1};
	if (call_fields(c, in, sizeof *in) < 0)
		return -1;
	*f = (struct bead_fields){.title = in->title, .body = in->body, .type = in->type, .status = in->status,
				  .assignee = in->assignee, .parent = in->parent, .rig = in->rig,
				  .priority = (int)in->priority, .held_set = in->held >= 0, .held = in->held > 0,
				  .labels = in->labels, .metadata = in->metadata};
	if (f->rig) {
		int exists = rig_exists(c, f->rig);

		if (exists <= 0)
			return exists < 0 ? -1 : err_set(&c->err, ERR_INVALID, "rig", "no rig '%s' in this town", f->rig);
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
	struct bead_body in;
	struct bead_fields f;
	enum role caller;
	const cJSON *d;
	char id[48];

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || read_fields(c, &in, &f) < 0 ||
	    bead_create(c, &f, id, sizeof id) < 0)
		return -1;
	/* Each item was checked with the body: reading it again cannot fail. */
	cJSON_ArrayForEach(d, in.deps) {
		struct dep_body dep = {.kind = "blocks"};

		if (fields_read(d, &bead_dep_body, &dep, sizeof dep, &c->err) < 0 ||
		    bead_dep_add(c, id, dep.id, dep.kind, "deps") < 0)
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

/* What the bead changed: the recorded stats, and the unified diff through the shim's proxy list. */
int api_bead_diff(struct call *c)
{
	enum role caller;
	cJSON *v;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !bead_json_exists(c, bead_id(c)) ||
	    !(v = diff_view(c, bead_id(c))))
		return -1;
	return call_reply(c, 200, v);
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
	struct bead_body in;
	struct bead_fields f;
	enum role caller;

	/* "assignee": null unassigns; the table reads null as absent, so ask the body. */
	if (town_require(c, ROLE_MEMBER, &caller) < 0 || read_fields(c, &in, &f) < 0 ||
	    bead_update(c, bead_id(c), &f, cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c->body, "assignee"))) < 0)
		return -1;
	return reply_bead(c, 200, bead_id(c));
}

int api_bead_close(struct call *c)
{
	struct close_body in = {0};
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    bead_set_status(c, bead_id(c), "closed", in.reason) < 0)
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
	struct dep_body in = {.kind = "blocks"};
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (!bead_json_exists(c, bead_id(c)) || bead_dep_add(c, bead_id(c), in.id, in.kind, "id") < 0)
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
