// host.test.mjs - the native agent host (gastown-host) against a stand-in town and a real bare git
// origin: signatures, a command agent in its worktree with its identity and trailers, heartbeats,
// token refresh, stop and restart, messages, and the refinery's merge (merged, conflict, failed gate).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { eventually, tempDir } from "./harness.mjs";
import { fakeTown, sign, startHost } from "./host-harness.mjs";

const SECRET = "host-test-secret-0123456789abcdef0123456789";
const WAIT = { timeoutMs: 20000, everyMs: 50 };

// git as the tests use it: no user or system config, a fixed identity for setup commits.
function gitEnv(home) {
	return { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "Setup",
		GIT_AUTHOR_EMAIL: "setup@example.com", GIT_COMMITTER_NAME: "Setup", GIT_COMMITTER_EMAIL: "setup@example.com" };
}

function git(dir, home, ...args) {
	return execFileSync("git", args, { cwd: dir, env: gitEnv(home), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

// A bare origin with one commit on main, and a seed clone to push branches from.
function makeOrigin(dir) {
	const home = join(dir, "home");
	const origin = join(dir, "origin.git");
	const seed = join(dir, "seed");
	execFileSync("mkdir", ["-p", home]);
	git(dir, home, "init", "-q", "--bare", "-b", "main", origin);
	git(dir, home, "clone", "-q", `file://${origin}`, seed);
	git(seed, home, "checkout", "-q", "-b", "main");
	execFileSync("sh", ["-c", "printf 'hello\\n' > README.md"], { cwd: seed });
	git(seed, home, "add", "README.md");
	git(seed, home, "commit", "-q", "-m", "Initial commit");
	git(seed, home, "push", "-q", "origin", "main");
	return { home, origin, seed, url: `file://${origin}`, git: (d, ...a) => git(d, home, ...a) };
}

async function setup(t, { respond, heartbeatMs = 200 } = {}) {
	const dir = tempDir(t);
	const repo = makeOrigin(dir);
	const town = await fakeTown(t, respond);
	const state = join(dir, "state");
	const host = await startHost({ townUrl: town.url, secret: SECRET, state, heartbeatMs,
		env: { HOME: repo.home, GIT_CONFIG_NOSYSTEM: "1" } });
	t.after(async () => {
		const { code } = await host.stop();
		assert.equal(code, 0, host.log());
	});
	return { dir, repo, town, host, state };
}

function startBody(repo, o = {}) {
	const agent = o.agent ?? "toast";
	const bead = o.bead ?? "gt-k2x9";
	return {
		agent: { id: agent, name: o.name ?? "Toast", role: o.role ?? "polecat", rig: "app" },
		bead: { id: bead, title: o.title ?? "Add a README", body: "", type: "task" },
		rig: { id: "app", git_url: repo.url, default_branch: "main", merge_strategy: "direct", gates: o.gates ?? [] },
		branch: o.branch ?? `gt/${agent}/${bead}`,
		requested_by: { id: "alice", name: "Alice", email: "alice@example.com" },
		token: o.token ?? "tok-1",
		token_expires_ms: o.tokenExpiresMs ?? Date.now() + 3600_000,
		runtime: o.command ? { kind: "command", command: o.command } : { kind: "scripted" },
		prompt: "You are Toast, a polecat.",
		model: o.model ?? null,
		review: o.review ?? null,
	};
}

const startPath = (agent) => `/towns/demo/agents/${agent}/start`;

test("the host refuses unsigned, wrongly signed and stale requests, and starts nothing", async (t) => {
	const { repo, town, host } = await setup(t);
	const health = await host.call("GET", "/health", undefined, { signature: null });
	assert.equal(health.status, 200);
	assert.equal(health.body.data.status, "ok");

	const body = JSON.stringify(startBody(repo, { command: "echo should-not-run" }));
	const unsigned = await host.call("POST", startPath("toast"), body, { signature: null });
	assert.equal(unsigned.status, 401);
	assert.equal(unsigned.body.error.code, "unauthenticated");
	const wrongKey = await host.call("POST", startPath("toast"), body, { secret: `${SECRET}-not` });
	assert.equal(wrongKey.status, 401);
	// Signed for another body or another path: refused.
	const otherBody = await host.call("POST", startPath("toast"), body, { signature: sign(SECRET, "POST", startPath("toast"), "{}") });
	assert.equal(otherBody.status, 401);
	const otherPath = await host.call("POST", startPath("toast"), body, { signature: sign(SECRET, "POST", startPath("nux"), body) });
	assert.equal(otherPath.status, 401);
	const stale = await host.call("POST", startPath("toast"), body, { t: Date.now() - 301_000 });
	assert.equal(stale.status, 401);
	assert.equal(stale.body.error.reason, "stale");
	const future = await host.call("POST", startPath("toast"), body, { t: Date.now() + 301_000 });
	assert.equal(future.status, 401);
	const garbage = await host.call("POST", startPath("toast"), body, { signature: "t=1,v1=zz" });
	assert.equal(garbage.status, 401);

	const list = await host.call("GET", "/towns/demo/agents");
	assert.equal(list.status, 200);
	assert.deepEqual(list.body.data, []);
	const listUnsigned = await host.call("GET", "/towns/demo/agents", undefined, { signature: null });
	assert.equal(listUnsigned.status, 401);

	// Signed but malformed: the error envelope.
	const badJson = await host.call("POST", startPath("toast"), "{not json");
	assert.equal(badJson.status, 400);
	assert.equal(badJson.body.error.code, "bad_json");
	const badId = await host.call("POST", startPath("toast"), { ...startBody(repo, { command: "true" }), branch: "../escape" });
	assert.equal(badId.status, 400);
	assert.equal(badId.body.error.field, "branch");
	const noRoute = await host.call("POST", "/towns/demo/agents/toast/fly", {});
	assert.equal(noRoute.status, 404);

	await new Promise((r) => setTimeout(r, 300));
	assert.equal(town.requests.length, 0, "nothing ran, so nothing reached the town");
	assert.deepEqual((await host.call("GET", "/towns/demo/agents")).body.data, []);
});

test("a command agent works in its worktree on its branch, with its identity and the bead's trailers", async (t) => {
	const { repo, town, host, state } = await setup(t);
	const command = [
		"echo hello",
		"git rev-parse --abbrev-ref HEAD",
		"pwd",
		"echo \"bead=$GASTOWN_BEAD town=$GASTOWN_TOWN role=$GASTOWN_ROLE model=$GASTOWN_MODEL\"",
		"echo 'work' > work.txt && git add work.txt && git commit -q -m 'Do the work'",
		"echo oops >&2",
		"sleep 1.5",
		"echo \"token=$(cat \"$GASTOWN_AGENT_TOKEN_FILE\")\"",
	].join("\n");
	// A token that expires soon: the host refreshes it after 2/3 of its life.
	const body = startBody(repo, { command, model: "test-model", tokenExpiresMs: Date.now() + 1500 });
	const res = await host.call("POST", startPath("toast"), body);
	assert.equal(res.status, 202, res.text);
	assert.deepEqual(res.body.data, { agent: "toast", bead: "gt-k2x9", state: "starting" });

	const again = await host.call("POST", startPath("toast"), body);
	assert.equal(again.status, 200, "the same bead again is a no-op");
	assert.equal(again.body.data.state, "running");
	const listed = await host.call("GET", "/towns/demo/agents");
	assert.equal(listed.body.data.length, 1);
	assert.equal(listed.body.data[0].agent, "toast");
	assert.equal(listed.body.data[0].bead, "gt-k2x9");
	assert.equal(listed.body.data[0].state, "running");
	assert.ok(listed.body.data[0].pid > 0);

	const tokenFile = join(state, "towns/demo/agents/toast/token");
	await eventually(() => existsSync(tokenFile), WAIT);
	assert.equal(statSync(tokenFile).mode & 0o777, 0o600);

	const completed = await eventually(() => town.of("toast", "completed")[0], WAIT);
	assert.deepEqual(completed.body, { bead: "gt-k2x9", exit_code: 0 });

	const work = join(state, "towns/demo/agents/toast/work");
	const lines = town.lines("toast");
	assert.ok(lines.includes("hello"), lines.join("\n"));
	assert.ok(lines.includes("gt/toast/gt-k2x9"), "on the bead's branch");
	assert.ok(lines.includes(work), "in the agent's worktree");
	assert.ok(lines.includes("bead=gt-k2x9 town=demo role=polecat model=test-model"));
	assert.ok(lines.includes("token=refreshed-1"), "the token file holds the refreshed token");
	const errors = town.of("toast", "events").flatMap((r) => r.body.events).filter((e) => e.type === "error");
	assert.ok(errors.some((e) => e.text === "oops"), "stderr lines are error events");
	for (const ev of town.of("toast", "events").flatMap((r) => r.body.events)) assert.equal(typeof ev.at_ms, "number");

	// Heartbeats carry the bead and the current token; the refresh used the first one.
	const beats = town.of("toast", "heartbeat");
	assert.ok(beats.length >= 2, `heartbeats: ${beats.length}`);
	assert.deepEqual(beats[0].body, { bead: "gt-k2x9" });
	assert.equal(beats[0].auth, "Bearer tok-1");
	assert.equal(town.of("toast", "token/refresh")[0].auth, "Bearer tok-1");
	assert.equal(beats.at(-1).auth, "Bearer refreshed-1");
	assert.equal(completed.auth, "Bearer refreshed-1");
	// The end is reported after the last output.
	const lastEvents = town.of("toast", "events").at(-1);
	assert.ok(town.requests.indexOf(lastEvents) < town.requests.indexOf(completed));

	// The commit: the requester is the author, the agent the committer, the trailers from the hook.
	const log = repo.git(work, "log", "-1", "--format=%an <%ae>%n%cn <%ce>%n%B");
	const [author, committer, ...message] = log.split("\n");
	assert.equal(author, "Alice <alice@example.com>");
	assert.equal(committer, "Toast (Polecat) <toast@demo.agents>");
	const text = message.join("\n");
	assert.match(text, /^Do the work\n/);
	assert.match(text, /^Requested-by: Alice <alice@example.com>$/m);
	assert.match(text, /^Co-authored-by: Toast \(Polecat\) <toast@demo.agents>$/m);
	assert.match(text, /^Bead-ID: gt-k2x9$/m);
	assert.match(text, /^Model: test-model$/m);
	assert.equal(repo.git(work, "rev-parse", "--abbrev-ref", "HEAD"), "gt/toast/gt-k2x9");
	assert.deepEqual((await host.call("GET", "/towns/demo/agents")).body.data, []);

	// Dispatched again on the same bead: the branch keeps its commit.
	const redo = startBody(repo, { command: "git log --format=%s -1" });
	assert.equal((await host.call("POST", startPath("toast"), redo)).status, 202);
	await eventually(() => town.of("toast", "completed")[1], WAIT);
	assert.ok(town.lines("toast").filter((l) => l === "Do the work").length >= 1);
});

test("a heartbeat answered 409 makes the host stop the agent", async (t) => {
	let refuse = false;
	const { repo, town, host } = await setup(t, {
		respond: (r) => (refuse && r.what === "heartbeat" && r.agent === "nux"
			? { status: 409, body: { error: { code: "conflict", reason: "not_holder", message: "not yours" } } }
			: undefined),
	});
	const res = await host.call("POST", startPath("nux"), startBody(repo, { agent: "nux", name: "Nux", command: "echo up; sleep 30" }));
	assert.equal(res.status, 202, res.text);
	await eventually(() => town.lines("nux").includes("up") && town.of("nux", "heartbeat").length > 0, WAIT);
	refuse = true;
	const completed = await eventually(() => town.of("nux", "completed")[0], WAIT);
	assert.equal(completed.body.exit_code, 143, "ended by TERM");
	assert.match(completed.body.reason, /409/);
	assert.deepEqual((await host.call("GET", "/towns/demo/agents")).body.data, []);
});

test("a town that never answers heartbeats and refreshes slows neither the host's answers nor the agents' reports", async (t) => {
	const hung = new Promise(() => {}); // the town takes these calls and never answers
	const { repo, town, host } = await setup(t, {
		respond: (r) => (r.what === "heartbeat" || r.what === "token/refresh" ? hung : undefined),
	});
	const body = startBody(repo, { command: "echo ready; read line; echo \"got: $line\"; sleep 30",
		tokenExpiresMs: Date.now() + 1500 });
	assert.equal((await host.call("POST", startPath("toast"), body)).status, 202);
	await eventually(() => town.lines("toast").includes("ready") && town.of("toast", "heartbeat").length &&
		town.of("toast", "token/refresh").length, WAIT);
	// Every answer of the host's comes at once while those calls hang (each would block for 10 s).
	let slowest = 0;
	for (let i = 0; i < 20; i++) {
		const at = Date.now();
		assert.equal((await host.call("GET", "/towns/demo/agents")).status, 200);
		slowest = Math.max(slowest, Date.now() - at);
		await new Promise((r) => setTimeout(r, 50));
	}
	assert.ok(slowest < 1000, `the slowest answer took ${slowest} ms`);
	// The agent's input and its reports go on meanwhile.
	assert.equal((await host.call("POST", "/towns/demo/agents/toast/message", { kind: "nudge", text: "on" })).status, 200);
	await eventually(() => town.lines("toast").includes("got: [nudge] on"), { timeoutMs: 3000, everyMs: 50 });
	// One heartbeat and one refresh in flight, not one per interval piling up behind them.
	assert.equal(town.of("toast", "heartbeat").length, 1);
	assert.equal(town.of("toast", "token/refresh").length, 1);
	assert.equal((await host.call("POST", "/towns/demo/agents/toast/stop", { reason: "test over" })).status, 200);
	const stopped = await eventually(() => town.of("toast", "completed")[0], { timeoutMs: 3000, everyMs: 50 });
	assert.equal(stopped.body.reason, "stopped: test over");
});

test("messages reach the agent's input; a start on another bead stops the first; stop keeps the worktree", async (t) => {
	const { repo, town, host, state } = await setup(t);
	const first = startBody(repo, { bead: "gt-a", command: "echo ready; read line; echo \"got: $line\"; sleep 30" });
	assert.equal((await host.call("POST", startPath("toast"), first)).status, 202);
	await eventually(() => town.lines("toast").includes("ready"), WAIT);

	const msg = await host.call("POST", "/towns/demo/agents/toast/message", { kind: "nudge", text: "hurry\nup" });
	assert.equal(msg.status, 200, msg.text);
	await eventually(() => town.lines("toast").includes("got: [nudge] hurry up"), WAIT);
	const badKind = await host.call("POST", "/towns/demo/agents/toast/message", { kind: "shout", text: "x" });
	assert.equal(badKind.status, 400);
	const nobody = await host.call("POST", "/towns/demo/agents/nobody/message", { kind: "nudge", text: "x" });
	assert.equal(nobody.status, 404);

	// Another bead: the first process ends (reported), then the second starts in the same worktree.
	const second = startBody(repo, { bead: "gt-b", command: "echo second; git rev-parse --abbrev-ref HEAD; sleep 30" });
	const res = await host.call("POST", startPath("toast"), second);
	assert.equal(res.status, 202, res.text);
	const ended = await eventually(() => town.of("toast", "completed")[0], WAIT);
	assert.equal(ended.body.bead, "gt-a");
	assert.equal(ended.body.exit_code, 143);
	assert.match(ended.body.reason, /restarted on gt-b/);
	await eventually(() => town.lines("toast").includes("gt/toast/gt-b"), WAIT);
	const listed = (await host.call("GET", "/towns/demo/agents")).body.data;
	assert.equal(listed.length, 1);
	assert.equal(listed[0].bead, "gt-b");

	const stop = await host.call("POST", "/towns/demo/agents/toast/stop", { reason: "test over" });
	assert.equal(stop.status, 200);
	const stopped = await eventually(() => town.of("toast", "completed")[1], WAIT);
	assert.deepEqual(stopped.body, { bead: "gt-b", exit_code: 143, reason: "stopped: test over" });
	assert.ok(existsSync(join(state, "towns/demo/agents/toast/work/README.md")), "the worktree stays");
	const after = await host.call("POST", "/towns/demo/agents/toast/message", { kind: "nudge", text: "x" });
	assert.equal(after.status, 404);
	const again = await host.call("POST", "/towns/demo/agents/toast/stop", {});
	assert.equal(again.status, 200, "stopping what is not running is fine");
	// The first bead's branch is still there, with nothing lost.
	assert.equal(repo.git(join(state, "towns/demo/rigs/app/repo"), "rev-parse", "--verify", "-q", "refs/heads/gt/toast/gt-a").length, 40);
});

test("SIGTERM to the host stops its agents, reports them, and exits 0", async (t) => {
	const { repo, town, host } = await setup(t);
	assert.equal((await host.call("POST", startPath("toast"), startBody(repo, { command: "echo up; sleep 30" }))).status, 202);
	await eventually(() => town.lines("toast").includes("up"), WAIT);
	const { code } = await host.stop();
	assert.equal(code, 0);
	const completed = town.of("toast", "completed")[0];
	assert.ok(completed, "completed was sent before exiting");
	assert.match(completed.body.reason, /shutting down/);
});

test("lock files a killed host's git left in the rig's clone are cleared by the next host", async (t) => {
	const dir = tempDir(t);
	const repo = makeOrigin(dir);
	const town = await fakeTown(t);
	const state = join(dir, "state");
	const opts = { townUrl: town.url, secret: SECRET, state, heartbeatMs: 200, env: { HOME: repo.home, GIT_CONFIG_NOSYSTEM: "1" } };
	const first = await startHost(opts);
	assert.equal((await first.call("POST", startPath("toast"), startBody(repo, { command: "echo up; sleep 30" }))).status, 202);
	await eventually(() => town.lines("toast").includes("up"), WAIT);
	await first.kill();
	// What a git cut short by SIGHUP (its session's leader died with the host) leaves behind.
	const clone = join(state, "towns/demo/rigs/app/repo/.git");
	const locks = [join(clone, "config.lock"), join(clone, "index.lock"), join(clone, "refs/heads/gt/toast/gt-k2x9.lock")];
	for (const f of locks) writeFileSync(f, "");
	const second = await startHost(opts);
	t.after(() => second.stop());
	for (const f of locks) assert.ok(!existsSync(f), `${f} is still there\n${second.log()}`);
	assert.match(second.log(), /removed .*config\.lock/);
	// The clone works again: a new bead on a new branch (which writes the clone's config) runs.
	assert.equal((await second.call("POST", startPath("birch"), startBody(repo, { agent: "birch", bead: "gt-b2", command: "echo fine" }))).status, 202);
	const done = await eventually(() => town.of("birch", "completed")[0], WAIT);
	assert.deepEqual(done.body, { bead: "gt-b2", exit_code: 0 }, second.log());
});

// The refinery's tests: a work branch pushed to origin the way a polecat's `gt done` does.
function pushBranch(repo, branch, file, content, from = "main") {
	repo.git(repo.seed, "fetch", "-q", "origin");
	repo.git(repo.seed, "checkout", "-q", "-B", branch, `origin/${from}`);
	execFileSync("sh", ["-c", `printf '%s\\n' "$1" > "$2"`, "sh", content, file], { cwd: repo.seed });
	repo.git(repo.seed, "add", file);
	repo.git(repo.seed, "commit", "-q", "-m", `Change ${file}`);
	repo.git(repo.seed, "push", "-q", "origin", branch);
}

function refineryBody(repo, { mr, bead, branch, gates = [] }) {
	return startBody(repo, {
		agent: "refinery", name: "Refinery", role: "refinery", bead: mr, title: `Work of ${bead}`, gates,
		token: "tok-ref",
		review: { bead, branch, target: "main", author: { name: "Alice", email: "alice@example.com" }, agent_name: "Toast" },
	});
}

test("the refinery merges a pushed branch with --no-ff, runs the gates and reports done merged", async (t) => {
	const { repo, town, host } = await setup(t);
	pushBranch(repo, "gt/toast/gt-k2x9", "feature.txt", "a feature");
	const res = await host.call("POST", startPath("refinery"), refineryBody(repo, {
		mr: "gt-mr1", bead: "gt-k2x9", branch: "gt/toast/gt-k2x9",
		gates: ["test -f feature.txt", "echo gate ran", "sleep 0.5"], // long enough for a heartbeat
	}));
	assert.equal(res.status, 202, res.text);
	const done = await eventually(() => town.of("refinery", "done")[0], WAIT);
	assert.equal(done.body.outcome, "merged", `${JSON.stringify(done.body)}\n${town.lines("refinery").join("\n")}`);
	assert.equal(done.body.bead, "gt-mr1");
	assert.equal(done.auth, "Bearer tok-ref");
	const sha = done.body.commit;
	assert.match(sha, /^[0-9a-f]{40}$/);
	assert.equal(repo.git(repo.origin, "rev-parse", "main"), sha, "origin's main is the merge");

	const info = repo.git(repo.origin, "log", "-1", "--format=%P%n%an <%ae>%n%cn <%ce>%n%B", sha).split("\n");
	assert.equal(info[0].split(" ").length, 2, "a merge commit (--no-ff)");
	assert.equal(info[1], "Alice <alice@example.com>");
	assert.equal(info[2], "Refinery (Refinery) <refinery@demo.agents>");
	const message = info.slice(3).join("\n");
	assert.match(message, /^Merge gt\/toast\/gt-k2x9 \(Work of gt-k2x9\)\n/);
	assert.match(message, /^Requested-by: Alice <alice@example.com>$/m);
	assert.match(message, /^Bead-ID: gt-k2x9$/m);
	assert.equal((message.match(/^Bead-ID:/gm) ?? []).length, 1);

	const completed = await eventually(() => town.of("refinery", "completed")[0], WAIT);
	assert.deepEqual(completed.body, { bead: "gt-mr1", exit_code: 0 });
	assert.ok(town.requests.indexOf(done) < town.requests.indexOf(completed), "done comes before completed");
	assert.ok(town.lines("refinery").includes("gate ran"), "the gates' output is the refinery's output");
	assert.ok(town.of("refinery", "heartbeat").length >= 1);
	assert.deepEqual(town.of("refinery", "heartbeat")[0].body, { bead: "gt-mr1" });
});

test("the refinery reports a conflict, and a failing gate, leaving origin's main as it was", async (t) => {
	const { repo, town, host } = await setup(t);
	pushBranch(repo, "gt/toast/gt-c1", "README.md", "from the branch");
	pushBranch(repo, "main", "README.md", "from main"); // main moves on: the branch now conflicts
	const before = repo.git(repo.origin, "rev-parse", "main");

	assert.equal((await host.call("POST", startPath("refinery"), refineryBody(repo, {
		mr: "gt-mr2", bead: "gt-c1", branch: "gt/toast/gt-c1",
	}))).status, 202);
	const conflict = await eventually(() => town.of("refinery", "done")[0], WAIT);
	assert.equal(conflict.body.bead, "gt-mr2");
	assert.equal(conflict.body.outcome, "conflict", JSON.stringify(conflict.body));
	assert.match(conflict.body.reason, /README\.md/);
	assert.equal(conflict.body.commit, undefined);
	await eventually(() => town.of("refinery", "completed")[0], WAIT);
	assert.equal(repo.git(repo.origin, "rev-parse", "main"), before);

	pushBranch(repo, "gt/toast/gt-g1", "other.txt", "fine");
	assert.equal((await host.call("POST", startPath("refinery"), refineryBody(repo, {
		mr: "gt-mr3", bead: "gt-g1", branch: "gt/toast/gt-g1", gates: ["true", "exit 3"],
	}))).status, 202);
	const failed = await eventually(() => town.of("refinery", "done")[1], WAIT);
	assert.equal(failed.body.bead, "gt-mr3");
	assert.equal(failed.body.outcome, "failed");
	assert.match(failed.body.reason, /gate `exit 3` failed \(exit 3\)/);
	await eventually(() => town.of("refinery", "completed")[1], WAIT);
	assert.equal(repo.git(repo.origin, "rev-parse", "main"), before);

	// A branch that is not on origin is a failure too, not a hang.
	assert.equal((await host.call("POST", startPath("refinery"), refineryBody(repo, {
		mr: "gt-mr4", bead: "gt-x1", branch: "gt/toast/gt-x1",
	}))).status, 202);
	const missing = await eventually(() => town.of("refinery", "done")[2], WAIT);
	assert.equal(missing.body.outcome, "failed");
	assert.match(missing.body.reason, /not on origin/);
});

test("the refinery merges again over the new main when its push is refused", async (t) => {
	const { dir, repo, town, host } = await setup(t);
	pushBranch(repo, "gt/toast/gt-r1", "feature.txt", "a feature");
	// The first time the gate runs, someone else pushes to main: the refinery's push is refused.
	const race = `if [ ! -e '${dir}/raced' ]; then touch '${dir}/raced' && git clone -q '${repo.url}' '${dir}/race' && ` +
		`cd '${dir}/race' && echo race > race.txt && git add race.txt && git commit -q -m 'Meanwhile' && git push -q origin HEAD:main; fi`;
	assert.equal((await host.call("POST", startPath("refinery"), refineryBody(repo, {
		mr: "gt-mr5", bead: "gt-r1", branch: "gt/toast/gt-r1", gates: [race],
	}))).status, 202);
	const done = await eventually(() => town.of("refinery", "done")[0], WAIT);
	assert.equal(done.body.outcome, "merged", `${JSON.stringify(done.body)}\n${town.lines("refinery").join("\n")}`);
	assert.equal(repo.git(repo.origin, "rev-parse", "main"), done.body.commit);
	assert.equal(repo.git(repo.origin, "log", "-1", "--format=%s", `${done.body.commit}^1`), "Meanwhile");
	assert.ok(town.lines("refinery").some((l) => /push refused/.test(l)));
});
