/*
 * pull_request.c - merge requests of a rig whose strategy is `pr`: instead of the refinery merging,
 * the town opens a pull request on the platform (GitHub's REST API) and follows it until it is
 * merged or closed. Every call is an effect; the answer moves the merge request on. The platform is
 * the rig's `api_url` setting (default https://api.github.com), the repository its `repo` setting
 * or the last two parts of its git url, the token the town's secret `github_token`.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"
#include "sqlite3.h"

#define PR_TIMEOUT_MS 20000
#define PR_POLL_MS 60000.0

/* What a call to the platform needs for one merge request. */
struct pr_target {
	char mr[72], work[72], branch[201], base[101], title[240];
	char api[201], repo[201], token[512];
	int number; /* 0 until opened */
};

/* owner/name from a git url: the last two path parts, without ".git". */
static int repo_of(const char *url, char *out, size_t len)
{
	const char *end = url + strlen(url), *slash, *start;
	size_t n;

	if (end - url > 4 && strcmp(end - 4, ".git") == 0)
		end -= 4;
	while (end > url && end[-1] == '/')
		end--;
	for (slash = end; slash > url && slash[-1] != '/' && slash[-1] != ':'; slash--)
		;
	if (slash <= url + 1)
		return -1;
	for (start = slash - 1; start > url && start[-1] != '/' && start[-1] != ':'; start--)
		;
	n = (size_t)(end - start);
	if (n >= len || start == slash - 1)
		return -1;
	snprintf(out, len, "%.*s", (int)n, start);
	return 0;
}

static int load_target(struct call *c, const char *mr, struct pr_target *t)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT m.parent, coalesce(m.branch, ''), r.default_branch, w.title, r.git_url,"
		" coalesce(json_extract(r.settings, '$.api_url'), 'https://api.github.com'),"
		" coalesce(json_extract(r.settings, '$.repo'), ''),"
		" coalesce((SELECT value FROM town_secrets WHERE name = 'github_token'), ''),"
		" coalesce(json_extract(m.metadata, '$.pull_request.number'), 0)"
		" FROM beads m JOIN rigs r ON r.id = m.rig JOIN beads w ON w.id = m.parent WHERE m.id = ?", &c->err);
	int found;

	memset(t, 0, sizeof *t);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, mr, -1, SQLITE_STATIC);
	if ((found = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (found) {
		snprintf(t->mr, sizeof t->mr, "%s", mr);
		snprintf(t->work, sizeof t->work, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(t->branch, sizeof t->branch, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(t->base, sizeof t->base, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(t->title, sizeof t->title, "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(t->api, sizeof t->api, "%s", (const char *)sqlite3_column_text(st, 5));
		snprintf(t->repo, sizeof t->repo, "%s", (const char *)sqlite3_column_text(st, 6));
		snprintf(t->token, sizeof t->token, "%s", (const char *)sqlite3_column_text(st, 7));
		t->number = sqlite3_column_int(st, 8);
		if (!*t->repo && repo_of((const char *)sqlite3_column_text(st, 4), t->repo, sizeof t->repo) < 0)
			*t->repo = '\0';
	}
	sqlite3_reset(st);
	if (!found)
		return err_set(&c->err, ERR_NOT_FOUND, "bead", "no merge request '%s' with a work bead and a rig", mr);
	return 0;
}

static int call_platform(struct call *c, const struct pr_target *t, const char *method, const char *path,
			 const cJSON *body, const char *subject)
{
	char url[600], auth[560], fx[48];
	char *text = body ? json_print(body) : NULL;
	cJSON *headers = cJSON_CreateObject();
	struct effect_req r = {.purpose = "pr", .subject = subject, .method = method, .url = url,
			       .headers = headers, .body = text, .timeout_ms = PR_TIMEOUT_MS};
	int rc;

	snprintf(url, sizeof url, "%s/repos/%s%s", t->api, t->repo, path);
	snprintf(auth, sizeof auth, "Bearer %s", t->token);
	cJSON_AddStringToObject(headers, "authorization", auth);
	cJSON_AddStringToObject(headers, "accept", "application/vnd.github+json");
	cJSON_AddStringToObject(headers, "x-github-api-version", "2022-11-28");
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
	sqlite3_stmt *st = db_prepare(c->db, "SELECT status FROM beads WHERE id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, t->mr, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
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
	if (!*t.token || !*t.repo || !*t.branch)
		return give_back(c, &t, !*t.token ? "no pull request: the town has no github_token secret"
					: !*t.repo ? "no pull request: the rig's repository is unknown (set its repo setting)"
					: "no pull request: the merge request names no branch");
	body = cJSON_CreateObject();
	snprintf(body_text, sizeof body_text, "Bead-ID: %s\nMerge request: %s\n\nOpened by Gastown Edge.", t.work, mr);
	cJSON_AddStringToObject(body, "title", t.title);
	cJSON_AddStringToObject(body, "head", t.branch);
	cJSON_AddStringToObject(body, "base", t.base);
	cJSON_AddStringToObject(body, "body", body_text);
	snprintf(subject, sizeof subject, "open:%s", mr);
	rc = event_append(c, "bead.pr_requested", mr, "branch", NULL, t.branch) < 0 ? -1
		: call_platform(c, &t, "POST", "/pulls", body, subject);
	cJSON_Delete(body);
	return rc;
}

/* Follow the pull request again after the rig's pr_poll_s (2 s to a day; a minute by default). */
static int poll_later(struct call *c, const char *mr)
{
	double every = PR_POLL_MS;
	sqlite3_stmt *st = db_prepare(c->db, "SELECT json_extract(r.settings, '$.pr_poll_s') FROM beads m"
					     " JOIN rigs r ON r.id = m.rig WHERE m.id = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, mr, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		double s = sqlite3_column_double(st, 0);

		every = (s < 2 ? 2 : s > 86400 ? 86400 : s) * 1000.0;
	}
	sqlite3_reset(st);
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
	snprintf(path, sizeof path, "/pulls/%d", t.number);
	snprintf(subject, sizeof subject, "poll:%s", mr);
	return call_platform(c, &t, "GET", path, NULL, subject);
}

static int opened(struct call *c, const struct pr_target *t, const cJSON *pr)
{
	const cJSON *number = cJSON_GetObjectItemCaseSensitive(pr, "number");
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pr, "html_url"));
	sqlite3_stmt *st;

	if (!cJSON_IsNumber(number) || number->valuedouble < 1)
		return give_back(c, t, "the platform's answer to the pull request names no number");
	st = db_prepare(c->db, "UPDATE beads SET metadata = json_set(metadata, '$.pull_request',"
			       " json_object('number', ?2, 'url', ?3)) WHERE id = ?1", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, t->mr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, number->valueint);
	if (url)
		sqlite3_bind_text(st, 3, url, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    event_append(c, "bead.pr_opened", t->mr, "pull_request", NULL, url ? url : "") < 0)
		return -1;
	return poll_later(c, t->mr);
}

static int followed(struct call *c, const struct pr_target *t, const cJSON *pr)
{
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
	return poll_later(c, t->mr);
}

int pr_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	const char *mr = strchr(subject, ':');
	int status = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(result, "status"));
	int opening = strncmp(subject, "open:", 5) == 0, rc;
	struct pr_target t;
	char requester[129] = "", why[300];
	cJSON *pr;
	sqlite3_stmt *st;

	if (!mr)
		return 0;
	if (load_target(c, mr + 1, &t) < 0)
		return err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1; /* gone: the answer has no one to go to */
	/* The platform acts for the human who asked for the work. */
	st = db_prepare(c->db, "SELECT requested_by FROM beads WHERE id = ?", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, t.mr, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc)
		snprintf(requester, sizeof requester, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	snprintf(c->who.requested_by, sizeof c->who.requested_by, "%s", requester);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) || status >= 500 || status == 429) {
		/* Unreachable or busy platform: ask again later rather than give the work back. */
		if (!opening)
			return poll_later(c, t.mr);
		st = db_prepare(c->db, "UPDATE beads SET retry_ms = ?2 WHERE id = ?1", &c->err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, t.mr, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, c->now_ms + PR_POLL_MS);
		return db_step_done(c->db, st, &c->err) < 0 ? -1 : bead_set_status(c, t.mr, "open", NULL);
	}
	pr = json_parse_exact(body, len);
	if (status < 200 || status > 299) {
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pr, "message"));

		snprintf(why, sizeof why, "the platform refused the pull request: HTTP %d%s%.200s", status,
			 msg ? " " : "", msg ? msg : "");
		rc = opening ? give_back(c, &t, why) : poll_later(c, t.mr);
	} else {
		rc = opening ? opened(c, &t, pr) : followed(c, &t, pr);
	}
	cJSON_Delete(pr);
	return rc;
}
