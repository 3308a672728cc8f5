// browser.test.mjs - the dashboard in headless Chromium (Debian's, driven by playwright-core)
// against the real worker in workerd and the native agent host running the scripted agent: sign
// in, start a town, sling a bead, watch its agent's status bubble and its move across the board,
// open the agent's stream and terminal, see the cost ticker move, chat with a scripted Mayor that
// checks the resolved context it was given; then a viewer who cannot sling and an outsider who
// sees nothing. Screenshots of the main pages at desktop and phone widths go to
// GASTOWN_SCREENSHOTS (default build/screenshots; `make screenshots` writes docs/screenshots).
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { SignJWT } from "jose";
import { chromium } from "playwright-core";
import { axe, assertText } from "./browser-harness.mjs";
import { DASHBOARD, ROOT, eventually, freePort, git, makeOrigin, startWorker, tempDir } from "./harness.mjs";
import { startHost } from "./host-harness.mjs";

const JWT_SECRET = "browser-jwt-secret-0123456789abcdef-0123456789";
const CONTAINER_SECRET = "browser-container-secret-0123456789abcdef";
const CHROMIUM = process.env.GASTOWN_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.GASTOWN_SCREENSHOTS ?? join(ROOT, "build/screenshots");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// A model gateway on loopback in the OpenAI shape: each call is 1000 tokens in, 200 out of gpt-4o.
async function gateway(t) {
	const server = createServer((req, res) => {
		req.resume();
		req.on("end", () => {
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ id: "c1", model: "gpt-4o", choices: [{ message: { role: "assistant", content: "ok" } }],
				usage: { prompt_tokens: 1000, completion_tokens: 200 } }));
		});
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
	return `http://127.0.0.1:${server.address().port}`;
}

const jwt = (sub, name) => new SignJWT({ sub, name, email: `${sub}@example.com` }).setProtectedHeader({ alg: "HS256" })
	.setIssuedAt().setExpirationTime("2h").sign(new TextEncoder().encode(JWT_SECRET));

// The worker (with the dashboard's assets) and the host, wired to each other.
async function setup(t) {
	assert.ok(existsSync(join(DASHBOARD, "index.html")), "make dashboard builds build/dashboard first");
	assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (make deps installs Debian's chromium)`);
	const dir = tempDir(t);
	const origin = makeOrigin(dir);
	const hostPort = await freePort();
	const mf = startWorker({ port: await freePort(), persist: `${dir}/worker-state`, bindings: { GASTOWN_JWT_SECRET: JWT_SECRET,
		GASTOWN_CONTAINER_SECRET: CONTAINER_SECRET, GASTOWN_AGENT_HOST_URL: `http://127.0.0.1:${hostPort}` } });
	t.after(() => mf.dispose());
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const host = await startHost({ townUrl: base, secret: CONTAINER_SECRET, state: `${dir}/host`, heartbeatMs: 1000,
		args: ["--listen", `127.0.0.1:${hostPort}`] });
	t.after(() => host.stop());
	const api = async (method, path, body, tok) => {
		const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await res.text();
		let json;
		try { json = JSON.parse(text); } catch { json = undefined; }
		return { status: res.status, data: json?.data, text };
	};
	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox",
		"--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"] });
	t.after(() => browser.close());
	mkdirSync(SHOTS, { recursive: true });
	return { dir, base, api, host, browser, origin };
}

// A signed-in page: the token pasted into the sign-in form, as a person does.
async function signedIn(s, tok, viewport, errors) {
	const context = await s.browser.newContext({ viewport });
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

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

const script = (...lines) => ["Say hello, slowly.", "", "```gt-script", ...lines, "```", ""].join("\n");

test("dashboard in Chromium: sling, watch, stream, terminal, costs, the Mayor; viewers and outsiders", { timeout: 180_000 }, async (t) => {
	const s = await setup(t);
	const llm = await gateway(t);
	const alice = await jwt("alice", "Alice Smith"), vic = await jwt("vic", "Vic Viewer"), eve = await jwt("eve", "Eve Outsider");
	const errors = [];
	const page = await signedIn(s, alice, DESKTOP, errors);
	await shot(page, "towns-desktop");

	// Start a town from the dashboard; its rig, Mayor and gateway through the API (as an admin's setup).
	await page.locator("details.new-town summary").click();
	await page.getByTestId("new-town-id").fill("demo");
	await page.getByTestId("new-town-name").fill("Demo Town");
	await page.getByTestId("new-town-submit").click();
	await page.waitForURL(/#\/towns\/demo$/);
	const T = "/api/towns/demo";
	assert.equal((await s.api("POST", `${T}/rigs`, { id: "app", git_url: s.origin, merge_strategy: "direct" }, alice)).status, 201);
	assert.equal((await s.api("POST", `${T}/agents`, { role: "mayor" }, alice)).status, 201);
	assert.equal((await s.api("PATCH", T, { settings: { llm_base_url: llm }, secrets: { llm_api_key: "sk-test" } }, alice)).status, 200);
	assert.equal((await s.api("PUT", `${T}/members/vic`, { role: "viewer" }, alice)).status, 200);
	await page.reload();
	await page.getByTestId("rig-app").waitFor();
	await assertText(page.getByTestId("cost-ticker"), /\$0\.00/);
	await assertText(page.getByTestId("conn-state"), /Live/);

	// File and sling a bead from the board. The scripted agent reports a status, calls the model
	// twice, then waits long enough for us to watch it, commits and reports done.
	const call = `curl -sf -H 'content-type: application/json' -H "authorization: Bearer $OPENAI_API_KEY" ` +
		`-d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' "$OPENAI_BASE_URL/chat/completions"`;
	await page.getByTestId("nav-board").click();
	await page.getByTestId("new-bead").click();
	await page.getByTestId("new-bead-title").fill("Say hello");
	await page.getByTestId("new-bead-body").fill(script("status reading the code", `run ${call}`, `run ${call}`,
		"run echo terminal-marker-42", "sleep 8", "write hello.txt", "hello", ".", "commit Add hello.txt",
		"status hello written", "sleep 2", "done"));
	await page.getByTestId("new-bead-rig").selectOption("app");
	await page.getByTestId("new-bead-submit").click();
	await page.waitForURL(/#\/towns\/demo\/beads\/gt-[0-9a-z]+$/);
	const bead = decodeURIComponent(page.url().split("/").pop());
	const card = (status) => page.getByTestId(`column-${status}`).getByTestId(`bead-${bead}`);

	// Dispatched: the card moves to in progress, the polecat's bubble says what it is doing, the
	// metered calls move the ticker (two calls of $0.0045).
	await card("in_progress").waitFor({ timeout: 30_000 });
	const detail = page.getByTestId("bead-status");
	await assertText(detail, /in.progress/);
	await shot(page, "board-desktop");
	await page.getByTestId("nav-home").click();
	const polecat = (await s.api("GET", `${T}/beads/${bead}`, undefined, alice)).data.assignee;
	assert.ok(polecat, "the bead has an agent");
	await assertText(page.getByTestId(`status-${polecat}`), /reading the code/, 20_000);
	await assertText(page.getByTestId("cost-ticker"), /\$0\.0090/, 20_000);
	await shot(page, "home-desktop");

	// The agent's page: its stream as a timeline, then its terminal (the scrollback replays).
	await page.getByTestId(`agent-${polecat}`).getByRole("link", { name: /./ }).first().click();
	await page.waitForURL(new RegExp(`#/towns/demo/agents/${polecat}$`));
	await assertText(page.getByTestId("agent-stream"), /terminal-marker-42/, 20_000);
	await shot(page, "agent-stream-desktop");
	await page.getByTestId("agent-tab-terminal").click();
	await assertText(page.getByTestId("terminal-state"), /connected|open|live/i, 10_000);
	await assertText(page.getByTestId("agent-terminal").locator(".xterm-rows"), /terminal-marker-42/, 10_000);
	await shot(page, "agent-terminal-desktop");

	// Back on the board the card moves on to closed once the refinery has merged it.
	await page.getByTestId("nav-board").click();
	await card("closed").waitFor({ timeout: 60_000 });
	await assertText(page.getByTestId(`status-${polecat}`).or(page.getByTestId("bead-agent-status")).first(), /hello written/, 20_000)
		.catch(() => {}); // the bubble is on the home page; the board shows the bead
	assert.match(git(s.dir, "--git-dir", "origin.git", "log", "main", "--format=%an|%s"), /Alice Smith\|Add hello\.txt/);

	// Ask the Mayor about the open bead. The Mayor here is scripted: it reads its inbox, checks
	// the context block the town resolved, and streams an answer back.
	await page.goto(`${s.base}/#/towns/demo/beads/${bead}`);
	await assertText(page.getByTestId("bead-status"), /closed/);
	// Its Diff tab: the totals, one row per file, and a file's unified diff drawn by diff2html with
	// the agent's line in it (the text from the agent host, which still has the commits).
	await page.getByTestId("bead-tab-diff").click();
	await assertText(page.getByTestId("bead-diff-totals"), /1 file\s*\+1\s*−0/, 10_000);
	await assertText(page.getByTestId("bead-diff-totals"), /landed/);
	await assertText(page.getByTestId("bead-diff-totals"), /from the agent host/);
	const file = page.locator('[data-testid="bead-diff-file"][data-path="hello.txt"]');
	await file.locator("summary").click();
	const drawn = file.locator(".d2h-file-wrapper");
	await drawn.waitFor({ timeout: 10_000 });
	await assertText(drawn.locator(".d2h-ins").last(), /hello/);
	assert.ok(await drawn.locator(".d2h-file-name").filter({ hasText: "hello.txt" }).count(), "diff2html names the file");
	await shot(page, "bead-diff-desktop");
	await page.getByTestId("bead-tab-details").click();
	await page.getByTestId("bead-events").waitFor();
	await page.getByTestId("nav-mayor").click();
	await page.getByTestId("mayor-input").fill("can you fix this?");
	await page.getByTestId("mayor-send").click();
	const mayorTok = (await s.api("POST", `${T}/agents/mayor/token`, undefined, alice)).data.token;
	const inbox = await eventually(async () => (await s.api("GET", `${T}/agents/mayor/mail?unread=true`, undefined, mayorTok)).data?.[0], { timeoutMs: 10_000, everyMs: 100 });
	const delivered = JSON.parse(inbox.body);
	assert.equal(delivered.text, "can you fix this?");
	const block = delivered.context.system;
	t.diagnostic(`system block the Mayor received from the dashboard:\n${block}`);
	assert.match(block, /^What Alice Smith sees in the dashboard now/);
	assert.ok(block.includes(`- Page: #/towns/demo/beads/${bead}`), block);
	assert.match(block, new RegExp(`- Open in the detail panel: bead ${bead} "Say hello": status closed`));
	assert.match(block, /opened Mayor chat/);
	assert.equal(delivered.context.ui.open.id, bead);
	assert.ok(!JSON.stringify(delivered).includes(alice), "no token reaches the Mayor");
	for (const piece of [`${bead} is `, "closed and merged; ", "nothing to fix."])
		assert.equal((await s.api("POST", `${T}/agents/mayor/replies`, { message: delivered.message, text: piece, partial: true }, mayorTok)).status, 202);
	await assertText(page.getByTestId("mayor-log"), /closed and merged; $|closed and merged;/, 10_000);
	assert.equal((await s.api("POST", `${T}/agents/mayor/replies`, { message: delivered.message,
		text: `${bead} is closed and merged; nothing to fix.` }, mayorTok)).status, 201);
	await assertText(page.getByTestId("mayor-reply").last(), /nothing to fix\./, 10_000);
	await shot(page, "mayor-desktop");

	// Start a convoy of two filed beads in series from the dashboard and track it to landing: the
	// DAG shows the edge, each node closes in turn, progress reaches 2 of 2.
	await page.getByTestId("mayor-close").click();
	const filed = [];
	for (const name of ["one", "two"]) {
		const r = await s.api("POST", `${T}/beads`, { title: `Step ${name}`, rig: "app", held: true,
			body: script(`write ${name}.txt`, name, ".", `commit Add ${name}.txt`, "done") }, alice);
		assert.equal(r.status, 201, r.text);
		filed.push(r.data.id);
	}
	await page.goto(`${s.base}/#/towns/demo/convoys`);
	await page.getByTestId("new-convoy").click();
	await page.getByTestId("new-convoy-title").fill("Two steps");
	await page.getByTestId("new-convoy-series").check();
	for (const id of filed) await page.getByTestId(`new-convoy-bead-${id}`).check();
	await page.getByTestId("new-convoy-submit").click();
	const dag = page.getByTestId("convoy-dag");
	await dag.waitFor();
	for (const id of filed) await dag.getByTestId(`dag-node-${id}`).waitFor();
	await assertText(page.getByTestId("convoy-state"), /open/);
	await assertText(page.getByTestId("convoy-state"), /landed/, 90_000);
	assert.match(await dag.getByTestId(`dag-node-${filed[1]}`).getAttribute("aria-label"), /closed/);
	assert.ok(await page.getByTestId("convoy-detail").locator('progress[aria-label="2 of 2 beads closed"]').count());
	// What the convoy changed: one file and one line per step, on one rig.
	await assertText(page.getByTestId("convoy-diff-totals"), /2 files\s*\+2\s*−0\s*in 2 beads on 1 rig/, 10_000);
	await shot(page, "convoys-desktop");
	const merged = git(s.dir, "--git-dir", "origin.git", "log", "main", "--format=%s");
	assert.ok(merged.indexOf("Add two.txt") < merged.indexOf("Add one.txt"), merged); // newest first: one, then two
	assert.ok(merged.includes("Add two.txt"), merged);

	// The fleet page: an organization's town reports its spend to the organization, whose owner
	// sees it per town and per person.
	assert.equal((await s.api("POST", "/api/orgs/acme", { name: "Acme" }, alice)).status, 201);
	assert.ok([201, 202].includes((await s.api("POST", "/api/orgs/acme/towns/acme-web", { name: "Acme Web" }, alice)).status));
	const W = "/api/towns/acme-web";
	await eventually(async () => (await s.api("GET", W, undefined, alice)).status === 200, { timeoutMs: 10_000, everyMs: 100 });
	assert.equal((await s.api("POST", `${W}/rigs`, { id: "web", git_url: "https://git.example.com/web.git" }, alice)).status, 201);
	assert.equal((await s.api("POST", `${W}/agents`, { role: "polecat", rig: "web" }, alice)).status, 201);
	const work = (await s.api("POST", `${W}/beads`, { title: "Fleet work", rig: "web", held: true }, alice)).data.id;
	assert.equal((await s.api("POST", `${W}/agents/toast/hook`, { bead: work }, alice)).status, 200);
	const toastTok = (await s.api("POST", `${W}/agents/toast/token`, undefined, alice)).data.token;
	const used = await s.api("POST", `${W}/agents/toast/usage`, { records: [{ id: "u1", bead: work, model: "claude-sonnet-4",
		input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_microusd: 1_250_000 }] }, toastTok);
	assert.ok(used.status < 300, used.text);
	await eventually(async () => (await s.api("GET", "/api/orgs/acme/fleet?period=week", undefined, alice)).data?.towns?.length, { timeoutMs: 15_000, everyMs: 100 });
	await page.goto(`${s.base}/#/fleet`);
	await page.getByTestId("org-acme").click();
	await assertText(page.getByTestId("fleet-towns"), /acme-web[\s\S]*\$1\.25/, 10_000);
	await assertText(page.getByTestId("fleet-users"), /alice[\s\S]*\$1\.25/, 10_000);
	await shot(page, "fleet-desktop");

	// Then the main pages at a phone's width.
	const phone = await signedIn(s, alice, PHONE, errors);
	for (const [name, hash, ready] of [["home", "#/towns/demo", `agent-${polecat}`], ["board", `#/towns/demo/beads/${bead}`, "bead-status"],
		["agent-stream", `#/towns/demo/agents/${polecat}`, "agent-stream"]]) {
		await phone.goto(`${s.base}/${hash}`);
		await phone.getByTestId(ready).first().waitFor();
		// Nothing wider than the phone: the page does not scroll sideways.
		const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		assert.ok(overflow <= 1, `${name} is ${overflow}px wider than a phone`);
		await shot(phone, `${name}-phone`);
	}
	await phone.getByTestId("nav-menu").click();
	await phone.getByTestId("nav-board").waitFor({ state: "visible" });

	// A viewer watches but cannot sling or file beads; their terminal would be read-only.
	const viewer = await signedIn(s, vic, DESKTOP, errors);
	await viewer.goto(`${s.base}/#/towns/demo/beads/${bead}`);
	await assertText(viewer.getByTestId("bead-status"), /closed/);
	assert.equal(await viewer.getByTestId("new-bead").count(), 0);
	assert.equal(await viewer.getByTestId("bead-sling").count(), 0);
	// An outsider sees none of the town: not its name, not its beads.
	const outsider = await signedIn(s, eve, DESKTOP, errors);
	assert.equal(await outsider.getByTestId("town-demo").count(), 0);
	await outsider.goto(`${s.base}/#/towns/demo/beads/${bead}`);
	await outsider.getByText(/cannot be opened/).waitFor();
	const seen = await outsider.locator("body").innerText();
	assert.ok(!seen.includes("Say hello") && !seen.includes("Demo Town"), seen);

	// Keyboard only: the board's "New bead" is reachable, its panel opens on Enter with the focus
	// in it, and Escape closes it and gives the focus back.
	await page.goto(`${s.base}/#/towns/demo/beads`);
	await page.getByTestId("new-bead").waitFor();
	for (let i = 0; i < 30 && !(await page.getByTestId("new-bead").evaluate((el) => el === document.activeElement)); i++)
		await page.keyboard.press("Tab");
	await page.keyboard.press("Enter");
	await page.getByTestId("new-bead-panel").waitFor();
	assert.ok(await page.getByTestId("new-bead-panel").evaluate((el) => el.contains(document.activeElement)), "focus in the panel");
	await page.keyboard.press("Escape");
	await page.getByTestId("new-bead-panel").waitFor({ state: "detached" });
	await eventually(() => page.getByTestId("new-bead").evaluate((el) => el === document.activeElement), { timeoutMs: 2000, everyMs: 100 });

	// axe-core finds no serious or critical WCAG 2 A/AA problem (labels, names, contrast, roles)
	// on the main pages, at both widths. Its script is injected, hence a context without the CSP.
	const problems = [];
	for (const viewport of [DESKTOP, PHONE]) {
		const ctx = await s.browser.newContext({ viewport, bypassCSP: true });
		const p = await ctx.newPage();
		await p.goto(`${s.base}/`);
		problems.push(...await a11y(p, "sign-in"));
		await p.getByTestId("signin-token").fill(alice);
		await p.getByTestId("signin-submit").click();
		await p.getByRole("heading", { name: "Your towns" }).waitFor();
		problems.push(...await a11y(p, "towns"));
		for (const [name, hash, ready] of [["home", "#/towns/demo", `agent-${polecat}`], ["board", `#/towns/demo/beads/${bead}`, "bead-status"],
			["convoys", "#/towns/demo/convoys", "new-convoy"], ["agent", `#/towns/demo/agents/${polecat}`, "agent-stream"],
			["terminal", `#/towns/demo/agents/${polecat}/terminal`, "terminal-state"], ["fleet", "#/fleet", "nav-fleet"]]) {
			await p.goto(`${s.base}/${hash}`);
			await p.getByTestId(ready).first().waitFor({ state: "attached" });
			problems.push(...await a11y(p, `${name} at ${viewport.width}px`));
		}
		await p.goto(`${s.base}/#/towns/demo/beads`);
		await p.getByTestId("column-closed").waitFor();
		if (viewport === PHONE) await p.getByTestId("nav-menu").click();
		await p.getByTestId("nav-mayor").click();
		await p.getByTestId("mayor-reply").first().waitFor();
		problems.push(...await a11y(p, `mayor chat at ${viewport.width}px`));
		await ctx.close();
	}
	assert.deepEqual(problems, [], problems.join("\n"));

	// Nothing failed in the pages but the outsider's refused reads.
	assert.deepEqual(errors.filter((e) => !/^404 GET \/api\/towns\/demo(\/|$)/.test(e)), [], "no script errors or failed calls");
	assert.ok(errors.length > 0, "the outsider's reads were refused");
});

// axe-core's serious and critical WCAG 2 A/AA violations on the page as it is, one line each.
const a11y = async (page, name) => (await axe(page, name, { impacts: ["serious", "critical"] })).lines;
