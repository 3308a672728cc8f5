// diffs.test.mjs - diffs linked to beads, with nothing faked but GitHub: the worker in workerd, the
// native agent host running the scripted agent through gt in a real git worktree. The agent changes
// files and reports done; the bead's diff has git's stats and the exact unified diff from the host;
// once the host is stopped the diff comes from a local fake of GitHub's compare API; with neither,
// the stats alone with a reason. Unknown beads and strangers are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { git, localServer } from "./harness.mjs";
import { JWT_SECRET, TOWN, script, setup } from "./e2e-harness.mjs";

const origin = (s, ...args) => git(s.dir, "--git-dir", "origin.git", ...args);
const unified = (s, base, head) => origin(s, "diff", "--no-color", "--no-ext-diff", "--no-renames", `${base}...${head}`, "--");

test("a bead's diff: git's stats at done, the unified diff from the host, then from GitHub, then the stats alone", { timeout: 120_000 }, async (t) => {
	const s = await setup(t);
	// The refinery's gate takes a while: the bead sits in review with the polecat's report meanwhile.
	assert.equal((await s.api("PATCH", "/rigs/app", { settings: { gates: "sleep 4" } })).status, 200);
	const id = await s.bead("Add a module", script(
		"write src/mod.c", "int one(void) { return 1; }", "int two(void) { return 2; }", "int three(void) { return 3; }", ".",
		"append README.md", "More about the app.", ".",
		"run printf '\\000\\001\\002binary' > blob.bin",
		"commit Add a module", "done"));
	const convoy = await s.api("POST", "/convoys", { title: "Modules", beads: [id] });
	assert.equal(convoy.status, 201, convoy.text);
	// Before any work: an empty diff, not an error (the dashboard's drawer shows its empty state).
	const none = await s.api("GET", `/beads/${id}/diff`);
	assert.equal(none.status, 200, none.text);
	assert.equal(none.data.recorded, false);
	assert.deepEqual(none.data.files, []);
	assert.equal(none.data.diff, null);
	assert.equal((await s.api("POST", `/beads/${id}/sling`, { rig: "app" })).status, 200);

	// The polecat's report, while the bead is in review: git's own numbers for the three files.
	const first = await s.until("a diff is recorded", async () => {
		const r = await s.api("GET", `/beads/${id}/diff`);
		return r.data?.recorded ? r : false;
	}, 60_000);
	const byPath = (files) => Object.fromEntries(files.map((f) => [f.path, f]));
	const expectStats = (d) => {
		const f = byPath(d.files);
		assert.deepEqual(Object.keys(f).sort(), ["README.md", "blob.bin", "src/mod.c"], JSON.stringify(d.files));
		assert.deepEqual(f["src/mod.c"], { path: "src/mod.c", status: "added", additions: 3, deletions: 0, binary: false });
		assert.deepEqual(f["README.md"], { path: "README.md", status: "modified", additions: 1, deletions: 0, binary: false });
		assert.deepEqual(f["blob.bin"], { path: "blob.bin", status: "added", additions: 0, deletions: 0, binary: true });
		assert.deepEqual(d.totals, { files: 3, additions: 4, deletions: 0 });
		assert.match(d.base, /^[0-9a-f]{40}$/);
		assert.match(d.head, /^[0-9a-f]{40}$/);
	};
	expectStats(first.data);
	assert.equal(first.data.landed, false, first.text);
	{
		// The polecat's branch: head is what it pushed, base where it left main.
		assert.match(first.data.branch, new RegExp(`^gt/[a-z]+/${id}$`));
		assert.equal(first.data.head, origin(s, "rev-parse", first.data.branch).trim());
		assert.equal(first.data.base, origin(s, "rev-parse", `${first.data.branch}~1`).trim());
		assert.equal(first.data.source, "host", first.text);
		assert.equal(first.data.diff, unified(s, first.data.base, first.data.head));
	}

	// Merged: what landed, the merge commit against the main it was made on.
	await s.until("the bead closes", async () => (await s.api("GET", `/beads/${id}`)).data.status === "closed", 60_000);
	const landed = await s.api("GET", `/beads/${id}/diff`);
	assert.equal(landed.status, 200, landed.text);
	assert.equal(landed.data.landed, true, landed.text);
	expectStats(landed.data);
	assert.equal(landed.data.head, origin(s, "rev-parse", "main").trim());
	assert.equal(landed.data.base, origin(s, "rev-parse", "main^1").trim());
	assert.match(landed.data.branch, new RegExp(`^gt/[a-z]+/${id}$`));
	assert.equal(landed.data.source, "host");
	assert.equal(landed.data.reason, null);
	const text = unified(s, landed.data.base, landed.data.head);
	assert.equal(landed.data.diff, text);
	assert.match(text, /^\+int two\(void\) \{ return 2; \}$/m);
	assert.match(text, /Binary files \/dev\/null and b\/blob\.bin differ/);

	// The host's route is signed like every request of the town's: a stranger gets nothing.
	const path = `/towns/${TOWN}/rigs/app/diff/${landed.data.base}/${landed.data.head}`;
	assert.equal((await s.env.host.call("GET", path, undefined, { signature: null })).status, 401);
	const direct = await s.env.host.call("GET", path);
	assert.equal(direct.status, 200);
	assert.equal(direct.text, text);
	assert.equal((await s.env.host.call("GET", `/towns/${TOWN}/rigs/app/diff/${"ab".repeat(20)}/${landed.data.head}`)).status, 404);

	// The convoy sums what its beads changed.
	const c = await s.api("GET", `/convoys/${convoy.data.id}`);
	assert.deepEqual(c.data.diff_totals, { beads: 1, files: 3, additions: 4, deletions: 0, rigs: 1 });

	// The host is gone: GitHub's compare API, as the rig's settings and the town's token say.
	await s.env.host.stop();
	const seen = [];
	const github = await localServer(t, (req, res) => {
		seen.push({ url: req.url, accept: req.headers.accept, auth: req.headers.authorization, version: req.headers["x-github-api-version"] });
		if (req.url !== `/repos/acme/app/compare/${landed.data.base}...${landed.data.head}`) {
			res.writeHead(404, { "content-type": "application/json" });
			return res.end('{"message":"Not Found"}');
		}
		res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
		res.end(text);
	});
	assert.equal((await s.api("PATCH", "/rigs/app", { settings: { api_url: github.url, repo: "acme/app" } })).status, 200);
	assert.equal((await s.api("PATCH", "", { secrets: { github_token: "ghp_diffs" } })).status, 200);
	const fromGithub = await s.api("GET", `/beads/${id}/diff`);
	assert.equal(fromGithub.status, 200, fromGithub.text);
	assert.equal(fromGithub.data.source, "github", fromGithub.text);
	assert.equal(fromGithub.data.diff, text);
	assert.equal(fromGithub.data.reason, null);
	expectStats(fromGithub.data);
	assert.deepEqual(seen.at(-1), { url: `/repos/acme/app/compare/${landed.data.base}...${landed.data.head}`,
		accept: "application/vnd.github.diff", auth: "Bearer ghp_diffs", version: "2022-11-28" });

	// Neither answers: the stats, diff null and why; never a 500.
	await github.close();
	const alone = await s.api("GET", `/beads/${id}/diff`);
	assert.equal(alone.status, 200, alone.text);
	assert.equal(alone.data.diff, null);
	assert.equal(alone.data.source, null);
	assert.match(alone.data.reason, /neither the agent host nor the platform/);
	expectStats(alone.data);

	// An unknown bead is 404; a person of no standing in the town is refused.
	const unknown = await s.api("GET", "/beads/gt-nope1/diff");
	assert.equal(unknown.status, 404);
	assert.equal(unknown.body.error.field, "bead_id");
	const mallory = { authorization: `Bearer ${await new SignJWT({ sub: "mallory", name: "Mallory" })
		.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET))}` };
	// A town does not tell strangers it exists: the same 404 as no town at all, and none of the diff.
	const refused = await s.api("GET", `/beads/${id}/diff`, undefined, mallory);
	assert.equal(refused.status, 404, refused.text);
	assert.equal(refused.body.error.field, "town_id");
	assert.doesNotMatch(refused.text, /mod\.c/);
});
