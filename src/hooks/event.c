/*
 * event.c - a hook_event as a small JSON object and back: what a queued delivery keeps. The
 * platform readers (github.c, gitlab.c, slack.c) run once, when the delivery comes; the rules run
 * on the alarm from this. So the inbox holds a kilobyte or two instead of the whole payload (an
 * issues.opened is 12 KB, mostly URLs), and nothing is parsed twice.
 */
#include <string.h>

#include "hooks/hooks.h"

static void text(cJSON *o, const char *key, const char *s)
{
	if (s && *s)
		cJSON_AddStringToObject(o, key, s);
}

/* A borrowed string: kept even when empty, since NULL and "" differ (a review's state). */
static void borrowed(cJSON *o, const char *key, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, key, s);
}

static void number(cJSON *o, const char *key, int n)
{
	if (n)
		cJSON_AddNumberToObject(o, key, n);
}

char *hook_event_print(const struct hook_event *ev)
{
	cJSON *o = cJSON_CreateObject(), *labels;
	const cJSON *l;
	char *out;

	if (!o)
		return NULL;
	number(o, "platform", (int)ev->platform);
	number(o, "kind", (int)ev->kind);
	text(o, "event", ev->event);
	text(o, "delivery", ev->delivery);
	text(o, "why", ev->why);
	text(o, "repo", ev->repo);
	text(o, "place", ev->place);
	text(o, "number", ev->number);
	text(o, "login", ev->login);
	text(o, "title", ev->title);
	text(o, "url", ev->url);
	text(o, "branch", ev->branch);
	text(o, "check", ev->check);
	number(o, "pr", ev->pr);
	borrowed(o, "body", ev->body);
	borrowed(o, "text", ev->text);
	if (ev->labels) {
		labels = cJSON_AddArrayToObject(o, "labels");
		cJSON_ArrayForEach(l, ev->labels) {
			const char *s = hook_label(l);

			if (s)
				cJSON_AddItemToArray(labels, cJSON_CreateString(s));
		}
	}
	number(o, "inside", ev->inside);
	borrowed(o, "default_branch", ev->default_branch);
	borrowed(o, "response_url", ev->response_url);
	text(o, "comment", ev->comment);
	text(o, "thread", ev->thread);
	text(o, "path", ev->path);
	number(o, "line", ev->line);
	number(o, "start_line", ev->start_line);
	borrowed(o, "hunk", ev->hunk);
	borrowed(o, "state", ev->state);
	number(o, "reply", ev->reply);
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static void copy(char *out, size_t len, const cJSON *o, const char *key)
{
	hook_copy(out, len, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key)));
}

static int integer(const cJSON *o, const char *key)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(n) && n->valuedouble >= -1e9 && n->valuedouble <= 1e9 ? (int)n->valuedouble : 0;
}

int hook_event_read(const cJSON *o, struct hook_event *ev)
{
	int platform = integer(o, "platform"), kind = integer(o, "kind");

	memset(ev, 0, sizeof *ev);
	if (!cJSON_IsObject(o) || platform < 0 || platform >= HOOK_PLATFORMS || kind < HK_NONE || kind > HK_REVIEW)
		return -1;
	ev->platform = (enum hook_platform)platform;
	ev->kind = (enum hook_kind)kind;
	copy(ev->event, sizeof ev->event, o, "event");
	copy(ev->delivery, sizeof ev->delivery, o, "delivery");
	copy(ev->why, sizeof ev->why, o, "why");
	copy(ev->repo, sizeof ev->repo, o, "repo");
	copy(ev->place, sizeof ev->place, o, "place");
	copy(ev->number, sizeof ev->number, o, "number");
	copy(ev->login, sizeof ev->login, o, "login");
	copy(ev->title, sizeof ev->title, o, "title");
	copy(ev->url, sizeof ev->url, o, "url");
	copy(ev->branch, sizeof ev->branch, o, "branch");
	copy(ev->check, sizeof ev->check, o, "check");
	ev->pr = integer(o, "pr");
	ev->body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "body"));
	ev->text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "text"));
	ev->labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
	ev->inside = integer(o, "inside");
	ev->default_branch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "default_branch"));
	ev->response_url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "response_url"));
	copy(ev->comment, sizeof ev->comment, o, "comment");
	copy(ev->thread, sizeof ev->thread, o, "thread");
	copy(ev->path, sizeof ev->path, o, "path");
	ev->line = integer(o, "line");
	ev->start_line = integer(o, "start_line");
	ev->hunk = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "hunk"));
	ev->state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state"));
	ev->reply = integer(o, "reply");
	return 0;
}
