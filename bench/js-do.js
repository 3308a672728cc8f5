// js-do.js - the raw platform for comparison: a minimal JavaScript Durable Object doing the same
// work as the engine's /_test/kv routes directly through ctx.storage.sql, with the same JSON in and
// out. Used only by bench/bench.mjs.
import { DurableObject } from "cloudflare:workers";

export class BenchJsDO extends DurableObject {
	constructor(ctx, env) {
		super(ctx, env);
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms REAL NOT NULL)");
		// A bead as the engine keeps one (the columns a new bead sets), its labels a row each, the
		// town's members: what a fair plain object reads and writes to create a bead.
		ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS beads (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
			status TEXT NOT NULL, priority INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, labels TEXT NOT NULL,
			metadata TEXT NOT NULL, requested_by TEXT NOT NULL, created_by TEXT NOT NULL, created_ms REAL NOT NULL, updated_ms REAL NOT NULL)`);
		ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS beads_status ON beads(status, seq)");
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS bead_labels (label TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (label, seq)) WITHOUT ROWID");
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS members (user TEXT PRIMARY KEY, role TEXT NOT NULL) WITHOUT ROWID");
		ctx.storage.sql.exec("INSERT INTO members (user, role) VALUES ('bench', 'owner') ON CONFLICT DO NOTHING");
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, kind TEXT, subject TEXT, actor TEXT, at_ms REAL)");
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hook_deliveries (id TEXT PRIMARY KEY, event TEXT NOT NULL, at_ms REAL NOT NULL)");
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hook_issues (seq INTEGER PRIMARY KEY, delivery TEXT NOT NULL, repo TEXT, number INTEGER, title TEXT, body TEXT, url TEXT, login TEXT, labels TEXT, created_ms REAL)");
		// The agent log's tables as migrations/log makes them, FTS5 included (the platform's SQLite has it).
		ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS log_events (seq INTEGER PRIMARY KEY, agent TEXT NOT NULL, id TEXT NOT NULL,
			bead TEXT NOT NULL, rig TEXT NOT NULL, kind TEXT NOT NULL, tool TEXT NOT NULL, path TEXT NOT NULL, text TEXT NOT NULL,
			size INTEGER NOT NULL, at_ms REAL NOT NULL, UNIQUE (agent, id))`);
		ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS log_events_agent ON log_events(agent, seq)");
		ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS log_events_path ON log_events(path) WHERE path <> ''");
		ctx.storage.sql.exec("CREATE VIRTUAL TABLE IF NOT EXISTS log_search USING fts5(text, path, tool, content='log_events', content_rowid='seq')");
		ctx.storage.sql.exec(`CREATE TRIGGER IF NOT EXISTS log_events_indexed AFTER INSERT ON log_events BEGIN
			INSERT INTO log_search(rowid, text, path, tool) VALUES (new.seq, new.text, new.path, new.tool); END`);
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log_agents (agent TEXT PRIMARY KEY, events INTEGER NOT NULL) WITHOUT ROWID");
		this.hookKey = null; // the webhook secret's CryptoKey, imported once
		this.jwtKey = null;  // the sign-in secret's, imported once
		this.seen = null;    // the last token verified, {token, sub, exp}: the engine keeps one too
	}

	// What a hand-written GitHub receiver does, and no more: verify X-Hub-Signature-256 with
	// WebCrypto over the raw body (the key imported once and kept), take each delivery id once, and
	// store the issue as one row, all in one transactionSync. No rules, no labels table, no event,
	// no link, no Mayor message, no answer posted back. Returns [status, body, rows written].
	async hook(headers, raw) {
		if (!this.hookKey) this.hookKey = await crypto.subtle.importKey("raw", new TextEncoder().encode(this.env.HOOK_SECRET),
			{ name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
		const sig = headers.get("x-hub-signature-256") ?? "", delivery = headers.get("x-github-delivery"), event = headers.get("x-github-event");
		const mac = /^sha256=[0-9a-f]{64}$/.test(sig) ? new Uint8Array(sig.slice(7).match(/../g).map((h) => parseInt(h, 16))) : null;
		if (!mac || !(await crypto.subtle.verify("HMAC", this.hookKey, mac, raw)))
			return [401, JSON.stringify({ error: { code: "unauthenticated", field: "x-hub-signature-256" } }), 0];
		if (!delivery || !event) return [400, JSON.stringify({ error: { code: "invalid", field: "x-github-delivery" } }), 0];
		const p = JSON.parse(new TextDecoder().decode(raw));
		const sql = this.ctx.storage.sql;
		let rows = 0;
		const taken = this.ctx.storage.transactionSync(() => {
			const r = sql.exec("INSERT INTO hook_deliveries (id, event, at_ms) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING",
				delivery, `${event}.${p.action}`, Date.now()).rowsWritten;
			if (!r) return false;
			const i = p.issue ?? {};
			rows = r + sql.exec("INSERT INTO hook_issues (delivery, repo, number, title, body, url, login, labels, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				delivery, p.repository?.full_name ?? null, i.number ?? null, i.title ?? null, i.body ?? null, i.html_url ?? null,
				p.sender?.login ?? null, JSON.stringify((i.labels ?? []).map((l) => l.name)), Date.now()).rowsWritten;
			return true;
		});
		return [200, JSON.stringify({ data: { outcome: taken ? "created" : "duplicate_delivery", event: `${event}.${p.action}` } }), rows];
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
			// What the engine does for POST /beads, by hand: the caller (verified in fetch) must be a
			// member that may write; the body checked (title, labels); the bead's row, a row per
			// label and one event in one transaction; the bead answered whole.
			const who = key;
			const member = sql.exec("SELECT role FROM members WHERE user = ?", who).toArray()[0];
			if (!member || member.role === "viewer") return [403, JSON.stringify({ error: { code: "forbidden" } }), 0];
			const b = JSON.parse(body);
			if (typeof b.title !== "string" || !b.title || b.title.length > 200)
				return [400, JSON.stringify({ error: { code: "invalid", field: "title" } }), 0];
			const labels = b.labels ?? [];
			if (!Array.isArray(labels) || labels.some((l) => typeof l !== "string" || !l || l.length > 64))
				return [400, JSON.stringify({ error: { code: "invalid", field: "labels" } }), 0];
			const id = `gt-${crypto.getRandomValues(new Uint32Array(1))[0].toString(36).slice(0, 5)}${this.n = (this.n ?? 0) + 1}`;
			const now = Date.now();
			const bead = { id, type: "task", status: "open", priority: 2, title: b.title, body: b.body ?? "", labels,
				metadata: {}, requested_by: who, created_by: who, created_ms: now, updated_ms: now };
			const rows = this.ctx.storage.transactionSync(() => {
				const ins = sql.exec(`INSERT INTO beads (id, type, status, priority, title, body, labels, metadata, requested_by, created_by,
					created_ms, updated_ms) VALUES (?, 'task', 'open', 2, ?, ?, ?, '{}', ?, ?, ?, ?) RETURNING seq`,
					id, bead.title, bead.body, JSON.stringify(labels), who, who, now, now);
				const seq = ins.one().seq;
				let n = ins.rowsWritten;
				for (const l of labels) n += sql.exec("INSERT INTO bead_labels (label, seq) VALUES (?, ?)", l, seq).rowsWritten;
				return n + sql.exec("INSERT INTO events (kind, subject, actor, at_ms) VALUES ('bead.created', ?, ?, ?)", id, who, now).rowsWritten;
			});
			return [201, JSON.stringify({ data: bead }), rows];
		}
		if (method === "LOG") {
			// An agent's batch as the log object takes it: each event once by id, the agent's count.
			const b = JSON.parse(body);
			if (!Array.isArray(b.events)) return [400, JSON.stringify({ error: { code: "invalid", field: "events" } }), 0];
			let stored = 0;
			this.ctx.storage.transactionSync(() => {
				for (const e of b.events)
					stored += sql.exec("INSERT INTO log_events (agent, id, bead, rig, kind, tool, path, text, size, at_ms) VALUES (?, ?, 'gt-1', 'r', ?, ?, ?, ?, ?, ?) ON CONFLICT (agent, id) DO NOTHING",
						key, e.id, e.kind, e.tool ?? "", e.path ?? "", e.text.slice(0, 4096), e.text.length, Date.now()).rowsWritten;
				sql.exec("INSERT INTO log_agents (agent, events) VALUES (?, ?) ON CONFLICT (agent) DO UPDATE SET events = events + excluded.events", key, stored);
			});
			return [200, JSON.stringify({ data: { stored, duplicates: b.events.length - stored, dropped: 0 } }), stored];
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
		if (url.pathname.endsWith("/hooks/github") && request.method === "POST") {
			const [status, body, rows] = await this.hook(request.headers, new Uint8Array(await request.arrayBuffer()));
			return new Response(body, { status, headers: { "content-type": "application/json",
				"server-timing": `engine;dur=${(performance.now() - started).toFixed(3)}, rows-written;desc="${rows}"` } });
		}
		const method = url.pathname.endsWith("/beads") && request.method === "POST" ? "BEAD" : request.method;
		let key = url.pathname.split("/").pop();
		if (method === "BEAD") {
			key = await this.caller(request.headers.get("authorization") ?? "");
			if (!key) return new Response(JSON.stringify({ error: { code: "unauthenticated" } }), { status: 401 });
		}
		const [status, body, rows] = this.handle(method, key, await request.text());
		return new Response(body, { status, headers: { "content-type": "application/json",
			"server-timing": `engine;dur=${(performance.now() - started).toFixed(3)}, rows-written;desc="${rows}"` } });
	}

	// The caller of a bearer HS256 token (its sub), verified with WebCrypto as the engine verifies it:
	// the signature, then exp; the last token verified is kept until it expires, as the engine keeps
	// its last. null when it does not verify.
	async caller(auth) {
		const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
		if (this.seen?.token === token && this.seen.exp * 1000 > Date.now()) return this.seen.sub;
		const parts = token.split(".");
		if (parts.length !== 3) return null;
		if (!this.jwtKey) this.jwtKey = await crypto.subtle.importKey("raw", new TextEncoder().encode(this.env.JWT_SECRET),
			{ name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
		const b64 = (s) => Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (ch) => ch.charCodeAt(0));
		const ok = await crypto.subtle.verify("HMAC", this.jwtKey, b64(parts[2]), new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
		const header = JSON.parse(new TextDecoder().decode(b64(parts[0])));
		const claims = JSON.parse(new TextDecoder().decode(b64(parts[1])));
		if (!ok || header.alg !== "HS256" || typeof claims.sub !== "string" || !(claims.exp * 1000 > Date.now())) return null;
		this.seen = { token, sub: claims.sub, exp: claims.exp };
		return claims.sub;
	}

	// Prepared deliveries ([meta with headers, raw body] each) back to back, like the engine's benchCalls.
	async benchCalls(calls) {
		const prepared = calls.map(([meta, body]) => [new Headers(meta.headers), new TextEncoder().encode(body)]);
		const started = performance.now();
		let rows = 0;
		for (const [headers, raw] of prepared) {
			const [status, , r] = await this.hook(headers, raw);
			if (status >= 400) throw new Error("bench request failed");
			rows += r;
		}
		return JSON.stringify({ ms: performance.now() - started, rows });
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
