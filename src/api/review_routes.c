/*
 * review_routes.c - /api/towns/:town/agents/:agent/review/{reply,resolve}: the agent working on a
 * review comment's sub-bead answers in its thread and resolves it; the town makes the platform
 * calls (review.c). Only the agent holding the bead may.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define REPLY_MAX 60000

struct review_body {
	const char *bead, *body;
};

static const struct field_rule reply_rules[] = {
	{"bead", F_STR(struct review_body, bead), FR_REQUIRED, 1, 64},
	{"body", F_STR(struct review_body, body), FR_REQUIRED, 1, REPLY_MAX},
};
const struct fields review_reply_body = FIELDS(reply_rules, struct review_body);

static const struct field_rule resolve_rules[] = {
	{"bead", F_STR(struct review_body, bead), FR_REQUIRED, 1, 64},
};
const struct fields review_resolve_body = FIELDS(resolve_rules, struct review_body);

/* The caller must hold the bead it answers for. */
static int holding(struct call *c, const char *bead)
{
	char role[16], hook[72];
	int rc = agent_role_hook(c, c->seg[4], role, sizeof role, hook, sizeof hook);

	if (rc < 0)
		return -1;
	if (!rc || strcmp(hook, bead) != 0) {
		err_set(&c->err, ERR_CONFLICT, "bead", "%s does not hold %s", c->seg[4], bead);
		snprintf(c->err.reason, sizeof c->err.reason, "not_holder");
		return -1;
	}
	return 0;
}

int api_review_reply(struct call *c)
{
	struct review_body in = {0};
	cJSON *o;

	if (call_fields(c, &in, sizeof in) < 0 || holding(c, in.bead) < 0 || review_reply(c, in.bead, in.body) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "bead", in.bead);
	cJSON_AddStringToObject(o, "state", "replying");
	return call_reply(c, 202, o);
}

int api_review_resolve(struct call *c)
{
	struct review_body in = {0};
	cJSON *o;

	if (call_fields(c, &in, sizeof in) < 0 || holding(c, in.bead) < 0 || review_resolve(c, in.bead) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "bead", in.bead);
	cJSON_AddStringToObject(o, "state", "resolving");
	return call_reply(c, 202, o);
}
