/*
 * api_members.c - /api/orgs/:org/members[/:user] and /api/towns/:town/members[/:user]: list,
 * add or change, remove. members.c holds the rules; a town also tells the person's registry.
 */
#include <stdio.h>

#include "api/api.h"

#define NAME_MAX_LEN 100
#define EMAIL_MAX_LEN 254

struct member_body {
	const char *role, *name, *email;
};

static const struct field_rule member_rules[] = {
	{"role", F_STR(struct member_body, role), FR_REQUIRED, 0, 16, .one_of = role_choices,
	 .msg[FF_ENUM] = "'%n' must be %e"},
	{"name", F_STR(struct member_body, name), 0, 0, NAME_MAX_LEN},
	{"email", F_STR(struct member_body, email), 0, 0, EMAIL_MAX_LEN},
};
const struct fields member_put_body = FIELDS(member_rules, struct member_body);

/* /api/<orgs|towns>/:id/members/:user */
static const char *member_id(struct call *c)
{
	return c->seg[4];
}

/* An organization's town takes its members from the organization, never directly. */
static int refuse_org_town(struct call *c)
{
	int org_owned;

	if (c->cfg->kind != ENG_TOWN)
		return 0;
	if (town_owned_by_org(c, &org_owned) < 0)
		return -1;
	if (org_owned)
		return err_set(&c->err, ERR_CONFLICT, "user_id",
			       "this town belongs to an organization: manage its members there");
	return 0;
}

/* The gate of the object this engine serves. */
static int require(struct call *c, enum role min, enum role *caller)
{
	return c->cfg->kind == ENG_ORG ? org_require(c, min, caller) : town_require(c, min, caller);
}

int api_members_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (require(c, ROLE_VIEWER, &caller) < 0 || !(list = members_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_member_put(struct call *c)
{
	struct member_body in = {0};
	enum role caller, role;
	cJSON *d;

	if (require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 || refuse_org_town(c) < 0)
		return -1;
	role = role_parse(in.role);
	if (!user_id_valid(member_id(c)))
		return err_set(&c->err, ERR_INVALID, "user_id",
			       "a user id is 1-128 printable ASCII characters without '/'");
	if (member_change(c, caller, member_id(c), role, in.name, in.email) < 0 ||
	    (c->cfg->kind == ENG_TOWN && (registry_update(c, member_id(c), role_name(role)) < 0 ||
					   /* Their terminals open again in the new role's mode. */
					   ws_close_person(c, "terminal", member_id(c), "your role in this town changed") < 0)) ||
	    (c->cfg->kind == ENG_ORG && (org_members_push(c) < 0 ||
					  org_registry_update(c, member_id(c), role_name(role)) < 0)))
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "user_id", member_id(c));
	cJSON_AddStringToObject(d, "role", role_name(role));
	return call_reply(c, 200, d);
}

int api_member_delete(struct call *c)
{
	enum role caller;

	if (require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	if (refuse_org_town(c) < 0)
		return -1;
	if (member_remove(c, caller, member_id(c)) < 0 ||
	    (c->cfg->kind == ENG_TOWN && (registry_update(c, member_id(c), NULL) < 0 || ws_close_person(c, "user", member_id(c), "no longer a member of this town") < 0)) ||
	    (c->cfg->kind == ENG_ORG && (org_members_push(c) < 0 || org_registry_update(c, member_id(c), NULL) < 0)))
		return -1;
	return call_reply(c, 200, NULL);
}
