/*
 * diff_view.c - a bead's diff as GET .../beads/:bead/diff answers it: the stats recorded at done
 * (or what landed), and the unified diff, which the engine cannot fetch itself (it never waits on
 * the network): the answer carries a proxy list (docs/host-abi.md) for the shim to try in order,
 * the agent host first (it has the commits while its clone does), then the platform's compare API.
 * When neither answers, the stats go out as they are, with diff null and the reason.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"

#define NO_SOURCE "neither the agent host nor the platform gave the diff (the host may be stopped, and the rig may have no repository, the town no token or, on GitLab, the work no merge request)"

static cJSON *totals(const struct bead_diff *d)
{
	cJSON *t = cJSON_CreateObject();

	cJSON_AddNumberToObject(t, "files", (double)d->files);
	cJSON_AddNumberToObject(t, "additions", (double)d->additions);
	cJSON_AddNumberToObject(t, "deletions", (double)d->deletions);
	return t;
}

/* The shim's list: the host's clone, then the platform. */
static int ask_for_text(struct call *c, const char *bead, const char *rig, const struct bead_diff *d)
{
	cJSON *p = cJSON_CreateObject(), *tries = cJSON_AddArrayToObject(p, "tries");

	cJSON_AddStringToObject(p, "into", "diff");
	if (*rig && (container_diff_try(c, rig, d->base, d->head, tries) < 0 ||
		     pr_compare_try(c, bead, rig, d->base, d->head, tries) < 0)) {
		cJSON_Delete(p);
		return -1;
	}
	if (cJSON_GetArraySize(tries) == 0) {
		cJSON_Delete(p);
		return 0;
	}
	cJSON_Delete(c->proxy);
	c->proxy = p;
	return 0;
}

cJSON *diff_view(struct call *c, const char *bead)
{
	struct bead_diff d = {0};
	char status[16] = "", rig[72] = "";
	cJSON *files = NULL, *v;
	int found;

	if ((found = bead_diff_get(c, bead, &d, &files)) < 0 ||
	    bead_status_rig(c, bead, status, sizeof status, rig, sizeof rig) < 0) {
		cJSON_Delete(files);
		return NULL;
	}
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "bead", bead);
	cJSON_AddBoolToObject(v, "recorded", found);
	if (!found) {
		/* Not an error: a bead with no work on a branch (yet) has nothing to show. */
		static const struct bead_diff none = {0};

		cJSON_AddNullToObject(v, "branch");
		cJSON_AddNullToObject(v, "base");
		cJSON_AddNullToObject(v, "head");
		cJSON_AddFalseToObject(v, "landed");
		cJSON_AddArrayToObject(v, "files");
		cJSON_AddItemToObject(v, "totals", totals(&none));
		cJSON_AddNullToObject(v, "source");
		cJSON_AddNullToObject(v, "diff");
		cJSON_AddStringToObject(v, "reason", "no diff was recorded for this bead: its work has not reported done");
		return v;
	}
	if (*d.branch)
		cJSON_AddStringToObject(v, "branch", d.branch);
	else
		cJSON_AddNullToObject(v, "branch");
	cJSON_AddStringToObject(v, "base", d.base);
	cJSON_AddStringToObject(v, "head", d.head);
	cJSON_AddBoolToObject(v, "landed", d.landed);
	cJSON_AddItemToObject(v, "files", files);
	cJSON_AddItemToObject(v, "totals", totals(&d));
	/* What goes out when no try answers; a try that answers replaces source and reason. */
	cJSON_AddNullToObject(v, "source");
	cJSON_AddNullToObject(v, "diff");
	cJSON_AddStringToObject(v, "reason", NO_SOURCE);
	if (ask_for_text(c, bead, rig, &d) < 0) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}
