// roles.test.mjs - the role matrix of every mutating route of a town, through the real worker:
// owner, admin, member, viewer, outsider, nobody, an agent of this town and an agent of another
// town. Each refusal must leave the town's pages byte-for-byte as they were (page digest).
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, operator, startWorker } from "./harness.mjs";

const SECRET = "roles-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key)}` });
const digest = async (mf, town) =>
	(await call(mf, "GET", `/api/towns/${town}/debug/storage`, undefined, operator)).body.data.digest;

const CALLERS = ["nobody", "outsider", "foreignAgent", "viewer", "member", "agent", "admin", "owner"];

test("every mutating route of a town, for every kind of caller", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const T = "/api/towns/matrix";
	const H = { owner: await as("sarah"), admin: await as("alice"), member: await as("bob"),
		viewer: await as("vic"), outsider: await as("olga"), nobody: {} };
	assert.equal((await call(mf, "POST", T, { name: "Matrix" }, H.owner)).status, 201);
	for (const [u, role] of [["alice", "admin"], ["bob", "member"], ["vic", "viewer"]])
		await call(mf, "PUT", `${T}/members/${u}`, { role }, H.owner);
	await call(mf, "POST", `${T}/rigs`, { id: "main", git_url: "https://example.com/main.git" }, H.owner);
	await call(mf, "POST", `${T}/agents`, { role: "mayor" }, H.owner);
	await call(mf, "POST", `${T}/agents`, { role: "polecat", rig: "main" }, H.owner);
	H.agent = { authorization: `Bearer ${(await call(mf, "POST", `${T}/agents/toast/token`, undefined, H.owner)).body.data.token}` };
	await call(mf, "POST", "/api/towns/other", { name: "Other" }, H.outsider);
	await call(mf, "POST", "/api/towns/other/rigs", { id: "main", git_url: "https://example.com/main.git" }, H.outsider);
	await call(mf, "POST", "/api/towns/other/agents", { role: "polecat", rig: "main" }, H.outsider);
	H.foreignAgent = { authorization: `Bearer ${(await call(mf, "POST", "/api/towns/other/agents/toast/token", undefined, H.outsider)).body.data.token}` };

	let n = 0;
	const uniq = () => `x${++n}`;
	const bead = async () => (await call(mf, "POST", `${T}/beads`, { title: `b${++n}` }, H.owner)).body.data.id;
	const escalation = async () => (await call(mf, "POST", `${T}/escalations`, { severity: "low", title: `e${++n}` }, H.owner)).body.data.id;

	// [method, path (or a function making one), body (or a function), expected status per caller]
	// People's routes: agents' tokens are not people's (401); bead/convoy routes take agents as members.
	const P = (owner, admin, member, viewer) => ({ owner, admin, member, viewer, outsider: 404, nobody: 401, agent: 401, foreignAgent: 401 });
	const A = (owner, admin, member, viewer, agent) => ({ owner, admin, member, viewer, outsider: 404, nobody: 401, agent, foreignAgent: 401 });
	const rows = [
		["PATCH", T, () => ({ name: uniq() }), P(200, 200, 403, 403)],
		["PATCH", `${T}/settings`, () => ({ settings: { note: uniq() } }), P(200, 200, 403, 403)],
		["PUT", `${T}/members/newbie`, { role: "viewer" }, P(200, 200, 403, 403)],
		["DELETE", async () => { await call(mf, "PUT", `${T}/members/leaver`, { role: "viewer" }, H.owner); return `${T}/members/leaver`; },
			undefined, P(200, 200, 403, 403)],
		["POST", `${T}/rigs`, () => ({ id: uniq(), git_url: "https://example.com/r.git" }), P(201, 201, 403, 403)],
		["PATCH", `${T}/rigs/main`, () => ({ default_branch: uniq() }), P(200, 200, 403, 403)],
		["DELETE", async () => { const id = uniq(); await call(mf, "POST", `${T}/rigs`, { id, git_url: "https://example.com/r.git" }, H.owner); return `${T}/rigs/${id}`; },
			undefined, P(200, 200, 403, 403)],
		["POST", `${T}/agents`, { role: "triage" }, P(201, 201, 403, 403)],
		["POST", async () => { await call(mf, "DELETE", `${T}/agents/toast/hook`, undefined, H.owner); return `${T}/agents/toast/hook`; },
			async () => ({ bead: await bead() }), P(200, 200, 200, 403)],
		["POST", `${T}/agents/mayor/token`, undefined, P(201, 201, 403, 403)],
		["POST", `${T}/mail`, { to: "mayor", subject: "hello" }, P(201, 201, 201, 403)],
		["POST", `${T}/escalations`, { severity: "low", title: "look" }, P(201, 201, 201, 403)],
		["POST", async () => `${T}/escalations/${await escalation()}/ack`, undefined, P(200, 200, 200, 403)],
		["POST", async () => `${T}/escalations/${await escalation()}/resolve`, undefined, P(200, 200, 200, 403)],
		["POST", `${T}/beads`, () => ({ title: uniq() }), A(201, 201, 201, 403, 201)],
		["PATCH", async () => `${T}/beads/${await bead()}`, { priority: 1 }, A(200, 200, 200, 403, 200)],
		["POST", async () => `${T}/beads/${await bead()}/close`, undefined, A(200, 200, 200, 403, 200)],
		["POST", async () => `${T}/beads/${await bead()}/deps`, async () => ({ id: await bead(), kind: "related" }), A(200, 200, 200, 403, 200)],
		["DELETE", async () => `${T}/beads/${await bead()}`, undefined, A(200, 200, 403, 403, 403)],
		["POST", `${T}/convoys`, async () => ({ title: uniq(), beads: [await bead()] }), A(201, 201, 201, 403, 201)],
		["DELETE", async () => { const id = uniq(); await call(mf, "POST", "/api/towns/" + id, { name: id }, H.owner);
			for (const [u, role] of [["alice", "admin"], ["bob", "member"], ["vic", "viewer"]])
				await call(mf, "PUT", `/api/towns/${id}/members/${u}`, { role }, H.owner);
			return `/api/towns/${id}`; }, undefined, P(200, 200, 403, 403)],
	];

	for (const [method, path, body, expect] of rows) {
		for (const caller of CALLERS) {
			const p = typeof path === "function" ? await path() : path;
			const b = typeof body === "function" ? await body() : body;
			const town = p.split("/")[3];
			const before = await digest(mf, town);
			const r = await call(mf, method, p, b, H[caller]);
			assert.equal(r.status, expect[caller], `${method} ${p} as ${caller}: ${r.text}`);
			if (r.status >= 400) {
				assert.equal(typeof r.body.error.code, "string", r.text);
				assert.equal(await digest(mf, town), before, `${method} ${p} as ${caller} left a trace`);
			}
		}
	}
});
