// connect.test.mjs - `gt connect`: a member's machine joins a town in the real worker as a crew
// agent, and the official MCP SDK client, standing in for a local coding CLI, works in the town
// through the loopback endpoint gt serves (no token in its configuration). Ctrl-C disconnects.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SignJWT } from "jose";
import { ROOT, call, startWorker } from "./harness.mjs";

const run = promisify(execFile);
const GT = join(ROOT, "build/native/gt");
const SECRET = "connect-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const jwt = (user) => new SignJWT({ sub: user, name: user }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("10m").sign(key);
const T = "/api/towns/crewtown";

test("gt connect joins a crew agent that a local MCP client drives; Ctrl-C disconnects it", { timeout: 90_000 }, async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const sarah = { authorization: `Bearer ${await jwt("sarah")}` }, bobToken = await jwt("bob");
	assert.equal((await call(mf, "POST", T, { name: "Crew" }, sarah)).status, 201);
	await call(mf, "PUT", `${T}/members/bob`, { role: "member" }, sarah);
	await call(mf, "POST", `${T}/rigs`, { id: "web", git_url: "https://example.com/web.git" }, sarah);
	const home = mkdtempSync(join(tmpdir(), "gt-connect-"));
	t.after(() => rmSync(home, { recursive: true, force: true }));
	const env = { PATH: process.env.PATH, HOME: home, GASTOWN_TOKEN: bobToken };

	// Bad input first: no town in the URL, a bad --write, a viewer's... nothing joins.
	const noTown = await run(GT, ["connect", url], { env }).catch((e) => e);
	assert.equal(noTown.code, 2);
	assert.match(noTown.stderr, /which town/);
	const badWrite = await run(GT, ["connect", `${url}${T}`, "--write", "vim"], { env }).catch((e) => e);
	assert.equal(badWrite.code, 2);
	const outsider = await run(GT, ["connect", `${url}${T}`, "--once"], { env: { ...env, GASTOWN_TOKEN: await jwt("olga") } }).catch((e) => e);
	assert.equal(outsider.code, 1);
	assert.match(outsider.stderr, /404 not_found/);
	assert.equal((await call(mf, "GET", `${T}/agents`, undefined, sarah)).body.data.length, 0);

	// Bob's laptop joins; the first line is what a script reads.
	const child = spawn(GT, ["--json", "connect", `${url}${T}`, "--name", "laptop", "--port", "0", "--write", "claude"],
		{ env, cwd: home, stdio: ["ignore", "pipe", "pipe"] });
	t.after(() => child.kill("SIGKILL"));
	let stderr = "";
	child.stderr.on("data", (d) => { stderr += d; });
	const [line] = await once(createInterface({ input: child.stdout }), "line");
	const joined = JSON.parse(line);
	assert.equal(joined.agent, "crew-laptop");
	assert.match(joined.mcp_url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
	assert.equal(joined.configs.claude.mcpServers.gastown.url, joined.mcp_url);
	assert.ok(!JSON.stringify(joined.configs).includes("Bearer"), "no token in the configurations");
	assert.equal(JSON.parse(readFileSync(join(home, ".mcp.json"), "utf8")).mcpServers.gastown.url, joined.mcp_url);
	const agent = (await call(mf, "GET", `${T}/agents/crew-laptop`, undefined, sarah)).body.data;
	assert.deepEqual([agent.role, agent.owner, agent.state], ["crew", "bob", "idle"]);

	// A local MCP client with no credentials of its own works as the crew agent.
	const client = new Client({ name: "local-cli", version: "1.0.0" });
	await client.connect(new StreamableHTTPClientTransport(new URL(joined.mcp_url)));
	t.after(() => client.close());
	const names = (await client.listTools()).tools.map((x) => x.name);
	assert.ok(names.includes("gt_status") && names.includes("gt_done") && names.includes("gt_prime"), names.join());
	const status = await client.callTool({ name: "gt_status", arguments: { message: "reading the code on my laptop" } });
	assert.ok(!status.isError, JSON.stringify(status));
	assert.equal((await call(mf, "GET", `${T}/agents/crew-laptop`, undefined, sarah)).body.data.status, "reading the code on my laptop");

	// A web page rebound to 127.0.0.1 (DNS rebinding) names itself in Host and Origin: refused, nothing done.
	const rebound = async (headers) => (await fetch(joined.mcp_url, { method: "POST", headers: {
		"content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
	body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call",
		params: { name: "gt_status", arguments: { message: "rebound" } } }) })).status;
	const port = new URL(joined.mcp_url).port;
	assert.equal(await rebound({ host: `evil.example.com:${port}`, origin: `http://evil.example.com:${port}` }), 403);
	assert.equal(await rebound({ origin: "http://evil.example.com" }), 403);
	assert.equal((await call(mf, "GET", `${T}/agents/crew-laptop`, undefined, sarah)).body.data.status, "reading the code on my laptop");

	// Work hooked to it by hand is in progress and shows in its prime.
	const bead = (await call(mf, "POST", `${T}/beads`, { title: "Fix the header", rig: "web", held: true }, sarah)).body.data.id;
	assert.equal((await call(mf, "POST", `${T}/agents/crew-laptop/hook`, { bead }, bob())).status, 200);
	assert.equal((await call(mf, "GET", `${T}/beads/${bead}`, undefined, sarah)).body.data.status, "in_progress");
	const prime = await client.callTool({ name: "gt_prime", arguments: {} });
	assert.ok(JSON.stringify(prime.structuredContent).includes(bead), JSON.stringify(prime.structuredContent));

	// Ctrl-C: gt disconnects the agent and exits 0; its tokens no longer open anything.
	await client.close();
	child.kill("SIGINT");
	const [code] = await once(child, "exit");
	assert.equal(code, 0, stderr);
	const gone = (await call(mf, "GET", `${T}/agents/crew-laptop`, undefined, sarah)).body.data;
	assert.equal(gone.state, "lost");
	assert.equal(gone.hook, bead); // the work stays until the town's lost_after_s

	// The crew's work has its outcome, in runtime "crew" (the town runs no CLI of its, meters no model).
	const opened = (await call(mf, "GET", `${T}/agents/crew-laptop/record`, undefined, sarah)).body.data;
	assert.deepEqual(opened.recent.map((o) => [o.bead, o.runtime, o.model, o.result]), [[bead, "crew", null, "running"]]);
	assert.equal((await call(mf, "POST", `${T}/beads/${bead}/close`, { reason: "done by hand" }, sarah)).status, 200);
	const ended = (await call(mf, "GET", `${T}/agents/crew-laptop/record`, undefined, sarah)).body.data;
	assert.deepEqual(ended.recent.map((o) => [o.bead, o.result]), [[bead, "closed"]]);
	assert.equal(ended.totals.n, 1);
	const byRuntime = (await call(mf, "GET", `${T}/stats?by=runtime`, undefined, sarah)).body.data.rows;
	assert.deepEqual(byRuntime.map((r) => [r.key, r.n]), [["crew", 1]]);

	// gt disconnect, for a machine joined with --once; sarah may not take bob's.
	const second = await run(GT, ["--json", "connect", `${url}${T}`, "--name", "desktop", "--once"], { env });
	assert.equal(JSON.parse(second.stdout.split("\n")[0]).agent, "crew-desktop");
	const notHers = await run(GT, ["--url", url, "--town", "crewtown", "disconnect", "crew-desktop"],
		{ env: { ...env, GASTOWN_TOKEN: await jwt("vic") } }).catch((e) => e);
	assert.equal(notHers.code, 1);
	const off = await run(GT, ["--url", url, "--town", "crewtown", "disconnect", "crew-desktop"], { env });
	assert.match(off.stdout, /Disconnected crew-desktop/);
	assert.equal((await call(mf, "GET", `${T}/agents/crew-desktop`, undefined, sarah)).body.data.state, "lost");

	function bob() {
		return { authorization: `Bearer ${bobToken}` };
	}
});

test("gt mayor ask sends a message and waits for the answer; gt mayor log shows the conversation", { timeout: 60_000 }, async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const sarah = { authorization: `Bearer ${await jwt("sarah")}` };
	assert.equal((await call(mf, "POST", T, { name: "Crew" }, sarah)).status, 201);
	const env = { PATH: process.env.PATH, GASTOWN_TOKEN: await jwt("sarah"), GASTOWN_URL: url, GASTOWN_TOWN: "crewtown" };
	// Nobody answers (the scripted runtime runs no Mayor): --wait gives up with exit 1.
	const unanswered = await run(GT, ["mayor", "ask", "anyone?", "--wait", "1"], { env }).catch((e) => e);
	assert.equal(unanswered.code, 1);
	assert.match(unanswered.stdout, /asked the Mayor \(msg-/);
	// An answer that comes while gt waits is printed.
	const asking = run(GT, ["--json", "mayor", "ask", "status please", "--wait", "20"], { env });
	const token = (await call(mf, "POST", `${T}/agents/mayor/token`, undefined, sarah)).body.data.token;
	let id;
	for (let i = 0; i < 100 && !id; i++) {
		const convo = (await call(mf, "GET", `${T}/mayor/messages`, undefined, sarah)).body.data;
		id = convo.find((m) => m.text === "status please")?.id;
		if (!id) await new Promise((r) => setTimeout(r, 100));
	}
	assert.ok(id);
	assert.equal((await call(mf, "POST", `${T}/agents/mayor/replies`, { message: id, text: "All quiet." },
		{ authorization: `Bearer ${token}` })).status, 201);
	const answered = JSON.parse((await asking).stdout);
	assert.deepEqual([answered.id, answered.replies.map((r) => r.text)], [id, ["All quiet."]]);
	const log = await run(GT, ["mayor", "log"], { env });
	assert.match(log.stdout, /you \(msg-[a-z0-9]+\): status please\n  mayor: All quiet\.\n/);
});
