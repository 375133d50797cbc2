#!/usr/bin/env bash
# Installs tessera's build and test dependencies from Debian 12 packages.
# Idempotent: only packages that are missing are installed; apt-get update runs first
# only when something is missing. Usage: scripts/install-deps.sh [--with-browser]
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl catch2 libbenchmark-dev libsqlite3-dev libhiredis-dev
  redis-server libyaml-cpp-dev libcrypt-dev
  libjwt-dev libcpp-jwt-dev
  python3 python3-jwt python3-jwcrypto python3-cryptography
  clang libclang-rt-14-dev curl ca-certificates
)
if [[ "${1:-}" == "--with-browser" || "${TESSERA_WITH_BROWSER:-0}" == "1" ]]; then
  packages+=(chromium nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
