// authz.test.mjs - the authorization matrix: every route of docs/openapi.json (which
// tests/native/test_openapi.c holds equal to the router's table in src/api/router.c) × every kind
// of caller, through the real worker in workerd, against ACCESS below: one declarative row per
// route. A route without a row fails the test, so a new route cannot be forgotten.
//
// Callers: the owner, an admin, a member and a viewer (of the org that owns the town, so of the
// town too), an outsider, an admin of another org, this town's agent, another agent of this town,
// this town's Mayor, the Mayor acting on a viewer's message (x-gastown-on-message: it has the
// viewer's role then), an agent of another town (with the same name), no token, an expired token, an
// alg:none token and an HS256 token signed with the deployment's RS256 public key (HS/RS confusion).
// People sign in with RS256 (GASTOWN_JWT_PUBLIC_KEY, with issuer and audience), as in production.
//
// First every refusal, on quiet fixtures: its status must be exactly the one the table gives, and
// the pages of the object the path addresses must be byte-for-byte as before (page digest). Then
// every allowed call, each with objects made for it: its status must be the route's success (or
// the row's `ok`). The count of cells is printed and written to build/prove/authz.json.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SignJWT, exportSPKI, generateKeyPair } from "jose";
import { ROOT, call, eventually, operator, startWorker } from "./harness.mjs";
import { githubDelivery } from "./webhooks.mjs";

const ISSUER = "https://id.authz.test/";
const AUDIENCE = "gastown-authz";

// ---- who calls ------------------------------------------------------------------------------------

const PEOPLE = ["owner", "admin", "member", "viewer", "outsider", "rivalAdmin"];
const AGENTS = ["agent", "siblingAgent", "mayor", "mayorForViewer", "foreignAgent"];
const BAD = ["noToken", "expired", "algNone", "hsRsConfusion"];
const CALLERS = [...PEOPLE, ...AGENTS, ...BAD];
const RANK = { viewer: 1, member: 2, admin: 3, owner: 4 };

// ---- the table --------------------------------------------------------------------------------------
//
// Who may call a route (the first element of its row):
//   public    anyone, with any token or none
//   closed    no one: 405 whoever asks (the method exists on the path for no caller)
//   person    any signed-in person; no role asked (outsiders included)
//   operator  the deployment's operator token only (GASTOWN_ADMIN_TOKEN): every caller here 401
//   signed    the platform's signature only, never a bearer token: every caller here 401
//   self      the agent the path names, with its own token; another agent of the town 403
//   viewer, member, admin: that role or above in the town or org the path names; a person with a
//             lower role 403, one with none 404 (an outsider learns nothing, not even that it exists)
//   …+agents  this town's agents count as members there (their tokens are the town's own); the
//             Mayor acting on a viewer's message counts as a viewer
// Everyone else is refused: agents on people's routes and every bad token 401.
//
// The row's options: `ok` the status of an allowed call when it is not the route's documented
// success; `except` statuses of single callers, each with its reason; `params` path parameters
// other than the fixtures' (FIX below); `body`, `headers`, `query` what is sent; `fresh(caller)`
// makes what one allowed call consumes and returns {params?, body?}.

const upgrade = { upgrade: "websocket" };
const authzFormula = (name, version) =>
	`formula = "${name}"\nversion = "${version}"\n[[steps]]\nid = "one"\ntitle = "The one step"\n`;
const mcpBody = { jsonrpc: "2.0", id: 1, method: "tools/list" };
const mcpHeaders = { accept: "application/json, text/event-stream" };

function access(f) {
	const { uniq, bead, convoy, escalation, agent, crew, town, as } = f;
	return {
		"GET /health": ["public"],
		"GET /api/me": ["person"],
		"GET /api/me/towns": ["person"],
		"GET /api/towns": ["person"],
		"GET /api/orgs": ["person"],
		// The platform's figures across towns: anyone signed in.
		"GET /api/stats": ["person"],
		"GET /api/stats/recommend": ["person", { query: "?kind=task&language=python" }],
		"GET /api/stats/debug/storage": ["operator"],
		// The registry: anyone signed in reads it; an org's admins publish and deprecate.
		"GET /api/registry": ["person", { query: "?q=authz" }],
		"GET /api/registry/{name}": ["person"],
		"GET /api/registry/{name}/{version}": ["person"],
		"POST /api/orgs/{org}/registry": ["admin", { headers: { "content-type": "application/toml" },
			body: () => authzFormula(uniq("authz-f"), "1.0.0") }],
		"POST /api/orgs/{org}/registry/{name}/{version}/deprecation": ["admin", { body: { reason: "matrix" } }],
		"DELETE /api/orgs/{org}/registry/{name}/{version}/deprecation": ["admin"],
		"GET /.well-known/oauth-protected-resource/api/towns/{town}/mcp": ["public"],
		"GET /.well-known/oauth-protected-resource/api/orgs/{org}/mcp": ["public"],

		// Anyone signed in may found a town or an org with an id no one has.
		"POST /api/towns/{town}": ["person", { params: { town: "unclaimed" }, body: { name: "Mine" },
			fresh: () => ({ params: { town: uniq("t") } }) }],
		"GET /api/towns/{town}": ["viewer"],
		"PATCH /api/towns/{town}": ["admin", { body: () => ({ name: uniq("Matrix ") }) }],
		"DELETE /api/towns/{town}": ["admin", { fresh: async () => ({ params: { town: await town() } }) }],
		"GET /api/towns/{town}/settings": ["viewer"],
		"PATCH /api/towns/{town}/settings": ["admin", { body: () => ({ settings: { note: uniq("n") } }) }],

		"POST /api/orgs/{org}": ["person", { params: { org: "unclaimed" }, body: { name: "Mine" },
			fresh: () => ({ params: { org: uniq("o") } }) }],
		"GET /api/orgs/{org}": ["viewer"],
		"PATCH /api/orgs/{org}": ["admin", { body: () => ({ name: uniq("Acme ") }) }],
		"GET /api/orgs/{org}/towns": ["viewer"],
		"POST /api/orgs/{org}/towns/{town}": ["admin", { params: { town: "annex" }, body: { name: "Annex" },
			fresh: () => ({ params: { town: uniq("annex") } }) }],
		"GET /api/orgs/{org}/members": ["viewer"],
		"PUT /api/orgs/{org}/members/{user}": ["admin", { params: { user: "newbie" }, body: { role: "viewer" },
			fresh: () => ({ params: { user: uniq("u") } }) }],
		// Anyone may leave; removing someone else takes an admin: the target is another viewer.
		"DELETE /api/orgs/{org}/members/{user}": ["admin", { params: { user: "vince" },
			fresh: async () => {
				const user = uniq("gone");
				await f.ok("PUT", `/api/orgs/acme/members/${user}`, { role: "viewer" });
				return { params: { user } };
			} }],
		"GET /api/orgs/{org}/fleet": ["admin"],
		"PUT /api/orgs/{org}/teams/{user}": ["admin", { params: { user: "bob" }, body: { team: "core" } }],
		"GET /api/orgs/{org}/debug/storage": ["operator"],
		"POST /api/orgs/{org}/mcp": ["viewer", { body: mcpBody, headers: mcpHeaders }],
		"GET /api/orgs/{org}/mcp": ["closed"],
		"DELETE /api/orgs/{org}/mcp": ["closed"],

		"POST /api/towns/{town}/rigs": ["admin", { body: () => ({ id: uniq("r"), git_url: "https://example.com/r.git" }) }],
		"GET /api/towns/{town}/rigs": ["viewer"],
		"GET /api/towns/{town}/rigs/{rig}": ["viewer"],
		"PATCH /api/towns/{town}/rigs/{rig}": ["admin", { body: () => ({ default_branch: uniq("b") }) }],
		"DELETE /api/towns/{town}/rigs/{rig}": ["admin", { fresh: async () => {
			const id = uniq("r");
			await f.ok("POST", "/api/towns/matrix/rigs", { id, git_url: "https://example.com/r.git" });
			return { params: { rig: id } };
		} }],

		// Admins write the town's own personas; everyone in the town reads them, its agents too.
		"POST /api/towns/{town}/personas": ["admin", { body: () => ({ name: uniq("p"), title: "Matrix persona" }) }],
		"GET /api/towns/{town}/personas": ["viewer+agents"],
		"GET /api/towns/{town}/personas/{persona}": ["viewer+agents"],
		"PATCH /api/towns/{town}/personas/{persona}": ["admin", { body: () => ({ title: uniq("Persona ") }) }],
		"DELETE /api/towns/{town}/personas/{persona}": ["admin", { fresh: async () => {
			const name = uniq("p");
			await f.ok("POST", "/api/towns/matrix/personas", { name });
			return { params: { persona: name } };
		} }],

		"POST /api/towns/{town}/agents": ["admin", { body: { role: "triage" } }],
		"GET /api/towns/{town}/agents": ["viewer"],
		"GET /api/towns/{town}/agents/{agent}": ["viewer"],
		"POST /api/towns/{town}/agents/{agent}/hook": ["member", { body: { bead: "b-none" },
			fresh: async () => ({ params: { agent: await agent() }, body: { bead: await bead() } }) }],
		"DELETE /api/towns/{town}/agents/{agent}/hook": ["member", { fresh: async () => {
			const a = await agent();
			await f.ok("POST", `/api/towns/matrix/agents/${a}/hook`, { bead: await bead() });
			return { params: { agent: a } };
		} }],
		"POST /api/towns/{town}/agents/{agent}/token": ["admin"],
		"POST /api/towns/{town}/agents/{agent}/token/revoke": ["admin", {
			fresh: async () => ({ params: { agent: await agent() } }) }],
		"POST /api/towns/{town}/agents/{agent}/token/refresh": ["self"],
		"GET /api/towns/{town}/agents/{agent}/events": ["viewer"],
		"GET /api/towns/{town}/agents/{agent}/log": ["viewer"],
		"GET /api/towns/{town}/search": ["viewer+agents", { query: "?q=race" }],
		// What the town installed: its admins install and remove, members and agents run formulas.
		"GET /api/towns/{town}/installs": ["viewer+agents"],
		"POST /api/towns/{town}/installs": ["admin", { body: { name: "authz-formula", version: "1.0.0" } }],
		"GET /api/towns/{town}/installs/{name}": ["viewer+agents"],
		"DELETE /api/towns/{town}/installs/{name}": ["admin", { fresh: async () => {
			const name = uniq("gone");
			await f.ok("POST", "/api/towns/matrix/installs", { name });
			return { params: { name } };
		} }],
		"POST /api/towns/{town}/formulas/{name}/runs": ["member+agents", { body: { held: true } }],
		// Local Gas Town's beads: admins import (the town's work changes under everyone), viewers export.
		"POST /api/towns/{town}/import": ["admin", { ok: 201, headers: { "content-type": "application/x-ndjson" },
			body: () => `{"id":"${uniq("bd-")}","title":"Imported","status":"open"}\n` }],
		"GET /api/towns/{town}/export": ["viewer", { query: "?limit=5" }],
		// The Wasteland: members read the connection, admins change it. The matrix's town is never
		// connected (a connection would write to DoltHub, and its retries would change the town
		// between refusals): an allowed call finds none (404), an allowed PUT misses its token (400).
		"GET /api/towns/{town}/wasteland": ["member", { ok: 404 }],
		"PUT /api/towns/{town}/wasteland": ["admin", { ok: 400, body: { owner: "acme", database: "commons", handle: "matrix" } }],
		"DELETE /api/towns/{town}/wasteland": ["admin", { ok: 404 }],
		"POST /api/towns/{town}/wasteland/sync": ["admin", { ok: 404 }],
		"GET /api/towns/{town}/wasteland/wanted": ["viewer+agents", { ok: 404 }],
		"POST /api/towns/{town}/wasteland/wanted/{poster}/claim": ["member+agents", { ok: 404, params: { poster: "w-0123456789" } }],
		// Watching takes a viewer; this deployment runs no containers, so an allowed call is 409.
		"GET /api/towns/{town}/agents/{agent}/terminal": ["viewer", { headers: upgrade, ok: 409 }],
		"POST /api/towns/{town}/crew": ["member", { body: () => ({ name: uniq("laptop") }), ok: 201 }],
		// The crew agent's own member, or an admin: the fixture's crew agent is the member's.
		"DELETE /api/towns/{town}/crew/{agent}": ["member", { params: { agent: f.crewAgent },
			fresh: async () => ({ params: { agent: await crew() } }) }],

		// The agent's own routes (the path names "toast", the agent caller).
		"POST /api/towns/{town}/agents/{agent}/heartbeat": ["self", { body: {} }],
		"POST /api/towns/{town}/agents/{agent}/status": ["self", { body: { message: "working" } }],
		"GET /api/towns/{town}/agents/{agent}/prime": ["self"],
		"POST /api/towns/{town}/agents/{agent}/usage": ["self", { body: { records: [] } }],
		// Nothing is on the agent's hook: an allowed call is past the door and then 409 (not_holder).
		"POST /api/towns/{town}/agents/{agent}/done": ["self", { body: () => ({ bead: f.bead1 }), ok: 409 }],
		"POST /api/towns/{town}/agents/{agent}/completed": ["self", { body: { exit_code: 0 } }],
		"POST /api/towns/{town}/agents/{agent}/events": ["self", { body: { events: [{ type: "output", text: "hi" }] } }],
		"POST /api/towns/{town}/agents/{agent}/log": ["self", { body: () => ({ events: [{ id: uniq("e"), kind: "output", text: "hi" }] }) }],
		"POST /api/towns/{town}/agents/{agent}/mail": ["self", { body: { to: "mayor", subject: "hello" } }],
		"GET /api/towns/{town}/agents/{agent}/mail": ["self"],
		"POST /api/towns/{town}/agents/{agent}/notes": ["self", { body: { path: "src/", text: "mind the lock" } }],
		"POST /api/towns/{town}/agents/{agent}/mail/{mail}/read": ["self"],
		"POST /api/towns/{town}/agents/{agent}/escalations": ["self", { body: { severity: "low", title: "stuck" } }],
		// The agent reviews no bead: past the door, 409.
		"POST /api/towns/{town}/agents/{agent}/review/reply": ["self", { body: () => ({ bead: f.bead1, body: "done" }), ok: 409 }],
		"POST /api/towns/{town}/agents/{agent}/review/resolve": ["self", { body: () => ({ bead: f.bead1 }), ok: 409 }],

		"GET /api/towns/{town}/costs": ["viewer"],
		"GET /api/towns/{town}/prices": ["viewer"],
		"PUT /api/towns/{town}/prices/{model}": ["admin", { body: { input_per_mtok: 1, output_per_mtok: 2 } }],
		"DELETE /api/towns/{town}/prices/{model}": ["admin", { fresh: async () => {
			const model = uniq("m");
			await f.ok("PUT", `/api/towns/matrix/prices/${model}`, { input_per_mtok: 1, output_per_mtok: 2 });
			return { params: { model } };
		} }],
		"GET /api/towns/{town}/budgets": ["viewer"],
		"PUT /api/towns/{town}/budgets/{scope}/{key}": ["admin", { body: { limit_microusd: 5000000 } }],
		"DELETE /api/towns/{town}/budgets/{scope}/{key}": ["admin", { fresh: async () => {
			const key = uniq("u");
			await f.ok("PUT", `/api/towns/matrix/budgets/user-day/${key}`, { limit_microusd: 1000 });
			return { params: { scope: "user-day", key } };
		} }],

		"POST /api/towns/{town}/convoys": ["member+agents", { body: () => ({ title: "refused", beads: [f.bead3] }),
			fresh: async () => ({ body: { title: uniq("c"), beads: [await bead()] } }) }],
		"GET /api/towns/{town}/convoys": ["viewer+agents"],
		"GET /api/towns/{town}/convoys/{convoy}": ["viewer+agents"],
		"PATCH /api/towns/{town}/convoys/{convoy}": ["member+agents", { body: { mode: "series" },
			fresh: async () => ({ params: { convoy: await convoy() } }) }],
		"POST /api/towns/{town}/convoys/{convoy}/sling": ["member+agents", { body: { rig: "main" },
			fresh: async () => ({ params: { convoy: await convoy() } }) }],
		"POST /api/towns/{town}/mail": ["member", { body: { to: "mayor", subject: "hello" } }],
		"GET /api/towns/{town}/mail": ["viewer"],
		"POST /api/towns/{town}/notes": ["member", { body: { path: "src/a.c", text: "read b.c first" } }],
		"GET /api/towns/{town}/notes": ["viewer"],
		"GET /api/towns/{town}/history": ["viewer", { query: "?path=src/" }],
		"POST /api/towns/{town}/escalations": ["member", { body: { severity: "low", title: "look" } }],
		"GET /api/towns/{town}/escalations": ["viewer"],
		"POST /api/towns/{town}/escalations/{escalation}/ack": ["member", {
			fresh: async () => ({ params: { escalation: await escalation() } }) }],
		"POST /api/towns/{town}/escalations/{escalation}/resolve": ["member", {
			fresh: async () => ({ params: { escalation: await escalation() } }) }],

		"POST /api/towns/{town}/beads": ["member+agents", { body: () => ({ title: uniq("b") }) }],
		"GET /api/towns/{town}/beads": ["viewer+agents"],
		"GET /api/towns/{town}/beads/{bead}": ["viewer+agents"],
		"PATCH /api/towns/{town}/beads/{bead}": ["member+agents", { body: { priority: 1 },
			fresh: async () => ({ params: { bead: await bead() } }) }],
		// Agents count as members: deleting takes an admin.
		"DELETE /api/towns/{town}/beads/{bead}": ["admin+agents", { fresh: async () => ({ params: { bead: await bead() } }) }],
		"POST /api/towns/{town}/beads/{bead}/close": ["member+agents", { fresh: async () => ({ params: { bead: await bead() } }) }],
		"POST /api/towns/{town}/beads/{bead}/sling": ["member+agents", { body: { rig: "main" },
			fresh: async () => ({ params: { bead: await bead() } }) }],
		"POST /api/towns/{town}/beads/{bead}/deps": ["member+agents", { body: () => ({ id: f.bead3, kind: "related" }),
			fresh: async () => ({ params: { bead: await bead() }, body: { id: await bead(), kind: "related" } }) }],
		"DELETE /api/towns/{town}/beads/{bead}/deps/{dep}": ["member+agents", { query: "?kind=related",
			fresh: async () => {
				const [a, b] = [await bead(), await bead()];
				await f.ok("POST", `/api/towns/matrix/beads/${a}/deps`, { id: b, kind: "related" });
				return { params: { bead: a, dep: b } };
			} }],
		"GET /api/towns/{town}/beads/{bead}/events": ["viewer+agents"],
		"GET /api/towns/{town}/beads/{bead}/diff": ["viewer+agents"],
		"GET /api/towns/{town}/beads/{bead}/attempts": ["viewer+agents"],
		// What the town learned from its work: everyone in the town reads it, its agents too.
		"GET /api/towns/{town}/beads/{bead}/recommend": ["viewer+agents"],
		"GET /api/towns/{town}/stats": ["viewer+agents"],
		"GET /api/towns/{town}/agents/{agent}/record": ["viewer+agents"],
		"GET /api/towns/{town}/events": ["viewer"],

		"GET /api/towns/{town}/members": ["viewer"],
		// The town belongs to an organization, which keeps its members: an allowed call is 409.
		"PUT /api/towns/{town}/members/{user}": ["admin", { params: { user: "newbie" }, body: { role: "viewer" }, ok: 409 }],
		"DELETE /api/towns/{town}/members/{user}": ["viewer", { params: { user: "vince" }, ok: 409 }],
		"GET /api/towns/{town}/debug/storage": ["operator"],
		"GET /api/towns/{town}/ws": ["viewer", { headers: upgrade }],

		"GET /api/towns/{town}/integrations": ["member"],
		"PUT /api/towns/{town}/integrations/{platform}": ["admin", { body: { settings: {} } }],
		"DELETE /api/towns/{town}/integrations/{platform}": ["admin", { fresh: async () => {
			await f.ok("PUT", "/api/towns/matrix/integrations/gitlab", { secrets: { webhook_token: "gitlab-hook-token-0123456789" } });
			return { params: { platform: "gitlab" } };
		} }],
		// The fixtures' delivery: one GitHub sent that no rule takes (recorded, nothing queued).
		"GET /api/towns/{town}/integrations/{platform}/deliveries/{delivery}": ["member", { params: { delivery: "authz-delivery-1" } }],
		"PUT /api/towns/{town}/integrations/{platform}/logins/{login}": ["admin", { body: { user: "bob" } }],
		"DELETE /api/towns/{town}/integrations/{platform}/logins/{login}": ["admin", { fresh: async () => {
			const login = uniq("gh");
			await f.ok("PUT", `/api/towns/matrix/integrations/github/logins/${login}`, { user: "bob" });
			return { params: { login } };
		} }],
		// The town has a GitHub integration: an unsigned delivery is 401 with any bearer or none.
		"POST /api/towns/{town}/hooks/{platform}": ["signed", { body: { zen: "hi", hook_id: 1 },
			headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "d-1" } }],

		"POST /api/towns/{town}/mayor/messages": ["viewer", { body: () => ({ text: uniq("hello ") }) }],
		"GET /api/towns/{town}/mayor/messages": ["viewer"],
		// The Mayor's own route: the path names the Mayor, whose token alone passes.
		"POST /api/towns/{town}/agents/{agent}/replies": ["self", { params: { agent: "mayor" },
			body: () => ({ message: f.mayorMessage, text: "on it" }), self: "mayor" }],

		"POST /api/towns/{town}/mcp": ["viewer+agents", { body: mcpBody, headers: mcpHeaders }],
		"GET /api/towns/{town}/mcp": ["closed"],
		"DELETE /api/towns/{town}/mcp": ["closed"],
	};
}

// The status a caller gets, or "ok" when the call is allowed.
function expected(caller, who, row) {
	if (row.except?.[caller] !== undefined) return row.except[caller];
	if (who === "public") return "ok";
	if (who === "closed") return 405;
	if (BAD.includes(caller) || who === "operator" || who === "signed") return 401;
	if (who === "person") return PEOPLE.includes(caller) ? "ok" : 401;
	if (who === "self") {
		const self = caller === "mayorForViewer" ? "mayor" : caller;
		if (self === (row.self ?? "agent")) return "ok";
		return caller === "foreignAgent" || PEOPLE.includes(caller) ? 401 : 403;
	}
	const [min, withAgents] = who.split("+");
	assert.ok(RANK[min], `unknown access '${who}'`);
	if (AGENTS.includes(caller)) {
		if (!withAgents || caller === "foreignAgent") return 401;
		return (caller === "mayorForViewer" ? RANK.viewer : RANK.member) >= RANK[min] ? "ok" : 403;
	}
	if (caller === "outsider" || caller === "rivalAdmin") return 404;
	return RANK[caller] >= RANK[min] ? "ok" : 403;
}

// ---- the routes, from the spec ----------------------------------------------------------------------

const spec = JSON.parse(readFileSync(join(ROOT, "docs/openapi.json"), "utf8"));
const ROUTES = Object.entries(spec.paths).flatMap(([path, item]) =>
	["get", "put", "post", "patch", "delete"].filter((m) => item[m]).map((m) => {
		const codes = Object.keys(item[m].responses).map(Number).filter((s) => s === 101 || (s >= 200 && s < 300));
		return { key: `${m.toUpperCase()} ${path}`, method: m.toUpperCase(), path, success: Math.min(...codes) };
	}));

// ---- the worker and its fixtures ----------------------------------------------------------------

async function send(mf, method, path, body, headers = {}) {
	const init = { method, headers: { ...headers } };
	if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
	const res = await mf.dispatchFetch(`http://gastown.test${path}`, init);
	if (res.status === 101) {
		res.webSocket?.accept();
		res.webSocket?.close(1000, "done");
		return { status: 101, text: "" };
	}
	const text = await res.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, body: json, text };
}

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");

async function fixtures(t) {
	const { publicKey, privateKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
	const pem = await exportSPKI(publicKey);
	const mf = startWorker({ bindings: { GASTOWN_JWT_PUBLIC_KEY: pem, GASTOWN_JWT_ISSUER: ISSUER, GASTOWN_JWT_AUDIENCE: AUDIENCE } });
	t.after(() => mf.dispose());
	const now = Math.floor(Date.now() / 1000);
	const claims = (sub) => ({ sub, iss: ISSUER, aud: AUDIENCE });
	const person = async (sub) => ({ authorization: `Bearer ${await new SignJWT(claims(sub))
		.setProtectedHeader({ alg: "RS256", typ: "JWT" }).setIssuedAt().setExpirationTime("30m").sign(privateKey)}` });
	const bearer = (token) => ({ authorization: `Bearer ${token}` });
	const H = {};
	for (const [caller, sub] of [["owner", "sarah"], ["admin", "alice"], ["member", "bob"], ["viewer", "vic"],
		["outsider", "olga"], ["rivalAdmin", "rita"]])
		H[caller] = await person(sub);
	const ron = await person("ron");
	// The bad tokens all claim the owner.
	H.noToken = {};
	H.expired = bearer(await new SignJWT(claims("sarah")).setProtectedHeader({ alg: "RS256", typ: "JWT" })
		.setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(privateKey));
	H.algNone = bearer(`${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims("sarah"), iat: now, exp: now + 600 })}.`);
	H.hsRsConfusion = bearer(await new SignJWT(claims("sarah")).setProtectedHeader({ alg: "HS256", typ: "JWT" })
		.setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(pem)));

	const f = { mf, H };
	f.ok = async (method, path, body, who = H.owner) => {
		const r = await send(mf, method, path, body, who);
		assert.ok(r.status < 300, `fixture ${method} ${path}: ${r.status} ${r.text}`);
		return r.body?.data;
	};
	let n = 0;
	f.uniq = (prefix) => `${prefix}${++n}`;
	const T = "/api/towns/matrix";
	f.bead = async () => (await f.ok("POST", `${T}/beads`, { title: f.uniq("bead ") })).id;
	f.convoy = async () => (await f.ok("POST", `${T}/convoys`, { title: f.uniq("convoy "), beads: [await f.bead()] })).id;
	f.escalation = async () => (await f.ok("POST", `${T}/escalations`, { severity: "low", title: f.uniq("e") })).id;
	f.agent = async () => (await f.ok("POST", `${T}/agents`, { role: "polecat", rig: "main" })).id;
	f.crew = async () => (await f.ok("POST", `${T}/crew`, { name: f.uniq("box") }, H.member)).agent.id;
	// A town of the owner's with the admin in it (for deleting whole towns).
	f.town = async () => {
		const id = f.uniq("doomed");
		await f.ok("POST", `/api/towns/${id}`, { name: id });
		await f.ok("PUT", `/api/towns/${id}/members/alice`, { role: "admin" });
		return id;
	};
	f.as = person;

	// The organizations: acme (the town's owner) with its people, and a rival with its admin.
	await f.ok("POST", "/api/orgs/acme", { name: "Acme" });
	for (const [u, role] of [["alice", "admin"], ["bob", "member"], ["vic", "viewer"], ["vince", "viewer"]])
		await f.ok("PUT", `/api/orgs/acme/members/${u}`, { role });
	await f.ok("POST", "/api/orgs/rival", { name: "Rival" }, ron);
	await f.ok("PUT", "/api/orgs/rival/members/rita", { role: "admin" }, ron);
	await f.ok("POST", "/api/orgs/acme/towns/matrix", { name: "Matrix" });
	const vince = await person("vince");
	await eventually(async () => (await send(mf, "GET", T, undefined, vince)).status === 200, { timeoutMs: 10000 });

	// The town: a rig, the Mayor, two polecats, and one of every object the routes name.
	await f.ok("POST", `${T}/rigs`, { id: "main", git_url: "https://example.com/main.git" });
	await f.ok("POST", `${T}/agents`, { role: "mayor" });
	assert.equal(await f.agent(), "toast");
	const sibling = await f.agent();
	const token = async (agent, who = H.owner, town = "matrix") =>
		bearer((await f.ok("POST", `/api/towns/${town}/agents/${agent}/token`, undefined, who)).token);
	H.agent = await token("toast");
	H.siblingAgent = await token(sibling);
	H.mayor = await token("mayor");
	f.bead1 = await f.bead();
	f.bead2 = await f.bead();
	f.bead3 = await f.bead();
	await f.ok("POST", `${T}/beads/${f.bead1}/deps`, { id: f.bead2, kind: "related" });
	const convoy = await f.convoy();
	const escalation = await f.escalation();
	await f.ok("POST", `${T}/agents/${sibling}/mail`, { to: "toast", subject: "for you" }, H.siblingAgent);
	const mail = (await f.ok("GET", `${T}/agents/toast/mail`, undefined, H.agent))[0].id;
	await f.ok("PUT", `${T}/prices/gpt-authz`, { input_per_mtok: 1, output_per_mtok: 2 });
	await f.ok("POST", `${T}/personas`, { name: "authz-persona", overlay: "Work as the matrix says." });
	await f.ok("PUT", `${T}/integrations/github`, { secrets: { webhook_secret: "whsec-github-0123456789abcdef" } });
	await f.ok("PUT", `${T}/integrations/github/logins/bob-gh`, { user: "bob" });
	const closed = await githubDelivery("whsec-github-0123456789abcdef", "issues",
		{ action: "closed", repository: { full_name: "acme/app" }, issue: { number: 1 } }, { delivery: "authz-delivery-1" });
	const ignored = await call(mf, "POST", `${T}/hooks/github`, closed.body, closed.headers);
	assert.equal(ignored.body?.data?.outcome, "ignored", ignored.text);
	f.mayorMessage = (await f.ok("POST", `${T}/mayor/messages`, { text: "hello Mayor" }, H.member)).id;
	H.mayorForViewer = { ...H.mayor,
		"x-gastown-on-message": (await f.ok("POST", `${T}/mayor/messages`, { text: "make work" }, H.viewer)).id };
	// The member's crew agent, disconnected at once: one online keeps the town's tick busy (every
	// 5 s), and a tick's writes would be blamed on the refusal it fell among.
	f.crewAgent = await f.crew();
	await f.ok("DELETE", `${T}/crew/${f.crewAgent}`, undefined, H.member);
	// Last: a budget asks for a tick now, and that tick, finding nothing to do, sleeps 5 minutes.
	await f.ok("PUT", `${T}/budgets/town-month/town`, { limit_microusd: 100000000 });

	// A formula of the org's, installed in the town.
	await f.ok("POST", "/api/orgs/acme/registry", authzFormula("authz-formula", "1.0.0"), { ...H.owner, "content-type": "application/toml" });
	await f.ok("POST", `${T}/installs`, { name: "authz-formula" });
	await eventually(async () => (await f.ok("GET", `${T}/installs/authz-formula`)).state === "installed", { timeoutMs: 10000 });

	// Another town, of the rival's admin, whose polecat has the same name as ours.
	await f.ok("POST", "/api/towns/elsewhere", { name: "Elsewhere" }, H.rivalAdmin);
	await f.ok("POST", "/api/towns/elsewhere/rigs", { id: "main", git_url: "https://example.com/main.git" }, H.rivalAdmin);
	assert.equal((await f.ok("POST", "/api/towns/elsewhere/agents", { role: "polecat", rig: "main" }, H.rivalAdmin)).id, "toast");
	H.foreignAgent = await token("toast", H.rivalAdmin, "elsewhere");

	f.params = { town: "matrix", org: "acme", rig: "main", agent: "toast", bead: f.bead1, dep: f.bead2,
		convoy, escalation, mail, model: "gpt-authz", scope: "town-month", key: "town", user: "newbie",
		platform: "github", login: "bob-gh", persona: "authz-persona", name: "authz-formula", version: "1.0.0" };
	return f;
}

// The object whose pages a call to this path may change: the town or org it names.
function subject(path, params) {
	const m = /^\/api\/(towns|orgs)\/\{(town|org)\}/.exec(path);
	return m ? `/api/${m[1]}/${params[m[2]]}` : null;
}

const fill = (path, params) => path.replace(/\{(\w+)\}/g, (_, k) => {
	assert.ok(params[k] !== undefined, `no value for {${k}} in ${path}`);
	return encodeURIComponent(params[k]);
});

const value = async (v) => (typeof v === "function" ? await v() : v);

test("every route of the spec has its row in the authorization table, and every row a route", () => {
	const table = access(new Proxy({}, { get: () => undefined }));
	const keys = new Set(ROUTES.map((r) => r.key));
	assert.ok(ROUTES.length > 100, `only ${ROUTES.length} routes read from docs/openapi.json`);
	assert.deepEqual(ROUTES.filter((r) => !table[r.key]).map((r) => r.key), [], "routes without a row in the authz table");
	assert.deepEqual(Object.keys(table).filter((k) => !keys.has(k)), [], "rows of the authz table for no route");
	for (const [key, [who]] of Object.entries(table))
		for (const caller of CALLERS) assert.doesNotThrow(() => expected(caller, who, {}), key);
});

test("the authorization matrix: every route × every kind of caller", async (t) => {
	const f = await fixtures(t);
	const table = access(f);

	const digest = async (obj) => {
		const r = await send(f.mf, "GET", `${obj}/debug/storage`, undefined, operator);
		assert.equal(r.status, 200, r.text);
		return r.body.data;
	};
	// Quiet first: nothing pending, nothing changing, and nothing the object will do on its own
	// soon (the beads the fixtures made go to the agent log's search two seconds later).
	const quiet = async (obj) => eventually(async () => {
		const a = await digest(obj);
		await new Promise((r) => setTimeout(r, 150));
		const b = await digest(obj);
		const soon = b.next_alarm_ms !== null && b.next_alarm_ms < Date.now() + 10_000;
		return a.pending_effects === 0 && !soon && a.digest === b.digest && b;
	}, { timeoutMs: 15000, everyMs: 50 });

	const failures = [];
	const counts = { refused: 0, allowed: 0, digests: 0 };
	const cells = ROUTES.map((route) => {
		const [who, opts = {}] = table[route.key];
		return { route, who, row: opts, expect: Object.fromEntries(CALLERS.map((c) => [c, expected(c, who, opts)])) };
	});

	// 1. Every refusal, on quiet fixtures: the exact status, and not a page changed.
	const baseline = new Map();
	for (const { route, row, expect } of cells) {
		const params = { ...f.params, ...row.params };
		const path = fill(route.path, params) + (row.query ?? "");
		const obj = subject(route.path, params);
		if (obj && !baseline.has(obj)) baseline.set(obj, await quiet(obj));
		for (const caller of CALLERS) {
			if (expect[caller] === "ok") continue;
			const r = await send(f.mf, route.method, path, await value(row.body), { ...f.H[caller], ...row.headers });
			counts.refused++;
			const cell = `${route.method} ${path} as ${caller}`;
			if (r.status !== expect[caller]) failures.push(`${cell}: ${r.status}, expected ${expect[caller]}: ${r.text.slice(0, 200)}`);
			else if (typeof r.body?.error?.code !== "string") failures.push(`${cell}: no error envelope: ${r.text.slice(0, 200)}`);
			if (obj) {
				counts.digests++;
				let base = baseline.get(obj), now = await digest(obj);
				// A timer of the object's own may have come due since its baseline (the matrix takes
				// minutes on a slow machine): then the object is made quiet again and the refusal sent
				// again, so only a change the refusal made fails the cell.
				if (now.digest !== base.digest && base.next_alarm_ms !== null && base.next_alarm_ms <= Date.now()) {
					base = await quiet(obj);
					baseline.set(obj, base);
					await send(f.mf, route.method, path, await value(row.body), { ...f.H[caller], ...row.headers });
					now = await digest(obj);
				}
				if (now.digest !== base.digest) {
					failures.push(`${cell}: the refusal changed ${obj}'s pages`);
					baseline.set(obj, now);
				}
			}
		}
	}

	// 2. Every allowed call, each with what it consumes made for it.
	for (const { route, row, expect } of cells) {
		const want = row.ok ?? route.success;
		for (const caller of CALLERS) {
			if (expect[caller] !== "ok") continue;
			counts.allowed++;
			try {
				const made = row.fresh ? await row.fresh(caller) : {};
				const params = { ...f.params, ...row.params, ...made.params };
				const path = fill(route.path, params) + (row.query ?? "");
				const body = made.body ?? await value(row.body);
				const r = await send(f.mf, route.method, path, body, { ...f.H[caller], ...row.headers });
				if (r.status !== want) failures.push(`${route.method} ${path} as ${caller}: ${r.status}, expected ${want} (allowed): ${r.text.slice(0, 200)}`);
			} catch (e) {
				failures.push(`${route.key} as ${caller}: ${e.message}`);
			}
		}
	}

	const total = counts.refused + counts.allowed;
	assert.equal(total, ROUTES.length * CALLERS.length);
	t.diagnostic(`authz matrix: ${total} cells (${ROUTES.length} routes × ${CALLERS.length} callers): ` +
		`${counts.refused} refusals (${counts.digests} with the page digest checked), ${counts.allowed} allowed calls; ` +
		`${failures.length} failures`);
	mkdirSync(join(ROOT, "build/prove"), { recursive: true });
	writeFileSync(join(ROOT, "build/prove/authz.json"), `${JSON.stringify({ cells: total, routes: ROUTES.length,
		callers: CALLERS.length, refused: counts.refused, digests_checked: counts.digests, allowed: counts.allowed,
		failures: failures.length })}\n`);
	assert.deepEqual(failures, []);
});
