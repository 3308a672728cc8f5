// cli.test.mjs - the gt client against the real worker listening on loopback: a development
// sign-in minted by gt itself, then commands that use it, and the errors a user sees.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ROOT, call, eventually, freePort, git, localServer, makeOrigin, startWorker, tempDir } from "./harness.mjs";
import { startHost } from "./host-harness.mjs";

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
	assert.match(await ok(["bead", "list", "--label", "auth"]), new RegExp(`^${made.id}\\s+open\\s+P1 bug\\s+Fix login  \\[web\\]  \\(held\\)\\n$`));
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

// ---- gt as a command-line tool: help, usage errors, values, ids --------------------------------

// Every command and subcommand, as `gt help` would name them.
const COMMANDS = [
	["health"], ["me"], ["login"], ["dev-token"], ["help"],
	["town"], ["town", "list"], ["town", "create"], ["town", "show"], ["town", "delete"],
	["rig"], ["rig", "list"], ["rig", "add"],
	["bead"], ["bead", "create"], ["bead", "list"], ["bead", "show"], ["bead", "update"], ["bead", "close"],
	["convoy"], ["convoy", "list"], ["convoy", "show"], ["convoy", "create"], ["convoy", "mode"],
	["mail"], ["mail", "list"], ["mail", "inbox"], ["mail", "send"],
	["feed"], ["sling"], ["prime"], ["status"], ["done"], ["escalate"], ["script"],
	["costs"], ["budget"], ["budget", "list"], ["budget", "set"], ["budget", "rm"],
	["price"], ["price", "list"], ["price", "set"], ["price", "rm"], ["fleet"], ["team"], ["team", "set"], ["team", "rm"],
	["integration"], ["integration", "list"], ["integration", "set"], ["integration", "rm"], ["integration", "map"],
	["integration", "unmap"],
	["persona"], ["persona", "list"], ["persona", "show"], ["persona", "create"], ["persona", "edit"], ["persona", "delete"],
	["attempts"], ["stats"], ["record"], ["recommend"],
];

// A server that counts requests: --help and usage errors must not make any.
async function countingTown(t) {
	return localServer(t, (req, res) => {
		res.writeHead(500, { "content-type": "application/json" });
		res.end(JSON.stringify({ error: { code: "internal", message: "gt should not have asked" } }));
	});
}

test("--help and -h on every command and subcommand print its usage, exit 0 and make no request", async (t) => {
	const town = await countingTown(t);
	const home = mkdtempSync(join(tmpdir(), "gt-home-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = { GASTOWN_URL: town.url, HOME: home, GASTOWN_TOWN: "yard", GASTOWN_ORG: "acme", GASTOWN_TOKEN: "x",
		GASTOWN_AGENT: "toast", GASTOWN_BEAD: "gt-k2x9", GASTOWN_BRANCH: "gt/toast/gt-k2x9", GASTOWN_JWT_SECRET: SECRET };
	for (const words of COMMANDS) {
		for (const flag of ["--help", "-h"]) {
			const r = await gt([...words, flag], env);
			assert.equal(r.code, 0, `gt ${words.join(" ")} ${flag}: ${r.stderr}`);
			assert.equal(r.stderr, "", `gt ${words.join(" ")} ${flag}`);
			assert.match(r.stdout, new RegExp(`^usage: gt .*${words[0]}`), `gt ${words.join(" ")} ${flag}`);
			assert.match(r.stdout, /Exit status: 0 done, 1 the town refused or could not be reached, 2 a usage error\.\n$/);
		}
		// gt help COMMAND [SUBCOMMAND] is the same text.
		if (words[0] !== "help") {
			const help = await gt(["help", ...words], env);
			assert.equal(help.code, 0, `gt help ${words.join(" ")}: ${help.stderr}`);
			assert.equal(help.stdout, (await gt([...words, "--help"], env)).stdout);
		}
	}
	// --help wins wherever it stands, even after operands and options that would act.
	for (const args of [
		["bead", "create", "Fix login", "--rig", "web", "--help"], ["bead", "create", "-h", "Fix login"],
		["town", "create", "demo", "--name", "Demo", "-h"], ["--town", "yard", "bead", "--help"],
		["login", "--dev", "--user", "sarah", "--help"], ["status", "working", "hard", "-h"],
		["done", "--summary", "x", "--help"], ["sling", "gt-k2x9", "web", "--help"], ["feed", "--follow", "--help"],
		["sling", "gt-k2x9", "--persona", "backend", "-h"], ["persona", "create", "reviewer", "--allow", "Read", "--help"],
		["persona", "edit", "reviewer", "--model", "x", "-h"], ["persona", "delete", "reviewer", "--help"],
		["budget", "set", "user-day", "alice", "5", "-h"], ["--json", "costs", "--help"],
		["integration", "set", "github", "--token-stdin", "--help"], ["integration", "--json", "-h"],
	]) {
		const r = await gt(args, env);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		assert.match(r.stdout, /^usage: gt /, `gt ${args.join(" ")}`);
	}
	// Nothing reached the town, and login --help saved no token.
	assert.deepEqual(town.hits, []);
	assert.throws(() => statSync(join(home, ".config/gastown/token")));

	const top = await gt(["help"], env);
	assert.equal(top.code, 0);
	assert.match(top.stdout, /^usage: gt \[--url URL\] \[--town TOWN\]/);
	for (const [name] of COMMANDS) assert.match(top.stdout, new RegExp(`\\n  ${name}\\b`), name);
	assert.equal((await gt(["--help"], env)).stdout, top.stdout);
	assert.equal((await gt(["-h"], env)).stdout, top.stdout);
	const none = await gt(["help", "frobnicate"], env);
	assert.equal(none.code, 2);
	assert.match(none.stderr, /^gt help: no command 'frobnicate'/);
	const noSub = await gt(["help", "bead", "frobnicate"], env);
	assert.equal(noSub.code, 2);
	assert.match(noSub.stderr, /^gt bead: unknown subcommand 'frobnicate'\nusage: gt /);
	assert.deepEqual(town.hits, []);
});

test("--help against the real town changes nothing: no bead, no town", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const home = mkdtempSync(join(tmpdir(), "gt-home-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = { GASTOWN_URL: url, HOME: home, GASTOWN_JWT_SECRET: SECRET, GASTOWN_TOWN: "yard" };
	assert.equal((await gt(["login", "--dev", "--user", "sarah"], env)).code, 0);
	assert.equal((await gt(["town", "create", "yard"], env)).code, 0);
	const auth = { authorization: `Bearer ${readFileSync(join(home, ".config/gastown/token"), "utf8").trim()}` };

	for (const args of [["bead", "create", "--help"], ["bead", "create", "-h"], ["bead", "create", "Real", "--help"],
		["town", "create", "--help"], ["town", "create", "other", "-h"], ["town", "delete", "yard", "--help"],
		["rig", "add", "web", "https://example.com/web.git", "-h"], ["convoy", "create", "c", "gt-1", "--help"]]) {
		const r = await gt(args, env);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		assert.match(r.stdout, /^usage: gt /);
	}
	const beads = await call(mf, "GET", "/api/towns/yard/beads", undefined, auth);
	assert.deepEqual(beads.body.data.beads, [], "no bead titled --help or -h");
	const towns = await call(mf, "GET", "/api/me/towns", undefined, auth);
	assert.deepEqual(towns.body.data.map((x) => x.id), ["yard"]);
	assert.deepEqual((await call(mf, "GET", "/api/towns/yard/rigs", undefined, auth)).body.data, []);
});

test("unknown options are named, with a usage hint on stderr and exit 2, before any request", async (t) => {
	const town = await countingTown(t);
	const env = { GASTOWN_URL: town.url, GASTOWN_TOWN: "yard", GASTOWN_TOKEN: "x", HOME: "/nonexistent" };
	for (const [args, who, word] of [
		[["--bogus", "me"], "gt", "--bogus"],
		[["-x", "health"], "gt", "-x"],
		[["me", "--bogus"], "gt me", "--bogus"],
		[["bead", "create", "Fix", "--colour", "red"], "gt bead create", "--colour"],
		[["bead", "list", "-z"], "gt bead list", "-z"],
		[["bead", "--frob", "list"], "gt bead", "--frob"],
		[["town", "create", "demo", "--nmae", "Demo"], "gt town create", "--nmae"],
		[["feed", "--since", "3"], "gt feed", "--since"],
		[["costs", "--year"], "gt costs", "--year"],
		[["status", "--verbose", "x"], "gt status", "--verbose"],
		[["script", "--flie", "x"], "gt script", "--flie"],
	]) {
		const r = await gt(args, env);
		assert.equal(r.code, 2, `gt ${args.join(" ")}: ${r.stderr}`);
		assert.equal(r.stdout, "");
		const name = who === "gt" ? "" : `${who.slice(3)} `;
		assert.ok(r.stderr.startsWith(`${who}: unknown option '${word}'\nusage: gt `), `gt ${args.join(" ")}: ${r.stderr}`);
		assert.ok(r.stderr.endsWith(`Run 'gt ${name}--help' for more.\n`), `gt ${args.join(" ")}: ${r.stderr}`);
	}
	const flag = await gt(["bead", "create", "x", "--json=yes"], env);
	assert.equal(flag.code, 2);
	assert.match(flag.stderr, /^gt bead create: option '--json' takes no value\n/);
	const extra = await gt(["health", "now"], env);
	assert.equal(extra.code, 2);
	assert.match(extra.stderr, /^gt health: unexpected argument 'now'\n/);
	const unknown = await gt(["frobnicate"], env);
	assert.equal(unknown.code, 2);
	assert.match(unknown.stderr, /^gt: unknown command 'frobnicate' \(gt help lists them\)\nusage: gt /);
	assert.deepEqual(town.hits, []);
});

test("an option that needs a value does not take the next option as its value", async (t) => {
	const town = await countingTown(t);
	const home = mkdtempSync(join(tmpdir(), "gt-home-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = { GASTOWN_URL: town.url, HOME: home, GASTOWN_TOWN: "yard", GASTOWN_JWT_SECRET: SECRET };

	// `--user $USER` with USER unset: the README's line once signed in as the user "--name".
	const login = await gt(["login", "--dev", "--user", "--name", "Your Name"], env);
	assert.equal(login.code, 2);
	assert.match(login.stderr, /^gt login: option '--user' needs a value, not the option '--name'/);
	assert.equal(login.stdout, "");
	assert.throws(() => statSync(join(home, ".config/gastown/token")), "no token was saved");
	for (const [args, option, next] of [
		[["dev-token", "--user", "--ttl", "60"], "--user", "--ttl"],
		[["--town", "--json", "bead", "list"], "--town", "--json"],
		[["bead", "create", "Fix", "--rig", "--sling"], "--rig", "--sling"],
		[["bead", "update", "gt-1", "--title", "-q"], "--title", "-q"],
		[["mail", "send", "toast", "hi", "--body", "--json"], "--body", "--json"],
	]) {
		const r = await gt(args, { ...env, GASTOWN_TOKEN: "x" });
		assert.equal(r.code, 2, `gt ${args.join(" ")}: ${r.stderr}`);
		assert.match(r.stderr, new RegExp(`option '${option}' needs a value, not the option '${next}'`), args.join(" "));
	}
	const missing = await gt(["bead", "create", "Fix", "--rig"], { ...env, GASTOWN_TOKEN: "x" });
	assert.equal(missing.code, 2);
	assert.match(missing.stderr, /^gt bead create: option '--rig' needs a value\n/);
	// A value that starts with '-' is written --opt=VALUE; a negative amount is an operand, named.
	const dash = await gt(["dev-token", "--user=-dash-"], env);
	assert.equal(dash.code, 0, dash.stderr);
	assert.equal(JSON.parse(Buffer.from(dash.stdout.split(".")[1], "base64url")).sub, "-dash-");
	const neg = await gt(["budget", "set", "user-day", "alice", "-5"], { ...env, GASTOWN_TOKEN: "x" });
	assert.equal(neg.code, 2);
	assert.match(neg.stderr, /'-5' is negative/);
	assert.deepEqual(town.hits, []);
});

test("an invalid town id is named as such, not as a town that cannot be reached", async (t) => {
	const town = await countingTown(t);
	const env = { GASTOWN_URL: town.url, GASTOWN_TOKEN: "x", HOME: "/nonexistent" };
	for (const [args, extra] of [
		[["--town", "bad town!", "bead", "list"], {}],
		[["bead", "create", "x"], { GASTOWN_TOWN: "bad town!" }],
		[["rig", "list"], { GASTOWN_TOWN: "-yard" }],
		[["feed"], { GASTOWN_TOWN: "a".repeat(65) }],
		[["costs"], { GASTOWN_TOWN: "yard/../x" }],
		[["sling", "gt-1"], { GASTOWN_TOWN: "bad town!" }],
	]) {
		const r = await gt(args, { ...env, ...extra });
		assert.equal(r.code, 2, `gt ${args.join(" ")}: ${r.stderr}`);
		assert.match(r.stderr, /is not a valid town id \(1-64 of a-z A-Z 0-9 _ -, not starting with -\): check --town or GASTOWN_TOWN/);
		assert.doesNotMatch(r.stderr, /cannot reach/);
	}
	const create = await gt(["town", "create", "bad town!"], env);
	assert.equal(create.code, 2);
	assert.match(create.stderr, /^gt town create: 'bad town!' is not a valid town id/);
	const org = await gt(["fleet", "--org", "acme corp"], env);
	assert.equal(org.code, 2);
	assert.match(org.stderr, /'acme corp' is not a valid organization id/);
	assert.deepEqual(town.hits, []);
});

test("gt feed prints every event up to the newest, however many pages the town sends them in", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const home = mkdtempSync(join(tmpdir(), "gt-home-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = { GASTOWN_URL: url, HOME: home, GASTOWN_JWT_SECRET: SECRET, GASTOWN_TOWN: "yard" };
	assert.equal((await gt(["login", "--dev", "--user", "sarah"], env)).code, 0);
	assert.equal((await gt(["town", "create", "yard"], env)).code, 0);
	// 1200 beads: more than two pages of the town's largest (500).
	assert.equal((await call(mf, "POST", "/api/towns/yard/_test/beads-bulk", { count: 1200 })).status, 200);
	assert.equal((await gt(["bead", "create", "The newest"], env)).code, 0);

	const text = await gt(["feed"], env);
	assert.equal(text.code, 0, text.stderr);
	const lines = text.stdout.trim().split("\n");
	assert.ok(lines.length >= 1202, `${lines.length} lines`);
	assert.match(lines.at(-1), /bead\.created\s+gt-\w+\s+by sarah$/, "the newest event is there");
	const seqs = lines.map((l) => Number(/^#(\d+) /.exec(l)[1]));
	assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), "every event once, in order");

	const json = JSON.parse((await gt(["--json", "feed", "--after", "100"], env)).stdout);
	assert.equal(json.events.length, lines.length - 100 + seqs[0] - 1);
	assert.equal(json.events[0].seq, 101);
	assert.equal(json.next_after, seqs.at(-1));
	assert.equal((await gt(["feed", "--after", String(seqs.at(-1))], env)).stdout, "");
});

// ---- the README walkthrough ----------------------------------------------------------------------

// The environment of a root shell with no $USER (nor $LOGNAME): gt falls back to the login name.
const noUserEnv = (env) => ({ ...env, USER: undefined, LOGNAME: undefined });

test("README walkthrough: sign in without $USER, a town, a rig, beads held until `gt sling`", async (t) => {
	// A container that is not there: the town still dispatches (and then sees the start fail).
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET,
		GASTOWN_CONTAINER_SECRET: "cli-test-container-secret-0123456789abcdef",
		GASTOWN_AGENT_HOST_URL: `http://127.0.0.1:${await freePort()}` } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const home = mkdtempSync(join(tmpdir(), "gt-home-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = noUserEnv({ GASTOWN_URL: url, HOME: home, GASTOWN_JWT_SECRET: SECRET });
	const ok = async (args, e = env) => {
		const r = await gt(args, e);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		return r.stdout;
	};
	const me = userInfo().username;

	assert.match(await ok(["login", "--dev", "--name", "Your Name"]), new RegExp(`^signed in as ${me} \\(development token`));
	assert.equal(await ok(["me"]), `${me} (Your Name)\n`);
	assert.equal(JSON.parse(await ok(["--json", "health"])).status, "ok");
	assert.match(await ok(["town", "create", "demo", "--name", "Demo"]), /^demo  Demo  \(owner/);
	const town = { ...env, GASTOWN_TOWN: "demo" };
	await ok(["rig", "add", "web", "https://github.com/acme/web.git", "--branch", "main", "--merge", "pr"], town);
	// -q prints the id alone, for FIX=$(gt bead create -q ...).
	const fix = await ok(["bead", "create", "-q", "Fix login", "--type", "bug", "--priority", "1", "--rig", "web", "--label", "auth"], town);
	assert.match(fix, /^gt-[0-9a-z]+\n$/);
	const FIX = fix.trim();
	const DOCS = (await ok(["bead", "create", "Document login", "--rig", "web", "--quiet"], town)).trim();
	const ready = await ok(["bead", "list", "--ready"], town);
	assert.match(ready, new RegExp(`^${FIX}\\s+open .*Fix login  \\[web\\]  \\(held\\)$`, "m"));
	assert.match(ready, new RegExp(`^${DOCS}\\s+open .*Document login  \\[web\\]  \\(held\\)$`, "m"));
	await ok(["bead", "update", FIX, "--priority", "0", "--label", "auth", "--label", "urgent"], town);
	assert.match(await ok(["bead", "show", FIX], town), new RegExp(`P0 bug .*\\n  requested by ${me}, created by ${me}\\n  held: nothing starts it until \`gt sling ${FIX}\``));
	assert.match(await ok(["convoy", "create", "ship login", FIX, DOCS, "--series"], town), /ship login  series, open, 0\/2 closed/);
	// A title that starts with '-' goes after --.
	const dash = JSON.parse(await ok(["--json", "bead", "create", "--", "-x is broken"], town));
	assert.equal(dash.title, "-x is broken");
	assert.equal(dash.held, false, "no rig, nothing to hold it from");

	// Held: the town does not start it, however long we wait.
	await new Promise((r) => setTimeout(r, 1500));
	const auth = { authorization: `Bearer ${readFileSync(join(home, ".config/gastown/token"), "utf8").trim()}` };
	const bead = async (id) => (await call(mf, "GET", `/api/towns/demo/beads/${id}`, undefined, auth)).body.data;
	const kinds = async (id) => (await call(mf, "GET", `/api/towns/demo/beads/${id}/events`, undefined, auth)).body.data.events.map((e) => e.kind);
	assert.deepEqual([(await bead(FIX)).status, (await bead(FIX)).held], ["open", true]);
	assert.ok(!(await kinds(FIX)).includes("bead.dispatched"), (await kinds(FIX)).join(" "));
	const feed = await ok(["feed"], town);
	assert.match(feed, new RegExp(`bead\\.created\\s+${FIX}\\s+by ${me}`));
	assert.doesNotMatch(feed, /bead\.dispatched/);

	// gt sling lifts the hold, and the town takes the bead up.
	assert.match(await ok(["sling", FIX], town), new RegExp(`^${FIX}\\s+open\\s+Fix login  \\[web\\]\\n$`));
	assert.equal((await bead(FIX)).held, false);
	await eventually(async () => (await kinds(FIX)).includes("bead.dispatched"), { timeoutMs: 10_000 });
	assert.match(await ok(["feed"], town), new RegExp(`bead\\.slung\\s+${FIX}\\s+by ${me}`));
	// DOCS was never slung: still held, still waiting.
	assert.deepEqual([(await bead(DOCS)).status, (await bead(DOCS)).held], ["open", true]);

	// --sling files and hands over at once.
	const now = JSON.parse(await ok(["--json", "bead", "create", "Right away", "--rig", "web", "--sling"], town));
	assert.equal(now.held, false);
	assert.ok((await kinds(now.id)).includes("bead.slung"));
});

// Run gt until its stdout matches re; resolves with the output. For `gt feed --follow`.
function gtUntil(args, env, re, timeoutMs) {
	return new Promise((resolve, reject) => {
		const child = spawn(GT, args, { env: { PATH: process.env.PATH, ...env } });
		let out = "", err = "";
		const timer = setTimeout(() => {
			child.kill();
			reject(new Error(`gt ${args.join(" ")}: no match for ${re} in ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
		}, timeoutMs);
		child.stdout.on("data", (d) => {
			out += d;
			if (re.test(out)) {
				clearTimeout(timer);
				child.kill();
				resolve(out);
			}
		});
		child.stderr.on("data", (d) => { err += d; });
		child.on("exit", (code) => {
			if (!re.test(out)) {
				clearTimeout(timer);
				reject(new Error(`gt ${args.join(" ")} ended (${code}) before ${re}\nstdout:\n${out}\nstderr:\n${err}`));
			}
		});
	});
}

test("README walkthrough: watch a bead go from sling to merge with gt feed --follow", { timeout: 120_000 }, async (t) => {
	const JWT = "cli-walkthrough-jwt-secret-0123456789abcdef";
	const CONTAINER = "cli-walkthrough-container-secret-0123456789";
	const dir = tempDir(t);
	const origin = makeOrigin(dir);
	const hostPort = await freePort();
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: JWT, GASTOWN_CONTAINER_SECRET: CONTAINER,
		GASTOWN_AGENT_HOST_URL: `http://127.0.0.1:${hostPort}` } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const host = await startHost({ townUrl: url, secret: CONTAINER, state: `${dir}/host`, heartbeatMs: 1000,
		args: ["--listen", `127.0.0.1:${hostPort}`] });
	t.after(() => host.stop());
	const env = noUserEnv({ GASTOWN_URL: url, HOME: dir, GASTOWN_JWT_SECRET: JWT, GASTOWN_TOWN: "demo" });
	const ok = async (args) => {
		const r = await gt(args, env);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}\nhost log:\n${host.log()}`);
		return r.stdout;
	};
	const me = userInfo().username;

	await ok(["login", "--dev", "--name", "Your Name", "--email", "you@example.com"]);
	await ok(["town", "create", "demo", "--name", "Demo"]);
	await ok(["rig", "add", "app", origin]);
	const body = "Say hello.\n\n```gt-script\nwrite hello.txt\nhello\n.\ncommit Add hello.txt\nstatus hello written\ndone\n```\n";
	const HELLO = (await ok(["bead", "create", "-q", "Say hello", "--rig", "app", "--body", body])).trim();
	// Held until slung: a second later it has not started.
	await new Promise((r) => setTimeout(r, 1000));
	assert.match(await ok(["bead", "show", HELLO]), new RegExp(`^${HELLO}\\s+open .*\\(held\\)\\n[^]*held: nothing starts it until \`gt sling ${HELLO}\``));
	assert.doesNotMatch(await ok(["feed"]), /bead\.dispatched/);

	await ok(["sling", HELLO]);
	// The feed shows the run through to the refinery's merge, which closes the bead.
	const merged = new RegExp(`bead\\.closed\\s+${HELLO}\\s+by refinery-app for ${me}\\s+status: in_review -> closed`);
	const follow = await gtUntil(["feed", "--follow"], env, merged, 90_000);
	for (const kind of ["bead.slung", "bead.dispatched", "agent.status", "bead.done"])
		assert.match(follow, new RegExp(`\\b${kind.replace(".", "\\.")}\\s`), kind);
	assert.match(follow, new RegExp(`bead\\.done\\s+${HELLO}\\s+by toast for ${me}`));
	const seqs = follow.split("\n").filter(Boolean).map((l) => Number(/^#(\d+) /.exec(l)?.[1]));
	assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "oldest first, no repeats");
	assert.equal(new Set(seqs).size, seqs.length);

	// Origin has the work, authored by you, committed by the polecat, merged by the refinery.
	const log = git(dir, "--git-dir", "origin.git", "log", "main", "--format=%an / %cn: %s");
	assert.match(log, /Your Name \/ Toast \(Polecat\): Add hello\.txt/);
	assert.match(log, /\/ Refinery app \(Refinery\): Merge /);
	// The polecat exists now: mail reaches it.
	assert.match(await ok(["mail", "send", "toast", "thanks"]), /^sent \S+ to toast\n$/);
	// --json --follow prints one event a line.
	const lines = await gtUntil(["--json", "feed", "--follow", "--after", "1"], env, /"kind":"mail\.sent"/, 10_000);
	for (const line of lines.trim().split("\n")) assert.ok(JSON.parse(line).seq > 1, line);
});
