// blocks.js - the engine's database file as numbered 4 KiB blocks in Durable Object SQL storage,
// one row per block. The table is created by the first write, inside the call's storage
// transaction, so an object whose first call fails keeps no storage at all.

export class BlockStore {
	constructor(sql) {
		this.sql = sql;
		this.exists = sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'blocks'").one().n > 0;
		this.n = this.exists ? sql.exec("SELECT count(*) AS n FROM blocks").one().n : 0;
		this.rowsWritten = 0;
		this.bytesWritten = 0; // bytes of the blocks written (vfs.c leaves b-tree pages' gaps out)
	}

	read(no, into) {
		if (no >= this.n) return 0;
		const row = this.sql.exec("SELECT data FROM blocks WHERE no = ?", no).toArray()[0];
		if (!row) return 0;
		const data = new Uint8Array(row.data);
		const len = Math.min(data.length, into.length);
		into.set(data.subarray(0, len));
		return len;
	}

	write(no, bytes) {
		if (!this.exists) {
			this.sql.exec("CREATE TABLE IF NOT EXISTS blocks (no INTEGER PRIMARY KEY, data BLOB NOT NULL)");
			this.exists = true;
		}
		// bytes is a view into wasm memory, valid for this call: sql.exec copies it into storage.
		const cur = this.sql.exec("INSERT OR REPLACE INTO blocks (no, data) VALUES (?, ?)", no, bytes);
		if (no >= this.n) this.n = no + 1;
		this.rowsWritten += cur.rowsWritten;
		this.bytesWritten += bytes.length;
		return 0;
	}

	count() {
		return this.n;
	}

	truncate(count) {
		if (this.exists) this.rowsWritten += this.sql.exec("DELETE FROM blocks WHERE no >= ?", count).rowsWritten;
		this.n = Math.min(this.n, count);
		return 0;
	}

	// After a rolled-back storage transaction: the table's existence and the block count before it.
	restore(exists, n) {
		this.exists = exists;
		this.n = n;
	}
}
