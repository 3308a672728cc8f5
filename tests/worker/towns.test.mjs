// towns.test.mjs - personal towns through the real worker: create, read, rename and settings,
// delete; outsiders see nothing; the owner's registry (/api/me/towns) follows through effects
// between Durable Objects; rejected requests leave the town's pages unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, eventually, operator, startWorker } from "./harness.mjs";

const SECRET = "towns-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);

async function as(user, name = user) {
	const jwt = await new SignJWT({ sub: user, name })
		.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key);
	return { authorization: `Bearer ${jwt}` };
}

const digest = async (mf, town) =>
	(await call(mf, "GET", `/api/towns/${town}/debug/storage`, undefined, operator)).body.data.digest;

test("a personal town: owner, outsiders, registry, settings, deletion", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("auth0|sarah", "Sarah"), bob = await as("bob");

	const created = await call(mf, "POST", "/api/towns/home", { name: "Home" }, sarah);
	assert.equal(created.status, 201, created.text);
	assert.deepEqual(created.body.data.owner, { kind: "user", id: "auth0|sarah" });
	assert.equal(created.body.data.role, "owner");
	assert.equal((await call(mf, "POST", "/api/towns/home", { name: "Mine" }, bob)).status, 409);

	assert.equal((await call(mf, "GET", "/api/towns/home", undefined, sarah)).status, 200);
	const hidden = await call(mf, "GET", "/api/towns/home", undefined, bob);
	assert.equal(hidden.status, 404);
	assert.deepEqual(hidden.body, (await call(mf, "GET", "/api/towns/nowhere", undefined, bob)).body);
	assert.equal((await call(mf, "GET", "/api/towns/home")).status, 401);

	// The registry learns of the town through an effect from the town to the user's object.
	const mine = await eventually(async () => {
		const r = await call(mf, "GET", "/api/me/towns", undefined, sarah);
		return r.body.data.length === 1 && r.body.data;
	});
	assert.deepEqual(mine, [{ id: "home", name: "Home", role: "owner", owner: { kind: "user", id: "auth0|sarah" } }]);
	assert.deepEqual((await call(mf, "GET", "/api/me/towns", undefined, bob)).body.data, []);

	// Rename and settings (merged key by key; null removes a key).
	let r = await call(mf, "PATCH", "/api/towns/home", { name: "Homestead", settings: { max_polecats: 4, region: "eu" } }, sarah);
	assert.equal(r.status, 200, r.text);
	r = await call(mf, "PATCH", "/api/towns/home", { settings: { region: null, theme: "dark" } }, sarah);
	assert.deepEqual(r.body.data.settings, { max_polecats: 4, theme: "dark" });
	assert.equal(r.body.data.name, "Homestead");
	await eventually(async () => (await call(mf, "GET", "/api/me/towns", undefined, sarah)).body.data[0]?.name === "Homestead");

	// Rejected: outsiders and bad input change nothing.
	const before = await digest(mf, "home");
	const rejected = [
		[404, "not_found", await call(mf, "PATCH", "/api/towns/home", { name: "Bob's" }, bob)],
		[404, "not_found", await call(mf, "DELETE", "/api/towns/home", undefined, bob)],
		[400, "invalid", await call(mf, "PATCH", "/api/towns/home", { name: "" }, sarah)],
		[400, "invalid", await call(mf, "PATCH", "/api/towns/home", { name: "n".repeat(101) }, sarah)],
		[400, "invalid", await call(mf, "PATCH", "/api/towns/home", { settings: [1] }, sarah)],
		[400, "invalid", await call(mf, "PATCH", "/api/towns/home", { settings: { nested: { a: 1 } } }, sarah)],
		[413, "too_large", await call(mf, "PATCH", "/api/towns/home", { settings: { blob: "x".repeat(20000) } }, sarah)],
		[400, "bad_json", await call(mf, "PATCH", "/api/towns/home", "{", sarah)],
	];
	for (const [status, code, res] of rejected) {
		assert.equal(res.status, status, res.text);
		assert.equal(res.body.error.code, code, res.text);
	}
	assert.equal(await digest(mf, "home"), before);

	// Deletion takes the town and its registry entry away; the id is free again.
	assert.equal((await call(mf, "DELETE", "/api/towns/home", undefined, sarah)).status, 200);
	assert.equal((await call(mf, "GET", "/api/towns/home", undefined, sarah)).status, 404);
	await eventually(async () => (await call(mf, "GET", "/api/me/towns", undefined, sarah)).body.data.length === 0);
	assert.equal((await call(mf, "POST", "/api/towns/home", { name: "Bob's home" }, bob)).status, 201);
});

test("creating under a taken id tells an outsider only that it is not available", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("sarah"), vic = await as("vic"), olga = await as("olga");
	assert.equal((await call(mf, "POST", "/api/towns/home", { name: "Home" }, sarah)).status, 201);
	assert.equal((await call(mf, "PUT", "/api/towns/home/members/vic", { role: "viewer" }, sarah)).status, 200);
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, sarah)).status, 201);
	assert.equal((await call(mf, "POST", "/api/orgs/acme/towns/hq", { name: "HQ" }, sarah)).status, 202);
	await eventually(async () => (await call(mf, "GET", "/api/orgs/acme/towns", undefined, sarah)).body.data[0]?.state === "active");

	// An outsider: the same answer for a person's town and an organization's, naming only the id.
	const before = await digest(mf, "home");
	const personal = await call(mf, "POST", "/api/towns/home", { name: "Mine" }, olga);
	const byOrg = await call(mf, "POST", "/api/towns/hq", { name: "Mine" }, olga);
	assert.equal(personal.status, 409, personal.text);
	assert.deepEqual(personal.body, { error: { code: "conflict", message: "the town id 'home' is not available",
		field: "town_id", reason: "unavailable" } });
	assert.equal(byOrg.status, 409);
	assert.deepEqual(byOrg.body, JSON.parse(personal.text.replaceAll("'home'", "'hq'")));
	assert.equal(await digest(mf, "home"), before);

	// Whoever can see the town may hear why.
	const seen = await call(mf, "POST", "/api/towns/home", { name: "Again" }, vic);
	assert.deepEqual([seen.status, seen.body.error.reason, seen.body.error.message], [409, "exists", "the town 'home' already exists"]);

	// Organizations likewise.
	const org = await call(mf, "POST", "/api/orgs/acme", { name: "Mine" }, olga);
	assert.deepEqual(org.body, { error: { code: "conflict", message: "the organization id 'acme' is not available",
		field: "org_id", reason: "unavailable" } });
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Again" }, sarah)).body.error.reason, "exists");
});

test("internal registry routes cannot be reached from outside", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const bob = await as("bob");
	for (const path of ["/_internal/towns/x", "/api/users/bob/_internal/towns/x", "/api/me/_internal/towns/x"]) {
		const r = await call(mf, "PUT", path, { name: "Fake", role: "owner", owner_kind: "user", owner_id: "bob" }, bob);
		assert.ok(r.status === 404 || r.status === 405, `${path}: ${r.text}`);
	}
	assert.deepEqual((await call(mf, "GET", "/api/me/towns", undefined, bob)).body.data, []);
});

test("town members: roles decide, registries follow", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const H = { owner: await as("sarah"), admin: await as("alice"), member: await as("bob"),
		viewer: await as("vic"), outsider: await as("olga"), nobody: {} };
	assert.equal((await call(mf, "POST", "/api/towns/yard", { name: "Yard" }, H.owner)).status, 201);
	for (const [u, role] of [["alice", "admin"], ["bob", "member"], ["vic", "viewer"]])
		assert.equal((await call(mf, "PUT", `/api/towns/yard/members/${u}`, { role }, H.owner)).status, 200);

	const bobsTowns = await eventually(async () => {
		const r = await call(mf, "GET", "/api/me/towns", undefined, H.member);
		return r.body.data.length === 1 && r.body.data;
	});
	assert.equal(bobsTowns[0].role, "member");
	assert.equal((await call(mf, "GET", "/api/towns/yard", undefined, H.viewer)).body.data.role, "viewer");

	const matrix = [
		["PATCH", "/api/towns/yard", { name: "Yard 2" }, { owner: 200, admin: 200, member: 403, viewer: 403, outsider: 404, nobody: 401 }],
		["PUT", "/api/towns/yard/members/newbie", { role: "viewer" }, { owner: 200, admin: 200, member: 403, viewer: 403, outsider: 404, nobody: 401 }],
		["DELETE", "/api/towns/yard", undefined, { owner: null, admin: null, member: 403, viewer: 403, outsider: 404, nobody: 401 }],
	];
	for (const [method, path, body, expect] of matrix) {
		for (const caller of ["nobody", "outsider", "viewer", "member", "admin", "owner"]) {
			if (expect[caller] === null) continue;
			const before = await digest(mf, "yard");
			const r = await call(mf, method, path, body, H[caller]);
			assert.equal(r.status, expect[caller], `${method} ${path} as ${caller}: ${r.text}`);
			if (r.status >= 400) assert.equal(await digest(mf, "yard"), before, `${method} ${path} as ${caller}`);
		}
	}

	// Removing a member takes the town out of their registry.
	assert.equal((await call(mf, "DELETE", "/api/towns/yard/members/bob", undefined, H.admin)).status, 200);
	assert.equal((await call(mf, "GET", "/api/towns/yard", undefined, H.member)).status, 404);
	await eventually(async () => (await call(mf, "GET", "/api/me/towns", undefined, H.member)).body.data.length === 0);
});

test("town secrets are write-only; settings have their own route", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("sarah"), bob = await as("bob"), vic = await as("vic");
	await call(mf, "POST", "/api/towns/vault", { name: "Vault" }, sarah);
	await call(mf, "PUT", "/api/towns/vault/members/bob", { role: "admin" }, sarah);
	await call(mf, "PUT", "/api/towns/vault/members/vic", { role: "viewer" }, sarah);

	const key = "sk-live-0123456789abcdefWXYZ";
	const set = await call(mf, "PATCH", "/api/towns/vault/settings", { secrets: { llm_key: key, short: "abc" } }, bob);
	assert.equal(set.status, 200, set.text);
	assert.ok(!set.text.includes(key) && !set.text.includes("0123456789"), "a secret came back");
	assert.deepEqual([set.body.data.secrets.llm_key.set, set.body.data.secrets.llm_key.hint], [true, "…WXYZ"]);
	assert.equal(set.body.data.secrets.short.hint, "…");
	const seen = await call(mf, "GET", "/api/towns/vault/settings", undefined, vic);
	assert.deepEqual(Object.keys(seen.body.data.secrets), ["llm_key", "short"]);
	assert.ok(!seen.text.includes(key));
	const feed = await call(mf, "GET", "/api/towns/vault/events", undefined, vic);
	assert.ok(!feed.text.includes(key));
	assert.equal((await call(mf, "PATCH", "/api/towns/vault/settings", { secrets: { llm_key: "x" } }, vic)).status, 403);
	assert.equal((await call(mf, "PATCH", "/api/towns/vault/settings", { secrets: { "bad name": "x" } }, bob)).body.error.field, "secrets");
	assert.equal((await call(mf, "PATCH", "/api/towns/vault/settings", { secrets: { k: 5 } }, bob)).body.error.field, "secrets");
	assert.equal((await call(mf, "PATCH", "/api/towns/vault/settings", { settings: { bead_prefix: "Bad/Prefix" } }, bob)).body.error.field, "settings.bead_prefix");
	const removed = await call(mf, "PATCH", "/api/towns/vault/settings", { secrets: { short: null }, settings: { bead_prefix: "vt" } }, bob);
	assert.deepEqual(Object.keys(removed.body.data.secrets), ["llm_key"]);
	assert.match((await call(mf, "POST", "/api/towns/vault/beads", { title: "prefixed" }, bob)).body.data.id, /^vt-/);
	// Admins may delete the town too.
	assert.equal((await call(mf, "DELETE", "/api/towns/vault", undefined, bob)).status, 200);
});
