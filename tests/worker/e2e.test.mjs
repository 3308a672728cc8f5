// e2e.test.mjs - the whole loop with nothing faked: the worker in workerd, the native agent host on
// loopback running the scripted agent through gt, and real git repositories in a temporary folder.
// A user slings a convoy; agents are dispatched, commit, post status messages and report done; the
// refinery merges into a bare "origin"; the convoy lands. Then the failure paths: a killed host, a
// merge conflict, a done for a bead the agent does not hold, a failing tick.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { eventually, git } from "./harness.mjs";
import { TOWN, script, setup } from "./e2e-harness.mjs";

test("a slung convoy runs to landing: dispatch, commits with dual attribution, review, merge", { timeout: 120_000 }, async (t) => {
	const s = await setup(t);
	const a = await s.bead("Add alpha", script("write alpha.txt", "alpha", ".", "commit Add alpha", "status alpha written", "done"));
	const b = await s.bead("Add beta", script("write beta.txt", "beta", ".", "commit Add beta", "status beta written", "done"),
		{ deps: [{ id: a }] });
	const c = await s.bead("Add gamma", script("write gamma.txt", "gamma", ".", "commit Add gamma", "status gamma written", "done"));
	const convoy = await s.api("POST", "/convoys", { title: "Greek letters", mode: "fan-out", beads: [a, b, c] });
	assert.equal(convoy.status, 201);
	// Nothing runs before it is slung: the beads are held.
	await new Promise((r) => setTimeout(r, 300));
	assert.equal((await s.api("GET", `/beads/${a}`)).data.status, "open");
	const slung = await s.api("POST", `/convoys/${convoy.data.id}/sling`, { rig: "app" });
	assert.equal(slung.status, 200, slung.text);

	await s.until("the convoy lands", async () => (await s.api("GET", `/convoys/${convoy.data.id}`)).data.state === "landed", 90_000);

	const beads = Object.fromEntries(await Promise.all([a, b, c].map(async (id) => [id, (await s.api("GET", `/beads/${id}`)).data])));
	for (const id of [a, b, c]) assert.equal(beads[id].status, "closed", `${id}: ${beads[id].close_reason}`);
	// The serial pair ran on one agent (its worktree and context), the parallel bead on another.
	assert.equal(beads[b].worked_by, beads[a].worked_by);
	assert.notEqual(beads[c].worked_by, beads[a].worked_by);

	// Origin's history: each work commit is the human's, committed by the agent, with trailers; the
	// refinery's merge commits carry the same.
	const log = s.originLog("%an|%ae|%cn|%ce|%s%n%b%x1e").split("\x1e").map((x) => x.trim()).filter(Boolean);
	for (const [id, subject] of [[a, "Add alpha"], [b, "Add beta"], [c, "Add gamma"]]) {
		const entry = log.find((l) => l.split("\n")[0].endsWith(`|${subject}`));
		assert.ok(entry, `no commit "${subject}" on origin main:\n${log.join("\n---\n")}`);
		const [an, ae, cn, ce] = entry.split("|");
		assert.equal(an, "Alice Smith");
		assert.equal(ae, "alice@example.com");
		const agent = beads[id].worked_by;
		assert.match(cn, /\(Polecat\)$/);
		assert.equal(ce, `${agent}@${TOWN}.agents`);
		assert.match(entry, /Requested-by: Alice Smith <alice@example\.com>/);
		assert.match(entry, new RegExp(`Co-authored-by: .*\\(Polecat\\) <${agent}@${TOWN}\\.agents>`));
		assert.match(entry, new RegExp(`Bead-ID: ${id}`));
		const merge = log.find((l) => /\|Merge /.test(l.split("\n")[0]) && l.includes(`Bead-ID: ${id}`));
		assert.ok(merge, `no merge commit for ${id}`);
		assert.match(merge.split("|")[2], /\(Refinery\)$/);
		assert.equal(merge.split("|")[0], "Alice Smith");
	}
	// Status messages reached the town; the agent's output is in its stream.
	const agent = (await s.api("GET", `/agents/${beads[a].worked_by}`)).data;
	assert.ok(agent.status_history.some((h) => (h.message ?? h) === "beta written" || (h.message ?? h) === "alpha written"),
		JSON.stringify(agent.status_history));
	const stream = (await s.api("GET", `/agents/${beads[a].worked_by}/events`)).data;
	assert.ok(stream.some((e) => e.text.includes("alpha.txt")), JSON.stringify(stream.slice(0, 5)));
	// Every event of every bead is on Alice's account, whoever acted.
	for (const id of [a, b, c]) {
		const events = (await s.api("GET", `/beads/${id}/events`)).data.events;
		assert.ok(events.length >= 6);
		for (const e of events) assert.equal(e.requested_by, "alice", `${e.kind} by ${e.actor}`);
		assert.ok(events.some((e) => e.kind === "bead.dispatched"));
	}
});

test("a killed host loses nothing: the bead returns to open and runs again once the host is back", { timeout: 120_000 }, async (t) => {
	const s = await setup(t, { lost_after_s: 3 });
	const id = await s.bead("Two halves", script("write one.txt", "one", ".", "commit First half", "status first half done",
		"sleep 4", "write two.txt", "two", ".", "commit Second half", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app" })).status, 200);
	await s.until("the first half is done", async () => {
		const bead = (await s.api("GET", `/beads/${id}`)).data;
		return bead.worked_by && (await s.api("GET", `/agents/${bead.worked_by}`)).data.status === "first half done";
	}, 30_000);
	// The host dies with its agent and comes back at once, knowing nothing of the run: the agent
	// is silent for longer than lost_after_s, so the town takes the bead back and starts it again.
	await s.env.host.kill();
	await s.restartHost();
	await s.until("the town takes the bead back", async () => {
		const events = (await s.api("GET", `/beads/${id}/events`)).data.events;
		return events.some((e) => e.kind === "bead.requeued" && /presumed lost/.test(e.new ?? ""));
	}, 30_000);
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 60_000);
	const subjects = s.originLog("%s").split("\n");
	assert.equal(subjects.filter((x) => x === "First half").length, 1, `${subjects.join("\n")}\n${await s.dump()}`);
	assert.ok(subjects.includes("Second half"));
});

test("while the host is down a dispatch costs no attempt; the bead runs once the host is back", { timeout: 90_000 }, async (t) => {
	const s = await setup(t);
	await s.env.host.stop();
	const id = await s.bead("Waits for the host", script("write w.txt", "waited", ".", "commit Add w.txt", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app" })).status, 200);
	const refused = await s.until("the start is refused", async () => {
		const events = (await s.api("GET", `/beads/${id}/events`)).data.events;
		return events.find((e) => e.kind === "bead.requeued");
	}, 20_000);
	assert.match(refused.new, /agent host is unreachable/);
	assert.equal(refused.actor, "town");
	assert.equal(refused.requested_by, "alice");
	const bead = (await s.api("GET", `/beads/${id}`)).data;
	assert.equal(bead.status, "open");
	assert.equal(bead.attempts, 0);
	const feed = (await s.api("GET", "/events?limit=200")).data.events;
	assert.equal(feed.filter((e) => e.kind === "town.host_unreachable").length, 1);
	await s.restartHost();
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 60_000);
	assert.equal((await s.api("GET", `/beads/${id}`)).data.attempts, 0);
});

test("a merge conflict sends the bead back with the reason; done for a bead not held is refused", { timeout: 120_000 }, async (t) => {
	const s = await setup(t);
	const first = await s.bead("Write the greeting", script("write greeting.txt", "hello", ".", "commit Hello", "done"));
	const second = await s.bead("Write another greeting", script("sleep 2", "write greeting.txt", "bonjour", ".", "commit Bonjour", "done"));
	assert.equal((await s.api("POST", `/beads/${first}/sling`, { rig: "app" })).status, 200);
	assert.equal((await s.api("POST", `/beads/${second}/sling`, { rig: "app" })).status, 200);
	await eventually(async () => (await s.api("GET", `/beads/${first}`)).data.status === "closed", { timeoutMs: 60_000, everyMs: 500 });
	const back = await eventually(async () => {
		const events = (await s.api("GET", `/beads/${second}/events`)).data.events;
		return events.find((e) => e.kind === "bead.requeued" && /^conflict: /.test(e.new ?? ""));
	}, { timeoutMs: 60_000, everyMs: 500 });
	assert.match(back.new, /greeting\.txt/);
	// Origin's main kept the first greeting only.
	assert.equal(execFileSync("git", ["--git-dir", `${s.dir}/origin.git`, "show", "main:greeting.txt"], { encoding: "utf8" }), "hello\n");

	// An agent's token cannot report done for a bead it does not hold.
	const worker = (await s.api("GET", `/beads/${first}`)).data.worked_by;
	const token = (await s.api("POST", `/agents/${worker}/token`)).data.token;
	const refused = await s.api("POST", `/agents/${worker}/done`, { bead: second, branch: "gt/x/y" }, { authorization: `Bearer ${token}` });
	assert.equal(refused.status, 409);
	assert.equal(refused.body.error.reason, "not_holder");
});

test("a failing tick is rolled back and the alarm comes again", { timeout: 60_000 }, async (t) => {
	const s = await setup(t);
	const res = await fetch(`${s.base}/api/towns/${TOWN}/_test/kv/fail_ticks`, { method: "PUT", body: JSON.stringify({ value: "1" }) });
	assert.equal(res.status, 200);
	const id = await s.bead("After a bad tick", script("done"), { held: false, rig: "app" });
	const events = await eventually(async () => {
		const list = (await s.api("GET", `/beads/${id}/events`)).data.events;
		return list.some((e) => e.kind === "bead.dispatched") && list;
	}, { timeoutMs: 30_000, everyMs: 250 });
	const kv = await (await fetch(`${s.base}/api/towns/${TOWN}/_test/kv/fail_ticks`)).json();
	assert.equal(kv.data.value, "0");
	// The tick the new bead asked for failed and was undone; the one that dispatched came on the
	// retry, 10 s later. Without the fault the bead would be dispatched at once.
	const at = (kind) => events.find((e) => e.kind === kind).at_ms;
	assert.ok(at("bead.dispatched") - at("bead.created") >= 9000,
		`dispatched ${at("bead.dispatched") - at("bead.created")} ms after creation`);
});

test("a pr rig opens a pull request on the platform and closes the work when it is merged", { timeout: 60_000 }, async (t) => {
	const s = await setup(t);
	const seen = [];
	let polls = 0;
	const platform = createServer((req, res) => {
		let raw = "";
		req.on("data", (c) => { raw += c; });
		req.on("end", () => {
			seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: raw ? JSON.parse(raw) : null });
			res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" });
			if (req.method === "POST") res.end(JSON.stringify({ number: 12, html_url: "https://github.test/acme/app/pull/12" }));
			else res.end(JSON.stringify(++polls < 2 ? { number: 12, state: "open", merged: false }
				: { number: 12, state: "closed", merged: true, merge_commit_sha: "0123abcd" }));
		});
	});
	await new Promise((r) => platform.listen(0, "127.0.0.1", r));
	t.after(() => new Promise((r) => platform.close(r)));
	const api = `http://127.0.0.1:${platform.address().port}`;
	assert.equal((await s.api("PATCH", "/rigs/app", { merge_strategy: "pr", settings: { api_url: api, repo: "acme/app", pr_poll_s: 2 } })).status, 200);
	assert.equal((await s.api("PATCH", "", { secrets: { github_token: "ghp_e2e" } })).status, 200);
	const id = await s.bead("Through a pull request", script("write pr.txt", "via pr", ".", "commit Add pr.txt", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app" })).status, 200);
	await s.until("the pull request is merged", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 45_000);
	const open = seen.find((x) => x.method === "POST");
	assert.equal(open.url, "/repos/acme/app/pulls");
	assert.equal(open.auth, "Bearer ghp_e2e");
	assert.equal(open.body.base, "main");
	assert.match(open.body.head, new RegExp(`^gt/[a-z]+/${id}$`));
	assert.ok(seen.filter((x) => x.method === "GET" && x.url === "/repos/acme/app/pulls/12").length >= 2);
	// The branch the pull request names is on origin, with the work on it.
	assert.match(git(s.dir, "--git-dir", "origin.git", "log", open.body.head, "--format=%s"), /Add pr\.txt/);
	assert.match((await s.api("GET", `/beads/${id}`)).data.close_reason, /pull request #12/);
});

test("the runtime restarting mid-run dispatches nothing twice", { timeout: 90_000 }, async (t) => {
	const s = await setup(t);
	const id = await s.bead("Across a restart", script("status started", "sleep 3", "write r.txt", "restart", ".",
		"commit Add r.txt", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app" })).status, 200);
	await s.until("the run starts", async () => (await s.api("GET", `/beads/${id}`)).data.status === "in_progress", 20_000);
	// Restart while the agent sleeps, not while its `gt status` is in flight: a request cut by the
	// restart is one gt cannot know was received, so it fails the script and the run (a real
	// agent would go on); a refused one is sent again.
	await s.until("the agent says it started", async () => (await s.api("GET", "/agents/toast")).data.status === "started", 20_000);
	await s.restartWorker();
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 60_000);
	const events = (await s.api("GET", `/beads/${id}/events`)).data.events;
	const agentOut = async () => JSON.stringify((await s.api("GET", "/agents/toast/events?limit=100")).data, null, 1);
	assert.equal(events.filter((e) => e.kind === "bead.dispatched").length, 1,
		`${JSON.stringify(events.map((e) => [e.kind, e.new]))}\nagent's output:\n${await agentOut()}\nhost log:\n${s.env.host.log()}`);
	assert.equal(events.filter((e) => e.kind === "bead.requeued").length, 0);
});

test("an agent's model calls are metered by the host and charged to the human who slung the work", { timeout: 90_000 }, async (t) => {
	const s = await setup(t);
	// A model gateway on loopback answering in the OpenAI shape, with usage.
	const seen = [];
	const gateway = createServer((req, res) => {
		let raw = "";
		req.on("data", (c) => { raw += c; });
		req.on("end", () => {
			seen.push({ url: req.url, auth: req.headers.authorization });
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ id: "c1", model: "gpt-4o", choices: [{ message: { role: "assistant", content: "ok" } }],
				usage: { prompt_tokens: 1000, completion_tokens: 200, prompt_tokens_details: { cached_tokens: 0 } } }));
		});
	});
	await new Promise((r) => gateway.listen(0, "127.0.0.1", r));
	t.after(() => new Promise((r) => gateway.close(r)));
	assert.equal((await s.api("PATCH", "", { settings: { llm_base_url: `http://127.0.0.1:${gateway.address().port}` },
		secrets: { llm_api_key: "sk-gateway" } })).status, 200);
	const call = `curl -sf -H 'content-type: application/json' -H "authorization: Bearer $OPENAI_API_KEY" ` +
		`-d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' "$OPENAI_BASE_URL/chat/completions"`;
	const id = await s.bead("Think, then write", script(`run ${call}`, `run ${call}`, "write thought.txt", "thought", ".",
		"commit Add thought.txt", "done"));
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app" })).status, 200);
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 60_000);
	// The gateway saw the town's key, never the run's.
	assert.equal(seen.length, 2);
	for (const x of seen) {
		assert.equal(x.auth, "Bearer sk-gateway");
		assert.equal(x.url, "/v1/chat/completions");
	}
	// Two calls of 1000 in and 200 out at gpt-4o's $2.50/$10 per million: 4,500 microdollars each, Alice's.
	const costs = await s.until("the usage arrives", async () => {
		const c = (await s.api("GET", "/costs?by=user&period=day")).data;
		return c.total.records === 2 ? c : null;
	}, 20_000);
	assert.deepEqual(costs.rows.map((r) => [r.key, r.cost_microusd, r.input_tokens, r.output_tokens]), [["alice", 9000, 2000, 400]]);
	const byBead = (await s.api("GET", "/costs?by=bead&period=all")).data;
	assert.deepEqual(byBead.rows.map((r) => r.key), [id]);
});
