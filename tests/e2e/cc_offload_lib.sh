# cc_offload_lib.sh - sourced by the test_cc_offload_*pg.sh tests: a PostgreSQL of their own
# (or SKIP), the CC on it, alice with app a1, and helpers that lock a table from another
# session (lock TABLE), wait until N of the CC's sessions queue on it (await_waiting TABLE N),
# end the lock (unlock), and send requests in the background (bg NAME CURL-ARGS...) or check
# that they still wait (pending NAME...).
set -u
. "$(cd "$(dirname "$0")" && pwd)/cc_pg_lib.sh"
. "$HERE/cc_lib.sh"
command -v psql >/dev/null || { echo "SKIP: no psql"; exit 0; }

start_cc
register alice@x.com pw
ALICE=$(login alice@x.com pw)
call "create" POST /apps "$ALICE" '{"name":"a1","instances":1}'
expect 302

# lock TABLE: another session takes it and keeps it until unlock ends that session (or, when a
# test fails before its unlock, for at most 120 s: the CC's blocked workers, and so its exit
# and this test's cleanup, wait no longer than that).
lock() {
    psql -q "$CC_DB_URL" -1 -c "LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(120)" \
        > "$CC_TMP/psql.log" 2>&1 &
    LOCKER=$!
    CC_PIDS+=("$LOCKER")
    local n=0
    for _ in $(seq 1 100); do
        n=$(psql -qtA "$CC_DB_URL" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid WHERE c.relname = '$1' AND l.mode = 'AccessExclusiveLock' AND l.granted")
        [ "$n" = 1 ] && return
        sleep 0.1
    done
    fail "the lock on $1 was not taken: $(cat "$CC_TMP/psql.log")"
}
# The server ends the locking session (killing psql would leave it asleep).
unlock() {
    psql -qtA "$CC_DB_URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" > /dev/null
    wait "$LOCKER" 2>/dev/null
}
# await_waiting TABLE N: N sessions wait for TABLE's lock.
await_waiting() {
    local w=0
    for _ in $(seq 1 100); do
        w=$(psql -qtA "$CC_DB_URL" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid WHERE c.relname = '$1' AND NOT l.granted")
        [ "$w" = "$2" ] && return
        sleep 0.1
    done
    fail "$2 requests should wait on the $1 lock ($w waiting)"
}
# bg NAME CURL-ARGS...: a request in the background, its status in NAME.status; its PID in BG
# and in BG_PID_NAME.
bg() {
    local name=$1
    shift
    curl -s -o "$CC_TMP/$name" -w '%{http_code}' "$@" > "$CC_TMP/$name.status" &
    BG=$!
    CC_PIDS+=("$BG")
    printf -v "BG_PID_$name" '%s' "$BG"
}
# pending NAME...: each of these background requests is still waiting (no answer yet).
pending() {
    local n pid
    for n in "$@"; do
        pid=BG_PID_$n
        kill -0 "${!pid}" 2>/dev/null || fail "$n finished while its table was locked: $(cat "$CC_TMP/$n.status" 2>/dev/null)"
    done
}
# finished NAME STATUS: waits for background request NAME and checks its HTTP status.
finished() {
    local pid=BG_PID_$1
    wait "${!pid}"
    [ "$(cat "$CC_TMP/$1.status")" = "$2" ] || fail "$1 after the lock: $(cat "$CC_TMP/$1.status") $(cat "$CC_TMP/$1")"
}
