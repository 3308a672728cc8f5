// restart.test.mjs - a town survives its runtime going away with work in flight: stopped, or killed
// by SIGKILL, and woken again by its alarm before any request names it. The object must know who it
// is from its own storage (an alarm-woken object has no name on its id), the bead must land exactly
// once, and the town must answer every route, the operator's debug route included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OPERATOR } from "./harness.mjs";
import { TOWN, script, setup } from "./e2e-harness.mjs";

// The reconciler ticks every 5 s while work runs: waiting longer than that with nobody calling the
// town means its alarm, not a request, is the first thing the new runtime runs in it.
const ALARM_FIRST_MS = 8000;

async function restartAlarmFirst(t, kill) {
	const s = await setup(t);
	// The agent sleeps through the restart: none of its gt calls is in flight or made meanwhile.
	const id = await s.bead("Across a restart", script("status started", "sleep 14", "write r.txt", "restarted", ".",
		"commit Add r.txt", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app" })).status, 200);
	await s.until("the agent says it started", async () => (await s.api("GET", "/agents/toast")).data?.status === "started", 20_000);
	// The host's heartbeats are requests that name the town: hold them until the alarm has run.
	s.env.host.pause();
	try {
		await s.restartWorker({ kill });
		await new Promise((r) => setTimeout(r, ALARM_FIRST_MS));
	} finally {
		s.env.host.resume();
	}
	const debug = await s.api("GET", "/debug/storage", undefined, { authorization: `Bearer ${OPERATOR}` });
	assert.equal(debug.status, 200, debug.text);
	assert.equal(debug.data.id, TOWN);
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 60_000);
	const events = (await s.api("GET", `/beads/${id}/events`)).data.events;
	const kinds = events.map((e) => e.kind);
	assert.equal(kinds.filter((k) => k === "bead.dispatched").length, 1, `${JSON.stringify(kinds)}\n${await s.dump()}`);
	assert.equal(kinds.filter((k) => k === "bead.requeued").length, 0, JSON.stringify(kinds));
	assert.equal(s.originLog("%s").split("\n").filter((x) => x === "Add r.txt").length, 1);
}

test("stopped with work in flight, the town woken by its alarm first still answers and lands the bead once",
	{ timeout: 120_000 }, (t) => restartAlarmFirst(t, false));

test("workerd killed with SIGKILL mid-run: the town woken by its alarm first lands the bead once",
	{ timeout: 120_000 }, (t) => restartAlarmFirst(t, true));
