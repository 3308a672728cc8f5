/*
 * api_work.c - the routes of a run: what the container and the agent report (prime, done,
 * completed, events; heartbeat and status live in api_agent.c) and how people hand work to the town
 * (sling a bead or a whole convoy). docs/container-protocol.md is the contract.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define EVENTS_PER_CALL 100
#define EVENT_TEXT_MAX 4096
#define STR2(x) #x
#define STR(x) STR2(x)

static int hex(const char *s)
{
	return strspn(s, "0123456789abcdef") == strlen(s);
}

/* A commit id: 7 to 64 hexadecimal digits (abbreviated, SHA-1 or SHA-256). */
static int commit_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 7 && hex(s);
}

/* The diff report's items and object: what git says of each file (docs/container-protocol.md). */
struct diff_file {
	const char *path, *status;
	int64_t additions, deletions;
	int binary;
};

static const struct field_rule diff_file_rules[] = {
	{"path", F_STR(struct diff_file, path), FR_REQUIRED, 1, BEAD_DIFF_PATH_MAX, .field = "diff.files[%i].path"},
	{"status", F_STR(struct diff_file, status), FR_REQUIRED, 0, 16, .one_of = bead_diff_statuses,
	 .field = "diff.files[%i].status"},
	{"additions", F_INT(struct diff_file, additions), FR_REQUIRED, 0, BEAD_DIFF_LINES_MAX,
	 .field = "diff.files[%i].additions"},
	{"deletions", F_INT(struct diff_file, deletions), FR_REQUIRED, 0, BEAD_DIFF_LINES_MAX,
	 .field = "diff.files[%i].deletions"},
	{"binary", F_BOOL(struct diff_file, binary), 0, .field = "diff.files[%i].binary"},
};
static const struct fields diff_file_fields = FIELDS(diff_file_rules, struct diff_file);

static const struct field_rule diff_file_item = {
	NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &diff_file_fields, .field = "diff.files[%i]",
	.msg[FF_TYPE] = "diff.files[%i] is an object {path, status, additions, deletions, binary?}"};

struct diff_report {
	const char *base, *head, *language;
	const cJSON *files;
};

/* A language as the host names it ("c", "typescript", "other"): lower-case letters. */
static int language_valid(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz") == strlen(s);
}

#define COMMIT_MSG "'%n' is a commit id: 7 to 64 hexadecimal digits"
static const struct field_rule diff_rules[] = {
	{"base", F_STR(struct diff_report, base), FR_REQUIRED, 0, 64, .valid = commit_id, .field = "diff.base",
	 .msg = {[FF_FORM] = COMMIT_MSG, [FF_LONG] = COMMIT_MSG}},
	{"head", F_STR(struct diff_report, head), FR_REQUIRED, 0, 64, .valid = commit_id, .field = "diff.head",
	 .msg = {[FF_FORM] = COMMIT_MSG, [FF_LONG] = COMMIT_MSG}},
	{"files", F_ARR(struct diff_report, files), FR_REQUIRED, 0, BEAD_DIFF_FILES_MAX, .of = &diff_file_item,
	 .field = "diff.files", .msg[FF_MANY] = "a diff report names at most %u files"},
	{"language", F_STR(struct diff_report, language), 0, 1, 32, .valid = language_valid, .field = "diff.language",
	 .msg[FF_ANY] = "'diff.language' is the repository's language in lower-case letters (c, python, other)"},
};
static const struct fields diff_fields = FIELDS(diff_rules, struct diff_report);

/* Both roles' fields: work_done requires the ones the agent's role needs. */
static const struct field_rule done_rules[] = {
	{"bead", F_STR(struct done_report, bead), FR_REQUIRED, 0, 64},
	{"branch", F_STR(struct done_report, branch), 0, 1, 200, .msg[FF_SHORT] = "'branch' is not a usable branch name"},
	{"commit", F_STR(struct done_report, commit), 0, 0, 64, .valid = hex,
	 .msg[FF_FORM] = "'commit' is a hexadecimal commit id"},
	{"summary", F_STR(struct done_report, summary), 0, 0, 4000},
	{"outcome", F_STR(struct done_report, outcome), 0, 0, 16, .one_of = work_outcomes},
	{"reason", F_STR(struct done_report, reason), 0, 0, 1000},
	{"diff", F_OBJ(struct done_report, diff), 0, 0, 0, .fields = &diff_fields,
	 .msg[FF_TYPE] = "'diff' is an object {base, head, files}"},
};
const struct fields agent_done_body = FIELDS(done_rules, struct done_report);

struct completed_body {
	int64_t exit_code;
	const char *reason, *bead;
};

static const struct field_rule completed_rules[] = {
	{"exit_code", F_INT(struct completed_body, exit_code), FR_REQUIRED, -1000, 1000},
	{"reason", F_STR(struct completed_body, reason), 0, 0, 1000},
	{"bead", F_STR(struct completed_body, bead), FR_NULL, 0, 64, .msg[FF_ANY] = "'bead' is a bead id or null"},
};
const struct fields agent_completed_body = FIELDS(completed_rules, struct completed_body);

static const char *const event_types[] = {"output", "error", "tool", "message", NULL};

struct event_body {
	const char *type, *text;
};

/* at_ms is passed on to the sockets as it came (the stored time is the arrival's). */
static const struct field_rule event_rules[] = {
	{"type", F_STR(struct event_body, type), FR_REQUIRED, 0, 16, .one_of = event_types},
	{"text", F_STR(struct event_body, text), FR_REQUIRED, 0, EVENT_TEXT_MAX},
	{"at_ms", .type = FT_ANY},
};
static const struct fields event_fields = FIELDS(event_rules, struct event_body);

static const struct field_rule event_item = {
	NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &event_fields,
	.msg[FF_ANY] = "event %i: {type: output|error|tool|message, text: at most " STR(EVENT_TEXT_MAX) " bytes}"};

struct events_body {
	const cJSON *events;
};

#define EVENTS_MSG "'events' is an array of {type, text, at_ms?}"
static const struct field_rule events_rules[] = {
	{"events", F_ARR(struct events_body, events), FR_REQUIRED, 0, EVENTS_PER_CALL, .of = &event_item,
	 .msg = {[FF_MISSING] = EVENTS_MSG, [FF_TYPE] = EVENTS_MSG, [FF_MANY] = "at most %u events per call"}},
};
const struct fields agent_events_body = FIELDS(events_rules, struct events_body);

struct sling_body {
	const char *rig, *persona;
	int64_t ways;
	const cJSON *variants;
};

struct variant_body {
	const char *model, *persona, *runtime;
};

static const struct field_rule variant_rules[] = {
	{"model", F_STR(struct variant_body, model), 0, 0, 100, .field = "variants[%i].model"},
	{"persona", F_STR(struct variant_body, persona), 0, 0, PERSONA_NAME_MAX, .field = "variants[%i].persona"},
	{"runtime", F_STR(struct variant_body, runtime), 0, 0, 32, .field = "variants[%i].runtime"},
};
static const struct fields variant_fields = FIELDS(variant_rules, struct variant_body);

static const struct field_rule variant_item = {
	NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &variant_fields, .field = "variants[%i]",
	.msg[FF_TYPE] = "variants[%i] is an object {model?, persona?, runtime?}"};

/* "" takes the persona off the bead. */
static int persona_or_none(const char *s)
{
	return !*s || persona_name_valid(s);
}

#define PERSONA_MSG "'persona' is a persona's name (a-z, 0-9 and -, a letter first), or \"\" for none"
static const struct field_rule sling_rules[] = {
	{"rig", F_STR(struct sling_body, rig), 0, 0, 64},
	{"persona", F_STR(struct sling_body, persona), 0, 0, PERSONA_NAME_MAX, .valid = persona_or_none,
	 .msg = {[FF_FORM] = PERSONA_MSG, [FF_LONG] = PERSONA_MSG}},
	{"ways", F_INT(struct sling_body, ways), FR_DEFAULT, 1, 8, .def = 1,
	 .msg[FF_ANY] = "'ways' is how many attempts to start at once: %l to %u (and at most the town's max_ways)"},
	{"variants", F_ARR(struct sling_body, variants), 0, 0, 8, .of = &variant_item,
	 .msg = {[FF_TYPE] = "'variants' is an array of {model?, persona?, runtime?}", [FF_MANY] = "at most %u variants"}},
};
const struct fields sling_body = FIELDS_OPTIONAL(sling_rules, struct sling_body);

static const char *agent_id(struct call *c)
{
	return c->seg[4];
}

int api_agent_prime(struct call *c)
{
	cJSON *out = container_assignment(c, agent_id(c)), *mail;

	if (!out)
		return -1;
	if (!(mail = mail_list_json(c, agent_id(c), 1))) {
		cJSON_Delete(out);
		return -1;
	}
	cJSON_AddItemToObject(out, "mail", mail);
	return call_reply(c, 200, out);
}

int api_agent_done(struct call *c)
{
	struct done_report in = {0};
	cJSON *out = NULL;

	if (call_fields(c, &in, sizeof in) < 0 || work_done(c, agent_id(c), &in, &out) < 0)
		return -1;
	return call_reply(c, 200, out);
}

int api_agent_completed(struct call *c)
{
	struct completed_body in = {0};
	cJSON *v;

	if (call_fields(c, &in, sizeof in) < 0 ||
	    work_completed(c, agent_id(c), in.bead, (int)in.exit_code, in.reason) < 0 ||
	    !(v = agent_json(c, agent_id(c))))
		return -1;
	return call_reply(c, 200, v);
}

/* The container streams what the agent prints: kept (bounded) for the stream viewer and pushed
 * live to the town's sockets. Any output counts as progress. */
int api_agent_events(struct call *c)
{
	struct events_body in = {0};
	const cJSON *e;
	cJSON *frame, *items;
	int n = 0;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	frame = cJSON_CreateObject();
	cJSON_AddStringToObject(frame, "type", "agent.output");
	cJSON_AddStringToObject(frame, "agent", agent_id(c));
	items = cJSON_AddArrayToObject(frame, "events");
	cJSON_ArrayForEach(e, in.events) {
		struct event_body ev = {0};

		/* Checked with the body: reading it again cannot fail. */
		if (fields_read(e, &event_fields, &ev, sizeof ev, &c->err) < 0) {
			cJSON_Delete(frame);
			return -1;
		}
		if (agent_event_add(c, agent_id(c), ev.type, ev.text) < 0) {
			cJSON_Delete(frame);
			return -1;
		}
		cJSON_AddItemToArray(items, cJSON_Duplicate(e, 1));
		n++;
	}
	if (agent_events_trim(c, agent_id(c)) < 0 || agent_active(c, agent_id(c)) < 0) {
		cJSON_Delete(frame);
		return -1;
	}
	if (ws_broadcast(c, "feed", frame) < 0)
		return -1;
	return call_reply(c, 200, cJSON_CreateNumber(n));
}

/* An agent's stream, oldest first after ?after=. */
int api_agent_events_list(struct call *c)
{
	enum role caller;
	int64_t after = 0;
	cJSON *list;
	int rc;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || query_int(c, "after", 0, INT64_MAX, &after) < 0)
		return -1;
	if ((rc = agent_exists(c, agent_id(c))) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent_id(c));
	if (!(list = agent_events_json(c, agent_id(c), after)))
		return -1;
	return call_reply(c, 200, list);
}

/* Hand a bead to the town's agents: give it a rig (or keep its own), lift its hold, and give a bead
 * that failed a fresh start. */
static int sling(struct call *c, const char *bead, const char *rig, const char *persona)
{
	char status[16] = "", current_rig[72] = "", worn[PERSONA_NAME_MAX + 1] = "";
	struct bead_fields f = {.priority = -1, .held_set = 1, .held = 0};

	if (bead_status_rig(c, bead, status, sizeof status, current_rig, sizeof current_rig) < 0)
		return -1;
	if (!*status)
		return err_set(&c->err, ERR_NOT_FOUND, "bead_id", "no bead '%s' in this town", bead);
	if (!rig && !*current_rig)
		return err_set(&c->err, ERR_INVALID, "rig", "bead '%s' has no rig: name one", bead);
	if (strcmp(status, "open") && strcmp(status, "failed"))
		return err_set(&c->err, ERR_CONFLICT, "bead", "bead '%s' is %s: only open or failed beads are slung",
			       bead, status);
	f.rig = rig;
	if (strcmp(status, "failed") == 0) {
		f.status = "open";
		if (bead_reset_attempts(c, bead) < 0)
			return -1;
	}
	if (event_append(c, "bead.slung", bead, "rig", NULL, rig ? rig : current_rig) < 0 || bead_update(c, bead, &f, 0) < 0)
		return -1;
	/* Given, the persona replaces the bead's (its history keeps the change); absent, it stays. */
	if (persona && (bead_persona(c, bead, worn, sizeof worn) < 0 ||
			(strcmp(worn, persona) &&
			 (bead_set_persona(c, bead, *persona ? persona : NULL) < 0 ||
			  event_append(c, "bead.updated", bead, "persona", *worn ? worn : NULL, *persona ? persona : NULL) < 0))))
		return -1;
	{
		char why[300];
		int blocked = budget_blocks(c, bead, 0, why, sizeof why);

		if (blocked < 0)
			return -1;
		if (blocked) {
			snprintf(c->err.reason, sizeof c->err.reason, "budget_exceeded");
			return err_set(&c->err, ERR_CONFLICT, "budget", "%s: raise or lift it to sling %s", why, bead);
		}
	}
	return 0;
}

/* The body is optional: {"rig"?, "persona"?}. */
static int read_sling(struct call *c, struct sling_body *in)
{
	int exists;

	if (call_fields(c, in, sizeof *in) < 0)
		return -1;
	if (in->rig && (exists = rig_exists(c, in->rig)) <= 0)
		return exists < 0 ? -1 : err_set(&c->err, ERR_INVALID, "rig", "no rig '%s' in this town", in->rig);
	if (in->persona && *in->persona && (exists = persona_exists(c, in->persona)) <= 0)
		return exists < 0 ? -1 : err_set(&c->err, ERR_INVALID, "persona",
						 "no persona '%s' in this town (GET .../personas lists them)", in->persona);
	return 0;
}

/* ways > 1: the bead's attempts, each in its variant (attempt.c checks them against the town). */
static int sling_ways(struct call *c, const char *bead, const struct sling_body *in)
{
	struct attempt_variant v[8];
	const cJSON *item;
	int n = 0;

	cJSON_ArrayForEach(item, in->variants) {
		struct variant_body b = {0};

		/* Checked with the body: reading it again cannot fail. */
		if (fields_read(item, &variant_fields, &b, sizeof b, &c->err) < 0)
			return -1;
		v[n++] = (struct attempt_variant){b.model, b.persona, b.runtime};
	}
	return attempt_sling(c, bead, in->persona, (int)in->ways, v, n);
}

int api_bead_sling(struct call *c)
{
	struct sling_body in = {.ways = 1};
	enum role caller;
	cJSON *v;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || read_sling(c, &in) < 0)
		return -1;
	if (in.ways < 2 && cJSON_GetArraySize(in.variants) > 0)
		return err_set(&c->err, ERR_INVALID, "variants", "variants are for a sling of 2 or more ways");
	if (sling(c, c->seg[4], in.rig, in.ways > 1 ? NULL : in.persona) < 0 ||
	    (in.ways > 1 && sling_ways(c, c->seg[4], &in) < 0) || !(v = bead_json(c, c->seg[4])))
		return -1;
	if (in.ways > 1) {
		cJSON *attempts = attempts_json(c, c->seg[4]);

		if (!attempts) {
			cJSON_Delete(v);
			return -1;
		}
		/* Not "attempts": a bead's runs are counted under that name. */
		cJSON_AddItemToObject(v, "ways", attempts);
	}
	return call_reply(c, 200, v);
}

/* A bead's attempts, oldest first ([] for a bead slung one way). */
int api_bead_attempts(struct call *c)
{
	enum role caller;
	cJSON *list;
	int rc;

	if (town_require(c, ROLE_VIEWER, &caller) < 0)
		return -1;
	if ((rc = bead_exists(c, c->seg[4])) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "bead_id", "no bead '%s' in this town", c->seg[4]);
	if (!(list = attempts_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, list);
}

int api_convoy_sling(struct call *c)
{
	struct sling_body in = {0};
	enum role caller;
	char beads[CONVOY_BEADS_MAX][72];
	int n = 0, rc;
	cJSON *v;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || read_sling(c, &in) < 0)
		return -1;
	if (in.ways > 1 || in.variants)
		return err_set(&c->err, ERR_INVALID, in.ways > 1 ? "ways" : "variants",
			       "a convoy is slung one way: sling a bead of it several ways on its own");
	if ((rc = convoy_exists(c, c->seg[4])) <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "convoy_id", "no convoy '%s' in this town", c->seg[4]);
	if (convoy_sling_candidates(c, c->seg[4], beads, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (sling(c, beads[i], in.rig, in.persona) < 0)
			return -1;
	if (!(v = convoy_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, v);
}
