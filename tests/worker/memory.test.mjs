// memory.test.mjs - notes that find the next agent (docs/memory.md), with nothing faked: the worker
// in workerd, the native agent host running the scripted agent through gt in a real worktree. An
// agent changes a file under src/payments/ and leaves a note on the directory with `gt note`; the
// next bead that names a file there gets the note and that change in its prompt. Then bad notes,
// each refused with its field and nothing stored, and who may write and read them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT, git } from "./harness.mjs";
import { jwt } from "./browser-harness.mjs";
import { script, setup, TOWN } from "./e2e-harness.mjs";

const run = promisify(execFile);

// What each agent printed, for a failure's message.
function agentLogs(dir) {
	const agents = join(dir, "host/towns/e2e/agents");
	return (existsSync(agents) ? readdirSync(agents) : []).map((a) => join(agents, a, "agent.log")).filter(existsSync)
		.map((f) => `--- ${f}\n${readFileSync(f, "utf8").slice(-3000)}`).join("\n");
}

test("a note and a change on a path reach the next bead that names it", { timeout: 120_000 }, async (t) => {
	const s = await setup(t);
	const note = "a race in checkout when two charges land at once: lock the cart first";
	const first = await s.bead("Round charges in src/payments/charge.c", script(
		"write src/payments/charge.c", "int charge(void) { return 0; }", ".",
		`run gt note src/payments/ ${note}`,
		"commit Round charges", "done"));
	assert.equal((await s.api("POST", `/beads/${first}/sling`, { rig: "app" })).status, 200);
	await s.until("the first bead closes", async () => (await s.api("GET", `/beads/${first}`)).data.status === "closed", 90_000)
		.catch(async (err) => { throw new Error(`${err.message}\n${agentLogs(s.dir)}`); });
	const worker = (await s.api("GET", `/beads/${first}`)).data.worked_by;

	// The note is the agent's, on the bead it worked, for the human it worked for.
	const notes = (await s.api("GET", "/notes?path=src/payments/charge.c")).data;
	assert.deepEqual(notes.map((n) => [n.path, n.text, n.author, n.bead, n.requested_by]),
		[["src/payments/", note, worker, first, "alice"]]);
	assert.deepEqual((await s.api("GET", "/notes?path=docs/")).data, []);

	// The next bead names a file in that directory: its prompt carries the note and the change.
	const next = await s.bead("Refunds in src/payments/refund.c", script(
		"run printf '%s' \"$GASTOWN_PROMPT\" > prompt.txt", "commit Record the prompt", "done"));
	assert.equal((await s.api("POST", `/beads/${next}/sling`, { rig: "app" })).status, 200);
	await s.until("the next bead closes", async () => (await s.api("GET", `/beads/${next}`)).data.status === "closed", 90_000);
	const prompt = git(s.dir, "--git-dir", "origin.git", "show", "main:prompt.txt");
	assert.match(prompt, /What earlier work left on the paths your bead names \(newest first\):/);
	assert.ok(prompt.includes(`- ${worker} left a note on src/payments/ just now: ${note}`), prompt);
	assert.ok(prompt.includes(`- ${worker} changed src/payments/charge.c just now (+1 -0) for ${first}: Round charges in src/payments/charge.c`), prompt);
	assert.ok(prompt.indexOf("Your bead:") < prompt.indexOf("What earlier work left"), prompt);

	// A bead that names no path still gets the note its words speak of (the town's FTS5 over notes).
	const third = await s.bead("Customers are charged twice at checkout", script(
		"run printf '%s' \"$GASTOWN_PROMPT\" > prompt3.txt", "commit Record the prompt", "done"));
	assert.equal((await s.api("POST", `/beads/${third}/sling`, { rig: "app" })).status, 200);
	await s.until("the third bead closes", async () => (await s.api("GET", `/beads/${third}`)).data.status === "closed", 90_000);
	const prompt3 = git(s.dir, "--git-dir", "origin.git", "show", "main:prompt3.txt");
	assert.match(prompt3, /Notes that may bear on your bead \(found by its words, best first\):/);
	assert.ok(prompt3.includes(`- ${worker} left a note on src/payments/ just now: ${note}`), prompt3);
	assert.doesNotMatch(prompt3, /What earlier work left on the paths/);

	// A person's note through gt, and gt notes reads them back.
	const env = { PATH: process.env.PATH, HOME: "/nonexistent", GASTOWN_URL: s.base, GASTOWN_TOWN: TOWN, GASTOWN_TOKEN: await jwt("alice", "Alice Smith") };
	const gt = join(ROOT, "build/native/gt");
	const added = await run(gt, ["note", "src/payments/refund.c", "refunds", "go", "through", "the", "ledger"], { env });
	assert.match(added.stdout, /^noted note-[a-z0-9]+ on src\/payments\/refund\.c$/m);
	const listed = await run(gt, ["notes", "src/payments/"], { env });
	assert.match(listed.stdout, /src\/payments\/refund\.c  alice: refunds go through the ledger/);
	assert.match(listed.stdout, new RegExp(`src/payments/  ${worker} on ${first}: a race in checkout`));

	// Which agent last touched src/payments/ and what did they change: the recorded diffs and notes.
	const history = (await s.api("GET", "/history?path=src/payments/")).data;
	assert.deepEqual(history.changes.map((c) => [c.worked_by, c.path, c.bead, c.additions, c.deletions]),
		[[worker, "src/payments/charge.c", first, 1, 0]]);
	assert.deepEqual(history.notes.map((n) => n.author).sort(), ["alice", worker].sort());
	const told = await run(gt, ["history", "src/payments/"], { env });
	assert.ok(told.stdout.includes(`  ${worker} changed src/payments/charge.c (+1 -0) for ${first}: Round charges`), told.stdout);
	assert.equal((await s.api("GET", "/history")).status, 400);

	// Bad notes: refused with the field, nothing stored.
	const count = async () => (await s.api("GET", "/notes?limit=200")).data.length;
	const before = await count();
	for (const [body, field] of [
		[{ path: "../etc/passwd", text: "x" }, "path"], [{ path: "/abs/path", text: "x" }, "path"],
		[{ path: "src/./a.c", text: "x" }, "path"], [{ path: "a.c" }, "text"], [{ path: "a.c", text: "" }, "text"],
		[{ path: "a.c", text: "x".repeat(2001) }, "text"], [{ path: "a.c", text: "x", bead: "gt-nope" }, "bead"],
		[{ path: "a.c", text: "x", rig: "nope" }, "rig"], [{ path: "a.c", text: 7 }, "text"],
	]) {
		const r = await s.api("POST", "/notes", body);
		assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
		assert.equal(r.body.error.field, field, r.text);
	}
	assert.equal((await s.api("GET", "/notes?path=../x")).status, 400);
	assert.equal(await count(), before);
	// Viewers read and do not write; outsiders see nothing.
	assert.equal((await s.api("PUT", "/members/vic", { role: "viewer" })).status, 200);
	const bearer = async (user) => ({ authorization: `Bearer ${await jwt(user, user)}` });
	const vic = await bearer("vic");
	assert.equal((await s.api("POST", "/notes", { path: "a.c", text: "x" }, vic)).status, 403);
	assert.equal((await s.api("GET", "/notes", undefined, vic)).status, 200);
	assert.equal((await s.api("GET", "/notes", undefined, await bearer("olga"))).status, 404);
	assert.equal(await count(), before);
});

// The agent log (docs/memory.md): what the scripted agent did reaches the town's AgentLogDO through
// the host, is found by FTS5 search (who hit a race in checkout, who last touched src/payments/),
// and survives workerd killed and the host restarted; a second run's events add to the first's.
test("the agent log: a run's events are searchable and survive a restart of either side", { timeout: 120_000 }, async (t) => {
	const s = await setup(t);
	const first = await s.bead("Lock the cart", script(
		"status looking at checkout",
		"run echo found a race condition in checkout when two charges land",
		"write src/payments/charge.c", "int charge(void) { return lock_cart(); }", ".",
		"commit Lock the cart before charging", "done"));
	assert.equal((await s.api("POST", `/beads/${first}/sling`, { rig: "app" })).status, 200);
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${first}`)).data.status === "closed", 90_000)
		.catch(async (err) => { throw new Error(`${err.message}\n${agentLogs(s.dir)}`); });
	const worker = (await s.api("GET", `/beads/${first}`)).data.worked_by;

	// Who hit a race condition in checkout: the command and what it printed, on the bead it ran for.
	const race = await s.until("the race is in the log", async () => {
		const r = await s.api("GET", `/search?q=${encodeURIComponent("race condition checkout")}`);
		return r.status === 200 && r.data.results.length >= 2 ? r.data.results : null;
	}, 20_000);
	assert.deepEqual([...new Set(race.map((e) => `${e.agent} ${e.bead}`))], [`${worker} ${first}`]);
	assert.deepEqual(race.map((e) => e.kind).sort(), ["command", "output"]);
	assert.ok(race.every((e) => e.snippet.some((p) => p.hit && /^(race|condition|checkout)$/.test(p.text))), JSON.stringify(race));
	// Who last touched src/payments/: the file the agent wrote, newest first.
	const touched = (await s.api("GET", "/search?path=src/payments/")).data.results;
	assert.deepEqual(touched.map((e) => [e.agent, e.bead, e.kind, e.tool, e.path]),
		[[worker, first, "file", "write", "src/payments/charge.c"]]);
	const log = (await s.api("GET", `/agents/${worker}/log?limit=1000`)).data.events;
	assert.ok(log.some((e) => e.kind === "status" && e.text === "status looking at checkout"), JSON.stringify(log));
	// The town's own entries: the bead by its title, a member's note by its words and path.
	assert.equal((await s.api("POST", "/notes", { path: "src/payments/", text: "charges need the cart locked" })).status, 201);
	const own = await s.until("the bead and the note are in the search", async () => {
		const r = await s.api("GET", `/search?q=${encodeURIComponent("cart OR Lock")}`);
		const kinds = (r.data?.results ?? []).map((e) => e.kind);
		return kinds.includes("bead") && kinds.includes("note") ? r.data.results : null;
	}, 20_000);
	// (The merge request toast's done made is a bead too, by toast, named after the work.)
	assert.deepEqual(own.filter((e) => e.kind === "bead" && e.bead === first).map((e) => e.agent), ["alice"]);
	assert.deepEqual(own.filter((e) => e.kind === "note").map((e) => [e.path, e.agent]), [["src/payments/", "alice"]]);

	// The same through gt search, hits marked; a query FTS5 cannot read fails with the town's reason.
	const env = { PATH: process.env.PATH, HOME: "/nonexistent", GASTOWN_URL: s.base, GASTOWN_TOWN: TOWN, GASTOWN_TOKEN: await jwt("alice", "Alice Smith") };
	const gt = join(ROOT, "build/native/gt");
	const found = await run(gt, ["search", "race", "condition", "checkout", "--kind", "command", "--best"], { env });
	assert.match(found.stdout, new RegExp(`^${worker} on ${first} command \\(run\\):\n  .*\\*\\*race\\*\\* \\*\\*condition\\*\\* in \\*\\*checkout\\*\\*`, "m"));
	const recent = await run(gt, ["search", "--path", "src/payments/"], { env });
	assert.match(recent.stdout, new RegExp(`^${worker} on ${first} file \\(write\\) src/payments/charge\\.c:`, "m"));
	await assert.rejects(run(gt, ["search", '"unbalanced'], { env }), (err) => err.code !== 0 && /syntax|q/.test(err.stderr));
	assert.equal(new Set(log.map((e) => e.id)).size, log.length);

	// A query FTS5 cannot read is the caller's error; viewers search, outsiders learn nothing.
	const bad = await s.api("GET", `/search?q=${encodeURIComponent('"unbalanced')}`);
	assert.equal(bad.status, 400, bad.text);
	assert.equal(bad.body.error.field, "q");
	assert.equal((await s.api("GET", "/search")).status, 400);
	assert.equal((await s.api("PUT", "/members/vic", { role: "viewer" })).status, 200);
	assert.equal((await s.api("GET", "/search?q=race", undefined, { authorization: `Bearer ${await jwt("vic", "Vic")}` })).status, 200);
	assert.equal((await s.api("GET", "/search?q=race", undefined, { authorization: `Bearer ${await jwt("olga", "Olga")}` })).status, 404);

	// workerd killed, the host restarted: the log is still there, and a new run adds to it.
	await s.restartWorker({ kill: true });
	await s.env.host.stop();
	await s.restartHost();
	assert.deepEqual((await s.api("GET", `/agents/${worker}/log?limit=1000`)).data.events.map((e) => e.id), log.map((e) => e.id));
	const second = await s.bead("After the restarts", script(
		"run echo second run after the restarts", "write restarts.txt", "both sides came back", ".",
		"commit Note the restarts", "done"));
	assert.equal((await s.api("POST", `/beads/${second}/sling`, { rig: "app" })).status, 200);
	await s.until("the second bead closes", async () => (await s.api("GET", `/beads/${second}`)).data.status === "closed", 90_000);
	const again = await s.until("the second run is in the log", async () => {
		const r = await s.api("GET", "/search?q=second&kind=command");
		return r.data?.results.length ? r.data.results : null;
	}, 20_000);
	assert.equal(again[0].bead, second);
	assert.equal((await s.api("GET", "/search?q=race&kind=command")).data.results.length, 1);

	// A deleted town takes its log with it: a new town of the same id finds nothing of it.
	assert.ok([200, 204].includes((await s.api("DELETE", "")).status));
	assert.equal((await s.api("POST", "", { name: "Again" })).status, 201);
	await s.until("the old log is gone", async () => {
		const r = await s.api("GET", "/search?q=race%20OR%20second");
		return r.status === 200 && r.data.results.length === 0;
	}, 20_000);
	assert.deepEqual((await s.api("GET", "/search?path=src/")).data.results, []);
});
