# tests/e2e/lib/broker.sh - run hearth-broker against the servers of services.sh and talk OSBAPI.
#
#   broker_start            # uses PG_*/MY_*/RMQ_* set by services.sh, BRK_EXTRA_CONF (YAML lines)
#   osb PUT /v2/service_instances/x '{"service_id":..}'   # -> $CODE and $BODY
#   broker_stop             # SIGTERM, waits for it
# Failing checks call fail, which prints and exits 1 (the EXIT trap still cleans up).

BRK_BIN="${HEARTH_BIN_DIR:-build/bin}/hearth-broker"
BRK_USER=broker
BRK_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
BRK_API_VERSION=2.14
BRK_PID=
BRK_DATA=
BRK_PORT=
BRK_STATUS_PORT=
BRK_EXTRA_CONF=
PG_PORT= MY_PORT= RMQ_PORT= REDIS_OK=
FAILS=0

fail() {
    echo "FAIL: $*" >&2
    [ -n "${BRK_DATA:-}" ] && [ -f "$BRK_DATA/broker.log" ] && tail -20 "$BRK_DATA/broker.log" >&2
    exit 1
}
ok() { echo "ok - $*"; }

broker_config() {
    {
        echo "port: $BRK_PORT"
        echo "status: {port: $BRK_STATUS_PORT, user: status, password: $BRK_PASSWORD}"
        echo "data_dir: $BRK_DATA"
        echo "auth: {user: $BRK_USER, password: $BRK_PASSWORD}"
        [ -n "$PG_PORT" ] && echo "postgresql: {host: 127.0.0.1, port: $PG_PORT, user: $PG_USER, password: $PG_PASSWORD}"
        [ -n "$MY_PORT" ] && echo "mysql: {host: 127.0.0.1, port: $MY_PORT, user: $MY_USER, password: $MY_PASSWORD}"
        [ -n "$REDIS_OK" ] && echo "redis: {enabled: true}"
        [ -n "$RMQ_PORT" ] && echo "rabbitmq: {host: 127.0.0.1, port: $RMQ_PORT, management_port: $RMQ_MGMT_PORT, user: $RMQ_USER, password: $RMQ_PASSWORD}"
        [ -n "$BRK_EXTRA_CONF" ] && echo "$BRK_EXTRA_CONF"
    } >"$BRK_DATA/broker.yml"
}

broker_start() {
    [ -n "$BRK_DATA" ] || BRK_DATA="$SVC_DIR/broker"
    mkdir -p "$BRK_DATA"
    [ -n "$BRK_PORT" ] || BRK_PORT=$(svc_free_port)
    [ -n "$BRK_STATUS_PORT" ] || BRK_STATUS_PORT=$(svc_free_port)
    broker_config
    "$BRK_BIN" -c "$BRK_DATA/broker.yml" >>"$BRK_DATA/broker.log" 2>&1 &
    BRK_PID=$!
    SVC_PIDS+=("$BRK_PID")
    svc_wait 20 curl -s -o /dev/null "http://127.0.0.1:$BRK_PORT/v2/catalog" || fail "broker did not start"
}

broker_stop() {
    [ -n "$BRK_PID" ] || return 0
    kill "$BRK_PID" 2>/dev/null
    wait "$BRK_PID" 2>/dev/null
    local rc=$?
    BRK_PID=
    # A clean stop exits 0 (under ASan this also says: no leak, no memory error).
    [ "$rc" = 0 ] || fail "the broker exited with status $rc on SIGTERM"
}

# osb METHOD PATH [BODY] [extra curl args...]
osb() {
    local method=$1 path=$2 body=${3:-}
    shift 3 2>/dev/null || shift $#
    local args=(-s -o "$SVC_DIR/osb.out" -w '%{http_code}' -X "$method"
        -u "$BRK_USER:$BRK_PASSWORD" -H "X-Broker-API-Version: $BRK_API_VERSION"
        -H 'Content-Type: application/json')
    [ -n "$body" ] && args+=(--data-binary "$body")
    CODE=$(curl "${args[@]}" "$@" "http://127.0.0.1:$BRK_PORT$path")
    BODY=$(cat "$SVC_DIR/osb.out")
}

expect_code() { # expect_code WANT WHAT
    [ "$CODE" = "$1" ] || fail "$2: HTTP $CODE, want $1: $BODY"
    ok "$2 ($CODE)"
}

# Ids of the catalog: svc_id NAME, plan_id NAME [PLAN]
svc_id() { curl -s -u "$BRK_USER:$BRK_PASSWORD" -H "X-Broker-API-Version: $BRK_API_VERSION" \
    "http://127.0.0.1:$BRK_PORT/v2/catalog" | jq -r ".services[] | select(.name==\"$1\") | .id"; }
plan_id() { curl -s -u "$BRK_USER:$BRK_PASSWORD" -H "X-Broker-API-Version: $BRK_API_VERSION" \
    "http://127.0.0.1:$BRK_PORT/v2/catalog" |
    jq -r ".services[] | select(.name==\"$1\") | .plans[] | select(.name==\"${2:-default}\") | .id"; }

# provision ID SERVICE [PLAN] [QUERY]: synchronous unless QUERY says accepts_incomplete
provision() {
    local s p
    s=$(svc_id "$2") p=$(plan_id "$2" "${3:-default}")
    osb PUT "/v2/service_instances/$1${4:-}" \
        "{\"service_id\":\"$s\",\"plan_id\":\"$p\",\"organization_guid\":\"org\",\"space_guid\":\"space\"}"
}
bind() { # bind INSTANCE BINDING SERVICE [PLAN]
    local s p
    s=$(svc_id "$3") p=$(plan_id "$3" "${4:-default}")
    osb PUT "/v2/service_instances/$1/service_bindings/$2" \
        "{\"service_id\":\"$s\",\"plan_id\":\"$p\",\"bind_resource\":{\"app_guid\":\"app-$2\"}}"
}
unbind() { # unbind INSTANCE BINDING SERVICE [PLAN]
    osb DELETE "/v2/service_instances/$1/service_bindings/$2?service_id=$(svc_id "$3")&plan_id=$(plan_id "$3" "${4:-default}")"
}
deprovision() { # deprovision INSTANCE SERVICE [PLAN]
    osb DELETE "/v2/service_instances/$1?service_id=$(svc_id "$2")&plan_id=$(plan_id "$2" "${3:-default}")"
}
varz() { curl -s -u "status:$BRK_PASSWORD" "http://127.0.0.1:$BRK_STATUS_PORT/varz"; }
cred() { echo "$BODY" | jq -r ".credentials.$1"; }
