// js-do.js - the raw platform for comparison: a minimal JavaScript Durable Object doing the same
// work as the engine's /_test/kv routes directly through ctx.storage.sql, with the same JSON in and
// out. Used only by bench/bench.mjs.
import { DurableObject } from "cloudflare:workers";

export class BenchJsDO extends DurableObject {
	constructor(ctx, env) {
		super(ctx, env);
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms REAL NOT NULL)");
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS beads (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT, status TEXT, priority INTEGER, title TEXT, requested_by TEXT, created_ms REAL)");
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, kind TEXT, subject TEXT, actor TEXT, at_ms REAL)");
	}

	// One request's work; returns [status, body, rows written].
	handle(method, key, body) {
		const sql = this.ctx.storage.sql;
		if (method === "PUT") {
			const b = JSON.parse(body);
			if (typeof b.value !== "string") return [400, JSON.stringify({ error: { code: "invalid", field: "value" } }), 0];
			const rows = this.ctx.storage.transactionSync(() => sql.exec(
				"INSERT INTO kv (key, value, updated_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
				key, b.value, Date.now()).rowsWritten);
			return [200, JSON.stringify({ data: { key, value: b.value } }), rows];
		}
		if (method === "BEAD") {
			// The same row a bead is in the engine: the fields, an id, and one event.
			const b = JSON.parse(body);
			if (typeof b.title !== "string" || !b.title) return [400, JSON.stringify({ error: { code: "invalid", field: "title" } }), 0];
			const id = `gt-${crypto.getRandomValues(new Uint32Array(1))[0].toString(36).slice(0, 5)}${this.n = (this.n ?? 0) + 1}`;
			const rows = this.ctx.storage.transactionSync(() =>
				sql.exec("INSERT INTO beads (id, type, status, priority, title, requested_by, created_ms) VALUES (?, 'task', 'open', 2, ?, 'bench', ?)",
					id, b.title, Date.now()).rowsWritten +
				sql.exec("INSERT INTO events (kind, subject, actor, at_ms) VALUES ('bead.created', ?, 'bench', ?)", id, Date.now()).rowsWritten);
			return [201, JSON.stringify({ data: { id, title: b.title, status: "open" } }), rows];
		}
		if (method === "BULK") {
			const b = JSON.parse(body);
			let rows = 0;
			this.ctx.storage.transactionSync(() => {
				for (let i = 0; i < b.count; i++)
					rows += sql.exec("INSERT INTO kv (key, value, updated_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
						`${b.prefix}-${i}`, `value ${i}`, Date.now()).rowsWritten;
			});
			return [200, JSON.stringify({ data: { written: b.count } }), rows];
		}
		const row = sql.exec("SELECT value, updated_ms FROM kv WHERE key = ?", key).toArray()[0];
		if (!row) return [404, JSON.stringify({ error: { code: "not_found" } }), 0];
		return [200, JSON.stringify({ data: { key, value: row.value, updated_ms: row.updated_ms } }), 0];
	}

	async fetch(request) {
		const url = new URL(request.url);
		const started = performance.now();
		const method = url.pathname.endsWith("/beads") && request.method === "POST" ? "BEAD" : request.method;
		const [status, body, rows] = this.handle(method, url.pathname.split("/").pop(), await request.text());
		return new Response(body, { status, headers: { "content-type": "application/json",
			"server-timing": `engine;dur=${(performance.now() - started).toFixed(3)}, rows-written;desc="${rows}"` } });
	}

	benchRepeat(meta, body, n) {
		const started = performance.now();
		let rows = 0;
		for (let i = 0; i < n; i++) {
			const [status, , r] = this.handle(meta.method, meta.path.replaceAll("{i}", String(i)).split("/").pop(), body);
			if (status >= 400) throw new Error("bench request failed");
			rows += r;
		}
		return JSON.stringify({ ms: performance.now() - started, rows });
	}
}

export default {
	fetch(request, env) {
		return env.JS.get(env.JS.idFromName(new URL(request.url).pathname.split("/")[3])).fetch(request);
	},
};
