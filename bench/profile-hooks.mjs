// profile-hooks.mjs - where a webhook delivery's time goes inside workerd: V8's sampling profiler,
// through Miniflare's inspectorPort, over N signed issues.opened deliveries (bench/hook-payload.mjs)
// sent to one town, each making a bead, a link, a Mayor message and a tracking comment (answered by
// a local sink). Prints self time by function, wasm and JavaScript together. For wasm function
// names, link a module without --strip-all and pass it:
//   PROFILE_WASM=/path/to/named.wasm node bench/profile-hooks.mjs [deliveries] [open beads first]
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { createServer } from "node:http";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import { githubDelivery } from "../tests/worker/webhooks.mjs";
import { issueOpened } from "./hook-payload.mjs";
import { shimModules as shim, durableObjects } from "../tests/worker/shim-modules.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const WASM = join(ROOT, "build/wasm/gastown.wasm");
const N = Number(process.argv[2] ?? 400), SEED = Number(process.argv[3] ?? 0);
const JWT_SECRET = "bench-secret-0123456789abcdef-0123456789abcdef", HOOK_SECRET = "whsec-bench-0123456789abcdef";
const PORT = 9400 + Math.floor(Math.random() * 500);

const sink = createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(201, { "content-type": "application/json" }); res.end('{"id":123}'); }); });
await new Promise((r) => sink.listen(0, "127.0.0.1", r));
const mf = new Miniflare({
	inspectorPort: PORT,
	handleRuntimeStdio: (out, err) => { out.resume(); err.resume(); },
	workers: [{ name: "gastown", modulesRoot: ROOT, compatibilityDate: "2026-04-01",
		modules: [...shim, { type: "CompiledWasm", path: WASM, contents: readFileSync(process.env.PROFILE_WASM ?? WASM) }],
		durableObjects,
		bindings: { GASTOWN_TEST_HOOKS: "1", GASTOWN_JWT_SECRET: JWT_SECRET, GASTOWN_CONTAINER_SECRET: "bench-container-secret-0123456789abcdef" } }],
});
try {
	const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h")
		.sign(new TextEncoder().encode(JWT_SECRET));
	const call = async (method, path, body, headers = { authorization: `Bearer ${token}` }) => {
		const r = await mf.dispatchFetch(`http://bench.local${path}`, { method, headers, body: typeof body === "string" ? body : JSON.stringify(body) });
		const text = await r.text();
		if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
		return text;
	};
	await call("POST", "/api/towns/prof", { name: "Prof" });
	await call("POST", "/api/towns/prof/rigs", { id: "app", git_url: "https://github.com/acme/app.git" });
	await call("PUT", "/api/towns/prof/integrations/github", { secrets: { webhook_secret: HOOK_SECRET, token: "ghp_x" },
		settings: { api_url: `http://127.0.0.1:${sink.address().port}` } });
	if (SEED) await call("POST", "/api/towns/prof/_test/beads-bulk", { count: SEED });
	const ds = [];
	for (let i = 0; i < N; i++) ds.push(await githubDelivery(HOOK_SECRET, "issues", issueOpened(1000 + i)));
	await call("POST", "/api/towns/prof/hooks/github", ds[0].body, ds[0].headers); // the instance is open

	const list = await (await fetch(`http://127.0.0.1:${PORT}/json`)).json();
	const target = list.find((t) => t.webSocketDebuggerUrl?.includes("gastown")) ?? list[0];
	const ws = new WebSocket(target.webSocketDebuggerUrl);
	await new Promise((r) => ws.once("open", r));
	let id = 0;
	const pending = new Map();
	ws.on("message", (m) => { const x = JSON.parse(m); if (pending.has(x.id)) { pending.get(x.id)(x.result); pending.delete(x.id); } });
	const cdp = (method, params = {}) => new Promise((r) => { pending.set(++id, r); ws.send(JSON.stringify({ id, method, params })); });
	await cdp("Profiler.enable");
	await cdp("Profiler.setSamplingInterval", { interval: 100 });
	await cdp("Profiler.start");
	const t0 = Date.now();
	for (const d of ds.slice(1)) await call("POST", "/api/towns/prof/hooks/github", d.body, d.headers);
	const ms = Date.now() - t0;
	const { profile } = await cdp("Profiler.stop");
	ws.close();
	const self = new Map();
	const dt = (profile.endTime - profile.startTime) / profile.samples.length / 1000; // ms per sample
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const counts = new Map();
	for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
	let total = 0;
	const kinds = { wasm: 0, "storage (sql.exec)": 0, "JavaScript and the runtime": 0 };
	for (const [nid, c] of counts) {
		const f = byId.get(nid).callFrame;
		if (f.functionName !== "(idle)" && f.functionName !== "(program)")
			kinds[f.url?.startsWith("wasm:") ? "wasm" : f.functionName === "exec" ? "storage (sql.exec)" : "JavaScript and the runtime"] += c;
		const name = `${f.functionName || "(anonymous)"} ${f.url && !f.url.startsWith("wasm:") ? f.url.split("/").pop() : ""}`.trim();
		self.set(name, (self.get(name) ?? 0) + c);
		total += c;
	}
	const idle = (self.get("(idle)") ?? 0) + (self.get("(program)") ?? 0);
	console.log(`${N - 1} deliveries in ${ms} ms (client round trips through dispatchFetch), town seeded with ${SEED} open beads`);
	console.log(`samples: ${total}, ${(dt * 1000).toFixed(0)} µs apart; (idle) and (program) ${(100 * idle / total).toFixed(1)}% (left out below)`);
	const busy = total - idle;
	console.log(`busy time: ${Object.entries(kinds).map(([k, c]) => `${k} ${(100 * c / busy).toFixed(1)}%`).join(", ")}`);
	console.log("share of busy time, self, by function:");
	for (const [name, c] of [...self].filter(([k]) => k !== "(idle)" && k !== "(program)").sort((a, b) => b[1] - a[1]).slice(0, 45))
		console.log(`${(100 * c / (total - idle)).toFixed(1).padStart(5)}%  ${name}`);
} finally {
	await mf.dispose();
	sink.close();
}
