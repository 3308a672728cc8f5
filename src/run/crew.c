/*
 * crew.c - crew agents: members' own machines joined to the town with `gt connect`, each running
 * the coding CLI its member chose against the town's MCP server. The town never starts or stops
 * them; it only keeps track of them. A crew agent that stops sending heartbeats (disconnected, or
 * its machine asleep) goes offline ("lost") once the town's lost_after_s has passed since the last
 * one, and the work on its hook goes back to the pool then, not before: a laptop closed for a
 * minute keeps its work.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"

struct crew_scan {
	const struct rc_config *cfg;
	int online;
};

static int check_one(struct call *c, const char *id, const char *state, const char *hook, double heartbeat_ms,
		     void *arg)
{
	struct crew_scan *scan = arg;
	char why[200];

	if (c->now_ms - heartbeat_ms < scan->cfg->lost_after_ms) {
		scan->online++;
		return 0;
	}
	snprintf(why, sizeof why, "%s (a crew agent) sent no heartbeat for %.0f s: offline, its work goes back",
		 id, scan->cfg->lost_after_ms / 1000);
	if (strcmp(state, "lost") != 0 && event_append(c, "agent.lost", id, "state", state, "lost") < 0)
		return -1;
	/* Back to the pool, counted as a lost run (as a silent polecat's would be). */
	return *hook ? work_requeue(c, id, hook, why, WORK_LOST) : agent_set_lost(c, id);
}

int crew_tick(struct call *c, const struct rc_config *cfg)
{
	struct crew_scan scan = {cfg, 0};

	return agent_crew_each(c, check_one, &scan) < 0 ? -1 : scan.online > 0;
}
