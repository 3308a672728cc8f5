/*
 * github.c - GitHub's webhook deliveries: the X-Hub-Signature-256 check, and what each event asks of
 * the town, read into a hook_event. Field paths follow GitHub's payloads (@octokit/webhooks-examples);
 * anything the rules do not take is ignored with the reason, never refused: GitHub keeps adding events.
 */
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"

#define SECRET_LEN 8193

int github_verify(struct call *c)
{
	const char *sig = call_request_header(c, "x-hub-signature-256");
	char secret[SECRET_LEN];
	unsigned char mac[32];
	struct mac_part body = {c->in->body ? c->in->body : "", c->in->body_len};
	int rc = town_secret(c, "github_webhook_secret", secret, sizeof secret), ok;

	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_UNAUTHENTICATED, "x-hub-signature-256",
					     "the github integration has no webhook_secret: deliveries cannot be verified");
	if (!sig)
		return err_set(&c->err, ERR_UNAUTHENTICATED, "x-hub-signature-256", "the delivery is not signed");
	rc = mac_hmac_sha256(secret, strlen(secret), &body, 1, mac);
	ok = rc == 0 && strncmp(sig, "sha256=", 7) == 0 && mac_equal_hex(mac, sig + 7);
	memset(secret, 0, sizeof secret);
	if (rc < 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "the signature could not be computed");
	return ok ? 0 : err_set(&c->err, ERR_UNAUTHENTICATED, "x-hub-signature-256",
				"the signature does not match the body under the webhook secret");
}

/* The first pull request a check or workflow run belongs to (0: none, as for pushes from forks). */
static int first_pr(const cJSON *prs)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(prs, 0), "number");

	return cJSON_IsNumber(n) && n->valuedouble >= 1 && n->valuedouble < 1e9 ? n->valueint : 0;
}

static int ci_failed(const char *conclusion)
{
	static const char *const failed[] = {"failure", "timed_out", "startup_failure", "action_required"};

	for (size_t i = 0; conclusion && i < sizeof failed / sizeof failed[0]; i++)
		if (strcmp(conclusion, failed[i]) == 0)
			return 1;
	return 0;
}

int github_event(struct call *c, const cJSON *p, struct hook_event *ev)
{
	const char *event = call_request_header(c, "x-github-event"), *action = hook_str(p, "action");
	const char *command;
	char cmd[40];

	ev->platform = HOOK_GITHUB;
	hook_copy(ev->delivery, sizeof ev->delivery, call_request_header(c, "x-github-delivery"));
	if (!event || !*event || strlen(event) > 40)
		return err_set(&c->err, ERR_INVALID, "x-github-event", "the delivery names no event");
	if (!*ev->delivery || strlen(ev->delivery) >= sizeof ev->delivery)
		return err_set(&c->err, ERR_INVALID, "x-github-delivery", "the delivery has no id of at most 128 bytes");
	snprintf(ev->event, sizeof ev->event, "%s%s%.*s", event, action ? "." : "", 40, action ? action : "");
	if (strcmp(event, "ping") == 0) {
		ev->kind = HK_PING;
		return 0;
	}
	/* A GitHub App's deliveries name its installation: the town learns where to ask for tokens. */
	{
		char installation[24];

		hook_number(installation, sizeof installation, hook_at(p, "installation.id"));
		if (*installation && integration_setting_learn(c, HOOK_GITHUB, "installation_id", installation) < 0)
			return -1;
	}
	hook_copy(ev->repo, sizeof ev->repo, hook_str(p, "repository.full_name"));
	hook_copy(ev->place, sizeof ev->place, ev->repo);
	ev->default_branch = hook_str(p, "repository.default_branch");
	hook_copy(ev->login, sizeof ev->login, hook_str(p, "sender.login"));
	if (!*ev->repo)
		return hook_ignore(ev, "the delivery names no repository");
	if (!action)
		return hook_ignore(ev, "no rule takes this event");

	if (strcmp(event, "issues") == 0) {
		if (strcmp(action, "opened") && strcmp(action, "labeled") && strcmp(action, "reopened"))
			return hook_ignore(ev, "no rule takes this action");
		ev->kind = HK_ISSUE;
		hook_number(ev->number, sizeof ev->number, hook_at(p, "issue.number"));
		hook_copy(ev->title, sizeof ev->title, hook_str(p, "issue.title"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "issue.html_url"));
		ev->body = hook_str(p, "issue.body");
		ev->labels = hook_at(p, "issue.labels");
	} else if (strcmp(event, "issue_comment") == 0) {
		if (strcmp(action, "created") != 0)
			return hook_ignore(ev, "no rule takes this action");
		/* A comment on a pull request's conversation is a review matter, not new work. */
		if (hook_at(p, "issue.pull_request")) {
			ev->kind = HK_REVIEW;
			hook_number(ev->number, sizeof ev->number, hook_at(p, "issue.number"));
			hook_number(ev->comment, sizeof ev->comment, hook_at(p, "comment.id"));
			hook_copy(ev->login, sizeof ev->login, hook_str(p, "comment.user.login"));
			hook_copy(ev->url, sizeof ev->url, hook_str(p, "comment.html_url"));
			ev->body = hook_str(p, "comment.body");
			return *ev->comment && *ev->number ? 0 : hook_ignore(ev, "the comment has no id");
		}
		if (integration_setting(c, HOOK_GITHUB, "command", "/gastown", cmd, sizeof cmd) < 0)
			return -1;
		command = hook_str(p, "comment.body");
		if (!command || strncmp(command, cmd, strlen(cmd)) != 0 ||
		    (command[strlen(cmd)] && !strchr(" \t\r\n", command[strlen(cmd)])))
			return hook_ignore(ev, "the comment is not a command to the town");
		ev->kind = HK_COMMAND;
		ev->text = command + strlen(cmd);
		hook_copy(ev->login, sizeof ev->login, hook_str(p, "comment.user.login"));
		hook_number(ev->number, sizeof ev->number, hook_at(p, "issue.number"));
		hook_copy(ev->title, sizeof ev->title, hook_str(p, "issue.title"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "comment.html_url"));
		ev->body = hook_str(p, "issue.body");
		ev->labels = hook_at(p, "issue.labels");
	} else if (strcmp(event, "pull_request_review_comment") == 0) {
		const cJSON *reply = hook_at(p, "comment.in_reply_to_id"), *line = hook_at(p, "comment.line");
		const cJSON *start = hook_at(p, "comment.start_line");

		if (strcmp(action, "created") != 0)
			return hook_ignore(ev, "no rule takes this action");
		ev->kind = HK_REVIEW;
		hook_number(ev->number, sizeof ev->number, hook_at(p, "pull_request.number"));
		hook_number(ev->comment, sizeof ev->comment, hook_at(p, "comment.id"));
		/* Replies go to the thread's first comment (GitHub takes no reply to a reply). */
		hook_number(ev->thread, sizeof ev->thread, reply && cJSON_IsNumber(reply) ? reply : hook_at(p, "comment.id"));
		ev->reply = cJSON_IsNumber(reply);
		hook_copy(ev->login, sizeof ev->login, hook_str(p, "comment.user.login"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "comment.html_url"));
		hook_copy(ev->path, sizeof ev->path, hook_str(p, "comment.path"));
		ev->line = cJSON_IsNumber(line) && line->valuedouble > 0 && line->valuedouble < 1e8 ? line->valueint : 0;
		ev->start_line = cJSON_IsNumber(start) && start->valuedouble > 0 && start->valuedouble < 1e8 ? start->valueint : 0;
		ev->body = hook_str(p, "comment.body");
		ev->hunk = hook_str(p, "comment.diff_hunk");
		return *ev->comment ? 0 : hook_ignore(ev, "the comment has no id");
	} else if (strcmp(event, "pull_request_review") == 0) {
		char id[40];

		if (strcmp(action, "submitted") != 0)
			return hook_ignore(ev, "no rule takes this action");
		ev->state = hook_str(p, "review.state");
		ev->body = hook_str(p, "review.body");
		/* A review's line comments come on their own; its body is worth an answer only when it says something. */
		if ((!ev->body || !*ev->body) && !(ev->state && strcmp(ev->state, "approved") == 0))
			return hook_ignore(ev, "a review with no words of its own");
		ev->kind = HK_REVIEW;
		hook_number(ev->number, sizeof ev->number, hook_at(p, "pull_request.number"));
		hook_number(id, sizeof id, hook_at(p, "review.id"));
		snprintf(ev->comment, sizeof ev->comment, "review-%s", id);
		hook_copy(ev->login, sizeof ev->login, hook_str(p, "review.user.login"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "review.html_url"));
		return *id ? 0 : hook_ignore(ev, "the review has no id");
	} else if (strcmp(event, "pull_request") == 0) {
		const char *assoc = hook_str(p, "pull_request.author_association");

		if (strcmp(action, "opened") != 0)
			return hook_ignore(ev, "no rule takes this action");
		ev->kind = HK_OUTSIDE_PR;
		hook_number(ev->number, sizeof ev->number, hook_at(p, "pull_request.number"));
		hook_copy(ev->login, sizeof ev->login, hook_str(p, "pull_request.user.login"));
		hook_copy(ev->title, sizeof ev->title, hook_str(p, "pull_request.title"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "pull_request.html_url"));
		hook_copy(ev->branch, sizeof ev->branch, hook_str(p, "pull_request.head.ref"));
		ev->body = hook_str(p, "pull_request.body");
		ev->labels = hook_at(p, "pull_request.labels");
		ev->inside = assoc && (!strcmp(assoc, "OWNER") || !strcmp(assoc, "MEMBER") || !strcmp(assoc, "COLLABORATOR"));
	} else if (strcmp(event, "check_run") == 0 || strcmp(event, "workflow_run") == 0) {
		int check = event[0] == 'c';
		const char *run = check ? "check_run" : "workflow_run", *conclusion;
		char path[48];

		if (strcmp(action, "completed") != 0)
			return hook_ignore(ev, "no rule takes this action");
		snprintf(path, sizeof path, "%s.conclusion", run);
		conclusion = hook_str(p, path);
		if (!ci_failed(conclusion))
			return hook_ignore(ev, "the run did not fail");
		ev->kind = HK_CI_FAILED;
		snprintf(path, sizeof path, "%s.name", run);
		snprintf(ev->check, sizeof ev->check, "%.150s: %s", hook_str(p, path) ? hook_str(p, path) : run, conclusion);
		snprintf(path, sizeof path, check ? "check_run.check_suite.head_branch" : "workflow_run.head_branch");
		hook_copy(ev->branch, sizeof ev->branch, hook_str(p, path));
		snprintf(path, sizeof path, "%s.html_url", run);
		hook_copy(ev->url, sizeof ev->url, hook_str(p, path));
		snprintf(path, sizeof path, "%s.pull_requests", run);
		ev->pr = first_pr(hook_at(p, path));
	} else {
		return hook_ignore(ev, "no rule takes this event");
	}
	if (ev->kind != HK_CI_FAILED && !*ev->number)
		return hook_ignore(ev, "the delivery names no issue or pull request number");
	return 0;
}
