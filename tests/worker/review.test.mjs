// review.test.mjs - the loop end to end, nothing of the town faked: an issue labelled on GitHub
// becomes a bead, a member slings it, a polecat (the scripted agent in the native host) opens a
// pull request, a reviewer's comment becomes a sub-bead worked on the PR's branch, the reply is
// posted and the thread resolved, a comment no webhook brought is found by polling, the approval is
// recorded, the merge lands the work and the issue's tracking comment says so. GitHub is the fake
// that checks every request against GitHub's own OpenAPI description and GraphQL schema.
import assert from "node:assert/strict";
import { test } from "node:test";
import { git } from "./harness.mjs";
import { script, setup, TOWN } from "./e2e-harness.mjs";
import { startFakeGitHub, startFakeGitLab } from "./fake-platforms.mjs";
import { appliedDelivery, githubDelivery, gitlabDelivery } from "./webhooks.mjs";

const HOOK_SECRET = "review-webhook-secret-0123456789";
const TOKEN = "ghp_review_token_0123456789";

test("issue → bead → pull request → review comment → fix, reply, resolve → approval → merged → issue told", { timeout: 150_000 }, async (t) => {
	const s = await setup(t);
	const gh = await startFakeGitHub({ token: TOKEN, t });
	gh.addRepo("acme/app");
	const deliver = async (event, payload) => {
		const d = await githubDelivery(HOOK_SECRET, event, payload);
		const res = await fetch(`${s.base}/api/towns/${TOWN}/hooks/github`, { method: "POST", headers: d.headers, body: d.body });
		const body = await res.json();
		if (res.status === 200) return body.data; // answered at once (a redelivery)
		assert.equal(res.status, 202, JSON.stringify(body));
		return appliedDelivery((path) => s.api("GET", path), "github", body.data.delivery);
	};
	assert.equal((await s.api("PATCH", "/rigs/app", { merge_strategy: "pr", settings: { api_url: gh.url, repo: "acme/app", pr_poll_s: 2 } })).status, 200);
	const connected = await s.api("PUT", "/integrations/github", { secrets: { webhook_secret: HOOK_SECRET, token: TOKEN },
		settings: { api_url: gh.url, dashboard_url: "https://town.example" } });
	assert.equal(connected.status, 200, connected.text);
	await s.api("PUT", "/integrations/github/logins/alice-gh", { user: "alice" });

	// The issue asks for work (the scripted agent reads its instructions from the bead's body).
	const issue = gh.addIssue("acme/app", { title: "Add the pr file", labels: ["gastown"],
		body: script("write pr.txt", "via pr", ".", "commit Add pr.txt", "done") });
	const took = await deliver("issues", gh.issuePayload("acme/app", issue.number, "opened", { sender: "alice-gh" }));
	assert.equal(took.outcome, "created");
	const work = took.bead;
	assert.equal((await s.api("GET", `/beads/${work}`)).data.requested_by, "alice");
	assert.equal((await s.api("POST", `/beads/${work}/sling`, { rig: "app" })).status, 200);

	// The polecat's work becomes a pull request.
	const mr = await s.until("the pull request opens", async () => {
		const beads = (await s.api("GET", "/beads?type=merge-request")).data.beads;
		const m = beads.find((b) => b.parent === work && b.metadata?.pull_request?.number);
		return m;
	}, 60_000);
	const number = mr.metadata.pull_request.number;
	const pr = gh.pullRequest("acme/app", number);
	assert.match(pr.head.ref, new RegExp(`^gt/[a-z]+/${work}$`));

	// A reviewer's comment, with the fix's instructions for the scripted agent.
	const comment = gh.addReviewComment("acme/app", number, { user: "rita", path: "pr.txt", line: 1,
		body: "Please add a second line.\n\n" + script("append pr.txt", "second line", ".", "commit Address review", "done") });
	const asked = await deliver("pull_request_review_comment", comment);
	assert.equal(asked.outcome, "created", JSON.stringify(asked));
	const sub = (await s.api("GET", `/beads/${asked.bead}`)).data;
	assert.equal(sub.parent, mr.id);
	assert.equal(sub.metadata.review.kind, "fix");
	assert.equal(sub.metadata.review.path, "pr.txt");
	assert.equal(sub.metadata.review.branch, pr.head.ref);
	assert.equal(sub.requested_by, "alice", "the human who asked for the work answers for its review");
	// The same comment again (a redelivery with a new id, or the poll) is not new work.
	assert.equal((await deliver("pull_request_review_comment", comment)).outcome, "duplicate");

	// The fix lands on the pull request's own branch; the town replies and resolves the thread.
	await s.until("the review's fix lands", async () => (await s.api("GET", `/beads/${asked.bead}`)).data.status === "closed", 60_000);
	assert.match(git(s.dir, "--git-dir", "origin.git", "log", pr.head.ref, "--format=%s"), /Address review[\s\S]*Add pr\.txt/);
	await s.until("the thread is answered and resolved", async () => {
		const thread = gh.thread(comment.thread_id);
		return thread.isResolved && thread.comments.length === 2;
	}, 20_000);
	const reply = gh.reviewComments("acme/app", number).find((c) => c.in_reply_to_id === comment.comment.id);
	assert.match(reply.body, /Addressed/);
	assert.match((await s.api("GET", `/beads/${asked.bead}`)).data.metadata.review.reply, /^Addressed/);
	const progress = (await s.api("GET", `/beads/${mr.id}`)).data.metadata.review_progress;
	assert.deepEqual(progress, { total: 1, addressed: 1 });

	// A comment no webhook brought: the poll finds it.
	gh.addReviewComment("acme/app", number, { user: "rita", path: "pr.txt", line: 2,
		body: "nit: end with a newline\n\n" + script("append pr.txt", "third", ".", "commit Nit", "done") });
	const polled = await s.until("the poll finds the comment", async () => {
		const subs = (await s.api(`GET`, `/beads?parent=${mr.id}`)).data.beads.filter((b) => b.metadata?.review);
		return subs.find((b) => b.metadata.review.kind === "nit");
	}, 30_000);
	await s.until("the nit lands", async () => (await s.api("GET", `/beads/${polled.id}`)).data.status === "closed", 60_000);

	// Approval is recorded, not worked; the merge lands the work and the issue is told.
	assert.equal((await deliver("pull_request_review", gh.addReview("acme/app", number, { user: "rita", state: "APPROVED" }))).outcome, "approved");
	gh.mergePullRequest("acme/app", number, "rita");
	await s.until("the work lands", async () => (await s.api("GET", `/beads/${work}`)).data.status === "closed", 30_000);
	await s.until("the issue's tracking comment says it landed", async () =>
		/^Landed/.test(gh.issueComments("acme/app", issue.number)[0]?.body ?? ""), 20_000);
	assert.equal(gh.issueComments("acme/app", issue.number).length, 1);
	assert.deepEqual(gh.violations, [], JSON.stringify(gh.violations, null, 1));
	// The work's outcome: merged, with the two review comments it received counted.
	const worker = (await s.api("GET", `/beads/${work}`)).data.worked_by;
	const outcome = (await s.api("GET", `/agents/${worker}/record`)).data.recent.find((o) => o.bead === work);
	assert.deepEqual([outcome?.result, outcome?.comments], ["merged", 2], JSON.stringify(outcome));
});

test("a conflicting pull request gets a bead; a clean one with no review open merges after the rig's delay", { timeout: 120_000 }, async (t) => {
	const s = await setup(t);
	const gh = await startFakeGitHub({ token: TOKEN, t });
	gh.addRepo("acme/app");
	assert.equal((await s.api("PATCH", "/rigs/app", { merge_strategy: "pr",
		settings: { api_url: gh.url, repo: "acme/app", pr_poll_s: 2, auto_merge_delay_s: 3 } })).status, 200);
	assert.equal((await s.api("PATCH", "", { secrets: { github_token: TOKEN } })).status, 200);
	const work = await s.bead("Auto-merged work", script("write auto.txt", "auto", ".", "commit Add auto.txt", "done"));
	assert.equal((await s.api("POST", `/beads/${work}/sling`, { rig: "app" })).status, 200);
	const mr = await s.until("the pull request opens", async () =>
		(await s.api("GET", "/beads?type=merge-request")).data.beads.find((b) => b.parent === work && b.metadata?.pull_request?.number), 60_000);
	const number = mr.metadata.pull_request.number;

	// The base moved under it: one conflict bead on the pull request's branch, however many polls see it.
	gh.updatePullRequest("acme/app", number, { mergeable: false, mergeable_state: "dirty" });
	const conflict = await s.until("a conflict bead", async () =>
		(await s.api("GET", `/beads?parent=${mr.id}`)).data.beads.find((b) => b.metadata?.review?.kind === "conflict"), 20_000);
	assert.equal(conflict.metadata.review.branch, gh.pullRequest("acme/app", number).head.ref);
	assert.match(conflict.title, new RegExp(`pull request #${number}`));
	await new Promise((r) => setTimeout(r, 5000));
	assert.equal((await s.api("GET", `/beads?parent=${mr.id}`)).data.beads.filter((b) => b.metadata?.review?.kind === "conflict").length, 1);

	// Resolved by hand; the pull request is clean: nothing merges while the conflict bead is open,
	// then the town merges it once it has stayed clean for the delay, naming the head it saw.
	gh.updatePullRequest("acme/app", number, { mergeable: true, mergeable_state: "clean" });
	await new Promise((r) => setTimeout(r, 4000));
	assert.equal(gh.requestsTo(/\/pulls\/\d+\/merge$/, "PUT").length, 0, "no merge while a review bead is open");
	const closed = await s.api("POST", `/beads/${conflict.id}/close`, { reason: "resolved by hand" });
	assert.equal(closed.status, 200, closed.text);
	await s.until("the work lands by auto-merge", async () => (await s.api("GET", `/beads/${work}`)).data.status === "closed", 30_000);
	const merge = gh.requestsTo(/\/pulls\/\d+\/merge$/, "PUT");
	assert.equal(merge.length, 1);
	assert.equal(merge[0].body.sha, gh.pullRequest("acme/app", number).head.sha);
	assert.deepEqual(gh.violations, [], JSON.stringify(gh.violations, null, 1));
});

test("gitlab: a `pr` rig opens a merge request; a review note becomes a sub-bead, answered and resolved in its discussion", { timeout: 150_000 }, async (t) => {
	const GL_HOOK = "gitlab-review-hook-0123456789", GL_TOKEN = "glpat-review-0123456789";
	const s = await setup(t);
	const gl = await startFakeGitLab({ token: GL_TOKEN, t });
	gl.addProject("acme/app", { id: 321 });
	assert.equal((await s.api("PATCH", "/rigs/app", { merge_strategy: "pr",
		settings: { platform: "gitlab", api_url: gl.url, repo: "acme/app", pr_poll_s: 2 } })).status, 200);
	assert.equal((await s.api("PUT", "/integrations/gitlab", { secrets: { webhook_token: GL_HOOK, token: GL_TOKEN },
		settings: { api_url: gl.url } })).status, 200);
	const work = await s.bead("Through a merge request", script("write mr.txt", "via mr", ".", "commit Add mr.txt", "done"));
	assert.equal((await s.api("POST", `/beads/${work}/sling`, { rig: "app" })).status, 200);
	const mr = await s.until("the merge request opens", async () =>
		(await s.api("GET", "/beads?type=merge-request")).data.beads.find((b) => b.parent === work && b.metadata?.pull_request?.number), 60_000);
	const iid = mr.metadata.pull_request.number;
	assert.match(gl.mergeRequest("acme/app", iid).source_branch, new RegExp(`^gt/[a-z]+/${work}$`));

	const note = gl.addDiscussion("acme/app", iid, { author: "rita", position: { new_path: "mr.txt", new_line: 1 },
		body: "Please add a second line.\n\n" + script("append mr.txt", "second", ".", "commit Address review", "done") });
	const res = await fetch(`${s.base}/api/towns/${TOWN}/hooks/gitlab`, { method: "POST",
		...gitlabDelivery(GL_HOOK, "Note Hook", note) });
	const queued = (await res.json()).data;
	assert.equal(res.status, 202, JSON.stringify(queued));
	const took = await appliedDelivery((path) => s.api("GET", path), "gitlab", queued.delivery);
	assert.equal(took.outcome, "created", JSON.stringify(took));
	const sub = (await s.api("GET", `/beads/${took.bead}`)).data;
	assert.equal(sub.parent, mr.id);
	assert.equal(sub.metadata.review.thread, note.object_attributes.discussion_id);
	await s.until("the fix lands", async () => (await s.api("GET", `/beads/${took.bead}`)).data.status === "closed", 60_000);
	await s.until("the discussion is answered and resolved", async () => {
		const d = gl.discussion("acme/app", note.object_attributes.discussion_id);
		return d.notes.length === 2 && d.notes[0].resolved;
	}, 20_000);

	// A discussion no webhook brought: the poll of the merge request's discussions finds it.
	const quiet = gl.addDiscussion("acme/app", iid, { author: "rita", position: { new_path: "mr.txt", new_line: 2 },
		body: "nit: one more line\n\n" + script("append mr.txt", "third", ".", "commit Nit", "done") });
	const polled = await s.until("the poll finds the discussion", async () =>
		(await s.api("GET", `/beads?parent=${mr.id}`)).data.beads.find((b) => b.metadata?.review?.thread === quiet.object_attributes.discussion_id), 30_000);
	assert.equal(polled.metadata.review.kind, "nit");
	await s.until("the nit lands", async () => (await s.api("GET", `/beads/${polled.id}`)).data.status === "closed", 60_000);

	gl.updateMergeRequest("acme/app", iid, { state: "merged", merged_at: Date.now(), merge_commit_sha: "0123abcd0123abcd" });
	await s.until("the work lands", async () => (await s.api("GET", `/beads/${work}`)).data.status === "closed", 30_000);
	assert.match((await s.api("GET", `/beads/${work}`)).data.close_reason, /0123abcd/);

	// With the agent host gone, the Diff tab's text is the merge request's raw diffs (GitLab's
	// compare answers only JSON), with the project's token.
	const files = [{ old_path: "mr.txt", new_path: "mr.txt", new_file: true, diff: "@@ -0,0 +1,3 @@\n+via mr\n+second\n+third\n" }];
	gl.updateMergeRequest("acme/app", iid, { files });
	await s.env.host.stop();
	const diff = await s.api("GET", `/beads/${work}/diff`);
	assert.equal(diff.status, 200, diff.text);
	assert.equal(diff.data.source, "gitlab", diff.text);
	assert.equal(diff.data.diff, "diff --git a/mr.txt b/mr.txt\n--- /dev/null\n+++ b/mr.txt\n@@ -0,0 +1,3 @@\n+via mr\n+second\n+third\n");
	assert.ok(gl.requests.some((q) => q.method === "GET" && q.path.endsWith(`/projects/acme%2Fapp/merge_requests/${iid}/raw_diffs`)),
		JSON.stringify(gl.requests.map((q) => q.path).slice(-5)));
	assert.deepEqual(gl.violations, [], JSON.stringify(gl.violations, null, 1));
});
