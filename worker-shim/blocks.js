// blocks.js - the engine's database file as numbered 4 KiB blocks in Durable Object SQL storage,
// one row per block. The table is created by the first write, inside the call's storage
// transaction, so an object whose first call fails keeps no storage at all.
//
// A call's writes are kept in one buffer and stored by flush() at the end of the call, several
// rows a statement: the platform charges per statement as well as per row, and a bead's ten
// scattered pages cost about a fifth less written together (docs/performance.md, "Block writes
// stored together"). Reads look at the kept writes first, so the file reads back what was written.

const BATCH = 32; // rows a statement: 64 bound parameters, under the platform's 100
const KEEP = 256 * 1024; // the buffer's size kept between calls (the first write stores the schema image, ~0.5 MB)
const KEPT_MAX = 4 * 1024 * 1024; // a call writing more (a bulk import) stores as it goes: an object has 128 MB
const batchSql = [];

function insertSql(rows) {
	return (batchSql[rows] ??= `INSERT OR REPLACE INTO blocks (no, data) VALUES ${Array(rows).fill("(?, ?)").join(", ")}`);
}

export class BlockStore {
	constructor(sql) {
		this.sql = sql;
		this.exists = sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'blocks'").one().n > 0;
		this.n = this.exists ? sql.exec("SELECT count(*) AS n FROM blocks").one().n : 0;
		this.rowsWritten = 0;
		this.bytesWritten = 0; // bytes of the blocks written (vfs.c leaves b-tree pages' gaps out)
		this.buf = new Uint8Array(64 * 1024);
		this.used = 0;
		this.kept = new Map(); // block no -> [offset, length] in buf, for the writes not yet stored
	}

	read(no, into) {
		if (no >= this.n) return 0;
		const k = this.kept.get(no);
		if (k) {
			const len = Math.min(k[1], into.length);
			into.set(this.buf.subarray(k[0], k[0] + len));
			return len;
		}
		const row = this.sql.exec("SELECT data FROM blocks WHERE no = ?", no).toArray()[0];
		if (!row) return 0;
		const data = new Uint8Array(row.data);
		const len = Math.min(data.length, into.length);
		into.set(data.subarray(0, len));
		return len;
	}

	// bytes is a view into wasm memory, valid for this call only: it is copied into buf.
	write(no, bytes) {
		if (this.used + bytes.length > this.buf.length) {
			const grown = new Uint8Array(Math.max(this.buf.length * 2, this.used + bytes.length));
			grown.set(this.buf.subarray(0, this.used));
			this.buf = grown;
		}
		this.buf.set(bytes, this.used);
		this.kept.set(no, [this.used, bytes.length]); // a block written twice is stored once, as last written
		this.used += bytes.length;
		if (no >= this.n) this.n = no + 1;
		this.bytesWritten += bytes.length;
		if (this.used >= KEPT_MAX) this.flush(); // still inside the call's transaction
		return 0;
	}

	// Store the call's writes; inside the call's storage transaction (Engine.call).
	flush() {
		if (this.kept.size === 0) return;
		if (!this.exists) {
			this.sql.exec("CREATE TABLE IF NOT EXISTS blocks (no INTEGER PRIMARY KEY, data BLOB NOT NULL)");
			this.exists = true;
		}
		const args = [];
		const store = () => {
			this.rowsWritten += this.sql.exec(insertSql(args.length / 2), ...args).rowsWritten;
			args.length = 0;
		};
		for (const [no, [at, len]] of this.kept) {
			args.push(no, this.buf.subarray(at, at + len)); // sql.exec copies the bytes into storage
			if (args.length === 2 * BATCH) store();
		}
		if (args.length) store();
		this.#forget();
	}

	count() {
		return this.n;
	}

	truncate(count) {
		for (const no of this.kept.keys()) if (no >= count) this.kept.delete(no);
		if (this.exists) this.rowsWritten += this.sql.exec("DELETE FROM blocks WHERE no >= ?", count).rowsWritten;
		this.n = Math.min(this.n, count);
		return 0;
	}

	// After a rolled-back storage transaction: the table's existence and the block count before it.
	restore(exists, n) {
		this.exists = exists;
		this.n = n;
		this.#forget();
	}

	#forget() {
		this.kept.clear();
		this.used = 0;
		if (this.buf.length > KEEP) this.buf = new Uint8Array(KEEP);
	}
}
