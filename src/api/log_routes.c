/*
 * log_routes.c - the town's doors to its agent log (docs/memory.md). The events live in the town's
 * AgentLogDO; who may write and read them is the town's to say, so these routes let the caller in
 * here and answer with a pass (docs/host-abi.md): the host hands the same request on to the log
 * object, whose answer is the caller's. An agent writes only its own log, stamped with the bead and
 * rig it is on now; members (viewers up) and the town's agents read and search.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

/* The pass to the town's log object at path (under /_internal/), with the request's query. */
static int pass_to_log(struct call *c, const char *path, cJSON *headers)
{
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(c->meta, "query");
	const char *query = cJSON_IsString(q) ? q->valuestring : "";
	/* The host's query starts with '?'; one made inside the call (an MCP tool's) does not. */
	const char *sep = *query && *query != '?' ? "?" : "";
	char town[200], url[4096];
	cJSON *p;

	query_escape(c->cfg->object_id, town, sizeof town);
	if ((size_t)snprintf(url, sizeof url, "do://log/%s/_internal/%s%s%s", town, path, sep, query) >= sizeof url) {
		cJSON_Delete(headers);
		return err_set(&c->err, ERR_INVALID, "query", "the query is too long");
	}
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "url", url);
	cJSON_AddItemToObject(p, "headers", headers ? headers : cJSON_CreateObject());
	cJSON_Delete(c->pass);
	c->pass = p;
	return call_reply(c, 200, cJSON_CreateNull());
}

static const char *agent_in_path(struct call *c)
{
	return c->seg[4];
}

/* POST /api/towns/:town/agents/:agent/log (the agent itself): a batch of its events. */
int api_agent_log_add(struct call *c)
{
	char role[16], bead[64] = "", rig[64] = "", keep[24], path[200], agent[160];
	double n;
	cJSON *h;
	int rc;

	if ((rc = agent_role_hook(c, agent_in_path(c), role, sizeof role, bead, sizeof bead)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent_in_path(c));
	if (agent_rig(c, agent_in_path(c), rig, sizeof rig) < 0 || town_setting_number(c, TOWN_LOG_KEEP, &n) < 0)
		return -1;
	snprintf(keep, sizeof keep, "%.0f", n);
	h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, LOG_HEADER_BEAD, bead);
	cJSON_AddStringToObject(h, LOG_HEADER_RIG, rig);
	cJSON_AddStringToObject(h, LOG_HEADER_KEEP, keep);
	query_escape(agent_in_path(c), agent, sizeof agent);
	snprintf(path, sizeof path, "agents/%s/log", agent);
	return pass_to_log(c, path, h);
}

/* GET /api/towns/:town/agents/:agent/log?after=&limit= (viewers up): the agent's events. */
int api_agent_log(struct call *c)
{
	char path[200], agent[160];
	enum role caller;
	int rc;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	if ((rc = agent_exists(c, agent_in_path(c))) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent_in_path(c));
	query_escape(agent_in_path(c), agent, sizeof agent);
	snprintf(path, sizeof path, "agents/%s/log", agent);
	return pass_to_log(c, path, NULL);
}

/* GET /api/towns/:town/search?q=... (viewers up and the town's agents): the agent log's search. */
int api_town_search(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	return pass_to_log(c, "search", NULL);
}
