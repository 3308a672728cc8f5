// emcc.test.mjs - the same engine built by emscripten (make wasm-emcc) loads in the same shim and
// behaves the same: routing, durable writes, a trap rolled back, an effect round trip.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, call, eventually, localServer, startWorker, tempDir } from "./harness.mjs";

const EMCC_WASM = join(ROOT, "build/wasm-emcc/gastown.wasm");

test("the emscripten build runs the worker", async (t) => {
	assert.ok(readFileSync(EMCC_WASM).length > 0, "run make wasm-emcc first");
	const persist = tempDir(t);
	let mf = startWorker({ persist, wasm: EMCC_WASM });
	const health = await call(mf, "GET", "/health");
	assert.equal(health.status, 200);
	assert.match(health.body.data.built_with, /^emscripten /);

	assert.equal((await call(mf, "PUT", "/api/towns/em/_test/kv/a", { value: "from emcc" })).status, 200);
	const trap = await call(mf, "POST", "/api/towns/em/_test/trap", { key: "b", value: "x", when: "after_commit" });
	assert.equal(trap.status, 500);
	const srv = await localServer(t, (req, res) => res.end("pong"));
	const start = await call(mf, "POST", "/api/towns/em/_test/effects", { url: `${srv.url}/p` });
	const probe = await eventually(async () => {
		const r = await call(mf, "GET", `/api/towns/em/_test/effects/${start.body.data.id}`);
		return r.body.data.state !== "pending" && r.body.data;
	});
	assert.equal(probe.body, "pong");
	await mf.dispose();

	mf = startWorker({ persist, wasm: EMCC_WASM });
	t.after(() => mf.dispose());
	assert.equal((await call(mf, "GET", "/api/towns/em/_test/kv/a")).body.data.value, "from emcc");
	assert.equal((await call(mf, "GET", "/api/towns/em/_test/kv/b")).status, 404);
});
