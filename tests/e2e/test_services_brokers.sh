#!/usr/bin/env bash
# Service brokers registered through the CLI, with the real hearth-cc and two real
# hearth-broker processes: the configured one (services.broker_url) offers redis, a second one
# registered with `hearth create-service-broker` offers postgresql on a real PostgreSQL.
# Registration is admin only; a wrong password, an unreachable URL, a broker answering an
# error, a bad catalog and a service another broker already offers each give a clear error;
# the second broker's service shows in the marketplace, provisioning and binding go to it (the
# binding's credentials log in to PostgreSQL), it cannot be deleted while it has instances,
# update-service-broker re-reads it, and once deleted its service is gone.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib/services.sh
. tests/e2e/lib/broker.sh
BIN=${HEARTH_BIN_DIR:-build/bin}
svc_init
start_redis || { echo "SKIP: $SVC_WHY"; exit 0; }
start_postgres || { echo "SKIP: $SVC_WHY"; exit 0; }

# Broker A (redis), the CC's configured one.
SAVED_PG_PORT=$PG_PORT
PG_PORT= REDIS_OK=1 BRK_DATA="$SVC_DIR/broker-a"
broker_start
A_PORT=$BRK_PORT A_STATUS=$BRK_STATUS_PORT
# Broker B (postgresql), registered through the API.
PG_PORT=$SAVED_PG_PORT REDIS_OK= BRK_DATA="$SVC_DIR/broker-b" BRK_PORT= BRK_STATUS_PORT=
broker_start
B_PORT=$BRK_PORT B_STATUS=$BRK_STATUS_PORT
B_URL="http://127.0.0.1:$B_PORT"
varz_of() { curl -s -u "status:$BRK_PASSWORD" "http://127.0.0.1:$1/varz"; }

CC_PORT=$(svc_free_port)
mkdir -p "$SVC_DIR/cc"
cat >"$SVC_DIR/cc/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
services:
  broker_url: http://127.0.0.1:$A_PORT
  broker_user: $BRK_USER
  broker_password: $BRK_PASSWORD
YML
# No bus: a port nobody listens on (the CC works without one).
"$BIN/hearth-cc" -c "$SVC_DIR/cc/cc.yml" --port "$CC_PORT" --data-dir "$SVC_DIR/cc/data" \
    --nats "nats://127.0.0.1:$(svc_free_port)" >"$SVC_DIR/cc/cc.log" 2>&1 &
SVC_PIDS+=($!)
svc_wait 20 curl -s -o /dev/null "http://127.0.0.1:$CC_PORT/info" || fail "hearth-cc did not start"

export HEARTH_HOME="$SVC_DIR/home"
unset HEARTH_PASSWORD
OUT="$SVC_DIR/out" ERR="$SVC_DIR/err"
h() { "$BIN/hearth" "$@" >"$OUT" 2>"$ERR" </dev/null; RC=$?; }
hok() { h "$@"; [ "$RC" = 0 ] || fail "hearth $* exited $RC: $(cat "$ERR") $(tail -5 "$SVC_DIR/cc/cc.log")"; }
hrc() { # hrc RC MESSAGE ARGS...: exits RC and says MESSAGE on stderr
    local want=$1 msg=$2
    shift 2
    h "$@"
    [ "$RC" = "$want" ] || fail "hearth $* exited $RC, want $want: $(cat "$OUT" "$ERR")"
    grep -qF -- "$msg" "$ERR" || fail "hearth $*: stderr lacks \`$msg\`: $(cat "$ERR")"
    ok "hearth $* -> $msg"
}
out_has() { grep -qF -- "$1" "$OUT" || fail "output lacks \`$1\`: $(cat "$OUT")"; }

hok target "http://127.0.0.1:$CC_PORT/"
hok register admin@example.com -p adminpw
hok register alice@example.com -p alicepw --no-login

# Only admins register brokers.
hok login alice@example.com -p alicepw
hrc 1 "service brokers are for admins" create-service-broker extra "$B_URL" "$BRK_USER" "$BRK_PASSWORD"
hrc 1 "service brokers are for admins" service-brokers
hok login admin@example.com -p adminpw

# Errors, each saying what is wrong.
hrc 1 "refused the username and password (HTTP 401)" create-service-broker extra "$B_URL" "$BRK_USER" wrong
DEAD=$(svc_free_port)
hrc 1 "could not be reached" create-service-broker extra "http://127.0.0.1:$DEAD" u p
hrc 2 "is not a broker URL" create-service-broker extra not-a-url u p
python3 tests/e2e/lib/catalog_server.py "$SVC_DIR/cat.port" 200 "$SVC_DIR/cat.json" &
SVC_PIDS+=($!)
echo '{"services":[{"id":"m1","name":"mongodb","description":"MongoDB"}]}' >"$SVC_DIR/cat.json"
svc_wait 10 test -s "$SVC_DIR/cat.port" || fail "catalog server"
CAT_URL="http://127.0.0.1:$(cat "$SVC_DIR/cat.port")"
hrc 1 "catalog is invalid: services[0].plans: missing" create-service-broker bad "$CAT_URL" u p
echo 'this is not json' >"$SVC_DIR/cat.json"
hrc 1 "catalog is invalid" create-service-broker bad "$CAT_URL" u p
echo '{"services":[{"id":"x","name":"user-provided","description":"d","plans":[{"id":"p","name":"n","description":"d"}]}]}' >"$SVC_DIR/cat.json"
hrc 1 "\`user-provided\` is reserved" create-service-broker bad "$CAT_URL" u p
python3 tests/e2e/lib/catalog_server.py "$SVC_DIR/cat500.port" 500 "$SVC_DIR/cat.json" &
SVC_PIDS+=($!)
svc_wait 10 test -s "$SVC_DIR/cat500.port" || fail "catalog server"
hrc 1 "answered HTTP 500 to GET /v2/catalog" create-service-broker bad "http://127.0.0.1:$(cat "$SVC_DIR/cat500.port")" u p
# The configured broker's services belong to it: registering it again under a name fails.
hok marketplace
out_has redis
hrc 1 "service \`redis\`" create-service-broker again "http://127.0.0.1:$A_PORT" "$BRK_USER" "$BRK_PASSWORD"
grep -qF "already offered by the configured broker" "$ERR" || fail "conflict message: $(cat "$ERR")"
hok service-brokers
out_has "No service brokers registered"

# Registration: broker B's postgresql joins the marketplace (the Cloud Foundry argument order
# works too).
hok create-service-broker extra "$BRK_USER" "$BRK_PASSWORD" "$B_URL"
out_has "1 service added"
hrc 1 "A service broker named \`extra\` exists" create-service-broker extra "$B_URL" "$BRK_USER" "$BRK_PASSWORD"
hok service-brokers
grep -q "^extra  *$B_URL  *postgresql$" "$OUT" || fail "service-brokers: $(cat "$OUT")"
hok service-brokers --json
[ "$(jq -r '.[0].password // "none"' "$OUT")" = none ] || fail "the password is shown: $(cat "$OUT")"
hok marketplace --json
[ "$(jq -r '[.[].label] | sort | join(",")' "$OUT")" = postgresql,redis ] || fail "marketplace: $(cat "$OUT")"
[ "$(jq -r '.[] | select(.label == "postgresql") | .broker' "$OUT")" = extra ] || fail "broker of postgresql: $(cat "$OUT")"
ok "broker B registered; its service is in the marketplace"

# Provisioning and binding go to broker B; redis still goes to broker A.
hok create-service postgresql pgdb
[ "$(varz_of "$B_STATUS" | jq .instances_by_service.postgresql)" = 1 ] || fail "B varz: $(varz_of "$B_STATUS")"
[ "$(varz_of "$A_STATUS" | jq .instances)" = 0 ] || fail "A was asked: $(varz_of "$A_STATUS")"
hok create-service redis cache
[ "$(varz_of "$A_STATUS" | jq .instances_by_service.redis)" = 1 ] || fail "A varz: $(varz_of "$A_STATUS")"
mkdir -p "$SVC_DIR/site" && echo hi >"$SVC_DIR/site/index.html"
hok push web -p "$SVC_DIR/site" --no-start
hok bind-service web pgdb
svc_wait 20 sh -c "[ \"\$(curl -s -u status:$BRK_PASSWORD http://127.0.0.1:$B_STATUS/varz | jq .bindings)\" = 1 ]" ||
    fail "B has no binding: $(varz_of "$B_STATUS")"
# The credentials the CC stored for the app log in to the instance's database.
if command -v sqlite3 >/dev/null; then
    CRED=""
    for _ in $(seq 50); do
        CRED=$(sqlite3 "$SVC_DIR/cc/data/cc.db" "SELECT credentials FROM service_bindings" 2>/dev/null)
        [ -n "$CRED" ] && break
        sleep 0.2
    done
    [ -n "$CRED" ] || fail "no binding credentials in the CC: $(ls "$SVC_DIR/cc/data")"
    got=$(PGPASSWORD=$(jq -r .password <<<"$CRED") psql -h 127.0.0.1 -p "$(jq -r .port <<<"$CRED")" \
        -U "$(jq -r .username <<<"$CRED")" -d "$(jq -r .name <<<"$CRED")" -tAc 'SELECT 41 + 1' 2>&1)
    [ "$got" = 42 ] || fail "binding credentials do not log in: $got"
    ok "the binding's credentials log in to PostgreSQL"
fi

# A broker with instances cannot go; an update with a wrong password changes nothing.
hrc 1 "1 service instance of its services exist (\`pgdb\` of admin@example.com)" delete-service-broker extra -f
hrc 1 "refused the username and password" update-service-broker extra "$B_URL" "$BRK_USER" wrong
echo '{"services":[{"id":"m1","name":"mongodb","description":"MongoDB","plans":[{"id":"mp","name":"small","description":"d"}]}]}' >"$SVC_DIR/cat.json"
hrc 1 "the new catalog drops service \`postgresql\`, which still has instances" update-service-broker extra "$CAT_URL" u p
hok create-service postgresql pgdb2
[ "$(varz_of "$B_STATUS" | jq .instances_by_service.postgresql)" = 2 ] || fail "B not used after a failed update"
hok update-service-broker extra "$B_URL" "$BRK_USER" "$BRK_PASSWORD"
out_has "Updated service broker extra"

# Unbind, deprovision: broker B is told; then the broker can be deleted and its service goes.
hok unbind-service web pgdb
svc_wait 20 sh -c "[ \"\$(curl -s -u status:$BRK_PASSWORD http://127.0.0.1:$B_STATUS/varz | jq .bindings)\" = 0 ]" ||
    fail "B still has the binding: $(varz_of "$B_STATUS")"
hok delete-service pgdb -f
hok delete-service pgdb2 -f
svc_wait 20 sh -c "[ \"\$(curl -s -u status:$BRK_PASSWORD http://127.0.0.1:$B_STATUS/varz | jq .instances)\" = 0 ]" ||
    fail "B still has instances: $(varz_of "$B_STATUS")"
hok delete-service-broker extra -f
hok marketplace --json
[ "$(jq -r '[.[].label] | join(",")' "$OUT")" = redis ] || fail "marketplace after delete: $(cat "$OUT")"
hrc 1 "Service not found" create-service postgresql pgdb3
hrc 1 "Service broker not found" delete-service-broker extra -f
ok "broker B deleted, its service with it"
hok delete-service cache -f
broker_stop
echo "PASS test_services_brokers"
