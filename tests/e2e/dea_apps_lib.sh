# shellcheck shell=bash
# dea_apps_lib.sh - set-up for the test-app e2e tests (sourced): everything dea_lib.sh starts
# (warden, nats-server, bus recorder, droplet server, DEA; cleanup trap) plus the stand-in CC
# for staging (dea_fake_cc.py), and helpers that stage an app from tests/apps, run its droplet
# and check what it answers on its host port. Each app's staging time and start-to-answer time
# are printed as "time - ..." lines (measured, never asserted).
. "$(dirname "$0")/dea_lib.sh"
command -v zip >/dev/null || wdn_skip "zip not installed"

APPS="$HEARTH_SOURCE_DIR/tests/apps"
wdn_start
dea_start
CC_PORT=$(free_port)
mkdir -p "$T/cc"
python3 "$HEARTH_SOURCE_DIR/tests/e2e/dea_fake_cc.py" "$CC_PORT" "$T/cc" &
EXTRA_PIDS="$EXTRA_PIDS $!"
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$CC_PORT") 2>/dev/null && break; sleep 0.1; done

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# app_src NAME: a private copy of tests/apps/NAME at $T/src-NAME (printed), for the test to
# add build products to (a jar, node_modules) without touching the source tree.
app_src() {
    rm -rf "$T/src-$1"
    cp -r "$APPS/$1" "$T/src-$1" || wdn_fail "copy $1"
    echo "$T/src-$1"
}

# stage_request NAME SRC_DIR: zips SRC_DIR, sends a staging request shaped like hearth-cc's
# (environment from $STAGE_ENV, a JSON array of "K=V", default none), leaves the reply in
# $T/NAME.reply, its task log in $T/NAME.stage.log and the time it took (ms) in STAGE_MS.
stage_request() {
    local name=$1 src=$2 msg t0 t1
    rm -f "$T/cc/$name.zip" "$T/cc/$name.tgz"
    (cd "$src" && zip -qr "$T/cc/$name.zip" .) || wdn_fail "zip $name"
    msg=$(python3 -c '
import json, sys
n, port, env = sys.argv[1:4]
print(json.dumps({"task_id": "t-" + n, "app_id": "app-" + n, "name": n, "package_sha1": "0" * 40,
  "properties": {"framework": "", "runtime": "", "command": None, "environment": json.loads(env),
                 "services": [], "resources": {"memory": 512, "disk": 1024, "fds": 256}},
  "download_uri": "http://127.0.0.1:%s/pkg/%s.zip" % (port, n),
  "upload_uri": "http://127.0.0.1:%s/drop/%s.tgz" % (port, n)}))' "$name" "$CC_PORT" "${STAGE_ENV:-[]}")
    t0=$(now_ms)
    $BUS req "$NATS" "staging.$DEA_ID.start" "$msg" 120 1 >"$T/$name.reply"
    t1=$(now_ms)
    STAGE_MS=$((t1 - t0))
    [ -s "$T/$name.reply" ] || wdn_fail "no staging reply for $name"
    json_get 'd.get("task_log") or ""' <"$T/$name.reply" >"$T/$name.stage.log"
}

# app_stage NAME SRC_DIR BUILDPACK: stages; fails unless staging succeeds with the expected
# buildpack and the droplet has app/ and a start command. The droplet is left in $T/cc.
app_stage() {
    local name=$1 r
    stage_request "$name" "$2"
    r=$(cat "$T/$name.reply")
    if ! echo "$r" | json_get 'd.get("error")' | grep -qx None; then
        cat "$T/$name.stage.log"
        wdn_fail "staging $name failed: $(echo "$r" | json_get 'd.get("error")')"
    fi
    expect_eq "$name: detected buildpack" "$(echo "$r" | json_get 'd["detected_buildpack"]')" "$3"
    [ -f "$T/cc/$name.tgz" ] || wdn_fail "$name: no droplet uploaded"
    tar -tzf "$T/cc/$name.tgz" | grep -q '^app/' || wdn_fail "$name: droplet has no app/"
    app_start_command "$name" >/dev/null
    echo "time - $name: staging $STAGE_MS ms"
    echo "$name staging $STAGE_MS" >>"$T/times"
}

# app_stage_fails NAME SRC_DIR LOG_TEXT: stages; fails unless staging fails, uploads no
# droplet and its task log contains LOG_TEXT.
app_stage_fails() {
    stage_request "$1" "$2"
    json_get 'd.get("error")' <"$T/$1.reply" | grep -qx None && wdn_fail "$1: staging succeeded"
    [ -f "$T/cc/$1.tgz" ] && wdn_fail "$1: a droplet was uploaded"
    grep -qF "$3" "$T/$1.stage.log" || {
        cat "$T/$1.stage.log"
        wdn_fail "$1: no '$3' in the staging log"
    }
    echo "ok - $1: staging fails with '$3' ($STAGE_MS ms)"
}

# app_start_command NAME: the start command the droplet carries (fails when it has none).
app_start_command() {
    local c
    c=$(tar -xzOf "$T/cc/$1.tgz" staging_info.yml | sed -n 's/^start_command: //p')
    [ -n "$c" ] || wdn_fail "$1: no start_command in the droplet"
    echo "$c"
}

# app_run NAME MEM_MB EXPECTED [SERVICES_JSON [ENV_JSON]]: starts one instance of the droplet
# (dea.UUID.start like hearth-cc's, index 0), waits for its router.register, then asks GET /
# on its host port until the body contains EXPECTED. Sets APP_PORT; prints the timing line.
app_run() {
    local name=$1 mem=$2 want=$3 svcs=${4:-[]} envj=${5:-[]} sha msg t0 t1 body=""
    sha=$(sha1sum "$T/cc/$name.tgz" | cut -d' ' -f1)
    cp "$T/cc/$name.tgz" "$T/www/$sha.tgz"
    msg=$(start_msg "run-$name" "$sha" 0 "$mem" "$name.e2e.test" | python3 -c '
import json, sys
m = json.load(sys.stdin)
m["services"] = json.loads(sys.argv[1])
m["env"] = json.loads(sys.argv[2])
print(json.dumps(m))' "$svcs" "$envj")
    t0=$(now_ms)
    $BUS pub "$NATS" "dea.$DEA_ID.start" "$msg"
    APP_PORT=$(bus_wait 60 "s=='router.register' and d['app']=='run-$name'" | json_get 'd["port"]')
    for _ in $(seq 300); do
        body=$(curl -s -m 5 "http://127.0.0.1:$APP_PORT/" 2>/dev/null) && [[ $body == *"$want"* ]] && break
        sleep 0.02
    done
    t1=$(now_ms)
    [[ $body == *"$want"* ]] || {
        app_logs "$name"
        wdn_fail "$name does not answer '$want' (got '$body')"
    }
    echo "ok - $name runs and answers '$want'"
    echo "time - $name: start message to first answer $((t1 - t0)) ms"
    echo "$name start $((t1 - t0))" >>"$T/times"
}

# app_get PATH: the body of GET PATH on the last app started (fails on an HTTP error).
app_get() { curl -sf -m 10 "http://127.0.0.1:$APP_PORT$1" || wdn_fail "GET $1 on port $APP_PORT"; }

# app_container PATTERN: the warden handle of the container with a process whose command line
# matches PATTERN (grep -E).
app_container() {
    local h
    for h in $(wdn list); do
        wdn run "$h" -- sh -c 'ps -e -o args=' 2>/dev/null | grep -qE "$1" && { echo "$h"; return 0; }
    done
    return 1
}

# app_logs NAME: prints the tail of the instance's logs (for a failure's diagnosis).
app_logs() {
    local f
    for f in "$T"/dea/instances/*/logs/std*.log; do
        [ -f "$f" ] || continue
        echo "--- $f"
        tail -15 "$f"
    done 2>/dev/null
    echo "--- staging log of $1"
    tail -20 "$T/$1.stage.log" 2>/dev/null
}

# apps_summary: the measured times, one app a line: staging (request to reply), start message
# to the first answer on the host port (both seen from here), and the DEA's own "starting
# instance" -> "instance running" (port accepting) from its log timestamps.
apps_summary() {
    [ -f "$T/times" ] || return 0
    echo "--- measured (ms)"
    python3 - "$T/times" "$T/dea.log" <<'PY'
import datetime, re, sys
t = {}
for line in open(sys.argv[1]):
    app, what, ms = line.split()
    t.setdefault(app, {})[what] = ms
ts = {}
for line in open(sys.argv[2]):
    m = re.search(r'ts=(\S+) .*msg="(starting instance|instance running)" app=run-(\S+)', line)
    if m:
        when = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
        ts.setdefault(m.group(3), {}).setdefault(m.group(2), when)
for app in sorted(t):
    d = ts.get(app, {})
    run = "-"
    if "starting instance" in d and "instance running" in d:
        run = "%d" % ((d["instance running"] - d["starting instance"]).total_seconds() * 1000)
    print("time - %-9s staging %5s ms, start to answer %5s ms, DEA start to running %5s ms"
          % (app, t[app].get("staging", "-"), t[app].get("start", "-"), run))
PY
}
