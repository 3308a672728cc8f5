#!/usr/bin/env bash
# Fetch, verify and unpack everything the build needs; install what is missing from Debian and npm.
# Idempotent: each step leaves a stamp and is skipped when its stamp matches the pin in deps/pins.
# Third-party sources land in .deps/ (git-ignored). The system's apt sources are never touched: Debian
# trixie source packages come through a private list under .deps/apt.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/.deps"
pins="$top/deps/pins"
mkdir -p "$deps"

say() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# pin NAME FIELD -> the field (2=source 3=version 4=archive 5=sha256) of NAME's line in deps/pins
pin() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$pins"; }

verify() { # verify FILE SHA256
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] || die "sha256 mismatch for $(basename "$1"): expected $2, got $got"
}

# --- Debian packages -------------------------------------------------------------------------------
apt_pkgs=(clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev binaryen emscripten dpkg-dev
	gcc make xz-utils bzip2 gzip ca-certificates curl libcurl4-openssl-dev libmicrohttpd-dev libwslay-dev git
	chromium fonts-dejavu-core mariadb-server-core)
missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}); run as root or install them"
	say "installing Debian packages: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	say "Debian packages present"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))"

# --- SQLite amalgamation from the better-sqlite3 npm package ----------------------------------------
sqlite_sha=$(pin sqlite 5)
if [ "$(cat "$deps/sqlite/.stamp" 2>/dev/null)" != "$sqlite_sha" ]; then
	say "fetching SQLite amalgamation ($(pin sqlite 3))"
	rm -rf "$deps/sqlite" "$deps/dl-sqlite" && mkdir -p "$deps/dl-sqlite" "$deps/sqlite"
	(cd "$deps/dl-sqlite" && npm pack --silent "$(pin sqlite 3)" >/dev/null)
	verify "$deps/dl-sqlite/$(pin sqlite 4)" "$sqlite_sha"
	tar -xzf "$deps/dl-sqlite/$(pin sqlite 4)" -C "$deps/sqlite" --strip-components=3 \
		package/deps/sqlite3/sqlite3.c package/deps/sqlite3/sqlite3.h
	rm -rf "$deps/dl-sqlite"
	echo "$sqlite_sha" >"$deps/sqlite/.stamp"
else
	say "SQLite up to date"
fi

# --- cJSON and mbedTLS from Debian trixie source packages -------------------------------------------
apt_dir="$deps/apt"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/parts"
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Get::List-Cleanup=0"
	-o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
apt_ready=0
private_apt() {
	[ "$apt_ready" = 1 ] && return
	mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
		>"$apt_dir/sources.list"
	say "updating the private trixie deb-src list (.deps/apt)"
	apt-get "${apt_opts[@]}" update -qq
	apt_ready=1
}

debian_source() { # debian_source NAME PACKAGE
	local name=$1 pkg=$2 ver sha archive dl
	ver=$(pin "$name" 3) archive=$(pin "$name" 4) sha=$(pin "$name" 5)
	if [ "$(cat "$deps/$name/.stamp" 2>/dev/null)" = "$ver $sha" ]; then
		say "$name up to date"
		return
	fi
	private_apt
	say "fetching $pkg $ver from Debian trixie"
	dl="$deps/dl-$name"
	rm -rf "$dl" "$deps/$name" && mkdir -p "$dl"
	(cd "$dl" && apt-get "${apt_opts[@]}" source -qq --download-only "$pkg=$ver" >/dev/null 2>&1) ||
		die "apt-get source $pkg=$ver failed (is the pin in deps/pins still served by trixie?)"
	verify "$dl/$archive" "$sha"
	# apt checked every file against the signed Sources index; dpkg-source checks the .dsc checksums
	# and applies Debian's patches (security fixes). The uploader's own .dsc signature cannot be checked
	# without debian-keyring, hence the quiet gpgv lines are dropped.
	(cd "$dl" && dpkg-source -q -x ./*.dsc "$dl/src" 2>&1 | grep -v '^gpgv:\|signature' || true)
	[ -f "$dl/src/debian/changelog" ] || die "unpacking $pkg failed"
	mv "$dl/src" "$deps/$name"
	rm -rf "$dl"
	echo "$ver $sha" >"$deps/$name/.stamp"
}
debian_source cjson cjson
debian_source mbedtls mbedtls

# --- npm: wrangler and miniflare, exactly as locked -------------------------------------------------
lock_sum=$(sha256sum "$top/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$top/node_modules/.gastown-lock" 2>/dev/null)" != "$lock_sum" ]; then
	say "npm ci (wrangler, miniflare)"
	(cd "$top" && npm ci --no-audit --no-fund --loglevel=error)
	echo "$lock_sum" >"$top/node_modules/.gastown-lock"
else
	say "npm packages up to date"
fi
# Make sees the stamps as newer than deps/pins and the lock file: no re-run until one of them changes.
touch "$deps/sqlite/.stamp" "$deps/cjson/.stamp" "$deps/mbedtls/.stamp" "$top/node_modules/.gastown-lock"
say "done"
