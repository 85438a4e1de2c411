#!/usr/bin/env bash
# needs: root
# Every backing service of the micro cloud, used by apps from inside their containers: hearthd
# (tests/e2e/lib/cloud.sh) runs PostgreSQL, MariaDB, RabbitMQ and the broker's redis-servers
# on the host's loopback. App A (tests/apps/services-check), running, is bound to an instance of
# each; once the platform has restarted it, A writes and reads through the credentials in its
# VCAP_SERVICES (psycopg2, PyMySQL, pika, RESP; the DEA rewrites the loopback hosts to the
# container's gateway and opens those ports). App B, bound to its own PostgreSQL, MySQL and RabbitMQ instances, uses
# them, and its credentials are refused on A's database/vhost. Unbinding A's services makes
# A's old credentials fail (checked from the host with the same credentials), and
# deleting the instances removes the database/vhost/redis-server (checked as the servers'
# administrator). A service whose server cannot run here is reported "SKIPPED: ..." and left
# out; the others are still checked.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
HEARTH_BIN_DIR=${HEARTH_BIN_DIR:?}
. "$HERE/cli_lib.sh"
. "$HERE/lib/cloud.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: app containers need root"; exit 0; }
PY=/usr/bin/python3 # Debian's, with the client libraries the app uses (containers see /usr)
on_exit() {
    local rc=$?
    if [ "$rc" != 0 ] && [ -n "$CLOUD_DATA" ]; then
        for f in "$CLOUD_DATA"/logs/*.log; do echo "--- $f"; tail -n 20 "$f"; done
        for a in "${APPS[@]}"; do
            h logs "$a" --recent && { echo "--- logs of $a"; tail -n 20 "$T/out"; }
        done
    fi
    cloud_cleanup
    (exit "$rc")
    cleanup
}
APPS=()
trap on_exit EXIT

# PostgreSQL runs as user postgres, which must reach its data dir under $T.
chmod 711 "$T"
cloud_start
SPW=$(jq -r .services_password "$CLOUD_DATA/secrets.json")
PG_PORT=$((CLOUD_BASE + 11)) MY_PORT=$((CLOUD_BASE + 12)) MGMT_PORT=$((CLOUD_BASE + 14))

# Both apps are pushed while the servers boot: A runs before it is bound (each bind restarts
# it), B is uploaded only and starts once bound.
A=sva$RANDOM B=svb$RANDOM
APPS=("$A" "$B")
cp -r "$HEARTH_SOURCE_DIR/tests/apps/services-check" "$T/app"
ok push "$A" -p "$T/app" --timeout 180
ok push "$B" -p "$T/app" --no-start

# Which services this cloud offers; the others are skipped with hearthd's reason.
ok marketplace
SERVICES=()
for s in postgresql mysql rabbitmq redis; do
    if grep -q "^$s " "$T/out"; then
        SERVICES+=("$s")
    else
        why=$(sed -n "s/.*backing service not started.*service=$s reason=\(.*\)/\1/p" "$T/hearthd.log" | head -1)
        echo "SKIPPED: $s: ${why:-not in the marketplace}"
    fi
done
[ "${#SERVICES[@]}" -gt 0 ] || fail "no service offered: $(cat "$T/out")"
has() { [[ " ${SERVICES[*]} " == *" $1 "* ]]; }

# The admin side of each server, as hearthd configured the broker.
pg_admin() {
    PGPASSWORD=$SPW PGCONNECT_TIMEOUT=10 psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "$1" 2>&1
}
my_admin() {
    mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MY_PORT" -u hearth "-p$SPW" \
        --connect-timeout=10 -N -B -e "$1" 2>&1
}
mgmt_code() { # mgmt_code PATH: HTTP status of the management API, as hearthd's administrator
    curl -s -o /dev/null -w '%{http_code}' -u "hearth:$SPW" "http://127.0.0.1:$MGMT_PORT$1"
}
# The servers boot with hearthd (RabbitMQ in 5-20 s, more on a busy machine).
ready() {
    case "$1" in
    postgresql) pg_isready -q -h 127.0.0.1 -p "$PG_PORT" ;;
    mysql) my_admin 'SELECT 1' >/dev/null ;;
    rabbitmq) [ "$(mgmt_code /api/overview)" = 200 ] ;;
    *) true ;;
    esac
}
for s in "${SERVICES[@]}"; do
    for _ in $(seq 1 600); do ready "$s" && break; sleep 0.2; done
    ready "$s" || fail "$s: hearthd started it but it never answered"
done

# Instances: one of each for A, PostgreSQL, MySQL and RabbitMQ for B.
for s in "${SERVICES[@]}"; do
    ok create-service "$s" "a-$s"
    ok bind-service "$A" "a-$s"
done
B_SERVICES=()
for s in postgresql mysql rabbitmq; do
    has "$s" || continue
    B_SERVICES+=("$s")
    ok create-service "$s" "b-$s"
    ok bind-service "$B" "b-$s"
done
ok start "$B" --timeout 180

# wait_env APP LABELS: the app answers with every binding's credentials in VCAP_SERVICES -> $ENV
# The CC (re)starts an app only once the broker's credentials of its new bindings are stored:
# an instance that shows a bound service with empty credentials is a failure.
wait_env() {
    local want=$2 empty
    for _ in $(seq 1 300); do
        cloud_get "$1" /env
        ENV=$CLOUD_BODY
        if [ "$CLOUD_STATUS" = 200 ]; then
            [ "$(jq -r '[to_entries[] | select(.value[0].credentials.password != null) | .key] | sort | join(",")' <<<"$ENV" 2>/dev/null)" = "$want" ] &&
                return 0
            empty=$(jq -r '[to_entries[] | select(.value[0].credentials == {}) | .key] | join(",")' <<<"$ENV" 2>/dev/null)
            [ -z "$empty" ] || fail "$1 runs with empty credentials for $empty: $ENV"
        fi
        sleep 0.2
    done
    fail "$1: VCAP_SERVICES never had $want: $CLOUD_STATUS $ENV"
}
sorted() { tr ' ' '\n' <<<"$*" | sort | paste -sd,; }
wait_env "$A" "$(sorted "${SERVICES[@]}")"
ENV_A=$ENV
[ "${#B_SERVICES[@]}" = 0 ] || { wait_env "$B" "$(sorted "${B_SERVICES[@]}")"; ENV_B=$ENV; }
cloud_settled 2 # A's instances from before its binds are gone (each change rolls out)
# The servers listen on the host's loopback; the app is given its container's gateway instead.
hosts=$(jq -r '[.[][0].credentials.hostname] | unique | join(",")' <<<"$ENV_A")
case "$hosts" in "" | *,* | 127.* | localhost) fail "A's service hosts are not one gateway: $hosts" ;; esac
echo "ok - both apps run with their bindings in VCAP_SERVICES (A's services at $hosts)"

# The app's endpoint for each service, the write and the read that must give the value back.
endpoint() { case "$1" in postgresql) echo pg ;; rabbitmq) echo amqp ;; *) echo "$1" ;; esac; }
put_get() { # put_get APP SERVICE VALUE [QUERY]: write then read VALUE through the app
    local e
    e=$(endpoint "$2")
    if [ "$2" = rabbitmq ]; then
        cloud_get "$1" "/$e?op=publish&value=$3$4"
    elif [ "$2" = redis ]; then
        cloud_get "$1" "/$e?op=set&key=k&value=$3$4"
    else
        cloud_get "$1" "/$e?op=put&key=k&value=$3$4"
    fi
    [ "$CLOUD_STATUS" = 200 ] || fail "$1 writes to $2: $CLOUD_STATUS $CLOUD_BODY"
    cloud_get "$1" "/$e?op=get&key=k$4"
    [ "$CLOUD_BODY" = "{\"value\": \"$3\"}" ] || fail "$1 reads back from $2: $CLOUD_STATUS $CLOUD_BODY"
}
VA="a$RANDOM$RANDOM" VB="b$RANDOM$RANDOM"
for s in "${SERVICES[@]}"; do
    put_get "$A" "$s" "$VA" ""
    echo "ok - $A writes and reads its $s through VCAP_SERVICES"
done
for s in "${B_SERVICES[@]}"; do
    put_get "$B" "$s" "$VB" ""
    echo "ok - $B writes and reads its own $s"
done

# The value is really in A's instance: read on the host with the same credentials.
cred() { jq -r ".[\"$2\"][0].credentials.$3" <<<"$1"; }
pg_as() { # pg_as ENV SQL [DB]: psql from the host with the binding's credentials
    PGPASSWORD=$(cred "$1" postgresql password) PGCONNECT_TIMEOUT=10 psql -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$(cred "$1" postgresql port)" -U "$(cred "$1" postgresql username)" \
        -d "${3:-$(cred "$1" postgresql name)}" -tAc "$2" 2>&1
}
my_as() { # my_as ENV SQL [DB]
    mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$(cred "$1" mysql port)" \
        -u "$(cred "$1" mysql username)" "-p$(cred "$1" mysql password)" --connect-timeout=10 \
        -N -B -D "${3:-$(cred "$1" mysql name)}" -e "$2" 2>&1
}
amqp_as() { # amqp_as ENV: logs in to the binding's vhost over AMQP from the host
    "$PY" - "$(cred "$1" rabbitmq username)" "$(cred "$1" rabbitmq password)" \
        "$(cred "$1" rabbitmq port)" "$(cred "$1" rabbitmq vhost)" 2>&1 <<'EOF'
import sys, pika
u, p, port, vhost = sys.argv[1:]
c = pika.BlockingConnection(pika.ConnectionParameters(
    host="127.0.0.1", port=int(port), virtual_host=vhost, connection_attempts=1,
    credentials=pika.PlainCredentials(u, p), socket_timeout=10))
c.close()
print("logged in")
EOF
}
redis_as() { # redis_as ENV CMD...
    local e=$1
    shift
    REDISCLI_AUTH=$(cred "$e" redis password) timeout 10 redis-cli --no-auth-warning -h 127.0.0.1 \
        -p "$(cred "$e" redis port)" --user "$(cred "$e" redis username)" "$@" 2>&1
}
if has postgresql; then
    [ "$(pg_as "$ENV_A" "SELECT v FROM kv WHERE k = 'k'")" = "$VA" ] || fail "A's row is not in PostgreSQL: $(pg_as "$ENV_A" "SELECT v FROM kv")"
fi
if has mysql; then
    [ "$(my_as "$ENV_A" "SELECT v FROM kv WHERE k = 'k'")" = "$VA" ] || fail "A's row is not in MariaDB: $(my_as "$ENV_A" "SELECT v FROM kv")"
fi
if has rabbitmq; then
    [ "$(amqp_as "$ENV_A")" = "logged in" ] || fail "A's AMQP credentials from the host: $(amqp_as "$ENV_A")"
fi
if has redis; then
    [ "$(redis_as "$ENV_A" GET k)" = "$VA" ] || fail "A's key is not in its redis-server: $(redis_as "$ENV_A" GET k)"
fi
echo "ok - A's data is in the servers, seen from the host with the same credentials"

# Isolation: B's credentials on A's database or vhost are refused (from inside B).
for s in "${B_SERVICES[@]}"; do
    e=$(endpoint "$s") db=$(cred "$ENV_A" "$s" name)
    [ "$db" != "$(cred "$ENV_B" "$s" name)" ] || fail "A and B share the $s database $db"
    cloud_get "$B" "/$e?op=get&key=k&db=$db"
    [ "$CLOUD_STATUS" = 502 ] || fail "B's $s credentials on A's $db: $CLOUD_STATUS $CLOUD_BODY"
    case "$s:$(jq -r .error <<<"$CLOUD_BODY")" in
    postgresql:*"permission denied for database"* | mysql:*"Access denied"* | rabbitmq:*ccess*refused* | rabbitmq:*NOT_ALLOWED*) ;;
    *) fail "B's $s credentials on A's $db: not a refused login: $CLOUD_BODY" ;;
    esac
    echo "# $(jq -r .error <<<"$CLOUD_BODY" | head -1)"
    echo "ok - B's $s credentials are refused on A's $db"
done

# Unbind: A's old credentials are refused from then on (tried from the host). The CC answers
# the unbind and then tells the broker, so the refusal is awaited for a few seconds at most.
refused() { # refused SERVICE: A's credentials are refused with an authentication error; $GOT
    case "$1" in
    postgresql) GOT=$(pg_as "$ENV_A" "SELECT 1") && return 1
        [[ $GOT == *"password authentication failed"* || $GOT == *"not permitted to log in"* ]] ;;
    mysql) GOT=$(my_as "$ENV_A" "SELECT 1") && return 1
        [[ $GOT == *"Access denied"* ]] ;;
    rabbitmq) GOT=$(amqp_as "$ENV_A") && return 1
        [[ $GOT == *ProbableAuthenticationError* || $GOT == *ACCESS_REFUSED* ]] ;;
    redis) GOT=$(redis_as "$ENV_A" PING)
        [[ $GOT == *WRONGPASS* || $GOT == *NOAUTH* || $GOT == *denied* || $GOT == *invalid* ]] ;;
    esac
}
for s in "${SERVICES[@]}"; do
    refused "$s" && fail "$s: A's credentials are refused while bound: $GOT"
    ok unbind-service "$A" "a-$s"
    n=0
    until refused "$s" || [ $((n += 1)) -gt 50 ]; do sleep 0.1; done
    refused "$s" || fail "$s: A's credentials still work after unbind: $GOT"
    echo "# $s, $n tries: $(grep -v '^Traceback' <<<"$GOT" | tail -1)"
    echo "ok - unbind revokes A's $s credentials"
done

# Delete: the database, vhost or redis-server is gone (seen as the server's administrator).
gone() { # gone SERVICE NAME: true when the instance's resource no longer exists
    case "$1" in
    postgresql) [ "$(pg_admin "SELECT count(*) FROM pg_database WHERE datname = '$2'")" = 0 ] ;;
    mysql) [ "$(my_admin "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$2'")" = 0 ] ;;
    rabbitmq) [ "$(mgmt_code "/api/vhosts/$2")" = 404 ] ;;
    redis) cloud_port_free "$2" ;;
    esac
}
res() { # res ENV SERVICE: the instance's resource (database, vhost, redis port)
    if [ "$2" = redis ]; then cred "$1" redis port; else cred "$1" "$2" name; fi
}
for s in "${SERVICES[@]}"; do
    r=$(res "$ENV_A" "$s")
    gone "$s" "$r" && fail "$s: A's $r is missing before delete-service"
    ok delete-service "a-$s" -f
    for _ in $(seq 1 100); do gone "$s" "$r" && break; sleep 0.1; done
    gone "$s" "$r" || fail "$s: A's $r is still there after delete-service"
    echo "ok - delete-service removes $s $r"
done
# B's instances are untouched by A's deletes, then go the same way.
for s in "${B_SERVICES[@]}"; do put_get "$B" "$s" "$VB-2" ""; done
ok delete "$B" -f
for s in "${B_SERVICES[@]}"; do
    r=$(res "$ENV_B" "$s")
    ok delete-service "b-$s" -f
    for _ in $(seq 1 100); do gone "$s" "$r" && break; sleep 0.1; done
    gone "$s" "$r" || fail "$s: B's $r is still there after delete-service"
done
ok delete "$A" -f
echo "PASS test_services_app_all"
