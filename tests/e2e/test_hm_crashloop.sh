#!/usr/bin/env bash
# needs: root
# e2e (needs root): a crash-looping app with every real daemon (nats-server, hearth-warden, two
# hearth-dea, hearth-cc, hearth-hm, hearth-router). tests/apps/crasher is staged by a real DEA
# and exits at once each time it starts. With the HM's crash policy scaled down (3 immediate
# restarts, then 1 s doubling to 4 s, give up after 8 crashes) the STARTs follow the schedule:
# the first 3 at once and not flagged, the next ones flagged flapping and never sooner than
# their backoff after the crash; after the 8th crash no more START; healthmanager.status and
# the CC's GET /apps/NAME/instances report index 0 FLAPPING.
. "$(dirname "$0")/hm_cloud_lib.sh"
HMC_HM_YAML="crash: {immediate_restarts: 3, backoff_base: 1s, backoff_max: 4s, giveup: 8, reset: 1h}"
hmc_start
python3 "$HEARTH_SOURCE_DIR/tests/e2e/hm_client.py" rec "$NATS" "$T/timed.jsonl" \
    droplet.exited cloudcontrollers.hm.requests &
HMC_PIDS="$HMC_PIDS $!"
sleep 0.3
hmc_create crash 1 crasher
echo "ok - crasher pushed and started"
for _ in $(seq 900); do [ "$(hmc_varz .given_up_indices)" = 1 ] && break; sleep 0.1; done
[ "$(hmc_varz .given_up_indices)" = 1 ] || wdn_fail "the HM never gave up: $(hmc_varz .)"
sleep 3 # a START after giving up would come now
python3 - "$T/timed.jsonl" "$GUID" <<'PY' || wdn_fail "schedule not followed"
import json, sys
path, guid = sys.argv[1], sys.argv[2]
ex, st = [], []
for l in open(path):
    m = json.loads(l)
    d = json.loads(m["data"])
    if d.get("droplet") != guid:
        continue
    if m["subject"] == "droplet.exited" and d.get("reason") == "CRASHED":
        ex.append(m["t"])
    elif m["subject"] == "cloudcontrollers.hm.requests" and d.get("op") == "START":
        st.append((m["t"], d.get("flapping", False), d.get("indices")))
print("figure: crashes %d, HM STARTs %d" % (len(ex), len(st)))
if len(ex) != 8 or len(st) != 7:
    sys.exit("want 8 crashes and 7 STARTs (the 8th crash is given up)")
want = [0, 0, 0, 1, 2, 4, 4]
for k, d in enumerate(want):
    t, flapping, idx = st[k]
    gap = t - ex[k]
    print("figure: restart %d: %.3f s after crash %d (backoff %d s), flapping=%s" % (k + 1, gap, k + 1, d, flapping))
    if idx != [0] or flapping != (k >= 3) or gap < d - 0.05 or t < ex[k]:
        sys.exit("restart %d does not follow the schedule" % (k + 1))
PY
echo "ok - restarts at once 3 times, then after 1, 2, 4, 4 s flagged flapping; none after the 8th crash"

F=$($BUS req "$NATS" healthmanager.status "{\"droplet\":\"$GUID\",\"state\":\"FLAPPING\"}" 2 1)
echo "$F" | jq -e '.indices | length == 1 and .[0].index == 0 and .[0].gave_up and .[0].crashes == 8' \
    >/dev/null || wdn_fail "healthmanager.status FLAPPING: $F"
hmc_api GET /apps/crash/instances "$TOK"
echo "$BODY" | jq -e '.instances[0].state == "FLAPPING"' >/dev/null ||
    wdn_fail "GET /apps/crash/instances: $BODY"
echo "ok - FLAPPING in healthmanager.status and in the CC's instances API"

hmc_api PUT /apps/crash "$TOK" '{"state":"STOPPED"}'
for _ in $(seq 100); do wdn list | grep -q "dea-" || break; sleep 0.1; done
echo "PASS"
