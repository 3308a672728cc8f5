/*
 * work.c - one run of an agent on a bead, from dispatch to its end: the start (hook the bead, ask
 * the container to start the agent), the container's answer, the reports that end a run (done,
 * completed), and the way back when a run fails (requeue with backoff, fail after too many). The
 * reconciler (reconcile.c) decides when; this file keeps the bead, the agent and the feed in step.
 *
 * Everything here is attributed to the human at the root of the bead, whoever the actor is.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"

#define REVIEWS_MAX 3 /* rounds the refinery may send a bead back before it fails */

static int load_bead(struct call *c, const char *id, struct bead_run *b)
{
	int found = bead_run_get(c, id, b);

	if (found < 0)
		return -1;
	return found ? 0 : err_set(&c->err, ERR_NOT_FOUND, "bead", "no bead '%s' in this town", id);
}

/* The agent's role and hook ("" when none); -1 with ERR_NOT_FOUND when it does not exist, or with
 * the storage failure. */
static int load_agent(struct call *c, const char *id, char *role, size_t rlen, char *hook, size_t hlen)
{
	int found = agent_role_hook(c, id, role, rlen, hook, hlen);

	if (found < 0)
		return -1;
	return found ? 0 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", id);
}

/* Run body with the bead's requester as the human on record (the caller may be the town itself,
 * a bot, or an agent). */
#define AS_REQUESTER(c, rb, body)                                                                  \
	do {                                                                                       \
		char saved_[sizeof(c)->who.requested_by];                                          \
		memcpy(saved_, (c)->who.requested_by, sizeof saved_);                              \
		snprintf((c)->who.requested_by, sizeof (c)->who.requested_by, "%s", (rb));          \
		body;                                                                              \
		memcpy((c)->who.requested_by, saved_, sizeof saved_);                              \
	} while (0)

static int start_inner(struct call *c, const char *agent, const char *role, const char *bead,
		       const struct bead_run *b)
{
	char branch[160];
	int polecat = strcmp(role, "polecat") == 0, rc;
	struct bead_fields f = {.status = "in_progress", .assignee = agent, .priority = -1};

	if ((rc = agent_take(c, agent, bead, b->requested_by)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_CONFLICT, "agent_id", "%s is already working", agent);
	if (bead_update(c, bead, &f, 0) < 0)
		return -1;
	/* A polecat works on its own branch of the bead, or a review's fix on its pull request's
	 * branch; a refinery merges the branch it is given. */
	if (polecat) {
		char persona[PERSONA_NAME_MAX + 1] = "";

		if ((rc = bead_review_branch(c, bead, branch, sizeof branch)) < 0)
			return -1;
		if (!rc)
			snprintf(branch, sizeof branch, "gt/%s/%s", agent, bead);
		if (bead_run_started(c, bead, branch, agent) < 0 || bead_persona(c, bead, persona, sizeof persona) < 0)
			return -1;
		/* The agent wears the bead's persona for this run: its card and the bead's history say so. */
		if (*persona && (agent_set_persona(c, agent, persona) < 0 ||
				 event_append(c, "bead.cast", bead, "persona", NULL, persona) < 0))
			return -1;
	}
	if (event_append(c, "bead.dispatched", bead, "agent", NULL, agent) < 0)
		return -1;
	return container_start(c, agent, bead);
}

int work_start(struct call *c, const char *agent, const char *bead)
{
	struct bead_run b;
	char role[16], hook[72];
	int rc;

	if (load_bead(c, bead, &b) < 0 || load_agent(c, agent, role, sizeof role, hook, sizeof hook) < 0)
		return -1;
	AS_REQUESTER(c, b.requested_by, rc = start_inner(c, agent, role, bead, &b));
	return rc;
}

static int requeue_inner(struct call *c, const char *agent, const char *bead, const char *reason,
			 enum work_end end, struct bead_run *b)
{
	int max_attempts, attempts = b->attempts + (end != WORK_SENT_BACK && end != WORK_UNREACHABLE);
	double retry = end == WORK_FAILED ? c->now_ms + rc_backoff_ms(attempts) : c->now_ms;
	const char *to = "open";
	char final_reason[400];

	if (agent && agent_release(c, agent, end == WORK_LOST ? "lost" : "idle") < 0)
		return -1;
	if (rig_max_attempts(c, b->rig, &max_attempts) < 0 ||
	    (end == WORK_UNREACHABLE && reconcile_host_down(c, &retry) < 0))
		return -1;
	if (end == WORK_SENT_BACK)
		b->reviews++;
	snprintf(final_reason, sizeof final_reason, "%s", reason);
	if (attempts >= max_attempts || b->reviews >= REVIEWS_MAX) {
		to = "failed";
		snprintf(final_reason, sizeof final_reason, "%s after %d %s: %s",
			 attempts >= max_attempts ? "gave up" : "sent back",
			 attempts >= max_attempts ? attempts : b->reviews,
			 attempts >= max_attempts ? "runs" : "reviews", reason);
	}
	if (bead_run_ended(c, bead, attempts, b->reviews, retry, final_reason) < 0 ||
	    (end == WORK_FAILED && reconcile_dispatch_failed(c, bead, reason) < 0))
		return -1;
	if (event_append(c, strcmp(to, "failed") == 0 ? "bead.failed" : "bead.requeued", bead, "failure", NULL,
			 final_reason) < 0 ||
	    bead_set_status(c, bead, to, strcmp(to, "failed") == 0 ? final_reason : NULL) < 0)
		return -1;
	if (strcmp(to, "failed") == 0) {
		char title[200], esc[48];

		snprintf(title, sizeof title, "Bead %s failed", bead);
		if (escalation_raise(c, "high", title, final_reason, bead, esc, sizeof esc) < 0)
			return -1;
	}
	return reconcile_soon(c);
}

int work_requeue(struct call *c, const char *agent, const char *bead, const char *reason, enum work_end end)
{
	struct bead_run b;
	int rc;

	if (load_bead(c, bead, &b) < 0)
		return -1;
	/* A bead that already ended (closed, failed, deleted and made again) is not reopened. */
	if (strcmp(b.status, "in_progress") != 0 && strcmp(b.status, "in_review") != 0)
		return agent ? agent_release(c, agent, end == WORK_LOST ? "lost" : "idle") : 0;
	AS_REQUESTER(c, b.requested_by, rc = requeue_inner(c, agent, bead, reason, end, &b));
	return rc;
}

/* Does agent hold bead right now? */
static int holds(struct call *c, const char *agent, const char *bead)
{
	char role[16], hook[72];

	if (load_agent(c, agent, role, sizeof role, hook, sizeof hook) < 0)
		return -1;
	return strcmp(hook, bead) == 0;
}

static int error_is(const cJSON *error, const char *code)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(error, "code"));

	return s && strcmp(s, code) == 0;
}

int work_start_result(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	char agent[72], bead[72], reason[400];
	const char *sep = strchr(subject, ':');
	int status = effect_status(result);
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(result, "error");
	cJSON *answer;
	int rc;

	if (!sep || (size_t)(sep - subject) >= sizeof agent)
		return 0;
	snprintf(agent, sizeof agent, "%.*s", (int)(sep - subject), subject);
	snprintf(bead, sizeof bead, "%s", sep + 1);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && status >= 200 && status < 300)
		return reconcile_host_up(c);
	if ((rc = holds(c, agent, bead)) <= 0) {
		if (rc == 0 || !err_take(&c->err, ERR_NOT_FOUND))
			return rc;
		return 0; /* the agent is gone: nothing to undo */
	}
	/* No answer came back (the object was evicted while the call was out), but the agent has sent
	 * a heartbeat since it was started: the start worked, and requeueing would stop a live run. */
	if (error && error_is(error, "lost") && (rc = agent_heard_since_start(c, agent)) != 0)
		return rc < 0 ? -1 : 0;
	if (error)
		snprintf(reason, sizeof reason, "the container did not start %s: %s", agent,
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(error, "code")) ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(error, "code")) : "error");
	else
		snprintf(reason, sizeof reason, "the container did not start %s: HTTP %d", agent, status);
	/* The host says why in its error envelope: a refused start is a setting to fix, so say it. */
	if (!error && body && len && (answer = cJSON_ParseWithLength(body, len))) {
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(answer, "error"), "message"));
		if (why && *why)
			snprintf(reason, sizeof reason, "the container did not start %s: HTTP %d: %.200s", agent, status, why);
		cJSON_Delete(answer);
	}
	/* The Mayor's run is on a message, not a bead. */
	if (strcmp(agent, "mayor") == 0)
		return mayor_run_failed(c, bead, "idle", reason);
	/* Nobody answered at all: the host is down, which says nothing about the bead. */
	if (error && error_is(error, "connect_failed")) {
		snprintf(reason, sizeof reason, "the agent host is unreachable (connect_failed); %s waits for it,"
			 " and this is not counted as an attempt", bead);
		return work_requeue(c, agent, bead, reason, WORK_UNREACHABLE);
	}
	return work_requeue(c, agent, bead, reason, WORK_FAILED);
}

static int not_holder(struct call *c, const char *agent, const char *bead)
{
	snprintf(c->err.reason, sizeof c->err.reason, "not_holder");
	return err_set(&c->err, ERR_CONFLICT, "bead", "%s does not hold %s: stop working on it", agent, bead);
}

int work_heartbeat(struct call *c, const char *agent, const char *bead)
{
	int rc;

	if (bead && (rc = holds(c, agent, bead)) <= 0)
		return rc < 0 ? -1 : not_holder(c, agent, bead);
	return agent_heartbeat(c, agent);
}

/* A polecat finished: its bead waits for review and a merge request joins the rig's queue. */
/* The repository's language the report measured: the rig's now, and this work's outcome's. */
static int note_language(struct call *c, const char *bead, const char *rig, const cJSON *diff)
{
	const char *language = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(diff, "language"));

	if (!language || !*rig)
		return 0;
	return rig_set_language(c, rig, language) < 0 || (bead && outcome_language(c, bead, language) < 0) ? -1 : 0;
}

static int polecat_done(struct call *c, const char *agent, const char *bead, const struct bead_run *b,
			const char *branch, const char *commit, const char *summary, char *mr, size_t mr_len)
{
	char title[240], work[181] = "", fixed[201];
	struct bead_fields f = {.type = "merge-request", .priority = 1, .rig = b->rig, .parent = bead,
				.body = summary ? summary : ""};
	int rc;

	/* A review's fix is pushed to the pull request itself: it is done, with no merge request of its own. */
	if ((rc = bead_review_branch(c, bead, fixed, sizeof fixed)) != 0) {
		snprintf(title, sizeof title, "fix pushed to %.120s%s%.60s", fixed, commit ? " as " : "", commit ? commit : "");
		return rc < 0 || event_append(c, "bead.done", bead, "commit", NULL, commit) < 0 ||
		       bead_set_status(c, bead, "closed", title) < 0 ? -1 : agent_release(c, agent, "idle");
	}
	if (bead_title(c, bead, work, sizeof work) < 0)
		return -1;
	snprintf(title, sizeof title, "Merge %s: %s", bead, work);
	f.title = title;
	if (bead_set_branch(c, bead, branch) < 0 || event_append(c, "bead.done", bead, "commit", NULL, commit) < 0 ||
	    bead_set_status(c, bead, "in_review", NULL) < 0 || bead_create(c, &f, mr, mr_len) < 0 ||
	    bead_set_branch(c, mr, branch) < 0)
		return -1;
	return agent_release(c, agent, "idle");
}

/* The refinery's verdict on a merge request: merged closes the work, anything else sends it back. */
static int refinery_done(struct call *c, const char *agent, const char *mr, const struct bead_run *b,
			 const char *outcome, const char *reason, const char *commit, const cJSON *diff)
{
	char why[400];

	if (strcmp(outcome, "merged") == 0) {
		snprintf(why, sizeof why, "merged%s%s", commit ? " as " : "", commit ? commit : "");
		if (agent_release(c, agent, "idle") < 0 || bead_set_status(c, mr, "closed", why) < 0)
			return -1;
		/* What landed replaces what the polecat's branch had: the work bead shows it from now on. */
		if (diff && *b->parent && bead_diff_record(c, b->parent, NULL, diff, 1) < 0)
			return -1;
		return *b->parent ? bead_set_status(c, b->parent, "closed", why) : 0;
	}
	snprintf(why, sizeof why, "%s: %s", outcome, reason && *reason ? reason : "no reason given");
	if (agent_release(c, agent, "idle") < 0 || bead_set_status(c, mr, "failed", why) < 0)
		return -1;
	return *b->parent ? work_requeue(c, NULL, b->parent, why, WORK_SENT_BACK) : 0;
}

static int valid_ref(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 200 && s[0] != '-' && !strstr(s, "..") &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") == n;
}

const char *const work_outcomes[] = {"merged", "conflict", "failed", NULL};

int work_done(struct call *c, const char *agent, const struct done_report *r, cJSON **out)
{
	const char *bead = r->bead, *outcome = NULL;
	char role[16], hook[72], mr[48] = "";
	struct bead_run b;
	int rc;

	if (load_agent(c, agent, role, sizeof role, hook, sizeof hook) < 0)
		return -1;
	if (strcmp(hook, bead) != 0)
		return not_holder(c, agent, bead);
	if (load_bead(c, bead, &b) < 0)
		return -1;
	if (strcmp(role, "refinery") == 0) {
		if (!(outcome = r->outcome))
			return err_set(&c->err, ERR_INVALID, "outcome", "'outcome' is required");
		/* What landed measures the rig too (the merge request's own outcome is none). */
		if (note_language(c, NULL, b.rig, r->diff) < 0)
			return -1;
		AS_REQUESTER(c, b.requested_by, rc = refinery_done(c, agent, bead, &b, outcome, r->reason, r->commit, r->diff));
	} else {
		if (note_language(c, bead, b.rig, r->diff) < 0)
			return -1;
		if (!r->branch)
			return err_set(&c->err, ERR_INVALID, "branch", "'branch' is required");
		if (!valid_ref(r->branch))
			return err_set(&c->err, ERR_INVALID, "branch", "'branch' is not a usable branch name");
		AS_REQUESTER(c, b.requested_by,
			     rc = polecat_done(c, agent, bead, &b, r->branch, r->commit, r->summary, mr, sizeof mr));
		if (rc == 0 && r->diff && bead_diff_record(c, bead, r->branch, r->diff, 0) < 0)
			rc = -1;
	}
	if (rc < 0 || reconcile_soon(c) < 0)
		return -1;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "bead", bead);
	if (*mr)
		cJSON_AddStringToObject(*out, "merge_request", mr);
	if (outcome)
		cJSON_AddStringToObject(*out, "outcome", outcome);
	return 0;
}

int work_completed(struct call *c, const char *agent, const char *bead, int exit_code, const char *reason)
{
	char role[16], hook[72], why[400];

	if (load_agent(c, agent, role, sizeof role, hook, sizeof hook) < 0)
		return -1;
	if (strcmp(role, "mayor") == 0)
		return mayor_run_completed(c, exit_code);
	/* The run of a bead the agent no longer holds (it reported done, or was moved on) ended:
	 * nothing to undo. */
	if (!*hook || (bead && strcmp(hook, bead) != 0))
		return 0;
	snprintf(why, sizeof why, "%s exited with code %d before reporting done%s%s", agent, exit_code,
		 reason && *reason ? ": " : "", reason ? reason : "");
	return work_requeue(c, agent, hook, why, WORK_FAILED);
}
