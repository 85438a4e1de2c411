# Users, login, bulk and the app's events run their SQL (and the token check) on the thread
# pool: with the users table locked by another PostgreSQL session, a registration and a user
# lookup wait for the database while the CC keeps answering /info and the bulk API; with the
# events table locked, GET /apps/NAME/events waits while the app, its env, the user and a
# login are answered; with service_instances locked, the service listings wait while the apps
# and /info are answered. Everything completes once the locks go.
set -u
. "$(cd "$(dirname "$0")" && pwd)/cc_offload_lib.sh"

# --- The users table locked: a registration and a user lookup wait for it.
lock users
bg reg -H "Content-Type: application/json" --data-binary '{"email":"carol@x.com","password":"pw"}' "$CC_URL/users"
REG=$BG
bg user -H "Authorization: bearer $ALICE" "$CC_URL/users/alice@x.com"
USER=$BG
await_waiting users 2

STATUS=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$CC_URL/info")
[ "$STATUS" = 200 ] || fail "/info while the users table is locked: $STATUS"
BODY=$(curl -s -m 10 -u bulk:bulksecret "$CC_URL/bulk/apps")
[ "$(jfield '[.results[].name] | join(",")')" = a1 ] || fail "bulk apps while users is locked: $BODY"
BODY=$(curl -s -m 10 -u bulk:bulksecret "$CC_URL/bulk/counts?model=app")
[ "$(jfield .counts.value)" = 1 ] || fail "bulk counts while users is locked: $BODY"
kill -0 "$REG" 2>/dev/null || fail "POST /users finished while its table was locked"
kill -0 "$USER" 2>/dev/null || fail "GET /users/EMAIL finished while its table was locked"

unlock
wait "$REG" "$USER"
[ "$(cat "$CC_TMP/reg.status")" = 204 ] || fail "register after the lock: $(cat "$CC_TMP/reg.status") $(cat "$CC_TMP/reg")"
[ "$(cat "$CC_TMP/user.status")" = 200 ] || fail "GET /users/EMAIL after the lock: $(cat "$CC_TMP/user.status")"
[ "$(jq -r .email "$CC_TMP/user")" = alice@x.com ] || fail "user body: $(cat "$CC_TMP/user")"
CAROL=$(login carol@x.com pw)
[ -n "$CAROL" ] || fail "carol cannot log in"

# --- The events table locked: the app's events wait; the rest of the app and users answer.
lock events
bg events -H "Authorization: bearer $ALICE" "$CC_URL/apps/a1/events"
EVENTS=$BG
await_waiting events 1

call "app while events is locked" GET /apps/a1 "$ALICE"
expect 200
call "env while events is locked" GET /apps/a1/env "$ALICE"
expect 200
call "instances while events is locked" GET /apps/a1/instances "$ALICE"
expect 200
call "user while events is locked" GET /users/alice@x.com "$ALICE"
expect 200
call "users while events is locked" GET /users "$ALICE"
expect 200
[ "$(jfield '[.[].email] | join(",")')" = "alice@x.com,carol@x.com" ] || fail "users: $BODY"
call "login while events is locked" POST /users/alice@x.com/tokens "" '{"password":"pw"}'
expect 200
call "bad login while events is locked" POST /users/alice@x.com/tokens "" '{"password":"no"}'
expect 403 200
kill -0 "$EVENTS" 2>/dev/null || fail "GET /apps/a1/events finished while its table was locked"

unlock
wait "$EVENTS"
[ "$(cat "$CC_TMP/events.status")" = 200 ] || fail "events after the lock: $(cat "$CC_TMP/events.status")"
[ "$(jq -r '.events[0].action' "$CC_TMP/events")" = app.create ] || fail "events body: $(cat "$CC_TMP/events")"

# --- The service_instances table locked: the service listings wait; apps and users answer.
call "user-provided" POST /user_provided_services "$ALICE" '{"name":"ups1","credentials":{"k":"v"}}'
expect 201
lock service_instances
bg svcs -H "Authorization: bearer $ALICE" "$CC_URL/services"
SVCS=$BG
bg ups -H "Authorization: bearer $ALICE" "$CC_URL/user_provided_services/ups1"
UPS=$BG
await_waiting service_instances 2

STATUS=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$CC_URL/info")
[ "$STATUS" = 200 ] || fail "/info while service_instances is locked: $STATUS"
call "apps while service_instances is locked" GET /apps "$ALICE"
expect 200
[ "$(jfield '.[0].name')" = a1 ] || fail "apps: $BODY"
call "events while service_instances is locked" GET /apps/a1/events "$ALICE"
expect 200
kill -0 "$SVCS" 2>/dev/null || fail "GET /services finished while its table was locked"
kill -0 "$UPS" 2>/dev/null || fail "GET /user_provided_services/NAME finished while its table was locked"

unlock
wait "$SVCS" "$UPS"
[ "$(cat "$CC_TMP/svcs.status")" = 200 ] || fail "services after the lock: $(cat "$CC_TMP/svcs.status")"
[ "$(jq -r '.[0].name' "$CC_TMP/svcs")" = ups1 ] || fail "services body: $(cat "$CC_TMP/svcs")"
[ "$(cat "$CC_TMP/ups.status")" = 200 ] || fail "ups after the lock: $(cat "$CC_TMP/ups.status")"
[ "$(jq -r .credentials.k "$CC_TMP/ups")" = v ] || fail "ups body: $(cat "$CC_TMP/ups")"

echo "PASS test_cc_offload_users_pg"
