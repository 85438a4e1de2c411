#!/usr/bin/env bash
# e2e (needs root): the whole crash path with real daemons: nats-server, hearth-warden,
# hearth-dea, hearth-cc and hearth-hm (a stand-in only stages, since no buildpack ships yet).
# kill -9 of the app inside its container -> droplet.exited CRASHED -> the HM's START -> the
# CC's dea.UUID.start -> a new instance answering on its port.
. "$(dirname "$0")/dea_lib.sh"
eval "orig_$(declare -f wdn_fail)"
wdn_fail() {
    for f in cc hm stager; do echo "--- $f log (tail)"; tail -15 "$T/$f.log" 2>/dev/null; done
    orig_wdn_fail "$@"
}
wdn_start
dea_start
SHA=$(make_droplet "$HEARTH_SOURCE_DIR/tests/apps/python-http" "python3 app.py")
python3 "$HEARTH_SOURCE_DIR/tests/e2e/hm_dea.py" "$NATS" stager "$T/stager.jsonl" 2 \
    "$T/www/$SHA.tgz" 2>>"$T/stager.log" &
EXTRA_PIDS="$EXTRA_PIDS $!"

CC_PORT=$(free_port)
CC_URL="http://127.0.0.1:$CC_PORT"
printf 'auth:\n  pwhash_memlimit: 64K\n  pwhash_opslimit: 1\n' >"$T/cc.yml"
"$HEARTH_BIN_DIR/hearth-cc" -c "$T/cc.yml" --port "$CC_PORT" --data-dir "$T/cc" \
    --nats "nats://$NATS" >>"$T/cc.log" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
HM_PORT=$(free_port)
cat >"$T/hm.yml" <<YML
status: {port: $HM_PORT, user: st, password: stpw}
intervals: {heartbeat: 2s, analysis: 100ms, desired_refresh: 500ms, desired_max_age: 5s, restart_timeout: 5s, lease: 300ms}
YML
"$HEARTH_BIN_DIR/hearth-hm" -c "$T/hm.yml" --nats "nats://$NATS" --cc "$CC_URL" \
    >>"$T/hm.log" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
for _ in $(seq 100); do curl -s -o /dev/null "$CC_URL/info" && break; sleep 0.1; done
bus_wait 20 "s=='dea.advertise' and d['id']=='stager'" >/dev/null
sleep 0.5 # the CC has heard the stager's advertisement too

api() { # METHOD PATH TOKEN BODY -> $BODY
    BODY=$(curl -s -X "$1" ${3:+-H "Authorization: bearer $3"} \
        ${4:+-H "Content-Type: application/json" --data-binary "$4"} "$CC_URL$2")
}
api POST /users "" '{"email":"hm@x.com","password":"pw"}'
api POST /users/hm@x.com/tokens "" '{"password":"pw"}'
TOK=$(echo "$BODY" | json_get 'd["token"]')
api POST /apps "$TOK" '{"name":"web","instances":1,"uris":["web.hm.test"],"resources":{"memory":128}}'
mkdir -p "$T/src" && echo hi >"$T/src/index.html" && (cd "$T/src" && zip -qr "$T/app.zip" .)
curl -sf -o /dev/null -X PUT -H "Authorization: bearer $TOK" -F "application=@$T/app.zip" \
    -F 'resources=[]' "$CC_URL/apps/web/application" || wdn_fail "upload"
api PUT /apps/web "$TOK" '{"state":"STARTED"}'
R0=$(bus_wait 60 "s=='router.register' and d.get('dea')=='$DEA_ID'")
I0=$(echo "$R0" | json_get 'd["private_instance_id"]')
P0=$(echo "$R0" | json_get 'd["port"]')
curl -sf "http://127.0.0.1:$P0/" | grep -q "hello from python" ||
    wdn_fail "app does not answer on $P0 ($R0): $(curl -s "http://127.0.0.1:$P0/" 2>&1)"
echo "ok - app staged by the CC, started on the real DEA ($I0)"

T_KILL=$(date +%s.%N)
wdn run "dea-$I0" -- pkill -9 -f app.py >/dev/null 2>&1
bus_wait 30 "s=='droplet.exited' and d['instance']=='$I0' and d['reason']=='CRASHED'" >/dev/null
S=$(bus_wait 30 "s=='cloudcontrollers.hm.requests' and d['op']=='START' and d['indices']==[0]")
echo "$S" | json_get 'd.get("flapping", False)' | grep -q False || wdn_fail "first crash flagged flapping"
echo "ok - kill -9 -> droplet.exited CRASHED -> HM START"
R1=$(bus_wait 60 "s=='router.register' and d.get('dea')=='$DEA_ID' and d['private_instance_id']!='$I0'")
P1=$(echo "$R1" | json_get 'd["port"]')
curl -sf "http://127.0.0.1:$P1/" | grep -q "hello from python" || wdn_fail "replacement does not answer"
T_UP=$(date +%s.%N)
echo "ok - replacement instance answers on port $P1"
# Figures for bench/hm (not assertions): when each step was seen on the bus.
python3 - "$T/stager.jsonl" "$I0" "$DEA_ID" "$T_KILL" "$T_UP" <<'PY'
import json, sys
path, i0, dea, t_kill, t_up = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
first = {}
for l in open(path):
    m = json.loads(l)
    if m["t"] < t_kill:
        continue
    try:
        d = json.loads(m["data"])
    except ValueError:
        continue
    s = m["subject"]
    key = None
    if s == "droplet.exited" and d.get("instance") == i0:
        key = "exited"
    elif s == "cloudcontrollers.hm.requests" and d.get("op") == "START":
        key = "hm_start"
    elif s == "dea.%s.start" % dea:
        key = "dea_start"
    elif s == "router.register" and d.get("dea") == dea and d.get("private_instance_id") != i0:
        key = "registered"
    if key and key not in first:
        first[key] = m["t"]
prev, name = t_kill, "kill -9"
for k in ("exited", "hm_start", "dea_start", "registered"):
    if k in first:
        print("mttr step %-10s +%.3f s (after %s)" % (k, first[k] - prev, name))
        prev, name = first[k], k
print("mttr total kill -9 -> replacement answering: %.3f s" % (t_up - t_kill))
PY

# Clean up the app's containers before the trap removes the warden.
api PUT /apps/web "$TOK" '{"state":"STOPPED"}'
for _ in $(seq 100); do wdn list | grep -q "dea-" || break; sleep 0.1; done
echo "PASS"
