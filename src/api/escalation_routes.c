/*
 * api_escalation.c - /api/towns/:town/escalations: members raise, acknowledge and resolve them,
 * viewers read them; an agent raises one from /agents/:agent/escalations with its token.
 */
#include <string.h>

#include "api/api.h"

struct escalation_body {
	const char *severity, *title, *body, *bead;
};

/* Raised by a member or by an agent: one body. */
static const struct field_rule raise_rules[] = {
	{"severity", F_STR(struct escalation_body, severity), FR_REQUIRED, 0, 16, .one_of = escalation_levels},
	{"title", F_STR(struct escalation_body, title), FR_REQUIRED, 1, 200},
	{"body", F_STR(struct escalation_body, body), 0, 0, 65536},
	{"bead", F_STR(struct escalation_body, bead), 0, 0, 64},
};
const struct fields escalation_raise_body = FIELDS(raise_rules, struct escalation_body);

static int raise_escalation(struct call *c)
{
	struct escalation_body in = {0};
	char id[48];
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0 ||
	    escalation_raise(c, in.severity, in.title, in.body, in.bead, id, sizeof id) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "severity", in.severity);
	cJSON_AddStringToObject(d, "state", "open");
	return call_reply(c, 201, d);
}

int api_escalation_raise(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0)
		return -1;
	return raise_escalation(c);
}

int api_agent_escalation_raise(struct call *c)
{
	return raise_escalation(c);
}

int api_escalation_list(struct call *c)
{
	char state[16];
	int q;
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || (q = query_get(c, "state", state, sizeof state)) < 0)
		return -1;
	if (q && strcmp(state, "open") && strcmp(state, "acknowledged") && strcmp(state, "resolved"))
		return err_set(&c->err, ERR_INVALID, "state", "'state' is open, acknowledged or resolved");
	if (!(list = escalations_json(c, q ? state : NULL)))
		return -1;
	return call_reply(c, 200, list);
}

static int set_state(struct call *c, const char *state)
{
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || escalation_set_state(c, c->seg[4], state) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

int api_escalation_ack(struct call *c)
{
	return set_state(c, "acknowledged");
}

int api_escalation_resolve(struct call *c)
{
	return set_state(c, "resolved");
}
