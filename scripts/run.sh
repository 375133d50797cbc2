#!/usr/bin/env bash
# Installs what is missing, builds tessera-server, and starts it on its embedded default:
# authorization server (Flyte's `authServerType: Self`), local login, memory store, signing
# key generated into the data directory, listening on http://127.0.0.1:8088.
# Arguments are passed to tessera-server (e.g. --listen 127.0.0.1:9000, --data-dir DIR).
# Environment: TESSERA_BUILD_DIR (default build-run), TESSERA_BUILD_TYPE (default Release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${TESSERA_BUILD_DIR:-build-run}
bash scripts/install-deps.sh --server
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${TESSERA_BUILD_TYPE:-Release}" \
  -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_BENCHMARKS=OFF -DTESSERA_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" --target tessera-server -j"$(nproc)"
exec "$build/examples/tessera-server" "$@"
