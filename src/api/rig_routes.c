/*
 * api_rig.c - /api/towns/:town/rigs[/:rig]: members read, admins create, change and delete.
 */
#include <string.h>

#include "api/api.h"

#define SETTINGS_MAX 16384

static int read_rig(struct call *c, const cJSON *b, int create, struct rig_fields *f)
{
	int64_t max = 0;
	const cJSON *settings = cJSON_GetObjectItemCaseSensitive(b, "settings");

	if ((create && json_string(b, "id", 1, 64, &f->id, &c->err) < 0) ||
	    json_string(b, "git_url", create, 500, &f->git_url, &c->err) < 0 ||
	    json_string(b, "default_branch", 0, 200, &f->default_branch, &c->err) < 0 ||
	    json_string(b, "merge_strategy", 0, 8, &f->merge_strategy, &c->err) < 0 ||
	    json_int(b, "max_polecats", 0, 1, 50, &max, &c->err) < 0)
		return -1;
	f->max_polecats = (int)max;
	if (create && !id_valid(f->id))
		return err_set(&c->err, ERR_INVALID, "id", "a rig id is 1-64 of a-z A-Z 0-9 _ -");
	if (f->git_url && !rig_git_url_valid(f->git_url))
		return err_set(&c->err, ERR_INVALID, "git_url",
			       "'git_url' must be a git URL (https://, ssh://, git://, file:// or user@host:path)");
	if (f->default_branch && (!*f->default_branch || strpbrk(f->default_branch, " ~^:?*[\\")))
		return err_set(&c->err, ERR_INVALID, "default_branch", "'default_branch' is not a branch name");
	if (f->merge_strategy && strcmp(f->merge_strategy, "direct") != 0 && strcmp(f->merge_strategy, "pr") != 0)
		return err_set(&c->err, ERR_INVALID, "merge_strategy", "'merge_strategy' is direct or pr");
	if (settings) {
		char *s;
		size_t n;

		if (!cJSON_IsObject(settings))
			return err_set(&c->err, ERR_INVALID, "settings", "'settings' must be an object");
		s = json_print(settings);
		n = s ? strlen(s) : 0;
		cJSON_free(s);
		if (!s || n > SETTINGS_MAX)
			return err_set(&c->err, ERR_TOO_LARGE, "settings", "settings are at most %d bytes", SETTINGS_MAX);
		f->settings = settings;
	}
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
	const cJSON *b;
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || !(b = call_body_object(c)) ||
	    read_rig(c, b, 1, &f) < 0 || rig_put(c, &f, 1) < 0)
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
	const cJSON *b;
	enum role caller;

	f.id = c->seg[4];
	if (town_require(c, ROLE_ADMIN, &caller) < 0 || !(b = call_body_object(c)) ||
	    read_rig(c, b, 0, &f) < 0 || rig_put(c, &f, 0) < 0)
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
