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

test("gt works a town: towns, rigs, beads, convoys, mail, feed", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const home = mkdtempSync(join(tmpdir(), "gt-home-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = { GASTOWN_URL: url, HOME: home, GASTOWN_JWT_SECRET: SECRET, GASTOWN_TOWN: "yard" };
	const ok = async (args) => {
		const r = await gt(args, env);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		return r.stdout;
	};

	await ok(["login", "--dev", "--user", "sarah"]);
	assert.match(await ok(["town", "create", "yard", "--name", "The Yard"]), /^yard  The Yard  \(owner, owner user:sarah\)/);
	await ok(["rig", "add", "web", "https://git.example.com/web.git", "--merge", "pr"]);
	assert.match(await ok(["rig", "list"]), /^web\s+https:\/\/git.example.com\/web.git \(main, pr, up to 4 polecats\)/);

	const made = JSON.parse(await ok(["--json", "bead", "create", "Fix login", "--type", "bug", "--priority", "1", "--rig", "web", "--label", "auth"]));
	assert.deepEqual([made.type, made.priority, made.rig, made.labels], ["bug", 1, "web", ["auth"]]);
	const second = JSON.parse(await ok(["bead", "create", "Ship it", "--json"]));
	assert.match(await ok(["bead", "list", "--label", "auth"]), new RegExp(`^${made.id}\\s+open\\s+P1 bug\\s+Fix login  \\[web\\]\\n$`));
	await ok(["bead", "update", made.id, "--status", "in_progress", "--assignee", "sarah"]);
	assert.match(await ok(["bead", "show", made.id]), /in_progress .* @sarah/);
	assert.match(await ok(["convoy", "create", "Release", made.id, second.id, "--series"]), /Release  series, open, 0\/2 closed/);
	await ok(["bead", "close", made.id, "--reason", "fixed"]);
	assert.match(await ok(["convoy", "list"]), /1\/2 closed/);

	const feed = await ok(["feed"]);
	assert.match(feed, /bead\.created\s+gt-\w+\s+by sarah/);
	assert.match(feed, /bead\.closed .* status: in_progress -> closed/);

	const bad = await gt(["bead", "create", "x", "--priority", "9"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /priority/);
	const noTown = await gt(["bead", "list"], { ...env, GASTOWN_TOWN: "" });
	assert.equal(noTown.code, 2);
	assert.match(noTown.stderr, /which town\?/);
	assert.match(await ok(["town", "list"]), /yard  The Yard/);
});
