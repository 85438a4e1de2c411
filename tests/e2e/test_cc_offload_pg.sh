# The hot read paths (GET /apps, GET /apps/NAME, PUT /resources) run their SQL on the thread
# pool: with the apps table locked by another PostgreSQL session, those requests wait for the
# database while the CC keeps answering everything else; they complete once the lock goes.
set -u
. "$(cd "$(dirname "$0")" && pwd)/cc_offload_lib.sh"

# Another session takes the apps table and keeps it until unlock.
lock apps

# Two requests that need the locked table, sent while it is locked.
curl -s -o "$CC_TMP/list" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps" > "$CC_TMP/list.status" &
LIST=$!
CC_PIDS+=("$LIST")
curl -s -o "$CC_TMP/one" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps/a1" > "$CC_TMP/one.status" &
ONE=$!
CC_PIDS+=("$ONE")
# Both reach the database and wait there (PostgreSQL shows the CC's sessions waiting on the lock).
await_waiting apps 2

# Meanwhile the CC answers: /info, the buildpacks, resource matching (its own connection), a login.
STATUS=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$CC_URL/info")
[ "$STATUS" = 200 ] || fail "/info while the apps table is locked: $STATUS"
call "resources while locked" PUT /resources "$ALICE" '[{"sha1":"0123456789abcdef0123456789abcdef01234567","size":3}]'
expect 200
[ "$BODY" = "[]" ] || fail "resources: $BODY"
call "login while locked" POST /users/alice@x.com/tokens "" '{"password":"pw"}'
expect 200
kill -0 "$LIST" 2>/dev/null || fail "GET /apps finished while its table was locked"

# The lock goes (the server ends the locking session; killing psql would leave it asleep).
unlock
wait "$LIST" "$ONE"
[ "$(cat "$CC_TMP/list.status")" = 200 ] || fail "GET /apps after the lock: $(cat "$CC_TMP/list.status")"
[ "$(jq -r '.[0].name' "$CC_TMP/list")" = a1 ] || fail "GET /apps body: $(cat "$CC_TMP/list")"
[ "$(cat "$CC_TMP/one.status")" = 200 ] || fail "GET /apps/a1 after the lock: $(cat "$CC_TMP/one.status")"
[ "$(jq -r .name "$CC_TMP/one")" = a1 ] || fail "GET /apps/a1 body: $(cat "$CC_TMP/one")"

echo "PASS test_cc_offload_pg"
