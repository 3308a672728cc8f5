// cli.test.mjs - the gt client against the real worker listening on loopback: a development
// sign-in minted by gt itself, then commands that use it, and the errors a user sees.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ROOT, startWorker } from "./harness.mjs";

const run = promisify(execFile);
const GT = join(ROOT, "build/native/gt");
const SECRET = "cli-test-secret-0123456789abcdef0123456789";

async function gt(args, env) {
	try {
		const { stdout, stderr } = await run(GT, args, { env: { PATH: process.env.PATH, ...env } });
		return { code: 0, stdout, stderr };
	} catch (err) {
		return { code: err.code, stdout: err.stdout, stderr: err.stderr };
	}
}

test("gt signs in with a development token and asks who it is", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const home = mkdtempSync(join(tmpdir(), "gt-home-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = { GASTOWN_URL: url, HOME: home, GASTOWN_JWT_SECRET: SECRET };

	const health = await gt(["health"], env);
	assert.equal(health.code, 0, health.stderr);
	assert.match(health.stdout, /^gastown-edge \d+\.\d+\.\d+: ok \(schema \d+, SQLite 3\.53\.2/);

	const noToken = await gt(["me"], env);
	assert.equal(noToken.code, 1);
	assert.match(noToken.stderr, /401 unauthenticated, missing/);
	assert.match(noToken.stderr, /gt login --dev/);

	const login = await gt(["login", "--dev", "--user", "sarah", "--name", "Sarah", "--email", "s@example.com"], env);
	assert.equal(login.code, 0, login.stderr);
	const saved = join(home, ".config/gastown/token");
	assert.equal(statSync(saved).mode & 0o777, 0o600);

	const me = await gt(["me"], env);
	assert.equal(me.code, 0, me.stderr);
	assert.equal(me.stdout, "sarah (Sarah) <s@example.com>\n");
	const meJson = await gt(["--json", "me"], env);
	assert.deepEqual(JSON.parse(meJson.stdout), { id: "sarah", name: "Sarah", email: "s@example.com" });

	// A token minted with another secret is refused with the reason.
	const forged = await gt(["dev-token", "--user", "mallory"], { ...env, GASTOWN_JWT_SECRET: `${SECRET}-forged` });
	assert.equal(forged.code, 0);
	const refused = await gt(["me"], { ...env, GASTOWN_TOKEN: forged.stdout.trim() });
	assert.equal(refused.code, 1);
	assert.match(refused.stderr, /bad_signature/);
	assert.ok(readFileSync(saved, "utf8").length > 0);

	const bad = await gt(["dev-token", "--ttl", "5"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /--ttl must be/);
	const unknown = await gt(["frobnicate"], env);
	assert.equal(unknown.code, 2);
	assert.match(unknown.stderr, /unknown command 'frobnicate'/);
});

test("gt says clearly when the town cannot be reached", async () => {
	const r = await gt(["health"], { GASTOWN_URL: "http://127.0.0.1:9" });
	assert.equal(r.code, 1);
	assert.match(r.stderr, /cannot reach the town: http:\/\/127\.0\.0\.1:9/);
});
