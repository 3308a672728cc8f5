/*
 * log_wipe.c - a deleted town takes its agent log with it (docs/memory.md), both sides.
 *
 * The town, as it is deleted, asks its AgentLogDO to wipe (a do:// effect); a wipe not taken is
 * asked again a minute later until it is. The log object empties its search index at once, so
 * nothing of the town is found from then on, and deletes the events in slices on its alarm: a log
 * of a million events deleted in one call would hold the object for longer than a call may run.
 * Events that arrive meanwhile (a new town of the same id) are after the wipe's mark and stay.
 */
#include <stdio.h>
#include <string.h>

#include "memory/memory.h"
#include "sqlite3.h"

#define WIPE_RETRY_MS 60000.0
#define WIPE_NEXT_MS 100.0

/* ---- the town's side ---------------------------------------------------------------------------- */

static int ask_wipe(struct call *c)
{
	char town[200], url[300], fx[48];
	struct effect_req r = {.purpose = "log-wipe", .subject = "log", .method = "DELETE", .url = url, .timeout_ms = 30000};

	query_escape(c->cfg->object_id, town, sizeof town);
	snprintf(url, sizeof url, "do://log/%s/_internal/log", town);
	return effect_submit(c, &r, fx, sizeof fx);
}

int log_town_deleted(struct call *c)
{
	return ask_wipe(c);
}

int log_wipe_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	int status = effect_status(result);

	(void)subject, (void)body, (void)len;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && status >= 200 && status < 300)
		return 0;
	call_log(c, "warn", "agent log wipe not taken; asking again", cJSON_CreateNumber(status));
	return timer_set(c, "log-wipe", "log", c->now_ms + WIPE_RETRY_MS);
}

int log_wipe_retry_fired(struct call *c, const char *key)
{
	(void)key;
	return ask_wipe(c);
}

/* ---- the log object's side --------------------------------------------------------------------- */

/* Delete one slice (20,000) of the events up to the mark; another alarm follows while any is left. */
static int wipe_slice(struct call *c)
{
	int64_t left = 0;

	if (db_exec(c->db, "DELETE FROM log_events WHERE seq IN (SELECT seq FROM log_events WHERE seq <="
			   " (SELECT wipe_upto FROM log_state) ORDER BY seq LIMIT 20000)", &c->err) < 0 ||
	    db_query_int(c->db, "SELECT count(*) FROM (SELECT 1 FROM log_events WHERE seq <= (SELECT wipe_upto FROM"
				" log_state) LIMIT 1)", &left, &c->err) < 0)
		return -1;
	return left ? timer_set(c, "log-wipe-slice", "log", c->now_ms + WIPE_NEXT_MS) : 0;
}

int log_wipe(struct call *c)
{
	if (auth_internal_caller(c, "town", c->cfg->object_id) < 0)
		return -1;
	/* The mark is the newest event: everything there is now goes. The trigger then leaves the rows
	 * under it to the slices, out of an index that 'delete-all' has just emptied. */
	if (db_exec(c->db, "UPDATE log_state SET wipe_upto = (SELECT coalesce(max(seq), 0) FROM log_events);"
			   " INSERT INTO log_search(log_search) VALUES ('delete-all');"
			   " DELETE FROM log_agents;", &c->err) < 0 ||
	    wipe_slice(c) < 0)
		return -1;
	return call_reply(c, 200, cJSON_CreateObject());
}

int log_wipe_slice_fired(struct call *c, const char *key)
{
	(void)key;
	return wipe_slice(c);
}
