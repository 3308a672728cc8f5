// browser-search.test.mjs - the agent log on the dashboard and its search, in headless Chromium
// (Debian's, driven by playwright-core) against the real worker in workerd and the native agent
// host running the scripted agent (e2e-harness.mjs). A polecat runs "echo found a race condition in
// checkout", writes src/payments/charge.c, prints what Claude Code prints for a Read and its result
// and a 6,000-byte line, and commits. Alice opens Search from the town's navigation: "race
// checkout" lists the API's results in the API's order (newest first, then best first, then
// commands only), each with its agent, its bead linked to the bead's panel, its link (the agent's
// Log at that event; a bead's own entry, which the town indexes too, its panel) and the hits as
// <mark>; a path alone lists the file written and read. A result opens the agent's Log at that
// event, marked, scrolled to and focused; the command's card opens on what it printed, the Read's
// on its input (pretty-printed) and its result, the long line's says where the log cut it. The Log
// is the API's log, event for event; Load more finds nothing newer. Back on Search the search is as
// it was; a query FTS5 cannot read shows the town's message by the box; words found nowhere say so.
// A link to the output opens its card by itself. axe-core finds no WCAG 2.1 A/AA violation (any
// impact) on either page, every card open, at desktop and phone widths, neither wider than a phone.
// Flows run under the site's CSP; axe, injected, runs in contexts that bypass it. Screenshots go to
// GASTOWN_SCREENSHOTS (default build/screenshots).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { DESKTOP, PHONE, SHOTS, a11y, assertText, focused, jwt, launch, signedIn } from "./browser-harness.mjs";
import { TOWN, script, setup } from "./e2e-harness.mjs";
import { eventually } from "./harness.mjs";

const RACE = "race checkout";
// What Claude Code prints for a Read and its result (stream-json): the host makes them a tool event
// and its result, as for the real CLI.
const READ = JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", name: "Read",
	input: { file_path: "src/payments/charge.c", limit: 20 } }] } });
const READ_RESULT = JSON.stringify({ type: "user", message: { content: [{ type: "tool_result", content: "int charge(void) { return lock_cart(); }" }] } });
// The size as the Log writes it (format.js's bytes()).
const kb = (n) => `${(n / 1024).toFixed(1).replace(/\.0$/, "")} KB`;
const LIMIT = 50; // as the Search page asks (Search.jsx's SEARCH_LIMIT)

// The results shown, in order: what the API's results say of each, and the hit words marked.
const shownResults = (page) => page.getByTestId("search-result").evaluateAll((lis) => lis.map((li) => ({
	seq: Number(li.dataset.seq), agent: li.dataset.agent, bead: li.dataset.bead, kind: li.dataset.kind,
	beadHref: li.querySelector('[data-testid="search-result-bead"]')?.getAttribute("href") ?? "",
	href: li.querySelector('[data-testid="search-result-link"]').getAttribute("href"),
	marks: [...li.querySelectorAll('[data-testid="search-snippet"] mark')].map((m) => m.textContent),
	snippet: li.querySelector('[data-testid="search-snippet"]').textContent,
})));
// Where each leads: an agent's event to its Log there, a bead's own entry (the town indexes its beads
// too, under their creator) to its panel, anything else (a person's note) nowhere.
const expected = (results, agents) => results.map((r) => ({ seq: r.seq, agent: r.agent, bead: r.bead ?? "", kind: r.kind,
	beadHref: r.bead ? `#/towns/${TOWN}/beads/${r.bead}` : "",
	href: r.kind === "bead" ? `#/towns/${TOWN}/beads/${r.bead}` : agents.includes(r.agent) ? `#/towns/${TOWN}/agents/${r.agent}/log?seq=${r.seq}` : null,
	marks: r.snippet.filter((p) => p.hit).map((p) => p.text),
	snippet: r.snippet.map((p) => p.text).join("") }));

// The page's results are the API's for the same question, once the town has answered.
async function sameResults(page, api, params, label) {
	const agents = (await api("GET", "/agents")).data.map((a) => a.id);
	const want = expected((await api("GET", `/search?${new URLSearchParams({ ...params, limit: LIMIT })}`)).data.results, agents);
	await eventually(async () => JSON.stringify(await shownResults(page)) === JSON.stringify(want), { timeoutMs: 10_000, everyMs: 100 })
		.catch(() => {});
	assert.deepEqual(await shownResults(page), want, `${label}: the API's results, in its order`);
	return want;
}

async function search(page, q) {
	await page.getByTestId("search-q").fill(q);
	await page.getByTestId("search-submit").click();
}

test("the agent log's search and the structured log in Chromium: results as the API's, hits marked, a result's event in the Log; axe clean",
	{ timeout: 120_000 }, async (t) => {
		const started = Date.now();
		const s = await setup(t);
		const work = await s.bead("Lock the cart", script(
			"status looking at checkout",
			"run echo found a race condition in checkout when two charges land",
			"write src/payments/charge.c", "int charge(void) { return lock_cart(); }", ".",
			`run printf '%s\\n' '${READ}' '${READ_RESULT}'`,
			"run yes 'a long line of the build log' | head -c 6000 | tr '\\n' ' '; echo",
			"commit Lock the cart before charging", "done"));
		assert.equal((await s.api("POST", `/beads/${work}/sling`, { rig: "app" })).status, 200);

		// Chromium starts and Alice signs in while the agent works.
		const browser = await launch(t);
		const alice = await jwt("alice", "Alice Smith");
		const errors = [];
		const page = await signedIn(browser, s.base, alice, { errors });

		// The run is in the log: its command and what it printed, and the file it wrote.
		const race = await s.until("the race is searchable", async () => {
			const r = await s.api("GET", `/search?q=${encodeURIComponent(RACE)}`);
			const found = r.status === 200 ? r.data.results.filter((e) => e.kind === "command" || e.kind === "output") : [];
			return found.length >= 2 ? found : null;
		}, 30_000);
		const polecat = race[0].agent;
		await s.until("the file and its Read are in the log", async () => (await s.api("GET", "/search?path=src/payments/")).data?.results.length >= 2, 10_000);
		await s.until("the long line is in the log", async () => (await s.api("GET", "/search?q=long+build&kind=output")).data?.results.length, 10_000);
		// The bead itself reaches the search in the town's next index batch (seconds after its
		// creation): the page's search and the API's must both be asked after it.
		await s.until("the bead itself is searchable", async () =>
			(await s.api("GET", `/search?q=${encodeURIComponent(RACE)}`)).data?.results.some((e) => e.kind === "bead" && e.bead === work), 20_000);
		t.diagnostic(`searchable after ${Date.now() - started} ms`);

		// Search, from the town's navigation: newest first, as the API.
		await page.goto(`${s.base}/#/towns/${TOWN}`);
		await page.getByTestId("nav-search").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/search$`));
		await page.getByRole("heading", { name: "Search", level: 1 }).waitFor();
		assert.equal(await page.getByTestId("nav-search").getAttribute("aria-current"), "page");
		assert.equal(await page.getByTestId("search-q").getAttribute("type"), "search");
		await search(page, RACE);
		const newest = await sameResults(page, s.api, { q: RACE }, "race checkout");
		const run = newest.filter((r) => r.agent === polecat);
		assert.deepEqual(run.map((r) => r.kind).sort(), ["command", "output"]);
		assert.ok(newest.every((r) => r.bead === work), JSON.stringify(newest));
		for (const r of newest) {
			assert.ok(r.marks.length >= 2, `the hits are marked: ${JSON.stringify(r)}`);
			assert.ok(r.marks.every((m) => /^(race|checkout)$/i.test(m)), `only the words searched are marked: ${r.marks}`);
		}
		assert.match(await page.getByTestId("search-result").first().locator("mark").first().evaluate((m) => m.tagName), /^MARK$/);
		await assertText(page.getByTestId("search-summary"), new RegExp(`^${newest.length} results, newest first\\.$`));
		// Best first, then commands only: the API's again.
		await page.getByTestId("search-best").check();
		await page.getByTestId("search-submit").click();
		await assertText(page.getByTestId("search-summary"), /best first/);
		await sameResults(page, s.api, { q: RACE, order: "relevance" }, "race checkout, best first");
		await page.getByTestId("search-kind").selectOption("command");
		await page.getByTestId("search-submit").click();
		const commands = await sameResults(page, s.api, { q: RACE, order: "relevance", kind: "command" }, "race checkout, commands");
		assert.equal(commands.length, 1);
		// A path alone: who last touched src/payments/.
		await page.getByTestId("search-kind").selectOption("");
		await page.getByTestId("search-best").uncheck();
		await page.getByTestId("search-q").fill("");
		await page.getByTestId("search-path").fill("src/payments/");
		await page.getByTestId("search-submit").click();
		const touched = await sameResults(page, s.api, { path: "src/payments/" }, "path src/payments/");
		assert.deepEqual(touched.map((r) => [r.agent, r.kind]), [[polecat, "tool"], [polecat, "file"]]);
		assert.deepEqual(touched.map((r) => r.href), touched.map((r) => `#/towns/${TOWN}/agents/${polecat}/log?seq=${r.seq}`));
		await page.getByTestId("search-path").fill("");
		await search(page, RACE);
		await sameResults(page, s.api, { q: RACE }, "race checkout again");
		await page.screenshot({ path: join(SHOTS, "search-desktop.png"), fullPage: true });

		// The command's result opens the agent's Log at that event: marked, in view, focused.
		const command = run.find((r) => r.kind === "command"), output = run.find((r) => r.kind === "output");
		await page.locator(`[data-testid="search-result"][data-seq="${command.seq}"] [data-testid="search-result-link"]`).click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/agents/${polecat}/log\\?seq=${command.seq}$`));
		const event = (seq) => page.locator(`[data-testid="log-event"][data-seq="${seq}"]`);
		await event(command.seq).waitFor();
		assert.equal(await event(command.seq).getAttribute("aria-current"), "true");
		assert.match(await event(command.seq).getAttribute("class"), /\blog-target\b/);
		assert.equal(await event(command.seq).getByTestId("log-linked").innerText(), "linked event");
		await focused(event(command.seq));
		await eventually(() => event(command.seq).evaluate((el) => {
			const r = el.getBoundingClientRect();
			return r.top >= 0 && r.bottom <= innerHeight;
		}), { timeoutMs: 2000, everyMs: 100 });
		assert.equal(await page.getByTestId("agent-tab-log").getAttribute("aria-current"), "page");
		assert.match(await event(command.seq).locator(".log-cmd").innerText(), /echo found a race condition in checkout/);
		// Its card opens on what it printed.
		const toggle = event(command.seq).getByTestId("log-toggle");
		assert.equal(await toggle.getAttribute("aria-expanded"), "false");
		assert.equal(await event(output.seq).isVisible(), false, "the output waits in the closed card");
		await toggle.click();
		assert.equal(await toggle.getAttribute("aria-expanded"), "true");
		const body = page.locator(`#${await toggle.getAttribute("aria-controls")}`);
		assert.equal(await body.isVisible(), true);
		await assertText(event(output.seq), /found a race condition in checkout when two charges land/);

		// The Log is the API's log, event for event, oldest first; the file shows its path.
		const log = (await s.api("GET", `/agents/${polecat}/log?limit=1000`)).data.events;
		assert.deepEqual(await page.getByTestId("log-event").evaluateAll((els) => els.map((e) => Number(e.dataset.seq))), log.map((e) => e.seq));
		assert.deepEqual(await page.getByTestId("log-event").evaluateAll((els) => els.map((e) => e.dataset.kind)), log.map((e) => e.kind));
		await assertText(page.locator('[data-testid="log-event"][data-kind="file"]'), /write src\/payments\/charge\.c/);
		// The Read: a card that opens on its input, pretty-printed, and its result.
		const read = log.find((e) => e.kind === "tool");
		assert.deepEqual([read.tool, read.path], ["Read", "src/payments/charge.c"]);
		const readCard = event(read.seq);
		assert.match(await readCard.getByTestId("log-toggle").innerText(), /Read\s+src\/payments\/charge\.c\s+1 result/);
		assert.equal(await readCard.getByTestId("log-input").isVisible(), false);
		await readCard.getByTestId("log-toggle").click();
		assert.equal(await readCard.getByTestId("log-toggle").getAttribute("aria-expanded"), "true");
		assert.equal(await readCard.getByTestId("log-input").innerText(), JSON.stringify(JSON.parse(read.text), null, 2));
		const result = log[log.indexOf(read) + 1];
		assert.equal(result.kind, "result");
		await assertText(readCard.locator(`[data-testid="log-event"][data-seq="${result.seq}"]`), /int charge\(void\) \{ return lock_cart\(\); \}/);
		// The long line, cut by the log: the card of the command that printed it says where.
		const long = log.find((e) => e.truncated);
		assert.ok(long && long.kind === "output" && long.size === 6000, JSON.stringify(long));
		const longCard = page.locator('li[data-testid="log-event"]', { has: event(long.seq) });
		await longCard.getByTestId("log-toggle").click();
		assert.equal(await event(long.seq).getByTestId("log-cut").innerText(), `cut at 4 KB of ${kb(long.size)}`);
		await page.evaluate(() => scrollTo(0, 0));
		await page.screenshot({ path: join(SHOTS, "agent-log-desktop.png"), fullPage: true });
		await page.getByTestId("log-more").click();
		await assertText(page.getByTestId("log-status"), new RegExp(`^No newer events yet \\(${log.length} events in all\\)\\.$`));

		// Back on Search the search is as it was; a query FTS5 cannot read gets the town's message by the box.
		await page.goBack();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/search$`));
		assert.equal(await page.getByTestId("search-q").inputValue(), RACE);
		await sameResults(page, s.api, { q: RACE }, "back on Search");
		const bad = await s.api("GET", `/search?q=${encodeURIComponent('"unbalanced')}&limit=${LIMIT}`);
		assert.equal(bad.status, 400, bad.text);
		await search(page, '"unbalanced');
		assert.equal(await assertText(page.getByTestId("search-error"), /\S/), bad.body.error.message);
		assert.equal(await page.getByTestId("search-error").getAttribute("aria-live"), "assertive");
		assert.equal(await page.getByTestId("search-q").getAttribute("aria-invalid"), "true");
		assert.match(await page.getByTestId("search-q").getAttribute("aria-describedby"), /\bsearch-q-error\b/);
		await focused(page.getByTestId("search-q"));
		assert.equal(await page.getByTestId("search-result").count(), 0);
		t.diagnostic(`the town's message: ${bad.body.error.message}`);
		// Words nowhere in the log: nothing found.
		await search(page, "zeppelin");
		await assertText(page.getByTestId("search-summary"), /^Nothing found\.$/);
		assert.equal(await page.getByTestId("search-error").innerText(), "");

		// A link to the output opens its card by itself, the output marked.
		await page.goto(`${s.base}/#/towns/${TOWN}/agents/${polecat}/log?seq=${output.seq}`);
		await page.reload();
		await event(output.seq).waitFor({ state: "visible" });
		assert.equal(await event(output.seq).getAttribute("aria-current"), "true");
		assert.equal(await event(command.seq).getByTestId("log-toggle").getAttribute("aria-expanded"), "true");
		await focused(event(output.seq));

		// axe at both widths: results, the error, the log at an event with its card open.
		const problems = [];
		for (const viewport of [DESKTOP, PHONE]) {
			const w = `${viewport.width}px`;
			const p = await signedIn(browser, s.base, alice, { viewport, bypassCSP: true });
			await p.goto(`${s.base}/#/towns/${TOWN}/search`);
			await search(p, RACE);
			await p.getByTestId("search-result").nth(1).waitFor();
			problems.push(...await a11y(p, `search results at ${w}`));
			if (viewport === PHONE) {
				const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
				assert.ok(overflow <= 1, `the search page is ${overflow}px wider than a phone`);
				await p.screenshot({ path: join(SHOTS, "search-phone.png"), fullPage: true });
			}
			await search(p, '"unbalanced');
			await p.getByTestId("search-error").filter({ hasText: /\S/ }).waitFor();
			problems.push(...await a11y(p, `a query refused at ${w}`));
			await p.goto(`${s.base}/#/towns/${TOWN}/agents/${polecat}/log?seq=${output.seq}`);
			await p.locator(`[data-testid="log-event"][data-seq="${output.seq}"]`).waitFor({ state: "visible" });
			const closed = p.locator('[data-testid="log-toggle"][aria-expanded="false"]');
			while (await closed.count()) await closed.first().click();
			await p.getByTestId("log-cut").waitFor();
			problems.push(...await a11y(p, `the log at an event, every card open, at ${w}`));
			if (viewport === PHONE) {
				const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
				assert.ok(overflow <= 1, `the log is ${overflow}px wider than a phone`);
				await p.evaluate(() => scrollTo(0, 0));
				await p.screenshot({ path: join(SHOTS, "agent-log-phone.png"), fullPage: true });
			}
			await p.context().close();
		}
		assert.deepEqual(problems, [], problems.join("\n"));

		// Nothing failed but the query meant to.
		const meant = `400 GET /api/towns/${TOWN}/search`;
		assert.deepEqual(errors.filter((e) => e !== meant), [], "no script errors or failed calls");
		assert.ok(errors.includes(meant), errors.join("\n"));
		t.diagnostic(`wall time ${Date.now() - started} ms`);
	});
