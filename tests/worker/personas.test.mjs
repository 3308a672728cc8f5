// personas.test.mjs - a bead worked in a persona, with nothing faked: the worker in workerd, the
// native agent host running the scripted agent through gt in a real git worktree, a rig over a bare
// origin. The persona's overlay reaches the agent's prompt, its tool lists reach the runtime's
// environment, its gate runs at the merge before the rig's, and the commit, the bead's history and
// the agent card say which persona was worn. Then the refusals, each leaving the bead as it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "./harness.mjs";
import { script, setup } from "./e2e-harness.mjs";

test("a bead slung in a persona is worked, committed and merged in it", { timeout: 120_000 }, async (t) => {
	const s = await setup(t);
	const gateMark = join(s.dir, "persona-gate-ran");
	assert.equal((await s.api("PATCH", "/rigs/app", { settings: { gates: [`test -f ${gateMark}`] } })).status, 200);
	const made = await s.api("POST", "/personas", {
		name: "pentester", title: "Penetration tester", overlay: "Think like an attacker: every input is hostile.",
		denied_tools: ["WebFetch", "Bash(curl *)"], gates: [`touch ${gateMark}`],
	});
	assert.equal(made.status, 201, made.text);

	// What the agent was given, written into the work itself so the origin shows it.
	const id = await s.bead("Harden the login form", script(
		"run printf '%s\\n' \"$GASTOWN_PERSONA\" \"$GASTOWN_DENIED_TOOLS\" \"${GASTOWN_ALLOWED_TOOLS-unset}\" > persona.txt",
		"run printf '%s' \"$GASTOWN_PROMPT\" > prompt.txt",
		"commit Record the part played", "done"));
	const sling = await s.api("POST", `/beads/${id}/sling`, { rig: "app", persona: "pentester" });
	assert.equal(sling.status, 200, sling.text);
	assert.equal(sling.data.persona, "pentester");

	// While it works the agent card says what it wears.
	const worker = await s.until("an agent wears the persona", async () =>
		(await s.api("GET", "/agents")).data.find((a) => a.persona === "pentester")?.id, 30_000).catch(() => null);
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 90_000);
	const bead = (await s.api("GET", `/beads/${id}`)).data;
	assert.equal(bead.persona, "pentester");
	if (worker) assert.equal(worker, bead.worked_by);

	// The runtime's environment and prompt, as the agent saw them.
	const show = (path) => git(s.dir, "--git-dir", "origin.git", "show", `main:${path}`);
	assert.equal(show("persona.txt"), "pentester\nWebFetch,Bash(curl *)\nunset\n");
	const prompt = show("prompt.txt");
	assert.match(prompt, /You play the part of Penetration tester \(persona pentester\)/);
	assert.ok(prompt.indexOf("every input is hostile") < prompt.indexOf("Your bead:"), prompt);
	// The persona's gate ran at the merge, before the rig's (which needs its mark).
	assert.ok(existsSync(gateMark));
	// The commit carries the persona with the other trailers.
	const log = s.originLog("%s%n%b%x1e");
	const commit = log.split("\x1e").find((c) => c.trim().startsWith("Record the part played"));
	assert.match(commit ?? "", /Persona: pentester/, log);
	assert.match(commit ?? "", new RegExp(`Bead-ID: ${id}`));
	// The history: the persona given at the sling, and worn at the start.
	const events = (await s.api("GET", `/beads/${id}/events`)).data.events;
	assert.ok(events.some((e) => e.kind === "bead.updated" && e.field === "persona" && e.new === "pentester"), JSON.stringify(events));
	assert.ok(events.some((e) => e.kind === "bead.cast" && e.new === "pentester"), JSON.stringify(events));
	// Done, the agent wears nothing.
	assert.equal((await s.api("GET", `/agents/${bead.worked_by}`)).data.persona, null);
	// A persona that finished beads name may go; the bead keeps its name.
	assert.equal((await s.api("DELETE", "/personas/pentester")).status, 200);
	assert.equal((await s.api("GET", `/beads/${id}`)).data.persona, "pentester");
});

test("the scripted agent keeps to its persona's tools: a denied command is not run", { timeout: 90_000 }, async (t) => {
	const s = await setup(t);
	const mark = join(s.dir, "curl-ran");
	assert.equal((await s.api("PATCH", "/rigs/app", { settings: { max_attempts: 1 } })).status, 200);
	assert.equal((await s.api("POST", "/personas", { name: "offline", denied_tools: ["Bash(curl *)"] })).status, 201);
	const id = await s.bead("Fetch nothing", script(
		"run echo allowed > ok.txt",
		`run curl --version > /dev/null; touch ${mark}`,
		"commit Should not get here", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app", persona: "offline" })).status, 200);
	const bead = await s.until("the bead fails", async () => {
		const b = (await s.api("GET", `/beads/${id}`)).data;
		return b.status === "failed" ? b : false;
	}, 60_000);
	assert.match(bead.failure, /gave up after 1 runs/);
	assert.ok(!existsSync(mark), "the denied command ran");
	const agent = (await s.api("GET", `/beads/${id}/events`)).data.events.find((e) => e.kind === "bead.dispatched").new;
	const said = await s.until("the agent said why", async () => {
		const out = (await s.api("GET", `/agents/${agent}/events`)).data;
		const text = JSON.stringify(out);
		return text.includes("Bash is denied to persona offline") ? text : false;
	}, 20_000);
	assert.match(said, /run curl --version/);
});

test("a persona's gate must pass before gt done pushes or reports anything", { timeout: 90_000 }, async (t) => {
	const s = await setup(t);
	assert.equal((await s.api("PATCH", "/rigs/app", { settings: { max_attempts: 1 } })).status, 200);
	assert.equal((await s.api("POST", "/personas", { name: "strict", gates: ["test -f READY"] })).status, 201);
	const id = await s.bead("Not ready", script("write work.txt", "half done", ".", "commit Half of it", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app", persona: "strict" })).status, 200);
	const bead = await s.until("the bead fails", async () => {
		const b = (await s.api("GET", `/beads/${id}`)).data;
		return b.status === "failed" ? b : false;
	}, 60_000);
	assert.match(bead.failure, /gave up after 1 runs/);
	const agent = (await s.api("GET", `/beads/${id}/events`)).data.events.find((e) => e.kind === "bead.dispatched").new;
	await s.until("the agent said which gate", async () =>
		JSON.stringify((await s.api("GET", `/agents/${agent}/events`)).data).includes("the persona's gate `test -f READY` failed"), 20_000);
	// Nothing was pushed: the origin has no branch for it.
	assert.doesNotMatch(git(s.dir, "--git-dir", "origin.git", "for-each-ref", "--format=%(refname)"), new RegExp(id));
	// A one-line gate only: the host hands them to gt done a line each.
	const multi = await s.api("POST", "/personas", { name: "sly", gates: ["true\nrm -rf /"] });
	assert.equal(multi.status, 400, multi.text);
	assert.equal(multi.body.error.field, "gates");
});

test("bad persona input is refused with a clear error and leaves nothing behind", { timeout: 60_000 }, async (t) => {
	const s = await setup(t);
	const id = await s.bead("Untouched", script("done"));
	const before = (await s.api("GET", `/beads/${id}`)).data;
	const refusals = [
		["POST", `/beads/${id}/sling`, { rig: "app", persona: "ninja" }, 400, "persona", /no persona 'ninja'/],
		["POST", `/beads/${id}/sling`, { rig: "app", persona: "Ninja Turtle" }, 400, "persona", /persona's name/],
		["POST", `/beads/${id}/sling`, { rig: "app", persona: 7 }, 400, "persona", null],
		["POST", "/personas", { name: "p", overlay: "x".repeat(8001) }, 400, "overlay", /at most 8000 bytes/],
		["POST", "/personas", { name: "p", denied_tools: ["rm -rf /"] }, 400, "denied_tools", /not a tool name/],
		["POST", "/personas", { name: "p", allowed_tools: Array.from({ length: 33 }, (_, i) => `T${i}`) }, 413, "allowed_tools", /at most 32/],
		["POST", "/personas", { name: "backend" }, 409, "name", /built-in/],
		["PATCH", "/personas/ghost", { title: "x" }, 404, "persona", /no persona 'ghost'/],
	];
	for (const [method, path, body, status, field, says] of refusals) {
		const r = await s.api(method, path, body);
		assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
		assert.equal(r.body?.error?.field, field, r.text);
		if (says) assert.match(r.body.error.message, says);
	}
	const after = (await s.api("GET", `/beads/${id}`)).data;
	assert.deepEqual({ ...after, updated_ms: 0 }, { ...before, updated_ms: 0 });
	assert.equal(after.held, true);
	assert.equal((await s.api("GET", "/personas")).data.filter((p) => !p.builtin).length, 0);
	const events = (await s.api("GET", "/events?limit=200")).data.events ?? [];
	assert.ok(!events.some((e) => e.kind?.startsWith("persona.")), JSON.stringify(events));
});
