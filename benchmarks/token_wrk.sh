#!/usr/bin/env bash
# The token endpoint over a real socket: tessera-server (embedded default, memory store) on a
# free loopback port, driven by wrk with client-credentials POSTs (HTTP Basic, keep-alive),
# once per signing algorithm, plus GET /healthz as the same server's transport-only ceiling.
# The server is started and stopped here, by its PID; its data directory is temporary.
#
#   benchmarks/token_wrk.sh [seconds]      # default 10 per row
# Environment: TESSERA_SERVER (default build/examples/tessera-server), WRK_THREADS (1),
# WRK_CONNECTIONS (16), SERVER_THREADS (1). With 2 cores, one goes to wrk and one to the server.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
server=${TESSERA_SERVER:-$root/build/examples/tessera-server}
seconds=${1:-10}
command -v wrk >/dev/null || { echo "token_wrk.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[[ -x $server ]] || { echo "token_wrk.sh: $server not built (cmake --build build --target tessera-server)" >&2; exit 2; }

work=$(mktemp -d)
pid=
stop() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}
trap 'stop; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

cat >"$work/token.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("TOKEN_AUTH")
wrk.body = "grant_type=client_credentials&scope=all"
LUA
# No Lua `response` callback: it makes wrk hand every response to Lua and become the
# bottleneck. wrk itself reports "Non-2xx or 3xx responses", which fails the row below.

printf '| row | requests/s | latency p50 | latency p99 |\n|---|---:|---:|---:|\n'
for alg in ES256 RS256 EdDSA; do
  port=$(free_port)
  rm -rf "$work/data"
  "$server" --listen "127.0.0.1:$port" --data-dir "$work/data" --signing-alg "$alg" --quiet \
    --threads "${SERVER_THREADS:-1}" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  secret=$(awk '/confidential client/ { print $NF }' "$work/out")
  [[ -n $secret ]] || { echo "token_wrk.sh: no client secret in the server's first-start output" >&2; exit 1; }
  auth="Basic $(printf 'tessera-service:%s' "$secret" | base64 -w0)"
  # One request first: bcrypt runs once, later requests hit the verified-secret cache.
  curl -fsS -H "Authorization: $auth" -d grant_type=client_credentials "http://127.0.0.1:$port/oauth2/token" >/dev/null
  rows=("token/$alg|/oauth2/token|$work/token.lua")
  [[ $alg == ES256 ]] && rows+=("healthz|/healthz|")
  for row in "${rows[@]}"; do
    IFS='|' read -r name path script <<<"$row"
    args=(-t "${WRK_THREADS:-1}" -c "${WRK_CONNECTIONS:-16}" -d "${seconds}s" --latency)
    [[ -n $script ]] && args+=(-s "$script")
    TOKEN_AUTH=$auth wrk "${args[@]}" "http://127.0.0.1:$port$path" >"$work/wrk" 2>&1
    if grep -q "Non-2xx" "$work/wrk" || ! grep -q "^Requests/sec:" "$work/wrk"; then
      echo "token_wrk.sh: $name answered errors:" >&2
      cat "$work/wrk" >&2
      exit 1
    fi
    rps=$(awk '/^Requests\/sec:/ { printf "%\047d", $2 }' "$work/wrk")
    p50=$(awk '$1 == "50%" { print $2 }' "$work/wrk")
    p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk")
    printf '| %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99"
  done
  stop
done
