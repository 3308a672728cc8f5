// e2e-harness.mjs - one town with nothing faked, for the end-to-end tests: the worker in workerd
// with durable state in a temporary folder, the native agent host on loopback running the scripted
// agent through gt, a rig over a bare "origin" repository, and Alice signed in.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { SignJWT } from "jose";
import { eventually, freePort, git, makeOrigin, startWorker, tempDir } from "./harness.mjs";
import { startHost } from "./host-harness.mjs";

export const JWT_SECRET = "e2e-jwt-secret-0123456789abcdef-0123456789";
export const CONTAINER_SECRET = "e2e-container-secret-0123456789abcdef";
export const TOWN = "e2e";


export const script = (...lines) => ["Scripted work.", "", "```gt-script", ...lines, "```", ""].join("\n");

// A town with rig "app" over a fresh origin, the worker and the host wired to each other.
// opts.hostEnv: more of the host's environment (which its agents inherit), PATH for the CLIs say.
export async function setup(t, settings = {}, opts = {}) {
	const dir = tempDir(t);
	const origin = makeOrigin(dir);
	const hostPort = await freePort(), workerPort = await freePort();
	const workerOpts = { port: workerPort, persist: `${dir}/worker-state`, bindings: { GASTOWN_JWT_SECRET: JWT_SECRET,
		GASTOWN_CONTAINER_SECRET: CONTAINER_SECRET, GASTOWN_AGENT_HOST_URL: `http://127.0.0.1:${hostPort}` } };
	const worker = { mf: startWorker(workerOpts) };
	t.after(() => worker.mf.dispose());
	const base = (await worker.mf.ready).toString().replace(/\/$/, "");
	// The runtime goes away and comes back on the same port with the same durable state: stopped
	// as Miniflare stops it, or with kill: true its workerd killed by SIGKILL first, as a crash would.
	const restartWorker = async ({ kill = false } = {}) => {
		if (kill) {
			const pids = execFileSync("pgrep", ["-P", String(process.pid), "-x", "workerd"], { encoding: "utf8" })
				.split("\n").filter(Boolean);
			assert.ok(pids.length > 0, "no workerd child to kill");
			for (const pid of pids) process.kill(Number(pid), "SIGKILL");
		}
		await worker.mf.dispose().catch(() => {});
		worker.mf = startWorker(workerOpts);
		await worker.mf.ready;
	};
	const hostOpts = { townUrl: base, secret: CONTAINER_SECRET, state: `${dir}/host`, heartbeatMs: 1000,
		args: ["--listen", `127.0.0.1:${hostPort}`], env: opts.hostEnv ?? {} };
	const env = { host: await startHost(hostOpts) };
	t.after(() => env.host.stop());
	const alice = { authorization: `Bearer ${await new SignJWT({ sub: "alice", name: "Alice Smith", email: "alice@example.com" })
		.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("2h").sign(new TextEncoder().encode(JWT_SECRET))}` };
	const api = async (method, path, body, headers = alice) => {
		const res = await fetch(`${base}/api/towns/${TOWN}${path}`, { method, headers: { ...headers, "content-type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await res.text();
		let json;
		try { json = JSON.parse(text); } catch { json = undefined; }
		return { status: res.status, body: json, data: json?.data, text };
	};
	assert.equal((await api("POST", "", { name: "E2E" })).status, 201);
	if (Object.keys(settings).length) assert.equal((await api("PATCH", "/settings", { settings })).status, 200);
	assert.equal((await api("POST", "/rigs", { id: "app", git_url: origin, merge_strategy: "direct" })).status, 201);
	const bead = async (title, body, extra = {}) => {
		const r = await api("POST", "/beads", { title, body, held: true, ...extra });
		assert.equal(r.status, 201, r.text);
		return r.data.id;
	};
	const restartHost = async () => { env.host = await startHost(hostOpts); };
	// What the town and the host were doing, for a failure's message.
	const dump = async () => JSON.stringify({ beads: (await api("GET", "/beads?limit=50")).data,
		agents: (await api("GET", "/agents")).data, feed: (await api("GET", "/events?limit=200")).data }, null, 1) +
		`\nhost log:\n${env.host.log()}`;
	const until = async (what, fn, timeoutMs) => {
		try {
			return await eventually(fn, { timeoutMs, everyMs: 250 });
		} catch (err) {
			throw new Error(`${what}: ${err.message}\n${await dump()}`);
		}
	};
	return { dir, base, api, bead, env, restartHost, restartWorker, until, dump, originLog: (fmt) => git(dir, "--git-dir", "origin.git", "log", "main", `--format=${fmt}`) };
}

