// browser-harness.mjs - what the Chromium tests share: waiting for a locator's text, and
// axe-core's WCAG 2.1 A/AA checks on a page or one part of it.
import { createRequire } from "node:module";

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
		const r = await window.axe.run(root, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
		return { passed: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })) };
	}, within ?? null);
	const lines = violations.filter((v) => !impacts || impacts.includes(v.impact))
		.map((v) => `${name}: ${v.id} [${v.impact}] (${v.help}): ${v.nodes.join(", ")}`);
	return { lines, passed };
}
