/*
 * pull_request.c - merge requests of a rig whose strategy is `pr`: instead of the refinery merging,
 * the town opens a pull request on the platform (GitHub's REST API) and follows it until it is
 * merged or closed. Every call is an effect; the answer moves the merge request on. The platform is
 * the rig's `platform` setting (github, or gitlab for merge requests), the API its `api_url` (default
 * the platform's), the repository its `repo` setting or the last two parts of its git url, the token
 * the town's secret `github_token` (`gitlab_token`) or, when the town connected GitHub as an App,
 * the App's installation token (the call then goes through the hooks layer, to the integration's
 * api_url). A GitLab merge request is followed by its iid exactly as a pull request by its number.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"

#define PR_TIMEOUT_MS 20000
#define PR_COMPARE_TIMEOUT_MS 10000 /* a diff asked while someone waits for the page */
#define PR_POLL_MS 60000.0

/* What a call to the platform needs for one merge request. */
struct pr_target {
	char mr[72], work[72], rig[72], branch[201], base[101], title[240];
	char api[201], repo[201], token[512];
	int number; /* 0 until opened */
	int gitlab;
	int app;    /* GitHub as the town's App (pr_github_app) */
};

/* The merge request (bead.c), its rig's platform (rig.c) and the town's token (town.c). */
static int load_target(struct call *c, const char *mr, struct pr_target *t)
{
	struct bead_mr m;
	struct rig_platform p;
	int found;

	memset(t, 0, sizeof *t);
	if ((found = bead_merge_request(c, mr, &m)) > 0)
		found = rig_platform(c, m.rig, &p);
	if (found < 0)
		return -1;
	if (!found)
		return err_set(&c->err, ERR_NOT_FOUND, "bead", "no merge request '%s' with a work bead and a rig", mr);
	snprintf(t->mr, sizeof t->mr, "%s", mr);
	snprintf(t->work, sizeof t->work, "%s", m.work);
	snprintf(t->rig, sizeof t->rig, "%s", m.rig);
	snprintf(t->branch, sizeof t->branch, "%s", m.branch);
	snprintf(t->base, sizeof t->base, "%s", p.base);
	snprintf(t->title, sizeof t->title, "%s", m.title);
	snprintf(t->api, sizeof t->api, "%s", p.api);
	snprintf(t->repo, sizeof t->repo, "%s", p.repo);
	t->gitlab = p.gitlab;
	if ((!p.gitlab && (t->app = pr_github_app(c)) < 0) ||
	    (!t->app && town_secret(c, p.gitlab ? "gitlab_token" : "github_token", t->token, sizeof t->token) < 0))
		return -1;
	t->number = m.number;
	return 0;
}

static int call_platform(struct call *c, const struct pr_target *t, const char *method, const char *path,
			 const cJSON *body, const char *subject)
{
	char url[1300], auth[560], fx[48], project[620];
	char *text = body ? json_print(body) : NULL;
	cJSON *headers = cJSON_CreateObject();
	struct effect_req r = {.purpose = "pr", .subject = subject, .method = method, .url = url,
			       .headers = headers, .body = text, .timeout_ms = PR_TIMEOUT_MS};
	int rc;

	if (t->app) {
		/* The App's token is the hooks layer's to mint and cache; a call it cannot make now is
		 * answered as a failed one, so the merge request's own retries take it from there. */
		cJSON_Delete(headers);
		cJSON_free(text);
		snprintf(url, sizeof url, "/repos/%s%s", t->repo, path);
		if ((rc = pr_github_app_call(c, "pr", subject, method, url, body)) != 0)
			return rc < 0 ? -1 : 0;
		return effect_fail_unsent(c, "pr", subject, "no_token", "the GitHub App could not be used yet");
	}
	if (t->gitlab) {
		/* GitLab names a project by its path, escaped as one segment ("group%2Fapp"). */
		query_escape(t->repo, project, sizeof project);
		snprintf(url, sizeof url, "%s/projects/%s%s", t->api, project, path);
		cJSON_AddStringToObject(headers, "private-token", t->token);
	} else {
		snprintf(url, sizeof url, "%s/repos/%s%s", t->api, t->repo, path);
		snprintf(auth, sizeof auth, "Bearer %s", t->token);
		cJSON_AddStringToObject(headers, "authorization", auth);
		cJSON_AddStringToObject(headers, "accept", "application/vnd.github+json");
		cJSON_AddStringToObject(headers, "x-github-api-version", "2022-11-28");
	}
	cJSON_AddStringToObject(headers, "user-agent", "gastown-edge");
	if (text)
		cJSON_AddStringToObject(headers, "content-type", "application/json");
	rc = effect_submit(c, &r, fx, sizeof fx);
	cJSON_Delete(headers);
	cJSON_free(text);
	return rc;
}

/* The merge request could not go on: it fails and its work goes back with the reason. */
static int give_back(struct call *c, const struct pr_target *t, const char *reason)
{
	char status[16] = "";

	if (bead_status_get(c, t->mr, status, sizeof status) < 0)
		return -1;
	if (strcmp(status, "in_progress") != 0)
		return 0; /* already decided */
	if (bead_set_status(c, t->mr, "failed", reason) < 0)
		return -1;
	return *t->work ? work_requeue(c, NULL, t->work, reason, WORK_SENT_BACK) : 0;
}

int pr_open(struct call *c, const char *mr)
{
	struct pr_target t;
	struct bead_fields f = {.status = "in_progress", .priority = -1};
	char body_text[400], subject[96];
	cJSON *body;
	int rc;

	if (load_target(c, mr, &t) < 0 || bead_update(c, mr, &f, 0) < 0)
		return -1;
	if ((!*t.token && !t.app) || !*t.repo || !*t.branch)
		return give_back(c, &t, !*t.token && !t.app ? (t.gitlab ? "no merge request: the town has no gitlab_token secret"
							       : "no pull request: the town has no github_token secret")
					: !*t.repo ? "no pull request: the rig's repository is unknown (set its repo setting)"
					: "no pull request: the merge request names no branch");
	body = cJSON_CreateObject();
	snprintf(body_text, sizeof body_text, "Bead-ID: %s\nMerge request: %s\n\nOpened by Gastown Edge.", t.work, mr);
	cJSON_AddStringToObject(body, "title", t.title);
	cJSON_AddStringToObject(body, t.gitlab ? "source_branch" : "head", t.branch);
	cJSON_AddStringToObject(body, t.gitlab ? "target_branch" : "base", t.base);
	cJSON_AddStringToObject(body, t.gitlab ? "description" : "body", body_text);
	snprintf(subject, sizeof subject, "open:%s", mr);
	rc = event_append(c, "bead.pr_requested", mr, "branch", NULL, t.branch) < 0 ? -1
		: call_platform(c, &t, "POST", t.gitlab ? "/merge_requests" : "/pulls", body, subject);
	cJSON_Delete(body);
	return rc;
}

/* Follow the pull request again after the rig's pr_poll_s (2 s to a day; a minute by default). */
static int poll_later(struct call *c, const char *mr)
{
	double every = PR_POLL_MS, s;
	char rig[72] = "", user[130];
	int rc;

	/* The merge request's rig (bead.c), and its setting (rig.c). */
	if (bead_rig_requester(c, mr, rig, sizeof rig, user, sizeof user) < 0 ||
	    (rc = *rig ? rig_pr_poll_s(c, rig, &s) : 0) < 0)
		return -1;
	if (rc)
		every = (s < 2 ? 2 : s > 86400 ? 86400 : s) * 1000.0;
	return timer_set(c, "pr", mr, c->now_ms + every);
}

int pr_timer_fired(struct call *c, const char *mr)
{
	struct pr_target t;
	char path[64], subject[96];

	if (load_target(c, mr, &t) < 0)
		return err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1; /* gone: nothing to follow */
	if (!t.number)
		return 0;
	snprintf(path, sizeof path, t.gitlab ? "/merge_requests/%d" : "/pulls/%d", t.number);
	snprintf(subject, sizeof subject, "poll:%s", mr);
	return call_platform(c, &t, "GET", path, NULL, subject);
}

static int opened(struct call *c, const struct pr_target *t, const cJSON *pr)
{
	const cJSON *number = cJSON_GetObjectItemCaseSensitive(pr, t->gitlab ? "iid" : "number");
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pr, t->gitlab ? "web_url" : "html_url"));

	if (!cJSON_IsNumber(number) || number->valuedouble < 1)
		return give_back(c, t, "the platform's answer to the pull request names no number");
	if (bead_set_pull_request(c, t->mr, number->valueint, url) < 0 ||
	    event_append(c, "bead.pr_opened", t->mr, "pull_request", NULL, url ? url : "") < 0)
		return -1;
	return poll_later(c, t->mr);
}

/* The pull request conflicts with its base: one bead (at a time) to merge the base into its branch. */
static int conflicted(struct call *c, const struct pr_target *t)
{
	char open[72], bead[48], title[160], body[900];
	struct bead_run w;
	struct bead_fields f = {.type = "task", .priority = 1, .parent = t->mr, .held_set = 1, .held = 0};
	cJSON *labels, *meta, *r;
	int rc = 0;

	if (!*t->work || (rc = bead_child_open(c, t->mr, "conflict", open, sizeof open)) != 0 || bead_run_get(c, t->work, &w) < 0)
		return rc < 0 || c->err.code ? -1 : 0;
	snprintf(title, sizeof title, "Resolve the merge conflict of pull request #%d", t->number);
	snprintf(body, sizeof body, "Pull request #%d (branch %s) no longer merges into %s. Work on the branch %s: merge"
		 " origin/%s into it, resolve the conflicts keeping both sides' intent, run the rig's checks, commit and push"
		 " to the same branch, then report done.", t->number, t->branch, t->base, t->branch, t->base);
	labels = cJSON_CreateArray();
	cJSON_AddItemToArray(labels, cJSON_CreateString("conflict"));
	meta = cJSON_CreateObject();
	r = cJSON_AddObjectToObject(meta, "review");
	cJSON_AddStringToObject(r, "kind", "conflict");
	cJSON_AddStringToObject(r, "branch", t->branch);
	cJSON_AddNumberToObject(r, "pull_request", t->number);
	f.title = title;
	f.body = body;
	f.rig = w.rig;
	f.labels = labels;
	f.metadata = meta;
	rc = bead_create(c, &f, bead, sizeof bead) < 0 || (*w.worked_by && bead_set_worked_by(c, bead, w.worked_by) < 0) ||
	     event_append(c, "bead.pr_conflict", t->mr, "bead", NULL, bead) < 0 ? -1 : 0;
	cJSON_Delete(labels);
	cJSON_Delete(meta);
	return rc;
}

/* Checks pass and it merges cleanly: with the rig's auto_merge_delay_s set and no review left open,
 * merge once the same head has stayed ready that long (a push since starts the wait again). */
static int ready(struct call *c, const struct pr_target *t, const char *head)
{
	int64_t open, total;
	double delay;
	cJSON *mark, *since;
	const char *was;
	char path[64], subject[96];
	int rc;

	if ((rc = rig_auto_merge_s(c, t->rig, &delay)) <= 0 || !head)
		return rc;
	if (bead_reviews_open(c, t->mr, &open, &total) < 0 || !(mark = bead_meta_get(c, t->mr, "auto_merge")))
		return -1;
	since = cJSON_GetObjectItemCaseSensitive(mark, "since_ms");
	was = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(mark, "sha"));
	if (open > 0 || !cJSON_IsNumber(since) || !was || strcmp(was, head) != 0) {
		cJSON_Delete(mark);
		mark = cJSON_CreateObject();
		cJSON_AddStringToObject(mark, "sha", head);
		cJSON_AddNumberToObject(mark, "since_ms", c->now_ms);
		cJSON_AddBoolToObject(mark, "waiting_for_reviews", open > 0);
		rc = bead_meta_set(c, t->mr, "auto_merge", mark);
		cJSON_Delete(mark);
		return rc;
	}
	rc = c->now_ms - since->valuedouble >= delay * 1000.0;
	cJSON_Delete(mark);
	if (!rc)
		return 0;
	{
		cJSON *body = cJSON_CreateObject();

		if (!t->gitlab)
			cJSON_AddStringToObject(body, "merge_method", "merge");
		cJSON_AddStringToObject(body, "sha", head);
		snprintf(path, sizeof path, t->gitlab ? "/merge_requests/%d/merge" : "/pulls/%d/merge", t->number);
		snprintf(subject, sizeof subject, "merge:%s", t->mr);
		rc = event_append(c, "bead.pr_auto_merge", t->mr, "sha", NULL, head) < 0 ? -1
			: call_platform(c, t, "PUT", path, body, subject);
		cJSON_Delete(body);
	}
	return rc < 0 ? -1 : 1;
}

/* GitLab's merge request in GitHub's words (state, merged, mergeable, mergeable_state, head.sha), so
 * one reading follows both. The caller deletes it. */
static cJSON *as_github(const cJSON *mr)
{
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(mr, "state"));
	const char *detailed = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(mr, "detailed_merge_status"));
	const char *sha = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(mr, "sha"));
	const char *merged_sha = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(mr, "merge_commit_sha"));
	int conflict = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mr, "has_conflicts")) || (detailed && !strcmp(detailed, "conflict"));
	int clean = detailed && !strcmp(detailed, "mergeable");
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "state", state && !strcmp(state, "opened") ? "open" : "closed");
	cJSON_AddBoolToObject(o, "merged", state && !strcmp(state, "merged"));
	if (merged_sha)
		cJSON_AddStringToObject(o, "merge_commit_sha", merged_sha);
	if (conflict || clean)
		cJSON_AddBoolToObject(o, "mergeable", clean);
	else
		cJSON_AddNullToObject(o, "mergeable");
	cJSON_AddStringToObject(o, "mergeable_state", conflict ? "dirty" : clean ? "clean" : "unknown");
	if (sha)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "head"), "sha", sha);
	return o;
}

static int followed(struct call *c, const struct pr_target *t, const cJSON *pr)
{
	const cJSON *mergeable = cJSON_GetObjectItemCaseSensitive(pr, "mergeable");
	const char *mstate = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pr, "mergeable_state"));
	const char *head = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pr, "head"), "sha"));
	int rc;
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pr, "state"));
	const char *sha = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pr, "merge_commit_sha"));
	char why[300];

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pr, "merged"))) {
		snprintf(why, sizeof why, "merged%s%s (pull request #%d)", sha ? " as " : "", sha ? sha : "", t->number);
		if (bead_set_status(c, t->mr, "closed", why) < 0)
			return -1;
		return *t->work ? bead_set_status(c, t->work, "closed", why) : 0;
	}
	if (state && strcmp(state, "closed") == 0) {
		snprintf(why, sizeof why, "pull request #%d was closed without merging", t->number);
		return give_back(c, t, why);
	}
	/* mergeable is null while GitHub still computes it: the next poll sees it. */
	if (cJSON_IsFalse(mergeable) && mstate && strcmp(mstate, "dirty") == 0)
		rc = conflicted(c, t);
	else if (cJSON_IsTrue(mergeable) && mstate && strcmp(mstate, "clean") == 0)
		rc = ready(c, t, head);
	else
		rc = 0;
	return rc < 0 ? -1 : rc > 0 ? 0 : poll_later(c, t->mr);
}

/* The answer to an auto-merge: merged lands the work as a merge seen by polling would. */
static int merge_answered(struct call *c, const struct pr_target *t, const cJSON *answer)
{
	cJSON *as = cJSON_CreateObject();
	int rc;

	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "state"));
	const char *sha = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, t->gitlab ? "merge_commit_sha" : "sha"));

	/* GitHub answers {merged, sha}; GitLab the merge request itself, merged. */
	cJSON_AddBoolToObject(as, "merged", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "merged")) ||
					    (state && !strcmp(state, "merged")));
	cJSON_AddStringToObject(as, "state", "closed");
	if (sha)
		cJSON_AddStringToObject(as, "merge_commit_sha", sha);
	rc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(as, "merged")) ? followed(c, t, as) : poll_later(c, t->mr);
	cJSON_Delete(as);
	return rc;
}

int pr_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	const char *mr = strchr(subject, ':');
	int status = effect_status(result);
	int opening = strncmp(subject, "open:", 5) == 0, merging = strncmp(subject, "merge:", 6) == 0, rc;
	struct pr_target t;
	char requester[129] = "", why[300];
	cJSON *pr;

	if (!mr)
		return 0;
	if (load_target(c, mr + 1, &t) < 0)
		return err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1; /* gone: the answer has no one to go to */
	/* The platform acts for the human who asked for the work. */
	if (bead_requested_by(c, t.mr, requester, sizeof requester) < 0)
		return -1;
	snprintf(c->who.requested_by, sizeof c->who.requested_by, "%s", requester);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) || status >= 500 || status == 429) {
		/* Unreachable or busy platform: ask again later rather than give the work back. */
		if (!opening)
			return poll_later(c, t.mr);
		return bead_set_retry(c, t.mr, c->now_ms + PR_POLL_MS) < 0 ? -1 : bead_set_status(c, t.mr, "open", NULL);
	}
	pr = json_parse_exact(body, len);
	if (status < 200 || status > 299) {
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pr, "message"));

		snprintf(why, sizeof why, "the platform refused the pull request: HTTP %d%s%.200s", status,
			 msg ? " " : "", msg ? msg : "");
		/* A refused merge (not mergeable now, the head moved) waits for the next poll. */
		if (merging)
			call_log(c, "warn", "the platform refused to merge", cJSON_CreateString(why));
		rc = opening ? give_back(c, &t, why) : poll_later(c, t.mr);
	} else {
		cJSON *seen = !opening && !merging && t.gitlab ? as_github(pr) : NULL;

		rc = opening ? opened(c, &t, pr) : merging ? merge_answered(c, &t, pr) : followed(c, &t, seen ? seen : pr);
		cJSON_Delete(seen);
	}
	cJSON_Delete(pr);
	return rc;
}

/* One try of the diff proxy: url with the headers of the platform and the token. */
static cJSON *diff_try(cJSON *tries, const char *url, const char *source)
{
	cJSON *t = cJSON_CreateObject(), *set;

	cJSON_AddStringToObject(t, "url", url);
	cJSON_AddObjectToObject(t, "headers");
	cJSON_AddNumberToObject(t, "timeout_ms", PR_COMPARE_TIMEOUT_MS);
	set = cJSON_AddObjectToObject(t, "set");
	cJSON_AddStringToObject(set, "source", source);
	cJSON_AddNullToObject(set, "reason");
	cJSON_AddItemToArray(tries, t);
	return cJSON_GetObjectItemCaseSensitive(t, "headers");
}

int pr_compare_try(struct call *c, const char *bead, const char *rig, const char *base, const char *head, cJSON *tries)
{
	struct rig_platform p;
	char token[512] = "", url[1400], auth[560], project[620];
	cJSON *headers;
	int found, number = 0;

	if ((found = rig_platform(c, rig, &p)) <= 0)
		return found < 0 ? -1 : 0;
	if ((found = town_secret(c, p.gitlab ? "gitlab_token" : "github_token", token, sizeof token)) <= 0 || !*token || !*p.repo)
		return found < 0 ? -1 : 0;
	if (p.gitlab) {
		/* GitLab's compare answers only JSON; the merge request's raw diffs are the unified diff. */
		if ((found = bead_pull_request_number(c, bead, &number)) <= 0)
			return found < 0 ? -1 : 0;
		query_escape(p.repo, project, sizeof project);
		snprintf(url, sizeof url, "%s/projects/%s/merge_requests/%d/raw_diffs", p.api, project, number);
		headers = diff_try(tries, url, "gitlab");
		cJSON_AddStringToObject(headers, "private-token", token);
	} else {
		/* base...head: from where the branch left base to head, what the work changed. */
		snprintf(url, sizeof url, "%s/repos/%s/compare/%s...%s", p.api, p.repo, base, head);
		snprintf(auth, sizeof auth, "Bearer %s", token);
		headers = diff_try(tries, url, "github");
		cJSON_AddStringToObject(headers, "authorization", auth);
		cJSON_AddStringToObject(headers, "accept", "application/vnd.github.diff");
		cJSON_AddStringToObject(headers, "x-github-api-version", "2022-11-28");
	}
	cJSON_AddStringToObject(headers, "user-agent", "gastown-edge");
	memset(token, 0, sizeof token);
	return 0;
}
