// mcp.test.mjs - the town's MCP server through the real worker in workerd, driven by the official
// TypeScript SDK client (@modelcontextprotocol/sdk) over Streamable HTTP, and by raw requests for
// what a well-behaved client never sends. Each refusal leaves the town's pages as they were.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SignJWT } from "jose";
import { call, eventually, operator, startWorker } from "./harness.mjs";

const SECRET = "mcp-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user, name: user.toUpperCase() })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key)}` });
const T = "/api/towns/mcp";

async function town(t) {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const H = { sarah: await as("sarah"), vic: await as("vic"), olga: await as("olga") };
	assert.equal((await call(mf, "POST", T, { name: "MCP" }, H.sarah)).status, 201);
	await call(mf, "PUT", `${T}/members/vic`, { role: "viewer" }, H.sarah);
	await call(mf, "POST", `${T}/rigs`, { id: "web", git_url: "https://example.com/web.git" }, H.sarah);
	const digest = async () => (await call(mf, "GET", `${T}/debug/storage`, undefined, operator)).body.data.digest;
	return { mf, base, H, digest, url: new URL(`${base}${T}/mcp`) };
}

async function connect(s, headers) {
	const client = new Client({ name: "gastown-test", version: "1.0.0" });
	await client.connect(new StreamableHTTPClientTransport(s.url, { requestInit: { headers } }));
	return client;
}

test("a member's client lists the town's tools and files a bead in their name", { timeout: 60_000 }, async (t) => {
	const s = await town(t);
	const client = await connect(s, s.H.sarah);
	t.after(() => client.close());
	assert.equal(client.getServerVersion().name, "gastown-edge");
	const { tools } = await client.listTools();
	const names = tools.map((x) => x.name);
	for (const n of ["bead_create", "bead_sling", "beads_list", "convoy_create", "feed", "costs"]) assert.ok(names.includes(n), n);
	assert.ok(!names.includes("gt_done"), "agents' tools are not a member's");
	const create = tools.find((x) => x.name === "bead_create");
	assert.equal(create.inputSchema.type, "object");
	assert.deepEqual(create.inputSchema.required, ["title"]);
	assert.equal(create.inputSchema.properties.title.type, "string");

	const made = await client.callTool({ name: "bead_create", arguments: { title: "Fix login", rig: "web", held: true, labels: ["auth"] } });
	assert.ok(!made.isError, JSON.stringify(made));
	const id = made.structuredContent.id;
	assert.match(id, /^gt-/);
	const bead = (await call(s.mf, "GET", `${T}/beads/${id}`, undefined, s.H.sarah)).body.data;
	assert.equal(bead.title, "Fix login");
	assert.equal(bead.requested_by, "sarah");
	const events = (await call(s.mf, "GET", `${T}/beads/${id}/events`, undefined, s.H.sarah)).body.data.events;
	assert.equal(events[0].actor, "sarah");

	// Arguments fill the path and the query as they would over HTTP.
	const shown = await client.callTool({ name: "bead_show", arguments: { bead: id } });
	assert.equal(shown.structuredContent.title, "Fix login");
	const listed = await client.callTool({ name: "beads_list", arguments: { label: "auth", limit: 5 } });
	assert.deepEqual(JSON.stringify(listed.structuredContent).includes(id), true);
	const resource = await client.readResource({ uri: `gastown://towns/mcp/beads/${id}` });
	assert.equal(JSON.parse(resource.contents[0].text).id, id);

	// A formula from the registry, installed in the town, run through the tools (docs/registry.md).
	assert.equal((await call(s.mf, "POST", "/api/orgs/acme", { name: "Acme" }, s.H.sarah)).status, 201);
	const published = await call(s.mf, "POST", "/api/orgs/acme/registry", "formula = \"hotfix\"\nversion = \"1.0.0\"\n"
		+ "[vars.issue]\nrequired = true\n[[steps]]\nid = \"fix\"\ntitle = \"Fix {{issue}}\"\n"
		+ "[[steps]]\nid = \"ship\"\ntitle = \"Ship the fix of {{issue}}\"\nneeds = [\"fix\"]\n",
	{ ...s.H.sarah, "content-type": "application/toml" });
	assert.equal(published.status, 201, published.text);
	assert.equal((await call(s.mf, "POST", `${T}/installs`, { name: "hotfix" }, s.H.sarah)).status, 202);
	await eventually(async () => (await client.callTool({ name: "formulas_installed", arguments: {} }))
		.structuredContent.items.some((i) => i.name === "hotfix" && i.state === "installed"));
	const missingVar = await client.callTool({ name: "formula_run", arguments: { name: "hotfix" } });
	assert.ok(missingVar.isError);
	assert.match(missingVar.content[0].text, /'issue' is required/);
	const ran = await client.callTool({ name: "formula_run", arguments: { name: "hotfix", vars: { issue: "#42" }, held: true } });
	assert.ok(!ran.isError, JSON.stringify(ran));
	assert.deepEqual(ran.structuredContent.beads.map((b) => b.step), ["fix", "ship"]);
	const ship = (await call(s.mf, "GET", `${T}/beads/${ran.structuredContent.beads[1].bead}`, undefined, s.H.sarah)).body.data;
	assert.equal(ship.title, "Ship the fix of #42");
	assert.equal(ship.requested_by, "sarah");
});

test("a tool's failure is its result, and changes nothing", { timeout: 60_000 }, async (t) => {
	const s = await town(t);
	const client = await connect(s, s.H.sarah);
	t.after(() => client.close());
	const before = await s.digest();
	const bad = await client.callTool({ name: "bead_create", arguments: { title: "x", priority: 9 } });
	assert.equal(bad.isError, true);
	assert.equal(bad.structuredContent.error.code, "invalid");
	assert.equal(bad.structuredContent.error.field, "priority");
	const missing = await client.callTool({ name: "bead_show", arguments: { bead: "gt-nope" } });
	assert.equal(missing.isError, true);
	assert.equal(missing.structuredContent.error.code, "not_found");
	// Unknown tools and arguments are the protocol's errors, not results.
	await assert.rejects(client.callTool({ name: "bead_explode", arguments: {} }), /no tool 'bead_explode'/);
	await assert.rejects(client.callTool({ name: "bead_create", arguments: { title: "x", colour: "red" } }), /no argument 'colour'/);
	assert.equal(await s.digest(), before);
});

test("a viewer sees the read-only tools; an outsider and nobody are refused", { timeout: 60_000 }, async (t) => {
	const s = await town(t);
	const viewer = await connect(s, s.H.vic);
	t.after(() => viewer.close());
	const names = (await viewer.listTools()).tools.map((x) => x.name);
	assert.ok(names.includes("beads_list") && names.includes("search"));
	assert.ok(!names.includes("bead_create") && !names.includes("bead_sling"));
	await assert.rejects(viewer.callTool({ name: "bead_create", arguments: { title: "no" } }), /no tool 'bead_create'/);
	const before = await s.digest();
	for (const headers of [s.H.olga, {}]) {
		const res = await fetch(s.url, { method: "POST", headers: { ...headers, "content-type": "application/json",
			accept: "application/json, text/event-stream" },
			body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
		const text = await res.text();
		assert.ok(res.status === 404 || res.status === 401, `${res.status} ${text}`);
		assert.ok(!text.includes("bead_create"));
		if (res.status !== 401) continue;
		// The 401 names the protected-resource metadata (RFC 9728), which names this endpoint.
		const meta = /resource_metadata="([^"]+)"/.exec(res.headers.get("www-authenticate"));
		assert.ok(meta, res.headers.get("www-authenticate"));
		const doc = await fetch(meta[1]);
		assert.equal(doc.status, 200);
		const body = await doc.json();
		assert.equal(body.resource, s.url.toString());
		assert.deepEqual(body.bearer_methods_supported, ["header"]);
	}
	assert.equal(await s.digest(), before);
});

test("an agent's token gets the agent's own tools", { timeout: 60_000 }, async (t) => {
	const s = await town(t);
	await call(s.mf, "POST", `${T}/agents`, { role: "polecat", rig: "web" }, s.H.sarah);
	const token = (await call(s.mf, "POST", `${T}/agents/toast/token`, undefined, s.H.sarah)).body.data.token;
	const client = await connect(s, { authorization: `Bearer ${token}` });
	t.after(() => client.close());
	const names = (await client.listTools()).tools.map((x) => x.name).sort();
	assert.deepEqual(names, ["bead_show", "gt_done", "gt_escalate", "gt_mail_check", "gt_mail_send", "gt_note", "gt_prime", "gt_review_reply", "gt_review_resolve", "gt_search", "gt_status"]);
	const status = await client.callTool({ name: "gt_status", arguments: { message: "reading the code" } });
	assert.ok(!status.isError, JSON.stringify(status));
	const agent = (await call(s.mf, "GET", `${T}/agents/toast`, undefined, s.H.sarah)).body.data;
	assert.equal(agent.status, "reading the code");
	// A note for whoever works there next, the agent's own; a bad path is the tool's error.
	const noted = await client.callTool({ name: "gt_note", arguments: { path: "src/auth/", text: "tokens rotate hourly" } });
	assert.ok(!noted.isError, JSON.stringify(noted));
	const notes = (await call(s.mf, "GET", `${T}/notes?path=src/auth/login.c`, undefined, s.H.sarah)).body.data;
	assert.deepEqual(notes.map((n) => [n.path, n.text, n.author]), [["src/auth/", "tokens rotate hourly", "toast"]]);
	const bad = await client.callTool({ name: "gt_note", arguments: { path: "../x", text: "no" } });
	assert.ok(bad.isError, JSON.stringify(bad));
	// What the agent did before, from the agent log (the AgentLogDO, through the town): its own
	// event and its note; a query FTS5 cannot read answers the log's reason.
	const logged = await call(s.mf, "POST", `${T}/agents/toast/log`, { events: [{ id: "r1-1", kind: "command", tool: "Bash",
		text: "grep -rn rotate src/auth" }] }, { authorization: `Bearer ${token}` });
	assert.equal(logged.status, 200, JSON.stringify(logged.body));
	const found = await eventually(async () => {
		const r = await client.callTool({ name: "gt_search", arguments: { q: "rotate" } });
		const d = JSON.parse(r.content[0].text).data;
		return d.results.length === 2 ? d.results : null;
	}, { timeoutMs: 10_000, everyMs: 250 });
	assert.deepEqual(found.map((e) => [e.kind, e.agent]).sort(), [["command", "toast"], ["note", "toast"]]);
	assert.ok(found.every((e) => e.snippet.some((p) => p.hit && /^rotate$/i.test(p.text))), JSON.stringify(found));
	const refused = await client.callTool({ name: "gt_search", arguments: { q: '"unbalanced' } });
	assert.equal(JSON.parse(refused.content[0].text).error.field, "q", JSON.stringify(refused));
});

test("the Mayor's token gets the town tools that act for the asker, and its reply", { timeout: 60_000 }, async (t) => {
	const s = await town(t);
	// Vic's message makes the Mayor; its token (minted by sarah here, by the town for a run) works for vic.
	const asked = (await call(s.mf, "POST", `${T}/mayor/messages`, { text: "file the login fix" }, s.H.vic)).body.data.id;
	const minted = await call(s.mf, "POST", `${T}/agents/mayor/token`, undefined, s.H.sarah);
	const client = await connect(s, { authorization: `Bearer ${minted.body.data.token}` });
	t.after(() => client.close());
	const names = (await client.listTools()).tools.map((x) => x.name);
	for (const n of ["bead_create", "bead_sling", "beads_list", "convoy_create", "convoy_sling", "mayor_reply", "gt_prime"])
		assert.ok(names.includes(n), n);
	// Tools whose routes are a person's only are not offered.
	for (const n of ["agents_list", "costs", "escalation_ack", "mail_list"]) assert.ok(!names.includes(n), n);
	const made = await client.callTool({ name: "bead_create", arguments: { title: "Fix login", held: true } });
	assert.ok(!made.isError, JSON.stringify(made));
	assert.deepEqual([made.structuredContent.created_by, made.structuredContent.requested_by], ["mayor", "sarah"]);
	// Without a run on, a reply names its message.
	const noRun = await client.callTool({ name: "mayor_reply", arguments: { text: "hm" } });
	assert.equal(noRun.isError, true);
	assert.equal(noRun.structuredContent.error.field, "message");
	const replied = await client.callTool({ name: "mayor_reply", arguments: { message: asked, text: "Filed it." } });
	assert.ok(!replied.isError, JSON.stringify(replied));
	const convo = (await call(s.mf, "GET", `${T}/mayor/messages`, undefined, s.H.vic)).body.data;
	assert.deepEqual(convo[0].replies.map((r) => r.text), ["Filed it."]);
	// Every town tool offered to the Mayor runs for it: none is refused as a person's route.
	const listed = await client.callTool({ name: "beads_list", arguments: {} });
	assert.ok(!listed.isError, JSON.stringify(listed));
	const convoys = await client.callTool({ name: "convoys_list", arguments: {} });
	assert.ok(!convoys.isError, JSON.stringify(convoys));
	// Casting: the Mayor reads the personas, the stats and a bead's recommendation, and slings a
	// bead in a persona, several ways at once.
	const personas = await client.callTool({ name: "personas_list", arguments: {} });
	assert.ok(!personas.isError && JSON.stringify(personas.structuredContent).includes("security-reviewer"), JSON.stringify(personas));
	const stats = await client.callTool({ name: "stats", arguments: { by: "persona" } });
	assert.ok(!stats.isError && Array.isArray(stats.structuredContent.rows), JSON.stringify(stats));
	const rec = await client.callTool({ name: "bead_recommend", arguments: { bead: made.structuredContent.id } });
	assert.ok(!rec.isError && rec.structuredContent.min_sample === 5, JSON.stringify(rec));
	const slung = await client.callTool({ name: "bead_sling", arguments: { bead: made.structuredContent.id, rig: "web",
		ways: 2, variants: [{ persona: "security-reviewer" }, { model: "m2" }] } });
	assert.ok(!slung.isError, JSON.stringify(slung));
	assert.deepEqual(slung.structuredContent.ways.map((w) => [w.persona, w.model]), [["security-reviewer", null], [null, "m2"]]);
	const bad = await client.callTool({ name: "stats", arguments: { by: "colour" } });
	assert.equal(bad.isError, true);
});

test("malformed messages, batches, unknown methods, bad versions and origins get the spec's errors", { timeout: 60_000 }, async (t) => {
	const s = await town(t);
	const before = await s.digest();
	const post = async (body, extra = {}) => {
		const res = await fetch(s.url, { method: "POST", headers: { ...s.H.sarah, "content-type": "application/json",
			accept: "application/json, text/event-stream", ...extra }, body });
		const text = await res.text();
		let json;
		try { json = JSON.parse(text); } catch { json = undefined; }
		return { status: res.status, json, text };
	};
	let r = await post("{not json");
	assert.equal(r.status, 400);
	assert.equal(r.json.error.code, -32700);
	r = await post(JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "ping" }]));
	assert.equal(r.status, 400);
	assert.equal(r.json.error.code, -32600);
	r = await post(JSON.stringify({ jsonrpc: "1.0", id: 1, method: "ping" }));
	assert.equal(r.status, 400);
	assert.equal(r.json.error.code, -32600);
	r = await post(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/destroy" }));
	assert.equal(r.status, 200);
	assert.equal(r.json.error.code, -32601);
	assert.equal(r.json.id, 7);
	r = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }), { "mcp-protocol-version": "1999-01-01" });
	assert.equal(r.status, 400);
	assert.deepEqual(r.json.error.data.supported, ["2025-11-25", "2025-06-18", "2025-03-26"]);
	r = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }), { origin: "https://evil.example" });
	assert.equal(r.status, 403);
	r = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "bead_create", arguments: "title" } }));
	assert.equal(r.json.error.code, -32602);
	r = await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
	assert.equal(r.status, 202);
	assert.equal(r.text, "");
	r = await post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "initialize", params: { protocolVersion: "2025-06-18",
		capabilities: {}, clientInfo: { name: "old", version: "1" } } }));
	assert.equal(r.json.result.protocolVersion, "2025-06-18");
	r = await post(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "bead_create",
		arguments: { title: "x".repeat(2 << 20) } } }));
	assert.equal(r.status, 413);
	const get = await fetch(s.url, { headers: { ...s.H.sarah, accept: "text/event-stream" } });
	assert.equal(get.status, 405);
	assert.equal(get.headers.get("allow"), "POST");
	await get.text();
	assert.equal(await s.digest(), before);
});

test("an organization's endpoint lists its towns; each town is steered at its own endpoint", { timeout: 60_000 }, async (t) => {
	const s = await town(t);
	assert.equal((await call(s.mf, "POST", "/api/orgs/acme", { name: "Acme" }, s.H.sarah)).status, 201);
	await call(s.mf, "PUT", "/api/orgs/acme/members/vic", { role: "member" }, s.H.sarah);
	assert.equal((await call(s.mf, "POST", "/api/orgs/acme/towns/hq", { name: "HQ" }, s.H.sarah)).status, 202);
	const url = new URL(`${s.base}/api/orgs/acme/mcp`);
	const client = new Client({ name: "fleet-watcher", version: "1.0.0" });
	await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: s.H.vic } }));
	t.after(() => client.close());
	const names = (await client.listTools()).tools.map((x) => x.name).sort();
	assert.deepEqual(names, ["fleet", "org_show", "org_towns"]);
	const towns = await client.callTool({ name: "org_towns", arguments: {} });
	assert.ok(!towns.isError, JSON.stringify(towns));
	assert.ok(JSON.stringify(towns.structuredContent).includes('"hq"'));
	// The fleet is an admin's: a member's call is the route's refusal, as a result.
	const fleet = await client.callTool({ name: "fleet", arguments: { period: "week" } });
	assert.equal(fleet.isError, true);
	assert.equal(fleet.structuredContent.error.code, "forbidden");
	// An outsider learns nothing of the organization.
	const res = await fetch(url, { method: "POST", headers: { ...s.H.olga, "content-type": "application/json",
		accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
	assert.equal(res.status, 404);
	assert.ok(!(await res.text()).includes("org_towns"));
});
