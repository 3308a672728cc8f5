// profile-beads.mjs - where a bead creation's time goes inside workerd: V8's sampling profiler,
// through Miniflare's inspectorPort, over POST /beads (a title and a label) sent over loopback HTTP
// with 16 in flight, as make bench's bead creation does; one warm-up round, then a profiled one.
// Prints the rate and self time by function, wasm and JavaScript together. For wasm function
// names, link a module without --strip-all and pass it (docs/performance.md):
//   PROFILE_WASM=/path/to/named.wasm node bench/profile-beads.mjs [beads]
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import { shimModules as shim, durableObjects } from "../tests/worker/shim-modules.mjs";
const ROOT = new URL("..", import.meta.url).pathname;
const WASM = join(ROOT, "build/wasm/gastown.wasm");
const JWT_SECRET = "bench-secret-0123456789abcdef-0123456789abcdef";
const PORT = 9400 + Math.floor(Math.random() * 500);
const mf = new Miniflare({ inspectorPort: PORT, host: "127.0.0.1", port: 0,
	handleRuntimeStdio: (out, err) => { out.resume(); err.resume(); },
	workers: [{ name: "gastown", modulesRoot: ROOT, compatibilityDate: "2026-04-01",
		modules: [...shim, { type: "CompiledWasm", path: WASM, contents: readFileSync(process.env.PROFILE_WASM ?? WASM) }],
		durableObjects, bindings: { GASTOWN_TEST_HOOKS: "1", GASTOWN_JWT_SECRET: JWT_SECRET, GASTOWN_CONTAINER_SECRET: "bench-container-secret-0123456789abcdef" } }] });
try {
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
	const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
	await fetch(`${base}/api/towns/prof`, { method: "POST", headers: auth, body: '{"name":"P"}' });
	const n = Number(process.argv[2] ?? 3000), parallel = 16;
	const run = async () => { let next = 0; const t0 = Date.now(); await Promise.all(Array.from({ length: parallel }, async () => {
		while (next < n) { const i = next++; const r = await fetch(`${base}/api/towns/prof/beads`, { method: "POST", headers: auth, body: JSON.stringify({ title: `bead ${i}`, labels: ["bench"] }) }); await r.arrayBuffer(); } })); return n / ((Date.now() - t0) / 1000); };
	await run();
	const list = await (await fetch(`http://127.0.0.1:${PORT}/json`)).json();
	const target = list.find((t) => t.webSocketDebuggerUrl?.includes("gastown")) ?? list[0];
	const ws = new WebSocket(target.webSocketDebuggerUrl);
	await new Promise((r) => ws.once("open", r));
	let id = 0; const pending = new Map();
	ws.on("message", (m) => { const x = JSON.parse(m); if (pending.has(x.id)) { pending.get(x.id)(x.result); pending.delete(x.id); } });
	const cdp = (method, params = {}) => new Promise((r) => { pending.set(++id, r); ws.send(JSON.stringify({ id, method, params })); });
	await cdp("Profiler.enable"); await cdp("Profiler.setSamplingInterval", { interval: 100 }); await cdp("Profiler.start");
	const rate = await run();
	const { profile } = await cdp("Profiler.stop"); ws.close();
	const byId = new Map(profile.nodes.map((x) => [x.id, x])); const counts = new Map();
	for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
	const self = new Map(); let total = 0;
	for (const [nid, c] of counts) { const f = byId.get(nid).callFrame; const name = `${f.functionName || "(anon)"} ${f.url && !f.url.startsWith("wasm:") ? f.url.split("/").pop() + ":" + f.lineNumber : f.url?.startsWith("wasm:") ? "[wasm]" : ""}`; self.set(name, (self.get(name) ?? 0) + c); total += c; }
	const idle = (self.get("(idle) ") ?? 0) + (self.get("(program) ") ?? 0);
	console.log(`rate ${rate.toFixed(0)}/s; samples ${total}, idle+program ${(100 * idle / total).toFixed(1)}%`);
	let wasm = 0; for (const [k, c] of self) if (k.endsWith("[wasm]")) wasm += c;
	console.log(`wasm share of busy: ${(100 * wasm / (total - idle)).toFixed(1)}%`);
	for (const [name, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(100 * c / (total - idle)).toFixed(1).padStart(5)}%  ${name}`);
} finally { await mf.dispose(); }
