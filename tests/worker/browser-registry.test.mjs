// browser-registry.test.mjs - the town's Registry page in headless Chromium (Debian's, driven by
// playwright-core) against the real worker in workerd (docs/registry.md, docs/dashboard.md). Seeded
// through the API: Ana creates the organization "acme", publishes the formula "release" (1.0.0, and
// 1.1.0 which she deprecates) and the agent config "careful-reviewer", and starts her own town.
// In the browser, from the town's navigation: a search by words finds the formula alone (its kind,
// publisher, latest version and description), the kind filter the config alone; the formula opens
// in the panel with its versions newest first, the deprecated one marked with its reason, the
// latest's steps in order with what each needs and its TOML source exactly as published; another
// version shows on a click. Ana installs it (the list shows it fetching until the town has it, then
// installed 1.0.0), runs it from the form made of its variables (required marked, the default
// filled in): without the required one the town's 400 shows next to the form, with it the run's
// convoy is linked and holds the formula's three beads. A config installed is removed again. A
// malformed TOML published from the form shows the registry's "line N: ..." under the textarea; a
// good one is then found at its new version. axe-core finds no WCAG 2.1 A/AA violation (any impact)
// on the page with the package open, at desktop and phone widths, nothing wider than a phone. Flows
// run under the site's CSP; axe, injected, runs in contexts that bypass it. Screenshots go to
// GASTOWN_SCREENSHOTS (default build/screenshots).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { DESKTOP, PHONE, SHOTS, a11y, assertText, jwt, launch, signedIn } from "./browser-harness.mjs";
import { JWT_SECRET } from "./e2e-harness.mjs";
import { eventually, freePort, startWorker } from "./harness.mjs";
import { release, reviewer } from "./registry-files.mjs";

const TOWN = "plant";

// Line 5 has "title = = ...": the registry's syntax error names it.
const MALFORMED = "formula = \"broken\"\nversion = \"1.0.0\"\n[[steps]]\nid = \"a\"\ntitle = = \"A\"\n";

async function setup(t) {
	const mf = startWorker({ port: await freePort(), bindings: { GASTOWN_JWT_SECRET: JWT_SECRET } });
	t.after(() => mf.dispose());
	const base = (await mf.ready).toString().replace(/\/$/, "");
	const api = async (method, path, body, tok, type = "application/json") => {
		const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${tok}`, "content-type": type },
			body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
		const text = await res.text();
		let json;
		try { json = JSON.parse(text); } catch { json = undefined; }
		return { status: res.status, data: json?.data, error: json?.error, text };
	};
	return { base, api };
}

// The page's results: name, kind, publisher and latest of each, in order.
const shown = (page) => page.getByTestId("registry-result").evaluateAll((lis) => lis.map((li) => [li.dataset.name, li.dataset.kind,
	li.querySelector('[data-testid="registry-result-org"]')?.textContent, li.querySelector('[data-testid="registry-result-latest"]')?.textContent ?? ""]));

test("registry page in Chromium: search, a package's versions, steps and source; install, run, remove; publish with the line of an error; axe clean",
	{ timeout: 120_000 }, async (t) => {
		const s = await setup(t);
		const ana = await jwt("ana", "Ana Admin");
		const toml = (body) => s.api("POST", "/api/orgs/acme/registry", body, ana, "application/toml");

		// Seeded through the API: the org, two versions of the formula (the newer deprecated), the config, the town.
		assert.equal((await s.api("POST", "/api/orgs/acme", { name: "Acme" }, ana)).status, 201);
		for (const body of [release("1.0.0"), release("1.1.0"), reviewer]) {
			const r = await toml(body);
			assert.equal(r.status, 201, r.text);
		}
		const dep = await s.api("POST", "/api/orgs/acme/registry/release/1.1.0/deprecation", { reason: "tags the wrong commit" }, ana);
		assert.equal(dep.status, 200, dep.text);
		assert.equal((await s.api("POST", `/api/towns/${TOWN}`, { name: "Plant" }, ana)).status, 201);
		await eventually(async () => (await s.api("GET", "/api/orgs", undefined, ana)).data?.some((o) => o.id === "acme" && o.role === "owner"),
			{ timeoutMs: 10_000, everyMs: 100 });

		const browser = await launch(t);
		const errors = [];
		const page = await signedIn(browser, s.base, ana, { errors });

		// From the town's navigation: every package, then a search by words, then by kind.
		await page.goto(`${s.base}/#/towns/${TOWN}`);
		await page.getByTestId("nav-registry").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/registry$`));
		await page.getByRole("heading", { name: "Registry", level: 1 }).waitFor();
		assert.equal(await page.getByTestId("nav-registry").getAttribute("aria-current"), "page");
		await assertText(page.getByTestId("registry-summary"), /^2 packages\.$/);
		await page.getByLabel("Search the registry").fill("changelog");
		await page.getByTestId("registry-submit").click();
		await assertText(page.getByTestId("registry-summary"), /^1 package\.$/);
		assert.deepEqual(await shown(page), [["release", "formula", "acme", "1.0.0"]]);
		await assertText(page.getByTestId("registry-result"), /release[\s\S]*formula[\s\S]*by acme[\s\S]*latest 1\.0\.0[\s\S]*Cut a release: bump, changelog, tag[\s\S]*no runs yet/);
		await page.getByLabel("Search the registry").fill("");
		await page.getByLabel("Kind").selectOption("config");
		await eventually(async () => JSON.stringify(await shown(page)) === JSON.stringify([["careful-reviewer", "config", "acme", "1.0.0"]]),
			{ timeoutMs: 10_000, everyMs: 100 });
		await page.getByLabel("Kind").selectOption("formula");
		await eventually(async () => JSON.stringify(await shown(page)) === JSON.stringify([["release", "formula", "acme", "1.0.0"]]),
			{ timeoutMs: 10_000, everyMs: 100 });
		await page.getByTestId("installs-empty").waitFor();

		// The formula opens in the panel: versions newest first, the deprecated one marked, the latest's steps and source.
		await page.getByTestId("registry-result-link").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/registry/release$`));
		const detail = page.getByTestId("package-detail");
		await assertText(detail.getByRole("heading", { level: 2 }), /^release$/);
		await assertText(detail.getByTestId("package-latest"), /^1\.0\.0$/);
		assert.deepEqual(await detail.getByTestId("package-version").evaluateAll((lis) => lis.map((li) => li.dataset.version)), ["1.1.0", "1.0.0"]);
		const v110 = detail.locator('[data-testid="package-version"][data-version="1.1.0"]');
		await assertText(v110.getByTestId("package-version-deprecated"), /^deprecated tags the wrong commit$/);
		assert.equal(await detail.locator('[data-testid="package-version"][data-version="1.0.0"] [data-testid="package-version-deprecated"]').count(), 0);
		await assertText(detail.getByTestId("package-shown-version"), /^1\.0\.0$/);
		const steps = await detail.getByTestId("spec-step").evaluateAll((lis) => lis.map((li) => [li.dataset.step,
			li.querySelector("strong").textContent, li.querySelector('[data-testid="spec-step-needs"]').textContent]));
		assert.deepEqual(steps, [["bump", "Bump to {{version}}", "Needs nothing: starts first"],
			["changelog", "Write the changelog for {{version}}", "Needs bump"], ["tag", "Tag v{{version}}", "Needs bump, changelog"]]);
		await assertText(detail.getByTestId("spec-vars"), /version \(required\)[\s\S]*branch default main/);
		assert.equal(await detail.getByTestId("package-source").textContent(), release("1.0.0"));
		// Another version on a click: its source, and the panel says it is deprecated.
		await v110.getByTestId("package-version-show").click();
		await assertText(detail.getByTestId("package-shown-version"), /^1\.1\.0$/);
		assert.equal(await v110.getByTestId("package-version-show").getAttribute("aria-pressed"), "true");
		await assertText(detail.getByTestId("package-shown-deprecated"), /tags the wrong commit/);
		await eventually(async () => (await detail.getByTestId("package-source").textContent()) === release("1.1.0"), { timeoutMs: 5000, everyMs: 100 });
		await detail.locator('[data-testid="package-version"][data-version="1.0.0"] [data-testid="package-version-show"]').click();
		await assertText(detail.getByTestId("package-shown-version"), /^1\.0\.0$/);
		await page.screenshot({ path: join(SHOTS, "registry-desktop.png"), fullPage: true });

		// Install the latest: fetching until the town has it, then installed 1.0.0, in the list and the panel.
		await detail.getByTestId("package-not-installed").waitFor();
		assert.equal(await detail.getByTestId("install-version").inputValue(), "");
		await detail.getByTestId("install-submit").click();
		const row = page.locator(`[data-testid="install-row"][data-name="release"]`);
		await row.waitFor();
		await eventually(async () => (await row.getAttribute("data-state")) === "installed", { timeoutMs: 20_000, everyMs: 100 });
		await assertText(row, /release[\s\S]*1\.0\.0[\s\S]*by acme[\s\S]*installed[\s\S]*ana/);
		await assertText(detail.getByTestId("package-install"), /1\.0\.0[\s\S]*installed/);
		const inst = await s.api("GET", `/api/towns/${TOWN}/installs/release`, undefined, ana);
		assert.deepEqual([inst.data.state, inst.data.version, inst.data.org], ["installed", "1.0.0", "acme"]);

		// Run it: the form is made of its variables; the town's 400 next to the form; then a run and its convoy.
		const form = detail.getByTestId("run-form");
		await form.waitFor();
		assert.match(await form.locator('label[for="run-var-version"]').innerText(), /version\s*\(required\)/);
		assert.equal(await form.getByTestId("run-var-version").inputValue(), "");
		assert.equal(await form.getByTestId("run-var-branch").inputValue(), "main");
		assert.equal(await form.getByTestId("run-rig").inputValue(), "");
		await form.getByTestId("run-submit").click();
		await assertText(form.getByTestId("run-error"), /'version' is required/);
		assert.equal((await s.api("GET", `/api/towns/${TOWN}/beads`, undefined, ana)).data.beads.length, 0);
		await form.getByTestId("run-var-version").fill("3.1.0");
		await form.getByTestId("run-held").check();
		await form.getByTestId("run-submit").click();
		await assertText(form.getByTestId("run-done"), /Started run \S+ of release 1\.0\.0: 3 beads in convoy \S+\./);
		assert.equal(await form.getByTestId("run-error").count(), 0);
		const convoyId = await form.getByTestId("run-convoy").innerText();
		assert.equal(await form.getByTestId("run-convoy").getAttribute("href"), `#/towns/${TOWN}/convoys/${convoyId}`);
		const convoy = await s.api("GET", `/api/towns/${TOWN}/convoys/${convoyId}`, undefined, ana);
		assert.equal(convoy.status, 200, convoy.text);
		assert.equal(convoy.data.title, "release@1.0.0");
		assert.equal(convoy.data.beads.length, 3);
		const beads = (await s.api("GET", `/api/towns/${TOWN}/beads`, undefined, ana)).data.beads;
		assert.deepEqual(beads.map((b) => b.title).sort(), ["Bump to 3.1.0", "Tag v3.1.0", "Write the changelog for 3.1.0"]);
		assert.ok(beads.every((b) => b.held), "held: nothing slung");
		await assertText(detail.getByTestId("package-runs"), new RegExp(`1\\.0\\.0 by ana: convoy ${convoyId}`));
		await page.screenshot({ path: join(SHOTS, "registry-run-desktop.png"), fullPage: true });
		await form.getByTestId("run-convoy").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/convoys/${convoyId}$`));
		await page.goBack();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/registry/release$`));

		// The config: installed at a chosen version, then removed.
		await page.goto(`${s.base}/#/towns/${TOWN}/registry/careful-reviewer`);
		await assertText(detail.getByRole("heading", { level: 2 }), /^careful-reviewer$/);
		await assertText(detail.getByTestId("spec-persona"), /Careful reviewer[\s\S]*scripted[\s\S]*claude-sonnet-4-5[\s\S]*Read[\s\S]*Grep[\s\S]*make test/);
		await detail.getByTestId("install-version").selectOption("1.0.0");
		await detail.getByTestId("install-submit").click();
		const cfg = page.locator(`[data-testid="install-row"][data-name="careful-reviewer"]`);
		await cfg.waitFor();
		await eventually(async () => (await cfg.getAttribute("data-state")) === "installed", { timeoutMs: 20_000, everyMs: 100 });
		assert.equal(await detail.getByTestId("run-form").count(), 0, "a config has no run form");
		await cfg.getByTestId("install-remove").click();
		await cfg.getByTestId("install-remove-yes").click();
		await eventually(async () => (await cfg.count()) === 0, { timeoutMs: 10_000, everyMs: 100 });
		assert.equal((await s.api("GET", `/api/towns/${TOWN}/installs/careful-reviewer`, undefined, ana)).status, 404);
		await page.getByTestId("package-detail-close").click();
		await page.waitForURL(new RegExp(`#/towns/${TOWN}/registry$`));

		// Publish: a malformed file shows the registry's line and reason under the textarea; a good one is found.
		const publish = page.getByTestId("publish-form");
		assert.equal(await publish.getByLabel("Organization").inputValue(), "acme");
		await publish.getByLabel("TOML file").fill(MALFORMED);
		await publish.getByTestId("publish-submit").click();
		const bad = await assertText(publish.getByTestId("publish-error"), /^line 5: /);
		assert.match(bad, /\(syntax\)$/);
		assert.equal(await publish.getByLabel("TOML file").getAttribute("aria-invalid"), "true");
		assert.equal(await publish.getByLabel("TOML file").getAttribute("aria-describedby"), "publish-error");
		assert.equal((await s.api("GET", "/api/registry/broken", undefined, ana)).status, 404);
		await page.screenshot({ path: join(SHOTS, "registry-publish-desktop.png"), fullPage: true });
		await publish.getByLabel("TOML file").fill(release("1.2.0"));
		await publish.getByTestId("publish-submit").click();
		await assertText(publish.getByTestId("publish-done"), /^Published release 1\.2\.0 \(formula\) as acme\.$/);
		assert.equal(await publish.getByTestId("publish-error").count(), 0);
		await page.getByLabel("Kind").selectOption("");
		await eventually(async () => (await shown(page)).length === 2, { timeoutMs: 10_000, everyMs: 100 });
		assert.deepEqual((await shown(page)).sort(), [["careful-reviewer", "config", "acme", "1.0.0"], ["release", "formula", "acme", "1.2.0"]]);
		// Pinned: the town still has 1.0.0.
		await assertText(page.locator(`[data-testid="install-row"][data-name="release"]`), /1\.0\.0/);

		// axe at both widths, the package open with its run form; nothing wider than a phone.
		const problems = [];
		for (const viewport of [DESKTOP, PHONE]) {
			const w = `${viewport.width}px`;
			const p = await signedIn(browser, s.base, ana, { viewport, bypassCSP: true });
			await p.goto(`${s.base}/#/towns/${TOWN}/registry`);
			await p.getByTestId("registry-result").first().waitFor();
			await p.getByTestId("install-row").first().waitFor();
			problems.push(...await a11y(p, `the registry at ${w}`));
			await p.goto(`${s.base}/#/towns/${TOWN}/registry/release`);
			await p.getByTestId("run-form").waitFor();
			await p.getByTestId("package-source").waitFor();
			problems.push(...await a11y(p, `a package open at ${w}`));
			if (viewport === PHONE) {
				const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
				assert.ok(overflow <= 1, `the registry is ${overflow}px wider than a phone`);
				await p.screenshot({ path: join(SHOTS, "registry-phone.png") });
			}
			await p.context().close();
		}
		assert.deepEqual(problems, [], problems.join("\n"));

		// Nothing failed but the run and the publish meant to.
		const meant = [`400 POST /api/towns/${TOWN}/formulas/release/runs`, "400 POST /api/orgs/acme/registry"];
		assert.deepEqual(errors.filter((e) => !meant.includes(e)), [], "no script errors or failed calls");
		for (const m of meant) assert.ok(errors.includes(m), errors.join("\n"));
	});
