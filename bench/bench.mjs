// bench.mjs - `make bench`: the engine's figures measured inside workerd, in one run, next to a
// minimal JavaScript Durable Object doing the same work through ctx.storage.sql (bench/js-do.js).
// workerd's clock ticks in whole milliseconds, so per-request engine time is measured over batches
// of requests run back to back inside the object (each a full call in its own storage transaction)
// and reported as the median and p99 of the batch means. Client-side latencies use Node's hrtime.
import { Miniflare } from "miniflare";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { SignJWT } from "jose";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { githubDelivery } from "../tests/worker/webhooks.mjs";
import { issueOpened } from "./hook-payload.mjs";
import { shimModules as shim, durableObjects } from "../tests/worker/shim-modules.mjs";
import { startFakeDoltHub } from "../tests/worker/fake-dolthub.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const WASM = join(ROOT, "build/wasm/gastown.wasm");
const quick = process.env.BENCH_QUICK === "1";
const BATCH = quick ? 200 : 2000, BATCHES = quick ? 6 : 15, WARMUP = quick ? 2 : 3;
// BENCH_ONLY=cold,objects runs only those parts (cold, objects, beads, tick, costs, stats, mcp, hooks, log, wasteland, growth);
// default all.
const PARTS = ["cold", "objects", "beads", "tick", "costs", "stats", "mcp", "hooks", "log", "wasteland", "growth"];
const only = (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean);
for (const p of only) if (!PARTS.includes(p)) throw new Error(`BENCH_ONLY: unknown part ${p} (parts: ${PARTS.join(", ")})`);
const want = (part) => only.length === 0 || only.includes(part);


const JWT_SECRET = "bench-secret-0123456789abcdef-0123456789abcdef";
const HOOK_SECRET = "whsec-bench-0123456789abcdef";

// workerd's output with the shim's one info line per effect result, and the town without a token's
// one warning per delivery, left out (the hooks part makes thousands); everything else is passed on.
function quietEffects(stdout, stderr) {
	createInterface({ input: stdout }).on("line", (l) => {
		if (!(l.includes('"msg":"effect result"') && l.includes('"level":"info"'))) process.stdout.write(`${l}\n`);
	});
	createInterface({ input: stderr }).on("line", (l) => {
		if (!l.includes('"msg":"no answer posted: the integration has no token"')) process.stderr.write(`${l}\n`);
	});
}

function start(opts = {}) {
	return new Miniflare({
		...(opts.port !== undefined ? { host: "127.0.0.1", port: opts.port } : {}),
		...(opts.quietEffects ? { handleRuntimeStdio: quietEffects } : {}),
		workers: [
			{
				name: "gastown", modulesRoot: ROOT, compatibilityDate: "2026-04-01",
				modules: [...shim, { type: "CompiledWasm", path: WASM }],
				durableObjects,
				bindings: { GASTOWN_TEST_HOOKS: "1", GASTOWN_JWT_SECRET: JWT_SECRET,
					GASTOWN_CONTAINER_SECRET: "bench-container-secret-0123456789abcdef" },
			},
			{
				name: "js", modulesRoot: ROOT, compatibilityDate: "2026-04-01",
				modules: [{ type: "ESModule", path: join(ROOT, "bench/js-do.js") }],
				routes: ["*/js/*"],
				durableObjects: { JS: { className: "BenchJsDO", useSQLite: true } },
				bindings: { HOOK_SECRET, JWT_SECRET },
			},
		],
	});
}

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
const msf = (ms) => `${ms.toFixed(2)} ms`;

async function stubs(mf, name) {
	const town = await mf.getDurableObjectNamespace("TOWN", "gastown");
	const js = await mf.getDurableObjectNamespace("JS", "js");
	return { engine: town.get(town.idFromName(name)), js: js.get(js.idFromName(name)), name };
}

// Per-request time inside the object: batch means over BATCHES batches after WARMUP batches.
// "{b}" in the path becomes the batch number, "{i}" the request's index in the batch.
async function inObject(stub, meta, body) {
	const means = [];
	let rows = 0, bytes = 0, n = 0;
	for (let b = 0; b < WARMUP + BATCHES; b++) {
		const m = { ...meta, path: meta.path.replaceAll("{b}", String(b)) };
		const r = JSON.parse(await stub.benchRepeat(m, body, BATCH));
		if (b < WARMUP) continue;
		means.push(r.ms / BATCH);
		rows += r.rows;
		bytes += r.bytes ?? 0;
		n += BATCH;
	}
	return { median: median(means), p99: quantile(means, 0.99), rowsPerRequest: rows / n, bytesPerRequest: bytes / n };
}

async function clientLatency(mf, target, method, path, body, count) {
	const times = [];
	const fetcher = target === "js" ? await mf.getWorker("js") : null;
	for (let i = 0; i < count; i++) {
		const url = `http://bench.local${path.replaceAll("{i}", String(i % 100))}`;
		const init = { method, body };
		const t0 = process.hrtime.bigint();
		const res = fetcher ? await fetcher.fetch(url, init) : await mf.dispatchFetch(url, init);
		await res.arrayBuffer();
		times.push(Number(process.hrtime.bigint() - t0) / 1e6);
		if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status}`);
	}
	return { median: median(times.slice(count / 5)), p99: quantile(times.slice(count / 5), 0.99) };
}

function serverTiming(res) {
	const h = res.headers.get("server-timing") ?? "";
	const get = (k) => Number((h.match(new RegExp(`${k};dur=([0-9.]+)`)) ?? [])[1] ?? NaN);
	return { open: get("open"), engine: get("engine") };
}

async function firstRequest(mf, town) {
	const t0 = process.hrtime.bigint();
	const res = await mf.dispatchFetch(`http://bench.local/api/towns/${town}/_test/kv/first`, { method: "PUT", body: '{"value":"v"}' });
	await res.arrayBuffer();
	const client = Number(process.hrtime.bigint() - t0) / 1e6;
	const t = serverTiming(res);
	return { client, engine: t.open + t.engine };
}

async function main() {
	const report = { date: new Date().toISOString(), node: process.version, batch: BATCH, batches: BATCHES };
	const raw = readFileSync(WASM);
	report.wasm = { raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
	try {
		const em = readFileSync(join(ROOT, "build/wasm-emcc/gastown.wasm"));
		report.wasmEmcc = { raw: em.length, gzip: gzipSync(em, { level: 9 }).length };
	} catch { /* make wasm-emcc not run: skip */ }

	if (want("cold")) await coldStarts(report);
	if (want("objects")) await objects(report);
	if (want("beads")) await beads(report);
	if (want("tick")) await reconciler(report);
	if (want("costs")) await costs(report);
	if (want("stats")) await stats(report);
	if (want("mcp")) await mcp(report);
	if (want("hooks")) await hooks(report);
	if (want("log")) await agentLog(report);
	if (want("wasteland")) await wasteland(report);
	if (want("growth")) await growth(report);
	print(report);
	mkdirSync(join(ROOT, "build"), { recursive: true });
	writeFileSync(join(ROOT, "build/bench.json"), JSON.stringify(report, null, 2));
	return report;
}

// First request of a fresh object: in a cold process (a fresh workerd: module, isolate and object
// all new), and in a warm one.
async function coldStarts(report) {
	process.stderr.write("bench: cold starts");
	const cold = [];
	for (let i = 0; i < (quick ? 2 : 3); i++) {
		const mf = start();
		cold.push(await firstRequest(mf, `cold-${i}`));
		await mf.dispose();
		process.stderr.write(".");
	}
	report.coldFirst = { engine: median(cold.map((c) => c.engine)), client: median(cold.map((c) => c.client)) };

	const mf = start();
	try {
		await firstRequest(mf, "warmup");
		const warm = [];
		for (let i = 0; i < 10; i++) warm.push(await firstRequest(mf, `warm-${i}`));
		report.warmFirst = { engine: median(warm.map((c) => c.engine)), client: median(warm.map((c) => c.client)) };
	} finally {
		await mf.dispose();
	}
	process.stderr.write("\n");
}

// Requests inside the object against the raw JS object, bulk inserts, client round trips.
async function objects(report) {
	const mf = start();
	try {
		process.stderr.write("bench: requests inside the object");
		const s = await stubs(mf, "bench");
		const put = (path) => ({ method: "PUT", path });
		report.writeNew = {
			engine: await inObject(s.engine, put("/api/towns/bench/_test/kv/n{b}-{i}"), '{"value":"hello"}'),
			js: await inObject(s.js, put("/js/towns/bench/n{b}-{i}"), '{"value":"hello"}'),
		};
		process.stderr.write(".");
		report.write = {
			engine: await inObject(s.engine, put("/api/towns/bench/_test/kv/n{b}-{i}"), '{"value":"again"}'),
			js: await inObject(s.js, put("/js/towns/bench/n{b}-{i}"), '{"value":"again"}'),
		};
		process.stderr.write(".");
		report.read = {
			engine: await inObject(s.engine, { method: "GET", path: "/api/towns/bench/_test/kv/n{b}-{i}" }, ""),
			js: await inObject(s.js, { method: "GET", path: "/js/towns/bench/n{b}-{i}" }, ""),
		};
		process.stderr.write(".");

		// 1000 inserts in one request.
		const bulk = { engine: [], js: [] };
		for (let i = 0; i < (quick ? 4 : 12); i++) {
			const body = JSON.stringify({ count: 1000, prefix: `bulk${i}` });
			bulk.engine.push(JSON.parse(await s.engine.benchRepeat({ method: "POST", path: "/api/towns/bench/_test/kv-bulk" }, body, 1)).ms);
			bulk.js.push(JSON.parse(await s.js.benchRepeat({ method: "BULK", path: "/js/towns/bench/bulk" }, body, 1)).ms);
		}
		report.bulk1000 = { engine: median(bulk.engine.slice(2)), js: median(bulk.js.slice(2)) };

		process.stderr.write("\nbench: client round trips\n");
		const n = quick ? 100 : 400;
		report.client = {
			write: {
				engine: await clientLatency(mf, "engine", "PUT", "/api/towns/client/_test/kv/c{i}", '{"value":"v"}', n),
				js: await clientLatency(mf, "js", "PUT", "/js/towns/client/c{i}", '{"value":"v"}', n),
			},
			read: {
				engine: await clientLatency(mf, "engine", "GET", "/api/towns/client/_test/kv/c{i}", undefined, n),
				js: await clientLatency(mf, "js", "GET", "/js/towns/client/c{i}", undefined, n),
			},
		};
	} finally {
		await mf.dispose();
	}
}

// Bead figures: creation through the whole worker over loopback HTTP, against the raw JS object
// inserting the same row and event; listing 100 of 100,000 beads inside the object.
async function beads(report) {
	const mf = start({ port: 0 });
	try {
		const base = (await mf.ready).toString().replace(/\/$/, "");
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
		let r = await fetch(`${base}/api/towns/beadbench/`.replace(/\/$/, ""), { method: "POST", headers: auth, body: '{"name":"Bench"}' });
		if (r.status !== 201) throw new Error(`town: ${r.status} ${await r.text()}`);

		const n = quick ? 400 : 3000, parallel = 16;
		const create = async (url) => {
			let next = 0;
			const t0 = process.hrtime.bigint();
			await Promise.all(Array.from({ length: parallel }, async () => {
				while (next < n) {
					const i = next++;
					const res = await fetch(url, { method: "POST", headers: auth, body: JSON.stringify({ title: `bead ${i}`, labels: ["bench"] }) });
					await res.arrayBuffer();
					if (res.status !== 201) throw new Error(`${url}: ${res.status}`);
				}
			}));
			return n / (Number(process.hrtime.bigint() - t0) / 1e9);
		};
		process.stderr.write("bench: bead creation over loopback\n");
		await create(`${base}/js/towns/warm/beads`);
		report.beadCreate = {
			engine: await create(`${base}/api/towns/beadbench/beads`),
			js: await create(`${base}/js/towns/beadbench/beads`),
			requests: n, parallel,
		};

		process.stderr.write("bench: seeding 100,000 beads\n");
		const town = await mf.getDurableObjectNamespace("TOWN", "gastown");
		const stub = town.get(town.idFromName("beadbench"));
		const t0 = Date.now();
		for (let i = 0; i < (quick ? 1 : 10); i++) {
			r = await fetch(`${base}/api/towns/beadbench/_test/beads-bulk`, { method: "POST", body: '{"count":10000}' });
			if (r.status !== 200) throw new Error(`seed: ${r.status} ${await r.text()}`);
		}
		report.beadSeedMs = Date.now() - t0;
		const meta = { method: "GET", path: "/api/towns/beadbench/beads", query: "?limit=100", headers: { authorization: `Bearer ${token}` } };
		const label = { ...meta, query: "?limit=100&status=open&type=bug" };
		const times = [], filtered = [];
		for (let b = 0; b < 8; b++) {
			times.push(JSON.parse(await stub.benchRepeat(meta, "", 50)).ms / 50);
			filtered.push(JSON.parse(await stub.benchRepeat(label, "", 50)).ms / 50);
		}
		report.beadList = { beads: quick ? 10000 : 100000, page: 100, median: median(times.slice(2)), filtered: median(filtered.slice(2)) };
	} finally {
		await mf.dispose();
	}
}

// The MCP server against the HTTP API, in the object: a bead filed through tools/call next to the
// same bead filed by POST /beads (the tool runs that route inside the MCP call), and tools/list.
async function mcp(report) {
	const mf = start();
	try {
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		const headers = { authorization: `Bearer ${token}`, "content-type": "application/json",
			accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" };
		const ns = await mf.getDurableObjectNamespace("TOWN", "gastown");
		// Each side files its beads into a town of its own: bead creation slows as the table grows,
		// so the second side measured in a shared town would pay for the first side's beads.
		const town = async (id) => {
			const r = await mf.dispatchFetch(`http://bench.local/api/towns/${id}`, { method: "POST", headers, body: '{"name":"Bench"}' });
			if (r.status !== 201) throw new Error(`town: ${r.status} ${await r.text()}`);
			return ns.get(ns.idFromName(id));
		};
		const httpTown = await town("mcpbench-http"), mcpTown = await town("mcpbench");
		process.stderr.write("bench: MCP tools/call and tools/list against the HTTP API\n");
		const http = await inObject(httpTown, { method: "POST", path: "/api/towns/mcpbench-http/beads", headers }, '{"title":"bead {i}"}');
		const call = await inObject(mcpTown, { method: "POST", path: "/api/towns/mcpbench/mcp", headers },
			'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bead_create","arguments":{"title":"bead {i}"}}}');
		const list = await inObject(mcpTown, { method: "POST", path: "/api/towns/mcpbench/mcp", headers },
			'{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
		report.mcp = { http, call, list };
	} finally {
		await mf.dispose();
	}
}

// One reconciler tick, engine time in the object: 10,000 open beads (one in two blocked) over 20
// rigs of 10 polecats, 8 of each working, so each tick health-checks 200 agents and starts 40
// beads. The tick runs inside a savepoint that is rolled back, so every run decides the same.
async function reconciler(report) {
	const mf = start({ port: 0 });
	try {
		const base = (await mf.ready).toString().replace(/\/$/, "");
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		let r = await fetch(`${base}/api/towns/tickbench`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: '{"name":"Tick"}' });
		if (r.status !== 201) throw new Error(`town: ${r.status} ${await r.text()}`);
		process.stderr.write("bench: seeding 10,000 open beads and 200 agents\n");
		r = await fetch(`${base}/api/towns/tickbench/_test/reconciler-seed`, { method: "POST",
			body: JSON.stringify({ rigs: 20, polecats_per_rig: 10, working_per_rig: 8, beads: 10000 }) });
		if (r.status !== 200) throw new Error(`seed: ${r.status} ${await r.text()}`);
		const town = await mf.getDurableObjectNamespace("TOWN", "gastown");
		const stub = town.get(town.idFromName("tickbench"));
		const meta = { method: "POST", path: "/api/towns/tickbench/_test/tick" };
		const times = [];
		for (let b = 0; b < (quick ? 4 : 10); b++) times.push(JSON.parse(await stub.benchRepeat(meta, "", 5)).ms / 5);
		r = await fetch(`${base}/api/towns/tickbench/_test/tick`, { method: "POST" });
		const actions = (await r.json()).data.actions;
		report.tick = { beads: 10000, agents: 200, actions, median: median(times.slice(1)), max: Math.max(...times.slice(1)) };
	} finally {
		await mf.dispose();
	}
}

// How the figures move as a town grows: the reconciler's town (one in two beads blocked, 10 polecats
// a rig, 8 of them working) at 1,000, 10,000 and 100,000 open beads with 20, 200 and 200 agents (a
// town's most),
// and at each size, engine time in the object for a tick, a bead created (POST /beads) and the
// newest page of 100 (GET /beads). A fresh object per size, so no size inherits another's pages.
async function growth(report) {
	const sizes = process.env.GROWTH_SIZES ? process.env.GROWTH_SIZES.split(",").map(Number) : quick ? [1, 10] : [1, 10, 100];
	const mf = start({ port: 0 });
	report.growth = [];
	try {
		const base = (await mf.ready).toString().replace(/\/$/, "");
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		const town = await mf.getDurableObjectNamespace("TOWN", "gastown");
		const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
		for (const k of sizes) {
			// A town has 200 agents at most: the largest size grows the beads alone.
			const name = `grow${k}`, beads = 1000 * k, rigs = Math.min(2 * k, 20), per = 10;
			let r = await fetch(`${base}/api/towns/${name}`, { method: "POST", headers, body: '{"name":"Growth"}' });
			if (r.status !== 201) throw new Error(`town: ${r.status} ${await r.text()}`);
			process.stderr.write(`bench: growth, ${beads.toLocaleString("en")} open beads and ${rigs * per} agents\n`);
			r = await fetch(`${base}/api/towns/${name}/_test/reconciler-seed`, { method: "POST",
				body: JSON.stringify({ rigs, polecats_per_rig: per, working_per_rig: 8, beads }) });
			if (r.status !== 200) throw new Error(`seed: ${r.status} ${await r.text()}`);
			const stub = town.get(town.idFromName(name));
			const tick = [];
			const once = await fetch(`${base}/api/towns/${name}/_test/tick`, { method: "POST" });
			if (once.status !== 200) throw new Error(`tick at ${beads} beads: ${once.status} ${await once.text()}`);
			for (let b = 0; b < (quick ? 3 : 6); b++)
				tick.push(JSON.parse(await stub.benchRepeat({ method: "POST", path: `/api/towns/${name}/_test/tick` }, "", 3)).ms / 3);
			const list = await inObject(stub, { method: "GET", path: `/api/towns/${name}/beads`, query: "?limit=100", headers }, "");
			// Few beads created (250, the first 50 a warm-up), so the smallest town stays near its size.
			const create = [];
			let rows = 0, bytes = 0;
			for (let b = 0; b < 5; b++) {
				const r = JSON.parse(await stub.benchRepeat({ method: "POST", path: `/api/towns/${name}/beads`, headers },
					`{"title":"grown ${b}-{i}"}`, 50));
				create.push(r.ms / 50);
				if (b > 0) rows += r.rows, bytes += r.bytes;
			}
			report.growth.push({ beads, agents: rigs * per, tick: median(tick.slice(1)), create: median(create.slice(1)), list: list.median,
				createRows: rows / 200, createBytes: bytes / 200 });
		}
	} finally {
		await mf.dispose();
	}
}

// Usage ingest and roll-ups, engine time in the object: reports of 100 records each (unique ids,
// the polecat's token, one bead), then roll-up queries over what was ingested.
async function costs(report) {
	const mf = start({ port: 0 });
	try {
		const base = (await mf.ready).toString().replace(/\/$/, "");
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		const auth = { authorization: `Bearer ${token}` };
		const post = async (path, body) => {
			const r = await fetch(`${base}/api/towns/costbench${path}`, { method: "POST", headers: auth, body: JSON.stringify(body) });
			if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
			return (await r.json()).data;
		};
		await post("", { name: "Costs" });
		await post("/rigs", { id: "r", git_url: "https://example.com/r.git" });
		await post("/agents", { role: "polecat", rig: "r" });
		const bead = (await post("/beads", { title: "bench" })).id;
		const agentToken = (await post("/agents/toast/token")).token;
		const models = ["claude-sonnet-4", "gpt-4o", "claude-opus-4"];
		const records = Array.from({ length: 100 }, (_, k) => ({ id: `{i}-${k}`, bead, model: models[k % 3],
			input_tokens: 1000 + k, output_tokens: 200 + k, cache_read_tokens: k, cache_write_tokens: 0 }));
		const town = await mf.getDurableObjectNamespace("TOWN", "gastown");
		const stub = town.get(town.idFromName("costbench"));
		const meta = { method: "POST", path: "/api/towns/costbench/agents/toast/usage",
			headers: { authorization: `Bearer ${agentToken}` } };
		const body = JSON.stringify({ records });
		process.stderr.write("bench: usage ingest\n");
		const rates = [];
		for (let b = 0; b < (quick ? 3 : 10); b++) {
			const m = { ...meta, path: meta.path };
			const r = JSON.parse(await stub.benchRepeat(m, body.replaceAll("{i}", `b${b}-{i}`), 20));
			rates.push((20 * 100) / (r.ms / 1000));
		}
		const q = (query) => ({ method: "GET", path: "/api/towns/costbench/costs", query, headers: auth });
		const byUser = [], byModel = [];
		for (let b = 0; b < 6; b++) {
			byUser.push(JSON.parse(await stub.benchRepeat(q("?by=user&period=week"), "", 50)).ms / 50);
			byModel.push(JSON.parse(await stub.benchRepeat(q("?by=model&period=month"), "", 50)).ms / 50);
		}
		report.costs = { records: (quick ? 3 : 10) * 20 * 100, ingestPerSec: median(rates.slice(1)),
			rollupUser: median(byUser.slice(1)), rollupModel: median(byModel.slice(1)) };
	} finally {
		await mf.dispose();
	}
}

// The town's stats over 100,000 ended outcomes (seeded through the same totals as real ones), engine
// time in the object: the variants of all work, and the models of one kind in one language.
async function stats(report) {
	const mf = start({ port: 0 });
	try {
		const base = (await mf.ready).toString().replace(/\/$/, "");
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		const auth = { authorization: `Bearer ${token}` };
		let r = await fetch(`${base}/api/towns/statsbench`, { method: "POST", headers: auth, body: '{"name":"Stats"}' });
		if (r.status !== 201) throw new Error(`town: ${r.status} ${await r.text()}`);
		process.stderr.write("bench: seeding 100,000 outcomes\n");
		for (let k = 0; k < 10; k++) {
			r = await fetch(`${base}/api/towns/statsbench/_test/outcomes-seed`, { method: "POST",
				body: JSON.stringify({ count: 10000, key: String(k + 1) }) });
			if (r.status !== 200) throw new Error(`seed: ${r.status} ${await r.text()}`);
		}
		const town = await mf.getDurableObjectNamespace("TOWN", "gastown");
		const stub = town.get(town.idFromName("statsbench"));
		const q = (query) => ({ method: "GET", path: "/api/towns/statsbench/stats", query, headers: auth });
		const variants = [], narrow = [];
		for (let b = 0; b < 6; b++) {
			variants.push(JSON.parse(await stub.benchRepeat(q("?by=variant"), "", 50)).ms / 50);
			narrow.push(JSON.parse(await stub.benchRepeat(q("?by=model&kind=bug&language=rust"), "", 50)).ms / 50);
		}
		report.stats = { outcomes: 100000, variants: median(variants.slice(1)), narrow: median(narrow.slice(1)) };
	} finally {
		await mf.dispose();
	}
}

// The agent log (docs/memory.md), engine time in a town's AgentLogDO: batches of 128 events of 50
// agents, each a line of words drawn from a 5,000-word vocabulary with a few very common words
// (as runtimes' output is), with a path and a tool on most. Ingest next to the plain JS DO doing
// the same inserts into the same tables with FTS5; then searches once LOG_EVENTS events (1,000,000;
// BENCH_QUICK 100,000) are in: a rare word, a common word, a phrase, two words, a path prefix.
const LOG_EVENTS = quick ? 100_000 : 1_000_000;
const LOG_BATCH = 128, LOG_CALLS = 20;
async function agentLog(report) {
	const mf = start();
	try {
		const logs = await mf.getDurableObjectNamespace("LOGS", "gastown");
		const stub = logs.get(logs.idFromName("logbench"));
		const { js } = await stubs(mf, "logbench");
		let seed = 7;
		const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
		const vocab = Array.from({ length: 5000 }, (_, k) => `w${k.toString(36)}`);
		// Skewed: word k is drawn about as often as 1/(k+1) (a Zipf-like law); "checkout" and "race" are
		// planted in one line in 1,000 and one in 20,000.
		const word = () => vocab[Math.min(4999, Math.floor(Math.exp(rand() * Math.log(5000))) - 1)];
		const kinds = ["message", "command", "tool", "result", "output"];
		const line = () => {
			const words = Array.from({ length: 8 + Math.floor(rand() * 16) }, word);
			if (rand() < 0.001) words.push("checkout");
			if (rand() < 0.00005) words.push("race");
			return words.join(" ");
		};
		const batch = (round) => JSON.stringify({ events: Array.from({ length: LOG_BATCH }, (_, k) => ({
			id: `r${round}-{i}-${k}`, kind: kinds[k % 5], tool: k % 5 === 2 ? "Edit" : k % 5 === 1 ? "Bash" : undefined,
			path: k % 3 === 0 ? `src/mod${Math.floor(rand() * 40)}/file${Math.floor(rand() * 30)}.c` : undefined, text: line() })) });
		const meta = (agent) => ({ method: "POST", path: `/_internal/agents/${agent}/log`,
			headers: { "x-gastown-caller": "town:logbench", "x-log-keep": "100000", "x-log-bead": "gt-1", "x-log-rig": "r" } });
		const perRound = LOG_BATCH * LOG_CALLS, rounds = Math.ceil(LOG_EVENTS / perRound);
		const rates = [], jsRates = [];
		process.stderr.write(`bench: agent log, ${LOG_EVENTS.toLocaleString("en")} events\n`);
		for (let round = 0; round < rounds; round++) {
			const body = batch(round);
			const r = JSON.parse(await stub.benchRepeat(meta(`agent${round % 50}`), body, LOG_CALLS));
			rates.push(perRound / (r.ms / 1000));
			if (round < 10) {
				const j = JSON.parse(await js.benchRepeat({ method: "LOG", path: `/js/logbench/agent${round % 50}` },
					body.replaceAll("{i}", `j${round}`), LOG_CALLS));
				jsRates.push(perRound / (j.ms / 1000));
			}
			if (round % 50 === 49) process.stderr.write(`bench: agent log, ${((round + 1) * perRound).toLocaleString("en")} events in\n`);
		}
		const search = async (query) => {
			const times = [];
			for (let b = 0; b < 4; b++) {
				const r = JSON.parse(await stub.benchRepeat({ method: "GET", path: "/_internal/search", query,
					headers: { "x-gastown-caller": "town:logbench" } }, "", 10));
				times.push(r.ms / 10);
			}
			return median(times.slice(1));
		};
		report.log = {
			events: rounds * perRound, batch: LOG_BATCH,
			ingestFirst: median(rates.slice(1, 11)), ingestLast: median(rates.slice(-10)), js: median(jsRates.slice(1)),
			rare: await search("?q=race"), common: await search(`?q=${vocab[0]}`), phrase: await search(`?q=${encodeURIComponent(`"${vocab[0]} ${vocab[1]}"`)}`),
			two: await search(`?q=${encodeURIComponent(`checkout ${vocab[2]}`)}`), path: await search("?path=src/mod7/"),
			bestRare: await search("?q=race&order=relevance"), bestMid: await search(`?q=${vocab[40]}&order=relevance`),
			bestCommon: await search(`?q=${vocab[0]}&order=relevance`),
		};
	} finally {
		await mf.dispose();
	}
}

// A local stand-in for GitHub's comment API that answers at once: the tracking comment each
// delivery asks for lands here, so effects neither fail (and come back as retries) nor wait.
async function commentSink() {
	let posted = 0, waiters = [];
	const server = createServer((req, res) => {
		req.resume();
		req.on("end", () => {
			const post = req.method === "POST";
			if (post) posted++;
			res.writeHead(post ? 201 : 200, { "content-type": "application/json" });
			res.end(JSON.stringify({ id: 100000 + posted, body: "ok" }));
			waiters = waiters.filter((w) => (posted >= w.n ? (w.resolve(), false) : true));
		});
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		get posted() { return posted; },
		until: (n) => (posted >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
		close: () => new Promise((r) => server.close(r)),
	};
}

// Webhook deliveries: octokit's own issues.opened example, for the rig's repository, carrying the
// rig's label, with a fresh issue number and delivery id each, so each makes a bead, a link row, a
// Mayor message and a tracking-comment effect (answered by commentSink). Signed before any timing.
// A delivery is answered once verified and stored (queued); the alarm applies the rules: both are
// timed, apart.
async function hooks(report) {
	const sink = await commentSink();
	const mf = start({ port: 0, quietEffects: true });
	try {
		const base = (await mf.ready).toString().replace(/\/$/, "");
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
		const call = async (method, path, body) => {
			const r = await fetch(`${base}${path}`, { method, headers: auth, body: body && JSON.stringify(body) });
			if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
		};
		const town = async (id, withToken = true) => {
			await call("POST", `/api/towns/${id}`, { name: "Hooks" });
			await call("POST", `/api/towns/${id}/rigs`, { id: "app", git_url: "https://github.com/acme/app.git" });
			await call("PUT", `/api/towns/${id}/integrations/github`, { secrets: { webhook_secret: HOOK_SECRET, ...(withToken ? { token: "ghp_bench0123456789" } : {}) },
				settings: { api_url: sink.url } });
		};
		let number = 1000;
		const deliveries = async (count) => {
			const out = [];
			for (let k = 0; k < count; k++) out.push(await githubDelivery(HOOK_SECRET, "issues", issueOpened(number++)));
			return out;
		};
		const ns = await mf.getDurableObjectNamespace("TOWN", "gastown");
		const jsNs = await mf.getDurableObjectNamespace("JS", "js");
		const bytes = JSON.stringify(issueOpened(1000)).length;

		// 1. Engine time per delivery inside the object: small batches (the clock ticks in whole ms),
		// each answered (queued), then applied by one alarm call in the same turn (timed apart), then
		// a wait until the sink has every tracking comment of the batch, so effect results are
		// applied between batches, never inside a timed one.
		process.stderr.write("bench: webhook deliveries inside the object");
		await town("hookbench");
		const engine = ns.get(ns.idFromName("hookbench")), js = jsNs.get(jsNs.idFromName("hookbench"));
		const batch = 20, batches = quick ? 20 : 100, warmup = quick ? 2 : 5;
		const means = { engine: [], js: [], apply: [] };
		let effects = 0, rows = 0, applyRows = 0;
		for (let b = 0; b < warmup + batches; b++) {
			const ds = await deliveries(batch);
			const calls = ds.map((d) => [{ method: "POST", path: "/api/towns/hookbench/hooks/github", query: "", headers: d.headers }, d.body]);
			// The JS object first: workerd runs both objects on one thread, and the engine's effect
			// results (applied as the sink answers) must not land inside the JS object's batch.
			const j = JSON.parse(await js.benchCalls(calls));
			const r = JSON.parse(await engine.benchCalls(calls, true));
			effects += r.effects + r.alarm.effects;
			await sink.until(effects);
			await new Promise((res) => setTimeout(res, 30));
			if (b < warmup) continue;
			means.engine.push(r.ms / batch);
			means.apply.push(r.alarm.ms / batch);
			means.js.push(j.ms / batch);
			rows += r.rows;
			applyRows += r.alarm.rows;
			if (b % 10 === 0) process.stderr.write(".");
		}
		process.stderr.write("\n");
		const stats = (xs) => ({ median: median(xs), p95: quantile(xs, 0.95), min: Math.min(...xs), max: Math.max(...xs) });
		const quarter = Math.floor(batches / 4);
		report.hooks = {
			payloadBytes: bytes,
			inObject: { batch, batches, deliveries: batch * batches, effects, rowsPerDelivery: rows / (batch * batches),
				engine: stats(means.engine), js: stats(means.js),
				firstQuarter: median(means.engine.slice(0, quarter)), lastQuarter: median(means.engine.slice(-quarter)),
				apply: stats(means.apply), applyRowsPerDelivery: applyRows / (batch * batches),
				applyFirstQuarter: median(means.apply.slice(0, quarter)), applyLastQuarter: median(means.apply.slice(-quarter)) },
		};

		// 2. Ingest over loopback HTTP, 16 in flight, the same deliveries to each side (signed before
		// the clock starts). The engine's rate is taken when the last delivery is answered (the alarms
		// applying them run in between, on the same thread), and again when every delivery is applied
		// (the quiet town's queue is empty) or the sink has every tracking comment.
		const n = quick ? 400 : 2000, parallel = 16;
		const send = async (url, ds) => {
			let next = 0;
			const t0 = process.hrtime.bigint();
			await Promise.all(Array.from({ length: parallel }, async () => {
				while (next < ds.length) {
					const d = ds[next++];
					const res = await fetch(url, { method: "POST", headers: d.headers, body: d.body });
					const text = await res.text();
					if (res.status !== 200 && res.status !== 202 || !/"(created|queued)"/.test(text)) throw new Error(`${url}: ${res.status} ${text}`);
				}
			}));
			return Number(process.hrtime.bigint() - t0) / 1e9;
		};
		process.stderr.write("bench: webhook ingest over loopback\n");
		await town("hookhttp");
		await town("hookquiet", false);
		const warm = await deliveries(100);
		await send(`${base}/js/towns/hookhttp/hooks/github`, warm);
		await send(`${base}/api/towns/hookhttp/hooks/github`, warm);
		await send(`${base}/api/towns/hookquiet/hooks/github`, warm);
		await sink.until(effects += 100);
		await new Promise((res) => setTimeout(res, 1000));
		// The engine with answers posted goes last: the effect results it leaves to apply after its
		// last answer would otherwise run on workerd's thread during the next side's deliveries.
		const ds = await deliveries(n);
		const jsSecs = await send(`${base}/js/towns/hookhttp/hooks/github`, ds);
		const queued = async (id) => {
			const r = await fetch(`${base}/api/towns/${id}/integrations`, { headers: auth });
			return (await r.json()).data.github.queued;
		};
		const q0 = process.hrtime.bigint();
		const quiet = await send(`${base}/api/towns/hookquiet/hooks/github`, ds);
		while (await queued("hookquiet") > 0) await new Promise((res) => setTimeout(res, 5));
		const quietApplied = Number(process.hrtime.bigint() - q0) / 1e9;
		const t0 = process.hrtime.bigint();
		const answered = await send(`${base}/api/towns/hookhttp/hooks/github`, ds);
		await sink.until(effects += n);
		const settled = Number(process.hrtime.bigint() - t0) / 1e9;
		report.hooks.ingest = { requests: n, parallel, engine: n / answered, engineSettled: n / settled, js: n / jsSecs, engineQuiet: n / quiet,
			engineQuietApplied: n / quietApplied };
	} finally {
		await mf.dispose();
		await sink.close();
	}
}

// The Wasteland's full sync (docs/wasteland.md): a town with WL_BEADS beads on the board (brought in
// as bd's JSONL, one in ten closed) connects to the local DoltHub over a real MariaDB
// (tests/worker/fake-dolthub.mjs, operations done at once): the wall time until the commons holds
// every row and the full sync's object handed over, the writes it took (the town's own: the schema
// and its rig), and a small read of the town (GET one bead) timed throughout, next to the same read
// of the quiet town before: the sync must never hold the object.
async function wasteland(report) {
	const n = quick ? 2000 : 10000;
	const cleanups = [];
	const fake = await startFakeDoltHub({ after: (f) => cleanups.push(f) });
	const mf = start({ port: 0, quietEffects: true });
	try {
		await fake.createDatabase("bench", "commons");
		const base = (await mf.ready).toString().replace(/\/$/, "");
		const token = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "HS256" })
			.setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
		const auth = { authorization: `Bearer ${token}` };
		const call = async (method, path, body, type = "application/json") => {
			const r = await fetch(`${base}${path}`, { method, headers: { ...auth, "content-type": type },
				body: typeof body === "string" ? body : body && JSON.stringify(body) });
			if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
			return (await r.json()).data;
		};
		await call("POST", "/api/towns/wl", { name: "Wasteland bench" });
		for (let at = 0; at < n; at += 2000) {
			const lines = Array.from({ length: Math.min(2000, n - at) }, (_, i) => JSON.stringify({ id: `bd-${at + i}`,
				title: `Poster ${at + i}: fix the thing in module ${(at + i) % 97}`, description: "x".repeat(200),
				status: (at + i) % 10 ? "open" : "closed", labels: ["wasteland", `m${(at + i) % 7}`] })).join("\n");
			await call("POST", `/api/towns/wl/import?first_line=${at + 1}`, lines, "application/x-ndjson");
		}
		const probe = async () => {
			const t0 = process.hrtime.bigint();
			await call("GET", "/api/towns/wl/beads?limit=1");
			return Number(process.hrtime.bigint() - t0) / 1e6;
		};
		// The import's own aftermath (its beads into the agent log's search, a batch every 2 s) done
		// first, so what is measured below is the sync.
		await new Promise((r) => setTimeout(r, quick ? 5000 : 20000));
		const idle = [];
		for (let i = 0; i < 50; i++) idle.push(await probe());
		const busy = [];
		const t0 = process.hrtime.bigint();
		await call("PUT", "/api/towns/wl/wasteland", { owner: "bench", database: "commons", handle: "bench-town",
			api_url: fake.url, token: fake.token, cadence_s: 1 });
		let status;
		for (;;) {
			busy.push(await probe());
			status = await call("GET", "/api/towns/wl/wasteland");
			if (status.state === "synced" && status.in_flight === "" && status.queued === 0 && status.full_sync
				&& !status.full_sync.running) break;
			await new Promise((r) => setTimeout(r, 20));
		}
		const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
		const rows = (await fake.query("bench", "commons", "SELECT count(*) AS n FROM wanted"))[0].n;
		if (rows !== n) throw new Error(`wasteland: ${rows} posters in the commons, ${n} expected`);
		report.wasteland = { beads: n, seconds, writes: status.writes + status.full_sync.writes,
			townWrites: status.writes, rowsPerSec: n / seconds,
			idle: { median: median(idle), max: Math.max(...idle) },
			busy: { median: median(busy), p99: quantile(busy, 0.99), max: Math.max(...busy), samples: busy.length } };
	} finally {
		await mf.dispose();
		for (const f of cleanups.reverse()) await f();
	}
}

function print(r) {
	const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
	const lines = [
		["wasm size (clang -Oz)", `${(r.wasm.raw / 1024).toFixed(1)} KB raw, ${(r.wasm.gzip / 1024).toFixed(1)} KB gzip`, "target ≤ 400 KB gzip (deploy limit 500)"],
	];
	if (r.wasmEmcc) lines.push(["wasm size (emscripten)", `${(r.wasmEmcc.raw / 1024).toFixed(1)} KB raw, ${(r.wasmEmcc.gzip / 1024).toFixed(1)} KB gzip`, ""]);
	if (r.coldFirst) lines.push(
		["first request, fresh DO, cold process", `engine ${msf(r.coldFirst.engine)}, client ${msf(r.coldFirst.client)}`, "target ≤ 30 ms engine"],
		["first request, fresh DO, warm process", `engine ${msf(r.warmFirst.engine)}, client ${msf(r.warmFirst.client)}`, ""],
	);
	if (r.writeNew) {
		for (const [name, f] of [["write (new key)", r.writeNew], ["write (update)", r.write], ["read", r.read]]) {
			lines.push([`${name}: engine in-object`, `median ${us(f.engine.median)}, p99 ${us(f.engine.p99)}`, ""]);
			lines.push([`${name}: raw JS DO in-object`, `median ${us(f.js.median)}, p99 ${us(f.js.p99)}`,
				`ratio ${ratio(f.engine.median, f.js.median)}${name === "write (new key)" ? " (target ≤ 1.8×)" : name === "write (update)" ? " (target ≤ 1.5×)" : ""}`]);
		}
		lines.push(
			["1000 inserts in one request", `engine ${msf(r.bulk1000.engine)}, JS DO ${msf(r.bulk1000.js)}`, `ratio ${ratio(r.bulk1000.engine, r.bulk1000.js)}`],
			["storage rows written per write", `engine ${r.writeNew.engine.rowsPerRequest.toFixed(2)} new / ${r.write.engine.rowsPerRequest.toFixed(2)} update`,
				`JS DO ${r.writeNew.js.rowsPerRequest.toFixed(2)} / ${r.write.js.rowsPerRequest.toFixed(2)}`],
			["storage bytes written per write", `engine ${r.writeNew.engine.bytesPerRequest.toFixed(0)} new / ${r.write.engine.bytesPerRequest.toFixed(0)} update`,
				"(the blocks' bytes; 4,096 a row if pages were stored whole)"],
			["client round trip, write", `engine median ${msf(r.client.write.engine.median)} p99 ${msf(r.client.write.engine.p99)}`,
				`JS DO ${msf(r.client.write.js.median)} (${ratio(r.client.write.engine.median, r.client.write.js.median)})`],
			["client round trip, read", `engine median ${msf(r.client.read.engine.median)} p99 ${msf(r.client.read.engine.p99)}`,
				`JS DO ${msf(r.client.read.js.median)} (${ratio(r.client.read.engine.median, r.client.read.js.median)})`],
		);
	}
	if (r.beadCreate) lines.push(
		["bead creation, loopback HTTP", `${r.beadCreate.engine.toFixed(0)}/s (${r.beadCreate.requests} requests, ${r.beadCreate.parallel} in flight)`,
			`JS DO ${r.beadCreate.js.toFixed(0)}/s (${ratio(r.beadCreate.engine, r.beadCreate.js)}); target ≥ 0.85× a fair plain object`],
		[`list 100 of ${r.beadList.beads} beads, in-object`, `${msf(r.beadList.median)} newest page; ${msf(r.beadList.filtered)} filtered by status and type`,
			"target < 5 ms"],
	);
	if (r.tick) lines.push(
		[`reconciler tick, ${r.tick.beads} open beads, ${r.tick.agents} agents`, `median ${msf(r.tick.median)}, max ${msf(r.tick.max)} (${r.tick.actions} actions)`,
			"target ≤ 10 ms"],
	);
	if (r.costs) lines.push(
		["usage ingest, 100 records per report, in-object", `${r.costs.ingestPerSec.toFixed(0)} records/s (${r.costs.records} records)`,
			"target ≥ 10,000/s"],
		["cost roll-up query, in-object", `${msf(r.costs.rollupUser)} by user (week), ${msf(r.costs.rollupModel)} by model (month)`,
			"target < 5 ms"],
	);
	if (r.stats) lines.push(
		[`stats query, ${r.stats.outcomes.toLocaleString("en")} outcomes, in-object`, `${msf(r.stats.variants)} by variant; ${msf(r.stats.narrow)} by model for one kind and language`,
			"target ≤ 5 ms"],
	);
	if (r.mcp) lines.push(
		["bead create via MCP tools/call, in-object", `median ${us(r.mcp.call.median)}, p99 ${us(r.mcp.call.p99)}`,
			`POST /beads ${us(r.mcp.http.median)} (${ratio(r.mcp.call.median, r.mcp.http.median)}); target ≤ 1.2×`],
		["MCP tools/list (a member's tools), in-object", `median ${us(r.mcp.list.median)}, p99 ${us(r.mcp.list.p99)}`],
	);
	if (r.hooks) {
		const h = r.hooks;
		lines.push(
			["webhook issues.opened, engine in-object", `median ${us(h.inObject.engine.median)}, p95 ${us(h.inObject.engine.p95)} (batches of ${h.inObject.batch}, ${h.inObject.deliveries} deliveries)`,
				"target ≤ 1 ms"],
			["  as the town fills with open beads", `first quarter ${us(h.inObject.firstQuarter)}, last quarter ${us(h.inObject.lastQuarter)}; ${h.inObject.rowsPerDelivery.toFixed(1)} storage rows written per delivery`, ""],
			["  applied on the alarm, per delivery", `median ${us(h.inObject.apply.median)}, p95 ${us(h.inObject.apply.p95)}; first quarter ${us(h.inObject.applyFirstQuarter)}, last ${us(h.inObject.applyLastQuarter)}; ${h.inObject.applyRowsPerDelivery.toFixed(1)} rows`, ""],
			["webhook, raw JS DO in-object", `median ${us(h.inObject.js.median)}, p95 ${us(h.inObject.js.p95)}`,
				`ratio ${ratio(h.inObject.engine.median, h.inObject.js.median)}`],
			["webhook ingest, loopback HTTP", `${h.ingest.engine.toFixed(0)}/s answered, ${h.ingest.engineSettled.toFixed(0)}/s with answers posted (${h.ingest.requests}, ${h.ingest.parallel} in flight)`,
				`JS DO ${h.ingest.js.toFixed(0)}/s (${ratio(h.ingest.engine, h.ingest.js)}); target ≥ 0.8×`],
			["webhook ingest, no token (no effect)", `${h.ingest.engineQuiet.toFixed(0)}/s answered, ${h.ingest.engineQuietApplied.toFixed(0)}/s applied`, `${ratio(h.ingest.engineQuiet, h.ingest.js)} the JS DO`],
		);
	}
	if (r.growth?.length) {
		const g0 = r.growth[0];
		for (const g of r.growth)
			lines.push([`growth: ${g.beads.toLocaleString("en")} open beads, ${g.agents} agents, in-object`,
				`tick ${msf(g.tick)}, bead created ${us(g.create)} (${g.createRows.toFixed(1)} blocks, ${(g.createBytes / 1024).toFixed(1)} KiB), page of 100 ${msf(g.list)}`,
				g === g0 ? "" : `×${(g.beads / g0.beads).toFixed(0)} the data: tick ×${(g.tick / g0.tick).toFixed(1)}, create ×${(g.create / g0.create).toFixed(1)}, page ×${(g.list / g0.list).toFixed(1)}`]);
	}
	if (r.wasteland) {
		const w = r.wasteland;
		lines.push(
			[`Wasteland full sync, ${w.beads.toLocaleString("en")} beads on the board`, `${w.seconds.toFixed(1)} s to a full commons, handed over (${w.writes} writes, ${w.townWrites} of them the town's; ${w.rowsPerSec.toFixed(0)} posters/s)`,
				"local MariaDB-backed DoltHub"],
			["  a read of the town meanwhile, loopback", `median ${msf(w.busy.median)}, p99 ${msf(w.busy.p99)}, max ${msf(w.busy.max)}`,
				`quiet town: median ${msf(w.idle.median)}, max ${msf(w.idle.max)}`],
		);
	}
	if (r.log) {
		const l = r.log;
		lines.push(
			[`agent log ingest, ${l.batch} events per batch, in-object`, `${l.ingestFirst.toFixed(0)} events/s first, ${l.ingestLast.toFixed(0)}/s at ${l.events.toLocaleString("en")}`,
				`JS DO ${l.js.toFixed(0)}/s (${ratio(l.ingestFirst, l.js)}); target ≥ 5,000/s`],
			[`agent log search, ${l.events.toLocaleString("en")} events, in-object`, `newest first: rare word ${msf(l.rare)}, a word in 3 lines of 4 ${msf(l.common)}, phrase ${msf(l.phrase)}`,
				"target ≤ 20 ms"],
			["  two words, path prefix", `${msf(l.two)}, ${msf(l.path)}`, ""],
			["  best first (bm25)", `rare word ${msf(l.bestRare)}, a word in 1 line of 23 ${msf(l.bestMid)}, a word in 3 lines of 4 ${msf(l.bestCommon)}`, ""],
		);
	}
	const w = Math.max(...lines.map((l) => l[0].length));
	console.log(`\nGastown Edge bench (${r.date}, batches of ${r.batch} × ${r.batches})`);
	for (const [a, b, c] of lines) console.log(`  ${a.padEnd(w)}  ${b}${c ? `   ${c}` : ""}`);
	console.log("  (figures also in build/bench.json)");
}

await main();
