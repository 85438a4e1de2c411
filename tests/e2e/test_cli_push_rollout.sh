#!/usr/bin/env bash
# needs: root
# A push does not take the app down (the whole micro cloud, hearthd). An app with 2 instances
# answers v1 through the router while a client sends it requests without pause; pushing v2
# keeps every request answered (no 404, 502 or 503, no connection error): the old instances
# serve while the new droplet stages and starts, the router then sees both versions, and the
# old instances are stopped once the new ones run, their routes taken away first. Afterwards
# only v2 answers and exactly the 2 new containers are left. A push whose staging fails
# (no buildpack detects the folder) is reported as failed and leaves v2 serving, again
# without a failed request. Before that, `hearth releases` lists v1 and v2 (current), and
# `hearth rollback` puts v1 back the same way (no staging: its droplet is kept), recorded as
# release v3 "Rollback to v1"; a rollback to v2 and a new environment variable roll out the
# same way too: new containers replace the old ones and no request fails; the variable is a
# release. An unknown release is refused with the CC's message.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cli_lib.sh"
. "$HERE/lib/cloud.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: app containers need root"; exit 0; }
HAMMER=""
on_exit() {
    local rc=$?
    [ -n "$HAMMER" ] && kill "$HAMMER" 2>/dev/null && wait "$HAMMER" 2>/dev/null
    if [ "$rc" != 0 ] && [ -n "$CLOUD_DATA" ]; then
        for f in "$CLOUD_DATA"/logs/*.log; do echo "--- $f"; tail -n 20 "$f"; done
    fi
    cloud_cleanup
    (exit "$rc")
    cleanup
}
trap on_exit EXIT

cloud_start
APP=roll$RANDOM
site() { # site DIR TEXT: a static site whose index.html says TEXT
    mkdir -p "$1"
    echo "$2" >"$1/index.html"
}
site "$T/v1" v1
ok push "$APP" -p "$T/v1" -i 2 --timeout 120
for _ in $(seq 1 100); do
    cloud_get "$APP" /
    [ "$CLOUD_BODY" = v1 ] && break
    sleep 0.1
done
[ "$CLOUD_BODY" = v1 ] || fail "v1 does not answer: $CLOUD_STATUS $CLOUD_BODY"
echo "ok - v1 answers with 2 instances"

# hammer: GET / through the router without pause (a new connection each time, like most
# clients after an idle moment), one line "STATUS BODY" per request, until $T/stop exists.
python3 - "$CLOUD_BASE" "$APP.localhost" "$T/stop" >"$T/hammer.log" 2>&1 <<'PY' &
import http.client, os, sys
port, host, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
while not os.path.exists(stop):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/", headers={"Host": host})
        r = c.getresponse()
        body = r.read().decode(errors="replace").strip()
        print(r.status, body, flush=True)
        c.close()
    except Exception as e:
        print("ERR", type(e).__name__, e, flush=True)
PY
HAMMER=$!

# verdict FROM: lines of the hammer's log from line FROM on: fails on anything but 200.
verdict() {
    local bad
    bad=$(tail -n +"$1" "$T/hammer.log" | grep -v '^200 ' | head -5)
    [ -z "$bad" ] || fail "requests failed during the push: $bad"
}
sleep 0.5
site "$T/v2" v2
ok push "$APP" -p "$T/v2" --timeout 120
# The push returns once v2 runs; the cut-over stops v1 a moment later.
for _ in $(seq 1 100); do
    n=$("${WARDEN[@]}" list 2>/dev/null | grep -c . || true)
    [ "$n" = 2 ] && break
    sleep 0.2
done
[ "$n" = 2 ] || fail "containers after the cut-over: $n, want 2"
sleep 1.5
lines=$(wc -l <"$T/hammer.log")
v1=$(grep -c '^200 v1$' "$T/hammer.log")
v2=$(grep -c '^200 v2$' "$T/hammer.log")
verdict 1
[ "$v1" -gt 0 ] && [ "$v2" -gt 0 ] || fail "the client saw v1 $v1 times and v2 $v2 times"
[ "$(tail -n 1 "$T/hammer.log")" = "200 v2" ] || fail "the last answer is not v2: $(tail -n 1 "$T/hammer.log")"
echo "ok - pushed v2: $lines requests, none failed ($v1 x v1, then v2); 2 containers left"

# await_replaced OLD: until 2 containers run and none of OLD (the list before) is left.
await_replaced() {
    for _ in $(seq 1 150); do
        now=$("${WARDEN[@]}" list 2>/dev/null | sort)
        [ "$(grep -c . <<<"$now")" = 2 ] && [ -z "$(comm -12 <(echo "$1") <(echo "$now"))" ] && return 0
        sleep 0.2
    done
    fail "containers $(echo $now), before $(echo $1)"
}

ok releases "$APP"
grep -q '^v2 (current) .*Deploy ' "$T/out" && grep -q '^v1  .*Deploy ' "$T/out" ||
    fail "releases after two pushes: $(cat "$T/out")"
echo "ok - releases: v1 and v2 deployed, v2 current"

# Rollback to v1 (the release before the current one): v1's droplet replaces v2.
old=$("${WARDEN[@]}" list 2>/dev/null | sort)
from=$(wc -l <"$T/hammer.log")
ok rollback "$APP"
grep -q "Rolled back $APP to v1 (now release v3)" "$T/out" && grep -q "no downtime" "$T/out" ||
    fail "rollback output: $(cat "$T/out")"
await_replaced "$old"
sleep 1
verdict "$from"
[ "$(tail -n 1 "$T/hammer.log")" = "200 v1" ] || fail "after the rollback: $(tail -n 1 "$T/hammer.log")"
ok releases "$APP"
grep -q '^v3 (current) .*Rollback to v1' "$T/out" || fail "releases after the rollback: $(cat "$T/out")"
echo "ok - rollback: v1 answers again, no request failed, release v3 \"Rollback to v1\""

expect_rc 1 rollback "$APP" v99
grep -q "Release v99 not found" "$T/err" || fail "unknown release: $(cat "$T/err")"
old=$("${WARDEN[@]}" list 2>/dev/null | sort)
from=$(wc -l <"$T/hammer.log")
ok rollback "$APP" v2
await_replaced "$old"
sleep 1
verdict "$from"
[ "$(tail -n 1 "$T/hammer.log")" = "200 v2" ] || fail "after rollback v2: $(tail -n 1 "$T/hammer.log")"
echo "ok - rollback to v2 (v4), no request failed; an unknown release exits 1 with the CC's message"

# A new environment: a new version of the same droplet replaces the 2 containers.
old=$("${WARDEN[@]}" list 2>/dev/null | sort)
from=$(wc -l <"$T/hammer.log")
ok set-env "$APP" GREETING rolled
await_replaced "$old"
sleep 1
verdict "$from"
ok releases "$APP"
grep -q '^v5 (current) .*Set GREETING' "$T/out" || fail "releases after set-env: $(cat "$T/out")"
echo "ok - set-env: 2 new containers replaced the old ones, no request failed; release v5"
# A staging that fails leaves v2 serving.
mkdir -p "$T/broken"
echo "no buildpack detects this" >"$T/broken/notes.txt"
from=$(wc -l <"$T/hammer.log")
expect_rc 1 push "$APP" -p "$T/broken" --timeout 60
grep -q "staging $APP failed" "$T/err" || fail "the failed staging is not reported: $(cat "$T/err")"
sleep 1
verdict "$from"
[ "$(tail -n 1 "$T/hammer.log")" = "200 v2" ] || fail "after a failed staging: $(tail -n 1 "$T/hammer.log")"
n=$("${WARDEN[@]}" list 2>/dev/null | grep -c . || true)
[ "$n" = 2 ] || fail "containers after the failed staging: $n, want 2"
echo "ok - a failed staging: reported, v2 kept serving, no request failed"

touch "$T/stop"
wait "$HAMMER"
HAMMER=""
