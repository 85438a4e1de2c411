# The app writes and the service broker writes run their SQL on the thread pool: with the apps
# table locked by another PostgreSQL session, PUT /apps/NAME, POST /apps, DELETE /apps/NAME and
# a restage (PUT /apps/NAME/update) wait for the database while the CC keeps answering /info, the user, the services, the
# brokers and a login; with the service_brokers table locked, registering a broker waits while /info and
# the apps are answered. Everything completes once the locks go, with the state it asked for.
set -u
# Four requests wait on a lock at once: the CC gets more workers than that.
export UV_THREADPOOL_SIZE=8
. "$(cd "$(dirname "$0")" && pwd)/cc_offload_lib.sh"

# alice, the first user, is the admin.
call "create a2" POST /apps "$ALICE" '{"name":"a2"}'
expect 302
call "create a4" POST /apps "$ALICE" '{"name":"a4"}'
expect 302
call "user-provided" POST /user_provided_services "$ALICE" '{"name":"ups1","credentials":{"k":"v"}}'
expect 201
call "a1" GET /apps/a1 "$ALICE"
expect 200
A1_VERSION=$(jfield .meta.version)

# --- The apps table locked: an update, a create and a delete wait for it.
lock apps
JSON=(-H "Content-Type: application/json" -H "Authorization: bearer $ALICE")
bg put -X PUT "${JSON[@]}" --data-binary "{\"instances\":3,\"meta\":{\"version\":$A1_VERSION}}" "$CC_URL/apps/a1"
bg post "${JSON[@]}" --data-binary '{"name":"a3","instances":2}' "$CC_URL/apps"
bg del -X DELETE -H "Authorization: bearer $ALICE" "$CC_URL/apps/a2"
bg restage -X PUT -H "Authorization: bearer $ALICE" "$CC_URL/apps/a4/update"
await_waiting apps 4

STATUS=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$CC_URL/info")
[ "$STATUS" = 200 ] || fail "/info while the apps table is locked: $STATUS"
call "user while apps is locked" GET /users/alice@x.com "$ALICE"
expect 200
call "services while apps is locked" GET /services "$ALICE"
expect 200
[ "$(jfield '.[0].name')" = ups1 ] || fail "services: $BODY"
call "brokers while apps is locked" GET /service_brokers "$ALICE"
expect 200
call "login while apps is locked" POST /users/alice@x.com/tokens "" '{"password":"pw"}'
expect 200
pending put post del restage

unlock
finished put 200
finished post 302
finished del 200
finished restage 200
[ "$(jq -r .redirect "$CC_TMP/post")" = /apps/a3 ] || fail "POST /apps body: $(cat "$CC_TMP/post")"
call "a1 after the update" GET /apps/a1 "$ALICE"
expect 200
[ "$(jfield .instances)" = 3 ] || fail "a1's instances: $BODY"
call "a3 after the create" GET /apps/a3 "$ALICE"
expect 200
[ "$(jfield .instances)" = 2 ] || fail "a3's instances: $BODY"
call "a2 after the delete" GET /apps/a2 "$ALICE"
expect 404 301
call "apps after the lock" GET /apps "$ALICE"
expect 200
[ "$(jfield '[.[].name] | join(",")')" = a1,a3,a4 ] || fail "apps: $BODY"
# The version the update checked is stale now: the optimistic lock still answers 102.
call "stale version" PUT /apps/a1 "$ALICE" "{\"instances\":1,\"meta\":{\"version\":$A1_VERSION}}"
expect 400 102
call "events of the update" GET /apps/a1/events "$ALICE"
expect 200
[ "$(jfield '[.events[].action] | join(",")')" = app.create,app.update ] || fail "events: $BODY"
call "events of the restage" GET /apps/a4/events "$ALICE"
expect 200
[ "$(jfield '[.events[].action] | join(",")')" = app.create,app.restage ] || fail "events: $BODY"

# --- The service_brokers table locked: registering a broker waits for it.
cat > "$CC_TMP/cat.json" <<'JSON'
{"services":[{"id":"svc-off-1","name":"offsvc","description":"a test service","plans":[{"id":"plan-off-1","name":"small","description":"small plan"}]}]}
JSON
python3 "$HEARTH_SOURCE_DIR/tests/e2e/lib/catalog_server.py" "$CC_TMP/cat.port" 200 "$CC_TMP/cat.json" &
CC_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$CC_TMP/cat.port" ] && break; sleep 0.1; done
[ -s "$CC_TMP/cat.port" ] || fail "the catalog server did not start"
CAT_URL="http://127.0.0.1:$(cat "$CC_TMP/cat.port")"

lock service_brokers
bg brk -H "Content-Type: application/json" -H "Authorization: bearer $ALICE" \
    --data-binary "{\"name\":\"b1\",\"url\":\"$CAT_URL\",\"username\":\"u\",\"password\":\"p\"}" \
    "$CC_URL/service_brokers"
await_waiting service_brokers 1

STATUS=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$CC_URL/info")
[ "$STATUS" = 200 ] || fail "/info while service_brokers is locked: $STATUS"
call "apps while service_brokers is locked" GET /apps "$ALICE"
expect 200
call "app while service_brokers is locked" GET /apps/a1 "$ALICE"
expect 200
pending brk

unlock
finished brk 201
[ "$(jq -r .name "$CC_TMP/brk")" = b1 ] || fail "broker body: $(cat "$CC_TMP/brk")"
call "brokers after the lock" GET /service_brokers "$ALICE"
expect 200
[ "$(jfield '[.service_brokers[].name] | join(",")')" = b1 ] || fail "brokers: $BODY"
[ "$(jfield '.service_brokers[0].services | join(",")')" = offsvc ] || fail "broker services: $BODY"

echo "PASS test_cc_offload_apps_pg"
