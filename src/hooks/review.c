/*
 * review.c - the review-response loop on the pull requests the town opened. Each new comment a
 * reviewer leaves (a webhook, or the polling fallback when a delivery is missed) is taken once,
 * classified, and becomes a sub-bead of the merge request, worked on the pull request's own branch
 * (by the polecat that made it when it is idle). The agent replies in the thread and resolves it
 * through its tools; when the fix lands and it did not, the town does. Approvals are recorded, not
 * worked; architectural concerns wait for the Mayor.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks.h"
#include "sqlite3.h"

#define POLL_MS 60000.0
/* Every reply the town posts carries this (markdown renders an HTML comment as nothing), so it is
 * known as the town's when a webhook or a poll brings it back before the reply's own answer did. */
#define OWN_MARK "<!-- gastown-edge -->"
#define TITLE_WORDS 120


/* A pull request's number at the start of s (after blanks), or 0 when there is none or it is out of
 * range. (strtol, not sscanf: the wasm carries no scanf.) */
static int pr_number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return end == s || v < 1 || v > INT_MAX ? 0 : (int)v;
}
static const char *const kind_names[] = {"fix", "question", "nit", "architectural", "approval"};

const char *review_kind_name(enum review_kind k)
{
	return kind_names[k];
}

/* Case-insensitive: s starts with word (followed by a non-letter). */
static int starts(const char *s, const char *word)
{
	size_t n = strlen(word);

	return sqlite3_strnicmp(s, word, (int)n) == 0 && !isalpha((unsigned char)s[n]);
}

static int has(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (sqlite3_strnicmp(s, word, (int)n) == 0)
			return 1;
	return 0;
}

enum review_kind review_classify(const char *body, const char *state)
{
	static const char *const approvals[] = {"lgtm", "looks good", "approved", "ship it", ":+1:", "+1"};
	static const char *const design[] = {"architecture", "architectural", "design", "abstraction", "coupling",
					     "rethink", "separate service", "data model", "overall approach"};
	static const char *const questions[] = {"why", "what", "how", "could you explain", "can you explain", "is there"};
	const char *s = body ? body : "";
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (state && sqlite3_stricmp(state, "approved") == 0)
		return RV_APPROVAL;
	for (size_t i = 0; i < sizeof approvals / sizeof approvals[0]; i++)
		if (starts(s, approvals[i]) && n <= strlen(approvals[i]) + 20)
			return RV_APPROVAL;
	if (starts(s, "nit") || starts(s, "nitpick") || starts(s, "minor") || starts(s, "optional") || starts(s, "style"))
		return RV_NIT;
	for (size_t i = 0; i < sizeof design / sizeof design[0]; i++)
		if (has(s, design[i]))
			return RV_ARCHITECTURAL;
	if (n && s[n - 1] == '?')
		return RV_QUESTION;
	for (size_t i = 0; i < sizeof questions / sizeof questions[0]; i++)
		if (starts(s, questions[i]))
			return RV_QUESTION;
	return RV_FIX;
}

/* ---- the table ------------------------------------------------------------------------------------ */

struct review_row {
	char platform[16], comment[48], mr[72], bead[72], thread[72], kind[16];
	int replied, resolved;
};

static int row_known(struct call *c, const char *platform, const char *comment)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT 1 FROM review_comments WHERE platform = ? AND comment = ?", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, comment, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) > 0)
		sqlite3_reset(st);
	return rc;
}

static int row_add(struct call *c, const char *platform, const char *comment, const char *mr, const char *bead,
		   const char *thread, const char *kind, const char *reviewer)
{
	sqlite3_stmt *st = db_prepare(c->db, "INSERT OR IGNORE INTO review_comments(platform, comment, mr, bead, thread, kind,"
					     " reviewer, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, comment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, mr, -1, SQLITE_STATIC);
	if (bead && *bead)
		sqlite3_bind_text(st, 4, bead, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, thread, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, reviewer, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

/* The comment a sub-bead was made for: 1, 0 when the bead is no review's, -1. */
static int row_of_bead(struct call *c, const char *bead, struct review_row *r)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT platform, comment, mr, thread, kind, replied, resolved FROM review_comments"
					     " WHERE bead = ? AND kind NOT IN ('reply', 'own') LIMIT 1", &c->err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bead, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(r->bead, sizeof r->bead, "%s", bead);
	snprintf(r->platform, sizeof r->platform, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(r->comment, sizeof r->comment, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(r->mr, sizeof r->mr, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(r->thread, sizeof r->thread, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(r->kind, sizeof r->kind, "%s", (const char *)sqlite3_column_text(st, 4));
	r->replied = sqlite3_column_int(st, 5);
	r->resolved = sqlite3_column_int(st, 6);
	sqlite3_reset(st);
	return 1;
}

static int row_mark(struct call *c, const char *bead, const char *column)
{
	return db_exec_text(c->db, strcmp(column, "replied") == 0
					   ? "UPDATE review_comments SET replied = 1 WHERE bead = ? AND kind NOT IN ('reply', 'own')"
					   : "UPDATE review_comments SET resolved = 1 WHERE bead = ? AND kind NOT IN ('reply', 'own')",
			    bead, &c->err);
}

/* The open sub-bead already answering a thread: 1 with it, 0 when none, -1. */
static int thread_open_bead(struct call *c, const char *mr, const char *thread, char *bead, size_t len)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT bead FROM review_comments WHERE mr = ? AND thread = ? AND bead IS NOT NULL"
					     " AND kind NOT IN ('reply', 'own') ORDER BY created_ms DESC LIMIT 1", &c->err);
	char status[16];
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, mr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, thread, -1, SQLITE_STATIC);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	snprintf(bead, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if ((rc = bead_status_get(c, bead, status, sizeof status)) <= 0)
		return rc < 0 ? (err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1) : 0;
	return strcmp(status, "closed") != 0 && strcmp(status, "failed") != 0;
}

int review_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM review_comments", &c->err);
}

/* ---- a comment becomes work ----------------------------------------------------------------------- */

/* Progress on the merge request: {"total", "addressed"}, for its drawer and the Mayor. */
static int progress(struct call *c, const char *mr)
{
	int64_t open, total;
	cJSON *p;
	int rc;

	if (bead_reviews_open(c, mr, &open, &total) < 0)
		return -1;
	p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "total", (double)total);
	cJSON_AddNumberToObject(p, "addressed", (double)(total - open));
	rc = bead_meta_set(c, mr, "review_progress", p);
	cJSON_Delete(p);
	return rc;
}

/* The seed's prompt: the comment, where it is, and what to do. */
static char *prompt(const struct hook_event *ev, enum review_kind k, const char *branch, int pr)
{
	struct strbuf sb = {0};

	strbuf_addf(&sb, "A reviewer (%s) commented on pull request #%d", ev->login, pr);
	if (*ev->path && ev->line)
		strbuf_addf(&sb, ", on %s line%s %d%s", ev->path, ev->start_line && ev->start_line != ev->line ? "s" : "",
			    ev->start_line && ev->start_line != ev->line ? ev->start_line : ev->line, "");
	if (ev->start_line && ev->start_line != ev->line)
		strbuf_addf(&sb, "-%d", ev->line);
	else if (*ev->path && !ev->line)
		strbuf_addf(&sb, ", on %s", ev->path);
	strbuf_addf(&sb, " (%s):\n\n%.8000s\n\n", review_kind_name(k), ev->body ? ev->body : "");
	if (ev->hunk && *ev->hunk)
		strbuf_addf(&sb, "The code it is on:\n\n```diff\n%.4000s\n```\n\n", ev->hunk);
	strbuf_addf(&sb, "What to do: work on the branch %s (the pull request's own). ", branch);
	switch (k) {
	case RV_QUESTION:
		strbuf_addf(&sb, "Answer the question in the thread (gt_review_reply); change the code only if the answer shows it is wrong.");
		break;
	case RV_NIT:
		strbuf_addf(&sb, "Make the small change, push it, reply briefly in the thread and resolve it.");
		break;
	default:
		strbuf_addf(&sb, "Make the change the reviewer asks for, run the rig's checks, push to the same branch, reply in the"
				 " thread with what you changed (gt_review_reply) and resolve it (gt_review_resolve).");
	}
	strbuf_addf(&sb, "\n\n---\nReview comment %s%s%s", ev->comment, *ev->url ? " — " : "", ev->url);
	return sb.buf;
}

static cJSON *review_meta(const struct hook_event *ev, enum review_kind k, const char *branch, int pr)
{
	cJSON *m = cJSON_CreateObject(), *r = cJSON_AddObjectToObject(m, "review");

	cJSON_AddStringToObject(r, "platform", hook_platform_name(ev->platform));
	cJSON_AddNumberToObject(r, "pull_request", pr);
	cJSON_AddStringToObject(r, "comment", ev->comment);
	cJSON_AddStringToObject(r, "thread", ev->thread);
	cJSON_AddStringToObject(r, "path", ev->path);
	cJSON_AddNumberToObject(r, "line", ev->line);
	cJSON_AddNumberToObject(r, "start_line", ev->start_line ? ev->start_line : ev->line);
	cJSON_AddStringToObject(r, "reviewer", ev->login);
	cJSON_AddStringToObject(r, "body", ev->body ? ev->body : "");
	cJSON_AddStringToObject(r, "url", ev->url);
	cJSON_AddStringToObject(r, "kind", review_kind_name(k));
	cJSON_AddStringToObject(r, "branch", branch);
	return m;
}

/* The first line of the comment, cut between characters: the sub-bead's title. */
static void title_of(char *out, size_t len, enum review_kind k, const char *body)
{
	char words[TITLE_WORDS + 1];
	size_t n;

	while (body && isspace((unsigned char)*body))
		body++;
	n = body ? strcspn(body, "\r\n") : 0;
	snprintf(words, sizeof words, "%.*s", (int)(n < TITLE_WORDS ? n : TITLE_WORDS), body ? body : "");
	words[utf8_trim(words, strlen(words))] = '\0';
	snprintf(out, len, "Review (%s): %s", review_kind_name(k), *words ? words : "a comment");
}

static int make_sub_bead(struct call *c, struct hook_event *ev, enum review_kind k, const char *rig, const char *mr,
			 const char *work, int pr, char *bead, size_t blen)
{
	struct bead_mr m;
	struct bead_run w;
	struct bead_fields f = {.priority = 1, .held_set = 1, .held = k == RV_ARCHITECTURAL, .rig = rig, .type = "task",
				.parent = mr};
	cJSON *labels = cJSON_CreateArray(), *meta = NULL;
	char title[200], *body = NULL;
	int rc = -1;

	if (bead_merge_request(c, mr, &m) <= 0 || bead_run_get(c, work, &w) < 0) {
		cJSON_Delete(labels);
		return c->err.code ? -1 : err_set(&c->err, ERR_INTERNAL, NULL, "the merge request %s has no branch", mr);
	}
	cJSON_AddItemToArray(labels, cJSON_CreateString("review"));
	cJSON_AddItemToArray(labels, cJSON_CreateString(review_kind_name(k)));
	title_of(title, sizeof title, k, ev->body);
	if (!(body = prompt(ev, k, m.branch, pr)) || !(meta = review_meta(ev, k, m.branch, pr))) {
		err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	f.title = title;
	f.body = body;
	f.labels = labels;
	f.metadata = meta;
	/* The reviewer wrote it; the human who asked for the work answers for it. */
	snprintf(c->who.id, sizeof c->who.id, "%.8s:%.100s", hook_platform_name(ev->platform), ev->login);
	snprintf(c->who.requested_by, sizeof c->who.requested_by, "%.128s", w.requested_by);
	if (bead_create(c, &f, bead, blen) < 0 || (*w.worked_by && bead_set_worked_by(c, bead, w.worked_by) < 0) ||
	    row_add(c, hook_platform_name(ev->platform), ev->comment, mr, bead, ev->thread, review_kind_name(k), ev->login) < 0 ||
	    progress(c, mr) < 0)
		goto out;
	if (k == RV_ARCHITECTURAL) {
		char text[700], msg[48];
		cJSON *ctx = NULL;
		enum role role;

		/* Beyond one bead's scope: the Mayor decides, with the comment and where it is. */
		snprintf(text, sizeof text, "A reviewer (%.60s) raised a design concern on pull request #%d (%.72s): \"%.300s\". It is"
			 " held as bead %.72s. Decide: sling it, answer the reviewer, or plan larger work.", ev->login, pr, work,
			 ev->body ? ev->body : "", bead);
		snprintf(c->who.id, sizeof c->who.id, "%.128s", w.requested_by);
		c->who.requested_by[0] = '\0';
		if (member_role(c, w.requested_by, &role) < 0 || mayor_message(c, role, text, NULL, msg, sizeof msg, &ctx) < 0) {
			cJSON_Delete(ctx);
			goto out;
		}
		cJSON_Delete(ctx);
	}
	rc = 0;
out:
	cJSON_Delete(labels);
	cJSON_Delete(meta);
	free(body);
	return rc;
}

/* The town's own comments never come back as work: its replies are recorded, and the integration
 * may name the account it posts as (bot_login). */
static int own_comment(struct call *c, const struct hook_event *ev)
{
	char bot[130];

	if (ev->body && strstr(ev->body, OWN_MARK))
		return 1;
	if (integration_setting(c, ev->platform, "bot_login", "", bot, sizeof bot) < 0)
		return -1;
	return *bot && sqlite3_stricmp(bot, ev->login) == 0;
}

int review_take(struct call *c, struct hook_event *ev, const char *rig, char *bead, size_t blen, const char **outcome)
{
	char mr[72], work[72], open[72];
	const char *platform = hook_platform_name(ev->platform);
	enum review_kind k;
	int pr = 0, rc;

	*outcome = "ignored";
	if ((pr = pr_number(ev->number)) < 1 ||
	    (rc = bead_of_pull_request(c, rig, pr, mr, sizeof mr, work, sizeof work)) == 0) {
		snprintf(ev->why, sizeof ev->why, "not a pull request the town opened");
		return 0;
	}
	if (rc < 0 || (rc = row_known(c, platform, ev->comment)) < 0)
		return -1;
	if (rc) {
		*outcome = "duplicate";
		return 0;
	}
	if ((rc = own_comment(c, ev)) != 0) {
		snprintf(ev->why, sizeof ev->why, "the town's own comment");
		return rc < 0 ? -1 : row_add(c, platform, ev->comment, mr, NULL, ev->thread, "own", ev->login);
	}
	k = review_classify(ev->body, ev->state);
	if (k == RV_APPROVAL) {
		*outcome = "approved";
		return row_add(c, platform, ev->comment, mr, NULL, ev->thread, "approval", ev->login) < 0 ||
		       event_append(c, "review.approved", mr, "reviewer", NULL, ev->login) < 0 ? -1 : 0;
	}
	/* A comment the work received: its outcome counts it (outcome.c), whatever is made of it. */
	if (outcome_comment(c, work) < 0)
		return -1;
	/* A reply in a thread someone is already answering joins it; a thread answered before opens again. */
	if (*ev->thread && (rc = thread_open_bead(c, mr, ev->thread, open, sizeof open)) != 0) {
		snprintf(ev->why, sizeof ev->why, "a reply in a thread already being addressed (%.72s)", open);
		return rc < 0 ? -1 : row_add(c, platform, ev->comment, mr, open, ev->thread, "reply", ev->login);
	}
	if (make_sub_bead(c, ev, k, rig, mr, work, pr, bead, blen) < 0)
		return -1;
	*outcome = "created";
	return 0;
}

/* ---- answers: reply and resolve ------------------------------------------------------------------- */

/* Where the sub-bead's pull request is: its rig's repository (owner/name, or a GitLab path). */
static int where(struct call *c, const struct review_row *r, char *repo, size_t rlen, int *pr)
{
	struct bead_mr m;
	struct rig_platform p;
	int rc = bead_merge_request(c, r->mr, &m);

	if (rc > 0)
		rc = rig_platform(c, m.rig, &p);
	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_CONFLICT, "bead", "the pull request of %s is gone", r->bead);
	*pr = m.number;
	if (!*p.repo)
		return err_set(&c->err, ERR_CONFLICT, "bead", "the rig's repository is unknown (set its repo setting)");
	snprintf(repo, rlen, "%s", p.repo);
	return 0;
}

static int load(struct call *c, const char *bead, struct review_row *r)
{
	int rc = row_of_bead(c, bead, r);

	return rc <= 0 ? (rc < 0 ? -1 : err_set(&c->err, ERR_INVALID, "bead", "%s is not a review comment's bead", bead)) : 0;
}

int review_reply(struct call *c, const char *bead, const char *text)
{
	struct review_row r;
	char repo[201], esc[620], path[900], subject[96];
	int pr, p;
	cJSON *body;
	int rc;

	if (load(c, bead, &r) < 0 || where(c, &r, repo, sizeof repo, &pr) < 0)
		return -1;
	p = hook_platform_of(r.platform);
	body = cJSON_CreateObject();
	{
		struct strbuf sb = {0};

		strbuf_addf(&sb, "%s\n\n%s", text, OWN_MARK);
		if (!sb.buf) {
			cJSON_Delete(body);
			return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
		}
		cJSON_AddStringToObject(body, "body", sb.buf);
		free(sb.buf);
	}
	if (p == HOOK_GITLAB) {
		query_escape(repo, esc, sizeof esc);
		snprintf(path, sizeof path, "/projects/%s/merge_requests/%d/discussions/%s/notes", esc, pr, r.thread);
	} else if (*r.thread) {
		snprintf(path, sizeof path, "/repos/%s/pulls/%d/comments/%s/replies", repo, pr, r.thread);
	} else {
		snprintf(path, sizeof path, "/repos/%s/issues/%d/comments", repo, pr);
	}
	snprintf(subject, sizeof subject, "reply:%s", bead);
	rc = hook_call(c, (enum hook_platform)p, "review", subject, "POST", path, body);
	cJSON_Delete(body);
	if (rc == 0)
		return err_set(&c->err, ERR_CONFLICT, "bead", "the %s integration has no token to reply with", r.platform);
	if (rc < 0 || row_mark(c, bead, "replied") < 0)
		return -1;
	/* The reply stays on the sub-bead (cut to 4000 bytes) for the merge request's drawer. */
	{
		char cut[4001];
		cJSON *v;

		utf8_copy(cut, sizeof cut, text);
		v = cJSON_CreateString(cut);
		rc = bead_meta_set(c, bead, "review.reply", v);
		cJSON_Delete(v);
	}
	return rc < 0 || event_append(c, "review.replied", bead, "comment", NULL, r.comment) < 0 ? -1 : 0;
}

#define THREADS_QUERY                                                                                 \
	"query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) {" \
	" pullRequest(number: $number) { reviewThreads(first: 100) { nodes { id isResolved"               \
	" comments(first: 1) { nodes { fullDatabaseId } } } } } } }"
#define RESOLVE_MUTATION \
	"mutation($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } } }"

int review_resolve(struct call *c, const char *bead)
{
	struct review_row r;
	char repo[201], esc[620], path[900], subject[96], owner[201], *slash;
	cJSON *body, *vars;
	int pr, p, rc;

	if (load(c, bead, &r) < 0 || where(c, &r, repo, sizeof repo, &pr) < 0)
		return -1;
	p = hook_platform_of(r.platform);
	if (!*r.thread) /* a conversation comment has no thread to resolve: answered is resolved */
		return row_mark(c, bead, "resolved") < 0 ? -1 : event_append(c, "review.resolved", bead, "comment", NULL, r.comment);
	body = cJSON_CreateObject();
	if (p == HOOK_GITLAB) {
		query_escape(repo, esc, sizeof esc);
		snprintf(path, sizeof path, "/projects/%s/merge_requests/%d/discussions/%s", esc, pr, r.thread);
		cJSON_AddTrueToObject(body, "resolved");
		snprintf(subject, sizeof subject, "resolved:%s", bead);
		rc = hook_call(c, HOOK_GITLAB, "review", subject, "PUT", path, body);
	} else {
		/* GitHub resolves threads only through GraphQL, by the thread's node id: find it first. */
		snprintf(owner, sizeof owner, "%s", repo);
		slash = strchr(owner, '/');
		if (slash)
			*slash = '\0';
		vars = cJSON_AddObjectToObject(body, "variables");
		cJSON_AddStringToObject(body, "query", THREADS_QUERY);
		cJSON_AddStringToObject(vars, "owner", owner);
		cJSON_AddStringToObject(vars, "name", slash ? slash + 1 : "");
		cJSON_AddNumberToObject(vars, "number", pr);
		snprintf(subject, sizeof subject, "find:%s", bead);
		rc = hook_call(c, HOOK_GITHUB, "review", subject, "POST", "/graphql", body);
	}
	cJSON_Delete(body);
	if (rc == 0)
		return err_set(&c->err, ERR_CONFLICT, "bead", "the %s integration has no token to resolve with", r.platform);
	return rc < 0 ? -1 : 0;
}

/* The GraphQL answer lists the threads: resolve the one whose first comment is ours. */
static int found_threads(struct call *c, const char *bead, const struct review_row *r, const cJSON *answer)
{
	const cJSON *nodes = hook_at(answer, "data.repository.pullRequest.reviewThreads.nodes"), *t;
	char subject[96];
	cJSON *body, *vars;
	int rc;

	cJSON_ArrayForEach(t, nodes) {
		const cJSON *first = cJSON_GetArrayItem(hook_at(t, "comments.nodes"), 0);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(first, "fullDatabaseId");
		char text[48];

		if (cJSON_IsString(id))
			snprintf(text, sizeof text, "%s", id->valuestring);
		else if (cJSON_IsNumber(id))
			snprintf(text, sizeof text, "%.0f", id->valuedouble);
		else
			continue;
		if (strcmp(text, r->thread) != 0 || !hook_str(t, "id"))
			continue;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "isResolved")))
			return row_mark(c, bead, "resolved");
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "query", RESOLVE_MUTATION);
		vars = cJSON_AddObjectToObject(body, "variables");
		cJSON_AddStringToObject(vars, "id", hook_str(t, "id"));
		snprintf(subject, sizeof subject, "resolved:%s", bead);
		rc = hook_call(c, HOOK_GITHUB, "review", subject, "POST", "/graphql", body);
		cJSON_Delete(body);
		return rc < 0 ? -1 : 0;
	}
	call_log(c, "warn", "no review thread starts with the comment", cJSON_CreateString(r->thread));
	return 0;
}

/* ---- the polling fallback ------------------------------------------------------------------------- */

/* A comment from GitHub's list of review comments, as a webhook would have brought it. */
static int polled_comment(struct call *c, const char *rig, const cJSON *cm)
{
	struct hook_event ev;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(cm, "id"), *reply = cJSON_GetObjectItemCaseSensitive(cm, "in_reply_to_id");
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(cm, "line"), *start = cJSON_GetObjectItemCaseSensitive(cm, "start_line");
	char bead[72] = "";
	const char *outcome;
	int pr = 0;

	if (!cJSON_IsNumber(id))
		return 0;
	memset(&ev, 0, sizeof ev);
	ev.platform = HOOK_GITHUB;
	ev.kind = HK_REVIEW;
	hook_number(ev.comment, sizeof ev.comment, id);
	hook_number(ev.thread, sizeof ev.thread, cJSON_IsNumber(reply) ? reply : id);
	ev.reply = cJSON_IsNumber(reply);
	hook_copy(ev.login, sizeof ev.login, hook_str(cm, "user.login"));
	hook_copy(ev.path, sizeof ev.path, hook_str(cm, "path"));
	hook_copy(ev.url, sizeof ev.url, hook_str(cm, "html_url"));
	ev.line = cJSON_IsNumber(line) ? line->valueint : 0;
	ev.start_line = cJSON_IsNumber(start) ? start->valueint : 0;
	ev.body = hook_str(cm, "body");
	ev.hunk = hook_str(cm, "diff_hunk");
	if ((pr = pr_number(hook_str(cm, "pull_request_url") ? strrchr(hook_str(cm, "pull_request_url"), '/') + 1 : "")) < 1)
		return 0;
	snprintf(ev.number, sizeof ev.number, "%d", pr);
	return review_take(c, &ev, rig, bead, sizeof bead, &outcome);
}

static int poll_later(struct call *c, const char *mr, const char *rig)
{
	double s, every = POLL_MS;
	int rc = rig_pr_poll_s(c, rig, &s);

	if (rc < 0)
		return -1;
	if (rc)
		every = (s < 2 ? 2 : s > 86400 ? 86400 : s) * 1000.0;
	return timer_set(c, "review", mr, c->now_ms + every);
}

int review_timer_fired(struct call *c, const char *mr)
{
	struct bead_mr m;
	struct rig_platform p;
	char status[16], repo[201], esc[620], path[900], subject[96], owner[130];
	enum hook_platform on;
	int rc = bead_merge_request(c, mr, &m);

	if (rc > 0)
		rc = bead_status_get(c, mr, status, sizeof status);
	if (rc > 0)
		rc = rig_platform(c, m.rig, &p);
	if (rc <= 0)
		return rc < 0 ? (err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1) : 0;
	if (strcmp(status, "closed") == 0 || strcmp(status, "failed") == 0)
		return 0; /* nothing more to follow */
	on = p.gitlab ? HOOK_GITLAB : HOOK_GITHUB;
	if (!m.number || (rc = integration_owner(c, on, owner, sizeof owner)) == 0)
		return rc < 0 ? -1 : poll_later(c, mr, m.rig);
	if (rc < 0)
		return -1;
	if (!*p.repo)
		return 0;
	snprintf(repo, sizeof repo, "%s", p.repo);
	if (p.gitlab) {
		query_escape(repo, esc, sizeof esc);
		snprintf(path, sizeof path, "/projects/%s/merge_requests/%d/discussions?per_page=100", esc, m.number);
	} else {
		snprintf(path, sizeof path, "/repos/%s/pulls/%d/comments?per_page=100&sort=created&direction=asc", repo, m.number);
	}
	snprintf(subject, sizeof subject, "%s:%s", p.gitlab ? "glpoll" : "poll", mr);
	return hook_call(c, on, "review", subject, "GET", path, NULL) < 0 ? -1 : poll_later(c, mr, m.rig);
}

/* GitLab's discussions of a merge request, as note webhooks would have brought them: each note not
 * a system note and not resolved already (a discussion resolved is answered). */
static int polled_discussions(struct call *c, const struct bead_mr *m, const cJSON *list)
{
	const cJSON *d, *n;

	cJSON_ArrayForEach(d, list) {
		const char *thread = hook_str(d, "id");
		int i = 0;

		if (!thread)
			continue;
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(d, "notes")) {
			struct hook_event ev;
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(n, "id"), *line = hook_at(n, "position.new_line");
			char bead[72] = "";
			const char *outcome;

			if (!cJSON_IsNumber(id) || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n, "system")) ||
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n, "resolved"))) {
				i++;
				continue;
			}
			memset(&ev, 0, sizeof ev);
			ev.platform = HOOK_GITLAB;
			ev.kind = HK_REVIEW;
			ev.reply = i++ > 0;
			hook_number(ev.comment, sizeof ev.comment, id);
			hook_copy(ev.thread, sizeof ev.thread, thread);
			snprintf(ev.number, sizeof ev.number, "%d", m->number);
			hook_copy(ev.login, sizeof ev.login, hook_str(n, "author.username"));
			hook_copy(ev.path, sizeof ev.path, hook_str(n, "position.new_path"));
			ev.line = cJSON_IsNumber(line) && line->valuedouble > 0 && line->valuedouble < 1e8 ? line->valueint : 0;
			ev.body = hook_str(n, "body");
			if (review_take(c, &ev, m->rig, bead, sizeof bead, &outcome) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- results and reactions ----------------------------------------------------------------------- */

int review_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	const char *id = strchr(subject, ':');
	char what[16];
	struct review_row r;
	cJSON *answer;
	int status, rc = 0;

	if (!id || (size_t)(id - subject) >= sizeof what)
		return 0;
	snprintf(what, sizeof what, "%.*s", (int)(id - subject), subject);
	id++;
	if (!hook_answer_ok(result, &status)) {
		/* The platform said no or was away: logged; the poll and the agent's next try come again. */
		call_log(c, "warn", "a review call failed", cJSON_CreateString(subject));
		return 0;
	}
	answer = json_parse_exact(body, len);
	if (strcmp(what, "glpoll") == 0) {
		struct bead_mr m;

		if ((rc = bead_merge_request(c, id, &m)) > 0)
			rc = polled_discussions(c, &m, answer);
	} else if (strcmp(what, "poll") == 0) {
		struct bead_mr m;
		const cJSON *cm;

		if ((rc = bead_merge_request(c, id, &m)) > 0) {
			cJSON_ArrayForEach(cm, answer) {
				if ((rc = polled_comment(c, m.rig, cm)) < 0)
					break;
			}
		}
	} else if ((rc = row_of_bead(c, id, &r)) > 0) {
		if (strcmp(what, "reply") == 0) {
			const cJSON *own = cJSON_GetObjectItemCaseSensitive(answer, "id");
			char text[48];

			/* Our reply comes back in webhooks and polls: it is the town's, never work. */
			if (cJSON_IsNumber(own)) {
				snprintf(text, sizeof text, "%.0f", own->valuedouble);
				rc = row_add(c, r.platform, text, r.mr, id, r.thread, "own", "town");
			}
		} else if (strcmp(what, "find") == 0) {
			rc = found_threads(c, id, &r, answer);
		} else if (strcmp(what, "resolved") == 0) {
			rc = row_mark(c, id, "resolved") < 0 ? -1 : event_append(c, "review.resolved", id, "comment", NULL, r.comment);
		}
	}
	cJSON_Delete(answer);
	return rc < 0 ? -1 : 0;
}

int review_on_bead(struct call *c, const struct bead_change *ch)
{
	struct review_row r;
	char rig[72], user[130];
	int rc;

	if (ch->kind != BEAD_STATUS)
		return 0;
	if ((rc = row_of_bead(c, ch->id, &r)) < 0)
		return -1;
	if (rc) {
		/* A sub-bead that landed is answered and resolved, if its agent did not. */
		if (progress(c, r.mr) < 0)
			return -1;
		if (strcmp(ch->to, "closed") != 0)
			return 0;
		if (!r.replied && review_reply(c, ch->id, "Addressed by Gastown Edge: the fix is pushed to this pull request.") < 0)
			return err_take(&c->err, ERR_CONFLICT) ? 0 : -1;
		if (!r.resolved && review_resolve(c, ch->id) < 0)
			return err_take(&c->err, ERR_CONFLICT) ? 0 : -1;
		return 0;
	}
	/* A merge request of a `pr` rig opening its pull request: follow its comments. */
	if (strcmp(ch->to, "in_progress") != 0 || bead_rig_requester(c, ch->id, rig, sizeof rig, user, sizeof user) < 0)
		return c->err.code ? -1 : 0;
	if (!*rig || (rc = rig_merges_by_pr(c, rig)) <= 0)
		return rc < 0 ? -1 : 0;
	{
		struct bead_run b;

		if (bead_run_get(c, ch->id, &b) < 0)
			return err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1;
		return strcmp(b.type, "merge-request") == 0 ? poll_later(c, ch->id, rig) : 0;
	}
}
