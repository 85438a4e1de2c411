#!/usr/bin/env bash
# hearth-broker with a real RabbitMQ: a vhost per instance, a user per binding confined to it,
# checked with a real AMQP client (amqplib, installed at test time into the temp dir).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib/services.sh
. tests/e2e/lib/broker.sh
svc_init
AMQP_DIR="$SVC_DIR/amqp"
mkdir -p "$AMQP_DIR" && cp tests/e2e/lib/amqp/package.json tests/e2e/lib/amqp/amqp_check.js "$AMQP_DIR/"
if ! (cd "$AMQP_DIR" && npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
    echo "SKIP rabbitmq: the AMQP test client could not be installed: $(tail -3 "$AMQP_DIR/npm.log")"
    exit 0
fi
if ! start_rabbitmq; then
    echo "SKIP rabbitmq: $SVC_WHY"
    exit 0
fi
broker_start

amqp() { timeout 30 node "$AMQP_DIR/amqp_check.js" "$@" 2>&1; }
with_vhost() { jq -r --arg v "$2" '.uri | sub("/[^/]*$"; "/" + $v)' <<<"$1"; }

osb GET /v2/catalog
[ "$(jq -r '.services[].name' <<<"$BODY")" = rabbitmq ] || fail "catalog: $BODY"
ok "catalog offers rabbitmq"
provision qa rabbitmq
expect_code 201 "provision qa"
provision qa rabbitmq
expect_code 200 "identical provision replays 200"
provision qb rabbitmq default '?accepts_incomplete=true'
expect_code 202 "async provision qb"
for _ in $(seq 100); do
    osb GET /v2/service_instances/qb/last_operation
    [ "$(jq -r .state <<<"$BODY")" = "in progress" ] || break
    sleep 0.1
done
[ "$(jq -r .state <<<"$BODY")" = succeeded ] || fail "qb: $BODY"
ok "qb provisioned"

bind qa a1 rabbitmq
expect_code 201 "bind a1"
CA1=$(jq -c .credentials <<<"$BODY")
for k in uri url hostname port name vhost username user password pass; do
    [ -n "$(jq -r ".$k // empty" <<<"$CA1")" ] || fail "credentials lack $k: $CA1"
done
out=$(amqp "$(jq -r .uri <<<"$CA1")" put q1 hello) || fail "a1 publishes: $out"
bind qa a2 rabbitmq
expect_code 201 "bind a2"
CA2=$(jq -c .credentials <<<"$BODY")
out=$(amqp "$(jq -r .uri <<<"$CA2")" get q1) && [ "$out" = hello ] || fail "a2 gets: $out"
ok "a binding publishes, another binding of the same instance consumes"
bind qb b1 rabbitmq
expect_code 201 "bind b1"
CB1=$(jq -c .credentials <<<"$BODY")
amqp "$(with_vhost "$CB1" "$(jq -r .vhost <<<"$CA1")")" put q1 x >/dev/null && fail "b1 reached qa's vhost"
ok "another instance's binding cannot open qa's vhost"

# unbind: the user is gone, its open connection closed
amqp "$(jq -r .uri <<<"$CA2")" hold 25 >"$SVC_DIR/hold" &
HOLDER=$!
svc_wait 20 grep -q connected "$SVC_DIR/hold" || fail "a2 did not connect: $(cat "$SVC_DIR/hold")"
unbind qa a2 rabbitmq
expect_code 200 "unbind a2"
amqp "$(jq -r .uri <<<"$CA2")" get q1 >/dev/null && fail "a2 still connects after unbind"
ok "unbound credentials fail at once"
wait "$HOLDER"
[ $? = 3 ] || fail "a2's open connection survived the unbind"
ok "an open connection of the unbound user is closed"

broker_stop
broker_start
bind qa a1 rabbitmq
expect_code 200 "after restart the binding is still there"
out=$(amqp "$(jq -r .uri <<<"$CA1")" put q1 again) || fail "usable after restart: $out"
ok "usable after restart"

VA=$(jq -r .vhost <<<"$CA1")
deprovision qa rabbitmq
expect_code 200 "deprovision qa"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -u "$RMQ_USER:$RMQ_PASSWORD" "http://127.0.0.1:$RMQ_MGMT_PORT/api/vhosts/$VA")
[ "$CODE" = 404 ] || fail "vhost $VA still exists ($CODE)"
ok "deprovision deleted the vhost"
amqp "$(jq -r .uri <<<"$CA1")" get q1 >/dev/null && fail "a1 still connects"
ok "deprovision removed the remaining binding's user"
unbind qb b1 rabbitmq
expect_code 200 "unbind b1"
deprovision qb rabbitmq
expect_code 200 "deprovision qb"
users=$(curl -s -u "$RMQ_USER:$RMQ_PASSWORD" "http://127.0.0.1:$RMQ_MGMT_PORT/api/users" | jq -r '[.[].name] | join(",")')
vhosts=$(curl -s -u "$RMQ_USER:$RMQ_PASSWORD" "http://127.0.0.1:$RMQ_MGMT_PORT/api/vhosts" | jq -r '[.[].name] | join(",")')
[ "$users" = "$RMQ_USER" ] && [ "$vhosts" = / ] || fail "left behind: users $users, vhosts $vhosts"
ok "nothing left behind on the server"
broker_stop
echo PASS
