#!/usr/bin/env bash
# needs: root
# An app uses a real Redis through VCAP_SERVICES, on the whole micro cloud (hearthd: bus,
# router, CC, DEA, warden containers, HM, hearth-broker): push tests/apps/services-check,
# create a redis instance (hearth-broker starts a redis-server for it) and a user-provided
# service, bind both; the restarted app finds them in VCAP_SERVICES (label, plan, tags,
# credentials), writes and reads a key over the Redis protocol with its binding's ACL user
# (the value is there when read from the host), and after unbind the old credentials are
# refused and the app no longer has the service. Then PostgreSQL (when it can run here): a
# second hearth-broker on a PostgreSQL started by the test is registered with
# create-service-broker, an instance of it is bound, and the app writes and reads a row through
# the credentials it gets in VCAP_SERVICES (psycopg2 inside its container; the row is then read
# on the host with the same credentials), until unbind revokes them.
#
# Network: the broker's redis-servers and the test's PostgreSQL listen on the host's loopback,
# and a container has its own network namespace, where 127.0.0.1 is itself. The platform
# opens the path: the DEA asks warden for a net_out to each bound service's host:port and
# rewrites a loopback host in the app's VCAP_SERVICES to the container's gateway, which
# warden translates to the host's 127.0.0.1 on exactly those ports. The app dials exactly
# what VCAP_SERVICES says.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
HEARTH_BIN_DIR=${HEARTH_BIN_DIR:?}
. "$HERE/lib/services.sh"
. "$HERE/lib/broker.sh"
. "$HERE/cli_lib.sh" # after broker.sh: its fail and ok win
. "$HERE/lib/cloud.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: app containers need root"; exit 0; }
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    { echo "SKIP: redis not installed"; exit 0; }
on_exit() {
    local rc=$?
    if [ "$rc" != 0 ] && [ -n "$CLOUD_DATA" ]; then
        for f in "$CLOUD_DATA"/logs/*.log; do echo "--- $f"; tail -n 20 "$f"; done
    fi
    cloud_cleanup
    [ -n "$SVC_DIR" ] && stop_all
    (exit "$rc")
    cleanup
}
trap on_exit EXIT

cloud_start
APP=svc$RANDOM
cp -r "$HEARTH_SOURCE_DIR/tests/apps/services-check" "$T/app"
ok push "$APP" -p "$T/app" --timeout 180
for _ in $(seq 1 100); do
    cloud_get "$APP" /
    [ "$CLOUD_BODY" = '{"app": "services-check"}' ] && break
    sleep 0.2
done
[ "$CLOUD_STATUS" = 200 ] || fail "the app does not answer through the router ($CLOUD_STATUS)"
cloud_get "$APP" /env
[ "$CLOUD_BODY" = "{}" ] || fail "VCAP_SERVICES before binding: $CLOUD_BODY"

# A redis instance from hearth-broker, a user-provided service; both bound.
ok marketplace
grep -q "^redis " "$T/out" || fail "marketplace: $(cat "$T/out")"
ok create-service redis cache
ok cups settings -p '{"greeting":"hello","limit":3}' -t "config, app"
ok bind-service "$APP" cache
ok bind-service "$APP" settings
ENV=""
for _ in $(seq 1 900); do
    cloud_get "$APP" /env
    ENV=$CLOUD_BODY
    [ "$CLOUD_STATUS" = 200 ] && [ "$(jq -r '[.redis[0].name, ."user-provided"[0].name] | join(",")' <<<"$ENV" 2>/dev/null)" = cache,settings ] &&
        [ "$(jq -r '.redis[0].credentials.password // ""' <<<"$ENV")" != "" ] && break
    sleep 0.2
done
cloud_settled 1 # the instance from before the bind is gone (a change rolls out)
R=$(jq -c '.redis[0]' <<<"$ENV")
[ "$(jq -r .label <<<"$R")" = redis ] || fail "VCAP_SERVICES: $ENV"
[ "$(jq -r .plan <<<"$R")" = small ] || fail "plan: $R"
jq -e '.tags | index("redis")' <<<"$R" >/dev/null || fail "tags: $R"
for k in hostname port username password uri; do
    [ "$(jq -r ".credentials.$k // \"\"" <<<"$R")" != "" ] || fail "credentials lack $k: $R"
done
U=$(jq -c '."user-provided"[0]' <<<"$ENV")
[ "$(jq -r .label <<<"$U")" = user-provided ] || fail "user-provided: $U"
[ "$(jq -r '.credentials.greeting + "/" + (.credentials.limit | tostring)' <<<"$U")" = hello/3 ] || fail "user-provided credentials: $U"
[ "$(jq -r '.tags | join(",")' <<<"$U")" = config,app ] || fail "user-provided tags: $U"
echo "ok - VCAP_SERVICES has the redis binding and the user-provided service"

# The redis-server listens on the host's loopback: the app sees its container's gateway.
HOST=$(jq -r .credentials.hostname <<<"$R") PORT=$(jq -r .credentials.port <<<"$R")
USER_=$(jq -r .credentials.username <<<"$R") PASS=$(jq -r .credentials.password <<<"$R")
# app_container IP: the handle of the app container whose gateway (host_ip) is IP
app_container() {
    local h
    for h in $("${WARDEN[@]}" list); do
        case "$h" in dea-*) ;; *) continue ;; esac
        [ "$("${WARDEN[@]}" info "$h" | jq -r .host_ip)" = "$1" ] && { echo "$h"; return 0; }
    done
    return 1
}
CTR=$(app_container "$HOST") || fail "VCAP_SERVICES' redis host $HOST is no app container's gateway"
[ "$(jq -r .credentials.host <<<"$R")" = "$HOST" ] || fail "credentials.host not rewritten: $R"
case "$(jq -r .credentials.uri <<<"$R")" in
    redis://*@"$HOST:$PORT"*) ;;
    *) fail "credentials.uri not rewritten to $HOST:$PORT: $R" ;;
esac
"${WARDEN[@]}" info "$CTR" | jq -e --arg p "$PORT" \
    '.net_out | map(select(.network == "127.0.0.1/32" and (.port | tostring) == $p)) | length == 1' \
    >/dev/null || fail "no net_out to 127.0.0.1:$PORT on $CTR: $("${WARDEN[@]}" info "$CTR" | jq -c .net_out)"
echo "ok - the DEA opened the redis port and gave the app its gateway as the host"

# Write and read through the app; the value is really in that redis-server.
VAL="v-$RANDOM-$RANDOM"
cloud_get "$APP" "/redis?op=set&key=greeting&value=$VAL"
[ "$CLOUD_BODY" = '{"result": "OK"}' ] || fail "SET through the app: $CLOUD_STATUS $CLOUD_BODY"
cloud_get "$APP" "/redis?op=get&key=greeting"
[ "$CLOUD_BODY" = "{\"value\": \"$VAL\"}" ] || fail "GET through the app: $CLOUD_BODY"
rc() { REDISCLI_AUTH=$PASS timeout 10 redis-cli --no-auth-warning -h 127.0.0.1 -p "$PORT" --user "$USER_" "$@" 2>&1; }
[ "$(rc GET greeting)" = "$VAL" ] || fail "the value is not in the redis-server: $(rc GET greeting)"
rc SET fromhost 42 >/dev/null
cloud_get "$APP" "/redis?op=get&key=fromhost"
[ "$CLOUD_BODY" = '{"value": "42"}' ] || fail "GET of a key set on the host: $CLOUD_BODY"
echo "ok - the app writes and reads its redis through VCAP_SERVICES"

# Unbind: the binding's user is gone at once; the restarted app has no redis any more.
ok unbind-service "$APP" cache
for _ in $(seq 1 100); do
    case "$(rc PING)" in *WRONGPASS* | *NOAUTH* | *denied* | *invalid*) break ;; esac
    sleep 0.1
done
case "$(rc PING)" in *PONG*) fail "the unbound credentials still work" ;; esac
for _ in $(seq 1 900); do
    cloud_get "$APP" /env
    ENV=$CLOUD_BODY
    [ "$CLOUD_STATUS" = 200 ] && [ "$(jq -r 'has("redis")' <<<"$ENV")" = false ] && break
    sleep 0.2
done
[ "$(jq -r 'has("redis")' <<<"$ENV")" = false ] || fail "redis still in VCAP_SERVICES: $ENV"
cloud_settled 1
[ "$(jq -r '."user-provided"[0].name' <<<"$ENV")" = settings ] || fail "user-provided lost: $ENV"
echo "ok - unbind revokes the credentials and the app loses the service"

# PostgreSQL through a broker registered with create-service-broker.
SVC_DIR=$(mktemp -d /tmp/hearth-svc.XXXXXX)
chmod 755 "$SVC_DIR"
if ! start_postgres; then
    echo "skipped the PostgreSQL part: $SVC_WHY"
else
    broker_start
    ok create-service-broker pgbroker "http://127.0.0.1:$BRK_PORT" "$BRK_USER" "$BRK_PASSWORD"
    ok create-service postgresql pgdb
    ok bind-service "$APP" pgdb
    for _ in $(seq 1 900); do
        cloud_get "$APP" /env
        ENV=$CLOUD_BODY
        [ "$CLOUD_STATUS" = 200 ] && [ "$(jq -r '.postgresql[0].credentials.password // ""' <<<"$ENV" 2>/dev/null)" != "" ] && break
        sleep 0.2
    done
    cloud_settled 1
    P=$(jq -c '.postgresql[0]' <<<"$ENV")
    [ "$(jq -r '.name + "/" + .label' <<<"$P")" = pgdb/postgresql ] || fail "VCAP_SERVICES: $ENV"
    PGHOST_=$(jq -r .credentials.hostname <<<"$P")
    app_container "$PGHOST_" >/dev/null || fail "VCAP_SERVICES' PostgreSQL host $PGHOST_ is no app container's gateway"
    cloud_get "$APP" "/pg?op=put&key=note&value=$VAL"
    [ "$CLOUD_BODY" = '{"result": "OK"}' ] || fail "INSERT through the app: $CLOUD_STATUS $CLOUD_BODY"
    cloud_get "$APP" "/pg?op=get&key=note"
    [ "$CLOUD_BODY" = "{\"value\": \"$VAL\"}" ] || fail "SELECT through the app: $CLOUD_STATUS $CLOUD_BODY"
    echo "ok - the app's VCAP_SERVICES credentials use the PostgreSQL instance"
    # After unbind the app's container goes away: revocation is checked from the host.
    psql_host() {
        PGPASSWORD=$(jq -r .credentials.password <<<"$P") PGCONNECT_TIMEOUT=10 psql -q -v ON_ERROR_STOP=1 \
            -h 127.0.0.1 -p "$(jq -r .credentials.port <<<"$P")" \
            -U "$(jq -r .credentials.username <<<"$P")" -d "$(jq -r .credentials.name <<<"$P")" -tAc "$1" 2>&1
    }
    [ "$(psql_host "SELECT v FROM kv WHERE k = 'note'")" = "$VAL" ] || fail "the row is not in the host's PostgreSQL"
    ok unbind-service "$APP" pgdb
    for _ in $(seq 1 100); do psql_host "SELECT 1" >/dev/null || break; sleep 0.1; done
    psql_host "SELECT 1" >/dev/null && fail "the unbound PostgreSQL credentials still work"
    ok delete-service pgdb -f
    ok delete-service-broker pgbroker -f
    broker_stop
fi

expect_rc 1 delete-service settings -f
grep -qF "is bound to app \`$APP\`" "$T/err" || fail "delete of a bound service: $(cat "$T/err")"
ok delete-service cache -f
ok delete "$APP" -f
ok delete-service settings -f
echo "PASS test_services_app"
