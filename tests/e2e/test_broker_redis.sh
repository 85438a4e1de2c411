#!/usr/bin/env bash
# hearth-broker with real Redis: one redis-server per instance, an ACL user per binding.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib/services.sh
. tests/e2e/lib/broker.sh
svc_init
if ! start_redis; then
    echo "SKIP redis: $SVC_WHY"
    exit 0
fi
REDIS_OK=1
broker_start

r_as() { # r_as CREDS_JSON CMD...: reply on stdout
    local c=$1
    shift
    REDISCLI_AUTH=$(jq -r .password <<<"$c") timeout 10 redis-cli --no-auth-warning -h "$(jq -r .hostname <<<"$c")" \
        -p "$(jq -r .port <<<"$c")" --user "$(jq -r .username <<<"$c")" "$@" 2>&1
}

osb GET /v2/catalog
[ "$(jq -r '.services[].name' <<<"$BODY")" = redis ] || fail "catalog: $BODY"
[ "$(jq -r '[.services[0].plans[].name] | join(",")' <<<"$BODY")" = small,medium ] || fail "plans: $BODY"
ok "catalog offers redis with two plans"
provision ra redis small
expect_code 201 "provision ra (small)"
provision ra redis small
expect_code 200 "identical provision replays 200"
provision ra redis medium
expect_code 409 "same id with another plan is 409"
provision rb redis medium '?accepts_incomplete=true'
expect_code 202 "async provision rb (medium)"
for _ in $(seq 100); do
    osb GET /v2/service_instances/rb/last_operation
    [ "$(jq -r .state <<<"$BODY")" = "in progress" ] || break
    sleep 0.1
done
[ "$(jq -r .state <<<"$BODY")" = succeeded ] || fail "rb: $BODY"
ok "rb provisioned"

bind ra a1 redis small
expect_code 201 "bind a1"
CA1=$(jq -c .credentials <<<"$BODY")
for k in uri hostname port name username password; do
    [ -n "$(jq -r ".$k // empty" <<<"$CA1")" ] || fail "credentials lack $k: $CA1"
done
[ "$(r_as "$CA1" SET k hello)" = OK ] || fail "a1 SET"
[ "$(r_as "$CA1" GET k)" = hello ] || fail "a1 GET"
ok "binding credentials write and read a key"
r_as "$CA1" CONFIG GET maxmemory | grep -q NOPERM || fail "bindings may not read the config"
ok "bindings cannot run admin commands"
out=$(REDISCLI_AUTH=$(jq -r .password <<<"$CA1") redis-cli --no-auth-warning -p "$(jq -r .port <<<"$CA1")" PING 2>&1)
[ "$out" = PONG ] && fail "the default user answers"
ok "the default user is disabled"
bind ra a2 redis small
expect_code 201 "bind a2"
CA2=$(jq -c .credentials <<<"$BODY")
[ "$(r_as "$CA2" GET k)" = hello ] || fail "a2 GET"
ok "a second binding of the same instance sees its keys"
bind rb b1 redis medium
expect_code 201 "bind b1"
CB1=$(jq -c .credentials <<<"$BODY")
[ "$(jq -r .port <<<"$CB1")" != "$(jq -r .port <<<"$CA1")" ] || fail "instances share a port"
[ "$(r_as "$CB1" GET k)" = "" ] || fail "rb sees ra's key"
ok "each instance is its own redis-server"
grep -qx "maxmemory $((64 << 20))" "$BRK_DATA/redis/$(jq -r .name <<<"$CA1" | cut -c2-)/redis.conf" || fail "small: maxmemory"
grep -qx "maxmemory $((256 << 20))" "$BRK_DATA/redis/$(jq -r .name <<<"$CB1" | cut -c2-)/redis.conf" || fail "medium: maxmemory"
ok "maxmemory follows the plan"
X=$(jq -c --arg p "$(jq -r .port <<<"$CA1")" '.port = ($p|tonumber)' <<<"$CB1")
[ "$(r_as "$X" GET k)" = hello ] && fail "b1's credentials open ra"
ok "another instance's binding cannot use ra"

# unbind: the old password fails, the open connection is cut
(REDISCLI_AUTH=$(jq -r .password <<<"$CA2") timeout 30 redis-cli --no-auth-warning -p "$(jq -r .port <<<"$CA2")" \
    --user "$(jq -r .username <<<"$CA2")" BLPOP nothing 25 >/dev/null 2>&1; echo "rc=$?" >"$SVC_DIR/blpop") &
SLEEPER=$!
sleep 0.5
unbind ra a2 redis small
expect_code 200 "unbind a2"
[ "$(r_as "$CA2" PING)" = PONG ] && fail "a2 still authenticates after unbind"
ok "unbound credentials fail at once"
wait "$SLEEPER"
[ "$(cat "$SVC_DIR/blpop")" != "rc=0" ] || fail "a2's blocked connection survived"
ok "an open connection of the unbound user is closed"

# concurrent binds are queued, none is lost or mixed up
SR=$(svc_id redis) PR=$(plan_id redis small) PAR=()
for i in $(seq 8); do
    curl -s -o "$SVC_DIR/par$i" -w '%{http_code}' -X PUT -u "$BRK_USER:$BRK_PASSWORD" \
        -H "X-Broker-API-Version: $BRK_API_VERSION" -H 'Content-Type: application/json' \
        --data-binary "{\"service_id\":\"$SR\",\"plan_id\":\"$PR\"}" \
        "http://127.0.0.1:$BRK_PORT/v2/service_instances/ra/service_bindings/par$i" >"$SVC_DIR/par$i.code" &
    PAR+=($!)
done
wait "${PAR[@]}"
users=""
for i in $(seq 8); do
    [ "$(cat "$SVC_DIR/par$i.code")" = 201 ] || fail "parallel bind $i: $(cat "$SVC_DIR/par$i.code") $(cat "$SVC_DIR/par$i")"
    c=$(jq -c .credentials "$SVC_DIR/par$i")
    [ "$(r_as "$c" GET k)" = hello ] || fail "parallel binding $i does not work"
    users="$users $(jq -r .username <<<"$c")"
done
[ "$(tr ' ' '\n' <<<"$users" | sed '/^$/d' | sort -u | wc -l)" = 8 ] || fail "users: $users"
ok "8 concurrent binds all succeed with distinct users"
for i in $(seq 8); do
    unbind ra "par$i" redis small
    expect_code 200 "unbind par$i" >/dev/null
done

broker_stop
broker_start
bind ra a1 redis small
expect_code 200 "after restart the binding is still there"
[ "$(r_as "$CA1" GET k)" = hello ] || fail "usable after restart"
ok "usable after restart"

# the broker brings a dead instance server back at start
broker_stop
PIDA=$(cat "$BRK_DATA"/redis/*/redis.pid | head -1)
kill "$PIDA"
svc_wait 10 sh -c "! kill -0 $PIDA"
broker_start
svc_wait 20 sh -c "[ \"\$(REDISCLI_AUTH=$(jq -r .password <<<"$CA1") redis-cli --no-auth-warning -p $(jq -r .port <<<"$CA1") --user $(jq -r .username <<<"$CA1") PING)\" = PONG ]" ||
    fail "instance servers are not restarted"
ok "a stopped instance server is started again with its users"

PORTA=$(jq -r .port <<<"$CA1")
deprovision ra redis small
expect_code 200 "deprovision ra"
[ "$(r_as "$CA1" PING)" = PONG ] && fail "ra still answers"
ok "deprovision stopped ra's server"
n=$(ls "$BRK_DATA/redis" | wc -l)
[ "$n" = 1 ] || fail "ra's data dir is still there ($n dirs)"
ok "deprovision removed ra's data"
unbind rb b1 redis medium
expect_code 200 "unbind b1"
deprovision rb redis medium
expect_code 200 "deprovision rb"
[ -z "$(ls "$BRK_DATA/redis")" ] || fail "left behind: $(ls "$BRK_DATA/redis")"
for c in "$CA1" "$CB1"; do
    redis-cli -p "$(jq -r .port <<<"$c")" PING >/dev/null 2>&1 && fail "a server still listens on $(jq -r .port <<<"$c")"
done
ok "no server and no data left behind"
broker_stop
echo PASS
