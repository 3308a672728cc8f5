// gt-casting.test.mjs - gt's casting commands against the real worker on loopback: the built-ins
// listed, a town's own persona created (its overlay from a file), shown in full, worn by a bead
// through `gt sling --persona`, edited and deleted; a bead slung several ways with `gt sling --ways
// --variant` and compared with `gt attempts`; and the errors a user sees on the way.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { ROOT, call, startWorker } from "./harness.mjs";

const run = promisify(execFile);
const GT = join(ROOT, "build/native/gt");
const SECRET = "gt-persona-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const jwt = (user) => new SignJWT({ sub: user, name: user }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("10m").sign(key);
const bearer = (token) => ({ authorization: `Bearer ${token}` });

async function gt(args, env) {
	try {
		const { stdout, stderr } = await run(GT, args, { env: { PATH: process.env.PATH, ...env } });
		return { code: 0, stdout, stderr };
	} catch (err) {
		return { code: err.code, stdout: err.stdout, stderr: err.stderr };
	}
}

test("gt persona: list, create, show, sling --persona, edit, delete", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const dir = mkdtempSync(join(tmpdir(), "gt-persona-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const tok = { alice: await jwt("alice"), bob: await jwt("bob") };
	const H = { alice: bearer(tok.alice) };
	const env = { GASTOWN_URL: url, GASTOWN_TOKEN: tok.alice, GASTOWN_TOWN: "yard", HOME: "/nonexistent" };
	const ok = async (args) => {
		const r = await gt(args, env);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		return r.stdout;
	};
	const refused = async (args, code, pattern, extra = {}) => {
		const r = await gt(args, { ...env, ...extra });
		assert.equal(r.code, code, `gt ${args.join(" ")}: ${r.stdout}${r.stderr}`);
		assert.match(r.stderr, pattern, `gt ${args.join(" ")}`);
		return r;
	};

	const T = "/api/towns/yard";
	assert.equal((await call(mf, "POST", T, { name: "Yard" }, H.alice)).status, 201);
	assert.equal((await call(mf, "PUT", `${T}/members/bob`, { role: "member" }, H.alice)).status, 200);
	assert.equal((await call(mf, "POST", `${T}/rigs`, { id: "web", git_url: "https://example.com/web.git" }, H.alice)).status, 201);
	const bead = async (title) => (await call(mf, "POST", `${T}/beads`, { title, rig: "web", held: true }, H.alice)).body.data.id;
	const getBead = async (id) => (await call(mf, "GET", `${T}/beads/${id}`, undefined, H.alice)).body.data;

	// The six built-ins, in a table.
	const builtins = await ok(["persona", "list"]);
	const lines = builtins.trimEnd().split("\n");
	assert.match(lines[0], /^NAME\s+TITLE\s+BUILTIN\s+MODEL\s+TOOLS$/);
	assert.equal(lines.length, 7, builtins);
	for (const name of ["frontend", "backend", "security-reviewer", "test-writer", "docs-writer", "refactorer"])
		assert.ok(lines.some((l) => l.startsWith(`${name} `)), `${name} in\n${builtins}`);
	assert.match(builtins, /\nsecurity-reviewer\s+Security reviewer\s+yes\s+-\s+deny WebFetch, WebSearch\n/);
	assert.match(builtins, /\nbackend\s+Backend engineer\s+yes\s+-\s+any\n/);
	assert.equal(JSON.parse(await ok(["persona", "list", "--json"])).length, 6);

	// A town's own, its overlay from a file, kept byte for byte.
	const overlay = "You review code.\n\nBe strict about error handling;\nname each finding's file and line.\n";
	writeFileSync(join(dir, "overlay.md"), overlay);
	assert.equal(await ok(["persona", "create", "reviewer", "--title", "Careful reviewer", "--overlay-file", join(dir, "overlay.md"),
		"--allow", "Read", "--allow", "Grep", "--deny", "WebFetch", "--gate", "make test", "--gate", "make lint",
		"--model", "claude-opus-4"]), "created persona reviewer (Careful reviewer)\n");
	const stored = (await call(mf, "GET", `${T}/personas/reviewer`, undefined, H.alice)).body.data;
	assert.deepEqual([stored.title, stored.overlay, stored.allowed_tools, stored.denied_tools, stored.gates, stored.model, stored.builtin, stored.created_by],
		["Careful reviewer", overlay, ["Read", "Grep"], ["WebFetch"], ["make test", "make lint"], "claude-opus-4", false, "alice"]);
	assert.match(await ok(["persona", "list"]), /\nreviewer\s+Careful reviewer\s+no\s+claude-opus-4\s+allow Read, Grep; deny WebFetch\n/);
	assert.equal(await ok(["persona", "show", "reviewer"]),
		"name     reviewer\ntitle    Careful reviewer\nbuiltin  no\nmodel    claude-opus-4\n" +
		"allowed  Read, Grep\ndenied   WebFetch\ngates    make test\n         make lint\ncreated  alice\n" +
		`overlay:\n${overlay}`);
	assert.deepEqual(JSON.parse(await ok(["--json", "persona", "show", "reviewer"])), stored);
	// A built-in's overlay is printed in full too.
	assert.match(await ok(["persona", "show", "test-writer"]), /builtin  yes\n[\s\S]*overlay:\nYou work as a test writer\. .*say so\.\n$/);

	// What the town refuses, with its reason; what gt refuses before asking.
	await refused(["persona", "create", "backend"], 1, /'backend' is a built-in persona.*\(409 conflict\)/);
	await refused(["persona", "create", "reviewer"], 1, /the persona 'reviewer' already exists/);
	await refused(["persona", "create", "linter", "--allow", "Bash(a, b)"], 1, /'Bash\(a, b\)' is not a tool name.*\(400 invalid\)/);
	await refused(["persona", "create", "linter", "--allow", "Read", "--deny", "Read"], 1, /tool 'Read' is both allowed and denied/);
	await refused(["persona", "create", "linter"], 1, /403 forbidden/, { GASTOWN_TOKEN: tok.bob });
	await refused(["persona", "show", "ghost"], 1, /no persona 'ghost'.*\(404 not_found\)/);
	await refused(["persona", "show", ".."], 2, /^gt persona show: '\.\.' is not a persona name \(1-40 of a-z, 0-9 and -, a letter first\)\n/);
	await refused(["persona", "edit", "reviewer"], 2, /^gt persona edit: nothing to change/);
	await refused(["persona", "create", "linter", "--overlay", "x", "--overlay-file", "f"], 2, /choose one: --overlay TEXT or --overlay-file FILE/);
	await refused(["persona", "create", "linter", "--overlay-file", join(dir, "missing.md")], 2, /--overlay-file: cannot read '.*missing\.md'/);
	writeFileSync(join(dir, "huge.md"), "x".repeat(8001));
	await refused(["persona", "create", "linter", "--overlay-file", join(dir, "huge.md")], 2, /longer than 8000 bytes/);
	assert.equal((await call(mf, "GET", `${T}/personas/linter`, undefined, H.alice)).status, 404);

	// A bead slung with the persona wears it; an unknown persona is named and changes nothing.
	const fix = await bead("Review the login flow");
	assert.match(await ok(["sling", fix, "--persona", "reviewer"]), new RegExp(`^${fix} .*Review the login flow  \\[web\\].*  as reviewer\\n$`));
	assert.equal((await getBead(fix)).persona, "reviewer");
	assert.match(await ok(["bead", "show", fix]), /\n  worked as reviewer \(gt persona show reviewer\)\n/);
	const other = await bead("Docs for login");
	const unknown = await refused(["sling", other, "web", "--persona", "ghost"], 1, /^gt: no persona 'ghost' in this town.*\(400 invalid\)\n$/);
	assert.equal(unknown.stdout, "");
	const untouched = await getBead(other);
	assert.deepEqual([untouched.persona ?? null, untouched.held], [null, true]);
	await refused(["sling", other, "--persona", "Not A Name"], 1, /'persona' is a persona's name/);
	assert.equal(JSON.parse(await ok(["--json", "sling", other, "--persona", "docs-writer"])).persona, "docs-writer");

	// Edit: what is given changes, the rest stays; '' empties a list, --model '' clears the model.
	assert.equal(await ok(["persona", "edit", "reviewer", "--title", "Strict reviewer", "--deny", "", "--model", ""]),
		"changed persona reviewer (Strict reviewer)\n");
	const edited = (await call(mf, "GET", `${T}/personas/reviewer`, undefined, H.alice)).body.data;
	assert.deepEqual([edited.title, edited.overlay, edited.allowed_tools, edited.denied_tools, edited.gates, edited.model],
		["Strict reviewer", overlay, ["Read", "Grep"], [], ["make test", "make lint"], null]);
	assert.match(await ok(["persona", "show", "reviewer"]), /\nmodel    - \(the rig's\)\nallowed  Read, Grep\ndenied   -\n/);
	await refused(["persona", "edit", "ghost", "--title", "x"], 1, /no persona 'ghost' in this town \(404 not_found\)/);
	await refused(["persona", "edit", "backend", "--title", "x"], 1, /built-in/);

	// Delete: not while a bead still to be worked names it; then gone.
	await refused(["persona", "delete", "reviewer"], 1, new RegExp(`bead ${fix} is still to be worked as 'reviewer'.*\\(409 conflict\\)`));
	await ok(["bead", "close", fix, "--reason", "reviewed"]);
	assert.equal(await ok(["persona", "delete", "reviewer"]), "deleted\n");
	assert.equal((await call(mf, "GET", `${T}/personas/reviewer`, undefined, H.alice)).status, 404);
	await refused(["persona", "delete", "reviewer"], 1, /no persona 'reviewer'/);
	await refused(["persona", "delete", "frontend"], 1, /'frontend' is a built-in persona and cannot be deleted/);
	assert.equal(JSON.parse(await ok(["persona", "list", "--json"])).length, 6);
});

test("gt sling --ways with variants, and gt attempts", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const alice = await jwt("alice");
	const env = { GASTOWN_URL: url, GASTOWN_TOKEN: alice, GASTOWN_TOWN: "yard", HOME: "/nonexistent" };
	const T = "/api/towns/yard";
	assert.equal((await call(mf, "POST", T, { name: "Yard" }, bearer(alice))).status, 201);
	assert.equal((await call(mf, "POST", `${T}/rigs`, { id: "web", git_url: "https://example.com/web.git" }, bearer(alice))).status, 201);
	const id = (await call(mf, "POST", `${T}/beads`, { title: "Try three ways", rig: "web", held: true }, bearer(alice))).body.data.id;

	// Refused before anything is sent: a variant without ways, a bad spec, too many ways.
	for (const [args, pattern] of [
		[["sling", id, "--variant", "model=m"], /--variant goes with --ways 2 or more/],
		[["sling", id, "--ways", "2", "--variant", "colour=red"], /not model=, persona= or runtime=/],
		[["sling", id, "--ways", "2", "--variant", "model=a,model=b"], /names model twice/],
		[["sling", id, "--ways", "9"], /--ways/],
	]) {
		const r = await gt(args, env);
		assert.equal(r.code, 2, `gt ${args.join(" ")}: ${r.stderr}`);
		assert.match(r.stderr, pattern);
	}
	// Refused by the town: it names what is wrong, and nothing is slung.
	const bad = await gt(["sling", id, "--ways", "2", "--variant", "runtime=gpt-bash"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /variants\[0\]\.runtime 'gpt-bash' is no runtime/);
	assert.equal((await call(mf, "GET", `${T}/beads/${id}`, undefined, bearer(alice))).body.data.held, true);

	const out = await gt(["sling", id, "--ways", "3", "--variant", "persona=backend,model=m1", "--variant", "runtime=claude"], env);
	assert.equal(out.code, 0, out.stderr);
	assert.match(out.stdout, new RegExp(`^${id} +in_progress`));
	assert.match(out.stdout, / 1 +gt-\w+ +running +persona=backend,model=m1\n/);
	assert.match(out.stdout, / 2 +gt-\w+ +running +runtime=claude\n/);
	assert.match(out.stdout, / 3 +gt-\w+ +running +as slung\n/);
	const listed = await gt(["attempts", id], env);
	assert.equal(listed.code, 0, listed.stderr);
	assert.equal(listed.stdout.trim().split("\n").length, 3, listed.stdout);
	const json = JSON.parse((await gt(["attempts", id, "--json"], env)).stdout);
	assert.deepEqual(json.map((a) => [a.n, a.persona, a.model, a.runtime, a.state]),
		[[1, "backend", "m1", null, "running"], [2, null, null, "claude", "running"], [3, null, null, null, "running"]]);
	// A bead slung one way has none.
	const single = (await call(mf, "POST", `${T}/beads`, { title: "Once", rig: "web" }, bearer(alice))).body.data.id;
	assert.match((await gt(["attempts", single], env)).stdout, /slung one way/);
});

test("gt stats, gt record and gt recommend read what the town learned", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET, GASTOWN_TEST_HOOKS: "1" } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const alice = await jwt("alice");
	const env = { GASTOWN_URL: url, GASTOWN_TOKEN: alice, GASTOWN_TOWN: "lab", HOME: "/nonexistent" };
	const T = "/api/towns/lab";
	assert.equal((await call(mf, "POST", T, { name: "Lab" }, bearer(alice))).status, 201);
	const seeded = await call(mf, "POST", `${T}/_test/outcomes-seed`, { count: 2000, key: "3" });
	assert.equal(seeded.status, 200, JSON.stringify(seeded.body));

	const stats = await gt(["stats", "--by", "model"], env);
	assert.equal(stats.code, 0, stats.stderr);
	const api = (await call(mf, "GET", `${T}/stats?by=model`, undefined, bearer(alice))).body.data.rows;
	for (const r of api) {
		// The CLI prints what the town answered: the count, the rate and its interval, in percent.
		const pct = (x) => `${Math.round(100 * x)}`;
		assert.match(stats.stdout, new RegExp(`^${r.key} +${r.n} +${pct(r.first_pass_rate)}% +${pct(r.wilson_low)}- *${pct(r.wilson_high)}%`, "m"),
			`${r.key}: ${stats.stdout}`);
	}
	assert.match((await gt(["stats", "--by", "colour"], env)).stderr, /'by' is model, persona/);
	assert.deepEqual(JSON.parse((await gt(["stats", "--by", "language", "--kind", "bug", "--json"], env)).stdout).rows
		.map((r) => r.key).sort(), ["python", "rust", "typescript"]);

	const record = await gt(["record", "seed-3"], env);
	assert.equal(record.code, 0, record.stderr);
	assert.match(record.stdout, /^seed-3\n/);
	assert.match(record.stdout, /by persona/);
	assert.equal((await gt(["record", "nobody"], env)).code, 1);

	assert.equal((await call(mf, "POST", `${T}/rigs`, { id: "py", git_url: "https://example.com/py.git" }, bearer(alice))).status, 201);
	const bead = (await call(mf, "POST", `${T}/beads`, { title: "Parse", type: "bug", rig: "py", held: true }, bearer(alice))).body.data.id;
	const rec = await gt(["recommend", bead], env);
	assert.equal(rec.code, 0, rec.stderr);
	// haiku is cheapest per merged bead ($0.10 at 60%), opus dearest ($2.10 at 94%).
	const lines = rec.stdout.trim().split("\n").slice(1);
	assert.match(lines[0], /^ +haiku\|/);
	assert.match(lines.at(-1), /^ +opus\|.*first-pass \(n=\d+, 95% \d+-\d+%\) at \$2\.10 -> \$2\.\d\d\/merged$/);

	// --platform: a second town shares its figures too; gt prints the sums across both.
	assert.equal((await call(mf, "POST", "/api/towns/lab2", { name: "Lab 2" }, bearer(alice))).status, 201);
	assert.equal((await call(mf, "POST", "/api/towns/lab2/_test/outcomes-seed", { count: 500, key: "4" })).status, 200);
	for (const town of ["lab", "lab2"])
		assert.equal((await call(mf, "POST", `/api/towns/${town}/_test/stats-report`)).status, 200);
	const want = new Map();
	for (const town of ["lab", "lab2"])
		for (const r of (await call(mf, "GET", `/api/towns/${town}/stats?by=model`, undefined, bearer(alice))).body.data.rows)
			want.set(r.key, (want.get(r.key) ?? 0) + r.n);
	let platform;
	for (let i = 0; i < 80; i++) {
		platform = await gt(["stats", "--platform", "--by", "model"], { ...env, GASTOWN_TOWN: "" });
		if ([...want].every(([k, n]) => new RegExp(`^${k} +${n} `, "m").test(platform.stdout))) break;
		await new Promise((r) => setTimeout(r, 250));
	}
	assert.equal(platform.code, 0, platform.stderr);
	assert.match(platform.stdout, /^by model, across 2 towns \(rows from at least 2\)$/m);
	for (const [k, n] of want) assert.match(platform.stdout, new RegExp(`^${k} +${n} `, "m"), platform.stdout);
});

test("gt convoy mode turns an open convoy between series and fan-out", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const alice = await jwt("alice");
	const env = { GASTOWN_URL: url, GASTOWN_TOKEN: alice, GASTOWN_TOWN: "yard", HOME: "/nonexistent" };
	const T = "/api/towns/yard";
	assert.equal((await call(mf, "POST", T, { name: "Yard" }, bearer(alice))).status, 201);
	const ids = [];
	for (const title of ["one", "two"])
		ids.push((await call(mf, "POST", `${T}/beads`, { title, held: true }, bearer(alice))).body.data.id);
	const convoy = (await call(mf, "POST", `${T}/convoys`, { title: "Pair", beads: ids }, bearer(alice))).body.data.id;
	const deps = async () => (await call(mf, "GET", `${T}/beads/${ids[1]}`, undefined, bearer(alice))).body.data.deps.map((d) => d.id);

	const series = await gt(["convoy", "mode", convoy, "series"], env);
	assert.equal(series.code, 0, series.stderr);
	assert.match(series.stdout, new RegExp(`^${convoy}  Pair  series, open`));
	assert.deepEqual(await deps(), [ids[0]]);
	const bad = await gt(["convoy", "mode", convoy, "sideways"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /series or fan-out, not 'sideways'/);
	assert.equal((await gt(["convoy", "mode", convoy, "fan-out"], env)).code, 0);
	assert.deepEqual(await deps(), []);
	const missing = await gt(["convoy", "mode", "cv-nope", "series"], env);
	assert.equal(missing.code, 1);
	assert.match(missing.stderr, /no convoy 'cv-nope'/);
});
