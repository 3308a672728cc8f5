// index.js - the Worker entry. The engine (stateless "worker" kind) answers what needs no state and
// names the Durable Object that owns everything else; this file only forwards.
import wasm from "../build/wasm/gastown.wasm";
import { Engine } from "./engine.js";
import { engineConfig, errorResponse, objectStub, toResponse } from "./http.js";
import { log } from "./log.js";

export { AgentLogDO, DoltSyncDO, OrgDO, RegistryDO, StatsDO, TownDO, UserDO } from "./object.js";

let front = null; // the worker's own engine, one per isolate

export default {
	async fetch(request, env) {
		const url = new URL(request.url);
		try {
			front ??= new Engine(wasm, engineConfig(env, "worker"), null, log);
			const out = front.call("request", { method: request.method, path: url.pathname, query: url.search,
				headers: Object.fromEntries(request.headers) });
			if (out.rc !== 0) throw new Error(out.meta.fatal ?? "worker engine call failed");
			const fw = out.meta.forward;
			if (!fw) return toResponse(out);
			return objectStub(env, fw.kind, fw.id).fetch(request);
		} catch (err) {
			front = null;
			log("error", "worker engine failed", { error: String(err), path: url.pathname });
			return errorResponse(500, "internal", "the request failed and changed nothing");
		}
	},
};
