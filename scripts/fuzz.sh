#!/usr/bin/env bash
# Run each libFuzzer target given (build/fuzz/fuzz_*) for FUZZ_SECONDS, one after the other, each a
# plain run (no -fork) from its seeds (tests/fuzz/corpus/<target>, read only) and what earlier runs
# found (build/fuzz/corpus/<target>). Run from anywhere; docs/testing.md, "Fuzzing". Prints a table and writes build/fuzz/summary.tsv (target,
# seconds, execs, execs_per_s, crashes, corpus); exits 1 when any target found a crash, a leak, a
# sanitizer report or a timeout: the input is kept under build/fuzz/artifacts/<target>/.
# Every run of at least FUZZ_LEDGER_MIN seconds (default 60) is added as a line to
# docs/fuzz-ledger.tsv, a file kept in git (commit it with the run): the long run's record toward
# the ten million executions per target of docs/reliability.md, which `make prove` sums beside
# this run's figures. Short runs (make test's second per target, fuzz-smoke) are not recorded.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-60}
dict="$top/tests/fuzz/json.dict"
failed=0
# The ledger's commit: the source the targets were built from, as the run starts.
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo -)

[ $# -gt 0 ] || { echo "usage: FUZZ_SECONDS=N $0 build/fuzz/fuzz_TARGET..." >&2; exit 2; }
# Everything it writes goes beside the targets (build/fuzz unless the build directory moved).
out=$(cd "$(dirname "$1")" && pwd)
summary="$out/summary.tsv"
mkdir -p "$out/logs"
printf 'target\tseconds\texecs\texecs_per_s\tcrashes\tcorpus\n' >"$summary.tmp"
printf '%-10s %8s %12s %10s %8s %8s\n' target seconds execs execs/s crashes corpus
for bin in "$@"; do
	target=$(basename "$bin")
	target=${target#fuzz_}
	work="$out/corpus/$target" artifacts="$out/artifacts/$target/" log="$out/logs/$target.log"
	mkdir -p "$work" "$artifacts"
	rm -f "$artifacts"/* 2>/dev/null
	start=$(date +%s)
	UBSAN_OPTIONS=print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
		-dict="$dict" -artifact_prefix="$artifacts" "$work" "$top/tests/fuzz/corpus/$target" >"$log" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	# The engine targets' databases (tests/fuzz/fuzz.h: one per world, "-N" when a target builds
	# several), left behind when the run ended in a crash or libFuzzer exited without atexit.
	rm -f "/tmp/gastown-fuzz-$pid"*.db "/dev/shm/gastown-fuzz-$pid"*.db
	took=$(( $(date +%s) - start ))
	[ "$took" -gt 0 ] || took=1
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	execs=${execs:-0}
	crashes=$(find "$artifacts" -type f | wc -l)
	# A report without an artifact (a crash while loading the corpus, a broken build) counts too.
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1
	fi
	corpus=$(find "$work" -type f | wc -l)
	printf '%s\t%d\t%d\t%d\t%d\t%d\n' "$target" "$took" "$execs" $((execs / took)) "$crashes" "$corpus" >>"$summary.tmp"
	if [ "$secs" -ge "${FUZZ_LEDGER_MIN:-60}" ]; then
		ledger="$top/docs/fuzz-ledger.tsv"
		[ -f "$ledger" ] || printf 'date\tcommit\ttarget\tseconds\texecs\tcrashes\tnote\n' >"$ledger"
		printf '%s\t%s\t%s\t%d\t%d\t%d\t%s\n' "$(date -u +%Y-%m-%d)" "$commit" "$target" "$took" "$execs" "$crashes" \
			"${FUZZ_NOTE:-}" >>"$ledger"
	fi
	printf '%-10s %8d %12d %10d %8d %8d\n' "$target" "$took" "$execs" $((execs / took)) "$crashes" "$corpus"
	if [ "$crashes" -ne 0 ]; then
		failed=1
		echo "fuzz: $target failed (exit $rc); the report is in $log:"
		grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' "$log" | sed 's/^/  /'
		find "$artifacts" -type f | sed 's/^/  input: /'
	fi
done
mv "$summary.tmp" "$summary"
exit "$failed"
