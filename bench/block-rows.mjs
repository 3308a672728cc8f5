// block-rows.mjs - what a block write costs the platform by its size: a Durable Object that
// replaces rows of the engine's `blocks` table shape (INSERT OR REPLACE of a BLOB), two rows per
// storage transaction as a new-key write does, timed inside the object. Rows of 4,096 bytes spill
// into an overflow page of the platform's own SQLite; a b-tree page stored without its gap
// (wasm/vfs.c) is usually smaller. "spread" is how many distinct rows the writes go round:
// 2 is the same pages again and again (appends), 500 a write scattered over a larger file.
//   node bench/block-rows.mjs            (docs/performance.md, "B-tree pages stored without their gap")
import { Miniflare } from "miniflare";

const script = `
import { DurableObject } from "cloudflare:workers";
export class Rows extends DurableObject {
	run(size, calls, spread) {
		const sql = this.ctx.storage.sql, block = new Uint8Array(size).map((_, i) => i * 7);
		sql.exec("CREATE TABLE IF NOT EXISTS blocks (no INTEGER PRIMARY KEY, data BLOB NOT NULL)");
		this.ctx.storage.transactionSync(() => { for (let no = 0; no < spread; no++) sql.exec("INSERT OR REPLACE INTO blocks (no, data) VALUES (?, ?)", no, block); });
		const t0 = performance.now();
		for (let i = 0; i < calls; i++)
			this.ctx.storage.transactionSync(() => {
				for (let r = 0; r < 2; r++) {
					block[r] = i;
					sql.exec("INSERT OR REPLACE INTO blocks (no, data) VALUES (?, ?)", (i * 13 + r * 101) % spread, block);
				}
			});
		return (performance.now() - t0) / calls * 1000;
	}
}
export default { fetch() { return new Response("block rows"); } };`;

const mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-04-01",
	durableObjects: { ROWS: { className: "Rows", useSQLite: true } } });
try {
	await mf.ready;
	const ns = await mf.getDurableObjectNamespace("ROWS");
	console.log("bytes a row  spread  µs per transaction of 2 rows (median of 5 runs of 4,000, min..max)");
	for (const spread of [2, 500])
		for (const size of [4096, 2800, 2000, 1000, 100]) {
			const stub = ns.get(ns.idFromName(`${size}-${spread}`));
			await stub.run(size, 2000, spread);
			const runs = [];
			for (let k = 0; k < 5; k++) runs.push(await stub.run(size, 4000, spread));
			runs.sort((a, b) => a - b);
			console.log(`${String(size).padStart(11)}  ${String(spread).padStart(6)}  ${runs[2].toFixed(1)} (${runs[0].toFixed(1)}..${runs[4].toFixed(1)})`);
		}
} finally {
	await mf.dispose();
}
