/*
 * api_convoy.c - /api/towns/:town/convoys[/:convoy]: members start convoys, viewers follow them.
 */
#include <string.h>

#include "api/api.h"

int api_convoy_create(struct call *c)
{
	const cJSON *b, *beads;
	const char *title, *mode;
	enum role caller;
	char id[48];
	cJSON *v;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || !(b = call_body_object(c)) ||
	    json_string(b, "title", 1, 200, &title, &c->err) < 0 ||
	    json_string(b, "mode", 0, 16, &mode, &c->err) < 0)
		return -1;
	if (!*title)
		return err_set(&c->err, ERR_INVALID, "title", "'title' must not be empty");
	if (!mode)
		mode = "fan-out";
	if (strcmp(mode, "series") && strcmp(mode, "fan-out"))
		return err_set(&c->err, ERR_INVALID, "mode", "'mode' is series or fan-out");
	beads = cJSON_GetObjectItemCaseSensitive(b, "beads");
	if (!cJSON_IsArray(beads))
		return err_set(&c->err, ERR_INVALID, "beads", "'beads' is an array of bead ids");
	if (convoy_create(c, title, mode, beads, id, sizeof id) < 0 || !(v = convoy_json(c, id)))
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
