#!/usr/bin/env bash
# e2e (needs root): crash detection: an app that exits (status reported, logs kept for
# crashlogs), an app that never listens (CRASHED with a clear reason after start_timeout),
# an app over its memory limit (CRASHED with out_of_memory), a droplet whose SHA-1 does not
# match (CRASHED, never run).
. "$(dirname "$0")/dea_lib.sh"
wdn_start
DEA_START_TIMEOUT=3s dea_start
A="$HEARTH_SOURCE_DIR/tests/apps"
cmd() { sed -n 's/^web: //p' "$A/$1/Procfile"; }

S1=$(make_droplet "$A/crasher" "$(cmd crasher)")
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg crasher-$TAG "$S1" 0 64 crasher.e2e.test)"
X=$(bus_wait 30 "s=='droplet.exited' and d['droplet']=='crasher-$TAG'")
expect_eq "exiting app: reason" "$(echo "$X" | json_get 'd["reason"]')" "CRASHED"
expect_eq "exiting app: status" "$(echo "$X" | json_get 'd["exit_status"]')" "3"
I=$(echo "$X" | json_get 'd["instance"]')
curl -sf -u u:p "http://127.0.0.1:$FILE_PORT/instances/$I/logs" | grep -q "about to crash" ||
    wdn_fail "crash log not kept"
echo "ok - crash log kept and served after the crash"
$BUS wait "$T/bus.jsonl" 1 "s=='router.register' and d['app']=='crasher-$TAG'" >/dev/null &&
    wdn_fail "a crashed app was registered"

S2=$(make_droplet "$A/never-listens" "$(cmd never-listens)")
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg quiet-$TAG "$S2" 0 64 quiet.e2e.test)"
X=$(bus_wait 30 "s=='droplet.exited' and d['droplet']=='quiet-$TAG'")
expect_eq "never listens: reason" "$(echo "$X" | json_get 'd["reason"]')" "CRASHED"
echo "$X" | json_get 'd["exit_description"]' | grep -q "never listened" ||
    wdn_fail "no clear reason: $X"
echo "ok - never listening app reported with: $(echo "$X" | json_get 'd["exit_description"]')"
for _ in $(seq 50); do wdn list | grep -q "dea-$(echo "$X" | json_get 'd["instance"]')" || break; sleep 0.1; done
wdn list | grep -q "dea-$(echo "$X" | json_get 'd["instance"]')" && wdn_fail "container kept"
echo "ok - its container is destroyed"

S3=$(make_droplet "$A/memhog" "$(cmd memhog)")
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg hog-$TAG "$S3" 0 64 hog.e2e.test)"
X=$(bus_wait 30 "s=='droplet.exited' and d['droplet']=='hog-$TAG'")
expect_eq "memory hog: reason" "$(echo "$X" | json_get 'd["reason"]')" "CRASHED"
expect_eq "memory hog: out_of_memory" "$(echo "$X" | json_get 'd["out_of_memory"]')" "True"
echo "ok - memory hog reported as out of memory"

BAD=0000000000000000000000000000000000000000
cp "$T/www/$S1.tgz" "$T/www/$BAD.tgz"
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg bad-$TAG "$BAD" 0 64 bad.e2e.test)"
X=$(bus_wait 30 "s=='droplet.exited' and d['droplet']=='bad-$TAG'")
echo "$X" | json_get 'd["exit_description"]' | grep -q "SHA-1 mismatch" || wdn_fail "bad droplet: $X"
echo "ok - droplet with a wrong SHA-1 refused"
# The container is created while the droplet is fetched: a refused droplet leaves none.
H="dea-$(echo "$X" | json_get 'd["instance"]')"
for _ in $(seq 50); do wdn list | grep -q "$H" || break; sleep 0.1; done
wdn list | grep -q "$H" && wdn_fail "container of the refused droplet kept"
echo "ok - and its container (made meanwhile) is destroyed"
echo "PASS"
