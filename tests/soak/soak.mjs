// soak.mjs - the crash soak (docs/reliability.md, issue "Proof under fire" §4): the real worker in
// workerd with durable state, the native agent host running scripted agents through gt, a model
// gateway on loopback, and a driver that keeps the town busy (convoys, single beads under a budget,
// mail, the agents' model calls metered into costs) while it kills workerd and the agent host with
// SIGKILL at random moments and brings them back. The invariants are checked while it runs and at
// the end; the figures go to build/prove/soak.json and the process exits 1 on any violation.
//
//   node tests/soak/soak.mjs [--seconds N] [--agents N] [--seed N] [--out FILE]
//
// `make soak` runs it for 10 minutes with 200 agents; `make test` for 60 s with 24 (test-soak).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { freePort, git, makeOrigin, ROOT, startWorker, tempDir } from "../worker/harness.mjs";
import { startHost } from "../worker/host-harness.mjs";

const { values: opt } = parseArgs({ options: {
	seconds: { type: "string", default: "60" }, agents: { type: "string", default: "24" },
	seed: { type: "string", default: String(Date.now() % 1_000_000) },
	out: { type: "string", default: join(ROOT, "build/prove/soak.json") },
} });
const SECONDS = Number(opt.seconds), AGENTS = Number(opt.agents);
if (!(SECONDS >= 10 && SECONDS <= 86400) || !(AGENTS >= 2 && AGENTS <= 200)) {
	console.error("soak: --seconds 10..86400, --agents 2..200");
	process.exit(2);
}

// A small PRNG, so a run can be repeated from the seed it prints.
let rng = Number(opt.seed) >>> 0 || 1;
const random = () => ((rng = (Math.imul(rng ^ (rng >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (...a) => console.log(`soak ${((Date.now() - T0) / 1000).toFixed(1).padStart(6)}s:`, ...a);
const T0 = Date.now();

const JWT_SECRET = "soak-jwt-secret-0123456789abcdef-0123456789";
const CONTAINER_SECRET = "soak-container-secret-0123456789abcdef";
const TOWN = "soak";
const MODEL = "soak-model";
// One model call per bead: 1000 tokens in, 100 out, at $3/$15 per million = 4500 microdollars.
const CALL_COST = 1000 * 3 + 100 * 15;
// Polecats per rig: the work rigs share the agents; "capped" runs under a budget.
const WORK_RIGS = Math.max(1, Math.ceil((AGENTS - 4) / 50));
const PER_RIG = Math.min(50, Math.ceil((AGENTS - 4) / WORK_RIGS));
const CAPPED_POLECATS = 4;
const BUDGET = 6 * CALL_COST;

const violations = [];
const violate = (what) => {
	if (violations.length < 200) violations.push(what);
	say("VIOLATION:", what);
};

// ---- the pieces ---------------------------------------------------------------------------

const dir = tempDir();
const hostPort = await freePort(), workerPort = await freePort();
// The worker's log lines are kept, the last ones shown with SOAK_VERBOSE: a run prints only its progress.
const workerLog = [];
const keepLog = (stream) => stream.on("data", (chunk) => {
	workerLog.push(...String(chunk).split("\n").filter(Boolean));
	if (workerLog.length > 2000) workerLog.splice(0, workerLog.length - 1000);
});
const workerOpts = { port: workerPort, persist: join(dir, "worker-state"), stdio: (out, err) => { keepLog(out); keepLog(err); }, bindings: {
	GASTOWN_JWT_SECRET: JWT_SECRET, GASTOWN_CONTAINER_SECRET: CONTAINER_SECRET,
	GASTOWN_AGENT_HOST_URL: `http://127.0.0.1:${hostPort}` } };
const worker = { mf: startWorker(workerOpts) };
const base = (await worker.mf.ready).toString().replace(/\/$/, "");

// The gateway: every chat completion costs the same, and is counted.
let modelCalls = 0;
const gateway = createServer((req, res) => {
	req.resume();
	req.on("end", () => {
		modelCalls++;
		res.writeHead(200, { "content-type": "application/json" });
		res.end(JSON.stringify({ id: `c${modelCalls}`, object: "chat.completion", model: MODEL,
			choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
			usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 } }));
	});
});
await new Promise((r) => gateway.listen(0, "127.0.0.1", r));
const gatewayUrl = `http://127.0.0.1:${gateway.address().port}`;

const hostOpts = { townUrl: base, secret: CONTAINER_SECRET, state: join(dir, "host"), heartbeatMs: 1000,
	args: ["--listen", `127.0.0.1:${hostPort}`] };
const env = { host: await startHost(hostOpts) };

const alice = `Bearer ${await new SignJWT({ sub: "alice", name: "Alice", email: "alice@example.com" })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("6h").sign(new TextEncoder().encode(JWT_SECRET))}`;

// One request; {status, data, error} or {status: 0} when the runtime was not there.
async function api(method, path, body, headers = {}) {
	try {
		const res = await fetch(`${base}/api/towns/${TOWN}${path}`, { method, signal: AbortSignal.timeout(15000),
			headers: { authorization: alice, "content-type": "application/json", ...headers },
			body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await res.text();
		let json;
		try { json = JSON.parse(text); } catch { json = undefined; }
		return { status: res.status, data: json?.data, error: json?.error, text };
	} catch (err) {
		return { status: 0, error: { message: String(err.cause?.code ?? err.message) } };
	}
}

// A write the driver counts as acknowledged once it is answered 2xx. Sent with an idempotency key
// and sent again while the runtime is away, as gt does: the same key never writes twice.
let requests = 0;
async function write(method, path, body, { tries = 60 } = {}) {
	const key = `soak-${Date.now().toString(36)}-${between(0, 1e9).toString(36)}`;
	for (let i = 0; i < tries; i++) {
		const r = await api(method, path, body, { "idempotency-key": key });
		requests++;
		if (r.status !== 0 && r.status < 500) return r;
		await sleep(250);
	}
	return { status: 0 };
}

// The origins behind a git daemon, as a real remote is: a push's receive-pack runs on the server's
// side, not in the refinery's session, which a killed host hangs up (a file:// origin would be left
// with the lock of a push cut short, as no real remote is).
const gitPort = await freePort();
const daemon = spawn("git", ["daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--max-connections=0",
	`--base-path=${dir}`, "--listen=127.0.0.1", `--port=${gitPort}`, dir], { stdio: "ignore" });
for (let i = 0; ; i++) {
	const up = await new Promise((resolve) => {
		const sock = connect(gitPort, "127.0.0.1", () => { sock.destroy(); resolve(true); });
		sock.on("error", () => resolve(false));
	});
	if (up) break;
	if (i > 100) throw new Error("soak: git daemon does not listen");
	await sleep(50);
}

// ---- the town ----------------------------------------------------------------------------------

async function must(what, r) {
	if (r.status < 200 || r.status > 299) throw new Error(`soak: ${what}: ${r.status} ${r.text ?? JSON.stringify(r.error)}`);
	return r.data;
}
await must("town", await write("POST", "", { name: "Soak" }));
// A killed host takes its agents with it: the town notices by their missing heartbeats, after
// lost_after_s. The breaker would pause dispatch after so many lost runs, which is its job and not
// what this run measures.
await must("settings", await write("PATCH", "/settings", { settings: { llm_base_url: gatewayUrl, lost_after_s: 10,
	breaker_failures: 0 } }));
await must("price", await write("PUT", `/prices/${MODEL}`, { input_per_mtok: 3_000_000, output_per_mtok: 15_000_000 }));
const rigs = [];
for (let i = 0; i < WORK_RIGS; i++) rigs.push({ id: `r${i}`, polecats: PER_RIG });
rigs.push({ id: "capped", polecats: CAPPED_POLECATS });
for (const rig of rigs) {
	const d = join(dir, rig.id);
	mkdirSync(d);
	makeOrigin(d);
	rig.origin = `git://127.0.0.1:${gitPort}/${rig.id}/origin.git`;
	rig.dir = d;
	await must(`rig ${rig.id}`, await write("POST", "/rigs", { id: rig.id, git_url: rig.origin, max_polecats: rig.polecats,
		settings: { max_attempts: 20 } }));
}
await must("budget", await write("PUT", "/budgets/rig-day/capped", { limit_microusd: BUDGET }));
say(`town up: ${rigs.length} rigs, ${AGENTS} agents at most (${WORK_RIGS}×${PER_RIG} + ${CAPPED_POLECATS} under a ` +
	`$${BUDGET / 1e6} budget), seed ${opt.seed}, ${SECONDS} s`);

// A bead's script: one metered model call, a pause, a file of its own, commit, done.
function beadBody(tag) {
	return ["Soak work.", "", "```gt-script", "status working",
		`run curl -sf -o /dev/null -H "authorization: Bearer $OPENAI_API_KEY" -H "content-type: application/json" ` +
		`-d '{"model":"${MODEL}","messages":[]}' "$OPENAI_BASE_URL/chat/completions"`,
		`sleep ${between(1, 4)}`, `write soak/${tag}.txt`, tag, ".", `commit Soak ${tag}`, "done", "```", ""].join("\n");
}

// ---- what the driver keeps of its acknowledged writes -------------------------------------------

const acked = { beads: new Map(), convoys: new Map(), mail: new Set() };
let convoysRefused = 0, slingsRefusedByBudget = 0;

async function newBead(rig, tag) {
	const r = await write("POST", "/beads", { title: `soak ${tag}`, body: beadBody(tag), rig, held: true });
	if (r.status === 201) acked.beads.set(r.data.id, { title: `soak ${tag}`, rig, tag });
	return r.status === 201 ? r.data.id : null;
}

// Work the town can take: a backlog as deep as its polecats, so the run measures a busy town and
// still settles in bounded time (the monitor keeps the count).
let backlog = 0;
const BACKLOG = WORK_RIGS * PER_RIG;
let seq = 0;
async function workload(until) {
	while (Date.now() < until) {
		if (backlog >= BACKLOG) {
			await sleep(500);
			continue;
		}
		const ids = [];
		const n = between(1, 4);
		for (let i = 0; i < n; i++) {
			const id = await newBead(rigs[between(0, WORK_RIGS - 1)].id, `b${++seq}`);
			if (id) ids.push(id);
		}
		if (ids.length) {
			const mode = random() < 0.3 ? "series" : "fan-out";
			const c = await write("POST", "/convoys", { title: `soak convoy ${seq}`, mode, beads: ids });
			if (c.status === 201) {
				acked.convoys.set(c.data.id, ids);
				const s = await write("POST", `/convoys/${c.data.id}/sling`, {});
				if (s.status !== 200) convoysRefused++;
			}
		}
		// Work under the budget: refused once it is reached, which is the point.
		const capped = await newBead("capped", `c${++seq}`);
		if (capped) {
			const s = await write("POST", `/beads/${capped}/sling`, {});
			if (s.status === 409 && s.error?.reason === "budget_exceeded") slingsRefusedByBudget++;
		}
		await sleep(between(200, 600) * Math.max(1, Math.round(48 / AGENTS)));
	}
}

async function mailer(until) {
	while (Date.now() < until) {
		await sleep(between(1500, 4000));
		const agents = await api("GET", "/agents");
		const polecats = (agents.data ?? []).filter((a) => a.role === "polecat");
		if (!polecats.length || acked.mail.size >= 150) continue;
		const to = polecats[between(0, polecats.length - 1)].id;
		const r = await write("POST", "/mail", { to, subject: `soak ${++seq}`, body: "carry on" });
		if (r.status === 201) acked.mail.add(r.data.id);
	}
}

// ---- invariants while it runs -------------------------------------------------------------------

let samples = 0;
const holding = (b) => ["hooked", "in_progress"].includes(b.status) && b.assignee;
async function checkHooks(beads, agents) {
	const held = new Map();
	for (const b of beads) {
		if (!holding(b)) continue;
		// The full list takes several pages, each its own read: an agent that moved on between two
		// pages shows on both. Only the agent's own beads read at once (one page) can convict it.
		if (held.has(b.assignee)) {
			const own = await api("GET", `/beads?assignee=${encodeURIComponent(b.assignee)}&limit=200`);
			const now = own.status === 200 ? own.data.beads.filter(holding).map((x) => x.id) : [];
			if (now.length > 1) violate(`${b.assignee} holds ${now.join(" and ")} at once`);
		}
		held.set(b.assignee, b.id);
	}
	const onBead = new Map();
	for (const a of agents) {
		if (!a.hook) continue;
		if (onBead.has(a.hook)) violate(`${a.hook} is on the hooks of ${onBead.get(a.hook)} and ${a.id}`);
		onBead.set(a.hook, a.id);
	}
}

async function listBeads() {
	const all = [];
	let cursor = null;
	for (;;) {
		const r = await api("GET", `/beads?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
		if (r.status !== 200) return null;
		all.push(...r.data.beads);
		cursor = r.data.next_cursor;
		if (!cursor) return all;
	}
}

async function monitor(until) {
	while (Date.now() < until) {
		await sleep(500);
		// The processes the host runs: never two on one bead.
		const running = await env.host.call("GET", `/towns/${TOWN}/agents`).catch(() => null);
		if (running?.status === 200) {
			const seen = new Map();
			for (const a of running.body.data) {
				if (a.state !== "running" || !a.bead) continue;
				if (seen.has(a.bead)) violate(`${a.bead} runs twice at once on the host: ${seen.get(a.bead)} and ${a.agent}`);
				seen.set(a.bead, a.agent);
			}
		}
		const [beads, agents] = await Promise.all([listBeads(), api("GET", "/agents")]);
		if (beads && agents.status === 200) {
			await checkHooks(beads, agents.data);
			samples++;
			backlog = beads.filter((b) => b.rig !== "capped" && b.type !== "merge-request" &&
				!["closed", "failed"].includes(b.status)).length;
		}
	}
}

// ---- the killer ---------------------------------------------------------------------------------

const kills = { workerd: 0, host: 0 };
async function restartWorker() {
	const pids = execFileSync("pgrep", ["-P", String(process.pid), "-x", "workerd"], { encoding: "utf8" }).split("\n").filter(Boolean);
	for (const pid of pids) process.kill(Number(pid), "SIGKILL");
	kills.workerd++;
	await worker.mf.dispose().catch(() => {});
	await sleep(between(100, 1500));
	worker.mf = startWorker(workerOpts);
	await worker.mf.ready;
}
const pastHostLogs = [];
async function restartHost() {
	await env.host.kill();
	pastHostLogs.push(env.host.log());
	kills.host++;
	await sleep(between(100, 1500));
	env.host = await startHost(hostOpts);
}
async function killer(until) {
	while (Date.now() < until) {
		await sleep(between(3000, 9000));
		if (Date.now() >= until) break;
		const which = random();
		if (which < 0.45) await restartWorker();
		else if (which < 0.9) await restartHost();
		else await Promise.all([restartWorker(), restartHost()]);
		say(`killed: workerd ${kills.workerd}, host ${kills.host}`);
	}
}

// ---- the run ------------------------------------------------------------------------------------

const until = Date.now() + SECONDS * 1000;
await Promise.all([workload(until), mailer(until), monitor(until), killer(until)]);
say(`workload over: ${acked.beads.size} beads, ${acked.convoys.size} convoys, ${acked.mail.size} mail acknowledged; settling`);

// Settling: no more kills or new work; the convoys run to an end. Each rig's refinery merges one
// bead at a time, so a deep backlog takes its time on a slow machine: the settle lasts while the
// town makes progress (a bead closes, a convoy lands) and ends at a stall of STALL_MS or the cap.
// A convoy still open then is stuck, not slow.
const STALL_MS = 30_000;
const SETTLE_MS = Math.max(60_000, SECONDS * 500, AGENTS * 1500);
const settleCap = Date.now() + 3 * SETTLE_MS;
let lastProgress = Date.now(), progress = "";
let convoys = [];
for (;;) {
	const r = await api("GET", "/convoys");
	const beads = await listBeads();
	if (r.status === 200) {
		convoys = r.data;
		const open = convoys.filter((c) => c.state === "open").length;
		const now = `${open}/${beads ? beads.filter((b) => b.status === "closed").length : "?"}`;
		if (now !== progress) { progress = now; lastProgress = Date.now(); }
		if (!open || Date.now() - lastProgress > STALL_MS || Date.now() > settleCap) break;
	}
	await sleep(1000);
	const agents = await api("GET", "/agents");
	if (beads && agents.status === 200) await checkHooks(beads, agents.data);
}
const settleEnd = Date.now() - lastProgress > STALL_MS ? `the town idle ${STALL_MS / 1000} s` : "still moving at the settle cap";
const settled = Date.now();

// ---- the end checks -------------------------------------------------------------------------

const beads = await listBeads();
if (!beads) throw new Error("soak: the town does not answer at the end");
const byId = new Map(beads.map((b) => [b.id, b]));
let lost = 0;
for (const [id, b] of acked.beads) {
	const found = byId.get(id);
	if (!found) { violate(`acknowledged bead ${id} (${b.title}) is gone`); lost++; }
	else if (found.title !== b.title || found.rig !== b.rig) violate(`bead ${id} changed: ${found.title} on ${found.rig}`);
}
const convoyById = new Map(convoys.map((c) => [c.id, c]));
const endAgents = new Map(((await api("GET", "/agents")).data ?? []).map((a) => [a.id, a]));
const convoyStates = { landed: 0, failed: 0, open: 0 };
for (const [id, ids] of acked.convoys) {
	const c = convoyById.get(id) ?? (await api("GET", `/convoys/${id}`)).data;
	if (!c) { violate(`acknowledged convoy ${id} is gone`); lost++; continue; }
	const members = c.beads.map((b) => b.id).sort().join(",");
	if (members !== [...ids].sort().join(",")) violate(`convoy ${id} holds ${members}, not ${ids.join(",")}`);
	convoyStates[c.state] = (convoyStates[c.state] ?? 0) + 1;
	if (c.state === "open") {
		// Say where each bead of it stands, so a stuck convoy can be diagnosed from the CI log alone.
		const where = c.beads.map((b) => {
			const f = byId.get(b.id);
			const a = f?.assignee && endAgents.get(f.assignee);
			return `${b.id}=${f?.status}${f?.held ? "(held)" : ""}` +
				(a ? `@${a.id}[${a.state}${a.hook ? " hook " + a.hook : ""}]` : f?.assignee ? `@${f.assignee}[gone]` : "");
		}).join(" ");
		violate(`convoy ${id} (${c.mode}) neither landed nor failed (${settleEnd}): ${where}`);
	}
	// A convoy that did not land says why: a failed bead carries its failure.
	if (c.state === "failed")
		for (const b of c.beads)
			if (byId.get(b.id)?.status === "failed" && !byId.get(b.id).failure) violate(`convoy ${id}: ${b.id} failed with no reason`);
}
const mail = await api("GET", "/mail");
const mailIds = new Set((mail.data ?? []).map((m) => m.id));
for (const id of acked.mail) if (!mailIds.has(id)) { violate(`acknowledged mail ${id} is gone`); lost++; }

// Landed once: every bead's commit is on its rig's main at most once.
let landings = 0;
for (const rig of rigs) {
	const subjects = git(rig.dir, "--git-dir", "origin.git", "log", "main", "--format=%s").split("\n");
	const count = new Map();
	for (const s of subjects) if (s.startsWith("Soak ")) count.set(s, (count.get(s) ?? 0) + 1);
	for (const [s, n] of count) {
		landings++;
		if (n > 1) violate(`${s} landed ${n} times on ${rig.id}`);
	}
}
// Each bead's dispatches: at most one run at a time was sampled above; here, a closed bead was
// merged by exactly one merge request.
for (const b of beads) {
	if (b.type !== "merge-request" || b.status !== "closed" || !b.parent) continue;
	const parent = byId.get(b.parent);
	if (parent && parent.status !== "closed") violate(`${b.id} merged ${b.parent}, which is ${parent.status}`);
}

// Costs: the totals are the sum of their records, and no record was made up.
const costs = await api("GET", "/costs?period=all&by=rig");
const total = costs.data?.total;
if (!total) violate(`costs do not answer: ${costs.status}`);
else {
	if (total.cost_microusd !== total.records * CALL_COST)
		violate(`costs: ${total.cost_microusd} µ$ for ${total.records} records of ${CALL_COST} each`);
	const rows = costs.data.rows.reduce((s, r) => s + r.cost_microusd, 0);
	if (rows !== total.cost_microusd) violate(`costs by rig add up to ${rows}, the total is ${total.cost_microusd}`);
	if (total.records > modelCalls) violate(`${total.records} usage records for ${modelCalls} model calls`);
}
const budgets = await api("GET", "/budgets");
const budget = (budgets.data ?? []).find((b) => b.scope === "rig-day" && b.key === "capped");
if (!budget) violate("the budget is gone");
// The limit stops new work; agents already running finish their bead (one call each here). The
// town learns of a call from the host's usage report, which can trail the agent's `gt done` (sent
// by gt itself): a polecat given its next bead then may still have its last run's call unreported.
// So at the moment spend crosses the limit each agent has at most two runs unrecorded.
else if (budget.spend_microusd > BUDGET + 2 * CAPPED_POLECATS * CALL_COST)
	violate(`budget: ${budget.spend_microusd} µ$ spent against ${BUDGET} + two runs of ${CAPPED_POLECATS} agents`);

const statuses = {};
for (const b of beads) statuses[b.status] = (statuses[b.status] ?? 0) + 1;
const failures = [...new Set(beads.filter((b) => b.failure).map((b) => b.failure))].slice(0, 10);
const failed = beads.filter((b) => b.status === "failed").map((b) => ({ id: b.id, type: b.type, failure: b.failure })).slice(0, 10);
// SOAK_VERBOSE=1: the worker's last lines, what went wrong in every host's log, the current host's last lines.
if (process.env.SOAK_VERBOSE) {
	const problems = [...pastHostLogs, env.host.log()].join("\n").split("\n").filter((l) => /fatal|error|refused|lock/i.test(l));
	console.log([...workerLog.slice(-80), "---", ...problems.slice(-80), "---", ...env.host.log().split("\n").slice(-80)].join("\n"));
}
const report = {
	when: new Date().toISOString(), seed: Number(opt.seed), seconds: SECONDS, agents: AGENTS,
	rigs: rigs.map((r) => ({ id: r.id, max_polecats: r.polecats })),
	kills: kills.workerd + kills.host, kills_workerd: kills.workerd, kills_host: kills.host,
	requests, acknowledged: { beads: acked.beads.size, convoys: acked.convoys.size, mail: acked.mail.size },
	lost, samples, landings, convoys: convoyStates, beads: statuses, failed, failures, settle_s: Math.round((settled - until) / 1000),
	model_calls: modelCalls, usage_records: total?.records ?? null, cost_microusd: total?.cost_microusd ?? null,
	budget: budget ? { limit: BUDGET, spend: budget.spend_microusd, slings_refused: slingsRefusedByBudget } : null,
	convoy_slings_refused: convoysRefused, violations: violations.length, first_violations: violations.slice(0, 20),
};
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, `${JSON.stringify(report, null, 1)}\n`);
say(`${report.kills} kills (workerd ${kills.workerd}, host ${kills.host}), ${requests} requests, ` +
	`${acked.beads.size} beads / ${acked.convoys.size} convoys / ${acked.mail.size} mail acknowledged, ${lost} lost; ` +
	`convoys ${JSON.stringify(convoyStates)}; beads ${JSON.stringify(statuses)}; ${landings} landings; ${modelCalls} model calls, ` +
	`${total?.records} usage records; ${violations.length} violations`);

await env.host.stop();
await worker.mf.dispose().catch(() => {});
gateway.close();
daemon.kill();
process.exit(violations.length ? 1 : 0);
