# dea_logdrain_lib.sh - shared by the DEA's syslog drain e2e tests (sourced): the set-up of
# dea_lib.sh and a warden, then drain_dea_start, syslog receivers (dea_syslog_receiver.py) and
# the probe app bound to drains.
. "$(dirname "${BASH_SOURCE[0]}")/dea_lib.sh"
wdn_start

# drain_dea_start [LINES]: the DEA, loopback drains allowed, LINES (indented) added under log_drains.
drain_dea_start() {
    DEA_EXTRA_YAML=$'log_drains:\n  allow_loopback: true'"${1:+$'\n'$1}" dea_start
}
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'

# receiver NAME PORT [CERT KEY]: a receiver on 127.0.0.1:PORT writing $T/NAME.drained (one
# message a line) and $T/NAME.drained.events; sets RECV_PID.
receiver() {
    local out="$T/$1.drained" port=$2
    shift 2
    rm -f "$out.events"
    python3 "$HEARTH_SOURCE_DIR/tests/e2e/dea_syslog_receiver.py" "$port" "$out" "$@" &
    RECV_PID=$!
    EXTRA_PIDS="$EXTRA_PIDS $RECV_PID"
    for _ in $(seq 50); do grep -qx listening "$out.events" 2>/dev/null && return; sleep 0.1; done
    wdn_fail "the syslog receiver $out did not start"
}

# start_app APP URL...: starts the probe app bound to one user-provided service per drain URL,
# waits for its route; sets MSG (the start message) and PORT (the instance's port).
start_app() {
    local app=$1 sha
    shift
    mkdir -p "$T/app"
    cp "$(dirname "${BASH_SOURCE[0]}")/dea_probe_app.py" "$T/app/app.py"
    sha=$(make_droplet "$T/app" "python3 -u app.py")
    MSG=$(start_msg "$app" "$sha" 0 128 drain.e2e.test | python3 -c '
import json, sys
m = json.load(sys.stdin)
for i, url in enumerate(sys.argv[1:]):
    m["services"].append({"name": "logs%d" % i, "label": "user-provided", "credentials": {},
                          "syslog_drain_url": url})
print(json.dumps(m))' "$@")
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$MSG"
    PORT=$(bus_wait 60 "s=='router.register' and d['app']=='$app'" | json_get 'd["port"]')
}

say() { curl -sf -o /dev/null "http://127.0.0.1:$PORT/$1/$2" || wdn_fail "GET /$1/$2"; }

# drained NAME RE: waits up to 20 s for a message in $T/NAME.drained matching the extended RE.
drained() {
    for _ in $(seq 200); do grep -qE "$2" "$T/$1.drained" 2>/dev/null && return 0; sleep 0.1; done
    tail -5 "$T/$1.drained" 2>/dev/null
    wdn_fail "no message drained to $1 matches: $2"
}

# instance_of APP: the id of APP's (first) instance.
instance_of() { $BUS req "$NATS" dea.find.droplet "{\"droplet\":\"$1\"}" 2 1 | json_get 'd["instance"]'; }

# stop_clean APP OLD_ID: another instance of APP starts (its drains connect), then the DEA
# stops with them open; under a sanitizer build its log must have no report.
stop_clean() {
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$(echo "$MSG" | sed "s/\"index\": 0/\"index\": 1/")"
    bus_wait 60 "s=='router.register' and d['app']=='$1' and d['private_instance_id']!='$2'" \
        >/dev/null
    dea_stop
    if grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/dea.log"; then
        grep -A30 -E 'Sanitizer|runtime error:' "$T/dea.log" | head -60
        wdn_fail "sanitizer report in the DEA's log"
    fi
}
