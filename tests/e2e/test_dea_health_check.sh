#!/usr/bin/env bash
# e2e (needs root): health_check_type in dea.UUID.start. An app (dea_probe_app.py) that
# listens at once but answers 503 on /health for its first 3 requests: with "http" /health it
# is registered only after /health answered 200 (the app counts the checks it saw); with
# "port" it is registered before any /health request. "process" runs (and routes) an app that
# never listens. An endpoint that never answers 2xx fails the start after start_timeout with a
# reason naming the check, and the container is destroyed. Once RUNNING, an http check goes on
# (health_check.interval, 500 ms here): the healthy app keeps running while checked, and one
# whose endpoint turns to 503 is crashed after 3 failures in a row (health_check.failures),
# its route removed.
DEA_START_TIMEOUT=6s
DEA_EXTRA_YAML="health_check: {interval: 500ms, failures: 3}"
. "$(dirname "$0")/dea_lib.sh"
wdn_start
dea_start

mkdir -p "$T/hcapp"
cp "$(dirname "$0")/dea_probe_app.py" "$T/hcapp/app.py"
SHA=$(make_droplet "$T/hcapp" "python3 app.py")
SLEEPER=$(make_droplet "$HEARTH_SOURCE_DIR/tests/apps/never-listens" "sleep 100000")

# start APP SHA EXTRA_JSON: a start message with the health check fields of EXTRA_JSON.
start() {
    local msg
    msg=$(start_msg "$1" "$2" 0 128 "$1.e2e.test" | python3 -c '
import json, sys
d = json.load(sys.stdin); d.update(json.loads(sys.argv[1])); print(json.dumps(d))' "$3")
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$msg"
}
seen() { curl -sf "http://127.0.0.1:$1/seen" || wdn_fail "no /seen on $1"; }

# http: registered only once /health answered 200, after its three 503s.
HTTP_APP=http-$TAG
start "$HTTP_APP" "$SHA" '{"health_check_type":"http","health_check_http_endpoint":"/health"}'
R=$(bus_wait 30 "s=='router.register' and d['app']=='$HTTP_APP'")
P=$(echo "$R" | json_get 'd["port"]')
S=$(seen "$P")
# 3 x 503, then the 200 that made it RUNNING (and the liveness checks since, every 500 ms).
N=$(echo "$S" | json_get 'd["health"]')
[ "$N" -ge 4 ] && [ "$N" -le 12 ] || wdn_fail "http: $N /health checks before the route, want 4"
echo "ok - http: registered after the 4th /health (3 x 503, then 200)"
expect_eq "http: Host of the check is the app's uri" "$(echo "$S" | json_get 'd["host"]')" \
    "$HTTP_APP.e2e.test"
I=$(echo "$R" | json_get 'd["private_instance_id"]')
bus_wait 30 "s=='dea.heartbeat' and [x['state'] for x in d['droplets'] if x['instance']=='$I']==['RUNNING']" >/dev/null
echo "ok - http: RUNNING in the heartbeat"

# port (the default, field absent): registered as soon as the port opens, no /health asked.
PORT_APP=port-$TAG
start "$PORT_APP" "$SHA" '{}'
R=$(bus_wait 30 "s=='router.register' and d['app']=='$PORT_APP'")
S=$(seen "$(echo "$R" | json_get 'd["port"]')")
expect_eq "port: registered before any /health" "$(echo "$S" | json_get 'd["health"]')" 0

# process: an app that never listens is RUNNING and routed once spawned.
PROC_APP=proc-$TAG
start "$PROC_APP" "$SLEEPER" '{"health_check_type":"process"}'
R=$(bus_wait 30 "s=='router.register' and d['app']=='$PROC_APP'")
I=$(echo "$R" | json_get 'd["private_instance_id"]')
bus_wait 30 "s=='dea.heartbeat' and [x['state'] for x in d['droplets'] if x['instance']=='$I']==['RUNNING']" >/dev/null
echo "ok - process: an app that never listens runs and is routed"

# http on an endpoint that never answers 2xx: the start fails, naming the check.
BAD_APP=bad-$TAG
start "$BAD_APP" "$SHA" '{"health_check_type":"http","health_check_http_endpoint":"/never"}'
X=$(bus_wait 40 "s=='droplet.exited' and d['droplet']=='$BAD_APP'")
expect_eq "never 2xx: CRASHED" "$(echo "$X" | json_get 'd["reason"]')" CRASHED
expect_eq "never 2xx: the reason names the check" \
    "$(echo "$X" | json_get 'd["exit_description"]')" "health check GET /never: HTTP 503"
grep -q "router.register.*$BAD_APP" "$T/bus.jsonl" && wdn_fail "a failing app was registered"
I=$(echo "$X" | json_get 'd["instance"]')
for _ in $(seq 50); do wdn list | grep -q "dea-$I" || break; sleep 0.1; done
wdn list | grep -q "dea-$I" && wdn_fail "container left after the failed start"
echo "ok - never 2xx: not registered, container destroyed"

# Liveness: the healthy http app was checked on after it ran, and still runs.
N=$(seen "$P" | json_get 'd["health"]')
[ "$N" -gt 6 ] || wdn_fail "http: only $N /health checks: no liveness checks after RUNNING"
grep -q "droplet.exited.*$HTTP_APP" "$T/bus.jsonl" && wdn_fail "the healthy app exited"
echo "ok - liveness: the healthy app is checked on ($N checks) and keeps running"

# /flip answers 200 twice (RUNNING, one liveness check), then 503: crashed after 3 in a row.
SICK_APP=sick-$TAG
start "$SICK_APP" "$SHA" '{"health_check_type":"http","health_check_http_endpoint":"/flip"}'
R=$(bus_wait 30 "s=='router.register' and d['app']=='$SICK_APP'")
I=$(echo "$R" | json_get 'd["private_instance_id"]')
X=$(bus_wait 30 "s=='droplet.exited' and d['instance']=='$I'")
expect_eq "sick: CRASHED" "$(echo "$X" | json_get 'd["reason"]')" CRASHED
expect_eq "sick: the reason names the check" "$(echo "$X" | json_get 'd["exit_description"]')" \
    "health check GET /flip failed 3 times in a row: HTTP 503"
bus_wait 10 "s=='router.unregister' and d.get('private_instance_id')=='$I'" >/dev/null
for _ in $(seq 50); do wdn list | grep -q "dea-$I" || break; sleep 0.1; done
wdn list | grep -q "dea-$I" && wdn_fail "container left after the failed health check"
echo "ok - liveness: 3 failed checks in a row crash it, route removed, container destroyed"

echo "PASS"
