/*
 * wiring.c - the composition root: who is told of what. Each table is declared by the layer that
 * reads it (core/core.h, town/town.h, costs/costs.h, run/run.h) and defined here, the one file that
 * sees every layer, so a lower layer announces a change without calling up into those that react.
 * The order of a table is the order of the reactions: changing it changes behaviour.
 * A new capability subscribes here instead of editing the module that announces.
 */
#include "api/api.h"

/* ---- core: effect results, timers, sockets ------------------------------------------------------ */

const struct effect_purpose effect_purposes[] = {
	{"test", test_effect_done},
	{"registry", town_registry_done},
	{"org-town", org_town_created},
	{"org-members", org_members_pushed},
	{"container", container_done},
	{"pr", pr_effect_done},
	{"fleet", fleet_reported},
	{"hook", link_effect_done},
	{"review", review_effect_done},
	{"app-token", hook_app_token_done},
	{"stats", stats_report_sent},
	{"log-wipe", log_wipe_sent},
	{"log-index", log_index_sent},
	{"install", install_fetched},
	{"outcome", molecule_outcome_sent},
	{"wasteland", wasteland_done},
	{"wasteland-full", wasteland_full_started},
	{"dolt-sync", dolt_sync_done},
};
const size_t effect_purposes_n = sizeof effect_purposes / sizeof effect_purposes[0];

const struct timer_kind timer_kinds[] = {
	{"test", test_timer_fired},
	{"escalation", escalation_timer_fired},
	{"org-push", org_push_timer_fired},
	{"org-create", org_create_timer_fired},
	{"tick", reconcile_timer_fired},
	{"pr", pr_timer_fired},
	{"fleet", fleet_timer_fired},
	{"hook", link_timer_fired},
	{"hook-inbox", hook_inbox_fired},
	{"review", review_timer_fired},
	{"stats", stats_report_fired},
	{"stats-sum", platform_sum_fired},
	{"log-wipe", log_wipe_retry_fired},
	{"log-index", log_index_fired},
	{"log-wipe-slice", log_wipe_slice_fired},
	{"install", install_retry_fired},
	{"outcome", molecule_outcome_fired},
	{"wasteland", wasteland_fired},
	{"dolt-sync", dolt_sync_fired},
};
const size_t timer_kinds_n = sizeof timer_kinds / sizeof timer_kinds[0];

const struct ws_kind ws_kinds[] = {
	{"test-echo", 1, api_test_ws_echo},
};
const size_t ws_kinds_n = sizeof ws_kinds / sizeof ws_kinds[0];

/* ---- town: a bead's changes --------------------------------------------------------------------- */

/* A deleted bead leaves its agent's hook before its convoys; a status change reaches the fleet
 * before the convoys; the reconciler hears last. */
const bead_reaction bead_reactions[] = {
	agent_on_bead,
	fleet_on_bead,
	convoy_on_bead,
	reconcile_on_bead,
	link_on_bead,
	review_on_bead,
	attempt_on_bead,
	outcome_on_bead,
	stats_report_on_bead,
	log_index_on_bead,
	molecule_on_bead,
	beads_jsonl_on_bead,
	wasteland_on_bead,
};
const size_t bead_reactions_n = sizeof bead_reactions / sizeof bead_reactions[0];

/* ---- town: a note added --------------------------------------------------------------------------- */

const note_reaction note_reactions[] = {
	log_index_on_note,
};
const size_t note_reactions_n = sizeof note_reactions / sizeof note_reactions[0];

/* ---- town: an agent's state -------------------------------------------------------------------- */

const agent_reaction agent_reactions[] = {
	reconcile_on_agent,
	outcome_on_agent,
};
const size_t agent_reactions_n = sizeof agent_reactions / sizeof agent_reactions[0];

/* ---- town: a message for the Mayor --------------------------------------------------------------- */

const mayor_reaction mayor_reactions[] = {
	reconcile_on_mayor,
};
const size_t mayor_reactions_n = sizeof mayor_reactions / sizeof mayor_reactions[0];

int (*const town_runtime_valid)(const char *name) = container_runtime_valid;

/* ---- run: a `pr` rig's calls to GitHub as the town's App ----------------------------------------- */

int (*const pr_github_app)(struct call *c) = hook_github_app;
int (*const pr_github_app_call)(struct call *c, const char *purpose, const char *subject, const char *method,
				const char *path, const cJSON *body) = hook_github_call;

/* ---- town: its deletion ------------------------------------------------------------------------- */

/* Each owner empties its own tables, in the order the deletion has always had (town.c deletes its
 * secrets before and the town's row after). */
const town_reaction town_deleting[] = {
	convoy_wipe,
	bead_wipe,
	feed_wipe,
	mail_wipe,
	escalation_wipe,
	timer_wipe,
	agent_wipe,
	rig_wipe,
	members_wipe,
	mayor_wipe,
	persona_wipe,
	note_wipe,
	attempt_wipe,
	outcome_wipe,
	costs_wipe,
	budget_wipe,
	reconcile_wipe,
	integration_wipe,
	delivery_wipe,
	link_wipe,
	review_wipe,
	hook_pending_wipe,
	idempotent_wipe,
	stats_report_wipe,
	log_index_wipe,
	install_wipe,
	molecule_wipe,
	beads_jsonl_wipe,
	wasteland_wipe,
	log_town_deleted,
};
const size_t town_deleting_n = sizeof town_deleting / sizeof town_deleting[0];

/* ---- costs: budgets ----------------------------------------------------------------------------- */

const budget_reaction budget_reactions[] = {
	reconcile_on_budget,
};
const size_t budget_reactions_n = sizeof budget_reactions / sizeof budget_reactions[0];

/* Every run of records meets its budgets before the batch's totals reach the sockets and the fleet. */
const usage_reaction usage_reactions[] = {
	budget_on_usage,
	costs_on_usage,
	fleet_on_usage,
};
const size_t usage_reactions_n = sizeof usage_reactions / sizeof usage_reactions[0];

const spend_reaction spend_reactions[] = {
	outcome_on_spend,
};
const size_t spend_reactions_n = sizeof spend_reactions / sizeof spend_reactions[0];

/* ---- run: probes -------------------------------------------------------------------------------- */

/* Draws nothing unless test hooks are on (probes.c checks). */
int (*const tick_fault_probe)(struct call *c) = test_tick_fault;
