/*
 * hooks/hooks.h - the town hears the platforms its teams live in (GitHub, GitLab, Slack): integrations
 * and their member mappings, signed deliveries taken once, what each platform's event asks of the
 * town (a bead, a review, an escalation), and the answers posted back. Each platform's file reads
 * its own payloads and signatures into one shape (struct hook_event); rules.c alone decides.
 */
#ifndef GASTOWN_HOOKS_H
#define GASTOWN_HOOKS_H

#include "run/run.h"

enum hook_platform { HOOK_GITHUB, HOOK_GITLAB, HOOK_SLACK, HOOK_PLATFORMS };

/* "github", "gitlab", "slack"; the platform named s, or -1. */
const char *hook_platform_name(enum hook_platform p);
int hook_platform_of(const char *s);
extern const char *const hook_platforms[]; /* NULL-terminated (route tables' one_of) */

/* ---- integration.c: a town's integrations and who is who on each platform ----------------------- */

#define INTEGRATION_LOGINS_MAX 500
/* The town secret (town_secrets) behind each of a platform's secret names, in the integration's
 * body: github webhook_secret/token, gitlab webhook_token/token, slack signing_secret/bot_token. */
const char *integration_secret_name(enum hook_platform p, const char *name);
/* Create or change an integration (owner NULL keeps it, or is the caller on creation; settings
 * merged key by key; secrets as town_secrets_put takes them, by the integration's names). */
int integration_put(struct call *c, enum hook_platform p, const char *owner, const cJSON *settings,
		    const cJSON *secrets);
/* Remove an integration, its logins and its secrets (ERR_NOT_FOUND when it has none). */
int integration_delete(struct call *c, enum hook_platform p);
/* 1 with the owner when the town has the integration, 0 when not, -1 on failure. */
int integration_owner(struct call *c, enum hook_platform p, char *owner, size_t len);
/* A setting of the integration as text (def when unset or not a string). 0, or -1. */
int integration_setting(struct call *c, enum hook_platform p, const char *name, const char *def, char *out,
			size_t len);
/* Set a setting the town learned (a GitHub App's installation id from a delivery), only when unset. */
int integration_setting_learn(struct call *c, enum hook_platform p, const char *name, const char *value);
/* The cached App installation token: 1 with it while it has more than two minutes left, 0 when
 * none is usable; *requested_ms when an exchange was last asked for (0: never). -1. */
int integration_token(struct call *c, enum hook_platform p, char *token, size_t len, double *requested_ms);
/* Cache a token (token NULL: only mark an exchange requested at requested_ms). */
int integration_token_set(struct call *c, enum hook_platform p, const char *token, double expires_ms, double requested_ms);
/* Map (user non-NULL) or unmap a platform login; ERR_NOT_FOUND for an unknown integration or login. */
int integration_login_put(struct call *c, enum hook_platform p, const char *login, const char *user);
/* 1 with the member the login is mapped to, 0 when unmapped, -1 on failure. */
int integration_member(struct call *c, enum hook_platform p, const char *login, char *user, size_t len);
/* Every integration as the API shows it: settings, which secrets are set, logins and counts. */
cJSON *integrations_json(struct call *c);
int integration_wipe(struct call *c);

/* ---- delivery.c: deliveries taken once, and counted -------------------------------------------- */

/* 1 when the delivery was taken before (within the week it is kept), 0 when not, -1. */
int delivery_seen(struct call *c, enum hook_platform p, const char *id);
/* Record a delivery answered at once (id NULL: none to dedupe on; why: an ignored one's reason, or
 * NULL) and count it under (event, outcome). */
int delivery_record(struct call *c, enum hook_platform p, const char *id, const char *event, const char *outcome,
		    const char *why);
/* A delivery the rules will take, answered now and applied on the alarm: its row ("queued") and
 * what the rules need of it (hook_event_print's text). *first: the inbox was empty. */
int delivery_queue(struct call *c, enum hook_platform p, const char *id, const char *event, const char *what,
		   int *first);
struct queued {
	int64_t seq;
	enum hook_platform platform;
	char delivery[130];
	char event[48]; /* as read when it came */
	cJSON *what;    /* hook_event_print's object (owned) */
	size_t len;     /* its size as stored */
};
/* The oldest queued delivery into *q (freed with delivery_queued_free): 1, 0 when none, -1. */
int delivery_next(struct call *c, struct queued *q);
void delivery_queued_free(struct queued *q);
/* The queued delivery was applied: out of the inbox, its row says what became of it, counted. */
int delivery_done(struct call *c, const struct queued *q, const char *event, const char *outcome, const char *bead,
		  const char *why);
/* What became of one delivery {platform, delivery, event, outcome, bead, received_ms, why?}; NULL with
 * ERR_NOT_FOUND when the town has no such delivery (kept a week). */
cJSON *delivery_json(struct call *c, enum hook_platform p, const char *id);
/* How many of a platform's deliveries wait to be applied. */
int delivery_waiting(struct call *c, enum hook_platform p, int64_t *n);
/* {event: {outcome: n}} for one platform. */
cJSON *delivery_counts_json(struct call *c, enum hook_platform p);
int delivery_wipe(struct call *c);

/* ---- what a delivery asks of the town: filled by github.c, gitlab.c, slack.c -------------------- */

enum hook_kind {
	HK_NONE,       /* nothing the rules take: ignored (and counted) */
	HK_ISSUE,      /* an issue carries the rig's label: a bead */
	HK_COMMAND,    /* "/gastown ..." in a comment on an issue: a bead */
	HK_OUTSIDE_PR, /* a pull request opened by someone outside the town: a review bead */
	HK_CI_FAILED,  /* CI failed on the default branch or on a town's pull request: an escalation */
	HK_CHAT,       /* a Slack command or mention: a bead, answered in the thread */
	HK_PING,       /* the platform checks the hook is there */
	HK_REVIEW,     /* a review comment, a review or a note on a pull request: review.c */
};

#define HOOK_TITLE_MAX 200
#define HOOK_BODY_MAX 16000
#define HOOK_LABELS_MAX 20

struct hook_event {
	enum hook_platform platform;
	enum hook_kind kind;
	char event[48];       /* the platform's event (and action), for the counts */
	char delivery[130];   /* the platform's delivery id: the dedupe key */
	char why[160];        /* HK_NONE: why it is ignored (logged) */
	char repo[201];       /* owner/name, the GitLab project path; Slack: the channel */
	char place[201];      /* where answers go: owner/repo, GitLab's project id, Slack's channel */
	char number[136];     /* issue, pull request or MR number; Slack: the thread's ts */
	char login[130];      /* who on the platform asked (Slack: the user id) */
	char title[HOOK_TITLE_MAX + 1];
	char url[512];        /* the issue, PR, run or message on the platform */
	char branch[201];     /* HK_CI_FAILED: the branch the run was on */
	char check[201];      /* HK_CI_FAILED: the check or workflow's name, and its conclusion */
	int pr;               /* HK_CI_FAILED: a pull request the run belongs to, 0: none */
	const char *body;     /* borrowed from the payload (may be NULL) */
	const char *text;     /* HK_COMMAND/HK_CHAT: what was asked, borrowed */
	const cJSON *labels;  /* array of label names or {name|title}: borrowed */
	int inside;           /* HK_OUTSIDE_PR: the platform says the author belongs (member, owner...) */
	const char *default_branch; /* borrowed */
	const char *response_url;   /* Slack: where a slash command may be answered */
	/* HK_REVIEW */
	char comment[48];     /* the comment's (or review's) id on the platform */
	char thread[72];      /* GitHub: the thread's first comment id, "" on the conversation; GitLab: the discussion */
	char path[300];       /* the file it is on, "" for none */
	int line, start_line; /* its lines in the new file, 0 for none */
	const char *hunk;     /* the diff around it, borrowed */
	const char *state;    /* a review's state (approved, changes_requested, commented), or NULL */
	int reply;            /* a reply in an existing thread */
};

/* Read a verified delivery's payload into ev (kind HK_NONE for what no rule takes). 0, or -1 with
 * ERR_INVALID for a payload that is not what the platform sends. Each checks the request's
 * signature first (ERR_UNAUTHENTICATED, with why): hook_verify_*. */
int github_verify(struct call *c);
int github_event(struct call *c, const cJSON *payload, struct hook_event *ev);
int gitlab_verify(struct call *c);
int gitlab_event(struct call *c, const cJSON *payload, struct hook_event *ev);
int slack_verify(struct call *c);
/* Slack's bodies are JSON (events) or a form (slash commands): parsed here into *payload (owned by
 * the caller; a form becomes an object of its fields). */
int slack_event(struct call *c, cJSON **payload, struct hook_event *ev);
/* The string at a dotted path of a payload ("issue.user.login"), or NULL; any item at hook_at. */
const char *hook_str(const cJSON *o, const char *path);
const cJSON *hook_at(const cJSON *o, const char *path);
/* A label of a payload's labels: a string, GitHub's {name} or GitLab's {title}; NULL for none. */
const char *hook_label(const cJSON *l);
/* What the platform readers share: s (NULL: "") into out; a positive integer id as digits ("" when
 * n is none); and an event no rule takes, with why (always 0). */
void hook_copy(char *out, size_t len, const char *s);
void hook_number(char *out, size_t len, const cJSON *n);
int hook_ignore(struct hook_event *ev, const char *why);

/* ---- event.c: what a queued delivery keeps of its payload ------------------------------------- */

/* ev as a small JSON object (labels as their names), for the inbox; NULL when out of memory. */
char *hook_event_print(const struct hook_event *ev);
/* ev again from that object, its borrowed strings pointing into o: 0, or -1 when o is not one. */
int hook_event_read(const cJSON *o, struct hook_event *ev);

/* ---- rules.c: what the town does with an event ------------------------------------------------ */

/* The Mayor is told of the work the rules made as the member it is requested by. Told per batch of
 * deliveries (receive.c), one message per member, so a burst costs one message and one context of
 * the town, not one each: the rules fill this, the inbox sends it. */
struct hook_tell {
	int set;
	char user[130];
	enum role role;
	int slung;
	char line[400]; /* "GitHub issue acme/app#12: \"title\" came in as bead gt-x." */
};

/* Apply the rules of the event's rig: *bead gets the bead made, "" when none; *tell what to tell
 * the Mayor of it (set 0 when nothing). outcome: "created", "duplicate" (the issue already has its
 * bead), "ignored", "escalated". */
int rules_apply(struct call *c, struct hook_event *ev, char *bead, size_t blen, const char **outcome,
		struct hook_tell *tell);

/* ---- outbound.c: calls to a platform's API as the town ----------------------------------------- */

/* The platform's API base: the integration's api_url, else the platform's own. 0, or -1. */
int hook_api_base(struct call *c, enum hook_platform p, char *out, size_t len);
/* An effect of purpose/subject calling method on the API base + path with the town's token and the
 * platform's headers (body NULL: none). 1 submitted, 0 when the town has no token (logged), -1. */
int hook_call(struct call *c, enum hook_platform p, const char *purpose, const char *subject, const char *method,
	      const char *path, const cJSON *body);
/* 1 when the town speaks to GitHub as an App (app_id and its private key), 0 when not, -1. */
int hook_github_app(struct call *c);
/* hook_call to GitHub (the `pr` rigs' calls, through wiring.c). */
int hook_github_call(struct call *c, const char *purpose, const char *subject, const char *method, const char *path,
		     const cJSON *body);
/* effect_purposes "app-token": a GitHub App's installation token came (the calls waiting for it are
 * made) or did not (they are told they failed). */
int hook_app_token_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int hook_pending_wipe(struct call *c);
/* 1 when an effect's result is a 2xx answer; *status gets its status (0 when none came). */
int hook_answer_ok(const cJSON *result, int *status);

/* ---- review.c: the review-response loop on the town's pull requests --------------------------- */

enum review_kind { RV_FIX, RV_QUESTION, RV_NIT, RV_ARCHITECTURAL, RV_APPROVAL };
/* What a comment asks for, from its words (and a review's state): a pure function. */
enum review_kind review_classify(const char *body, const char *state);
const char *review_kind_name(enum review_kind k);
/* A comment on a pull request of rig: a sub-bead of its merge request (or recorded and skipped).
 * outcome as rules_apply's, or "approved". */
int review_take(struct call *c, struct hook_event *ev, const char *rig, char *bead, size_t blen, const char **outcome);
/* The agent working on a review sub-bead answers in its thread, or resolves it (effects). */
int review_reply(struct call *c, const char *bead, const char *text);
int review_resolve(struct call *c, const char *bead);
/* bead_reactions: a merge request of a `pr` rig is followed (its comments polled); a sub-bead that
 * lands is answered and resolved if the agent did not. */
int review_on_bead(struct call *c, const struct bead_change *ch);
/* effect_purposes "review" and timer_kinds "review" (the polling fallback). */
int review_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int review_timer_fired(struct call *c, const char *mr);
int review_wipe(struct call *c);

/* ---- link.c: the answers back to where the humans are --------------------------------------- */

/* The bead came from ev: remember where to answer, and post "taken in" there. */
int link_add(struct call *c, const struct hook_event *ev, const char *bead);
/* 1 with the bead already made for the issue or thread, 0 when none, -1. */
int link_bead_of(struct call *c, enum hook_platform p, const char *place, const char *number, char *bead,
		 size_t len);
/* bead_reactions: a linked bead that starts, lands or fails updates its answer. */
int link_on_bead(struct call *c, const struct bead_change *ch);
/* effect_purposes "hook" and timer_kinds "hook": a post's result, and a retry after backoff. */
int link_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int link_timer_fired(struct call *c, const char *bead);
int link_wipe(struct call *c);

/* ---- receive.c: a delivery from verification to its answer ------------------------------------- */

/* A delivery from verification to its answer: refused (nothing stored), answered at once (a ping,
 * a redelivery, an event no rule takes), or queued for the alarm ("queued"). */
int hook_receive(struct call *c, enum hook_platform p);
/* timer_kinds "hook-inbox": apply the queued deliveries, oldest first, a bounded batch per alarm. */
int hook_inbox_fired(struct call *c, const char *key);

#endif
