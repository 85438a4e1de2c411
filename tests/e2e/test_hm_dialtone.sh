#!/usr/bin/env bash
# needs: root
# e2e (needs root): outages of the control plane with every real daemon (nats-server,
# hearth-warden, two hearth-dea, hearth-cc, hearth-hm, hearth-router), an app with 2 instances
# and a client GETting it through the router the whole time.
#  1. The bus goes away for longer than the HM's instance TTL (3 heartbeat intervals) and
#     comes back on the same port: the HM decides nothing (no START, no STOP), every GET
#     through the router is answered 200 meanwhile (the router serves from its table, the
#     DEAs keep their instances), and the HM is fresh again afterwards.
#  2. The CC is stopped for 20 s (4x the HM's desired_max_age), and once the HM's desired state
#     is stale an instance's process is killed -9: the HM decides nothing while its desired state
#     is stale, the other instance keeps answering; once the CC is back the HM has the lost
#     index started again.
. "$(dirname "$0")/hm_cloud_lib.sh"
CC_DOWN_S=${CC_DOWN_S:-20}
hmc_start
hmc_push web 2
for _ in $(seq 100); do
    [ "$(hmc_varz .freshness)" = '"fresh"' ] && [ "$(hmc_varz .running_instances)" = 2 ] && break
    sleep 0.1
done
[ "$(hmc_varz .running_instances)" = 2 ] || wdn_fail "the HM does not see 2 running instances"
D0=$(hmc_varz '[.decisions.START, .decisions.STOP]')
echo "ok - app with 2 instances answers; HM decisions so far (START, STOP): $D0"
hammer_start web "$T/hammer.txt"
sleep 1

# 1. Bus outage (8 s > 3 heartbeat intervals of 2 s).
NATS_PID=${EXTRA_PIDS%% *}
T_DOWN=$(date +%s.%N)
kill "$NATS_PID"
wait "$NATS_PID" 2>/dev/null
sleep 8
nats-server -a 127.0.0.1 -p "$NATS_PORT" >>"$T/nats.log" 2>&1 &
NEW_NATS=$!
EXTRA_PIDS="$NEW_NATS ${EXTRA_PIDS#* }"
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null && break; sleep 0.1; done
$BUS rec "$NATS" "$T/bus.jsonl" &
EXTRA_PIDS="$EXTRA_PIDS $!"
T_BACK=$(date +%s.%N)
echo "ok - bus down for 8 s, back on the same port"
# Long enough for every daemon to reconnect, the DEAs to heartbeat and the HM to analyse.
for _ in $(seq 200); do [ "$(hmc_varz .freshness)" = '"fresh"' ] && break; sleep 0.1; done
[ "$(hmc_varz .freshness)" = '"fresh"' ] || wdn_fail "the HM never became fresh again: $(hmc_varz .)"
sleep 5
D1=$(hmc_varz '[.decisions.START, .decisions.STOP]')
[ "$D1" = "$D0" ] || wdn_fail "decisions across the bus outage: $D0 -> $D1"
[ "$(hmc_varz .running_instances)" = 2 ] || wdn_fail "HM sees $(hmc_varz .running_instances) running"
read -r N F C <<<"$(hammer_count "$T/hammer.txt" "$T_DOWN")"
echo "figure: GETs through the router during and after the bus outage: $N, failed: $F (statuses: $C)"
[ "$N" -gt 10 ] || wdn_fail "too few GETs ($N)"
[ "$F" = 0 ] || wdn_fail "$F GETs failed while only the bus was down"
echo "ok - no START or STOP across the bus outage, every GET answered, the HM is fresh again"

# 2. CC down for CC_DOWN_S; index 1 is killed meanwhile.
hmc_cc_stop
T_CC=$(date +%s.%N)
# Until the last read of the CC is older than desired_max_age (5 s) the HM still acts.
for _ in $(seq 200); do [ "$(hmc_varz .freshness)" = '"stale_desired"' ] && break; sleep 0.1; done
[ "$(hmc_varz .freshness)" = '"stale_desired"' ] || wdn_fail "desired state never went stale"
I1=$(hmc_running "$GUID" 1)
I1=${I1% *}
PID=$(hmc_pid "$I1") || wdn_fail "no process for instance $I1"
kill -9 "$PID"
bus_wait 30 "s=='droplet.exited' and d['instance']=='$I1' and d['reason']=='CRASHED'" >/dev/null
echo "ok - CC stopped, index 1 killed: droplet.exited CRASHED"
sleep "$CC_DOWN_S"
D2=$(hmc_varz '[.decisions.START, .decisions.STOP]')
[ "$D2" = "$D0" ] || wdn_fail "decisions while the CC was down: $D0 -> $D2"
[ "$(hmc_varz .freshness)" = '"stale_desired"' ] || wdn_fail "freshness: $(hmc_varz .freshness)"
hmc_wait_index web 0 5 || wdn_fail "index 0 does not answer while the CC is down"
read -r N F C <<<"$(hammer_count "$T/hammer.txt" "$T_CC")"
echo "figure: GETs through the router while the CC was down ($CC_DOWN_S s, one instance killed): $N, failed: $F (statuses: $C)"
echo "ok - nothing decided during $CC_DOWN_S s without the CC; index 0 kept answering"

hmc_cc_start
hmc_wait_index web 1 60 || wdn_fail "index 1 was not started again once the CC was back"
D3=$(hmc_varz '.decisions.START')
[ "$D3" -gt "$(echo "$D0" | jq '.[0]')" ] || wdn_fail "index 1 came back without an HM START"
echo "ok - CC back: the HM had index 1 started again"
hammer_stop

hmc_api PUT /apps/web "$TOK" '{"state":"STOPPED"}'
for _ in $(seq 100); do wdn list | grep -q "dea-" || break; sleep 0.1; done
echo "PASS"
