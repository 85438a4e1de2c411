# The hot read paths (GET /apps, GET /apps/NAME, PUT /resources) run their SQL on the thread
# pool: with the apps table locked by another PostgreSQL session, those requests wait for the
# database while the CC keeps answering everything else; they complete once the lock goes.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PGDIR=$(mktemp -d /tmp/hearth-cc-pg.XXXXXX)
if ! CC_DB_URL=$("$HERE/cc_pg.sh" start "$PGDIR/pg"); then
    "$HERE/cc_pg.sh" stop "$PGDIR/pg"
    rmdir "$PGDIR" 2>/dev/null
    echo "SKIP: PostgreSQL cannot run here (see the message above)"
    exit 0
fi
export CC_DB_URL
CC_EXTRA_CLEANUP="'$HERE/cc_pg.sh' stop '$PGDIR/pg'; rm -rf '$PGDIR'"
. "$HERE/cc_lib.sh"
command -v psql >/dev/null || { echo "SKIP: no psql"; exit 0; }

start_cc
register alice@x.com pw
ALICE=$(login alice@x.com pw)
call "create" POST /apps "$ALICE" '{"name":"a1","instances":1}'
expect 302

# Another session takes the apps table and keeps it until it is killed.
psql -q "$CC_DB_URL" -1 -c "LOCK TABLE apps IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" \
    > "$CC_TMP/psql.log" 2>&1 &
LOCKER=$!
CC_PIDS+=("$LOCKER")
for _ in $(seq 1 100); do
    N=$(psql -qtA "$CC_DB_URL" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid WHERE c.relname = 'apps' AND l.mode = 'AccessExclusiveLock' AND l.granted")
    [ "$N" = 1 ] && break
    sleep 0.1
done
[ "$N" = 1 ] || fail "the lock was not taken: $(cat "$CC_TMP/psql.log")"

# Two requests that need the locked table, sent while it is locked.
curl -s -o "$CC_TMP/list" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps" > "$CC_TMP/list.status" &
LIST=$!
CC_PIDS+=("$LIST")
curl -s -o "$CC_TMP/one" -w '%{http_code}' -H "Authorization: bearer $ALICE" "$CC_URL/apps/a1" > "$CC_TMP/one.status" &
ONE=$!
CC_PIDS+=("$ONE")
# Both reach the database and wait there (PostgreSQL shows the CC's sessions waiting on the lock).
for _ in $(seq 1 100); do
    W=$(psql -qtA "$CC_DB_URL" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid WHERE c.relname = 'apps' AND NOT l.granted")
    [ "$W" = 2 ] && break
    sleep 0.1
done
[ "$W" = 2 ] || fail "the two reads are not waiting on the lock ($W waiting)"

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
psql -qtA "$CC_DB_URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" > /dev/null
wait "$LOCKER" 2>/dev/null
wait "$LIST" "$ONE"
[ "$(cat "$CC_TMP/list.status")" = 200 ] || fail "GET /apps after the lock: $(cat "$CC_TMP/list.status")"
[ "$(jq -r '.[0].name' "$CC_TMP/list")" = a1 ] || fail "GET /apps body: $(cat "$CC_TMP/list")"
[ "$(cat "$CC_TMP/one.status")" = 200 ] || fail "GET /apps/a1 after the lock: $(cat "$CC_TMP/one.status")"
[ "$(jq -r .name "$CC_TMP/one")" = a1 ] || fail "GET /apps/a1 body: $(cat "$CC_TMP/one")"

echo "PASS test_cc_offload_pg"
