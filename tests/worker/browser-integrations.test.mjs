// browser-integrations.test.mjs - the town's Integrations settings page in headless Chromium
// (Debian's, driven by playwright-core) against the real worker in workerd: an admin connects
// GitHub from the page (the secret shows as "set", its value nowhere in the page or its storage,
// and a delivery signed with it is taken), sees the town's own error for a bad URL, maps a login
// to a member and removes it with the keyboard, removes a secret, disconnects; a member reads the
// page without a single input; a viewer sees the town's 403 in its own words. axe-core finds no
// WCAG 2.1 A/AA violation (of any impact) on the page, as admin, member and viewer, at desktop and
// phone widths. Like browser.test.mjs, the flows run under the site's CSP; axe, injected, runs in
// contexts that bypass it. Screenshots go to GASTOWN_SCREENSHOTS (default build/screenshots).
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SignJWT } from "jose";
import { chromium } from "playwright-core";
import { axe, assertText } from "./browser-harness.mjs";
import { DASHBOARD, ROOT, eventually, freePort, startWorker } from "./harness.mjs";
import { githubDelivery } from "./webhooks.mjs";

const JWT_SECRET = "browser-integ-jwt-secret-0123456789abcdef-01234";
const CHROMIUM = process.env.GASTOWN_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.GASTOWN_SCREENSHOTS ?? join(ROOT, "build/screenshots");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const HOOK_SECRET = "whsec-from-the-page-0123456789abcdef";
const GH_TOKEN = "ghp_fromThePage0123456789abcdefABCD";

const jwt = (sub, name) => new SignJWT({ sub, name, email: `${sub}@example.com` }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("2h").sign(new TextEncoder().encode(JWT_SECRET));

async function setup(t) {
	assert.ok(existsSync(join(DASHBOARD, "index.html")), "make dashboard builds build/dashboard first");
	assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (make deps installs Debian's chromium)`);
	const mf = startWorker({ port: await freePort(), bindings: { GASTOWN_JWT_SECRET: JWT_SECRET } });
	t.after(() => mf.dispose());
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const api = async (method, path, body, tok, headers = {}) => {
		const res = await fetch(`${base}${path}`, { method, headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}),
			"content-type": "application/json", ...headers }, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
		const text = await res.text();
		let json;
		try { json = JSON.parse(text); } catch { json = undefined; }
		return { status: res.status, data: json?.data, error: json?.error, text };
	};
	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox",
		"--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"] });
	t.after(() => browser.close());
	mkdirSync(SHOTS, { recursive: true });
	return { base, api, browser };
}

// A signed-in page on the town's integrations: the token pasted into the sign-in form.
async function signedIn(s, tok, { viewport = DESKTOP, errors = [], bypassCSP = false } = {}) {
	const context = await s.browser.newContext({ viewport, bypassCSP });
	const page = await context.newPage();
	page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
	page.on("console", (m) => { if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`); });
	page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
	await page.goto(`${s.base}/`);
	await page.getByTestId("signin-token").fill(tok);
	await page.getByTestId("signin-submit").click();
	await page.getByRole("heading", { name: "Your towns" }).waitFor();
	return page;
}

const settingsOf = async (page, base) => {
	await page.goto(`${base}/#/towns/demo/settings/integrations`);
	await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
};

// axe-core's WCAG 2.1 A/AA violations, any impact, one line each.
const a11y = async (page, name) => (await axe(page, name)).lines;

// Everything the page holds that a secret could hide in: the markup, every field's value, storage.
const pageText = (page) => page.evaluate(() => [document.documentElement.outerHTML,
	...[...document.querySelectorAll("input, textarea, select")].map((el) => el.value),
	JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join("\n"));

test("integrations page in Chromium: connect GitHub, secrets write-only, map a login; members read; viewers refused; axe clean",
	{ timeout: 180_000 }, async (t) => {
		const s = await setup(t);
		const alice = await jwt("alice", "Alice Admin"), bob = await jwt("bob", "Bob Member"), vic = await jwt("vic", "Vic Viewer");
		const T = "/api/towns/demo";
		assert.equal((await s.api("POST", T, { name: "Demo Town" }, alice)).status, 201);
		assert.equal((await s.api("PUT", `${T}/members/bob`, { role: "member" }, alice)).status, 200);
		assert.equal((await s.api("PUT", `${T}/members/vic`, { role: "viewer" }, alice)).status, 200);
		assert.equal((await s.api("POST", `${T}/rigs`, { id: "app", git_url: "https://github.com/acme/app.git" }, alice)).status, 201);

		// The admin finds the page from the town's navigation.
		const errors = [];
		const page = await signedIn(s, alice, { errors });
		await page.goto(`${s.base}/#/towns/demo`);
		await page.getByTestId("nav-settings").click();
		await page.waitForURL(/#\/towns\/demo\/settings\/integrations$/);
		const gh = page.getByTestId("integ-github");
		await assertText(page.getByTestId("integ-github-state"), /^Not connected$/);
		await assertText(page.getByTestId("integ-slack-state"), /^Not connected$/);

		// Connect GitHub: both secrets, a dashboard URL. The fields are labelled (found by label).
		await gh.getByLabel(/^Webhook secret/).fill(HOOK_SECRET);
		await gh.getByLabel(/^Token/).fill(GH_TOKEN);
		await gh.getByLabel("Dashboard URL").fill("https://town.example");
		assert.equal(await gh.getByLabel(/^Webhook secret/).getAttribute("type"), "password");
		await page.getByTestId("integ-github-save").click();
		await assertText(page.getByTestId("integ-github-note"), /GitHub is connected/);
		await assertText(page.getByTestId("integ-github-state"), /^Connected$/);
		await assertText(page.getByTestId("integ-github-webhook-secret-state"), /^set$/);
		await assertText(page.getByTestId("integ-github-token-state"), /^set$/);
		assert.equal(await page.getByTestId("integ-github-hook").inputValue(), `${s.base}/api/towns/demo/hooks/github`);
		assert.equal(await page.getByTestId("integ-github-owner").innerText(), "alice");
		// Copy: to the clipboard, or (where the page may not write it) selected for Ctrl+C.
		await gh.getByRole("button", { name: "Copy" }).click();
		await assertText(gh.getByText(/^(Copied\.|Selected: press Ctrl\+C)/), /./);
		// Write-only: the fields are emptied once the town has the values; nothing in the page holds them.
		assert.equal(await page.getByTestId("integ-github-webhook-secret").inputValue(), "");
		const held = await pageText(page);
		assert.ok(!held.includes(HOOK_SECRET) && !held.includes(GH_TOKEN), "a secret is in the page");

		// The town got the very value typed: a delivery signed with it is taken.
		const got = (await s.api("GET", `${T}/integrations`, undefined, alice)).data.github;
		assert.deepEqual(got.secrets, { webhook_secret: true, token: true, private_key: false });
		assert.equal(got.settings.dashboard_url, "https://town.example");
		const ping = await githubDelivery(HOOK_SECRET, "ping", { zen: "Design for failure.", hook_id: 7 });
		const pong = await s.api("POST", `${T}/hooks/github`, ping.body, undefined, ping.headers);
		assert.equal(pong.data?.outcome, "pong", pong.text);
		await page.reload();
		await assertText(page.getByTestId("integ-github-deliveries"), /ping: 1 pong/);

		// The town's own error, shown as it said it; nothing changed.
		await gh.getByLabel("API URL").fill("ftp://example.com");
		await page.getByTestId("integ-github-save").click();
		await assertText(gh.getByRole("alert"), /'api_url' must be an http\(s\) URL/);
		await gh.getByLabel("API URL").fill("");
		assert.equal((await s.api("GET", `${T}/integrations`, undefined, alice)).data.github.settings.api_url, undefined);

		// Map bob's GitHub login to bob, from the member picker.
		await page.getByTestId("integ-github-login").fill("bob-gh");
		await page.getByTestId("integ-github-member").selectOption("bob");
		await page.getByTestId("integ-github-map").click();
		await assertText(page.getByTestId("integ-github-logins"), /bob-gh\s+bob\s+Remove/);
		assert.deepEqual((await s.api("GET", `${T}/integrations`, undefined, alice)).data.github.logins, [{ login: "bob-gh", user: "bob" }]);

		// axe on the admin's page, connected and mapped, at both widths.
		const problems = [];
		for (const viewport of [DESKTOP, PHONE]) {
			const p = await signedIn(s, alice, { viewport, bypassCSP: true });
			await settingsOf(p, s.base);
			await p.getByTestId("integ-github-logins").waitFor();
			await p.screenshot({ path: join(SHOTS, `integrations-${viewport === PHONE ? "phone" : "desktop"}.png`), fullPage: viewport !== PHONE });
			problems.push(...await a11y(p, `admin at ${viewport.width}px`));
			await p.context().close();
		}

		// A member reads it all, changes nothing: no field, no action; secrets only as set / not set.
		const member = await signedIn(s, bob, { errors });
		await settingsOf(member, s.base);
		await member.getByTestId("integ-github-logins").waitFor();
		assert.equal(await member.locator("main input[type=password], main form").count(), 0);
		await assertText(member.getByTestId("integ-github-webhook-secret-state"), /^set$/);
		assert.equal(await member.getByTestId("integ-github-logins").getByRole("button").count(), 0);
		assert.equal(await member.getByTestId("integ-github-hook").inputValue(), `${s.base}/api/towns/demo/hooks/github`);
		const memberText = await pageText(member);
		assert.ok(!memberText.includes(HOOK_SECRET) && !memberText.includes(GH_TOKEN));
		const mp = await signedIn(s, bob, { bypassCSP: true });
		await settingsOf(mp, s.base);
		await mp.getByTestId("integ-github-logins").waitFor();
		problems.push(...await a11y(mp, "member"));
		await mp.context().close();

		// A viewer gets the town's refusal, in its words.
		const refusal = await s.api("GET", `${T}/integrations`, undefined, vic);
		assert.equal(refusal.status, 403);
		const viewer = await signedIn(s, vic, { errors });
		await settingsOf(viewer, s.base);
		await assertText(viewer.getByRole("alert"), new RegExp(refusal.error.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
		assert.equal(await viewer.getByTestId("integ-github").count(), 0);
		const vp = await signedIn(s, vic, { viewport: PHONE, bypassCSP: true });
		await settingsOf(vp, s.base);
		await vp.getByRole("alert").waitFor();
		problems.push(...await a11y(vp, "viewer at 390px"));
		await vp.context().close();
		assert.deepEqual(problems, [], problems.join("\n"));

		// The keyboard alone removes the mapping; the focus lands in the form to add one.
		const remove = page.getByRole("button", { name: "Remove the mapping of bob-gh" });
		await remove.focus();
		await page.keyboard.press("Enter");
		await page.getByTestId("integ-github-logins").waitFor({ state: "detached" });
		assert.deepEqual((await s.api("GET", `${T}/integrations`, undefined, alice)).data.github.logins, []);
		await eventually(() => page.getByTestId("integ-github-login").evaluate((el) => el === document.activeElement), { timeoutMs: 2000, everyMs: 100 });

		// Remove one secret; then disconnect, after saying yes.
		await page.getByTestId("integ-github-token-remove").click();
		await assertText(page.getByTestId("integ-github-token-state"), /^not set$/);
		await assertText(page.getByTestId("integ-github-webhook-secret-state"), /^set$/);
		// Disconnect asks first, with the focus on the answer; Cancel gives the focus back.
		await page.getByTestId("integ-github-disconnect").click();
		await eventually(() => page.getByTestId("integ-github-disconnect-yes").evaluate((el) => el === document.activeElement), { timeoutMs: 2000, everyMs: 100 });
		await page.getByRole("button", { name: "Cancel" }).click();
		await eventually(() => page.getByTestId("integ-github-disconnect").evaluate((el) => el === document.activeElement), { timeoutMs: 2000, everyMs: 100 });
		assert.notEqual((await s.api("GET", `${T}/integrations`, undefined, alice)).data.github, null);
		await page.getByTestId("integ-github-disconnect").click();
		await page.keyboard.press("Enter");
		await assertText(page.getByTestId("integ-github-state"), /^Not connected$/);
		assert.equal((await s.api("GET", `${T}/integrations`, undefined, alice)).data.github, null);

		// Nothing failed but what was meant to: the refused URL and the viewer's read.
		assert.deepEqual(errors.filter((e) => e !== "400 PUT /api/towns/demo/integrations/github" &&
			e !== "403 GET /api/towns/demo/integrations"), [], "no script errors or failed calls");
		assert.ok(errors.includes("403 GET /api/towns/demo/integrations"));
	});
