// gt-integrations.test.mjs - `gt integration` against the real worker on loopback: an admin
// connects GitHub, GitLab and Slack with secrets read from files and stdin, lists them (the hook
// URL to paste, secrets as set / not set), maps and unmaps logins and removes a platform; members
// read, viewers and members are refused with the town's own words; and no secret ever appears in
// anything gt prints. A delivery signed with the secret gt sent proves it arrived intact.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SignJWT } from "jose";
import { ROOT, call, startWorker } from "./harness.mjs";
import { githubDelivery } from "./webhooks.mjs";

const GT = join(ROOT, "build/native/gt");
const SECRET = "gt-integrations-test-secret-0123456789abcdef";
const key = new TextEncoder().encode(SECRET);
const jwt = (user) => new SignJWT({ sub: user }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("10m").sign(key);

const HOOK_SECRET = "whsec-gt-0123456789abcdef-hook";
const GH_TOKEN = "ghp_gtTokenValue0123456789abcdef";
const GL_HOOK = "gitlab-hook-token-from-gt-0123";
const SLACK_SIGNING = "slack-signing-from-gt-0123456789";
const ALL_SECRETS = [HOOK_SECRET, GH_TOKEN, GL_HOOK, SLACK_SIGNING];

// gt with env and, optionally, text on its stdin; {code, stdout, stderr}.
function gt(args, env, input) {
	return new Promise((resolve, reject) => {
		const child = spawn(GT, args, { env: { PATH: process.env.PATH, ...env }, stdio: ["pipe", "pipe", "pipe"] });
		let stdout = "", stderr = "";
		child.stdout.on("data", (d) => { stdout += d; });
		child.stderr.on("data", (d) => { stderr += d; });
		child.on("error", reject);
		child.on("close", (code) => resolve({ code, stdout, stderr }));
		child.stdin.end(input ?? "");
	});
}

test("gt integration: set, list, map, unmap, rm; secrets from files and stdin, never printed", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const dir = mkdtempSync(join(tmpdir(), "gt-integ-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const tok = { sarah: await jwt("sarah"), bob: await jwt("bob"), vic: await jwt("vic") };
	const T = "/api/towns/yard";
	const H = { authorization: `Bearer ${tok.sarah}` };
	assert.equal((await call(mf, "POST", T, { name: "Yard" }, H)).status, 201);
	assert.equal((await call(mf, "PUT", `${T}/members/bob`, { role: "member" }, H)).status, 200);
	assert.equal((await call(mf, "PUT", `${T}/members/vic`, { role: "viewer" }, H)).status, 200);

	const env = (user) => ({ GASTOWN_URL: url, GASTOWN_TOKEN: tok[user], GASTOWN_TOWN: "yard", HOME: "/nonexistent" });
	const outputs = [];
	const run = async (user, args, input) => {
		const r = await gt(args, env(user), input);
		outputs.push(r.stdout, r.stderr);
		return r;
	};
	const ok = async (user, args, input) => {
		const r = await run(user, args, input);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		return r.stdout;
	};

	// Nothing connected yet: each platform says how to start.
	const empty = await ok("sarah", ["integration"]);
	assert.match(empty, /^github: not connected \(gt integration set github --webhook-secret-file FILE\)$/m);
	assert.match(empty, /^gitlab: not connected \(gt integration set gitlab --webhook-token-file FILE\)$/m);
	assert.match(empty, /^slack: not connected \(gt integration set slack --signing-secret-file FILE\)$/m);

	// GitHub: the webhook secret from a file (its line ending dropped), the token from stdin.
	const hookFile = join(dir, "hook-secret");
	writeFileSync(hookFile, `${HOOK_SECRET}\n`, { mode: 0o600 });
	const set = await ok("sarah", ["integration", "set", "github", "--webhook-secret-file", hookFile, "--token-stdin",
		"--dashboard-url", "https://town.example", "--command", "/gt"], `${GH_TOKEN}\r\n`);
	assert.match(set, /^github: connected, owner sarah$/m);
	assert.ok(set.includes(`  hook URL     ${url}/api/towns/yard/hooks/github\n`), set);
	assert.match(set, /^ {2}secrets {6}webhook_secret set, token set, private_key not set$/m);
	assert.match(set, /^ {2}settings {5}dashboard_url https:\/\/town\.example, command \/gt$/m);
	assert.match(set, /^ {2}logins {7}none mapped$/m);
	assert.match(set, /^ {2}deliveries {3}none yet$/m);
	assert.doesNotMatch(set, /gitlab|slack/, "set prints the platform it set");

	// What gt sent is the secret itself: a delivery signed with it is taken and counted.
	const ping = await githubDelivery(HOOK_SECRET, "ping", { zen: "Keep it logically awesome.", hook_id: 1 });
	const pong = await call(mf, "POST", `${T}/hooks/github`, ping.body, ping.headers);
	assert.equal(pong.status, 200, pong.text);
	assert.equal(pong.body.data.outcome, "pong");
	const forged = await githubDelivery(`${HOOK_SECRET}\n`, "ping", { zen: "x", hook_id: 1 });
	assert.equal((await call(mf, "POST", `${T}/hooks/github`, forged.body, forged.headers)).status, 401,
		"the secret was stored without its line ending");

	// Members read the list (with the deliveries); the JSON is the town's own.
	const listed = await ok("bob", ["integration", "list"]);
	assert.match(listed, /^ {2}deliveries {3}ping: 1 pong$/m);
	assert.match(listed, /^gitlab: not connected/m);
	const json = JSON.parse(await ok("bob", ["--json", "integration"]));
	assert.deepEqual(json.github.secrets, { webhook_secret: true, token: true, private_key: false });
	assert.equal(json.github.hook_path, "/api/towns/yard/hooks/github");
	assert.equal(json.gitlab, null);
	const one = JSON.parse(await ok("bob", ["integration", "list", "github", "--json"]));
	assert.equal(one.platform, "github");

	// Members and viewers are told why, in the town's words; nothing changes.
	const refused = await run("bob", ["integration", "set", "github", "--token-stdin"], "ghp_other\n");
	assert.equal(refused.code, 1);
	assert.match(refused.stderr, /^gt: .* \(403 forbidden/);
	const viewer = await run("vic", ["integration"]);
	assert.equal(viewer.code, 1);
	assert.match(viewer.stderr, /\(403 forbidden/);
	const badOwner = await run("sarah", ["integration", "set", "github", "--owner", "olga"]);
	assert.equal(badOwner.code, 1);
	assert.match(badOwner.stderr, /'olga' is not a member of the town \(400 invalid/);
	const badUrl = await run("sarah", ["integration", "set", "github", "--api-url", "ftp://x"]);
	assert.equal(badUrl.code, 1);
	assert.match(badUrl.stderr, /'api_url' must be an http\(s\) URL/);

	// Refused before any request: a secret that is empty, two lines, or missing; one not the platform's.
	const blank = join(dir, "blank");
	writeFileSync(blank, "\n");
	const twoLines = join(dir, "two");
	writeFileSync(twoLines, "a\nb\n");
	const tooLong = join(dir, "long");
	writeFileSync(tooLong, `${"x".repeat(8193)}\n`);
	for (const [args, input, why] of [
		[["--token-file", blank], "", /--token-file: the secret is empty/],
		[["--token-file", twoLines], "", /more than one line/],
		[["--token-file", tooLong], "", /--token-file: a secret is at most 8192 bytes/],
		[["--token-stdin"], `${"x".repeat(9000)}`, /--token-stdin: a secret is at most 8192 bytes/],
		[["--token-file", join(dir, "none")], "", /cannot read '.*none': No such file/],
		[["--token-stdin"], "", /--token-stdin: the secret is empty/],
		[["--bot-token-stdin"], "xoxb-1", /github has no secret bot_token/],
		[["--rig", "web"], "", /github takes no setting rig/],
		[["--token-stdin", "--webhook-secret-stdin"], "x", /only one secret can come from stdin/],
	]) {
		const r = await run("sarah", ["integration", "set", "github", ...args], input);
		assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
		assert.match(r.stderr, why);
	}
	assert.deepEqual((await call(mf, "GET", `${T}/integrations`, undefined, H)).body.data.github.secrets,
		{ webhook_secret: true, token: true, private_key: false }, "refusals changed nothing");

	// Logins: map, list, unmap; a non-member is the town's 400, an unknown mapping its 404.
	const mapped = await ok("sarah", ["integration", "map", "github", "Bob-GH", "bob"]);
	assert.match(mapped, /^ {2}logins {7}Bob-GH -> bob$/m);
	const notMember = await run("sarah", ["integration", "map", "github", "olga-gh", "olga"]);
	assert.equal(notMember.code, 1);
	assert.match(notMember.stderr, /'olga' is not a member of the town/);
	assert.match(await ok("bob", ["integration"]), /Bob-GH -> bob/);
	const unmapped = await ok("sarah", ["integration", "unmap", "github", "Bob-GH"]);
	assert.match(unmapped, /^ {2}logins {7}none mapped$/m);
	const again = await run("sarah", ["integration", "unmap", "github", "Bob-GH"]);
	assert.equal(again.code, 1);
	assert.match(again.stderr, /'Bob-GH' is not mapped \(404 not_found/);

	// The longest secret the town keeps, 8192 bytes, with a CRLF line ending, is taken whole.
	const longest = join(dir, "longest");
	writeFileSync(longest, `${"y".repeat(8192)}\r\n`);
	await ok("sarah", ["integration", "set", "github", "--token-file", longest]);

	// --unset removes a secret or a setting, by either spelling.
	const unset = await ok("sarah", ["integration", "set", "github", "--unset", "token", "--unset", "dashboard-url"]);
	assert.match(unset, /^ {2}secrets {6}webhook_secret set, token not set, private_key not set$/m);
	assert.match(unset, /^ {2}settings {5}command \/gt$/m);

	// A GitHub App's key is a PEM of many lines: taken whole from its file, with the App's id.
	const { generateKeyPairSync } = await import("node:crypto");
	const pemFile = join(dir, "app.pem");
	writeFileSync(pemFile, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }));
	const app = await ok("sarah", ["integration", "set", "github", "--private-key-file", pemFile, "--app-id", "4242"]);
	assert.match(app, /private_key set/);
	assert.match(app, /app_id 4242/);
	assert.ok(!app.includes("PRIVATE KEY"));
	await ok("sarah", ["integration", "set", "github", "--unset", "private_key", "--unset", "app_id"]);

	// GitLab and Slack with their own secret names; Slack's rig.
	const glFile = join(dir, "gl");
	writeFileSync(glFile, GL_HOOK);
	const gl = await ok("sarah", ["integration", "set", "gitlab", "--webhook-token-file", glFile, "--api-url", "https://gitlab.example/api/v4"]);
	assert.match(gl, /^gitlab: connected, owner sarah$/m);
	assert.match(gl, /webhook_token set, token not set/);
	const sl = await ok("sarah", ["integration", "set", "slack", "--signing-secret-stdin", "--rig", "web", "--owner", "bob"], SLACK_SIGNING);
	assert.match(sl, /^slack: connected, owner bob$/m);
	assert.match(sl, /signing_secret set, bot_token not set/);
	assert.match(sl, /settings {5}rig web/);
	assert.ok(sl.includes(`${url}/api/towns/yard/hooks/slack`));

	// rm: gone, with its secrets; a second rm is the town's 404.
	assert.equal(await ok("sarah", ["integration", "rm", "gitlab"]), "removed the gitlab integration, its secrets and its logins\n");
	const gone = await run("sarah", ["integration", "rm", "gitlab"]);
	assert.equal(gone.code, 1);
	assert.match(gone.stderr, /the town has no gitlab integration \(404 not_found/);
	assert.match(await ok("sarah", ["integration"]), /^gitlab: not connected/m);
	const town = (await call(mf, "GET", T, undefined, H)).body.data;
	assert.equal(town.secrets?.gitlab_webhook_token, undefined);

	// Usage errors name the problem and make no request.
	const noPlatform = await run("sarah", ["integration", "map", "jira", "a", "bob"]);
	assert.equal(noPlatform.code, 2);
	assert.match(noPlatform.stderr, /no platform 'jira': github, gitlab or slack/);
	const which = await run("sarah", ["integration", "frob"]);
	assert.equal(which.code, 2);
	assert.match(which.stderr, /unknown subcommand 'frob'/);

	// Not one secret in anything gt printed, on stdout or stderr.
	const all = outputs.join("\n");
	for (const s of [...ALL_SECRETS, "ghp_other"]) assert.ok(!all.includes(s), `a secret was printed: ${s}`);
});
