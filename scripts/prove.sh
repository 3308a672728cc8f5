#!/usr/bin/env bash
# The proofs of docs/reliability.md in one table: fuzzing (build/fuzz/summary.tsv), a fault at
# every host call and OOM at every allocation (build/prove/fault.json), the authorization matrix
# (build/prove/authz.json, written by tests/worker/authz.test.mjs), the crash soak
# (build/prove/soak.json, tests/soak/soak.mjs). Exits 1 on any crash or violation, or when a proof
# left no figures.
#   scripts/prove.sh          run them all (FUZZ_SECONDS per target, default 300), print the table
#                             and write it into docs/reliability.md (`make prove`)
#   scripts/prove.sh --table  only the table, from the figures the last full run left (after one
#                             proof was run again by hand), written into docs/reliability.md
#   scripts/prove.sh --quick  what `make test` runs last: the fuzzers 1 s each, then the figures of
#                             the fault sweep's quick subset, the matrix and the short soak from
#                             that same run (make test-fault, test-worker, test-soak); prints only
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0 table_only=0
[ "${1:-}" = "--quick" ] && quick=1
[ "${1:-}" = "--table" ] && table_only=1
failed=0

say() { printf 'prove: %s\n' "$*"; }

fault=build/prove/fault.json
soak=build/prove/soak.json
if [ "$quick" = 1 ]; then
	# Both cores for the fuzzers' build (SQLite's ASan object beside the engine's): it dominates.
	make -s -j2 fuzz-build >/dev/null || failed=1
	FUZZ_SECONDS=${FUZZ_SECONDS:-1} make -s fuzz || failed=1
	fault=build/prove/fault-quick.json
	soak=build/prove/soak-quick.json
elif [ "$table_only" = 0 ]; then
	FUZZ_SECONDS=${FUZZ_SECONDS:-300} make -s fuzz || failed=1
	make -s fault || failed=1
	# The matrix runs in the worker: it needs the wasm, which nothing before it built.
	make -s build/wasm/gastown.wasm || failed=1
	node --test --test-concurrency=1 tests/worker/authz.test.mjs >/dev/null || failed=1
	make -s soak || failed=1
fi

table=$(FAULT_FIGURES="$fault" SOAK_FIGURES="$soak" node - <<'JS'
const fs = require("node:fs");
const read = (f) => { try { return fs.readFileSync(f, "utf8"); } catch { return null; } };
const rows = [];
let bad = 0;
const fuzz = read("build/fuzz/summary.tsv");
// The long run: every recorded run (docs/fuzz-ledger.tsv, kept in git; scripts/fuzz.sh adds a line
// per run of a minute or more), summed per target. The goal of ten million executions counts only
// the runs since the target's last finding (a run that ended in a crash): what ran before the fix
// proved nothing about the code after it. The ledger is in the order the runs ended.
const GOAL = 10e6;
const ledger = {};
for (const l of (read("docs/fuzz-ledger.tsv") ?? "").trim().split("\n").slice(1).filter(Boolean)) {
	const [, , t, secs, execs, crashes] = l.split("\t");
	const a = (ledger[t] ??= { runs: 0, secs: 0, execs: 0, crashes: 0, clean: 0, findings: 0 });
	a.runs++; a.secs += Number(secs); a.execs += Number(execs); a.crashes += Number(crashes);
	if (Number(crashes)) { a.clean = 0; a.findings++; } else a.clean += Number(execs);
}
if (!fuzz) { rows.push(["fuzzing", "no figures (build/fuzz/summary.tsv)", "", "missing"]); bad++; }
else for (const line of fuzz.trim().split("\n").slice(1)) {
	const [target, secs, execs, rate, crashes] = line.split("\t");
	const all = ledger[target];
	const since = all?.findings ? `, ${(all.clean / 1e6).toFixed(1)} M since its last finding` : "";
	const total = all ? `; ${(all.execs / 1e6).toFixed(1)} M in ${all.runs} recorded run${all.runs > 1 ? "s" : ""}${all.secs ? ` of ${Math.round(all.secs / 60)} min` : ""}${since}, ${all.clean >= GOAL ? "goal reached" : "short of 10 M"}`
		: "; no run of a minute or more recorded";
	rows.push([`fuzz ${target}`, `${Number(execs).toLocaleString("en")} execs in ${secs} s (${Number(rate).toLocaleString("en")}/s)${total}`, `${crashes} crashes`, crashes === "0" ? "ok" : "FAIL"]);
	if (crashes !== "0") bad++;
}
const fault = read(process.env.FAULT_FIGURES);
if (!fault) { rows.push(["fault at every host call", `no figures (${process.env.FAULT_FIGURES})`, "", "missing"]); bad++; }
else {
	const f = JSON.parse(fault);
	rows.push(["fault at every host call", `${f.points} points tried`, `${f.violations} left state changed`, f.violations === 0 ? "ok" : "FAIL"]);
	rows.push(["OOM at every allocation", `${f.oom_points} points tried`, `${f.oom_violations} violations`, f.oom_violations === 0 ? "ok" : "FAIL"]);
	if (f.violations || f.oom_violations) bad++;
}
const authz = read("build/prove/authz.json");
if (!authz) { rows.push(["authorization matrix", "no figures (build/prove/authz.json)", "", "missing"]); bad++; }
else {
	const a = JSON.parse(authz);
	rows.push(["authorization matrix", `${a.cells} cells (${a.routes} routes × ${a.callers} callers)`, `${a.failures} failures`, a.failures === 0 ? "ok" : "FAIL"]);
	if (a.failures) bad++;
}
const soak = read(process.env.SOAK_FIGURES);
if (!soak) { rows.push(["crash soak", `no figures (${process.env.SOAK_FIGURES})`, "", "missing"]); bad++; }
else {
	const k = JSON.parse(soak), a = k.acknowledged, c = k.convoys;
	const acked = a.beads + a.convoys + a.mail, all = c.landed + c.failed + c.open;
	rows.push(["crash soak", `${k.agents} agents, ${k.seconds} s: ${k.kills} kills survived, ${acked} writes acknowledged (${k.lost} lost), ${c.landed}/${all} convoys landed`, `${k.violations} violations`, k.violations === 0 ? "ok" : "FAIL"]);
	if (k.violations) bad++;
}
console.log("| proof | tried | violations | result |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
process.exitCode = bad ? 1 : 0;
JS
) || failed=1
printf '%s\n' "$table"

if [ "$quick" = 0 ]; then
	when=$(date -u +%Y-%m-%d)
	node - "$when" "$table" <<'JS'
const fs = require("node:fs");
const [when, table] = process.argv.slice(2);
const f = "docs/reliability.md", s = fs.readFileSync(f, "utf8");
const begin = "<!-- prove:begin -->", end = "<!-- prove:end -->";
const i = s.indexOf(begin), j = s.indexOf(end);
if (i < 0 || j < i) { console.error("prove: docs/reliability.md has no prove markers"); process.exit(1); }
fs.writeFileSync(f, `${s.slice(0, i + begin.length)}\n\n\`make prove\`, ${when}:\n\n${table}\n\n${s.slice(j)}`);
JS
	say "the table is in docs/reliability.md"
fi
[ "$failed" = 0 ] || { say "a proof failed (see above)"; exit 1; }
