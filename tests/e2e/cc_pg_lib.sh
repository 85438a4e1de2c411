# cc_pg_lib.sh - sourced by the CC's PostgreSQL tests before cc_lib.sh: a PostgreSQL server of
# their own in a temp dir (cc_pg.sh), CC_DB_URL pointing at it, stopped and removed by
# cc_lib.sh's cleanup (CC_EXTRA_CLEANUP); the test is skipped when PostgreSQL cannot run here.
# Sets HERE, the tests' folder.
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
