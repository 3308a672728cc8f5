/*
 * api_org.c - /api/orgs/:org: create and rename an organization, list and manage its members.
 * Every route needs a signed-in person; org.c decides what each role may do.
 */
#include <string.h>

#include "internal.h"

#define NAME_MAX_LEN 100
#define EMAIL_MAX_LEN 254

/* /api/orgs/:org[/members/:user] */
static const char *org_id(struct call *c)
{
	return c->seg[2];
}

static const char *member_id(struct call *c)
{
	return c->seg[4];
}

static int read_name(struct call *c, const cJSON *b, int required, const char **name)
{
	if (json_string(b, "name", required, NAME_MAX_LEN, name, &c->err) < 0)
		return -1;
	if (*name && !**name)
		return err_set(&c->err, ERR_INVALID, "name", "'name' must not be empty");
	return 0;
}

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
	const cJSON *b = call_body_object(c);
	const char *name;

	if (!b || read_name(c, b, 1, &name) < 0 || org_create(c, org_id(c), name) < 0)
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

int api_org_update(struct call *c)
{
	const cJSON *b;
	const char *name;
	enum role caller;

	if (org_require(c, ROLE_ADMIN, &caller) < 0 || !(b = call_body_object(c)) ||
	    read_name(c, b, 1, &name) < 0 || org_rename(c, name) < 0)
		return -1;
	return reply_org(c, 200, caller);
}

int api_org_members(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (org_require(c, ROLE_VIEWER, &caller) < 0 || !(list = org_members_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_org_member_put(struct call *c)
{
	const cJSON *b;
	const char *role_s, *name, *email;
	enum role caller, role;
	cJSON *d;

	if (org_require(c, ROLE_ADMIN, &caller) < 0 || !(b = call_body_object(c)) ||
	    json_string(b, "role", 1, 16, &role_s, &c->err) < 0 || read_name(c, b, 0, &name) < 0 ||
	    json_string(b, "email", 0, EMAIL_MAX_LEN, &email, &c->err) < 0)
		return -1;
	if ((role = role_parse(role_s)) == ROLE_NONE)
		return err_set(&c->err, ERR_INVALID, "role", "'role' must be owner, admin, member or viewer");
	if (!user_id_valid(member_id(c)))
		return err_set(&c->err, ERR_INVALID, "user_id",
			       "a user id is 1-128 printable ASCII characters without '/'");
	if (org_member_change(c, caller, member_id(c), role, name, email) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "user_id", member_id(c));
	cJSON_AddStringToObject(d, "role", role_name(role));
	return call_reply(c, 200, d);
}

int api_org_member_delete(struct call *c)
{
	enum role caller;

	if (org_require(c, ROLE_VIEWER, &caller) < 0 ||
	    org_member_remove(c, caller, member_id(c)) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}
