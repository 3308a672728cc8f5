// terminal.test.mjs - the agent host's terminal WebSocket (GET /towns/:town/agents/:agent/terminal):
// an agent runs on a PTY; a signed viewer gets its scrollback, then its live output; rw viewers type
// and resize, ro viewers only watch; the socket closes with 1000 when the agent's process ends.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import WebSocket from "ws";
import { eventually, tempDir } from "./harness.mjs";
import { fakeTown, sign, startHost } from "./host-harness.mjs";

const SECRET = "terminal-test-secret-0123456789abcdef012345";
const WAIT = { timeoutMs: 4000, everyMs: 20 };

// An agent that answers each line of its input: "size" with `stty size`, "quit" by ending, anything
// else upper-cased. It prints a line first, for the scrollback, and one on stderr.
const ECHO_AGENT = [
	"echo to-stderr >&2",
	"echo before-attach",
	"while IFS= read -r line; do",
	"  case \"$line\" in",
	"    size) echo \"size: $(stty size)\" ;;",
	"    quit) echo bye; exit 0 ;;",
	"    *) echo \"got: $(printf %s \"$line\" | tr a-z A-Z)\" ;;",
	"  esac",
	"done",
].join("\n");

// A bare origin with one commit on main: the rig the agent's worktree comes from.
function makeOrigin(dir) {
	const env = { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "Setup",
		GIT_AUTHOR_EMAIL: "setup@example.com", GIT_COMMITTER_NAME: "Setup", GIT_COMMITTER_EMAIL: "setup@example.com" };
	const git = (cwd, ...args) => execFileSync("git", args, { cwd, env, stdio: "ignore" });
	const origin = join(dir, "origin.git"), seed = join(dir, "seed");
	git(dir, "init", "-q", "--bare", "-b", "main", origin);
	git(dir, "clone", "-q", `file://${origin}`, seed);
	git(seed, "checkout", "-q", "-b", "main");
	git(seed, "commit", "-q", "--allow-empty", "-m", "Initial commit");
	git(seed, "push", "-q", "origin", "main");
	return `file://${origin}`;
}

async function setup(t) {
	const dir = tempDir(t);
	const gitUrl = makeOrigin(dir);
	const town = await fakeTown(t);
	const host = await startHost({ townUrl: town.url, secret: SECRET, state: join(dir, "state"), heartbeatMs: 1000,
		env: { HOME: dir, GIT_CONFIG_NOSYSTEM: "1" } });
	t.after(async () => {
		const { code } = await host.stop();
		assert.equal(code, 0, host.log());
	});
	const start = async (agent, command) => {
		const res = await host.call("POST", `/towns/demo/agents/${agent}/start`, {
			agent: { id: agent, name: "Toast", role: "polecat", rig: "app" },
			bead: { id: "gt-t1", title: "Terminal", body: "", type: "task" },
			rig: { id: "app", git_url: gitUrl, default_branch: "main", merge_strategy: "direct", gates: [] },
			branch: `gt/${agent}/gt-t1`,
			requested_by: { id: "alice", name: "Alice", email: "alice@example.com" },
			token: "tok-1", token_expires_ms: Date.now() + 3600_000,
			runtime: { kind: "command", command },
			prompt: "", model: null, review: null,
		});
		assert.equal(res.status, 202, res.text);
	};
	return { town, host, start };
}

const terminalPath = (agent) => `/towns/demo/agents/${agent}/terminal`;

// Open a terminal. Resolves once upgraded: {ws, output() (all it received, as text), closed
// (resolves {code, reason}), input(data), resize(cols, rows)}.
async function attach(host, agent, { mode = "rw", signature } = {}) {
	const path = terminalPath(agent);
	const headers = { "x-gastown-signature": signature ?? sign(SECRET, "GET", path, mode), "x-gastown-terminal-mode": mode };
	const ws = new WebSocket(`ws://127.0.0.1:${host.port}${path}`, { headers });
	let text = "";
	ws.on("message", (data, isBinary) => {
		assert.ok(isBinary, "output comes as binary frames");
		text += data.toString("utf8");
	});
	const closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
	await new Promise((resolve, reject) => {
		ws.on("open", resolve);
		ws.on("error", reject);
	});
	const send = (o) => ws.send(JSON.stringify(o));
	return { ws, closed, output: () => text, input: (data) => send({ type: "input", data }),
		resize: (cols, rows) => send({ type: "resize", cols, rows }) };
}

// A handshake the host refuses: {status, body}, and no upgrade.
function refused(host, path, headers) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(`ws://127.0.0.1:${host.port}${path}`, { headers });
		ws.on("open", () => reject(new Error("upgraded")));
		ws.on("error", () => {}); // the abort below
		ws.on("unexpected-response", (req, res) => {
			let raw = "";
			res.on("data", (c) => { raw += c; });
			res.on("end", () => {
				req.destroy();
				resolve({ status: res.statusCode, body: JSON.parse(raw) });
			});
		});
	});
}

test("a viewer gets the scrollback, then live output; its input and resizes reach the agent; the end closes it with 1000", async (t) => {
	const { town, host, start } = await setup(t);
	await start("toast", ECHO_AGENT);
	await eventually(() => town.lines("toast").includes("before-attach"), WAIT);

	const term = await attach(host, "toast");
	await eventually(() => term.output().includes("before-attach\r\n"), WAIT);
	// stderr is a pipe of its own (its lines are error events), shown on the terminal too.
	assert.ok(term.output().includes("to-stderr\r\n"), JSON.stringify(term.output()));
	const errors = town.of("toast", "events").flatMap((r) => r.body.events).filter((e) => e.type === "error");
	assert.deepEqual(errors.map((e) => e.text), ["to-stderr"]);

	term.input("hello\r"); // Enter, as xterm.js sends it
	await eventually(() => term.output().includes("got: HELLO"), WAIT);
	assert.ok(!term.output().includes("hello"), "no echo: the agent's input is not its output");
	term.input("size\r");
	await eventually(() => term.output().includes("size: 32 120"), WAIT);
	term.resize(100, 40);
	term.input("size\r");
	await eventually(() => term.output().includes("size: 40 100"), WAIT);
	term.resize(5000, 1); // out of bounds: ignored
	term.ws.send("{not json");
	term.input("size\r");
	await eventually(() => term.output().split("size: 40 100").length === 3, WAIT);

	// Events stay a readable timeline: lines without the terminal's CRs.
	await eventually(() => town.lines("toast").includes("got: HELLO"), WAIT);
	assert.ok(town.lines("toast").every((l) => !l.includes("\r")));

	term.input("quit\r");
	const { code, reason } = await term.closed;
	assert.equal(code, 1000);
	assert.equal(reason, "agent ended");
	assert.ok(term.output().includes("bye"), "the last output goes out before the close");
	const completed = await eventually(() => town.of("toast", "completed")[0], WAIT);
	assert.equal(completed.body.exit_code, 0);
});

test("an ro viewer watches but its input and resizes are ignored; several viewers see the same output", async (t) => {
	const { host, start } = await setup(t);
	await start("nux", ECHO_AGENT);
	const ro = await attach(host, "nux", { mode: "ro" });
	const rw = await attach(host, "nux");

	ro.input("from-ro\r");
	ro.resize(50, 20);
	await new Promise((r) => setTimeout(r, 300));
	rw.input("from-rw\r");
	rw.input("size\r");
	for (const term of [ro, rw]) {
		await eventually(() => term.output().includes("got: FROM-RW") && term.output().includes("size: 32 120"), WAIT);
		assert.ok(!term.output().includes("FROM-RO"), term.output());
	}
	// A binary frame is not part of the protocol: closed with 1003; the other viewer stays.
	rw.ws.send(Buffer.from([1, 2, 3]));
	assert.equal((await rw.closed).code, 1003);
	const stop = await host.call("POST", "/towns/demo/agents/nux/stop", { reason: "test over" });
	assert.equal(stop.status, 200);
	assert.deepEqual(await ro.closed, { code: 1000, reason: "agent ended" });
});

test("a terminal needs the town's signature, an upgrade and a running agent", async (t) => {
	const { town, host, start } = await setup(t);
	await start("toast", "echo up; sleep 30");
	await eventually(() => town.lines("toast").includes("up"), WAIT);
	const path = terminalPath("toast");

	const unsigned = await refused(host, path, { "x-gastown-terminal-mode": "rw" });
	assert.equal(unsigned.status, 401);
	assert.equal(unsigned.body.error.code, "unauthenticated");
	const wrongKey = await refused(host, path, { "x-gastown-signature": sign(`${SECRET}-not`, "GET", path) });
	assert.equal(wrongKey.status, 401);
	const otherPath = await refused(host, path, { "x-gastown-signature": sign(SECRET, "GET", terminalPath("nux")) });
	assert.equal(otherPath.status, 401);
	const stale = await refused(host, path, { "x-gastown-signature": sign(SECRET, "GET", path, "", Date.now() - 301_000) });
	assert.equal(stale.status, 401);

	const unknown = await refused(host, terminalPath("nobody"), { "x-gastown-signature": sign(SECRET, "GET", terminalPath("nobody")) });
	assert.equal(unknown.status, 404);
	assert.equal(unknown.body.error.code, "not_found");
	const badMode = await refused(host, path, { "x-gastown-signature": sign(SECRET, "GET", path, "admin"), "x-gastown-terminal-mode": "admin" });
	assert.equal(badMode.status, 400);
	// The mode is signed: a watcher's request replayed as a typist's is refused.
	const replayed = await refused(host, path, { "x-gastown-signature": sign(SECRET, "GET", path, "ro"), "x-gastown-terminal-mode": "rw" });
	assert.equal(replayed.status, 401);
	const plain = await host.call("GET", path);
	assert.equal(plain.status, 400, "signed, but not an upgrade");
	assert.equal(plain.body.error.code, "invalid");
	const post = await host.call("POST", path, {});
	assert.equal(post.status, 405);

	// The host stops with a viewer attached: the viewer is told, the host exits 0.
	const term = await attach(host, "toast");
	await eventually(() => term.output().includes("up"), WAIT);
	const { code } = await host.stop();
	assert.equal(code, 0, host.log());
	assert.deepEqual(await term.closed, { code: 1001, reason: "host shutting down" });
});
