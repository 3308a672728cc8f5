// orgs.test.mjs - organizations through the real worker: creation, the role matrix of every
// mutating route (owner, admin, member, viewer, outsider, nobody), validation, and that every
// rejected request leaves the org's storage byte-for-byte unchanged (page digest).
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, operator, startWorker } from "./harness.mjs";

const SECRET = "orgs-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);

async function as(user, name = user) {
	const jwt = await new SignJWT({ sub: user, name, email: `${user}@example.com` })
		.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key);
	return { authorization: `Bearer ${jwt}` };
}

async function digest(mf, org) {
	const r = await call(mf, "GET", `/api/orgs/${org}/debug/storage`, undefined, operator);
	assert.equal(r.status, 200, r.text);
	return r.body.data.digest;
}

test("organizations: members, roles, and what each role may do", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const H = {
		owner: await as("sarah", "Sarah"), admin: await as("alice"), member: await as("bob"),
		viewer: await as("vic"), outsider: await as("olga"), nobody: {},
	};
	const org = "/api/orgs/acme";

	const created = await call(mf, "POST", org, { name: "Acme" }, H.owner);
	assert.equal(created.status, 201, created.text);
	assert.equal(created.body.data.role, "owner");
	assert.equal(created.body.data.created_by, "sarah");
	assert.equal((await call(mf, "POST", org, { name: "Again" }, H.outsider)).body.error.code, "conflict");

	for (const [user, role] of [["alice", "admin"], ["bob", "member"], ["vic", "viewer"]])
		assert.equal((await call(mf, "PUT", `${org}/members/${user}`, { role }, H.owner)).status, 200);

	// Reading: every member sees the org and their own role; outsiders learn nothing.
	for (const role of ["owner", "admin", "member", "viewer"]) {
		const r = await call(mf, "GET", org, undefined, H[role]);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.body.data.role, role);
	}
	const hidden = await call(mf, "GET", org, undefined, H.outsider);
	assert.equal(hidden.status, 404);
	assert.deepEqual(hidden.body, (await call(mf, "GET", "/api/orgs/no-such-org", undefined, H.outsider)).body);
	assert.equal((await call(mf, "GET", `${org}/members`, undefined, H.nobody)).status, 401);

	// The role matrix of the mutating routes: expected status per caller.
	const matrix = [
		["PATCH", org, { name: "Acme Corp" }, { owner: 200, admin: 200, member: 403, viewer: 403, outsider: 404, nobody: 401 }],
		["PUT", `${org}/members/newbie`, { role: "member" }, { owner: 200, admin: 200, member: 403, viewer: 403, outsider: 404, nobody: 401 }],
		["PUT", `${org}/members/newbie`, { role: "admin" }, { owner: 200, admin: 403, member: 403, viewer: 403, outsider: 404, nobody: 401 }],
		["DELETE", `${org}/members/alice`, undefined, { owner: 200, admin: 200, member: 403, viewer: 403, outsider: 404, nobody: 401 }],
	];
	for (const [method, path, body, expect] of matrix) {
		for (const caller of ["nobody", "outsider", "viewer", "member", "admin", "owner"]) {
			// Reset what the previous caller may have changed, so each row starts equal.
			await call(mf, "PUT", `${org}/members/alice`, { role: "admin" }, H.owner);
			await call(mf, "PUT", `${org}/members/newbie`, { role: "member" }, H.owner);
			const before = await digest(mf, "acme");
			const r = await call(mf, method, path, body, H[caller]);
			assert.equal(r.status, expect[caller], `${method} ${path} as ${caller}: ${r.text}`);
			if (r.status >= 400) {
				assert.equal(typeof r.body.error.code, "string");
				assert.equal(await digest(mf, "acme"), before, `${method} ${path} as ${caller} left a trace`);
			}
		}
	}

	// Members may leave; the last owner may not, nor be demoted.
	await call(mf, "PUT", `${org}/members/alice`, { role: "admin" }, H.owner);
	assert.equal((await call(mf, "DELETE", `${org}/members/vic`, undefined, H.viewer)).status, 200);
	assert.equal((await call(mf, "GET", org, undefined, H.viewer)).status, 404);
	const demote = await call(mf, "PUT", `${org}/members/sarah`, { role: "admin" }, H.owner);
	assert.equal(demote.status, 409);
	assert.equal(demote.body.error.field, "role");
	assert.equal((await call(mf, "DELETE", `${org}/members/sarah`, undefined, H.owner)).status, 409);
	// With a second owner, the first may step down.
	assert.equal((await call(mf, "PUT", `${org}/members/alice`, { role: "owner" }, H.owner)).status, 200);
	assert.equal((await call(mf, "PUT", `${org}/members/sarah`, { role: "member" }, H.owner)).status, 200);

	const members = await call(mf, "GET", `${org}/members`, undefined, H.member);
	assert.deepEqual(members.body.data.map((m) => [m.user_id, m.role]),
		[["alice", "owner"], ["bob", "member"], ["newbie", "member"], ["sarah", "member"]]);
	assert.equal(members.body.data.find((m) => m.user_id === "sarah").name, "Sarah");
});

test("organizations: bad input gets a clear error and changes nothing", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const owner = await as("sarah");
	const org = "/api/orgs/strict";
	assert.equal((await call(mf, "POST", org, { name: "Strict" }, owner)).status, 201);
	const before = await digest(mf, "strict");

	const cases = [
		["POST", "/api/orgs/fresh", "{nope", "bad_json", null],
		["POST", "/api/orgs/fresh", {}, "invalid", "name"],
		["POST", "/api/orgs/fresh", { name: "" }, "invalid", "name"],
		["POST", "/api/orgs/fresh", { name: "x".repeat(101) }, "invalid", "name"],
		["POST", "/api/orgs/fresh", { name: 7 }, "invalid", "name"],
		["POST", "/api/orgs/bad.id", { name: "Bad" }, "invalid", "org_id"],
		["PATCH", org, { name: ["Strict"] }, "invalid", "name"],
		["PUT", `${org}/members/bob`, { role: "emperor" }, "invalid", "role"],
		["PUT", `${org}/members/bob`, { role: "member", email: 5 }, "invalid", "email"],
		["PUT", `${org}/members/bob`, { role: "member", name: "b".repeat(200) }, "invalid", "name"],
		["PUT", `${org}/members/bo%2Fb`, { role: "member" }, "invalid", "path"],
		["PUT", `${org}/members/bo%zzb`, { role: "member" }, "invalid", "path"],
		["DELETE", `${org}/members/nobody-here`, undefined, "not_found", "user_id"],
		["POST", `${org}/members`, { role: "member" }, "method_not_allowed", null],
	];
	for (const [method, path, body, code, field] of cases) {
		const r = await call(mf, method, path, body, owner);
		assert.equal(r.body?.error?.code, code, `${method} ${path}: ${r.text}`);
		if (field) assert.equal(r.body.error.field, field, `${method} ${path}: ${r.text}`);
	}
	assert.equal(await digest(mf, "strict"), before);
	// A failed creation leaves no object behind: the id is still free.
	assert.equal((await call(mf, "POST", "/api/orgs/fresh", { name: "Fresh" }, owner)).status, 201);

	// Ids from identity providers often carry '|': they travel percent-encoded.
	assert.equal((await call(mf, "PUT", `${org}/members/auth0%7C42`, { role: "viewer" }, owner)).status, 200);
	const list = await call(mf, "GET", `${org}/members`, undefined, owner);
	assert.ok(list.body.data.some((m) => m.user_id === "auth0|42"));
});

test("organization towns: the org's members are the town's, and follow it", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("sarah"), bob = await as("bob"), vic = await as("vic"), olga = await as("olga");
	const { eventually } = await import("./harness.mjs");
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, sarah)).status, 201);
	await call(mf, "PUT", "/api/orgs/acme/members/bob", { role: "member" }, sarah);

	const made = await call(mf, "POST", "/api/orgs/acme/towns/hq", { name: "HQ" }, sarah);
	assert.equal(made.status, 202, made.text);
	assert.equal(made.body.data.state, "creating");
	assert.equal((await call(mf, "POST", "/api/orgs/acme/towns/hq2", { name: "x" }, bob)).status, 403);
	await eventually(async () => (await call(mf, "GET", "/api/orgs/acme/towns", undefined, bob)).body.data[0]?.state === "active");

	const town = await call(mf, "GET", "/api/towns/hq", undefined, bob);
	assert.equal(town.status, 200, town.text);
	assert.deepEqual([town.body.data.owner, town.body.data.role], [{ kind: "org", id: "acme" }, "member"]);
	assert.equal((await call(mf, "GET", "/api/towns/hq", undefined, sarah)).body.data.role, "owner");
	assert.equal((await call(mf, "GET", "/api/towns/hq", undefined, olga)).status, 404);
	await eventually(async () => (await call(mf, "GET", "/api/me/towns", undefined, bob)).body.data.some((x) => x.id === "hq"));

	// Members are the organization's: the town refuses to manage them itself.
	const direct = await call(mf, "PUT", "/api/towns/hq/members/olga", { role: "member" }, sarah);
	assert.equal(direct.status, 409);
	// A new org member reaches the town; a removed one loses it.
	await call(mf, "PUT", "/api/orgs/acme/members/vic", { role: "viewer" }, sarah);
	await eventually(async () => (await call(mf, "GET", "/api/towns/hq", undefined, vic)).body.data?.role === "viewer");
	await call(mf, "DELETE", "/api/orgs/acme/members/bob", undefined, sarah);
	await eventually(async () => (await call(mf, "GET", "/api/towns/hq", undefined, bob)).status === 404);
	await eventually(async () => !(await call(mf, "GET", "/api/me/towns", undefined, bob)).body.data.some((x) => x.id === "hq"));

	// A town id someone already has: the org's town fails, saying no more than an outsider hears.
	assert.equal((await call(mf, "POST", "/api/towns/taken", { name: "Mine" }, olga)).status, 201);
	await call(mf, "POST", "/api/orgs/acme/towns/taken", { name: "Taken" }, sarah);
	const failed = await eventually(async () => {
		const list = (await call(mf, "GET", "/api/orgs/acme/towns", undefined, sarah)).body.data;
		return list.find((x) => x.id === "taken" && x.state === "failed");
	});
	assert.equal(failed.reason, "the town id is not available");
	assert.equal((await call(mf, "GET", "/api/towns/taken", undefined, sarah)).status, 404);
	assert.equal((await call(mf, "POST", "/api/orgs/acme/towns/hq", { name: "Again" }, sarah)).status, 409);
});

test("a person lists their own towns and organizations", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const { eventually } = await import("./harness.mjs");
	const sarah = await as("sarah"), bob = await as("bob");
	await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, sarah);
	await call(mf, "POST", "/api/orgs/zeta", { name: "Zeta" }, bob);
	await call(mf, "PUT", "/api/orgs/zeta/members/sarah", { role: "viewer" }, bob);
	await call(mf, "POST", "/api/towns/den", { name: "Den" }, sarah);
	const orgs = await eventually(async () => {
		const r = await call(mf, "GET", "/api/orgs", undefined, sarah);
		return r.body.data.length === 2 && r.body.data;
	});
	assert.deepEqual(orgs.map((o) => [o.id, o.name, o.role]), [["acme", "Acme", "owner"], ["zeta", "Zeta", "viewer"]]);
	await eventually(async () => (await call(mf, "GET", "/api/towns", undefined, sarah)).body.data.some((x) => x.id === "den"));
	// A renamed organization shows its new name in its members' lists.
	await call(mf, "PATCH", "/api/orgs/acme", { name: "Acme Corp" }, sarah);
	await eventually(async () => (await call(mf, "GET", "/api/orgs", undefined, sarah)).body.data[0].name === "Acme Corp");
	await call(mf, "DELETE", "/api/orgs/zeta/members/sarah", undefined, bob);
	await eventually(async () => (await call(mf, "GET", "/api/orgs", undefined, sarah)).body.data.length === 1);
	assert.deepEqual((await call(mf, "GET", "/api/orgs", undefined, bob)).body.data.map((o) => o.id), ["zeta"]);
	assert.equal((await call(mf, "GET", "/api/orgs")).status, 401);
});

test("an organization cannot set the members of a town it does not own", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const { eventually } = await import("./harness.mjs");
	const mallory = await as("mallory"), beth = await as("beth");
	await call(mf, "POST", "/api/orgs/orga", { name: "A" }, mallory);
	await call(mf, "POST", "/api/orgs/orgb", { name: "B" }, beth);

	// Mallory's org makes and deletes "acme", then runs its member version up.
	await call(mf, "POST", "/api/orgs/orga/towns/acme", { name: "Acme" }, mallory);
	await eventually(async () => (await call(mf, "GET", "/api/orgs/orga/towns", undefined, mallory)).body.data[0]?.state === "active");
	assert.equal((await call(mf, "DELETE", "/api/towns/acme", undefined, mallory)).status, 200);
	await eventually(async () => (await call(mf, "GET", "/api/orgs/orga/towns", undefined, mallory)).body.data.length === 0);
	for (let i = 0; i < 3; i++) {
		await call(mf, "PUT", "/api/orgs/orga/members/x", { role: "viewer" }, mallory);
		await call(mf, "DELETE", "/api/orgs/orga/members/x", undefined, mallory);
	}
	// Beth's org takes the id; a later push from Mallory's org must not touch it.
	await call(mf, "POST", "/api/orgs/orgb/towns/acme", { name: "Acme B" }, beth);
	await eventually(async () => (await call(mf, "GET", "/api/towns/acme", undefined, beth)).status === 200);
	await call(mf, "PUT", "/api/orgs/orga/members/y", { role: "viewer" }, mallory);
	await new Promise((r) => setTimeout(r, 300));
	const town = await call(mf, "GET", "/api/towns/acme", undefined, beth);
	assert.deepEqual([town.status, town.body.data.role, town.body.data.owner.id], [200, "owner", "orgb"]);
	assert.equal((await call(mf, "GET", "/api/towns/acme", undefined, mallory)).status, 404);
});
