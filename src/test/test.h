/*
 * test/test.h - test probes: routes and hooks that exist only when test hooks are enabled (integration
 * tests, the bench). Production code reaches them only through the wiring.
 */
#ifndef GASTOWN_TEST_H
#define GASTOWN_TEST_H

#include "federation/federation.h"

/* ---- hooks the test probes provide to the loop (api_test.c) ----------------------------------- */
int test_timer_fired(struct call *c, const char *key);
/* 1 when a test asked the next tick to fail (test_kv "fail_ticks"), using one up; 0 otherwise. */
int test_tick_fault(struct call *c);
int test_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body,
		     size_t body_len);


/* ---- the probes' routes (probes.c) ------------------------------------------------------------ */
int api_test_kv_put(struct call *c);
int api_test_kv_get(struct call *c);
int api_test_kv_bulk(struct call *c);
int api_test_trap(struct call *c);
int api_test_alarm_set(struct call *c);
int api_test_alarm_get(struct call *c);
int api_test_effect_start(struct call *c);
int api_test_effect_get(struct call *c);
int api_test_ws_echo(struct call *c);
int api_test_beads_bulk(struct call *c);
int api_test_reconciler_seed(struct call *c);
int api_test_outcomes_seed(struct call *c);
int api_test_tick(struct call *c);
int api_test_stats_report(struct call *c);
/* Their bodies (the route table's). */
extern const struct fields test_kv_put_body, test_kv_bulk_body, test_trap_body, test_alarm_body, test_effect_body,
	test_beads_bulk_body, test_seed_body, test_outcomes_seed_body;

#endif
