#!/usr/bin/env bash
# Installs tessera's build and test dependencies from Debian 12 packages.
# Idempotent: only packages that are missing are installed; apt-get update runs first
# only when something is missing.
#
#   scripts/install-deps.sh             everything the tests, benchmarks and fuzzers use
#   scripts/install-deps.sh --server    only what building and running tessera-server needs
#                                       (scripts/run.sh)
#
# Node.js 20 and npm (for the interop tests, tests/interop) are NOT installed from Debian:
# bookworm's `nodejs` is 18 and its `npm` package conflicts with nodesource's `nodejs`, which
# ships npm. The full mode checks that `node` (>= 20) and `npm` are on PATH and fails with a
# clear message otherwise.
set -euo pipefail

server_only=0
case "${1:-}" in
  --server) server_only=1 ;;
  "" | --with-browser) ;;  # --with-browser: accepted for old callers; chromium is always installed
  *) echo "install-deps: unknown argument '$1' (use --server or nothing)" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake pkg-config ninja-build
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl libcrypt-dev
  libyaml-cpp-dev libsqlite3-dev libpq-dev libhiredis-dev
)
if ((!server_only)); then
  packages+=(
    catch2 libbenchmark-dev postgresql redis-server redis-tools
    libsecret-1-dev gnome-keyring dbus
    libjwt-dev libcpp-jwt-dev
    python3 python3-jwt python3-jwcrypto python3-cryptography python3-qrcode
    clang libclang-rt-14-dev curl ca-certificates wrk
    chromium
  )
fi

check_node() {
  local node_major
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: node and npm are required for tests/interop but were not found on PATH." >&2
    echo "install-deps: install Node.js 20 with npm (e.g. nodesource's nodejs package); do not" >&2
    echo "install-deps: install Debian's nodejs/npm packages (Node 18; npm conflicts with nodesource)." >&2
    return 1
  fi
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((node_major < 20)); then
    echo "install-deps: node $(node --version) found; tests/interop needs Node.js >= 20." >&2
    return 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  ((server_only)) || check_node
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
((server_only)) || check_node
