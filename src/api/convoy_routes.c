/*
 * api_convoy.c - /api/towns/:town/convoys[/:convoy]: members start convoys, viewers follow them.
 */
#include <string.h>

#include "api/api.h"

#define BEADS_MSG "'beads' is an array of bead ids"

struct convoy_body {
	const char *title, *mode;
	const cJSON *beads;
};

static const struct field_rule bead_item = {NULL, FT_STRING, 0, 0, 0, 0, .msg[FF_ANY] = BEADS_MSG};

static const struct field_rule create_rules[] = {
	{"title", F_STR(struct convoy_body, title), FR_REQUIRED, 1, 200},
	{"mode", F_STR(struct convoy_body, mode), 0, 0, 16, .one_of = convoy_modes},
	{"beads", F_ARR(struct convoy_body, beads), FR_REQUIRED, 1, CONVOY_BEADS_MAX, .of = &bead_item,
	 .msg = {[FF_MISSING] = BEADS_MSG, [FF_TYPE] = BEADS_MSG, [FF_FEW] = "a convoy has at least one bead",
		 [FF_MANY] = "a convoy has at most %u beads"}},
};
const struct fields convoy_create_body = FIELDS(create_rules, struct convoy_body);

static const struct field_rule update_rules[] = {
	{"mode", F_STR(struct convoy_body, mode), FR_REQUIRED, 0, 16, .one_of = convoy_modes,
	 .msg[FF_ANY] = "'mode' is series (one bead after another) or fan-out (all at once)"},
};
const struct fields convoy_update_body = FIELDS(update_rules, struct convoy_body);

/* PATCH: how the convoy's beads run, changed while it is open. */
int api_convoy_update(struct call *c)
{
	struct convoy_body in = {0};
	enum role caller;
	cJSON *v;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    convoy_set_mode(c, c->seg[4], in.mode) < 0 || !(v = convoy_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, v);
}

int api_convoy_create(struct call *c)
{
	struct convoy_body in = {.mode = "fan-out"};
	enum role caller;
	char id[48];
	cJSON *v;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    convoy_create(c, in.title, in.mode, in.beads, id, sizeof id) < 0 || !(v = convoy_json(c, id)))
		return -1;
	return call_reply(c, 201, v);
}

int api_convoy_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = convoys_json(c)))
		return -1;
	return call_reply(c, 200, list);
}

int api_convoy_get(struct call *c)
{
	enum role caller;
	cJSON *v;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(v = convoy_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, v);
}
