/*
 * api_rig.c - /api/towns/:town/rigs[/:rig]: members read, admins create, change and delete.
 */
#include <string.h>

#include "api/api.h"

#define SETTINGS_MAX 16384

struct rig_body {
	const char *id, *git_url, *default_branch, *merge_strategy;
	int64_t max_polecats;
	const cJSON *settings;
};

static int branch_valid(const char *b)
{
	return !strpbrk(b, " ~^:?*[\\");
}

#define GIT_URL_MSG "'git_url' must be a git URL (https://, ssh://, git://, file:// or user@host:path)"
#define RIG_ID_MSG "a rig id is 1-64 of a-z A-Z 0-9 _ -"

/* The rules a create and an update share; a create adds the id and needs a git_url. */
#define GIT_URL(flags)                                                                                       \
	{"git_url", F_STR(struct rig_body, git_url), flags, 8, 500, .valid = rig_git_url_valid,                 \
	 .msg = {[FF_SHORT] = GIT_URL_MSG, [FF_FORM] = GIT_URL_MSG}}
#define REST                                                                                                 \
	{"default_branch", F_STR(struct rig_body, default_branch), 0, 1, 200, .valid = branch_valid,            \
	 .msg = {[FF_SHORT] = "'%n' is not a branch name", [FF_FORM] = "'%n' is not a branch name"}},          \
	{"merge_strategy", F_STR(struct rig_body, merge_strategy), 0, 0, 8, .one_of = rig_merge_strategies},   \
	{"max_polecats", F_INT(struct rig_body, max_polecats), 0, 1, 50},                                      \
	{"settings", F_OBJ(struct rig_body, settings), 0, 0, SETTINGS_MAX, .msg[FF_BIG] = "settings are at most %u bytes"}

static const struct field_rule create_rules[] = {
	{"id", F_STR(struct rig_body, id), FR_REQUIRED, 1, 64, .valid = id_valid,
	 .msg = {[FF_SHORT] = RIG_ID_MSG, [FF_FORM] = RIG_ID_MSG}},
	GIT_URL(FR_REQUIRED),
	REST,
};
const struct fields rig_create_body = FIELDS(create_rules, struct rig_body);

static const struct field_rule update_rules[] = {
	GIT_URL(0),
	REST,
};
const struct fields rig_update_body = FIELDS(update_rules, struct rig_body);

static int read_rig(struct call *c, struct rig_fields *f)
{
	struct rig_body in = {0};

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (in.id)
		f->id = in.id;
	f->git_url = in.git_url;
	f->default_branch = in.default_branch;
	f->merge_strategy = in.merge_strategy;
	f->max_polecats = (int)in.max_polecats;
	f->settings = in.settings;
	return 0;
}

static int reply_rig(struct call *c, int status, const char *id)
{
	cJSON *r = rig_json(c, id);

	return r ? call_reply(c, status, r) : -1;
}

int api_rig_create(struct call *c)
{
	struct rig_fields f = {0};
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || read_rig(c, &f) < 0 || rig_put(c, &f, 1) < 0)
		return -1;
	return reply_rig(c, 201, f.id);
}

int api_rig_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = rigs_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_rig_get(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	return reply_rig(c, 200, c->seg[4]);
}

int api_rig_update(struct call *c)
{
	struct rig_fields f = {0};
	enum role caller;

	f.id = c->seg[4];
	if (town_require(c, ROLE_ADMIN, &caller) < 0 || read_rig(c, &f) < 0 || rig_put(c, &f, 0) < 0)
		return -1;
	return reply_rig(c, 200, f.id);
}

int api_rig_delete(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || rig_delete(c, c->seg[4]) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}
