/*
 * rules.c - what the town does with what a platform tells it, by the rules of the rig the repository
 * belongs to (rig_hooks: its label, which kinds of event it takes, whether work is slung at once).
 * Work is requested by the member the platform user is mapped to, or by the integration's owner,
 * and the bead says which. The Mayor is told of new work so it can assess it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks.h"
#include "sqlite3.h"

static int has_label(const cJSON *labels, const char *want)
{
	const cJSON *l;

	cJSON_ArrayForEach(l, labels) {
		const char *s = hook_label(l);

		if (s && sqlite3_stricmp(s, want) == 0)
			return 1;
	}
	return 0;
}

/* The bead's labels: the platform's (those a bead can carry, 1-50 bytes, no repeats) and the
 * platform's name, at most HOOK_LABELS_MAX. */
static cJSON *labels_of(const struct hook_event *ev, const char *extra)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *l;

	cJSON_AddItemToArray(out, cJSON_CreateString(hook_platform_name(ev->platform)));
	if (extra)
		cJSON_AddItemToArray(out, cJSON_CreateString(extra));
	cJSON_ArrayForEach(l, ev->labels) {
		const char *s = hook_label(l);
		const cJSON *seen;
		int dup = 0;

		if (!s || !*s || strlen(s) > 50 || cJSON_GetArraySize(out) >= HOOK_LABELS_MAX)
			continue;
		cJSON_ArrayForEach(seen, out)
			dup |= strcmp(seen->valuestring, s) == 0;
		if (!dup)
			cJSON_AddItemToArray(out, cJSON_CreateString(s));
	}
	return out;
}

/* s cut to at most max bytes, between characters, into a buffer the caller frees. */
static char *cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *out;

	/* Also a string cut before it came here may end in half a character. */
	n = utf8_trim(s, n > max ? max : n);
	if (!(out = cJSON_malloc(n + 1)))
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

struct who {
	char user[130];  /* the member the work is requested by */
	int mapped;      /* the platform user is that member (else: the integration's owner) */
	enum role role;
};

static int requester(struct call *c, const struct hook_event *ev, struct who *w)
{
	int rc = *ev->login ? integration_member(c, ev->platform, ev->login, w->user, sizeof w->user) : 0;

	w->mapped = 0;
	if (rc < 0 || (rc && member_role(c, w->user, &w->role) < 0))
		return -1;
	/* Only someone who may ask for work asks for it; anyone else's is the owner's to answer for. */
	if (rc && w->role >= ROLE_MEMBER) {
		w->mapped = 1;
		return 0;
	}
	if ((rc = integration_owner(c, ev->platform, w->user, sizeof w->user)) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "the integration has no owner");
	return member_role(c, w->user, &w->role);
}

static const char *platform_title(enum hook_platform p)
{
	return p == HOOK_GITHUB ? "GitHub" : p == HOOK_GITLAB ? "GitLab" : "Slack";
}

/* The bead's body: what was asked, where it came from, and who asked for it on whose behalf. */
static char *body_of(const struct hook_event *ev, const struct who *w)
{
	struct strbuf sb = {0};
	char *text = NULL, *body = ev->body ? cut(ev->body, HOOK_BODY_MAX) : NULL;

	const char *asked = ev->text;

	while (asked && (*asked == ' ' || *asked == '\t' || *asked == '\r' || *asked == '\n'))
		asked++;
	if (asked && *asked && !(text = cut(asked, 4000)))
		goto out;
	if (text)
		strbuf_addf(&sb, "%s\n\n", text);
	if (body && *body)
		strbuf_addf(&sb, "%s\n\n", body);
	strbuf_addf(&sb, "---\nFrom %s %s%s%s", platform_title(ev->platform), ev->repo, *ev->number && ev->platform != HOOK_SLACK ? "#" : "",
		    ev->platform != HOOK_SLACK ? ev->number : "");
	if (*ev->url)
		strbuf_addf(&sb, " (%s)", ev->url);
	strbuf_addf(&sb, ", by %s.", *ev->login ? ev->login : "someone unnamed");
	if (!w->mapped)
		strbuf_addf(&sb, " %s is not mapped to a member of the town: the work is requested by the"
				 " integration's owner, %s.", *ev->login ? ev->login : "The sender", w->user);
out:
	cJSON_free(text);
	cJSON_free(body);
	return sb.buf;
}

static cJSON *metadata_of(const struct hook_event *ev, const struct who *w)
{
	cJSON *m = cJSON_CreateObject(), *s = cJSON_AddObjectToObject(m, "source");

	cJSON_AddStringToObject(s, "platform", hook_platform_name(ev->platform));
	cJSON_AddStringToObject(s, "repo", ev->repo);
	cJSON_AddStringToObject(s, "number", ev->number);
	cJSON_AddStringToObject(s, "url", ev->url);
	cJSON_AddStringToObject(s, "login", ev->login);
	cJSON_AddStringToObject(s, "delivery", ev->delivery);
	cJSON_AddBoolToObject(s, "mapped", w->mapped);
	return m;
}

/* What the Mayor is to be told of the bead, as the member who asked: it assesses the work (slings
 * it, asks, or leaves it) or, slung already, watches it. */
static void tell_of(struct hook_tell *tell, const struct hook_event *ev, const struct who *w, const char *bead, int slung)
{
	int slack = ev->platform == HOOK_SLACK;

	tell->set = 1;
	snprintf(tell->user, sizeof tell->user, "%s", w->user);
	tell->role = w->role;
	tell->slung = slung;
	snprintf(tell->line, sizeof tell->line, "%s %s %.100s%s%.40s: \"%.120s\" came in as bead %.40s.", platform_title(ev->platform),
		 ev->kind == HK_OUTSIDE_PR ? "pull request from outside the town," : slack ? "message in" : "issue",
		 ev->repo, slack ? "" : "#", slack ? "" : ev->number, ev->title, bead);
}

static int make_bead(struct call *c, const struct hook_event *ev, const char *rig, int held, const char *type,
		     const char *title, const char *extra_label, char *bead, size_t blen, struct hook_tell *tell)
{
	struct who w;
	struct bead_fields f = {.priority = -1, .held_set = 1, .held = held, .rig = rig, .type = type};
	cJSON *labels = NULL, *meta = NULL;
	char *body = NULL, *t = NULL;
	int rc = -1;

	if (requester(c, ev, &w) < 0)
		return -1;
	labels = labels_of(ev, extra_label);
	meta = metadata_of(ev, &w);
	body = body_of(ev, &w);
	t = cut(*title ? title : "(untitled)", 200);
	if (!labels || !meta || !body || !t) {
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	f.title = t;
	f.body = body;
	f.labels = labels;
	f.metadata = meta;
	/* The platform user made it (the feed says so), for the member it is requested by. */
	snprintf(c->who.id, sizeof c->who.id, "%.8s:%.100s", hook_platform_name(ev->platform), *ev->login ? ev->login : "unknown");
	snprintf(c->who.requested_by, sizeof c->who.requested_by, "%.128s", w.user);
	if (bead_create(c, &f, bead, blen) < 0 || link_add(c, ev, bead) < 0)
		goto out;
	tell_of(tell, ev, &w, bead, !held);
	rc = 0;
out:
	cJSON_Delete(labels);
	cJSON_Delete(meta);
	free(body);
	cJSON_free(t);
	return rc;
}

/* A failed run on the default branch, or on a pull request the town made: the humans are told,
 * with the bead that made the pull request when there is one. */
static int ci_failed(struct call *c, struct hook_event *ev, const char *rig, const struct rig_hooks *h,
		     const char **outcome)
{
	char mr[72] = "", work[72] = "", title[300], body[1200], esc[48], owner[130];
	int rc = 0;

	if (ev->pr && (rc = bead_of_pull_request(c, rig, ev->pr, mr, sizeof mr, work, sizeof work)) < 0)
		return -1;
	if (!rc && strcmp(ev->branch, h->base) != 0) {
		snprintf(ev->why, sizeof ev->why, "a failure on %.60s: not the default branch nor a town's pull request",
			 *ev->branch ? ev->branch : "an unnamed branch");
		return 0;
	}
	snprintf(title, sizeof title, "CI failed on %s %.150s: %.100s", rc ? "the town's pull request for" : "the default branch",
		 rc ? work : ev->branch, ev->check);
	snprintf(body, sizeof body, "%s %s reports %s on %s%s%s. %s", platform_title(ev->platform), ev->repo, ev->check,
		 *ev->branch ? ev->branch : "its branch", *ev->url ? ": " : "", ev->url,
		 rc ? "The bead that made the pull request is linked." : "Nothing of the town's is on that branch yet.");
	if (integration_owner(c, ev->platform, owner, sizeof owner) < 0)
		return -1;
	snprintf(c->who.id, sizeof c->who.id, "%.8s:%.100s", hook_platform_name(ev->platform), *ev->login ? ev->login : "ci");
	snprintf(c->who.requested_by, sizeof c->who.requested_by, "%.128s", owner);
	if (escalation_raise(c, rc ? "high" : "medium", title, body, rc ? work : NULL, esc, sizeof esc) < 0)
		return -1;
	*outcome = "escalated";
	return 0;
}

int rules_apply(struct call *c, struct hook_event *ev, char *bead, size_t blen, const char **outcome,
		struct hook_tell *tell)
{
	struct rig_hooks h = {0};
	struct who w;
	char rig[72] = "", title[HOOK_TITLE_MAX + 60];
	int rc, sling;

	*outcome = "ignored";
	*bead = '\0';
	tell->set = 0;
	if (ev->platform == HOOK_SLACK) {
		if (integration_setting(c, HOOK_SLACK, "rig", "", rig, sizeof rig) < 0 || (*rig && (rc = rig_exists(c, rig)) < 0))
			return -1;
		if (*rig && !rc)
			*rig = '\0';
		if (*rig && rig_hooks(c, rig, &h) < 0)
			return -1;
	} else {
		if ((rc = rig_for_repo(c, ev->repo, rig, sizeof rig)) < 0)
			return -1;
		if (!rc) {
			snprintf(ev->why, sizeof ev->why, "no rig of the town is %.120s", ev->repo);
			return 0;
		}
		if (rig_hooks(c, rig, &h) < 0)
			return -1;
	}
	sling = *rig && h.sling;
	if (ev->kind == HK_REVIEW)
		return review_take(c, ev, rig, bead, blen, outcome);
	if (ev->kind == HK_CI_FAILED)
		return h.ci ? ci_failed(c, ev, rig, &h, outcome) : (snprintf(ev->why, sizeof ev->why, "the rig takes no CI failures"), 0);
	if ((rc = link_bead_of(c, ev->platform, ev->place, ev->number, bead, blen)) != 0) {
		if (rc > 0)
			*outcome = "duplicate";
		return rc < 0 ? -1 : 0;
	}
	switch (ev->kind) {
	case HK_ISSUE:
		if (!h.issues || !has_label(ev->labels, h.label)) {
			snprintf(ev->why, sizeof ev->why, !h.issues ? "the rig takes no issues" : "the issue is not labelled '%s'", h.label);
			return 0;
		}
		rc = make_bead(c, ev, rig, !sling, has_label(ev->labels, "bug") ? "bug" : "task", ev->title, NULL, bead, blen, tell);
		break;
	case HK_COMMAND:
		/* Only a member speaks to the town from a comment. */
		if (!h.comments)
			return snprintf(ev->why, sizeof ev->why, "the rig takes no commands in comments"), 0;
		if (requester(c, ev, &w) < 0)
			return -1;
		if (!w.mapped)
			return snprintf(ev->why, sizeof ev->why, "%.100s is not mapped to a member of the town", ev->login), 0;
		rc = make_bead(c, ev, rig, !sling, has_label(ev->labels, "bug") ? "bug" : "task", ev->title, NULL, bead, blen, tell);
		break;
	case HK_OUTSIDE_PR:
		if (!h.outside_prs)
			return snprintf(ev->why, sizeof ev->why, "the rig takes no outside pull requests"), 0;
		if ((rc = *ev->login ? integration_member(c, ev->platform, ev->login, w.user, sizeof w.user) : 0) < 0)
			return -1;
		if (ev->inside || rc)
			return snprintf(ev->why, sizeof ev->why, "the author belongs to the organization"), 0;
		/* The town's own pull requests come from its branches (gt/<agent>/<bead>). */
		if (*ev->branch && (rc = bead_on_branch(c, rig, ev->branch)) != 0)
			return rc < 0 ? -1 : (snprintf(ev->why, sizeof ev->why, "the town's own pull request"), 0);
		snprintf(title, sizeof title, "Review pull request #%.20s: %.200s", ev->number, ev->title);
		rc = make_bead(c, ev, rig, !sling, "task", title, "review", bead, blen, tell);
		break;
	case HK_CHAT:
		rc = make_bead(c, ev, *rig ? rig : NULL, !sling, "task", ev->title, NULL, bead, blen, tell);
		break;
	default:
		return 0;
	}
	if (rc < 0)
		return -1;
	*outcome = "created";
	return 0;
}
