// hooks.test.mjs - the town hears GitHub, GitLab and Slack through the real worker in workerd:
// integrations (secrets write-only), signed deliveries taken once, the rules that make beads, and
// the answers posted back to fakes that check every request against the platforms' descriptions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, eventually, operator, startWorker } from "./harness.mjs";
import { startFakeGitHub, startFakeGitLab, startFakeSlack } from "./fake-platforms.mjs";
import { githubDelivery, githubExamples, gitlabDelivery, slackDelivery } from "./webhooks.mjs";

const SECRET = "hooks-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key)}` });
const digest = async (mf, town) =>
	(await call(mf, "GET", `/api/towns/${town}/debug/storage`, undefined, operator)).body.data.digest;
// The digest once answers still coming back from the platforms (effect results) have landed.
async function settled(mf, town) {
	let last = await digest(mf, town);
	for (;;) {
		await new Promise((r) => setTimeout(r, 300));
		const now = await digest(mf, town);
		if (now === last) return now;
		last = now;
	}
}
const sarah = await as("sarah"); // every test town's owner
// What became of a delivery once the alarm applied it (GET .../integrations/:platform/deliveries/:id).
const applied = (mf, town, platform, id) => eventually(async () => {
	const g = await call(mf, "GET", `/api/towns/${town}/integrations/${platform}/deliveries/${encodeURIComponent(id)}`, undefined, sarah);
	assert.equal(g.status, 200, g.text);
	return g.body.data.outcome !== "queued" && g.body.data;
});
// A delivery is answered once it is verified and stored ("queued", 202); the rules apply it on the
// alarm. This posts it and, when it was queued, answers with what became of it.
async function deliver(mf, town, platform, d) {
	const r = await call(mf, "POST", `/api/towns/${town}/hooks/${platform}`, d.body, d.headers);
	if (r.body?.data?.outcome !== "queued") return r;
	return { ...r, queued: r.body.data, body: { data: await applied(mf, town, platform, r.body.data.delivery) } };
}

const HOOK_SECRET = "whsec-github-0123456789abcdef";
const GH_TOKEN = "ghp_tokenvalue0123456789abcdef";
const GL_HOOK = "gitlab-hook-token-0123456789";
const GL_TOKEN = "glpat-tokenvalue0123456789";
const SLACK_SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
const SLACK_TOKEN = "xoxb-fake";

async function town(t, name = "acme", bindings = {}) {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET, ...bindings } });
	t.after(() => mf.dispose());
	const owner = await as("sarah"), member = await as("bob"), viewer = await as("vic"), outsider = await as("olga");
	await call(mf, "POST", `/api/towns/${name}`, { name: "Acme" }, owner);
	await call(mf, "PUT", `/api/towns/${name}/members/bob`, { role: "member" }, owner);
	await call(mf, "PUT", `/api/towns/${name}/members/vic`, { role: "viewer" }, owner);
	return { mf, owner, member, viewer, outsider, T: `/api/towns/${name}` };
}

test("integrations: admins connect, secrets are never shown, bad input changes nothing", async (t) => {
	const { mf, owner, member, viewer, outsider, T } = await town(t);
	const put = (p, body, who = owner) => call(mf, "PUT", `${T}/integrations/${p}`, body, who);
	const before = await digest(mf, "acme");
	assert.equal((await put("github", { secrets: { webhook_secret: HOOK_SECRET } }, member)).status, 403);
	assert.equal((await put("github", { secrets: { webhook_secret: HOOK_SECRET } }, outsider)).status, 404);
	assert.equal((await put("jira", {})).status, 404);
	for (const [body, field] of [
		[{ secrets: { password: "x" } }, "secrets"],
		[{ secrets: { webhook_secret: 7 } }, "secrets"],
		[{ secrets: { webhook_secret: "" } }, "secrets"],
		[{ settings: { api_url: "ftp://x" } }, "settings"],
		[{ settings: { colour: "red" } }, "settings"],
		[{ settings: { command: "gastown" } }, "settings"],
		[{ owner: "olga" }, "owner"],
		[{ settings: "x" }, "settings"],
	]) {
		const r = await put("github", body);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.body.error.field, field, r.text);
	}
	assert.equal((await call(mf, "PUT", `${T}/integrations/github`, "{not json", owner)).status, 400);
	assert.equal(await digest(mf, "acme"), before, "refusals leave no trace");

	const made = await put("github", { secrets: { webhook_secret: HOOK_SECRET, token: GH_TOKEN }, settings: { dashboard_url: "https://town.example" } });
	assert.equal(made.status, 200, made.text);
	const gh = made.body.data.github;
	assert.deepEqual(gh.secrets, { webhook_secret: true, token: true, private_key: false });
	assert.equal(gh.owner, "sarah");
	assert.equal(gh.hook_path, "/api/towns/acme/hooks/github");
	assert.equal(made.body.data.gitlab, null);
	const seen = await call(mf, "GET", `${T}/integrations`, undefined, member);
	assert.equal(seen.status, 200);
	assert.equal((await call(mf, "GET", `${T}/integrations`, undefined, viewer)).status, 403);
	const feed = await call(mf, "GET", `${T}/events`, undefined, owner);
	for (const text of [made.text, seen.text, feed.text])
		assert.ok(!text.includes(HOOK_SECRET) && !text.includes(GH_TOKEN), "a secret is never returned");

	// Logins map to members; only members can be mapped.
	assert.equal((await call(mf, "PUT", `${T}/integrations/github/logins/bob-gh`, { user: "olga" }, owner)).status, 400);
	assert.equal((await call(mf, "PUT", `${T}/integrations/gitlab/logins/bob-gh`, { user: "bob" }, owner)).status, 404);
	const mapped = await call(mf, "PUT", `${T}/integrations/github/logins/bob-gh`, { user: "bob" }, owner);
	assert.deepEqual(mapped.body.data.github.logins, [{ login: "bob-gh", user: "bob" }]);
	assert.equal((await call(mf, "DELETE", `${T}/integrations/github/logins/nobody`, undefined, owner)).status, 404);

	// Removing an integration removes its secrets.
	assert.equal((await call(mf, "DELETE", `${T}/integrations/github`, undefined, owner)).status, 200);
	const town_ = await call(mf, "GET", T, undefined, owner);
	assert.equal(town_.body.data.secrets.github_webhook_secret, undefined);
	assert.equal((await call(mf, "DELETE", `${T}/integrations/github`, undefined, owner)).status, 404);
});

async function githubTown(t, rigSettings = {}) {
	const s = await town(t);
	const gh = await startFakeGitHub({ token: GH_TOKEN, t });
	gh.addRepo("acme/app");
	await call(s.mf, "POST", `${s.T}/rigs`, { id: "app", git_url: "https://github.com/acme/app.git", settings: rigSettings }, s.owner);
	const r = await call(s.mf, "PUT", `${s.T}/integrations/github`, { secrets: { webhook_secret: HOOK_SECRET, token: GH_TOKEN },
		settings: { api_url: gh.url, dashboard_url: "https://town.example" } }, s.owner);
	assert.equal(r.status, 200, r.text);
	await call(s.mf, "PUT", `${s.T}/integrations/github/logins/bob-gh`, { user: "bob" }, s.owner);
	return { ...s, gh };
}

test("github: a labelled issue becomes a bead, answered on the issue; redeliveries and forgeries change nothing", async (t) => {
	const { mf, owner, T, gh } = await githubTown(t);
	const issue = gh.addIssue("acme/app", { title: "Checkout double-charges", body: "Steps: pay twice.", labels: ["bug"] });
	const labeled = gh.issuePayload("acme/app", issue.number, "labeled", { label: "gastown", sender: "bob-gh" });
	labeled.issue.labels.push(labeled.label);
	const d = await githubDelivery(HOOK_SECRET, "issues", labeled);
	const r = await deliver(mf, "acme", "github", d);
	assert.equal(r.status, 202, r.text);
	assert.deepEqual(r.queued, { outcome: "queued", event: "issues.labeled", delivery: d.headers["x-github-delivery"] });
	assert.equal(r.body.data.outcome, "created");
	const bead = (await call(mf, "GET", `${T}/beads/${r.body.data.bead}`, undefined, owner)).body.data;
	assert.equal(bead.title, "Checkout double-charges");
	assert.equal(bead.type, "bug");
	assert.equal(bead.rig, "app");
	assert.equal(bead.requested_by, "bob");
	assert.equal(bead.created_by, "github:bob-gh");
	assert.ok(bead.body.startsWith("Steps: pay twice."), bead.body);
	assert.deepEqual(bead.labels.sort(), ["bug", "gastown", "github"]);
	assert.equal(bead.metadata.source.url, issue.html_url);
	assert.equal(bead.held, true, "the Mayor assesses before anyone works on it");
	// The Mayor was told, as the member who asked.
	const convo = await call(mf, "GET", `${T}/mayor/messages`, undefined, await as("bob"));
	assert.ok(convo.body.data.some((m) => m.text.includes(bead.id)), convo.text);

	// The tracking comment, posted through GitHub's own API description.
	const comments = await eventually(() => gh.issueComments("acme/app", issue.number).length && gh.issueComments("acme/app", issue.number));
	assert.equal(comments.length, 1);
	assert.match(comments[0].body, new RegExp(`https://town.example/#/towns/acme/beads/${bead.id}`));

	// A redelivery (same id) and a second event on the same issue change nothing.
	const before = await settled(mf, "acme");
	const again = await deliver(mf, "acme", "github", d);
	assert.equal(again.status, 200);
	assert.equal(again.body.data.outcome, "duplicate_delivery");
	assert.equal(await digest(mf, "acme"), before);
	const opened = await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "issues", gh.issuePayload("acme/app", issue.number, "reopened")));
	assert.equal(opened.body.data.outcome, "duplicate");

	// Forged, unsigned, oversized, malformed and unnamed deliveries are refused and leave no trace.
	const base = await digest(mf, "acme");
	const forged = await githubDelivery(HOOK_SECRET, "issues", labeled, { signature: "sha256=" + "0".repeat(64) });
	const wrongKey = await githubDelivery("another-secret", "issues", labeled);
	const unsigned = await githubDelivery(HOOK_SECRET, "issues", labeled, { signature: null });
	const tampered = { ...d, body: d.body.replace("Checkout", "Checkin"), headers: { ...d.headers, "x-github-delivery": "tampered-1" } };
	for (const bad of [forged, wrongKey, unsigned, tampered]) {
		const res = await deliver(mf, "acme", "github", bad);
		assert.equal(res.status, 401, res.text);
		assert.equal(res.body.error.field, "x-hub-signature-256");
		assert.ok(!res.text.includes(HOOK_SECRET));
	}
	const huge = await githubDelivery(HOOK_SECRET, "issues", { ...labeled, padding: "x".repeat(1100 * 1024) });
	assert.equal((await deliver(mf, "acme", "github", huge)).status, 413);
	const broken = await githubDelivery(HOOK_SECRET, "issues", "{\"action\": ");
	assert.equal((await deliver(mf, "acme", "github", broken)).status, 400);
	const noId = await githubDelivery(HOOK_SECRET, "issues", labeled);
	delete noId.headers["x-github-delivery"];
	noId.headers["x-hub-signature-256"] = (await githubDelivery(HOOK_SECRET, "issues", labeled)).headers["x-hub-signature-256"];
	assert.equal((await deliver(mf, "acme", "github", noId)).status, 400);
	assert.equal((await deliver(mf, "acme", "gitlab", gitlabDelivery(GL_HOOK, "Issue Hook", {}))).status, 404, "no gitlab integration");
	assert.equal((await deliver(mf, "acme", "jira", d)).status, 404);
	assert.equal(await digest(mf, "acme"), base, "refused deliveries leave no trace");

	// The bead moves: the same comment is edited, never a second one.
	assert.equal((await call(mf, "PATCH", `${T}/beads/${bead.id}`, { status: "in_progress" }, owner)).status, 200);
	await eventually(() => /polecat is working/.test(gh.issueComments("acme/app", issue.number)[0].body));
	assert.equal((await call(mf, "POST", `${T}/beads/${bead.id}/close`, { reason: "done" }, owner)).status, 200);
	await eventually(() => /^Landed/.test(gh.issueComments("acme/app", issue.number)[0].body));
	assert.equal(gh.issueComments("acme/app", issue.number).length, 1);
	assert.deepEqual(gh.violations, [], JSON.stringify(gh.violations));
	const counts = (await call(mf, "GET", `${T}/integrations`, undefined, owner)).body.data.github.deliveries;
	assert.equal(counts["issues.labeled"].created, 1);
	assert.equal(counts["issues.reopened"].duplicate, 1);
});

test("github: a failed answer is retried with backoff and the bead is never lost", { timeout: 60_000 }, async (t) => {
	const { mf, owner, T, gh } = await githubTown(t);
	const issue = gh.addIssue("acme/app", { title: "Flaky", labels: ["gastown"] });
	gh.failNext(/\/issues\/\d+\/comments$/, 502, 2);
	const r = await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "issues", gh.issuePayload("acme/app", issue.number, "opened")));
	assert.equal(r.body.data.outcome, "created");
	assert.equal((await call(mf, "GET", `${T}/beads/${r.body.data.bead}`, undefined, owner)).status, 200);
	// Two refusals (502), then the third try lands: 2 s and 4 s of backoff.
	const comments = await eventually(() => gh.issueComments("acme/app", issue.number).length === 1, { timeoutMs: 20_000, everyMs: 200 });
	assert.ok(comments);
	assert.equal(gh.requestsTo(/\/issues\/\d+\/comments$/, "POST").length, 3);
});

test("github: comments, outside pull requests and CI failures follow the rig's rules", async (t) => {
	const { mf, owner, T, gh } = await githubTown(t);
	const issue = gh.addIssue("acme/app", { title: "Slow search" });
	const comment = (login, body) => {
		const p = gh.issuePayload("acme/app", issue.number, "opened");
		return { action: "created", issue: p.issue, repository: p.repository, sender: p.sender,
			comment: { id: 77, body, user: { login }, html_url: `${issue.html_url}#issuecomment-77` } };
	};
	const say = async (login, body) => (await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "issue_comment", comment(login, body)))).body.data;
	assert.equal((await say("stranger", "/gastown please")).outcome, "ignored", "only members speak to the town");
	assert.equal((await say("bob-gh", "/gastownish")).outcome, "ignored");
	const made = await say("bob-gh", "/gastown add an index on title");
	assert.equal(made.outcome, "created");
	const bead = (await call(mf, "GET", `${T}/beads/${made.bead}`, undefined, owner)).body.data;
	assert.ok(bead.body.startsWith("add an index on title"), bead.body);
	assert.equal(bead.requested_by, "bob");

	// A pull request from outside the organization gets a review bead; a member's does not.
	const pr = (assoc, login) => ({ action: "opened", number: 9, repository: gh.issuePayload("acme/app", issue.number).repository,
		sender: { login }, pull_request: { number: 9, title: "Fix typo", body: "tiny", html_url: "https://github.com/acme/app/pull/9",
			user: { login }, author_association: assoc, head: { ref: "typo" }, labels: [] } });
	const outside = (await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "pull_request", pr("NONE", "visitor")))).body.data;
	assert.equal(outside.outcome, "created");
	const review = (await call(mf, "GET", `${T}/beads/${outside.bead}`, undefined, owner)).body.data;
	assert.equal(review.title, "Review pull request #9: Fix typo");
	assert.ok(review.labels.includes("review"));
	assert.equal(review.requested_by, "sarah", "unmapped: the integration's owner");
	assert.match(review.body, /visitor is not mapped/);
	const inside = (await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "pull_request", (() => { const p = pr("MEMBER", "carol"); p.number = p.pull_request.number = 10; return p; })()))).body.data;
	assert.equal(inside.outcome, "ignored");

	// CI failing on the default branch raises an escalation; on another branch it is ignored.
	const run = (branch, conclusion) => ({ action: "completed", repository: gh.issuePayload("acme/app", issue.number).repository,
		sender: { login: "github-actions" }, workflow_run: { id: 5, name: "ci", head_branch: branch, conclusion,
			html_url: "https://github.com/acme/app/actions/runs/5", pull_requests: [] } });
	const failed = (await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "workflow_run", run("main", "failure")))).body.data;
	assert.equal(failed.outcome, "escalated");
	const escalations = (await call(mf, "GET", `${T}/escalations`, undefined, owner)).body.data;
	assert.ok(escalations.some((e) => /CI failed on the default branch main: ci: failure/.test(e.title)), JSON.stringify(escalations));
	assert.equal((await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "workflow_run", run("feature", "failure")))).body.data.outcome, "ignored");
	assert.equal((await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "workflow_run", run("main", "success")))).body.data.outcome, "ignored");

	// A rig that takes no issues makes none.
	await call(mf, "PATCH", `${T}/rigs/app`, { settings: { hook_issues: false } }, owner);
	const other = gh.addIssue("acme/app", { title: "Another", labels: ["gastown"] });
	assert.equal((await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "issues", gh.issuePayload("acme/app", other.number)))).body.data.outcome, "ignored");
	assert.deepEqual(gh.violations, []);
});

test("github: every payload of @octokit/webhooks-examples is answered, and only the covered ones make beads", { timeout: 120_000 }, async (t) => {
	const { mf, owner, T, gh } = await githubTown(t, { hook_label: "bug", hook_sling: false });
	// The examples' repository is the rig's.
	await call(mf, "PATCH", `${T}/rigs/app`, { settings: { repo: "Codertocat/Hello-World" } }, owner);
	const examples = githubExamples();
	assert.ok(examples.length > 300, `${examples.length} examples`);
	const expected = new Set(), made = new Set();
	const failing = new Set(["failure", "timed_out", "startup_failure", "action_required"]);
	let escalated = 0, expectEscalated = 0;
	for (const ex of examples) {
		const p = ex.payload, repo = p.repository?.full_name;
		const onRig = repo?.toLowerCase() === "codertocat/hello-world";
		const d = await githubDelivery(HOOK_SECRET, ex.event, p);
		const r = await deliver(mf, "acme", "github", d);
		assert.ok([200, 202].includes(r.status), `${ex.name}: ${r.text}`);
		const key = `${repo}#${p.issue?.number ?? p.pull_request?.number}`;
		// What the rules should take, worked out here from the payload alone.
		if (onRig && ex.event === "issues" && ["opened", "labeled", "reopened"].includes(p.action) &&
			p.issue.labels?.some((l) => l.name.toLowerCase() === "bug")) expected.add(`issue ${key}`);
		if (onRig && ex.event === "pull_request" && p.action === "opened" && !["OWNER", "MEMBER", "COLLABORATOR"].includes(p.pull_request.author_association))
			expected.add(`pr ${key}`);
		const run = p.workflow_run ?? p.check_run;
		if (onRig && ["workflow_run", "check_run"].includes(ex.event) && p.action === "completed" && failing.has(run.conclusion) &&
			(run.head_branch ?? run.check_suite?.head_branch) === p.repository.default_branch) expectEscalated++;
		if (r.body.data.outcome === "created") made.add(`${ex.event === "pull_request" ? "pr" : "issue"} ${key}`);
		if (r.body.data.outcome === "escalated") escalated++;
	}
	assert.deepEqual([...made].sort(), [...expected].sort());
	assert.ok([...made].some((k) => k.startsWith("issue ")), "the examples hold a labelled issue of the rig");
	assert.equal(escalated, expectEscalated);
	assert.deepEqual(gh.violations, []);
});

test("gitlab: a labelled issue becomes a bead, the note goes back; the token is checked", async (t) => {
	const { mf, owner, T } = await town(t);
	const gl = await startFakeGitLab({ token: GL_TOKEN, t });
	gl.addProject("acme/platform/api", { id: 321 });
	await call(mf, "POST", `${T}/rigs`, { id: "api", git_url: "https://gitlab.com/acme/platform/api.git" }, owner);
	assert.equal((await call(mf, "PUT", `${T}/integrations/gitlab`, { secrets: { webhook_token: GL_HOOK, token: GL_TOKEN },
		settings: { api_url: gl.url } }, owner)).status, 200);
	const issue = gl.addIssue("acme/platform/api", { title: "Rate limit the login", labels: ["gastown"] });
	const d = gitlabDelivery(GL_HOOK, "Issue Hook", gl.issuePayload("acme/platform/api", issue.iid, "open"));
	const r = await deliver(mf, "acme", "gitlab", d);
	assert.equal(r.status, 202, r.text);
	assert.equal(r.body.data.outcome, "created");
	const bead = (await call(mf, "GET", `${T}/beads/${r.body.data.bead}`, undefined, owner)).body.data;
	assert.equal(bead.rig, "api");
	assert.equal(bead.requested_by, "sarah");
	await eventually(() => gl.requests.some((q) => q.method === "POST" && /\/projects\/321\/issues\/\d+\/notes$/.test(q.path)));
	const before = await settled(mf, "acme");
	assert.equal((await deliver(mf, "acme", "gitlab", d)).body.data.outcome, "duplicate_delivery");
	for (const bad of [gitlabDelivery("wrong", "Issue Hook", {}), gitlabDelivery(null, "Issue Hook", {})])
		assert.equal((await deliver(mf, "acme", "gitlab", bad)).status, 401);
	assert.equal(await digest(mf, "acme"), before);
	assert.deepEqual(gl.violations, [], JSON.stringify(gl.violations));
});

test("slack: the URL check, a slash command and a mention make beads answered in Slack; stale requests are refused", async (t) => {
	const { mf, owner, T } = await town(t);
	const slack = await startFakeSlack({ token: SLACK_TOKEN, t });
	await call(mf, "POST", `${T}/rigs`, { id: "app", git_url: "https://github.com/acme/app.git" }, owner);
	assert.equal((await call(mf, "PUT", `${T}/integrations/slack`, { secrets: { signing_secret: SLACK_SIGNING, bot_token: SLACK_TOKEN },
		settings: { api_url: slack.url, rig: "app" } }, owner)).status, 200);
	await call(mf, "PUT", `${T}/integrations/slack/logins/U0HUMAN01`, { user: "bob" }, owner);

	const check = await deliver(mf, "acme", "slack", slackDelivery(SLACK_SIGNING, { token: "x", challenge: "c-123", type: "url_verification" }));
	assert.equal(check.status, 200);
	assert.deepEqual(check.body, { challenge: "c-123" });

	const command = slack.slashCommand({ text: "fix the login page" });
	const cmd = await deliver(mf, "acme", "slack", slackDelivery(SLACK_SIGNING, command, { form: true }));
	assert.equal(cmd.status, 200, cmd.text);
	assert.equal(cmd.body.response_type, "ephemeral");
	assert.match(cmd.body.text, /^Taken in\./);
	const id = (await applied(mf, "acme", "slack", `cmd:${command.trigger_id}`)).bead;
	const bead = (await call(mf, "GET", `${T}/beads/${id}`, undefined, owner)).body.data;
	assert.equal(bead.title, "fix the login page");
	assert.equal(bead.rig, "app");
	assert.equal(bead.requested_by, "bob");
	await eventually(() => slack.messages("C0CHAN001").some((m) => m.text?.includes(id)));

	const mention = slack.appMention({ text: "<@U0BOT0001> the invoices are wrong" });
	const m = await deliver(mf, "acme", "slack", slackDelivery(SLACK_SIGNING, mention));
	assert.equal(m.body.data.outcome, "created");
	await eventually(() => slack.messages("C0CHAN001").some((x) => x.thread_ts === mention.event.ts && x.text.includes(m.body.data.bead)));
	const before = await settled(mf, "acme");
	assert.equal((await deliver(mf, "acme", "slack", slackDelivery(SLACK_SIGNING, mention, { retryNum: 1 }))).body.data.outcome, "duplicate_delivery");
	const stale = await deliver(mf, "acme", "slack", slackDelivery(SLACK_SIGNING, slack.appMention(), { timestamp: Math.floor(Date.now() / 1000) - 600 }));
	assert.equal(stale.status, 401);
	assert.equal(stale.body.error.reason, "stale");
	assert.equal((await deliver(mf, "acme", "slack", slackDelivery("wrong", slack.appMention()))).status, 401);
	assert.equal(await digest(mf, "acme"), before);
	assert.deepEqual(slack.violations, [], JSON.stringify(slack.violations));
});

test("github as an App: the installation is learned from a delivery, tokens are minted with the App's key and cached", async (t) => {
	const { mf, owner, T } = await town(t);
	const { generateKeyPairSync } = await import("node:crypto");
	const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
	const gh = await startFakeGitHub({ app: { id: 424242, publicKey }, t });
	gh.addRepo("acme/app");
	await call(mf, "POST", `${T}/rigs`, { id: "app", git_url: "https://github.com/acme/app.git" }, owner);
	// GitHub hands out App keys as PKCS#1 PEM.
	const pem = privateKey.export({ type: "pkcs1", format: "pem" });
	const put = await call(mf, "PUT", `${T}/integrations/github`, { secrets: { webhook_secret: HOOK_SECRET, private_key: pem },
		settings: { api_url: gh.url, app_id: "424242" } }, owner);
	assert.equal(put.status, 200, put.text);
	assert.deepEqual(put.body.data.github.secrets, { webhook_secret: true, token: false, private_key: true });
	assert.ok(!put.text.includes("PRIVATE KEY"));
	assert.equal((await call(mf, "PUT", `${T}/integrations/github`, { settings: { app_id: "abc" } }, owner)).status, 400);

	const deliverIssue = async (title) => {
		const issue = gh.addIssue("acme/app", { title, labels: ["gastown"] });
		const payload = gh.issuePayload("acme/app", issue.number, "opened");
		payload.installation = { id: 777, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc3" };
		const r = await deliver(mf, "acme", "github", await githubDelivery(HOOK_SECRET, "issues", payload));
		assert.equal(r.body.data.outcome, "created", r.text);
		return issue;
	};
	const first = await deliverIssue("First");
	await eventually(() => gh.issueComments("acme/app", first.number).length === 1);
	assert.equal((await call(mf, "GET", `${T}/integrations`, undefined, owner)).body.data.github.settings.installation_id, "777");
	const second = await deliverIssue("Second");
	await eventually(() => gh.issueComments("acme/app", second.number).length === 1);
	// One token for both answers: minted once for installation 777, then cached.
	assert.deepEqual(gh.state.tokens.map((x) => String(x.installation)), ["777"]);
	assert.equal(gh.requestsTo(/^\/app\/installations\/777\/access_tokens$/, "POST").length, 1);
	assert.deepEqual(gh.violations, [], JSON.stringify(gh.violations));
});

test("a pr rig opens its pull request as the town's GitHub App when the town has no token", async (t) => {
	// The reconciler hands merge requests on only in a town that runs agents (a container secret).
	const { mf, owner, T } = await town(t, "acme", { GASTOWN_CONTAINER_SECRET: "hooks-container-secret-0123456789abcdef" });
	const { generateKeyPairSync } = await import("node:crypto");
	const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
	const gh = await startFakeGitHub({ app: { id: 515151, publicKey }, t });
	gh.addRepo("acme/app");
	assert.equal((await call(mf, "POST", `${T}/rigs`, { id: "app", git_url: "https://github.com/acme/app.git", merge_strategy: "pr",
		settings: { api_url: gh.url, pr_poll_s: 2 } }, owner)).status, 201);
	assert.equal((await call(mf, "PUT", `${T}/integrations/github`, { secrets: { webhook_secret: HOOK_SECRET,
		private_key: privateKey.export({ type: "pkcs8", format: "pem" }) },
		settings: { api_url: gh.url, app_id: "515151", installation_id: "888" } }, owner)).status, 200);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "polecat", rig: "app" }, owner)).status, 201);
	const agent = (await call(mf, "GET", `${T}/agents`, undefined, owner)).body.data.find((a) => a.role === "polecat").id;
	const as_agent = { authorization: `Bearer ${(await call(mf, "POST", `${T}/agents/${agent}/token`, undefined, owner)).body.data.token}` };
	const bead = (await call(mf, "POST", `${T}/beads`, { title: "Through the App", rig: "app", held: true }, owner)).body.data.id;
	assert.equal((await call(mf, "POST", `${T}/agents/${agent}/hook`, { bead }, owner)).status, 200);
	assert.equal((await call(mf, "PATCH", `${T}/beads/${bead}`, { status: "in_progress" }, owner)).status, 200);
	const branch = `gt/${agent}/${bead}`;
	const done = await call(mf, "POST", `${T}/agents/${agent}/done`, { bead, branch, commit: "0123456789abcdef0123456789abcdef01234567" }, as_agent);
	assert.equal(done.status, 200, done.text);
	// The reconciler hands the merge request to GitHub, as the App: an installation token first.
	await eventually(() => gh.requestsTo(/^\/repos\/acme\/app\/pulls$/, "POST").length, { timeoutMs: 15_000, everyMs: 100 });
	const pull = gh.pullRequest("acme/app", 1);
	assert.equal(pull.head.ref, branch);
	assert.equal(gh.requestsTo(/^\/app\/installations\/888\/access_tokens$/, "POST").length, 1);
	const mr = await eventually(async () => (await call(mf, "GET", `${T}/beads?type=merge-request`, undefined, owner)).body.data.beads
		.find((b) => b.metadata?.pull_request?.number === 1));
	assert.equal(mr.parent, bead);
	assert.deepEqual(gh.violations, [], JSON.stringify(gh.violations));
});

test("review reply and resolve: only the agent holding a review's bead; bad bodies and other callers change nothing", async (t) => {
	const { mf, owner, T } = await town(t);
	await call(mf, "POST", `${T}/rigs`, { id: "app", git_url: "https://github.com/acme/app.git" }, owner);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "polecat", rig: "app" }, owner)).status, 201);
	const agent = (await call(mf, "GET", `${T}/agents`, undefined, owner)).body.data.find((a) => a.role === "polecat").id;
	const tok = (await call(mf, "POST", `${T}/agents/${agent}/token`, undefined, owner)).body.data.token;
	const as_agent = { authorization: `Bearer ${tok}` };
	const bead = (await call(mf, "POST", `${T}/beads`, { title: "Not a review", rig: "app", held: true }, owner)).body.data.id;
	const before = await digest(mf, "acme");
	const R = `${T}/agents/${agent}/review`;
	for (const [path, body, who, status] of [
		[`${R}/reply`, { bead, body: "done" }, as_agent, 409],   // not holding it
		[`${R}/resolve`, { bead }, as_agent, 409],
		[`${R}/reply`, { bead }, as_agent, 400],                 // no body
		[`${R}/reply`, { bead, body: 7 }, as_agent, 400],
		[`${R}/reply`, "{oops", as_agent, 400],
		[`${R}/reply`, { bead, body: "x".repeat(60001) }, as_agent, 400],
		[`${R}/reply`, { bead, body: "done" }, owner, 401],     // a person is not the agent
		[`${R}/reply`, { bead, body: "done" }, {}, 401],
	]) {
		const r = await call(mf, "POST", path, body, who);
		assert.equal(r.status, status, `${path} ${JSON.stringify(body).slice(0, 60)}: ${r.text}`);
	}
	assert.equal(await digest(mf, "acme"), before, "refusals leave no trace");
	// Holding a bead that is no review comment's: refused plainly too.
	assert.equal((await call(mf, "POST", `${T}/agents/${agent}/hook`, { bead }, owner)).status, 200);
	const held = await digest(mf, "acme");
	const notReview = await call(mf, "POST", `${R}/reply`, { bead, body: "done" }, as_agent);
	assert.equal(notReview.status, 400, notReview.text);
	assert.equal(notReview.body.error.field, "bead");
	assert.equal(await digest(mf, "acme"), held);
	assert.notEqual(before, held);
});
