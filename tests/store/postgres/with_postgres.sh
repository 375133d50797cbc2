#!/bin/sh
# tessera — tests/store/postgres/with_postgres.sh COMMAND [ARGS...]
#
# Runs COMMAND against a throwaway PostgreSQL server: a fresh cluster in a temporary directory,
# listening on 127.0.0.1 at a free port and on a Unix socket in that directory, trust
# authentication, stopped and deleted afterwards (also when COMMAND fails or the script is
# interrupted). Exits with COMMAND's status.
#
# COMMAND sees:
#   TESSERA_TEST_PG_CONNINFO  libpq connection string of the server's `postgres` database
#   TESSERA_TEST_PG_CTL       a command prefix that runs pg_ctl on the cluster as its owner, for
#                             tests that stop, start or restart the server: append
#                             `-m fast -w restart`, `-m fast -w stop` or `-w start`
#   TESSERA_TEST_PG_PORT      the port
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user and
# its programs run through runuser. The server binaries are looked for in TESSERA_PG_BINDIR,
# then pg_config --bindir, then /usr/lib/postgresql/<newest>/bin.
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

find_bindir() {
  if [ -n "${TESSERA_PG_BINDIR:-}" ] && [ -x "$TESSERA_PG_BINDIR/postgres" ]; then
    echo "$TESSERA_PG_BINDIR"; return 0
  fi
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$d" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}

bindir=$(find_bindir) || { echo "with_postgres.sh: no PostgreSQL server binaries found" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-pg.XXXXXX")
data="$tmp/data"
log="$tmp/server.log"        # the server's, written by the cluster's owner
setup_log="$tmp/setup.log"   # initdb's and pg_ctl's

as_owner=""
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "with_postgres.sh: running as root, and there is no postgres user" >&2; rm -rf "$tmp"; exit 1; }
  chown postgres: "$tmp"
  as_owner="runuser -u postgres --"
fi
chmod 700 "$tmp"

stop_server() {
  pidfile="$data/postmaster.pid"
  [ -f "$pidfile" ] || return 0
  pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
  case "$pid" in ''|*[!0-9]*) return 0 ;; esac
  kill -INT "$pid" 2>/dev/null || return 0   # fast shutdown
  i=0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 300 ]; then kill -QUIT "$pid" 2>/dev/null || true; fi   # immediate, after 30 s
    if [ "$i" -ge 400 ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.1
  done
}

cleanup() {
  status=$?
  trap - EXIT INT TERM HUP
  stop_server
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

if ! $as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$setup_log" 2>&1; then
  echo "with_postgres.sh: initdb failed:" >&2
  cat "$setup_log" >&2
  exit 1
fi
$as_owner touch "$log"
# In the configuration, not on the command line: `pg_ctl start` after a `stop` finds them too.
cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$tmp'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

$as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >>"$setup_log" 2>&1 || {
  echo "with_postgres.sh: the server did not start:" >&2
  cat "$setup_log" "$log" >&2
  exit 1
}

i=0
until "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; do
  i=$((i + 1))
  if [ "$i" -ge 300 ]; then
    echo "with_postgres.sh: the server does not accept connections:" >&2
    cat "$setup_log" "$log" >&2
    exit 1
  fi
  sleep 0.1
done

export TESSERA_TEST_PG_CONNINFO="host=127.0.0.1 port=$port user=postgres dbname=postgres"
export TESSERA_TEST_PG_CTL="$as_owner $bindir/pg_ctl -D $data -l $log -t 60"
export TESSERA_TEST_PG_PORT="$port"

set +e
"$@"
status=$?
set -e
if [ "$status" -ne 0 ] && [ -n "${TESSERA_PG_SHOW_LOG:-}" ]; then cat "$log" >&2; fi
exit "$status"
