// browser-wasteland.test.mjs - the town's Wasteland settings (docs/wasteland.md, docs/dashboard.md)
// in headless Chromium (Debian's, driven by playwright-core) against the real worker in workerd and
// a local DoltHub API whose statements run on a real MariaDB (fake-dolthub.mjs). Ana, who owns the
// town, opens Settings → Wasteland from the town's navigation: the connect form, sent without a
// token, shows the town's 400 under the token's field (marked invalid, focused); sent with the
// fake's URL (under Advanced), the token, a cadence of 1 s and "create" ticked, the page follows the
// schema's progress to synced, the token nowhere in the page. A bead labelled "wasteland" made
// through the API is queued and written (0 queued, one more write) and is a row of the fake's
// `wanted`; with two writes failing (HTTP 500) the next bead shows the retrying state, its failures
// and DoltHub's error, then synced again. Replay all writes every bead again, a new display name is
// saved from the edit form and reaches the commons' `rigs`; a member reads it all without an action
// or a field, a viewer sees the town's 403 in its words, and so does an admin made a member while
// the page is open who clicks Sync now; Disconnect (asked twice) brings the form back. axe-core
// finds no WCAG 2.1 A/AA violation (any impact) on the form with an error and on the connection
// with the edit form open, at desktop and phone widths; nothing is wider than a phone. Flows run
// under the site's CSP; axe, injected, runs in contexts that bypass it. Screenshots go to
// GASTOWN_SCREENSHOTS (default build/screenshots).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { DESKTOP, PHONE, SHOTS, a11y, assertText, focused, jwt, launch, signedIn } from "./browser-harness.mjs";
import { JWT_SECRET } from "./e2e-harness.mjs";
import { startFakeDoltHub } from "./fake-dolthub.mjs";
import { eventually, freePort, startWorker } from "./harness.mjs";

const TOWN = "yard";
const T = `/api/towns/${TOWN}`;
const WAIT = { timeoutMs: 20_000, everyMs: 100 };

async function setup(t) {
	const fake = await startFakeDoltHub(t);
	const mf = startWorker({ port: await freePort(), bindings: { GASTOWN_JWT_SECRET: JWT_SECRET } });
	t.after(() => mf.dispose());
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const api = async (method, path, body, tok) => {
		const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await res.text();
		let json;
		try { json = JSON.parse(text); } catch { json = undefined; }
		return { status: res.status, data: json?.data, error: json?.error, text };
	};
	return { fake, base, api };
}

// Everything the page holds that the token could hide in: the markup, every field's value, storage.
const pageText = (page) => page.evaluate(() => [document.documentElement.outerHTML,
	...[...document.querySelectorAll("input, textarea, select")].map((el) => el.value),
	JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join("\n"));

const openWasteland = async (page, base) => {
	await page.goto(`${base}/#/towns/${TOWN}/settings/wasteland`);
	await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
};

// "N queued, M written" as numbers (held, while a full sync runs).
const counts = async (page) => {
	const m = /^(\d+) queued, (\d+) written( \(held until the full sync hands over\))?$/.exec((await page.getByTestId("wl-sync").innerText()).trim());
	assert.ok(m, "the sync's counts are shown");
	return { queued: Number(m[1]), written: Number(m[2]) };
};
const stateOf = (page) => page.getByTestId("wl-state").getAttribute("data-state");
const settles = (page, state) => eventually(async () => (await page.getByTestId("wl-state").count()) && (await stateOf(page)) === state, WAIT);

test("Wasteland settings in Chromium: connect (the town's 400 by its field), schema and sync progress, a labelled bead written, retrying and back, members read, disconnect; axe clean",
	{ timeout: 90_000 }, async (t) => {
		const s = await setup(t);
		const { fake } = s;
		const ana = await jwt("ana", "Ana Admin"), bob = await jwt("bob", "Bob Member"), vic = await jwt("vic", "Vic Viewer");
		const cal = await jwt("cal", "Cal Admin");
		assert.equal((await s.api("POST", T, { name: "Yard" }, ana)).status, 201);
		assert.equal((await s.api("PUT", `${T}/members/bob`, { role: "member" }, ana)).status, 200);
		assert.equal((await s.api("PUT", `${T}/members/vic`, { role: "viewer" }, ana)).status, 200);
		assert.equal((await s.api("PUT", `${T}/members/cal`, { role: "admin" }, ana)).status, 200);
		const wanted = (title) => fake.query("acme", "commons", "SELECT id, title, status, posted_by FROM wanted WHERE title = ?", [title]);
		const bead = async (title) => {
			const r = await s.api("POST", `${T}/beads`, { title, labels: ["wasteland"] }, ana);
			assert.equal(r.status, 201, r.text);
			return r.data.id;
		};

		const browser = await launch(t);
		const errors = [];
		const page = await signedIn(browser, s.base, ana, { errors });

		// From the town's navigation: Settings, then its Wasteland tab; not connected, the form.
		await page.goto(`${s.base}/#/towns/${TOWN}`);
		await page.getByTestId("nav-settings").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/settings/integrations$`));
		await page.getByTestId("settings-tab-wasteland").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/settings/wasteland$`));
		assert.equal(await page.getByTestId("nav-settings").getAttribute("aria-current"), "page");
		assert.equal(await page.getByTestId("settings-tab-wasteland").getAttribute("aria-current"), "page");
		await page.getByRole("heading", { name: "Connect to the Wasteland", level: 2 }).waitFor();
		const form = page.getByTestId("wl-form");
		assert.equal(await form.getByLabel(/^DoltHub API token/).getAttribute("type"), "password");
		assert.equal(await form.getByTestId("wl-api-url").isVisible(), false, "the API URL waits under Advanced");

		// Without a token: the town's 400, under the token's field, which takes the focus.
		await form.getByLabel(/^Owner/).fill("acme");
		await form.getByLabel(/^Database/).fill("commons");
		await form.getByLabel(/^Handle/).fill("yard-rig");
		await form.getByLabel(/^Display name/).fill("The Yard");
		await form.getByTestId("wl-submit").click();
		await assertText(form.getByTestId("wl-token-error"), /'token' is required/);
		assert.equal(await form.getByTestId("wl-token").getAttribute("aria-invalid"), "true");
		assert.match(await form.getByTestId("wl-token").getAttribute("aria-describedby"), /\bwl-token-error\b/);
		await focused(form.getByTestId("wl-token"));
		assert.equal(await form.getByTestId("wl-owner").getAttribute("aria-invalid"), null);
		assert.equal((await s.api("GET", `${T}/wasteland`, undefined, ana)).status, 404, "nothing connected");
		await page.screenshot({ path: join(SHOTS, "wasteland-form-desktop.png"), fullPage: true });

		// With it, the fake's API under Advanced, a cadence of 1 s, the database created.
		await form.getByText("Advanced").click();
		await form.getByLabel(/^API URL/).fill(fake.url);
		await form.getByLabel(/^DoltHub API token/).fill(fake.token);
		await form.getByLabel(/^Cadence in seconds/).fill("1");
		await form.getByLabel(/^Create the database/).check();
		await form.getByTestId("wl-submit").click();
		await page.getByTestId("wl-connection").waitFor();
		await assertText(page.getByTestId("wl-note"), /^Connected/);
		await focused(page.getByRole("heading", { name: "Connected", level: 2 }));
		await assertText(page.getByTestId("wl-target"), /^acme\/commons$/);
		await assertText(page.getByTestId("wl-handle"), /^yard-rig$/);
		await assertText(page.getByTestId("wl-display-name"), /^The Yard$/);
		await assertText(page.getByTestId("wl-token-state"), /^set$/);
		// The schema's progress moves on its own (the page polls) until synced.
		await settles(page, "synced");
		await assertText(page.getByTestId("wl-state"), /^Synced$/);
		await assertText(page.getByTestId("wl-schema"), /^10 of 10 statements$/);
		assert.equal(await page.getByTestId("wl-schema-bar").evaluate((el) => [el.value, el.max].join("/")), "10/10");
		const first = await counts(page);
		assert.equal(first.queued, 0);
		assert.ok(first.written >= 11, `the schema and the town's rig were written (${first.written})`);
		assert.ok(fake.requests.some((r) => r.method === "POST" && r.path === "/database"), "the database was created");
		assert.ok(!(await pageText(page)).includes(fake.token), "the token is in the page");
		await page.screenshot({ path: join(SHOTS, "wasteland-desktop.png"), fullPage: true });

		// A labelled bead: queued, then written; the commons has its poster.
		await bead("Fix the yard gate");
		await eventually(async () => {
			const c = await counts(page);
			return c.queued === 0 && c.written > first.written && (await stateOf(page)) === "synced";
		}, WAIT);
		assert.deepEqual((await wanted("Fix the yard gate")).map((w) => [w.status, w.posted_by]), [["open", "yard-rig"]]);
		await assertText(page.getByTestId("wl-posted"), /^1$/);
		const second = await counts(page);

		// DoltHub fails twice: the next bead shows the town retrying, with the error; then synced again.
		fake.fail("write", "500", 2);
		await bead("Oil the windmill");
		// The state lasts the backoff (1 s, then 2 s): what the page shows is read at once when it comes.
		const retrying = await (await page.waitForFunction(() => {
			const q = (id) => document.querySelector(`[data-testid="${id}"]`);
			return q("wl-state")?.dataset.state === "retrying" && { state: q("wl-state").innerText, error: q("wl-error")?.innerText ?? "",
				role: q("wl-error")?.getAttribute("role"), last: q("wl-last-error")?.innerText ?? "" };
		}, null, { timeout: WAIT.timeoutMs, polling: 50 })).jsonValue();
		await page.screenshot({ path: join(SHOTS, "wasteland-retrying-desktop.png"), fullPage: true });
		assert.equal(retrying.state, "Retrying");
		assert.match(retrying.error, /^Failed [12] times?: write: HTTP 500: internal error \(injected\)/);
		assert.equal(retrying.role, "alert");
		assert.equal(retrying.last, "write: HTTP 500: internal error (injected)");
		await settles(page, "synced");
		assert.equal(await page.getByTestId("wl-error").count(), 0, "the error goes once a write is taken");
		await eventually(async () => (await counts(page)).queued === 0, WAIT);
		assert.ok((await counts(page)).written > second.written);
		assert.equal((await wanted("Oil the windmill")).length, 1);

		// Replay all: every bead written again, the commons as it was.
		const rows = await fake.query("acme", "commons", "SELECT id, title, status FROM wanted ORDER BY id");
		const before = fake.statements.length;
		await page.getByTestId("wl-replay").click();
		await assertText(page.getByTestId("wl-note"), /full sync writes every bead/);
		await eventually(async () => fake.statements.length > before, WAIT);
		await settles(page, "synced");
		await eventually(async () => (await counts(page)).queued === 0, WAIT);
		// Its own progress bar, full once it handed over.
		await assertText(page.getByTestId("wl-full-text"), /^done: 2 of 2 beads, \d+ writes?, handed over at /);
		const bar = page.getByTestId("wl-full-bar");
		assert.equal(await bar.getAttribute("value"), await bar.getAttribute("max"));
		assert.deepEqual(await fake.query("acme", "commons", "SELECT id, title, status FROM wanted ORDER BY id"), rows);

		// The edit form: a new display name keeps the progress and reaches the commons' rigs.
		await page.getByTestId("wl-edit-open").click();
		const edit = page.getByTestId("wl-form");
		assert.equal(await edit.getByTestId("wl-owner").inputValue(), "acme");
		assert.equal(await edit.getByTestId("wl-token").inputValue(), "");
		assert.equal(await edit.getByTestId("wl-api-url").inputValue(), fake.url);
		await edit.getByLabel(/^Display name/).fill("Yard Town");
		await edit.getByTestId("wl-submit").click();
		await assertText(page.getByTestId("wl-note"), /^Saved\.$/);
		await assertText(page.getByTestId("wl-display-name"), /^Yard Town$/);
		await eventually(async () => (await fake.query("acme", "commons", "SELECT display_name FROM rigs WHERE handle = 'yard-rig'"))[0]
			?.display_name === "Yard Town", WAIT);
		await settles(page, "synced");
		await assertText(page.getByTestId("wl-schema"), /^10 of 10 statements$/);

		// A member reads it all, with no action and no field; a viewer gets the town's refusal.
		const member = await signedIn(browser, s.base, bob, { errors });
		await openWasteland(member, s.base);
		await member.getByTestId("wl-connection").waitFor();
		await assertText(member.getByTestId("wl-target"), /^acme\/commons$/);
		await assertText(member.getByTestId("wl-sync"), /^0 queued, \d+ written$/);
		await member.getByTestId("wl-readonly").waitFor();
		assert.equal(await member.locator("main form, main input, main button:not(.link-btn)").count(), 0);
		assert.ok(!(await pageText(member)).includes(fake.token));
		await member.context().close();
		const refusal = await s.api("GET", `${T}/wasteland`, undefined, vic);
		assert.equal(refusal.status, 403);
		const viewer = await signedIn(browser, s.base, vic, { errors });
		await openWasteland(viewer, s.base);
		await assertText(viewer.getByRole("alert"), new RegExp(refusal.error.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
		assert.equal(await viewer.getByTestId("wl-connection").count(), 0);
		assert.equal(await viewer.getByTestId("wl-form").count(), 0);
		await viewer.context().close();
		// An admin made a member while the page is open: the town refuses the action, in its words.
		const demoted = await signedIn(browser, s.base, cal, { errors });
		await openWasteland(demoted, s.base);
		await demoted.getByTestId("wl-sync-now").waitFor();
		assert.equal((await s.api("PUT", `${T}/members/cal`, { role: "member" }, ana)).status, 200);
		const refused = await s.api("POST", `${T}/wasteland/sync`, undefined, cal);
		assert.equal(refused.status, 403);
		await demoted.getByTestId("wl-sync-now").click();
		await assertText(demoted.getByTestId("wl-action-error"), new RegExp(refused.error.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
		await demoted.context().close();

		// axe at both widths: the connection with the edit form open, and the connect form with the
		// town's error (a second town, never connected); nothing wider than a phone.
		assert.equal((await s.api("POST", "/api/towns/loft", { name: "Loft" }, ana)).status, 201);
		const problems = [];
		for (const viewport of [DESKTOP, PHONE]) {
			const w = `${viewport.width}px`;
			const p = await signedIn(browser, s.base, ana, { viewport, bypassCSP: true });
			await openWasteland(p, s.base);
			await p.getByTestId("wl-connection").waitFor();
			await assertText(p.getByTestId("wl-state"), /^Synced$/);
			if (viewport === PHONE) await p.screenshot({ path: join(SHOTS, "wasteland-phone.png") });
			await p.getByTestId("wl-edit-open").click();
			await p.getByTestId("wl-form").waitFor();
			problems.push(...await a11y(p, `the connection at ${w}`));
			const overflow = async () => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
			if (viewport === PHONE) assert.ok(await overflow() <= 1, "the connection is wider than a phone");
			await p.goto(`${s.base}/#/towns/loft/settings/wasteland`);
			await p.getByTestId("wl-form").waitFor();
			await p.getByTestId("wl-submit").click();
			await p.getByTestId("wl-owner-error").waitFor();
			problems.push(...await a11y(p, `the connect form with an error at ${w}`));
			if (viewport === PHONE) assert.ok(await overflow() <= 1, "the form is wider than a phone");
			await p.context().close();
		}
		assert.deepEqual(problems, [], problems.join("\n"));

		// Disconnect asks first, with the focus on the answer; then the form is back.
		await page.getByTestId("wl-disconnect").click();
		await focused(page.getByTestId("wl-disconnect-yes"));
		await page.getByRole("button", { name: "Cancel" }).click();
		await focused(page.getByTestId("wl-disconnect"));
		assert.equal((await s.api("GET", `${T}/wasteland`, undefined, ana)).status, 200);
		await page.getByTestId("wl-disconnect").click();
		await page.getByTestId("wl-disconnect-yes").click();
		await page.getByRole("heading", { name: "Connect to the Wasteland", level: 2 }).waitFor();
		await assertText(page.getByTestId("wl-note"), /^Disconnected/);
		assert.equal(await page.getByTestId("wl-connection").count(), 0);
		assert.equal(await page.getByTestId("wl-token").inputValue(), "");
		assert.equal((await s.api("GET", `${T}/wasteland`, undefined, ana)).status, 404);
		assert.equal((await wanted("Oil the windmill")).length, 1, "the commons keeps its rows");

		// Nothing failed but what was meant to: the form without a token, the reads while not
		// connected, the viewer's read, the demoted admin's sync.
		const meant = [`400 PUT ${T}/wasteland`, `404 GET ${T}/wasteland`, `403 GET ${T}/wasteland`, `403 POST ${T}/wasteland/sync`];
		assert.deepEqual(errors.filter((e) => !meant.includes(e)), [], "no script errors or failed calls");
		for (const m of meant) assert.ok(errors.includes(m), errors.join("\n"));
	});
