// http.js - small pieces shared by the worker entry and the objects: the engine configuration
// from the environment, and turning an engine output into a Response.

// Durable Object bindings by the kind the engine names (wrangler.toml).
const BINDINGS = { town: "TOWN", org: "ORG", user: "USER", stats: "STATS", log: "LOGS", registry: "REGISTRY", sync: "SYNC" };

// The stub of the object of a kind and id, as the engine names them.
export function objectStub(env, kind, id) {
	const ns = env[BINDINGS[kind]];
	if (!ns) throw new Error(`no Durable Object binding for kind '${kind}'`);
	return ns.get(ns.idFromName(id));
}

export function engineConfig(env, kind, id) {
	return {
		kind,
		id,
		admin_token: env.GASTOWN_ADMIN_TOKEN || undefined,
		test_hooks: env.GASTOWN_TEST_HOOKS === "1",
		container_secret: env.GASTOWN_CONTAINER_SECRET || undefined,
		jwt: {
			secret: env.GASTOWN_JWT_SECRET || undefined,
			public_key: env.GASTOWN_JWT_PUBLIC_KEY || undefined,
			issuer: env.GASTOWN_JWT_ISSUER || undefined,
			audience: env.GASTOWN_JWT_AUDIENCE || undefined,
		},
	};
}

export function toResponse(out) {
	const res = new Response(out.body, { status: out.meta.status, headers: out.meta.headers });
	if (out.timing) {
		const t = out.timing;
		res.headers.set("server-timing",
			`open;dur=${t.open.toFixed(3)}, engine;dur=${t.engine.toFixed(3)}, rows-written;desc="${t.rows}", bytes-written;desc="${t.bytes}"`);
	}
	return res;
}

// Only for failures where no engine output exists (a trap): the same envelope the engine uses.
export function errorResponse(status, code, message) {
	return new Response(JSON.stringify({ error: { code, message } }), {
		status,
		headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
	});
}
