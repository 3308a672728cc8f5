// host-runtime.test.mjs - the agent host's side of a coding-CLI runtime (docs/agents.md), with a
// stand-in `claude` on PATH that reports what it was given: its command line, its home and
// configuration, stdin /dev/null, and the town's MCP server reached through the host's proxy with
// the agent's token (not whatever the CLI sends), refused once the run has ended. And the Mayor's
// start: no rig, a directory of its own, its message as its bead.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { eventually, tempDir } from "./harness.mjs";
import { fakeTown, startHost } from "./host-harness.mjs";

const SECRET = "host-runtime-secret-0123456789abcdef0123456789";
const WAIT = { timeoutMs: 20000, everyMs: 50 };

// The stand-in CLI: writes {argv, env, stdin, mcp answer} to $OUT_FILE, then waits for $HOLD to
// exist (so the test can use its run key while it runs).
const FAKE_CLI = `#!/usr/bin/env node
const fs = require("node:fs");
const argv = process.argv.slice(2);
const cfg = JSON.parse(fs.readFileSync(argv[argv.indexOf("--mcp-config") + 1], "utf8"));
const url = cfg.mcpServers.gastown.url;
let stdin = null;
try { stdin = fs.readFileSync(0, "utf8"); } catch (e) { stdin = "error " + e.code; }
fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer from-the-cli" },
	body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) })
	.then(async (r) => {
		// Written whole, then renamed: the test polls for the file and must never read half of it.
		fs.writeFileSync(process.env.OUT_FILE + ".tmp", JSON.stringify({ argv, cwd: process.cwd(), env: process.env, stdin,
			url, cfg, mcp: { status: r.status, body: await r.text() } }));
		fs.renameSync(process.env.OUT_FILE + ".tmp", process.env.OUT_FILE);
		const wait = () => fs.existsSync(process.env.HOLD) ? process.exit(0) : setTimeout(wait, 50);
		wait();
	});
`;

async function setup(t) {
	const dir = tempDir(t);
	const bin = join(dir, "bin");
	mkdirSync(bin);
	writeFileSync(join(bin, "claude"), FAKE_CLI);
	chmodSync(join(bin, "claude"), 0o755);
	const town = await fakeTown(t, (r) => r.path === "/api/towns/demo/mcp"
		? { status: 200, body: { jsonrpc: "2.0", id: 1, result: { tools: [{ name: "gt_status" }] } } } : undefined);
	const host = await startHost({ townUrl: town.url, secret: SECRET, state: join(dir, "state"), heartbeatMs: 200,
		env: { PATH: `${bin}:${process.env.PATH}`, OUT_FILE: join(dir, "out.json"), HOLD: join(dir, "hold") } });
	t.after(() => host.stop());
	return { dir, town, host, out: join(dir, "out.json"), hold: join(dir, "hold") };
}

const mayorStart = (extra = {}) => ({
	agent: { id: "mayor", name: "Mayor", role: "mayor" }, bead: null, rig: null, branch: null, message: "msg-1",
	requested_by: { id: "alice", name: "Alice", email: "alice@example.com" }, token: "tok-1",
	token_expires_ms: Date.now() + 3600_000, runtime: { kind: "claude" }, prompt: "Answer Alice.", resume: false,
	model: "fake-model", review: null, ...extra,
});

test("a CLI runtime: its own home and MCP config, stdin /dev/null, the town's MCP server with the agent's token", async (t) => {
	const { dir, town, host, out, hold } = await setup(t);
	const res = await host.call("POST", "/towns/demo/agents/mayor/start", mayorStart());
	assert.equal(res.status, 202, res.text);
	const got = await eventually(() => existsSync(out) && JSON.parse(readFileSync(out, "utf8")), WAIT);
	const home = join(dir, "state/towns/demo/agents/mayor/home");
	// The Mayor runs in a directory of its own, with no clone.
	assert.equal(got.cwd, join(dir, "state/towns/demo/agents/mayor/work"));
	assert.equal(got.env.HOME, home);
	assert.equal(got.env.IS_SANDBOX, "1");
	assert.equal(got.env.GASTOWN_BEAD, "msg-1");
	assert.deepEqual(got.argv.slice(0, 2), ["-p", "Answer Alice."]);
	assert.ok(got.argv.includes("--strict-mcp-config") && got.argv.includes("fake-model"), got.argv.join(" "));
	assert.equal(got.stdin, "", "stdin is /dev/null: empty at once");
	assert.match(got.url, /^http:\/\/127\.0\.0\.1:\d+\/m\/[0-9a-f]{32}\/mcp$/);
	assert.ok(!JSON.stringify(got.cfg).includes("tok-1"), "no token in the CLI's configuration");
	// The town got the call with the agent's token, not the CLI's header; the answer came back.
	assert.equal(got.mcp.status, 200, got.mcp.body);
	assert.deepEqual(JSON.parse(got.mcp.body).result.tools, [{ name: "gt_status" }]);
	const mcp = town.requests.filter((r) => r.path === "/api/towns/demo/mcp");
	assert.equal(mcp.length, 1);
	assert.equal(mcp[0].auth, "Bearer tok-1");
	assert.equal(mcp[0].body.method, "tools/list");
	// Heartbeats name the message; a message to a CLI is refused (it reads no input).
	await eventually(() => town.of("mayor", "heartbeat").length > 0, WAIT);
	assert.deepEqual(town.of("mayor", "heartbeat")[0].body, { bead: "msg-1" });
	assert.equal((await host.call("POST", "/towns/demo/agents/mayor/message", { kind: "nudge", text: "hi" })).status, 409);
	writeFileSync(hold, "");
	const completed = await eventually(() => town.of("mayor", "completed")[0], WAIT);
	assert.deepEqual([completed.body.bead, completed.body.exit_code], ["msg-1", 0]);
	// The run key died with the process.
	const after = await fetch(got.url, { method: "POST", body: "{}" });
	assert.equal(after.status, 401);
});

test("a Mayor start without its message, or as the scripted agent, and an unknown runtime are refused", async (t) => {
	const { host } = await setup(t);
	const noMessage = await host.call("POST", "/towns/demo/agents/mayor/start", mayorStart({ message: undefined }));
	assert.deepEqual([noMessage.status, noMessage.body.error.field], [400, "message"]);
	const scripted = await host.call("POST", "/towns/demo/agents/mayor/start", mayorStart({ runtime: { kind: "scripted" } }));
	assert.deepEqual([scripted.status, scripted.body.error.field], [400, "runtime.kind"]);
	const kilo = await host.call("POST", "/towns/demo/agents/mayor/start", mayorStart({ runtime: { kind: "kilo" } }));
	assert.deepEqual([kilo.status, kilo.body.error.field], [400, "runtime.kind"]);
	const badModel = await host.call("POST", "/towns/demo/agents/mayor/start", mayorStart({ model: "-x" }));
	assert.equal(badModel.status, 400, badModel.text);
});
