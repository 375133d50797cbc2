#!/usr/bin/env bash
# tessera — tests/store/redis/with_redis.sh <command...>
#
# Runs <command> next to throwaway redis-server instances on 127.0.0.1, then stops them and
# removes everything they wrote. Exits with the command's status.
#
#   main     plain port and a TLS port (certificates from a throwaway CA made here)
#   auth     requirepass and an ACL user, for the AUTH tests
#   restart  one the tests stop and start again on the same port ($TESSERA_TEST_REDIS_RESTART)
#
# Exports TESSERA_TEST_REDIS_URL (the conformance suite's server), TESSERA_TEST_REDIS_TLS_PORT,
# TESSERA_TEST_REDIS_CA, TESSERA_TEST_REDIS_OTHER_CA, TESSERA_TEST_REDIS_AUTH_PORT,
# TESSERA_TEST_REDIS_RESTART_PORT and TESSERA_TEST_REDIS_RESTART (a command).
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 <command...>" >&2
  exit 2
fi
command -v redis-server >/dev/null || { echo "with_redis.sh: redis-server not found" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-redis.XXXXXX")
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # the restart instance's current process (the tests may have replaced it)
  if [[ -f $tmp/restart/pid ]]; then kill "$(cat "$tmp/restart/pid")" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ping() {  # port [tls args...]
  local port=$1
  shift
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" "$@" ping 2>/dev/null | grep -q PONG; then return 0; fi
    sleep 0.05
  done
  echo "with_redis.sh: redis-server on port $port did not answer" >&2
  return 1
}

# --- a throwaway CA, a server certificate for localhost and 127.0.0.1, and an unrelated CA ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 \
  -subj "/CN=tessera test CA" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other-ca.key" -out "$tmp/other-ca.pem" -days 2 \
  -subj "/CN=tessera other CA" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=localhost" \
  >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -out "$tmp/server.pem" -days 2 -extfile "$tmp/san.ext" >/dev/null 2>&1

common=(--bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no --loglevel warning)

# --- main: plain and TLS ---
main_port=$(free_port)
tls_port=$(free_port)
mkdir -p "$tmp/main"
redis-server "${common[@]}" --port "$main_port" --dir "$tmp/main" \
  --tls-port "$tls_port" --tls-cert-file "$tmp/server.pem" --tls-key-file "$tmp/server.key" \
  --tls-ca-cert-file "$tmp/ca.pem" --tls-auth-clients no >"$tmp/main/log" 2>&1 &
pids+=($!)

# --- auth: a default-user password and an ACL user ---
auth_port=$(free_port)
mkdir -p "$tmp/auth"
redis-server "${common[@]}" --port "$auth_port" --dir "$tmp/auth" --requirepass admin-secret \
  --user alice on '>alice-secret' '~*' '&*' '+@all' >"$tmp/auth/log" 2>&1 &
pids+=($!)

# --- restart: stopped and started again by the tests, through $tmp/restart.sh ---
restart_port=$(free_port)
mkdir -p "$tmp/restart"
cat >"$tmp/restart.sh" <<SCRIPT
#!/usr/bin/env bash
# Stops the restart instance (by its PID) and starts a new one on the same port.
set -euo pipefail
if [[ -f "$tmp/restart/pid" ]]; then
  old=\$(cat "$tmp/restart/pid")
  kill "\$old" 2>/dev/null || true
  for _ in \$(seq 1 100); do kill -0 "\$old" 2>/dev/null || break; sleep 0.05; done
fi
redis-server ${common[*]@Q} --port "$restart_port" --dir "$tmp/restart" </dev/null >>"$tmp/restart/log" 2>&1 &
echo \$! >"$tmp/restart/pid"
for _ in \$(seq 1 100); do
  if redis-cli -h 127.0.0.1 -p "$restart_port" ping 2>/dev/null | grep -q PONG; then exit 0; fi
  sleep 0.05
done
echo "restart.sh: redis-server did not come back" >&2
exit 1
SCRIPT
chmod +x "$tmp/restart.sh"
"$tmp/restart.sh"

wait_ping "$main_port"
wait_ping "$tls_port" --tls --cacert "$tmp/ca.pem"
wait_ping "$auth_port" -a admin-secret --no-auth-warning

export TESSERA_TEST_REDIS_URL="redis://127.0.0.1:$main_port"
export TESSERA_TEST_REDIS_TLS_PORT="$tls_port"
export TESSERA_TEST_REDIS_CA="$tmp/ca.pem"
export TESSERA_TEST_REDIS_OTHER_CA="$tmp/other-ca.pem"
export TESSERA_TEST_REDIS_AUTH_PORT="$auth_port"
export TESSERA_TEST_REDIS_RESTART_PORT="$restart_port"
export TESSERA_TEST_REDIS_RESTART="$tmp/restart.sh"

set +e
"$@"
status=$?
set -e
exit "$status"
