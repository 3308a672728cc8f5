/*
 * wasteland_routes.c - /api/towns/:town/wasteland: members see the connection and how far its sync
 * is; admins connect the town to a DoltHub database, change or drop the connection, and sync now
 * (docs/wasteland.md). The token is write-only: it is never in an answer, but to the town's own
 * full-sync object (the DoltSyncDO, /_internal), which writes with it.
 */
#include <stdio.h>

#include "api/api.h"

struct wasteland_body {
	const char *api_url, *owner, *database, *handle, *display_name, *token;
	int64_t cadence_s, timeout_s;
	int create;
};

static const struct field_rule wasteland_rules[] = {
	{"owner", F_STR(struct wasteland_body, owner), FR_REQUIRED, 1, WASTELAND_NAME_MAX},
	{"database", F_STR(struct wasteland_body, database), FR_REQUIRED, 1, WASTELAND_NAME_MAX},
	{"handle", F_STR(struct wasteland_body, handle), FR_REQUIRED, 1, WASTELAND_NAME_MAX},
	{"display_name", F_STR(struct wasteland_body, display_name), 0, 1, 255},
	{"api_url", F_STR(struct wasteland_body, api_url), 0, 8, WASTELAND_URL_MAX},
	{"token", F_STR(struct wasteland_body, token), 0, 1, 1024},
	/* Five minutes by default; a second is for tests and impatient towns. */
	{"cadence_s", F_INT(struct wasteland_body, cadence_s), FR_DEFAULT, 1, 86400, .def = 300},
	{"timeout_s", F_INT(struct wasteland_body, timeout_s), FR_DEFAULT, 1, DOLTHUB_TIMEOUT_MAX_S, .def = 30},
	{"create", F_BOOL(struct wasteland_body, create), 0, 0, 0},
};
const struct fields wasteland_put_body = FIELDS(wasteland_rules, struct wasteland_body);

static int reply(struct call *c, int status)
{
	cJSON *w = wasteland_json(c);

	return w ? call_reply(c, status, w) : -1;
}

int api_wasteland_get(struct call *c)
{
	enum role caller;

	return town_require(c, ROLE_MEMBER, &caller) < 0 ? -1 : reply(c, 200);
}

int api_wasteland_put(struct call *c)
{
	struct wasteland_body in = {0};
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (wasteland_put(c, &(struct wasteland_config){.api_url = in.api_url, .owner = in.owner, .database = in.database,
							 .handle = in.handle, .display_name = in.display_name,
							 .token = in.token, .cadence_s = in.cadence_s,
							 .timeout_s = in.timeout_s, .create = in.create}) < 0)
		return -1;
	return reply(c, 200);
}

int api_wasteland_delete(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || wasteland_delete(c) < 0)
		return -1;
	return call_reply(c, 200, cJSON_CreateObject());
}

/* POST .../wasteland/sync[?replay=true]: 202, the writes follow as effects. */
int api_wasteland_sync(struct call *c)
{
	enum role caller;
	int replay = 0;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || query_bool(c, "replay", &replay) < 0 ||
	    wasteland_sync_now(c, replay) < 0)
		return -1;
	return reply(c, 202);
}

int api_wasteland_wanted(struct call *c)
{
	enum role caller;
	cJSON *w;

	/* The board is public in the commons: any member reads it, a viewer and the town's agents too. */
	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(w = wasteland_wanted_json(c)))
		return -1;
	return call_reply(c, 200, w);
}

struct claim_body {
	const char *rig;
};

static const struct field_rule claim_rules[] = {
	{"rig", F_STR(struct claim_body, rig), 0, 1, 64},
};
const struct fields wasteland_claim_body = FIELDS_OPTIONAL(claim_rules, struct claim_body);

/* POST .../wasteland/wanted/:id/claim {rig?}: 201, the bead made of the poster. */
int api_wasteland_claim(struct call *c)
{
	struct claim_body in = {0};
	enum role caller;
	char id[64];
	cJSON *b;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (in.rig) {
		int exists = rig_exists(c, in.rig);

		if (exists <= 0)
			return exists < 0 ? -1 : err_set(&c->err, ERR_INVALID, "rig", "no rig '%s' in this town", in.rig);
	}
	if (wasteland_claim(c, c->seg[5], in.rig, id, sizeof id) < 0 || !(b = bead_json(c, id)))
		return -1;
	return call_reply(c, 201, b);
}

/* ---- the full sync: the town and its DoltSyncDO, object to object ------------------------------ */

struct full_body {
	int64_t cursor, paged, writes;
	const char *error;
	int want, finished;
};

static const struct field_rule full_rules[] = {
	{"cursor", F_INT(struct full_body, cursor), FR_REQUIRED, 0, INT64_MAX},
	{"paged", F_INT(struct full_body, paged), FR_REQUIRED, 0, INT64_MAX},
	{"writes", F_INT(struct full_body, writes), FR_REQUIRED, 0, INT64_MAX},
	{"error", F_STR(struct full_body, error), 0, 0, 400},
	{"want", F_BOOL(struct full_body, want), 0, 0, 0},
	{"finished", F_BOOL(struct full_body, finished), 0, 0, 0},
};
const struct fields wasteland_full_body = FIELDS(full_rules, struct full_body);

/* POST /_internal/wasteland/full/:sync: only the object "sync:<town>:<sync>" may call. */
int api_wasteland_full(struct call *c)
{
	struct full_body in = {0};
	char me[256];
	cJSON *o;

	snprintf(me, sizeof me, "%s:%s", c->cfg->object_id, c->seg[3]);
	if (auth_internal_caller(c, "sync", me) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	o = wasteland_full_page(c, c->seg[3], &(struct wasteland_full_report){.cursor = in.cursor, .paged = in.paged,
									      .writes = in.writes, .error = in.error,
									      .want = in.want, .finished = in.finished});
	return o ? call_reply(c, 200, o) : -1;
}

static const struct field_rule start_rules[] = {
	{"town", F_STR(struct dolt_sync_start, town), FR_REQUIRED, 1, 128},
	{"sync", F_STR(struct dolt_sync_start, sync), FR_REQUIRED, 1, 20},
	{"api_url", F_STR(struct dolt_sync_start, api_url), FR_REQUIRED, 8, DOLTHUB_URL_MAX},
	{"owner", F_STR(struct dolt_sync_start, owner), FR_REQUIRED, 1, DOLTHUB_NAME_MAX},
	{"database", F_STR(struct dolt_sync_start, database), FR_REQUIRED, 1, DOLTHUB_NAME_MAX},
	{"token", F_STR(struct dolt_sync_start, token), FR_REQUIRED, 1, DOLTHUB_TOKEN_MAX},
	{"timeout_s", F_INT(struct dolt_sync_start, timeout_s), FR_REQUIRED, 1, DOLTHUB_TIMEOUT_MAX_S},
};
const struct fields dolt_sync_start_body = FIELDS(start_rules, struct dolt_sync_start);

/* POST /_internal/sync (a DoltSyncDO): started, or started again, by its town. */
int api_dolt_sync_start(struct call *c)
{
	struct dolt_sync_start in = {0};
	cJSON *o;

	if (call_fields(c, &in, sizeof in) < 0 || dolt_sync_start(c, &in) < 0 || !(o = dolt_sync_json(c)))
		return -1;
	return call_reply(c, 200, o);
}

/* GET /_internal/sync: how far it is, for its town. */
int api_dolt_sync_get(struct call *c)
{
	cJSON *o;

	if (dolt_sync_check_caller(c) < 0 || !(o = dolt_sync_json(c)))
		return -1;
	return call_reply(c, 200, o);
}

int api_dolt_sync_stop(struct call *c)
{
	cJSON *o;

	if (dolt_sync_stop(c) < 0 || !(o = dolt_sync_json(c)))
		return -1;
	return call_reply(c, 200, o);
}
