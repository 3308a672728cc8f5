/*
 * town/town.h - the town's own things: the feed, beads, rigs, agents, convoys, mail, escalations, members,
 * the town and its Mayor, and the UI context. Over core only.
 */
#ifndef GASTOWN_TOWN_H
#define GASTOWN_TOWN_H

#include "core/core.h"

/* ---- members.c: people of an organization or a town ---------------------------------------- */

/* Roles, ordered so that a higher one can do what a lower one can. */
enum role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_MEMBER, ROLE_ADMIN, ROLE_OWNER };

const char *role_name(enum role r);
/* The roles a member can be given, highest first, NULL-terminated (route tables' one_of). */
extern const char *const role_choices[];
/* The role named s, or ROLE_NONE when s names none. */
enum role role_parse(const char *s);

#define MEMBERS_MAX 1000

/* The caller's role must be at least min: ERR_NOT_FOUND (naming field, "no such <what>") for
 * outsiders and when !exists (the two look the same), ERR_FORBIDDEN below min. */
int member_require(struct call *c, int exists, enum role min, enum role *caller, const char *field,
		   const char *what);
int member_role(struct call *c, const char *user_id, enum role *out);
/* Creating this object (a town or an organization, `what`) under an id that is taken. Creation
 * must not tell an outsider that the object exists: a member gets ERR_CONFLICT, reason "exists";
 * anyone else (an outsider, another object) gets id_unavailable's answer. Always -1. */
int member_create_taken(struct call *c, const char *field, const char *what);
/* The one answer for an id that cannot be had, whatever the cause: ERR_CONFLICT naming field,
 * reason "unavailable", a message that says nothing of who or what holds it. Always -1. */
int id_unavailable(struct call *c, const char *field, const char *what);
/* Insert or update a member as is (no rule checks). name/email NULL keep what is stored. */
int member_put(struct call *c, const char *user_id, enum role role, const char *name,
	       const char *email);
/* Add a member or change a role as `caller`, under the rules above. */
int member_change(struct call *c, enum role caller, const char *user_id, enum role role,
		  const char *name, const char *email);
/* Remove a member (anyone may remove themselves); the last owner stays. */
int member_remove(struct call *c, enum role caller, const char *user_id);
cJSON *members_json(struct call *c);
/* fn(c, user_id, role, arg) for each member, by id (by_id) or in the order they came; fn returns 0
 * to go on, 1 to stop, -1 on failure (which ends the walk with -1). fn may run other statements. */
int members_each(struct call *c, int by_id, int (*fn)(struct call *c, const char *user_id, const char *role, void *arg),
		 void *arg);
/* {"id", "name", "email"} of a person, from the members (the id alone for others); a new tree,
 * NULL when storage failed. */
cJSON *member_person_json(struct call *c, const char *user);
/* Remove every member, as is (no rule checks): a new list follows, or the town goes. */
int members_wipe(struct call *c);

/* ---- town.c ----------------------------------------------------------------------------------- */

int town_exists(struct call *c, int *exists);
/* Create this town owned by the caller; ERR_CONFLICT when it exists. */
int town_create_personal(struct call *c, const char *name);
/* Like org_require, for the town's members. */
int town_require(struct call *c, enum role min, enum role *caller);
cJSON *town_json(struct call *c, enum role caller);
/* The settings the engine reads, with their bounds and defaults: the `settings` of PATCH
 * /api/towns/:town are checked against them (the route's table nests this one), the reconciler
 * reads each stored value with its default, clamped to its bounds, and docs/api.md lists them
 * (test_town.c compares). town_settings.rule[TOWN_...] is each one. */
enum town_setting {
	TOWN_BEAD_PREFIX, TOWN_RUNTIME, TOWN_LOST_AFTER_S, TOWN_QUIET_AFTER_S, TOWN_BREAKER_FAILURES,
	TOWN_MAYOR_RUNTIME, TOWN_INSTRUCTIONS, TOWN_MAX_WAYS, TOWN_SHARE_STATS, TOWN_LOG_KEEP
};
extern const struct fields town_settings;
/* Every value of the settings: a string, number, boolean or null (null removes the key). */
extern const struct field_rule town_setting_value;
/* Setting k as a number into *out: the stored value clamped to the rule's bounds (a value stored
 * before a bound changed is clamped to it), the rule's default when it is not set or not a number.
 * 0, or -1 when storage failed. */
int town_setting_number(struct call *c, enum town_setting k, double *out);
/* Setting k as text into out: 1 when it is set to a string, 0 when not, -1 when storage failed. */
int town_setting_text(struct call *c, enum town_setting k, char *out, size_t len);
#define TOWN_SETTINGS_MAX 16384 /* bytes, as JSON */
/* Rename and/or merge settings (NULL leaves each as it is); settings were checked against
 * town_settings (the route's fields). */
int town_update(struct call *c, const char *name, const cJSON *settings);
/* Set (string) or remove (null) named secrets of an object (checked by the route's fields); they
 * are write-only: reads show them masked. */
int town_secrets_put(struct call *c, const cJSON *secrets);
cJSON *town_secrets_json(struct call *c);
/* The value of secret name into out (for the town's own outbound calls, never for a reply): 1, 0
 * when it is not set, -1 when storage failed. */
int town_secret(struct call *c, const char *name, char *out, size_t len);
/* The town's model gateway for the container's metering proxy, added to body as "llm": {base_url
 * (the llm_base_url setting), api_key (the llm_api_key secret, "" when unset), model?}, or null when
 * the town has no gateway. 0, or -1 when storage failed. */
int town_llm_json(struct call *c, cJSON *body, const char *model);
/* The town's name into out: 1, 0 before the town exists, -1 when storage failed. */
int town_name(struct call *c, char *out, size_t len);
/* Which runtime an agent of rig runs (rig "" for an agent without one, NULL for the Mayor, whose
 * mayor_runtime setting comes first): the rig's runtime,
 * runtime_command and model settings, else the town's; the name defaults to "scripted" and the
 * command to "", and a model that is not text keeps what the caller set. 1, or 0 before the town
 * exists (rt untouched), -1 when storage failed. One statement over the town and the rig. */
struct town_runtime {
	char name[32], command[1024], model[128];
};
int town_runtime(struct call *c, const char *rig, struct town_runtime *rt);
/* Delete everything the town owns and take it out of its members' registries: its own rows, and
 * every other table through town_deleting (below). */
int town_delete(struct call *c);
/* The organization that owns the town into org: 1, or 0 when a person owns it (or there is no
 * town yet), -1 when storage failed. */
int town_owner_org(struct call *c, char *org, size_t len);
/* *yes = 1 when an organization owns the town. */
int town_owned_by_org(struct call *c, int *yes);
/* 1 when organization org owns the town, 0 if not, -1 when storage failed. */
int town_owned_by(struct call *c, const char *org);
/* Create this town owned by organization org, holding its members at version (org_town.c). */
int town_create_owned(struct call *c, const char *name, const char *org, const char *created_by, int64_t version);
/* The version of the organization's member list the town holds, and setting it. */
int town_org_members_version(struct call *c, int64_t *version);
int town_set_org_members_version(struct call *c, int64_t version);
/* The owning organization lets its towns report to the platform's figures (on) or not; a change
 * sets the "stats" timer, so a town that stops sharing withdraws at once. */
int town_set_org_share_stats(struct call *c, int on);
/* 1 when the town reports to the platform's figures (its organization's choice and its own
 * share_stats setting both allow it), 0 when not or before the town exists, -1. */
int town_shares_stats(struct call *c);
/* Tell every member's registry the town's current name and their role. */
int registry_refresh(struct call *c);
/* Tell one person's registry their role in this town, or (role NULL) that they left it. */
int registry_update(struct call *c, const char *user_id, const char *role);
/* Effect result of a registry update (effect.c's purpose table). */
int town_registry_done(struct call *c, const char *subject, const cJSON *result, const char *body,
		       size_t body_len);

/* ---- bead.c ----------------------------------------------------------------------------------- */

#define BEAD_DEPS_MAX 50

/* Fields of a bead in a create or update; NULL (and priority -1) means not given. */
struct bead_fields {
	const char *title, *body, *type, *status, *assignee, *parent, *rig;
	int priority;
	int held_set, held;    /* held: the reconciler leaves the bead alone until it is slung */
	const cJSON *labels;   /* array of strings, borrowed */
	const cJSON *metadata; /* object, borrowed */
};

struct bead_filter {
	const char *status, *type, *assignee, *rig, *parent, *label;
	int ready;      /* open with no open blocker */
	int limit;      /* 1..200 */
	int64_t cursor; /* list beads older than this (next_cursor of the previous page), 0: newest */
};

#define BEAD_PRIORITY_DEFAULT 2
/* The values of a bead's type, status and dependency kind, NULL-terminated (route tables' one_of). */
extern const char *const bead_types[];
extern const char *const bead_statuses[];
extern const char *const bead_dep_kinds[];
int bead_type_valid(const char *s);
int bead_status_valid(const char *s);
int bead_dep_kind_valid(const char *s);
int bead_transition_allowed(const char *from, const char *to);
/* Create an open bead; id_out (>= 32 bytes) gets its id. Appends bead.created. */
int bead_create(struct call *c, const struct bead_fields *f, char *id_out, size_t id_len);
/* Apply the given fields; status moves only along allowed transitions (ERR_CONFLICT). Each changed
 * field appends a bead.updated event with old and new. clear_assignee unassigns. */
int bead_update(struct call *c, const char *id, const struct bead_fields *f, int clear_assignee);
int bead_set_status(struct call *c, const char *id, const char *to, const char *reason);
int bead_delete(struct call *c, const char *id);
/* Dependencies: ERR_CONFLICT for a cycle of blocking or parent edges, ERR_INVALID for unknown beads;
 * errors name `field`, the request's own name for the dependency. */
int bead_dep_add(struct call *c, const char *bead, const char *dep, const char *kind, const char *field);
int bead_dep_remove(struct call *c, const char *bead, const char *dep, const char *kind);
/* 1 if the bead exists, 0 if not (no error: absent is an answer), -1 when storage failed. */
int bead_exists(struct call *c, const char *id);
/* How many beads carry label into *n: 0, or -1 when storage failed. */
int bead_label_count(struct call *c, const char *label, int64_t *n);
/* A bead's parts for other modules, each one statement: 1 with the outputs filled, 0 when there is
 * no such bead (outputs untouched, no error), -1 when storage failed. Text is cut to fit. */
int bead_status_get(struct call *c, const char *id, char *buf, size_t len);
int bead_title(struct call *c, const char *id, char *out, size_t len);
/* A bead as another system had it (federation's JSONL import): its fields, statuses and times as
 * given. id "" makes a new bead (its id written there); else that bead's fields are replaced. */
struct bead_imported {
	const char *title, *body, *type, *status, *assignee, *close_reason; /* assignee, close_reason may be NULL */
	int priority;
	const cJSON *labels; /* an array of strings, checked */
	double created_ms, updated_ms, closed_ms; /* closed_ms 0: not closed */
};
int bead_import_put(struct call *c, const struct bead_imported *b, char *id, size_t id_len);
/* The beads after seq `after`, oldest first, at most limit, as bead_json; *next is the last one's
 * seq when more may follow, else 0. */
cJSON *bead_export_page(struct call *c, int64_t after, int limit, int64_t *next);
int bead_requested_by(struct call *c, const char *id, char *out, size_t len);
/* The agent that last worked on it, "" for none. */
int bead_worked_by(struct call *c, const char *id, char *out, size_t len);
/* Its status, and its rig when it has one (rig untouched otherwise). */
int bead_status_rig(struct call *c, const char *id, char *status, size_t slen, char *rig, size_t rlen);
/* Its rig ("" for none) and the human at the root of its work (budgets). */
int bead_rig_requester(struct call *c, const char *id, char *rig, size_t rlen, char *user, size_t ulen);
/* What spend on the bead is charged to (costs.c): the work bead (a merge request's parent, when
 * it has one), its rig ("" for none) and the human at the root of that work. */
int bead_charge(struct call *c, const char *id, char *work, size_t wlen, char *rig, size_t rlen, char *user, size_t ulen);
/* The parts of a bead a run needs (work.c). */
struct bead_run {
	char status[16], type[24], rig[72], requested_by[129], parent[72], worked_by[72];
	int attempts, reviews;
};
int bead_run_get(struct call *c, const char *id, struct bead_run *b);
/* What a container is told of the bead: id, title, body, type, status, branch, parent added to obj
 * (1), or nothing when there is no such bead (0); -1 when storage failed. */
int bead_run_json(struct call *c, const char *id, cJSON *obj);
/* A merge request with its work bead (its parent) and a rig: what a pull request needs. */
struct bead_mr {
	char work[72], branch[201], rig[72], title[240]; /* title: the work bead's */
	int number;                                      /* its pull request, 0 until opened */
};
int bead_merge_request(struct call *c, const char *id, struct bead_mr *m);
/* A run's marks on a bead, written as they are (no event; the caller records what happened).
 * Started: agent works on branch, any backoff is over. Ended without the work done: the counts,
 * when it may be tried again, why, and no assignee. */
int bead_run_started(struct call *c, const char *id, const char *branch, const char *agent);
int bead_run_ended(struct call *c, const char *id, int attempts, int reviews, double retry_ms, const char *failure);
int bead_set_branch(struct call *c, const char *id, const char *branch);
/* A fresh start for a failed bead slung again: no runs, no reviews, no backoff, no failure. */
int bead_reset_attempts(struct call *c, const char *id);
/* How many beads of rig are not closed or failed into *n. */
int bead_unfinished_on_rig(struct call *c, const char *rig, int64_t *n);
/* The persona a bead is worked in: set (NULL clears it); read into out ("" for none: 1, 0 when
 * there is no such bead, -1). One bead not closed or failed that names persona into bead: 1, 0
 * when none does, -1. */
int bead_set_persona(struct call *c, const char *id, const char *persona);
/* A bead's parent ("" for none): 1, 0 when there is no such bead, -1. */
int bead_parent(struct call *c, const char *id, char *out, size_t len);
/* Why a bead closed ("" when it did not): 1, 0 when there is no such bead, -1. */
int bead_close_reason(struct call *c, const char *id, char *out, size_t len);
/* The merge requests of work still open or in progress, at most max ids: their count, or -1. */
int bead_open_merge_requests(struct call *c, const char *work, char ids[][72], int max);
int bead_persona(struct call *c, const char *id, char *out, size_t len);
int bead_unfinished_in_persona(struct call *c, const char *persona, char *bead, size_t len);
/* Try again no earlier than retry_ms. */
int bead_set_retry(struct call *c, const char *id, double retry_ms);
/* Mark the agent that last worked on a bead (the reconciler prefers it when idle). */
int bead_set_worked_by(struct call *c, const char *id, const char *agent);
/* A review sub-bead works on its pull request's branch (metadata.review.branch): 1 with it, 0 when
 * the bead is not one (or there is no such bead), -1. */
int bead_review_branch(struct call *c, const char *id, char *out, size_t len);
/* Set metadata.<key> of a bead to value (no event: the caller records what happened). */
int bead_meta_set(struct call *c, const char *id, const char *key, const cJSON *value);
/* A merge request's review sub-beads (children with metadata.review): how many are still open, and
 * how many there are. 0, or -1. */
int bead_reviews_open(struct call *c, const char *mr, int64_t *open, int64_t *total);
/* The open child of parent whose metadata.review.kind is kind ("conflict"): 1 with its id, 0, -1. */
int bead_child_open(struct call *c, const char *parent, const char *kind, char *id, size_t len);
/* metadata.<key> of a bead, parsed when it is an object or array (the caller deletes it); a JSON
 * null when absent or a scalar; NULL when storage failed. */
cJSON *bead_meta_get(struct call *c, const char *id, const char *key);
/* 1 when a bead of rig works on branch (the town's own pull requests come from such), 0 if not, -1. */
int bead_on_branch(struct call *c, const char *rig, const char *branch);
/* The merge request of rig whose pull request is number, and its work bead: 1, 0 when the town made
 * no such pull request, -1 on failure. */
int bead_of_pull_request(struct call *c, const char *rig, int number, char *mr, size_t mlen, char *work, size_t wlen);
/* The number of the pull request opened for bead: bead's own when it is a merge request, else its
 * latest merge request's. 1 with *number, 0 when none was opened, -1. */
int bead_pull_request_number(struct call *c, const char *bead, int *number);
/* The pull request opened for a merge request, in its metadata (url NULL: null). */
int bead_set_pull_request(struct call *c, const char *id, int number, const char *url);
/* The gate of a bead's routes: 1 if it exists; 0 with c->err set otherwise: ERR_NOT_FOUND (field
 * bead_id), or ERR_INTERNAL when storage failed. */
int bead_json_exists(struct call *c, const char *id);
/* A bead with its dependencies (new tree), or NULL with ERR_NOT_FOUND. */
cJSON *bead_json(struct call *c, const char *id);
/* A page of beads, newest first; *next_cursor 0 when this is the last page. */
cJSON *bead_list_json(struct call *c, const struct bead_filter *f, int64_t *next_cursor);
/* Unfinished beads, newest first within each requester, at most 200 (the Mayor's context):
 * [{requested_by, beads: [{id, title, status, agent, rig}]}]. A new array, NULL when storage
 * failed. */
cJSON *bead_in_flight_json(struct call *c);
/* What the reconciler's snapshot reads of beads (reconcile.c), each one statement.
 * The head of rig's merge queue (an open merge request, not held, not backing off; by priority,
 * then age) into id: 1, or 0 when the queue is empty, -1 when storage failed. */
int bead_merge_head(struct call *c, const char *rig, char *id, size_t len);
/* Ready work of rig, by priority then age, at most limit: open, not held, not backing off, not a
 * merge request, message, escalation, convoy or epic, and every blocker closed. fn(arg, id, prefer)
 * per bead (strings borrowed for the call), prefer being the agent that worked on it before, else
 * the one that finished its latest predecessor, else ""; fn returns nonzero to stop. 0, or -1 when
 * storage failed. */
int bead_ready_on_rig(struct call *c, const char *rig, int limit, int (*fn)(void *arg, const char *id, const char *prefer),
		      void *arg);
/* 1 when an open bead with a rig is neither held nor blocked (work may be waiting), 0 if not, -1 on
 * failure. */
int bead_work_waiting(struct call *c);
#define BEAD_ORPHANS_MAX 16
/* Beads in review with no open merge request left to decide them (it was closed or deleted),
 * at most BEAD_ORPHANS_MAX ids into ids: how many, or -1 when storage failed. */
int bead_review_orphans(struct call *c, char ids[][72]);
/* Work closed since day `since` (closed_ms), per day, requester and rig, newest first (at most 5000
 * rows): [day, requested_by, rig, closed, reworked, merged on the first review], the fleet report's
 * figures. Merge requests, messages, escalations, convoys and epics are not work. A new array, NULL
 * when storage failed. */
cJSON *bead_closed_rows(struct call *c, int64_t since);
/* Append to the town's feed, attributed to the caller and the human at the root of their work. */
int event_append(struct call *c, const char *kind, const char *subject, const char *field,
		 const char *old, const char *new_value);
/* Events after seq `after` (optionally about one subject), oldest first; *next is the last seq. */
cJSON *events_json(struct call *c, const char *subject, int64_t after, int limit, int64_t *next);

/* ---- bead_diff.c: what a bead changed ------------------------------------------------------- */

#define BEAD_DIFF_FILES_MAX 1000 /* files in one diff report */
#define BEAD_DIFF_PATH_MAX 1024  /* bytes of one file's path */
#define BEAD_DIFF_LINES_MAX 1000000000 /* additions or deletions of one file */

/* A file's status in a diff report, NULL-terminated (the done report's one_of). */
extern const char *const bead_diff_statuses[];
/* Record what bead changed: diff is a checked {base, head, files: [{path, status, additions,
 * deletions, binary}]} (borrowed); the totals are summed here. branch NULL keeps the one recorded
 * before. landed: what a merge brought in, replacing what done recorded. 0, or -1 when storage
 * failed. */
int bead_diff_record(struct call *c, const char *bead, const char *branch, const cJSON *diff, int landed);
struct bead_diff {
	char branch[201], base[72], head[72];
	int64_t files, additions, deletions;
	int landed;
};
/* The diff recorded for bead: 1 with *d filled (and *files a new array, when files is given), 0
 * when none was recorded (nothing set), -1 when storage failed. */
int bead_diff_get(struct call *c, const char *bead, struct bead_diff *d, cJSON **files);
/* Closed beads with a recorded diff, most recently closed first, at most limit (the Mayor's
 * context): [{id, title, rig, summary: "changed 4 files (+120 −45): a.c, b.c, c.c, …"}]. A new
 * array, NULL when storage failed. */
cJSON *bead_diff_landed_json(struct call *c, int limit);
/* The last changes to path (a file; a directory: what is under it) among the latest recorded
 * diffs, other than bead's, newest first, at most limit: [{bead, title, worked_by, path, additions,
 * deletions, recorded_ms}]. A new array, NULL when storage failed. */
cJSON *bead_diff_recent_json(struct call *c, const char *path, const char *bead, int limit);

/* The bench's fixture (probes.c's reconciler-seed), rows as they are with no event: an open task
 * of priority on rig, blocked by blocked_by when not NULL. */
int bead_seed(struct call *c, const char *id, int priority, const char *rig, const char *blocked_by);

/* ---- rig.c ------------------------------------------------------------------------------------ */

struct rig_fields {
	const char *id, *git_url, *default_branch, *merge_strategy;
	int max_polecats;        /* 0: not given */
	const cJSON *settings;   /* object, merged key by key; borrowed */
};

/* How a rig's work lands: the refinery merges (direct) or a pull request (pr). NULL-terminated. */
extern const char *const rig_merge_strategies[];
/* The rig settings the engine reads, with their bounds and defaults (docs/api.md lists them;
 * test_town.c compares). rig_settings.rule[RIG_...] is each one. */
enum rig_setting { RIG_MAX_ATTEMPTS };
extern const struct fields rig_settings;
int rig_git_url_valid(const char *url);
/* 1 if the rig exists, 0 if not, -1 on failure. */
int rig_exists(struct call *c, const char *id);
#define RIG_EACH_MAX 128
/* fn(arg, id, max_polecats) for each rig by id, at most RIG_EACH_MAX; fn returns nonzero to stop.
 * 0, or -1 when storage failed (the reconciler's snapshot). */
int rig_each(struct call *c, int (*fn)(void *arg, const char *id, int max_polecats), void *arg);
/* 1 when the rig's work lands through pull requests (merge_strategy pr), 0 if not, -1 on failure. */
int rig_merges_by_pr(struct call *c, const char *id);
/* How many runs a bead of the rig gets (its max_attempts setting, the rule's default when unset or
 * out of bounds, or when there is no such rig). */
int rig_max_attempts(struct call *c, const char *rig, int *out);
/* What a container is told of the rig: id, git_url, default_branch, merge_strategy and its gates
 * (the text items of its gates setting, at most 20) added to obj. 0, or -1 when storage failed. */
int rig_run_json(struct call *c, const char *id, cJSON *obj);
/* The language a rig's repository is mostly written in, as the agent host measured it at a done
 * (set), or "" when never measured (get: 1, 0 when there is no such rig, -1). */
int rig_set_language(struct call *c, const char *id, const char *language);
int rig_language(struct call *c, const char *id, char *out, size_t len);
/* Where a `pr` rig's pull requests go: its branch, git url, platform (its platform setting: github,
 * or gitlab for merge requests), API (api_url, default the platform's) and repository (its repo
 * setting, else the last two parts of its git url; "" when neither names one). 1, 0 when there is
 * no such rig, -1. */
struct rig_platform {
	char base[101], git_url[512], api[201], repo[201];
	int gitlab;
};
int rig_platform(struct call *c, const char *id, struct rig_platform *p);
/* The rig whose repository is repo (owner/name, a GitLab path with its groups), without case: its
 * repo setting when set, else the end of its git url. 1 with its id, 0 when none, -1 on failure. */
int rig_for_repo(struct call *c, const char *repo, char *id, size_t len);
/* What a rig takes from its platform's webhooks: its hook_* settings, each with the default a team
 * would want (label "gastown"; issues, comments, outside PRs and CI failures on; sling off: the
 * Mayor assesses first), and its default branch. 1, 0 when there is no such rig, -1. */
struct rig_hooks {
	char base[101], label[65];
	int issues, comments, outside_prs, ci, sling;
};
int rig_hooks(struct call *c, const char *id, struct rig_hooks *h);
/* The rig's auto_merge_delay_s (0 s to a week): 1 with it, 0 when unset (no auto-merge), -1. */
int rig_auto_merge_s(struct call *c, const char *id, double *s);
/* The rig's pr_poll_s setting into *s: 1 when set, 0 when not (or no such rig), -1 on failure. */
int rig_pr_poll_s(struct call *c, const char *id, double *s);
/* Create (ERR_CONFLICT if it exists) or update (ERR_NOT_FOUND if it does not) a rig. */
int rig_put(struct call *c, const struct rig_fields *f, int create);
/* The bench's fixture (probes.c): a rig as it is, with no event. */
int rig_seed(struct call *c, const char *id, int64_t max_polecats);
/* Delete a rig with no unfinished beads (ERR_CONFLICT otherwise). */
int rig_delete(struct call *c, const char *id);
cJSON *rig_json(struct call *c, const char *id);
cJSON *rigs_json(struct call *c);

/* ---- agent.c ---------------------------------------------------------------------------------- */

/* Agent tokens live 15 minutes; an expired one can be refreshed for a day (the most reported
 * failure of an earlier cloud Gas Town was agents stranded by expired tokens). */
#define AGENT_TOKEN_TTL_S 900
#define AGENT_TOKEN_GRACE_S 86400
/* A chain of refreshes ends a week after its first token: then a person must mint a new one. */
#define AGENT_SESSION_MAX_S (7 * 86400)

/* A town's agents at most, crew included. */
#define AGENTS_MAX 200

/* The roles an agent has, NULL-terminated. */
extern const char *const agent_roles[];
/* Register an agent of role (mayor, polecat, refinery, triage); polecats and refineries need a
 * rig. ERR_CONFLICT for a second mayor or a second refinery of a rig. id_out gets its id. */
int agent_create(struct call *c, const char *role, const char *rig, char *id_out, size_t id_len);
int agent_exists(struct call *c, const char *id);
cJSON *agent_json(struct call *c, const char *id);
cJSON *agents_json(struct call *c);
/* Put bead on agent's hook: one bead per agent, one agent per bead (ERR_CONFLICT otherwise). */
int agent_hook(struct call *c, const char *agent, const char *bead);
int agent_unhook(struct call *c, const char *agent);
int agent_heartbeat(struct call *c, const char *agent);
/* The agent showed progress (a status, output, a report): the quiet-agent ladder starts over. */
int agent_active(struct call *c, const char *agent);
/* Append a status message (1-280 characters, checked by the caller); history is bounded. */
int agent_status_add(struct call *c, const char *agent, const char *message);
/* Mint a token for agent working for requested_by (malloc'd; cJSON_free), NULL on failure.
 * orig_iat_s: when the refresh chain began (0: now, a new chain). */
char *agent_token_mint(struct call *c, const char *agent, const char *requested_by, double orig_iat_s,
		       double *expires_ms);
/* Revoke every token of the agent minted so far. */
int agent_token_revoke(struct call *c, const char *agent);
/* The agent's current token generation; -1 when it does not exist (c->err untouched) or when
 * storage failed (c->err set). */
int64_t agent_token_gen(struct call *c, const char *agent);
/* Verify a token minted by this town, accepting it up to grace_s after expiry. */
enum jwt_result agent_token_verify(struct call *c, const char *token, int grace_s, cJSON **claims);
/* A polecat or refinery as the reconciler's snapshot sees it (agent_workers). Strings are borrowed
 * for the callback; rig and hook are "" when none. */
struct agent_worker {
	const char *id, *role, *rig, *state, *hook;
	double heartbeat_ms; /* the last heartbeat, else when its run started, else when it was made */
	double active_ms;    /* the last sign of progress, likewise */
	int quiet_stage;     /* 0, 1 nudged, 2 triage asked */
};
#define AGENT_WORKERS_MAX 256
/* fn(arg, a) for each polecat and refinery, oldest first, at most AGENT_WORKERS_MAX; fn returns
 * nonzero to stop. 0, or -1 when storage failed. One statement (the reconciler's snapshot). */
int agent_workers(struct call *c, int (*fn)(void *arg, const struct agent_worker *a), void *arg);
/* The reconciler's marks: how far the quiet-agent ladder went; a silent agent presumed lost;
 * every agent marked working with nothing on its hook idle again. */
int agent_set_quiet_stage(struct call *c, const char *agent, int stage);
int agent_set_lost(struct call *c, const char *agent);
int agent_idle_unhooked(struct call *c);
/* What a run reads of an agent (work.c): its role and hook ("" for none) into the buffers: 1, 0
 * when there is no such agent (no error), -1 when storage failed. */
int agent_role_hook(struct call *c, const char *id, char *role, size_t rlen, char *hook, size_t hlen);
/* Agent takes bead for requested_by: hooked, working, the quiet ladder and its clocks start over.
 * 1, or 0 when it already has a hook (nothing changed), -1 when storage failed. */
int agent_take(struct call *c, const char *agent, const char *bead, const char *requested_by);
/* Crew agents (`gt connect`): owner's machine named name joins the town, as a new crew agent or,
 * when the owner has one of that name, the same agent back online. id gets its id; *created
 * says which. ERR_CONFLICT when another agent has the name, ERR_TOO_LARGE past 8 per member. */
int agent_crew_join(struct call *c, const char *owner, const char *name, char *id, size_t id_len, int *created);
/* The member who owns a crew agent into out ("" for other roles): 1, 0 when no such agent, -1. */
int agent_owner(struct call *c, const char *id, char *out, size_t len);
/* fn for each crew agent that is online or holds work (copied out first: fn may change them). */
int agent_crew_each(struct call *c, int (*fn)(struct call *c, const char *id, const char *state, const char *hook,
					     double heartbeat_ms, void *arg), void *arg);
/* An agent's state and its last sign of life (heartbeat, else start, else creation): 1, 0 when
 * there is no such agent, -1 when storage failed. */
int agent_state_of(struct call *c, const char *id, char *state, size_t len, double *heartbeat_ms);
/* Agent's run is over: no hook, no one to work for, no persona, state (idle or lost), active now. */
int agent_release(struct call *c, const char *agent, const char *state);
/* The persona the agent wears for the run it starts ("": none). */
int agent_set_persona(struct call *c, const char *agent, const char *persona);
/* 1 if the agent sent a heartbeat after its current run started, 0 if not (or no such agent). */
int agent_heard_since_start(struct call *c, const char *agent);
/* What a container is told of the agent: id, name, role, rig, hook, requested_by added to obj
 * (1), or nothing when there is no such agent (0); -1 when storage failed. */
int agent_run_json(struct call *c, const char *id, cJSON *obj);
/* The bench's fixture (probes.c): a polecat of rig as it is, with no event; working on hook
 * (heartbeat now) when hook is not NULL, idle otherwise. */
int agent_seed(struct call *c, const char *id, const char *rig, const char *hook);
/* An agent's output stream (what the container says it printed): each event is kept with the bead
 * on its hook at the time, the newest 1000 per agent after a trim; read 500 at a time after seq
 * `after`, oldest first (a new array, NULL when storage failed). */
int agent_event_add(struct call *c, const char *agent, const char *type, const char *text);
int agent_events_trim(struct call *c, const char *agent);
cJSON *agent_events_json(struct call *c, const char *agent, int64_t after);
/* The agent's name, rig ("" for none) or the human its work is for (when it has one) into out:
 * 1, 0 when there is no such agent (or no requester), -1 when storage failed. */
int agent_name(struct call *c, const char *id, char *out, size_t len);
int agent_rig(struct call *c, const char *id, char *out, size_t len);
int agent_requested_by(struct call *c, const char *id, char *out, size_t len);

/* ---- convoy.c --------------------------------------------------------------------------------- */

#define CONVOY_BEADS_MAX 100
/* The modes of a convoy, NULL-terminated. */
extern const char *const convoy_modes[];
/* Start a convoy of the given bead ids (1 to CONVOY_BEADS_MAX strings, checked by the route's
 * fields) in mode series (chained) or fan-out. */
int convoy_create(struct call *c, const char *title, const char *mode, const cJSON *beads, char *id_out,
		  size_t id_len);
cJSON *convoy_json(struct call *c, const char *id);
cJSON *convoys_json(struct call *c);
/* Recompute a convoy's state (open, landed, failed) from its beads; an event when it changes. */
int convoy_refresh(struct call *c, const char *convoy);
/* A bead changed status: land or fail the convoys it belongs to. */
int convoy_bead_changed(struct call *c, const char *bead);
/* 1 if the convoy exists, 0 if not, -1 when storage failed. */
int convoy_exists(struct call *c, const char *id);
/* The beads of the convoy that can be slung (open or failed), in the convoy's order: at most
 * CONVOY_BEADS_MAX ids into beads, their number into *n. */
/* Run the convoy's beads in series (each blocked by the one before it) or fan-out (those links
 * taken away). ERR_NOT_FOUND, or ERR_CONFLICT for a convoy that landed or failed, or a series
 * link that would make a cycle (it names the beads). Appends convoy.updated. */
int convoy_set_mode(struct call *c, const char *id, const char *mode);
int convoy_sling_candidates(struct call *c, const char *id, char beads[][72], int *n);
/* Every convoy the bead is in, by id, as a new array of strings: no limit, a bead may be in any
 * number of convoys (costs are charged to each, each one's budget holds it back). NULL with c->err
 * set when storage failed (or on OOM). */
cJSON *convoys_of(struct call *c, const char *bead);

/* ---- mail.c ----------------------------------------------------------------------------------- */

/* Send mail from the caller (a person or an agent) to agent `to`; id_out gets its id. */
int mail_send(struct call *c, const char *to, const char *subject, const char *body, char *id_out,
	      size_t id_len);
/* The newest 200 messages, to one agent (or all with to NULL), optionally unread only. */
cJSON *mail_list_json(struct call *c, const char *to, int unread_only);
/* A mail's body: 1 with a copy in *out (the caller frees it), 0 when there is no such mail, -1. */
int mail_body(struct call *c, const char *id, char **out);
int mail_mark_read(struct call *c, const char *agent, const char *id);

/* ---- escalation.c ------------------------------------------------------------------------------ */

/* The severities, lowest first, NULL-terminated. */
extern const char *const escalation_levels[];
/* 0 low .. 3 critical, -1 for anything else. */
int escalation_severity(const char *s);
int escalation_raise(struct call *c, const char *severity, const char *title, const char *body,
		     const char *bead, char *id_out, size_t id_len);
/* acknowledged or resolved; ERR_CONFLICT when it already is, or was resolved. */
int escalation_set_state(struct call *c, const char *id, const char *state);
cJSON *escalations_json(struct call *c, const char *state);
/* The re-escalation timer (timer.c's table). */
int escalation_timer_fired(struct call *c, const char *id);

/* ---- mayor.c ---------------------------------------------------------------------------------- */

/* What the Mayor is told with a message: who asks (name, role) and what everyone is doing now. */
cJSON *mayor_context(struct call *c, enum role caller);
/* Store a member's message and deliver it, with its context, to the Mayor's inbox (ERR_CONFLICT
 * without a mayor). *context gets the context block (the caller deletes it). */
int mayor_message(struct call *c, enum role caller, const char *text, const cJSON *ui, char *id_out,
		  size_t id_len, cJSON **context);
/* The Mayor answers a message: stored, in the feed, and pushed to the asker's sockets. */
int mayor_reply(struct call *c, const char *message, const char *text);
/* A piece of a reply being written: pushed to the asker's sockets as a "mayor.delta" frame. */
int mayor_reply_delta(struct call *c, const char *message, const char *text);
/* The Mayor acts on a member's message: its actions in this call are attributed to the author. */
int mayor_acts_on(struct call *c, const char *message);
/* The caller's own conversation with the Mayor, newest first. */
cJSON *mayor_conversation(struct call *c);
/* The living Mayor (run/mayor_run.c). The oldest waiting message: 1 with its id, author and runs
 * so far, 0 when none waits, -1 when storage failed. */
int mayor_next_waiting(struct call *c, char *id, size_t id_len, char *author, size_t author_len, int *runs);
/* Set a message waiting, answering (a run took it up: counted) or answered. */
int mayor_set_state(struct call *c, const char *id, const char *state);
/* 1 when the message has a reply, 0 when not, -1 when storage failed. */
int mayor_replied(struct call *c, const char *id);
/* 1 when a run of the Mayor answered a message before (its session may be resumed). */
int mayor_ran_before(struct call *c);
/* The prompt of the run that answers message id: the town's instructions, its members, the town as
 * it was when the message came, what the asker was looking at, the message. malloc'd; NULL with
 * c->err set. */
char *mayor_prompt(struct call *c, const char *id);
/* A member's message waits for the Mayor (mayor.c announces, wiring.c lists who listens). */
typedef int (*mayor_reaction)(struct call *c);
extern const mayor_reaction mayor_reactions[];
extern const size_t mayor_reactions_n;

/* ---- note.c: notes on repository paths, for whoever works there next ------------------------- */

#define NOTE_PATH_MAX 300    /* bytes of a path */
#define NOTE_TEXT_MAX 2000   /* bytes of a note */
#define NOTE_CONTEXT_MAX 2000 /* bytes of notes and changes added to a prime context */

struct note_fields {
	const char *path, *text, *rig, *bead;
};
/* A relative path of a repository: no leading '/', no "." or ".." segment, printable. */
int note_path_valid(const char *p);
/* Add a note by the caller (checked fields; its requested_by is the call's). 0 with its id. */
int note_add(struct call *c, const struct note_fields *f, char *id, size_t id_len);
/* Notes on path (a file, a directory over it, or what is under it) or all (path NULL or ""), newest
 * first: [{id, path, rig, text, author, bead, requested_by, created_ms}]. NULL on failure. */
cJSON *note_list_json(struct call *c, const char *path, int limit);
/* For a bead (id, and its title and body in text): the newest notes and last changes on the paths
 * text names, appended to out as lines (at most about NOTE_CONTEXT_MAX bytes) and to list as
 * objects with kind "note" or "change". 0, or -1 when storage failed. */
int note_context(struct call *c, const char *bead, const char *text, struct strbuf *out, cJSON *list);
/* One note as note_list_json gives it, or NULL with ERR_NOT_FOUND (or a storage failure). */
cJSON *note_json(struct call *c, const char *id);
int note_wipe(struct call *c);
/* Told of each note added, with its id (note.c announces, wiring.c lists who listens). */
typedef int (*note_reaction)(struct call *c, const char *id);
extern const note_reaction note_reactions[];
extern const size_t note_reactions_n;

/* ---- persona.c -------------------------------------------------------------------------------- */

#define PERSONA_NAME_MAX 40
#define PERSONA_TOOL_MAX 100
#define PERSONA_OVERLAY_MAX 8000
#define PERSONA_TOOLS_MAX 32
#define PERSONA_GATES_MAX 10

/* A persona as written: NULL members are not given (create: defaults; update: kept). model ""
 * clears it. Lists are borrowed JSON arrays, already checked by the route's fields. */
struct persona_fields {
	const char *name, *title, *overlay, *model;
	const cJSON *allowed_tools, *denied_tools, *gates;
};
/* The forms: a name (a-z, digits, -; a letter first), a tool (Claude Code's spelling, an optional
 * "(rule)"), a model (what a runtime's command line takes). 1 when valid. */
int persona_name_valid(const char *s);
/* 1 when name is one of the built-in personas every town has. */
int persona_builtin(const char *name);
int persona_tool_valid(const char *s);
int persona_model_valid(const char *s);
/* 1 if name is a built-in or the town's persona, 0 if not, -1 on failure. */
int persona_exists(struct call *c, const char *name);
/* A persona {name, title, overlay, allowed_tools, denied_tools, gates, model, builtin, ...}, or
 * NULL with ERR_NOT_FOUND (field persona) or a failure. */
cJSON *persona_json(struct call *c, const char *name);
/* The built-in ones, then the town's by name. */
cJSON *personas_json(struct call *c);
/* What the agent host is told: name, title, overlay, allowed_tools, denied_tools, gates, model
 * added to obj. 0, or -1 (ERR_NOT_FOUND when there is no such persona). */
int persona_run_json(struct call *c, const char *name, cJSON *obj);
/* Create or change a town's persona (a built-in name: ERR_CONFLICT); delete one (refused while an
 * unfinished bead names it). */
int persona_put(struct call *c, const struct persona_fields *f, int create);
int persona_delete(struct call *c, const char *name);

/* ---- ui_context.c ------------------------------------------------------------------------------ */

/* Check the dashboard's navigation ring buffer (page, open object, recent actions) and resolve the
 * objects it names to their state now. *resolved gets {page, open?, recent} (cJSON_Delete), *system
 * the text block for the Mayor's prompt (free). 0, or -1 with ERR_INVALID naming the field. */
int ui_context_resolve(struct call *c, const cJSON *ui, cJSON **resolved, char **system);

/* ---- reactions to a bead's changes (bead.c announces, wiring.c lists who listens) -------------- */

enum bead_change_kind {
	BEAD_CREATED,  /* a new bead; startable when it has a rig and is not held */
	BEAD_STATUS,   /* its status went from -> to */
	BEAD_UPDATED,  /* what decides whether it can start changed: rig, hold, status, a blocker dropped */
	BEAD_EDITED,   /* its title, body or labels changed (what it says, not whether it can start) */
	BEAD_DELETING  /* about to be deleted: whoever holds it lets go (its own rows go after) */
};

struct bead_change {
	enum bead_change_kind kind;
	const char *id;
	const char *from, *to; /* BEAD_STATUS */
	int startable;         /* BEAD_CREATED */
};

typedef int (*bead_reaction)(struct call *c, const struct bead_change *ch);
extern const bead_reaction bead_reactions[];
extern const size_t bead_reactions_n;
/* Tell every listener, in the wiring's order; the first failure fails the call. */
int bead_announce(struct call *c, const struct bead_change *ch);
/* This layer's listeners. */
int agent_on_bead(struct call *c, const struct bead_change *ch);
int convoy_on_bead(struct call *c, const struct bead_change *ch);

/* ---- an agent's state (agent.c announces, wiring.c lists who listens) ------------------------- */

/* An agent was created or its state set: "idle", "working" or "lost". Told after the row changed. */
struct agent_change {
	const char *id;
	const char *state;
	int created;
};
typedef int (*agent_reaction)(struct call *c, const struct agent_change *ch);
extern const agent_reaction agent_reactions[];
extern const size_t agent_reactions_n;
/* Tell agent_reactions of a change, in order. For the agent module's files (agent*.c) only. */
int agent_announce(struct call *c, const char *id, const char *state, int created);

/* The town's settings name a runtime the container knows (wiring.c: container.c's presets). */
extern int (*const town_runtime_valid)(const char *name);

/* ---- the town's deletion (town.c announces, wiring.c lists who listens) ---------------------- */

/* Each table has one owner (docs/architecture.md, "Tables and their owners"), so a town's deletion
 * is an announcement: town.c deletes its secrets, then each listener deletes every row of its own
 * tables, in the wiring's order, then town.c deletes the town's row. */
typedef int (*town_reaction)(struct call *c);
extern const town_reaction town_deleting[];
extern const size_t town_deleting_n;
/* This layer's listeners: each empties its file's tables (members_wipe, above, is one too; core's
 * timer_wipe another). */
int convoy_wipe(struct call *c);   /* convoy_beads, convoys */
int bead_wipe(struct call *c);     /* bead_labels, bead_deps, beads */
int feed_wipe(struct call *c);     /* events */
int mail_wipe(struct call *c);     /* mail */
int escalation_wipe(struct call *c); /* escalations */
int agent_wipe(struct call *c);    /* agent_events, agent_status, agents, town_keys */
int rig_wipe(struct call *c);      /* rigs */
int mayor_wipe(struct call *c);    /* mayor_messages, mayor_replies */
int persona_wipe(struct call *c);  /* personas */

#endif
