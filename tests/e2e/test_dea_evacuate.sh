#!/usr/bin/env bash
# e2e (needs root): SIGTERM evacuates: droplet.exited DEA_EVACUATION at once while the app
# keeps serving, then after evacuation_delay the route is removed, evacuation_drain later the
# container is destroyed and the DEA exits. The evacuated instance is no longer reported
# (heartbeats, find.droplet): it was announced as exited and its replacement runs elsewhere.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
DEA_EXTRA_YAML="evacuation_delay: 2s
evacuation_drain: 3s" dea_start
APP=evac-$TAG
SHA=$(make_droplet "$HEARTH_SOURCE_DIR/tests/apps/python-http" "python3 app.py")
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "$APP" "$SHA" 0 128 "$APP.e2e.test")"
R=$(bus_wait 60 "s=='router.register' and d['app']=='$APP'")
P=$(echo "$R" | json_get 'd["port"]')
I=$(echo "$R" | json_get 'd["private_instance_id"]')
$BUS req "$NATS" dea.find.droplet "{\"droplet\":\"$APP\"}" 2 1 | grep -q "$I" ||
    wdn_fail "find.droplet does not answer for the running instance"
kill -TERM "$DEA_PID" # SIGTERM evacuates (SIGUSR2 too, as in v1: test_hm_evacuate)
X=$(bus_wait 10 "s=='droplet.exited' and d['instance']=='$I'")
LINE=$(grep -n "droplet.exited.*$I" "$T/bus.jsonl" | cut -d: -f1)
expect_eq "evacuation reason" "$(echo "$X" | json_get 'd["reason"]')" "DEA_EVACUATION"
curl -sf "http://127.0.0.1:$P/" >/dev/null || wdn_fail "app stopped serving at once"
echo "ok - still serving during the evacuation delay"
F=$($BUS req "$NATS" dea.find.droplet "{\"droplet\":\"$APP\"}" 1)
[ -z "$F" ] || wdn_fail "find.droplet still answers for the evacuated instance: $F"
echo "ok - find.droplet no longer answers for the evacuated instance"
bus_wait 15 "s=='router.unregister' and d['private_instance_id']=='$I'" >/dev/null
curl -sf "http://127.0.0.1:$P/" >/dev/null || wdn_fail "app stopped at once with its route removed"
echo "ok - route removed first, the app still answers what the routers have in flight"
for _ in $(seq 100); do kill -0 "$DEA_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DEA_PID" 2>/dev/null && wdn_fail "DEA still running after evacuation"
DEA_PID=""
n=$(tail -n +"$((LINE + 1))" "$T/bus.jsonl" | grep '"dea.heartbeat"' | grep -c "$I")
expect_eq "heartbeats listing the instance after DEA_EVACUATION" "$n" "0"
for _ in $(seq 50); do wdn list | grep -q "dea-$I" || break; sleep 0.1; done
wdn list | grep -q "dea-$I" && wdn_fail "container left after evacuation"
n=$(grep -c "droplet.exited.*$I" "$T/bus.jsonl")
expect_eq "one droplet.exited for the evacuated instance" "$n" "1"
echo "ok - route removed, container destroyed, DEA exited"
echo PASS
