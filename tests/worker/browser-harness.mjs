// browser-harness.mjs - what the Chromium tests share: launching Debian's Chromium, a page signed
// in through the sign-in form, waiting for a locator's text, and axe-core's WCAG 2.1 A/AA checks on
// a page or one part of it.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { SignJWT } from "jose";
import { chromium } from "playwright-core";
import { JWT_SECRET } from "./e2e-harness.mjs";
import { DASHBOARD, ROOT, eventually } from "./harness.mjs";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

// Wait until the locator's text matches re; on failure say what it showed.
export async function assertText(locator, re, timeoutMs = 10_000) {
	const end = Date.now() + timeoutMs;
	let last = "";
	for (;;) {
		last = (await locator.count()) ? await locator.first().innerText().catch(() => "") : "(absent)";
		if (re.test(last)) return last;
		if (Date.now() > end) throw new Error(`expected ${re} within ${timeoutMs} ms, saw: ${last.slice(0, 500)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

// axe-core's WCAG 2.1 A/AA violations, one line each (named), and how many rules passed. opts:
// within (a CSS selector: only that part of the page; none there: nothing checked), impacts (only
// these impacts; all when absent).
export async function axe(page, name, { within, impacts } = {}) {
	await page.addScriptTag({ path: AXE });
	const { passed, violations } = await page.evaluate(async (sel) => {
		const root = sel ? document.querySelector(sel) : document;
		if (!root) return { passed: 0, violations: [] };
		// Colours are judged as they end, not halfway through a fade (a status bubble arriving
		// fades in: its text at half opacity is a contrast failure of the moment, not of the page).
		for (const a of document.getAnimations()) try { a.finish(); } catch { /* an endless one stays */ }
		const r = await window.axe.run(root, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
		return { passed: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })) };
	}, within ?? null);
	const lines = violations.filter((v) => !impacts || impacts.includes(v.impact))
		.map((v) => `${name}: ${v.id} [${v.impact}] (${v.help}): ${v.nodes.join(", ")}`);
	return { lines, passed };
}

export const CHROMIUM = process.env.GASTOWN_CHROMIUM ?? "/usr/bin/chromium";
export const SHOTS = process.env.GASTOWN_SCREENSHOTS ?? join(ROOT, "build/screenshots");
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// A person's token for the e2e town's worker.
export const jwt = (sub, name) => new SignJWT({ sub, name, email: `${sub}@example.com` }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("2h").sign(new TextEncoder().encode(JWT_SECRET));

// Headless Chromium for the test (closed after it), with the screenshots' folder made.
export async function launch(t) {
	assert.ok(existsSync(join(DASHBOARD, "index.html")), "make dashboard builds build/dashboard first");
	assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (make deps installs Debian's chromium)`);
	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox",
		"--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"] });
	t.after(() => browser.close());
	mkdirSync(SHOTS, { recursive: true });
	return browser;
}

// A signed-in page: the token pasted into the sign-in form, as a person does. Page errors, console
// errors and answers of 400 or more go into errors.
export async function signedIn(browser, base, tok, { viewport = DESKTOP, errors = [], bypassCSP = false } = {}) {
	const context = await browser.newContext({ viewport, bypassCSP });
	const page = await context.newPage();
	page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
	page.on("console", (m) => { if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`); });
	page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
	await page.goto(`${base}/`);
	await page.getByTestId("signin-token").fill(tok);
	await page.getByTestId("signin-submit").click();
	await page.getByRole("heading", { name: "Your towns" }).waitFor();
	return page;
}

// axe-core's WCAG 2.1 A/AA violations, any impact, one line each.
export const a11y = async (page, name) => (await axe(page, name)).lines;

// Wait until the locator has the focus (a form moves it to the field an error names).
export const focused = (locator) => eventually(() => locator.evaluate((el) => el === document.activeElement), { timeoutMs: 2000, everyMs: 100 });
