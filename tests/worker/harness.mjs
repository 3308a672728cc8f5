// harness.mjs - starts the real worker (shim + wasm engine) in workerd through Miniflare, with the
// same Durable Object classes and bindings as wrangler.toml, and small helpers for the tests.
import { Miniflare } from "miniflare";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shimModules, durableObjects } from "./shim-modules.mjs";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const OPERATOR = "test-operator-token";
export const DASHBOARD = join(ROOT, "build/dashboard");

// The entry module comes first: workerd takes the first module as the worker's main.

// Start the worker. opts.persist: a directory for durable storage (survives dispose);
// opts.wasm: another build of the engine to load instead of build/wasm/gastown.wasm;
// opts.bindings: more environment variables (JWT settings, ...); opts.port: also listen on
// 127.0.0.1:port (0 picks a free one; `await mf.ready` gives the URL) for clients outside Node.
export function startWorker(opts = {}) {
	return new Miniflare({
		...(opts.port !== undefined ? { host: "127.0.0.1", port: opts.port } : {}),
		modulesRoot: ROOT,
		// The shim imports build/wasm/gastown.wasm; another build is served under that same name.
		modules: [...shimModules, {
			type: "CompiledWasm",
			path: join(ROOT, "build/wasm/gastown.wasm"),
			contents: readFileSync(opts.wasm ?? join(ROOT, "build/wasm/gastown.wasm")),
		}],
		compatibilityDate: "2026-04-01",
		durableObjects,
		durableObjectsPersist: opts.persist ?? false,
		// The runtime's own output (the shim's JSON log lines) to a caller that keeps it.
		...(opts.stdio ? { handleRuntimeStdio: opts.stdio } : {}),
		// The dashboard as wrangler.toml serves it: assets first, the API always to the worker.
		...(existsSync(DASHBOARD) ? { assets: {
			directory: DASHBOARD,
			routerConfig: { has_user_worker: true, static_routing: { user_worker: ["/api/*", "/health", "/.well-known/*"] } },
			assetConfig: { not_found_handling: "single-page-application" },
		} } : {}),
		bindings: {
			GASTOWN_TEST_HOOKS: opts.testHooks === false ? "0" : "1",
			GASTOWN_ADMIN_TOKEN: OPERATOR,
			...(opts.bindings ?? {}),
		},
	});
}

// A temporary folder, removed when the test file's process exits: a test's after-hooks run in the
// order they were added, so removing it there raced with the agent host (and its git) that the
// test stops afterwards, still writing into it.
// GASTOWN_KEEP_TEMP=1 keeps them, to read what the agents printed after a run.
const tempDirs = new Set();
process.once("exit", () => {
	if (process.env.GASTOWN_KEEP_TEMP === "1") return;
	for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});
export function tempDir(_t) {
	const dir = mkdtempSync(join(tmpdir(), "gastown-test-"));
	tempDirs.add(dir);
	return dir;
}

// A request that returns {status, body (parsed JSON when possible), headers}.
export async function call(mf, method, path, body, headers = {}) {
	const init = { method, headers: { ...headers } };
	if (body !== undefined) init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
	const res = await mf.dispatchFetch(`http://gastown.test${path}`, init);
	const text = await res.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, body: json, text, headers: res.headers };
}

export const operator = { authorization: `Bearer ${OPERATOR}` };

// Poll fn until it returns a truthy value or the deadline passes.
export async function eventually(fn, { timeoutMs = 5000, everyMs = 25 } = {}) {
	const end = Date.now() + timeoutMs;
	let last;
	while (Date.now() < end) {
		last = await fn();
		if (last) return last;
		await new Promise((r) => setTimeout(r, everyMs));
	}
	throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

// The page digest of the object at path ("/api/towns/x") once it is quiet: nothing pending,
// nothing due within 10 s, the same pages twice 150 ms apart. A run of refusals checked against it
// cannot be blamed for the object's own timers (the agent log's index batch two seconds after a
// bead, say), which fire sooner on a busy machine.
export async function quietDigest(mf, path) {
	const storage = async () => (await call(mf, "GET", `${path}/debug/storage`, undefined, operator)).body.data;
	return eventually(async () => {
		const a = await storage();
		await new Promise((r) => setTimeout(r, 150));
		const b = await storage();
		const soon = b.next_alarm_ms !== null && b.next_alarm_ms !== undefined && b.next_alarm_ms < Date.now() + 10_000;
		return a.pending_effects === 0 && !soon && a.digest === b.digest && b.digest;
	}, { timeoutMs: 15000, everyMs: 50 });
}

// A local HTTP server on loopback; handler(req, res). Returns {url, close, hits}.
export async function localServer(t, handler) {
	const hits = [];
	const server = createServer((req, res) => {
		hits.push({ method: req.method, url: req.url });
		handler(req, res);
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	const { port } = server.address();
	const close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
	t.after(close);
	return { url: `http://127.0.0.1:${port}`, hits, close, port };
}

// A free loopback port, for a server that must be told its port before it starts.
// A port for a server started later (workerd, the agent host). Not one the kernel picks for
// listen(0): those come from the range it also hands outgoing connections their local ports from,
// so one of the town's own connections could take it before the server binds it (seen: workerd
// failing with "Address already in use"). Below that range, at random, never one given out
// before in this process, and free when asked.
const givenPorts = new Set();
function ephemeralStart() {
	try {
		return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
	} catch {
		return 32768;
	}
}
export async function freePort() {
	const hi = Math.min(ephemeralStart(), 65536), lo = Math.max(1024, hi - 12000);
	for (let tries = 0; tries < 50; tries++) {
		const port = lo + Math.floor(Math.random() * (hi - lo));
		if (givenPorts.has(port)) continue;
		const s = createServer();
		const ok = await new Promise((r) => {
			s.once("error", () => r(false));
			s.listen(port, "127.0.0.1", () => r(true));
		});
		if (!ok) continue;
		await new Promise((r) => s.close(r));
		givenPorts.add(port);
		return port;
	}
	throw new Error("freePort: no free port found below the ephemeral range");
}

// git in cwd as the seed's author; returns its output.
const seedEnv = { ...process.env, GIT_AUTHOR_NAME: "Seed", GIT_AUTHOR_EMAIL: "seed@example.com",
	GIT_COMMITTER_NAME: "Seed", GIT_COMMITTER_EMAIL: "seed@example.com" };
export const git = (cwd, ...args) => execFileSync("git", args, { cwd, encoding: "utf8", env: seedEnv });

// A bare origin (dir/origin.git) with one commit on main; returns its file:// URL.
export function makeOrigin(dir) {
	git(dir, "init", "-q", "--bare", "-b", "main", "origin.git");
	git(dir, "clone", "-q", `${dir}/origin.git`, "seed");
	writeFileSync(`${dir}/seed/README.md`, "# app\n");
	git(`${dir}/seed`, "add", ".");
	git(`${dir}/seed`, "commit", "-qm", "seed");
	git(`${dir}/seed`, "push", "-q", "origin", "HEAD:main");
	return `file://${dir}/origin.git`;
}
