// retries.test.mjs - a call whose answer was lost is made again without acting twice, through the
// real worker: POSTs with an Idempotency-Key are answered again from what the first one answered,
// and gt, as an agent, sends one with every POST and repeats it when the connection was cut after
// the request may have arrived (as a worker restart cuts it).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SignJWT } from "jose";
import { ROOT, call, operator, startWorker } from "./harness.mjs";

const SECRET = "retries-test-secret-0123456789abcdef-0123456789";
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(SECRET))}` });
const digest = async (mf, town) => (await call(mf, "GET", `/api/towns/${town}/debug/storage`, undefined, operator)).body.data.digest;

test("a POST with an Idempotency-Key is answered again, not done again; another request under the key is refused", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const alice = await as("alice"), bob = await as("bob");
	const T = "/api/towns/idem";
	assert.equal((await call(mf, "POST", T, { name: "Idem" }, alice)).status, 201);
	await call(mf, "PUT", `${T}/members/bob`, { role: "member" }, alice);
	const key = { "idempotency-key": "bead-create-0001" };

	const first = await call(mf, "POST", `${T}/beads`, { title: "Once" }, { ...alice, ...key });
	assert.equal(first.status, 201, first.text);
	const settled = await digest(mf, "idem");
	const again = await call(mf, "POST", `${T}/beads`, { title: "Once" }, { ...alice, ...key });
	assert.equal(again.status, 201);
	assert.deepEqual(again.body, first.body, "the same answer");
	assert.equal(again.headers.get("idempotent-replayed"), "true");
	assert.equal(await digest(mf, "idem"), settled, "nothing done twice");
	const beads = (await call(mf, "GET", `${T}/beads`, undefined, alice)).body.data.beads;
	assert.equal(beads.filter((b) => b.title === "Once").length, 1);

	// The key with another body or path: a client's bug, refused, nothing changes.
	for (const [path, body] of [[`${T}/beads`, { title: "Twice" }], [`${T}/convoys`, { title: "Once" }]]) {
		const r = await call(mf, "POST", path, body, { ...alice, ...key });
		assert.equal(r.status, 409, r.text);
		assert.equal(r.body.error.field, "idempotency-key");
	}
	assert.equal(await digest(mf, "idem"), settled);
	// Keys are the caller's own: bob's same key is a new request.
	const bobs = await call(mf, "POST", `${T}/beads`, { title: "Once" }, { ...bob, ...key });
	assert.equal(bobs.status, 201);
	assert.notEqual(bobs.body.data.id, first.body.data.id);
	// A refused call keeps nothing: the key is free for the corrected request.
	const bad = await call(mf, "POST", `${T}/beads`, { title: "" }, { ...alice, "idempotency-key": "fix-me" });
	assert.equal(bad.status, 400);
	assert.equal((await call(mf, "POST", `${T}/beads`, { title: "Fixed" }, { ...alice, "idempotency-key": "fix-me" })).status, 201);
	// A malformed key is refused.
	for (const k of ["", "x".repeat(129), "has space"]) {
		const r = await call(mf, "POST", `${T}/beads`, { title: "K" }, { ...alice, "idempotency-key": k });
		assert.equal(r.status, k === "" ? 201 : 400, `${JSON.stringify(k)}: ${r.text}`);
	}
});

test("gt, as an agent, repeats a POST whose answer was cut off, and the town acts once", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const alice = await as("alice");
	const T = "/api/towns/cut";
	assert.equal((await call(mf, "POST", T, { name: "Cut" }, alice)).status, 201);
	await call(mf, "POST", `${T}/rigs`, { id: "app", git_url: "https://example.com/app.git" }, alice);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "polecat", rig: "app" }, alice)).status, 201);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "mayor" }, alice)).status, 201);
	const agent = (await call(mf, "GET", `${T}/agents`, undefined, alice)).body.data.find((a) => a.role === "polecat").id;
	const token = (await call(mf, "POST", `${T}/agents/${agent}/token`, undefined, alice)).body.data.token;

	// Between gt and the worker: the first POST reaches the town, then its answer is lost (the
	// socket is destroyed as a restart would); everything after passes through.
	const seen = [];
	let cut = 0;
	const proxy = createServer((req, res) => {
		const chunks = [];
		req.on("data", (c) => chunks.push(c));
		req.on("end", () => {
			seen.push({ method: req.method, path: req.url, key: req.headers["idempotency-key"] });
			const up = request(`${base}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
				const body = [];
				answer.on("data", (c) => body.push(c));
				answer.on("end", () => {
					if (req.method === "POST" && cut++ === 0) return req.socket.destroy();
					res.writeHead(answer.statusCode, answer.headers);
					res.end(Buffer.concat(body));
				});
			});
			up.end(Buffer.concat(chunks));
		});
	});
	await new Promise((ok) => proxy.listen(0, "127.0.0.1", ok));
	t.after(() => proxy.close());
	const dir = mkdtempSync(join(tmpdir(), "gt-retries-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	writeFileSync(join(dir, "token"), `${token}\n`);
	const env = { PATH: process.env.PATH, HOME: dir, GASTOWN_URL: `http://127.0.0.1:${proxy.address().port}`, GASTOWN_TOWN: "cut",
		GASTOWN_AGENT: agent, GASTOWN_AGENT_TOKEN_FILE: join(dir, "token") };
	const r = await new Promise((done) => execFile(join(ROOT, "build/native/gt"), ["mail", "send", "mayor", "Status", "All green"], { env },
		(err, stdout, stderr) => done({ code: err ? err.code : 0, stdout, stderr })));
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^sent \S+ to mayor\n$/);
	const posts = seen.filter((q) => q.method === "POST");
	assert.equal(posts.length, 2, JSON.stringify(seen));
	assert.match(posts[0].key, /^[0-9a-f]{32}$/);
	assert.equal(posts[1].key, posts[0].key, "the same key on the repeat");
	const mayor = await call(mf, "GET", `${T}/mail?to=mayor`, undefined, alice);
	assert.equal(mayor.status, 200, mayor.text);
	const sent = (Array.isArray(mayor.body.data) ? mayor.body.data : mayor.body.data.mail ?? []).filter((m) => m.subject === "Status");
	assert.equal(sent.length, 1, `one mail, not two: ${mayor.text}`);
});
