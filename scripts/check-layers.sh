#!/usr/bin/env bash
# The engine's layers, lowest first. A file may include the header of its own folder or of a lower
# one, never of a higher one; the root (engine.c, wiring.c) may include any. Each folder's header
# includes the one below it, so the compiler already refuses a call into a higher layer; this check
# keeps a stray #include from opening the way. An ordering of folders admits no cycle between them.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=(core town auth org costs run hooks memory registry federation test api)

rank() {
	local i
	for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done
	echo -1
}

bad=0
for dir in src/*/; do
	folder=$(basename "$dir")
	me=$(rank "$folder")
	if [ "$me" -lt 0 ]; then
		echo "layers: src/$folder/ is not a known layer (add it to scripts/check-layers.sh)" >&2
		bad=1
		continue
	fi
	while IFS=: read -r file line inc; do
		target=${inc%%/*}
		them=$(rank "$target")
		[ "$them" -lt 0 ] && continue # a header outside the layers (engine.h, sqlite3.h, ...)
		if [ "$them" -gt "$me" ]; then
			echo "layers: $file:$line includes $inc: $folder must not depend on $target, a higher layer" >&2
			bad=1
		fi
	done < <(grep -Hn '^#include "[a-z_]*/[a-z_]*\.h"' "$dir"*.[ch] | sed 's/#include "\(.*\)"/\1/')
done
# Only the root may sit directly in src/ besides the public header.
for f in src/*.c; do
	case $(basename "$f") in engine.c|wiring.c) ;; *) echo "layers: $f belongs in a layer's folder" >&2; bad=1 ;; esac
done
if [ "$bad" -ne 0 ]; then
	echo "layers: order is ${layers[*]} (lowest first); see docs/architecture.md" >&2
	exit 1
fi
echo "layers: ${layers[*]}: no file includes a higher layer"
