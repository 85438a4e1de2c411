#!/usr/bin/env bash
# needs: root
# e2e (needs root): evacuation through the whole cloud (nats-server, hearth-warden, two
# hearth-dea, hearth-cc, hearth-hm, hearth-router) while a client GETs the app through the
# router without pause.
#  1. An app with 1 instance runs on DEA A. SIGUSR2 to A (evacuate, cf-v1 §3.8): A announces
#     DEA_EVACUATION and keeps serving for evacuation_delay; the HM has the index started at
#     once and the CC places it on DEA B (the CC's stats show it there, the evacuated instance
#     is no longer reported); B's instance is registered with the router; after the delay A
#     unregisters its route, a drain second later destroys its container, and exits. Not one
#     GET fails (no 502/503, no reset, no timeout).
#  2. A new DEA A' with more memory joins, the app is scaled to 2 (index 1 lands on A', B
#     already has index 0), then A' is evacuated: both DEAs held one instance of the app and
#     A' advertised more room, yet the replacement must go to B, not back to the DEA that is
#     leaving (no start is sent to it). Again not one GET fails.
DEA_EXTRA_YAML="evacuation_delay: 5s"
. "$(dirname "$0")/hm_cloud_lib.sh"

# running_on GUID INDEX DEA SECS: the instance id heartbeated RUNNING for INDEX on DEA.
running_on() {
    local end=$((SECONDS + $4)) r
    while [ $SECONDS -lt "$end" ]; do
        r=$(hmc_running "$1" "$2" "$3")
        [ -n "$r" ] && { echo "${r% *}"; return 0; }
        sleep 0.1
    done
    return 1
}

# evacuate PID INSTANCE INDEX FROM_DEA TO_DEA HAMMER_FILE: SIGUSR2 to the DEA FROM_DEA (PID)
# that runs INSTANCE (index INDEX); checks the move to TO_DEA with no failed GET.
evacuate() {
    local pid=$1 old=$2 x=$3 from=$4 to=$5 file=$6 t0 line new r p n f c t1
    line=$(wc -l <"$T/bus.jsonl")
    t0=$(date +%s.%N)
    kill -USR2 "$pid"
    r=$(bus_wait 10 "s=='droplet.exited' and d['instance']=='$old'")
    [ "$(echo "$r" | json_get 'd["reason"]')" = DEA_EVACUATION ] || wdn_fail "exit: $r"
    new=$(running_on "$GUID" "$x" "$to" 30) || wdn_fail "index $x never ran on DEA B"
    [ "$new" != "$old" ] || wdn_fail "index $x: same instance"
    r=$(bus_wait 10 "s=='router.register' and d.get('private_instance_id')=='$new'")
    p=$(echo "$r" | json_get 'd["port"]')
    python3 -c "import sys, time; print('figure: SIGUSR2 -> replacement on B registered with the router: <= %.1f s' % (time.time() - float(sys.argv[1])))" "$t0"
    echo "ok - DEA_EVACUATION announced, index $x ($new) running on DEA B and routed"
    # The CC (dea.find.droplet) shows the index on B's instance, not on the leaving one.
    hmc_api GET /apps/web/stats "$TOK"
    r=$(echo "$BODY" | json_get "d['$x']['state'] + ' ' + str(d['$x']['stats']['port'])")
    [ "$r" = "RUNNING $p" ] || wdn_fail "the CC's stats of index $x: $BODY"
    echo "ok - the CC's stats show index $x on B's instance (port $p)"
    # Nothing of the app was ever started on the leaving DEA after it evacuated.
    n=$(tail -n +"$((line + 1))" "$T/bus.jsonl" | grep -c "\"dea\.$from\.start\"")
    [ "$n" = 0 ] || wdn_fail "$n starts sent to the evacuating DEA"
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && wdn_fail "the evacuated DEA did not exit"
    wait "$pid" 2>/dev/null
    HMC_PIDS=${HMC_PIDS/ $pid/}
    t1=$(date +%s.%N)
    bus_wait 5 "s=='router.unregister' and d.get('private_instance_id')=='$old'" >/dev/null
    for _ in $(seq 50); do wdn list | grep -qx "dea-$old" || break; sleep 0.1; done
    wdn list | grep -qx "dea-$old" && wdn_fail "the evacuated instance's container is left"
    echo "ok - DEA A unregistered its route, destroyed its container and exited"
    # The route is on B alone now: every GET is answered, by the index that moved too.
    hmc_wait_index web "$x" 10 || wdn_fail "index $x does not answer after the move"
    sleep 1
    read -r n f c <<<"$(hammer_count "$file" "$t0")"
    python3 -c "import sys; print('figure: SIGUSR2 -> DEA A gone: %.1f s; GETs: %s, failed: %s (%s)' % (float(sys.argv[2]) - float(sys.argv[1]), sys.argv[3], sys.argv[4], sys.argv[5]))" \
        "$t0" "$t1" "$n" "$f" "$c"
    [ "$n" -gt 20 ] || wdn_fail "too few GETs recorded ($n)"
    [ "$f" = 0 ] || wdn_fail "$f GETs failed during the evacuation ($c), at (s after SIGUSR2):" \
        "$(awk -v a="$t0" '$1 >= a && $2 != 200 { printf " %.3f", $1 - a }' "$file")" \
        "; router warnings: $(grep -c 'lvl=warn' "$T/router.log")," \
        "$(grep 'lvl=warn' "$T/router.log" | tail -3)"
    echo "ok - not one GET failed during the move"
}

hmc_start
hmc_push web 1
running_on "$GUID" 0 "" 10 >/dev/null || wdn_fail "index 0 not heartbeated"
I0=$(hmc_running "$GUID" 0)
OLD=${I0% *} DEA_A=${I0#* }
if [ "$DEA_A" = "$DEA_ID" ]; then
    APID=$DEA_PID DEA_B=$DEA2_ID DEA_PID=""
else
    APID=$DEA2_PID DEA_B=$DEA_ID DEA2_PID=""
fi
HMC_PIDS="$HMC_PIDS $APID" # killed by the trap if the test fails before it exits
echo "ok - 1 instance on DEA A ($DEA_A)"

hammer_start web "$T/hammer1.txt"
sleep 1
evacuate "$APID" "$OLD" 0 "$DEA_A" "$DEA_B" "$T/hammer1.txt"
hammer_stop

# 2. A new DEA A' (the old one's config with more memory, a fresh data dir), the app scaled to 2.
mkdir -p "$T/dea3"
{ grep -v '^max_memory:' "$T/dea.yml"; echo "max_memory: 8192"; } >"$T/dea3.yml"
since=$(wc -l <"$T/bus.jsonl")
"$HEARTH_BIN_DIR/hearth-dea" -c "$T/dea3.yml" --nats "nats://$NATS" --port "$(free_port)" \
    --data-dir "$T/dea3" --status-port "$(free_port)" >>"$T/dea3.log" 2>&1 &
APID=$!
HMC_PIDS="$HMC_PIDS $APID"
DEA_A=""
for _ in $(seq 100); do
    DEA_A=$(hmc_new_dea "$since" "$DEA_ID $DEA2_ID")
    [ -n "$DEA_A" ] && break
    sleep 0.1
done
[ -n "$DEA_A" ] || wdn_fail "DEA A' did not advertise"
sleep 1.2 # the CC hears it
hmc_api PUT /apps/web "$TOK" '{"instances":2}'
OLD=$(running_on "$GUID" 1 "$DEA_A" 60) || wdn_fail "index 1 did not run on DEA A'"
hmc_wait_index web 1 30 || wdn_fail "index 1 does not answer"
echo "ok - scaled to 2: index 1 on DEA A' ($DEA_A), index 0 on DEA B"
hammer_start web "$T/hammer2.txt"
sleep 1
evacuate "$APID" "$OLD" 1 "$DEA_A" "$DEA_B" "$T/hammer2.txt"
hmc_wait_index web 0 10 || wdn_fail "index 0 does not answer"
hammer_stop

# Stop the app so DEA B destroys the containers before the trap removes warden.
hmc_api PUT /apps/web "$TOK" '{"state":"STOPPED"}'
for _ in $(seq 100); do wdn list | grep -q "dea-" || break; sleep 0.1; done
echo "PASS"
