/*
 * reconcile.c - the town's heartbeat. A tick runs on the alarm (timer "tick"): it loads a snapshot
 * of what can change hands (agents, rigs, the beads that could start, each read by its owner:
 * agent.c, rig.c, bead.c), lets decide.c choose, and applies each action through work.c and
 * container.c. This file owns only the reconciler's own state (the breaker, the host's refusals,
 * recent failed runs). Reports from agents are applied when they
 * arrive (each in its own transaction), so a tick only decides.
 *
 * Cadence: a change that may need a decision asks for a tick now (reconcile_soon); a tick re-arms
 * itself a few seconds later while anything runs or waits, and rarely when the town is idle, so
 * every non-terminal state is looked at again. A tick that fails is rolled back to its savepoint
 * and re-armed: a bug in one tick cannot leave a dead town.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "sqlite3.h"

#define TICK_BUSY_MS 5000.0
#define TICK_IDLE_MS 300000.0
#define TICK_RETRY_MS 10000.0
#define ACTIONS_MAX 512
#define READY_PER_RIG_MAX 50
#define BUDGET_SKIP_MAX 10

struct snapshot {
	struct rc_agent agents[AGENT_WORKERS_MAX];
	struct rc_rig rigs[RIG_EACH_MAX];
	struct rc_bead beads[512];
	struct rc_state st;
};

int reconcile_soon(struct call *c)
{
	return timer_set_earlier(c, "tick", "town", c->now_ms);
}

/* While the host is down every dispatch fails the same way; waiting longer each time keeps the
 * feed readable, and the cap keeps a restarted host from waiting long for its work. */
#define HOST_RETRY_MS 15000.0
#define HOST_RETRY_MAX_MS 60000.0

int reconcile_on_bead(struct call *c, const struct bead_change *ch)
{
	if (ch->kind == BEAD_UPDATED || (ch->kind == BEAD_CREATED && ch->startable))
		return reconcile_soon(c);
	/* A bead closed or deleted may have been the last blocker of waiting work, which the idle town
	 * does not tick for (bead_work_waiting). */
	if ((ch->kind == BEAD_STATUS && ch->to && !strcmp(ch->to, "closed")) || ch->kind == BEAD_DELETING)
		return reconcile_soon(c);
	return 0;
}

/* An agent set free may take waiting work. (A tick's own changes are covered: it re-arms itself.) */
int reconcile_on_agent(struct call *c, const struct agent_change *ch)
{
	return strcmp(ch->state, "idle") == 0 && !ch->created ? reconcile_soon(c) : 0;
}

int reconcile_on_budget(struct call *c)
{
	return reconcile_soon(c);
}

int reconcile_host_down(struct call *c, double *retry_ms)
{
	int64_t n = 0;
	double wait = HOST_RETRY_MS;

	if (db_query_int(c->db, "SELECT coalesce((SELECT value FROM reconciler_state WHERE key = 'host_refused'), 0)",
			 &n, &c->err) < 0)
		return -1;
	for (int64_t i = 0; i < n && wait < HOST_RETRY_MAX_MS; i++)
		wait *= 2;
	*retry_ms = c->now_ms + (wait < HOST_RETRY_MAX_MS ? wait : HOST_RETRY_MAX_MS);
	if (db_exec(c->db, "INSERT INTO reconciler_state(key, value) VALUES ('host_refused', 1)"
			   " ON CONFLICT(key) DO UPDATE SET value = value + 1", &c->err) < 0)
		return -1;
	return n == 0 ? event_append(c, "town.host_unreachable", "town", NULL, NULL, NULL) : 0;
}

int reconcile_host_up(struct call *c)
{
	return db_exec(c->db, "DELETE FROM reconciler_state WHERE key = 'host_refused'", &c->err);
}

int reconcile_dispatch_failed(struct call *c, const char *bead, const char *reason)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO dispatch_failures(at_ms, bead, reason) VALUES (?, ?, ?)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_text(st, 2, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int reconcile_config(struct call *c, struct rc_config *cfg)
{
	double lost, quiet, failures;

	/* town.c's table has each setting's default and bounds (the ones its writes were checked
	 * against). */
	if (town_setting_number(c, TOWN_LOST_AFTER_S, &lost) < 0 || town_setting_number(c, TOWN_QUIET_AFTER_S, &quiet) < 0 ||
	    town_setting_number(c, TOWN_BREAKER_FAILURES, &failures) < 0)
		return -1;
	cfg->lost_after_ms = lost * 1000.0;
	cfg->quiet_after_ms = quiet * 1000.0;
	cfg->breaker_failures = (int)failures;
	cfg->breaker_window_ms = 600000.0;
	cfg->dispatch = c->cfg->container_secret && *c->cfg->container_secret;
	return 0;
}

static enum rc_agent_state agent_state(const char *s)
{
	return strcmp(s, "working") == 0 ? RC_AGENT_WORKING : strcmp(s, "lost") == 0 ? RC_AGENT_LOST
		: strcmp(s, "stopped") == 0 ? RC_AGENT_STOPPED : RC_AGENT_IDLE;
}

static void copy(char *dst, const char *s)
{
	snprintf(dst, RC_ID_MAX, "%s", s);
}

static int take_agent(void *arg, const struct agent_worker *w)
{
	struct snapshot *s = arg;
	struct rc_agent *a = &s->agents[s->st.nagents++];

	copy(a->id, w->id);
	a->role = strcmp(w->role, "polecat") == 0 ? RC_POLECAT : RC_REFINERY;
	copy(a->rig, w->rig);
	a->state = agent_state(w->state);
	copy(a->hook, w->hook);
	a->heartbeat_ms = w->heartbeat_ms;
	a->active_ms = w->active_ms;
	a->quiet_stage = w->quiet_stage;
	return s->st.nagents >= AGENT_WORKERS_MAX;
}

static int load_agents(struct call *c, struct snapshot *s)
{
	s->st.agents = s->agents;
	s->st.nagents = 0;
	return agent_workers(c, take_agent, s);
}

/* Polecats of rig that are working now. */
static int working_on(const struct snapshot *s, const char *rig)
{
	int n = 0;

	for (size_t i = 0; i < s->st.nagents; i++)
		n += s->agents[i].role == RC_POLECAT && s->agents[i].state == RC_AGENT_WORKING &&
		     strcmp(s->agents[i].rig, rig) == 0;
	return n;
}

static int refinery_working(const struct snapshot *s, const char *rig)
{
	for (size_t i = 0; i < s->st.nagents; i++)
		if (s->agents[i].role == RC_REFINERY && s->agents[i].state == RC_AGENT_WORKING &&
		    strcmp(s->agents[i].rig, rig) == 0)
			return 1;
	return 0;
}

/* Ready work of one rig, as bead.c finds it. */
struct ready {
	struct rc_bead found[READY_PER_RIG_MAX];
	int n;
	const char *rig;
	const struct snapshot *s;
};

static int on_a_hook(const struct snapshot *s, const char *bead)
{
	for (size_t i = 0; i < s->st.nagents; i++)
		if (strcmp(s->agents[i].hook, bead) == 0)
			return 1;
	return 0;
}

static int take_ready(void *arg, const char *id, const char *prefer)
{
	struct ready *r = arg;
	struct rc_bead *b;

	/* Hooked by hand (POST .../hook), it stays open but is its agent's: one agent per bead. It
	 * goes back to the pool when that agent is lost. */
	if (on_a_hook(r->s, id))
		return 0;
	b = &r->found[r->n++];
	memset(b, 0, sizeof *b);
	copy(b->id, id);
	copy(b->prefer, prefer);
	snprintf(b->rig, sizeof b->rig, "%s", r->rig);
	return r->n >= READY_PER_RIG_MAX;
}

/* The beads of rig that could start now: the head of its merge queue, then ready work (open, not
 * held, not backing off, every blocker closed), as many as the rig has room for. */
static int load_rig_beads(struct call *c, struct snapshot *s, const struct rc_rig *rig)
{
	int room = rig->max_polecats - working_on(s, rig->id), rc;

	if (!refinery_working(s, rig->id) && s->st.nbeads < 512) {
		char head[RC_ID_MAX];

		if ((rc = bead_merge_head(c, rig->id, head, sizeof head)) < 0)
			return -1;
		if (rc) {
			struct rc_bead *b = &s->beads[s->st.nbeads++];

			memset(b, 0, sizeof *b);
			copy(b->id, head);
			snprintf(b->rig, sizeof b->rig, "%s", rig->id);
			b->merge_request = 1;
		}
	}
	if (room <= 0)
		return 0;
	{
		/* A few more than there is room for: work held back by a budget is skipped here, so it
		 * does not take the room (and the agents) of work that may start. */
		int want = room + BUDGET_SKIP_MAX < READY_PER_RIG_MAX ? room + BUDGET_SKIP_MAX : READY_PER_RIG_MAX, n;
		struct ready r;
		struct rc_bead *found = r.found;

		r.n = 0;
		r.rig = rig->id;
		r.s = s;
		if (bead_ready_on_rig(c, rig->id, want, take_ready, &r) < 0)
			return -1;
		n = r.n;
		for (int i = 0; i < n && room > 0 && s->st.nbeads < 512; i++) {
			char why[300];
			int blocked = budget_blocks(c, found[i].id, 1, why, sizeof why);

			if (blocked < 0)
				return -1;
			if (blocked)
				continue;
			s->beads[s->st.nbeads++] = found[i];
			room--;
		}
	}
	return 0;
}

static int take_rig(void *arg, const char *id, int max_polecats)
{
	struct snapshot *s = arg;

	copy(s->rigs[s->st.nrigs].id, id);
	s->rigs[s->st.nrigs++].max_polecats = max_polecats;
	return s->st.nrigs >= RIG_EACH_MAX;
}

static int load(struct call *c, struct snapshot *s, const struct rc_config *cfg)
{
	sqlite3_stmt *st;
	size_t n;
	int64_t failures = 0;
	double breaker_until = 0;
	int rc = 0;

	s->st.cfg = cfg;
	s->st.now_ms = c->now_ms;
	if (load_agents(c, s) < 0)
		return -1;
	s->st.rigs = s->rigs;
	s->st.nrigs = 0;
	if (rig_each(c, take_rig, s) < 0)
		return -1;
	n = s->st.nrigs;
	s->st.beads = s->beads;
	if (cfg->dispatch)
		for (size_t i = 0; i < n; i++)
			if (load_rig_beads(c, s, &s->rigs[i]) < 0)
				return -1;
	st = db_prepare(c->db, "SELECT value FROM reconciler_state WHERE key = 'breaker_until_ms'", &c->err);
	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		breaker_until = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	s->st.breaker_open = breaker_until > c->now_ms;
	st = db_prepare(c->db, "SELECT count(*) FROM dispatch_failures WHERE at_ms > ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms - cfg->breaker_window_ms);
	if (db_step_int(c->db, st, &failures, &c->err) < 0)
		return -1;
	s->st.recent_failures = (int)failures;
	return 0;
}

static int open_breaker(struct call *c, const struct rc_state *s)
{
	char body[200], esc[48];
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO reconciler_state(key, value) VALUES ('breaker_until_ms', ?)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms + s->cfg->breaker_window_ms);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    db_exec(c->db, "DELETE FROM dispatch_failures", &c->err) < 0)
		return -1;
	snprintf(body, sizeof body, "%d runs failed within %.0f minutes; dispatch resumes in %.0f minutes.",
		 s->recent_failures, s->cfg->breaker_window_ms / 60000, s->cfg->breaker_window_ms / 60000);
	return event_append(c, "town.dispatch_paused", "town", "failures", NULL, NULL) < 0 ||
			       escalation_raise(c, "high", "Dispatch paused after a storm of failures", body, NULL,
						esc, sizeof esc) < 0
		       ? -1
		       : 0;
}

static int apply(struct call *c, const struct rc_state *s, const struct rc_action *a)
{
	char agent[RC_ID_MAX], why[256];
	int rc;

	snprintf(agent, sizeof agent, "%s", a->agent);
	switch (a->kind) {
	case RC_REVIEW:
		/* A `pr` rig's merge requests go to the platform, not to the refinery. */
		if ((rc = rig_merges_by_pr(c, a->rig)) != 0)
			return rc < 0 ? -1 : pr_open(c, a->bead);
		/* fall through */
	case RC_DISPATCH:
		if (!*agent && agent_create(c, a->kind == RC_REVIEW ? "refinery" : "polecat", a->rig, agent,
					    sizeof agent) < 0)
			return -1;
		return work_start(c, agent, a->bead);
	case RC_LOST:
		snprintf(why, sizeof why, "%s sent no heartbeat for %.0f s: presumed lost", agent,
			 s->cfg->lost_after_ms / 1000);
		if (event_append(c, "agent.lost", agent, "state", "working", "lost") < 0)
			return -1;
		return *a->bead ? work_requeue(c, agent, a->bead, why, WORK_LOST)
				: agent_set_lost(c, agent);
	case RC_NUDGE:
		snprintf(why, sizeof why, "No progress from you on %s for %.0f s. Post `gt status`, or `gt escalate`"
			 " if you are stuck.", a->bead, s->cfg->quiet_after_ms / 1000);
		return agent_set_quiet_stage(c, agent, 1) < 0 || event_append(c, "agent.nudged", agent, NULL, NULL, NULL) < 0 ||
			       container_message(c, agent, "nudge", why) < 0 ? -1 : 0;
	case RC_TRIAGE: {
		char title[200], esc[48];

		snprintf(title, sizeof title, "%s is quiet on %s: triage needed", agent, a->bead);
		snprintf(why, sizeof why, "No status, output or report for %.0f s after a nudge.",
			 2 * s->cfg->quiet_after_ms / 1000);
		return agent_set_quiet_stage(c, agent, 2) < 0 ||
			       escalation_raise(c, "medium", title, why, *a->bead ? a->bead : NULL, esc, sizeof esc) < 0
			       ? -1 : 0;
	}
	case RC_STOP:
		snprintf(why, sizeof why, "%s was stopped after %.0f s without progress", agent,
			 3 * s->cfg->quiet_after_ms / 1000);
		if (container_stop(c, agent, why) < 0)
			return -1;
		return *a->bead ? work_requeue(c, agent, a->bead, why, WORK_STOPPED) : 0;
	case RC_BREAKER:
		return open_breaker(c, s);
	}
	return 0;
}

/* Whether anything runs or waits: then the next tick comes soon. */
static int busy(struct call *c, const struct snapshot *s)
{
	for (size_t i = 0; i < s->st.nagents; i++)
		if (s->agents[i].state == RC_AGENT_WORKING)
			return 1;
	if (!s->st.cfg->dispatch)
		return 0;
	/* A failed read counts as busy (its error fails the call). */
	return bead_work_waiting(c) != 0;
}

/* States whose owner went away: a bead in review with no merge request left to decide it (someone
 * closed or deleted it), an agent marked working with nothing on its hook. Each goes back to where
 * the reconciler picks it up again. */
static int repair(struct call *c)
{
	char beads[BEAD_ORPHANS_MAX][72];
	int n;

	if ((n = bead_review_orphans(c, beads)) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (work_requeue(c, NULL, beads[i], "its merge request was closed without a verdict", WORK_SENT_BACK) < 0)
			return -1;
	return agent_idle_unhooked(c);
}

static int tick(struct call *c, double *next_ms, size_t *nactions)
{
	struct rc_config cfg;
	struct snapshot *s = calloc(1, sizeof *s);
	struct rc_action *actions = calloc(ACTIONS_MAX, sizeof *actions);
	size_t n = 0;
	int rc = -1, mayor, crew;

	if (!s || !actions) {
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (reconcile_config(c, &cfg) < 0 || repair(c) < 0 || load(c, s, &cfg) < 0)
		goto out;
	rc_decide(&s->st, actions, ACTIONS_MAX, &n);
	*nactions = n;
	for (size_t i = 0; i < n; i++) {
		if (apply(c, &s->st, &actions[i]) < 0) {
			rc = -1;
			goto out;
		}
	}
	if ((mayor = mayor_run_tick(c, &cfg)) < 0 || (crew = crew_tick(c, &cfg)) < 0)
		goto out;
	*next_ms = c->now_ms + (n > 0 || mayor || crew || s->st.breaker_open || busy(c, s) ? TICK_BUSY_MS : TICK_IDLE_MS);
	rc = 0;
out:
	free(s);
	free(actions);
	return rc;
}

int reconcile_timer_fired(struct call *c, const char *key)
{
	int town, fault;
	struct call_mark mark;
	size_t n;
	double next = c->now_ms + TICK_RETRY_MS;

	(void)key;
	if (town_exists(c, &town) < 0)
		return -1;
	if (!town)
		return 0; /* deleted: nothing to run, no next tick */
	/* The test fault is drawn before the savepoint so that using it up survives the rollback. */
	if ((fault = tick_fault_probe(c)) < 0 || db_exec(c->db, "SAVEPOINT tick", &c->err) < 0)
		return -1;
	call_mark(c, &mark);
	if ((fault && err_set(&c->err, ERR_INTERNAL, NULL, "test fault injected into the tick") < 0) ||
	    tick(c, &next, &n) < 0) {
		/* Undo this tick only; the call commits the rest and the tick comes again. The
		 * failure goes to the log, not to the call's answer. */
		struct err why;

		if (call_undo_to(c, "ROLLBACK TO tick", &mark, &why) < 0)
			return -1;
		next = c->now_ms + TICK_RETRY_MS;
		call_log(c, "error", "reconciler tick failed; retrying", cJSON_CreateString(why.message));
	}
	if (db_exec(c->db, "RELEASE tick", &c->err) < 0)
		return -1;
	/* The next tick replaces any "now" this tick's own changes asked for: what they need is
	 * decided by the next busy tick, not by a tick that runs again at once. */
	return timer_set(c, "tick", "town", next);
}

int reconcile_dry_run(struct call *c, int *nactions)
{
	struct call_mark mark;
	int rc;
	double next;
	size_t n = 0;

	if (db_exec(c->db, "SAVEPOINT dry", &c->err) < 0)
		return -1;
	call_mark(c, &mark);
	rc = tick(c, &next, &n);
	call_undo(c, &mark);
	if (db_exec(c->db, "ROLLBACK TO dry", &c->err) < 0 || db_exec(c->db, "RELEASE dry", &c->err) < 0)
		return -1;
	*nactions = (int)n;
	return rc;
}

int reconcile_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM dispatch_failures; DELETE FROM reconciler_state;", &c->err);
}
