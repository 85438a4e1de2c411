#!/usr/bin/env bash
# e2e (needs root): warm containers (warm_containers: 1). The DEA keeps one container created
# ahead; a start takes it, gives it the app's memory and disk limits, and runs the app in it
# (answering, limits as asked), and a new warm one is made. A restarted DEA destroys the warm
# container the previous process left, re-attaches the app, and makes a new warm one; a
# stopped app leaves no container; warm_containers: 0 creates none.
. "$(dirname "$0")/dea_lib.sh"
wdn_start
DEA_EXTRA_YAML="warm_containers: 1" dea_start
H=none # the app's container, once it has taken one (its handle also starts with dea-w)
warm() { wdn list | grep '^dea-w' | grep -vx "$H" || true; }
for _ in $(seq 100); do [ -n "$(warm)" ] && break; sleep 0.1; done
W1=$(warm)
[ "$(echo "$W1" | grep -c .)" = 1 ] || wdn_fail "expected one warm container, got: $W1"
echo "ok - one warm container made ahead"

A="$HEARTH_SOURCE_DIR/tests/apps"
SHA=$(make_droplet "$A/python-http" "python3 app.py")
APP=pool-$TAG
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg "$APP" "$SHA" 0 128 pool.e2e.test)"
PORT=$(bus_wait 60 "s=='router.register' and d['app']=='$APP'" | json_get 'd["port"]')
curl -sf "http://127.0.0.1:$PORT/" | grep -q "hello from python" || wdn_fail "app does not answer"
H=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][0]["handle"])' "$T/dea/snapshot.json")
expect_eq "the app runs in the warm container" "$H" "$W1"
wdn info "$H" | python3 -c '
import json, sys
i = json.load(sys.stdin)
assert i["limits"]["memory_in_bytes"] == 128 << 20, i["limits"]
assert i["limits"]["disk_in_bytes"] == 64 << 20, i["limits"]
assert i["memory_stat"]["limit_in_bytes"] == 128 << 20, i["memory_stat"]
assert 60 << 20 <= i["disk_stat"]["byte_limit"] <= 68 << 20, i["disk_stat"]
' || wdn_fail "the warm container did not get the app's limits"
echo "ok - it was given the app's memory (128 MB) and disk (64 MB) limits"
for _ in $(seq 100); do [ -n "$(warm)" ] && break; sleep 0.1; done
W2=$(warm)
[ -n "$W2" ] && [ "$W2" != "$W1" ] || wdn_fail "no new warm container: '$W2'"
echo "ok - a new warm container replaces the one taken"

dea_stop
DEA_EXTRA_YAML="warm_containers: 1" dea_start
for _ in $(seq 100); do warm | grep -qx "$W2" || break; sleep 0.1; done
warm | grep -qx "$W2" && wdn_fail "the previous DEA's warm container was not destroyed"
for _ in $(seq 100); do [ -n "$(warm)" ] && break; sleep 0.1; done
[ -n "$(warm)" ] || wdn_fail "the restarted DEA made no warm container"
curl -sf "http://127.0.0.1:$PORT/" | grep -q "hello from python" || wdn_fail "app lost in the restart"
bus_wait 30 "s=='router.register' and d['app']=='$APP' and d['port']==$PORT" >/dev/null
echo "ok - a restarted DEA destroys the old warm container, re-attaches the app, makes a new one"

$BUS pub "$NATS" dea.stop "{\"droplet\":\"$APP\"}"
for _ in $(seq 50); do wdn list | grep -qx "$H" || break; sleep 0.1; done
wdn list | grep -qx "$H" && wdn_fail "container left after stop"
echo "ok - a stopped app leaves no container"

dea_stop
for h in $(warm); do wdn destroy "$h" >/dev/null; done
DEA_EXTRA_YAML="warm_containers: 0" dea_start
sleep 1
[ -z "$(warm)" ] || wdn_fail "warm_containers: 0 made some"
echo "ok - warm_containers: 0 makes none"
echo PASS
