/*
 * mayor_run.c - the Mayor lives: each member's message is answered by one run of the Mayor's
 * runtime (a coding CLI), started by the reconciler through the container protocol, one message at
 * a time in the order they came. The run holds its message on the Mayor's hook and its token names
 * the message's author, so whatever it does through the town's tools is done for that member. The
 * run ends when its process does; a message it left unanswered gets a note, so nobody waits on a
 * Mayor that is gone. Between messages no process runs: an idle Mayor costs nothing, and the next
 * run resumes the runtime's session (the container keeps the Mayor's home).
 *
 * With the scripted runtime there is no Mayor process: messages wait in the Mayor's inbox for
 * whoever reads it (docs/agents.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

#define MAYOR_RUNS_MAX 3 /* runs a message may take before it is answered with a note instead */

int reconcile_on_mayor(struct call *c)
{
	return reconcile_soon(c);
}

/* Answer message with the town's note to its author (the Mayor could not). */
static int note(struct call *c, const char *message, const char *text)
{
	char saved[sizeof c->who.requested_by];
	int rc;

	memcpy(saved, c->who.requested_by, sizeof saved);
	rc = mayor_reply(c, message, text);
	memcpy(c->who.requested_by, saved, sizeof saved);
	return rc < 0 ? -1 : mayor_set_state(c, message, "answered");
}

int mayor_run_failed(struct call *c, const char *message, const char *state, const char *why)
{
	int replied = mayor_replied(c, message);

	if (replied < 0 || agent_release(c, "mayor", state) < 0)
		return -1;
	call_log(c, "warn", "a run of the Mayor failed", cJSON_CreateString(why));
	/* Answered before it failed: done. Else it waits for the next run (runs are counted). */
	return mayor_set_state(c, message, replied ? "answered" : "waiting");
}

int mayor_run_completed(struct call *c, int exit_code)
{
	char role[16], message[72], text[200];
	int replied;

	if (agent_role_hook(c, "mayor", role, sizeof role, message, sizeof message) <= 0)
		return c->err.code == ERR_NONE ? 0 : -1;
	if (!*message)
		return 0;
	if ((replied = mayor_replied(c, message)) < 0 || agent_release(c, "mayor", "idle") < 0)
		return -1;
	if (replied)
		return mayor_set_state(c, message, "answered");
	/* A run that ends without answering would end the same way again: say so instead. */
	snprintf(text, sizeof text, "The Mayor's run ended (exit code %d) without an answer. Ask again, or"
		 " ask an admin to look at the Mayor's terminal.", exit_code);
	return note(c, message, text);
}

/* Start a run on the oldest waiting message: 1 when one started (or was answered with a note). */
static int start_next(struct call *c)
{
	char message[48], author[sizeof c->who.requested_by], *prompt;
	int runs, rc, resume;

	if ((rc = mayor_next_waiting(c, message, sizeof message, author, sizeof author, &runs)) <= 0)
		return rc;
	if (runs >= MAYOR_RUNS_MAX)
		return note(c, message, "The Mayor could not be started to answer this message: its runs failed."
				       " Ask again later, or ask an admin to look at the town's runtime.") < 0 ? -1 : 1;
	if ((rc = agent_take(c, "mayor", message, author)) <= 0)
		return rc;
	if (mayor_set_state(c, message, "answering") < 0 || (resume = mayor_ran_before(c)) < 0 ||
	    !(prompt = mayor_prompt(c, message)))
		return -1;
	{
		char saved[sizeof c->who.requested_by];

		memcpy(saved, c->who.requested_by, sizeof saved);
		snprintf(c->who.requested_by, sizeof c->who.requested_by, "%s", author);
		rc = event_append(c, "mayor.answering", message, NULL, NULL, NULL);
		memcpy(c->who.requested_by, saved, sizeof saved);
	}
	if (rc == 0)
		rc = container_start_mayor(c, message, author, prompt, resume);
	free(prompt);
	return rc < 0 ? -1 : 1;
}

int mayor_run_tick(struct call *c, const struct rc_config *cfg)
{
	char state[16], role[16], message[72], why[200];
	double heartbeat_ms;
	int rc;

	if ((rc = agent_state_of(c, "mayor", state, sizeof state, &heartbeat_ms)) <= 0)
		return rc;
	if (strcmp(state, "working") == 0) {
		if (c->now_ms - heartbeat_ms < cfg->lost_after_ms)
			return 1;
		if (agent_role_hook(c, "mayor", role, sizeof role, message, sizeof message) < 0)
			return -1;
		snprintf(why, sizeof why, "the Mayor sent no heartbeat for %.0f s: presumed lost",
			 cfg->lost_after_ms / 1000);
		if (event_append(c, "agent.lost", "mayor", "state", "working", "lost") < 0)
			return -1;
		return *message ? (mayor_run_failed(c, message, "lost", why) < 0 ? -1 : 1) : agent_set_lost(c, "mayor");
	}
	if (!cfg->dispatch)
		return 0;
	if ((rc = container_runtime_is_command(c, NULL)) <= 0)
		return rc;
	return start_next(c);
}
