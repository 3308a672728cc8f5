// blocks.test.mjs - the shim's BlockStore against real Durable Object storage (workerd's SQLite):
// a call's writes are kept and read back before they are stored, stored together by flush()
// inside the call's transaction (at most 32 rows a statement), a block written twice is stored
// once as last written, a truncation drops kept blocks too, a rolled-back call leaves neither
// rows nor kept writes behind, and a call writing more than 4 MB stores as it goes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Miniflare } from "miniflare";

const ROOT = new URL("../..", import.meta.url).pathname;

const script = `
import { DurableObject } from "cloudflare:workers";
import { BlockStore } from "./worker-shim/blocks.js";

const block = (no, len) => new Uint8Array(len).map((_, i) => (no * 31 + i) & 255);
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export class Probe extends DurableObject {
	stored() {
		const sql = this.ctx.storage.sql;
		if (sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'blocks'").one().n === 0) return null;
		return sql.exec("SELECT no, length(data) AS len FROM blocks ORDER BY no").toArray().map((r) => [r.no, r.len]);
	}

	// Each step in its own storage transaction, as object.js runs a call; returns what was seen.
	run() {
		const sql = this.ctx.storage.sql, seen = {};
		let store = new BlockStore(sql);
		const into = new Uint8Array(4096);

		this.ctx.storage.transactionSync(() => {
			for (let no = 0; no < 70; no++) store.write(no, block(no, 1000 + no * 40));
			store.write(5, block(500, 123)); // written again: the last write is the block
			seen.readBack = store.read(5, into) === 123 && same(into.subarray(0, 123), block(500, 123))
				&& store.read(69, into) === 3760 && same(into.subarray(0, 3760), block(69, 3760));
			seen.beforeFlush = this.stored();
			seen.count = store.count();
			store.flush();
		});
		seen.rowsWritten = store.rowsWritten;
		seen.afterFlush = this.stored();

		// A fresh store reads what was stored, not what was kept.
		store = new BlockStore(sql);
		seen.fresh = store.count() === 70 && store.read(5, into) === 123 && same(into.subarray(0, 123), block(500, 123))
			&& store.read(40, into) === 2600 && same(into.subarray(0, 2600), block(40, 2600));

		// Truncation: stored rows at or past the count go, and so do kept ones.
		this.ctx.storage.transactionSync(() => {
			store.write(60, block(600, 50));
			store.write(80, block(800, 50));
			store.truncate(50);
			seen.truncatedCount = store.count();
			seen.truncatedRead = store.read(60, into);
			store.write(50, block(900, 70));
			store.flush();
		});
		seen.afterTruncate = this.stored().map(([no]) => no);

		// A rolled-back call: its rows are gone and its kept writes are forgotten.
		const { exists, n } = store;
		try {
			this.ctx.storage.transactionSync(() => {
				store.write(3, block(300, 10));
				store.write(51, block(510, 10));
				store.flush();
				throw new Error("refused");
			});
		} catch {
			store.restore(exists, n);
		}
		seen.afterRollback = store.count() === 51 && store.read(3, into) === 1120 && store.read(51, into) === 0;
		store.flush();
		seen.flushedNothing = this.stored().length === 51 && this.stored()[3][1] === 1120;

		// A call writing more than 4 MB stores as it goes, inside its transaction.
		this.ctx.storage.transactionSync(() => {
			for (let no = 0; no < 1200; no++) store.write(no, block(no, 4096));
			seen.storedEarly = this.stored().filter(([, len]) => len === 4096).length;
			seen.bigReadBack = store.read(7, into) === 4096 && same(into, block(7, 4096))
				&& store.read(1199, into) === 4096 && same(into, block(1199, 4096));
			store.flush();
		});
		seen.bigStored = this.stored().filter(([, len]) => len === 4096).length;
		return seen;
	}
}
export default { fetch() { return new Response("blocks"); } };`;

test("BlockStore keeps a call's writes, stores them together in its transaction, and forgets them on rollback", async () => {
	const mf = new Miniflare({
		modulesRoot: ROOT, compatibilityDate: "2026-04-01",
		modules: [{ type: "ESModule", path: join(ROOT, "probe.js"), contents: script },
			{ type: "ESModule", path: join(ROOT, "worker-shim/blocks.js") }],
		durableObjects: { PROBE: { className: "Probe", useSQLite: true } },
	});
	try {
		await mf.ready;
		const ns = await mf.getDurableObjectNamespace("PROBE");
		const seen = await ns.get(ns.idFromName("p")).run();
		assert.ok(seen.readBack, "a kept block reads back before it is stored, as last written");
		assert.equal(seen.beforeFlush, null, "nothing reaches storage before the flush, not even the table");
		assert.equal(seen.count, 70);
		assert.equal(seen.rowsWritten, 70, "one row a block, the one written twice once");
		assert.equal(seen.afterFlush.length, 70);
		assert.deepEqual(seen.afterFlush[5], [5, 123]);
		assert.deepEqual(seen.afterFlush[69], [69, 3760]);
		assert.ok(seen.fresh, "a new store reads the stored blocks");
		assert.equal(seen.truncatedCount, 50);
		assert.equal(seen.truncatedRead, 0, "a kept block past the truncation is gone");
		assert.deepEqual(seen.afterTruncate, Array.from({ length: 51 }, (_, i) => i));
		assert.ok(seen.afterRollback, "a rolled-back call's blocks are neither stored nor kept");
		assert.ok(seen.flushedNothing);
		assert.ok(seen.storedEarly >= 1000 && seen.storedEarly < 1200, `stored before the flush: ${seen.storedEarly}`);
		assert.ok(seen.bigReadBack, "blocks stored early and blocks still kept both read back");
		assert.equal(seen.bigStored, 1200);
	} finally {
		await mf.dispose();
	}
});
