// object.js - the Durable Object runner shared by every kind. It translates platform events into
// engine calls, runs each call inside one storage transaction, and carries out what the engine
// returns: the response, the next alarm, outbound calls (effects), WebSocket frames. It decides
// nothing itself.
import { DurableObject } from "cloudflare:workers";
import wasm from "../build/wasm/gastown.wasm";
import { BlockStore } from "./blocks.js";
import { Engine, EngineFatal } from "./engine.js";
import { connectSocket, fetchTry, passOn, perform, readBounded } from "./effects.js";
import { isToml, tomlBody } from "./toml.js";
import { log } from "./log.js";
import { engineConfig, errorResponse, toResponse } from "./http.js";

const ALARM_RETRY_MS = 10_000;

// An object with no stored name woken without one (by its alarm): it cannot know who it is.
class Nameless extends Error {
	constructor() {
		super("the object was woken without a name and has none stored; it waits for a request");
	}
}

// Thrown inside transactionSync to roll back a call the engine answered with an error.
class Rejected extends Error {
	constructor(out) {
		super("rejected");
		this.out = out;
	}
}

export class EngineObject extends DurableObject {
	static kind = "";
	#joined = new Set(); // sockets joined upstream (agents' terminals): {tags, close(code, reason)}

	constructor(ctx, env) {
		super(ctx, env);
		this.module = wasm;
		this.engine = null;
		this.alarmAt = undefined;
		this.debug = env.GASTOWN_LOG_LEVEL === "debug";
	}

	// Who this object is: the name it was addressed by (idFromName), kept in its own storage by its
	// first call that stores anything. An object woken by its alarm has no name on ctx.id, so the
	// name is never derived from how the object was woken; without a stored one, it has none.
	#identity() {
		if (this.name) return this.name;
		const sql = this.ctx.storage.sql;
		const table = sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'object_identity'").one().n > 0;
		const stored = table ? sql.exec("SELECT name FROM object_identity").toArray()[0]?.name : undefined;
		const given = this.ctx.id.name;
		if (stored !== undefined && given !== undefined && stored !== given)
			throw new EngineFatal(`object '${stored}' addressed as '${given}'`);
		this.nameStored = stored !== undefined;
		this.name = stored ?? given ?? null;
		return this.name;
	}

	// Inside a call's storage transaction: once the engine keeps blocks, the name goes with them.
	#keepIdentity() {
		if (this.nameStored || !this.blocks.exists || !this.name) return;
		const sql = this.ctx.storage.sql;
		sql.exec("CREATE TABLE IF NOT EXISTS object_identity (name TEXT NOT NULL)");
		sql.exec("DELETE FROM object_identity");
		sql.exec("INSERT INTO object_identity (name) VALUES (?)", this.name);
		this.keptIdentity = true;
	}

	// The engine instance, opened on first use; the time that took is reported with the next call.
	#engine() {
		if (this.engine) return this.engine;
		const id = this.#identity();
		if (!id) throw new Nameless();
		const started = performance.now();
		this.blocks = new BlockStore(this.ctx.storage.sql);
		this.engine = new Engine(this.module, engineConfig(this.env, this.constructor.kind, id),
			this.blocks, (level, msg, fields) => this.#log(level, msg, fields));
		this.openMs = performance.now() - started;
		return this.engine;
	}

	#log(level, msg, fields = {}) {
		log(level, msg, { kind: this.constructor.kind, object: this.name ?? this.ctx.id.name, ...fields });
	}

	// One engine call in one storage transaction. Error responses roll back too, so bad input
	// leaves no trace even in storage the engine touched; a fatal call also drops the instance.
	#run(event, meta, body, socket) {
		let engine;
		try {
			engine = this.#engine();
		} catch (err) {
			this.engine = null;
			this.#log("error", err instanceof Nameless ? err.message : "engine open failed", { event, error: String(err) });
			return { failed: true, error: err };
		}
		const openMs = this.openMs ?? 0;
		this.openMs = 0;
		const { exists, n, rowsWritten: rows, bytesWritten: bytes } = this.blocks; // what a rollback restores
		const started = performance.now();
		let out;
		try {
			out = this.ctx.storage.transactionSync(() => {
				const o = engine.call(event, meta, body);
				if (o.rc !== 0) throw new EngineFatal(o.meta.fatal ?? "engine call failed");
				if (o.meta.status >= 400) throw new Rejected(o);
				this.#keepIdentity();
				return o;
			});
			if (this.keptIdentity) this.nameStored = true;
		} catch (err) {
			this.keptIdentity = false;
			this.blocks.restore(exists, n);
			if (err instanceof Rejected) {
				out = err.out;
				// A refusal keeps the instance, but not when the call began without storage and wrote
				// some (SQLite spilled pages before its commit, and the VFS stored the schema image
				// first): the VFS now reads storage, which the rollback emptied. A new instance
				// starts from the image again.
				if (!exists && this.blocks.rowsWritten !== rows) this.engine = null;
			} else {
				this.engine = null;
				this.alarmAt = undefined;
				this.#log("error", "engine call failed; storage rolled back", { event, error: String(err) });
				return { failed: true, error: err };
			}
		}
		// Figures for Server-Timing (and the bench): time to open the instance, time in the call,
		// storage rows the call wrote.
		out.timing = { open: openMs, engine: performance.now() - started,
			rows: this.blocks.rowsWritten - rows, bytes: this.blocks.bytesWritten - bytes };
		if (out.meta.log) for (const line of out.meta.log) this.#log(line.level, line.msg, { detail: line.detail });
		if (this.debug) this.#log("debug", "engine call", { event, status: out.meta.status, ...out.timing });
		this.#afterCall(out.meta, socket);
		return out;
	}

	#afterCall(meta, socket) {
		if ("next_alarm_ms" in meta && meta.next_alarm_ms !== this.alarmAt) {
			this.alarmAt = meta.next_alarm_ms;
			if (meta.next_alarm_ms) this.ctx.storage.setAlarm(meta.next_alarm_ms);
			else this.ctx.storage.deleteAlarm();
		}
		if (meta.effects) for (const fx of meta.effects) {
			const p = this.#effect(fx);
			this.ctx.waitUntil?.(p);
		}
		// Frames go to the socket that sent the message ("self"), to every socket ("all"), or to
		// the sockets accepted with a tag.
		if (meta.ws_close) for (const x of meta.ws_close) {
			for (const t of this.ctx.getWebSockets(x.tag)) t.close(x.code, x.reason);
			for (const j of this.#joined) if (j.tags.includes(x.tag)) j.close(x.code, x.reason);
		}
		if (meta.ws) for (const frame of meta.ws) {
			const targets = frame.to === "self" ? (socket ? [socket] : [])
				: this.ctx.getWebSockets(frame.to === "all" ? undefined : frame.to);
			for (const t of targets) t.send(frame.data);
		}
	}

	async #effect(fx) {
		const result = await perform(fx, this.engine?.bodyLimit ?? 1 << 20, this.env,
			`${this.constructor.kind}:${this.name}`);
		this.#log(result.meta.ok ? "info" : "warn", "effect result", { effect: fx.id, host: new URL(fx.url).host || fx.url.split("/").slice(0, 3).join("/"),
			status: result.meta.status, error: result.meta.error?.code });
		const out = this.#run("effect", result.meta, result.body);
		if (out.failed || out.meta.status >= 400)
			this.#log("error", "effect result not applied", { effect: fx.id, status: out.meta?.status });
	}

	async fetch(request) {
		const url = new URL(request.url);
		let limit;
		try {
			limit = this.#engine().bodyLimit;
		} catch (err) {
			this.#log("error", "engine open failed", { error: String(err) });
			return errorResponse(500, "internal", "the request failed and changed nothing");
		}
		const body = await readBounded(request.body, limit);
		const meta = {
			method: request.method,
			path: url.pathname,
			query: url.search,
			headers: Object.fromEntries(request.headers),
			body_too_large: body.tooLarge || undefined,
		};
		// A TOML body reaches the engine parsed, flagged so that a client cannot pass its own parse.
		if (!body.tooLarge && isToml(meta.headers)) {
			body.bytes = new TextEncoder().encode(JSON.stringify(tomlBody(body.bytes)));
			meta.toml = true;
		}
		const out = this.#run("request", meta, body.bytes);
		if (out.failed) return errorResponse(500, "internal", "the request failed and changed nothing");
		if (out.meta.proxy_websocket) return this.#proxySocket(out.meta.proxy_websocket);
		if (out.meta.proxy) return this.#proxyFill(out, limit);
		if (out.meta.pass) return this.#pass(out.meta.pass, meta.method, body.bytes);
		if (out.meta.accept_websocket) {
			const pair = new WebSocketPair();
			this.ctx.acceptWebSocket(pair[1], out.meta.accept_websocket.tags ?? []);
			return new Response(null, { status: 101, webSocket: pair[0] });
		}
		return toResponse(out);
	}

	async #pass(p, method, bytes) {
		try {
			return await passOn(this.env, p, method, bytes, `${this.constructor.kind}:${this.name}`);
		} catch (err) {
			this.#log("warn", "pass failed", { url: p.url.split("?")[0], error: String(err?.message ?? err) });
			return errorResponse(503, "unavailable", "the object that keeps this could not be reached: try again");
		}
	}

	// The engine's answer with data[into] filled from the first of its tries that answers 2xx with a
	// body within the limit, and that try's `set` merged into data (docs/host-abi.md, "proxy"). The
	// engine chose the tries, their order and the wrapping; with none answering its answer goes out
	// as it is.
	async #proxyFill(out, limit) {
		const p = out.meta.proxy;
		for (const t of p.tries ?? []) {
			let text;
			try {
				const res = await fetchTry(this.env, t, `${this.constructor.kind}:${this.name}`);
				if (!t.any_status && (res.status < 200 || res.status > 299)) {
					await res.body?.cancel();
					this.#log("info", "proxy try refused", { url: t.url.split("?")[0], status: res.status });
					continue;
				}
				const body = await readBounded(res.body, limit);
				if (body.tooLarge) {
					this.#log("info", "proxy try too large", { url: t.url });
					continue;
				}
				text = new TextDecoder().decode(body.bytes);
			} catch (err) {
				this.#log("info", "proxy try failed", { url: t.url, error: String(err?.message ?? err) });
				continue;
			}
			const envelope = JSON.parse(new TextDecoder().decode(out.body));
			if (p.at) {
				// A place in a body that is not the envelope (an MCP tool's result): the path's
				// last key gets the text.
				const parent = p.at.slice(0, -1).reduce((o, k) => o?.[k], envelope);
				if (parent && typeof parent === "object") parent[p.at[p.at.length - 1]] = text;
			} else {
				Object.assign(envelope.data, t.set ?? {}, { [p.into]: text });
			}
			return toResponse({ ...out, body: JSON.stringify(envelope) });
		}
		return toResponse(out);
	}

	// Join the client's socket to one the engine asked for upstream (an agent's terminal). These
	// sockets are not hibernatable: the object stays in memory while a terminal is attached.
	async #proxySocket(p) {
		let res;
		try {
			res = await connectSocket(this.env, p.url, p.headers);
		} catch (err) {
			this.#log("warn", "upstream socket failed", { error: String(err) });
			return errorResponse(502, "unavailable", "the agent's container cannot be reached");
		}
		const upstream = res.webSocket;
		if (!upstream) return new Response(res.body, { status: res.status >= 400 ? res.status : 502, headers: res.headers });
		const pair = new WebSocketPair();
		upstream.accept();
		pair[1].accept();
		// Kept with the engine's tags, so that a ws_close for them (access ended) reaches it.
		const joined = {
			tags: p.tags ?? [],
			close: (code, reason) => {
				this.#joined.delete(joined);
				for (const s of [pair[1], upstream]) try { s.close(code, reason); } catch { /* closed */ }
			},
		};
		this.#joined.add(joined);
		const forget = () => this.#joined.delete(joined);
		pair[1].addEventListener("close", forget);
		upstream.addEventListener("close", forget);
		pipeSocket(upstream, pair[1]);
		pipeSocket(pair[1], upstream);
		return new Response(null, { status: 101, webSocket: pair[0] });
	}

	async alarm() {
		this.alarmAt = undefined; // the platform cleared it by firing
		const out = this.#run("alarm", {}, undefined);
		// An object stored before it kept its name cannot tell the engine who it is; its next
		// request (which names it) sets the alarm again.
		if (out.failed && out.error instanceof Nameless) return;
		// The platform gives up on an alarm after a few failed retries; a town must not die of
		// one bad call, so a failed alarm is simply asked for again a little later.
		if (out.failed) {
			this.alarmAt = Date.now() + ALARM_RETRY_MS;
			await this.ctx.storage.setAlarm(this.alarmAt);
		}
	}

	// Bench support, test hooks only: run one request n times, each a full engine call in its own
	// storage transaction, timed here because the platform's clock ticks in whole milliseconds.
	benchRepeat(meta, body, n) {
		if (this.env.GASTOWN_TEST_HOOKS !== "1") throw new Error("test hooks are off");
		const encoder = new TextEncoder();
		const text = body ?? "", perCall = text.includes("{i}"); // unique ids per call, when asked
		const bytes = encoder.encode(text);
		const started = performance.now();
		let rows = 0, written = 0;
		for (let i = 0; i < n; i++) {
			const m = { ...meta, path: meta.path.replaceAll("{i}", String(i)) };
			const out = this.#run("request", m, perCall ? encoder.encode(text.replaceAll("{i}", String(i))) : bytes);
			if (out.failed || out.meta.status >= 400) throw new Error(`bench request failed: ${new TextDecoder().decode(out.body)}`);
			rows += out.timing.rows;
			written += out.timing.bytes;
		}
		return JSON.stringify({ ms: performance.now() - started, rows, bytes: written });
	}

	// Bench support, test hooks only (bench/platform-sql.mjs, for docs/storage-proposal.md): n
	// storage transactions, each the engine's whole call for meta and then one statement of the
	// platform's own SQL, sqlText with args ("{i}" in a string becomes the call's number), after
	// setupSql once (its table, beside the engine's blocks). What a write would cost with the
	// engine's SQL on the platform, over-counted by the engine's own SQLite work inside the call.
	benchCallThenSql(meta, n, setupSql, sqlText, args) {
		if (this.env.GASTOWN_TEST_HOOKS !== "1") throw new Error("test hooks are off");
		const engine = this.#engine(), sql = this.ctx.storage.sql, empty = new Uint8Array(0);
		sql.exec(setupSql);
		const started = performance.now();
		for (let i = 0; i < n; i++)
			this.ctx.storage.transactionSync(() => {
				const out = engine.call("request", meta, empty);
				if (out.rc !== 0 || out.meta.status >= 400) throw new Error(`bench request failed: ${out.meta.status}`);
				sql.exec(sqlText, ...args.map((a) => (typeof a === "string" ? a.replaceAll("{i}", String(i)) : a)));
			});
		return JSON.stringify({ ms: performance.now() - started });
	}

	// Bench support, test hooks only: run a list of prepared requests ([meta, body] each, a full
	// engine call in its own storage transaction), timed as one batch. For requests that cannot be
	// made by substitution in one template: signed webhook deliveries, each with its own body,
	// signature and delivery id. Effects the calls ask for start as they would from fetch(). With
	// thenAlarm, one alarm call follows at once, timed apart (what the requests queued for it), its
	// clock a second ahead.
	benchCalls(calls, thenAlarm = false) {
		if (this.env.GASTOWN_TEST_HOOKS !== "1") throw new Error("test hooks are off");
		const encoder = new TextEncoder();
		const prepared = calls.map(([meta, body]) => [meta, encoder.encode(body ?? "")]);
		const started = performance.now();
		let rows = 0, effects = 0;
		for (const [meta, bytes] of prepared) {
			const out = this.#run("request", meta, bytes);
			if (out.failed || out.meta.status >= 400) throw new Error(`bench request failed: ${new TextDecoder().decode(out.body)}`);
			rows += out.timing.rows;
			effects += out.meta.effects?.length ?? 0;
		}
		const result = { ms: performance.now() - started, rows, effects };
		if (thenAlarm) {
			// As the alarm would run a moment later: what the requests asked for within a second
			// (a webhook inbox gathers its burst for a quarter of one) is due.
			if (this.engine) this.engine.aheadMs = 1000;
			const at = performance.now();
			const out = this.#run("alarm", {}, undefined);
			if (this.engine) this.engine.aheadMs = 0;
			if (out.failed) throw new Error("bench alarm failed");
			result.alarm = { ms: performance.now() - at, rows: out.timing.rows, effects: out.meta.effects?.length ?? 0 };
		}
		return JSON.stringify(result);
	}

	async webSocketMessage(ws, message) {
		const out = this.#run("ws", { tags: this.ctx.getTags(ws) },
			typeof message === "string" ? message : new Uint8Array(message), ws);
		if (out.failed) return ws.close(1011, "internal error");
		if (out.meta.status >= 400) ws.send(new TextDecoder().decode(out.body));
	}

	// The client closed (or answered our close): complete the handshake unless we closed first.
	async webSocketClose(ws, code, reason) {
		try {
			ws.close(code === 1005 || code === 1006 ? 1000 : code, reason || "closing");
		} catch {
			// already closed by us (a member removed, a town deleted)
		}
	}
}

// Frames from one socket go to the other, in order; a close on one side closes the other. A binary
// frame may come as a Blob (a socket opened through Miniflare's outbound fetch): send() would
// stringify it, so its bytes are read first.
function pipeSocket(from, to) {
	let queue = Promise.resolve();
	from.addEventListener("message", (e) => {
		queue = queue.then(async () => {
			try {
				to.send(e.data instanceof Blob ? await e.data.arrayBuffer() : e.data);
			} catch {
				// the other side is closing
			}
		});
	});
	const close = (code, reason) => {
		try {
			to.close(code === 1005 || code === 1006 || !code ? 1000 : code, reason || "closing");
		} catch {
			// already closed
		}
	};
	// After the frames still queued: the agent's last output comes before its close.
	from.addEventListener("close", (e) => { queue = queue.then(() => close(e.code, e.reason)); });
	from.addEventListener("error", () => { queue = queue.then(() => close(1011, "upstream error")); });
}

export class TownDO extends EngineObject {
	static kind = "town";
}

export class OrgDO extends EngineObject {
	static kind = "org";
}

export class UserDO extends EngineObject {
	static kind = "user";
}

// The platform's cross-town figures: one object ("platform") that towns report to.
export class StatsDO extends EngineObject {
	static kind = "stats";
}

// A town's agent log (docs/memory.md): one object per town, named by the town's id, that only its
// town calls; the events and their search index live here, out of the TownDO's storage.
export class AgentLogDO extends EngineObject {
	static kind = "log";
}

// The platform's registry of formulas and agent configs (docs/registry.md): one object
// ("platform"), read by everyone signed in, written through the publishing org's object.
export class RegistryDO extends EngineObject {
	static kind = "registry";
}

// One full sync of a town to its Wasteland commons (docs/wasteland.md): named "<town>:<sync id>",
// started and answered only by its town, so the town's own alarm never carries a whole history.
export class DoltSyncDO extends EngineObject {
	static kind = "sync";
}
