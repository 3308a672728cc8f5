// gt-agent.test.mjs - gt as an agent runs it in its worktree: prime, status, done, mail, escalate,
// sling and `gt script`, the scripted agent. The town is a fake one on loopback that records each
// request and answers as the engine would; the git side is real: a bare origin and a clone.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const ROOT = new URL("../..", import.meta.url).pathname;
const GT = join(ROOT, "build/native/gt");
const BEAD = "gt-k2x9";
const BRANCH = "gt/toast/gt-k2x9";

const SCRIPT = [
	"```gt-script",
	"# comments and blank lines are skipped",
	"",
	"write README.md",
	"# Hello",
	".",
	"append docs/notes.txt",
	"one more line",
	".",
	"run test -f README.md && echo \"readme is there\"",
	"commit Add a README",
	"commit Nothing new",
	"status README written",
	"mail mayor README is in",
	"escalate low Need a review",
	"sleep 0",
	"done",
	"```",
].join("\n");

// A town that answers the agent routes; town.prime is the bead prime returns, town.refuse a
// route to answer 409.
async function fakeTown(t) {
	const town = { requests: [], bead: { id: BEAD, title: "Add a README", body: `Please.\n\n${SCRIPT}\n`, type: "task", status: "in_progress" }, refuse: null };
	const server = createServer((req, res) => {
		let raw = "";
		req.on("data", (c) => (raw += c));
		req.on("end", () => {
			const body = raw ? JSON.parse(raw) : undefined;
			town.requests.push({ method: req.method, path: req.url, auth: req.headers.authorization, body });
			const reply = (status, data) => {
				res.writeHead(status, { "content-type": "application/json" });
				res.end(JSON.stringify(status < 300 ? { data } : { error: { code: "conflict", message: data } }));
			};
			const m = req.url.match(/^\/api\/towns\/demo\/agents\/toast\/(\w+)(\?.*)?$/);
			const sling = req.url.match(/^\/api\/towns\/demo\/beads\/([\w-]+)\/sling$/);
			if (!req.headers.authorization?.startsWith("Bearer ")) return reply(401, "no token");
			if (m && m[1] === town.refuse) return reply(409, `the agent does not hold ${BEAD}`);
			if (m && m[1] === "prime" && req.method === "GET")
				return reply(200, {
					agent: { id: "toast", name: "Toast", role: "polecat", rig: "app" },
					bead: town.bead,
					rig: { id: "app", git_url: "https://git.example.com/app.git", default_branch: "main", merge_strategy: "direct" },
					branch: town.bead ? BRANCH : null,
					requested_by: { id: "alice", name: "Alice", email: "alice@example.com" },
					prompt: "You are Toast, a polecat",
					mail: [{ id: "m-1", from: { kind: "user", id: "alice" }, subject: "Mind the tests", body: "Run them.", read_ms: null }],
				});
			if (m && m[1] === "mail" && req.method === "GET")
				return reply(200, [{ id: "m-1", from: { kind: "agent", id: "mayor" }, to: "toast", subject: "Hello", body: "Line one\nLine two", read_ms: null }]);
			if (m && m[1] === "status") return reply(200, { id: "toast", state: "working" });
			if (m && m[1] === "done" && body.diff && town.refuseDiff) {
				res.writeHead(400, { "content-type": "application/json" });
				return res.end(JSON.stringify({ error: { code: "invalid", field: "diff.files[0].path", message: "no" } }));
			}
			if (m && m[1] === "done") return reply(200, { bead: body.bead, status: "review" });
			if (m && m[1] === "mail") return reply(201, { id: "m-2", to: body.to });
			if (m && m[1] === "escalations") return reply(201, { id: "esc-1", severity: body.severity, state: "open" });
			if (sling) return reply(200, { id: sling[1], title: "Add a README", status: "open", rig: body.rig ?? "web" });
			if (req.url === "/api/towns/demo/mail") return reply(201, { id: "m-3", to: body.to });
			reply(404, "no such route");
		});
	});
	await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
	t.after(() => server.close());
	town.url = `http://127.0.0.1:${server.address().port}`;
	town.only = (route) => town.requests.filter((r) => r.path.endsWith(route));
	return town;
}

// A bare origin with a main branch and a clone of it on the polecat's branch: the worktree.
function worktree(t) {
	const dir = mkdtempSync(join(tmpdir(), "gt-agent-"));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const home = join(dir, "home");
	mkdirSync(home);
	const env = {
		PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: "1",
		GIT_AUTHOR_NAME: "Alice", GIT_AUTHOR_EMAIL: "alice@example.com",
		GIT_COMMITTER_NAME: "Toast (Polecat)", GIT_COMMITTER_EMAIL: "toast@demo.agents",
	};
	const git = (cwd, ...args) => execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
	const origin = join(dir, "origin.git"), work = join(dir, "work");
	git(dir, "init", "--quiet", "--bare", "-b", "main", origin);
	git(dir, "clone", "--quiet", origin, work);
	git(work, "commit", "--quiet", "--allow-empty", "-m", "Start");
	git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main");
	git(work, "checkout", "--quiet", "-b", BRANCH);
	const tokenFile = join(dir, "agent-token");
	writeFileSync(tokenFile, "tok-1\n");
	return { dir, work, origin, tokenFile, git, env };
}

function agentEnv(town, w, extra = {}) {
	return {
		...w.env, GASTOWN_URL: town.url, GASTOWN_TOWN: "demo", GASTOWN_AGENT: "toast", GASTOWN_ROLE: "polecat",
		GASTOWN_BEAD: BEAD, GASTOWN_BRANCH: BRANCH, GASTOWN_AGENT_TOKEN_FILE: w.tokenFile,
		GASTOWN_PROMPT: "You are Toast, a polecat", GASTOWN_BASE_BRANCH: "main", ...extra,
	};
}

// Run gt in the worktree without blocking the event loop (the fake town lives in this process).
function gt(args, env, cwd) {
	return new Promise((done) => {
		execFile(GT, args, { env, cwd }, (err, stdout, stderr) => done({ code: err ? err.code : 0, stdout, stderr }));
	});
}

function scriptFile(w, lines) {
	const path = join(w.dir, "script.md");
	writeFileSync(path, ["Some bead.", "```gt-script", ...lines, "```", ""].join("\n"));
	return path;
}

test("gt script follows the bead's gt-script block: files, commit, status, mail, escalation, done", async (t) => {
	const town = await fakeTown(t), w = worktree(t);
	const r = await gt(["script"], agentEnv(town, w, { GASTOWN_TOKEN: "human-token" }), w.work);
	assert.equal(r.code, 0, r.stderr);

	assert.equal(readFileSync(join(w.work, "README.md"), "utf8"), "# Hello\n");
	assert.equal(readFileSync(join(w.work, "docs/notes.txt"), "utf8"), "one more line\n");
	for (const line of ["gt script: write README.md", "gt script: run test -f README.md && echo \"readme is there\"",
		"readme is there", "gt script: commit Add a README", "gt script: nothing to commit, skipped",
		"gt script: status README written", "gt script: sleep 0", "gt script: done", "gt script: finished (10 instructions)"])
		assert.ok(r.stdout.split("\n").includes(line), `missing "${line}" in:\n${r.stdout}`);

	const head = w.git(w.work, "rev-parse", "HEAD");
	assert.equal(w.git(w.work, "log", "-1", "--format=%s|%an|%cn"), "Add a README|Alice|Toast (Polecat)");
	assert.equal(w.git(w.work, "rev-list", "--count", "HEAD"), "2", "the empty commit was skipped");
	assert.equal(w.git(w.origin, "rev-parse", `refs/heads/${BRANCH}`), head, "done pushed the branch to origin");

	assert.deepEqual(town.requests.map((q) => `${q.method} ${q.path}`), [
		"GET /api/towns/demo/agents/toast/prime",
		"POST /api/towns/demo/agents/toast/status",
		"POST /api/towns/demo/agents/toast/mail",
		"POST /api/towns/demo/agents/toast/escalations",
		"POST /api/towns/demo/agents/toast/done",
	]);
	assert.ok(town.requests.every((q) => q.auth === "Bearer tok-1"), "the agent token wins over GASTOWN_TOKEN");
	assert.deepEqual(town.only("/status")[0].body, { message: "README written" });
	assert.deepEqual(town.only("/mail")[0].body, { to: "mayor", subject: "README is in" });
	assert.deepEqual(town.only("/escalations")[0].body, { severity: "low", title: "Need a review", bead: BEAD });
	// What the branch changed against where it left main, in git's numbers (host/diffstat.c).
	const start = w.git(w.work, "rev-parse", "main");
	assert.deepEqual(town.only("/done")[0].body, { bead: BEAD, branch: BRANCH, commit: head, diff: { base: start, head,
		files: [{ path: "README.md", status: "added", additions: 1, deletions: 0, binary: false },
			{ path: "docs/notes.txt", status: "added", additions: 1, deletions: 0, binary: false }],
		// The repository's language at head, from its files: none the table knows here.
		language: "other" } });
});

test("gt done reports without the diff when the town refuses it, and without it when git cannot say", async (t) => {
	const town = await fakeTown(t), w = worktree(t), env = agentEnv(town, w);
	writeFileSync(join(w.work, "a.txt"), "a\n");
	w.git(w.work, "add", "a.txt");
	w.git(w.work, "commit", "-q", "-m", "Add a");
	town.refuseDiff = true;
	const r = await gt(["done"], env, w.work);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stderr, /the town refused the diff report \(diff\.files\[0\]\.path\); reporting without it/);
	const sent = town.only("/done");
	assert.equal(sent.length, 2);
	assert.equal(sent[0].body.diff.files[0].path, "a.txt");
	assert.equal(sent[1].body.diff, undefined);
	// No such base branch: done goes on without a diff.
	const none = await gt(["done"], { ...env, GASTOWN_BASE_BRANCH: "no-such-branch" }, w.work);
	assert.equal(none.code, 0, none.stderr);
	assert.match(none.stderr, /git could not say what the branch changed; reporting without it/);
	assert.equal(town.only("/done").at(-1).body.diff, undefined);
});

test("the token file is read again for every call: between commands and within a script", async (t) => {
	const town = await fakeTown(t), w = worktree(t), env = agentEnv(town, w);

	assert.equal((await gt(["status", "first"], env, w.work)).code, 0);
	writeFileSync(w.tokenFile, "tok-2\n");
	const second = await gt(["status", "second", "try"], env, w.work);
	assert.equal(second.code, 0, second.stderr);
	assert.equal(second.stdout, "status posted\n");
	assert.deepEqual(town.requests.map((q) => [q.auth, q.body.message]), [["Bearer tok-1", "first"], ["Bearer tok-2", "second try"]]);

	town.requests.length = 0;
	const file = scriptFile(w, ["status one", "run printf tok-3 > \"$GASTOWN_AGENT_TOKEN_FILE\"", "status two"]);
	const r = await gt(["script", "--file", file], env, w.work);
	assert.equal(r.code, 0, r.stderr);
	assert.deepEqual(town.requests.map((q) => q.auth), ["Bearer tok-2", "Bearer tok-3"]);

	// A token file that cannot be read is said, not sent as no token.
	rmSync(w.tokenFile);
	const gone = await gt(["status", "x"], env, w.work);
	assert.equal(gone.code, 1);
	assert.match(gone.stderr, /cannot read the agent token from .*agent-token/);
});

test("gt script stops at fail with 1, and at a failed run with its exit status", async (t) => {
	const town = await fakeTown(t), w = worktree(t), env = agentEnv(town, w);

	const failed = await gt(["script", "--file", scriptFile(w, ["write a.txt", "x", ".", "fail tests are red", "status never"])], env, w.work);
	assert.equal(failed.code, 1);
	assert.match(failed.stderr, /gt script: failed: tests are red/);
	assert.ok(existsSync(join(w.work, "a.txt")), "the instructions before fail ran");
	assert.equal(town.requests.length, 0, "nothing after fail ran");

	const ran = await gt(["script", "--file", scriptFile(w, ["run echo out; exit 7", "status never"])], env, w.work);
	assert.equal(ran.code, 7);
	assert.match(ran.stdout, /gt script: run echo out; exit 7\nout\n/);
	assert.match(ran.stderr, /line 1 of the gt-script block: the command failed with exit status 7/);
	assert.equal(town.requests.length, 0);
});

test("gt script refuses a malformed script before running any of it", async (t) => {
	const town = await fakeTown(t), w = worktree(t), env = agentEnv(town, w);
	const refused = async (lines, pattern) => {
		const r = await gt(["script", "--file", scriptFile(w, ["status starting", "write first.txt", "x", ".", ...lines])], env, w.work);
		assert.equal(r.code, 2, `${lines}: ${r.stdout}${r.stderr}`);
		assert.match(r.stderr, pattern);
		assert.equal(r.stdout, "");
		assert.ok(!existsSync(join(w.work, "first.txt")), "nothing ran");
	};

	await refused(["", "frobnicate the thing"], /line 6 of the gt-script block: unknown instruction 'frobnicate'/);
	await refused(["write ../x", "y", "."], /line 5 .*write '\.\.\/x': the path must not contain '\.\.'/);
	await refused(["append docs/../../x", "y", "."], /must not contain '\.\.'/);
	await refused([`write ${join(w.dir, "abs.txt")}`, "y", "."], /must be relative to the worktree/);
	await refused(["write -rf", "y", "."], /must not start with '-'/);
	await refused(["write notes.txt", "no closing dot"], /line 5 .*write notes.txt has no closing line holding only '\.'/);
	await refused(["sleep 601"], /sleep takes whole seconds from 0 to 600, not '601'/);
	await refused(["escalate urgent Help"], /severity is low, medium, high or critical, not 'urgent'/);
	await refused([`status ${"x".repeat(281)}`], /a status is 1 to 280 characters/);
	await refused(["mail mayor"], /mail needs an agent and a text/);
	assert.ok(!existsSync(join(w.dir, "x")) && !existsSync(join(w.dir, "abs.txt")));
	assert.equal(town.requests.length, 0);
});

test("a bead without a gt-script block ends gt script with 3", async (t) => {
	const town = await fakeTown(t), w = worktree(t), env = agentEnv(town, w);

	town.bead = { ...town.bead, body: "Just prose, no script.\n```sh\nmake\n```\n" };
	const none = await gt(["script"], env, w.work);
	assert.equal(none.code, 3);
	assert.match(none.stderr, new RegExp(`${BEAD} has no \`\`\`gt-script block`));

	town.bead = null;
	const idle = await gt(["script"], env, w.work);
	assert.equal(idle.code, 3);
	assert.match(idle.stderr, /no bead is hooked to toast/);

	writeFileSync(join(w.dir, "open.md"), "```gt-script\nstatus hi\n");
	const open = await gt(["script", "--file", join(w.dir, "open.md")], env, w.work);
	assert.equal(open.code, 2);
	assert.match(open.stderr, /no closing ``` line/);
});

test("gt status is checked locally; gt done reports nothing when the push fails", async (t) => {
	const town = await fakeTown(t), w = worktree(t), env = agentEnv(town, w);

	const long = await gt(["status", "x".repeat(300)], env, w.work);
	assert.equal(long.code, 2);
	assert.match(long.stderr, /gt status: a status is 1 to 280 characters .*; this one has 300/);
	assert.equal((await gt(["status", "x".repeat(280)], env, w.work)).code, 0);
	assert.equal(town.requests.length, 1);

	w.git(w.work, "remote", "set-url", "origin", join(w.dir, "nowhere.git"));
	const push = await gt(["done"], env, w.work);
	assert.equal(push.code, 1);
	assert.match(push.stderr, /gt done: pushing gt\/toast\/gt-k2x9 to origin failed \(exit \d+\); nothing was reported/);
	assert.equal(town.only("/done").length, 0);

	w.git(w.work, "remote", "set-url", "origin", w.origin);
	town.refuse = "done";
	const held = await gt(["done", "--summary", "All set"], env, w.work);
	assert.equal(held.code, 1);
	assert.match(held.stderr, /the agent does not hold gt-k2x9 \(409 conflict\)/);
	assert.equal(town.only("/done")[0].body.summary, "All set");

	const refinery = await gt(["done"], { ...env, GASTOWN_ROLE: "refinery" }, w.work);
	assert.equal(refinery.code, 2);
	assert.match(refinery.stderr, /only a polecat reports done/);
});

test("gt prime, mail, escalate and sling", async (t) => {
	const town = await fakeTown(t), w = worktree(t), env = agentEnv(town, w);
	const ok = async (args, e = env) => {
		const r = await gt(args, e, w.work);
		assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
		return r.stdout;
	};

	const prime = await ok(["prime"]);
	assert.match(prime, /^agent   toast \(Toast\), polecat on rig app\n/);
	assert.match(prime, /\nbead    gt-k2x9  Add a README  \(task, in_progress\)\n/);
	assert.match(prime, /\nrig     app  https:\/\/git.example.com\/app.git \(main, merge direct\)\n/);
	assert.match(prime, /\nbranch  gt\/toast\/gt-k2x9\nfor     Alice <alice@example.com>\n/);
	assert.match(prime, /```gt-script\n/);
	assert.match(prime, /\nunread mail \(1\):\nm-1 \*  from user:alice  Mind the tests\n    Run them\.\n/);
	assert.equal(JSON.parse(await ok(["prime", "--json"])).prompt, "You are Toast, a polecat");
	assert.equal(JSON.parse(await ok(["--agent", "toast", "prime", "--json"], { ...env, GASTOWN_AGENT: "" })).bead.id, BEAD);

	assert.equal(await ok(["mail", "inbox"]), "m-1 *  from agent:mayor  Hello\n    Line one\n    Line two\n");
	assert.equal(await ok(["mail", "send", "mayor", "Status", "All green"]), "sent m-2 to mayor\n");
	assert.deepEqual(town.only("/agents/toast/mail").map((q) => [q.method, q.body]),
		[["GET", undefined], ["POST", { to: "mayor", subject: "Status", body: "All green" }]]);
	// A person's mail still goes through the town's mailbox with the person's token.
	const human = { ...env, GASTOWN_AGENT_TOKEN_FILE: "", GASTOWN_TOKEN: "human-token" };
	assert.equal(await ok(["mail", "send", "toast", "Hi", "--body", "Go"], human), "sent m-3 to toast\n");
	assert.deepEqual(town.only("/demo/mail").map((q) => [q.auth, q.body]), [["Bearer human-token", { to: "toast", subject: "Hi", body: "Go" }]]);

	assert.equal(await ok(["escalate", "high", "Tests hang", "--body", "since noon"]), "escalated esc-1 (high)\n");
	assert.deepEqual(town.only("/escalations")[0].body, { severity: "high", title: "Tests hang", body: "since noon", bead: BEAD });
	const sev = await gt(["escalate", "urgent", "x"], env, w.work);
	assert.equal(sev.code, 2);
	assert.match(sev.stderr, /severity is low, medium, high or critical/);

	assert.match(await ok(["sling", BEAD, "app"]), /^gt-k2x9\s+open\s+Add a README  \[app\]\n$/);
	assert.match(await ok(["sling", BEAD]), /\[web\]\n$/);
	assert.deepEqual(town.only("/sling").map((q) => q.body), [{ rig: "app" }, {}]);
	const noAgent = await gt(["status", "hi"], { ...env, GASTOWN_AGENT: "" }, w.work);
	assert.equal(noAgent.code, 2);
	assert.match(noAgent.stderr, /which agent\?/);
});
