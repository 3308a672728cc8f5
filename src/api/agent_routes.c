/*
 * api_agent.c - /api/towns/:town/agents[/:agent[/hook|/token|/token/refresh|/heartbeat|/status]].
 * People register agents (admin), read them (viewer), and put beads on their hooks (member); agents
 * themselves, with a token the town minted, send heartbeats and status messages and refresh tokens.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define STATUS_MAX 280

struct agent_body {
	const char *role, *rig, *bead, *message;
};

static const struct field_rule create_rules[] = {
	{"role", F_STR(struct agent_body, role), FR_REQUIRED, 0, 16, .one_of = agent_roles},
	{"rig", F_STR(struct agent_body, rig), 0, 0, 64},
};
const struct fields agent_create_body = FIELDS(create_rules, struct agent_body);

static const struct field_rule hook_rules[] = {
	{"bead", F_STR(struct agent_body, bead), FR_REQUIRED, 0, 64},
};
const struct fields agent_hook_body = FIELDS(hook_rules, struct agent_body);

/* {"bead": id} names the bead the container runs, so a run the town has taken away is stopped
 * (409 not_holder); null (or no body) when it runs none. */
static const struct field_rule heartbeat_rules[] = {
	{"bead", F_STR(struct agent_body, bead), FR_NULL, 0, 64, .msg[FF_ANY] = "'bead' is a bead id or null"},
};
const struct fields agent_heartbeat_body = FIELDS_OPTIONAL(heartbeat_rules, struct agent_body);

static const struct field_rule status_rules[] = {
	{"message", F_STR(struct agent_body, message), FR_REQUIRED, 1, STATUS_MAX,
	 .msg[FF_SHORT] = "a status message has %l to %u characters"},
};
const struct fields agent_status_body = FIELDS(status_rules, struct agent_body);

static const char *agent_id(struct call *c)
{
	return c->seg[4];
}

static int reply_agent(struct call *c, int status, const char *id)
{
	cJSON *a = agent_json(c, id);

	return a ? call_reply(c, status, a) : -1;
}

int api_agent_create(struct call *c)
{
	struct agent_body in = {0};
	enum role caller;
	char id[96];

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    agent_create(c, in.role, in.rig, id, sizeof id) < 0)
		return -1;
	return reply_agent(c, 201, id);
}

int api_agent_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = agents_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_agent_get(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	return reply_agent(c, 200, agent_id(c));
}

/* The agent's terminal, over a WebSocket: members type, viewers watch. */
int api_agent_terminal(struct call *c)
{
	enum role caller;
	int rc;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	if ((rc = agent_exists(c, agent_id(c))) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent_id(c));
	if (ws_require_upgrade(c) < 0 || container_terminal(c, agent_id(c), caller >= ROLE_MEMBER) < 0)
		return -1;
	return call_reply(c, 101, NULL);
}

int api_agent_hook(struct call *c)
{
	struct agent_body in = {0};
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    agent_hook(c, agent_id(c), in.bead) < 0)
		return -1;
	return reply_agent(c, 200, agent_id(c));
}

int api_agent_unhook(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || agent_unhook(c, agent_id(c)) < 0)
		return -1;
	return reply_agent(c, 200, agent_id(c));
}

static int reply_token(struct call *c, int status, const char *requested_by, double orig_iat_s)
{
	double expires;
	char *token = agent_token_mint(c, agent_id(c), requested_by, orig_iat_s, &expires);
	cJSON *d;

	if (!token)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "agent", agent_id(c));
	cJSON_AddStringToObject(d, "token", token);
	cJSON_AddNumberToObject(d, "expires_ms", expires);
	cJSON_free(token);
	return call_reply(c, status, d);
}

int api_agent_token(struct call *c)
{
	enum role caller;
	int rc;

	if (town_require(c, ROLE_ADMIN, &caller) < 0)
		return -1;
	if ((rc = agent_exists(c, agent_id(c))) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent_id(c));
	/* The agent works for the human at the root of what is on its hook, else for whoever minted. */
	{
		char rb[130] = "";

		if (agent_requested_by(c, agent_id(c), rb, sizeof rb) < 0)
			return -1;
		return reply_token(c, 201, *rb ? rb : c->who.id, 0);
	}
}

int api_agent_token_refresh(struct call *c)
{
	/* The new token continues the chain: it cannot outlive the chain's first token by more than
	 * a week, however often it is refreshed. */
	if (c->now_ms / 1000 - c->who.token_orig_iat > AGENT_SESSION_MAX_S) {
		err_set(&c->err, ERR_UNAUTHENTICATED, "authorization",
			"this agent's tokens were first minted over a week ago: a person must mint a new one");
		snprintf(c->err.reason, sizeof c->err.reason, "session_expired");
		return -1;
	}
	return reply_token(c, 200, c->who.requested_by[0] ? c->who.requested_by : NULL, c->who.token_orig_iat);
}

int api_agent_token_revoke(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || agent_token_revoke(c, agent_id(c)) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

int api_agent_heartbeat(struct call *c)
{
	struct agent_body in = {0};

	if (call_fields(c, &in, sizeof in) < 0 || work_heartbeat(c, agent_id(c), in.bead) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

int api_agent_status(struct call *c)
{
	struct agent_body in = {0};

	if (call_fields(c, &in, sizeof in) < 0 || agent_status_add(c, agent_id(c), in.message) < 0 ||
	    agent_heartbeat(c, agent_id(c)) < 0)
		return -1;
	return reply_agent(c, 200, agent_id(c));
}
