/*
 * receive.c - one delivery from a platform, from its signature to its answer: the town must have the
 * integration, the signature must hold, a delivery taken before changes nothing, and the rules decide.
 * A refusal (no integration, a bad signature, a body that is not the platform's) is an error and the
 * call stores nothing; an event no rule takes is answered 2xx and counted.
 */
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"

const cJSON *hook_at(const cJSON *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof key || !cJSON_IsObject(o))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

const char *hook_str(const cJSON *o, const char *path)
{
	return cJSON_GetStringValue(hook_at(o, path));
}

void hook_copy(char *out, size_t len, const char *s)
{
	snprintf(out, len, "%s", s ? s : "");
}

void hook_number(char *out, size_t len, const cJSON *n)
{
	if (cJSON_IsNumber(n) && n->valuedouble >= 1 && n->valuedouble < 1e15)
		snprintf(out, len, "%.0f", n->valuedouble);
	else
		*out = '\0';
}

int hook_ignore(struct hook_event *ev, const char *why)
{
	ev->kind = HK_NONE;
	hook_copy(ev->why, sizeof ev->why, why);
	return 0;
}

static int verify(struct call *c, enum hook_platform p)
{
	switch (p) {
	case HOOK_GITHUB:
		return github_verify(c);
	case HOOK_GITLAB:
		return gitlab_verify(c);
	default:
		return slack_verify(c);
	}
}

/* What the platform is told. GitHub and GitLab read only the status; Slack shows a slash command's
 * answer to whoever typed it, so it gets Slack's own shape. */
static int answer(struct call *c, const struct hook_event *ev, const char *outcome, const char *bead)
{
	cJSON *o = cJSON_CreateObject();

	if (ev->platform == HOOK_SLACK && ev->response_url) {
		char text[400];

		if (*bead)
			snprintf(text, sizeof text, "Taken in as bead %s. The Mayor will look at it; updates follow here.", bead);
		else
			snprintf(text, sizeof text, "Nothing to do: %s.", *ev->why ? ev->why : outcome);
		cJSON_AddStringToObject(o, "response_type", "ephemeral");
		cJSON_AddStringToObject(o, "text", text);
		return call_reply_raw(c, 200, o);
	}
	cJSON_AddStringToObject(o, "outcome", outcome);
	cJSON_AddStringToObject(o, "event", ev->event);
	if (*bead)
		cJSON_AddStringToObject(o, "bead", bead);
	if (*ev->why)
		cJSON_AddStringToObject(o, "why", ev->why);
	return call_reply(c, 200, o);
}

static int parse(struct call *c, enum hook_platform p, cJSON **payload, struct hook_event *ev)
{
	if (p == HOOK_SLACK)
		return slack_event(c, payload, ev);
	if (!(*payload = json_parse_strict(c->in->body ? c->in->body : "", c->in->body_len, &c->err)))
		return -1;
	if (!cJSON_IsObject(*payload))
		return err_set(&c->err, ERR_BAD_JSON, NULL, "a delivery's body is a JSON object");
	return p == HOOK_GITHUB ? github_event(c, *payload, ev) : gitlab_event(c, *payload, ev);
}

int hook_receive(struct call *c, enum hook_platform p)
{
	struct hook_event ev;
	cJSON *payload = NULL;
	char owner[130], bead[72] = "";
	const char *outcome = "ignored";
	int rc;

	memset(&ev, 0, sizeof ev);
	if ((rc = integration_owner(c, p, owner, sizeof owner)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, NULL, "the town has no %s integration", hook_platform_name(p));
	if (verify(c, p) < 0 || parse(c, p, &payload, &ev) < 0)
		goto out;
	rc = -1;
	if (ev.kind == HK_PING) {
		/* Slack's URL check is answered with its challenge; GitHub's ping with a pong. */
		const char *challenge = hook_str(payload, "challenge");

		if (delivery_record(c, p, NULL, ev.event, "pong", NULL) < 0)
			goto out;
		if (challenge) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "challenge", challenge);
			rc = call_reply_raw(c, 200, o);
		} else {
			rc = answer(c, &ev, "pong", "");
		}
		goto out;
	}
	if (*ev.delivery && (rc = delivery_seen(c, p, ev.delivery)) != 0) {
		/* A redelivery: the same answer as the first time, and nothing changes. */
		rc = rc < 0 ? -1 : answer(c, &ev, "duplicate_delivery", "");
		goto out;
	}
	if (ev.kind != HK_NONE && rules_apply(c, &ev, bead, sizeof bead, &outcome) < 0)
		goto out;
	if (ev.kind == HK_NONE || !strcmp(outcome, "ignored"))
		call_log(c, "info", "webhook ignored", cJSON_CreateString(ev.why));
	rc = delivery_record(c, p, ev.delivery, ev.event, outcome, bead) < 0 ? -1 : answer(c, &ev, outcome, bead);
out:
	cJSON_Delete(payload);
	return c->err.code ? -1 : rc;
}
