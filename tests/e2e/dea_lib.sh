# dea_lib.sh - set-up for the hearth-dea e2e tests (sourced): a warden (warden_lib.sh), a
# nats-server, a bus recorder, an HTTP server for droplets and the DEA, all on random
# loopback ports, and a trap that stops them and removes every container even on failure.
. "$(dirname "${BASH_SOURCE[0]}")/warden_lib.sh"
command -v nats-server >/dev/null || wdn_skip "nats-server not installed"

BUS="python3 $HEARTH_SOURCE_DIR/tests/e2e/dea_bus.py"
DEA_PID=""
DEA_ID=""
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dea_cleanup() {
    local rc=$?
    [ -n "$DEA_PID" ] && kill -9 "$DEA_PID" 2>/dev/null
    if [ $rc != 0 ] || [ -n "${DEA_E2E_VERBOSE:-}" ]; then
        echo "--- dea log (tail)"
        tail -30 "$T/dea.log" 2>/dev/null
        echo "--- warden log (tail)"
        tail -10 "$T/log" 2>/dev/null
    fi
    (exit $rc)
    wdn_cleanup
}
trap dea_cleanup EXIT

NATS_PORT=$(free_port)
nats-server -a 127.0.0.1 -p "$NATS_PORT" >"$T/nats.log" 2>&1 &
EXTRA_PIDS="$!"
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null && break; sleep 0.1; done
NATS="127.0.0.1:$NATS_PORT"
$BUS rec "$NATS" "$T/bus.jsonl" &
EXTRA_PIDS="$EXTRA_PIDS $!"
mkdir -p "$T/www"
WWW_PORT=$(free_port)
(cd "$T/www" && exec python3 -m http.server -b 127.0.0.1 "$WWW_PORT") >/dev/null 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
FILE_PORT=$(free_port)
STATUS_PORT=$(free_port)
sleep 0.3

# bus_wait SECS PYEXPR: prints the first recorded message data matching, or fails.
bus_wait() { $BUS wait "$T/bus.jsonl" "$1" "$2" || wdn_fail "no bus message with $2"; }

# dea_start [extra yaml lines]: starts the DEA and waits for its first dea.advertise.
dea_start() {
    cat >"$T/dea.yml" <<YML
warden_socket: $T/w.sock
start_timeout: ${DEA_START_TIMEOUT:-60s}
intervals:
  heartbeat: 2s
  advertise: 1s
  stats: ${DEA_STATS_INTERVAL:-2s}
file_server:
  user: u
  password: p
buildpacks_dir: ${DEA_BUILDPACKS:-$HEARTH_SOURCE_DIR/buildpacks}
${DEA_EXTRA_YAML:-}
log:
  level: ${DEA_LOG_LEVEL:-info}
YML
    "$HEARTH_BIN_DIR/hearth-dea" -c "$T/dea.yml" --nats "nats://$NATS" --port "$FILE_PORT" \
        --data-dir "$T/dea" --status-port "$STATUS_PORT" >>"$T/dea.log" 2>&1 &
    DEA_PID=$!
    local since
    since=$(wc -l <"$T/bus.jsonl" 2>/dev/null || echo 0)
    for _ in $(seq 100); do
        DEA_ID=$(tail -n +"$((since + 1))" "$T/bus.jsonl" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m["subject"] == "dea.advertise":
        print(json.loads(m["data"])["id"]); break')
        [ -n "$DEA_ID" ] && return 0
        kill -0 "$DEA_PID" 2>/dev/null || break
        sleep 0.1
    done
    wdn_fail "DEA did not advertise"
}

dea_stop() {
    kill -INT "$DEA_PID" 2>/dev/null && wait "$DEA_PID" 2>/dev/null
    DEA_PID=""
}

# make_droplet SRC_DIR START_COMMAND: packs app/ + staging_info.yml, prints its SHA-1.
make_droplet() {
    local d
    d=$(mktemp -d "$T/drop.XXXX")
    cp -r "$1" "$d/app"
    printf -- '---\ndetected_buildpack: e2e\nstart_command: %s\n' "$2" >"$d/staging_info.yml"
    tar -czf "$d.tgz" -C "$d" app staging_info.yml
    local sha
    sha=$(sha1sum "$d.tgz" | cut -d' ' -f1)
    mv "$d.tgz" "$T/www/$sha.tgz"
    echo "$sha"
}

# start_msg APP_ID SHA1 INDEX MEM URI: a dea.UUID.start body shaped like hearth-cc's.
start_msg() {
    python3 -c '
import json, sys
app, sha, idx, mem, uri, www = sys.argv[1:7]
print(json.dumps({"droplet": app, "name": app, "uris": [uri] if uri else [], "runtime": "",
  "framework": "", "sha1": sha, "executableFile": "", "version": sha[:8] + "-1",
  "executableUri": "http://127.0.0.1:%s/%s.tgz" % (www, sha), "services": [
  {"name": "db", "label": "postgresql", "plan": "free", "credentials": {"uri": "postgres://x"}}],
  "limits": {"mem": int(mem), "disk": 64, "fds": 256}, "env": ["GREETING=hi there"],
  "users": ["a@b.c"], "index": int(idx), "cc_partition": "default"}))' "$@" "$WWW_PORT"
}

# task_log: the task_log of a staging reply on stdin, byte for byte.
task_log() { python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["task_log"])'; }

# slog_check TASK REPLY: the live pieces of TASK on the bus concatenate to REPLY's task_log.
slog_check() {
    $BUS slog "$T/bus.jsonl" "$1" 10 >"$T/slog.$1" || wdn_fail "$1: live staging log broken"
    echo "$2" | task_log >"$T/tasklog.$1"
    [ -s "$T/tasklog.$1" ] || wdn_fail "$1: empty task_log"
    cmp -s "$T/slog.$1" "$T/tasklog.$1" || {
        diff "$T/slog.$1" "$T/tasklog.$1" | head -20
        wdn_fail "$1: live staging log differs from the task_log"
    }
}
