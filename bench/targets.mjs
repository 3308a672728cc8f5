// targets.mjs - `make bench-targets`: issue 21's figures over several `make bench` runs, as
// docs/performance.md states them: each run's value, then min / median / max, against the target
// (judged on the median). Each run is a fresh `node bench/bench.mjs` with the parts these figures
// need; its build/bench.json is read after it. On this 2-core machine a figure moves by a fifth
// between runs, so one run says little.
//   node bench/targets.mjs [runs]        (default 5; about 25 s a run)
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
	console.error("usage: node bench/targets.mjs [runs]   (1-50, default 5)");
	process.exit(2);
}

// name, how to read it from bench.json, unit, target, whether lower is better.
const FIGURES = [
	["new-key write, engine ÷ plain object", (r) => r.writeNew.engine.median / r.writeNew.js.median, "×", 1.8, true],
	["update, engine ÷ plain object", (r) => r.write.engine.median / r.write.js.median, "×", 1.5, true],
	["bead creation, engine ÷ plain object", (r) => r.beadCreate.engine / r.beadCreate.js, "×", 0.85, false],
	["reconciler tick, 10,000 open beads", (r) => r.tick.median, " ms", 10, true],
	["cold first request, engine time", (r) => r.coldFirst.engine, " ms", 30, true],
	["wasm, gzip -9 (KiB, as the bench prints it)", (r) => r.wasm.gzip / 1024, " KiB", 400, true],
];

const seen = FIGURES.map(() => []);
for (let i = 1; i <= runs; i++) {
	process.stderr.write(`bench-targets: run ${i} of ${runs}\n`);
	const r = spawnSync("node", [join(ROOT, "bench/bench.mjs")], {
		cwd: ROOT, stdio: ["ignore", "ignore", "inherit"],
		env: { ...process.env, BENCH_ONLY: "cold,objects,beads,tick" },
	});
	if (r.status !== 0) {
		console.error(`bench-targets: run ${i} failed (exit ${r.status ?? r.signal})`);
		process.exit(1);
	}
	const report = JSON.parse(readFileSync(join(ROOT, "build/bench.json"), "utf8"));
	FIGURES.forEach(([, read], k) => seen[k].push(read(report)));
}

const fmt = (v, unit) => (unit === "×" ? v.toFixed(2) : v.toFixed(1)) + unit;
console.log(`\nIssue 21's targets over ${runs} run${runs > 1 ? "s" : ""} (${new Date().toISOString()}): each run, then min / median / max`);
FIGURES.forEach(([name, , unit, target, lower], k) => {
	const v = seen[k], s = [...v].sort((a, b) => a - b), median = s[Math.floor((s.length - 1) / 2)];
	const met = lower ? median <= target : median >= target;
	console.log(`  ${name.padEnd(44)} ${v.map((x) => fmt(x, unit)).join(", ")}`);
	console.log(`  ${"".padEnd(44)} ${fmt(s[0], unit)} / ${fmt(median, unit)} / ${fmt(s.at(-1), unit)}   target ${lower ? "≤" : "≥"} ${target}${unit.trim() === "×" ? "×" : unit}: ${met ? "met" : "not met"}`);
});
