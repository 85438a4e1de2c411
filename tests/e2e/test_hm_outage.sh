# hearth-hm under outages, with a real nats-server, the real hearth-cc and a simulated DEA, and
# two HMs: only the lease holder (smallest id) decides; a bus restart longer than the instance
# TTL and a CC outage produce no START or STOP; when the CC is back the instance lost meanwhile
# is started; when the leader is killed the other HM takes over.
set -u
. "$(cd "$(dirname "$0")" && pwd)/hm_lib.sh"
command -v nats-server >/dev/null || { echo "SKIP: nats-server not installed"; exit 0; }

start_nats
start_dea
start_cc
start_hm a hm-a
start_hm b hm-b
push_app web 2

running() { [ "$(varz "$1" .running_instances)" = "$2" ] && [ "$(varz "$1" .freshness)" = fresh ]; }
decisions() { varz "$1" '.decisions.START + .decisions.STOP'; }
wait_for running a 2
wait_for running b 2
lead_a() { [ "$(varz a .leader)" = true ]; }
wait_for lead_a
[ "$(varz b .leader)" = false ] || fail "hm-b should stand by"
[ "$(varz b .lease_holder)" = hm-a ] || fail "hm-b sees lease holder $(varz b .lease_holder)"
[ "$(decisions b)" = 0 ] || fail "the standby HM decided"
BASE=$(hm_requests)
DA=$(decisions a)

# Bus restarted, down for longer than the instance TTL (0.9 s): no START, no STOP.
stop_nats
sleep 2
start_nats
wait_for running a 2
sleep 1.5
[ "$(decisions a)" = "$DA" ] || fail "decisions after a bus restart: $(msgs '.subject == "cloudcontrollers.hm.requests"')"
[ "$(hm_requests)" = "$BASE" ] || fail "requests after a bus restart: $(msgs '.subject == "cloudcontrollers.hm.requests"')"
[ "$(decisions b)" = 0 ] || fail "the standby HM decided after the bus restart"

# CC down for longer than desired_max_age while an instance disappears: nothing decided.
# The instance vanishes once the HM holds the desired state as stale (before that, a START for
# it would be right: the CC answered recently).
stop_cc
stale_desired() { [ "$(varz a .freshness)" = stale_desired ]; }
wait_for stale_desired
pub hmtest.ctl '{"cmd":"vanish","index":1}'
stale() { [ "$(varz a .freshness)" = stale_desired ] && [ "$(varz a .running_instances)" = 1 ]; }
wait_for stale
sleep 1
[ "$(decisions a)" = "$DA" ] || fail "decisions while the CC is down"
[ "$(hm_requests)" = "$BASE" ] || fail "requests while the CC is down"
# CC back (with new random bulk credentials): the lost index is started, once.
start_cc
wait_for running a 2
[ "$(hm_requests '.d.op == "START" and .d.indices == [1]')" -ge 1 ] || fail "no START after the CC came back"
[ "$(hm_requests '.d.op == "STOP"')" = 0 ] || fail "STOP after the CC came back"

# Leader killed: hm-b takes the lease and replaces an instance lost meanwhile.
kill -9 "$HM_PID_a"
pub hmtest.ctl '{"cmd":"vanish","index":0}'
lead_b() { [ "$(varz b .leader)" = true ]; }
wait_for lead_b
b_started() { [ "$(varz b .decisions.START)" -ge 1 ]; }
wait_for b_started
wait_for running b 2

echo "PASS test_hm_outage"
