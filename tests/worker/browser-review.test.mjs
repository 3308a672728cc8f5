// browser-review.test.mjs - the review of a pull request in the bead panel, in headless Chromium
// (Debian's, driven by playwright-core) against the real worker in workerd: a `pr` rig's merge
// request with two review sub-beads (seeded through the API, as the review loop leaves them), an
// approval delivered as a signed GitHub webhook while the panel is open. The drawer shows the pull
// request, "1/2 addressed", who approved, the auto-merge state and each comment with its kind,
// reviewer, file:line, status and the reply posted; a reviewer's HTML stays text; a sub-bead opens
// in the panel with its own context; axe-core finds nothing in the drawer at either width.
// Screenshots go to GASTOWN_SCREENSHOTS (default build/screenshots), as browser.test.mjs's do.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SignJWT } from "jose";
import { chromium } from "playwright-core";
import { axe, assertText } from "./browser-harness.mjs";
import { startFakeGitHub } from "./fake-platforms.mjs";
import { DASHBOARD, ROOT, freePort, startWorker, tempDir } from "./harness.mjs";
import { appliedDelivery, githubDelivery } from "./webhooks.mjs";

const JWT_SECRET = "review-ui-jwt-secret-0123456789abcdef-0123456789";
const HOOK_SECRET = "review-ui-webhook-secret-0123456789";
const CHROMIUM = process.env.GASTOWN_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.GASTOWN_SCREENSHOTS ?? join(ROOT, "build/screenshots");
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const XSS = 'Please escape the title: <img src=x onerror="window.__xss=1"> would run here.';

const jwt = (sub, name) => new SignJWT({ sub, name, email: `${sub}@example.com` }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("2h").sign(new TextEncoder().encode(JWT_SECRET));

test("the merge request's drawer shows its review, live; a sub-bead shows its comment", { timeout: 120_000 }, async (t) => {
	assert.ok(existsSync(join(DASHBOARD, "index.html")), "make dashboard builds build/dashboard first");
	assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (make deps installs Debian's chromium)`);
	mkdirSync(SHOTS, { recursive: true });
	const dir = tempDir(t);
	const mf = startWorker({ port: await freePort(), persist: `${dir}/worker-state`, bindings: { GASTOWN_JWT_SECRET: JWT_SECRET } });
	t.after(() => mf.dispose());
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const gh = await startFakeGitHub({ t });
	gh.addRepo("acme/app");
	const alice = await jwt("alice", "Alice Smith");
	const api = async (method, path, body) => {
		const res = await fetch(`${base}/api/towns/rv${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body),
			headers: { authorization: `Bearer ${alice}`, "content-type": "application/json" } });
		const text = await res.text();
		return { status: res.status, data: JSON.parse(text).data, text };
	};
	const created = async (path, body) => {
		const r = await api("POST", path, body);
		assert.equal(r.status, 201, r.text);
		return r.data;
	};

	// The town, a `pr` rig on acme/app and its GitHub integration (a webhook secret: no token, so
	// the town posts nothing); the work, its merge request with an open pull request, two comments.
	await created("", { name: "Review town" });
	await created("/rigs", { id: "app", git_url: "https://github.com/acme/app.git", merge_strategy: "pr",
		settings: { repo: "acme/app", api_url: gh.url, auto_merge_delay_s: 600 } });
	const hooked = await api("PUT", "/integrations/github", { secrets: { webhook_secret: HOOK_SECRET }, settings: { api_url: gh.url } });
	assert.equal(hooked.status, 200, hooked.text);
	// Held: the reconciler leaves them alone (there is no agent host here to work them).
	const work = await created("/beads", { title: "Show the review in the drawer", rig: "app", held: true });
	const branch = `gt/toast/${work.id}`;
	const pull = gh.addPullRequest("acme/app", { head: branch, title: work.title });
	const since = Date.now() - 30_000;
	const mr = await created("/beads", { title: `Merge ${branch}`, type: "merge-request", rig: "app", parent: work.id, held: true,
		priority: 1, metadata: { pull_request: { number: pull.number, url: pull.html_url }, review_progress: { total: 2, addressed: 1 },
			auto_merge: { sha: "4f9c2e1ab3d5e7f90123456789abcdef01234567", since_ms: since, waiting_for_reviews: true } } });
	assert.equal((await api("PATCH", `/beads/${mr.id}`, { status: "in_progress" })).status, 200);
	const review = (o) => ({ platform: "github", pull_request: pull.number, thread: o.comment, url: `${pull.html_url}#discussion_r${o.comment}`,
		branch, start_line: null, ...o });
	const fix = await created("/beads", { title: "Review (fix): Please escape the title", rig: "app", parent: mr.id, held: true, priority: 1,
		labels: ["review", "fix"], metadata: { review: review({ comment: "9001", path: "dashboard/src/Drawer.jsx", line: 42, start_line: 40,
			reviewer: "rita", body: XSS, kind: "fix", reply: "Escaped in 4f9c2e1: the title is a text node now. Thanks!" }) } });
	assert.equal((await api("POST", `/beads/${fix.id}/close`, { reason: "fix pushed to " + branch })).status, 200);
	const question = await created("/beads", { title: "Review (question): Why is this not cached?", rig: "app", parent: mr.id, held: true,
		priority: 1, labels: ["review", "question"], metadata: { review: review({ comment: "9002", path: "src/town/bead.c", line: 7,
			reviewer: "sam", body: "Why is this not cached?\nIt runs on every frame.", kind: "question" }) } });

	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox",
		"--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"] });
	t.after(() => browser.close());
	const errors = [];
	// axe-core's script is injected: a context without the CSP (the app's own scripts are the same).
	const signedIn = async (viewport) => {
		const context = await browser.newContext({ viewport, bypassCSP: true });
		const page = await context.newPage();
		page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
		page.on("console", (m) => { if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`); });
		page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
		page.on("dialog", (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
		await page.goto(`${base}/`);
		await page.getByTestId("signin-token").fill(alice);
		await page.getByTestId("signin-submit").click();
		await page.getByRole("heading", { name: "Your towns" }).waitFor();
		return page;
	};

	const page = await signedIn(DESKTOP);
	await page.goto(`${base}/#/towns/rv/beads/${mr.id}`);
	const drawer = page.getByTestId("bead-detail");
	const section = drawer.getByTestId("bead-review");
	await section.getByRole("heading", { name: "Review", exact: true }).waitFor();
	await assertText(section.getByTestId("review-progress"), /^1\/2 addressed/);
	assert.equal(await section.locator('progress[aria-label="1 of 2 review comments addressed"]').count(), 1);
	assert.equal(await section.getByTestId("review-pr").getByRole("link", { name: `#${pull.number}` }).getAttribute("href"), pull.html_url);
	await assertText(section.getByTestId("review-approvals"), /no one yet/);
	await assertText(section.getByTestId("review-auto-merge"), /waiting for open review beads \(head 4f9c2e1ab3\)/);

	// Both comments, oldest first: kind, title, status, reviewer, file:line, the comment, its link, the reply.
	const item = (b) => section.getByTestId(`review-item-${b.id}`);
	await item(question).waitFor();
	assert.deepEqual(await section.locator("[data-testid^=review-item-]").evaluateAll((els) => els.map((e) => e.dataset.testid)),
		[`review-item-${fix.id}`, `review-item-${question.id}`]);
	await assertText(item(fix).getByTestId("review-kind"), /^fix$/);
	await assertText(item(fix).getByTestId("review-status"), /^closed$/);
	await assertText(item(fix).getByTestId("review-reviewer"), /^rita$/);
	await assertText(item(fix).getByTestId("review-where"), /^dashboard\/src\/Drawer\.jsx:40–42$/);
	await assertText(item(fix).getByTestId("review-reply"), /Reply posted\s+Escaped in 4f9c2e1: the title is a text node now\. Thanks!/i);
	assert.equal(await item(fix).getByTestId("review-comment-link").getAttribute("href"), `${pull.html_url}#discussion_r9001`);
	assert.match(await item(fix).getByTestId("review-comment-link").innerText(), /View the comment on GitHub/);
	await assertText(item(question).getByTestId("review-kind"), /^question$/);
	await assertText(item(question).getByTestId("review-status"), /^open$/);
	await assertText(item(question).getByTestId("review-reviewer"), /^sam$/);
	await assertText(item(question).getByTestId("review-where"), /^src\/town\/bead\.c:7$/);
	await assertText(item(question).getByTestId("review-comment"), /^Why is this not cached\?\nIt runs on every frame\.$/);
	assert.equal(await item(question).getByTestId("review-reply").count(), 0, "no reply yet, none shown");

	// The reviewer's HTML is text: shown as written, no element made of it, nothing ran.
	assert.equal(await item(fix).getByTestId("review-comment").innerText(), XSS);
	assert.equal(await drawer.locator("img").count(), 0);
	assert.equal(await item(fix).getByTestId("review-comment").evaluate((el) => el.children.length), 0);
	assert.equal(await page.evaluate(() => window.__xss), undefined);

	// Live: an approval arrives as a webhook and a comment's bead starts, while the panel is open.
	const d = await githubDelivery(HOOK_SECRET, "pull_request_review", gh.addReview("acme/app", pull.number, { user: "rita", state: "APPROVED", body: "LGTM" }));
	const res = await fetch(`${base}/api/towns/rv/hooks/github`, { method: "POST", headers: d.headers, body: d.body });
	const queued = await res.json();
	assert.equal(res.status, 202, JSON.stringify(queued));
	const took = await appliedDelivery((path) => api("GET", path), "github", queued.data.delivery);
	assert.equal(took.outcome, "approved", JSON.stringify(took));
	await assertText(section.getByTestId("review-approvals"), /✓\s*rita/, 10_000);
	assert.equal((await api("PATCH", `/beads/${question.id}`, { status: "in_progress" })).status, 200);
	await assertText(item(question).getByTestId("review-status"), /^in progress$/, 10_000);
	// The merge request's own progress changes (as the town writes it when a thread is answered).
	const meta = (await api("GET", `/beads/${mr.id}`)).data.metadata;
	assert.equal((await api("PATCH", `/beads/${mr.id}`, { metadata: { ...meta, review_progress: { total: 2, addressed: 2 } } })).status, 200);
	await assertText(section.getByTestId("review-progress"), /^2\/2 addressed/, 10_000);
	assert.equal((await api("PATCH", `/beads/${mr.id}`, { metadata: meta })).status, 200);
	await assertText(section.getByTestId("review-progress"), /^1\/2 addressed/, 10_000);
	await assertText(drawer.getByTestId("bead-events"), /recorded rita's approval of/);
	await section.scrollIntoViewIfNeeded();
	await shot(page, "review-desktop");

	// axe-core: no WCAG 2.1 A/AA violation of any impact in the drawer.
	assert.deepEqual(await a11y(page, "merge request drawer at 1280px"), []);

	// The keyboard alone opens a comment's bead in the panel: its own review context comes first.
	await item(fix).getByTestId("review-open").focus();
	await page.keyboard.press("Enter");
	await page.waitForURL(new RegExp(`#/towns/rv/beads/${fix.id}$`));
	const context = drawer.getByTestId("review-context");
	await context.getByRole("heading", { name: "Review comment" }).waitFor();
	await assertText(context.getByTestId("review-kind"), /^fix$/);
	await assertText(context.getByTestId("review-where"), /^dashboard\/src\/Drawer\.jsx:40–42$/);
	await assertText(context, /rita on dashboard\/src\/Drawer\.jsx:40–42/);
	assert.equal(await context.getByTestId("review-comment").innerText(), XSS);
	await assertText(context.getByTestId("review-reply"), /Escaped in 4f9c2e1/);
	assert.equal(await context.getByRole("link", { name: mr.id }).getAttribute("href"), `#/towns/rv/beads/${mr.id}`);
	assert.equal(await drawer.locator("img").count(), 0);
	// It is first in the details: above the actions and the facts.
	assert.ok(await drawer.evaluate((el) => {
		const c = el.querySelector('[data-testid="review-context"]'), f = el.querySelector(".facts");
		return !!(c.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING);
	}), "the review context comes before the facts");
	await shot(page, "review-comment-desktop");
	assert.deepEqual(await a11y(page, "review sub-bead drawer at 1280px"), []);

	// A phone: the drawer over the page, nothing wider than the screen, nothing for axe.
	const phone = await signedIn(PHONE);
	await phone.goto(`${base}/#/towns/rv/beads/${mr.id}`);
	const phoneSection = phone.getByTestId("bead-review");
	await phoneSection.getByTestId(`review-item-${question.id}`).waitFor();
	await assertText(phoneSection.getByTestId("review-progress"), /^1\/2 addressed/);
	const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	assert.ok(overflow <= 1, `the drawer is ${overflow}px wider than a phone`);
	const panelOverflow = await phone.getByTestId("bead-detail").evaluate((el) => {
		const right = el.getBoundingClientRect().right;
		const wide = [...el.querySelectorAll("*")].filter((x) => x.getBoundingClientRect().right > right + 1 || x.scrollWidth > x.clientWidth + 1)
			.slice(0, 5).map((x) => `${x.tagName.toLowerCase()}.${x.className} ${Math.round(x.getBoundingClientRect().right)} ${x.scrollWidth}/${x.clientWidth} ${(x.textContent ?? "").slice(0, 40)}`);
		return { by: el.scrollWidth - el.clientWidth, wide, w: el.clientWidth };
	});
	assert.ok(panelOverflow.by <= 1, `the drawer scrolls sideways by ${JSON.stringify(panelOverflow)}`);
	await phoneSection.scrollIntoViewIfNeeded();
	await shot(phone, "review-phone");
	assert.deepEqual(await a11y(phone, "merge request drawer at 390px"), []);

	assert.deepEqual(errors, [], "no script errors, dialogs or failed calls");
});

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

// axe-core's WCAG 2 A/AA violations inside the bead drawer, one line each.
async function a11y(page, name) {
	const { lines, passed } = await axe(page, name, { within: '[data-testid="bead-detail"]' });
	assert.ok(passed > 5, `${name}: axe checked the drawer (${passed} rules passed)`);
	return lines;
}
