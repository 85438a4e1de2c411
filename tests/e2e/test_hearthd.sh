#!/usr/bin/env bash
# hearthd supervision: with stand-in daemons in a private bin dir, it starts what is built, skips
# what is not, passes the shifted ports, restarts a daemon that dies, and stops all on SIGTERM.
set -euo pipefail
bin=${HEARTH_BIN_DIR:?}
tmp=$(mktemp -d)
hd_pid=""
cleanup() {
    [ -n "$hd_pid" ] && kill -KILL "$hd_pid" 2>/dev/null || true
    # Stand-ins write their pid; end only those.
    for f in "$tmp"/pids/*; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -d "$tmp/data/logs" ] && tail -n 20 "$tmp"/data/logs/* >&2; exit 1; }

mkdir -p "$tmp/bin" "$tmp/pids"
cp "$bin/hearthd" "$tmp/bin/"
# A stand-in daemon: answers --help, records its arguments and pid, then runs until signalled.
for name in hearth-bus hearth-router; do
    cat >"$tmp/bin/$name" <<EOS
#!/usr/bin/env bash
[ "\${1:-}" = "--help" ] && exit 0
echo "\$*" > "$tmp/pids/$name.args"
echo \$\$ > "$tmp/pids/$name"
trap 'echo stopped > "$tmp/pids/$name.stopped"; exit 0' TERM
while :; do sleep 0.1; done
EOS
    chmod +x "$tmp/bin/$name"
done
# A component that is not built in this version: --help fails.
printf '#!/bin/sh\nexit 2\n' >"$tmp/bin/hearth-cc"
chmod +x "$tmp/bin/hearth-cc"

"$tmp/bin/hearthd" --data-dir "$tmp/data" --port-base 31000 --services none >"$tmp/out" 2>&1 &
hd_pid=$!

wait_for() { # FILE
    for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
    return 1
}
wait_for "$tmp/pids/hearth-bus" || fail "bus stand-in not started"
wait_for "$tmp/pids/hearth-router" || fail "router stand-in not started"
grep -q -- "-p 31003" "$tmp/pids/hearth-bus.args" || fail "bus port not shifted: $(cat "$tmp/pids/hearth-bus.args")"
grep -q -- "--port 31000" "$tmp/pids/hearth-router.args" || fail "router port not shifted"
grep -q -- "--nats nats://127.0.0.1:31003" "$tmp/pids/hearth-router.args" || fail "router not pointed at the bus"
[ -d "$tmp/data/logs" ] || fail "no logs dir"
grep -q "http://api.localhost:31000" "$tmp/out" || fail "no API URL printed"

# Kill the router stand-in: hearthd must start a new one.
old=$(cat "$tmp/pids/hearth-router")
rm -f "$tmp/pids/hearth-router"
kill -KILL "$old"
wait_for "$tmp/pids/hearth-router" || fail "router not restarted"
new=$(cat "$tmp/pids/hearth-router")
[ "$new" != "$old" ] || fail "same pid after restart"

# SIGTERM: every child is asked to stop, then hearthd exits 0.
kill -TERM "$hd_pid"
status=0
wait "$hd_pid" || status=$?
hd_pid=""
[ "$status" -eq 0 ] || fail "hearthd exited $status"
[ -f "$tmp/pids/hearth-bus.stopped" ] || fail "bus not stopped with SIGTERM"
[ -f "$tmp/pids/hearth-router.stopped" ] || fail "router not stopped with SIGTERM"
kill -0 "$new" 2>/dev/null && fail "router still running"
grep -q "router_port" "$tmp/data/config/cc.yml" && fail "router_port written for a CC that lacks it"

# A CC that knows router_port (its --help-config lists it) gets the router's port in cc.yml.
cat >"$tmp/bin/hearth-cc" <<EOS
#!/usr/bin/env bash
[ "\${1:-}" = "--help" ] && exit 0
if [ "\${1:-}" = "--help-config" ]; then
    echo "KEY          TYPE  DEFAULT  DESCRIPTION"
    echo "router_port  int   80       the router's port in app URLs"
    exit 0
fi
echo \$\$ > "$tmp/pids/hearth-cc"
trap 'exit 0' TERM
while :; do sleep 0.1; done
EOS
chmod +x "$tmp/bin/hearth-cc"
rm -f "$tmp"/pids/*
"$tmp/bin/hearthd" --data-dir "$tmp/data" --port-base 31000 --services none >"$tmp/out" 2>&1 &
hd_pid=$!
wait_for "$tmp/pids/hearth-cc" || fail "cc stand-in not started"
grep -q "^router_port: 31000$" "$tmp/data/config/cc.yml" || fail "no router_port in cc.yml: $(cat "$tmp/data/config/cc.yml")"
kill -TERM "$hd_pid"
wait "$hd_pid" || fail "hearthd exited $? on SIGTERM"
hd_pid=""
# A misspelt service is refused at once (exit 2), not silently skipped.
status=0
"$tmp/bin/hearthd" --data-dir "$tmp/data2" --services postgres >"$tmp/out" 2>&1 || status=$?
[ "$status" = 2 ] || fail "unknown service: exit $status"
grep -q "unknown service \`postgres\`" "$tmp/out" || fail "unknown service: $(cat "$tmp/out")"
echo "hearthd supervision: ok"
