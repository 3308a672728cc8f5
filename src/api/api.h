/*
 * api/api.h - the HTTP surface: the route table and every handler, each `int api_<resource>_<verb>(struct
 * call *c)`. The top layer: it may use every layer below.
 */
#ifndef GASTOWN_API_H
#define GASTOWN_API_H

#include "test/test.h"

/* ---- route.c ---------------------------------------------------------------------------------- */

#define R_TEST 1         /* only with test hooks enabled (integration tests, bench) */
#define R_OPERATOR 2     /* requires the operator's bearer token */
#define R_USER 4         /* requires a signed-in human (bearer JWT) */
#define R_AGENT 8        /* requires the agent in the path, with a token this town minted */
#define R_AGENT_GRACE 16 /* the same, accepting a recently expired token (refresh) */
#define R_ANY 32         /* a person or any agent of this town */
#define R_OWN_BODY 64   /* the body is another protocol's message (MCP's JSON-RPC), read by the handler */

struct route {
	enum eng_kind kind;
	const char *method;
	const char *pattern; /* segments; ":name" matches one segment */
	int (*handler)(struct call *c);
	int flags;
	const struct fields *body; /* the body's fields (the handler reads them with call_fields), or NULL */
};

/* The route table pre-split into segments, made once per engine (route_dispatch matches against
 * it without scanning pattern strings). NULL on OOM; route_index_free takes NULL. */
struct route_index *route_index_new(void);
void route_index_free(struct route_index *ix);
/* The route table, for tests and documentation checks. */
size_t route_count(void);
const struct route *route_at(size_t i);
/* Dispatch a request to its handler (or forward it, for ENG_WORKER). -1 with c->err set on error. */
int route_dispatch(struct call *c);

/* What one route answered when run inside another call (route_call). */
struct route_answer {
	int status;      /* the HTTP status it would have answered */
	cJSON *data;     /* its data on success (owned by the caller), else NULL */
	struct err err;  /* its error, when status >= 400 */
};
/* Run the route for method, path (and query, without '?', or NULL) with body (taken: route_call deletes it; NULL for
 * none) as a request of its own inside this call, with this call's caller and headers: the same
 * authentication, roles, field checks and attribution as over HTTP. Its writes are undone when it
 * fails (a savepoint), and so are its effects and frames. 0 with *out filled, whatever the route
 * answered; -1 only when this call itself failed (storage, memory). */
int route_call(struct call *c, const char *method, const char *path, const char *query, cJSON *body,
	       struct route_answer *out);

/* ---- api_*.c: handlers, each `int api_<resource>_<verb>(struct call *c)` ----------------------- */
int api_health_get(struct call *c);
int api_wasteland_get(struct call *c);
int api_wasteland_put(struct call *c);
int api_wasteland_delete(struct call *c);
int api_wasteland_sync(struct call *c);
int api_wasteland_wanted(struct call *c);
int api_wasteland_claim(struct call *c);
extern const struct fields wasteland_claim_body;
extern const struct fields wasteland_put_body;
int api_wasteland_full(struct call *c);
extern const struct fields wasteland_full_body;
int api_dolt_sync_start(struct call *c);
int api_dolt_sync_stop(struct call *c);
int api_dolt_sync_get(struct call *c);
extern const struct fields dolt_sync_start_body;
int api_integrations_get(struct call *c);
int api_integration_put(struct call *c);
int api_integration_delete(struct call *c);
int api_integration_login_put(struct call *c);
int api_integration_login_delete(struct call *c);
int api_hook_post(struct call *c);
int api_hook_delivery_get(struct call *c);
int api_review_reply(struct call *c);
int api_review_resolve(struct call *c);
int api_me_get(struct call *c);
int api_org_create(struct call *c);
int api_org_town_create(struct call *c);
int api_org_towns(struct call *c);
int api_org_get(struct call *c);
int api_org_update(struct call *c);
int api_members_list(struct call *c);
int api_member_put(struct call *c);
int api_member_delete(struct call *c);
int api_town_create(struct call *c);
int api_town_get(struct call *c);
int api_town_update(struct call *c);
int api_town_delete(struct call *c);
int api_town_settings_get(struct call *c);
int api_me_forward(struct call *c);
int api_rig_create(struct call *c);
int api_rig_list(struct call *c);
int api_rig_get(struct call *c);
int api_rig_update(struct call *c);
int api_rig_delete(struct call *c);
int api_bead_attempts(struct call *c);
/* stats_routes.c: the town's stats, an agent's record, the variants to try for a bead. */
int api_stats(struct call *c);
int api_agent_record(struct call *c);
int api_bead_recommend(struct call *c);
int api_platform_forward(struct call *c);
/* note_routes.c: notes on repository paths. */
int api_note_add(struct call *c);
int api_agent_note_add(struct call *c);
int api_notes_list(struct call *c);
int api_path_history(struct call *c);
extern const struct fields note_body;
/* log_routes.c: the agent log, let in here and passed on to the town's AgentLogDO. */
int api_agent_log_add(struct call *c);
int api_agent_log(struct call *c);
int api_town_search(struct call *c);
/* registry_routes.c: the registry read (forwarded), published through an org, installed and run in a town. */
int api_registry_forward(struct call *c);
int api_registry_publish(struct call *c);
int api_registry_deprecate(struct call *c);
int api_installs_list(struct call *c);
int api_install(struct call *c);
int api_install_get(struct call *c);
int api_install_remove(struct call *c);
int api_formula_run(struct call *c);
extern const struct fields install_body;
extern const struct fields formula_run_body;
int api_platform_stats(struct call *c);
int api_platform_recommend(struct call *c);
int api_persona_create(struct call *c);
int api_persona_list(struct call *c);
int api_persona_get(struct call *c);
int api_persona_update(struct call *c);
int api_persona_delete(struct call *c);
int api_mayor_message(struct call *c);
int api_mayor_conversation(struct call *c);
int api_mayor_reply(struct call *c);
/* crew_routes.c: a member's machine joins (gt connect) and leaves (gt disconnect). */
extern const struct fields crew_join_body;
int api_crew_join(struct call *c);
int api_crew_leave(struct call *c);
int api_agent_create(struct call *c);
int api_agent_list(struct call *c);
int api_agent_get(struct call *c);
int api_agent_terminal(struct call *c);
int api_agent_hook(struct call *c);
int api_agent_unhook(struct call *c);
int api_agent_token(struct call *c);
int api_agent_token_refresh(struct call *c);
int api_agent_token_revoke(struct call *c);
int api_agent_heartbeat(struct call *c);
int api_agent_status(struct call *c);
int api_agent_prime(struct call *c);
int api_agent_done(struct call *c);
int api_agent_completed(struct call *c);
int api_agent_events(struct call *c);
int api_agent_events_list(struct call *c);
int api_bead_sling(struct call *c);
int api_agent_usage(struct call *c);
int api_costs_get(struct call *c);
int api_prices_list(struct call *c);
int api_price_put(struct call *c);
int api_price_delete(struct call *c);
int api_budgets_list(struct call *c);
int api_budget_put(struct call *c);
int api_budget_delete(struct call *c);
int api_convoy_sling(struct call *c);
int api_convoy_create(struct call *c);
int api_convoy_list(struct call *c);
int api_convoy_get(struct call *c);
int api_convoy_update(struct call *c);
int api_mail_send(struct call *c);
int api_mail_list(struct call *c);
int api_agent_mail_send(struct call *c);
int api_agent_inbox(struct call *c);
int api_agent_mail_read(struct call *c);
int api_escalation_raise(struct call *c);
int api_agent_escalation_raise(struct call *c);
int api_escalation_list(struct call *c);
int api_escalation_ack(struct call *c);
int api_escalation_resolve(struct call *c);
int api_bead_create(struct call *c);
int api_bead_get(struct call *c);
int api_bead_diff(struct call *c);
int api_bead_list(struct call *c);
int api_bead_update(struct call *c);
int api_bead_close(struct call *c);
int api_bead_delete(struct call *c);
int api_bead_dep_add(struct call *c);
int api_bead_dep_delete(struct call *c);
int api_events_list(struct call *c);
int api_user_towns(struct call *c);
int api_user_orgs(struct call *c);
int api_internal_user_org_put(struct call *c);
int api_internal_user_org_delete(struct call *c);
int api_internal_user_town_put(struct call *c);
int api_internal_user_town_delete(struct call *c);
int api_debug_storage(struct call *c);
int api_town_ws(struct call *c);

/* ---- the bodies of the routes above: each route's field table (router.c's `body`) ------------- */
extern const struct fields town_create_body, town_update_body, registry_town_body, registry_org_body;
extern const struct fields org_name_body, org_update_body, member_put_body;
extern const struct fields rig_create_body, rig_update_body, persona_create_body, persona_update_body;
extern const struct fields integration_put_body, integration_login_body, review_reply_body, review_resolve_body;
extern const struct fields bead_create_body, bead_update_body, bead_close_body, bead_dep_body;
extern const struct fields agent_create_body, agent_hook_body, agent_heartbeat_body, agent_status_body;
extern const struct fields agent_done_body, agent_completed_body, agent_events_body, sling_body;
extern const struct fields agent_usage_body, price_put_body, budget_put_body;
extern const struct fields convoy_create_body, convoy_update_body, mail_send_body, escalation_raise_body;
extern const struct fields mayor_message_body, mayor_reply_body;
/* ---- mcp.c, mcp_tools.c: the town's MCP server --------------------------------------------------- */

#define MCP_READ 1u  /* a member's tool that reads: a viewer's too */
#define MCP_WRITE 2u /* a member's tool that changes the town: member and above */
#define MCP_AGENT 4u /* an agent's own tool (its token) */
#define MCP_ORG 8u   /* an organization's tool, for any of its members (the org's own endpoint) */
#define MCP_MAYOR 16u /* the Mayor's: a town tool whose route takes an agent, or its reply */

struct mcp_tool {
	const char *name, *title, *description;
	const char *method;
	const char *path;            /* "{town}"/"{org}" the object, "{self}" the calling agent, "{x}" argument x */
	const struct fields *body;   /* the route's body: the arguments not in the path or the query */
	const struct fields *query;  /* arguments passed in the query string */
	unsigned who;                /* MCP_* */
};
extern const struct mcp_tool mcp_tools[];
extern const size_t mcp_tools_n;
const struct mcp_tool *mcp_tool_named(const char *name);
/* The names of the arguments that fill t's path (not {town}, {self}), at most max; their count. */
int mcp_tool_path_args(const struct mcp_tool *t, char names[][32], int max);
/* t's input schema (JSON Schema), or NULL when out of memory. */
cJSON *mcp_tool_schema(const struct mcp_tool *t);
/* POST /api/towns/:town/mcp and /api/orgs/:org/mcp: one JSON-RPC message. Other methods: 405. */
int api_mcp_post(struct call *c);
int api_mcp_other(struct call *c);
/* GET /.well-known/oauth-protected-resource/api/towns/:town/mcp (RFC 9728), on the worker. */
int api_mcp_resource_metadata(struct call *c);

/* idempotent.c: run a route's handler, or answer again what it answered to the same POST sent by the
 * same caller with the same Idempotency-Key within a day (docs/api.md, "Retries"). */
int idempotent_route(struct call *c, int (*handler)(struct call *c));
int idempotent_wipe(struct call *c);

#endif
