# hm_cloud_lib.sh - the whole set of real daemons for the HM tests and bench that go through the
# router (sourced, not run; needs root): dea_lib.sh's warden, nats-server, bus recorder and
# first DEA (DEA_PID, DEA_ID), a second DEA on the same warden (DEA2_PID, DEA2_ID: DEAs name
# their containers by instance id and never touch others', so they can share one warden),
# hearth-cc, hearth-hm and hearth-router, all on random loopback ports. The trap stops what
# was started here, then dea_lib.sh's trap removes the containers and the rest.
#
# Knobs (environment): HMC_HM_YAML extra lines for the HM's config (e.g. a crash policy).
. "$(dirname "$0")/dea_lib.sh"

HMC_PIDS=""
DEA2_PID=""
DEA2_ID=""
HAMMER_PID=""

hmc_cleanup() {
    local rc=$?
    [ -n "$HAMMER_PID" ] && kill "$HAMMER_PID" 2>/dev/null
    [ -n "$DEA2_PID" ] && kill -9 "$DEA2_PID" 2>/dev/null
    # shellcheck disable=SC2086
    [ -n "$HMC_PIDS" ] && kill $HMC_PIDS 2>/dev/null
    if [ $rc != 0 ]; then
        for f in cc hm router dea2; do
            echo "--- $f log (tail)"
            tail -25 "$T/$f.log" 2>/dev/null
        done
    fi
    (exit $rc)
    dea_cleanup
}
trap hmc_cleanup EXIT

# The first DEA id advertised after line $1 of the bus record that is not in $2.
hmc_new_dea() {
    tail -n +"$(($1 + 1))" "$T/bus.jsonl" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m["subject"] == "dea.advertise":
        i = json.loads(m["data"])["id"]
        if i not in sys.argv[1].split():
            print(i); break' "$2"
}

# dea2_start: the second DEA, with the first one's config and a data dir of its own (the same
# dir again when restarted, so it re-attaches to its containers from its snapshot).
dea2_start() {
    local since
    since=$(wc -l <"$T/bus.jsonl")
    [ -f "$T/dea2.yml" ] || cp "$T/dea.yml" "$T/dea2.yml"
    "$HEARTH_BIN_DIR/hearth-dea" -c "$T/dea2.yml" --nats "nats://$NATS" --port "$(free_port)" \
        --data-dir "$T/dea2" --status-port "$(free_port)" >>"$T/dea2.log" 2>&1 &
    DEA2_PID=$!
    for _ in $(seq 100); do
        DEA2_ID=$(hmc_new_dea "$since" "$DEA_ID $DEA2_ID")
        [ -n "$DEA2_ID" ] && return 0
        kill -0 "$DEA2_PID" 2>/dev/null || break
        sleep 0.1
    done
    wdn_fail "second DEA did not advertise"
}

# hmc_cc_start / hmc_cc_stop: the CC (same port and data dir each time); CC_PID.
hmc_cc_start() {
    "$HEARTH_BIN_DIR/hearth-cc" -c "$T/cc.yml" --port "$CC_PORT" --status-port "$(free_port)" \
        --data-dir "$T/cc" --nats "nats://$NATS" >>"$T/cc.log" 2>&1 &
    CC_PID=$!
    HMC_PIDS="$HMC_PIDS $CC_PID"
    for _ in $(seq 100); do curl -s -o /dev/null "$CC_URL/info" && return 0; sleep 0.1; done
    wdn_fail "the CC does not answer"
}
hmc_cc_stop() {
    kill "$CC_PID" 2>/dev/null && wait "$CC_PID" 2>/dev/null
    HMC_PIDS=${HMC_PIDS/ $CC_PID/}
}

hmc_start() {
    wdn_start
    dea_start
    dea2_start
    CC_PORT=$(free_port)
    CC_URL="http://127.0.0.1:$CC_PORT"
    printf 'auth:\n  pwhash_memlimit: 64K\n  pwhash_opslimit: 1\n' >"$T/cc.yml"
    hmc_cc_start
    HM_PORT=$(free_port)
    # The DEAs heartbeat every 2 s (dea_lib.sh): an instance unheard for 6 s is gone.
    cat >"$T/hm.yml" <<YML
status: {port: $HM_PORT, user: st, password: stpw}
intervals: {heartbeat: 2s, analysis: 100ms, desired_refresh: 500ms, desired_max_age: 5s, restart_timeout: 5s, lease: 300ms}
${HMC_HM_YAML:-}
YML
    "$HEARTH_BIN_DIR/hearth-hm" -c "$T/hm.yml" --nats "nats://$NATS" --cc "$CC_URL" \
        >>"$T/hm.log" 2>&1 &
    HMC_PIDS="$HMC_PIDS $!"
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$HM_PORT/healthz" && break; sleep 0.1; done
    ROUTER_PORT=$(free_port)
    "$HEARTH_BIN_DIR/hearth-router" --nats "nats://$NATS" --ip 127.0.0.1 --port "$ROUTER_PORT" \
        --status-port "$(free_port)" >>"$T/router.log" 2>&1 &
    HMC_PIDS="$HMC_PIDS $!"
    for _ in $(seq 100); do
        (echo >"/dev/tcp/127.0.0.1/$ROUTER_PORT") 2>/dev/null && break
        sleep 0.1
    done
    # The CC places by recent advertisements: wait until it has heard both DEAs.
    bus_wait 20 "s=='dea.advertise' and d['id']=='$DEA2_ID'" >/dev/null
    sleep 1.2
}

hmc_api() { # METHOD PATH TOKEN BODY -> $BODY
    BODY=$(curl -s -X "$1" ${3:+-H "Authorization: bearer $3"} \
        ${4:+-H "Content-Type: application/json" --data-binary "$4"} "$CC_URL$2")
}

# hmc_create NAME INSTANCES [APP]: pushes tests/apps/APP (default python-http; staged by a
# real DEA with the built-in buildpacks) as NAME with route NAME.hm.test and starts it; sets
# TOK and GUID.
hmc_create() {
    hmc_api POST /users "" '{"email":"hm@x.com","password":"pw"}'
    hmc_api POST /users/hm@x.com/tokens "" '{"password":"pw"}'
    TOK=$(echo "$BODY" | json_get 'd["token"]')
    hmc_api POST /apps "$TOK" "{\"name\":\"$1\",\"instances\":$2,\"uris\":[\"$1.hm.test\"],\"resources\":{\"memory\":128}}"
    rm -f "$T/app.zip"
    (cd "$HEARTH_SOURCE_DIR/tests/apps/${3:-python-http}" && zip -qr "$T/app.zip" .)
    curl -sf -o /dev/null -X PUT -H "Authorization: bearer $TOK" -F "application=@$T/app.zip" \
        -F 'resources=[]' "$CC_URL/apps/$1/application" || wdn_fail "upload"
    hmc_api PUT "/apps/$1" "$TOK" '{"state":"STARTED"}'
    hmc_api GET "/apps/$1" "$TOK"
    GUID=$(echo "$BODY" | json_get 'd["guid"]')
}

# hmc_push NAME INSTANCES: hmc_create, then waits until every index answers through the router.
hmc_push() {
    hmc_create "$1" "$2"
    local i
    for i in $(seq 0 $(($2 - 1))); do
        hmc_wait_index "$1" "$i" 120 || wdn_fail "index $i of $1 never answered through the router"
    done
}

# hmc_get NAME: one GET through the router; prints "STATUS BODY".
hmc_get() {
    curl -s -m 10 -w ' %{http_code}' -H "Host: $1.hm.test" "http://127.0.0.1:$ROUTER_PORT/" |
        tr '\n' ' ' | awk '{print $NF, $0}'
}

# hmc_wait_index NAME INDEX SECS: until index INDEX answers through the router.
hmc_wait_index() {
    local end=$((SECONDS + $3))
    while [ $SECONDS -lt "$end" ]; do
        hmc_get "$1" | grep -q "^200 .*index $2\b" && return 0
        sleep 0.1
    done
    return 1
}

# hmc_running GUID INDEX [DEA]: "INSTANCE DEA" of the last heartbeat entry RUNNING for the
# index (from that DEA, when given), from the bus record.
hmc_running() {
    python3 - "$T/bus.jsonl" "$1" "$2" "${3:-}" <<'PY'
import json, sys
path, guid, idx, dea = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
last = ""
for l in open(path):
    m = json.loads(l)
    if m["subject"] != "dea.heartbeat":
        continue
    d = json.loads(m["data"])
    if dea and d.get("dea") != dea:
        continue
    for e in d.get("droplets", []):
        if e.get("droplet") == guid and e.get("index") == idx and e.get("state") == "RUNNING":
            last = "%s %s" % (e["instance"], d["dea"])
print(last)
PY
}

# hmc_pid INSTANCE: host pid of the app process (python3 app.py) in that instance's container.
hmc_pid() {
    local p
    for p in $(pgrep -f '^python3 app.py' || true); do
        grep -q "dea-$1" "/proc/$p/cgroup" 2>/dev/null && { echo "$p"; return 0; }
    done
    return 1
}

# hammer_start NAME FILE / hammer_stop: GETs through the router in the background.
hammer_start() {
    python3 "$HEARTH_SOURCE_DIR/tests/e2e/hm_client.py" hammer "$ROUTER_PORT" "$1.hm.test" "$2" &
    HAMMER_PID=$!
}
hammer_stop() {
    [ -n "$HAMMER_PID" ] && kill "$HAMMER_PID" 2>/dev/null && wait "$HAMMER_PID" 2>/dev/null
    HAMMER_PID=""
}

# hammer_count FILE FROM [TO]: "total failed codes" of the requests recorded between two
# times (codes: the statuses of the failed ones, 0 for a connection error, or -).
hammer_count() {
    awk -v a="$2" -v b="${3:-9e18}" '$1 >= a && $1 <= b { n++; if ($2 != 200) { f++; c[$2]++ } }
        END { s = ""; for (k in c) s = s (s == "" ? "" : ",") k "x" c[k];
              printf "%d %d %s\n", n, f, s == "" ? "-" : s }' "$1"
}

# hmc_varz FILTER: jq over the HM's /varz.
hmc_varz() { curl -s -u st:stpw "http://127.0.0.1:$HM_PORT/varz" | jq -c "$1"; }
