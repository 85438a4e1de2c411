# The same REST API test as test_cc_api.sh, on a real PostgreSQL server started here.
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
. "$HERE/test_cc_api.sh"
