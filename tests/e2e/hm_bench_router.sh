#!/usr/bin/env bash
# The scenario of bench/hm (needs root; not a ctest test: it prints figures and asserts only
# that each killed instance came back). Every real daemon (hm_cloud_lib.sh); two apps, "one"
# with a single instance and "two" with 2 instances. ROUNDS times (default 5): kill -9 of the
# process of instance 0 of "one", then of "two", each while a client GETs the app through the
# router (tests/e2e/hm_client.py kill): time from the kill to the first 200 answered by the
# replacement, and GETs that failed meanwhile (that client's, plus those of LOAD (default 3)
# more clients GETting "two" concurrently, from the kill to 1 s after the recovery). Between rounds the instances run longer than the
# HM's crash reset (2 s here), so every kill is a first crash (restarted at once). Prints one
# "round" line per kill and "median"/"mean" lines.
. "$(dirname "$0")/hm_cloud_lib.sh"
HMC_HM_YAML="crash: {reset: 2s}"
ROUNDS=${ROUNDS:-5}
LOAD=${LOAD:-3}
hmc_start
hmc_push one 1
GUID_ONE=$GUID
hmc_push two 2
GUID_TWO=$GUID

# kill_round APP GUID: prints the client's JSON line after a kill -9 of index 0.
kill_round() {
    local inst pid out
    for _ in $(seq 100); do
        inst=$(hmc_running "$2" 0)
        inst=${inst% *}
        [ -n "$inst" ] && [ "$inst" != "${LAST_KILLED:-}" ] && pid=$(hmc_pid "$inst") && break
        pid=""
        sleep 0.1
    done
    [ -n "$pid" ] || wdn_fail "no process for index 0 of $1"
    sleep 2.5 # longer than the crash reset: a first crash again
    # LOAD more clients GET the app meanwhile; their failures from the kill to the recovery
    # (plus 1 s) are added as "load_failed" of "load_requests".
    local hp=() f="$T/load.$1.$RANDOM"
    for _ in $(seq 1 "$LOAD"); do
        python3 "$HEARTH_SOURCE_DIR/tests/e2e/hm_client.py" hammer "$ROUTER_PORT" "$1.hm.test" "$f" &
        hp+=($!)
    done
    sleep 0.5
    out=$(python3 "$HEARTH_SOURCE_DIR/tests/e2e/hm_client.py" kill "$ROUTER_PORT" "$1.hm.test" "$pid" 0 30)
    sleep 1
    [ "${#hp[@]}" -gt 0 ] && kill "${hp[@]}" 2>/dev/null && wait "${hp[@]}" 2>/dev/null
    LAST_KILLED=$inst
    echo "$out" | json_get 'd["recovered"]' | grep -q True || wdn_fail "$1 did not come back: $out"
    local a b n fl
    a=$(echo "$out" | json_get 'd["t_kill"]')
    b=$(echo "$out" | json_get 'd["t_kill"] + d["mttr"] + 1')
    n=0 fl=0
    [ -f "$f" ] && read -r n fl _ <<<"$(hammer_count "$f" "$a" "$b")"
    echo "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); d["load_requests"], d["load_failed"] = int(sys.argv[1]), int(sys.argv[2]); print(json.dumps(d))' "${n:-0}" "${fl:-0}"
}

: >"$T/results"
for r in $(seq 1 "$ROUNDS"); do
    o1=$(LOAD=0 kill_round one "$GUID_ONE")
    echo "round $r 1-instance $o1"
    echo "one $o1" >>"$T/results"
    o2=$(kill_round two "$GUID_TWO")
    echo "round $r 2-instances $o2"
    echo "two $o2" >>"$T/results"
done
python3 - "$T/results" <<'PY'
import json, statistics, sys
res = {"one": [], "two": []}
for l in open(sys.argv[1]):
    k, j = l.split(" ", 1)
    res[k].append(json.loads(j))
for k, label in (("one", "1 instance "), ("two", "2 instances")):
    m = [r["mttr"] for r in res[k]]
    f = [r["failed"] + r["load_failed"] for r in res[k]]
    n = sum(r["requests"] + r["load_requests"] for r in res[k])
    print("median %s: kill -9 -> first 200 from the replacement through the router %.3f s"
          " (mean %.3f, min %.3f, max %.3f); failed GETs median %d (max %d, total %d of %d)"
          % (label, statistics.median(m), statistics.mean(m), min(m), max(m),
             statistics.median(f), max(f), sum(f), n))
PY
for a in one two; do hmc_api PUT "/apps/$a" "$TOK" '{"state":"STOPPED"}'; done
for _ in $(seq 100); do wdn list | grep -q "dea-" || break; sleep 0.1; done
