/*
 * stats_routes.c - what the town learned from its work (docs/casting.md): the stats by variant,
 * model, persona, runtime, agent, language or kind, an agent's record, and the variants to try for
 * a bead. Everyone in the town reads them, its agents too (the Mayor casts with them). And the
 * platform's figures across towns (the StatsDO), which every signed-in person may read.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

/* ?kind and ?language of a stats route, checked. */
static int scope_query(struct call *c, char *kind, size_t kind_len, char *language, size_t language_len)
{
	if (query_get(c, "kind", kind, kind_len) < 0 || query_get(c, "language", language, language_len) < 0)
		return -1;
	if (*kind && !bead_type_valid(kind))
		return err_set(&c->err, ERR_INVALID, "kind", "'kind' is a bead type (task, bug, feature, chore, ...)");
	return 0;
}

/* The answer's head: what was asked and how to read the rows. Takes rows. */
static cJSON *stats_answer(const char *by, const char *kind, const char *language, cJSON *rows)
{
	cJSON *out = cJSON_CreateObject();

	cJSON_AddStringToObject(out, "by", by);
	cJSON_AddItemToObject(out, "kind", *kind ? cJSON_CreateString(kind) : cJSON_CreateNull());
	cJSON_AddItemToObject(out, "language", *language ? cJSON_CreateString(language) : cJSON_CreateNull());
	cJSON_AddStringToObject(out, "interval", "wilson 95%");
	cJSON_AddItemToObject(out, "rows", rows);
	return out;
}

/* GET .../stats?by=DIM[&kind=K][&language=L][&key=K] */
int api_stats(struct call *c)
{
	char by[16] = "variant", kind[24] = "", language[40] = "", key[200] = "";
	enum role caller;
	int has_key;
	cJSON *rows, *out;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || query_get(c, "by", by, sizeof by) < 0 ||
	    scope_query(c, kind, sizeof kind, language, sizeof language) < 0 ||
	    (has_key = query_get(c, "key", key, sizeof key)) < 0)
		return -1;
	if (!str_in_list(by, outcome_dims))
		return err_set(&c->err, ERR_INVALID, "by", "'by' is model, persona, runtime, agent, variant, language or kind");
	if (!(rows = outcome_stats_json(c, by, kind, language, has_key ? key : NULL)))
		return -1;
	out = stats_answer(by, kind, language, rows);
	{
		cJSON *p = cJSON_AddObjectToObject(out, "platform");

		if (stats_report_state_json(c, p) < 0) {
			cJSON_Delete(out);
			return -1;
		}
	}
	return call_reply(c, 200, out);
}

/* GET .../agents/:agent/record */
int api_agent_record(struct call *c)
{
	enum role caller;
	cJSON *out;
	int rc;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	/* An agent removed since keeps its record: its outcomes are the town's history. */
	if ((rc = agent_exists(c, c->seg[4])) == 0)
		rc = outcome_agent_known(c, c->seg[4]);
	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", c->seg[4]);
	if (!(out = outcome_agent_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, out);
}

/* GET .../beads/:bead/recommend: for the bead's kind and its rig's language. */
int api_bead_recommend(struct call *c)
{
	struct bead_run b;
	char language[40] = "";
	enum role caller;
	cJSON *out;
	int rc;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	if ((rc = bead_run_get(c, c->seg[4], &b)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "bead_id", "no bead '%s' in this town", c->seg[4]);
	if (*b.rig && rig_language(c, b.rig, language, sizeof language) < 0)
		return -1;
	if (!(out = outcome_recommend_json(c, b.type, language)))
		return -1;
	/* Too little of the town's own: the platform's figures, as its last report brought them. */
	if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "scope")), "none") == 0) {
		cJSON *across = outcome_recommend_from(c, b.type, language, stats_platform_variants);

		if (!across) {
			cJSON_Delete(out);
			return -1;
		}
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(across, "scope")), "none") != 0) {
			cJSON_Delete(out);
			out = across;
			cJSON_AddStringToObject(out, "source", "platform");
		} else {
			cJSON_Delete(across);
		}
	}
	if (!cJSON_GetObjectItemCaseSensitive(out, "source"))
		cJSON_AddStringToObject(out, "source", "town");
	cJSON_AddStringToObject(out, "bead", c->seg[4]);
	return call_reply(c, 200, out);
}

/* ---- the platform's figures -------------------------------------------------------------------- */

/* The worker sends /api/stats... to the one StatsDO. */
int api_platform_forward(struct call *c)
{
	c->forward = cJSON_CreateObject();
	cJSON_AddStringToObject(c->forward, "kind", "stats");
	cJSON_AddStringToObject(c->forward, "id", "platform");
	return call_reply(c, 200, NULL);
}

/* GET /api/stats?by=DIM[&kind=K][&language=L] */
int api_platform_stats(struct call *c)
{
	char by[16] = "variant", kind[24] = "", language[40] = "";
	int64_t towns;
	cJSON *rows, *out;

	if (query_get(c, "by", by, sizeof by) < 0 || scope_query(c, kind, sizeof kind, language, sizeof language) < 0)
		return -1;
	if (!str_in_list(by, platform_dims))
		return err_set(&c->err, ERR_INVALID, "by", "'by' is variant, model, persona, runtime, language or kind");
	if (platform_towns(c, &towns) < 0 || !(rows = platform_stats_json(c, by, kind, language)))
		return -1;
	out = stats_answer(by, kind, language, rows);
	cJSON_AddNumberToObject(out, "towns", (double)towns);
	cJSON_AddNumberToObject(out, "min_towns", PLATFORM_MIN_TOWNS);
	return call_reply(c, 200, out);
}

/* GET /api/stats/recommend?kind=K&language=L */
int api_platform_recommend(struct call *c)
{
	char kind[24] = "", language[40] = "";
	cJSON *out;

	if (scope_query(c, kind, sizeof kind, language, sizeof language) < 0 ||
	    !(out = platform_recommend_json(c, kind, language)))
		return -1;
	cJSON_AddNumberToObject(out, "min_towns", PLATFORM_MIN_TOWNS);
	return call_reply(c, 200, out);
}
