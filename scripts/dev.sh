#!/usr/bin/env bash
# Run the town locally: the worker in workerd (wrangler dev, local only) on 127.0.0.1:8787 with
# durable state under .state/, and the local agent host (gastown-host) on 127.0.0.1:8789 that runs
# the town's agents in git worktrees under .state/host. GASTOWN_TEST_HOOKS=1 enables the /_test
# routes. No login and no telemetry; wrangler's config and temp files stay in the project. Ctrl-C
# stops every process this script started.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
state="$top/.state"
host=${GASTOWN_HOST:-127.0.0.1}
port=${GASTOWN_PORT:-8787}
host_port=${GASTOWN_AGENT_HOST_PORT:-8789}
mkdir -p "$state/config" "$state/tmp" "$state/wrangler"

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$state/config" TMPDIR="$state/tmp" WRANGLER_LOG_PATH="$state/tmp"

# The operator token for debug routes, the secret that signs development sign-in tokens
# (gt login --dev) and the one the town signs its requests to the agent host with: made once,
# kept with the local state.
for f in admin-token jwt-secret container-secret; do
	[ -s "$state/$f" ] || { od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$state/$f"; chmod 600 "$state/$f"; }
done
token=$(cat "$state/admin-token")

pids=()
stop() {
	trap - INT TERM HUP EXIT
	for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "dev: stopped"
}
trap stop INT TERM HUP EXIT

echo "dev: starting the worker in workerd on http://$host:$port (state in .state/wrangler)"
setsid "$top/node_modules/.bin/wrangler" dev --cwd "$top" --ip "$host" --port "$port" \
	--persist-to "$state/wrangler" --var "GASTOWN_ADMIN_TOKEN:$token" \
	--var "GASTOWN_JWT_SECRET:$(cat "$state/jwt-secret")" \
	--var "GASTOWN_TEST_HOOKS:${GASTOWN_TEST_HOOKS:-0}" \
	--var "GASTOWN_CONTAINER_SECRET:$(cat "$state/container-secret")" \
	--var "GASTOWN_AGENT_HOST_URL:http://127.0.0.1:$host_port" \
	--show-interactive-dev-session=false --log-level "${GASTOWN_WRANGLER_LOG:-info}" &
pids+=($!)

echo "dev: starting the agent host on http://127.0.0.1:$host_port (worktrees in .state/host)"
GASTOWN_CONTAINER_SECRET="$(cat "$state/container-secret")" setsid "$top/build/native/gastown-host" \
	--listen "127.0.0.1:$host_port" --state "$state/host" --town-url "http://$host:$port" \
	--gt "$top/build/native/gt" &
pids+=($!)

for _ in $(seq 1 150); do
	if curl -fsS "http://$host:$port/health" >/dev/null 2>&1; then
		echo "dev: town is up: http://$host:$port/health"
		echo "dev: sign in:  build/native/gt login --dev  then  build/native/gt me  (gt help lists the commands)"
		echo "dev: dashboard: http://$host:$port/  (paste the token of  build/native/gt dev-token)"
		echo "dev: operator token (debug routes): $token  (also in .state/admin-token)"
		echo "dev: try  curl -H \"authorization: Bearer $token\" http://$host:$port/api/towns/demo/debug/storage"
		echo "dev: Ctrl-C stops everything"
		break
	fi
	if ! kill -0 "${pids[0]}" 2>/dev/null; then
		echo "dev: wrangler exited before the worker came up" >&2
		exit 1
	fi
	sleep 0.2
done
wait "${pids[0]}"
