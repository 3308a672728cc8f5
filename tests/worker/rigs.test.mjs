// rigs.test.mjs - rigs through the real worker: admins manage them, members read them, beads
// must name an existing rig, a rig with unfinished beads stays, bad input changes nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, operator, startWorker } from "./harness.mjs";

const SECRET = "rigs-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key)}` });
const digest = async (mf, town) =>
	(await call(mf, "GET", `/api/towns/${town}/debug/storage`, undefined, operator)).body.data.digest;

test("rigs: create, read, use in beads, delete", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const owner = await as("sarah"), member = await as("bob"), outsider = await as("olga");
	await call(mf, "POST", "/api/towns/shop", { name: "Shop" }, owner);
	await call(mf, "PUT", "/api/towns/shop/members/bob", { role: "member" }, owner);
	const R = "/api/towns/shop/rigs";

	const rig = { id: "payments", git_url: "https://git.example.com/acme/payments.git", merge_strategy: "pr", max_polecats: 3 };
	assert.equal((await call(mf, "POST", R, rig, member)).status, 403);
	assert.equal((await call(mf, "POST", R, rig, outsider)).status, 404);
	const made = await call(mf, "POST", R, rig, owner);
	assert.equal(made.status, 201, made.text);
	assert.deepEqual([made.body.data.default_branch, made.body.data.merge_strategy, made.body.data.max_polecats], ["main", "pr", 3]);
	assert.equal((await call(mf, "POST", R, rig, owner)).status, 409);
	assert.equal((await call(mf, "POST", R, { id: "local", git_url: "git@github.com:acme/local.git" }, owner)).status, 201);
	assert.deepEqual((await call(mf, "GET", R, undefined, member)).body.data.map((r) => r.id), ["local", "payments"]);

	const patched = await call(mf, "PATCH", `${R}/payments`, { default_branch: "trunk", settings: { gates: "npm test" } }, owner);
	assert.equal(patched.body.data.default_branch, "trunk");
	assert.equal(patched.body.data.git_url, rig.git_url);

	const bead = await call(mf, "POST", "/api/towns/shop/beads", { title: "Refund flow", rig: "payments" }, member);
	assert.equal(bead.body.data.rig, "payments");
	const noRig = await call(mf, "POST", "/api/towns/shop/beads", { title: "Lost", rig: "nowhere" }, member);
	assert.equal(noRig.status, 400);
	assert.equal(noRig.body.error.field, "rig");

	const before = await digest(mf, "shop");
	const bad = [
		[R, { id: "x y", git_url: rig.git_url }, "id"],
		[R, { id: "new", git_url: "not a url" }, "git_url"],
		[R, { id: "new", git_url: "ftp://host/repo" }, "git_url"],
		[R, { id: "new", git_url: "https://bob:hunter2@git.example.com/p.git" }, "git_url"],
		[R, { id: "new", git_url: rig.git_url, merge_strategy: "squash" }, "merge_strategy"],
		[R, { id: "new", git_url: rig.git_url, max_polecats: 0 }, "max_polecats"],
		[R, { id: "new", git_url: rig.git_url, default_branch: "a b" }, "default_branch"],
		[R, { id: "new" }, "git_url"],
	];
	for (const [path, body, field] of bad) {
		const r = await call(mf, "POST", path, body, owner);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.body.error.field, field, r.text);
	}
	const busy = await call(mf, "DELETE", `${R}/payments`, undefined, owner);
	assert.equal(busy.status, 409);
	assert.equal(await digest(mf, "shop"), before);

	await call(mf, "POST", `/api/towns/shop/beads/${bead.body.data.id}/close`, undefined, member);
	assert.equal((await call(mf, "DELETE", `${R}/payments`, undefined, member)).status, 403);
	assert.equal((await call(mf, "DELETE", `${R}/payments`, undefined, owner)).status, 200);
	assert.equal((await call(mf, "GET", `${R}/payments`, undefined, owner)).status, 404);
});
