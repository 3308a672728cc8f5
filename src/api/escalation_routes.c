/*
 * api_escalation.c - /api/towns/:town/escalations: members raise, acknowledge and resolve them,
 * viewers read them; an agent raises one from /agents/:agent/escalations with its token.
 */
#include <string.h>

#include "api/api.h"

static int raise_escalation(struct call *c)
{
	const cJSON *b = call_body_object(c);
	const char *severity, *title, *body, *bead;
	char id[48];
	cJSON *d;

	if (!b || json_string(b, "severity", 1, 16, &severity, &c->err) < 0 ||
	    json_string(b, "title", 1, 200, &title, &c->err) < 0 ||
	    json_string(b, "body", 0, 65536, &body, &c->err) < 0 ||
	    json_string(b, "bead", 0, 64, &bead, &c->err) < 0)
		return -1;
	if (escalation_severity(severity) < 0)
		return err_set(&c->err, ERR_INVALID, "severity", "'severity' is low, medium, high or critical");
	if (!*title)
		return err_set(&c->err, ERR_INVALID, "title", "'title' must not be empty");
	if (escalation_raise(c, severity, title, body, bead, id, sizeof id) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "severity", severity);
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
