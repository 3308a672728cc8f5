// foundation.test.mjs - the foundation through the real worker in workerd: routing, storage that
// survives a restart, traps that leave no trace, alarms, effects, WebSockets, and bad input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { call, eventually, localServer, operator, startWorker, tempDir } from "./harness.mjs";

test("GET /health is answered by the engine", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	const r = await call(mf, "GET", "/health");
	assert.equal(r.status, 200);
	assert.equal(r.body.data.engine, "gastown-edge");
	assert.match(r.body.data.version, /^\d+\.\d+\.\d+$/);
	assert.equal(r.body.data.sqlite_version, "3.53.2");
	assert.match(r.body.data.built_with, /^clang /);
	assert.ok(r.body.data.schema_version >= 1);
	assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
});

test("a write survives disposing and re-creating the runtime", async (t) => {
	const persist = tempDir(t);
	let mf = startWorker({ persist });
	assert.equal((await call(mf, "PUT", "/api/towns/durable/_test/kv/one", { value: "first" })).status, 200);
	assert.equal((await call(mf, "PUT", "/api/towns/durable/_test/kv/two", { value: "second" })).status, 200);
	await mf.dispose();

	mf = startWorker({ persist });
	t.after(() => mf.dispose());
	assert.equal((await call(mf, "GET", "/api/towns/durable/_test/kv/one")).body.data.value, "first");
	assert.equal((await call(mf, "GET", "/api/towns/durable/_test/kv/two")).body.data.value, "second");
	// Another town is another object with its own storage.
	assert.equal((await call(mf, "GET", "/api/towns/other/_test/kv/one")).status, 404);
});

test("a fresh object reads the build's schema image and stores it with its first write", async (t) => {
	const persist = tempDir(t);
	let mf = startWorker({ persist });
	const town = "/api/towns/imaged";
	const storage = async () => (await call(mf, "GET", `${town}/debug/storage`, undefined, operator)).body.data;

	const fresh = await storage();
	assert.equal(fresh.from_image, true);
	assert.equal(fresh.bytes, 0);
	assert.ok(fresh.pages > 10, `${fresh.pages} pages`);
	assert.ok(fresh.schema_version >= 14);
	// Calls that fail store nothing, not even the image.
	assert.equal((await call(mf, "PUT", `${town}/_test/kv/k`, "{not json")).status, 400);
	for (const when of ["before_commit", "after_commit"])
		assert.equal((await call(mf, "POST", `${town}/_test/trap`, { key: "ghost", value: "boo", when })).status, 500);
	assert.deepEqual(await storage(), fresh);

	const first = await call(mf, "PUT", `${town}/_test/kv/one`, { value: "first" });
	assert.equal(first.status, 200);
	const timing = first.headers.get("server-timing");
	const rows = Number(timing.match(/rows-written;desc="(\d+)"/)[1]);
	const bytes = Number(timing.match(/bytes-written;desc="(\d+)"/)[1]);
	assert.ok(rows >= fresh.pages, `${rows} rows written for ${fresh.pages} pages`);
	// B-tree pages are stored without their unallocated space: the image's pages are far from full.
	assert.ok(bytes < rows * 4096 * 0.75, `${bytes} bytes in ${rows} blocks`);
	const stored = await storage();
	assert.equal(stored.from_image, false);
	assert.equal(stored.schema_version, fresh.schema_version);
	assert.equal(stored.bytes, stored.pages * stored.page_size);
	assert.notEqual(stored.digest, fresh.digest);
	await mf.dispose();

	// Storage alone holds it now: a new runtime reads the same bytes.
	mf = startWorker({ persist });
	t.after(() => mf.dispose());
	assert.equal((await call(mf, "GET", `${town}/_test/kv/one`)).body.data.value, "first");
	assert.deepEqual(await storage(), stored);
});

test("a call refused after many writes rolls back from the in-memory journal, call after call", { timeout: 120_000 }, async (t) => {
	const persist = tempDir(t);
	let mf = startWorker({ persist });
	const town = "/api/towns/journaled";
	const storage = async () => (await call(mf, "GET", `${town}/debug/storage`, undefined, operator)).body.data;
	const bulk = (body) => call(mf, "POST", `${town}/_test/kv-bulk`, body);
	assert.equal((await bulk({ count: 50, prefix: "keep" })).status, 200);

	// Large, then small, then large again: the journal's buffer outlives each transaction, and a
	// short journal must not replay what a longer earlier one left behind.
	for (const count of [3000, 5, 1500]) {
		const before = await storage();
		const r = await bulk({ count, prefix: "keep", then_fail: true }); // rewrites kept keys too
		assert.equal(r.status, 409, r.text);
		assert.equal(r.body.error.field, "then_fail");
		assert.deepEqual(await storage(), before, `after refusing ${count} writes`);
		assert.equal((await call(mf, "GET", `${town}/_test/kv/keep-49`)).body.data.value, "value 49");
		assert.equal((await call(mf, "GET", `${town}/_test/kv/keep-${Math.max(count - 1, 50)}`)).status, 404);
		// The same instance goes on committing normally.
		assert.equal((await call(mf, "PUT", `${town}/_test/kv/after-${count}`, { value: String(count) })).status, 200);
	}
	assert.equal((await bulk({ count: 1, prefix: "x", then_fail: "yes" })).body.error.field, "then_fail");
	const final = await storage();
	await mf.dispose();

	mf = startWorker({ persist });
	t.after(() => mf.dispose());
	assert.deepEqual(await storage(), final);
	for (const count of [3000, 5, 1500])
		assert.equal((await call(mf, "GET", `${town}/_test/kv/after-${count}`)).body.data.value, String(count));
});

test("a fresh object's first call refused after its pages spilled into storage: the next starts from the image", async (t) => {
	const persist = tempDir(t);
	let mf = startWorker({ persist });
	const town = "/api/towns/spilled";
	const storage = async () => (await call(mf, "GET", `${town}/debug/storage`, undefined, operator)).body.data;
	const fresh = await storage();
	// The first write of the object's life stores the schema image, here before the commit (the
	// cache spills); the refusal then rolls all of it back.
	const r = await call(mf, "POST", `${town}/_test/kv-bulk`, { count: 2000, prefix: "gone", then_fail: true, spill: true });
	assert.equal(r.status, 409, r.text);
	assert.deepEqual(await storage(), fresh);
	assert.equal((await call(mf, "PUT", `${town}/_test/kv/kept`, { value: "v" })).status, 200);
	const stored = await storage();
	assert.equal(stored.from_image, false);
	await mf.dispose();

	mf = startWorker({ persist });
	t.after(() => mf.dispose());
	assert.deepEqual(await storage(), stored);
	assert.equal((await call(mf, "GET", `${town}/_test/kv/kept`)).body.data.value, "v");
	assert.equal((await call(mf, "GET", `${town}/_test/kv/gone-0`)).status, 404);
	assert.equal((await call(mf, "PUT", `${town}/_test/kv/more`, { value: "w" })).status, 200);
});

for (const when of ["before_commit", "after_commit"]) {
	test(`a request that traps ${when.replace("_", " ")} leaves no trace`, async (t) => {
		const mf = startWorker();
		t.after(() => mf.dispose());
		const town = `trap-${when}`;
		await call(mf, "PUT", `/api/towns/${town}/_test/kv/keep`, { value: "kept" });
		const before = (await call(mf, "GET", `/api/towns/${town}/debug/storage`, undefined, operator)).body.data;

		const r = await call(mf, "POST", `/api/towns/${town}/_test/trap`, { key: "ghost", value: "boo", when });
		assert.equal(r.status, 500);
		assert.equal(r.body.error.code, "internal");

		// The next request runs on a fresh instance over unchanged storage.
		assert.equal((await call(mf, "GET", `/api/towns/${town}/_test/kv/ghost`)).status, 404);
		assert.equal((await call(mf, "GET", `/api/towns/${town}/_test/kv/keep`)).body.data.value, "kept");
		const after = (await call(mf, "GET", `/api/towns/${town}/debug/storage`, undefined, operator)).body.data;
		assert.equal(after.pages, before.pages);
		assert.equal((await call(mf, "PUT", `/api/towns/${town}/_test/kv/new`, { value: "ok" })).status, 200);
	});
}

test("an alarm set by the engine fires and runs engine code", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	const set = await call(mf, "POST", "/api/towns/alarmed/_test/alarms", { key: "wake", in_ms: 100 });
	assert.equal(set.status, 201);
	const fired = await eventually(async () => {
		const r = await call(mf, "GET", "/api/towns/alarmed/_test/alarms/wake");
		return r.body.data.fired_count > 0 && r.body.data;
	});
	assert.equal(fired.fired_count, 1);
	assert.ok(fired.fired_ms >= fired.due_ms);
});

test("an effect round trip: the result comes back and changes state", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	const srv = await localServer(t, (req, res) => {
		res.writeHead(201, { "content-type": "text/plain" });
		res.end(`hello from ${req.method} ${req.url}`);
	});
	const start = await call(mf, "POST", "/api/towns/fx/_test/effects", { url: `${srv.url}/ping?x=1`, method: "POST", body: "hi" });
	assert.equal(start.status, 202);
	const probe = await eventually(async () => {
		const r = await call(mf, "GET", `/api/towns/fx/_test/effects/${start.body.data.id}`);
		return r.body.data.state !== "pending" && r.body.data;
	});
	assert.equal(probe.state, "done");
	assert.equal(probe.status, 201);
	assert.equal(probe.body, "hello from POST /ping?x=1");
	assert.deepEqual(srv.hits, [{ method: "POST", url: "/ping?x=1" }]);
	const storage = (await call(mf, "GET", "/api/towns/fx/debug/storage", undefined, operator)).body.data;
	assert.equal(storage.pending_effects, 0);
});

test("an effect that times out comes back as an error, not a hang", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	const srv = await localServer(t, () => {}); // never answers
	const started = Date.now();
	const start = await call(mf, "POST", "/api/towns/fx/_test/effects", { url: `${srv.url}/slow`, timeout_ms: 300 });
	const probe = await eventually(async () => {
		const r = await call(mf, "GET", `/api/towns/fx/_test/effects/${start.body.data.id}`);
		return r.body.data.state !== "pending" && r.body.data;
	});
	assert.equal(probe.state, "failed");
	assert.equal(probe.error_code, "timeout");
	assert.ok(Date.now() - started < 4000);
});

test("an effect to a closed port comes back as a connection error", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	const srv = await localServer(t, () => {});
	const url = `${srv.url}/nobody`;
	await srv.close(); // the port is now refused
	const start = await call(mf, "POST", "/api/towns/fx/_test/effects", { url, timeout_ms: 3000 });
	const probe = await eventually(async () => {
		const r = await call(mf, "GET", `/api/towns/fx/_test/effects/${start.body.data.id}`);
		return r.body.data.state !== "pending" && r.body.data;
	});
	assert.equal(probe.state, "failed");
	assert.equal(probe.error_code, "connect_failed");
});

test("malformed input gets a JSON error with a stable code and changes nothing", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	const town = "/api/towns/strict";
	await call(mf, "PUT", `${town}/_test/kv/seed`, { value: "s" });
	const before = (await call(mf, "GET", `${town}/debug/storage`, undefined, operator)).body.data;

	const cases = [
		[400, "bad_json", await call(mf, "PUT", `${town}/_test/kv/k`, "{not json")],
		[400, "bad_json", await call(mf, "PUT", `${town}/_test/kv/k`, "[1,2,3]")],
		[400, "invalid", await call(mf, "PUT", `${town}/_test/kv/k`, { value: 12 })],
		[400, "invalid", await call(mf, "POST", `${town}/_test/kv-bulk`, { count: "ten", prefix: "p" })],
		[400, "invalid", await call(mf, "POST", `${town}/_test/alarms`, { key: "a", in_ms: -5 })],
		[413, "too_large", await call(mf, "PUT", `${town}/_test/kv/k`, new Uint8Array(10 * 1024 * 1024).fill(32))],
		[404, "not_found", await call(mf, "GET", "/api/no/such/route")], // other paths are the dashboard
		[404, "not_found", await call(mf, "POST", "/api/no/such/route")],
		[404, "not_found", await call(mf, "GET", `${town}/no-such-thing`)],
		[405, "method_not_allowed", await call(mf, "DELETE", `${town}/_test/kv/k`)],
		[400, "invalid", await call(mf, "GET", "/api/towns/bad.id!/beads")],
		[401, "unauthenticated", await call(mf, "GET", `${town}/debug/storage`)],
		[401, "unauthenticated", await call(mf, "GET", `${town}/debug/storage`, undefined, { authorization: "Bearer wrong" })],
	];
	for (const [status, code, r] of cases) {
		assert.equal(r.status, status, r.text);
		assert.equal(r.body.error.code, code, r.text);
		assert.equal(typeof r.body.error.message, "string");
	}
	assert.equal(cases[2][2].body.error.field, "value");
	assert.equal((await call(mf, "GET", `${town}/_test/kv/k`)).status, 404);
	const after = (await call(mf, "GET", `${town}/debug/storage`, undefined, operator)).body.data;
	assert.deepEqual(after, before);
});

test("test routes do not exist unless test hooks are on", async (t) => {
	const mf = startWorker({ testHooks: false });
	t.after(() => mf.dispose());
	const r = await call(mf, "PUT", "/api/towns/prod/_test/kv/k", { value: "v" });
	assert.equal(r.status, 404);
	assert.equal(r.body.error.code, "not_found");
});

test("WebSocket frames reach the engine and its replies come back", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	const res = await mf.dispatchFetch("http://gastown.test/api/towns/ws/_test/ws", { headers: { upgrade: "websocket" } });
	assert.equal(res.status, 101);
	const ws = res.webSocket;
	ws.accept();
	const got = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(JSON.parse(e.data))));
	ws.send("ping from test");
	const frame = await got;
	assert.equal(frame.echo, "ping from test");
	ws.close();
});

test("an effect can call another Durable Object (do://kind/id/path)", async (t) => {
	const mf = startWorker();
	t.after(() => mf.dispose());
	await call(mf, "PUT", "/api/towns/beta/_test/kv/motto", { value: "from beta" });
	const start = await call(mf, "POST", "/api/towns/alpha/_test/effects", { url: "do://town/beta/api/towns/beta/_test/kv/motto" });
	assert.equal(start.status, 202, start.text);
	const probe = await eventually(async () => {
		const r = await call(mf, "GET", `/api/towns/alpha/_test/effects/${start.body.data.id}`);
		return r.body.data.state !== "pending" && r.body.data;
	});
	assert.equal(probe.state, "done");
	assert.equal(probe.status, 200);
	assert.equal(JSON.parse(probe.body).data.value, "from beta");
});
