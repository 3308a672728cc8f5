// attempts.test.mjs - a bead slung three ways, with nothing faked but the model: the worker in
// workerd, the native agent host running the scripted agent in real git worktrees, a rig over a
// bare origin, a model gateway on loopback. Each attempt wears its own persona, and the bead's
// script behaves by it: one breaks the rig's gate, one passes first, one takes its time. Exactly one
// merge lands; the bead closes with it; the others are stopped and superseded, their branches gone
// from the origin; every attempt's model call is charged to the member who slung.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { git } from "./harness.mjs";
import { script, setup } from "./e2e-harness.mjs";

const GATEWAY_KEY = "sk-attempts-gateway";

// Every chat completion costs the same, and is counted.
async function gateway(t) {
	const calls = [];
	const server = createServer((req, res) => {
		req.resume();
		req.on("end", () => {
			calls.push(req.headers.authorization);
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ id: `c${calls.length}`, object: "chat.completion", model: "gpt-4o",
				choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
				usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 } }));
		});
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
	return { url: `http://127.0.0.1:${server.address().port}`, calls };
}

test("a bead slung three ways: one breaks the gate, one lands first, one is stopped; one merge, all charged to the slinger", { timeout: 150_000 }, async (t) => {
	const model = await gateway(t);
	const s = await setup(t);
	assert.equal((await s.api("PATCH", "", { settings: { llm_base_url: model.url }, secrets: { llm_api_key: GATEWAY_KEY } })).status, 200);
	assert.equal((await s.api("PATCH", "/rigs/app", { settings: { gates: ["test ! -f BROKEN"] } })).status, 200);
	for (const name of ["breaks", "lands", "dawdles"])
		assert.equal((await s.api("POST", "/personas", { name })).status, 201);

	const id = await s.bead("Pick the fastest", script(
		// One metered model call each, before anything else.
		"run curl -sf -H \"Authorization: Bearer $OPENAI_API_KEY\" -d '{\"model\":\"gpt-4o\",\"messages\":[]}' \"$OPENAI_BASE_URL/chat/completions\" > /dev/null",
		"run case \"$GASTOWN_PERSONA\" in breaks) touch BROKEN; sleep 2 ;; lands) sleep 5 ;; dawdles) sleep 60 ;; esac",
		"run echo \"$GASTOWN_PERSONA\" > WINNER.txt && echo 'print(1)' > main.py",
		"commit Work as $GASTOWN_PERSONA", "done"));
	const sling = await s.api("POST", `/beads/${id}/sling`, { rig: "app", ways: 3,
		variants: [{ persona: "breaks" }, { persona: "lands" }, { persona: "dawdles" }] });
	assert.equal(sling.status, 200, sling.text);
	assert.equal(sling.data.status, "in_progress");
	const ways = Object.fromEntries(sling.data.ways.map((w) => [w.persona, w.bead]));
	assert.deepEqual(Object.keys(ways).sort(), ["breaks", "dawdles", "lands"]);

	// The broken attempt reaches the refinery first, and its gate sends it back.
	await s.until("the broken attempt is sent back by the gate", async () =>
		(await s.api("GET", `/beads/${ways.breaks}/events`)).data.events.some((e) => e.kind === "bead.requeued" &&
			/gate `test ! -f BROKEN` failed/.test(e.new ?? "")), 60_000);
	const bead = await s.until("the bead closes", async () => {
		const b = (await s.api("GET", `/beads/${id}`)).data;
		return b.status === "closed" ? b : false;
	}, 90_000);
	assert.match(bead.close_reason, new RegExp(`^merged .*\\(attempt ${ways.lands}\\)$`));

	const attempts = Object.fromEntries((await s.api("GET", `/beads/${id}/attempts`)).data.map((a) => [a.persona, a]));
	assert.equal(attempts.lands.state, "merged");
	assert.equal(attempts.breaks.state, "superseded");
	assert.equal(attempts.dawdles.state, "superseded");
	assert.match(attempts.dawdles.reason, new RegExp(`superseded by ${ways.lands}`));
	for (const loser of ["breaks", "dawdles"]) {
		const b = (await s.api("GET", `/beads/${ways[loser]}`)).data;
		assert.equal(b.status, "closed", `${loser}: ${JSON.stringify(b)}`);
	}

	// Exactly one merge, the winner's, on main.
	const origin = (...args) => git(s.dir, "--git-dir", "origin.git", ...args);
	assert.equal(origin("show", "main:WINNER.txt"), "lands\n");
	const merges = s.originLog("%s%x1e").split("\x1e").filter((l) => /^Merge /.test(l.trim()));
	assert.equal(merges.length, 1, merges.join("\n"));
	// The one still working was stopped; the losers' branches leave the origin.
	const dawdler = (await s.api("GET", `/beads/${ways.dawdles}/events`)).data.events.find((e) => e.kind === "bead.dispatched")?.new;
	assert.ok(dawdler);
	await s.until("the dawdler's process is stopped", async () => s.env.host.log().includes(`${dawdler} ended`), 20_000);
	await s.until("the losers' branches are deleted", async () => {
		const heads = origin("for-each-ref", "--format=%(refname)", "refs/heads");
		return !heads.includes(ways.breaks) && !heads.includes(ways.dawdles) ? heads : false;
	}, 20_000);
	assert.match(s.env.host.log(), /pruning \d branch(es)? of rig app/);

	// Every attempt's model call is the slinger's: one per run (the broken one ran twice or more).
	const costs = await s.until("every call is charged", async () => {
		const c = (await s.api("GET", "/costs?by=user&period=day")).data;
		return c.total.records === model.calls.length ? c : false;
	}, 20_000);
	assert.ok(model.calls.length >= 3, `${model.calls.length} model calls`);
	assert.deepEqual(costs.rows.map((r) => r.key), ["alice"]);
	assert.equal(costs.rows[0].cost_microusd, costs.total.cost_microusd);
	const byBead = (await s.api("GET", "/costs?by=bead&period=all")).data.rows.map((r) => r.key).sort();
	assert.deepEqual(byBead, Object.values(ways).sort());

	// What the town learned: the winner a first-pass merge (1 of 1: Wilson 95% from 0.2065 to 1),
	// the others superseded, counted apart; every attempt's spend in the outcomes too.
	const stats = (await s.api("GET", "/stats?by=persona")).data.rows;
	const row = (key) => stats.find((r) => r.key === key);
	assert.deepEqual([row("lands").n, row("lands").first_pass, row("lands").merged], [1, 1, 1], JSON.stringify(stats));
	assert.equal(row("lands").wilson_low, 0.2065);
	assert.equal(row("lands").wilson_high, 1);
	for (const p of ["breaks", "dawdles"]) assert.deepEqual([row(p).n, row(p).superseded], [0, 1], JSON.stringify(row(p)));
	assert.equal(stats.reduce((sum, r) => sum + r.cost_microusd, 0), costs.total.cost_microusd);
	// The host measured the repository's language at done (a python file among text ones).
	const languages = (await s.api("GET", "/stats?by=language")).data.rows.map((r) => r.key);
	assert.ok(languages.includes("python"), JSON.stringify(languages));
	const record = (await s.api("GET", `/agents/${(await s.api("GET", `/beads/${ways.lands}`)).data.worked_by}/record`)).data;
	assert.equal(record.totals.first_pass, 1);
	assert.equal(record.recent[0].result, "merged");
	// One outcome per variant is not enough to recommend anything: the scope says so.
	const rec = (await s.api("GET", `/beads/${id}/recommend`)).data;
	assert.equal(rec.language, "python");
	assert.deepEqual(rec.variants, []);
	assert.equal(rec.min_sample, 5);
});
