// fake-platforms.test.mjs - the fake GitHub, GitLab and Slack refuse what the platforms would refuse
// and accept the shapes the platforms accept; their answers and the webhook payloads their helpers
// build conform to GitHub's own schemas; the delivery signers match the official test vectors.
// Run: node --test --test-concurrency=1 tests/worker/fake-platforms.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { startFakeGitHub, startFakeGitLab, startFakeSlack, githubSchemaErrors, githubSpec, GITLAB_ENDPOINTS } from "./fake-platforms.mjs";
import { githubDelivery, gitlabDelivery, slackDelivery, signGitHub, signSlack, githubExamples } from "./webhooks.mjs";

// The headers octokit sends (@octokit/core with a token), and the ones the engine sends.
const OCTOKIT = { accept: "application/vnd.github+json", "user-agent": "octokit-rest.js/21.1.1 octokit-core.js/6.1.4 Node.js/20",
	"x-github-api-version": "2022-11-28", authorization: "token ghp_fake" };
async function call(fake, method, path, body, headers = OCTOKIT) {
	const res = await fetch(fake.url + path, { method, headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
		body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
	const text = await res.text();
	let json = null;
	try { json = JSON.parse(text); } catch { /* a diff, or "ok" */ }
	return { status: res.status, json, text, headers: res.headers };
}
const gql = (fake, query, variables, headers = OCTOKIT) => call(fake, "POST", "/graphql", { query, variables }, headers);
const schemaOk = (name, value) => assert.deepEqual(githubSchemaErrors(name, value), [], `${name} does not conform`);
// The violation the last request left, and only that one.
function refused(fake, kind, re) {
	assert.equal(fake.violations.length, 1, JSON.stringify(fake.violations));
	const v = fake.violations.pop();
	assert.equal(v.kind, kind, v.message);
	if (re) assert.match(v.message, re);
	return v;
}

const THREADS = `query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) { pullRequest(number: $number) { reviewThreads(first: 50) {
    nodes { id isResolved isOutdated path line diffSide resolvedBy { login } viewerCanResolve
      comments(first: 20) { nodes { id databaseId fullDatabaseId body author { login } url replyTo { id } createdAt } } }
    pageInfo { hasNextPage endCursor } } } } }`;
const RESOLVE = `mutation($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { id isResolved resolvedBy { login } } } }`;

let gh; // one fake GitHub for the file: the description is loaded once
test.before(async () => { gh = await startFakeGitHub({ login: "gastown-bot" }); });
test.after(() => gh.close());
test.beforeEach(() => { gh.violations.length = 0; });

test("GitHub: a pull request review loop end to end, every answer in GitHub's own shapes", async () => {
	gh.addRepo("acme/loop");
	const files = [{ filename: "src/app.js", patch: "@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d" }, { filename: "new.txt", status: "added", patch: "@@ -0,0 +1 @@\n+hi" }];
	gh.setCompare("acme/loop", "main...gt/toast/gt-1", files);
	// The issue that started it, labelled, and the tracking comment.
	const issue = gh.addIssue("acme/loop", { title: "Login fails", body: "Steps…", labels: ["gastown"], user: "alice" });
	schemaOk("webhook-issues-labeled", gh.issuePayload("acme/loop", issue.number, "labeled", { label: "gastown" }));
	schemaOk("webhook-issues-opened", gh.issuePayload("acme/loop", issue.number, "opened"));
	const made = await call(gh, "POST", `/repos/acme/loop/issues/${issue.number}/comments`, { body: "A polecat is working on this" });
	assert.equal(made.status, 201);
	schemaOk("issue-comment", made.json);
	const edited = await call(gh, "PATCH", `/repos/acme/loop/issues/comments/${made.json.id}`, { body: "Landed in #2" });
	assert.equal(edited.status, 200);
	assert.deepEqual(gh.issueComments("acme/loop", issue.number).map((c) => c.body), ["Landed in #2"]);
	// The PR, as the engine opens it.
	const opened = await call(gh, "POST", "/repos/acme/loop/pulls", { title: "Fix login", head: "gt/toast/gt-1", base: "main", body: "Bead-ID: gt-1" });
	assert.equal(opened.status, 201, opened.text);
	schemaOk("pull-request", opened.json);
	const n = opened.json.number;
	assert.equal(opened.json.changed_files, 2);
	assert.equal((await call(gh, "POST", "/repos/acme/loop/pulls", { title: "Again", head: "gt/toast/gt-1", base: "main" })).status, 422);
	// A reviewer's comment; the engine lists comments, replies, and resolves the thread by GraphQL.
	const review = gh.addReviewComment("acme/loop", n, { body: "Handle the null user", path: "src/app.js", line: 2, user: "bob" });
	schemaOk("webhook-pull-request-review-comment-created", review);
	const listed = await call(gh, "GET", `/repos/acme/loop/pulls/${n}/comments?per_page=100&sort=created&direction=asc`);
	assert.equal(listed.status, 200);
	assert.equal(listed.json.length, 1);
	schemaOk("pull-request-review-comment", listed.json[0]);
	const reply = await call(gh, "POST", `/repos/acme/loop/pulls/${n}/comments/${review.comment.id}/replies`, { body: "Fixed in abc123" });
	assert.equal(reply.status, 201);
	assert.equal(reply.json.in_reply_to_id, review.comment.id);
	schemaOk("pull-request-review-comment", reply.json);
	const threads = await gql(gh, THREADS, { owner: "acme", name: "loop", number: n });
	assert.equal(threads.status, 200);
	assert.equal(threads.json.errors, undefined, JSON.stringify(threads.json.errors));
	const [thread] = threads.json.data.repository.pullRequest.reviewThreads.nodes;
	assert.equal(thread.id, review.thread_id);
	assert.equal(thread.isResolved, false);
	assert.deepEqual(thread.comments.nodes.map((c) => [c.fullDatabaseId, c.author.login, c.replyTo?.id ?? null]),
		[[String(review.comment.id), "bob", null], [String(reply.json.id), "gastown-bot", review.comment.node_id]]);
	const resolved = await gql(gh, RESOLVE, { id: thread.id });
	assert.deepEqual(resolved.json.data.resolveReviewThread.thread, { id: thread.id, isResolved: true, resolvedBy: { login: "gastown-bot" } });
	assert.equal(gh.thread(thread.id).isResolved, true);
	// Approval, CI, merge.
	schemaOk("webhook-pull-request-review-submitted", gh.addReview("acme/loop", n, { state: "APPROVED", user: "bob" }));
	const reviews = await call(gh, "GET", `/repos/acme/loop/pulls/${n}/reviews`);
	assert.deepEqual(reviews.json.map((r) => r.state), ["APPROVED"]);
	schemaOk("pull-request-review", reviews.json[0]);
	schemaOk("webhook-check-run-completed", gh.addCheckRun("acme/loop", { pull: n, name: "test", conclusion: "success" }));
	const checks = await call(gh, "GET", `/repos/acme/loop/commits/${opened.json.head.sha}/check-runs`);
	assert.equal(checks.json.total_count, 1);
	schemaOk("check-run", checks.json.check_runs[0]);
	assert.equal((await call(gh, "PUT", `/repos/acme/loop/pulls/${n}/merge`, { merge_method: "squash", sha: "0".repeat(40) })).status, 409);
	const merged = await call(gh, "PUT", `/repos/acme/loop/pulls/${n}/merge`, { merge_method: "squash", sha: opened.json.head.sha });
	assert.equal(merged.status, 200);
	schemaOk("pull-request-merge-result", merged.json);
	const after = await call(gh, "GET", `/repos/acme/loop/pulls/${n}`);
	assert.equal(after.json.merged, true);
	assert.equal(after.json.state, "closed");
	assert.equal(after.json.merge_commit_sha, merged.json.sha);
	assert.equal((await call(gh, "PUT", `/repos/acme/loop/pulls/${n}/merge`, {})).status, 405);
	assert.deepEqual(gh.violations, []);
});

test("GitHub: the requests the engine makes today (src/run/pull_request.c) conform", async () => {
	// The headers call_platform sets, the body pr_open sends, and the poll.
	const ENGINE = { authorization: "Bearer ghp_e2e", accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "gastown-edge" };
	gh.addRepo("acme/app");
	const open = await call(gh, "POST", "/repos/acme/app/pulls", { title: "Through a pull request", head: "gt/toast/gt-abc12", base: "main",
		body: "Bead-ID: gt-abc12\nMerge request: gt-def34\n\nOpened by Gastown Edge." }, ENGINE);
	assert.equal(open.status, 201, open.text);
	assert.equal((await call(gh, "GET", `/repos/acme/app/pulls/${open.json.number}`, undefined, ENGINE)).json.merged, false);
	gh.mergePullRequest("acme/app", open.json.number, "alice");
	const polled = await call(gh, "GET", `/repos/acme/app/pulls/${open.json.number}`, undefined, ENGINE);
	assert.deepEqual([polled.json.state, polled.json.merged, typeof polled.json.merge_commit_sha], ["closed", true, "string"]);
	assert.equal(gh.requests.at(-1).operation, "pulls/get");
	assert.deepEqual(gh.violations, []);
});

test("GitHub: compare answers JSON and a unified diff, as the description allows", async () => {
	gh.addRepo("acme/diff");
	gh.setCompare("acme/diff", "main...feature/x", [{ filename: "a.txt", patch: "@@ -1 +1 @@\n-old\n+new" }]);
	const json = await call(gh, "GET", "/repos/acme/diff/compare/main...feature/x");
	assert.equal(json.status, 200, json.text);
	schemaOk("commit-comparison", json.json);
	assert.deepEqual(json.json.files.map((f) => [f.filename, f.additions, f.deletions]), [["a.txt", 1, 1]]);
	const diff = await call(gh, "GET", "/repos/acme/diff/compare/main...feature/x", undefined, { ...OCTOKIT, accept: "application/vnd.github.diff" });
	assert.equal(diff.status, 200);
	assert.match(diff.headers.get("content-type"), /vnd\.github\.diff/);
	assert.match(diff.text, /^diff --git a\/a\.txt b\/a\.txt\n/);
	assert.match(diff.text, /\n--- a\/a\.txt\n\+\+\+ b\/a\.txt\n@@ -1 \+1 @@\n-old\n\+new\n$/);
	// A media type the operation does not have is refused.
	assert.equal((await call(gh, "GET", "/repos/acme/diff/pulls/1/comments", undefined, { ...OCTOKIT, accept: "application/vnd.github.diff" })).status, 415);
	refused(gh, "header", /no diff media type/);
	assert.deepEqual(gh.violations, []);
});

test("GitHub: refuses what GitHub refuses, and records each as a violation", async () => {
	gh.addRepo("acme/strict");
	const pr = gh.addPullRequest("acme/strict", { head: "f" });
	const cases = [
		["a path GitHub does not have", "GET", "/repos/acme/strict/pull/1", undefined, OCTOKIT, 404, "path"],
		["a method the path does not have", "DELETE", `/repos/acme/strict/pulls/${pr.number}`, undefined, OCTOKIT, 405, "method"],
		["a path parameter of the wrong type", "GET", "/repos/acme/strict/pulls/abc", undefined, OCTOKIT, 404, "param"],
		["a query parameter of the wrong type", "GET", `/repos/acme/strict/pulls/${pr.number}/comments?per_page=many`, undefined, OCTOKIT, 400, "param"],
		["a query parameter out of its enum", "GET", `/repos/acme/strict/pulls?state=merged`, undefined, OCTOKIT, 400, "param"],
		["a query parameter the operation does not have", "GET", `/repos/acme/strict/pulls/${pr.number}/comments?per-page=100`, undefined, OCTOKIT, 400, "param"],
		["a missing required body field", "POST", "/repos/acme/strict/pulls", { title: "x", base: "main" }, OCTOKIT, 422, "body"],
		["a body field of the wrong type", "POST", `/repos/acme/strict/issues/${pr.number}/comments`, { body: 42 }, OCTOKIT, 422, "body"],
		["a body field out of its enum", "PUT", `/repos/acme/strict/pulls/${pr.number}/merge`, { merge_method: "fast-forward" }, OCTOKIT, 422, "body"],
		["a missing required body", "POST", `/repos/acme/strict/pulls/${pr.number}/comments/1/replies`, undefined, OCTOKIT, 400, "body"],
		["a body that is not JSON", "POST", `/repos/acme/strict/issues/${pr.number}/comments`, "{body:", OCTOKIT, 400, "body"],
		["no Authorization", "GET", `/repos/acme/strict/pulls/${pr.number}`, undefined, { ...OCTOKIT, authorization: undefined }, 401, "auth"],
		["a malformed Authorization", "GET", `/repos/acme/strict/pulls/${pr.number}`, undefined, { ...OCTOKIT, authorization: "ghp_bare" }, 401, "auth"],
		["no User-Agent", "GET", `/repos/acme/strict/pulls/${pr.number}`, undefined, { ...OCTOKIT, "user-agent": "" }, 403, "header"],
		["no Accept", "GET", `/repos/acme/strict/pulls/${pr.number}`, undefined, { ...OCTOKIT, accept: "" }, 400, "header"],
		["an API version GitHub does not have", "GET", `/repos/acme/strict/pulls/${pr.number}`, undefined, { ...OCTOKIT, "x-github-api-version": "2023-01-01" }, 400, "header"],
	];
	for (const [why, method, path, body, headers, status, kind] of cases) {
		const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)); // ("": sent empty; fetch adds its own user-agent)
		const res = await call(gh, method, path, body, clean);
		assert.equal(res.status, status, `${why}: ${res.text}`);
		assert.equal(typeof res.json?.message, "string", why);
		assert.equal(refused(gh, kind).status, status, why);
	}
	// The same requests, right, go through.
	assert.equal((await call(gh, "GET", `/repos/acme/strict/pulls/${pr.number}/comments?per_page=100`)).status, 200);
	assert.equal((await call(gh, "GET", `/repos/acme/strict/pulls?state=all&head=acme:f`)).json.length, 1);
	assert.deepEqual(gh.violations, []);
	// Replying to a reply is not supported: a semantic violation.
	const top = gh.addReviewComment("acme/strict", pr.number, { body: "hm" });
	const r1 = await call(gh, "POST", `/repos/acme/strict/pulls/${pr.number}/comments/${top.comment.id}/replies`, { body: "ok" });
	assert.equal((await call(gh, "POST", `/repos/acme/strict/pulls/${pr.number}/comments/${r1.json.id}/replies`, { body: "again" })).status, 422);
	refused(gh, "semantics", /top-level/);
	// A valid operation the fake cannot answer fails loudly.
	assert.equal((await call(gh, "GET", "/repos/acme/strict/issues")).status, 501);
	refused(gh, "unhandled", /issues\/list-for-repo/);
	// A token given to the fake must be the one sent.
	const strict = await startFakeGitHub({ token: "ghp_right" });
	try {
		strict.addRepo("acme/t");
		assert.equal((await call(strict, "GET", "/repos/acme/t/pulls")).status, 401);
		assert.equal(strict.violations[0].kind, "auth");
		assert.equal((await call(strict, "GET", "/repos/acme/t/pulls", undefined, { ...OCTOKIT, authorization: "Bearer ghp_right" })).status, 200);
	} finally { await strict.close(); }
});

test("GitHub: GitHub's own request examples pass the checks", async () => {
	// Every operation the fake answers that has a documented example body: the example is accepted.
	gh.addRepo("octocat/Hello-World");
	const { spec } = githubSpec();
	let checked = 0;
	for (const [template, item] of Object.entries(spec.paths))
		for (const [method, op] of Object.entries(item)) {
			const ex = op.requestBody?.content?.["application/json"]?.examples;
			if (!gh.handlers[op.operationId] || !ex) continue;
			for (const { value } of Object.values(ex)) {
				const path = template.replace("{owner}", "octocat").replace("{repo}", "Hello-World").replace(/\{\w+\}/g, "1");
				const res = await call(gh, method.toUpperCase(), path, value);
				assert.deepEqual(gh.violations, [], `${op.operationId} refused its own example: ${res.status} ${res.text}`);
				checked++;
			}
		}
	assert.ok(checked >= 5, `only ${checked} examples`);
});

test("GitHub GraphQL: queries are validated against GitHub's schema", async () => {
	gh.addRepo("acme/gql");
	const pr = gh.addPullRequest("acme/gql", { head: "g" });
	const ok = await gql(gh, `{ repository(owner: "acme", name: "gql") { pullRequest(number: ${pr.number}) { number state mergeStateStatus reviewThreads(first: 1) { totalCount } } } }`);
	assert.deepEqual(ok.json, { data: { repository: { pullRequest: { number: pr.number, state: "OPEN", mergeStateStatus: "CLEAN", reviewThreads: { totalCount: 0 } } } } });
	assert.deepEqual(gh.violations, []);
	// A field GitHub's schema does not have.
	const bad = await gql(gh, `{ repository(owner: "acme", name: "gql") { pullRequest(number: 1) { reviewThreads(first: 1) { nodes { isResolvedd } } } } }`);
	assert.equal(bad.status, 200);
	assert.match(bad.json.errors[0].message, /Cannot query field "isResolvedd"/);
	refused(gh, "graphql", /isResolvedd/);
	// A mutation input with the wrong field name, and a variable of the wrong type.
	await gql(gh, `mutation { resolveReviewThread(input: {id: "x"}) { thread { id } } }`);
	refused(gh, "graphql", /threadId/);
	await gql(gh, RESOLVE.replace("ID!", "Int!"), { id: 1 });
	refused(gh, "graphql", /Int!.*ID!/);
	await gql(gh, THREADS, { owner: "acme", name: "gql", number: "one" });
	refused(gh, "graphql", /Int/);
	// A connection without first/last, as GitHub refuses it.
	const unpaged = await gql(gh, `{ repository(owner: "acme", name: "gql") { pullRequest(number: ${pr.number}) { reviewThreads { totalCount } } } }`);
	assert.match(unpaged.json.errors[0].message, /first` or `last`/);
	refused(gh, "graphql", /first/);
	await gql(gh, "{ repository(owner: ", {});
	refused(gh, "graphql", /Syntax Error/);
	// Unauthenticated.
	const { authorization, ...noAuth } = OCTOKIT;
	assert.equal((await gql(gh, "{ viewer { login } }", {}, noAuth)).status, 401);
	refused(gh, "auth");
	// Not found is GitHub's answer, not a violation.
	const missing = await gql(gh, `{ repository(owner: "acme", name: "nope") { id } }`);
	assert.equal(missing.json.errors[0].type, "NOT_FOUND");
	assert.deepEqual(gh.violations, []);
});

test("GitHub: failNext makes 5xx, 429 with Retry-After, timeouts and resets for retry tests", async () => {
	gh.addRepo("acme/flaky");
	const pr = gh.addPullRequest("acme/flaky", { head: "h" });
	gh.failNext(/\/pulls\/\d+$/, 503, 2);
	assert.equal((await call(gh, "GET", `/repos/acme/flaky/pulls/${pr.number}`)).status, 503);
	assert.equal((await call(gh, "GET", `/repos/acme/flaky/pulls/${pr.number}`)).status, 503);
	assert.equal((await call(gh, "GET", `/repos/acme/flaky/pulls/${pr.number}`)).status, 200);
	gh.failNext("/comments$", 429, 1, { retryAfter: 7, method: "POST" });
	assert.equal((await call(gh, "GET", `/repos/acme/flaky/issues/${pr.number}/comments`)).status, 200);
	const limited = await call(gh, "POST", `/repos/acme/flaky/issues/${pr.number}/comments`, { body: "x" });
	assert.equal(limited.status, 429);
	assert.equal(limited.headers.get("retry-after"), "7");
	gh.failNext(/pulls/, "timeout");
	await assert.rejects(fetch(`${gh.url}/repos/acme/flaky/pulls/${pr.number}`, { headers: OCTOKIT, signal: AbortSignal.timeout(300) }), /TimeoutError|aborted/);
	gh.failNext(/pulls/, "reset");
	await assert.rejects(fetch(`${gh.url}/repos/acme/flaky/pulls/${pr.number}`, { headers: OCTOKIT }), /fetch failed/);
	assert.equal((await call(gh, "GET", `/repos/acme/flaky/pulls/${pr.number}`)).status, 200);
	assert.deepEqual(gh.requestsTo(/^\/repos\/acme\/flaky\/pulls\/\d+$/, "GET").map((r) => r.status), [503, 503, 200, "timeout", "reset", 200]);
	assert.deepEqual(gh.violations, []);
});

test("GitLab: the MR loop through the documented endpoints", async (t) => {
	const gl = await startFakeGitLab({ token: "glpat-fake", t });
	const project = gl.addProject("group/app", { id: 42 });
	const auth = { "private-token": "glpat-fake" };
	const req = (method, path, body, headers = auth, form) => fetch(gl.url + path, { method,
		headers: { ...headers, ...(body ? { "content-type": form ? "application/x-www-form-urlencoded" : "application/json" } : {}) },
		body: body ? (form ? new URLSearchParams(body).toString() : JSON.stringify(body)) : undefined })
		.then(async (r) => ({ status: r.status, json: await r.json().catch(() => null), headers: r.headers }));
	const issue = gl.addIssue("group/app", { title: "Broken", labels: ["gastown"] });
	const note = await req("POST", `/projects/${project.id}/issues/${issue.iid}/notes`, { body: "A polecat is working on this" });
	assert.equal(note.status, 201);
	assert.equal((await req("PUT", `/projects/group%2Fapp/issues/${issue.iid}/notes/${note.json.id}`, { body: "Done" }, { authorization: "Bearer glpat-fake" })).status, 200);
	assert.deepEqual(gl.issueNotes("group/app", issue.iid).map((n) => n.body), ["Done"]);
	const mr = await req("POST", "/projects/42/merge_requests", { title: "Fix", source_branch: "gt/toast/gt-2", target_branch: "main", description: "Bead-ID: gt-2" });
	assert.equal(mr.status, 201);
	const hook = gl.addDiscussion("group/app", mr.json.iid, { body: "Rename this", author: "bob", position: { new_path: "a.js", new_line: 3 } });
	assert.equal(hook.object_kind, "note");
	const d = hook.object_attributes.discussion_id;
	assert.match(d, /^[0-9a-f]{40}$/);
	const list = await req("GET", `/projects/42/merge_requests/${mr.json.iid}/discussions?per_page=100`);
	assert.equal(list.json[0].notes[0].type, "DiffNote");
	assert.equal(list.headers.get("x-total"), "1");
	assert.equal((await req("GET", `/projects/42/merge_requests/${mr.json.iid}`)).json.detailed_merge_status, "discussions_not_resolved");
	assert.equal((await req("PUT", `/projects/42/merge_requests/${mr.json.iid}/merge`, {})).status, 405);
	assert.equal((await req("POST", `/projects/42/merge_requests/${mr.json.iid}/discussions/${d}/notes`, { body: "Renamed" })).status, 201);
	const res = await req("PUT", `/projects/42/merge_requests/${mr.json.iid}/discussions/${d}?resolved=true`);
	assert.equal(res.status, 200);
	assert.deepEqual(res.json.notes.map((n) => [n.body, n.resolved]), [["Rename this", true], ["Renamed", true]]);
	assert.equal((await req("PUT", `/projects/42/merge_requests/${mr.json.iid}/discussions/${d}`, { resolved: "false" }, auth, true)).json.notes[0].resolved, false);
	assert.equal((await req("PUT", `/projects/42/merge_requests/${mr.json.iid}/discussions/${d}`, { resolved: true })).json.notes[0].resolved, true);
	const got = await req("GET", `/projects/42/merge_requests/${mr.json.iid}`);
	assert.equal(got.json.detailed_merge_status, "mergeable");
	assert.equal((await req("PUT", `/projects/42/merge_requests/${mr.json.iid}/merge`, { sha: "deadbeef" })).status, 409);
	const merged = await req("PUT", `/projects/42/merge_requests/${mr.json.iid}/merge`, { sha: got.json.sha, squash: true });
	assert.equal(merged.json.state, "merged");
	gl.setCompare("group/app", "main", "gt/toast/gt-2", [{ new_path: "a.js", diff: "@@ -1 +1 @@\n-a\n+b\n" }]);
	const cmp = await req("GET", "/projects/42/repository/compare?from=main&to=gt%2Ftoast%2Fgt-2");
	assert.deepEqual(cmp.json.diffs.map((x) => [x.new_path, x.diff]), [["a.js", "@@ -1 +1 @@\n-a\n+b\n"]]);
	assert.deepEqual(gl.violations, []);
});

test("GitLab: refuses what GitLab refuses", async (t) => {
	const gl = await startFakeGitLab({ t });
	gl.addProject("group/app", { id: 7 });
	const mr = gl.addMergeRequest("group/app", { source_branch: "f" });
	const single = gl.addDiscussion("group/app", mr.iid, { body: "a plain comment", individual: true }).object_attributes.discussion_id;
	const h = { "private-token": "t", "content-type": "application/json" };
	const cases = [
		["a project path not URL-encoded", "GET", `/projects/group/app/merge_requests/${mr.iid}`, undefined, h, 404, "path"],
		["an endpoint not in the table", "GET", `/projects/7/merge_requests/${mr.iid}/notez`, undefined, h, 404, "path"],
		["a method the endpoint does not take", "DELETE", `/projects/7/merge_requests/${mr.iid}/discussions`, undefined, h, 405, "method"],
		["an iid that is not a number", "GET", "/projects/7/merge_requests/abc", undefined, h, 404, "param"],
		["a discussion id that is not 40 hex", "PUT", `/projects/7/merge_requests/${mr.iid}/discussions/123?resolved=true`, undefined, h, 404, "param"],
		["a missing required field", "POST", `/projects/7/merge_requests/${mr.iid}/discussions/${single}/notes`, {}, h, 400, "body"],
		["a field of the wrong type", "PUT", `/projects/7/merge_requests/${mr.iid}/discussions/${single}`, { resolved: "maybe" }, h, 400, "body"],
		["a missing compare ref", "GET", "/projects/7/repository/compare?from=main", undefined, h, 400, "body"],
		["a parameter the endpoint does not have", "POST", "/projects/7/merge_requests", { title: "x", source_branch: "a", target_branch: "b", body: "y" }, h, 400, "param"],
		["no token", "GET", `/projects/7/merge_requests/${mr.iid}`, undefined, { "content-type": "application/json" }, 401, "auth"],
		["a body that is neither JSON nor a form", "POST", "/projects/7/merge_requests", "title=x", { ...h, "content-type": "text/plain" }, 415, "header"],
		["replying to an individual note", "POST", `/projects/7/merge_requests/${mr.iid}/discussions/${single}/notes`, { body: "x" }, h, 400, "semantics"],
		["resolving an individual note", "PUT", `/projects/7/merge_requests/${mr.iid}/discussions/${single}`, { resolved: true }, h, 400, "semantics"],
	];
	for (const [why, method, path, body, headers, status, kind] of cases) {
		const res = await fetch(gl.url + path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
		assert.equal(res.status, status, `${why}: ${await res.text()}`);
		assert.equal(refused(gl, kind).status, status, why);
	}
	const missing = await fetch(`${gl.url}/projects/7/merge_requests`, { method: "POST", headers: h, body: JSON.stringify({ title: "x", source_branch: "a" }) });
	assert.deepEqual(await missing.json(), { error: "target_branch is missing" });
	refused(gl, "body");
	assert.equal(GITLAB_ENDPOINTS.every((e) => e.method && e.path.startsWith("/projects/:id")), true);
});

test("Slack: chat.postMessage, chat.update and response_url, with Slack's refusals", async (t) => {
	const slack = await startFakeSlack({ token: "xoxb-1-fake", t });
	const post = (method, body, headers = { authorization: "Bearer xoxb-1-fake", "content-type": "application/json; charset=utf-8" }) =>
		fetch(`${slack.url}/${method}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) })
			.then(async (r) => ({ status: r.status, json: await r.json() }));
	const parent = slack.addMessage("C0CHAN001", { text: "@gastown fix it" });
	const m = await post("chat.postMessage", { channel: "C0CHAN001", text: "On it: gt-1", thread_ts: parent });
	assert.equal(m.status, 200);
	assert.equal(m.json.ok, true);
	assert.match(m.json.ts, /^\d+\.\d{6}$/);
	const u = await post("chat.update", { channel: "C0CHAN001", ts: m.json.ts, text: "Landed: gt-1", blocks: [{ type: "section", text: { type: "mrkdwn", text: "*Landed*" } }] });
	assert.equal(u.json.ok, true);
	assert.deepEqual(slack.messages("C0CHAN001").map((x) => [x.text, x.thread_ts ?? null]), [["@gastown fix it", null], ["Landed: gt-1", parent]]);
	const form = await post("chat.postMessage", new URLSearchParams({ channel: "C0CHAN001", text: "form", token: "xoxb-1-fake" }).toString(),
		{ "content-type": "application/x-www-form-urlencoded" });
	assert.equal(form.json.ok, true);
	assert.deepEqual(slack.violations, []);
	const cases = [
		["no token", "chat.postMessage", { channel: "C0CHAN001", text: "x" }, { "content-type": "application/json" }, "not_authed", "auth"],
		["a wrong token", "chat.postMessage", { channel: "C0CHAN001", text: "x" }, { authorization: "Bearer xoxb-other", "content-type": "application/json" }, "invalid_auth", "auth"],
		["no channel", "chat.postMessage", { text: "x" }, undefined, "channel_not_found", "body"],
		["neither text nor blocks", "chat.postMessage", { channel: "C0CHAN001" }, undefined, "no_text", "body"],
		["thread_ts of the wrong type", "chat.postMessage", { channel: "C0CHAN001", text: "x", thread_ts: 1531420618.1 }, undefined, "invalid_arguments", "body"],
		["blocks without a type", "chat.postMessage", { channel: "C0CHAN001", blocks: [{ text: "x" }] }, undefined, "invalid_arguments", "body"],
		["chat.update without ts", "chat.update", { channel: "C0CHAN001", text: "x" }, undefined, "invalid_arguments", "body"],
		["a method that is not the Web API's", "chat.postMessages", { channel: "C0CHAN001", text: "x" }, undefined, "unknown_method", "path"],
		["a JSON body sent as text", "chat.postMessage", { channel: "C0CHAN001", text: "x" }, { authorization: "Bearer xoxb-1-fake", "content-type": "text/plain" }, "invalid_form_data", "header"],
	];
	for (const [why, method, body, headers, error, kind] of cases) {
		const res = await post(method, body, headers);
		assert.equal(res.json.ok, false, why);
		assert.equal(res.json.error, error, why);
		refused(slack, kind);
	}
	// Failures armed: a Slack error answered with HTTP 200, and rate limiting.
	slack.failNext(/postMessage/, "channel_not_found");
	assert.deepEqual((await post("chat.postMessage", { channel: "C0CHAN001", text: "x" })).json, { ok: false, error: "channel_not_found" });
	slack.failNext(/postMessage/, 429, 1, { retryAfter: 3 });
	const limited = await fetch(`${slack.url}/chat.postMessage`, { method: "POST", headers: { authorization: "Bearer xoxb-1-fake", "content-type": "application/json" },
		body: JSON.stringify({ channel: "C0CHAN001", text: "x" }) });
	assert.equal(limited.status, 429);
	assert.equal(limited.headers.get("retry-after"), "3");
	// A slash command's response_url: five posts, then used_url.
	const cmd = slack.slashCommand({ text: "fix the build" });
	assert.ok(cmd.response_url.startsWith(slack.origin + "/commands/"));
	for (let i = 0; i < 5; i++)
		assert.equal((await fetch(cmd.response_url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: `step ${i}`, response_type: "in_channel" }) })).status, 200);
	assert.equal(slack.responses(cmd.response_url).length, 5);
	assert.deepEqual(slack.violations, []);
	assert.equal((await fetch(cmd.response_url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "six" }) })).status, 404);
	refused(slack, "semantics", /5 posts/);
	const other = slack.slashCommand();
	assert.equal((await fetch(other.response_url, { method: "POST", body: JSON.stringify({ response_type: "everyone", text: "x" }) })).status, 400);
	refused(slack, "body", /response_type/);
});

test("signers: GitHub's and Slack's official test vectors", async () => {
	assert.equal(await signGitHub("It's a Secret to Everybody", "Hello, World!"),
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	const body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
		"&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands" +
		"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
	assert.equal(signSlack("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body),
		"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
	const d = slackDelivery("8f742231b10e8888abcd99yyyzzz85a5", new URLSearchParams(body), { timestamp: 1531420618 });
	assert.equal(d.body, body);
	assert.equal(d.headers["content-type"], "application/x-www-form-urlencoded");
	assert.equal(d.headers["x-slack-signature"], "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
	// Changing one byte changes the signature (the signers sign the raw body, nothing else).
	assert.notEqual(signSlack("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body + " "), d.headers["x-slack-signature"]);
	const ev = slackDelivery("s", { type: "event_callback", event_id: "Ev1" }, { retryNum: 1 });
	assert.equal(ev.headers["content-type"], "application/json");
	assert.equal(ev.headers["x-slack-signature"], signSlack("s", ev.headers["x-slack-request-timestamp"], ev.body));
	assert.equal(ev.headers["x-slack-retry-num"], "1");
	assert.equal("x-slack-signature" in slackDelivery(null, {}).headers, false);
});

test("deliveries: GitHub and GitLab headers, redelivery ids, and every webhooks example", async () => {
	const g = await githubDelivery("It's a Secret to Everybody", "ping", "Hello, World!", { delivery: "d-1" });
	assert.equal(g.headers["x-hub-signature-256"], "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	assert.equal(g.headers["x-github-delivery"], "d-1");
	assert.equal(g.headers["x-github-event"], "ping");
	assert.match(g.headers["user-agent"], /^GitHub-Hookshot\//);
	assert.equal("x-hub-signature-256" in (await githubDelivery(null, "ping", {})).headers, false);
	assert.equal((await githubDelivery("s", "ping", {}, { signature: "sha256=00" })).headers["x-hub-signature-256"], "sha256=00");
	const l = gitlabDelivery("gl-secret", "Note Hook", { object_kind: "note" }, { idempotencyKey: "k-1" });
	assert.equal(l.headers["x-gitlab-token"], "gl-secret");
	assert.equal(l.headers["x-gitlab-event"], "Note Hook");
	assert.equal(l.headers["idempotency-key"], "k-1");
	assert.match(l.headers["x-gitlab-event-uuid"], /^[0-9a-f-]{36}$/);
	assert.notEqual(gitlabDelivery("s", "Note Hook", {}).headers["idempotency-key"], gitlabDelivery("s", "Note Hook", {}).headers["idempotency-key"]);
	const all = githubExamples();
	assert.equal(all.length, 329);
	assert.equal(new Set(all.map((x) => x.name)).size, all.length);
	assert.ok(all.every((x) => typeof x.event === "string" && x.payload && typeof x.payload === "object"));
	assert.ok(all.some((x) => x.name === "issues.labeled"));
	assert.ok(all.some((x) => x.event === "ping" && x.action === null));
	const opened = all.find((x) => x.name === "issues.opened");
	assert.equal(opened.action, "opened");
	opened.payload.mutated = true;
	assert.equal(githubExamples().find((x) => x.name === "issues.opened").payload.mutated, undefined);
});
