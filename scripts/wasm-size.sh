#!/usr/bin/env bash
# Print a wasm module's raw and gzip sizes (the gzip figure is what the deploy limit counts).
set -euo pipefail
raw=$(stat -c %s "$1")
gz=$(gzip -9 -c "$1" | wc -c)
awk -v f="$1" -v r="$raw" -v g="$gz" 'BEGIN { printf "%s: %.1f KB raw, %.1f KB gzip\n", f, r / 1024, g / 1024 }'
