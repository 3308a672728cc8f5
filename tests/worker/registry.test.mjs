// registry.test.mjs - the registry through the real worker in workerd (docs/registry.md): one org
// publishes formulas and an agent config as TOML, another org's town installs them pinned and runs
// a formula into its molecule (beads, blocking deps, a convoy), and the run's outcome reaches the
// registry. Malformed files are refused with the line and reason, and leave nothing behind.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, eventually, startWorker } from "./harness.mjs";
import { release, reviewer, shipLocal } from "./registry-files.mjs";

const SECRET = "registry-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const TOML = { "content-type": "application/toml" };

async function as(user) {
	const jwt = await new SignJWT({ sub: user, name: user, email: `${user}@example.com` })
		.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key);
	return { authorization: `Bearer ${jwt}` };
}

test("registry: one org publishes, another org's town installs pinned and runs a formula", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const [ana, bo, eve, cy] = await Promise.all(["ana", "bo", "eve", "cy"].map(as));
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, ana)).status, 201);
	assert.equal((await call(mf, "PUT", "/api/orgs/acme/members/cy", { role: "member" }, ana)).status, 200);
	assert.equal((await call(mf, "POST", "/api/orgs/globex", { name: "Globex" }, bo)).status, 201);
	assert.equal((await call(mf, "POST", "/api/orgs/globex/towns/plant", { name: "Plant" }, bo)).status, 202);
	await eventually(async () => (await call(mf, "GET", "/api/towns/plant", undefined, bo)).status === 200);

	// Publishing: an admin of the org, the file itself as TOML.
	const pub = await call(mf, "POST", "/api/orgs/acme/registry", release("1.0.0"), { ...ana, ...TOML });
	assert.equal(pub.status, 201, pub.text);
	assert.deepEqual([pub.body.data.name, pub.body.data.kind, pub.body.data.version, pub.body.data.org],
		["release", "formula", "1.0.0", "acme"]);
	assert.match(pub.body.data.digest, /^[0-9a-f]{64}$/);
	assert.equal((await call(mf, "POST", "/api/orgs/acme/registry", reviewer, { ...ana, ...TOML })).status, 201);
	// A member is not an admin; an outsider is not told the org exists; JSON is not a file.
	assert.equal((await call(mf, "POST", "/api/orgs/acme/registry", release("1.0.1"), { ...cy, ...TOML })).status, 403);
	assert.equal((await call(mf, "POST", "/api/orgs/acme/registry", release("1.0.1"), { ...eve, ...TOML })).status, 404);
	const json = await call(mf, "POST", "/api/orgs/acme/registry", { source: release("1.0.1"), value: {} }, ana);
	assert.equal(json.status, 400);
	assert.equal(json.body.error.field, "source");
	// A version never changes; another org cannot take the name.
	const again = await call(mf, "POST", "/api/orgs/acme/registry", release("1.0.0"), { ...ana, ...TOML });
	assert.equal(again.status, 409);
	assert.equal(again.body.error.reason, "version_exists");
	const taken = await call(mf, "POST", "/api/orgs/globex/registry", release("9.0.0"), { ...bo, ...TOML });
	assert.equal(taken.status, 403);
	assert.match(taken.body.error.message, /published by org 'acme'/);

	// Malformed files: the line and the reason, and nothing stored.
	const bad = [
		["formula = \"x\"\nversion = \"1.0.0\"\n[[steps]]\nid = \"a\"\ntitle = = \"A\"\n", "syntax", 5],
		[release("2.0.0").replace('needs = ["bump"]', 'needs = ["tag"]'), "cycle", 0],
		[release("2.0.0").replace("Tag v{{version}}", "Tag {{release_name}}"), "unknown_variable", 0],
		[release("2.0.0").replace('needs = ["bump", "changelog"]', 'needs = ["bump", "deploy"]'), "unknown_step", 0],
		[release("2.0.0").replace('version = "2.0.0"', 'version = "2.0"'), "form", 4],
		[release("2.0.0").replace('type = "workflow"', 'type = "workflow"\nextends = ["base"]'), "unsupported", 4],
		[release("2.0.0", "\n[[steps]]\nid = \"bump\"\ntitle = \"Again\"\n"), "duplicate", 0],
		["config = \"backend\"\nversion = \"1.0.0\"\n[persona]\ntitle = \"x\"\n", "form", 1],
	];
	for (const [source, reason, line] of bad) {
		const r = await call(mf, "POST", "/api/orgs/acme/registry", source, { ...ana, ...TOML });
		assert.equal(r.status, 400, `${reason}: ${r.text}`);
		assert.equal(r.body.error.field, "source");
		assert.equal(r.body.error.reason, reason, r.text);
		assert.match(r.body.error.message, /^line \d+: /, r.text);
		if (line) assert.match(r.body.error.message, new RegExp(`^line ${line}: `), r.text);
	}
	// The cycle names its steps and the line of one of them.
	const cycle = await call(mf, "POST", "/api/orgs/acme/registry", release("2.0.0").replace('needs = ["bump"]', 'needs = ["tag"]'),
		{ ...ana, ...TOML });
	assert.match(cycle.body.error.message, /changelog -> tag -> changelog|tag -> changelog -> tag/);
	const big = await call(mf, "POST", "/api/orgs/acme/registry", release("2.0.0", `# ${"x".repeat(70000)}\n`), { ...ana, ...TOML });
	assert.equal(big.status, 413);
	const shown = await call(mf, "GET", "/api/registry/release", undefined, eve);
	assert.equal(shown.status, 200, shown.text);
	assert.deepEqual(shown.body.data.versions.map((v) => v.version), ["1.0.0"]);

	// A newer version and a pre-release: latest is the newest release.
	assert.equal((await call(mf, "POST", "/api/orgs/acme/registry", release("1.1.0"), { ...ana, ...TOML })).status, 201);
	assert.equal((await call(mf, "POST", "/api/orgs/acme/registry", release("2.0.0-rc.1"), { ...ana, ...TOML })).status, 201);
	const pkg = await call(mf, "GET", "/api/registry/release", undefined, eve);
	assert.deepEqual(pkg.body.data.versions.map((v) => v.version), ["2.0.0-rc.1", "1.1.0", "1.0.0"]);
	assert.equal(pkg.body.data.latest, "1.1.0");

	// Search: anyone signed in, by name or description, by kind.
	assert.equal((await call(mf, "GET", "/api/registry?q=release")).status, 401);
	const found = await call(mf, "GET", "/api/registry?q=changelog", undefined, eve);
	assert.deepEqual(found.body.data.items.map((p) => p.name), ["release"]);
	const configs = await call(mf, "GET", "/api/registry?kind=config", undefined, eve);
	assert.deepEqual(configs.body.data.items.map((p) => [p.name, p.org, p.latest]), [["careful-reviewer", "acme", "1.0.0"]]);
	const v = await call(mf, "GET", "/api/registry/release/latest", undefined, eve);
	assert.equal(v.body.data.version, "1.1.0");
	assert.equal(v.body.data.source, release("1.1.0"));
	assert.deepEqual(v.body.data.spec.steps.map((s) => [s.id, s.needs]), [["bump", []], ["changelog", ["bump"]], ["tag", ["bump", "changelog"]]]);

	// Deprecating 1.1.0 (an admin of the publisher only): latest falls back to 1.0.0.
	const dep = "/api/orgs/acme/registry/release/1.1.0/deprecation";
	assert.equal((await call(mf, "POST", dep, { reason: "tags the wrong commit" }, cy)).status, 403);
	assert.equal((await call(mf, "POST", "/api/orgs/globex/registry/release/1.1.0/deprecation", { reason: "x" }, bo)).status, 403);
	assert.equal((await call(mf, "POST", dep, {}, ana)).status, 400);
	const deprecated = await call(mf, "POST", dep, { reason: "tags the wrong commit" }, ana);
	assert.equal(deprecated.status, 200, deprecated.text);
	assert.equal(deprecated.body.data.deprecated, "tags the wrong commit");
	assert.equal((await call(mf, "GET", "/api/registry/release", undefined, eve)).body.data.latest, "1.0.0");

	// Globex installs: latest (1.0.0) and the config. Only the town's admins install.
	const plant = "/api/towns/plant";
	assert.equal((await call(mf, "POST", `${plant}/installs`, { name: "release" }, eve)).status, 404);
	const inst = await call(mf, "POST", `${plant}/installs`, { name: "release" }, bo);
	assert.equal(inst.status, 202, inst.text);
	assert.equal(inst.body.data.state, "fetching");
	assert.equal((await call(mf, "POST", `${plant}/installs`, { name: "careful-reviewer", version: "1.0.0" }, bo)).status, 202);
	assert.equal((await call(mf, "POST", `${plant}/installs`, { name: "no-such-thing" }, bo)).status, 202);
	assert.equal((await call(mf, "POST", `${plant}/installs`, { name: "Bad Name" }, bo)).status, 400);
	assert.equal((await call(mf, "POST", `${plant}/installs`, { name: "release", version: "one" }, bo)).status, 400);
	const installed = await eventually(async () => {
		const r = await call(mf, "GET", `${plant}/installs`, undefined, bo);
		return r.body.data.items.every((i) => i.state !== "fetching") && r.body.data.items;
	});
	const state = Object.fromEntries(installed.map((i) => [i.name, [i.state, i.version, i.org]]));
	assert.deepEqual(state, {
		"careful-reviewer": ["installed", "1.0.0", "acme"],
		"no-such-thing": ["failed", "", ""],
		release: ["installed", "1.0.0", "acme"],
	});
	assert.match(installed.find((i) => i.name === "no-such-thing").error, /no package 'no-such-thing'/);
	assert.equal(typeof installed.find((i) => i.name === "release").installed_ms, "number");
	// The config is the town's persona now.
	const persona = await call(mf, "GET", `${plant}/personas/careful-reviewer`, undefined, bo);
	assert.equal(persona.status, 200, persona.text);
	assert.deepEqual([persona.body.data.title, persona.body.data.model, persona.body.data.gates],
		["Careful reviewer", "claude-sonnet-4-5", ["make test"]]);

	// Pinned: a newer release published later changes nothing in the town.
	assert.equal((await call(mf, "POST", "/api/orgs/acme/registry", release("1.2.0"), { ...ana, ...TOML })).status, 201);
	assert.equal((await call(mf, "GET", `${plant}/installs/release`, undefined, bo)).body.data.version, "1.0.0");

	// Running: the variables are checked before anything is made.
	const runs = `${plant}/formulas/release/runs`;
	const missing = await call(mf, "POST", runs, {}, bo);
	assert.equal(missing.status, 400);
	assert.match(missing.body.error.message, /'version' is required/);
	assert.equal((await call(mf, "POST", runs, { vars: { version: "3.1.0", colour: "red" } }, bo)).status, 400);
	assert.equal((await call(mf, "POST", runs, { vars: { version: 3 } }, bo)).status, 400);
	assert.equal((await call(mf, "POST", `${plant}/formulas/careful-reviewer/runs`, {}, bo)).status, 409);
	assert.equal((await call(mf, "POST", `${plant}/formulas/nothing/runs`, {}, bo)).status, 404);
	assert.equal((await call(mf, "POST", runs, { vars: { version: "3.1.0" } }, eve)).status, 404);
	assert.equal((await call(mf, "GET", `${plant}/beads`, undefined, bo)).body.data.beads.length, 0);

	const run = await call(mf, "POST", runs, { vars: { version: "3.1.0" }, held: true }, bo);
	assert.equal(run.status, 201, run.text);
	assert.deepEqual([run.body.data.formula, run.body.data.version], ["release", "1.0.0"]);
	const ids = Object.fromEntries(run.body.data.beads.map((b) => [b.step, b.bead]));
	const bead = async (id) => (await call(mf, "GET", `${plant}/beads/${id}`, undefined, bo)).body.data;
	const bump = await bead(ids.bump), tag = await bead(ids.tag);
	assert.equal(bump.title, "Bump to 3.1.0");
	assert.equal(bump.body, "Set the version to 3.1.0 on main.");
	assert.equal(tag.title, "Tag v3.1.0");
	assert.deepEqual(tag.metadata, { formula: "release", version: "1.0.0", run: run.body.data.run, step: "tag" });
	assert.deepEqual(tag.deps.map((d) => [d.id, d.kind]).sort(), [[ids.bump, "blocks"], [ids.changelog, "blocks"]].sort());
	const convoy = await call(mf, "GET", `${plant}/convoys/${run.body.data.convoy}`, undefined, bo);
	assert.equal(convoy.body.data.title, "release@1.0.0");
	assert.equal(convoy.body.data.beads.length, 3);

	// Closing the steps lands the convoy; the registry counts the run once.
	for (const step of ["bump", "changelog", "tag"]) {
		const closed = await call(mf, "POST", `${plant}/beads/${ids[step]}/close`, { reason: "done" }, bo);
		assert.equal(closed.status, 200, closed.text);
	}
	const counted = await eventually(async () => {
		const r = await call(mf, "GET", "/api/registry/release", undefined, eve);
		return r.body.data.outcomes.runs === 1 && r.body.data;
	});
	assert.deepEqual(counted.outcomes, { runs: 1, landed: 1, failed: 0 });
	assert.deepEqual(counted.versions.find((x) => x.version === "1.0.0").outcomes, { runs: 1, landed: 1, failed: 0 });
	const after = await call(mf, "GET", `${plant}/installs/release`, undefined, bo);
	assert.equal(after.body.data.runs[0].outcome, "landed");

	// Removing the install: the formula no longer runs.
	assert.equal((await call(mf, "DELETE", `${plant}/installs/release`, undefined, bo)).status, 200);
	assert.equal((await call(mf, "POST", runs, { vars: { version: "3.2.0" } }, bo)).status, 404);
});

test("registry: a formula as local Gas Town writes them, with phase, types, acceptance, a gate, an enum", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const ana = await as("ana");
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, ana)).status, 201);
	assert.equal((await call(mf, "POST", "/api/towns/yard", { name: "Yard" }, ana)).status, 201);
	const pub = await call(mf, "POST", "/api/orgs/acme/registry", shipLocal, { ...ana, ...TOML });
	assert.equal(pub.status, 201, pub.text);
	assert.equal(pub.body.data.version, "1.0.0");
	const spec = (await call(mf, "GET", "/api/registry/ship-local/latest", undefined, ana)).body.data.spec;
	assert.equal(spec.phase, "vapor");
	assert.match(spec.description, /^Ship a release the way/);
	assert.deepEqual(spec.vars.map((v) => [v.name, v.enum ?? null, v.pattern ?? null]),
		[["version", null, "^[0-9]+\\.[0-9]+\\.[0-9]+$"], ["channel", ["changelog", "blog", "none"], null]]);
	assert.deepEqual(spec.steps.find((x) => x.id === "await-ci").gate, { type: "gh:run", id: "release.yml", timeout: "30m" });
	// A gate's unknown key, a step's unknown bead type, a default outside its enum: refused with a line.
	for (const [from, to, reason] of [['timeout = "30m"', 'timeout = "30m"\nretries = 3', "unknown_key"],
		['type = "chore"', 'type = "chores"', "form"], ['default = "changelog"', 'default = "tv"', "form"]]) {
		const r = await call(mf, "POST", "/api/orgs/acme/registry", shipLocal.replace("version = 1", "version = 2").replace(from, to),
			{ ...ana, ...TOML });
		assert.equal(r.status, 400, r.text);
		assert.equal(r.body.error.reason, reason, r.text);
		assert.match(r.body.error.message, /^line \d+: /);
	}

	assert.equal((await call(mf, "POST", "/api/towns/yard/installs", { name: "ship-local" }, ana)).status, 202);
	await eventually(async () => (await call(mf, "GET", "/api/towns/yard/installs/ship-local", undefined, ana)).body.data.state === "installed");
	const runs = "/api/towns/yard/formulas/ship-local/runs";
	const off = await call(mf, "POST", runs, { vars: { version: "1.2.3", channel: "tv" } }, ana);
	assert.equal(off.status, 400);
	assert.match(off.body.error.message, /'channel' is one of the formula's enum/);
	const run = await call(mf, "POST", runs, { vars: { version: "1.2.3" } }, ana);
	assert.equal(run.status, 201, run.text);
	const ids = Object.fromEntries(run.body.data.beads.map((b) => [b.step, b.bead]));
	const bead = async (id) => (await call(mf, "GET", `/api/towns/yard/beads/${id}`, undefined, ana)).body.data;
	const prep = await bead(ids.prep), gate = await bead(ids["await-ci"]), announce = await bead(ids.announce);
	assert.equal(prep.type, "chore");
	assert.match(prep.body, /Bump every version file to 1\.2\.3\./);
	assert.match(prep.body, /\n\nAcceptance: All version files say 1\.2\.3$/);
	assert.equal(prep.held, false);
	// The gated step waits, held, with its gate kept; the rest follow their needs.
	assert.equal(gate.held, true);
	assert.deepEqual(gate.metadata.gate, { type: "gh:run", id: "release.yml", timeout: "30m" });
	assert.equal(announce.title, "Announce 1.2.3 on the changelog");
	assert.deepEqual(announce.deps.map((d) => d.id).sort(), [ids["verify-npm"], ids["verify-pypi"]].sort());
});
