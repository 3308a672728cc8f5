/*
 * run/run.h - the self-running town: the reconciler's decision and tick, runs of agents on beads, requests
 * to the container, and merge requests of `pr` rigs.
 */
#ifndef GASTOWN_RUN_H
#define GASTOWN_RUN_H

#include "costs/costs.h"

/* ---- decide.c: the reconciler's decision, a pure function of a snapshot and the time ------------ */

/* Limits and timeouts of one town's reconciler (town settings: defaults and bounds are town.c's
 * town_settings). */
struct rc_config {
	double lost_after_ms;   /* no heartbeat for this long: the agent is presumed lost */
	double quiet_after_ms;  /* no progress for this long: nudge; twice: triage; three times: stop */
	int breaker_failures;   /* failed runs within breaker_window_ms that stop all dispatch */
	double breaker_window_ms;
	int dispatch;           /* 0: the town has no container to start agents in */
};

#define RC_ID_MAX 72
enum rc_role { RC_POLECAT, RC_REFINERY, RC_OTHER };
enum rc_agent_state { RC_AGENT_IDLE, RC_AGENT_WORKING, RC_AGENT_LOST, RC_AGENT_STOPPED };

struct rc_agent {
	char id[RC_ID_MAX], rig[RC_ID_MAX], hook[RC_ID_MAX];
	enum rc_role role;
	enum rc_agent_state state;
	double heartbeat_ms, active_ms; /* last heartbeat, last sign of progress */
	int quiet_stage;                /* 0, 1 nudged, 2 triage asked */
};

struct rc_rig {
	char id[RC_ID_MAX];
	int max_polecats;
};

/* A bead the reconciler may start: ready work (its blockers closed, not held, not backing off) or
 * the head of a rig's merge queue. prefer: the agent that should take it when idle (the one that
 * worked on it before, else the one that finished its predecessor). */
struct rc_bead {
	char id[RC_ID_MAX], rig[RC_ID_MAX], prefer[RC_ID_MAX];
	int merge_request;
};

struct rc_state {
	const struct rc_config *cfg;
	double now_ms;
	const struct rc_agent *agents;
	size_t nagents;
	const struct rc_rig *rigs;
	size_t nrigs;
	const struct rc_bead *beads; /* in the order they should get agents (priority, then age) */
	size_t nbeads;
	int breaker_open;     /* dispatch is paused */
	int recent_failures;  /* failed runs within the breaker's window */
};

enum rc_kind {
	RC_DISPATCH,  /* start agent on bead; agent "" means a new polecat of rig */
	RC_REVIEW,    /* the rig's refinery takes merge request bead; agent "" means make the refinery */
	RC_LOST,      /* agent went silent: presume it lost, its bead goes back to open */
	RC_NUDGE,     /* agent is quiet: remind it */
	RC_TRIAGE,    /* still quiet: ask for triage */
	RC_STOP,      /* still quiet: stop it, its bead goes back to open */
	RC_BREAKER    /* too many failed runs: pause dispatch and escalate once */
};

struct rc_action {
	enum rc_kind kind;
	char agent[RC_ID_MAX], bead[RC_ID_MAX], rig[RC_ID_MAX];
};

/* Decide what to do now. Writes at most max actions to out and their number to *n. */
void rc_decide(const struct rc_state *s, struct rc_action *out, size_t max, size_t *n);
/* The wait before retrying a bead whose run failed for the attempts-th time: 30 s, 1 m, 2 m, 5 m,
 * then 10 m. */
double rc_backoff_ms(int attempts);
const char *rc_kind_name(enum rc_kind k);

/* ---- reconcile.c: the tick ------------------------------------------------------------------- */

/* Ask for a tick now (after a change that may need a decision). */
int reconcile_soon(struct call *c);
/* The agent host refused a connection: count it and set *retry_ms to when dispatch should try
 * again (15 s doubling up to a minute). Its first failure puts "town.host_unreachable" in the feed. */
int reconcile_host_down(struct call *c, double *retry_ms);
/* A start reached the host: the count of refused connections starts over. */
int reconcile_host_up(struct call *c);
/* A run of bead failed (reason): it counts towards the circuit breaker's window. */
int reconcile_dispatch_failed(struct call *c, const char *bead, const char *reason);
/* The reconciler's settings from the town's, clamped to their limits; -1 when storage failed. */
int reconcile_config(struct call *c, struct rc_config *cfg);
/* The "tick" timer (timer.c's table). */
int reconcile_timer_fired(struct call *c, const char *key);
/* Run a whole tick and undo it (the bench): *nactions gets how many actions it took. */
int reconcile_dry_run(struct call *c, int *nactions);

/* ---- work.c: one run of an agent on a bead ----------------------------------------------------- */

/* How a run ended without its work being done. */
enum work_end {
	WORK_FAILED,   /* the start or the run failed: counts, and the retry waits its backoff */
	WORK_LOST,     /* the agent went silent: counts, retried at once (the agent is marked lost) */
	WORK_STOPPED,  /* stopped for being quiet: counts, retried at once */
	WORK_SENT_BACK, /* the refinery sent it back (conflict, failed gates): counts as a review round */
	WORK_UNREACHABLE /* the agent host could not be reached: not the bead's fault, so no attempt is
			  * counted; retried after the host's own backoff (reconcile_host_down) */
};

/* Hook bead on agent (free), mark both working and ask the container to start the agent. */
int work_start(struct call *c, const char *agent, const char *bead);
/* Free the agent (agent may be NULL) and put the bead back to open, or fail it after too many. */
int work_requeue(struct call *c, const char *agent, const char *bead, const char *reason, enum work_end end);
/* The container's answer to a start; subject "<agent>:<bead>". */
int work_start_result(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* A heartbeat, optionally naming the bead the container runs (ERR_CONFLICT "not_holder" if not held). */
int work_heartbeat(struct call *c, const char *agent, const char *bead);
/* What an agent reports done (POST .../done, its route's fields): a polecat bead, branch and
 * commit? and summary?; a refinery bead, outcome and reason? and commit?. */
struct done_report {
	const char *bead, *branch, *commit, *summary, *outcome, *reason;
	const cJSON *diff; /* checked {base, head, files}: what the work changed (polecat) or landed (refinery) */
};
/* A refinery's outcomes, NULL-terminated. */
extern const char *const work_outcomes[];
/* done from a polecat (its bead to review) or a refinery (its verdict); the fields its role needs
 * are required here (ERR_INVALID). *out: what happened. */
int work_done(struct call *c, const char *agent, const struct done_report *r, cJSON **out);
/* The agent's process ended; a run that ended before done failed. */
int work_completed(struct call *c, const char *agent, const char *bead, int exit_code, const char *reason);

/* ---- container.c: requests to the container -------------------------------------------------- */

int container_runtime_valid(const char *name);
int container_start(struct call *c, const char *agent, const char *bead);
/* 1 when an agent of rig (NULL: the Mayor) runs a process of its own (a CLI or a command), 0 for
 * the scripted agent, -1 when storage failed. */
int container_runtime_is_command(struct call *c, const char *rig);
/* Start a run of the Mayor on message, for its author, with prompt; resume: continue the
 * runtime's last session. */
int container_start_mayor(struct call *c, const char *message, const char *author, const char *prompt,
			  int resume);
int container_stop(struct call *c, const char *agent, const char *reason);
/* Join the caller's WebSocket upgrade to the agent's terminal in the container (the shim opens the
 * signed upstream socket and pipes the two); writable: the caller may type, else only watch. */
int container_terminal(struct call *c, const char *agent, int writable);
/* Append to tries (a proxy's list, docs/host-abi.md) a signed GET of the unified diff base...head
 * in rig's clone on the container (`source: "host"`); nothing when the deployment has no container.
 * 0, or -1 with ERR_INTERNAL. */
int container_diff_try(struct call *c, const char *rig, const char *base, const char *head, cJSON *tries);
int container_message(struct call *c, const char *agent, const char *kind, const char *text);
/* Effect results of purpose "container". */
int container_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* What an agent is on: agent, bead, rig (with gates), branch, requested_by, prompt. New tree. */
cJSON *container_assignment(struct call *c, const char *agent);

/* Delete branches (an array of names) at rig's origin through the container; nothing when the
 * deployment has no container. A delete that fails leaves a stray branch, no more: not awaited. */
int container_prune(struct call *c, const char *rig, const cJSON *branches);

/* ---- attempt.c: a bead slung several ways at once --------------------------------------------- */

/* One way's variant; NULL or "" members take the rig's (and the sling's persona). */
struct attempt_variant {
	const char *model, *persona, *runtime;
};
/* Start ways attempts of bead (already checked and slung, in this call): variants v[0..nv) for the
 * first nv, the sling's persona for the rest. ERR_INVALID naming ways or variants for more ways than
 * the town's max_ways, more variants than ways, an unknown runtime, model or persona; ERR_CONFLICT
 * for an attempt slung again. */
int attempt_sling(struct call *c, const char *bead, const char *persona, int ways, const struct attempt_variant *v,
		  int nv);
/* 1 when id is an attempt (its bead into bead when given), 0 when not, -1. */
int attempt_of(struct call *c, const char *id, char *bead, size_t len);
/* An attempt's variant over rt (a start's runtime object): its runtime and model in place of the
 * rig's. 1 when id is an attempt, 0 when not (rt unchanged), -1. */
int attempt_runtime(struct call *c, const char *id, cJSON *rt);
/* A bead's attempts, oldest first: [{n, bead, model, persona, runtime, state, reason, created_ms,
 * ended_ms}] (state running, merged, superseded or failed). A new array, NULL on failure. */
cJSON *attempts_json(struct call *c, const char *bead);
/* A listener of bead changes: an attempt that merged wins, one that failed may fail its bead. */
int attempt_on_bead(struct call *c, const struct bead_change *ch);
/* A listener of the town's deletion: attempts. */
int attempt_wipe(struct call *c);

/* ---- outcome.c: what became of each piece of work, and the stats over it ----------------------- */

#define OUTCOME_MIN_SAMPLE 5 /* outcomes of a variant before it is recommended */
/* The dimensions the stats group by, NULL-terminated. */
extern const char *const outcome_dims[];
/* A polecat starts bead in a variant: its outcome opens (or, run again, runs on in this variant). */
int outcome_started(struct call *c, const char *bead, const char *agent, const char *runtime, const char *model,
		    const char *persona);
/* A listener of agents' states: a crew agent hooked to work opens its outcome (runtime "crew"). */
int outcome_on_agent(struct call *c, const struct agent_change *ch);
/* The language the work's own report measured. */
int outcome_language(struct call *c, const char *bead, const char *language);
/* Listeners: a work bead that ends fixes its outcome and adds it to the totals; a usage record adds
 * to its bead's cost (and to the totals, once it ended). A listener of the town's deletion too. */
int outcome_on_bead(struct call *c, const struct bead_change *ch);
int outcome_on_spend(struct call *c, const struct spend_change *ch);
/* A reviewer commented on bead's work (hooks/review.c): one more for its outcome. */
int outcome_comment(struct call *c, const char *bead);
int outcome_wipe(struct call *c);
/* The 95% Wilson score interval of k successes in n (n 0: [0, 1]). */
void outcome_wilson(int64_t k, int64_t n, double *low, double *high);
/* Totals by one of outcome_dims for kind and language ("" or NULL: any), optionally one key:
 * [{key, n, first_pass, merged, superseded, first_pass_rate, wilson_low, wilson_high, rework_rounds,
 * comments, cost_microusd, cost_per_attempt_microusd, cost_per_merged_microusd, wall_ms_avg}],
 * the largest samples first. A new array, NULL on failure. */
cJSON *outcome_stats_json(struct call *c, const char *by, const char *kind, const char *language, const char *key);
/* An agent's latest outcomes, newest first. */
cJSON *outcome_list_json(struct call *c, const char *agent, int limit);
/* count ended outcomes drawn from seed (the same seed, the same rows), through the same totals as
 * real ones: four models with first-pass chances 82, 94, 75, 60% and costs $0.40, $2.10, $0.50,
 * $0.10 an attempt, three personas, languages and kinds (the bench's fixture, probes.c). */
int outcome_seed(struct call *c, int64_t count, uint32_t seed);
/* An agent's record: {agent, totals (null before its first ended outcome), by_persona, by_language,
 * by_model, by_kind (rows as outcome_stats_json's), recent (its latest 20 outcomes)}. */
cJSON *outcome_agent_json(struct call *c, const char *agent);
/* 1 when agent has outcomes (a removed agent keeps its record), 0 when not, -1. */
int outcome_agent_known(struct call *c, const char *agent);
/* The variants to try for work of kind in language, ranked by expected cost per merged bead (cost
 * per attempt / first-pass rate), each with at least OUTCOME_MIN_SAMPLE outcomes and the figures
 * behind it: {kind, language, scope, min_sample, variants: [... , why]}. */
cJSON *outcome_recommend_json(struct call *c, const char *kind, const char *language);
/* The same ranking over other figures (the platform's): variants(c, kind, language) gives rows as
 * outcome_stats_json's for a scope ("" for any), a new array or NULL on failure. */
cJSON *outcome_recommend_from(struct call *c, const char *kind, const char *language,
			      cJSON *(*variants)(struct call *c, const char *kind, const char *language));
/* One row of totals as outcome_stats_json shows it, from a statement whose columns are key, n,
 * first_pass, merged, superseded, rework, comments, cost_microusd, wall_ms. */
cJSON *outcome_row_json(struct sqlite3_stmt *st);
/* The same with towns, the platform's figures' tenth column (the StatsDO's and a town's copy). */
cJSON *outcome_row_towns_json(struct sqlite3_stmt *st);
/* What the town tells the platform (docs/casting.md): its totals by all, model, persona, runtime and
 * variant (no agent, bead, title or person), persona names other than the built-ins and fine-tuned
 * model ids replaced, as rows [dim, key, kind, language, n, first_pass, merged, superseded, rework,
 * comments, cost_microusd, wall_ms], the largest samples first. A new array, NULL on failure. */
#define OUTCOME_REPORT_ROWS_MAX 5000
cJSON *outcome_report_rows(struct call *c);

/* ---- stats_report.c: the town's report to the platform's figures ------------------------------- */

/* A listener of bead changes: work that ends sets the "stats" timer (a burst makes one report). */
int stats_report_on_bead(struct call *c, const struct bead_change *ch);
/* The "stats" timer: send the StatsDO all of the totals, or withdraw them when the town no longer
 * shares (a do:// effect, purpose "stats"); and its result: a report not taken is sent again. */
int stats_report_fired(struct call *c, const char *key);
int stats_report_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* Adds {share_stats, seq, shared} to out: whether the town shares, its last report's number and
 * whether the platform may hold its figures. */
int stats_report_state_json(struct call *c, cJSON *out);
/* A listener of the town's deletion: withdraws its figures. */
int stats_report_wipe(struct call *c);
/* The platform's figures by variant for kind and language ("" for any), as the StatsDO last
 * answered the town's report: rows as outcome_stats_json's with towns. A new array, NULL on failure. */
cJSON *stats_platform_variants(struct call *c, const char *kind, const char *language);

/* ---- platform_stats.c: the StatsDO, the platform's figures across towns -------------------------- */

#define PLATFORM_MIN_TOWNS 2 /* towns a figure rests on before the platform shows it */
#define PLATFORM_VARIANTS_MAX 2000 /* variant rows a report's answer carries back to the town */
extern const struct fields platform_report_body;
extern const char *const platform_dims[];
/* PUT /_internal/reports/:town: a town's report replaces its contribution unless a newer was taken. */
int platform_take_report(struct call *c);
/* The "stats-sum" timer: the contributions summed into the cross-town totals. */
int platform_sum_fired(struct call *c, const char *key);
/* Cross-town totals by one of platform_dims, as outcome_stats_json's rows with towns. */
cJSON *platform_stats_json(struct call *c, const char *by, const char *kind, const char *language);
/* Towns whose figures the platform holds. */
int platform_towns(struct call *c, int64_t *n);
/* outcome_recommend_json over the platform's figures. */
cJSON *platform_recommend_json(struct call *c, const char *kind, const char *language);

/* ---- pull_request.c: merge requests of `pr` rigs ------------------------------------------------- */

/* Open a pull request for merge request mr (an effect); its answer and the "pr" timer follow it. */
int pr_open(struct call *c, const char *mr);
/* A GitHub App's credential for the `pr` rigs, from the hooks layer above this one (wiring.c): 1
 * when the town speaks to GitHub as an App, 0 when not, -1. And a call to GitHub's API (path from
 * its root, the integration's api_url) as that App: 1 made or queued for its token, 0 not made. */
extern int (*const pr_github_app)(struct call *c);
extern int (*const pr_github_app_call)(struct call *c, const char *purpose, const char *subject, const char *method,
				       const char *path, const cJSON *body);
int pr_timer_fired(struct call *c, const char *mr);
int pr_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* Append to tries the platform's diff of bead's work as a unified diff: GitHub's compare of
 * base...head (`source: "github"`), or on a GitLab rig the raw diffs of the merge request opened for
 * the bead (`source: "gitlab"`: GitLab's compare answers only JSON), with the rig's api_url and
 * repository and the town's token. Nothing when the town has no token, the rig no repository or
 * (GitLab) the bead no merge request. 0, or -1 when storage failed. */
int pr_compare_try(struct call *c, const char *bead, const char *rig, const char *base, const char *head, cJSON *tries);

/* ---- diff_view.c: a bead's diff as people see it --------------------------------------------- */

/* The diff recorded for bead (which exists) as GET .../beads/:bead/diff answers it: {bead, recorded,
 * branch, base, head, landed, files, totals, source: null, diff: null, reason}; when one was
 * recorded, c->proxy asks the shim to fill diff (and source) from the agent host, else the
 * platform. A new object, NULL with c->err set. */
cJSON *diff_view(struct call *c, const char *bead);

/* ---- listeners and probes of this layer (wiring.c) --------------------------------------------- */

/* Work that may be startable (a bead created with a rig, one whose rig, hold or status changed)
 * asks for a tick now. */
int reconcile_on_bead(struct call *c, const struct bead_change *ch);
/* An agent is idle again (released, unhooked): a tick may give it waiting work. */
int reconcile_on_agent(struct call *c, const struct agent_change *ch);
/* A listener of the town's deletion: reconciler_state, dispatch_failures. */
int reconcile_wipe(struct call *c);
/* A member's message waits for the Mayor: a tick starts it. */
int reconcile_on_mayor(struct call *c);
/* A budget changed: a tick decides again what is held back. */
int reconcile_on_budget(struct call *c);
/* 1 when the next tick must fail (a test probe; wiring.c points it at test hooks), 0 otherwise. */
extern int (*const tick_fault_probe)(struct call *c);

/* ---- mayor_run.c: the living Mayor ----------------------------------------------------------- */

/* Each tick: a Mayor whose heartbeats stopped is lost (its message waits again); an idle Mayor with
 * a waiting message and a command runtime starts a run on it. 1 when the Mayor runs (the tick stays
 * busy), 0 when not, -1 on failure. */
int mayor_run_tick(struct call *c, const struct rc_config *cfg);
/* The run on message did not start or was lost: the Mayor is state ("idle", "lost") and the
 * message waits for its next run unless it was answered. */
int mayor_run_failed(struct call *c, const char *message, const char *state, const char *why);
/* The Mayor's process ended: its message is answered (with a note when the run did not answer). */
int mayor_run_completed(struct call *c, int exit_code);

/* ---- crew.c: members' own machines ------------------------------------------------------------ */

/* Each tick: a crew agent silent for lost_after_s is offline ("lost") and the work on its hook goes
 * back to the pool. 1 while a crew agent is online (the tick stays busy to notice it going). */
int crew_tick(struct call *c, const struct rc_config *cfg);

#endif
