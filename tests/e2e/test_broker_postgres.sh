#!/usr/bin/env bash
# hearth-broker with a real PostgreSQL: the OSBAPI contract (auth, version header, status codes,
# replays, conflicts, async provisioning, restart) and real isolation of databases and roles.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib/services.sh
. tests/e2e/lib/broker.sh
svc_init
if ! start_postgres; then
    echo "SKIP postgresql: $SVC_WHY"
    exit 0
fi
broker_start

pg_as() { # pg_as CREDS_JSON SQL [DBNAME]: runs SQL with the binding's credentials
    local c=$1
    PGPASSWORD=$(jq -r .password <<<"$c") PGCONNECT_TIMEOUT=5 psql -X -q -t -A -v ON_ERROR_STOP=1 \
        -h "$(jq -r .hostname <<<"$c")" -p "$(jq -r .port <<<"$c")" -U "$(jq -r .username <<<"$c")" \
        -d "${3:-$(jq -r .name <<<"$c")}" -c "$2" 2>&1
}
pg_admin() {
    PGPASSWORD=$PG_PASSWORD psql -X -q -t -A -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "$1"
}

# --- the gate: auth and API version ---
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Broker-API-Version: 2.14" "http://127.0.0.1:$BRK_PORT/v2/catalog")
[ "$CODE" = 401 ] || fail "no auth: $CODE"; ok "catalog without auth is 401"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -u "$BRK_USER:wrong" -H "X-Broker-API-Version: 2.14" "http://127.0.0.1:$BRK_PORT/v2/catalog")
[ "$CODE" = 401 ] || fail "bad password: $CODE"; ok "catalog with a bad password is 401"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -u "$BRK_USER:$BRK_PASSWORD" "http://127.0.0.1:$BRK_PORT/v2/catalog")
[ "$CODE" = 412 ] || fail "no version: $CODE"; ok "catalog without X-Broker-API-Version is 412"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -u "$BRK_USER:$BRK_PASSWORD" -H "X-Broker-API-Version: 2.1" "http://127.0.0.1:$BRK_PORT/v2/catalog")
[ "$CODE" = 412 ] || fail "old version: $CODE"; ok "X-Broker-API-Version 2.1 is 412"

CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: basic $(printf '%s' "$BRK_USER:$BRK_PASSWORD" | base64 -w0)" \
    -H "X-Broker-API-Version: 2.14" "http://127.0.0.1:$BRK_PORT/v2/catalog")
[ "$CODE" = 200 ] || fail "lowercase scheme: $CODE"; ok "the auth scheme is case-insensitive"
osb GET /v2/catalog
expect_code 200 "catalog"
[ "$(jq -r '.services[].name' <<<"$BODY")" = postgresql ] || fail "catalog lists only configured services: $BODY"
[ "$(jq -r '.services[0].plans[0].name' <<<"$BODY")" = default ] || fail "plan: $BODY"
SID=$(svc_id postgresql) PID=$(plan_id postgresql)

# --- bad requests ---
osb PUT /v2/service_instances/i1 '{"service_id":'
expect_code 400 "malformed JSON"
osb PUT /v2/service_instances/i1 "{\"service_id\":\"$SID\",\"plan_id\":\"nope\",\"organization_guid\":\"o\",\"space_guid\":\"s\"}"
expect_code 400 "unknown plan"
osb PUT /v2/service_instances/i1 "{\"plan_id\":\"$PID\",\"organization_guid\":\"o\",\"space_guid\":\"s\"}"
expect_code 400 "missing service_id"
osb PUT '/v2/service_instances/bad%20id' "{}"
expect_code 400 "invalid instance id"
osb DELETE "/v2/service_instances/nothere?service_id=$SID&plan_id=$PID"
expect_code 410 "deprovision of an unknown instance"
osb DELETE "/v2/service_instances/nothere"
expect_code 400 "deprovision without service_id/plan_id"

# --- provision, replay, conflict ---
provision pa postgresql
expect_code 201 "provision pa"
provision pa postgresql
expect_code 200 "identical provision replays 200"
osb PUT /v2/service_instances/pa "{\"service_id\":\"$SID\",\"plan_id\":\"$PID\",\"organization_guid\":\"other\",\"space_guid\":\"space\"}"
expect_code 409 "provision with different attributes is 409"
body() { echo "{\"service_id\":\"$SID\",\"plan_id\":\"$PID\",\"organization_guid\":\"o\",\"space_guid\":\"s\",\"parameters\":$1}"; }
osb PUT /v2/service_instances/pp "$(body '{"b":2,"a":{"y":1,"x":0}}')"
expect_code 201 "provision pp with parameters"
osb PUT /v2/service_instances/pp "$(body '{"a":{"x":0,"y":1},"b":2}')"
expect_code 200 "the same parameters in another order replay 200"
osb PUT /v2/service_instances/pp "$(body '{"a":{"x":0,"y":1},"b":3}')"
expect_code 409 "other parameters are a conflict"
osb DELETE "/v2/service_instances/pp?service_id=$SID&plan_id=$PID"
expect_code 200 "deprovision pp"
osb PATCH /v2/service_instances/pa "{}"
expect_code 405 "PATCH (plan update) is not offered"
provision pb postgresql '' '?accepts_incomplete=true'
expect_code 202 "async provision pb"
[ "$(jq -r .operation <<<"$BODY")" = provision ] || fail "operation: $BODY"
for _ in $(seq 100); do
    osb GET "/v2/service_instances/pb/last_operation"
    [ "$(jq -r .state <<<"$BODY")" = "in progress" ] || break
    sleep 0.1
done
[ "$CODE" = 200 ] && [ "$(jq -r .state <<<"$BODY")" = succeeded ] || fail "last_operation: $CODE $BODY"
ok "last_operation reaches succeeded"

# --- bind and use ---
bind pa ba1 postgresql
expect_code 201 "bind ba1"
CA1=$(jq -c .credentials <<<"$BODY")
for k in uri hostname port name username password; do
    [ "$(jq -r ".$k // empty" <<<"$CA1")" != "" ] || fail "credentials lack $k: $CA1"
done
bind pa ba1 postgresql
expect_code 200 "identical bind replays 200"
[ "$(jq -c .credentials <<<"$BODY")" = "$CA1" ] || fail "replay returns the same credentials"
osb PUT /v2/service_instances/pa/service_bindings/ba1 "{\"service_id\":\"$SID\",\"plan_id\":\"$PID\",\"bind_resource\":{\"app_guid\":\"other\"}}"
expect_code 409 "bind with different attributes is 409"
bind nothere bx postgresql
expect_code 404 "bind to an unknown instance"

out=$(pg_as "$CA1" "CREATE TABLE t (v text); INSERT INTO t VALUES ('hello'); SELECT v FROM t") || fail "ba1 writes: $out"
[ "$out" = hello ] || fail "ba1 reads: $out"; ok "binding credentials create, write and read a table"
out=$(PGPASSWORD=x psql -X "$(jq -r .uri <<<"$CA1")" -t -A -c 'SELECT count(*) FROM t' 2>&1)
[ "$out" = 1 ] || fail "uri: $out"; ok "the uri connects"
bind pa ba2 postgresql
expect_code 201 "bind ba2 on the same instance"
CA2=$(jq -c .credentials <<<"$BODY")
out=$(pg_as "$CA2" "SELECT v FROM t") && [ "$out" = hello ] || fail "ba2 sees the instance's table: $out"
ok "a second binding of the same instance shares its tables"

bind pb bb1 postgresql
expect_code 201 "bind bb1"
CB1=$(jq -c .credentials <<<"$BODY")
pg_as "$CB1" "SELECT 1" "$(jq -r .name <<<"$CA1")" >/dev/null && fail "pb's binding reached pa's database"
ok "another instance's binding cannot connect to pa's database"
pg_as "$CA1" "SELECT 1" "$(jq -r .name <<<"$CB1")" >/dev/null && fail "pa's binding reached pb's database"
ok "and the other way round"

# --- unbind revokes, even an open session ---
PGPASSWORD=$(jq -r .password <<<"$CA2") psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$(jq -r .username <<<"$CA2")" \
    -d "$(jq -r .name <<<"$CA2")" -c 'SELECT pg_sleep(60)' >/dev/null 2>&1 &
SLEEPER=$!
sessions_of() { pg_admin "SELECT count(*) FROM pg_stat_activity WHERE usename = '$1'"; }
has_session() { [ "$(sessions_of "$1")" = 1 ]; }
svc_wait 10 has_session "$(jq -r .username <<<"$CA2")" || fail "ba2's session did not show up"
unbind pa ba2 postgresql
expect_code 200 "unbind ba2"
pg_as "$CA2" "SELECT 1" >/dev/null && fail "ba2 still connects after unbind"
ok "unbound credentials fail at once"
wait "$SLEEPER" && fail "ba2's open session survived the unbind"
ok "an open session of the unbound role is terminated"
unbind pa ba2 postgresql
expect_code 410 "unbind again is 410"

v=$(varz)
[ "$(jq -r .instances <<<"$v")" = 2 ] && [ "$(jq -r .bindings <<<"$v")" = 2 ] || fail "varz: $v"
[ "$(jq -r .instances_by_service.postgresql <<<"$v")" = 2 ] || fail "varz: $v"
ok "/varz counts instances and bindings"

# --- restart: nothing lost ---
broker_stop
BRK_EXTRA_CONF="async_only: true" broker_start
bind pa ba1 postgresql
expect_code 200 "after restart the binding is still there"
[ "$(jq -c .credentials <<<"$BODY")" = "$CA1" ] || fail "same credentials after restart"
out=$(pg_as "$CA1" "SELECT v FROM t") && [ "$out" = hello ] || fail "usable after restart: $out"
provision pa postgresql '' '?accepts_incomplete=true'
expect_code 200 "after restart the instance is still there"
provision pc postgresql
expect_code 422 "async_only: provision without accepts_incomplete"
[ "$(jq -r .error <<<"$BODY")" = AsyncRequired ] || fail "error: $BODY"

# --- secrets at rest: sealed in broker.db, opened only with the store key ---
PW1=$(jq -r .password <<<"$CA1")
[ -n "$PW1" ] && [ "$PW1" != null ] || fail "no password in $CA1"
cat "$BRK_DATA"/broker.db* | grep -qF "$PW1" && fail "a binding's password is in broker.db in plain text"
[ "$(stat -c %a "$BRK_DATA/store.key")" = 600 ] || fail "store.key is not 0600"
ok "binding passwords are sealed in broker.db; store.key is 0600"
broker_stop
BRK_EXTRA_CONF="store_key: $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" broker_config
timeout 20 "$BRK_BIN" -c "$BRK_DATA/broker.yml" >"$SVC_DIR/wrongkey.log" 2>&1 &&
    fail "the broker started with another store key"
grep -q "does not open with this store key" "$SVC_DIR/wrongkey.log" ||
    fail "no clear error for a wrong store key: $(cat "$SVC_DIR/wrongkey.log")"
BRK_EXTRA_CONF="async_only: true" broker_start
bind pa ba1 postgresql
[ "$(jq -c .credentials <<<"$BODY")" = "$CA1" ] || fail "credentials after the refused start: $BODY"
ok "another store key: the broker refuses to start and says why; its own key opens them again"

# --- deprovision drops the data (and the remaining bindings) ---
DBA=$(jq -r .name <<<"$CA1")
deprovision pa postgresql
expect_code 422 "async_only: deprovision without accepts_incomplete"
osb DELETE "/v2/service_instances/pa?service_id=$SID&plan_id=$PID&accepts_incomplete=true"
expect_code 202 "async deprovision pa"
for _ in $(seq 100); do
    osb GET "/v2/service_instances/pa/last_operation"
    [ "$CODE" = 410 ] && break
    sleep 0.1
done
expect_code 410 "last_operation of a deprovisioned instance"
[ "$(pg_admin "SELECT count(*) FROM pg_database WHERE datname = '$DBA'")" = 0 ] || fail "database $DBA still exists"
ok "deprovision dropped the database"
[ "$(pg_admin "SELECT count(*) FROM pg_roles WHERE rolname = '$(jq -r .username <<<"$CA1")'")" = 0 ] ||
    fail "role of ba1 still exists"
ok "deprovision dropped the remaining binding's role"
pg_as "$CA1" "SELECT 1" postgres >/dev/null && fail "ba1 still logs in"
osb DELETE "/v2/service_instances/pa?service_id=$SID&plan_id=$PID&accepts_incomplete=true"
expect_code 410 "deprovision again is 410"
# pb's database dropped behind the broker's back: unbind and deprovision still clean up
pg_admin "DROP DATABASE $(jq -r .name <<<"$CB1") WITH (FORCE)" || fail "admin drop"
unbind pb bb1 postgresql
expect_code 200 "unbind bb1 (its database already gone)"
[ "$(pg_admin "SELECT count(*) FROM pg_roles WHERE rolname = '$(jq -r .username <<<"$CB1")'")" = 0 ] ||
    fail "role of bb1 still exists"
osb DELETE "/v2/service_instances/pb?service_id=$SID&plan_id=$PID&accepts_incomplete=true"
expect_code 202 "deprovision pb"
for _ in $(seq 100); do
    osb GET "/v2/service_instances/pb/last_operation"
    [ "$CODE" = 410 ] && break
    sleep 0.1
done
expect_code 410 "pb is gone"
[ "$(pg_admin "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'o%' OR rolname LIKE 'u%'")" = 0 ] ||
    fail "roles left behind: $(pg_admin "SELECT rolname FROM pg_roles WHERE rolname LIKE 'o%' OR rolname LIKE 'u%'")"
[ "$(pg_admin "SELECT count(*) FROM pg_database WHERE datname LIKE 'd%'")" = 0 ] || fail "databases left behind"
ok "nothing left behind on the server"
broker_stop
echo "PASS"
