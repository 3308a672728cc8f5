/*
 * api_org.c - /api/orgs/:org: create, read and rename an organization (its members are
 * api_members.c's). Every route needs a signed-in person; org.c decides what each role may do.
 */
#include <string.h>

#include "api/api.h"

#define NAME_MAX_LEN 100

/* /api/orgs/:org */
static const char *org_id(struct call *c)
{
	return c->seg[2];
}

struct name_body {
	const char *name;
};

/* Creating and renaming an organization, and creating one of its towns. */
static const struct field_rule name_rules[] = {
	{"name", F_STR(struct name_body, name), FR_REQUIRED, 1, NAME_MAX_LEN},
};
const struct fields org_name_body = FIELDS(name_rules, struct name_body);

static int reply_org(struct call *c, int status, enum role caller)
{
	cJSON *o = org_json(c);

	if (!o)
		return -1;
	cJSON_AddStringToObject(o, "role", role_name(caller));
	return call_reply(c, status, o);
}

int api_org_create(struct call *c)
{
	struct name_body in = {0};

	if (call_fields(c, &in, sizeof in) < 0 || org_create(c, org_id(c), in.name) < 0)
		return -1;
	return reply_org(c, 201, ROLE_OWNER);
}

int api_org_get(struct call *c)
{
	enum role caller;

	if (org_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	return reply_org(c, 200, caller);
}

/* PATCH: a new name, and/or whether its towns share their outcome figures with the platform. */
struct update_body {
	const char *name;
	const cJSON *share_stats;
};

static const struct field_rule update_rules[] = {
	{"name", F_STR(struct update_body, name), 0, 1, NAME_MAX_LEN},
	{"share_stats", .type = FT_ANY, .out = FIELD_AT_(struct update_body, share_stats, const cJSON *), 0, 0, 0},
};
const struct fields org_update_body = FIELDS(update_rules, struct update_body);

int api_org_update(struct call *c)
{
	struct update_body in = {0};
	enum role caller;

	if (org_require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (in.share_stats && !cJSON_IsBool(in.share_stats))
		return err_set(&c->err, ERR_INVALID, "share_stats", "'share_stats' is true or false");
	if (!in.name && !in.share_stats)
		return err_set(&c->err, ERR_INVALID, "name", "give a new 'name' or 'share_stats'");
	if ((in.name && org_rename(c, in.name) < 0) ||
	    (in.share_stats && org_set_share_stats(c, cJSON_IsTrue(in.share_stats)) < 0))
		return -1;
	return reply_org(c, 200, caller);
}

/* /api/orgs/:org/towns/:town: admins create the org's towns (the town answers through an
 * effect: the reply is 202 and the town's state in GET /towns follows). */
int api_org_town_create(struct call *c)
{
	struct name_body in = {0};
	enum role caller;
	cJSON *d;

	if (org_require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    org_town_create(c, c->seg[4], in.name) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", c->seg[4]);
	cJSON_AddStringToObject(d, "name", in.name);
	cJSON_AddStringToObject(d, "state", "creating");
	return call_reply(c, 202, d);
}

int api_org_towns(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (org_require(c, ROLE_VIEWER, &caller) < 0 || !(list = org_towns_json(c)))
		return -1;
	return call_reply(c, 200, list);
}
