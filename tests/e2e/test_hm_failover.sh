#!/usr/bin/env bash
# needs: root
# e2e (needs root): failover with every real daemon (nats-server, hearth-warden, two hearth-dea,
# hearth-cc, hearth-hm, hearth-router) while a client GETs the app through the router.
#  1. An app with 2 instances is spread over both DEAs. kill -9 of one DEA: its instance keeps
#     running in warden and serving (cf-v1 §3.8: a DEA that dies abruptly leaves its apps for
#     the next DEA process), but it is no longer heartbeated; the HM notices within 3 heartbeat
#     intervals and has the index started on the surviving DEA. Every GET through the router
#     is answered 200 throughout. When the dead DEA comes back it re-attaches to the orphan, the
#     HM sees two instances of one index and has the orphan stopped: its container goes away.
#  2. kill -9 of one instance's process while the client keeps GETting: the replacement
#     answers through the router again; the failed GETs are counted and printed.
#  3. Scale 2 -> 3 -> 1: no duplicate START from the HM, then the extras are stopped.
. "$(dirname "$0")/hm_cloud_lib.sh"
hmc_start
hmc_push web 2
echo "ok - app pushed, both instances answer through the router"

# Wait until each DEA heartbeats one instance (the CC spreads them: cluster avoidance).
for _ in $(seq 100); do
    A0=$(hmc_running "$GUID" 0)
    A1=$(hmc_running "$GUID" 1)
    [ -n "$A0" ] && [ -n "$A1" ] && break
    sleep 0.1
done
[ -n "$A0" ] && [ -n "$A1" ] || wdn_fail "both indices not heartbeated RUNNING"
D0=${A0#* } D1=${A1#* }
[ "$D0" != "$D1" ] || wdn_fail "both instances on DEA $D0: not spread"
if [ "$D0" = "$DEA2_ID" ]; then X=0 ORPHAN=${A0% *}; else X=1 ORPHAN=${A1% *}; fi
echo "ok - instances spread over both DEAs; index $X ($ORPHAN) is on the second DEA"

# Until now the CC did all the starting: the HM, which came up with it, asked for nothing.
N0=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["subject"] == "cloudcontrollers.hm.requests"))' "$T/bus.jsonl")
[ "$N0" = 0 ] || wdn_fail "the HM sent $N0 requests while the CC was starting the app"
echo "ok - no HM decision while the CC started the app"

hammer_start web "$T/hammer1.txt"
sleep 1
T_KILL=$(date +%s.%N)
LINE=$(wc -l <"$T/bus.jsonl")
kill -9 "$DEA2_PID"
wait "$DEA2_PID" 2>/dev/null
DEA2_PID=""
OLD_DEA2=$DEA2_ID

SM=$(bus_wait 60 "s=='cloudcontrollers.hm.requests' and d['op']=='START' and d['droplet']=='$GUID' and $X in d['indices']")
echo "$SM" | json_get 'd.get("flapping", False)' | grep -q False || wdn_fail "START flagged flapping: $SM"
echo "ok - the HM noticed the missing heartbeats and asked for index $X: $SM"
NEW=""
for _ in $(seq 600); do
    NEW=$(hmc_running "$GUID" "$X" "$DEA_ID")
    [ -n "$NEW" ] && break
    sleep 0.1
done
[ -n "$NEW" ] || wdn_fail "index $X never ran on the surviving DEA"
NEW=${NEW% *}
R=$(bus_wait 30 "s=='router.register' and d.get('private_instance_id')=='$NEW'")
P=$(echo "$R" | json_get 'd["port"]')
curl -sf "http://127.0.0.1:$P/" | grep -q "index $X" || wdn_fail "the new instance does not answer on $P"
T_UP=$(date +%s.%N)
echo "ok - index $X runs on the surviving DEA ($NEW), answering on port $P"
python3 -c "import sys; print('figure: DEA kill -9 -> index restarted elsewhere and answering: %.1f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$T_KILL" "$T_UP"
# How many STARTs it took (the CC may still place one on the dead DEA: it trusts an
# advertisement for 10 s, and the HM asks again after its restart_timeout).
tail -n +"$((LINE + 1))" "$T/bus.jsonl" | python3 -c '
import json, sys
guid, x, dead = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hm = to_dead = 0
for l in sys.stdin:
    m = json.loads(l)
    try:
        d = json.loads(m["data"])
    except ValueError:
        continue
    if m["subject"] == "cloudcontrollers.hm.requests" and d.get("op") == "START" and x in d.get("indices", []):
        hm += 1
    if m["subject"] == "dea.%s.start" % dead and d.get("droplet") == guid:
        to_dead += 1
print("figure: HM STARTs for index %d: %d, placed by the CC on the dead DEA: %d" % (x, hm, to_dead))' \
    "$GUID" "$X" "$OLD_DEA2"

# The orphan lives on: its container is still there and it kept answering (dial tone).
wdn list | grep -qx "dea-$ORPHAN" || wdn_fail "the dead DEA's container is gone"
sleep 1
read -r N F C <<<"$(hammer_count "$T/hammer1.txt" "$T_KILL")"
echo "figure: GETs through the router after the DEA kill: $N, failed: $F (statuses: $C)"
[ "$N" -gt 10 ] || wdn_fail "too few GETs recorded ($N)"
[ "$F" = 0 ] || wdn_fail "$F GETs failed while a DEA was dead but every instance still ran"
echo "ok - every GET through the router answered 200 while the DEA was dead"

# The dead DEA comes back, re-attaches to the orphan; the HM stops that duplicate of index X.
T_BACK=$(date +%s.%N)
dea2_start
[ "$DEA2_ID" != "$OLD_DEA2" ] || wdn_fail "restarted DEA kept its id"
bus_wait 30 "s=='dea.heartbeat' and d['dea']=='$DEA2_ID' and any(e['instance']=='$ORPHAN' for e in d['droplets'])" >/dev/null
echo "ok - the restarted DEA re-attached to the orphan"
bus_wait 60 "s=='cloudcontrollers.hm.requests' and d['op']=='STOP' and '$ORPHAN' in d.get('instances', [])" >/dev/null
for _ in $(seq 300); do wdn list | grep -qx "dea-$ORPHAN" || break; sleep 0.1; done
wdn list | grep -qx "dea-$ORPHAN" && wdn_fail "the orphan's container is still there"
hmc_wait_index web "$X" 30 || wdn_fail "index $X no longer answers"
[ "$(hmc_running "$GUID" "$X" "$DEA_ID" | cut -d' ' -f1)" = "$NEW" ] || wdn_fail "the wrong copy of index $X was stopped"
sleep 1
hammer_stop
read -r N F C <<<"$(hammer_count "$T/hammer1.txt" "$T_BACK")"
echo "ok - the HM had the orphan stopped (duplicate of index $X), the new copy kept"
echo "figure: GETs while the orphan was stopped: $N, failed: $F (statuses: $C)"

# 2. kill -9 of one of the two instances' processes while a client GETs through the router.
I0=$(hmc_running "$GUID" 0)
I0=${I0% *}
PID=$(hmc_pid "$I0") || wdn_fail "cannot find the process of instance $I0"
OUT=$(python3 "$HEARTH_SOURCE_DIR/tests/e2e/hm_client.py" kill "$ROUTER_PORT" web.hm.test "$PID" 0 60)
echo "figure: kill -9 of 1 of 2 instances: $OUT"
echo "$OUT" | json_get 'd["recovered"]' | grep -q True ||
    wdn_fail "index 0 did not answer through the router again within 60 s: $OUT"
hmc_wait_index web 1 10 || wdn_fail "index 1 stopped answering"
echo "ok - after kill -9 of an instance the replacement answers through the router"

# 3. Scale 2 -> 3 -> 1. The CC starts the new index itself: the HM, which reads the change at
# once (droplet.updated), leaves it alone instead of sending a duplicate START. Then the
# extras are stopped: one container left, only index 0 answers.
LINE=$(wc -l <"$T/bus.jsonl")
hmc_api PUT /apps/web "$TOK" '{"instances":3}'
hmc_wait_index web 2 60 || wdn_fail "index 2 never answered after the scale-up"
sleep 1
N2=$(tail -n +"$((LINE + 1))" "$T/bus.jsonl" | python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    m = json.loads(l)
    if m["subject"] == "cloudcontrollers.hm.requests" and json.loads(m["data"]).get("op") == "START":
        n += 1
print(n)')
if [ "$N2" != 0 ]; then
    tail -n +"$((LINE + 1))" "$T/bus.jsonl" | grep -E 'hm.requests|droplet.exited|dea\.[0-9a-f]*\.start|droplet.updated'
    grep -E "START|scal|instance" "$T/hm.log" "$T/cc.log" | tail -20
    wdn_fail "the HM sent $N2 STARTs while the CC scaled the app up"
fi
echo "ok - scaled to 3: index 2 answers, no START from the HM"
hmc_api PUT /apps/web "$TOK" '{"instances":1}'
for _ in $(seq 300); do [ "$(wdn list | grep -c '^dea-')" = 1 ] && break; sleep 0.1; done
[ "$(wdn list | grep -c '^dea-')" = 1 ] || wdn_fail "extras not stopped: $(wdn list | tr '\n' ' ')"
for _ in $(seq 20); do
    G=$(hmc_get web)
    echo "$G" | grep -q '^200 .*index 0' || wdn_fail "after the scale-down: $G"
done
echo "ok - scaled to 1: the extras are stopped, index 0 alone answers"

# Stop the app so the DEAs destroy the containers before the trap removes warden.
hmc_api PUT /apps/web "$TOK" '{"state":"STOPPED"}'
for _ in $(seq 100); do wdn list | grep -q "dea-" || break; sleep 0.1; done
echo "PASS"
