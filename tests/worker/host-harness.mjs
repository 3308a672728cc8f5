// host-harness.mjs - runs the native agent host (build/native/gastown-host) for tests: start it on
// a free loopback port, sign requests to it as the town does, and stand in for the town with a
// recording HTTP server. See docs/container-protocol.md for the contract both sides keep.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

// GASTOWN_HOST_BIN runs another build (one with sanitizers, say) in the same tests.
export const HOST_BIN = process.env.GASTOWN_HOST_BIN ?? join(ROOT, "build/native/gastown-host");
export const GT_BIN = join(ROOT, "build/native/gt");

// The x-gastown-signature value for a request: HMAC-SHA256 over "t.METHOD.path.body".
export function sign(secret, method, path, body = "", t = Date.now()) {
	const v1 = createHmac("sha256", secret).update(`${t}.${method}.${path}.${body}`).digest("hex");
	return `t=${t},v1=${v1}`;
}

// Start the host. opts: townUrl, secret (at least 32 bytes), state (a directory), gt (the gt binary
// for scripted agents; default build/native/gt), heartbeatMs, env (the host's environment, which
// its agents inherit; PATH and HOME are passed unless given), args (more options).
// Returns {url, port, log(), exited, pause(), resume(), stop() (SIGTERM, resolves {code, signal}), kill() (SIGKILL),
// call(method, path, body, {signature, t, secret})}: call signs with the host's secret by default.
export async function startHost({ townUrl, secret, state, gt = GT_BIN, heartbeatMs, env = {}, args = [] }) {
	const argv = ["--listen", "127.0.0.1:0", "--state", state, "--town-url", townUrl, "--gt", gt];
	if (heartbeatMs !== undefined) argv.push("--heartbeat-ms", String(heartbeatMs));
	const child = spawn(HOST_BIN, [...argv, ...args], {
		env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, GASTOWN_CONTAINER_SECRET: secret },
		stdio: ["ignore", "ignore", "pipe"],
	});
	let log = "";
	const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
	const port = await new Promise((resolve, reject) => {
		child.stderr.on("data", (chunk) => {
			log += chunk;
			if (process.env.GASTOWN_HOST_LOG) process.stderr.write(chunk);
			const m = /host: listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
			if (m) resolve(Number(m[1]));
		});
		exited.then(({ code, signal }) => reject(new Error(`gastown-host ended (${code ?? signal}) before listening:\n${log}`)));
	});
	const url = `http://127.0.0.1:${port}`;
	const stopWith = (sig) => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill(sig);
			child.kill("SIGCONT"); // a paused host gets the signal too
		}
		return exited;
	};
	return {
		url,
		port,
		exited,
		log: () => log,
		// The host alone freezes and thaws (SIGSTOP/SIGCONT); its agents' processes run on.
		pause: () => child.kill("SIGSTOP"),
		resume: () => child.kill("SIGCONT"),
		stop: () => stopWith("SIGTERM"),
		kill: () => stopWith("SIGKILL"),
		call: (method, path, body, opts = {}) => hostCall(url, opts.secret ?? secret, method, path, body, opts),
	};
}

// A request to the host, signed unless opts.signature is given (null: no header).
// Returns {status, body (parsed JSON or undefined), text}.
export async function hostCall(url, secret, method, path, body, opts = {}) {
	const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
	const headers = { "content-type": "application/json" };
	const signature = opts.signature !== undefined ? opts.signature : sign(secret, method, path, text, opts.t);
	if (signature !== null) headers["x-gastown-signature"] = signature;
	const res = await fetch(`${url}${path}`, { method, headers, body: method === "GET" ? undefined : text });
	const answer = await res.text();
	let json;
	try {
		json = JSON.parse(answer);
	} catch {
		json = undefined;
	}
	return { status: res.status, body: json, text: answer };
}

// A stand-in for the town's agent routes on loopback. Records every request as
// {method, path, town, agent, what, auth, body, at}. respond(req) may return {status, body} to
// answer differently; otherwise heartbeat/events/completed/done answer 200 and token/refresh
// answers {data: {token: "refreshed-<n>", expires_ms: in an hour}}. respond may also return a
// promise of the answer, to answer late or never.
export async function fakeTown(t, respond = () => undefined) {
	const requests = [];
	let refreshes = 0;
	const server = createServer((req, res) => {
		let raw = "";
		req.on("data", (c) => { raw += c; });
		req.on("end", async () => {
			const m = /^\/api\/towns\/([^/]+)\/agents\/([^/]+)\/(.+)$/.exec(req.url);
			let body;
			try {
				body = raw ? JSON.parse(raw) : undefined;
			} catch {
				body = raw;
			}
			const rec = { method: req.method, path: req.url, town: m?.[1], agent: m?.[2], what: m?.[3],
				auth: req.headers.authorization, body, at: Date.now() };
			requests.push(rec);
			let answer = await respond(rec);
			if (!answer) {
				if (!m) answer = { status: 404, body: { error: { code: "not_found", message: "no route" } } };
				else if (rec.what === "token/refresh") {
					refreshes++;
					answer = { status: 200, body: { data: { token: `refreshed-${refreshes}`, expires_ms: Date.now() + 3600_000 } } };
				} else answer = { status: 200, body: { data: { ok: true } } };
			}
			res.writeHead(answer.status, { "content-type": "application/json" });
			res.end(JSON.stringify(answer.body ?? {}));
		});
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	const close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
	t.after(close);
	const url = `http://127.0.0.1:${server.address().port}`;
	// The requests for one agent (and one route), in arrival order.
	const of = (agent, what) => requests.filter((r) => r.agent === agent && (!what || r.what === what));
	// Every output line the town received for an agent.
	const lines = (agent) => of(agent, "events").flatMap((r) => r.body.events.map((e) => e.text));
	return { url, requests, of, lines, close };
}
