// browser-attempts.test.mjs - a bead slung two ways from its panel in headless Chromium (Debian's,
// driven by playwright-core) against the real worker in workerd and the native agent host
// (e2e-harness.mjs). The rig's gate fails when a BROKEN file is there; the bead's script breaks it
// as persona "breaks" and lands cleanly, later, as "lands". Alice sets Ways to 2 in the sling form
// (the town's errors show beside the ways and beside the way they name), chooses a persona per way
// and slings; the panel then compares the attempts side by side: "lands" merged (the winner),
// "breaks" superseded (or failed) with its gate's failure, each with its bead's status, its diff,
// its cost and its time, linked to its bead. axe-core finds no WCAG 2.1 A/AA violation (of any
// impact) in the panel, with the comparison and with the form's rows and an error. Flows run under
// the site's CSP; axe, injected, runs in contexts that bypass it. Screenshots go to
// GASTOWN_SCREENSHOTS (default build/screenshots).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { DESKTOP, PHONE, SHOTS, assertText, axe, focused, jwt, launch, signedIn } from "./browser-harness.mjs";
import { TOWN, script, setup } from "./e2e-harness.mjs";


const PANEL = '[data-testid="bead-detail"]';

const WORK = script(
	"run case \"$GASTOWN_PERSONA\" in breaks) touch BROKEN; sleep 2 ;; lands) sleep 4 ;; esac",
	"run echo \"$GASTOWN_PERSONA\" > WINNER.txt",
	"commit Work as $GASTOWN_PERSONA", "done");

test("attempts in Chromium: sling a bead two ways from its panel, compare them side by side; axe clean",
	{ timeout: 240_000 }, async (t) => {
		const s = await setup(t);
		const browser = await launch(t);
		const alice = await jwt("alice", "Alice Smith");
		assert.equal((await s.api("PATCH", "/rigs/app", { settings: { gates: ["test ! -f BROKEN"] } })).status, 200);
		for (const name of ["breaks", "lands"]) assert.equal((await s.api("POST", "/personas", { name })).status, 201);
		const id = await s.bead("Pick the fastest", WORK, { rig: "app" });
		const errors = [];
		const page = await signedIn(browser, s.base, alice, { errors });

		// The panel of a bead slung one way shows no comparison; its sling form has Ways, 1 to 4.
		await page.goto(`${s.base}/#/towns/${TOWN}/beads/${id}`);
		const ways = page.getByTestId("bead-sling-ways");
		await ways.waitFor();
		assert.equal(await ways.inputValue(), "1");
		assert.equal(await ways.getAttribute("max"), "4");
		assert.equal(await page.getByTestId("bead-sling-way-rows").count(), 0);
		assert.equal(await page.getByTestId("bead-attempts").count(), 0);

		// Five ways are more than the town's max_ways: its error beside the field, which takes the focus.
		await ways.fill("5");
		assert.equal(await page.locator('[data-testid^="bead-sling-way-"][data-testid$="-persona"]').count(), 5);
		await page.getByTestId("bead-sling").click();
		const tooMany = await assertText(page.getByTestId("bead-sling-ways-error"), /at most 4 ways/);
		t.diagnostic(`the town's error beside the ways: ${tooMany}`);
		assert.equal(await ways.getAttribute("aria-invalid"), "true");
		await focused(ways);

		// Two ways, one row each; a bad model in the second: the town's error beside that way.
		await ways.fill("2");
		await assertText(page.getByTestId("bead-sling"), /^Sling 2 ways$/);
		assert.equal(await page.getByTestId("bead-sling-ways-error").count(), 0);
		const row = (i, what) => page.getByTestId(`bead-sling-way-${i}-${what}`);
		await row(0, "persona").locator('option[value="breaks"]').waitFor({ state: "attached" });
		await row(0, "persona").selectOption("breaks");
		await row(1, "persona").selectOption("lands");
		await row(1, "model").fill("not a model!");
		await page.getByTestId("bead-sling").click();
		const badModel = await assertText(page.getByTestId("bead-sling-way-1-error"), /variants\[1\]\.model .*not a model name/);
		t.diagnostic(`the town's error beside the way: ${badModel}`);
		assert.equal(await page.getByTestId("bead-sling-way-0-error").count(), 0);
		await focused(row(1, "model"));
		assert.equal((await s.api("GET", `/beads/${id}/attempts`)).data.length, 0);

		// Fixed, it slings: the bead is in progress, one attempt per way, each in its persona.
		await row(1, "model").fill("");
		assert.equal(await row(0, "persona").inputValue(), "breaks");
		await page.getByTestId("bead-sling").click();
		await assertText(page.getByRole("status").filter({ hasText: /Slung 2 ways/ }), /Slung 2 ways on rig app: .*The first to merge wins\./);
		const list = await s.until("two attempts", async () => {
			const a = (await s.api("GET", `/beads/${id}/attempts`)).data;
			return a.length === 2 ? a : false;
		}, 10_000);
		const ways2 = Object.fromEntries(list.map((a) => [a.persona, a.bead]));
		assert.deepEqual(Object.keys(ways2).sort(), ["breaks", "lands"]);
		assert.deepEqual(list.map((a) => [a.model, a.runtime]), [[null, null], [null, null]]);
		const cell = (persona, what) => page.getByTestId(`attempt-${ways2[persona]}-${what}`);
		await page.getByTestId("bead-attempts").waitFor();
		await assertText(cell("breaks", "variant"), /persona breaks/);
		await assertText(cell("lands", "variant"), /persona lands/);
		await assertText(page.getByTestId("bead-status"), /in progress/);

		// The broken attempt is sent back by the gate; the other lands; the bead closes with it.
		const bead = await s.until("the bead closes", async () => {
			const b = (await s.api("GET", `/beads/${id}`)).data;
			return b.status === "closed" ? b : false;
		}, 120_000);
		assert.match(bead.close_reason, new RegExp(`\\(attempt ${ways2.lands}\\)$`));

		// The panel compares them: the winner merged, the other superseded (or failed) with its gate.
		await assertText(page.getByTestId("bead-status"), /^closed$/, 20_000);
		await assertText(cell("lands", "state"), /merged · winner/, 20_000);
		await assertText(cell("breaks", "state"), /^(superseded|failed)/, 20_000);
		await assertText(cell("breaks", "gates"), /gate `test ! -f BROKEN` failed/, 20_000);
		await assertText(cell("lands", "gates"), /^passed$/);
		await assertText(cell("lands", "bead"), /^closed/, 20_000);
		await assertText(cell("breaks", "bead"), /^(closed|failed)/, 20_000);
		await assertText(cell("lands", "diff"), /^1 file, \+1 −0$/, 20_000);
		await assertText(cell("lands", "cost"), /^\$0\.00$/);
		await assertText(cell("lands", "time"), /→ .*\(\d+(m \d\d)?s\)$/);
		await assertText(cell("breaks", "time"), /→ .*\(\d+(m \d\d)?s\)$/, 20_000);
		const attempts = Object.fromEntries((await s.api("GET", `/beads/${id}/attempts`)).data.map((a) => [a.persona, a]));
		assert.equal(attempts.lands.state, "merged");
		assert.match(attempts.breaks.state, /^(superseded|failed)$/);
		if (attempts.breaks.reason) await assertText(cell("breaks", "state"), new RegExp(attempts.breaks.reason.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
		// Each attempt's column links to its bead; the panel is the wide one.
		const link = page.getByTestId(`attempt-${ways2.lands}`).getByRole("link");
		assert.equal(await link.getAttribute("href"), `#/towns/${TOWN}/beads/${ways2.lands}`);
		assert.ok(await page.locator(`${PANEL}.panel-wide`).count());
		await page.screenshot({ path: join(SHOTS, "attempts-desktop.png") });
		await link.click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/beads/${ways2.lands}$`));
		await assertText(page.locator(`${PANEL} h2`), /Pick the fastest \(attempt \d of 2: lands\)/);
		assert.equal(await page.getByTestId("bead-attempts").count(), 0);

		// axe: the panel with the comparison, and a sling form with its ways' rows and an error, at
		// both widths; on a phone nothing is wider than the screen but the comparison, which scrolls.
		const problems = [];
		const other = await s.bead("Another", WORK, { rig: "app" });
		for (const viewport of [DESKTOP, PHONE]) {
			const w = `${viewport.width}px`;
			const p = await signedIn(browser, s.base, alice, { viewport, bypassCSP: true });
			await p.goto(`${s.base}/#/towns/${TOWN}/beads/${id}`);
			await assertText(p.getByTestId(`attempt-${ways2.breaks}-gates`), /gate `test ! -f BROKEN` failed/);
			await assertText(p.getByTestId(`attempt-${ways2.lands}-diff`), /1 file/);
			problems.push(...(await axe(p, `panel with the attempts at ${w}`, { within: PANEL })).lines);
			if (viewport === PHONE) {
				const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
				assert.ok(overflow <= 1, `the panel is ${overflow}px wider than a phone`);
				await p.screenshot({ path: join(SHOTS, "attempts-phone.png") });
			}
			await p.goto(`${s.base}/#/towns/${TOWN}/beads/${other}`);
			await p.getByTestId("bead-sling-ways").fill("3");
			await p.getByTestId("bead-sling-way-2-model").fill("bad model!");
			await p.getByTestId("bead-sling").click();
			await p.getByTestId("bead-sling-way-2-error").waitFor();
			problems.push(...(await axe(p, `sling form with ways and an error at ${w}`, { within: PANEL })).lines);
			await p.context().close();
		}
		assert.deepEqual(problems, [], problems.join("\n"));

		// Nothing failed but what was meant to: the two refused slings.
		const S = `/api/towns/${TOWN}/beads/${id}/sling`;
		assert.deepEqual(errors.filter((e) => e !== `400 POST ${S}`), [], "no script errors or failed calls");
		assert.equal(errors.filter((e) => e === `400 POST ${S}`).length, 2, errors.join("\n"));
	});
