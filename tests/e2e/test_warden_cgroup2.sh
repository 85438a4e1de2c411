#!/usr/bin/env bash
# e2e (needs root and a cgroup2 mount): the cgroup v2 backend, forced with cgroup_version: v2.
# On a pure v2 host this is the default backend; on a hybrid host (v1 controllers plus an empty
# unified hierarchy) it still proves placement, listing, recovery and removal, and checks the
# memory and pids limits whenever the unified hierarchy offers those controllers.
. "$(dirname "$0")/warden_lib.sh"
grep -q '^cgroup2 ' /proc/mounts || wdn_skip "no cgroup2 mount"
printf 'cgroup_version: v2\nnetwork: false\n' >>"$T/w.yml"
wdn_start

wdn create --handle c2 --memory 67108864 --pids 32 >/dev/null || wdn_fail "create"
line=$(wdn run c2 -- cat /proc/self/cgroup | grep '^0::')
expect_eq "job runs in the container's v2 cgroup" "${line##*/}" "c2"
dir=$(find /sys/fs/cgroup -type d -path "*/$CGP/c2" | head -1)
[ -n "$dir" ] || wdn_fail "no v2 cgroup dir"
n=$(wc -l <"$dir/cgroup.procs")
expect_eq "init is the only process between jobs" "$n" "1"
ctrls=$(cat "$dir/../cgroup.subtree_control")
if [[ "$ctrls" == *memory* ]]; then
    expect_eq "memory.max" "$(cat "$dir/memory.max")" "67108864"
    wdn run c2 -- sh -c 'tail /dev/zero' >/dev/null 2>&1
    wdn info c2 | grep -q '"out of memory"' || wdn_fail "no out of memory event (v2)"
    echo "ok - v2 OOM reported"
else
    echo "ok - (memory controller not offered by this unified hierarchy: limit not checked)"
fi
if [[ "$ctrls" == *pids* ]]; then
    expect_eq "pids.max" "$(cat "$dir/pids.max")" "32"
fi
wdn_stop
wdn_start
expect_eq "re-adopted on v2" "$(wdn run c2 -- echo back)" "back"
wdn destroy c2 >/dev/null || wdn_fail "destroy"
# destroy answers once the processes are killed; the emptied cgroup goes a moment later.
for _ in $(seq 20); do
    [ -d "$dir" ] || break
    sleep 0.1
done
[ -d "$dir" ] && wdn_fail "v2 cgroup left behind"
echo "ok - v2 cgroup removed"
echo "PASS"
