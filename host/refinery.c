/*
 * refinery.c - a refinery's merge, done by the host itself in the refinery's worktree (inside the
 * agent-run child): merge the work branch into the target with --no-ff, run the rig's gates on
 * the merged tree, push the target. The outcome is written as {"done": {...}} to the result file;
 * the host posts it to the town as the refinery's `done` when the process has ended.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host.h"

struct outcome {
	const char *outcome; /* "merged", "conflict", "failed" */
	char reason[1024];
	char commit[64];
};

static int set_outcome(struct outcome *o, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_outcome(struct outcome *o, const char *what, const char *fmt, ...)
{
	va_list ap;

	o->outcome = what;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof o->reason, fmt, ap);
	va_end(ap);
	return -1;
}

/* The conflicting files, comma separated, into out. */
static void conflicts(const char *work, char *out, size_t cap)
{
	char names[1024];

	out[0] = '\0';
	if (git_out(work, names, sizeof names, "diff", "--name-only", "--diff-filter=U", NULL) != 0)
		return;
	for (char *p = names; *p && strlen(out) + 3 < cap; p++) {
		size_t len = strlen(out);
		if (*p == '\n') {
			snprintf(out + len, cap - len, ", ");
		} else {
			out[len] = *p;
			out[len + 1] = '\0';
		}
	}
}

/* One attempt: target from origin, merge, gates. 0 when the merge is ready to push. */
static int merge_once(const cJSON *spec, struct outcome *o)
{
	const char *work = spec_str(spec, "work"), *branch = spec_str(spec, "branch");
	const char *target = spec_str(spec, "target");
	const cJSON *gate;
	char remote_target[HOST_BRANCH_MAX + 16], remote_branch[HOST_BRANCH_MAX + 16], files[512];
	char sha[64];
	int rc;

	snprintf(remote_target, sizeof remote_target, "origin/%s", target);
	snprintf(remote_branch, sizeof remote_branch, "origin/%s", branch);
	if (git(work, "checkout", "-q", "-f", "--ignore-other-worktrees", "-B", target, remote_target,
		"--", NULL) != 0)
		return set_outcome(o, "failed", "cannot check out %s", remote_target);
	git(work, "clean", "-q", "-fd", NULL);
	if (git_out(work, sha, sizeof sha, "rev-parse", "-q", "--verify", remote_branch, NULL) != 0)
		return set_outcome(o, "failed", "branch %s is not on origin", branch);
	printf("gastown-host: merging %s into %s\n", branch, target);
	/* --no-verify: the message carries its trailers already (Bead-ID is the work bead's). */
	rc = git(work, "merge", "-q", "--no-ff", "--no-edit", "--no-verify", "-m",
		 spec_str(spec, "merge_message"), remote_branch, NULL);
	if (rc != 0) {
		conflicts(work, files, sizeof files);
		git(work, "merge", "--abort", NULL);
		if (files[0])
			return set_outcome(o, "conflict", "conflict in: %s", files);
		return set_outcome(o, "failed", "git merge %s failed (exit %d)", branch, rc);
	}
	cJSON_ArrayForEach(gate, cJSON_GetObjectItemCaseSensitive(spec, "gates")) {
		const char *cmd = cJSON_GetStringValue(gate);
		if (!cmd)
			continue;
		printf("gastown-host: gate: %s\n", cmd);
		rc = shell_run(work, cmd);
		if (rc != 0) {
			/* The target goes back to origin's: nothing of a failed merge stays. */
			git(work, "reset", "-q", "--hard", remote_target, NULL);
			return set_outcome(o, "failed", "gate `%s` failed (exit %d)", cmd, rc);
		}
	}
	return git_out(work, o->commit, sizeof o->commit, "rev-parse", "HEAD", NULL) == 0
		       ? 0 : set_outcome(o, "failed", "cannot read the merge commit");
}

static int fetch(const cJSON *spec)
{
	int lock = rig_lock(spec_str(spec, "lock")), rc;

	if (lock < 0)
		return -1;
	rc = rig_ensure(spec_str(spec, "repo"), spec_str(spec, "git_url"), 1);
	if (rc == 0) {
		char remote_target[HOST_BRANCH_MAX + 16];
		snprintf(remote_target, sizeof remote_target, "origin/%s", spec_str(spec, "target"));
		rc = worktree_ensure_detached(spec_str(spec, "repo"), spec_str(spec, "work"), remote_target);
	}
	rig_unlock(lock);
	return rc;
}

static void write_result(const cJSON *spec, const struct outcome *o, cJSON *landed)
{
	cJSON *r = cJSON_CreateObject(), *done = cJSON_AddObjectToObject(r, "done");
	char *text;

	cJSON_AddStringToObject(done, "bead", spec_str(spec, "bead"));
	cJSON_AddStringToObject(done, "outcome", o->outcome);
	if (o->reason[0])
		cJSON_AddStringToObject(done, "reason", o->reason);
	if (o->commit[0])
		cJSON_AddStringToObject(done, "commit", o->commit);
	if (landed)
		cJSON_AddItemToObject(done, "diff", landed);
	text = cJSON_PrintUnformatted(r);
	if (!text || write_file_atomic(spec_str(spec, "result"), text, strlen(text), 0600) < 0)
		fprintf(stderr, "gastown-host: cannot write the merge result\n");
	cJSON_free(text);
	cJSON_Delete(r);
}

int refinery_merge(const cJSON *spec)
{
	const char *target = spec_str(spec, "target");
	struct outcome o = {.outcome = "failed"};
	char refspec[HOST_BRANCH_MAX + 32];
	cJSON *landed = NULL; /* write_result's */

	snprintf(refspec, sizeof refspec, "HEAD:refs/heads/%s", target);
	/* A push refused (the target moved on meanwhile) is tried once more over the new target. */
	for (int attempt = 1; attempt <= 2; attempt++) {
		if (fetch(spec) < 0) {
			set_outcome(&o, "failed", "cannot fetch %s", spec_str(spec, "git_url"));
			break;
		}
		if (merge_once(spec, &o) < 0)
			break;
		if (git(spec_str(spec, "work"), "push", "-q", "origin", refspec, NULL) == 0) {
			o.outcome = "merged";
			o.reason[0] = '\0';
			break;
		}
		set_outcome(&o, "failed", "push of %s to origin was refused (attempt %d)", target, attempt);
		o.commit[0] = '\0';
		if (attempt == 1)
			printf("gastown-host: push refused; fetching and merging again\n");
	}
	printf("gastown-host: %s: %s%s%s\n", o.outcome, o.commit[0] ? o.commit : "",
	       o.reason[0] ? " " : "", o.reason);
	/* What landed: the merge commit against the target it was made on (its first parent). */
	if (strcmp(o.outcome, "merged") == 0) {
		char parent[80];

		if (git_out(spec_str(spec, "work"), parent, sizeof parent, "rev-parse", "-q", "--verify", "HEAD^1", NULL) == 0)
			landed = diffstat_report(git_run, spec_str(spec, "work"), parent, o.commit);
	}
	write_result(spec, &o, landed);
	return strcmp(o.outcome, "merged") == 0 ? 0 : 1;
}
