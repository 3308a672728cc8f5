// platform-sql.mjs - what the platform's own SQLite offers the storage proposal
// (docs/storage-proposal.md, step 1), checked in workerd: the functions its authorizer allows (it
// refuses sqlite_version()), FTS5 with external content and triggers, the JSON functions, UPSERT ...
// RETURNING, whether SAVEPOINT is refused as a statement, nested transactionSync as a savepoint (an
// inner throw undoes only the inner work), a call back into a wasm module from inside a nested
// transaction that a host import opened, and what one small statement costs. Then, in the worker
// itself: a new-key write as the engine does it today, as the engine's whole call followed by the
// write as one platform statement (the proposal's write, over-counted by the engine's own SQLite
// work in the call), and as the plain object of bench/js-do.js does it.
//   node bench/platform-sql.mjs
import { Miniflare } from "miniflare";
import { join } from "node:path";
import { shimModules, durableObjects } from "../tests/worker/shim-modules.mjs";

const ROOT = new URL("..", import.meta.url).pathname;

// A wasm module of two functions: outer() calls the host import h.nest(), which opens a nested
// transaction and calls the module's inner() from inside it. Built from (clang-14 --target=wasm32
// -nostdlib -Wl,--no-entry -O2, then wasm-opt -Oz):
//   __attribute__((import_module("h"), import_name("nest"))) int nest(void);
//   __attribute__((export_name("inner"))) int inner(void) { return 7; }
//   __attribute__((export_name("outer"))) int outer(void) { return nest() + 1; }
const WASM = Buffer.from("AGFzbQEAAAABBQFgAAF/AgoBAWgEbmVzdAAAAwMCAAAFAwEAAgcaAwZtZW1vcnkCAAVpbm5lcgABBW91dGVyAAIKDgIEAEEHCwcAEABBAWoL", "base64");

const script = `
import { DurableObject } from "cloudflare:workers";
import reentrant from "./reentrant.wasm";
export class Probe extends DurableObject {
	check() {
		try { return this.checkAll(); } catch (err) { return { error: String(err?.stack ?? err) }; }
	}

	checkAll() {
		const sql = this.ctx.storage.sql, out = {};
		const tryOr = (f) => { try { return f(); } catch (err) { return String(err.message ?? err); } };
		out.version = tryOr(() => sql.exec("SELECT sqlite_version() AS v").one().v);
		try {
			sql.exec("CREATE TABLE notes (rowid INTEGER PRIMARY KEY, text TEXT)");
			sql.exec("CREATE VIRTUAL TABLE note_search USING fts5(text, content='notes', content_rowid='rowid')");
			sql.exec("CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN INSERT INTO note_search(rowid, text) VALUES (new.rowid, new.text); END");
			sql.exec("INSERT INTO notes (text) VALUES ('the refinery merges the branch'), ('a polecat writes code')");
			out.fts5 = sql.exec("SELECT rowid FROM note_search WHERE note_search MATCH 'refinery' ORDER BY bm25(note_search)").toArray().map((r) => r.rowid);
		} catch (err) { out.fts5 = String(err); }
		// Every SQL function the engine's statements and migrations call (grep of src/ and
		// migrations/), and a few near them: called with no arguments, an authorized function
		// answers "wrong number of arguments" at worst; a refused one says "not authorized".
		const functions = ["abs", "avg", "bm25", "changes", "char", "coalesce", "count", "format", "glob", "group_concat",
			"hex", "highlight", "ifnull", "iif", "instr", "json", "json_array", "json_array_length", "json_each", "json_extract",
			"json_group_array", "json_group_object", "json_insert", "json_object", "json_patch", "json_quote", "json_remove",
			"json_replace", "json_set", "json_type", "json_valid", "last_insert_rowid", "length", "like", "lower", "ltrim",
			"max", "min", "nullif", "printf", "quote", "random", "randomblob", "replace", "round", "rtrim", "snippet", "substr",
			"sqlite_version", "sum", "total", "trim", "typeof", "unhex", "unicode", "upper", "zeroblob"]; // sqlite_version: the one expected refused
		out.refused = functions.filter((f) => /not authorized/.test(tryOr(() => (sql.exec("SELECT " + f + "()"), ""))));
		out.snippet = tryOr(() => sql.exec("SELECT snippet(note_search, 0, '[', ']', '...', 4) AS s FROM note_search WHERE note_search MATCH 'refinery'").one().s);
		out.jsonEach = tryOr(() => sql.exec("SELECT count(*) AS n FROM json_each('[1,2,3]')").one().n);
		try {
			out.json = sql.exec("SELECT json_extract('{\\"a\\":{\\"b\\":7}}', '$.a.b') AS v").one().v;
		} catch (err) { out.json = String(err); }
		sql.exec("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT, n INTEGER NOT NULL DEFAULT 0)");
		out.upsert = tryOr(() => sql.exec("INSERT INTO kv (key, value) VALUES ('k', 'v') ON CONFLICT (key) DO UPDATE SET n = n + 1 RETURNING n").one().n);
		out.savepoint = tryOr(() => (sql.exec("SAVEPOINT s"), "accepted"));
		// Nested transactionSync: the inner throw undoes the inner write only.
		this.ctx.storage.transactionSync(() => {
			sql.exec("INSERT INTO kv (key, value) VALUES ('outer', '1')");
			try {
				this.ctx.storage.transactionSync(() => {
					sql.exec("INSERT INTO kv (key, value) VALUES ('inner', '1')");
					throw new Error("roll back the inner part");
				});
			} catch {}
		});
		out.nested = sql.exec("SELECT key FROM kv ORDER BY key").toArray().map((r) => r.key);
		return out;
	}

	reenter() {
		const wasm = reentrant;
		const sql = this.ctx.storage.sql, seen = [];
		sql.exec("CREATE TABLE IF NOT EXISTS r (x TEXT)");
		let instance;
		instance = new WebAssembly.Instance(wasm, { h: { nest: () => {
			this.ctx.storage.transactionSync(() => {
				seen.push("nested open, inner() = " + instance.exports.inner());
				sql.exec("INSERT INTO r VALUES ('in the nested transaction')");
			});
			return 1;
		} } });
		this.ctx.storage.transactionSync(() => {
			seen.push("outer: " + instance.exports.outer());
		});
		seen.push(sql.exec("SELECT count(*) AS n FROM r").one().n + " row");
		return seen;
	}

	cost(calls) {
		const sql = this.ctx.storage.sql;
		sql.exec("CREATE TABLE IF NOT EXISTS c (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
		const t0 = performance.now();
		this.ctx.storage.transactionSync(() => {
			for (let i = 0; i < calls; i++) sql.exec("INSERT INTO c (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", "k" + (i % 100), "v" + i);
		});
		return (performance.now() - t0) / calls * 1000;
	}
}
export default { fetch() { return new Response("probe"); } };`;

const mf = new Miniflare({ compatibilityDate: "2026-04-01",
	modules: [{ type: "ESModule", path: "probe.js", contents: script }, { type: "CompiledWasm", path: "reentrant.wasm", contents: WASM }],
	durableObjects: { PROBE: { className: "Probe", useSQLite: true } } });
try {
	await mf.ready;
	const ns = await mf.getDurableObjectNamespace("PROBE");
	const stub = ns.get(ns.idFromName("probe"));
	console.log(JSON.stringify(await stub.check(), null, 1));
	console.log("re-entry:", JSON.stringify(await stub.reenter()));
	await stub.cost(20000);
	console.log(`one small upsert inside a transaction: ${(await stub.cost(100000)).toFixed(2)} µs`);
} finally {
	await mf.dispose();
}

// The write three ways, 2,000 calls a batch, median of 15 batches after 3.
const KV = "INSERT INTO kv (key, value, updated_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms";
const worker = new Miniflare({ workers: [
	{ name: "gastown", modulesRoot: ROOT, compatibilityDate: "2026-04-01", durableObjects,
		modules: [...shimModules, { type: "CompiledWasm", path: join(ROOT, "build/wasm/gastown.wasm") }],
		bindings: { GASTOWN_TEST_HOOKS: "1", GASTOWN_JWT_SECRET: "platform-sql-0123456789abcdef-0123456789abcdef" } },
	{ name: "js", modulesRoot: ROOT, compatibilityDate: "2026-04-01", routes: ["*/js/*"],
		modules: [{ type: "ESModule", path: join(ROOT, "bench/js-do.js") }],
		durableObjects: { JS: { className: "BenchJsDO", useSQLite: true } },
		bindings: { HOOK_SECRET: "h", JWT_SECRET: "platform-sql-0123456789abcdef-0123456789abcdef" } }] });
try {
	await worker.ready;
	const towns = await worker.getDurableObjectNamespace("TOWN", "gastown"), plain = await worker.getDurableObjectNamespace("JS", "js");
	const engine = towns.get(towns.idFromName("bench")), jsObject = plain.get(plain.idFromName("bench"));
	const put = (path) => ({ method: "PUT", path, query: "", headers: {} });
	await engine.benchRepeat(put("/api/towns/bench/_test/kv/seed"), '{"value":"hello"}', 1);
	await engine.benchRepeat({ method: "GET", path: "/api/towns/bench/_test/kv/seed", query: "", headers: {} }, "", 1);
	const got = { today: [], proposal: [], plain: [] }, n = 2000;
	for (let b = 0; b < 18; b++) {
		const today = JSON.parse(await engine.benchRepeat(put(`/api/towns/bench/_test/kv/t${b}-{i}`), '{"value":"hello"}', n)).ms;
		const proposal = JSON.parse(await engine.benchCallThenSql({ method: "GET", path: "/api/towns/bench/_test/kv/seed", query: "", headers: {} },
			n, "CREATE TABLE IF NOT EXISTS proposal_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms REAL NOT NULL)",
			KV.replace("kv", "proposal_kv"), [`p${b}-{i}`, "hello", Date.now()])).ms;
		const js = JSON.parse(await jsObject.benchRepeat({ method: "PUT", path: `/js/towns/bench/j${b}-{i}` }, '{"value":"hello"}', n)).ms;
		if (b >= 3) for (const [k, v] of Object.entries({ today, proposal, plain: js })) got[k].push(v / n * 1000);
	}
	const med = (xs) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
	const m = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, med(v)]));
	console.log(`new-key write inside the object, µs (median of 15 batches of ${n}):`);
	console.log(`  engine today                               ${m.today.toFixed(1)}   ${(m.today / m.plain).toFixed(2)}×`);
	console.log(`  engine's call, then one platform statement ${m.proposal.toFixed(1)}   ${(m.proposal / m.plain).toFixed(2)}×`);
	console.log(`  plain object                               ${m.plain.toFixed(1)}`);
} finally {
	await worker.dispose();
}
