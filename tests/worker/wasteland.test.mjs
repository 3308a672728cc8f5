// wasteland.test.mjs - the town in the Wasteland through the worker in workerd (docs/wasteland.md),
// against a local DoltHub API whose statements run on a real MariaDB (fake-dolthub.mjs): the
// database made and the commons 1.2 schema written statement by statement; labelled beads become
// wanted posters, closed ones completions, their agents rigs, and the commons' rows equal what the
// town's beads say; DoltHub failing (500s, calls never answered, SQL errors, no-op writes), a replay
// of every bead and a kill of workerd mid-sync all converge to the same rows; a full sync of 10,000
// beads runs in its own object (DoltSyncDO), survives the kill and hands over to the town's queue;
// bad input is refused and leaves nothing.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SignJWT } from "jose";
import { ROOT, call, eventually, operator, quietDigest, startWorker, tempDir } from "./harness.mjs";
import { startFakeDoltHub, startMariaDB } from "./fake-dolthub.mjs";

const SECRET = "wasteland-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user, name: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("30m").sign(key)}` });
const T = "/api/towns/yard";
const WAIT = { timeoutMs: 60000, everyMs: 100 };
const hex = (s, n) => createHash("sha256").update(s).digest("hex").slice(0, n);
const wantedId = (bead) => `w-${hex(`yard|${bead}`, 10)}`;
const completionId = (bead) => `c-${hex(`${wantedId(bead)}|yard-rig`, 16)}`;
const ts = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace("T", " ").slice(0, 19);
const connect = (fake, extra = {}) => ({ owner: "acme", database: "commons", handle: "yard-rig", display_name: "The Yard",
	api_url: fake.url, token: fake.token, cadence_s: 1, timeout_s: 2, ...extra });

async function town(mf, H) {
	assert.equal((await call(mf, "POST", T, { name: "Yard" }, H)).status, 201);
}

async function synced(mf, H, wait = WAIT) {
	return eventually(async () => {
		const r = await call(mf, "GET", `${T}/wasteland`, undefined, H);
		return r.status === 200 && r.body.data.state === "synced" && r.body.data.in_flight === "" && r.body.data;
	}, wait);
}

// The commons' rows the town's beads imply: a poster per labelled bead (withdrawn once unlabelled
// or gone), a completion per closed one, a rig per agent that worked one.
async function expected(mf, H, gone = []) {
	const beads = [];
	for (let cursor = null; ;) {
		const page = (await call(mf, "GET", `${T}/beads?label=wasteland&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
			undefined, H)).body.data;
		beads.push(...page.beads);
		if (page.next_cursor === null) break;
		cursor = page.next_cursor;
	}
	const status = { in_progress: "claimed", in_review: "in_review", closed: "completed" };
	const wanted = beads.map((b) => ({
		id: wantedId(b.id), title: b.title, description: b.body, project: b.rig ?? "", type: b.type === "bug" ? "bug" : "feature",
		priority: b.priority, tags: b.labels.filter((l) => l !== "wasteland"), posted_by: "yard-rig",
		claimed_by: status[b.status] && (b.assignee || b.worked_by) ? `yard-rig-${b.assignee || b.worked_by}` : null,
		status: status[b.status] ?? "open", created_at: ts(b.created_ms), updated_at: ts(b.updated_ms),
	}));
	for (const id of gone) wanted.push({ id: wantedId(id), status: "withdrawn", claimed_by: null });
	const completions = beads.filter((b) => b.status === "closed").map((b) => ({
		id: completionId(b.id), wanted_id: wantedId(b.id), completed_by: b.worked_by || b.assignee ? `yard-rig-${b.assignee || b.worked_by}` : "yard-rig",
	}));
	return { wanted: wanted.sort((a, b) => a.id.localeCompare(b.id)), completions: completions.sort((a, b) => a.id.localeCompare(b.id)) };
}

async function commons(fake) {
	const wanted = await fake.query("acme", "commons", "SELECT id, title, description, project, type, priority, tags, posted_by,"
		+ " claimed_by, status, created_at, updated_at FROM wanted ORDER BY id");
	const completions = await fake.query("acme", "commons", "SELECT id, wanted_id, completed_by FROM completions ORDER BY id");
	const rigs = await fake.query("acme", "commons", "SELECT handle, display_name, rig_type, parent_rig, dolthub_org FROM rigs ORDER BY handle");
	return { wanted, completions, rigs };
}

function sameRows(got, want) {
	assert.deepEqual(got.completions, want.completions);
	assert.equal(got.wanted.length, want.wanted.length, JSON.stringify(got.wanted.map((w) => w.id)));
	for (const [i, w] of want.wanted.entries())
		for (const [k, v] of Object.entries(w)) assert.deepEqual(got.wanted[i][k], v, `wanted ${w.id}.${k}`);
}

test("a town connected to the Wasteland: the database made, schema 1.2, its board and completions as its beads say", async (t) => {
	const fake = await startFakeDoltHub(t);
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const ana = await as("ana");
	await town(mf, ana);
	// Beads on the board before the town connects are published when it does.
	const early = await call(mf, "POST", `${T}/beads`, { title: "Early poster", body: "it's \\ 'quoted'", labels: ["wasteland", "infra"] }, ana);
	assert.equal(early.status, 201, early.text);

	const put = await call(mf, "PUT", `${T}/wasteland`, connect(fake, { create: true }), ana);
	assert.equal(put.status, 200, put.text);
	assert.ok(!put.text.includes(fake.token), "the token is never in an answer");
	assert.equal(put.body.data.token_set, true);
	assert.equal(put.body.data.schema_total, 10);
	let st = await synced(mf, ana);
	assert.equal(st.schema_step, 10);
	// The database was made through the API, and the schema is commons 1.2.
	assert.ok(fake.requests.some((r) => r.method === "POST" && r.path === "/database"));
	const tables = (await fake.query("acme", "commons", "SHOW TABLES")).map((r) => Object.values(r)[0]).sort();
	assert.deepEqual(tables, ["_meta", "badges", "boot_blocks", "chain_meta", "completions", "rig_links", "rigs", "stamps", "wanted"]);
	assert.deepEqual(await fake.query("acme", "commons", "SELECT value FROM _meta WHERE `key` = 'schema_version'"), [{ value: "1.2" }]);
	assert.ok(fake.requests.every((r) => r.auth === `token ${fake.token}`));

	// The town's work: posters, one claimed by an agent, one closed, one never labelled, one unlabelled
	// later, one deleted.
	const mk = async (body) => (await call(mf, "POST", `${T}/beads`, body, ana)).body.data.id;
	const bug = await mk({ title: "Checkout race", type: "bug", priority: 1, labels: ["wasteland", "payments"] });
	const claimed = await mk({ title: "Claimed work", labels: ["wasteland"] });
	const done = await mk({ title: "Done work", labels: ["wasteland"] });
	const quiet = await mk({ title: "Not on the board", labels: ["internal"] });
	const unlabelled = await mk({ title: "Taken off the board", labels: ["wasteland"] });
	const deleted = await mk({ title: "Deleted poster", labels: ["wasteland"] });
	for (const [id, patch] of [[claimed, { status: "in_progress", assignee: "polecat-1" }], [done, { status: "in_progress", assignee: "polecat-2" }]]) {
		const r = await call(mf, "PATCH", `${T}/beads/${id}`, patch, ana);
		assert.equal(r.status, 200, r.text);
	}
	assert.equal((await call(mf, "POST", `${T}/beads/${done}/close`, { reason: "merged" }, ana)).status, 200);
	await synced(mf, ana);
	assert.equal((await call(mf, "PATCH", `${T}/beads/${unlabelled}`, { labels: ["later"] }, ana)).status, 200);
	assert.equal((await call(mf, "DELETE", `${T}/beads/${deleted}`, undefined, ana)).status, 200);
	st = await synced(mf, ana);
	assert.equal(st.queued, 0);
	assert.equal(st.failures, 0);

	const got = await commons(fake);
	const want = await expected(mf, ana, [deleted, unlabelled].sort((a, b) => wantedId(a).localeCompare(wantedId(b))));
	want.wanted.sort((a, b) => a.id.localeCompare(b.id));
	sameRows(got, want);
	assert.ok(!got.wanted.some((w) => w.id === wantedId(quiet)), "a bead without the label is not published");
	assert.equal(got.wanted.find((w) => w.id === wantedId(early.body.data.id)).description, "it's \\ 'quoted'");
	assert.deepEqual(got.wanted.find((w) => w.id === wantedId(bug)).tags, ["payments"]);
	// The town's rig and its agents' (the ones that claimed or completed a poster).
	assert.deepEqual(got.rigs, [
		{ handle: "yard-rig", display_name: "The Yard", rig_type: "town", parent_rig: null, dolthub_org: "acme" },
		{ handle: "yard-rig-polecat-1", display_name: "polecat-1", rig_type: "agent", parent_rig: "yard-rig", dolthub_org: "acme" },
		{ handle: "yard-rig-polecat-2", display_name: "polecat-2", rig_type: "agent", parent_rig: "yard-rig", dolthub_org: "acme" },
	]);

	// Reopened: its completion goes. Relabelled: back on the board.
	assert.equal((await call(mf, "PATCH", `${T}/beads/${done}`, { status: "open" }, ana)).status, 200);
	assert.equal((await call(mf, "PATCH", `${T}/beads/${unlabelled}`, { labels: ["wasteland"] }, ana)).status, 200);
	await synced(mf, ana);
	sameRows(await commons(fake), await expected(mf, ana, [deleted]));
	assert.deepEqual(await fake.query("acme", "commons", "SELECT count(*) AS n FROM completions"), [{ n: 0 }]);

	// Disconnected: the town stops writing; the commons keeps what it was sent.
	const writes = fake.statements.length;
	assert.equal((await call(mf, "DELETE", `${T}/wasteland`, undefined, ana)).status, 200);
	assert.equal((await call(mf, "GET", `${T}/wasteland`, undefined, ana)).status, 404);
	await mk({ title: "After the end", labels: ["wasteland"] });
	await new Promise((r) => setTimeout(r, 1500));
	assert.equal(fake.statements.length, writes);
	assert.ok(!JSON.stringify((await call(mf, "GET", T, undefined, ana)).body.data.secrets ?? {}).includes("dolthub_token"));
});

test("DoltHub failing: 500s, calls never answered, SQL errors, slow operations, no-op writes and a replay all converge", async (t) => {
	const fake = await startFakeDoltHub(t);
	await fake.createDatabase("acme", "commons");
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const ana = await as("ana");
	await town(mf, ana);
	for (let i = 0; i < 12; i++)
		await call(mf, "POST", `${T}/beads`, { title: `Poster ${i}`, labels: ["wasteland", `n${i % 3}`] }, ana);
	fake.fail("write", "500", 2);
	fake.fail("poll", "timeout", 1);
	fake.pendingPolls = 1;
	// The database exists: asked to create it, the town takes "already exists" as done.
	assert.equal((await call(mf, "PUT", `${T}/wasteland`, connect(fake, { create: true }), ana)).status, 200);
	const retrying = await eventually(async () => {
		const d = (await call(mf, "GET", `${T}/wasteland`, undefined, ana)).body.data;
		return d.failures > 0 && d;
	}, WAIT);
	assert.equal(retrying.state, "retrying");
	assert.match(retrying.last_error, /HTTP 500/);
	fake.pendingPolls = 0;
	await synced(mf, ana);
	fake.fail("write", "sql-error", 1);
	await call(mf, "POST", `${T}/beads`, { title: "After the errors", labels: ["wasteland"] }, ana);
	const after = await synced(mf, ana);
	assert.equal(after.last_error, null);
	const first = await commons(fake);
	sameRows(first, await expected(mf, ana));
	assert.equal(first.wanted.length, 13);

	// A replay of every bead changes nothing: each write is a no-op DoltHub answers 400 to.
	fake.pendingPolls = 0;
	const before = fake.statements.length;
	const replay = await call(mf, "POST", `${T}/wasteland/sync?replay=true`, undefined, ana);
	assert.equal(replay.status, 202, replay.text);
	await synced(mf, ana);
	assert.deepEqual(await commons(fake), first);
	assert.ok(fake.statements.length > before, "the replay was sent");
});

test("a full sync of a 10,000-bead town, workerd killed mid-way: it resumes, finishes and hands over", async (t) => {
	const dir = tempDir(t);
	const fake = await startFakeDoltHub(t);
	await fake.createDatabase("acme", "commons");
	fake.pendingPolls = 1;
	let mf = startWorker({ port: 0, persist: dir, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	const ana = await as("ana");
	await town(mf, ana);
	// 10,000 beads on the board (brought in as bd's JSONL, 2,000 lines a call): the full sync object
	// writes them 200 a page.
	const N = 10000;
	for (let at = 0; at < N; at += 2000) {
		const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: `bd-${at + i}`, title: `Item ${at + i}`,
			status: (at + i) % 10 ? "open" : "closed", labels: ["wasteland"] })).join("\n");
		const imported = await call(mf, "POST", `${T}/import?first_line=${at + 1}`, `${lines}\n`,
			{ ...ana, "content-type": "application/x-ndjson" });
		assert.equal(imported.status, 201, imported.text);
	}
	assert.equal((await call(mf, "PUT", `${T}/wasteland`, connect(fake), ana)).status, 200);
	const midway = await eventually(async () => {
		const d = (await call(mf, "GET", `${T}/wasteland`, undefined, ana)).body.data;
		return d.full_sync?.paged > 0 && d;
	}, WAIT);
	assert.equal(midway.state, "syncing");
	assert.equal(midway.full_sync.running, true);
	assert.equal(midway.full_sync.total, N);
	// The town wrote only the schema and its rig: the beads are the sync object's.
	assert.equal(midway.writes, 11);
	await mf.dispose();
	mf = startWorker({ port: 0, persist: dir, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	fake.pendingPolls = 0;
	// The alarms bring both objects back; the town is read throughout, never held by the sync.
	const reads = [];
	const done = await eventually(async () => {
		const r = await call(mf, "GET", `${T}/wasteland`, undefined, ana);
		reads.push(r.status);
		const d = r.body.data;
		return d?.state === "synced" && d.in_flight === "" && !d.full_sync.running && d;
	}, { timeoutMs: 180000, everyMs: 250 });
	assert.ok(reads.every((s) => s === 200));
	assert.deepEqual([done.full_sync.paged, done.full_sync.total, done.posted], [N, N, N]);
	assert.ok(done.full_sync.finished_ms >= done.full_sync.started_ms);
	// The town wrote the schema and its rig; the full sync, 50 pages of posters and completions (a
	// write in flight at the kill is sent again, and its no-op answer counts once more).
	assert.equal(done.writes, 11);
	assert.ok(done.full_sync.writes >= 100 && done.full_sync.writes <= 101, `${done.full_sync.writes} writes`);
	const rows = await commons(fake);
	sameRows(rows, await expected(mf, ana));
	assert.deepEqual([rows.wanted.length, rows.completions.length], [N, N / 10]);
	// Handed over: a change now is the town's own write.
	const first = (await call(mf, "GET", `${T}/beads?label=wasteland&limit=1`, undefined, ana)).body.data.beads[0];
	assert.equal((await call(mf, "PATCH", `${T}/beads/${first.id}`, { title: "After the handover" }, ana)).status, 200);
	const after = await synced(mf, ana);
	assert.equal(after.writes, 12);
	assert.equal((await fake.query("acme", "commons", "SELECT title FROM wanted WHERE id = ?", [wantedId(first.id)]))[0].title,
		"After the handover");
});

test("the full sync's own object: failures reported, changes held for the handover, a new token taken, a disconnect stops it", async (t) => {
	const fake = await startFakeDoltHub(t);
	await fake.createDatabase("acme", "commons");
	fake.pendingPolls = 2;
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const ana = await as("ana");
	await town(mf, ana);
	const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `bd-${i}`, title: `Item ${i}`,
		status: i % 7 ? "open" : "closed", labels: ["wasteland"] })).join("\n");
	assert.equal((await call(mf, "POST", `${T}/import`, `${lines}\n`, { ...ana, "content-type": "application/x-ndjson" })).status, 201);
	const state = async () => (await call(mf, "GET", `${T}/wasteland`, undefined, ana)).body.data;
	assert.equal((await call(mf, "PUT", `${T}/wasteland`, connect(fake), ana)).status, 200);
	await eventually(async () => (await state()).full_sync?.paged >= 100, WAIT);

	// DoltHub fails the sync object's writes: the town shows why while the sync backs off.
	fake.fail("write", "500", 2);
	const failing = await eventually(async () => {
		const d = await state();
		return d.full_sync.last_error && d;
	}, WAIT);
	assert.equal(failing.state, "retrying");
	assert.match(failing.full_sync.last_error, /HTTP 500/);
	assert.equal(failing.full_sync.running, true);

	// A change meanwhile waits in the town's queue: written after the handover, over the sync's row.
	const newest = (await call(mf, "GET", `${T}/beads?label=wasteland&limit=1`, undefined, ana)).body.data.beads[0];
	assert.equal(newest.title, "Item 299");
	assert.equal((await call(mf, "PATCH", `${T}/beads/${newest.id}`, { title: "Renamed during the full sync" }, ana)).status, 200);
	assert.ok((await state()).queued >= 1, "the town holds its queue while the full sync runs");

	// The token is rotated: the town's new one reaches the sync object, which was refused with the old.
	fake.token = "rotated-token";
	assert.equal((await call(mf, "PUT", `${T}/wasteland`, connect(fake), ana)).status, 200);
	fake.pendingPolls = 0;
	const done = await synced(mf, ana);
	assert.deepEqual([done.full_sync.running, done.full_sync.paged, done.full_sync.total, done.full_sync.last_error],
		[false, 300, 300, null]);
	assert.equal(done.full_sync.writes, 4, "two pages (200 and 100 beads), each its posters and its completions");
	const rows = await commons(fake);
	sameRows(rows, await expected(mf, ana));
	assert.equal(rows.wanted.find((w) => w.id === wantedId(newest.id)).title, "Renamed during the full sync");
	const kinds = [];
	for (let after = 0; ;) {
		const page = (await call(mf, "GET", `${T}/events?limit=500&after=${after}`, undefined, ana)).body.data;
		if (!page.events.length) break;
		kinds.push(...page.events.map((e) => e.kind));
		after = page.next_after;
	}
	assert.ok(kinds.includes("wasteland.synced"), "the handover is in the town's feed");

	// Another full sync, and a disconnect while it runs: its object stops at once, mid-page.
	fake.pendingPolls = 3;
	assert.equal((await call(mf, "POST", `${T}/wasteland/sync?replay=true`, undefined, ana)).status, 202);
	await eventually(async () => (await state()).full_sync?.writes >= 1, WAIT);
	assert.equal((await call(mf, "DELETE", `${T}/wasteland`, undefined, ana)).status, 200);
	await new Promise((r) => setTimeout(r, 1500));
	const after = fake.requests.length;
	await new Promise((r) => setTimeout(r, 3000));
	assert.equal(fake.requests.length, after, "nothing is sent once the town is disconnected");
});

test("bad input: wrong bodies, no token, other roles, unknown connections are refused and change nothing", async (t) => {
	const mariadb = await startMariaDB(t);
	const fake = await startFakeDoltHub(t, { mariadb });
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const [ana, mel, vic] = [await as("ana"), await as("mel"), await as("vic")];
	await town(mf, ana);
	assert.equal((await call(mf, "PUT", `${T}/members/mel`, { role: "member" }, ana)).status, 200);
	assert.equal((await call(mf, "PUT", `${T}/members/vic`, { role: "viewer" }, ana)).status, 200);
	assert.equal((await call(mf, "GET", `${T}/wasteland`, undefined, ana)).status, 404);
	const before = await quietDigest(mf, T);
	const good = connect(fake);
	for (const [body, status, field] of [
		[{ ...good, owner: "no/slash" }, 400, "owner"],
		[{ ...good, database: "" }, 400, "database"],
		[{ ...good, handle: 7 }, 400, "handle"],
		[{ ...good, api_url: "ftp://x" }, 400, "api_url"],
		[{ ...good, api_url: `${fake.url}/` }, 400, "api_url"],
		[{ ...good, cadence_s: 0 }, 400, "cadence_s"],
		[{ ...good, token: undefined }, 400, "token"],
		[{ ...good, token: "x".repeat(2000) }, 400, "token"],
		["{not json", 400, undefined],
	]) {
		const r = await call(mf, "PUT", `${T}/wasteland`, body, ana);
		assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
		if (field) assert.equal(r.body.error.field, field, r.text);
	}
	for (const [who, H] of [["member", mel], ["viewer", vic]])
		assert.equal((await call(mf, "PUT", `${T}/wasteland`, good, H)).status, 403, who);
	assert.equal((await call(mf, "DELETE", `${T}/wasteland`, undefined, ana)).status, 404);
	assert.equal((await call(mf, "POST", `${T}/wasteland/sync`, undefined, ana)).status, 404);
	assert.equal((await call(mf, "POST", `${T}/wasteland/sync?replay=maybe`, undefined, ana)).status, 400);
	assert.equal((await call(mf, "GET", `${T}/debug/storage`, undefined, operator)).body.data.digest, before);
	assert.equal(fake.requests.length, 0, "nothing was sent");
	// A member reads the connection once there is one; the token stays unreadable.
	assert.equal((await call(mf, "PUT", `${T}/wasteland`, good, ana)).status, 200);
	const seen = await call(mf, "GET", `${T}/wasteland`, undefined, mel);
	assert.equal(seen.status, 200);
	assert.equal((await call(mf, "GET", `${T}/wasteland`, undefined, vic)).status, 403);
	assert.ok(!seen.text.includes(fake.token));
	assert.equal((await call(mf, "POST", `${T}/wasteland/sync`, undefined, mel)).status, 403);
});

test("gt wasteland: connect with the token from a file, status, sync --replay, disconnect", async (t) => {
	const fake = await startFakeDoltHub(t);
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const ana = await as("ana");
	await town(mf, ana);
	await call(mf, "POST", `${T}/beads`, { title: "From gt", labels: ["wasteland"] }, ana);
	const dir = tempDir(t);
	writeFileSync(join(dir, "token"), `${fake.token}\n`);
	const env = { PATH: process.env.PATH, HOME: "/nonexistent", GASTOWN_URL: (await mf.ready).toString().replace(/\/$/, ""),
		GASTOWN_TOWN: "yard", GASTOWN_TOKEN: ana.authorization.slice(7) };
	const gt = (...args) => promisify(execFile)(join(ROOT, "build/native/gt"), args, { env }).then((r) => ({ code: 0, ...r }), (e) => e);

	const usage = await gt("wasteland", "connect", "acme-commons", "--handle", "yard-rig");
	assert.equal(usage.code, 2);
	assert.match(usage.stderr, /'acme-commons' is not OWNER\/DATABASE/);
	const noToken = await gt("wasteland", "connect", "acme/commons", "--handle", "yard-rig", "--api-url", fake.url);
	assert.equal(noToken.code, 1);
	assert.match(noToken.stderr, /token/);
	const on = await gt("wasteland", "connect", "acme/commons", "--handle", "yard-rig", "--name", "The Yard", "--create",
		"--api-url", fake.url, "--cadence", "1", "--timeout", "2", "--token-file", join(dir, "token"));
	assert.equal(on.code, 0, on.stderr);
	assert.match(on.stdout, /acme\/commons as yard-rig \(The Yard\)/);
	assert.ok(!on.stdout.includes(fake.token));
	await synced(mf, ana);
	const status = await gt("wasteland");
	assert.match(status.stdout, /state +synced/);
	assert.match(status.stdout, /1 beads on the board/);
	assert.match(status.stdout, /full sync +done: 1 of 1 beads, 1 write\n/);
	assert.equal((await gt("wasteland", "sync", "--replay")).code, 0);
	await synced(mf, ana);
	assert.equal((await fake.query("acme", "commons", "SELECT count(*) AS n FROM wanted"))[0].n, 1);
	const off = await gt("wasteland", "disconnect");
	assert.equal(off.code, 0, off.stderr);
	assert.equal((await gt("wasteland")).code, 1);
});

test("other towns' posters: read from the board, claimed as a bead, done as a completion, given back when the bead goes", async (t) => {
	const fake = await startFakeDoltHub(t);
	await fake.createDatabase("acme", "commons");
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const [ana, vic] = [await as("ana"), await as("vic")];
	await town(mf, ana);
	assert.equal((await call(mf, "PUT", `${T}/members/vic`, { role: "viewer" }, ana)).status, 200);
	assert.equal((await call(mf, "PUT", `${T}/wasteland`, connect(fake), ana)).status, 200);
	await synced(mf, ana);
	// Another town's posters, as it would have written them; one claimed already, one the town's own.
	const post = (id, title, extra) => fake.query("acme", "commons", "INSERT INTO wanted (id, title, description, project,"
		+ " type, priority, tags, posted_by, status, created_at, updated_at) VALUES (?, ?, ?, 'web', ?, ?, ?, ?, ?, NOW(), NOW())",
		[id, title, `About ${title}`, extra.type ?? "feature", extra.priority ?? 2, JSON.stringify(extra.tags ?? []),
			extra.by ?? "far-rig", extra.status ?? "open"]);
	await post("w-aaaaaaaaaa", "Fix the 'flaky' login", { type: "bug", priority: 1, tags: ["go", "auth"] });
	await post("w-bbbbbbbbbb", "Write the docs", { priority: 3 });
	await post("w-cccccccccc", "Taken elsewhere", { status: "claimed" });
	await post("w-dddddddddd", "Our own", { by: "yard-rig" });
	const board = await eventually(async () => {
		const r = await call(mf, "GET", `${T}/wasteland/wanted`, undefined, ana);
		return r.body.data?.posters?.length === 2 && r.body.data;
	}, WAIT);
	assert.deepEqual(board.posters.map((p) => [p.id, p.title, p.type, p.priority, p.posted_by, p.bead]), [
		["w-aaaaaaaaaa", "Fix the 'flaky' login", "bug", 1, "far-rig", null],
		["w-bbbbbbbbbb", "Write the docs", "feature", 3, "far-rig", null],
	]);
	assert.deepEqual(board.posters[0].tags, ["go", "auth"]);
	assert.ok(board.read_ms > 0);

	// Claimed: a bead that says where it came from; the commons hears of it with the sync.
	assert.equal((await call(mf, "POST", `${T}/wasteland/wanted/w-aaaaaaaaaa/claim`, {}, vic)).status, 403);
	assert.equal((await call(mf, "POST", `${T}/wasteland/wanted/w-zzzzzzzzzz/claim`, {}, ana)).status, 404);
	assert.equal((await call(mf, "POST", `${T}/wasteland/wanted/w-aaaaaaaaaa/claim`, { rig: "nope" }, ana)).status, 400);
	const claim = await call(mf, "POST", `${T}/wasteland/wanted/w-aaaaaaaaaa/claim`, {}, ana);
	assert.equal(claim.status, 201, claim.text);
	const bead = claim.body.data;
	assert.deepEqual([bead.title, bead.type, bead.priority, bead.metadata.wasteland_id, bead.metadata.wasteland_posted_by],
		["Fix the 'flaky' login", "bug", 1, "w-aaaaaaaaaa", "far-rig"]);
	assert.match(bead.body, /Wasteland poster w-aaaaaaaaaa, posted by far-rig/);
	const again = await call(mf, "POST", `${T}/wasteland/wanted/w-aaaaaaaaaa/claim`, {}, ana);
	assert.equal(again.status, 409);
	assert.match(again.body.error.message, new RegExp(bead.id));
	const row = async (id) => (await fake.query("acme", "commons", "SELECT status, claimed_by FROM wanted WHERE id = ?", [id]))[0];
	await eventually(async () => (await row("w-aaaaaaaaaa")).status === "claimed", WAIT);
	assert.deepEqual(await row("w-aaaaaaaaaa"), { status: "claimed", claimed_by: "yard-rig" });

	// Worked and closed: in review, with the town's completion.
	assert.equal((await call(mf, "PATCH", `${T}/beads/${bead.id}`, { status: "in_progress", assignee: "polecat-7" }, ana)).status, 200);
	assert.equal((await call(mf, "POST", `${T}/beads/${bead.id}/close`, { reason: "fixed" }, ana)).status, 200);
	await eventually(async () => (await row("w-aaaaaaaaaa")).status === "in_review", WAIT);
	await synced(mf, ana);
	assert.deepEqual(await fake.query("acme", "commons", "SELECT id, wanted_id, completed_by FROM completions"),
		[{ id: `c-${hex("w-aaaaaaaaaa|yard-rig", 16)}`, wanted_id: "w-aaaaaaaaaa", completed_by: "yard-rig-polecat-7" }]);
	// Still listed here, with its bead, though no longer open on the board.
	const listed = (await call(mf, "GET", `${T}/wasteland/wanted`, undefined, ana)).body.data.posters;
	assert.deepEqual(listed.map((p) => [p.id, p.bead]), [["w-bbbbbbbbbb", null], ["w-aaaaaaaaaa", bead.id]]);

	// The Mayor, answering Ana, reads the board and claims through its MCP tools (the official SDK).
	await call(mf, "POST", `${T}/mayor/messages`, { text: "take the docs poster" }, ana);
	const minted = (await call(mf, "POST", `${T}/agents/mayor/token`, undefined, ana)).body.data.token;
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const mcp = new Client({ name: "wasteland-test", version: "1.0.0" });
	await mcp.connect(new StreamableHTTPClientTransport(new URL(`${base}${T}/mcp`),
		{ requestInit: { headers: { authorization: `Bearer ${minted}` } } }));
	t.after(() => mcp.close());
	const seen = await mcp.callTool({ name: "wasteland_wanted", arguments: {} });
	assert.ok(!seen.isError, JSON.stringify(seen));
	assert.ok(seen.structuredContent.posters.some((p) => p.id === "w-bbbbbbbbbb" && p.bead === null));
	const taken = await mcp.callTool({ name: "wasteland_claim", arguments: { poster: "w-bbbbbbbbbb" } });
	assert.ok(!taken.isError, JSON.stringify(taken));
	const second = taken.structuredContent;
	assert.deepEqual([second.created_by, second.requested_by, second.metadata.wasteland_id], ["mayor", "ana", "w-bbbbbbbbbb"]);

	// Claimed and the bead deleted: the poster is given back.
	await eventually(async () => (await row("w-bbbbbbbbbb")).status === "claimed", WAIT);
	assert.equal((await call(mf, "DELETE", `${T}/beads/${second.id}`, undefined, ana)).status, 200);
	await eventually(async () => (await row("w-bbbbbbbbbb")).status === "open", WAIT);
	assert.deepEqual(await row("w-bbbbbbbbbb"), { status: "open", claimed_by: null });
	const back = (await call(mf, "GET", `${T}/wasteland/wanted`, undefined, ana)).body.data.posters;
	assert.equal(back.find((p) => p.id === "w-bbbbbbbbbb").bead, null, "it can be claimed again");
	// gt reads the board and claims.
	const env = { PATH: process.env.PATH, HOME: "/nonexistent", GASTOWN_URL: (await mf.ready).toString().replace(/\/$/, ""),
		GASTOWN_TOWN: "yard", GASTOWN_TOKEN: ana.authorization.slice(7) };
	const gt = (...args) => promisify(execFile)(join(ROOT, "build/native/gt"), args, { env }).then((r) => ({ code: 0, ...r }), (e) => e);
	const wanted = await gt("wasteland", "wanted");
	assert.equal(wanted.code, 0, wanted.stderr);
	assert.match(wanted.stdout, /w-bbbbbbbbbb +P3 feature +Write the docs +by far-rig/);
	assert.match(wanted.stdout, new RegExp(`w-aaaaaaaaaa .*claimed as ${bead.id}`));
	const took = await gt("wasteland", "claim", "w-bbbbbbbbbb");
	assert.equal(took.code, 0, took.stderr);
	assert.match(took.stdout, /Write the docs/);
	assert.equal((await gt("wasteland", "claim", "w-bbbbbbbbbb")).code, 1);
	// Another town's claim is left alone.
	assert.deepEqual(await row("w-cccccccccc"), { status: "claimed", claimed_by: null });
});
