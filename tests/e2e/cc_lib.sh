# Shared helpers for the hearth-cc end-to-end tests (sourced, not run).
# Starts hearth-cc on a free loopback port with a temp data dir; every process started here
# is recorded and killed by cc_cleanup (an EXIT trap), logs are printed on failure.
set -u

BIN=${HEARTH_BIN_DIR:?HEARTH_BIN_DIR not set}
CC_TMP=$(mktemp -d /tmp/hearth-cc-e2e.XXXXXX)
CC_PIDS=()
CC_FAILED=0
CC_PORT=
CC_URL=

cc_cleanup() {
    local rc=$?
    for p in "${CC_PIDS[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    # Sanitizer builds: a report in the daemon's log fails the test.
    if grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$CC_TMP/cc.log" 2>/dev/null; then
        echo "FAIL: sanitizer report in hearth-cc's log" >&2
        grep -A30 -E 'Sanitizer|runtime error:' "$CC_TMP/cc.log" | head -80 >&2
        [ "$rc" -eq 0 ] && rc=1
    fi
    if [ "$rc" -ne 0 ] || [ "$CC_FAILED" -ne 0 ]; then
        for f in "$CC_TMP"/*.log; do
            [ -f "$f" ] && { echo "--- $f"; tail -n 60 "$f"; }
        done
    fi
    [ -n "${CC_EXTRA_CLEANUP:-}" ] && eval "$CC_EXTRA_CLEANUP"
    rm -rf "$CC_TMP"
    exit $rc
}
trap cc_cleanup EXIT

# A free TCP port on 127.0.0.1 (bound then released by the kernel's choice).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

fail() {
    echo "FAIL: $*" >&2
    CC_FAILED=1
    exit 1
}

# wait_http URL: until it answers (any status), at most ~10 s.
wait_http() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    fail "no answer from $1"
}

# start_cc [extra args...]: starts hearth-cc, sets CC_PORT/CC_URL/CC_PID.
start_cc() {
    CC_PORT=$(free_port)
    CC_STATUS_PORT=$(free_port)
    CC_URL="http://127.0.0.1:$CC_PORT"
    [ -f "$CC_TMP/cc.yml" ] || cat > "$CC_TMP/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
login:
  max_failures: 4
  window: 60s
bulk_api:
  user: bulk
  password: bulksecret
quota:
  apps: 5
  memory: 1024
router_port: 8081
YML
    # Without a bus of its own, point at a port nobody listens on (never a shared server).
    [ -n "${CC_NATS_URL:-}" ] || CC_NATS_URL="nats://127.0.0.1:$(free_port)"
    "$BIN/hearth-cc" -c "$CC_TMP/cc.yml" --port "$CC_PORT" --data-dir "$CC_TMP/data" \
        --nats "$CC_NATS_URL" --status-port "$CC_STATUS_PORT" \
        ${CC_DB_URL:+--database-url "$CC_DB_URL"} "$@" >> "$CC_TMP/cc.log" 2>&1 &
    CC_PID=$!
    CC_PIDS+=("$CC_PID")
    wait_http "$CC_URL/info"
}

stop_cc() {
    kill "$CC_PID" 2>/dev/null
    wait "$CC_PID" 2>/dev/null || true
}

# api METHOD PATH [TOKEN] [BODY]: sets STATUS and BODY.
api() {
    local method=$1 path=$2 token=${3:-} data=${4:-}
    local args=(-s --path-as-is -X "$method" -o "$CC_TMP/body" -w '%{http_code}')
    [ -n "$token" ] && args+=(-H "Authorization: bearer $token")
    [ -n "$data" ] && args+=(-H "Content-Type: application/json" --data-binary "$data")  # "@FILE" reads a file
    STATUS=$(curl "${args[@]}" "$CC_URL$path")
    BODY=$(cat "$CC_TMP/body")
}

# expect STATUS [CODE]: checks the last api call's HTTP status and v1 error code.
expect() {
    [ "$STATUS" = "$1" ] || fail "$LAST_WHAT: status $STATUS, expected $1; body: $BODY"
    if [ $# -ge 2 ]; then
        local code
        code=$(printf '%s' "$BODY" | jq -r .code)
        [ "$code" = "$2" ] || fail "$LAST_WHAT: code $code, expected $2; body: $BODY"
    fi
}

# call WHAT METHOD PATH [TOKEN] [BODY]
call() {
    LAST_WHAT=$1
    shift
    api "$@"
}

# jfield FILTER: jq over the last body.
jfield() {
    printf '%s' "$BODY" | jq -r "$1"
}

register() { call "register $1" POST /users "" "{\"email\":\"$1\",\"password\":\"$2\"}"; expect 204; }
login() {
    call "login $1" POST "/users/$1/tokens" "" "{\"password\":\"$2\"}"
    expect 200
    jfield .token
}

# s3_start: the S3 stand-in (cc_fake_s3.py) on a free port; S3_URL, and S3_YML the
# blobstore lines of cc.yml that point the CC at it (bucket hearth-blobs).
s3_start() {
    python3 "$(dirname "${BASH_SOURCE[0]}")/cc_fake_s3.py" "$CC_TMP/s3.port" "$CC_TMP/s3.log" \
        2>"$CC_TMP/s3.err" &
    CC_PIDS+=($!)
    for _ in $(seq 1 100); do [ -s "$CC_TMP/s3.port" ] && break; sleep 0.1; done
    [ -s "$CC_TMP/s3.port" ] || fail "the S3 stand-in did not start"
    S3_URL=http://127.0.0.1:$(cat "$CC_TMP/s3.port")
    S3_YML="  backend: s3
  s3:
    endpoint: $S3_URL
    bucket: hearth-blobs
    region: eu-west-1
    access_key: AKTEST
    secret_key: secret"
}

# fake_dea_start: Debian's nats-server on a free port (CC_NATS_URL points start_cc at it) and
# the stand-in DEA dea-1 (cc_fake_dea.py) recording every bus message into MSGS; then
# wait_msg and count_msgs read them. Skips the test (exit 0) without nats-server.
fake_dea_start() {
    command -v nats-server >/dev/null || { echo "SKIP: nats-server not installed"; exit 0; }
    NATS_PORT=$(free_port)
    nats-server -a 127.0.0.1 -p "$NATS_PORT" > "$CC_TMP/nats.log" 2>&1 &
    CC_PIDS+=($!)
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT) 2>/dev/null && break; sleep 0.1; done
    CC_NATS_URL="nats://127.0.0.1:$NATS_PORT"
    MSGS="$CC_TMP/msgs.jsonl"
    : > "$MSGS"
    python3 "$(dirname "${BASH_SOURCE[0]}")/cc_fake_dea.py" dea "127.0.0.1:$NATS_PORT" dea-1 \
        "$MSGS" 2> "$CC_TMP/dea.log" &
    CC_PIDS+=($!)
    sleep 0.3
}

# wait_msg JQ_FILTER: until a recorded bus message matches (10 s), then prints it.
wait_msg() {
    for _ in $(seq 1 100); do
        local m
        m=$(jq -c "select($1)" "$MSGS" 2>/dev/null | tail -n 1)
        [ -n "$m" ] && { printf '%s\n' "$m"; return 0; }
        sleep 0.1
    done
    fail "no bus message matching $1; got: $(jq -c '[.subject]' "$MSGS" | sort | uniq -c)"
}
# count_msgs JQ_FILTER: how many recorded bus messages match.
count_msgs() { jq -c "select($1)" "$MSGS" | wc -l; }

# upload APP DIR: zips DIR into DIR.zip and PUTs it as APP's bits (as $ALICE); fails unless 200.
upload() {
    rm -f "$2.zip"
    (cd "$2" && zip -qr "$2.zip" .)
    STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: bearer $ALICE" \
        -F "application=@$2.zip" -F 'resources=[]' "$CC_URL/apps/$1/application")
    [ "$STATUS" = 200 ] || fail "upload $1 $STATUS"
}

# gc_conf [LINES]: a cc.yml whose blob collector runs every second with no grace; LINES
# (indented by two spaces) go under blobstore.
gc_conf() {
    cat >"$CC_TMP/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
blobstore:
  gc_interval: 1s
  gc_grace: 0s
${1:-}
YML
}
