#!/usr/bin/env bash
# The engine's error rules (docs/architecture.md, "Errors"), as far as a grep can hold them:
#  - an error is cleared only by err_take (one expected code) or err_move (the whole error, handed
#    over), both in src/core/err.c: no other file resets a struct err by hand, so no stale field is
#    left behind and no storage failure is wiped out with the error someone expected;
#  - every sqlite3_step goes through src/core/db.c (db_step_row, db_step_done, db_list), so a
#    failed step is a storage failure, never taken for "no row".
set -euo pipefail
cd "$(dirname "$0")/.."

bad=0
report() { # pattern, what it means; files other than the allowed one
	local pattern=$1 allowed=$2 why=$3 hits
	hits=$(grep -rnE "$pattern" src --include='*.c' --include='*.h' | grep -v "^$allowed:" || true)
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | sed "s|\$| <- $why|" >&2
		bad=1
	fi
}

# c->err.code = ..., e->code = ... (but not ==).
report '(\.|->)code[[:space:]]*=[^=]' src/core/err.c 'an error code is set by err_set and cleared by err_take'
# c->err = (struct err){0}, c->err = other, *e = (struct err){...}.
report '(\.|->)err[[:space:]]*=[^=]|=[[:space:]]*\(struct err\)' src/core/err.c 'an error is cleared by err_take or err_move'
# memset(&c->err, ...), memset(e, ...) on an error.
report 'memset\(&?[[:alnum:]_>.-]*err\b|memset\(e,' src/core/err.c 'an error is cleared by err_take or err_move'
report 'sqlite3_step\(' src/core/db.c 'step through db_step_row, db_step_done or db_list (core/db.c)'

if [ "$bad" -ne 0 ]; then
	echo "errors: see docs/architecture.md, \"Errors\"" >&2
	exit 1
fi
echo "errors: no error cleared by hand; every step goes through db.c"
