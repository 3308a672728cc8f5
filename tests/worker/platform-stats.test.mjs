// platform-stats.test.mjs - the StatsDO through the real worker in workerd: three towns of two
// organizations report their outcome totals (do:// effects between the objects); the platform's
// figures are the sum of the towns' own, with Wilson intervals over the summed counts, and a row
// resting on one town is withheld; a resend changes nothing; an organization that opts out is
// withdrawn from the figures and stays out; the routes refuse bad input and strangers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, eventually, startWorker } from "./harness.mjs";

const SECRET = "platform-stats-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({
	authorization: `Bearer ${await new SignJWT({ sub: user, name: user }).setProtectedHeader({ alg: "HS256" })
		.setIssuedAt().setExpirationTime("10m").sign(key)}`,
});

// The 95% Wilson interval, written out here from its formula (not the engine's code).
function wilson(k, n) {
	const z = 1.96, p = k / n, z2 = z * z;
	const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
	const margin = (z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n);
	return [Math.max(0, centre - margin), Math.min(1, centre + margin)];
}

const COUNTS = ["n", "first_pass", "merged", "superseded", "rework_rounds", "comments", "cost_microusd"];

// Each town's rows of one breakdown, summed by key: what the platform should show.
async function summed(mf, towns, query, H) {
	const sum = new Map();
	for (const town of towns) {
		const r = await call(mf, "GET", `/api/towns/${town}/stats?${query}`, undefined, H);
		assert.equal(r.status, 200, r.text);
		for (const row of r.body.data.rows) {
			const s = sum.get(row.key) ?? Object.fromEntries([...COUNTS.map((k) => [k, 0]), ["towns", 0]]);
			for (const k of COUNTS) s[k] += row[k];
			s.towns++;
			sum.set(row.key, s);
		}
	}
	return sum;
}

// Until check passes (the sum runs on the StatsDO's alarm, a few seconds after reports).
async function settles(check) {
	await eventually(async () => {
		try {
			await check();
			return true;
		} catch {
			return false;
		}
	}, { timeoutMs: 20_000, everyMs: 250 });
}

async function platform(mf, query, H) {
	const r = await call(mf, "GET", `/api/stats?${query}`, undefined, H);
	assert.equal(r.status, 200, r.text);
	return r.body.data;
}

test("the StatsDO: towns report, the platform sums, an organization opts out", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("sarah"), gina = await as("gina"), stranger = await as("someone-else");

	// Two organizations: acme with two towns, globex with one.
	assert.equal((await call(mf, "POST", "/api/orgs/acme", { name: "Acme" }, sarah)).status, 201);
	assert.equal((await call(mf, "POST", "/api/orgs/globex", { name: "Globex" }, gina)).status, 201);
	for (const [org, town, H] of [["acme", "acme-web", sarah], ["acme", "acme-api", sarah], ["globex", "globex-hq", gina]]) {
		assert.equal((await call(mf, "POST", `/api/orgs/${org}/towns/${town}`, { name: town }, H)).status, 202);
		await eventually(async () => (await call(mf, "GET", `/api/towns/${town}`, undefined, H)).status === 200);
	}
	assert.equal((await call(mf, "GET", "/api/orgs/acme", undefined, sarah)).body.data.share_stats, true);

	// Before any report the platform knows nothing, and says so.
	const empty = await platform(mf, "by=variant", stranger);
	assert.deepEqual([empty.towns, empty.rows, empty.min_towns], [0, [], 2]);

	// Each town's own work (different draws), reported now as its timer would.
	const seeds = { "acme-web": 11, "acme-api": 12, "globex-hq": 13 };
	for (const [town, seed] of Object.entries(seeds)) {
		const H = town.startsWith("acme") ? sarah : gina;
		assert.equal((await call(mf, "POST", `/api/towns/${town}/_test/outcomes-seed`, { count: 200 + seed, key: String(seed) }, H)).status, 200);
		const sent = await call(mf, "POST", `/api/towns/${town}/_test/stats-report`, undefined, H);
		assert.equal(sent.status, 200, sent.text);
		assert.deepEqual([sent.body.data.share_stats, sent.body.data.shared], [true, true]);
	}
	const all = Object.keys(seeds);
	const Hof = (town) => (town.startsWith("acme") ? sarah : gina);
	// The town's own view says what it shares.
	const own = await call(mf, "GET", "/api/towns/acme-web/stats", undefined, sarah);
	assert.deepEqual([own.body.data.platform.share_stats, own.body.data.platform.shared], [true, true]);

	// The alarm sums them (a few seconds after the reports): every row the towns share is their sum.
	await eventually(async () => (await platform(mf, "by=variant", stranger)).towns === 3, { timeoutMs: 20_000, everyMs: 250 });
	async function expectSum(towns, query) {
		const want = new Map();
		for (const town of towns) {
			const one = await summed(mf, [town], query, Hof(town));
			for (const [k, v] of one) {
				const s = want.get(k) ?? Object.fromEntries([...COUNTS.map((c) => [c, 0]), ["towns", 0]]);
				for (const c of COUNTS) s[c] += v[c];
				s.towns += v.towns;
				want.set(k, s);
			}
		}
		const got = await platform(mf, query, stranger);
		const shown = new Map(got.rows.map((r) => [r.key, r]));
		let checked = 0;
		for (const [k, w] of want) {
			if (w.towns < 2) {
				assert.ok(!shown.has(k), `${k} rests on one town and is withheld`);
				continue;
			}
			const row = shown.get(k);
			assert.ok(row, `${query}: ${k} is shown`);
			for (const c of COUNTS) assert.equal(row[c], w[c], `${query} ${k} ${c}`);
			assert.equal(row.towns, w.towns);
			const [lo, hi] = wilson(w.first_pass, w.n);
			assert.ok(Math.abs(row.wilson_low - lo) < 1e-4 && Math.abs(row.wilson_high - hi) < 1e-4, `${k}: Wilson of the sums`);
			checked++;
		}
		assert.equal(got.rows.length, checked, `${query}: nothing shown that the towns did not report`);
		return checked;
	}
	await settles(() => expectSum(all, "by=model"));
	assert.equal(await expectSum(all, "by=model"), 4);
	assert.ok(await expectSum(all, "by=variant") >= 8);
	assert.equal(await expectSum(all, "by=model&language=python&kind=bug"), 4);
	assert.equal(await expectSum(all, "by=language"), 3);
	assert.equal(await expectSum(all, "by=persona"), 3);

	// A recommendation across towns, from the summed figures.
	const rec = await call(mf, "GET", "/api/stats/recommend?kind=task&language=rust", undefined, stranger);
	assert.equal(rec.status, 200, rec.text);
	assert.equal(rec.body.data.scope, "kind and language");
	assert.ok(rec.body.data.variants.length > 0 && rec.body.data.variants.every((v) => v.n >= 5 && v.towns >= 2));
	assert.match(rec.body.data.variants[0].why, /first-pass \(n=\d+, 95% \d+-\d+%\) at \$\d+\.\d\d -> \$\d+\.\d\d\/merged/);

	// A new town with no work of its own: its first report (empty) brings the platform's figures
	// back, and a bead's recommendation falls back to them, saying so.
	assert.equal((await call(mf, "POST", "/api/towns/newcomer", { name: "New" }, sarah)).status, 201);
	const fresh = (await call(mf, "POST", "/api/towns/newcomer/beads", { title: "First task", held: true }, sarah)).body.data.id;
	const before0 = (await call(mf, "GET", `/api/towns/newcomer/beads/${fresh}/recommend`, undefined, sarah)).body.data;
	assert.deepEqual([before0.scope, before0.source, before0.variants], ["none", "town", []]);
	assert.equal((await call(mf, "POST", "/api/towns/newcomer/_test/stats-report", undefined, sarah)).status, 200);
	const across = await eventually(async () => {
		const d = (await call(mf, "GET", `/api/towns/newcomer/beads/${fresh}/recommend`, undefined, sarah)).body.data;
		return d.source === "platform" ? d : null;
	}, { timeoutMs: 20_000, everyMs: 250 });
	assert.equal(across.scope, "kind");
	const platformRec = (await call(mf, "GET", "/api/stats/recommend?kind=task", undefined, stranger)).body.data;
	assert.deepEqual(across.variants.map((v) => [v.key, v.n, v.towns, v.expected_cost_per_merged_microusd]),
		platformRec.variants.map((v) => [v.key, v.n, v.towns, v.expected_cost_per_merged_microusd]));
	assert.ok(across.variants.length > 0 && across.variants.every((v) => v.towns >= 2));
	assert.equal((await platform(mf, "by=variant", stranger)).towns, 3, "an empty report is not a town's figures");

	// A resend (a new number, the same totals) changes nothing.
	const before = await platform(mf, "by=variant", stranger);
	assert.equal((await call(mf, "POST", "/api/towns/acme-api/_test/stats-report", undefined, sarah)).status, 200);
	await new Promise((r) => setTimeout(r, 3000)); // past the sum's delay
	assert.deepEqual(await platform(mf, "by=variant", stranger), before);

	// globex opts out: only an admin may say so; its town withdraws; acme's two towns remain.
	assert.equal((await call(mf, "PATCH", "/api/orgs/globex", { share_stats: false }, sarah)).status, 404);
	assert.equal((await call(mf, "PATCH", "/api/orgs/globex", { share_stats: "no" }, gina)).status, 400);
	assert.equal((await call(mf, "PATCH", "/api/orgs/globex", {}, gina)).status, 400);
	const off = await call(mf, "PATCH", "/api/orgs/globex", { share_stats: false }, gina);
	assert.equal(off.status, 200, off.text);
	assert.equal(off.body.data.share_stats, false);
	await eventually(async () => (await platform(mf, "by=variant", stranger)).towns === 2, { timeoutMs: 20_000, everyMs: 250 });
	const hq = await call(mf, "GET", "/api/towns/globex-hq/stats", undefined, gina);
	assert.deepEqual([hq.body.data.platform.share_stats, hq.body.data.platform.shared], [false, false]);
	await settles(() => expectSum(["acme-web", "acme-api"], "by=model"));
	assert.equal(await expectSum(["acme-web", "acme-api"], "by=model"), 4);
	assert.ok(await expectSum(["acme-web", "acme-api"], "by=variant") >= 8);
	// More work in the opted-out town reports nothing.
	const again = await call(mf, "POST", "/api/towns/globex-hq/_test/stats-report", undefined, gina);
	assert.deepEqual([again.body.data.shared, again.body.data.seq], [false, hq.body.data.platform.seq]);

	// A town's own setting opts it out too (acme-api), and back in.
	assert.equal((await call(mf, "PATCH", "/api/towns/acme-api", { settings: { share_stats: "yes" } }, sarah)).status, 400);
	assert.equal((await call(mf, "PATCH", "/api/towns/acme-api", { settings: { share_stats: false } }, sarah)).status, 200);
	assert.equal((await call(mf, "POST", "/api/towns/acme-api/_test/stats-report", undefined, sarah)).body.data.shared, false);
	await eventually(async () => (await platform(mf, "by=variant", stranger)).towns === 1, { timeoutMs: 20_000, everyMs: 250 });
	await settles(async () => assert.deepEqual((await platform(mf, "by=variant", stranger)).rows, [], "one town's figures are never shown"));
	assert.deepEqual((await platform(mf, "by=variant", stranger)).rows, []);
	assert.equal((await call(mf, "PATCH", "/api/towns/acme-api", { settings: { share_stats: null } }, sarah)).status, 200);
	assert.equal((await call(mf, "POST", "/api/towns/acme-api/_test/stats-report", undefined, sarah)).body.data.shared, true);
	await eventually(async () => (await platform(mf, "by=variant", stranger)).towns === 2, { timeoutMs: 20_000, everyMs: 250 });

	// Bad input and strangers.
	assert.equal((await call(mf, "GET", "/api/stats?by=agent", undefined, stranger)).status, 400);
	assert.equal((await call(mf, "GET", "/api/stats?kind=nonsense", undefined, stranger)).status, 400);
	assert.equal((await call(mf, "GET", "/api/stats/recommend?kind=nonsense", undefined, stranger)).status, 400);
	assert.equal((await call(mf, "GET", "/api/stats", undefined, {})).status, 401);
	// The report route is for towns only: the worker never forwards /_internal.
	const forged = await call(mf, "PUT", "/_internal/reports/acme-web", { seq: 1e12, rows: [] }, sarah);
	assert.ok([404, 405].includes(forged.status), `${forged.status}`);
	assert.equal((await platform(mf, "by=variant", stranger)).towns, 2);
});
