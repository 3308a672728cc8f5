// meter.test.mjs - the agent host's metering proxy (docs/container-protocol.md, "Usage metering"):
// an agent started with `llm` reaches a fake model gateway through the proxy with a run key of its
// own; the gateway sees the real key, the agent gets the answers unchanged and as they stream, and
// the stand-in town receives one usage record per call that spent tokens.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { eventually, tempDir } from "./harness.mjs";
import { fakeTown, startHost } from "./host-harness.mjs";

const SECRET = "meter-test-secret-0123456789abcdef0123456789";
const WAIT = { timeoutMs: 20000, everyMs: 50 };
const API_KEY = "sk-test";

// A bare origin with one commit on main: the agent's worktree comes from it.
function makeOrigin(dir) {
	const home = join(dir, "home");
	const origin = join(dir, "origin.git");
	const seed = join(dir, "seed");
	const env = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "Setup",
		GIT_AUTHOR_EMAIL: "setup@example.com", GIT_COMMITTER_NAME: "Setup", GIT_COMMITTER_EMAIL: "setup@example.com" };
	const git = (cwd, ...args) => execFileSync("git", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
	execFileSync("mkdir", ["-p", home]);
	git(dir, "init", "-q", "--bare", "-b", "main", origin);
	git(dir, "clone", "-q", `file://${origin}`, seed);
	git(seed, "checkout", "-q", "-b", "main");
	writeFileSync(join(seed, "README.md"), "hello\n");
	git(seed, "add", "README.md");
	git(seed, "commit", "-q", "-m", "Initial commit");
	git(seed, "push", "-q", "origin", "main");
	return { home, url: `file://${origin}` };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A GET with the path sent as is (fetch would resolve its dot segments first).
function rawStatus(base, path) {
	return new Promise((resolve, reject) => {
		const req = request(`${base}${path}`, { method: "GET" }, (res) => { res.resume(); resolve(res.statusCode); });
		req.on("error", reject);
		req.path = path;
		req.end();
	});
}

// The answers of the fake gateway, in the shapes the doc's table names.
const CHAT_JSON = {
	id: "chatcmpl-1", object: "chat.completion", created: 1, model: "gpt-test-1",
	choices: [{ index: 0, message: { role: "assistant", content: "Hello there" }, finish_reason: "stop" }],
	usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120,
		prompt_tokens_details: { cached_tokens: 30 }, cost: 0.00123456 },
};
const RESPONSES_JSON = {
	id: "resp_1", object: "response", model: "gpt-test-3", status: "completed",
	output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "ok" }] }],
	usage: { input_tokens: 11, output_tokens: 5, total_tokens: 16, input_tokens_details: { cached_tokens: 1 } },
};
const MESSAGES_JSON = {
	id: "msg_1", type: "message", role: "assistant", model: "claude-test",
	content: [{ type: "text", text: "Hi" }], stop_reason: "end_turn",
	usage: { input_tokens: 25, output_tokens: 15, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 },
};
// The OpenAI stream: text chunks, the usage chunk (cut in two writes), [DONE].
function chatChunk(content) {
	return `data: ${JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", model: "gpt-test-2",
		choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
}
const CHAT_USAGE_CHUNK = `data: ${JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", model: "gpt-test-2",
	choices: [], usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57, prompt_tokens_details: { cached_tokens: 10 } } })}\n\n`;
// The Anthropic stream, with CRLF line ends.
function anthropicEvent(type, data) {
	return `event: ${type}\r\ndata: ${JSON.stringify({ type, ...data })}\r\n\r\n`;
}
const ANTHROPIC_EVENTS = [
	anthropicEvent("message_start", { message: { id: "msg_2", type: "message", role: "assistant", model: "claude-test-stream",
		content: [], usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 2, cache_creation_input_tokens: 4 } } }),
	anthropicEvent("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
	anthropicEvent("ping", {}),
	anthropicEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hel" } }),
	anthropicEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text: "lo" } }),
	anthropicEvent("content_block_stop", { index: 0 }),
	anthropicEvent("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 42 } }),
	anthropicEvent("message_stop", {}),
];

// A fake model gateway. Records {method, url, headers, body (text)} of every request and the exact
// text of every answer it sends (answers[url path] list). The OpenAI stream waits, after its first
// chunk, for the agent to call /v1/ack (through the proxy): it only gets that far if the first
// chunk reached it before the stream ended.
async function fakeUpstream(t) {
	const requests = [];
	const answers = [];
	const stream = { ackAt: 0, firstSentAt: 0, endedAt: 0, ackTimedOut: false };
	stream.left = new Promise((r) => { stream.leave = r; });
	let ack;
	const acked = new Promise((r) => { ack = r; });
	const server = createServer((req, res) => {
		let raw = "";
		req.on("data", (c) => { raw += c; });
		req.on("end", async () => {
			requests.push({ method: req.method, url: req.url, headers: req.headers, body: raw });
			const path = req.url.split("?")[0];
			const body = raw ? JSON.parse(raw) : {};
			const send = (status, obj) => {
				const text = JSON.stringify(obj);
				answers.push({ path, text });
				res.writeHead(status, { "content-type": "application/json", "x-upstream": "fake" });
				res.end(text);
			};
			if (path === "/v1/ack") {
				stream.ackAt = Date.now();
				ack();
				return send(200, { ok: true });
			}
			if (path === "/v1/chat/completions" && body.model === "fail") {
				return send(500, { error: { message: "the model fell over", type: "server_error" } });
			}
			if (path === "/v1/chat/completions" && body.stream) {
				res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
				let sent = "";
				const write = (s) => { sent += s; res.write(s); };
				write(chatChunk("Hel"));
				stream.firstSentAt = Date.now();
				const timedOut = await Promise.race([acked.then(() => false), sleep(5000).then(() => true)]);
				stream.ackTimedOut = timedOut;
				for (const piece of ["lo", " wor", "ld"]) {
					await sleep(20);
					write(chatChunk(piece));
				}
				await sleep(20);
				const cut = Math.floor(CHAT_USAGE_CHUNK.length / 2);
				write(CHAT_USAGE_CHUNK.slice(0, cut));
				await sleep(30);
				write(CHAT_USAGE_CHUNK.slice(cut));
				await sleep(20);
				write("data: [DONE]\n\n");
				stream.endedAt = Date.now();
				answers.push({ path, text: sent });
				return res.end();
			}
			if (path === "/v1/chat/completions") return send(200, CHAT_JSON);
			if (path === "/v1/responses") return send(200, RESPONSES_JSON);
			if (path === "/v1/messages" && body.stream) {
				res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
				let sent = "";
				for (const ev of ANTHROPIC_EVENTS) {
					// Each event in two writes, cut inside its data line.
					const cut = Math.floor(ev.length * 0.6);
					sent += ev;
					res.write(ev.slice(0, cut));
					await sleep(5);
					res.write(ev.slice(cut));
					await sleep(10);
				}
				answers.push({ path, text: sent });
				return res.end();
			}
			if (path === "/v1/messages") return send(200, MESSAGES_JSON);
			if (path === "/v1/big") {
				// 4 MiB of events as fast as the proxy takes them, then the usage.
				res.writeHead(200, { "content-type": "text/event-stream" });
				const piece = `data: ${"x".repeat(65536 - 8)}\n\n`;
				for (let i = 0; i < 64; i++) if (!res.write(piece)) await new Promise((r) => res.once("drain", r));
				const last = `data: ${JSON.stringify({ model: "gpt-big", choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } })}\n\n`;
				res.end(last);
				answers.push({ path, text: piece.repeat(64) + last });
				return;
			}
			if (path === "/v1/leave") {
				// A first chunk, then, once the test says the client has left, 1 MiB more and the usage.
				res.writeHead(200, { "content-type": "text/event-stream" });
				res.write("data: {}\n\n");
				await stream.left;
				const piece = `data: ${"y".repeat(65536 - 8)}\n\n`;
				for (let i = 0; i < 16; i++) if (!res.write(piece)) await new Promise((r) => res.once("drain", r));
				res.end(`data: ${JSON.stringify({ model: "gpt-left", choices: [], usage: { prompt_tokens: 9, completion_tokens: 1000 } })}\n\n`);
				return;
			}
			if (path === "/v1/hang") {
				res.writeHead(200, { "content-type": "text/event-stream" });
				res.write("data: {}\n\n");
				return; // and nothing more: the client gives up
			}
			return send(404, { error: { message: "no such route" } });
		});
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
	return { url: `http://127.0.0.1:${server.address().port}`, requests, answers, stream };
}

// The agent: a node script that calls the gateway through the variables it was given and writes
// what it saw to a JSON file.
const AGENT_SCRIPT = `
import { writeFileSync } from "node:fs";
const out = { env: {}, calls: {} };
for (const k of ["OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GASTOWN_MODEL"])
	out.env[k] = process.env[k] ?? null;
const openai = (path, body) => fetch(process.env.OPENAI_BASE_URL + path, { method: "POST",
	headers: { authorization: "Bearer " + process.env.OPENAI_API_KEY, "content-type": "application/json", "x-custom": "kept" },
	body: JSON.stringify(body) });
const anthropic = (body) => fetch(process.env.ANTHROPIC_BASE_URL + "/v1/messages", { method: "POST",
	headers: { "x-api-key": process.env.ANTHROPIC_API_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" },
	body: JSON.stringify(body) });
const record = async (name, res) => { out.calls[name] = { status: res.status, type: res.headers.get("content-type"),
	upstream: res.headers.get("x-upstream"), text: await res.text() }; };
try {
	await record("chat", await openai("/chat/completions", { model: "gpt-test-1", messages: [{ role: "user", content: "hi" }] }));
	// The stream: once its first chunk is here, tell the gateway (which holds the rest until then).
	const res = await openai("/chat/completions", { model: "gpt-test-2", stream: true,
		stream_options: { include_obfuscation: false }, messages: [{ role: "user", content: "hi" }] });
	const reader = res.body.getReader();
	const dec = new TextDecoder();
	let text = "", acked = false;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		text += dec.decode(value, { stream: true });
		if (!acked) {
			acked = true;
			const ack = await fetch(process.env.OPENAI_BASE_URL + "/ack?n=1&x=a+b%20c", { headers: { authorization: "Bearer " + process.env.OPENAI_API_KEY } });
			out.ack = { status: ack.status, text: await ack.text(), at: Date.now() };
		}
	}
	out.calls.stream = { status: res.status, type: res.headers.get("content-type"), text };
	await record("responses", await openai("/responses", { model: "gpt-test-3", input: "hi" }));
	await record("messages", await anthropic({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }));
	await record("messages_stream", await anthropic({ model: "claude-test-stream", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }));
	await record("fail", await openai("/chat/completions", { model: "fail", messages: [] }));
} catch (e) {
	out.error = String(e && e.stack || e);
}
writeFileSync(process.argv[2], JSON.stringify(out));
`;

async function setup(t, { hostEnv = {} } = {}) {
	const dir = tempDir(t);
	const repo = makeOrigin(dir);
	const town = await fakeTown(t);
	const upstream = await fakeUpstream(t);
	const host = await startHost({ townUrl: town.url, secret: SECRET, state: join(dir, "state"), heartbeatMs: 1000,
		env: { HOME: repo.home, GIT_CONFIG_NOSYSTEM: "1", ...hostEnv } });
	t.after(async () => {
		const { code } = await host.stop();
		assert.equal(code, 0, host.log());
	});
	const script = join(dir, "agent.mjs");
	writeFileSync(script, AGENT_SCRIPT);
	return { dir, repo, town, upstream, host, script };
}

function startBody(repo, { agent = "toast", bead = "gt-k2x9", command, llm, model = null }) {
	return {
		agent: { id: agent, name: "Toast", role: "polecat", rig: "app" },
		bead: { id: bead, title: "Metered work", body: "", type: "task" },
		rig: { id: "app", git_url: repo.url, default_branch: "main", merge_strategy: "direct", gates: [] },
		branch: `gt/${agent}/${bead}`,
		requested_by: { id: "alice", name: "Alice", email: "alice@example.com" },
		token: "tok-1", token_expires_ms: Date.now() + 3600_000,
		runtime: { kind: "command", command },
		prompt: "You are Toast.",
		model,
		review: null,
		...(llm === undefined ? {} : { llm }),
	};
}

test("metered calls reach the gateway with the real key, stream back unchanged, and become usage records", async (t) => {
	const { dir, town, upstream, host, script, repo } = await setup(t, { hostEnv: { OPENAI_API_KEY: "sk-user-own" } });
	const outFile = join(dir, "out.json");
	const res = await host.call("POST", "/towns/demo/agents/toast/start", startBody(repo, {
		command: `node ${script} ${outFile}`,
		llm: { base_url: `${upstream.url}/`, api_key: API_KEY, model: "claude-sonnet-4" },
	}));
	assert.equal(res.status, 202, res.text);
	const completed = await eventually(() => town.of("toast", "completed")[0], WAIT);
	assert.equal(completed.body.exit_code, 0, town.lines("toast").join("\n"));
	const out = JSON.parse(readFileSync(outFile, "utf8"));
	assert.equal(out.error, undefined, out.error);

	// The variables: the proxy's URLs and the run key, never the real key nor the user's own.
	const key = out.env.OPENAI_API_KEY;
	assert.match(key, /^[0-9a-f]{32}$/);
	assert.equal(out.env.ANTHROPIC_API_KEY, key);
	const m = /^http:\/\/127\.0\.0\.1:(\d+)\/m\/([0-9a-f]{32})\/openai\/v1$/.exec(out.env.OPENAI_BASE_URL);
	assert.ok(m, out.env.OPENAI_BASE_URL);
	assert.equal(m[2], key);
	assert.equal(out.env.ANTHROPIC_BASE_URL, `http://127.0.0.1:${m[1]}/m/${key}/anthropic`);
	assert.equal(out.env.GASTOWN_MODEL, "claude-sonnet-4", "llm.model when the runtime names none");
	assert.match(host.log(), new RegExp(`metering proxy on http://127\\.0\\.0\\.1:${m[1]}`));

	// The gateway saw the real key on every call, the right paths, and never the run key.
	assert.deepEqual(upstream.requests.map((r) => `${r.method} ${r.url}`), [
		"POST /v1/chat/completions", "POST /v1/chat/completions", "GET /v1/ack?n=1&x=a+b%20c", "POST /v1/responses",
		"POST /v1/messages", "POST /v1/messages", "POST /v1/chat/completions",
	]);
	for (const r of upstream.requests) {
		if (r.url.startsWith("/v1/messages")) {
			assert.equal(r.headers["x-api-key"], API_KEY);
			assert.equal(r.headers.authorization, undefined);
			assert.equal(r.headers["anthropic-version"], "2023-06-01");
		} else {
			assert.equal(r.headers.authorization, `Bearer ${API_KEY}`);
			assert.equal(r.headers["x-api-key"], undefined);
		}
		assert.ok(!JSON.stringify(r.headers).includes(key), "the run key stays with the proxy");
		assert.ok(!r.body.includes(key));
		assert.equal(r.headers["accept-encoding"], "identity");
		assert.equal(r.headers.host, new URL(upstream.url).host);
	}
	assert.equal(upstream.requests[0].headers["x-custom"], "kept", "the client's own headers go along");
	assert.deepEqual(JSON.parse(upstream.requests[0].body), { model: "gpt-test-1", messages: [{ role: "user", content: "hi" }] });
	// The streamed chat completion asks for usage; its own stream_options stay.
	assert.deepEqual(JSON.parse(upstream.requests[1].body).stream_options, { include_obfuscation: false, include_usage: true });
	assert.equal(JSON.parse(upstream.requests[5].body).stream_options, undefined, "only OpenAI chat streams are changed");

	// The agent got every answer unchanged, with its status and content type.
	const sent = (path, i = 0) => upstream.answers.filter((a) => a.path === path)[i].text;
	assert.equal(out.calls.chat.status, 200);
	assert.equal(out.calls.chat.text, sent("/v1/chat/completions"));
	assert.equal(out.calls.chat.type, "application/json");
	assert.equal(out.calls.chat.upstream, "fake", "the gateway's headers come back");
	assert.equal(out.calls.stream.status, 200);
	assert.equal(out.calls.stream.type, "text/event-stream");
	assert.equal(out.calls.stream.text, upstream.answers.find((a) => a.text.startsWith("data:")).text);
	assert.ok(out.calls.stream.text.endsWith("data: [DONE]\n\n"));
	assert.equal(out.calls.responses.text, sent("/v1/responses"));
	assert.equal(out.calls.messages.text, sent("/v1/messages", 0));
	assert.equal(out.calls.messages_stream.text, sent("/v1/messages", 1));
	assert.equal(out.calls.messages_stream.type, "text/event-stream; charset=utf-8");
	assert.equal(out.calls.fail.status, 500);
	assert.equal(out.calls.fail.text, JSON.stringify({ error: { message: "the model fell over", type: "server_error" } }));
	// Streamed as it came: the first chunk reached the agent while the gateway still held the rest.
	assert.equal(out.ack.status, 200);
	assert.equal(upstream.stream.ackTimedOut, false, "the first chunk reached the agent before the stream ended");
	assert.ok(upstream.stream.ackAt < upstream.stream.endedAt);

	// One record per call that spent tokens (not the ack, not the failure), in order, with the
	// tokens of each answer, sent with the agent's token.
	const posts = await eventually(() => {
		const p = town.of("toast", "usage");
		return p.flatMap((r) => r.body.records).length >= 5 ? p : null;
	}, WAIT);
	for (const p of posts) {
		assert.equal(p.auth, "Bearer tok-1");
		assert.ok(town.requests.indexOf(p) < town.requests.indexOf(completed), "usage goes before completed");
	}
	const records = posts.flatMap((r) => r.body.records);
	const strip = ({ id, at_ms, ...rest }) => rest;
	assert.deepEqual(records.map(strip), [
		{ bead: "gt-k2x9", model: "gpt-test-1", input_tokens: 70, output_tokens: 20, cache_read_tokens: 30, cache_write_tokens: 0, cost_microusd: 1235 },
		{ bead: "gt-k2x9", model: "gpt-test-2", input_tokens: 40, output_tokens: 7, cache_read_tokens: 10, cache_write_tokens: 0, cost_microusd: null },
		{ bead: "gt-k2x9", model: "gpt-test-3", input_tokens: 10, output_tokens: 5, cache_read_tokens: 1, cache_write_tokens: 0, cost_microusd: null },
		{ bead: "gt-k2x9", model: "claude-test", input_tokens: 25, output_tokens: 15, cache_read_tokens: 5, cache_write_tokens: 3, cost_microusd: null },
		{ bead: "gt-k2x9", model: "claude-test-stream", input_tokens: 12, output_tokens: 42, cache_read_tokens: 2, cache_write_tokens: 4, cost_microusd: null },
	]);
	const ids = records.map((r) => r.id);
	assert.equal(new Set(ids).size, ids.length, "ids are unique");
	for (const id of ids) assert.match(id, new RegExp(`^${key}-\\d+$`));
	for (const r of records) assert.ok(Math.abs(r.at_ms - Date.now()) < 60_000);
	await sleep(700);
	assert.equal(town.of("toast", "usage").flatMap((r) => r.body.records).length, 5, "nothing more: the failure made no record");

	// The run has ended: its key is refused, as is one that never existed; neither reaches the gateway.
	const before = upstream.requests.length;
	const base = `http://127.0.0.1:${m[1]}`;
	const ended = await fetch(`${base}/m/${key}/openai/v1/chat/completions`, { method: "POST",
		headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-test-1", messages: [] }) });
	assert.equal(ended.status, 401);
	assert.equal((await ended.json()).error.code, "unauthenticated");
	const wrong = await fetch(`${base}/m/${"0".repeat(32)}/anthropic/v1/messages`, { method: "POST", body: "{}" });
	assert.equal(wrong.status, 401);
	assert.equal((await wrong.json()).error.code, "unauthenticated");
	const noRoute = await fetch(`${base}/v1/chat/completions`);
	assert.equal(noRoute.status, 404);
	assert.equal(upstream.requests.length, before);
});

test("a wrong run key is refused while the agent runs; an agent without llm gets no proxy", async (t) => {
	const { town, upstream, host, repo } = await setup(t);
	const command = "echo \"base=${OPENAI_BASE_URL:-none} key=${OPENAI_API_KEY:-none} anthropic=${ANTHROPIC_BASE_URL:-none}\"; sleep 30";
	assert.equal((await host.call("POST", "/towns/demo/agents/toast/start", startBody(repo, {
		command, llm: { base_url: upstream.url, api_key: API_KEY },
	}))).status, 202);
	const line = await eventually(() => town.lines("toast").find((l) => l.startsWith("base=")), WAIT);
	const [, base, key] = /^base=(http:\/\/[^/]+)\/m\/([0-9a-f]{32})\/openai\/v1 key=\2 anthropic=/.exec(line) ?? [];
	assert.ok(key, line);

	// One character off: refused, and the gateway never hears of it.
	const wrongKey = `${key.slice(0, -1)}${key.endsWith("0") ? "1" : "0"}`;
	const wrong = await fetch(`${base}/m/${wrongKey}/openai/v1/chat/completions`, { method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" });
	assert.equal(wrong.status, 401);
	assert.equal((await wrong.json()).error.code, "unauthenticated");
	// The right key, but a path climbing out of the gateway's base URL: refused too.
	for (const path of [`/m/${key}/openai/../admin`, `/m/${key}/openai/v1/%2e%2e/admin`]) {
		assert.equal(await rawStatus(base, path), 400, path);
	}
	assert.equal(upstream.requests.length, 0);
	// While the agent runs, its key works (a call from outside the agent is charged to it too).
	const ok = await fetch(`${base}/m/${key}/anthropic/v1/messages`, { method: "POST",
		headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "claude-test", messages: [] }) });
	assert.equal(ok.status, 200);
	assert.deepEqual(await ok.json(), MESSAGES_JSON);
	const rec = await eventually(() => town.of("toast", "usage")[0], WAIT);
	assert.equal(rec.body.records.length, 1);
	assert.equal(rec.body.records[0].id, `${key}-1`);
	assert.equal(rec.body.records[0].input_tokens, 25);

	// Without llm: none of the variables, and no metering.
	assert.equal((await host.call("POST", "/towns/demo/agents/nux/start", startBody(repo, {
		agent: "nux", command, llm: null,
	}))).status, 202);
	await eventually(() => town.lines("nux").includes("base=none key=none anthropic=none"), WAIT);

	// A malformed llm is refused like any malformed start.
	const bad = await host.call("POST", "/towns/demo/agents/dag/start", startBody(repo, {
		agent: "dag", command: "true", llm: { base_url: "ftp://x", api_key: API_KEY },
	}));
	assert.equal(bad.status, 400);
	assert.equal(bad.body.error.field, "llm.base_url");
	// A gateway without a key (the town sends "" when it has none): calls go with no credentials.
	const noKey = await runningKey(host, town, repo, "dag", { base_url: upstream.url, api_key: "" });
	const keyless = await fetch(`${noKey}/chat/completions`, { method: "POST", headers: { authorization: "Bearer mine" },
		body: JSON.stringify({ model: "gpt-test-1", messages: [] }) });
	assert.equal(keyless.status, 200);
	const sentKeyless = upstream.requests.at(-1);
	assert.equal(sentKeyless.headers.authorization, undefined, "neither the run key nor a gateway key goes upstream");
	await host.call("POST", "/towns/demo/agents/dag/stop", {});

	// Stopped: the key dies with the process.
	await host.call("POST", "/towns/demo/agents/toast/stop", { reason: "test over" });
	await eventually(() => town.of("toast", "completed")[0], WAIT);
	const after = await fetch(`${base}/m/${key}/anthropic/v1/messages`, { method: "POST", body: "{}" });
	assert.equal(after.status, 401);
	await host.call("POST", "/towns/demo/agents/nux/stop", {});
	await eventually(() => town.of("nux", "completed")[0], WAIT);
});

// The key of a running agent whose command prints it (and then sleeps).
async function runningKey(host, town, repo, agent, llm) {
	const command = "echo \"base=$OPENAI_BASE_URL\"; sleep 30";
	assert.equal((await host.call("POST", `/towns/demo/agents/${agent}/start`, startBody(repo, { agent, command, llm }))).status, 202);
	const line = await eventually(() => town.lines(agent).find((l) => l.startsWith("base=")), WAIT);
	return line.slice(5);
}

test("a slow client gets a big stream whole; a client that leaves, a huge body and a gateway that is down", async (t) => {
	const { town, upstream, host, repo } = await setup(t);
	const base = await runningKey(host, town, repo, "toast", { base_url: upstream.url, api_key: API_KEY });

	// The client reads slowly: the proxy holds a bounded amount and pauses the gateway meanwhile.
	const res = await fetch(`${base}/big`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
	const reader = res.body.getReader();
	const chunks = [];
	for (let i = 0; ; i++) {
		const { done, value } = await reader.read();
		if (done) break;
		chunks.push(Buffer.from(value));
		if (i % 8 === 0) await sleep(10);
	}
	assert.equal(Buffer.concat(chunks).toString(), upstream.answers.find((a) => a.path === "/v1/big").text);
	const big = await eventually(() => town.of("toast", "usage").flatMap((r) => r.body.records).find((r) => r.model === "gpt-big"), WAIT);
	assert.equal(big.input_tokens, 3);
	assert.equal(big.output_tokens, 4);

	// A client that leaves mid-stream: the model goes on spending, so the proxy reads the rest
	// of the answer (more than it would hold for a client) and still records its usage.
	const leaving = new AbortController();
	const leave = await fetch(`${base}/leave`, { method: "POST", body: "{}", signal: leaving.signal });
	await leave.body.getReader().read();
	leaving.abort();
	await sleep(100);
	upstream.stream.leave();
	const left = await eventually(() => town.of("toast", "usage").flatMap((r) => r.body.records).find((r) => r.model === "gpt-left"), WAIT);
	assert.deepEqual([left.input_tokens, left.output_tokens], [9, 1000]);

	// One that leaves a call that never ends: the proxy goes on serving meanwhile.
	const ac = new AbortController();
	const hang = await fetch(`${base}/hang`, { method: "POST", body: "{}", signal: ac.signal });
	await hang.body.getReader().read();
	ac.abort();
	const after = await fetch(`${base}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" },
		body: JSON.stringify({ model: "gpt-test-1", messages: [] }) });
	assert.equal(after.status, 200);
	assert.deepEqual(await after.json(), CHAT_JSON);

	// A body over 32 MiB: refused before anything goes upstream.
	const calls = upstream.requests.length;
	const huge = await fetch(`${base}/chat/completions`, { method: "POST", body: "y".repeat(33 * 1024 * 1024) });
	assert.equal(huge.status, 413);
	assert.equal((await huge.json()).error.code, "too_large");
	assert.equal(upstream.requests.length, calls);

	// A gateway nobody answers at: 502 in the error envelope, and no record.
	const down = await runningKey(host, town, repo, "nux", { base_url: "http://127.0.0.1:1", api_key: API_KEY });
	const bad = await fetch(`${down}/chat/completions`, { method: "POST", body: "{}" });
	assert.equal(bad.status, 502);
	assert.equal((await bad.json()).error.code, "bad_gateway");
	await sleep(700);
	assert.equal(town.of("nux", "usage").length, 0);
	for (const agent of ["toast", "nux"]) await host.call("POST", `/towns/demo/agents/${agent}/stop`, {});
	await eventually(() => town.of("toast", "completed")[0] && town.of("nux", "completed")[0], WAIT);
	assert.equal(town.of("toast", "usage").flatMap((r) => r.body.records).length, 3, "the big stream, the one left and the chat");
});
