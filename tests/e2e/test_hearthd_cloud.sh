#!/usr/bin/env bash
# needs: root
# The micro cloud with the real daemons: hearthd starts every built daemon on a shifted port
# range, the API answers through the router at api.localhost, the admin it created can log in
# with the CLI, an app pushed through it answers, is restarted after its process is killed
# and leaves no container once deleted (as root), and SIGTERM stops every daemon it started.
set -euo pipefail
bin=${HEARTH_BIN_DIR:?}
tmp=$(mktemp -d)
. "$(cd "$(dirname "$0")" && pwd)/lib/cloud.sh"
cleanup() {
    cloud_cleanup
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    cat "$tmp/out" >&2 || true
    for f in "$tmp"/data/logs/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
    exit 1
}

cloud_boot "$tmp/data" "$tmp/out" --services redis
base=$CLOUD_BASE
# The CC's route reaches the router over the bus.
cloud_wait_api

# The admin hearthd made can log in and list (no) apps.
email=$(jq -r .admin_email "$tmp/data/secrets.json")
password=$(jq -r .admin_password "$tmp/data/secrets.json")
[ "$(stat -c %a "$tmp/data/secrets.json")" = 600 ] || fail "secrets.json is not 0600"
export HEARTH_HOME="$tmp/home"
"$bin/hearth" target "http://127.0.0.1:$((base + 5))" >/dev/null || fail "hearth target"
"$bin/hearth" login "$email" -p "$password" >/dev/null || fail "hearth login as the admin"
[ "$("$bin/hearth" apps --json)" = "[]" ] || fail "apps: $("$bin/hearth" apps --json)"
# An app pushed through the cloud answers through the router; when its process is killed the
# DEA notices, the HM has it restarted, and deleting it leaves no container behind (staging
# containers included).
app_pid() {
    local p h
    for h in $("${WARDEN[@]}" list 2>/dev/null); do
        case "$h" in dea-*) ;; *) continue ;; esac
        for p in $(pgrep -f '^python3 .*hearth-static.py' || true); do
            grep -q "$h" "/proc/$p/cgroup" 2>/dev/null && { echo "$p"; return 0; }
        done
    done
    return 1
}
answers() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $1.localhost" "http://127.0.0.1:$base/")" = 200 ]
}
if [ "$(id -u)" != 0 ]; then
    echo "skipped the app push part: containers need root"
else
    app=hdcloud$RANDOM
    # "ready" means the API answers; warden may still be setting up its containers' root.
    for _ in $(seq 1 300); do "${WARDEN[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
    cp -r "$HEARTH_SOURCE_DIR/tests/apps/static" "$tmp/site"
    (cd "$tmp/site" && "$bin/hearth" push "$app" >"$tmp/push.out" 2>&1) ||
        fail "push: $(cat "$tmp/push.out")"
    for _ in $(seq 1 100); do answers "$app" && break; sleep 0.1; done
    answers "$app" || fail "the pushed app does not answer through the router"
    pid=$(app_pid) || fail "cannot find the app's process"
    kill -9 "$pid"
    restarted=0
    for _ in $(seq 1 300); do
        npid=$(app_pid || true)
        if [ -n "$npid" ] && [ "$npid" != "$pid" ] && answers "$app"; then restarted=1; break; fi
        sleep 0.1
    done
    [ "$restarted" = 1 ] || fail "the app was not restarted within 30 s after its process was killed"
    "$bin/hearth" delete "$app" >/dev/null || fail "hearth delete"
    left="x"
    for _ in $(seq 1 100); do
        left=$("${WARDEN[@]}" list 2>&1) || true
        [ -z "$left" ] && break
        sleep 0.1
    done
    [ -z "$left" ] || fail "containers left after the app was deleted: $left"
fi

if "$bin/hearth" login "$email" -p wrong >/dev/null 2>&1; then fail "wrong password accepted"; fi

# SIGTERM: hearthd exits 0 and every daemon it started is gone.
pids=$(sed -n 's/.*msg="component started".* pid=\([0-9]*\).*/\1/p' "$tmp/out")
[ -n "$pids" ] || fail "no component started"
kill -TERM "$CLOUD_HD_PID"
status=0
wait "$CLOUD_HD_PID" || status=$?
CLOUD_HD_PID=""
[ "$status" -eq 0 ] || fail "hearthd exited $status"
for pid in $pids; do
    kill -0 "$pid" 2>/dev/null && fail "daemon $pid still running after hearthd stopped"
done
echo "hearthd micro cloud: ok"
