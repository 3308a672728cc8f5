// browser-personas.test.mjs - the town's Personas page in headless Chromium (Debian's, driven by
// playwright-core) against the real worker in workerd and the native agent host (e2e-harness.mjs):
// Alice, the town's owner, finds the page in the navigation, creates a persona from its form (the
// overlay's bytes counted against 8000), sees it listed and opens it, changes its overlay and sees
// the town's error for a bad tool name beside the field it names, slings a bead in it from the
// bead's panel (the town says the bead's persona is set; its agent's card shows what it wears),
// and cannot delete it while that bead is unfinished. A member reads the page without a control.
// axe-core finds no WCAG 2.1 A/AA violation (of any impact) on the page, its panel and its form.
// Flows run under the site's CSP; axe, injected, runs in contexts that bypass it. Screenshots go
// to GASTOWN_SCREENSHOTS (default build/screenshots).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { DESKTOP, PHONE, SHOTS, a11y, assertText, focused, jwt, launch, signedIn } from "./browser-harness.mjs";
import { TOWN, script, setup } from "./e2e-harness.mjs";
import { eventually } from "./harness.mjs";



const OVERLAY = "You work as an API designer. Keep every endpoint's errors in one envelope.\n\n" +
	Array.from({ length: 30 }, (_, i) => `Rule ${i + 1}: name things as the people who call them do.`).join("\n") +
	"\n\nThe last line of the overlay: résumé-marker.";

test("personas page in Chromium: create, list, open, edit with the town's error, sling a bead in one; members read; axe clean",
	{ timeout: 180_000 }, async (t) => {
		const s = await setup(t);
		const browser = await launch(t);
		const alice = await jwt("alice", "Alice Smith"), bob = await jwt("bob", "Bob Member");
		assert.equal((await s.api("PUT", "/members/bob", { role: "member" })).status, 200);
		const errors = [];
		const page = await signedIn(browser, s.base, alice, { errors });

		// Alice finds the page from the town's navigation: the built-ins are there, none of the town's own.
		await page.goto(`${s.base}/#/towns/${TOWN}`);
		await page.getByTestId("nav-personas").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/personas$`));
		await page.getByRole("heading", { name: "Personas", level: 1 }).waitFor();
		await assertText(page.getByTestId("personas-builtin").getByTestId("persona-security-reviewer"),
			/Security reviewer[\s\S]*built-in[\s\S]*security-reviewer[\s\S]*never WebFetch, WebSearch/);
		await page.getByTestId("personas-own-empty").waitFor();

		// New persona: the form counts the overlay's bytes (é is two) against the town's 8000.
		await page.getByTestId("new-persona").click();
		await page.getByTestId("new-persona-panel").waitFor();
		await page.getByLabel(/^Name/).fill("api-designer");
		await page.getByLabel("Title").fill("API designer");
		await page.getByTestId("persona-overlay-input").fill("héllo");
		await assertText(page.getByTestId("persona-overlay-bytes"), /^6 of 8000 bytes/);
		await page.getByTestId("persona-overlay-input").fill("x".repeat(8001));
		await assertText(page.getByTestId("persona-overlay-bytes"), /^8001 of 8000 bytes: 1 too many/);
		await page.getByTestId("persona-overlay-input").fill(OVERLAY);
		await page.getByLabel("Allowed tools").fill("Read, Edit, Bash(git *), mcp__gastown__gt_done");
		await page.getByLabel("Denied tools").fill("WebFetch");
		await page.getByLabel("Gates").fill("true\ngit diff --check");
		await page.getByTestId("persona-save").click();

		// Listed as the town's own, and open in the panel with the overlay in full.
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/personas/api-designer$`));
		const card = page.getByTestId("personas-own").getByTestId("persona-api-designer");
		await assertText(card, /API designer[\s\S]*api-designer[\s\S]*model: the rig's[\s\S]*only Read, Edit, Bash\(git \*\), mcp__gastown__gt_done; never WebFetch[\s\S]*true · git diff --check/);
		assert.equal(await card.getByText("built-in").count(), 0);
		const detail = page.getByTestId("persona-detail");
		await assertText(detail.getByRole("heading", { level: 2 }), /^API designer$/);
		assert.equal(await page.getByTestId("persona-overlay").innerText(), OVERLAY);
		const stored = (await s.api("GET", "/personas/api-designer")).data;
		assert.deepEqual({ ...stored, created_ms: 0, updated_ms: 0 }, { name: "api-designer", title: "API designer", overlay: OVERLAY,
			allowed_tools: ["Read", "Edit", "Bash(git *)", "mcp__gastown__gt_done"], denied_tools: ["WebFetch"],
			gates: ["true", "git diff --check"], model: null, builtin: false, created_by: "alice", created_ms: 0, updated_ms: 0 });

		// Closed, the focus goes back to its card; the card's link opens it again.
		await page.getByTestId("persona-detail-close").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/personas$`));
		await card.getByRole("link").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/personas/api-designer$`));
		await assertText(page.getByTestId("persona-overlay"), /résumé-marker\.$/);
		await page.screenshot({ path: join(SHOTS, "personas-desktop.png") });

		// Edit its overlay, with a bad tool name: the town's error shows beside the denied tools,
		// which take the focus; nothing is saved.
		await page.getByTestId("persona-edit").click();
		await page.getByTestId("persona-overlay-input").fill("You work as an API designer, briefly.");
		await page.getByLabel("Denied tools").fill("WebFetch, rm -rf");
		await page.getByTestId("persona-save").click();
		const bad = await assertText(page.getByTestId("persona-denied-error"), /'rm -rf' is not a tool name/);
		t.diagnostic(`the town's error beside the field: ${bad}`);
		assert.equal(await page.getByLabel("Denied tools").getAttribute("aria-invalid"), "true");
		await focused(page.getByLabel("Denied tools"));
		assert.equal(await page.getByTestId("persona-allowed-error").count(), 0);
		assert.equal((await s.api("GET", "/personas/api-designer")).data.overlay, OVERLAY);
		await page.screenshot({ path: join(SHOTS, "personas-error-desktop.png") });
		// Fixed, it saves: the panel shows the new overlay, the town has it.
		await page.getByLabel("Denied tools").fill("WebFetch");
		await page.getByTestId("persona-save").click();
		await assertText(page.getByTestId("persona-overlay"), /^You work as an API designer, briefly\.$/);
		assert.equal((await s.api("GET", "/personas/api-designer")).data.overlay, "You work as an API designer, briefly.");
		assert.deepEqual((await s.api("GET", "/personas/api-designer")).data.denied_tools, ["WebFetch"]);

		// Sling a filed bead in the persona from its panel: the town says the bead's persona is set,
		// the panel says so, and the agent that starts it wears it on its card.
		const bead = await s.bead("Design the API", script("status designing", "sleep 15", "done"), { rig: "app" });
		await page.goto(`${s.base}/#/towns/${TOWN}/beads/${bead}`);
		await assertText(page.getByTestId("bead-persona"), /^—$/);
		await page.getByTestId("bead-sling-persona").locator('option[value="api-designer"]').waitFor({ state: "attached" });
		await page.getByTestId("bead-sling-persona").selectOption("api-designer");
		await page.getByTestId("bead-sling").click();
		await eventually(async () => (await s.api("GET", `/beads/${bead}`)).data.persona === "api-designer", { timeoutMs: 10_000, everyMs: 100 });
		await assertText(page.getByTestId("bead-persona"), /^api-designer$/);
		await page.getByTestId("nav-home").click();
		const polecat = await s.until("the bead is started", async () => (await s.api("GET", `/beads/${bead}`)).data.assignee, 30_000);
		await assertText(page.getByTestId(`agent-persona-${polecat}`), /api-designer/, 20_000);
		assert.ok((await s.api("GET", "/events?limit=500")).data.events.some((e) => e.kind === "bead.cast" && e.subject === bead && e.new === "api-designer"));

		// A persona an unfinished bead names cannot be deleted: the town's reason, in the panel.
		await page.goto(`${s.base}/#/towns/${TOWN}/personas/api-designer`);
		await page.getByTestId("persona-delete").click();
		await focused(page.getByTestId("persona-delete-yes"));
		await page.getByTestId("persona-delete-yes").click();
		await assertText(page.getByTestId("persona-error"), new RegExp(`bead ${bead} is still to be worked as 'api-designer'`));
		assert.equal((await s.api("GET", "/personas/api-designer")).status, 200);

		// A member reads the page and the persona, without a single control to change them.
		const member = await signedIn(browser, s.base, bob, { errors });
		await member.goto(`${s.base}/#/towns/${TOWN}/personas/api-designer`);
		await assertText(member.getByTestId("persona-overlay"), /briefly/);
		await member.getByTestId("persona-api-designer").waitFor();
		assert.equal(await member.getByTestId("new-persona").count(), 0);
		assert.equal(await member.getByTestId("persona-edit").count(), 0);
		assert.equal(await member.getByTestId("persona-delete").count(), 0);
		assert.equal(await member.locator("main form").count(), 0);

		// axe: the list, a persona open, and the form showing the town's error, at both widths; the
		// member's read-only view.
		const problems = [];
		for (const viewport of [DESKTOP, PHONE]) {
			const w = `${viewport.width}px`;
			const p = await signedIn(browser, s.base, alice, { viewport, bypassCSP: true });
			await p.goto(`${s.base}/#/towns/${TOWN}/personas`);
			await p.getByTestId("persona-api-designer").waitFor();
			problems.push(...await a11y(p, `list at ${w}`));
			await p.getByTestId("persona-api-designer").getByRole("link").click();
			await p.getByTestId("persona-overlay").waitFor();
			problems.push(...await a11y(p, `persona open at ${w}`));
			await p.getByTestId("persona-edit").click();
			await p.getByLabel("Allowed tools").fill("rm -rf");
			await p.getByTestId("persona-save").click();
			await p.getByTestId("persona-allowed-error").waitFor();
			problems.push(...await a11y(p, `form with an error at ${w}`));
			await p.getByTestId("persona-cancel").click();
			await p.goto(`${s.base}/#/towns/${TOWN}/personas`);
			await p.getByTestId("new-persona").click();
			await p.getByTestId("persona-form").waitFor();
			problems.push(...await a11y(p, `new persona form at ${w}`));
			if (viewport === PHONE) {
				const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
				assert.ok(overflow <= 1, `the personas page is ${overflow}px wider than a phone`);
				await p.screenshot({ path: join(SHOTS, "personas-phone.png") });
			}
			await p.context().close();
		}
		const mp = await signedIn(browser, s.base, bob, { bypassCSP: true });
		await mp.goto(`${s.base}/#/towns/${TOWN}/personas/api-designer`);
		await mp.getByTestId("persona-overlay").waitFor();
		problems.push(...await a11y(mp, "member, persona open"));
		await mp.context().close();
		assert.deepEqual(problems, [], problems.join("\n"));

		// Nothing failed but what was meant to: the bad tool name and the refused delete.
		const P = `/api/towns/${TOWN}/personas/api-designer`;
		assert.deepEqual(errors.filter((e) => e !== `400 PATCH ${P}` && e !== `409 DELETE ${P}`), [], "no script errors or failed calls");
		assert.ok(errors.includes(`400 PATCH ${P}`) && errors.includes(`409 DELETE ${P}`), errors.join("\n"));
	});
