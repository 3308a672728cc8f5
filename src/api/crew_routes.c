/*
 * crew_routes.c - /api/towns/:town/crew[/:agent]: a member's own machine joins the town as a crew
 * agent (`gt connect`) and leaves it (`gt disconnect`). Joining answers with the agent's token and
 * the town's MCP endpoint, which is all a local coding CLI needs; the agent then sends heartbeats
 * and works through the same routes and tools as any agent. Work reaches it by hand (its hook).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define CREW_NAME_MAX 64

struct crew_body {
	const char *name;
};

static int name_ok(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static const struct field_rule join_rules[] = {
	{"name", F_STR(struct crew_body, name), FR_REQUIRED, 1, CREW_NAME_MAX, .valid = name_ok,
	 .msg[FF_ANY] = "'name' (the machine's name) is 1-64 characters without control characters"},
};
const struct fields crew_join_body = FIELDS(join_rules, struct crew_body);

int api_crew_join(struct call *c)
{
	struct crew_body in = {0};
	enum role caller;
	char id[72], mcp[200], *token;
	double expires;
	int created;
	cJSON *d, *a;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    agent_crew_join(c, c->who.id, in.name, id, sizeof id, &created) < 0)
		return -1;
	if (!created && event_append(c, "agent.connected", id, NULL, NULL, NULL) < 0)
		return -1;
	/* The crew agent works for its member until work of someone else's is hooked to it. */
	if (!(token = agent_token_mint(c, id, c->who.id, 0, &expires)))
		return -1;
	if (!(a = agent_json(c, id))) {
		cJSON_free(token);
		return -1;
	}
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "agent", a);
	cJSON_AddStringToObject(d, "token", token);
	cJSON_AddNumberToObject(d, "expires_ms", expires);
	snprintf(mcp, sizeof mcp, "/api/towns/%s/mcp", c->cfg->object_id);
	cJSON_AddStringToObject(d, "mcp_path", mcp);
	cJSON_free(token);
	return call_reply(c, created ? 201 : 200, d);
}

int api_crew_leave(struct call *c)
{
	const char *id = c->seg[4];
	enum role caller;
	char owner[130];
	int found;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	if ((found = agent_owner(c, id, owner, sizeof owner)) < 0)
		return -1;
	if (!found || !*owner)
		return err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no crew agent '%s' in this town", id);
	if (strcmp(owner, c->who.id) != 0 && caller < ROLE_ADMIN)
		return err_set(&c->err, ERR_FORBIDDEN, "agent_id", "only %s or an admin disconnects %s", owner, id);
	/* Offline now; what is on its hook stays until the town's lost_after_s (crew.c), and no token
	 * of the machine opens a door any more. */
	if (agent_set_lost(c, id) < 0 || agent_token_revoke(c, id) < 0 ||
	    event_append(c, "agent.disconnected", id, NULL, NULL, NULL) < 0)
		return -1;
	{
		cJSON *a = agent_json(c, id);

		return a ? call_reply(c, 200, a) : -1;
	}
}
