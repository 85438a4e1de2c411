# cc_offload_lib.sh - sourced by the test_cc_offload_*pg.sh tests: a PostgreSQL of their own
# (or SKIP), the CC on it, alice with app a1, and helpers that lock a table from another
# session (lock TABLE), wait until N of the CC's sessions queue on it (await_waiting TABLE N)
# and end the lock (unlock).
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

# lock TABLE: another session takes it and keeps it until unlock ends that session.
lock() {
    psql -q "$CC_DB_URL" -1 -c "LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" \
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
    psql -qtA "$CC_DB_URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" > /dev/null
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
