/*
 * mcp_tools.c - the tools of the town's MCP server, each a route of the HTTP API. A tool names its
 * route (method and path), the arguments that fill the path and the query, and the route's body
 * fields (the same table the route reads): its input schema is made from those, and mcp.c runs it
 * through route_call, so a tool can do exactly what the route does for the same caller.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

/* Query parameters, as rules: only their names and types are used (the route checks the values). */
static const struct field_rule beads_query_rules[] = {
	{"status", .type = FT_STRING, .one_of = bead_statuses},
	{"type", .type = FT_STRING, .one_of = bead_types},
	{"assignee", .type = FT_STRING},
	{"rig", .type = FT_STRING},
	{"parent", .type = FT_STRING},
	{"label", .type = FT_STRING},
	{"ready", .type = FT_BOOL},
	{"limit", .type = FT_INT, .min = 1, .max = 200},
	{"cursor", .type = FT_INT, .min = 1, .max = INT64_MAX / 2},
};
static const struct fields beads_query = FIELDS_CHECK(beads_query_rules);

static const struct field_rule feed_query_rules[] = {
	{"after", .type = FT_INT, .min = 0, .max = INT64_MAX / 2},
	{"limit", .type = FT_INT, .min = 1, .max = 500},
};
static const struct fields feed_query = FIELDS_CHECK(feed_query_rules);

static const struct field_rule costs_query_rules[] = {
	{"by", .type = FT_STRING, .one_of = (const char *const[]){"user", "rig", "convoy", "model", "agent", "bead", NULL}},
	{"period", .type = FT_STRING, .one_of = (const char *const[]){"day", "week", "month", "all", NULL}},
	{"date", .type = FT_STRING},
};
static const struct fields costs_query = FIELDS_CHECK(costs_query_rules);

static const struct field_rule escalations_query_rules[] = {
	{"state", .type = FT_STRING},
};
static const struct fields escalations_query = FIELDS_CHECK(escalations_query_rules);

static const struct field_rule inbox_query_rules[] = {
	{"unread", .type = FT_BOOL},
};
static const struct fields inbox_query = FIELDS_CHECK(inbox_query_rules);

static const struct field_rule stats_query_rules[] = {
	{"by", .type = FT_STRING, .one_of = (const char *const[]){"model", "persona", "runtime", "agent", "variant",
								    "language", "kind", NULL}},
	{"kind", .type = FT_STRING},
	{"language", .type = FT_STRING},
	{"key", .type = FT_STRING},
};
static const struct fields stats_query = FIELDS_CHECK(stats_query_rules);

static const struct field_rule search_query_rules[] = {
	{"q", .type = FT_STRING},
	{"agent", .type = FT_STRING},
	{"bead", .type = FT_STRING},
	{"rig", .type = FT_STRING},
	{"kind", .type = FT_STRING},
	{"path", .type = FT_STRING},
	{"order", .type = FT_STRING, .one_of = (const char *const[]){"recent", "relevance", NULL}},
	{"limit", .type = FT_INT, .min = 1, .max = 100},
};
static const struct fields search_query = FIELDS_CHECK(search_query_rules);

static const struct field_rule fleet_query_rules[] = {
	{"period", .type = FT_STRING, .one_of = (const char *const[]){"day", "week", "month", NULL}},
	{"date", .type = FT_STRING},
};
static const struct fields fleet_query = FIELDS_CHECK(fleet_query_rules);

#define T "/api/towns/{town}"
#define O "/api/orgs/{org}"
#define SELF T "/agents/{self}"

/* Members' tools first (read-only ones are a viewer's), then the agent's own. */
const struct mcp_tool mcp_tools[] = {
	{"town_status", "Town status", "The town: its name, settings, rigs and your role in it.",
	 "GET", T, NULL, NULL, MCP_READ},
	{"beads_list", "List beads", "Beads of the town, newest first, filtered by status, type, rig, assignee, "
	 "label or parent; ready=true keeps those that can start now.", "GET", T "/beads", NULL, &beads_query, MCP_READ | MCP_MAYOR},
	{"bead_show", "Show a bead", "One bead with its dependencies, runs and who asked for it.",
	 "GET", T "/beads/{bead}", NULL, NULL, MCP_READ | MCP_AGENT | MCP_MAYOR},
	{"bead_create", "Create a bead", "File a bead (a unit of work). With a rig and not held, the town "
	 "starts it; held, it waits for bead_sling.", "POST", T "/beads", &bead_create_body, NULL, MCP_WRITE | MCP_MAYOR},
	{"bead_update", "Update a bead", "Change a bead's title, body, status, priority, labels, rig or hold.",
	 "PATCH", T "/beads/{bead}", &bead_update_body, NULL, MCP_WRITE | MCP_MAYOR},
	{"bead_close", "Close a bead", "Close a bead, with a reason.", "POST", T "/beads/{bead}/close",
	 &bead_close_body, NULL, MCP_WRITE | MCP_MAYOR},
	{"bead_sling", "Sling a bead", "Hand a bead to a rig's agents: the hold is lifted and the town starts it.",
	 "POST", T "/beads/{bead}/sling", &sling_body, NULL, MCP_WRITE | MCP_MAYOR},
	/* Casting: the Mayor picks a persona or a speculative sling from the town's own record. */
	{"personas_list", "List personas", "The parts an agent can play on a bead (overlay, tools, gates, model): the "
	 "built-in ones and the town's. Sling a bead with one through bead_sling's persona.", "GET", T "/personas", NULL,
	 NULL, MCP_READ | MCP_MAYOR},
	{"stats", "Outcome stats", "What became of the town's work by model, persona, runtime, agent, variant, language or "
	 "kind: first-pass rate with its Wilson 95% interval and sample size, cost per merged bead.", "GET", T "/stats",
	 NULL, &stats_query, MCP_READ | MCP_MAYOR},
	{"bead_recommend", "Recommend a variant", "For one bead (its kind, its rig's language): the variants to try, "
	 "ranked by expected cost per merged bead, with the figures behind each. bead_sling takes ways and variants "
	 "to try several at once.", "GET", T "/beads/{bead}/recommend", NULL, NULL, MCP_READ | MCP_MAYOR},
	{"convoys_list", "List convoys", "The town's convoys with their progress.", "GET", T "/convoys", NULL, NULL,
	 MCP_READ | MCP_MAYOR},
	{"convoy_show", "Show a convoy", "One convoy: its beads in order and its state.", "GET",
	 T "/convoys/{convoy}", NULL, NULL, MCP_READ | MCP_MAYOR},
	{"convoy_create", "Create a convoy", "Group beads into a convoy, in series (one agent carried through) "
	 "or fan-out.", "POST", T "/convoys", &convoy_create_body, NULL, MCP_WRITE | MCP_MAYOR},
	{"convoy_update", "Change a convoy's mode", "Run an open convoy's beads in series (each waits for the one "
	 "before it, one agent carried through) or fan-out (all at once).", "PATCH", T "/convoys/{convoy}",
	 &convoy_update_body, NULL, MCP_WRITE | MCP_MAYOR},
	{"convoy_sling", "Sling a convoy", "Hand every bead of a convoy to a rig.", "POST",
	 T "/convoys/{convoy}/sling", &sling_body, NULL, MCP_WRITE | MCP_MAYOR},
	/* Formulas from the registry (docs/registry.md): the Mayor runs one for a member. */
	{"formulas_installed", "Installed formulas", "What the town installed from the registry: formulas (workflows"
	 " of steps) and agent configs, each pinned to a version, with its state.", "GET", T "/installs", NULL, NULL,
	 MCP_READ | MCP_MAYOR},
	{"formula_run", "Run a formula", "Run an installed formula: one bead per step with its variables put in (vars:"
	 " {name: value}), each blocked by the steps it needs, in one convoy; on rig, or held to sling later.", "POST",
	 T "/formulas/{name}/runs", &formula_run_body, NULL, MCP_WRITE | MCP_MAYOR},
	/* The Wasteland's board (docs/wasteland.md): the Mayor finds other towns' work and takes it on. */
	{"wasteland_wanted", "Wasteland board", "Other towns' open wanted posters in the Wasteland commons (most urgent"
	 " first, as last read), and those this town claimed, with their bead.", "GET", T "/wasteland/wanted", NULL, NULL,
	 MCP_READ | MCP_MAYOR},
	{"wasteland_claim", "Claim a Wasteland poster", "Take another town's poster on: it becomes a bead of this town"
	 " (in rig, if given) and the commons is told it is claimed; when the bead closes, its completion is written.",
	 "POST", T "/wasteland/wanted/{poster}/claim", &wasteland_claim_body, NULL, MCP_WRITE | MCP_MAYOR},
	{"agents_list", "List agents", "The town's agents with their state, hook and status bubble.", "GET",
	 T "/agents", NULL, NULL, MCP_READ},
	{"agent_show", "Show an agent", "One agent with its status history.", "GET", T "/agents/{agent}", NULL,
	 NULL, MCP_READ},
	{"mail_list", "List mail", "Mail sent in the town.", "GET", T "/mail", NULL, NULL, MCP_READ},
	{"mail_send", "Send mail", "Send mail to an agent.", "POST", T "/mail", &mail_send_body, NULL, MCP_WRITE},
	{"escalations_list", "List escalations", "Escalations, open ones first.", "GET", T "/escalations", NULL,
	 &escalations_query, MCP_READ},
	{"escalation_ack", "Acknowledge an escalation", "Acknowledge an escalation: it stops re-raising.", "POST",
	 T "/escalations/{escalation}/ack", NULL, NULL, MCP_WRITE},
	{"costs", "Costs", "What the town's model calls cost, grouped by user, rig, convoy, model, agent or bead.",
	 "GET", T "/costs", NULL, &costs_query, MCP_READ},
	{"budgets_list", "List budgets", "Budgets with their spend, warning and whether they are reached.", "GET",
	 T "/budgets", NULL, NULL, MCP_READ},
	{"feed", "The feed", "Who did what, for whom: the town's events in order.", "GET", T "/events", NULL,
	 &feed_query, MCP_READ},
	{"search", "Search the agent log", "What the town's agents did, and its beads and notes: q is an FTS5 query"
	 " (words, \"a phrase\", prefix*, OR, NOT); newest first, or order=relevance; path alone lists the newest"
	 " events on paths under it. Each result has the words around the hits.", "GET", T "/search", NULL,
	 &search_query, MCP_READ},
	{"org_show", "Organization", "The organization: its name and your role in it.", "GET", O, NULL, NULL, MCP_ORG},
	{"org_towns", "The organization's towns", "Every town the organization owns. Each town is an MCP server of "
	 "its own at /api/towns/<town>/mcp, where your role in that town decides what you may do.", "GET", O "/towns",
	 NULL, NULL, MCP_ORG},
	{"fleet", "Fleet", "The organization's figures per town, person, rig and team: spend, work done, quality.",
	 "GET", O "/fleet", NULL, &fleet_query, MCP_ORG},
	{"gt_prime", "Prime", "Your assignment: the bead on your hook, its rig, and your instructions.", "GET",
	 SELF "/prime", NULL, NULL, MCP_AGENT},
	{"gt_status", "Post status", "Set your status bubble: one short line on what you are doing.", "POST",
	 SELF "/status", &agent_status_body, NULL, MCP_AGENT},
	{"gt_note", "Leave a note", "Leave a note on a repository path (a file, or a directory ending in '/') for"
	 " whoever works there next: what you learned, a trap, a decision.", "POST", SELF "/notes", &note_body, NULL,
	 MCP_AGENT},
	{"gt_search", "Search the agent log", "What the town's agents did before you, and its beads and notes: q is an"
	 " FTS5 query (words, \"a phrase\", prefix*, OR, NOT), path a prefix (who last touched src/payments/). Newest"
	 " first; each result has its agent, bead and the words around the hits.", "GET", T "/search", NULL,
	 &search_query, MCP_AGENT},
	{"gt_done", "Report done", "Report the bead on your hook done, with the branch your work is on.", "POST",
	 SELF "/done", &agent_done_body, NULL, MCP_AGENT},
	{"gt_mail_check", "Check mail", "Your inbox.", "GET", SELF "/mail", NULL, &inbox_query, MCP_AGENT},
	{"gt_mail_send", "Send mail", "Send mail to another agent of the town.", "POST", SELF "/mail",
	 &mail_send_body, NULL, MCP_AGENT},
	{"mayor_reply", "Reply to the member", "Answer the member whose message you are answering: your whole"
	 " reply, once (partial=true sends a piece of it while you write).", "POST", SELF "/replies", &mayor_reply_body,
	 NULL, MCP_MAYOR},
	{"gt_review_reply", "Reply to the reviewer", "Working on a review comment's bead: answer in its thread on the"
	 " pull request (what you changed, or the answer to the question).", "POST", SELF "/review/reply", &review_reply_body,
	 NULL, MCP_AGENT},
	{"gt_review_resolve", "Resolve the review thread", "Working on a review comment's bead: mark its thread on the"
	 " pull request resolved once it is addressed.", "POST", SELF "/review/resolve", &review_resolve_body, NULL, MCP_AGENT},
	{"gt_escalate", "Escalate", "Ask the humans for help: an escalation with a severity.", "POST",
	 SELF "/escalations", &escalation_raise_body, NULL, MCP_AGENT},
};
const size_t mcp_tools_n = sizeof mcp_tools / sizeof mcp_tools[0];

const struct mcp_tool *mcp_tool_named(const char *name)
{
	for (size_t i = 0; i < mcp_tools_n; i++)
		if (strcmp(mcp_tools[i].name, name) == 0)
			return &mcp_tools[i];
	return NULL;
}

/* Each "{name}" of the path but {town} and {self}, which the call fills, in order. */
int mcp_tool_path_args(const struct mcp_tool *t, char names[][32], int max)
{
	int n = 0;

	for (const char *p = strchr(t->path, '{'); p && n < max; p = strchr(p + 1, '{')) {
		const char *end = strchr(p, '}');
		size_t len = end ? (size_t)(end - p - 1) : 0;

		if (!end || len == 0 || len >= sizeof names[0])
			break;
		if (len == 4 && (strncmp(p + 1, "town", 4) == 0 || strncmp(p + 1, "self", 4) == 0))
			continue;
		if (len == 3 && strncmp(p + 1, "org", 3) == 0)
			continue;
		memcpy(names[n], p + 1, len);
		names[n++][len] = '\0';
	}
	return n;
}

cJSON *mcp_tool_schema(const struct mcp_tool *t)
{
	cJSON *schema = t->body ? fields_schema(t->body) : fields_schema(NULL), *props, *req;
	char names[4][32];
	int n = mcp_tool_path_args(t, names, 4);

	if (!schema)
		return NULL;
	props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	req = cJSON_GetObjectItemCaseSensitive(schema, "required");
	if (n > 0 && !req)
		req = cJSON_AddArrayToObject(schema, "required");
	for (int i = 0; i < n; i++) {
		cJSON *p = cJSON_CreateObject();

		cJSON_AddStringToObject(p, "type", "string");
		cJSON_AddNumberToObject(p, "minLength", 1);
		cJSON_AddItemToObject(props, names[i], p);
		cJSON_AddItemToArray(req, cJSON_CreateString(names[i]));
	}
	for (size_t i = 0; t->query && i < t->query->n; i++)
		cJSON_AddItemToObject(props, t->query->rule[i].name, fields_rule_schema(&t->query->rule[i]));
	/* Arguments the tool does not know are refused, not ignored: a model's typo should surface. */
	cJSON_AddBoolToObject(schema, "additionalProperties", 0);
	return schema;
}
