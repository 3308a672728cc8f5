// effects.js - performs one outbound call the engine asked for and describes the outcome in the
// shape handle_effect_result expects. Failures are results too: a timeout or a refused connection
// comes back as {ok: false, error: {code, message}}, never as a hang or an exception.
// A url "do://<kind>/<id>/<path>" is a call to another Durable Object of this worker: the engine
// never calls an object directly, it asks for an effect like any other.
import { objectStub } from "./http.js";

const DO_URL = /^do:\/\/([a-z]+)\/([^/]+)(\/.*)$/;
// "container:/towns/<town>/..." goes to the town's Cloudflare Container when the worker has the
// AGENT_CONTAINER binding, else to the agent host at GASTOWN_AGENT_HOST_URL (make dev, tests).
const CONTAINER_URL = /^container:(\/towns\/([^/]+)\/.*)$/;

// A call to another object of this worker (a do:// url DO_URL matched), stamped with the calling
// object ("<kind>:<id>") so the callee knows who asks: a client cannot forge it, the worker never
// forwards /_internal paths. Effects, passes and proxy tries all go through here.
function toObject(env, target, init, caller) {
	return objectStub(env, target[1], decodeURIComponent(target[2])).fetch(`https://${target[1]}.internal${target[3]}`,
		{ ...init, headers: { ...(init.headers ?? {}), "x-gastown-caller": caller } });
}

function containerTarget(env, path, town) {
	if (env.AGENT_CONTAINER) {
		const stub = env.AGENT_CONTAINER.get(env.AGENT_CONTAINER.idFromName(decodeURIComponent(town)));
		return { fetch: (init) => stub.fetch(`http://container${path}`, init) };
	}
	if (env.GASTOWN_AGENT_HOST_URL) {
		const base = env.GASTOWN_AGENT_HOST_URL.replace(/\/$/, "");
		return { fetch: (init) => fetch(`${base}${path}`, init) };
	}
	throw new Error("no container: set the AGENT_CONTAINER binding or GASTOWN_AGENT_HOST_URL");
}

// Open a WebSocket to a container URL the engine signed (an agent's terminal). The Response is the
// container's own: a webSocket on success, else its error, passed on as it is.
export async function connectSocket(env, url, headers) {
	const container = CONTAINER_URL.exec(url);
	if (!container) throw new Error("sockets are opened to the container only");
	return containerTarget(env, container[1], container[2]).fetch({ method: "GET", headers: { ...headers, upgrade: "websocket" } });
}

// GET one of a proxy's tries (docs/host-abi.md, "proxy"): a container URL, another object of this
// worker (stamped with the caller, as effects are), or the network.
export async function fetchTry(env, t, caller) {
	const init = { method: "GET", headers: t.headers ?? {}, signal: AbortSignal.timeout(t.timeout_ms), redirect: "manual" };
	const target = DO_URL.exec(t.url);
	if (target) return toObject(env, target, init, caller);
	const container = CONTAINER_URL.exec(t.url);
	return container ? containerTarget(env, container[1], container[2]).fetch(init) : fetch(t.url, init);
}

// Hand a request this object has let in on to another object of the worker (docs/host-abi.md,
// "pass"): same method and body, the engine's headers and the caller's stamp; its answer is the
// client's answer, as it is. Only do:// targets: a pass never leaves the worker.
export async function passOn(env, p, method, bytes, caller) {
	const target = DO_URL.exec(p.url);
	if (!target) throw new Error("a pass goes to another object of this worker (do://)");
	return toObject(env, target, { method, headers: { ...(p.headers ?? {}), "content-type": "application/json" },
		body: method === "GET" || method === "HEAD" ? undefined : bytes }, caller);
}

// caller: "<kind>:<id>" of the object making the call, stamped on do:// calls (toObject).
export async function perform(fx, bodyLimit, env, caller) {
	const target = DO_URL.exec(fx.url);
	const init = {
		method: fx.method,
		headers: fx.headers ?? {},
		body: fx.body ?? undefined,
		signal: AbortSignal.timeout(fx.timeout_ms),
		redirect: "manual",
	};
	const container = CONTAINER_URL.exec(fx.url);
	try {
		const res = target
			? await toObject(env, target, init, caller)
			: container ? await containerTarget(env, container[1], container[2]).fetch(init)
			: await fetch(fx.url, init);
		const body = await readBounded(res.body, bodyLimit);
		if (body.tooLarge) {
			const error = { code: "too_large", message: `the response body is larger than ${bodyLimit} bytes` };
			return { meta: { id: fx.id, ok: false, status: res.status, error }, body: body.bytes };
		}
		return { meta: { id: fx.id, ok: true, status: res.status, headers: Object.fromEntries(res.headers) }, body: body.bytes };
	} catch (err) {
		const timeout = err?.name === "TimeoutError" || err?.name === "AbortError";
		return {
			meta: {
				id: fx.id,
				ok: false,
				error: { code: timeout ? "timeout" : "connect_failed", message: String(err?.message ?? err) },
			},
			body: new Uint8Array(0),
		};
	}
}

// Read a body stream up to limit bytes; anything beyond is dropped and flagged. An oversized body
// is read on (and discarded) up to four times the limit so the client finishes sending and sees the
// 413, rather than a connection cut mid-upload; past that the stream is cancelled.
export async function readBounded(stream, limit) {
	if (!stream) return { bytes: new Uint8Array(0), tooLarge: false };
	const reader = stream.getReader();
	const chunks = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		if (size + value.length > limit) {
			for (let drained = size + value.length; drained <= 4 * limit;) {
				const next = await reader.read();
				if (next.done) return { bytes: new Uint8Array(0), tooLarge: true };
				drained += next.value.length;
			}
			await reader.cancel();
			return { bytes: new Uint8Array(0), tooLarge: true };
		}
		chunks.push(value);
		size += value.length;
	}
	const bytes = new Uint8Array(size);
	let off = 0;
	for (const c of chunks) {
		bytes.set(c, off);
		off += c.length;
	}
	return { bytes, tooLarge: false };
}
