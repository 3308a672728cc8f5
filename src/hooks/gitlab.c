/*
 * gitlab.c - GitLab's webhook deliveries: the X-Gitlab-Token check (GitLab sends the secret itself,
 * compared in constant time) and what each hook asks of the town. Deliveries are told apart by
 * Idempotency-Key, which GitLab keeps across retries of one event (X-Gitlab-Event-UUID on servers
 * older than that header).
 */
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"

#define SECRET_LEN 8193

int gitlab_verify(struct call *c)
{
	const char *token = call_request_header(c, "x-gitlab-token");
	char secret[SECRET_LEN];
	int rc = town_secret(c, "gitlab_webhook_token", secret, sizeof secret), ok;

	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_UNAUTHENTICATED, "x-gitlab-token",
					     "the gitlab integration has no webhook_token: deliveries cannot be verified");
	if (!token)
		return err_set(&c->err, ERR_UNAUTHENTICATED, "x-gitlab-token", "the delivery carries no token");
	ok = mac_equal_text(token, secret);
	memset(secret, 0, sizeof secret);
	return ok ? 0 : err_set(&c->err, ERR_UNAUTHENTICATED, "x-gitlab-token", "the token is not the webhook token");
}

/* "/gastown ..." at the start of a note: what follows it, or NULL. */
static const char *command_in(struct call *c, const char *note, int *failed)
{
	char cmd[40];
	size_t n;

	*failed = integration_setting(c, HOOK_GITLAB, "command", "/gastown", cmd, sizeof cmd) < 0;
	n = strlen(cmd);
	if (*failed || !note || strncmp(note, cmd, n) != 0 || (note[n] && !strchr(" \t\r\n", note[n])))
		return NULL;
	return note + n;
}

int gitlab_event(struct call *c, const cJSON *p, struct hook_event *ev)
{
	const char *kind = hook_str(p, "object_kind"), *key = call_request_header(c, "idempotency-key");
	const char *action = hook_str(p, "object_attributes.action");
	int failed = 0;

	ev->platform = HOOK_GITLAB;
	if (!key)
		key = call_request_header(c, "x-gitlab-event-uuid");
	hook_copy(ev->delivery, sizeof ev->delivery, key);
	if (!kind || !*kind || strlen(kind) > 40)
		return err_set(&c->err, ERR_INVALID, "object_kind", "the delivery names no object_kind");
	if (!*ev->delivery || strlen(ev->delivery) >= sizeof ev->delivery)
		return err_set(&c->err, ERR_INVALID, "idempotency-key", "the delivery has no Idempotency-Key of at most 128 bytes");
	snprintf(ev->event, sizeof ev->event, "%s%s%.*s", kind, action ? "." : "", 30, action ? action : "");
	hook_copy(ev->repo, sizeof ev->repo, hook_str(p, "project.path_with_namespace"));
	hook_number(ev->place, sizeof ev->place, hook_at(p, "project.id"));
	ev->default_branch = hook_str(p, "project.default_branch");
	hook_copy(ev->login, sizeof ev->login, hook_str(p, "user.username"));
	if (!*ev->repo || !*ev->place)
		return hook_ignore(ev, "the delivery names no project");

	if (strcmp(kind, "issue") == 0) {
		if (!action || (strcmp(action, "open") && strcmp(action, "update") && strcmp(action, "reopen")))
			return hook_ignore(ev, "no rule takes this action");
		ev->kind = HK_ISSUE;
		hook_number(ev->number, sizeof ev->number, hook_at(p, "object_attributes.iid"));
		hook_copy(ev->title, sizeof ev->title, hook_str(p, "object_attributes.title"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "object_attributes.url"));
		ev->body = hook_str(p, "object_attributes.description");
		ev->labels = hook_at(p, "labels");
	} else if (strcmp(kind, "note") == 0) {
		const char *on = hook_str(p, "object_attributes.noteable_type");

		if (on && strcmp(on, "MergeRequest") == 0) {
			const cJSON *line = hook_at(p, "object_attributes.position.new_line");

			if (cJSON_IsTrue(hook_at(p, "object_attributes.system")))
				return hook_ignore(ev, "a system note");
			ev->kind = HK_REVIEW;
			hook_number(ev->number, sizeof ev->number, hook_at(p, "merge_request.iid"));
			hook_number(ev->comment, sizeof ev->comment, hook_at(p, "object_attributes.id"));
			hook_copy(ev->thread, sizeof ev->thread, hook_str(p, "object_attributes.discussion_id"));
			hook_copy(ev->url, sizeof ev->url, hook_str(p, "object_attributes.url"));
			hook_copy(ev->path, sizeof ev->path, hook_str(p, "object_attributes.position.new_path"));
			ev->line = cJSON_IsNumber(line) && line->valuedouble > 0 && line->valuedouble < 1e8 ? line->valueint : 0;
			ev->body = hook_str(p, "object_attributes.note");
			return *ev->comment && *ev->number ? 0 : hook_ignore(ev, "the note has no id");
		}
		if (!on || strcmp(on, "Issue") != 0)
			return hook_ignore(ev, "no rule takes a note on this");
		if (!(ev->text = command_in(c, hook_str(p, "object_attributes.note"), &failed)))
			return failed ? -1 : hook_ignore(ev, "the note is not a command to the town");
		ev->kind = HK_COMMAND;
		hook_number(ev->number, sizeof ev->number, hook_at(p, "issue.iid"));
		hook_copy(ev->title, sizeof ev->title, hook_str(p, "issue.title"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "object_attributes.url"));
		ev->body = hook_str(p, "issue.description");
		ev->labels = hook_at(p, "issue.labels");
	} else if (strcmp(kind, "merge_request") == 0) {
		if (!action || strcmp(action, "open") != 0)
			return hook_ignore(ev, "no rule takes this action");
		ev->kind = HK_OUTSIDE_PR;
		hook_number(ev->number, sizeof ev->number, hook_at(p, "object_attributes.iid"));
		hook_copy(ev->title, sizeof ev->title, hook_str(p, "object_attributes.title"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "object_attributes.url"));
		hook_copy(ev->branch, sizeof ev->branch, hook_str(p, "object_attributes.source_branch"));
		ev->body = hook_str(p, "object_attributes.description");
		ev->labels = hook_at(p, "labels");
	} else if (strcmp(kind, "pipeline") == 0) {
		const char *status = hook_str(p, "object_attributes.status");
		const cJSON *mr = hook_at(p, "merge_request.iid");
		char id[24];

		if (!status || strcmp(status, "failed") != 0)
			return hook_ignore(ev, "the pipeline did not fail");
		ev->kind = HK_CI_FAILED;
		hook_copy(ev->branch, sizeof ev->branch, hook_str(p, "object_attributes.ref"));
		hook_copy(ev->url, sizeof ev->url, hook_str(p, "object_attributes.url"));
		hook_number(id, sizeof id, hook_at(p, "object_attributes.id"));
		snprintf(ev->check, sizeof ev->check, "pipeline %s: failed", *id ? id : "?");
		ev->pr = cJSON_IsNumber(mr) && mr->valuedouble >= 1 && mr->valuedouble < 1e9 ? mr->valueint : 0;
	} else {
		return hook_ignore(ev, "no rule takes this event");
	}
	if (ev->kind != HK_CI_FAILED && !*ev->number)
		return hook_ignore(ev, "the delivery names no issue or merge request number");
	return 0;
}
