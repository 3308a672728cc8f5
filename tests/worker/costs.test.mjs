// costs.test.mjs - costs, budgets and the fleet through the real worker: usage reported by agents
// (with their town-minted tokens) lands on the human at the root of each piece of work, reports
// sent twice count once, the live ticker moves, budgets stop slinging with a named error and one
// escalation, a viewer cannot touch a budget, and the organization's fleet sums its towns.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:http";
import { SignJWT } from "jose";
import { call, eventually, startWorker } from "./harness.mjs";

const SECRET = "costs-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user, name: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key)}` });

const record = (id, bead, input, output, extra = {}) => ({ id, bead, model: "claude-sonnet-4", input_tokens: input,
	output_tokens: output, cache_read_tokens: 0, cache_write_tokens: 0, ...extra });

// A town of the org with rig "r", a polecat and a refinery, and tokens for both.
async function orgTown(mf, H, town) {
	assert.ok([201, 202].includes((await call(mf, "POST", `/api/orgs/acme/towns/${town}`, { name: town }, H.alice)).status));
	await eventually(async () => (await call(mf, "GET", `/api/towns/${town}`, undefined, H.bob)).status === 200, { timeoutMs: 5000 });
	const T = `/api/towns/${town}`;
	assert.equal((await call(mf, "POST", `${T}/rigs`, { id: "r", git_url: "https://example.com/r.git" }, H.alice)).status, 201);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "polecat", rig: "r" }, H.alice)).status, 201);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "refinery", rig: "r" }, H.alice)).status, 201);
	const triage = (await call(mf, "POST", `${T}/agents`, { role: "triage" }, H.alice)).body.data.id;
	const token = async (agent) => ({ authorization: `Bearer ${(await call(mf, "POST", `${T}/agents/${agent}/token`, undefined, H.alice)).body.data.token}` });
	return { T, polecat: await token("toast"), refinery: await token("refinery-r"), triage, triageToken: await token(triage) };
}

test("usage lands on the human at the root; budgets stop work; the fleet sums the towns", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const H = { alice: await as("alice"), bob: await as("bob"), vic: await as("vic") };
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, H.alice)).status, 201);
	assert.equal((await call(mf, "PUT", "/api/orgs/acme/members/bob", { role: "member" }, H.alice)).status, 200);
	assert.equal((await call(mf, "PUT", "/api/orgs/acme/members/vic", { role: "viewer" }, H.alice)).status, 200);
	const one = await orgTown(mf, H, "acme-one"), two = await orgTown(mf, H, "acme-two");

	// Alice's chain in town one: the polecat's work and the refinery's review of its merge request
	// both land on Alice, whoever made the merge request bead.
	const work = (await call(mf, "POST", `${one.T}/beads`, { title: "Alice's feature", rig: "r" }, H.alice)).body.data.id;
	const mr = (await call(mf, "POST", `${one.T}/beads`, { title: "Merge", type: "merge-request", parent: work }, H.bob)).body.data.id;
	// The live cost ticker: a member's socket hears the new totals with each report.
	const sock = await mf.dispatchFetch(`http://gastown.test${one.T}/ws?token=${H.vic.authorization.slice(7)}`, { headers: { upgrade: "websocket" } });
	assert.equal(sock.status, 101);
	const ws = sock.webSocket;
	ws.accept();
	const frames = [];
	ws.addEventListener("message", (e) => frames.push(JSON.parse(e.data)));
	let r = await call(mf, "POST", `${one.T}/agents/toast/usage`, { records: [record("p1", work, 1000, 1000)] }, one.polecat);
	assert.equal(r.status, 200, r.text);
	const tick = await eventually(() => frames.find((f) => f.type === "costs"), { timeoutMs: 3000 });
	assert.deepEqual(tick.town, { day: 18000, week: 18000, month: 18000 });
	ws.close();
	r = await call(mf, "POST", `${one.T}/agents/refinery-r/usage`, { records: [record("v1", mr, 2000, 0)] }, one.refinery);
	assert.equal(r.status, 200, r.text);
	// Triage looking into Alice's bead: Alice's too (1000 in = 3,000 microdollars).
	r = await call(mf, "POST", `${one.T}/agents/${one.triage}/usage`, { records: [record("t1", work, 1000, 0)] }, one.triageToken);
	assert.equal(r.status, 200, r.text);
	// The same report again counts once.
	r = await call(mf, "POST", `${one.T}/agents/toast/usage`, { records: [record("p1", work, 1000, 1000)] }, one.polecat);
	assert.deepEqual(r.body.data, { accepted: 0, duplicates: 1 });
	// Bob's work in town two lands on Bob; the upstream's own cost is kept.
	const bobs = (await call(mf, "POST", `${two.T}/beads`, { title: "Bob's fix", rig: "r" }, H.bob)).body.data.id;
	r = await call(mf, "POST", `${two.T}/agents/toast/usage`, { records: [record("b1", bobs, 10, 10, { cost_microusd: 47_000_000 })] }, two.polecat);
	assert.equal(r.status, 200, r.text);

	const byUser = (await call(mf, "GET", `${one.T}/costs?by=user&period=week`, undefined, H.vic)).body.data;
	assert.deepEqual(byUser.rows.map((x) => [x.key, x.cost_microusd]), [["alice", 27000]]); // 18,000 + 6,000 + 3,000
	assert.equal(byUser.total.cost_microusd, 27000);
	const byBead = (await call(mf, "GET", `${one.T}/costs?by=bead&period=all`, undefined, H.vic)).body.data;
	assert.deepEqual(byBead.rows.map((x) => [x.key, x.cost_microusd]), [[work, 27000]]);
	const byAgent = (await call(mf, "GET", `${one.T}/costs?by=agent&period=day`, undefined, H.vic)).body.data;
	assert.deepEqual(byAgent.rows.map((x) => x.key).sort(), [one.triage, "refinery-r", "toast"].sort());
	assert.equal((await call(mf, "GET", `${one.T}/costs?by=nothing`, undefined, H.vic)).status, 400);
	assert.equal((await call(mf, "GET", `${one.T}/costs`, undefined, {})).status, 401);

	// Budgets: a viewer cannot set one; at the limit slinging is refused by name, with one escalation.
	assert.equal((await call(mf, "PUT", `${one.T}/budgets/user-week/alice`, { limit_microusd: 20000 }, H.vic)).status, 403);
	r = await call(mf, "PUT", `${one.T}/budgets/user-week/alice`, { limit_microusd: 20000 }, H.alice);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.body.data[0].state, "reached");
	r = await call(mf, "POST", `${one.T}/agents/toast/usage`, { records: [record("p2", work, 1, 1)] }, one.polecat);
	assert.equal(r.status, 200);
	const next = (await call(mf, "POST", `${one.T}/beads`, { title: "More", held: true }, H.alice)).body.data.id;
	r = await call(mf, "POST", `${one.T}/beads/${next}/sling`, { rig: "r" }, H.alice);
	assert.equal(r.status, 409);
	assert.equal(r.body.error.reason, "budget_exceeded");
	assert.match(r.body.error.message, /budget user-week:alice is at its limit: \$0\.02 spent of \$0\.02/);
	const escalations = (await call(mf, "GET", `${one.T}/escalations`, undefined, H.alice)).body.data;
	assert.equal(escalations.filter((e) => e.title.startsWith("Budget user-week:alice reached")).length, 1);
	// The refused sling left no trace: the bead is still held, with no rig.
	const held = (await call(mf, "GET", `${one.T}/beads/${next}`, undefined, H.alice)).body.data;
	assert.equal(held.held, true);
	assert.equal(held.rig, null);
	// Raised, the sling goes through.
	assert.equal((await call(mf, "PUT", `${one.T}/budgets/user-week/alice`, { limit_microusd: 100000 }, H.alice)).status, 200);
	assert.equal((await call(mf, "POST", `${one.T}/beads/${next}/sling`, { rig: "r" }, H.alice)).status, 200);

	// The fleet: the organization sums both towns, per town and per person.
	const fleet = await eventually(async () => {
		const f = await call(mf, "GET", "/api/orgs/acme/fleet?period=week", undefined, H.alice);
		return f.status === 200 && f.body.data.towns.length === 2 && f.body.data.users.length === 2 ? f.body.data : null;
	}, { timeoutMs: 20_000, everyMs: 250 });
	assert.deepEqual(Object.fromEntries(fleet.users.map((u) => [u.user, u.cost_microusd])), { alice: 27018, bob: 47_000_000 });
	assert.deepEqual(Object.fromEntries(fleet.towns.map((x) => [x.town, x.cost_microusd])), { "acme-one": 27018, "acme-two": 47_000_000 });
	assert.equal(fleet.users.find((u) => u.user === "bob").rigs, 1);
	// Members who are not admins see no fleet; outsiders learn nothing.
	assert.equal((await call(mf, "GET", "/api/orgs/acme/fleet", undefined, H.bob)).status, 403);
	assert.equal((await call(mf, "GET", "/api/orgs/acme/fleet", undefined, await as("olga"))).status, 404);
});

test("a budget at its limit holds back dispatch with one escalation, and raising it resumes work", async (t) => {
	// A stand-in container that records the starts the town asks for.
	const starts = [];
	const container = createServer((req, res) => {
		let raw = "";
		req.on("data", (c) => { raw += c; });
		req.on("end", () => {
			if (req.url.endsWith("/start")) starts.push(JSON.parse(raw).bead.id);
			res.writeHead(202, { "content-type": "application/json" });
			res.end('{"data":{"state":"starting"}}');
		});
	});
	await new Promise((r) => container.listen(0, "127.0.0.1", r));
	t.after(() => new Promise((r) => container.close(r)));
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET, GASTOWN_CONTAINER_SECRET: "costs-container-secret-0123456789abcdef",
		GASTOWN_AGENT_HOST_URL: `http://127.0.0.1:${container.address().port}` } });
	t.after(() => mf.dispose());
	const H = { alice: await as("alice") };
	const T = "/api/towns/held";
	assert.equal((await call(mf, "POST", T, { name: "Held" }, H.alice)).status, 201);
	assert.equal((await call(mf, "POST", `${T}/rigs`, { id: "r", git_url: "https://example.com/r.git" }, H.alice)).status, 201);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "polecat", rig: "r" }, H.alice)).status, 201);
	const polecat = { authorization: `Bearer ${(await call(mf, "POST", `${T}/agents/toast/token`, undefined, H.alice)).body.data.token}` };
	const spent = (await call(mf, "POST", `${T}/beads`, { title: "Spent" }, H.alice)).body.data.id;
	assert.equal((await call(mf, "PUT", `${T}/budgets/rig-day/r`, { limit_microusd: 10000 }, H.alice)).status, 200);
	const used = await call(mf, "POST", `${T}/agents/toast/usage`, { records: [record("x1", spent, 1000, 1000, { cost_microusd: 12000 })] }, polecat);
	assert.equal(used.status, 200, used.text);
	// Work on the rig is ready, but the rig's day is spent: ticks pass and nothing starts.
	const ready = (await call(mf, "POST", `${T}/beads`, { title: "Ready", rig: "r" }, H.alice)).body.data.id;
	await new Promise((r) => setTimeout(r, 6500));
	assert.deepEqual(starts, []);
	const esc = (await call(mf, "GET", `${T}/escalations`, undefined, H.alice)).body.data;
	assert.equal(esc.filter((e) => e.title === "Budget rig-day:r reached: raise it?").length, 1, JSON.stringify(esc.map((e) => e.title)));
	// Raised: the next tick starts it.
	assert.equal((await call(mf, "PUT", `${T}/budgets/rig-day/r`, { limit_microusd: 50000 }, H.alice)).status, 200);
	await eventually(() => starts.includes(ready), { timeoutMs: 10_000, everyMs: 100 });
	const feed = (await call(mf, "GET", `${T}/events?limit=200`, undefined, H.alice)).body.data.events.map((e) => e.kind);
	for (const kind of ["budget.set", "budget.reached", "bead.dispatched"]) assert.ok(feed.includes(kind), kind);
});

test("a PUT of a price or a budget patches what it sends; a new one without its required values is refused and changes nothing", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const alice = await as("alice");
	const T = "/api/towns/patch";
	assert.equal((await call(mf, "POST", T, { name: "Patch" }, alice)).status, 201);
	const digest = async () => (await call(mf, "GET", `${T}/debug/storage`, undefined, { authorization: "Bearer test-operator-token" })).body.data.digest;
	const price = async (model) => (await call(mf, "GET", `${T}/prices`, undefined, alice)).body.data.find((p) => p.model === model);
	const budget = async () => (await call(mf, "GET", `${T}/budgets`, undefined, alice)).body.data.find((b) => b.key === "alice");

	// New ones need their core values: refused with the field named, nothing stored.
	const before = await digest();
	for (const [path, body, field] of [
		[`${T}/prices/gpt-patch`, { input_per_mtok: 5 }, "output_per_mtok"],
		[`${T}/prices/gpt-patch`, { cache_read_per_mtok: 1 }, "input_per_mtok"],
		[`${T}/budgets/user-day/alice`, { soft_pct: 50 }, "limit_microusd"],
		[`${T}/budgets/user-day/alice`, {}, "limit_microusd"],
	]) {
		const r = await call(mf, "PUT", path, body, alice);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.body.error.field, field, r.text);
	}
	assert.equal(await digest(), before);

	assert.equal((await call(mf, "PUT", `${T}/prices/gpt-patch`, { input_per_mtok: 5, output_per_mtok: 7, cache_read_per_mtok: 2, cache_write_per_mtok: 3 }, alice)).status, 200);
	// One value sent: the others stay (they used to fall back to 0).
	const patched = await call(mf, "PUT", `${T}/prices/gpt-patch`, { output_per_mtok: 9 }, alice);
	assert.equal(patched.status, 200, patched.text);
	const p = await price("gpt-patch");
	assert.deepEqual([p.input_per_mtok, p.output_per_mtok, p.cache_read_per_mtok, p.cache_write_per_mtok], [5, 9, 2, 3]);

	assert.equal((await call(mf, "PUT", `${T}/budgets/user-day/alice`, { limit_microusd: 5000000, soft_pct: 50 }, alice)).status, 200);
	assert.equal((await call(mf, "PUT", `${T}/budgets/user-day/alice`, { limit_microusd: 7000000 }, alice)).status, 200);
	assert.deepEqual([(await budget()).limit_microusd, (await budget()).soft_pct], [7000000, 50], "soft_pct kept");
	assert.equal((await call(mf, "PUT", `${T}/budgets/user-day/alice`, { soft_pct: 75 }, alice)).status, 200);
	assert.deepEqual([(await budget()).limit_microusd, (await budget()).soft_pct], [7000000, 75], "limit kept");
	// A new budget's warning is at 90 unless sent.
	assert.equal((await call(mf, "PUT", `${T}/budgets/user-week/alice`, { limit_microusd: 1 }, alice)).status, 200);
	assert.equal((await call(mf, "GET", `${T}/budgets`, undefined, alice)).body.data.find((b) => b.scope === "user-week").soft_pct, 90);
	// Wrong types are still refused.
	assert.equal((await call(mf, "PUT", `${T}/budgets/user-day/alice`, { soft_pct: "half" }, alice)).status, 400);
	assert.equal((await call(mf, "PUT", `${T}/prices/gpt-patch`, { input_per_mtok: -1 }, alice)).status, 400);
});
