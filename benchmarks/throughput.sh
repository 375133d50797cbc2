#!/usr/bin/env bash
# Token-endpoint throughput over a real socket: tessera-server (per store, per signing
# algorithm) against npm oidc-provider (benchmarks/oidc_provider_bench.mjs), both issuing JWT
# access tokens for the client-credentials grant, driven by wrk (keep-alive, HTTP Basic,
# `grant_type=client_credentials&scope=all`), on free 127.0.0.1 ports.
#
#   benchmarks/throughput.sh [seconds-per-row]        # default 10
#
# Rows: tessera-server `--threads 2 --quiet --signing-alg ALG --store S` for S in memory, sqlite
# (its data directory) and, when the environment names them, postgres and redis; and
# oidc-provider as a node cluster of 2 workers (one per tessera thread) signing with one key of
# the same ALG. Per repeat, every server is started fresh (each data directory is made first with
# `--init-only`, which the shared stores require), warmed up with wrk for WARMUP seconds, and
# then the rows run interleaved — for each connection count, for each algorithm: every tessera
# store, then oidc-provider, then the tessera refresh rows — so that a burst of load elsewhere on
# the machine is spread over rows instead of landing on one server; the whole cycle runs
# REPEATS times so the noise shows. (The idle servers wait meanwhile; they use no CPU.)
#
# Columns: requests/s and wrk's p50/p99 latency; failed = non-2xx responses + wrk's socket errors
# (connect, read, write, timeout); server CPU per request = utime+stime of the server's whole
# process group (tessera: one process; oidc-provider: the primary and its workers — each server
# runs in its own session via setsid) from /proc/<pid>/stat before and after the wrk run, in
# CLK_TCK ticks (10 ms), divided by the requests wrk reports. CPU per request depends far less
# than requests/s on who else uses the cores (not at all on waiting for them; still on shared
# caches and frequency: on a busy machine it rises too). After the table: ratios tessera / oidc-provider
# for the same algorithm and connections (best of the repeats, and the medians), and the cost
# of one signature measured in this run, before the servers start (tessera_bench_jose's BM_sign
# rows, CPU time of tessera's JWS signing and of direct OpenSSL, if that executable is found —
# build it Release too; otherwise `openssl speed`; the output says which), to check "server CPU
# per request ≤ 2× the raw signature".
#
# The machine this was written on has 2 cores: the server gets 2 threads (tessera) or 2
# workers (oidc-provider) and wrk runs ONE thread (-t 1) on the same two cores. One wrk thread
# (epoll, no Lua `response` callback) keeps far more requests in flight than these servers
# answer (token_wrk.sh: 36,000 /healthz per second from one wrk thread), and a second wrk thread
# would only take more CPU away from the server. So requests/s here is "two cores shared by
# server and load generator", not the server's throughput on two dedicated cores; compare the
# rows with each other, and use the CPU-per-request column for the server's own cost.
#
# Refresh rows (tessera only; REFRESH=0 skips them): refresh-token grants per store. Before each
# such row benchmarks/refresh_bench.mjs signs the demo user in through tessera-server's login
# form over HTTP (no browser), consents once for the public client tessera-cli, and redeems one
# authorization code per wrk connection (+1 per wrk thread: wrk calls request() once to check
# the script) for a refresh token, scope "openid offline all" as Flyte's CLI asks. wrk then
# runs one refresh chain per connection: its Lua `response` callback takes the rotated refresh
# token from each answer for the next request of the chain (a response callback costs wrk CPU,
# acceptable at these rates; a failed refresh ends its chain, and that connection's later
# requests then fail too, so failures show). A refresh signs two JWTs (access and ID token)
# and rotates the token in the store. The tokens are made before the CPU count starts. oidc-provider
# has no refresh row: it would need its interaction (login/consent) pages, which this
# configuration leaves out.
#
# Environment:
#   TESSERA_SERVER      the tessera-server executable (default build/examples/tessera-server);
#                       build it Release: the postgres/redis rows need it built with those components
#   TESSERA_BENCH_PG    enables the postgres row: a libpq URI (postgresql://user:pw@127.0.0.1/db)
#                       or conninfo ("host=127.0.0.1 dbname=bench"), passed as --store
#   TESSERA_BENCH_REDIS enables the redis row: a URL (redis://127.0.0.1:6379) or just a port
#   STORES              which tessera stores (default: "memory sqlite" + postgres/redis as above);
#                       a store may name the server's thread scheduling after an @, as two rows:
#                       STORES="memory@per-thread memory@shared" (tessera-server --scheduling)
#   ALGS (ES256 RS256), CONNECTIONS (16 64), REPEATS (2), WARMUP (3 seconds per server), REFRESH (1),
#   SERVER_THREADS (2: tessera --threads and oidc-provider workers), WRK_THREADS (1),
#   NODE (node), TESSERA_BENCH_JOSE (tessera_bench_jose; default: next to the server's build
#   tree, then build-bench/), RAW_SIGN=openssl to use `openssl speed` anyway.
# Exit status 1 if any row had non-2xx responses, socket errors or no wrk result; the table is printed anyway.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
server=${TESSERA_SERVER:-$root/build/examples/tessera-server}
seconds=${1:-10}
repeats=${REPEATS:-2}
warmup=${WARMUP:-3}
refresh=${REFRESH:-1}
threads=${SERVER_THREADS:-2}
wrk_threads=${WRK_THREADS:-1}
read -r -a conns_list <<<"${CONNECTIONS:-16 64}"
read -r -a algs <<<"${ALGS:-ES256 RS256}"
node=${NODE:-node}
scope=all
me=throughput.sh

die() { echo "$me: $*" >&2; exit 2; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v python3 >/dev/null || die "python3 is needed"
command -v setsid >/dev/null || die "setsid (util-linux) is needed"
command -v "$node" >/dev/null || die "node is not installed"
[[ -x $server ]] || die "$server not built (cmake --build build --target tessera-server)"
[[ -d $root/node_modules/oidc-provider ]] || die "no node_modules/oidc-provider (npm ci in $root)"
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "seconds-per-row must be a positive integer"
for a in "${algs[@]}"; do [[ $a == ES256 || $a == RS256 ]] || die "ALGS: ES256 and/or RS256, not $a"; done

if [[ -n ${STORES:-} ]]; then
  read -r -a stores <<<"$STORES"
else
  stores=(memory sqlite)
  [[ -n ${TESSERA_BENCH_PG:-} ]] && stores+=(postgres)
  [[ -n ${TESSERA_BENCH_REDIS:-} ]] && stores+=(redis)
fi
store_spec() {
  case ${1%@*} in
    memory | sqlite) echo "${1%@*}" ;;
    postgres)
      [[ -n ${TESSERA_BENCH_PG:-} ]] || die "the postgres row needs TESSERA_BENCH_PG"
      case $TESSERA_BENCH_PG in
        postgres:* | postgresql://* | postgres://*) echo "$TESSERA_BENCH_PG" ;;
        *) echo "postgres:$TESSERA_BENCH_PG" ;;
      esac ;;
    redis)
      [[ -n ${TESSERA_BENCH_REDIS:-} ]] || die "the redis row needs TESSERA_BENCH_REDIS"
      if [[ $TESSERA_BENCH_REDIS =~ ^[0-9]+$ ]]; then echo "redis://127.0.0.1:$TESSERA_BENCH_REDIS"; else echo "$TESSERA_BENCH_REDIS"; fi ;;
    *) die "unknown store $1 (memory, sqlite, postgres, redis)" ;;
  esac
}
for s in "${stores[@]}"; do store_spec "$s" >/dev/null; done

work=$(mktemp -d)
pids=()
wrk_pid=
# Stops the running wrk and every server started here: SIGTERM to its PID (the oidc-provider primary stops its
# workers), SIGKILL after 5 s, then SIGKILL to what is left of its process group (each server
# leads its own group: setsid).
stop_servers() {
  local pid
  if [[ -n $wrk_pid ]]; then kill -TERM "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true; wrk_pid=; fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  pids=()
}
trap 'stop_servers; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
random_secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }

# utime+stime (clock ticks) of every process in process group $1.
cpu_ticks() {
  python3 - "$1" <<'PY'
import os, sys
group, total = int(sys.argv[1]), 0
for p in os.listdir('/proc'):
    if not p.isdigit():
        continue
    try:
        with open(f'/proc/{p}/stat') as f:
            stat = f.read()
    except OSError:
        continue
    fields = stat[stat.rindex(')') + 2:].split()  # state ppid pgrp ... utime(12th) stime(13th)
    if int(fields[2]) == group:
        total += int(fields[11]) + int(fields[12])
print(total)
PY
}
clk_tck=$(getconf CLK_TCK)

# The server registry, keyed "label alg": port, token path, Authorization, PID.
declare -A port_of path_of auth_of pid_of password_of

# A server must lead its own process group (cpu_ticks, the group kill); setsid makes it one
# as soon as it runs, which may be a moment after `&` returns.
leads_own_group() {
  local stat f
  for _ in $(seq 100); do
    stat=$(<"/proc/$1/stat") || die "PID $1 exited at once"
    read -r -a f <<<"${stat##*) }"
    [[ ${f[2]} == "$1" ]] && return 0
    sleep 0.02
  done
  die "PID $1 is not a process group leader (pgrp ${f[2]})"
}

wait_http() {  # url pid log: until the URL answers 2xx; fails if the process dies
  local url=$1 pid=$2 log=$3
  for _ in $(seq 150); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "the server for $url exited"; }
    sleep 0.1
  done
  cat "$log" >&2
  die "$url did not answer in 15 s"
}

# The first token: checks it is a JWT signed with the expected algorithm (so both servers do the
# same work), and runs the client authentication once (tessera: bcrypt, then its cache).
check_token() {  # key alg
  local key=$1 alg=$2 body
  body=$(curl -fsS -H "Authorization: ${auth_of[$key]}" -d "grant_type=client_credentials&scope=$scope" \
    "http://127.0.0.1:${port_of[$key]}${path_of[$key]}") || die "$key: the first token request failed"
  python3 - "$key" "$alg" "$body" <<'PY' >&2 || die "$key: unexpected token response: $body"
import base64, json, sys
key, alg, body = sys.argv[1:]
token = json.loads(body)['access_token']
head = token.split('.')[0]
header = json.loads(base64.urlsafe_b64decode(head + '=' * (-len(head) % 4)))
assert header['alg'] == alg, header
print(f'  {key}: JWT access token, {header["alg"]}, typ {header.get("typ")}, {len(token)} bytes')
PY
}

# Every connection comes from 127.0.0.1, as behind a proxy: the per-address cap (default 64,
# docs/security.md row 38) is raised, or wrk's 64 connections plus the refresh rows' minting
# connections that are still closing would meet it (a refused connection: a socket error).
start_tessera() {  # store alg
  local store=$1 alg=$2 key="tessera/$1 $2" port dir secret pid
  local -a extra=()
  [[ $store == *@* ]] && extra=(--scheduling "${store#*@}")
  port=$(free_port)
  dir=$work/tessera-$store-$alg
  rm -rf "$dir"  # a fresh data directory per repeat: new keys, new secrets, a new SQLite file
  "$server" --init-only --listen "127.0.0.1:$port" --data-dir "$dir" --signing-alg "$alg" >"$dir.init" 2>&1 \
    || { cat "$dir.init" >&2; die "$key: --init-only failed"; }
  secret=$(awk '/confidential client/ { print $NF }' "$dir.init")
  [[ -n $secret ]] || die "$key: no client secret in the --init-only output"
  password_of[$key]=$(awk '/demo user/ { print $NF }' "$dir.init")
  setsid "$server" --listen "127.0.0.1:$port" --data-dir "$dir" --signing-alg "$alg" --store "$(store_spec "$store")" \
    --threads "$threads" "${extra[@]}" --max-connections-per-address 4096 --quiet >"$dir.out" 2>&1 </dev/null &
  pid=$!
  pids+=("$pid")
  leads_own_group "$pid"
  wait_http "http://127.0.0.1:$port/healthz" "$pid" "$dir.out"
  port_of[$key]=$port path_of[$key]=/oauth2/token pid_of[$key]=$pid
  auth_of[$key]="Basic $(printf 'tessera-service:%s' "$secret" | base64 -w0)"
  check_token "$key" "$alg"
}

start_oidc_provider() {  # alg
  local alg=$1 key="oidc-provider $1" port secret pid log
  port=$(free_port)
  secret=$(random_secret)
  log=$work/oidc-provider-$alg.out
  BENCH_CLIENT_SECRET=$secret setsid "$node" "$root/benchmarks/oidc_provider_bench.mjs" \
    --port "$port" --alg "$alg" --workers "$threads" --scope "$scope" >"$log" 2>&1 </dev/null &
  pid=$!
  pids+=("$pid")
  leads_own_group "$pid"
  for _ in $(seq 150); do
    grep -q '^oidc-provider ready on' "$log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$key exited"; }
    sleep 0.1
  done
  wait_http "http://127.0.0.1:$port/.well-known/openid-configuration" "$pid" "$log"
  port_of[$key]=$port path_of[$key]=/token pid_of[$key]=$pid
  auth_of[$key]="Basic $(printf 'bench-service:%s' "$secret" | base64 -w0)"
  check_token "$key" "$alg"
}

cat >"$work/token.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("TOKEN_AUTH")
wrk.body = os.getenv("TOKEN_BODY")
LUA
# No Lua `response` callback: it makes wrk hand every response to Lua and become the
# bottleneck. wrk counts "Non-2xx or 3xx responses" and socket errors itself.

# Refresh chains: REFRESH_TOKENS holds the first refresh token of each chain; wrk thread `id`
# of WRK_THREADS_N takes every WRK_THREADS_N-th. Each answer's new refresh token goes to the
# back of the thread's queue and the next request takes the front one: a connection has one
# request in flight, so a thread with one token per connection (+1 for wrk's check call to
# request()) never runs dry unless a refresh fails.
cat >"$work/refresh.lua" <<'LUA'
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local queue, head, tail = {}, 1, 0
local function push(t) tail = tail + 1; queue[tail] = t end
function init(args)
  local n, i = tonumber(os.getenv("WRK_THREADS_N")), 0
  for line in io.lines(os.getenv("REFRESH_TOKENS")) do
    if line ~= "" then
      if i % n == id then push(line) end
      i = i + 1
    end
  end
end
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json" }
local function encode(s) return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end)) end
function request()
  local t = "exhausted"
  if head <= tail then t = queue[head]; queue[head] = nil; head = head + 1 end
  return wrk.format("POST", wrk.path, headers, "grant_type=refresh_token&client_id=tessera-cli&refresh_token=" .. encode(t))
end
function response(status, headers, body)
  local t = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if t then push(t) end
end
LUA

mint_refresh_tokens() {  # key connections → $work/refresh_tokens
  BENCH_USER_PASSWORD=${password_of[$1]} "$node" "$root/benchmarks/refresh_bench.mjs" \
    --base "http://127.0.0.1:${port_of[$1]}" --count $(( $2 + wrk_threads )) >"$work/refresh_tokens" \
    || die "$1: could not obtain refresh tokens"
}

run_wrk() {  # key connections seconds out [refresh]
  local key=$1 lua=$work/token.lua
  [[ ${5:-} == refresh ]] && lua=$work/refresh.lua
  # In the background and waited for: a trap (Ctrl-C, SIGTERM) then runs at once. (A foreground
  # wrk catches SIGINT, prints its report and exits 0, and bash then ignores the SIGINT.)
  TOKEN_AUTH=${auth_of[$key]} TOKEN_BODY="grant_type=client_credentials&scope=$scope" \
    REFRESH_TOKENS=$work/refresh_tokens WRK_THREADS_N=$wrk_threads \
    wrk -t "$wrk_threads" -c "$2" -d "$3s" --latency -s "$lua" \
    "http://127.0.0.1:${port_of[$key]}${path_of[$key]}" >"$4" 2>&1 </dev/null &
  wrk_pid=$!
  wait "$wrk_pid" || true
  wrk_pid=
}

# wrk's report → requests, requests/s, p50 ms, p99 ms, non-2xx, socket errors ("-" if none).
parse_wrk() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.fullmatch(r'([\d.]+)(us|ms|s|m)', v).groups()
    return float(n) * {'us': 1e-3, 'ms': 1, 's': 1e3, 'm': 6e4}[unit]
req = re.search(r'^\s*(\d+) requests in', text, re.M)
rps = re.search(r'^Requests/sec:\s*([\d.]+)', text, re.M)
p50 = re.search(r'^\s*50%\s+(\S+)', text, re.M)
p99 = re.search(r'^\s*99%\s+(\S+)', text, re.M)
non2xx = re.search(r'Non-2xx or 3xx responses:\s*(\d+)', text)
sock = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', text)
if not (req and rps and p50 and p99):
    print('- - - - - -')
else:
    print(req.group(1), rps.group(1), f'{ms(p50.group(1)):.2f}', f'{ms(p99.group(1)):.2f}',
          non2xx.group(1) if non2xx else 0, sum(map(int, sock.groups())) if sock else 0)
PY
}

# --- the signature reference, measured first, on an idle server set ----------------------------
sign_file=$work/sign.tsv  # alg, source, µs per signature
jose=${TESSERA_BENCH_JOSE:-}
if [[ -z $jose ]]; then
  for candidate in "$(dirname "$server")/../benchmarks/tessera_bench_jose" "$root/build-bench/benchmarks/tessera_bench_jose"; do
    [[ -x $candidate ]] && { jose=$candidate; break; }
  done
fi
if [[ ${RAW_SIGN:-} != openssl && -n $jose && -x $jose ]]; then
  echo "$me: signature cost from $jose (BM_sign, CPU time)" >&2
  "$jose" --benchmark_filter='^BM_sign/(tessera|openssl)/(ES256|RS256)$' --benchmark_min_time=0.5 \
    --benchmark_format=csv 2>/dev/null >"$work/sign.csv" || true
  python3 - "$work/sign.csv" >"$sign_file" <<'PY'
import csv, sys
scale = {'ns': 1e-3, 'us': 1, 'ms': 1e3, 's': 1e6}
for row in csv.DictReader(open(sys.argv[1])):
    _, lib, alg = row['name'].strip('"').split('/')
    print(alg, f'tessera_bench_jose BM_sign/{lib} (JWS compact, CPU time)', f"{float(row['cpu_time']) * scale[row['time_unit']]:.1f}", sep='\t')
PY
fi
if [[ ! -s $sign_file ]]; then
  echo "$me: signature cost from openssl speed -seconds 2 ecdsap256 rsa2048" >&2
  openssl speed -seconds 2 ecdsap256 rsa2048 >"$work/speed.txt" 2>/dev/null || true
  python3 - "$work/speed.txt" >"$sign_file" <<'PY'
import sys
header = None
for line in open(sys.argv[1]):
    tokens = line.split()
    if 'sign/s' in tokens:
        header = tokens
        continue
    if header and ('rsa' in tokens and '2048' in tokens or '(nistp256)' in tokens):
        after = len(header) - header.index('sign/s')  # columns from sign/s to the end
        per_s = float(tokens[len(tokens) - after])
        alg = 'RS256' if 'rsa' in tokens else 'ES256'
        print(alg, 'openssl speed (raw signature of a digest, wall time)', f'{1e6 / per_s:.1f}', sep='\t')
PY
fi

# --- the rows ----------------------------------------------------------------------------------
results=$work/results.tsv  # repeat, key, alg, connections, requests, rps, p50, p99, non2xx, sockerr, cpu µs/req
n_servers=$(( ${#stores[@]} + 1 ))
n_rows=$n_servers
[[ $refresh == 1 ]] && n_rows=$(( n_rows + ${#stores[@]} ))
estimate=$(( repeats * ${#algs[@]} * (n_servers * warmup + n_rows * ${#conns_list[@]} * seconds) ))
echo "$me: ${#stores[@]} tessera store(s) (${stores[*]}) + oidc-provider, ${algs[*]}, c=${conns_list[*]}," \
  "${seconds}s per row, $repeats repeat(s): about ${estimate}s; wrk -t $wrk_threads, servers $threads threads/workers" >&2

printf '| rep | row | connections | requests/s | p50 ms | p99 ms | failed | server CPU µs/request |\n'
printf '|---:|---|---:|---:|---:|---:|---:|---:|\n'
status=0
for rep in $(seq "$repeats"); do
  echo "$me: repeat $rep: starting servers" >&2
  keys=()
  for alg in "${algs[@]}"; do
    for store in "${stores[@]}"; do start_tessera "$store" "$alg"; keys+=("tessera/$store $alg"); done
    start_oidc_provider "$alg"; keys+=("oidc-provider $alg")
  done
  if (( warmup > 0 )); then
    for key in "${keys[@]}"; do run_wrk "$key" "${conns_list[0]}" "$warmup" "$work/warmup"; done
  fi
  for conns in "${conns_list[@]}"; do
    for alg in "${algs[@]}"; do
      rows=()
      for key in "${keys[@]}"; do [[ $key == *" $alg" ]] && rows+=("$key|"); done
      if [[ $refresh == 1 ]]; then
        for key in "${keys[@]}"; do [[ $key == tessera/*" $alg" ]] && rows+=("$key|refresh"); done
      fi
      for row in "${rows[@]}"; do
        IFS='|' read -r key kind <<<"$row"
        label=$key${kind:+ $kind}
        # The refresh tokens are made first (outside the measured window), then the CPU counted.
        [[ $kind == refresh ]] && mint_refresh_tokens "$key" "$conns"
        before=$(cpu_ticks "${pid_of[$key]}")
        run_wrk "$key" "$conns" "$seconds" "$work/wrk" "$kind"
        after=$(cpu_ticks "${pid_of[$key]}")
        read -r requests rps p50 p99 non2xx sockerr < <(parse_wrk "$work/wrk")
        if [[ $requests == - ]]; then
          echo "$me: $label c=$conns: no wrk result:" >&2; cat "$work/wrk" >&2
          status=1; cpu=-; failed=-
        else
          cpu=$(python3 -c "print(f'{($after - $before) * 1e6 / $clk_tck / max($requests, 1):.0f}')")
          failed=$(( non2xx + sockerr ))
          if (( non2xx > 0 || sockerr > 0 )); then
            echo "$me: $label c=$conns: $non2xx non-2xx responses, $sockerr socket errors:" >&2; cat "$work/wrk" >&2
            status=1
          fi
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$label" "$alg" "$conns" "$requests" "$rps" \
          "$p50" "$p99" "$non2xx" "$sockerr" "$cpu" >>"$results"
        rps_shown=$rps
        [[ $rps != - ]] && rps_shown=$(printf "%'.0f" "$rps")
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$rep" "$label" "$conns" "$rps_shown" "$p50" "$p99" "$failed" "$cpu"
      done
    done
  done
  stop_servers
done

# --- ratios ------------------------------------------------------------------------------------
python3 - "$results" "$sign_file" <<'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)  # (key, conns) -> [(rps, cpu)]
for line in open(sys.argv[1]):
    rep, key, alg, conns, requests, rps, p50, p99, non2xx, sockerr, cpu = line.rstrip('\n').split('\t')
    if rps != '-':
        rows[(key, int(conns))].append((float(rps), float(cpu)))
sign = defaultdict(list)
for line in open(sys.argv[2]):
    alg, source, us = line.rstrip('\n').split('\t')
    sign[alg].append((source, float(us)))

def fmt(x):
    return f'{x:.2f}' if x == x else '-'

print('\nRatios tessera / oidc-provider, same algorithm and connections (requests/s: higher is better;'
      '\nCPU: oidc-provider µs per request ÷ tessera µs per request, higher is better for tessera):\n')
print('| row | connections | requests/s, best | requests/s, median | CPU/request, best | CPU/request, median |')
print('|---|---:|---:|---:|---:|---:|')
for (key, conns), vals in sorted(rows.items(), key=lambda kv: (kv[0][0].split()[1], kv[0][1], kv[0][0])):
    if not key.startswith('tessera/') or key.endswith(' refresh'):
        continue
    ref = rows.get((f'oidc-provider {key.split()[1]}', conns))
    if not ref:
        continue
    rps, cpu = [v[0] for v in vals], [v[1] for v in vals]
    rrps, rcpu = [v[0] for v in ref], [v[1] for v in ref]
    print(f'| {key} | {conns} | {fmt(max(rps) / max(rrps))} | {fmt(statistics.median(rps) / statistics.median(rrps))}'
          f' | {fmt(min(rcpu) / min(cpu)) if min(cpu) else "-"} | {fmt(statistics.median(rcpu) / statistics.median(cpu)) if statistics.median(cpu) else "-"} |')

print('\nOne signature, measured in this run (µs):\n')
for alg in sorted(sign):
    for source, us in sign[alg]:
        print(f'- {alg}: {us:.1f} µs — {source}')
if not sign:
    print('- (no measurement: neither tessera_bench_jose nor openssl speed answered)')

print('\nServer CPU per request ÷ the signatures it needs (client credentials: 1, the access token;'
      '\nrefresh: 2, access and ID token). The target: ≤ 2 for ES256. Median over repeats:\n')
print('| row | connections | CPU µs/request | signatures | ÷ signatures |')
print('|---|---:|---:|---:|---:|')
for (key, conns), vals in sorted(rows.items(), key=lambda kv: (kv[0][0].split()[1], kv[0][1], kv[0][0])):
    alg = key.split()[1]
    if not sign.get(alg):
        continue
    ref = sign[alg][0][1]  # the first source: tessera's own JWS signing if measured
    cpu = statistics.median(v[1] for v in vals)
    n = 2 if key.endswith(' refresh') else 1
    print(f'| {key} | {conns} | {cpu:.0f} | {n} | {fmt(cpu / (n * ref))} |')
PY
exit "$status"
