/*
 * link.c - answers back to where the humans are. A bead that came from an issue keeps one tracking
 * comment there, edited as the bead moves (taken in, a polecat working, landed, failed); one from
 * Slack gets replies in its thread. The link row holds the state wanted and the state last posted:
 * a post runs while they differ, one at a time, and a failed post is tried again with backoff, so an
 * outage of the platform delays the answer and never loses the bead.
 */
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"
#include "sqlite3.h"

#define RETRIES_MAX 12
#define BACKOFF_MS 2000.0
#define BACKOFF_MAX_MS 3600000.0

struct link {
	char bead[72], platform[16], place[201], number[130], comment[64], want[16], posted[16];
	int attempts, in_flight;
};

static int link_get(struct call *c, const char *bead, struct link *l)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT platform, place, number, coalesce(comment, ''), want,"
					     " coalesce(posted, ''), attempts, in_flight FROM hook_links WHERE bead = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(l->bead, sizeof l->bead, "%s", bead);
	snprintf(l->platform, sizeof l->platform, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(l->place, sizeof l->place, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(l->number, sizeof l->number, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(l->comment, sizeof l->comment, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(l->want, sizeof l->want, "%s", (const char *)sqlite3_column_text(st, 4));
	snprintf(l->posted, sizeof l->posted, "%s", (const char *)sqlite3_column_text(st, 5));
	l->attempts = sqlite3_column_int(st, 6);
	l->in_flight = sqlite3_column_int(st, 7);
	sqlite3_reset(st);
	return 1;
}

/* Set the columns a post changes (comment NULL: as it is). */
static int link_set(struct call *c, const struct link *l, const char *comment)
{
	sqlite3_stmt *st = db_prepare(c->db, "UPDATE hook_links SET want = ?2, posted = nullif(?3, ''), attempts = ?4,"
					     " in_flight = ?5, comment = coalesce(?6, comment), updated_ms = ?7 WHERE bead = ?1", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, l->bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->want, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, l->posted, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, l->attempts);
	sqlite3_bind_int(st, 5, l->in_flight);
	if (comment)
		sqlite3_bind_text(st, 6, comment, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int link_bead_of(struct call *c, enum hook_platform p, const char *place, const char *number, char *bead, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT bead FROM hook_links WHERE platform = ? AND place = ? AND number = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hook_platform_name(p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, place, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, number, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(bead, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return 1;
}

/* The message for a state, with a link to the bead on the dashboard when the town knows its address. */
static void message(struct call *c, enum hook_platform p, const struct link *l, char *out, size_t len)
{
	char base[201], link[400];

	if (integration_setting(c, p, "dashboard_url", "", base, sizeof base) < 0)
		*base = '\0';
	if (*base)
		snprintf(link, sizeof link, " — %s/#/towns/%s/beads/%s", base, c->cfg->object_id, l->bead);
	else
		snprintf(link, sizeof link, " (bead %s)", l->bead);
	if (strcmp(l->want, "working") == 0)
		snprintf(out, len, "A polecat is working on this%s", link);
	else if (strcmp(l->want, "landed") == 0)
		snprintf(out, len, "Landed: the work on this is done%s", link);
	else if (strcmp(l->want, "failed") == 0)
		snprintf(out, len, "The work on this failed; the town's members can see why%s", link);
	else
		snprintf(out, len, "Gastown Edge took this in; the Mayor is looking at it%s", link);
}

/* The platform call that posts l's wanted state: 1 when submitted, 0 when the town cannot post
 * (no token: logged), -1 on failure. */
static int submit(struct call *c, struct link *l)
{
	int p = hook_platform_of(l->platform), rc;
	char text[900], path[900], subject[120], place[620];
	cJSON *body = cJSON_CreateObject();

	if (p < 0) {
		cJSON_Delete(body);
		return 0;
	}
	message(c, (enum hook_platform)p, l, text, sizeof text);
	if (p == HOOK_GITHUB) {
		if (*l->comment)
			snprintf(path, sizeof path, "/repos/%s/issues/comments/%s", l->place, l->comment);
		else
			snprintf(path, sizeof path, "/repos/%s/issues/%s/comments", l->place, l->number);
		cJSON_AddStringToObject(body, "body", text);
	} else if (p == HOOK_GITLAB) {
		query_escape(l->place, place, sizeof place);
		if (*l->comment)
			snprintf(path, sizeof path, "/projects/%s/issues/%s/notes/%s", place, l->number, l->comment);
		else
			snprintf(path, sizeof path, "/projects/%s/issues/%s/notes", place, l->number);
		cJSON_AddStringToObject(body, "body", text);
	} else {
		/* Every state is a reply in the thread: Slack notifies on a reply, not on an edit. A slash
		 * command has no thread until the first answer starts one. */
		const char *thread = strncmp(l->number, "cmd:", 4) != 0 ? l->number : *l->comment ? l->comment : NULL;

		snprintf(path, sizeof path, "/chat.postMessage");
		cJSON_AddStringToObject(body, "channel", l->place);
		cJSON_AddStringToObject(body, "text", text);
		if (thread)
			cJSON_AddStringToObject(body, "thread_ts", thread);
	}
	snprintf(subject, sizeof subject, "%s:%s", l->want, l->bead);
	rc = hook_call(c, (enum hook_platform)p, "hook", subject,
		       p == HOOK_SLACK || !*l->comment ? "POST" : p == HOOK_GITHUB ? "PATCH" : "PUT", path, body);
	cJSON_Delete(body);
	if (rc <= 0)
		return rc;
	l->in_flight = 1;
	return link_set(c, l, NULL) < 0 ? -1 : 1;
}

/* Post when the wanted state is not the one posted and no post is on its way. */
static int post(struct call *c, const char *bead)
{
	struct link l;
	int rc = link_get(c, bead, &l);

	if (rc <= 0 || l.in_flight || strcmp(l.want, l.posted) == 0)
		return rc < 0 ? -1 : 0;
	return submit(c, &l) < 0 ? -1 : 0;
}

int link_add(struct call *c, const struct hook_event *ev, const char *bead)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT INTO hook_links(bead, platform, place, number, want, created_ms, updated_ms)"
					     " VALUES (?, ?, ?, ?, 'queued', ?, ?)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hook_platform_name(ev->platform), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ev->place, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ev->number, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, c->now_ms);
	sqlite3_bind_double(st, 6, c->now_ms);
	return db_step_done(c->db, st, &c->err) < 0 ? -1 : post(c, bead);
}

int link_on_bead(struct call *c, const struct bead_change *ch)
{
	const char *want = NULL;
	struct link l;
	int rc;

	if (ch->kind == BEAD_DELETING)
		return db_exec_text(c->db, "DELETE FROM hook_links WHERE bead = ?", ch->id, &c->err);
	if (ch->kind != BEAD_STATUS)
		return 0;
	want = !strcmp(ch->to, "in_progress") ? "working" : !strcmp(ch->to, "closed") ? "landed"
	     : !strcmp(ch->to, "failed") ? "failed" : NULL;
	if (!want || (rc = link_get(c, ch->id, &l)) == 0)
		return 0;
	if (rc < 0)
		return -1;
	snprintf(l.want, sizeof l.want, "%s", want);
	l.attempts = 0;
	return link_set(c, &l, NULL) < 0 ? -1 : post(c, ch->id);
}

/* The id of what was posted: a comment or note id, or a Slack message's ts. */
static void posted_id(const cJSON *answer, char *out, size_t len)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(answer, "id");
	const char *ts = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "ts"));

	if (cJSON_IsNumber(id) && id->valuedouble >= 1 && id->valuedouble < 1e18)
		snprintf(out, len, "%.0f", id->valuedouble);
	else if (ts && strlen(ts) < len && !strpbrk(ts, "/?#% "))
		snprintf(out, len, "%s", ts);
	else
		*out = '\0';
}

int link_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	const char *bead = strchr(subject, ':');
	int status = effect_status(result);
	int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")), rc;
	cJSON *answer = NULL;
	char id[64] = "", sent[16];
	struct link l;

	if (!bead || (size_t)(bead - subject) >= sizeof sent)
		return 0;
	snprintf(sent, sizeof sent, "%.*s", (int)(bead - subject), subject);
	if ((rc = link_get(c, ++bead, &l)) <= 0)
		return rc; /* the bead is gone: nothing to answer for */
	l.in_flight = 0;
	if (ok && status >= 200 && status < 300)
		answer = json_parse_exact(body, len);
	/* Slack says no inside a 200. */
	if (answer && !strcmp(l.platform, "slack") && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "ok"))) {
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "error"));

		status = e && !strcmp(e, "ratelimited") ? 429 : 400;
		cJSON_Delete(answer);
		answer = NULL;
	}
	if (answer) {
		posted_id(answer, id, sizeof id);
		cJSON_Delete(answer);
		snprintf(l.posted, sizeof l.posted, "%s", sent);
		l.attempts = 0;
		/* GitHub and GitLab edit the first comment from then on; Slack threads under the first reply. */
		if (link_set(c, &l, *l.comment || !*id ? NULL : id) < 0)
			return -1;
		return post(c, l.bead);
	}
	if (ok && status >= 400 && status < 500 && status != 429 && status != 408) {
		/* Refused (a bad token, an issue gone): trying again would be refused again. */
		snprintf(l.posted, sizeof l.posted, "%s", l.want);
		call_log(c, "warn", "the platform refused the town's answer", cJSON_CreateNumber(status));
		return link_set(c, &l, NULL) < 0 ? -1 : event_append(c, "hook.answer_refused", l.bead, NULL, NULL, l.platform);
	}
	if (++l.attempts >= RETRIES_MAX) {
		snprintf(l.posted, sizeof l.posted, "%s", l.want);
		return link_set(c, &l, NULL) < 0 ? -1 : event_append(c, "hook.answer_failed", l.bead, NULL, NULL, l.platform);
	}
	{
		double wait = BACKOFF_MS;

		for (int i = 1; i < l.attempts && wait < BACKOFF_MAX_MS; i++)
			wait *= 2;
		if (wait > BACKOFF_MAX_MS)
			wait = BACKOFF_MAX_MS;
		return link_set(c, &l, NULL) < 0 ? -1 : timer_set(c, "hook", l.bead, c->now_ms + wait);
	}
}

int link_timer_fired(struct call *c, const char *bead)
{
	return post(c, bead);
}

int link_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM hook_links", &c->err);
}
