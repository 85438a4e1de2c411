#!/usr/bin/env bash
# e2e (needs root): a DEA started before warden listens (as under hearthd, which starts them
# together) still gets its control connection: a crashed app is reported (droplet.exited
# CRASHED with its status) and its container destroyed, like with warden up first.
. "$(dirname "$0")/dea_lib.sh"
dea_start
sleep 0.5 # the DEA's first attempt to reach warden fails
wdn_start
A="$HEARTH_SOURCE_DIR/tests/apps"
S1=$(make_droplet "$A/crasher" "$(sed -n 's/^web: //p' "$A/crasher/Procfile")")
$BUS pub "$NATS" "dea.$DEA_ID.start" "$(start_msg crasher-$TAG "$S1" 0 64 crasher.e2e.test)"
X=$(bus_wait 30 "s=='droplet.exited' and d['droplet']=='crasher-$TAG'")
expect_eq "exiting app: reason" "$(echo "$X" | json_get 'd["reason"]')" "CRASHED"
expect_eq "exiting app: status" "$(echo "$X" | json_get 'd["exit_status"]')" "3"
echo "ok - crash reported with a warden started after the DEA"
H="dea-$(echo "$X" | json_get 'd["instance"]')"
for _ in $(seq 50); do wdn list | grep -q "$H" || break; sleep 0.1; done
wdn list | grep -q "$H" && wdn_fail "container kept"
echo "ok - its container is destroyed"
echo "PASS"
