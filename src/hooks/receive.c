/*
 * receive.c - one delivery from a platform, from its signature to its answer: the town must have the
 * integration, the signature must hold, a delivery taken before changes nothing, and the rules decide.
 * A refusal (no integration, a bad signature, a body that is not the platform's) is an error and the
 * call stores nothing; an event no rule takes is answered 2xx and counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks.h"

/* How long the first delivery of a burst waits for the others before the alarm applies them. */
#define INBOX_GATHER_MS 250.0

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

const char *hook_label(const cJSON *l)
{
	const char *s = cJSON_GetStringValue(l);

	if (!s)
		s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "name"));
	if (!s)
		s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "title"));
	return s;
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
static int answer(struct call *c, const struct hook_event *ev, const char *outcome)
{
	cJSON *o = cJSON_CreateObject();
	int queued = strcmp(outcome, "queued") == 0;

	if (ev->platform == HOOK_SLACK && ev->response_url) {
		char text[400];

		if (queued)
			snprintf(text, sizeof text, "Taken in. The Mayor will look at it; updates follow here.");
		else
			snprintf(text, sizeof text, "Nothing to do: %s.", *ev->why ? ev->why : outcome);
		cJSON_AddStringToObject(o, "response_type", "ephemeral");
		cJSON_AddStringToObject(o, "text", text);
		return call_reply_raw(c, 200, o);
	}
	cJSON_AddStringToObject(o, "outcome", outcome);
	cJSON_AddStringToObject(o, "event", ev->event);
	if (*ev->delivery)
		cJSON_AddStringToObject(o, "delivery", ev->delivery);
	if (*ev->why)
		cJSON_AddStringToObject(o, "why", ev->why);
	/* Slack wants a 200 for its events; the others are told the work is accepted, not done. */
	return call_reply(c, queued && ev->platform != HOOK_SLACK ? 202 : 200, o);
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

static int queue(struct call *c, const struct hook_event *ev)
{
	char *what = hook_event_print(ev);
	int first = 0, rc;

	if (!what)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	rc = delivery_queue(c, ev->platform, ev->delivery, ev->event, what, &first);
	cJSON_free(what);
	/* The inbox's timer is set while it holds anything: only the first delivery sets it, a moment
	 * ahead, so that a burst is applied in a few large batches rather than one alarm per delivery. */
	return rc < 0 || (first && timer_set_earlier(c, "hook-inbox", "inbox", c->now_ms + INBOX_GATHER_MS) < 0) ? -1 : 0;
}

int hook_receive(struct call *c, enum hook_platform p)
{
	struct hook_event ev;
	cJSON *payload = NULL;
	char owner[130];
	int rc;

	memset(&ev, 0, sizeof ev);
	ev.platform = p;
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
			rc = answer(c, &ev, "pong");
		}
		goto out;
	}
	if (*ev.delivery && (rc = delivery_seen(c, p, ev.delivery)) != 0) {
		/* A redelivery: answered, and nothing changes. */
		rc = rc < 0 ? -1 : answer(c, &ev, "duplicate_delivery");
		goto out;
	}
	if (ev.kind == HK_NONE) {
		call_log(c, "info", "webhook ignored", cJSON_CreateString(ev.why));
		rc = delivery_record(c, p, ev.delivery, ev.event, "ignored", ev.why) < 0 ? -1 : answer(c, &ev, "ignored");
		goto out;
	}
	rc = queue(c, &ev) < 0 ? -1 : answer(c, &ev, "queued");
out:
	cJSON_Delete(payload);
	return c->err.code ? -1 : rc;
}

/* ---- the inbox: deliveries applied on the alarm ------------------------------------------------ */

/* At most this many deliveries, or this many bytes of what they carry, per alarm: the object answers
 * requests between batches. */
#define BATCH_DELIVERIES 64
#define BATCH_BYTES (2 * 1024 * 1024)

/* Apply one queued delivery: the event as it was read when it came, then the rules. */
static int apply(struct call *c, const struct queued *q, struct hook_event *ev, char *bead, size_t blen,
		 const char **outcome, struct hook_tell *tell)
{
	struct principal saved_who = c->who;
	char owner[130];
	int rc;

	*outcome = "ignored";
	if (hook_event_read(q->what, ev) < 0) {
		snprintf(ev->event, sizeof ev->event, "%s", q->event);
		return err_set(&c->err, ERR_INTERNAL, NULL, "the queued delivery cannot be read");
	}
	if ((rc = integration_owner(c, q->platform, owner, sizeof owner)) > 0)
		rc = ev->kind == HK_NONE ? 0 : rules_apply(c, ev, bead, blen, outcome, tell);
	else if (rc == 0)
		/* Removed while the delivery waited: there is no one to do the work for. */
		hook_ignore(ev, "the integration was removed before the delivery was applied");
	if (rc == 0 && (ev->kind == HK_NONE || !strcmp(*outcome, "ignored")))
		call_log(c, "info", "webhook ignored", cJSON_CreateString(ev->why));
	c->who = saved_who;
	return rc;
}

/* One message to the Mayor per member the batch made work for, as that member: one line per bead,
 * then what to do with them. Tells are consumed (set 0) as they are sent. */
static int tell_mayor(struct call *c, struct hook_tell *tells, int n)
{
	struct principal saved = c->who;
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		struct strbuf sb = {0};
		int count = 0, slung = 0;
		char msg[48];
		cJSON *ctx = NULL;

		if (!tells[i].set)
			continue;
		for (int j = i; j < n; j++)
			if (tells[j].set && strcmp(tells[j].user, tells[i].user) == 0) {
				count++;
				slung += tells[j].slung;
			}
		if (count > 1)
			strbuf_addf(&sb, "%d pieces of work came in:\n- %s\n", count, tells[i].line);
		else
			strbuf_addf(&sb, "%s ", tells[i].line);
		for (int j = i + 1; j < n; j++)
			if (tells[j].set && strcmp(tells[j].user, tells[i].user) == 0) {
				strbuf_addf(&sb, "- %s\n", tells[j].line);
				tells[j].set = 0;
			}
		if (slung == count)
			strbuf_addf(&sb, count > 1 ? "They are slung already; watch them." : "It is slung already; watch it.");
		else if (!slung)
			strbuf_addf(&sb, count > 1 ? "Assess them: sling each, ask for what is missing, or leave it."
						   : "Assess it: sling it, ask for what is missing, or leave it.");
		else
			strbuf_addf(&sb, "Assess the held ones: sling each, ask for what is missing, or leave it; watch the slung ones.");
		tells[i].set = 0;
		if (!sb.buf)
			return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		snprintf(c->who.id, sizeof c->who.id, "%.128s", tells[i].user);
		c->who.requested_by[0] = '\0';
		rc = mayor_message(c, tells[i].role, sb.buf, NULL, msg, sizeof msg, &ctx);
		cJSON_Delete(ctx);
		free(sb.buf);
		c->who = saved;
	}
	return rc;
}

int hook_inbox_fired(struct call *c, const char *key)
{
	struct hook_tell tells[BATCH_DELIVERIES];
	size_t bytes = 0;
	int n = 0, rc = 0;

	(void)key;
	while (n < BATCH_DELIVERIES && bytes < BATCH_BYTES) {
		struct queued q;
		struct hook_event ev;
		struct call_mark mark;
		char bead[72] = "";
		const char *outcome;

		if ((rc = delivery_next(c, &q)) <= 0)
			break;
		memset(&ev, 0, sizeof ev);
		ev.platform = q.platform;
		tells[n].set = 0;
		/* Each delivery in its own savepoint: one that fails is undone alone and recorded so. */
		if (db_exec(c->db, "SAVEPOINT delivery", &c->err) < 0) {
			delivery_queued_free(&q);
			return -1;
		}
		call_mark(c, &mark);
		if (apply(c, &q, &ev, bead, sizeof bead, &outcome, &tells[n]) < 0) {
			struct err why;

			/* Undone alone and recorded as failed, so one delivery the rules cannot take never
			 * holds up the ones behind it. */
			if (call_undo_to(c, "ROLLBACK TO delivery", &mark, &why) < 0) {
				delivery_queued_free(&q);
				return -1;
			}
			call_log(c, "warn", "webhook delivery failed", cJSON_CreateString(why.message));
			outcome = "failed";
			*bead = '\0';
			tells[n].set = 0;
			snprintf(ev.why, sizeof ev.why, "%.*s", (int)utf8_trim(why.message, strnlen(why.message, sizeof ev.why - 1)),
				 why.message);
		}
		rc = delivery_done(c, &q, *ev.event ? ev.event : q.event, outcome, bead,
				   strcmp(outcome, "ignored") && strcmp(outcome, "failed") && strcmp(outcome, "duplicate") ? NULL : ev.why);
		bytes += q.len;
		delivery_queued_free(&q);
		if (rc < 0 || db_exec(c->db, "RELEASE delivery", &c->err) < 0)
			return -1;
		n++;
	}
	if (rc < 0 || tell_mayor(c, tells, n) < 0)
		return -1;
	/* More may wait: the next batch on the next alarm, after what else the object has to answer. */
	return n == BATCH_DELIVERIES || bytes >= BATCH_BYTES ? timer_set(c, "hook-inbox", "inbox", c->now_ms) : 0;
}
