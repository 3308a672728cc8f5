#!/usr/bin/env bash
# Run each native test binary (built with ASan+UBSan) and print one closing tally. The binaries are
# independent (each has its own databases under /tmp, named by pid), so they run as many at once as
# the machine has cores; each one's output is printed whole, in the order given.
set -uo pipefail
jobs=${NATIVE_JOBS:-$(nproc 2>/dev/null || echo 2)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
i=0
for t in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	( "$t" >"$dir/$i.out" 2>&1; echo $? >"$dir/$i.rc" ) &
	i=$((i + 1))
done
wait
pass=0 fail=0 i=0
for t in "$@"; do
	out=$(cat "$dir/$i.out")
	rc=$(cat "$dir/$i.rc")
	i=$((i + 1))
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^# \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^# \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "not ok - $(basename "$t") exited with status $rc"
		fail=$((fail + 1))
	fi
done
echo "native: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
