# Shared helpers for the hearth-hm end-to-end tests (sourced, not run): a real nats-server, the
# real hearth-cc (fixed port so it can be restarted), the simulated DEA (hm_dea.py) and
# hearth-hm with intervals scaled down. Every process started here is killed on exit.
set -u

BIN=${HEARTH_BIN_DIR:?HEARTH_BIN_DIR not set}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/hearth-hm-e2e.XXXXXX)
PIDS=()
FAILED=0
MSGS="$T/msgs.jsonl"
: > "$MSGS"
HB=0.3

cleanup() {
    local rc=$?
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if [ "$rc" -ne 0 ] || [ "$FAILED" -ne 0 ]; then
        for f in "$T"/*.log; do
            [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
        done
    fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILED=1
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_tcp() {
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done
    fail "nothing listens on port $1"
}

NATS_PORT=$(free_port)
start_nats() {
    nats-server -a 127.0.0.1 -p "$NATS_PORT" >> "$T/nats.log" 2>&1 &
    NATS_PID=$!
    PIDS+=("$NATS_PID")
    wait_tcp "$NATS_PORT"
}
stop_nats() { kill "$NATS_PID" 2>/dev/null; wait "$NATS_PID" 2>/dev/null || true; }

CC_PORT=$(free_port)
CC_URL="http://127.0.0.1:$CC_PORT"
start_cc() {
    [ -f "$T/cc.yml" ] || cat > "$T/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
YML
    "$BIN/hearth-cc" -c "$T/cc.yml" --port "$CC_PORT" --data-dir "$T/cc" \
        --nats "nats://127.0.0.1:$NATS_PORT" >> "$T/cc.log" 2>&1 &
    CC_PID=$!
    PIDS+=("$CC_PID")
    wait_tcp "$CC_PORT"
}
stop_cc() { kill "$CC_PID" 2>/dev/null; wait "$CC_PID" 2>/dev/null || true; }

start_dea() {
    python3 "$HERE/hm_dea.py" "127.0.0.1:$NATS_PORT" dea-1 "$MSGS" "$HB" 2>> "$T/dea.log" &
    PIDS+=($!)
}

# start_hm NAME ID [extra yaml]: sets HM_STATUS_<NAME> port, HM_PID_<NAME>.
start_hm() {
    local name=$1 id=$2 port
    port=$(free_port)
    cat > "$T/hm-$name.yml" <<YML
id: $id
status:
  port: $port
  user: st
  password: stpw
intervals:
  heartbeat: 300ms
  analysis: 50ms
  desired_refresh: 300ms
  desired_max_age: 1500ms
  restart_timeout: 1s
  lease: 200ms
crash:
  backoff_base: 400ms
  backoff_max: 1600ms
  giveup: 8
  reset: 1h
${3:-}
YML
    "$BIN/hearth-hm" -c "$T/hm-$name.yml" --nats "nats://127.0.0.1:$NATS_PORT" --cc "$CC_URL" \
        --log-level debug >> "$T/hm-$name.log" 2>&1 &
    eval "HM_PID_$name=$!"
    eval "HM_STATUS_$name=$port"
    PIDS+=($!)
    wait_tcp "$port"
}

# varz NAME FILTER: jq over the HM's /varz.
varz() {
    local port
    eval "port=\$HM_STATUS_$1"
    curl -s -u st:stpw "http://127.0.0.1:$port/varz" | jq -r "$2"
}

# wait_for CMD...: until CMD succeeds (15 s).
wait_for() {
    for _ in $(seq 1 150); do "$@" && return 0; sleep 0.1; done
    fail "timed out waiting for: $*"
}

# count_msgs JQ_FILTER over the recorded bus messages (data parsed as .d).
count_msgs() { jq -c "(.d = (.data | fromjson? // null)) | select($1)" "$MSGS" | wc -l; }
msgs() { jq -c "(.d = (.data | fromjson? // null)) | select($1)" "$MSGS"; }
has_msg() { [ "$(count_msgs "$1")" -gt 0 ]; }

pub() {
    python3 - "$NATS_PORT" "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.makefile("rb").readline()
b = sys.argv[3].encode()
s.sendall(b'CONNECT {"verbose":false}\r\n' + f"PUB {sys.argv[2]} {len(b)}\r\n".encode() + b + b"\r\nPING\r\n")
s.recv(100)
PY
}

# request SUBJECT DATA: prints the first reply (2 s).
request() {
    python3 - "$NATS_PORT" "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
f = s.makefile("rb")
f.readline()
b = sys.argv[3].encode()
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _t.r 1\r\n' +
          f"PUB {sys.argv[2]} _t.r {len(b)}\r\n".encode() + b + b"\r\n")
while True:
    line = f.readline()
    if line.startswith(b"PING"):
        s.sendall(b"PONG\r\n")
    elif line.startswith(b"MSG"):
        n = int(line.split()[-1])
        print(f.read(n).decode())
        break
PY
}

api() {
    local method=$1 path=$2 token=${3:-} data=${4:-}
    local args=(-s -X "$method" -o "$T/body" -w '%{http_code}')
    [ -n "$token" ] && args+=(-H "Authorization: bearer $token")
    [ -n "$data" ] && args+=(-H "Content-Type: application/json" --data-binary "$data")
    STATUS=$(curl "${args[@]}" "$CC_URL$path")
    BODY=$(cat "$T/body")
}

# push_app NAME INSTANCES: registers a user, creates, uploads and starts the app; sets GUID,
# VERSION and TOKEN once the CC reports it STAGED.
push_app() {
    api POST /users "" '{"email":"hm@x.com","password":"pw"}'
    api POST /users/hm@x.com/tokens "" '{"password":"pw"}'
    TOKEN=$(printf '%s' "$BODY" | jq -r .token)
    api POST /apps "$TOKEN" "{\"name\":\"$1\",\"instances\":$2,\"resources\":{\"memory\":64}}"
    [ "$STATUS" = 302 ] || [ "$STATUS" = 200 ] || fail "create app: $STATUS $BODY"
    mkdir -p "$T/app" && echo '<h1>hi</h1>' > "$T/app/index.html"
    (cd "$T/app" && zip -qr "$T/app.zip" .)
    STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: bearer $TOKEN" \
        -F "application=@$T/app.zip" -F 'resources=[]' "$CC_URL/apps/$1/application")
    [ "$STATUS" = 200 ] || fail "upload $STATUS"
    api PUT "/apps/$1" "$TOKEN" '{"state":"STARTED"}'
    [ "$STATUS" = 200 ] || fail "start: $STATUS $BODY"
    for _ in $(seq 1 100); do
        api GET "/apps/$1" "$TOKEN"
        [ "$(printf '%s' "$BODY" | jq -r .package_state)" = STAGED ] && break
        sleep 0.1
    done
    GUID=$(printf '%s' "$BODY" | jq -r .guid)
    VERSION=$(printf '%s' "$BODY" | jq -r .version)
    [ "$(printf '%s' "$BODY" | jq -r .package_state)" = STAGED ] || fail "not staged: $BODY"
}

hm_requests() { count_msgs ".subject == \"cloudcontrollers.hm.requests\" ${1:+and ($1)}"; }
