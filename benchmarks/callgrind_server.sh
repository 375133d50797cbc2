#!/usr/bin/env bash
# Instructions per client-credentials request of a tessera-server binary (callgrind; the
# deterministic complement to throughput.sh): the server runs under valgrind with one I/O thread,
# the memory store and an ES256 key; 50 warm-up requests (bcrypt once, then the verified-secret
# cache), counters zeroed, N keep-alive POSTs over one connection, a dump; user-space
# instructions ÷ N. Compare two binaries, or one binary's flags (--quiet, --no-metrics,
# --log-format json), in the same units.
#
#   benchmarks/callgrind_server.sh BINARY [N] [-- server flags...]
#   benchmarks/callgrind_server.sh build/examples/tessera-server 2000 -- --quiet --no-metrics
set -euo pipefail
bin=$1
shift
n=2000
if [[ $# -gt 0 && $1 != -- ]]; then n=$1; shift; fi
[[ $# -gt 0 && $1 == -- ]] && shift
dir=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" "$bin" --listen "127.0.0.1:$port" --data-dir "$dir/data" \
  --store memory --signing-alg ES256 --threads 1 "$@" >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
for _ in $(seq 1 600); do grep -q "listening on" "$dir/stderr" 2>/dev/null && break; sleep 0.2; done
secret=$(sed -n 's/^ *confidential client *tessera-service \/ \(\S*\).*/\1/p' "$dir/stdout")
client() {
  python3 - "$port" "$secret" "$1" <<'EOF'
import base64, http.client, sys
port, secret, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
headers = {'Authorization': 'Basic ' + base64.b64encode(f'tessera-service:{secret}'.encode()).decode(),
           'Content-Type': 'application/x-www-form-urlencoded'}
c = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
ok = 0
for _ in range(n):
    c.request('POST', '/oauth2/token', 'grant_type=client_credentials', headers)
    r = c.getresponse()
    r.read()
    ok += r.status == 200
if ok != n:
    sys.exit(f'{n - ok} of {n} requests failed')
EOF
}
client 50
callgrind_control -z "$pid" >/dev/null
client "$n"
callgrind_control -d "$pid" >/dev/null
total=$(grep -E '^(summary|totals):' "$dir"/cg.*.1 | head -1 | awk '{print $2}')
echo "$(basename "$bin") $*: $((total / n)) instructions per request ($n requests)"
