#!/usr/bin/env bash
# needs: root
# The newcomer's path, with only hearthd and the CLI (root: apps run in containers): a fresh
# data dir and HEARTH_HOME, hearthd on a free port range, register, push the Flask app and the
# static site, both answer through the router by Host header, scale Flask to 3 and see 3
# RUNNING in `hearth stats` (and --json), restart, `hearth logs --recent` shows the app's own
# output, create a Redis service and bind it: the app sees it in VCAP_SERVICES (GET /env),
# delete the apps and the service: no container is left. Everything is cleaned up on failure.
set -euo pipefail
bin=${HEARTH_BIN_DIR:?}
src=${HEARTH_SOURCE_DIR:?}
if [ "$(id -u)" != 0 ]; then
    echo "skipped: apps run in containers, which need root"
    exit 0
fi
tmp=$(mktemp -d)
chmod 711 "$tmp"
export HEARTH_HOME="$tmp/home"
t0=$(date +%s)
. "$(cd "$(dirname "$0")" && pwd)/lib/cloud.sh"

cleanup() {
    local rc=$?
    set +e
    cloud_cleanup
    if [ "$rc" != 0 ]; then
        for f in "$tmp"/*.out "$tmp"/out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
        for f in "$tmp"/data/logs/*.log; do echo "--- $f" >&2; tail -n 12 "$f" >&2; done
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() { echo "ok - $* ($(($(date +%s) - t0)) s)"; }
h() { "$bin/hearth" "$@"; }
# get HOST PATH: the body of GET PATH through the router with Host: HOST.localhost
get() { curl -s -m 10 -H "Host: $1.localhost" "http://127.0.0.1:$base$2"; }
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Host: $1.localhost" "http://127.0.0.1:$base$2"; }
wait_for() { # wait_for SECONDS CMD...: retries CMD every 0.2 s
    local n=$(($1 * 5))
    shift
    while ((n-- > 0)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

# Only Redis among the backing services: the others are not used here and cost boot time.
cloud_boot "$tmp/data" "$tmp/out" --services redis
base=$CLOUD_BASE
ok "hearthd ready on port base $base"

h target "http://127.0.0.1:$((base + 5))" >/dev/null || fail "hearth target"
h register newcomer@example.test -p "newcomer-$RANDOM-pw" >"$tmp/register.out" 2>&1 ||
    fail "register: $(cat "$tmp/register.out")"
ok "registered and logged in"

flask=flask$RANDOM
site=site$RANDOM
cp -r "$src/tests/apps/flask" "$tmp/flask"
cp -r "$src/tests/apps/static" "$tmp/static"
# This machine has no route to a package index: pip is told so (else it retries for a minute)
# and the buildpack uses the host's python3-flask, which containers see.
(cd "$tmp/flask" && h push "$flask" --env PIP_NO_INDEX=1) >"$tmp/push-flask.out" 2>&1 || fail "push flask"
(cd "$tmp/static" && h push "$site") >"$tmp/push-static.out" 2>&1 || fail "push static"
grep -q "is at http://$flask.localhost" "$tmp/push-flask.out" || fail "push did not print the URL"
says_hello() { get "$flask" / | grep -q "hello from flask"; }
site_ok() { [ "$(code "$site" /)" = 200 ]; }
wait_for 30 says_hello || fail "flask: $(get "$flask" /)"
wait_for 30 site_ok || fail "static: HTTP $(code "$site" /)"
diff <(get "$site" /) "$tmp/static/index.html" >/dev/null || fail "static: not index.html"
ok "Flask and the static site answer through the router"

h scale "$flask" -i 3 >"$tmp/scale.out" 2>&1 || fail "scale"
running() { h stats "$flask" --json | jq '[.[] | select(.state == "RUNNING")] | length'; }
running_is() { [ "$(running 2>/dev/null)" = "$1" ]; }
wait_for 90 running_is 3 || fail "stats --json: $(h stats "$flask" --json)"
h stats "$flask" >"$tmp/stats.out"
[ "$(grep -c RUNNING "$tmp/stats.out")" = 3 ] || fail "stats: $(cat "$tmp/stats.out")"
ok "scaled to 3: 3 RUNNING in stats and stats --json"
# Every index answers, through the one route.
seen=""
for _ in $(seq 1 60); do
    seen=$(sort -u <<<"$seen"$'\n'"$(get "$flask" / | sed -n 's/.*index \([0-9]\).*/\1/p')")
    [ "$(grep -c . <<<"$seen")" = 3 ] && break
done
[ "$(grep -c . <<<"$seen")" = 3 ] || fail "instances answering: $seen"
ok "the router spreads requests over the 3 instances"

h restart "$flask" >"$tmp/restart.out" 2>&1 || fail "restart: $(cat "$tmp/restart.out")"
wait_for 60 running_is 3 || fail "after restart: $(h stats "$flask" --json)"
wait_for 30 says_hello || fail "flask after restart"
get "$flask" /newcomer-was-here >/dev/null
logs_show() {
    h logs "$flask" --recent >"$tmp/logs.out" 2>&1 && grep -q "newcomer-was-here" "$tmp/logs.out"
}
# Instance logs are logs/stdout.log and logs/stderr.log in the instance dir (peers contract).
# A DEA that still writes the older single logs/app.log cannot serve them: said, not failed.
if compgen -G "$tmp/data/dea/instances/*/logs/stdout.log" >/dev/null; then
    wait_for 20 logs_show || fail "logs --recent lacks the app's request log: $(cat "$tmp/logs.out")"
    # The python buildpack serves a WSGI app with gunicorn (Flask's own server where it is absent).
    grep -q "Listening at\|Running on\|Serving Flask app" "$tmp/logs.out" ||
        fail "logs --recent lacks the server's start lines: $(cat "$tmp/logs.out")"
    ok "restarted; logs --recent shows the app's output"
else
    h logs "$flask" --recent >"$tmp/logs.out" 2>&1 || fail "logs --recent: $(cat "$tmp/logs.out")"
    grep -q "^\[staging\]" "$tmp/logs.out" || fail "logs --recent lacks the staging log"
    ok "restarted; logs --recent shows the staging log (SKIPPED the app's output: this DEA has no logs/stdout.log)"
fi

# The CC reads the broker's catalog once the broker (started last) answers.
market_has_redis() { h marketplace >"$tmp/market.out" 2>&1 && grep -q "^redis" "$tmp/market.out"; }
wait_for 30 market_has_redis || fail "no redis in the marketplace: $(cat "$tmp/market.out")"
h create-service redis cache >"$tmp/svc.out" 2>&1 || fail "create-service: $(cat "$tmp/svc.out")"
h bind-service "$flask" cache >"$tmp/bind.out" 2>&1 || fail "bind-service: $(cat "$tmp/bind.out")"
h restart "$flask" >"$tmp/restart2.out" 2>&1 || fail "restart after bind: $(cat "$tmp/restart2.out")"
has_redis() {
    get "$flask" /env | jq -e '.VCAP_SERVICES | fromjson | .redis[0].credentials.password' >/dev/null
}
wait_for 30 has_redis || fail "VCAP_SERVICES without redis: $(get "$flask" /env)"
# The app itself reaches redis from its container with the credentials it was given.
pong=$(get "$flask" /redis)
[ "$pong" = +PONG ] || fail "the bound redis does not answer the app with its credentials: $pong"
ok "bound redis in the app's VCAP_SERVICES, and it answers with those credentials"

h delete -f "$flask" "$site" >"$tmp/delete.out" 2>&1 || fail "delete: $(cat "$tmp/delete.out")"
h delete-service -f cache >"$tmp/delsvc.out" 2>&1 || fail "delete-service: $(cat "$tmp/delsvc.out")"
left=x
for _ in $(seq 1 100); do
    left=$("${WARDEN[@]}" list 2>&1) || true
    [ -z "$left" ] && break
    sleep 0.2
done
[ -z "$left" ] || fail "containers left after the apps were deleted: $left"
[ "$(h apps --json)" = "[]" ] || fail "apps left: $(h apps --json)"
ok "apps and service deleted, no container left"

kill -TERM "$CLOUD_HD_PID"
status=0
wait "$CLOUD_HD_PID" || status=$?
CLOUD_HD_PID=""
[ "$status" = 0 ] || fail "hearthd exited $status on SIGTERM"
ok "hearthd stopped"
