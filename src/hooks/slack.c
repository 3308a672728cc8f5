/*
 * slack.c - Slack's requests: the v0 signature over "v0:<timestamp>:<body>" with a 5-minute window
 * (a replay older than that is refused), the Events API (URL check, app mentions) and slash
 * commands, which come as a form. Slack wants its answer within 3 s: the town answers at once and
 * posts the rest as effects.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks.h"

#define SECRET_LEN 8193
#define WINDOW_S 300.0

int slack_verify(struct call *c)
{
	const char *sig = call_request_header(c, "x-slack-signature");
	const char *ts = call_request_header(c, "x-slack-request-timestamp");
	char secret[SECRET_LEN], *end;
	unsigned char mac[32];
	double when;
	int rc = town_secret(c, "slack_signing_secret", secret, sizeof secret), ok;

	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_UNAUTHENTICATED, "x-slack-signature",
					     "the slack integration has no signing_secret: requests cannot be verified");
	if (!sig || !ts)
		return err_set(&c->err, ERR_UNAUTHENTICATED, "x-slack-signature", "the request is not signed");
	when = strtod(ts, &end);
	if (end == ts || *end || strlen(ts) > 12 || !isfinite(when))
		return err_set(&c->err, ERR_UNAUTHENTICATED, "x-slack-request-timestamp", "the timestamp is not a number of seconds");
	if (fabs(c->now_ms / 1000.0 - when) > WINDOW_S) {
		err_set(&c->err, ERR_UNAUTHENTICATED, "x-slack-request-timestamp",
			"the request is more than 5 minutes from now: a replay, or a clock far off");
		snprintf(c->err.reason, sizeof c->err.reason, "stale");
		return -1;
	}
	{
		struct mac_part parts[] = {{"v0:", 3}, {ts, strlen(ts)}, {":", 1},
					   {c->in->body ? c->in->body : "", c->in->body_len}};

		rc = mac_hmac_sha256(secret, strlen(secret), parts, sizeof parts / sizeof parts[0], mac);
	}
	ok = rc == 0 && strncmp(sig, "v0=", 3) == 0 && mac_equal_hex(mac, sig + 3);
	memset(secret, 0, sizeof secret);
	if (rc < 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "the signature could not be computed");
	return ok ? 0 : err_set(&c->err, ERR_UNAUTHENTICATED, "x-slack-signature",
				"the signature does not match the body under the signing secret");
}

static int unhex(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	     : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* application/x-www-form-urlencoded into an object of strings (a name given twice keeps the first).
 * NULL with c->err set when an escape is broken or a value is not UTF-8. */
static cJSON *form_parse(struct call *c, const char *s, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	char *buf = malloc(len + 1);
	size_t i = 0;

	if (!o || !buf)
		goto oom;
	while (i < len) {
		char *name = buf, *value = NULL, *out = buf;

		for (; i < len && s[i] != '&'; i++) {
			char ch = s[i];

			if (ch == '=' && !value) {
				*out++ = '\0';
				value = out;
				continue;
			}
			if (ch == '+') {
				ch = ' ';
			} else if (ch == '%') {
				int hi = i + 2 < len ? unhex(s[i + 1]) : -1, lo = hi < 0 ? -1 : unhex(s[i + 2]);

				if (lo < 0 || (hi == 0 && lo == 0))
					goto bad;
				ch = (char)(hi * 16 + lo);
				i += 2;
			}
			*out++ = ch;
		}
		*out = '\0';
		i++;
		if (!value)
			value = out;
		if (utf8_check(name, strlen(name)) != strlen(name) || utf8_check(value, strlen(value)) != strlen(value))
			goto bad;
		if (*name && !cJSON_GetObjectItemCaseSensitive(o, name) && !cJSON_AddStringToObject(o, name, value))
			goto oom;
	}
	free(buf);
	return o;
bad:
	err_set(&c->err, ERR_BAD_JSON, NULL, "the body is not a well-formed form");
	goto out;
oom:
	err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
out:
	free(buf);
	cJSON_Delete(o);
	return NULL;
}

/* The text of a mention without the leading "<@U123>" that names the app. */
static const char *after_mention(const char *text)
{
	while (*text == ' ')
		text++;
	if (strncmp(text, "<@", 2) == 0 && strchr(text, '>'))
		text = strchr(text, '>') + 1;
	while (*text == ' ')
		text++;
	return text;
}

/* The first line of text, at most HOOK_TITLE_MAX bytes cut between characters. */
static void title_of(char *out, size_t len, const char *text)
{
	size_t n = strcspn(text, "\r\n");
	char line[HOOK_TITLE_MAX + 1];

	snprintf(line, sizeof line, "%.*s", (int)(n < HOOK_TITLE_MAX ? n : HOOK_TITLE_MAX), text);
	line[utf8_trim(line, strlen(line))] = '\0';
	hook_copy(out, len, line);
}

static int events_api(struct call *c, const cJSON *p, struct hook_event *ev)
{
	const char *type = hook_str(p, "type"), *event = hook_str(p, "event.type");
	const char *text = hook_str(p, "event.text"), *ts = hook_str(p, "event.thread_ts");

	if (!type)
		return err_set(&c->err, ERR_INVALID, "type", "the request names no type");
	if (strcmp(type, "url_verification") == 0) {
		if (!hook_str(p, "challenge"))
			return err_set(&c->err, ERR_INVALID, "challenge", "a URL check carries a challenge");
		hook_copy(ev->event, sizeof ev->event, type);
		ev->kind = HK_PING;
		return 0;
	}
	hook_copy(ev->delivery, sizeof ev->delivery, hook_str(p, "event_id"));
	if (strcmp(type, "event_callback") != 0 || !event) {
		snprintf(ev->event, sizeof ev->event, "%.40s", type);
		return hook_ignore(ev, "no rule takes this request");
	}
	if (!*ev->delivery || strlen(ev->delivery) >= sizeof ev->delivery)
		return err_set(&c->err, ERR_INVALID, "event_id", "the event has no event_id of at most 128 bytes");
	snprintf(ev->event, sizeof ev->event, "event.%.40s", event);
	if (strcmp(event, "app_mention") != 0)
		return hook_ignore(ev, "no rule takes this event");
	/* The app's own posts are never work: they would loop. */
	if (hook_at(p, "event.bot_id"))
		return hook_ignore(ev, "a bot's message");
	if (!text || !hook_str(p, "event.channel") || !hook_str(p, "event.ts") || !hook_str(p, "event.user"))
		return hook_ignore(ev, "the mention has no text, channel, ts or user");
	ev->kind = HK_CHAT;
	ev->text = after_mention(text);
	hook_copy(ev->place, sizeof ev->place, hook_str(p, "event.channel"));
	hook_copy(ev->repo, sizeof ev->repo, ev->place);
	hook_copy(ev->number, sizeof ev->number, ts ? ts : hook_str(p, "event.ts"));
	hook_copy(ev->login, sizeof ev->login, hook_str(p, "event.user"));
	title_of(ev->title, sizeof ev->title, ev->text);
	return *ev->title ? 0 : hook_ignore(ev, "the mention asks nothing");
}

static int slash_command(struct call *c, const cJSON *p, struct hook_event *ev)
{
	const char *trigger = hook_str(p, "trigger_id"), *text = hook_str(p, "text");

	snprintf(ev->event, sizeof ev->event, "command");
	if (!trigger || !*trigger || strlen(trigger) > 120)
		return err_set(&c->err, ERR_INVALID, "trigger_id", "a slash command carries a trigger_id");
	/* A command has no id of its own; its trigger is made once per invocation. */
	snprintf(ev->delivery, sizeof ev->delivery, "cmd:%s", trigger);
	if (!hook_str(p, "channel_id") || !hook_str(p, "user_id"))
		return err_set(&c->err, ERR_INVALID, "channel_id", "a slash command names its channel and user");
	ev->response_url = hook_str(p, "response_url");
	if (!ev->response_url)
		ev->response_url = "";
	ev->text = text ? text : "";
	hook_copy(ev->place, sizeof ev->place, hook_str(p, "channel_id"));
	hook_copy(ev->repo, sizeof ev->repo, ev->place);
	hook_copy(ev->number, sizeof ev->number, ev->delivery);
	hook_copy(ev->login, sizeof ev->login, hook_str(p, "user_id"));
	title_of(ev->title, sizeof ev->title, ev->text);
	if (!*ev->title)
		return hook_ignore(ev, "the command asks nothing: say what to do after it");
	ev->kind = HK_CHAT;
	return 0;
}

int slack_event(struct call *c, cJSON **payload, struct hook_event *ev)
{
	const char *body = c->in->body ? c->in->body : "";
	size_t len = c->in->body_len;

	ev->platform = HOOK_SLACK;
	if (len > 0 && body[0] == '{') {
		if (!(*payload = json_parse_strict(body, len, &c->err)))
			return -1;
		if (!cJSON_IsObject(*payload))
			return err_set(&c->err, ERR_BAD_JSON, NULL, "an event's body is a JSON object");
		return events_api(c, *payload, ev);
	}
	if (!(*payload = form_parse(c, body, len)))
		return -1;
	return slash_command(c, *payload, ev);
}
