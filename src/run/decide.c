/*
 * decide.c - the reconciler's decision: given a snapshot of the town (agents, rigs, the beads that
 * could start) and the time, what should happen now. Pure: no database, no call, no clock, so the
 * rules are tested natively with hand-made snapshots. reconcile.c loads the snapshot and applies
 * the actions.
 *
 * Order of a tick: health first (a lost agent frees its bead and itself before anything is handed
 * out), then the breaker, then merge queues, then work. Each agent is used by at most one action.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"

/* Scratch state of one decision: what is already taken, how many polecats each rig runs. */
#define RC_AGENTS_MAX 256
#define RC_RIGS_MAX 128

struct scratch {
	const struct rc_state *s;
	struct rc_action *out;
	size_t max, n;
	unsigned char taken[RC_AGENTS_MAX]; /* the agent got an action (or is busy) this tick */
	int working[RC_RIGS_MAX];           /* polecats of the rig that run (or will) */
	int refinery_busy[RC_RIGS_MAX];
};

static const char *const kind_names[] = {"dispatch", "review", "lost", "nudge", "triage", "stop", "breaker"};

const char *rc_kind_name(enum rc_kind k)
{
	return (size_t)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

double rc_backoff_ms(int attempts)
{
	static const double schedule_s[] = {30, 60, 120, 300, 600};
	size_t i = attempts < 1 ? 0 : (size_t)attempts - 1;

	if (i >= sizeof schedule_s / sizeof schedule_s[0])
		i = sizeof schedule_s / sizeof schedule_s[0] - 1;
	return schedule_s[i] * 1000.0;
}

static int emit(struct scratch *x, enum rc_kind kind, const char *agent, const char *bead, const char *rig)
{
	struct rc_action *a;

	if (x->n >= x->max)
		return -1;
	a = &x->out[x->n++];
	memset(a, 0, sizeof *a);
	a->kind = kind;
	snprintf(a->agent, sizeof a->agent, "%s", agent ? agent : "");
	snprintf(a->bead, sizeof a->bead, "%s", bead ? bead : "");
	snprintf(a->rig, sizeof a->rig, "%s", rig ? rig : "");
	return 0;
}

static int rig_index(const struct rc_state *s, const char *rig)
{
	for (size_t i = 0; i < s->nrigs && i < RC_RIGS_MAX; i++)
		if (strcmp(s->rigs[i].id, rig) == 0)
			return (int)i;
	return -1;
}

/* Silent agents are lost; quiet ones climb the ladder nudge, triage, stop (one rung per period). */
static void health(struct scratch *x)
{
	const struct rc_state *s = x->s;

	for (size_t i = 0; i < s->nagents && i < RC_AGENTS_MAX; i++) {
		const struct rc_agent *a = &s->agents[i];
		double quiet = s->now_ms - a->active_ms;
		int r = rig_index(s, a->rig);

		if (a->state != RC_AGENT_WORKING)
			continue;
		x->taken[i] = 1;
		if (s->now_ms - a->heartbeat_ms >= s->cfg->lost_after_ms) {
			emit(x, RC_LOST, a->id, a->hook, a->rig);
			/* Its bead goes back to open this tick; the agent may take work again next tick. */
			continue;
		}
		if (r >= 0) {
			if (a->role == RC_POLECAT)
				x->working[r]++;
			else if (a->role == RC_REFINERY)
				x->refinery_busy[r] = 1;
		}
		if (quiet >= 3 * s->cfg->quiet_after_ms && a->quiet_stage >= 2)
			emit(x, RC_STOP, a->id, a->hook, a->rig);
		else if (quiet >= 2 * s->cfg->quiet_after_ms && a->quiet_stage == 1)
			emit(x, RC_TRIAGE, a->id, a->hook, a->rig);
		else if (quiet >= s->cfg->quiet_after_ms && a->quiet_stage == 0)
			emit(x, RC_NUDGE, a->id, a->hook, a->rig);
	}
}

/* An agent of role on rig that is free this tick: `want` when it is free, else any free one that
 * no other startable bead prefers. -1 when none. */
static int free_agent(struct scratch *x, enum rc_role role, const char *rig, const char *want)
{
	const struct rc_state *s = x->s;
	int any = -1;

	for (size_t i = 0; i < s->nagents && i < RC_AGENTS_MAX; i++) {
		const struct rc_agent *a = &s->agents[i];
		int wanted = 0;

		if (x->taken[i] || a->role != role || strcmp(a->rig, rig) != 0 ||
		    (a->state != RC_AGENT_IDLE && a->state != RC_AGENT_LOST))
			continue;
		if (want && *want && strcmp(a->id, want) == 0)
			return (int)i;
		for (size_t b = 0; b < s->nbeads && !wanted; b++)
			wanted = strcmp(s->beads[b].prefer, a->id) == 0;
		if (!wanted && any < 0)
			any = (int)i;
	}
	return any;
}

static void merge_queues(struct scratch *x)
{
	const struct rc_state *s = x->s;

	for (size_t b = 0; b < s->nbeads; b++) {
		const struct rc_bead *bd = &s->beads[b];
		int r = rig_index(s, bd->rig), a;

		/* One review at a time per rig: the queue's head waits for the refinery. */
		if (!bd->merge_request || r < 0 || x->refinery_busy[r])
			continue;
		a = free_agent(x, RC_REFINERY, bd->rig, NULL);
		if (a >= 0)
			x->taken[a] = 1;
		x->refinery_busy[r] = 1;
		emit(x, RC_REVIEW, a >= 0 ? s->agents[a].id : "", bd->id, bd->rig);
	}
}

/* Work beads in order; a pass for those whose preferred agent is free comes first, so a serial
 * chain stays on the agent that holds its worktree and context. */
static void work(struct scratch *x)
{
	const struct rc_state *s = x->s;
	unsigned char done[512] = {0};

	for (int pass = 0; pass < 2; pass++) {
		for (size_t b = 0; b < s->nbeads && b < sizeof done; b++) {
			const struct rc_bead *bd = &s->beads[b];
			int r = rig_index(s, bd->rig), a;

			if (done[b] || bd->merge_request || r < 0 || x->working[r] >= s->rigs[r].max_polecats)
				continue;
			a = free_agent(x, RC_POLECAT, bd->rig, bd->prefer);
			if (pass == 0 && (a < 0 || strcmp(s->agents[a].id, bd->prefer) != 0))
				continue;
			if (a >= 0)
				x->taken[a] = 1;
			x->working[r]++;
			done[b] = 1;
			emit(x, RC_DISPATCH, a >= 0 ? s->agents[a].id : "", bd->id, bd->rig);
		}
	}
}

void rc_decide(const struct rc_state *s, struct rc_action *out, size_t max, size_t *n)
{
	struct scratch x = {.s = s, .out = out, .max = max};

	health(&x);
	if (s->cfg->dispatch && !s->breaker_open) {
		if (s->cfg->breaker_failures > 0 && s->recent_failures >= s->cfg->breaker_failures) {
			emit(&x, RC_BREAKER, NULL, NULL, NULL);
		} else {
			merge_queues(&x);
			work(&x);
		}
	}
	*n = x.n;
}
