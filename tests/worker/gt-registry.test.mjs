// gt-registry.test.mjs - `gt formula` and `gt config` against the real worker on loopback: a file
// published from disk as an org, its errors with their line, search and show, install that waits
// until the town has the version pinned, a run into its molecule, deprecation; and the usage errors.
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
const SECRET = "gt-registry-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const jwt = (user) => new SignJWT({ sub: user, name: user }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("10m").sign(key);

async function gt(args, env) {
	try {
		const { stdout, stderr } = await run(GT, args, { env: { PATH: process.env.PATH, ...env } });
		return { code: 0, stdout, stderr };
	} catch (err) {
		return { code: err.code, stdout: err.stdout, stderr: err.stderr };
	}
}

const FORMULA = `formula = "ship-docs"
version = "0.1.0"
description = "Write and publish the docs of a module"

[vars.module]
description = "The module"
required = true

[[steps]]
id = "write"
title = "Document {{module}}"

[[steps]]
id = "publish"
title = "Publish the docs of {{module}}"
needs = ["write"]
`;

test("gt formula: publish, search, show, install, run, deprecate", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const dir = mkdtempSync(join(tmpdir(), "gt-registry-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const ana = await jwt("ana");
	const env = { GASTOWN_URL: url, GASTOWN_TOKEN: ana, GASTOWN_TOWN: "docs", GASTOWN_ORG: "acme", HOME: "/nonexistent" };
	const ok = async (args) => {
		const r = await gt(args, env);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		return r.stdout;
	};
	const refused = async (args, code, pattern) => {
		const r = await gt(args, env);
		assert.equal(r.code, code, `gt ${args.join(" ")}: ${r.stdout}${r.stderr}`);
		assert.match(r.stderr, pattern, `gt ${args.join(" ")}`);
	};
	const H = { authorization: `Bearer ${ana}` };
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, H)).status, 201);
	assert.equal((await call(mf, "POST", "/api/towns/docs", { name: "Docs" }, H)).status, 201);

	const file = join(dir, "ship-docs.formula.toml");
	writeFileSync(file, FORMULA);
	assert.match(await ok(["formula", "publish", file]), /^published ship-docs 0\.1\.0 \(formula\) as acme, digest [0-9a-f]{12}/);
	// The engine's refusal, with its line, reaches the author.
	writeFileSync(join(dir, "bad.toml"), FORMULA.replace('version = "0.1.0"', 'version = "0.2.0"').replace("{{module}}\"\nneeds", "{{modul}}\"\nneeds"));
	await refused(["formula", "publish", join(dir, "bad.toml")], 1, /line 15: step 'publish' uses \{\{modul\}\}/);
	await refused(["formula", "publish", join(dir, "missing.toml")], 2, /cannot read/);
	await refused(["formula", "publish", file], 1, /published already/);

	assert.match(await ok(["formula", "search", "docs"]), /ship-docs\s+formula\s+0\.1\.0\s+acme/);
	assert.match(await ok(["config", "search"]), /nothing in the registry matches/);
	const shown = await ok(["formula", "show", "ship-docs@latest"]);
	assert.match(shown, /var\s+module \(required\)/);
	assert.match(shown, /step\s+publish\s+Publish the docs of \{\{module\}\}\s+\(needs write\)/);

	assert.match(await ok(["formula", "install", "ship-docs"]), /^installed ship-docs 0\.1\.0 \(formula\) from acme/);
	await refused(["formula", "install", "no-such"], 1, /no-such: no package 'no-such'/);
	assert.match(await ok(["formula", "installed"]), /ship-docs\s+formula\s+0\.1\.0\s+acme\s+installed/);
	await refused(["formula", "run", "ship-docs"], 1, /'module' is required/);
	await refused(["formula", "run", "ship-docs", "--var", "module"], 2, /NAME=VALUE/);
	const ran = await ok(["formula", "run", "ship-docs", "--var", "module=payments", "--held"]);
	const beads = Object.fromEntries([...ran.matchAll(/^\s+(write|publish)\s+(\S+)$/gm)].map((m) => [m[1], m[2]]));
	const pub = (await call(mf, "GET", `/api/towns/docs/beads/${beads.publish}`, undefined, H)).body.data;
	assert.equal(pub.title, "Publish the docs of payments");
	assert.deepEqual(pub.deps.map((d) => d.id), [beads.write]);

	await refused(["formula", "deprecate", "ship-docs@0.1.0"], 2, /--reason/);
	assert.match(await ok(["formula", "deprecate", "ship-docs@0.1.0", "--reason", "use 0.2"]), /DEPRECATED: use 0\.2/);
	assert.match(await ok(["formula", "show", "ship-docs"]), /latest\s+- \(every version is deprecated\)/);
	assert.doesNotMatch(await ok(["formula", "undeprecate", "ship-docs@0.1.0"]), /DEPRECATED/);
	assert.match(await ok(["formula", "show", "ship-docs"]), /latest\s+0\.1\.0/);
	await refused(["formula", "show", "Not A Name"], 2, /not a package name/);
	assert.match(await ok(["formula", "uninstall", "ship-docs"]), /done/);
});
