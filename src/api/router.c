/*
 * route.c - the route table and the dispatcher. Preconditions (the object kind serving a path, test
 * hooks, operator auth, body size) are checked here, once, before any handler runs. The worker kind
 * answers what needs no state and forwards the rest to the Durable Object that owns it; which object
 * that is, is decided here too, so the JavaScript shim holds no routing rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* Routes under /_internal/ are for other objects' effects: the worker forwards only /api/ paths,
 * so a client can never reach them. */

static const struct route routes[] = {
	{ENG_WORKER, "GET", "/health", api_health_get, 0, NULL},
	{ENG_WORKER, "GET", "/api/me", api_me_get, R_USER, NULL},
	{ENG_WORKER, "GET", "/.well-known/oauth-protected-resource/api/towns/:town/mcp", api_mcp_resource_metadata, 0, NULL},
	{ENG_WORKER, "GET", "/.well-known/oauth-protected-resource/api/orgs/:org/mcp", api_mcp_resource_metadata, 0, NULL},
	{ENG_WORKER, "GET", "/api/me/towns", api_me_forward, R_USER, NULL},
	{ENG_WORKER, "GET", "/api/towns", api_me_forward, R_USER, NULL},
	{ENG_WORKER, "GET", "/api/orgs", api_me_forward, R_USER, NULL},
	/* The platform's figures across towns: one object, the StatsDO "platform". */
	{ENG_WORKER, "GET", "/api/stats", api_platform_forward, R_USER, NULL},
	{ENG_WORKER, "GET", "/api/stats/recommend", api_platform_forward, R_USER, NULL},
	{ENG_WORKER, "GET", "/api/stats/debug/storage", api_platform_forward, R_OPERATOR, NULL},
	/* The registry of formulas and agent configs: one object, the RegistryDO "platform". */
	{ENG_WORKER, "GET", "/api/registry", api_registry_forward, R_USER, NULL},
	{ENG_WORKER, "GET", "/api/registry/:name", api_registry_forward, R_USER, NULL},
	{ENG_WORKER, "GET", "/api/registry/:name/:version", api_registry_forward, R_USER, NULL},
	{ENG_REGISTRY, "GET", "/api/registry", registry_search, R_USER, NULL},
	{ENG_REGISTRY, "GET", "/api/registry/:name", registry_package, R_USER, NULL},
	{ENG_REGISTRY, "GET", "/api/registry/:name/:version", registry_version, R_USER, NULL},
	{ENG_REGISTRY, "POST", "/_internal/orgs/:org/publish", registry_publish, 0, NULL},
	{ENG_REGISTRY, "POST", "/_internal/orgs/:org/packages/:name/:version/deprecation", registry_deprecate, 0, &registry_deprecation_body},
	{ENG_REGISTRY, "DELETE", "/_internal/orgs/:org/packages/:name/:version/deprecation", registry_deprecate, 0, NULL},
	{ENG_REGISTRY, "GET", "/_internal/packages/:name/:version", registry_version, 0, NULL},
	{ENG_REGISTRY, "POST", "/_internal/outcomes", registry_outcome, 0, &registry_outcome_body},
	{ENG_REGISTRY, "GET", "/_internal/debug/storage", api_debug_storage, R_OPERATOR, NULL},
	{ENG_STATS, "GET", "/api/stats", api_platform_stats, R_USER, NULL},
	{ENG_STATS, "GET", "/api/stats/recommend", api_platform_recommend, R_USER, NULL},
	{ENG_STATS, "PUT", "/_internal/reports/:town", platform_take_report, 0, &platform_report_body},
	{ENG_STATS, "GET", "/api/stats/debug/storage", api_debug_storage, R_OPERATOR, NULL},
	{ENG_USER, "GET", "/api/towns", api_user_towns, R_USER, NULL},
	{ENG_USER, "GET", "/api/orgs", api_user_orgs, R_USER, NULL},
	{ENG_USER, "PUT", "/_internal/orgs/:org", api_internal_user_org_put, 0, &registry_org_body},
	{ENG_USER, "DELETE", "/_internal/orgs/:org", api_internal_user_org_delete, 0, NULL},
	{ENG_USER, "GET", "/api/me/towns", api_user_towns, R_USER, NULL},
	{ENG_USER, "PUT", "/_internal/towns/:town", api_internal_user_town_put, 0, &registry_town_body},
	{ENG_USER, "DELETE", "/_internal/towns/:town", api_internal_user_town_delete, 0, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town", api_town_create, R_USER, &town_create_body},
	{ENG_TOWN, "GET", "/api/towns/:town", api_town_get, R_USER, NULL},
	{ENG_TOWN, "PATCH", "/api/towns/:town", api_town_update, R_USER, &town_update_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town", api_town_delete, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/settings", api_town_settings_get, R_USER, NULL},
	{ENG_TOWN, "PATCH", "/api/towns/:town/settings", api_town_update, R_USER, &town_update_body},
	{ENG_ORG, "POST", "/api/orgs/:org", api_org_create, R_USER, &org_name_body},
	{ENG_ORG, "GET", "/api/orgs/:org", api_org_get, R_USER, NULL},
	{ENG_ORG, "PATCH", "/api/orgs/:org", api_org_update, R_USER, &org_update_body},
	{ENG_ORG, "GET", "/api/orgs/:org/towns", api_org_towns, R_USER, NULL},
	{ENG_ORG, "POST", "/api/orgs/:org/towns/:town", api_org_town_create, R_USER, &org_name_body},
	{ENG_TOWN, "POST", "/_internal/create", town_create_for_org, 0, &town_create_for_org_body},
	{ENG_ORG, "DELETE", "/_internal/towns/:town", org_town_forget, 0, NULL},
	{ENG_ORG, "PUT", "/_internal/fleet/:town", fleet_take_report, 0, &fleet_report_body},
	{ENG_ORG, "GET", "/api/orgs/:org/fleet", api_org_fleet, R_USER, NULL},
	{ENG_ORG, "PUT", "/api/orgs/:org/teams/:user", api_org_team_put, R_USER, &org_team_body},
	{ENG_TOWN, "PUT", "/_internal/org-members", town_apply_org_members, 0, &town_org_members_body},
	{ENG_ORG, "GET", "/api/orgs/:org/members", api_members_list, R_USER, NULL},
	{ENG_ORG, "POST", "/api/orgs/:org/registry", api_registry_publish, R_USER | R_OWN_BODY, NULL},
	{ENG_ORG, "POST", "/api/orgs/:org/registry/:name/:version/deprecation", api_registry_deprecate, R_USER, &registry_deprecation_body},
	{ENG_ORG, "DELETE", "/api/orgs/:org/registry/:name/:version/deprecation", api_registry_deprecate, R_USER, NULL},
	{ENG_ORG, "PUT", "/api/orgs/:org/members/:user", api_member_put, R_USER, &member_put_body},
	{ENG_ORG, "DELETE", "/api/orgs/:org/members/:user", api_member_delete, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/rigs", api_rig_create, R_USER, &rig_create_body},
	{ENG_TOWN, "GET", "/api/towns/:town/rigs", api_rig_list, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/rigs/:rig", api_rig_get, R_USER, NULL},
	{ENG_TOWN, "PATCH", "/api/towns/:town/rigs/:rig", api_rig_update, R_USER, &rig_update_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/rigs/:rig", api_rig_delete, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/personas", api_persona_create, R_USER, &persona_create_body},
	{ENG_TOWN, "GET", "/api/towns/:town/personas", api_persona_list, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/personas/:persona", api_persona_get, R_ANY, NULL},
	{ENG_TOWN, "PATCH", "/api/towns/:town/personas/:persona", api_persona_update, R_USER, &persona_update_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/personas/:persona", api_persona_delete, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/mayor/messages", api_mayor_message, R_USER, &mayor_message_body},
	{ENG_TOWN, "GET", "/api/towns/:town/mayor/messages", api_mayor_conversation, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/replies", api_mayor_reply, R_AGENT, &mayor_reply_body},
	{ENG_TOWN, "POST", "/api/towns/:town/agents", api_agent_create, R_USER, &agent_create_body},
	{ENG_TOWN, "GET", "/api/towns/:town/agents", api_agent_list, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/crew", api_crew_join, R_USER, &crew_join_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/crew/:agent", api_crew_leave, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/agents/:agent", api_agent_get, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/hook", api_agent_hook, R_USER, &agent_hook_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/agents/:agent/hook", api_agent_unhook, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/token", api_agent_token, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/token/refresh", api_agent_token_refresh, R_AGENT_GRACE, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/token/revoke", api_agent_token_revoke, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/heartbeat", api_agent_heartbeat, R_AGENT, &agent_heartbeat_body},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/status", api_agent_status, R_AGENT, &agent_status_body},
	{ENG_TOWN, "GET", "/api/towns/:town/agents/:agent/prime", api_agent_prime, R_AGENT, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/notes", api_agent_note_add, R_AGENT, &note_body},
	{ENG_TOWN, "POST", "/api/towns/:town/notes", api_note_add, R_USER, &note_body},
	{ENG_TOWN, "GET", "/api/towns/:town/notes", api_notes_list, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/history", api_path_history, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/usage", api_agent_usage, R_AGENT, &agent_usage_body},
	{ENG_TOWN, "GET", "/api/towns/:town/costs", api_costs_get, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/prices", api_prices_list, R_USER, NULL},
	{ENG_TOWN, "PUT", "/api/towns/:town/prices/:model", api_price_put, R_USER, &price_put_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/prices/:model", api_price_delete, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/budgets", api_budgets_list, R_USER, NULL},
	{ENG_TOWN, "PUT", "/api/towns/:town/budgets/:scope/:key", api_budget_put, R_USER, &budget_put_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/budgets/:scope/:key", api_budget_delete, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/done", api_agent_done, R_AGENT, &agent_done_body},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/completed", api_agent_completed, R_AGENT, &agent_completed_body},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/events", api_agent_events, R_AGENT, &agent_events_body},
	{ENG_TOWN, "GET", "/api/towns/:town/agents/:agent/events", api_agent_events_list, R_USER, NULL},
	/* The agent log is the town's AgentLogDO's: the town lets the caller in and passes the request
	 * on (log_routes.c), the log object reads the body (the same table). */
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/log", api_agent_log_add, R_AGENT, &log_batch_body},
	{ENG_TOWN, "GET", "/api/towns/:town/agents/:agent/log", api_agent_log, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/search", api_town_search, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/installs", api_installs_list, R_ANY, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/installs", api_install, R_USER, &install_body},
	{ENG_TOWN, "GET", "/api/towns/:town/installs/:name", api_install_get, R_ANY, NULL},
	{ENG_TOWN, "DELETE", "/api/towns/:town/installs/:name", api_install_remove, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/formulas/:name/runs", api_formula_run, R_ANY, &formula_run_body},
	/* Local Gas Town's beads in and out as bd's JSONL (docs/import-export.md). */
	{ENG_TOWN, "POST", "/api/towns/:town/import", beads_jsonl_import, R_USER | R_OWN_BODY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/export", beads_jsonl_export, R_USER, NULL},
	/* The town in the Wasteland: its DoltHub database and the sync (docs/wasteland.md). */
	{ENG_TOWN, "GET", "/api/towns/:town/wasteland", api_wasteland_get, R_USER, NULL},
	{ENG_TOWN, "PUT", "/api/towns/:town/wasteland", api_wasteland_put, R_USER, &wasteland_put_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/wasteland", api_wasteland_delete, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/wasteland/sync", api_wasteland_sync, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/wasteland/wanted", api_wasteland_wanted, R_ANY, NULL},
	/* A full sync's own object asks its town for pages and says how far it got (dolt_sync.c). */
	{ENG_TOWN, "POST", "/_internal/wasteland/full/:sync", api_wasteland_full, 0, &wasteland_full_body},
	{ENG_SYNC, "POST", "/_internal/sync", api_dolt_sync_start, 0, &dolt_sync_start_body},
	{ENG_SYNC, "DELETE", "/_internal/sync", api_dolt_sync_stop, 0, NULL},
	{ENG_SYNC, "GET", "/_internal/sync", api_dolt_sync_get, 0, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/wasteland/wanted/:poster/claim", api_wasteland_claim, R_ANY, &wasteland_claim_body},
	{ENG_LOG, "POST", "/_internal/agents/:agent/log", log_ingest, 0, &log_batch_body},
	{ENG_LOG, "GET", "/_internal/agents/:agent/log", log_list, 0, NULL},
	{ENG_LOG, "GET", "/_internal/search", log_search, 0, NULL},
	{ENG_LOG, "DELETE", "/_internal/log", log_wipe, 0, NULL},
	{ENG_LOG, "POST", "/_internal/index", log_index_take, 0, &log_index_body},
	{ENG_LOG, "GET", "/_internal/debug/storage", api_debug_storage, R_OPERATOR, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/agents/:agent/terminal", api_agent_terminal, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/mail", api_agent_mail_send, R_AGENT, &mail_send_body},
	{ENG_TOWN, "GET", "/api/towns/:town/agents/:agent/mail", api_agent_inbox, R_AGENT, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/mail/:mail/read", api_agent_mail_read, R_AGENT, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/escalations", api_agent_escalation_raise, R_AGENT, &escalation_raise_body},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/review/reply", api_review_reply, R_AGENT, &review_reply_body},
	{ENG_TOWN, "POST", "/api/towns/:town/agents/:agent/review/resolve", api_review_resolve, R_AGENT, &review_resolve_body},
	{ENG_TOWN, "POST", "/api/towns/:town/convoys", api_convoy_create, R_ANY, &convoy_create_body},
	{ENG_TOWN, "GET", "/api/towns/:town/convoys", api_convoy_list, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/convoys/:convoy", api_convoy_get, R_ANY, NULL},
	{ENG_TOWN, "PATCH", "/api/towns/:town/convoys/:convoy", api_convoy_update, R_ANY, &convoy_update_body},
	{ENG_TOWN, "POST", "/api/towns/:town/convoys/:convoy/sling", api_convoy_sling, R_ANY, &sling_body},
	{ENG_TOWN, "POST", "/api/towns/:town/mail", api_mail_send, R_USER, &mail_send_body},
	{ENG_TOWN, "GET", "/api/towns/:town/mail", api_mail_list, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/escalations", api_escalation_raise, R_USER, &escalation_raise_body},
	{ENG_TOWN, "GET", "/api/towns/:town/escalations", api_escalation_list, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/escalations/:escalation/ack", api_escalation_ack, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/escalations/:escalation/resolve", api_escalation_resolve, R_USER, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/beads", api_bead_create, R_ANY, &bead_create_body},
	{ENG_TOWN, "GET", "/api/towns/:town/beads", api_bead_list, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/beads/:bead", api_bead_get, R_ANY, NULL},
	{ENG_TOWN, "PATCH", "/api/towns/:town/beads/:bead", api_bead_update, R_ANY, &bead_update_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/beads/:bead", api_bead_delete, R_ANY, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/beads/:bead/close", api_bead_close, R_ANY, &bead_close_body},
	{ENG_TOWN, "POST", "/api/towns/:town/beads/:bead/sling", api_bead_sling, R_ANY, &sling_body},
	{ENG_TOWN, "GET", "/api/towns/:town/beads/:bead/attempts", api_bead_attempts, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/beads/:bead/recommend", api_bead_recommend, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/stats", api_stats, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/agents/:agent/record", api_agent_record, R_ANY, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/beads/:bead/deps", api_bead_dep_add, R_ANY, &bead_dep_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/beads/:bead/deps/:dep", api_bead_dep_delete, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/beads/:bead/events", api_events_list, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/beads/:bead/diff", api_bead_diff, R_ANY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/events", api_events_list, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/members", api_members_list, R_USER, NULL},
	{ENG_TOWN, "PUT", "/api/towns/:town/members/:user", api_member_put, R_USER, &member_put_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/members/:user", api_member_delete, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/debug/storage", api_debug_storage, R_OPERATOR, NULL},
	{ENG_ORG, "GET", "/api/orgs/:org/debug/storage", api_debug_storage, R_OPERATOR, NULL},
	{ENG_TOWN, "PUT", "/api/towns/:town/_test/kv/:key", api_test_kv_put, R_TEST, &test_kv_put_body},
	{ENG_TOWN, "GET", "/api/towns/:town/_test/kv/:key", api_test_kv_get, R_TEST, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/kv-bulk", api_test_kv_bulk, R_TEST, &test_kv_bulk_body},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/trap", api_test_trap, R_TEST, &test_trap_body},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/alarms", api_test_alarm_set, R_TEST, &test_alarm_body},
	{ENG_TOWN, "GET", "/api/towns/:town/_test/alarms/:key", api_test_alarm_get, R_TEST, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/effects", api_test_effect_start, R_TEST, &test_effect_body},
	{ENG_TOWN, "GET", "/api/towns/:town/_test/effects/:id", api_test_effect_get, R_TEST, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/_test/ws", api_test_ws_echo, R_TEST, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/beads-bulk", api_test_beads_bulk, R_TEST, &test_beads_bulk_body},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/reconciler-seed", api_test_reconciler_seed, R_TEST, &test_seed_body},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/outcomes-seed", api_test_outcomes_seed, R_TEST, &test_outcomes_seed_body},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/tick", api_test_tick, R_TEST, NULL},
	{ENG_TOWN, "POST", "/api/towns/:town/_test/stats-report", api_test_stats_report, R_TEST, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/ws", api_town_ws, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/integrations", api_integrations_get, R_USER, NULL},
	{ENG_TOWN, "PUT", "/api/towns/:town/integrations/:platform", api_integration_put, R_USER, &integration_put_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/integrations/:platform", api_integration_delete, R_USER, NULL},
	{ENG_TOWN, "PUT", "/api/towns/:town/integrations/:platform/logins/:login", api_integration_login_put, R_USER, &integration_login_body},
	{ENG_TOWN, "DELETE", "/api/towns/:town/integrations/:platform/logins/:login", api_integration_login_delete, R_USER, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/integrations/:platform/deliveries/:delivery", api_hook_delivery_get, R_USER, NULL},
	/* The platforms sign their deliveries: the handler checks the signature, no bearer is asked. */
	{ENG_TOWN, "POST", "/api/towns/:town/hooks/:platform", api_hook_post, R_OWN_BODY, NULL},
	/* MCP authenticates in its handler: a refusal there also says where to sign in. */
	{ENG_TOWN, "POST", "/api/towns/:town/mcp", api_mcp_post, R_OWN_BODY, NULL},
	{ENG_TOWN, "GET", "/api/towns/:town/mcp", api_mcp_other, 0, NULL},
	{ENG_TOWN, "DELETE", "/api/towns/:town/mcp", api_mcp_other, 0, NULL},
	{ENG_ORG, "POST", "/api/orgs/:org/mcp", api_mcp_post, R_OWN_BODY, NULL},
	{ENG_ORG, "GET", "/api/orgs/:org/mcp", api_mcp_other, 0, NULL},
	{ENG_ORG, "DELETE", "/api/orgs/:org/mcp", api_mcp_other, 0, NULL},
};

size_t route_count(void)
{
	return sizeof routes / sizeof routes[0];
}

const struct route *route_at(size_t i)
{
	return i < route_count() ? &routes[i] : NULL;
}

/* Which object kind owns a path prefix: /api/<collection>/<id>/... */
static const struct {
	const char *collection;
	enum eng_kind kind;
	const char *kind_name;
	const char *id_field;
} owners[] = {
	{"towns", ENG_TOWN, "town", "town_id"},
	{"orgs", ENG_ORG, "org", "org_id"},
};

static int hex(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	     : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Decode %XX escapes of one segment in place (ids such as "auth0|42" arrive as "auth0%7C42").
 * An escape of '/' or NUL, or a broken escape, makes the path unusable: -1. Otherwise 1 when the
 * result has a byte outside ASCII (it must then be checked as UTF-8), 0 when it has none. */
static int percent_decode(char *s)
{
	char *out = s;
	unsigned char any = 0;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = hex(s[1]), lo = hi < 0 ? -1 : hex(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0) || (hi == 2 && lo == 15))
				return -1;
			*out = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*out = *s;
		}
		any |= (unsigned char)*out++;
	}
	*out = '\0';
	return any >= 0x80;
}

/* Split c->path into segments (at most 8, each non-empty, percent-decoded) in c->segbuf. */
static int split_path(struct call *c)
{
	size_t n = strlen(c->path);
	int high = 0;
	char *p;

	if (c->path[0] != '/' || n >= sizeof c->segbuf)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "no such route");
	memcpy(c->segbuf, c->path + 1, n);
	c->nseg = 0;
	for (p = c->segbuf; *p;) {
		char *slash = strchr(p, '/');

		if (c->nseg == (int)(sizeof c->seg / sizeof c->seg[0]))
			return err_set(&c->err, ERR_NOT_FOUND, NULL, "no such route");
		if (slash)
			*slash = '\0';
		if (*p && (high = percent_decode(p)) < 0)
			return err_set(&c->err, ERR_INVALID, "path", "the path has a broken %%-escape");
		if (*p) {
			size_t len = strlen(p);

			/* Segments become names that are stored and quoted in answers. */
			if (high && utf8_check(p, len) != len)
				return err_set(&c->err, ERR_INVALID, "path", "the path is not valid UTF-8 once %%-decoded");
			c->seglen[c->nseg] = (unsigned short)len;
			c->seg[c->nseg++] = p;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

/* A route's pattern split once: where each segment is in the pattern, how long, and whether it
 * is a ":name" that matches anything. */
#define ROUTE_SEG_MAX 8
struct route_seg {
	unsigned short off, len;
	unsigned char param;
};
#define ROUTE_KINDS ENG_KINDS
struct route_index {
	size_t n;
	/* The routes of each kind and segment count, in table order (the first match wins):
	 * order[first[k][s] .. first[k][s + 1]). A path of another length meets none of the rest. */
	unsigned short first[ROUTE_KINDS][ROUTE_SEG_MAX + 2];
	unsigned short *order;
	struct route_split {
		unsigned char nseg;
		struct route_seg seg[ROUTE_SEG_MAX];
	} r[];
};

struct route_index *route_index_new(void)
{
	size_t n = route_count();
	struct route_index *ix = calloc(1, sizeof *ix + n * sizeof ix->r[0]);

	if (!ix)
		return NULL;
	ix->n = n;
	for (size_t i = 0; i < n; i++) {
		const char *pat = routes[i].pattern, *p = pat + 1;
		struct route_split *rs = &ix->r[i];

		while (*p && rs->nseg < ROUTE_SEG_MAX) {
			size_t len = strcspn(p, "/");

			rs->seg[rs->nseg++] = (struct route_seg){(unsigned short)(p - pat), (unsigned short)len, p[0] == ':'};
			p += len;
			if (*p == '/')
				p++;
		}
		if (*p)
			rs->nseg = ROUTE_SEG_MAX + 1; /* longer than any path split_path keeps: never matches */
	}
	if (!(ix->order = malloc(n * sizeof *ix->order))) {
		free(ix);
		return NULL;
	}
	{
		size_t k = 0;

		for (int kind = 0; kind < ROUTE_KINDS; kind++)
			for (int ns = 0; ns <= ROUTE_SEG_MAX + 1; ns++) {
				ix->first[kind][ns] = (unsigned short)k;
				for (size_t i = 0; i < n; i++)
					if ((int)routes[i].kind == kind && ix->r[i].nseg == ns)
						ix->order[k++] = (unsigned short)i;
			}
	}
	return ix;
}

void route_index_free(struct route_index *ix)
{
	if (ix)
		free(ix->order);
	free(ix);
}

/* From the last segment back: the literals that tell routes apart come late ("…/beads/:bead/sling"). */
static int pattern_matches(const struct route *r, const struct route_split *rs, const struct call *c)
{
	if (rs->nseg != c->nseg)
		return 0;
	for (int i = c->nseg - 1; i >= 0; i--) {
		const struct route_seg *s = &rs->seg[i];

		if (!s->param && (s->len != c->seglen[i] || memcmp(r->pattern + s->off, c->seg[i], s->len) != 0))
			return 0;
	}
	return 1;
}

/* The worker decides which object serves the request: 1 forwarded, 0 not a forwarded path (the
 * worker's own routes apply), -1 error (a bad id). */
static int forward_or_answer(struct call *c)
{
	if (c->nseg >= 2 && strcmp(c->seg[0], "api") == 0) {
		for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
			if (strcmp(c->seg[1], owners[i].collection) != 0)
				continue;
			if (c->nseg < 3)
				return 0; /* /api/towns, /api/orgs: the worker's own routes */
			if (!id_valid(c->seg[2]))
				return err_set(&c->err, ERR_INVALID, owners[i].id_field,
					       "'%s' is not a valid id (1-64 of a-z A-Z 0-9 _ -, not starting with -)",
					       owners[i].id_field);
			c->forward = cJSON_CreateObject();
			cJSON_AddStringToObject(c->forward, "kind", owners[i].kind_name);
			cJSON_AddStringToObject(c->forward, "id", c->seg[2]);
			call_reply(c, 200, NULL);
			return 1;
		}
	}
	return 0;
}

int route_dispatch(struct call *c)
{
	const cJSON *tl = cJSON_GetObjectItemCaseSensitive(c->meta, "body_too_large");
	const struct route *found = NULL;
	int path_known = 0;

	if (json_string(c->meta, "method", 1, 16, &c->method, &c->err) < 0 ||
	    json_string(c->meta, "path", 1, sizeof c->segbuf - 1, &c->path, &c->err) < 0)
		return -1;
	if (split_path(c) < 0)
		return -1;
	if (c->cfg->kind == ENG_WORKER) {
		int fw = forward_or_answer(c);
		if (fw != 0)
			return fw < 0 ? -1 : 0;
	}
	const struct route_index *ix = c->routes;
	const unsigned short *bucket = ix->first[c->cfg->kind];
	for (size_t k = bucket[c->nseg]; k < bucket[c->nseg + 1]; k++) {
		size_t i = ix->order[k];
		const struct route *r = &routes[i];

		if (!pattern_matches(r, &ix->r[i], c))
			continue;
		if ((r->flags & R_TEST) && !c->cfg->test_hooks)
			continue;
		path_known = 1;
		if (strcmp(r->method, c->method) == 0) {
			found = r;
			break;
		}
	}
	if (!found)
		return path_known ? err_set(&c->err, ERR_METHOD, NULL, "%s is not allowed on %s",
					    c->method, c->path)
				  : err_set(&c->err, ERR_NOT_FOUND, NULL, "no such route: %s %s",
					    c->method, c->path);
	/* A Durable Object serves exactly one id; a mismatch is a host routing bug, not a user's. The
	 * StatsDO and the RegistryDO are the one object of their kind: their paths name no id. */
	if (c->cfg->object_id && c->nseg >= 3 && strcmp(c->seg[0], "api") == 0 && strcmp(c->seg[1], "me") != 0 &&
	    c->cfg->kind != ENG_STATS && c->cfg->kind != ENG_REGISTRY && strcmp(c->seg[2], c->cfg->object_id) != 0)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "no such object here");
	if (cJSON_IsTrue(tl) || c->in->body_len > ENG_BODY_LIMIT)
		return err_set(&c->err, ERR_TOO_LARGE, NULL, "the body is larger than %d bytes",
			       ENG_BODY_LIMIT);
	if ((found->flags & R_OPERATOR) && auth_operator(c) < 0)
		return -1;
	if ((found->flags & R_USER) && auth_user(c) < 0)
		return -1;
	if ((found->flags & R_ANY) && auth_person_or_agent(c) < 0)
		return -1;
	if ((found->flags & (R_AGENT | R_AGENT_GRACE)) &&
	    auth_agent(c, (found->flags & R_AGENT_GRACE) ? AGENT_TOKEN_GRACE_S : 60) < 0)
		return -1;
	c->fields = found->body;
	return idempotent_route(c, found->handler);
}

int route_call(struct call *c, const char *method, const char *path, const char *query, cJSON *body,
	       struct route_answer *out)
{
	/* The parts of the call route_dispatch and the handler overwrite, kept to be put back. */
	struct {
		cJSON *meta, *body, *data;
		const char *method, *path;
		const char *seg[8];
		unsigned short seglen[8];
		int nseg, status;
		const struct fields *fields;
	} saved = {c->meta, c->body, c->data, c->method, c->path, {0}, {0}, c->nseg, c->status, c->fields};
	char segbuf[sizeof c->segbuf];
	const cJSON *headers = cJSON_GetObjectItemCaseSensitive(c->meta, "headers");
	struct call_mark mark;
	cJSON *meta = cJSON_CreateObject();
	int rc;

	memset(out, 0, sizeof *out);
	memcpy(saved.seg, c->seg, sizeof saved.seg);
	memcpy(saved.seglen, c->seglen, sizeof saved.seglen);
	memcpy(segbuf, c->segbuf, sizeof segbuf);
	if (!meta || !cJSON_AddStringToObject(meta, "method", method) || !cJSON_AddStringToObject(meta, "path", path) ||
	    (query && !cJSON_AddStringToObject(meta, "query", query)) ||
	    (headers && !cJSON_AddItemReferenceToObject(meta, "headers", (cJSON *)headers))) {
		cJSON_Delete(meta);
		cJSON_Delete(body);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	if (db_run(c->db, "SAVEPOINT route_call", &c->err) < 0) {
		cJSON_Delete(meta);
		cJSON_Delete(body);
		return -1;
	}
	call_mark(c, &mark);
	c->meta = meta;
	c->body = body;
	c->data = NULL;
	c->status = 0;
	/* The caller was verified by this call already: the route only checks it fits. */
	c->who_verified = 1;
	rc = route_dispatch(c);
	c->who_verified = 0;
	if (rc < 0 || c->err.code != ERR_NONE) {
		enum err_code code = c->err.code;

		if ((rc = call_undo_to(c, "ROLLBACK TO route_call", &mark, &out->err)) == 0)
			out->status = err_http_status(code);
	} else {
		out->status = c->status ? c->status : 200;
		out->data = c->data;
		c->data = NULL;
		rc = 0;
	}
	if (rc == 0 && db_run(c->db, "RELEASE route_call", &c->err) < 0)
		rc = -1;
	cJSON_Delete(c->meta);
	cJSON_Delete(c->body);
	cJSON_Delete(c->data);
	c->meta = saved.meta;
	c->body = saved.body;
	c->data = saved.data;
	c->method = saved.method;
	c->path = saved.path;
	memcpy(c->seg, saved.seg, sizeof saved.seg);
	memcpy(c->seglen, saved.seglen, sizeof saved.seglen);
	memcpy(c->segbuf, segbuf, sizeof segbuf);
	c->nseg = saved.nseg;
	c->status = saved.status;
	c->fields = saved.fields;
	if (rc < 0) {
		cJSON_Delete(out->data);
		out->data = NULL;
	}
	return rc;
}
