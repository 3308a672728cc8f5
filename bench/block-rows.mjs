// block-rows.mjs - what block writes cost the platform, timed inside a Durable Object that writes
// rows of the engine's `blocks` table shape (INSERT OR REPLACE of a BLOB) as the shim does:
//   sizes   two rows a storage transaction, by row size: rows of 4,096 bytes spill into an
//           overflow page of the platform's own SQLite; a b-tree page stored without its gap
//           (wasm/vfs.c) is usually smaller. "spread" is how many distinct rows the writes go
//           round: 2 is the same pages again and again (appends), 500 a write scattered over a
//           larger file.
//   batch   a bead creation's shape: 10 rows of 2.4-3.4 KB a transaction (4 appended, 6 scattered
//           over 3,000), one statement a row against one statement for all (blocks.js's flush).
//   other   two ways tried and dropped: UPDATE instead of INSERT OR REPLACE, and one log row a
//           commit holding all its pages (folded into the blocks every K commits).
//   node bench/block-rows.mjs [sizes|batch|other]   (docs/performance.md, "B-tree pages stored
//   without their gap" and "Block writes stored together")
import { Miniflare } from "miniflare";

const script = `
import { DurableObject } from "cloudflare:workers";
const rowsSql = [];
const insert = (k) => rowsSql[k] ??= "INSERT OR REPLACE INTO blocks (no, data) VALUES " + Array(k).fill("(?, ?)").join(", ");

export class Rows extends DurableObject {
	setup(spread, size) {
		const sql = this.ctx.storage.sql, block = new Uint8Array(size).map((_, i) => i * 7);
		sql.exec("CREATE TABLE IF NOT EXISTS blocks (no INTEGER PRIMARY KEY, data BLOB NOT NULL)");
		sql.exec("CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
		this.ctx.storage.transactionSync(() => { for (let no = 0; no < spread; no++) sql.exec(insert(1), no, block); });
	}

	// µs per transaction over calls transactions; mode: sizes, separate, together, update, log.
	run(mode, calls, { size = 4096, spread = 500, k = 32 } = {}) {
		const sql = this.ctx.storage.sql, block = new Uint8Array(4096).map((_, i) => i * 7);
		const buf = new Uint8Array(1 << 16), pending = new Set();
		let logged = 0;
		const t0 = performance.now();
		for (let i = 0; i < calls; i++)
			this.ctx.storage.transactionSync(() => {
				block[0] = i;
				if (mode === "sizes") {
					for (let r = 0; r < 2; r++) sql.exec(insert(1), (i * 13 + r * 101) % spread, block.subarray(0, size));
					return;
				}
				// A bead's ten pages: the tables' and indexes' last pages, and pages anywhere.
				const rows = Array.from({ length: 10 }, (_, r) => [r < 4 ? spread - 1 - r : Math.floor(Math.random() * spread),
					2400 + Math.floor(Math.random() * 1000)]);
				if (mode === "separate") for (const [no, len] of rows) sql.exec(insert(1), no, block.subarray(0, len));
				else if (mode === "update") for (const [no, len] of rows) sql.exec("UPDATE blocks SET data = ? WHERE no = ?", block.subarray(0, len), no);
				else if (mode === "together") {
					const args = [];
					let off = 0;
					for (const [no, len] of rows) {
						buf.set(block.subarray(0, len), off);
						args.push(no, buf.subarray(off, off + len));
						off += len;
					}
					sql.exec(insert(rows.length), ...args);
				} else if (mode === "log") {
					let off = 0;
					for (const [no, len] of rows) {
						buf.set(block.subarray(0, len), off);
						off += len;
						pending.add(no);
					}
					sql.exec("INSERT INTO log (id, data) VALUES (?, ?)", ++logged, buf.subarray(0, off));
					if (logged % k === 0) {
						for (const no of pending) sql.exec(insert(1), no, block.subarray(0, 2900));
						sql.exec("DELETE FROM log");
						pending.clear();
					}
				}
			});
		return (performance.now() - t0) / calls * 1000;
	}
}
export default { fetch() { return new Response("block rows"); } };`;

const part = process.argv[2] ?? "sizes";
const mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-04-01",
	durableObjects: { ROWS: { className: "Rows", useSQLite: true } } });
let objects = 0;
async function median(mode, calls, opts, setup) {
	const ns = await mf.getDurableObjectNamespace("ROWS");
	const stub = ns.get(ns.idFromName(`${mode}-${objects++}`));
	await stub.setup(setup.spread, setup.size);
	await stub.run(mode, calls / 2, opts);
	const runs = [];
	for (let k = 0; k < 5; k++) runs.push(await stub.run(mode, calls, opts));
	runs.sort((a, b) => a - b);
	return `${runs[2].toFixed(1)} (${runs[0].toFixed(1)}..${runs[4].toFixed(1)})`;
}
try {
	await mf.ready;
	if (part === "sizes") {
		console.log("bytes a row  spread  µs per transaction of 2 rows (median of 5 runs of 4,000, min..max)");
		for (const spread of [2, 500])
			for (const size of [4096, 2800, 2000, 1000, 100])
				console.log(`${String(size).padStart(11)}  ${String(spread).padStart(6)}  ${await median("sizes", 4000, { size, spread }, { spread, size })}`);
	} else {
		const modes = part === "batch" ? [["separate"], ["together"], ["separate"], ["together"]]
			: [["separate"], ["update"], ["log", 16], ["log", 32], ["log", 64]];
		console.log("10 rows of 2.4-3.4 KB a transaction over 3,000 rows: µs per transaction (median of 5 runs of 1,000, min..max)");
		for (const [mode, k] of modes)
			console.log(`${(mode + (k ? ` every ${k}` : "")).padEnd(14)} ${await median(mode, 1000, { spread: 3000, k }, { spread: 3000, size: 2900 })}`);
	}
} finally {
	await mf.dispose();
}
