#!/usr/bin/env bash
# e2e (needs root): a hand-made droplet started by dea.UUID.start runs in a warden container,
# answers on its host port, is registered with the routers, gets the CF environment, is
# reported CRASHED (route gone) when killed, STOPPED by dea.stop, and survives a DEA restart.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
dea_start
echo "ok - DEA $DEA_ID advertises"

APP=app-$TAG
SHA=$(make_droplet "$HEARTH_SOURCE_DIR/tests/apps/python-http" "python3 app.py")
for i in 0 1; do
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "$APP" "$SHA" $i 128 "$APP.e2e.test")"
done
R0=$(bus_wait 60 "s=='router.register' and d['app']=='$APP' and d['uris']==['$APP.e2e.test']")
R1=$(bus_wait 60 "s=='router.register' and d['app']=='$APP' and d['private_instance_id']!=$(echo "$R0" | json_get 'repr(d["private_instance_id"])')")
echo "ok - two instances registered"
P0=$(echo "$R0" | json_get 'd["port"]')
P1=$(echo "$R1" | json_get 'd["port"]')
I0=$(echo "$R0" | json_get 'd["private_instance_id"]')
I1=$(echo "$R1" | json_get 'd["private_instance_id"]')
expect_eq "register host" "$(echo "$R0" | json_get 'd["host"]')" "127.0.0.1"
expect_eq "register dea" "$(echo "$R0" | json_get 'd["dea"]')" "$DEA_ID"
echo "$R0" | json_get 'd["tags"]["component"]' >/dev/null || wdn_fail "no tags"
for p in $P0 $P1; do
    curl -sf "http://127.0.0.1:$p/" | grep -q "hello from python" || wdn_fail "app on $p does not answer"
done
echo "ok - both instances answer on their host ports ($P0, $P1)"

ENVJ=$(curl -sf "http://127.0.0.1:$P0/env") || wdn_fail "no /env"
echo "$ENVJ" | python3 -c '
import json, sys
e = json.load(sys.stdin)
va = json.loads(e["VCAP_APPLICATION"]); vs = json.loads(e["VCAP_SERVICES"])
assert e["PORT"] == e["VCAP_APP_PORT"], e
assert va["port"] == int(e["PORT"]) and va["application_name"] == sys.argv[1], va
assert va["limits"]["mem"] == 128 and va["uris"] == va["application_uris"], va
assert va["instance_id"] == sys.argv[2] and va["instance_index"] in (0, 1), va
assert vs["postgresql"][0]["credentials"]["uri"] == "postgres://x", vs
assert e["GREETING"] == "hi there" and e["MEMORY_LIMIT"] == "128m", e
assert e["HOME"].startswith("/home/vcap"), e
' "$APP" "$(echo "$R0" | json_get 'd["private_instance_id"]')" 2>&1 || wdn_fail "bad environment"
echo "ok - PORT, VCAP_APPLICATION, VCAP_SERVICES, MEMORY_LIMIT and user env given"

bus_wait 30 "s=='dea.heartbeat' and d['dea']=='$DEA_ID' and [x['state'] for x in d['droplets'] if x['instance']=='$I0']==['RUNNING']" >/dev/null
echo "ok - heartbeat shows RUNNING"
bus_wait 30 "s=='dea.advertise' and d['id']=='$DEA_ID' and d['app_id_to_count'].get('$APP')==2" >/dev/null
echo "ok - advertise counts 2 instances"
FIND=$($BUS req "$NATS" dea.find.droplet "{\"droplet\":\"$APP\",\"include_stats\":true}" 2)
expect_eq "find.droplet answers for both" "$(echo "$FIND" | grep -c '"RUNNING"')" "2"
echo "$FIND" | head -1 | json_get 'd["stats"]["mem_quota"]' | grep -q 134217728 || wdn_fail "no stats"
echo "ok - dea.find.droplet with stats"
curl -sf -u u:p "http://127.0.0.1:$FILE_PORT/instances/$I0/logs" >/dev/null || wdn_fail "logs"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FILE_PORT/instances/$I0/logs")
expect_eq "file server needs credentials" "$code" "401"
code=$(curl -s -o /dev/null -w '%{http_code}' -u u:p --path-as-is "http://127.0.0.1:$FILE_PORT/instances/$I0/files/../../x")
[ "$code" = 403 ] || [ "$code" = 404 ] || wdn_fail "path escape answered $code"
echo "ok - file server: auth and path confinement"

# Crash: kill -9 the app inside instance 0's container.
wdn run "dea-$I0" -- pkill -9 -f app.py >/dev/null 2>&1
X=$(bus_wait 30 "s=='droplet.exited' and d['instance']=='$I0'")
expect_eq "crash reason" "$(echo "$X" | json_get 'd["reason"]')" "CRASHED"
expect_eq "crash exit status" "$(echo "$X" | json_get 'd["exit_status"]')" "137"
bus_wait 10 "s=='router.unregister' and d['private_instance_id']=='$I0' and d['port']==$P0" >/dev/null
echo "ok - kill -9 -> droplet.exited CRASHED (status 137) and route unregistered"
curl -sf "http://127.0.0.1:$P1/" >/dev/null || wdn_fail "instance 1 hurt by instance 0's crash"

# Restart: the DEA leaves apps running and re-attaches from its snapshot.
dea_stop
curl -sf "http://127.0.0.1:$P1/" >/dev/null || wdn_fail "app died with the DEA"
echo "ok - app keeps serving while the DEA is down"
N=$(wc -l <"$T/bus.jsonl")
OLD_ID=$DEA_ID
dea_start
R=$($BUS wait "$T/bus.jsonl" 30 "s=='router.register' and d['private_instance_id']=='$I1'" | tail -1)
[ -n "$R" ] || wdn_fail "no re-register after restart"
tail -n +"$N" "$T/bus.jsonl" | grep -q "router.register.*$I1" || wdn_fail "re-register not after restart"
expect_eq "re-attached instance keeps its port" "$(echo "$R" | json_get 'd["port"]')" "$P1"
echo "ok - restarted DEA re-attaches and re-registers (was $OLD_ID, now $DEA_ID)"

# Stop: the route goes first, the app answers what is in flight for stop_drain (1 s), then stops.
N=$(wc -l <"$T/bus.jsonl")
$BUS pub "$NATS" dea.stop "{\"droplet\":\"$APP\"}"
for _ in $(seq 100); do
    tail -n +"$((N + 1))" "$T/bus.jsonl" | grep -q "router.unregister.*$I1" && break
    sleep 0.05
done
tail -n +"$((N + 1))" "$T/bus.jsonl" | grep -q "router.unregister.*$I1" || wdn_fail "no router.unregister after dea.stop"
curl -sf -m 2 "http://127.0.0.1:$P1/" >/dev/null || wdn_fail "the app stopped with its route, no drain"
echo "ok - dea.stop removes the route first and the app still answers during stop_drain"
X=$(bus_wait 30 "s=='droplet.exited' and d['instance']=='$I1'")
expect_eq "stop reason" "$(echo "$X" | json_get 'd["reason"]')" "STOPPED"
for _ in $(seq 50); do wdn list | grep -q "dea-$I1" || break; sleep 0.1; done
wdn list | grep -q "dea-$I1" && wdn_fail "container left after stop"
echo "ok - dea.stop -> STOPPED, container destroyed"
echo "PASS"
