#!/bin/sh
# Runs a program against a real Secret Service: a private D-Bus session (dbus-run-session) with
# a GNOME Keyring daemon of its own, unlocked, in a temporary HOME. The daemon is started in the
# foreground as this script's child, stopped by its PID afterwards, and the directory removed.
#
#   dbus-run-session -- sh tests/keyring/with_keyring.sh <program> [args...]
set -u
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-keyring-XXXXXX")
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run" XDG_DATA_HOME="$work/home/.local/share"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
printf 'tessera-test-keyring' | gnome-keyring-daemon --foreground --unlock --components=secrets >"$work/daemon.log" 2>&1 &
daemon=$!
cleanup() {
  kill "$daemon" 2>/dev/null
  wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# Wait (at most 10 s) until the daemon owns org.freedesktop.secrets on this bus.
i=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then
    echo "with_keyring: gnome-keyring-daemon did not start:" >&2
    cat "$work/daemon.log" >&2
    exit 1
  fi
  sleep 0.1
done
"$@"
