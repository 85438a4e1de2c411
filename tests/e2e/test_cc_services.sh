# hearth-cc services, the CC side, against a stand-in OSBAPI broker: the offerings list (and
# its cache when the broker is down), provisioning, quotas, binding through the app's
# services list, isolation between users, deprovisioning.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cc_lib.sh"

python3 "$HERE/cc_fake_broker.py" "$CC_TMP/broker.port" "$CC_TMP/broker.log" 2> "$CC_TMP/broker.err" &
BROKER_PID=$!
CC_PIDS+=($BROKER_PID)
for _ in $(seq 1 100); do [ -s "$CC_TMP/broker.port" ] && break; sleep 0.1; done
cat > "$CC_TMP/cc.yml" <<YML
auth:
  pwhash_memlimit: 64K
  pwhash_opslimit: 1
quota:
  services: 2
services:
  broker_url: http://127.0.0.1:$(cat "$CC_TMP/broker.port")
YML
start_cc
register admin@x.com pw
register alice@x.com pw
register bob@x.com pw
ALICE=$(login alice@x.com pw)
BOB=$(login bob@x.com pw)

call "offerings" GET /services/v1/offerings "$ALICE"
expect 200
[ "$(jfield '[.offerings[].label] | sort | join(",")')" = postgresql,redis ] || fail "offerings: $BODY"
call "offerings need a token" GET /services/v1/offerings
expect 403 200
call "info services" GET /info/services "$ALICE"
[ "$(jfield '.database.postgresql | keys | length')" = 1 ] || fail "info/services: $BODY"

call "provision" POST /services "$ALICE" '{"name":"db1","vendor":"postgresql","plan":"small"}'
expect 200
grep -q '^PUT /v2/service_instances/' "$CC_TMP/broker.log" || fail "broker not asked"
call "duplicate name" POST /services "$ALICE" '{"name":"db1","vendor":"redis"}'
expect 400 100
call "unknown offering" POST /services "$ALICE" '{"name":"x","vendor":"oracle"}'
expect 404 500
call "unknown plan" POST /services "$ALICE" '{"name":"x","vendor":"postgresql","plan":"huge"}'
expect 404 500
call "second" POST /services "$ALICE" '{"name":"cache","vendor":"redis"}'
expect 200
call "quota" POST /services "$ALICE" '{"name":"third","vendor":"redis"}'
expect 403 504
call "list" GET /services "$ALICE"
[ "$(jfield 'length')" = 2 ] || fail "list: $BODY"
call "get" GET /services/db1 "$ALICE"
expect 200
[ "$(jfield .vendor)" = postgresql ] || fail "get: $BODY"

# Isolation.
call "bob lists" GET /services "$BOB"
[ "$(jfield 'length')" = 0 ] || fail "bob sees services"
call "bob reads" GET /services/db1 "$BOB"
expect 404 500
call "bob deletes" DELETE /services/db1 "$BOB"
expect 404 500
call "bob binds alice's service" POST /apps "$BOB" '{"name":"b","services":["db1"]}'
expect 404 500

# Binding through the app's services list.
call "bind" POST /apps "$ALICE" '{"name":"web","services":["db1"]}'
expect 302
call "bound" GET /apps/web "$ALICE"
[ "$(jfield '.services[0]')" = db1 ] || fail "services list"
for _ in $(seq 1 50); do grep -q '^PUT /v2/service_instances/.*/service_bindings/' "$CC_TMP/broker.log" && break; sleep 0.1; done
grep -q '^PUT /v2/service_instances/.*/service_bindings/' "$CC_TMP/broker.log" || fail "broker not asked to bind"
call "unbind" PUT /apps/web "$ALICE" '{"services":[]}'
expect 200
for _ in $(seq 1 50); do grep -q '^DELETE /v2/service_instances/.*/service_bindings/' "$CC_TMP/broker.log" && break; sleep 0.1; done
grep -q '^DELETE /v2/service_instances/.*/service_bindings/.*service_id=svc-pg' "$CC_TMP/broker.log" || fail "broker not asked to unbind"

call "deprovision" DELETE /services/db1 "$ALICE"
expect 200
for _ in $(seq 1 50); do grep -q '^DELETE /v2/service_instances/' "$CC_TMP/broker.log" && break; sleep 0.1; done
grep -q '^DELETE /v2/service_instances/.*service_id=svc-pg&plan_id=plan-small' "$CC_TMP/broker.log" || fail "broker not told: $(cat "$CC_TMP/broker.log")"
call "gone" GET /services/db1 "$ALICE"
expect 404 500

# Broker down: the cached offerings are still listed; provisioning fails cleanly.
kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null
call "cached offerings" GET /services/v1/offerings "$ALICE"
expect 200
[ "$(jfield '.offerings | length')" = 2 ] || fail "cache: $BODY"
call "provision with the broker down" POST /services "$ALICE" '{"name":"db2","vendor":"postgresql"}'
expect 502 503

echo "PASS test_cc_services"
