// docs.test.mjs - docs/architecture.md cannot drift from the code: every source path the docs name
// exists, every engine file has a row in the file table, and the wiring tables the docs list hold
// the same entries, in the same order, as src/wiring.c.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

const read = (p) => readFileSync(join(ROOT, p), "utf8");
const arch = read("docs/architecture.md");
const wiring = read("src/wiring.c");

test("every source path the docs name exists", () => {
	const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
	const missing = [];
	for (const doc of [...docs, "README.md"])
		for (const [, path] of read(doc).matchAll(/`((?:src|wasm|worker-shim|scripts|tools|cli|host|tests)\/[\w./-]+\.(?:c|h|js|mjs|sh))`/g))
			if (!existsSync(join(ROOT, path))) missing.push(`${doc}: ${path}`);
	assert.deepEqual(missing, []);
});

test("every engine file has its row in architecture.md's file table", () => {
	const rows = arch.split("\n").filter((l) => l.startsWith("| `src/"));
	const named = new Set(rows.flatMap((l) => [...l.split("|")[1].matchAll(/`([\w./-]+)`/g)].map((m) => m[1])));
	const files = ["engine.h", "engine.c", "wiring.c", "tls_config.h"].map((f) => `src/${f}`);
	for (const dir of readdirSync(join(ROOT, "src"), { withFileTypes: true }).filter((d) => d.isDirectory()))
		for (const f of readdirSync(join(ROOT, "src", dir.name)).filter((f) => /\.[ch]$/.test(f)))
			files.push(`src/${dir.name}/${f}`);
	// A row may name several files of one folder: the first in full, the rest by name.
	const unnamed = files.filter((f) => !named.has(f) && !named.has(f.split("/").pop()) && !f.endsWith(".h"));
	assert.deepEqual(unnamed, []);
});

// The entries of a table in wiring.c: the first string of each row, or the bare names.
function wiringTable(name) {
	const m = new RegExp(`${name}\\[\\] = \\{([^}]*(?:\\}[^;][^}]*)*)\\};`).exec(wiring);
	assert.ok(m, `no table ${name} in src/wiring.c`);
	const body = m[1];
	const strings = [...body.matchAll(/\{"([^"]+)"/g)].map((x) => x[1]);
	return strings.length ? strings : [...body.matchAll(/^\s*(\w+),?$/gm)].map((x) => x[1]);
}

// The backticked names in the last column of the architecture table row for a wiring table.
function documented(name) {
	const row = arch.split("\n").find((l) => l.startsWith(`| \`${name}\``));
	assert.ok(row, `architecture.md has no row for ${name}`);
	const cells = row.split("|");
	return [...cells[cells.length - 2].matchAll(/`([\w-]+)`/g)].map((x) => x[1]);
}

for (const table of ["effect_purposes", "timer_kinds", "ws_kinds", "bead_reactions", "agent_reactions", "town_deleting", "budget_reactions", "usage_reactions", "mayor_reactions", "note_reactions"])
	test(`architecture.md lists ${table} as src/wiring.c does`, () => {
		assert.deepEqual(documented(table), wiringTable(table));
	});
