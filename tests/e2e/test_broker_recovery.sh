#!/usr/bin/env bash
# hearth-broker killed (SIGKILL) while asynchronous provisions and deprovisions are queued or
# running: after a restart every accepted operation is finished, nothing is lost or leaked.
# Uses redis (one redis-server per instance), whose provisioning takes a while.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib/services.sh
. tests/e2e/lib/broker.sh
svc_init
if ! start_redis; then
    echo "SKIP recovery: $SVC_WHY"
    exit 0
fi
REDIS_OK=1
broker_start

wait_state() { # wait_state ID WANT(succeeded|gone)
    for _ in $(seq 300); do
        osb GET "/v2/service_instances/$1/last_operation"
        [ "$2" = gone ] && [ "$CODE" = 410 ] && return 0
        [ "$2" = succeeded ] && [ "$(jq -r .state <<<"$BODY")" = succeeded ] && return 0
        sleep 0.1
    done
    fail "$1: $CODE $BODY, want $2"
}

N=6
for i in $(seq $N); do
    provision "r$i" redis small '?accepts_incomplete=true'
    expect_code 202 "async provision r$i"
done
kill -9 "$BRK_PID"
wait "$BRK_PID" 2>/dev/null
BRK_PID=
ok "broker killed with provisions in flight"
broker_start
for i in $(seq $N); do wait_state "r$i" succeeded; done
ok "every accepted provision finished after the restart"
for i in $(seq $N); do
    bind "r$i" "b$i" redis small
    expect_code 201 "bind b$i"
    c=$(jq -c .credentials <<<"$BODY")
    out=$(REDISCLI_AUTH=$(jq -r .password <<<"$c") redis-cli --no-auth-warning -p "$(jq -r .port <<<"$c")" \
        --user "$(jq -r .username <<<"$c")" SET k "$i" 2>&1)
    [ "$out" = OK ] || fail "r$i is not usable: $out"
done
ok "every instance is usable"
[ "$(ls "$BRK_DATA/redis" | wc -l)" = $N ] || fail "instance dirs: $(ls "$BRK_DATA/redis")"
[ "$(svc_redis_under "$BRK_DATA" | wc -l)" = $N ] || fail "not one server per instance: $(svc_redis_under "$BRK_DATA")"
ok "exactly one redis-server per instance"

for i in $(seq $N); do
    osb DELETE "/v2/service_instances/r$i?service_id=$(svc_id redis)&plan_id=$(plan_id redis small)&accepts_incomplete=true"
    expect_code 202 "async deprovision r$i"
done
kill -9 "$BRK_PID"
wait "$BRK_PID" 2>/dev/null
BRK_PID=
ok "broker killed with deprovisions in flight"
broker_start
for i in $(seq $N); do wait_state "r$i" gone; done
ok "every accepted deprovision finished after the restart"
[ -z "$(ls "$BRK_DATA/redis")" ] || fail "left behind: $(ls "$BRK_DATA/redis")"
ok "no instance data left behind"
left=$(svc_redis_under "$BRK_DATA")
[ -z "$left" ] || fail "redis-server processes left running: $left"
ok "no instance server left running"
bind r1 bx redis small
expect_code 404 "the instances are gone for good"
broker_stop
echo PASS
