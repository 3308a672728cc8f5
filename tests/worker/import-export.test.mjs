// import-export.test.mjs - local Gas Town's beads in and out through the worker in workerd
// (docs/import-export.md): eight lines of a real `.beads/issues.jsonl` (tests/fixtures/beads)
// imported, exported and compared field by field; a second import updates rather than doubles; a
// malformed line anywhere refuses the whole file with its number and stores nothing; a dry run
// stores nothing; a change made in the town shows in the export; gt import and gt export end to end.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { ROOT, call, operator, quietDigest, startWorker, tempDir } from "./harness.mjs";

const SECRET = "import-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user, name: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key)}` });
const SAMPLE = readFileSync(join(ROOT, "tests/fixtures/beads/issues-sample.jsonl"), "utf8");
const NDJSON = { "content-type": "application/x-ndjson" };
const T = "/api/towns/yard";

async function exported(mf, H) {
	const lines = [];
	for (let cursor = 0; ;) {
		const r = await call(mf, "GET", `${T}/export?cursor=${cursor}&limit=3`, undefined, H);
		assert.equal(r.status, 200, r.text);
		lines.push(...r.body.data.jsonl.split("\n").filter(Boolean).map((l) => JSON.parse(l)));
		if (r.body.data.next_cursor === null) return lines;
		cursor = r.body.data.next_cursor;
	}
}

test("import and export: a real bd export round-trips, all or nothing, idempotent", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const [ana, vic] = [await as("ana"), await as("vic")];
	assert.equal((await call(mf, "POST", T, { name: "Yard" }, ana)).status, 201);
	assert.equal((await call(mf, "PUT", `${T}/members/vic`, { role: "viewer" }, ana)).status, 200);
	const digest = async () => (await call(mf, "GET", `${T}/debug/storage`, undefined, operator)).body.data.digest;
	const beads = async () => (await call(mf, "GET", `${T}/beads?limit=200`, undefined, ana)).body.data.beads;

	// Refusals first, once the town is quiet (its members reach their registries after the call):
	// nothing of them is stored.
	const before = await quietDigest(mf, T);
	const broken = SAMPLE.split("\n");
	broken[2] = "{\"id\":\"bd-x\",\"title\":";
	const bad = await call(mf, "POST", `${T}/import`, broken.join("\n"), { ...ana, ...NDJSON });
	assert.equal(bad.status, 400);
	assert.deepEqual([bad.body.error.field, bad.body.error.message], ["line", "line 3: not JSON"]);
	for (const [line, pattern] of [
		['{"id":"bd-y","title":"T","status":"open","priority":9}', /line 9: 'priority' is a whole number from 0 to 4/],
		// Out of every integer's range: read as a number before it is checked (a trap in wasm).
		['{"id":"bd-y","title":"T","status":"open","priority":1e300}', /line 9: 'priority' is a whole number from 0 to 4/],
		['{"id":"bd-y","title":"T","status":"open","created_at":"yesterday"}', /line 9: 'created_at' is an RFC 3339 time/],
		['{"id":"bd-y","status":"open"}', /line 9: 'title' is a string/],
		['[1,2]', /line 9: not a JSON object/],
	]) {
		const r = await call(mf, "POST", `${T}/import`, `${SAMPLE}${line}\n`, { ...ana, ...NDJSON });
		assert.equal(r.status, 400, r.text);
		assert.match(r.body.error.message, pattern);
	}
	// gt sends a file in parts: a part's first line is its number in the file.
	const offset = await call(mf, "POST", `${T}/import?first_line=2001`, "{\"id\":\"z\"}\n", { ...ana, ...NDJSON });
	assert.match(offset.body.error.message, /^line 2001: /);
	assert.equal((await call(mf, "POST", `${T}/import`, SAMPLE, { ...vic, ...NDJSON })).status, 403);
	assert.equal(await digest(), before, "the refusals left storage as it was");
	const dry = await call(mf, "POST", `${T}/import?dry_run=true`, SAMPLE, { ...ana, ...NDJSON });
	assert.equal(dry.status, 200, dry.text);
	assert.deepEqual([dry.body.data.created, dry.body.data.dry_run], [8, true]);
	assert.equal(await digest(), before);

	// The import: each line a bead, what the town models in it.
	const made = await call(mf, "POST", `${T}/import`, SAMPLE, { ...ana, ...NDJSON });
	assert.equal(made.status, 201, made.text);
	assert.deepEqual([made.body.data.lines, made.body.data.created, made.body.data.updated], [8, 8, 0]);
	const all = await beads();
	const byTitle = (s) => all.find((b) => b.title.startsWith(s));
	assert.equal(all.length, 8);
	assert.deepEqual([byTitle("GH#444").status, byTitle("GH#444").type], ["closed", "bug"]);
	assert.deepEqual([byTitle("Add sync resilience").type, byTitle("Add sync resilience").priority], ["epic", 2]);
	assert.equal(byTitle("Add metadata and thread_id").priority, 0);
	assert.equal(byTitle("Add bd reset").created_ms, Date.parse("2025-12-13T08:41:34.956552+11:00"));

	// The export gives every line back as it came.
	const original = SAMPLE.split("\n").filter(Boolean).map((l) => JSON.parse(l));
	const back = await exported(mf, vic);
	assert.equal(back.length, 8);
	for (const line of original) assert.deepEqual(back.find((b) => b.id === line.id), line, line.id);

	// Again: the same beads updated, none doubled; a line that blocks another links the two.
	const linked = `${SAMPLE}{"id":"bd-new1","title":"Ship it","status":"open","priority":1,"issue_type":"task",`
		+ `"created_at":"2025-12-18T10:00:00Z","updated_at":"2025-12-18T10:00:00Z","dependencies":[{"issue_id":"bd-new1",`
		+ `"depends_on_id":"bd-mql4","type":"blocks","created_at":"2025-12-18T10:00:00Z","created_by":"ana"}],"labels":["release"]}\n`;
	const again = await call(mf, "POST", `${T}/import`, linked, { ...ana, ...NDJSON });
	assert.deepEqual([again.body.data.created, again.body.data.updated], [1, 8]);
	const now = await beads();
	assert.equal(now.length, 9);
	const ship = now.find((b) => b.title === "Ship it");
	const shipBead = (await call(mf, "GET", `${T}/beads/${ship.id}`, undefined, ana)).body.data;
	assert.deepEqual(shipBead.deps.map((d) => [d.id, d.kind]), [[byTitle("getLocalSyncBranch").id, "blocks"]]);
	assert.deepEqual(shipBead.labels, ["release"]);

	// A change in the town shows in the export; the rest stays as it came.
	const mql4 = byTitle("getLocalSyncBranch").id;
	assert.equal((await call(mf, "POST", `${T}/beads/${mql4}/close`, { reason: "fixed upstream" }, ana)).status, 200);
	const later = await exported(mf, vic);
	const closed = later.find((b) => b.id === "bd-mql4");
	assert.deepEqual([closed.status, closed.close_reason], ["closed", "fixed upstream"]);
	assert.match(closed.closed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
	assert.deepEqual(later.find((b) => b.id === "bd-new1").dependencies,
		[{ issue_id: "bd-new1", depends_on_id: "bd-mql4", type: "blocks", created_at: "2025-12-18T10:00:00Z", created_by: "ana" }]);
	for (const line of original.filter((l) => l.id !== "bd-mql4")) assert.deepEqual(later.find((b) => b.id === line.id), line);

	// gt import and gt export, against the same worker.
	const dir = tempDir(t);
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const env = { PATH: process.env.PATH, HOME: "/nonexistent", GASTOWN_URL: base, GASTOWN_TOWN: "yard",
		GASTOWN_TOKEN: ana.authorization.slice(7) };
	const gt = (...args) => promisify(execFile)(join(ROOT, "build/native/gt"), args, { env }).catch((e) => e);
	writeFileSync(join(dir, "bad.jsonl"), broken.join("\n"));
	const refused = await gt("import", join(dir, "bad.jsonl"));
	assert.equal(refused.code, 1);
	assert.match(refused.stderr, /line 3: not JSON/);
	writeFileSync(join(dir, "in.jsonl"), linked);
	const imported = await gt("import", join(dir, "in.jsonl"));
	assert.match(imported.stdout, /^imported 9 lines: 0 new beads, 9 updated/m, imported.stderr);
	const out = join(dir, "out.jsonl");
	const wrote = await gt("export", "-o", out);
	assert.match(wrote.stdout, /^exported 9 beads to /m, wrote.stderr);
	const file = readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
	assert.deepEqual(file.map((b) => b.id).sort(), [...original.map((l) => l.id), "bd-new1"].sort());
});
