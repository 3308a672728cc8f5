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

# A second `make dev` (or anything else) on our ports would make this one report a town that is
# not its own: refuse plainly before starting anything.
in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
for p in "$host:$port:the worker" "127.0.0.1:$host_port:the agent host"; do
	IFS=: read -r h n what <<<"$p"
	if in_use "$h" "$n"; then
		if curl -fsS --max-time 2 "http://$h:$n/health" 2>/dev/null | grep -q '"ok"'; then
			echo "dev: a town is already running on http://$h:$n (another make dev?); stop it first" >&2
		else
			echo "dev: port $n on $h, wanted for $what, is already in use; free it or set" \
				"GASTOWN_PORT / GASTOWN_AGENT_HOST_PORT" >&2
		fi
		exit 1
	fi
done

# The worker's secrets go through a file only this user can read, never on a command line where
# ps would show them.
env_file="$state/dev.env"
umask 077
{
	echo "GASTOWN_ADMIN_TOKEN=$token"
	echo "GASTOWN_JWT_SECRET=$(cat "$state/jwt-secret")"
	echo "GASTOWN_CONTAINER_SECRET=$(cat "$state/container-secret")"
	echo "GASTOWN_TEST_HOOKS=${GASTOWN_TEST_HOOKS:-0}"
	echo "GASTOWN_AGENT_HOST_URL=http://127.0.0.1:$host_port"
} >"$env_file"
umask 022

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
	--persist-to "$state/wrangler" --env-file "$env_file" \
	--show-interactive-dev-session=false --log-level "${GASTOWN_WRANGLER_LOG:-info}" &
pids+=($!)

# The agent host runs under a keeper that starts it again when it dies, and says so: the town
# retries dispatches it could not deliver (without counting them against the bead) until it is back.
echo "dev: starting the agent host on http://127.0.0.1:$host_port (worktrees in .state/host)"
export GASTOWN_CONTAINER_SECRET
GASTOWN_CONTAINER_SECRET="$(cat "$state/container-secret")"
# The pinned coding CLIs (claude, codex, opencode) are found on the agents' PATH (docs/agents.md).
PATH="$top/node_modules/.bin:$PATH" setsid bash -c '
	trap "kill -TERM \$child 2>/dev/null; wait \$child; exit 0" TERM INT HUP
	while :; do
		"$0" --listen "127.0.0.1:$1" --state "$2" --town-url "$3" --gt "$4" &
		child=$!
		wait $child && rc=0 || rc=$?
		echo "dev: *** the agent host exited (status $rc); starting it again in 2 s ***" >&2
		sleep 2
	done' "$top/build/native/gastown-host" "$host_port" "$state/host" "http://$host:$port" "$top/build/native/gt" &
pids+=($!)
unset GASTOWN_CONTAINER_SECRET

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
# Until wrangler ends, or whoever started this script (make) is gone: a SIGTERM to make alone
# must not leave the town running without it.
parent=$PPID
while kill -0 "${pids[0]}" 2>/dev/null; do
	if ! kill -0 "$parent" 2>/dev/null; then
		echo "dev: the parent process is gone; stopping" >&2
		break
	fi
	sleep 1
done
