// clis-persona.test.mjs - a persona's tool lists reach the real coding CLIs (package.json's pins)
// in each one's own form, offline: the worker in workerd, the native agent host, each CLI talking to
// a scripted fake model through the host's metering proxy. What a CLI offers the model is what it
// will run, so the test reads the tool list of the model's requests: a denied tool is not offered,
// an allow list offers its tools and the town's, nothing more; the agent still reports done.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";
import { setup } from "./e2e-harness.mjs";
import { fakeModel } from "./fake-model.mjs";

const GATEWAY_KEY = "sk-gateway-fake";
const hostEnv = { PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` };

// Status and done through the town's tools: no shell needed, so any tool list will do.
const polecat = (expectTools) => ({
	name: "polecat",
	expectTools,
	match: (text) => text.includes("Your bead:"),
	steps: [
		{ mcp: "gt_status", args: { message: "on it" } },
		(ctx) => ({ mcp: "gt_done", args: { bead: ctx.bead, branch: ctx.branch, summary: "Nothing to change" } }),
		{ text: "Done." },
	],
});

async function run(t, runtime, persona, expectTools = ["gt_status", "gt_done"]) {
	const model = await fakeModel(t, { key: GATEWAY_KEY, scripts: [polecat(expectTools)] });
	const s = await setup(t, {}, { hostEnv });
	const r = await s.api("PATCH", "", { settings: { runtime, model: "fake-model", llm_base_url: model.url },
		secrets: { llm_api_key: GATEWAY_KEY } });
	assert.equal(r.status, 200, r.text);
	assert.equal((await s.api("POST", "/personas", { name: "cast", ...persona })).status, 201);
	const bead = await s.bead("Look around", "Report status, then done.");
	assert.equal((await s.api("POST", `/beads/${bead}/sling`, { rig: "app", persona: "cast" })).status, 200);
	await s.until("the agent reports done", async () => (await s.api("GET", `/beads/${bead}`)).data.status !== "in_progress" &&
		model.calls.some((c) => c.script === "polecat"), 90_000)
		.catch(async (err) => { throw new Error(`${err.message}\nmodel calls: ${JSON.stringify(model.calls)}`); });
	assert.deepEqual(model.failures, [], JSON.stringify(model.calls));
	const offered = model.calls.filter((c) => c.script === "polecat").map((c) => c.toolNames);
	assert.ok(offered.length > 0);
	return { offered, s, bead, model };
}

test("claude: a denied tool is not offered to the model", { timeout: 120_000 }, async (t) => {
	const { offered } = await run(t, "claude", { denied_tools: ["Bash", "WebFetch"] });
	for (const names of offered) {
		assert.ok(!names.includes("Bash") && !names.includes("WebFetch"), names.join(","));
		assert.ok(names.includes("Read") && names.includes("mcp__gastown__gt_done"), names.join(","));
	}
});

test("claude: an allow list offers its tools and the town's, nothing else", { timeout: 120_000 }, async (t) => {
	const { offered } = await run(t, "claude", { allowed_tools: ["Read", "Grep"] });
	for (const names of offered) {
		const builtin = names.filter((n) => !n.startsWith("mcp__"));
		assert.deepEqual(builtin.sort(), ["Grep", "Read"], names.join(","));
		assert.ok(names.includes("mcp__gastown__gt_status"), names.join(","));
	}
});

test("opencode: a denied tool is not offered to the model", { timeout: 120_000 }, async (t) => {
	const { offered } = await run(t, "opencode", { denied_tools: ["Bash", "WebFetch"] });
	for (const names of offered) {
		assert.ok(!names.includes("bash") && !names.includes("webfetch"), names.join(","));
		assert.ok(names.includes("read") && names.includes("gastown_gt_done"), names.join(","));
	}
});

test("codex: the town's tools are filtered; its own cannot be, and the start says so", { timeout: 120_000 }, async (t) => {
	const { offered, s, model, bead: first } = await run(t, "codex", { denied_tools: ["mcp__gastown__gt_escalate"] });
	for (const names of offered) assert.ok(!JSON.stringify(names).includes("gt_escalate"), JSON.stringify(names));

	// A persona naming codex's own tools: the host refuses the start, the bead records why.
	assert.equal((await s.api("POST", "/personas", { name: "shell-less", denied_tools: ["Bash"] })).status, 201);
	const bead = await s.bead("Refused", "Nothing.");
	assert.equal((await s.api("POST", `/beads/${bead}/sling`, { rig: "app", persona: "shell-less" })).status, 200);
	const failure = await s.until("the start is refused", async () => (await s.api("GET", `/beads/${bead}`)).data.failure, 30_000);
	assert.match(failure, /codex cannot deny its own tool 'Bash'/);
	// No call of the refused bead reached the model. (Counting all calls raced the first bead's
	// refinery and side requests, which may come after the count was taken.)
	assert.ok(model.calls.some((c) => c.bead === first), "calls carry their bead");
	assert.ok(!model.calls.some((c) => c.bead === bead), JSON.stringify(model.calls.map((c) => c.bead)));
});

// A persona's gates before a CLI's done through MCP: the host runs them in the worktree first. The
// first gt_done fails its gate and the model is told which and why (the town hears nothing); the
// model makes the gate pass and calls again; the town takes that one.
test("claude: the persona's gates run before an MCP gt_done; a failing gate answers the model", { timeout: 120_000 }, async (t) => {
	const told = [];
	const gated = {
		name: "polecat",
		match: (text) => text.includes("Your bead:"),
		steps: [
			(ctx) => ({ mcp: "gt_done", args: { bead: ctx.bead, branch: ctx.branch, summary: "First try" } }),
			(ctx) => {
				told.push(/The persona's gate `test -f GATE_OK` failed: fix the work and call gt_done again/.test(ctx.text));
				return { shell: "touch GATE_OK" };
			},
			(ctx) => ({ mcp: "gt_done", args: { bead: ctx.bead, branch: ctx.branch, summary: "Gate passes" } }),
			{ text: "Done." },
		],
	};
	const model = await fakeModel(t, { key: GATEWAY_KEY, scripts: [gated] });
	const s = await setup(t, {}, { hostEnv });
	assert.equal((await s.api("PATCH", "", { settings: { runtime: "claude", model: "fake-model", llm_base_url: model.url },
		secrets: { llm_api_key: GATEWAY_KEY } })).status, 200);
	assert.equal((await s.api("POST", "/personas", { name: "careful", gates: ["test -f GATE_OK"] })).status, 201);
	const bead = await s.bead("Be careful", "Report done once the gate passes.");
	assert.equal((await s.api("POST", `/beads/${bead}/sling`, { rig: "app", persona: "careful" })).status, 200);
	await s.until("the second gt_done reaches the town", async () =>
		(await s.api("GET", `/beads/${bead}/events`)).data.events.some((e) => e.kind === "bead.done"), 90_000)
		.catch(async (err) => { throw new Error(`${err.message}\nmodel calls: ${JSON.stringify(model.calls)}\n${await s.dump()}`); });
	assert.deepEqual(model.failures, [], JSON.stringify(model.calls));
	assert.deepEqual(told, [true], "the model read the failing gate in gt_done's answer");
	const events = (await s.api("GET", `/beads/${bead}/events`)).data.events.filter((e) => e.kind === "bead.done");
	assert.equal(events.length, 1, JSON.stringify(events));
	assert.match(s.env.host.log(), /gt_done refused: the persona's gate `test -f GATE_OK` failed/);
});
