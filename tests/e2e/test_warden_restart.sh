#!/usr/bin/env bash
# e2e (needs root): warden restarts with live containers. A running app keeps serving, the
# restarted warden re-adopts the container (info, run, link of a job started before the
# restart, destroy), and a container whose init died while warden was down is cleaned up
# (cgroup, mounts, files) on start, as is a cgroup nobody claims.
. "$(dirname "$0")/warden_lib.sh"
wdn_start

wdn create --handle live --memory 134217728 >/dev/null || wdn_fail "create live"
wdn create --handle dead --network none >/dev/null || wdn_fail "create dead"
wdn spawn live -- socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo still-here' >/dev/null
hp=$(wdn net-in live --container-port 8080) || wdn_fail "net_in"
job=$(wdn spawn live -- sh -c 'sleep 2; echo finished; exit 7')

wdn_stop
echo "ok - warden stopped with 2 containers"
# While warden is down: the dead container's init dies, and a stray cgroup appears.
dinit=$(sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p' "$T/data/containers/dead/meta.json")
kill -9 "$dinit"
for d in $(find /sys/fs/cgroup -type d -path "*/$CGP" 2>/dev/null); do mkdir "$d/stray"; done
for _ in $(seq 50); do
    out=$(socat -T2 - TCP:127.0.0.1:"$hp",connect-timeout=2 </dev/null 2>/dev/null)
    [ "$out" = still-here ] && break
    sleep 0.1
done
expect_eq "app serves while warden is down" "$out" "still-here"

wdn_start
expect_eq "re-adopted container listed" "$(wdn list)" "live"
expect_eq "state after restart" "$(wdn info live | json_get 'd["state"]')" "active"
expect_eq "run after restart" "$(wdn run live -- echo ok)" "ok"
out=$(wdn link live "$job")
expect_eq "link a job started before the restart (exit)" "$?" "7"
expect_eq "link a job started before the restart (stdout)" "$out" "finished"
out=$(socat -T2 - TCP:127.0.0.1:"$hp",connect-timeout=2 </dev/null 2>/dev/null)
expect_eq "app still mapped" "$out" "still-here"
hp2=$(wdn net-in live --container-port 8080)
[ "$hp2" != "$hp" ] || wdn_fail "port pool forgot a port in use"
echo "ok - port pool restored"

sleep 0.3
[ -d "$T/data/containers/dead" ] && wdn_fail "dead container dir not cleaned"
find /sys/fs/cgroup -type d \( -path "*/$CGP/dead" -o -path "*/$CGP/stray" \) | grep -q . &&
    wdn_fail "orphaned cgroups not removed"
grep -qF "$T/data/containers/dead" /proc/mounts && wdn_fail "dead container still mounted"
echo "ok - dead container and stray cgroup cleaned on start"

# A crash (SIGKILL) instead of a clean stop: same recovery, jobs in flight included.
job=$(wdn spawn live -- sh -c 'sleep 1; echo after-crash')
kill -9 "$WPID"
wait "$WPID" 2>/dev/null
WPID=""
rm -f "$T/w.sock"
wdn_start
out=$(wdn link live "$job")
expect_eq "link a job across a warden crash" "$out" "after-crash"
out=$(socat -T2 - TCP:127.0.0.1:"$hp",connect-timeout=2 </dev/null 2>/dev/null)
expect_eq "app still mapped after the crash" "$out" "still-here"

wdn destroy live >/dev/null || wdn_fail "destroy after restart"
out=$(socat -T1 - TCP:127.0.0.1:"$hp",connect-timeout=1 </dev/null 2>/dev/null)
[ -z "$out" ] || wdn_fail "app still answers after destroy"
echo "ok - re-adopted container destroyed cleanly"
echo "PASS"
