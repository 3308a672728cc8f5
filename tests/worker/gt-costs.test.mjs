// gt-costs.test.mjs - gt's money commands against the real worker on loopback: costs in dollars
// and tokens, budgets and prices typed in dollars and stored as exact microdollars (bad amounts
// refused before any request), and an organization's fleet and teams in lines a person reads.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { ROOT, call, eventually, startWorker } from "./harness.mjs";

const run = promisify(execFile);
const GT = join(ROOT, "build/native/gt");
const SECRET = "gt-costs-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const jwt = (user) => new SignJWT({ sub: user, name: user }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("10m").sign(key);
const bearer = (token) => ({ authorization: `Bearer ${token}` });

async function gt(args, env) {
	try {
		const { stdout, stderr } = await run(GT, args, { env: { PATH: process.env.PATH, ...env } });
		return { code: 0, stdout, stderr };
	} catch (err) {
		return { code: err.code, stdout: err.stdout, stderr: err.stderr };
	}
}

// gt with env that must succeed; its stdout.
const ok = (env) => async (args) => {
	const r = await gt(args, env);
	assert.equal(r.code, 0, `gt ${args.join(" ")}: ${r.stderr}`);
	return r.stdout;
};

const record = (id, bead, extra = {}) => ({ id, bead, model: "claude-sonnet-4", input_tokens: 0, output_tokens: 0, ...extra });

// A rig, its polecat "toast" and the polecat's token, in town T (a path), set up by admin.
async function rigWithPolecat(mf, T, rig, admin) {
	assert.equal((await call(mf, "POST", `${T}/rigs`, { id: rig, git_url: `https://example.com/${rig}.git` }, admin)).status, 201);
	assert.equal((await call(mf, "POST", `${T}/agents`, { role: "polecat", rig }, admin)).status, 201);
	const r = await call(mf, "POST", `${T}/agents/toast/token`, undefined, admin);
	assert.equal(r.status, 201, r.text);
	return bearer(r.body.data.token);
}

test("gt costs, budget and price: dollars in, exact microdollars through, dollars out", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const tok = { alice: await jwt("alice"), bob: await jwt("bob"), vic: await jwt("vic") };
	const H = { alice: bearer(tok.alice), bob: bearer(tok.bob) };
	const env = { GASTOWN_URL: url, GASTOWN_TOKEN: tok.alice, GASTOWN_TOWN: "yard", HOME: "/nonexistent" };
	const gtok = ok(env);

	const T = "/api/towns/yard";
	assert.equal((await call(mf, "POST", T, { name: "Yard" }, H.alice)).status, 201);
	assert.equal((await call(mf, "PUT", `${T}/members/bob`, { role: "member" }, H.alice)).status, 200);
	assert.equal((await call(mf, "PUT", `${T}/members/vic`, { role: "viewer" }, H.alice)).status, 200);
	const polecat = await rigWithPolecat(mf, T, "web", H.alice);
	const mine = (await call(mf, "POST", `${T}/beads`, { title: "Alice's", rig: "web", held: true }, H.alice)).body.data.id;
	const bobs = (await call(mf, "POST", `${T}/beads`, { title: "Bob's", rig: "web", held: true }, H.bob)).body.data.id;

	// Nothing spent yet: today's total is zero.
	assert.match(await gtok(["costs"]), /^\d{4}-\d\d-\d\d: \$0\.00 in 0 model calls\ntokens: 0 input, 0 output, 0 cache read, 0 cache write\n$/);

	// Alice: 1000 in + 1000 out at $3/$15 per Mtok = $0.018, plus the upstream's own $0.006.
	// Bob: $47 by the upstream's own count.
	const r = await call(mf, "POST", `${T}/agents/toast/usage`, { records: [
		record("a1", mine, { input_tokens: 1000, output_tokens: 1000 }),
		record("a2", mine, { input_tokens: 10, cost_microusd: 6000, cache_read_tokens: 7 }),
		record("b1", bobs, { model: "gpt-4o", output_tokens: 5, cost_microusd: 47_000_000 }),
	] }, polecat);
	assert.equal(r.status, 200, r.text);

	assert.match(await gtok(["costs"]), /^\d{4}-\d\d-\d\d: \$47\.024 in 3 model calls\ntokens: 1010 input, 1005 output, 7 cache read, 0 cache write\n/);
	const byUser = await gtok(["costs", "--by", "user"]);
	const lines = byUser.split("\n");
	assert.match(lines[3], /^user\s+cost\s+calls\s+input\s+output\s+cache read\s+cache write$/);
	// The server's order: by cost, most first.
	assert.match(lines[4], /^bob\s+\$47\.00\s+1\s+0\s+5\s+0\s+0$/);
	assert.match(lines[5], /^alice\s+\$0\.024\s+2\s+1010\s+1000\s+7\s+0$/);
	const week = JSON.parse(await gtok(["costs", "--by", "user", "--week", "--json"]));
	assert.equal(week.period, "week");
	assert.deepEqual(week.rows.map((x) => [x.key, x.cost_microusd]), [["bob", 47_000_000], ["alice", 24000]]);
	assert.match(await gtok(["costs", "--by", "model", "--all"]), /^all time: \$47\.024 in 3 model calls\n[^]*\ngpt-4o\s+\$47\.00\s+1\s[^]*\nclaude-sonnet-4\s+\$0\.024\s+2\s/);
	assert.match(await gtok(["costs", "--by", "bead", "--month"]), new RegExp(`\\n${bobs}\\s+\\$47\\.00 `));
	assert.match(await gtok(["costs", "--by", "convoy"]), /\nno usage by convoy in this period\n$/);
	// Another day has nothing.
	assert.match(await gtok(["costs", "--date", "2020-01-01"]), /^2020-01-01: \$0\.00 in 0 model calls\n/);
	// The server's refusals come through cli_fail.
	let bad = await gt(["costs", "--by", "colour"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /'by' is bead, convoy, rig, agent, model, user or town \(400 invalid\)/);
	bad = await gt(["costs", "--date", "yesterday"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /'date' is YYYY-MM-DD/);
	bad = await gt(["costs", "--day", "--week"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /choose one period/);
	bad = await gt(["costs"], { ...env, GASTOWN_TOKEN: "" });
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /401/);

	// Budgets: set in dollars, shown as spend / limit with the state.
	assert.equal(await gtok(["budget", "list"]), "no budgets: gt budget set SCOPE KEY DOLLARS\n");
	assert.match(await gtok(["budget", "set", "user-day", "alice", "0.02"]), /^user-day:alice {2}\$0\.024 \/ \$0\.02 {2}day {4}reached {2}\(warns at 90%\)\n$/);
	let list = JSON.parse(await gtok(["budget", "set", "user-day", "bob", "0.1", "--soft", "50", "--json"]));
	assert.deepEqual(list.find((b) => b.key === "bob"), { scope: "user-day", key: "bob", limit_microusd: 100000, soft_pct: 50,
		spend_microusd: 47_000_000, period: "day", state: "reached" });
	// Exact conversions, from the smallest amount to the largest the engine takes.
	for (const [dollars, micro] of [["12.50", 12_500_000], ["$7", 7_000_000], ["0.000001", 1], ["0", 0], ["000.10", 100_000],
		["1000000000", 1e15], ["999999999.999999", 1e15 - 1], ["0.3", 300_000], ["4.35", 4_350_000]]) {
		list = JSON.parse(await gtok(["--json", "budget", "set", "user-week", "alice", dollars]));
		assert.equal(list.find((b) => b.scope === "user-week").limit_microusd, micro, dollars);
	}
	const before = await gtok(["--json", "budget", "list"]);
	for (const [amount, why] of [
		["1.2345678", /'1\.2345678' has more than 6 decimal places: the smallest amount is \$0\.000001/],
		["-5", /'-5' is negative/],
		["-0.01", /'-0\.01' is negative/],
		["abc", /'abc' is not an amount of dollars: write digits with an optional point, e\.g\. 5 or 12\.50/],
		["1,50", /'1,50' is not an amount of dollars/],
		["5.", /'5\.' is not an amount of dollars/],
		["1e3", /'1e3' is not an amount of dollars/],
		["", /'' is not an amount of dollars/],
		[" 5", /' 5' is not an amount of dollars/],
		["1000000000.000001", /'1000000000\.000001' is more than the most allowed, \$1000000000\.00/],
		["99999999999999999999999", /is more than the most allowed/],
	]) {
		const res = await gt(["budget", "set", "user-day", "alice", amount], env);
		assert.equal(res.code, 2, `${amount}: ${res.stderr}`);
		assert.match(res.stderr, why);
		assert.match(res.stderr, /^gt budget: /);
		assert.equal(res.stdout, "");
	}
	bad = await gt(["budget", "set", "user-day", "alice", "5", "--soft", "half"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /--soft is a whole percent/);
	bad = await gt(["budget", "set", "user-day", "alice", "5", "--soft", "101"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /soft_pct/);
	bad = await gt(["budget", "set", "rig-day", "nope", "5"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /no rig 'nope' in this town \(400 invalid\)/);
	bad = await gt(["budget", "set", "town-month", "yard", "5"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /key is 'town'/);
	bad = await gt(["budget", "set", "user-day", "alice"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /^gt budget set: missing operand after 'alice'\nusage: gt .*budget set SCOPE KEY DOLLARS/);
	// A viewer may look but not set.
	bad = await gt(["budget", "set", "user-day", "alice", "100"], { ...env, GASTOWN_TOKEN: tok.vic });
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /403 forbidden/);
	assert.equal(await gtok(["--json", "budget", "list"]), before, "a refused amount changes nothing");

	// Keys travel percent-encoded: a user id may hold characters a URL does not.
	assert.match(await gtok(["budget", "set", "user-day", "auth0|42?#%", "1"]), /\nuser-day:auth0\|42\?#%\s+\$0\.00 \/ \$1\.00\s+day\s+ok\s/);
	assert.match(await gtok(["budget", "set", "rig-day", "web", "100", "--soft", "50"]), /rig-day:web\s+\$47\.024 \/ \$100\.00\s+day\s+ok\s+\(warns at 50%\)/);
	assert.match(await gtok(["budget", "set", "town-month", "town", "50"]), /town-month:town\s+\$47\.024 \/ \$50\.00\s+month\s+warning/);
	assert.doesNotMatch(await gtok(["budget", "rm", "user-day", "bob"]), /user-day:bob/);
	bad = await gt(["budget", "rm", "user-day", "bob"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /404 not_found/);

	// Prices: dollars per million tokens, stored as microdollars.
	const set = await gtok(["price", "set", "my-model*", "3", "15", "0.30", "3.75"]);
	assert.match(set, /^model\s+input\s+output\s+cache read\s+cache write\s+set by\nmy-model\*\s+\$3\.00\s+\$15\.00\s+\$0\.30\s+\$3\.75\s+alice\n\(dollars per million tokens\)\n$/);
	const prices = JSON.parse(await gtok(["--json", "price", "set", "tiny", "0.000001", "1000"]));
	assert.deepEqual(prices.find((p) => p.model === "tiny"), { model: "tiny", input_per_mtok: 1, output_per_mtok: 1_000_000_000,
		cache_read_per_mtok: 0, cache_write_per_mtok: 0, updated_by: "alice" });
	assert.equal(prices.find((p) => p.model === "my-model*").cache_write_per_mtok, 3_750_000);
	bad = await gt(["price", "set", "tiny", "1000.01", "1"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /^gt price: '1000\.01' is more than the most allowed, \$1000\.00/);
	bad = await gt(["price", "set", "tiny", "1", "0.0000001"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /more than 6 decimal places/);
	bad = await gt(["price", "set", "tiny", "1"], env);
	assert.equal(bad.code, 2);
	const all = await gtok(["price", "list"]);
	assert.match(all, /\nclaude-sonnet-4\*\s+\$3\.00\s+\$15\.00\s+\$0\.30\s+\$3\.75\s+default\n/);
	assert.match(all, /\ntiny\s+\$0\.000001\s+\$1000\.00\s+\$0\.00\s+\$0\.00\s+alice\n/);
	assert.equal(await gtok(["price", "rm", "tiny"]), "removed the price of tiny\n");
	assert.doesNotMatch(await gtok(["price", "list"]), /\ntiny /);
	bad = await gt(["price", "rm", "tiny"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /no price for 'tiny'/);
});

test("gt fleet and gt team: an organization's towns, people, rigs and teams", async (t) => {
	const mf = startWorker({ port: 0, bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const tok = { alice: await jwt("alice"), john: await jwt("john") };
	const H = { alice: bearer(tok.alice), john: bearer(tok.john) };
	const env = { GASTOWN_URL: url, GASTOWN_TOKEN: tok.alice, HOME: "/nonexistent" };
	const gtok = ok(env);

	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, H.alice)).status, 201);
	assert.equal((await call(mf, "PUT", "/api/orgs/acme/members/john", { role: "member" }, H.alice)).status, 200);
	assert.ok([201, 202].includes((await call(mf, "POST", "/api/orgs/acme/towns/acme-pay", { name: "Pay" }, H.alice)).status));
	const T = "/api/towns/acme-pay";
	await eventually(async () => (await call(mf, "GET", T, undefined, H.john)).status === 200, { timeoutMs: 5000 });
	const polecat = await rigWithPolecat(mf, T, "payments", H.alice);

	// John's two beads on payments: one merged on its first review (first pass), one closed,
	// reopened and closed again (rework); $47 of model calls on the first.
	const bead = async (title) => (await call(mf, "POST", `${T}/beads`, { title, rig: "payments", held: true }, H.john)).body.data.id;
	const one = await bead("Refunds"), two = await bead("Receipts");
	let r = await call(mf, "POST", `${T}/agents/toast/usage`, { records: [record("j1", one, { cost_microusd: 47_000_000 })] }, polecat);
	assert.equal(r.status, 200, r.text);
	for (const [method, path, body] of [["POST", `${T}/beads/${one}/close`, { reason: "merged as 0123abc" }], ["POST", `${T}/beads/${two}/close`, {}],
		["PATCH", `${T}/beads/${two}`, { status: "open" }], ["POST", `${T}/beads/${two}/close`, {}]]) {
		r = await call(mf, method, path, body, H.john);
		assert.equal(r.status, 200, r.text);
	}

	// The town reports to its organization a few seconds later.
	const text = await eventually(async () => {
		const f = await gt(["fleet", "--org", "acme"], env);
		return f.code === 0 && /\n {2}acme-pay\/payments: .* 2 closed/.test(f.stdout) && /john: \$47/.test(f.stdout) ? f.stdout : null;
	}, { timeoutMs: 20_000, everyMs: 250 });
	assert.match(text, /^fleet of acme, this week \(\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\)\n/);
	assert.match(text, /\ntowns\n {2}acme-pay: \$47\.00 this week, 2 closed \(\d+\.\d a day\), 50% rework, 50% first-pass\n/);
	assert.match(text, /\nusers\n {2}john: \$47\.00 this week across 1 rig, 2 beads closed\n/);
	assert.match(text, /\nrigs\n {2}acme-pay\/payments: 50% rework, 50% first-pass, 2 closed, \$47\.00 this week\n/);
	assert.match(text, /\nteams\n {2}\(no team\): \$47\.00 this week, 2 beads closed, 50% rework, 50% first-pass\n$/);

	// Teams: set, seen at once in the fleet (the organization groups by team when asked).
	assert.equal(await gtok(["team", "set", "john", "platform", "--org", "acme"]), "john's work counts for team platform\n");
	const orgEnv = { ...env, GASTOWN_ORG: "acme" };
	assert.match(await ok(orgEnv)(["fleet"]), /\nteams\n {2}platform: \$47\.00 this week, 2 beads closed, 50% rework, 50% first-pass\n$/);
	const day = JSON.parse(await ok(orgEnv)(["fleet", "--day", "--json"]));
	assert.equal(day.period, "day");
	assert.equal(day.from, day.to);
	assert.deepEqual(day.users.map((u) => [u.user, u.cost_microusd, u.rigs, u.closed]), [["john", 47_000_000, 1, 2]]);
	assert.deepEqual(day.teams.map((x) => x.team), ["platform"]);
	assert.match(await ok(orgEnv)(["fleet", "--month"]), /^fleet of acme, this month /);
	assert.match(await ok(orgEnv)(["fleet", "--week", "--date", "2020-01-01"]),
		/^fleet of acme, in the week of 2019-12-30 \(2019-12-30 to 2020-01-05\)\nnothing reported yet/);
	assert.deepEqual(JSON.parse(await ok(orgEnv)(["--json", "team", "rm", "john"])), { user: "john", team: null });
	assert.match(await ok(orgEnv)(["fleet"]), /\n {2}\(no team\): \$47\.00/);

	// Errors: no organization, a member below admin, an unknown member, a period the fleet lacks.
	let bad = await gt(["fleet"], env);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /which organization\? pass --org ID or set GASTOWN_ORG/);
	bad = await gt(["fleet", "--org", "acme"], { ...env, GASTOWN_TOKEN: tok.john });
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /403 forbidden/);
	bad = await gt(["--org", "acme", "team", "set", "nobody", "x"], env);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /'nobody' is not a member of this organization \(404 not_found\)/);
	bad = await gt(["fleet", "--all"], orgEnv);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /^gt fleet: unknown option '--all'\nusage: gt fleet /);
	bad = await gt(["team", "set", "john"], orgEnv);
	assert.equal(bad.code, 2);
});
