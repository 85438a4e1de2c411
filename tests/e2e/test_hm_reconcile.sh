# hearth-hm end to end with a real nats-server, the real hearth-cc (app created through its REST
# API, desired state read from its bulk API) and a simulated DEA that runs what the CC starts:
# a missing instance is started again, extra / duplicate / old-version instances are stopped,
# a crash loop follows the backoff schedule and ends FLAPPING in healthmanager.status, and
# healthmanager.health counts the running instances.
set -u
. "$(cd "$(dirname "$0")" && pwd)/hm_lib.sh"
command -v nats-server >/dev/null || { echo "SKIP: nats-server not installed"; exit 0; }

start_nats
start_dea
start_cc
start_hm a hm-a
push_app web 2

running() { [ "$(varz a .running_instances)" = "$1" ] && [ "$(varz a .freshness)" = fresh ]; }
wait_for running 2
[ "$(varz a .total_apps)" = 1 ] || fail "desired state: $(varz a .total_apps) apps"
leads() { [ "$(varz a .leader)" = true ]; }
wait_for leads
# (STARTs before this point are fine: the first start found no DEA advertised yet.)
BASE=$(hm_requests)
sleep 1
[ "$(hm_requests)" = "$BASE" ] || fail "decisions while everything is healthy: $(msgs '.subject == "cloudcontrollers.hm.requests"')"

# healthmanager.health: one reply per known droplet with its running count.
H=$(request healthmanager.health "{\"droplets\":[{\"droplet\":\"$GUID\",\"version\":\"$VERSION\"}]}")
printf '%s' "$H" | jq -e ".droplet == \"$GUID\" and .healthy == 2" > /dev/null || fail "health: $H"

# Missing index: instance 1 vanishes without a word (its DEA died) -> START index 1.
pub hmtest.ctl '{"cmd":"vanish","index":1}'
more() { [ "$(hm_requests)" -gt "$BASE" ]; }
wait_for more
msgs '.subject == "cloudcontrollers.hm.requests"' | tail -n 1 |
    jq -e ".d.op == \"START\" and .d.indices == [1] and .d.droplet == \"$GUID\" and .d.version == \"$VERSION\" and (.d.flapping | not)" > /dev/null ||
    fail "START message: $(msgs '.subject == "cloudcontrollers.hm.requests"')"
wait_for running 2
[ "$(hm_requests)" = $((BASE + 1)) ] || fail "more than one START for one missing index"

# Extra index, duplicate of an index, instance of an old version -> STOP each, CC -> dea.stop.
pub hmtest.ctl "{\"cmd\":\"add\",\"droplet\":\"$GUID\",\"version\":\"$VERSION\",\"index\":5,\"instance\":\"extra-5\"}"
pub hmtest.ctl "{\"cmd\":\"add\",\"droplet\":\"$GUID\",\"version\":\"$VERSION\",\"index\":0,\"instance\":\"zz-dup-0\"}"
pub hmtest.ctl "{\"cmd\":\"add\",\"droplet\":\"$GUID\",\"version\":\"old-1\",\"index\":1,\"instance\":\"old-1\"}"
for i in extra-5 zz-dup-0 old-1; do
    wait_for has_msg ".subject == \"cloudcontrollers.hm.requests\" and .d.op == \"STOP\" and .d.instances == [\"$i\"]"
    wait_for has_msg ".subject == \"dea.stop\" and .d.instances == [\"$i\"]"
done
wait_for running 2
STOPS=$(hm_requests '.d.op == "STOP"')
[ "$STOPS" = 3 ] || fail "expected 3 STOPs, got $STOPS"

# Crash loop on index 0: three immediate restarts, then flapping restarts at least 400 ms,
# 800 ms, 1600 ms, 1600 ms apart; after the 8th crash no more restarts, and FLAPPING reported.
BASE0=$(hm_requests '.d.op == "START" and .d.indices == [0]')
pub hmtest.ctl '{"cmd":"crashloop","index":0}'
crashes() { [ "$(count_msgs '.subject == "droplet.exited" and .d.reason == "CRASHED" and .d.index == 0')" -ge "$1" ]; }
for _ in 1 2 3 4 5 6; do sleep 1; crashes 8 && break; done
wait_for crashes 8
sleep 2.5 # longer than the largest backoff: a 9th START would show by now
STARTS=$(msgs '.subject == "cloudcontrollers.hm.requests" and .d.op == "START" and .d.indices == [0]' | tail -n +$((BASE0 + 1)))
[ "$(printf '%s\n' "$STARTS" | grep -c .)" = 7 ] || fail "expected 7 restarts of index 0, got: $STARTS"
printf '%s\n' "$STARTS" | jq -s -e '[.[] | .d.flapping // false] == [false,false,false,true,true,true,true]' > /dev/null ||
    fail "flapping flags: $STARTS"
EXITS=$(msgs '.subject == "droplet.exited" and .d.reason == "CRASHED" and .d.index == 0')
# Gap between crash k and the START that follows it, for k = 4..7: at least the backoff delay.
python3 - "$EXITS" "$STARTS" <<'PY' || fail "backoff schedule not followed"
import json, sys
ex = [json.loads(l)["t"] for l in sys.argv[1].splitlines()]
st = [json.loads(l)["t"] for l in sys.argv[2].splitlines()]
want = [0, 0, 0, 0.4, 0.8, 1.6, 1.6]
for k, d in enumerate(want):
    gap = st[k] - ex[k]
    if gap < d - 0.05:
        sys.exit(f"restart {k + 1}: {gap:.3f}s after the crash, backoff {d}s")
PY
F=$(request healthmanager.status "{\"droplet\":\"$GUID\",\"version\":\"$VERSION\",\"state\":\"FLAPPING\"}")
printf '%s' "$F" | jq -e '.indices | length == 1 and .[0].index == 0 and .[0].gave_up == true and .[0].crashes == 8 and (.[0].since > 1000000000)' > /dev/null ||
    fail "FLAPPING status: $F"
C=$(request healthmanager.status "{\"droplet\":\"$GUID\",\"state\":\"CRASHED\"}")
printf '%s' "$C" | jq -e '.instances | length >= 8' > /dev/null || fail "CRASHED status: $C"
[ "$(varz a .given_up_indices)" = 1 ] || fail "varz given_up_indices"
[ "$(varz a '.decisions.START')" = "$(hm_requests '.d.op == "START"')" ] || fail "varz START count"
[ "$(varz a '.decisions.STOP')" = 3 ] || fail "varz STOP count"

echo "PASS test_hm_reconcile"
